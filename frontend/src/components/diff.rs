//! Changed files with their text diffs (commit and compare pages).
//!
//! Invariant: a page never draws more than [`PAGE_LINES`] diff lines up front. A file with more
//! than [`FILE_LINES`] changed lines, a generated or exported file (lockfiles, minified code,
//! CAD exports, G-code), and every file past the page's budget start collapsed: their rows are
//! built only when the reader asks for them.

use ::api::FileChange;
use leptos::prelude::*;

use crate::components::viewer::{ModelChange, is_model};

use crate::pages::files::human_size;

/// Lines of one file drawn without asking.
const FILE_LINES: usize = 400;
/// Lines of a whole page drawn without asking.
const PAGE_LINES: usize = 2_000;

/// Files whose text is written by a program, not by a person: their diffs are noise to a reader.
fn generated(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    const NAMES: &[&str] = &[
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "cargo.lock",
    ];
    const ENDINGS: &[&str] = &[
        ".min.js",
        ".min.css",
        ".map",
        ".lock",
        ".stl",
        ".step",
        ".stp",
        ".iges",
        ".igs",
        ".obj",
        ".3mf",
        ".gcode",
        ".gco",
        ".nc",
        ".dxf",
        ".kicad_pcb",
        ".gbr",
        ".drl",
    ];
    NAMES.contains(&name.as_str()) || ENDINGS.iter().any(|end| name.ends_with(end))
}

/// Added and removed lines: what the reader is told is changed.
fn changed_of(file: &FileChange) -> usize {
    file.hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.origin == "+" || l.origin == "-")
        .count()
}

/// Every line the diff would draw (context included): what the page's budget counts.
fn lines_of(file: &FileChange) -> usize {
    file.hunks.iter().map(|h| h.lines.len()).sum()
}

/// Model files whose change is drawn at once; more wait behind a button each.
const MODELS_OPEN: usize = 2;

/// The files' diffs. With `revs` (the revisions before and after), changed 3D models are
/// shown before and after in the viewer too.
#[component]
pub fn Diff(
    files: Vec<FileChange>,
    #[prop(optional)] revs: Option<(String, String)>,
) -> impl IntoView {
    if files.is_empty() {
        return view! { <p class="empty">"No file changed."</p> }.into_any();
    }
    let mut budget = PAGE_LINES;
    let files: Vec<(FileChange, Option<&'static str>)> = files
        .into_iter()
        .map(|file| {
            let lines = lines_of(&file);
            let why = if lines == 0 {
                None
            } else if generated(&file.path) {
                Some("generated or exported file")
            } else if lines > FILE_LINES {
                Some("large change")
            } else if lines > budget {
                Some("many changes on this page")
            } else {
                budget -= lines;
                None
            };
            (file, why)
        })
        .collect();
    view! {
        <p class="count">{format!("{} file{} changed", files.len(), if files.len() == 1 { "" } else { "s" })}</p>
        {
            let mut models = 0;
            files.into_iter().map(|(file, collapsed)| {
                let model = revs.clone().filter(|_| is_model(&file.path)).map(|(old, new)| {
                    models += 1;
                    let before = (file.status != "added").then(|| file.old_path.clone().unwrap_or_else(|| file.path.clone()));
                    let after = (file.status != "deleted").then(|| file.path.clone());
                    view! { <ModelChange before after old new open=models <= MODELS_OPEN/> }
                });
                view! { <FileDiff file collapsed/> {model} }
            }).collect_view()
        }
    }
    .into_any()
}

#[component]
fn FileDiff(file: FileChange, collapsed: Option<&'static str>) -> impl IntoView {
    let title = match &file.old_path {
        Some(old) => format!("{old} → {}", file.path),
        None => file.path.clone(),
    };
    if let Some(why) = collapsed {
        let lines = changed_of(&file);
        let shown = RwSignal::new(false);
        let status = file.status.clone();
        let file = StoredValue::new(file);
        return view! {
            <section class="file-diff">
                <h3><span class=format!("status status-{status}")>{status.clone()}</span> " " <code>{title}</code></h3>
                <Show when=move || shown.get() fallback=move || view! {
                    <p class="muted diff-note">
                        {format!("{lines} changed lines, not shown ({why}). ")}
                        <button type="button" class="secondary" on:click=move |_| shown.set(true)>"Show the diff"</button>
                    </p>
                }>
                    {move || rows(file.get_value())}
                </Show>
            </section>
        }
        .into_any();
    }
    let status = file.status.clone();
    view! {
        <section class="file-diff">
            <h3><span class=format!("status status-{status}")>{status.clone()}</span> " " <code>{title}</code></h3>
            {rows(file)}
        </section>
    }
    .into_any()
}

/// The body of one file's diff: a note for binary or empty changes, else its table.
fn rows(file: FileChange) -> AnyView {
    if file.binary {
        view! { <p class="muted diff-note">{format!("Binary file: {} → {}", human_size(file.old_size), human_size(file.new_size))}</p> }.into_any()
    } else if file.hunks.is_empty() {
        view! { <p class="muted diff-note">{if file.truncated { "The change is too large to show." } else { "No text change." }}</p> }.into_any()
    } else {
        view! {
            <div class="code diff" role="region" aria-label=format!("Changes to {}", file.path) tabindex="0">
                <table>
                    <tbody>
                        {file.hunks.into_iter().map(|hunk| view! {
                            <tr class="hunk-header"><td colspan="3"><pre>{hunk.header}</pre></td></tr>
                            {hunk.lines.into_iter().map(|line| {
                                let class = match line.origin.as_str() { "+" => "added", "-" => "removed", _ => "context" };
                                view! {
                                    <tr class=class>
                                        <td class="line-number" aria-hidden="true">{line.old_line}</td>
                                        <td class="line-number" aria-hidden="true">{line.new_line}</td>
                                        <td class="line"><pre><span class="origin">{line.origin}</span>{line.content}</pre></td>
                                    </tr>
                                }
                            }).collect_view()}
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {file.truncated.then(|| view! { <p class="muted diff-note">"The rest of this change is not shown."</p> })}
        }.into_any()
    }
}
