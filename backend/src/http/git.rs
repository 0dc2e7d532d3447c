//! Git over smart HTTP, read side: `GET /{owner}/{slug}[.git]/info/refs?service=git-upload-pack`
//! and `POST .../git-upload-pack`, served by the stock `git upload-pack --stateless-rpc` in the
//! design's member repository (every forge shells out: no maintained Rust server side exists).
//!
//! Invariants: only the design's branches and tags are advertised (`transfer.hideRefs` hides
//! every other ref, such as proposal refs); objects are sent only when the design's own refs
//! reach them: every `want` is checked against them ([`crate::store::Store::reaches`]) before
//! git sees the request, since the member sees its siblings' objects through the pool and the
//! stock upload-pack checks unadvertised wants under protocol v0 only; the child is
//! killed when the client goes away; no dumb-HTTP paths are served. Pushing is not open yet.

use std::process::Stdio;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::extract::{Bytes, Path, Query};
use super::{AppError, AppResult, blocking};
use crate::server::AppState;
use crate::store::DesignId;

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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{owner}/{repo}/info/refs", get(info_refs))
        .route(
            "/{owner}/{repo}/git-upload-pack",
            // Negotiation with many haves outgrows the 2 MB JSON limit.
            post(upload_pack).layer(DefaultBodyLimit::max(MAX_REQUEST)),
        )
        .route("/{owner}/{repo}/git-receive-pack", post(receive_pack))
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
        Some("git-receive-pack") => return Ok(push_closed()),
        _ => {
            return Ok(refused(
                StatusCode::FORBIDDEN,
                "only the smart HTTP protocol is served: use a git client of version 1.6.6 or later",
            ));
        }
    }
    let git_dir = git_dir(&app, design(&owner, &repo)?).await?;
    let protocol = protocol(&headers);
    let output = git_command(&git_dir, protocol.as_deref())
        .arg("--advertise-refs")
        .arg(".")
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(AppError::internal)?;
    if !output.status.success() {
        return Err(AppError::internal(anyhow::anyhow!(
            "git upload-pack --advertise-refs exited with {}",
            output.status
        )));
    }
    // Protocol v2 starts with its capability advertisement; v0 with the service line.
    let v2 = protocol
        .as_deref()
        .is_some_and(|p| p.split(':').any(|p| p == "version=2"));
    let mut body = Vec::new();
    if !v2 {
        body.extend_from_slice(b"001e# service=git-upload-pack\n0000");
    }
    body.extend_from_slice(&output.stdout);
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
        blocking(move || -> Result<Vec<u8>, AppError> {
            use std::io::Read as _;
            let mut decoded = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .take(MAX_REQUEST as u64 + 1)
                .read_to_end(&mut decoded)
                .map_err(|err| AppError::BadRequest(format!("the gzip body is damaged: {err}")))?;
            Ok(decoded)
        })
        .await?
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

fn push_closed() -> Response {
    refused(
        StatusCode::FORBIDDEN,
        "pushing over HTTP is not open yet on this server",
    )
}

async fn receive_pack() -> Response {
    push_closed()
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
