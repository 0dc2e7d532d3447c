//! The page for paths that match no route.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    crate::title::set("Page not found");
    view! {
        <section class="page not-found">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. It may have been moved, or the link may be mistyped."</p>
            <p><A href="/">"Explore designs"</A> " or " <A href="/search">"search"</A> "."</p>
        </section>
    }
}
