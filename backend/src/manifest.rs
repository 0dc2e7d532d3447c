//! OKH-LOSH `okh.toml`: the design's metadata, read field by field.
//!
//! Only TOML that does not parse at all is a [`ManifestError`] for the whole manifest. Otherwise
//! every known field is read on its own: a value of the wrong shape becomes one problem in
//! [`Manifest::problems`] naming its key and line, and the rest of the manifest stands. Fields
//! the standard allows as one value or a list take both ([`OneOrMany`]); numbers and dates
//! where text is expected are read as text, exactly as written (`version = 1.0` is "1.0").
//! Unknown keys are kept in [`Manifest::extra`]. An older OKH v1 manifest (`okh.yml`) is read
//! through its conversion ([`okhv1`]).

pub mod okhv1;

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};

/// The fields Atelier reads from `okh.toml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    pub okhv: Option<String>,
    pub name: Option<String>,
    pub repo: Option<String>,
    pub version: Option<String>,
    pub license: Option<String>,
    pub licensor: Option<toml::Value>,
    pub function: Option<String>,
    pub readme: OneOrMany,
    pub bom: OneOrMany,
    pub manufacturing_instructions: OneOrMany,
    pub image: OneOrMany,
    pub documentation_language: OneOrMany,
    pub technology_readiness_level: Option<String>,
    pub part: Vec<Part>,
    /// Every key Atelier does not interpret, kept as written.
    pub extra: toml::Table,
    /// The fields that could not be read, each with its line; [`validate`] reports them first.
    pub problems: Vec<ManifestError>,
    /// Every file path the manifest names (not URLs), with its key and line, for
    /// [`missing_files`].
    pub paths: Vec<NamedPath>,
    /// Read from an OKH v1 manifest (its path), through this conversion: the design has no
    /// `okh.toml` yet, and the converted one is offered as a commit.
    pub from_v1: Option<(String, okhv1::Converted)>,
}

/// A path the manifest names: the path (from the design's root), its key, its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPath {
    pub path: String,
    pub key: String,
    pub line: usize,
}

/// A `[[part]]` of the manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Part {
    pub name: Option<String>,
    pub source: OneOrMany,
    pub export: OneOrMany,
    pub material: OneOrMany,
    pub tsdc: OneOrMany,
    pub extra: toml::Table,
}

/// A value the standard allows either as one string or as a list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

impl OneOrMany {
    /// The first value (the one a field used as a single path means).
    pub fn first(&self) -> Option<String> {
        self.0.first().cloned()
    }
}

/// A value of the manifest as text to show: strings as they are, lists joined with commas,
/// tables as `key: value` pairs.
pub fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        toml::Value::Table(table) => table
            .iter()
            .map(|(k, v)| format!("{k}: {}", value_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The fields of `extra` (a manifest's or a part's) to show: key, text, and whether OKH-LOSH
/// defines the key; standard fields first, each group in key order.
pub fn shown_fields(extra: &toml::Table) -> Vec<(String, String, bool)> {
    let mut fields: Vec<(String, String, bool)> = extra
        .iter()
        .map(|(key, value)| {
            let standard = SPEC_KEYS.contains(&key.as_str()) || PART_KEYS.contains(&key.as_str());
            (key.clone(), value_text(value), standard)
        })
        .collect();
    fields.sort_by_key(|(_, _, standard)| !standard);
    fields
}

impl Manifest {
    /// The licensors' names, whether `licensor` is a name, a table with a `name`, or a list of
    /// either (never TOML source).
    pub fn licensor_names(&self) -> Vec<String> {
        fn names(value: &toml::Value, into: &mut Vec<String>) {
            match value {
                toml::Value::String(name) => into.push(name.clone()),
                toml::Value::Table(table) => match table.get("name") {
                    Some(toml::Value::String(name)) => into.push(name.clone()),
                    _ => {
                        if let Some(toml::Value::String(email)) = table.get("email") {
                            into.push(email.clone());
                        }
                    }
                },
                toml::Value::Array(list) => list.iter().for_each(|v| names(v, into)),
                // Reported by `parse` as a problem; not a name.
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Some(licensor) = &self.licensor {
            names(licensor, &mut out);
        }
        out.retain(|n| !n.trim().is_empty());
        out
    }
}

/// Why a manifest could not be read, with the 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("okh.toml{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ManifestError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses the text of an `okh.toml`: `Err` only when it is not TOML.
pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
    let syntax = |err: toml::de::Error| ManifestError {
        line: err.span().map(|span| line_at(text, span.start)),
        message: err.message().trim().to_owned(),
    };
    let mut extra: toml::Table = toml::from_str(text).map_err(syntax)?;
    let spanned = DeTable::parse(text).map_err(syntax)?;
    let mut reader = Reader {
        text,
        problems: Vec::new(),
        paths: Vec::new(),
    };
    let root = spanned.get_ref();
    let mut take = |key: &str| {
        extra.remove(key);
        find(root, key)
    };
    let mut manifest = Manifest {
        okhv: reader.text("okhv", take("okhv")),
        name: reader.text("name", take("name")),
        repo: reader.text("repo", take("repo")),
        version: reader.text("version", take("version")),
        license: reader.text("license", take("license")),
        licensor: None,
        function: reader.text("function", take("function")),
        readme: reader.list("readme", take("readme"), PATHS),
        bom: reader.list("bom", take("bom"), PATHS),
        manufacturing_instructions: reader.list(
            "manufacturing-instructions",
            take("manufacturing-instructions"),
            PATHS,
        ),
        image: reader.list("image", take("image"), IMAGES),
        documentation_language: reader.list(
            "documentation-language",
            take("documentation-language"),
            LANGUAGES,
        ),
        technology_readiness_level: reader.text(
            "technology-readiness-level",
            take("technology-readiness-level"),
        ),
        part: Vec::new(),
        extra: toml::Table::new(),
        problems: Vec::new(),
        paths: Vec::new(),
        from_v1: None,
    };
    let raw_parts = extra.remove("part");
    manifest.licensor = extra.remove("licensor");
    if let Some(licensor) = find(root, "licensor") {
        reader.licensor(licensor);
    }
    manifest.part = reader.parts(find(root, "part"), raw_parts);
    manifest.extra = extra;
    // A key the standard does not define, one or two letters from one it does: a misspelling.
    for (key, _) in root.iter() {
        let key_text = key.get_ref().as_ref();
        // Short keys are often words of their own (`tags`, `date`): one letter off only.
        let reach = if key_text.chars().count() <= 6 { 1 } else { 2 };
        if SPEC_KEYS.contains(&key_text) || key_text.len() < 4 || key_text.starts_with("x-") {
            continue;
        }
        if let Some(near) = SPEC_KEYS
            .iter()
            .filter(|known| strsim::levenshtein(known, key_text) <= reach)
            .min_by_key(|known| strsim::levenshtein(known, key_text))
        {
            reader.problems.push(ManifestError {
                line: Some(line_at(text, key.span().start)),
                message: format!(
                    "`{key_text}` is not an OKH-LOSH field: did you mean `{near}`? (kept as written)"
                ),
            });
        }
    }
    manifest.paths = reader.paths;
    manifest.problems = reader.problems;
    manifest.problems.sort_by_key(|p| p.line);
    Ok(manifest)
}

/// The top-level keys OKH-LOSH defines (Atelier reads some; the others are kept in `extra`).
const SPEC_KEYS: &[&str] = &[
    "okhv",
    "name",
    "repo",
    "version",
    "release",
    "license",
    "licensor",
    "organization",
    "organisation",
    "readme",
    "contribution-guide",
    "image",
    "documentation-language",
    "technology-readiness-level",
    "documentation-readiness-level",
    "attestation",
    "publication",
    "function",
    "standard-compliance",
    "cpc-patent-class",
    "tsdc",
    "bom",
    "manufacturing-instructions",
    "user-manual",
    "outer-dimensions",
    "outer-dimension",
    "outer-dimension-dim",
    "mass",
    "source",
    "export",
    "auxiliary",
    "part",
    "software",
    "keywords",
];

/// The keys OKH-LOSH defines for a part, beside the top-level ones.
const PART_KEYS: &[&str] = &[
    "image",
    "auxiliary",
    "mass",
    "outer-dimensions",
    "outer-dimension",
    "outer-dimension-dim",
    "tsdc-id",
    "process",
    "3d-printing",
    "cnc",
    "laser-cutting",
    "manufacturing-parameters",
];

/// How a list field names one of its values, and all of them, in a problem.
/// The third: whether a value may also be a table naming its `location` (images); the fourth:
/// whether values are paths in the design (a leading `/` means its root).
type Noun = (&'static str, &'static str, bool, bool);
const PATHS: Noun = ("a path", "paths", false, true);
const IMAGES: Noun = ("an image path or URL", "them", true, true);
const LANGUAGES: Noun = ("a language code", "language codes", false, false);
const TEXTS: Noun = ("text", "texts", false, false);

/// A path the manifest names, relative to the design's root: the specification's leading `/`
/// (the root), `./` segments and a trailing `/` dropped; URLs as they are.
pub fn design_path(path: &str) -> String {
    if is_url(path) {
        return path.to_owned();
    }
    path.split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a manifest value is a URL rather than a path: a scheme (`https:`, `mailto:`,
/// `doi:`) or a bare `www.` host.
pub fn is_url(value: &str) -> bool {
    let scheme = value.split_once(':').map(|(scheme, _)| scheme).filter(|s| {
        s.len() >= 2
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    scheme.is_some() || value.starts_with("www.")
}

/// Reads values of the spanned document, collecting a problem for each that has the wrong
/// shape.
struct Reader<'t> {
    text: &'t str,
    problems: Vec<ManifestError>,
    paths: Vec<NamedPath>,
}

type Value<'a, 'i> = Option<&'a toml::Spanned<DeValue<'i>>>;

fn find<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Value<'a, 'i> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Reader<'_> {
    fn problem(&mut self, at: &toml::Spanned<DeValue<'_>>, message: String) {
        self.problems.push(ManifestError {
            line: Some(line_at(self.text, at.span().start)),
            message,
        });
    }

    /// The value as text: strings as they are, numbers and dates as written in the file.
    fn scalar(&self, value: &toml::Spanned<DeValue<'_>>) -> Option<String> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            DeValue::Integer(_) | DeValue::Float(_) | DeValue::Datetime(_) => {
                self.text.get(value.span()).map(|raw| raw.trim().to_owned())
            }
            _ => None,
        }
    }

    fn text(&mut self, key: &str, value: Value<'_, '_>) -> Option<String> {
        let value = value?;
        let text = self.scalar(value);
        if text.is_none() {
            let found = kind(value.get_ref());
            self.problem(value, format!("{key}: expected text, found {found}"));
        }
        text
    }

    /// One value or a list of them; a wrong value is one problem and the others are kept.
    fn list(
        &mut self,
        key: &str,
        value: Value<'_, '_>,
        (one, many, tables, paths): Noun,
    ) -> OneOrMany {
        let Some(value) = value else {
            return OneOrMany::default();
        };
        let expected = format!("{key}: expected {one} or a list of {many}");
        let mut out = Vec::new();
        let mut item = |reader: &mut Self, item: &toml::Spanned<DeValue<'_>>| match reader
            .scalar(item)
            .or_else(|| tables.then(|| location(item.get_ref())).flatten())
        {
            Some(text) if paths => {
                let path = design_path(&text);
                if !is_url(&path) {
                    reader.paths.push(NamedPath {
                        // A spreadsheet BOM may name its sheet after `#`: the file is checked.
                        path: crate::bom::split_sheet(&path).0.to_owned(),
                        key: key.to_owned(),
                        line: line_at(reader.text, item.span().start),
                    });
                }
                out.push(path);
            }
            Some(text) => out.push(text),
            None => {
                let found = kind(item.get_ref());
                reader.problem(item, format!("{expected}, found {found}"));
            }
        };
        match value.get_ref() {
            DeValue::Array(items) => {
                for one in items.iter() {
                    item(self, one);
                }
            }
            _ => item(self, value),
        }
        OneOrMany(out)
    }

    /// `licensor`: a name, a table with a `name` (or `email`), or a list of either.
    fn licensor(&mut self, value: &toml::Spanned<DeValue<'_>>) {
        let named = |value: &DeValue<'_>| match value {
            DeValue::String(_) => true,
            DeValue::Table(table) => ["name", "email"].iter().any(|key| {
                matches!(
                    find(table, key).map(|v| v.get_ref()),
                    Some(DeValue::String(_))
                )
            }),
            _ => false,
        };
        let items: Vec<&toml::Spanned<DeValue<'_>>> = match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ => vec![value],
        };
        for item in items {
            if !named(item.get_ref()) {
                let found = kind(item.get_ref());
                self.problem(
                    item,
                    format!("licensor: expected a name, a table with a `name`, or a list of them, found {found}"),
                );
            }
        }
    }

    /// `[[part]]` tables (one `[part]` table is one part).
    fn parts(&mut self, value: Value<'_, '_>, raw: Option<toml::Value>) -> Vec<Part> {
        let Some(value) = value else {
            return Vec::new();
        };
        let raw: Vec<toml::Table> = match raw {
            Some(toml::Value::Array(list)) => list
                .into_iter()
                .map(|v| match v {
                    toml::Value::Table(t) => t,
                    _ => toml::Table::new(),
                })
                .collect(),
            Some(toml::Value::Table(table)) => vec![table],
            _ => Vec::new(),
        };
        let tables: Vec<&toml::Spanned<DeValue<'_>>> = match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            DeValue::Table(_) => vec![value],
            other => {
                let found = kind(other);
                self.problem(
                    value,
                    format!("part: expected [[part]] tables, found {found}"),
                );
                return Vec::new();
            }
        };
        let mut parts = Vec::new();
        for (n, spanned) in tables.into_iter().enumerate() {
            let DeValue::Table(table) = spanned.get_ref() else {
                let found = kind(spanned.get_ref());
                self.problem(
                    spanned,
                    format!("part {}: expected a table, found {found}", n + 1),
                );
                continue;
            };
            let mut extra = raw.get(n).cloned().unwrap_or_default();
            let mut take = |key: &str| {
                extra.remove(key);
                find(table, key)
            };
            let label = |key: &str| format!("part {}: {key}", n + 1);
            parts.push(Part {
                name: self.text(&label("name"), take("name")),
                source: self.list(&label("source"), take("source"), PATHS),
                export: self.list(&label("export"), take("export"), PATHS),
                material: self.list(&label("material"), take("material"), TEXTS),
                tsdc: self.list(&label("tsdc"), take("tsdc"), TEXTS),
                extra,
            });
        }
        parts
    }
}

/// The path or URL of an image given as a table (`{ location = "…" }`, or `path` / `url`).
fn location(value: &DeValue<'_>) -> Option<String> {
    let DeValue::Table(table) = value else {
        return None;
    };
    ["location", "path", "url"]
        .iter()
        .find_map(|key| match find(table, key).map(|v| v.get_ref()) {
            Some(DeValue::String(s)) => Some(Cow::to_string(s)),
            _ => None,
        })
}

/// What a value is, in words for a problem.
fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "text",
        DeValue::Integer(_) | DeValue::Float(_) => "a number",
        DeValue::Boolean(_) => "true or false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

/// Fields OKH-LOSH requires.
pub const REQUIRED: &[&str] = &["okhv", "name", "license", "licensor", "function", "version"];

/// A problem for each path the manifest names that `exists` says is not in the design.
pub fn missing_files(manifest: &Manifest, exists: impl Fn(&str) -> bool) -> Vec<ManifestError> {
    manifest
        .paths
        .iter()
        .filter(|named| !exists(&named.path))
        .map(|named| ManifestError {
            line: Some(named.line),
            message: format!("{}: {} is not in the design", named.key, named.path),
        })
        .collect()
}

/// Longest `name`, `version`, `license` and readiness shown or listed, in characters.
pub const MAX_SHORT_FIELD: usize = 200;
/// Longest `function` shown or listed, in characters.
pub const MAX_FUNCTION: usize = 5000;

/// `text` cut to at most `max` characters (with `…` when cut), for lists, rows and messages.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Every problem of a parsed manifest: the fields [`parse`] could not read, then the required
/// fields missing or empty, a `license` that is not a valid SPDX expression, and fields too
/// long to show. Each problem carries the line of its key when the key is there.
pub fn validate(manifest: &Manifest, text: &str) -> Vec<ManifestError> {
    let line_of = |key: &str| {
        text.lines()
            .position(|line| {
                line.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map(|i| i + 1)
    };
    let mut problems = manifest.problems.clone();
    let present = |key: &str| -> bool {
        match key {
            "okhv" => manifest
                .okhv
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty()),
            "name" => manifest
                .name
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty()),
            "license" => manifest
                .license
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty()),
            "licensor" => !manifest.licensor_names().is_empty(),
            "function" => manifest
                .function
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty()),
            "version" => manifest
                .version
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty()),
            _ => true,
        }
    };
    for key in REQUIRED {
        if !present(key) {
            problems.push(ManifestError {
                line: line_of(key),
                message: format!("the required field `{key}` is missing or empty"),
            });
        }
    }
    // The specification also accepts a license's URL (a license without an SPDX id).
    if let Some(license) = manifest
        .license
        .as_deref()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("https://") && !l.starts_with("http://"))
        && let Err(err) = spdx::Expression::parse(license)
    {
        problems.push(ManifestError {
            line: line_of("license"),
            message: format!(
                "license {:?} is not a valid SPDX expression ({})",
                clip(license, 80),
                err.reason
            ),
        });
    }
    let lengths = [
        ("name", manifest.name.as_deref(), MAX_SHORT_FIELD),
        ("version", manifest.version.as_deref(), MAX_SHORT_FIELD),
        ("license", manifest.license.as_deref(), MAX_SHORT_FIELD),
        (
            "technology-readiness-level",
            manifest.technology_readiness_level.as_deref(),
            MAX_SHORT_FIELD,
        ),
        ("function", manifest.function.as_deref(), MAX_FUNCTION),
    ];
    for (key, value, max) in lengths {
        if let Some(value) = value
            && value.chars().count() > max
        {
            problems.push(ManifestError {
                line: line_of(key),
                message: format!(
                    "`{key}` is {} characters long; at most {max} are shown",
                    value.chars().count()
                ),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_are_flagged_and_clipped() {
        let version = "1".repeat(1_000_000);
        let text = format!("name = \"Lamp\"\nversion = \"{version}\"\n");
        let manifest = parse(&text).unwrap();
        let problems = validate(&manifest, &text);
        let long = problems
            .iter()
            .find(|p| p.message.contains("`version`"))
            .expect("the long version is flagged");
        assert_eq!(long.line, Some(2));
        assert!(long.message.len() < 100, "{}", long.message);
        assert_eq!(clip(&version, 5), "11111…");
        assert_eq!(clip("Lämpchen", 3), "Läm…");
        assert_eq!(clip("Lamp", 4), "Lamp");
    }

    #[test]
    fn reads_known_fields_and_keeps_unknown_ones() {
        let manifest = parse(
            r#"
okhv = "OKH-LOSHv1.0"
name = "Trailer"
license = "CERN-OHL-S-2.0"
function = "Carries loads"
image = "photo.jpg"
x-custom = 3

[[part]]
name = "Frame"
export = ["frame.stl", "frame.dxf"]
tsdc = "WEL"
"#,
        )
        .unwrap();
        assert_eq!(manifest.name.as_deref(), Some("Trailer"));
        assert_eq!(manifest.image.0, ["photo.jpg"]);
        assert_eq!(manifest.part[0].export.0, ["frame.stl", "frame.dxf"]);
        assert_eq!(manifest.part[0].tsdc.0, ["WEL"]);
        assert_eq!(manifest.extra["x-custom"].as_integer(), Some(3));
    }

    #[test]
    fn broken_toml_reports_its_line() {
        let err = parse("name = \"ok\"\nlicense = \nfunction = \"x\"\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.to_string().starts_with("okh.toml line 2: "), "{err}");
    }

    #[test]
    fn validation_names_missing_fields_and_bad_licenses_with_lines() {
        let text = "okhv = \"OKH-LOSHv1.0\"\nname = \"Lamp\"\nlicense = \"CERN-OHL-S-2.0 OR MIT\"\nlicensor = \"Ada\"\nfunction = \"Lights\"\nversion = \"1.0.0\"\n";
        assert_eq!(validate(&parse(text).unwrap(), text), []);
        let text = "name = \"Lamp\"\n\nlicense = \"Free for all\"\nfunction = \"\"\n";
        let problems: Vec<String> = validate(&parse(text).unwrap(), text)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems[0],
            "okh.toml: the required field `okhv` is missing or empty"
        );
        assert_eq!(
            problems[2],
            "okh.toml line 4: the required field `function` is missing or empty"
        );
        assert!(
            problems[4].starts_with(
                "okh.toml line 3: license \"Free for all\" is not a valid SPDX expression"
            ),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 5, "{problems:?}");
    }

    #[test]
    fn a_field_of_the_wrong_shape_spoils_that_field_only() {
        let text = "name = \"ok\"\nlicense = \"MIT\"\n\nreadme = true\nfunction = [\"a\", 1]\n";
        let manifest = parse(text).unwrap();
        assert_eq!(manifest.name.as_deref(), Some("ok"));
        assert_eq!(manifest.license.as_deref(), Some("MIT"));
        assert_eq!(manifest.readme.0, Vec::<String>::new());
        let problems: Vec<String> = manifest.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "okh.toml line 4: readme: expected a path or a list of paths, found true or false",
                "okh.toml line 5: function: expected text, found a list",
            ]
        );
    }
}
