//! Sign in with username and password.

use ::api::{ApiError, Session, SignIn as SignInBody};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::auth::Auth;
use crate::components::field::{Field, FormError};

#[component]
pub fn SignIn() -> impl IntoView {
    crate::title::set("Sign in");
    let auth = Auth::get();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let query = leptos_router::hooks::use_query_map();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let body = SignInBody {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::post::<_, Session>("/api/session", &body).await {
                Ok(session) => {
                    error.set(None);
                    auth.account.set(Some(session.account));
                    // Back to the page that asked for the sign-in.
                    navigate(
                        &crate::auth::safe_next(query.get_untracked().get("next")),
                        Default::default(),
                    );
                }
                Err(err) => error.set(Some(err)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="page sign-in narrow">
            <h1>"Sign in"</h1>
            <form on:submit=submit novalidate>
                <Field name="username" label="Username or email" value=username error autocomplete="username"/>
                <Field name="password" label="Password" kind="password" value=password error autocomplete="current-password"/>
                <FormError error/>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p>"New here? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}
