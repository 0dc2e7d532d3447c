//! Crash recovery of the event log, on real server processes: `atelier serve` is killed with
//! SIGKILL in the middle of a burst of API commits, twice, and restarted each time. Afterwards
//! every acknowledged commit is there, every word it committed is searchable, every consumer's
//! cursor reaches the log's head, and the stored ledger equals a full recompute
//! (`atelier labor verify`).
//!
//! A second kind of test kills at random moments (from a seeded xorshift, so a failure can be
//! replayed) during mixed bursts of commits, uploads, forks, releases and bundle downloads, and
//! then checks the whole data directory: locks, git objects (`git fsck`), acknowledged results,
//! search, the ledger and every cached bundle.
//!
//! Also here, because it too needs a stopped server: `atelier import` of a whole repository.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const COMMITS: usize = 50;
/// The burst is killed once this many commits were acknowledged (then again at the second).
const KILLS_AT: [usize; 2] = [17, 36];

struct Server {
    child: Child,
    base: String,
    /// Where the server's stderr goes (every start of one data directory appends to it).
    log: PathBuf,
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
            log: data.with_extension("log"),
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

/// A test that fails midway leaves no server running behind it.
impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
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
        Some(json!({"slug": "crash", "name": "Crash", "function": "Survives kills", "license": "CERN-OHL-S-2.0", "readme": true})),
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

/// Kills (and restarts) of [`random_kills_during_mixed_bursts_leave_a_consistent_store`].
const RANDOM_KILLS: usize = 20;
/// The seed of its kill delays and mixes; `ATELIER_CRASH_SEED` (decimal or `0x` hex) replays
/// another one.
const SEED: u64 = 0x5eed_a7e1_1e12_2024;
/// Its designs, all owned by `ada`; the first is the one `sign_up_and_create` makes. Each burst
/// runs one thread per design, so a design's only writer is its thread (a 409 means a commit in
/// flight at a kill landed without being acknowledged).
const KILL_DESIGNS: [&str; 3] = ["crash", "gear", "lamp"];
/// Forks and releases over the whole test, spread over the rounds: every fork prebuilds the
/// bundles of the tags it copies, and each word must stay findable within one page of search.
const MAX_FORKS: usize = 8;
/// See [`MAX_FORKS`].
const MAX_RELEASES: usize = 12;

/// xorshift64 (Marsaglia): deterministic and dependency-free, enough to pick delays and mixes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // Zero is xorshift's fixed point.
        Self(seed.max(1))
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform enough in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// [`SEED`], or the one `ATELIER_CRASH_SEED` names.
fn kill_seed() -> u64 {
    std::env::var("ATELIER_CRASH_SEED")
        .ok()
        .and_then(|s| match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        })
        .unwrap_or(SEED)
}

/// One step of a burst thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// A commit appending a new word to the README.
    Commit,
    /// An upload, then a commit of it (with a new README word).
    Upload,
    /// A release of the branch head.
    Release,
    /// A fork under a new slug.
    Fork,
    /// A bundle of the head or of a release, read to its end.
    Bundle,
}

/// What a burst thread may do: each step picks one action uniformly (one listed twice is twice
/// as likely). Forks and releases beyond their budget become commits.
const MIXES: [(&str, &[Action]); 4] = [
    (
        "edits",
        &[
            Action::Commit,
            Action::Commit,
            Action::Upload,
            Action::Release,
        ],
    ),
    (
        "forks",
        &[Action::Commit, Action::Fork, Action::Upload, Action::Bundle],
    ),
    (
        "downloads",
        &[
            Action::Commit,
            Action::Bundle,
            Action::Bundle,
            Action::Release,
        ],
    ),
    (
        "everything",
        &[
            Action::Commit,
            Action::Upload,
            Action::Release,
            Action::Fork,
            Action::Bundle,
        ],
    ),
];

/// A commit the server acknowledged, with the word it added to the README.
struct AckedCommit {
    design: String,
    id: String,
    word: String,
}

/// An upload committed in an acknowledged commit, with the blob id the upload answered.
struct AckedUpload {
    design: String,
    commit: String,
    path: String,
    blob: String,
}

/// A fork the server acknowledged (`ada/<slug>`) and the design it was forked from.
struct AckedFork {
    id: String,
    parent: String,
}

/// A release the server acknowledged, with the commit it answered.
struct AckedRelease {
    design: String,
    tag: String,
    commit: String,
}

/// A bundle download read to its end (kept once per distinct archive).
struct Download {
    design: String,
    /// The commit id, or the release tag, asked for.
    rev: String,
    by_tag: bool,
    extension: &'static str,
    bytes: Vec<u8>,
}

/// Everything the bursts were answered with a 2xx.
#[derive(Default)]
struct Acked {
    commits: Vec<AckedCommit>,
    /// Uploads answered 201, committed or not.
    stored_uploads: usize,
    uploads: Vec<AckedUpload>,
    forks: Vec<AckedFork>,
    releases: Vec<AckedRelease>,
    /// Downloads read to their end, distinct or not.
    downloaded: usize,
    /// The distinct ones, by sha256.
    downloads: BTreeMap<String, Download>,
}

/// What the threads of every burst share: the counters names are made from (never reused, so
/// a request that landed unacknowledged cannot collide with a later one) and the answers.
#[derive(Default)]
struct Shared {
    names: AtomicUsize,
    forks: AtomicUsize,
    releases: AtomicUsize,
    acked: Mutex<Acked>,
}

/// The next number of a budget spread evenly over the rounds: by the end of round `round` at
/// most `budget * (round + 1) / RANDOM_KILLS` (rounded up) are handed out; `None` when spent.
fn take(counter: &AtomicUsize, budget: usize, round: usize) -> Option<usize> {
    let limit = (budget * (round + 1)).div_ceil(RANDOM_KILLS);
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
            (n < limit).then_some(n + 1)
        })
        .ok()
}

/// A word of letters only, one per commit of the random-kill test.
fn kill_word(n: usize) -> String {
    assert!(n < 26 * 26 * 26, "out of words");
    let letters: String = [n / 676, n / 26 % 26, n % 26]
        .iter()
        .map(|d| (b'a' + *d as u8) as char)
        .collect();
    format!("wombat{letters}")
}

/// Lower-case hex of the bytes' sha256.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// A GET read to its end: the status, the `X-Atelier-Sha256` header and the body (redirects
/// are followed).
fn download(base: &str, path: &str) -> Result<(u16, Option<String>, Vec<u8>), ureq::Error> {
    let mut response = agent().get(format!("{base}{path}")).call()?;
    let status = response.status().as_u16();
    let sha256 = response
        .headers()
        .get("x-atelier-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()?;
    Ok((status, sha256, body))
}

/// `POST .../uploads` of one file (multipart, field `file`).
fn upload_file(
    base: &str,
    design: &str,
    auth: &str,
    name: &str,
    bytes: &[u8],
) -> Result<(u16, Value), ureq::Error> {
    let boundary = "atelier-crash-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut response = agent()
        .post(format!("{base}/api/designs/{design}/uploads"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("Authorization", auth)
        .send(&body[..])?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// How one step of a burst went.
enum Step {
    /// Answered (acknowledged, or refused in a way that changes nothing).
    Done,
    /// 409: the branch moved (a commit in flight at the last kill landed); read it again.
    Conflict,
    /// The server stopped answering.
    Down,
}

/// One thread of a burst: steps on one design until the server stops answering.
struct Worker {
    base: String,
    auth: String,
    slug: &'static str,
    /// `ada/<slug>`.
    design: String,
    round: usize,
    mix: &'static [Action],
    rng: Rng,
    shared: Arc<Shared>,
    /// The branch head and the README at it, as last read or committed.
    head: String,
    readme: String,
}

impl Worker {
    fn run(mut self) {
        if !self.resync() {
            return;
        }
        loop {
            let action = self.mix[self.rng.below(self.mix.len())];
            let step = match action {
                Action::Commit => self.commit(None),
                Action::Upload => self.upload(),
                Action::Release => self.release(),
                Action::Fork => self.fork(),
                Action::Bundle => self.bundle(),
            };
            let alive = match step {
                Step::Done => true,
                Step::Conflict => self.resync(),
                Step::Down => false,
            };
            if !alive {
                return;
            }
        }
    }

    /// Reads the branch head and the README at it; false once the server stopped answering.
    fn resync(&mut self) -> bool {
        let path = format!("/api/designs/{}", self.design);
        let design = match request(&self.base, "GET", &path, None, None) {
            Ok((200, design)) => design,
            Ok((status, answer)) => panic!("{path}: {status} {answer}"),
            Err(_) => return false,
        };
        let head = design["head"]
            .as_str()
            .unwrap_or_else(|| panic!("no head in {design}"))
            .to_owned();
        let url = format!("{}{path}/raw/{head}/README.md", self.base);
        let readme = match agent().get(url.as_str()).call() {
            Ok(mut response) if response.status() == 200 => response.body_mut().read_to_string(),
            Ok(response) => panic!("{url}: {}", response.status()),
            Err(_) => return false,
        };
        let Ok(mut readme) = readme else {
            return false;
        };
        if !readme.ends_with('\n') {
            readme.push('\n');
        }
        self.head = head;
        self.readme = readme;
        true
    }

    /// Commits a new README word, and `upload` (`(path, upload id, blob)`) when given.
    fn commit(&mut self, upload: Option<(String, String, String)>) -> Step {
        let n = self.shared.names.fetch_add(1, Ordering::SeqCst);
        let word = kill_word(n);
        let readme = format!("{}{word}\n", self.readme);
        let mut changes = vec![json!({"op": "put", "path": "README.md", "content": readme})];
        if let Some((path, upload_id, _)) = &upload {
            changes.push(json!({"op": "put", "path": path, "upload_id": upload_id}));
        }
        let kind = if upload.is_some() {
            "design"
        } else {
            "documentation"
        };
        let body = json!({
            "branch": "main",
            "expected_head": self.head,
            "message": format!("Note {n}"),
            "labor": {"hours": 1.5, "type": kind},
            "changes": changes,
        });
        let path = format!("/api/designs/{}/commits", self.design);
        match request(&self.base, "POST", &path, Some(body), Some(&self.auth)) {
            Ok((201, answer)) => {
                let id = answer["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no commit id in {answer}"))
                    .to_owned();
                let mut acked = self.shared.acked.lock().unwrap();
                if let Some((path, _, blob)) = upload {
                    acked.uploads.push(AckedUpload {
                        design: self.design.clone(),
                        commit: id.clone(),
                        path,
                        blob,
                    });
                }
                acked.commits.push(AckedCommit {
                    design: self.design.clone(),
                    id: id.clone(),
                    word,
                });
                drop(acked);
                self.head = id;
                self.readme = readme;
                Step::Done
            }
            Ok((409, _)) => Step::Conflict,
            Ok((status, answer)) => panic!("commit {n} to {}: {status} {answer}", self.design),
            Err(_) => Step::Down,
        }
    }

    fn upload(&mut self) -> Step {
        let n = self.shared.names.fetch_add(1, Ordering::SeqCst);
        let size = 256 + self.rng.below(1024);
        let bytes: Vec<u8> = (0..size).map(|_| self.rng.next_u64() as u8).collect();
        let name = format!("part-{n}.bin");
        match upload_file(&self.base, &self.design, &self.auth, &name, &bytes) {
            Ok((201, answer)) => {
                self.shared.acked.lock().unwrap().stored_uploads += 1;
                let field = |key: &str| {
                    answer[key]
                        .as_str()
                        .unwrap_or_else(|| panic!("no {key} in {answer}"))
                        .to_owned()
                };
                assert_eq!(answer["size"], size, "{answer}");
                let upload = (format!("parts/{name}"), field("upload_id"), field("blob"));
                self.commit(Some(upload))
            }
            // The caps on uploads in progress (there are never more than the threads here).
            Ok((429, _)) => Step::Done,
            Ok((status, answer)) => panic!("upload {n} to {}: {status} {answer}", self.design),
            Err(_) => Step::Down,
        }
    }

    fn release(&mut self) -> Step {
        let Some(n) = take(&self.shared.releases, MAX_RELEASES, self.round) else {
            return self.commit(None);
        };
        let tag = format!("v0.{n}");
        let body = json!({"tag": tag, "notes": format!("Release {n}, made under random kills")});
        let path = format!("/api/designs/{}/releases", self.design);
        match request(&self.base, "POST", &path, Some(body), Some(&self.auth)) {
            Ok((201, answer)) => {
                assert_eq!(answer["tag"], tag.as_str(), "{answer}");
                let commit = answer["commit"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no commit in {answer}"))
                    .to_owned();
                self.shared
                    .acked
                    .lock()
                    .unwrap()
                    .releases
                    .push(AckedRelease {
                        design: self.design.clone(),
                        tag,
                        commit,
                    });
                Step::Done
            }
            Ok((status, answer)) => panic!("release {tag} of {}: {status} {answer}", self.design),
            Err(_) => Step::Down,
        }
    }

    fn fork(&mut self) -> Step {
        let Some(n) = take(&self.shared.forks, MAX_FORKS, self.round) else {
            return self.commit(None);
        };
        let slug = format!("{}-fork-{n}", self.slug);
        let path = format!("/api/designs/{}/forks", self.design);
        let body = json!({ "slug": slug });
        match request(&self.base, "POST", &path, Some(body), Some(&self.auth)) {
            Ok((201, answer)) => {
                assert_eq!(answer["id"], format!("ada/{slug}").as_str(), "{answer}");
                self.shared.acked.lock().unwrap().forks.push(AckedFork {
                    id: format!("ada/{slug}"),
                    parent: self.design.clone(),
                });
                Step::Done
            }
            Ok((status, answer)) => panic!("fork {slug} of {}: {status} {answer}", self.design),
            Err(_) => Step::Down,
        }
    }

    /// Downloads the head's bundle (by commit id) or a release's (by tag, which redirects).
    fn bundle(&mut self) -> Step {
        let extension = if self.rng.below(2) == 0 {
            "zip"
        } else {
            "tar.gz"
        };
        let tags: Vec<String> = self
            .shared
            .acked
            .lock()
            .unwrap()
            .releases
            .iter()
            .filter(|r| r.design == self.design)
            .map(|r| r.tag.clone())
            .collect();
        let (rev, by_tag) = if !tags.is_empty() && self.rng.below(2) == 0 {
            (tags[self.rng.below(tags.len())].clone(), true)
        } else {
            (self.head.clone(), false)
        };
        let path = format!("/api/designs/{}/bundle/{rev}.{extension}", self.design);
        match download(&self.base, &path) {
            Ok((200, announced, bytes)) => {
                let sha256 = sha256_hex(&bytes);
                if let Some(announced) = announced {
                    assert_eq!(announced, sha256, "{path}: the announced sha256");
                }
                let mut acked = self.shared.acked.lock().unwrap();
                acked.downloaded += 1;
                acked.downloads.entry(sha256).or_insert(Download {
                    design: self.design.clone(),
                    rev,
                    by_tag,
                    extension,
                    bytes,
                });
                Step::Done
            }
            // The ledger is still catching up after a restart.
            Ok((503, _, _)) => Step::Done,
            Ok((status, _, body)) => {
                panic!("{path}: {status} {}", String::from_utf8_lossy(&body))
            }
            Err(_) => Step::Down,
        }
    }
}

/// Waits until each of the five consumers has applied the whole log, seen three times in a
/// row (events recovery appended may still be on their way to the log when it is first seen).
/// On a timeout it shows the last answer and the end of the server's log.
fn wait_for_consumers(server: &Server, auth: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    loop {
        let (status, body) = request(
            &server.base,
            "GET",
            "/api/events/consumers",
            None,
            Some(auth),
        )
        .unwrap();
        assert_eq!(status, 200, "{body}");
        let head = body["head"].as_i64();
        let list = body["consumers"].as_array().unwrap();
        if list.len() == 5 && list.iter().all(|c| c["cursor"].as_i64() == head) {
            seen += 1;
            if seen >= 3 {
                return;
            }
        } else {
            seen = 0;
        }
        if Instant::now() >= deadline {
            let log = std::fs::read_to_string(&server.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "timed out waiting until every consumer's cursor equals the last seq: {body}\n\
                 the end of the server log:\n{}",
                tail.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every file under `dir`, at any depth (hidden ones too).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

/// `git fsck --no-dangling` of one repository (a member reaches its pool's objects through
/// `objects/info/alternates`): exit 0 and nothing in its output about errors.
fn assert_fsck_clean(git_dir: &Path) {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(["fsck", "--no-dangling"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lower = text.to_lowercase();
    assert!(
        out.status.success()
            && !["error", "missing", "broken"]
                .iter()
                .any(|w| lower.contains(w)),
        "git fsck of {} ({}): {text}",
        git_dir.display(),
        out.status
    );
}

/// Runs `check` on every item, on four threads (the checks wait on processes and requests).
fn in_parallel<T: Sync>(items: &[T], check: impl Fn(&T) + Sync) {
    let per_thread = items.len().div_ceil(4).max(1);
    let check = &check;
    std::thread::scope(|scope| {
        for chunk in items.chunks(per_thread) {
            scope.spawn(move || chunk.iter().for_each(check));
        }
    });
}

/// `atelier verify <file> --sha256 <hex>` exits 0.
fn assert_bundle_verifies(file: &Path, sha256: &str) {
    let verify = Command::new(env!("CARGO_BIN_EXE_atelier"))
        .arg("verify")
        .arg(file)
        .args(["--sha256", sha256])
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "atelier verify {}: {}{}",
        file.display(),
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// SIGKILL at random moments (150–1200 ms into a burst, [`RANDOM_KILLS`] times) while threads
/// commit, upload, fork, release and download bundles on three designs. After one more start
/// the store is whole: no lock is left, every acknowledged commit, upload, fork and release is
/// there, `git fsck` is clean on every pool and member, every committed word is searchable, the
/// ledger equals a recompute, and every cached bundle matches its `.sha256` and verifies.
#[test]
fn random_kills_during_mixed_bursts_leave_a_consistent_store() {
    let seed = kill_seed();
    println!("random kills: seed {seed:#018x} (ATELIER_CRASH_SEED replays another)");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("data");
    let designs = dir.path().join("designs");
    std::fs::create_dir_all(&designs).unwrap();
    let database = database_args();

    let mut server = Server::start(&data, &designs, &database);
    // One account for the whole test (sign-ups are limited per address); its token is stored
    // in the database, so it outlives every kill.
    let token = sign_up_and_create(&server);
    let auth = format!("Bearer {token}");
    for slug in &KILL_DESIGNS[1..] {
        let (status, created) = request(
            &server.base,
            "POST",
            "/api/designs",
            Some(json!({"slug": slug, "name": slug, "function": "Survives random kills", "license": "CERN-OHL-S-2.0", "readme": true})),
            Some(&auth),
        )
        .unwrap();
        assert_eq!(status, 201, "{created}");
    }

    let shared = Arc::new(Shared::default());
    for round in 0..RANDOM_KILLS {
        let delay = Duration::from_millis(150 + rng.below(1051) as u64);
        let mut mixes = Vec::new();
        let workers: Vec<_> = KILL_DESIGNS
            .into_iter()
            .map(|slug| {
                let (name, mix) = MIXES[rng.below(MIXES.len())];
                mixes.push(name);
                let worker = Worker {
                    base: server.base.clone(),
                    auth: auth.clone(),
                    slug,
                    design: format!("ada/{slug}"),
                    round,
                    mix,
                    rng: Rng::new(rng.next_u64()),
                    shared: shared.clone(),
                    head: String::new(),
                    readme: String::new(),
                };
                std::thread::spawn(move || worker.run())
            })
            .collect();
        std::thread::sleep(delay);
        server.kill();
        for worker in workers {
            worker.join().unwrap();
        }
        println!("round {round}: {mixes:?}, killed after {delay:?}");
        server = Server::start(&data, &designs, &database);
    }
    let acked = std::mem::take(&mut *shared.acked.lock().unwrap());
    assert!(!acked.commits.is_empty(), "no commit was acknowledged");
    assert!(!acked.uploads.is_empty(), "no upload was committed");
    assert!(!acked.forks.is_empty(), "no fork was acknowledged");
    assert!(!acked.releases.is_empty(), "no release was acknowledged");
    wait_for_consumers(&server, &auth);

    // No lock is left anywhere in the store.
    let store = data.join("store");
    let locks: Vec<PathBuf> = files_under(&store)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect();
    assert!(locks.is_empty(), "locks left behind: {locks:?}");

    // Every acknowledged commit is on its branch, with its upload; every release is there, its
    // bundles prebuilt.
    for slug in KILL_DESIGNS {
        let design = format!("ada/{slug}");
        let member = store.join(format!("repos/ada/{slug}.git"));
        let member_dir = member.to_str().unwrap();
        let main = git(&["--git-dir", member_dir, "rev-list", "refs/heads/main"]);
        let reachable: HashSet<&str> = main.lines().collect();
        for commit in acked.commits.iter().filter(|c| c.design == design) {
            assert!(
                reachable.contains(commit.id.as_str()),
                "acknowledged commit {} of {design} is not on main",
                commit.id
            );
        }
        let head = git(&["--git-dir", member_dir, "rev-parse", "refs/heads/main"]);
        let (status, detail) = request(
            &server.base,
            "GET",
            &format!("/api/designs/{design}"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{detail}");
        assert_eq!(detail["head"], head.as_str(), "{design}");

        let uploads: Vec<&AckedUpload> = acked
            .uploads
            .iter()
            .filter(|u| u.design == design)
            .collect();
        if !uploads.is_empty() {
            let specs: Vec<String> = uploads
                .iter()
                .map(|u| format!("{}:{}", u.commit, u.path))
                .collect();
            let mut args = vec!["--git-dir", member_dir, "rev-parse"];
            args.extend(specs.iter().map(String::as_str));
            let blobs = git(&args);
            let blobs: Vec<&str> = blobs.lines().collect();
            assert_eq!(blobs.len(), uploads.len());
            for (upload, blob) in uploads.iter().zip(blobs) {
                assert_eq!(
                    blob, upload.blob,
                    "{design}: {} in {}",
                    upload.path, upload.commit
                );
            }
        }

        let (status, listed) = request(
            &server.base,
            "GET",
            &format!("/api/designs/{design}/releases"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{listed}");
        let listed = listed["releases"].as_array().unwrap();
        for release in acked.releases.iter().filter(|r| r.design == design) {
            let found = listed
                .iter()
                .find(|r| r["tag"] == release.tag.as_str())
                .unwrap_or_else(|| {
                    panic!(
                        "acknowledged release {} of {design} is missing",
                        release.tag
                    )
                });
            assert_eq!(found["commit"], release.commit.as_str(), "{found}");
            let tagged = git(&[
                "--git-dir",
                member_dir,
                "rev-parse",
                &format!("refs/tags/{}^{{commit}}", release.tag),
            ]);
            assert_eq!(tagged, release.commit, "{design} {}", release.tag);
            let links = found["bundles"].as_array().unwrap();
            assert!(
                links.len() == 2 && links.iter().all(|l| l["sha256"].is_string()),
                "the bundles of release {} of {design} were not built: {found}",
                release.tag
            );
        }
    }
    for fork in &acked.forks {
        let (status, detail) = request(
            &server.base,
            "GET",
            &format!("/api/designs/{}", fork.id),
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            status, 200,
            "acknowledged fork {} is missing: {detail}",
            fork.id
        );
        assert_eq!(detail["parent"]["id"], fork.parent.as_str(), "{detail}");
    }

    // Search matches the store: each word is found in its design (and only there, or in forks
    // of it made later).
    in_parallel(&acked.commits, |commit| {
        let (status, found) = request(
            &server.base,
            "GET",
            &format!("/api/search?q={}&per_page=100", commit.word),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{found}");
        let hits: Vec<&str> = found["designs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d["id"].as_str())
            .collect();
        let forks = format!("{}-fork-", commit.design);
        assert!(
            hits.contains(&commit.design.as_str())
                && hits
                    .iter()
                    .all(|h| *h == commit.design || h.starts_with(forks.as_str())),
            "word {} of {} ({}): {found}",
            commit.word,
            commit.design,
            commit.id
        );
    });

    // The restarted server builds and serves bundles: each design's head in both formats, the
    // archive equal to its published sha256.
    for slug in KILL_DESIGNS {
        for extension in ["zip", "tar.gz"] {
            let path = format!("/api/designs/ada/{slug}/bundle/main.{extension}");
            let (status, _, line) = download(&server.base, &format!("{path}.sha256")).unwrap();
            let line = String::from_utf8(line).unwrap();
            assert_eq!(status, 200, "{path}.sha256: {line}");
            let sha256 = line.split_whitespace().next().unwrap().to_owned();
            let (status, announced, bytes) = download(&server.base, &path).unwrap();
            assert_eq!(status, 200, "{path}");
            assert_eq!(sha256_hex(&bytes), sha256, "{path}");
            assert_eq!(announced.as_deref(), Some(sha256.as_str()), "{path}");
        }
    }
    // Every cached bundle is complete: no scratch file is left, each archive matches its
    // sidecar and verifies.
    let cache = files_under(&data.join("bundles"));
    let partial: Vec<&PathBuf> = cache
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(partial.is_empty(), "scratch files left: {partial:?}");
    let mut cached = Vec::new();
    for file in &cache {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let Some(extension) = [".zip", ".tar.gz"].into_iter().find(|e| name.ends_with(e)) else {
            continue;
        };
        let mut sidecar = file.as_os_str().to_owned();
        sidecar.push(".sha256");
        let line = std::fs::read_to_string(&sidecar)
            .unwrap_or_else(|err| panic!("{} has no sidecar: {err}", file.display()));
        let (sha256, download_name) = line
            .trim_end()
            .split_once("  ")
            .unwrap_or_else(|| panic!("{}: sidecar {line:?}", file.display()));
        assert!(
            download_name.ends_with(extension),
            "{}: {line:?}",
            file.display()
        );
        assert_eq!(
            sha256_hex(&std::fs::read(file).unwrap()),
            sha256,
            "{} does not match its sidecar",
            file.display()
        );
        cached.push((file, sha256.to_owned()));
    }
    in_parallel(&cached, |(file, sha256)| {
        assert_bundle_verifies(file, sha256)
    });
    assert!(
        cached.len() >= 2 * (KILL_DESIGNS.len() + acked.releases.len()),
        "{} bundles cached",
        cached.len()
    );
    // Every download acknowledged during the bursts was a whole bundle of what was asked for.
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    for (n, (sha256, fetched)) in acked.downloads.iter().enumerate() {
        let file = downloads.join(format!("{n}.{}", fetched.extension));
        std::fs::write(&file, &fetched.bytes).unwrap();
        let report = backend::bundle::verify::verify(&file).unwrap();
        assert!(
            report.is_intact(),
            "download of {} at {}: {:?}",
            fetched.design,
            fetched.rev,
            report.problems
        );
        assert_eq!(&report.sha256, sha256);
        let manifest = report.manifest.as_ref().unwrap();
        assert_eq!(manifest.design, fetched.design);
        if fetched.by_tag {
            assert_eq!(manifest.tag.as_deref(), Some(fetched.rev.as_str()));
        } else {
            assert_eq!(manifest.commit, fetched.rev);
        }
    }
    server.stop();
    assert!(!data.join("running").exists());

    // Every pool and every member passes `git fsck`.
    let mut repositories: Vec<PathBuf> = std::fs::read_dir(store.join("networks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for owner in std::fs::read_dir(store.join("repos")).unwrap() {
        let owner = owner.unwrap().path();
        if owner.is_dir() {
            repositories.extend(std::fs::read_dir(owner).unwrap().map(|e| e.unwrap().path()));
        }
    }
    repositories.retain(|r| r.is_dir());
    assert!(repositories.len() >= 2 * KILL_DESIGNS.len() + acked.forks.len());
    in_parallel(&repositories, |repository| assert_fsck_clean(repository));
    assert_ledger_verifies(&data, &database);

    println!(
        "{RANDOM_KILLS} kills; acknowledged: {} commits, {} uploads ({} committed), {} forks, \
         {} releases, {} bundle downloads ({} distinct); {} cached bundles verified, {} \
         repositories checked",
        acked.commits.len(),
        acked.stored_uploads,
        acked.uploads.len(),
        acked.forks.len(),
        acked.releases.len(),
        acked.downloaded,
        acked.downloads.len(),
        cached.len(),
        repositories.len()
    );
}

/// `atelier import <repo> --as ada/imported` on a stopped server's data: on the next start the
/// design has the repository's history (ids unchanged), its README is searchable and the
/// ledger credits the real author; a second import of the same slug is refused.
#[test]
fn the_import_command_brings_a_repository_in_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data: PathBuf = dir.path().join("data");
    let designs = dir.path().join("designs");
    std::fs::create_dir_all(&designs).unwrap();
    let database = database_args();
    let server = Server::start(&data, &designs, &database);
    let token = sign_up_and_create(&server);
    server.stop();

    let repo = dir.path().join("repo");
    let repo_dir = repo.to_str().unwrap();
    // Its default branch is trunk (its HEAD), one commit ahead of a main.
    git(&["init", "-q", "-b", "trunk", repo_dir]);
    let commit = |text: &str| {
        std::fs::write(repo.join("README.md"), text).unwrap();
        git(&["-C", repo_dir, "add", "."]);
        git(&[
            "-C",
            repo_dir,
            "-c",
            "user.name=Cy",
            "-c",
            "user.email=cy@example.org",
            "commit",
            "-q",
            "-m",
            "A loom",
        ]);
    };
    commit("# Loom\n");
    git(&["-C", repo_dir, "branch", "main"]);
    commit("# Quixotic loom\n");
    git(&["-C", repo_dir, "tag", "v1"]);
    let head = git(&["-C", repo_dir, "rev-parse", "HEAD"]);
    let import = |id: &str| {
        Command::new(env!("CARGO_BIN_EXE_atelier"))
            .arg("import")
            .arg(&repo)
            .args(["--as", id, "--data"])
            .arg(&data)
            .args(&database)
            .output()
            .unwrap()
    };
    let out = import("ada/imported");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        printed.contains(&format!("{head} refs/heads/trunk")),
        "{printed}"
    );
    let again = import("ada/imported");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let stranger = import("nobody/imported");
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("no account named nobody"));

    let server = Server::start(&data, &designs, &database);
    let auth = format!("Bearer {token}");
    wait_until("the import is applied", || {
        let (_, hits) = request(&server.base, "GET", "/api/search?q=quixotic", None, None).unwrap();
        hits["total"] == 1
    });
    let (status, detail) =
        request(&server.base, "GET", "/api/designs/ada/imported", None, None).unwrap();
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["head"], head.as_str());
    assert_eq!(detail["default_branch"], "trunk", "{detail}");
    let (_, releases) = request(
        &server.base,
        "GET",
        "/api/designs/ada/imported/releases",
        None,
        None,
    )
    .unwrap();
    assert_eq!(releases["releases"][0]["tag"], "v1");
    wait_for_consumers(&server, &auth);
    let (_, labor) = request(
        &server.base,
        "GET",
        "/api/designs/ada/imported/labor",
        None,
        None,
    )
    .unwrap();
    let contributors = labor["contributors"].as_array().unwrap();
    assert_eq!(contributors.len(), 1, "{labor}");
    assert_eq!(contributors[0]["contributor"], "Cy");
    assert_eq!(contributors[0]["account"], Value::Null);
    server.stop();
}
