//! The labor ledger over crafted histories with fixed times: co-authors, forks sharing history,
//! a merge back upstream, an unclaimed author claimed later, malformed trailers, a policy change,
//! verification, and a property test over random fork histories.

mod common;

use std::collections::HashSet;
use std::process::Command;

use axum::http::{Method, StatusCode};

use backend::labor::{Labor, Policy};
use backend::store::{Change, CommitRequest, DesignId, NewCommit, Person, Store};
use common::{As, TestApp};

fn person(name: &str, time: i64) -> Person {
    Person {
        name: name.into(),
        email: format!("{}@example.org", name.to_lowercase()),
        time,
    }
}

fn id(text: &str) -> DesignId {
    DesignId::parse(text).unwrap()
}

fn commit(store: &Store, design: &str, author: Person, message: &str, path: &str) -> git2::Oid {
    let design = id(design);
    let head = store.resolve(&design, "main").unwrap();
    store
        .commit_changes(
            &design,
            &CommitRequest {
                branch: "main".into(),
                expected_head: head,
                author,
                message: message.into(),
                changes: vec![Change::Put {
                    path: path.into(),
                    content: format!("{message}\n").into_bytes(),
                    mode: None,
                }],
            },
        )
        .unwrap()
}

fn git(args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .env("GIT_AUTHOR_NAME", "Olga")
        .env("GIT_AUTHOR_EMAIL", "olga@example.org")
        .env("GIT_AUTHOR_DATE", "1700009000 +0000")
        .env("GIT_COMMITTER_NAME", "Olga")
        .env("GIT_COMMITTER_EMAIL", "olga@example.org")
        .env("GIT_COMMITTER_DATE", "1700009000 +0000")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// `olga/lamp` (2 commits, one with a co-author) and its fork `sam/lamp` (1 commit, malformed
/// hours), in the app's own store.
async fn crafted() -> (TestApp, String) {
    let app = TestApp::new().await;
    let store = &app.state.store;
    store
        .create(
            &id("olga/lamp"),
            &[NewCommit {
                author: person("Ada", 1_700_000_000),
                committer: person("Ada", 1_700_000_000),
                message: "Shape the lamp\n\nLabor-Hours: 3\nLabor-Type: design\n".into(),
                files: [("cad/lamp.scad".to_owned(), b"sphere(10);\n".to_vec())].into(),
            }],
        )
        .unwrap();
    commit(
        store,
        "olga/lamp",
        person("Bob", 1_700_001_000),
        "Write the assembly guide\n\nLabor-Hours: 4\nCo-authored-by: Cy <cy@example.org>",
        "README.md",
    );
    store.fork(&id("olga/lamp"), &id("sam/lamp")).unwrap();
    commit(
        store,
        "sam/lamp",
        person("Sam", 1_700_002_000),
        "Taller stem\n\nLabor-Hours: about three",
        "cad/stem.scad",
    );
    let network = store.lineage(&id("olga/lamp")).unwrap().network;
    (app, network)
}

#[tokio::test]
async fn a_crafted_history_gives_an_exact_ledger() {
    let (app, network) = crafted().await;
    let labor = &app.state.labor;
    let entries = labor.compute_network(&network).await.unwrap();
    let summary: Vec<(String, String, String, f64, bool, f64, &str)> = entries
        .iter()
        .map(|e| {
            (
                e.design.clone(),
                e.contributor_name.clone(),
                e.work_type.clone(),
                e.hours,
                e.estimated,
                e.units,
                e.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "olga/lamp".into(),
                "Ada".into(),
                "design".into(),
                3.0,
                false,
                3.0,
                "validated"
            ),
            (
                "olga/lamp".into(),
                "Bob".into(),
                "documentation".into(),
                2.0,
                false,
                1.8,
                "validated"
            ),
            (
                "olga/lamp".into(),
                "Cy".into(),
                "documentation".into(),
                2.0,
                false,
                1.8,
                "validated"
            ),
            (
                "sam/lamp".into(),
                "Sam".into(),
                "design".into(),
                0.5,
                true,
                0.5,
                "pending"
            ),
        ]
    );
    // Explanations and warnings stay on the entry.
    assert_eq!(
        entries[0].rule,
        "work type from the Labor-Type trailer; Labor-Hours 3 h split evenly among 1"
    );
    assert!(
        entries[1]
            .rule
            .starts_with("work type inferred from 1 of 1 changed files (*.md)"),
        "{}",
        entries[1].rule
    );
    assert_eq!(
        entries[3].warnings,
        ["Labor-Hours \"about three\" is not a number; the default hours were used"]
    );
    assert_eq!(entries[0].policy_version, "2026.11-default");
    // The same inputs give the same ledger.
    assert_eq!(labor.compute_network(&network).await.unwrap(), entries);
}

#[tokio::test]
async fn a_merge_back_upstream_credits_the_fork_commits_once() {
    let (app, network) = crafted().await;
    let store = &app.state.store;
    let root = app.dir.path().join("data/store");
    let pool = root.join(format!("networks/{network}.git"));
    let upstream = root.join("repos/olga/lamp.git");
    let upstream_head = store.resolve(&id("olga/lamp"), "main").unwrap().to_string();
    let fork_head = store.resolve(&id("sam/lamp"), "main").unwrap().to_string();
    let tree = git(&[
        "--git-dir",
        pool.to_str().unwrap(),
        "rev-parse",
        &format!("{fork_head}^{{tree}}"),
    ]);
    let merge = git(&[
        "--git-dir",
        pool.to_str().unwrap(),
        "commit-tree",
        &tree,
        "-p",
        &upstream_head,
        "-p",
        &fork_head,
        "-m",
        "Merge sam/lamp\n\nLabor-Hours: 9",
    ]);
    git(&[
        "--git-dir",
        upstream.to_str().unwrap(),
        "update-ref",
        "refs/heads/main",
        &merge,
    ]);

    let entries = app.state.labor.compute_network(&network).await.unwrap();
    let commits: Vec<&str> = entries.iter().map(|e| e.commit.as_str()).collect();
    assert_eq!(commits.len(), 5, "{commits:?}");
    assert_eq!(
        commits.iter().collect::<HashSet<_>>().len() + 1,
        5,
        "only the co-authored commit has two entries"
    );
    let sam = entries
        .iter()
        .find(|e| e.contributor_name == "Sam")
        .unwrap();
    assert_eq!(
        (sam.status, sam.design.as_str()),
        ("validated", "olga/lamp")
    );
    let merged = entries.iter().find(|e| e.commit == merge).unwrap();
    assert_eq!(
        (merged.work_type.as_str(), merged.hours, merged.estimated),
        ("maintenance", 0.5, true)
    );
    assert!(merged.rule.starts_with("merge commit"), "{}", merged.rule);
}

#[tokio::test]
async fn unclaimed_work_becomes_the_account_s_and_the_api_explains_it() {
    let (app, _) = crafted().await;
    app.state.labor.recompute().await.unwrap();
    let (_, before) = app.json("/api/designs/olga/lamp/labor").await;
    let cy = before["contributors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contributor"] == "Cy")
        .unwrap()
        .clone();
    assert_eq!(cy["account"], serde_json::Value::Null);

    let cookie = app.sign_up("cy").await; // signs up with cy@example.org
    app.state.labor.recompute().await.unwrap();
    let (_, after) = app.json("/api/designs/olga/lamp/labor").await;
    let cy = after["contributors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account"] == "cy")
        .unwrap()
        .clone();
    assert_eq!(cy["units"], 1.8);
    let total: f64 = after["contributors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["share"].as_f64().unwrap())
        .sum();
    assert!((total - 100.0).abs() < 0.01, "{total}");
    // The fork's shares include the inherited upstream history and its own commit.
    let (_, fork) = app.json("/api/designs/sam/lamp/labor").await;
    assert_eq!(fork["units"], 3.0 + 1.8 + 1.8 + 0.5);

    let (status, account) = app.json("/api/accounts/cy/labor").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(account["units"], 1.8);
    assert_eq!(account["validated_units"], 1.8);
    assert_eq!(account["by_type"][0]["key"], "documentation");
    assert_eq!(
        account["utilization"],
        serde_json::json!([{"design": "olga/lamp", "forks": 1, "releases": 0, "downloads": 0}])
    );
    let entry_id = account["entries"][0]["id"].as_str().unwrap().to_owned();
    let (_, entry) = app.json(&format!("/api/labor/entries/{entry_id}")).await;
    assert_eq!(entry["weight"], 0.9);
    assert_eq!(entry["multiplier"], 1.0);
    assert!(
        entry["rule"]
            .as_str()
            .unwrap()
            .contains("split evenly among 2")
    );
    let csv = app
        .request(
            Method::GET,
            "/api/accounts/cy/labor?format=csv",
            &As::Cookie(cookie),
            None,
        )
        .await;
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with("id,design,commit,"), "{text}");
    assert_eq!(text.lines().count(), 2);
    let (_, exported) = app.json("/api/designs/olga/lamp/labor?format=json").await;
    assert_eq!(exported.as_array().unwrap().len(), 3, "{exported}");
    let (_, policy) = app.json("/api/labor/policy").await;
    assert_eq!(policy["work_types"]["design"], 1.0);

    // An admin assesses Cy as a master: Cy's units grow by the multiplier.
    let stranger = app.sign_up("sam").await;
    let denied = app
        .request(
            Method::PUT,
            "/api/accounts/cy/skill",
            &As::Cookie(stranger),
            Some(serde_json::json!({"skill": "master"})),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    // The first account of this instance (cy) is its admin.
    let admin = app.sign_in("cy").await;
    let bad = app
        .request(
            Method::PUT,
            "/api/accounts/cy/skill",
            &As::Cookie(admin.clone()),
            Some(serde_json::json!({"skill": "wizard"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let set = app
        .request(
            Method::PUT,
            "/api/accounts/cy/skill",
            &As::Cookie(admin),
            Some(serde_json::json!({"skill": "master"})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    app.state.labor.recompute().await.unwrap();
    let (_, account) = app.json("/api/accounts/cy/labor").await;
    assert_eq!(account["units"], 2.34);
}

#[tokio::test]
async fn a_policy_change_is_recorded_and_verify_finds_tampering() {
    let (app, network) = crafted().await;
    let labor = &app.state.labor;
    labor.recompute().await.unwrap();
    assert_eq!(labor.verify().await.unwrap(), Vec::<String>::new());

    let text = backend::labor::policy::DEFAULT_POLICY
        .replace("version = \"2026.11-default\"", "version = \"v2\"")
        .replace("design = 1.0", "design = 2.0");
    let policy = Policy::parse(&text, "test").unwrap();
    let pool = backend::db::open(&app.state.config.database())
        .await
        .unwrap();
    let changed = Labor::new(pool.clone(), app.state.store.clone(), policy);
    let entries = changed.compute_network(&network).await.unwrap();
    assert_eq!(
        (entries[0].units, entries[0].policy_version.as_str()),
        (6.0, "v2")
    );
    // The stored ledger was made with the old policy: verify with the new one reports it.
    assert!(!changed.verify().await.unwrap().is_empty());

    // Let the app's own background updates (start, ref changes) finish before tampering.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sqlx::query("UPDATE labor_entries SET units = units + 1 WHERE contributor_name = 'Ada' AND network = $1")
        .bind(&network)
        .execute(&pool)
        .await
        .unwrap();
    let differences = labor.verify().await.unwrap();
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert!(differences[0].starts_with("entry "), "{differences:?}");
    assert!(
        differences[0].ends_with("units: stored 4, recomputed 3"),
        "{differences:?}"
    );
}

/// xorshift, so the random histories are reproducible.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// For random fork histories, a network's units equal the sum over its distinct commits of the
/// hours declared on them: no commit is counted twice, none is lost.
#[tokio::test]
async fn property_network_units_equal_the_sum_over_distinct_commits() {
    let app = TestApp::new().await;
    let store = &app.state.store;
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..12 {
        let root = format!("p{round}/thing");
        store
            .create(
                &id(&root),
                &[NewCommit {
                    author: person("Ada", 1_700_000_000),
                    committer: person("Ada", 1_700_000_000),
                    message: "Start\n\nLabor-Hours: 1\nLabor-Type: design\n".into(),
                    files: [("a.scad".to_owned(), b"a".to_vec())].into(),
                }],
            )
            .unwrap();
        let mut members = vec![root.clone()];
        let mut expected = 1.0;
        for step in 0..15 {
            let time = 1_700_000_000 + (round * 100 + step + 1) as i64 * 60;
            if rng.below(4) == 0 {
                let from = members[rng.below(members.len() as u64) as usize].clone();
                let fork = format!("f{round}x{step}/thing");
                store.fork(&id(&from), &id(&fork)).unwrap();
                members.push(fork);
            } else {
                let target = members[rng.below(members.len() as u64) as usize].clone();
                let hours = 1 + rng.below(8);
                let who = ["Ada", "Bob", "Cy"][rng.below(3) as usize];
                commit(
                    store,
                    &target,
                    person(who, time),
                    &format!("Step {step}\n\nLabor-Hours: {hours}\nLabor-Type: design"),
                    &format!("part-{step}.scad"),
                );
                expected += hours as f64;
            }
        }
        let network = store.lineage(&id(&root)).unwrap().network;
        let entries = app.state.labor.compute_network(&network).await.unwrap();
        let total: f64 = entries.iter().map(|e| e.units).sum();
        assert!(
            (total - expected).abs() < 1e-6,
            "round {round}: {total} != {expected}"
        );
        let commits: HashSet<&str> = entries.iter().map(|e| e.commit.as_str()).collect();
        assert_eq!(
            commits.len(),
            entries.len(),
            "round {round}: a commit was credited twice"
        );
    }
}

/// What the event-driven incremental updates store equals a full recomputation, through new
/// commits, forks, commits on forks and a merge upstream.
#[tokio::test]
async fn incremental_updates_equal_a_full_recompute() {
    let (app, network) = crafted().await;
    let labor = &app.state.labor;
    let store = &app.state.store;
    labor.recompute().await.unwrap();
    let change =
        |design: &str, old: Option<git2::Oid>, new: Option<git2::Oid>| backend::events::RefChange {
            design: id(design),
            refname: "refs/heads/main".into(),
            old,
            new,
        };
    // A commit upstream and one on the fork, applied one change at a time.
    let before = store.resolve(&id("olga/lamp"), "main").unwrap();
    let up = commit(
        store,
        "olga/lamp",
        person("Ada", 1_700_003_000),
        "Dimmer\n\nLabor-Hours: 2",
        "cad/dimmer.scad",
    );
    labor
        .apply(&change("olga/lamp", Some(before), Some(up)))
        .await
        .unwrap();
    let fork_before = store.resolve(&id("sam/lamp"), "main").unwrap();
    let side = commit(
        store,
        "sam/lamp",
        person("Sam", 1_700_004_000),
        "Base\n\nLabor-Hours: 1",
        "cad/base.scad",
    );
    labor
        .apply(&change("sam/lamp", Some(fork_before), Some(side)))
        .await
        .unwrap();
    // A fork of the fork changes nothing.
    store.fork(&id("sam/lamp"), &id("cy/lamp")).unwrap();
    labor
        .apply(&change("cy/lamp", None, Some(side)))
        .await
        .unwrap();
    // Merge the fork upstream (with the stock git client), then announce the move.
    let root = app.dir.path().join("data/store");
    let pool = root.join(format!("networks/{network}.git"));
    let tree = git(&[
        "--git-dir",
        pool.to_str().unwrap(),
        "rev-parse",
        &format!("{side}^{{tree}}"),
    ]);
    let merge = git(&[
        "--git-dir",
        pool.to_str().unwrap(),
        "commit-tree",
        &tree,
        "-p",
        &up.to_string(),
        "-p",
        &side.to_string(),
        "-m",
        "Merge",
    ]);
    git(&[
        "--git-dir",
        root.join("repos/olga/lamp.git").to_str().unwrap(),
        "update-ref",
        "refs/heads/main",
        &merge,
    ]);
    let merge = git2::Oid::from_str(&merge).unwrap();
    labor
        .apply(&change("olga/lamp", Some(up), Some(merge)))
        .await
        .unwrap();

    let stored = labor.stored(&network).await.unwrap();
    let fresh = labor.compute_network(&network).await.unwrap();
    assert_eq!(stored, fresh);
    assert!(
        stored.iter().all(|e| e.status == "validated"),
        "everything is on the root's main now"
    );
    assert_eq!(
        stored.iter().filter(|e| e.design == "sam/lamp").count(),
        0,
        "merged work moved upstream"
    );
}

#[tokio::test]
async fn the_sample_designs_verify() {
    let designs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs");
    let app = TestApp::with(|config| config.designs = designs).await;
    let entries = app.state.labor.recompute().await.unwrap();
    assert!(entries >= 16, "{entries} entries");
    assert_eq!(
        app.state.labor.verify().await.unwrap(),
        Vec::<String>::new()
    );
    // The malformed trailer in the samples is a warning on its entry, not an error.
    let (_, shares) = app
        .json("/api/designs/atelier/solar-food-dryer/labor")
        .await;
    assert!(shares["units"].as_f64().unwrap() > 0.0);
    let cargo = app
        .json("/api/designs/atelier/cargo-bike-trailer/labor")
        .await
        .1;
    assert!(
        cargo["contributors"].as_array().unwrap().len() >= 3,
        "co-author credited: {cargo}"
    );
}

/// A ledger that lags behind the store (a restart replaying a backlog) still credits every
/// commit: a design created and forked, then a commit on the fork, all before the ledger applied
/// the first event. New refs are walked down to what the ledger credits, not to the other refs'
/// heads as they are by then.
#[tokio::test]
async fn a_lagging_ledger_credits_everything_when_it_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store"), backend::events::Events::new()).unwrap();
    let location = match backend::db::test_database().await {
        Some(url) => backend::db::Location::Postgres(url),
        None => backend::db::Location::in_data(dir.path()),
    };
    let pool = backend::db::open(&location).await.unwrap();
    let labor = Labor::new(pool, store.clone(), Policy::default_policy());
    let first = store
        .create(
            &id("olga/lamp"),
            &[NewCommit {
                author: person("Ada", 1_700_000_000),
                committer: person("Ada", 1_700_000_000),
                message: "Shape\n\nLabor-Hours: 3\nLabor-Type: design\n".into(),
                files: [("lamp.scad".to_owned(), b"sphere(1);".to_vec())].into(),
            }],
        )
        .unwrap();
    store.fork(&id("olga/lamp"), &id("sam/lamp")).unwrap();
    let side = commit(
        &store,
        "sam/lamp",
        person("Sam", 1_700_001_000),
        "Stem\n\nLabor-Hours: 2",
        "stem.scad",
    );
    // Only now the ledger applies the three moves, in log order.
    let change = |design: &str, old, new| backend::events::RefChange {
        design: id(design),
        refname: "refs/heads/main".into(),
        old,
        new,
    };
    for step in [
        change("olga/lamp", None, Some(first)),
        change("sam/lamp", None, Some(first)),
        change("sam/lamp", Some(first), Some(side)),
    ] {
        labor.apply(&step).await.unwrap();
    }
    let network = store.lineage(&id("olga/lamp")).unwrap().network;
    let stored = labor.stored(&network).await.unwrap();
    assert_eq!(stored, labor.compute_network(&network).await.unwrap());
    let credited: HashSet<&str> = stored.iter().map(|e| e.commit.as_str()).collect();
    assert_eq!(
        credited,
        HashSet::from([first.to_string().as_str(), side.to_string().as_str()])
    );
    let units: f64 = stored.iter().map(|e| e.units).sum();
    assert!((units - 5.0).abs() < 1e-9, "{units}");
}

#[tokio::test]
async fn a_mailmap_joins_a_contributor_s_addresses_in_contributors_and_labor() {
    let app = TestApp::new().await;
    let store = &app.state.store;
    let at = |name: &str, email: &str, time: i64| Person {
        name: name.into(),
        email: email.into(),
        time,
    };
    let laptop = at("ada", "ada@old-laptop.local", 1_700_000_000);
    store
        .create(
            &id("olga/trailer"),
            &[NewCommit {
                author: laptop.clone(),
                committer: laptop,
                message: "Frame\n\nLabor-Hours: 1\nLabor-Type: design\n".into(),
                files: [("cad/frame.scad".to_owned(), b"cube(1);\n".to_vec())].into(),
            }],
        )
        .unwrap();
    let hours = |what: &str| format!("{what}\n\nLabor-Hours: 2\nLabor-Type: design");
    commit(
        store,
        "olga/trailer",
        at("Ada Lovelace", "ada@example.org", 1_700_000_100),
        &hours("Hitch"),
        "cad/hitch.scad",
    );
    // One email under two names is one contributor.
    commit(
        store,
        "olga/trailer",
        at("Robert", "bob@example.org", 1_700_000_200),
        &hours("Wheels"),
        "cad/wheels.scad",
    );
    commit(
        store,
        "olga/trailer",
        at("Bob", "bob@example.org", 1_700_000_300),
        &hours("Axle"),
        "cad/axle.scad",
    );
    app.state.settled().await;
    assert_eq!(
        contributors_of(&app, "olga/trailer").await,
        [
            ("Bob".to_owned(), 2),
            ("Ada Lovelace".to_owned(), 1),
            ("ada".to_owned(), 1)
        ]
    );
    let network = store.lineage(&id("olga/trailer")).unwrap().network;
    let emails = |entries: &[backend::labor::Entry]| {
        let mut emails: Vec<String> = entries
            .iter()
            .map(|e| e.contributor_email.clone())
            .collect();
        emails.sort();
        emails.dedup();
        emails
    };
    assert_eq!(
        emails(&app.state.labor.stored(&network).await.unwrap()),
        ["ada@example.org", "ada@old-laptop.local", "bob@example.org"]
    );

    // The design's .mailmap says both addresses are Ada's: contributors and the ledger (kept
    // up to date from the push, and recomputed alike) agree.
    let head = store.resolve(&id("olga/trailer"), "main").unwrap();
    store
        .commit_changes(
            &id("olga/trailer"),
            &CommitRequest {
                branch: "main".into(),
                expected_head: head,
                author: at("Olga", "olga@example.org", 1_700_000_500),
                message: "Map Ada's laptop address\n\nLabor-Hours: 0.25\nLabor-Type: maintenance"
                    .into(),
                changes: vec![Change::Put {
                    path: ".mailmap".into(),
                    content: b"Ada Lovelace <ada@example.org> <ada@old-laptop.local>\n".to_vec(),
                    mode: None,
                }],
            },
        )
        .unwrap();
    app.state.settled().await;
    assert_eq!(
        contributors_of(&app, "olga/trailer").await,
        [
            ("Ada Lovelace".to_owned(), 2),
            ("Bob".to_owned(), 2),
            ("Olga".to_owned(), 1)
        ]
    );
    let stored = app.state.labor.stored(&network).await.unwrap();
    assert_eq!(
        emails(&stored),
        ["ada@example.org", "bob@example.org", "olga@example.org"]
    );
    let ada: f64 = stored
        .iter()
        .filter(|e| e.contributor_email == "ada@example.org")
        .map(|e| e.hours)
        .sum();
    assert_eq!(ada, 3.0, "both of Ada's commits, under one address");
    assert_eq!(
        app.state.labor.compute_network(&network).await.unwrap(),
        stored
    );

    // A .mailmap too large to read whole is ignored, as git ignores one it cannot use: the
    // contributors and the ledger still answer, each address on its own.
    let head = store.resolve(&id("olga/trailer"), "main").unwrap();
    let mut huge = b"Ada Lovelace <ada@example.org> <ada@old-laptop.local>\n".to_vec();
    huge.resize((backend::store::MAX_WHOLE_READ + 1) as usize, b'#');
    store
        .commit_changes(
            &id("olga/trailer"),
            &CommitRequest {
                branch: "main".into(),
                expected_head: head,
                author: at("Olga", "olga@example.org", 1_700_000_600),
                message: "A mailmap far too large".into(),
                changes: vec![Change::Put {
                    path: ".mailmap".into(),
                    content: huge,
                    mode: None,
                }],
            },
        )
        .unwrap();
    app.state.settled().await;
    assert_eq!(
        contributors_of(&app, "olga/trailer").await,
        [
            ("Bob".to_owned(), 2),
            ("Olga".to_owned(), 2),
            ("Ada Lovelace".to_owned(), 1),
            ("ada".to_owned(), 1)
        ]
    );
    assert_eq!(
        emails(&app.state.labor.compute_network(&network).await.unwrap()),
        [
            "ada@example.org",
            "ada@old-laptop.local",
            "bob@example.org",
            "olga@example.org"
        ]
    );
}

/// A design's contributors as the API lists them: name and commit count.
async fn contributors_of(app: &TestApp, design: &str) -> Vec<(String, u64)> {
    let (_, list) = app
        .json(&format!("/api/designs/{design}/contributors"))
        .await;
    list["contributors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["commits"].as_u64().unwrap(),
            )
        })
        .collect()
}
