//! A new design's first commit: its fields checked (slug, name, function, SPDX license) and the
//! starter `okh.toml` (OKH-LOSH), with a README when asked, written from them. Knows nothing
//! about HTTP.

use std::collections::BTreeMap;

/// What a new design starts from.
#[derive(Debug, Clone, Copy)]
pub struct Starter<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub function: &'a str,
    /// An SPDX license expression.
    pub license: &'a str,
    /// Defaults to the owner.
    pub licensor: Option<&'a str>,
    /// Defaults to `0.1.0`.
    pub version: Option<&'a str>,
    /// Also write a starter `README.md` (and name it in the manifest).
    pub readme: bool,
}

/// What is wrong, field by field.
pub type Problems = Vec<(&'static str, String)>;

/// The longest name and function accepted, in characters.
const MAX_NAME: usize = 100;
/// OKH-LOSH's `function` is a description of what the design does: paragraphs, not a line.
pub const MAX_FUNCTION: usize = crate::manifest::MAX_FUNCTION;

/// Checks every field; each problem names its field.
pub fn check(starter: &Starter<'_>) -> Result<(), Problems> {
    let mut problems = Vec::new();
    if let Err(why) = crate::names::check(starter.slug) {
        problems.push(("slug", format!("slug {why}")));
    }
    for (field, value, max) in [
        ("name", starter.name, MAX_NAME),
        ("function", starter.function, MAX_FUNCTION),
    ] {
        if value.trim().is_empty() || value.chars().count() > max {
            problems.push((field, format!("{field} must be 1 to {max} characters long")));
        }
    }
    if let Err(err) = spdx::Expression::parse(starter.license.trim()) {
        problems.push((
            "license",
            format!(
                "license {:?} is not a valid SPDX expression ({})",
                starter.license, err.reason
            ),
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The files of the first commit (`okh.toml`, and `README.md` when asked) of a design owned by
/// `owner`.
pub fn starter_files(
    starter: &Starter<'_>,
    owner: &str,
) -> Result<BTreeMap<String, Vec<u8>>, Problems> {
    check(starter)?;
    let licensor = starter
        .licensor
        .filter(|l| !l.trim().is_empty())
        .unwrap_or(owner);
    let version = starter
        .version
        .filter(|v| !v.trim().is_empty())
        .unwrap_or("0.1.0");
    let toml_string = |s: &str| toml::Value::String(s.trim().to_owned()).to_string();
    let manifest = format!(
        "# Open Know-How manifest (OKH-LOSH). See https://github.com/iop-alliance/OpenKnowHow\n\
         okhv = \"OKH-LOSHv1.0\"\n\
         name = {}\n\
         version = {}\n\
         license = {}\n\
         licensor = {}\n\
         function = {}\n\
         {}\
         documentation-language = \"en\"\n\
         technology-readiness-level = \"OTRL-1\"\n",
        toml_string(starter.name),
        toml_string(version),
        toml_string(starter.license),
        toml_string(licensor),
        toml_string(starter.function),
        if starter.readme {
            "readme = \"README.md\"\n"
        } else {
            ""
        },
    );
    let mut files = BTreeMap::from([("okh.toml".to_owned(), manifest.into_bytes())]);
    if !starter.readme {
        return Ok(files);
    }
    let readme = format!(
        "# {}\n\n{}\n\n## Build instructions\n\nDescribe how to make it, step by step.\n",
        starter.name.trim(),
        starter.function.trim()
    );
    files.insert("README.md".to_owned(), readme.into_bytes());
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starter<'a>(name: &'a str, license: &'a str) -> Starter<'a> {
        Starter {
            slug: "lamp",
            name,
            function: "Gives light",
            license,
            licensor: None,
            version: None,
            readme: true,
        }
    }

    #[test]
    fn the_starter_manifest_parses_and_validates() {
        let files = starter_files(&starter("Lamp \"Mk 2\"", "CERN-OHL-S-2.0"), "ada").unwrap();
        let text = String::from_utf8(files["okh.toml"].clone()).unwrap();
        let manifest = crate::manifest::parse(&text).unwrap();
        assert_eq!(manifest.name.as_deref(), Some("Lamp \"Mk 2\""));
        assert_eq!(manifest.version.as_deref(), Some("0.1.0"));
        assert_eq!(
            manifest
                .licensor
                .and_then(|l| l.as_str().map(str::to_owned))
                .as_deref(),
            Some("ada")
        );
        assert!(String::from_utf8_lossy(&files["README.md"]).starts_with("# Lamp"));
    }

    #[test]
    fn the_readme_is_written_only_when_asked() {
        let plain = Starter {
            readme: false,
            ..starter("Lamp", "MIT")
        };
        let files = starter_files(&plain, "ada").unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["okh.toml"]);
        let manifest =
            crate::manifest::parse(&String::from_utf8_lossy(&files["okh.toml"])).unwrap();
        assert_eq!(manifest.readme.first(), None);
        let long = "A cargo trailer for bicycles. ".repeat(70);
        assert!(long.chars().count() > 2000);
        let described = Starter {
            function: &long,
            ..plain
        };
        assert!(starter_files(&described, "ada").is_ok());
        let too_long = "x".repeat(MAX_FUNCTION + 1);
        let problems = check(&Starter {
            function: &too_long,
            ..plain
        })
        .unwrap_err();
        assert_eq!(problems[0].0, "function");
    }

    #[test]
    fn every_bad_field_is_named() {
        let problems = starter_files(&starter(" ", "not a license"), "ada").unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "license"]);
    }
}
