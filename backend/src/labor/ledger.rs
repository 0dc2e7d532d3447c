//! Turning commits into ledger entries: who, which work type by which rule, how many hours, how
//! many units, validated or pending — with the explanation and any warnings kept on the entry.
//! Pure: the same commits, identities and policy always give the same entries.

use std::collections::{BTreeMap, HashMap, HashSet};

use git2::Oid;
use sha2::{Digest as _, Sha256};

use super::policy::Policy;
use super::trailers::{self, CO_AUTHOR, HOURS, Hours, SQUASHED, TYPE};
use crate::store::CommitInfo;

/// An account known by a commit email, with its skill level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub skill: String,
}

/// Lower-cased email → identity.
pub type Identities = HashMap<String, Identity>;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable: derived from network, commit and contributor email.
    pub id: String,
    pub network: String,
    pub design: String,
    pub commit: String,
    pub committed_at: i64,
    pub contributor_name: String,
    /// Lower-cased.
    pub contributor_email: String,
    /// `None`: unclaimed (no account holds the email).
    pub account: Option<String>,
    pub work_type: String,
    pub hours: f64,
    /// No hours were declared (or they were malformed): the policy's default was used.
    pub estimated: bool,
    pub weight: f64,
    pub skill: String,
    pub multiplier: f64,
    pub units: f64,
    /// `validated` once the commit is on the network root's default branch, else `pending`.
    pub status: &'static str,
    pub policy_version: String,
    /// How the work type and hours were decided, in words.
    pub rule: String,
    pub warnings: Vec<String>,
}

fn entry_id(network: &str, commit: &str, email: &str) -> String {
    let digest = Sha256::digest(format!("{network}\n{commit}\n{email}").as_bytes());
    digest[..10].iter().map(|b| format!("{b:02x}")).collect()
}

/// Rounds to 4 decimals so stored and recomputed values compare exactly (every amount in the
/// API is rounded so).
pub fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The entries of one commit.
#[allow(clippy::too_many_arguments)]
pub fn commit_entries(
    policy: &Policy,
    identities: &Identities,
    network: &str,
    design: &str,
    commit: &CommitInfo,
    validated: bool,
    bom: Option<&str>,
    changed_paths: impl FnOnce() -> Vec<String>,
) -> Vec<Entry> {
    let mut warnings = Vec::new();
    let trailer = |key: &str| {
        commit
            .trailers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let author = (
        commit.author.name.clone(),
        commit.author.email.to_lowercase(),
    );
    let is_merge = commit.parents.len() > 1;

    // Who.
    let mut people = vec![author.clone()];
    if !is_merge {
        for co in trailer(CO_AUTHOR) {
            match trailers::person(&co) {
                Some(p) if !people.iter().any(|q| q.1 == p.1) => people.push(p),
                Some(_) => {}
                None => warnings.push(format!(
                    "{CO_AUTHOR} {co:?} is not \"Name <email>\"; ignored"
                )),
            }
        }
    }

    // Which work.
    let (work_type, mut rule) = if is_merge {
        (
            "maintenance".to_owned(),
            "merge commit: the merger is credited for maintenance".to_owned(),
        )
    } else {
        let declared = trailer(TYPE).into_iter().next();
        match declared {
            Some(t) if policy.work_types.contains_key(&t.to_lowercase()) => (
                t.to_lowercase(),
                format!("work type from the {TYPE} trailer"),
            ),
            other => {
                if let Some(t) = other {
                    warnings.push(format!(
                        "{TYPE} {t:?} is not a work type of the policy; inferred instead"
                    ));
                }
                let mut counts: BTreeMap<&str, (usize, String)> = BTreeMap::new();
                let paths = changed_paths();
                for path in &paths {
                    if let Some((t, pattern)) = policy.infer(path, bom) {
                        let entry = counts.entry(t).or_insert((0, pattern));
                        entry.0 += 1;
                    }
                }
                match counts
                    .iter()
                    .max_by(|a, b| a.1.0.cmp(&b.1.0).then_with(|| b.0.cmp(a.0)))
                {
                    Some((t, (n, pattern))) => (
                        (*t).to_owned(),
                        format!(
                            "work type inferred from {n} of {} changed files ({pattern})",
                            paths.len()
                        ),
                    ),
                    None => (
                        "maintenance".to_owned(),
                        "no rule matched the changed files: maintenance".to_owned(),
                    ),
                }
            }
        }
    };

    // How many hours, and for whom.
    let mut estimated = false;
    let mut per_person: Vec<f64> = Vec::new();
    let declared = if is_merge {
        None
    } else {
        trailer(HOURS).into_iter().next()
    };
    let declared_hours = declared.is_some();
    match declared {
        None => {
            estimated = true;
            let each = policy.default_hours / people.len() as f64;
            per_person = vec![each; people.len()];
            rule.push_str(&format!(
                "; no {HOURS}: the default {} h, estimated",
                policy.default_hours
            ));
        }
        Some(text) => match trailers::parse_hours(&text) {
            Hours::Total(total) => {
                let capped = total.min(policy.max_hours_per_commit);
                if capped < total {
                    warnings.push(format!(
                        "{total} h declared; capped at {} h per commit",
                        policy.max_hours_per_commit
                    ));
                }
                per_person = vec![capped / people.len() as f64; people.len()];
                rule.push_str(&format!(
                    "; {HOURS} {capped} h split evenly among {}",
                    people.len()
                ));
            }
            Hours::PerPerson(named) => {
                let total: f64 = named.values().sum();
                let scale = if total > policy.max_hours_per_commit {
                    warnings.push(format!(
                        "{total} h declared; capped at {} h per commit",
                        policy.max_hours_per_commit
                    ));
                    policy.max_hours_per_commit / total
                } else {
                    1.0
                };
                per_person = people
                    .iter()
                    .map(|(name, email)| match named.get(email) {
                        Some(h) => h * scale,
                        None => {
                            warnings.push(format!("{HOURS} names no hours for {name} <{email}>"));
                            0.0
                        }
                    })
                    .collect();
                rule.push_str(&format!("; {HOURS} per person"));
            }
            Hours::Malformed => warnings.push(format!(
                "{HOURS} {text:?} is malformed; the default hours were used"
            )),
            Hours::NotANumber => warnings.push(format!(
                "{HOURS} {text:?} is not a number; the default hours were used"
            )),
        },
    }
    if declared_hours && per_person.is_empty() {
        estimated = true;
        per_person = vec![policy.default_hours / people.len() as f64; people.len()];
        rule.push_str(&format!(
            "; the default {} h, estimated",
            policy.default_hours
        ));
    }

    let weight = policy.weight(&work_type);
    let commit_id = commit.id.to_string();
    people
        .into_iter()
        .zip(per_person)
        .map(|((name, email), hours)| {
            let identity = identities.get(&email);
            let skill = identity
                .map(|i| i.skill.clone())
                .unwrap_or_else(|| policy.default_skill.clone());
            let multiplier = policy.multiplier(&skill);
            let hours = round(hours);
            Entry {
                id: entry_id(network, &commit_id, &email),
                network: network.to_owned(),
                design: design.to_owned(),
                commit: commit_id.clone(),
                committed_at: commit.committer.time,
                contributor_name: name,
                account: identity.map(|i| i.account.clone()),
                contributor_email: email,
                work_type: work_type.clone(),
                hours,
                estimated,
                weight,
                multiplier,
                units: round(hours * weight * multiplier),
                skill,
                status: if validated { "validated" } else { "pending" },
                policy_version: policy.version.clone(),
                rule: rule.clone(),
                warnings: warnings.clone(),
            }
        })
        .collect()
}

/// Whether the work type of `commit` must be inferred from its changed paths.
pub fn needs_paths(policy: &Policy, commit: &CommitInfo) -> bool {
    commit.parents.len() <= 1
        && !commit.trailers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(TYPE) && policy.work_types.contains_key(&v.trim().to_lowercase())
        })
}

/// All entries of a network from its commits (grouped by attributed design, with the changed
/// paths of those that need them), in a stable order.
#[allow(clippy::type_complexity)]
pub fn network_entries(
    policy: &Policy,
    identities: &Identities,
    network: &str,
    commits: Vec<(String, Vec<(CommitInfo, Option<Vec<String>>)>)>,
    validated: &HashSet<Oid>,
    bom: Option<&str>,
    squash_merges: &HashSet<Oid>,
) -> Vec<Entry> {
    // A squash merge (one the server made: recorded in the database, `squash_merges`) replaces
    // the commits it names. Once validated, it credits its merger's maintenance only, and the
    // named commits it knows are credited once, validated, to the squash's design. A squash
    // whose named commits are all unknown (their branch deleted) credits its own trailers.
    let known: HashSet<Oid> = commits
        .iter()
        .flat_map(|(_, list)| list.iter().map(|(c, _)| c.id))
        .collect();
    let mut squashed: HashMap<Oid, String> = HashMap::new();
    let mut squashes: HashSet<Oid> = HashSet::new();
    for (design, list) in &commits {
        for (commit, _) in list {
            if !validated.contains(&commit.id) || !squash_merges.contains(&commit.id) {
                continue;
            }
            for oid in squashed_commits(commit) {
                if known.contains(&oid) {
                    squashes.insert(commit.id);
                    if !validated.contains(&oid) {
                        squashed.insert(oid, design.clone());
                    }
                }
            }
        }
    }
    let mut entries = Vec::new();
    for (design, list) in commits {
        for (commit, paths) in list {
            if squashes.contains(&commit.id) {
                // Like a merge commit: the merger is credited for maintenance, the work itself
                // through the replaced commits.
                let mut merge = commit.clone();
                merge.author = commit.committer.clone();
                merge.trailers = vec![(TYPE.to_owned(), "maintenance".to_owned())];
                let replaced = squashed_commits(&commit).len();
                for mut entry in commit_entries(
                    policy,
                    identities,
                    network,
                    &design,
                    &merge,
                    true,
                    bom,
                    Vec::new,
                ) {
                    entry.rule = format!(
                        "squash merge of {replaced} commits (credited to their own authors): the merger is credited for maintenance; {}",
                        entry.rule
                    );
                    entries.push(entry);
                }
                continue;
            }
            let (design, validated) = match squashed.get(&commit.id) {
                Some(into) => (into.clone(), true),
                None => (design.clone(), validated.contains(&commit.id)),
            };
            entries.extend(commit_entries(
                policy,
                identities,
                network,
                &design,
                &commit,
                validated,
                bom,
                || paths.unwrap_or_default(),
            ));
        }
    }
    sort(&mut entries);
    entries
}

/// The commits a squash commit names in its [`SQUASHED`] trailers.
pub fn squashed_commits(commit: &CommitInfo) -> Vec<Oid> {
    commit
        .trailers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case(SQUASHED))
        .filter_map(|(_, v)| Oid::from_str(v.trim()).ok())
        .collect()
}

/// A review with declared hours, as the ledger credits it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewWork {
    pub id: i64,
    pub design: String,
    pub number: i64,
    pub revision: i64,
    pub head: String,
    pub verdict: String,
    pub hours: f64,
    pub at: i64,
    pub account: String,
    pub email: String,
    /// The proposal was merged into the network root's default branch.
    pub validated: bool,
}

/// The entry of one review: `review` work, the declared hours (capped by the policy).
pub fn review_entry(
    policy: &Policy,
    identities: &Identities,
    network: &str,
    review: &ReviewWork,
) -> Entry {
    let skill = identities
        .values()
        .find(|i| i.account == review.account)
        .map(|i| i.skill.clone())
        .unwrap_or_else(|| policy.default_skill.clone());
    let multiplier = policy.multiplier(&skill);
    let weight = policy.weight("review");
    let mut warnings = Vec::new();
    let hours = if review.hours > policy.max_hours_per_commit {
        warnings.push(format!(
            "{} h declared; capped at {} h per review",
            review.hours, policy.max_hours_per_commit
        ));
        policy.max_hours_per_commit
    } else {
        review.hours
    };
    let hours = round(hours);
    let key = format!("review-{}", review.id);
    Entry {
        id: entry_id(network, &key, &review.email),
        network: network.to_owned(),
        design: review.design.clone(),
        commit: review.head.clone(),
        committed_at: review.at,
        contributor_name: review.account.clone(),
        contributor_email: review.email.clone(),
        account: Some(review.account.clone()),
        work_type: "review".into(),
        hours,
        estimated: false,
        weight,
        skill,
        multiplier,
        units: round(hours * weight * multiplier),
        status: if review.validated {
            "validated"
        } else {
            "pending"
        },
        policy_version: policy.version.clone(),
        rule: format!(
            "review ({}) of proposal #{} of {} at revision {}: {hours} h declared by the reviewer; validated once the proposal is merged into the network root",
            review.verdict, review.number, review.design, review.revision
        ),
        warnings,
    }
}

pub fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| {
        a.committed_at
            .cmp(&b.committed_at)
            .then_with(|| a.commit.cmp(&b.commit))
            .then_with(|| a.contributor_email.cmp(&b.contributor_email))
    });
}
