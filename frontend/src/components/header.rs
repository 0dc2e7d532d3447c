//! Site header: brand, main navigation and the search box (which opens the Search page).

use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

#[component]
pub fn Header() -> impl IntoView {
    let query = use_query_map();
    let current = move || query.read().get("q").unwrap_or_default();
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Atelier"</A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Explore"</A></li>
                    <li><A href="/search">"Search"</A></li>
                    <li><A href="/signin">"Sign in"</A></li>
                </ul>
            </nav>
            <Form action="/search" attr:class="header-search" attr:role="search">
                <label for="header-q" class="visually-hidden">"Search designs"</label>
                <input id="header-q" type="search" name="q" placeholder="Search designs…" prop:value=current/>
                <button type="submit">"Search"</button>
            </Form>
        </header>
    }
}
