//! Site header: brand, main navigation and the search box (which opens the Search page).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::search_form::SearchForm;

#[component]
pub fn Header() -> impl IntoView {
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
            <SearchForm id="header-q" class="header-search"/>
        </header>
    }
}
