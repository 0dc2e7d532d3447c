//! API tokens: created with scopes and shown once, stored as their sha256, listed without
//! the secret, revoked; a bearer token names its account and scopes.

use std::collections::BTreeSet;

use sqlx::Row as _;

use super::{
    ACCOUNT_COLUMNS_A, Account, Accounts, Error, MAX_TOKENS, Result, Scope, TOKEN_PREFIX, Token,
    account_from, random_hex, secret_hash, split_scopes,
};
use crate::db;

impl Accounts {
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
        } else if scopes.contains(Scope::EventsRead.as_str()) && !account.is_admin {
            return Err(Error::Forbidden(
                "only instance admins may create tokens that read the event log".into(),
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
}
