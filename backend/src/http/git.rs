//! Git over smart HTTP: `GET /{owner}/{slug}[.git]/info/refs?service=git-upload-pack|
//! git-receive-pack`, `POST .../git-upload-pack` and `POST .../git-receive-pack`, served by the
//! stock `git upload-pack` / `git receive-pack --stateless-rpc` in the design's member
//! repository (every forge shells out: no maintained Rust server side exists).
//!
//! Invariants: only the design's branches and tags are advertised (`transfer.hideRefs` hides
//! every other ref, such as proposal refs); objects are sent only when the design's own refs
//! reach them: every `want` is checked against them ([`crate::store::Store::reaches`]) before
//! git sees the request, since the member sees its siblings' objects through the pool and the
//! stock upload-pack checks unadvertised wants under protocol v0 only. A push needs HTTP Basic
//! auth with an API token (scope `designs:write`) and the maintainer role, decided by the one
//! gate; `receive-pack` writes into the pool's object directory (so it advertises no sibling
//! `.have`s and pushed objects outlive any fork) and its pre-receive hook asks the server
//! ([`crate::hooks`], [`crate::store::Store::push`]) before any ref moves. The child is killed
//! when the client goes away before its refs are decided; no dumb-HTTP paths are served.

use std::process::Stdio;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::auth::{Caller, ClientAddr};
use super::extract::{Bytes, Path, Query};
use super::gate::DesignAccess;
use super::{AppError, AppResult, blocking};
use crate::accounts::{Account, Role, Scope};
use crate::server::AppState;
use crate::store::{DesignId, PushLimits};

/// The largest upload-pack request accepted (after gzip decoding): wants and haves.
pub const MAX_REQUEST: usize = 32 << 20;

/// Every ref but branches and tags stays hidden (later entries win).
const HIDE_REFS: [&str; 6] = [
    "-c",
    "transfer.hideRefs=refs/",
    "-c",
    "transfer.hideRefs=!refs/heads/",
    "-c",
    "transfer.hideRefs=!refs/tags/",
];

/// Bounds on what git's packing may hold in memory on the server: files over 16 MiB are never
/// searched for deltas (CAD exports rarely delta well, and a delta window of 64 MiB files took
/// 1.4 GiB during a 1 GB clone with git's defaults), the delta window and cache are capped, and
/// packs are mapped in 32 MiB windows, at most 256 MiB at once.
pub const PACK_MEMORY: [&str; 12] = [
    "-c",
    "core.bigFileThreshold=16m",
    "-c",
    "pack.windowMemory=64m",
    "-c",
    "pack.deltaCacheSize=64m",
    "-c",
    "pack.threads=2",
    "-c",
    "core.packedGitWindowSize=32m",
    "-c",
    "core.packedGitLimit=256m",
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/info/refs", get(info_refs))
        .route(
            "/{owner}/{repo}/git-upload-pack",
            // Negotiation with many haves outgrows the 2 MB JSON limit.
            post(upload_pack).layer(DefaultBodyLimit::max(MAX_REQUEST)),
        )
        .route(
            "/{owner}/{repo}/git-receive-pack",
            // A push is streamed to git, whose receive.maxInputSize bounds it.
            post(receive_pack).layer(DefaultBodyLimit::disable()),
        )
}

#[derive(Debug, Deserialize)]
struct InfoRefs {
    service: Option<String>,
}

/// `slug` or `slug.git`.
fn design(owner: &str, repo: &str) -> AppResult<DesignId> {
    let slug = repo.strip_suffix(".git").unwrap_or(repo);
    Ok(DesignId::new(owner, slug)?)
}

/// The member repository of an existing design.
async fn git_dir(app: &AppState, id: DesignId) -> AppResult<std::path::PathBuf> {
    let store = app.store.clone();
    blocking(move || store.git_dir(&id)).await
}

/// `Git-Protocol` (e.g. `version=2`), passed on as `GIT_PROTOCOL` when it is well formed.
fn protocol(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("git-protocol")?.to_str().ok()?;
    (value.len() <= 256
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=:._-".contains(&b)))
    .then(|| value.to_owned())
}

fn refused(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

fn git_command(git_dir: &std::path::Path, protocol: Option<&str>) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("git");
    command
        .args(HIDE_REFS)
        .args(PACK_MEMORY)
        .args(["upload-pack", "--stateless-rpc"])
        .env_remove("GIT_PROTOCOL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .current_dir(git_dir);
    if let Some(protocol) = protocol {
        command.env("GIT_PROTOCOL", protocol);
    }
    command
}

/// What `command --advertise-refs .` prints (`service` names it in the error).
async fn advertisement(mut command: tokio::process::Command, service: &str) -> AppResult<Vec<u8>> {
    let output = command
        .args(["--advertise-refs", "."])
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(AppError::internal)?;
    if !output.status.success() {
        return Err(AppError::internal(anyhow::anyhow!(
            "git {service} --advertise-refs exited with {}",
            output.status
        )));
    }
    Ok(output.stdout)
}

fn no_cache(response: &mut Response, content_type: &'static str) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, max-age=0, must-revalidate"),
    );
}

async fn info_refs(
    State(app): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<InfoRefs>,
    headers: HeaderMap,
) -> AppResult<Response> {
    match query.service.as_deref() {
        Some("git-upload-pack") => {}
        Some("git-receive-pack") => {
            return advertise_receive_pack(&app, &owner, &repo, &headers).await;
        }
        _ => {
            return Ok(refused(
                StatusCode::FORBIDDEN,
                "only the smart HTTP protocol is served: use a git client of version 1.6.6 or later",
            ));
        }
    }
    let git_dir = git_dir(&app, design(&owner, &repo)?).await?;
    let protocol = protocol(&headers);
    let advertised =
        advertisement(git_command(&git_dir, protocol.as_deref()), "upload-pack").await?;
    // Protocol v2 starts with its capability advertisement; v0 with the service line.
    let v2 = protocol
        .as_deref()
        .is_some_and(|p| p.split(':').any(|p| p == "version=2"));
    let mut body = Vec::new();
    if !v2 {
        body.extend_from_slice(b"001e# service=git-upload-pack\n0000");
    }
    body.extend_from_slice(&advertised);
    let mut response = Body::from(body).into_response();
    no_cache(&mut response, "application/x-git-upload-pack-advertisement");
    Ok(response)
}

async fn upload_pack(
    State(app): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
    Bytes(body): Bytes,
) -> AppResult<Response> {
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/x-git-upload-pack-request")
    {
        return Ok(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type: application/x-git-upload-pack-request",
        ));
    }
    let git_dir = git_dir(&app, design(&owner, &repo)?).await?;
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let request = if gzipped {
        gunzip(body).await?
    } else {
        body.to_vec()
    };
    if request.len() > MAX_REQUEST {
        return Err(AppError::PayloadTooLarge(format!(
            "an upload-pack request may be at most {} MiB",
            MAX_REQUEST >> 20
        )));
    }
    // The stock upload-pack checks unadvertised wants under protocol v0 but not under v2, and
    // the member sees every sibling's objects through the pool: every want is checked here,
    // against the design's own refs, before git sees the request.
    let wants = wanted(&request);
    let (store, id) = (app.store.clone(), design(&owner, &repo)?);
    let foreign = blocking(move || -> Result<Option<git2::Oid>, crate::store::Error> {
        for oid in wants {
            if !store.reaches(&id, oid)? {
                return Ok(Some(oid));
            }
        }
        Ok(None)
    })
    .await?;
    if let Some(oid) = foreign {
        let mut response =
            Body::from(pkt_line(&format!("ERR upload-pack: not our ref {oid}\n"))).into_response();
        no_cache(&mut response, "application/x-git-upload-pack-result");
        return Ok(response);
    }
    let mut child = git_command(&git_dir, protocol(&headers).as_deref())
        .arg(".")
        .spawn()
        .map_err(AppError::internal)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    // Fed beside the answer: the child may write before it has read everything.
    tokio::spawn(async move {
        let _ = stdin.write_all(&request).await;
    });
    // The child lives as long as the answer's body; dropping the body (the client went away)
    // kills it.
    let stream = futures_util::stream::unfold(Some((child, stdout)), |state| async move {
        let (child, mut stdout) = state?;
        let mut chunk = vec![0u8; 64 * 1024];
        match stdout.read(&mut chunk).await {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some((
                    Ok::<_, std::io::Error>(axum::body::Bytes::from(chunk)),
                    Some((child, stdout)),
                ))
            }
            Err(err) => Some((Err(err), None)),
        }
    });
    let mut response = Body::from_stream(stream).into_response();
    no_cache(&mut response, "application/x-git-upload-pack-result");
    Ok(response)
}

/// The object ids of every `want` line of an upload-pack request (protocol v0: `want <oid>
/// <capabilities>`; v2: `want <oid>`). Lines that do not parse are left to git.
fn wanted(request: &[u8]) -> Vec<git2::Oid> {
    let mut wants = Vec::new();
    let mut rest = request;
    while rest.len() >= 4 {
        let Some(len) = std::str::from_utf8(&rest[..4])
            .ok()
            .and_then(|hex| usize::from_str_radix(hex, 16).ok())
        else {
            break;
        };
        // 0000 flush, 0001 delimiter, 0002 response end: no payload.
        if len < 4 {
            rest = &rest[4..];
            continue;
        }
        if len > rest.len() {
            break;
        }
        let line = &rest[4..len];
        if let Some(oid) = line
            .strip_prefix(b"want ")
            .and_then(|tail| std::str::from_utf8(tail).ok())
            .and_then(|tail| tail.split([' ', '\n', '\0']).next())
            .and_then(|hex| git2::Oid::from_str(hex).ok())
        {
            wants.push(oid);
        }
        rest = &rest[len..];
    }
    wants
}

/// One pkt-line: its length in four hex digits (itself included), then `payload`.
fn pkt_line(payload: &str) -> Vec<u8> {
    format!("{:04x}{payload}", payload.len() + 4).into_bytes()
}

/// How long a push may take from its hook call to git's exit before git is killed (the check
/// waits for its write turn, then git only moves refs and reports).
const PUSH_FINISH: std::time::Duration = std::time::Duration::from_secs(120);

/// 401 with the challenge that makes git ask for a username and password.
fn challenge(message: &str) -> Response {
    let mut response = refused(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Atelier\", charset=\"UTF-8\""),
    );
    response
}

/// The pusher: HTTP Basic with the account's username and an API token as the password (or
/// `Authorization: Bearer <token>`), holding `designs:write` and at least the maintainer role,
/// decided by the gate. A refusal is a response git shows.
async fn pusher(app: &AppState, id: &DesignId, headers: &HeaderMap) -> Result<Account, Response> {
    const HOW: &str = "pushing needs your username and an API token with the designs:write scope as the password (Settings → API tokens)";
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(challenge(HOW));
    };
    let (user, secret) = if let Some(basic) = value.strip_prefix("Basic ") {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        match decoded.as_deref().and_then(|d| d.split_once(':')) {
            Some((user, secret)) => (Some(user.to_owned()), secret.to_owned()),
            None => return Err(challenge("the Basic credentials are malformed")),
        }
    } else if let Some(token) = value.strip_prefix("Bearer ") {
        (None, token.trim().to_owned())
    } else {
        return Err(challenge(HOW));
    };
    let (account, scopes) = match app.accounts.token_account(&secret).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(challenge(
                "the password is not a valid API token (revoked, mistyped, or an account password): use an API token with the designs:write scope",
            ));
        }
        Err(err) => return Err(AppError::from(err).into_response()),
    };
    if let Some(user) = user
        && !user.eq_ignore_ascii_case(&account.username)
    {
        return Err(challenge(&format!(
            "this token belongs to {}, not to {user}",
            account.username
        )));
    }
    let access = DesignAccess::new(id.clone(), Caller::Token { account, scopes });
    access
        .require(app, Role::Maintainer, Scope::DesignsWrite)
        .await
        .map_err(|err| match err {
            AppError::Forbidden(message) => refused(StatusCode::FORBIDDEN, &message),
            AppError::Unauthorized(message) => challenge(&message),
            other => other.into_response(),
        })
}

/// 503 while the hook cannot run (git would skip it and let pushes through unchecked).
fn hook_broken() -> Response {
    refused(
        StatusCode::SERVICE_UNAVAILABLE,
        "pushing is switched off on this server: its git hook cannot run (the server log says why)",
    )
}

/// `git receive-pack` in the member, writing into the pool's objects: no alternates, so no
/// sibling `.have`s are advertised, and pushed objects land in the pool when accepted.
fn receive_command(
    app: &AppState,
    git_dir: &std::path::Path,
    objects: &std::path::Path,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("git");
    command
        .args(HIDE_REFS)
        .args(PACK_MEMORY)
        .arg("-c")
        .arg(format!("core.hooksPath={}", app.hooks.dir().display()))
        .args(["-c", "transfer.fsckObjects=true"])
        .args(crate::store::lenient_fsck("receive"))
        .arg("-c")
        .arg(format!("receive.maxInputSize={}", app.config.max_push))
        .args([
            // Pushed packs are kept as they came (never exploded into loose objects), so a
            // clone can send their compressed data on as it is.
            "-c",
            "receive.unpackLimit=1",
            "-c",
            "receive.advertisePushOptions=false",
            "-c",
            "receive.autogc=false",
            "-c",
            "core.alternateRefsCommand=true",
            "receive-pack",
            "--stateless-rpc",
        ])
        .env_remove("GIT_PROTOCOL")
        .env("GIT_OBJECT_DIRECTORY", objects)
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
        .env(crate::hooks::SOCKET_ENV, app.hooks.socket())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .current_dir(git_dir);
    command
}

/// The pool objects and member of a design, for git.
async fn push_dirs(
    app: &AppState,
    id: &DesignId,
) -> AppResult<(std::path::PathBuf, std::path::PathBuf)> {
    let (store, id) = (app.store.clone(), id.clone());
    blocking(move || -> Result<_, crate::store::Error> {
        Ok((store.git_dir(&id)?, store.pool_objects(&id)?))
    })
    .await
}

async fn advertise_receive_pack(
    app: &AppState,
    owner: &str,
    repo: &str,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let id = design(owner, repo)?;
    let (git_dir, objects) = push_dirs(app, &id).await?;
    if let Err(refusal) = pusher(app, &id, headers).await {
        return Ok(refusal);
    }
    if !app.hooks.runs {
        return Ok(hook_broken());
    }
    let advertised =
        advertisement(receive_command(app, &git_dir, &objects), "receive-pack").await?;
    let mut body = b"001f# service=git-receive-pack\n0000".to_vec();
    body.extend_from_slice(&advertised);
    let mut response = Body::from(body).into_response();
    no_cache(
        &mut response,
        "application/x-git-receive-pack-advertisement",
    );
    Ok(response)
}

async fn receive_pack(
    State(app): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let id = design(&owner, &repo)?;
    let (git_dir, objects) = push_dirs(&app, &id).await?;
    let account = match pusher(&app, &id, &headers).await {
        Ok(account) => account,
        Err(refusal) => return Ok(refusal),
    };
    if !app.hooks.runs {
        return Ok(hook_broken());
    }
    // A push is an upload: the same caps per account, per address and in all.
    let slot = match app.uploads.start(account.id, address) {
        Ok(slot) => slot,
        Err(full) => return Ok(refused(StatusCode::TOO_MANY_REQUESTS, &full.to_string())),
    };
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/x-git-receive-pack-request")
    {
        return Ok(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type: application/x-git-receive-pack-request",
        ));
    }
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    // git compresses only requests that fit its post buffer; larger ones come as they are.
    let (decoded, body) = if gzipped {
        let bytes = axum::body::to_bytes(body, MAX_REQUEST)
            .await
            .map_err(|_| {
                AppError::PayloadTooLarge(format!(
                    "a compressed push request may be at most {} MiB; git sends larger ones uncompressed",
                    MAX_REQUEST >> 20
                ))
            })?;
        (Some(gunzip(bytes).await?), None)
    } else {
        (None, Some(body))
    };
    let mut session = app.hooks.session();
    let mut child = receive_command(&app, &git_dir, &objects)
        .env(crate::hooks::TICKET_ENV, &session.ticket)
        .arg(".")
        .spawn()
        .map_err(AppError::internal)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    tokio::spawn(async move {
        match decoded {
            Some(request) => {
                let _ = stdin.write_all(&request).await;
            }
            None => {
                use futures_util::StreamExt as _;
                let Some(body) = body else { return };
                let mut stream = body.into_data_stream();
                while let Some(Ok(chunk)) = stream.next().await {
                    if stdin.write_all(&chunk).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    // Unbounded: git's answer to a push is small (status lines, progress), and a client that
    // stops reading must never keep git, and so the design's write lock, waiting.
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<axum::body::Bytes>>();
    let pump = tokio::spawn(async move {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut client = Some(tx);
        loop {
            match stdout.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    // A client that went away no longer reads: keep draining, so git can
                    // finish what the hook already allowed.
                    if let Some(tx) = &client
                        && tx
                            .send(Ok(axum::body::Bytes::copy_from_slice(&chunk[..n])))
                            .is_err()
                    {
                        client = None;
                    }
                }
                Err(err) => {
                    if let Some(tx) = &client {
                        let _ = tx.send(Err(err));
                    }
                    break;
                }
            }
        }
    });
    tokio::spawn(async move {
        let _slot = slot;
        let hook = tokio::select! {
            _ = child.wait() => None,
            call = &mut session.call => call.ok(),
        };
        let Some(call) = hook else {
            // No hook call: git refused the push before any ref could move, or the client
            // went away while sending (its body ended, so git's input closed and git exited).
            let _ = pump.await;
            return;
        };
        let (exited, exit_seen) = std::sync::mpsc::channel::<()>();
        let store = app.store.acting(Some(account.id));
        let limits = PushLimits {
            max_file: app.config.max_upload,
        };
        let (key, turn) = (id.clone(), id.to_string());
        let decide = tokio::spawn(async move {
            crate::work::run_write(&turn, move || {
                let reply = call.reply;
                store.push(
                    &key,
                    &call.updates,
                    call.quarantine.as_deref(),
                    limits,
                    |verdict| {
                        let _ = reply.send(verdict.clone());
                    },
                    || {
                        let _ = exit_seen.recv();
                    },
                )
            })
            .await
        });
        if tokio::time::timeout(PUSH_FINISH, child.wait())
            .await
            .is_err()
        {
            tracing::warn!(design = %id, "a push did not finish in time: git was killed");
            let _ = child.kill().await;
        }
        let _ = exited.send(());
        match decide.await {
            Ok(Ok(Ok(moves))) if !moves.is_empty() => {
                tracing::info!(design = %id, refs = moves.len(), account = %account.username, "pushed")
            }
            Ok(Ok(Ok(_))) => {}
            Ok(Ok(Err(err))) => {
                tracing::error!(design = %id, error = %err, "a push could not be checked")
            }
            Ok(Err(err)) => {
                tracing::error!(design = %id, error = %err, "a push could not be checked")
            }
            Err(err) => tracing::error!(design = %id, error = %err, "a push's check failed"),
        }
        let _ = pump.await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        Some((item, rx))
    });
    let mut response = Body::from_stream(stream).into_response();
    no_cache(&mut response, "application/x-git-receive-pack-result");
    Ok(response)
}

/// Decodes a gzip request body, at most [`MAX_REQUEST`] bytes once decoded.
async fn gunzip(body: axum::body::Bytes) -> AppResult<Vec<u8>> {
    let decoded = blocking(move || -> Result<Vec<u8>, AppError> {
        use std::io::Read as _;
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(MAX_REQUEST as u64 + 1)
            .read_to_end(&mut decoded)
            .map_err(|err| AppError::BadRequest(format!("the gzip body is damaged: {err}")))?;
        Ok(decoded)
    })
    .await?;
    if decoded.len() > MAX_REQUEST {
        return Err(AppError::PayloadTooLarge(format!(
            "a git request may be at most {} MiB once decompressed",
            MAX_REQUEST >> 20
        )));
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_are_read_from_v0_and_v2_requests() {
        let a = "1111111111111111111111111111111111111111";
        let b = "2222222222222222222222222222222222222222";
        let mut v0 = pkt_line(&format!("want {a} multi_ack_detailed side-band-64k\n"));
        v0.extend(pkt_line(&format!("want {b}\n")));
        v0.extend(b"0000");
        v0.extend(pkt_line("have 3333333333333333333333333333333333333333\n"));
        v0.extend(pkt_line("done\n"));
        let mut v2 = pkt_line("command=fetch\n");
        v2.extend(pkt_line("agent=git/2.39\n"));
        v2.extend(b"0001");
        v2.extend(pkt_line("thin-pack\n"));
        v2.extend(pkt_line(&format!("want {b}\n")));
        v2.extend(pkt_line("done\n"));
        v2.extend(b"0000");
        let oid = |hex: &str| git2::Oid::from_str(hex).unwrap();
        assert_eq!(wanted(&v0), [oid(a), oid(b)]);
        assert_eq!(wanted(&v2), [oid(b)]);
        assert!(wanted(b"00").is_empty());
        assert!(wanted(b"ffff").is_empty());
    }
}
