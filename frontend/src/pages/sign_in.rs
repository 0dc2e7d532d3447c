//! Sign in. Accounts are not part of this version yet: the page says so plainly.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SignIn() -> impl IntoView {
    view! {
        <section class="page sign-in">
            <h1>"Sign in"</h1>
            <p>"This instance does not have accounts yet. Browsing designs needs no account."</p>
            <p><A href="/">"Explore designs"</A></p>
        </section>
    }
}
