//! Application state and the server's life cycle: open the data directory, import the samples on
//! first start, serve until SIGINT/SIGTERM.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::accounts::Accounts;
use crate::config::Config;
use crate::events::Events;
use crate::http::body::Paced;
use crate::import;
use crate::store::Store;

/// Everything a request handler may use. Shared through [`AppState`].
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub store: Store,
    pub accounts: Accounts,
    /// The durable event log every ref move is appended to.
    pub events: Events,
    /// Uploaded files waiting to be committed.
    pub uploads: crate::uploads::Uploads,
    pub search: crate::search::Search,
    /// Keeps the index in step with the store (consumer `search` of `events`).
    pub indexer: crate::search::Indexer,
    /// The labor ledger (consumer `labor`).
    pub labor: crate::labor::Labor,
    /// Bundles for manufacturers (releases are prebuilt by consumer `bundles`).
    pub bundles: crate::bundle::Bundles,
    /// Large files, extracted once and served from a cache.
    pub blobs: crate::blobs::Blobs,
    /// README images from other sites, shown through the signed image proxy.
    pub images: crate::images::ImageProxy,
    /// 3D models measured and prepared for the viewer (in memory, by blob id).
    pub meshes: crate::mesh::Cache,
    /// Pictures of designs' main models by commit (PNG).
    pub pictures: crate::mesh::Cache<bytes::Bytes>,
    /// Models' changes between two commits, sorted for the overlaid view (by commits and paths).
    pub model_diffs: crate::mesh::Cache<crate::mesh::diff::Drawn>,
    /// Designs as rows (consumer `catalog`).
    pub catalog: crate::catalog::Catalog,
    /// Change proposals (consumer `proposals`: revisions and mergeability).
    pub proposals: crate::proposals::Proposals,
    /// The consumers of `events`, for barriers and `GET /api/events`.
    pub consumers: Vec<crate::events::Consumer>,
    /// The pre-receive hook of pushes and its socket.
    pub hooks: Arc<crate::hooks::Hooks>,
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

/// Present while a server runs on the data directory; found at start, it means the last run
/// did not stop cleanly (a crash or `kill -9`), so start-up recovery runs.
const RUNNING_MARKER: &str = "running";
/// The most bytes of model pictures kept in memory (about 2,000 cards).
const PICTURE_CACHE: usize = 64 << 20;
/// The most bytes of sorted model changes kept (a few of the largest models drawn).
const MODEL_DIFF_CACHE: usize = 128 << 20;
/// How long a stopping server waits for queued events to be stored.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

impl App {
    /// Opens the data directory named by `config`, creating it and importing the sample designs
    /// when it holds no repositories yet; opens (and migrates) the database; recovers from an
    /// unclean stop (stale ref locks, pool mirrors, ref moves the log missed); starts the
    /// consumers of the event log, each from its own cursor.
    pub async fn open(config: Config) -> anyhow::Result<AppState> {
        std::fs::create_dir_all(&config.data)
            .with_context(|| format!("cannot create data directory {}", config.data.display()))?;
        let location = config.database();
        let pool = crate::db::open(&location)
            .await
            .with_context(|| format!("opening the database {location}"))?;
        let log = crate::events::Log::durable(pool.clone(), &location)
            .await
            .context("opening the event log")?;
        let events = Events::durable(log);
        let marker = config.data.join(RUNNING_MARKER);
        let unclean = marker.exists();
        std::fs::write(&marker, std::process::id().to_string())?;
        let announced = events.log().heads().await?;
        let (config, store) = {
            let events = events.clone();
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Config, Store)> {
                let store = open_store(&config.data, &config.designs, events)?;
                recover(&store, unclean, &announced)?;
                Ok((config, store))
            })
            .await??
        };
        let hook_program = match &config.hook_program {
            Some(program) => program.clone(),
            None => std::env::current_exe().context("cannot find this program for git's hook")?,
        };
        let hooks = crate::hooks::Hooks::start(&config.data, &hook_program)
            .context("cannot set up the hook socket for pushes")?;
        let accounts = Accounts::new(pool.clone());
        accounts.ensure_system(import::SAMPLES_OWNER).await?;
        let search_dir = config.data.join("search");
        let search =
            tokio::task::spawn_blocking(move || crate::search::Search::open(&search_dir)).await??;
        let indexer = crate::search::Indexer::start(search.clone(), store.clone(), &events)?;
        let policy = crate::labor::Policy::load_or_install(&config.data.join("labor-policy.toml"))?;
        let labor = crate::labor::Labor::new(pool.clone(), store.clone(), policy);
        let labor_consumer = labor.follow(&events);
        {
            // The ledger follows the log; only a new policy version recomputes it at start.
            let labor = labor.clone();
            tokio::spawn(async move {
                match labor.policy_changed().await {
                    Ok(true) => match labor.recompute().await {
                        Ok(entries) => {
                            tracing::info!(entries, "labor policy changed: ledger recomputed")
                        }
                        Err(err) => tracing::error!(error = %err, "labor ledger recompute failed"),
                    },
                    Ok(false) => {}
                    Err(err) => {
                        tracing::error!(error = %err, "cannot check the labor policy version")
                    }
                }
            });
        }
        let catalog = crate::catalog::Catalog::follow(pool.clone(), store.clone(), &events);
        let bundles = {
            let (dir, store, labor) = (config.data.join("bundles"), store.clone(), labor.clone());
            let pool = pool.clone();
            tokio::task::spawn_blocking(move || {
                crate::bundle::Bundles::open(dir, store, labor, pool)
            })
            .await??
        };
        let bundles_consumer = bundles.follow(&events, labor_consumer.clone());
        let blobs = {
            let (dir, store) = (config.data.join("blob-cache"), store.clone());
            tokio::task::spawn_blocking(move || crate::blobs::Blobs::open(dir, store)).await??
        };
        let uploads = crate::uploads::Uploads::open(config.data.join("uploads"))
            .context("opening the upload staging folder")?;
        let images = crate::images::ImageProxy::open(
            &config.data,
            config.image_proxy,
            config.image_proxy_allow_private,
        )?;
        let proposals =
            crate::proposals::Proposals::follow(pool, store.clone(), &events, labor.clone());
        let consumers = [
            indexer.consumer().cloned(),
            Some(labor_consumer),
            catalog.consumer().cloned(),
            Some(bundles_consumer),
            proposals.consumer().cloned(),
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok(AppState(Arc::new(App {
            config,
            store,
            accounts,
            events,
            uploads,
            search,
            indexer,
            labor,
            bundles,
            blobs,
            images,
            meshes: crate::mesh::Cache::default(),
            pictures: crate::mesh::Cache::new(PICTURE_CACHE),
            model_diffs: crate::mesh::Cache::new(MODEL_DIFF_CACHE),
            proposals,
            catalog,
            consumers,
            hooks,
        })))
    }

    /// Completes once every consumer applied the events appended before the call.
    pub async fn settled(&self) {
        for consumer in &self.consumers {
            consumer.settled().await;
        }
    }
}

/// Start-up recovery, before anything is served. After an unclean stop: removes stale ref
/// locks (this server is the store's only writer) and repairs pool mirrors. Then, when the
/// stop was unclean or the log has not seen the store yet (a new or upgraded data directory),
/// appends the events of every ref move the log missed.
fn recover(
    store: &Store,
    unclean: bool,
    announced: &std::collections::HashMap<(String, String), String>,
) -> anyhow::Result<()> {
    if unclean {
        for path in store.remove_stale_locks()? {
            tracing::warn!(path = %path.display(), "removed a stale lock left by an unclean stop");
        }
    }
    for path in store.remove_unfinished_members()? {
        tracing::warn!(path = %path.display(), "removed an unfinished design creation or fork");
    }
    let upgraded = store.upgrade_configs()?;
    if upgraded > 0 {
        tracing::info!(upgraded, "repository configs brought up to date");
    }
    if unclean || store.mirrors_need_repair() {
        let mut repaired = 0;
        for id in store.ids()? {
            repaired += store.repair_mirrors(&id).unwrap_or_else(|err| {
                tracing::warn!(design = %id, error = %err, "pool mirrors not checked");
                0
            });
        }
        if repaired > 0 {
            tracing::warn!(repaired, "repaired pool mirrors");
        }
        store.mirrors_repaired()?;
    }
    if unclean || announced.is_empty() {
        let appended = store.announce_missed(announced)?;
        if appended > 0 {
            tracing::info!(appended, "announced ref moves the event log had missed");
        }
    }
    Ok(())
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
        // The samples' events are announced once the store is in place (start-up recovery).
        let scratch_store = Store::open(&scratch, Events::new())?;
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

/// How long a client may take to send a request's head, and how long a kept-alive connection
/// may sit idle before its next request: a client that half-sends holds nothing for longer.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Connections one client address may hold open at once; more are closed at accept.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;

/// The open connections of each client address, with a slot released on drop.
#[derive(Debug, Clone, Default)]
struct Connections(Arc<std::sync::Mutex<HashMap<std::net::IpAddr, usize>>>);

struct Slot {
    connections: Connections,
    address: std::net::IpAddr,
}

impl Connections {
    fn take(&self, address: std::net::IpAddr) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= MAX_CONNECTIONS_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(Slot {
            connections: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.connections.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Serves the application on `listener` until `shutdown` completes, then finishes the requests
/// in flight (at most [`STOP_WAIT`]). HTTP/1.1 by hand over hyper so that the limits hold: a
/// request head must arrive within [`HEADER_READ_TIMEOUT`], and one address holds at most
/// [`MAX_CONNECTIONS_PER_ADDRESS`] connections.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;

    let marker = state.config.data.join(RUNNING_MARKER);
    let config = Arc::new(state.config.clone());
    let stopping = state.clone();
    let app = crate::http::app(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Connections::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A trusted proxy carries many clients: their caps apply per request instead.
        let peer = remote.ip().to_canonical();
        let slot = if config.is_trusted_proxy(peer) {
            None
        } else {
            match connections.take(crate::config::limit_key(peer)) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%remote, "too many connections from one address; closed");
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (app, config) = (app.clone(), config.clone());
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let mut request = request
                    .map(|body| axum::body::Body::new(Paced::new(axum::body::Body::new(body))));
                let client = config.client_ip(remote.ip(), request.headers());
                let extensions = request.extensions_mut();
                extensions.insert(axum::extract::ConnectInfo(remote));
                extensions.insert(crate::http::auth::ClientIp(client));
                app.clone().oneshot(request)
            });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            // Room for heads past the limits `http::head_limits` answers in JSON.
            .max_headers(2 * crate::http::MAX_HEADERS)
            .max_buf_size(4 * (crate::http::MAX_URI + crate::http::MAX_HEADER_BYTES));
        // No upgrades: the API has no WebSocket or other upgraded protocol.
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(err) = connection.await {
                tracing::debug!(%remote, error = %err, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(STOP_WAIT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at stop; closed");
    }
    // A clean stop, once every event appended is stored: the next start needs no recovery.
    // Events still queued after the wait keep the marker, so the next start announces them.
    if tokio::time::timeout(STOP_WAIT, stopping.events.written())
        .await
        .is_err()
    {
        tracing::warn!("events still unstored at stop; the next start reconciles");
        return Ok(());
    }
    // The consumers get the same time to apply them (else they replay them at the next start),
    // so that the ledger and the index of a stopped server are complete.
    if tokio::time::timeout(STOP_WAIT, stopping.settled())
        .await
        .is_err()
    {
        tracing::warn!("consumers still behind at stop; they catch up at the next start");
    }
    if let Err(err) = std::fs::remove_file(&marker) {
        tracing::warn!(path = %marker.display(), error = %err, "cannot remove the running marker");
    }
    Ok(())
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
