//! Accounts, sessions, API tokens, commit emails, skill levels and maintainers.

use serde::{Deserialize, Serialize};

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
    /// The username, or one of the account's emails.
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

/// `GET /api/session`: who the caller is. Nobody signed in is an answer too (200), with no
/// `account` and `via: "anonymous"`, so a page that only asks logs no error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caller {
    pub account: Option<Account>,
    /// `session` (cookie), `token`, or `anonymous`.
    pub via: String,
    /// The scopes of the token, when `via` is `token`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// The answer to signing up or in (and to changing the password).
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

/// `PUT /api/accounts/{username}/skill` (instance admins): the skill level the labor policy
/// applies; `null` returns to the policy's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillLevel {
    pub skill: Option<String>,
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
