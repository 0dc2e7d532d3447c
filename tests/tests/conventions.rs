//! Project conventions checked as tests: every Rust module says what it is for.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_comment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for krate in ["api", "backend", "frontend", "tests", "xtask"] {
        rust_files(&root.join(krate), &mut files);
    }
    assert!(files.len() > 20, "found only {} Rust files", files.len());
    let undocumented: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert!(
        undocumented.is_empty(),
        "these modules lack a `//!` line saying what they are for: {undocumented:?}"
    );
}

/// The domain modules know nothing about HTTP: none imports `axum`, `crate::http` or
/// `crate::server` (ARCHITECTURE.md states the invariant; this keeps it).
#[test]
fn domain_modules_know_nothing_about_http() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../backend/src");
    let mut files = Vec::new();
    for module in [
        "store",
        "labor",
        "search",
        "bundle",
        "accounts",
        "catalog",
        "events",
        "proposals",
        "blobs",
        "tail",
        "work",
        "uploads",
    ] {
        let file = src.join(format!("{module}.rs"));
        assert!(file.is_file(), "{} is missing", file.display());
        files.push(file);
        if src.join(module).is_dir() {
            rust_files(&src.join(module), &mut files);
        }
    }
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            let name = path.strip_prefix(&src).unwrap().display().to_string();
            ["axum", "crate::http", "crate::server", "tower_http"]
                .into_iter()
                .filter(move |needle| {
                    text.lines().any(|line| {
                        let line = line.trim_start();
                        !line.starts_with("//") && line.contains(needle)
                    })
                })
                .map(move |needle| format!("{name} uses {needle}"))
        })
        .collect();
    assert!(offenders.is_empty(), "{offenders:?}");
}
