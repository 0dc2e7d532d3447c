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
    /// Number of designs forked directly from this one.
    #[serde(default)]
    pub forks: u64,
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

/// `POST /api/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

/// An account as anyone may see it (`GET /api/accounts/{username}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub is_admin: bool,
    /// The instance's own account (owner of the sample designs); it cannot sign in.
    pub is_system: bool,
    pub created_at: String,
}

/// `GET /api/session`, and the answer to signing up or in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub account: Account,
    /// How the request was authenticated: `session` (cookie) or `token`.
    pub via: String,
    /// The scopes of the token, when `via` is `token`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// `POST /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// An API token's public part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// The answer to `POST /api/tokens`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: Token,
    /// Send as `Authorization: Bearer <secret>`. Not stored by the server; cannot be shown again.
    pub secret: String,
}

/// `GET /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<Token>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// One of the emails an account commits with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub email: String,
    /// The account's own (sign-up) address, listed first; it cannot be removed.
    pub primary: bool,
    /// No mail can be sent from an instance yet, so addresses are unverified.
    pub verified: bool,
}

/// `GET /api/account/emails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailList {
    pub emails: Vec<Email>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `POST /api/account/emails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEmail {
    pub email: String,
}

/// `PUT /api/accounts/{username}/skill` (instance admins): the skill level the labor policy
/// applies; `null` returns to the policy's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillLevel {
    pub skill: Option<String>,
}

/// `PUT /api/account/password`. Every session of the account is revoked afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// `GET/PUT /api/designs/{owner}/{slug}/maintainers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintainers {
    /// The owning account (always allowed); not part of `maintainers`.
    pub owner: String,
    pub maintainers: Vec<String>,
}

/// Body of `PUT /api/designs/{owner}/{slug}/maintainers`: the complete new list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintainersUpdate {
    pub maintainers: Vec<String>,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub commits: u64,
    pub contributors: u64,
    pub forks: u64,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestPart {
    pub name: Option<String>,
    pub source: Vec<String>,
    pub export: Vec<String>,
    pub material: Option<String>,
    pub tsdc: Vec<String>,
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
    pub part_number: Option<String>,
    pub manufacturer: Option<String>,
    pub material: Option<String>,
    pub category: Option<String>,
    pub specs: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
}

/// A commit's author or committer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    /// The account whose commit emails include this person's email; `None`: unclaimed.
    pub account: Option<String>,
    pub time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSummary {
    pub id: String,
    pub parents: Vec<String>,
    pub author: Person,
    pub committer: Person,
    /// First line of the message.
    pub summary: String,
    pub message: String,
    pub trailers: Vec<Trailer>,
}

/// `GET .../commits?rev=&path=&page=&per_page=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitList {
    pub commits: Vec<CommitSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `+`, `-` or ` `.
    pub origin: String,
    pub old_line: Option<u32>,
    pub new_line: Option<u32>,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub old_path: Option<String>,
    /// `added`, `deleted`, `modified`, `renamed`, `copied`, `typechange`.
    pub status: String,
    pub binary: bool,
    pub old_size: u64,
    pub new_size: u64,
    pub hunks: Vec<Hunk>,
    /// The text diff was left out (too big) or cut.
    pub truncated: bool,
}

/// `GET .../commits/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitDetail {
    pub commit: CommitSummary,
    pub files: Vec<FileChange>,
}

/// `GET .../compare/{base}...{head}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub base: String,
    pub head: String,
    pub merge_base: Option<String>,
    /// Commits in head and not in base, newest first (at most 250).
    pub commits: Vec<CommitSummary>,
    pub files: Vec<FileChange>,
}

/// One entry of `GET .../tree/{rev}/{path}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub name: String,
    pub path: String,
    /// `file`, `dir`, `symlink` or `submodule`.
    pub kind: String,
    /// Bytes, for files.
    pub size: Option<u64>,
    /// The blob or tree id.
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tree {
    /// The commit the revision resolved to.
    pub commit: String,
    pub path: String,
    pub entries: Vec<TreeEntry>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub name: String,
    pub head: String,
    pub updated: String,
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchList {
    pub branches: Vec<Branch>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub tag: String,
    pub commit: String,
    pub tagger: Option<Person>,
    pub notes: String,
    /// The release's bundles (zip and tar.gz), built when the release is made.
    #[serde(default)]
    pub bundles: Vec<BundleLink>,
}

/// A downloadable bundle of a design at one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLink {
    /// `zip` or `tar.gz`.
    pub format: String,
    /// `/api/designs/{owner}/{slug}/bundle/{rev}.{format}`.
    pub url: String,
    /// Set once the bundle has been built (it is then served from the cache).
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

/// The `schema` of every `atelier-bundle.json` this version writes.
pub const BUNDLE_SCHEMA: &str = "atelier-bundle/1";
/// The file name of the manifest, the last entry of a bundle, inside its top folder.
pub const BUNDLE_MANIFEST: &str = "atelier-bundle.json";

/// `atelier-bundle.json`: what a bundle promises. Written as the last entry of the archive,
/// inside its single top folder `root`; `files` are relative to that folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleManifest {
    /// [`BUNDLE_SCHEMA`].
    pub schema: String,
    /// `owner/slug`.
    pub design: String,
    pub name: String,
    /// The manifest's `version`, else the tag, else the commit's first 12 digits.
    pub version: String,
    /// The `version` field of `okh.toml`, when it has one.
    pub manifest_version: Option<String>,
    pub commit: String,
    pub committed_at: String,
    pub tag: Option<String>,
    /// The folder this bundle holds (`None`: the whole design).
    pub path: Option<String>,
    /// The archive's top folder.
    pub root: String,
    /// SPDX expressions from `okh.toml`.
    pub licenses: Vec<String>,
    /// `okh.toml` as parsed (every key kept), or `None` when the design has none or it is invalid.
    pub okh: Option<serde_json::Value>,
    pub bom: Option<Bom>,
    /// Every file in the bundle but this manifest, sorted by path.
    pub files: Vec<BundleFile>,
    /// Entries of the tree a bundle cannot carry (symbolic links, submodules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    pub labor: BundleLabor,
    pub lineage: BundleLineage,
    pub generator: Generator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFile {
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
    pub executable: bool,
}

/// The labor the design contains at the bundle's commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleLabor {
    /// Versions of the labor policy the entries were valued under.
    pub policy_versions: Vec<String>,
    pub units: f64,
    pub contributors: Vec<Share>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLineage {
    /// The design this one was forked from, at the fork's commit.
    pub forked_from: Option<ParentRef>,
    /// Every ancestor, nearest first.
    pub ancestry: Vec<ParentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseList {
    pub releases: Vec<Release>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `POST .../releases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRelease {
    pub tag: String,
    /// Branch, tag or commit id; default: the default branch.
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub notes: String,
}

/// `GET .../network`: the whole fork network as a tree from its root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkNode {
    pub id: String,
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
}

/// `POST .../forks`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFork {
    /// The fork's slug under the caller's name; default: the source's slug.
    #[serde(default)]
    pub slug: Option<String>,
}

/// Work declared with a commit; becomes the `Labor-Hours` and `Labor-Type` trailers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Labor {
    pub hours: f64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// Work types a commit may declare.
pub const LABOR_TYPES: &[&str] = &[
    "design",
    "documentation",
    "sourcing",
    "testing",
    "review",
    "maintenance",
];

/// One change of `POST .../commits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Change {
    /// Create or replace a file: `content` (UTF-8 text) or a previous upload's `upload_id`.
    Put {
        path: String,
        #[serde(default)]
        content: Option<String>,
        #[serde(default)]
        upload_id: Option<String>,
    },
    Delete {
        path: String,
    },
    Move {
        from: String,
        to: String,
    },
}

/// `POST .../commits`: one atomic commit, refused with 409 if `branch` moved from `expected_head`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCommit {
    pub branch: String,
    pub expected_head: String,
    pub message: String,
    #[serde(default)]
    pub labor: Option<Labor>,
    pub changes: Vec<Change>,
}

/// `GET .../rendered/{rev}/{path}`: a Markdown file as sanitized HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// The commit the revision resolved to.
    pub commit: String,
    pub html: String,
}

/// One value of a facet and how many results have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// Facet counts of `GET /api/search` (license, category, material, readiness) and
/// `GET /api/components` (manufacturer, material, category).
pub type FacetCounts = std::collections::BTreeMap<String, Vec<FacetValue>>;

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

/// `GET /api/labor/policy`: how declared work becomes units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaborPolicy {
    pub version: String,
    pub default_hours: f64,
    pub max_hours_per_commit: f64,
    pub default_skill: String,
    /// Work type → weight per hour.
    pub work_types: std::collections::BTreeMap<String, f64>,
    /// Skill level → multiplier.
    pub skill_levels: std::collections::BTreeMap<String, f64>,
    /// Pattern → work type, first match wins.
    pub path_rules: Vec<(String, String)>,
}

/// One ledger entry with its explanation (`GET /api/labor/entries/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaborEntry {
    pub id: String,
    pub design: String,
    pub commit: String,
    pub committed_at: String,
    pub contributor: String,
    /// `None`: unclaimed.
    pub account: Option<String>,
    pub work_type: String,
    pub hours: f64,
    pub estimated: bool,
    pub weight: f64,
    pub skill: String,
    pub multiplier: f64,
    /// hours × weight × multiplier.
    pub units: f64,
    /// `validated` or `pending`.
    pub status: String,
    pub policy_version: String,
    /// Which rule decided the work type and hours.
    pub rule: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    pub key: String,
    pub units: f64,
    pub hours: f64,
}

/// `GET /api/accounts/{username}/labor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountLabor {
    pub username: String,
    pub units: f64,
    pub hours: f64,
    pub validated_units: f64,
    pub pending_units: f64,
    pub by_type: Vec<Amount>,
    pub by_design: Vec<Amount>,
    /// Units per month (`YYYY-MM`), oldest first.
    pub timeline: Vec<Amount>,
    /// How the designs this person worked on are used.
    #[serde(default)]
    pub utilization: Vec<Utilization>,
    pub entries: Vec<LaborEntry>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// The use of a design someone worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utilization {
    pub design: String,
    pub forks: u64,
    pub releases: u64,
    /// Bundle downloads (every version and format).
    #[serde(default)]
    pub downloads: u64,
}

/// One contributor's part of a design (`GET /api/designs/{owner}/{slug}/labor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub contributor: String,
    pub account: Option<String>,
    pub units: f64,
    pub hours: f64,
    /// Percent of the design's units at this revision.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignLabor {
    pub design: String,
    pub rev: String,
    pub units: f64,
    pub contributors: Vec<Share>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// The answer to `POST .../uploads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Reference it from a commit's `put` change within 24 hours.
    pub upload_id: String,
    pub size: u64,
    /// The blob id the bytes were stored as.
    pub blob: String,
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

/// One entry of the event log (`GET /api/events`). Besides the common fields, each kind has its
/// own: `ref_change` → `refname`, `old`, `new` (commit ids or null); `design_created` →
/// `network`; `design_forked` → `from`; `design_deleted` → none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// Username of the account that caused it, when known.
    pub actor: Option<String>,
    /// `owner/slug`.
    pub design: String,
    pub kind: String,
    #[serde(flatten)]
    pub payload: serde_json::Map<String, serde_json::Value>,
}

/// `GET /api/events?after=seq&limit=n`: the events after `after`, oldest first; pass `next` as
/// the following request's `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventList {
    pub events: Vec<Event>,
    pub next: i64,
}

/// A consumer of the event log and the last event it applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventConsumer {
    pub name: String,
    pub cursor: i64,
}

/// `GET /api/events/consumers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventConsumers {
    pub consumers: Vec<EventConsumer>,
    /// The newest `seq` in the log.
    pub head: i64,
}
