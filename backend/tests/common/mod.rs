//! Shared fixture of the backend's HTTP tests: the real router (`backend::http::app`) over a
//! temporary data directory, driven in-process with `oneshot`.

#![allow(dead_code)] // Each test binary uses a different part.

use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use backend::{App, AppState, Config};

pub struct TestApp {
    pub state: AppState,
    pub dir: tempfile::TempDir,
}

pub fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A response, its body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "{} with a body that is not JSON: {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The `name=value` part of the session cookie this response sets.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("atelier_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum As {
    Anonymous,
    /// A session cookie (`name=value`); the CSRF header is sent on writes.
    Cookie(String),
    /// A session cookie without the CSRF header.
    CookieNoCsrf(String),
    Bearer(String),
}

impl TestApp {
    /// Three samples: two with manifests (one written later), one with a broken manifest.
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(configure: impl FnOnce(&mut Config)) -> Self {
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
                    "[[commit]]\nauthor = \"Ada <ada@example.org>\"\ndate = {date}\nmessage = \"Start\"\nfiles = [\"okh.toml\"]\n\n\
                     [[commit]]\nauthor = \"Grace Hopper <Grace.Hopper@Navy.example>\"\ndate = {date}\nmessage = \"More\"\n"
                ),
            );
        }
        write(&designs.join("broken"), "okh.toml", "name = \n");
        // anvil: a complete OKH-LOSH manifest, a README with relative references, a BOM.
        let anvil = designs.join("anvil");
        write(
            &anvil,
            "okh.toml",
            "okhv = \"OKH-LOSHv1.0\"\nname = \"Anvil\"\nversion = \"1.0.0\"\nlicense = \"CERN-OHL-S-2.0\"\n\
             licensor = \"Ada\"\nfunction = \"Makes anvils\"\nreadme = \"README.md\"\nbom = \"bom.csv\"\n\
             image = [\"images/anvil.svg\"]\n\n[[part]]\nname = \"Body\"\nsource = \"cad/body.scad\"\nmaterial = \"steel\"\n",
        );
        write(
            &anvil,
            "README.md",
            "# Anvil\n\n![drawing](images/anvil.svg)\n\nSee [the body](cad/body.scad).\n\n<script>alert(1)</script>\n",
        );
        write(
            &anvil,
            "bom.csv",
            "Name,Quantity,Unit,Part Number\nHex bolt M8x40,4,pcs,ISO 4017 M8x40\nSteel block,1 or 2,pcs,\n",
        );
        write(&anvil, "cad/body.scad", "cube([100, 40, 60]);\n");
        write(
            &anvil,
            "images/anvil.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script></svg>\n",
        );
        let dist = dir.path().join("dist");
        write(&dist, "index.html", "<!doctype html><title>Atelier</title>");
        write(&dist, "assets/app-0123abcd.js", "console.log(1)");
        let mut config = Config {
            addr: "127.0.0.1:0".parse().unwrap(),
            data: dir.path().join("data"),
            dist,
            designs,
            public_url: None,
            database: backend::db::test_database().await,
            max_upload: 1024 * 1024,
            max_push: 4 << 30,
            hook_program: Some(env!("CARGO_BIN_EXE_atelier").into()),
            allow_import_from: Vec::new(),
            import_ca_file: None,
            image_proxy: true,
            image_proxy_allow_private: false,
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
        };
        configure(&mut config);
        let state = App::open(config).await.unwrap();
        Self { state, dir }
    }

    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        who: &As,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method.clone()).uri(uri);
        match who {
            As::Anonymous => {
                if method != Method::GET {
                    request = request.header(api::CSRF_HEADER, "1");
                }
            }
            As::Cookie(cookie) => {
                request = request.header(header::COOKIE, cookie);
                if method != Method::GET {
                    request = request.header(api::CSRF_HEADER, "1");
                }
            }
            As::CookieNoCsrf(cookie) => request = request.header(header::COOKIE, cookie),
            As::Bearer(token) => {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = backend::http::app(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.request(Method::GET, uri, &As::Anonymous, None).await
    }

    /// GET as anonymous, asserting a JSON answer.
    pub async fn json(&self, uri: &str) -> (StatusCode, Value) {
        let answer = self.get(uri).await;
        assert_eq!(
            answer.headers[header::CONTENT_TYPE],
            "application/json",
            "{uri} answered {} with {:?}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
        (answer.status, answer.json())
    }

    /// Signs up and returns the session cookie.
    pub async fn sign_up(&self, username: &str) -> String {
        let answer = self
            .request(
                Method::POST,
                "/api/accounts",
                &As::Anonymous,
                Some(serde_json::json!({
                    "username": username,
                    "email": format!("{username}@example.org"),
                    "password": password(username),
                })),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
        answer
            .session_cookie()
            .expect("sign-up sets the session cookie")
    }

    /// Signs in (a new session) and returns the cookie.
    pub async fn sign_in(&self, username: &str) -> String {
        let answer = self
            .request(
                Method::POST,
                "/api/session",
                &As::Anonymous,
                Some(serde_json::json!({"username": username, "password": password(username)})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
        answer
            .session_cookie()
            .expect("sign-in sets the session cookie")
    }

    /// Creates a token with `scopes` for the signed-in `cookie` and returns its secret.
    pub async fn token(&self, cookie: &str, scopes: &[&str]) -> String {
        let answer = self
            .request(
                Method::POST,
                "/api/tokens",
                &As::Cookie(cookie.to_owned()),
                Some(serde_json::json!({"name": "test", "scopes": scopes})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
        answer.json()["secret"].as_str().unwrap().to_owned()
    }
}

impl TestApp {
    /// Creates `slug` for the signed-in `cookie` (MIT, placeholder name and function, the
    /// starter README).
    pub async fn create_design(&self, cookie: &str, slug: &str) {
        let created = self
            .request(
                Method::POST,
                "/api/designs",
                &As::Cookie(cookie.to_owned()),
                Some(serde_json::json!({"slug": slug, "name": slug, "function": "Tests", "license": "MIT", "readme": true})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json());
    }

    /// Commits `changes` (the API's change list) on `design`'s default branch at its current
    /// head as `cookie`, and requires 201.
    pub async fn commit_changes(&self, cookie: &str, design: &str, message: &str, changes: Value) {
        let (_, detail) = self.json(&format!("/api/designs/{design}")).await;
        let (head, branch) = (detail["head"].clone(), detail["default_branch"].clone());
        let committed = self
            .request(
                Method::POST,
                &format!("/api/designs/{design}/commits"),
                &As::Cookie(cookie.to_owned()),
                Some(serde_json::json!({"branch": branch, "expected_head": head,
                    "message": message, "changes": changes})),
            )
            .await;
        assert_eq!(
            committed.status,
            StatusCode::CREATED,
            "{:?}",
            committed.json()
        );
    }

    /// Uploads `bytes` as file `name` to `design` (`owner/slug`) for `cookie`; the answer
    /// (`upload_id`, `size`, `blob`).
    pub async fn upload(&self, cookie: &str, design: &str, name: &str, bytes: &[u8]) -> Value {
        let (content_type, body) = multipart(name, bytes);
        let uploaded = self
            .send(
                Request::post(format!("/api/designs/{design}/uploads"))
                    .header(header::COOKIE, cookie)
                    .header(api::CSRF_HEADER, "1")
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            uploaded.status,
            StatusCode::CREATED,
            "{:?}",
            uploaded.json()
        );
        uploaded.json()
    }
}

/// A `multipart/form-data` body holding one file: its content type and bytes.
pub fn multipart(name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    form(&[], "file", name, bytes)
}

/// A `multipart/form-data` body: the text `fields` first, then one file in `file_field`.
pub fn form(
    fields: &[(&str, &str)],
    file_field: &str,
    name: &str,
    bytes: &[u8],
) -> (String, Vec<u8>) {
    form_of(fields, Some((file_field, name, bytes)))
}

/// A `multipart/form-data` body of text fields only.
pub fn fields_form(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    form_of(fields, None)
}

fn form_of(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "atelier-test-boundary";
    let mut body = Vec::new();
    for (field, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_field, name, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Pseudo-random, incompressible bytes (xorshift, reproducible).
pub fn noise(len: usize) -> Vec<u8> {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// The password every test account uses.
pub fn password(username: &str) -> String {
    format!("{username}-long-password")
}
