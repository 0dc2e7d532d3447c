//! Reading a design's repository over HTTP: `tree`, `raw`, `commits` (list and one), `compare`,
//! `branches`, `releases`, `forks` and `network`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use super::extract::{Path, Query};
use super::{AppError, AppResult, blocking, rfc3339};
use crate::server::AppState;
use crate::store::{self, DesignId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/designs/{owner}/{slug}/tree/{rev}", get(tree_root))
        .route("/designs/{owner}/{slug}/tree/{rev}/{*path}", get(tree))
        .route("/designs/{owner}/{slug}/raw/{rev}/{*path}", get(raw))
        .route(
            "/designs/{owner}/{slug}/rendered/{rev}/{*path}",
            get(rendered),
        )
        .route("/designs/{owner}/{slug}/commits/{id}", get(commit))
        .route("/designs/{owner}/{slug}/compare/{spec}", get(compare))
        .route("/designs/{owner}/{slug}/branches", get(branches))
        .route("/designs/{owner}/{slug}/forks", get(forks))
        .route("/designs/{owner}/{slug}/network", get(network))
}

pub fn design_id(owner: &str, slug: &str) -> AppResult<DesignId> {
    Ok(DesignId::new(owner, slug)?)
}

/// Maps commit emails to accounts, asking the database once per distinct email.
#[derive(Default)]
pub struct People(HashMap<String, Option<String>>);

impl People {
    pub async fn person(
        &mut self,
        app: &AppState,
        person: &store::Person,
    ) -> AppResult<api::Person> {
        let email = person.email.to_lowercase();
        let account = match self.0.get(&email) {
            Some(account) => account.clone(),
            None => {
                let account = app.accounts.account_for_email(&email).await?;
                self.0.insert(email, account.clone());
                account
            }
        };
        Ok(api::Person {
            name: person.name.clone(),
            account,
            time: rfc3339(person.time),
        })
    }

    pub async fn commit(
        &mut self,
        app: &AppState,
        info: &store::CommitInfo,
    ) -> AppResult<api::CommitSummary> {
        Ok(api::CommitSummary {
            id: info.id.to_string(),
            parents: info.parents.iter().map(ToString::to_string).collect(),
            author: self.person(app, &info.author).await?,
            committer: self.person(app, &info.committer).await?,
            summary: info.summary().to_owned(),
            message: info.message.clone(),
            trailers: info
                .trailers
                .iter()
                .map(|(key, value)| api::Trailer {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        })
    }

    pub async fn commits(
        &mut self,
        app: &AppState,
        infos: &[store::CommitInfo],
    ) -> AppResult<Vec<api::CommitSummary>> {
        let mut out = Vec::with_capacity(infos.len());
        for info in infos {
            out.push(self.commit(app, info).await?);
        }
        Ok(out)
    }
}

pub fn file_changes(files: Vec<store::ChangedFile>) -> Vec<api::FileChange> {
    files
        .into_iter()
        .map(|file| api::FileChange {
            path: file.path,
            old_path: file.old_path,
            status: file.status.to_owned(),
            binary: file.binary,
            old_size: file.old_size,
            new_size: file.new_size,
            truncated: file.truncated,
            hunks: file
                .hunks
                .into_iter()
                .map(|hunk| api::Hunk {
                    header: hunk.header,
                    lines: hunk
                        .lines
                        .into_iter()
                        .map(|line| api::DiffLine {
                            origin: line.origin.to_string(),
                            old_line: line.old_line,
                            new_line: line.new_line,
                            content: line.content,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

async fn tree_root(
    State(app): State<AppState>,
    Path((owner, slug, rev)): Path<(String, String, String)>,
) -> AppResult<JsonResponse<api::Tree>> {
    list_tree(app, owner, slug, rev, String::new()).await
}

async fn tree(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Path<(String, String, String, String)>,
) -> AppResult<JsonResponse<api::Tree>> {
    list_tree(app, owner, slug, rev, path.trim_end_matches('/').to_owned()).await
}

async fn list_tree(
    app: AppState,
    owner: String,
    slug: String,
    rev: String,
    path: String,
) -> AppResult<JsonResponse<api::Tree>> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let listed_path = path.clone();
    let (commit, entries) = blocking(move || store.tree(&id, &rev, &listed_path)).await?;
    let entries: Vec<api::TreeEntry> = entries
        .into_iter()
        .map(|entry| api::TreeEntry {
            notice: store::paths::windows_notice(&entry.name),
            name: entry.name,
            path: entry.path,
            kind: match entry.kind {
                store::EntryKind::File => "file",
                store::EntryKind::Dir => "dir",
                store::EntryKind::Symlink => "symlink",
                store::EntryKind::Submodule => "submodule",
            }
            .to_owned(),
            size: entry.size,
            id: entry.oid.to_string(),
            executable: entry.executable,
            target: entry.target,
        })
        .collect();
    Ok(JsonResponse(api::Tree {
        commit: commit.to_string(),
        path,
        total: entries.len() as u64,
        page: 1,
        per_page: entries.len().max(1) as u32,
        entries,
    }))
}

#[derive(Debug, Deserialize)]
struct RawParams {
    /// `1` (or any value) answers with `Content-Disposition: attachment`.
    download: Option<String>,
}

/// Serves a file: its content type, `ETag` = blob id, single `Range`s, and a sandboxing CSP so
/// that no file (HTML, SVG) can run script on this origin. Files up to `blobs::INLINE` are read
/// whole; larger ones stream from the blob cache in chunks (ranges by seeking), so memory stays
/// flat whatever their size.
async fn raw(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Path<(String, String, String, String)>,
    Query(params): Query<RawParams>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> AppResult<Response> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let caching = super::caching_for(&rev);
    let (design, file_path) = (id.clone(), path.clone());
    let (blob, total) = blocking(move || store.file_header(&design, &rev, &file_path)).await?;
    let etag = format!("\"{blob}\"");
    let mut response = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CACHE_CONTROL, caching)
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
        );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
    {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(AppError::internal);
    }
    // Small files are read whole (and sniffed for text); large ones are streamed.
    let inline = if total <= crate::blobs::INLINE {
        let (store, design) = (app.store.clone(), id.clone());
        Some(blocking(move || store.blob(&design, blob)).await?)
    } else {
        None
    };
    let name = path.rsplit('/').next().unwrap_or(&path);
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let content_type = match (mime.type_(), mime.subtype()) {
        _ if let Some(cad) = cad_type(&path) => cad.to_owned(),
        // Text is served as plain text (HTML included): it is data here, not a page.
        (mime_guess::mime::TEXT, _) | (_, mime_guess::mime::JSON) => {
            if mime.subtype() == mime_guess::mime::CSV {
                "text/csv; charset=utf-8".to_owned()
            } else {
                "text/plain; charset=utf-8".to_owned()
            }
        }
        _ if inline.as_deref().is_some_and(looks_like_text)
            && mime == mime_guess::mime::APPLICATION_OCTET_STREAM =>
        {
            "text/plain; charset=utf-8".to_owned()
        }
        _ => mime.essence_str().to_owned(),
    };
    let disposition = if params.download.is_some() {
        "attachment"
    } else {
        "inline"
    };
    response = response.header(header::CONTENT_TYPE, content_type).header(
        header::CONTENT_DISPOSITION,
        super::content_disposition(disposition, name),
    );
    // A `Range` in another unit, or of several parts, is ignored (RFC 9110 §14.2), and so is one
    // whose `If-Range` names another version of the file.
    let if_range_holds = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = match headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| if_range_holds && v.trim_start().starts_with("bytes=") && !v.contains(','))
    {
        None => None,
        Some(range) => match parse_range(range, total) {
            Some(range) => Some(range),
            None => {
                return Ok((
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("bytes */{total}"))
                            .map_err(AppError::internal)?,
                    )],
                )
                    .into_response());
            }
        },
    };
    let (start, end) = range.unwrap_or((0, total.saturating_sub(1)));
    if range.is_some() {
        response = response.status(StatusCode::PARTIAL_CONTENT).header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{total}"),
        );
    } else {
        response = response.status(StatusCode::OK);
    }
    let body = match inline {
        Some(bytes) if range.is_some() => Body::from(bytes[start as usize..=end as usize].to_vec()),
        Some(bytes) => Body::from(bytes),
        None => {
            response = response.header(header::CONTENT_LENGTH, end + 1 - start);
            // A HEAD needs no bytes: nothing is extracted for it.
            if method == axum::http::Method::HEAD {
                Body::empty()
            } else {
                let tail = app.blobs.get(&id, blob, total).await?;
                Body::from_stream(tail.range(start, Some(end + 1)))
            }
        }
    };
    response.body(body).map_err(AppError::internal)
}

/// A Markdown file rendered to sanitized HTML, its relative links resolved at the same commit.
async fn rendered(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Path<(String, String, String, String)>,
) -> AppResult<JsonResponse<api::Rendered>> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let file_path = path.clone();
    let (commit, bytes) = blocking(move || {
        let commit = store.resolve(&id, &rev)?;
        let (_, bytes) = store.file(&id, &commit.to_string(), &file_path)?;
        Ok::<_, store::Error>((commit, bytes))
    })
    .await?;
    let raw = format!("/api/designs/{owner}/{slug}/raw/{commit}/");
    let view = format!("/{owner}/{slug}/blob/{commit}/");
    let dir = path
        .rsplit_once('/')
        .map(|(dir, _)| dir)
        .unwrap_or_default();
    let html = crate::markdown::render(
        &String::from_utf8_lossy(&bytes),
        &crate::markdown::Links {
            raw: &raw,
            view: &view,
            dir,
            images: app.images.signer(),
        },
    );
    Ok(JsonResponse(api::Rendered {
        commit: commit.to_string(),
        html,
    }))
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8000)];
    !head.contains(&0) && std::str::from_utf8(head).is_ok()
}

/// The registered media types of CAD and 3D formats, which `mime_guess` gets wrong (`.stl`
/// as a certificate list) or does not know; OpenSCAD sources are text.
fn cad_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "stl" => "model/stl",
        "step" | "stp" => "model/step",
        "iges" | "igs" => "model/iges",
        "3mf" => "model/3mf",
        "obj" => "model/obj",
        "gltf" => "model/gltf+json",
        "glb" => "model/gltf-binary",
        "dxf" => "image/vnd.dxf",
        "scad" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `total` bytes, inclusive.
fn parse_range(header: &str, total: u64) -> Option<(u64, u64)> {
    let spec = header.strip_prefix("bytes=")?.trim();
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (total.saturating_sub(n), total - 1)
        }
        (s, "") => (s.parse().ok()?, total - 1),
        (s, e) => (s.parse().ok()?, e.parse::<u64>().ok()?.min(total - 1)),
    };
    (start <= end && start < total).then_some((start, end))
}

#[derive(Debug, Deserialize)]
pub struct LogParams {
    rev: Option<String>,
    path: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
}

pub async fn list_commits(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
    Query(params): Query<LogParams>,
) -> AppResult<JsonResponse<api::CommitList>> {
    let id = design_id(&owner, &slug)?;
    let (page, per_page) = super::paging(params.page, params.per_page)?;
    let path = params.path.filter(|p| !p.is_empty());
    let store = app.store.clone();
    let skip = (page as usize - 1) * per_page as usize;
    let (infos, total) = blocking(move || {
        let rev = match params.rev {
            Some(rev) => rev,
            None => store.default_branch(&id)?,
        };
        store.log(&id, &rev, path.as_deref(), skip, per_page as usize)
    })
    .await?;
    let commits = People::default().commits(&app, &infos).await?;
    Ok(JsonResponse(api::CommitList {
        commits,
        total,
        page,
        per_page,
    }))
}

async fn commit(
    State(app): State<AppState>,
    Path((owner, slug, commit)): Path<(String, String, String)>,
) -> AppResult<JsonResponse<api::CommitDetail>> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let detail = blocking(move || store.commit(&id, &commit)).await?;
    Ok(JsonResponse(api::CommitDetail {
        commit: People::default().commit(&app, &detail.info).await?,
        files: file_changes(detail.files),
    }))
}

async fn compare(
    State(app): State<AppState>,
    Path((owner, slug, spec)): Path<(String, String, String)>,
) -> AppResult<JsonResponse<api::Comparison>> {
    let id = design_id(&owner, &slug)?;
    let (base, head) = spec.split_once("...").ok_or_else(|| {
        AppError::BadRequest(format!(
            "compare {spec:?}: use base...head (or base...owner:slug:head for another design of the network)"
        ))
    })?;
    // `owner:slug:rev` names a head in another design of the network (a fork, its upstream).
    let (head_design, head) = match head.split_once(':') {
        Some((owner, rest)) => {
            let (slug, rev) = rest.split_once(':').ok_or_else(|| {
                AppError::BadRequest(format!("compare head {head:?}: use owner:slug:rev"))
            })?;
            (design_id(owner, slug)?, rev.to_owned())
        }
        None => (id.clone(), head.to_owned()),
    };
    let base = base.to_owned();
    let store = app.store.clone();
    let comparison =
        blocking(move || store.compare_across(&id, &base, &head_design, &head)).await?;
    Ok(JsonResponse(api::Comparison {
        base: comparison.base.to_string(),
        head: comparison.head.to_string(),
        merge_base: comparison.merge_base.map(|m| m.to_string()),
        commits: People::default().commits(&app, &comparison.commits).await?,
        files: file_changes(comparison.files),
    }))
}

async fn branches(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::BranchList>> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let (default, branches) =
        blocking(move || Ok::<_, store::Error>((store.default_branch(&id)?, store.branches(&id)?)))
            .await?;
    let branches: Vec<api::Branch> = branches
        .into_iter()
        .map(|b| api::Branch {
            default: b.name == default,
            name: b.name,
            head: b.head.to_string(),
            updated: rfc3339(b.updated),
        })
        .collect();
    Ok(JsonResponse(api::BranchList {
        total: branches.len() as u64,
        page: 1,
        per_page: branches.len().max(1) as u32,
        branches,
    }))
}

/// A release's notes as sanitized HTML, paths resolved in the design at its commit.
pub(super) fn release_notes_html(
    id: &DesignId,
    release: &store::Release,
    images: Option<&crate::images::Signer>,
) -> String {
    let commit = release.commit;
    crate::markdown::render(
        &release.notes,
        &crate::markdown::Links {
            raw: &format!("/api/designs/{id}/raw/{commit}/"),
            view: &format!("/{id}/blob/{commit}/"),
            dir: "",
            images,
        },
    )
}

pub async fn list_releases(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::ReleaseList>> {
    let id = design_id(&owner, &slug)?;
    let (store, bundles) = (app.store.clone(), app.bundles.clone());
    let signer = app.images.signer().cloned();
    let releases = blocking(move || -> store::Result<_> {
        Ok(store
            .releases(&id)?
            .into_iter()
            .map(|release| {
                let links = super::bundles::release_links(&bundles, &id, &release);
                let html = release_notes_html(&id, &release, signer.as_ref());
                (release, links, html)
            })
            .collect::<Vec<_>>())
    })
    .await?;
    let mut people = People::default();
    let mut out = Vec::with_capacity(releases.len());
    for (release, bundles, notes_html) in releases {
        out.push(api::Release {
            notes_html,
            bundles,
            tagger: match &release.tagger {
                Some(t) => Some(people.person(&app, t).await?),
                None => None,
            },
            tag: release.tag,
            commit: release.commit.to_string(),
            notes: release.notes,
        });
    }
    Ok(JsonResponse(api::ReleaseList {
        total: out.len() as u64,
        page: 1,
        per_page: out.len().max(1) as u32,
        releases: out,
    }))
}

async fn forks(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::DesignList>> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let lookup = id.clone();
    // 404 for a design that does not exist.
    blocking(move || store.lineage(&lookup)).await?;
    let designs: Vec<api::DesignSummary> = app
        .catalog
        .forks(&id)
        .await?
        .into_iter()
        .map(|row| super::designs::summary_of_row(row, app.images.signer()))
        .collect();
    Ok(JsonResponse(api::DesignList {
        total: designs.len() as u64,
        page: 1,
        per_page: designs.len().max(1) as u32,
        designs,
    }))
}

async fn network(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::NetworkNode>> {
    let id = design_id(&owner, &slug)?;
    let store = app.store.clone();
    let network = blocking(move || store.lineage(&id)).await?.network;
    let rows = app.catalog.network(&network).await?;
    let cards: std::collections::HashMap<&str, (&str, Option<String>)> = rows
        .iter()
        .map(|row| {
            let image = super::designs::image_url(
                &row.id,
                &row.head,
                row.image.as_deref(),
                app.images.signer(),
            );
            (row.id.as_str(), (row.name.as_str(), image))
        })
        .collect();
    Ok(JsonResponse(wire_tree(crate::catalog::tree(&rows), &cards)))
}

/// `node` on the wire, each design with its name and picture from `cards` (by id).
fn wire_tree(
    node: crate::catalog::Tree,
    cards: &std::collections::HashMap<&str, (&str, Option<String>)>,
) -> api::NetworkNode {
    let (name, image_url) = cards
        .get(node.id.as_str())
        .map(|(name, image)| ((*name).to_owned(), image.clone()))
        .unwrap_or_default();
    api::NetworkNode {
        name,
        image_url,
        forked_at: node.forked_at,
        children: node
            .children
            .into_iter()
            .map(|child| wire_tree(child, cards))
            .collect(),
        id: node.id,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,3-4", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
