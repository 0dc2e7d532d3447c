//! Writing designs over HTTP: `POST /api/designs` (a new design), `POST .../commits` (one atomic
//! commit), `POST .../uploads` (streamed files), `POST .../forks`, `POST .../releases`.
//! Every write needs a signed-in caller with the right role (and `designs:write` for tokens).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json as JsonResponse, Router};
use git2::Oid;
use tokio::io::AsyncWriteExt as _;

use super::auth::{ClientAddr, SignedIn};
use super::browse::{People, design_id, list_commits, list_releases};
use super::extract::{Bytes, Json, Multipart, Path};
use super::gate::DesignAccess;
use super::{AppError, AppResult, blocking_in, blocking_write};
use crate::accounts::{Account, Role, Scope};
use crate::labor::trailers;
use crate::scaffold;
use crate::server::AppState;
use crate::store::{self, DesignId, NewCommit, Person};
use crate::work::Kind;

const SCOPE: Scope = Scope::DesignsWrite;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/designs", post(create_design))
        .route(
            "/designs/import",
            // Bounded while streaming, by --max-push.
            post(import_bundle).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/designs/{owner}/{slug}/commits",
            // Large text CAD files (STEP, OBJ, DXF) fit in a JSON commit; bigger files go
            // through uploads.
            get(list_commits)
                .post(commit)
                .layer(DefaultBodyLimit::max(api::MAX_COMMIT_BODY)),
        )
        .route(
            "/designs/{owner}/{slug}/uploads",
            // The per-file limit is enforced while streaming; the default 2 MB cap would refuse
            // every real CAD file first.
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/designs/{owner}/{slug}/forks", post(fork))
        .route(
            "/designs/{owner}/{slug}/releases",
            get(list_releases).post(release),
        )
}

/// The commit identity of an account: its name and its own (first) email.
pub(super) async fn person(app: &AppState, account: &Account) -> AppResult<Person> {
    let email = app
        .accounts
        .emails(account)
        .await?
        .into_iter()
        .next()
        .map(|e| e.email)
        .unwrap_or_else(|| format!("{}@users.atelier.invalid", account.username));
    Ok(Person {
        name: account.username.clone(),
        email,
        time: crate::db::now(),
    })
}

/// Counts one creation or fork by `account` (every attempt counts: each may make repositories).
pub(super) fn limit_new_designs(app: &AppState, account: &Account) -> AppResult<()> {
    use crate::accounts::DESIGNS_PER_HOUR;
    app.accounts
        .new_designs
        .attempt(&[format!("account:{}", account.id)], std::time::Instant::now())
        .map(drop)
        .map_err(|limited| {
            AppError::TooMany(
                "too_many_designs",
                format!(
                    "an account may create or fork {DESIGNS_PER_HOUR} designs an hour; try again in {} minutes",
                    limited.retry_after.as_secs().div_ceil(60).max(1)
                ),
                limited.retry_after,
            )
        })
}

async fn create_design(
    State(app): State<AppState>,
    caller: SignedIn,
    Json(body): Json<api::NewDesign>,
) -> AppResult<(StatusCode, JsonResponse<api::DesignSummary>)> {
    let account = caller.require_scope(SCOPE)?.clone();
    limit_new_designs(&app, &account)?;
    let starter = scaffold::Starter {
        slug: &body.slug,
        name: &body.name,
        function: &body.function,
        license: &body.license,
        licensor: body.licensor.as_deref(),
        version: body.version.as_deref(),
        readme: body.readme,
    };
    let files = scaffold::starter_files(&starter, &account.username).map_err(|problems| {
        AppError::Invalid(
            problems
                .into_iter()
                .map(|(field, message)| (field.to_owned(), message))
                .collect(),
        )
    })?;
    let id = DesignId::new(&account.username, &body.slug)?;
    let store = app.store.acting(Some(account.id));
    if body.empty {
        let created = id.clone();
        blocking_write(&id, move || store.create_empty(&created)).await?;
        tracing::info!(design = %id, "empty design created");
        return Ok((
            StatusCode::CREATED,
            JsonResponse(super::designs::empty_summary(&id)),
        ));
    }
    let author = person(&app, &account).await?;
    let created = id.clone();
    let record = blocking_write(&id, move || {
        store.create(
            &created,
            &[NewCommit {
                committer: author.clone(),
                author,
                message: "Start the design\n".into(),
                files,
            }],
        )?;
        store.record(&created)
    })
    .await?;
    tracing::info!(design = %id, "design created");
    Ok((
        StatusCode::CREATED,
        JsonResponse(super::designs::summary(record, app.images.signer())),
    ))
}

/// Where an imported history comes from.
enum Source {
    /// An uploaded bundle, spooled to a named file (git reads it by path).
    Bundle(tempfile::NamedTempFile),
    Url(String, store::UrlPolicy),
}

/// The longest `slug` or `url` field of an import, in bytes.
const MAX_IMPORT_FIELD: usize = 2048;

/// `POST /api/designs/import`, multipart: a `slug` field, then the `bundle` file (`git bundle
/// create x.bundle --all`) or a `url` (`https://`, of a host `--allow-import-from` names). The
/// new design is the caller's, with every branch and tag of the history, checked like a push.
/// The history is fetched and verified outside the design's write turn (a slow host holds no
/// writer up); only making it the design takes the turn.
async fn import_bundle(
    State(app): State<AppState>,
    caller: SignedIn,
    ClientAddr(address): ClientAddr,
    Multipart(mut multipart): Multipart,
) -> AppResult<(StatusCode, JsonResponse<api::Imported>)> {
    let account = caller.require_scope(SCOPE)?.clone();
    let _slot = app
        .uploads
        .start(account.id, address)
        .map_err(|full| AppError::TooMany("too_many_uploads", full.to_string(), UPLOAD_RETRY))?;
    let mut slug = None;
    let mut spooled = None;
    let mut url = None;
    while let Some(mut field) = multipart.next_field().await? {
        match field.name() {
            Some("slug") => {
                // Checked before the bundle is read: nothing is spooled for a bad or taken slug.
                let text = small_field(&mut field, "slug").await?;
                let id = DesignId::new(&account.username, text.trim())?;
                if app.store.exists(&id) {
                    return Err(store::Error::AlreadyExists(id).into());
                }
                limit_new_designs(&app, &account)?;
                slug = Some(id);
            }
            Some("bundle" | "url") if slug.is_none() => {
                return Err(AppError::BadRequest(
                    "send the `slug` field before the `bundle` file or the `url`".into(),
                ));
            }
            Some("url") => url = Some(small_field(&mut field, "url").await?.trim().to_owned()),
            Some("bundle") => {
                // Named: git reads it by path.
                let spool = tempfile::NamedTempFile::new_in(&app.config.data)
                    .map_err(AppError::internal)?;
                let file = spool.reopen().map_err(AppError::internal)?;
                spool_field(&mut field, file, app.config.max_push, "the bundle").await?;
                spooled = Some(spool);
            }
            Some(other) => {
                return Err(AppError::BadRequest(format!(
                    "unexpected multipart field {other:?}: send `slug`, then the `bundle` file or a `url`"
                )));
            }
            None => return Err(AppError::BadRequest("a multipart field has no name".into())),
        }
    }
    let id =
        slug.ok_or_else(|| AppError::Invalid(vec![("slug".into(), "the slug is missing".into())]))?;
    let source = match (spooled, url) {
        (Some(spool), None) => Source::Bundle(spool),
        (None, Some(url)) => Source::Url(url, app.config.url_policy()),
        (Some(_), Some(_)) => {
            return Err(AppError::BadRequest(
                "send either a `bundle` file or a `url`, not both".into(),
            ));
        }
        (None, None) => {
            return Err(AppError::Invalid(vec![(
                "bundle".into(),
                "the bundle file (or a `url`) is missing".into(),
            )]));
        }
    };
    let field = match source {
        Source::Bundle(_) => "bundle",
        Source::Url(..) => "url",
    };
    let store = app.store.acting(Some(account.id));
    let limits = store::PushLimits {
        max_file: app.config.max_upload,
    };
    let refused =
        |problems: Vec<String>| AppError::Invalid(vec![(field.into(), problems.join("; "))]);
    let staging = store.clone();
    let staged = blocking_in(Kind::Ingest, move || match &source {
        Source::Bundle(spool) => staging.stage_bundle(spool.path()),
        Source::Url(url, policy) => staging.stage_url(url, policy),
    })
    .await?
    .map_err(refused)?;
    let target = id.clone();
    let imported = blocking_write(&id, move || -> Result<_, store::Error> {
        match store.import_staged(&target, staged, limits)? {
            Ok(refs) => Ok(Ok((store.record(&target)?, refs))),
            Err(problems) => Ok(Err(problems)),
        }
    })
    .await?;
    let (record, refs) = imported.map_err(refused)?;
    tracing::info!(design = %id, refs = refs.len(), from = field, "history imported");
    Ok((
        StatusCode::CREATED,
        JsonResponse(api::Imported {
            design: super::designs::summary(record, app.images.signer()),
            refs: refs
                .into_iter()
                .map(|r| api::ImportedRef {
                    name: r.refname,
                    target: r.new.map(|o| o.to_string()).unwrap_or_default(),
                })
                .collect(),
        }),
    ))
}

/// A commit body over this many bytes (or of unknown length) waits for one of
/// [`LARGE_COMMITS`]' turns before it is read.
const LARGE_COMMIT: usize = 2 << 20;
/// How many large commit bodies are read and parsed at once: at most 4 × 64 MiB in memory.
static LARGE_COMMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn commit(
    State(app): State<AppState>,
    _caller: SignedIn,
    design: DesignAccess,
    request: axum::extract::Request,
) -> AppResult<(StatusCode, JsonResponse<api::CommitSummary>)> {
    let id = design.id.clone();
    // The role first: nobody else's body is read, let alone parsed.
    let account = design.require(&app, Role::Maintainer, SCOPE).await?;
    // Large bodies take a turn of their own, so many at once cannot exhaust memory.
    let large = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok())
        .is_none_or(|length| length > LARGE_COMMIT);
    // Never closed, so acquiring always gives a permit.
    let _turn = if large {
        LARGE_COMMITS.acquire().await.ok()
    } else {
        None
    };
    let body = <axum::Json<api::NewCommit> as axum::extract::FromRequest<AppState>>::from_request(
        request, &app,
    )
    .await;
    let axum::Json(body) = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!(
                "the commit body is larger than {} MiB; upload large files through \
                 POST .../uploads and put them by upload_id",
                api::MAX_COMMIT_BODY >> 20
            ))
        } else {
            rejection.into()
        }
    })?;
    let expected_head = Oid::from_str(&body.expected_head)
        .ok()
        .filter(|_| body.expected_head.len() == 40)
        .ok_or_else(|| {
            AppError::Invalid(vec![(
                "expected_head".into(),
                "expected_head must be a full 40-hex commit id".into(),
            )])
        })?;
    let declared = body.labor.as_ref().map(|labor| trailers::Declared {
        hours: labor.hours,
        work_type: &labor.kind,
    });
    let message = trailers::message_with_labor(&body.message, declared.as_ref(), &app.labor.policy)
        .map_err(|problems| {
            AppError::Invalid(
                problems
                    .into_iter()
                    .map(|(field, message)| (field.to_owned(), message))
                    .collect(),
            )
        })?;
    let mut changes = Vec::with_capacity(body.changes.len());
    let mut used = Vec::new();
    for (n, change) in body.changes.into_iter().enumerate() {
        changes.push(match change {
            api::Change::Put {
                path,
                content: Some(content),
                upload_id: None,
                mode,
            } => store::Change::Put {
                path,
                content: content.into_bytes(),
                mode: mode.map(store_mode),
            },
            api::Change::Put {
                path,
                content: None,
                upload_id: Some(upload),
                mode,
            } => {
                let staged = app.uploads.get(&upload, account.id, &id).ok_or_else(|| {
                    AppError::BadRequest(format!(
                        "change {}: upload {upload:?} is unknown, expired or not yours",
                        n + 1
                    ))
                })?;
                used.push(upload);
                store::Change::PutStaged {
                    path,
                    file: staged.file,
                    blob: staged.blob,
                    mode: mode.map(store_mode),
                }
            }
            api::Change::Put { .. } => {
                return Err(AppError::BadRequest(format!(
                    "change {}: a put needs exactly one of content or upload_id",
                    n + 1
                )));
            }
            api::Change::Delete { path } => store::Change::Delete { path },
            api::Change::Move { from, to } => store::Change::Move { from, to },
        });
    }
    let request = store::CommitRequest {
        branch: body.branch,
        expected_head,
        author: person(&app, &account).await?,
        message,
        changes,
    };
    let store = app.store.acting(Some(account.id));
    let committed = id.clone();
    let detail = blocking_write(&id, move || {
        let oid = store.commit_changes(&committed, &request)?;
        store.commit(&committed, &oid.to_string())
    })
    .await?;
    app.uploads.remove(used.iter().map(String::as_str));
    tracing::info!(design = %id, commit = %detail.info.id, by = %account.username, "commit");
    Ok((
        StatusCode::CREATED,
        JsonResponse(People::default().commit(&app, &detail.info).await?),
    ))
}

fn store_mode(mode: api::FileMode) -> store::Mode {
    match mode {
        api::FileMode::File => store::Mode::File,
        api::FileMode::Executable => store::Mode::Executable,
        api::FileMode::Symlink => store::Mode::Symlink,
    }
}

/// Takes the first file of a multipart body into the design's object pool: the bytes are read
/// on the async side (paced, see `body`) into an unnamed spool file, and hashed into the pool
/// on the ingest pool once complete, so a slow client never holds a blocking thread.
async fn upload(
    State(app): State<AppState>,
    _caller: SignedIn,
    ClientAddr(address): ClientAddr,
    design: DesignAccess,
    Multipart(mut multipart): Multipart,
) -> AppResult<(StatusCode, JsonResponse<api::Upload>)> {
    let id = design.id.clone();
    let account = design.require(&app, Role::Maintainer, SCOPE).await?;
    let _slot = app
        .uploads
        .start(account.id, address)
        .map_err(|full| AppError::TooMany("too_many_uploads", full.to_string(), UPLOAD_RETRY))?;
    let limit = app.config.max_upload;
    let mut field = multipart
        .next_field()
        .await?
        .ok_or_else(|| AppError::BadRequest("the multipart body holds no file".into()))?;
    // Staged outside every pool: the blob enters the design's pool only with a commit.
    let spool = tempfile::NamedTempFile::new_in(app.uploads.dir()).map_err(AppError::internal)?;
    let file = spool.reopen().map_err(AppError::internal)?;
    let (size, _) = spool_field(&mut field, file, limit, "the file").await?;
    let (blob, spool) = blocking_in(Kind::Ingest, move || {
        git2::Oid::hash_file(git2::ObjectType::Blob, spool.path())
            .map(|blob| (blob, spool))
            .map_err(store::Error::from)
    })
    .await?;
    let upload_id = app
        .uploads
        .insert(account.id, &id, blob, spool)
        .map_err(AppError::internal)?;
    Ok((
        StatusCode::CREATED,
        JsonResponse(api::Upload {
            upload_id,
            size,
            blob: blob.to_string(),
        }),
    ))
}

/// Writes a multipart field to `file` on the async side, refusing (413) past `limit` bytes;
/// its size and the file, flushed.
async fn spool_field(
    field: &mut axum::extract::multipart::Field<'_>,
    file: std::fs::File,
    limit: u64,
    what: &str,
) -> AppResult<(u64, std::fs::File)> {
    let mut file =
        tokio::io::BufWriter::with_capacity(SPOOL_BUFFER, tokio::fs::File::from_std(file));
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(AppError::PayloadTooLarge(format!(
                "{what} is larger than the limit of {} MiB",
                limit >> 20
            )));
        }
        file.write_all(&chunk).await.map_err(AppError::internal)?;
    }
    file.flush().await.map_err(AppError::internal)?;
    Ok((size, file.into_inner().into_std().await))
}

/// How much of an upload is buffered before it goes to the spool file (and read back at once).
const SPOOL_BUFFER: usize = 1 << 20;

/// When to retry an upload refused for the caps.
const UPLOAD_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

async fn fork(
    State(app): State<AppState>,
    caller: SignedIn,
    Path((owner, slug)): Path<(String, String)>,
    Bytes(body): Bytes,
) -> AppResult<(StatusCode, JsonResponse<api::DesignSummary>)> {
    let source = design_id(&owner, &slug)?;
    let account = caller.require_scope(SCOPE)?.clone();
    // The body is optional: none (or `{}`) forks under the same slug.
    let body: api::NewFork = if body.iter().all(u8::is_ascii_whitespace) {
        api::NewFork::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))?
    };
    limit_new_designs(&app, &account)?;
    let new_slug = body.slug.unwrap_or_else(|| source.slug().to_owned());
    let target = DesignId::new(&account.username, &new_slug)?;
    if target == source {
        return Err(AppError::Conflict(format!(
            "{source} is already yours; fork it under another slug"
        )));
    }
    let store = app.store.acting(Some(account.id));
    let (from, to) = (source.clone(), target.clone());
    let record = blocking_write(&target, move || {
        if !store.exists(&from) {
            return Err(store::Error::NotFound(from));
        }
        if store.exists(&to) {
            return Err(store::Error::Exists(format!(
                "you already have a design named {to}; choose another slug for the fork"
            )));
        }
        store.fork(&from, &to)?;
        store.record(&to)
    })
    .await?;
    tracing::info!(from = %source, to = %target, "fork");
    Ok((
        StatusCode::CREATED,
        JsonResponse(super::designs::summary(record, app.images.signer())),
    ))
}

async fn release(
    State(app): State<AppState>,
    _caller: SignedIn,
    design: DesignAccess,
    Json(body): Json<api::NewRelease>,
) -> AppResult<(StatusCode, JsonResponse<api::Release>)> {
    let id = design.id.clone();
    let account = design.require(&app, Role::Maintainer, SCOPE).await?;
    let tagger = person(&app, &account).await?;
    let target = body.target.clone();
    let store = app.store.acting(Some(account.id));
    let (tag, notes) = (body.tag.clone(), body.notes.clone());
    let release = blocking_write(&design.id, move || {
        let target = match target {
            Some(target) => target,
            None => store.default_branch(&id)?,
        };
        store.create_release(&id, &tag, &target, &tagger, &notes)?;
        store
            .releases(&id)?
            .into_iter()
            .find(|r| r.tag == tag)
            .ok_or_else(|| store::Error::Missing(format!("release {tag} vanished")))
    })
    .await?;
    let mut people = People::default();
    let bundles = super::bundles::release_links(&app.bundles, &design.id, &release);
    let notes_html = super::browse::release_notes_html(&design.id, &release, app.images.signer());
    Ok((
        StatusCode::CREATED,
        JsonResponse(api::Release {
            notes_html,
            bundles,
            tagger: match &release.tagger {
                Some(t) => Some(people.person(&app, t).await?),
                None => None,
            },
            tag: release.tag,
            commit: release.commit.to_string(),
            notes: release.notes,
        }),
    ))
}

/// A short text field of a multipart form, read in chunks up to [`MAX_IMPORT_FIELD`] bytes.
async fn small_field(
    field: &mut axum::extract::multipart::Field<'_>,
    name: &str,
) -> AppResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > MAX_IMPORT_FIELD {
            return Err(AppError::Invalid(vec![(
                name.into(),
                format!("`{name}` is longer than {MAX_IMPORT_FIELD} bytes"),
            )]));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::Invalid(vec![(name.into(), format!("`{name}` is not UTF-8 text"))]))
}
