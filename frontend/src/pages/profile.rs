//! A person's public page, `/@username`: their account and the designs they own.

use ::api::{Account, DesignList, paging::MAX_PER_PAGE};
use leptos::prelude::*;

use crate::components::time::{self as time};
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::design_card::DesignCard;
use crate::components::status::{ErrorView, Loading};
use crate::pages::not_found::NotFound;

#[component]
pub fn Profile() -> impl IntoView {
    let params = use_params_map();
    let username = move || {
        params
            .read()
            .get("user")
            .and_then(|u| u.strip_prefix('@').map(str::to_owned))
    };
    Effect::new(move |_| match username() {
        Some(name) => crate::title::set(&format!("@{name}")),
        None => crate::title::set("Page not found"),
    });
    move || match username() {
        Some(username) => view! { <ProfileOf username/> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    }
}

#[component]
fn ProfileOf(username: String) -> impl IntoView {
    let account = LocalResource::new({
        let path = format!("/api/accounts/{}", api::encode(&username));
        move || api::get::<Account>(path.clone())
    });
    let designs = LocalResource::new({
        let path = format!(
            "/api/designs?owner={}&per_page={MAX_PER_PAGE}",
            api::encode(&username)
        );
        move || api::get::<DesignList>(path.clone())
    });
    view! {
        <section class="page profile">
            <Suspense fallback=|| view! { <Loading what="the profile"/> }>
                {move || Suspend::new(async move {
                    match account.await {
                        Ok(account) => view! {
                            <h1>"@" {account.username.clone()}</h1>
                            <p class="lede">
                                {if account.is_system { "This instance's own account: it holds the sample designs.".to_owned() }
                                 else { format!("Member since {}", time::local(&account.created_at, time::Shown::Date).unwrap_or_default()) }}
                                {account.is_admin.then(|| view! { <span class="badge">"instance admin"</span> })}
                            </p>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"Designs"</h2>
            <Suspense fallback=|| view! { <Loading what="designs"/> }>
                {move || Suspend::new(async move {
                    match designs.await {
                        Ok(list) if list.designs.is_empty() => view! {
                            <p class="empty">"No designs yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="design-list">
                                {list.designs.into_iter().map(|design| view! { <DesignCard design/> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <crate::pages::labor::AccountLaborView username=username.clone()/>
        </section>
    }
}
