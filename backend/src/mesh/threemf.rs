//! 3MF (3D Manufacturing Format core specification 1.3): a zip whose root relationship names
//! the model part, an XML file of objects (a mesh of `vertex`es and `triangle`s, or
//! `component`s placing other objects) and the `build` items that place objects on the plate.
//! Components in other parts (`p:path`, the production extension PrusaSlicer and Bambu Studio
//! write) are followed. Units are the root model's `unit`, converted to millimetres.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read, Seek};

use quick_xml::events::{BytesStart, Event};

use super::{Error, Mesh, Point};

/// The most XML read from one part, uncompressed.
const MAX_PART: u64 = 512 << 20;
/// The most triangles a model may place (one object placed many times counts each time).
const MAX_TRIANGLES: usize = 20_000_000;
/// The deepest nesting of components.
const MAX_DEPTH: usize = 32;
const DEFAULT_MODEL: &str = "3D/3dmodel.model";

/// A 3MF transform: three rows of the 3 × 3 matrix, then the translation (row vectors:
/// `p' = p · M`).
type Transform = [f64; 12];
const IDENTITY: Transform = [1., 0., 0., 0., 1., 0., 0., 0., 1., 0., 0., 0.];

#[derive(Debug, Default)]
struct Object {
    vertices: Vec<Point>,
    triangles: Vec<[u32; 3]>,
    components: Vec<Placement>,
}

/// An object placed by a build item or a component.
#[derive(Debug, Clone)]
struct Placement {
    object: u32,
    /// The part holding the object (normalized, no leading `/`); `None` for the same part.
    part: Option<String>,
    transform: Transform,
}

#[derive(Debug, Default)]
struct Part {
    /// Millimetres per unit.
    unit: f64,
    objects: HashMap<u32, Object>,
    build: Vec<Placement>,
}

pub fn parse(bytes: &[u8]) -> Result<Mesh, Error> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|err| Error::Malformed(format!("not a 3MF file (3MF is a zip archive): {err}")))?;
    let root = root_part(&mut zip)?;
    let mut parts = HashMap::new();
    let mut pending = vec![root.clone()];
    while let Some(name) = pending.pop() {
        if parts.contains_key(&name) {
            continue;
        }
        let part = read_part(&mut zip, &name)?;
        for object in part.objects.values() {
            pending.extend(object.components.iter().filter_map(|c| c.part.clone()));
        }
        parts.insert(name, part);
    }
    let unit = parts[&root].unit;
    let mut out = Placer {
        parts: &parts,
        triangles: Vec::new(),
        unit,
        active: HashSet::new(),
    };
    if parts[&root].build.is_empty() {
        return Err(Error::Malformed(format!(
            "{root}: the model's <build> places no object"
        )));
    }
    for item in &parts[&root].build {
        out.place(&root, item, &IDENTITY, 0)?;
    }
    Ok(Mesh {
        triangles: out.triangles,
    })
}

/// The model part the package's root relationship names, else the usual `3D/3dmodel.model`.
fn root_part<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<String, Error> {
    let Ok(rels) = entry(zip, "_rels/.rels") else {
        return Ok(DEFAULT_MODEL.into());
    };
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(rels.take(MAX_PART)));
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == b"Relationship" => {
                let kind = attribute(&e, b"Type").unwrap_or_default();
                if kind.ends_with("/3dmodel")
                    && let Some(target) = attribute(&e, b"Target")
                {
                    return Ok(normalize(&target));
                }
            }
            Ok(Event::Eof) => return Ok(DEFAULT_MODEL.into()),
            Ok(_) => {}
            Err(err) => return Err(Error::Malformed(format!("_rels/.rels: {err}"))),
        }
        buf.clear();
    }
}

/// An entry by name, exactly or else in any case (zips made by hand vary).
fn entry<'a, R: Read + Seek>(
    zip: &'a mut zip::ZipArchive<R>,
    name: &str,
) -> Result<zip::read::ZipFile<'a, R>, Error> {
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let found = names
        .iter()
        .find(|n| *n == name)
        .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(name)))
        .ok_or_else(|| Error::Malformed(format!("the 3MF archive has no part {name}")))?;
    zip.by_name(found)
        .map_err(|err| Error::Malformed(format!("{name}: {err}")))
}

fn normalize(path: &str) -> String {
    path.trim_start_matches('/').to_owned()
}

fn attribute(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

fn read_part<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, name: &str) -> Result<Part, Error> {
    let file = entry(zip, name)?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(file.take(MAX_PART)));
    let mut part = Part {
        unit: 1.0,
        ..Part::default()
    };
    let mut current: Option<(u32, Object)> = None;
    let mut buf = Vec::new();
    let bad = |what: String| Error::Malformed(format!("{name}: {what}"));
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|err| bad(format!("{err} (at byte {})", reader.error_position())))?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"model" => {
                    let unit = attribute(&e, b"unit").unwrap_or_else(|| "millimeter".into());
                    part.unit = match unit.as_str() {
                        "micron" => 0.001,
                        "millimeter" => 1.0,
                        "centimeter" => 10.0,
                        "inch" => 25.4,
                        "foot" => 304.8,
                        "meter" => 1000.0,
                        other => return Err(bad(format!("unknown unit `{other}`"))),
                    };
                }
                b"object" => {
                    let id = number::<u32>(&e, b"id").map_err(&bad)?;
                    current = Some((id, Object::default()));
                }
                b"vertex" => {
                    let (_, object) = current
                        .as_mut()
                        .ok_or_else(|| bad("a <vertex> outside an <object>".into()))?;
                    let mut point = [0.0f32; 3];
                    for (slot, axis) in point.iter_mut().zip([b"x", b"y", b"z"]) {
                        let value = number::<f32>(&e, axis).map_err(&bad)?;
                        if !value.is_finite() {
                            return Err(bad(format!(
                                "vertex {} has a coordinate that is not a finite number",
                                object.vertices.len()
                            )));
                        }
                        *slot = value;
                    }
                    object.vertices.push(point);
                }
                b"triangle" => {
                    let (_, object) = current
                        .as_mut()
                        .ok_or_else(|| bad("a <triangle> outside an <object>".into()))?;
                    let mut corners = [0u32; 3];
                    for (slot, key) in corners.iter_mut().zip([b"v1", b"v2", b"v3"]) {
                        *slot = number::<u32>(&e, key).map_err(&bad)?;
                    }
                    object.triangles.push(corners);
                }
                b"component" => {
                    let (_, object) = current
                        .as_mut()
                        .ok_or_else(|| bad("a <component> outside an <object>".into()))?;
                    object.components.push(placement(&e).map_err(&bad)?);
                }
                b"item" => part.build.push(placement(&e).map_err(&bad)?),
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"object" => {
                if let Some((id, object)) = current.take() {
                    part.objects.insert(id, object);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(part)
}

fn number<T: std::str::FromStr>(e: &BytesStart, key: &[u8]) -> Result<T, String> {
    let tag = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let key_name = String::from_utf8_lossy(key);
    let value = attribute(e, key).ok_or_else(|| format!("a <{tag}> without `{key_name}`"))?;
    value
        .trim()
        .parse()
        .map_err(|_| format!("<{tag} {key_name}=\"{value}\">: not a number"))
}

fn placement(e: &BytesStart) -> Result<Placement, String> {
    let object = number::<u32>(e, b"objectid")?;
    let transform = match attribute(e, b"transform") {
        None => IDENTITY,
        Some(text) => {
            let values: Vec<f64> = text
                .split_ascii_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|_| format!("transform \"{text}\": not twelve numbers"))?;
            values
                .try_into()
                .map_err(|_| format!("transform \"{text}\": not twelve numbers"))?
        }
    };
    Ok(Placement {
        object,
        part: attribute(e, b"path").map(|p| normalize(&p)),
        transform,
    })
}

/// `a`, then `b`.
fn then(a: &Transform, b: &Transform) -> Transform {
    let mut out = [0.0; 12];
    for row in 0..4 {
        for col in 0..3 {
            let mut sum = if row == 3 { b[9 + col] } else { 0.0 };
            for k in 0..3 {
                sum += a[row * 3 + k] * b[k * 3 + col];
            }
            out[row * 3 + col] = sum;
        }
    }
    out
}

fn apply(m: &Transform, p: Point, unit: f64) -> Point {
    let [x, y, z] = p.map(f64::from);
    [0, 1, 2].map(|c| ((x * m[c] + y * m[3 + c] + z * m[6 + c] + m[9 + c]) * unit) as f32)
}

struct Placer<'a> {
    parts: &'a HashMap<String, Part>,
    triangles: Vec<[Point; 3]>,
    unit: f64,
    /// The objects being placed, to catch components that refer back to their own object.
    active: HashSet<(String, u32)>,
}

impl Placer<'_> {
    fn place(
        &mut self,
        part_name: &str,
        placement: &Placement,
        outer: &Transform,
        depth: usize,
    ) -> Result<(), Error> {
        let part_name = placement.part.as_deref().unwrap_or(part_name).to_owned();
        let id = placement.object;
        let object = self.parts[&part_name]
            .objects
            .get(&id)
            .ok_or_else(|| Error::Malformed(format!("{part_name}: no object with id {id}")))?;
        if depth > MAX_DEPTH || !self.active.insert((part_name.clone(), id)) {
            return Err(Error::Malformed(format!(
                "{part_name}: the components of object {id} refer back to it"
            )));
        }
        let transform = then(&placement.transform, outer);
        if self.triangles.len() + object.triangles.len() > MAX_TRIANGLES {
            return Err(Error::Malformed(format!(
                "the model places more than {MAX_TRIANGLES} triangles"
            )));
        }
        for (n, corners) in object.triangles.iter().enumerate() {
            let mut triangle = [[0.0; 3]; 3];
            for (slot, &v) in triangle.iter_mut().zip(corners) {
                let point = object.vertices.get(v as usize).ok_or_else(|| {
                    Error::Malformed(format!(
                        "{part_name}: object {id}, triangle {}: vertex {v} does not exist ({} vertices)",
                        n + 1,
                        object.vertices.len()
                    ))
                })?;
                *slot = apply(&transform, *point, self.unit);
            }
            self.triangles.push(triangle);
        }
        for component in &object.components {
            self.place(&part_name, component, &transform, depth + 1)?;
        }
        self.active.remove(&(part_name, id));
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::mesh::tests::cuboid;

    /// A zip of `(name, text)` entries.
    pub(crate) fn package(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>"#;

    /// An object of `mesh` as 3MF XML.
    fn object_xml(id: u32, mesh: &crate::mesh::Mesh) -> String {
        let mut vertices = String::new();
        let mut triangles = String::new();
        for (t, triangle) in mesh.triangles.iter().enumerate() {
            for p in triangle {
                vertices.push_str(&format!(
                    "<vertex x=\"{}\" y=\"{}\" z=\"{}\"/>",
                    p[0], p[1], p[2]
                ));
            }
            let base = t * 3;
            triangles.push_str(&format!(
                "<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>",
                base,
                base + 1,
                base + 2
            ));
        }
        format!(
            "<object id=\"{id}\" type=\"model\"><mesh><vertices>{vertices}</vertices><triangles>{triangles}</triangles></mesh></object>"
        )
    }

    /// A 3MF of one 10 × 20 × 30 box (in `unit`), placed by the build with `transform`.
    pub(crate) fn box_3mf(unit: &str, transform: &str) -> Vec<u8> {
        let model = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="{unit}" xml:lang="en-US" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
 <metadata name="Application">test</metadata>
 <resources>{}</resources>
 <build><item objectid="1" transform="{transform}"/></build>
</model>"#,
            object_xml(1, &cuboid([10.0, 20.0, 30.0]))
        );
        package(&[
            ("[Content_Types].xml", "<Types/>"),
            ("_rels/.rels", RELS),
            ("3D/3dmodel.model", &model),
        ])
    }

    #[test]
    fn a_box_is_read_in_millimetres_and_placed_by_its_build_item() {
        let mesh = parse(&box_3mf("millimeter", "1 0 0 0 1 0 0 0 1 100 0 5")).unwrap();
        let stats = mesh.stats().unwrap();
        assert_eq!(stats.triangles, 12);
        assert_eq!(stats.min, [100.0, 0.0, 5.0]);
        assert_eq!(stats.size(), [10.0, 20.0, 30.0]);

        let inches = parse(&box_3mf("inch", "1 0 0 0 1 0 0 0 1 0 0 0")).unwrap();
        let size = inches.stats().unwrap().size();
        assert!((size[0] - 254.0).abs() < 1e-3, "{size:?}");
    }

    #[test]
    fn components_in_other_parts_are_followed_as_slicers_write_them() {
        // PrusaSlicer and Bambu Studio: the root model holds an object of components
        // (production extension `p:path`) whose meshes are in 3D/Objects/*.model.
        let object = format!(
            r#"<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>{}</resources></model>"#,
            object_xml(7, &cuboid([1.0, 1.0, 1.0]))
        );
        let root = r#"<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02" xmlns:p="http://schemas.microsoft.com/3dmanufacturing/production/2015/06">
 <resources><object id="2" type="model"><components>
  <component p:path="/3D/Objects/object_1.model" objectid="7" transform="1 0 0 0 1 0 0 0 1 0 0 0"/>
  <component p:path="/3D/Objects/object_1.model" objectid="7" transform="2 0 0 0 2 0 0 0 2 10 0 0"/>
 </components></object></resources>
 <build><item objectid="2" transform="1 0 0 0 1 0 0 0 1 0 0 1"/></build></model>"#;
        let bytes = package(&[
            ("_rels/.rels", RELS),
            ("3D/3dmodel.model", root),
            ("3D/Objects/object_1.model", &object),
        ]);
        let stats = parse(&bytes).unwrap().stats().unwrap();
        assert_eq!(stats.triangles, 24);
        assert_eq!(stats.min, [0.0, 0.0, 1.0]);
        assert_eq!(stats.max, [12.0, 2.0, 3.0]);
        assert!((stats.volume - 9.0).abs() < 1e-6, "{}", stats.volume);
    }

    #[test]
    fn malformed_packages_say_what_is_wrong() {
        let err = parse(b"solid not a zip").unwrap_err().to_string();
        assert!(err.starts_with("not a 3MF file"), "{err}");

        let err = parse(&package(&[("_rels/.rels", RELS)]))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "the 3MF archive has no part 3D/3dmodel.model");

        let model = r#"<model unit="millimeter"><resources><object id="1"><mesh><vertices><vertex x="0" y="0" z="0"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object></resources><build><item objectid="1"/></build></model>"#;
        let err = parse(&package(&[("3D/3dmodel.model", model)]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "3D/3dmodel.model: object 1, triangle 1: vertex 1 does not exist (1 vertices)"
        );

        let model = r#"<model><resources><object id="1"><mesh><vertices><vertex x="0" y="one" z="0"/></vertices></mesh></object></resources></model>"#;
        let err = parse(&package(&[("3D/3dmodel.model", model)]))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "3D/3dmodel.model: <vertex y=\"one\">: not a number");

        let model = r#"<model><resources><object id="1"><components><component objectid="1"/></components></object></resources><build><item objectid="1"/></build></model>"#;
        let err = parse(&package(&[("3D/3dmodel.model", model)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("refer back to it"), "{err}");

        let err = parse(&package(&[("3D/3dmodel.model", "<model><resources>")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the model's <build> places no object"),
            "{err}"
        );

        let err = parse(&package(&[("3D/3dmodel.model", "<model><a></b></model>")]))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("3D/3dmodel.model: "), "{err}");
    }
}
