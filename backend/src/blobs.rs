//! Large files served from a file cache: a blob over [`INLINE`] bytes is extracted once from the
//! object database to `<data>/blob-cache/<oid>` (by name, so it is shared by every design and
//! commit that holds it) and served from there, ranges by seeking; requests that come while it
//! is extracted read the file as it grows ([`Tail`]).
//!
//! Invariants: a file in the cache is complete (it appears by rename, and is checked against the
//! blob's size); one extraction per blob at a time, at most [`MAX_EXTRACTIONS`] under way or
//! waiting (more are refused: [`Error::Busy`]); memory stays flat whatever the blob's size and
//! however many read it; the cache holds at most [`MAX_CACHE_BYTES`] (the least recently used
//! files go first; a reader of an evicted file keeps its handle). The cache is derived: it is
//! emptied at start. It is keyed by blob id across designs: a caller proves first that the
//! design reaches the blob (`Store::file_header`).

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use git2::Oid;
use tokio::sync::watch;

use crate::store::{self, DesignId, Store};
use crate::tail::{State, Tail, Written};
use crate::work::{self, Kind};

/// Blobs up to this size are read into memory whole; larger ones go through the cache.
pub const INLINE: u64 = 1 << 20;
/// Extractions under way or waiting for a permit at once.
pub const MAX_EXTRACTIONS: usize = 16;
/// The most the cache holds on disk.
pub const MAX_CACHE_BYTES: u64 = 8 << 30;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Too many extractions at once; retry shortly.
    #[error("too many large files are being prepared for download; try again shortly")]
    Busy,
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::Store(err.into())
    }
}

/// An extraction in progress: its scratch file and its progress.
type Extraction = (Arc<std::fs::File>, watch::Receiver<Written>);

/// The cache of extracted blobs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Blobs {
    store: Store,
    dir: PathBuf,
    extracting: Arc<Mutex<HashMap<Oid, Extraction>>>,
}

impl Blobs {
    /// The cache at `dir`, emptied (created when missing).
    pub fn open(dir: PathBuf, store: Store) -> std::io::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            store,
            dir,
            extracting: Arc::default(),
        })
    }

    /// A reader of blob `blob` (of `size` bytes, held by design `design`): the cached file, or
    /// the file being extracted (this call starts the extraction when no one has).
    pub async fn get(&self, design: &DesignId, blob: Oid, size: u64) -> Result<Tail, Error> {
        let (this, design) = (self.clone(), design.clone());
        work::run(Kind::Read, move || {
            this.open_or_extract(&design, blob, size)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    fn open_or_extract(&self, design: &DesignId, blob: Oid, size: u64) -> Result<Tail, Error> {
        let path = self.dir.join(blob.to_string());
        let mut extracting = self.extracting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((file, progress)) = extracting.get(&blob) {
            return Ok(Tail::new(file.clone(), progress.clone()));
        }
        if let Ok(file) = std::fs::File::open(&path)
            && file.metadata()?.len() == size
        {
            // Recently used: the last to be evicted.
            let _ = file.set_modified(std::time::SystemTime::now());
            return Ok(Tail::complete(file, size));
        }
        if extracting.len() >= MAX_EXTRACTIONS {
            return Err(Error::Busy);
        }
        let scratch = tempfile::Builder::new()
            .prefix(".extract-")
            .tempfile_in(&self.dir)?;
        let reader = Arc::new(scratch.as_file().try_clone()?);
        let (progress, receiver) = watch::channel(Written::default());
        extracting.insert(blob, (reader.clone(), receiver.clone()));
        drop(extracting);
        let (this, design) = (self.clone(), design.clone());
        // Called on a blocking thread of the runtime, which has a handle on it.
        tokio::runtime::Handle::current().spawn(async move {
            let worker = this.clone();
            // The extraction sets the final state; one that panics drops `progress`, which
            // readers take as a failure too.
            let done = work::run(Kind::Extract, move || {
                worker.extract(&design, blob, size, scratch, &progress, &path)
            })
            .await;
            match done {
                Ok(Ok(())) => {}
                Ok(Err(err)) => tracing::error!(%blob, error = %err, "extracting a blob failed"),
                Err(err) => tracing::error!(%blob, error = %err, "extracting a blob panicked"),
            }
            this.extracting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&blob);
        });
        Ok(Tail::new(reader, receiver))
    }

    fn extract(
        &self,
        design: &DesignId,
        blob: Oid,
        size: u64,
        mut scratch: tempfile::NamedTempFile,
        progress: &watch::Sender<Written>,
        path: &std::path::Path,
    ) -> store::Result<()> {
        let result = (|| {
            let mut written = 0u64;
            let streamed = self.store.stream_blob(design, blob, |chunk| {
                scratch.write_all(chunk)?;
                written += chunk.len() as u64;
                progress.send_modify(|w| w.bytes = written);
                Ok(())
            })?;
            if streamed != size {
                return Err(store::Error::Missing(format!(
                    "blob {blob} streamed {streamed} of {size} bytes"
                )));
            }
            scratch
                .persist(path)
                .map_err(|err| store::Error::Io(err.error))?;
            self.evict(path);
            Ok(())
        })();
        progress.send_modify(|w| {
            w.state = if result.is_ok() {
                State::Done
            } else {
                State::Failed
            }
        });
        result
    }

    /// Removes the least recently used files until the cache fits [`MAX_CACHE_BYTES`] (never
    /// `keep`, just written). Errors are logged: the cache is only a cache.
    fn evict(&self, keep: &std::path::Path) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((meta.modified().ok()?, meta.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, size, _)| size).sum();
        files.sort();
        for (_, size, path) in files {
            if total <= MAX_CACHE_BYTES {
                break;
            }
            if path != keep {
                match std::fs::remove_file(&path) {
                    Ok(()) => total -= size,
                    Err(err) => {
                        tracing::warn!(path = %path.display(), error = %err, "blob cache file not evicted")
                    }
                }
            }
        }
    }
}
