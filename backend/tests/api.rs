//! HTTP API tests: the real router (`backend::http::app`) driven in-process with `oneshot`,
//! over a temporary data directory imported from a small sample folder.

mod common;

use axum::http::{Method, StatusCode, header};

use common::{As, TestApp};

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
    let common::Answer {
        status,
        headers,
        body,
    } = app.get("/atelier/anvil").await;
    assert_eq!(status, StatusCode::OK);
    // A design's page carries its own title and link-preview tags.
    let html = String::from_utf8(body).unwrap();
    assert!(
        html.contains("<title>Anvil · atelier · Atelier</title>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<meta property="og:title" content="Anvil">"#),
        "{html}"
    );
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    // Every page of the app answers 200; what is no page, or names nothing, answers 404 (with
    // the app, which says so).
    for (path, expected) in [
        ("/", StatusCode::OK),
        ("/search?q=m8", StatusCode::OK),
        ("/atelier/anvil/blob/main/cad/body.scad", StatusCode::OK),
        ("/@atelier", StatusCode::OK),
        ("/atelier/missing", StatusCode::NOT_FOUND),
        ("/atelier/anvil/no-such-tab", StatusCode::NOT_FOUND),
        ("/@nobody-here", StatusCode::NOT_FOUND),
        ("/a/b/c/d/e", StatusCode::NOT_FOUND),
    ] {
        let answer = app.get(path).await;
        assert_eq!(answer.status, expected, "{path}");
        assert!(
            String::from_utf8_lossy(&answer.body).contains("<title>"),
            "{path}"
        );
    }
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(
        headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("script-src 'self' 'wasm-unsafe-eval'")
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    let asset = app.get("/assets/app-0123abcd.js").await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(
        asset.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );

    let missing = app.get("/assets/missing-0123abcd.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers.get(header::CACHE_CONTROL).is_none());
}

#[tokio::test]
async fn a_second_start_does_not_import_again() {
    let app = TestApp::new().await;
    let config = app.state.config.clone();
    std::fs::remove_dir_all(&config.designs).unwrap();
    // What the next start does with the same data directory (the running app keeps the search
    // index locked, so only the store is reopened).
    let store =
        backend::server::open_store(&config.data, &config.designs, Default::default()).unwrap();
    assert_eq!(store.ids().unwrap().len(), 3);
}

#[tokio::test]
async fn wrong_methods_and_oversized_bodies_answer_json() {
    let app = TestApp::new().await;
    let wrong = app
        .request(Method::DELETE, "/api/health", &As::Anonymous, None)
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.json()["error"]["code"], "not_allowed");
    assert!(
        wrong.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("DELETE")
    );
    let cookie = app.sign_up("ada").await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let big = app
        .request(
            Method::POST,
            "/api/designs",
            &As::Cookie(cookie),
            Some(
                serde_json::json!({"slug": "big", "name": huge, "function": "x", "license": "MIT"}),
            ),
        )
        .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(big.json()["error"]["code"], "too_large");
}

#[tokio::test]
async fn every_list_pages_the_same_way() {
    let app = TestApp::new().await;
    for list in [
        "/api/designs",
        "/api/designs/atelier/anvil/commits",
        "/api/designs/atelier/anvil/proposals",
        "/api/search?q=anvil",
    ] {
        let join = if list.contains('?') { '&' } else { '?' };
        for bad in ["page=0", "per_page=0"] {
            let (status, body) = app.json(&format!("{list}{join}{bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{list} {bad}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(bad.split('=').next().unwrap()),
                "{list} {bad}: {body}"
            );
        }
        let (status, body) = app.json(&format!("{list}{join}per_page=1000")).await;
        assert_eq!(status, StatusCode::OK, "{list}: {body}");
        assert_eq!(body["per_page"], 100, "{list}: capped");
    }
}

#[tokio::test]
async fn echoed_fields_are_cut_in_error_messages() {
    let app = TestApp::new().await;
    let huge = "x".repeat(7_000);
    let (status, body) = app.json(&format!("/api/accounts/{huge}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.len() <= backend::http::MAX_MESSAGE + 4,
        "{}",
        message.len()
    );
    assert!(message.ends_with('…'), "{message}");
}
