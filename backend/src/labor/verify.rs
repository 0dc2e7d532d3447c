//! `atelier labor verify`: recompute the ledger and name every field that differs from what
//! is stored.

use std::collections::{BTreeMap, HashSet};

use super::{Entry, Labor, Result};

impl Labor {
    /// Recomputes everything and lists every difference with what is stored.
    pub async fn verify(&self) -> Result<Vec<String>> {
        let store = self.store.clone();
        let networks = tokio::task::spawn_blocking(move || store.networks()).await??;
        let mut differences = Vec::new();
        let mut known = HashSet::new();
        for network in networks {
            known.insert(network.clone());
            let fresh = self.compute_network(&network).await?;
            let stored = self.stored(&network).await?;
            let by_id: BTreeMap<&str, &Entry> = stored.iter().map(|e| (e.id.as_str(), e)).collect();
            for entry in &fresh {
                match by_id.get(entry.id.as_str()) {
                    None => differences.push(format!(
                        "missing entry {} ({} in {})",
                        entry.id, entry.commit, entry.design
                    )),
                    Some(s) if *s != entry => differences.push(format!(
                        "entry {} ({} in {}) differs: {}",
                        entry.id,
                        entry.commit,
                        entry.design,
                        field_differences(s, entry).join(", ")
                    )),
                    Some(_) => {}
                }
            }
            let fresh_ids: HashSet<&str> = fresh.iter().map(|e| e.id.as_str()).collect();
            for entry in &stored {
                if !fresh_ids.contains(entry.id.as_str()) {
                    differences.push(format!(
                        "extra entry {} ({} in {})",
                        entry.id, entry.commit, entry.design
                    ));
                }
            }
        }
        let orphans: Vec<String> = sqlx::query_scalar("SELECT DISTINCT network FROM labor_entries")
            .fetch_all(&self.pool)
            .await?;
        for network in orphans.into_iter().filter(|n| !known.contains(n)) {
            differences.push(format!(
                "entries of network {network}, which no longer exists"
            ));
        }
        Ok(differences)
    }
}

/// `field: stored X, recomputed Y` for every field that differs.
fn field_differences(stored: &Entry, fresh: &Entry) -> Vec<String> {
    let fields: [(&str, String, String); 14] = [
        ("design", stored.design.clone(), fresh.design.clone()),
        (
            "contributor",
            stored.contributor_name.clone(),
            fresh.contributor_name.clone(),
        ),
        (
            "account",
            format!("{:?}", stored.account),
            format!("{:?}", fresh.account),
        ),
        (
            "work type",
            stored.work_type.clone(),
            fresh.work_type.clone(),
        ),
        ("hours", stored.hours.to_string(), fresh.hours.to_string()),
        (
            "estimated",
            stored.estimated.to_string(),
            fresh.estimated.to_string(),
        ),
        (
            "weight",
            stored.weight.to_string(),
            fresh.weight.to_string(),
        ),
        ("skill", stored.skill.clone(), fresh.skill.clone()),
        (
            "multiplier",
            stored.multiplier.to_string(),
            fresh.multiplier.to_string(),
        ),
        ("units", stored.units.to_string(), fresh.units.to_string()),
        ("status", stored.status.to_owned(), fresh.status.to_owned()),
        (
            "policy version",
            stored.policy_version.clone(),
            fresh.policy_version.clone(),
        ),
        ("rule", stored.rule.clone(), fresh.rule.clone()),
        (
            "warnings",
            stored.warnings.join("; "),
            fresh.warnings.join("; "),
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| format!("{name}: stored {a}, recomputed {b}"))
        .collect()
}
