//! Form fields with a label and the server's message for that field, and the form-level error.

use ::api::ApiError;
use leptos::prelude::*;

/// A labelled input bound to `value`, showing `error`'s message for `name` under it.
#[component]
pub fn Field(
    /// The request field this input fills (matches `ApiError` field names).
    #[prop(into)]
    name: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    error: RwSignal<Option<ApiError>>,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, default = "off".into())] autocomplete: String,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = Signal::derive({
        let name = name.clone();
        move || {
            error
                .read()
                .as_ref()
                .and_then(|e| e.field(&name).map(str::to_owned))
        }
    });
    let described_by = if hint.is_some() {
        format!("{hint_id} {error_id}")
    } else {
        error_id.clone()
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|hint| view! { <p class="hint" id=hint_id>{hint}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                bind:value=value
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described_by
            />
            <p class="field-error" id=error_id>{move || message.get()}</p>
        </div>
    }
}

/// The error of a form submission that names no field (conflict, rate limit, network).
#[component]
pub fn FormError(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.error.fields.is_empty())
            .map(|e| view! { <p class="error form-error" role="alert">{e.error.message}</p> })
    }
}
