//! Application state and the server's life cycle: open the data directory, import the samples on
//! first start, serve until SIGINT/SIGTERM.

use std::future::Future;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::events::Events;
use crate::import;
use crate::store::Store;

/// Everything a request handler may use. Shared through [`AppState`].
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub store: Store,
    pub accounts: Accounts,
    pub events: Events,
    /// Uploaded files waiting to be committed.
    pub uploads: crate::http::Uploads,
    pub search: crate::search::Search,
    /// Keeps the index in step with the store (fed by `events`).
    pub indexer: crate::search::Indexer,
    /// The labor ledger (follows `events`).
    pub labor: crate::labor::Labor,
    /// Bundles for manufacturers (releases are prebuilt as `events` announce them).
    pub bundles: crate::bundle::Bundles,
}

/// Cheap-to-clone handle on the [`App`], taken by handlers as `State(app)`.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    /// Opens the data directory named by `config`, creating it and importing the sample designs
    /// when it holds no repositories yet; opens (and migrates) the accounts database and makes
    /// sure the system account that owns the samples exists.
    pub async fn open(config: Config) -> anyhow::Result<AppState> {
        let events = Events::new();
        let (config, store) = {
            let events = events.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Config, Store)> {
                let store = open_store(&config.data, &config.designs, events)?;
                Ok((config, store))
            })
            .await??
        };
        let db_path = config.data.join("atelier.db");
        let pool = crate::db::open(&db_path)
            .await
            .with_context(|| format!("opening the database {}", db_path.display()))?;
        let accounts = Accounts::new(pool.clone());
        accounts.ensure_system(import::SAMPLES_OWNER).await?;
        let search_dir = config.data.join("search");
        let search =
            tokio::task::spawn_blocking(move || crate::search::Search::open(&search_dir)).await??;
        let indexer = crate::search::Indexer::start(search.clone(), store.clone(), &events)?;
        let policy = crate::labor::Policy::load_or_install(&config.data.join("labor-policy.toml"))?;
        let labor = crate::labor::Labor::new(pool.clone(), store.clone(), policy);
        labor.follow(&events);
        let bundles = {
            let (dir, store, labor) = (config.data.join("bundles"), store.clone(), labor.clone());
            tokio::task::spawn_blocking(move || {
                crate::bundle::Bundles::open(dir, store, labor, pool)
            })
            .await??
        };
        bundles.follow(&events);
        {
            // The ledger is derived: bring it up to date in the background at every start,
            // then build the release bundles that are missing (they record labor shares).
            let (labor, bundles) = (labor.clone(), bundles.clone());
            tokio::spawn(async move {
                match labor.recompute().await {
                    Ok(entries) => tracing::info!(entries, "labor ledger recomputed"),
                    Err(err) => tracing::error!(error = %err, "labor ledger recompute failed"),
                }
                bundles.prebuild_all_releases().await;
            });
        }
        Ok(AppState(Arc::new(App {
            config,
            store,
            accounts,
            events,
            uploads: Default::default(),
            search,
            indexer,
            labor,
            bundles,
        })))
    }
}

/// Opens `<data>/store`. A new data directory is filled from `designs` into a scratch directory
/// that is renamed into place only when the whole import succeeded, so a failed first start is
/// retried in full by the next one.
pub fn open_store(data: &Path, designs: &Path, events: Events) -> anyhow::Result<Store> {
    let repos = data.join("store");
    if !repos.exists() {
        std::fs::create_dir_all(data)
            .with_context(|| format!("cannot create data directory {}", data.display()))?;
        let scratch = data.join("store.importing");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)?;
        }
        let scratch_store = Store::open(&scratch, events.clone())?;
        if designs.is_dir() {
            let ids = import::import_samples(&scratch_store, designs)
                .with_context(|| format!("importing sample designs from {}", designs.display()))?;
            tracing::info!(count = ids.len(), from = %designs.display(), "imported sample designs");
        } else {
            tracing::warn!(path = %designs.display(), "no sample designs folder; starting empty");
        }
        std::fs::rename(&scratch, &repos)?;
    }
    Ok(Store::open(repos, events)?)
}

/// Serves the application on `listener` until `shutdown` completes, then finishes the requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::http::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
