//! Text formats shared by the HTTP layer and the domain modules: RFC 3339 times and
//! percent-encoding. Knows nothing about HTTP.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Percent-encodes `text` for a URL path segment or query value: unreserved characters
/// (RFC 3986) and the bytes in `keep` stay as they are.
pub fn percent_encode(text: &str, keep: &[u8]) -> String {
    use std::fmt::Write as _;
    text.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2024-03-01T10:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        // Git times outside time's range (years beyond ±9999) only come from forged commits.
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
