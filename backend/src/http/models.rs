//! Models and drawings for the file pages: `model` (measurements and the mesh's URL) and
//! `mesh` (the triangles to draw), both of an STL, OBJ or 3MF file at a revision, or of an
//! OpenSCAD file rendered with `?params=`; `customizer` (an OpenSCAD file's parameters) and
//! `stl` (a render to download); `picture` (a design's main model as a PNG); `drawing` (a DXF
//! file as SVG); `model-diff` and `mesh-diff` (a model's two versions sorted into same, added
//! and removed triangles, for the overlaid view).

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::Digest as _;

use axum::Json as JsonResponse;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt as _;

use super::browse::design_id;
use super::extract::{Path, Query};
use super::{AppError, AppResult, blocking, blocking_in};
use crate::mesh::{self, Format, Prepared};
use crate::renders;
use crate::scad;
use crate::server::AppState;
use crate::work::Kind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/designs/{owner}/{slug}/model/{rev}/{*path}", get(model))
        .route("/designs/{owner}/{slug}/mesh/{rev}/{*path}", get(mesh_of))
        .route(
            "/designs/{owner}/{slug}/customizer/{rev}/{*path}",
            get(customizer),
        )
        .route("/designs/{owner}/{slug}/stl/{rev}/{*path}", get(stl_of))
        .route(
            "/designs/{owner}/{slug}/model-diff/{spec}/{*path}",
            get(model_diff),
        )
        .route(
            "/designs/{owner}/{slug}/mesh-diff/{spec}/{part}/{*path}",
            get(mesh_diff),
        )
        .route("/designs/{owner}/{slug}/picture/{rev}", get(picture))
        .route(
            "/designs/{owner}/{slug}/drawing/{rev}/{*path}",
            get(drawing),
        )
}

type Params = Path<(String, String, String, String)>;

#[derive(Debug, serde::Deserialize)]
struct RenderQuery {
    /// An OpenSCAD file's parameter values: a JSON object of name → value.
    params: Option<String>,
}

use crate::renders::is_scad;

/// `?params=` as values: numbers, strings, booleans and lists of numbers.
fn values_of(query: &RenderQuery) -> AppResult<BTreeMap<String, scad::Value>> {
    let Some(text) = query.params.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(BTreeMap::new());
    };
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text)
        .map_err(|err| AppError::BadRequest(format!("params: not a JSON object ({err})")))?;
    object
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                serde_json::Value::Bool(b) => scad::Value::Bool(b),
                serde_json::Value::Number(n) => scad::Value::Number(n.as_f64().unwrap_or_default()),
                serde_json::Value::String(s) => scad::Value::Text(s),
                serde_json::Value::Array(items) => scad::Value::Vector(
                    items
                        .iter()
                        .map(serde_json::Value::as_f64)
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            AppError::BadRequest(format!(
                                "params: {name} must be a list of numbers"
                            ))
                        })?,
                ),
                _ => {
                    return Err(AppError::BadRequest(format!(
                        "params: {name} must be a number, string, boolean or list of numbers"
                    )));
                }
            };
            Ok((name, value))
        })
        .collect()
}

fn json_of(value: &scad::Value) -> serde_json::Value {
    match value {
        scad::Value::Bool(b) => (*b).into(),
        scad::Value::Number(n) => (*n).into(),
        scad::Value::Text(t) => t.clone().into(),
        scad::Value::Vector(v) => v.clone().into(),
    }
}

async fn model(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Params,
    Query(query): Query<RenderQuery>,
) -> AppResult<JsonResponse<api::Model>> {
    let (commit, blob, prepared) = prepare(&app, &owner, &slug, &rev, &path, &query).await?;
    let stats = prepared.stats;
    let params = match query.params.as_deref().filter(|p| !p.is_empty()) {
        Some(params) => format!(
            "?params={}",
            url::form_urlencoded::byte_serialize(params.as_bytes()).collect::<String>()
        ),
        None => String::new(),
    };
    Ok(JsonResponse(api::Model {
        mesh_url: format!("/api/designs/{owner}/{slug}/mesh/{commit}/{path}{params}"),
        format: if is_scad(&path) {
            "scad".to_owned()
        } else if crate::convert::is_cad_exchange(&path) {
            path.rsplit('.')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase()
        } else {
            prepared.format.name().to_owned()
        },
        path,
        commit,
        blob,
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
    Query(query): Query<RenderQuery>,
) -> AppResult<Response> {
    let caching = super::caching_for(&rev);
    let (_, blob, prepared) = prepare(&app, &owner, &slug, &rev, &path, &query).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CACHE_CONTROL, caching.to_owned()),
            (header::ETAG, format!("\"mesh-{blob}\"")),
        ],
        Body::from(prepared.mesh.clone()),
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
struct DiffQuery {
    /// The file's path at the base, when it was renamed (else `path`).
    base_path: Option<String>,
    /// An OpenSCAD file's parameter values, used on both sides.
    params: Option<String>,
}

/// A model's two versions sorted by [`mesh::diff::compare`]: the commits either side, the
/// path at the base and the sorted triangles (cached by both sides' blob ids or render keys).
struct Sorted {
    base: String,
    head: String,
    base_path: String,
    keys: String,
    drawn: Arc<mesh::diff::Drawn>,
}

/// `base...head` as its two revisions (400 naming the spec otherwise).
fn split_spec(spec: &str) -> AppResult<(&str, &str)> {
    spec.split_once("...")
        .filter(|(base, head)| !base.is_empty() && !head.is_empty())
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "{spec:?} is not two revisions written as base...head"
            ))
        })
}

async fn sorted(
    app: &AppState,
    (owner, slug, spec, path): (&str, &str, &str, &str),
    query: &DiffQuery,
) -> AppResult<Sorted> {
    let (base, head) = split_spec(spec)?;
    let base_path = match query.base_path.as_deref() {
        Some(p) if !p.is_empty() => p.to_owned(),
        _ => path.to_owned(),
    };
    let render = RenderQuery {
        params: query.params.clone(),
    };
    let (base, base_key, before) = prepare(app, owner, slug, base, &base_path, &render).await?;
    let (head, head_key, after) = prepare(app, owner, slug, head, path, &render).await?;
    let keys = format!("{base_key}-{head_key}");
    let drawn = match app.model_diffs.get(&keys) {
        Some(drawn) => drawn,
        None => {
            let simplified = [&before, &after]
                .iter()
                .any(|side| side.shown < side.stats.triangles);
            let drawn = Arc::new(
                blocking_in(Kind::Extract, move || {
                    let changes = mesh::diff::compare(
                        &mesh::from_wire(&before.mesh),
                        &mesh::from_wire(&after.mesh),
                    );
                    Ok::<_, AppError>(mesh::diff::Drawn::new(&changes, simplified))
                })
                .await?,
            );
            app.model_diffs.insert(keys.clone(), drawn.clone());
            drawn
        }
    };
    Ok(Sorted {
        base,
        head,
        base_path,
        keys,
        drawn,
    })
}

/// `GET …/model-diff/{base}...{head}/{path}`: how many triangles stayed, came and went, and
/// where to fetch each class.
async fn model_diff(
    State(app): State<AppState>,
    Path((owner, slug, spec, path)): Params,
    Query(query): Query<DiffQuery>,
) -> AppResult<JsonResponse<api::ModelDiff>> {
    let sorted = sorted(&app, (&owner, &slug, &spec, &path), &query).await?;
    let mut extra = url::form_urlencoded::Serializer::new(String::new());
    if sorted.base_path != path {
        extra.append_pair("base_path", &sorted.base_path);
    }
    if let Some(params) = query.params.as_deref().filter(|p| !p.is_empty()) {
        extra.append_pair("params", params);
    }
    let extra = match extra.finish() {
        q if q.is_empty() => q,
        q => format!("?{q}"),
    };
    let url = |part: &str| {
        format!(
            "/api/designs/{owner}/{slug}/mesh-diff/{}...{}/{part}/{path}{extra}",
            sorted.base, sorted.head
        )
    };
    let [same, added, removed] = sorted.drawn.counts();
    Ok(JsonResponse(api::ModelDiff {
        same_url: url("same"),
        added_url: url("added"),
        removed_url: url("removed"),
        base: sorted.base,
        head: sorted.head,
        base_path: sorted.base_path,
        path,
        same_triangles: same,
        added_triangles: added,
        removed_triangles: removed,
        tolerance_mm: sorted.drawn.tolerance,
        simplified: sorted.drawn.simplified,
    }))
}

/// `GET …/mesh-diff/{base}...{head}/{part}/{path}`: one class's triangles (`same`, `added` or
/// `removed`) in the form of `mesh`.
async fn mesh_diff(
    State(app): State<AppState>,
    Path((owner, slug, spec, part, path)): Path<(String, String, String, String, String)>,
    Query(query): Query<DiffQuery>,
) -> AppResult<Response> {
    if !matches!(part.as_str(), "same" | "added" | "removed") {
        return Err(AppError::BadRequest(format!(
            "{part:?} is not a part of a model diff (same, added or removed)"
        )));
    }
    let (base, head) = split_spec(&spec)?;
    let caching = match (super::caching_for(base), super::caching_for(head)) {
        (a, b) if a == b => a,
        _ => super::caching_for(""),
    };
    let sorted = sorted(&app, (&owner, &slug, &spec, &path), &query).await?;
    let bytes = match part.as_str() {
        "same" => sorted.drawn.same.clone(),
        "added" => sorted.drawn.added.clone(),
        _ => sorted.drawn.removed.clone(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CACHE_CONTROL, caching.to_owned()),
            (header::ETAG, format!("\"diff-{}-{part}\"", sorted.keys)),
        ],
        Body::from(bytes),
    )
        .into_response())
}

/// The file at `rev`/`path` of `owner/slug`: the design, the commit `rev` names, the file's
/// blob id and size (404 for a missing design, revision or file).
async fn locate(
    app: &AppState,
    owner: &str,
    slug: &str,
    rev: &str,
    path: &str,
) -> AppResult<(crate::store::DesignId, git2::Oid, git2::Oid, u64)> {
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
    Ok((id, commit, blob, size))
}

/// The model at `rev`/`path`: its commit, blob id and prepared mesh (from the cache, else
/// read and parsed on the blocking pool).
async fn prepare(
    app: &AppState,
    owner: &str,
    slug: &str,
    rev: &str,
    path: &str,
    query: &RenderQuery,
) -> AppResult<(String, String, Arc<Prepared>)> {
    if is_scad(path) {
        return rendered(app, owner, slug, rev, path, values_of(query)?).await;
    }
    // STEP and IGES are meshed by gmsh (`None`); the formats we parse ourselves name theirs.
    let format = if crate::convert::is_cad_exchange(path) {
        None
    } else {
        Some(Format::of_path(path).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{path:?} is not a 3D model shown here (STL, OBJ, 3MF, OpenSCAD, STEP and IGES files are)"
            ))
        })?)
    };
    let (id, commit, blob, size) = locate(app, owner, slug, rev, path).await?;
    let key = match format {
        Some(_) => blob.to_string(),
        None => format!("gmsh-{blob}"),
    };
    if let Some(prepared) = app.meshes.get(&key) {
        return Ok((commit.to_string(), key, prepared));
    }
    if size > mesh::MAX_FILE {
        return Err(AppError::PayloadTooLarge(format!(
            "{path:?} is {size} bytes; models over {} bytes are not shown (download it instead)",
            mesh::MAX_FILE
        )));
    }
    let bytes = read_whole(app, &id, blob, size).await?;
    let file = path.to_owned();
    let prepared = Arc::new(
        blocking_in(Kind::Extract, move || match format {
            Some(format) => Prepared::new(format, &bytes)
                .map_err(|err| AppError::Unprocessable("bad_model", format!("{file}: {err}"))),
            None => meshed_by_gmsh(&file, &bytes),
        })
        .await?,
    );
    app.meshes.insert(key.clone(), prepared.clone());
    Ok((commit.to_string(), key, prepared))
}

/// A STEP or IGES file meshed by gmsh ([`crate::convert`]); 422 `no_converter` when gmsh is
/// not installed, `bad_model` naming the file when it cannot be read. Blocking.
fn meshed_by_gmsh(file: &str, bytes: &[u8]) -> AppResult<Prepared> {
    if crate::convert::gmsh().is_none() {
        return Err(AppError::Unprocessable(
            "no_converter",
            format!(
                "{file}: STEP and IGES files are shown when the instance has gmsh installed, \
                 and this one has not; download the file to open it in a CAD program"
            ),
        ));
    }
    let stl =
        crate::convert::to_stl(file, bytes, &scad::Limits::SERVER).map_err(|err| match err {
            scad::Error::Failed(message) => AppError::Unprocessable("bad_model", message),
            other => other.into(),
        })?;
    Ok(Prepared::new(Format::Stl, &stl)?)
}

/// A file's bytes, small ones from the store, large ones through the blob cache.
async fn read_whole(
    app: &AppState,
    id: &crate::store::DesignId,
    blob: git2::Oid,
    size: u64,
) -> AppResult<Vec<u8>> {
    if size <= crate::blobs::INLINE {
        let (store, design) = (app.store.clone(), id.clone());
        return blocking(move || store.blob(&design, blob)).await;
    }
    let tail = app.blobs.get(id, blob, size).await?;
    tail.into_stream()
        .try_fold(
            Vec::with_capacity(size as usize),
            |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            },
        )
        .await
        .map_err(AppError::internal)
}

/// An OpenSCAD file rendered with `values` at `rev`: the commit, a key naming the render (in
/// place of a blob id) and the prepared mesh. Cached by the blob ids of the file and of every
/// file it uses ([`scad::uses`]) and by the values, so a commit that changes none of them
/// renders nothing again; by commit when the file imports a path built at run time.
async fn rendered(
    app: &AppState,
    owner: &str,
    slug: &str,
    rev: &str,
    path: &str,
    values: BTreeMap<String, scad::Value>,
) -> AppResult<(String, String, Arc<Prepared>)> {
    let (id, commit, blob, _) = locate(app, owner, slug, rev, path).await?;
    let key = render_key(app, &id, commit, blob, path, &values).await?;
    if let Some(prepared) = app.meshes.get(&key) {
        return Ok((commit.to_string(), key, prepared));
    }
    let (store, file) = (app.store.clone(), path.to_owned());
    let stl = blocking_in(Kind::Extract, move || {
        renders::render(&store, &id, commit, &file, &values, &scad::Limits::SERVER)
    })
    .await?;
    let prepared =
        Arc::new(blocking_in(Kind::Extract, move || Prepared::new(Format::Stl, &stl)).await?);
    app.meshes.insert(key.clone(), prepared.clone());
    Ok((commit.to_string(), key, prepared))
}

/// The name of `path`'s render with `values` at `commit` (`blob` being the file's): a hash of
/// the blob ids of the file and of every file it uses, and of the values.
async fn render_key(
    app: &AppState,
    id: &crate::store::DesignId,
    commit: git2::Oid,
    blob: git2::Oid,
    path: &str,
    values: &BTreeMap<String, scad::Value>,
) -> AppResult<String> {
    let (store, design, file) = (app.store.clone(), id.clone(), path.to_owned());
    let inputs = blocking(move || {
        let at = commit.to_string();
        let read = |p: &str| {
            let (_, bytes) = store.file(&design, &at, p).ok()?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        };
        let uses = scad::uses(&file, read);
        let mut inputs = format!("{file}={blob}\0");
        if uses.dynamic {
            inputs.push_str(&format!("commit={commit}\0"));
        }
        for used in &uses.files {
            let blob = match store.file_header(&design, &at, used) {
                Ok((blob, _)) => blob.to_string(),
                Err(_) => "none".to_owned(),
            };
            inputs.push_str(&format!("{used}={blob}\0"));
        }
        Ok::<_, AppError>(inputs)
    })
    .await?;
    let mut hasher = sha2::Sha256::new();
    hasher.update(inputs);
    for (name, value) in values {
        hasher.update(format!("{name}={};", value.literal()));
    }
    Ok(format!("scad-{}", hex(&hasher.finalize()[..16])))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn customizer(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Params,
) -> AppResult<JsonResponse<api::Customizer>> {
    if !is_scad(&path) {
        return Err(AppError::BadRequest(format!(
            "{path:?} is not an OpenSCAD file"
        )));
    }
    let id = design_id(&owner, &slug)?;
    let (store, file) = (app.store.clone(), path.clone());
    let sets_path = scad::sets::path_for(&path);
    let set_file = sets_path.clone();
    let (commit, source, sets) = blocking(move || {
        let commit = store.resolve(&id, &rev)?;
        let (_, bytes) = store.file(&id, &commit.to_string(), &file)?;
        let sets = match store.file(&id, &commit.to_string(), &set_file) {
            Ok((_, bytes)) => Some(bytes),
            Err(crate::store::Error::Missing(_)) => None,
            Err(err) => return Err(err),
        };
        Ok::<_, crate::store::Error>((commit, String::from_utf8_lossy(&bytes).into_owned(), sets))
    })
    .await?;
    let declared = scad::params::parse(&source);
    let (parameter_sets, sets_problem) =
        match sets.map(|b| scad::sets::parse(&String::from_utf8_lossy(&b))) {
            None => (Vec::new(), None),
            Some(Err(problem)) => (Vec::new(), Some(format!("{sets_path}: {problem}"))),
            Some(Ok(sets)) => (
                sets.into_iter()
                    .map(|(name, raw)| api::ParameterSet {
                        name,
                        values: scad::sets::typed(&declared, &raw)
                            .iter()
                            .map(|(k, v)| (k.clone(), json_of(v)))
                            .collect(),
                    })
                    .collect(),
                None,
            ),
        };
    let parameters = declared
        .into_iter()
        .map(|p| {
            let (widget, min, max, step, choices) = match p.widget {
                scad::params::Widget::Plain => ("plain", None, None, None, Vec::new()),
                scad::params::Widget::Slider { min, max, step } => {
                    ("slider", Some(min), Some(max), step, Vec::new())
                }
                scad::params::Widget::Choices { choices } => (
                    "choices",
                    None,
                    None,
                    None,
                    choices
                        .iter()
                        .map(|c| api::ScadChoice {
                            value: json_of(&c.value),
                            label: c.label.clone(),
                        })
                        .collect(),
                ),
            };
            api::ScadParameter {
                name: p.name,
                default: json_of(&p.default),
                description: p.description,
                group: p.group,
                widget: widget.to_owned(),
                min,
                max,
                step,
                choices,
                line: p.line as u64,
            }
        })
        .collect();
    Ok(JsonResponse(api::Customizer {
        path,
        commit: commit.to_string(),
        parameters,
        openscad: blocking(|| Ok::<_, AppError>(scad::version())).await?,
        sets_path,
        parameter_sets,
        sets_problem,
    }))
}

/// `GET …/stl/{rev}/{path}?params=`: an OpenSCAD file rendered with those values, as a binary
/// STL to download (`model/stl`), named after the file.
async fn stl_of(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Params,
    Query(query): Query<RenderQuery>,
) -> AppResult<Response> {
    if !is_scad(&path) {
        return Err(AppError::BadRequest(format!(
            "{path:?} is not an OpenSCAD file; download the file itself through raw"
        )));
    }
    let values = values_of(&query)?;
    let (commit, _, prepared) = rendered(&app, &owner, &slug, &rev, &path, values.clone()).await?;
    let title = format!("Atelier {owner}/{slug} {path} at {commit}");
    let stl = if prepared.shown == prepared.stats.triangles {
        let corners = prepared.mesh.clone();
        blocking(move || Ok::<_, AppError>(mesh::binary_stl(&corners, &title))).await?
    } else {
        // Simplified for display: render again for every triangle.
        let (store, id, file) = (app.store.clone(), design_id(&owner, &slug)?, path.clone());
        let commit = git2::Oid::from_str(&commit).map_err(AppError::internal)?;
        blocking_in(Kind::Extract, move || {
            renders::render(&store, &id, commit, &file, &values, &scad::Limits::SERVER)
        })
        .await?
    };
    let stem = path
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .map_or("model", |(stem, _)| stem);
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "model/stl".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.stl\""),
            ),
        ],
        Body::from(stl),
    )
        .into_response())
}

/// The placeholder picture (a pale block), drawn once.
static PLACEHOLDER: std::sync::LazyLock<bytes::Bytes> = std::sync::LazyLock::new(|| {
    bytes::Bytes::from(mesh::picture::placeholder(
        mesh::picture::WIDTH,
        mesh::picture::HEIGHT,
    ))
});

/// `GET …/picture/{rev}`: the design's main model at `rev` drawn as a PNG for cards and Open
/// Graph, or a neutral placeholder when it has none (or it cannot be drawn). Cached per commit.
async fn picture(
    State(app): State<AppState>,
    Path((owner, slug, rev)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let id = design_id(&owner, &slug)?;
    let (store, design, wanted) = (app.store.clone(), id.clone(), rev.clone());
    let commit = blocking(move || store.resolve(&design, &wanted)).await?;
    let key = commit.to_string();
    // A revision that is not the commit itself may move: only a commit's picture is forever.
    let immutable = rev == key;
    let (png, settled) = match app.pictures.get(&key) {
        Some(png) => (png, true),
        None => {
            let (store, design) = (app.store.clone(), id.clone());
            let main = blocking(move || renders::main_model(&store, &design, commit)).await?;
            let drawn = match &main {
                Some(path) => {
                    let query = RenderQuery { params: None };
                    match prepare(&app, &owner, &slug, &key, path, &query).await {
                        Ok((_, _, prepared)) => Some(
                            blocking_in(Kind::Extract, move || {
                                Ok::<_, AppError>(mesh::picture::draw(
                                    &prepared.mesh,
                                    &prepared.stats,
                                    mesh::picture::WIDTH,
                                    mesh::picture::HEIGHT,
                                    &mesh::picture::MODEL,
                                ))
                            })
                            .await?,
                        ),
                        Err(err) => {
                            tracing::debug!(design = %id, %path, ?err, "no picture of the model");
                            None
                        }
                    }
                }
                None => None,
            };
            // A design without a model keeps the placeholder at this commit; a model that
            // could not be drawn (no OpenSCAD, a failed render) is tried again later.
            let settled = drawn.is_some() || main.is_none();
            let png = Arc::new(drawn.map_or_else(|| PLACEHOLDER.clone(), bytes::Bytes::from));
            if settled {
                app.pictures.insert(key, png.clone());
            }
            (png, settled)
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (
                header::CACHE_CONTROL,
                if immutable && settled {
                    "public, max-age=31536000, immutable"
                } else {
                    "public, max-age=300"
                },
            ),
        ],
        Body::from(png.as_ref().clone()),
    )
        .into_response())
}

/// The largest DXF file drawn (bytes).
const MAX_DRAWING: u64 = 64 << 20;

/// `GET …/drawing/{rev}/{path}`: a DXF file (drawn here), a KiCad file (by kicad-cli) or a 2D
/// OpenSCAD file (by OpenSCAD) as SVG, served with a CSP that allows nothing else. Cached by
/// blob, or by render key for OpenSCAD.
async fn drawing(
    State(app): State<AppState>,
    Path((owner, slug, rev, path)): Params,
    Query(query): Query<RenderQuery>,
) -> AppResult<Response> {
    if is_scad(&path) {
        let svg = scad_drawing(&app, &owner, &slug, &rev, &path, values_of(&query)?).await?;
        return Ok(svg_answer(svg, &rev));
    }
    let (kind, draw): (&str, Draw) = if crate::convert::is_kicad(&path) {
        ("kicad", drawn_by_kicad)
    } else if path
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("dxf"))
    {
        ("dxf", |file, bytes| {
            crate::drawing::to_svg(bytes)
                .map(|drawn| drawn.svg.into())
                .map_err(|err| AppError::Unprocessable("bad_drawing", format!("{file}: {err}")))
        })
    } else {
        return Err(AppError::BadRequest(format!(
            "{path:?} is not a DXF, OpenSCAD or KiCad file"
        )));
    };
    let (id, _, blob, size) = locate(&app, &owner, &slug, &rev, &path).await?;
    let key = format!("{kind}-{blob}");
    let svg = match app.pictures.get(&key) {
        Some(svg) => svg,
        None => {
            if size > MAX_DRAWING {
                return Err(AppError::PayloadTooLarge(format!(
                    "{path:?} is {size} bytes; drawings over {MAX_DRAWING} bytes are not drawn (download it instead)"
                )));
            }
            let bytes = read_whole(&app, &id, blob, size).await?;
            let file = path.clone();
            let svg = blocking_in(Kind::Extract, move || draw(&file, &bytes)).await?;
            let svg = Arc::new(bytes::Bytes::from(svg));
            app.pictures.insert(key, svg.clone());
            svg
        }
    };
    Ok(svg_answer(svg, &rev))
}

/// A 2D OpenSCAD file rendered with `values` as OpenSCAD's own SVG, cached (with the
/// pictures) by [`render_key`].
async fn scad_drawing(
    app: &AppState,
    owner: &str,
    slug: &str,
    rev: &str,
    path: &str,
    values: BTreeMap<String, scad::Value>,
) -> AppResult<Arc<bytes::Bytes>> {
    let (id, commit, blob, _) = locate(app, owner, slug, rev, path).await?;
    let key = format!(
        "svg-{}",
        render_key(app, &id, commit, blob, path, &values).await?
    );
    if let Some(svg) = app.pictures.get(&key) {
        return Ok(svg);
    }
    let (store, file) = (app.store.clone(), path.to_owned());
    let svg = blocking_in(Kind::Extract, move || {
        let limits = scad::Limits::SERVER;
        renders::render_as(
            &store,
            &id,
            commit,
            &file,
            &values,
            &limits,
            scad::Export::Svg,
        )
    })
    .await?;
    let svg = Arc::new(bytes::Bytes::from(svg));
    app.pictures.insert(key, svg.clone());
    Ok(svg)
}

/// How a file (named, for messages) becomes an SVG. Blocking.
type Draw = fn(&str, &[u8]) -> AppResult<Vec<u8>>;

/// A KiCad board or schematic drawn by `kicad-cli` ([`crate::convert`]); 422 `no_converter`
/// when kicad-cli is not installed, `bad_drawing` naming the file when KiCad cannot read it.
/// Blocking.
fn drawn_by_kicad(file: &str, bytes: &[u8]) -> AppResult<Vec<u8>> {
    if crate::convert::kicad_cli().is_none() {
        return Err(AppError::Unprocessable(
            "no_converter",
            format!(
                "{file}: KiCad files are drawn when the instance has kicad-cli (KiCad 7 or later) \
                 installed, and this one has not"
            ),
        ));
    }
    crate::convert::kicad_svg(file, bytes, &scad::Limits::SERVER).map_err(|err| match err {
        scad::Error::Failed(message) => AppError::Unprocessable("bad_drawing", message),
        other => other.into(),
    })
}

/// An SVG we drew (or OpenSCAD did), served so that nothing in it can run or load.
fn svg_answer(svg: Arc<bytes::Bytes>, rev: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, super::caching_for(rev)),
        ],
        Body::from(svg.as_ref().clone()),
    )
        .into_response()
}
