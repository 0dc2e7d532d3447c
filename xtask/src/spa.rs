//! Builds the single-page app into `<target>/dist`: cargo (wasm-release profile) →
//! wasm-bindgen → optional wasm-opt → content-hashed files under `assets/` and an `index.html`;
//! and the 3D viewer (`frontend/viewer/viewer.js` with three.js, bundled by esbuild).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};

use crate::setup::{Tools, WASM_TARGET, WasmStd};
use crate::{Workspace, run_cmd};

const PROFILE: &str = "wasm-release";

pub fn build(ws: &Workspace, tools: &Tools) -> Result<()> {
    compile(ws, tools)?;
    let wasm = ws
        .target
        .join(WASM_TARGET)
        .join(PROFILE)
        .join("frontend.wasm");

    let staging = ws.target.join("spa-staging");
    recreate(&staging)?;
    run_cmd(
        Command::new(&tools.wasm_bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--remove-name-section",
            ])
            .arg("--out-dir")
            .arg(&staging)
            .args(["--out-name", "atelier"])
            .arg(&wasm),
    )?;
    let bg = staging.join("atelier_bg.wasm");
    if let Some(wasm_opt) = &tools.wasm_opt {
        run_cmd(
            Command::new(wasm_opt)
                .arg("-Oz")
                // The features rustc enables by default for wasm32-unknown-unknown.
                .args([
                    "--enable-bulk-memory",
                    "--enable-nontrapping-float-to-int",
                    "--enable-sign-ext",
                    "--enable-mutable-globals",
                    "--enable-reference-types",
                    "--enable-multivalue",
                ])
                .arg(&bg)
                .arg("-o")
                .arg(&bg),
        )?;
    }

    // Assemble the new dist next to the old one, then swap, so a failed build never leaves a
    // half-written dist behind.
    let next = ws.target.join("dist.next");
    recreate(&next.join("assets"))?;
    let wasm_name = hashed(&next, "atelier", "_bg.wasm", &std::fs::read(&bg)?)?;
    let js_name = hashed(
        &next,
        "atelier",
        ".js",
        &std::fs::read(staging.join("atelier.js"))?,
    )?;
    let css_name = hashed(
        &next,
        "atelier",
        ".css",
        concat_styles(&ws.root.join("style"))?.as_bytes(),
    )?;
    // The 3D viewer: its script and three.js in one minified module, loaded only by pages
    // that show a model (the app finds its name in a `<meta>` of `index.html`).
    let viewer = staging.join("viewer.js");
    run_cmd(
        Command::new(&tools.esbuild)
            .arg(ws.root.join("frontend/viewer/viewer.js"))
            .args([
                "--bundle",
                "--minify",
                "--format=esm",
                "--target=es2020",
                "--legal-comments=eof",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", viewer.display()))
            .env("NODE_PATH", &tools.node_modules),
    )?;
    let viewer_name = hashed(&next, "viewer", ".js", &std::fs::read(&viewer)?)?;
    let boot = format!(
        "import init from \"/assets/{js_name}\";\ninit({{ module_or_path: \"/assets/{wasm_name}\" }});\n"
    );
    let boot_name = hashed(&next, "boot", ".js", boot.as_bytes())?;

    let template = std::fs::read_to_string(ws.root.join("frontend/index.html"))
        .context("reading frontend/index.html")?;
    let index = template
        .replace("{{css}}", &format!("/assets/{css_name}"))
        .replace("{{js}}", &format!("/assets/{js_name}"))
        .replace("{{wasm}}", &format!("/assets/{wasm_name}"))
        .replace("{{boot}}", &format!("/assets/{boot_name}"))
        .replace("{{viewer}}", &format!("/assets/{viewer_name}"));
    std::fs::write(next.join("index.html"), index)?;

    let dist = ws.dist();
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::rename(&next, &dist)?;
    report_sizes(&dist)?;
    Ok(())
}

fn compile(ws: &Workspace, tools: &Tools) -> Result<()> {
    let args = [
        "build",
        "-p",
        "frontend",
        "--target",
        WASM_TARGET,
        "--profile",
        PROFILE,
    ];
    match tools.wasm_std {
        WasmStd::Rustup => run_cmd(ws.cargo().args(args)),
        WasmStd::Debian => {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![std::path::PathBuf::from("/usr/bin")];
            dirs.extend(std::env::split_paths(&path));
            let mut cmd = Command::new("/usr/bin/cargo");
            cmd.current_dir(&ws.root)
                .args(args)
                .env("PATH", std::env::join_paths(dirs)?)
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env(
                    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER",
                    "/usr/lib/llvm-22/bin/wasm-ld",
                )
                // Set by rustup's proxies for the toolchain running xtask; not for this one.
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC")
                .env_remove("RUSTDOC")
                .env_remove("CARGO");
            run_cmd(&mut cmd)
        }
    }
}

/// Writes `bytes` to `assets/{stem}-{hash}{suffix}` and returns the file name.
fn hashed(dist: &Path, stem: &str, suffix: &str, bytes: &[u8]) -> Result<String> {
    let digest = Sha256::digest(bytes);
    let mut hash = String::new();
    for byte in &digest[..8] {
        write!(hash, "{byte:02x}")?;
    }
    let name = format!("{stem}-{hash}{suffix}");
    std::fs::write(dist.join("assets").join(&name), bytes)?;
    Ok(name)
}

/// All `style/*.css`, in name order, as one stylesheet.
fn concat_styles(dir: &Path) -> Result<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "css"))
        .collect();
    files.sort();
    let mut css = String::new();
    for file in files {
        css.push_str(&std::fs::read_to_string(&file)?);
        css.push('\n');
    }
    Ok(css)
}

fn recreate(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

/// Prints the size of what the browser downloads, raw and gzipped (level 9).
fn report_sizes(dist: &Path) -> Result<()> {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write as _;
    let mut total = (0usize, 0usize);
    for entry in std::fs::read_dir(dist.join("assets"))? {
        let path = entry?.path();
        let bytes = std::fs::read(&path)?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&bytes)?;
        let gz = gz.finish()?;
        eprintln!(
            "    {:<40} {:>9} B  {:>9} B gzipped",
            path.file_name().unwrap_or_default().to_string_lossy(),
            bytes.len(),
            gz.len()
        );
        total.0 += bytes.len();
        total.1 += gz.len();
    }
    eprintln!(
        "    {:<40} {:>9} B  {:>9} B gzipped",
        "total", total.0, total.1
    );
    Ok(())
}
