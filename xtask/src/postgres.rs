//! A throwaway PostgreSQL cluster for `cargo xtask test` and `cargo xtask bench db`: Debian's
//! `postgresql` is installed when absent, `initdb` writes a cluster into a new temporary
//! directory as an unprivileged user (`postgres` when run as root), the server listens on a
//! free loopback port only, and dropping the [`Cluster`] stops it and deletes the directory.
//! Durability is off (`fsync`, `synchronous_commit`): the data dies with the run.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::{run_cmd, setup};

/// A running cluster; stopped and deleted on drop.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// Who runs the server (root may not).
    run_as: Option<&'static str>,
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Cluster {
    pub fn start() -> Result<Self> {
        let bin = match server_bin() {
            Some(bin) => bin,
            None => {
                setup::apt_install(
                    &["postgresql"],
                    "the test suite runs against PostgreSQL as well as SQLite",
                )?;
                server_bin().context("postgresql is installed but no initdb was found")?
            }
        };
        let run_as = setup::is_root().then_some("postgres");
        // Under /tmp: the `postgres` user cannot enter root's home, where the target dir is.
        let dir = std::env::temp_dir().join(format!("atelier-pg-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        if let Some(user) = run_as {
            run_cmd(Command::new("chown").arg(format!("{user}:")).arg(&dir))?;
        }
        let port = free_port()?;
        let cluster = Self {
            dir,
            bin,
            port,
            run_as,
        };
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                path(&data)?,
                "-U",
                "atelier",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
            path(&cluster.dir)?
        );
        let log = cluster.dir.join("server.log");
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                path(&data)?,
                "-l",
                path(&log)?,
                "-o",
                &options,
                "-w",
                "start",
            ],
        )?;
        eprintln!("postgres: a throwaway cluster listens on 127.0.0.1:{port}");
        Ok(cluster)
    }

    /// A URL of the cluster's `postgres` database (tests create their own databases).
    pub fn url(&self) -> String {
        format!("postgres://atelier@127.0.0.1:{}/postgres", self.port)
    }

    fn command(&self, program: &str) -> Command {
        match self.run_as {
            Some(user) => {
                let mut cmd = Command::new("runuser");
                cmd.args(["-u", user, "--"]).arg(self.bin.join(program));
                cmd
            }
            None => Command::new(self.bin.join(program)),
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        let output = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .with_context(|| format!("cannot run {program}"))?;
        if !output.status.success() {
            bail!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

fn path(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if let Ok(data) = path(&data) {
            let _ = self.run("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
