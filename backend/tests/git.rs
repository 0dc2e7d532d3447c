//! Git over smart HTTP with the stock `git` client against a real listener: clone (protocol v0
//! and v2, shallow, with or without `.git`), fetch, only branches and tags advertised, a sibling
//! fork's commit refused by id, and pushing and dumb HTTP refused with a message.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use axum::http::{Method, StatusCode};
use serde_json::json;

use common::{As, TestApp};

async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(backend::server::serve(
        listener,
        app.state.clone(),
        std::future::pending(),
    ));
    format!("http://{addr}")
}

/// The stock git, isolated from the machine's configuration, in `dir`.
async fn git(dir: &Path, args: &[&str]) -> Output {
    let (dir, args) = (
        dir.to_owned(),
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        Command::new("git")
            .args(&args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "git failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stock_git_clones_and_fetches_only_what_a_design_reaches() {
    let app = TestApp::new().await;
    let base = serve(&app).await;
    let work = tempfile::tempdir().unwrap();
    let (_, detail) = app.json("/api/designs/atelier/anvil").await;
    let head = detail["head"].as_str().unwrap().to_owned();

    // A fork with a commit of its own: its objects share the network's pool.
    let ada = app.sign_up("ada").await;
    let forked = app
        .request(
            Method::POST,
            "/api/designs/atelier/anvil/forks",
            &As::Cookie(ada.clone()),
            None,
        )
        .await;
    assert_eq!(forked.status, StatusCode::CREATED, "{:?}", forked.json());
    let fork_head = app.json("/api/designs/ada/anvil").await.1["head"]
        .as_str()
        .unwrap()
        .to_owned();
    let made = app
        .request(
            Method::POST,
            "/api/designs/ada/anvil/commits",
            &As::Cookie(ada),
            Some(
                json!({"branch": "main", "expected_head": fork_head, "message": "Only in the fork",
                "changes": [{"op": "put", "path": "fork-only.txt", "content": "mine\n"}]}),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let sibling = made.json()["id"].as_str().unwrap().to_owned();

    for (version, url) in [
        ("0", format!("{base}/atelier/anvil.git")),
        ("2", format!("{base}/atelier/anvil")),
    ] {
        let clone = format!("clone-v{version}");
        let protocol = format!("protocol.version={version}");
        ok(&git(work.path(), &["-c", &protocol, "clone", "-q", &url, &clone]).await);
        let dir = work.path().join(&clone);
        assert_eq!(
            ok(&git(&dir, &["rev-parse", "HEAD"]).await),
            head,
            "v{version}"
        );
        ok(&git(&dir, &["fsck", "--no-dangling"]).await);
        // Only branches and tags (and HEAD) are advertised.
        let refs = ok(&git(&dir, &["-c", &protocol, "ls-remote", &url]).await);
        for line in refs.lines() {
            let name = line.split('\t').nth(1).unwrap();
            assert!(
                name == "HEAD" || name.starts_with("refs/heads/") || name.starts_with("refs/tags/"),
                "v{version} advertised {name}"
            );
        }
        // A fetch works; a sibling's commit, by its id, does not.
        ok(&git(&dir, &["-c", &protocol, "fetch", "-q", "origin"]).await);
        let refused = git(&dir, &["-c", &protocol, "fetch", "-q", "origin", &sibling]).await;
        assert!(
            !refused.status.success(),
            "v{version} fetched a sibling's commit"
        );
        let missing = git(&dir, &["cat-file", "-e", &sibling]).await;
        assert!(
            !missing.status.success(),
            "v{version}: the sibling's commit arrived"
        );
    }

    // A shallow clone.
    ok(&git(
        work.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("{base}/atelier/anvil.git"),
            "shallow",
        ],
    )
    .await);
    let count = ok(&git(
        &work.path().join("shallow"),
        &["rev-list", "--count", "HEAD"],
    )
    .await);
    assert_eq!(count, "1");

    // Pushing is not open yet, and says so; dumb HTTP is not served; nor is a missing design.
    let pushed = git(
        &work.path().join("clone-v0"),
        &["push", "-q", "origin", "HEAD:refs/heads/x"],
    )
    .await;
    assert!(!pushed.status.success());
    assert!(
        String::from_utf8_lossy(&pushed.stderr).contains("403"),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let dumb = ureq::get(&format!("{base}/atelier/anvil.git/info/refs"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(dumb.status(), 403);
    let absent = git(
        work.path(),
        &[
            "clone",
            "-q",
            &format!("{base}/atelier/nothing.git"),
            "none",
        ],
    )
    .await;
    assert!(!absent.status.success());

    // A request with many haves may outgrow the JSON limit, up to its own.
    let post = |size: usize| {
        ureq::post(&format!("{base}/atelier/anvil.git/git-upload-pack"))
            .header("Content-Type", "application/x-git-upload-pack-request")
            .config()
            .http_status_as_error(false)
            .build()
            .send(&vec![b'0'; size][..])
            .unwrap()
            .status()
    };
    let limit = backend::http::git::MAX_REQUEST;
    assert_ne!(post(3 << 20), 413, "a 3 MiB negotiation is read");
    assert_eq!(post(limit + 1), 413);
}
