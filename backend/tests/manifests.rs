//! `okh.toml` as real projects write it: the fixtures under `fixtures/okh/` (shaped like the
//! OKH-LOSH specification's samples and the variants seen in the wild) read field by field, a
//! bad field spoiling that field only; and through the API, a design whose manifest has bad
//! fields keeps its name, license and BOM, and its bundle still declares the license.

mod common;

use axum::http::StatusCode;
use backend::manifest::{self, Manifest};
use serde_json::json;

use common::TestApp;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/okh/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn read(name: &str) -> (Manifest, Vec<String>) {
    let text = fixture(name);
    let manifest = manifest::parse(&text).unwrap_or_else(|err| panic!("{name}: {err}"));
    let problems = manifest::validate(&manifest, &text)
        .iter()
        .map(ToString::to_string)
        .collect();
    (manifest, problems)
}

#[test]
fn the_specifications_sample_shape_reads_whole() {
    let (manifest, problems) = read("loom.toml");
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(manifest.name.as_deref(), Some("Frame Loom"));
    assert_eq!(manifest.version.as_deref(), Some("0.10.0"));
    assert_eq!(manifest.licensor_names(), ["Ines Weber"]);
    assert_eq!(manifest.bom.0, ["sBoM.csv"]);
    // The specification's leading `/` is the design's root.
    assert_eq!(
        manifest.manufacturing_instructions.0,
        ["Documentation/Assembly_Guide/Assembly.md"]
    );
    assert_eq!(manifest.image.0, ["Documentation/User_Guide/loom.jpg"]);
    assert_eq!(manifest.part.len(), 2);
    assert_eq!(
        manifest.part[0].export.0,
        [
            "3DParts/ClampRing/ClampRing.pdf",
            "3DParts/ClampRing/ClampRing.stl"
        ]
    );
    assert_eq!(manifest.part[1].tsdc.0, ["CNC", "COT"]);
    assert_eq!(manifest.part[1].material.0, ["wood"]);
    // Keys Atelier does not interpret are kept as written, the part's too.
    assert_eq!(manifest.extra["fabric-width"].as_integer(), Some(400));
    assert_eq!(
        manifest.extra["cpc-patent-class"].as_str(),
        Some("D03D 35/00")
    );
    assert!(manifest.extra["software"].is_array());
    assert_eq!(
        manifest.part[0].extra["image"].as_str(),
        Some("/Documentation/Assembly_Guide/clamp.jpg")
    );
}

#[test]
fn every_shape_the_standard_allows_is_read() {
    let (manifest, problems) = read("shapes.toml");
    assert_eq!(problems, Vec::<String>::new());
    // Numbers where text is expected: exactly as written.
    assert_eq!(manifest.version.as_deref(), Some("1.0"));
    assert_eq!(manifest.technology_readiness_level.as_deref(), Some("5"));
    assert_eq!(manifest.readme.0, ["README.md", "README.de.md"]);
    assert_eq!(manifest.bom.0, ["bom/frame.csv", "bom/electrics.csv"]);
    assert_eq!(
        manifest.manufacturing_instructions.0,
        ["docs/welding.md", "docs/assembly.md"]
    );
    assert_eq!(manifest.documentation_language.0, ["en", "de-DE"]);
    assert_eq!(manifest.image.0, ["photos/trailer.jpg"]);
    assert_eq!(manifest.licensor_names(), ["Ada Lovelace", "Trailer Co-op"]);
    assert_eq!(manifest.part[0].material.0, ["S235 steel", "EPDM"]);
    assert_eq!(manifest.part[0].export.0, ["cad/drawbar.step"]);
}

#[test]
fn a_bad_field_is_one_problem_on_its_line_and_the_rest_stands() {
    let (manifest, problems) = read("broken-fields.toml");
    assert_eq!(
        problems,
        [
            "okh.toml line 8: readme: expected a path or a list of paths, found a list",
            "okh.toml line 9: bom: expected a path or a list of paths, found a table",
            "okh.toml line 10: manufacturing-instructions: expected a path or a list of paths, found true or false",
            "okh.toml line 12: technology-readiness-level: expected text, found a list",
            "okh.toml line 13: image: expected an image path or URL or a list of them, found true or false",
            "okh.toml line 17: part 1: material: expected text or a list of texts, found a table",
        ]
    );
    assert_eq!(manifest.name.as_deref(), Some("Lamp"));
    assert_eq!(manifest.license.as_deref(), Some("MIT"));
    assert_eq!(manifest.version.as_deref(), Some("2.1.0"));
    // The good value of a list with a bad one is kept.
    assert_eq!(manifest.manufacturing_instructions.0, ["docs/assembly.md"]);
    assert_eq!(manifest.documentation_language.0, ["en"]);
    assert_eq!(manifest.part[0].name.as_deref(), Some("Shade"));
    assert_eq!(manifest.part[0].source.0, ["cad/shade.scad"]);
}

/// The problems `parse` finds in `text` (not the required-field checks).
fn problems_of(text: &str) -> Vec<String> {
    manifest::parse(text)
        .unwrap_or_else(|err| panic!("{text:?}: {err}"))
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn odd_shapes_are_problems_not_panics() {
    assert_eq!(problems_of(""), Vec::<String>::new());
    assert_eq!(
        problems_of("name = \"x\"\npart = 3\n"),
        ["okh.toml line 2: part: expected [[part]] tables, found a number"]
    );
    assert_eq!(
        problems_of("part = [1, \"two\"]\n"),
        [
            "okh.toml line 1: part 1: expected a table, found a number",
            "okh.toml line 1: part 2: expected a table, found text",
        ]
    );
    assert_eq!(
        problems_of("licensor = true\n"),
        [
            "okh.toml line 1: licensor: expected a name, a table with a `name`, or a list of them, found true or false"
        ]
    );
    // Only images may be tables naming their location.
    assert_eq!(
        problems_of("bom = { url = \"bom.csv\" }\n"),
        ["okh.toml line 1: bom: expected a path or a list of paths, found a table"]
    );
    // One [part] table is one part; dotted keys are read like any other.
    let manifest = manifest::parse("[part]\nname = \"Frame\"\nsource.main = \"a.scad\"\n").unwrap();
    assert_eq!(manifest.part.len(), 1);
    assert_eq!(manifest.part[0].name.as_deref(), Some("Frame"));
    assert_eq!(
        manifest
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["okh.toml line 3: part 1: source: expected a path or a list of paths, found a table"]
    );
    let manifest = manifest::parse("name.text = \"Loom\"\nlicense = \"MIT\"\n").unwrap();
    assert_eq!(manifest.license.as_deref(), Some("MIT"));
    assert_eq!(
        manifest
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["okh.toml line 1: name: expected text, found a table"]
    );
}

#[test]
fn a_misspelt_key_gets_a_hint_and_is_kept() {
    let manifest = manifest::parse(
        "name = \"Lamp\"\nlicence = \"MIT\"\nx-colour = \"red\"\nfuncton = \"Lights\"\n",
    )
    .unwrap();
    assert_eq!(
        manifest
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "okh.toml line 2: `licence` is not an OKH-LOSH field: did you mean `license`? (kept as written)",
            "okh.toml line 4: `functon` is not an OKH-LOSH field: did you mean `function`? (kept as written)",
        ]
    );
    assert_eq!(manifest.extra["licence"].as_str(), Some("MIT"));
    assert_eq!(manifest.extra["x-colour"].as_str(), Some("red"));
}

#[test]
fn a_license_url_is_accepted_where_an_spdx_id_is_not_given() {
    let text = "okhv = \"2.0\"\nname = \"Lamp\"\nversion = \"1\"\nlicense = \"https://example.org/our-license.txt\"\nlicensor = \"Ada\"\nfunction = \"Lights\"\n";
    assert_eq!(
        manifest::validate(&manifest::parse(text).unwrap(), text),
        []
    );
    let text = text.replace("https://example.org/our-license.txt", "Our own license");
    let problems = manifest::validate(&manifest::parse(&text).unwrap(), &text);
    assert!(
        problems[0].message.contains("not a valid SPDX expression"),
        "{problems:?}"
    );
}

#[test]
fn an_empty_licensor_list_is_a_missing_licensor() {
    let text = "okhv = \"2.0\"\nname = \"Lamp\"\nversion = \"1\"\nlicense = \"MIT\"\nfunction = \"Lights\"\nlicensor = []\n";
    let problems: Vec<String> = manifest::validate(&manifest::parse(text).unwrap(), text)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        ["okh.toml line 6: the required field `licensor` is missing or empty"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_design_with_bad_fields_keeps_its_name_license_and_bom() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "lamp").await;
    let manifest = "okhv = \"OKH-LOSHv1.0\"\nname = \"Desk Lamp\"\nversion = 2\nlicense = \"CERN-OHL-P-2.0\"\nlicensor = [\"Ada\", \"Bo\"]\nfunction = \"Lights a desk.\"\nbom = [\"bom.csv\"]\nmanufacturing-instructions = [\"a.md\", \"b.md\"]\ntechnology-readiness-level = 5\nimage = true\n";
    app.commit_changes(
        &ada,
        "ada/lamp",
        "Real manifest",
        json!([
            {"op": "put", "path": "okh.toml", "content": manifest},
            {"op": "put", "path": "bom.csv", "content": "name,qty\nM8 bolt,4\n"},
            {"op": "put", "path": "b.md", "content": "Weld, then bolt.\n"},
        ]),
    )
    .await;
    app.state.settled().await;
    let (status, detail) = app.json("/api/designs/ada/lamp").await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["name"], "Desk Lamp", "{detail}");
    assert_eq!(detail["license"], "CERN-OHL-P-2.0");
    assert_eq!(detail["version"], "2");
    assert_eq!(detail["manifest"]["licensor"], "Ada, Bo");
    assert_eq!(detail["manifest"]["technology_readiness_level"], "5");
    assert_eq!(detail["bom"]["rows"][0]["name"], "M8 bolt", "{detail}");
    let problems: Vec<&str> = detail["manifest_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        problems,
        [
            // Every path the manifest names is looked for.
            "okh.toml line 8: manufacturing-instructions: a.md is not in the design",
            "okh.toml line 10: image: expected an image path or URL or a list of them, found true or false"
        ]
    );
    // The bundle declares the license the manifest names (read with the stock tar).
    let redirect = app.get("/api/designs/ada/lamp/bundle/main.tar.gz").await;
    assert_eq!(redirect.status, StatusCode::TEMPORARY_REDIRECT);
    let location = redirect.headers[axum::http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let archive = app.get(&location).await;
    assert_eq!(archive.status, StatusCode::OK);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("lamp.tar.gz"), &archive.body).unwrap();
    let listed = std::process::Command::new("tar")
        .args([
            "-xzOf",
            "lamp.tar.gz",
            "--wildcards",
            "*/atelier-bundle.json",
        ])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let bundle: api::BundleManifest = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(bundle.licenses, ["CERN-OHL-P-2.0"]);
    assert_eq!(bundle.name, "Desk Lamp");
    // Named for the design, the manifest's version and the commit.
    assert_eq!(bundle.root, format!("ada-lamp-2-{}", &bundle.commit[..12]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_is_found_in_any_case_and_root_paths_are_read() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "loom").await;
    // The manifest names no README and its BOM with the specification's leading `/`.
    let manifest = "okhv = \"2.0\"\nname = \"Loom\"\nversion = \"1\"\nlicense = \"MIT\"\nlicensor = \"Ada\"\nfunction = \"Weaves\"\nbom = \"/docs/sBoM.csv\"\n";
    app.commit_changes(
        &ada,
        "ada/loom",
        "As on GitHub",
        json!([
            {"op": "move", "from": "README.md", "to": "ReadMe.md"},
            {"op": "put", "path": "okh.toml", "content": manifest},
            {"op": "put", "path": "docs/sBoM.csv", "content": "NAME\tQUANTITY\nShuttle\t2\n"},
        ]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/loom").await;
    assert_eq!(detail["readme_path"], "ReadMe.md", "{detail}");
    assert!(
        detail["readme_html"].as_str().unwrap().contains("<h1"),
        "{detail}"
    );
    assert_eq!(detail["bom"]["path"], "docs/sBoM.csv");
    assert_eq!(detail["bom"]["rows"][0]["name"], "Shuttle");
    // Search reads the same README.
    app.state.settled().await;
    let (_, hits) = app.json("/api/search?q=loom").await;
    assert!(hits["total"].as_u64().unwrap() >= 1, "{hits}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_reaches_the_api_standard_ones_apart_from_the_others() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "loom").await;
    app.commit_changes(
        &ada,
        "ada/loom",
        "The loom's manifest",
        json!([{"op": "put", "path": "okh.toml", "content": fixture("loom.toml")}]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/loom").await;
    let manifest = &detail["manifest"];
    let field = |key: &str| {
        manifest["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no field {key} in {manifest}"))
    };
    assert_eq!(field("cpc-patent-class")["text"], "D03D 35/00");
    assert_eq!(field("cpc-patent-class")["standard"], true);
    assert_eq!(field("documentation-readiness-level")["text"], "ODRL-5");
    assert_eq!(
        field("software")["text"],
        "installation-guide: https://example.org/firmware/README.md; release: https://example.org/firmware/releases/tag/1.3.2"
    );
    assert_eq!(field("fabric-width")["text"], "400");
    assert_eq!(field("fabric-width")["standard"], false);
    assert_eq!(manifest["licensor"], "Ines Weber");
    assert_eq!(
        manifest["lists"]["manufacturing-instructions"],
        json!(["Documentation/Assembly_Guide/Assembly.md"])
    );
    let part = &manifest["parts"][0];
    assert_eq!(part["materials"], json!(["PLA"]));
    let image = part["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "image")
        .unwrap();
    assert_eq!(image["text"], "/Documentation/Assembly_Guide/clamp.jpg");
    assert_eq!(image["standard"], true);
}

#[tokio::test]
async fn an_okh_v1_manifest_is_shown_and_its_conversion_offered_as_a_commit() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "pump").await;
    let v1 = "%Open Know-How Manifest 1.0\n---\ntitle: Solar Water Pump\ndescription: Pumps water with the sun.\nversion: 2\nlicense:\n  hardware: CERN-OHL-S-2.0\nlicensor:\n  name: Ada Lovelace\nbom: bom.csv\ncontact:\n  name: Ada\n";
    app.commit_changes(
        &ada,
        "ada/pump",
        "An OKH v1 project",
        serde_json::json!([
            {"op": "delete", "path": "okh.toml"},
            {"op": "put", "path": "okh.yml", "content": v1},
            {"op": "put", "path": "bom.csv", "content": "name,qty\nSolar panel 20 W,1\n"},
        ]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/pump").await;
    assert_eq!(detail["name"], "Solar Water Pump", "{detail}");
    assert_eq!(detail["license"], "CERN-OHL-S-2.0");
    assert_eq!(detail["manifest"]["licensor"], "Ada Lovelace");
    assert_eq!(detail["bom"]["rows"][0]["name"], "Solar panel 20 W");
    let problems = detail["manifest_problems"].to_string();
    assert!(
        problems.contains("okh.yml is an OKH v1 manifest"),
        "{problems}"
    );
    assert!(!problems.contains("okhv"), "{problems}");
    let suggested = &detail["suggested_manifest"];
    assert_eq!(suggested["path"], "okh.toml");
    assert_eq!(suggested["from"], "okh.yml");
    assert_eq!(suggested["left_out"], serde_json::json!(["contact"]));

    // Committing the offer makes it the design's manifest, with nothing left to suggest.
    let content = suggested["content"].as_str().unwrap().to_owned();
    app.commit_changes(
        &ada,
        "ada/pump",
        "Convert okh.yml",
        serde_json::json!([
            {"op": "put", "path": "okh.toml", "content": content},
            {"op": "delete", "path": "okh.yml"},
        ]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/pump").await;
    assert_eq!(detail["name"], "Solar Water Pump");
    assert_eq!(detail["version"], "2");
    assert_eq!(
        detail["manifest_problems"],
        serde_json::json!([]),
        "{detail}"
    );
    assert!(detail.get("suggested_manifest").is_none(), "{detail}");
}
