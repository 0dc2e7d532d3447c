//! A design's pages share this layout: title, lineage, tabs, the Fork button. The Overview tab
//! shows the README, the manifest summary, the parts and the bill of materials.

use ::api::{
    Bom, BomRow, Change, CommitSummary, DesignDetail, DesignSummary, NewFork, SuggestedFile,
};
use leptos::prelude::*;

use crate::components::time::Time;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api;
use crate::auth::Auth;
use crate::components::commit_form::CommitForm;
use crate::components::status::{ErrorView, Loading};
use crate::components::viewer::{ModelView, is_model};
use crate::design::DesignContext;

#[component]
pub fn DesignLayout() -> impl IntoView {
    let params = use_params_map();
    // Memos: a tab's own parameters (rev, path) change the map, not the design, and must not
    // reload the design (which would blank the header while it loads again).
    let owner = Memo::new(move |_| params.read().get("owner").unwrap_or_default());
    let slug = Memo::new(move |_| params.read().get("slug").unwrap_or_default());
    let design = DesignContext::provide(owner.into(), slug.into());
    view! {
        <section class="page design">
            <Suspense fallback=|| view! { <Loading what="the design"/> }>
                {move || Suspend::new(async move {
                    match design.detail.await {
                        Ok(detail) => view! {
                            <DesignHeader detail/>
                            <Outlet/>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The tab a design page's `path` shows (under the design's `base`), for its title.
fn tab_of(path: &str, base: &str) -> Option<&'static str> {
    let rest = path.strip_prefix(base)?.trim_start_matches('/');
    let first = rest.split('/').next().unwrap_or_default();
    Some(match first {
        "" => return None,
        "tree" | "blob" => "Files",
        "edit" | "new" => "Edit",
        "commits" => "History",
        "commit" => "Commit",
        "compare" => "Compare",
        "proposals" => "Proposals",
        "releases" => "Releases",
        "network" => "Network",
        "contributors" => "Contributors",
        _ => return None,
    })
}

#[component]
fn DesignHeader(detail: DesignDetail) -> impl IntoView {
    let design = DesignContext::get();
    let summary = detail.summary.clone();
    let branch = detail.default_branch.clone();
    // The title names the tab and the design.
    let location = leptos_router::hooks::use_location();
    let who = format!("{} · {}", summary.name, summary.owner);
    let base = format!("/{}", summary.id);
    Effect::new(move |_| {
        let path = location.pathname.get();
        crate::title::set(&match tab_of(&path, &base) {
            Some(tab) => format!("{tab} · {who}"),
            None => who.clone(),
        });
    });
    let tab = |label: &'static str, rest: String| {
        let exact = rest.is_empty();
        view! { <li><A href=move || design.page(&rest) exact=exact>{label}</A></li> }
    };
    let upstream = detail.upstream.clone().map(|up| {
        let compare = format!("/{}/compare/{}...{}:{}:{branch}", up.design, up.branch, summary.owner, summary.slug);
        let propose = format!("/{}/proposals/new?head={}", up.design, api::encode(&format!("{}/{}:{branch}", summary.owner, summary.slug)));
        view! {
            <div class="upstream" role="status">
                <p>
                    <A href=compare>{format!("{} commit{} ahead", up.ahead, if up.ahead == 1 { "" } else { "s" })}</A>
                    {format!(", {} behind {}:{}", up.behind, up.design, up.branch)}
                </p>
                {(up.ahead > 0).then(|| view! { <A href=propose attr:class="button">"Propose changes"</A> })}
            </div>
        }
    });
    view! {
        <header class="design-header">
            <p class="breadcrumb">
                <A href=format!("/@{}", summary.owner)>{summary.owner.clone()}</A>
                " / "
                <A href=design.page("")>{summary.slug.clone()}</A>
            </p>
            <div class="design-title">
                <h1>{summary.name.clone()}</h1>
                <ForkButton/>
            </div>
            <p class="lede">{summary.function.clone()}</p>
            {detail.parent.clone().map(|parent| view! {
                <p class="lineage">"Forked from " <A href=format!("/{}", parent.id)>{parent.id.clone()}</A>
                    " at " <code>{parent.commit.get(..10).unwrap_or_default().to_owned()}</code>
                    {(detail.ancestry.len() > 1).then(|| {
                        let chain: Vec<String> = detail.ancestry.iter().skip(1).map(|a| a.id.clone()).collect();
                        view! { <span class="muted">" (which comes from " {chain.join(" ← ")} ")"</span> }
                    })}
                    </p>
            })}
            {upstream}
            <nav class="tabs" aria-label="Design">
                <ul>
                    {tab("Overview", String::new())}
                    {tab("Files", format!("/tree/{branch}"))}
                    {tab("History", format!("/commits/{branch}"))}
                    <li><A href=move || design.page("/proposals")>"Proposals"
                        <span class="count-badge" aria-label=format!("{} open", detail.counts.proposals)>{format!(" {}", detail.counts.proposals)}</span></A></li>
                    {tab("Releases", "/releases".into())}
                    {tab("Network", "/network".into())}
                    {tab("Contributors", "/contributors".into())}
                </ul>
            </nav>
        </header>
    }
}

#[component]
fn ForkButton() -> impl IntoView {
    let design = DesignContext::get();
    let auth = Auth::get();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Set when the fork needs a slug of its own (the caller's design, or a fork they already
    // have): the form asks for one instead of refusing.
    let asking = RwSignal::new(false);
    let new_slug = RwSignal::new(String::new());
    let send = move |slug: Option<String>| {
        busy.set(true);
        let navigate = navigate.clone();
        let path = design.api("/forks");
        spawn_local(async move {
            match api::post::<_, DesignSummary>(&path, &NewFork { slug: slug.clone() }).await {
                Ok(fork) => {
                    error.set(None);
                    asking.set(false);
                    navigate(&format!("/{}", fork.id), Default::default());
                }
                Err(err) if err.error.code == "conflict" && slug.is_none() => {
                    new_slug.set(format!("{}-2", design.slug.get_untracked()));
                    error.set(Some(err.error.message));
                    asking.set(true);
                }
                Err(err) => error.set(Some(err.error.message)),
            }
            busy.set(false);
        });
    };
    let fork = {
        let send = send.clone();
        let navigate = use_navigate();
        move |_| {
            if auth.account.get_untracked().is_none() {
                navigate(&crate::auth::sign_in_here(), Default::default());
                return;
            }
            send(None);
        }
    };
    let fork_as = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send(Some(new_slug.get_untracked().trim().to_owned()));
    };
    view! {
        <div class="fork">
            <button type="button" on:click=fork disabled=move || busy.get()
                title="Make your own copy of this design to change it">
                {move || if busy.get() { "Forking…" } else { "Fork" }}
            </button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || asking.get()>
                <form class="fork-as" on:submit=fork_as.clone()>
                    <label for="fork-slug">"Fork as"</label>
                    <input id="fork-slug" type="text" autocomplete="off" spellcheck="false"
                        prop:value=move || new_slug.get()
                        on:input=move |ev| new_slug.set(event_target_value(&ev))/>
                    <button type="submit" disabled=move || busy.get()>"Fork under this name"</button>
                </form>
            </Show>
        </div>
    }
}

#[component]
pub fn Overview() -> impl IntoView {
    let design = DesignContext::get();
    move || {
        design.detail.get().and_then(|d| d.ok()).map(|detail| {
            view! { <OverviewOf detail/> }
        })
    }
}

/// The model the Overview shows: the first part's first export the viewer can draw, else its
/// first such source (`okh.toml` lists a part's files in `export` and `source`).
fn main_model(manifest: Option<&::api::Manifest>) -> Option<String> {
    let parts = &manifest?.parts;
    let exports = parts.iter().flat_map(|p| p.export.iter());
    let sources = parts.iter().flat_map(|p| p.source.iter());
    exports.chain(sources).find(|f| is_model(f)).cloned()
}

#[component]
fn OverviewOf(detail: DesignDetail) -> impl IntoView {
    let design = DesignContext::get();
    let summary = detail.summary.clone();
    let manifest = detail.manifest.clone();
    let readiness = manifest
        .as_ref()
        .and_then(|m| m.technology_readiness_level.clone());
    let licensor = manifest.as_ref().and_then(|m| m.licensor.clone());
    let head = detail.head_commit.clone();
    view! {
        <div class="overview">
            <div class="overview-main">
                {(!detail.manifest_problems.is_empty()).then(|| view! {
                    <div class="error" role="alert">
                        <p><strong>"The manifest (okh.toml) has problems:"</strong></p>
                        <ul>{detail.manifest_problems.iter().map(|p| view! { <li>{p.message.clone()}</li> }).collect_view()}</ul>
                    </div>
                })}
                {detail.suggested_manifest.clone().map(|file| view! { <SuggestedManifest file head=head.id.clone()/> })}
                {main_model(manifest.as_ref()).map(|path| {
                    let link = design.page(&format!("/blob/{}/{path}", head.id));
                    let name = path.clone();
                    view! {
                        <section class="overview-model" aria-labelledby="overview-model-heading">
                            <h2 id="overview-model-heading" class="side-heading">"3D model: "
                                <A href=link><code>{name}</code></A></h2>
                            <ModelView design_api=design.api("") rev=head.id.clone() path/>
                        </section>
                    }
                })}
                {match detail.readme_html.clone() {
                    Some(html) => view! { <article class="readme markdown" inner_html=html></article> }.into_any(),
                    None => view! { <p class="empty">"This design has no README yet."</p> }.into_any(),
                }}
                {detail.bom.clone().map(|bom| view! { <BomTable bom/> })}
            </div>
            <aside class="overview-side" aria-label="About this design">
                {(!summary.empty).then(|| view! { <Download branch=detail.default_branch.clone()/> })}
                <CloneUrl id=summary.id.clone()/>
                <dl class="facts">
                    <dt>"License"</dt><dd><code>{summary.license.clone().unwrap_or_else(|| "not stated".into())}</code></dd>
                    <dt>"Licensor"</dt><dd>{licensor.unwrap_or_else(|| "not stated".into())}</dd>
                    <dt>"Version"</dt><dd>{summary.version.clone().unwrap_or_else(|| "not stated".into())}</dd>
                    <dt>"Readiness"</dt><dd>{readiness.unwrap_or_else(|| "not stated".into())}</dd>
                    <dt>"Commits"</dt><dd><A href=design.page(&format!("/commits/{}", detail.default_branch))>{detail.counts.commits}</A></dd>
                    <dt>"Contributors"</dt><dd><A href=design.page("/contributors")>{detail.counts.contributors}</A></dd>
                    <dt>"Forks"</dt><dd><A href=design.page("/network")>{detail.counts.forks}</A></dd>
                    <dt>"Latest commit"</dt>
                    <dd><A href=design.page(&format!("/commit/{}", head.id))>{head.summary.clone()}</A>
                        <br/><span class="muted">{head.author.name.clone()} ", " <Time iso=head.author.time.clone()/></span></dd>
                </dl>
                {manifest.clone().map(|m| {
                    let (standard, other): (Vec<_>, Vec<_>) = m.fields.into_iter().partition(|f| f.standard);
                    let list = |fields: Vec<::api::ManifestEntry>| view! {
                        <dl class="facts fields">
                            {fields.into_iter().map(|f| view! { <dt><code>{f.key}</code></dt><dd>{f.text}</dd> }).collect_view()}
                        </dl>
                    };
                    view! {
                        {(!standard.is_empty()).then(|| view! {
                            <h2 class="side-heading">"More from okh.toml"</h2>
                            {list(standard)}
                        })}
                        {(!other.is_empty()).then(|| view! {
                            <details class="other-fields">
                                <summary>{format!("Other fields ({})", other.len())}</summary>
                                {list(other)}
                            </details>
                        })}
                    }
                })}
                {manifest.filter(|m| !m.parts.is_empty()).map(|m| view! {
                    <h2 class="side-heading">"Parts"</h2>
                    <ul class="parts">
                        {m.parts.into_iter().map(|part| view! {
                            <li>
                                <strong>{part.name.unwrap_or_else(|| "Unnamed part".into())}</strong>
                                {(!part.materials.is_empty()).then(|| view! { <span class="muted">" · " {part.materials.join(", ")}</span> })}
                                <ul class="part-files">
                                    {part.source.into_iter().chain(part.export).map(|file| {
                                        if file.starts_with("https://") || file.starts_with("http://") {
                                            let href = file.clone();
                                            view! { <li><a href=href rel="nofollow noopener noreferrer"><code>{file}</code></a></li> }.into_any()
                                        } else {
                                            let href = design.page(&format!("/blob/{}/{file}", detail.default_branch));
                                            view! { <li><A href=href><code>{file}</code></A></li> }.into_any()
                                        }
                                    }).collect_view()}
                                </ul>
                                {(!part.fields.is_empty()).then(|| view! {
                                    <dl class="part-fields">
                                        {part.fields.into_iter().map(|f| view! { <dt>{f.key}</dt><dd>{f.text}</dd> }).collect_view()}
                                    </dl>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            </aside>
        </div>
    }
}

#[component]
fn BomTable(bom: Bom) -> impl IntoView {
    let design = DesignContext::get();
    let href = design.page(&format!(
        "/blob/{}/{}",
        design.default_branch_untracked(),
        bom.path
    ));
    // Only the columns some row fills.
    let has = |f: fn(&BomRow) -> bool| bom.rows.iter().any(f);
    let cols = BomColumns {
        unit: has(|r| r.unit.is_some()),
        designators: has(|r| !r.designators.is_empty()),
        value: has(|r| r.value.is_some()),
        footprint: has(|r| r.footprint.is_some()),
        manufacturer: has(|r| r.manufacturer.is_some()),
        part_number: has(|r| r.part_number.is_some()),
        supplier: has(|r| r.supplier.is_some() || r.supplier_part_number.is_some()),
        price: has(|r| r.unit_price.is_some()),
        material: has(|r| r.material.is_some()),
        notes: has(|r| r.notes.is_some() || r.specs.is_some()),
        url: has(|r| r.url.is_some()),
    };
    let total = bom.total_cost;
    let rows = assembly_order(bom.rows);
    let head =
        |show: bool, label: &'static str| show.then(|| view! { <th scope="col">{label}</th> });
    let cell = |show: bool, text: Option<String>| {
        show.then(|| view! { <td>{text.unwrap_or_default()}</td> })
    };
    view! {
        <section class="bom" aria-labelledby="bom-heading">
            <h2 id="bom-heading">"Bill of materials " <A href=href><code>{bom.path.clone()}</code></A>
                {bom.sheet.map(|s| view! { <span class="muted">{format!(" (sheet {s})")}</span> })}</h2>
            {bom.error.map(|e| view! { <p class="error" role="alert">{e.message}</p> })}
            {(!rows.is_empty()).then(|| view! {
                <div class="table-scroll" tabindex="0" role="region" aria-label="Bill of materials table (scrolls sideways)">
                    <table>
                        <thead><tr>
                            <th scope="col">"Part"</th><th scope="col">"Qty"</th>
                            {head(cols.unit, "Unit")}{head(cols.designators, "Designators")}
                            {head(cols.value, "Value")}{head(cols.footprint, "Footprint")}
                            {head(cols.manufacturer, "Manufacturer")}{head(cols.part_number, "MPN")}
                            {head(cols.supplier, "Supplier")}{head(cols.price, "Unit price")}
                            {head(cols.material, "Material")}{head(cols.notes, "Notes")}{head(cols.url, "Link")}
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|(depth, row)| {
                                let supplier = match (row.supplier.clone(), row.supplier_part_number.clone()) {
                                    (Some(s), Some(pn)) => Some(format!("{s} {pn}")),
                                    (s, pn) => s.or(pn),
                                };
                                view! {
                                    <tr>
                                        <td class=format!("part depth-{}", depth.min(4))>
                                            <A href=format!("/components/{}", row.key) attr:title="Where else is this used?">{row.name}</A>
                                            {row.parent.filter(|_| depth > 0).map(|p| view! { <span class="visually-hidden">{format!(", part of {p}")}</span> })}
                                        </td>
                                        <td class="num">{row.quantity_text}</td>
                                        {cell(cols.unit, row.unit)}
                                        {cell(cols.designators, Some(row.designators.join(", ")))}
                                        {cell(cols.value, row.value)}
                                        {cell(cols.footprint, row.footprint)}
                                        {cell(cols.manufacturer, row.manufacturer)}
                                        {cell(cols.part_number, row.part_number)}
                                        {cell(cols.supplier, supplier)}
                                        {cols.price.then(|| view! { <td class="num">{row.unit_price.map(|p| format!("{p:.2}")).unwrap_or_default()}</td> })}
                                        {cell(cols.material, row.material)}
                                        {cell(cols.notes, row.notes.or(row.specs))}
                                        {cols.url.then(|| view! { <td>{row.url.filter(|u| u.starts_with("https://") || u.starts_with("http://")).map(|u| {
                                            let host = u.split('/').nth(2).unwrap_or_default().to_owned();
                                            view! { <a href=u rel="nofollow noopener noreferrer" target="_blank" title="Opens in a new tab">{host} " ↗"</a> }
                                        })}</td> })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {total.map(|t| view! { <p class="bom-total">"Total cost of the priced rows: " <strong>{format!("{t:.2}")}</strong></p> })}
            {(!bom.warnings.is_empty()).then(|| view! {
                <details class="warnings">
                    <summary>{format!("{} note(s) on the BOM file", bom.warnings.len())}</summary>
                    <ul>{bom.warnings.into_iter().map(|w| view! { <li>"Line " {w.line.unwrap_or_default()} ": " {w.message}</li> }).collect_view()}</ul>
                </details>
            })}
        </section>
    }
}

/// Which optional BOM columns some row fills.
#[derive(Clone, Copy)]
struct BomColumns {
    unit: bool,
    designators: bool,
    value: bool,
    footprint: bool,
    manufacturer: bool,
    part_number: bool,
    supplier: bool,
    price: bool,
    material: bool,
    notes: bool,
    url: bool,
}

/// The rows with their depth in the assembly tree (`parent` names another row): each
/// assembly followed by its parts, in file order otherwise; a cycle or an unknown parent puts
/// a row at the top.
fn assembly_order(rows: Vec<BomRow>) -> Vec<(usize, BomRow)> {
    use std::collections::HashMap;
    // Children by their parent's name, in file order: one pass, whatever the size.
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let names: std::collections::HashSet<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let mut roots = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match row.parent.as_deref() {
            Some(parent) if names.contains(parent) && parent != row.name => {
                children.entry(parent).or_default().push(i)
            }
            _ => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(rows.len());
    let mut seen = vec![false; rows.len()];
    // Roots first, then any row a cycle kept from them, each with its subtree.
    let starts: Vec<usize> = roots.into_iter().chain(0..rows.len()).collect();
    for start in starts {
        let mut stack = vec![(start, 0usize)];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            order.push((depth, i));
            if let Some(kids) = children.get(rows[i].name.as_str()) {
                stack.extend(
                    kids.iter()
                        .rev()
                        .filter(|&&c| !seen[c])
                        .map(|&c| (c, depth + 1)),
                );
            }
        }
    }
    let mut rows: Vec<Option<BomRow>> = rows.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(depth, i)| rows[i].take().map(|row| (depth, row)))
        .collect()
}

/// Download: the default branch as zip or tar.gz, and the latest release's bundles with their
/// sha256 (loaded beside the overview; a design without releases shows the branch only).
#[component]
fn Download(branch: String) -> impl IntoView {
    let design = DesignContext::get();
    let releases =
        LocalResource::new(move || api::get::<::api::ReleaseList>(design.api("/releases")));
    let link =
        |rev: &str, format: &str| design.api(&format!("/bundle/{}.{format}", api::encode(rev)));
    view! {
        <section class="download" aria-labelledby="download-title">
            <h2 id="download-title">"Download"</h2>
            <p class="download-buttons">
                <a class="button" href=link(&branch, "zip") download="">{format!("{branch} (.zip)")}</a>
                <a class="button secondary" href=link(&branch, "tar.gz") download="">".tar.gz"</a>
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    releases.await.ok().and_then(|list| list.releases.into_iter().next()).map(|release| {
                        let tag = release.tag.clone();
                        let shown = tag.clone();
                        view! {
                            <div class="latest-release">
                                <p>"Latest release " <A href=design.page("/releases")><strong>{shown}</strong></A></p>
                                <ul>
                                    {release.bundles.into_iter().map(|bundle| { let tag = tag.clone(); view! {
                                        <li>
                                            <a href=bundle.url.clone() download="">{format!("{tag}.{}", bundle.format)}</a>
                                            {bundle.sha256.map(|sha| view! {
                                                <code class="sha256" title="sha256 of the archive">{format!("sha256 {sha}")}</code>
                                            })}
                                        </li>
                                    }}).collect_view()}
                                </ul>
                            </div>
                        }
                    })
                })}
            </Suspense>
        </section>
    }
}

/// The design's git URL with a copy button (clone anonymously; push with a token).
#[component]
fn CloneUrl(id: String) -> impl IntoView {
    let url = crate::pages::new_design::clone_url(&id);
    let copied = RwSignal::new(false);
    let copy = {
        let url = url.clone();
        move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&url);
                copied.set(true);
            }
        }
    };
    view! {
        <div class="clone-url">
            <label for="clone-url">"Clone with git"</label>
            <div class="copy-row">
                <input id="clone-url" type="text" readonly value=url.clone()
                    on:focus=move |ev| {
                        use wasm_bindgen::JsCast as _;
                        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            input.select();
                        }
                    }/>
                <button type="button" on:click=copy aria-label="Copy the clone URL">
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
            <p class="hint">"Pushing asks for your username and an API token (Settings → API tokens) as the password."</p>
        </div>
    }
}

/// The `okh.toml` converted from an OKH v1 `okh.yml`: shown, and offered as a commit to those
/// who may write.
#[component]
fn SuggestedManifest(file: SuggestedFile, head: String) -> impl IntoView {
    let design = DesignContext::get();
    let expected_head = RwSignal::new(head);
    let content = file.content.clone();
    let path = file.path.clone();
    let changes = Callback::new(move |()| {
        Ok(vec![Change::Put {
            path: path.clone(),
            content: Some(content.clone()),
            upload_id: None,
            mode: None,
        }])
    });
    let on_done = Callback::new(move |_: CommitSummary| design.reload());
    let message = format!("Convert {} to an OKH-LOSH {}", file.from, file.path);
    view! {
        <section class="suggestion" aria-labelledby="suggestion-title">
            <h2 id="suggestion-title">{format!("A converted {} for this design", file.path)}</h2>
            <p>{format!(
                "This design describes itself in {}, an OKH v1 manifest. Atelier reads it through the OKH-LOSH {} below.",
                file.from, file.path
            )}</p>
            {(!file.left_out.is_empty()).then(|| view! {
                <p class="muted">{format!("Not carried over: {}.", file.left_out.join(", "))}</p>
            })}
            <details>
                <summary>{format!("Show the converted {}", file.path)}</summary>
                <pre class="suggested-file" tabindex="0">{file.content.clone()}</pre>
            </details>
            <Show when=move || design.can_write()>
                <CommitForm changes expected_head default_message=message.clone() on_done button=format!("Commit {}", file.path)/>
            </Show>
        </section>
    }
}
