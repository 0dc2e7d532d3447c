//! Explore: every design of the commons, a page at a time, sorted as the reader asks (recently
//! updated, name, forks) and filtered by license and readiness, with or without forks. Everything
//! lives in the URL, so the back button and shared links keep it; filtering by category or
//! material, and by words, is the search page's.

use ::api::{DesignList, DesignSearch};
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
    ("downloads", "Most downloaded"),
];

/// What the reader chose: sort, filters and page.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    sort: &'static str,
    license: String,
    readiness: String,
    hide_forks: bool,
    page: u64,
}

impl View {
    /// The page's address; defaults are left out, so the plain Explore is `/`.
    fn url(&self) -> String {
        let mut pairs = Vec::new();
        if self.sort != "updated" {
            pairs.push(format!("sort={}", self.sort));
        }
        for (key, value) in [("license", &self.license), ("readiness", &self.readiness)] {
            if !value.is_empty() {
                pairs.push(format!("{key}={}", api::encode(value)));
            }
        }
        if self.hide_forks {
            pairs.push("forks=hide".to_owned());
        }
        if self.page > 1 {
            pairs.push(format!("page={}", self.page));
        }
        if pairs.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", pairs.join("&"))
        }
    }

    /// Whether a filter narrows the list (sort and page do not).
    fn filtered(&self) -> bool {
        !self.license.is_empty() || !self.readiness.is_empty() || self.hide_forks
    }

    /// The same view at another page.
    fn at(&self, page: u64) -> String {
        Self {
            page,
            ..self.clone()
        }
        .url()
    }

    fn api(&self) -> String {
        let mut url = format!(
            "/api/designs?sort={}&page={}&per_page={PER_PAGE}",
            self.sort, self.page
        );
        for (key, value) in [("license", &self.license), ("readiness", &self.readiness)] {
            if !value.is_empty() {
                url.push_str(&format!("&{key}={}", api::encode(value)));
            }
        }
        if self.hide_forks {
            url.push_str("&forks=false");
        }
        url
    }
}

#[component]
pub fn Explore() -> impl IntoView {
    crate::title::set("Explore designs");
    let query = use_query_map();
    let view_of = Memo::new(move |_| {
        let params = query.read();
        let asked = params.get("sort").unwrap_or_default();
        View {
            sort: SORTS
                .iter()
                .find(|(key, _)| *key == asked)
                .map_or("updated", |(key, _)| *key),
            license: params.get("license").unwrap_or_default(),
            readiness: params.get("readiness").unwrap_or_default(),
            hide_forks: params.get("forks").as_deref() == Some("hide"),
            page: params
                .get("page")
                .and_then(|p| p.parse::<u64>().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    });
    let designs = LocalResource::new(move || api::get::<DesignList>(view_of.get().api()));
    // The values to filter by, with their counts: the search index's facets of every design
    // (of upstreams only while forks are hidden, so the counts match the list).
    let hide_forks = Memo::new(move |_| view_of.get().hide_forks);
    let choices = LocalResource::new(move || {
        let roots = if hide_forks.get() { "&forks=false" } else { "" };
        api::get::<DesignSearch>(format!("/api/search?per_page=1{roots}"))
    });
    let navigate = StoredValue::new_local(use_navigate());
    let change = move |edit: &dyn Fn(&mut View)| {
        let mut next = view_of.get_untracked();
        edit(&mut next);
        next.page = 1;
        navigate.with_value(|go| go(&next.url(), NavigateOptions::default()));
    };
    let choose = move |key: &'static str| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            change(&|v: &mut View| match key {
                "sort" => {
                    v.sort = SORTS
                        .iter()
                        .find(|(k, _)| *k == value)
                        .map_or("updated", |(k, _)| *k)
                }
                "license" => v.license = value.clone(),
                _ => v.readiness = value.clone(),
            })
        }
    };
    let on_forks = move |ev: leptos::ev::Event| {
        let hide = event_target_checked(&ev);
        change(&|v: &mut View| v.hide_forks = hide);
    };
    // A `<select>` of one facet's values ("Any" first), showing the current choice.
    let select = move |key: &'static str, label: &'static str| {
        let current = move || {
            let v = view_of.get();
            if key == "license" {
                v.license
            } else {
                v.readiness
            }
        };
        view! {
            <label for=format!("explore-{key}")>{label}</label>
            // The chosen option is marked `selected` (compared without case, as the server
            // compares): a `prop:value` in another case would leave the box blank.
            <select id=format!("explore-{key}") on:change=choose(key)>
                <option value="">"Any"</option>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let values = choices.await.ok().and_then(|c| c.facets.get(key).cloned()).unwrap_or_default();
                        let chosen = current();
                        let listed = values.iter().any(|v| v.value.eq_ignore_ascii_case(&chosen));
                        view! {
                            {values.into_iter().map(|v| {
                                let selected = v.value.eq_ignore_ascii_case(&chosen);
                                view! { <option value=v.value.clone() selected=selected>{format!("{} ({})", v.value, v.count)}</option> }
                            }).collect_view()}
                            {(!chosen.is_empty() && !listed).then(|| view! { <option value=chosen.clone() selected=true>{chosen.clone()}</option> })}
                        }
                    })}
                </Transition>
            </select>
        }
    };
    view! {
        <section class="page explore">
            <h1>"Explore designs"</h1>
            <p class="lede">"Open hardware made together: fork a design, improve it, and propose it back."</p>
            <div class="list-tools" role="group" aria-label="Sort and filter">
                <span class="tool">
                    <label for="explore-sort">"Sort by"</label>
                    <select id="explore-sort" on:change=choose("sort") prop:value=move || view_of.get().sort>
                        {move || SORTS.iter().map(|(key, label)| view! { <option value=*key selected=view_of.get().sort == *key>{*label}</option> }).collect_view()}
                    </select>
                </span>
                <span class="tool">{select("license", "License")}</span>
                <span class="tool">{select("readiness", "Readiness")}</span>
                <span class="tool">
                    <input id="explore-forks" type="checkbox" prop:checked=move || view_of.get().hide_forks on:change=on_forks/>
                    <label for="explore-forks">"Hide forks"</label>
                </span>
                <A href="/search">"Search by words, category or material"</A>
            </div>
            <Suspense fallback=|| view! { <Loading what="designs"/> }>
                {move || Suspend::new(async move {
                    match designs.await {
                        Ok(list) if list.designs.is_empty() && list.total == 0 && !view_of.get_untracked().filtered() => view! {
                            <p class="empty">"No designs yet. Designs imported or created on this instance appear here."</p>
                        }.into_any(),
                        Ok(list) if list.designs.is_empty() && list.total == 0 => view! {
                            <p class="empty">"No design matches these filters. " <A href="/">"Show every design"</A></p>
                        }.into_any(),
                        Ok(list) if list.designs.is_empty() => view! {
                            <p class="empty">"This page is past the last design. "
                                <A href=view_of.get_untracked().at(1)>"Back to the first page"</A></p>
                        }.into_any(),
                        Ok(list) => {
                            let page = u64::from(list.page);
                            let per_page = u64::from(list.per_page).max(1);
                            let first = (page - 1) * per_page + 1;
                            let last = first + list.designs.len() as u64 - 1;
                            let total = list.total;
                            let pages = total.div_ceil(per_page);
                            let view = view_of.get_untracked();
                            view! {
                                <p class="count" aria-live="polite">
                                    {format!("{total} design{}", if total == 1 { "" } else { "s" })}
                                    {(pages > 1).then(|| format!(", showing {first}–{last}"))}
                                </p>
                                <ul class="design-list">
                                    {list.designs.into_iter().map(|design| view! { <DesignCard design/> }).collect_view()}
                                </ul>
                                <Pager view page pages/>
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
fn Pager(view: View, page: u64, pages: u64) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <A href=view.at(page - 1) attr:rel="prev">"← Previous"</A> })}
                <span>{format!("Page {page} of {pages}")}</span>
                {(page < pages).then(|| view! { <A href=view.at(page + 1) attr:rel="next">"Next →"</A> })}
            </nav>
        }
    })
}
