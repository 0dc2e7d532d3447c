//! The HTTP layer: one route table ([`app`]) used by `main` and by every test.
//!
//! Invariant: handlers translate between the wire types of `api` and the store; they hold no
//! business logic and never touch git directly. Blocking work goes through [`blocking`].

mod designs;
mod error;
mod health;
mod spa;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::any;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::{AppError, AppResult};

use crate::server::AppState;

/// The whole application: the JSON API under `/api`, the single-page app everywhere else.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(designs::router())
        .fallback(error::api_not_found);
    Router::new()
        .nest("/api", api)
        // `nest` leaves the bare prefix with a slash to the outer router (the SPA).
        .route("/api/", any(error::api_not_found))
        .merge(spa::router(&state.config.dist))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(CompressionLayer::new())
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
        .map_err(|err| AppError::internal(err))?
        .map_err(Into::into)
}
