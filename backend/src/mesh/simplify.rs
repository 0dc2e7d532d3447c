//! Vertex clustering (Rossignac and Borrel): corners are snapped to the mean of their cell in
//! a grid over the bounds; triangles that collapse, or repeat another, are dropped. Coarse but
//! linear in time and memory, which is what a preview of a dense scan needs. Written here: the
//! simplifiers in crates (meshopt) are C++ bindings that need an indexed mesh first.

use std::collections::{HashMap, HashSet};

use super::{Mesh, Point};

/// `mesh` (more than `max` triangles) with at most `max`, the grid made coarser until it fits.
pub fn cluster(mesh: &Mesh, max: usize) -> Mesh {
    let Some(stats) = mesh.stats() else {
        return Mesh::default();
    };
    let extent = stats.size().into_iter().fold(f32::MIN_POSITIVE, f32::max);
    // A closed surface over an n³ grid has about 4n² triangles.
    let mut cells = ((max as f64 / 4.0).sqrt().clamp(2.0, 1_000_000.0)) as u32;
    loop {
        let out = at_resolution(mesh, stats.min, extent / cells as f32);
        if out.triangles.len() <= max || cells <= 2 {
            return out;
        }
        cells = (cells as f64 * 0.8) as u32;
    }
}

fn at_resolution(mesh: &Mesh, min: Point, cell: f32) -> Mesh {
    let key = |p: &Point| {
        let index = |axis: usize| (((p[axis] - min[axis]) / cell) as u64).min((1 << 21) - 1);
        index(0) << 42 | index(1) << 21 | index(2)
    };
    let mut sums: HashMap<u64, ([f64; 3], u32)> = HashMap::new();
    for corner in mesh.triangles.iter().flatten() {
        let entry = sums.entry(key(corner)).or_default();
        for (sum, value) in entry.0.iter_mut().zip(corner) {
            *sum += f64::from(*value);
        }
        entry.1 += 1;
    }
    let mean = |k: u64| {
        let (sum, count) = sums[&k];
        sum.map(|s| (s / f64::from(count)) as f32)
    };
    let mut seen = HashSet::new();
    let mut triangles = Vec::new();
    for triangle in &mesh.triangles {
        let keys = triangle.each_ref().map(key);
        if keys[0] == keys[1] || keys[1] == keys[2] || keys[0] == keys[2] {
            continue;
        }
        let mut sorted = keys;
        sorted.sort_unstable();
        if seen.insert(sorted) {
            triangles.push(keys.map(mean));
        }
    }
    Mesh { triangles }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sphere of radius 50 as a UV grid of `n` × `n` quads.
    fn sphere(n: usize) -> Mesh {
        let point = |i: usize, j: usize| {
            let theta = std::f32::consts::PI * i as f32 / n as f32;
            let phi = 2.0 * std::f32::consts::PI * j as f32 / n as f32;
            [
                50.0 * theta.sin() * phi.cos(),
                50.0 * theta.sin() * phi.sin(),
                50.0 * theta.cos(),
            ]
        };
        let mut triangles = Vec::new();
        for i in 0..n {
            for j in 0..n {
                let (a, b, c, d) = (
                    point(i, j),
                    point(i + 1, j),
                    point(i + 1, j + 1),
                    point(i, j + 1),
                );
                triangles.push([a, b, c]);
                triangles.push([a, c, d]);
            }
        }
        Mesh { triangles }
    }

    #[test]
    fn a_dense_mesh_is_cut_to_the_limit_and_keeps_its_shape() {
        let dense = sphere(300);
        assert_eq!(dense.triangles.len(), 180_000);
        let before = dense.stats().unwrap();
        let simple = dense.simplified(10_000);
        let after = simple.stats().unwrap();
        assert!(after.triangles <= 10_000, "{}", after.triangles);
        assert!(after.triangles > 2_000, "too coarse: {}", after.triangles);
        for axis in 0..3 {
            assert!(
                (after.size()[axis] - before.size()[axis]).abs() < 5.0,
                "{after:?}"
            );
        }
        assert!(
            (after.volume - before.volume).abs() / before.volume < 0.1,
            "{after:?}"
        );
    }

    #[test]
    fn a_mesh_under_the_limit_is_left_alone() {
        let mesh = sphere(10);
        assert_eq!(mesh.clone().simplified(1000), mesh);
    }
}
