//! Serves the built single-page app: hashed files under `/assets/` with a one-year immutable
//! cache, and `index.html` (no-cache, strict CSP) for every other path so client routes work.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, Response, header};
use tower::ServiceBuilder;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::server::AppState;

/// Files under `/assets/` carry a content hash in their name, so they never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The SPA loads only its own script, wasm and styles.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub fn router(dist: &Path) -> Router<AppState> {
    let assets = ServiceBuilder::new()
        // Only successful answers are immutable: a 404 must not be cached for a year.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            |res: &Response<_>| {
                res.status()
                    .is_success()
                    .then_some(HeaderValue::from_static(IMMUTABLE))
            },
        ))
        .service(ServeDir::new(dist.join("assets")));
    let index = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .service(ServeFile::new(dist.join("index.html")));
    Router::new()
        .nest_service("/assets", assets)
        .fallback_service(index)
}
