//! Account settings: commit emails, password, API tokens (the secret is shown once).

use ::api::{
    ApiError, CreatedToken, Email, EmailList, NewEmail, NewToken, PasswordChange, Session,
    TokenList,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::time::{Shown, Time};
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api;
use crate::auth::Auth;
use crate::components::field::{Field, FormError};
use crate::components::status::{ErrorView, Loading};

#[component]
pub fn Settings() -> impl IntoView {
    crate::title::set("Settings");
    let auth = Auth::get();
    view! {
        <section class="page settings">
            <h1>"Settings"</h1>
            <Show
                when=move || auth.account.read().is_some()
                fallback=move || view! {
                    <Show when=move || auth.loaded.get() fallback=|| view! { <Loading what="your account"/> }>
                        <p>"Settings are for signed-in people. " <A href=crate::auth::sign_in_returning_to("/settings")>"Sign in"</A></p>
                    </Show>
                }
            >
                <Emails/>
                <Password/>
                <Tokens/>
            </Show>
        </section>
    }
}

#[component]
fn Emails() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let emails = LocalResource::new(move || {
        version.track();
        api::get::<EmailList>("/api/account/emails")
    });
    let email = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = NewEmail {
            email: email.get_untracked(),
        };
        spawn_local(async move {
            match api::post::<_, Email>("/api/account/emails", &body).await {
                Ok(_) => {
                    error.set(None);
                    email.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let remove = move |address: String| {
        spawn_local(async move {
            match api::delete(&format!("/api/account/emails/{}", api::encode(&address))).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="emails-heading">
            <h2 id="emails-heading">"Commit emails"</h2>
            <p class="hint">
                "Commits authored with these addresses are credited to you. Addresses are "
                <strong>"unverified"</strong>
                ": this instance cannot send email yet. An address another account holds cannot be added."
            </p>
            <Suspense fallback=|| view! { <Loading what="emails"/> }>
                {move || Suspend::new(async move {
                    match emails.await {
                        Ok(list) => view! {
                            <ul class="plain-list emails">
                                {list.emails.into_iter().map(|e| {
                                    let address = e.email.clone();
                                    view! {
                                        <li>
                                            <code>{e.email.clone()}</code>
                                            {e.primary.then(|| view! { <span class="badge">"account email"</span> })}
                                            {(!e.verified).then(|| view! { <span class="badge muted">"unverified"</span> })}
                                            {(!e.primary).then(|| view! {
                                                <button type="button" class="link-button"
                                                    on:click=move |_| remove(address.clone())>
                                                    "Remove"
                                                </button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <form on:submit=add class="inline-form" novalidate>
                <Field name="email" label="Add an email you commit with" kind="email" value=email error/>
                <FormError error/>
                <button type="submit">"Add email"</button>
            </form>
        </section>
    }
}

#[component]
fn Password() -> impl IntoView {
    let auth = Auth::get();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = PasswordChange {
            current_password: current.get_untracked(),
            new_password: new.get_untracked(),
        };
        spawn_local(async move {
            match api::put::<_, Session>("/api/account/password", &body).await {
                Ok(session) => {
                    error.set(None);
                    current.set(String::new());
                    new.set(String::new());
                    auth.account.set(Some(session.account));
                    done.set(true);
                }
                Err(err) => {
                    done.set(false);
                    error.set(Some(err));
                }
            }
        });
    };
    view! {
        <section class="settings-section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form on:submit=submit novalidate>
                <Field name="current_password" label="Current password" kind="password" value=current error autocomplete="current-password"/>
                <Field name="new_password" label="New password" kind="password" value=new error autocomplete="new-password"
                    hint="At least 10 characters. Every other session is signed out."/>
                <FormError error/>
                <button type="submit">"Change password"</button>
                <Show when=move || done.get()>
                    <p class="success" role="status">"Password changed. Your other sessions were signed out."</p>
                </Show>
            </form>
        </section>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let tokens = LocalResource::new(move || {
        version.track();
        api::get::<TokenList>("/api/tokens")
    });
    let name = RwSignal::new(String::new());
    let write = RwSignal::new(true);
    let error = RwSignal::new(None::<ApiError>);
    let created = RwSignal::new(None::<CreatedToken>);
    let copied = RwSignal::new(false);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = NewToken {
            name: name.get_untracked(),
            scopes: if write.get_untracked() {
                vec!["designs:write".into()]
            } else {
                vec![]
            },
        };
        spawn_local(async move {
            match api::post::<_, CreatedToken>("/api/tokens", &body).await {
                Ok(token) => {
                    error.set(None);
                    name.set(String::new());
                    copied.set(false);
                    created.set(Some(token));
                    version.update(|v| *v += 1);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let revoke = move |id: i64| {
        spawn_local(async move {
            match api::delete(&format!("/api/tokens/{id}")).await {
                Ok(()) => {
                    if created.get_untracked().is_some_and(|c| c.token.id == id) {
                        created.set(None);
                    }
                    version.update(|v| *v += 1);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    let copy = move |secret: String| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&secret);
            copied.set(true);
        }
    };
    view! {
        <section class="settings-section" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="hint">"For the command line and scripts: send " <code>"Authorization: Bearer <token>"</code> "."</p>
            <p class="hint">"For git: when " <code>"git push"</code> " asks, give your username and a token with the " <code>"designs:write"</code> " scope as the password (a credential helper such as " <code>"git config --global credential.helper store"</code> " remembers it)."</p>
            {move || created.get().map(|token| {
                let secret = token.secret.clone();
                view! {
                    <div class="new-token" role="status">
                        <p><strong>"Copy your new token “" {token.token.name.clone()} "” now. It will not be shown again."</strong></p>
                        <p><code class="secret">{token.secret.clone()}</code></p>
                        <button type="button" on:click=move |_| copy(secret.clone())>
                            {move || if copied.get() { "Copied" } else { "Copy token" }}
                        </button>
                        <button type="button" class="link-button" on:click=move |_| created.set(None)>"Done"</button>
                    </div>
                }
            })}
            <Suspense fallback=|| view! { <Loading what="tokens"/> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.tokens.is_empty() => view! {
                            <p class="empty">"No tokens yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="tokens" tabindex="0" aria-label="API tokens">
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                <tbody>
                                    {list.tokens.into_iter().map(|t| {
                                        let id = t.id;
                                        view! {
                                            <tr>
                                                <td class="token-name">{t.name}</td>
                                                <td>{if t.scopes.is_empty() { "none (identify only)".to_owned() } else { t.scopes.join(", ") }}</td>
                                                <td><Time iso=t.created_at.clone() shown=Shown::DateTime/></td>
                                                <td>{t.last_used_at.unwrap_or_else(|| "never".into())}</td>
                                                <td><button type="button" class="link-button" on:click=move |_| revoke(id)>"Revoke"</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <form on:submit=create class="inline-form" novalidate>
                <Field name="name" label="Token name" value=name error hint="What it is for, e.g. “workshop laptop”."/>
                <div class="field checkbox">
                    <input id="token-write" type="checkbox" bind:checked=write/>
                    <label for="token-write">"May change designs (" <code>"designs:write"</code> ")"</label>
                </div>
                <FormError error/>
                <button type="submit">"Create token"</button>
            </form>
        </section>
    }
}
