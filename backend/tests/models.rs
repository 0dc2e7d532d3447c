//! 3D models through the API: `model` measures an STL, OBJ or 3MF file at a revision and
//! `mesh` gives the triangles the viewer draws; bad files get a 422 that names the file and
//! the place, never a 500.

mod common;

use std::io::Write as _;

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use common::{As, TestApp};

async fn commit_ok(app: &TestApp, cookie: &str, changes: Value) -> String {
    let (_, detail) = app.json("/api/designs/ada/lamp").await;
    let made = app
        .request(
            Method::POST,
            "/api/designs/ada/lamp/commits",
            &As::Cookie(cookie.to_owned()),
            Some(json!({"branch": "main", "expected_head": detail["head"],
                "message": "Models", "changes": changes})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    made.json()["id"].as_str().unwrap().to_owned()
}

/// A binary STL of a `w` × `d` plate of `n` × `n` squares at height `h` (two triangles each)
/// plus nothing else: an open surface, so only its bounds are checked.
fn plate_stl(n: usize, w: f32, d: f32, h: f32) -> Vec<u8> {
    let mut out = vec![b' '; 80];
    out.extend_from_slice(&((n * n * 2) as u32).to_le_bytes());
    let p = |i: usize, j: usize| [w * i as f32 / n as f32, d * j as f32 / n as f32, h];
    for i in 0..n {
        for j in 0..n {
            for triangle in [
                [p(i, j), p(i + 1, j), p(i + 1, j + 1)],
                [p(i, j), p(i + 1, j + 1), p(i, j + 1)],
            ] {
                out.extend_from_slice(&[0; 12]);
                for value in triangle.iter().flatten() {
                    out.extend_from_slice(&value.to_le_bytes());
                }
                out.extend_from_slice(&[0; 2]);
            }
        }
    }
    out
}

/// A unit cube (1 mm³) as OBJ text, eight vertices and six quads.
const CUBE_OBJ: &str = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 0 1\nv 1 0 1\nv 1 1 1\nv 0 1 1\n\
    f 1 4 3 2\nf 5 6 7 8\nf 1 2 6 5\nf 2 3 7 6\nf 3 4 8 7\nf 4 1 5 8\n";

#[tokio::test]
async fn a_large_binary_stl_is_measured_and_served_as_triangles() {
    let app = TestApp::with(|config| config.max_upload = 8 << 20).await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    // 2 × 150² = 45,000 triangles: 2.25 MB, so it is read through the blob cache.
    let stl = plate_stl(150, 120.0, 80.0, 4.5);
    assert!(stl.len() as u64 > backend::blobs::INLINE);
    let uploaded = app.upload(&ada, "ada/lamp", "plate.stl", &stl).await;
    let commit = commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/Plate.STL", "upload_id": uploaded["upload_id"]}]),
    )
    .await;

    let (status, model) = app
        .json("/api/designs/ada/lamp/model/main/cad/Plate.STL")
        .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["format"], "stl");
    assert_eq!(model["commit"], commit.as_str());
    assert_eq!(model["triangles"], 45_000);
    assert_eq!(model["shown_triangles"], 45_000);
    assert_eq!(model["bounds"]["min"], json!([0.0, 0.0, 4.5]));
    assert_eq!(model["bounds"]["size"], json!([120.0, 80.0, 0.0]));
    let mesh_url = model["mesh_url"].as_str().unwrap();
    assert_eq!(
        mesh_url,
        format!("/api/designs/ada/lamp/mesh/{commit}/cad/Plate.STL")
    );

    let mesh = app.get(mesh_url).await;
    assert_eq!(mesh.status, StatusCode::OK);
    assert_eq!(
        mesh.headers[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert!(
        mesh.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(mesh.body.len(), 45_000 * 36);
    // The first corner of the first triangle, as the file has it.
    let first: Vec<f32> = mesh.body[..12]
        .chunks(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(first, vec![0.0, 0.0, 4.5]);
}

#[tokio::test]
async fn obj_and_3mf_are_measured_in_millimetres() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    // A 3MF in centimetres: the cube is 10 mm on a side.
    let model = r#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="centimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
<resources><object id="1" type="model"><mesh><vertices>
<vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="1" y="1" z="0"/><vertex x="0" y="1" z="0"/>
<vertex x="0" y="0" z="1"/><vertex x="1" y="0" z="1"/><vertex x="1" y="1" z="1"/><vertex x="0" y="1" z="1"/>
</vertices><triangles>
<triangle v1="0" v2="3" v3="2"/><triangle v1="0" v2="2" v3="1"/><triangle v1="4" v2="5" v3="6"/><triangle v1="4" v2="6" v3="7"/>
<triangle v1="0" v2="1" v3="5"/><triangle v1="0" v2="5" v3="4"/><triangle v1="1" v2="2" v3="6"/><triangle v1="1" v2="6" v3="5"/>
<triangle v1="2" v2="3" v3="7"/><triangle v1="2" v2="7" v3="6"/><triangle v1="3" v2="0" v3="4"/><triangle v1="3" v2="4" v3="7"/>
</triangles></mesh></object></resources>
<build><item objectid="1"/></build></model>"#;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("3D/3dmodel.model", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(model.as_bytes()).unwrap();
    let threemf = zip.finish().unwrap().into_inner();
    let uploaded = app.upload(&ada, "ada/lamp", "cube.3mf", &threemf).await;
    commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "cad/cube.obj", "content": CUBE_OBJ},
            {"op": "put", "path": "cad/cube.3mf", "upload_id": uploaded["upload_id"]},
        ]),
    )
    .await;

    let (status, obj) = app
        .json("/api/designs/ada/lamp/model/main/cad/cube.obj")
        .await;
    assert_eq!(status, StatusCode::OK, "{obj}");
    assert_eq!(
        (obj["format"].as_str(), obj["triangles"].as_u64()),
        (Some("obj"), Some(12))
    );
    assert!(
        (obj["volume_mm3"].as_f64().unwrap() - 1.0).abs() < 1e-6,
        "{obj}"
    );

    let (status, cube) = app
        .json("/api/designs/ada/lamp/model/main/cad/cube.3mf")
        .await;
    assert_eq!(status, StatusCode::OK, "{cube}");
    assert_eq!(cube["format"], "3mf");
    assert_eq!(cube["bounds"]["size"], json!([10.0, 10.0, 10.0]));
    assert!(
        (cube["volume_mm3"].as_f64().unwrap() - 1000.0).abs() < 1e-3,
        "{cube}"
    );
}

/// [`CUBE_OBJ`] with a second unit cube 3 mm along x.
fn two_cubes_obj() -> String {
    let second: String = CUBE_OBJ
        .lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            match words.next()? {
                "v" => {
                    let x: f32 = words.next()?.parse().ok()?;
                    Some(format!(
                        "v {} {}\n",
                        x + 3.0,
                        words.collect::<Vec<_>>().join(" ")
                    ))
                }
                "f" => Some(format!(
                    "f {}\n",
                    words
                        .map(|i| (i.parse::<u32>().unwrap() + 8).to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                )),
                _ => None,
            }
        })
        .collect();
    // OBJ lists every vertex before a face may use it, so the new corners go first.
    let (vertices, faces): (Vec<&str>, Vec<&str>) =
        CUBE_OBJ.lines().partition(|l| l.starts_with("v "));
    let (more_vertices, more_faces): (Vec<&str>, Vec<&str>) =
        second.lines().partition(|l| l.starts_with("v "));
    [vertices, more_vertices, faces, more_faces]
        .concat()
        .join("\n")
        + "\n"
}

#[tokio::test]
async fn a_changed_model_is_sorted_into_same_added_and_removed_triangles() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let one = commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/box.obj", "content": CUBE_OBJ}]),
    )
    .await;
    let two = commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/box.obj", "content": two_cubes_obj()}]),
    )
    .await;
    let three = commit_ok(
        &app,
        &ada,
        json!([{"op": "move", "from": "cad/box.obj", "to": "cad/boxes.obj"}]),
    )
    .await;

    let (status, diff) = app
        .json(&format!(
            "/api/designs/ada/lamp/model-diff/{one}...{two}/cad/box.obj"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(
        (diff["base"].as_str(), diff["head"].as_str()),
        (Some(one.as_str()), Some(two.as_str()))
    );
    let counts = |d: &Value| {
        ["same", "added", "removed"].map(|k| d[format!("{k}_triangles")].as_u64().unwrap())
    };
    assert_eq!(counts(&diff), [12, 12, 0], "{diff}");
    assert_eq!(diff["simplified"], false);
    assert!(diff["tolerance_mm"].as_f64().unwrap() > 0.0);
    let added_url = diff["added_url"].as_str().unwrap();
    assert_eq!(
        added_url,
        format!("/api/designs/ada/lamp/mesh-diff/{one}...{two}/added/cad/box.obj")
    );
    let added = app.get(added_url).await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(added.body.len(), 12 * 36);
    assert!(
        added.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    // Every added corner is on the second cube, 3 to 4 mm along x.
    let xs: Vec<f32> = added
        .body
        .chunks(12)
        .map(|corner| f32::from_le_bytes(corner[..4].try_into().unwrap()))
        .collect();
    assert!(xs.iter().all(|x| (3.0..=4.0).contains(x)), "{xs:?}");
    let removed = app.get(diff["removed_url"].as_str().unwrap()).await;
    assert_eq!((removed.status, removed.body.len()), (StatusCode::OK, 0));
    let same = app.get(diff["same_url"].as_str().unwrap()).await;
    assert_eq!(same.body.len(), 12 * 36);

    // Backwards, the second cube goes; named by a branch, the answer is not kept for good.
    let (_, back) = app
        .json(&format!(
            "/api/designs/ada/lamp/model-diff/{two}...{one}/cad/box.obj"
        ))
        .await;
    assert_eq!(counts(&back), [12, 0, 12], "{back}");
    let by_branch = app
        .get(&format!(
            "/api/designs/ada/lamp/mesh-diff/{one}...main/same/cad/boxes.obj?base_path=cad/box.obj"
        ))
        .await;
    assert_eq!(by_branch.status, StatusCode::OK);
    assert_eq!(by_branch.headers[header::CACHE_CONTROL], "no-cache");

    // A renamed file is compared with its old path, which the part URLs carry.
    let (status, renamed) = app
        .json(&format!(
            "/api/designs/ada/lamp/model-diff/{two}...{three}/cad/boxes.obj?base_path=cad/box.obj"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(counts(&renamed), [24, 0, 0]);
    assert_eq!(renamed["base_path"], "cad/box.obj");
    assert!(
        renamed["same_url"]
            .as_str()
            .unwrap()
            .ends_with("/same/cad/boxes.obj?base_path=cad%2Fbox.obj"),
        "{renamed}"
    );

    // Bad requests name their bad part; a file missing on one side is a 404.
    for (url, status, names) in [
        (
            format!("model-diff/{one}/cad/box.obj"),
            StatusCode::BAD_REQUEST,
            one.clone(),
        ),
        (
            format!("model-diff/{one}.../cad/box.obj"),
            StatusCode::BAD_REQUEST,
            format!("{one}..."),
        ),
        (
            format!("mesh-diff/{one}...{two}/moved/cad/box.obj"),
            StatusCode::BAD_REQUEST,
            "moved".to_owned(),
        ),
        (
            format!("model-diff/{one}...{two}/README.md"),
            StatusCode::BAD_REQUEST,
            "README.md".to_owned(),
        ),
        (
            format!("model-diff/{one}...{three}/cad/boxes.obj"),
            StatusCode::NOT_FOUND,
            "boxes.obj".to_owned(),
        ),
    ] {
        let (got, body) = app.json(&format!("/api/designs/ada/lamp/{url}")).await;
        assert_eq!(got, status, "{url}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&names), "{url}: {message}");
    }
}

#[tokio::test]
async fn a_step_file_is_meshed_by_gmsh_and_a_broken_one_is_named() {
    // A STEP file as CAD programs write it: OpenCASCADE's (through gmsh, installed by set-up).
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("b.geo"),
        "SetFactory(\"OpenCASCADE\");\nBox(1) = {0, 0, 0, 40, 25, 8};\n",
    )
    .unwrap();
    let made = std::process::Command::new("gmsh")
        .args(["b.geo", "-0", "-o", "bracket.step", "-nopopup"])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let step = std::fs::read_to_string(work.path().join("bracket.step")).unwrap();
    assert!(step.starts_with("ISO-10303-21;"));

    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "cad/Bracket.STEP", "content": step},
            {"op": "put", "path": "cad/broken.stp", "content": "ISO-10303-21;\nHEADER;\nnonsense\n"},
        ]),
    )
    .await;
    let (status, model) = app
        .json("/api/designs/ada/lamp/model/main/cad/Bracket.STEP")
        .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["format"], "step");
    assert_eq!(model["bounds"]["size"], json!([40.0, 25.0, 8.0]));
    assert!(
        (model["volume_mm3"].as_f64().unwrap() - 8000.0).abs() < 1.0,
        "{model}"
    );
    let mesh = app.get(model["mesh_url"].as_str().unwrap()).await;
    assert_eq!(
        mesh.body.len() as u64,
        model["shown_triangles"].as_u64().unwrap() * 36
    );
    let (status, body) = app
        .json("/api/designs/ada/lamp/model/main/cad/broken.stp")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "bad_model");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cad/broken.stp: "),
        "{body}"
    );
}

#[tokio::test]
async fn a_kicad_board_is_drawn_by_kicad_cli_and_a_broken_one_is_named() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let board = r#"(kicad_pcb (version 20221018) (generator pcbnew)
  (general (thickness 1.6))
  (paper "A4")
  (layers (0 "F.Cu" signal) (31 "B.Cu" signal) (44 "Edge.Cuts" user))
  (gr_rect (start 100 100) (end 180 120) (layer "Edge.Cuts") (stroke (width 0.1) (type default)))
  (gr_line (start 105 105) (end 175 115) (layer "F.Cu") (stroke (width 1) (type default)))
)
"#;
    commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "pcb/driver.kicad_pcb", "content": board},
            {"op": "put", "path": "pcb/broken.kicad_pcb", "content": "(kicad_pcb (version 2022"},
        ]),
    )
    .await;
    let svg = app
        .get("/api/designs/ada/lamp/drawing/main/pcb/driver.kicad_pcb")
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(
        svg.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'"
    );
    let text = String::from_utf8(svg.body.to_vec()).unwrap();
    // Fitted to the 80 × 20 mm board.
    assert!(
        text.contains("width=\"80.") && text.contains("height=\"20."),
        "{text}"
    );
    let (status, body) = app
        .json("/api/designs/ada/lamp/drawing/main/pcb/broken.kicad_pcb")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "bad_drawing");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("pcb/broken.kicad_pcb: "),
        "{body}"
    );
}

#[tokio::test]
async fn bad_models_and_other_files_get_clear_errors() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "cad/broken.stl",
             "content": "solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 O 0\n"},
            {"op": "put", "path": "cad/empty.obj", "content": "# nothing yet\n"},
            {"op": "put", "path": "cad/fake.3mf", "content": "not a zip"},
        ]),
    )
    .await;
    for (path, message) in [
        (
            "cad/broken.stl",
            "cad/broken.stl: line 5: `O` is not a number",
        ),
        ("cad/empty.obj", "cad/empty.obj: the model has no triangles"),
        (
            "cad/fake.3mf",
            "cad/fake.3mf: not a 3MF file (3MF is a zip archive)",
        ),
    ] {
        let (status, body) = app
            .json(&format!("/api/designs/ada/lamp/model/main/{path}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["error"]["code"], "bad_model");
        let text = body["error"]["message"].as_str().unwrap();
        assert!(text.starts_with(message), "{path}: {text}");
        let mesh = app
            .get(&format!("/api/designs/ada/lamp/mesh/main/{path}"))
            .await;
        assert_eq!(mesh.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    let (status, body) = app.json("/api/designs/ada/lamp/model/main/README.md").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a 3D model")
    );
    let (status, _) = app
        .json("/api/designs/ada/lamp/model/main/cad/missing.stl")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.json("/api/designs/ada/nothing/model/main/a.stl").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn openscad_files_render_with_their_parameters() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "cad/lib/base.scad", "content": "module base(w) { cube([w, w, 2]); }\n"},
            {"op": "put", "path": "cad/plate.scad", "content":
                "use <lib/base.scad>\n/* [Size] */\n// Side of the plate\nside = 20; // [10:5:60]\nbase(side);\n"},
            {"op": "put", "path": "cad/escape.scad", "content": "include </etc/passwd>\ncube(1);\n"},
            {"op": "put", "path": "cad/outline.scad", "content": "w = 30; // [10:5:60]\nsquare([w, 12]);\n"},
        ]),
    )
    .await;

    let (status, form) = app
        .json("/api/designs/ada/lamp/customizer/main/cad/plate.scad")
        .await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(form["parameters"][0]["name"], "side");
    assert_eq!(form["parameters"][0]["widget"], "slider");
    assert_eq!(form["parameters"][0]["step"], 5.0);
    assert_eq!(form["parameters"][0]["group"], "Size");
    assert_eq!(form["parameters"][0]["description"], "Side of the plate");
    assert!(
        form["openscad"].as_str().unwrap().contains("OpenSCAD"),
        "{form}"
    );

    let (status, plate) = app
        .json("/api/designs/ada/lamp/model/main/cad/plate.scad")
        .await;
    assert_eq!(status, StatusCode::OK, "{plate}");
    assert_eq!(plate["format"], "scad");
    assert_eq!(plate["bounds"]["size"], json!([20.0, 20.0, 2.0]));
    let params = "%7B%22side%22%3A45%7D"; // {"side":45}
    let (status, wide) = app
        .json(&format!(
            "/api/designs/ada/lamp/model/main/cad/plate.scad?params={params}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{wide}");
    assert_eq!(wide["bounds"]["size"], json!([45.0, 45.0, 2.0]));
    let mesh = app.get(wide["mesh_url"].as_str().unwrap()).await;
    assert_eq!(mesh.status, StatusCode::OK);
    assert_eq!(
        mesh.body.len() as u64,
        wide["shown_triangles"].as_u64().unwrap() * 36
    );

    let (status, body) = app
        .json("/api/designs/ada/lamp/model/main/cad/escape.scad")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "scad_refused");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"/etc/passwd\" is outside the design"),
        "{body}"
    );
    let bad = "%7B%22nope%22%3A1%7D"; // {"nope":1}
    let (status, body) = app
        .json(&format!(
            "/api/designs/ada/lamp/model/main/cad/plate.scad?params={bad}"
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no parameter \"nope\"")
    );

    // A 2D design has no mesh; it is drawn as OpenSCAD's SVG, with its parameters.
    let (status, body) = app
        .json("/api/designs/ada/lamp/model/main/cad/outline.scad")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "scad_2d");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cad/outline.scad draws a 2D shape"),
        "{body}"
    );
    let svg = app
        .get("/api/designs/ada/lamp/drawing/main/cad/outline.scad?params=%7B%22w%22%3A45%7D")
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(
        svg.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'"
    );
    let text = String::from_utf8(svg.body.to_vec()).unwrap();
    assert!(text.contains("width=\"45mm\" height=\"12mm\""), "{text}");
    let (status, body) = app
        .json("/api/designs/ada/lamp/drawing/main/cad/plate.scad")
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a 3D design is no drawing: {body}"
    );

    // A render is kept by what the file uses, not by commit: a commit that changes only the
    // README draws the same mesh, one that changes the used library draws a new one.
    let etag = |mesh: &common::Answer| mesh.headers[header::ETAG].to_str().unwrap().to_owned();
    let first = app.get(plate["mesh_url"].as_str().unwrap()).await;
    commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "README.md", "content": "# Lamp\n\nNow with a plate.\n"}]),
    )
    .await;
    let (_, unchanged) = app
        .json("/api/designs/ada/lamp/model/main/cad/plate.scad")
        .await;
    assert_ne!(unchanged["commit"], plate["commit"]);
    let again = app.get(unchanged["mesh_url"].as_str().unwrap()).await;
    assert_eq!(
        etag(&again),
        etag(&first),
        "the same inputs, the same render"
    );
    commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/lib/base.scad", "content": "module base(w) { cube([w, w, 5]); }\n"}]),
    )
    .await;
    let (_, thicker) = app
        .json("/api/designs/ada/lamp/model/main/cad/plate.scad")
        .await;
    assert_eq!(thicker["bounds"]["size"], json!([20.0, 20.0, 5.0]));
    let changed = app.get(thicker["mesh_url"].as_str().unwrap()).await;
    assert_ne!(etag(&changed), etag(&first));
}

#[tokio::test]
async fn a_parameter_set_is_saved_to_the_callers_fork_listed_and_downloaded_as_stl() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    let bob = app.sign_up("bob").await;
    app.create_design(&ada, "lamp").await;
    commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/plate.scad", "content":
            "side = 20; // [10:5:60]\nround = false;\ncube([side, side, 2]);\n"}]),
    )
    .await;
    let save = |who: &str, body: Value| {
        let who = As::Cookie(who.to_owned());
        let app = &app;
        async move {
            app.request(
                Method::POST,
                "/api/designs/ada/lamp/parameter-sets",
                &who,
                Some(body),
            )
            .await
        }
    };

    // Bob does not maintain ada/lamp: the set goes to a fork made for it.
    let saved = save(
        &bob,
        json!({"path": "cad/plate.scad", "name": "wide", "values": {"side": 45}, "hours": 0.5}),
    )
    .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.json());
    let saved = saved.json();
    assert_eq!(saved["design"], "bob/lamp");
    assert_eq!(saved["forked"], true);
    assert_eq!(saved["path"], "cad/plate.json");
    let commit = saved["commit"]["id"].as_str().unwrap();
    assert_eq!(commit.len(), 40);
    let (_, detail) = app.json("/api/designs/bob/lamp").await;
    assert_eq!(detail["head"], commit);
    let (_, upstream) = app.json("/api/designs/ada/lamp/tree/main/cad").await;
    assert!(!upstream.to_string().contains("plate.json"), "{upstream}");
    // The file is OpenSCAD's own format, values as strings.
    let file = app
        .get("/api/designs/bob/lamp/raw/main/cad/plate.json")
        .await;
    let file: Value = serde_json::from_slice(&file.body).unwrap();
    assert_eq!(file["parameterSets"]["wide"], json!({"side": "45"}));
    assert_eq!(file["fileFormatVersion"], "1");
    // Credited as design work.
    let (_, entry) = app
        .json(&format!("/api/designs/bob/lamp/commits/{commit}"))
        .await;
    let message = entry["commit"]["message"].as_str().unwrap();
    assert!(message.contains("Save parameter set \"wide\""), "{message}");
    assert!(message.contains("Labor-Type: design"), "{message}");

    // A second set goes to the same fork, beside the first.
    let again = save(
        &bob,
        json!({"path": "cad/plate.scad", "name": "round", "values": {"round": true}}),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.json());
    assert_eq!(again.json()["forked"], false);
    let (status, form) = app
        .json("/api/designs/bob/lamp/customizer/main/cad/plate.scad")
        .await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(form["sets_path"], "cad/plate.json");
    let sets = form["parameter_sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2, "{form}");
    let wide = sets.iter().find(|s| s["name"] == "wide").unwrap();
    assert_eq!(wide["values"], json!({"side": 45.0}));

    // Ada maintains her design: her set is committed there.
    let hers = save(
        &ada,
        json!({"path": "cad/plate.scad", "name": "small", "values": {"side": 10}}),
    )
    .await;
    assert_eq!(hers.status, StatusCode::CREATED, "{:?}", hers.json());
    assert_eq!(hers.json()["design"], "ada/lamp");

    // Bad input names the bad part; nothing is committed.
    for (body, field) in [
        (
            json!({"path": "cad/plate.scad", "name": " ", "values": {}}),
            "name",
        ),
        (
            json!({"path": "cad/plate.scad", "name": "x", "values": {"side": "wide"}}),
            "values.side",
        ),
        (
            json!({"path": "cad/plate.scad", "name": "x", "values": {"nope": 1}}),
            "values.nope",
        ),
        (
            json!({"path": "cad/none.scad", "name": "x", "values": {}}),
            "path",
        ),
        (
            json!({"path": "cad/plate.stl", "name": "x", "values": {}}),
            "path",
        ),
    ] {
        let refused = save(&bob, body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
        let error = refused.json();
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    let (_, detail) = app.json("/api/designs/bob/lamp").await;
    assert_eq!(detail["head"], again.json()["commit"]["id"]);
    let anonymous = app
        .request(
            Method::POST,
            "/api/designs/ada/lamp/parameter-sets",
            &As::Anonymous,
            Some(json!({"path": "cad/plate.scad", "name": "x", "values": {}})),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // The set as an STL to download: the render with its values, 45 × 45 × 2 mm.
    let params = "%7B%22side%22%3A45%7D";
    let stl = app
        .get(&format!(
            "/api/designs/bob/lamp/stl/main/cad/plate.scad?params={params}"
        ))
        .await;
    assert_eq!(stl.status, StatusCode::OK);
    assert_eq!(stl.headers[header::CONTENT_TYPE], "model/stl");
    assert!(
        stl.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("plate.stl")
    );
    let uploaded = app.upload(&bob, "bob/lamp", "wide.stl", &stl.body).await;
    app.commit_changes(
        &bob,
        "bob/lamp",
        "STL",
        json!([{"op": "put", "path": "wide.stl", "upload_id": uploaded["upload_id"]}]),
    )
    .await;
    let (status, model) = app.json("/api/designs/bob/lamp/model/main/wide.stl").await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["bounds"]["size"], json!([45.0, 45.0, 2.0]));
}

/// The size and pixels (RGB) of a PNG.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

#[tokio::test]
async fn every_design_has_a_picture_its_model_or_a_placeholder() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    app.create_design(&ada, "empty").await;

    // Without a model: a placeholder, still a picture of the card's size.
    let (_, empty) = app.json("/api/designs/ada/empty").await;
    let url = empty["image_url"].as_str().unwrap().to_owned();
    assert!(url.contains("/picture/"), "{url}");
    let placeholder = app.get(&url).await;
    assert_eq!(placeholder.status, StatusCode::OK);
    assert_eq!(placeholder.headers[header::CONTENT_TYPE], "image/png");
    let (w, h, blank) = decode_png(&placeholder.body);
    assert_eq!((w, h), (640, 360));

    // With an STL in the tree: its drawing, cached forever at that commit.
    let stl = plate_stl(4, 60.0, 40.0, 3.0);
    let uploaded = app.upload(&ada, "ada/lamp", "plate.stl", &stl).await;
    let commit = commit_ok(
        &app,
        &ada,
        json!([{"op": "put", "path": "cad/plate.stl", "upload_id": uploaded["upload_id"]}]),
    )
    .await;
    let (_, lamp) = app.json("/api/designs/ada/lamp").await;
    let url = lamp["image_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("/api/designs/ada/lamp/picture/{commit}"));
    let drawn = app.get(&url).await;
    assert_eq!(drawn.status, StatusCode::OK);
    assert!(
        drawn.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let (w, h, pixels) = decode_png(&drawn.body);
    assert_eq!((w, h), (640, 360));
    assert_ne!(pixels, blank, "the model is drawn, not the placeholder");
    let background = &pixels[..3];
    let coloured = pixels
        .chunks_exact(3)
        .filter(|p| *p != background && p[2] > p[0] + 20)
        .count();
    assert!(coloured > 640 * 360 / 20, "only {coloured} model pixels");
    // A moving revision is not cached forever; a missing one is a 404.
    let by_branch = app.get("/api/designs/ada/lamp/picture/main").await;
    assert_eq!(by_branch.status, StatusCode::OK);
    assert_eq!(by_branch.body, drawn.body);
    assert!(
        !by_branch.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let missing = app.get("/api/designs/ada/lamp/picture/nope").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The list's cards point at it too.
    let (_, list) = app.json("/api/designs?owner=ada").await;
    let lamp = list["designs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "ada/lamp")
        .unwrap();
    assert_eq!(lamp["image_url"], url.as_str());
}

#[tokio::test]
async fn a_dxf_drawing_is_served_as_svg_and_a_broken_one_is_named() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let sample = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../designs/gravity-water-filter/cad/stand-side.dxf"),
    )
    .unwrap();
    let commit = commit_ok(
        &app,
        &ada,
        json!([
            {"op": "put", "path": "cad/stand-side.dxf", "content": String::from_utf8(sample).unwrap()},
            {"op": "put", "path": "cad/broken.dxf", "content": "0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n"},
        ]),
    )
    .await;
    let svg = app
        .get(&format!(
            "/api/designs/ada/lamp/drawing/{commit}/cad/stand-side.dxf"
        ))
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(
        svg.headers[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'"
    );
    let text = String::from_utf8(svg.body).unwrap();
    assert!(
        text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{text}"
    );
    assert!(text.contains("<path") && text.contains(" d=\"M"), "{text}");

    let (status, body) = app
        .json("/api/designs/ada/lamp/drawing/main/cad/broken.dxf")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "bad_drawing");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cad/broken.dxf: "),
        "{body}"
    );
    let (status, _) = app
        .json("/api/designs/ada/lamp/drawing/main/okh.toml")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app
        .json("/api/designs/ada/lamp/drawing/main/cad/none.dxf")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
