//! Secrets never reach the log: every request that carries a password, a session cookie or a
//! token is made with the most verbose log level captured, and the log is searched for them.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use serde_json::json;

use common::{As, TestApp, password};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_tokens_and_session_ids_never_appear_in_logs() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let app = TestApp::new().await;
    let cookie = app.sign_up("ada").await;
    let again = app.sign_in("ada").await;
    let wrong = app
        .request(
            Method::POST,
            "/api/session",
            &As::Anonymous,
            Some(json!({"username": "ada", "password": "a-wrong-password-1"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let token = app.token(&cookie, &["designs:write"]).await;
    let me = app
        .request(
            Method::GET,
            "/api/session",
            &As::Bearer(token.clone()),
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    let changed = app
        .request(
            Method::PUT,
            "/api/account/password",
            &As::Cookie(again.clone()),
            Some(
                json!({"current_password": password("ada"), "new_password": "brand-new-secret-99"}),
            ),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);

    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("account created"),
        "the log was not captured:\n{log}"
    );
    assert!(log.contains("API token created"), "{log}");
    for secret in [
        password("ada").as_str(),
        "a-wrong-password-1",
        "brand-new-secret-99",
        token.as_str(),
        &token[4..],
        cookie.trim_start_matches("atelier_session="),
        again.trim_start_matches("atelier_session="),
    ] {
        assert!(
            !log.contains(secret),
            "the log contains the secret {secret:?}"
        );
    }
}
