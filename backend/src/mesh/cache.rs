//! Models prepared for the viewer (by blob id) and their pictures (by commit), kept in memory
//! (derived: rebuilt on demand). **Invariant:** at most a cache's limit of bytes is held
//! ([`MAX_BYTES`] for meshes); the least recently used go first, and a hit costs O(1).

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

/// What an entry costs the cache, in bytes.
pub trait Weighed {
    fn weight(&self) -> usize;
}

impl Weighed for Prepared {
    fn weight(&self) -> usize {
        self.mesh.len()
    }
}

impl Weighed for Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// Entries by key, at most `limit` bytes of them, the least recently used evicted first.
#[derive(Debug, Clone)]
pub struct Cache<T = Prepared> {
    inner: Arc<Mutex<Inner<T>>>,
    limit: usize,
}

#[derive(Debug)]
struct Inner<T> {
    /// Each entry with the stamp of its last use.
    entries: HashMap<String, (Arc<T>, u64)>,
    /// Uses, oldest first; a use whose stamp is not its entry's is stale and skipped.
    uses: VecDeque<(String, u64)>,
    stamp: u64,
    bytes: usize,
}

impl Default for Cache<Prepared> {
    fn default() -> Self {
        Self::new(MAX_BYTES)
    }
}

impl<T: Weighed> Cache<T> {
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                entries: HashMap::new(),
                uses: VecDeque::new(),
                stamp: 0,
                bytes: 0,
            })),
            limit,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.stamp += 1;
        let stamp = inner.stamp;
        let (found, used) = inner.entries.get_mut(key)?;
        *used = stamp;
        let found = found.clone();
        inner.uses.push_back((key.to_owned(), stamp));
        inner.compact();
        Some(found)
    }

    pub fn insert(&self, key: String, value: Arc<T>) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let weight = value.weight();
        if inner.entries.contains_key(&key) || weight > self.limit {
            return;
        }
        inner.stamp += 1;
        let stamp = inner.stamp;
        inner.bytes += weight;
        inner.entries.insert(key.clone(), (value, stamp));
        inner.uses.push_back((key, stamp));
        while inner.bytes > self.limit {
            let Some((oldest, stamp)) = inner.uses.pop_front() else {
                break;
            };
            if inner
                .entries
                .get(&oldest)
                .is_some_and(|(_, used)| *used == stamp)
                && let Some((gone, _)) = inner.entries.remove(&oldest)
            {
                inner.bytes -= gone.weight();
            }
        }
    }
}

impl<T> Inner<T> {
    /// Drops stale uses once they outnumber the entries (hits stay O(1) amortized).
    fn compact(&mut self) {
        if self.uses.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.uses
                .retain(|(key, stamp)| entries.get(key).is_some_and(|(_, used)| used == stamp));
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

    #[test]
    fn the_least_recently_used_go_first() {
        let cache: Cache<Bytes> = Cache::new(30);
        for key in ["a", "b", "c"] {
            cache.insert(key.into(), Arc::new(Bytes::from(vec![0; 10])));
        }
        // Many hits on "a" keep it; "b" is then the oldest.
        for _ in 0..500 {
            assert!(cache.get("a").is_some());
        }
        cache.insert("d".into(), Arc::new(Bytes::from(vec![0; 10])));
        assert!(cache.get("b").is_none());
        for key in ["a", "c", "d"] {
            assert!(cache.get(key).is_some(), "{key}");
        }
        // Too big for the whole cache: not kept.
        cache.insert("e".into(), Arc::new(Bytes::from(vec![0; 31])));
        assert!(cache.get("e").is_none());
        assert!(cache.inner.lock().unwrap().uses.len() < 200);
    }
}
