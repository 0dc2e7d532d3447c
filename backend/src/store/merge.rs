//! Merging inside a fork network: the mergeability check of a proposal (a three-way merge in
//! memory: its objects go to an in-memory object database dropped afterwards, so checking writes
//! nothing), the three merge methods, "update from upstream" with per-file resolutions, and the
//! hidden proposal refs (`refs/proposals/{n}/head`, `refs/proposals/{n}/rev/{k}`) of the target.
//!
//! Invariant: a merge moves its branch only by compare-and-swap from the head the caller
//! expects, under the design's lock, and appends the ref move like every other write.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Index, IndexEntry, MergeOptions, Oid, Repository};

use super::{
    DesignId, Error, MANIFEST_PATH, Person, Result, Store, branch_ref, lineage, signature,
};
use crate::manifest;

/// What a three-way merge of a proposal's head into its target would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeState {
    /// Merges without conflicts and changes something.
    Clean,
    /// These paths conflict (text or binary).
    Conflict(Vec<String>),
    /// Merges cleanly but changes nothing.
    Empty,
    /// The head is already part of the target.
    Merged,
}

/// The result of a check with the files of the merged tree a hardware review needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeCheck {
    pub state: MergeState,
    pub merge_base: Option<Oid>,
    /// `okh.toml` in the target and in the merged tree.
    pub manifest: (Option<Vec<u8>>, Option<Vec<u8>>),
    /// Every BOM file either manifest names.
    pub boms: Vec<FileVersions>,
}

/// A path with its content in the target and in the merged tree (`None`: absent).
pub type FileVersions = (String, Option<Vec<u8>>, Option<Vec<u8>>);

/// How a proposal lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A merge commit: every original commit, with its authors and trailers, is kept.
    Merge,
    /// One new commit on top of the target with the merged tree.
    Squash,
    /// The target moves to the head; only when the target is an ancestor of it.
    FastForward,
}

/// A merge of `head` into `branch`, valid only while the branch points at `expected_head`.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    pub branch: String,
    pub expected_head: Oid,
    pub head: Oid,
    pub method: Method,
    pub message: String,
    /// The author of a squash commit (the proposer); a merge commit's author is the committer.
    pub author: Person,
    pub committer: Person,
}

/// Why a merge did not happen (besides the store's own errors).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("branch {branch} has moved: its head is now {current}")]
    Moved { branch: String, current: Oid },
    #[error("the merge conflicts in {}", .0.join(", "))]
    Conflicts(Vec<String>),
    #[error("the changes are already part of {0}")]
    AlreadyMerged(String),
    #[error("{0} cannot be fast-forwarded: it has commits the head lacks")]
    NotFastForward(String),
    #[error(transparent)]
    Store(#[from] Error),
}

impl From<git2::Error> for MergeError {
    fn from(err: git2::Error) -> Self {
        Self::Store(Error::Git(err))
    }
}

/// How one conflicted file is resolved when updating from upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Keep the branch's version ("keep mine").
    Ours,
    /// Take the incoming version ("take upstream").
    Theirs,
    /// These bytes (text edited from the conflict markers).
    Content(Vec<u8>),
}

/// `IndexEntry` is not `Clone`.
fn copy(entry: &IndexEntry) -> IndexEntry {
    IndexEntry {
        ctime: entry.ctime,
        mtime: entry.mtime,
        dev: entry.dev,
        ino: entry.ino,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        file_size: entry.file_size,
        id: entry.id,
        flags: entry.flags,
        flags_extended: entry.flags_extended,
        path: entry.path.clone(),
    }
}

fn merge_options() -> MergeOptions {
    let mut options = MergeOptions::new();
    options.find_renames(true);
    options
}

fn conflict_paths(index: &Index) -> Result<Vec<String>> {
    let mut paths = std::collections::BTreeSet::new();
    for conflict in index.conflicts()? {
        let conflict = conflict?;
        if let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) {
            paths.insert(String::from_utf8_lossy(&entry.path).into_owned());
        }
    }
    Ok(paths.into_iter().collect())
}

fn blob_at(repo: &Repository, tree: &git2::Tree<'_>, path: &str) -> Result<Option<Vec<u8>>> {
    match tree.get_path(Path::new(path)) {
        Ok(entry) => match repo.find_blob(entry.id()) {
            Ok(blob) => Ok(Some(blob.content().to_vec())),
            Err(_) => Ok(None),
        },
        Err(_) => Ok(None),
    }
}

/// The BOM path a manifest names, if it parses and names one.
fn bom_path(manifest: Option<&[u8]>) -> Option<String> {
    let text = std::str::from_utf8(manifest?).ok()?;
    manifest::parse(text).ok()?.bom.first()
}

impl Store {
    /// Checks whether `head` (a commit of the network) merges into `base` (the target's head)
    /// without writing anything: the merge runs against an in-memory object database layered
    /// over the pool, dropped when the check ends.
    pub fn check_merge(&self, target: &DesignId, base: Oid, head: Oid) -> Result<MergeCheck> {
        let network = self.lineage(target)?.network;
        let pool = self.open_pool(&network)?;
        let odb = pool.odb()?;
        // Highest priority: every write of the check lands in memory.
        let _mempack = odb.add_new_mempack_backend(1000)?;
        let base_commit = pool.find_commit(base)?;
        let base_tree = base_commit.tree()?;
        let manifest_before = blob_at(&pool, &base_tree, MANIFEST_PATH)?;
        let merge_base = pool.merge_base(base, head).ok();
        let unchanged = |state| MergeCheck {
            state,
            merge_base,
            manifest: (manifest_before.clone(), manifest_before.clone()),
            boms: Vec::new(),
        };
        if head == base || pool.graph_descendant_of(base, head)? {
            return Ok(unchanged(MergeState::Merged));
        }
        let head_commit = pool.find_commit(head)?;
        let mut index = pool.merge_commits(&base_commit, &head_commit, Some(&merge_options()))?;
        if index.has_conflicts() {
            return Ok(MergeCheck {
                state: MergeState::Conflict(conflict_paths(&index)?),
                ..unchanged(MergeState::Empty)
            });
        }
        let tree_id = index.write_tree_to(&pool)?;
        if tree_id == base_tree.id() {
            return Ok(unchanged(MergeState::Empty));
        }
        let merged = pool.find_tree(tree_id)?;
        let manifest_after = blob_at(&pool, &merged, MANIFEST_PATH)?;
        let mut boms = Vec::new();
        let mut paths: Vec<String> = [
            bom_path(manifest_before.as_deref()),
            bom_path(manifest_after.as_deref()),
        ]
        .into_iter()
        .flatten()
        .collect();
        paths.dedup();
        for path in paths {
            let file = crate::bom::split_sheet(&path).0;
            if super::paths::validate(file).is_err() {
                continue;
            }
            let before = blob_at(&pool, &base_tree, file)?;
            let after = blob_at(&pool, &merged, file)?;
            boms.push((path, before, after));
        }
        Ok(MergeCheck {
            state: MergeState::Clean,
            merge_base,
            manifest: (manifest_before, manifest_after),
            boms,
        })
    }

    /// The conflicted file `path` of merging `theirs` into `ours`, as text with conflict
    /// markers (`None` when the path does not conflict or is not text). Writes nothing.
    pub fn conflict_text(
        &self,
        id: &DesignId,
        ours: Oid,
        theirs: Oid,
        path: &str,
    ) -> Result<Option<String>> {
        let pool = self.open_pool(&self.lineage(id)?.network)?;
        let odb = pool.odb()?;
        let _mempack = odb.add_new_mempack_backend(1000)?;
        let index = pool.merge_commits(
            &pool.find_commit(ours)?,
            &pool.find_commit(theirs)?,
            Some(&merge_options()),
        )?;
        for conflict in index.conflicts()? {
            let conflict = conflict?;
            let (Some(our), Some(their)) = (conflict.our, conflict.their) else {
                continue;
            };
            if String::from_utf8_lossy(&our.path) != path {
                continue;
            }
            // Binary files have no text to merge (and libgit2 then hands back no content).
            let binary = |oid: Oid| pool.find_blob(oid).map(|b| b.is_binary()).unwrap_or(true);
            if binary(our.id) || binary(their.id) {
                return Ok(None);
            }
            // Added on both sides: merge against an empty file (written to the mempack).
            let ancestor = match conflict.ancestor {
                Some(ancestor) => ancestor,
                None => IndexEntry {
                    id: pool.blob(b"")?,
                    file_size: 0,
                    ..copy(&our)
                },
            };
            let mut options = git2::MergeFileOptions::new();
            options.our_label("mine").their_label("upstream");
            let result = pool.merge_file_from_index(&ancestor, &our, &their, Some(&mut options))?;
            return Ok(std::str::from_utf8(result.content())
                .ok()
                .filter(|text| !text.contains('\0'))
                .map(str::to_owned));
        }
        Ok(None)
    }

    /// Lands `request.head` on `request.branch` of `id` by `request.method`: the objects go to
    /// the pool, the branch moves by compare-and-swap from `request.expected_head`, and the
    /// move is announced. Returns the new head.
    pub fn merge(&self, id: &DesignId, request: &MergeRequest) -> Result<Oid, MergeError> {
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let repo = self.open_repo(id)?;
        let refname = branch_ref(&request.branch);
        let current = repo
            .find_reference(&refname)
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| Error::Missing(format!("branch {} not found", request.branch)))?
            .id();
        if current != request.expected_head {
            return Err(MergeError::Moved {
                branch: request.branch.clone(),
                current,
            });
        }
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        if request.head == current || pool.graph_descendant_of(current, request.head)? {
            return Err(MergeError::AlreadyMerged(request.branch.clone()));
        }
        let ours = pool.find_commit(current)?;
        let theirs = pool.find_commit(request.head)?;
        let new = match request.method {
            Method::FastForward => {
                if !pool.graph_descendant_of(request.head, current)? {
                    return Err(MergeError::NotFastForward(request.branch.clone()));
                }
                request.head
            }
            Method::Merge | Method::Squash => {
                let mut index = pool.merge_commits(&ours, &theirs, Some(&merge_options()))?;
                if index.has_conflicts() {
                    return Err(MergeError::Conflicts(conflict_paths(&index)?));
                }
                let tree = pool.find_tree(index.write_tree_to(&pool)?)?;
                let committer = signature(&request.committer)?;
                let message = with_newline(&request.message);
                if request.method == Method::Merge {
                    pool.commit(
                        None,
                        &committer,
                        &committer,
                        &message,
                        &tree,
                        &[&ours, &theirs],
                    )?
                } else {
                    let author = signature(&request.author)?;
                    pool.commit(None, &author, &committer, &message, &tree, &[&ours])?
                }
            }
        };
        self.move_branch(&repo, &pool, id, &request.branch, current, new)?;
        Ok(new)
    }

    /// "Update from upstream": merges `upstream` into `branch` of `id` (a merge commit by
    /// `committer`), resolving each conflicted path as `resolutions` says. Every conflict
    /// needs a resolution; the branch must still point at `expected_head`.
    #[allow(clippy::too_many_arguments)]
    pub fn merge_upstream(
        &self,
        id: &DesignId,
        branch: &str,
        expected_head: Oid,
        upstream: Oid,
        resolutions: &BTreeMap<String, Resolution>,
        committer: &Person,
        message: &str,
    ) -> Result<Oid, MergeError> {
        for path in resolutions.keys() {
            super::paths::validate(path).map_err(Error::from)?;
        }
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let repo = self.open_repo(id)?;
        let current = repo
            .find_reference(&branch_ref(branch))
            .and_then(|r| r.peel_to_commit())
            .map_err(|_| Error::Missing(format!("branch {branch} not found")))?
            .id();
        if current != expected_head {
            return Err(MergeError::Moved {
                branch: branch.to_owned(),
                current,
            });
        }
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        if upstream == current || pool.graph_descendant_of(current, upstream)? {
            return Err(MergeError::AlreadyMerged(branch.to_owned()));
        }
        let ours = pool.find_commit(current)?;
        let theirs = pool.find_commit(upstream)?;
        let mut index = pool.merge_commits(&ours, &theirs, Some(&merge_options()))?;
        let mut unresolved = Vec::new();
        let conflicts: Vec<_> = index.conflicts()?.collect::<Result<_, _>>()?;
        for conflict in conflicts {
            let Some(any) = conflict
                .our
                .as_ref()
                .or(conflict.their.as_ref())
                .or(conflict.ancestor.as_ref())
                .map(copy)
            else {
                continue;
            };
            let path = String::from_utf8_lossy(&any.path).into_owned();
            let chosen = match resolutions.get(&path) {
                None => {
                    unresolved.push(path);
                    continue;
                }
                Some(Resolution::Ours) => conflict.our.as_ref().map(copy),
                Some(Resolution::Theirs) => conflict.their.as_ref().map(copy),
                Some(Resolution::Content(bytes)) => Some(IndexEntry {
                    id: pool.blob(bytes)?,
                    file_size: bytes.len() as u32,
                    ..any
                }),
            };
            index.conflict_remove(Path::new(&path))?;
            match chosen {
                Some(mut entry) => {
                    // Stage 0: resolved.
                    entry.flags &= !0x3000;
                    index.add(&entry)?;
                }
                None => {
                    // The chosen side deleted the file.
                    let _ = index.remove_path(Path::new(&path));
                }
            }
        }
        if !unresolved.is_empty() {
            return Err(MergeError::Conflicts(unresolved));
        }
        let tree = pool.find_tree(index.write_tree_to(&pool)?)?;
        let committer_sig = signature(committer)?;
        let new = pool.commit(
            None,
            &committer_sig,
            &committer_sig,
            &with_newline(message),
            &tree,
            &[&ours, &theirs],
        )?;
        self.move_branch(&repo, &pool, id, branch, current, new)?;
        Ok(new)
    }

    fn move_branch(
        &self,
        repo: &Repository,
        pool: &Repository,
        id: &DesignId,
        branch: &str,
        old: Oid,
        new: Oid,
    ) -> Result<(), MergeError> {
        let refname = branch_ref(branch);
        repo.reference_matching(&refname, new, true, old, "atelier: merge")
            .map_err(|err| {
                match repo
                    .find_reference(&refname)
                    .and_then(|r| r.peel_to_commit())
                {
                    Ok(now) if now.id() != old => MergeError::Moved {
                        branch: branch.to_owned(),
                        current: now.id(),
                    },
                    _ => MergeError::Store(Error::Git(err)),
                }
            })?;
        self.announce(id, &refname, Some(old), Some(new));
        self.mirror_after_move(pool, id, &refname, Some(new));
        Ok(())
    }

    /// Records revision `revision` of proposal `number` of `id` at `head`: the hidden refs
    /// `refs/proposals/{number}/rev/{revision}` and `refs/proposals/{number}/head`, mirrored to
    /// the pool first (so the objects stay reachable whatever happens to the fork). These refs
    /// are never branches or tags: not listed, not forked, not credited.
    pub fn record_proposal_revision(
        &self,
        id: &DesignId,
        number: i64,
        revision: i64,
        head: Oid,
    ) -> Result<()> {
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let repo = self.open_repo(id)?;
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        pool.find_commit(head)?;
        for name in [
            format!("refs/proposals/{number}/rev/{revision}"),
            format!("refs/proposals/{number}/head"),
        ] {
            self.mirror_ref(&pool, id, &name, Some(head))?;
            repo.reference(&name, head, true, "atelier: proposal revision")?;
        }
        Ok(())
    }

    /// How many commits `head` has that `base` lacks and the other way round: `(ahead,
    /// behind)`, in the network of `id`.
    pub fn ahead_behind(&self, id: &DesignId, head: Oid, base: Oid) -> Result<(usize, usize)> {
        let pool = self.open_pool(&self.lineage(id)?.network)?;
        Ok(pool.graph_ahead_behind(head, base)?)
    }
}

impl Store {
    /// The merge base of two commits of the network of `id`, if they have one.
    pub fn merge_base(&self, id: &DesignId, a: Oid, b: Oid) -> Result<Option<Oid>> {
        let pool = self.open_pool(&self.lineage(id)?.network)?;
        Ok(pool.merge_base(a, b).ok())
    }

    /// Whether line `line` (from 1) of `path` at commit `from` is changed or gone at `to`.
    pub fn line_changed(
        &self,
        id: &DesignId,
        from: Oid,
        to: Oid,
        path: &str,
        line: u32,
    ) -> Result<bool> {
        if from == to {
            return Ok(false);
        }
        let pool = self.open_pool(&self.lineage(id)?.network)?;
        let blob = |commit: Oid| -> Result<Option<git2::Blob<'_>>> {
            let tree = pool.find_commit(commit)?.tree()?;
            Ok(match tree.get_path(Path::new(path)) {
                Ok(entry) => pool.find_blob(entry.id()).ok(),
                Err(_) => None,
            })
        };
        let (Some(old), Some(new)) = (blob(from)?, blob(to)?) else {
            return Ok(true);
        };
        if old.id() == new.id() {
            return Ok(false);
        }
        let mut options = git2::DiffOptions::new();
        options.context_lines(0);
        let patch = git2::Patch::from_blobs(&old, None, &new, None, Some(&mut options))?;
        for h in 0..patch.num_hunks() {
            let (hunk, _) = patch.hunk(h)?;
            let start = hunk.old_start();
            let end = start + hunk.old_lines();
            // A pure insertion right after the line leaves it as it was.
            if hunk.old_lines() > 0 && (start..end).contains(&line) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn with_newline(message: &str) -> String {
    let message = message.trim_end();
    format!("{message}\n")
}
