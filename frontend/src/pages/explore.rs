//! Explore: every design of the commons, newest first.

use ::api::{DesignList, paging::MAX_PER_PAGE};
use leptos::prelude::*;

use crate::api;
use crate::components::design_card::DesignCard;
use crate::components::status::{ErrorView, Loading};

#[component]
pub fn Explore() -> impl IntoView {
    let designs = LocalResource::new(|| {
        api::get::<DesignList>(format!("/api/designs?sort=updated&per_page={MAX_PER_PAGE}"))
    });
    view! {
        <section class="page explore">
            <h1>"Explore designs"</h1>
            <p class="lede">"Open hardware made together: fork a design, improve it, and propose it back."</p>
            <Suspense fallback=|| view! { <Loading what="designs"/> }>
                {move || Suspend::new(async move {
                    match designs.await {
                        Ok(list) if list.designs.is_empty() => view! {
                            <p class="empty">"No designs yet. Designs imported or created on this instance appear here."</p>
                        }.into_any(),
                        Ok(list) => {
                            let shown = list.designs.len();
                            let total = list.total;
                            view! {
                                <p class="count">{format!("{total} design{}", if total == 1 { "" } else { "s" })}
                                    {((shown as u64) < total).then(|| format!(", showing the {shown} most recent"))}
                                </p>
                                <ul class="design-list">
                                    {list.designs.into_iter().map(|design| view! { <DesignCard design/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
