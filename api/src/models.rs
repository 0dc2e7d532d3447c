//! 3D models as the viewer needs them: measurements, and where the triangles are.

use serde::{Deserialize, Serialize};

/// `GET /api/designs/{owner}/{slug}/model/{rev}/{*path}`: an STL, OBJ or 3MF file measured.
/// Lengths are millimetres (3MF's own unit converted; STL and OBJ have none, so millimetres
/// are assumed, as slicers do).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub path: String,
    /// The commit the file was read at (40 hex).
    pub commit: String,
    /// The file's blob id (40 hex).
    pub blob: String,
    /// `stl`, `obj` or `3mf`.
    pub format: String,
    /// The model's triangles.
    pub triangles: u64,
    /// The triangles the viewer draws: fewer than `triangles` when the model was simplified
    /// for display.
    pub shown_triangles: u64,
    pub bounds: Bounds,
    /// The enclosed volume in mm³ (exact for a closed mesh).
    pub volume_mm3: f64,
    /// The triangles to draw: little-endian `f32`s, nine per triangle (three corners of x, y,
    /// z), as `application/octet-stream`. Immutable (the URL names the commit).
    pub mesh_url: String,
}

/// `GET /api/designs/{owner}/{slug}/model-diff/{base}...{head}/{*path}` (`?base_path=` when the
/// file was renamed): a model's two versions sorted by geometry, for the overlaid view. A
/// triangle of the new version on the old surface is *same*, else *added*; one of the old
/// version off the new surface is *removed*.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDiff {
    /// The commits either side (40 hex).
    pub base: String,
    pub head: String,
    /// The file at `base` and at `head`.
    pub base_path: String,
    pub path: String,
    pub same_triangles: u64,
    pub added_triangles: u64,
    pub removed_triangles: u64,
    /// How far (mm) a point may lie from the other version's surface and count as on it.
    pub tolerance_mm: f64,
    /// Whether either version was simplified for display before it was compared (then the
    /// sorting is of the simplified shapes).
    pub simplified: bool,
    /// Each class's triangles to draw, in the form of [`Model::mesh_url`].
    pub same_url: String,
    pub added_url: String,
    pub removed_url: String,
}

/// An axis-aligned bounding box in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    pub min: [f32; 3],
    pub max: [f32; 3],
    /// `max - min`: width, depth and height.
    pub size: [f32; 3],
}

/// `GET /api/designs/{owner}/{slug}/customizer/{rev}/{*path}`: an OpenSCAD file's
/// Customizer parameters. Render with them through `model`/`mesh` and `?params=` (a JSON
/// object of name → value, URL-encoded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customizer {
    pub path: String,
    pub commit: String,
    pub parameters: Vec<ScadParameter>,
    /// The OpenSCAD that renders here (`OpenSCAD version 2021.01`); `None` when the instance
    /// has none (then `.scad` files are not rendered).
    pub openscad: Option<String>,
    /// The parameter-set file beside the OpenSCAD file (`stand.scad` → `stand.json`), as
    /// OpenSCAD's own Customizer names it; it may not exist yet.
    #[serde(default)]
    pub sets_path: String,
    /// The sets in that file at `commit`, each with the values that fit the file's parameters.
    #[serde(default)]
    pub parameter_sets: Vec<ParameterSet>,
    /// Why the set file could not be read (it is there but broken), if so.
    #[serde(default)]
    pub sets_problem: Option<String>,
}

/// A named set of Customizer values (name → value, of each parameter's kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParameterSet {
    pub name: String,
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// `POST /api/designs/{owner}/{slug}/parameter-sets`: saves a set of values for the OpenSCAD
/// file `path` in its parameter-set file, as a commit (labor type `design`) to the caller's
/// design: this one when the caller owns or maintains it, else the caller's fork of it (made
/// first when there is none; an instance admin's powers do not count).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewParameterSet {
    pub path: String,
    pub name: String,
    pub values: serde_json::Map<String, serde_json::Value>,
    /// The commit message; a default names the set and the file.
    #[serde(default)]
    pub message: Option<String>,
    /// Hours of work to credit, if any (as `design` work).
    #[serde(default)]
    pub hours: Option<f64>,
}

/// The answer to `POST .../parameter-sets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedParameterSet {
    /// The design committed to (`owner/slug`).
    pub design: String,
    /// Whether the fork was made for this.
    pub forked: bool,
    /// The parameter-set file written.
    pub path: String,
    pub commit: crate::CommitSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScadParameter {
    pub name: String,
    /// A number, string, boolean or list of numbers.
    pub default: serde_json::Value,
    pub description: Option<String>,
    /// The tab (`/* [Tab] */`) it is under.
    pub group: Option<String>,
    /// `plain`, `slider` or `choices`.
    pub widget: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub step: Option<f64>,
    pub choices: Vec<ScadChoice>,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScadChoice {
    pub value: serde_json::Value,
    pub label: String,
}
