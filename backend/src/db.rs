//! The accounts database: SQLite through sqlx (WAL mode), migrations applied at start.
//!
//! Invariant: queries use only SQL that PostgreSQL also accepts (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`); dialect differences live in the per-dialect migrations.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Pool = sqlx::SqlitePool;
/// The database driver behind [`Pool`].
pub type Db = sqlx::Sqlite;

/// Where the database of record lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file, created when missing.
    Sqlite(PathBuf),
}

impl Location {
    /// The default: `<data>/atelier.db`.
    pub fn in_data(data: &Path) -> Self {
        Self::Sqlite(data.join("atelier.db"))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Opens (creating when missing) the database and applies pending migrations.
pub async fn open(location: &Location) -> Result<Pool, sqlx::Error> {
    let pool = connect(location, 8).await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// A pool of at most `connections` connections, without migrating.
pub async fn connect(location: &Location, connections: u32) -> Result<Pool, sqlx::Error> {
    let Location::Sqlite(path) = location;
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(connections)
        .connect_with(options)
        .await
}

/// Begins a transaction that will write. SQLite takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first and then writes fails with "database is
/// locked" when another connection wrote in between, and waiting (the busy timeout) cannot help
/// it. The one dialect-specific statement outside the migrations lives here.
pub async fn begin_write(pool: &Pool) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Seconds since the Unix epoch, the unit of every time column.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
