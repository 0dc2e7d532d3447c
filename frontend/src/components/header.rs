//! Site header: brand, main navigation, the search box, and the account menu (or sign-in links).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::auth::Auth;
use crate::components::search_form::SearchForm;

#[component]
pub fn Header() -> impl IntoView {
    let auth = Auth::get();
    let location = leptos_router::hooks::use_location();
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">"Atelier"</A>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Explore"</A></li>
                    <li><A href="/search">"Search"</A></li>
                    <Show when=move || auth.loaded.get() && auth.account.read().is_none()>
                        <li><A href=move || crate::auth::sign_in_returning_to(&location.pathname.get())>"Sign in"</A></li>
                        <li><A href="/signup">"Sign up"</A></li>
                    </Show>
                </ul>
            </nav>
            <SearchForm id="header-q" class="header-search"/>
            {move || auth.username().map(|username| view! { <AccountMenu username/> })}
        </header>
    }
}

#[component]
fn AccountMenu(username: String) -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let sign_out = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            // Signed out locally whatever the server says: the cookie is gone or useless.
            let _ = api::delete("/api/session").await;
            auth.account.set(None);
            navigate("/", Default::default());
        });
    };
    let profile = format!("/@{username}");
    view! {
        <details class="account-menu" prop:open=move || open.get() on:toggle=move |ev| {
            open.set(event_target::<web_sys::HtmlDetailsElement>(&ev).open());
        } on:keydown=move |ev| {
            // Escape closes the menu and gives focus back to its button.
            if ev.key() == "Escape" && open.get_untracked() {
                open.set(false);
                if let Some(summary) = document()
                    .query_selector(".account-menu summary")
                    .ok()
                    .flatten()
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                {
                    let _ = summary.focus();
                }
            }
        }>
            <summary aria-label=format!("Account menu for {username}")>{username.clone()}</summary>
            <ul role="list" on:click=move |_| open.set(false)>
                <li><A href=profile>"Your profile"</A></li>
                <li><A href="/new">"New design"</A></li>
                <li><A href="/settings">"Settings"</A></li>
                <li><button type="button" class="link-button" on:click=sign_out>"Sign out"</button></li>
            </ul>
        </details>
    }
}
