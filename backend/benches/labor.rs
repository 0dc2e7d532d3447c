//! `cargo xtask bench labor`: a synthetic fork network of 1,000,000 commits in 100 forks
//! (written with `git fast-import`), then the full ledger recompute and the incremental cost of
//! one new commit. `cargo xtask bench labor quick` uses 100,000 commits.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backend::events::{Events, RefChange};
use backend::labor::{Labor, Policy};
use backend::store::{Change, CommitRequest, DesignId, NewCommit, Person, Store};

const FORKS: usize = 100;

fn person(n: usize, time: i64) -> Person {
    Person {
        name: format!("Maker {n}"),
        email: format!("maker{n}@example.org"),
        time,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let total: usize = if quick { 100_000 } else { 1_000_000 };
    let per_fork = total / FORKS;
    let tmp = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&tmp).unwrap();
    let dir = tempfile::tempdir_in(&tmp).unwrap();
    let data = dir.path().to_owned();
    let store = Store::open(data.join("store"), Events::new()).unwrap();
    let root = DesignId::new("bench", "machine").unwrap();
    let root_head = store
        .create(
            &root,
            &[NewCommit {
                author: person(0, 1_600_000_000),
                committer: person(0, 1_600_000_000),
                message: "Start\n\nLabor-Hours: 1\nLabor-Type: design\n".into(),
                files: [(
                    "okh.toml".to_owned(),
                    b"name = \"Machine\"\nbom = \"bom.csv\"\n".to_vec(),
                )]
                .into(),
            }],
        )
        .unwrap();
    let network = store.lineage(&root).unwrap().network;
    let pool = data.join(format!("store/networks/{network}.git"));

    // Write the history with fast-import: one branch per fork, half of the commits declaring
    // their work, the others left to the path rules.
    let started = Instant::now();
    let mut child = Command::new("git")
        .args([
            "--git-dir",
            pool.to_str().unwrap(),
            "fast-import",
            "--quiet",
        ])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = std::io::BufWriter::new(child.stdin.take().unwrap());
        let mut mark = 0usize;
        for f in 0..FORKS {
            for i in 0..per_fork {
                mark += 1;
                let who = (f * 7 + i) % 50;
                let time = 1_600_000_000 + (f * per_fork + i) as i64;
                let (path, message) = match i % 4 {
                    0 => (
                        format!("f{f}/part.scad"),
                        format!(
                            "Step {i}\n\nLabor-Hours: {}\nLabor-Type: design\n",
                            1 + i % 5
                        ),
                    ),
                    1 => (
                        format!("f{f}/notes.md"),
                        format!("Notes {i}\n\nLabor-Hours: 2\n"),
                    ),
                    2 => ("bom.csv".to_owned(), format!("Parts {i}\n")),
                    _ => (
                        format!("f{f}/part.scad"),
                        format!(
                            "Tweak {i}\n\nLabor-Hours: 1\nLabor-Type: testing\nCo-authored-by: Maker {0} <maker{0}@example.org>\n",
                            (who + 1) % 50
                        ),
                    ),
                };
                let content = format!("{f} {i}\n");
                writeln!(stdin, "commit refs/heads/f{f}").unwrap();
                writeln!(stdin, "mark :{mark}").unwrap();
                writeln!(
                    stdin,
                    "author Maker {who} <maker{who}@example.org> {time} +0000"
                )
                .unwrap();
                writeln!(
                    stdin,
                    "committer Maker {who} <maker{who}@example.org> {time} +0000"
                )
                .unwrap();
                writeln!(stdin, "data {}\n{message}", message.len()).unwrap();
                if i == 0 {
                    writeln!(stdin, "from {root_head}").unwrap();
                }
                writeln!(
                    stdin,
                    "M 100644 inline {path}\ndata {}\n{content}",
                    content.len()
                )
                .unwrap();
            }
        }
    }
    assert!(child.wait().unwrap().success(), "fast-import failed");
    let written = started.elapsed();

    // 100 forks, each pointing at its branch.
    for f in 0..FORKS {
        let fork = DesignId::new(&format!("forker{f}"), "machine").unwrap();
        store.fork(&root, &fork).unwrap();
        let tip = Command::new("git")
            .args([
                "--git-dir",
                pool.to_str().unwrap(),
                "rev-parse",
                &format!("refs/heads/f{f}"),
            ])
            .output()
            .unwrap();
        let tip = String::from_utf8(tip.stdout).unwrap();
        let member = data.join(format!("store/repos/forker{f}/machine.git"));
        let status = Command::new("git")
            .args([
                "--git-dir",
                member.to_str().unwrap(),
                "update-ref",
                "refs/heads/main",
                tip.trim(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
    println!(
        "synthetic network: {total} commits in {FORKS} forks, written in {:.1} s",
        written.as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = backend::db::open(&backend::db::Location::in_data(&data))
            .await
            .unwrap();
        let labor = Labor::new(db, store.clone(), Policy::default_policy());
        let started = Instant::now();
        let entries = labor.recompute().await.unwrap();
        let full = started.elapsed();
        println!(
            "full recompute: {entries} entries in {:.1} s ({:.0} commits/s)",
            full.as_secs_f64(),
            total as f64 / full.as_secs_f64()
        );

        let fork = DesignId::new("forker7", "machine").unwrap();
        let mut times: Vec<Duration> = Vec::new();
        for n in 0..7 {
            let old = store.resolve(&fork, "main").unwrap();
            let new = store
                .commit_changes(
                    &fork,
                    &CommitRequest {
                        branch: "main".into(),
                        expected_head: old,
                        author: person(3, 1_700_000_000 + n),
                        message: format!(
                            "One more change {n}\n\nLabor-Hours: 1\nLabor-Type: design"
                        ),
                        changes: vec![Change::Put {
                            path: format!("extra-{n}.scad"),
                            content: b"cube(1);".to_vec(),
                            mode: None,
                        }],
                    },
                )
                .unwrap();
            let started = Instant::now();
            labor
                .apply(&RefChange {
                    design: fork.clone(),
                    refname: "refs/heads/main".into(),
                    old: Some(old),
                    new: Some(new),
                })
                .await
                .unwrap();
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "incremental, one new commit: p50 {:.1} ms, max {:.1} ms",
            times[times.len() / 2].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3
        );
    });
}
