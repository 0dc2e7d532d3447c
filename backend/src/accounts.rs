//! The people of the commons: accounts, the emails they commit with, sessions, API tokens,
//! design maintainers and the sign-in rate limit.
//!
//! Invariant: knows nothing about HTTP or git. Secrets (passwords, session ids, tokens) are stored
//! only as hashes and never logged. Password hashing runs on the blocking pool.

mod emails;
mod limiter;
mod password;
mod roles;
mod sessions;
mod tokens;

use argon2::password_hash::rand_core::{OsRng, RngCore as _};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

pub use limiter::{Attempt, Limited, Limiter, SignInLimiter};

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
    /// Too many password checks at once: retry in a moment.
    #[error("the server is checking too many passwords at once; try again in a moment")]
    Busy,
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

/// Sign-ups one client address may make in an hour.
pub const SIGN_UPS_PER_HOUR: usize = 20;
/// Designs one account may create or fork in an hour (each makes repositories on disk).
pub const DESIGNS_PER_HOUR: usize = 60;

/// Accounts, sessions and tokens in the database, plus the in-memory rate limiters.
#[derive(Debug, Clone)]
pub struct Accounts {
    pool: Pool,
    pub limiter: SignInLimiter,
    /// Sign-ups per client address.
    pub sign_ups: Limiter,
    /// Failed password changes per account.
    pub password_changes: Limiter,
    /// Designs created or forked per account ([`DESIGNS_PER_HOUR`] an hour).
    pub new_designs: Limiter,
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

/// Lower-cases and checks an email address; the rule is deliberately simple (no mail is sent),
/// but it is always one git can put in a commit signature (no `<`, `>`, whitespace or control
/// characters).
pub fn normalize_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
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
            sign_ups: Limiter::new(SIGN_UPS_PER_HOUR, std::time::Duration::from_secs(3600)),
            password_changes: Limiter::new(10, std::time::Duration::from_secs(300)),
            new_designs: Limiter::new(DESIGNS_PER_HOUR, std::time::Duration::from_secs(3600)),
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

    /// Checks a login (a username, or one of the account's emails) and password. Unknown users cost the same hashing time as wrong
    /// passwords, so timing does not tell which usernames exist.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<Option<Account>> {
        // A login with '@' is one of the account's emails (each belongs to one account).
        let row = if login.contains('@') {
            sqlx::query(&format!(
                "SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE id = \
                 (SELECT account_id FROM account_emails WHERE email = $1)"
            ))
            .bind(login.trim().to_lowercase())
            .fetch_optional(&self.pool)
            .await?
        } else {
            sqlx::query(&format!(
                "SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE username = $1"
            ))
            .bind(login)
            .fetch_optional(&self.pool)
            .await?
        };
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

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_ones_git_can_sign_with() {
        assert_eq!(
            normalize_email(" Ada@Example.org ").unwrap(),
            "ada@example.org"
        );
        for bad in [
            "ada<evil>@example.org",
            "ada>@example.org",
            "ada@exa\nmple.org",
            "ada@",
            "@example.org",
            "ada example.org",
            "a@b@c",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
        // git itself takes what is accepted.
        let email = normalize_email("o'brien+lamp@example.org").unwrap();
        assert!(git2::Signature::now("O'Brien", &email).is_ok());
    }
}
