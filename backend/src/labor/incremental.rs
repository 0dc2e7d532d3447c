//! Incremental ledger updates: consumer `labor` of the event log applies each branch move,
//! reading only the commits it newly makes reachable (new commits get entries; known ones may
//! move nearer the root and become validated; a rewritten branch recomputes its network).

use std::collections::BTreeMap;

use sqlx::Row as _;

use super::{Labor, Result, insert_many, ledger};
use crate::events::{Events, Payload, ProposalAction, RefChange};
use crate::store::{self, DesignId};

impl Labor {
    /// Keeps the ledger in step with the repositories: consumer `labor` of the event log
    /// applies every branch change incrementally ([`Labor::apply`]), from its cursor on.
    pub fn follow(&self, events: &Events) -> crate::events::Consumer {
        let labor = self.clone();
        events.follow("labor", move |batch| {
            let labor = labor.clone();
            async move {
                for change in coalesce(batch.iter().filter_map(|e| e.ref_change())) {
                    labor.apply(&change).await?;
                }
                // Review hours are credited (and validated on merge) from the database of
                // record: the proposal's network is recomputed.
                let mut networks = std::collections::BTreeSet::new();
                for event in &batch {
                    if let Payload::Proposal {
                        action: ProposalAction::Reviewed { .. } | ProposalAction::Merged { .. },
                        ..
                    } = event.payload
                    {
                        let (store, design) = (labor.store.clone(), event.design.clone());
                        if let Ok(Ok(lineage)) =
                            tokio::task::spawn_blocking(move || store.lineage(&design)).await
                        {
                            networks.insert(lineage.network);
                        }
                    }
                }
                for network in networks {
                    let _writing = labor.writing.lock().await;
                    let entries = labor.compute_network(&network).await?;
                    labor.replace(&network, &entries).await?;
                }
                Ok(())
            }
        })
    }

    /// Applies one ref change: only the commits it newly makes reachable are read. New commits
    /// get entries; known ones may move to a design nearer the root (a merge upstream) and
    /// become validated (on the root's default branch). A rewritten branch recomputes the
    /// network.
    pub async fn apply(&self, change: &crate::events::RefChange) -> Result<()> {
        if !change.refname.starts_with("refs/heads/") {
            return Ok(());
        }
        let id = change.design.clone();
        // Read, compute and write under the writing lock: a recompute that read the
        // repositories before this change must not replace the network after it.
        let _writing = self.writing.lock().await;
        let store = self.store.clone();
        let (refname, old, new) = (change.refname.clone(), change.old, change.new);
        enum Plan {
            Full(String),
            Walk {
                network: String,
                commits: Vec<store::CommitInfo>,
                validates: bool,
                depth: usize,
                bom: Option<String>,
            },
        }
        let design = id.clone();
        // A new ref: walk from its head down to what the ledger already credits (not to the
        // other refs' heads as they are now: the ledger may lag behind them).
        let credited: Option<std::collections::HashSet<git2::Oid>> = match old {
            Some(_) => None,
            None => {
                let network = {
                    let (store, design) = (store.clone(), design.clone());
                    tokio::task::spawn_blocking(move || store.lineage(&design).map(|l| l.network))
                        .await?
                };
                match network {
                    Ok(network) => Some(self.credited_commits(&network).await?),
                    Err(_) => None,
                }
            }
        };
        let plan = tokio::task::spawn_blocking(move || -> Result<Option<Plan>> {
            if !store.exists(&design) {
                // Gone since (a later event says so): nothing of it to credit.
                return Ok(None);
            }
            let network = store.lineage(&design)?.network;
            let Some(new) = new else {
                return Ok(Some(Plan::Full(network)));
            };
            let commits = match old {
                Some(old) if store.is_ancestor(&network, old, new)? => {
                    store.commits_between(&network, new, &[old])?
                }
                Some(_) => return Ok(Some(Plan::Full(network))),
                None => store.commits_until(&network, new, &credited.unwrap_or_default())?,
            };
            if commits.is_empty() {
                return Ok(None);
            }
            let root = store.network_root(&network)?;
            let validates = root.as_ref() == Some(&design)
                && refname == store::branch_ref(&store.default_branch(&design)?);
            // A squash merge re-attributes the commits it replaces; a changed `.mailmap` on
            // the root's default branch re-attributes the whole network.
            if validates
                && commits.iter().any(|c| {
                    !ledger::squashed_commits(c).is_empty()
                        || store
                            .changed_paths(&network, c.id)
                            .is_ok_and(|paths| paths.iter().any(|p| p == store::mailmap::MAILMAP))
                })
            {
                return Ok(Some(Plan::Full(network)));
            }
            let bom = root
                .and_then(|r| store.record(&r).ok())
                .and_then(|r| r.manifest.ok())
                .and_then(|m| m.bom.first());
            Ok(Some(Plan::Walk {
                network,
                commits,
                validates,
                depth: store.ancestry(&design)?.len(),
                bom,
            }))
        })
        .await??;
        let (network, commits, validates, depth, bom) = match plan {
            None => return Ok(()),
            Some(Plan::Full(network)) => {
                let entries = self.compute_network(&network).await?;
                return self.replace(&network, &entries).await;
            }
            Some(Plan::Walk {
                network,
                commits,
                validates,
                depth,
                bom,
            }) => (network, commits, validates, depth, bom),
        };
        // Which of these commits the ledger already has, and under which design.
        let mut known: BTreeMap<String, String> = BTreeMap::new();
        for chunk in commits.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT DISTINCT commit_id, design FROM labor_entries WHERE network = $1 AND commit_id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(&network);
            for commit in chunk {
                query = query.bind(commit.id.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                known.insert(row.get("commit_id"), row.get("design"));
            }
        }
        let fresh: Vec<store::CommitInfo> = commits
            .iter()
            .filter(|c| !known.contains_key(&c.id.to_string()))
            .cloned()
            .collect();
        let identities = self.identities().await?;
        let (store, policy, net, design) = (
            self.store.clone(),
            self.policy.clone(),
            network.clone(),
            id.to_string(),
        );
        let entries = tokio::task::spawn_blocking(move || -> Result<Vec<ledger::Entry>> {
            // Who is who, by the network root's `.mailmap`, as a full computation maps them.
            let people = store::mailmap::People::parse(
                match store.network_root(&net)? {
                    Some(root) if !store.is_empty(&root)? => store.mailmap(&root)?,
                    _ => None,
                }
                .as_deref(),
            );
            let mut entries = Vec::new();
            for commit in &fresh {
                let mut commit = commit.clone();
                people.apply(&mut commit);
                let commit = &commit;
                entries.extend(ledger::commit_entries(
                    &policy,
                    &identities,
                    &net,
                    &design,
                    commit,
                    validates,
                    bom.as_deref(),
                    || store.changed_paths(&net, commit.id).unwrap_or_default(),
                ));
            }
            Ok(entries)
        })
        .await??;
        // Known commits: nearer the root wins the attribution; the root's default branch validates.
        let mut moves = Vec::new();
        let mut depths: BTreeMap<String, usize> = BTreeMap::new();
        for (commit, current) in &known {
            let current_depth = match depths.get(current) {
                Some(d) => *d,
                None => {
                    let store = self.store.clone();
                    let parsed = DesignId::parse(current)?;
                    let d = tokio::task::spawn_blocking(move || {
                        store.ancestry(&parsed).map(|a| a.len())
                    })
                    .await?
                    .unwrap_or(usize::MAX);
                    depths.insert(current.clone(), d);
                    d
                }
            };
            if (depth, id.to_string()) < (current_depth, current.clone()) {
                moves.push(commit.clone());
            }
        }
        let mut tx = crate::db::begin_write(&self.pool).await?;
        insert_many(&mut tx, &entries).await?;
        for commit in &moves {
            sqlx::query(
                "UPDATE labor_entries SET design = $1 WHERE network = $2 AND commit_id = $3 AND work_type <> 'review'",
            )
            .bind(id.to_string())
            .bind(&network)
            .bind(commit)
            .execute(&mut *tx)
            .await?;
        }
        if validates {
            for commit in known.keys() {
                sqlx::query("UPDATE labor_entries SET status = 'validated' WHERE network = $1 AND commit_id = $2 AND work_type <> 'review'")
                    .bind(&network)
                    .bind(commit)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Labor {
    /// Every commit the ledger credits in `network`.
    async fn credited_commits(
        &self,
        network: &str,
    ) -> Result<std::collections::HashSet<git2::Oid>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT commit_id FROM labor_entries WHERE network = $1")
                .bind(network)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .iter()
            .filter_map(|id| git2::Oid::from_str(id).ok())
            .collect())
    }
}

/// Joins consecutive moves of one ref (`a→b`, `b→c` become `a→c`): the commits `a→c` makes
/// reachable are those both moves did, and a rewrite inside the run is caught by `apply`'s own
/// ancestry check. A backlog (a restart after many commits) is applied in a few steps.
fn coalesce(changes: impl Iterator<Item = RefChange>) -> Vec<RefChange> {
    let mut joined: Vec<RefChange> = Vec::new();
    for change in changes {
        match joined.last_mut() {
            Some(last)
                if last.design == change.design
                    && last.refname == change.refname
                    && last.new.is_some()
                    && last.new == change.old
                    && change.new.is_some() =>
            {
                last.new = change.new;
            }
            _ => joined.push(change),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(design: &str, refname: &str, old: u8, new: u8) -> RefChange {
        let oid = |n: u8| (n > 0).then(|| git2::Oid::from_bytes(&[n; 20]).unwrap());
        RefChange {
            design: DesignId::parse(design).unwrap(),
            refname: refname.into(),
            old: oid(old),
            new: oid(new),
        }
    }

    #[test]
    fn consecutive_moves_of_one_ref_are_joined() {
        let main = "refs/heads/main";
        let joined = coalesce(
            [
                change("a/x", main, 1, 2),
                change("a/x", main, 2, 3),
                change("a/x", "refs/heads/dev", 3, 4),
                change("a/x", main, 3, 5),
                change("b/y", main, 5, 6),
                change("b/y", main, 7, 8),
            ]
            .into_iter(),
        );
        assert_eq!(
            joined,
            [
                change("a/x", main, 1, 3),
                change("a/x", "refs/heads/dev", 3, 4),
                change("a/x", main, 3, 5),
                change("b/y", main, 5, 6),
                change("b/y", main, 7, 8),
            ]
        );
    }
}
