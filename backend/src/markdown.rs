//! The one entry point for rendering Markdown: pulldown-cmark (tables, footnotes, task lists,
//! strikethrough), relative links and images resolved against the design at one revision, then
//! sanitized with ammonia. Every HTML string Atelier serves comes from here.

use std::borrow::Cow;
use std::collections::HashSet;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// Where relative references of a Markdown file point.
#[derive(Debug, Clone)]
pub struct Links<'a> {
    /// Prefix for images: the raw file endpoint at the revision, ending in `/`.
    pub raw: &'a str,
    /// Prefix for links: the app's file view at the revision, ending in `/`.
    pub view: &'a str,
    /// Folder of the Markdown file within the design (`""` for the root).
    pub dir: &'a str,
}

/// Prefix of every `id` in rendered HTML, so user content cannot clobber the app's elements.
const ID_PREFIX: &str = "user-content-";
const ID_PREFIX_HASH: &str = "#user-content-";

pub fn render(text: &str, links: &Links<'_>) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(text, options).map(|event| match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: rewrite(dest_url, links.view, links.dir),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: rewrite(dest_url, links.raw, links.dir),
            title,
            id,
        }),
        other => other,
    });
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    sanitize(&html)
}

fn sanitize(html: &str) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_generic_attributes(["id"])
        .id_prefix(Some(ID_PREFIX))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            // In-page links (footnotes) must follow the id prefix.
            ("a", "href") if value.starts_with('#') && !value.starts_with(ID_PREFIX_HASH) => {
                Some(Cow::Owned(format!("#{ID_PREFIX}{}", &value[1..])))
            }
            _ => Some(Cow::Borrowed(value)),
        })
        .url_schemes(HashSet::from(["http", "https", "mailto"]));
    builder.clean(html).to_string()
}

/// Resolves a relative reference against `dir` and puts `prefix` before it. Absolute URLs,
/// site paths and fragments stay (fragments get the id prefix).
fn rewrite<'a>(url: CowStr<'a>, prefix: &str, dir: &str) -> CowStr<'a> {
    if let Some(fragment) = url.strip_prefix('#') {
        return format!("#{ID_PREFIX}{fragment}").into();
    }
    let has_scheme = url.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_scheme || url.starts_with('/') || url.is_empty() {
        return url;
    }
    let (path, suffix) = match url.find(['#', '?']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (&url[..], ""),
    };
    let mut segments: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let suffix = match suffix.strip_prefix('#') {
        Some(fragment) => format!("#{ID_PREFIX}{fragment}"),
        None => suffix.to_owned(),
    };
    format!("{prefix}{}{suffix}", segments.join("/")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINKS: Links<'static> = Links {
        raw: "/api/designs/ada/lamp/raw/abc/",
        view: "/ada/lamp/blob/abc/",
        dir: "docs",
    };

    #[test]
    fn relative_links_and_images_point_into_the_design() {
        let html = render(
            "![side](../images/side.svg) [frame](cad/frame.scad#L3) [site](https://example.org) [top](/explore)",
            &LINKS,
        );
        assert!(
            html.contains(
                r#"<img src="/api/designs/ada/lamp/raw/abc/images/side.svg" alt="side">"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"href="/ada/lamp/blob/abc/docs/cad/frame.scad#user-content-L3""#),
            "{html}"
        );
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
        assert!(html.contains(r#"href="/explore""#), "{html}");
    }

    #[test]
    fn tables_footnotes_and_task_lists_render() {
        let html = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1]\n\n[^1]: Note.\n\n- [x] done\n- [ ] todo\n",
            &LINKS,
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(
            html.contains(r#"<input type="checkbox" disabled="" checked="">"#)
                || html.contains(r#"<input disabled="" type="checkbox" checked="">"#),
            "{html}"
        );
        assert!(html.contains(r##"href="#user-content-1""##), "{html}");
        assert!(html.contains(r#"id="user-content-1""#), "{html}");
    }

    #[test]
    fn scripts_and_dangerous_urls_are_removed() {
        let html = render(
            "<script>alert(1)</script><img src=x onerror=alert(2)> <iframe src=//evil></iframe><input type=text value=pwned>\n\n[x](javascript:alert(3)) [y](data:text/html,hi)",
            &LINKS,
        );
        for bad in [
            "<script",
            "onerror",
            "href=\"javascript",
            "href=\"data",
            "<iframe",
            "type=\"text\"",
        ] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
    }
}
