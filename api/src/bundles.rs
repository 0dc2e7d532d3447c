//! Bundles for manufacturers: release links and the `atelier-bundle.json` manifest.

use serde::{Deserialize, Serialize};

use crate::{Bom, ParentRef, Share};

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
    /// Files Windows cannot hold by these names, each with why (`path: not portable to
    /// Windows: …`); the archive carries them as they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_portable: Vec<String>,
    /// The OpenSCAD that rendered the generated files (`OpenSCAD version 2021.01`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openscad: Option<String>,
    /// Declared exports that could not be generated, each with why (`cad/a.stl: …`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_generated: Vec<String>,
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
    /// Not in the design's tree: rendered by this instance from this OpenSCAD file (a declared
    /// `export` of its part that the design does not carry), with [`BundleManifest::openscad`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_from: Option<String>,
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
