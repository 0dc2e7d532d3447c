//! Where a new account lands: what to do next.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::Auth;

#[component]
pub fn Welcome() -> impl IntoView {
    crate::title::set("Welcome");
    let auth = Auth::get();
    let profile = move || format!("/@{}", auth.username().unwrap_or_default());
    view! {
        <section class="page welcome narrow">
            <h1>"Welcome to Atelier"</h1>
            <p class="lede">"Your account is ready. What next?"</p>
            <ul class="next-steps">
                <li><A href="/">"Explore designs"</A> " — find one to build, fork or improve."</li>
                <li><A href="/new">"Start a new design"</A> " — an empty one to push to, or from a bundle."</li>
                <li><A href="/settings">"Claim your commit emails"</A> " — commits made with them are credited to you."</li>
                <li><A href=profile>"Your profile"</A> " — your designs and your labor account."</li>
            </ul>
        </section>
    }
}
