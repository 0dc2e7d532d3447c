//! HTTP API tests: the real router (`backend::http::app`) driven in-process with `oneshot`,
//! over a temporary data directory imported from a small sample folder.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use backend::{App, AppState, Config};

struct TestApp {
    state: AppState,
    _dir: tempfile::TempDir,
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

impl TestApp {
    /// Three samples: two with manifests (one written later), one with a broken manifest.
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let designs = dir.path().join("designs");
        for (slug, name, date) in [
            ("anvil", "Anvil", "2024-02-01T00:00:00Z"),
            ("bench", "bench grinder", "2024-03-01T00:00:00Z"),
        ] {
            write(
                &designs.join(slug),
                "okh.toml",
                &format!(
                    "name = \"{name}\"\nfunction = \"Makes {slug}s\"\nlicense = \"CERN-OHL-S-2.0\"\n"
                ),
            );
            write(
                &designs.join(slug),
                "history.toml",
                &format!(
                    "[[commit]]\nauthor = \"Ada <ada@example.org>\"\ndate = {date}\nmessage = \"Start\"\n"
                ),
            );
        }
        write(&designs.join("broken"), "okh.toml", "name = \n");
        let dist = dir.path().join("dist");
        write(&dist, "index.html", "<!doctype html><title>Atelier</title>");
        write(&dist, "assets/app-0123abcd.js", "console.log(1)");
        let config = Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            data: dir.path().join("data"),
            dist,
            designs,
        };
        let state = App::open(config).await.unwrap();
        Self { state, _dir: dir }
    }

    async fn get(&self, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = backend::http::app(self.state.clone())
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body.to_vec())
    }

    async fn json(&self, uri: &str) -> (StatusCode, Value) {
        let (status, headers, body) = self.get(uri).await;
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/json",
            "{uri} answered {status} with {:?}",
            String::from_utf8_lossy(&body)
        );
        (status, serde_json::from_slice(&body).unwrap())
    }
}

#[tokio::test]
async fn health_counts_designs() {
    let app = TestApp::new().await;
    let (status, body) = app.json("/api/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["designs"], 3);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn designs_are_listed_newest_first_with_paging() {
    let app = TestApp::new().await;
    let (status, body) = app.json("/api/designs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 3);
    assert_eq!(body["page"], 1);
    assert_eq!(body["per_page"], 30);
    let ids: Vec<&str> = body["designs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    // "broken" has no history: it is dated 2024-01-01, the oldest.
    assert_eq!(ids, ["atelier/bench", "atelier/anvil", "atelier/broken"]);
    let bench = &body["designs"][0];
    assert_eq!(bench["name"], "bench grinder");
    assert_eq!(bench["function"], "Makes benchs");
    assert_eq!(bench["license"], "CERN-OHL-S-2.0");
    assert_eq!(bench["updated"], "2024-03-01T00:00:00Z");
    assert_eq!(bench["head"].as_str().unwrap().len(), 40);

    let (_, page2) = app.json("/api/designs?sort=name&per_page=2&page=2").await;
    assert_eq!(page2["total"], 3);
    assert_eq!(page2["designs"].as_array().unwrap().len(), 1);
    assert_eq!(page2["designs"][0]["id"], "atelier/broken");
}

#[tokio::test]
async fn a_broken_manifest_keeps_the_design_listed_with_its_error() {
    let app = TestApp::new().await;
    let (status, body) = app.json("/api/designs/atelier/broken").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "broken");
    let error = body["manifest_error"].as_str().unwrap();
    assert!(error.starts_with("okh.toml line 1:"), "{error}");
}

#[tokio::test]
async fn bad_requests_are_json_errors_naming_the_bad_part() {
    let app = TestApp::new().await;
    let (status, body) = app.json("/api/designs?per_page=lots").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("per_page")
    );

    let (status, body) = app.json("/api/designs?sort=stars").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("sort"));

    let (status, body) = app.json("/api/designs?page=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["message"], "page starts at 1");

    let (status, body) = app.json("/api/designs/Atelier/anvil").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("owner \"Atelier\"")
    );
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s_not_the_spa() {
    let app = TestApp::new().await;
    for uri in [
        "/api/nope",
        "/api/designs/atelier/anvil/nope/deeper",
        "/api/",
        "/api",
    ] {
        let (status, body) = app.json(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(body["error"]["code"], "not_found", "{uri}");
    }
    let (status, body) = app.json("/api/designs/atelier/missing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["message"], "design atelier/missing not found");
}

#[tokio::test]
async fn spa_routes_get_index_html_uncached_and_assets_are_immutable() {
    let app = TestApp::new().await;
    let (status, headers, body) = app.get("/atelier/anvil").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("<title>Atelier</title>")
    );
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    let (status, headers, _) = app.get("/assets/app-0123abcd.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );

    let (status, headers, _) = app.get("/assets/missing-0123abcd.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers.get(header::CACHE_CONTROL).is_none());
}

#[tokio::test]
async fn a_second_start_does_not_import_again() {
    let app = TestApp::new().await;
    let config = app.state.config.clone();
    std::fs::remove_dir_all(&config.designs).unwrap();
    let again = App::open(config).await.unwrap();
    assert_eq!(again.store.ids().unwrap().len(), 3);
}
