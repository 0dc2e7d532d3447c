//! The commit form shared by the editor, uploads, renames and deletes: message, optional labor
//! (hours and work type), and the conflict dialog when the branch moved meanwhile (409): it
//! shows the newer commit and lets the person reapply their change on top. Nothing typed is lost.

use ::api::{ApiError, Change, CommitList, CommitSummary, LABOR_TYPES, Labor, NewCommit};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api;
use crate::components::field::{Field, FormError};
use crate::design::DesignContext;

#[component]
pub fn CommitForm(
    /// The changes to commit, computed when the form is submitted.
    changes: Callback<(), Result<Vec<Change>, String>>,
    /// The head the changes were made against; updated when they are reapplied.
    expected_head: RwSignal<String>,
    #[prop(into)] default_message: Signal<String>,
    /// Called with the new commit.
    on_done: Callback<CommitSummary>,
    #[prop(into, default = "Commit changes".into())] button: String,
) -> impl IntoView {
    let design = DesignContext::get();
    let message = RwSignal::new(String::new());
    let hours = RwSignal::new(String::new());
    let kind = RwSignal::new("design".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let conflict = RwSignal::new(None::<CommitSummary>);

    let submit_now = move || {
        let changes = match changes.run(()) {
            Ok(changes) => changes,
            Err(why) => {
                error.set(Some(ApiError::new("invalid", why)));
                return;
            }
        };
        let hours_text = hours.get_untracked();
        let labor = if hours_text.trim().is_empty() {
            None
        } else {
            match hours_text.trim().replace(',', ".").parse::<f64>() {
                Ok(h) => Some(Labor {
                    hours: h,
                    kind: kind.get_untracked(),
                }),
                Err(_) => {
                    let mut err =
                        ApiError::new("invalid", "Hours must be a number such as 2 or 1.5.");
                    err.error.fields.push(::api::FieldError {
                        field: "labor.hours".into(),
                        message: "hours must be a number such as 2 or 1.5".into(),
                    });
                    error.set(Some(err));
                    return;
                }
            }
        };
        let typed = message.get_untracked();
        let body = NewCommit {
            branch: design.default_branch_untracked(),
            expected_head: expected_head.get_untracked(),
            message: if typed.trim().is_empty() {
                default_message.get_untracked()
            } else {
                typed
            },
            labor,
            changes,
        };
        busy.set(true);
        let path = design.api("/commits");
        spawn_local(async move {
            match api::post::<_, CommitSummary>(&path, &body).await {
                Ok(commit) => {
                    error.set(None);
                    conflict.set(None);
                    message.set(String::new());
                    hours.set(String::new());
                    expected_head.set(commit.id.clone());
                    design.reload();
                    on_done.run(commit);
                }
                Err(err) if err.error.code == "conflict" => {
                    // Show who committed meanwhile.
                    let newest = api::get::<CommitList>(design.api(&format!(
                        "/commits?rev={}&per_page=1",
                        api::encode(&design.default_branch_untracked())
                    )))
                    .await
                    .ok()
                    .and_then(|list| list.commits.into_iter().next());
                    error.set(None);
                    conflict.set(newest);
                    if conflict.get_untracked().is_none() {
                        error.set(Some(err));
                    }
                }
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !busy.get_untracked() {
            submit_now();
        }
    };
    let reapply = move |_| {
        if let Some(newer) = conflict.get_untracked() {
            expected_head.set(newer.id);
            conflict.set(None);
            submit_now();
        }
    };
    view! {
        <form class="commit-form" on:submit=submit novalidate>
            <Field name="message" label="Commit message" value=message error
                hint=format!("Leave empty for “{}”.", default_message.get_untracked())/>
            <fieldset class="labor">
                <legend>"Your work (optional, credited to your labor account)"</legend>
                <Field name="labor.hours" label="Hours" value=hours error kind="text"/>
                <div class="field">
                    <label for="labor-type">"Work type"</label>
                    <select id="labor-type" prop:value=move || kind.get() on:change=move |ev| kind.set(event_target_value(&ev))>
                        {LABOR_TYPES.iter().map(|t| view! { <option value=*t>{*t}</option> }).collect_view()}
                    </select>
                </div>
            </fieldset>
            <FormError error/>
            {move || conflict.get().map(|newer| {
                let href = design.page(&format!("/commit/{}", newer.id));
                view! {
                    <div class="conflict" role="alertdialog" aria-labelledby="conflict-title" aria-describedby="conflict-text">
                        <h2 id="conflict-title">"Someone committed first"</h2>
                        <p id="conflict-text">
                            "While you worked, " <strong>{newer.author.name.clone()}</strong> " committed "
                            <A href=href>"“" {newer.summary.clone()} "”"</A>
                            ". Your changes are kept. Reapply them on top of the newer version, or cancel and look first."
                        </p>
                        <button type="button" class="reapply" on:click=reapply>"Reapply my changes on top"</button>
                        <button type="button" class="link-button" on:click=move |_| conflict.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            <button type="submit" disabled=move || busy.get()>
                {let button = button.clone(); move || if busy.get() { "Committing…".to_owned() } else { button.clone() }}
            </button>
        </form>
    }
}
