//! Server configuration: one struct, filled from flags or `ATELIER_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How `atelier serve` runs. Every field has a flag and an environment fallback.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "ATELIER_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Data directory (git repositories, later the database and indexes). Created when missing.
    #[arg(long, env = "ATELIER_DATA", default_value = "atelier-data")]
    pub data: PathBuf,
    /// The built single-page app (`index.html` and `assets/`), as written by `cargo xtask build`.
    #[arg(long, env = "ATELIER_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Sample designs imported into a new data directory on first start.
    #[arg(long, env = "ATELIER_DESIGNS", default_value = "designs")]
    pub designs: PathBuf,
}
