//! The text editor: change an existing file (`/edit/<default branch>/<path>`) or create one in a
//! folder (`/new/<default branch>/<folder>`), then commit on the design's default branch. The content is read at the head the commit will name as
//! its expected head, so a concurrent commit is always caught (409 → conflict dialog).

use ::api::{Change, CommitSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::components::commit_form::CommitForm;
use crate::components::field::Field;
use crate::design::DesignContext;
use crate::pages::files::rev_and_path;

#[component]
pub fn Editor(#[prop(optional)] create: bool) -> impl IntoView {
    let design = DesignContext::get();
    let navigate = use_navigate();
    let (_, path) = rev_and_path();
    let content = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<::api::ApiError>);
    let expected_head = RwSignal::new(String::new());
    let loaded = RwSignal::new(create);
    let load_error = RwSignal::new(None::<String>);

    // Pin the head once, then read the file at exactly that commit.
    Effect::new(move |_| {
        let Some(Ok(detail)) = design.detail.get() else {
            return;
        };
        if !expected_head.get_untracked().is_empty() {
            return;
        }
        expected_head.set(detail.summary.head.clone());
        if create {
            return;
        }
        let url = design.api(&format!(
            "/raw/{}/{}",
            detail.summary.head,
            path.get_untracked()
        ));
        spawn_local(async move {
            match gloo_net::http::Request::get(&url).send().await {
                Ok(response) if response.ok() => match response.text().await {
                    Ok(text) => {
                        content.set(text);
                        loaded.set(true);
                    }
                    Err(err) => load_error.set(Some(format!("Could not read the file ({err})."))),
                },
                Ok(response) => load_error.set(Some(format!(
                    "The file could not be loaded (HTTP {}).",
                    response.status()
                ))),
                Err(err) => load_error.set(Some(format!("Could not reach the server ({err})."))),
            }
        });
    });

    let target_path = move || {
        if create {
            let folder = path.get_untracked();
            let name = name.get_untracked().trim().trim_matches('/').to_owned();
            if folder.is_empty() {
                name
            } else {
                format!("{folder}/{name}")
            }
        } else {
            path.get_untracked()
        }
    };
    let changes = Callback::new(move |()| {
        let target = target_path();
        if create && name.get_untracked().trim().is_empty() {
            return Err("Give the new file a name.".to_owned());
        }
        Ok(vec![Change::Put {
            path: target,
            content: Some(content.get_untracked()),
            upload_id: None,
            mode: None,
        }])
    });
    let on_done = Callback::new(move |_: CommitSummary| {
        navigate(
            &design.page(&format!(
                "/blob/{}/{}",
                design.default_branch_untracked(),
                target_path()
            )),
            Default::default(),
        );
    });
    let default_message = Signal::derive(move || {
        if create {
            format!("Create {}", name.get().trim())
        } else {
            format!("Update {}", path.get())
        }
    });
    view! {
        <section class="editor" aria-label="Edit file">
            <h2>{move || if create { format!("New file in /{}", path.get()) } else { format!("Edit {}", path.get()) }}</h2>
            {move || load_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {create.then(|| view! { <Field name="path" label="File name" value=name error=name_error hint="e.g. assembly.md or cad/bracket.scad"/> })}
            <Show when=move || loaded.get() fallback=|| view! { <p class="loading" role="status">"Loading the file…"</p> }>
                <label for="editor-text" class="visually-hidden">"File content"</label>
                <textarea id="editor-text" class="editor-text" spellcheck="false" rows="24"
                    prop:value=move || content.get()
                    on:input=move |ev| content.set(event_target_value(&ev))></textarea>
                <CommitForm changes expected_head default_message on_done/>
            </Show>
        </section>
    }
}
