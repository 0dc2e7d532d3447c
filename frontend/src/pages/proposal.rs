//! One change proposal: its conversation (reviews, comments, the review form), commits, files
//! (diffs loaded per file, with line comments), the BOM delta, the labor preview, and the merge
//! box (state, method, conflicts with "update from upstream").

use std::collections::BTreeMap;

use ::api::{
    ApiError, BomDelta, CommentRequest, ConflictFile, ConflictResolution, FileChange, LaborPreview,
    MergeRequest, MergeResult, NewProposalComment, NewReview, Proposal, ProposalComment,
    ProposalCommits, ProposalEdit, ProposalFiles, Review, ReviewList, UpdateFromUpstream,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::time::{Shown, Time};
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::auth::Auth;
use crate::components::field::FormError;
use crate::components::status::{ErrorView, Loading};
use crate::components::viewer::{ModelChange, is_model};
use crate::design::DesignContext;
use crate::pages::files::human_size;
use crate::pages::proposals::state_label;

/// How often the page looks again while mergeability is being computed.
const MAX_CHECK_POLLS: u32 = 30;

/// What the proposal page shares between its panels.
#[derive(Clone, Copy)]
struct ProposalContext {
    number: Signal<String>,
    proposal: LocalResource<Result<Proposal, ApiError>>,
    reviews: LocalResource<Result<ReviewList, ApiError>>,
    version: RwSignal<u32>,
    /// Line comments waiting for the review they will be sent with.
    pending: RwSignal<Vec<NewProposalComment>>,
}

impl ProposalContext {
    fn api(&self, rest: &str) -> String {
        DesignContext::get().api(&format!("/proposals/{}{rest}", self.number.get_untracked()))
    }

    fn reload(&self) {
        self.version.update(|v| *v += 1);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Panel {
    Conversation,
    Commits,
    Files,
    Bom,
    Labor,
}

#[component]
pub fn ProposalPage() -> impl IntoView {
    let design = DesignContext::get();
    let params = use_params_map();
    let number = Signal::derive(move || params.read().get("number").unwrap_or_default());
    let version = RwSignal::new(0u32);
    let proposal = LocalResource::new(move || {
        version.track();
        api::get::<Proposal>(design.api(&format!("/proposals/{}", number.get())))
    });
    let reviews = LocalResource::new(move || {
        version.track();
        api::get::<ReviewList>(design.api(&format!("/proposals/{}/reviews", number.get())))
    });
    let context = ProposalContext {
        number,
        proposal,
        reviews,
        version,
        pending: RwSignal::new(Vec::new()),
    };
    provide_context(context);
    // Mergeability is computed in the background after every push: look again until it is.
    let polls = StoredValue::new(0u32);
    Effect::new(move || {
        let Some(Ok(p)) = proposal.get() else {
            return;
        };
        if p.mergeable_state != "checking" {
            polls.set_value(0);
        } else if polls.get_value() < MAX_CHECK_POLLS {
            polls.update_value(|n| *n += 1);
            set_timeout(
                move || version.update(|v| *v += 1),
                std::time::Duration::from_secs(1),
            );
        }
    });
    let panel = RwSignal::new(Panel::Conversation);
    let tab = move |which: Panel, label: &'static str| {
        view! {
            <li><button type="button" class="tab" aria-pressed=move || (panel.get() == which).to_string()
                on:click=move |_| panel.set(which)>{label}</button></li>
        }
    };
    view! {
        <div class="proposal">
            <Suspense fallback=|| view! { <Loading what="the proposal"/> }>
                {move || Suspend::new(async move {
                    match proposal.await {
                        Ok(p) => view! { <ProposalHeader p/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <nav class="tabs sub-tabs" aria-label="Proposal">
                <ul>
                    {tab(Panel::Conversation, "Conversation")}
                    {tab(Panel::Commits, "Commits")}
                    {tab(Panel::Files, "Files")}
                    {tab(Panel::Bom, "BOM delta")}
                    {tab(Panel::Labor, "Labor preview")}
                </ul>
            </nav>
            {move || match panel.get() {
                Panel::Conversation => view! { <Conversation/> }.into_any(),
                Panel::Commits => view! { <Commits/> }.into_any(),
                Panel::Files => view! { <Files/> }.into_any(),
                Panel::Bom => view! { <BomPanel/> }.into_any(),
                Panel::Labor => view! { <LaborPanel/> }.into_any(),
            }}
            // Under every panel: line comments added in Files go out with it.
            <ReviewForm/>
        </div>
    }
}

#[component]
fn ProposalHeader(p: Proposal) -> impl IntoView {
    let design = DesignContext::get();
    let context = expect_context::<ProposalContext>();
    let auth = Auth::get();
    let (label, class) = state_label(&p);
    let error = RwSignal::new(None::<ApiError>);
    let is_author = {
        let author = p.author.clone();
        move || auth.account.get().is_some_and(|a| a.username == author)
    };
    let may_edit = move || is_author() || design.can_write();
    let edit = move |body: ProposalEdit| {
        let path = context.api("");
        spawn_local(async move {
            match api::patch::<_, Proposal>(&path, &body).await {
                Ok(_) => {
                    error.set(None);
                    context.reload();
                    design.reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let (state, draft) = (p.state.clone(), p.draft);
    let head_link = if p.head.deleted {
        view! { <span>{format!("{}:{} (deleted)", p.head.design, p.head.branch)}</span> }.into_any()
    } else {
        view! { <A href=format!("/{}/tree/{}", p.head.design, p.head.branch)>{format!("{}:{}", p.head.design, p.head.branch)}</A> }.into_any()
    };
    view! {
        <header class="proposal-header">
            <h2>{p.title.clone()} <span class="muted">{format!(" #{}", p.number)}</span></h2>
            <p>
                <span class=class>{label}</span> " "
                <A href=format!("/@{}", p.author)>{p.author.clone()}</A>
                {format!(" proposes {} commit{} into ", p.commits, if p.commits == 1 { "" } else { "s" })}
                <code>{p.base.branch.clone()}</code> " from " {head_link}
                <span class="muted">{format!(" · revision {}", p.revisions)}</span>
            </p>
            <Show when=may_edit>
                <div class="actions">
                    {(state == "open" && draft).then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| edit(ProposalEdit { draft: Some(false), ..Default::default() })>"Ready for review"</button>
                    })}
                    {(state == "open").then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| edit(ProposalEdit { state: Some("closed".into()), ..Default::default() })>"Close proposal"</button>
                    })}
                    {(state == "closed").then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| edit(ProposalEdit { state: Some("open".into()), ..Default::default() })>"Reopen"</button>
                    })}
                </div>
            </Show>
            <FormError error/>
        </header>
    }
}

fn verdict_label(verdict: &str) -> &'static str {
    match verdict {
        "approve" => "approved",
        "request_changes" => "requested changes",
        _ => "commented",
    }
}

#[component]
fn Conversation() -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    view! {
        <div class="conversation">
            <Suspense fallback=|| view! { <Loading what="the conversation"/> }>
                {move || Suspend::new(async move {
                    let proposal = context.proposal.await;
                    let reviews = context.reviews.await;
                    match (proposal, reviews) {
                        (Ok(p), Ok(list)) => view! {
                            <article class="markdown proposal-body" inner_html=p.body_html.clone()></article>
                            <Timeline list/>
                            <MergeBox p/>
                        }.into_any(),
                        (Err(error), _) | (_, Err(error)) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <CommentForm/>
        </div>
    }
}

#[component]
fn Timeline(list: ReviewList) -> impl IntoView {
    if list.reviews.is_empty() && list.comments.is_empty() {
        return view! { <p class="empty">"No reviews yet."</p> }.into_any();
    }
    let comments = list.comments.clone();
    view! {
        <ol class="timeline">
            {list.reviews.into_iter().map(|r: Review| {
                let lines: Vec<ProposalComment> = comments.iter().filter(|c| c.review_id == Some(r.id)).cloned().collect();
                view! {
                    <li class=format!("review review-{}", r.verdict)>
                        <p>
                            <strong>{r.author.clone()}</strong> " " {verdict_label(&r.verdict)}
                            <span class="muted">{format!(" on revision {} · ", r.revision)}<Time iso=r.created_at.clone() shown=Shown::DateTime/></span>
                            {r.hours.map(|h| view! { <span class="muted">{format!(" · {h} h of review")}</span> })}
                            {r.stale.then(|| view! { <span class="badge" title="Made on an older revision">" stale"</span> })}
                        </p>
                        <div class="markdown" inner_html=r.body_html.clone()></div>
                        {(!lines.is_empty()).then(|| view! {
                            <ul class="line-comments">
                                {lines.into_iter().map(|c| view! { <ThreadSummary c/> }).collect_view()}
                            </ul>
                        })}
                    </li>
                }
            }).collect_view()}
            {list.comments.into_iter().filter(|c| c.review_id.is_none() && c.in_reply_to.is_none() && c.path.is_none()).map(|c| view! {
                <li class="comment">
                    <p><strong>{c.author.clone()}</strong> <span class="muted">" commented · "<Time iso=c.created_at.clone() shown=Shown::DateTime/></span></p>
                    <div class="markdown" inner_html=c.body_html.clone()></div>
                </li>
            }).collect_view()}
        </ol>
    }
    .into_any()
}

#[component]
fn ThreadSummary(c: ProposalComment) -> impl IntoView {
    let place = format!(
        "{}:{} ({})",
        c.path.clone().unwrap_or_default(),
        c.line.unwrap_or_default(),
        c.side.clone().unwrap_or_default()
    );
    view! {
        <li>
            <code>{place}</code>
            {c.outdated.then(|| view! { <span class="badge">" outdated"</span> })}
            {c.resolved.then(|| view! { <span class="badge">" resolved"</span> })}
            <div class="markdown" inner_html=c.body_html.clone()></div>
        </li>
    }
}

#[component]
fn ReviewForm() -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let auth = Auth::get();
    let verdict = RwSignal::new("comment".to_owned());
    let body = RwSignal::new(String::new());
    let hours = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let hours_text = hours.get_untracked().trim().replace(',', ".");
        let hours_value = if hours_text.is_empty() {
            None
        } else {
            match hours_text.parse::<f64>() {
                Ok(h) => Some(h),
                Err(_) => {
                    error.set(Some(ApiError::new(
                        "invalid",
                        "Review hours must be a number, e.g. 1.5",
                    )));
                    return;
                }
            }
        };
        let seen = context
            .proposal
            .get_untracked()
            .and_then(|p| p.ok())
            .map(|p| p.head.sha);
        let request = NewReview {
            verdict: verdict.get_untracked(),
            body: body.get_untracked(),
            hours: hours_value,
            comments: context.pending.get_untracked(),
            commit_id: seen,
        };
        let path = context.api("/reviews");
        spawn_local(async move {
            match api::post::<_, Review>(&path, &request).await {
                Ok(_) => {
                    error.set(None);
                    body.set(String::new());
                    hours.set(String::new());
                    context.pending.set(Vec::new());
                    context.reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let choice = move |value: &'static str, label: &'static str| {
        let id = format!("verdict-{value}");
        view! {
            <div class="radio">
                <input type="radio" name="verdict" id=id.clone() value=value
                    prop:checked=move || verdict.get() == value on:change=move |_| verdict.set(value.to_owned())/>
                <label for=id>{label}</label>
            </div>
        }
    };
    view! {
        <Show when=move || auth.account.get().is_some()>
            <form class="review-form" on:submit=submit novalidate>
                <h3>"Review"</h3>
                <p class="muted">{move || {
                    let n = context.pending.get().len();
                    if n == 0 { "Add line comments from the Files tab; they are sent with your review.".to_owned() }
                    else { format!("{n} line comment{} will be sent with this review.", if n == 1 { "" } else { "s" }) }
                }}</p>
                <fieldset>
                    <legend>"Verdict"</legend>
                    {choice("comment", "Comment")}
                    {choice("approve", "Approve")}
                    {choice("request_changes", "Request changes")}
                </fieldset>
                <div class="field">
                    <label for="review-body">"Review"</label>
                    <textarea id="review-body" rows="4" prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                </div>
                <div class="field">
                    <label for="review-hours">"Hours spent reviewing (optional, credited as review labor)"</label>
                    <input id="review-hours" inputmode="decimal" prop:value=move || hours.get()
                        on:input=move |ev| hours.set(event_target_value(&ev))/>
                </div>
                <FormError error/>
                {move || error.get().and_then(|e| e.error.fields.first().map(|f| f.message.clone())).map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button type="submit">"Submit review"</button>
            </form>
        </Show>
    }
}

#[component]
fn CommentForm() -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let auth = Auth::get();
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let request = CommentRequest {
            body: Some(body.get_untracked()),
            ..Default::default()
        };
        let path = context.api("/comments");
        spawn_local(async move {
            match api::post::<_, ReviewList>(&path, &request).await {
                Ok(_) => {
                    error.set(None);
                    body.set(String::new());
                    context.reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <Show when=move || auth.account.get().is_some()>
            <form class="comment-form" on:submit=submit novalidate>
                <div class="field">
                    <label for="comment-body">"Comment"</label>
                    <textarea id="comment-body" rows="3" prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                </div>
                <FormError error/>
                <button type="submit" class="secondary">"Comment"</button>
            </form>
        </Show>
    }
}

#[component]
fn MergeBox(p: Proposal) -> impl IntoView {
    let design = DesignContext::get();
    let context = expect_context::<ProposalContext>();
    let auth = Auth::get();
    let method = RwSignal::new("merge".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let confirm_license = RwSignal::new(false);
    let expected = p.base.sha.clone();
    let reviewed = p.head.sha.clone();
    let merge = move |_| {
        let request = MergeRequest {
            method: Some(method.get_untracked()),
            expected_head: expected.clone(),
            sha: Some(reviewed.clone()),
            message: None,
            confirm_license_change: confirm_license.get_untracked(),
        };
        let path = context.api("/merge");
        spawn_local(async move {
            match api::put::<_, MergeResult>(&path, &request).await {
                Ok(_) => {
                    error.set(None);
                    context.reload();
                    design.reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let (status, advice) = match (p.state.as_str(), p.mergeable_state.as_str()) {
        ("merged", _) => (
            format!(
                "Merged by {} ({}).",
                p.merged_by.clone().unwrap_or_default(),
                p.merge_method.clone().unwrap_or_default()
            ),
            p.merged_commit.clone().map(|c| format!("Commit {}", &c[..c.len().min(10)])),
        ),
        ("closed", _) => ("Closed without merging.".to_owned(), None),
        (_, "clean") => ("No conflicts with the target branch.".to_owned(), None),
        (_, "conflict") => (
            "These files conflict with the target branch:".to_owned(),
            Some("The proposer updates the proposal from upstream, choosing per file which version to keep.".to_owned()),
        ),
        (_, "empty") => ("The proposal changes nothing in the target.".to_owned(), None),
        (_, "merged") => ("Its changes are already in the target.".to_owned(), None),
        _ => ("Checking whether it merges cleanly…".to_owned(), None),
    };
    let open = p.state == "open";
    let clean = p.mergeable_state == "clean" && !p.draft;
    let head_owner = p
        .head
        .design
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let may_update = move || {
        auth.account
            .get()
            .is_some_and(|a| a.is_admin || a.username == head_owner)
    };
    let conflicts = p.conflicts.clone();
    let has_conflicts = !conflicts.is_empty();
    let head_sha = p.head.sha.clone();
    view! {
        <section class=format!("merge-box merge-{}", p.mergeable_state) aria-labelledby="merge-heading">
            <h3 id="merge-heading">"Merge"</h3>
            <p role="status">{status}</p>
            {has_conflicts.then(|| view! {
                <ul class="conflicts">{conflicts.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view()}</ul>
            })}
            {advice.map(|a| view! { <p class="muted">{a}</p> })}
            {(open && p.mergeable_state != "merged").then(|| view! {
                <Show when=may_update.clone()>
                    <Resolve conflicts=conflicts.clone() head=head_sha.clone()/>
                </Show>
            })}
            <Show when=move || open && design.can_write()>
                <div class="merge-actions">
                    <label for="merge-method">"Method"</label>
                    <select id="merge-method" prop:value=move || method.get() on:change=move |ev| method.set(event_target_value(&ev))>
                        <option value="merge">"Merge commit (keeps every commit and author)"</option>
                        <option value="squash">"Squash (one commit, co-authors and hours kept)"</option>
                        <option value="fast_forward">"Fast-forward only"</option>
                    </select>
                    <div class="field checkbox">
                        <input id="confirm-license" type="checkbox" prop:checked=move || confirm_license.get()
                            on:change=move |ev| confirm_license.set(event_target_checked(&ev))/>
                        <label for="confirm-license">"I confirm the license change this proposal makes (if any)"</label>
                    </div>
                    <button type="button" on:click=merge.clone() disabled=!clean>"Merge proposal"</button>
                </div>
            </Show>
            <FormError error/>
        </section>
    }
}

/// "Update from upstream": per conflicted file, keep mine, take upstream, or edit the text with
/// its conflict markers; then one merge commit on the fork.
#[component]
fn Resolve(conflicts: Vec<String>, head: String) -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let choices: RwSignal<BTreeMap<String, ConflictResolution>> = RwSignal::new(BTreeMap::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let update = move |_| {
        let request = UpdateFromUpstream {
            expected_head: head.clone(),
            resolutions: choices.get_untracked(),
        };
        let path = context.api("/update");
        busy.set(true);
        spawn_local(async move {
            match api::post::<_, Proposal>(&path, &request).await {
                Ok(_) => {
                    error.set(None);
                    context.reload();
                }
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="resolve">
            {conflicts.into_iter().map(|path| {
                let name = format!("resolve-{path}");
                let (p1, p2, p3) = (path.clone(), path.clone(), path.clone());
                let text = RwSignal::new(None::<String>);
                let load = move |_| {
                    let path = context.api(&format!("/conflicts?path={}", api::encode(&p3)));
                    let p = p3.clone();
                    spawn_local(async move {
                        if let Ok(file) = api::get::<ConflictFile>(&path).await {
                            match file.text {
                                Some(t) => {
                                    choices.update(|c| { c.insert(p, ConflictResolution::Content { content: t.clone() }); });
                                    text.set(Some(t));
                                }
                                None => error.set(Some(ApiError::new("binary", "This file is binary: keep yours or take upstream."))),
                            }
                        }
                    });
                };
                let p4 = path.clone();
                view! {
                    <fieldset class="resolution">
                        <legend><code>{path.clone()}</code></legend>
                        <div class="radio">
                            <input type="radio" name=name.clone() id=format!("{name}-mine")
                                on:change=move |_| choices.update(|c| { c.insert(p1.clone(), ConflictResolution::Side("mine".into())); })/>
                            <label for=format!("{name}-mine")>"Keep mine"</label>
                        </div>
                        <div class="radio">
                            <input type="radio" name=name.clone() id=format!("{name}-upstream")
                                on:change=move |_| choices.update(|c| { c.insert(p2.clone(), ConflictResolution::Side("upstream".into())); })/>
                            <label for=format!("{name}-upstream")>"Take upstream"</label>
                        </div>
                        <button type="button" class="secondary" on:click=load>"Edit the text"</button>
                        {move || text.get().map(|t| {
                            let p = p4.clone();
                            view! {
                                <textarea class="conflict-text" rows="12" aria-label=format!("Resolved text of {p}") prop:value=t
                                    on:input=move |ev| { let v = event_target_value(&ev); choices.update(|c| { c.insert(p.clone(), ConflictResolution::Content { content: v }); }); }></textarea>
                            }
                        })}
                    </fieldset>
                }
            }).collect_view()}
            <button type="button" class="secondary" on:click=update disabled=move || busy.get()>
                {move || if busy.get() { "Updating…" } else { "Update from upstream" }}
            </button>
            <FormError error/>
        </div>
    }
}

#[component]
fn Commits() -> impl IntoView {
    let design = DesignContext::get();
    let context = expect_context::<ProposalContext>();
    let commits = LocalResource::new(move || {
        context.version.track();
        api::get::<ProposalCommits>(context.api("/commits"))
    });
    view! {
        <Suspense fallback=|| view! { <Loading what="commits"/> }>
            {move || Suspend::new(async move {
                match commits.await {
                    Ok(list) if list.commits.is_empty() => view! { <p class="empty">"No commits."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="commit-list">
                            {list.commits.into_iter().map(|c| view! {
                                <li>
                                    <A href=design.page(&format!("/commit/{}", c.id))>{c.summary.clone()}</A>
                                    <span class="muted">{format!(" {} · ", c.author.name)}<Time iso=c.author.time.clone()/></span>
                                    " " <code>{c.id[..10].to_owned()}</code>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

const FILES_PER_PAGE: u32 = 50;

#[component]
fn Files() -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let page = RwSignal::new(1u32);
    let files = LocalResource::new(move || {
        context.version.track();
        let page = page.get();
        api::get::<ProposalFiles>(
            context.api(&format!("/files?page={page}&per_page={FILES_PER_PAGE}")),
        )
    });
    view! {
        <Suspense fallback=|| view! { <Loading what="files"/> }>
            {move || Suspend::new(async move {
                match files.await {
                    Ok(list) if list.files.is_empty() => view! { <p class="empty">"No file changed."</p> }.into_any(),
                    Ok(list) => {
                        let pages = list.total.div_ceil(u64::from(list.per_page)).max(1);
                        view! {
                            <p class="count">{format!("{} file{} changed", list.total, if list.total == 1 { "" } else { "s" })}</p>
                            {list.files.into_iter().map(|file| view! { <FileRow file/> }).collect_view()}
                            {(pages > 1).then(|| view! {
                                <nav class="pager" aria-label="Pages of files">
                                    <button type="button" disabled=move || page.get() <= 1 on:click=move |_| page.update(|p| *p -= 1)>"Previous"</button>
                                    <span>{move || format!(" page {} of {pages} ", page.get())}</span>
                                    <button type="button" disabled=move || u64::from(page.get()) >= pages on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                </nav>
                            })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One changed file; its diff is fetched when opened.
#[component]
fn FileRow(file: FileChange) -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let design = DesignContext::get();
    let open = RwSignal::new(false);
    let path = file.path.clone();
    let diff = LocalResource::new(move || {
        let wanted = open.get();
        let path = path.clone();
        async move {
            if !wanted {
                return None;
            }
            Some(
                api::get::<ProposalFiles>(
                    context.api(&format!("/files?path={}", api::encode(&path))),
                )
                .await,
            )
        }
    });
    let is_image = [".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"]
        .iter()
        .any(|ext| file.path.to_lowercase().ends_with(ext));
    let title = match &file.old_path {
        Some(old) => format!("{old} → {}", file.path),
        None => file.path.clone(),
    };
    let sizes = format!(
        "{} → {}",
        human_size(file.old_size),
        human_size(file.new_size)
    );
    let file_path = file.path.clone();
    view! {
        <section class="file-diff">
            <h3>
                <span class=format!("status status-{}", file.status)>{file.status.clone()}</span> " " <code>{title}</code>
                {file.binary.then(|| view! { <span class="muted">{format!(" binary, {sizes}")}</span> })}
                " " <button type="button" class="secondary small" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>{move || if open.get() { "Hide" } else { "Show diff" }}</button>
            </h3>
            {move || {
                let file_path = file_path.clone();
                open.get().then(move || view! {
                <Suspense fallback=|| view! { <Loading what="the diff"/> }>
                    {
                        move || {
                        let file_path = file_path.clone();
                        Suspend::new(async move {
                        match diff.await {
                            Some(Ok(list)) => match list.files.into_iter().next() {
                                Some(one) if one.binary && is_image => {
                                    let before = (one.status != "added").then(|| format!("{}/raw/{}/{}", design.api(""), list.base, file_path));
                                    let after = (one.status != "deleted").then(|| format!("{}/raw/{}/{}", design.api(""), list.head, file_path));
                                    view! {
                                        <div class="image-compare">
                                            <figure>{before.map(|src| view! { <img src=src alt="Before"/> })}<figcaption>"Before"</figcaption></figure>
                                            <figure>{after.map(|src| view! { <img src=src alt="After"/> })}<figcaption>"After"</figcaption></figure>
                                        </div>
                                    }.into_any()
                                }
                                Some(one) => {
                                    // A changed model is also shown, side by side or overlaid.
                                    let model = is_model(&one.path).then(|| {
                                        let before = (one.status != "added").then(|| one.old_path.clone().unwrap_or_else(|| one.path.clone()));
                                        let after = (one.status != "deleted").then(|| one.path.clone());
                                        view! { <ModelChange before after old=list.base.clone() new=list.head.clone() open=true/> }
                                    });
                                    view! { <CommentableDiff file=one head=list.head/> {model} }.into_any()
                                }
                                None => view! { <p class="empty">"No change."</p> }.into_any(),
                            },
                            Some(Err(error)) => view! { <ErrorView error/> }.into_any(),
                            None => view! { <span></span> }.into_any(),
                        }
                    })}}
                </Suspense>
            })}}
        </section>
    }
}

/// A text diff whose lines can be commented; existing threads show under their line.
#[component]
fn CommentableDiff(file: FileChange, head: String) -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    if file.hunks.is_empty() {
        return view! { <p class="muted diff-note">{if file.truncated { "The change is too large to show." } else { "No text change." }}</p> }.into_any();
    }
    let threads = Signal::derive(move || {
        context
            .reviews
            .get()
            .and_then(|r| r.ok())
            .map(|r| r.comments)
            .unwrap_or_default()
    });
    let path = file.path.clone();
    view! {
        <div class="code diff" role="region" aria-label=format!("Changes to {}", file.path)>
            <table>
                <tbody>
                    {file.hunks.into_iter().map(|hunk| view! {
                        <tr class="hunk-header"><td colspan="4"><pre>{hunk.header}</pre></td></tr>
                        {hunk.lines.into_iter().map(|line| {
                            let class = match line.origin.as_str() { "+" => "added", "-" => "removed", _ => "context" };
                            let (side, number) = match (line.origin.as_str(), line.old_line, line.new_line) {
                                ("-", Some(old), _) => ("old", old),
                                (_, _, Some(new)) => ("new", new),
                                (_, Some(old), _) => ("old", old),
                                _ => ("new", 0),
                            };
                            let writing = RwSignal::new(false);
                            let text = RwSignal::new(String::new());
                            let path_add = path.clone();
                            let add = move |_| {
                                let body = text.get_untracked();
                                if body.trim().is_empty() {
                                    return;
                                }
                                context.pending.update(|p| p.push(NewProposalComment {
                                    body,
                                    path: Some(path_add.clone()),
                                    line: Some(number),
                                    side: Some(side.to_owned()),
                                }));
                                text.set(String::new());
                                writing.set(false);
                            };
                            let path_here = path.clone();
                            let here = move || {
                                threads.get().into_iter()
                                    .filter(|c| c.path.as_deref() == Some(path_here.as_str()) && c.line == Some(number) && c.side.as_deref() == Some(side))
                                    .collect::<Vec<_>>()
                            };
                            let path_pending = path.clone();
                            let pending_here = move || {
                                context.pending.get().into_iter()
                                    .filter(|c| c.path.as_deref() == Some(path_pending.as_str()) && c.line == Some(number) && c.side.as_deref() == Some(side))
                                    .count()
                            };
                            view! {
                                <tr class=class>
                                    <td class="comment-cell">
                                        <button type="button" class="add-comment" aria-label=format!("Comment on {side} line {number}")
                                            on:click=move |_| writing.update(|w| *w = !*w)>"+"</button>
                                    </td>
                                    <td class="line-number" aria-hidden="true">{line.old_line}</td>
                                    <td class="line-number" aria-hidden="true">{line.new_line}</td>
                                    <td class="line"><pre><span class="origin">{line.origin}</span>{line.content}</pre></td>
                                </tr>
                                {move || {
                                    let list = here();
                                    let pending = pending_here();
                                    (!list.is_empty() || pending > 0 || writing.get()).then(|| view! {
                                        <tr class="line-thread"><td colspan="4">
                                            {list.into_iter().map(|c| view! { <Thread c/> }).collect_view()}
                                            {(pending > 0).then(|| view! { <p class="muted">{format!("{pending} pending comment(s) for your review")}</p> })}
                                            {writing.get().then(|| view! {
                                                <div class="line-comment-form">
                                                    <label for=format!("line-comment-{side}-{number}")>{format!("Comment on line {number}")}</label>
                                                    <textarea id=format!("line-comment-{side}-{number}") rows="3" prop:value=move || text.get()
                                                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                                                    <button type="button" on:click=add.clone()>"Add to review"</button>
                                                </div>
                                            })}
                                        </td></tr>
                                    })
                                }}
                            }
                        }).collect_view()}
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted diff-note">{format!("At {}", &head[..head.len().min(10)])}</p>
        </div>
    }
    .into_any()
}

/// A comment thread under its line: the comment, its replies, a reply box and resolve.
#[component]
fn Thread(c: ProposalComment) -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let auth = Auth::get();
    let reply = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let (id, resolved) = (c.in_reply_to.unwrap_or(c.id), c.resolved);
    let send = move |body: Option<String>, resolve: Option<bool>| {
        let request = CommentRequest {
            body,
            in_reply_to: Some(id),
            resolved: resolve,
            ..Default::default()
        };
        let path = context.api("/comments");
        spawn_local(async move {
            match api::post::<_, ReviewList>(&path, &request).await {
                Ok(_) => {
                    reply.set(String::new());
                    error.set(None);
                    context.reload();
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let is_root = c.in_reply_to.is_none();
    view! {
        <div class=if c.outdated { "thread-comment outdated" } else { "thread-comment" }>
            <p><strong>{c.author.clone()}</strong>
                {c.outdated.then(|| view! { <span class="badge">" outdated"</span> })}
                {c.resolved.then(|| view! { <span class="badge">" resolved"</span> })}
            </p>
            <div class="markdown" inner_html=c.body_html.clone()></div>
            {is_root.then(|| view! {
                <Show when=move || auth.account.get().is_some()>
                    <div class="reply">
                        <label for=format!("reply-{id}")>"Reply"</label>
                        <textarea id=format!("reply-{id}") rows="2" prop:value=move || reply.get()
                            on:input=move |ev| reply.set(event_target_value(&ev))></textarea>
                        <button type="button" class="secondary small" on:click=move |_| send(Some(reply.get_untracked()), None)>"Reply"</button>
                        <button type="button" class="secondary small" on:click=move |_| send(None, Some(!resolved))>
                            {if resolved { "Unresolve" } else { "Resolve" }}
                        </button>
                    </div>
                </Show>
            })}
            <FormError error/>
        </div>
    }
}

#[component]
fn BomPanel() -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let delta = LocalResource::new(move || {
        context.version.track();
        api::get::<BomDelta>(context.api("/bom-delta"))
    });
    view! {
        <Suspense fallback=|| view! { <Loading what="the BOM delta"/> }>
            {move || Suspend::new(async move {
                match delta.await {
                    Ok(d) => view! { <BomDeltaView d/> }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BomDeltaView(d: BomDelta) -> impl IntoView {
    let money = |x: f64| format!("{x:.2}");
    let nothing = d.boms.iter().all(|b| {
        b.added.is_empty() && b.removed.is_empty() && b.changed.is_empty() && b.problems.is_empty()
    }) && d.manifest.is_empty();
    view! {
        <div class="bom-delta">
            {(d.state != "clean").then(|| view! { <p class="muted">{format!("Computed against the target as it is ({}).", d.state)}</p> })}
            {d.license_change.clone().map(|l| view! {
                <div class="error license-change" role="alert">
                    <p><strong>"This proposal changes the license"</strong>{format!(" from {} to {}.", l.before.unwrap_or_else(|| "none".into()), l.after.unwrap_or_else(|| "none".into()))}</p>
                    <p>"It can only be merged with an explicit confirmation."</p>
                </div>
            })}
            {d.manifest_problem.clone().map(|p| view! { <p class="error" role="alert">{p}</p> })}
            {(!d.manifest.is_empty()).then(|| view! {
                <h3>"Manifest (okh.toml)"</h3>
                <table><thead><tr><th scope="col">"Key"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                <tbody>{d.manifest.iter().map(|f| view! { <tr><td><code>{f.key.clone()}</code></td><td>{f.before.clone().unwrap_or_default()}</td><td>{f.after.clone().unwrap_or_default()}</td></tr> }).collect_view()}</tbody></table>
            })}
            {nothing.then(|| view! { <p class="empty">"No change to the bill of materials or the manifest."</p> })}
            {d.boms.into_iter().map(|b| view! {
                <section>
                    <h3>"Bill of materials " <code>{b.path.clone()}</code></h3>
                    {(!b.problems.is_empty()).then(|| view! {
                        <div class="error" role="alert"><ul>{b.problems.iter().map(|p| view! { <li>{p.clone()}</li> }).collect_view()}</ul></div>
                    })}
                    <table>
                        <thead><tr><th scope="col">"Change"</th><th scope="col">"Part"</th><th scope="col">"Qty"</th><th scope="col">"Part number"</th><th scope="col">"Supplier"</th></tr></thead>
                        <tbody>
                            {b.added.iter().map(|r| view! { <tr class="added"><td>"added"</td><td>{r.name.clone()}</td><td>{r.quantity.clone()}</td><td>{r.part_number.clone().unwrap_or_default()}</td><td>{r.supplier.clone().unwrap_or_default()}</td></tr> }).collect_view()}
                            {b.removed.iter().map(|r| view! { <tr class="removed"><td>"removed"</td><td>{r.name.clone()}</td><td>{r.quantity.clone()}</td><td>{r.part_number.clone().unwrap_or_default()}</td><td>{r.supplier.clone().unwrap_or_default()}</td></tr> }).collect_view()}
                            {b.changed.iter().map(|c| view! { <tr class="changed"><td>{format!("changed: {}", c.fields.join(", "))}</td><td>{c.after.name.clone()}</td>
                                <td>{format!("{} → {}", c.before.quantity, c.after.quantity)}</td>
                                <td>{c.after.part_number.clone().unwrap_or_default()}</td>
                                <td>{format!("{} → {}", c.before.supplier.clone().unwrap_or_default(), c.after.supplier.clone().unwrap_or_default())}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                    {(!b.new_components.is_empty()).then(|| view! { <p>{format!("New components: {}", b.new_components.join(", "))}</p> })}
                    {b.cost_delta.map(|delta| view! {
                        <p>{format!("Cost: {} → {} (", b.cost_before.map(money).unwrap_or_else(|| "–".into()), b.cost_after.map(money).unwrap_or_else(|| "–".into()))}
                            {format!("{}{})", if delta >= 0.0 { "+" } else { "" }, money(delta))}</p>
                    })}
                </section>
            }).collect_view()}
        </div>
    }
}

#[component]
fn LaborPanel() -> impl IntoView {
    let context = expect_context::<ProposalContext>();
    let preview = LocalResource::new(move || {
        context.version.track();
        api::get::<LaborPreview>(context.api("/labor-preview"))
    });
    view! {
        <Suspense fallback=|| view! { <Loading what="the labor preview"/> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! {
                        <div class="labor-preview">
                            <p>{if p.validates {
                                format!("Merging validates {} units of work:", p.units)
                            } else {
                                "This proposal targets a design or branch whose merges validate nothing (only merges into the network root's default branch do).".to_owned()
                            }}</p>
                            {if p.entries.is_empty() {
                                view! { <p class="empty">"No pending entries."</p> }.into_any()
                            } else {
                                view! {
                                    <table><thead><tr><th scope="col">"Contributor"</th><th scope="col">"Work"</th><th scope="col">"Hours"</th><th scope="col">"Units"</th><th scope="col">"Why"</th></tr></thead>
                                    <tbody>{p.entries.into_iter().map(|e| view! {
                                        <tr><td>{e.account.clone().unwrap_or(e.contributor.clone())}</td><td>{e.work_type.clone()}</td>
                                            <td class="num">{e.hours}</td><td class="num">{e.units}</td>
                                            <td><A href=format!("/labor/entries/{}", e.id)>{e.rule.clone()}</A></td></tr>
                                    }).collect_view()}</tbody></table>
                                }.into_any()
                            }}
                            <h3>"Shares of the design"</h3>
                            <table><thead><tr><th scope="col">"Contributor"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                            <tbody>{p.shares_after.iter().map(|after| {
                                let before = p.shares_before.iter().find(|b| b.contributor == after.contributor).map(|b| b.share).unwrap_or(0.0);
                                view! { <tr><td>{after.account.clone().unwrap_or(after.contributor.clone())}</td>
                                    <td class="num">{format!("{before:.1} %")}</td><td class="num">{format!("{:.1} %", after.share)}</td></tr> }
                            }).collect_view()}</tbody></table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
