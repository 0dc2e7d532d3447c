//! Start a new design: a form that creates it with a starter okh.toml and README.

use ::api::{ApiError, DesignSummary, NewDesign as NewDesignBody};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::auth::Auth;
use crate::components::field::{Field, FormError};

#[component]
pub fn NewDesign() -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let slug = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let function = RwSignal::new(String::new());
    let license = RwSignal::new("CERN-OHL-S-2.0".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let body = NewDesignBody {
            slug: slug.get_untracked().trim().to_owned(),
            name: name.get_untracked(),
            function: function.get_untracked(),
            license: license.get_untracked().trim().to_owned(),
            licensor: None,
            version: None,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::post::<_, DesignSummary>("/api/designs", &body).await {
                Ok(design) => navigate(&format!("/{}", design.id), Default::default()),
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="page new-design narrow">
            <h1>"New design"</h1>
            <Show when=move || auth.account.read().is_some()
                fallback=|| view! { <p>"Sign in to start a design. " <A href="/signin">"Sign in"</A></p> }>
                <form on:submit=submit.clone() novalidate>
                    <Field name="name" label="Name" value=name error hint="e.g. Cargo bike trailer"/>
                    <Field name="slug" label="Short name (address)" value=slug error
                        hint="Lower-case letters, digits and '-'; the design lives at /you/short-name."/>
                    <Field name="function" label="What it does, in one sentence" value=function error/>
                    <Field name="license" label="License (SPDX id)" value=license error
                        hint="Open hardware licenses: CERN-OHL-S-2.0, CERN-OHL-W-2.0, CERN-OHL-P-2.0, CC-BY-SA-4.0…"/>
                    <FormError error/>
                    <button type="submit" disabled=move || busy.get()>"Create design"</button>
                </form>
            </Show>
        </section>
    }
}
