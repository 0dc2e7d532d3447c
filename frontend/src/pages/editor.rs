//! The text editor: change an existing file (`/edit/<default branch>/<path>`) or create one in a
//! folder (`/new/<default branch>/<folder>`), then commit on the design's default branch. The content is read at the head the commit will name as
//! its expected head, so a concurrent commit is always caught (409 → conflict dialog).
//!
//! Unsaved changes are never lost silently: leaving by an in-app link (Cancel included) asks
//! first, and so does the browser's own leaving (`beforeunload`).

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
    // The text as loaded (or as last committed): anything else is unsaved work.
    let original = RwSignal::new(String::new());
    let dirty = Memo::new(move |_| {
        content.with(|c| original.with(|o| c != o)) || (create && !name.read().trim().is_empty())
    });
    guard_unsaved(dirty);
    // Markdown files can be previewed as they will render.
    let previewing = RwSignal::new(false);
    let preview = RwSignal::new(None::<Result<String, String>>);
    let is_markdown = Signal::derive(move || {
        let file = if create { name.get() } else { path.get() };
        let lower = file.to_ascii_lowercase();
        lower.ends_with(".md") || lower.ends_with(".markdown")
    });
    let show_preview = move |_| {
        if previewing.get_untracked() {
            previewing.set(false);
            return;
        }
        previewing.set(true);
        preview.set(None);
        let body = serde_json::json!({
            "text": content.get_untracked(),
            "context": design.id(),
            "path": path.get_untracked(),
        });
        spawn_local(async move {
            let html = crate::api::post_for_text("/api/markdown", &body).await;
            preview.set(Some(html.map_err(|e| e.error.message)));
        });
    };

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
                        original.set(text.clone());
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
        // Committed: nothing is unsaved any more.
        original.set(content.get_untracked());
        name.set(String::new());
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
                <Show when=move || is_markdown.get()>
                    <p class="editor-modes">
                        <button type="button" class="secondary" aria-pressed=move || previewing.get().to_string() on:click=show_preview>
                            "Preview"
                        </button>
                    </p>
                </Show>
                <div class="markdown editor-preview" hidden=move || !previewing.get() aria-live="polite">
                    // Only while previewing: a hidden copy of the text would linger in the page.
                    {move || match (previewing.get(), preview.get()) {
                        (false, _) => ().into_any(),
                        (true, None) => view! { <p class="loading">"Rendering…"</p> }.into_any(),
                        (true, Some(Ok(html))) => view! { <div inner_html=html></div> }.into_any(),
                        (true, Some(Err(message))) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                    }}
                </div>
                <label for="editor-text" class="visually-hidden">"File content"</label>
                <textarea id="editor-text" class="editor-text" spellcheck="false" rows="24"
                    hidden=move || previewing.get()
                    prop:value=move || content.get()
                    on:input=move |ev| content.set(event_target_value(&ev))></textarea>
                <CommitForm changes expected_head default_message on_done/>
                <p class="editor-cancel">
                    <a href=move || if create {
                        design.page(&format!("/tree/{}/{}", design.default_branch_untracked(), path.get()))
                    } else {
                        design.page(&format!("/blob/{}/{}", design.default_branch_untracked(), path.get()))
                    }>"Cancel"</a>
                    {move || dirty.get().then(|| view! { <span class="muted">" — unsaved changes"</span> })}
                </p>
            </Show>
        </section>
    }
}

/// While `dirty`, asks before the page is left: in-app links (a capturing click listener, ahead
/// of the router's) confirm first, and the browser's own leaving gets its `beforeunload` prompt.
/// The `beforeunload` listener goes with the editor; the click listener stays (a few bytes per
/// editor opened) and does nothing once the editor is gone.
fn guard_unsaved(dirty: Memo<bool>) {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen::closure::Closure;

    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if dirty.try_get_untracked().unwrap_or(false) {
            ev.prevent_default();
            ev.set_return_value("");
        }
    });
    let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
        if !dirty.try_get_untracked().unwrap_or(false) || ev.default_prevented() || ev.button() != 0
        {
            return;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
        else {
            return;
        };
        // Links that open elsewhere (downloads, new tabs) leave the editor where it is.
        if link.has_attribute("download")
            || link.get_attribute("target").is_some_and(|t| t == "_blank")
        {
            return;
        }
        let leave = window()
            .confirm_with_message(
                "Leave this page? Your changes are not committed and will be lost.",
            )
            .unwrap_or(true);
        if !leave {
            ev.prevent_default();
            ev.stop_immediate_propagation();
        }
    });
    let _ = window().add_event_listener_with_callback_and_bool(
        "click",
        click.as_ref().unchecked_ref(),
        true,
    );
    click.forget();
    on_cleanup(move || unload.remove());
}
