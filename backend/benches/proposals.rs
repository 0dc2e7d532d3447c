//! `cargo xtask bench proposals`: the mergeability check of a proposal
//! (`Store::check_merge`, a three-way merge in memory) on designs of 2,000 and 20,000 files,
//! clean (fork and upstream changed different files) and conflicting (both changed the same
//! line of one file), p50 and p99; then the files page of a proposal with 1,000 changed files,
//! `GET .../proposals/1/files?page=1&per_page=30` through the real router (in-process,
//! `oneshot`), p50 and p99. `quick`: the 2,000-file design only for the check.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use backend::events::Events;
use backend::store::{Change, CommitRequest, DesignId, MergeState, NewCommit, Person, Store};
use git2::Oid;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const MANIFEST: &str = "name = \"Frame\"\nlicense = \"CERN-OHL-S-2.0\"\n";
/// The part both sides change in the conflicting case.
const SHARED: usize = 10;
/// Changed files of the proposal whose files page is timed (`MAX_CHANGES`: one commit).
const CHANGED: usize = 1000;
const USERNAME: &str = "maker";

fn person(time: i64) -> Person {
    Person {
        name: "Bench".into(),
        email: "bench@example.org".into(),
        time,
    }
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn part_path(n: usize) -> String {
    format!("parts/p{n:05}/part.scad")
}

/// A small OpenSCAD part; `length` is its second line.
fn part(n: usize, length: usize) -> Vec<u8> {
    format!(
        "// part {n}\nlength = {length};\ncube([length, {w}, 4]);\n",
        w = n % 97 + 1
    )
    .into_bytes()
}

fn put(n: usize, length: usize) -> Change {
    Change::Put {
        path: part_path(n),
        content: part(n, length),
        mode: None,
    }
}

/// `files` files: the manifest and `files - 1` parts in nested folders.
fn create_design(store: &Store, id: &DesignId, files: usize) {
    let mut tree = BTreeMap::new();
    tree.insert("okh.toml".to_owned(), MANIFEST.as_bytes().to_vec());
    for n in 0..files - 1 {
        tree.insert(part_path(n), part(n, 10 + n % 50));
    }
    store
        .create(
            id,
            &[NewCommit {
                author: person(1_700_000_000),
                committer: person(1_700_000_000),
                message: "Start\n".into(),
                files: tree,
            }],
        )
        .unwrap();
}

/// One commit of `changes` on `main` of `id`; the new head.
fn commit(store: &Store, id: &DesignId, time: i64, message: &str, changes: Vec<Change>) -> Oid {
    let head = store.resolve(id, "main").unwrap();
    store
        .commit_changes(
            id,
            &CommitRequest {
                branch: "main".into(),
                expected_head: head,
                author: person(time),
                message: message.into(),
                changes,
            },
        )
        .unwrap()
}

/// The design of `files` files, forked twice before upstream moved on: a clean fork (three
/// parts upstream leaves alone) and a conflicting one (the line upstream also changes).
fn merge_checks(target: &str, files: usize) {
    let dir = tempfile::tempdir_in(target).unwrap();
    let store = Store::open(dir.path().join("store"), Events::new()).unwrap();
    let upstream = DesignId::new("bench", "frame").unwrap();
    let clean = DesignId::new("forker", "frame-clean").unwrap();
    let conflicting = DesignId::new("forker", "frame-conflict").unwrap();
    create_design(&store, &upstream, files);
    store.fork(&upstream, &clean).unwrap();
    store.fork(&upstream, &conflicting).unwrap();
    let clean_head = commit(
        &store,
        &clean,
        1_700_000_100,
        "Longer stays\n",
        (1..=3).map(|n| put(n, 120)).collect(),
    );
    let conflict_head = commit(
        &store,
        &conflicting,
        1_700_000_200,
        "Longer shared part\n",
        vec![put(SHARED, 120)],
    );
    let moved = files / 2;
    commit(
        &store,
        &upstream,
        1_700_000_300,
        "Shorter braces\n",
        (moved..moved + 3)
            .map(|n| put(n, 80))
            .chain([put(SHARED, 80)])
            .collect(),
    );
    let base = store.resolve(&upstream, "main").unwrap();
    for (case, head, expected) in [
        ("clean", clean_head, MergeState::Clean),
        (
            "conflict",
            conflict_head,
            MergeState::Conflict(vec![part_path(SHARED)]),
        ),
    ] {
        let check = store.check_merge(&upstream, base, head).unwrap();
        assert_eq!(check.state, expected, "{files} files, {case}");
        let mut times = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let check = store.check_merge(&upstream, base, head).unwrap();
            times.push(started.elapsed());
            assert_eq!(check.state, expected, "{files} files, {case}");
        }
        println!(
            "{:<10} {:<10} {:>12} {:>12} {:>8}",
            files,
            case,
            ms(percentile(&mut times, 0.5)),
            ms(percentile(&mut times, 0.99)),
            times.len()
        );
    }
}

async fn send(app: &axum::Router, request: Request<Body>) -> axum::response::Response {
    app.clone().oneshot(request).await.unwrap()
}

async fn json_body(response: axum::response::Response) -> Value {
    let body = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&body).unwrap()
}

/// Waits until every consumer applied everything, including events consumers appended.
async fn settle(state: &backend::AppState) {
    loop {
        let before = state.events.written().await;
        state.settled().await;
        if state.events.written().await == before {
            return;
        }
    }
}

/// A signed-in account `USERNAME`: its session cookie (`name=value`).
async fn sign_up(app: &axum::Router) -> String {
    let response = send(
        app,
        Request::post("/api/accounts")
            .header(header::CONTENT_TYPE, "application/json")
            .header(api::CSRF_HEADER, "1")
            .body(Body::from(
                json!({
                    "username": USERNAME,
                    "email": format!("{USERNAME}@example.org"),
                    "password": "bench-long-password",
                })
                .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("atelier_session="))
        .and_then(|v| v.split(';').next())
        .expect("sign-up sets the session cookie")
        .to_owned()
}

async fn get_files(app: &axum::Router, uri: &str) -> (Duration, Value) {
    let started = Instant::now();
    let response = send(app, Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let elapsed = started.elapsed();
    (elapsed, serde_json::from_slice(&body).unwrap())
}

/// `maker/frame` (2,000 parts) and its fork `maker/frame-fork` with one commit changing 1,000
/// of them, proposed back; its files page timed.
async fn files_page(target: &str) {
    let dir = tempfile::tempdir_in(target).unwrap();
    let data = dir.path().join("data");
    let empty = dir.path().join("no-samples");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let state = backend::App::open(backend::Config {
        addr: "127.0.0.1:0".parse().unwrap(),
        data: data.clone(),
        dist: data.join("dist"),
        designs: empty,
        public_url: None,
        database: None,
        max_upload: 1 << 20,
        max_push: 4 << 30,
        hook_program: None,
        allow_import_from: Vec::new(),
        import_ca_file: None,
        image_proxy: true,
        image_proxy_allow_private: false,
        trusted_proxies: Vec::new(),
        client_ip_header: "x-forwarded-for".into(),
    })
    .await
    .unwrap();
    let app = backend::http::app(state.clone());
    let cookie = sign_up(&app).await;
    let design = DesignId::new(USERNAME, "frame").unwrap();
    let fork = DesignId::new(USERNAME, "frame-fork").unwrap();
    create_design(&state.store, &design, 2 * CHANGED + 1);
    state.store.fork(&design, &fork).unwrap();
    commit(
        &state.store,
        &fork,
        1_700_000_100,
        "Rework every other part\n",
        (0..CHANGED).map(|i| put(2 * i, 200)).collect(),
    );
    settle(&state).await;
    let response = send(
        &app,
        Request::post(format!("/api/designs/{design}/proposals"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, cookie.as_str())
            .header(api::CSRF_HEADER, "1")
            .body(Body::from(
                json!({"title": "Rework every other part", "head": format!("{fork}:main")})
                    .to_string(),
            ))
            .unwrap(),
    )
    .await;
    let status = response.status();
    let proposal = json_body(response).await;
    assert_eq!(status, StatusCode::CREATED, "{proposal}");
    assert_eq!(proposal["number"], 1, "{proposal}");
    settle(&state).await;

    let uri = format!("/api/designs/{design}/proposals/1/files?page=1&per_page=30");
    for _ in 0..3 {
        get_files(&app, &uri).await;
    }
    let mut times = Vec::new();
    for _ in 0..30 {
        let (elapsed, page) = get_files(&app, &uri).await;
        assert_eq!(page["total"], CHANGED, "{uri}");
        assert_eq!(page["files"].as_array().map(Vec::len), Some(30), "{uri}");
        times.push(elapsed);
    }
    println!(
        "{:<10} {:<26} {:>12} {:>12} {:>8}",
        CHANGED,
        "files?page=1&per_page=30",
        ms(percentile(&mut times, 0.5)),
        ms(percentile(&mut times, 0.99)),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().nth(1).as_deref() == Some("quick");
    let sizes: &[usize] = if quick { &[2_000] } else { &[2_000, 20_000] };
    let target = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&target).unwrap();

    println!("mergeability check (Store::check_merge)");
    println!(
        "{:<10} {:<10} {:>12} {:>12} {:>8}",
        "files", "case", "p50", "p99", "runs"
    );
    for &files in sizes {
        merge_checks(&target, files);
    }

    println!("\nproposal files page through the router");
    println!(
        "{:<10} {:<26} {:>12} {:>12} {:>8}",
        "changed", "request", "p50", "p99", "runs"
    );
    files_page(&target).await;
}
