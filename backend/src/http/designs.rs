//! Designs: `GET /api/designs` (paged list), `GET /api/designs/{owner}/{slug}`, its
//! `contributors` (commit authors mapped to accounts) and `maintainers` (GET, PUT).

use axum::extract::State;
use axum::routing::get;
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use api::{DesignList, DesignSort, DesignSummary};

use super::auth::SignedIn;
use super::extract::{Json, Path, Query};
use super::gate::DesignAccess;
use super::{AppResult, blocking, rfc3339};
use crate::accounts::{Role, Scope};
use crate::catalog::{DesignRow, ListQuery, Order};
use crate::server::AppState;
use crate::store::{DesignId, DesignRecord};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/designs", get(list))
        .route("/designs/{owner}/{slug}", get(show))
        .route("/designs/{owner}/{slug}/contributors", get(contributors))
        .route(
            "/designs/{owner}/{slug}/maintainers",
            get(maintainers).put(set_maintainers),
        )
}

#[derive(Debug, Deserialize)]
struct ListParams {
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    sort: DesignSort,
    /// Only designs owned by this account.
    owner: Option<String>,
    /// Only designs under this SPDX license expression.
    license: Option<String>,
    /// Only designs at this technology readiness level.
    readiness: Option<String>,
    /// `false` leaves forks out (designs that are no one's fork). Default `true`.
    forks: Option<bool>,
}

async fn list(
    State(app): State<AppState>,
    Query(params): Query<ListParams>,
) -> AppResult<JsonResponse<DesignList>> {
    let (page, per_page) = super::paging(params.page, params.per_page)?;

    let order = match params.sort {
        DesignSort::Updated => Order::Updated,
        DesignSort::Name => Order::Name,
        DesignSort::Forks => Order::Forks,
        DesignSort::Downloads => Order::Downloads,
    };
    let (rows, total) = app
        .catalog
        .list(&ListQuery {
            owner: params.owner.filter(|o| !o.is_empty()),
            license: params.license.filter(|l| !l.is_empty()),
            readiness: params.readiness.filter(|r| !r.is_empty()),
            include_forks: params.forks.unwrap_or(true),
            order,
            offset: u64::from(page - 1) * u64::from(per_page),
            limit: u64::from(per_page),
        })
        .await?;
    Ok(JsonResponse(DesignList {
        designs: rows
            .into_iter()
            .map(|row| summary_of_row(row, app.images.signer()))
            .collect(),
        total,
        page,
        per_page,
    }))
}

/// Validates the path's design id and reads the design (404 when it does not exist).
async fn record(app: &AppState, owner: &str, slug: &str) -> AppResult<DesignRecord> {
    let id = DesignId::new(owner, slug)?;
    let store = app.store.clone();
    blocking(move || store.record(&id)).await
}

/// What `show` reads from the store in one blocking call.
struct DetailRead {
    record: DesignRecord,
    head_info: crate::store::CommitInfo,
    commits: u64,
    contributors: u64,
    ancestry: Vec<(DesignId, git2::Oid)>,
    root: String,
    manifest_text: Option<Vec<u8>>,
    readme: Option<(String, Vec<u8>)>,
    bom: Option<(String, Vec<u8>)>,
    upstream: Option<api::Upstream>,
    /// Paths the manifest names that are not in the design.
    missing: Vec<crate::manifest::ManifestError>,
}

/// Everything the design page shows first, read in one go on the blocking pool.
async fn show(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::DesignDetail>> {
    let id = DesignId::new(&owner, &slug)?;
    let record_id = id.clone();
    let store = app.store.clone();
    let read = blocking(move || -> Result<DetailRead, crate::store::Error> {
        let record = store.record(&id)?;
        let head = record.head.to_string();
        let head_info = store.commit(&id, &head)?.info;
        let commits = store.commit_count(&id)?;
        let contributors = store.authors(&id)?.len() as u64;
        let ancestry = store.ancestry(&id)?;
        let root = store
            .network_root(&record.lineage.network)?
            .unwrap_or_else(|| id.clone())
            .to_string();
        let text = |path: &str| -> Result<Option<Vec<u8>>, crate::store::Error> {
            match store.file(&id, &head, path) {
                Ok((_, bytes)) => Ok(Some(bytes)),
                // A README or BOM too large to read whole is left out, like a missing one.
                Err(
                    crate::store::Error::Missing(_)
                    | crate::store::Error::InvalidPath(_)
                    | crate::store::Error::TooLarge(_),
                ) => Ok(None),
                Err(err) => Err(err),
            }
        };
        let manifest_text = text(crate::store::MANIFEST_PATH)?;
        let manifest = record.manifest.as_ref().ok();
        let named = manifest.and_then(|m| m.readme.first());
        let readme = match store.readme_path(&id, &head, named.as_deref())? {
            Some(path) => text(&path)?.map(|bytes| (path, bytes)),
            None => None,
        };
        let bom = match manifest.and_then(|m| m.bom.first()) {
            Some(path) => text(crate::bom::split_sheet(&path).0)?.map(|bytes| (path, bytes)),
            None => None,
        };
        let upstream = match &record.lineage.parent {
            Some((parent, _)) if store.exists(parent) => {
                let branch = store.default_branch(parent)?;
                match store.ref_target(parent, &crate::store::branch_ref(&branch))? {
                    Some(theirs) => {
                        let (ahead, behind) = store.ahead_behind(&id, record.head, theirs)?;
                        Some(api::Upstream {
                            design: parent.to_string(),
                            branch,
                            ahead: ahead as u64,
                            behind: behind as u64,
                        })
                    }
                    None => None,
                }
            }
            _ => None,
        };
        let missing = match &record.manifest {
            Ok(manifest) => {
                let present =
                    store.present(&id, &head, manifest.paths.iter().map(|p| p.path.as_str()))?;
                crate::manifest::missing_files(manifest, |path| present.contains(path))
            }
            Err(_) => Vec::new(),
        };
        Ok(DetailRead {
            missing,
            upstream,
            record,
            head_info,
            commits,
            contributors,
            ancestry,
            root,
            manifest_text,
            readme,
            bom,
        })
    })
    .await?;
    let forks = app
        .catalog
        .get(&record_id)
        .await?
        .map_or(0, |row| row.forks.max(0) as u64);
    let DetailRead {
        record,
        head_info,
        commits,
        contributors,
        ancestry,
        root,
        manifest_text,
        readme,
        bom,
        upstream,
        missing,
    } = read;
    let open_proposals = app.proposals.counts(&record_id).await?.open.max(0) as u64;

    let mut problems = Vec::new();
    let suggested_manifest = match &record.manifest {
        Ok(crate::manifest::Manifest {
            from_v1: Some((from, converted)),
            ..
        }) => {
            problems.push(api::Problem {
                line: None,
                message: format!(
                    "{from} is an OKH v1 manifest: it is shown through its conversion to OKH-LOSH; \
                     commit the converted okh.toml to keep it"
                ),
            });
            Some(api::SuggestedFile {
                path: crate::store::MANIFEST_PATH.to_owned(),
                content: converted.toml.clone(),
                from: from.clone(),
                left_out: converted.left_out.clone(),
            })
        }
        _ => None,
    };
    let manifest = match &record.manifest {
        Ok(manifest) => {
            // Lines are those of the converted text when the manifest is an OKH v1 one.
            let text = match (&suggested_manifest, manifest_text.as_deref()) {
                (Some(suggested), _) => suggested.content.clone().into(),
                (None, text) => text.map(String::from_utf8_lossy).unwrap_or_default(),
            };
            let mut found = crate::manifest::validate(manifest, &text);
            found.extend(missing);
            found.sort_by_key(|p| p.line);
            problems.extend(found.into_iter().map(problem));
            Some(wire_manifest(manifest))
        }
        Err(err) => {
            problems.push(problem(err.clone()));
            None
        }
    };
    let head = record.head.to_string();
    let readme_html = readme.as_ref().map(|(path, bytes)| {
        let raw = format!("/api/designs/{owner}/{slug}/raw/{head}/");
        let view = format!("/{owner}/{slug}/blob/{head}/");
        let dir = path
            .rsplit_once('/')
            .map(|(dir, _)| dir)
            .unwrap_or_default();
        crate::markdown::render(
            &String::from_utf8_lossy(bytes),
            &crate::markdown::Links {
                raw: &raw,
                view: &view,
                dir,
                images: app.images.signer(),
            },
        )
    });
    let bom = bom.map(|(path, bytes)| crate::bom::wire(&path, &bytes));
    let parent = record
        .lineage
        .parent
        .as_ref()
        .map(|(id, at)| api::ParentRef {
            id: id.to_string(),
            commit: at.to_string(),
        });
    let head_commit = super::browse::People::default()
        .commit(&app, &head_info)
        .await?;
    let ancestry = ancestry
        .into_iter()
        .map(|(id, at)| api::ParentRef {
            id: id.to_string(),
            commit: at.to_string(),
        })
        .collect();
    let default_branch = record.default_branch.clone();
    Ok(JsonResponse(api::DesignDetail {
        summary: DesignSummary {
            forks,
            ..summary(record, app.images.signer())
        },
        ancestry,
        default_branch,
        head_commit,
        manifest,
        manifest_problems: problems,
        readme_path: readme.map(|(path, _)| path),
        readme_html,
        bom,
        counts: api::Counts {
            commits,
            contributors,
            forks,
            proposals: open_proposals,
        },
        parent,
        network_root: root,
        upstream,
        suggested_manifest,
    }))
}

fn problem(err: crate::manifest::ManifestError) -> api::Problem {
    api::Problem {
        line: err.line,
        message: err.to_string(),
    }
}

fn wire_manifest(manifest: &crate::manifest::Manifest) -> api::Manifest {
    let fields = |extra: &toml::Table| -> Vec<api::ManifestEntry> {
        crate::manifest::shown_fields(extra)
            .into_iter()
            .map(|(key, text, standard)| api::ManifestEntry {
                key,
                text,
                standard,
            })
            .collect()
    };
    let lists = [
        ("readme", &manifest.readme),
        ("bom", &manifest.bom),
        (
            "manufacturing-instructions",
            &manifest.manufacturing_instructions,
        ),
        ("documentation-language", &manifest.documentation_language),
    ]
    .into_iter()
    .filter(|(_, values)| !values.0.is_empty())
    .map(|(key, values)| (key.to_owned(), values.0.clone()))
    .collect();
    api::Manifest {
        okhv: manifest.okhv.clone(),
        name: manifest.name.clone(),
        repo: manifest.repo.clone(),
        version: manifest.version.clone(),
        license: manifest.license.clone(),
        licensor: Some(manifest.licensor_names().join(", ")).filter(|l| !l.is_empty()),
        function: manifest.function.clone(),
        readme: manifest.readme.first(),
        bom: manifest.bom.first(),
        manufacturing_instructions: manifest.manufacturing_instructions.first(),
        image: manifest.image.0.clone(),
        documentation_language: manifest.documentation_language.first(),
        technology_readiness_level: manifest.technology_readiness_level.clone(),
        parts: manifest
            .part
            .iter()
            .map(|part| api::ManifestPart {
                name: part.name.clone(),
                source: part.source.0.clone(),
                export: part.export.0.clone(),
                material: part.material.first(),
                materials: part.material.0.clone(),
                tsdc: part.tsdc.0.clone(),
                fields: fields(&part.extra),
            })
            .collect(),
        lists,
        fields: fields(&manifest.extra),
    }
}

async fn contributors(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::ContributorList>> {
    let id = DesignId::new(&owner, &slug)?;
    let store = app.store.clone();
    let authors = blocking(move || store.authors(&id)).await?;
    let mut contributors = Vec::with_capacity(authors.len());
    for author in authors {
        contributors.push(api::Contributor {
            account: app.accounts.account_for_email(&author.email).await?,
            name: author.name,
            commits: author.commits,
        });
    }
    Ok(JsonResponse(api::ContributorList {
        total: contributors.len() as u64,
        page: 1,
        per_page: contributors.len().max(1) as u32,
        contributors,
    }))
}

async fn maintainers(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<api::Maintainers>> {
    let record = record(&app, &owner, &slug).await?;
    Ok(JsonResponse(api::Maintainers {
        maintainers: app.accounts.maintainers(&record.id.to_string()).await?,
        owner: record.id.owner().to_owned(),
    }))
}

/// Replaces the maintainer list: the owner or an instance admin only.
async fn set_maintainers(
    State(app): State<AppState>,
    _caller: SignedIn,
    design: DesignAccess,
    Json(body): Json<api::MaintainersUpdate>,
) -> AppResult<JsonResponse<api::Maintainers>> {
    let account = design
        .require(&app, Role::Owner, Scope::DesignsWrite)
        .await?;
    let (owner, id) = (design.id.owner().to_owned(), design.id.to_string());
    let maintainers = app
        .accounts
        .set_maintainers(&owner, &id, &body.maintainers)
        .await?;
    tracing::info!(design = %id, by = %account.username, ?maintainers, "maintainers changed");
    Ok(JsonResponse(api::Maintainers { owner, maintainers }))
}

/// Where a card's picture is: the manifest image `image` of design `id` at `head` (a path in
/// the design, a leading `/` being its root, or an http(s) URL through the image proxy, when
/// outbound fetches are on), else the picture of its main model at `head` (a placeholder when
/// it has none); `None` only for a design without commits.
pub fn image_url(
    id: &str,
    head: &str,
    image: Option<&str>,
    images: Option<&crate::images::Signer>,
) -> Option<String> {
    manifest_image(id, head, image, images)
        .or_else(|| (!head.is_empty()).then(|| format!("/api/designs/{id}/picture/{head}")))
}

fn manifest_image(
    id: &str,
    head: &str,
    image: Option<&str>,
    images: Option<&crate::images::Signer>,
) -> Option<String> {
    let image = image?.trim();
    let lower = image.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return images.map(|signer| signer.url(image));
    }
    // A scheme (`data:`) or drive (`C:`) before the first '/'; a ':' further on is a name's.
    if image.split('/').next().unwrap_or_default().contains(':') || head.is_empty() {
        return None;
    }
    let path = image.trim_start_matches("./").trim_start_matches('/');
    crate::store::paths::validate(path).ok()?;
    Some(format!(
        "/api/designs/{id}/raw/{head}/{}",
        super::percent_encode(path, b"/")
    ))
}

pub fn summary_of_row(row: DesignRow, images: Option<&crate::images::Signer>) -> DesignSummary {
    DesignSummary {
        image_url: image_url(&row.id, &row.head, row.image.as_deref(), images),
        owner: row.owner,
        slug: row.slug,
        name: row.name,
        function: row.function,
        license: row.license,
        version: row.version,
        head: row.head,
        updated: rfc3339(row.updated),
        manifest_error: row.manifest_error,
        forks: row.forks.max(0) as u64,
        fork_of: row.parent,
        id: row.id,
        empty: false,
    }
}

pub fn summary(record: DesignRecord, images: Option<&crate::images::Signer>) -> DesignSummary {
    let (manifest, manifest_error) = match record.manifest {
        Ok(manifest) => (manifest, None),
        Err(err) => (Default::default(), Some(err.to_string())),
    };
    DesignSummary {
        image_url: image_url(
            &record.id.to_string(),
            &record.head.to_string(),
            manifest.image.first().as_deref(),
            images,
        ),
        id: record.id.to_string(),
        owner: record.id.owner().to_owned(),
        slug: record.id.slug().to_owned(),
        name: manifest.name.unwrap_or_else(|| record.id.slug().to_owned()),
        function: manifest.function.unwrap_or_default(),
        license: manifest.license,
        version: manifest.version,
        head: record.head.to_string(),
        updated: rfc3339(record.updated),
        manifest_error,
        forks: 0,
        fork_of: record.lineage.parent.as_ref().map(|(id, _)| id.to_string()),
        empty: false,
    }
}

/// The summary of a design created empty.
pub fn empty_summary(id: &DesignId) -> DesignSummary {
    DesignSummary {
        id: id.to_string(),
        owner: id.owner().to_owned(),
        slug: id.slug().to_owned(),
        name: id.slug().to_owned(),
        function: String::new(),
        license: None,
        version: None,
        head: String::new(),
        updated: String::new(),
        manifest_error: None,
        forks: 0,
        empty: true,
        image_url: None,
        fork_of: None,
    }
}

#[cfg(test)]
mod tests {
    use super::image_url;

    #[test]
    fn card_images_are_design_files_or_signed_urls_never_other_schemes() {
        let head = "a".repeat(40);
        let url = |image: &str| image_url("ada/lamp", &head, Some(image), None);
        assert_eq!(
            url("./photos/10:30 side.jpg").as_deref(),
            Some(format!("/api/designs/ada/lamp/raw/{head}/photos/10%3A30%20side.jpg").as_str())
        );
        for refused in [
            "data:image/png;base64,AAAA",
            "javascript:alert(1)",
            "C:/photos/a.jpg",
            "../secret.png",
            "https://example.org/a.png",
        ] {
            // Not that image: the picture of the design's model.
            assert_eq!(
                url(refused).as_deref(),
                Some(format!("/api/designs/ada/lamp/picture/{head}").as_str()),
                "{refused}"
            );
        }
        assert_eq!(image_url("ada/lamp", "", None, None), None);
    }
}
