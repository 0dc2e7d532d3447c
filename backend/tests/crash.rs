//! Crash recovery of the event log, on real server processes: `atelier serve` is killed with
//! SIGKILL in the middle of a burst of API commits, twice, and restarted each time. Afterwards
//! every acknowledged commit is there, every word it committed is searchable, every consumer's
//! cursor reaches the log's head, and the stored ledger equals a full recompute
//! (`atelier labor verify`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const COMMITS: usize = 50;
/// The burst is killed once this many commits were acknowledged (then again at the second).
const KILLS_AT: [usize; 2] = [17, 36];

struct Server {
    child: Child,
    base: String,
}

/// `--database` for every process of one test: a fresh PostgreSQL database when the suite runs
/// on PostgreSQL, else none (SQLite in the data directory).
fn database_args() -> Vec<String> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(backend::db::test_database())
        .into_iter()
        .flat_map(|url| ["--database".to_owned(), url])
        .collect()
}

impl Server {
    fn start(data: &Path, designs: &Path, database: &[String]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.with_extension("log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data)
            .arg("--designs")
            .arg(designs)
            .arg("--dist")
            .arg(data.with_extension("no-dist"))
            .args(database)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, _)) = request(&server.base, "GET", "/api/health", None, None) {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL: no chance to clean up.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM: a clean stop.
    fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the server stopped with {status}");
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One request; the status and the body as JSON (`Null` when not JSON).
fn request(
    base: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    auth: Option<&str>,
) -> Result<(u16, Value), ureq::Error> {
    let url = format!("{base}{path}");
    let agent = agent();
    let mut response = match (method, body) {
        ("GET", _) => {
            let mut req = agent.get(&url);
            if let Some(auth) = auth {
                req = req.header("Authorization", auth);
            }
            req.call()?
        }
        (_, body) => {
            let mut req = agent
                .post(&url)
                .header("Content-Type", "application/json")
                .header("X-Atelier-Csrf", "1");
            if let Some(auth) = auth {
                req = req.header(
                    if auth.starts_with("Bearer") {
                        "Authorization"
                    } else {
                        "Cookie"
                    },
                    auth,
                );
            }
            req.send(body.unwrap_or(Value::Null).to_string())?
        }
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A word made of letters only, one per commit (the index splits on digits' boundaries).
fn word(n: usize) -> String {
    let letters: String = [n / 26, n % 26]
        .iter()
        .map(|d| (b'a' + *d as u8) as char)
        .collect();
    format!("quokka{letters}")
}

/// Commits one after the other until there are `COMMITS`, each appending its word to the
/// README, until the server stops answering; records the acknowledged commit ids (with their
/// number). Starts after the words the README already has: a commit in flight when the server
/// was killed may have landed without being acknowledged.
fn burst(
    base: String,
    token: String,
    acked: Arc<AtomicUsize>,
    ids: Arc<Mutex<Vec<(usize, String)>>>,
) {
    let auth = format!("Bearer {token}");
    let Ok((200, design)) = request(&base, "GET", "/api/designs/ada/crash", None, None) else {
        return;
    };
    let mut head = design["head"].as_str().unwrap().to_owned();
    let mut readme = match agent()
        .get(format!("{base}/api/designs/ada/crash/raw/{head}/README.md"))
        .call()
    {
        Ok(mut response) if response.status() == 200 => {
            response.body_mut().read_to_string().unwrap()
        }
        _ => return,
    };
    let from = readme.lines().filter(|l| l.starts_with("quokka")).count();
    for n in from..COMMITS {
        readme.push_str(&format!("{}\n", word(n)));
        let body = json!({
            "branch": "main",
            "expected_head": head,
            "message": format!("Note {n}"),
            "labor": {"hours": 1.5, "type": "documentation"},
            "changes": [{"op": "put", "path": "README.md", "content": readme}],
        });
        match request(
            &base,
            "POST",
            "/api/designs/ada/crash/commits",
            Some(body),
            Some(&auth),
        ) {
            Ok((201, answer)) => {
                head = answer["id"]
                    .as_str()
                    .or_else(|| answer["commit"]["id"].as_str())
                    .or_else(|| answer["info"]["id"].as_str())
                    .unwrap_or_else(|| panic!("no commit id in {answer}"))
                    .to_owned();
                ids.lock().unwrap().push((n, head.clone()));
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Ok((status, answer)) => panic!("commit {n}: {status} {answer}"),
            // The server was killed under this request.
            Err(_) => return,
        }
    }
}

/// Signs up `ada` (the first account: an admin), makes a token with `designs:write` and
/// `events:read`, creates `ada/crash`; the token.
fn sign_up_and_create(server: &Server) -> String {
    let (status, _) = request(
        &server.base,
        "POST",
        "/api/accounts",
        Some(
            json!({"username": "ada", "email": "ada@example.org", "password": "analytical-engine"}),
        ),
        None,
    )
    .unwrap();
    assert_eq!(status, 201);
    let (_, session) = {
        let agent = agent();
        let mut response = agent
            .post(format!("{}/api/session", server.base))
            .header("Content-Type", "application/json")
            .header("X-Atelier-Csrf", "1")
            .send(json!({"username": "ada", "password": "analytical-engine"}).to_string())
            .unwrap();
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("atelier_session="))
            .and_then(|v| v.split(';').next())
            .unwrap()
            .to_owned();
        (response.body_mut().read_to_string().unwrap(), cookie)
    };
    let (status, token) = request(
        &server.base,
        "POST",
        "/api/tokens",
        Some(json!({"name": "crash", "scopes": ["designs:write", "events:read"]})),
        Some(&session),
    )
    .unwrap();
    assert_eq!(status, 201, "{token}");
    let token = token["secret"].as_str().unwrap().to_owned();
    let (status, created) = request(
        &server.base,
        "POST",
        "/api/designs",
        Some(json!({"slug": "crash", "name": "Crash", "function": "Survives kills", "license": "CERN-OHL-S-2.0"})),
        Some(&format!("Bearer {token}")),
    )
    .unwrap();
    assert_eq!(status, 201, "{created}");
    token
}

/// `atelier labor verify` on a stopped server's data: the stored ledger equals a recompute.
fn assert_ledger_verifies(data: &Path, database: &[String]) {
    let verify = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(["labor", "verify", "--data"])
        .arg(data)
        .args(database)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "labor verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn killed_servers_replay_the_log_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("data");
    let designs = dir.path().join("designs");
    std::fs::create_dir_all(&designs).unwrap();
    let database = database_args();

    let server = Server::start(&data, &designs, &database);
    let token = sign_up_and_create(&server);

    let acked = Arc::new(AtomicUsize::new(0));
    let ids = Arc::new(Mutex::new(Vec::new()));
    let mut server = server;
    for kill_at in KILLS_AT {
        let writer = std::thread::spawn({
            let (base, token, acked, ids) = (
                server.base.clone(),
                token.clone(),
                acked.clone(),
                ids.clone(),
            );
            move || burst(base, token, acked, ids)
        });
        wait_until("enough commits were acknowledged", || {
            acked.load(Ordering::SeqCst) >= kill_at
        });
        server.kill();
        writer.join().unwrap();
        server = Server::start(&data, &designs, &database);
    }
    // The rest of the burst on the restarted server, so the log continues after the replay.
    burst(
        server.base.clone(),
        token.clone(),
        acked.clone(),
        ids.clone(),
    );
    let ids = ids.lock().unwrap().clone();
    assert_eq!(ids.len(), acked.load(Ordering::SeqCst));
    assert!(
        ids.len() >= KILLS_AT[1],
        "{} commits acknowledged",
        ids.len()
    );

    // Every consumer catches up with the log.
    let auth = format!("Bearer {token}");
    let mut consumers = Value::Null;
    wait_until("every consumer's cursor equals the last seq", || {
        let (status, body) = request(
            &server.base,
            "GET",
            "/api/events/consumers",
            None,
            Some(&auth),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        consumers = body.clone();
        let head = body["head"].as_i64().unwrap();
        let list = body["consumers"].as_array().unwrap();
        list.len() == 5 && list.iter().all(|c| c["cursor"].as_i64() == Some(head))
    });
    let names: Vec<&str> = consumers["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["bundles", "catalog", "labor", "proposals", "search"]
    );

    // Every acknowledged commit is there, and so is every word.
    for (n, id) in &ids {
        let (status, _) = request(
            &server.base,
            "GET",
            &format!("/api/designs/ada/crash/commits/{id}"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "acknowledged commit {n} ({id}) is missing");
        let (status, found) = request(
            &server.base,
            "GET",
            &format!("/api/search?q={}", word(*n)),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200);
        let hits: Vec<&str> = found["designs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["id"].as_str())
            .collect();
        assert_eq!(hits, ["ada/crash"], "word of commit {n}: {found}");
    }
    // No move is announced twice (the reconcile announces only what the log missed, from the
    // last announced head: several lost moves become one), and the last one is announced.
    let (_, log) = request(
        &server.base,
        "GET",
        "/api/events?limit=1000",
        None,
        Some(&auth),
    )
    .unwrap();
    let moves: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "ref_change" && e["refname"] == "refs/heads/main")
        .filter_map(|e| e["new"].as_str())
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = moves.iter().collect();
    assert_eq!(distinct.len(), moves.len(), "a move was announced twice");
    let (_, design) = request(&server.base, "GET", "/api/designs/ada/crash", None, None).unwrap();
    assert_eq!(moves.last().copied(), design["head"].as_str());
    let (_, listed) = request(&server.base, "GET", "/api/designs", None, None).unwrap();
    assert_eq!(listed["total"], 1);
    server.stop();

    // A clean stop leaves nothing to recover, and the ledger equals a full recompute.
    assert!(!data.join("running").exists());
    assert_ledger_verifies(&data, &database);
}

fn git(args: &[&str]) -> String {
    let out = Command::new("git").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// What a kill can leave behind, planted by hand: a stale ref lock, a pool mirror behind its
/// ref and a ref move the log never heard of. The restart clears the lock, repairs the mirror,
/// announces the move (search, the ledger and the design rows follow), and commits work.
#[test]
fn a_restart_after_a_kill_clears_locks_repairs_mirrors_and_announces_missed_moves() {
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("data");
    let designs = dir.path().join("designs");
    std::fs::create_dir_all(&designs).unwrap();
    let database = database_args();
    let server = Server::start(&data, &designs, &database);
    let token = sign_up_and_create(&server);
    let auth = format!("Bearer {token}");
    // The creation's events are stored (a kill before that is the other test's business).
    wait_until("the creation is in the log", || {
        let (_, c) = request(
            &server.base,
            "GET",
            "/api/events/consumers",
            None,
            Some(&auth),
        )
        .unwrap();
        c["head"].as_i64() >= Some(2)
    });
    server.kill();

    let member = data.join("store/repos/ada/crash.git");
    let network = std::fs::read_dir(data.join("store/networks"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let (member_dir, pool_dir) = (member.to_str().unwrap(), network.to_str().unwrap());
    // A commit made behind the server's back (objects into the pool, the member's ref moved),
    // as if the server died between the move and its event.
    let head = git(&["--git-dir", member_dir, "rev-parse", "refs/heads/main"]);
    let tree = git(&[
        "--git-dir",
        pool_dir,
        "rev-parse",
        &format!("{head}^{{tree}}"),
    ]);
    let missed = git(&[
        "--git-dir",
        pool_dir,
        "-c",
        "user.name=Ada",
        "-c",
        "user.email=ada@example.org",
        "commit-tree",
        &tree,
        "-p",
        &head,
        "-m",
        "Quokkamissed\n\nLabor-Hours: 2",
    ]);
    git(&[
        "--git-dir",
        member_dir,
        "update-ref",
        "refs/heads/main",
        &missed,
    ]);
    let lock = member.join("refs/heads/main.lock");
    std::fs::write(&lock, format!("{missed}\n")).unwrap();

    let server = Server::start(&data, &designs, &database);
    assert!(!lock.exists(), "the stale lock is still there");
    let mirror = git(&[
        "--git-dir",
        pool_dir,
        "rev-parse",
        "refs/members/ada/crash/heads/main",
    ]);
    assert_eq!(mirror, missed, "the pool mirror was not repaired");
    wait_until("the missed move is applied", || {
        let (_, c) = request(
            &server.base,
            "GET",
            "/api/events/consumers",
            None,
            Some(&auth),
        )
        .unwrap();
        c["consumers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["cursor"] == c["head"])
    });
    let (_, log) = request(
        &server.base,
        "GET",
        "/api/events?limit=1000",
        None,
        Some(&auth),
    )
    .unwrap();
    assert!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "ref_change"
                && e["old"] == head.as_str()
                && e["new"] == missed.as_str()),
        "the missed move was not announced: {log}"
    );
    let (_, listed) = request(&server.base, "GET", "/api/designs", None, None).unwrap();
    assert_eq!(listed["designs"][0]["head"], missed.as_str());

    // The branch takes commits again.
    let (status, answer) = request(
        &server.base,
        "POST",
        "/api/designs/ada/crash/commits",
        Some(
            json!({"branch": "main", "expected_head": missed, "message": "After the kill",
                    "changes": [{"op": "put", "path": "notes.md", "content": "quokka\n"}]}),
        ),
        Some(&auth),
    )
    .unwrap();
    assert_eq!(status, 201, "{answer}");
    server.stop();
    assert_ledger_verifies(&data, &database);
}
