//! A build's bytes on their way out: the builder writes the scratch file at full speed and
//! publishes how much of it is written; requesters read ([`Tail`]) the file as it grows, each at
//! its own pace.
//!
//! Invariant: the builder never waits for a reader, so a reader that stops reading delays no
//! build (and no one waiting for a build slot); a reader sees the end of the body only once the
//! build succeeded, and an error otherwise, never a short archive.

use std::io::{self, Write};
use std::os::unix::fs::FileExt as _;

use super::*;

/// How far a build got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Written {
    /// Bytes of the scratch file that are written and readable.
    pub(super) bytes: u64,
    pub(super) state: State,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum State {
    #[default]
    Building,
    Done,
    Failed,
}

/// Where a build's bytes go: the scratch file, the archive's hash, and the published count of
/// bytes that readers may take.
pub(super) struct Sink<'a> {
    pub(super) file: BufWriter<&'a std::fs::File>,
    pub(super) hasher: Sha256,
    pub(super) progress: Option<Arc<watch::Sender<Written>>>,
    pub(super) size: u64,
    pub(super) published: u64,
}

impl Sink<'_> {
    /// Makes everything written so far readable.
    fn publish(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.published = self.size;
        if let Some(progress) = &self.progress {
            let bytes = self.size;
            progress.send_modify(|written| written.bytes = bytes);
        }
        Ok(())
    }

    /// Flushes everything; the archive's size and sha256.
    pub(super) fn finish(mut self) -> io::Result<(u64, String)> {
        self.publish()?;
        Ok((self.size, hex(&self.hasher.finalize())))
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write_all(buf)?;
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        if self.progress.is_some() && self.size - self.published >= CHUNK as u64 {
            self.publish()?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A reader of a bundle being built: the scratch file (a handle of its own, which outlives the
/// rename into the cache) and the build's progress.
#[derive(Debug)]
pub struct Tail {
    pub(super) file: Arc<std::fs::File>,
    pub(super) progress: watch::Receiver<Written>,
}

impl Tail {
    /// The archive's bytes, in chunks of at most 64 KiB, as fast as the build writes them and
    /// the caller takes them; an error at the end if the build failed.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send {
        futures_util::stream::unfold((Some(self), 0u64), |(tail, offset)| async move {
            let mut tail = tail?;
            loop {
                let written = *tail.progress.borrow_and_update();
                if offset < written.bytes {
                    let len = (written.bytes - offset).min(CHUNK as u64) as usize;
                    let file = tail.file.clone();
                    let read = crate::work::run(crate::work::Kind::Read, move || {
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
                    State::Done => return None,
                    State::Failed => break,
                    State::Building => {
                        if tail.progress.changed().await.is_err()
                            && tail.progress.borrow().state != State::Done
                        {
                            break;
                        }
                    }
                }
            }
            Some((
                Err(io::Error::other("the bundle build did not finish")),
                (None, offset),
            ))
        })
    }
}
