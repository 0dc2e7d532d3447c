//! The labor policy: work-type weights, skill multipliers, default and maximum hours, and the
//! path rules that infer a work type. Public and versioned: every entry names its version.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The policy shipped with Atelier (copied into a new data directory).
pub const DEFAULT_POLICY: &str = include_str!("../../labor-policy.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub version: String,
    pub default_hours: f64,
    pub max_hours_per_commit: f64,
    pub default_skill: String,
    pub work_types: BTreeMap<String, f64>,
    pub skill_levels: BTreeMap<String, f64>,
    #[serde(default)]
    pub path_rules: Vec<PathRule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRule {
    /// `*.ext`, a glob with `*` anywhere in the file name, or an exact path.
    pub pattern: String,
    #[serde(rename = "type")]
    pub work_type: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("labor policy {path}: {message}")]
    Invalid { path: String, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Work types every policy must weigh.
pub const REQUIRED_TYPES: &[&str] = &[
    "design",
    "documentation",
    "sourcing",
    "testing",
    "review",
    "maintenance",
];

impl Policy {
    pub fn parse(text: &str, origin: &str) -> Result<Self, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid {
            path: origin.to_owned(),
            message,
        };
        let policy: Policy = toml::from_str(text).map_err(|e| invalid(e.message().to_owned()))?;
        for required in REQUIRED_TYPES {
            if !policy.work_types.contains_key(*required) {
                return Err(invalid(format!("work type {required:?} has no weight")));
            }
        }
        if !policy.skill_levels.contains_key(&policy.default_skill) {
            return Err(invalid(format!(
                "default_skill {:?} is not a skill level",
                policy.default_skill
            )));
        }
        for rule in &policy.path_rules {
            if !policy.work_types.contains_key(&rule.work_type) {
                return Err(invalid(format!(
                    "path rule {:?} names unknown type {:?}",
                    rule.pattern, rule.work_type
                )));
            }
        }
        if !(policy.default_hours >= 0.0 && policy.max_hours_per_commit > 0.0) {
            return Err(invalid("hours must be positive".into()));
        }
        Ok(policy)
    }

    /// The instance's policy at `path`, created from the default when missing.
    pub fn load_or_install(path: &Path) -> Result<Self, PolicyError> {
        if !path.exists() {
            std::fs::write(path, DEFAULT_POLICY)?;
        }
        Self::parse(&std::fs::read_to_string(path)?, &path.display().to_string())
    }

    pub fn default_policy() -> Self {
        // The shipped policy is checked by a test.
        Self::parse(DEFAULT_POLICY, "default").expect("the default labor policy is valid")
    }

    pub fn weight(&self, work_type: &str) -> f64 {
        self.work_types.get(work_type).copied().unwrap_or(0.0)
    }

    pub fn multiplier(&self, skill: &str) -> f64 {
        self.skill_levels
            .get(skill)
            .or_else(|| self.skill_levels.get(&self.default_skill))
            .copied()
            .unwrap_or(1.0)
    }

    /// The work type the path rules give `path`, with the rule's pattern.
    pub fn infer(&self, path: &str, bom: Option<&str>) -> Option<(&str, String)> {
        if bom == Some(path) {
            return Some(("sourcing", "the BOM file".into()));
        }
        let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
        self.path_rules
            .iter()
            .find(|rule| glob(&rule.pattern.to_lowercase(), &name) || rule.pattern == path)
            .map(|rule| (rule.work_type.as_str(), rule.pattern.clone()))
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_is_valid_and_infers_types() {
        let policy = Policy::default_policy();
        assert_eq!(policy.infer("cad/frame.scad", None).unwrap().0, "design");
        assert_eq!(
            policy.infer("pcb/main.kicad_pcb", None).unwrap().0,
            "design"
        );
        assert_eq!(
            policy.infer("docs/ASSEMBLY.MD", None).unwrap().0,
            "documentation"
        );
        assert_eq!(
            policy.infer("parts.txt", Some("parts.txt")).unwrap().0,
            "sourcing"
        );
        assert_eq!(policy.infer("photo.jpg", None), None);
        assert_eq!(policy.multiplier("master"), 1.3);
        assert_eq!(policy.multiplier("unknown"), 1.0);
    }

    #[test]
    fn a_policy_missing_a_work_type_is_refused() {
        let text = DEFAULT_POLICY.replace("review = 0.8\n", "");
        let err = Policy::parse(&text, "test").unwrap_err().to_string();
        assert_eq!(err, "labor policy test: work type \"review\" has no weight");
    }
}
