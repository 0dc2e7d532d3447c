//! Bills of materials: CSV or TSV (delimiter detected), header names case-insensitive and in
//! any order; `name` and `quantity` required, the OKH-LOSH sBoM columns accepted. Quantities are
//! free text in the wild ("2 sets", "1 or 2"): the text is kept and a leading number parsed when
//! there is one. A bad row is a warning with its line, never a reason to reject the file.

use std::collections::BTreeMap;

/// One line of a BOM.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BomRow {
    /// 1-based line in the file.
    pub line: usize,
    pub name: String,
    /// As written.
    pub quantity_text: String,
    /// The leading number of `quantity_text`, when there is one.
    pub quantity: Option<f64>,
    pub unit: Option<String>,
    pub part_number: Option<String>,
    pub manufacturer: Option<String>,
    pub material: Option<String>,
    pub category: Option<String>,
    pub specs: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
    /// Columns Atelier does not interpret (lower-cased header → value).
    pub extra: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bom {
    pub rows: Vec<BomRow>,
    /// Rows that were skipped or partly read, with their line.
    pub warnings: Vec<(usize, String)>,
}

/// The file cannot be read as a BOM at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} line {line}: {message}")]
pub struct BomError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Quantity,
    Unit,
    PartNumber,
    Manufacturer,
    Material,
    Category,
    Specs,
    Url,
    Notes,
}

fn column(header: &str) -> Option<Column> {
    let key: String = header
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    Some(match key.as_str() {
        "name" | "item" | "part" | "description" => Column::Name,
        "quantity" | "qty" | "amount" => Column::Quantity,
        "unit" | "units" | "uom" => Column::Unit,
        "part_number" | "partnumber" | "part_no" | "pn" | "mpn" | "sku" => Column::PartNumber,
        "manufacturer" | "vendor" | "supplier" | "brand" => Column::Manufacturer,
        "material" | "materials" => Column::Material,
        // sBoM `TYPE` is the kind of part (standard, custom, ...).
        "category" | "type" => Column::Category,
        "specs" | "specification" | "specifications" => Column::Specs,
        "url" | "link" | "source" => Column::Url,
        "notes" | "note" | "comment" | "comments" | "remarks" => Column::Notes,
        _ => return None,
    })
}

/// The leading number of a quantity ("2 sets" → 2, "12.5" → 12.5, "approx. 3" → none).
pub fn leading_number(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || (*c == '.' && *i > 0))
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    text[..end].trim_end_matches('.').parse().ok()
}

/// Parses the BOM file `path` (its extension hints the delimiter).
pub fn parse(path: &str, bytes: &[u8]) -> Result<Bom, BomError> {
    let fail = |line: usize, message: String| BomError {
        path: path.to_owned(),
        line,
        message,
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| fail(1, format!("the file is not UTF-8 text ({e})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if path.ends_with(".tsv")
        || header_line.matches('\t').count() > header_line.matches(',').count()
    {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| fail(1, format!("cannot read the header row ({e})")))?
        .clone();
    let columns: Vec<Option<Column>> = headers.iter().map(column).collect();
    for (required, what) in [(Column::Name, "name"), (Column::Quantity, "quantity")] {
        if !columns.contains(&Some(required)) {
            return Err(fail(
                1,
                format!(
                    "the header has no {what:?} column (found: {})",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }

    let mut bom = Bom::default();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map(|p| p.line() as usize).unwrap_or(0);
                bom.warnings
                    .push((line, format!("unreadable row skipped ({err})")));
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != headers.len() {
            bom.warnings.push((
                line,
                format!(
                    "row has {} fields, the header {}",
                    record.len(),
                    headers.len()
                ),
            ));
        }
        let mut row = BomRow {
            line,
            ..BomRow::default()
        };
        for (i, value) in record.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let value = value.to_owned();
            match columns.get(i).copied().flatten() {
                Some(Column::Name) if row.name.is_empty() => row.name = value,
                Some(Column::Quantity) => row.quantity_text = value,
                Some(Column::Unit) => row.unit = Some(value),
                Some(Column::PartNumber) => row.part_number = Some(value),
                Some(Column::Manufacturer) => row.manufacturer = Some(value),
                Some(Column::Material) => row.material = Some(value),
                Some(Column::Category) => row.category = Some(value),
                Some(Column::Specs) => row.specs = Some(value),
                Some(Column::Url) => row.url = Some(value),
                Some(Column::Notes) => row.notes = Some(value),
                _ => {
                    let key = headers
                        .get(i)
                        .map(|h| h.to_lowercase())
                        .unwrap_or_else(|| format!("column {}", i + 1));
                    row.extra.insert(key, value);
                }
            }
        }
        if row.name.is_empty() {
            bom.warnings.push((line, "row has no name; skipped".into()));
            continue;
        }
        row.quantity = leading_number(&row.quantity_text);
        if row.quantity.is_none() {
            bom.warnings.push((
                line,
                if row.quantity_text.is_empty() {
                    "no quantity given".into()
                } else {
                    format!(
                        "quantity {:?} has no leading number; kept as text",
                        row.quantity_text
                    )
                },
            ));
        }
        bom.rows.push(row);
    }
    Ok(bom)
}

/// The BOM file at `path` as the API shows it: rows with their component keys, or the reason it
/// could not be read.
pub fn wire(path: &str, bytes: &[u8]) -> api::Bom {
    match parse(path, bytes) {
        Ok(bom) => api::Bom {
            path: path.to_owned(),
            rows: bom
                .rows
                .into_iter()
                .map(|row| api::BomRow {
                    line: row.line,
                    key: crate::search::normalize::component_key(
                        row.part_number.as_deref(),
                        &row.name,
                    ),
                    name: row.name,
                    quantity_text: row.quantity_text,
                    quantity: row.quantity,
                    unit: row.unit,
                    part_number: row.part_number,
                    manufacturer: row.manufacturer,
                    material: row.material,
                    category: row.category,
                    specs: row.specs,
                    url: row.url,
                    notes: row.notes,
                })
                .collect(),
            warnings: bom
                .warnings
                .into_iter()
                .map(|(line, message)| api::Problem {
                    line: Some(line),
                    message,
                })
                .collect(),
            error: None,
        },
        Err(err) => api::Bom {
            path: path.to_owned(),
            rows: Vec::new(),
            warnings: Vec::new(),
            error: Some(api::Problem {
                line: Some(err.line),
                message: err.to_string(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_quantities_keep_their_text() {
        assert_eq!(leading_number("2 sets"), Some(2.0));
        assert_eq!(leading_number("1 or 2"), Some(1.0));
        assert_eq!(leading_number("12.5"), Some(12.5));
        assert_eq!(leading_number("3."), Some(3.0));
        assert_eq!(leading_number("approx. 3"), None);
        assert_eq!(leading_number(""), None);
    }

    #[test]
    fn csv_with_any_header_order_and_case() {
        let bom = parse(
            "bom.csv",
            b"Quantity,Unit,NAME,Part Number,Material,Colour\n4,pcs,\"Hex bolt M8x40, zinc\",ISO 4017 M8x40,8.8 steel,grey\n2 sets,,Wheel,,,\n,,,,,\napprox. 3,m,Rope,,,\n",
        )
        .unwrap();
        assert_eq!(bom.rows.len(), 3);
        let bolt = &bom.rows[0];
        assert_eq!(bolt.line, 2);
        assert_eq!(bolt.name, "Hex bolt M8x40, zinc");
        assert_eq!(bolt.quantity, Some(4.0));
        assert_eq!(bolt.part_number.as_deref(), Some("ISO 4017 M8x40"));
        assert_eq!(bolt.extra["colour"], "grey");
        assert_eq!(bom.rows[1].quantity_text, "2 sets");
        assert_eq!(bom.rows[2].line, 5);
        assert_eq!(
            bom.warnings,
            [(
                5,
                "quantity \"approx. 3\" has no leading number; kept as text".to_owned()
            )]
        );
    }

    #[test]
    fn tsv_and_sbom_columns() {
        let bom = parse(
            "parts.txt",
            b"NAME\tQUANTITY\tTYPE\tPARENT-ASM\tREFERENCE\nFrame\t1\tcustom\troot\tcad/frame.scad\n",
        )
        .unwrap();
        let frame = &bom.rows[0];
        assert_eq!(frame.name, "Frame");
        assert_eq!(frame.category.as_deref(), Some("custom"));
        assert_eq!(frame.extra["parent-asm"], "root");
        assert_eq!(frame.extra["reference"], "cad/frame.scad");
    }

    #[test]
    fn a_missing_required_column_names_the_line() {
        let err = parse("bom.csv", b"part_number,qty\nX,1\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert_eq!(
            err.to_string(),
            "bom.csv line 1: the header has no \"name\" column (found: part_number, qty)"
        );
    }
}
