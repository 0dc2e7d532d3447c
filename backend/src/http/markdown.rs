//! `POST /api/markdown`: renders Markdown as a design's README would be rendered (sanitized,
//! GitHub's flavour), for the editor's preview. Mirrors GitHub's `POST /markdown`: the body is
//! `{"text": …, "context": "owner/slug"}` (plus our `path`, the file being edited, so its
//! relative links resolve from its folder) and the answer is `text/html`.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use serde::Deserialize;

use super::extract::Json;
use super::{AppError, AppResult, blocking};
use crate::server::AppState;
use crate::store::DesignId;

/// The longest text rendered: a README, not a book.
const MAX_TEXT: usize = 1 << 20;

pub fn router() -> Router<AppState> {
    Router::new().route("/markdown", post(render))
}

#[derive(Debug, Deserialize)]
struct Request {
    text: String,
    /// `owner/slug`: links and images resolve into this design's default branch.
    context: Option<String>,
    /// The file the text is (or will be) in, for relative links.
    #[serde(default)]
    path: String,
}

async fn render(
    State(app): State<AppState>,
    Json(body): Json<Request>,
) -> AppResult<impl IntoResponse> {
    if body.text.len() > MAX_TEXT {
        return Err(AppError::PayloadTooLarge(format!(
            "text is {} bytes; at most {MAX_TEXT} are rendered",
            body.text.len()
        )));
    }
    let context = match body.context.as_deref() {
        Some(context) => {
            let id = DesignId::parse(context)
                .map_err(|err| AppError::BadRequest(format!("context: {err}")))?;
            let store = app.store.clone();
            let design = id.clone();
            let branch = blocking(move || store.default_branch(&design)).await?;
            Some((id, branch))
        }
        None => None,
    };
    let signer = app.images.signer().cloned();
    let html = blocking(move || -> Result<String, AppError> {
        let dir = body.path.rsplit_once('/').map_or("", |(dir, _)| dir);
        let (raw, view) = match &context {
            Some((id, branch)) => (
                format!("/api/designs/{id}/raw/{branch}/"),
                format!("/{id}/blob/{branch}/"),
            ),
            None => ("/".to_owned(), "/".to_owned()),
        };
        Ok(crate::markdown::render(
            &body.text,
            &crate::markdown::Links {
                raw: &raw,
                view: &view,
                dir,
                images: signer.as_ref(),
            },
        ))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html))
}
