//! Landing a proposal: [`may_merge`] (the one place merge decisions are made; approvals and
//! labor-weighted votes plug in here later), the merge itself by one of three methods, and
//! "update from upstream" on the source branch.
//!
//! Invariant: a merge is checked again at the moment it happens (never from a stored check),
//! names the target head it expects, and moves the branch only by compare-and-swap.

use std::collections::BTreeMap;

use git2::Oid;

use super::{Error, Proposal, Proposals, Result, State, blocking, delta};
use crate::accounts::Role;
use crate::events::ProposalAction;
use crate::labor::trailers::{CO_AUTHOR, HOURS, SQUASHED};
use crate::store::{self, MergeError, MergeRequest, MergeState, Method, Person, Resolution};

/// Whether a merge may happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Why not, in words for the caller.
    Denied(String),
}

/// Decides whether `role` may merge `proposal` now. Today: the target's maintainers (and its
/// owner and admins) merge open, non-draft proposals.
pub fn may_merge(proposal: &Proposal, role: Role) -> Verdict {
    if role < Role::Maintainer {
        return Verdict::Denied(format!(
            "only the owner and maintainers of {} may merge proposals",
            proposal.design
        ));
    }
    match proposal.state {
        State::Open if proposal.draft => Verdict::Denied(format!(
            "proposal #{} is a draft: mark it ready for review first",
            proposal.number
        )),
        State::Open => Verdict::Allowed,
        State::Merged => {
            Verdict::Denied(format!("proposal #{} is merged already", proposal.number))
        }
        State::Closed => Verdict::Denied(format!("proposal #{} is closed", proposal.number)),
    }
}

/// What a merge asks for.
#[derive(Debug, Clone)]
pub struct MergeAsk {
    pub method: Method,
    pub expected_head: Oid,
    /// The proposal head the merger reviewed, when given.
    pub reviewed_head: Option<Oid>,
    pub message: Option<String>,
    /// The caller has seen that the proposal changes the license and merges anyway.
    pub confirm_license_change: bool,
    /// The proposer's commit identity: the author of a squash commit.
    pub proposer: Person,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    pub commit: Oid,
    pub proposal: Proposal,
}

fn merge_error(err: MergeError) -> Error {
    match err {
        MergeError::Moved { branch, current } => Error::Conflict(format!(
            "branch {branch} has moved: its head is now {current}; review the proposal again"
        )),
        MergeError::Conflicts(paths) => Error::Conflict(format!(
            "the proposal conflicts with its target in {}: update it from upstream first",
            paths.join(", ")
        )),
        MergeError::AlreadyMerged(branch) => {
            Error::Conflict(format!("the proposal's changes are already on {branch}"))
        }
        MergeError::NotFastForward(branch) => Error::NotAllowed(format!(
            "{branch} has commits the proposal lacks: fast-forward is impossible; use a merge commit or squash, or update the proposal from upstream"
        )),
        MergeError::Store(err) => Error::Store(err),
    }
}

impl Proposals {
    /// Merges `proposal` by `merger` (with `role` on the target), as `ask` says.
    pub async fn merge(
        &self,
        proposal: &Proposal,
        merger: i64,
        role: Role,
        person: Person,
        ask: MergeAsk,
    ) -> Result<MergeOutcome> {
        if let Verdict::Denied(why) = may_merge(proposal, role) {
            return Err(if role < Role::Maintainer {
                Error::NotAllowed(why)
            } else {
                Error::Conflict(why)
            });
        }
        if let Some(reviewed) = ask.reviewed_head
            && reviewed != proposal.head
        {
            return Err(Error::Conflict(format!(
                "proposal #{} has a newer revision (head {}) than the one reviewed ({reviewed}); review it again",
                proposal.number, proposal.head
            )));
        }
        let current = self
            .target_head(proposal)
            .await?
            .ok_or_else(|| Error::Conflict(format!("branch {} is gone", proposal.target_branch)))?;
        if current != ask.expected_head {
            return Err(Error::Conflict(format!(
                "branch {} has moved: its head is now {current}, not {}; review the proposal again",
                proposal.target_branch, ask.expected_head
            )));
        }
        let store = self.store.clone();
        let (design, head) = (proposal.design.clone(), proposal.head);
        let check = blocking(move || Ok(store.check_merge(&design, current, head)?)).await?;
        match &check.state {
            MergeState::Clean => {}
            MergeState::Conflict(paths) => {
                return Err(merge_error(MergeError::Conflicts(paths.clone())));
            }
            MergeState::Empty => {
                return Err(Error::Conflict(
                    "the proposal changes nothing in its target: close it instead".into(),
                ));
            }
            MergeState::Merged => {
                return Err(merge_error(MergeError::AlreadyMerged(
                    proposal.target_branch.clone(),
                )));
            }
        }
        let manifest = delta::manifest_delta(&check.manifest.0, &check.manifest.1);
        if let Some(problem) = &manifest.problem
            && !ask.confirm_license_change
        {
            return Err(Error::NotAllowed(format!(
                "{problem}: the license after the merge cannot be read; fix okh.toml, or merge with confirm_license_change set"
            )));
        }
        if let Some((before, after)) = &manifest.license_change
            && !ask.confirm_license_change
        {
            return Err(Error::NotAllowed(format!(
                "the proposal changes the license from {} to {}: merge it with confirm_license_change set, after the community agreed",
                before.as_deref().unwrap_or("none"),
                after.as_deref().unwrap_or("none")
            )));
        }
        let message = match (&ask.message, ask.method) {
            (Some(message), _) if !message.trim().is_empty() => message.trim().to_owned(),
            (_, Method::Squash) => format!("{} (#{})", proposal.title, proposal.number),
            _ => format!(
                "Merge proposal #{} from {}\n\n{}",
                proposal.number,
                proposal.head_label(),
                proposal.title
            ),
        };
        if message.contains('\0') {
            return Err(Error::Invalid("message", "the message contains NUL".into()));
        }
        let message = if ask.method == Method::Squash {
            self.squash_message(proposal, current, message).await?
        } else {
            message
        };
        let author = if ask.method == Method::Squash {
            ask.proposer.clone()
        } else {
            person.clone()
        };
        let request = MergeRequest {
            branch: proposal.target_branch.clone(),
            expected_head: current,
            head: proposal.head,
            method: ask.method,
            message,
            author,
            committer: person,
        };
        let store = self.store.acting(Some(merger));
        let design = proposal.design.clone();
        let commit =
            crate::work::run_write(&design.to_string(), move || store.merge(&design, &request))
                .await?
                .map_err(merge_error)?;
        let method = match ask.method {
            Method::Merge => "merge",
            Method::Squash => "squash",
            Method::FastForward => "fast_forward",
        };
        let now = crate::db::now();
        sqlx::query(
            "UPDATE proposals SET state = 'merged', merged_commit = $1, merged_by = $2, \
             merge_method = $3, closed_at = $4, updated_at = $4, merged_base = $7 \
             WHERE design = $5 AND number = $6 AND state = 'open'",
        )
        .bind(commit.to_string())
        .bind(merger)
        .bind(method)
        .bind(now)
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .bind(current.to_string())
        .execute(&self.pool)
        .await?;
        let merged = self.require(&proposal.design, proposal.number).await?;
        self.announce(Some(merger), &merged, ProposalAction::Merged { commit });
        Ok(MergeOutcome {
            commit,
            proposal: merged,
        })
    }

    /// `message`, then a `Co-authored-by` for every author of the proposal's commits, the
    /// hours the ledger credits each of them (`Labor-Hours: a@x=2, b@y=1`) and one
    /// [`SQUASHED`] trailer per replaced commit.
    async fn squash_message(
        &self,
        proposal: &Proposal,
        base: Oid,
        message: String,
    ) -> Result<String> {
        let store = self.store.clone();
        let design = proposal.design.clone();
        let head = proposal.head;
        let (network, commits) = blocking(move || {
            let network = store.lineage(&design)?.network;
            let commits = store.commits_between(&network, head, &[base])?;
            Ok((network, commits))
        })
        .await?;
        let ids: std::collections::HashSet<String> =
            commits.iter().map(|c| c.id.to_string()).collect();
        let mut hours: BTreeMap<String, (String, f64)> = BTreeMap::new();
        for entry in self.labor.stored(&network).await? {
            // Review entries carry the reviewed head's id; they are not the commits' work.
            if ids.contains(&entry.commit) && entry.work_type != "review" {
                let slot = hours
                    .entry(entry.contributor_email.clone())
                    .or_insert((entry.contributor_name.clone(), 0.0));
                slot.1 += entry.hours;
            }
        }
        for commit in &commits {
            hours
                .entry(commit.author.email.to_lowercase())
                .or_insert((commit.author.name.clone(), 0.0));
        }
        let mut text = format!("{}\n\n", message.trim_end());
        for (email, (name, _)) in &hours {
            text.push_str(&format!("{CO_AUTHOR}: {name} <{email}>\n"));
        }
        let per_person: Vec<String> = hours
            .iter()
            .filter(|(_, (_, h))| *h > 0.0)
            .map(|(email, (_, h))| format!("{email}={}", crate::labor::round(*h)))
            .collect();
        if !per_person.is_empty() {
            text.push_str(&format!("{HOURS}: {}\n", per_person.join(", ")));
        }
        for commit in &commits {
            text.push_str(&format!("{SQUASHED}: {}\n", commit.id));
        }
        Ok(text)
    }

    /// "Update from upstream": merges the target's head into the source branch (a merge commit
    /// by `person` on the fork), with a resolution for every conflicted path. The caller must
    /// be able to write the source design.
    pub async fn update_from_upstream(
        &self,
        proposal: &Proposal,
        actor: i64,
        person: Person,
        expected_head: Oid,
        resolutions: BTreeMap<String, Resolution>,
    ) -> Result<Oid> {
        if proposal.state != State::Open {
            return Err(Error::Conflict(format!(
                "proposal #{} is {}",
                proposal.number,
                proposal.state.as_str()
            )));
        }
        let upstream = self
            .target_head(proposal)
            .await?
            .ok_or_else(|| Error::Conflict(format!("branch {} is gone", proposal.target_branch)))?;
        let store = self.store.acting(Some(actor));
        let (source, branch) = (proposal.source.clone(), proposal.source_branch.clone());
        let message = format!(
            "Merge {}:{} into {}",
            proposal.design, proposal.target_branch, proposal.source_branch
        );
        if !self.store.exists(&source) {
            return Err(Error::Conflict(format!(
                "{source}, the proposal's source, is gone"
            )));
        }
        crate::work::run_write(&source.to_string(), move || {
            store.merge_upstream(
                &source,
                &branch,
                expected_head,
                upstream,
                &resolutions,
                &person,
                &message,
            )
        })
        .await?
        .map_err(merge_error)
    }

    /// The conflicted file `path` as text with conflict markers, for editing.
    pub async fn conflict_text(&self, proposal: &Proposal, path: &str) -> Result<Option<String>> {
        store::paths::validate(path).map_err(|e| Error::Invalid("path", e.to_string()))?;
        let upstream = self
            .target_head(proposal)
            .await?
            .ok_or_else(|| Error::Conflict(format!("branch {} is gone", proposal.target_branch)))?;
        let store = self.store.clone();
        let (design, head, path) = (proposal.design.clone(), proposal.head, path.to_owned());
        blocking(move || Ok(store.conflict_text(&design, head, upstream, &path)?)).await
    }
}
