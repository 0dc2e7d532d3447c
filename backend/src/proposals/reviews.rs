//! Reviews and comments of a proposal. A review (`comment`, `approve`, `request_changes`) is
//! bound to the revision it was made on; an approval of an older revision is stale. Line
//! comments anchor to (revision head, path, line, side); replies join the thread of the comment
//! they answer, and a thread can be resolved. Declared review hours are labor.
//!
//! Invariant: anchors never move; whether a comment is outdated is computed when it is read.

use git2::Oid;
use sqlx::Row as _;

use super::{Error, Proposal, Proposals, Result, State, blocking, check_body};
use crate::db;
use crate::events::ProposalAction;
use crate::labor::trailers::MAX_DECLARED_HOURS;
use crate::store::paths;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Comment,
    Approve,
    RequestChanges,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Comment => "comment",
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "request_changes",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "comment" => Some(Verdict::Comment),
            "approve" => Some(Verdict::Approve),
            "request_changes" => Some(Verdict::RequestChanges),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Old,
    New,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Old => "old",
            Side::New => "new",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "old" => Some(Side::Old),
            "new" => Some(Side::New),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: i64,
    pub revision: i64,
    pub head: Oid,
    pub author: String,
    pub verdict: Verdict,
    pub body: String,
    pub hours: Option<f64>,
    pub created_at: i64,
    /// An approval (or request) made on an older revision than the newest.
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    pub review: Option<i64>,
    pub reply_to: Option<i64>,
    pub author: String,
    pub revision: i64,
    pub head: Oid,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub side: Option<Side>,
    pub body: String,
    pub resolved: bool,
    pub created_at: i64,
    /// The anchored line changed in a later revision: shown at its original place.
    pub outdated: bool,
}

/// A comment to add: a line comment (`path`, `line`, `side`), a reply (`reply_to`) or a
/// comment on the conversation (neither).
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub body: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub side: Option<Side>,
    pub reply_to: Option<i64>,
}

/// A new review.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub verdict: Verdict,
    pub body: String,
    pub hours: Option<f64>,
    pub comments: Vec<NewComment>,
    /// The revision head the reviewer saw, when given.
    pub seen_head: Option<Oid>,
}

/// Most line comments in one review.
pub const MAX_REVIEW_COMMENTS: usize = 200;

fn check_comment(index: Option<usize>, comment: &NewComment) -> Result<()> {
    let field = |name: &str| -> &'static str {
        // Field names are static for the error type; the index goes into the message.
        match name {
            "path" => "comments.path",
            "line" => "comments.line",
            "side" => "comments.side",
            _ => "comments.body",
        }
    };
    let at = index
        .map(|i| format!("comment {}: ", i + 1))
        .unwrap_or_default();
    if comment.body.trim().is_empty() {
        return Err(Error::Invalid(
            field("body"),
            format!("{at}the comment is empty"),
        ));
    }
    check_body(field("body"), &comment.body)?;
    match (&comment.path, comment.line, comment.side) {
        (None, None, None) => {}
        (Some(path), Some(line), _) => {
            paths::validate(path).map_err(|e| Error::Invalid(field("path"), format!("{at}{e}")))?;
            if line == 0 {
                return Err(Error::Invalid(
                    field("line"),
                    format!("{at}lines are numbered from 1"),
                ));
            }
        }
        _ => {
            return Err(Error::Invalid(
                field("path"),
                format!("{at}a line comment needs path, line and side"),
            ));
        }
    }
    Ok(())
}

const COMMENT_COLUMNS: &str = "c.id, c.review, c.reply_to, a.username, c.revision, c.head, c.path, \
    c.line, c.side, c.body, CAST(c.resolved AS INTEGER) AS resolved, c.created_at";

fn comment_from(row: &db::Row) -> Comment {
    let line: Option<i64> = row.get("line");
    let side: Option<String> = row.get("side");
    Comment {
        id: row.get("id"),
        review: row.get("review"),
        reply_to: row.get("reply_to"),
        author: row.get("username"),
        revision: row.get("revision"),
        head: Oid::from_str(&row.get::<String, _>("head")).unwrap_or_else(|_| Oid::zero()),
        path: row.get("path"),
        line: line.and_then(|l| u32::try_from(l).ok()),
        side: side.as_deref().and_then(Side::parse),
        body: row.get("body"),
        resolved: row.get::<i64, _>("resolved") != 0,
        created_at: row.get("created_at"),
        outdated: false,
    }
}

impl Proposals {
    async fn newest_revision(&self, proposal: &Proposal) -> Result<(i64, Oid)> {
        let revisions = self.revisions(&proposal.design, proposal.number).await?;
        let newest = revisions.last().ok_or_else(|| {
            Error::NotFound(format!("proposal #{} has no revision", proposal.number))
        })?;
        Ok((newest.revision, newest.head))
    }

    /// Adds a review by `author` (account id) on the newest revision, with its line comments.
    pub async fn review(
        &self,
        proposal: &Proposal,
        author: i64,
        review: NewReview,
    ) -> Result<Review> {
        if proposal.state != State::Open {
            return Err(Error::Conflict(format!(
                "proposal #{} is {}: it takes no more reviews",
                proposal.number,
                proposal.state.as_str()
            )));
        }
        check_body("body", &review.body)?;
        if review.verdict != Verdict::Approve
            && review.body.trim().is_empty()
            && review.comments.is_empty()
        {
            return Err(Error::Invalid(
                "body",
                "say what to change: a review that is not an approval needs a body or comments"
                    .into(),
            ));
        }
        if review.verdict != Verdict::Comment && author == proposal.author_id {
            return Err(Error::Invalid(
                "verdict",
                "you cannot approve or request changes on your own proposal; comment instead"
                    .into(),
            ));
        }
        if let Some(hours) = review.hours
            && !(hours > 0.0 && hours <= MAX_DECLARED_HOURS)
        {
            return Err(Error::Invalid(
                "hours",
                format!("review hours must be more than 0 and at most {MAX_DECLARED_HOURS}"),
            ));
        }
        if review.hours.is_some() && author == proposal.author_id {
            return Err(Error::Invalid(
                "hours",
                "review hours are for reviewing someone else's proposal; your own work is credited through its commits".into(),
            ));
        }
        if review.comments.len() > MAX_REVIEW_COMMENTS {
            return Err(Error::Invalid(
                "comments",
                format!("a review holds at most {MAX_REVIEW_COMMENTS} comments"),
            ));
        }
        for (i, comment) in review.comments.iter().enumerate() {
            check_comment(Some(i), comment)?;
            if comment.path.is_none() || comment.reply_to.is_some() {
                return Err(Error::Invalid(
                    "comments.path",
                    format!("comment {}: a review's comments are line comments", i + 1),
                ));
            }
        }
        let (revision, head) = self.newest_revision(proposal).await?;
        if let Some(seen) = review.seen_head
            && seen != head
        {
            return Err(Error::Conflict(format!(
                "proposal #{} has a newer revision (head {head}) than the one reviewed ({seen}); look at it again",
                proposal.number
            )));
        }
        let now = db::now();
        let mut tx = db::begin_write(&self.pool).await?;
        if review.hours.is_some() {
            let earlier: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM proposal_reviews WHERE design = $1 AND number = $2 \
                 AND revision = $3 AND author = $4 AND hours IS NOT NULL",
            )
            .bind(proposal.design.to_string())
            .bind(proposal.number)
            .bind(revision)
            .bind(author)
            .fetch_one(&mut *tx)
            .await?;
            if earlier > 0 {
                return Err(Error::Invalid(
                    "hours",
                    format!(
                        "you declared review hours for revision {revision} already; review the next revision, or leave hours empty"
                    ),
                ));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO proposal_reviews (design, number, revision, head, author, verdict, body, \
             hours, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .bind(revision)
        .bind(head.to_string())
        .bind(author)
        .bind(review.verdict.as_str())
        .bind(&review.body)
        .bind(review.hours)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for comment in &review.comments {
            insert_comment(
                &mut tx,
                proposal,
                author,
                Some(id),
                revision,
                head,
                comment,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        self.announce(
            Some(author),
            proposal,
            ProposalAction::Reviewed { review: id },
        );
        let reviews = self.reviews(proposal).await?;
        reviews
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| Error::NotFound(format!("review {id} not found")))
    }

    /// Every review of the proposal, oldest first.
    pub async fn reviews(&self, proposal: &Proposal) -> Result<Vec<Review>> {
        let newest = self.newest_revision(proposal).await?.0;
        let rows = sqlx::query(
            "SELECT r.id, r.revision, r.head, a.username, r.verdict, r.body, r.hours, r.created_at \
             FROM proposal_reviews r JOIN accounts a ON a.id = r.author \
             WHERE r.design = $1 AND r.number = $2 ORDER BY r.id",
        )
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let revision: i64 = row.get("revision");
                let verdict =
                    Verdict::parse(&row.get::<String, _>("verdict")).unwrap_or(Verdict::Comment);
                Review {
                    id: row.get("id"),
                    revision,
                    head: Oid::from_str(&row.get::<String, _>("head"))
                        .unwrap_or_else(|_| Oid::zero()),
                    author: row.get("username"),
                    verdict,
                    body: row.get("body"),
                    hours: row.get("hours"),
                    created_at: row.get("created_at"),
                    stale: verdict != Verdict::Comment && revision < newest,
                }
            })
            .collect())
    }

    /// Adds a comment (a reply, a line comment or one on the conversation) by `author`.
    pub async fn comment(
        &self,
        proposal: &Proposal,
        author: i64,
        comment: NewComment,
    ) -> Result<Comment> {
        check_comment(None, &comment)?;
        let (mut revision, mut head) = self.newest_revision(proposal).await?;
        let mut comment = comment;
        if let Some(parent) = comment.reply_to {
            let thread = self.thread_root(proposal, parent).await?;
            // A reply sits in its thread: same anchor.
            comment.reply_to = Some(thread.id);
            comment.path = thread.path;
            comment.line = thread.line;
            comment.side = thread.side;
            revision = thread.revision;
            head = thread.head;
        }
        let mut tx = db::begin_write(&self.pool).await?;
        let id = insert_comment(
            &mut tx,
            proposal,
            author,
            None,
            revision,
            head,
            &comment,
            db::now(),
        )
        .await?;
        tx.commit().await?;
        self.comments(proposal)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Error::NotFound(format!("comment {id} not found")))
    }

    /// The first comment of the thread `id` belongs to.
    async fn thread_root(&self, proposal: &Proposal, id: i64) -> Result<Comment> {
        let row = sqlx::query(&format!(
            "SELECT {COMMENT_COLUMNS} FROM proposal_comments c JOIN accounts a ON a.id = c.author \
             WHERE c.design = $1 AND c.number = $2 AND c.id = $3"
        ))
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let comment = row.as_ref().map(comment_from).ok_or_else(|| {
            Error::Invalid(
                "in_reply_to",
                format!(
                    "comment {id} is not a comment of proposal #{}",
                    proposal.number
                ),
            )
        })?;
        match comment.reply_to {
            Some(root) if root != comment.id => Box::pin(self.thread_root(proposal, root)).await,
            _ => Ok(comment),
        }
    }

    /// Marks the thread of comment `id` resolved (or not): by the thread's author, the
    /// proposal's author or a maintainer of the target.
    pub async fn resolve(
        &self,
        proposal: &Proposal,
        id: i64,
        resolved: bool,
        caller: &crate::accounts::Account,
        maintainer: bool,
    ) -> Result<()> {
        let root = self.thread_root(proposal, id).await?;
        if !(maintainer || caller.id == proposal.author_id || caller.username == root.author) {
            return Err(Error::Forbidden(
                "only the thread's author, the proposal's author or a maintainer resolves a thread"
                    .into(),
            ));
        }
        sqlx::query(
            "UPDATE proposal_comments SET resolved = $1 WHERE design = $2 AND number = $3 \
             AND (id = $4 OR reply_to = $4)",
        )
        .bind(resolved)
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .bind(root.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every comment of the proposal, oldest first, each marked outdated when its line changed
    /// in a later revision.
    pub async fn comments(&self, proposal: &Proposal) -> Result<Vec<Comment>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMMENT_COLUMNS} FROM proposal_comments c JOIN accounts a ON a.id = c.author \
             WHERE c.design = $1 AND c.number = $2 ORDER BY c.id"
        ))
        .bind(proposal.design.to_string())
        .bind(proposal.number)
        .fetch_all(&self.pool)
        .await?;
        let mut comments: Vec<Comment> = rows.iter().map(comment_from).collect();
        let revisions = self.revisions(&proposal.design, proposal.number).await?;
        let Some(newest) = revisions.last().cloned() else {
            return Ok(comments);
        };
        let store = self.store.clone();
        let design = proposal.design.clone();
        let base_of = |revision: i64| {
            revisions
                .iter()
                .find(|r| r.revision == revision)
                .map(|r| r.base)
        };
        let anchors: Vec<Anchor> = comments
            .iter()
            .enumerate()
            .filter(|(_, c)| c.revision != newest.revision)
            .filter_map(|(index, c)| {
                Some(Anchor {
                    index,
                    head: c.head,
                    base: base_of(c.revision),
                    path: c.path.clone()?,
                    line: c.line?,
                    side: c.side?,
                })
            })
            .collect();
        let (newest_head, newest_base) = (newest.head, Some(newest.base));
        let outdated = blocking(move || {
            let mut outdated = Vec::new();
            for Anchor {
                index,
                head,
                base,
                path,
                line,
                side,
            } in anchors
            {
                let changed = match side {
                    Side::New => store.line_changed(&design, head, newest_head, &path, line)?,
                    // The old side is the merge base of the revision's head and its base.
                    Side::Old => {
                        let from =
                            base.and_then(|b| store.merge_base(&design, b, head).ok().flatten());
                        let to = newest_base
                            .and_then(|b| store.merge_base(&design, b, newest_head).ok().flatten());
                        match (from, to) {
                            (Some(from), Some(to)) => {
                                store.line_changed(&design, from, to, &path, line)?
                            }
                            _ => false,
                        }
                    }
                };
                if changed {
                    outdated.push(index);
                }
            }
            Ok(outdated)
        })
        .await?;
        for i in outdated {
            comments[i].outdated = true;
        }
        Ok(comments)
    }
}

/// Where an older comment sits: its index in the list and its anchor.
struct Anchor {
    index: usize,
    head: Oid,
    /// The target head of the comment's revision.
    base: Option<Oid>,
    path: String,
    line: u32,
    side: Side,
}

#[allow(clippy::too_many_arguments)]
async fn insert_comment(
    tx: &mut sqlx::Transaction<'_, db::Db>,
    proposal: &Proposal,
    author: i64,
    review: Option<i64>,
    revision: i64,
    head: Oid,
    comment: &NewComment,
    now: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO proposal_comments (design, number, review, reply_to, author, revision, head, \
         path, line, side, body, resolved, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, FALSE, $12) RETURNING id",
    )
    .bind(proposal.design.to_string())
    .bind(proposal.number)
    .bind(review)
    .bind(comment.reply_to)
    .bind(author)
    .bind(revision)
    .bind(head.to_string())
    .bind(&comment.path)
    .bind(comment.line.map(i64::from))
    .bind(comment.side.map(Side::as_str))
    .bind(&comment.body)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?)
}
