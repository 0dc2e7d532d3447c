//! What the `fork` and `bundle` benchmarks share: reproducible content, and a big design
//! written through the store's streaming upload path.

use std::collections::BTreeMap;

use backend::store::{Change, CommitRequest, DesignId, NewCommit, Person, Store};
use git2::Oid;

/// Each part of a big design.
pub const PART: usize = 4 << 20;

/// Incompressible bytes from a xorshift generator (fast and reproducible).
pub fn random_bytes(seed: &mut u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn person(time: i64) -> Person {
    Person {
        name: "Bench".into(),
        email: "bench@example.org".into(),
        time,
    }
}

/// Creates `id` with `okh` as its manifest, then adds about `size` bytes of parts, 64 MiB per
/// commit; `part(n, seed, len)` gives the path and content of part `n`. The head.
pub fn big_design(
    store: &Store,
    id: &DesignId,
    okh: &str,
    size: usize,
    mut part: impl FnMut(usize, &mut u64, usize) -> (String, Vec<u8>),
) -> Oid {
    let mut head = store
        .create(
            id,
            &[NewCommit {
                author: person(1_700_000_000),
                committer: person(1_700_000_000),
                message: "Start\n".into(),
                files: BTreeMap::from([("okh.toml".to_owned(), okh.as_bytes().to_vec())]),
            }],
        )
        .unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let (mut written, mut n) = (0usize, 0usize);
    while written < size {
        let mut changes = Vec::new();
        let mut batch = 0;
        while batch < 64 << 20 && written < size {
            let len = PART.min(size - written);
            let (path, bytes) = part(n, &mut seed, len);
            let (blob, _) = store.upload(id, [Ok::<_, ()>(bytes)]).unwrap().unwrap();
            changes.push(Change::PutBlob {
                path,
                blob,
                mode: None,
            });
            n += 1;
            batch += len;
            written += len;
        }
        head = store
            .commit_changes(
                id,
                &CommitRequest {
                    branch: "main".into(),
                    expected_head: head,
                    author: person(1_700_000_000 + n as i64),
                    message: format!("Add {n} parts\n"),
                    changes,
                },
            )
            .unwrap();
    }
    head
}
