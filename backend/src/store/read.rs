//! Reading a design: revisions (only those reachable from the design's own refs), trees,
//! files, history, commits with their diffs, comparisons, branches and releases.

use std::path::Path;

use git2::{Commit, DiffOptions, ObjectType, Oid, Repository, Sort};

use super::{DesignId, Error, Result, Store, branch_ref, paths};

/// Largest file whose text diff is computed; bigger changes show sizes only.
const MAX_DIFF_FILE_BYTES: u64 = 1024 * 1024;
/// At most this many diff lines per commit; the rest is cut and flagged.
const MAX_DIFF_LINES: usize = 20_000;

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Submodule,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub path: String,
    pub kind: EntryKind,
    pub oid: Oid,
    /// Bytes, for files.
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: Oid,
    pub parents: Vec<Oid>,
    pub author: super::Person,
    pub committer: super::Person,
    pub message: String,
    /// `Key: value` trailers at the end of the message, in order.
    pub trailers: Vec<(String, String)>,
}

impl CommitInfo {
    pub fn summary(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// `+`, `-` or ` `.
    pub origin: char,
    pub old_line: Option<u32>,
    pub new_line: Option<u32>,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    /// For renames, the path before.
    pub old_path: Option<String>,
    /// `added`, `deleted`, `modified`, `renamed`, `copied`, `typechange`.
    pub status: &'static str,
    pub binary: bool,
    pub old_size: u64,
    pub new_size: u64,
    pub hunks: Vec<Hunk>,
    /// The text diff was left out (too big) or cut.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDetail {
    pub info: CommitInfo,
    pub files: Vec<ChangedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub base: Oid,
    pub head: Oid,
    pub merge_base: Option<Oid>,
    /// Commits in `head` but not in `base`, newest first.
    pub commits: Vec<CommitInfo>,
    pub files: Vec<ChangedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub name: String,
    pub head: Oid,
    pub updated: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub tag: String,
    pub commit: Oid,
    pub tagger: Option<super::Person>,
    pub notes: String,
}

/// The content of the file at `path` in `commit`, or `None` when there is no such file.
pub(super) fn file_at(
    repo: &Repository,
    commit: &Commit<'_>,
    path: &str,
) -> Result<Option<Vec<u8>>> {
    match commit.tree()?.get_path(Path::new(path)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
            Ok(Some(repo.find_blob(entry.id())?.content().to_vec()))
        }
        Ok(_) => Ok(None),
        Err(err) if err.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

pub(super) fn person(signature: &git2::Signature<'_>) -> super::Person {
    super::Person {
        name: String::from_utf8_lossy(signature.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(signature.email_bytes()).into_owned(),
        time: signature.when().seconds(),
    }
}

pub(super) fn commit_info(commit: &Commit<'_>) -> CommitInfo {
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let trailers = git2::message_trailers_strs(&message)
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    CommitInfo {
        id: commit.id(),
        parents: commit.parent_ids().collect(),
        author: person(&commit.author()),
        committer: person(&commit.committer()),
        message,
        trailers,
    }
}

fn missing(what: impl Into<String>) -> Error {
    Error::Missing(what.into())
}

impl Store {
    /// Every commit reachable from any branch of any member of `network`, each once, with the
    /// design it is attributed to: the member nearest the root (fewest ancestors, then by
    /// name) whose branches reach it. A new fork is always deeper than the design it copies,
    /// so forking never moves a commit; merging upstream does. Within a design, oldest first
    /// (commit time, then id): a stable order.
    /// The paths each commit changed (against its first parent) come along for the commits
    /// `wants_paths` selects, read through one repository handle.
    #[allow(clippy::type_complexity)]
    pub fn network_commits_with_paths(
        &self,
        network: &str,
        wants_paths: &dyn Fn(&CommitInfo) -> bool,
    ) -> Result<Vec<(DesignId, Vec<(CommitInfo, Option<Vec<String>>)>)>> {
        let members = self.network(network)?;
        let mut members: Vec<(usize, DesignId)> = members
            .into_iter()
            .map(|(id, _)| Ok((self.ancestry(&id)?.len(), id)))
            .collect::<Result<_>>()?;
        members.sort();
        let members: Vec<(DesignId, ())> = members.into_iter().map(|(_, id)| (id, ())).collect();
        let pool = self.open_pool(network)?;
        // One traversal of the whole network: each member, in order, takes the commits its
        // branches reach that no earlier member took.
        let mut taken: std::collections::HashSet<Oid> = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (id, _) in members {
            let repo = self.open_repo(&id)?;
            let mut stack = Vec::new();
            for branch in repo.branches(Some(git2::BranchType::Local))? {
                let (branch, _) = branch?;
                if let Some(oid) = branch.get().target() {
                    stack.push(oid);
                }
            }
            let mut commits = Vec::new();
            while let Some(oid) = stack.pop() {
                if !taken.insert(oid) {
                    continue;
                }
                let commit = pool.find_commit(oid)?;
                stack.extend(commit.parent_ids().filter(|p| !taken.contains(p)));
                let info = commit_info(&commit);
                let paths = if wants_paths(&info) {
                    Some(paths_of(&pool, &commit)?)
                } else {
                    None
                };
                commits.push((info, paths));
            }
            commits.sort_by(|a, b| {
                a.0.committer
                    .time
                    .cmp(&b.0.committer.time)
                    .then_with(|| a.0.id.cmp(&b.0.id))
            });
            out.push((id, commits));
        }
        Ok(out)
    }

    /// Commits of `network` reachable from `new` but from none of `hide`, oldest first.
    pub fn commits_between(
        &self,
        network: &str,
        new: Oid,
        hide: &[Oid],
    ) -> Result<Vec<CommitInfo>> {
        let pool = self.open_pool(network)?;
        let mut walk = pool.revwalk()?;
        walk.push(new)?;
        for oid in hide {
            walk.hide(*oid)?;
        }
        let mut commits = Vec::new();
        for oid in walk {
            commits.push(commit_info(&pool.find_commit(oid?)?));
        }
        commits.sort_by(|a, b| {
            a.committer
                .time
                .cmp(&b.committer.time)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(commits)
    }

    /// Whether `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, network: &str, ancestor: Oid, descendant: Oid) -> Result<bool> {
        let pool = self.open_pool(network)?;
        Ok(ancestor == descendant || pool.graph_descendant_of(descendant, ancestor)?)
    }

    /// The tips of every branch of every member of `network`, except `except` (design, ref).
    pub fn branch_tips(&self, network: &str, except: (&DesignId, &str)) -> Result<Vec<Oid>> {
        let mut tips = Vec::new();
        for (id, _) in self.network(network)? {
            let repo = self.open_repo(&id)?;
            for branch in repo.branches(Some(git2::BranchType::Local))? {
                let (branch, _) = branch?;
                let reference = branch.get();
                if id == *except.0 && reference.name() == Some(except.1) {
                    continue;
                }
                if let Some(oid) = reference.target() {
                    tips.push(oid);
                }
            }
        }
        Ok(tips)
    }

    /// Commits reachable from `rev` of the design.
    pub fn reachable(&self, id: &DesignId, rev: &str) -> Result<std::collections::HashSet<Oid>> {
        let repo = self.open_repo(id)?;
        let start = resolve(&repo, id, rev)?;
        let mut walk = repo.revwalk()?;
        walk.push(start)?;
        walk.map(|oid| oid.map_err(Error::from)).collect()
    }

    /// Paths a commit changed against its first parent (all paths for a root commit).
    pub fn changed_paths(&self, network: &str, commit: Oid) -> Result<Vec<String>> {
        let pool = self.open_pool(network)?;
        let commit = pool.find_commit(commit)?;
        paths_of(&pool, &commit)
    }

    /// The design at the root of a network (the member without a parent), if it still exists.
    pub fn network_root(&self, network: &str) -> Result<Option<DesignId>> {
        Ok(self
            .network(network)?
            .into_iter()
            .find(|(_, lineage)| lineage.parent.is_none())
            .map(|(id, _)| id))
    }

    /// Every network of the store, sorted.
    pub fn networks(&self) -> Result<Vec<String>> {
        let mut networks = std::collections::BTreeSet::new();
        for id in self.ids()? {
            if let Ok(lineage) = self.lineage(&id) {
                networks.insert(lineage.network);
            }
        }
        Ok(networks.into_iter().collect())
    }

    /// Resolves a branch name, tag name or (full or abbreviated) commit id to a commit of the
    /// design. A commit id counts only when the design's own refs reach it: the object pool is
    /// shared with sibling forks, whose commits must not show through this design.
    pub fn resolve(&self, id: &DesignId, rev: &str) -> Result<Oid> {
        let repo = self.open_repo(id)?;
        resolve(&repo, id, rev)
    }

    /// Resolves `rev` like [`Store::resolve`], and says whether it named a release tag: a tag
    /// of that name exists and no branch does (`resolve` prefers the branch).
    pub fn resolve_naming_tag(&self, id: &DesignId, rev: &str) -> Result<(Oid, bool)> {
        let commit = self.resolve(id, rev)?;
        let is_tag = rev != commit.to_string()
            && self.ref_target(id, &format!("refs/tags/{rev}"))?.is_some()
            && self.ref_target(id, &format!("refs/heads/{rev}"))?.is_none();
        Ok((commit, is_tag))
    }

    /// The entries of the directory `path` (empty: the root) at `rev`, directories first.
    pub fn tree(&self, id: &DesignId, rev: &str, path: &str) -> Result<(Oid, Vec<Entry>)> {
        let repo = self.open_repo(id)?;
        let commit_id = resolve(&repo, id, rev)?;
        let root = repo.find_commit(commit_id)?.tree()?;
        let tree = if path.is_empty() {
            root
        } else {
            paths::validate(path)?;
            let entry = root
                .get_path(Path::new(path))
                .map_err(|_| missing(format!("no folder {path:?} at {rev}")))?;
            entry
                .to_object(&repo)?
                .into_tree()
                .map_err(|_| missing(format!("{path:?} is a file, not a folder")))?
        };
        let mut entries: Vec<Entry> = tree
            .iter()
            .map(|entry| {
                let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                let kind = match (entry.kind(), entry.filemode()) {
                    (Some(ObjectType::Tree), _) => EntryKind::Dir,
                    (Some(ObjectType::Commit), _) => EntryKind::Submodule,
                    (_, 0o120000) => EntryKind::Symlink,
                    _ => EntryKind::File,
                };
                let size = (kind == EntryKind::File)
                    .then(|| repo.find_blob(entry.id()).map(|b| b.size() as u64).ok())
                    .flatten();
                Entry {
                    path: if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}/{name}")
                    },
                    name,
                    kind,
                    oid: entry.id(),
                    size,
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            (a.kind != EntryKind::Dir)
                .cmp(&(b.kind != EntryKind::Dir))
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok((commit_id, entries))
    }

    /// The file at `path` and `rev`: its blob id and content.
    pub fn file(&self, id: &DesignId, rev: &str, path: &str) -> Result<(Oid, Vec<u8>)> {
        paths::validate(path)?;
        let repo = self.open_repo(id)?;
        let commit_id = resolve(&repo, id, rev)?;
        let tree = repo.find_commit(commit_id)?.tree()?;
        let entry = tree
            .get_path(Path::new(path))
            .map_err(|_| missing(format!("no file {path:?} at {rev}")))?;
        let blob = entry
            .to_object(&repo)?
            .into_blob()
            .map_err(|_| missing(format!("{path:?} is a folder, not a file")))?;
        Ok((blob.id(), blob.content().to_vec()))
    }

    /// A page of the history of `rev` (newest first), optionally only commits touching `path`;
    /// with the total number of matching commits.
    pub fn log(
        &self,
        id: &DesignId,
        rev: &str,
        path: Option<&str>,
        skip: usize,
        limit: usize,
    ) -> Result<(Vec<CommitInfo>, u64)> {
        if let Some(path) = path {
            paths::validate(path)?;
        }
        let repo = self.open_repo(id)?;
        let start = resolve(&repo, id, rev)?;
        let mut walk = repo.revwalk()?;
        walk.push(start)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        let mut page = Vec::new();
        let mut total = 0u64;
        for oid in walk {
            let commit = repo.find_commit(oid?)?;
            if let Some(path) = path
                && !touches(&commit, path)?
            {
                continue;
            }
            if total as usize >= skip && page.len() < limit {
                page.push(commit_info(&commit));
            }
            total += 1;
        }
        Ok((page, total))
    }

    /// One commit of the design with its changes against its first parent.
    pub fn commit(&self, id: &DesignId, commit: &str) -> Result<CommitDetail> {
        let repo = self.open_repo(id)?;
        let oid = resolve(&repo, id, commit)?;
        let commit = repo.find_commit(oid)?;
        let new_tree = commit.tree()?;
        let old_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree()?),
            Err(_) => None,
        };
        let files = diff_trees(&repo, old_tree.as_ref(), Some(&new_tree))?;
        Ok(CommitDetail {
            info: commit_info(&commit),
            files,
        })
    }

    /// `base...head`: the commits of `head` that `base` lacks, and the changes since their
    /// merge base.
    pub fn compare(&self, id: &DesignId, base: &str, head: &str) -> Result<Comparison> {
        let repo = self.open_repo(id)?;
        let base_id = resolve(&repo, id, base)?;
        let head_id = resolve(&repo, id, head)?;
        let merge_base = repo.merge_base(base_id, head_id).ok();
        let mut walk = repo.revwalk()?;
        walk.push(head_id)?;
        walk.hide(base_id)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)?;
        let mut commits = Vec::new();
        for oid in walk.take(250) {
            commits.push(commit_info(&repo.find_commit(oid?)?));
        }
        let from = match merge_base {
            Some(oid) => Some(repo.find_commit(oid)?.tree()?),
            None => None,
        };
        let to = repo.find_commit(head_id)?.tree()?;
        Ok(Comparison {
            base: base_id,
            head: head_id,
            merge_base,
            commits,
            files: diff_trees(&repo, from.as_ref(), Some(&to))?,
        })
    }

    pub fn branches(&self, id: &DesignId) -> Result<Vec<Branch>> {
        let repo = self.open_repo(id)?;
        let mut branches = Vec::new();
        for branch in repo.branches(Some(git2::BranchType::Local))? {
            let (branch, _) = branch?;
            let Some(name) = branch.name()?.map(str::to_owned) else {
                continue;
            };
            let commit = branch.get().peel_to_commit()?;
            branches.push(Branch {
                name,
                head: commit.id(),
                updated: commit.time().seconds(),
            });
        }
        branches.sort_by(|a, b| {
            (a.name != super::DEFAULT_BRANCH)
                .cmp(&(b.name != super::DEFAULT_BRANCH))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(branches)
    }

    /// The design's releases (tags), newest first.
    pub fn releases(&self, id: &DesignId) -> Result<Vec<Release>> {
        let repo = self.open_repo(id)?;
        let mut releases = Vec::new();
        for name in repo.tag_names(None)?.iter().flatten() {
            let reference = repo.find_reference(&format!("refs/tags/{name}"))?;
            let commit = reference.peel_to_commit()?.id();
            let (tagger, notes) = match reference
                .peel(ObjectType::Tag)
                .ok()
                .and_then(|o| o.into_tag().ok())
            {
                Some(tag) => (
                    tag.tagger().map(|t| person(&t)),
                    String::from_utf8_lossy(tag.message_bytes().unwrap_or_default()).into_owned(),
                ),
                None => (None, String::new()),
            };
            releases.push(Release {
                tag: name.to_owned(),
                commit,
                tagger,
                notes,
            });
        }
        releases.sort_by(|a, b| {
            let time = |r: &Release| r.tagger.as_ref().map(|t| t.time).unwrap_or_default();
            time(b).cmp(&time(a)).then_with(|| b.tag.cmp(&a.tag))
        });
        Ok(releases)
    }

    /// Number of commits on the default branch.
    pub fn commit_count(&self, id: &DesignId) -> Result<u64> {
        let repo = self.open_repo(id)?;
        let mut walk = repo.revwalk()?;
        walk.push_ref(&branch_ref(super::DEFAULT_BRANCH))?;
        Ok(walk.count() as u64)
    }
}

pub(super) fn resolve(repo: &Repository, id: &DesignId, rev: &str) -> Result<Oid> {
    let not_found = || missing(format!("revision {rev:?} not found in {id}"));
    if rev.is_empty() || rev.len() > 255 {
        return Err(not_found());
    }
    for prefix in ["refs/heads/", "refs/tags/"] {
        if let Ok(reference) = repo.find_reference(&format!("{prefix}{rev}")) {
            return Ok(reference.peel_to_commit()?.id());
        }
    }
    let hex = rev.len() >= 7 && rev.len() <= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return Err(not_found());
    }
    let oid = match Oid::from_str(rev) {
        Ok(oid) if rev.len() == 40 => oid,
        _ => repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| not_found())?,
    };
    if repo.find_commit(oid).is_err() {
        return Err(not_found());
    }
    for reference in repo.references()? {
        let Ok(tip) = reference?.peel_to_commit() else {
            continue;
        };
        if tip.id() == oid || repo.graph_descendant_of(tip.id(), oid)? {
            return Ok(oid);
        }
    }
    Err(not_found())
}

fn paths_of(repo: &Repository, commit: &Commit<'_>) -> Result<Vec<String>> {
    let new = commit.tree()?;
    let old = match commit.parent(0) {
        Ok(parent) => Some(parent.tree()?),
        Err(_) => None,
    };
    let diff = repo.diff_tree_to_tree(old.as_ref(), Some(&new), None)?;
    Ok(diff
        .deltas()
        .filter_map(|d| {
            d.new_file()
                .path()
                .or(d.old_file().path())
                .map(|p| p.to_string_lossy().into_owned())
        })
        .collect())
}

/// Whether `commit` changed `path` (a file or a folder) compared with its first parent.
fn touches(commit: &Commit<'_>, path: &str) -> Result<bool> {
    let entry_id = |tree: &git2::Tree<'_>| tree.get_path(Path::new(path)).ok().map(|e| e.id());
    let now = entry_id(&commit.tree()?);
    let before = match commit.parent(0) {
        Ok(parent) => entry_id(&parent.tree()?),
        Err(_) => None,
    };
    Ok(now != before)
}

fn diff_trees(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
) -> Result<Vec<ChangedFile>> {
    let mut options = DiffOptions::new();
    options.context_lines(3).id_abbrev(40);
    let mut diff = repo.diff_tree_to_tree(old, new, Some(&mut options))?;
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))?;
    let mut files = Vec::new();
    let mut budget = MAX_DIFF_LINES;
    for (index, delta) in diff.deltas().enumerate() {
        let path_of = |file: git2::DiffFile<'_>| {
            file.path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let status = match delta.status() {
            git2::Delta::Added => "added",
            git2::Delta::Deleted => "deleted",
            git2::Delta::Renamed => "renamed",
            git2::Delta::Copied => "copied",
            git2::Delta::Typechange => "typechange",
            _ => "modified",
        };
        let new_path = path_of(delta.new_file());
        let old_path = path_of(delta.old_file());
        let size = |oid: Oid| {
            if oid.is_zero() {
                0
            } else {
                repo.find_blob(oid).map(|b| b.size() as u64).unwrap_or(0)
            }
        };
        let old_size = size(delta.old_file().id());
        let new_size = size(delta.new_file().id());
        let mut file = ChangedFile {
            path: if status == "deleted" {
                old_path.clone()
            } else {
                new_path.clone()
            },
            old_path: (status == "renamed" || status == "copied").then_some(old_path),
            status,
            binary: false,
            old_size,
            new_size,
            hunks: Vec::new(),
            truncated: false,
        };
        if old_size.max(new_size) > MAX_DIFF_FILE_BYTES || budget == 0 {
            file.truncated = true;
            file.binary =
                is_binary(repo, delta.old_file().id()) || is_binary(repo, delta.new_file().id());
            files.push(file);
            continue;
        }
        if let Some(patch) = git2::Patch::from_diff(&diff, index)? {
            file.binary = patch.delta().flags().is_binary();
            for h in 0..patch.num_hunks() {
                let (hunk, count) = patch.hunk(h)?;
                let mut lines = Vec::with_capacity(count);
                for l in 0..count {
                    if budget == 0 {
                        file.truncated = true;
                        break;
                    }
                    budget -= 1;
                    let line = patch.line_in_hunk(h, l)?;
                    lines.push(DiffLine {
                        origin: line.origin(),
                        old_line: line.old_lineno(),
                        new_line: line.new_lineno(),
                        content: String::from_utf8_lossy(line.content())
                            .trim_end_matches(['\n', '\r'])
                            .to_owned(),
                    });
                }
                file.hunks.push(Hunk {
                    header: String::from_utf8_lossy(hunk.header()).trim_end().to_owned(),
                    lines,
                });
            }
        }
        files.push(file);
    }
    Ok(files)
}

fn is_binary(repo: &Repository, oid: Oid) -> bool {
    !oid.is_zero() && repo.find_blob(oid).is_ok_and(|b| b.is_binary())
}

/// A file of a tree, as [`Store::read_files`] hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Relative to the design's root.
    pub path: String,
    pub blob: Oid,
    pub size: u64,
    pub executable: bool,
}

/// What [`Store::read_files`] found under a folder: its files sorted by path (bytewise), and
/// the entries no archive should carry (symbolic links and submodules), by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileListing {
    pub files: Vec<TreeFile>,
    pub skipped: Vec<String>,
}

impl Store {
    /// The commit the full ref name `refname` (`refs/tags/v1`) points at, if the design has it.
    pub fn ref_target(&self, id: &DesignId, refname: &str) -> Result<Option<Oid>> {
        let repo = self.open_repo(id)?;
        match repo.find_reference(refname) {
            Ok(reference) => Ok(Some(reference.peel_to_commit()?.id())),
            Err(err) if err.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(err) if err.code() == git2::ErrorCode::InvalidSpec => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The commit `rev` resolves to in the design, without its diff.
    pub fn commit_info(&self, id: &DesignId, rev: &str) -> Result<CommitInfo> {
        let repo = self.open_repo(id)?;
        let commit = repo.find_commit(resolve(&repo, id, rev)?)?;
        Ok(commit_info(&commit))
    }

    /// Lists the files under `path` (empty: the whole design) at `commit`, a commit the caller
    /// has already resolved for this design, then hands each one to `read` with a reader of its
    /// content. Content is streamed from loose objects, so memory stays flat whatever the file's
    /// size; packed objects are read whole (libgit2 cannot stream them).
    pub fn read_files<E: From<Error>>(
        &self,
        id: &DesignId,
        commit: Oid,
        path: &str,
        mut read: impl FnMut(&TreeFile, &mut dyn std::io::Read) -> std::result::Result<(), E>,
    ) -> std::result::Result<FileListing, E> {
        let repo = self.open_repo(id)?;
        let odb = repo.odb().map_err(Error::from)?;
        let listing = list_files(&repo, &odb, commit, path)?;
        for file in &listing.files {
            match odb.reader(file.blob) {
                Ok((mut reader, _, _)) => read(file, &mut reader)?,
                Err(_) => {
                    let blob = repo.find_blob(file.blob).map_err(Error::from)?;
                    read(file, &mut blob.content())?;
                }
            }
        }
        Ok(listing)
    }
}

fn list_files(
    repo: &Repository,
    odb: &git2::Odb<'_>,
    commit: Oid,
    path: &str,
) -> Result<FileListing> {
    let root = repo.find_commit(commit)?.tree()?;
    let tree = if path.is_empty() {
        root
    } else {
        paths::validate(path)?;
        root.get_path(Path::new(path))
            .ok()
            .and_then(|entry| entry.to_object(repo).ok())
            .and_then(|object| object.into_tree().ok())
            .ok_or_else(|| missing(format!("no folder {path:?} at {commit}")))?
    };
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut listing = FileListing::default();
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = String::from_utf8_lossy(entry.name_bytes());
        let path = format!("{prefix}{dir}{name}");
        match (entry.kind(), entry.filemode()) {
            (Some(ObjectType::Tree), _) => return git2::TreeWalkResult::Ok,
            (Some(ObjectType::Blob), 0o100644 | 0o100755 | 0o100664) => {
                let size = match odb.read_header(entry.id()) {
                    Ok((size, _)) => size as u64,
                    Err(err) => {
                        failure = Some(err);
                        return git2::TreeWalkResult::Abort;
                    }
                };
                listing.files.push(TreeFile {
                    path,
                    blob: entry.id(),
                    size,
                    executable: entry.filemode() == 0o100755,
                });
            }
            _ => listing.skipped.push(path),
        }
        git2::TreeWalkResult::Ok
    })?;
    if let Some(err) = failure {
        return Err(err.into());
    }
    listing
        .files
        .sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    listing.skipped.sort();
    Ok(listing)
}
