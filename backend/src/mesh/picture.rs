//! A model drawn as a picture (PNG) for cards and Open Graph: seen from the front right and
//! above (z up), orthographic, fitted to the frame, flat-shaded with a z-buffer at twice the
//! size and averaged down (smooth edges). Written here: it is a few dozen lines of
//! arithmetic, and the crates that draw 3D need a GPU or pull in a whole engine; `png`
//! encodes. **Invariant:** any triangles (degenerate, huge, none) give a picture of the
//! requested size, never a panic.

use super::{Mesh, Point, Stats};

/// The size of card pictures, in pixels (16:9, twice a card's size on a phone).
pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 360;

/// Colours of a picture, as RGB.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub background: [u8; 3],
    pub surface: [u8; 3],
    /// The share of the frame the model's outline fills, at most.
    pub fill: f32,
}

/// A design's model.
pub const MODEL: Style = Style {
    background: [0xf3, 0xf4, 0xf6],
    surface: [0x4f, 0x7c, 0xa8],
    fill: 0.82,
};

/// The neutral picture of a design without a model: a pale block.
pub const PLACEHOLDER: Style = Style {
    background: [0xf3, 0xf4, 0xf6],
    surface: [0xc4, 0xc9, 0xd0],
    fill: 0.45,
};

const SUPERSAMPLE: usize = 2;

fn sub(a: Point, b: Point) -> Point {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn dot(a: Point, b: Point) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: Point, b: Point) -> Point {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(a: Point) -> Point {
    let length = dot(a, a).sqrt();
    if length > 0.0 && length.is_finite() {
        a.map(|v| v / length)
    } else {
        [0.0, 0.0, 0.0]
    }
}

/// Draws `corners` (nine little-endian `f32`s per triangle) within `stats`' bounds as a PNG of
/// `width` × `height`.
pub fn draw(corners: &[u8], stats: &Stats, width: u32, height: u32, style: &Style) -> Vec<u8> {
    let (w, h) = (
        width.max(1) as usize * SUPERSAMPLE,
        height.max(1) as usize * SUPERSAMPLE,
    );
    // The camera: towards the viewer, right and up on the screen.
    let toward = unit([1.0, -1.0, 0.9]);
    let right = unit(cross([0.0, 0.0, 1.0], toward));
    let up = cross(toward, right);
    let light = unit([0.6, -0.9, 1.4]);
    let center = [0, 1, 2].map(|a| (stats.min[a] + stats.max[a]) / 2.0);
    // The scale that fits the bounding box's outline into the frame.
    let (mut extent_x, mut extent_y) = (0.0f32, 0.0f32);
    for corner in 0..8 {
        let p = [0, 1, 2].map(|a| {
            if corner >> a & 1 == 1 {
                stats.max[a]
            } else {
                stats.min[a]
            }
        });
        let d = sub(p, center);
        extent_x = extent_x.max(dot(d, right).abs());
        extent_y = extent_y.max(dot(d, up).abs());
    }
    let scale = (style.fill * w as f32 / (2.0 * extent_x.max(1e-6)))
        .min(style.fill * h as f32 / (2.0 * extent_y.max(1e-6)));
    let scale = if scale.is_finite() { scale } else { 1.0 };
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);

    let mut depth = vec![f32::NEG_INFINITY; w * h];
    let mut shade = vec![0u8; w * h];
    for triangle in corners.chunks_exact(36) {
        let mut p = [[0.0f32; 3]; 3];
        for (n, value) in triangle.chunks_exact(4).enumerate() {
            p[n / 3][n % 3] = f32::from_le_bytes([value[0], value[1], value[2], value[3]]);
        }
        let normal = unit(cross(sub(p[1], p[0]), sub(p[2], p[0])));
        // Both sides lit: files do not always wind their triangles outwards.
        let lit = 0.38 + 0.62 * dot(normal, light).abs();
        let level = (lit.clamp(0.0, 1.0) * 255.0) as u8;
        let s = p.map(|q| {
            let d = sub(q, center);
            [
                cx + dot(d, right) * scale,
                cy - dot(d, up) * scale,
                dot(d, toward),
            ]
        });
        fill_triangle(&s, level, w, h, &mut depth, &mut shade);
    }

    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height as usize {
        for x in 0..width as usize {
            let mut sum = [0u32; 3];
            for dy in 0..SUPERSAMPLE {
                for dx in 0..SUPERSAMPLE {
                    let i = (y * SUPERSAMPLE + dy) * w + x * SUPERSAMPLE + dx;
                    let colour = if depth[i] == f32::NEG_INFINITY {
                        style.background
                    } else {
                        let level = u32::from(shade[i]);
                        style.surface.map(|c| (u32::from(c) * level / 255) as u8)
                    };
                    for (total, c) in sum.iter_mut().zip(colour) {
                        *total += u32::from(c);
                    }
                }
            }
            let n = (SUPERSAMPLE * SUPERSAMPLE) as u32;
            pixels.extend(sum.map(|total| (total / n) as u8));
        }
    }
    encode(&pixels, width.max(1), height.max(1))
}

/// Fills one screen-space triangle (x, y in pixels, z towards the viewer) into the buffers.
fn fill_triangle(
    s: &[[f32; 3]; 3],
    level: u8,
    w: usize,
    h: usize,
    depth: &mut [f32],
    shade: &mut [u8],
) {
    let area =
        (s[1][0] - s[0][0]) * (s[2][1] - s[0][1]) - (s[2][0] - s[0][0]) * (s[1][1] - s[0][1]);
    if area.abs() < 1e-9 || !area.is_finite() {
        return;
    }
    let min_x = s
        .iter()
        .map(|p| p[0])
        .fold(f32::INFINITY, f32::min)
        .floor()
        .max(0.0);
    let max_x = s
        .iter()
        .map(|p| p[0])
        .fold(f32::NEG_INFINITY, f32::max)
        .ceil()
        .min(w as f32 - 1.0);
    let min_y = s
        .iter()
        .map(|p| p[1])
        .fold(f32::INFINITY, f32::min)
        .floor()
        .max(0.0);
    let max_y = s
        .iter()
        .map(|p| p[1])
        .fold(f32::NEG_INFINITY, f32::max)
        .ceil()
        .min(h as f32 - 1.0);
    if min_x > max_x || min_y > max_y {
        return;
    }
    for y in min_y as usize..=max_y as usize {
        let py = y as f32 + 0.5;
        for x in min_x as usize..=max_x as usize {
            let px = x as f32 + 0.5;
            let edge = |a: &[f32; 3], b: &[f32; 3]| {
                (b[0] - a[0]) * (py - a[1]) - (b[1] - a[1]) * (px - a[0])
            };
            let w0 = edge(&s[1], &s[2]) / area;
            let w1 = edge(&s[2], &s[0]) / area;
            let w2 = edge(&s[0], &s[1]) / area;
            if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                continue;
            }
            let z = w0 * s[0][2] + w1 * s[1][2] + w2 * s[2][2];
            let i = y * w + x;
            if z > depth[i] {
                depth[i] = z;
                shade[i] = level;
            }
        }
    }
}

fn encode(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // Writing whole RGB rows into a Vec fails only on a size mismatch, which cannot happen.
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(pixels));
    debug_assert!(written.is_ok());
    out
}

/// The picture of a design without a model.
pub fn placeholder(width: u32, height: u32) -> Vec<u8> {
    let block = Mesh::cuboid([40.0, 30.0, 20.0]);
    let stats = block.stats().expect("a block has triangles");
    draw(&block.to_le_bytes(), &stats, width, height, &PLACEHOLDER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    #[test]
    fn a_box_is_drawn_centred_in_the_model_colour_on_the_background() {
        let block = Mesh::cuboid([10.0, 20.0, 30.0]);
        let stats = block.stats().unwrap();
        let (w, h, pixels) = decode(&draw(&block.to_le_bytes(), &stats, 160, 90, &MODEL));
        assert_eq!((w, h), (160, 90));
        let at = |x: usize, y: usize| &pixels[(y * 160 + x) * 3..(y * 160 + x) * 3 + 3];
        assert_eq!(at(0, 0), MODEL.background);
        assert_eq!(at(159, 89), MODEL.background);
        let centre = at(80, 45);
        assert_ne!(centre, MODEL.background);
        // A shade of the surface colour: blue stays the strongest channel.
        assert!(centre[2] > centre[0], "{centre:?}");
        let drawn = pixels
            .chunks_exact(3)
            .filter(|p| *p != MODEL.background)
            .count();
        assert!(drawn > 160 * 90 / 8, "only {drawn} pixels drawn");
    }

    #[test]
    fn the_three_visible_faces_are_shaded_apart() {
        let block = Mesh::cuboid([10.0, 10.0, 10.0]);
        let stats = block.stats().unwrap();
        let (_, _, pixels) = decode(&draw(&block.to_le_bytes(), &stats, 200, 200, &MODEL));
        let mut shades: Vec<&[u8]> = pixels
            .chunks_exact(3)
            .filter(|p| *p != MODEL.background)
            .collect();
        shades.sort();
        shades.dedup();
        // Three faces plus the blended edge pixels.
        assert!(shades.len() >= 3, "{shades:?}");
    }

    #[test]
    fn degenerate_and_empty_input_still_gives_a_picture() {
        let flat = Mesh {
            triangles: vec![[[0.0; 3], [0.0; 3], [0.0; 3]]; 4],
        };
        let stats = flat.stats().unwrap();
        let (w, h, pixels) = decode(&draw(&flat.to_le_bytes(), &stats, 32, 18, &MODEL));
        assert_eq!((w, h), (32, 18));
        assert!(pixels.chunks_exact(3).all(|p| p == MODEL.background));
        let (w, h, _) = decode(&placeholder(WIDTH, HEIGHT));
        assert_eq!((w, h), (WIDTH, HEIGHT));
    }
}
