//! The fork network of a design as a tree, from the root design down.

use ::api::NetworkNode;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::components::status::{ErrorView, Loading};
use crate::design::DesignContext;

#[component]
pub fn Network() -> impl IntoView {
    let design = DesignContext::get();
    let network = LocalResource::new(move || api::get::<NetworkNode>(design.api("/network")));
    view! {
        <div class="network">
            <Suspense fallback=|| view! { <Loading what="the network"/> }>
                {move || Suspend::new(async move {
                    match network.await {
                        Ok(root) => {
                            let current = design.id();
                            view! {
                                <p class="hint">"Every design here shares history with " <strong>{current.clone()}</strong> ". Forks can be proposed back upstream."</p>
                                <ul class="network-tree">{node(root, current)}</ul>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

fn node(node: NetworkNode, current: String) -> AnyView {
    let is_current = node.id == current;
    let children = node.children;
    view! {
        <li>
            {node.image_url.map(|src| view! { <img class="network-thumb" src=src alt="" loading="lazy" width="48" height="27"/> })}
            <A href=format!("/{}", node.id) attr:aria-current=is_current.then_some("page")>{node.id.clone()}</A>
            {(!node.name.is_empty()).then(|| view! { <span class="network-name">" · " {node.name.clone()}</span> })}
            {node.forked_at.map(|at| view! { <span class="muted">" forked at " <code>{at[..10].to_owned()}</code></span> })}
            {(!children.is_empty()).then(|| view! {
                <ul>{children.into_iter().map(|child| node_view(child, current.clone())).collect_view()}</ul>
            })}
        </li>
    }
    .into_any()
}

fn node_view(child: NetworkNode, current: String) -> AnyView {
    node(child, current)
}
