//! `cargo xtask bench fork`: fork time for designs of about 10 MB, 100 MB and 1 GB, beside
//! `git clone --mirror --no-hardlinks` (bare, every ref) of the same objects: the cost of a fork
//! that copies.
//! Fork time must not grow with the repository's size.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use backend::events::Events;
use backend::store::{Change, CommitRequest, DesignId, NewCommit, Person, Store};

const CHUNK: usize = 4 * 1024 * 1024;

/// Incompressible bytes from a xorshift generator (fast and reproducible).
fn random_chunk(seed: &mut u64, len: usize) -> Vec<u8> {
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

fn person(time: i64) -> Person {
    Person {
        name: "Bench".into(),
        email: "bench@example.org".into(),
        time,
    }
}

fn dir_size(path: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for entry in entries.flatten() {
            let meta = entry.metadata().unwrap();
            total += if meta.is_dir() {
                dir_size(&entry.path())
            } else {
                meta.len()
            };
        }
    }
    total
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let sizes: Vec<(&str, usize)> = match std::env::args().nth(1).as_deref() {
        Some("quick") => vec![("10 MB", 10 << 20), ("100 MB", 100 << 20)],
        _ => vec![
            ("10 MB", 10 << 20),
            ("100 MB", 100 << 20),
            ("1 GB", 1 << 30),
        ],
    };
    let target = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&target).unwrap();
    println!(
        "{:<8} {:>10} {:>12} {:>14} {:>10}",
        "size", "on disk", "fork (p50)", "git clone", "ratio"
    );
    for (label, size) in sizes {
        let dir = tempfile::tempdir_in(&target).unwrap();
        let store = Store::open(dir.path().join("store"), Events::new()).unwrap();
        let id = DesignId::new("bench", "big").unwrap();
        let mut head = store
            .create(
                &id,
                &[NewCommit {
                    author: person(1_700_000_000),
                    committer: person(1_700_000_000),
                    message: "Start\n".into(),
                    files: BTreeMap::from([("okh.toml".to_owned(), b"name = \"Big\"\n".to_vec())]),
                }],
            )
            .unwrap();
        // Fill it through the streaming upload path, 64 MiB per commit.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut written = 0usize;
        let mut n = 0;
        while written < size {
            let mut changes = Vec::new();
            let mut batch = 0;
            while batch < 64 << 20 && written < size {
                let len = CHUNK.min(size - written);
                let chunk = random_chunk(&mut seed, len);
                let (blob, _) = store.upload(&id, [Ok::<_, ()>(chunk)]).unwrap().unwrap();
                changes.push(Change::PutBlob {
                    path: format!("data/part-{n:05}.bin"),
                    blob,
                });
                n += 1;
                batch += len;
                written += len;
            }
            head = store
                .commit_changes(
                    &id,
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
        let pool = std::fs::read_dir(dir.path().join("store/networks"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let on_disk = dir_size(&pool);

        let mut forks = Vec::new();
        for i in 0..7 {
            let fork = DesignId::new("forker", &format!("big-{i}")).unwrap();
            let started = Instant::now();
            store.fork(&id, &fork).unwrap();
            forks.push(started.elapsed());
        }
        let fork = median(forks);

        let clone_dir = dir.path().join("clone.git");
        let started = Instant::now();
        let status = Command::new("git")
            .args(["clone", "--quiet", "--mirror", "--no-hardlinks"])
            .arg(&pool)
            .arg(&clone_dir)
            .status()
            .unwrap();
        let clone = started.elapsed();
        assert!(status.success(), "git clone failed");
        println!(
            "{:<8} {:>7.0} MB {:>9.2} ms {:>11.1} ms {:>9.0}x",
            label,
            on_disk as f64 / 1e6,
            fork.as_secs_f64() * 1e3,
            clone.as_secs_f64() * 1e3,
            clone.as_secs_f64() / fork.as_secs_f64()
        );
    }
}
