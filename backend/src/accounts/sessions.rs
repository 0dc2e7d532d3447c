//! Browser sessions: started at sign-in, found by the sha256 of the cookie value, renewed
//! while used (sliding expiry), ended at sign-out.

use super::{
    ACCOUNT_COLUMNS_A, Account, Accounts, Result, SESSION_RENEW_AFTER_SECS, SESSION_TTL_SECS,
    Session, account_from, random_hex, secret_hash,
};
use crate::db;
use sqlx::Row as _;

impl Accounts {
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
}
