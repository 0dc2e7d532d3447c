//! Git over smart HTTP with the stock `git` client against a real listener: clone (protocol v0
//! and v2, shallow, with or without `.git`), fetch, only branches and tags advertised, a sibling
//! fork's commit refused by id, dumb HTTP refused; pushes with a token, checked like API
//! commits (role, paths, sizes, the default branch, release tags), racing API commits, and
//! announced once.

mod common;

use std::collections::BTreeMap;
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

    // Pushing needs credentials (git is asked for them); dumb HTTP is not served; nor is a
    // missing design.
    let pushed = git(
        &work.path().join("clone-v0"),
        &["push", "-q", "origin", "HEAD:refs/heads/x"],
    )
    .await;
    assert!(!pushed.status.success());
    let challenge = ureq::get(&format!(
        "{base}/atelier/anvil.git/info/refs?service=git-receive-pack"
    ))
    .config()
    .http_status_as_error(false)
    .build()
    .call()
    .unwrap();
    assert_eq!(challenge.status(), 401);
    assert_eq!(
        challenge.headers()["www-authenticate"],
        "Basic realm=\"Atelier\", charset=\"UTF-8\""
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

/// `url` with `user:token@` after the scheme.
/// Creates the empty design `slug` (for a pushed history) as `cookie`; requires 201.
async fn create_empty(app: &TestApp, cookie: &str, slug: &str) -> common::Answer {
    let created = app
        .request(
            Method::POST,
            "/api/designs",
            &As::Cookie(cookie.to_owned()),
            Some(
                json!({"slug": slug, "name": "Old", "function": "Came from elsewhere",
                "license": "MIT", "empty": true}),
            ),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    created
}

fn with_credentials(url: &str, user: &str, token: &str) -> String {
    url.replacen("http://", &format!("http://{user}:{token}@"), 1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A push that git reports as refused, with `message` among what the server said.
fn refused_with(output: &Output, message: &str) {
    let text = stderr(output);
    assert!(!output.status.success(), "the push went through: {text}");
    assert!(text.contains(message), "expected {message:?} in: {text}");
}

async fn commit_file(dir: &Path, path: &str, bytes: &[u8], message: &str) -> String {
    let file = dir.join(path);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(file, bytes).unwrap();
    ok(&git(dir, &["add", "--", path]).await);
    ok(&git(dir, &["commit", "-q", "-m", message]).await);
    ok(&git(dir, &["rev-parse", "HEAD"]).await)
}

async fn head_of(app: &TestApp, design: &str) -> String {
    app.json(&format!("/api/designs/{design}")).await.1["head"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_checked_like_api_commits_and_announced_once() {
    let app = TestApp::new().await;
    let base = serve(&app).await;
    let work = tempfile::tempdir().unwrap();
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "cart").await;
    let token = app.token(&ada, &["designs:write"]).await;
    let bob = app.sign_up("bob").await;
    let bob_token = app.token(&bob, &["designs:write"]).await;
    let url = format!("{base}/ada/cart.git");
    let pushing = with_credentials(&url, "ada", &token);

    ok(&git(work.path(), &["clone", "-q", &pushing, "cart"]).await);
    ok(&git(work.path(), &["clone", "-q", &url, "elsewhere"]).await);
    let dir = work.path().join("cart");
    ok(&git(&dir, &["config", "user.name", "Ada Lovelace"]).await);
    ok(&git(&dir, &["config", "user.email", "ada@example.org"]).await);
    let before = head_of(&app, "ada/cart").await;

    // A push to main with a Labor-Hours trailer: on the branch, in the ledger, searchable.
    let pushed = commit_file(
        &dir,
        "README.md",
        b"# Cart\n\nA cart on a zanzibarite axle.\n",
        "Describe the axle\n\nLabor-Hours: 3",
    )
    .await;
    ok(&git(&dir, &["push", "-q", "origin", "main"]).await);
    assert_eq!(head_of(&app, "ada/cart").await, pushed);
    // Another clone pulls it.
    let elsewhere = work.path().join("elsewhere");
    ok(&git(&elsewhere, &["pull", "-q", "--ff-only"]).await);
    assert_eq!(ok(&git(&elsewhere, &["rev-parse", "HEAD"]).await), pushed);
    let found = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        loop {
            let (_, hits) = app.json("/api/search?q=zanzibarite").await;
            if hits["total"] == 1 {
                return hits;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the pushed word is searchable within 2 s");
    assert_eq!(found["designs"][0]["id"], "ada/cart");
    app.state.settled().await;
    let id = backend::store::DesignId::parse("ada/cart").unwrap();
    let network = app.state.store.lineage(&id).unwrap().network;
    let entries = app.state.labor.stored(&network).await.unwrap();
    let entry = entries
        .iter()
        .find(|e| e.commit == pushed)
        .expect("a ledger entry");
    assert_eq!((entry.hours, entry.estimated), (3.0, false));
    assert_eq!(entry.account.as_deref(), Some("ada"));
    // One event for the move, with the old and new heads.
    let batch = app.state.events.after(0, 10_000).await.unwrap();
    let moves: Vec<_> = batch
        .events
        .iter()
        .filter_map(|e| e.ref_change())
        .filter(|c| c.design == id && c.refname == "refs/heads/main")
        .filter(|c| c.new.map(|n| n.to_string()) == Some(pushed.clone()))
        .collect();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0].old.unwrap().to_string(), before);
    // The objects are in the pool; the member holds refs only.
    let objects = app.state.store.pool_objects(&id).unwrap();
    let pool = objects.parent().unwrap().to_str().unwrap().to_owned();
    ok(&git(
        work.path(),
        &["--git-dir", &pool, "cat-file", "-e", &pushed],
    )
    .await);
    let member = app.state.store.git_dir(&id).unwrap();
    let packs = std::fs::read_dir(member.join("objects/pack"))
        .unwrap()
        .count();
    assert_eq!(packs, 0, "the member holds no pack");

    // A new branch.
    ok(&git(&dir, &["checkout", "-q", "-b", "wheels"]).await);
    let wheel = commit_file(&dir, "wheels.md", b"Two wheels.\n", "Wheels").await;
    ok(&git(&dir, &["push", "-q", "origin", "wheels"]).await);
    let (_, branches) = app.json("/api/designs/ada/cart/branches").await;
    assert!(
        branches["branches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["name"] == "wheels" && b["head"] == wheel.as_str()),
        "{branches}"
    );
    ok(&git(&dir, &["checkout", "-q", "main"]).await);

    // Refusals, each with what the pusher reads; main never moves.
    let main = head_of(&app, "ada/cart").await;
    let no_token = git(&dir, &["push", "-q", &url, "main:refs/heads/anonymous"]).await;
    assert!(!no_token.status.success());
    let reader = with_credentials(&url, "bob", &bob_token);
    refused_with(
        &git(&dir, &["push", "-q", &reader, "main:refs/heads/bobs"]).await,
        "only the owner and maintainers of ada/cart may change it",
    );
    let wrong_user = with_credentials(&url, "bob", &token);
    refused_with(
        &git(&dir, &["push", "-q", &wrong_user, "main:refs/heads/x"]).await,
        "Authentication failed",
    );
    ok(&git(&dir, &["checkout", "-q", "-b", "bad"]).await);
    commit_file(&dir, "draft.", b"a name NTFS would cut\n", "A trailing dot").await;
    refused_with(
        &git(&dir, &["push", "-q", "origin", "bad"]).await,
        "invalid path \"draft.\"",
    );
    ok(&git(&dir, &["checkout", "-q", "main"]).await);
    ok(&git(&dir, &["checkout", "-q", "-b", "big"]).await);
    let big = common::noise(2 << 20);
    commit_file(&dir, "big.bin", &big, "Too big").await;
    let big_blob = ok(&git(&dir, &["rev-parse", "HEAD:big.bin"]).await);
    refused_with(
        &git(&dir, &["push", "-q", "origin", "big"]).await,
        "files may be at most 1 MiB",
    );
    // Refused pushes leave nothing behind (git's quarantine).
    let gone = git(
        work.path(),
        &["--git-dir", &pool, "cat-file", "-e", &big_blob],
    )
    .await;
    assert!(!gone.status.success(), "the refused blob is in the pool");
    ok(&git(&dir, &["checkout", "-q", "main"]).await);
    refused_with(
        &git(&dir, &["push", "-q", "origin", ":main"]).await,
        "the default branch main cannot be deleted",
    );
    ok(&git(&dir, &["reset", "-q", "--hard", "HEAD~1"]).await);
    commit_file(&dir, "rewrite.md", b"history rewritten\n", "Rewrite").await;
    refused_with(
        &git(&dir, &["push", "-q", "--force", "origin", "main"]).await,
        "the default branch main cannot be rewritten",
    );
    ok(&git(&dir, &["reset", "-q", "--hard", &main]).await);
    ok(&git(&dir, &["tag", "v1"]).await);
    ok(&git(&dir, &["push", "-q", "origin", "v1"]).await);
    ok(&git(&dir, &["tag", "-f", "v1", "wheels"]).await);
    refused_with(
        &git(&dir, &["push", "-q", "--force", "origin", "v1"]).await,
        "release tag v1 is permanent",
    );
    refused_with(
        &git(&dir, &["push", "-q", "origin", "main:refs/notes/x"]).await,
        "only branches and tags can be pushed",
    );
    assert_eq!(head_of(&app, "ada/cart").await, main);
    // A force-push to another branch is the writer's choice.
    ok(&git(&dir, &["push", "-q", "--force", "origin", "main:wheels"]).await);

    // A sibling fork's refs are not advertised to a pusher as `.have`s.
    let forked = app
        .request(
            Method::POST,
            "/api/designs/ada/cart/forks",
            &As::Cookie(bob.clone()),
            None,
        )
        .await;
    assert_eq!(forked.status, StatusCode::CREATED, "{:?}", forked.json());
    let bob_head = head_of(&app, "bob/cart").await;
    let made = app
        .request(
            Method::POST,
            "/api/designs/bob/cart/commits",
            &As::Cookie(bob.clone()),
            Some(
                json!({"branch": "main", "expected_head": bob_head, "message": "Bob's",
                "changes": [{"op": "put", "path": "bob.md", "content": "bob\n"}]}),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let refs = ok(&git(&dir, &["ls-remote", "--refs", &pushing]).await);
    assert!(!refs.contains(made.json()["id"].as_str().unwrap()));
    let advertised = ureq::get(&format!("{url}/info/refs?service=git-receive-pack"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(advertised.contains("refs/heads/main"), "{advertised}");
    assert!(!advertised.contains(".have"), "{advertised}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_racing_an_api_commit_loses_or_wins_whole() {
    let app = TestApp::new().await;
    let base = serve(&app).await;
    let work = tempfile::tempdir().unwrap();
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "race").await;
    let token = app.token(&ada, &["designs:write"]).await;
    let url = with_credentials(&format!("{base}/ada/race.git"), "ada", &token);
    ok(&git(work.path(), &["clone", "-q", &url, "race"]).await);
    let dir = work.path().join("race");
    ok(&git(&dir, &["config", "user.name", "Ada"]).await);
    ok(&git(&dir, &["config", "user.email", "ada@example.org"]).await);
    let (mut pushes, mut commits) = (0, 0);
    for round in 0..6 {
        let head = head_of(&app, "ada/race").await;
        ok(&git(&dir, &["fetch", "-q", "origin"]).await);
        ok(&git(&dir, &["reset", "-q", "--hard", &head]).await);
        let local = commit_file(&dir, &format!("push-{round}.md"), b"by git\n", "By push").await;
        let push = git(&dir, &["push", "-q", "origin", "main"]);
        let who = As::Cookie(ada.clone());
        let api = app.request(
            Method::POST,
            "/api/designs/ada/race/commits",
            &who,
            Some(json!({"branch": "main", "expected_head": head, "message": "By API",
                "changes": [{"op": "put", "path": format!("api-{round}.md"), "content": "by api\n"}]})),
        );
        let (push, api) = tokio::join!(push, api);
        let now = head_of(&app, "ada/race").await;
        match (push.status.success(), api.status) {
            (true, StatusCode::CONFLICT) => {
                pushes += 1;
                assert_eq!(now, local);
            }
            (false, StatusCode::CREATED) => {
                commits += 1;
                assert_eq!(now, api.json()["id"].as_str().unwrap());
                let text = stderr(&push);
                assert!(
                    text.contains("rejected") || text.contains("moved"),
                    "{text}"
                );
            }
            (pushed, status) => panic!(
                "round {round}: push {pushed}, API {status}: {}",
                stderr(&push)
            ),
        }
    }
    // Nothing is lost: every winner is on main, in order.
    let log = ok(&git(&dir, &["fetch", "-q", "origin"]).await);
    assert!(log.is_empty());
    let count = ok(&git(&dir, &["rev-list", "--count", "origin/main"]).await);
    assert_eq!(count.parse::<usize>().unwrap(), 1 + pushes + commits);
}

/// A history in `dir` by three people over four commits, tagged `v0.1`: the commit ids,
/// oldest first.
/// Four commits by three people on `branch`, the last tagged `v0.1`.
async fn history_by_three(dir: &Path, branch: &str) -> Vec<String> {
    ok(&git(
        dir.parent().unwrap(),
        &["init", "-q", "-b", branch, dir.to_str().unwrap()],
    )
    .await);
    ok(&git(dir, &["config", "user.name", "Ada"]).await);
    ok(&git(dir, &["config", "user.email", "ada@example.org"]).await);
    let mut ids = Vec::new();
    for (n, author) in [
        "Cy Young <cy@example.org>",
        "Dee Ramos <dee@example.org>",
        "Cy Young <cy@example.org>",
        "Ada <ada@example.org>",
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(dir.join(format!("part-{n}.md")), format!("part {n}\n")).unwrap();
        ok(&git(dir, &["add", "."]).await);
        ok(&git(
            dir,
            &[
                "commit",
                "-q",
                "-m",
                &format!("Part {n}"),
                "--author",
                author,
            ],
        )
        .await);
        ids.push(ok(&git(dir, &["rev-parse", "HEAD"]).await));
    }
    ok(&git(dir, &["tag", "-a", "-m", "First cut", "v0.1"]).await);
    ids
}

/// Every ledger entry of `design`'s network, as (commit, email, account, estimated).
async fn ledger(app: &TestApp, design: &str) -> Vec<(String, String, Option<String>, bool)> {
    app.state.settled().await;
    let id = backend::store::DesignId::parse(design).unwrap();
    let network = app.state.store.lineage(&id).unwrap().network;
    let mut entries: Vec<_> = app
        .state
        .labor
        .stored(&network)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.commit, e.contributor_email, e.account, e.estimated))
        .collect();
    entries.sort();
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_history_pushed_into_an_empty_design_keeps_its_ids_and_authors() {
    let app = TestApp::new().await;
    let base = serve(&app).await;
    let work = tempfile::tempdir().unwrap();
    let ada = app.sign_up("ada").await;
    let token = app.token(&ada, &["designs:write"]).await;
    let created = create_empty(&app, &ada, "old").await;
    assert_eq!(created.json()["empty"], true);
    let empty = app.get("/api/designs/ada/old").await;
    assert_eq!(empty.status, StatusCode::NOT_FOUND);
    assert!(
        empty.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is empty")
    );

    let dir = work.path().join("old");
    let ids = history_by_three(&dir, "main").await;
    let url = with_credentials(&format!("{base}/ada/old.git"), "ada", &token);
    ok(&git(&dir, &["remote", "add", "origin", &url]).await);
    // The first push must bring a branch: it becomes the default one (main, when pushed).
    ok(&git(&dir, &["branch", "side", "HEAD~1"]).await);
    refused_with(
        &git(&dir, &["push", "-q", "--tags", "origin"]).await,
        "the first push into an empty design must bring a branch",
    );
    ok(&git(&dir, &["push", "-q", "--all", "origin"]).await);
    ok(&git(&dir, &["push", "-q", "--tags", "origin"]).await);

    assert_eq!(head_of(&app, "ada/old").await, ids[3]);
    assert_eq!(
        app.json("/api/designs/ada/old").await.1["default_branch"],
        "main"
    );
    ok(&git(
        work.path(),
        &["clone", "-q", &format!("{base}/ada/old"), "again"],
    )
    .await);
    let cloned = ok(&git(
        &work.path().join("again"),
        &["rev-list", "--reverse", "HEAD"],
    )
    .await);
    assert_eq!(cloned.lines().collect::<Vec<_>>(), ids);
    let (_, releases) = app.json("/api/designs/ada/old/releases").await;
    assert_eq!(releases["releases"][0]["tag"], "v0.1", "{releases}");

    // Labor goes to the authors: unclaimed for Cy and Dee, estimated at the policy's default.
    let entries = ledger(&app, "ada/old").await;
    let by_commit = |id: &str| entries.iter().find(|e| e.0 == id).unwrap().clone();
    assert_eq!(
        by_commit(&ids[0]),
        (ids[0].clone(), "cy@example.org".into(), None, true)
    );
    assert_eq!(by_commit(&ids[1]).1, "dee@example.org");
    assert_eq!(
        by_commit(&ids[3]),
        (
            ids[3].clone(),
            "ada@example.org".into(),
            Some("ada".into()),
            true
        )
    );
    let adas = entries
        .iter()
        .filter(|e| e.2.as_deref() == Some("ada"))
        .count();
    assert_eq!(
        adas, 1,
        "the importer is credited with her own commit only: {entries:?}"
    );
}

/// The status of each ledger entry of `design`'s network, by commit.
async fn statuses(app: &TestApp, design: &str) -> BTreeMap<String, &'static str> {
    app.state.settled().await;
    let id = backend::store::DesignId::parse(design).unwrap();
    let network = app.state.store.lineage(&id).unwrap().network;
    app.state
        .labor
        .stored(&network)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.commit, e.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_on_master_keeps_master_as_its_default_branch() {
    let app = TestApp::new().await;
    let base = serve(&app).await;
    let work = tempfile::tempdir().unwrap();
    let ada = app.sign_up("ada").await;
    let token = app.token(&ada, &["designs:write"]).await;
    let dir = work.path().join("old");
    let ids = history_by_three(&dir, "master").await;
    ok(&git(&dir, &["branch", "aaa-first", "HEAD~2"]).await);

    // Pushed into an empty design: the first push's master becomes the default branch.
    create_empty(&app, &ada, "old").await;
    let url = with_credentials(&format!("{base}/ada/old.git"), "ada", &token);
    ok(&git(&dir, &["push", "-q", &url, "--all"]).await);
    ok(&git(&dir, &["push", "-q", &url, "--tags"]).await);
    let (_, detail) = app.json("/api/designs/ada/old").await;
    assert_eq!(detail["default_branch"], "master", "{detail}");
    assert_eq!(detail["head"], ids[3].as_str());
    assert_eq!(detail["counts"]["commits"], 4);
    let (_, branches) = app.json("/api/designs/ada/old/branches").await;
    assert_eq!(branches["branches"][0]["name"], "master", "{branches}");
    assert_eq!(branches["branches"][0]["default"], true);
    assert_eq!(branches["branches"][1]["default"], false);
    // Commits on master are validated work: the root's default branch.
    let statuses = statuses(&app, "ada/old").await;
    assert_eq!(statuses.get(&ids[3]), Some(&"validated"), "{statuses:?}");
    // The default branch is master for readers, git and its guards alike.
    let (_, commits) = app.json("/api/designs/ada/old/commits").await;
    assert_eq!(commits["total"], 4, "{commits}");
    ok(&git(
        work.path(),
        &["clone", "-q", &format!("{base}/ada/old"), "again"],
    )
    .await);
    let checked_out = ok(&git(&work.path().join("again"), &["branch", "--show-current"]).await);
    assert_eq!(checked_out, "master");
    refused_with(
        &git(&dir, &["push", "-q", &url, ":master"]).await,
        "the default branch master cannot be deleted",
    );
    // An API commit lands on master; a fork keeps master as its default branch.
    app.commit_changes(
        &ada,
        "ada/old",
        "Notes",
        json!([{"op": "put", "path": "notes.md", "content": "hi\n"}]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/old").await;
    assert_ne!(detail["head"], ids[3].as_str(), "master moved: {detail}");
    assert_eq!(
        app.json("/api/designs/ada/old/commits?rev=master").await.1["total"],
        5
    );
    let bo = app.sign_up("bo").await;
    let forked = app
        .request(
            Method::POST,
            "/api/designs/ada/old/forks",
            &As::Cookie(bo.clone()),
            Some(json!({})),
        )
        .await;
    assert_eq!(forked.status, StatusCode::CREATED, "{:?}", forked.json());
    let (_, fork) = app.json("/api/designs/bo/old").await;
    assert_eq!(fork["default_branch"], "master", "{fork}");
    assert_eq!(fork["upstream"]["branch"], "master", "{fork}");

    // A bundle names its HEAD: that branch is the default, even beside a main.
    ok(&git(&dir, &["branch", "main", "HEAD~1"]).await);
    ok(&git(&dir, &["bundle", "create", "-q", "../all.bundle", "--all"]).await);
    let detail = import_and_show(&app, &ada, "bundled", &work.path().join("all.bundle")).await;
    assert_eq!(detail["default_branch"], "master", "{detail}");
    assert_eq!(detail["head"], ids[3].as_str());
    // Without a HEAD in it, a bundle's main comes first.
    ok(&git(
        &dir,
        &[
            "bundle",
            "create",
            "-q",
            "../heads.bundle",
            "--branches",
            "--tags",
        ],
    )
    .await);
    let detail = import_and_show(&app, &ada, "heads", &work.path().join("heads.bundle")).await;
    assert_eq!(detail["default_branch"], "main", "{detail}");
    assert_eq!(detail["head"], ids[2].as_str());
}

/// Imports the bundle file at `path` as `slug` (requiring 201); the new design's detail.
async fn import_and_show(
    app: &TestApp,
    cookie: &str,
    slug: &str,
    path: &Path,
) -> serde_json::Value {
    let imported = import(app, cookie, slug, &std::fs::read(path).unwrap()).await;
    assert_eq!(
        imported.status,
        StatusCode::CREATED,
        "{:?}",
        imported.json()
    );
    let id = imported.json()["design"]["id"].as_str().unwrap().to_owned();
    app.json(&format!("/api/designs/{id}")).await.1
}

async fn import(app: &TestApp, cookie: &str, slug: &str, bundle: &[u8]) -> common::Answer {
    post_import(
        app,
        cookie,
        common::form(&[("slug", slug)], "bundle", "x.bundle", bundle),
    )
    .await
}

async fn import_url(app: &TestApp, cookie: &str, slug: &str, url: &str) -> common::Answer {
    post_import(
        app,
        cookie,
        common::fields_form(&[("slug", slug), ("url", url)]),
    )
    .await
}

async fn post_import(
    app: &TestApp,
    cookie: &str,
    (content_type, body): (String, Vec<u8>),
) -> common::Answer {
    app.send(
        axum::http::Request::post("/api/designs/import")
            .header("cookie", cookie)
            .header(api::CSRF_HEADER, "1")
            .header("content-type", content_type)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_git_bundle_is_imported_whole_or_not_at_all() {
    let app = TestApp::new().await;
    let work = tempfile::tempdir().unwrap();
    let ada = app.sign_up("ada").await;
    let dir = work.path().join("history");
    let ids = history_by_three(&dir, "main").await;
    ok(&git(&dir, &["bundle", "create", "-q", "../all.bundle", "--all"]).await);
    let bundle = std::fs::read(work.path().join("all.bundle")).unwrap();

    let imported = import(&app, &ada, "history", &bundle).await;
    assert_eq!(
        imported.status,
        StatusCode::CREATED,
        "{:?}",
        imported.json()
    );
    let answer = imported.json();
    assert_eq!(answer["design"]["id"], "ada/history");
    assert_eq!(answer["design"]["head"], ids[3].as_str());
    let names: Vec<&str> = answer["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["refs/heads/main", "refs/tags/v0.1"]);
    let (_, commits) = app
        .json("/api/designs/ada/history/commits?per_page=10")
        .await;
    let listed: Vec<&str> = commits["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);
    let entries = ledger(&app, "ada/history").await;
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert!(
        entries
            .iter()
            .filter(|e| e.0 != ids[3])
            .all(|e| e.2.is_none())
    );

    // Not a bundle; a bundle with a path the API refuses: a clear error, and no design.
    let junk = import(&app, &ada, "junk", b"not a bundle").await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST);
    assert!(
        junk.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a complete git bundle"),
        "{:?}",
        junk.json()
    );
    // A file pointing at a repository on the server's disk is not a bundle either.
    let pointer = format!("gitdir: {}\n", dir.join(".git").display());
    let local = import(&app, &ada, "local", pointer.as_bytes()).await;
    assert_eq!(local.status, StatusCode::BAD_REQUEST, "{:?}", local.json());
    assert_eq!(
        app.get("/api/designs/ada/local").await.status,
        StatusCode::NOT_FOUND
    );
    std::fs::write(dir.join("trailing."), "a name NTFS would cut\n").unwrap();
    ok(&git(&dir, &["add", "."]).await);
    ok(&git(&dir, &["commit", "-q", "-m", "Trailing dot"]).await);
    ok(&git(&dir, &["bundle", "create", "-q", "../bad.bundle", "--all"]).await);
    let bad = std::fs::read(work.path().join("bad.bundle")).unwrap();
    let refused = import(&app, &ada, "bad", &bad).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("invalid path \"trailing.\""),
        "{:?}",
        refused.json()
    );
    assert_eq!(
        app.get("/api/designs/ada/bad").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/designs/ada/junk").await.status,
        StatusCode::NOT_FOUND
    );
    // The same slug again is a conflict, not a second import.
    let again = import(&app, &ada, "history", &bundle).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_refused_when_the_hook_cannot_run() {
    let app = TestApp::with(|config| {
        config.hook_program = Some("/nonexistent/atelier".into());
    })
    .await;
    let base = serve(&app).await;
    let work = tempfile::tempdir().unwrap();
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "cart").await;
    let token = app.token(&ada, &["designs:write"]).await;
    let url = with_credentials(&format!("{base}/ada/cart.git"), "ada", &token);
    ok(&git(work.path(), &["clone", "-q", &url, "cart"]).await);
    let dir = work.path().join("cart");
    ok(&git(&dir, &["config", "user.name", "Ada"]).await);
    ok(&git(&dir, &["config", "user.email", "ada@example.org"]).await);
    let before = head_of(&app, "ada/cart").await;
    commit_file(&dir, "notes.md", b"unchecked?\n", "Try").await;
    refused_with(
        &git(&dir, &["push", "-q", "origin", "main"]).await,
        "pushing is switched off on this server",
    );
    assert_eq!(head_of(&app, "ada/cart").await, before);
}

/// An https front for the plain listener at `backend`, with a fresh self-signed certificate for
/// 127.0.0.1 written to `dir/ca.pem`: its port and that file (the CA git is given).
async fn https_front(backend: std::net::SocketAddr, dir: &Path) -> (u16, std::path::PathBuf) {
    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
    use openssl::x509::{X509, X509NameBuilder};

    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "127.0.0.1").unwrap();
    let name = name.build();
    let mut cert = X509::builder().unwrap();
    cert.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    cert.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    cert.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&cert.x509v3_context(None, None))
        .unwrap();
    cert.append_extension(san).unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    let pem = cert.build().to_pem().unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pem).unwrap();
    let identity =
        native_tls::Identity::from_pkcs8(&pem, &key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let acceptor =
        tokio_native_tls::TlsAcceptor::from(native_tls::TlsAcceptor::new(identity).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    (port, ca)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_is_imported_from_an_allowed_https_url_only() {
    let work = tempfile::tempdir().unwrap();
    // The source: another instance, reached over https.
    let source = TestApp::new().await;
    let source_base = serve(&source).await;
    let cy = source.sign_up("cy").await;
    let token = source.token(&cy, &["designs:write"]).await;
    create_empty(&source, &cy, "old").await;
    let dir = work.path().join("old");
    // Its default branch is trunk (the first push's), beside a master: only the remote's HEAD
    // can tell the importer which is the default.
    let ids = history_by_three(&dir, "trunk").await;
    ok(&git(&dir, &["branch", "master", "HEAD~2"]).await);
    let push_url = with_credentials(&format!("{source_base}/cy/old.git"), "cy", &token);
    ok(&git(&dir, &["push", "-q", &push_url, "trunk"]).await);
    ok(&git(&dir, &["push", "-q", &push_url, "--all"]).await);
    ok(&git(&dir, &["push", "-q", &push_url, "--tags"]).await);
    let backend = source_base.trim_start_matches("http://").parse().unwrap();
    let (port, ca) = https_front(backend, work.path()).await;
    let url = format!("https://127.0.0.1:{port}/cy/old.git");

    // Off by default.
    let closed = TestApp::new().await;
    let bo = closed.sign_up("bo").await;
    let refused = import_url(&closed, &bo, "old", &url).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .json()
            .to_string()
            .contains("does not import from URLs"),
        "{:?}",
        refused.json()
    );

    let app = TestApp::with(|config| {
        config.allow_import_from = vec![format!("127.0.0.1:{port}")];
        config.import_ca_file = Some(ca.clone());
    })
    .await;
    let ada = app.sign_up("ada").await;
    for (bad, message) in [
        (
            format!("http://127.0.0.1:{port}/cy/old.git"),
            "only https:// URLs",
        ),
        (format!("file://{}", dir.display()), "only https:// URLs"),
        (
            "https://example.org/cy/old.git".to_owned(),
            "imports from example.org are not allowed",
        ),
        (
            format!("https://cy:{token}@127.0.0.1:{port}/cy/old.git"),
            "put no credentials in the URL",
        ),
        (
            format!("https://127.0.0.1:{port}/cy/missing.git"),
            "could not fetch",
        ),
    ] {
        let refused = import_url(&app, &ada, "old", &bad).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        let text = refused.json().to_string();
        assert!(text.contains(message), "{bad}: {text}");
        assert!(
            !text.contains(&token),
            "the answer repeats no credentials: {text}"
        );
        assert_eq!(
            app.get("/api/designs/ada/old").await.status,
            StatusCode::NOT_FOUND
        );
    }

    let imported = import_url(&app, &ada, "old", &url).await;
    assert_eq!(
        imported.status,
        StatusCode::CREATED,
        "{:?}",
        imported.json()
    );
    let names: Vec<String> = imported.json()["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["refs/heads/master", "refs/heads/trunk", "refs/tags/v0.1"]
    );
    // The remote's HEAD is the default branch; every commit id is kept.
    let (_, detail) = app.json("/api/designs/ada/old").await;
    assert_eq!(detail["default_branch"], "trunk", "{detail}");
    assert_eq!(detail["head"], ids[3].as_str());
    let (_, commits) = app.json("/api/designs/ada/old/commits?per_page=10").await;
    let listed: Vec<&str> = commits["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(listed, newest_first);

    // A history larger than the limit is refused, and leaves nothing behind.
    let small = TestApp::with(|config| {
        config.allow_import_from = vec![format!("127.0.0.1:{port}")];
        config.import_ca_file = Some(ca.clone());
        config.max_push = 64;
    })
    .await;
    let dee = small.sign_up("dee").await;
    let refused = import_url(&small, &dee, "old", &url).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.json().to_string().contains("holds more than"),
        "{:?}",
        refused.json()
    );
    assert_eq!(
        small.get("/api/designs/dee/old").await.status,
        StatusCode::NOT_FOUND
    );
    let scratch = small.state.store.root().join("imports");
    assert_eq!(
        std::fs::read_dir(&scratch).unwrap().count(),
        0,
        "{scratch:?}"
    );
}
