//! One commit (message, authors, trailers, diff) and the compare view (`base...head`).

use ::api::{CommitDetail, CommitSummary, Comparison};
use leptos::prelude::*;

use crate::components::time::{Shown, Time};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::diff::Diff;
use crate::components::status::{ErrorView, Loading};
use crate::design::DesignContext;

#[component]
pub fn CommitPage() -> impl IntoView {
    let design = DesignContext::get();
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || {
        api::get::<CommitDetail>(design.api(&format!("/commits/{}", api::encode(&id.get()))))
    });
    view! {
        <div class="commit-page">
            <Suspense fallback=|| view! { <Loading what="the commit"/> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail) => {
                            // A root commit has no parent: its models are all added.
                            let parent = detail.commit.parents.first().cloned().unwrap_or_default();
                            let revs = (parent, detail.commit.id.clone());
                            view! {
                                <CommitHead commit=detail.commit.clone()/>
                                <Diff files=detail.files revs/>
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
fn CommitHead(commit: CommitSummary) -> impl IntoView {
    let design = DesignContext::get();
    let body: String = commit
        .message
        .lines()
        .skip(1)
        .filter(|line| {
            !commit
                .trailers
                .iter()
                .any(|t| line.starts_with(&format!("{}:", t.key)))
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned();
    view! {
        <header class="commit-head">
            <h2>{commit.summary.clone()}</h2>
            {(!body.is_empty()).then(|| view! { <pre class="commit-body" tabindex="0">{body}</pre> })}
            <dl class="facts">
                <dt>"Author"</dt><dd>{who(commit.author.clone())} ", " <Time iso=commit.author.time.clone() shown=Shown::DateTime/></dd>
                {(commit.committer.name != commit.author.name).then(|| view! { <dt>"Committer"</dt><dd>{who(commit.committer.clone())}</dd> })}
                <dt>"Commit"</dt><dd><code>{commit.id.clone()}</code></dd>
                {commit.parents.first().cloned().map(|parent| view! {
                    <dt>"Parent"</dt><dd><A href=design.page(&format!("/commit/{parent}"))><code>{parent[..10].to_owned()}</code></A></dd>
                })}
                {commit.trailers.iter().map(|t| view! { <dt>{t.key.clone()}</dt><dd>{t.value.clone()}</dd> }).collect_view()}
            </dl>
            <p><A href=design.page(&format!("/tree/{}", commit.id))>"Browse the files at this commit"</A></p>
        </header>
    }
}

/// A person linked to their account, or marked unclaimed.
fn who(person: ::api::Person) -> AnyView {
    match person.account {
        Some(account) => view! { <A href=format!("/@{account}")>{person.name}</A> }.into_any(),
        None => view! { <span>{person.name} <span class="badge muted">"unclaimed"</span></span> }
            .into_any(),
    }
}

#[component]
pub fn Compare() -> impl IntoView {
    let design = DesignContext::get();
    let params = use_params_map();
    let spec = Signal::derive(move || params.read().get("spec").unwrap_or_default());
    let comparison = LocalResource::new(move || {
        api::get::<Comparison>(design.api(&format!("/compare/{}", api::encode(&spec.get()))))
    });
    view! {
        <div class="compare">
            <h2>"Compare " <code>{move || spec.get()}</code></h2>
            <Suspense fallback=|| view! { <Loading what="the comparison"/> }>
                {move || Suspend::new(async move {
                    match comparison.await {
                        Ok(c) => view! {
                            <p class="count">{format!("{} commit{} in head that base lacks", c.commits.len(), if c.commits.len() == 1 { "" } else { "s" })}</p>
                            <ol class="commit-list">
                                {c.commits.into_iter().map(|commit| view! {
                                    <li><A href=design.page(&format!("/commit/{}", commit.id))>{commit.summary}</A>
                                        " " <span class="muted">{commit.author.name}</span></li>
                                }).collect_view()}
                            </ol>
                            <Diff files=c.files revs=(c.merge_base.clone().unwrap_or(c.base.clone()), c.head.clone())/>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
