//! The Atelier single-page app: Leptos, client-side rendered, compiled to WASM.

mod api;
mod app;
mod auth;
mod components;
mod design;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
