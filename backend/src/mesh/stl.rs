//! STL, binary and ASCII. A file is binary when its length is exactly what its triangle count
//! says (many binary files start with `solid` too), ASCII when it starts with `solid`.

use super::{Error, Mesh, Point, coordinate, text_point};

const HEADER: usize = 80;
const RECORD: usize = 50;

pub fn parse(bytes: &[u8]) -> Result<Mesh, Error> {
    let count = bytes
        .get(HEADER..HEADER + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let binary_length = count.map(|n| (HEADER + 4).saturating_add(n.saturating_mul(RECORD)));
    let ascii = bytes
        .trim_ascii_start()
        .get(..5)
        .is_some_and(|word| word.eq_ignore_ascii_case(b"solid"));
    match (count, binary_length) {
        (Some(count), Some(length))
            if length == bytes.len() || (!ascii && length < bytes.len()) =>
        {
            binary(bytes, count)
        }
        _ if ascii => text(bytes),
        (Some(count), Some(length)) => Err(Error::Malformed(format!(
            "binary STL: the header says {count} triangles ({length} bytes) but the file has {} bytes",
            bytes.len()
        ))),
        _ => Err(Error::Malformed(format!(
            "not an STL file: {} bytes, too short for a binary STL and not starting with `solid`",
            bytes.len()
        ))),
    }
}

/// A binary STL of `corners` (nine little-endian `f32`s per triangle, as
/// [`Mesh::to_le_bytes`] writes them), with `header` (cut to 80 bytes) and each facet's normal.
pub fn write_binary(corners: &[u8], header: &str) -> Vec<u8> {
    let triangles = corners.chunks_exact(36);
    let mut out = Vec::with_capacity(HEADER + 4 + triangles.len() * RECORD);
    let mut head = [b' '; HEADER];
    let text = header.as_bytes();
    let text = &text[..text.len().min(HEADER)];
    head[..text.len()].copy_from_slice(text);
    out.extend_from_slice(&head);
    out.extend_from_slice(&(triangles.len() as u32).to_le_bytes());
    for triangle in triangles {
        let f: Vec<f32> = triangle
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let (u, v) = (
            [f[3] - f[0], f[4] - f[1], f[5] - f[2]],
            [f[6] - f[0], f[7] - f[1], f[8] - f[2]],
        );
        let n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        let length = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
        for value in n {
            let unit = if length > 0.0 { value / length } else { 0.0 };
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out.extend_from_slice(triangle);
        out.extend_from_slice(&[0, 0]);
    }
    out
}

fn binary(bytes: &[u8], count: usize) -> Result<Mesh, Error> {
    let mut triangles = Vec::with_capacity(count);
    let records = bytes[HEADER + 4..].chunks_exact(RECORD).take(count);
    for (n, record) in records.enumerate() {
        // 12 bytes of normal (recomputed by the viewer), then three corners, then 2 bytes.
        let value = |i: usize| {
            let at = 12 + i * 4;
            f32::from_le_bytes([record[at], record[at + 1], record[at + 2], record[at + 3]])
        };
        let mut corners = [[0.0; 3]; 3];
        for (c, corner) in corners.iter_mut().enumerate() {
            for (axis, slot) in corner.iter_mut().enumerate() {
                *slot = coordinate(value(c * 3 + axis), || {
                    format!("triangle {} (corner {})", n + 1, c + 1)
                })?;
            }
        }
        triangles.push(corners);
    }
    Ok(Mesh { triangles })
}

fn text(bytes: &[u8]) -> Result<Mesh, Error> {
    let text = String::from_utf8_lossy(bytes);
    let mut triangles = Vec::new();
    let mut corners: Vec<Point> = Vec::with_capacity(3);
    let mut in_loop = false;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let mut words = line.split_ascii_whitespace();
        match words.next().map(str::to_ascii_lowercase).as_deref() {
            Some("outer") => {
                in_loop = true;
                corners.clear();
            }
            Some("vertex") => {
                if !in_loop {
                    return Err(Error::at_line(line_no, "`vertex` outside an `outer loop`"));
                }
                corners.push(text_point(&mut words, "vertex", line_no)?);
            }
            Some("endloop") => {
                if corners.len() < 3 {
                    return Err(Error::at_line(
                        line_no,
                        format!(
                            "a facet needs three vertices, this one has {}",
                            corners.len()
                        ),
                    ));
                }
                // Three corners by the standard; a polygon from a lax exporter as a fan.
                for i in 1..corners.len() - 1 {
                    triangles.push([corners[0], corners[i], corners[i + 1]]);
                }
                in_loop = false;
            }
            _ => {}
        }
    }
    if in_loop {
        return Err(Error::Malformed(
            "the file ends inside a facet (no `endloop`)".into(),
        ));
    }
    Ok(Mesh { triangles })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mesh::tests::cuboid;

    /// `mesh` as a binary STL, with `header` (padded to 80 bytes) first.
    pub(crate) fn binary_stl(mesh: &Mesh, header: &[u8]) -> Vec<u8> {
        write_binary(
            &mesh.to_le_bytes(),
            std::str::from_utf8(header).expect("text"),
        )
    }

    #[test]
    fn written_binary_stl_reads_back_with_unit_normals() {
        let mesh = cuboid([10.0, 20.0, 30.0]);
        let bytes = write_binary(&mesh.to_le_bytes(), "atelier");
        assert_eq!(bytes.len(), HEADER + 4 + 12 * RECORD);
        assert!(bytes.starts_with(b"atelier "));
        assert_eq!(parse(&bytes).unwrap(), mesh);
        let normal: Vec<f32> = bytes[HEADER + 4..HEADER + 16]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let length = normal.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((length - 1.0).abs() < 1e-6, "{normal:?}");
    }

    fn ascii_stl(mesh: &Mesh) -> String {
        let mut out = String::from("solid cube\n");
        for [a, b, c] in &mesh.triangles {
            out.push_str("  facet normal 0 0 0\n    outer loop\n");
            for p in [a, b, c] {
                out.push_str(&format!("      vertex {:e} {} {}\n", p[0], p[1], p[2]));
            }
            out.push_str("    endloop\n  endfacet\n");
        }
        out.push_str("endsolid cube\n");
        out
    }

    #[test]
    fn binary_and_ascii_give_the_same_triangles() {
        let cube = cuboid([10.0, 20.0, 30.0]);
        assert_eq!(parse(&binary_stl(&cube, b"binary")).unwrap(), cube);
        assert_eq!(parse(ascii_stl(&cube).as_bytes()).unwrap(), cube);
    }

    #[test]
    fn a_binary_file_whose_header_says_solid_is_binary() {
        // SolidWorks and others write "solid <name>" into the binary header.
        let cube = cuboid([1.0, 1.0, 1.0]);
        let bytes = binary_stl(&cube, b"solid part exported by a CAD tool");
        assert_eq!(parse(&bytes).unwrap(), cube);
    }

    #[test]
    fn ascii_keywords_in_capitals_and_crlf_lines_are_read() {
        let text = "SOLID x\r\nFACET NORMAL 0 0 1\r\nOUTER LOOP\r\nVERTEX 0 0 0\r\nVERTEX 1 0 0\r\nVERTEX 0 1 0\r\nENDLOOP\r\nENDFACET\r\nENDSOLID\r\n";
        let mesh = parse(text.as_bytes()).unwrap();
        assert_eq!(
            mesh.triangles,
            vec![[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]
        );
    }

    #[test]
    fn malformed_files_say_where() {
        let cube = cuboid([1.0, 1.0, 1.0]);
        let mut truncated = binary_stl(&cube, b"bin");
        truncated.truncate(84 + 50 * 5 + 7);
        let err = parse(&truncated).unwrap_err().to_string();
        assert!(err.contains("says 12 triangles"), "{err}");

        let bad = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 zero 0\n";
        let err = parse(bad.as_bytes()).unwrap_err().to_string();
        assert_eq!(err, "line 5: `zero` is not a number");

        let short =
            "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nendloop\n";
        let err = parse(short.as_bytes()).unwrap_err().to_string();
        assert!(
            err.starts_with("line 6: a facet needs three vertices"),
            "{err}"
        );

        let open = "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\n";
        assert!(
            parse(open.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("ends inside a facet")
        );

        let nan = "solid x\nouter loop\nvertex NaN 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\n";
        let err = parse(nan.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("not a finite number"), "{err}");

        let err = parse(b"hello").unwrap_err().to_string();
        assert!(err.starts_with("not an STL file"), "{err}");
    }

    #[test]
    fn a_nan_in_a_binary_file_names_its_triangle() {
        let mut cube = cuboid([1.0, 1.0, 1.0]);
        cube.triangles[3][1][2] = f32::INFINITY;
        let err = parse(&binary_stl(&cube, b"bin")).unwrap_err().to_string();
        assert_eq!(err, "triangle 4 (corner 2) is not a finite number");
    }
}
