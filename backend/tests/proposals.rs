//! Change proposals through the API on crafted histories with fixed signatures: the whole loop
//! (propose, review with a line comment, a new revision, approve, merge), conflicts in text and
//! binary files resolved from upstream, empty and already-merged proposals, a stale expected
//! head, each merge method and the authors it keeps, a deleted fork's proposal, a license
//! change, and the ledger after every merge (stored equals a full recompute; merged entries
//! validated; review hours credited).

mod common;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

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

fn put(path: &str, content: &[u8]) -> Change {
    Change::Put {
        path: path.into(),
        content: content.to_vec(),
        mode: None,
    }
}

fn commit(
    store: &Store,
    design: &str,
    branch: &str,
    author: Person,
    message: &str,
    changes: Vec<Change>,
) -> String {
    let design = id(design);
    let head = store
        .resolve(&design, branch)
        .unwrap_or_else(|_| store.resolve(&design, "main").unwrap());
    store
        .commit_changes(
            &design,
            &CommitRequest {
                branch: branch.into(),
                expected_head: head,
                author,
                message: message.into(),
                changes,
            },
        )
        .unwrap()
        .to_string()
}

const MANIFEST: &str = "name = \"Lamp\"\nfunction = \"Lights a desk\"\nlicense = \"CERN-OHL-S-2.0\"\nbom = \"bom.csv\"\n";
const BOM: &str = "Name,Qty,Part Number,Supplier,Unit Price\nM8 bolt,4,ISO4017-M8x40,Bossard,0.20\nLamp shade,1,,,3.50\n";
const SCAD: &str = "// lamp\nsphere(10);\ncylinder(h = 40, r = 2);\n";

/// `olga/lamp` (one commit by Ada) forked as `sam/lamp`; accounts olga, sam, rev and the
/// first account (admin) `chief`.
async fn setup() -> (TestApp, String, String, String) {
    let app = TestApp::new().await;
    app.sign_up("chief").await;
    let olga = app.sign_up("olga").await;
    let sam = app.sign_up("sam").await;
    let rev = app.sign_up("rev").await;
    app.state
        .store
        .create(
            &id("olga/lamp"),
            &[NewCommit {
                author: person("Ada", 1_700_000_000),
                committer: person("Ada", 1_700_000_000),
                message: "Shape the lamp\n\nLabor-Hours: 3\nLabor-Type: design\n".into(),
                files: [
                    ("okh.toml".to_owned(), MANIFEST.as_bytes().to_vec()),
                    ("bom.csv".to_owned(), BOM.as_bytes().to_vec()),
                    ("cad/lamp.scad".to_owned(), SCAD.as_bytes().to_vec()),
                    (
                        "images/photo.png".to_owned(),
                        b"\x89PNG\r\n\x1a\n\0\0\0one".to_vec(),
                    ),
                ]
                .into(),
            }],
        )
        .unwrap();
    app.state
        .store
        .fork(&id("olga/lamp"), &id("sam/lamp"))
        .unwrap();
    (app, olga, sam, rev)
}

/// Waits until every consumer applied everything, including events consumers appended.
async fn settle(app: &TestApp) {
    loop {
        let before = app.state.events.written().await;
        app.state.settled().await;
        if app.state.events.written().await == before {
            return;
        }
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    uri: &str,
    who: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let answer = app
        .request(method, uri, &As::Cookie(who.to_owned()), body)
        .await;
    let json = if answer.body.is_empty() {
        Value::Null
    } else {
        answer.json()
    };
    (answer.status, json)
}

async fn propose(app: &TestApp, who: &str, head: &str, title: &str) -> Value {
    let (status, body) = call(
        app,
        Method::POST,
        "/api/designs/olga/lamp/proposals",
        who,
        Some(json!({"title": title, "body": "Why: **brighter**", "head": head})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    settle(app).await;
    body
}

async fn proposal(app: &TestApp, number: i64) -> Value {
    let (status, body) = app
        .json(&format!("/api/designs/olga/lamp/proposals/{number}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn ledger_is_recomputable(app: &TestApp) -> Vec<backend::labor::Entry> {
    let network = app.state.store.lineage(&id("olga/lamp")).unwrap().network;
    let stored = app.state.labor.stored(&network).await.unwrap();
    let mut fresh = app.state.labor.compute_network(&network).await.unwrap();
    backend::labor::sort_entries(&mut fresh);
    let mut sorted = stored.clone();
    backend::labor::sort_entries(&mut sorted);
    assert_eq!(
        sorted, fresh,
        "the stored ledger differs from a full recompute"
    );
    stored
}

#[tokio::test]
async fn the_whole_loop_from_proposal_to_validated_labor() {
    let (app, olga, sam, rev) = setup().await;
    let store = &app.state.store;
    let first = commit(
        store,
        "sam/lamp",
        "main",
        person("Sam", 1_700_001_000),
        "Brighter shade, longer stem\n\nLabor-Hours: 2\nLabor-Type: design",
        vec![
            put(
                "cad/lamp.scad",
                b"// lamp\nsphere(12);\ncylinder(h = 40, r = 2);\n",
            ),
            put(
                "bom.csv",
                format!("{BOM}LED module,1,XL-3030,Würth,4.00\n").as_bytes(),
            ),
        ],
    );
    settle(&app).await;
    // The fork page says where it stands.
    let (_, fork) = app.json("/api/designs/sam/lamp").await;
    assert_eq!(
        fork["upstream"],
        json!({"design": "olga/lamp", "branch": "main", "ahead": 1, "behind": 0})
    );

    let opened = propose(&app, &sam, "sam/lamp:main", "Brighter lamp").await;
    assert_eq!(opened["number"], 1);
    assert_eq!(opened["head"]["sha"], first.as_str());
    assert_eq!(opened["base"]["branch"], "main");
    assert!(
        opened["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>brighter</strong>")
    );
    let p = proposal(&app, 1).await;
    assert_eq!(p["mergeable_state"], "clean", "{p}");
    assert_eq!(p["mergeable"], true);
    assert_eq!(p["commits"], 1);
    let (_, detail) = app.json("/api/designs/olga/lamp").await;
    assert_eq!(detail["counts"]["proposals"], 1);

    let (_, commits) = app.json("/api/designs/olga/lamp/proposals/1/commits").await;
    assert_eq!(commits["commits"][0]["id"], first.as_str());
    let (_, files) = app.json("/api/designs/olga/lamp/proposals/1/files").await;
    let paths: Vec<&str> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["bom.csv", "cad/lamp.scad"]);
    assert!(
        files["files"][0]["hunks"].as_array().unwrap().is_empty(),
        "pages carry no hunks"
    );
    let (_, one) = app
        .json("/api/designs/olga/lamp/proposals/1/files?path=cad/lamp.scad")
        .await;
    assert_eq!(one["total"], 1);
    assert!(!one["files"][0]["hunks"].as_array().unwrap().is_empty());

    let (_, delta) = app
        .json("/api/designs/olga/lamp/proposals/1/bom-delta")
        .await;
    assert_eq!(delta["state"], "clean");
    assert_eq!(delta["boms"][0]["added"][0]["name"], "LED module");
    assert_eq!(delta["boms"][0]["cost_delta"], 4.0);
    assert_eq!(delta["license_change"], Value::Null);

    let (_, preview) = app
        .json("/api/designs/olga/lamp/proposals/1/labor-preview")
        .await;
    assert_eq!(preview["validates"], true);
    assert_eq!(preview["units"], 2.0);
    assert_eq!(preview["entries"][0]["commit"], first.as_str());

    // A review with a line comment asks for changes, with review hours.
    let (status, review) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals/1/reviews",
        &rev,
        Some(json!({"verdict": "request_changes", "body": "The sphere is too big", "hours": 1.5,
            "comments": [{"path": "cad/lamp.scad", "line": 2, "side": "new", "body": "12 is too much"},
                         {"path": "cad/lamp.scad", "line": 3, "side": "new", "body": "the stem is fine"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{review}");
    assert_eq!(review["revision"], 1);
    // The author cannot approve their own work.
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals/1/reviews",
        &sam,
        Some(json!({"verdict": "approve"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "verdict");

    // A new revision: the commented line changes, the other does not.
    let second = commit(
        store,
        "sam/lamp",
        "main",
        person("Sam", 1_700_002_000),
        "Smaller sphere\n\nLabor-Hours: 1",
        vec![put(
            "cad/lamp.scad",
            b"// lamp\nsphere(11);\ncylinder(h = 40, r = 2);\n",
        )],
    );
    settle(&app).await;
    let p = proposal(&app, 1).await;
    assert_eq!(p["revisions"], 2);
    assert_eq!(p["head"]["sha"], second.as_str());
    let (_, revisions) = app
        .json("/api/designs/olga/lamp/proposals/1/revisions")
        .await;
    assert_eq!(revisions["revisions"][1]["head"], second.as_str());
    let (_, since) = app
        .json("/api/designs/olga/lamp/proposals/1/files?revision=2&since=1")
        .await;
    assert_eq!(since["total"], 1, "changes since revision 1: {since}");
    let (_, reviews) = app.json("/api/designs/olga/lamp/proposals/1/reviews").await;
    assert_eq!(reviews["reviews"][0]["stale"], true);
    let outdated: Vec<bool> = reviews["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outdated"].as_bool().unwrap())
        .collect();
    assert_eq!(outdated, [true, false]);
    // A reply joins the thread and resolves it.
    let thread = reviews["comments"][0]["id"].as_i64().unwrap();
    let (status, after) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals/1/comments",
        &sam,
        Some(json!({"body": "Fixed in revision 2", "in_reply_to": thread, "resolved": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{after}");
    let reply = &after["comments"][2];
    assert_eq!(reply["in_reply_to"], thread);
    assert_eq!(reply["path"], "cad/lamp.scad");
    assert_eq!(after["comments"][0]["resolved"], true);

    // A review of the revision the reviewer saw: an older one is refused.
    let reviews_uri = "/api/designs/olga/lamp/proposals/1/reviews";
    let (status, body) = call(
        &app,
        Method::POST,
        reviews_uri,
        &rev,
        Some(json!({"verdict": "approve", "commit_id": first})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // The author declares no review hours on their own proposal.
    let (status, body) = call(
        &app,
        Method::POST,
        reviews_uri,
        &sam,
        Some(json!({"verdict": "comment", "body": "Done", "hours": 3})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("hours")),
        "{body}"
    );
    let (status, approval) = call(
        &app,
        Method::POST,
        reviews_uri,
        &rev,
        Some(json!({"verdict": "approve", "hours": 0.5, "commit_id": second})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{approval}");
    assert_eq!(approval["stale"], false);
    // Hours once per reviewer and revision.
    let (status, body) = call(
        &app,
        Method::POST,
        reviews_uri,
        &rev,
        Some(json!({"verdict": "comment", "body": "Also", "hours": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Only the thread's author, the proposal's author or a maintainer resolves a thread.
    let max = app.sign_up("max").await;
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals/1/comments",
        &max,
        Some(json!({"in_reply_to": thread, "resolved": false})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Only maintainers merge; a stale expected head is a conflict.
    let base = p["base"]["sha"].as_str().unwrap().to_owned();
    let merge_as = |who: String, expected: String| {
        let app = &app;
        async move {
            call(
                app,
                Method::PUT,
                "/api/designs/olga/lamp/proposals/1/merge",
                &who,
                Some(json!({"method": "merge", "expected_head": expected})),
            )
            .await
        }
    };
    assert_eq!(
        merge_as(sam.clone(), base.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    // A merge of the revision reviewed: an older one is refused.
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"expected_head": base, "sha": first})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("newer revision"),
        "{body}"
    );
    let (status, body) = merge_as(olga.clone(), second.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has moved"),
        "{body}"
    );
    let (status, merged) = merge_as(olga.clone(), base.clone()).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    settle(&app).await;

    let merge_commit = merged["sha"].as_str().unwrap().to_owned();
    let (_, info) = app
        .json(&format!("/api/designs/olga/lamp/commits/{merge_commit}"))
        .await;
    assert_eq!(info["commit"]["parents"], json!([base, second]));
    assert_eq!(info["commit"]["author"]["account"], "olga");
    let p = proposal(&app, 1).await;
    assert_eq!(p["state"], "merged");
    assert_eq!(p["merged_commit"], merge_commit.as_str());
    assert_eq!(p["merged_by"], "olga");
    assert_eq!(p["merge_method"], "merge");
    // Merging twice is refused, and so is closing a merged proposal.
    assert_eq!(
        merge_as(olga.clone(), merge_commit.clone()).await.0,
        StatusCode::CONFLICT
    );
    let (status, _) = call(
        &app,
        Method::PATCH,
        "/api/designs/olga/lamp/proposals/1",
        &sam,
        Some(json!({"state": "closed"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // The fork's commits moved upstream, validated; the review hours are credited.
    let entries = ledger_is_recomputable(&app).await;
    for commit in [&first, &second] {
        let entry = entries.iter().find(|e| &e.commit == commit).unwrap();
        assert_eq!(
            (entry.design.as_str(), entry.status),
            ("olga/lamp", "validated")
        );
    }
    let reviews: Vec<(f64, f64, &str)> = entries
        .iter()
        .filter(|e| e.work_type == "review")
        .map(|e| (e.hours, e.units, e.status))
        .collect();
    assert_eq!(reviews, [(1.5, 1.2, "validated"), (0.5, 0.4, "validated")]);
    let (_, sam_labor) = app.json("/api/accounts/sam/labor").await;
    assert_eq!(sam_labor["validated_units"], 3.0, "{sam_labor}");
    assert_eq!(sam_labor["pending_units"], 0.0, "{sam_labor}");
}

#[tokio::test]
async fn text_and_binary_conflicts_are_resolved_from_upstream() {
    let (app, olga, sam, _) = setup().await;
    let store = &app.state.store;
    commit(
        store,
        "olga/lamp",
        "main",
        person("Ada", 1_700_001_000),
        "Taller stem",
        vec![
            put(
                "cad/lamp.scad",
                b"// lamp\nsphere(10);\ncylinder(h = 60, r = 2);\n",
            ),
            put("images/photo.png", b"\x89PNG\r\n\x1a\n\0\0\0two"),
            put("docs/care.md", b"Dust it.\n"),
        ],
    );
    let mine = commit(
        store,
        "sam/lamp",
        "main",
        person("Sam", 1_700_002_000),
        "Thicker stem",
        vec![
            put(
                "cad/lamp.scad",
                b"// lamp\nsphere(10);\ncylinder(h = 40, r = 3);\n",
            ),
            put("images/photo.png", b"\x89PNG\r\n\x1a\n\0\0\0three"),
            put("docs/care.md", b"Wipe it.\n"),
        ],
    );
    settle(&app).await;
    propose(&app, &sam, "sam/lamp:main", "Thicker stem").await;
    let p = proposal(&app, 1).await;
    assert_eq!(p["mergeable_state"], "conflict", "{p}");
    assert_eq!(p["mergeable"], false);
    assert_eq!(
        p["conflicts"],
        json!(["cad/lamp.scad", "docs/care.md", "images/photo.png"])
    );
    let base = p["base"]["sha"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"expected_head": base})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cad/lamp.scad")
    );

    let (_, text) = app
        .json("/api/designs/olga/lamp/proposals/1/conflicts?path=cad/lamp.scad")
        .await;
    let text = text["text"].as_str().unwrap();
    assert!(
        text.contains("<<<<<<< mine") && text.contains(">>>>>>> upstream"),
        "{text}"
    );
    // Added on both sides: merged against an empty file.
    let (status, added) = app
        .json("/api/designs/olga/lamp/proposals/1/conflicts?path=docs/care.md")
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let added = added["text"].as_str().unwrap();
    assert!(
        added.contains("Dust it.") && added.contains("Wipe it."),
        "{added}"
    );
    let (_, binary) = app
        .json("/api/designs/olga/lamp/proposals/1/conflicts?path=images/photo.png")
        .await;
    assert_eq!(binary["text"], Value::Null);

    // Every conflict needs a resolution; markers left in are refused.
    let update = |resolutions: Value| {
        let (app, sam, mine) = (&app, sam.clone(), mine.clone());
        async move {
            call(
                app,
                Method::POST,
                "/api/designs/olga/lamp/proposals/1/update",
                &sam,
                Some(json!({"expected_head": mine, "resolutions": resolutions})),
            )
            .await
        }
    };
    let (status, body) = update(json!({"images/photo.png": "upstream"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) =
        update(json!({"images/photo.png": "upstream", "docs/care.md": "mine", "cad/lamp.scad": {"content": text}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let resolved = "// lamp\nsphere(10);\ncylinder(h = 60, r = 3);\n";
    let (status, updated) =
        update(json!({"images/photo.png": "upstream", "docs/care.md": "mine", "cad/lamp.scad": {"content": resolved}}))
            .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    settle(&app).await;
    let p = proposal(&app, 1).await;
    assert_eq!(p["revisions"], 2);
    assert_eq!(p["mergeable_state"], "clean", "{p}");
    let head = p["head"]["sha"].as_str().unwrap().to_owned();
    let upstream_head = p["base"]["sha"].as_str().unwrap().to_owned();
    let (_, file) = app
        .json(&format!("/api/designs/sam/lamp/commits/{head}"))
        .await;
    assert_eq!(file["commit"]["parents"], json!([mine, upstream_head]));
    let raw = app
        .get(&format!(
            "/api/designs/sam/lamp/raw/{head}/images/photo.png"
        ))
        .await;
    assert_eq!(raw.body, b"\x89PNG\r\n\x1a\n\0\0\0two");

    // Now upstream is an ancestor of the head: fast-forward lands the head itself.
    let (status, merged) = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"method": "fast_forward", "expected_head": upstream_head})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["sha"], head.as_str());
    settle(&app).await;
    // Shown against the target as it was: the fork's commit and the update's merge.
    let p = proposal(&app, 1).await;
    assert_eq!(
        (p["state"].as_str(), p["commits"].as_u64()),
        (Some("merged"), Some(2)),
        "{p}"
    );
    let (_, files) = app.json("/api/designs/olga/lamp/proposals/1/files").await;
    // The photo took upstream's version: against the target as it was, only two files change.
    assert_eq!(files["total"], 2, "{files}");
    assert_eq!(files["files"][1]["path"], "docs/care.md");
    ledger_is_recomputable(&app).await;
}

#[tokio::test]
async fn empty_and_already_merged_proposals_cannot_merge() {
    let (app, olga, sam, _) = setup().await;
    let store = &app.state.store;
    // A fork branch with nothing new is already part of the target.
    settle(&app).await;
    propose(&app, &sam, "sam/lamp:main", "Nothing yet").await;
    assert_eq!(proposal(&app, 1).await["mergeable_state"], "merged");
    // A branch whose commits cancel out changes nothing.
    let base = store.resolve(&id("sam/lamp"), "main").unwrap();
    store
        .commit_changes(
            &id("sam/lamp"),
            &CommitRequest {
                branch: "try".into(),
                expected_head: base,
                author: person("Sam", 1_700_001_000),
                message: "Try a note".into(),
                changes: vec![put("NOTE.md", b"try\n")],
            },
        )
        .unwrap();
    commit(
        store,
        "sam/lamp",
        "try",
        person("Sam", 1_700_002_000),
        "Drop the note",
        vec![Change::Delete {
            path: "NOTE.md".into(),
        }],
    );
    settle(&app).await;
    propose(&app, &sam, "sam/lamp:try", "Cancel out").await;
    let p = proposal(&app, 2).await;
    assert_eq!(p["mergeable_state"], "empty", "{p}");
    for number in [1, 2] {
        let (status, body) = call(
            &app,
            Method::PUT,
            &format!("/api/designs/olga/lamp/proposals/{number}/merge"),
            &olga,
            Some(json!({"expected_head": base.to_string()})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    // The same branches cannot be proposed twice while open; closing frees them.
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals",
        &sam,
        Some(json!({"title": "Again", "head": "sam/lamp:try"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, closed) = call(
        &app,
        Method::PATCH,
        "/api/designs/olga/lamp/proposals/2",
        &sam,
        Some(json!({"state": "closed"})),
    )
    .await;
    assert_eq!(
        (status, closed["state"].as_str()),
        (StatusCode::OK, Some("closed"))
    );
    let (_, list) = app
        .json("/api/designs/olga/lamp/proposals?state=closed")
        .await;
    assert_eq!(
        (
            list["total"].as_i64(),
            list["open"].as_i64(),
            list["closed"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    // Bad input names its part.
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals",
        &sam,
        Some(json!({"title": "", "head": "sam/lamp:nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/designs/olga/lamp/proposals",
        &sam,
        Some(json!({"title": "x", "head": "sam/lamp:nope"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("head")),
        "{body}"
    );
    assert_eq!(
        app.json("/api/designs/olga/lamp/proposals/99").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.json("/api/designs/olga/lamp/proposals/x").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn squash_credits_each_author_once_and_fast_forward_needs_a_straight_line() {
    let (app, olga, sam, _) = setup().await;
    let store = &app.state.store;
    let a = commit(
        store,
        "sam/lamp",
        "main",
        person("Sam", 1_700_001_000),
        "Stem\n\nLabor-Hours: 2\nLabor-Type: design",
        vec![put("cad/stem.scad", b"cylinder(h = 40);\n")],
    );
    let b = commit(
        store,
        "sam/lamp",
        "main",
        person("Sam", 1_700_002_000),
        "Guide\n\nLabor-Hours: 3\nLabor-Type: documentation\nCo-authored-by: Cy <cy@example.org>",
        vec![put("GUIDE.md", b"# Guide\n")],
    );
    // Upstream moves on: fast-forward is impossible.
    let upstream = commit(
        store,
        "olga/lamp",
        "main",
        person("Ada", 1_700_003_000),
        "Readme",
        vec![put("README.md", b"# Lamp\n")],
    );
    settle(&app).await;
    propose(&app, &sam, "sam/lamp:main", "Stem and guide").await;
    let ff = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"method": "fast_forward", "expected_head": upstream})),
    )
    .await;
    assert_eq!(ff.0, StatusCode::METHOD_NOT_ALLOWED, "{}", ff.1);
    let (status, merged) = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"method": "squash", "expected_head": upstream})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    settle(&app).await;
    let sha = merged["sha"].as_str().unwrap();
    let (_, info) = app
        .json(&format!("/api/designs/olga/lamp/commits/{sha}"))
        .await;
    let c = &info["commit"];
    assert_eq!(c["parents"], json!([upstream]));
    assert_eq!(
        c["author"]["account"], "sam",
        "the proposer authors a squash"
    );
    assert_eq!(c["committer"]["account"], "olga");
    let message = c["message"].as_str().unwrap();
    assert!(message.starts_with("Stem and guide (#1)\n"), "{message}");
    for line in [
        "Co-authored-by: Cy <cy@example.org>".to_owned(),
        "Co-authored-by: Sam <sam@example.org>".to_owned(),
        "Labor-Hours: cy@example.org=1.5, sam@example.org=3.5".to_owned(),
        format!("Squashed-commit: {a}"),
        format!("Squashed-commit: {b}"),
    ] {
        assert!(message.contains(&line), "{line} missing in {message}");
    }
    // The ledger credits the replaced commits (validated, upstream) and not the squash's hours.
    let entries = ledger_is_recomputable(&app).await;
    let of = |commit: &str| {
        entries
            .iter()
            .filter(|e| e.commit == commit)
            .map(|e| {
                (
                    e.contributor_name.clone(),
                    e.design.clone(),
                    e.status,
                    e.hours,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        of(&a),
        [("Sam".into(), "olga/lamp".into(), "validated", 2.0)]
    );
    assert_eq!(
        of(&b),
        [
            ("Cy".into(), "olga/lamp".into(), "validated", 1.5),
            ("Sam".into(), "olga/lamp".into(), "validated", 1.5)
        ]
    );
    let squash = of(sha);
    assert_eq!(squash.len(), 1, "{squash:?}");
    assert_eq!(
        (squash[0].0.as_str(), squash[0].3),
        ("olga", 0.5),
        "the merger's maintenance only"
    );
}

#[tokio::test]
async fn a_license_change_needs_confirmation_and_a_deleted_fork_s_proposal_stays() {
    let (app, olga, sam, _) = setup().await;
    let store = &app.state.store;
    let head = commit(
        store,
        "sam/lamp",
        "main",
        person("Sam", 1_700_001_000),
        "Relicense",
        vec![put(
            "okh.toml",
            MANIFEST.replace("CERN-OHL-S-2.0", "MIT").as_bytes(),
        )],
    );
    settle(&app).await;
    propose(&app, &sam, "sam/lamp:main", "Relicense").await;
    let (_, delta) = app
        .json("/api/designs/olga/lamp/proposals/1/bom-delta")
        .await;
    assert_eq!(
        delta["license_change"],
        json!({"before": "CERN-OHL-S-2.0", "after": "MIT"})
    );
    assert_eq!(delta["manifest"][0]["key"], "license");

    // The fork goes away; the proposal keeps its commits under the target's hidden refs.
    std::fs::remove_dir_all(store.root().join("repos/sam/lamp.git")).unwrap();
    let p = proposal(&app, 1).await;
    assert_eq!(p["head"]["deleted"], true);
    assert_eq!(p["head"]["sha"], head.as_str());
    let (status, commits) = app.json("/api/designs/olga/lamp/proposals/1/commits").await;
    assert_eq!(
        (status, commits["commits"][0]["id"].as_str()),
        (StatusCode::OK, Some(head.as_str()))
    );
    assert!(
        !store
            .refs(&id("olga/lamp"))
            .unwrap()
            .keys()
            .any(|r| r.contains("proposals")),
        "proposal refs are neither branches nor tags"
    );

    let base = p["base"]["sha"].as_str().unwrap().to_owned();
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"expected_head": base})),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("MIT"));
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/designs/olga/lamp/proposals/1/merge",
        &olga,
        Some(json!({"expected_head": base, "confirm_license_change": true})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
