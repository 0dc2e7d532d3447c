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

mod accounts;
mod bundles;
mod designs;
mod events;
mod history;
mod labor;
mod models;
mod proposals;
mod search;
pub mod tsdc;

pub use accounts::*;
pub use bundles::*;
pub use designs::*;
pub use events::*;
pub use history::*;
pub use labor::*;
pub use models::*;
pub use proposals::*;
pub use search::*;

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
    /// Stable machine-readable code: `bad_request`, `invalid`, `unauthorized`, `forbidden`,
    /// `csrf`, `not_found`, `conflict`, `rate_limited`, `internal`.
    pub code: String,
    /// Human-readable explanation, safe to show to the user.
    pub message: String,
    /// For `invalid`: what is wrong with each named field of the request body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One field's problem in an `invalid` error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code: code.into(),
                message: message.into(),
                fields: Vec::new(),
            },
        }
    }

    /// The message for `field`, if the error names it.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.error
            .fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }
}

/// The header the single-page app sends with every state-changing request (CSRF guard).
pub const CSRF_HEADER: &str = "x-atelier-csrf";

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
