//! Search: instant results as you type (debounced), facet filters with counts, highlighted
//! snippets, sorting, and the components whose names match. Everything lives in the URL, so a
//! search can be shared and the back button works.

use std::time::Duration;

use ::api::{ComponentSearch, DesignSearch};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::design_card::CardImage;
use crate::components::status::{ErrorView, Loading};

const FACETS: &[(&str, &str)] = &[
    ("license", "License"),
    ("category", "Category"),
    ("material", "Material"),
    ("readiness", "Readiness"),
];
/// Parameters kept in the URL besides `q`.
const PARAMS: &[&str] = &[
    "license",
    "category",
    "material",
    "readiness",
    "owner",
    "sort",
    "page",
];

/// Builds `/search?...` from the current parameters with `changes` applied (`None` removes).
fn search_url(
    current: &leptos_router::params::ParamsMap,
    changes: &[(&str, Option<String>)],
) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for key in std::iter::once(&"q").chain(PARAMS) {
        let value = match changes.iter().find(|(k, _)| k == key) {
            Some((_, v)) => v.clone(),
            None => current.get(key),
        };
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            pairs.push(((*key).to_owned(), value));
        }
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", api::encode(v)))
        .collect();
    format!("/search?{}", query.join("&"))
}

#[component]
pub fn Search() -> impl IntoView {
    crate::title::set("Search");
    let query = use_query_map();
    let navigate = use_navigate();
    let typed = RwSignal::new(query.get_untracked().get("q").unwrap_or_default());
    let pending = StoredValue::new(None::<TimeoutHandle>);

    // Keep the box in step when the URL changes from elsewhere (header search, back button).
    Effect::new(move |_| {
        let q = query.read().get("q").unwrap_or_default();
        if q.trim() != typed.get_untracked().trim() {
            typed.set(q);
        }
    });

    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        typed.set(value.clone());
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let navigate = navigate.clone();
        let handle = set_timeout_with_handle(
            move || {
                let url = search_url(
                    &query.get_untracked(),
                    &[("q", Some(value.clone())), ("page", None)],
                );
                navigate(
                    &url,
                    NavigateOptions {
                        replace: true,
                        ..Default::default()
                    },
                );
            },
            Duration::from_millis(250),
        );
        pending.set_value(handle.ok());
    };

    let results = LocalResource::new(move || {
        let params = query.get();
        let mut url = String::from("/api/search?");
        for key in std::iter::once(&"q").chain(PARAMS) {
            if let Some(value) = params.get(key) {
                url.push_str(&format!("{key}={}&", api::encode(&value)));
            }
        }
        api::get::<DesignSearch>(url)
    });
    let components = LocalResource::new(move || {
        let q = query.get().get("q").unwrap_or_default();
        async move {
            if q.trim().is_empty() {
                return Ok(None);
            }
            api::get::<ComponentSearch>(format!("/api/components?q={}&per_page=5", api::encode(&q)))
                .await
                .map(Some)
        }
    });

    view! {
        <section class="page search">
            <h1>"Search"</h1>
            <div class="search-form" role="search">
                <label for="search-q">"Designs, components, materials, licenses"</label>
                <input id="search-q" type="search" autocomplete="off" placeholder="e.g. trailer, M8 bolt, license:CERN-OHL-S-2.0"
                    prop:value=move || typed.get() on:input=on_input autofocus/>
                <label for="search-sort" class="visually-hidden">"Sort by"</label>
                <select id="search-sort" prop:value=move || query.read().get("sort").unwrap_or_else(|| "relevance".into())
                    on:change={
                        let navigate = use_navigate();
                        move |ev| {
                            let url = search_url(&query.get_untracked(), &[("sort", Some(event_target_value(&ev))), ("page", None)]);
                            navigate(&url, Default::default());
                        }
                    }>
                    <option value="relevance">"Best match"</option>
                    <option value="updated">"Recently updated"</option>
                    <option value="forks">"Most forked"</option>
                </select>
            </div>
            <Suspense fallback=|| view! { <Loading what="results"/> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(found) => view! { <Results found/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match components.await {
                        Ok(Some(found)) if !found.components.is_empty() => view! {
                            <section class="component-results" aria-labelledby="components-heading">
                                <h2 id="components-heading">"Components"</h2>
                                <ul class="plain-list">
                                    {found.components.into_iter().map(|c| view! {
                                        <li>
                                            <A href=format!("/components/{}", c.key)>{c.name}</A>
                                            {c.part_number.map(|p| view! { " " <code>{p}</code> })}
                                            <span class="muted">{format!(" · used in {} design{}", c.used_in, if c.used_in == 1 { "" } else { "s" })}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Results(found: DesignSearch) -> impl IntoView {
    let query = use_query_map();
    let params = query.get_untracked();
    let active: Vec<(String, String)> = FACETS
        .iter()
        .chain([&("owner", "Owner")])
        .filter_map(|(key, _)| params.get(key).map(|v| ((*key).to_owned(), v)))
        .collect();
    let pages = found.total.div_ceil(found.per_page.max(1) as u64).max(1) as u32;
    let page = found.page;
    let count = format!(
        "{} design{}{}",
        found.total,
        if found.total == 1 { "" } else { "s" },
        if found.query.trim().is_empty() {
            String::new()
        } else {
            format!(" for “{}”", found.query.trim())
        }
    );
    let facets = found.facets.clone();
    // On a phone the filters fold behind a button so the first result is in view.
    let filters_open = RwSignal::new(false);
    let chosen = active.len();
    view! {
        <div class="search-layout">
            <aside id="search-facets" class="facets" class:open=move || filters_open.get() aria-label="Filters">
                <button type="button" class="secondary filters-toggle" aria-controls="search-facets"
                    aria-expanded=move || filters_open.get().to_string()
                    on:click=move |_| filters_open.update(|open| *open = !*open)>
                    {move || match (filters_open.get(), chosen) {
                        (true, _) => "Hide filters".to_owned(),
                        (false, 0) => "Filters".to_owned(),
                        (false, n) => format!("Filters ({n} chosen)"),
                    }}
                </button>
                {FACETS.iter().map(|(key, label)| {
                    let values = facets.get(*key).cloned().unwrap_or_default();
                    let selected = params.get(key);
                    (!values.is_empty()).then(|| view! {
                        <section class="facet">
                            <h2>{*label}</h2>
                            <ul>
                                {values.into_iter().map(|v| {
                                    let on = selected.as_deref() == Some(v.value.as_str());
                                    let href = search_url(&params, &[(key, if on { None } else { Some(v.value.clone()) }), ("page", None)]);
                                    view! {
                                        <li>
                                            // A plain link (the router still handles it): `<A>` would
                                            // manage `aria-current` itself. Only the chosen value claims it.
                                            <a href=href aria-current=on.then_some("true") class=if on { "facet-on" } else { "" }>
                                                {if *key == "category" { ::api::tsdc::label(&v.value) } else { v.value.clone() }}
                                                <span class="count-badge">{v.count}</span>
                                            </a>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </section>
                    })
                }).collect_view()}
            </aside>
            <div class="search-results">
                <p class="count" role="status" aria-live="polite">{count}</p>
                {(!active.is_empty()).then(|| view! {
                    <p class="active-filters">
                        "Filtered by "
                        {active.into_iter().map(|(key, value)| {
                            let href = search_url(&params, &[(key.as_str(), None), ("page", None)]);
                            let shown = if key == "category" { ::api::tsdc::label(&value) } else { value };
                            view! { <A href=href attr:class="chip" attr:title="Remove this filter">{format!("{key}: {shown}")} " ×"</A> " " }
                        }).collect_view()}
                    </p>
                })}
                {if found.designs.is_empty() {
                    view! {
                        <div class="empty">
                            <p>"Nothing matches. Try fewer words, or one of these:"</p>
                            <ul class="suggestions">
                                {["trailer", "solar", "M8 bolt", "material:steel", "license:CERN-OHL-S-2.0"].into_iter().map(|s| view! {
                                    <li><A href=format!("/search?q={}", api::encode(s))>{s}</A></li>
                                }).collect_view()}
                            </ul>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <ol class="hits">
                            {found.designs.into_iter().map(|hit| view! {
                                <li class="hit">
                                    <CardImage url=hit.image_url.clone()/>
                                    <h2 class="card-title"><A href=format!("/{}", hit.id)>{hit.name}</A></h2>
                                    <p class="snippet" inner_html=hit.snippet_html></p>
                                    <p class="card-meta">
                                        <span class="license">{hit.license.unwrap_or_else(|| "no license".into())}</span>
                                        <span>{hit.id.clone()}</span>
                                        {hit.parent.map(|p| view! { <span>"fork of " {p}</span> })}
                                        <span>{format!("{} fork{}", hit.forks, if hit.forks == 1 { "" } else { "s" })}</span>
                                    </p>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
                {(pages > 1).then(|| view! {
                    <nav class="pager" aria-label="Pages">
                        {(page > 1).then(|| view! { <A href=search_url(&params, &[("page", Some((page - 1).to_string()))])>"← Previous"</A> })}
                        <span>{format!("Page {page} of {pages}")}</span>
                        {(page < pages).then(|| view! { <A href=search_url(&params, &[("page", Some((page + 1).to_string()))])>"Next →"</A> })}
                    </nav>
                })}
            </div>
        </div>
    }
}
