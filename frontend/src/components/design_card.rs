//! One design in a list: name (linked), one-line function, license and owner.

use ::api::DesignSummary;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn DesignCard(design: DesignSummary) -> impl IntoView {
    let href = format!("/{}", design.id);
    let license = design
        .license
        .unwrap_or_else(|| "No license stated".to_owned());
    view! {
        <li class="card">
            <h2 class="card-title"><A href=href>{design.name}</A></h2>
            <p class="card-function">{design.function}</p>
            <p class="card-meta">
                <span class="license" title="License (SPDX)">{license}</span>
                <span class="owner">"by " {design.owner}</span>
            </p>
        </li>
    }
}
