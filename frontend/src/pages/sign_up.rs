//! Create an account. The first account of an instance becomes its admin.

use ::api::{ApiError, NewAccount, Session};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::auth::Auth;
use crate::components::field::{Field, FormError};

#[component]
pub fn SignUp() -> impl IntoView {
    crate::title::set("Sign up");
    let auth = Auth::get();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let body = NewAccount {
            username: username.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::post::<_, Session>("/api/accounts", &body).await {
                Ok(session) => {
                    error.set(None);
                    auth.account.set(Some(session.account));
                    navigate("/welcome", Default::default());
                }
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="page sign-up narrow">
            <h1>"Create an account"</h1>
            <p class="lede">"An account lets you fork and edit designs, and credits your work to you."</p>
            <form on:submit=submit novalidate>
                <Field name="username" label="Username" value=username error autocomplete="username"
                    hint="Lower-case letters, digits and '-', up to 39 characters. It appears in your designs' addresses."/>
                <Field name="email" label="Email" kind="email" value=email error autocomplete="email"
                    hint="Use the address you commit with: commits made with it are credited to you."/>
                <Field name="password" label="Password" kind="password" value=password error autocomplete="new-password"
                    hint="At least 10 characters."/>
                <FormError error/>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create account" }}
                </button>
            </form>
            <p>"Already have an account? " <A href="/signin">"Sign in"</A></p>
        </section>
    }
}
