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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn wrong_type_reports_its_line() {
        let err = parse("name = \"ok\"\n\nversion = 3\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
    }
}
