//! Saving Customizer parameter sets: `POST /api/designs/{owner}/{slug}/parameter-sets` writes
//! a named set of values into the OpenSCAD file's parameter-set file as one commit (labor type
//! `design`), to the caller's own design: this one when they own or maintain it (an instance
//! admin's powers do not count), else their fork of it, made first when they have none. Reading the sets is `customizer` (`models.rs`).

use axum::Json as JsonResponse;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;

use super::auth::SignedIn;
use super::browse::People;
use super::edit::{limit_new_designs, person};
use super::extract::Json;
use super::gate::DesignAccess;
use super::{AppError, AppResult, blocking, blocking_write};
use crate::accounts::{Role, Scope};
use crate::labor::trailers;
use crate::scad::{self, sets};
use crate::server::AppState;
use crate::store::{self, CommitRequest, DesignId};

pub fn router() -> Router<AppState> {
    Router::new().route("/designs/{owner}/{slug}/parameter-sets", post(save))
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![(field.to_owned(), message.into())])
}

async fn save(
    State(app): State<AppState>,
    _caller: SignedIn,
    design: DesignAccess,
    Json(body): Json<api::NewParameterSet>,
) -> AppResult<(StatusCode, JsonResponse<api::SavedParameterSet>)> {
    let account = design
        .require(&app, Role::None, Scope::DesignsWrite)
        .await?;
    if !crate::renders::is_scad(&body.path) {
        return Err(invalid(
            "path",
            format!("{:?} is not an OpenSCAD file", body.path),
        ));
    }
    let name = sets::check_name(&body.name)
        .map_err(|m| invalid("name", m))?
        .to_owned();
    let message = body
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map_or_else(
            || format!("Save parameter set \"{name}\" for {}", body.path),
            str::to_owned,
        );
    let declared = body.hours.map(|hours| trailers::Declared {
        hours,
        work_type: "design",
    });
    let message = trailers::message_with_labor(&message, declared.as_ref(), &app.labor.policy)
        .map_err(|problems| {
            AppError::Invalid(
                problems
                    .into_iter()
                    .map(|(field, message)| (field.replace("labor.", ""), message))
                    .collect(),
            )
        })?;

    let source = design.id.clone();
    // An instance admin may change any design, but their sets go to their fork like anyone's.
    let maintains = matches!(design.role(&app).await?, Role::Maintainer | Role::Owner)
        || source.owner() == account.username;
    let (target, forked) = if maintains {
        (source.clone(), false)
    } else {
        let (store, from, me) = (app.store.clone(), source.clone(), account.username.clone());
        let fork = blocking(move || {
            Ok::<_, store::Error>(store.forks(&from)?.into_iter().find(|f| f.owner() == me))
        })
        .await?;
        match fork {
            Some(fork) => (fork, false),
            None => {
                limit_new_designs(&app, &account)?;
                let to = DesignId::new(&account.username, source.slug())?;
                let (store, from, made) = (
                    app.store.acting(Some(account.id)),
                    source.clone(),
                    to.clone(),
                );
                blocking_write(&to, move || {
                    if store.exists(&made) {
                        return Err(store::Error::Exists(format!(
                            "you have a design named {made} that is not a fork of {from}; \
                             fork {from} under another name, then save the set there"
                        )));
                    }
                    store.fork(&from, &made)
                })
                .await?;
                tracing::info!(from = %source, to = %to, "fork for a parameter set");
                (to, true)
            }
        }
    };

    let author = person(&app, &account).await?;
    let (store, id, path, values) = (
        app.store.acting(Some(account.id)),
        target.clone(),
        body.path.clone(),
        body.values,
    );
    let sets_path = sets::path_for(&body.path);
    let file = sets_path.clone();
    let detail = blocking_write(&target, move || -> AppResult<_> {
        let branch = store.default_branch(&id)?;
        let head = store.resolve(&id, &branch)?;
        let at = head.to_string();
        let (_, source) = store.file(&id, &at, &path).map_err(|err| match err {
            store::Error::Missing(_) => {
                invalid("path", format!("{id} has no file {path:?} on {branch}"))
            }
            other => other.into(),
        })?;
        let parameters = scad::params::parse(&String::from_utf8_lossy(&source));
        let mut typed = std::collections::BTreeMap::new();
        let mut problems = Vec::new();
        for (name, value) in &values {
            match parameters.iter().find(|p| &p.name == name) {
                None => problems.push((
                    format!("values.{name}"),
                    format!("{path} has no parameter {name:?}"),
                )),
                Some(p) => match sets::coerce(&p.default, value) {
                    Some(v) => {
                        typed.insert(name.clone(), v);
                    }
                    None => problems.push((
                        format!("values.{name}"),
                        format!("{name} takes a value like {}", p.default.literal()),
                    )),
                },
            }
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let existing = match store.file(&id, &at, &file) {
            Ok((_, bytes)) => Some(
                String::from_utf8(bytes)
                    .map_err(|_| invalid("path", format!("{file} is not UTF-8 text")))?,
            ),
            Err(store::Error::Missing(_)) => None,
            Err(err) => return Err(err.into()),
        };
        let text = sets::with_set(existing.as_deref(), &name, &typed)
            .map_err(|problem| invalid("path", format!("{file}: {problem}")))?;
        let oid = store.commit_changes(
            &id,
            &CommitRequest {
                branch,
                expected_head: head,
                author,
                message,
                changes: vec![store::Change::Put {
                    path: file,
                    content: text.into_bytes(),
                    mode: None,
                }],
            },
        )?;
        Ok(store.commit(&id, &oid.to_string())?)
    })
    .await?;
    tracing::info!(design = %target, commit = %detail.info.id, by = %account.username, "parameter set saved");
    Ok((
        StatusCode::CREATED,
        JsonResponse(api::SavedParameterSet {
            design: target.to_string(),
            forked,
            path: sets_path,
            commit: People::default().commit(&app, &detail.info).await?,
        }),
    ))
}
