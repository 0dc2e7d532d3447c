//! Each page's `<title>` ("Cargo Bike Trailer · atelier · Atelier"), and after an in-app
//! navigation, focus on the new page's main heading, so screen readers announce the page and
//! keyboard users start from its top. The first page of a visit keeps the browser's focus.

use leptos::prelude::*;
use wasm_bindgen::JsCast as _;

thread_local! {
    /// The path the last title was set for: a title for another path is a navigation.
    static LAST_PATH: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Sets the document title to `what · Atelier` (just "Atelier" for an empty `what`), and
/// after a navigation moves focus to the page's first heading once it is drawn.
pub fn set(what: &str) {
    let title = if what.is_empty() {
        "Atelier".to_owned()
    } else {
        format!("{what} · Atelier")
    };
    document().set_title(&title);
    let path = window().location().pathname().unwrap_or_default();
    let moved = LAST_PATH.with(|last| {
        let mut last = last.borrow_mut();
        let moved = last.as_deref().is_some_and(|p| p != path);
        *last = Some(path);
        moved
    });
    if moved {
        request_animation_frame(focus_heading);
    }
}

/// Focuses the main heading (made focusable by script only), or `main` itself.
fn focus_heading() {
    let document = document();
    let target = document
        .query_selector("main h1")
        .ok()
        .flatten()
        .or_else(|| document.get_element_by_id("main"));
    if let Some(element) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        if !element.has_attribute("tabindex") {
            let _ = element.set_attribute("tabindex", "-1");
        }
        let _ = element.focus();
    }
}
