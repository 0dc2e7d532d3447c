//! `cargo xtask`: build orchestration for Atelier.
//!
//! - `setup`: install what the build needs (a wasm32 std, wasm-bindgen-cli at the lockfile's
//!   version, optionally wasm-opt, Chromium and chromedriver), printing what and why.
//! - `build`: build the single-page app into `<target>/dist`.
//! - `run [-- ARGS]`: setup, build the SPA and the server, then `atelier serve ARGS`.
//! - `test [-- ARGS]`: setup, `cargo fmt --check`, clippy with `-D warnings`, build the SPA,
//!   start a throwaway PostgreSQL cluster, then every unit, integration and browser test
//!   (`cargo test --workspace ARGS`) twice: on SQLite, then on PostgreSQL.
//! - `bench NAME [ARGS]`: a benchmark of `backend/benches/` that prints figures.
//! - `soak [quick]`: the load-and-abuse run against a release `atelier serve`
//!   (`backend/benches/soak.rs`), at most ten minutes, printing a Markdown table.

mod postgres;
mod setup;
mod spa;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

const USAGE: &str = "usage: cargo xtask <setup|build|run|test|bench|soak> [-- ARGS]

  setup   install the toolchain pieces the build needs (wasm std, wasm-bindgen, chromium)
  build   build the single-page app into <target>/dist
  run     build everything and serve on http://127.0.0.1:8080 (ARGS go to `atelier serve`)
  test    fmt, clippy, the SPA build, then all tests including browser tests (ARGS go to `cargo test`)
  bench   NAME [ARGS]: run a benchmark that prints figures (fork, search, labor, bundle, list, db,
          proposals, soak, git, paint, viewer)
  soak    [quick]: load and abuse a release `atelier serve` on loopback for at most ten minutes
          (mixed reads, writers, slow uploads, wrong passwords, a 1 GiB file); prints a table";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.skip_while(|a| a == "--").collect();
    let ws = Workspace::locate()?;
    let started = Instant::now();
    match task.as_str() {
        "setup" => {
            setup::ensure(&ws, setup::Needs::everything())?;
        }
        "build" => {
            let tools = setup::ensure(&ws, setup::Needs::build())?;
            spa::build(&ws, &tools)?;
        }
        "run" => run(&ws, &rest)?,
        "bench" => bench(&ws, &rest)?,
        "soak" => soak(&ws, &rest)?,
        "test" => {
            let (passed, failed) = test(&ws, &rest)?;
            eprintln!(
                "xtask test: done in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            // The closing line CI reads: the totals over every test binary.
            println!("{passed} passed, {failed} failed");
            return Ok(());
        }
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            return Ok(());
        }
        other => bail!("unknown task {other:?}\n\n{USAGE}"),
    }
    eprintln!(
        "xtask {task}: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where things are: the workspace root and cargo's target directory.
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
}

impl Workspace {
    /// The workspace holding the current directory. Found at run time, not from the path xtask
    /// was compiled at: checkouts that share one target directory (CI clones) share the
    /// compiled xtask too, and each must work on its own tree.
    fn locate() -> Result<Self> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let root = cwd
            .ancestors()
            .find(|dir| {
                std::fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
            })
            .context("run cargo xtask inside the Atelier workspace")?
            .to_owned();
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => {
                let dir = PathBuf::from(dir);
                if dir.is_absolute() {
                    dir
                } else {
                    root.join(dir)
                }
            }
            None => root.join("target"),
        };
        Ok(Self { root, target })
    }

    /// The built single-page app.
    pub fn dist(&self) -> PathBuf {
        self.target.join("dist")
    }

    /// Tools the project installs for itself (npm packages).
    pub fn tools(&self) -> PathBuf {
        self.target.join("tools")
    }

    /// `cargo` as invoked for this workspace (the toolchain that runs xtask).
    pub fn cargo(&self) -> Command {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.root);
        cmd
    }
}

/// Runs `cmd`, echoing it first; fails with its exit status.
pub fn run_cmd(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {}", describe(cmd)))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Times a step and prints how long it took.
fn step<T>(name: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    eprintln!("==> {name}");
    let out = work()?;
    eprintln!("==> {name}: {:.1} s", started.elapsed().as_secs_f64());
    Ok(out)
}

fn run(ws: &Workspace, args: &[String]) -> Result<()> {
    let tools = step("setup", || setup::ensure(ws, setup::Needs::build()))?;
    step("build the single-page app", || spa::build(ws, &tools))?;
    step("build the server", || {
        run_cmd(
            ws.cargo()
                .args(["build", "--release", "-p", "backend", "--bin", "atelier"]),
        )
    })?;
    let mut serve = Command::new(ws.target.join("release").join("atelier"));
    serve.arg("serve").args(args);
    // Defaults for a checkout; flags and ATELIER_* variables given by the user win.
    for (flag, env, value) in [
        ("--dist", "ATELIER_DIST", ws.dist()),
        ("--designs", "ATELIER_DESIGNS", ws.root.join("designs")),
        ("--data", "ATELIER_DATA", ws.root.join("atelier-data")),
    ] {
        let given = args
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")));
        if !given && std::env::var_os(env).is_none() {
            serve.arg(flag).arg(value);
        }
    }
    run_cmd(&mut serve)
}

/// Benchmarks are release-built programs (`backend/benches/*.rs`) that print a table.
fn bench(ws: &Workspace, args: &[String]) -> Result<()> {
    let args: Vec<&String> = args.iter().filter(|a| *a != "--").collect();
    let Some((name, rest)) = args.split_first() else {
        bail!("which benchmark? cargo xtask bench fork");
    };
    let known = [
        "fork",
        "search",
        "labor",
        "bundle",
        "list",
        "db",
        "proposals",
        "soak",
        "git",
        "paint",
        "viewer",
    ];
    if !known.contains(&name.as_str()) {
        bail!("unknown benchmark {name:?} (known: {})", known.join(", "));
    }
    if matches!(name.as_str(), "paint" | "viewer") {
        // The browser benchmarks: the built SPA in headless Chromium.
        let tools = setup::ensure(ws, setup::Needs::everything())?;
        spa::build(ws, &tools)?;
        let chromedriver = tools
            .chromedriver
            .context("setup did not provide chromedriver")?;
        return run_cmd(
            ws.cargo()
                .args(["bench", "-p", "atelier-tests", "--bench", name, "--"])
                .args(rest)
                .env("ATELIER_TEST_DIST", ws.dist())
                .env("ATELIER_CHROMEDRIVER", chromedriver),
        );
    }
    let mut cmd = ws.cargo();
    cmd.args(["bench", "-p", "backend", "--bench", name, "--"])
        .args(rest);
    // `db` compares SQLite with PostgreSQL: a throwaway cluster for the run.
    let cluster = match name.as_str() {
        "db" => Some(postgres::Cluster::start()?),
        _ => None,
    };
    if let Some(cluster) = &cluster {
        cmd.env("ATELIER_BENCH_POSTGRES", cluster.url());
    }
    run_cmd(&mut cmd)
}

/// The soak run (`backend/benches/soak.rs`): cargo builds the bench and the `atelier` binary
/// it starts in release mode.
fn soak(ws: &Workspace, args: &[String]) -> Result<()> {
    run_cmd(
        ws.cargo()
            .args(["bench", "-p", "backend", "--bench", "soak", "--"])
            .args(args.iter().filter(|a| *a != "--")),
    )
}

fn test(ws: &Workspace, args: &[String]) -> Result<(u64, u64)> {
    let tools = step("setup", || setup::ensure(ws, setup::Needs::everything()))?;
    step("cargo fmt --check", || {
        run_cmd(ws.cargo().args(["fmt", "--all", "--check"]))
    })?;
    step("cargo clippy", || {
        run_cmd(ws.cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    step("build the single-page app", || spa::build(ws, &tools))?;
    let chromedriver = tools
        .chromedriver
        .clone()
        .context("setup did not provide chromedriver")?;
    let axe = tools
        .axe
        .clone()
        .context("setup did not provide axe-core")?;
    let cluster = step("start PostgreSQL", postgres::Cluster::start)?;
    let (mut passed, mut failed, mut broken) = (0, 0, Vec::new());
    for database in ["sqlite", "postgres"] {
        let run = step(&format!("cargo test on {database}"), || {
            run_counting(
                ws.cargo()
                    .args(["test", "--workspace"])
                    .args(args)
                    .env("ATELIER_TEST_DIST", ws.dist())
                    .env("ATELIER_CHROMEDRIVER", &chromedriver)
                    .env("ATELIER_AXE", &axe)
                    .env("ATELIER_TEST_POSTGRES", cluster.url())
                    .env("ATELIER_TEST_DATABASE", database),
            )
        })?;
        passed += run.passed;
        failed += run.failed;
        if let Some(why) = run.failure {
            broken.push(format!("on {database}: {why}"));
        }
    }
    drop(cluster);
    if !broken.is_empty() {
        println!("{passed} passed, {failed} failed");
        bail!("{}", broken.join("; "));
    }
    Ok((passed, failed))
}

/// What one `cargo test` run counted, and why it failed if it did.
struct Counts {
    passed: u64,
    failed: u64,
    failure: Option<String>,
}

/// Runs `cargo test`, passing its output through, and adds up the `test result:` lines.
fn run_counting(cmd: &mut Command) -> Result<Counts> {
    use std::io::{BufRead as _, BufReader};
    eprintln!("$ {}", describe(cmd));
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", describe(cmd)))?;
    let (mut passed, mut failed) = (0, 0);
    let stdout = child.stdout.take().context("piped stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        // "test result: ok. 13 passed; 0 failed; 0 ignored; ..."
        if let Some(rest) = line.strip_prefix("test result: ") {
            let count = |word: &str| {
                rest.split(';')
                    .filter_map(|part| part.trim().rsplit_once(' '))
                    .find(|(n, w)| *w == word && !n.is_empty())
                    .and_then(|(n, _)| n.rsplit(' ').next()?.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            passed += count("passed");
            failed += count("failed");
        }
    }
    let status = child.wait()?;
    Ok(Counts {
        passed,
        failed,
        failure: (!status.success()).then(|| format!("`{}` failed ({status})", describe(cmd))),
    })
}
