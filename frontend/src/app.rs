//! The app shell: header, routes, and the page for paths that match no route.

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use crate::auth::Auth;
use crate::components::header::Header;
use crate::pages::blob::Blob;
use crate::pages::commit::{CommitPage, Compare};
use crate::pages::component::Component;
use crate::pages::design::{DesignLayout, Overview};
use crate::pages::editor::Editor;
use crate::pages::explore::Explore;
use crate::pages::files::Files;
use crate::pages::history::History;
use crate::pages::labor::{Contributors, EntryPage, PolicyPage};
use crate::pages::network::Network;
use crate::pages::new_design::NewDesign;
use crate::pages::not_found::NotFound;
use crate::pages::profile::Profile;
use crate::pages::proposal::ProposalPage;
use crate::pages::proposals::{NewProposalPage, Proposals};
use crate::pages::releases::Releases;
use crate::pages::search::Search;
use crate::pages::settings::Settings;
use crate::pages::sign_in::SignIn;
use crate::pages::sign_up::SignUp;
use crate::pages::welcome::Welcome;

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
                    <Route path=path!("/welcome") view=Welcome/>
                    <Route path=path!("/settings") view=Settings/>
                    <Route path=path!("/new") view=NewDesign/>
                    <Route path=path!("/components/:key") view=Component/>
                    <Route path=path!("/labor/policy") view=PolicyPage/>
                    <Route path=path!("/labor/entries/:id") view=EntryPage/>
                    <Route path=path!("/:user") view=Profile/>
                    <ParentRoute path=path!("/:owner/:slug") view=DesignLayout>
                        <Route path=path!("") view=Overview/>
                        <Route path=path!("tree/:rev") view=Files/>
                        <Route path=path!("tree/:rev/*path") view=Files/>
                        <Route path=path!("blob/:rev/*path") view=Blob/>
                        <Route path=path!("edit/:rev/*path") view=|| view! { <Editor/> }/>
                        <Route path=path!("new/:rev") view=|| view! { <Editor create=true/> }/>
                        <Route path=path!("new/:rev/*path") view=|| view! { <Editor create=true/> }/>
                        <Route path=path!("commits/:rev") view=History/>
                        <Route path=path!("commit/:id") view=CommitPage/>
                        <Route path=path!("compare/:spec") view=Compare/>
                        <Route path=path!("releases") view=Releases/>
                        <Route path=path!("network") view=Network/>
                        <Route path=path!("contributors") view=Contributors/>
                        <Route path=path!("proposals") view=Proposals/>
                        <Route path=path!("proposals/new") view=NewProposalPage/>
                        <Route path=path!("proposals/:number") view=ProposalPage/>
                    </ParentRoute>
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"Atelier — an open hardware design commons. Designs are git repositories; every hour of work is credited."</p>
            </footer>
        </Router>
    }
}
