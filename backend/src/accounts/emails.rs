//! Commit identities: the emails an account commits with (its sign-up email first), one
//! account per email; how commit authors are matched to accounts.

use std::collections::BTreeSet;

use sqlx::Row as _;

use super::{
    Account, Accounts, Email, Error, MAX_EMAILS, Result, invalid, is_unique_violation,
    normalize_email, taken_email,
};
use crate::db;

impl Accounts {
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
}
