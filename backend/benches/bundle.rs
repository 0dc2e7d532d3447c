//! `cargo xtask bench bundle [quick]`: bundles of designs of about 50 MB and 1 GB (half
//! incompressible binary parts, half text such as ASCII STL and CSV).
//!
//! The server is the real `atelier serve` in a process of its own. For each size and format,
//! over HTTP on loopback: the first (streamed, building) download's time to first byte and total
//! time beside `git archive` of the same commit, the server's peak RSS above its idle RSS while
//! it builds (target: under 64 MiB), and a cached download's throughput.

use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use backend::bundle::Format;
use backend::store::{DesignId, Store};

mod common;

/// ASCII STL-like text: compresses about 4:1, like real CAD exports.
fn text_bytes(seed: &mut u64, len: usize) -> Vec<u8> {
    let mut out = String::with_capacity(len + 200);
    out.push_str("solid part\n");
    while out.len() < len {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let (a, b, c) = (*seed % 1000, (*seed >> 10) % 1000, (*seed >> 20) % 1000);
        out.push_str(&format!(
            "facet normal 0 0 1\n outer loop\n  vertex {a}.5 {b}.25 {c}.0\n  vertex {b}.5 {c}.25 {a}.0\n  vertex {c}.5 {a}.25 {b}.0\n endloop\nendfacet\n"
        ));
    }
    out.truncate(len);
    out.into_bytes()
}

/// A `/proc/<pid>/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Resets the process's VmHWM to its current RSS (Linux `clear_refs` 5).
fn reset_peak_rss(pid: u32) {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("clear_refs is writable");
}

/// `atelier serve` over `data`, stopped when dropped.
struct Server {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

impl Server {
    async fn start(data: &std::path::Path) -> Self {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let empty = data.join("no-samples");
        std::fs::create_dir_all(&empty).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_atelier"))
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--data")
            .arg(data)
            .arg("--designs")
            .arg(&empty)
            .arg("--dist")
            .arg(data.join("dist"))
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the ledger and the search index take in the design: the server is then idle.
        tokio::time::sleep(Duration::from_secs(3)).await;
        Self { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET over a fresh connection: (time to the first body byte, total time, body bytes).
async fn download(addr: std::net::SocketAddr, path: &str) -> (Duration, Duration, u64) {
    let started = Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let mut first_byte = None;
    let mut body = 0u64;
    loop {
        let n = stream.read(&mut buffer).await.unwrap();
        if n == 0 {
            break;
        }
        if first_byte.is_none() {
            head.extend_from_slice(&buffer[..n]);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                let status = String::from_utf8_lossy(&head[..head.len().min(12)]).into_owned();
                assert!(status.contains(" 200"), "{path}: {status}");
                let rest = head.len() - end - 4;
                if rest > 0 {
                    first_byte = Some(started.elapsed());
                    body += rest as u64;
                }
            }
        } else {
            body += n as u64;
        }
    }
    (first_byte.unwrap_or_default(), started.elapsed(), body)
}

fn git_archive(repo: &std::path::Path, commit: &str, format: &str) -> Duration {
    let started = Instant::now();
    let status = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args([
            "archive",
            &format!("--format={format}"),
            "-o",
            "/dev/null",
            commit,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    started.elapsed()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sizes: Vec<(&str, usize)> = match std::env::args().nth(1).as_deref() {
        Some("quick") => vec![("50 MB", 50 << 20)],
        _ => vec![("50 MB", 50 << 20), ("1 GB", 1 << 30)],
    };
    let target = std::env::var("CARGO_TARGET_TMPDIR")
        .unwrap_or_else(|_| std::env::temp_dir().display().to_string());
    std::fs::create_dir_all(&target).unwrap();
    println!(
        "{:<7} {:<7} {:>9} {:>9} {:>10} {:>11} {:>7} {:>12} {:>13}",
        "design",
        "format",
        "archive",
        "TTFB",
        "first GET",
        "git archive",
        "ratio",
        "peak RSS +",
        "cached GET"
    );
    for (label, size) in sizes {
        let dir = tempfile::tempdir_in(&target).unwrap();
        let data = dir.path().join("data");
        let id = DesignId::new("bench", "big").unwrap();
        let commit = {
            let (data, id) = (data.clone(), id.clone());
            tokio::task::spawn_blocking(move || {
                let store =
                    Store::open(data.join("store"), backend::events::Events::new()).unwrap();
                common::big_design(
                    &store,
                    &id,
                    "name = \"Big\"\nversion = \"1.0\"\nlicense = \"CERN-OHL-S-2.0\"\n",
                    size,
                    |n, seed, len| {
                        if n % 2 == 0 {
                            (
                                format!("parts/part-{n:05}.bin"),
                                common::random_bytes(seed, len),
                            )
                        } else {
                            (format!("cad/part-{n:05}.stl"), text_bytes(seed, len))
                        }
                    },
                )
            })
            .await
            .unwrap()
        };
        let repo = data.join("store/repos/bench/big.git");
        let server = Server::start(&data).await;
        let (pid, addr) = (server.child.id(), server.addr);

        for format in Format::ALL {
            let url = format!(
                "/api/designs/bench/big/bundle/{commit}.{}",
                format.extension()
            );
            let idle = status_kib(pid, "VmRSS:");
            reset_peak_rss(pid);
            let (ttfb, first, bytes) = download(addr, &url).await;
            let peak = status_kib(pid, "VmHWM:").saturating_sub(idle);
            let git = git_archive(
                &repo,
                &commit.to_string(),
                if format == Format::Zip {
                    "zip"
                } else {
                    "tar.gz"
                },
            );
            let mut cached = Vec::new();
            for _ in 0..3 {
                let (_, total, cached_bytes) = download(addr, &url).await;
                assert_eq!(cached_bytes, bytes, "cached size differs");
                cached.push(total);
            }
            cached.sort();
            let cached = cached[1];
            println!(
                "{:<7} {:<7} {:>6.0} MB {:>6.1} ms {:>8.2} s {:>9.2} s {:>6.2}x {:>8.1} MiB {:>8.0} MB/s",
                label,
                format.extension(),
                mb(bytes),
                ttfb.as_secs_f64() * 1000.0,
                first.as_secs_f64(),
                git.as_secs_f64(),
                first.as_secs_f64() / git.as_secs_f64(),
                peak as f64 / 1024.0,
                mb(bytes) / cached.as_secs_f64(),
            );
        }
    }
}
