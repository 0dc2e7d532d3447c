//! Bills of materials as tools and people export them: CSV or TSV (`,` `;` or tab, detected),
//! UTF-8 with or without a byte-order mark, UTF-16, or a legacy 8-bit encoding (read as
//! Windows-1252, with a warning on the first line that is not UTF-8); `.xlsx` and `.ods`
//! spreadsheets (their first sheet).
//!
//! Headers are matched through a table of the names the common exports use (KiCad, Eagle and
//! Fusion, Altium, JLCPCB, the OKH-LOSH sBoM, spreadsheets), case and punctuation ignored;
//! the header row may come after title rows, or last (as some sBoM samples have it). Every
//! column is kept: the ones Atelier understands by role, the others as `extra`. A row with no
//! name column is named by its value and footprint (or designators), so unrelated parts are
//! not lumped together. Quantities are free text in the wild ("2 sets", "1 or 2"): the text is
//! kept and its leading number read. A bad row is a warning with its line, never a reason to
//! reject the file.

use std::collections::BTreeMap;

/// One line of a BOM.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BomRow {
    /// 1-based line in the file (row in a spreadsheet).
    pub line: usize,
    pub name: String,
    /// As written.
    pub quantity_text: String,
    /// The leading number of `quantity_text`, when there is one.
    pub quantity: Option<f64>,
    pub unit: Option<String>,
    /// The manufacturer's part number (MPN), or the part number the file gives.
    pub part_number: Option<String>,
    pub manufacturer: Option<String>,
    pub supplier: Option<String>,
    pub supplier_part_number: Option<String>,
    /// The price of one unit, as a number (the currency is not interpreted).
    pub unit_price: Option<f64>,
    /// An electronic part's value ("10k", "100n").
    pub value: Option<String>,
    /// Its footprint or package.
    pub footprint: Option<String>,
    /// Reference designators ("R1", "C3"), one per part placed.
    pub designators: Vec<String>,
    /// The assembly this row is part of (the sBoM `PARENT-ASM`).
    pub parent: Option<String>,
    /// Documents or notes the row refers to (the sBoM `REFERENCE-n` columns).
    pub references: Vec<String>,
    pub material: Option<String>,
    pub category: Option<String>,
    pub specs: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
    /// Columns Atelier does not interpret (header as written → value).
    pub extra: BTreeMap<String, String>,
}

impl BomRow {
    /// The component key of this row (where-used): its part number, else its name with its
    /// value and footprint, so a 10k 0603 resistor is not an 0805 one.
    pub fn key(&self) -> String {
        let mut words = vec![self.name.as_str()];
        for more in [self.value.as_deref(), self.footprint.as_deref()]
            .into_iter()
            .flatten()
        {
            if !self.name.contains(more) {
                words.push(more);
            }
        }
        crate::search::normalize::component_key(self.part_number.as_deref(), &words.join(" "))
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bom {
    pub rows: Vec<BomRow>,
    /// Rows that were skipped or partly read, with their line.
    pub warnings: Vec<(usize, String)>,
    /// The sheet read, for a spreadsheet.
    pub sheet: Option<String>,
}

impl Bom {
    /// The sum of quantity × unit price over the rows that have both; `None` when no row does.
    pub fn total_cost(&self) -> Option<f64> {
        let priced: Vec<f64> = self
            .rows
            .iter()
            .filter_map(|r| Some(r.quantity? * r.unit_price?))
            .collect();
        (!priced.is_empty()).then(|| priced.iter().sum())
    }
}

/// The file cannot be read as a BOM at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} line {line}: {message}")]
pub struct BomError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// What a column means.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    Name,
    Quantity,
    Designators,
    Value,
    Footprint,
    PartNumber,
    Manufacturer,
    Supplier,
    SupplierPartNumber,
    UnitPrice,
    Unit,
    Parent,
    Reference,
    Material,
    Category,
    Specs,
    Url,
    Notes,
}

/// Columns in the order they choose their header: each takes the best-ranked header not yet
/// taken (so `Description` is the name only when nothing names better, and `UNITS` is the
/// count when there is no other).
const ORDER: [Column; 18] = [
    Column::Name,
    Column::Quantity,
    Column::Designators,
    Column::Value,
    Column::Footprint,
    Column::PartNumber,
    Column::Manufacturer,
    Column::SupplierPartNumber,
    Column::Supplier,
    Column::UnitPrice,
    Column::Unit,
    Column::Parent,
    Column::Material,
    Column::Category,
    Column::Specs,
    Column::Url,
    Column::Notes,
    Column::Reference,
];

/// Header names (lower-case, letters and digits only) for each column, best first (the rank).
/// Gathered from the documented exports of KiCad, Eagle/Fusion, Altium, JLCPCB and Digi-Key
/// and Mouser carts, the OKH-LOSH sBoM template, and spreadsheets (a few German names too).
const SYNONYMS: &[(Column, u8, &[&str])] = &[
    (
        Column::Name,
        0,
        &[
            "name",
            "partname",
            "partbomname",
            "bomname",
            "itemname",
            "componentname",
            "bezeichnung",
            "benennung",
        ],
    ),
    (
        Column::Name,
        1,
        &["component", "title", "designation", "article", "artikel"],
    ),
    // Not `item`: spreadsheets number their rows in it.
    (Column::Name, 2, &["part", "product"]),
    (Column::Name, 4, &["description", "desc", "beschreibung"]),
    (
        Column::Quantity,
        0,
        &[
            "quantity",
            "qty",
            "bomqty",
            "qtyperboard",
            "quantityperboard",
            "qtyper",
            "menge",
            "anzahl",
            "stuck",
            "stueck",
        ],
    ),
    (
        Column::Quantity,
        1,
        &["count", "amount", "pcs", "pieces", "number", "nr"],
    ),
    // The sBoM template's count, when no column says more plainly.
    (Column::Quantity, 2, &["units"]),
    (
        Column::Designators,
        0,
        &[
            "designator",
            "designators",
            "refdes",
            "refs",
            "referencedesignator",
            "referencedesignators",
        ],
    ),
    (
        Column::Designators,
        1,
        &["reference", "references", "ref", "parts", "part"],
    ),
    (Column::Value, 0, &["value", "val", "wert"]),
    (Column::Value, 2, &["comment"]),
    (
        Column::Footprint,
        0,
        &[
            "footprint",
            "package",
            "pcbfootprint",
            "case",
            "gehause",
            "gehaeuse",
        ],
    ),
    (Column::Footprint, 1, &["device"]),
    (
        Column::PartNumber,
        0,
        &[
            "mpn",
            "manufacturerpartnumber",
            "manufacturerpn",
            "mfrpartnumber",
            "mfrpn",
            "mfgpartnumber",
            "mfrno",
            "mfrnumber",
        ],
    ),
    (
        Column::PartNumber,
        1,
        &[
            "partnumber",
            "partno",
            "pn",
            "articlenumber",
            "artikelnummer",
            "sku",
        ],
    ),
    (
        Column::Manufacturer,
        0,
        &[
            "manufacturer",
            "mfr",
            "mf",
            "mfg",
            "manufacturername",
            "hersteller",
        ],
    ),
    (Column::Manufacturer, 1, &["brand", "maker", "make"]),
    (
        Column::SupplierPartNumber,
        0,
        &[
            "supplierpartnumber",
            "supplierpn",
            "supplierpartno",
            "vendorpartnumber",
            "vendorpn",
            "distributorpartnumber",
            "digikeypartnumber",
            "digikeypn",
            "digikey",
            "mouserpartnumber",
            "mouser",
            "lcscpart",
            "lcscpartnumber",
            "lcsc",
            "jlcpcbpart",
            "jlcpcbpartnumber",
            "ordercode",
            "ordernumber",
            "bestellnummer",
        ],
    ),
    (
        Column::Supplier,
        0,
        &[
            "supplier",
            "vendor",
            "distributor",
            "seller",
            "lieferant",
            "shop",
        ],
    ),
    (
        Column::UnitPrice,
        0,
        &[
            "unitprice",
            "supplierunitprice",
            "priceperunit",
            "unitcost",
            "costperunit",
            "priceeach",
            "einzelpreis",
            "stuckpreis",
        ],
    ),
    (Column::UnitPrice, 1, &["price", "cost", "preis"]),
    (
        Column::Unit,
        0,
        &["unit", "uom", "unitofmeasure", "einheit"],
    ),
    (Column::Unit, 2, &["units"]),
    (
        Column::Parent,
        0,
        &[
            "parentasm",
            "parentassembly",
            "parent",
            "assembly",
            "subassembly",
            "baugruppe",
        ],
    ),
    (Column::Material, 0, &["material", "materials", "werkstoff"]),
    (
        Column::Category,
        0,
        &["category", "type", "kind", "kategorie", "typ"],
    ),
    (
        Column::Specs,
        0,
        &[
            "specs",
            "specification",
            "specifications",
            "dimensions",
            "size",
        ],
    ),
    (Column::Specs, 1, &["description", "desc", "beschreibung"]),
    (
        Column::Url,
        0,
        &["url", "link", "productlink", "producturl", "weblink"],
    ),
    (Column::Url, 1, &["source", "datasheet"]),
    (
        Column::Notes,
        0,
        &[
            "notes",
            "note",
            "remarks",
            "remark",
            "comments",
            "bemerkung",
            "hinweis",
        ],
    ),
    (Column::Notes, 1, &["comment"]),
];

/// The header as the synonym table spells it: lower-case letters and digits, without the
/// number that numbered columns end with (`REFERENCE-2`, Altium's `Supplier 1`).
fn normalized(header: &str) -> String {
    let key: String = header
        .trim()
        .to_lowercase()
        .replace('ä', "a")
        .replace('ö', "o")
        .replace('ü', "u")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    match key.trim_end_matches(|c: char| c.is_ascii_digit()) {
        "" => key,
        stem => stem.to_owned(),
    }
}

/// Whether a header plainly names a value column (`Value`, not Altium's `Comment`).
fn is_value(key: &str) -> bool {
    SYNONYMS
        .iter()
        .any(|(c, rank, names)| *c == Column::Value && *rank == 0 && names.contains(&key))
}

/// How many parts one designator token places: "R1" one, "C103-C105" three (a range of one
/// prefix), anything else one.
fn placed(token: &str) -> usize {
    let split = |one: &str| {
        let letters = one.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let (prefix, number) = one.split_at(letters);
        Some((prefix.to_owned(), number.parse::<usize>().ok()?))
    };
    match token
        .split_once('-')
        .and_then(|(a, b)| Some((split(a)?, split(b)?)))
    {
        Some(((p, from), (q, to))) if p == q && to >= from && to - from < 10_000 => to - from + 1,
        _ => 1,
    }
}

/// Prefixes of standard numbers ("DIN912", "ISO7089"), which look like designators.
const STANDARDS: [&str; 8] = ["DIN", "ISO", "EN", "BS", "NF", "JIS", "IEC", "ANSI"];

/// Whether a cell holds reference designators ("R1", "C3, C4", "C103-C105").
fn looks_like_designators(cell: &str) -> bool {
    let tokens: Vec<&str> = cell
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    !tokens.is_empty()
        && tokens.iter().all(|token| {
            token.split('-').all(|one| {
                let letters = one.chars().take_while(|c| c.is_ascii_alphabetic()).count();
                let rest = &one[letters..];
                (1..=5).contains(&letters)
                    && !STANDARDS.contains(&one[..letters].to_ascii_uppercase().as_str())
                    && !rest.is_empty()
                    && rest.chars().all(|c| c.is_ascii_digit())
            })
        })
}

/// The role of each column of `headers`, judged also by the `rows` below them (a `Reference`
/// or `Parts` column is designators only when its cells look like designators).
fn roles(headers: &[String], rows: &[&[String]]) -> Vec<Option<Column>> {
    let keys: Vec<String> = headers.iter().map(|h| normalized(h)).collect();
    let designator_like = |i: usize| {
        let cells: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.get(i).map(String::as_str))
            .filter(|c| !c.trim().is_empty())
            .take(50)
            .collect();
        !cells.is_empty()
            && cells.iter().filter(|c| looks_like_designators(c)).count() * 10 >= cells.len() * 6
    };
    // An EDA export names parts by their value: a `Value` column, or Altium's `Comment` beside
    // a `Designator` column. There a description is only a description.
    let designators = |k: &String| {
        SYNONYMS.iter().any(|(c, rank, names)| {
            *c == Column::Designators && *rank == 0 && names.contains(&k.as_str())
        })
    };
    let eda = keys.iter().any(|k| is_value(k))
        || (keys.iter().any(|k| k == "comment") && keys.iter().any(designators));
    let mut taken: Vec<Option<Column>> = vec![None; headers.len()];
    for column in ORDER {
        let mut best: Option<(u8, usize)> = None;
        for (i, key) in keys.iter().enumerate() {
            if taken[i].is_some() {
                continue;
            }
            let Some(rank) = SYNONYMS
                .iter()
                .filter(|(c, _, names)| *c == column && names.contains(&key.as_str()))
                .map(|(_, rank, _)| *rank)
                .min()
            else {
                continue;
            };
            // Altium's `Comment` is the value only when nothing else names the part, and a
            // description names it only when there is no value to name it by.
            if column == Column::Value && key == "comment" && taken.contains(&Some(Column::Name)) {
                continue;
            }
            if column == Column::Name && rank >= 4 && eda {
                continue;
            }
            if column == Column::Designators && rank > 0 && !designator_like(i) {
                continue;
            }
            // Eagle's list by parts: `Part` holds designators, not names.
            if column == Column::Name
                && matches!(key.as_str(), "part" | "parts")
                && designator_like(i)
            {
                continue;
            }
            if best.is_none_or(|(r, _)| rank < r) {
                best = Some((rank, i));
            }
        }
        if let Some((_, i)) = best {
            taken[i] = Some(column);
        }
    }
    // Every reference column (`REFERENCE-1`, `REFERENCE-2`…) that is not designators.
    for (i, key) in keys.iter().enumerate() {
        if taken[i].is_none() && key == "reference" {
            taken[i] = Some(Column::Reference);
        }
    }
    taken
}

/// Whether a header row with these roles can be read as a BOM.
fn usable(roles: &[Option<Column>]) -> bool {
    let has = |c: Column| roles.contains(&Some(c));
    (has(Column::Name) || has(Column::Value) || has(Column::Designators))
        && (has(Column::Quantity) || has(Column::Designators))
}

/// The leading number of a quantity ("2 sets" → 2, "12.5" → 12.5, "1,5" → 1.5, "1,000" →
/// 1000, "1.234,56" → 1234.56, "approx. 3" → none). With both marks, the last one is the
/// decimal mark; a lone comma is one too unless exactly three digits follow it after a
/// number other than 0.
pub fn leading_number(text: &str) -> Option<f64> {
    let text = text.trim_start();
    let end = text
        .char_indices()
        .take_while(|(i, c)| c.is_ascii_digit() || ((*c == '.' || *c == ',') && *i > 0))
        .map(|(i, c)| i + c.len_utf8())
        .last()?;
    let number = text[..end].trim_end_matches(['.', ',']);
    let (comma, point) = (number.rfind(','), number.rfind('.'));
    let decimal = match (comma, point) {
        (Some(c), Some(p)) => Some(c.max(p)),
        (Some(c), None)
            if number.matches(',').count() == 1
                && (number.len() - c - 1 != 3 || &number[..c] == "0") =>
        {
            Some(c)
        }
        (None, Some(p)) if number.matches('.').count() == 1 => Some(p),
        _ => None,
    };
    let mut plain = String::with_capacity(number.len());
    for (i, c) in number.char_indices() {
        match c {
            '0'..='9' => plain.push(c),
            _ if Some(i) == decimal => plain.push('.'),
            _ => {}
        }
    }
    plain.parse().ok()
}

/// A price cell as a number: currency signs and codes around it ignored ("€ 0,12", "$1.05",
/// "0.30 EUR").
fn price(text: &str) -> Option<f64> {
    let digits = text.trim_start_matches(|c: char| !c.is_ascii_digit());
    leading_number(digits)
}

/// The unit a quantity's text names after its number ("2 sets" → "set", "3 m" → "m").
fn unit_in(quantity: &str) -> Option<String> {
    let rest = quantity
        .trim_start()
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',')
        .trim();
    let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
    if word.is_empty() || word.len() != rest.len() || rest.len() > 12 {
        return None;
    }
    let lower = word.to_lowercase();
    // "2x" is a count, not a unit.
    if lower == "x" {
        return None;
    }
    let singular = ["xes", "ches", "shes", "sses"]
        .iter()
        .find_map(|ending| {
            lower
                .strip_suffix(ending)
                .map(|stem| format!("{stem}{}", &ending[..ending.len() - 2]))
        })
        .or_else(|| {
            lower
                .strip_suffix('s')
                .filter(|one| one.len() >= 3 && !one.ends_with('s'))
                .map(str::to_owned)
        });
    Some(singular.unwrap_or(lower))
}

/// Spreadsheet extensions, read with calamine.
const SPREADSHEETS: [&str; 4] = [".xlsx", ".xlsm", ".xls", ".ods"];

/// A BOM as a manifest names it: the file, and for a spreadsheet the sheet after a `#`
/// (`bom/parts.xlsx#Fasteners`; none: the first sheet).
pub fn split_sheet(reference: &str) -> (&str, Option<&str>) {
    match reference.rsplit_once('#') {
        Some((file, sheet))
            if !sheet.is_empty()
                && SPREADSHEETS
                    .iter()
                    .any(|ext| file.to_lowercase().ends_with(ext)) =>
        {
            (file, Some(sheet))
        }
        _ => (reference, None),
    }
}

/// Parses the BOM `path` (a [`split_sheet`] reference): a spreadsheet by its extension, else
/// delimited text.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Bom, BomError> {
    let fail = |line: usize, message: String| BomError {
        path: path.to_owned(),
        line,
        message,
    };
    let (file, named) = split_sheet(path);
    let lower = file.to_lowercase();
    let (table, sheet, mut warnings) = if SPREADSHEETS.iter().any(|ext| lower.ends_with(ext)) {
        let (sheet, table) = sheet_table(bytes, named).map_err(|message| fail(1, message))?;
        (table, Some(sheet), Vec::new())
    } else {
        let (text, warnings) = decode(bytes);
        (
            text_table(path, &text).map_err(|(l, m)| fail(l, m))?,
            None,
            warnings,
        )
    };
    let mut bom = from_table(table).map_err(|(line, message)| fail(line, message))?;
    warnings.append(&mut bom.warnings);
    bom.warnings = warnings;
    bom.sheet = sheet;
    Ok(bom)
}

/// Rows of cells, each with its 1-based line (or spreadsheet row).
type Table = Vec<(usize, Vec<String>)>;

/// The text of `bytes`: UTF-8 (a byte-order mark dropped), UTF-16 with its byte-order mark,
/// else Windows-1252 with a warning naming the first line that is not UTF-8.
fn decode(bytes: &[u8]) -> (String, Vec<(usize, String)>) {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_with_bom_removal(bytes);
        return (text.into_owned(), Vec::new());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), Vec::new()),
        Err(err) => {
            let line = bytes[..err.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1;
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (
                text.into_owned(),
                vec![(
                    line,
                    "the file is not UTF-8: read as Windows-1252 (Latin-1); save it as UTF-8 to be sure".into(),
                )],
            )
        }
    }
}

/// The cells of delimited text, with their lines. The delimiter is the one of `,` `;` and tab
/// that the first lines use most (an Excel `sep=` line names it).
fn text_table(path: &str, text: &str) -> Result<Table, (usize, String)> {
    let mut text = text;
    let mut first_line = 1;
    let mut delimiter = None;
    if let Some(rest) = text.strip_prefix("sep=")
        && let Some(c) = rest.chars().next()
        && c.is_ascii()
    {
        delimiter = Some(c as u8);
        text = rest.split_once('\n').map(|(_, r)| r).unwrap_or_default();
        first_line = 2;
    }
    let delimiter = delimiter.unwrap_or_else(|| {
        if path.to_lowercase().ends_with(".tsv") {
            return b'\t';
        }
        // The one that splits the first lines into the same number of fields, the most.
        let sample: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(6)
            .collect();
        [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| {
                let counts: Vec<usize> = sample
                    .iter()
                    .map(|l| outside_quotes(l, *d as char))
                    .collect();
                let widest = counts.iter().copied().max().unwrap_or(0);
                let steady = counts
                    .iter()
                    .filter(|c| **c == widest && widest > 0)
                    .count();
                (steady, widest, *d == b',')
            })
            .unwrap_or(b',')
    });
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                table.push((
                    line + first_line - 1,
                    record.iter().map(str::to_owned).collect(),
                ));
            }
            Err(err) => {
                let line = err.position().map(|p| p.line() as usize).unwrap_or(0);
                return Err((line + first_line - 1, format!("unreadable text ({err})")));
            }
        }
    }
    Ok(table)
}

/// How often `c` occurs in `text` outside double quotes.
fn outside_quotes(text: &str, c: char) -> usize {
    let mut quoted = false;
    text.chars()
        .filter(|ch| {
            if *ch == '"' {
                quoted = !quoted;
            }
            !quoted && *ch == c
        })
        .count()
}

/// The sheet `named` (any case; none: the first) of a spreadsheet as cells, with 1-based row
/// numbers.
fn sheet_table(bytes: &[u8], named: Option<&str>) -> Result<(String, Table), String> {
    use calamine::Reader as _;
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|err| format!("the spreadsheet cannot be read ({err})"))?;
    let names = workbook.sheet_names();
    let name = match named {
        None => names
            .first()
            .cloned()
            .ok_or("the spreadsheet has no sheet")?,
        Some(named) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(named))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "the spreadsheet has no sheet {named:?} (its sheets: {})",
                    names.join(", ")
                )
            })?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|err| format!("sheet {name:?} cannot be read ({err})"))?;
    let top = range.start().map(|(row, _)| row as usize).unwrap_or(0);
    let table = range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            (
                top + i + 1,
                row.iter()
                    .map(|cell| cell.to_string().trim().to_owned())
                    .collect(),
            )
        })
        .collect();
    Ok((name, table))
}

/// Reads rows of cells as a BOM: finds the header row (among the first ten non-empty rows, or
/// the last one), then each row below it.
fn from_table(table: Table) -> Result<Bom, (usize, String)> {
    let filled: Vec<&(usize, Vec<String>)> = table
        .iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    let Some(first) = filled.first() else {
        return Err((1, "the file is empty".into()));
    };
    let header_at = |index: usize| -> Option<Vec<Option<Column>>> {
        let (_, headers) = filled[index];
        // The rows a column's content is judged by: the ones after a header near the top,
        // the ones before a header at the end.
        let below: Vec<&[String]> = if index + 1 == filled.len() && index > 0 {
            filled[index.saturating_sub(50)..index]
                .iter()
                .map(|(_, r)| r.as_slice())
                .collect()
        } else {
            filled[index + 1..]
                .iter()
                .take(50)
                .map(|(_, r)| r.as_slice())
                .collect()
        };
        let roles = roles(headers, &below);
        usable(&roles).then_some(roles)
    };
    let found = (0..filled.len().min(10))
        .find_map(|i| header_at(i).map(|roles| (i, roles)))
        .or_else(|| {
            let last = filled.len() - 1;
            header_at(last).map(|roles| (last, roles))
        });
    let Some((index, columns)) = found else {
        return Err((
            first.0,
            format!(
                "no header row names the parts and their quantities (found: {}); name the columns, e.g. Name and Quantity",
                first.1.join(", ")
            ),
        ));
    };
    let headers = filled[index].1.clone();
    let mut bom = Bom::default();
    let body = filled
        .iter()
        .enumerate()
        .filter(|(i, row)| {
            if index + 1 == filled.len() && index > 0 {
                // A header at the end: the rows above it are the data, titles excepted.
                *i < index && row.1.len() >= headers.len()
            } else {
                *i > index
            }
        })
        .map(|(_, row)| *row);
    for (line, cells) in body {
        if let Some(row) = read_row(*line, cells, &headers, &columns, &mut bom.warnings) {
            bom.rows.push(row);
        }
    }
    Ok(bom)
}

fn read_row(
    line: usize,
    cells: &[String],
    headers: &[String],
    columns: &[Option<Column>],
    warnings: &mut Vec<(usize, String)>,
) -> Option<BomRow> {
    if cells.len() > headers.len() && cells[headers.len()..].iter().any(|c| !c.is_empty()) {
        warnings.push((
            line,
            format!(
                "row has {} fields, the header {}",
                cells.len(),
                headers.len()
            ),
        ));
    }
    let mut row = BomRow {
        line,
        ..BomRow::default()
    };
    let mut description = None;
    for (i, value) in cells.iter().enumerate() {
        if value.is_empty() {
            continue;
        }
        let value = value.clone();
        match columns.get(i).copied().flatten() {
            Some(Column::Name) => row.name = value,
            Some(Column::Quantity) => row.quantity_text = value,
            Some(Column::Designators) => {
                row.designators = value
                    .split([',', ' ', ';'])
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            Some(Column::Value) => row.value = Some(value),
            Some(Column::Footprint) => row.footprint = Some(value),
            Some(Column::PartNumber) => row.part_number = Some(value),
            Some(Column::Manufacturer) => row.manufacturer = Some(value),
            Some(Column::Supplier) => row.supplier = Some(value),
            Some(Column::SupplierPartNumber) => row.supplier_part_number = Some(value),
            Some(Column::UnitPrice) => match price(&value) {
                Some(p) => row.unit_price = Some(p),
                None => warnings.push((line, format!("unit price {value:?} is not a number"))),
            },
            Some(Column::Unit) => row.unit = Some(value),
            Some(Column::Parent) => row.parent = Some(value),
            Some(Column::Reference) => row.references.push(value),
            Some(Column::Material) => row.material = Some(value),
            Some(Column::Category) => row.category = Some(value),
            Some(Column::Specs) => {
                description = Some(value.clone());
                row.specs = Some(value);
            }
            Some(Column::Url) => row.url = Some(value),
            Some(Column::Notes) => row.notes = Some(value),
            None => {
                let key = headers
                    .get(i)
                    .filter(|h| !h.is_empty())
                    .cloned()
                    .unwrap_or_else(|| format!("column {}", i + 1));
                row.extra.insert(key, value);
            }
        }
    }
    if row.name.is_empty() {
        // An EDA export: the part is its value in its footprint (or its designators).
        let named: Vec<&str> = [row.value.as_deref(), row.footprint.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        row.name = if !named.is_empty() {
            named.join(" ")
        } else if let Some(description) = description {
            description
        } else {
            row.designators.join(", ")
        };
    }
    if row.name.is_empty() {
        if row.quantity_text.is_empty() && row.extra.is_empty() {
            return None;
        }
        warnings.push((line, "row has no name; skipped".into()));
        return None;
    }
    if row.quantity_text.is_empty() && !row.designators.is_empty() {
        // One part per designator.
        row.quantity_text = row
            .designators
            .iter()
            .map(|d| placed(d))
            .sum::<usize>()
            .to_string();
    }
    row.quantity = leading_number(&row.quantity_text);
    match row.quantity {
        None if row.quantity_text.is_empty() => warnings.push((line, "no quantity given".into())),
        None => warnings.push((
            line,
            format!(
                "quantity {:?} has no leading number; kept as text",
                row.quantity_text
            ),
        )),
        Some(n) => {
            let rest = row
                .quantity_text
                .trim_start()
                .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
            if let Some(unit) = unit_in(&row.quantity_text) {
                if row.unit.is_none() {
                    row.unit = Some(unit);
                }
            } else if !rest.trim().is_empty() {
                warnings.push((
                    line,
                    format!(
                        "quantity {:?} counts as {n} (the text is kept)",
                        row.quantity_text
                    ),
                ));
            }
        }
    }
    Some(row)
}

/// The BOM file at `path` as the API shows it: rows with their component keys, or the reason it
/// could not be read.
pub fn wire(path: &str, bytes: &[u8]) -> api::Bom {
    match parse(path, bytes) {
        Ok(bom) => api::Bom {
            path: path.to_owned(),
            total_cost: bom.total_cost(),
            sheet: bom.sheet.clone(),
            rows: bom
                .rows
                .into_iter()
                .map(|row| api::BomRow {
                    line: row.line,
                    key: row.key(),
                    name: row.name,
                    quantity_text: row.quantity_text,
                    quantity: row.quantity,
                    unit: row.unit,
                    part_number: row.part_number,
                    manufacturer: row.manufacturer,
                    supplier: row.supplier,
                    supplier_part_number: row.supplier_part_number,
                    unit_price: row.unit_price,
                    value: row.value,
                    footprint: row.footprint,
                    designators: row.designators,
                    parent: row.parent,
                    references: row.references,
                    material: row.material,
                    category: row.category,
                    specs: row.specs,
                    url: row.url,
                    notes: row.notes,
                    extra: row.extra,
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
            total_cost: None,
            sheet: None,
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
        assert_eq!(leading_number("1,5"), Some(1.5));
        assert_eq!(leading_number("1,200.5"), Some(1200.5));
        assert_eq!(leading_number("1,000"), Some(1000.0));
        assert_eq!(leading_number("1.234,56"), Some(1234.56));
        assert_eq!(leading_number("0,125"), Some(0.125));
        assert_eq!(unit_in("3 boxes").as_deref(), Some("box"));
        assert_eq!(unit_in("2x"), None);
        assert_eq!(placed("C103-C105"), 3);
        assert_eq!(placed("R7"), 1);
        assert_eq!(leading_number("3."), Some(3.0));
        assert_eq!(leading_number("approx. 3"), None);
        assert_eq!(leading_number(""), None);
        assert_eq!(unit_in("2 sets").as_deref(), Some("set"));
        assert_eq!(unit_in("3 m").as_deref(), Some("m"));
        assert_eq!(unit_in("4 pcs").as_deref(), Some("pcs"));
        assert_eq!(unit_in("1 or 2"), None);
        assert_eq!(price("€ 0,12"), Some(0.12));
        assert_eq!(price("$1.05"), Some(1.05));
        assert_eq!(price("0.30 EUR"), Some(0.3));
    }

    fn names(bom: &Bom) -> Vec<&str> {
        bom.rows.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn roles_are_given_as_people_mean_them() {
        // A spreadsheet's Item numbers its rows; the description names the part.
        let bom = parse(
            "b.csv",
            b"Item,Description,Qty\n1,Hex bolt M8,4\n2,Washer M8,8\n",
        )
        .unwrap();
        assert_eq!(names(&bom), ["Hex bolt M8", "Washer M8"]);
        assert_eq!(bom.rows[0].extra["Item"], "1");
        // Comment is a note when a description names the part.
        let bom = parse("b.csv", b"Description,Qty,Comment\nFrame,1,weld first\n").unwrap();
        assert_eq!(names(&bom), ["Frame"]);
        assert_eq!(bom.rows[0].notes.as_deref(), Some("weld first"));
        // Units is the unit of measure beside a plainer count.
        let bom = parse("b.csv", b"Name,Units,Amount\nRope,m,12\n").unwrap();
        assert_eq!(bom.rows[0].quantity, Some(12.0));
        assert_eq!(bom.rows[0].unit.as_deref(), Some("m"));
        // Eagle's list by parts: Part holds designators, each one part.
        let bom = parse(
            "b.csv",
            b"Part;Value;Device;Package;Description\nR1;10k;R-EU_R0603;R0603;Resistor\nC1-C3;100n;C-EUC0603;C0603;Capacitor\n",
        )
        .unwrap();
        assert_eq!(names(&bom), ["10k R0603", "100n C0603"]);
        assert_eq!(bom.rows[0].designators, ["R1"]);
        assert_eq!(bom.rows[1].quantity, Some(3.0));
        // Standard numbers in an sBoM reference are not designators.
        let bom = parse(
            "b.tsv",
            b"NAME\tQUANTITY\tREFERENCE\nScrew\t4\tDIN912\nWasher\t4\tISO7089\n",
        )
        .unwrap();
        assert_eq!(bom.rows[0].references, ["DIN912"]);
        assert!(bom.rows[0].designators.is_empty());
        // A comma inside a semicolon file's cell does not make it comma-separated.
        let bom = parse(
            "b.csv",
            "Name;Menge\nMutter M8, verzinkt, DIN 934;4\nScheibe;8\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(names(&bom), ["Mutter M8, verzinkt, DIN 934", "Scheibe"]);
        // A header at the end: the title above it is not a part.
        let bom = parse("b.tsv", b"Parts list\nFrame\t1\nWheel\t2\nNAME\tQUANTITY\n").unwrap();
        assert_eq!(names(&bom), ["Frame", "Wheel"]);
    }

    #[test]
    fn designators_are_recognised_by_their_shape() {
        assert!(looks_like_designators("R1"));
        assert!(looks_like_designators("C9, C10, C19"));
        assert!(looks_like_designators("C103-C105,C109"));
        assert!(looks_like_designators("LED1 LED2"));
        assert!(!looks_like_designators("/cad/frame.scad"));
        assert!(!looks_like_designators("150u, CP_Elec_8x6.2"));
        assert!(!looks_like_designators("Frame"));
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
        assert_eq!(bolt.extra["Colour"], "grey");
        assert_eq!(bom.rows[1].quantity_text, "2 sets");
        assert_eq!(bom.rows[1].unit.as_deref(), Some("set"));
        assert_eq!(bom.rows[2].line, 5);
        assert_eq!(
            bom.warnings,
            [(
                5,
                "quantity \"approx. 3\" has no leading number; kept as text".to_owned()
            )]
        );
    }
}
