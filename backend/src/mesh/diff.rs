//! Which parts of a model changed between two versions, for the overlaid model diff. A
//! triangle of the new version that lies on the old version's surface is *same*, else
//! *added*; a triangle of the old version that lies off the new surface is *removed*.
//! **Invariant:** every triangle of `after` is in exactly one of `same` and `added`, every
//! triangle of `before` either in `removed` or on the new surface; the classes are decided by
//! geometry (within [`Changes::tolerance`]), so a part re-triangulated by its exporter but not
//! moved stays *same*.
//!
//! "On the surface" means the corners, the edge midpoints and the centroid are all within the
//! tolerance of some triangle of the other version, found through an R-tree (`rstar`). The
//! point-to-triangle distance is written here (Ericson's closest-point regions, a few lines).

use std::collections::HashSet;

use bytes::Bytes;
use rstar::{AABB, PointDistance, RTree, RTreeObject};

use super::{Point, Triangle, Weighed};

/// The tolerance as a share of the bounding box's diagonal (0.01 mm on a 100 mm part).
const RELATIVE_TOLERANCE: f64 = 1e-4;
/// The smallest tolerance, in millimetres (an STL's `f32` corners carry about seven digits).
const MIN_TOLERANCE: f64 = 1e-4;

/// The two versions' triangles, sorted into what stayed, what came and what went.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub same: Vec<Triangle>,
    pub added: Vec<Triangle>,
    pub removed: Vec<Triangle>,
    /// How far (mm) a point may lie from the other surface and still be on it.
    pub tolerance: f64,
}

/// Sorts the triangles of `before` and `after` (either may be empty).
pub fn compare(before: &[Triangle], after: &[Triangle]) -> Changes {
    let tolerance = tolerance_for(before.iter().chain(after));
    let (old_surface, new_surface) = (Surface::new(before), Surface::new(after));
    let mut changes = Changes {
        tolerance,
        ..Changes::default()
    };
    for triangle in after {
        if old_surface.holds(triangle, tolerance) {
            changes.same.push(*triangle);
        } else {
            changes.added.push(*triangle);
        }
    }
    changes.removed = before
        .iter()
        .filter(|triangle| !new_surface.holds(triangle, tolerance))
        .copied()
        .collect();
    changes
}

/// [`Changes`] as the viewer draws them ([`super::wire`]'s form, one buffer per class).
#[derive(Debug)]
pub struct Drawn {
    pub same: Bytes,
    pub added: Bytes,
    pub removed: Bytes,
    pub tolerance: f64,
    /// Whether either side was simplified for display before it was compared.
    pub simplified: bool,
}

impl Drawn {
    pub fn new(changes: &Changes, simplified: bool) -> Self {
        let part = |triangles: &[Triangle]| Bytes::from(super::wire(triangles));
        Self {
            same: part(&changes.same),
            added: part(&changes.added),
            removed: part(&changes.removed),
            tolerance: changes.tolerance,
            simplified,
        }
    }

    /// The triangles of each class: same, added, removed.
    pub fn counts(&self) -> [u64; 3] {
        [&self.same, &self.added, &self.removed].map(|b| b.len() as u64 / 36)
    }
}

impl Weighed for Drawn {
    fn weight(&self) -> usize {
        self.same.len() + self.added.len() + self.removed.len()
    }
}

fn tolerance_for<'a>(triangles: impl Iterator<Item = &'a Triangle>) -> f64 {
    let mut bounds: Option<(Point, Point)> = None;
    for corner in triangles.flatten() {
        let (min, max) = bounds.get_or_insert((*corner, *corner));
        for axis in 0..3 {
            min[axis] = min[axis].min(corner[axis]);
            max[axis] = max[axis].max(corner[axis]);
        }
    }
    let diagonal = bounds.map_or(0.0, |(min, max)| {
        (0..3)
            .map(|axis| f64::from(max[axis] - min[axis]).powi(2))
            .sum::<f64>()
            .sqrt()
    });
    (diagonal * RELATIVE_TOLERANCE).max(MIN_TOLERANCE)
}

/// One version's triangles, searchable by place; exact copies are found without a search.
struct Surface {
    tree: RTree<Face>,
    exact: HashSet<[[u32; 3]; 3]>,
}

impl Surface {
    fn new(triangles: &[Triangle]) -> Self {
        Self {
            tree: RTree::bulk_load(triangles.iter().map(|t| Face(*t)).collect()),
            exact: triangles.iter().map(exact_key).collect(),
        }
    }

    /// Whether `triangle` lies on this surface.
    fn holds(&self, triangle: &Triangle, tolerance: f64) -> bool {
        if self.exact.contains(&exact_key(triangle)) {
            return true;
        }
        let [a, b, c] = triangle.map(|p| p.map(f64::from));
        let mid = |p: [f64; 3], q: [f64; 3]| [0, 1, 2].map(|i| (p[i] + q[i]) / 2.0);
        let centroid = [0, 1, 2].map(|i| (a[i] + b[i] + c[i]) / 3.0);
        let within = (tolerance * tolerance) as f32;
        [a, b, c, mid(a, b), mid(b, c), mid(c, a), centroid]
            .into_iter()
            .all(|point| {
                let point = point.map(|v| v as f32);
                self.tree
                    .locate_within_distance(point, within)
                    .next()
                    .is_some()
            })
    }
}

/// A triangle's corners as bits, in an order that does not depend on where it starts.
fn exact_key(triangle: &Triangle) -> [[u32; 3]; 3] {
    let mut corners = triangle.map(|p| p.map(|v| (v + 0.0).to_bits()));
    corners.sort_unstable();
    corners
}

/// A triangle in the R-tree.
struct Face(Triangle);

impl RTreeObject for Face {
    type Envelope = AABB<Point>;

    fn envelope(&self) -> Self::Envelope {
        let [a, b, c] = self.0;
        let pick = |f: fn(f32, f32) -> f32| [0, 1, 2].map(|i| f(f(a[i], b[i]), c[i]));
        AABB::from_corners(pick(f32::min), pick(f32::max))
    }
}

impl PointDistance for Face {
    fn distance_2(&self, point: &Point) -> f32 {
        distance_2(point.map(f64::from), self.0.map(|p| p.map(f64::from))) as f32
    }
}

type V = [f64; 3];

fn sub(p: V, q: V) -> V {
    [p[0] - q[0], p[1] - q[1], p[2] - q[2]]
}

fn dot(p: V, q: V) -> f64 {
    p[0] * q[0] + p[1] * q[1] + p[2] * q[2]
}

fn along(p: V, direction: V, t: f64) -> V {
    [0, 1, 2].map(|i| p[i] + direction[i] * t)
}

/// The squared distance from `p` to the triangle `[a, b, c]` (a degenerate one included).
fn distance_2(p: V, [a, b, c]: [V; 3]) -> f64 {
    let squared = |q: V| dot(sub(p, q), sub(p, q));
    let (ab, ac, ap) = (sub(b, a), sub(c, a), sub(p, a));
    let (d1, d2) = (dot(ab, ap), dot(ac, ap));
    if d1 <= 0.0 && d2 <= 0.0 {
        return squared(a);
    }
    let bp = sub(p, b);
    let (d3, d4) = (dot(ab, bp), dot(ac, bp));
    if d3 >= 0.0 && d4 <= d3 {
        return squared(b);
    }
    let vc = d1 * d4 - d3 * d2;
    if vc <= 0.0 && d1 >= 0.0 && d3 <= 0.0 {
        return squared(along(a, ab, d1 / (d1 - d3)));
    }
    let cp = sub(p, c);
    let (d5, d6) = (dot(ab, cp), dot(ac, cp));
    if d6 >= 0.0 && d5 <= d6 {
        return squared(c);
    }
    let vb = d5 * d2 - d1 * d6;
    if vb <= 0.0 && d2 >= 0.0 && d6 <= 0.0 {
        return squared(along(a, ac, d2 / (d2 - d6)));
    }
    let va = d3 * d6 - d5 * d4;
    if va <= 0.0 && d4 - d3 >= 0.0 && d5 - d6 >= 0.0 {
        return squared(along(b, sub(c, b), (d4 - d3) / ((d4 - d3) + (d5 - d6))));
    }
    let area = va + vb + vc;
    if area <= 0.0 {
        // No inside for a flat triangle: the nearest corner is close enough.
        return squared(a).min(squared(b)).min(squared(c));
    }
    let (v, w) = (vb / area, vc / area);
    squared(along(along(a, ab, v), ac, w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::Mesh;

    fn moved(mesh: &Mesh, by: Point) -> Vec<Triangle> {
        mesh.triangles
            .iter()
            .map(|t| t.map(|p| [p[0] + by[0], p[1] + by[1], p[2] + by[2]]))
            .collect()
    }

    #[test]
    fn the_distance_to_a_triangle_is_measured_from_its_face_edges_and_corners() {
        let t = [[0.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0]];
        assert_eq!(distance_2([1.0, 1.0, 3.0], t), 9.0, "above the face");
        assert_eq!(distance_2([2.0, -2.0, 0.0], t), 4.0, "beside an edge");
        assert_eq!(distance_2([-3.0, -4.0, 0.0], t), 25.0, "past a corner");
        assert_eq!(distance_2([3.0, 3.0, 0.0], t), 2.0, "beside the long edge");
        let flat = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]];
        assert!(distance_2([1.0, 1.0, 0.0], flat).is_finite());
    }

    #[test]
    fn an_unchanged_model_is_all_same_even_when_triangulated_differently() {
        let mesh = Mesh::cuboid([10.0, 20.0, 30.0]);
        let changes = compare(&mesh.triangles, &mesh.triangles);
        assert_eq!(
            (
                changes.same.len(),
                changes.added.len(),
                changes.removed.len()
            ),
            (12, 0, 0)
        );
        // The same box with every face split along its other diagonal.
        let split: Vec<Triangle> = mesh
            .triangles
            .chunks(2)
            .flat_map(|pair| {
                let ([a, b, c], [_, _, d]) = (pair[0], pair[1]);
                [[a, b, d], [b, c, d]]
            })
            .collect();
        let changes = compare(&mesh.triangles, &split);
        assert_eq!(
            (
                changes.same.len(),
                changes.added.len(),
                changes.removed.len()
            ),
            (12, 0, 0),
            "{changes:?}"
        );
    }

    #[test]
    fn a_new_block_is_added_and_a_moved_one_is_removed_and_added() {
        let base = Mesh::cuboid([10.0, 10.0, 10.0]);
        let extra = moved(&Mesh::cuboid([2.0, 2.0, 2.0]), [20.0, 0.0, 0.0]);
        let after: Vec<Triangle> = base.triangles.iter().copied().chain(extra).collect();
        let changes = compare(&base.triangles, &after);
        assert_eq!(
            (
                changes.same.len(),
                changes.added.len(),
                changes.removed.len()
            ),
            (12, 12, 0)
        );
        let shifted = moved(&base, [0.0, 0.0, 5.0]);
        let changes = compare(&base.triangles, &shifted);
        // The side faces overlap half-way but their corners left the old surface.
        assert_eq!(changes.same.len(), 0, "{changes:?}");
        assert_eq!((changes.added.len(), changes.removed.len()), (12, 12));
        // The two boxes span 10 × 10 × 15 mm together.
        assert!((changes.tolerance - 425f64.sqrt() * RELATIVE_TOLERANCE).abs() < 1e-12);
    }

    #[test]
    fn a_model_that_appears_or_goes_is_all_added_or_all_removed() {
        let mesh = Mesh::cuboid([1.0, 2.0, 3.0]);
        let appeared = compare(&[], &mesh.triangles);
        assert_eq!((appeared.added.len(), appeared.removed.len()), (12, 0));
        let gone = compare(&mesh.triangles, &[]);
        assert_eq!((gone.same.len(), gone.removed.len()), (0, 12));
        assert_eq!(
            compare(&[], &[]),
            Changes {
                tolerance: MIN_TOLERANCE,
                ..Changes::default()
            }
        );
    }
}
