//! `cargo xtask bench git [quick]`: the stock git client against a release `atelier serve` and,
//! side by side, against `git daemon` serving the same repositories from plain bare
//! repositories (the baseline every forge's git transport is measured against).
//!
//! For designs of about 50 MB and 1 GB (incompressible files of at most 64 MiB, within the
//! upload limit; the pushing repository sets `core.bigFileThreshold=16m`, and the bare
//! repositories `git daemon` serves get the same packing settings as Atelier's git processes,
//! `backend::http::git::PACK_MEMORY` and `receive.unpackLimit=1`, so the ratio is the cost of
//! Atelier around the same git): `git push` into an empty design and into an empty bare repository, then a
//! full `git clone --bare` from each, wall-clock seconds and the ratio. During the Atelier clone
//! a thread samples, every 20 ms, the RSS of the server process and of the git processes it
//! runs (`upload-pack`, `pack-objects`): the peaks are printed. Then a 1,000-commit history by
//! 20 authors (written with `git fast-import`) comes in twice: pushed into an empty design, and
//! uploaded as a bundle to `POST /api/designs/import`; each is timed until the request ends and
//! until every consumer of the event log (search, labor, bundles, design rows) has applied it.
//! `quick`: 5 MB and 50 MB designs and a 200-commit history, to try the harness.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use serde_json::{Value, json};

const PASSWORD: &str = "bench-password-42";
const FILE_LIMIT: u64 = 64 << 20;

fn main() -> Result<()> {
    let quick = std::env::args().any(|a| a == "quick");
    let sizes: &[(&str, u64)] = if quick {
        &[("5 MB", 5_000_000), ("50 MB", 50_000_000)]
    } else {
        &[("50 MB", 50_000_000), ("1 GB", 1_000_000_000)]
    };
    let commits = if quick { 200 } else { 1000 };
    let work = tempfile::tempdir()?;
    let root = work.path();
    let server = Server::start(&root.join("data"))?;
    let daemon = Daemon::start(&root.join("daemon"))?;
    let (cookie, token) = server.account()?;
    println!(
        "{} cores; git {}; server `{}` (release), SQLite\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        git_version()?,
        env!("CARGO_BIN_EXE_atelier"),
    );
    println!("| design | operation | Atelier (s) | git daemon (s) | ratio |");
    println!("|---|---|---:|---:|---:|");
    let mut peaks = Vec::new();
    for (n, (label, bytes)) in sizes.iter().enumerate() {
        let slug = format!("size-{n}");
        let source = root.join(format!("source-{n}"));
        write_design(&source, *bytes)?;
        server.create_empty(&cookie, &slug)?;
        let ours = format!("{}/ada/{slug}.git", server.authed(&token));
        let theirs = daemon.bare(&slug)?;
        let push_ours = timed(|| git_in(&source, &["push", "-q", &ours, "main"]))?;
        let push_theirs = timed(|| git_in(&source, &["push", "-q", &theirs, "main"]))?;
        row(label, "push", push_ours, push_theirs);
        let sampler = Sampler::start(server.pid());
        let clone_ours = timed(|| {
            git_in(
                root,
                &[
                    "clone",
                    "-q",
                    "--bare",
                    &format!("{}/ada/{slug}.git", server.base),
                    &format!("clone-ours-{n}"),
                ],
            )
        })?;
        let (server_peak, git_peak) = sampler.stop();
        let clone_theirs = timed(|| {
            git_in(
                root,
                &[
                    "clone",
                    "-q",
                    "--bare",
                    &theirs,
                    &format!("clone-theirs-{n}"),
                ],
            )
        })?;
        row(label, "clone", clone_ours, clone_theirs);
        peaks.push((label.to_string(), server_peak, git_peak));
        for dir in [
            source,
            root.join(format!("clone-ours-{n}")),
            root.join(format!("clone-theirs-{n}")),
        ] {
            std::fs::remove_dir_all(dir)?;
        }
    }
    println!("\n| clone of | server peak RSS (MiB) | its git processes' peak RSS (MiB) |");
    println!("|---|---:|---:|");
    for (label, server_peak, git_peak) in peaks {
        println!(
            "| {label} | {:.0} | {:.0} |",
            server_peak as f64 / 1024.0,
            git_peak as f64 / 1024.0
        );
    }

    let history = root.join("history");
    write_history(&history, commits)?;
    server.create_empty(&cookie, "pushed-history")?;
    let url = format!("{}/ada/pushed-history.git", server.authed(&token));
    let started = Instant::now();
    git_in(&history, &["push", "-q", &url, "main"])?;
    let pushed = started.elapsed();
    server.settled(&token)?;
    let pushed_settled = started.elapsed();
    let bundle = root.join("history.bundle");
    git_in(
        &history,
        &["bundle", "create", "-q", bundle.to_str().unwrap(), "--all"],
    )?;
    let started = Instant::now();
    server.import(&cookie, "imported-history", &std::fs::read(&bundle)?)?;
    let imported = started.elapsed();
    server.settled(&token)?;
    let imported_settled = started.elapsed();
    let entries = server.ledger_total("imported-history")?;
    println!("\n| {commits}-commit history | request (s) | until every consumer applied it (s) |");
    println!("|---|---:|---:|");
    println!(
        "| git push into an empty design | {:.2} | {:.2} |",
        pushed.as_secs_f64(),
        pushed_settled.as_secs_f64()
    );
    println!(
        "| bundle upload to /api/designs/import | {:.2} | {:.2} |",
        imported.as_secs_f64(),
        imported_settled.as_secs_f64()
    );
    println!("\nledger contributors of the imported design: {entries}");
    Ok(())
}

fn row(label: &str, operation: &str, ours: Duration, theirs: Duration) {
    println!(
        "| {label} | {operation} | {:.2} | {:.2} | {:.2} |",
        ours.as_secs_f64(),
        theirs.as_secs_f64(),
        ours.as_secs_f64() / theirs.as_secs_f64().max(1e-9)
    );
}

fn timed(f: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

fn git_version() -> Result<String> {
    let out = Command::new("git").arg("--version").output()?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches("git version ")
        .to_owned())
}

/// The stock git in `dir`, isolated from the machine's configuration.
fn git_in(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.org")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.org")
        .stdout(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!(
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A repository of about `bytes` of incompressible files (xorshift), one commit.
fn write_design(dir: &Path, bytes: u64) -> Result<()> {
    std::fs::create_dir_all(dir.join("cad"))?;
    git_in(dir, &["init", "-q", "-b", "main"])?;
    // The pushing client, the same for both servers, skips delta search on the big files (a
    // desktop CAD user's git would spend minutes finding no deltas in random data).
    git_in(dir, &["config", "core.bigFileThreshold", "16m"])?;
    std::fs::write(dir.join("README.md"), "# Bench design\n")?;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ bytes;
    let mut left = bytes;
    let mut n = 0;
    while left > 0 {
        let size = left.min(FILE_LIMIT);
        let mut file = std::io::BufWriter::new(std::fs::File::create(
            dir.join(format!("cad/part-{n:02}.step")),
        )?);
        let mut buffer = vec![0u8; 1 << 20];
        let mut written = 0;
        while written < size {
            for chunk in buffer.chunks_mut(8) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                chunk.copy_from_slice(&seed.to_le_bytes()[..chunk.len()]);
            }
            let take = (size - written).min(buffer.len() as u64) as usize;
            file.write_all(&buffer[..take])?;
            written += take as u64;
        }
        file.flush()?;
        left -= size;
        n += 1;
    }
    git_in(dir, &["add", "."])?;
    git_in(dir, &["commit", "-q", "-m", "The design"])
}

/// A history of `commits` commits by 20 authors, one small file changed each, written with
/// `git fast-import`; every tenth commit carries a `Labor-Hours` trailer.
fn write_history(dir: &Path, commits: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    git_in(dir, &["init", "-q", "-b", "main"])?;
    let mut stream = String::new();
    let start = 1_700_000_000u64;
    for n in 0..commits {
        let author = n % 20;
        let message = if n % 10 == 0 {
            format!("Change {n}\n\nLabor-Hours: 2\n")
        } else {
            format!("Change {n}\n")
        };
        let content = format!("# Part {}\n\nRevision {n}.\n", n % 50);
        stream.push_str(&format!(
            "commit refs/heads/main\nauthor Person {author} <person{author}@example.org> {} +0000\ncommitter Person {author} <person{author}@example.org> {} +0000\ndata {}\n{message}",
            start + n as u64 * 3600,
            start + n as u64 * 3600,
            message.len()
        ));
        if n == 0 {
            let readme = "# A long history\n";
            stream.push_str(&format!(
                "M 100644 inline README.md\ndata {}\n{readme}",
                readme.len()
            ));
        }
        stream.push_str(&format!(
            "M 100644 inline parts/part-{}.md\ndata {}\n{content}\n",
            n % 50,
            content.len()
        ));
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(stream.as_bytes())?;
    if !child.wait()?.success() {
        bail!("git fast-import failed");
    }
    git_in(dir, &["reset", "-q", "--hard", "main"])
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `atelier serve` (the release binary built for this benchmark), killed when dropped.
struct Server {
    child: Child,
    base: String,
    agent: ureq::Agent,
}

impl Server {
    fn start(data: &Path) -> Result<Self> {
        let port = free_port()?;
        let empty = data.with_extension("no-designs");
        std::fs::create_dir_all(&empty)?;
        let child = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data)
            .arg("--designs")
            .arg(&empty)
            .arg("--dist")
            .arg(data.with_extension("no-dist"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while server
            .agent
            .get(&format!("{}/api/health", server.base))
            .call()
            .map_or(true, |r| r.status() != 200)
        {
            if Instant::now() > deadline {
                bail!("the server did not come up");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The base URL with ada's credentials.
    fn authed(&self, token: &str) -> String {
        self.base
            .replacen("http://", &format!("http://ada:{token}@"), 1)
    }

    fn post(&self, path: &str, cookie: &str, body: Value) -> Result<(u16, Value, Option<String>)> {
        let mut response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("X-Atelier-Csrf", "1")
            .header("Cookie", cookie)
            .header("Content-Type", "application/json")
            .send(&serde_json::to_vec(&body)?[..])?;
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, json, set_cookie))
    }

    /// Signs ada up; her session cookie and a token for pushes and the event log.
    fn account(&self) -> Result<(String, String)> {
        let (status, body, cookie) = self.post(
            "/api/accounts",
            "",
            json!({"username": "ada", "email": "ada@example.org", "password": PASSWORD}),
        )?;
        if status != 201 {
            bail!("sign-up: {status} {body}");
        }
        let cookie = cookie.context("no session cookie")?;
        let (status, body, _) = self.post(
            "/api/tokens",
            &cookie,
            json!({"name": "bench", "scopes": ["designs:write", "events:read"]}),
        )?;
        if status != 201 {
            bail!("token: {status} {body}");
        }
        let token = body["secret"].as_str().context("no secret")?.to_owned();
        Ok((cookie, token))
    }

    fn create_empty(&self, cookie: &str, slug: &str) -> Result<()> {
        let (status, body, _) = self.post(
            "/api/designs",
            cookie,
            json!({"slug": slug, "name": slug, "function": "Benchmarks", "license": "MIT", "empty": true}),
        )?;
        if status != 201 {
            bail!("create {slug}: {status} {body}");
        }
        Ok(())
    }

    fn import(&self, cookie: &str, slug: &str, bundle: &[u8]) -> Result<()> {
        let boundary = "bench-import-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"slug\"\r\n\r\n{slug}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"x.bundle\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bundle);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut response = self
            .agent
            .post(&format!("{}/api/designs/import", self.base))
            .header("X-Atelier-Csrf", "1")
            .header("Cookie", cookie)
            .header(
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            )
            .send(&body[..])?;
        if response.status() != 201 {
            bail!(
                "import: {} {}",
                response.status(),
                response.body_mut().read_to_string().unwrap_or_default()
            );
        }
        Ok(())
    }

    fn get(&self, path: &str, token: Option<&str>) -> Result<Value> {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let text = request.call()?.body_mut().read_to_string()?;
        Ok(serde_json::from_str(&text)?)
    }

    /// Waits until every consumer's cursor is at the log's head.
    fn settled(&self, token: &str) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let body = self.get("/api/events/consumers", Some(token))?;
            let head = body["head"].as_i64();
            let list = body["consumers"].as_array().context("consumers")?;
            if !list.is_empty() && list.iter().all(|c| c["cursor"].as_i64() == head) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the consumers did not catch up: {body}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ledger_total(&self, slug: &str) -> Result<u64> {
        let body = self.get(&format!("/api/designs/ada/{slug}/labor"), None)?;
        body["total"].as_u64().context("labor total")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `git daemon` with receive-pack enabled over bare repositories in `root`.
struct Daemon {
    child: Child,
    root: PathBuf,
    port: u16,
}

impl Daemon {
    fn start(root: &Path) -> Result<Self> {
        std::fs::create_dir_all(root)?;
        let port = free_port()?;
        let child = Command::new("git")
            .args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
            ])
            .arg(format!("--base-path={}", root.display()))
            .arg(root)
            .stderr(Stdio::null())
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("git daemon did not come up");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Self {
            child,
            root: root.to_owned(),
            port,
        })
    }

    /// A new empty bare repository, with Atelier's packing settings; its `git://` URL.
    fn bare(&self, name: &str) -> Result<String> {
        let path = self.root.join(format!("{name}.git"));
        let dir = path.to_str().context("a UTF-8 path")?;
        git_in(&self.root, &["init", "-q", "--bare", dir])?;
        let settings = backend::http::git::PACK_MEMORY
            .iter()
            .filter(|a| **a != "-c")
            .copied()
            .chain(["receive.unpackLimit=1"]);
        for setting in settings {
            let (key, value) = setting.split_once('=').context("key=value")?;
            git_in(&self.root, &["--git-dir", dir, "config", key, value])?;
        }
        Ok(format!("git://127.0.0.1:{}/{name}.git", self.port))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Samples the RSS (KiB) of a process and, separately, the sum over its descendants.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
    server: Arc<AtomicU64>,
    children: Arc<AtomicU64>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (server, children) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let thread = std::thread::spawn({
            let (stop, server, children) = (stop.clone(), server.clone(), children.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    server.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    let sum: u64 = descendants(pid).into_iter().map(rss_kib).sum();
                    children.fetch_max(sum, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        });
        Self {
            stop,
            thread,
            server,
            children,
        }
    }

    fn stop(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        (
            self.server.load(Ordering::Relaxed),
            self.children.load(Ordering::Relaxed),
        )
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Every process whose chain of parents reaches `pid`.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            // `pid (comm) state ppid ...`: the command may hold spaces, so split after ')'.
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat"))
                && let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
                && let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok())
            {
                parents.push((child, ppid));
            }
        }
    }
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found
}
