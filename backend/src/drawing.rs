//! DXF drawings as SVG, for the file page: the drawing is read with the `dxf` crate (ASCII and
//! binary DXF, any version), and its model-space geometry — lines, polylines (with bulges),
//! circles, arcs, ellipses, splines (through their fit or control points) and block inserts
//! (moved, scaled, rotated, nested) — becomes one SVG of polylines, y up as in the drawing.
//! Text, hatches, dimensions and 3D entities are counted, not drawn. **Invariant:** the SVG
//! holds only numbers this module writes (no text from the file), so it is safe to serve;
//! bad input is an [`Error`], never a panic.

use std::collections::HashMap;
use std::f64::consts::TAU;
use std::fmt::Write as _;

use dxf::entities::{Entity, EntityType};

/// The most entities drawn (inserts expanded), and the deepest nesting of blocks.
pub const MAX_ENTITIES: usize = 200_000;
const MAX_DEPTH: usize = 8;
/// Segments per full turn of a circle, arc or ellipse.
const TURN_SEGMENTS: f64 = 96.0;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a DXF file the reader understands: {0}")]
    Malformed(String),
    #[error("the drawing has nothing to draw in model space")]
    Empty,
    #[error("the drawing has more than {MAX_ENTITIES} entities (with blocks expanded)")]
    TooLarge,
}

/// A drawing as SVG, and what was left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Svg {
    pub svg: String,
    /// Entities drawn.
    pub drawn: usize,
    /// Entities not drawn, by DXF type (`TEXT`, `HATCH`, …), sorted by type.
    pub skipped: Vec<(String, usize)>,
}

type Point = [f64; 2];

/// A 2D affine transform: `x' = a·x + b·y + e`, `y' = c·x + d·y + f`.
#[derive(Debug, Clone, Copy)]
struct Transform([f64; 6]);

impl Transform {
    const IDENTITY: Self = Self([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);

    fn apply(&self, [x, y]: Point) -> Point {
        let [a, b, c, d, e, f] = self.0;
        [a * x + b * y + e, c * x + d * y + f]
    }

    /// `self` after `inner` (inner applies first).
    fn then(&self, inner: &Self) -> Self {
        let [a, b, c, d, e, f] = self.0;
        let [a2, b2, c2, d2, e2, f2] = inner.0;
        Self([
            a * a2 + b * c2,
            a * b2 + b * d2,
            c * a2 + d * c2,
            c * b2 + d * d2,
            a * e2 + b * f2 + e,
            c * e2 + d * f2 + f,
        ])
    }
}

struct Collector<'a> {
    blocks: HashMap<&'a str, &'a dxf::Block>,
    lines: Vec<Vec<Point>>,
    drawn: usize,
    skipped: HashMap<String, usize>,
}

/// Reads a DXF file and draws it.
pub fn to_svg(bytes: &[u8]) -> Result<Svg, Error> {
    let drawing = dxf::Drawing::load(&mut std::io::Cursor::new(bytes))
        .map_err(|e| Error::Malformed(e.to_string()))?;
    let mut collector = Collector {
        blocks: drawing.blocks().map(|b| (b.name.as_str(), b)).collect(),
        lines: Vec::new(),
        drawn: 0,
        skipped: HashMap::new(),
    };
    for entity in drawing.entities() {
        if entity.common.is_in_paper_space {
            continue;
        }
        collector.entity(entity, &Transform::IDENTITY, 0)?;
    }
    let mut skipped: Vec<(String, usize)> = collector.skipped.into_iter().collect();
    skipped.sort();
    let svg = write_svg(&collector.lines).ok_or(Error::Empty)?;
    Ok(Svg {
        svg,
        drawn: collector.drawn,
        skipped,
    })
}

/// Points along an arc around `center` of `radius` from `start` sweeping `sweep` radians
/// (positive: counter-clockwise).
fn arc(center: Point, radius: f64, start: f64, sweep: f64) -> Vec<Point> {
    let steps = ((sweep.abs() / TAU) * TURN_SEGMENTS)
        .ceil()
        .clamp(2.0, TURN_SEGMENTS) as usize;
    (0..=steps)
        .map(|i| {
            let t = start + sweep * i as f64 / steps as f64;
            [center[0] + radius * t.cos(), center[1] + radius * t.sin()]
        })
        .collect()
}

/// A polyline's vertices with their bulges (the tangent of a quarter of each segment's arc)
/// as points.
fn bulged(vertices: &[(Point, f64)], closed: bool) -> Vec<Point> {
    let mut out = Vec::new();
    let count = vertices.len();
    let segments = if closed {
        count
    } else {
        count.saturating_sub(1)
    };
    if let Some((first, _)) = vertices.first() {
        out.push(*first);
    }
    for i in 0..segments {
        let (p1, bulge) = vertices[i];
        let (p2, _) = vertices[(i + 1) % count];
        if bulge.abs() < 1e-12 || !bulge.is_finite() {
            out.push(p2);
            continue;
        }
        let theta = 4.0 * bulge.atan();
        let chord = [p2[0] - p1[0], p2[1] - p1[1]];
        let length = chord[0].hypot(chord[1]);
        if length < 1e-12 {
            continue;
        }
        let radius = length / (2.0 * (theta / 2.0).sin());
        let normal = [-chord[1] / length, chord[0] / length];
        let h = radius * (theta / 2.0).cos();
        let center = [
            (p1[0] + p2[0]) / 2.0 + normal[0] * h,
            (p1[1] + p2[1]) / 2.0 + normal[1] * h,
        ];
        let start = (p1[1] - center[1]).atan2(p1[0] - center[0]);
        out.extend(arc(center, radius.abs(), start, theta).into_iter().skip(1));
    }
    out
}

impl Collector<'_> {
    fn entity(&mut self, entity: &Entity, to: &Transform, depth: usize) -> Result<(), Error> {
        if self.drawn >= MAX_ENTITIES {
            return Err(Error::TooLarge);
        }
        // Entities whose extrusion points down are mirrored in x (their object coordinates).
        let mirror = |z: f64| {
            if z < 0.0 {
                to.then(&Transform([-1.0, 0.0, 0.0, 1.0, 0.0, 0.0]))
            } else {
                *to
            }
        };
        let xy = |p: &dxf::Point| [p.x, p.y];
        let shape: Option<(Transform, Vec<Point>)> = match &entity.specific {
            EntityType::Line(line) => Some((*to, vec![xy(&line.p1), xy(&line.p2)])),
            EntityType::Circle(circle) => Some((
                mirror(circle.normal.z),
                arc(xy(&circle.center), circle.radius, 0.0, TAU),
            )),
            EntityType::Arc(a) => {
                let start = a.start_angle.to_radians();
                let mut sweep = a.end_angle.to_radians() - start;
                if sweep <= 0.0 {
                    sweep += TAU;
                }
                Some((
                    mirror(a.normal.z),
                    arc(xy(&a.center), a.radius, start, sweep),
                ))
            }
            EntityType::Ellipse(e) => {
                let (c, major) = (xy(&e.center), [e.major_axis.x, e.major_axis.y]);
                let minor = [
                    -major[1] * e.minor_axis_ratio,
                    major[0] * e.minor_axis_ratio,
                ];
                let mut sweep = e.end_parameter - e.start_parameter;
                if sweep <= 0.0 {
                    sweep += TAU;
                }
                let steps = ((sweep / TAU) * TURN_SEGMENTS)
                    .ceil()
                    .clamp(2.0, TURN_SEGMENTS) as usize;
                let points = (0..=steps)
                    .map(|i| {
                        let t = e.start_parameter + sweep * i as f64 / steps as f64;
                        [
                            c[0] + major[0] * t.cos() + minor[0] * t.sin(),
                            c[1] + major[1] * t.cos() + minor[1] * t.sin(),
                        ]
                    })
                    .collect();
                Some((mirror(e.normal.z), points))
            }
            EntityType::LwPolyline(p) => {
                let vertices: Vec<(Point, f64)> =
                    p.vertices.iter().map(|v| ([v.x, v.y], v.bulge)).collect();
                Some((
                    mirror(p.extrusion_direction.z),
                    bulged(&vertices, p.is_closed()),
                ))
            }
            EntityType::Polyline(p) => {
                let vertices: Vec<(Point, f64)> =
                    p.vertices().map(|v| (xy(&v.location), v.bulge)).collect();
                Some((mirror(p.normal.z), bulged(&vertices, p.is_closed())))
            }
            EntityType::Spline(s) => {
                let points = if s.fit_points.len() >= 2 {
                    &s.fit_points
                } else {
                    &s.control_points
                };
                Some((*to, points.iter().map(xy).collect()))
            }
            EntityType::Insert(insert) => {
                let Some(block) = self.blocks.get(insert.name.as_str()).copied() else {
                    *self.skipped.entry("INSERT".into()).or_default() += 1;
                    return Ok(());
                };
                if depth >= MAX_DEPTH {
                    *self.skipped.entry("INSERT".into()).or_default() += 1;
                    return Ok(());
                }
                let (sin, cos) = insert.rotation.to_radians().sin_cos();
                let (sx, sy) = (insert.x_scale_factor, insert.y_scale_factor);
                let place = Transform([
                    cos * sx,
                    -sin * sy,
                    sin * sx,
                    cos * sy,
                    insert.location.x,
                    insert.location.y,
                ]);
                let base =
                    Transform([1.0, 0.0, 0.0, 1.0, -block.base_point.x, -block.base_point.y]);
                let inner = to.then(&place).then(&base);
                for child in &block.entities {
                    self.entity(child, &inner, depth + 1)?;
                }
                return Ok(());
            }
            _ => None,
        };
        match shape {
            Some((transform, points)) if points.len() >= 2 => {
                let points: Vec<Point> = points.into_iter().map(|p| transform.apply(p)).collect();
                if points.iter().flatten().all(|v| v.is_finite()) {
                    self.lines.push(points);
                    self.drawn += 1;
                }
            }
            Some(_) => {}
            None => {
                *self.skipped.entry(type_name(&entity.specific)).or_default() += 1;
            }
        }
        Ok(())
    }
}

/// The DXF name of an entity type not drawn (`TEXT`, `HATCH`).
fn type_name(specific: &EntityType) -> String {
    let debug = format!("{specific:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or("OTHER");
    name.to_ascii_uppercase()
}

/// The polylines as an SVG (y flipped so that up is up), or `None` when there are none.
fn write_svg(lines: &[Vec<Point>]) -> Option<String> {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for p in lines.iter().flatten() {
        for axis in 0..2 {
            min[axis] = min[axis].min(p[axis]);
            max[axis] = max[axis].max(p[axis]);
        }
    }
    if !min[0].is_finite() {
        return None;
    }
    let size = [(max[0] - min[0]).max(1e-6), (max[1] - min[1]).max(1e-6)];
    let margin = size[0].max(size[1]) * 0.02;
    // Six significant digits of the drawing's size: small drawings keep their detail.
    let decimals = (5 - size[0].max(size[1]).log10().floor() as i32).clamp(0, 6) as usize;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{:.d$} {:.d$} {:.d$} {:.d$}\" \
         width=\"{:.d$}\" height=\"{:.d$}\" fill=\"none\" stroke=\"#1f2933\" \
         stroke-linecap=\"round\" stroke-linejoin=\"round\">",
        min[0] - margin,
        -max[1] - margin,
        size[0] + 2.0 * margin,
        size[1] + 2.0 * margin,
        size[0] + 2.0 * margin,
        size[1] + 2.0 * margin,
        d = decimals,
    );
    svg.push_str("<path vector-effect=\"non-scaling-stroke\" stroke-width=\"1.25\" d=\"");
    for line in lines {
        for (i, p) in line.iter().enumerate() {
            let _ = write!(
                svg,
                "{}{:.d$} {:.d$}",
                if i == 0 { "M" } else { "L" },
                p[0],
                -p[1],
                d = decimals
            );
        }
    }
    svg.push_str("\"/></svg>\n");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DXF file of `entities` (group code/value pairs, one per line) in R12 form.
    fn dxf(entities: &str) -> Vec<u8> {
        format!("0\nSECTION\n2\nENTITIES\n{entities}0\nENDSEC\n0\nEOF\n").into_bytes()
    }

    fn numbers(svg: &str) -> Vec<f64> {
        let d = svg.split(" d=\"").nth(1).unwrap();
        d.split(['M', 'L', ' ', '"'])
            .filter_map(|n| n.parse().ok())
            .collect()
    }

    #[test]
    fn lines_circles_and_arcs_are_drawn_y_up() {
        let drawing = to_svg(&dxf(
            "0\nLINE\n8\n0\n10\n0\n20\n0\n30\n0\n11\n100\n21\n50\n31\n0\n\
             0\nCIRCLE\n8\n0\n10\n50\n20\n25\n30\n0\n40\n10\n\
             0\nARC\n8\n0\n10\n0\n20\n0\n30\n0\n40\n20\n50\n0\n51\n90\n",
        ))
        .unwrap();
        assert_eq!(drawing.drawn, 3);
        assert!(drawing.skipped.is_empty());
        let svg = &drawing.svg;
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        // The line's end (100, 50) is written as (100, -50): SVG's y points down.
        let n = numbers(svg);
        assert_eq!(&n[..4], &[0.0, 0.0, 100.0, -50.0]);
        // The circle's points stay on its radius.
        let circle: Vec<&[f64]> = n[4..4 + 2 * 97].chunks(2).collect();
        for p in &circle {
            let r = (p[0] - 50.0).hypot(-p[1] - 25.0);
            assert!((r - 10.0).abs() < 1e-3, "{p:?}");
        }
        // The arc goes counter-clockwise from 0° to 90°: ends at (0, 20).
        let end = &n[n.len() - 2..];
        assert!(
            end[0].abs() < 1e-3 && (end[1] + 20.0).abs() < 1e-3,
            "{end:?}"
        );
    }

    #[test]
    fn a_bulge_makes_a_polyline_segment_an_arc() {
        // A half circle from (0, 0) to (10, 0), bulge 1, counter-clockwise: below the chord.
        let drawing = to_svg(&dxf(
            "0\nLWPOLYLINE\n8\n0\n90\n2\n70\n0\n10\n0\n20\n0\n42\n1\n10\n10\n20\n0\n",
        ))
        .unwrap();
        let n = numbers(&drawing.svg);
        let points: Vec<&[f64]> = n.chunks(2).collect();
        assert!(points.len() > 10);
        for p in &points {
            let r = (p[0] - 5.0).hypot(-p[1]);
            assert!((r - 5.0).abs() < 1e-3, "{p:?}");
            assert!(-p[1] <= 1e-9, "below the chord: {p:?}");
        }
    }

    #[test]
    fn blocks_are_placed_and_text_is_counted_not_drawn() {
        let file = "0\nSECTION\n2\nBLOCKS\n0\nBLOCK\n8\n0\n2\nTAB\n70\n0\n10\n0\n20\n0\n30\n0\n\
             0\nLINE\n8\n0\n10\n0\n20\n0\n30\n0\n11\n10\n21\n0\n31\n0\n0\nENDBLK\n\
             0\nENDSEC\n0\nSECTION\n2\nENTITIES\n\
             0\nINSERT\n8\n0\n2\nTAB\n10\n100\n20\n100\n30\n0\n41\n2\n42\n2\n50\n90\n\
             0\nTEXT\n8\n0\n10\n0\n20\n0\n30\n0\n40\n5\n1\n<script>alert(1)</script>\n\
             0\nENDSEC\n0\nEOF\n";
        let drawing = to_svg(file.as_bytes()).unwrap();
        assert_eq!(drawing.drawn, 1);
        assert_eq!(drawing.skipped, vec![("TEXT".to_owned(), 1)]);
        assert!(!drawing.svg.contains("script"));
        // (10, 0) scaled by 2, turned 90°, moved to (100, 100): (100, 120).
        let n = numbers(&drawing.svg);
        assert!(
            (n[2] - 100.0).abs() < 1e-6 && (n[3] + 120.0).abs() < 1e-6,
            "{n:?}"
        );
    }

    #[test]
    fn broken_and_empty_drawings_are_errors() {
        assert!(matches!(
            to_svg(b"not a drawing at all"),
            Err(Error::Malformed(_)) | Err(Error::Empty)
        ));
        assert!(matches!(to_svg(&dxf("")), Err(Error::Empty)));
        // Cut short anywhere: an error or what was read before, never a panic.
        let whole = dxf("0\nLINE\n8\n0\n10\n0\n20\n0\n11\n5\n21\n5\n");
        for end in 0..whole.len() {
            let _ = to_svg(&whole[..end]);
        }
    }

    #[test]
    fn the_sample_drawings_all_draw() {
        let designs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../designs");
        let mut seen = 0;
        for design in std::fs::read_dir(designs).unwrap() {
            let cad = design.unwrap().path().join("cad");
            for file in std::fs::read_dir(cad).into_iter().flatten() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|e| e == "dxf") {
                    let drawing = to_svg(&std::fs::read(&path).unwrap())
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    assert!(drawing.drawn > 0, "{}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen >= 10, "{seen} sample drawings");
    }
}
