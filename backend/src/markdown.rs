//! The one entry point for rendering Markdown the way GitHub renders a README: pulldown-cmark
//! (tables, footnotes, task lists, strikethrough, alerts), heading anchors, bare URLs made
//! links (`linkify`), then sanitized with ammonia, whose attribute filter resolves every
//! relative or `/`-rooted reference (Markdown's and raw HTML's alike) against the design at one
//! revision and sends external images through the signed image proxy. Every HTML string
//! Atelier serves comes from here.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pulldown_cmark::{
    BlockQuoteKind, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream,
};

use crate::images::Signer;

/// Where relative references of a Markdown file point.
#[derive(Debug, Clone)]
pub struct Links<'a> {
    /// Prefix for images: the raw file endpoint at the revision, ending in `/`.
    pub raw: &'a str,
    /// Prefix for links: the app's file view at the revision, ending in `/`.
    pub view: &'a str,
    /// Folder of the Markdown file within the design (`""` for the root).
    pub dir: &'a str,
    /// Signs external image URLs for the image proxy; `None` when outbound fetches are off,
    /// and then an external image shows as its alt text, linked to the image.
    pub images: Option<&'a Signer>,
}

/// Prefix of every `id` in rendered HTML, so user content cannot clobber the app's elements.
const ID_PREFIX: &str = "user-content-";
const ID_PREFIX_HASH: &str = "#user-content-";

pub fn render(text: &str, links: &Links<'_>) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_GFM;
    let events: Vec<Event<'_>> = TextMergeStream::new(Parser::new_ext(text, options)).collect();
    let events = anchor_headings(events);
    let events = GithubEvents::new(links.images.is_some()).run(events);
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html, Rewriter::new(links))
}

/// The text a reader sees in rendered Markdown, without its syntax: for search and its
/// snippets. Blocks end in a new line; raw HTML keeps its text, not its tags.
pub fn plain_text(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_GFM;
    for event in Parser::new_ext(text, options) {
        match event {
            Event::Text(t) | Event::Code(t) => plain.push_str(&t),
            Event::Html(html) | Event::InlineHtml(html) => {
                let text = ammonia::Builder::empty().clean(&html).to_string();
                plain.push_str(&unescape(&text));
            }
            Event::SoftBreak | Event::End(TagEnd::TableCell) => plain.push(' '),
            Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => plain.push('\n'),
            _ => {}
        }
    }
    plain
}

/// The five entities the sanitizer writes, back to their characters.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Gives each heading without an id GitHub's anchor: its text lower-cased, spaces as `-`,
/// punctuation other than `-` and `_` dropped, repeats numbered `-1`, `-2`, … (the sanitizer
/// then puts [`ID_PREFIX`] before it, as GitHub does, and rewrites `#…` links to match).
fn anchor_headings(mut events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { id: None, .. }) = &events[i] {
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = slug(&text);
            let count = seen.entry(base.clone()).or_insert(0);
            let anchor = match *count {
                0 => base,
                n => format!("{base}-{n}"),
            };
            *count += 1;
            if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                *id = Some(anchor.into());
            }
            i = j;
        }
        i += 1;
    }
    events
}

/// GitHub's heading slug (as its `github-slugger` makes it).
pub fn slug(text: &str) -> String {
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The event rewrites GitHub does before HTML: alerts become callouts, bare URLs outside
/// links and code become links, and (with the image proxy off) external images become links.
struct GithubEvents {
    proxied: bool,
    links: usize,
    code: usize,
    images: usize,
    /// For each open image: whether it was turned into a link (or dropped, inside a link).
    open_images: Vec<Option<bool>>,
}

impl GithubEvents {
    fn new(proxied: bool) -> Self {
        Self {
            proxied,
            links: 0,
            code: 0,
            images: 0,
            open_images: Vec::new(),
        }
    }

    fn run<'a>(mut self, events: Vec<Event<'a>>) -> Vec<Event<'a>> {
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            match event {
                Event::Start(Tag::BlockQuote(Some(kind))) => {
                    let (class, title) = alert(kind);
                    out.push(Event::Html(
                        format!(
                            "<div class=\"markdown-alert markdown-alert-{class}\">\
                             <p class=\"markdown-alert-title\">{title}</p>\n"
                        )
                        .into(),
                    ));
                }
                Event::End(TagEnd::BlockQuote(Some(_))) => out.push(Event::Html("</div>\n".into())),
                Event::Start(Tag::Link { .. }) => {
                    self.links += 1;
                    out.push(event);
                }
                Event::End(TagEnd::Link) => {
                    self.links = self.links.saturating_sub(1);
                    out.push(event);
                }
                Event::InlineHtml(ref html) => {
                    let tag = html.trim_start_matches('<').to_ascii_lowercase();
                    // `<a …>` and `</a>`, not `<abbr>` or `</aside>`.
                    let name = |t: &str| {
                        t.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                            .next()
                            .unwrap_or_default()
                            == "a"
                    };
                    if name(&tag) {
                        self.links += 1;
                    } else if tag.strip_prefix('/').is_some_and(name) {
                        self.links = self.links.saturating_sub(1);
                    }
                    out.push(event);
                }
                Event::Start(Tag::CodeBlock(_)) => {
                    self.code += 1;
                    out.push(event);
                }
                // A task's box is a picture of its state with a name screen readers say: no
                // form control (raw HTML `<input>` is dropped by the sanitizer).
                Event::TaskListMarker(done) => out.push(Event::Html(
                    if done {
                        "<span class=\"task-marker task-done\" role=\"img\" aria-label=\"done\"></span> "
                    } else {
                        "<span class=\"task-marker task-todo\" role=\"img\" aria-label=\"to do\"></span> "
                    }
                    .into(),
                )),
                Event::End(TagEnd::CodeBlock) => {
                    self.code = self.code.saturating_sub(1);
                    out.push(event);
                }
                Event::Start(Tag::Image {
                    dest_url, title, ..
                }) if !self.proxied && is_external(&dest_url) => {
                    self.images += 1;
                    if self.links > 0 {
                        self.open_images.push(None);
                    } else {
                        self.open_images.push(Some(true));
                        self.links += 1;
                        out.push(Event::Start(Tag::Link {
                            link_type: LinkType::Inline,
                            dest_url,
                            title,
                            id: CowStr::Borrowed(""),
                        }));
                    }
                }
                Event::Start(Tag::Image { .. }) => {
                    self.images += 1;
                    self.open_images.push(Some(false));
                    out.push(event);
                }
                Event::End(TagEnd::Image) => {
                    self.images = self.images.saturating_sub(1);
                    match self.open_images.pop().flatten() {
                        Some(true) => {
                            self.links = self.links.saturating_sub(1);
                            out.push(Event::End(TagEnd::Link));
                        }
                        Some(false) => out.push(event),
                        None => {}
                    }
                }
                Event::Text(text) if self.links == 0 && self.code == 0 && self.images == 0 => {
                    linkify(text, &mut out);
                }
                other => out.push(other),
            }
        }
        out
    }
}

fn alert(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

/// Splits `text` into text and links at the URLs (with a scheme, or starting `www.`) and
/// e-mail addresses it holds, as GitHub's autolinking does.
fn linkify<'a>(text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
    let mut finder = linkify::LinkFinder::new();
    finder.url_must_have_scheme(false);
    let mut rest = 0;
    let owned = text.to_string();
    let mut pieces = Vec::new();
    for link in finder.links(&owned) {
        let found = link.as_str();
        let href = match link.kind() {
            linkify::LinkKind::Email => format!("mailto:{found}"),
            linkify::LinkKind::Url
                if found.starts_with("http://") || found.starts_with("https://") =>
            {
                found.to_owned()
            }
            linkify::LinkKind::Url if found.to_ascii_lowercase().starts_with("www.") => {
                format!("http://{found}")
            }
            _ => continue,
        };
        pieces.push((link.start(), link.end(), href));
    }
    if pieces.is_empty() {
        out.push(Event::Text(text));
        return;
    }
    for (start, end, href) in pieces {
        if start > rest {
            out.push(Event::Text(owned[rest..start].to_owned().into()));
        }
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: href.into(),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        out.push(Event::Text(owned[start..end].to_owned().into()));
        out.push(Event::End(TagEnd::Link));
        rest = end;
    }
    if rest < owned.len() {
        out.push(Event::Text(owned[rest..].to_owned().into()));
    }
}

/// Whether a reference leaves the design: it has a scheme, or is protocol-relative (`//host`).
fn is_external(url: &str) -> bool {
    url.starts_with("//")
        || url.split_once(':').is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// What the sanitizer's attribute filter needs, owned (ammonia keeps the filter `'static`).
#[derive(Clone)]
struct Rewriter {
    raw: String,
    view: String,
    dir: String,
    images: Option<Signer>,
}

impl Rewriter {
    fn new(links: &Links<'_>) -> Self {
        Self {
            raw: links.raw.to_owned(),
            view: links.view.to_owned(),
            dir: links.dir.to_owned(),
            images: links.images.cloned(),
        }
    }

    /// A link's target: fragments get the id prefix, paths point into the design's file view.
    fn link<'u>(&self, url: &'u str) -> Cow<'u, str> {
        if let Some(fragment) = url.strip_prefix('#') {
            return if url.starts_with(ID_PREFIX_HASH) {
                Cow::Borrowed(url)
            } else {
                Cow::Owned(format!("#{ID_PREFIX}{fragment}"))
            };
        }
        if is_external(url) || url.is_empty() {
            return Cow::Borrowed(url);
        }
        Cow::Owned(resolve(url, &self.view, &self.dir))
    }

    /// An image's source: paths point at the raw file, external http(s) images go through the
    /// proxy (or are dropped when it is off); anything else is dropped.
    fn image(&self, url: &str) -> Option<String> {
        let url = url.trim();
        if url.starts_with("//") {
            return self.image(&format!("https:{url}"));
        }
        if is_external(url) {
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return None;
            }
            return self.images.as_ref().map(|signer| signer.url(url));
        }
        if url.is_empty() || url.starts_with('#') {
            return None;
        }
        Some(resolve(url, &self.raw, &self.dir))
    }

    /// A `srcset`: each candidate's URL as [`Self::image`] makes it, its descriptor kept.
    fn srcset(&self, value: &str) -> Option<String> {
        let candidates: Vec<String> = value
            .split(',')
            .filter_map(|candidate| {
                let candidate = candidate.trim();
                let (url, descriptor) = candidate
                    .split_once(char::is_whitespace)
                    .unwrap_or((candidate, ""));
                let url = self.image(url)?;
                Some(match descriptor.trim() {
                    "" => url,
                    d => format!("{url} {d}"),
                })
            })
            .collect();
        (!candidates.is_empty()).then(|| candidates.join(", "))
    }
}

fn sanitize(html: &str, rewriter: Rewriter) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["picture", "source"])
        .add_tag_attributes("span", ["role", "aria-label"])
        .add_allowed_classes("span", ["task-marker", "task-done", "task-todo"])
        // Code blocks and tables scroll inside their box on narrow screens: keyboard users
        // reach them (WCAG 2.1.1). A fixed value, whatever the source wrote.
        .set_tag_attribute_value("pre", "tabindex", "0")
        .set_tag_attribute_value("table", "tabindex", "0")
        .add_tag_attributes("source", ["srcset", "media", "type", "width", "height"])
        .add_tag_attributes("img", ["srcset"])
        .add_tag_attributes("a", ["name"])
        .add_tag_attributes("p", ["align"])
        .add_tag_attributes("div", ["align"])
        .add_tag_attributes("h1", ["align"])
        .add_tag_attributes("h2", ["align"])
        .add_tag_attributes("h3", ["align"])
        .add_tag_attributes("h4", ["align"])
        .add_tag_attributes("h5", ["align"])
        .add_tag_attributes("h6", ["align"])
        .add_allowed_classes(
            "div",
            [
                "markdown-alert",
                "markdown-alert-note",
                "markdown-alert-tip",
                "markdown-alert-important",
                "markdown-alert-warning",
                "markdown-alert-caution",
            ],
        )
        .add_allowed_classes("p", ["markdown-alert-title"])
        .add_generic_attributes(["id"])
        .id_prefix(Some(ID_PREFIX))
        .attribute_filter(
            move |element, attribute, value| match (element, attribute) {
                ("span", "role") if value != "img" => None,
                ("a", "href") => Some(rewriter.link(value)),
                ("a", "name") if !value.starts_with(ID_PREFIX) => {
                    Some(Cow::Owned(format!("{ID_PREFIX}{value}")))
                }
                ("img", "src") => rewriter.image(value).map(Cow::Owned),
                ("img" | "source", "srcset") => rewriter.srcset(value).map(Cow::Owned),
                (
                    "p" | "div" | "img" | "td" | "th" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6",
                    "align",
                ) => matches!(
                    value.to_ascii_lowercase().as_str(),
                    "left" | "right" | "center" | "justify" | "top" | "middle" | "bottom"
                )
                .then_some(Cow::Borrowed(value)),
                _ => Some(Cow::Borrowed(value)),
            },
        )
        .url_schemes(HashSet::from(["http", "https", "mailto"]));
    builder.clean(html).to_string()
}

/// Resolves a relative reference against `dir` (a `/`-rooted one against the design's root,
/// as GitHub does) and puts `prefix` before it; its query and fragment stay (the fragment with
/// the id prefix).
fn resolve(url: &str, prefix: &str, dir: &str) -> String {
    let (path, suffix) = match url.find(['#', '?']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let mut segments: Vec<&str> = if path.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|s| !s.is_empty()).collect()
    };
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
        Some(fragment) if !fragment.starts_with(ID_PREFIX) => format!("#{ID_PREFIX}{fragment}"),
        _ => suffix.to_owned(),
    };
    format!("{prefix}{}{suffix}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINKS: Links<'static> = Links {
        raw: "/api/designs/ada/lamp/raw/abc/",
        view: "/ada/lamp/blob/abc/",
        dir: "docs",
        images: None,
    };

    fn proxied(text: &str) -> String {
        let signer = crate::images::Signer::for_tests();
        render(
            text,
            &Links {
                images: Some(&signer),
                ..LINKS
            },
        )
    }

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
        // A leading `/` is the design's root, as on GitHub.
        assert!(
            html.contains(r#"href="/ada/lamp/blob/abc/explore""#),
            "{html}"
        );
    }

    #[test]
    fn raw_html_paths_point_into_the_design_too() {
        let html = render(
            concat!(
                "<p align=\"center\"><img src=\"photos/top.jpg\" width=\"300\" align=\"right\"></p>\n\n",
                "<a href=\"../LICENSE\">license</a> <a href=\"/docs/build.md#step-2\">build</a>\n\n",
                "<picture><source srcset=\"dark.png 2x, /img/light.png 1x\" media=\"(prefers-color-scheme: dark)\">",
                "<img src=\"/img/logo.png\" alt=\"logo\"></picture>\n\n",
                "<p align=\"evil\">x</p>\n\n<div align=\"center\">centred</div>\n"
            ),
            &LINKS,
        );
        for expected in [
            r#"<p align="center">"#,
            r#"src="/api/designs/ada/lamp/raw/abc/docs/photos/top.jpg""#,
            r#"align="right""#,
            r#"width="300""#,
            r#"href="/ada/lamp/blob/abc/LICENSE""#,
            r#"href="/ada/lamp/blob/abc/docs/build.md#user-content-step-2""#,
            r#"srcset="/api/designs/ada/lamp/raw/abc/docs/dark.png 2x, /api/designs/ada/lamp/raw/abc/img/light.png 1x""#,
            r#"media="(prefers-color-scheme: dark)""#,
            r#"src="/api/designs/ada/lamp/raw/abc/img/logo.png""#,
            r#"<div align="center">"#,
        ] {
            assert!(html.contains(expected), "{expected} missing: {html}");
        }
        assert!(!html.contains("evil"), "{html}");
    }

    #[test]
    fn headings_get_github_anchors_that_links_reach() {
        let html = render(
            "# Cargo Trailer\n\n## Bill of Materials (BOM)\n\n## Step 1: cut the `frame`!\n\n## Step 1: cut the `frame`!\n\nSee [the BOM](#bill-of-materials-bom).\n",
            &LINKS,
        );
        for expected in [
            r#"<h1 id="user-content-cargo-trailer">"#,
            r#"<h2 id="user-content-bill-of-materials-bom">"#,
            r#"<h2 id="user-content-step-1-cut-the-frame">"#,
            r#"<h2 id="user-content-step-1-cut-the-frame-1">"#,
            r##"href="#user-content-bill-of-materials-bom""##,
        ] {
            assert!(html.contains(expected), "{expected} missing: {html}");
        }
        assert_eq!(slug("Größe & Gewicht"), "größe--gewicht");
        let named = render("<a name=\"wiring\"></a>\n\n[go](#wiring)", &LINKS);
        assert!(named.contains(r#"name="user-content-wiring""#), "{named}");
    }

    #[test]
    fn bare_urls_and_emails_become_links_outside_code_and_links() {
        let html = render(
            "Docs at https://example.org/docs, mirror www.example.net and mail ada@example.org.\n\n`https://in.code` and [https://already.linked](https://x.org)\n\n```\nhttps://in.block\n```\n\nokh.toml stays text.\n\n<a href=\"https://x.org\">go <abbr>OKH</abbr> https://in.anchor</a>\n",
            &LINKS,
        );
        for expected in [
            r#"<a href="https://example.org/docs" rel="noopener noreferrer">https://example.org/docs</a>,"#,
            r#"<a href="http://www.example.net" rel="noopener noreferrer">www.example.net</a>"#,
            r#"<a href="mailto:ada@example.org" rel="noopener noreferrer">ada@example.org</a>."#,
        ] {
            assert!(html.contains(expected), "{expected} missing: {html}");
        }
        for untouched in [
            "in.code",
            "already.linked",
            "in.block",
            "okh.toml",
            "in.anchor",
        ] {
            assert!(
                !html.contains(&format!("href=\"https://{untouched}")),
                "{html}"
            );
            assert!(!html.contains(&format!(">{untouched}</a>")), "{html}");
        }
    }

    #[test]
    fn github_alerts_render_as_callouts() {
        let html = render(
            "> [!WARNING]\n> Mind the **blade**.\n\n> [!NOTE]\n> Plain.\n\n> Just a quote.\n",
            &LINKS,
        );
        assert!(
            html.contains(r#"<div class="markdown-alert markdown-alert-warning"><p class="markdown-alert-title">Warning</p>"#),
            "{html}"
        );
        assert!(html.contains("<strong>blade</strong>"), "{html}");
        assert!(html.contains("markdown-alert-note"), "{html}");
        assert!(
            html.contains("<blockquote>\n<p>Just a quote.</p>"),
            "{html}"
        );
        // Classes are an allow-list: an author's own cannot style the page.
        let own = render(r#"<div class="markdown-alert app-header">x</div>"#, &LINKS);
        assert!(!own.contains("app-header"), "{own}");
    }

    #[test]
    fn external_images_go_through_the_signed_proxy_or_become_links() {
        let text = "![build](https://ci.example.org/badge.svg) [![license](https://img.example.org/l.svg)](https://example.org/l)\n\n<img src=\"http://photos.example.org/a.jpg\" alt=\"photo\"> <img src=\"javascript:alert(1)\">\n";
        let html = proxied(text);
        let signer = crate::images::Signer::for_tests();
        for url in [
            "https://ci.example.org/badge.svg",
            "https://img.example.org/l.svg",
            "http://photos.example.org/a.jpg",
        ] {
            let expected = format!(r#"src="{}""#, signer.url(url));
            assert!(html.contains(&expected), "{expected} missing: {html}");
        }
        assert!(!html.contains("javascript"), "{html}");
        // Outbound fetches off: the alt text, linked to the image (inside a link: the text).
        let html = render(text, &LINKS);
        assert!(!html.contains("<img src=\"https://"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://ci.example.org/badge.svg" rel="noopener noreferrer">build</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<a href="https://example.org/l" rel="noopener noreferrer">license</a>"#
            ),
            "{html}"
        );
        assert!(!html.contains("photos.example.org/a.jpg\""), "{html}");
    }

    #[test]
    fn plain_text_has_no_markdown_syntax() {
        let plain = plain_text(
            "# Cargo *trailer*\n\nA **strong** [frame](cad/frame.scad) of `M8x40` bolts.\n\n\
             <p align=\"center\"><b>Made in Lisbon</b> &amp; Porto</p>\n\n| Part | Qty |\n|---|---|\n| Wheel | 2 |\n",
        );
        assert_eq!(
            plain,
            "Cargo trailer\nA strong frame of M8x40 bolts.\nMade in Lisbon & Porto\nPart Qty \nWheel 2 \n"
        );
    }

    #[test]
    fn tables_footnotes_and_task_lists_render() {
        let html = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\nText[^1]\n\n[^1]: Note.\n\n- [x] done\n- [ ] todo\n",
            &LINKS,
        );
        assert!(html.contains(r#"<table tabindex="0">"#), "{html}");
        let code = render(
            "```\nlong line\n```\n\n<pre tabindex=\"-1\">raw</pre>\n",
            &LINKS,
        );
        assert_eq!(code.matches(r#"<pre tabindex="0">"#).count(), 2, "{code}");
        assert!(
            html.contains(
                r#"<span class="task-marker task-done" role="img" aria-label="done"></span> done"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-label="to do"></span> todo"#),
            "{html}"
        );
        // A form control written as raw HTML is not kept, of any type.
        for input in [
            "<input>",
            "<input type=\"text\" value=\"x\">",
            "<input type=\"checkbox\">",
        ] {
            let html = render(&format!("Name: {input}"), &LINKS);
            assert!(!html.contains("<input"), "{html}");
        }
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
