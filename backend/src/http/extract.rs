//! axum's `Json`, `Query` and `Path` extractors with rejections turned into [`AppError`]s, so a
//! malformed request gets the same JSON error body as everything else.

use axum::extract::{FromRequest, FromRequestParts};

use super::AppError;

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

/// axum's `Multipart` with its rejection (not a multipart request, no boundary) as an
/// [`AppError`].
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        axum::extract::Multipart::from_request(request, state)
            .await
            .map(Self)
            .map_err(AppError::from)
    }
}

/// A whole request body as bytes, with its rejection (a stalled or broken body) as an
/// [`AppError`].
pub struct Bytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Bytes {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        axum::body::Bytes::from_request(request, state)
            .await
            .map(Self)
            .map_err(|rejection| {
                if let Some(stalled) = super::body::Stalled::find(&rejection) {
                    AppError::Timeout(stalled.to_string())
                } else if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge("the body is too large (at most 2 MB)".into())
                } else {
                    AppError::BadRequest(format!(
                        "the body could not be read: {}",
                        rejection.body_text()
                    ))
                }
            })
    }
}
