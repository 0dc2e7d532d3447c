//! 3D models for the viewer: `model` (measurements and the mesh's URL) and `mesh` (the
//! triangles to draw), both of an STL, OBJ or 3MF file at a revision.

use std::sync::Arc;

use axum::Json as JsonResponse;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt as _;

use super::browse::design_id;
use super::extract::Path;
use super::{AppError, AppResult, blocking, blocking_in};
use crate::mesh::{self, Format, Prepared};
use crate::server::AppState;
use crate::work::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/designs/{owner}/{slug}/model/{rev}/{*path}", get(model))
        .route("/designs/{owner}/{slug}/mesh/{rev}/{*path}", get(mesh_of))
}

type Params = Path<(String, String, String, String)>;

async fn model(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Params,
) -> AppResult<JsonResponse<api::Model>> {
    let (commit, blob, prepared) = prepare(&app, &owner, &slug, &rev, &path).await?;
    let stats = prepared.stats;
    Ok(JsonResponse(api::Model {
        mesh_url: format!("/api/designs/{owner}/{slug}/mesh/{commit}/{path}"),
        path,
        commit,
        blob,
        format: prepared.format.name().to_owned(),
        triangles: stats.triangles as u64,
        shown_triangles: prepared.shown as u64,
        bounds: api::Bounds {
            min: stats.min,
            max: stats.max,
            size: stats.size(),
        },
        volume_mm3: stats.volume,
    }))
}

async fn mesh_of(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Params,
) -> AppResult<Response> {
    let immutable = rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    let (_, blob, prepared) = prepare(&app, &owner, &slug, &rev, &path).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CACHE_CONTROL,
                if immutable {
                    "public, max-age=31536000, immutable".to_owned()
                } else {
                    "no-cache".to_owned()
                },
            ),
            (header::ETAG, format!("\"mesh-{blob}\"")),
        ],
        Body::from(prepared.mesh.clone()),
    )
        .into_response())
}

/// The model at `rev`/`path`: its commit, blob id and prepared mesh (from the cache, else
/// read and parsed on the blocking pool).
async fn prepare(
    app: &AppState,
    owner: &str,
    slug: &str,
    rev: &str,
    path: &str,
) -> AppResult<(String, String, Arc<Prepared>)> {
    let format = Format::of_path(path).ok_or_else(|| {
        AppError::BadRequest(format!(
            "{path:?} is not a 3D model shown here (STL, OBJ and 3MF are)"
        ))
    })?;
    let id = design_id(owner, slug)?;
    let (store, design, rev, file) = (
        app.store.clone(),
        id.clone(),
        rev.to_owned(),
        path.to_owned(),
    );
    let (commit, blob, size) = blocking(move || {
        let commit = store.resolve(&design, &rev)?;
        let (blob, size) = store.file_header(&design, &commit.to_string(), &file)?;
        Ok::<_, crate::store::Error>((commit, blob, size))
    })
    .await?;
    let key = blob.to_string();
    if let Some(prepared) = app.meshes.get(&key) {
        return Ok((commit.to_string(), key, prepared));
    }
    if size > mesh::MAX_FILE {
        return Err(AppError::PayloadTooLarge(format!(
            "{path:?} is {size} bytes; models over {} bytes are not shown (download it instead)",
            mesh::MAX_FILE
        )));
    }
    let bytes = if size <= crate::blobs::INLINE {
        let (store, design) = (app.store.clone(), id.clone());
        blocking(move || store.blob(&design, blob)).await?
    } else {
        let tail = app.blobs.get(&id, blob, size).await?;
        tail.into_stream()
            .try_fold(
                Vec::with_capacity(size as usize),
                |mut all, chunk| async move {
                    all.extend_from_slice(&chunk);
                    Ok(all)
                },
            )
            .await
            .map_err(AppError::internal)?
    };
    let prepared = Arc::new(
        blocking_in(Kind::Extract, move || Prepared::new(format, &bytes))
            .await
            .map_err(|err| match err {
                AppError::Unprocessable(code, message) => {
                    AppError::Unprocessable(code, format!("{path}: {message}"))
                }
                other => other,
            })?,
    );
    app.meshes.insert(key.clone(), prepared.clone());
    Ok((commit.to_string(), key, prepared))
}
