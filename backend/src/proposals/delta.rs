//! What a proposal changes in the hardware, computed on the merged tree: the `okh.toml`
//! delta (a license change flagged) and the BOM delta (rows added, removed and changed, new
//! component keys, the cost delta where prices exist, and problems such as a BOM a clean text
//! merge broke). Pure: bytes in, deltas out.

use std::collections::{BTreeMap, BTreeSet};

use crate::bom::{self, BomRow};
use crate::manifest;

/// The `okh.toml` keys that differ, and the license change if there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestDelta {
    /// (key, before, after) as TOML text; `None` where the key is absent.
    pub fields: Vec<(String, Option<String>, Option<String>)>,
    /// (license before, license after) when the SPDX expression changes.
    pub license_change: Option<(Option<String>, Option<String>)>,
    /// The merged manifest does not parse: why.
    pub problem: Option<String>,
}

fn table(bytes: &Option<Vec<u8>>) -> Result<toml::Table, String> {
    match bytes {
        None => Ok(toml::Table::new()),
        Some(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| "okh.toml is not UTF-8 text".to_owned())?
            .parse::<toml::Table>()
            .map_err(|e| format!("okh.toml does not parse: {}", e.message())),
    }
}

fn license(bytes: &Option<Vec<u8>>) -> Option<String> {
    let text = std::str::from_utf8(bytes.as_ref()?).ok()?;
    manifest::parse(text).ok()?.license
}

pub fn manifest_delta(before: &Option<Vec<u8>>, after: &Option<Vec<u8>>) -> ManifestDelta {
    let mut delta = ManifestDelta::default();
    if before == after {
        return delta;
    }
    let (a, b) = (license(before), license(after));
    if a != b && after.is_some() && table(after).is_ok() {
        delta.license_change = Some((a, b));
    }
    let old = table(before).unwrap_or_default();
    let new = match table(after) {
        Ok(new) => new,
        Err(problem) => {
            delta.problem = Some(problem);
            return delta;
        }
    };
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a != b {
            delta.fields.push((
                key.clone(),
                a.map(ToString::to_string),
                b.map(ToString::to_string),
            ));
        }
    }
    delta
}

/// One BOM row as the delta shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: String,
    pub name: String,
    pub quantity: String,
    pub part_number: Option<String>,
    pub supplier: Option<String>,
    pub unit_price: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub before: Row,
    pub after: Row,
    /// `quantity`, `part_number`, `supplier`, `unit_price`.
    pub fields: Vec<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BomDelta {
    pub path: String,
    pub added: Vec<Row>,
    pub removed: Vec<Row>,
    pub changed: Vec<Changed>,
    /// Component keys the design did not use before.
    pub new_keys: Vec<String>,
    /// Sum of quantity × unit price over rows with both, before and after (when any has one).
    pub cost_before: Option<f64>,
    pub cost_after: Option<f64>,
    /// What is wrong with the BOM of the merged tree.
    pub problems: Vec<String>,
}

fn row(r: &BomRow) -> Row {
    Row {
        key: r.key(),
        name: r.name.clone(),
        quantity: r.quantity_text.clone(),
        part_number: r.part_number.clone(),
        supplier: r.supplier.clone().or_else(|| r.manufacturer.clone()),
        unit_price: r.unit_price,
    }
}

fn rows(path: &str, bytes: &Option<Vec<u8>>) -> Result<Vec<(Row, Option<f64>)>, String> {
    match bytes {
        None => Ok(Vec::new()),
        Some(bytes) => bom::parse(path, bytes)
            .map(|bom| bom.rows.iter().map(|r| (row(r), r.quantity)).collect())
            .map_err(|e| format!("{} line {}: {}", e.path, e.line, e.message)),
    }
}

fn cost(rows: &[(Row, Option<f64>)]) -> Option<f64> {
    let priced: Vec<f64> = rows
        .iter()
        .filter_map(|(r, q)| Some(r.unit_price? * (*q)?))
        .collect();
    (!priced.is_empty()).then(|| crate::labor::round(priced.iter().sum()))
}

/// The delta of the BOM at `path` between the target and the merged tree.
pub fn bom_delta(path: &str, before: &Option<Vec<u8>>, after: &Option<Vec<u8>>) -> BomDelta {
    let mut delta = BomDelta {
        path: path.to_owned(),
        ..BomDelta::default()
    };
    let old = rows(path, before).unwrap_or_default();
    let new = match (rows(path, after), after) {
        (Ok(new), Some(_)) => new,
        (Ok(_), None) => {
            if before.is_some() {
                delta.problems.push(format!(
                    "the merged design has no {path}, which okh.toml names"
                ));
            }
            Vec::new()
        }
        (Err(problem), _) => {
            delta
                .problems
                .push(format!("the merged BOM does not parse: {problem}"));
            return delta;
        }
    };
    let by_key = |rows: &[(Row, Option<f64>)]| -> BTreeMap<String, Row> {
        rows.iter()
            .map(|(r, _)| (r.key.clone(), r.clone()))
            .collect()
    };
    let (a, b) = (by_key(&old), by_key(&new));
    for (key, after) in &b {
        match a.get(key) {
            None => {
                delta.added.push(after.clone());
                delta.new_keys.push(key.clone());
            }
            Some(before) => {
                let mut fields = Vec::new();
                if before.quantity != after.quantity {
                    fields.push("quantity");
                }
                if before.part_number != after.part_number {
                    fields.push("part_number");
                }
                if before.supplier != after.supplier {
                    fields.push("supplier");
                }
                if before.unit_price != after.unit_price {
                    fields.push("unit_price");
                }
                if !fields.is_empty() {
                    delta.changed.push(Changed {
                        before: before.clone(),
                        after: after.clone(),
                        fields,
                    });
                }
            }
        }
    }
    delta.removed = a
        .iter()
        .filter(|(k, _)| !b.contains_key(*k))
        .map(|(_, r)| r.clone())
        .collect();
    delta.cost_before = cost(&old);
    delta.cost_after = cost(&new);
    delta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Option<Vec<u8>> {
        Some(text.as_bytes().to_vec())
    }

    #[test]
    fn bom_rows_are_matched_by_component_key() {
        let before = bytes(
            "Name,Qty,Part Number,Supplier,Unit Price\nM8 bolt,4,ISO4017-M8x40,Bossard,0.20\nWasher,8,,,0.05\nFrame tube,2,,,\n",
        );
        let after = bytes(
            "Name,Qty,Part Number,Supplier,Unit Price\nM8 bolt,6,ISO4017-M8x40,Würth,0.20\nFrame tube,2,,,\nHub motor,1,,,120\n",
        );
        let delta = bom_delta("bom.csv", &before, &after);
        let names = |rows: &[Row]| rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&delta.added), ["Hub motor"]);
        assert_eq!(names(&delta.removed), ["Washer"]);
        assert_eq!(delta.changed.len(), 1);
        assert_eq!(delta.changed[0].fields, ["quantity", "supplier"]);
        assert_eq!(delta.new_keys.len(), 1);
        assert_eq!(delta.cost_before, Some(1.2));
        assert_eq!(delta.cost_after, Some(121.2));
        assert!(delta.problems.is_empty());
    }

    #[test]
    fn a_broken_merged_bom_is_a_problem() {
        let before = bytes("Name,Qty\nBolt,4\n");
        let after = bytes("Thing,Count\nBolt,4\n");
        let delta = bom_delta("bom.csv", &before, &after);
        assert_eq!(delta.problems.len(), 1, "{delta:?}");
        assert!(delta.problems[0].contains("name"), "{delta:?}");
        let gone = bom_delta("bom.csv", &before, &None);
        assert!(gone.problems[0].contains("no bom.csv"), "{gone:?}");
    }

    #[test]
    fn a_license_change_is_flagged() {
        let before = bytes("name = \"Trailer\"\nlicense = \"CERN-OHL-S-2.0\"\n");
        let after = bytes("name = \"Trailer\"\nlicense = \"MIT\"\nversion = \"2\"\n");
        let delta = manifest_delta(&before, &after);
        assert_eq!(
            delta.license_change,
            Some((Some("CERN-OHL-S-2.0".into()), Some("MIT".into())))
        );
        let keys: Vec<&str> = delta.fields.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(keys, ["license", "version"]);
        assert_eq!(manifest_delta(&before, &before), ManifestDelta::default());
    }
}
