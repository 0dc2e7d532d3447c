//! The app shell: header, routes, and the page for paths that match no route.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::auth::Auth;
use crate::components::header::Header;
use crate::pages::design::DesignPage;
use crate::pages::explore::Explore;
use crate::pages::not_found::NotFound;
use crate::pages::profile::Profile;
use crate::pages::search::Search;
use crate::pages::settings::Settings;
use crate::pages::sign_in::SignIn;
use crate::pages::sign_up::SignUp;

#[component]
pub fn App() -> impl IntoView {
    Auth::provide();
    view! {
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Explore/>
                    <Route path=path!("/search") view=Search/>
                    <Route path=path!("/signin") view=SignIn/>
                    <Route path=path!("/signup") view=SignUp/>
                    <Route path=path!("/settings") view=Settings/>
                    <Route path=path!("/:user") view=Profile/>
                    <Route path=path!("/:owner/:slug") view=DesignPage/>
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"Atelier — an open hardware design commons. Designs are git repositories; every hour of work is credited."</p>
            </footer>
        </Router>
    }
}
