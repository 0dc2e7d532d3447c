//! Times as the reader reads them: the date (or date and time) in the browser's language and time
//! zone, with the exact moment on hover and in `datetime` for machines. The wire keeps RFC 3339 UTC.

use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// How much of the moment to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shown {
    /// "2 Dec 2026"
    #[default]
    Date,
    /// "2 Dec 2026, 09:41"
    DateTime,
}

/// The reader's language, as the browser reports it.
pub fn language() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".to_owned())
}

/// `iso` formatted in the reader's language and zone; `None` when it is not a time.
pub fn local(iso: &str, shown: Shown) -> Option<String> {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return None;
    }
    let options = js_sys::Object::new();
    let set = |key: &str, value: &str| {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    };
    set("dateStyle", "medium");
    if shown == Shown::DateTime {
        set("timeStyle", "short");
    }
    Some(date.to_locale_string(&language(), &options).into())
}

/// The exact moment, for the hover text: full local date and time with seconds and zone, then
/// the UTC time as stored.
fn exact(iso: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"full".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"long".into());
    let local: String = date.to_locale_string(&language(), &options).into();
    format!("{local} ({iso})")
}

/// `<time>` for an RFC 3339 moment. An empty or unreadable one shows as written.
#[component]
pub fn Time(
    #[prop(into)] iso: String,
    #[prop(optional)] shown: Shown,
    /// Words before the date, inside the element ("updated ").
    #[prop(optional)]
    prefix: &'static str,
) -> impl IntoView {
    let text = local(&iso, shown).unwrap_or_else(|| iso.clone());
    let title = exact(&iso);
    view! { <time datetime=iso title=title>{format!("{prefix}{text}")}</time> }
}
