//! Bills of materials as real tools export them, from the fixtures under `fixtures/bom/`:
//! KiCad, Eagle and Altium exports, a German-locale spreadsheet (semicolons, CRLF,
//! Windows-1252, decimal commas), the OKH-LOSH sBoM columns with an assembly tree, a header
//! after title rows or last, UTF-16 text, and `.xlsx` and `.ods` spreadsheets; and through the
//! API, the design with the new columns and the total cost.

mod common;

use backend::bom::{self, Bom, BomRow};
use serde_json::json;

use common::TestApp;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/bom/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn read(name: &str) -> Bom {
    bom::parse(name, &fixture(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn names(bom: &Bom) -> Vec<&str> {
    bom.rows.iter().map(|r| r.name.as_str()).collect()
}

fn row<'a>(bom: &'a Bom, name: &str) -> &'a BomRow {
    bom.rows
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name:?} in {:?}", names(bom)))
}

#[test]
fn a_kicad_export_is_named_by_value_and_footprint() {
    let bom = read("kicad.csv");
    assert_eq!(bom.warnings, []);
    assert_eq!(bom.rows.len(), 4);
    let small = &bom.rows[1];
    assert_eq!(small.designators, ["C103-C105", "C109"]);
    assert_eq!(small.value.as_deref(), Some("100n"));
    assert_eq!(small.quantity, Some(4.0));
    assert!(!small.extra.contains_key("DNP"), "empty cells are not kept");
    // The same value in two footprints is two components.
    assert_ne!(bom.rows[1].key(), bom.rows[2].key());
    assert_eq!(bom.rows[3].extra["DNP"], "DNP");
}

#[test]
fn an_eagle_export_with_semicolons() {
    let bom = read("eagle.csv");
    assert_eq!(names(&bom), ["10k R0603", "ATMEGA328P-AU TQFP32-08"]);
    let resistor = &bom.rows[0];
    assert_eq!(resistor.designators, ["R1", "R2"]);
    assert_eq!(resistor.quantity, Some(2.0));
    assert_eq!(resistor.specs.as_deref(), Some("RESISTOR, European symbol"));
    assert_eq!(resistor.extra["Device"], "R-EU_R0603");
}

#[test]
fn an_altium_export_keeps_manufacturer_supplier_and_price() {
    let bom = read("altium.csv");
    let cap = row(&bom, "100nF 0402");
    assert_eq!(cap.designators, ["C1", "C2", "C3"]);
    assert_eq!(cap.manufacturer.as_deref(), Some("Murata"));
    assert_eq!(cap.part_number.as_deref(), Some("GRM155R71C104KA88D"));
    assert_eq!(cap.supplier.as_deref(), Some("Digi-Key"));
    assert_eq!(cap.supplier_part_number.as_deref(), Some("490-10698-1-ND"));
    assert_eq!(cap.unit_price, Some(0.10));
    let total = bom.total_cost().unwrap();
    assert!((total - (3.0 * 0.10 + 1.05)).abs() < 1e-9, "{total}");
}

#[test]
fn a_german_spreadsheet_in_windows_1252_with_semicolons_and_crlf() {
    let bom = read("european.csv");
    assert_eq!(
        names(&bom),
        ["Sechskantschraube M8×40", "Unterlegscheibe M8"]
    );
    let screw = &bom.rows[0];
    assert_eq!(screw.quantity, Some(4.0));
    assert_eq!(screw.unit.as_deref(), Some("Stück"));
    assert_eq!(screw.manufacturer.as_deref(), Some("Würth"));
    assert_eq!(screw.unit_price, Some(0.12));
    assert_eq!(
        bom.warnings,
        [(
            2,
            "the file is not UTF-8: read as Windows-1252 (Latin-1); save it as UTF-8 to be sure"
                .to_owned()
        )]
    );
}

#[test]
fn the_sbom_columns_keep_the_assembly_tree_and_references() {
    let bom = read("sbom.tsv");
    let hinge = row(&bom, "Hinge");
    assert_eq!(hinge.parent.as_deref(), Some("Frame"));
    assert_eq!(
        hinge.references,
        ["https://example.org/hinge", "zinc plated"]
    );
    assert_eq!(hinge.quantity, Some(2.0));
    assert_eq!(hinge.unit.as_deref(), Some("set"));
    assert_eq!(hinge.category.as_deref(), Some("BUY"));
    assert_eq!(row(&bom, "Screw M3x12").parent.as_deref(), Some("Hinge"));
    assert_eq!(row(&bom, "Frame").references, ["/cad/frame.scad"]);
    let oled = row(&bom, "OLED module");
    assert_eq!(oled.quantity, Some(1.0));
    assert_eq!(oled.quantity_text, "1 or 2");
    assert!(
        bom.warnings.contains(&(
            4,
            "quantity \"1 or 2\" counts as 1 (the text is kept)".to_owned()
        )),
        "{:?}",
        bom.warnings
    );
}

#[test]
fn a_header_after_title_rows_or_at_the_end() {
    let last = read("header-last.tsv");
    assert_eq!(names(&last), ["C2", "C9, C10, C19"]);
    assert_eq!(last.rows[1].quantity, Some(3.0));
    assert_eq!(last.rows[0].references, ["150u, CP_Elec_8x6.2"]);
    let titled = read("units.csv");
    // UNITS is the count when nothing else is.
    assert_eq!(names(&titled), ["Drawbar", "Wheel 20in"]);
    assert_eq!(titled.rows[1].quantity, Some(2.0));
    assert_eq!(titled.rows[1].line, 5);
}

#[test]
fn a_cad_export_and_utf16_text() {
    let cad = read("cad-export.csv");
    let panel = row(&cad, "Side panel");
    assert_eq!(panel.quantity, Some(2.0));
    assert_eq!(panel.supplier.as_deref(), Some("Holz AG"));
    assert_eq!(panel.unit_price, Some(12.5));
    assert_eq!(panel.extra["Item"], "1");
    assert_eq!(cad.total_cost(), Some(2.0 * 12.5 + 4.0 * 3.2));
    let unicode = read("unicode.txt");
    assert_eq!(names(&unicode), ["Lüfter 80 mm"]);
    assert_eq!(unicode.rows[0].notes.as_deref(), Some("leise"));
    assert_eq!(unicode.warnings, []);
}

#[test]
fn spreadsheets_are_read_from_their_first_sheet() {
    let xlsx = read("bom.xlsx");
    assert_eq!(xlsx.sheet.as_deref(), Some("Parts"));
    assert_eq!(names(&xlsx), ["Stepper motor NEMA 17", "Belt GT2 6 mm"]);
    assert_eq!(xlsx.rows[0].quantity, Some(3.0));
    assert_eq!(xlsx.rows[0].part_number.as_deref(), Some("17HS4401"));
    assert_eq!(xlsx.rows[0].unit_price, Some(9.5));
    let ods = read("bom.ods");
    assert_eq!(ods.sheet.as_deref(), Some("Stückliste"));
    assert_eq!(names(&ods), ["Rahmenrohr 30×2", "Achse"]);
    assert_eq!(ods.rows[0].quantity, Some(4.0));
    assert_eq!(ods.rows[0].material.as_deref(), Some("S235"));
    // Not a spreadsheet at all: a clear error, not a panic.
    let err = bom::parse("bom.xlsx", b"plain text").unwrap_err();
    assert!(err.message.contains("cannot be read"), "{err}");
}

#[test]
fn a_manifest_may_name_the_sheet_after_a_hash() {
    assert_eq!(
        bom::split_sheet("bom/parts.xlsx#Fasteners"),
        ("bom/parts.xlsx", Some("Fasteners"))
    );
    assert_eq!(bom::split_sheet("notes#1.csv"), ("notes#1.csv", None));
    assert_eq!(bom::split_sheet("bom.ods#"), ("bom.ods#", None));
    let ods = fixture("bom.ods");
    let named = bom::parse("bom.ods#stückliste", &ods).unwrap();
    assert_eq!(named.sheet.as_deref(), Some("Stückliste"));
    assert_eq!(names(&named), ["Rahmenrohr 30×2", "Achse"]);
    let err = bom::parse("bom.ods#Fasteners", &ods).unwrap_err();
    assert!(
        err.message
            .contains("no sheet \"Fasteners\" (its sheets: Stückliste"),
        "{err}"
    );
}

#[test]
fn a_file_without_a_usable_header_names_what_it_found() {
    let err = bom::parse("bom.csv", b"part_number,price\nX,1\n").unwrap_err();
    assert_eq!(err.line, 1);
    assert_eq!(
        err.to_string(),
        "bom.csv line 1: no header row names the parts and their quantities (found: part_number, price); name the columns, e.g. Name and Quantity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_gives_every_column_and_the_total_cost() {
    let app = TestApp::new().await;
    let ada = app.sign_up("ada").await;
    app.create_design(&ada, "board").await;
    let manifest = "okhv = \"OKH-LOSHv1.0\"\nname = \"Board\"\nversion = \"1\"\nlicense = \"MIT\"\nlicensor = \"Ada\"\nfunction = \"A board\"\nbom = \"bom/altium.csv\"\n";
    let csv = String::from_utf8(fixture("altium.csv")).unwrap();
    app.commit_changes(
        &ada,
        "ada/board",
        "Altium BOM",
        json!([
            {"op": "put", "path": "okh.toml", "content": manifest},
            {"op": "put", "path": "bom/altium.csv", "content": csv},
        ]),
    )
    .await;
    let (_, detail) = app.json("/api/designs/ada/board").await;
    let bom = &detail["bom"];
    assert_eq!(bom["rows"][0]["name"], "100nF 0402", "{bom}");
    assert_eq!(bom["rows"][0]["designators"], json!(["C1", "C2", "C3"]));
    assert_eq!(bom["rows"][0]["supplier"], "Digi-Key");
    assert_eq!(bom["rows"][0]["supplier_part_number"], "490-10698-1-ND");
    assert_eq!(bom["rows"][1]["manufacturer"], "Texas Instruments");
    assert_eq!(bom["rows"][0]["extra"]["LibRef"], "CAP");
    let total = bom["total_cost"].as_f64().unwrap();
    assert!((total - 1.35).abs() < 1e-9, "{bom}");
    // Where-used: the capacitor's component key is its part number.
    assert_eq!(bom["rows"][0]["key"], "grm155r71c104ka88d");
}
