//! Wire types of the Atelier JSON API, shared by the backend and the frontend.
//!
//! Invariant: serde only. No I/O, no HTTP framework, no git. Internal types of the
//! backend are converted into these at the HTTP boundary, never the reverse.
//!
//! Conventions (outside clients rely on them):
//! - a design is `owner/slug` and appears as `"id": "owner/slug"`;
//! - lists are `{"<plural noun>": [...], "total": N, "page": P, "per_page": K}`;
//! - errors are `{"error": {"code": "...", "message": "..."}}`;
//! - times are RFC 3339 UTC strings; commit ids are full 40-hex strings.

use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `"ok"` when the server answers.
    pub status: String,
    /// The server's version (its crate version).
    pub version: String,
    /// Number of designs in the store.
    pub designs: u64,
}

/// One design in a list, enough to show a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignSummary {
    /// `owner/slug`.
    pub id: String,
    pub owner: String,
    pub slug: String,
    /// The manifest's `name`, or the slug when the manifest has none.
    pub name: String,
    /// The manifest's one-line `function`, empty when absent.
    pub function: String,
    /// SPDX license expression from the manifest.
    pub license: Option<String>,
    /// The manifest's `version`.
    pub version: Option<String>,
    /// Commit id of the default branch head.
    pub head: String,
    /// Time of the head commit, RFC 3339 UTC.
    pub updated: String,
    /// Set when `okh.toml` is missing or cannot be read; the design stays listed.
    pub manifest_error: Option<String>,
}

/// `GET /api/designs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesignList {
    pub designs: Vec<DesignSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Sort orders of `GET /api/designs?sort=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DesignSort {
    /// Most recently changed first.
    #[default]
    Updated,
    /// By name, A to Z.
    Name,
}

/// Default and maximum page sizes for every paged list.
pub mod paging {
    pub const DEFAULT_PER_PAGE: u32 = 30;
    pub const MAX_PER_PAGE: u32 = 100;
}

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ErrorBody,
}

/// The body of an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code: `not_found`, `bad_request`, `conflict`, `internal`, ...
    pub code: String,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code: code.into(),
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_has_the_documented_shape() {
        let json = serde_json::to_value(ApiError::new("not_found", "no such design")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {"code": "not_found", "message": "no such design"}})
        );
    }

    #[test]
    fn design_list_uses_the_plural_noun() {
        let list = DesignList {
            designs: vec![],
            total: 0,
            page: 1,
            per_page: 30,
        };
        let json = serde_json::to_value(list).unwrap();
        assert!(json.get("designs").is_some_and(|d| d.is_array()));
        assert_eq!(json["per_page"], 30);
    }

    #[test]
    fn sort_parses_lowercase() {
        let sort: DesignSort = serde_json::from_str("\"name\"").unwrap();
        assert_eq!(sort, DesignSort::Name);
    }
}
