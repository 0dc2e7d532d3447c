//! `GET /api/images/{signature}/{url}`: the image proxy's one route (see [`crate::images`]).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::Response;
use axum::routing::get;

use super::blocking_in;
use super::{AppError, AppResult};
use crate::server::AppState;
use crate::work::Kind;

pub fn router() -> Router<AppState> {
    Router::new().route("/images/{signature}/{url}", get(image))
}

async fn image(
    State(app): State<AppState>,
    Path((signature, url)): Path<(String, String)>,
) -> AppResult<Response> {
    let image = blocking_in(Kind::Fetch, move || app.images.get(&signature, &url)).await?;
    Response::builder()
        .header(header::CONTENT_TYPE, image.content_type)
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        // An SVG opened on its own runs nothing and loads nothing.
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        )
        .body(Body::from(image.bytes))
        .map_err(AppError::internal)
}
