//! A build's bytes on their way out: the builder writes the scratch file at full speed and
//! publishes how much of it is written; requesters read it as it grows ([`crate::tail`]).
//!
//! Invariant: the builder never waits for a reader, so a reader that stops reading delays no
//! build (and no one waiting for a build slot).

use std::io::{self, Write};

use super::*;

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
