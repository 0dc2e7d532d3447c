//! Labor accounts: the policy, entries, an account's report, utilization and design shares.

use serde::{Deserialize, Serialize};

/// `GET /api/labor/policy`: how declared work becomes units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaborPolicy {
    pub version: String,
    pub default_hours: f64,
    pub max_hours_per_commit: f64,
    pub default_skill: String,
    /// Work type → weight per hour.
    pub work_types: std::collections::BTreeMap<String, f64>,
    /// Skill level → multiplier.
    pub skill_levels: std::collections::BTreeMap<String, f64>,
    /// Pattern → work type, first match wins.
    pub path_rules: Vec<(String, String)>,
}

/// One ledger entry with its explanation (`GET /api/labor/entries/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaborEntry {
    pub id: String,
    pub design: String,
    pub commit: String,
    pub committed_at: String,
    pub contributor: String,
    /// `None`: unclaimed.
    pub account: Option<String>,
    pub work_type: String,
    pub hours: f64,
    pub estimated: bool,
    pub weight: f64,
    pub skill: String,
    pub multiplier: f64,
    /// hours × weight × multiplier.
    pub units: f64,
    /// `validated` or `pending`.
    pub status: String,
    pub policy_version: String,
    /// Which rule decided the work type and hours.
    pub rule: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amount {
    pub key: String,
    pub units: f64,
    pub hours: f64,
}

/// `GET /api/accounts/{username}/labor`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountLabor {
    pub username: String,
    pub units: f64,
    pub hours: f64,
    pub validated_units: f64,
    pub pending_units: f64,
    pub by_type: Vec<Amount>,
    pub by_design: Vec<Amount>,
    /// Units per month (`YYYY-MM`), oldest first.
    pub timeline: Vec<Amount>,
    /// How the designs this person worked on are used.
    #[serde(default)]
    pub utilization: Vec<Utilization>,
    pub entries: Vec<LaborEntry>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// The use of a design someone worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Utilization {
    pub design: String,
    pub forks: u64,
    pub releases: u64,
    /// Bundle downloads (every version and format).
    #[serde(default)]
    pub downloads: u64,
}

/// One contributor's part of a design (`GET /api/designs/{owner}/{slug}/labor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    pub contributor: String,
    pub account: Option<String>,
    pub units: f64,
    pub hours: f64,
    /// Percent of the design's units at this revision.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesignLabor {
    pub design: String,
    pub rev: String,
    pub units: f64,
    pub contributors: Vec<Share>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}
