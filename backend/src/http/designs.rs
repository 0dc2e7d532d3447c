//! Designs: `GET /api/designs` (paged list), `GET /api/designs/{owner}/{slug}`, its
//! `contributors` (commit authors mapped to accounts) and `maintainers` (GET, PUT).

use axum::extract::State;
use axum::routing::get;
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use api::paging::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use api::{DesignList, DesignSort, DesignSummary};

use super::auth::SignedIn;
use super::extract::{Json, Path, Query};
use super::{AppError, AppResult, blocking, rfc3339};
use crate::accounts::Role;
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
}

async fn list(
    State(app): State<AppState>,
    Query(params): Query<ListParams>,
) -> AppResult<JsonResponse<DesignList>> {
    let page = params.page.unwrap_or(1);
    if page == 0 {
        return Err(AppError::BadRequest("page starts at 1".into()));
    }
    let per_page = params.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 {
        return Err(AppError::BadRequest("per_page must be at least 1".into()));
    }
    let per_page = per_page.min(MAX_PER_PAGE);

    let store = app.store.clone();
    let owner = params.owner.clone();
    let records = blocking(move || {
        store
            .ids()?
            .iter()
            .filter(|id| owner.as_deref().is_none_or(|o| id.owner() == o))
            .map(|id| store.record(id))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let mut designs: Vec<DesignSummary> = records.into_iter().map(summary).collect();
    match params.sort {
        DesignSort::Updated => {
            designs.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)))
        }
        DesignSort::Name => designs.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        }),
    }
    let total = designs.len() as u64;
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    let designs = designs
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    Ok(JsonResponse(DesignList {
        designs,
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

async fn show(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<JsonResponse<DesignSummary>> {
    Ok(JsonResponse(summary(record(&app, &owner, &slug).await?)))
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
    caller: SignedIn,
    Path((owner, slug)): Path<(String, String)>,
    Json(body): Json<api::MaintainersUpdate>,
) -> AppResult<JsonResponse<api::Maintainers>> {
    let account = caller.require_scope("designs:write")?;
    let record = record(&app, &owner, &slug).await?;
    let id = record.id.to_string();
    if app.accounts.role(account, &owner, &id).await? < Role::Owner {
        return Err(AppError::Forbidden(format!(
            "only the owner of {id} or an instance admin may change its maintainers"
        )));
    }
    let maintainers = app
        .accounts
        .set_maintainers(&owner, &id, &body.maintainers)
        .await?;
    tracing::info!(design = %id, by = %account.username, ?maintainers, "maintainers changed");
    Ok(JsonResponse(api::Maintainers { owner, maintainers }))
}

fn summary(record: DesignRecord) -> DesignSummary {
    let (manifest, manifest_error) = match record.manifest {
        Ok(manifest) => (manifest, None),
        Err(err) => (Default::default(), Some(err.to_string())),
    };
    DesignSummary {
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
    }
}
