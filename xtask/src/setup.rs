//! Toolchain bootstrap: finds or installs everything the build and the tests need, printing what
//! it installs and why. Only package registries are used (Debian's, crates.io, npm).
//!
//! The wasm32 std comes from rustup's target when `rustup target list --installed` has it;
//! otherwise from Debian's `rustc-web` toolchain built with `-Zbuild-std` (see
//! `../shared/TOOLCHAIN.md`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

use anyhow::{Context as _, Result, bail};

use crate::{Workspace, run_cmd};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Debian's offline toolchain for the wasm32 std.
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_STD_SRC: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_WASM_LD: &str = "/usr/lib/llvm-22/bin/wasm-ld";
const DEBIAN_WASM_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-22"];

/// binaryen from npm: Debian's wasm-opt (version 108) emits modules that break in Chromium.
const BINARYEN_NPM: &str = "binaryen@132.0.0";
const MIN_WASM_OPT_VERSION: u32 = 116;

/// axe-core from npm: the accessibility engine the browser tests run on every page.
const AXE_NPM: &str = "axe-core@4.14.1";
/// three.js from npm: the 3D viewer's renderer, bundled into the viewer's own script (MIT).
const THREE_NPM: &str = "three@0.187.0";
/// esbuild from npm: bundles and minifies the viewer with three.js (MIT).
const ESBUILD_NPM: &str = "esbuild@0.28.2";

/// What a task needs.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub browser: bool,
}

impl Needs {
    pub fn build() -> Self {
        Self { browser: false }
    }
    pub fn everything() -> Self {
        Self { browser: true }
    }
}

/// How to compile for wasm32.
#[derive(Debug, Clone)]
pub enum WasmStd {
    /// rustup's prebuilt std for the target: plain `cargo build --target`.
    Rustup,
    /// Debian's rustc-web with `-Zbuild-std` and lld-22's `wasm-ld`.
    Debian,
}

/// Everything `setup` found or installed.
#[derive(Debug, Clone)]
pub struct Tools {
    pub wasm_std: WasmStd,
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: Option<PathBuf>,
    pub chromedriver: Option<PathBuf>,
    /// `axe.min.js`, for the browser tests' accessibility check.
    pub axe: Option<PathBuf>,
    /// esbuild, and the `node_modules` that holds three.js, for the 3D viewer's script.
    pub esbuild: PathBuf,
    pub node_modules: PathBuf,
}

pub fn ensure(ws: &Workspace, needs: Needs) -> Result<Tools> {
    let wasm_std = ensure_wasm_std()?;
    let wasm_bindgen = ensure_wasm_bindgen(ws)?;
    let wasm_opt = find_wasm_opt(ws);
    ensure_openscad()?;
    ensure_npm(
        ws,
        THREE_NPM,
        "three/build/three.module.js",
        "the 3D viewer draws with it",
    )?;
    let esbuild = ensure_npm(ws, ESBUILD_NPM, ".bin/esbuild", "it bundles the 3D viewer")?;
    let (chromedriver, axe) = if needs.browser {
        ensure_archive_tools()?;
        ensure_kicad()?;
        (
            Some(ensure_browser()?),
            Some(ensure_npm(
                ws,
                AXE_NPM,
                "axe-core/axe.min.js",
                "the browser tests check every page with it",
            )?),
        )
    } else {
        (None, None)
    };
    Ok(Tools {
        wasm_std,
        wasm_bindgen,
        wasm_opt,
        chromedriver,
        axe,
        esbuild,
        node_modules: ws.tools().join("node_modules"),
    })
}

/// `ATELIER_WASM_STD=rustup|debian` forces a path (to test the fallback on a machine that has
/// both); otherwise rustup's target is used when installed, else Debian's toolchain.
fn ensure_wasm_std() -> Result<WasmStd> {
    let forced = std::env::var("ATELIER_WASM_STD").ok();
    if forced.as_deref() != Some("debian") && rustup_has_wasm_std() {
        return Ok(WasmStd::Rustup);
    }
    if forced.as_deref() == Some("rustup") {
        bail!("ATELIER_WASM_STD=rustup but rustup has no complete {WASM_TARGET} std");
    }
    let present = [DEBIAN_CARGO, DEBIAN_RUSTC, DEBIAN_STD_SRC, DEBIAN_WASM_LD]
        .iter()
        .all(|p| Path::new(p).exists());
    if !present {
        apt_install(
            DEBIAN_WASM_PACKAGES,
            "rustup has no wasm32-unknown-unknown std here; Debian's rustc-web builds one with -Zbuild-std",
        )?;
    }
    Ok(WasmStd::Debian)
}

/// rustup lists the target and its `libcore` is really there (an interrupted download can
/// leave the first without the second).
fn rustup_has_wasm_std() -> bool {
    let listed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .any(|l| l.trim() == WASM_TARGET)
        });
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let has_core = sysroot.is_some_and(|root| {
        std::fs::read_dir(root.join("lib/rustlib").join(WASM_TARGET).join("lib"))
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
            })
            .unwrap_or(false)
    });
    listed && has_core
}

/// The `wasm-bindgen` version pinned in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen_version(ws: &Workspace) -> Result<String> {
    let lock = std::fs::read_to_string(ws.root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn ensure_wasm_bindgen(ws: &Workspace) -> Result<PathBuf> {
    let version = locked_wasm_bindgen_version(ws)?;
    let cargo_bin = cargo_home().join("bin");
    let installed = cargo_bin.join("wasm-bindgen");
    let found = |path: &Path| {
        Command::new(path)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let wanted = format!("wasm-bindgen {version}");
    if found(&installed).as_deref() == Some(wanted.as_str()) {
        return Ok(installed);
    }
    eprintln!(
        "setup: installing wasm-bindgen-cli {version} from crates.io \
         (its version must equal the wasm-bindgen {version} in Cargo.lock; takes a few minutes once)"
    );
    let install = |locked: bool| {
        let mut cmd = ws.cargo();
        cmd.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &format!("={version}"),
        ]);
        if locked {
            cmd.arg("--locked");
        }
        run_cmd(&mut cmd)
    };
    // `--locked` is reproducible but fails when one of the CLI's locked dependencies has
    // since been yanked; the unlocked resolution is the fallback.
    if install(true).is_err() {
        eprintln!("setup: the locked install failed; retrying with fresh dependency resolution");
        install(false)?;
    }
    match found(&installed) {
        Some(v) if v == wanted => Ok(installed),
        other => bail!("installed wasm-bindgen-cli but {installed:?} reports {other:?}"),
    }
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
}

/// wasm-opt is optional: a good one (recent binaryen) shrinks the wasm a little. Debian's old
/// one breaks the module, so versions below [`MIN_WASM_OPT_VERSION`] are refused. When npm is
/// available and none is found, binaryen is installed from npm into `<target>/tools`.
fn find_wasm_opt(ws: &Workspace) -> Option<PathBuf> {
    let npm_bin = ws.tools().join("node_modules/.bin/wasm-opt");
    let usable = |path: &Path| -> bool {
        Command::new(path)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                // "wasm-opt version 125 (version_125)"
                let text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.split_whitespace()
                    .nth(2)
                    .and_then(|v| v.parse::<u32>().ok())
            })
            .is_some_and(|v| v >= MIN_WASM_OPT_VERSION)
    };
    for candidate in [npm_bin.clone(), PathBuf::from("wasm-opt")] {
        if usable(&candidate) {
            return Some(candidate);
        }
    }
    let npm_works = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm_works {
        eprintln!(
            "setup: no usable wasm-opt and no npm; the wasm is left as wasm-bindgen wrote it"
        );
        return None;
    }
    eprintln!(
        "setup: installing {BINARYEN_NPM} from npm into {} (optional: wasm-opt -Oz)",
        ws.tools().display()
    );
    let installed = std::fs::create_dir_all(ws.tools()).is_ok()
        && run_cmd(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(ws.tools())
                .arg(BINARYEN_NPM),
        )
        .is_ok();
    if installed && usable(&npm_bin) {
        Some(npm_bin)
    } else {
        eprintln!("setup: wasm-opt could not be installed; continuing without it");
        None
    }
}

/// The real tools the bundle tests check archives with: `unzip`, `curl` (and coreutils'
/// `sha256sum`, GNU `tar`, always there on Debian).
fn ensure_archive_tools() -> Result<()> {
    let missing: Vec<&str> = ["unzip", "curl"]
        .into_iter()
        .filter(|tool| which(tool).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(
        &missing,
        "the bundle tests open archives with the system unzip and download them with curl",
    )
}

/// Debian's OpenSCAD (the server renders `.scad` files with it) and bubblewrap (its sandbox)
/// and util-linux's `prlimit` (its limits); gmsh, the optional converter of STEP and IGES
/// files, which the server uses when present and the tests exercise.
fn ensure_openscad() -> Result<()> {
    let missing: Vec<&str> = [
        ("openscad", "openscad"),
        ("bwrap", "bubblewrap"),
        ("prlimit", "util-linux"),
        ("gmsh", "gmsh"),
    ]
    .into_iter()
    .filter(|(tool, _)| which(tool).is_none())
    .map(|(_, package)| package)
    .collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(
        &missing,
        "the server renders OpenSCAD files (and meshes STEP files with gmsh) in a bubblewrap sandbox with limits",
    )
}

/// KiCad's `kicad-cli` (KiCad 7 or later): the server draws boards and schematics with it
/// when it is installed, and the tests exercise that. Debian 12 ships KiCad 6, which has no
/// `kicad-cli`, so there it comes from bookworm-backports (added as an apt source signed by
/// Debian's own archive key, used for this package only); later releases have it in main.
fn ensure_kicad() -> Result<()> {
    if which("kicad-cli").is_some() {
        return Ok(());
    }
    let why =
        "the server draws KiCad boards and schematics with kicad-cli, and the tests exercise it";
    let codename = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.strip_prefix("VERSION_CODENAME=")
                    .map(|v| v.trim_matches('"').to_owned())
            })
        })
        .unwrap_or_default();
    if codename != "bookworm" {
        return apt_install(&["kicad"], why);
    }
    eprintln!("setup: installing kicad from bookworm-backports: {why}");
    if !is_root() {
        bail!(
            "installing kicad needs root. Add bookworm-backports to apt's sources, then run:\n\n    sudo apt-get install -y --no-install-recommends -t bookworm-backports kicad\n\nthen run this command again"
        );
    }
    let source = Path::new("/etc/apt/sources.list.d/atelier-bookworm-backports.sources");
    if !source.exists() {
        std::fs::write(
            source,
            "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\n\
             Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        )
        .with_context(|| format!("writing {}", source.display()))?;
    }
    run_cmd(Command::new("apt-get").args(["update", "-q"]))?;
    run_cmd(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(["-t", "bookworm-backports", "kicad"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Debian's Chromium and chromedriver for the browser tests.
fn ensure_browser() -> Result<PathBuf> {
    let chromium = which("chromium");
    let driver = which("chromedriver");
    if let (Some(_), Some(driver)) = (&chromium, driver) {
        return Ok(driver);
    }
    apt_install(
        &["chromium", "chromium-driver"],
        "the browser tests drive headless Chromium through chromedriver",
    )?;
    which("chromedriver").context("chromium-driver is installed but chromedriver is not on PATH")
}

/// A pinned npm package installed into `<target>/tools` (once; again when the pin changes):
/// the path of its `file` under `node_modules`. Used for build and test tools only, never for
/// anything the server runs (axe-core is MPL-2.0, three.js and esbuild are MIT).
fn ensure_npm(ws: &Workspace, spec: &str, file: &str, why: &str) -> Result<PathBuf> {
    let (name, version) = spec
        .rsplit_once('@')
        .context("an npm spec is name@version")?;
    let modules = ws.tools().join("node_modules");
    let path = modules.join(file);
    let installed = std::fs::read_to_string(modules.join(name).join("package.json"))
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")));
    if installed && path.exists() {
        return Ok(path);
    }
    eprintln!(
        "setup: installing {spec} from npm into {} ({why})",
        ws.tools().display()
    );
    std::fs::create_dir_all(ws.tools())?;
    run_cmd(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(ws.tools())
            .arg(spec),
    )
    .with_context(|| format!("installing {spec} with npm (Node.js and npm are needed)"))?;
    if !path.exists() {
        bail!("npm installed {spec} but {} is missing", path.display());
    }
    Ok(path)
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs Debian packages, or tells a non-root user the exact command to run.
pub(crate) fn apt_install(packages: &[&str], why: &str) -> Result<()> {
    let list = packages.join(" ");
    eprintln!("setup: installing Debian packages {list}: {why}");
    if !is_root() {
        bail!(
            "installing {list} needs root. Run:\n\n    sudo apt-get update && sudo apt-get install -y {list}\n\nthen run this command again"
        );
    }
    static UPDATE: Once = Once::new();
    let mut updated = Ok(());
    UPDATE.call_once(|| updated = run_cmd(Command::new("apt-get").args(["update", "-q"])));
    updated?;
    run_cmd(
        Command::new("apt-get")
            .args(["install", "-y", "-q"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}
