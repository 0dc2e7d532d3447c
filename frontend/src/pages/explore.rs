//! Explore: every design of the commons, a page at a time, sorted as the reader asks (recently
//! updated, name, forks). Page and sort live in the URL, so the back button and shared links
//! keep them; filtering by license, category or readiness is the search page's.

use ::api::DesignList;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::design_card::DesignCard;
use crate::components::status::{ErrorView, Loading};

/// Designs per page.
const PER_PAGE: u64 = 24;
const SORTS: &[(&str, &str)] = &[
    ("updated", "Recently updated"),
    ("name", "Name"),
    ("forks", "Most forked"),
];

fn explore_url(sort: &str, page: u64) -> String {
    match (sort, page) {
        ("updated", 1) => "/".to_owned(),
        (sort, 1) => format!("/?sort={sort}"),
        ("updated", page) => format!("/?page={page}"),
        (sort, page) => format!("/?sort={sort}&page={page}"),
    }
}

#[component]
pub fn Explore() -> impl IntoView {
    crate::title::set("Explore designs");
    let query = use_query_map();
    let sort = Memo::new(move |_| {
        let asked = query.read().get("sort").unwrap_or_default();
        SORTS
            .iter()
            .find(|(key, _)| *key == asked)
            .map_or("updated", |(key, _)| *key)
    });
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    });
    let designs = LocalResource::new(move || {
        let (sort, page) = (sort.get(), page.get());
        api::get::<DesignList>(format!(
            "/api/designs?sort={sort}&page={page}&per_page={PER_PAGE}"
        ))
    });
    let navigate = use_navigate();
    let on_sort = move |ev: leptos::ev::Event| {
        navigate(
            &explore_url(&event_target_value(&ev), 1),
            NavigateOptions::default(),
        );
    };
    view! {
        <section class="page explore">
            <h1>"Explore designs"</h1>
            <p class="lede">"Open hardware made together: fork a design, improve it, and propose it back."</p>
            <div class="list-tools">
                <label for="explore-sort">"Sort by"</label>
                <select id="explore-sort" on:change=on_sort prop:value=move || sort.get()>
                    {SORTS.iter().map(|(key, label)| view! { <option value=*key>{*label}</option> }).collect_view()}
                </select>
                <A href="/search">"Filter by license, category or readiness"</A>
            </div>
            <Suspense fallback=|| view! { <Loading what="designs"/> }>
                {move || Suspend::new(async move {
                    match designs.await {
                        Ok(list) if list.designs.is_empty() && list.total == 0 => view! {
                            <p class="empty">"No designs yet. Designs imported or created on this instance appear here."</p>
                        }.into_any(),
                        Ok(list) if list.designs.is_empty() => view! {
                            <p class="empty">"This page is past the last design. "
                                <A href=explore_url(sort.get_untracked(), 1)>"Back to the first page"</A></p>
                        }.into_any(),
                        Ok(list) => {
                            let page = u64::from(list.page);
                            let per_page = u64::from(list.per_page).max(1);
                            let first = (page - 1) * per_page + 1;
                            let last = first + list.designs.len() as u64 - 1;
                            let total = list.total;
                            let pages = total.div_ceil(per_page);
                            let sort = sort.get_untracked();
                            view! {
                                <p class="count" aria-live="polite">
                                    {format!("{total} design{}", if total == 1 { "" } else { "s" })}
                                    {(pages > 1).then(|| format!(", showing {first}–{last}"))}
                                </p>
                                <ul class="design-list">
                                    {list.designs.into_iter().map(|design| view! { <DesignCard design/> }).collect_view()}
                                </ul>
                                <Pager sort page pages/>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Previous and next page links, and where the reader is.
#[component]
fn Pager(sort: &'static str, page: u64, pages: u64) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <A href=explore_url(sort, page - 1) attr:rel="prev">"← Previous"</A> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <A href=explore_url(sort, page + 1) attr:rel="next">"Next →"</A> })}
            </nav>
        }
    })
}
