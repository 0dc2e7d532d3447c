//! The file viewer: Markdown rendered, text and code with line numbers, images inline, CSV/TSV
//! as a table, 3D models (STL, OBJ, 3MF) in the 3D viewer, anything else as a download. Writers get Edit, Rename and Delete.

use ::api::{Change, CommitSummary, Rendered};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api;
use crate::components::commit_form::CommitForm;
use crate::components::customizer::ScadCustomizer;
use crate::components::field::Field;
use crate::components::status::{ErrorView, Loading};
use crate::components::viewer::ModelView;
use crate::design::DesignContext;
use crate::pages::files::{Breadcrumbs, rev_and_path};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Markdown,
    Image,
    Table(char),
    Model,
    Scad,
    /// DXF: drawn as SVG by the server, its text one click away.
    Drawing,
    Text,
    Binary,
}

fn kind_of(path: &str) -> Kind {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "md" | "markdown" => Kind::Markdown,
        "png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" => Kind::Image,
        "csv" => Kind::Table(','),
        "tsv" => Kind::Table('\t'),
        "stl" | "obj" | "3mf" | "step" | "stp" | "iges" | "igs" => Kind::Model,
        "scad" => Kind::Scad,
        "dxf" | "kicad_pcb" | "kicad_sch" => Kind::Drawing,
        "zip" | "pdf" | "fcstd" | "f3d" | "dwg" | "gz" | "ods" | "xlsx" => Kind::Binary,
        _ => Kind::Text,
    }
}

/// Fetches a file's bytes as text (`None` if it is not UTF-8).
async fn fetch_text(url: String) -> Result<Option<String>, ::api::ApiError> {
    let response = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|e| {
            ::api::ApiError::new("network", format!("Could not reach the server ({e})."))
        })?;
    if !response.ok() {
        return Err(response
            .json::<::api::ApiError>()
            .await
            .unwrap_or_else(|_| {
                ::api::ApiError::new(
                    "http",
                    format!("The server answered {}.", response.status()),
                )
            }));
    }
    let bytes = response
        .binary()
        .await
        .map_err(|e| ::api::ApiError::new("network", format!("The download broke off ({e}).")))?;
    Ok(String::from_utf8(bytes).ok())
}

#[component]
pub fn Blob() -> impl IntoView {
    let design = DesignContext::get();
    let (rev, path) = rev_and_path();
    let raw_url = move || design.api(&format!("/raw/{}/{}", api::encode(&rev.get()), path.get()));
    let kind = move || kind_of(&path.get());
    let content = LocalResource::new(move || {
        let url = raw_url();
        let kind = kind();
        let rendered = design.api(&format!(
            "/rendered/{}/{}",
            api::encode(&rev.get()),
            path.get()
        ));
        async move {
            match kind {
                Kind::Markdown => api::get::<Rendered>(rendered).await.map(|r| Some(r.html)),
                Kind::Text | Kind::Table(_) | Kind::Scad | Kind::Drawing => fetch_text(url).await,
                Kind::Image | Kind::Model | Kind::Binary => Ok(None),
            }
        }
    });
    let editing = RwSignal::new(None::<&'static str>);
    view! {
        <div class="blob">
            <div class="files-bar">
                <Breadcrumbs rev path/>
                <div class="file-actions">
                    <a class="button secondary" href=move || format!("{}?download=1", raw_url()) download="">"Download"</a>
                    <Show when=move || design.can_write() && rev.get() == design.default_branch()>
                        <Show when=move || matches!(kind(), Kind::Text | Kind::Markdown | Kind::Table(_) | Kind::Scad | Kind::Drawing)>
                            <A href=move || design.page(&format!("/edit/{}/{}", design.default_branch(), path.get())) attr:class="button">"Edit"</A>
                        </Show>
                        <button type="button" class="secondary" on:click=move |_| editing.set(Some("rename"))>"Rename"</button>
                        <button type="button" class="secondary danger" on:click=move |_| editing.set(Some("delete"))>"Delete"</button>
                    </Show>
                </div>
            </div>
            {move || editing.get().map(|action| view! { <FileAction action path on_cancel=Callback::new(move |()| editing.set(None))/> })}
            <Suspense fallback=|| view! { <Loading what="the file"/> }>
                {move || Suspend::new(async move {
                    let result = content.await;
                    let url = raw_url();
                    match (kind(), result) {
                        (_, Err(error)) => view! { <ErrorView error/> }.into_any(),
                        (Kind::Markdown, Ok(Some(html))) => view! { <article class="markdown" inner_html=html></article> }.into_any(),
                        (Kind::Image, _) => view! { <p class="image-view"><img src=url alt=path.get_untracked()/></p> }.into_any(),
                        (Kind::Table(sep), Ok(Some(text))) => view! { <CsvTable text sep/> }.into_any(),
                        (Kind::Model, _) => view! {
                            <ModelView design_api=design.api("") rev=rev.get_untracked() path=path.get_untracked()/>
                        }.into_any(),
                        (Kind::Text, Ok(Some(text))) => view! { <CodeView text/> }.into_any(),
                        (Kind::Drawing, Ok(text)) => {
                            let drawing = design.api(&format!("/drawing/{}/{}", api::encode(&rev.get_untracked()), path.get_untracked()));
                            view! { <DrawingView url=drawing path=path.get_untracked() text/> }.into_any()
                        }
                        (Kind::Scad, Ok(Some(text))) => view! {
                            <ScadCustomizer design_api=design.api("") rev=rev.get_untracked() path=path.get_untracked()/>
                            <h2 class="side-heading">"Source"</h2>
                            <CodeView text/>
                        }.into_any(),
                        _ => view! {
                            <p class="empty">"This file cannot be shown here. "
                                <a href=format!("{url}?download=1")>"Download it"</a> "."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// A DXF or KiCad file drawn (the server's SVG), and its text behind a disclosure.
#[component]
fn DrawingView(url: String, path: String, text: Option<String>) -> impl IntoView {
    let failed = RwSignal::new(false);
    let lower = path.to_lowercase();
    let (what, caption) = if lower.ends_with(".kicad_pcb") {
        (
            "The board file",
            "Copper, silkscreen and the board outline, drawn by KiCad.",
        )
    } else if lower.ends_with(".kicad_sch") {
        (
            "The schematic file",
            "The schematic's root sheet, drawn by KiCad.",
        )
    } else {
        (
            "The DXF text",
            "Lines, arcs, circles, polylines, splines and blocks are drawn; text and hatches are not.",
        )
    };
    view! {
        <figure class="drawing-view">
            <Show when=move || !failed.get() fallback=|| view! {
                <p class="empty" role="status">"This drawing could not be drawn here; its text is below."</p>
            }>
                <img src=url.clone() alt=format!("Drawing {path}") on:error=move |_| failed.set(true)/>
            </Show>
            <figcaption class="muted">{caption}</figcaption>
        </figure>
        {text.map(|text| view! {
            <details class="drawing-text" open=move || failed.get()>
                <summary>{what}</summary>
                <CodeView text/>
            </details>
        })}
    }
}

#[component]
fn CodeView(text: String) -> impl IntoView {
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    view! {
        <div class="code" role="region" aria-label="File content" tabindex="0">
            <table>
                <tbody>
                    {lines.into_iter().enumerate().map(|(n, line)| view! {
                        <tr id=format!("L{}", n + 1)>
                            <td class="line-number" aria-hidden="true">{n + 1}</td>
                            <td class="line"><pre>{line}</pre></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// A small CSV/TSV reader: quoted fields with doubled quotes, one record per line.
fn parse_delimited(text: &str, sep: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                c if c == sep && !quoted => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        rows.push(fields);
    }
    rows
}

#[component]
fn CsvTable(text: String, sep: char) -> impl IntoView {
    let mut rows = parse_delimited(&text, sep).into_iter();
    let header = rows.next().unwrap_or_default();
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Table">
            <table class="csv">
                <thead><tr>{header.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {rows.map(|row| view! { <tr>{row.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Rename or delete the file, with a commit form.
#[component]
fn FileAction(
    action: &'static str,
    path: Signal<String>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let design = DesignContext::get();
    let navigate = use_navigate();
    let target = RwSignal::new(path.get_untracked());
    let error = RwSignal::new(None::<::api::ApiError>);
    let expected_head = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(detail)) = design.detail.get_untracked() {
            expected_head.set(detail.summary.head);
        }
    });
    let changes = Callback::new(move |()| {
        let from = path.get_untracked();
        if action == "delete" {
            return Ok(vec![Change::Delete { path: from }]);
        }
        let to = target.get_untracked().trim().trim_matches('/').to_owned();
        if to.is_empty() || to == from {
            return Err("Type the new path of the file.".to_owned());
        }
        Ok(vec![Change::Move { from, to }])
    });
    let on_done = Callback::new(move |_: CommitSummary| {
        let next = if action == "delete" {
            let dir = path
                .get_untracked()
                .rsplit_once('/')
                .map(|(d, _)| d.to_owned())
                .unwrap_or_default();
            design.page(&format!(
                "/tree/{}/{dir}",
                design.default_branch_untracked()
            ))
        } else {
            design.page(&format!(
                "/blob/{}/{}",
                design.default_branch_untracked(),
                target.get_untracked().trim_matches('/')
            ))
        };
        navigate(&next, Default::default());
    });
    let default_message = Signal::derive(move || {
        if action == "delete" {
            format!("Delete {}", path.get())
        } else {
            format!("Rename {} to {}", path.get(), target.get())
        }
    });
    view! {
        <section class="file-action" aria-label=if action == "delete" { "Delete this file" } else { "Rename this file" }>
            {(action == "rename").then(|| view! { <Field name="to" label="New path" value=target error/> })}
            {(action == "delete").then(|| view! { <p>"Delete " <code>{path.get_untracked()}</code> " in a new commit? Its history stays."</p> })}
            <CommitForm changes expected_head default_message on_done
                button=if action == "delete" { "Delete file" } else { "Rename file" }/>
            <button type="button" class="link-button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
        </section>
    }
}
