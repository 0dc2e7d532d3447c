//! Pushes: the stock `git receive-pack` writes the pushed objects straight into the network's
//! pool and moves the member's refs itself; this module decides, under the design's write lock,
//! whether it may ([`Store::push`]), and announces what moved once it did.
//!
//! Invariants: a push holds the same write lock as an API commit from its check until its ref
//! moves are announced, so the two never interleave (the loser is refused, nothing is lost);
//! only branches and tags move; the default branch is never deleted or rewritten and a tag,
//! once there, never moves; every path a pushed commit adds passes [`paths::validate`] and every
//! file it adds is within the size limit; each ref that moved is announced exactly once, after
//! the design's `HEAD` names a branch that exists (the first push or a bundle chooses it, see
//! [`pick_default`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use git2::{Delta, DiffOptions, ObjectType, Oid, Repository, Sort};

use super::write::check_ref_name;
use super::{
    DEFAULT_BRANCH, DesignId, Result, Store, branch_ref, default_branch_of, lineage, paths,
};

/// fsck findings common in long real histories and harmless: warned about, not refused.
const FSCK_WARNINGS: [&str; 3] = [
    "zeroPaddedFilemode",
    "badTimezone",
    "missingSpaceBeforeDate",
];

/// `-c <side>.fsck.<id>=warn` for each of [`FSCK_WARNINGS`] (`side`: `receive` or `fetch`).
pub fn lenient_fsck(side: &str) -> Vec<String> {
    FSCK_WARNINGS
        .iter()
        .flat_map(|id| ["-c".to_owned(), format!("{side}.fsck.{id}=warn")])
        .collect()
}

/// The most problems one refusal lists.
const MAX_PROBLEMS: usize = 20;
/// The most branches and tags one push or import may create or move.
pub(super) const MAX_REFS: usize = 10_000;

/// One ref update a client asks for (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub refname: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

impl RefUpdate {
    /// Parses a line of a pre-receive hook's input, `<old> <new> <refname>`.
    pub fn parse(line: &str) -> Option<Self> {
        let mut parts = line.split_whitespace();
        let oid = |hex: &str| {
            let oid = Oid::from_str(hex).ok().filter(|_| hex.len() == 40)?;
            Some((!oid.is_zero()).then_some(oid))
        };
        let old = oid(parts.next()?)?;
        let new = oid(parts.next()?)?;
        let refname = parts.next()?.to_owned();
        parts.next().is_none().then_some(Self { refname, old, new })
    }
}

/// What a push may carry.
#[derive(Debug, Clone, Copy)]
pub struct PushLimits {
    /// The largest file, in bytes (the upload limit).
    pub max_file: u64,
}

/// The outcome of a push's check: accepted, or refused with one line per problem.
pub type Verdict = std::result::Result<(), Vec<String>>;

impl Store {
    /// The object directory of the pool of `id`'s network: `git receive-pack` writes there.
    pub fn pool_objects(&self, id: &DesignId) -> Result<std::path::PathBuf> {
        let repo = self.open_repo(id)?;
        Ok(self.pool_path(&lineage(&repo)?.network).join("objects"))
    }

    /// A push's ref phase, under the design's write lock. Checks `updates` against the design
    /// as it is now, with the pushed objects in `quarantine` (git's incoming object directory)
    /// and the pool; tells `decided` the verdict; when accepted, waits for `moved` (git has
    /// updated the refs, or given up), then announces and mirrors every branch and tag whose
    /// target changed. Returns the announced moves.
    pub fn push(
        &self,
        id: &DesignId,
        updates: &[RefUpdate],
        quarantine: Option<&Path>,
        limits: PushLimits,
        decided: impl FnOnce(&Verdict),
        moved: impl FnOnce(),
    ) -> Result<Vec<RefUpdate>> {
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let before = self.refs(id)?;
        let repo = self.open_repo(id)?;
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        // What this push brought, apart from what the pool already had.
        let incoming = match quarantine {
            Some(quarantine) => {
                pool.odb()?
                    .add_disk_alternate(&quarantine.to_string_lossy())?;
                let odb = git2::Odb::new()?;
                odb.add_disk_alternate(&quarantine.to_string_lossy())?;
                Some(odb)
            }
            None => None,
        };
        let default = default_branch_of(&repo);
        let verdict = check(&pool, &before, updates, limits, incoming.as_ref(), &default)?;
        decided(&verdict);
        if verdict.is_err() {
            return Ok(Vec::new());
        }
        moved();
        drop(pool);
        let after = self.refs(id)?;
        if !after.contains_key(&branch_ref(&default)) {
            // The first push into an empty design: its history's own default branch, among
            // the branches it pushed (then any branch there, should an earlier first push
            // have been cut off before this step).
            let branches = |pushed_only: bool| -> Vec<&str> {
                let pushed = updates.iter().map(|u| u.refname.as_str());
                let existing = after.keys().map(String::as_str);
                let names: Vec<&str> = if pushed_only {
                    pushed.collect()
                } else {
                    existing.collect()
                };
                names
                    .into_iter()
                    .filter_map(|name| name.strip_prefix("refs/heads/"))
                    .filter(|b| after.contains_key(&branch_ref(b)))
                    .collect()
            };
            let (pushed, existing) = (branches(true), branches(false));
            if let Some(branch) = pick_default(&pushed).or_else(|| pick_default(&existing))
                // git has moved the refs: a failure here must not stop their announcement.
                && let Err(err) = repo.reference_symbolic(
                    "HEAD",
                    &branch_ref(branch),
                    true,
                    "atelier: default branch of the first push",
                )
            {
                tracing::error!(design = %id, %err, "the default branch could not be set");
            }
        }
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        let mut moves = Vec::new();
        let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for name in names {
            let (old, new) = (before.get(name).copied(), after.get(name).copied());
            if old != new {
                // git has moved the ref: nothing here may stop its announcement.
                if let (Some(old), Some(new)) = (old, new)
                    && name.starts_with("refs/heads/")
                    && !pool.graph_descendant_of(new, old).unwrap_or(false)
                {
                    // The event records both heads; the log says it was forced.
                    tracing::info!(design = %id, refname = %name, %old, %new, "force-push");
                }
                self.announce(id, name, old, new);
                self.mirror_after_move(&pool, id, name, new);
                moves.push(RefUpdate {
                    refname: name.clone(),
                    old,
                    new,
                });
            }
        }
        Ok(moves)
    }
}

/// Every problem of `updates` against the refs `now` (empty: accepted). With `incoming` (the
/// objects the push brought), every new commit must be among them: a push cannot point a ref
/// at a commit the pool has from another design without sending it.
pub(super) fn check(
    pool: &Repository,
    now: &BTreeMap<String, Oid>,
    updates: &[RefUpdate],
    limits: PushLimits,
    incoming: Option<&git2::Odb<'_>>,
    default_branch: &str,
) -> Result<Verdict> {
    if updates.len() > MAX_REFS {
        return Ok(Err(vec![format!(
            "at most {MAX_REFS} branches and tags at once; push in parts"
        )]));
    }
    let mut problems = Vec::new();
    let mut tips = Vec::new();
    let default = branch_ref(default_branch);
    let empty = !now.contains_key(&default);
    for update in updates {
        let name = &update.refname;
        let current = now.get(name).copied();
        if current != update.old {
            problems.push(format!(
                "{name} moved since you fetched it: fetch (or pull), then push again"
            ));
            continue;
        }
        if let Some(branch) = name.strip_prefix("refs/heads/") {
            if let Err(err) = check_ref_name("branch", "heads", branch) {
                problems.push(err.to_string());
                continue;
            }
            if *name == default {
                match (update.old, update.new) {
                    (Some(_), None) => {
                        problems.push(format!(
                            "the default branch {default_branch} cannot be deleted"
                        ));
                        continue;
                    }
                    (Some(old), Some(new))
                        if !(pool.graph_descendant_of(new, old).unwrap_or(false)) =>
                    {
                        problems.push(format!(
                            "the default branch {default_branch} cannot be rewritten: push commits on top of {old} (pull first), not a force-push"
                        ));
                        continue;
                    }
                    _ => {}
                }
            }
        } else if let Some(tag) = name.strip_prefix("refs/tags/") {
            if let Err(err) = check_ref_name("tag", "tags", tag) {
                problems.push(err.to_string());
                continue;
            }
            if update.old.is_some() {
                problems.push(format!(
                    "release tag {tag} is permanent: it cannot be moved or deleted (make a new tag)"
                ));
                continue;
            }
        } else {
            problems.push(format!("only branches and tags can be pushed, not {name}"));
            continue;
        }
        if let Some(new) = update.new {
            match pool.find_object(new, None)?.peel(ObjectType::Commit) {
                Ok(commit) => tips.push(commit.id()),
                Err(_) => problems.push(format!("{new} is not a commit (nor a tag of one)")),
            }
        }
    }
    check_new_commits(pool, now, &tips, limits, incoming, &mut problems)?;
    if empty
        && !updates.is_empty()
        && !updates
            .iter()
            .any(|u| u.refname.starts_with("refs/heads/") && u.new.is_some())
    {
        problems.push(
            "the first push into an empty design must bring a branch (it becomes the default branch): e.g. `git push --all`, then `git push --tags`".into(),
        );
    }
    problems.truncate(MAX_PROBLEMS);
    Ok(if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    })
}

/// The paths and sizes of what the commits reachable from `tips` (and from none of `now`) add,
/// in one walk whatever the number of refs.
fn check_new_commits(
    pool: &Repository,
    now: &BTreeMap<String, Oid>,
    tips: &[Oid],
    limits: PushLimits,
    incoming: Option<&git2::Odb<'_>>,
    problems: &mut Vec<String>,
) -> Result<()> {
    if tips.is_empty() {
        return Ok(());
    }
    let mut walk = pool.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL)?;
    for tip in tips {
        walk.push(*tip)?;
    }
    for oid in now.values() {
        if let Ok(commit) = pool
            .find_object(*oid, None)
            .and_then(|o| o.peel(ObjectType::Commit))
        {
            walk.hide(commit.id())?;
        }
    }
    let odb = pool.odb()?;
    for commit in walk {
        let commit = commit?;
        if let Some(incoming) = incoming
            && !incoming.exists(commit)
        {
            problems.push(format!(
                "commit {commit} is not in this push: it is not part of this design's history (fetch it from where it is, then push it with its objects)"
            ));
            return Ok(());
        }
        let commit = pool.find_commit(commit)?;
        let tree = commit.tree()?;
        let parent = match commit.parent(0) {
            Ok(parent) => Some(parent.tree()?),
            Err(_) => None,
        };
        let diff = pool.diff_tree_to_tree(
            parent.as_ref(),
            Some(&tree),
            Some(DiffOptions::new().ignore_submodules(true)),
        )?;
        for delta in diff.deltas() {
            if !matches!(
                delta.status(),
                Delta::Added | Delta::Modified | Delta::Typechange
            ) {
                continue;
            }
            let file = delta.new_file();
            let Some(path) = file.path_bytes() else {
                continue;
            };
            let Ok(path) = std::str::from_utf8(path) else {
                problems.push(format!(
                    "commit {}: the path {:?} is not UTF-8",
                    commit.id(),
                    String::from_utf8_lossy(path)
                ));
                continue;
            };
            if let Err(err) = paths::validate(path) {
                problems.push(format!("commit {}: {err}", commit.id()));
                continue;
            }
            if file.mode() == git2::FileMode::Commit {
                continue;
            }
            if let Ok((size, _)) = odb.read_header(file.id())
                && size as u64 > limits.max_file
            {
                problems.push(format!(
                    "commit {}: {path} is {} MiB; files may be at most {} MiB",
                    commit.id(),
                    size as u64 >> 20,
                    limits.max_file >> 20
                ));
            }
            if problems.len() >= MAX_PROBLEMS {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The default branch for a history whose own is not known, among its `branches` (in the order
/// they came): [`DEFAULT_BRANCH`] if there, else `master`, else the first. `None`: no branch.
pub(super) fn pick_default<'a>(branches: &[&'a str]) -> Option<&'a str> {
    [DEFAULT_BRANCH, "master"]
        .iter()
        .find_map(|name| branches.iter().find(|b| *b == name))
        .or_else(|| branches.first())
        .copied()
}
