//! Search: design hits with facets and snippets, component hits, where-used.

use serde::{Deserialize, Serialize};

/// Facet counts of `GET /api/search` (license, category, material, readiness) and
/// `GET /api/components` (manufacturer, material, category).
pub type FacetCounts = std::collections::BTreeMap<String, Vec<FacetValue>>;

/// One value of a facet and how many results have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// One design found by `GET /api/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignHit {
    pub id: String,
    pub name: String,
    pub function: String,
    pub license: Option<String>,
    pub owner: String,
    /// The design it was forked from.
    pub parent: Option<String>,
    pub updated: String,
    pub forks: u64,
    pub commits: u64,
    pub contributors: u64,
    pub version: String,
    pub score: f32,
    /// Sanitized HTML: escaped text with `<mark>` around the matched words.
    pub snippet_html: String,
    /// The design's picture, as [`crate::DesignSummary::image_url`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// `GET /api/search?q=&sort=relevance|updated|forks&page=&per_page=&license=&category=&material=&owner=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignSearch {
    pub designs: Vec<DesignHit>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub facets: FacetCounts,
    /// The query as searched (cut at 256 characters).
    pub query: String,
}

/// A component found by `GET /api/components`, grouped by key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentHit {
    /// Normalized part number (or name): `iso-4017-m8x40`.
    pub key: String,
    pub name: String,
    pub part_number: Option<String>,
    pub manufacturer: Option<String>,
    /// Designs (and forks) using it among the matches.
    pub used_in: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentSearch {
    pub components: Vec<ComponentHit>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub facets: FacetCounts,
    pub query: String,
}

/// One use of a component in a design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentUse {
    pub design: String,
    /// The name as written in that design's BOM.
    pub name: String,
    pub quantity: Option<f64>,
    pub quantity_text: String,
    pub unit: Option<String>,
    pub version: String,
    /// The branch head the row was read from.
    pub head: String,
}

/// `GET /api/components/{key}`: where-used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WhereUsed {
    pub key: String,
    pub name: String,
    pub part_number: Option<String>,
    /// Number of distinct designs and forks using it.
    pub used_in: u64,
    pub uses: Vec<ComponentUse>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}
