//! Loading and error states used by every page that fetches.

use ::api::ApiError;
use leptos::prelude::*;

#[component]
pub fn Loading(#[prop(into)] what: String) -> impl IntoView {
    view! { <p class="loading" role="status" aria-live="polite">"Loading " {what} "…"</p> }
}

#[component]
pub fn ErrorView(error: ApiError) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <p><strong>"Something went wrong. "</strong>{error.error.message}</p>
            <p class="error-code">"Error code: " <code>{error.error.code}</code></p>
        </div>
    }
}
