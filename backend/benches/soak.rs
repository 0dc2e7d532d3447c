//! `cargo xtask soak [quick]`: a bounded (under ten minutes), reproducible load-and-abuse run
//! against a release `atelier serve` process on loopback, printed as one Markdown table.
//!
//! The server runs over a fresh temporary data directory (SQLite, the repository's `designs/`
//! imported, no single-page app). Clients spread their connections over several loopback source
//! addresses (`127.0.N.M`, all local on Linux): the server holds at most 64 connections per
//! client address, allows 20 sign-ups an hour per address, and caps uploads per account,
//! per address and in all. Scenarios, one table row or more each:
//!
//! 1. 200 keep-alive connections of mixed reads (design list, detail, tree, raw file, search,
//!    health) for 60 s: requests per second, p50/p99, errors (non-2xx/3xx or transport).
//! 2. The same while 10 writers commit small files to their own designs in a loop.
//! 3. 600 slow uploads (16 bytes every 2 s; 30 accounts, 20 addresses; a 429 is retried after
//!    its `Retry-After`) for 60 s while a probe GETs `/api/health` every 50 ms: the probe's
//!    p50/p99 (target p99 < 100 ms) and how the uploads ended (408 and 429 are expected).
//! 4. 200 parallel sign-ins with a wrong password: the server's peak RSS above idle (target
//!    < 200 MiB) and the answers (401, 429, 503 expected).
//! 5. A 1 GiB incompressible file (xorshift, streamed from a generator, never held in memory)
//!    uploaded and committed, then 30 parallel full downloads (peak RSS above idle, target
//!    < 128 MiB; total throughput) and 100 sequential 100-byte `Range` requests at byte
//!    500,000,000 (206 and the generator's bytes expected).
//!
//! RSS is read from `/proc/<pid>/status` every 20 ms by a thread, and from `VmHWM` (reset
//! through `clear_refs`) where the kernel allows; idle is the value just before the scenario.
//! The same thread kills the server if its RSS passes a guard (a third of the available memory,
//! at most 3 GiB), so a server that buffers whole files cannot take the machine down; the run
//! then notes it, prints the server's standard error tail and restarts it on the same data.
//! Every phase has a time limit and the whole run a budget. `quick`: 10 s windows and a 64 MiB
//! file, to try the harness.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fs::OpenOptions;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio::sync::{Barrier, mpsc};
use tokio::time::{
    Instant, MissedTickBehavior, interval, interval_at, sleep, sleep_until, timeout,
};

/// The whole run (start-up included) stays within this; the server's stop comes after.
const TOTAL_BUDGET: Duration = Duration::from_secs(560);
/// Readers of scenarios 1 and 2, spread over this many source addresses.
const READERS: usize = 200;
const READER_ADDRESSES: usize = 10;
/// Committers of scenario 2 (one design each, so no commit races another).
const WRITERS: usize = 10;
/// Slow uploads of scenario 3, over this many accounts and source addresses.
const SLOW_UPLOADS: usize = 600;
const UPLOADERS: usize = 30;
const UPLOAD_ADDRESSES: usize = 20;
/// Slow uploads start this far apart, so 600 connects are not one burst.
const SLOW_START_STEP_MS: u64 = 5;
/// A slow upload sends this every [`TRICKLE_EVERY`].
const TRICKLE: &[u8] = b"0123456789abcdef";
const TRICKLE_EVERY: Duration = Duration::from_secs(2);
/// A trickle still unanswered after this long means the stall guard (30 s of grace, then a
/// rate floor) did not fire.
const STALL_LIMIT: Duration = Duration::from_secs(45);
/// The probe of scenario 3.
const PROBE_EVERY: Duration = Duration::from_millis(50);
const PROBE_LIMIT: Duration = Duration::from_secs(5);
const PROBE_HOST: u8 = 200;
/// Scenario 4, over this many source addresses.
const SIGN_INS: usize = 200;
const SIGN_IN_ADDRESSES: usize = 10;
const SIGN_IN_LIMIT: Duration = Duration::from_secs(60);
/// Scenario 5.
const DOWNLOADS: usize = 30;
const RANGE_REQUESTS: usize = 100;
const RANGE_LEN: usize = 100;
const UPLOAD_LIMIT: Duration = Duration::from_secs(240);
const COMMIT_LIMIT: Duration = Duration::from_secs(120);
const SETTLE_LIMIT: Duration = Duration::from_secs(60);
const DOWNLOAD_LIMIT: Duration = Duration::from_secs(180);
const RANGE_LIMIT: Duration = Duration::from_secs(40);
/// Bytes the generator makes per body frame (a multiple of 8, so the stream is the same
/// however it is cut).
const CHUNK: u64 = 256 << 10;
/// The generator's seed (the other benchmarks use it too).
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;
/// Any single request of the load.
const REQUEST_LIMIT: Duration = Duration::from_secs(10);
/// How long the server may take to answer `/api/health` after it was started.
const START_LIMIT: Duration = Duration::from_secs(120);
/// Between scenarios: connections close, the server goes idle.
const PAUSE: Duration = Duration::from_secs(2);
/// RSS sampling period.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// Sign-ups per source address (the server allows 20 an hour).
const SIGN_UPS_PER_ADDRESS: usize = 16;

const PASSWORD: &str = "soak-password-42";
const WRONG_PASSWORD: &str = "not-the-password-42";
const NOTES: &str = "soak-notes";
const SLOW: &str = "soak-slow";
const BIG: &str = "soak-big";
const BIG_PATH: &str = "data/big.bin";
const BOUNDARY: &str = "soak-boundary-7f3a9c1e5b";
const SEARCHES: &[&str] = &["trailer", "solar", "filter", "printer", "wind", "m8"];

/// Loopback networks `127.0.N.0/24`, one per role, so each role meets the server's
/// per-address limits on its own.
const NET_SETUP: u8 = 0;
const NET_SIGN_UP: u8 = 1;
const NET_READ: u8 = 2;
const NET_WRITE: u8 = 3;
const NET_UPLOAD: u8 = 4;
const NET_SIGN_IN: u8 = 5;
const NET_BIG: u8 = 6;

fn lo(net: u8, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, net, host))
}

/// Host `1 + n % hosts` of a network: request `n` of a role spread over `hosts` addresses.
fn spread(n: usize, hosts: usize) -> u8 {
    // Every role uses fewer than 255 hosts.
    1 + (n % hosts) as u8
}

fn main() -> Result<()> {
    let plan = Plan::from_args();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the tokio runtime")?
        .block_on(soak(plan))
}

/// What the run's size is: the full run, or `quick` to try the harness.
#[derive(Debug, Clone, Copy)]
struct Plan {
    quick: bool,
    /// Scenarios 1, 2 and 3 last this long.
    window: Duration,
    /// The big file of scenario 5.
    big: u64,
    /// Where its range requests start.
    range_at: u64,
}

impl Plan {
    fn from_args() -> Self {
        if std::env::args().any(|a| a == "quick") {
            Self {
                quick: true,
                window: Duration::from_secs(10),
                big: 64 << 20,
                range_at: 32 << 20,
            }
        } else {
            Self {
                quick: false,
                window: Duration::from_secs(60),
                big: 1 << 30,
                range_at: 500_000_000,
            }
        }
    }

    /// `--max-upload`: room for the big file.
    fn max_upload(self) -> u64 {
        self.big + (64 << 20)
    }
}

async fn soak(plan: Plan) -> Result<()> {
    let started = Instant::now();
    check_open_files();
    let dir = tempfile::Builder::new()
        .prefix("atelier-soak-")
        .tempdir()
        .context("creating the temporary data directory")?;
    let designs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs");
    let paths = Paths {
        data: dir.path().join("data"),
        designs: designs
            .canonicalize()
            .with_context(|| format!("the sample designs at {}", designs.display()))?,
        dist: dir.path().join("no-dist"),
        log: dir.path().join("server.log"),
        max_upload: plan.max_upload(),
    };
    let available = field_kib(&read_text("/proc/meminfo"), "MemAvailable:").unwrap_or(8 << 20);
    // A third of the memory available now, at most 3 GiB.
    let guard = (available / 3).min(3 << 20);
    let (rss, sampler) = Rss::spawn(guard);
    eprintln!(
        "soak: {} over {} (RSS guard {:.0} MiB){}",
        env!("CARGO_BIN_EXE_atelier"),
        paths.data.display(),
        mib_of_kib(guard),
        if plan.quick { ", quick" } else { "" }
    );
    let server = Server::start(&paths, &rss).await?;
    let mut run = Run {
        plan,
        paths,
        rss: Arc::clone(&rss),
        server,
        started,
        deadline: started + TOTAL_BUDGET,
        report: Report::default(),
    };
    run.report.note(format!(
        "{} cores, {:.1} GiB memory available at start; server `{}` (release), SQLite, \
         RSS guard {:.0} MiB{}",
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
        mib_of_kib(available) / 1024.0,
        env!("CARGO_BIN_EXE_atelier"),
        mib_of_kib(guard),
        if plan.quick { "; quick run" } else { "" }
    ));
    let outcome = run.scenarios().await;
    run.server.stop().await;
    rss.stop.store(true, Ordering::Relaxed);
    if sampler.join().is_err() {
        eprintln!("soak: the RSS sampler panicked");
    }
    run.report.print();
    eprintln!("soak: done in {:.1} s", run.started.elapsed().as_secs_f64());
    drop(run);
    drop(dir);
    outcome
}

/// Warns when the open-files limit is too low for scenario 3 (both processes hold one
/// descriptor per slow upload).
fn check_open_files() {
    let soft = read_text("/proc/self/limits")
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<u64>().ok());
    if let Some(soft) = soft
        && soft < 2 * SLOW_UPLOADS as u64
    {
        eprintln!(
            "soak: warning: at most {soft} open files; scenario 3 needs about {}: \
             run `ulimit -n 4096` first",
            SLOW_UPLOADS + 200
        );
    }
}

// ----------------------------------------------------------------------------------------
// The run and its scenarios

/// Where the server's files are.
struct Paths {
    data: PathBuf,
    designs: PathBuf,
    dist: PathBuf,
    log: PathBuf,
    max_upload: u64,
}

/// Accounts and read paths made once, before the scenarios.
struct World {
    admin: Account,
    victim: String,
    writers: Vec<Writer>,
    uploaders: Vec<Account>,
    menu: Arc<Menu>,
}

#[derive(Debug, Clone)]
struct Account {
    name: String,
    /// `atelier_session=...`, for the `Cookie` header.
    cookie: String,
}

#[derive(Debug, Clone)]
struct Writer {
    account: Account,
    /// The head of its design's `main`.
    head: String,
}

struct Run {
    plan: Plan,
    paths: Paths,
    rss: Arc<Rss>,
    server: Server,
    started: Instant,
    deadline: Instant,
    report: Report,
}

impl Run {
    async fn scenarios(&mut self) -> Result<()> {
        let world = self.set_up().await?;
        sleep(PAUSE).await;
        self.mixed_reads(&world).await?;
        self.reads_and_writes(&world).await?;
        self.slow_uploads(&world).await?;
        self.sign_ins(&world).await?;
        self.big_file(&world).await?;
        Ok(())
    }

    fn say(&self, what: &str) {
        eprintln!(
            "soak [{:>5.1} s] {what}",
            self.started.elapsed().as_secs_f64()
        );
    }

    /// What is left of the run's budget.
    fn left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Whether `need` fits in the budget; if not, the scenario's row says it was skipped.
    fn has_time(&mut self, scenario: &str, need: Duration) -> bool {
        let left = self.left();
        if left >= need {
            return true;
        }
        self.say(&format!("{scenario}: skipped, {} s left", left.as_secs()));
        self.report.rows.push(Row::skipped(
            scenario,
            format!(
                "skipped: {} s of the budget left, {} s needed",
                left.as_secs(),
                need.as_secs()
            ),
        ));
        false
    }

    /// After a scenario: a dead server is reported (with its standard error tail) and
    /// restarted on the same data.
    async fn check_server(&mut self, scenario: &str) -> Result<()> {
        let Some(status) = self.server.exited() else {
            return Ok(());
        };
        eprintln!(
            "soak: the server died during {scenario} ({status}); the end of its standard \
             error:\n{}",
            stderr_tail(&self.paths.log, 40)
        );
        let note = match self.rss.take_tripped() {
            Some(kib) => format!(
                "{scenario}: the RSS guard killed the server at {:.0} MiB (guard {:.0} MiB); \
                 restarted on the same data",
                mib_of_kib(kib),
                mib_of_kib(self.rss.ceiling)
            ),
            None => format!("{scenario}: the server died ({status}); restarted on the same data"),
        };
        self.report.note(note);
        self.rss.watch(0);
        self.server = Server::start(&self.paths, &self.rss).await?;
        Ok(())
    }

    /// Accounts (the first one is the instance admin), their designs, the read paths; then
    /// waits until the consumers have taken everything in.
    async fn set_up(&mut self) -> Result<World> {
        self.say("set-up: accounts, designs, read paths");
        let addr = self.server.addr;
        let mut sign_ups = SignUps { addr, count: 0 };
        let admin = sign_ups.account("soak-admin").await?;
        let victim = sign_ups.account("soak-victim").await?.name;
        let mut writers = Vec::with_capacity(WRITERS);
        for n in 0..WRITERS {
            let account = sign_ups.account(&format!("soak-writer-{n}")).await?;
            let head = create_design(addr, &account, NOTES).await?;
            writers.push(Writer { account, head });
        }
        let mut uploaders = Vec::with_capacity(UPLOADERS);
        for n in 0..UPLOADERS {
            let account = sign_ups.account(&format!("soak-uploader-{n:02}")).await?;
            create_design(addr, &account, SLOW).await?;
            uploaders.push(account);
        }
        let menu = Arc::new(Menu::read(addr).await?);
        if !wait_settled(addr, &admin, START_LIMIT).await {
            self.report.note(
                "set-up: the consumers had not caught up (or the event log was not readable); \
                 waited 5 s instead",
            );
            sleep(Duration::from_secs(5)).await;
        }
        self.say(&format!(
            "set-up done: {} accounts, {} sample designs",
            sign_ups.count, menu.designs
        ));
        Ok(World {
            admin,
            victim,
            writers,
            uploaders,
            menu,
        })
    }

    async fn mixed_reads(&mut self, world: &World) -> Result<()> {
        const NAME: &str = "1. mixed reads, 200 keep-alive connections";
        if !self.has_time(NAME, self.plan.window + Duration::from_secs(10)) {
            return Ok(());
        }
        self.say(NAME);
        let base = self.rss.begin();
        let started = Instant::now();
        let mut reads =
            read_load(self.server.addr, &world.menu, started + self.plan.window).await?;
        let elapsed = started.elapsed();
        let rss = self.rss.peak_above(&base);
        let met = reads.errors == 0;
        self.report.rows.push(
            Row::of(NAME, &mut reads, elapsed)
                .rss(rss)
                .target("no errors", met),
        );
        self.report.note(format!("{NAME}: {}", reads.outcomes()));
        self.check_server(NAME).await?;
        sleep(PAUSE).await;
        Ok(())
    }

    async fn reads_and_writes(&mut self, world: &World) -> Result<()> {
        const READS: &str = "2a. mixed reads while 10 writers commit";
        const WRITES: &str = "2b. commits of 10 writers (own designs)";
        if !self.has_time(READS, self.plan.window + Duration::from_secs(10)) {
            return Ok(());
        }
        self.say(READS);
        let base = self.rss.begin();
        let started = Instant::now();
        let end = started + self.plan.window;
        let (reads, writes) = tokio::join!(
            read_load(self.server.addr, &world.menu, end),
            write_load(self.server.addr, &world.writers, end)
        );
        let (mut reads, mut writes) = (reads?, writes?);
        let elapsed = started.elapsed();
        let rss = self.rss.peak_above(&base);
        let (reads_met, writes_met) = (reads.errors == 0, writes.errors == 0);
        self.report.rows.push(
            Row::of(READS, &mut reads, elapsed)
                .rss(rss)
                .target("no errors", reads_met),
        );
        self.report.rows.push(
            Row::of(WRITES, &mut writes, elapsed)
                .rss(rss)
                .target("no errors", writes_met),
        );
        self.report.note(format!("{READS}: {}", reads.outcomes()));
        self.report.note(format!("{WRITES}: {}", writes.outcomes()));
        self.check_server(READS).await?;
        sleep(PAUSE).await;
        Ok(())
    }

    async fn slow_uploads(&mut self, world: &World) -> Result<()> {
        const PROBE: &str = "3a. /api/health every 50 ms during 600 slow uploads";
        const UPLOADS: &str = "3b. 600 slow uploads (attempts; 429s retried)";
        if !self.has_time(PROBE, self.plan.window + Duration::from_secs(15)) {
            return Ok(());
        }
        self.say(PROBE);
        let base = self.rss.begin();
        let started = Instant::now();
        let (mut probe, mut uploads) =
            slow_load(self.server.addr, &world.uploaders, self.plan.window).await?;
        let elapsed = started.elapsed();
        let rss = self.rss.peak_above(&base);
        let (_, probe_p99) = probe.percentiles();
        let probe_met =
            probe.errors == 0 && probe_p99.is_some_and(|p99| p99 < Duration::from_millis(100));
        let uploads_met = uploads.errors == 0;
        self.report.rows.push(
            Row::of(PROBE, &mut probe, elapsed)
                .rss(rss)
                .target("p99 < 100 ms, no errors", probe_met),
        );
        self.report
            .rows
            .push(Row::of(UPLOADS, &mut uploads, elapsed).rss(rss).target(
                &format!(
                    "each ends 408 or 429 (none unanswered after {} s)",
                    STALL_LIMIT.as_secs()
                ),
                uploads_met,
            ));
        self.report.note(format!("{PROBE}: {}", probe.outcomes()));
        self.report.note(format!(
            "{UPLOADS}: p50/p99 are the times to the server's answer; {}",
            uploads.outcomes()
        ));
        self.check_server(PROBE).await?;
        // The abandoned uploads are cleaned up; the next scenario's idle RSS is idle.
        sleep(PAUSE * 2).await;
        Ok(())
    }

    async fn sign_ins(&mut self, world: &World) -> Result<()> {
        const NAME: &str = "4. 200 parallel sign-ins, wrong password";
        if !self.has_time(NAME, SIGN_IN_LIMIT) {
            return Ok(());
        }
        self.say(NAME);
        let base = self.rss.begin();
        let started = Instant::now();
        let mut tally = sign_in_burst(self.server.addr, &world.victim).await?;
        let elapsed = started.elapsed();
        // Memory still held just after the last answer counts too.
        sleep(Duration::from_millis(500)).await;
        let rss = self.rss.peak_above(&base);
        let met = rss < 200 << 10 && tally.errors == 0;
        self.report.rows.push(
            Row::of(NAME, &mut tally, elapsed)
                .rss(rss)
                .target("< 200 MiB; only 401, 429, 503", met),
        );
        self.report.note(format!("{NAME}: {}", tally.outcomes()));
        self.check_server(NAME).await?;
        sleep(PAUSE).await;
        Ok(())
    }

    async fn big_file(&mut self, world: &World) -> Result<()> {
        let size = self.plan.big;
        let upload_name = format!("5a. upload of {} MiB (streamed) + commit", size >> 20);
        let downloads_name = format!("5b. {DOWNLOADS} parallel full downloads of it");
        let ranges_name = format!(
            "5c. {RANGE_REQUESTS} sequential {RANGE_LEN}-byte ranges at {}",
            self.plan.range_at
        );
        if !self.has_time(&upload_name, Duration::from_secs(90)) {
            return Ok(());
        }
        self.say(&upload_name);
        let admin = &world.admin;
        let at = self.plan.range_at;
        let expected = tokio::task::spawn_blocking(move || slice_at(SEED, at, RANGE_LEN)).await?;

        // Upload and commit.
        let addr = self.server.addr;
        let base = self.rss.begin();
        let head = create_design(addr, admin, BIG).await?;
        let mut tally = Tally::default();
        let body = ReqBody::Generated(Generated {
            head: Some(multipart_head("big.bin")),
            left: size,
            state: SEED,
            tail: Some(multipart_tail()),
        });
        let path = format!("/api/designs/{}/{BIG}/uploads", admin.name);
        let started = Instant::now();
        let answer = once(
            lo(NET_BIG, 3),
            addr,
            upload(&path, &admin.cookie, body),
            UPLOAD_LIMIT.min(self.left()),
        )
        .await;
        let upload_took = started.elapsed();
        let upload_id = match answer {
            Ok(answer) => {
                let json = answer.json();
                let ok =
                    answer.status == StatusCode::CREATED && json["size"].as_u64() == Some(size);
                tally.record(answer.outcome(), Some(upload_took), ok);
                if !ok {
                    self.report.note(format!(
                        "{upload_name}: the upload answered {}: {}",
                        answer.status,
                        answer.text()
                    ));
                }
                json["upload_id"].as_str().filter(|_| ok).map(str::to_owned)
            }
            Err(err) => {
                tally.record("no answer", None, false);
                self.report
                    .note(format!("{upload_name}: the upload failed: {err:#}"));
                None
            }
        };
        let mut commit_took = None;
        let commit = match upload_id {
            Some(upload_id) => {
                let body = json!({
                    "branch": "main",
                    "expected_head": head,
                    "message": "Add a big incompressible file",
                    "changes": [{"op": "put", "path": BIG_PATH, "upload_id": upload_id}],
                });
                let path = format!("/api/designs/{}/{BIG}/commits", admin.name);
                let started = Instant::now();
                let answer = once(
                    lo(NET_BIG, 3),
                    addr,
                    post_json(&path, &body, Some(&admin.cookie)),
                    COMMIT_LIMIT.min(self.left()),
                )
                .await;
                commit_took = Some(started.elapsed());
                match answer {
                    Ok(answer) => {
                        let id = answer.json()["id"].as_str().map(str::to_owned);
                        let ok = answer.status == StatusCode::CREATED && id.is_some();
                        tally.record(answer.outcome(), commit_took, ok);
                        if !ok {
                            self.report.note(format!(
                                "{upload_name}: the commit answered {}: {}",
                                answer.status,
                                answer.text()
                            ));
                        }
                        id.filter(|_| ok)
                    }
                    Err(err) => {
                        tally.record("no answer", None, false);
                        self.report
                            .note(format!("{upload_name}: the commit failed: {err:#}"));
                        None
                    }
                }
            }
            None => None,
        };
        let rss = self.rss.peak_above(&base);
        let upload_met = commit.is_some();
        let mut row = Row::of(upload_name.as_str(), &mut tally, started.elapsed())
            .rss(rss)
            .target("201 + 201, the full size stored", upload_met);
        row.rate = "-".into();
        row.p50 = "-".into();
        row.p99 = "-".into();
        self.report.rows.push(row);
        self.report.note(format!(
            "{upload_name}: upload {:.1} s ({:.0} MiB/s), commit {}",
            upload_took.as_secs_f64(),
            mib(size) / upload_took.as_secs_f64().max(1e-9),
            commit_took.map_or_else(dash, |d| format!("{:.1} s", d.as_secs_f64()))
        ));
        self.check_server(&upload_name).await?;
        let Some(commit) = commit else {
            self.report.rows.push(Row::skipped(
                &downloads_name,
                "skipped: no committed file".into(),
            ));
            self.report.rows.push(Row::skipped(
                &ranges_name,
                "skipped: no committed file".into(),
            ));
            return Ok(());
        };
        let raw = format!("/api/designs/{}/{BIG}/raw/{commit}/{BIG_PATH}", admin.name);

        // Parallel downloads, from an idle server.
        if !wait_settled(self.server.addr, admin, SETTLE_LIMIT.min(self.left())).await {
            self.report
                .note(format!("{downloads_name}: the consumers had not caught up"));
        }
        sleep(PAUSE).await;
        if self.has_time(&downloads_name, Duration::from_secs(30)) {
            self.say(&downloads_name);
            let addr = self.server.addr;
            let limit = DOWNLOAD_LIMIT.min(self.left().saturating_sub(Duration::from_secs(15)));
            let base = self.rss.begin();
            let started = Instant::now();
            let handles: Vec<_> = (0..DOWNLOADS)
                .map(|_| tokio::spawn(download(addr, raw.clone(), size, limit)))
                .collect();
            let mut tally = Tally::default();
            let mut bytes = 0u64;
            let mut first_problem = None;
            for handle in handles {
                let done = handle.await?;
                bytes += done.bytes;
                match done.problem {
                    None => tally.record("200, full length", Some(done.took), true),
                    Some((kind, detail)) => {
                        tally.record(kind, Some(done.took), false);
                        if first_problem.is_none() {
                            first_problem = Some(detail);
                        }
                    }
                }
            }
            let wall = started.elapsed();
            let rss = self.rss.peak_above(&base);
            let throughput = mib(bytes) / wall.as_secs_f64().max(1e-9);
            let met = tally.errors == 0 && rss < 128 << 10;
            let name = format!("{downloads_name}, {throughput:.0} MiB/s in all");
            let mut row = Row::of(name.as_str(), &mut tally, wall)
                .rss(rss)
                .target("< 128 MiB; every body complete", met);
            row.rate = format!("{:.2}", DOWNLOADS as f64 / wall.as_secs_f64().max(1e-9));
            self.report.rows.push(row);
            self.report.note(format!(
                "{downloads_name}: {:.0} MiB in {:.1} s; p50/p99 are whole downloads; {}{}",
                mib(bytes),
                wall.as_secs_f64(),
                tally.outcomes(),
                first_problem.map_or_else(String::new, |p| format!("; first problem: {p}"))
            ));
            self.check_server(&downloads_name).await?;
            sleep(PAUSE).await;
        }

        // Sequential small ranges.
        if self.has_time(&ranges_name, Duration::from_secs(10)) {
            self.say(&ranges_name);
            let addr = self.server.addr;
            let base = self.rss.begin();
            let started = Instant::now();
            let end = started + RANGE_LIMIT.min(self.left());
            let mut tally = range_requests(addr, &raw, at, &expected, end).await;
            let elapsed = started.elapsed();
            let rss = self.rss.peak_above(&base);
            let met = tally.errors == 0 && tally.requests == RANGE_REQUESTS as u64;
            self.report.rows.push(
                Row::of(ranges_name.as_str(), &mut tally, elapsed)
                    .rss(rss)
                    .target(
                        &format!("206 and the right {RANGE_LEN} bytes, {RANGE_REQUESTS} times"),
                        met,
                    ),
            );
            self.report
                .note(format!("{ranges_name}: {}", tally.outcomes()));
            self.check_server(&ranges_name).await?;
        }
        Ok(())
    }
}

// ----------------------------------------------------------------------------------------
// Set-up calls

/// Signs accounts up, at most [`SIGN_UPS_PER_ADDRESS`] from one source address.
struct SignUps {
    addr: SocketAddr,
    count: usize,
}

impl SignUps {
    async fn account(&mut self, name: &str) -> Result<Account> {
        let from = lo(NET_SIGN_UP, 1 + (self.count / SIGN_UPS_PER_ADDRESS) as u8);
        self.count += 1;
        let body = json!({
            "username": name,
            "email": format!("{name}@example.org"),
            "password": PASSWORD,
        });
        let answer = once(
            from,
            self.addr,
            post_json("/api/accounts", &body, None),
            REQUEST_LIMIT,
        )
        .await?;
        answer.expect(StatusCode::CREATED, &format!("signing up {name}"))?;
        let cookie = answer
            .session_cookie()
            .with_context(|| format!("signing up {name} set no session cookie"))?;
        Ok(Account {
            name: name.to_owned(),
            cookie,
        })
    }
}

/// Creates `<account>/<slug>`; the head of its `main`.
async fn create_design(addr: SocketAddr, account: &Account, slug: &str) -> Result<String> {
    let body = json!({
        "slug": slug,
        "name": format!("Soak {slug}"),
        "function": "Takes load for the soak run",
        "license": "CERN-OHL-S-2.0",
    });
    let answer = once(
        lo(NET_SETUP, 1),
        addr,
        post_json("/api/designs", &body, Some(&account.cookie)),
        REQUEST_LIMIT,
    )
    .await?;
    answer.expect(
        StatusCode::CREATED,
        &format!("creating {}/{slug}", account.name),
    )?;
    answer.json()["head"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("the new design {}/{slug} has no head", account.name))
}

/// Waits until every consumer's cursor is at the event log's head (read with the admin's
/// session). `false` when the limit passed first or the log is not readable.
async fn wait_settled(addr: SocketAddr, admin: &Account, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let request = get_as("/api/events/consumers", &admin.cookie);
        match once(lo(NET_SETUP, 1), addr, request, REQUEST_LIMIT).await {
            Ok(answer) if answer.status == StatusCode::OK => {
                let body = answer.json();
                let head = body["head"].as_i64();
                let settled = head.is_some()
                    && body["consumers"].as_array().is_some_and(|list| {
                        !list.is_empty() && list.iter().all(|c| c["cursor"].as_i64() == head)
                    });
                if settled {
                    return true;
                }
            }
            // Not an admin, or the event log is not there: nothing to wait for.
            Ok(_) => return false,
            // A busy or restarting server: try again until the deadline.
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(Duration::from_millis(250)).await;
    }
}

/// The read paths of scenarios 1 and 2, by kind: request `n` of connection `c` takes kind
/// `(c + n) % kinds`, so every kind gets the same share.
struct Menu {
    kinds: Vec<Vec<String>>,
    designs: usize,
}

impl Menu {
    /// From the sample designs (owner `atelier`); every path is tried once.
    async fn read(addr: SocketAddr) -> Result<Self> {
        let from = lo(NET_SETUP, 1);
        let list = once(from, addr, get("/api/designs?per_page=100"), REQUEST_LIMIT).await?;
        list.expect(StatusCode::OK, "listing designs")?;
        let samples: Vec<(String, String)> = list.json()["designs"]
            .as_array()
            .map(|designs| {
                designs
                    .iter()
                    .filter(|d| d["owner"] == "atelier")
                    .filter_map(|d| {
                        Some((d["id"].as_str()?.to_owned(), d["head"].as_str()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if samples.is_empty() {
            bail!("no sample designs (owner `atelier`) were imported from designs/");
        }
        let kinds: Vec<Vec<String>> = vec![
            vec!["/api/designs".to_owned()],
            samples
                .iter()
                .map(|(id, _)| format!("/api/designs/{id}"))
                .collect(),
            samples
                .iter()
                .map(|(id, head)| format!("/api/designs/{id}/tree/{head}"))
                .collect(),
            samples
                .iter()
                .map(|(id, head)| format!("/api/designs/{id}/raw/{head}/README.md"))
                .collect(),
            SEARCHES
                .iter()
                .map(|q| format!("/api/search?q={q}"))
                .collect(),
            vec!["/api/health".to_owned()],
        ];
        for path in kinds.iter().flatten() {
            let answer = once(from, addr, get(path), REQUEST_LIMIT).await?;
            if !answer.status.is_success() {
                bail!("GET {path} answered {}: {}", answer.status, answer.text());
            }
        }
        Ok(Self {
            kinds,
            designs: samples.len(),
        })
    }

    fn path(&self, connection: usize, n: usize) -> &str {
        let kind = &self.kinds[(connection + n) % self.kinds.len()];
        &kind[(connection * 7 + n / self.kinds.len()) % kind.len()]
    }
}

// ----------------------------------------------------------------------------------------
// Scenario 1 and 2: reads and writes

async fn read_load(addr: SocketAddr, menu: &Arc<Menu>, end: Instant) -> Result<Tally> {
    let handles: Vec<_> = (0..READERS)
        .map(|n| tokio::spawn(reader(n, addr, Arc::clone(menu), end)))
        .collect();
    let mut tally = Tally::default();
    for handle in handles {
        tally.absorb(handle.await?);
    }
    Ok(tally)
}

/// One keep-alive connection of reads until `end` (reconnecting after a failure).
async fn reader(connection: usize, addr: SocketAddr, menu: Arc<Menu>, end: Instant) -> Tally {
    let from = lo(NET_READ, spread(connection, READER_ADDRESSES));
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    let mut n = 0;
    while Instant::now() < end {
        if conn.is_none() {
            match Conn::open(from, addr).await {
                Ok(opened) => conn = Some(opened),
                Err(_) => {
                    tally.record("connect failed", None, false);
                    sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let path = menu.path(connection, n);
        n += 1;
        let started = Instant::now();
        match timeout(REQUEST_LIMIT, c.fetch(get(path))).await {
            Ok(Ok(answer)) => {
                let ok = answer.status.is_success() || answer.status.is_redirection();
                tally.record(answer.outcome(), Some(started.elapsed()), ok);
            }
            Ok(Err(_)) => {
                tally.record("transport error", None, false);
                conn = None;
            }
            Err(_) => {
                tally.record("timed out", None, false);
                conn = None;
            }
        }
    }
    tally
}

async fn write_load(addr: SocketAddr, writers: &[Writer], end: Instant) -> Result<Tally> {
    let handles: Vec<_> = writers
        .iter()
        .cloned()
        .map(|w| tokio::spawn(writer(addr, w, end)))
        .collect();
    let mut tally = Tally::default();
    for handle in handles {
        tally.absorb(handle.await?);
    }
    Ok(tally)
}

/// Commits a small file to the writer's own design, one commit after the other, until `end`.
async fn writer(addr: SocketAddr, writer: Writer, end: Instant) -> Tally {
    let Writer { account, mut head } = writer;
    let design = format!("/api/designs/{}/{NOTES}", account.name);
    let commits = format!("{design}/commits");
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    let mut n = 0usize;
    while Instant::now() < end {
        if conn.is_none() {
            match Conn::open(lo(NET_WRITE, 1), addr).await {
                Ok(opened) => conn = Some(opened),
                Err(_) => {
                    tally.record("connect failed", None, false);
                    sleep(Duration::from_millis(100)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        n += 1;
        let body = json!({
            "branch": "main",
            "expected_head": head,
            "message": format!("Soak note {n}"),
            "changes": [{
                "op": "put",
                "path": format!("notes/note-{:02}.md", n % 20),
                "content": format!("# Note {n}\n\nWritten by {} under load.\n", account.name),
            }],
        });
        let started = Instant::now();
        match timeout(
            REQUEST_LIMIT,
            c.fetch(post_json(&commits, &body, Some(&account.cookie))),
        )
        .await
        {
            Ok(Ok(answer)) if answer.status == StatusCode::CREATED => {
                match answer.json()["id"].as_str() {
                    Some(id) => {
                        head = id.to_owned();
                        tally.record(answer.outcome(), Some(started.elapsed()), true);
                    }
                    None => tally.record("201 without an id", Some(started.elapsed()), false),
                }
            }
            Ok(Ok(answer)) => {
                tally.record(answer.outcome(), Some(started.elapsed()), false);
                // Continue from wherever the branch is now.
                if let Ok(Ok(current)) = timeout(REQUEST_LIMIT, c.fetch(get(&design))).await
                    && let Some(now) = current.json()["head"].as_str()
                {
                    head = now.to_owned();
                }
            }
            Ok(Err(_)) => {
                tally.record("transport error", None, false);
                conn = None;
            }
            Err(_) => {
                tally.record("timed out", None, false);
                conn = None;
            }
        }
    }
    tally
}

// ----------------------------------------------------------------------------------------
// Scenario 3: slow uploads and the health probe

/// Where one slot of slow uploads sends them.
struct SlowTarget {
    from: IpAddr,
    addr: SocketAddr,
    path: String,
    cookie: String,
}

/// How one slow upload ended.
struct SlowEnd {
    outcome: String,
    took: Option<Duration>,
    expected: bool,
    /// Before the slot's next attempt.
    pause: Duration,
}

impl SlowEnd {
    fn failed(why: &str) -> Self {
        Self {
            outcome: why.to_owned(),
            took: None,
            expected: false,
            pause: Duration::from_secs(1),
        }
    }

    async fn answered(response: Response<Incoming>, took: Duration) -> Self {
        let answer = match timeout(Duration::from_secs(5), Fetched::read(response)).await {
            Ok(Ok(answer)) => answer,
            _ => return Self::failed("answer broke off"),
        };
        let status = answer.status;
        let pause = match status {
            StatusCode::TOO_MANY_REQUESTS => answer
                .retry_after()
                .unwrap_or(Duration::from_secs(1))
                .clamp(Duration::from_secs(1), Duration::from_secs(10)),
            // Stalled as intended: the slot trickles again at once.
            StatusCode::REQUEST_TIMEOUT => Duration::ZERO,
            // Anything else would repeat as fast as it is answered.
            _ => Duration::from_secs(1),
        };
        Self {
            outcome: answer.outcome(),
            took: Some(took),
            expected: status == StatusCode::REQUEST_TIMEOUT
                || status == StatusCode::TOO_MANY_REQUESTS,
            pause,
        }
    }
}

/// 600 slots of slow uploads and the health probe for `window`: (probe, uploads).
async fn slow_load(
    addr: SocketAddr,
    uploaders: &[Account],
    window: Duration,
) -> Result<(Tally, Tally)> {
    let begin = Instant::now();
    let end = begin + window;
    let probe = tokio::spawn(probe(addr, end));
    let slots: Vec<_> = (0..SLOW_UPLOADS)
        .map(|n| {
            let account = &uploaders[n % uploaders.len()];
            let target = SlowTarget {
                from: lo(NET_UPLOAD, spread(n, UPLOAD_ADDRESSES)),
                addr,
                path: format!("/api/designs/{}/{SLOW}/uploads", account.name),
                cookie: account.cookie.clone(),
            };
            let start = begin + Duration::from_millis(SLOW_START_STEP_MS * n as u64);
            tokio::spawn(slow_slot(target, start, end))
        })
        .collect();
    let mut uploads = Tally::default();
    for slot in slots {
        uploads.absorb(slot.await?);
    }
    Ok((probe.await?, uploads))
}

/// Slow uploads one after the other until `end` (after a 429, waiting its `Retry-After`).
async fn slow_slot(target: SlowTarget, start: Instant, end: Instant) -> Tally {
    sleep_until(start).await;
    let mut tally = Tally::default();
    while Instant::now() < end {
        let ended = slow_attempt(&target, end).await;
        let pause = ended.pause;
        tally.record(ended.outcome, ended.took, ended.expected);
        if !pause.is_zero() {
            sleep_until((Instant::now() + pause).min(end)).await;
        }
    }
    tally
}

/// One upload that sends its multipart head, then [`TRICKLE`] every [`TRICKLE_EVERY`], until
/// the server answers, [`STALL_LIMIT`] passes, or the window ends.
async fn slow_attempt(target: &SlowTarget, end: Instant) -> SlowEnd {
    let started = Instant::now();
    let Ok(mut conn) = Conn::open(target.from, target.addr).await else {
        return SlowEnd::failed("connect failed");
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    // The channel is empty: the head fits.
    let _ = tx.try_send(multipart_head("slow.bin"));
    let response = conn.send(upload(&target.path, &target.cookie, ReqBody::Channel(rx)));
    let mut response = std::pin::pin!(response);
    let mut stall = std::pin::pin!(sleep_until(started + STALL_LIMIT));
    let mut window = std::pin::pin!(sleep_until(end));
    let mut trickle = interval_at(started + TRICKLE_EVERY, TRICKLE_EVERY);
    loop {
        tokio::select! {
            biased;
            answered = &mut response => {
                return match answered {
                    Ok(response) => SlowEnd::answered(response, started.elapsed()).await,
                    Err(_) => SlowEnd::failed("transport error"),
                };
            }
            () = &mut stall => {
                return SlowEnd {
                    outcome: format!("unanswered after {} s", STALL_LIMIT.as_secs()),
                    took: None,
                    expected: false,
                    pause: Duration::ZERO,
                };
            }
            () = &mut window => {
                return SlowEnd {
                    outcome: "still trickling at the end (dropped)".to_owned(),
                    took: None,
                    expected: true,
                    pause: Duration::ZERO,
                };
            }
            _ = trickle.tick() => {
                // A full channel means the connection stopped taking bytes: nothing to add.
                let _ = tx.try_send(Bytes::from_static(TRICKLE));
            }
        }
    }
}

/// `GET /api/health` every [`PROBE_EVERY`] on one keep-alive connection until `end`; a
/// failure counts with the time it took.
async fn probe(addr: SocketAddr, end: Instant) -> Tally {
    let from = lo(NET_UPLOAD, PROBE_HOST);
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    let mut ticks = interval(PROBE_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let started = Instant::now();
        if started >= end {
            break;
        }
        if conn.is_none() {
            conn = Conn::open(from, addr).await.ok();
        }
        let Some(c) = conn.as_mut() else {
            tally.record("connect failed", Some(started.elapsed()), false);
            continue;
        };
        match timeout(PROBE_LIMIT, c.fetch(get("/api/health"))).await {
            Ok(Ok(answer)) => {
                let ok = answer.status == StatusCode::OK;
                tally.record(answer.outcome(), Some(started.elapsed()), ok);
            }
            Ok(Err(_)) => {
                tally.record("transport error", Some(started.elapsed()), false);
                conn = None;
            }
            Err(_) => {
                tally.record("timed out", Some(started.elapsed()), false);
                conn = None;
            }
        }
    }
    tally
}

// ----------------------------------------------------------------------------------------
// Scenario 4: wrong passwords

/// 200 sign-ins sent at once (connections opened first): half for an existing account, half
/// for accounts that do not exist (the server hashes a dummy for them).
async fn sign_in_burst(addr: SocketAddr, victim: &str) -> Result<Tally> {
    let barrier = Arc::new(Barrier::new(SIGN_INS));
    let handles: Vec<_> = (0..SIGN_INS)
        .map(|n| {
            let barrier = Arc::clone(&barrier);
            let username = if n.is_multiple_of(2) {
                victim.to_owned()
            } else {
                format!("ghost-{n:03}")
            };
            tokio::spawn(async move {
                let from = lo(NET_SIGN_IN, spread(n, SIGN_IN_ADDRESSES));
                let conn = Conn::open(from, addr).await;
                barrier.wait().await;
                let mut tally = Tally::default();
                let Ok(mut conn) = conn else {
                    tally.record("connect failed", None, false);
                    return tally;
                };
                let body = json!({"username": username, "password": WRONG_PASSWORD});
                let started = Instant::now();
                match timeout(
                    SIGN_IN_LIMIT,
                    conn.fetch(post_json("/api/session", &body, None)),
                )
                .await
                {
                    Ok(Ok(answer)) => {
                        let expected = matches!(answer.status.as_u16(), 401 | 429 | 503);
                        tally.record(answer.outcome(), Some(started.elapsed()), expected);
                    }
                    Ok(Err(_)) => tally.record("transport error", None, false),
                    Err(_) => tally.record("timed out", None, false),
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for handle in handles {
        tally.absorb(handle.await?);
    }
    Ok(tally)
}

// ----------------------------------------------------------------------------------------
// Scenario 5: the big file

/// One finished download.
struct Download {
    took: Duration,
    bytes: u64,
    /// (outcome, detail) when it was not a complete 200.
    problem: Option<(String, String)>,
}

/// GETs `path` on a fresh connection and reads the whole body, counting bytes.
async fn download(addr: SocketAddr, path: String, size: u64, limit: Duration) -> Download {
    let started = Instant::now();
    let mut bytes = 0u64;
    let fetch = async {
        let mut conn = Conn::open(lo(NET_BIG, 1), addr).await?;
        let response = conn.send(get(&path)).await?;
        let status = response.status();
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame?.data_ref() {
                bytes += data.len() as u64;
            }
        }
        anyhow::Ok(status)
    };
    let problem = match timeout(limit, fetch).await {
        Ok(Ok(StatusCode::OK)) if bytes == size => None,
        Ok(Ok(StatusCode::OK)) => Some((
            "200, short body".to_owned(),
            format!("{bytes} of {size} bytes"),
        )),
        Ok(Ok(status)) => Some((status.as_u16().to_string(), format!("answered {status}"))),
        Ok(Err(err)) => Some(("transport error".to_owned(), format!("{err:#}"))),
        Err(_) => Some((
            "timed out".to_owned(),
            format!("{bytes} of {size} bytes after {} s", limit.as_secs()),
        )),
    };
    Download {
        took: started.elapsed(),
        bytes,
        problem,
    }
}

/// Up to [`RANGE_REQUESTS`] requests for `RANGE_LEN` bytes at `at`, one after the other on a
/// keep-alive connection, until `end`.
async fn range_requests(
    addr: SocketAddr,
    raw: &str,
    at: u64,
    expected: &[u8],
    end: Instant,
) -> Tally {
    let range = format!("bytes={at}-{}", at + RANGE_LEN as u64 - 1);
    let mut tally = Tally::default();
    let mut conn: Option<Conn> = None;
    for _ in 0..RANGE_REQUESTS {
        let started = Instant::now();
        if started >= end {
            break;
        }
        if conn.is_none() {
            conn = Conn::open(lo(NET_BIG, 2), addr).await.ok();
        }
        let Some(c) = conn.as_mut() else {
            tally.record("connect failed", None, false);
            continue;
        };
        let request = build(
            Request::get(raw).header(header::RANGE, range.as_str()),
            ReqBody::Empty,
        );
        let limit = end
            .saturating_duration_since(started)
            .max(Duration::from_secs(1));
        match timeout(limit, c.fetch(request)).await {
            Ok(Ok(answer)) => {
                let partial = answer.status == StatusCode::PARTIAL_CONTENT;
                let right = answer.body[..] == *expected;
                let outcome = if partial && !right {
                    format!("206 with other bytes ({} bytes)", answer.body.len())
                } else {
                    answer.outcome()
                };
                tally.record(outcome, Some(started.elapsed()), partial && right);
            }
            Ok(Err(_)) => {
                tally.record("transport error", None, false);
                conn = None;
            }
            Err(_) => {
                tally.record("timed out", None, false);
                conn = None;
            }
        }
    }
    tally
}

/// One step of xorshift64 (the generator of the other benchmarks' incompressible bytes).
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// The next `len` bytes of the stream: each step's state, little-endian.
fn fill(state: &mut u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len.next_multiple_of(8));
    while out.len() < len {
        out.extend_from_slice(&xorshift(state).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Bytes `offset..offset + len` of the stream that starts at `seed`.
fn slice_at(seed: u64, offset: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    for _ in 0..offset / 8 {
        xorshift(&mut state);
    }
    let skip = (offset % 8) as usize;
    fill(&mut state, skip + len).split_off(skip)
}

/// The multipart part head of a file called `name`.
fn multipart_head(name: &str) -> Bytes {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into()
}

fn multipart_tail() -> Bytes {
    format!("\r\n--{BOUNDARY}--\r\n").into()
}

// ----------------------------------------------------------------------------------------
// HTTP client: hyper's HTTP/1 connection over a socket bound to a chosen loopback address

/// Every request body the run sends.
enum ReqBody {
    Empty,
    Full(Option<Bytes>),
    /// Whatever arrives on the channel, until its sender is dropped (chunked).
    Channel(mpsc::Receiver<Bytes>),
    /// A multipart file of generated bytes (with a `Content-Length`).
    Generated(Generated),
}

/// A multipart head, `left` generated bytes, a multipart tail.
struct Generated {
    head: Option<Bytes>,
    left: u64,
    state: u64,
    tail: Option<Bytes>,
}

impl Generated {
    fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(head) = self.head.take() {
            return Some(head);
        }
        if self.left > 0 {
            let len = self.left.min(CHUNK);
            self.left -= len;
            // At most CHUNK: fits in usize.
            return Some(Bytes::from(fill(&mut self.state, len as usize)));
        }
        self.tail.take()
    }

    fn remaining(&self) -> u64 {
        len_of(self.head.as_ref()) + self.left + len_of(self.tail.as_ref())
    }
}

fn len_of(bytes: Option<&Bytes>) -> u64 {
    bytes.map_or(0, |b| b.len() as u64)
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let chunk = match self.get_mut() {
            Self::Empty => None,
            Self::Full(bytes) => bytes.take(),
            Self::Channel(rx) => std::task::ready!(rx.poll_recv(cx)),
            Self::Generated(generated) => generated.next_chunk(),
        };
        Poll::Ready(chunk.map(|bytes| Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Full(bytes) => bytes.is_none(),
            Self::Channel(_) => false,
            Self::Generated(generated) => generated.remaining() == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Full(bytes) => SizeHint::with_exact(len_of(bytes.as_ref())),
            Self::Channel(_) => SizeHint::default(),
            Self::Generated(generated) => SizeHint::with_exact(generated.remaining()),
        }
    }
}

/// One HTTP/1.1 connection from a chosen source address.
struct Conn {
    sender: SendRequest<ReqBody>,
    host: HeaderValue,
}

impl Conn {
    async fn open(from: IpAddr, to: SocketAddr) -> Result<Self> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::new(from, 0))?;
        let stream = socket.connect(to).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the server closes or the sender is dropped; failures surface in the
            // requests.
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            host: HeaderValue::from_str(&to.to_string())?,
        })
    }

    /// Sends `request` once the connection is free; the response with its body unread.
    async fn send(&mut self, mut request: Request<ReqBody>) -> Result<Response<Incoming>> {
        request
            .headers_mut()
            .insert(header::HOST, self.host.clone());
        self.sender.ready().await?;
        Ok(self.sender.send_request(request).await?)
    }

    async fn fetch(&mut self, request: Request<ReqBody>) -> Result<Fetched> {
        Fetched::read(self.send(request).await?).await
    }
}

/// One request on a fresh connection, within `limit`.
async fn once(
    from: IpAddr,
    addr: SocketAddr,
    request: Request<ReqBody>,
    limit: Duration,
) -> Result<Fetched> {
    let exchange = async {
        let mut conn = Conn::open(from, addr).await?;
        conn.fetch(request).await
    };
    timeout(limit, exchange)
        .await
        .map_err(|_| anyhow!("no answer within {} s", limit.as_secs()))?
}

/// A response read whole.
struct Fetched {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Fetched {
    async fn read(response: Response<Incoming>) -> Result<Self> {
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Self {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(500)]).into_owned()
    }

    /// The status, with the error's code for answers that carry one: `429 too_many_uploads`.
    fn outcome(&self) -> String {
        let code = if self.status.is_success() {
            None
        } else {
            self.json()["error"]["code"].as_str().map(str::to_owned)
        };
        match code {
            Some(code) => format!("{} {code}", self.status.as_u16()),
            None => self.status.as_u16().to_string(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
            .map(Duration::from_secs)
    }

    /// `atelier_session=<secret>` from `Set-Cookie`.
    fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("atelier_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }

    fn expect(&self, want: StatusCode, what: &str) -> Result<()> {
        if self.status != want {
            bail!(
                "{what}: expected {want}, got {}: {}",
                self.status,
                self.text()
            );
        }
        Ok(())
    }
}

fn build(builder: hyper::http::request::Builder, body: ReqBody) -> Request<ReqBody> {
    builder
        .body(body)
        .expect("requests are made of paths and header values built here, all valid")
}

fn get(path: &str) -> Request<ReqBody> {
    build(Request::get(path), ReqBody::Empty)
}

fn get_as(path: &str, cookie: &str) -> Request<ReqBody> {
    build(
        Request::get(path).header(header::COOKIE, cookie),
        ReqBody::Empty,
    )
}

/// A JSON POST, with the CSRF header that cookie-authenticated writes need.
fn post_json(path: &str, body: &Value, cookie: Option<&str>) -> Request<ReqBody> {
    let mut builder = Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(api::CSRF_HEADER, "1");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    build(builder, ReqBody::Full(Some(Bytes::from(body.to_string()))))
}

/// A multipart upload whose body (head, file, tail) is `body`.
fn upload(path: &str, cookie: &str, body: ReqBody) -> Request<ReqBody> {
    build(
        Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::COOKIE, cookie)
            .header(api::CSRF_HEADER, "1"),
        body,
    )
}

// ----------------------------------------------------------------------------------------
// The server process and its memory

/// `atelier serve` (the release binary cargo built for this benchmark), killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts the server on a free port and waits for `/api/health`; the RSS sampler then
    /// watches it.
    async fn start(paths: &Paths, rss: &Rss) -> Result<Self> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&paths.log)
            .with_context(|| format!("opening {}", paths.log.display()))?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_atelier"));
        command
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--data")
            .arg(&paths.data)
            .arg("--designs")
            .arg(&paths.designs)
            .arg("--dist")
            .arg(&paths.dist)
            .arg("--max-upload")
            .arg(paths.max_upload.to_string())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // Only the flags above: a caller's ATELIER_* (a PostgreSQL URL, trusted proxies)
        // would change what is measured.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ATELIER_") {
                command.env_remove(key);
            }
        }
        let mut server = Self {
            child: command.spawn().context("starting atelier serve")?,
            addr,
        };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Some(status) = server.exited() {
                bail!(
                    "atelier serve exited at start ({status}); the end of its standard error:\n{}",
                    stderr_tail(&paths.log, 40)
                );
            }
            if healthy(addr).await {
                break;
            }
            if Instant::now() >= deadline {
                bail!(
                    "atelier serve did not answer /api/health within {} s; the end of its \
                     standard error:\n{}",
                    START_LIMIT.as_secs(),
                    stderr_tail(&paths.log, 40)
                );
            }
            sleep(Duration::from_millis(100)).await;
        }
        rss.watch(server.child.id());
        Ok(server)
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM, then SIGKILL if it has not stopped within 20 s.
    async fn stop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        if signal(self.child.id(), "-TERM") {
            for _ in 0..200 {
                if self.exited().is_some() {
                    return;
                }
                sleep(Duration::from_millis(100)).await;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

async fn healthy(addr: SocketAddr) -> bool {
    matches!(
        once(lo(NET_SETUP, 1), addr, get("/api/health"), Duration::from_secs(2)).await,
        Ok(answer) if answer.status == StatusCode::OK
    )
}

/// Sends `signal` (`-TERM`, `-KILL`) to `pid` with kill(1).
fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([signal, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The last `lines` lines of the server's standard error.
fn stderr_tail(log: &Path, lines: usize) -> String {
    let text = String::from_utf8_lossy(&std::fs::read(log).unwrap_or_default()).into_owned();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The server's RSS, sampled by a thread; also the guard that kills a server whose RSS passes
/// `ceiling`. All sizes in KiB.
struct Rss {
    pid: AtomicU32,
    peak: AtomicU64,
    ceiling: u64,
    /// The RSS at which the guard killed the server (0: it has not).
    tripped: AtomicU64,
    stop: AtomicBool,
}

/// The RSS just before a scenario.
struct Baseline {
    pid: u32,
    idle: u64,
    /// `VmHWM` was reset to the idle RSS, so it is this scenario's peak.
    hwm_reset: bool,
}

impl Rss {
    fn spawn(ceiling: u64) -> (Arc<Self>, std::thread::JoinHandle<()>) {
        let rss = Arc::new(Self {
            pid: AtomicU32::new(0),
            peak: AtomicU64::new(0),
            ceiling,
            tripped: AtomicU64::new(0),
            stop: AtomicBool::new(false),
        });
        let sampler = Arc::clone(&rss);
        let handle = std::thread::spawn(move || sampler.sample_until_stopped());
        (rss, handle)
    }

    fn sample_until_stopped(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            let pid = self.pid.load(Ordering::Relaxed);
            if pid != 0
                && let Some(kib) = status_kib(pid, "VmRSS:")
            {
                self.peak.fetch_max(kib, Ordering::Relaxed);
                if kib > self.ceiling
                    && self
                        .tripped
                        .compare_exchange(0, kib, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    eprintln!(
                        "soak: the server's RSS reached {:.0} MiB, over the guard of {:.0} MiB: \
                         killing it",
                        mib_of_kib(kib),
                        mib_of_kib(self.ceiling)
                    );
                    signal(pid, "-KILL");
                }
            }
            std::thread::sleep(SAMPLE_EVERY);
        }
    }

    fn watch(&self, pid: u32) {
        self.pid.store(pid, Ordering::Relaxed);
    }

    /// The guard's kill since the last call, if any.
    fn take_tripped(&self) -> Option<u64> {
        Some(self.tripped.swap(0, Ordering::Relaxed)).filter(|&kib| kib != 0)
    }

    /// Reads the idle RSS and starts a new peak from it.
    fn begin(&self) -> Baseline {
        let pid = self.pid.load(Ordering::Relaxed);
        let idle = status_kib(pid, "VmRSS:").unwrap_or(0);
        // Linux: "5" resets VmHWM to the current RSS.
        let hwm_reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
        self.peak.store(idle, Ordering::Relaxed);
        Baseline {
            pid,
            idle,
            hwm_reset,
        }
    }

    /// The peak since `begin`, above its idle RSS.
    fn peak_above(&self, base: &Baseline) -> u64 {
        let mut peak = self.peak.load(Ordering::Relaxed);
        if base.hwm_reset
            && self.pid.load(Ordering::Relaxed) == base.pid
            && let Some(hwm) = status_kib(base.pid, "VmHWM:")
        {
            peak = peak.max(hwm);
        }
        peak.saturating_sub(base.idle)
    }
}

fn read_text(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A `Field:   123 kB` line of a `/proc` file.
fn field_kib(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(field))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    field_kib(
        &std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?,
        field,
    )
}

// ----------------------------------------------------------------------------------------
// Counting and the report

/// What a scenario's requests did.
#[derive(Debug, Default)]
struct Tally {
    /// Requests sent (answered or not).
    requests: u64,
    /// Answers the scenario does not expect, and transport failures.
    errors: u64,
    /// Time to each answer (and to each failure that took time).
    latencies: Vec<Duration>,
    /// How requests ended: `200`, `429 too_many_uploads`, `transport error`, ...
    outcomes: BTreeMap<String, u64>,
}

impl Tally {
    fn record(&mut self, outcome: impl Into<String>, took: Option<Duration>, expected: bool) {
        self.requests += 1;
        if !expected {
            self.errors += 1;
        }
        if let Some(took) = took {
            self.latencies.push(took);
        }
        *self.outcomes.entry(outcome.into()).or_default() += 1;
    }

    fn absorb(&mut self, other: Tally) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latencies.extend(other.latencies);
        for (outcome, count) in other.outcomes {
            *self.outcomes.entry(outcome).or_default() += count;
        }
    }

    /// p50 and p99 of the latencies.
    fn percentiles(&mut self) -> (Option<Duration>, Option<Duration>) {
        self.latencies.sort_unstable();
        (
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.99),
        )
    }

    fn outcomes(&self) -> String {
        if self.outcomes.is_empty() {
            return "no requests".to_owned();
        }
        self.outcomes
            .iter()
            .map(|(outcome, count)| format!("{outcome} × {count}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Option<Duration> {
    let last = sorted.len().checked_sub(1)?;
    sorted.get((last as f64 * p).round() as usize).copied()
}

/// One line of the table.
struct Row {
    scenario: String,
    requests: String,
    rate: String,
    p50: String,
    p99: String,
    errors: String,
    rss: String,
    target: String,
    met: String,
}

impl Row {
    fn of(scenario: &str, tally: &mut Tally, elapsed: Duration) -> Self {
        let (p50, p99) = tally.percentiles();
        Self {
            scenario: scenario.to_owned(),
            requests: tally.requests.to_string(),
            rate: format!(
                "{:.1}",
                tally.requests as f64 / elapsed.as_secs_f64().max(1e-9)
            ),
            p50: p50.map_or_else(dash, ms),
            p99: p99.map_or_else(dash, ms),
            errors: tally.errors.to_string(),
            rss: dash(),
            target: dash(),
            met: dash(),
        }
    }

    fn skipped(scenario: &str, why: String) -> Self {
        Self {
            scenario: scenario.to_owned(),
            requests: dash(),
            rate: dash(),
            p50: dash(),
            p99: dash(),
            errors: dash(),
            rss: dash(),
            target: why,
            met: "no".to_owned(),
        }
    }

    fn rss(mut self, kib: u64) -> Self {
        self.rss = format!("{:.1}", mib_of_kib(kib));
        self
    }

    fn target(mut self, target: &str, met: bool) -> Self {
        target.clone_into(&mut self.target);
        self.met = if met { "yes" } else { "no" }.to_owned();
        self
    }
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The table in Markdown, then the notes as a list.
    fn print(&self) {
        println!();
        println!(
            "| scenario | requests | req/s | p50 ms | p99 ms | errors | peak RSS above idle MiB | target | met? |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---|---|");
        for row in &self.rows {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.scenario,
                row.requests,
                row.rate,
                row.p50,
                row.p99,
                row.errors,
                row.rss,
                row.target,
                row.met
            );
        }
        if !self.notes.is_empty() {
            println!();
            for note in &self.notes {
                println!("- {note}");
            }
        }
    }
}

fn dash() -> String {
    "-".to_owned()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn mib_of_kib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
