//! A search box that opens `/search?q=...` (used in the header and on the Search page).

use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;

#[component]
pub fn SearchForm(
    /// `id` of the input, so its label can point at it.
    #[prop(into)]
    id: String,
    /// Visible label text, or `None` for a visually hidden one.
    #[prop(optional, into)]
    label: Option<String>,
    #[prop(optional, into)] class: String,
) -> impl IntoView {
    let query = use_query_map();
    let current = move || query.read().get("q").unwrap_or_default();
    let input = NodeRef::<html::Input>::new();
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = input.get().map(|i| i.value()).unwrap_or_default();
        navigate(
            &format!("/search?q={}", api::encode(q.trim())),
            Default::default(),
        );
    };
    let (label_text, label_class) = match label {
        Some(text) => (text, ""),
        None => ("Search designs".to_owned(), "visually-hidden"),
    };
    view! {
        <form class=class role="search" on:submit=submit>
            <label for=id.clone() class=label_class>{label_text}</label>
            <input id=id type="search" name="q" placeholder="Search designs…" prop:value=current node_ref=input/>
            <button type="submit">"Search"</button>
        </form>
    }
}
