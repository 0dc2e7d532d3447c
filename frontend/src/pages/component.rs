//! A component's page: where it is used, in every design and fork, with quantities and versions.

use ::api::WhereUsed;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::status::{ErrorView, Loading};

#[component]
pub fn Component() -> impl IntoView {
    let params = use_params_map();
    let key = Signal::derive(move || params.read().get("key").unwrap_or_default());
    Effect::new(move |_| crate::title::set(&format!("Component {}", key.get())));
    let used = LocalResource::new(move || {
        api::get::<WhereUsed>(format!("/api/components/{}", api::encode(&key.get())))
    });
    view! {
        <section class="page component">
            <Suspense fallback=|| view! { <Loading what="the component"/> }>
                {move || Suspend::new(async move {
                    match used.await {
                        Ok(used) => view! {
                            <p class="breadcrumb"><A href="/search">"Search"</A> " / component"</p>
                            <h1>{used.name.clone()}</h1>
                            <p class="lede">
                                {used.part_number.clone().map(|p| view! { "Part number " <code>{p}</code> " · " })}
                                {format!("used in {} design{}", used.used_in, if used.used_in == 1 { "" } else { "s" })}
                            </p>
                            <div class="table-scroll" tabindex="0" role="region" aria-label="Designs that use it">
                                <table class="where-used">
                                    <thead><tr>
                                        <th scope="col">"Design"</th><th scope="col">"As written"</th>
                                        <th scope="col" class="num">"Quantity"</th><th scope="col">"Unit"</th><th scope="col">"Version"</th>
                                    </tr></thead>
                                    <tbody>
                                        {used.uses.into_iter().map(|u| {
                                            let commit_href = format!("/{}/commit/{}", u.design, u.head);
                                            let short = u.head.get(..7).unwrap_or_default().to_owned();
                                            view! {
                                            <tr>
                                                <td><A href=format!("/{}", u.design)>{u.design.clone()}</A></td>
                                                <td>{u.name}</td>
                                                <td class="num">{u.quantity_text}</td>
                                                <td>{u.unit.unwrap_or_default()}</td>
                                                <td>{u.version} " " <A href=commit_href><code>{short}</code></A></td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
