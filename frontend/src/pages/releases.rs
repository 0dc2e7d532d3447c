//! Releases: the design's tagged versions with their notes, and for writers a form to make one.

use ::api::{ApiError, BundleLink, NewRelease, Release, ReleaseList};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::components::time::Time;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api;
use crate::components::field::{Field, FormError};
use crate::components::status::{ErrorView, Loading};
use crate::design::DesignContext;
use crate::pages::files::human_size;

/// How many times the list is reloaded while a release's bundles are still being built.
const MAX_BUNDLE_POLLS: u32 = 20;

#[component]
pub fn Releases() -> impl IntoView {
    let design = DesignContext::get();
    let version = RwSignal::new(0u32);
    let releases = LocalResource::new(move || {
        version.track();
        api::get::<ReleaseList>(design.api("/releases"))
    });
    // Bundles of a new release are built in the background: look again until they are.
    let polls = StoredValue::new(0u32);
    Effect::new(move || {
        let Some(Ok(list)) = releases.get() else {
            return;
        };
        let building = list
            .releases
            .iter()
            .any(|r| r.bundles.iter().any(|b| b.sha256.is_none()));
        if building && polls.get_value() < MAX_BUNDLE_POLLS {
            polls.update_value(|n| *n += 1);
            set_timeout(
                move || version.update(|v| *v += 1),
                std::time::Duration::from_secs(2),
            );
        }
    });
    let tag = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    let create = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = NewRelease {
            tag: tag.get_untracked().trim().to_owned(),
            target: None,
            notes: notes.get_untracked(),
        };
        let path = design.api("/releases");
        spawn_local(async move {
            match api::post::<_, Release>(&path, &body).await {
                Ok(_) => {
                    error.set(None);
                    tag.set(String::new());
                    notes.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(err) => error.set(Some(err)),
            }
        });
    };
    view! {
        <div class="releases">
            <Suspense fallback=|| view! { <Loading what="releases"/> }>
                {move || Suspend::new(async move {
                    match releases.await {
                        Ok(list) if list.releases.is_empty() => view! {
                            <p class="empty">"No release yet. A release pins a version that manufacturers can build."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="release-list">
                                {list.releases.into_iter().map(|r| view! {
                                    <li>
                                        <h2><code>{r.tag.clone()}</code></h2>
                                        <p class="muted">
                                            {r.tagger.as_ref().map(|t| view! { {format!("{}, ", t.name)}<Time iso=t.time.clone()/> })}
                                            " · " <A href=design.page(&format!("/commit/{}", r.commit))><code>{r.commit[..10].to_owned()}</code></A>
                                            " · " <A href=design.page(&format!("/tree/{}", r.tag))>"Files"</A>
                                        </p>
                                        <div class="release-notes markdown" inner_html=r.notes_html.clone()></div>
                                        <ul class="bundle-links" aria-label="Downloads">
                                            {r.bundles.into_iter().map(|b| view! { <BundleRow link=b/> }).collect_view()}
                                        </ul>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || design.can_write()>
                <form class="release-form" on:submit=create novalidate>
                    <h2>{move || format!("New release of {}", design.default_branch())}</h2>
                    <Field name="tag" label="Version tag" value=tag error hint="e.g. v1.2.0"/>
                    <div class="field">
                        <label for="release-notes">"Notes"</label>
                        <textarea id="release-notes" rows="5" prop:value=move || notes.get()
                            on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                    </div>
                    <FormError error/>
                    <button type="submit">"Create release"</button>
                </form>
            </Show>
        </div>
    }
}

/// One download of a release, with its size and sha256 once built.
#[component]
fn BundleRow(link: BundleLink) -> impl IntoView {
    let label = format!("Download .{}", link.format);
    let details = match (&link.sha256, link.size) {
        (Some(sha), Some(size)) => view! {
            <span class="muted">{human_size(size)}</span>
            " " <span class="sha" title="sha256 of the archive">"sha256 " <code>{sha.clone()}</code></span>
        }
        .into_any(),
        _ => view! { <span class="muted">"sha256: being built…"</span> }.into_any(),
    };
    view! {
        <li>
            <a class="button secondary" rel="external" download="" href=link.url.clone()>{label}</a>
            " " {details}
        </li>
    }
}
