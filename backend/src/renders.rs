//! The models of a design at a commit: which one stands for the design ([`main_model`]: the
//! manifest's first part export or source that is a model, else the first model file in the
//! tree), and OpenSCAD files rendered ([`render`]: the design's OpenSCAD inputs at that commit
//! written to a fresh [`scad::Workdir`], then rendered there in the sandbox). What the model
//! routes, pictures and bundles share; blocking. **Invariant:** at most [`MAX_INPUT`] bytes of
//! design files are written for one render, and only files OpenSCAD may read.

use std::collections::BTreeMap;

use git2::Oid;

use crate::mesh::Format;
use crate::scad;
use crate::store::{self, DesignId, EntryKind, Store};

/// The most folders looked through for a model file.
const MAX_FOLDERS: usize = 200;

/// Whether the viewer shows `path`: an STL, OBJ, 3MF or OpenSCAD file.
pub fn is_model(path: &str) -> bool {
    Format::of_path(path).is_some() || is_scad(path)
}

pub fn is_scad(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("scad"))
}

/// The model that stands for `id` at `commit`: the manifest's first part export that is a
/// model, else its first such source, else the first model file of the tree (meshes before
/// OpenSCAD files, shallower before deeper, by name). `None` when there is none.
pub fn main_model(
    store: &Store,
    id: &DesignId,
    commit: Oid,
) -> Result<Option<String>, store::Error> {
    let at = commit.to_string();
    let exists = |path: &str| store.file_header(id, &at, path).is_ok();
    if let Ok((_, text)) = store.file(id, &at, store::MANIFEST_PATH)
        && let Ok(manifest) = crate::manifest::parse(&String::from_utf8_lossy(&text))
    {
        let parts = &manifest.part;
        let exports = parts.iter().flat_map(|p| p.export.0.iter());
        let sources = parts.iter().flat_map(|p| p.source.0.iter());
        for path in exports.chain(sources) {
            let path = path.trim().trim_start_matches("./").trim_start_matches('/');
            if is_model(path) && exists(path) {
                return Ok(Some(path.to_owned()));
            }
        }
    }
    let mut folders = std::collections::VecDeque::from([String::new()]);
    let mut seen = 0;
    let mut scad = None;
    while let Some(folder) = folders.pop_front() {
        seen += 1;
        if seen > MAX_FOLDERS {
            break;
        }
        let (_, mut entries) = store.tree(id, &at, &folder)?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in entries {
            match entry.kind {
                EntryKind::Dir => folders.push_back(entry.path),
                EntryKind::File if Format::of_path(&entry.path).is_some() => {
                    return Ok(Some(entry.path));
                }
                EntryKind::File if is_scad(&entry.path) && scad.is_none() => {
                    scad = Some(entry.path);
                }
                _ => {}
            }
        }
    }
    Ok(scad)
}

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
    render_as(store, id, commit, file, values, limits, scad::Export::Stl)
}

/// [`render`] to another format (an SVG of a 2D design).
pub fn render_as(
    store: &Store,
    id: &DesignId,
    commit: Oid,
    file: &str,
    values: &BTreeMap<String, scad::Value>,
    limits: &scad::Limits,
    export: scad::Export,
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
    Ok(scad::render_as(&work, file, values, limits, export)?)
}
