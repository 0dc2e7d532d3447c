//! The design being viewed, shared by the pages under `/:owner/:slug` through context: its id,
//! its detail (reloaded after every write through `reload`), and whether the viewer may write.

use ::api::{ApiError, DesignDetail, Maintainers};
use leptos::prelude::*;

use crate::api;
use crate::auth::Auth;

#[derive(Clone, Copy)]
pub struct DesignContext {
    pub owner: Signal<String>,
    pub slug: Signal<String>,
    pub detail: LocalResource<Result<DesignDetail, ApiError>>,
    version: RwSignal<u32>,
    maintainers: LocalResource<Result<Maintainers, ApiError>>,
    /// Read from `detail` here, outside the pages' `Suspense`s: a page that read the resource
    /// itself would join its loading, and a reload would keep the page waiting.
    default_branch: Memo<String>,
    /// A confirmation to show on the page that made a write ("Committed …"). It lives here
    /// because the reload after the write redraws the page below the header; it is cleared
    /// when the reader goes to another page.
    pub notice: RwSignal<Option<String>>,
}

impl DesignContext {
    pub fn provide(owner: Signal<String>, slug: Signal<String>) -> Self {
        let version = RwSignal::new(0u32);
        let detail = LocalResource::new(move || {
            version.track();
            api::get::<DesignDetail>(format!(
                "/api/designs/{}/{}",
                api::encode(&owner.get()),
                api::encode(&slug.get())
            ))
        });
        let maintainers = LocalResource::new(move || {
            version.track();
            api::get::<Maintainers>(format!(
                "/api/designs/{}/{}/maintainers",
                api::encode(&owner.get()),
                api::encode(&slug.get())
            ))
        });
        let default_branch = Memo::new(move |_| detail.with(default_branch_of));
        let notice = RwSignal::new(None);
        let location = leptos_router::hooks::use_location();
        Effect::new(move |_| {
            location.pathname.track();
            notice.set(None);
        });
        let context = Self {
            owner,
            slug,
            detail,
            version,
            maintainers,
            default_branch,
            notice,
        };
        provide_context(context);
        context
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// `owner/slug`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.owner.get(), self.slug.get())
    }

    /// `/api/designs/owner/slug` + `rest`.
    pub fn api(&self, rest: &str) -> String {
        format!(
            "/api/designs/{}/{}{rest}",
            api::encode(&self.owner.get_untracked()),
            api::encode(&self.slug.get_untracked())
        )
    }

    /// `/owner/slug` + `rest`, a page of the app.
    pub fn page(&self, rest: &str) -> String {
        format!("/{}/{}{rest}", self.owner.get(), self.slug.get())
    }

    /// Reloads the detail (after a commit, release or fork).
    pub fn reload(&self) {
        self.version.update(|v| *v += 1);
    }

    /// The design's default branch, from its detail: pages under a design render once the
    /// detail has loaded (`main`, the default of designs made here, before that).
    pub fn default_branch(&self) -> String {
        self.default_branch.get()
    }

    /// [`DesignContext::default_branch`], for event handlers.
    pub fn default_branch_untracked(&self) -> String {
        self.default_branch.get_untracked()
    }

    /// Whether the signed-in person may write: owner, maintainer or instance admin.
    pub fn can_write(&self) -> bool {
        let auth = Auth::get();
        let Some(account) = auth.account.get() else {
            return false;
        };
        if account.is_admin || account.username == self.owner.get() {
            return true;
        }
        self.maintainers
            .get()
            .and_then(|m| m.ok())
            .is_some_and(|m| m.maintainers.contains(&account.username))
    }
}

fn default_branch_of(detail: &Option<Result<DesignDetail, ApiError>>) -> String {
    match detail {
        Some(Ok(detail)) => detail.default_branch.clone(),
        _ => "main".to_owned(),
    }
}
