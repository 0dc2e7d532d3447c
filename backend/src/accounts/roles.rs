//! Roles on a design (owner, maintainer, admin) and the maintainer lists.

use std::collections::BTreeSet;

use super::{Account, Accounts, Result, Role, invalid};
use crate::db;

impl Accounts {
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
