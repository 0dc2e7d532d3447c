//! `GET /api/health`: liveness plus the number of designs.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::AppResult;
use crate::server::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(app): State<AppState>) -> AppResult<Json<api::Health>> {
    let designs = app.catalog.count().await?;
    Ok(Json(api::Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        designs,
    }))
}
