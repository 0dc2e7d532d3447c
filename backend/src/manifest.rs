//! OKH-LOSH `okh.toml`: the design's metadata, parsed leniently.
//!
//! Unknown keys are kept in [`Manifest::extra`]; fields that the standard allows as a string or a
//! list (`image`, `export`, `tsdc`) accept both. A manifest that is not valid TOML, or whose known
//! fields have the wrong type, gives a [`ManifestError`] with the line, never a panic.

use serde::Deserialize;

/// The fields Atelier reads from `okh.toml`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    pub okhv: Option<String>,
    pub name: Option<String>,
    pub repo: Option<String>,
    pub version: Option<String>,
    pub license: Option<String>,
    pub licensor: Option<toml::Value>,
    pub function: Option<String>,
    pub readme: Option<String>,
    pub bom: Option<String>,
    pub manufacturing_instructions: Option<String>,
    #[serde(default)]
    pub image: OneOrMany,
    pub documentation_language: Option<String>,
    pub technology_readiness_level: Option<String>,
    #[serde(default)]
    pub part: Vec<Part>,
    /// Every key Atelier does not interpret, kept as written.
    #[serde(flatten)]
    pub extra: toml::Table,
}

/// A `[[part]]` of the manifest.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Part {
    pub name: Option<String>,
    #[serde(default)]
    pub source: OneOrMany,
    #[serde(default)]
    pub export: OneOrMany,
    pub material: Option<String>,
    #[serde(default)]
    pub tsdc: OneOrMany,
    #[serde(flatten)]
    pub extra: toml::Table,
}

/// A value the standard allows either as one string or as a list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "OneOrManyRepr")]
pub struct OneOrMany(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrManyRepr {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrManyRepr> for OneOrMany {
    fn from(repr: OneOrManyRepr) -> Self {
        match repr {
            OneOrManyRepr::One(one) => Self(vec![one]),
            OneOrManyRepr::Many(many) => Self(many),
        }
    }
}

/// Why a manifest could not be read, with the 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("okh.toml{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ManifestError {
    pub line: Option<usize>,
    pub message: String,
}

/// Parses the text of an `okh.toml`.
pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
    toml::from_str(text).map_err(|err| ManifestError {
        line: err
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
        message: err.message().trim().to_owned(),
    })
}

/// Fields OKH-LOSH requires.
pub const REQUIRED: &[&str] = &["okhv", "name", "license", "licensor", "function", "version"];

/// Checks a parsed manifest: required fields present and non-empty, `license` a valid SPDX
/// expression. Each problem carries the line of its key when the key is there.
/// Longest `name`, `version`, `license` and readiness shown or listed, in characters.
pub const MAX_SHORT_FIELD: usize = 200;
/// Longest `function` shown or listed, in characters.
pub const MAX_FUNCTION: usize = 2000;

/// `text` cut to at most `max` characters (with `…` when cut), for lists, rows and messages.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

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
    let mut problems = Vec::new();
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
            "licensor" => manifest.licensor.as_ref().is_some_and(|v| match v {
                toml::Value::String(s) => !s.trim().is_empty(),
                _ => true,
            }),
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
    if let Some(license) = manifest.license.as_deref().filter(|l| !l.trim().is_empty())
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
    fn wrong_type_reports_its_line() {
        let err = parse("name = \"ok\"\n\nversion = 3\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }
}
