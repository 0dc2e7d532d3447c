//! The accounts database: SQLite through sqlx (WAL mode), migrations applied at start.
//!
//! Invariant: queries use only SQL that PostgreSQL also accepts (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`); dialect differences live in the per-dialect migrations.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub type Pool = sqlx::SqlitePool;

/// Opens (creating when missing) the database file and applies pending migrations.
pub async fn open(path: &Path) -> Result<Pool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

/// Begins a transaction that will write. SQLite takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads first and then writes fails with "database is
/// locked" when another connection wrote in between, and waiting (the busy timeout) cannot help
/// it. The one dialect-specific statement outside the migrations lives here.
pub async fn begin_write(
    pool: &Pool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Seconds since the Unix epoch, the unit of every time column.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
