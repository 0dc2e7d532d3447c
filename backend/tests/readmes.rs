//! READMEs rendered as GitHub renders them, through the API: raw HTML paths into the design,
//! and external images through the signed image proxy, against a real image host on a local
//! port (an axum server in the test).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use common::TestApp;

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="90" height="20"><rect width="90" height="20" fill="#1f6f5c"/></svg>"##;

/// An image host on 127.0.0.1: `/badge.svg`, `/page.html` (not an image), `/big.png` (over
/// the cap), `/moved` (a redirect to the badge); counts the requests it answers.
async fn image_host() -> (u16, Arc<AtomicUsize>) {
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new()
        .route(
            "/badge.svg",
            get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], SVG).into_response() }),
        )
        .route(
            "/page.html",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<p>hi</p>").into_response() }),
        )
        .route(
            "/big.png",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "image/png")],
                    vec![0u8; (backend::images::MAX_IMAGE + 1) as usize],
                )
                    .into_response()
            }),
        )
        .route(
            "/moved",
            get(|| async { Redirect::temporary("/badge.svg") }),
        )
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let hits = counted.clone();
                async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    next.run(request).await
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, hits)
}

/// Commits `readme` as the README of a new design `ada/lamp`; the rendered README.
async fn readme_of(app: &TestApp, readme: &str) -> String {
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    app.commit_changes(
        &ada,
        "ada/lamp",
        "README",
        json!([
            {"op": "put", "path": "README.md", "content": readme},
            {"op": "put", "path": "docs/photo.png", "content": "png"},
        ]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/lamp").await;
    detail["readme_html"].as_str().unwrap().to_owned()
}

/// The `src` of every proxied image in `html`, in order.
fn proxied(html: &str) -> Vec<String> {
    html.split("src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|src| src.starts_with(backend::images::PATH))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn external_readme_images_come_through_the_signed_proxy() {
    let (port, hits) = image_host().await;
    let app = TestApp::with(|config| config.image_proxy_allow_private = true).await;
    let host = format!("http://127.0.0.1:{port}");
    let html = readme_of(
        &app,
        &format!(
            "# Lamp\n\n![build]({host}/badge.svg)\n\n<img src=\"{host}/page.html\" alt=\"page\">\n\n\
             <p align=\"center\"><img src=\"docs/photo.png\" alt=\"photo\"></p>\n\n\
             ![big]({host}/big.png) ![moved]({host}/moved) ![tls](https://127.0.0.1:{port}/badge.svg)\n"
        ),
    )
    .await;
    assert!(html.contains(r#"<p align="center">"#), "{html}");
    assert!(html.contains("/raw/"), "{html}");
    let urls = proxied(&html);
    assert_eq!(urls.len(), 5, "{html}");
    assert!(
        !html.contains(&host),
        "no image is fetched by the browser: {html}"
    );

    let badge = app.get(&urls[0]).await;
    assert_eq!(badge.status, StatusCode::OK);
    assert_eq!(badge.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(
        badge.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(badge.body, SVG.as_bytes());
    let fetched = hits.load(Ordering::SeqCst);
    assert_eq!(app.get(&urls[0]).await.status, StatusCode::OK);
    assert_eq!(hits.load(Ordering::SeqCst), fetched, "the second is cached");

    let page = app.get(&urls[1]).await;
    assert_eq!(page.status, StatusCode::BAD_GATEWAY);
    assert!(page.json().to_string().contains("text/html, not an image"));
    let big = app.get(&urls[2]).await;
    assert_eq!(big.status, StatusCode::BAD_GATEWAY);
    assert!(big.json().to_string().contains("larger than"));
    let moved = app.get(&urls[3]).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.headers);
    assert_eq!(moved.body, SVG.as_bytes());
    // https goes through native-tls: this host speaks plain HTTP, so the handshake fails,
    // and that is a 502 naming it, not a crash.
    let tls = app.get(&urls[4]).await;
    assert_eq!(
        tls.status,
        StatusCode::BAD_GATEWAY,
        "{:?}",
        String::from_utf8_lossy(&tls.body)
    );
    assert!(tls.json().to_string().contains("could not be reached"));

    // Only what this instance signed is fetched.
    let (signature, encoded) = urls[0]
        .strip_prefix(backend::images::PATH)
        .unwrap()
        .split_once('/')
        .unwrap();
    let other = urls[1].rsplit('/').next().unwrap();
    for forged in [
        format!("{}{signature}/{other}", backend::images::PATH),
        format!("{}AAAA/{encoded}", backend::images::PATH),
    ] {
        let refused = app.get(&forged).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{forged}");
        assert!(refused.json().to_string().contains("not signed"));
    }
}

#[tokio::test]
async fn the_proxy_refuses_private_addresses_and_can_be_turned_off() {
    let (port, hits) = image_host().await;
    let readme = format!(
        "[![build](http://127.0.0.1:{port}/badge.svg)](https://ci.example.org) ![photo](http://127.0.0.1:{port}/badge.svg)\n"
    );
    // By default, loopback and private addresses are refused, whatever the signature.
    let app = TestApp::new().await;
    let html = readme_of(&app, &readme).await;
    let urls = proxied(&html);
    assert_eq!(urls.len(), 2, "{html}");
    let refused = app.get(&urls[0]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.json().to_string().contains("private"));
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    // Turned off: no proxied images; each shows its alt text, as a link to the image (or as
    // the text of the link it is in).
    let app = TestApp::with(|config| config.image_proxy = false).await;
    let html = readme_of(&app, &readme).await;
    assert!(proxied(&html).is_empty(), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains(r#"<a href="https://ci.example.org" rel="noopener noreferrer">build</a>"#),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"<a href="http://127.0.0.1:{port}/badge.svg" rel="noopener noreferrer">photo</a>"#
        )),
        "{html}"
    );
    let off = app.get(&urls[0]).await;
    assert_eq!(off.status, StatusCode::NOT_FOUND);
    let message: Value = off.json();
    assert!(message.to_string().contains("does not fetch images"));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_proxy_refuses_loops_and_odd_types_and_is_busy_rather_than_stalled() {
    use axum::response::IntoResponse;
    use axum::routing::get;
    // A host whose `/slow/…` images wait for the test's word; counts who is waiting.
    let waiting = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let slow = {
        let (waiting, gate) = (waiting.clone(), gate.clone());
        move || {
            let (waiting, gate) = (waiting.clone(), gate.clone());
            async move {
                waiting.fetch_add(1, Ordering::SeqCst);
                let _ = gate.acquire().await;
                ([(header::CONTENT_TYPE, "image/svg+xml")], SVG).into_response()
            }
        }
    };
    let host = axum::Router::new().route("/slow/{n}", get(slow)).route(
        "/odd.img",
        get(|| async { ([(header::CONTENT_TYPE, "image/x-made-up")], "??").into_response() }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, host).await });

    let app = Arc::new(TestApp::with(|config| config.image_proxy_allow_private = true).await);
    let at = format!("http://127.0.0.1:{port}");
    let html = readme_of(
        &app,
        &format!(
            "![a]({at}/slow/1.svg) ![b]({at}/slow/2.svg) ![c]({at}/slow/3.svg) \
             ![odd]({at}/odd.img) ![loop]({at}/api/images/abc/def)\n"
        ),
    )
    .await;
    let urls = proxied(&html);
    assert_eq!(urls.len(), 5, "{html}");

    // Only the common image types are shown, and the answer is never sniffed.
    let odd = app.get(&urls[3]).await;
    assert_eq!(odd.status, StatusCode::BAD_GATEWAY);
    assert!(
        odd.json()
            .to_string()
            .contains("image/x-made-up, not an image")
    );
    // A proxy address (of any instance) is not fetched again, nor is a proxy served.
    let looped = app.get(&urls[4]).await;
    assert_eq!(looped.status, StatusCode::BAD_REQUEST);
    assert!(looped.json().to_string().contains("would loop"));
    let from_a_proxy = app
        .send(
            axum::http::Request::get(&urls[0])
                .header(header::USER_AGENT, backend::images::USER_AGENT)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(from_a_proxy.status, StatusCode::BAD_REQUEST);
    assert_eq!(waiting.load(Ordering::SeqCst), 0);

    // Two fetches from one slow host take its share; a third is told to come back, at once.
    let first = tokio::spawn({
        let (app, url) = (app.clone(), urls[0].clone());
        async move { app.get(&url).await }
    });
    let second = tokio::spawn({
        let (app, url) = (app.clone(), urls[1].clone());
        async move { app.get(&url).await }
    });
    while waiting.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let third = app.get(&urls[2]).await;
    assert_eq!(third.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(third.headers.contains_key(header::RETRY_AFTER));
    assert!(third.json().to_string().contains("busy with 127.0.0.1"));
    gate.add_permits(3);
    for fetch in [first, second] {
        let image = fetch.await.unwrap();
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
    // Its slots are given back: the third comes through now.
    assert_eq!(app.get(&urls[2]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn markdown_previews_render_as_the_design_would_show_them() {
    let app = TestApp::new().await;
    let preview = |body: Value| {
        let app = &app;
        async move {
            app.request(
                axum::http::Method::POST,
                "/api/markdown",
                &common::As::Anonymous,
                Some(body),
            )
            .await
        }
    };
    let rendered = preview(json!({
        "text": "# Build\n\nSee [the frame](frame.scad) and ![side](side.png).\n\n<script>alert(1)</script>",
        "context": "atelier/anvil",
        "path": "docs/build.md",
    }))
    .await;
    assert_eq!(rendered.status, StatusCode::OK);
    assert_eq!(
        rendered.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = String::from_utf8(rendered.body).unwrap();
    assert!(html.contains("<h1"), "{html}");
    assert!(
        html.contains(r#"href="/atelier/anvil/blob/main/docs/frame.scad""#),
        "{html}"
    );
    assert!(
        html.contains(r#"src="/api/designs/atelier/anvil/raw/main/docs/side.png""#),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");

    let unknown = preview(json!({"text": "x", "context": "atelier/none"})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = preview(json!({"text": "x", "context": "not an id"})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("context")
    );
    let huge = preview(json!({"text": "x".repeat((1 << 20) + 1)})).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
}
