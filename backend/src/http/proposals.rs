//! Change proposals over HTTP, in the shape of GitHub's pull requests: `GET/POST
//! .../proposals`, `GET/PATCH .../proposals/{n}`, its commits, files, revisions, BOM delta,
//! labor preview, reviews, comments, conflicts, "update from upstream" and `PUT .../merge`.
//! Anyone signed in may propose from a design they can write; the target's maintainers merge;
//! the author edits and closes their own.

use std::collections::{BTreeMap, HashSet};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json as JsonResponse, Router};
use git2::Oid;
use serde::Deserialize;

use super::browse::{People, file_changes};
use super::extract::{Json, Path, Query};
use super::gate::DesignAccess;
use super::{AppError, AppResult, blocking, paging, rfc3339};
use crate::accounts::{Role, Scope};
use crate::proposals::merge::MergeAsk;
use crate::proposals::reviews::NewReview;
use crate::proposals::{
    self, Edit, Filter, NewComment, NewProposal, Proposal, ReviewVerdict, Side, State as PState,
    delta,
};
use crate::server::AppState;
use crate::store::{self, DesignId, Method, Resolution};

const SCOPE: Scope = Scope::DesignsWrite;

pub fn router() -> Router<AppState> {
    let base = "/designs/{owner}/{slug}/proposals";
    let one = format!("{base}/{{number}}");
    Router::new()
        .route(base, get(list).post(create))
        .route(&one, get(show).patch(edit))
        .route(&format!("{one}/commits"), get(commits))
        .route(&format!("{one}/files"), get(files))
        .route(&format!("{one}/revisions"), get(revisions))
        .route(&format!("{one}/bom-delta"), get(bom_delta))
        .route(&format!("{one}/labor-preview"), get(labor_preview))
        .route(&format!("{one}/reviews"), get(reviews).post(review))
        .route(&format!("{one}/comments"), post(comment))
        .route(&format!("{one}/conflicts"), get(conflict))
        .route(&format!("{one}/update"), post(update))
        .route(&format!("{one}/merge"), put(merge))
}

fn markdown(app: &AppState, proposal: &Proposal, text: &str) -> String {
    let (design, base) = (&proposal.design, &proposal.base);
    crate::markdown::render(
        text,
        &crate::markdown::Links {
            raw: &format!("/api/designs/{design}/raw/{base}/"),
            view: &format!("/{design}/blob/{base}/"),
            dir: "",
            images: app.images.signer(),
        },
    )
}

/// The wire form, with mergeability against the target's head now.
async fn wire(app: &AppState, proposal: &Proposal) -> AppResult<api::Proposal> {
    let target_head = app.proposals.target_head(proposal).await?;
    let mergeability = proposal.mergeability(target_head);
    let store = app.store.clone();
    let (design, source, head) = (
        proposal.design.clone(),
        proposal.source.clone(),
        proposal.head,
    );
    let revisions = app
        .proposals
        .revisions(&proposal.design, proposal.number)
        .await?
        .len() as i64;
    let base = proposal.compared_base(target_head);
    let (commits, deleted) = blocking(move || -> Result<_, store::Error> {
        // Commits of the head the base lacks (at the merge, for a merged proposal).
        let commits = match base {
            Some(base) => store.ahead_behind(&design, head, base)?.0 as u64,
            None => 0,
        };
        Ok((commits, !store.exists(&source)))
    })
    .await?;
    let mergeable = match mergeability.state.as_str() {
        "checking" => None,
        "clean" => Some(true),
        _ => Some(false),
    };
    Ok(api::Proposal {
        number: proposal.number,
        design: proposal.design.to_string(),
        title: proposal.title.clone(),
        body: proposal.body.clone(),
        body_html: markdown(app, proposal, &proposal.body),
        state: proposal.state.as_str().to_owned(),
        draft: proposal.draft,
        author: proposal.author.clone(),
        head: api::ProposalHead {
            design: proposal.source.to_string(),
            branch: proposal.source_branch.clone(),
            sha: proposal.head.to_string(),
            deleted,
        },
        base: api::ProposalBase {
            branch: proposal.target_branch.clone(),
            sha: target_head.unwrap_or(proposal.base).to_string(),
        },
        mergeable,
        mergeable_state: mergeability.state,
        conflicts: mergeability.conflicts,
        merged_commit: proposal.merged_commit.map(|c| c.to_string()),
        merged_by: proposal.merged_by.clone(),
        merge_method: proposal.merge_method.clone(),
        revisions,
        commits,
        created_at: rfc3339(proposal.created_at),
        updated_at: rfc3339(proposal.updated_at),
        closed_at: proposal.closed_at.map(rfc3339),
    })
}

#[derive(Debug, Deserialize)]
struct ListParams {
    state: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn list(
    State(app): State<AppState>,
    design: DesignAccess,
    Query(params): Query<ListParams>,
) -> AppResult<JsonResponse<api::ProposalList>> {
    let filter = match params.state.as_deref().unwrap_or("open") {
        "open" => Filter::Open,
        "closed" => Filter::Closed,
        "merged" => Filter::Merged,
        "all" => Filter::All,
        other => {
            return Err(AppError::BadRequest(format!(
                "state {other:?}: use open, closed, merged or all"
            )));
        }
    };
    let (page, per_page) = paging(params.page, params.per_page)?;
    let offset = i64::from(page - 1) * i64::from(per_page);
    let (rows, total) = app
        .proposals
        .list(&design.id, filter, offset, i64::from(per_page))
        .await?;
    let counts = app.proposals.counts(&design.id).await?;
    let mut proposals = Vec::with_capacity(rows.len());
    for proposal in &rows {
        proposals.push(wire(&app, proposal).await?);
    }
    Ok(JsonResponse(api::ProposalList {
        proposals,
        total,
        page,
        per_page,
        open: counts.open,
        closed: counts.closed,
        merged: counts.merged,
    }))
}

/// `owner/slug:branch`, or a branch of `target`.
fn parse_head(target: &DesignId, head: &str) -> AppResult<(DesignId, String)> {
    let bad = || {
        AppError::Invalid(vec![(
            "head".into(),
            format!("head {head:?}: use owner/slug:branch (or a branch of {target})"),
        )])
    };
    match head.split_once(':') {
        Some((design, branch)) if !branch.is_empty() => Ok((
            DesignId::parse(design).map_err(|_| bad())?,
            branch.to_owned(),
        )),
        Some(_) => Err(bad()),
        None if head.is_empty() => Err(bad()),
        None => Ok((target.clone(), head.to_owned())),
    }
}

async fn create(
    State(app): State<AppState>,
    design: DesignAccess,
    Json(body): Json<api::NewProposal>,
) -> AppResult<(StatusCode, JsonResponse<api::Proposal>)> {
    let (source, source_branch) = parse_head(&design.id, body.head.trim())?;
    if !app.store.exists(&source) {
        return Err(AppError::Invalid(vec![(
            "head".into(),
            format!("design {source} not found"),
        )]));
    }
    // Anyone signed in may propose from a design they can write.
    let account = design
        .other(source.clone())
        .require(&app, Role::Maintainer, SCOPE)
        .await?;
    let target_branch = match body.base {
        Some(base) => base,
        None => {
            let store = app.store.clone();
            let id = design.id.clone();
            blocking(move || store.default_branch(&id)).await?
        }
    };
    let proposal = app
        .proposals
        .create(
            &design.id,
            account.id,
            NewProposal {
                title: body.title,
                body: body.body.unwrap_or_default(),
                source,
                source_branch,
                target_branch,
                draft: body.draft.unwrap_or(false),
            },
        )
        .await?;
    tracing::info!(design = %design.id, number = proposal.number, "proposal opened");
    Ok((
        StatusCode::CREATED,
        JsonResponse(wire(&app, &proposal).await?),
    ))
}

async fn load(app: &AppState, design: &DesignAccess, number: &str) -> AppResult<Proposal> {
    let number: i64 =
        number.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            AppError::BadRequest(format!("proposal number {number:?}: use 1, 2, …"))
        })?;
    Ok(app.proposals.require(&design.id, number).await?)
}

type One = Path<(String, String, String)>;

async fn show(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
) -> AppResult<JsonResponse<api::Proposal>> {
    let proposal = load(&app, &design, &number).await?;
    Ok(JsonResponse(wire(&app, &proposal).await?))
}

async fn edit(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Json(body): Json<api::ProposalEdit>,
) -> AppResult<JsonResponse<api::Proposal>> {
    let proposal = load(&app, &design, &number).await?;
    let account = design
        .require_author_or(&app, proposal.author_id, Role::Maintainer, SCOPE)
        .await?;
    let state = match body.state.as_deref() {
        None => None,
        Some("open") => Some(PState::Open),
        Some("closed") => Some(PState::Closed),
        Some(other) => {
            return Err(AppError::Invalid(vec![(
                "state".into(),
                format!("state {other:?}: use open (reopen) or closed (close)"),
            )]));
        }
    };
    let proposal = app
        .proposals
        .edit(
            &design.id,
            proposal.number,
            account.id,
            Edit {
                title: body.title,
                body: body.body,
                draft: body.draft,
                state,
            },
        )
        .await?;
    Ok(JsonResponse(wire(&app, &proposal).await?))
}

/// The base a proposal's diff is against: the merge base of its head with the target's head
/// (with the parent of the merge, for a merged proposal).
async fn diff_base(app: &AppState, proposal: &Proposal, head: Oid) -> AppResult<Option<Oid>> {
    let target = proposal.compared_base(app.proposals.target_head(proposal).await?);
    let Some(target) = target else {
        return Ok(None);
    };
    let store = app.store.clone();
    let design = proposal.design.clone();
    blocking(move || store.merge_base(&design, target, head)).await
}

async fn commits(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
) -> AppResult<JsonResponse<api::ProposalCommits>> {
    let proposal = load(&app, &design, &number).await?;
    let base = diff_base(&app, &proposal, proposal.head).await?;
    let store = app.store.clone();
    let (id, head) = (proposal.design.clone(), proposal.head);
    let mut list = blocking(move || -> Result<_, store::Error> {
        let network = store.lineage(&id)?.network;
        let hide: Vec<Oid> = base.into_iter().collect();
        store.commits_between(&network, head, &hide)
    })
    .await?;
    list.reverse();
    let total = list.len() as u64;
    list.truncate(250);
    Ok(JsonResponse(api::ProposalCommits {
        commits: People::default().commits(&app, &list).await?,
        total,
    }))
}

#[derive(Debug, Deserialize)]
struct FilesParams {
    page: Option<u32>,
    per_page: Option<u32>,
    path: Option<String>,
    /// A revision number: its files (default: the newest).
    revision: Option<i64>,
    /// With `revision`: the changes since this older revision (a range diff of heads).
    since: Option<i64>,
}

async fn files(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Query(params): Query<FilesParams>,
) -> AppResult<JsonResponse<api::ProposalFiles>> {
    let proposal = load(&app, &design, &number).await?;
    let (page, per_page) = paging(params.page, params.per_page)?;
    let revisions = app
        .proposals
        .revisions(&proposal.design, proposal.number)
        .await?;
    let pick = |n: i64| {
        revisions
            .iter()
            .find(|r| r.revision == n)
            .map(|r| r.head)
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "revision {n} of proposal #{} not found",
                    proposal.number
                ))
            })
    };
    let head = match params.revision {
        Some(n) => pick(n)?,
        None => proposal.head,
    };
    let base = match params.since {
        Some(n) => Some(pick(n)?),
        None => diff_base(&app, &proposal, head).await?,
    };
    let store = app.store.clone();
    let (id, path) = (proposal.design.clone(), params.path.clone());
    let all = blocking(move || store.diff_commits(&id, base, head, path.as_deref())).await?;
    let total = all.len() as u64;
    let skip = (page as usize - 1) * per_page as usize;
    let page_files: Vec<store::ChangedFile> =
        all.into_iter().skip(skip).take(per_page as usize).collect();
    Ok(JsonResponse(api::ProposalFiles {
        files: file_changes(page_files),
        total,
        page,
        per_page,
        base: base.map(|b| b.to_string()).unwrap_or_default(),
        head: head.to_string(),
    }))
}

async fn revisions(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
) -> AppResult<JsonResponse<api::ProposalRevisions>> {
    let proposal = load(&app, &design, &number).await?;
    let revisions = app
        .proposals
        .revisions(&proposal.design, proposal.number)
        .await?;
    Ok(JsonResponse(api::ProposalRevisions {
        revisions: revisions
            .into_iter()
            .map(|r| api::ProposalRevision {
                revision: r.revision,
                head: r.head.to_string(),
                base: r.base.to_string(),
                created_at: rfc3339(r.created_at),
            })
            .collect(),
    }))
}

fn bom_row(row: delta::Row) -> api::BomDeltaRow {
    api::BomDeltaRow {
        key: row.key,
        name: row.name,
        quantity: row.quantity,
        part_number: row.part_number,
        supplier: row.supplier,
        unit_price: row.unit_price,
    }
}

async fn bom_delta(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
) -> AppResult<JsonResponse<api::BomDelta>> {
    let proposal = load(&app, &design, &number).await?;
    let Some(base) = app.proposals.target_head(&proposal).await? else {
        return Err(AppError::Conflict(format!(
            "branch {} is gone",
            proposal.target_branch
        )));
    };
    // Against the target as it was when merged.
    let base = proposal.compared_base(Some(base)).unwrap_or(base);
    let store = app.store.clone();
    let (id, head) = (proposal.design.clone(), proposal.head);
    let check = blocking(move || store.check_merge(&id, base, head)).await?;
    let state = match &check.state {
        store::MergeState::Clean => "clean",
        store::MergeState::Conflict(_) => "conflict",
        store::MergeState::Empty => "empty",
        store::MergeState::Merged => "merged",
    };
    let manifest = delta::manifest_delta(&check.manifest.0, &check.manifest.1);
    let boms = check
        .boms
        .iter()
        .map(|(path, before, after)| {
            let d = delta::bom_delta(path, before, after);
            api::BomFileDelta {
                cost_delta: match (d.cost_before, d.cost_after) {
                    (Some(a), Some(b)) => Some(crate::labor::round(b - a)),
                    (None, Some(b)) => Some(b),
                    (Some(a), None) => Some(-a),
                    (None, None) => None,
                },
                path: d.path,
                added: d.added.into_iter().map(bom_row).collect(),
                removed: d.removed.into_iter().map(bom_row).collect(),
                changed: d
                    .changed
                    .into_iter()
                    .map(|c| api::BomChange {
                        before: bom_row(c.before),
                        after: bom_row(c.after),
                        fields: c.fields.into_iter().map(str::to_owned).collect(),
                    })
                    .collect(),
                new_components: d.new_keys,
                cost_before: d.cost_before,
                cost_after: d.cost_after,
                problems: d.problems,
            }
        })
        .collect();
    Ok(JsonResponse(api::BomDelta {
        state: state.to_owned(),
        boms,
        manifest: manifest
            .fields
            .into_iter()
            .map(|(key, before, after)| api::ManifestField { key, before, after })
            .collect(),
        license_change: manifest
            .license_change
            .map(|(before, after)| api::LicenseChange { before, after }),
        manifest_problem: manifest.problem,
    }))
}

async fn labor_preview(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
) -> AppResult<JsonResponse<api::LaborPreview>> {
    let proposal = load(&app, &design, &number).await?;
    let base = diff_base(&app, &proposal, proposal.head).await?;
    let store = app.store.clone();
    let (id, head) = (proposal.design.clone(), proposal.head);
    let target_branch = proposal.target_branch.clone();
    let (network, commits, validates) = blocking(move || -> Result<_, store::Error> {
        let network = store.lineage(&id)?.network;
        let hide: Vec<Oid> = base.into_iter().collect();
        let commits: HashSet<String> = store
            .commits_between(&network, head, &hide)?
            .into_iter()
            .map(|c| c.id.to_string())
            .collect();
        let validates = store.network_root(&network)?.as_ref() == Some(&id)
            && target_branch == store.default_branch(&id)?;
        Ok((network, commits, validates))
    })
    .await?;
    let ledger = app.labor.stored(&network).await?;
    let entries: Vec<crate::labor::Entry> = ledger
        .iter()
        .filter(|e| commits.contains(&e.commit) && e.status == "pending" && e.work_type != "review")
        .cloned()
        .collect();
    let target_rev = app
        .proposals
        .target_head(&proposal)
        .await?
        .map(|h| h.to_string())
        .unwrap_or_else(|| proposal.target_branch.clone());
    let before = app
        .labor
        .design_shares(&proposal.design, &target_rev)
        .await?;
    let mut after = before.clone();
    after.extend(entries.iter().cloned().map(|mut e| {
        if validates {
            e.status = "validated";
        }
        e
    }));
    let (_, shares_before) = crate::labor::shares(&before);
    let (_, shares_after) = crate::labor::shares(&after);
    let units = crate::labor::round(entries.iter().map(|e| e.units).sum());
    Ok(JsonResponse(api::LaborPreview {
        validates,
        entries: entries.into_iter().map(super::labor::wire).collect(),
        units,
        shares_before,
        shares_after,
    }))
}

fn wire_comment(
    app: &AppState,
    proposal: &Proposal,
    c: proposals::Comment,
) -> api::ProposalComment {
    api::ProposalComment {
        body_html: markdown(app, proposal, &c.body),
        id: c.id,
        review_id: c.review,
        in_reply_to: c.reply_to,
        author: c.author,
        body: c.body,
        revision: c.revision,
        commit_id: c.head.to_string(),
        path: c.path,
        line: c.line,
        side: c.side.map(|s| s.as_str().to_owned()),
        resolved: c.resolved,
        outdated: c.outdated,
        created_at: rfc3339(c.created_at),
    }
}

fn wire_review(app: &AppState, proposal: &Proposal, r: proposals::Review) -> api::Review {
    api::Review {
        body_html: markdown(app, proposal, &r.body),
        id: r.id,
        author: r.author,
        verdict: r.verdict.as_str().to_owned(),
        body: r.body,
        hours: r.hours,
        revision: r.revision,
        commit_id: r.head.to_string(),
        stale: r.stale,
        created_at: rfc3339(r.created_at),
    }
}

async fn reviews(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
) -> AppResult<JsonResponse<api::ReviewList>> {
    let proposal = load(&app, &design, &number).await?;
    Ok(JsonResponse(review_list(&app, &proposal).await?))
}

/// Every review and comment of the proposal, as the API shows them.
async fn review_list(app: &AppState, proposal: &Proposal) -> AppResult<api::ReviewList> {
    let reviews = app.proposals.reviews(proposal).await?;
    let comments = app.proposals.comments(proposal).await?;
    Ok(api::ReviewList {
        reviews: reviews
            .into_iter()
            .map(|r| wire_review(app, proposal, r))
            .collect(),
        comments: comments
            .into_iter()
            .map(|c| wire_comment(app, proposal, c))
            .collect(),
    })
}

fn side(text: Option<&str>, field: &str) -> AppResult<Option<Side>> {
    match text {
        None => Ok(None),
        Some(text) => Side::parse(text).map(Some).ok_or_else(|| {
            AppError::Invalid(vec![(
                field.to_owned(),
                format!("side {text:?}: use old or new"),
            )])
        }),
    }
}

async fn review(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Json(body): Json<api::NewReview>,
) -> AppResult<(StatusCode, JsonResponse<api::Review>)> {
    let proposal = load(&app, &design, &number).await?;
    let account = design.require(&app, Role::None, SCOPE).await?;
    let verdict = ReviewVerdict::parse(&body.verdict).ok_or_else(|| {
        AppError::Invalid(vec![(
            "verdict".into(),
            format!(
                "verdict {:?}: use approve, request_changes or comment",
                body.verdict
            ),
        )])
    })?;
    let mut comments = Vec::with_capacity(body.comments.len());
    for comment in body.comments {
        comments.push(NewComment {
            side: Some(side(comment.side.as_deref(), "comments.side")?.unwrap_or(Side::New)),
            body: comment.body,
            path: comment.path,
            line: comment.line,
            reply_to: None,
        });
    }
    let review = app
        .proposals
        .review(
            &proposal,
            account.id,
            NewReview {
                verdict,
                body: body.body,
                hours: body.hours,
                comments,
                seen_head: body
                    .commit_id
                    .as_deref()
                    .map(|c| oid("commit_id", c))
                    .transpose()?,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(wire_review(&app, &proposal, review)),
    ))
}

/// A reply, a line comment or a comment on the conversation; or, with `resolved` and
/// `in_reply_to`, resolving (or reopening) a thread.
async fn comment(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Json(body): Json<api::CommentRequest>,
) -> AppResult<(StatusCode, JsonResponse<api::ReviewList>)> {
    let proposal = load(&app, &design, &number).await?;
    let account = design.require(&app, Role::None, SCOPE).await?;
    if let Some(resolved) = body.resolved {
        let Some(thread) = body.in_reply_to else {
            return Err(AppError::Invalid(vec![(
                "in_reply_to".into(),
                "name the thread to resolve with in_reply_to".into(),
            )]));
        };
        let role = design.role(&app).await?;
        app.proposals
            .resolve(
                &proposal,
                thread,
                resolved,
                &account,
                role >= Role::Maintainer,
            )
            .await?;
    }
    if let Some(text) = body.body.filter(|b| !b.trim().is_empty()) {
        app.proposals
            .comment(
                &proposal,
                account.id,
                NewComment {
                    body: text,
                    side: match (&body.path, side(body.side.as_deref(), "side")?) {
                        (Some(_), None) => Some(Side::New),
                        (_, side) => side,
                    },
                    path: body.path,
                    line: body.line,
                    reply_to: body.in_reply_to,
                },
            )
            .await?;
    } else if body.resolved.is_none() {
        return Err(AppError::Invalid(vec![(
            "body".into(),
            "the comment is empty".into(),
        )]));
    }
    Ok((
        StatusCode::CREATED,
        JsonResponse(review_list(&app, &proposal).await?),
    ))
}

#[derive(Debug, Deserialize)]
struct ConflictParams {
    path: String,
}

async fn conflict(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Query(params): Query<ConflictParams>,
) -> AppResult<JsonResponse<api::ConflictFile>> {
    let proposal = load(&app, &design, &number).await?;
    let text = app.proposals.conflict_text(&proposal, &params.path).await?;
    Ok(JsonResponse(api::ConflictFile {
        path: params.path,
        text,
    }))
}

fn oid(field: &str, text: &str) -> AppResult<Oid> {
    Oid::from_str(text)
        .ok()
        .filter(|_| text.len() == 40)
        .ok_or_else(|| {
            AppError::Invalid(vec![(
                field.to_owned(),
                format!("{field} {text:?} is not a full 40-hex commit id"),
            )])
        })
}

async fn update(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Json(body): Json<api::UpdateFromUpstream>,
) -> AppResult<JsonResponse<api::Proposal>> {
    let proposal = load(&app, &design, &number).await?;
    let account = design
        .other(proposal.source.clone())
        .require(&app, Role::Maintainer, SCOPE)
        .await?;
    let expected = oid("expected_head", &body.expected_head)?;
    let mut resolutions = BTreeMap::new();
    for (path, resolution) in body.resolutions {
        let resolution = match resolution {
            api::ConflictResolution::Side(side) if side == "mine" => Resolution::Ours,
            api::ConflictResolution::Side(side) if side == "upstream" => Resolution::Theirs,
            api::ConflictResolution::Side(side) => {
                return Err(AppError::Invalid(vec![(
                    "resolutions".into(),
                    format!("{path}: {side:?} is not mine, upstream or {{\"content\": ...}}"),
                )]));
            }
            api::ConflictResolution::Content { content } => {
                if content.contains("<<<<<<< ") && content.contains(">>>>>>> ") {
                    return Err(AppError::Invalid(vec![(
                        "resolutions".into(),
                        format!("{path} still has conflict markers"),
                    )]));
                }
                Resolution::Content(content.into_bytes())
            }
        };
        resolutions.insert(path, resolution);
    }
    let person = super::edit::person(&app, &account).await?;
    app.proposals
        .update_from_upstream(&proposal, account.id, person, expected, resolutions)
        .await?;
    // The source branch moved: the new revision follows from the log.
    if let Some(consumer) = app.proposals.consumer() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), consumer.settled()).await;
    }
    let proposal = app
        .proposals
        .require(&proposal.design, proposal.number)
        .await?;
    Ok(JsonResponse(wire(&app, &proposal).await?))
}

async fn merge(
    State(app): State<AppState>,
    design: DesignAccess,
    Path((_, _, number)): One,
    Json(body): Json<api::MergeRequest>,
) -> AppResult<JsonResponse<api::MergeResult>> {
    let proposal = load(&app, &design, &number).await?;
    let account = design.require(&app, Role::Maintainer, SCOPE).await?;
    let role = design.role(&app).await?;
    let method = match body.method.as_deref().unwrap_or("merge") {
        "merge" => Method::Merge,
        "squash" => Method::Squash,
        "fast_forward" => Method::FastForward,
        other => {
            return Err(AppError::Invalid(vec![(
                "method".into(),
                format!("method {other:?}: use merge, squash or fast_forward"),
            )]));
        }
    };
    let expected_head = oid("expected_head", &body.expected_head)?;
    let person = super::edit::person(&app, &account).await?;
    let proposer = match app.accounts.find(&proposal.author).await? {
        Some(author) => super::edit::person(&app, &author).await?,
        None => person.clone(),
    };
    let outcome = app
        .proposals
        .merge(
            &proposal,
            account.id,
            role,
            person,
            MergeAsk {
                method,
                expected_head,
                reviewed_head: body.sha.as_deref().map(|s| oid("sha", s)).transpose()?,
                message: body.message,
                confirm_license_change: body.confirm_license_change,
                proposer,
            },
        )
        .await?;
    tracing::info!(design = %design.id, number = proposal.number, commit = %outcome.commit, "proposal merged");
    Ok(JsonResponse(api::MergeResult {
        merged: true,
        sha: outcome.commit.to_string(),
        message: format!("proposal #{} merged", proposal.number),
    }))
}
