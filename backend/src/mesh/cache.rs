//! Models prepared for the viewer, kept in memory by blob id (derived: rebuilt on demand).
//! **Invariant:** at most [`MAX_BYTES`] of prepared meshes are held; the least recently used
//! go first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::{Error, Format, MAX_SHOWN, Stats};

/// The most bytes of prepared meshes kept.
pub const MAX_BYTES: usize = 512 << 20;

/// A model measured in full and ready to draw.
#[derive(Debug)]
pub struct Prepared {
    pub format: Format,
    pub stats: Stats,
    /// The triangles in `mesh` (fewer than `stats.triangles` when simplified).
    pub shown: usize,
    /// Nine little-endian `f32`s per triangle.
    pub mesh: Bytes,
}

impl Prepared {
    /// Parses, measures and (if too dense) simplifies a model file. Blocking.
    pub fn new(format: Format, bytes: &[u8]) -> Result<Self, Error> {
        let mesh = super::parse(format, bytes)?;
        let stats = mesh.stats().ok_or(Error::Empty)?;
        let shown = mesh.simplified(MAX_SHOWN);
        Ok(Self {
            format,
            stats,
            shown: shown.triangles.len(),
            mesh: Bytes::from(shown.to_le_bytes()),
        })
    }
}

#[derive(Debug, Default, Clone)]
pub struct Cache {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Arc<Prepared>>,
    /// Keys, least recently used first.
    order: VecDeque<String>,
    bytes: usize,
}

impl Cache {
    pub fn get(&self, key: &str) -> Option<Arc<Prepared>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let found = inner.entries.get(key).cloned()?;
        inner.order.retain(|k| k != key);
        inner.order.push_back(key.to_owned());
        Some(found)
    }

    pub fn insert(&self, key: String, prepared: Arc<Prepared>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.entries.contains_key(&key) || prepared.mesh.len() > MAX_BYTES {
            return;
        }
        inner.bytes += prepared.mesh.len();
        inner.entries.insert(key.clone(), prepared);
        inner.order.push_back(key);
        while inner.bytes > MAX_BYTES {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.mesh.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::stl::tests::binary_stl;
    use crate::mesh::tests::cuboid;

    #[test]
    fn a_prepared_model_keeps_its_full_measurements() {
        let bytes = binary_stl(&cuboid([5.0, 6.0, 7.0]), b"bin");
        let prepared = Prepared::new(Format::Stl, &bytes).unwrap();
        assert_eq!((prepared.stats.triangles, prepared.shown), (12, 12));
        assert_eq!(prepared.mesh.len(), 12 * 36);
        let cache = Cache::default();
        cache.insert("a".into(), Arc::new(prepared));
        assert_eq!(cache.get("a").unwrap().stats.size(), [5.0, 6.0, 7.0]);
        assert!(cache.get("b").is_none());
    }
}
