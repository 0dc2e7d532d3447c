//! The file browser: a folder's entries at a revision with breadcrumbs, and for writers the
//! ways to add files: a new text file, or uploads by drag and drop (with progress).

use ::api::Tree;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::status::{ErrorView, Loading};
use crate::components::upload::UploadZone;
use crate::design::DesignContext;

/// `rev` and `path` of the current page (`path` empty for the root).
pub fn rev_and_path() -> (Signal<String>, Signal<String>) {
    let params = use_params_map();
    let design = DesignContext::get();
    let rev = Signal::derive(move || {
        params
            .read()
            .get("rev")
            .unwrap_or_else(|| design.default_branch())
    });
    let path = Signal::derive(move || {
        params
            .read()
            .get("path")
            .unwrap_or_default()
            .trim_matches('/')
            .to_owned()
    });
    (rev, path)
}

/// Links for every folder above `path`, then its last segment as text.
#[component]
pub fn Breadcrumbs(rev: Signal<String>, path: Signal<String>) -> impl IntoView {
    let design = DesignContext::get();
    move || {
        let rev = rev.get();
        let path = path.get();
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let last = segments.len().saturating_sub(1);
        let mut so_far = String::new();
        let crumbs = segments
            .into_iter()
            .enumerate()
            .map(|(i, segment)| {
                if !so_far.is_empty() {
                    so_far.push('/');
                }
                so_far.push_str(&segment);
                let href = design.page(&format!("/tree/{rev}/{so_far}"));
                view! {
                    " / "
                    {if i == last {
                        view! { <span aria-current="page">{segment}</span> }.into_any()
                    } else {
                        view! { <A href=href>{segment}</A> }.into_any()
                    }}
                }
            })
            .collect_view();
        view! {
            <nav class="crumbs" aria-label="Folder">
                <A href=design.page(&format!("/tree/{rev}"))>{design.slug.get()}</A>
                {crumbs}
                <span class="muted">" @ " <code>{if rev.len() == 40 { rev[..10].to_owned() } else { rev.clone() }}</code></span>
            </nav>
        }
    }
}

#[component]
pub fn Files() -> impl IntoView {
    let design = DesignContext::get();
    let (rev, path) = rev_and_path();
    let tree = LocalResource::new(move || {
        let url = if path.get().is_empty() {
            design.api(&format!("/tree/{}", api::encode(&rev.get())))
        } else {
            design.api(&format!("/tree/{}/{}", api::encode(&rev.get()), path.get()))
        };
        api::get::<Tree>(url)
    });
    view! {
        <div class="files">
            <div class="files-bar">
                <Breadcrumbs rev path/>
                <a
                    class="button secondary"
                    rel="external"
                    download=""
                    href=move || {
                        let folder = path.get();
                        let query = if folder.is_empty() { String::new() } else { format!("?path={}", api::encode(&folder)) };
                        design.api(&format!("/bundle/{}.zip{query}", api::encode(&rev.get())))
                    }
                    title="A verifiable archive with atelier-bundle.json (sha256 of every file, license, labor shares)"
                >
                    {move || if path.get().is_empty() { "Download .zip" } else { "Download folder .zip" }}
                </a>
                <Show when=move || design.can_write() && rev.get() == design.default_branch()>
                    <A href=move || design.page(&format!("/new/{}/{}", design.default_branch(), path.get())) attr:class="button">"New file"</A>
                </Show>
            </div>
            <Suspense fallback=|| view! { <Loading what="files"/> }>
                {move || Suspend::new(async move {
                    match tree.await {
                        Ok(tree) if tree.entries.is_empty() => view! { <p class="empty">"This folder is empty."</p> }.into_any(),
                        Ok(tree) => {
                            let rev = rev.get_untracked();
                            view! {
                                <table class="file-list">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col" class="num">"Size"</th></tr></thead>
                                    <tbody>
                                        {tree.entries.into_iter().map(|entry| {
                                            let is_dir = entry.kind == "dir";
                                            let href = design.page(&format!("/{}/{rev}/{}", if is_dir { "tree" } else { "blob" }, entry.path));
                                            let link = entry.target.map(|target| view! {
                                                <span class="file-note">" → "<code>{target}</code><span class="visually-hidden">" (symbolic link)"</span></span>
                                            });
                                            let executable = entry.executable.then(|| view! {
                                                <span class="badge" title="The executable bit is set (mode 100755)">"executable"</span>
                                            });
                                            let notice = entry.notice.map(|notice| view! {
                                                <span class="badge warning" title=notice.clone()>"not portable to Windows"</span>
                                                <span class="visually-hidden">{notice}</span>
                                            });
                                            view! {
                                                <tr>
                                                    <td>
                                                        <span class="file-icon" aria-hidden="true">{if is_dir { "▸ " } else if link.is_some() { "↪ " } else { "· " }}</span>
                                                        <A href=href>{entry.name}{is_dir.then_some("/")}</A>
                                                        {link}{executable}{notice}
                                                    </td>
                                                    <td class="num">{entry.size.map(human_size).unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || design.can_write() && rev.get() == design.default_branch()>
                <UploadZone folder=path/>
            </Show>
        </div>
    }
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b if b < 1024 * 1024 * 1024 => format!("{:.1} MiB", b as f64 / 1048576.0),
        b => format!("{:.2} GiB", b as f64 / 1073741824.0),
    }
}
