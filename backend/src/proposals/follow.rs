//! Consumer `proposals` of the event log: when a source branch moves, the open proposals it
//! feeds get a new revision (hidden refs, a row, an event); when either side of an open
//! proposal moves, its mergeability is computed again (a three-way merge in memory).
//!
//! Invariant: idempotent — a revision is recorded only for the source branch's head as it is
//! now and only if it differs from the newest revision; a check is skipped when the stored one
//! was made for the same heads.

use std::collections::BTreeSet;

use super::{Check, Proposal, Proposals, Result, blocking};
use crate::db;
use crate::events::{Consumer, Events, Payload, ProposalAction};
use crate::store::{self, DesignId, MergeState};

pub(super) fn start(proposals: &Proposals, events: &Events) -> Consumer {
    let proposals = proposals.clone();
    events.follow("proposals", move |batch| {
        let proposals = proposals.clone();
        async move {
            // (design, number) to check after the batch's revisions are recorded.
            let mut check: BTreeSet<(DesignId, i64)> = BTreeSet::new();
            for event in batch {
                match &event.payload {
                    Payload::RefChange { refname, .. } => {
                        let Some(branch) = refname.strip_prefix("refs/heads/") else {
                            continue;
                        };
                        let (sources, targets) = proposals.touching(&event.design, branch).await?;
                        for proposal in sources {
                            proposals.revise(&proposal, event.actor).await?;
                            check.insert((proposal.design.clone(), proposal.number));
                        }
                        for proposal in targets {
                            check.insert((proposal.design.clone(), proposal.number));
                        }
                    }
                    Payload::Proposal {
                        number,
                        action: ProposalAction::Opened | ProposalAction::Reopened,
                    } => {
                        // The source may have moved while the proposal was being opened or
                        // was closed.
                        if let Some(proposal) = proposals.get(&event.design, *number).await? {
                            proposals.revise(&proposal, event.actor).await?;
                        }
                        check.insert((event.design.clone(), *number));
                    }
                    _ => {}
                }
            }
            for (design, number) in check {
                if let Some(proposal) = proposals.get(&design, number).await? {
                    proposals.check(&proposal).await?;
                }
            }
            Ok(())
        }
    })
}

impl Proposals {
    /// Records the source branch's current head as a new revision, unless it is the newest one
    /// already (or the source is gone: the proposal keeps its last revision).
    async fn revise(&self, proposal: &Proposal, actor: Option<i64>) -> Result<()> {
        let store = self.store.clone();
        let (source, branch, target, target_branch) = (
            proposal.source.clone(),
            proposal.source_branch.clone(),
            proposal.design.clone(),
            proposal.target_branch.clone(),
        );
        let heads = blocking(move || {
            if !store.exists(&source) || !store.exists(&target) {
                return Ok(None);
            }
            let head = store.ref_target(&source, &store::branch_ref(&branch))?;
            let base = store.ref_target(&target, &store::branch_ref(&target_branch))?;
            Ok(head.zip(base))
        })
        .await?;
        let Some((head, base)) = heads else {
            return Ok(());
        };
        if head == proposal.head {
            return Ok(());
        }
        let revision: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(revision), 0) + 1 AS BIGINT) FROM proposal_revisions \
             WHERE design = $1 AND number = $2",
        )
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .fetch_one(&self.pool)
        .await?;
        let store = self.store.clone();
        let (design, number) = (proposal.design.clone(), proposal.number);
        blocking(move || Ok(store.record_proposal_revision(&design, number, revision, head)?))
            .await?;
        let now = db::now();
        let mut tx = db::begin_write(&self.pool).await?;
        sqlx::query(
            "INSERT INTO proposal_revisions (design, number, revision, head, base, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (design, number, revision) DO NOTHING",
        )
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .bind(revision)
        .bind(head.to_string())
        .bind(base.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE proposals SET head = $1, base = $2, updated_at = $3 \
             WHERE design = $4 AND number = $5 AND head = $6 AND state = 'open'",
        )
        .bind(head.to_string())
        .bind(base.to_string())
        .bind(now)
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .bind(proposal.head.to_string())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            // Merged, closed or revised meanwhile: this revision is not recorded.
            tx.rollback().await?;
            return Ok(());
        }
        tx.commit().await?;
        self.announce(actor, proposal, ProposalAction::Revised { revision });
        Ok(())
    }

    /// Computes mergeability for the proposal's newest head and the target's head now, unless
    /// the stored check is for exactly those.
    pub(super) async fn check(&self, proposal: &Proposal) -> Result<()> {
        if proposal.state != super::State::Open {
            return Ok(());
        }
        let Some(base) = self.target_head(proposal).await? else {
            return Ok(());
        };
        if proposal
            .check
            .as_ref()
            .is_some_and(|c| c.base == base && c.head == proposal.head)
        {
            return Ok(());
        }
        let store = self.store.clone();
        let (design, head) = (proposal.design.clone(), proposal.head);
        let result = blocking(move || Ok(store.check_merge(&design, base, head)?)).await?;
        let (state, conflicts) = match result.state {
            MergeState::Clean => ("clean", Vec::new()),
            MergeState::Conflict(paths) => ("conflict", paths),
            MergeState::Empty => ("empty", Vec::new()),
            MergeState::Merged => ("merged", Vec::new()),
        };
        let check = Check {
            head,
            base,
            state: state.into(),
            conflicts,
        };
        sqlx::query(
            "UPDATE proposals SET check_head = $1, check_base = $2, check_state = $3, \
             check_detail = $4 WHERE design = $5 AND number = $6 AND head = $1",
        )
        .bind(check.head.to_string())
        .bind(check.base.to_string())
        .bind(&check.state)
        .bind(check.conflicts.join("\n"))
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
