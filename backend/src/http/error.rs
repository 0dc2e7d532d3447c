//! `AppError`: every failure of a handler becomes one JSON error body with a stable code.
//! Internal errors are logged with their details and answered with a generic message.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::body::Stalled;
use crate::{accounts, store};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug)]
pub enum AppError {
    /// 400: the request is malformed; the message names the bad part.
    BadRequest(String),
    /// 400 `invalid`: fields of the body break rules; each is named with its problem.
    Invalid(Vec<(String, String)>),
    /// 401: the caller must sign in (or present a valid token).
    Unauthorized(String),
    /// 403: signed in, but not allowed.
    Forbidden(String),
    /// 403 `csrf`: a cookie-authenticated write without the CSRF header or a same origin.
    Csrf,
    /// 404.
    NotFound(String),
    /// 409: the request conflicts with the current state.
    Conflict(String),
    /// 405 `not_allowed`: the operation cannot be done this way (a merge method the proposal
    /// does not allow).
    NotAllowed(String),
    /// 413: an upload over the configured limit.
    PayloadTooLarge(String),
    /// 422 with its own code (e.g. `bad_model`): the request is well formed, but what it
    /// names cannot be processed (a model file that breaks its format); the message says where.
    Unprocessable(&'static str, String),
    /// 414 `uri_too_long`.
    UriTooLong(String),
    /// 431 `headers_too_large`.
    HeadersTooLarge(String),
    /// 408 `request_timeout`: the request body stalled (`body::Stalled` says how).
    Timeout(String),
    /// 429: too many failed attempts; retry after the given time.
    RateLimited(Duration),
    /// 429 with its own code (e.g. `too_many_uploads`): too much at once; retry after the
    /// given time.
    TooMany(&'static str, String, Duration),
    /// 502 `bad_gateway`: another site this request needed (the image proxy's) failed.
    BadGateway(String),
    /// 503: not possible right now; retry after the given time.
    Unavailable(String, Duration),
    /// 500: logged, never sent.
    Internal(anyhow::Error),
}

impl AppError {
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn unauthorized() -> Self {
        Self::Unauthorized(
            "sign in first (or send an API token as `Authorization: Bearer ...`)".into(),
        )
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message, fields) = match self {
            Self::BadRequest(msg) => (StatusCode::BAD_REQUEST, "bad_request", msg, vec![]),
            Self::Invalid(fields) => {
                let message = fields
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                (StatusCode::BAD_REQUEST, "invalid", message, fields)
            }
            Self::Unauthorized(msg) => (StatusCode::UNAUTHORIZED, "unauthorized", msg, vec![]),
            Self::Forbidden(msg) => (StatusCode::FORBIDDEN, "forbidden", msg, vec![]),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf",
                format!(
                    "cross-site request refused: send the header `{}: 1` or a same-origin `Origin`",
                    api::CSRF_HEADER
                ),
                vec![],
            ),
            Self::NotFound(msg) => (StatusCode::NOT_FOUND, "not_found", msg, vec![]),
            Self::Conflict(msg) => (StatusCode::CONFLICT, "conflict", msg, vec![]),
            Self::NotAllowed(msg) => (StatusCode::METHOD_NOT_ALLOWED, "not_allowed", msg, vec![]),
            Self::PayloadTooLarge(msg) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large", msg, vec![]),
            Self::UriTooLong(msg) => (StatusCode::URI_TOO_LONG, "uri_too_long", msg, vec![]),
            Self::Unprocessable(code, msg) => (StatusCode::UNPROCESSABLE_ENTITY, code, msg, vec![]),
            Self::HeadersTooLarge(msg) => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "headers_too_large",
                msg,
                vec![],
            ),
            Self::BadGateway(msg) => (StatusCode::BAD_GATEWAY, "bad_gateway", msg, vec![]),
            Self::Timeout(msg) => (StatusCode::REQUEST_TIMEOUT, "request_timeout", msg, vec![]),
            Self::TooMany(code, message, wait) => {
                let body = api::ApiError::new(code, cut(message));
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(wait.as_secs().max(1)),
                );
                return response;
            }
            Self::RateLimited(wait) => {
                let secs = wait.as_secs().max(1);
                let body = api::ApiError::new(
                    "rate_limited",
                    format!("too many attempts; try again in {secs} seconds"),
                );
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                return response;
            }
            Self::Unavailable(message, wait) => {
                let body = api::ApiError::new("unavailable", cut(message));
                let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(wait.as_secs().max(1)),
                );
                return response;
            }
            Self::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal server error; the details are in the server log".into(),
                    vec![],
                )
            }
        };
        let mut body = api::ApiError::new(code, cut(message));
        body.error.fields = fields
            .into_iter()
            .map(|(field, message)| api::FieldError {
                field: cut(field),
                message: cut(message),
            })
            .collect();
        (status, Json(body)).into_response()
    }
}

/// The longest error message sent, in bytes: a message that echoes a huge field is cut.
pub const MAX_MESSAGE: usize = 1000;

/// `message` cut to [`MAX_MESSAGE`] bytes (on a character boundary), marked with `…`.
fn cut(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push('…');
    }
    message
}

impl From<store::Error> for AppError {
    fn from(err: store::Error) -> Self {
        match err {
            store::Error::InvalidName(_)
            | store::Error::InvalidPath(_)
            | store::Error::Invalid(_)
            | store::Error::EmptyCommit => Self::BadRequest(err.to_string()),
            store::Error::NotFound(_) | store::Error::Missing(_) => Self::NotFound(err.to_string()),
            store::Error::AlreadyExists(_)
            | store::Error::Exists(_)
            | store::Error::Conflict { .. } => Self::Conflict(err.to_string()),
            store::Error::TooLarge(message) => Self::PayloadTooLarge(message),
            store::Error::Git(_) | store::Error::Io(_) => Self::internal(err),
        }
    }
}

impl From<crate::proposals::Error> for AppError {
    fn from(err: crate::proposals::Error) -> Self {
        use crate::proposals::Error;
        match err {
            Error::Invalid(field, message) => Self::Invalid(vec![(field.to_owned(), message)]),
            Error::NotFound(message) => Self::NotFound(message),
            Error::Conflict(message) => Self::Conflict(message),
            Error::NotAllowed(message) => Self::NotAllowed(message),
            Error::Forbidden(message) => Self::Forbidden(message),
            Error::Store(err) => err.into(),
            Error::Labor(err) => err.into(),
            err @ (Error::Db(_) | Error::Join(_)) => Self::internal(err),
        }
    }
}

impl From<crate::labor::Error> for AppError {
    fn from(err: crate::labor::Error) -> Self {
        match err {
            crate::labor::Error::Store(err) => err.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::search::Error> for AppError {
    fn from(err: crate::search::Error) -> Self {
        Self::internal(err)
    }
}

impl From<crate::catalog::Error> for AppError {
    fn from(err: crate::catalog::Error) -> Self {
        match err {
            crate::catalog::Error::Store(err) => err.into(),
            other => Self::internal(other),
        }
    }
}

impl From<crate::events::LogError> for AppError {
    fn from(err: crate::events::LogError) -> Self {
        Self::internal(err)
    }
}

impl From<crate::images::Error> for AppError {
    fn from(err: crate::images::Error) -> Self {
        use crate::images::Error;
        match err {
            Error::Disabled => Self::NotFound(err.to_string()),
            Error::BadSignature | Error::Private => Self::Forbidden(err.to_string()),
            Error::Scheme(_) => Self::BadRequest(err.to_string()),
            Error::Status(_) | Error::NotAnImage(_) | Error::TooLarge | Error::Unreachable(_) => {
                Self::BadGateway(err.to_string())
            }
            Error::Loop => Self::BadRequest(err.to_string()),
            Error::Busy(_) => Self::Unavailable(err.to_string(), Duration::from_secs(5)),
        }
    }
}

impl From<crate::scad::Error> for AppError {
    fn from(err: crate::scad::Error) -> Self {
        use crate::scad::Error;
        match err {
            Error::Missing => Self::Unprocessable("no_openscad", err.to_string()),
            Error::Refused(_) => Self::Unprocessable("scad_refused", err.to_string()),
            Error::Failed(_) | Error::Timeout(_) => {
                Self::Unprocessable("scad_failed", err.to_string())
            }
            Error::Flat(_) => Self::Unprocessable("scad_2d", err.to_string()),
            Error::Io(_) => Self::internal(err),
        }
    }
}

impl From<crate::renders::Error> for AppError {
    fn from(err: crate::renders::Error) -> Self {
        match err {
            crate::renders::Error::Store(err) => err.into(),
            crate::renders::Error::Scad(err) => err.into(),
        }
    }
}

impl From<crate::mesh::Error> for AppError {
    fn from(err: crate::mesh::Error) -> Self {
        Self::Unprocessable("bad_model", err.to_string())
    }
}

impl From<crate::blobs::Error> for AppError {
    fn from(err: crate::blobs::Error) -> Self {
        match err {
            crate::blobs::Error::Store(err) => err.into(),
            busy @ crate::blobs::Error::Busy => {
                Self::Unavailable(busy.to_string(), Duration::from_secs(5))
            }
        }
    }
}

impl From<crate::bundle::Error> for AppError {
    fn from(err: crate::bundle::Error) -> Self {
        from_bundle(&err)
    }
}

/// By reference: a build's error is shared with every request that waited for it.
fn from_bundle(err: &crate::bundle::Error) -> AppError {
    use crate::bundle::Error;
    match err {
        Error::Store(
            store::Error::InvalidName(_) | store::Error::InvalidPath(_) | store::Error::Invalid(_),
        ) => AppError::BadRequest(err.to_string()),
        Error::Store(store::Error::NotFound(_) | store::Error::Missing(_)) => {
            AppError::NotFound(err.to_string())
        }
        Error::Conflict(message) => AppError::Conflict(message.clone()),
        Error::NotReady(message) => AppError::Unavailable(message.clone(), Duration::from_secs(30)),
        Error::Shared(inner) => from_bundle(inner),
        other => AppError::internal(anyhow::anyhow!("bundle: {other}")),
    }
}

impl From<accounts::Error> for AppError {
    fn from(err: accounts::Error) -> Self {
        match err {
            accounts::Error::Invalid(fields) => Self::Invalid(
                fields
                    .into_iter()
                    .map(|(field, message)| (field.to_owned(), message))
                    .collect(),
            ),
            accounts::Error::Conflict(msg) => Self::Conflict(msg),
            accounts::Error::NotFound(msg) => Self::NotFound(msg),
            accounts::Error::Forbidden(msg) => Self::Forbidden(msg),
            err @ accounts::Error::Busy => {
                Self::Unavailable(err.to_string(), Duration::from_secs(1))
            }
            err
            @ (accounts::Error::Db(_) | accounts::Error::Hash(_) | accounts::Error::Join(_)) => {
                Self::internal(err)
            }
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        if let Some(stalled) = Stalled::find(&rejection) {
            return Self::Timeout(stalled.to_string());
        }
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::PayloadTooLarge(
                "the JSON body is too large (at most 2 MB; upload files through .../uploads)"
                    .into(),
            );
        }
        Self::BadRequest(rejection.body_text())
    }
}

impl From<axum::extract::multipart::MultipartError> for AppError {
    fn from(err: axum::extract::multipart::MultipartError) -> Self {
        if let Some(stalled) = Stalled::find(&err) {
            return Self::Timeout(stalled.to_string());
        }
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::PayloadTooLarge(format!(
                "the multipart body is too large: {}",
                err.body_text()
            ));
        }
        Self::BadRequest(format!("malformed multipart body: {}", err.body_text()))
    }
}

impl From<axum::extract::multipart::MultipartRejection> for AppError {
    fn from(rejection: axum::extract::multipart::MultipartRejection) -> Self {
        Self::BadRequest(format!("not a multipart upload: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// Fallback for `/api/...` paths no route matches: a JSON 404, not the SPA page.
/// A known API path asked with a method it does not take.
pub async fn api_method_not_allowed(method: axum::http::Method, uri: Uri) -> AppError {
    AppError::NotAllowed(format!("{method} is not allowed on {}", uri.path()))
}

pub async fn api_not_found(uri: Uri) -> AppError {
    AppError::NotFound(format!("no API endpoint at {}", uri.path()))
}
