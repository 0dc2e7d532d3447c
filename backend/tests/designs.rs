//! Designs over HTTP: the detail page, browsing files and history, and every write (create,
//! commit, upload, fork, release) with its errors.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use common::{As, TestApp, multipart, noise};

async fn head(app: &TestApp, id: &str) -> String {
    let (_, detail) = app.json(&format!("/api/designs/{id}")).await;
    detail["head"].as_str().unwrap().to_owned()
}

/// An owner with a design created over the API (`olga/lamp`).
async fn with_lamp() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.sign_up("root-admin").await;
    let olga = app.sign_up("olga").await;
    let created = app
        .request(
            Method::POST,
            "/api/designs",
            &As::Cookie(olga.clone()),
            Some(json!({"slug": "lamp", "name": "Desk lamp", "function": "Lights a desk", "license": "CERN-OHL-W-2.0", "readme": true})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    assert_eq!(created.json()["id"], "olga/lamp");
    (app, olga)
}

/// The ids of a design list, in its order.
fn ids(list: &Value) -> Vec<String> {
    list["designs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

fn commit_body(head: &str, message: &str, changes: Value) -> Option<Value> {
    Some(json!({"branch": "main", "expected_head": head, "message": message, "changes": changes}))
}

#[tokio::test]
async fn the_detail_has_manifest_readme_bom_and_counts() {
    let app = TestApp::new().await;
    let (status, detail) = app.json("/api/designs/atelier/anvil").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["id"], "atelier/anvil");
    assert_eq!(detail["default_branch"], "main");
    assert_eq!(detail["manifest"]["licensor"], "Ada");
    assert_eq!(
        detail["manifest"]["parts"][0]["source"],
        json!(["cad/body.scad"])
    );
    assert_eq!(detail["manifest_problems"], json!([]));
    let head = detail["head"].as_str().unwrap();
    assert_eq!(detail["head_commit"]["id"], head);
    let readme = detail["readme_html"].as_str().unwrap();
    assert!(
        readme.contains(&format!(
            "src=\"/api/designs/atelier/anvil/raw/{head}/images/anvil.svg\""
        )),
        "{readme}"
    );
    assert!(
        readme.contains(&format!(
            "href=\"/atelier/anvil/blob/{head}/cad/body.scad\""
        )),
        "{readme}"
    );
    assert!(!readme.contains("<script"), "{readme}");
    let bom = &detail["bom"];
    assert_eq!(bom["path"], "bom.csv");
    assert_eq!(bom["rows"][0]["name"], "Hex bolt M8x40");
    assert_eq!(bom["rows"][0]["quantity"], 4.0);
    assert_eq!(bom["rows"][1]["quantity_text"], "1 or 2");
    assert_eq!(bom["rows"][1]["line"], 3);
    assert_eq!(
        detail["counts"],
        json!({"commits": 2, "contributors": 2, "forks": 0, "proposals": 0})
    );
    assert_eq!(detail["parent"], Value::Null);
    assert_eq!(detail["upstream"], Value::Null, "not a fork");
    assert_eq!(detail["network_root"], "atelier/anvil");

    // The broken manifest is reported with its line, and the design stays browsable.
    let (status, broken) = app.json("/api/designs/atelier/broken").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(broken["manifest"], Value::Null);
    assert_eq!(broken["manifest_problems"][0]["line"], 1);
    // bench lacks required fields.
    let (_, bench) = app.json("/api/designs/atelier/bench").await;
    let problems = bench["manifest_problems"].to_string();
    assert!(
        problems.contains("the required field `okhv` is missing"),
        "{problems}"
    );
}

#[tokio::test]
async fn files_are_browsable_and_served_safely() {
    let app = TestApp::new().await;
    let (status, tree) = app.json("/api/designs/atelier/anvil/tree/main").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = tree["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cad", "images", "bom.csv", "okh.toml", "README.md"]);
    assert_eq!(tree["entries"][0]["kind"], "dir");
    let (_, cad) = app.json("/api/designs/atelier/anvil/tree/main/cad").await;
    assert_eq!(cad["entries"][0]["path"], "cad/body.scad");
    assert_eq!(cad["entries"][0]["size"], 21);
    let (status, missing) = app.json("/api/designs/atelier/anvil/tree/main/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    let raw = app
        .get("/api/designs/atelier/anvil/raw/main/cad/body.scad")
        .await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body, b"cube([100, 40, 60]);\n");
    assert_eq!(
        raw.headers[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    let etag = raw.headers[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag.len(), 42);
    assert_eq!(raw.headers[header::CACHE_CONTROL], "no-cache");

    let svg = app
        .get("/api/designs/atelier/anvil/raw/main/images/anvil.svg")
        .await;
    assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
    let csp = svg.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{csp}"
    );

    let conditional = app
        .send(
            Request::get("/api/designs/atelier/anvil/raw/main/cad/body.scad")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(conditional.status, StatusCode::NOT_MODIFIED);
    let partial = app
        .send(
            Request::get("/api/designs/atelier/anvil/raw/main/cad/body.scad")
                .header(header::RANGE, "bytes=0-3")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(partial.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(partial.body, b"cube");
    assert_eq!(partial.headers[header::CONTENT_RANGE], "bytes 0-3/21");
    let unsatisfiable = app
        .send(
            Request::get("/api/designs/atelier/anvil/raw/main/cad/body.scad")
                .header(header::RANGE, "bytes=99-")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(unsatisfiable.status, StatusCode::RANGE_NOT_SATISFIABLE);

    let head = head(&app, "atelier/anvil").await;
    let pinned = app
        .get(&format!(
            "/api/designs/atelier/anvil/raw/{head}/bom.csv?download=1"
        ))
        .await;
    assert_eq!(
        pinned.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(
        pinned.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"bom.csv\"")
    );

    let hostile = app
        .get("/api/designs/atelier/anvil/raw/main/..%2Fokh.toml")
        .await;
    assert_eq!(hostile.status, StatusCode::BAD_REQUEST);
    assert!(
        hostile.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("segment \"..\"")
    );
}

#[tokio::test]
async fn history_commit_detail_and_compare() {
    let app = TestApp::new().await;
    let (_, log) = app
        .json("/api/designs/atelier/anvil/commits?per_page=1")
        .await;
    assert_eq!(log["total"], 2);
    assert_eq!(log["per_page"], 1);
    assert_eq!(log["commits"][0]["summary"], "More");
    assert_eq!(log["commits"][0]["author"]["name"], "Grace Hopper");
    assert_eq!(log["commits"][0]["author"]["account"], Value::Null);
    let newest = log["commits"][0]["id"].as_str().unwrap().to_owned();
    let (_, page2) = app
        .json("/api/designs/atelier/anvil/commits?per_page=1&page=2")
        .await;
    let oldest = page2["commits"][0]["id"].as_str().unwrap().to_owned();
    let (_, filtered) = app
        .json("/api/designs/atelier/anvil/commits?path=cad")
        .await;
    assert_eq!(filtered["total"], 1);

    let (status, detail) = app
        .json(&format!("/api/designs/atelier/anvil/commits/{newest}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let paths: Vec<&str> = detail["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"cad/body.scad"), "{paths:?}");
    assert_eq!(detail["files"][0]["status"], "added");

    let (status, comparison) = app
        .json(&format!(
            "/api/designs/atelier/anvil/compare/{oldest}...{newest}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(comparison["commits"].as_array().unwrap().len(), 1);
    assert_eq!(comparison["merge_base"], oldest.as_str());
    let (status, _) = app.json("/api/designs/atelier/anvil/compare/main").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, branches) = app.json("/api/designs/atelier/anvil/branches").await;
    assert_eq!(branches["branches"][0]["name"], "main");
    assert_eq!(branches["branches"][0]["default"], true);
}

#[tokio::test]
async fn creating_a_design_validates_the_form() {
    let (app, olga) = with_lamp().await;
    let (_, detail) = app.json("/api/designs/olga/lamp").await;
    assert_eq!(detail["manifest_problems"], json!([]));
    assert_eq!(detail["manifest"]["license"], "CERN-OHL-W-2.0");
    assert_eq!(detail["head_commit"]["author"]["account"], "olga");
    let bad = app
        .request(
            Method::POST,
            "/api/designs",
            &As::Cookie(olga.clone()),
            Some(json!({"slug": "Bad Slug", "name": "", "function": "x", "license": "Free beer"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let fields: Vec<String> = bad.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["slug", "name", "license"]);
    let again = app
        .request(
            Method::POST,
            "/api/designs",
            &As::Cookie(olga),
            Some(json!({"slug": "lamp", "name": "Lamp", "function": "x", "license": "MIT"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn commits_are_atomic_and_stale_heads_conflict() {
    let (app, olga) = with_lamp().await;
    let first = head(&app, "olga/lamp").await;
    let made = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/commits",
            &As::Cookie(olga.clone()),
            Some(json!({
                "branch": "main", "expected_head": first, "message": "Add the shade",
                "labor": {"hours": 2.5, "type": "design"},
                "changes": [
                    {"op": "put", "path": "cad/shade.scad", "content": "sphere(40);\n"},
                    {"op": "move", "from": "README.md", "to": "docs/README.md"}
                ]
            })),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let commit = made.json();
    assert_eq!(commit["parents"], json!([first]));
    assert_eq!(commit["author"]["account"], "olga");
    assert_eq!(
        commit["trailers"],
        json!([{"key": "Labor-Hours", "value": "2.5"}, {"key": "Labor-Type", "value": "design"}])
    );
    let second = commit["id"].as_str().unwrap().to_owned();

    // The same edit from a stale page: 409 naming the new head, nothing lost or overwritten.
    let stale = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/commits",
            &As::Cookie(olga.clone()),
            commit_body(
                &first,
                "Mine",
                json!([{"op": "put", "path": "cad/shade.scad", "content": "cube(1);\n"}]),
            ),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let message = stale.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        message,
        format!("branch main has moved: its head is now {second}")
    );
    let shade = app
        .get("/api/designs/olga/lamp/raw/main/cad/shade.scad")
        .await;
    assert_eq!(shade.body, b"sphere(40);\n");

    for (changes, needle) in [
        (
            json!([{"op": "put", "path": "../etc/passwd", "content": "x"}]),
            "segment \"..\"",
        ),
        (
            json!([{"op": "put", "path": "cad/.GIT/hooks", "content": "x"}]),
            "segment \".GIT\"",
        ),
        (
            json!([{"op": "delete", "path": "nope.txt"}]),
            "no such file",
        ),
        (
            json!([{"op": "put", "path": "x.txt"}]),
            "exactly one of content or upload_id",
        ),
        (
            json!([{"op": "put", "path": "x.txt", "upload_id": "nope"}]),
            "unknown, expired or not yours",
        ),
        (json!([]), "at least one change"),
    ] {
        let answer = app
            .request(
                Method::POST,
                "/api/designs/olga/lamp/commits",
                &As::Cookie(olga.clone()),
                commit_body(&second, "x", changes),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{needle}");
        let text = answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.contains(needle), "{text}");
    }
    // NUL and control characters are refused, never a 500.
    for body in [
        json!({"branch": "ma\u{0}in", "expected_head": second, "message": "x", "changes": [{"op": "put", "path": "a.txt", "content": "a"}]}),
        json!({"branch": "main", "expected_head": second, "message": "x\u{0}y", "changes": [{"op": "put", "path": "a.txt", "content": "a"}]}),
        json!({"branch": "main/sub", "expected_head": second, "message": "x", "changes": [{"op": "put", "path": "a.txt", "content": "a"}]}),
    ] {
        let answer = app
            .request(
                Method::POST,
                "/api/designs/olga/lamp/commits",
                &As::Cookie(olga.clone()),
                Some(body.clone()),
            )
            .await;
        assert!(
            answer.status.is_client_error(),
            "{body}: {} {:?}",
            answer.status,
            answer.json()
        );
    }
    let release = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/releases",
            &As::Cookie(olga.clone()),
            Some(json!({"tag": "v\u{0}1"})),
        )
        .await;
    assert_eq!(release.status, StatusCode::BAD_REQUEST);
    let labor = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/commits",
            &As::Cookie(olga),
            Some(json!({"branch": "main", "expected_head": second, "message": "x", "labor": {"hours": -1, "type": "fun"},
                "changes": [{"op": "put", "path": "a.txt", "content": "a"}]})),
        )
        .await;
    assert_eq!(labor.status, StatusCode::BAD_REQUEST);
    assert_eq!(labor.json()["error"]["fields"].as_array().unwrap().len(), 2);
    assert_eq!(head(&app, "olga/lamp").await, second);
}

#[tokio::test]
async fn forks_share_history_but_not_new_commits() {
    let (app, _olga) = with_lamp().await;
    let sam = app.sign_up("sam").await;
    let upstream_head = head(&app, "olga/lamp").await;
    let fork = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/forks",
            &As::Cookie(sam.clone()),
            None,
        )
        .await;
    assert_eq!(fork.status, StatusCode::CREATED, "{:?}", fork.json());
    assert_eq!(fork.json()["id"], "sam/lamp");
    let again = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/forks",
            &As::Cookie(sam.clone()),
            Some(json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let named = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/forks",
            &As::Cookie(sam.clone()),
            Some(json!({"slug": "lamp-tall"})),
        )
        .await;
    assert_eq!(named.status, StatusCode::CREATED);

    let (_, detail) = app.json("/api/designs/sam/lamp").await;
    assert_eq!(
        detail["parent"],
        json!({"id": "olga/lamp", "commit": upstream_head})
    );
    assert_eq!(detail["network_root"], "olga/lamp");
    let (_, forks) = app.json("/api/designs/olga/lamp/forks").await;
    assert_eq!(forks["total"], 2);
    let (_, most_forked) = app.json("/api/designs?sort=forks&per_page=1").await;
    assert_eq!(most_forked["designs"][0]["id"], "olga/lamp");
    assert_eq!(most_forked["designs"][0]["forks"], 2);
    // A bundle downloaded twice puts its design first by downloads.
    let (_, tall) = app.json("/api/designs/sam/lamp-tall").await;
    let bundle = format!(
        "/api/designs/sam/lamp-tall/bundle/{}.zip",
        tall["head"].as_str().unwrap()
    );
    for _ in 0..2 {
        assert_eq!(app.get(&bundle).await.status, StatusCode::OK);
    }
    let (_, most_downloaded) = app.json("/api/designs?sort=downloads&per_page=2").await;
    assert_eq!(
        ids(&most_downloaded)[0],
        "sam/lamp-tall",
        "{most_downloaded}"
    );
    let (status, _) = app.json("/api/designs?sort=stars").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The list filters: forks left out, a license (in any case), a readiness level.
    let (_, all) = app.json("/api/designs?per_page=100").await;
    assert!(ids(&all).contains(&"sam/lamp".to_owned()), "{all}");
    let (_, roots) = app.json("/api/designs?forks=false&per_page=100").await;
    assert!(ids(&roots).contains(&"olga/lamp".to_owned()), "{roots}");
    assert!(
        !ids(&roots).iter().any(|id| id.starts_with("sam/")),
        "{roots}"
    );
    assert_eq!(roots["total"], ids(&roots).len());
    let (_, licensed) = app
        .json("/api/designs?license=cern-ohl-w-2.0&forks=false")
        .await;
    assert_eq!(ids(&licensed), ["olga/lamp"]);
    let (_, none) = app.json("/api/designs?license=MIT").await;
    assert_eq!(none["total"], 0, "{none}");
    let (_, none) = app.json("/api/designs?readiness=OTRL-9").await;
    assert_eq!(none["total"], 0, "{none}");
    let bad = app.get("/api/designs?forks=sometimes").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // A fork of a fork knows its whole ancestry.
    let max = app.sign_up("max").await;
    let grandchild = app
        .request(
            Method::POST,
            "/api/designs/sam/lamp/forks",
            &As::Cookie(max),
            None,
        )
        .await;
    assert_eq!(grandchild.status, StatusCode::CREATED);
    let (_, max_lamp) = app.json("/api/designs/max/lamp").await;
    let chain: Vec<&str> = max_lamp["ancestry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["sam/lamp", "olga/lamp"]);
    let (_, network) = app.json("/api/designs/sam/lamp/network").await;
    assert_eq!(network["id"], "olga/lamp");
    let children: Vec<&str> = network["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["sam/lamp", "sam/lamp-tall"]);
    assert_eq!(network["children"][0]["children"][0]["id"], "max/lamp");
    // Each node carries its name and card picture, at its own head.
    let (_, sams_lamp) = app.json("/api/designs/sam/lamp").await;
    let sams_node = &network["children"][0];
    assert_eq!(sams_node["name"], sams_lamp["name"]);
    assert_eq!(
        sams_node["image_url"].as_str(),
        Some(
            format!(
                "/api/designs/sam/lamp/picture/{}",
                sams_lamp["head"].as_str().unwrap()
            )
            .as_str()
        )
    );

    // Sam may commit to his fork, not upstream.
    let sams = app
        .request(
            Method::POST,
            "/api/designs/sam/lamp/commits",
            &As::Cookie(sam.clone()),
            commit_body(
                &upstream_head,
                "Taller",
                json!([{"op": "put", "path": "tall.txt", "content": "tall\n"}]),
            ),
        )
        .await;
    assert_eq!(sams.status, StatusCode::CREATED);
    let sams = sams.json()["id"].as_str().unwrap().to_owned();
    let upstream = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/commits",
            &As::Cookie(sam),
            commit_body(
                &upstream_head,
                "Sneaky",
                json!([{"op": "put", "path": "x.txt", "content": "x"}]),
            ),
        )
        .await;
    assert_eq!(upstream.status, StatusCode::FORBIDDEN);

    // Sam's commit does not show through the upstream design or the sibling fork.
    for design in ["olga/lamp", "sam/lamp-tall"] {
        for path in [
            format!("commits/{sams}"),
            format!("raw/{sams}/tall.txt"),
            format!("tree/{sams}"),
        ] {
            let (status, _) = app.json(&format!("/api/designs/{design}/{path}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{design}/{path}");
        }
    }
    let (status, _) = app
        .json(&format!("/api/designs/sam/lamp/commits/{sams}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Compare across the network: upstream's main against the fork's main.
    let (status, across) = app
        .json("/api/designs/olga/lamp/compare/main...sam:lamp:main")
        .await;
    assert_eq!(status, StatusCode::OK, "{across}");
    assert_eq!(across["base"], upstream_head.as_str());
    assert_eq!(across["head"], sams.as_str());
    let subjects: Vec<&str> = across["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, [sams.as_str()]);
    // Each side resolves through its own design: the fork's commit is not a revision of the
    // sibling, and a design outside the network is refused.
    let (status, _) = app
        .json(&format!(
            "/api/designs/olga/lamp/compare/main...sam:lamp-tall:{sams}"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, refused) = app
        .json("/api/designs/olga/lamp/compare/main...atelier:anvil:main")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not in the fork network"),
        "{refused}"
    );
    let (status, _) = app
        .json("/api/designs/olga/lamp/compare/main...sam:lamp")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn uploads_stream_in_and_are_committed_by_id() {
    let (app, olga) = with_lamp().await;
    let upload = |bytes: Vec<u8>, cookie: String| {
        let (content_type, body) = multipart("shade.stl", &bytes);
        Request::post("/api/designs/olga/lamp/uploads")
            .header(header::COOKIE, cookie)
            .header(api::CSRF_HEADER, "1")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let stl = b"solid shade\nendsolid shade\n".repeat(1000);
    let answer = app.send(upload(stl.clone(), olga.clone())).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
    let uploaded = answer.json();
    assert_eq!(uploaded["size"], stl.len());
    let head = head(&app, "olga/lamp").await;
    let made = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/commits",
            &As::Cookie(olga.clone()),
            commit_body(
                &head,
                "Add the shade mesh",
                json!([{"op": "put", "path": "cad/shade.stl", "upload_id": uploaded["upload_id"]}]),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let raw = app
        .get("/api/designs/olga/lamp/raw/main/cad/shade.stl")
        .await;
    assert_eq!(raw.body, stl);

    // Over the limit (1 MiB in tests): 413, and nothing to commit.
    let too_big = app
        .send(upload(vec![b'x'; 1024 * 1024 + 1], olga.clone()))
        .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.json()["error"]["code"], "too_large");

    // Someone else's upload id is useless.
    let sam = app.sign_up("sam").await;
    let forbidden = app.send(upload(b"x".to_vec(), sam)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn releases_are_tags_with_notes() {
    let (app, olga) = with_lamp().await;
    let made = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/releases",
            &As::Cookie(olga.clone()),
            Some(json!({"tag": "v1.0.0", "notes": "First **build**, see [the frame](cad/frame.scad).\n\n<script>alert(1)</script>"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    assert_eq!(made.json()["tagger"]["account"], "olga");
    let (_, list) = app.json("/api/designs/olga/lamp/releases").await;
    assert_eq!(list["total"], 1);
    let release = &list["releases"][0];
    assert!(
        release["notes"]
            .as_str()
            .unwrap()
            .starts_with("First **build**")
    );
    // The notes as sanitized Markdown, their paths at the release's commit, in both answers.
    let html = release["notes_html"].as_str().unwrap();
    assert!(html.contains("<strong>build</strong>"), "{html}");
    assert!(
        html.contains(&format!(
            "href=\"/olga/lamp/blob/{}/cad/frame.scad\"",
            release["commit"].as_str().unwrap()
        )),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(made.json()["notes_html"], release["notes_html"]);
    let (status, _) = app.json("/api/designs/olga/lamp/tree/v1.0.0").await;
    assert_eq!(status, StatusCode::OK);
    let dup = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/releases",
            &As::Cookie(olga.clone()),
            Some(json!({"tag": "v1.0.0"})),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad = app
        .request(
            Method::POST,
            "/api/designs/olga/lamp/releases",
            &As::Cookie(olga),
            Some(json!({"tag": "v1..0"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// Every design write × anonymous, stranger, maintainer, owner, admin.
#[tokio::test]
async fn design_write_matrix() {
    let (app, olga) = with_lamp().await;
    app.sign_up("max").await;
    app.sign_up("sam").await;
    let set = app
        .request(
            Method::PUT,
            "/api/designs/olga/lamp/maintainers",
            &As::Cookie(olga),
            Some(json!({"maintainers": ["max"]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    let principals = [
        ("anonymous", None),
        ("stranger", Some("sam")),
        ("maintainer", Some("max")),
        ("owner", Some("olga")),
        ("admin", Some("root-admin")),
    ];
    let mut failures = Vec::new();
    for (role, user) in principals {
        let who = match user {
            None => As::Anonymous,
            Some(user) => As::Cookie(app.sign_in(user).await),
        };
        let name = user.unwrap_or("anon");
        let head = head(&app, "olga/lamp").await;
        let (content_type, body) = multipart("part.stl", b"solid part\n");
        let mut upload = Request::post("/api/designs/olga/lamp/uploads")
            .header(api::CSRF_HEADER, "1")
            .header(header::CONTENT_TYPE, content_type);
        if let As::Cookie(cookie) = &who {
            upload = upload.header(header::COOKIE, cookie);
        }
        let cases: [(&str, u16, common::Answer); 5] = [
            (
                "create design",
                if user.is_none() { 401 } else { 201 },
                app.request(Method::POST, "/api/designs", &who,
                    Some(json!({"slug": format!("new-{name}"), "name": "N", "function": "F", "license": "MIT"}))).await,
            ),
            (
                "commit",
                match role { "anonymous" => 401, "stranger" => 403, _ => 201 },
                app.request(Method::POST, "/api/designs/olga/lamp/commits", &who,
                    commit_body(&head, "x", json!([{"op": "put", "path": format!("{name}.txt"), "content": name}]))).await,
            ),
            (
                "upload",
                match role { "anonymous" => 401, "stranger" => 403, _ => 201 },
                app.send(upload.body(Body::from(body)).unwrap()).await,
            ),
            (
                "release",
                match role { "anonymous" => 401, "stranger" => 403, _ => 201 },
                app.request(Method::POST, "/api/designs/olga/lamp/releases", &who, Some(json!({"tag": format!("v-{name}")}))).await,
            ),
            (
                "fork",
                match role { "anonymous" => 401, "owner" => 409, _ => 201 },
                app.request(Method::POST, "/api/designs/olga/lamp/forks", &who, None).await,
            ),
        ];
        for (endpoint, want, answer) in cases {
            if answer.status.as_u16() != want {
                failures.push(format!(
                    "{endpoint} as {role}: {} (expected {want}) {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_files_stream_from_the_blob_cache_with_ranges_loose_or_packed() {
    let app = TestApp::with(|config| config.max_upload = 16 << 20).await;
    let olga = app.sign_up("olga").await;
    app.create_design(&olga, "hull").await;
    let size = 3 * (1 << 20) + 12_345;
    let bytes = noise(size);
    let uploaded = app.upload(&olga, "olga/hull", "hull.bin", &bytes).await;
    let blob = uploaded["blob"].as_str().unwrap().to_owned();
    let head = head(&app, "olga/hull").await;
    let made = app
        .request(
            Method::POST,
            "/api/designs/olga/hull/commits",
            &As::Cookie(olga.clone()),
            commit_body(
                &head,
                "Add the hull",
                json!([{"op": "put", "path": "cad/hull.bin", "upload_id": uploaded["upload_id"]},
                       {"op": "put", "path": "notes.txt", "content": "lines of text\n".repeat(500)},
                       {"op": "put", "path": "cam/hull.gcode", "content": "G1 X10 Y10\n".repeat(150_000)}]),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let commit = made.json()["id"].as_str().unwrap().to_owned();
    // The commit's files: large ones are sniffed for binary content without being read whole.
    let (_, detail) = app
        .json(&format!("/api/designs/olga/hull/commits/{commit}"))
        .await;
    let binary = |path: &str| {
        detail["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path} in {detail}"))["binary"]
            .clone()
    };
    assert_eq!(binary("cad/hull.bin"), true);
    assert_eq!(binary("cam/hull.gcode"), false);
    let url = format!("/api/designs/olga/hull/raw/{commit}/cad/hull.bin");
    let get = |range: Option<&'static str>| {
        let mut request = Request::get(&url).header(header::ACCEPT_ENCODING, "gzip, br");
        if let Some(range) = range {
            request = request.header(header::RANGE, range);
        }
        app.send(request.body(Body::empty()).unwrap())
    };

    // A HEAD answers from the object's header, extracting nothing.
    let head_only = app
        .send(Request::head(&url).body(Body::empty()).unwrap())
        .await;
    assert_eq!(head_only.status, StatusCode::OK);
    assert_eq!(head_only.headers[header::CONTENT_LENGTH], size.to_string());
    assert!(!app.dir.path().join("data/blob-cache").join(&blob).exists());

    // Several readers at once, while the blob is first extracted: each gets every byte, as is.
    let answers = futures_util::future::join_all((0..4).map(|_| get(None))).await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers[header::CONTENT_LENGTH], size.to_string());
        assert!(answer.headers.get(header::CONTENT_ENCODING).is_none());
        assert_eq!(answer.headers[header::ETAG], format!("\"{blob}\""));
        assert!(answer.body == bytes, "a reader got other bytes");
    }
    let cached = app.dir.path().join("data/blob-cache").join(&blob);
    assert_eq!(std::fs::metadata(&cached).unwrap().len(), size as u64);

    // Ranges, anywhere in the file.
    let middle = get(Some("bytes=2000000-2000099")).await;
    assert_eq!(middle.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        middle.headers[header::CONTENT_RANGE],
        format!("bytes 2000000-2000099/{size}")
    );
    assert_eq!(middle.body, &bytes[2_000_000..2_000_100]);
    let last = get(Some("bytes=-10")).await;
    assert_eq!(last.body, &bytes[size - 10..]);
    let beyond = get(Some(Box::leak(format!("bytes={size}-").into_boxed_str()))).await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
    // A range in another unit, or of several parts, is ignored: the whole file.
    for ignored in ["items=0-9", "bytes=0-9,20-29"] {
        let whole = get(Some(ignored)).await;
        assert_eq!(whole.status, StatusCode::OK, "{ignored}");
        assert_eq!(whole.body.len(), size, "{ignored}");
    }
    // `If-Range` naming another version: the whole (current) file, never a spliced one.
    let stale = app
        .send(
            Request::get(&url)
                .header(header::RANGE, "bytes=0-9")
                .header(
                    header::IF_RANGE,
                    "\"0000000000000000000000000000000000000000\"",
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(stale.body.len(), size);
    let fresh = app
        .send(
            Request::get(&url)
                .header(header::RANGE, "bytes=0-9")
                .header(header::IF_RANGE, format!("\"{blob}\""))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(fresh.body, &bytes[..10]);

    // Packed by the stock git (its loose copy gone), and with the cache gone: the blob is
    // extracted again, from the pack.
    std::fs::remove_file(&cached).unwrap();
    let mut loose_removed = 0;
    for pool in std::fs::read_dir(app.dir.path().join("data/store/networks")).unwrap() {
        let pool = pool.unwrap().path();
        let loose = pool.join("objects").join(&blob[..2]).join(&blob[2..]);
        if !loose.exists() {
            continue;
        }
        let repacked = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&pool)
            .args(["repack", "-a", "-q"])
            .output()
            .unwrap();
        assert!(
            repacked.status.success(),
            "{}: {}",
            pool.display(),
            String::from_utf8_lossy(&repacked.stderr)
        );
        std::fs::remove_file(loose).unwrap();
        loose_removed += 1;
    }
    assert_eq!(loose_removed, 1);
    let repacked = get(Some("bytes=3000000-3000009")).await;
    assert_eq!(repacked.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(repacked.body, &bytes[3_000_000..3_000_010]);
    assert!(get(None).await.body == bytes);

    // A README too large to read whole: the detail leaves it out, rendering it is a 413, and
    // it still downloads.
    let readme = "A line of a very long README.\n".repeat(320_000);
    let uploaded = app
        .upload(&olga, "olga/hull", "README.md", readme.as_bytes())
        .await;
    let head_now = self::head(&app, "olga/hull").await;
    let made_readme = app
        .request(
            Method::POST,
            "/api/designs/olga/hull/commits",
            &As::Cookie(olga.clone()),
            commit_body(
                &head_now,
                "A long README",
                json!([{"op": "put", "path": "README.md", "upload_id": uploaded["upload_id"]}]),
            ),
        )
        .await;
    assert_eq!(
        made_readme.status,
        StatusCode::CREATED,
        "{:?}",
        made_readme.json()
    );
    let (status, detail) = app.json("/api/designs/olga/hull").await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["readme_html"], Value::Null, "{detail}");
    let (status, rendered) = app
        .json("/api/designs/olga/hull/rendered/main/README.md")
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{rendered}");
    assert_eq!(rendered["error"]["code"], "too_large");
    let raw = app.get("/api/designs/olga/hull/raw/main/README.md").await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.body.len(), readme.len());

    // Text is still compressed on the fly; it is small.
    let text = app
        .send(
            Request::get(format!("/api/designs/olga/hull/raw/{commit}/notes.txt"))
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(text.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn the_list_filters_by_owner_license_and_readiness_together() {
    let designs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs");
    let samples = std::fs::read_dir(&designs)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    let app = TestApp::with(|config| config.designs = designs).await;
    // The samples: two at OTRL-7, and of those one under CERN-OHL-S-2.0.
    let (_, seven) = app.json("/api/designs?readiness=otrl-7&sort=name").await;
    assert_eq!(
        ids(&seven),
        ["atelier/gravity-water-filter", "atelier/small-wind-turbine"],
        "{seven}"
    );
    let (_, all_three) = app
        .json("/api/designs?owner=atelier&license=CERN-OHL-S-2.0&readiness=OTRL-7&forks=false&per_page=1")
        .await;
    assert_eq!(
        ids(&all_three),
        ["atelier/small-wind-turbine"],
        "{all_three}"
    );
    assert_eq!(all_three["total"], 1);
    // Empty values filter nothing.
    let (_, unfiltered) = app.json("/api/designs?owner=&license=&readiness=").await;
    assert_eq!(unfiltered["total"], samples, "{unfiltered}");
}
