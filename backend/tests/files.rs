//! Files exactly as their authors made them, through the commit API: the executable bit and
//! symbolic links (checked with the real `git`), names Windows cannot hold (accepted, with a
//! notice in the tree and the bundle manifest), large JSON commits, CAD media types, and a new design's README
//! only on request.

mod common;

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use common::{As, TestApp};

async fn commit(app: &TestApp, cookie: &str, changes: Value) -> common::Answer {
    let (_, detail) = app.json("/api/designs/ada/lamp").await;
    app.request(
        Method::POST,
        "/api/designs/ada/lamp/commits",
        &As::Cookie(cookie.to_owned()),
        Some(json!({"branch": "main", "expected_head": detail["head"],
            "message": "Files", "changes": changes})),
    )
    .await
}

/// [`commit`], requiring 201.
async fn commit_ok(app: &TestApp, cookie: &str, changes: Value) {
    let made = commit(app, cookie, changes).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
}

/// Runs a real tool (git, tar), requiring success; its standard output.
fn run(command: &mut std::process::Command) -> Vec<u8> {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `git ls-tree -r` of the design's default branch, as the stock git reads it: mode and path.
fn ls_tree(app: &TestApp) -> Vec<(String, String)> {
    let id = backend::store::DesignId::new("ada", "lamp").unwrap();
    let git_dir = app.state.store.git_dir(&id).unwrap();
    let out = run(std::process::Command::new("git")
        .arg("--git-dir")
        .arg(&git_dir)
        .args(["ls-tree", "-r", "-z", "main"]));
    String::from_utf8(out)
        .unwrap()
        .split('\0')
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (meta, path) = line.split_once('\t').unwrap();
            (meta.split(' ').next().unwrap().to_owned(), path.to_owned())
        })
        .collect()
}

fn mode_of(tree: &[(String, String)], path: &str) -> String {
    tree.iter()
        .find(|(_, p)| p == path)
        .map(|(mode, _)| mode.clone())
        .unwrap_or_else(|| panic!("{path} not in {tree:?}"))
}

#[tokio::test]
async fn the_commit_api_sets_the_executable_bit_and_makes_symlinks() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    commit_ok(&app, &ada, json!([
            {"op": "put", "path": "tools/export.sh", "content": "#!/bin/sh\necho hi\n", "mode": "executable"},
            {"op": "put", "path": "docs/manifest.toml", "content": "../okh.toml", "mode": "symlink"},
            {"op": "put", "path": "notes/10:30 meeting?.md", "content": "Notes\n"},
        ])).await;
    let tree = ls_tree(&app);
    assert_eq!(mode_of(&tree, "tools/export.sh"), "100755");
    assert_eq!(mode_of(&tree, "docs/manifest.toml"), "120000");
    assert_eq!(mode_of(&tree, "okh.toml"), "100644");

    // The file browser shows both, and the name Windows cannot hold with its notice.
    let (_, tools) = app.json("/api/designs/ada/lamp/tree/main/tools").await;
    assert_eq!(tools["entries"][0]["executable"], true, "{tools}");
    let (_, docs) = app.json("/api/designs/ada/lamp/tree/main/docs").await;
    assert_eq!(docs["entries"][0]["kind"], "symlink", "{docs}");
    assert_eq!(docs["entries"][0]["target"], "../okh.toml", "{docs}");
    let (_, notes) = app.json("/api/designs/ada/lamp/tree/main/notes").await;
    let notice = notes["entries"][0]["notice"].as_str().unwrap();
    assert!(notice.starts_with("not portable to Windows"), "{notice}");
    let (_, root) = app.json("/api/designs/ada/lamp/tree/main").await;
    assert!(
        root["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("notice").is_none() && e.get("executable").is_none()),
        "{root}"
    );

    // An edit without a mode keeps the bit; a mode changes it.
    commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "tools/export.sh", "content": "#!/bin/sh\necho hello\n"}]),
    )
    .await;
    assert_eq!(mode_of(&ls_tree(&app), "tools/export.sh"), "100755");
    commit_ok(&app, &ada, json!([{"op": "put", "path": "tools/export.sh", "content": "#!/bin/sh\necho hello\n", "mode": "file"}])).await;
    assert_eq!(mode_of(&ls_tree(&app), "tools/export.sh"), "100644");

    // The bundle carries the file by its name and says Windows cannot hold it.
    let moved = app.get("/api/designs/ada/lamp/bundle/main.tar.gz").await;
    assert_eq!(moved.status, StatusCode::TEMPORARY_REDIRECT);
    let bundle = app.get(moved.headers["location"].to_str().unwrap()).await;
    assert_eq!(bundle.status, StatusCode::OK, "{:?}", bundle.headers);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("b.tar.gz"), &bundle.body).unwrap();
    run(std::process::Command::new("tar")
        .args(["-xzf", "b.tar.gz"])
        .current_dir(work.path()));
    let root = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    assert!(root.join("notes/10:30 meeting?.md").is_file());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root.join(api::BUNDLE_MANIFEST)).unwrap()).unwrap();
    let not_portable = manifest["not_portable"][0].as_str().unwrap();
    assert!(
        not_portable.starts_with("notes/10:30 meeting?.md: not portable to Windows"),
        "{manifest}"
    );
    assert_eq!(
        manifest["skipped"],
        json!(["docs/manifest.toml"]),
        "{manifest}"
    );
}

#[tokio::test]
async fn bad_links_and_names_are_refused_naming_them() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let uploaded = app.upload(&ada, "ada/lamp", "a.bin", b"bytes").await;
    for (change, needle) in [
        (
            json!({"op": "put", "path": "docs/out", "content": "../../etc/passwd", "mode": "symlink"}),
            "symlink \"docs/out\": its target leaves the design",
        ),
        (
            json!({"op": "put", "path": "abs", "content": "/etc/passwd", "mode": "symlink"}),
            "must be a relative path inside the design",
        ),
        (
            json!({"op": "put", "path": "empty", "content": "", "mode": "symlink"}),
            "1 to 1024 bytes",
        ),
        (
            json!({"op": "put", "path": "up", "upload_id": uploaded["upload_id"], "mode": "symlink"}),
            "give its target as content",
        ),
        (
            json!({"op": "put", "path": "a\\b.txt", "content": "x"}),
            "contains a backslash",
        ),
        (
            json!({"op": "put", "path": ".git::$INDEX_ALLOCATION/x", "content": "x"}),
            "names git's own directory",
        ),
        (
            json!({"op": "put", "path": "bell\u{7}", "content": "x"}),
            "control character",
        ),
        (
            json!({"op": "put", "path": "f", "content": "x", "mode": "socket"}),
            "unknown variant `socket`",
        ),
        // A step up after a name could climb out through another link (`x/up -> ..`).
        (
            json!({"op": "put", "path": "x/esc", "content": "up/../etc", "mode": "symlink"}),
            "may step up ('..') only at its start",
        ),
        (
            json!({"op": "put", "path": "hooks", "content": ".git/hooks", "mode": "symlink"}),
            "\".git\" names git's own directory",
        ),
        (
            json!({"op": "put", "path": "cad/.GitAttributes", "content": "../okh.toml", "mode": "symlink"}),
            "git reads this file itself",
        ),
        (
            json!({"op": "put", "path": "C:/Windows/x", "content": "x"}),
            "Windows drive letter",
        ),
    ] {
        let refused = commit(&app, &ada, json!([change])).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{change}");
        let answer = refused.json();
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{change}: {message}");
    }
    // The link a chain would need is fine alone, and `./` or `a//b` are harmless.
    commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "x/up", "content": "..", "mode": "symlink"},
            {"op": "put", "path": "x/here", "content": "./up//okh.toml", "mode": "symlink"},
        ]),
    )
    .await;
    // A link moved where its target would leave the design is refused too.
    commit_ok(&app, &ada, json!([{"op": "put", "path": "docs/a/link", "content": "../../okh.toml", "mode": "symlink"}])).await;
    let moved = commit(
        &app,
        &ada,
        json!([{"op": "move", "from": "docs/a/link", "to": "top-link"}]),
    )
    .await;
    assert_eq!(moved.status, StatusCode::BAD_REQUEST);
    assert!(
        moved.json()["error"]["message"]
            .to_string()
            .contains("leaves the design")
    );
}

#[tokio::test]
async fn a_json_commit_may_carry_a_large_text_file_up_to_its_stated_limit() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    // A STEP file of 8 MiB: four times axum's default body limit.
    let step = "#1=CARTESIAN_POINT('',(0.,0.,0.));\n".repeat(8 << 20 >> 5);
    commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/frame.step", "content": step}]),
    )
    .await;
    let raw = app
        .get("/api/designs/ada/lamp/raw/main/cad/frame.step")
        .await;
    assert_eq!(raw.body.len(), step.len());

    let over = "x".repeat(api::MAX_COMMIT_BODY);
    // Someone who may not commit is refused for that before the body is read.
    let stranger = app.sign_up("mallory").await;
    let refused = commit(
        &app,
        &stranger,
        json!([{"op": "put", "path": "cad/huge.step", "content": over}]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = commit(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/huge.step", "content": over}]),
    )
    .await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    let message = refused.json()["error"]["message"].to_string();
    assert!(message.contains("64 MiB"), "{message}");
    assert!(message.contains("uploads"), "{message}");
}

#[tokio::test]
async fn a_new_design_gets_a_starter_readme_only_when_asked() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let function = "Carries two crates of vegetables behind a bicycle. ".repeat(40);
    for (slug, readme) in [("plain", false), ("described", true)] {
        let created = app
            .request(
                Method::POST,
                "/api/designs",
                &As::Cookie(ada.clone()),
                Some(
                    json!({"slug": slug, "name": "Trailer", "function": function,
                    "license": "CERN-OHL-S-2.0", "readme": readme}),
                ),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
        let (_, tree) = app
            .json(&format!("/api/designs/ada/{slug}/tree/main"))
            .await;
        let names: Vec<&str> = tree["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        if readme {
            assert_eq!(names, ["okh.toml", "README.md"]);
        } else {
            assert_eq!(names, ["okh.toml"]);
        }
        let (_, detail) = app.json(&format!("/api/designs/ada/{slug}")).await;
        assert_eq!(detail["manifest_problems"], json!([]), "{detail}");
        assert_eq!(detail["manifest"]["function"], function.trim());
    }
}

/// Whether the stock git finds object `id` in the design (its pool included).
fn has_object(app: &TestApp, id: &str) -> bool {
    let design = backend::store::DesignId::new("ada", "lamp").unwrap();
    let git_dir = app.state.store.git_dir(&design).unwrap();
    std::process::Command::new("git")
        .arg("--git-dir")
        .arg(&git_dir)
        .args(["cat-file", "-e", id])
        .status()
        .unwrap()
        .success()
}

#[tokio::test]
async fn uploads_enter_the_pool_only_with_the_commit_that_uses_them() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let bytes = common::noise(300_000);
    let uploaded = app.upload(&ada, "ada/lamp", "shade.stl", &bytes).await;
    let blob = uploaded["blob"].as_str().unwrap().to_owned();
    let staging = app.dir.path().join("data/uploads");
    let staged = || std::fs::read_dir(&staging).unwrap().count();
    assert_eq!(staged(), 1);
    assert!(
        !has_object(&app, &blob),
        "an upload is staged outside the pool"
    );

    // A commit refused for a stale head leaves the pool as it was.
    let stale = app
        .request(
            Method::POST,
            "/api/designs/ada/lamp/commits",
            &As::Cookie(ada.clone()),
            Some(json!({"branch": "main", "expected_head": "0".repeat(40), "message": "Shade",
                "changes": [{"op": "put", "path": "cad/shade.stl", "upload_id": uploaded["upload_id"]}]})),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{:?}", stale.json());
    assert!(!has_object(&app, &blob));

    commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/shade.stl", "upload_id": uploaded["upload_id"]}]),
    )
    .await;
    assert!(has_object(&app, &blob));
    let raw = app
        .get("/api/designs/ada/lamp/raw/main/cad/shade.stl")
        .await;
    assert_eq!(raw.body, bytes);
    assert_eq!(staged(), 0, "a used upload is deleted");
    let again = commit(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/copy.stl", "upload_id": uploaded["upload_id"]}]),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown, expired or not yours")
    );
}

#[tokio::test]
async fn cad_files_are_served_as_their_registered_types() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let types = [
        ("cad/frame.stl", "model/stl"),
        ("cad/FRAME2.STL", "model/stl"),
        ("cad/frame.step", "model/step"),
        ("cad/frame.stp", "model/step"),
        ("cad/frame.3mf", "model/3mf"),
        ("cad/frame.obj", "model/obj"),
        ("cad/frame.glb", "model/gltf-binary"),
        ("cad/plate.dxf", "image/vnd.dxf"),
        ("cad/frame.scad", "text/plain; charset=utf-8"),
    ];
    let changes: Vec<Value> = types
        .iter()
        .map(|(path, _)| json!({"op": "put", "path": path, "content": "solid x\nendsolid x\n"}))
        .collect();
    commit_ok(&app, &ada, Value::Array(changes)).await;
    for (path, expected) in types {
        let raw = app
            .get(&format!("/api/designs/ada/lamp/raw/main/{path}"))
            .await;
        assert_eq!(raw.status, StatusCode::OK, "{path}");
        assert_eq!(raw.headers[header::CONTENT_TYPE], expected, "{path}");
    }
}
