//! `GET /api/designs/{owner}/{slug}/bundle/{rev}.zip|.tar.gz[?path=dir/]` and the same with
//! `.sha256` appended: a design (or one folder of it) at one version as one archive.
//!
//! Branch, tag and short-id URLs redirect to the commit-addressed URL (a tag is kept as
//! `?tag=`), whose answer never changes: it is served with a strong `ETag` and
//! `Cache-Control: public, max-age=31536000, immutable`. A cached bundle also carries
//! `Content-Length`, its sha256 (`X-Atelier-Sha256`, `Repr-Digest`) and supports `Range`; the
//! first request for a bundle gets it streamed while it is built.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use tower::ServiceExt as _;

use super::extract::{Path, Query};
use super::{AppError, AppResult, blocking};
use crate::bundle::{BundleKey, Cached, Delivery, Format};
use crate::server::AppState;
use crate::store::{self, DesignId};

pub fn router() -> Router<AppState> {
    Router::new().route("/designs/{owner}/{slug}/bundle/{*file}", get(bundle))
}

#[derive(Debug, Deserialize)]
struct Params {
    /// A folder of the design.
    path: Option<String>,
    /// The release the commit was asked for by.
    tag: Option<String>,
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The URL of a bundle, for links (`rev` as given: the server redirects to the commit).
pub fn url(id: &DesignId, rev: &str, format: Format) -> String {
    format!("/api/designs/{id}/bundle/{rev}.{}", format.extension())
}

/// The bundle links of a release, with their sha256 once built.
pub fn release_links(
    bundles: &crate::bundle::Bundles,
    id: &DesignId,
    release: &store::Release,
) -> Vec<api::BundleLink> {
    Format::ALL
        .into_iter()
        .map(|format| {
            let cached = bundles.cached(&BundleKey {
                design: id.clone(),
                commit: release.commit,
                format,
                path: String::new(),
                tag: Some(release.tag.clone()),
            });
            api::BundleLink {
                format: format.extension().to_owned(),
                url: url(id, &super::percent_encode(&release.tag, b""), format),
                sha256: cached.as_ref().map(|c| c.sha256.clone()),
                size: cached.map(|c| c.size),
            }
        })
        .collect()
}

async fn bundle(
    State(app): State<AppState>,
    Path((owner, slug, file)): Path<(String, String, String)>,
    Query(params): Query<Params>,
    request: Request,
) -> AppResult<Response> {
    let id = DesignId::new(&owner, &slug)?;
    let (file, checksum_only) = match file.strip_suffix(".sha256") {
        Some(file) => (file, true),
        None => (file.as_str(), false),
    };
    let Some((rev, format)) = Format::split(file) else {
        return Err(AppError::NotFound(format!(
            "no bundle {file:?}: ask for {{rev}}.zip or {{rev}}.tar.gz"
        )));
    };
    let path = params
        .path
        .as_deref()
        .unwrap_or_default()
        .trim_matches('/')
        .to_owned();
    if !path.is_empty() {
        store::paths::validate(&path)
            .map_err(|err| AppError::BadRequest(format!("path: {err}")))?;
    }
    if let Some(tag) = &params.tag
        && (tag.len() > 255 || tag.chars().any(char::is_control))
    {
        return Err(AppError::BadRequest(
            "tag: at most 255 characters, no control characters".into(),
        ));
    }
    if rev.is_empty() {
        return Err(AppError::BadRequest(
            "name a branch, release or commit before the extension".into(),
        ));
    }

    // Anything but a full commit id (with a tag that really points at it) redirects.
    let store = app.store.clone();
    let (design, asked) = (id.clone(), rev.to_owned());
    let (commit, is_tag) = blocking(move || store.resolve_naming_tag(&design, &asked)).await?;
    if rev != commit.to_string() {
        let tag = if is_tag {
            Some(rev)
        } else {
            params.tag.as_deref()
        };
        let mut query = form_urlencoded(&[
            ("path", Some(path.as_str()).filter(|p| !p.is_empty())),
            ("tag", tag),
        ]);
        if !query.is_empty() {
            query.insert(0, '?');
        }
        let suffix = if checksum_only { ".sha256" } else { "" };
        let location = format!("{}{suffix}{query}", url(&id, &commit.to_string(), format));
        return Ok(Redirect::temporary(&location).into_response());
    }
    let key = BundleKey {
        design: id,
        commit,
        format,
        path,
        tag: params.tag.filter(|t| !t.is_empty()),
    };

    if checksum_only {
        let cached = app.bundles.ensure(&key).await?;
        let mut response = format!("{}  {}\n", cached.sha256, cached.name).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        immutable(response.headers_mut(), None);
        return Ok(response);
    }

    // Counted: every full GET answer; not HEAD, ranges or 304s.
    let is_get = request.method() == Method::GET;
    let response = match app.bundles.get(&key).await? {
        Delivery::Cached(cached) => serve_cached(&cached, &key, request).await?,
        Delivery::Streaming { tail, name } => {
            // Ends in an error if the build fails, so the client sees a failed download, never
            // a short archive.
            let stream = tail.into_stream();
            let mut response = Body::from_stream(stream).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(key.format.content_type()),
            );
            attachment(headers, &name);
            immutable(headers, None);
            response
        }
    };
    if is_get
        && response.status() == StatusCode::OK
        && let Err(err) = app.bundles.count_download(&key).await
    {
        tracing::warn!(error = %err, "bundle download not counted");
    }
    Ok(response)
}

/// Serves a finished bundle from the cache (with `Range` and `Content-Length`). It is named by
/// its sha256: `If-None-Match` (weak comparison) and `If-Range` are checked against that.
async fn serve_cached(
    cached: &Cached,
    key: &BundleKey,
    mut request: Request,
) -> AppResult<Response> {
    let etag = cached_etag(cached);
    let matches = |value: &HeaderValue| {
        value.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
        })
    };
    if request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(matches)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        immutable(response.headers_mut(), Some(cached));
        return Ok(response);
    }
    let stale_range = request
        .headers()
        .get(header::IF_RANGE)
        .is_some_and(|v| v.to_str().map(str::trim).ok() != Some(etag.as_str()));
    if stale_range {
        request.headers_mut().remove(header::RANGE);
    }
    let response = tower_http::services::ServeFile::new(&cached.file)
        .oneshot(request)
        .await
        .map_err(AppError::internal)?;
    let mut response = response.map(Body::new);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(key.format.content_type()),
    );
    // The modification time says nothing here: the entity tag names the bytes.
    headers.remove(header::LAST_MODIFIED);
    attachment(headers, &cached.name);
    immutable(headers, Some(cached));
    if let Ok(value) = HeaderValue::from_str(&cached.sha256) {
        headers.insert("x-atelier-sha256", value);
    }
    if let Some(value) = hex_to_base64(&cached.sha256)
        .and_then(|b64| HeaderValue::from_str(&format!("sha-256=:{b64}:")).ok())
    {
        headers.insert("repr-digest", value);
    }
    Ok(response)
}

/// A cached bundle's entity tag: its sha256.
fn cached_etag(cached: &Cached) -> String {
    format!("\"sha256-{}\"", cached.sha256)
}

/// Commit-addressed answers never change; a cached one carries its entity tag. (A streamed
/// first answer has none: its digest is known only at its end.)
fn immutable(headers: &mut HeaderMap, cached: Option<&Cached>) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    if let Some(etag) = cached.and_then(|c| HeaderValue::from_str(&cached_etag(c)).ok()) {
        headers.insert(header::ETAG, etag);
    }
}

fn attachment(headers: &mut HeaderMap, name: &str) {
    if let Ok(value) = HeaderValue::from_str(&super::content_disposition("attachment", name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
}

/// `a=1&b=2` from the pairs that have a value, percent-encoded.
fn form_urlencoded(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, value)| {
            value.map(|v| format!("{name}={}", super::percent_encode(v, b"/")))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Standard base64 of the bytes a hex string spells (for `Repr-Digest`).
fn hex_to_base64(hex: &str) -> Option<String> {
    use base64::Engine as _;
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    Some(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_standard_base64() {
        assert_eq!(hex_to_base64("666f6f").as_deref(), Some("Zm9v"));
        assert_eq!(hex_to_base64("66").as_deref(), Some("Zg=="));
        assert_eq!(hex_to_base64("6g"), None);
        assert_eq!(hex_to_base64("666"), None);
    }
}
