//! Search: designs whose name, function or license contain every word of the query.
//! (Matching happens in the browser over the design list until the search index exists.)

use ::api::{DesignList, DesignSummary, paging::MAX_PER_PAGE};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api;
use crate::components::design_card::DesignCard;
use crate::components::search_form::SearchForm;
use crate::components::status::{ErrorView, Loading};

fn matches(design: &DesignSummary, words: &[String]) -> bool {
    let haystack = format!(
        "{} {} {} {}",
        design.name,
        design.function,
        design.license.as_deref().unwrap_or_default(),
        design.id
    )
    .to_lowercase();
    words.iter().all(|word| haystack.contains(word.as_str()))
}

#[component]
pub fn Search() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let designs = LocalResource::new(|| {
        api::get::<DesignList>(format!("/api/designs?sort=name&per_page={MAX_PER_PAGE}"))
    });
    view! {
        <section class="page search">
            <h1>"Search"</h1>
            <SearchForm id="search-q" label="Words to look for" class="search-form"/>
            <Suspense fallback=|| view! { <Loading what="designs"/> }>
                {move || {
                    let q = q();
                    Suspend::new(async move {
                        let list = match designs.await {
                            Ok(list) => list,
                            Err(error) => return view! { <ErrorView error/> }.into_any(),
                        };
                        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
                        if words.is_empty() {
                            return view! {
                                <p class="empty">"Type a word such as " <em>"trailer"</em> ", " <em>"solar"</em> " or a license such as " <em>"CERN-OHL"</em> "."</p>
                            }.into_any();
                        }
                        let hits: Vec<DesignSummary> = list.designs.into_iter().filter(|d| matches(d, &words)).collect();
                        if hits.is_empty() {
                            return view! {
                                <p class="empty">"No design matches “" {q} "”. Try fewer or shorter words."</p>
                            }.into_any();
                        }
                        view! {
                            <p class="count" role="status">{format!("{} result{}", hits.len(), if hits.len() == 1 { "" } else { "s" })}</p>
                            <ul class="design-list">
                                {hits.into_iter().map(|design| view! { <DesignCard design/> }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                }}
            </Suspense>
        </section>
    }
}
