//! Wavefront OBJ: `v` vertices and `f` faces (`i`, `i/t`, `i//n`, `i/t/n`; negative indices
//! count back from the latest vertex), polygons as fans. Everything else (normals, texture
//! coordinates, groups, materials) is skipped: the viewer needs only the shape. OBJ has no
//! unit; millimetres are assumed, as slicers do.

use super::{Error, Mesh, Point, text_point};

pub fn parse(bytes: &[u8]) -> Result<Mesh, Error> {
    let text = String::from_utf8_lossy(bytes);
    let mut vertices: Vec<Point> = Vec::new();
    let mut triangles = Vec::new();
    let mut face: Vec<Point> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let mut words = line.split_ascii_whitespace();
        match words.next() {
            Some("v") => {
                vertices.push(text_point(&mut words, "v", line_no)?);
            }
            Some("f") => {
                face.clear();
                for word in words {
                    let index = word.split('/').next().unwrap_or_default();
                    let index: i64 = index.parse().map_err(|_| {
                        Error::at_line(line_no, format!("`{word}` is not a vertex index"))
                    })?;
                    let count = vertices.len() as i64;
                    let at = match index {
                        1.. if index <= count => index - 1,
                        ..=-1 if -index <= count => count + index,
                        _ => {
                            return Err(Error::at_line(
                                line_no,
                                format!("vertex {index} does not exist ({count} vertices so far)"),
                            ));
                        }
                    };
                    face.push(vertices[at as usize]);
                }
                if face.len() < 3 {
                    return Err(Error::at_line(
                        line_no,
                        format!("a face needs three vertices, this one has {}", face.len()),
                    ));
                }
                for i in 1..face.len() - 1 {
                    triangles.push([face[0], face[i], face[i + 1]]);
                }
            }
            _ => {}
        }
    }
    Ok(Mesh { triangles })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_of_every_index_form_become_triangles() {
        let text = "# a unit square and a triangle\nmtllib part.mtl\no part\n\
            v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\n\
            usemtl steel\ns off\nf 1/1/1 2/1/1 3/1/1 4/1/1\nf -4//1 -3//1 -1//1\nf 1 2 3\n";
        let mesh = parse(text.as_bytes()).unwrap();
        assert_eq!(mesh.triangles.len(), 4);
        assert_eq!(
            mesh.triangles[0],
            [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
        );
        assert_eq!(
            mesh.triangles[1],
            [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
        );
        assert_eq!(
            mesh.triangles[2],
            [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
        );
    }

    #[test]
    fn malformed_files_say_where() {
        let err = parse(b"v 0 0 0\nv 1 0 0\nf 1 2 3\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "line 3: vertex 3 does not exist (2 vertices so far)");
        let err = parse(b"v 0 0\n").unwrap_err().to_string();
        assert_eq!(err, "line 1: `v` needs three numbers");
        let err = parse(b"v 0 0 0\nv 1 0 0\nf 1 2\n").unwrap_err().to_string();
        assert_eq!(err, "line 3: a face needs three vertices, this one has 2");
        let err = parse(b"v 0 0 0\nf a b c\n").unwrap_err().to_string();
        assert_eq!(err, "line 2: `a` is not a vertex index");
        let err = parse(b"v 0 0 0\nf 0 1 1\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: vertex 0 does not exist"), "{err}");
        assert!(matches!(
            crate::mesh::parse(crate::mesh::Format::Obj, b"# nothing\n"),
            Err(Error::Empty)
        ));
    }
}
