//! Uploading files by drag and drop (or the file picker) into a folder: each file is streamed to
//! `POST .../uploads` with a progress bar, then one commit adds them all.

use ::api::{Change, CommitSummary, Upload};
use leptos::prelude::*;
use wasm_bindgen::JsCast as _;
use wasm_bindgen::closure::Closure;
use web_sys::{File, FormData, ProgressEvent, XmlHttpRequest};

use crate::components::commit_form::CommitForm;
use crate::design::DesignContext;
use crate::pages::files::human_size;

#[derive(Debug, Clone, PartialEq)]
enum State {
    Uploading(f64),
    Done(Upload),
    Failed(String),
}

#[derive(Debug, Clone)]
struct Item {
    name: String,
    size: u64,
    state: RwSignal<State>,
}

#[component]
pub fn UploadZone(folder: Signal<String>) -> impl IntoView {
    let design = DesignContext::get();
    let items = RwSignal::new(Vec::<Item>::new());
    let over = RwSignal::new(false);
    let expected_head = RwSignal::new(String::new());
    // In the design's context: the reload after the commit redraws this page.
    let committed = design.notice;
    Effect::new(move |_| {
        if let Some(Ok(detail)) = design.detail.get() {
            expected_head.set(detail.summary.head);
        }
    });

    let start = move |file: File| {
        let item = Item {
            name: file.name(),
            size: file.size() as u64,
            state: RwSignal::new(State::Uploading(0.0)),
        };
        items.update(|list| list.push(item.clone()));
        committed.set(None);
        send(&design.api("/uploads"), file, item.state);
    };
    let add_files = move |files: Option<web_sys::FileList>| {
        let Some(files) = files else { return };
        for i in 0..files.length() {
            if let Some(file) = files.item(i) {
                start(file);
            }
        }
    };
    let ready = move || {
        let list = items.get();
        !list.is_empty() && list.iter().all(|i| matches!(i.state.get(), State::Done(_)))
    };
    let changes = Callback::new(move |()| {
        let folder = folder.get_untracked();
        items
            .get_untracked()
            .iter()
            .map(|item| match item.state.get_untracked() {
                State::Done(upload) => Ok(Change::Put {
                    path: if folder.is_empty() {
                        item.name.clone()
                    } else {
                        format!("{folder}/{}", item.name)
                    },
                    content: None,
                    upload_id: Some(upload.upload_id),
                    mode: None,
                }),
                _ => Err(format!("{} has not finished uploading", item.name)),
            })
            .collect()
    });
    let on_done = Callback::new(move |commit: CommitSummary| {
        items.set(Vec::new());
        committed.set(Some(commit.summary));
    });
    view! {
        <section class="upload" aria-labelledby="upload-heading">
            <h2 id="upload-heading">"Add files"</h2>
            <label
                class="drop-zone"
                class:over=move || over.get()
                on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); over.set(true); }
                on:dragleave=move |_| over.set(false)
                on:drop=move |ev: web_sys::DragEvent| {
                    ev.prevent_default();
                    over.set(false);
                    add_files(ev.data_transfer().and_then(|d| d.files()));
                }
            >
                "Drop CAD files, meshes, images or documents here, or "
                <span class="link-like">"choose files"</span>
                <input type="file" multiple class="visually-hidden" on:change=move |ev| {
                    let input = event_target::<web_sys::HtmlInputElement>(&ev);
                    add_files(input.files());
                    input.set_value("");
                }/>
            </label>
            <ul class="plain-list uploads">
                <For each=move || items.get() key=|item| (item.name.clone(), item.size) let:item>
                    <li>
                        <code>{item.name.clone()}</code> " " <span class="muted">{human_size(item.size)}</span>
                        {move || match item.state.get() {
                            State::Uploading(fraction) => view! {
                                <progress max="1" value=fraction aria-label=format!("Uploading {}", item.name)></progress>
                            }.into_any(),
                            State::Done(_) => view! { <span class="success">"uploaded"</span> }.into_any(),
                            State::Failed(why) => view! { <span class="error-text">{why}</span> }.into_any(),
                        }}
                    </li>
                </For>
            </ul>
            {move || committed.get().map(|summary| view! { <p class="success" role="status">"Committed “" {summary} "”."</p> })}
            <Show when=ready>
                <CommitForm changes expected_head on_done
                    default_message=Signal::derive(move || {
                        let n = items.get().len();
                        if n == 1 { format!("Add {}", items.get()[0].name) } else { format!("Add {n} files") }
                    })
                    button="Commit uploaded files"/>
            </Show>
        </section>
    }
}

/// Posts one file as the multipart field `file`, showing its progress in `state`.
fn send(url: &str, file: File, state: RwSignal<State>) {
    let Ok(form) = FormData::new() else {
        return state.set(State::Failed("this browser cannot upload".into()));
    };
    if form
        .append_with_blob_and_filename("file", &file, &file.name())
        .is_err()
    {
        return state.set(State::Failed("could not start the upload".into()));
    }
    post_form(
        url,
        &form,
        move |fraction| state.set(State::Uploading(fraction)),
        move |answer| {
            state.set(match answer {
                Ok(text) => match serde_json::from_str::<Upload>(&text) {
                    Ok(upload) => State::Done(upload),
                    Err(_) => State::Failed("unexpected answer from the server".into()),
                },
                Err(message) => State::Failed(message),
            })
        },
    );
}

/// Posts `form` with XMLHttpRequest, which (unlike fetch) reports upload progress: `progress`
/// gets the fraction sent, `done` the answer's text on a 2xx, else the error message.
pub fn post_form(
    url: &str,
    form: &FormData,
    progress: impl Fn(f64) + 'static,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    let Ok(xhr) = XmlHttpRequest::new() else {
        return done(Err("this browser cannot upload".into()));
    };
    if xhr.open("POST", url).is_err() || xhr.set_request_header(::api::CSRF_HEADER, "1").is_err() {
        return done(Err("could not start the upload".into()));
    }
    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |ev: ProgressEvent| {
        if ev.length_computable() && ev.total() > 0.0 {
            progress(ev.loaded() / ev.total());
        }
    });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();
    let request = xhr.clone();
    let done = std::rc::Rc::new(std::cell::Cell::new(Some(done)));
    let finish = done.clone();
    let on_end = Closure::<dyn FnMut()>::new(move || {
        let Some(done) = finish.take() else { return };
        let text = request.response_text().ok().flatten().unwrap_or_default();
        let status = request.status().unwrap_or(0);
        if (200..300).contains(&status) {
            done(Ok(text));
        } else if status == 0 {
            done(Err("the connection to the server was lost".into()));
        } else {
            done(Err(serde_json::from_str::<::api::ApiError>(&text)
                .map(|e| e.error.message)
                .unwrap_or_else(|_| format!("the server answered {status}"))));
        }
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    on_end.forget();
    if xhr.send_with_opt_form_data(Some(form)).is_err()
        && let Some(done) = done.take()
    {
        done(Err("could not send the file".into()));
    }
}
