//! A file being written by one job and read by any number of requests, each at its own pace:
//! the writer publishes how many bytes are written ([`Written`]); a [`Tail`] reads up to there,
//! waits for more, and ends when the writer is done.
//!
//! Invariant: a tail ends its stream cleanly only once every byte asked for was read: for the
//! whole file, once the writer finished successfully; for a range, once the range's bytes are
//! written (a correct prefix is all a range needs). A writer that failed (or vanished) first
//! ends it with an error, so a client never takes a short file for a whole one. The writer
//! never waits for a reader.

use std::io;
use std::os::unix::fs::FileExt as _;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::watch;

use crate::work::{self, Kind};

/// How much is read (and handed on) at a time.
pub const CHUNK: u64 = 64 * 1024;

/// How far the writer got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Bytes of the file that are written and readable.
    pub bytes: u64,
    pub state: State,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum State {
    #[default]
    Writing,
    Done,
    Failed,
}

/// A reader of a file that may still be growing: a handle of its own (which outlives a rename
/// of the file) and the writer's progress.
#[derive(Debug)]
pub struct Tail {
    file: Arc<std::fs::File>,
    progress: watch::Receiver<Written>,
}

impl Tail {
    pub fn new(file: Arc<std::fs::File>, progress: watch::Receiver<Written>) -> Self {
        Self { file, progress }
    }

    /// A finished file of `size` bytes.
    pub fn complete(file: std::fs::File, size: u64) -> Self {
        let (_, progress) = watch::channel(Written {
            bytes: size,
            state: State::Done,
        });
        Self::new(Arc::new(file), progress)
    }

    /// The whole file, in chunks of at most [`CHUNK`], as fast as the writer writes them and
    /// the caller takes them; an error at the end if the writer failed.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send {
        self.range(0, None)
    }

    /// Bytes `start..end` of the file (`None`: to its end), as [`Tail::into_stream`].
    pub fn range(
        self,
        start: u64,
        end: Option<u64>,
    ) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send {
        futures_util::stream::unfold((Some(self), start), move |(tail, offset)| async move {
            let mut tail = tail?;
            loop {
                let written = *tail.progress.borrow_and_update();
                if end.is_some_and(|end| offset >= end) {
                    return None;
                }
                let available = end.map_or(written.bytes, |end| written.bytes.min(end));
                if offset < available {
                    let len = (available - offset).min(CHUNK) as usize;
                    let file = tail.file.clone();
                    let read = work::run(Kind::Read, move || {
                        let mut chunk = vec![0u8; len];
                        file.read_exact_at(&mut chunk, offset).map(|()| chunk)
                    })
                    .await
                    .map_err(io::Error::other)
                    .and_then(|read| read);
                    return Some(match read {
                        Ok(chunk) => (Ok(Bytes::from(chunk)), (Some(tail), offset + len as u64)),
                        Err(err) => (Err(err), (None, offset)),
                    });
                }
                match written.state {
                    State::Done if end.is_none_or(|end| end <= written.bytes) => return None,
                    State::Writing => {
                        if tail.progress.changed().await.is_err()
                            && tail.progress.borrow().state == State::Writing
                        {
                            break;
                        }
                    }
                    // Done short of the range's end, or failed.
                    State::Done | State::Failed => break,
                }
            }
            Some((
                Err(io::Error::other("the file was not written to its end")),
                (None, offset),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt as _;
    use std::io::Write as _;

    async fn collect(
        stream: impl futures_util::Stream<Item = io::Result<Bytes>>,
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut stream = std::pin::pin!(stream);
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_follow_a_growing_file_and_see_a_failure_as_an_error() {
        let mut file = tempfile::tempfile().unwrap();
        let reader = Arc::new(file.try_clone().unwrap());
        let (progress, _) = watch::channel(Written::default());
        let whole = Tail::new(reader.clone(), progress.subscribe());
        let middle = Tail::new(reader.clone(), progress.subscribe());
        let whole = tokio::spawn(collect(whole.into_stream()));
        let middle = tokio::spawn(collect(middle.range(100_000, Some(100_010))));
        let data: Vec<u8> = (0..300_000u32).map(|n| (n % 251) as u8).collect();
        for piece in data.chunks(70_000) {
            file.write_all(piece).unwrap();
            progress.send_modify(|w| w.bytes += piece.len() as u64);
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        progress.send_modify(|w| w.state = State::Done);
        assert_eq!(whole.await.unwrap().unwrap(), data);
        assert_eq!(middle.await.unwrap().unwrap(), &data[100_000..100_010]);

        // A writer that fails, or goes away, ends every reader with an error.
        let failing = Tail::new(reader.clone(), progress.subscribe());
        let (vanishing, receiver) = watch::channel(Written::default());
        let vanished = Tail::new(reader, receiver);
        progress.send_modify(|w| w.state = State::Failed);
        drop(vanishing);
        assert!(collect(failing.into_stream()).await.is_err());
        assert!(collect(vanished.into_stream()).await.is_err());
    }
}
