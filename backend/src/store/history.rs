//! A design's history: paged logs (optionally of one path), one commit with its diff, and the
//! comparison of two revisions.

use std::path::Path;

use git2::{Commit, DiffOptions, Oid, Repository, Sort};

use super::read::{commit_info, resolve};
use super::{CommitInfo, DesignId, Error, Result, Store, branch_ref, paths};

/// Largest file whose text diff is computed; bigger changes show sizes only.
const MAX_DIFF_FILE_BYTES: u64 = 1024 * 1024;

/// At most this many diff lines per commit; the rest is cut and flagged.
const MAX_DIFF_LINES: usize = 20_000;

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

impl Store {
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
        self.compare_across(id, base, id, head)
    }

    /// Like [`Store::compare`], with the head read from `head_design`, which must be of the
    /// same fork network (each revision resolves only through its own design's refs).
    pub fn compare_across(
        &self,
        id: &DesignId,
        base: &str,
        head_design: &DesignId,
        head: &str,
    ) -> Result<Comparison> {
        let repo = self.open_repo(id)?;
        let base_id = resolve(&repo, id, base)?;
        let head_id = if head_design == id {
            resolve(&repo, id, head)?
        } else {
            if self.lineage(head_design)?.network != self.lineage(id)?.network {
                return Err(Error::Invalid(format!(
                    "{head_design} is not in the fork network of {id}"
                )));
            }
            // The pool is shared: the head's objects are readable through this design too.
            resolve(&self.open_repo(head_design)?, head_design, head)?
        };
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

    /// The files changed from `from` (`None`: nothing) to `to`, two commits of the network of
    /// `id`: every file without hunks, or one `path` with its hunks. Renames are detected in
    /// the full list only.
    pub fn diff_commits(
        &self,
        id: &DesignId,
        from: Option<Oid>,
        to: Oid,
        path: Option<&str>,
    ) -> Result<Vec<ChangedFile>> {
        if let Some(path) = path {
            paths::validate(path)?;
        }
        let pool = self.open_pool(&self.lineage(id)?.network)?;
        let old = from
            .map(|f| pool.find_commit(f).and_then(|c| c.tree()))
            .transpose()?;
        let new = pool.find_commit(to)?.tree()?;
        diff_trees_with(&pool, old.as_ref(), Some(&new), path, path.is_some())
    }

    /// Number of commits on the default branch.
    pub fn commit_count(&self, id: &DesignId) -> Result<u64> {
        let repo = self.open_repo(id)?;
        let mut walk = repo.revwalk()?;
        walk.push_ref(&branch_ref(&super::default_branch_of(&repo)))?;
        Ok(walk.count() as u64)
    }
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
    diff_trees_with(repo, old, new, None, true)
}

/// [`diff_trees`] limited to `path` (a file or folder) when given, and without text hunks
/// unless `hunks` (file list pages only need paths, status and sizes).
fn diff_trees_with(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    path: Option<&str>,
    hunks: bool,
) -> Result<Vec<ChangedFile>> {
    let mut options = DiffOptions::new();
    options.context_lines(3).id_abbrev(40);
    if let Some(path) = path {
        options.pathspec(path).disable_pathspec_match(true);
    }
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
                super::read::blob_size(repo, oid).unwrap_or(0)
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
        if !hunks {
            file.binary =
                is_binary(repo, delta.old_file().id()) || is_binary(repo, delta.new_file().id());
            files.push(file);
            continue;
        }
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

/// Whether a blob is binary, as git decides it (a NUL in its first 8,000 bytes), reading no more
/// of a large blob than that: a loose object is streamed; a packed one over
/// [`MAX_DIFF_FILE_BYTES`] is not read and counts as binary (libgit2 would inflate it whole).
fn is_binary(repo: &Repository, oid: Oid) -> bool {
    use std::io::Read as _;
    const SNIFF: usize = 8000;
    if oid.is_zero() {
        return false;
    }
    let Ok(odb) = repo.odb() else {
        return false;
    };
    if let Ok((mut reader, _, _)) = odb.reader(oid) {
        let mut head = Vec::with_capacity(SNIFF);
        let mut chunk = [0u8; SNIFF];
        while head.len() < SNIFF {
            match reader.read(&mut chunk[..SNIFF - head.len()]) {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&chunk[..n]),
            }
        }
        return head.contains(&0);
    }
    match super::read::blob_size(repo, oid) {
        Some(size) if size <= MAX_DIFF_FILE_BYTES => repo
            .find_blob(oid)
            .is_ok_and(|b| b.content()[..b.content().len().min(SNIFF)].contains(&0)),
        _ => true,
    }
}
