//! A design's change proposals: the list (filtered by state, with counts) and the form that
//! proposes a fork's branch back (`proposals/new?head=owner/slug:branch`).

use ::api::{ApiError, NewProposal, Proposal, ProposalList};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::time::Time;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::auth::Auth;
use crate::components::field::{Field, FormError};
use crate::components::status::{ErrorView, Loading};
use crate::design::DesignContext;

/// The state badge of a proposal: open, draft, merged or closed.
pub fn state_label(proposal: &Proposal) -> (&'static str, &'static str) {
    match (proposal.state.as_str(), proposal.draft) {
        ("merged", _) => ("Merged", "state state-merged"),
        ("closed", _) => ("Closed", "state state-closed"),
        (_, true) => ("Draft", "state state-draft"),
        _ => ("Open", "state state-open"),
    }
}

#[component]
pub fn Proposals() -> impl IntoView {
    let design = DesignContext::get();
    let query = use_query_map();
    let state = Signal::derive(move || query.read().get("state").unwrap_or_else(|| "open".into()));
    let list = LocalResource::new(move || {
        let state = state.get();
        api::get::<ProposalList>(design.api(&format!("/proposals?state={}", api::encode(&state))))
    });
    let filter = move |key: &'static str, label: &'static str, count: i64| {
        let href = design.page(&format!("/proposals?state={key}"));
        let current = move || (state.get() == key).then_some("page");
        view! { <li><a href=href aria-current=current>{format!("{label} ({count})")}</a></li> }
    };
    view! {
        <div class="proposals">
            <Suspense fallback=|| view! { <Loading what="proposals"/> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) => {
                            let all = list.open + list.closed + list.merged;
                            view! {
                                <nav class="filters" aria-label="Proposals by state">
                                    <ul>
                                        {filter("open", "Open", list.open)}
                                        {filter("merged", "Merged", list.merged)}
                                        {filter("closed", "Closed", list.closed)}
                                        {filter("all", "All", all)}
                                    </ul>
                                </nav>
                                {if list.proposals.is_empty() {
                                    view! { <p class="empty">"No proposals here. Fork the design, improve it, and propose your changes back."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="proposal-list">
                                            {list.proposals.into_iter().map(|p| {
                                                let (label, class) = state_label(&p);
                                                view! {
                                                    <li>
                                                        <span class=class>{label}</span> " "
                                                        <A href=design.page(&format!("/proposals/{}", p.number))>{p.title.clone()}</A>
                                                        <span class="muted">{format!(" #{} by {} · {} ← {}:{} · ", p.number, p.author, p.base.branch, p.head.design, p.head.branch)}<Time iso=p.created_at.clone()/></span>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn NewProposalPage() -> impl IntoView {
    let design = DesignContext::get();
    let auth = Auth::get();
    let query = use_query_map();
    let navigate = use_navigate();
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let head = RwSignal::new(query.read_untracked().get("head").unwrap_or_default());
    let base = RwSignal::new(design.default_branch_untracked());
    let draft = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let request = NewProposal {
            title: title.get_untracked(),
            body: Some(body.get_untracked()),
            head: head.get_untracked().trim().to_owned(),
            base: Some(base.get_untracked().trim().to_owned()),
            draft: Some(draft.get_untracked()),
        };
        let path = design.api("/proposals");
        let navigate = navigate.clone();
        busy.set(true);
        spawn_local(async move {
            match api::post::<_, Proposal>(&path, &request).await {
                Ok(p) => {
                    design.reload();
                    navigate(
                        &design.page(&format!("/proposals/{}", p.number)),
                        Default::default(),
                    );
                }
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="new-proposal">
            <h2>"Propose changes to " {move || design.id()}</h2>
            <Show when=move || auth.account.get().is_some()
                fallback=|| view! { <p class="empty">"Sign in to propose changes."</p> }>
                <form class="proposal-form" on:submit=submit.clone() novalidate>
                    <Field name="head" label="Changes from" value=head error hint="owner/slug:branch of your fork"/>
                    <Field name="base" label="Into branch" value=base error/>
                    <Field name="title" label="Title" value=title error/>
                    <div class="field">
                        <label for="proposal-body">"Why and what (Markdown)"</label>
                        <textarea id="proposal-body" rows="8" prop:value=move || body.get()
                            on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    </div>
                    <div class="field checkbox">
                        <input id="proposal-draft" type="checkbox" prop:checked=move || draft.get()
                            on:change=move |ev| draft.set(event_target_checked(&ev))/>
                        <label for="proposal-draft">"Draft: not ready for review yet"</label>
                    </div>
                    <FormError error/>
                    <button type="submit" disabled=move || busy.get()>
                        {move || if busy.get() { "Proposing…" } else { "Propose changes" }}
                    </button>
                </form>
            </Show>
        </div>
    }
}
