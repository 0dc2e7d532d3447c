//! One design in a list: its picture, name (linked), what it is a fork of, one-line function,
//! license, owner, last update and fork count.

use ::api::DesignSummary;
use leptos::prelude::*;

use crate::components::time::Time;
use leptos_router::components::A;

#[component]
pub fn DesignCard(design: DesignSummary) -> impl IntoView {
    let href = format!("/{}", design.id);
    let license = design
        .license
        .unwrap_or_else(|| "No license stated".to_owned());
    let updated = (!design.updated.is_empty()).then(|| {
        view! { <Time iso=design.updated.clone() prefix="updated "/> }
    });
    let forks = (design.forks > 0).then(|| {
        format!(
            "{} fork{}",
            design.forks,
            if design.forks == 1 { "" } else { "s" }
        )
    });
    view! {
        <li class="card">
            <CardImage url=design.image_url/>
            <h2 class="card-title"><A href=href>{design.name}</A></h2>
            {design.fork_of.map(|parent| view! {
                <p class="card-fork">"fork of " <A href=format!("/{parent}")>{parent.clone()}</A></p>
            })}
            <p class="card-function">{design.function}</p>
            <p class="card-meta">
                <span class="license" title="License (SPDX)">{license}</span>
                <span class="owner">"by " {design.owner}</span>
                {updated}
                {forks.map(|f| view! { <span>{f}</span> })}
            </p>
        </li>
    }
}

/// A card's picture (decorative: the title beside it names the design), or a neutral block of
/// the same size, so cards line up.
#[component]
pub fn CardImage(url: Option<String>) -> impl IntoView {
    match url {
        Some(url) => {
            view! { <img class="card-image" src=url alt="" loading="lazy" decoding="async"/> }
                .into_any()
        }
        None => view! { <div class="card-image placeholder" aria-hidden="true"></div> }.into_any(),
    }
}
