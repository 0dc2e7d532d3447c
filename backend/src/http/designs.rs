//! `GET /api/designs` (paged list) and `GET /api/designs/{owner}/{slug}` (one design).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use api::paging::{DEFAULT_PER_PAGE, MAX_PER_PAGE};
use api::{DesignList, DesignSort, DesignSummary};

use super::{AppError, AppResult, blocking};
use crate::server::AppState;
use crate::store::{DesignId, DesignRecord};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/designs", get(list))
        .route("/designs/{owner}/{slug}", get(show))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    page: Option<u32>,
    per_page: Option<u32>,
    #[serde(default)]
    sort: DesignSort,
}

async fn list(
    State(app): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> AppResult<Json<DesignList>> {
    let Query(params) = params?;
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
    let mut records = blocking(move || {
        store
            .ids()?
            .iter()
            .map(|id| store.record(id))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let mut designs: Vec<DesignSummary> = records.drain(..).map(summary).collect();
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
    Ok(Json(DesignList {
        designs,
        total,
        page,
        per_page,
    }))
}

async fn show(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
) -> AppResult<Json<DesignSummary>> {
    let id = DesignId::new(&owner, &slug)?;
    let store = app.store.clone();
    let record = blocking(move || store.record(&id)).await?;
    Ok(Json(summary(record)))
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

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2024-03-01T10:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        // Git times outside time's range (years beyond ±9999) only come from forged commits.
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
