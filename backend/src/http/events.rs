//! The event log over HTTP: `GET /api/events?after=&limit=` pages the log (for git, federation
//! and webhook work later) and `GET /api/events/consumers` shows each consumer's cursor. Both
//! are for an instance admin's session, or a token carrying `events:read` (which only admins
//! may create).

use axum::extract::State;
use axum::routing::get;
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use super::auth::{Caller, SignedIn};
use super::extract::Query;
use super::{AppError, AppResult, rfc3339};
use crate::accounts::Scope;
use crate::events::log::encode;
use crate::server::AppState;

/// Events one page holds by default, and at most.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", get(list))
        .route("/events/consumers", get(consumers))
}

/// An admin's browser session, or a token with `events:read` (which only admins can create).
fn require_reader(caller: &SignedIn) -> AppResult<()> {
    let allowed = match &caller.0 {
        Caller::Token { .. } => caller.has_scope(Scope::EventsRead),
        _ => caller.account().is_admin,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the event log is for instance admins and tokens with the scope \"events:read\"".into(),
        ))
    }
}

#[derive(Debug, Deserialize)]
struct Params {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn list(
    State(app): State<AppState>,
    caller: SignedIn,
    Query(params): Query<Params>,
) -> AppResult<JsonResponse<api::EventList>> {
    require_reader(&caller)?;
    let after = params.after.unwrap_or(0);
    if after < 0 {
        return Err(AppError::BadRequest("after must be 0 or a seq".into()));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if limit < 1 {
        return Err(AppError::BadRequest("limit must be at least 1".into()));
    }
    let batch = app.events.after(after, limit.min(MAX_LIMIT)).await?;
    let next = batch.last.unwrap_or(after);
    let events = batch.events;
    let actors: Vec<i64> = events.iter().filter_map(|e| e.actor).collect();
    let names = app.accounts.usernames(&actors).await?;
    let events = events
        .into_iter()
        .map(|event| {
            let (kind, payload) = encode(&event.payload);
            api::Event {
                seq: event.seq,
                at: rfc3339(event.at),
                actor: event.actor.and_then(|id| names.get(&id).cloned()),
                design: event.design.to_string(),
                kind: kind.to_owned(),
                payload: match payload {
                    serde_json::Value::Object(map) => map,
                    _ => Default::default(),
                },
            }
        })
        .collect();
    Ok(JsonResponse(api::EventList { events, next }))
}

async fn consumers(
    State(app): State<AppState>,
    caller: SignedIn,
) -> AppResult<JsonResponse<api::EventConsumers>> {
    require_reader(&caller)?;
    let consumers = app
        .events
        .log()
        .cursors()
        .await?
        .into_iter()
        .map(|(name, cursor)| api::EventConsumer { name, cursor })
        .collect();
    Ok(JsonResponse(api::EventConsumers {
        consumers,
        head: app.events.head(),
    }))
}
