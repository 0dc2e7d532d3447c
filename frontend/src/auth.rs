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
            // 401 simply means signed out.
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
