//! Who is calling: the `authenticate` middleware reads a bearer token or the session cookie,
//! guards cookie-authenticated writes against CSRF, and renews sliding sessions. Handlers take
//! [`Caller`] (anyone) or [`SignedIn`] (401 otherwise).

use std::net::IpAddr;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppError;
use crate::accounts::{Account, SESSION_TTL_SECS, Scope};
use crate::server::AppState;

pub const SESSION_COOKIE: &str = "atelier_session";

/// The authenticated party of a request.
#[derive(Debug, Clone, Default)]
pub enum Caller {
    #[default]
    Anonymous,
    /// Signed in through the browser; `secret` is the session cookie's value.
    Session { account: Account, secret: String },
    /// An API token and its scopes.
    Token {
        account: Account,
        scopes: Vec<String>,
    },
}

impl Caller {
    pub fn account(&self) -> Option<&Account> {
        match self {
            Self::Anonymous => None,
            Self::Session { account, .. } | Self::Token { account, .. } => Some(account),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or_default())
    }
}

/// A signed-in caller (session or token); anonymous requests get 401.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Caller);

impl SignedIn {
    pub fn account(&self) -> &Account {
        // Constructed only for callers with an account.
        self.0.account().expect("SignedIn always has an account")
    }

    /// Account settings (tokens, emails, password) are for the person in a browser session:
    /// a leaked token must not be able to mint more tokens or take over the account.
    pub fn require_session(&self) -> Result<&Account, AppError> {
        match &self.0 {
            Caller::Session { account, .. } => Ok(account),
            _ => Err(AppError::Forbidden(
                "this endpoint needs a signed-in browser session, not an API token".into(),
            )),
        }
    }

    /// A session, or a token that carries `scope`.
    pub fn require_scope(&self, scope: Scope) -> Result<&Account, AppError> {
        match &self.0 {
            Caller::Token { .. } if !self.has_scope(scope) => Err(AppError::Forbidden(format!(
                "this API token lacks the scope {:?}",
                scope.as_str()
            ))),
            _ => Ok(self.account()),
        }
    }

    /// Whether the caller is a token carrying `scope`.
    pub fn has_scope(&self, scope: Scope) -> bool {
        matches!(&self.0, Caller::Token { scopes, .. } if scopes.iter().any(|s| s == scope.as_str()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(caller) if caller.account().is_some() => Ok(Self(caller.clone())),
            _ => Err(AppError::unauthorized()),
        }
    }
}

/// The client's address as the server worked it out (the peer, or the client a trusted proxy
/// names: `Config::client_ip`), set on every request served over TCP.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

/// The client's address as rate limits and caps count it (`config::limit_key`: an IPv6
/// client's /64); absent when not served over TCP, as in in-process tests and tools.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ClientIp>()
                .map(|ip| crate::config::limit_key(ip.0)),
        ))
    }
}

/// Middleware on `/api`: identify the caller, refuse cross-site writes, renew sessions.
pub async fn authenticate(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let mut renewed_cookie = None;
    let mut stale_cookie = false;
    let caller = if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Some(secret) = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")) else {
            return AppError::Unauthorized(
                "the Authorization header must be `Bearer <token>`".into(),
            )
            .into_response();
        };
        match app.accounts.token_account(secret.trim()).await {
            Ok(Some((account, scopes))) => Caller::Token { account, scopes },
            Ok(None) => {
                return AppError::Unauthorized("the API token is invalid or revoked".into())
                    .into_response();
            }
            Err(err) => return AppError::from(err).into_response(),
        }
    } else if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        match app.accounts.session(&secret).await {
            Ok(Some(session)) => {
                if session.renewed {
                    renewed_cookie = Some(session_cookie(&app, &secret, SESSION_TTL_SECS));
                }
                Caller::Session {
                    account: session.account,
                    secret,
                }
            }
            Ok(None) => {
                stale_cookie = true;
                Caller::Anonymous
            }
            Err(err) => return AppError::from(err).into_response(),
        }
    } else {
        Caller::Anonymous
    };

    // Browsers attach cookies to cross-site requests but cannot add a custom header to them
    // (nor fake `Origin`): a write without either is refused. Token requests carry no ambient
    // credentials, so they are exempt.
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !matches!(caller, Caller::Token { .. }) && !csrf_ok(&app, request.headers()) {
        return AppError::Csrf.into_response();
    }

    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if let Some(cookie) = renewed_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    } else if stale_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        response
            .headers_mut()
            .append(header::SET_COOKIE, session_cookie(&app, "", 0));
    }
    response
}

fn csrf_ok(app: &AppState, headers: &HeaderMap) -> bool {
    if headers
        .get(api::CSRF_HEADER)
        .is_some_and(|v| v.as_bytes() == b"1")
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    match &app.config.public_url {
        Some(public) => origin == public.trim_end_matches('/'),
        None => headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .is_some_and(|host| {
                origin == format!("http://{host}") || origin == format!("https://{host}")
            }),
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for the session: HttpOnly, SameSite=Lax, Secure behind an https public URL.
/// `max_age` 0 deletes it.
pub fn session_cookie(app: &AppState, secret: &str, max_age: i64) -> HeaderValue {
    let secure = app
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let value = format!(
        "{SESSION_COOKIE}={secret}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    // The secret is hex and the rest is ASCII.
    HeaderValue::from_str(&value).expect("cookie is a valid header value")
}
