//! Designs: summaries and lists, the detail page (manifest, BOM, counts), contributors, new
//! designs and forks.

use serde::{Deserialize, Serialize};

use crate::CommitSummary;

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
    /// Number of designs forked directly from this one.
    #[serde(default)]
    pub forks: u64,
    /// Created empty and not pushed to yet: `head` and `updated` are empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty: bool,
    /// The design's picture for cards: the manifest's first `image`, served by this instance
    /// (the file at `head`, or an external image through the image proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// The design this one is a fork of (`owner/slug`), if it is one (a design's detail has it
    /// with the fork point as `parent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fork_of: Option<String>,
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
    /// Most forked first.
    Forks,
    /// Most bundle downloads first (every version and format).
    Downloads,
}

/// Someone who authored commits of a design, mapped to an account by commit emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    /// The author name as written in the commits.
    pub name: String,
    /// The account whose commit emails include the author's email; `None` means unclaimed.
    pub account: Option<String>,
    pub commits: u64,
}

/// `GET /api/designs/{owner}/{slug}/contributors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributorList {
    pub contributors: Vec<Contributor>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `GET /api/designs/{owner}/{slug}`: everything the design page shows first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignDetail {
    #[serde(flatten)]
    pub summary: DesignSummary,
    pub default_branch: String,
    /// The head commit of the default branch.
    pub head_commit: CommitSummary,
    /// The manifest's fields, when it parses.
    pub manifest: Option<Manifest>,
    /// Problems found in `okh.toml` (parse error or validation), each with its line.
    pub manifest_problems: Vec<Problem>,
    /// The README rendered to sanitized HTML; relative links point into the design at `head`.
    pub readme_html: Option<String>,
    pub readme_path: Option<String>,
    /// The BOM named by the manifest, parsed.
    pub bom: Option<Bom>,
    pub counts: Counts,
    /// The design this one was forked from, and that design's head at the time.
    pub parent: Option<ParentRef>,
    /// Every ancestor, nearest first: the parent, its parent, up to the network's root.
    pub ancestry: Vec<ParentRef>,
    /// The network's root design (itself when not a fork).
    pub network_root: String,
    /// On a fork whose parent still exists: commits ahead of and behind the parent.
    #[serde(default)]
    pub upstream: Option<crate::Upstream>,
    /// A file Atelier offers to commit: the OKH-LOSH `okh.toml` converted from an OKH v1
    /// manifest (`okh.yml`) when the design has only that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_manifest: Option<SuggestedFile>,
}

/// A file offered as a commit (see [`DesignDetail::suggested_manifest`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestedFile {
    /// Where it goes (`okh.toml`).
    pub path: String,
    pub content: String,
    /// The file it was made from (`okh.yml`).
    pub from: String,
    /// Keys of that file the new one does not carry.
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub commits: u64,
    pub contributors: u64,
    pub forks: u64,
    /// Open change proposals into the design.
    #[serde(default)]
    pub proposals: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    pub id: String,
    pub commit: String,
}

/// A problem in a file, with its 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

/// The OKH-LOSH manifest fields Atelier shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub okhv: Option<String>,
    pub name: Option<String>,
    pub repo: Option<String>,
    pub version: Option<String>,
    pub license: Option<String>,
    pub licensor: Option<String>,
    pub function: Option<String>,
    pub readme: Option<String>,
    pub bom: Option<String>,
    pub manufacturing_instructions: Option<String>,
    pub image: Vec<String>,
    pub documentation_language: Option<String>,
    pub technology_readiness_level: Option<String>,
    pub parts: Vec<ManifestPart>,
    /// Every value of the fields that take a list (`readme`, `bom`, `manufacturing-instructions`,
    /// `documentation-language`); the single fields above hold the first.
    #[serde(default)]
    pub lists: std::collections::BTreeMap<String, Vec<String>>,
    /// Every other field, OKH-LOSH's (release, organization, readiness levels, CPC class,
    /// user manual, dimensions, mass, software, …) and the manifest's own, as written.
    #[serde(default)]
    pub fields: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPart {
    pub name: Option<String>,
    pub source: Vec<String>,
    pub export: Vec<String>,
    /// The first of `materials`.
    pub material: Option<String>,
    #[serde(default)]
    pub materials: Vec<String>,
    pub tsdc: Vec<String>,
    /// The part's other fields (image, auxiliary, mass, outer dimensions, manufacturing
    /// parameters, …), as written.
    #[serde(default)]
    pub fields: Vec<ManifestEntry>,
}

/// A manifest field Atelier shows as written: its key and its value as text (a list joined
/// with commas, a table as `key: value` pairs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub key: String,
    pub text: String,
    /// Whether OKH-LOSH defines the key (else it is one of the manifest's "other fields").
    pub standard: bool,
}

/// A parsed bill of materials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bom {
    pub path: String,
    pub rows: Vec<BomRow>,
    /// Rows skipped or partly read.
    pub warnings: Vec<Problem>,
    /// Set when the file could not be read as a BOM at all (`rows` is then empty).
    pub error: Option<Problem>,
    /// The sum of quantity × unit price over the rows that have both.
    #[serde(default)]
    pub total_cost: Option<f64>,
    /// The sheet read, for a spreadsheet.
    #[serde(default)]
    pub sheet: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomRow {
    pub line: usize,
    pub name: String,
    /// The component key (`/api/components/{key}`: where else it is used).
    #[serde(default)]
    pub key: String,
    /// As written ("2 sets").
    pub quantity_text: String,
    /// Its leading number, when there is one.
    pub quantity: Option<f64>,
    pub unit: Option<String>,
    /// The manufacturer's part number (MPN), or the part number the file gives.
    pub part_number: Option<String>,
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub supplier_part_number: Option<String>,
    /// The price of one unit (the currency is the file's).
    #[serde(default)]
    pub unit_price: Option<f64>,
    /// An electronic part's value ("10k").
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub footprint: Option<String>,
    /// Reference designators ("R1", "C3").
    #[serde(default)]
    pub designators: Vec<String>,
    /// The name of the assembly (another row) this row is part of.
    #[serde(default)]
    pub parent: Option<String>,
    /// Documents or notes the row refers to (the sBoM `REFERENCE-n` columns).
    #[serde(default)]
    pub references: Vec<String>,
    pub material: Option<String>,
    pub category: Option<String>,
    pub specs: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
    /// Every other column, by its header as written.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extra: std::collections::BTreeMap<String, String>,
}

/// `GET .../network`: the whole fork network as a tree from its root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkNode {
    pub id: String,
    /// The design's name (from its manifest).
    #[serde(default)]
    pub name: String,
    /// Its card picture, as [`DesignSummary::image_url`] (none before its first commit).
    #[serde(default)]
    pub image_url: Option<String>,
    /// The parent's head when this design was forked (`None` for the root).
    pub forked_at: Option<String>,
    pub children: Vec<NetworkNode>,
}

/// `POST /api/designs`: a new design with a starter `okh.toml` and README.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDesign {
    pub slug: String,
    pub name: String,
    pub function: String,
    /// SPDX expression.
    pub license: String,
    #[serde(default)]
    pub licensor: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// No starter commit: the design waits for a history pushed (or imported) into it. The
    /// other fields are still checked, but the pushed `okh.toml` describes the design.
    #[serde(default)]
    pub empty: bool,
    /// Also write a starter `README.md` (the name, the function and a heading for build
    /// instructions). Off unless asked: the first commit is then `okh.toml` alone.
    #[serde(default)]
    pub readme: bool,
}

/// `POST /api/designs/import`: what an imported git bundle became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub design: DesignSummary,
    /// Every branch and tag the bundle brought, full ref names.
    pub refs: Vec<ImportedRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedRef {
    pub name: String,
    pub target: String,
}

/// `POST .../forks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFork {
    /// The fork's slug under the caller's name; default: the source's slug.
    #[serde(default)]
    pub slug: Option<String>,
}
