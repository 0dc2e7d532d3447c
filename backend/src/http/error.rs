//! `AppError`: every failure of a handler becomes one JSON error body with a stable code.
//! Internal errors are logged with their details and answered with a generic message.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::store;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug)]
pub enum AppError {
    /// 400: the request names something malformed; the message says which part.
    BadRequest(String),
    /// 404.
    NotFound(String),
    /// 409: the request conflicts with the current state.
    Conflict(String),
    /// 500: logged, never sent.
    Internal(anyhow::Error),
}

impl AppError {
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            Self::BadRequest(msg) => (StatusCode::BAD_REQUEST, "bad_request", msg.clone()),
            Self::NotFound(msg) => (StatusCode::NOT_FOUND, "not_found", msg.clone()),
            Self::Conflict(msg) => (StatusCode::CONFLICT, "conflict", msg.clone()),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal server error; the details are in the server log".into(),
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(error = format!("{err:#}"), "internal error");
        }
        let (status, code, message) = self.parts();
        (status, Json(api::ApiError::new(code, message))).into_response()
    }
}

impl From<store::Error> for AppError {
    fn from(err: store::Error) -> Self {
        match err {
            store::Error::InvalidName(_) | store::Error::EmptyCommit => {
                Self::BadRequest(err.to_string())
            }
            store::Error::NotFound(_) => Self::NotFound(err.to_string()),
            store::Error::AlreadyExists(_) => Self::Conflict(err.to_string()),
            store::Error::Git(_) | store::Error::Io(_) => Self::internal(err),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// Fallback for `/api/...` paths no route matches: a JSON 404, not the SPA page.
pub async fn api_not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no API endpoint at {}", uri.path()))
}
