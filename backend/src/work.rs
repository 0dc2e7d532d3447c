//! Bounded pools for blocking work: each kind of work (git reads, git writes, ingesting
//! uploads, search, extracting large files) waits for a permit of its own before it takes a
//! thread of tokio's blocking pool.
//!
//! Writes to one design queue for their turn ([`run_write`]) before they take a write permit,
//! so a design with many writers waiting holds one permit, not all of them.
//!
//! Invariant: the permits of every kind together ([`TOTAL`]), plus password hashing (one per
//! core, `accounts::password`) and bundle builds (`bundle::MAX_BUILDS`), stay well below tokio's
//! blocking-thread limit (512). A kind that is saturated queues on its own semaphore, on the
//! async side, while every other kind still finds threads: no flood of one kind of request can
//! stall the others (or `/api/health`).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::Semaphore;

/// What a piece of blocking work does, which decides the pool it waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reading repositories: trees, files, logs, diffs, merge checks.
    Read,
    /// Writing repositories: commits, forks, releases, merges (each also takes its design's
    /// lock, so more would only wait there).
    Write,
    /// Hashing a complete upload into a design's object pool.
    Ingest,
    /// Tantivy queries.
    Search,
    /// Extracting a large file from the object database to the file cache.
    Extract,
    /// Fetching an image from another site for the image proxy (network-bound, up to
    /// `images::TIMEOUT` each).
    Fetch,
}

impl Kind {
    /// Permits of this kind.
    pub const fn permits(self) -> usize {
        match self {
            Kind::Read => 64,
            Kind::Write => 16,
            Kind::Ingest => 4,
            Kind::Search => 16,
            Kind::Extract => 4,
            Kind::Fetch => 8,
        }
    }

    fn semaphore(self) -> &'static Semaphore {
        static READ: Semaphore = Semaphore::const_new(Kind::Read.permits());
        static WRITE: Semaphore = Semaphore::const_new(Kind::Write.permits());
        static INGEST: Semaphore = Semaphore::const_new(Kind::Ingest.permits());
        static SEARCH: Semaphore = Semaphore::const_new(Kind::Search.permits());
        static EXTRACT: Semaphore = Semaphore::const_new(Kind::Extract.permits());
        static FETCH: Semaphore = Semaphore::const_new(Kind::Fetch.permits());
        match self {
            Kind::Read => &READ,
            Kind::Write => &WRITE,
            Kind::Ingest => &INGEST,
            Kind::Search => &SEARCH,
            Kind::Extract => &EXTRACT,
            Kind::Fetch => &FETCH,
        }
    }
}

/// Every kind's permits together.
pub const TOTAL: usize = Kind::Read.permits()
    + Kind::Write.permits()
    + Kind::Ingest.permits()
    + Kind::Search.permits()
    + Kind::Extract.permits()
    + Kind::Fetch.permits();

// Checked when compiling: with up to 64 cores hashing and every bundle build, at most half of
// tokio's 512 blocking threads are ever taken.
const _: () = assert!(TOTAL + 64 + crate::bundle::MAX_BUILDS < 512 / 2);

/// Runs `work` on the blocking pool once a permit of `kind` is free (waiting for it on the
/// async side). Fails only if `work` panicked.
pub async fn run<T: Send + 'static>(
    kind: Kind,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    // The semaphores are never closed.
    let _permit = kind.semaphore().acquire().await.ok();
    tokio::task::spawn_blocking(work).await
}

/// Runs `work` as [`run`] does if a permit of `kind` is free now; `None` (and `work` not run)
/// when every permit is taken, for work better refused than queued.
pub async fn try_run<T: Send + 'static>(
    kind: Kind,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<Result<T, tokio::task::JoinError>> {
    let _permit = kind.semaphore().try_acquire().ok()?;
    Some(tokio::task::spawn_blocking(work).await)
}

/// The writers of each design (by key) waiting for their turn; an entry lives while someone
/// holds or waits for it.
static TURNS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

/// Runs write work on `key` (a design): once the writes queued before it for that key are done
/// (waiting on the async side), and then as [`run`] with [`Kind::Write`].
pub async fn run_write<T: Send + 'static>(
    key: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let turns = || TURNS.lock().unwrap_or_else(|e| e.into_inner());
    let turn = turns().entry(key.to_owned()).or_default().clone();
    let result = {
        let _turn = turn.lock().await;
        run(Kind::Write, work).await
    };
    let mut map = turns();
    // Only the map and this call hold it: no one else waits for this key.
    if Arc::strong_count(&turn) == 2 {
        map.remove(key);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pools are process-wide: these tests take turns.
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_queued_on_one_design_leave_permits_for_the_others() {
        let _serial = SERIAL.lock().await;
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let mut busy = Vec::new();
        // Far more writers on one design than there are write permits …
        for _ in 0..Kind::Write.permits() * 2 {
            let gate = gate.clone();
            busy.push(tokio::spawn(run_write("ada/busy", move || {
                let _ = gate.lock().unwrap().recv();
            })));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // … take one permit between them, and another design's write runs at once.
        assert_eq!(
            Kind::Write.semaphore().available_permits(),
            Kind::Write.permits() - 1
        );
        let other = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            run_write("bea/quiet", || 3),
        )
        .await
        .expect("another design's write waits for no one")
        .unwrap();
        assert_eq!(other, 3);
        for _ in 0..busy.len() {
            release.send(()).unwrap();
        }
        for task in busy {
            task.await.unwrap().unwrap();
        }
        assert!(TURNS.lock().unwrap().is_empty(), "every turn is given back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_saturated_kind_does_not_hold_up_another() {
        let _serial = SERIAL.lock().await;
        // Every write permit held by work that waits for a signal …
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = std::sync::Arc::new(std::sync::Mutex::new(gate));
        let mut held = Vec::new();
        for _ in 0..Kind::Write.permits() + 4 {
            let gate = gate.clone();
            held.push(tokio::spawn(run(Kind::Write, move || {
                let _ = gate.lock().unwrap().recv();
            })));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(Kind::Write.semaphore().available_permits(), 0);
        // … and a read still runs at once.
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), run(Kind::Read, || 7))
            .await
            .expect("a read waits for no write")
            .unwrap();
        assert_eq!(read, 7);
        for _ in 0..held.len() {
            release.send(()).unwrap();
        }
        for task in held {
            task.await.unwrap().unwrap();
        }
    }
}
