//! Changed files with their text diffs (commit and compare pages).

use ::api::FileChange;
use leptos::prelude::*;

use crate::pages::files::human_size;

#[component]
pub fn Diff(files: Vec<FileChange>) -> impl IntoView {
    if files.is_empty() {
        return view! { <p class="empty">"No file changed."</p> }.into_any();
    }
    view! {
        <p class="count">{format!("{} file{} changed", files.len(), if files.len() == 1 { "" } else { "s" })}</p>
        {files.into_iter().map(|file| view! { <FileDiff file/> }).collect_view()}
    }
    .into_any()
}

#[component]
fn FileDiff(file: FileChange) -> impl IntoView {
    let title = match &file.old_path {
        Some(old) => format!("{old} → {}", file.path),
        None => file.path.clone(),
    };
    let body = if file.binary {
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
    };
    view! {
        <section class="file-diff">
            <h3><span class=format!("status status-{}", file.status)>{file.status.clone()}</span> " " <code>{title}</code></h3>
            {body}
        </section>
    }
}
