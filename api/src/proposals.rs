//! Change proposals (the shape of GitHub's pull requests where one exists): the proposal, its
//! revisions, reviews and comments, the merge, the BOM and manifest deltas, the labor preview.

use serde::{Deserialize, Serialize};

use crate::{CommitSummary, FileChange, LaborEntry, Share};

/// The head side: a branch of a design of the same fork network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalHead {
    /// `owner/slug`.
    pub design: String,
    pub branch: String,
    /// The newest revision's head commit.
    pub sha: String,
    /// The source design is gone; the proposal lives on from its revisions.
    #[serde(default)]
    pub deleted: bool,
}

/// The base side: a branch of the target design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalBase {
    pub branch: String,
    /// The target branch's head now.
    pub sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub number: i64,
    /// The target design, `owner/slug`.
    pub design: String,
    pub title: String,
    pub body: String,
    /// `body` rendered (sanitized HTML).
    pub body_html: String,
    /// `open`, `closed` or `merged`.
    pub state: String,
    pub draft: bool,
    /// Username.
    pub author: String,
    pub head: ProposalHead,
    pub base: ProposalBase,
    /// `true` clean, `false` conflict/empty/merged, `null` while checking.
    pub mergeable: Option<bool>,
    /// `clean`, `conflict`, `empty`, `merged` or `checking`.
    pub mergeable_state: String,
    /// Conflicted paths.
    pub conflicts: Vec<String>,
    pub merged_commit: Option<String>,
    pub merged_by: Option<String>,
    /// `merge`, `squash` or `fast_forward`.
    pub merge_method: Option<String>,
    pub revisions: i64,
    /// Commits of the head the base lacks.
    pub commits: u64,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
}

/// `GET .../proposals?state=open|closed|merged|all&page=&per_page=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalList {
    pub proposals: Vec<Proposal>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    /// Counts by state, for the filters.
    pub open: i64,
    pub closed: i64,
    pub merged: i64,
}

/// `POST .../proposals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProposal {
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    /// `owner/slug:branch`, or just `branch` of the target itself.
    pub head: String,
    /// A branch of the target; its default branch when absent.
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub draft: Option<bool>,
}

/// `PATCH .../proposals/{n}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub draft: Option<bool>,
    /// `open` (reopen) or `closed` (close).
    #[serde(default)]
    pub state: Option<String>,
}

/// `GET .../proposals/{n}/commits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalCommits {
    /// Newest first.
    pub commits: Vec<CommitSummary>,
    pub total: u64,
}

/// `GET .../proposals/{n}/files?page=&per_page=&path=&revision=&since=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalFiles {
    /// Without hunks unless `path` asked for one file's diff.
    pub files: Vec<FileChange>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    /// The diff's sides: the merge base and the revision's head.
    pub base: String,
    pub head: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRevision {
    pub revision: i64,
    pub head: String,
    /// The target's head when it was recorded.
    pub base: String,
    pub created_at: String,
}

/// `GET .../proposals/{n}/revisions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRevisions {
    pub revisions: Vec<ProposalRevision>,
}

/// A line comment of a review, or a comment of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProposalComment {
    pub body: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    /// `old` or `new`.
    #[serde(default)]
    pub side: Option<String>,
}

/// `POST .../proposals/{n}/reviews`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReview {
    /// `approve`, `request_changes` or `comment`.
    pub verdict: String,
    #[serde(default)]
    pub body: String,
    /// Review labor, in hours.
    #[serde(default)]
    pub hours: Option<f64>,
    #[serde(default)]
    pub comments: Vec<NewProposalComment>,
    /// The revision head the reviewer saw (GitHub's `commit_id`): a newer revision is a 409.
    #[serde(default)]
    pub commit_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalComment {
    pub id: i64,
    pub review_id: Option<i64>,
    /// The first comment of the thread this one answers.
    pub in_reply_to: Option<i64>,
    pub author: String,
    pub body: String,
    pub body_html: String,
    pub revision: i64,
    /// The revision head the comment is anchored to.
    pub commit_id: String,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub side: Option<String>,
    pub resolved: bool,
    /// The line changed in a later revision; shown at its original place.
    pub outdated: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub id: i64,
    pub author: String,
    /// `approve`, `request_changes` or `comment`.
    pub verdict: String,
    pub body: String,
    pub body_html: String,
    pub hours: Option<f64>,
    pub revision: i64,
    pub commit_id: String,
    /// Made on an older revision than the newest: not counted by later rules.
    pub stale: bool,
    pub created_at: String,
}

/// `GET .../proposals/{n}/reviews`: reviews and every comment (line comments and threads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewList {
    pub reviews: Vec<Review>,
    pub comments: Vec<ProposalComment>,
}

/// `POST .../proposals/{n}/comments`: a reply (`in_reply_to`), a line comment, a comment on the
/// conversation, or (with `resolved` and `in_reply_to`, body optional) resolving a thread.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRequest {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub in_reply_to: Option<i64>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub line: Option<u32>,
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default)]
    pub resolved: Option<bool>,
}

/// `PUT .../proposals/{n}/merge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequest {
    /// `merge` (default), `squash` or `fast_forward`.
    #[serde(default)]
    pub method: Option<String>,
    /// The target branch's head the merger reviewed against.
    pub expected_head: String,
    /// The proposal head the merger reviewed (GitHub's `sha`): a newer revision is a 409.
    #[serde(default)]
    pub sha: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// Required when the proposal changes the license.
    #[serde(default)]
    pub confirm_license_change: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeResult {
    pub merged: bool,
    pub sha: String,
    pub message: String,
}

/// `POST .../proposals/{n}/update`: merge the target into the source branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateFromUpstream {
    /// The source branch's head the caller saw.
    pub expected_head: String,
    /// Path → `"mine"`, `"upstream"`, or `{"content": "..."}` (text edited from the markers).
    #[serde(default)]
    pub resolutions: std::collections::BTreeMap<String, ConflictResolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConflictResolution {
    /// `mine` or `upstream`.
    Side(String),
    Content {
        content: String,
    },
}

/// `GET .../proposals/{n}/conflicts?path=`: one conflicted file with conflict markers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictFile {
    pub path: String,
    /// `None` for binary files: choose a side.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestField {
    pub key: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseChange {
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomDeltaRow {
    pub key: String,
    pub name: String,
    pub quantity: String,
    pub part_number: Option<String>,
    pub supplier: Option<String>,
    pub unit_price: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomChange {
    pub before: BomDeltaRow,
    pub after: BomDeltaRow,
    /// `quantity`, `part_number`, `supplier`, `unit_price`.
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomFileDelta {
    pub path: String,
    pub added: Vec<BomDeltaRow>,
    pub removed: Vec<BomDeltaRow>,
    pub changed: Vec<BomChange>,
    pub new_components: Vec<String>,
    pub cost_before: Option<f64>,
    pub cost_after: Option<f64>,
    pub cost_delta: Option<f64>,
    pub problems: Vec<String>,
}

/// `GET .../proposals/{n}/bom-delta`: computed on the merged tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BomDelta {
    /// `clean` (computed on the merged tree) or why not (`conflict`, `empty`, `merged`).
    pub state: String,
    pub boms: Vec<BomFileDelta>,
    pub manifest: Vec<ManifestField>,
    pub license_change: Option<LicenseChange>,
    pub manifest_problem: Option<String>,
}

/// `GET .../proposals/{n}/labor-preview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaborPreview {
    /// Whether a merge validates anything (the target is the network root's default branch).
    pub validates: bool,
    /// The entries that become validated on merge.
    pub entries: Vec<LaborEntry>,
    pub units: f64,
    pub shares_before: Vec<Share>,
    pub shares_after: Vec<Share>,
}

/// On a fork: how it stands against the design it was forked from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upstream {
    /// `owner/slug`.
    pub design: String,
    pub branch: String,
    /// Commits of the fork's default branch the upstream lacks, and the other way round.
    pub ahead: u64,
    pub behind: u64,
}
