//! The one gate of every design route (read and write): a route layer that, for any matched
//! path with `{owner}` and `{slug}`, validates the id (400), checks that the design exists
//! (404) and hands the handler a [`DesignAccess`] — the design and the caller — whose
//! [`DesignAccess::require`] is the only place a design's write permissions are decided.
//! Later rules (private designs, proposals, governance) plug in here.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::{AppError, AppResult};
use crate::accounts::{Account, Role, Scope};
use crate::server::AppState;
use crate::store::DesignId;

/// The design a request is about and who is asking.
#[derive(Debug, Clone)]
pub struct DesignAccess {
    pub id: DesignId,
    caller: Caller,
}

impl DesignAccess {
    /// For routes outside `/api` that identify their caller themselves (git over HTTP, with
    /// Basic auth): the design must exist; permissions are decided by [`Self::require`] all
    /// the same.
    pub fn new(id: DesignId, caller: Caller) -> Self {
        Self { id, caller }
    }

    /// The caller's role on the design (`None` for anonymous callers).
    pub async fn role(&self, app: &AppState) -> AppResult<Role> {
        Ok(match self.caller.account() {
            Some(account) => {
                app.accounts
                    .role(account, self.id.owner(), &self.id.to_string())
                    .await?
            }
            None => Role::None,
        })
    }

    /// The same caller, asking about another design (the source of a proposal).
    pub fn other(&self, id: DesignId) -> Self {
        Self {
            id,
            caller: self.caller.clone(),
        }
    }

    /// The caller's account when it is `author` (an account id) or holds at least `min` on
    /// the design; tokens need `scope` either way.
    pub async fn require_author_or(
        &self,
        app: &AppState,
        author: i64,
        min: Role,
        scope: Scope,
    ) -> AppResult<Account> {
        let signed_in = self.require(app, Role::None, scope).await?;
        if signed_in.id == author {
            return Ok(signed_in);
        }
        self.require(app, min, scope).await
    }

    /// The caller's account when it holds at least `min` on the design and, when it is a
    /// token, carries `scope`: 401 for anonymous callers, 403 otherwise.
    pub async fn require(&self, app: &AppState, min: Role, scope: Scope) -> AppResult<Account> {
        let Some(account) = self.caller.account() else {
            return Err(AppError::unauthorized());
        };
        if let Caller::Token { scopes, .. } = &self.caller
            && !scopes.iter().any(|s| s == scope.as_str())
        {
            return Err(AppError::Forbidden(format!(
                "this API token lacks the scope {:?}",
                scope.as_str()
            )));
        }
        if self.role(app).await? < min {
            let id = &self.id;
            return Err(AppError::Forbidden(match min {
                Role::Owner | Role::Admin => {
                    format!("only the owner of {id} or an instance admin may change this")
                }
                Role::Maintainer | Role::None => format!(
                    "only the owner and maintainers of {id} may change it; fork it to make your own changes"
                ),
            }));
        }
        Ok(account.clone())
    }
}

/// The route layer: resolves the design of every matched route that names one.
pub async fn resolve(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let (mut owner, mut slug) = (None, None);
    match RawPathParams::from_request_parts(&mut parts, &app).await {
        Ok(params) => {
            for (key, value) in &params {
                match key {
                    "owner" => owner = Some(value.to_owned()),
                    "slug" => slug = Some(value.to_owned()),
                    _ => {}
                }
            }
        }
        Err(RawPathParamsRejection::InvalidUtf8InPathParam(err)) => {
            return AppError::BadRequest(err.body_text()).into_response();
        }
        // Routes without parameters have none to give.
        Err(_) => {}
    }
    let mut request = Request::from_parts(parts, body);
    if let (Some(owner), Some(slug)) = (owner, slug) {
        let id = match DesignId::new(&owner, &slug) {
            Ok(id) => id,
            Err(err) => return AppError::from(err).into_response(),
        };
        if !app.store.exists(&id) {
            return AppError::NotFound(format!("design {id} not found")).into_response();
        }
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or_default();
        request.extensions_mut().insert(DesignAccess { id, caller });
    }
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for DesignAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "a design handler on a route without {{owner}}/{{slug}}"
            ))
        })
    }
}
