//! OKH v1 manifests (Open Know-How 1.0: YAML, `okh.yml`), read by converting them to an
//! OKH-LOSH `okh.toml`, field by field as OKH-LOSH's own data mapping (OKHv1 → OKH-LOSHv1)
//! says: `title` → `name`, `description` (+ `intended-use`) → `function`, `license.hardware`
//! → `license`, `licensor.name` → `licensor`, `documentation-home` → `repo`,
//! `making-instructions` → `manufacturing-instructions`, `operating-instructions` →
//! `user-manual`, `standards-used` → `standard-compliance`, the development stage → the
//! technology readiness level. YAML is parsed with `yaml-rust2`.

use toml::Value;
use yaml_rust2::{Yaml, YamlLoader};

/// Where OKH v1 manifests are found, in order.
pub const PATHS: &[&str] = &["okh.yml", "okh.yaml", ".okh.yml", ".okh.yaml"];

/// An OKH v1 manifest as OKH-LOSH: the `okh.toml` text, and the v1 keys it could not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub toml: String,
    pub left_out: Vec<String>,
}

/// Converts the text of an OKH v1 manifest. Its `%Open Know-How Manifest` declaration line is
/// allowed (YAML itself knows no such directive).
pub fn convert(text: &str) -> Result<Converted, String> {
    let yaml: String = text
        .lines()
        .filter(|line| !line.starts_with('%'))
        .collect::<Vec<_>>()
        .join("\n");
    // Aliases are copied whole by the loader: nested ones grow without bound (a "billion
    // laughs" file). OKH v1 manifests need none, so any is refused before loading.
    let mut parser = yaml_rust2::parser::Parser::new_from_str(&yaml);
    loop {
        match parser.next_token() {
            Ok((yaml_rust2::Event::Alias(_), mark)) => {
                return Err(format!(
                    "line {}: YAML aliases (*name) are not accepted in a manifest",
                    mark.line()
                ));
            }
            Ok((yaml_rust2::Event::StreamEnd, _)) => break,
            Ok(_) => {}
            Err(err) => return Err(format!("not YAML: {err}")),
        }
    }
    let docs = YamlLoader::load_from_str(&yaml).map_err(|err| format!("not YAML: {err}"))?;
    let Some(Yaml::Hash(map)) = docs.into_iter().next() else {
        return Err("an OKH v1 manifest is a YAML mapping of fields".into());
    };
    let get = |key: &str| map.get(&Yaml::String(key.to_owned()));
    let mut out: Vec<(&str, Value)> = vec![("okhv", Value::String("OKH-LOSHv1.0".into()))];
    let mut put = |key: &'static str, value: Option<Value>| {
        if let Some(value) = value {
            out.push((key, value));
        }
    };
    put("name", get("title").and_then(text_of));
    put(
        "repo",
        get("documentation-home")
            .or(get("project-link"))
            .and_then(text_of),
    );
    put("version", get("version").and_then(text_of));
    put("release", get("archive-download").and_then(text_of));
    put(
        "license",
        get("license").and_then(|license| match license {
            Yaml::Hash(_) => field(license, "hardware").or_else(|| field(license, "documentation")),
            other => text_of(other),
        }),
    );
    put(
        "licensor",
        get("licensor").and_then(|licensor| match licensor {
            Yaml::Hash(_) => field(licensor, "name"),
            Yaml::Array(items) => list(
                items
                    .iter()
                    .filter_map(|i| field(i, "name").or_else(|| text_of(i))),
            ),
            other => text_of(other),
        }),
    );
    put("function", {
        let parts: Vec<String> = ["description", "intended-use", "health-safety-notice"]
            .into_iter()
            .filter_map(|key| get(key).and_then(text_of))
            .filter_map(|v| v.as_str().map(|s| s.trim().to_owned()))
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| Value::String(parts.join("\n\n")))
    });
    put("image", get("image").and_then(paths));
    put(
        "documentation-language",
        get("documentation-language").and_then(paths),
    );
    put("bom", get("bom").and_then(paths));
    put(
        "manufacturing-instructions",
        get("making-instructions").and_then(paths),
    );
    put("user-manual", get("operating-instructions").and_then(paths));
    put("keywords", get("keywords").and_then(paths));
    put(
        "standard-compliance",
        get("standards-used").and_then(|standards| match standards {
            Yaml::Array(items) => list(
                items
                    .iter()
                    .filter_map(|s| field(s, "reference").or_else(|| field(s, "standard-title"))),
            ),
            other => field(other, "reference").or_else(|| text_of(other)),
        }),
    );
    let yes = |key: &str| matches!(get(key), Some(Yaml::Boolean(true)));
    let stage = get("development-stage")
        .and_then(text_of)
        .and_then(|v| v.as_str().map(str::to_lowercase));
    let readiness =
        if yes("made-independently") || yes("made") || stage.as_deref() == Some("prototype") {
            Some("OTRL-3")
        } else {
            None
        };
    put(
        "technology-readiness-level",
        readiness.map(|r| Value::String(r.into())),
    );
    if yes("made-independently") {
        put(
            "documentation-readiness-level",
            Some(Value::String("ODRL-3".into())),
        );
    }

    const USED: &[&str] = &[
        "title",
        "documentation-home",
        "project-link",
        "version",
        "archive-download",
        "license",
        "licensor",
        "description",
        "intended-use",
        "health-safety-notice",
        "image",
        "documentation-language",
        "bom",
        "making-instructions",
        "operating-instructions",
        "keywords",
        "standards-used",
        "made-independently",
        "made",
        "development-stage",
        // Dates come from git; the manifest's own language is the documentation's.
        "date-created",
        "date-updated",
        "manifest-language",
    ];
    let left_out = map
        .keys()
        .filter_map(|k| k.as_str())
        .filter(|k| !USED.contains(k))
        .map(str::to_owned)
        .collect();
    let mut toml = String::from(
        "# Converted from the OKH v1 manifest (okh.yml) to OKH-LOSH by Atelier. Check it, then\n\
         # delete okh.yml.\n",
    );
    for (key, value) in out {
        toml.push_str(&format!("{key} = {value}\n"));
    }
    Ok(Converted { toml, left_out })
}

/// A scalar as TOML text (numbers and booleans as written).
fn text_of(yaml: &Yaml) -> Option<Value> {
    match yaml {
        Yaml::String(s) if !s.trim().is_empty() => Some(Value::String(s.trim().to_owned())),
        Yaml::Integer(n) => Some(Value::String(n.to_string())),
        Yaml::Real(r) => Some(Value::String(r.clone())),
        Yaml::Boolean(b) => Some(Value::String(b.to_string())),
        _ => None,
    }
}

/// The scalar `key` of a mapping.
fn field(yaml: &Yaml, key: &str) -> Option<Value> {
    match yaml {
        Yaml::Hash(map) => map.get(&Yaml::String(key.to_owned())).and_then(text_of),
        _ => None,
    }
}

/// A string, or a list of strings.
fn list(items: impl Iterator<Item = Value>) -> Option<Value> {
    let items: Vec<Value> = items.collect();
    match items.len() {
        0 => None,
        1 => items.into_iter().next(),
        _ => Some(Value::Array(items)),
    }
}

/// Paths (or words) given as a string, a list of strings, or mappings with a `path` (OKH v1's
/// file references).
fn paths(yaml: &Yaml) -> Option<Value> {
    match yaml {
        Yaml::Array(items) => list(
            items
                .iter()
                .filter_map(|i| field(i, "path").or_else(|| text_of(i))),
        ),
        Yaml::Hash(_) => field(yaml, "path"),
        other => text_of(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_okh_v1_manifest_becomes_a_readable_okh_toml() {
        let v1 = "%Open Know-How Manifest 1.0\n---\ntitle: Solar Water Pump\ndescription: Pumps water with the sun.\nintended-use: Irrigation of small fields.\nversion: 1.2\nlicense:\n  hardware: CERN-OHL-S-2.0\n  documentation: CC-BY-SA-4.0\nlicensor:\n  name: Ada Lovelace\n  email: ada@example.org\ndocumentation-home: https://example.org/pump\nimage: images/pump.jpg\nbom: bom.csv\nmaking-instructions:\n  - path: docs/build.md\n    title: Build\n  - path: docs/wiring.md\n    title: Wiring\noperating-instructions:\n  path: docs/use.md\nkeywords: [pump, solar]\nmade-independently: true\nstandards-used:\n  - standard-title: Safety of pumps\n    reference: DIN EN 809\ncontact:\n  name: Ada\n";
        let converted = convert(v1).unwrap();
        let manifest = crate::manifest::parse(&converted.toml).unwrap();
        assert_eq!(manifest.problems, [], "{}", converted.toml);
        assert_eq!(manifest.name.as_deref(), Some("Solar Water Pump"));
        assert_eq!(manifest.version.as_deref(), Some("1.2"));
        assert_eq!(manifest.license.as_deref(), Some("CERN-OHL-S-2.0"));
        assert_eq!(manifest.licensor_names(), ["Ada Lovelace"]);
        assert_eq!(
            manifest.function.as_deref(),
            Some("Pumps water with the sun.\n\nIrrigation of small fields.")
        );
        assert_eq!(
            manifest.manufacturing_instructions.0,
            ["docs/build.md", "docs/wiring.md"]
        );
        assert_eq!(
            manifest.technology_readiness_level.as_deref(),
            Some("OTRL-3")
        );
        assert_eq!(manifest.bom.first().as_deref(), Some("bom.csv"));
        assert_eq!(manifest.image.first().as_deref(), Some("images/pump.jpg"));
        assert_eq!(manifest.repo.as_deref(), Some("https://example.org/pump"));
        for (key, value) in [
            ("user-manual", "docs/use.md"),
            ("standard-compliance", "DIN EN 809"),
            ("documentation-readiness-level", "ODRL-3"),
        ] {
            assert_eq!(manifest.extra[key].as_str(), Some(value), "{key}");
        }
        assert_eq!(converted.left_out, ["contact"]);
        assert!(crate::manifest::validate(&manifest, &converted.toml).is_empty());
    }

    #[test]
    fn what_is_not_an_okh_v1_manifest_says_so() {
        let laughs =
            "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\ntitle: Bomb\n";
        assert!(
            convert(laughs).unwrap_err().contains("aliases"),
            "aliases are refused"
        );
        assert!(
            convert("title: [unclosed")
                .unwrap_err()
                .starts_with("not YAML")
        );
        assert!(
            convert("- a list\n- of things\n")
                .unwrap_err()
                .contains("mapping")
        );
    }
}
