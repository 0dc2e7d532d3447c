//! Bundles over HTTP: redirects to commit-addressed URLs, byte-identical rebuilds, caching
//! headers, folder bundles, release bundles and download counts; archives opened by the system
//! `unzip`, `tar` and `sha256sum`; `atelier verify` on tampered archives and `atelier fetch`
//! (and `curl`) against a real server.

mod common;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use backend::bundle::{ArchiveWriter, Format};
use common::{As, TestApp};

fn sha256(bytes: &[u8]) -> String {
    backend::bundle::hex(&Sha256::digest(bytes))
}

/// Follows the redirect of a branch or tag URL; the commit-addressed location.
/// The anvil sample's bundle folder (and file name) at its head: owner, slug, the manifest's
/// version and the commit.
async fn anvil_root(app: &TestApp) -> String {
    let head = app.json("/api/designs/atelier/anvil").await.1["head"]
        .as_str()
        .unwrap()
        .to_owned();
    format!("atelier-anvil-1.0.0-{}", &head[..12])
}

async fn location(app: &TestApp, uri: &str) -> String {
    let answer = app.get(uri).await;
    assert_eq!(
        answer.status,
        StatusCode::TEMPORARY_REDIRECT,
        "{uri}: {}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("the tool runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Checks an unpacked bundle with `sha256sum -c` against its manifest; the manifest.
fn check_unpacked(folder: &Path) -> api::BundleManifest {
    let manifest: api::BundleManifest =
        serde_json::from_slice(&std::fs::read(folder.join("atelier-bundle.json")).unwrap())
            .unwrap();
    let sums: String = manifest
        .files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect();
    std::fs::write(folder.join("../SHA256SUMS"), sums).unwrap();
    run(Command::new("sha256sum")
        .args(["--strict", "-c", "../SHA256SUMS"])
        .current_dir(folder));
    // Nothing on disk that the manifest does not list.
    let mut on_disk = Vec::new();
    let mut stack = vec![folder.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                on_disk.push(
                    path.strip_prefix(folder)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    on_disk.sort();
    let mut promised: Vec<String> = manifest.files.iter().map(|f| f.path.clone()).collect();
    promised.push("atelier-bundle.json".into());
    promised.sort();
    assert_eq!(on_disk, promised);
    manifest
}

#[tokio::test]
async fn bundles_are_deterministic_cached_and_open_with_system_tools() {
    let app = TestApp::new().await;
    let work = tempfile::tempdir().unwrap();
    let mut firsts = Vec::new();
    let root = anvil_root(&app).await;
    for format in Format::ALL {
        let ext = format.extension();
        let commit_url = location(
            &app,
            &format!("/api/designs/atelier/anvil/bundle/main.{ext}"),
        )
        .await;
        let head = app.json("/api/designs/atelier/anvil").await.1["head"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            commit_url,
            format!("/api/designs/atelier/anvil/bundle/{head}.{ext}")
        );

        // First request: streamed while it is built (no length, no digest yet).
        let first = app.get(&commit_url).await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.headers[header::CONTENT_TYPE], format.content_type());
        assert_eq!(
            first.headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            first.headers[header::CONTENT_DISPOSITION],
            format!("attachment; filename=\"{root}.{ext}\"; filename*=UTF-8''{root}.{ext}")
        );
        assert!(!first.headers.contains_key(header::ETAG));

        // Second: from the cache, with its length and sha256, the same bytes.
        let second = app.get(&commit_url).await;
        assert_eq!(second.body, first.body, "{ext}: cached bytes differ");
        assert_eq!(
            second.headers[header::CONTENT_LENGTH],
            first.body.len().to_string()
        );
        assert_eq!(second.headers["x-atelier-sha256"], sha256(&first.body));
        assert!(
            second.headers["repr-digest"]
                .to_str()
                .unwrap()
                .starts_with("sha-256=:")
        );
        let etag = format!("\"sha256-{}\"", sha256(&first.body));
        assert_eq!(second.headers[header::ETAG], etag.as_str());

        let not_modified = app
            .send(
                axum::http::Request::get(&commit_url)
                    .header(header::IF_NONE_MATCH, format!("W/{etag}"))
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
        // A range is honoured for the same bytes only (`If-Range`).
        let ranged = |if_range: String| {
            axum::http::Request::get(&commit_url)
                .header(header::RANGE, "bytes=0-9")
                .header(header::IF_RANGE, if_range)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let part = app.send(ranged(etag.clone())).await;
        assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.body, first.body[..10]);
        let stale = app.send(ranged("\"sha256-00\"".into())).await;
        assert_eq!(stale.status, StatusCode::OK);
        assert_eq!(stale.body, first.body);

        // The system tools open it and find what the manifest promises.
        let archive = work.path().join(format!("anvil.{ext}"));
        std::fs::write(&archive, &first.body).unwrap();
        let into = work.path().join(format!("unpacked-{ext}"));
        std::fs::create_dir_all(&into).unwrap();
        match format {
            Format::Zip => run(Command::new("unzip")
                .arg("-q")
                .arg(&archive)
                .arg("-d")
                .arg(&into)),
            Format::TarGz => run(Command::new("tar")
                .arg("-xzf")
                .arg(&archive)
                .arg("-C")
                .arg(&into)),
        };
        let manifest = check_unpacked(&into.join(&root));
        assert_eq!(manifest.schema, api::BUNDLE_SCHEMA);
        assert_eq!(manifest.design, "atelier/anvil");
        assert_eq!(manifest.commit, head);
        assert_eq!(manifest.version, "1.0.0");
        assert_eq!(manifest.manifest_version.as_deref(), Some("1.0.0"));
        assert_eq!(manifest.root, root);
        assert_eq!(manifest.licenses, ["CERN-OHL-S-2.0"]);
        assert_eq!(manifest.tag, None);
        let okh = manifest.okh.as_ref().unwrap();
        assert_eq!(okh["name"], "Anvil");
        assert_eq!(okh["part"][0]["material"], "steel");
        assert_eq!(manifest.bom.as_ref().unwrap().rows.len(), 2);
        let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "README.md",
                "bom.csv",
                "cad/body.scad",
                "images/anvil.svg",
                "okh.toml"
            ]
        );
        let shares: f64 = manifest.labor.contributors.iter().map(|c| c.share).sum();
        assert!((shares - 100.0).abs() < 0.01, "shares add up to {shares}");
        assert!(
            manifest
                .labor
                .contributors
                .iter()
                .any(|c| c.contributor == "Ada")
        );
        assert_eq!(manifest.generator.name, "atelier");
        let report = backend::bundle::verify::verify(&archive).unwrap();
        assert!(report.is_intact(), "{:?}", report.problems);
        firsts.push(first.body);
    }

    // Every cached bundle removed: the rebuild is byte-identical.
    std::fs::remove_dir_all(app.state.config.data.join("bundles")).unwrap();
    for (format, first) in Format::ALL.into_iter().zip(&firsts) {
        let ext = format.extension();
        let url = location(
            &app,
            &format!("/api/designs/atelier/anvil/bundle/main.{ext}"),
        )
        .await;
        assert_eq!(&app.get(&url).await.body, first, "{ext}: rebuild differs");
    }

    // Another instance imported from the same samples: the same bytes again.
    let other = TestApp::new().await;
    for (format, first) in Format::ALL.into_iter().zip(&firsts) {
        let ext = format.extension();
        let url = location(
            &other,
            &format!("/api/designs/atelier/anvil/bundle/main.{ext}"),
        )
        .await;
        assert_eq!(
            &other.get(&url).await.body,
            first,
            "{ext}: other instance differs"
        );
    }
}

#[tokio::test]
async fn concurrent_requests_share_one_build() {
    let app = TestApp::new().await;
    let url = location(&app, "/api/designs/atelier/bench/bundle/main.tar.gz").await;
    let before = app.state.bundles.builds_started();
    let answers = futures_util::future::join_all((0..6).map(|_| app.get(&url))).await;
    assert_eq!(app.state.bundles.builds_started() - before, 1);
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, answers[0].body);
    }
}

/// `ada/big`: a design with a 4 MiB incompressible file, far more than any buffer between a
/// build and its first reader.
async fn with_big_design(app: &TestApp) {
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "big").await;
    let uploaded = app
        .upload(&ada, "ada/big", "mass.bin", &common::noise(4 << 20))
        .await;
    let head = app.json("/api/designs/ada/big/branches").await.1["branches"][0]["head"].clone();
    let committed = app
        .request(
            Method::POST,
            "/api/designs/ada/big/commits",
            &As::Cookie(ada),
            Some(json!({"branch": "main", "expected_head": head, "message": "Add the mass",
                "changes": [{"op": "put", "path": "cad/mass.bin", "upload_id": uploaded["upload_id"]}]})),
        )
        .await;
    assert_eq!(
        committed.status,
        StatusCode::CREATED,
        "{:?}",
        committed.json()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_that_stop_reading_delay_no_build() {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let app = TestApp::with(|config| config.max_upload = 16 << 20).await;
    with_big_design(&app).await;
    app.state.settled().await;
    // More stalled first readers than there are build slots: each takes its answer's head and
    // then reads nothing.
    let mut stalled = Vec::new();
    for uri in [
        "/api/designs/ada/big/bundle/main.zip",
        "/api/designs/ada/big/bundle/main.tar.gz",
        "/api/designs/ada/big/bundle/main.zip?path=cad",
    ] {
        let url = location(&app, uri).await;
        let request = axum::http::Request::get(&url)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = backend::http::app(app.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        stalled.push((url, response));
    }
    // Everyone else's bundles are built at full speed meanwhile …
    let started = std::time::Instant::now();
    let url = location(&app, "/api/designs/atelier/anvil/bundle/main.zip").await;
    assert_eq!(app.get(&url).await.status, StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited < std::time::Duration::from_secs(10),
        "waited {waited:?}"
    );
    // … and so are the stalled readers' own, which the cache then serves whole.
    for (url, response) in stalled {
        let cached = app.get(&url).await;
        assert_eq!(cached.status, StatusCode::OK);
        assert!(cached.body.len() > 4 << 20, "{url}: {}", cached.body.len());
        // A reader that comes back late still gets every byte of the same archive.
        let late = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(sha256(&late), sha256(&cached.body), "{url}");
    }
}

#[tokio::test]
async fn folder_bundles_sha256_files_and_bad_requests() {
    let app = TestApp::new().await;
    let url = location(&app, "/api/designs/atelier/anvil/bundle/main.zip?path=cad/").await;
    assert!(url.ends_with(".zip?path=cad"), "{url}");
    let answer = app.get(&url).await;
    assert_eq!(answer.status, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("cad.zip");
    std::fs::write(&archive, &answer.body).unwrap();
    let report = backend::bundle::verify::verify(&archive).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    let manifest = report.manifest.unwrap();
    assert_eq!(manifest.path.as_deref(), Some("cad"));
    // A folder's bundle is named for the folder too.
    let whole = anvil_root(&app).await;
    assert_eq!(manifest.root, whole.replace("anvil-", "anvil-cad-"));
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["cad/body.scad"]);

    // The `.sha256` companion is a `sha256sum -c` line for the download's name.
    let sums_url = location(&app, "/api/designs/atelier/anvil/bundle/main.zip.sha256").await;
    let sums = app.get(&sums_url).await;
    assert_eq!(sums.status, StatusCode::OK);
    let full = app.get(&sums_url.replace(".sha256", "")).await;
    assert_eq!(
        String::from_utf8(sums.body).unwrap(),
        format!("{}  {}.zip\n", sha256(&full.body), anvil_root(&app).await)
    );

    for (uri, status, words) in [
        (
            "/api/designs/atelier/anvil/bundle/nope.zip",
            StatusCode::NOT_FOUND,
            "nope",
        ),
        (
            "/api/designs/atelier/anvil/bundle/main.rar",
            StatusCode::NOT_FOUND,
            ".zip",
        ),
        (
            "/api/designs/atelier/anvil/bundle/.zip",
            StatusCode::BAD_REQUEST,
            "branch",
        ),
        (
            "/api/designs/atelier/nope/bundle/main.zip",
            StatusCode::NOT_FOUND,
            "nope",
        ),
        (
            "/api/designs/atelier/anvil/bundle/main.zip?path=../x",
            StatusCode::BAD_REQUEST,
            "path",
        ),
        (
            "/api/designs/atelier/anvil/bundle/main.zip?tag=a%00b",
            StatusCode::BAD_REQUEST,
            "tag",
        ),
    ] {
        let answer = app.get(uri).await;
        assert_eq!(answer.status, status, "{uri}");
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(words), "{uri}: {message}");
    }
    for query in ["path=nowhere", "path=okh.toml", "tag=v9"] {
        let url = location(
            &app,
            &format!("/api/designs/atelier/anvil/bundle/main.zip?{query}"),
        )
        .await;
        let answer = app.get(&url).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{query}");
        assert!(answer.json()["error"]["message"].as_str().is_some());
    }
}

#[tokio::test]
async fn releases_carry_their_bundles_and_downloads_are_counted() {
    let app = TestApp::new().await;
    let admin = app.sign_up("olga").await; // the first account is an admin
    let made = app
        .request(
            Method::POST,
            "/api/designs/atelier/anvil/releases",
            &As::Cookie(admin.clone()),
            Some(json!({"tag": "v1.0.0", "notes": "Ready to build."})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    assert_eq!(
        made.json()["bundles"][0]["url"],
        "/api/designs/atelier/anvil/bundle/v1.0.0.zip"
    );
    // Release bundles are built as the release appears.
    let mut links = Value::Null;
    for _ in 0..100 {
        links = app.json("/api/designs/atelier/anvil/releases").await.1["releases"][0]["bundles"]
            .clone();
        if links[0]["sha256"].is_string() && links[1]["sha256"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(links[1]["format"], "tar.gz");
    let sha = links[0]["sha256"]
        .as_str()
        .expect("the zip was built")
        .to_owned();
    let url = location(&app, "/api/designs/atelier/anvil/bundle/v1.0.0.zip").await;
    assert!(url.ends_with(".zip?tag=v1.0.0"), "{url}");
    let answer = app.get(&url).await;
    assert_eq!(answer.headers["x-atelier-sha256"], sha.as_str());
    assert_eq!(sha256(&answer.body), sha);
    assert_eq!(links[0]["size"], answer.body.len());
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("v1.zip");
    std::fs::write(&archive, &answer.body).unwrap();
    let manifest = backend::bundle::verify::verify(&archive)
        .unwrap()
        .manifest
        .unwrap();
    assert_eq!(manifest.tag.as_deref(), Some("v1.0.0"));
    // A tag's bundle is named for the tag.
    assert_eq!(manifest.root, "atelier-anvil-v1.0.0");

    // GETs count, HEAD and redirects do not.
    let head = app
        .send(
            axum::http::Request::head(&url)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.status, StatusCode::OK);
    app.get(&url).await;
    let counts = app
        .state
        .bundles
        .downloads(&["atelier/anvil".to_owned(), "atelier/bench".to_owned()])
        .await
        .unwrap();
    assert_eq!(counts["atelier/anvil"], 2);
    assert_eq!(counts["atelier/bench"], 0);

    // A design with its own atelier-bundle.json at the root cannot be bundled as it is.
    let head = app.json("/api/designs/atelier/bench").await.1["head"]
        .as_str()
        .unwrap()
        .to_owned();
    let commit = app
        .request(
            Method::POST,
            "/api/designs/atelier/bench/commits",
            &As::Cookie(admin),
            Some(json!({
                "branch": "main", "expected_head": head, "message": "Add a lookalike",
                "changes": [{"op": "put", "path": "atelier-bundle.json", "content": "{}"}]
            })),
        )
        .await;
    assert_eq!(commit.status, StatusCode::CREATED, "{:?}", commit.json());
    let url = location(&app, "/api/designs/atelier/bench/bundle/main.zip").await;
    let answer = app.get(&url).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("atelier-bundle.json")
    );
}

/// Rewrites a bundle entry by entry: `edit` may change or drop an entry; `extra` entries are
/// appended (before the manifest's position does not matter to `verify`).
fn rewrite(
    source: &[u8],
    format: Format,
    edit: impl Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)>,
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    match format {
        Format::Zip => {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(source)).unwrap();
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).unwrap();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                entries.push((entry.name().unwrap().into_owned(), bytes));
            }
        }
        Format::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(source));
            for entry in tar.entries().unwrap() {
                let mut entry = entry.unwrap();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                entries.push((entry.path().unwrap().to_string_lossy().into_owned(), bytes));
            }
        }
    }
    let mut writer = ArchiveWriter::new(format, Vec::new());
    for (name, bytes) in entries {
        if let Some((name, bytes)) = edit(&name, bytes) {
            writer
                .add_file(&name, bytes.len() as u64, 0, false, &mut &bytes[..])
                .unwrap();
        }
    }
    for (name, bytes) in extra {
        writer
            .add_file(name, bytes.len() as u64, 0, false, &mut &bytes[..])
            .unwrap();
    }
    writer.finish().unwrap()
}

/// A tar.gz with one entry whose raw header names `name` (what `tar` crate refuses to write).
fn hostile_tar(good: &[u8], name: &str, kind: tar::EntryType) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(good));
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        builder.append(&header, &bytes[..]).unwrap();
    }
    let mut header = tar::Header::new_gnu();
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_size(if kind == tar::EntryType::Regular {
        4
    } else {
        0
    });
    if kind == tar::EntryType::Symlink {
        header.set_link_name("/etc/passwd").unwrap();
    }
    header.set_mode(0o644);
    header.set_cksum();
    let data: &[u8] = if kind == tar::EntryType::Regular {
        b"evil"
    } else {
        b""
    };
    builder.append(&header, data).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[tokio::test]
async fn verify_names_every_missing_extra_altered_or_unsafe_file() {
    let app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let cli = env!("CARGO_BIN_EXE_atelier");
    let root = anvil_root(&app).await;
    let escape = format!("unsafe path \"{root}/../../evil\"");
    for format in Format::ALL {
        let ext = format.extension();
        let url = location(
            &app,
            &format!("/api/designs/atelier/anvil/bundle/main.{ext}"),
        )
        .await;
        let good = app.get(&url).await.body;
        let tampered: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
            (
                "altered",
                rewrite(
                    &good,
                    format,
                    |name, bytes| {
                        Some((
                            name.to_owned(),
                            if name.ends_with("cad/body.scad") {
                                b"cube([1, 1, 1]);\n".to_vec()
                            } else {
                                bytes
                            },
                        ))
                    },
                    &[],
                ),
                vec!["altered: cad/body.scad"],
            ),
            (
                "missing-and-extra",
                rewrite(
                    &good,
                    format,
                    |name, bytes| (!name.ends_with("README.md")).then(|| (name.to_owned(), bytes)),
                    &[(&format!("{root}/evil.sh"), b"rm -rf /")],
                ),
                vec!["missing: README.md", "extra: evil.sh"],
            ),
            (
                "truncated",
                good[..good.len() * 2 / 3].to_vec(),
                vec!["truncated"],
            ),
            (
                "no-manifest",
                rewrite(
                    &good,
                    format,
                    |name, bytes| {
                        (!name.ends_with("atelier-bundle.json")).then(|| (name.to_owned(), bytes))
                    },
                    &[],
                ),
                vec!["no atelier-bundle.json"],
            ),
        ];
        let mut cases = tampered;
        match format {
            Format::Zip => cases.push((
                "escape",
                rewrite(
                    &good,
                    format,
                    |n, b| Some((n.to_owned(), b)),
                    &[(&format!("{root}/../../evil"), b"x")],
                ),
                vec![escape.as_str()],
            )),
            Format::TarGz => {
                cases.push((
                    "escape",
                    hostile_tar(&good, "../evil", tar::EntryType::Regular),
                    vec!["unsafe path \"../evil\""],
                ));
                cases.push((
                    "link",
                    hostile_tar(&good, &format!("{root}/passwd"), tar::EntryType::Symlink),
                    vec!["passwd: is a symbolic link"],
                ));
            }
        }
        for (what, bytes, expected) in cases {
            let path = dir.path().join(format!("{what}.{ext}"));
            std::fs::write(&path, &bytes).unwrap();
            let output = Command::new(cli).arg("verify").arg(&path).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "{what}.{ext} passed verification");
            for words in expected {
                assert!(
                    stderr.contains(words),
                    "{what}.{ext}: {words:?} not in {stderr}"
                );
            }
        }
        let path = dir.path().join(format!("good.{ext}"));
        std::fs::write(&path, &good).unwrap();
        let output = Command::new(cli).arg("verify").arg(&path).output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("intact"));
        let wrong = Command::new(cli)
            .arg("verify")
            .arg(&path)
            .args(["--sha256", &"0".repeat(64)])
            .output()
            .unwrap();
        assert!(!wrong.status.success());
    }
}

/// A real server on a loopback port, for the command line and curl.
async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = app.state.clone();
    tokio::spawn(async move {
        backend::server::serve(listener, state, std::future::pending())
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

async fn cli(args: Vec<String>) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_atelier"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atelier_fetch_and_curl_get_verified_bundles() {
    let app = TestApp::new().await;
    let server = serve(&app).await;
    let out = tempfile::tempdir().unwrap();
    let out_path: PathBuf = out.path().to_owned();

    let fetched = cli(vec![
        "fetch".into(),
        format!("{server}/atelier/anvil@main"),
        "-o".into(),
        out_path.display().to_string(),
        "--format".into(),
        "tar.gz".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&fetched.stdout);
    assert!(
        fetched.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    let head = app.json("/api/designs/atelier/anvil").await.1["head"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(stdout.contains("CERN-OHL-S-2.0"), "{stdout}");
    assert!(stdout.contains(&head), "{stdout}");
    assert!(stdout.contains("Ada"), "{stdout}");
    assert!(stdout.contains("1.0.0"), "{stdout}");
    check_unpacked(&out_path.join(anvil_root(&app).await));

    // The same again is refused: nothing is overwritten.
    let again = cli(vec![
        "fetch".into(),
        format!("{server}/atelier/anvil"),
        "-o".into(),
        out_path.display().to_string(),
    ])
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let missing = cli(vec![
        "fetch".into(),
        format!("{server}/atelier/nope"),
        "-o".into(),
        out_path.display().to_string(),
    ])
    .await;
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("design atelier/nope not found"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );

    // curl: the archive and its .sha256 line, checked by sha256sum.
    let curl_dir = out_path.join("curl");
    std::fs::create_dir_all(&curl_dir).unwrap();
    let base = format!("{server}/api/designs/atelier/bench/bundle/main.zip");
    let status = tokio::process::Command::new("curl")
        .args(["-sSfL", "-o", "bench-1.zip", &base])
        .current_dir(&curl_dir)
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let sums = tokio::process::Command::new("curl")
        .args(["-sSfL", &format!("{base}.sha256")])
        .output()
        .await
        .unwrap();
    assert!(sums.status.success());
    let line = String::from_utf8(sums.stdout).unwrap();
    let (sha, name) = line.trim_end().split_once("  ").unwrap();
    std::fs::write(curl_dir.join("SUMS"), format!("{sha}  bench-1.zip\n")).unwrap();
    assert!(
        name.starts_with("atelier-bench-") && name.ends_with(".zip"),
        "{name}"
    );
    let check = tokio::process::Command::new("sha256sum")
        .args(["-c", "SUMS"])
        .current_dir(&curl_dir)
        .status()
        .await
        .unwrap();
    assert!(check.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_stl_exports_missing_from_the_tree_are_rendered_into_the_bundle() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "plate").await;
    let okh = app.get("/api/designs/ada/plate/raw/main/okh.toml").await;
    let okh = format!(
        "{}\n[[part]]\nname = \"Plate\"\nsource = \"cad/plate.scad\"\nexport = [\"cad/plate.stl\", \"cad/plate.dxf\"]\n\n\
         [[part]]\nname = \"Broken\"\nsource = \"./cad/broken.scad\"\nexport = \"cad/broken.stl\"\n",
        String::from_utf8(okh.body).unwrap()
    );
    app.commit_changes(
        &ada,
        "ada/plate",
        "Parts",
        json!([
            {"op": "put", "path": "okh.toml", "content": okh},
            {"op": "put", "path": "cad/plate.scad", "content": "side = 20;\ncube([side, side, 2]);\n"},
            {"op": "put", "path": "cad/broken.scad", "content": "cube([1, 1, 1]\n"},
        ]),
    )
    .await;

    let url = location(&app, "/api/designs/ada/plate/bundle/main.zip").await;
    let bundle = app.get(&url).await;
    assert_eq!(bundle.status, StatusCode::OK);
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("plate.zip");
    std::fs::write(&archive, &bundle.body).unwrap();
    let listing = run(Command::new("unzip").arg("-Z1").arg(&archive));
    assert!(
        listing.lines().any(|l| l.ends_with("/cad/plate.stl")),
        "{listing}"
    );
    run(Command::new("unzip")
        .arg("-q")
        .arg(&archive)
        .arg("-d")
        .arg(work.path().join("out")));
    let root = std::fs::read_dir(work.path().join("out"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let manifest = check_unpacked(&root);
    let generated = manifest
        .files
        .iter()
        .find(|f| f.path == "cad/plate.stl")
        .expect("the generated STL is listed");
    assert_eq!(generated.generated_from.as_deref(), Some("cad/plate.scad"));
    assert!(
        manifest
            .files
            .iter()
            .filter(|f| f.generated_from.is_some())
            .count()
            == 1,
        "{:?}",
        manifest.files
    );
    assert!(manifest.openscad.as_deref().unwrap().contains("OpenSCAD"));
    assert_eq!(
        manifest.not_generated.len(),
        1,
        "{:?}",
        manifest.not_generated
    );
    assert!(manifest.not_generated[0].starts_with("cad/broken.stl: "));
    // Sorted by path, the generated file among the design's own.
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    // A real STL of the part: 20 × 20 × 2 mm.
    let stl = std::fs::read(root.join("cad/plate.stl")).unwrap();
    let prepared = backend::mesh::Prepared::new(backend::mesh::Format::Stl, &stl).unwrap();
    assert_eq!(prepared.stats.size(), [20.0, 20.0, 2.0]);
}
