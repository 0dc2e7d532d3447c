//! `cargo xtask bench fork`: fork time for designs of about 10 MB, 100 MB and 1 GB, beside
//! `git clone --mirror --no-hardlinks` (bare, every ref) of the same objects: the cost of a fork
//! that copies.
//! Fork time must not grow with the repository's size.

use std::process::Command;
use std::time::{Duration, Instant};

use backend::events::Events;
use backend::store::{DesignId, Store};

mod common;

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
        // Filled through the streaming upload path.
        common::big_design(&store, &id, "name = \"Big\"\n", size, |n, seed, len| {
            (
                format!("data/part-{n:05}.bin"),
                common::random_bytes(seed, len),
            )
        });
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
