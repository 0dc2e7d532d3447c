//! `GET /api/images/{signature}/{url}`: the image proxy's one route (see [`crate::images`]).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;

use super::{AppError, AppResult};
use crate::images;
use crate::server::AppState;
use crate::work::{self, Kind};

pub fn router() -> Router<AppState> {
    Router::new().route("/images/{signature}/{url}", get(image))
}

async fn image(
    State(app): State<AppState>,
    Path((signature, url)): Path<(String, String)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    // A proxy fetching through a proxy (this one or another instance's) would loop.
    if headers
        .get(header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok())
        .is_some_and(|agent| agent.starts_with(images::USER_AGENT.split('/').next().unwrap_or("-")))
    {
        return Err(images::Error::Loop.into());
    }
    let image = match app.images.cached(&signature, &url)? {
        Some(image) => image,
        // Full: a page shows its alt text now rather than every image request queueing.
        None => work::try_run(Kind::Fetch, move || app.images.get(&signature, &url))
            .await
            .ok_or_else(|| {
                AppError::from(images::Error::Busy(
                    "as many images as it fetches at once".into(),
                ))
            })?
            .map_err(AppError::internal)??,
    };
    Response::builder()
        .header(header::CONTENT_TYPE, image.content_type)
        .header(header::CACHE_CONTROL, "public, max-age=3600")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        // An SVG opened on its own runs nothing and loads nothing.
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        )
        .body(Body::from(image.bytes))
        .map_err(AppError::internal)
}
