//! The HTTP layer: one route table ([`app`]) used by `main` and by every test.
//!
//! Invariant: handlers translate between the wire types of `api` and the store or accounts;
//! they hold no business logic and never touch git directly. Blocking work goes through
//! [`blocking`]. Every `/api` request passes [`auth::authenticate`] first.

mod accounts;
pub mod auth;
pub mod body;
mod browse;
mod bundles;
mod designs;
mod edit;
mod error;
mod events;
mod extract;
mod gate;
pub mod git;
mod health;
mod images;
mod labor;
mod markdown;
mod models;
mod proposals;
mod search;
mod sets;
mod spa;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::any;
use tower_http::compression::predicate::Predicate as _;
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use bundles::url as bundle_url;
pub use error::{AppError, AppResult, MAX_MESSAGE};

pub use crate::format::{percent_encode, rfc3339};

use crate::server::AppState;
use crate::work;

/// The whole application: the JSON API under `/api`, the single-page app everywhere else.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(accounts::router())
        .merge(designs::router())
        .merge(browse::router())
        .merge(bundles::router())
        .merge(edit::router())
        .merge(search::router())
        .merge(images::router())
        .merge(labor::router())
        .merge(markdown::router())
        .merge(models::router())
        .merge(proposals::router())
        .merge(sets::router())
        .merge(events::router())
        // Every matched route naming a design passes the one gate (after `authenticate`).
        .route_layer(middleware::from_fn_with_state(state.clone(), gate::resolve))
        .fallback(error::api_not_found)
        .method_not_allowed_fallback(error::api_method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        // API answers depend on the caller and change with every write.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .nest("/api", api)
        // `nest` leaves the bare prefix with a slash to the outer router (the SPA).
        .route("/api/", any(error::api_not_found))
        // Git over smart HTTP, beside the design pages it shares its URLs with.
        .merge(git::router())
        .merge(spa::router(&state.config.dist))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(compressible)))
        .layer(middleware::from_fn(head_limits))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The longest request target (path and query) answered.
pub const MAX_URI: usize = 8 * 1024;
/// The most header fields, and header bytes, a request may carry.
pub const MAX_HEADERS: usize = 100;
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// 414 and 431 in JSON, like every other error. (`server::serve` lets hyper read heads up to
/// twice these limits, so that this check answers them; beyond, hyper closes with a bare 431.)
async fn head_limits(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if target > MAX_URI {
        return AppError::UriTooLong(format!(
            "the request target is {target} bytes long; at most {MAX_URI} are accepted"
        ))
        .into_response();
    }
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return AppError::HeadersTooLarge(format!(
            "the request has {} header fields ({bytes} bytes); at most {MAX_HEADERS} fields and \
             {MAX_HEADER_BYTES} bytes are accepted",
            headers.len()
        ))
        .into_response();
    }
    next.run(request).await
}

/// The largest answer compressed on the fly.
const MAX_COMPRESSED: u64 = 16 << 20;

/// Whether an answer is compressed on the fly: text-like types only (archives, images, CAD and
/// other binary files are served as they are) and at most [`MAX_COMPRESSED`] bytes, so no
/// download of a big file costs a core.
fn compressible(
    _: axum::http::StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    let texty = essence.starts_with("text/")
        || matches!(
            essence,
            "application/json"
                | "application/javascript"
                | "application/wasm"
                | "application/xml"
                | "image/svg+xml"
        );
    let size = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    texty && size.is_none_or(|size| size <= MAX_COMPRESSED)
}

/// The paging of every list: `page` from 1 and `per_page` from 1 (0 is a 400 naming the
/// parameter), `per_page` capped at [`api::paging::MAX_PER_PAGE`], defaults when absent.
pub fn paging(page: Option<u32>, per_page: Option<u32>) -> AppResult<(u32, u32)> {
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(AppError::BadRequest("page starts at 1".into()));
    }
    let per_page = per_page.unwrap_or(api::paging::DEFAULT_PER_PAGE);
    if per_page == 0 {
        return Err(AppError::BadRequest("per_page must be at least 1".into()));
    }
    Ok((page, per_page.min(api::paging::MAX_PER_PAGE)))
}

/// Runs blocking reads (git) off the async runtime, in the read pool ([`work::Kind::Read`]).
pub async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> AppResult<T>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    blocking_in(work::Kind::Read, work).await
}

/// `Cache-Control` of an answer read from a design at `rev`: kept forever when `rev` is a full
/// commit id (the answer cannot change), else revalidated every time.
pub fn caching_for(rev: &str) -> &'static str {
    if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Runs a blocking write to the design `key` off the async runtime, after the writes queued
/// before it for that design ([`work::run_write`]).
pub async fn blocking_write<T, E>(
    key: &crate::store::DesignId,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> AppResult<T>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    work::run_write(&key.to_string(), work)
        .await
        .map_err(AppError::internal)?
        .map_err(Into::into)
}

/// Runs blocking work of `kind` off the async runtime, in that kind's pool.
pub async fn blocking_in<T, E>(
    kind: work::Kind,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> AppResult<T>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    work::run(kind, work)
        .await
        .map_err(AppError::internal)?
        .map_err(Into::into)
}

/// `Content-Disposition` for a file called `name`: an ASCII fallback and the exact name
/// (RFC 6266 `filename*`). `disposition` is `inline` or `attachment`.
pub fn content_disposition(disposition: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        percent_encode(name, b"")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_characters_only() {
        assert_eq!(percent_encode("v1.0", b""), "v1.0");
        assert_eq!(percent_encode("a/b c#", b""), "a%2Fb%20c%23");
        assert_eq!(percent_encode("cad/parts", b"/"), "cad/parts");
        assert_eq!(
            content_disposition("attachment", "plan é.pdf"),
            "attachment; filename=\"plan _.pdf\"; filename*=UTF-8''plan%20%C3%A9.pdf"
        );
    }
}
