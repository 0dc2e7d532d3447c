//! Change proposals: a branch of a design of the same fork network (a fork, or the target
//! itself) proposed into a branch of the target design; numbered per target design.
//!
//! The conversation (title, body, state, revisions, reviews, line comments) is the database of
//! record; the proposal's commits are kept under hidden refs of the target repository
//! (`refs/proposals/{n}/head` and `.../rev/{k}`, mirrored to the pool), so a proposal outlives
//! its fork. Consumer `proposals` of the event log records a revision whenever the source branch
//! moves and recomputes mergeability whenever either side moves ([`follow`]); nothing is
//! checked in a handler. [`merge`] lands a proposal; [`may_merge`] is where decision rules plug
//! in; [`reviews`] holds reviews and comments; [`delta`] the manifest and BOM deltas.
//!
//! Invariant: knows nothing about HTTP; every change of a proposal appends a
//! [`Payload::Proposal`] event.

pub mod delta;
mod follow;
pub mod merge;
pub mod reviews;

use git2::Oid;
use sqlx::Row as _;

pub use merge::{MergeOutcome, Verdict, may_merge};
pub use reviews::{Comment, NewComment, Review, Side, Verdict as ReviewVerdict};

use crate::db::{self, Pool};
use crate::events::{Consumer, Events, Payload, ProposalAction};
use crate::labor::Labor;
use crate::store::{self, DesignId, Store};

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest body or comment, in bytes.
pub const MAX_BODY: usize = 65_536;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field breaks a rule: (field, message).
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("{0}")]
    NotFound(String),
    /// Conflicts with the current state (a duplicate, a moved head, not mergeable).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this to the proposal.
    #[error("{0}")]
    Forbidden(String),
    /// The requested method cannot be used for this proposal.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Labor(#[from] crate::labor::Error),
    #[error(transparent)]
    Join(#[from] tokio::task::JoinError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    Closed,
    Merged,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
            State::Merged => "merged",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "closed" => State::Closed,
            "merged" => State::Merged,
            _ => State::Open,
        }
    }
}

/// The last mergeability check, for the heads it was computed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub head: Oid,
    pub base: Oid,
    /// `clean`, `conflict`, `empty` or `merged`.
    pub state: String,
    pub conflicts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub design: DesignId,
    pub number: i64,
    pub title: String,
    pub body: String,
    pub author_id: i64,
    pub author: String,
    pub state: State,
    pub draft: bool,
    pub source: DesignId,
    pub source_branch: String,
    pub target_branch: String,
    /// The newest revision's head.
    pub head: Oid,
    /// The target's head when that revision was recorded.
    pub base: Oid,
    pub check: Option<Check>,
    pub merged_commit: Option<Oid>,
    /// The target's head just before the merge.
    pub merged_base: Option<Oid>,
    pub merged_by: Option<String>,
    pub merge_method: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

/// Mergeability as the API reports it: the stored check if it was made for the current heads,
/// else `checking`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mergeability {
    /// `clean`, `conflict`, `empty`, `merged` or `checking`.
    pub state: String,
    pub conflicts: Vec<String>,
}

impl Proposal {
    /// Mergeability against `target_head`, the target branch's head now.
    pub fn mergeability(&self, target_head: Option<Oid>) -> Mergeability {
        if self.state == State::Merged {
            return Mergeability {
                state: "merged".into(),
                conflicts: Vec::new(),
            };
        }
        match &self.check {
            Some(check) if Some(check.base) == target_head && check.head == self.head => {
                Mergeability {
                    state: check.state.clone(),
                    conflicts: check.conflicts.clone(),
                }
            }
            _ => Mergeability {
                state: "checking".into(),
                conflicts: Vec::new(),
            },
        }
    }

    /// The target head the proposal is compared against: the target's head before the merge
    /// once merged, else `target_head` (the head now).
    pub fn compared_base(&self, target_head: Option<Oid>) -> Option<Oid> {
        match self.merged_commit {
            Some(_) => self.merged_base,
            None => target_head,
        }
    }

    /// `owner/slug:branch` of the source.
    pub fn head_label(&self) -> String {
        format!("{}:{}", self.source, self.source_branch)
    }
}

/// One recorded move of the source branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision: i64,
    pub head: Oid,
    pub base: Oid,
    pub created_at: i64,
}

/// A new proposal.
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub title: String,
    pub body: String,
    pub source: DesignId,
    pub source_branch: String,
    pub target_branch: String,
    pub draft: bool,
}

/// What an edit changes; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub title: Option<String>,
    pub body: Option<String>,
    pub draft: Option<bool>,
    /// `Open` reopens, `Closed` closes; `Merged` is refused (merging is [`Proposals::merge`]).
    pub state: Option<State>,
}

/// Which proposals a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Open,
    Closed,
    Merged,
    All,
}

/// Proposal counts of a design by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub open: i64,
    pub closed: i64,
    pub merged: i64,
}

/// The proposals service.
#[derive(Debug, Clone)]
pub struct Proposals {
    pool: Pool,
    store: Store,
    events: Events,
    labor: Labor,
    consumer: Option<Consumer>,
}

const COLUMNS: &str = "p.design, p.number, p.title, p.body, p.author, a.username, p.state, \
    CAST(p.draft AS INTEGER) AS draft, p.source_design, p.source_branch, p.target_branch, p.head, \
    p.base, p.check_head, p.check_base, p.check_state, p.check_detail, p.merged_commit, p.merged_base, \
    m.username AS merged_by, p.merge_method, p.created_at, p.updated_at, p.closed_at";
const FROM: &str = "proposals p JOIN accounts a ON a.id = p.author \
    LEFT JOIN accounts m ON m.id = p.merged_by";

fn oid(text: &str) -> Oid {
    Oid::from_str(text).unwrap_or_else(|_| Oid::zero())
}

fn proposal_from(row: &db::Row) -> Proposal {
    let text = |name: &str| -> String { row.get(name) };
    let opt = |name: &str| -> Option<String> { row.get(name) };
    let check = match (opt("check_head"), opt("check_base"), opt("check_state")) {
        (Some(head), Some(base), Some(state)) => Some(Check {
            head: oid(&head),
            base: oid(&base),
            state,
            conflicts: opt("check_detail")
                .map(|d| d.lines().map(str::to_owned).collect())
                .unwrap_or_default(),
        }),
        _ => None,
    };
    let id = |name: &str| DesignId::parse(&text(name)).unwrap_or_else(|_| unreachable_id());
    Proposal {
        design: id("design"),
        number: row.get("number"),
        title: text("title"),
        body: text("body"),
        author_id: row.get("author"),
        author: text("username"),
        state: State::parse(&text("state")),
        draft: row.get::<i64, _>("draft") != 0,
        source: id("source_design"),
        source_branch: text("source_branch"),
        target_branch: text("target_branch"),
        head: oid(&text("head")),
        base: oid(&text("base")),
        check,
        merged_commit: opt("merged_commit").map(|c| oid(&c)),
        merged_base: opt("merged_base").map(|c| oid(&c)),
        merged_by: opt("merged_by"),
        merge_method: opt("merge_method"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        closed_at: row.get("closed_at"),
    }
}

/// Stored ids were validated when written; a row that fails to parse names no real design.
fn unreachable_id() -> DesignId {
    DesignId::new("invalid", "invalid").expect("a valid id")
}

fn check_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Error::Invalid("title", "the title is empty".into()));
    }
    if title.chars().count() > MAX_TITLE || title.contains(char::is_control) {
        return Err(Error::Invalid(
            "title",
            format!("the title must be one line of at most {MAX_TITLE} characters"),
        ));
    }
    Ok(title.to_owned())
}

pub(crate) fn check_body(field: &'static str, body: &str) -> Result<()> {
    if body.len() > MAX_BODY || body.contains('\0') {
        return Err(Error::Invalid(
            field,
            format!("the {field} must be text of at most {MAX_BODY} bytes"),
        ));
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    crate::work::run(crate::work::Kind::Read, work).await?
}

impl Proposals {
    /// The service, with consumer `proposals` following `events` (revisions, mergeability).
    pub fn follow(pool: Pool, store: Store, events: &Events, labor: Labor) -> Self {
        let mut proposals = Self {
            pool,
            store,
            events: events.clone(),
            labor,
            consumer: None,
        };
        proposals.consumer = Some(follow::start(&proposals, events));
        proposals
    }

    /// The service without its consumer (tools and benchmarks that never move refs).
    pub fn read_only(pool: Pool, store: Store, events: &Events, labor: Labor) -> Self {
        Self {
            pool,
            store,
            events: events.clone(),
            labor,
            consumer: None,
        }
    }

    pub fn consumer(&self) -> Option<&Consumer> {
        self.consumer.as_ref()
    }

    fn announce(&self, actor: Option<i64>, proposal: &Proposal, action: ProposalAction) {
        self.events.append(
            actor,
            &proposal.design,
            Payload::Proposal {
                number: proposal.number,
                action,
            },
        );
    }

    /// Opens a proposal of `new.source:new.source_branch` into `target:new.target_branch` by
    /// `author`; its first revision is the source branch's head now.
    pub async fn create(
        &self,
        target: &DesignId,
        author: i64,
        new: NewProposal,
    ) -> Result<Proposal> {
        let title = check_title(&new.title)?;
        check_body("body", &new.body)?;
        let store = self.store.clone();
        let (t, s) = (target.clone(), new.source.clone());
        let (source_branch, target_branch) = (new.source_branch.clone(), new.target_branch.clone());
        let (head, base) = blocking(move || {
            if !store.exists(&s) {
                return Err(Error::Invalid("head", format!("design {s} not found")));
            }
            if store.lineage(&s)?.network != store.lineage(&t)?.network {
                return Err(Error::Invalid(
                    "head",
                    format!(
                        "{s} is not in the fork network of {t}: fork {t} and propose from the fork"
                    ),
                ));
            }
            let branch = |id: &DesignId, name: &str, field| -> Result<Oid> {
                store
                    .ref_target(id, &store::branch_ref(name))?
                    .ok_or_else(|| Error::Invalid(field, format!("{id} has no branch {name:?}")))
            };
            let head = branch(&s, &source_branch, "head")?;
            let base = branch(&t, &target_branch, "base")?;
            if s == t && source_branch == target_branch {
                return Err(Error::Invalid(
                    "head",
                    "a branch cannot be proposed into itself".into(),
                ));
            }
            Ok((head, base))
        })
        .await?;
        let now = db::now();
        let mut tx = db::begin_write(&self.pool).await?;
        let duplicate: Option<i64> = sqlx::query_scalar(
            "SELECT number FROM proposals WHERE design = $1 AND source_design = $2 \
             AND source_branch = $3 AND target_branch = $4 AND state = 'open'",
        )
        .bind(target.to_string())
        .bind(new.source.to_string())
        .bind(&new.source_branch)
        .bind(&new.target_branch)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(number) = duplicate {
            return Err(Error::Conflict(format!(
                "proposal #{number} already proposes {}:{} into {}",
                new.source, new.source_branch, new.target_branch
            )));
        }
        let number: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) FROM proposals WHERE design = $1",
        )
        .bind(target.to_string())
        .fetch_one(&mut *tx)
        .await?;
        // The refs first: a number whose rows never commit is reused, and its refs overwritten.
        let store = self.store.clone();
        let t = target.clone();
        blocking(move || Ok(store.record_proposal_revision(&t, number, 1, head)?)).await?;
        sqlx::query(
            "INSERT INTO proposals (design, number, title, body, author, state, draft, \
             source_design, source_branch, target_branch, head, base, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $10, $11, $12, $12)",
        )
        .bind(target.to_string())
        .bind(number)
        .bind(&title)
        .bind(&new.body)
        .bind(author)
        .bind(new.draft)
        .bind(new.source.to_string())
        .bind(&new.source_branch)
        .bind(&new.target_branch)
        .bind(head.to_string())
        .bind(base.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO proposal_revisions (design, number, revision, head, base, created_at) \
             VALUES ($1, $2, 1, $3, $4, $5)",
        )
        .bind(target.to_string())
        .bind(number)
        .bind(head.to_string())
        .bind(base.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let proposal = self.require(target, number).await?;
        self.announce(Some(author), &proposal, ProposalAction::Opened);
        Ok(proposal)
    }

    pub async fn get(&self, design: &DesignId, number: i64) -> Result<Option<Proposal>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE p.design = $1 AND p.number = $2"
        ))
        .bind(design.to_string())
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(proposal_from))
    }

    pub async fn require(&self, design: &DesignId, number: i64) -> Result<Proposal> {
        self.get(design, number)
            .await?
            .ok_or_else(|| Error::NotFound(format!("proposal #{number} of {design} not found")))
    }

    /// A page of a design's proposals, newest first, with the total.
    pub async fn list(
        &self,
        design: &DesignId,
        filter: Filter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Proposal>, i64)> {
        let state = match filter {
            Filter::Open => "open",
            Filter::Closed => "closed",
            Filter::Merged => "merged",
            Filter::All => "",
        };
        let condition = "p.design = $1 AND ($2 = '' OR p.state = $2)";
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {condition} ORDER BY p.number DESC LIMIT $3 OFFSET $4"
        ))
        .bind(design.to_string())
        .bind(state)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM proposals p WHERE {condition}"
        ))
        .bind(design.to_string())
        .bind(state)
        .fetch_one(&self.pool)
        .await?;
        Ok((rows.iter().map(proposal_from).collect(), total))
    }

    pub async fn counts(&self, design: &DesignId) -> Result<Counts> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM proposals WHERE design = $1 GROUP BY state",
        )
        .bind(design.to_string())
        .fetch_all(&self.pool)
        .await?;
        let mut counts = Counts::default();
        for (state, n) in rows {
            match State::parse(&state) {
                State::Open => counts.open = n,
                State::Closed => counts.closed = n,
                State::Merged => counts.merged = n,
            }
        }
        Ok(counts)
    }

    /// Open proposals whose source is `design:branch`, or whose target is.
    pub(crate) async fn touching(
        &self,
        design: &DesignId,
        branch: &str,
    ) -> Result<(Vec<Proposal>, Vec<Proposal>)> {
        let fetch = |condition: &'static str| {
            let sql = format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE p.state = 'open' AND {condition} ORDER BY p.design, p.number"
            );
            let pool = self.pool.clone();
            let (design, branch) = (design.to_string(), branch.to_owned());
            async move {
                let rows = sqlx::query(&sql)
                    .bind(design)
                    .bind(branch)
                    .fetch_all(&pool)
                    .await?;
                Ok::<_, sqlx::Error>(rows.iter().map(proposal_from).collect::<Vec<_>>())
            }
        };
        let sources = fetch("p.source_design = $1 AND p.source_branch = $2").await?;
        let targets = fetch("p.design = $1 AND p.target_branch = $2").await?;
        Ok((sources, targets))
    }

    /// Changes title, body, draft flag or state (close, reopen).
    pub async fn edit(
        &self,
        design: &DesignId,
        number: i64,
        actor: i64,
        edit: Edit,
    ) -> Result<Proposal> {
        let current = self.require(design, number).await?;
        let title = edit.title.as_deref().map(check_title).transpose()?;
        if let Some(body) = &edit.body {
            check_body("body", body)?;
        }
        let mut action = ProposalAction::Edited;
        let mut state = current.state;
        let mut closed_at = current.closed_at;
        match edit.state {
            None => {}
            Some(State::Merged) => {
                return Err(Error::Invalid(
                    "state",
                    "a proposal is merged with PUT .../merge, not by editing its state".into(),
                ));
            }
            // (`Merged` was refused above.)
            Some(_) if current.state == State::Merged => {
                return Err(Error::Conflict(format!(
                    "proposal #{number} is merged; it cannot be closed or reopened"
                )));
            }
            Some(State::Closed) if current.state == State::Open => {
                state = State::Closed;
                closed_at = Some(db::now());
                action = ProposalAction::Closed;
            }
            Some(State::Open) if current.state == State::Closed => {
                state = State::Open;
                closed_at = None;
                action = ProposalAction::Reopened;
            }
            Some(_) => {}
        }
        // Only the fields asked for change, and only from the state read: a merge or close
        // meanwhile is never overwritten.
        let mut tx = db::begin_write(&self.pool).await?;
        if action == ProposalAction::Reopened {
            reopenable(&mut tx, &current).await?;
        }
        let updated = sqlx::query(
            "UPDATE proposals SET title = COALESCE($1, title), body = COALESCE($2, body), \
             draft = COALESCE($3, draft), state = $4, closed_at = $5, updated_at = $6 \
             WHERE design = $7 AND number = $8 AND state = $9",
        )
        .bind(title)
        .bind(edit.body)
        .bind(edit.draft)
        .bind(state.as_str())
        .bind(closed_at)
        .bind(db::now())
        .bind(design.to_string())
        .bind(number)
        .bind(current.state.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::Conflict(format!(
                "proposal #{number} changed meanwhile (it was {}); reload it",
                current.state.as_str()
            )));
        }
        tx.commit().await?;
        let proposal = self.require(design, number).await?;
        self.announce(Some(actor), &proposal, action);
        Ok(proposal)
    }

    pub async fn revisions(&self, design: &DesignId, number: i64) -> Result<Vec<Revision>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT revision, head, base, created_at FROM proposal_revisions \
             WHERE design = $1 AND number = $2 ORDER BY revision",
        )
        .bind(design.to_string())
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(revision, head, base, created_at)| Revision {
                revision,
                head: oid(&head),
                base: oid(&base),
                created_at,
            })
            .collect())
    }

    /// The target branch's head now, if the branch exists.
    pub async fn target_head(&self, proposal: &Proposal) -> Result<Option<Oid>> {
        let store = self.store.clone();
        let (design, branch) = (proposal.design.clone(), proposal.target_branch.clone());
        blocking(
            move || match store.ref_target(&design, &store::branch_ref(&branch)) {
                Ok(head) => Ok(head),
                // A target design that is gone has no branch to merge into.
                Err(store::Error::NotFound(_)) => Ok(None),
                Err(err) => Err(err.into()),
            },
        )
        .await
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// A closed proposal reopens only while no other open proposal has the same branches.
async fn reopenable(tx: &mut sqlx::Transaction<'_, db::Db>, proposal: &Proposal) -> Result<()> {
    let other: Option<i64> = sqlx::query_scalar(
        "SELECT number FROM proposals WHERE design = $1 AND source_design = $2 \
         AND source_branch = $3 AND target_branch = $4 AND state = 'open'",
    )
    .bind(proposal.design.to_string())
    .bind(proposal.source.to_string())
    .bind(&proposal.source_branch)
    .bind(&proposal.target_branch)
    .fetch_optional(&mut **tx)
    .await?;
    match other {
        Some(n) => Err(Error::Conflict(format!(
            "proposal #{n} is open for the same branches; it cannot be reopened"
        ))),
        None => Ok(()),
    }
}
