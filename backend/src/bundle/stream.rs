//! The first requester's stream: archive bytes go to the cache file and, in chunks over a
//! bounded channel, to whoever asked first; a requester that stops reading is dropped.

use std::io::{self, Write};

use super::*;

/// The first requester of a bundle, fed while it is built.
pub(super) struct Listener {
    pub(super) chunks: mpsc::Sender<io::Result<Bytes>>,
    pub(super) complete: Arc<AtomicBool>,
}

/// Where a build's bytes go: the scratch file, the archive's hash and, while the first
/// requester keeps up, its response in chunks.
pub(super) struct Sink<'a> {
    pub(super) file: BufWriter<&'a std::fs::File>,
    pub(super) hasher: Sha256,
    pub(super) chunk: Vec<u8>,
    pub(super) listener: Option<Listener>,
    pub(super) size: u64,
}

impl Sink<'_> {
    pub(super) fn send_chunk(&mut self) {
        if self.chunk.is_empty() {
            return;
        }
        let Some(listener) = &self.listener else {
            self.chunk.clear();
            return;
        };
        let mut chunk = Bytes::from(std::mem::replace(
            &mut self.chunk,
            Vec::with_capacity(CHUNK),
        ));
        let since = Instant::now();
        loop {
            match listener.chunks.try_send(Ok(chunk)) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(Ok(back))) if since.elapsed() < STALL => {
                    chunk = back;
                    std::thread::sleep(Duration::from_millis(2));
                }
                // Gone, or too slow: the build goes on for the cache and the waiters.
                Err(_) => {
                    self.listener = None;
                    return;
                }
            }
        }
    }

    /// Flushes everything; the archive's size and sha256.
    pub(super) fn finish(mut self) -> io::Result<(u64, String)> {
        self.send_chunk();
        self.file.flush()?;
        if let Some(listener) = &self.listener {
            listener.complete.store(true, Ordering::Release);
        }
        Ok((self.size, hex(&self.hasher.finalize())))
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write_all(buf)?;
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        if self.listener.is_some() {
            self.chunk.extend_from_slice(buf);
            if self.chunk.len() >= CHUNK {
                self.send_chunk();
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
