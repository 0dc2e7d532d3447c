//! The HTTP layer: one route table ([`app`]) used by `main` and by every test.
//!
//! Invariant: handlers translate between the wire types of `api` and the store or accounts;
//! they hold no business logic and never touch git directly. Blocking work goes through
//! [`blocking`]. Every `/api` request passes [`auth::authenticate`] first.

mod accounts;
pub mod auth;
mod browse;
mod bundles;
mod designs;
mod edit;
mod error;
mod extract;
mod health;
mod labor;
mod search;
mod spa;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::routing::any;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tower_http::compression::predicate::{NotForContentType, Predicate as _};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use bundles::url as bundle_url;
pub use edit::Uploads;
pub use error::{AppError, AppResult};

use crate::server::AppState;

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
        .merge(labor::router())
        .fallback(error::api_not_found)
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
        .merge(spa::router(&state.config.dist))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Archives are compressed already, and a cached bundle must keep its Content-Length.
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("application/zip"))
                    .and(NotForContentType::const_new("application/gzip")),
            ),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Runs blocking work (git, hashing) off the async runtime.
pub async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> AppResult<T>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)?
        .map_err(Into::into)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2024-03-01T10:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        // Git times outside time's range (years beyond ±9999) only come from forged commits.
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
