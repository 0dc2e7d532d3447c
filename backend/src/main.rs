//! The `atelier` command: `atelier serve` runs the server. Thin: everything lives in the library.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use backend::{App, Config, server};

#[derive(Debug, Parser)]
#[command(
    name = "atelier",
    version,
    about = "Atelier: an open hardware design commons"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app and the JSON API (imports `designs/` into a new data directory first).
    Serve(Config),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => {
            let addr = config.addr;
            let state = App::open(config).await?;
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!("serving on http://{}", listener.local_addr()?);
            server::serve(listener, state, server::shutdown_signal()).await?;
        }
    }
    Ok(())
}
