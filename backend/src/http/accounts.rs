//! Accounts and sign-in: `POST /api/accounts`, `GET /api/accounts/{username}`,
//! `GET/POST/DELETE /api/session`, tokens under `/api/tokens`, emails and password under
//! `/api/account`.

use std::time::Instant;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};

use super::auth::{Caller, ClientAddr, SignedIn, session_cookie};
use super::extract::{Json, Path};
use super::{AppError, AppResult, rfc3339};
use crate::accounts::{self, SESSION_TTL_SECS};
use crate::server::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", post(sign_up))
        .route("/accounts/{username}", get(profile))
        .route("/session", get(session).post(sign_in).delete(sign_out))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}", delete(delete_token))
        .route("/account/emails", get(emails).post(add_email))
        .route("/account/emails/{email}", delete(remove_email))
        .route("/account/password", put(change_password))
}

pub fn account(account: &accounts::Account) -> api::Account {
    api::Account {
        username: account.username.clone(),
        is_admin: account.is_admin,
        is_system: account.is_system,
        created_at: rfc3339(account.created_at),
    }
}

fn session_body(account: &accounts::Account) -> api::Session {
    api::Session {
        account: self::account(account),
        via: "session".into(),
        scopes: Vec::new(),
    }
}

/// Starts a session for `account` and answers `status` with the cookie and the session.
async fn signed_in(
    app: &AppState,
    account: &accounts::Account,
    status: StatusCode,
) -> AppResult<Response> {
    let (secret, _) = app.accounts.create_session(account).await?;
    Ok((
        status,
        [(
            header::SET_COOKIE,
            session_cookie(app, &secret, SESSION_TTL_SECS),
        )],
        axum::Json(session_body(account)),
    )
        .into_response())
}

async fn sign_up(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<api::NewAccount>,
) -> AppResult<Response> {
    // Per address: every attempt counts (accounts are free, so creating many is the abuse).
    // Requests without an address (in-process tests and tools) have none to limit.
    if let Some(addr) = addr {
        app.accounts
            .sign_ups
            .attempt(&[format!("ip:{addr}")], Instant::now())
            .map_err(|limited| AppError::RateLimited(limited.retry_after))?;
    }
    let account = app
        .accounts
        .create(&body.username, &body.email, &body.password)
        .await?;
    // Commits made with this email before the account existed are now its.
    app.labor.identities_changed();
    signed_in(&app, &account, StatusCode::CREATED).await
}

async fn profile(
    State(app): State<AppState>,
    Path(username): Path<String>,
) -> AppResult<axum::Json<api::Account>> {
    let found = app.accounts.find(&username).await?;
    let found =
        found.ok_or_else(|| AppError::NotFound(format!("no account named {username:?}")))?;
    Ok(axum::Json(account(&found)))
}

async fn sign_in(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<api::SignIn>,
) -> AppResult<Response> {
    let keys = [
        format!("user:{}", body.username.trim().to_lowercase()),
        format!(
            "ip:{}",
            addr.map_or_else(|| "unknown".into(), |ip| ip.to_string())
        ),
    ];
    // Counted before the hash is checked, so parallel attempts cannot all be tried.
    let attempt = app
        .accounts
        .limiter
        .attempt(&keys, Instant::now())
        .map_err(|limited| AppError::RateLimited(limited.retry_after))?;
    match app
        .accounts
        .authenticate(body.username.trim(), &body.password)
        .await?
    {
        Some(account) => {
            attempt.succeeded();
            signed_in(&app, &account, StatusCode::OK).await
        }
        None => Err(AppError::Unauthorized(
            "wrong username, email or password".into(),
        )),
    }
}

async fn session(caller: Caller) -> axum::Json<api::Caller> {
    axum::Json(match caller {
        Caller::Anonymous => api::Caller {
            account: None,
            via: "anonymous".into(),
            scopes: Vec::new(),
        },
        Caller::Session { account, .. } => api::Caller {
            account: Some(self::account(&account)),
            via: "session".into(),
            scopes: Vec::new(),
        },
        Caller::Token { account, scopes } => api::Caller {
            account: Some(self::account(&account)),
            via: "token".into(),
            scopes,
        },
    })
}

async fn sign_out(State(app): State<AppState>, caller: SignedIn) -> AppResult<Response> {
    let Caller::Session { secret, .. } = &caller.0 else {
        return Err(AppError::Forbidden(
            "an API token has no session to end; revoke the token instead".into(),
        ));
    };
    app.accounts.delete_session(secret).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, session_cookie(&app, "", 0))],
    )
        .into_response())
}

fn token(token: accounts::Token) -> api::Token {
    api::Token {
        id: token.id,
        name: token.name,
        scopes: token.scopes,
        created_at: rfc3339(token.created_at),
        last_used_at: token.last_used_at.map(rfc3339),
    }
}

async fn tokens(
    State(app): State<AppState>,
    caller: SignedIn,
) -> AppResult<axum::Json<api::TokenList>> {
    let account = caller.require_session()?;
    let tokens: Vec<api::Token> = app
        .accounts
        .tokens(account)
        .await?
        .into_iter()
        .map(token)
        .collect();
    Ok(axum::Json(api::TokenList {
        total: tokens.len() as u64,
        page: 1,
        per_page: tokens.len().max(1) as u32,
        tokens,
    }))
}

async fn create_token(
    State(app): State<AppState>,
    caller: SignedIn,
    Json(body): Json<api::NewToken>,
) -> AppResult<(StatusCode, axum::Json<api::CreatedToken>)> {
    let account = caller.require_session()?;
    let (created, secret) = app
        .accounts
        .create_token(account, &body.name, &body.scopes)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(api::CreatedToken {
            token: token(created),
            secret,
        }),
    ))
}

async fn delete_token(
    State(app): State<AppState>,
    caller: SignedIn,
    Path(id): Path<i64>,
) -> AppResult<StatusCode> {
    let account = caller.require_session()?;
    app.accounts.delete_token(account, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn email(email: accounts::Email) -> api::Email {
    api::Email {
        email: email.email,
        primary: email.primary,
        verified: email.verified,
    }
}

async fn emails(
    State(app): State<AppState>,
    caller: SignedIn,
) -> AppResult<axum::Json<api::EmailList>> {
    let account = caller.require_session()?;
    let emails: Vec<api::Email> = app
        .accounts
        .emails(account)
        .await?
        .into_iter()
        .map(email)
        .collect();
    Ok(axum::Json(api::EmailList {
        total: emails.len() as u64,
        page: 1,
        per_page: emails.len().max(1) as u32,
        emails,
    }))
}

async fn add_email(
    State(app): State<AppState>,
    caller: SignedIn,
    Json(body): Json<api::NewEmail>,
) -> AppResult<(StatusCode, axum::Json<api::Email>)> {
    let account = caller.require_session()?;
    let added = app.accounts.add_email(account, &body.email).await?;
    app.labor.identities_changed();
    Ok((StatusCode::CREATED, axum::Json(email(added))))
}

async fn remove_email(
    State(app): State<AppState>,
    caller: SignedIn,
    Path(address): Path<String>,
) -> AppResult<StatusCode> {
    let account = caller.require_session()?;
    app.accounts.remove_email(account, &address).await?;
    app.labor.identities_changed();
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password, revokes every session, and signs this browser in again.
async fn change_password(
    State(app): State<AppState>,
    caller: SignedIn,
    Json(body): Json<api::PasswordChange>,
) -> AppResult<Response> {
    let account = caller.require_session()?.clone();
    let attempt = app
        .accounts
        .password_changes
        .attempt(&[format!("account:{}", account.id)], Instant::now())
        .map_err(|limited| AppError::RateLimited(limited.retry_after))?;
    app.accounts
        .change_password(&account, &body.current_password, &body.new_password)
        .await?;
    attempt.succeeded();
    signed_in(&app, &account, StatusCode::OK).await
}
