//! Start a new design: with a starter okh.toml and README, empty (for a history pushed with
//! git), or from a git bundle uploaded with a progress bar.

use ::api::{ApiError, DesignSummary, ErrorBody, Imported, NewDesign as NewDesignBody};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::auth::Auth;
use crate::components::field::{Field, FormError};
use crate::components::upload::post_form;

/// How the new design starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Starter,
    Empty,
    Bundle,
}

/// The design's git URL on this server.
pub fn clone_url(id: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!("{origin}/{id}.git")
}

fn failed(message: String) -> ApiError {
    ApiError {
        error: ErrorBody {
            code: "import".into(),
            message,
            fields: Vec::new(),
        },
    }
}

#[component]
pub fn NewDesign() -> impl IntoView {
    crate::title::set("New design");
    let auth = Auth::get();
    let navigate = use_navigate();
    let slug = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let function = RwSignal::new(String::new());
    let license = RwSignal::new("CERN-OHL-S-2.0".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let start = RwSignal::new(Start::Starter);
    let bundle = NodeRef::<leptos::html::Input>::new();
    let progress = RwSignal::new(None::<f64>);
    let created_empty = RwSignal::new(None::<String>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        if start.get_untracked() == Start::Bundle {
            let file = bundle
                .get_untracked()
                .and_then(|input| input.files())
                .and_then(|files| files.item(0));
            let Some(file) = file else {
                error.set(Some(failed("choose a .bundle file first".into())));
                return;
            };
            let Ok(form) = web_sys::FormData::new() else {
                return;
            };
            if form
                .append_with_str("slug", slug.get_untracked().trim())
                .is_err()
                || form
                    .append_with_blob_and_filename("bundle", &file, &file.name())
                    .is_err()
            {
                error.set(Some(failed("this browser cannot upload".into())));
                return;
            }
            busy.set(true);
            progress.set(Some(0.0));
            let navigate = navigate.clone();
            post_form(
                "/api/designs/import",
                &form,
                move |fraction| progress.set(Some(fraction)),
                move |answer| {
                    busy.set(false);
                    progress.set(None);
                    match answer.map(|text| serde_json::from_str::<Imported>(&text)) {
                        Ok(Ok(imported)) => {
                            navigate(&format!("/{}", imported.design.id), Default::default())
                        }
                        Ok(Err(_)) => {
                            error.set(Some(failed("unexpected answer from the server".into())))
                        }
                        Err(message) => error.set(Some(failed(message))),
                    }
                },
            );
            return;
        }
        busy.set(true);
        let empty = start.get_untracked() == Start::Empty;
        let body = NewDesignBody {
            slug: slug.get_untracked().trim().to_owned(),
            name: name.get_untracked(),
            function: function.get_untracked(),
            license: license.get_untracked().trim().to_owned(),
            licensor: None,
            version: None,
            empty,
            readme: !empty,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::post::<_, DesignSummary>("/api/designs", &body).await {
                Ok(design) if design.empty => created_empty.set(Some(design.id)),
                Ok(design) => navigate(&format!("/{}", design.id), Default::default()),
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    let submit = StoredValue::new_local(submit);
    view! {
        <section class="page new-design narrow">
            <h1>"New design"</h1>
            <Show when=move || auth.account.read().is_some()
                fallback=|| view! { <p>"Sign in to start a design. " <A href=crate::auth::sign_in_returning_to("/new")>"Sign in"</A></p> }>
                <Show when=move || created_empty.get().is_none() fallback=move || {
                    let id = created_empty.get().unwrap_or_default();
                    let url = clone_url(&id);
                    view! {
                        <div class="push-help" role="status">
                            <p class="success">{format!("{id} is ready for your history.")}</p>
                            <p>"In your repository, push every branch and tag (git asks for your username and an API token with the designs:write scope as the password; see Settings → API tokens):"</p>
                            <pre tabindex="0" aria-label="Commands to push"><code>{format!("git remote add atelier {url}\ngit push atelier --all\ngit push atelier --tags")}</code></pre>
                            <p>"The first push sets the design's default branch: main if you push one, else master, else the first branch pushed."</p>
                            <A href=format!("/{id}")>"Go to the design"</A>
                        </div>
                    }
                }>
                <form on:submit=move |ev| submit.with_value(|submit| submit(ev)) novalidate>
                    <fieldset class="start">
                        <legend>"Start from"</legend>
                        <label><input type="radio" name="start" checked=move || start.get() == Start::Starter
                            on:change=move |_| start.set(Start::Starter)/>" A starter okh.toml and README"</label>
                        <label><input type="radio" name="start" checked=move || start.get() == Start::Empty
                            on:change=move |_| start.set(Start::Empty)/>" An empty repository: I will push an existing git history"</label>
                        <label><input type="radio" name="start" checked=move || start.get() == Start::Bundle
                            on:change=move |_| start.set(Start::Bundle)/>" A git bundle file (" <code>"git bundle create design.bundle --all"</code> ")"</label>
                    </fieldset>
                    <Show when=move || start.get() != Start::Bundle>
                        <Field name="name" label="Name" value=name error hint="e.g. Cargo bike trailer"/>
                    </Show>
                    <Field name="slug" label="Short name (address)" value=slug error
                        hint="Lower-case letters, digits and '-'; the design lives at /you/short-name."/>
                    <Show when=move || start.get() != Start::Bundle>
                        <Field name="function" label="What it does, in one sentence" value=function error/>
                        <Field name="license" label="License (SPDX id)" value=license error
                            hint="Open hardware licenses: CERN-OHL-S-2.0, CERN-OHL-W-2.0, CERN-OHL-P-2.0, CC-BY-SA-4.0…"/>
                    </Show>
                    <Show when=move || start.get() == Start::Bundle>
                        <label for="bundle">"Bundle file"</label>
                        <input id="bundle" name="bundle" type="file" accept=".bundle" node_ref=bundle/>
                        <p class="hint">"Every branch and tag comes in with its history, authors and dates unchanged."</p>
                    </Show>
                    {move || progress.get().map(|fraction| view! {
                        <progress max="1" value=fraction aria-label="Upload progress"></progress>
                    })}
                    <FormError error/>
                    <button type="submit" disabled=move || busy.get()>
                        {move || match start.get() {
                            Start::Bundle => "Import design",
                            _ => "Create design",
                        }}
                    </button>
                </form>
                </Show>
            </Show>
        </section>
    }
}
