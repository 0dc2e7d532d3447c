//! The people of the commons: accounts, the emails they commit with, sessions, API tokens,
//! design maintainers and the sign-in rate limit.
//!
//! Invariant: knows nothing about HTTP or git. Secrets (passwords, session ids, tokens) are stored
//! only as hashes and never logged. Password hashing runs on the blocking pool.

mod limiter;
mod password;

use std::collections::BTreeSet;

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

pub use limiter::{Limited, SignInLimiter};

use crate::db::{self, Pool};
use crate::names;

/// How long a session lives without being used.
pub const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;
/// A session used more than this long after its last renewal gets a fresh expiry.
const SESSION_RENEW_AFTER_SECS: i64 = 24 * 3600;
/// Prefix of API tokens, so they are recognisable in a leaked file.
const TOKEN_PREFIX: &str = "atl_";
/// What an API token may do besides identifying its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Design writes: commits, uploads, forks, releases, maintainers.
    DesignsWrite,
    /// Reading the event log (`GET /api/events`).
    EventsRead,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::DesignsWrite, Scope::EventsRead];

    /// The name tokens carry, e.g. `designs:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::DesignsWrite => "designs:write",
            Scope::EventsRead => "events:read",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_EMAILS: i64 = 20;
const MAX_TOKENS: i64 = 50;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; each entry names the field and what is wrong.
    #[error("invalid input")]
    Invalid(Vec<(&'static str, String)>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid(vec![(field, message.into())])
}

/// An account as the rest of the server sees it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    pub is_system: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub email: String,
    pub primary: bool,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A session found by its cookie value. `renewed` is set when its expiry was just extended, so
/// the cookie should be sent again.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub expires_at: i64,
    pub renewed: bool,
}

/// What a caller may do to a design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    None,
    Maintainer,
    Owner,
    /// An instance admin, who may do everything an owner may.
    Admin,
}

/// Accounts, sessions and tokens in the database, plus the in-memory sign-in limiter.
#[derive(Debug, Clone)]
pub struct Accounts {
    pool: Pool,
    pub limiter: SignInLimiter,
}

/// The columns [`account_from`] reads (booleans as integers: see `db`), unqualified and for the
/// table aliased `a`.
const ACCOUNT_COLUMNS: &str = "id, username, CAST(is_admin AS INTEGER) AS is_admin, \
    CAST(is_system AS INTEGER) AS is_system, created_at";
const ACCOUNT_COLUMNS_A: &str = "a.id, a.username, CAST(a.is_admin AS INTEGER) AS is_admin, \
    CAST(a.is_system AS INTEGER) AS is_system, a.created_at";

fn account_from(row: &db::Row) -> Account {
    Account {
        id: row.get("id"),
        username: row.get("username"),
        is_admin: row.get::<i64, _>("is_admin") != 0,
        is_system: row.get::<i64, _>("is_system") != 0,
        created_at: row.get("created_at"),
    }
}

/// Lower-cases and checks an email address; the rule is deliberately simple (no mail is sent).
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(email)
    } else {
        Err("must be an email address such as ada@example.org".into())
    }
}

fn check_password(field: &'static str, password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(invalid(
            field,
            format!("must be at least {MIN_PASSWORD_CHARS} characters long"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(
            field,
            format!("must be at most {MAX_PASSWORD_BYTES} bytes long"),
        ));
    }
    Ok(())
}

/// 128 random bits (sessions) or 256 (tokens) as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex(&buf)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// How secrets are stored: their sha256. They are long random strings, so no salt is needed.
fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

impl Accounts {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            limiter: SignInLimiter::default(),
        }
    }

    /// Creates an account with its first commit email. The first non-system account becomes the
    /// instance admin. Every invalid field is reported at once.
    pub async fn create(&self, username: &str, email: &str, password: &str) -> Result<Account> {
        let mut errors = Vec::new();
        if let Err(why) = names::check_new_username(username) {
            errors.push(("username", format!("username {why}")));
        }
        let email = match normalize_email(email) {
            Ok(email) => email,
            Err(why) => {
                errors.push(("email", format!("email {why}")));
                String::new()
            }
        };
        if let Err(Error::Invalid(mut more)) = check_password("password", password) {
            for (_, why) in &mut more {
                *why = format!("password {why}");
            }
            errors.extend(more);
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.check_free(username, &email).await?;
        let hash = password::hash_blocking(password.to_owned()).await?;

        let now = db::now();
        let mut tx = crate::db::begin_write(&self.pool).await?;
        let humans: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE is_system = FALSE")
                .fetch_one(&mut *tx)
                .await?;
        let has_human = humans > 0;
        let inserted = sqlx::query(&format!(
            "INSERT INTO accounts (username, password_hash, is_admin, is_system, created_at) \
             VALUES ($1, $2, $3, FALSE, $4) RETURNING {ACCOUNT_COLUMNS}"
        ))
        .bind(username)
        .bind(&hash)
        .bind(!has_human)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let account = match inserted {
            Ok(row) => account_from(&row),
            Err(err) if is_unique_violation(&err) => return Err(taken_username(username)),
            Err(err) => return Err(err.into()),
        };
        let email_insert = sqlx::query(
            "INSERT INTO account_emails (email, account_id, position, verified, created_at) \
             VALUES ($1, $2, 0, FALSE, $3)",
        )
        .bind(&email)
        .bind(account.id)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match email_insert {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => return Err(taken_email(&email)),
            Err(err) => return Err(err.into()),
        }
        tx.commit().await?;
        tracing::info!(username, admin = account.is_admin, "account created");
        Ok(account)
    }

    async fn check_free(&self, username: &str, email: &str) -> Result<()> {
        if self.find(username).await?.is_some() {
            return Err(taken_username(username));
        }
        if self.account_for_email(email).await?.is_some() {
            return Err(taken_email(email));
        }
        Ok(())
    }

    /// The system account (owner of imported samples), created on first use. It cannot sign in.
    pub async fn ensure_system(&self, username: &str) -> Result<Account> {
        sqlx::query(
            "INSERT INTO accounts (username, password_hash, is_admin, is_system, created_at) \
             VALUES ($1, '!', FALSE, TRUE, $2) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(db::now())
        .execute(&self.pool)
        .await?;
        self.find(username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("account {username} not found")))
    }

    pub async fn find(&self, username: &str) -> Result<Option<Account>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(account_from))
    }

    /// Checks a username and password. Unknown users cost the same hashing time as wrong
    /// passwords, so timing does not tell which usernames exist.
    pub async fn authenticate(&self, username: &str, password: &str) -> Result<Option<Account>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let (account, hash) = match &row {
            Some(row) if row.get::<i64, _>("is_system") == 0 => (
                Some(account_from(row)),
                Some(row.get::<String, _>("password_hash")),
            ),
            _ => (None, None),
        };
        let ok = password::verify_blocking(password.to_owned(), hash).await?;
        Ok(account.filter(|_| ok))
    }

    /// Grants instance admin rights (the `atelier admin grant` command).
    pub async fn grant_admin(&self, username: &str) -> Result<Account> {
        let updated = sqlx::query(
            "UPDATE accounts SET is_admin = TRUE WHERE username = $1 AND is_system = FALSE",
        )
        .bind(username)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::NotFound(format!("no account named {username}")));
        }
        self.find(username)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no account named {username}")))
    }

    /// Sets (or with `None` clears) the skill level the labor policy applies to an account.
    pub async fn set_skill(&self, username: &str, skill: Option<&str>) -> Result<()> {
        let updated = sqlx::query(
            "UPDATE accounts SET skill_level = $1 WHERE username = $2 AND is_system = FALSE",
        )
        .bind(skill)
        .bind(username)
        .execute(&self.pool)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::NotFound(format!("no account named {username:?}")));
        }
        tracing::info!(username, skill, "skill level set");
        Ok(())
    }

    /// The skill level set for an account, if any.
    pub async fn skill(&self, username: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT skill_level FROM accounts WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Changes the password after checking the current one, and revokes every session.
    pub async fn change_password(&self, account: &Account, current: &str, new: &str) -> Result<()> {
        check_password("new_password", new).map_err(|e| prefix_invalid(e, "new password"))?;
        if self
            .authenticate(&account.username, current)
            .await?
            .is_none()
        {
            return Err(invalid("current_password", "current password is wrong"));
        }
        let hash = password::hash_blocking(new.to_owned()).await?;
        let mut tx = crate::db::begin_write(&self.pool).await?;
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(username = %account.username, "password changed; sessions revoked");
        Ok(())
    }

    // ---- sessions ----

    /// Starts a session; returns the cookie value (shown to nobody else) and its expiry.
    pub async fn create_session(&self, account: &Account) -> Result<(String, i64)> {
        let secret = random_hex(16);
        let now = db::now();
        let expires_at = now + SESSION_TTL_SECS;
        sqlx::query(
            "INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(secret_hash(&secret))
        .bind(account.id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok((secret, expires_at))
    }

    /// The live session for a cookie value, renewed (sliding expiry) when due.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        let now = db::now();
        let hash = secret_hash(secret);
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS_A}, s.expires_at \
             FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2"
        ))
        .bind(&hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account = account_from(&row);
        let mut expires_at: i64 = row.get("expires_at");
        let renewed = expires_at - now < SESSION_TTL_SECS - SESSION_RENEW_AFTER_SECS;
        if renewed {
            expires_at = now + SESSION_TTL_SECS;
            sqlx::query("UPDATE sessions SET expires_at = $1 WHERE id_hash = $2")
                .bind(expires_at)
                .bind(&hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(Session {
            account,
            expires_at,
            renewed,
        }))
    }

    pub async fn delete_session(&self, secret: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(secret_hash(secret))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ---- API tokens ----

    /// Creates a token; returns it with its secret, which is not stored and cannot be shown again.
    pub async fn create_token(
        &self,
        account: &Account,
        name: &str,
        scopes: &[String],
    ) -> Result<(Token, String)> {
        let name = name.trim();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > 100 {
            errors.push(("name", "name must be 1 to 100 characters long".to_owned()));
        }
        let scopes: BTreeSet<&str> = scopes.iter().map(String::as_str).collect();
        if let Some(bad) = scopes.iter().find(|s| Scope::parse(s).is_none()) {
            let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
            errors.push((
                "scopes",
                format!("unknown scope {bad:?} (known: {})", known.join(", ")),
            ));
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE account_id = $1")
                .bind(account.id)
                .fetch_one(&self.pool)
                .await?;
        if count >= MAX_TOKENS {
            return Err(Error::Conflict(format!(
                "an account may hold at most {MAX_TOKENS} tokens; revoke one first"
            )));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_hex(32));
        let scopes_text = scopes.iter().copied().collect::<Vec<_>>().join(" ");
        let now = db::now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (account_id, name, token_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(account.id)
        .bind(name)
        .bind(secret_hash(&secret))
        .bind(&scopes_text)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        tracing::info!(username = %account.username, token_id = id, "API token created");
        Ok((
            Token {
                id,
                name: name.to_owned(),
                scopes: scopes.into_iter().map(str::to_owned).collect(),
                created_at: now,
                last_used_at: None,
            },
            secret,
        ))
    }

    pub async fn tokens(&self, account: &Account) -> Result<Vec<Token>> {
        let rows = sqlx::query(
            "SELECT id, name, scopes, created_at, last_used_at FROM api_tokens \
             WHERE account_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(account.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| Token {
                id: row.get("id"),
                name: row.get("name"),
                scopes: split_scopes(row.get("scopes")),
                created_at: row.get("created_at"),
                last_used_at: row.get("last_used_at"),
            })
            .collect())
    }

    /// Revokes one of the account's tokens; another account's token id is "not found".
    pub async fn delete_token(&self, account: &Account, id: i64) -> Result<()> {
        let deleted = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account.id)
            .execute(&self.pool)
            .await?;
        if deleted.rows_affected() == 0 {
            return Err(Error::NotFound(format!("token {id} not found")));
        }
        Ok(())
    }

    /// The account and scopes of a bearer token, recording its use.
    pub async fn token_account(&self, secret: &str) -> Result<Option<(Account, Vec<String>)>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let hash = secret_hash(secret);
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS_A}, t.scopes \
             FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = $1"
        ))
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(db::now())
            .bind(&hash)
            .execute(&self.pool)
            .await?;
        Ok(Some((account_from(&row), split_scopes(row.get("scopes")))))
    }

    // ---- commit identities ----

    /// The account's commit emails, its own (sign-up) email first.
    pub async fn emails(&self, account: &Account) -> Result<Vec<Email>> {
        let rows = sqlx::query(
            "SELECT email, position, CAST(verified AS INTEGER) AS verified FROM account_emails \
             WHERE account_id = $1 ORDER BY position, email",
        )
        .bind(account.id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| Email {
                email: row.get("email"),
                primary: row.get::<i64, _>("position") == 0,
                verified: row.get::<i64, _>("verified") != 0,
            })
            .collect())
    }

    /// Claims an email for the account's commits. An email another account holds is refused.
    pub async fn add_email(&self, account: &Account, email: &str) -> Result<Email> {
        let email =
            normalize_email(email).map_err(|why| invalid("email", format!("email {why}")))?;
        if let Some(holder) = self.account_for_email(&email).await? {
            return Err(if holder == account.username {
                Error::Conflict(format!("{email} is already one of your emails"))
            } else {
                taken_email(&email)
            });
        }
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM account_emails WHERE account_id = $1")
                .bind(account.id)
                .fetch_one(&self.pool)
                .await?;
        if count >= MAX_EMAILS {
            return Err(Error::Conflict(format!(
                "an account may hold at most {MAX_EMAILS} emails"
            )));
        }
        let inserted = sqlx::query(
            "INSERT INTO account_emails (email, account_id, position, verified, created_at) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM account_emails WHERE account_id = $2), FALSE, $3)",
        )
        .bind(&email)
        .bind(account.id)
        .bind(db::now())
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(Email {
                email,
                primary: false,
                verified: false,
            }),
            Err(err) if is_unique_violation(&err) => Err(taken_email(&email)),
            Err(err) => Err(err.into()),
        }
    }

    /// Removes a claimed email; the account's own email stays.
    pub async fn remove_email(&self, account: &Account, email: &str) -> Result<()> {
        let email = email.trim().to_lowercase();
        let position: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM account_emails WHERE email = $1 AND account_id = $2",
        )
        .bind(&email)
        .bind(account.id)
        .fetch_optional(&self.pool)
        .await?;
        match position {
            None => Err(Error::NotFound(format!(
                "{email} is not one of your emails"
            ))),
            Some(0) => Err(Error::Conflict(format!(
                "{email} is your account's own email and cannot be removed"
            ))),
            Some(_) => {
                sqlx::query("DELETE FROM account_emails WHERE email = $1 AND account_id = $2")
                    .bind(&email)
                    .bind(account.id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    }

    /// The username whose commit emails include `email` (case-insensitive), if any.
    /// The username of each of these account ids (ids that no longer exist are absent).
    pub async fn usernames(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
        let mut names = std::collections::HashMap::new();
        for id in ids.iter().copied().collect::<BTreeSet<i64>>() {
            let name: Option<String> =
                sqlx::query_scalar("SELECT username FROM accounts WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
            names.extend(name.map(|n| (id, n)));
        }
        Ok(names)
    }

    pub async fn account_for_email(&self, email: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT a.username FROM account_emails e JOIN accounts a ON a.id = e.account_id \
             WHERE e.email = $1",
        )
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?)
    }

    // ---- design roles ----

    /// What `account` may do to the design `design_id` (`owner/slug`) owned by `owner`.
    pub async fn role(&self, account: &Account, owner: &str, design_id: &str) -> Result<Role> {
        if account.is_admin {
            return Ok(Role::Admin);
        }
        if account.username == owner {
            return Ok(Role::Owner);
        }
        let maintainer: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM design_maintainers WHERE design = $1 AND account_id = $2",
        )
        .bind(design_id)
        .bind(account.id)
        .fetch_one(&self.pool)
        .await?;
        Ok(if maintainer > 0 {
            Role::Maintainer
        } else {
            Role::None
        })
    }

    /// Usernames of the design's maintainers, sorted.
    pub async fn maintainers(&self, design_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT a.username FROM design_maintainers m JOIN accounts a ON a.id = m.account_id \
             WHERE m.design = $1 ORDER BY a.username",
        )
        .bind(design_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Replaces the maintainer list. Every name must be an existing, non-system account other
    /// than the owner; all unknown names are reported at once and nothing changes.
    pub async fn set_maintainers(
        &self,
        owner: &str,
        design_id: &str,
        usernames: &[String],
    ) -> Result<Vec<String>> {
        let wanted: BTreeSet<&str> = usernames.iter().map(String::as_str).collect();
        if wanted.len() > 100 {
            return Err(invalid("maintainers", "at most 100 maintainers"));
        }
        let mut ids = Vec::new();
        let mut problems = Vec::new();
        for name in &wanted {
            match self.find(name).await? {
                Some(account) if !account.is_system && account.username != owner => {
                    ids.push(account.id)
                }
                Some(account) if account.username == owner => problems.push(format!(
                    "{name} owns the design and needs no maintainer role"
                )),
                _ => problems.push(format!("no account named {name:?}")),
            }
        }
        if !problems.is_empty() {
            return Err(invalid("maintainers", problems.join("; ")));
        }
        let now = db::now();
        let mut tx = crate::db::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM design_maintainers WHERE design = $1")
            .bind(design_id)
            .execute(&mut *tx)
            .await?;
        for id in ids {
            sqlx::query(
                "INSERT INTO design_maintainers (design, account_id, added_at) VALUES ($1, $2, $3)",
            )
            .bind(design_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(wanted.into_iter().map(str::to_owned).collect())
    }
}

fn split_scopes(text: String) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn prefix_invalid(err: Error, what: &str) -> Error {
    match err {
        Error::Invalid(fields) => Error::Invalid(
            fields
                .into_iter()
                .map(|(field, why)| (field, format!("{what} {why}")))
                .collect(),
        ),
        other => other,
    }
}

fn taken_username(username: &str) -> Error {
    Error::Conflict(format!("the username {username:?} is taken"))
}

fn taken_email(email: &str) -> Error {
    Error::Conflict(format!("the email {email} belongs to another account"))
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
