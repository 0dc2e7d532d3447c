//! A design's page: its manifest summary and head commit.

use ::api::DesignSummary;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::status::{ErrorView, Loading};

#[component]
pub fn DesignPage() -> impl IntoView {
    let params = use_params_map();
    let design = LocalResource::new(move || {
        let params = params.read();
        let path = format!(
            "/api/designs/{}/{}",
            api::encode(&params.get("owner").unwrap_or_default()),
            api::encode(&params.get("slug").unwrap_or_default())
        );
        api::get::<DesignSummary>(path)
    });
    view! {
        <section class="page design">
            <Suspense fallback=|| view! { <Loading what="the design"/> }>
                {move || Suspend::new(async move {
                    match design.await {
                        Ok(design) => view! { <DesignView design/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DesignView(design: DesignSummary) -> impl IntoView {
    view! {
        <p class="breadcrumb">{design.owner.clone()} " / " {design.slug.clone()}</p>
        <h1>{design.name}</h1>
        <p class="lede">{design.function}</p>
        {design.manifest_error.map(|error| view! {
            <p class="error" role="alert">"The manifest has a problem: " {error}</p>
        })}
        <dl class="facts">
            <dt>"License"</dt><dd>{design.license.unwrap_or_else(|| "not stated".into())}</dd>
            <dt>"Version"</dt><dd>{design.version.unwrap_or_else(|| "not stated".into())}</dd>
            <dt>"Updated"</dt><dd><time datetime=design.updated.clone()>{design.updated.clone()}</time></dd>
            <dt>"Head commit"</dt><dd><code>{design.head}</code></dd>
        </dl>
    }
}
