//! Wire types of the Atelier JSON API, shared by the backend and the frontend.
//!
//! Invariant: serde only. No I/O, no HTTP framework, no git. Internal types of the
//! backend are converted into these at the HTTP boundary, never the reverse.
//!
//! Conventions (outside clients rely on them):
//! - a design is `owner/slug` and appears as `"id": "owner/slug"`;
//! - lists are `{"<plural noun>": [...], "total": N, "page": P, "per_page": K}`;
//! - errors are `{"error": {"code": "...", "message": "..."}}`;
//! - times are RFC 3339 UTC strings; commit ids are full 40-hex strings.

use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"` when the server answers.
    pub status: String,
    /// The server's version (its crate version).
    pub version: String,
    /// Number of designs in the store.
    pub designs: u64,
}

/// One design in a list, enough to show a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignSummary {
    /// `owner/slug`.
    pub id: String,
    pub owner: String,
    pub slug: String,
    /// The manifest's `name`, or the slug when the manifest has none.
    pub name: String,
    /// The manifest's one-line `function`, empty when absent.
    pub function: String,
    /// SPDX license expression from the manifest.
    pub license: Option<String>,
    /// The manifest's `version`.
    pub version: Option<String>,
    /// Commit id of the default branch head.
    pub head: String,
    /// Time of the head commit, RFC 3339 UTC.
    pub updated: String,
    /// Set when `okh.toml` is missing or cannot be read; the design stays listed.
    pub manifest_error: Option<String>,
}

/// `GET /api/designs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignList {
    pub designs: Vec<DesignSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Sort orders of `GET /api/designs?sort=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DesignSort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// By name, A to Z.
    Name,
}

/// Default and maximum page sizes for every paged list.
pub mod paging {
    pub const DEFAULT_PER_PAGE: u32 = 30;
    pub const MAX_PER_PAGE: u32 = 100;
}

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ErrorBody,
}

/// The body of an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code: `bad_request`, `invalid`, `unauthorized`, `forbidden`,
    /// `csrf`, `not_found`, `conflict`, `rate_limited`, `internal`.
    pub code: String,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
    /// For `invalid`: what is wrong with each named field of the request body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One field's problem in an `invalid` error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code: code.into(),
                message: message.into(),
                fields: Vec::new(),
            },
        }
    }

    /// The message for `field`, if the error names it.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.error
            .fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }
}

/// The header the single-page app sends with every state-changing request (CSRF guard).
pub const CSRF_HEADER: &str = "x-atelier-csrf";

/// `POST /api/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// An account as anyone may see it (`GET /api/accounts/{username}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub is_admin: bool,
    /// The instance's own account (owner of the sample designs); it cannot sign in.
    pub is_system: bool,
    pub created_at: String,
}

/// `GET /api/session`, and the answer to signing up or in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub account: Account,
    /// How the request was authenticated: `session` (cookie) or `token`.
    pub via: String,
    /// The scopes of the token, when `via` is `token`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// `POST /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// An API token's public part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The answer to `POST /api/tokens`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: Token,
    /// Send as `Authorization: Bearer <secret>`. Not stored by the server; cannot be shown again.
    pub secret: String,
}

/// `GET /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<Token>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// One of the emails an account commits with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub email: String,
    /// The account's own (sign-up) address, listed first; it cannot be removed.
    pub primary: bool,
    /// No mail can be sent from an instance yet, so addresses are unverified.
    pub verified: bool,
}

/// `GET /api/account/emails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailList {
    pub emails: Vec<Email>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `POST /api/account/emails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEmail {
    pub email: String,
}

/// `PUT /api/account/password`. Every session of the account is revoked afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `GET/PUT /api/designs/{owner}/{slug}/maintainers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintainers {
    /// The owning account (always allowed); not part of `maintainers`.
    pub owner: String,
    pub maintainers: Vec<String>,
}

/// Body of `PUT /api/designs/{owner}/{slug}/maintainers`: the complete new list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintainersUpdate {
    pub maintainers: Vec<String>,
}

/// Someone who authored commits of a design, mapped to an account by commit emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    /// The author name as written in the commits.
    pub name: String,
    /// The account whose commit emails include the author's email; `None` means unclaimed.
    pub account: Option<String>,
    pub commits: u64,
}

/// `GET /api/designs/{owner}/{slug}/contributors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorList {
    pub contributors: Vec<Contributor>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_has_the_documented_shape() {
        let json = serde_json::to_value(ApiError::new("not_found", "no such design")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "no such design"}})
        );
    }

    #[test]
    fn design_list_uses_the_plural_noun() {
        let list = DesignList {
            designs: vec![],
            total: 0,
            page: 1,
            per_page: 30,
        };
        let json = serde_json::to_value(list).unwrap();
        assert!(json.get("designs").is_some_and(|d| d.is_array()));
        assert_eq!(json["per_page"], 30);
    }

    #[test]
    fn sort_parses_lowercase() {
        let sort: DesignSort = serde_json::from_str("\"name\"").unwrap();
        assert_eq!(sort, DesignSort::Name);
    }
}
