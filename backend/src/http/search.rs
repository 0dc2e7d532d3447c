//! `GET /api/search` (designs), `GET /api/components` (components, grouped) and
//! `GET /api/components/{key}` (where-used). Bad input never fails: broken syntax is searched as
//! text, long queries are cut, `per_page` is capped.

use axum::extract::State;
use axum::routing::get;
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use api::paging::MAX_PER_PAGE;

use super::extract::{Path, Query};
use super::{AppError, AppResult, blocking_in, rfc3339};
use crate::search::{ComponentQuery, DesignQuery, Facets, Sort};
use crate::server::AppState;
use crate::work::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/search", get(designs))
        .route("/components", get(components))
        .route("/components/{key}", get(where_used))
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    license: Option<String>,
    category: Option<String>,
    material: Option<String>,
    owner: Option<String>,
    manufacturer: Option<String>,
    /// `false` leaves forks out (designs only).
    forks: Option<bool>,
}

fn facets(facets: Facets) -> api::FacetCounts {
    facets
        .into_iter()
        .map(|(name, values)| {
            (
                name.to_owned(),
                values
                    .into_iter()
                    .map(|(value, count)| api::FacetValue { value, count })
                    .collect(),
            )
        })
        .collect()
}

async fn designs(
    State(app): State<AppState>,
    Query(params): Query<SearchParams>,
) -> AppResult<JsonResponse<api::DesignSearch>> {
    let sort = match params.sort.as_deref() {
        None | Some("") | Some("relevance") => Sort::Relevance,
        Some("updated") => Sort::Updated,
        Some("forks") => Sort::Forks,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "unknown sort {other:?} (use relevance, updated or forks)"
            )));
        }
    };
    let (page, per_page) = super::paging(params.page, params.per_page)?;
    let query = DesignQuery {
        q: params.q,
        sort,
        page: page as usize,
        per_page: per_page as usize,
        license: params.license,
        category: params.category,
        material: params.material,
        owner: params.owner,
        roots_only: params.forks == Some(false),
    };
    let search = app.search.clone();
    let results = blocking_in(Kind::Search, move || search.designs(&query)).await?;
    Ok(JsonResponse(api::DesignSearch {
        designs: results
            .hits
            .into_iter()
            .map(|hit| api::DesignHit {
                image_url: super::designs::image_url(
                    &hit.id,
                    &hit.head,
                    hit.image.as_deref(),
                    app.images.signer(),
                ),
                id: hit.id,
                name: hit.name,
                function: hit.function,
                license: hit.license,
                owner: hit.owner,
                parent: hit.parent,
                updated: rfc3339(hit.updated),
                forks: hit.forks,
                commits: hit.commits,
                contributors: hit.contributors,
                version: hit.version,
                score: hit.score,
                snippet_html: hit.snippet,
            })
            .collect(),
        total: results.total,
        page,
        per_page,
        facets: facets(results.facets),
        query: results.query,
    }))
}

async fn components(
    State(app): State<AppState>,
    Query(params): Query<SearchParams>,
) -> AppResult<JsonResponse<api::ComponentSearch>> {
    let (page, per_page) = super::paging(params.page, params.per_page)?;
    let query = ComponentQuery {
        q: params.q,
        page: page as usize,
        per_page: per_page as usize,
        manufacturer: params.manufacturer,
        material: params.material,
        category: params.category,
    };
    let search = app.search.clone();
    let results = blocking_in(Kind::Search, move || search.components(&query)).await?;
    Ok(JsonResponse(api::ComponentSearch {
        components: results
            .hits
            .into_iter()
            .map(|hit| api::ComponentHit {
                key: hit.key,
                name: hit.name,
                part_number: hit.part_number,
                manufacturer: hit.manufacturer,
                used_in: hit.used_in,
            })
            .collect(),
        total: results.total,
        page,
        per_page,
        facets: facets(results.facets),
        query: results.query,
    }))
}

#[derive(Debug, Deserialize)]
struct PageParams {
    page: Option<u32>,
    per_page: Option<u32>,
}

async fn where_used(
    State(app): State<AppState>,
    Path(key): Path<String>,
    Query(params): Query<PageParams>,
) -> AppResult<JsonResponse<api::WhereUsed>> {
    let (page, per_page) = (
        params.page.unwrap_or(1).max(1),
        params
            .per_page
            .unwrap_or(MAX_PER_PAGE)
            .clamp(1, MAX_PER_PAGE),
    );
    let search = app.search.clone();
    let lookup = key.clone();
    let found = blocking_in(Kind::Search, move || {
        search.where_used(&lookup, page as usize, per_page as usize)
    })
    .await?
    .ok_or_else(|| AppError::NotFound(format!("no design uses a component {key:?}")))?;
    let total = found.total;
    Ok(JsonResponse(api::WhereUsed {
        key: found.key,
        name: found.name,
        part_number: found.part_number,
        used_in: found.used_in,
        uses: found
            .uses
            .into_iter()
            .map(|u| api::ComponentUse {
                design: u.design,
                name: u.name,
                quantity: u.quantity,
                quantity_text: u.quantity_text,
                unit: u.unit,
                version: u.version,
                head: u.head,
            })
            .collect(),
        total,
        page,
        per_page,
    }))
}
