//! Store tests over deterministic histories (fixed signatures and times, so ids are constants).

use std::process::Command;

use super::*;

fn ada(time: i64) -> Person {
    Person {
        name: "Ada".into(),
        email: "ada@example.org".into(),
        time,
    }
}

fn snapshot(time: i64, files: &[(&str, &str)]) -> NewCommit {
    NewCommit {
        author: ada(time),
        committer: ada(time),
        message: format!("Commit at {time}\n"),
        files: files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect(),
    }
}

fn id(name: &str) -> DesignId {
    DesignId::parse(name).unwrap()
}

struct Fixture {
    store: Store,
    events: Announced,
    _dir: tempfile::TempDir,
}

/// Reads the ref changes the store appended to its (in-memory) log, one at a time.
struct Announced {
    events: Events,
    seen: i64,
}

impl Announced {
    fn try_recv(&mut self) -> Result<crate::events::RefChange, &'static str> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        loop {
            let batch = runtime.block_on(self.events.after(self.seen, 1)).unwrap();
            let event = batch.events.into_iter().next().ok_or("no event")?;
            self.seen = event.seq;
            if let Some(change) = event.ref_change() {
                return Ok(change);
            }
        }
    }
}

/// `ada/lamp` with two commits.
fn fixture() -> (Fixture, Oid) {
    let dir = tempfile::tempdir().unwrap();
    let events = Events::new();
    let rx = Announced {
        events: events.clone(),
        seen: 0,
    };
    let store = Store::open(dir.path(), events).unwrap();
    let head = store
        .create(
            &id("ada/lamp"),
            &[
                snapshot(1_700_000_000, &[("okh.toml", "name = \"Lamp\"\n")]),
                snapshot(
                    1_700_000_100,
                    &[
                        ("okh.toml", "name = \"Lamp\"\n"),
                        ("parts/shade/shade.scad", "sphere(10);\n"),
                    ],
                ),
            ],
        )
        .unwrap();
    (
        Fixture {
            store,
            events: rx,
            _dir: dir,
        },
        head,
    )
}

fn edit(head: Oid, time: i64, changes: Vec<Change>) -> CommitRequest {
    CommitRequest {
        branch: "main".into(),
        expected_head: head,
        author: Person {
            name: "Grace".into(),
            email: "grace@example.org".into(),
            time,
        },
        message: format!("Edit at {time}\n\nLabor-Hours: 2\nLabor-Type: design"),
        changes,
    }
}

fn put(path: &str, content: &str) -> Change {
    Change::Put {
        path: path.into(),
        content: content.as_bytes().to_vec(),
        mode: None,
    }
}

fn git(args: &[&str]) -> String {
    let out = Command::new("git").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn create_writes_deterministic_history_and_announces_it() {
    let (mut f, head) = fixture();
    // Fixed signatures and times give a fixed id.
    assert_eq!(head.to_string(), "4983a1844950ed1330fd4b8595a3c047b70f2ab9");
    let record = f.store.record(&id("ada/lamp")).unwrap();
    assert_eq!(record.head, head);
    assert_eq!(record.updated, 1_700_000_100);
    assert_eq!(record.manifest.unwrap().name.as_deref(), Some("Lamp"));
    assert_eq!(record.lineage.parent, None);
    let change = f.events.try_recv().unwrap();
    assert_eq!(
        (
            change.design.to_string().as_str(),
            change.refname.as_str(),
            change.old,
            change.new
        ),
        ("ada/lamp", "refs/heads/main", None, Some(head))
    );
    assert!(matches!(
        f.store
            .create(&id("ada/lamp"), &[snapshot(1, &[("a", "b")])]),
        Err(Error::AlreadyExists(_))
    ));
    assert_eq!(f.store.ids().unwrap(), [id("ada/lamp")]);

    // The stock git client reads the member through its alternates.
    let member = f.store.repo_path(&id("ada/lamp"));
    let member = member.to_str().unwrap();
    assert_eq!(
        git(&["--git-dir", member, "rev-parse", "main"]).trim(),
        head.to_string()
    );
    assert_eq!(
        git(&["--git-dir", member, "show", "main:parts/shade/shade.scad"]),
        "sphere(10);\n"
    );
}

#[test]
fn a_fork_shares_objects_and_records_its_lineage() {
    let (f, head) = fixture();
    let forked_head = f.store.fork(&id("ada/lamp"), &id("bob/lamp")).unwrap();
    assert_eq!(forked_head, head);
    let lineage = f.store.lineage(&id("bob/lamp")).unwrap();
    assert_eq!(lineage.parent, Some((id("ada/lamp"), head)));
    assert_eq!(
        lineage.network,
        f.store.lineage(&id("ada/lamp")).unwrap().network
    );
    assert_eq!(f.store.forks(&id("ada/lamp")).unwrap(), [id("bob/lamp")]);

    // O(1): the fork's own object directory holds no object at all.
    let objects = f.store.repo_path(&id("bob/lamp")).join("objects");
    let count = walk_files(&objects)
        .into_iter()
        .filter(|p| !p.ends_with("info/alternates"))
        .count();
    assert_eq!(count, 0);
    assert!(matches!(
        f.store.fork(&id("ada/lamp"), &id("bob/lamp")),
        Err(Error::AlreadyExists(_))
    ));
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn commits_apply_all_changes_atomically_and_detect_conflicts() {
    let (mut f, head) = fixture();
    let lamp = id("ada/lamp");
    let _ = f.events.try_recv();
    let commit = f
        .store
        .commit_changes(
            &lamp,
            &edit(
                head,
                1_700_000_200,
                vec![
                    put("README.md", "# Lamp\n"),
                    Change::Move {
                        from: "parts/shade/shade.scad".into(),
                        to: "cad/shade.scad".into(),
                    },
                ],
            ),
        )
        .unwrap();
    assert_eq!(
        commit.to_string(),
        "30f1b5e65c60e15de753ebff99f4cc78e52e43b4"
    );
    let change = f.events.try_recv().unwrap();
    assert_eq!((change.old, change.new), (Some(head), Some(commit)));
    let (_, root) = f.store.tree(&lamp, "main", "").unwrap();
    let names: Vec<&str> = root.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["cad", "okh.toml", "README.md"]);

    // A second writer still holding the old head gets a conflict; nothing changes.
    let stale = edit(head, 1_700_000_300, vec![put("README.md", "# Mine\n")]);
    match f.store.commit_changes(&lamp, &stale) {
        Err(Error::Conflict { branch, current }) => {
            assert_eq!((branch.as_str(), current), ("main", commit));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(f.store.resolve(&lamp, "main").unwrap(), commit);
    assert_eq!(
        f.store.file(&lamp, "main", "README.md").unwrap().1,
        b"# Lamp\n"
    );

    // A bad path anywhere refuses the whole commit.
    let bad = edit(
        commit,
        1_700_000_400,
        vec![put("ok.txt", "x"), put("../escape", "x")],
    );
    assert!(matches!(
        f.store.commit_changes(&lamp, &bad),
        Err(Error::InvalidPath(_))
    ));
    let missing = edit(
        commit,
        1_700_000_400,
        vec![Change::Delete {
            path: "nope.txt".into(),
        }],
    );
    assert!(matches!(
        f.store.commit_changes(&lamp, &missing),
        Err(Error::Invalid(_))
    ));
    assert_eq!(f.store.resolve(&lamp, "main").unwrap(), commit);

    // Trailers are read back.
    let detail = f.store.commit(&lamp, &commit.to_string()).unwrap();
    assert_eq!(
        detail.info.trailers,
        [
            ("Labor-Hours".to_owned(), "2".to_owned()),
            ("Labor-Type".to_owned(), "design".to_owned())
        ]
    );
    let statuses: Vec<(&str, &str)> = detail
        .files
        .iter()
        .map(|file| (file.path.as_str(), file.status))
        .collect();
    assert_eq!(
        statuses,
        [("README.md", "added"), ("cad/shade.scad", "renamed")]
    );
    let readme = &detail.files[0];
    assert_eq!(readme.hunks[0].lines[0].content, "# Lamp");
    assert_eq!(readme.hunks[0].lines[0].origin, '+');
}

#[test]
fn a_sibling_forks_commits_do_not_show_through_another_design() {
    let (f, head) = fixture();
    f.store.fork(&id("ada/lamp"), &id("bob/lamp")).unwrap();
    f.store.fork(&id("ada/lamp"), &id("cy/lamp")).unwrap();
    let bobs = f
        .store
        .commit_changes(
            &id("bob/lamp"),
            &edit(head, 1_700_000_500, vec![put("bob.txt", "bob\n")]),
        )
        .unwrap();
    let hex = bobs.to_string();
    assert_eq!(f.store.resolve(&id("bob/lamp"), &hex).unwrap(), bobs);
    for other in ["ada/lamp", "cy/lamp"] {
        let err = f.store.resolve(&id(other), &hex).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("revision \"{hex}\" not found in {other}")
        );
        assert!(f.store.commit(&id(other), &hex).is_err());
        assert!(f.store.log(&id(other), &hex, None, 0, 10).is_err());
    }
    // Shared history is visible everywhere.
    assert_eq!(
        f.store.resolve(&id("cy/lamp"), &head.to_string()).unwrap(),
        head
    );
}

#[test]
fn deleting_a_fork_never_breaks_its_own_forks() {
    let (f, head) = fixture();
    f.store.fork(&id("ada/lamp"), &id("bob/lamp")).unwrap();
    let bobs = f
        .store
        .commit_changes(
            &id("bob/lamp"),
            &edit(head, 1_700_000_600, vec![put("bob.txt", "bob\n")]),
        )
        .unwrap();
    f.store.fork(&id("bob/lamp"), &id("cy/lamp")).unwrap();
    std::fs::remove_dir_all(f.store.repo_path(&id("bob/lamp"))).unwrap();
    assert_eq!(f.store.resolve(&id("cy/lamp"), "main").unwrap(), bobs);
    assert_eq!(
        f.store.file(&id("cy/lamp"), "main", "bob.txt").unwrap().1,
        b"bob\n"
    );
    // The pool keeps every member ref.
    let pool = f
        .store
        .pool_path(&f.store.lineage(&id("cy/lamp")).unwrap().network);
    let refs = git(&[
        "--git-dir",
        pool.to_str().unwrap(),
        "for-each-ref",
        "--format=%(refname)",
    ]);
    assert!(refs.contains("refs/members/bob/lamp/heads/main"), "{refs}");
    assert!(refs.contains("refs/members/cy/lamp/heads/main"), "{refs}");
}

#[test]
fn history_pages_and_path_filters() {
    let (f, head) = fixture();
    let lamp = id("ada/lamp");
    let next = f
        .store
        .commit_changes(
            &lamp,
            &edit(head, 1_700_000_700, vec![put("README.md", "# Lamp\n")]),
        )
        .unwrap();
    let (page, total) = f.store.log(&lamp, "main", None, 0, 2).unwrap();
    assert_eq!(total, 3);
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), [next, head]);
    let (page, total) = f.store.log(&lamp, "main", None, 2, 2).unwrap();
    assert_eq!((page.len(), total), (1, 3));
    let (page, total) = f.store.log(&lamp, "main", Some("parts"), 0, 10).unwrap();
    assert_eq!((page[0].id, total), (head, 1));
    assert_eq!(f.store.commit_count(&lamp).unwrap(), 3);
}

#[test]
fn releases_are_annotated_tags() {
    let (f, head) = fixture();
    let lamp = id("ada/lamp");
    f.store
        .create_release(
            &lamp,
            "v1.0.0",
            "main",
            &ada(1_700_000_800),
            "First build.\n\nTested.",
        )
        .unwrap();
    let releases = f.store.releases(&lamp).unwrap();
    assert_eq!(releases.len(), 1);
    assert_eq!(releases[0].tag, "v1.0.0");
    assert_eq!(releases[0].commit, head);
    assert_eq!(releases[0].notes, "First build.\n\nTested.\n");
    assert_eq!(f.store.resolve(&lamp, "v1.0.0").unwrap(), head);
    assert!(matches!(
        f.store.create_release(&lamp, "v1.0.0", "main", &ada(1), ""),
        Err(Error::Exists(_))
    ));
    assert!(matches!(
        f.store
            .create_release(&lamp, "bad..tag", "main", &ada(1), ""),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn uploads_stream_into_the_pool_and_can_be_committed() {
    let (f, head) = fixture();
    let lamp = id("ada/lamp");
    let chunks = vec![Ok::<_, ()>(b"solid ".to_vec()), Ok(b"shade\n".to_vec())];
    let (blob, size) = f.store.upload(&lamp, chunks).unwrap().unwrap();
    assert_eq!(size, 12);
    f.store
        .commit_changes(
            &lamp,
            &edit(
                head,
                1_700_000_900,
                vec![Change::PutBlob {
                    path: "cad/shade.stl".into(),
                    blob,
                    mode: None,
                }],
            ),
        )
        .unwrap();
    assert_eq!(
        f.store.file(&lamp, "main", "cad/shade.stl").unwrap(),
        (blob, b"solid shade\n".to_vec())
    );
    let failed = f
        .store
        .upload(&lamp, vec![Ok(b"x".to_vec()), Err("connection lost")])
        .unwrap();
    assert_eq!(failed, Err("connection lost"));
}

#[test]
fn invalid_names_are_named_in_the_error() {
    let err = DesignId::new("ada", "Lamp").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid slug \"Lamp\": may not contain the capital 'L' (use lowercase: 'l')"
    );
    let err = DesignId::new("", "lamp").unwrap_err().to_string();
    assert_eq!(err, "invalid owner \"\": must be 1 to 39 characters long");
}

#[test]
fn missing_manifest_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Events::new()).unwrap();
    store
        .create(
            &id("ada/bare"),
            &[snapshot(1_700_000_000, &[("README.md", "# Hi\n")])],
        )
        .unwrap();
    let err = store.record(&id("ada/bare")).unwrap().manifest.unwrap_err();
    assert_eq!(err.message, "the design has no okh.toml");
    assert!(matches!(
        store.record(&id("ada/nothing")),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn a_failed_creation_leaves_nothing_behind() {
    let (fixture, _) = fixture();
    let store = &fixture.store;
    let pools = || {
        std::fs::read_dir(store.root().join("networks"))
            .unwrap()
            .count()
    };
    let before = pools();
    let mut commit = snapshot(1_700_000_000, &[("okh.toml", "name = \"Bad\"\n")]);
    // A signature git refuses (the angle brackets of an email).
    commit.author.email = "ada<evil>@example.org".into();
    assert!(store.create(&id("ada/bad"), &[commit]).is_err());
    assert!(!store.exists(&id("ada/bad")));
    assert_eq!(pools(), before, "no pool left behind");
    assert!(!store.ids().unwrap().contains(&id("ada/bad")));
}

/// `git gc --auto` by the stock git in `repo`: its exit status and what it printed.
fn git_gc_auto(repo: &Path) -> (bool, String) {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(["gc", "--auto", "--quiet"])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn repository_configs_are_ones_the_stock_git_accepts_and_old_ones_are_upgraded() {
    let (f, _) = fixture();
    let lamp = id("ada/lamp");
    let member = f.store.repo_path(&lamp);
    let pool = f.store.pool_path(&f.store.lineage(&lamp).unwrap().network);
    for repo in [&member, &pool] {
        let (ok, err) = git_gc_auto(repo);
        assert!(ok, "{}: {err}", repo.display());
    }
    // A store written by format 1 (`gc.auto = false`), as data directories made before it are.
    for repo in [&member, &pool] {
        let mut config = git2::Config::open(&repo.join("config")).unwrap();
        config.set_bool("gc.auto", false).unwrap();
        assert!(!git_gc_auto(repo).0, "the stock git refuses `false`");
    }
    let _ = std::fs::remove_file(f.store.root().join(CONFIG_FORMAT_FILE));
    assert_eq!(f.store.upgrade_configs().unwrap(), 2);
    for repo in [&member, &pool] {
        let (ok, err) = git_gc_auto(repo);
        assert!(ok, "{}: {err}", repo.display());
    }
    // Done once: the marker says so.
    assert_eq!(f.store.upgrade_configs().unwrap(), 0);
}

#[test]
fn a_member_is_made_aside_and_one_a_crash_left_unfinished_is_removed_at_start() {
    let (f, _) = fixture();
    let network = f.store.lineage(&id("ada/lamp")).unwrap().network;
    // What a fork killed between making the member and renaming it into place leaves.
    let scratch = f
        .store
        .init_member(
            &id("ada/half"),
            &network,
            Some((&id("ada/lamp"), Oid::zero())),
            "main",
        )
        .unwrap();
    let scratch = scratch.path().to_owned();
    assert!(scratch.is_dir());
    assert!(!f.store.exists(&id("ada/half")));
    assert!(!f.store.ids().unwrap().contains(&id("ada/half")));
    let removed = f.store.remove_unfinished_members().unwrap();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(!scratch.exists());
    // A whole fork is in place and readable.
    f.store.fork(&id("ada/lamp"), &id("ada/half")).unwrap();
    assert!(f.store.exists(&id("ada/half")));
    assert!(f.store.remove_unfinished_members().unwrap().is_empty());
}

#[test]
fn a_move_whose_mirror_fails_is_still_a_success_and_is_repaired() {
    let (f, head) = fixture();
    let lamp = id("ada/lamp");
    let pool = f.store.pool_path(&f.store.lineage(&lamp).unwrap().network);
    // Another writer's lock on the pool's mirror of main: the mirror cannot be written.
    let lock = pool.join("refs/members/ada/lamp/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    let change = Change::Put {
        path: "README.md".into(),
        content: b"# Lamp\n".to_vec(),
        mode: None,
    };
    let new = f
        .store
        .commit_changes(&lamp, &edit(head, 1_700_000_200, vec![change]))
        .expect("the branch moved: a success");
    assert_eq!(f.store.resolve(&lamp, "main").unwrap(), new);
    assert!(f.store.mirrors_need_repair());
    std::fs::remove_file(&lock).unwrap();
    assert_eq!(f.store.repair_mirrors(&lamp).unwrap(), 1);
    f.store.mirrors_repaired().unwrap();
    assert!(!f.store.mirrors_need_repair());
    let mirrored = Repository::open_bare(&pool)
        .unwrap()
        .refname_to_id("refs/members/ada/lamp/heads/main")
        .unwrap();
    assert_eq!(mirrored, new);
}

#[test]
fn sizes_come_from_object_headers_loose_and_packed() {
    let (f, head) = fixture();
    let lamp = id("ada/lamp");
    let big = vec![7u8; 3 * 1024 * 1024];
    let change = Change::Put {
        path: "cad/big.stl".into(),
        content: big.clone(),
        mode: None,
    };
    f.store
        .commit_changes(&lamp, &edit(head, 1_700_000_300, vec![change]))
        .unwrap();
    let size_of = |store: &Store| {
        let (_, entries) = store.tree(&lamp, "main", "cad").unwrap();
        entries
            .into_iter()
            .find(|e| e.name == "big.stl")
            .and_then(|e| e.size)
    };
    assert_eq!(size_of(&f.store), Some(big.len() as u64), "loose");
    let pool = f.store.pool_path(&f.store.lineage(&lamp).unwrap().network);
    // Pack it (a precious-objects pool keeps its loose copies), then drop the loose copy.
    let repack = Command::new("git")
        .arg("-C")
        .arg(&pool)
        .args(["repack", "-a", "-q"])
        .output()
        .unwrap();
    assert!(repack.status.success(), "{repack:?}");
    let (_, entries) = f.store.tree(&lamp, "main", "cad").unwrap();
    let blob = entries
        .iter()
        .find(|e| e.name == "big.stl")
        .unwrap()
        .oid
        .to_string();
    std::fs::remove_file(pool.join("objects").join(&blob[..2]).join(&blob[2..])).unwrap();
    assert_eq!(size_of(&f.store), Some(big.len() as u64), "packed");
    let detail = f.store.commit(&lamp, "main").unwrap();
    let file = detail
        .files
        .iter()
        .find(|c| c.path == "cad/big.stl")
        .unwrap();
    assert_eq!((file.old_size, file.new_size), (0, big.len() as u64));
}
