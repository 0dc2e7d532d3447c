//! Who is signed in, shared through context: loaded once at start from `GET /api/session`,
//! updated by the sign-up, sign-in and sign-out pages.

use ::api::{Account, Caller};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;

#[derive(Debug, Clone, Copy)]
pub struct Auth {
    /// `None` while loading or when signed out; see `loaded`.
    pub account: RwSignal<Option<Account>>,
    pub loaded: RwSignal<bool>,
}

impl Auth {
    /// Creates the context and starts loading the session.
    pub fn provide() -> Self {
        let auth = Self {
            account: RwSignal::new(None),
            loaded: RwSignal::new(false),
        };
        provide_context(auth);
        spawn_local(async move {
            // Nobody signed in answers 200 with no account.
            let caller = api::get::<Caller>("/api/session").await.ok();
            auth.account.set(caller.and_then(|c| c.account));
            auth.loaded.set(true);
        });
        auth
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    pub fn username(&self) -> Option<String> {
        self.account.read().as_ref().map(|a| a.username.clone())
    }
}

/// The sign-in page, returning to where the reader is now once signed in.
pub fn sign_in_here() -> String {
    let location = window().location();
    let here = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    sign_in_returning_to(&here)
}

/// The sign-in page, returning to `path` (an address of this app) once signed in.
pub fn sign_in_returning_to(path: &str) -> String {
    if path == "/" || path.starts_with("/signin") || path.starts_with("/signup") {
        "/signin".to_owned()
    } else {
        format!("/signin?next={}", api::encode(path))
    }
}

/// Where to go after signing in: `next` when it is an address of this app (a path: never
/// another site, as `//host` or `/\host` would be), else Explore.
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
        .unwrap_or_else(|| "/".to_owned())
}
