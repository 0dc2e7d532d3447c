//! OpenSCAD parameter-set files: the JSON file beside `name.scad` (`name.json`) that OpenSCAD's
//! Customizer reads and writes, `{"parameterSets": {"set": {"param": "value"}},
//! "fileFormatVersion": "1"}`. OpenSCAD writes every value as a string (`"20"`, `"true"`,
//! `"[1, 2]"`); hand-written files often use JSON numbers, booleans and arrays: both are read.
//! **Invariant:** a set is read against the file's parameters: a value that names no parameter
//! or cannot be one of its kind is left out (as OpenSCAD does), never guessed.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::{Parameter, Value};

/// The longest set name accepted.
pub const MAX_NAME: usize = 100;
/// The most sets one file may hold.
pub const MAX_SETS: usize = 200;

/// The parameter-set file of an OpenSCAD file: `parts/stand.scad` → `parts/stand.json`.
pub fn path_for(scad: &str) -> String {
    match scad.rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.json"),
        None => format!("{scad}.json"),
    }
}

/// A set as the file holds it: its name and raw values.
pub type RawSet = (String, Map<String, Json>);

/// The sets of a file, in file order.
pub fn parse(text: &str) -> Result<Vec<RawSet>, String> {
    let root: Json = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let sets = match root.get("parameterSets") {
        Some(Json::Object(sets)) => sets,
        Some(_) => return Err("`parameterSets` is not an object".into()),
        None => return Err("it has no `parameterSets` object".into()),
    };
    sets.iter()
        .map(|(name, values)| match values {
            Json::Object(values) => Ok((name.clone(), values.clone())),
            _ => Err(format!("parameter set {name:?} is not an object")),
        })
        .collect()
}

/// The values of `raw` that are parameters of `declared`, each of its parameter's kind.
pub fn typed(declared: &[Parameter], raw: &Map<String, Json>) -> BTreeMap<String, Value> {
    raw.iter()
        .filter_map(|(name, value)| {
            let parameter = declared.iter().find(|p| &p.name == name)?;
            Some((name.clone(), coerce(&parameter.default, value)?))
        })
        .collect()
}

/// `value` (a string as OpenSCAD writes it, or a JSON value) as a value of `like`'s kind.
pub fn coerce(like: &Value, value: &Json) -> Option<Value> {
    match (like, value) {
        (Value::Bool(_), Json::Bool(b)) => Some(Value::Bool(*b)),
        (Value::Bool(_), Json::String(s)) => match s.trim() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        (Value::Number(_), Json::Number(n)) => n.as_f64().map(Value::Number),
        (Value::Number(_), Json::String(s)) => s
            .trim()
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .map(Value::Number),
        (Value::Text(_), Json::String(s)) => Some(Value::Text(s.clone())),
        (Value::Vector(_), Json::Array(items)) => items
            .iter()
            .map(Json::as_f64)
            .collect::<Option<_>>()
            .map(Value::Vector),
        (Value::Vector(_), Json::String(s)) => {
            let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
            if inner.trim().is_empty() {
                return Some(Value::Vector(Vec::new()));
            }
            inner
                .split(',')
                .map(|n| n.trim().parse().ok().filter(|n: &f64| n.is_finite()))
                .collect::<Option<_>>()
                .map(Value::Vector)
        }
        _ => None,
    }
}

/// A value as OpenSCAD writes it in a set: text, unquoted.
fn written(value: &Value) -> String {
    match value {
        Value::Text(text) => text.clone(),
        other => other.literal(),
    }
}

/// A set's name as given, or why it cannot be one.
pub fn check_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the set needs a name".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("a set name has at most {MAX_NAME} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("a set name cannot hold control characters".into());
    }
    Ok(name)
}

/// The file `existing` (or a new one) with set `name` holding `values` (replacing a set of
/// that name, keeping every other set and field), as OpenSCAD formats it.
pub fn with_set(
    existing: Option<&str>,
    name: &str,
    values: &BTreeMap<String, Value>,
) -> Result<String, String> {
    let mut root = match existing {
        Some(text) => {
            parse(text)?;
            serde_json::from_str::<Map<String, Json>>(text)
                .map_err(|e| format!("not JSON ({e})"))?
        }
        None => Map::new(),
    };
    let sets = root
        .entry("parameterSets")
        .or_insert_with(|| Json::Object(Map::new()))
        .as_object_mut()
        .ok_or("`parameterSets` is not an object")?;
    if !sets.contains_key(name) && sets.len() >= MAX_SETS {
        return Err(format!("a file holds at most {MAX_SETS} parameter sets"));
    }
    sets.insert(
        name.to_owned(),
        Json::Object(
            values
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(written(v))))
                .collect(),
        ),
    );
    root.entry("fileFormatVersion")
        .or_insert_with(|| Json::String("1".into()));
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&root, &mut serializer).map_err(|e| e.to_string())?;
    out.push(b'\n');
    String::from_utf8(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str =
        "height = 20; // [10:50]\nlabel = \"hi\";\nround = true;\nsize = [1, 2];\n";

    fn declared() -> Vec<Parameter> {
        super::super::params::parse(SOURCE)
    }

    #[test]
    fn the_file_is_named_after_the_scad_file() {
        assert_eq!(path_for("parts/stand.scad"), "parts/stand.json");
        assert_eq!(path_for("box.SCAD"), "box.json");
    }

    #[test]
    fn openscads_strings_and_plain_json_values_are_both_read() {
        let text = r#"{"parameterSets": {
            "as OpenSCAD writes": {"height": "35", "label": "tall", "round": "false", "size": "[3, 4.5]"},
            "by hand": {"height": 40, "round": true, "size": [5, 6]}
        }, "fileFormatVersion": "1"}"#;
        let sets = parse(text).unwrap();
        assert_eq!(sets.len(), 2);
        let first = typed(&declared(), &sets[0].1);
        assert_eq!(first["height"], Value::Number(35.0));
        assert_eq!(first["label"], Value::Text("tall".into()));
        assert_eq!(first["round"], Value::Bool(false));
        assert_eq!(first["size"], Value::Vector(vec![3.0, 4.5]));
        let second = typed(&declared(), &sets[1].1);
        assert_eq!(second["height"], Value::Number(40.0));
        assert_eq!(second["size"], Value::Vector(vec![5.0, 6.0]));
    }

    #[test]
    fn unknown_and_ill_typed_values_are_left_out() {
        let text = r#"{"parameterSets": {"s": {"height": "tall", "nothing": "1", "round": "yes", "label": "ok"}}}"#;
        let values = typed(&declared(), &parse(text).unwrap()[0].1);
        assert_eq!(values.len(), 1);
        assert_eq!(values["label"], Value::Text("ok".into()));
    }

    #[test]
    fn a_broken_file_is_named_as_such() {
        assert!(parse("{").unwrap_err().contains("not JSON"));
        assert!(parse("{}").unwrap_err().contains("parameterSets"));
        assert!(
            parse(r#"{"parameterSets": {"a": 1}}"#)
                .unwrap_err()
                .contains("\"a\"")
        );
    }

    #[test]
    fn a_set_is_added_or_replaced_and_others_kept() {
        let mut values = BTreeMap::new();
        values.insert("height".to_owned(), Value::Number(30.0));
        values.insert("label".to_owned(), Value::Text("a \"b\"".into()));
        values.insert("size".to_owned(), Value::Vector(vec![1.5, 2.0]));
        let first = with_set(None, "tall", &values).unwrap();
        let sets = parse(&first).unwrap();
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].1["height"], Json::String("30".into()));
        assert_eq!(sets[0].1["label"], Json::String("a \"b\"".into()));
        assert_eq!(sets[0].1["size"], Json::String("[1.5, 2]".into()));
        assert!(first.contains("\"fileFormatVersion\": \"1\""));
        assert!(first.contains("\n    \"parameterSets\""), "{first}");
        assert_eq!(typed(&declared(), &sets[0].1), values);

        values.insert("height".to_owned(), Value::Number(45.0));
        let second = with_set(Some(&first), "short", &values).unwrap();
        let third = with_set(Some(&second), "tall", &values).unwrap();
        let sets = parse(&third).unwrap();
        let names: Vec<&str> = sets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"tall") && names.contains(&"short"));
        assert!(with_set(Some("[1]"), "x", &values).is_err());
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("  tall "), Ok("tall"));
        assert!(check_name(" ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME + 1)).is_err());
    }
}
