//! The Atelier single-page app: Leptos, client-side rendered, compiled to WASM.

mod api;
mod app;
mod auth;
mod components;
mod design;
mod pages;
mod title;

fn main() {
    console_error_panic_hook::set_once();
    // The static shell of index.html has done its job.
    if let Some(shell) = leptos::prelude::document().get_element_by_id("boot-shell") {
        shell.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
