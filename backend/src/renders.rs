//! OpenSCAD files of a design rendered at a commit: the design's OpenSCAD inputs at that
//! commit written to a fresh [`scad::Workdir`], then rendered there in the sandbox. What the
//! model routes and bundles share; blocking. **Invariant:** at most [`MAX_INPUT`] bytes of
//! design files are written for one render, and only files OpenSCAD may read.

use std::collections::BTreeMap;

use git2::Oid;

use crate::scad;
use crate::store::{self, DesignId, Store};

/// The most bytes of design files written for one render.
pub const MAX_INPUT: u64 = 128 << 20;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Scad(#[from] scad::Error),
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::Scad(scad::Error::Io(err))
    }
}

/// `file` of `id` at `commit` rendered with `values`: a binary STL. Blocking.
pub fn render(
    store: &Store,
    id: &DesignId,
    commit: Oid,
    file: &str,
    values: &BTreeMap<String, scad::Value>,
    limits: &scad::Limits,
) -> Result<Vec<u8>, Error> {
    let work = scad::Workdir::new()?;
    let mut total = 0u64;
    store.read_files::<Error>(id, commit, "", |entry, reader| {
        if !scad::is_input(&entry.path) || total + entry.size > MAX_INPUT {
            return Ok(());
        }
        total += entry.size;
        let mut bytes = Vec::with_capacity(entry.size as usize);
        std::io::Read::read_to_end(reader, &mut bytes)?;
        work.write(&entry.path, &bytes)?;
        Ok(())
    })?;
    Ok(scad::render(&work, file, values, limits)?)
}
