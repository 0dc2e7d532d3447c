//! Labor over HTTP: the policy, an account's ledger, a design's shares, one entry's
//! explanation; `?format=csv` exports the account and design views.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json as JsonResponse, Router};
use serde::Deserialize;

use super::auth::SignedIn;
use super::extract::{Json, Path, Query};
use super::{AppError, AppResult, rfc3339};
use crate::labor::{self, Entry};
use crate::server::AppState;
use crate::store::DesignId;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/labor/policy", get(policy))
        .route("/labor/entries/{id}", get(entry))
        .route("/accounts/{username}/labor", get(account))
        .route("/accounts/{username}/skill", get(skill).put(set_skill))
        .route("/designs/{owner}/{slug}/labor", get(design))
}

#[derive(Debug, Deserialize)]
struct Params {
    format: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    rev: Option<String>,
}

pub(super) fn wire(e: Entry) -> api::LaborEntry {
    api::LaborEntry {
        id: e.id,
        design: e.design,
        commit: e.commit,
        committed_at: rfc3339(e.committed_at),
        contributor: e.contributor_name,
        account: e.account,
        work_type: e.work_type,
        hours: e.hours,
        estimated: e.estimated,
        weight: e.weight,
        skill: e.skill,
        multiplier: e.multiplier,
        units: e.units,
        status: e.status.to_owned(),
        policy_version: e.policy_version,
        rule: e.rule,
        warnings: e.warnings,
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv(entries: &[api::LaborEntry], filename: &str) -> Response {
    let mut out = String::from(
        "id,design,commit,committed_at,contributor,account,work_type,hours,estimated,weight,skill,multiplier,units,status,policy_version,rule,warnings\n",
    );
    for e in entries {
        let row = [
            e.id.clone(),
            e.design.clone(),
            e.commit.clone(),
            e.committed_at.clone(),
            e.contributor.clone(),
            e.account.clone().unwrap_or_default(),
            e.work_type.clone(),
            e.hours.to_string(),
            e.estimated.to_string(),
            e.weight.to_string(),
            e.skill.clone(),
            e.multiplier.to_string(),
            e.units.to_string(),
            e.status.clone(),
            e.policy_version.clone(),
            e.rule.clone(),
            e.warnings.join("; "),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        out,
    )
        .into_response()
}

/// Every entry (not paged) as a JSON file, in ledger order.
fn json_export(entries: &[api::LaborEntry], filename: &str) -> Response {
    (
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        )],
        JsonResponse(entries.to_vec()),
    )
        .into_response()
}

fn amounts(map: &BTreeMap<String, labor::Amount>) -> Vec<api::Amount> {
    map.iter()
        .map(|(key, amount)| api::Amount {
            key: key.clone(),
            units: amount.units,
            hours: amount.hours,
        })
        .collect()
}

async fn policy(State(app): State<AppState>) -> JsonResponse<api::LaborPolicy> {
    let p = &app.labor.policy;
    JsonResponse(api::LaborPolicy {
        version: p.version.clone(),
        default_hours: p.default_hours,
        max_hours_per_commit: p.max_hours_per_commit,
        default_skill: p.default_skill.clone(),
        work_types: p.work_types.clone(),
        skill_levels: p.skill_levels.clone(),
        path_rules: p
            .path_rules
            .iter()
            .map(|r| (r.pattern.clone(), r.work_type.clone()))
            .collect(),
    })
}

async fn skill(
    State(app): State<AppState>,
    Path(username): Path<String>,
) -> AppResult<JsonResponse<api::SkillLevel>> {
    if app.accounts.find(&username).await?.is_none() {
        return Err(AppError::NotFound(format!("no account named {username:?}")));
    }
    Ok(JsonResponse(api::SkillLevel {
        skill: app.accounts.skill(&username).await?,
    }))
}

/// Instance admins assess skill levels; the ledger is then recomputed.
async fn set_skill(
    State(app): State<AppState>,
    caller: SignedIn,
    Path(username): Path<String>,
    Json(body): Json<api::SkillLevel>,
) -> AppResult<JsonResponse<api::SkillLevel>> {
    let admin = caller.require_session()?;
    if !admin.is_admin {
        return Err(AppError::Forbidden(
            "only instance admins set skill levels".into(),
        ));
    }
    if let Some(skill) = &body.skill
        && !app.labor.policy.skill_levels.contains_key(skill)
    {
        let known: Vec<&str> = app
            .labor
            .policy
            .skill_levels
            .keys()
            .map(String::as_str)
            .collect();
        return Err(AppError::Invalid(vec![(
            "skill".into(),
            format!("skill level {skill:?} is not one of {}", known.join(", ")),
        )]));
    }
    app.accounts
        .set_skill(&username, body.skill.as_deref())
        .await?;
    app.labor.identities_changed();
    Ok(JsonResponse(body))
}

async fn entry(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<JsonResponse<api::LaborEntry>> {
    let found = app.labor.entry(&id).await?;
    Ok(JsonResponse(wire(found.ok_or_else(|| {
        AppError::NotFound(format!("no labor entry {id:?}"))
    })?)))
}

async fn account(
    State(app): State<AppState>,
    Path(username): Path<String>,
    Query(params): Query<Params>,
) -> AppResult<Response> {
    if app.accounts.find(&username).await?.is_none() {
        return Err(AppError::NotFound(format!("no account named {username:?}")));
    }
    let entries: Vec<Entry> = app.labor.account_entries(&username).await?;
    let report = labor::Report::of(&entries);
    let wire_entries: Vec<api::LaborEntry> = entries.into_iter().map(wire).collect();
    match params.format.as_deref() {
        Some("csv") => return Ok(csv(&wire_entries, &format!("labor-{username}.csv"))),
        Some("json") => {
            return Ok(json_export(
                &wire_entries,
                &format!("labor-{username}.json"),
            ));
        }
        _ => {}
    }
    let ids: Vec<DesignId> = report
        .by_design
        .keys()
        .filter_map(|design| DesignId::parse(design).ok())
        .collect();
    let mut forks: BTreeMap<String, u64> = ids.iter().map(|id| (id.to_string(), 0)).collect();
    for row in app.catalog.rows(&ids).await? {
        forks.insert(row.id, row.forks.max(0) as u64);
    }
    let store = app.store.clone();
    let mut utilization = super::blocking(
        move || -> Result<Vec<api::Utilization>, crate::store::Error> {
            let mut out = Vec::new();
            for (design, forks) in forks {
                let Ok(id) = DesignId::parse(&design) else {
                    continue;
                };
                if !store.exists(&id) {
                    continue;
                }
                out.push(api::Utilization {
                    downloads: 0,
                    forks,
                    releases: store.releases(&id)?.len() as u64,
                    design,
                });
            }
            Ok(out)
        },
    )
    .await?;
    let designs: Vec<String> = utilization.iter().map(|u| u.design.clone()).collect();
    let downloads = app.bundles.downloads(&designs).await?;
    for u in &mut utilization {
        u.downloads = downloads.get(&u.design).copied().unwrap_or(0);
    }
    let (page, per_page) = super::paging(params.page, params.per_page)?;
    let total = wire_entries.len() as u64;
    Ok(JsonResponse(api::AccountLabor {
        username,
        units: report.units,
        hours: report.hours,
        validated_units: report.validated_units,
        pending_units: report.pending_units,
        by_type: amounts(&report.by_type),
        by_design: amounts(&report.by_design),
        timeline: amounts(&report.by_month),
        utilization,
        entries: wire_entries
            .into_iter()
            .skip((page as usize - 1) * per_page as usize)
            .take(per_page as usize)
            .collect(),
        total,
        page,
        per_page,
    })
    .into_response())
}

async fn design(
    State(app): State<AppState>,
    Path((owner, slug)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> AppResult<Response> {
    let id = DesignId::new(&owner, &slug)?;
    let rev = match params.rev.clone() {
        Some(rev) => rev,
        None => {
            let store = app.store.clone();
            let id = id.clone();
            super::blocking(move || store.default_branch(&id)).await?
        }
    };
    let entries = app.labor.design_shares(&id, &rev).await?;
    if let Some(format) = params
        .format
        .as_deref()
        .filter(|f| *f == "csv" || *f == "json")
    {
        let wire_entries: Vec<api::LaborEntry> = entries.into_iter().map(wire).collect();
        let name = format!("labor-{owner}-{slug}.{format}");
        return Ok(if format == "csv" {
            csv(&wire_entries, &name)
        } else {
            json_export(&wire_entries, &name)
        });
    }
    let (total_units, contributors) = labor::shares(&entries);
    let total = contributors.len() as u64;
    Ok(JsonResponse(api::DesignLabor {
        design: id.to_string(),
        rev,
        units: total_units,
        contributors,
        total,
        page: 1,
        per_page: total.max(1) as u32,
    })
    .into_response())
}
