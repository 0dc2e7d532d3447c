//! The database of record: SQLite (embedded, the default) or PostgreSQL, through sqlx's `Any`
//! driver so the rest of the server has one code path; migrations per dialect are applied at
//! start.
//!
//! Invariants: no dialect-specific type leaves this module ([`Pool`], [`Row`], [`Db`] are the
//! `Any` ones); queries elsewhere use only SQL both accept (`$1` placeholders, `RETURNING`,
//! `ON CONFLICT`, `TRUE`/`FALSE`); booleans are read through `CAST(... AS INTEGER)` (the `Any`
//! driver cannot decode SQLite's `BOOLEAN` columns) and sums through `CAST(... AS BIGINT)`
//! (PostgreSQL sums `BIGINT` into `NUMERIC`). The differences live in the migrations and in
//! [`begin_write`].

use std::path::{Path, PathBuf};
use std::sync::Once;

use sqlx::any::AnyPoolOptions;
use sqlx::{Executor as _, Transaction};

/// A connection pool to either database.
pub type Pool = sqlx::AnyPool;
/// The database driver behind [`Pool`].
pub type Db = sqlx::Any;
/// A row of a query result.
pub type Row = sqlx::any::AnyRow;

/// Where the database of record lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file, created when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database, `postgres://user:password@host:port/database`.
    Postgres(String),
}

impl Location {
    /// `database` as given (`--database`, `ATELIER_DATABASE`): absent means SQLite at
    /// `<data>/atelier.db`; a `postgres://` or `postgresql://` URL means PostgreSQL.
    pub fn new(data: &Path, database: Option<&str>) -> Result<Self, String> {
        match database.map(str::trim).filter(|d| !d.is_empty()) {
            None => Ok(Self::in_data(data)),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url.to_owned()))
            }
            Some(_) => Err(
                "--database must be a postgres:// URL (leave it out for SQLite in the data directory)"
                    .into(),
            ),
        }
    }

    /// The default: SQLite at `<data>/atelier.db`.
    pub fn in_data(data: &Path) -> Self {
        Self::Sqlite(data.join("atelier.db"))
    }

    fn url(&self) -> String {
        match self {
            // Absolute and percent-encoded: URL parsing would take a relative path's first
            // folder for a host (and lower-case it); sqlx decodes the path again.
            Location::Sqlite(path) => {
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                format!(
                    "sqlite:{}?mode=rwc",
                    crate::format::percent_encode(&path.to_string_lossy(), b"/")
                )
            }
            Location::Postgres(url) => url.clone(),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            // Never the password.
            Location::Postgres(url) => {
                let shown = match (url.find("://"), url.rfind('@')) {
                    (Some(scheme), Some(at)) if at > scheme => {
                        format!("{}://…{}", &url[..scheme], &url[at..])
                    }
                    _ => url.clone(),
                };
                write!(f, "{shown}")
            }
        }
    }
}

fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// Opens (creating when missing) the database and applies pending migrations.
pub async fn open(location: &Location) -> Result<Pool, sqlx::Error> {
    let pool = connect(location, 8).await?;
    match location {
        Location::Sqlite(_) => sqlx::migrate!("./migrations/sqlite").run(&pool).await?,
        Location::Postgres(_) => sqlx::migrate!("./migrations/postgres").run(&pool).await?,
    }
    Ok(pool)
}

/// A pool of at most `connections` connections, without migrating.
pub async fn connect(location: &Location, connections: u32) -> Result<Pool, sqlx::Error> {
    install_drivers();
    let options = AnyPoolOptions::new().max_connections(connections);
    let options = match location {
        Location::Sqlite(_) => options.after_connect(|conn, _| {
            Box::pin(async move {
                // WAL: readers never wait for the writer; NORMAL is durable in WAL mode except
                // for the last transactions before a power loss (never corrupt).
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .await?;
                Ok(())
            })
        }),
        Location::Postgres(_) => options,
    };
    options.connect(&location.url()).await
}

/// Whether `pool` is an SQLite database.
pub fn is_sqlite(pool: &Pool) -> bool {
    pool.connect_options().database_url.scheme() == "sqlite"
}

/// Begins a transaction that will write, holding the database's one write lock until it ends,
/// so that a read followed by a write inside it (the first account becomes admin, a ledger
/// network is replaced) sees no other writer in between. SQLite takes its write lock at once
/// (`BEGIN IMMEDIATE`: a deferred transaction that reads first and then writes fails with
/// "database is locked" when another connection wrote in between). PostgreSQL gets the same
/// rule from one transaction-scoped advisory lock; plain reads never wait for it.
pub async fn begin_write(pool: &Pool) -> Result<Transaction<'static, Db>, sqlx::Error> {
    if is_sqlite(pool) {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS write_lock")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// The advisory lock key of [`begin_write`] on PostgreSQL (any constant; "ATLR").
const WRITE_LOCK: i64 = 0x41544c52;

/// Seconds since the Unix epoch, the unit of every time column.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// For tests: a new, empty PostgreSQL database in the cluster `ATELIER_TEST_POSTGRES` names,
/// when `ATELIER_TEST_DATABASE=postgres` asks the suite to run on PostgreSQL; `None` means
/// SQLite. `cargo xtask test` runs the suite once each way.
pub async fn test_database() -> Option<String> {
    if std::env::var("ATELIER_TEST_DATABASE").ok().as_deref() != Some("postgres") {
        return None;
    }
    let cluster = std::env::var("ATELIER_TEST_POSTGRES")
        .expect("ATELIER_TEST_DATABASE=postgres needs ATELIER_TEST_POSTGRES (a cluster URL)");
    Some(create_test_database(&cluster).await)
}

/// Creates a database with a random name in `cluster` (a URL to any of its databases); its URL.
pub async fn create_test_database(cluster: &str) -> String {
    install_drivers();
    let name = format!("atelier_test_{}", crate::accounts::random_hex(8));
    let admin = connect(&Location::Postgres(cluster.to_owned()), 1)
        .await
        .expect("cannot reach the test PostgreSQL cluster");
    admin
        .execute(
            format!("CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'")
                .as_str(),
        )
        .await
        .expect("cannot create a test database");
    admin.close().await;
    let (base, _) = cluster
        .rsplit_once('/')
        .expect("a cluster URL ends with /database");
    format!("{base}/{name}")
}
