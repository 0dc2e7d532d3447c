//! A design's files and history: trees, commits and diffs, comparisons, branches, releases,
//! rendered Markdown, commits made through the API (with labor) and uploads.

use serde::{Deserialize, Serialize};

use crate::BundleLink;

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
    /// A file with git's executable bit (mode 100755).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub executable: bool,
    /// What a symbolic link points at, as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Why the name cannot be checked out on Windows (`not portable to Windows: …`), if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
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
    /// The notes rendered as Markdown (sanitized), links and images into the design at the
    /// release's commit.
    #[serde(default)]
    pub notes_html: String,
    /// The release's bundles (zip and tar.gz), built when the release is made.
    #[serde(default)]
    pub bundles: Vec<BundleLink>,
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

/// What a `put` writes: a plain `file` (the default for a new path), an `executable` file, or
/// a `symlink` whose `content` is the link's target (relative, inside the design). A put
/// without a mode keeps the mode the path has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileMode {
    File,
    Executable,
    Symlink,
}

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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<FileMode>,
    },
    Delete {
        path: String,
    },
    Move {
        from: String,
        to: String,
    },
}

/// The largest body of `POST .../commits`, in bytes (64 MiB); larger ones get 413. Larger
/// files go through `POST .../uploads`.
pub const MAX_COMMIT_BODY: usize = 64 << 20;

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

/// The answer to `POST .../uploads`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Reference it from a commit's `put` change within 24 hours.
    pub upload_id: String,
    pub size: u64,
    /// The blob id the bytes were stored as.
    pub blob: String,
}
