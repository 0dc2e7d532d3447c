//! History: the commits of a revision, newest first, thirty to a page.

use ::api::CommitList;
use leptos::prelude::*;

use crate::components::time::Time;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api;
use crate::components::status::{ErrorView, Loading};
use crate::design::DesignContext;

#[component]
pub fn History() -> impl IntoView {
    let design = DesignContext::get();
    let params = use_params_map();
    let query = use_query_map();
    let rev = Signal::derive(move || {
        params
            .read()
            .get("rev")
            .unwrap_or_else(|| design.default_branch())
    });
    let page = Signal::derive(move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let commits = LocalResource::new(move || {
        api::get::<CommitList>(design.api(&format!(
            "/commits?rev={}&page={}",
            api::encode(&rev.get()),
            page.get()
        )))
    });
    view! {
        <div class="history">
            <Suspense fallback=|| view! { <Loading what="history"/> }>
                {move || Suspend::new(async move {
                    match commits.await {
                        Ok(list) => {
                            let pages = list.total.div_ceil(list.per_page.max(1) as u64).max(1) as u32;
                            let page = list.page;
                            let rev = rev.get_untracked();
                            view! {
                                <p class="count">{format!("{} commit{} on {rev}", list.total, if list.total == 1 { "" } else { "s" })}</p>
                                <ol class="commit-list">
                                    {list.commits.into_iter().map(|c| {
                                        let href = design.page(&format!("/commit/{}", c.id));
                                        let labor = c.trailers.iter().find(|t| t.key == "Labor-Hours").map(|t| t.value.clone());
                                        view! {
                                            <li>
                                                <A href=href attr:class="commit-summary">{c.summary.clone()}</A>
                                                <span class="muted">
                                                    {c.author.account.clone().map(|a| format!("@{a}")).unwrap_or_else(|| format!("{} (unclaimed)", c.author.name))}
                                                    " · " <Time iso=c.author.time.clone()/>
                                                    {labor.map(|h| format!(" · {h} h"))}
                                                </span>
                                                <code class="commit-id">{c.id[..10].to_owned()}</code>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                                <nav class="pager" aria-label="Pages">
                                    {(page > 1).then(|| view! { <A href=design.page(&format!("/commits/{rev}?page={}", page - 1))>"← Newer"</A> })}
                                    <span>{format!("Page {page} of {pages}")}</span>
                                    {(page < pages).then(|| view! { <A href=design.page(&format!("/commits/{rev}?page={}", page + 1))>"Older →"</A> })}
                                </nav>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
