//! Serves the built single-page app: hashed files under `/assets/` with a one-year immutable
//! cache, and `index.html` (no-cache, strict CSP) for every other path so client routes work.
//!
//! The server knows the app's routes ([`route_of`] mirrors `frontend/src/app.rs`): a path that
//! is no page, or names a design or person that does not exist, gets `index.html` with HTTP 404,
//! so crawlers and link checkers can tell. A design page's `index.html` carries its title,
//! description and Open Graph tags, so link previews show the design without running the app.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Response, StatusCode, Uri, header};
use axum::response::IntoResponse;
use tower::ServiceBuilder;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::server::AppState;
use crate::store::DesignId;

/// Files under `/assets/` carry a content hash in their name, so they never change.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The SPA loads only its own script, wasm and styles.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
/// The title every page's starts from, as `index.html` has it.
const TITLE: &str = "<title>Atelier</title>";

pub fn router(dist: &Path) -> Router<AppState> {
    let assets = ServiceBuilder::new()
        // Only successful answers are immutable: a 404 must not be cached for a year.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            |res: &Response<_>| {
                res.status()
                    .is_success()
                    .then_some(HeaderValue::from_static(IMMUTABLE))
            },
        ))
        .service(ServeDir::new(dist.join("assets")));
    let index = dist.join("index.html");
    Router::new()
        .nest_service("/assets", assets)
        .fallback(move |state: State<AppState>, uri: Uri| page(state, uri, index.clone()))
}

/// What a path is to the app.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// A page that needs nothing to exist.
    Page,
    /// A design's page.
    Design(DesignId),
    /// A person's profile (`/@name`).
    Person(String),
    /// No page.
    Unknown,
}

/// The route `path` matches, as the app's router would match it.
fn route_of(path: &str) -> Route {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] | ["search" | "signin" | "signup" | "settings" | "new" | "welcome"] => Route::Page,
        ["labor", "policy"] | ["components", _] | ["labor", "entries", _] => Route::Page,
        [user] if user.starts_with('@') => Route::Person(user[1..].to_owned()),
        [owner, slug, rest @ ..] => {
            let Ok(id) = DesignId::new(owner, slug) else {
                return Route::Unknown;
            };
            let known = matches!(
                rest,
                [] | [""]
                    | ["releases" | "network" | "contributors" | "proposals"]
                    | ["proposals", _]
                    | ["tree" | "new", _, ..]
                    | ["commits" | "commit" | "compare", _]
                    | ["blob" | "edit", _, _, ..]
            );
            if known {
                Route::Design(id)
            } else {
                Route::Unknown
            }
        }
        _ => Route::Unknown,
    }
}

async fn page(State(app): State<AppState>, uri: Uri, index: PathBuf) -> axum::response::Response {
    let Ok(html) = tokio::fs::read_to_string(&index).await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "The web app is not built here; the JSON API is at /api/.",
        )
            .into_response();
    };
    let (status, html) = match route_of(uri.path()) {
        Route::Page => (StatusCode::OK, html),
        Route::Unknown => (StatusCode::NOT_FOUND, html),
        Route::Person(name) => match app.accounts.find(&name).await {
            Ok(Some(_)) => (StatusCode::OK, html),
            _ => (StatusCode::NOT_FOUND, html),
        },
        Route::Design(id) if app.store.exists(&id) => {
            let row = app.catalog.get(&id).await.ok().flatten();
            let html = match row {
                Some(row) => with_design_tags(&html, &row, app.config.public_url.as_deref()),
                None => html,
            };
            (StatusCode::OK, html)
        }
        Route::Design(_) => (StatusCode::NOT_FOUND, html),
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ],
        html,
    )
        .into_response()
}

/// `index.html` with a design's title, description and Open Graph and Twitter card tags.
fn with_design_tags(html: &str, row: &crate::catalog::DesignRow, origin: Option<&str>) -> String {
    let title = format!("{} · {} · Atelier", row.name, row.owner);
    let description: String = row.function.chars().take(200).collect();
    let mut tags = format!(
        "<title>{title}</title>\n  \
         <meta property=\"og:type\" content=\"website\">\n  \
         <meta property=\"og:site_name\" content=\"Atelier\">\n  \
         <meta property=\"og:title\" content=\"{name}\">\n  \
         <meta property=\"og:description\" content=\"{description}\">\n  \
         <meta name=\"twitter:card\" content=\"summary\">",
        title = escape(&title),
        name = escape(&row.name),
        description = escape(&description),
    );
    if let Some(origin) = origin {
        tags.push_str(&format!(
            "\n  <meta property=\"og:url\" content=\"{}\">",
            escape(&format!("{origin}/{}", row.id))
        ));
        let image = super::designs::image_url(&row.id, &row.head, row.image.as_deref(), None);
        if let Some(image) = image {
            tags.push_str(&format!(
                "\n  <meta property=\"og:image\" content=\"{}\">",
                escape(&format!("{origin}{image}"))
            ));
        }
    }
    let html = if html.contains(TITLE) {
        html.replacen(TITLE, &tags, 1)
    } else {
        html.to_owned()
    };
    // The page's description is the design's.
    match html.find("<meta name=\"description\" content=\"") {
        Some(start) => {
            let from = start + "<meta name=\"description\" content=\"".len();
            match html[from..].find('"') {
                Some(end) => format!(
                    "{}{}{}",
                    &html[..from],
                    escape(&description),
                    &html[from + end..]
                ),
                None => html,
            }
        }
        None => html,
    }
}

/// Text made safe inside a double-quoted HTML attribute or an element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing into a `String` cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_knows_the_app_s_routes() {
        for page in [
            "/",
            "/search",
            "/signin",
            "/new",
            "/labor/policy",
            "/components/m8",
            "/welcome",
        ] {
            assert_eq!(route_of(page), Route::Page, "{page}");
        }
        assert_eq!(route_of("/@ada"), Route::Person("ada".into()));
        let anvil = Route::Design(DesignId::new("atelier", "anvil").unwrap());
        for page in [
            "/atelier/anvil",
            "/atelier/anvil/",
            "/atelier/anvil/tree/main",
            "/atelier/anvil/tree/main/cad",
            "/atelier/anvil/blob/main/cad/body.scad",
            "/atelier/anvil/edit/main/README.md",
            "/atelier/anvil/commits/main",
            "/atelier/anvil/proposals/3",
            "/atelier/anvil/releases",
        ] {
            assert_eq!(route_of(page), anvil, "{page}");
        }
        for unknown in [
            "/atelier/anvil/nope",
            "/atelier/anvil/blob/main",
            "/atelier/Anvil",
            "/a/b/c/d/e/f/g",
            "/ada",
            "/favicon.ico",
        ] {
            assert_eq!(route_of(unknown), Route::Unknown, "{unknown}");
        }
    }

    #[test]
    fn design_tags_are_escaped() {
        let row = crate::catalog::DesignRow {
            id: "ada/lamp".into(),
            owner: "ada".into(),
            slug: "lamp".into(),
            network: "n".into(),
            parent: None,
            forked_at: None,
            created_at: 0,
            default_branch: "main".into(),
            head: "a".repeat(40),
            name: "Lamp \"<b>\"".into(),
            function: "Lights & <script>".into(),
            license: None,
            version: None,
            readiness: None,
            manifest_error: None,
            updated: 0,
            forks: 0,
            image: Some("img/lamp.png".into()),
        };
        let html = with_design_tags(
            "<head><meta name=\"description\" content=\"Atelier\"><title>Atelier</title></head>",
            &row,
            Some("https://atelier.example.org"),
        );
        assert!(
            html.contains("<title>Lamp &quot;&lt;b&gt;&quot; · ada · Atelier</title>"),
            "{html}"
        );
        assert!(
            html.contains("content=\"Lights &amp; &lt;script&gt;\""),
            "{html}"
        );
        assert!(
            !html.contains("<script>") && !html.contains("<b>"),
            "{html}"
        );
        assert!(html.contains(&format!(
            "og:image\" content=\"https://atelier.example.org/api/designs/ada/lamp/raw/{}/img/lamp.png\"",
            "a".repeat(40)
        )), "{html}");
    }
}
