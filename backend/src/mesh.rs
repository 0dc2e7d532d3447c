//! Triangle meshes from the model files designs hold (STL, OBJ, 3MF): parsed into one list of
//! triangles in millimetres, measured (bounds, volume) and, when too dense for a browser to
//! draw smoothly, simplified for display. **Invariant:** bad input is an [`Error`] that names
//! the bad part (a line, a vertex, an entry), never a panic. Knows nothing about HTTP or git.
//!
//! The parsers are written here (STL and OBJ are a few dozen lines each; 3MF is an XML file
//! in a zip, read with `zip` and `quick-xml`): the crates for them build indexed meshes with
//! materials we do not need, and their errors do not say where a file went wrong.

mod cache;
pub mod diff;
mod obj;
pub mod picture;
mod simplify;
mod stl;
mod threemf;

pub use cache::{Cache, Prepared, Weighed};
pub use stl::write_binary as binary_stl;

/// A point in millimetres.
pub type Point = [f32; 3];
/// Three corners, counter-clockwise seen from outside.
pub type Triangle = [Point; 3];

/// The most triangles sent to a browser: denser models are simplified for display (the
/// measurements are always of the full model).
pub const MAX_SHOWN: usize = 500_000;
/// The largest model file read (bytes).
pub const MAX_FILE: u64 = 256 << 20;

/// The model formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Stl,
    Obj,
    ThreeMf,
}

impl Format {
    /// The format a file name says, by its extension (any case).
    pub fn of_path(path: &str) -> Option<Self> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "stl" => Some(Self::Stl),
            "obj" => Some(Self::Obj),
            "3mf" => Some(Self::ThreeMf),
            _ => None,
        }
    }

    /// The lowercase extension, as the API names the format.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stl => "stl",
            Self::Obj => "obj",
            Self::ThreeMf => "3mf",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file breaks its format; the message says where.
    #[error("{0}")]
    Malformed(String),
    /// A well-formed file without a single triangle.
    #[error("the model has no triangles")]
    Empty,
}

impl Error {
    fn at_line(line: usize, message: impl std::fmt::Display) -> Self {
        Self::Malformed(format!("line {line}: {message}"))
    }
}

/// A model as a list of triangles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    pub triangles: Vec<Triangle>,
}

/// What a model measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub triangles: usize,
    pub min: Point,
    pub max: Point,
    /// The enclosed volume in mm³ (the divergence theorem over the triangles: exact for a
    /// closed mesh, an estimate for one with holes).
    pub volume: f64,
}

impl Stats {
    /// The bounding box's size along x, y and z.
    pub fn size(&self) -> Point {
        [
            self.max[0] - self.min[0],
            self.max[1] - self.min[1],
            self.max[2] - self.min[2],
        ]
    }
}

/// Parses a model file.
pub fn parse(format: Format, bytes: &[u8]) -> Result<Mesh, Error> {
    let mesh = match format {
        Format::Stl => stl::parse(bytes)?,
        Format::Obj => obj::parse(bytes)?,
        Format::ThreeMf => threemf::parse(bytes)?,
    };
    if mesh.triangles.is_empty() {
        return Err(Error::Empty);
    }
    Ok(mesh)
}

impl Mesh {
    /// An axis-aligned box from the origin to `size`: twelve outward-facing triangles.
    pub fn cuboid(size: Point) -> Self {
        let [x, y, z] = size;
        let p = |i: usize| {
            [
                if i & 1 == 0 { 0.0 } else { x },
                if i & 2 == 0 { 0.0 } else { y },
                if i & 4 == 0 { 0.0 } else { z },
            ]
        };
        let faces = [
            [0, 2, 3, 1],
            [4, 5, 7, 6],
            [0, 1, 5, 4],
            [2, 6, 7, 3],
            [0, 4, 6, 2],
            [1, 3, 7, 5],
        ];
        let mut triangles = Vec::new();
        for [a, b, c, d] in faces {
            triangles.push([p(a), p(b), p(c)]);
            triangles.push([p(a), p(c), p(d)]);
        }
        Mesh { triangles }
    }

    /// Bounds and volume; `None` for an empty mesh.
    pub fn stats(&self) -> Option<Stats> {
        let first = self.triangles.first()?[0];
        let (mut min, mut max) = (first, first);
        let mut six_volumes = 0.0f64;
        for [a, b, c] in &self.triangles {
            for p in [a, b, c] {
                for axis in 0..3 {
                    min[axis] = min[axis].min(p[axis]);
                    max[axis] = max[axis].max(p[axis]);
                }
            }
            let [a, b, c] = [a, b, c].map(|p| p.map(f64::from));
            // a · (b × c): six times the signed volume of the tetrahedron (origin, a, b, c).
            six_volumes += a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0])
                + a[2] * (b[0] * c[1] - b[1] * c[0]);
        }
        Some(Stats {
            triangles: self.triangles.len(),
            min,
            max,
            volume: (six_volumes / 6.0).abs(),
        })
    }

    /// The mesh with at most `max` triangles, simplified by vertex clustering when it has
    /// more (for display only).
    pub fn simplified(self, max: usize) -> Self {
        if self.triangles.len() <= max {
            return self;
        }
        simplify::cluster(&self, max)
    }

    /// The corners as little-endian `f32`s, nine per triangle: what the viewer draws.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        wire(&self.triangles)
    }
}

/// `triangles` as little-endian `f32`s, nine per triangle: what the viewer draws.
pub fn wire(triangles: &[Triangle]) -> Vec<u8> {
    let mut out = Vec::with_capacity(triangles.len() * 36);
    for corner in triangles.iter().flatten() {
        for value in corner {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out
}

/// The triangles of [`wire`]'s form (a partial triangle at the end is dropped).
pub fn from_wire(bytes: &[u8]) -> Vec<Triangle> {
    let float = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    bytes
        .chunks_exact(36)
        .map(|t| {
            let point = |i: usize| [0, 1, 2].map(|axis| float(&t[(i * 3 + axis) * 4..]));
            [point(0), point(1), point(2)]
        })
        .collect()
}

/// The three numbers after `keyword` on text line `line_no` (STL's `vertex`, OBJ's `v`).
fn text_point<'a>(
    words: &mut impl Iterator<Item = &'a str>,
    keyword: &str,
    line_no: usize,
) -> Result<Point, Error> {
    let mut point = [0.0f32; 3];
    for slot in &mut point {
        let word = words
            .next()
            .ok_or_else(|| Error::at_line(line_no, format!("`{keyword}` needs three numbers")))?;
        let value: f32 = word
            .parse()
            .map_err(|_| Error::at_line(line_no, format!("`{word}` is not a number")))?;
        *slot = coordinate(value, || format!("line {line_no}: `{word}`"))?;
    }
    Ok(point)
}

/// `value` as a coordinate: finite, or an error naming `what`.
fn coordinate(value: f32, what: impl FnOnce() -> String) -> Result<f32, Error> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::Malformed(format!(
            "{} is not a finite number",
            what()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10 × 20 × 30 mm box, as twelve outward-facing triangles.
    pub(super) fn cuboid(size: Point) -> Mesh {
        Mesh::cuboid(size)
    }

    #[test]
    fn a_box_measures_its_size_and_volume() {
        let stats = cuboid([10.0, 20.0, 30.0]).stats().unwrap();
        assert_eq!(stats.triangles, 12);
        assert_eq!(stats.min, [0.0, 0.0, 0.0]);
        assert_eq!(stats.size(), [10.0, 20.0, 30.0]);
        assert!((stats.volume - 6000.0).abs() < 1e-6, "{}", stats.volume);
    }

    #[test]
    fn formats_are_known_by_extension_in_any_case() {
        assert_eq!(Format::of_path("parts/Bracket.STL"), Some(Format::Stl));
        assert_eq!(Format::of_path("a.obj"), Some(Format::Obj));
        assert_eq!(Format::of_path("plate.3mf"), Some(Format::ThreeMf));
        assert_eq!(Format::of_path("frame.step"), None);
        assert_eq!(Format::of_path("README"), None);
    }

    #[test]
    fn the_wire_form_is_nine_floats_per_triangle() {
        let mesh = cuboid([1.0, 2.0, 3.0]);
        let bytes = mesh.to_le_bytes();
        assert_eq!(bytes.len(), 12 * 36);
        let second = f32::from_le_bytes(bytes[4..8].try_into().unwrap());
        assert_eq!(second, mesh.triangles[0][0][1]);
        assert_eq!(from_wire(&bytes), mesh.triangles, "read back");
    }

    #[test]
    fn an_empty_file_of_each_format_is_refused_clearly() {
        for format in [Format::Stl, Format::Obj] {
            let err = parse(format, b"").unwrap_err();
            assert!(matches!(err, Error::Empty | Error::Malformed(_)), "{err}");
        }
    }
}
