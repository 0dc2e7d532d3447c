//! Writing to a design: atomic multi-file commits guarded by the expected head, releases
//! (annotated tags) and streamed uploads. Objects go to the network's pool; the member's ref
//! moves only if it still points where the caller expects.

use std::collections::BTreeMap;
use std::io::Write as _;

use git2::build::TreeUpdateBuilder;
use git2::{FileMode, ObjectType, Oid, Repository};

use super::{DesignId, Error, Person, Result, Store, branch_ref, lineage, paths, read, signature};

/// What a put writes. `None` in a change keeps the mode the path has (a new path: a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    File,
    Executable,
    /// A symbolic link; the content is its target.
    Symlink,
}

impl Mode {
    fn git(self) -> FileMode {
        match self {
            Mode::File => FileMode::Blob,
            Mode::Executable => FileMode::BlobExecutable,
            Mode::Symlink => FileMode::Link,
        }
    }

    fn of(filemode: i32) -> Option<Self> {
        match filemode {
            0o100644 | 0o100664 => Some(Mode::File),
            0o100755 => Some(Mode::Executable),
            0o120000 => Some(Mode::Symlink),
            _ => None,
        }
    }
}

/// One change of a commit. Paths are validated before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create or replace a file with these bytes.
    Put {
        path: String,
        content: Vec<u8>,
        mode: Option<Mode>,
    },
    /// Create or replace a file with an uploaded blob already in the pool.
    PutBlob {
        path: String,
        blob: Oid,
        mode: Option<Mode>,
    },
    /// Create or replace a file with a staged upload: the file `file`, whose bytes hash to
    /// `blob`. It enters the pool only once the branch is known to be where the caller
    /// expects.
    PutStaged {
        path: String,
        file: std::path::PathBuf,
        blob: Oid,
        mode: Option<Mode>,
    },
    Delete {
        path: String,
    },
    Move {
        from: String,
        to: String,
    },
}

/// A commit on `branch`, valid only while the branch still points at `expected_head`.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    pub branch: String,
    pub expected_head: Oid,
    pub author: Person,
    pub message: String,
    pub changes: Vec<Change>,
}

/// Largest number of changes in one commit.
pub const MAX_CHANGES: usize = 1000;
/// Longest symbolic-link target, in bytes.
pub const MAX_LINK_TARGET: usize = 1024;

/// A symbolic link at `path` may point at `target` only inside the design: relative, not
/// empty, no NUL, and never above the design's root. (git allows any target; one leaving the
/// design would point into whatever machine checks it out.)
fn check_link_target(path: &str, target: &[u8]) -> Result<()> {
    let refuse = |why: &str| Err(Error::Invalid(format!("symlink {path:?}: {why}")));
    let Ok(target) = std::str::from_utf8(target) else {
        return refuse("its target is not UTF-8 text");
    };
    if target.is_empty() || target.len() > MAX_LINK_TARGET {
        return refuse("its target must be 1 to 1024 bytes long");
    }
    if target.contains('\0') || target.chars().any(char::is_control) {
        return refuse("its target contains a control character");
    }
    if target.starts_with('/') || target.contains('\\') || target.contains(':') {
        return refuse("its target must be a relative path inside the design");
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    if GIT_READS.contains(&name.as_str()) {
        return refuse("git reads this file itself and refuses it as a link");
    }
    // `..` only before the first name: a step up after a name could climb out through another
    // link (`up -> ..`, then `esc -> up/../x`). With the steps up first, every link resolves
    // from its own folder, which is inside, so no chain of links leaves the design.
    let mut up = 0;
    let mut named = false;
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." if named => {
                return refuse("its target may step up ('..') only at its start");
            }
            ".." => up += 1,
            name => {
                named = true;
                if let Err(reason) = paths::validate_segment(name) {
                    return refuse(&format!("its target's segment {name:?} {reason}"));
                }
            }
        }
    }
    if up > path.matches('/').count() {
        return refuse("its target leaves the design");
    }
    Ok(())
}

/// Files git reads from the tree itself; git refuses them as symlinks (`fsck`), and so do we.
const GIT_READS: &[&str] = &[".gitmodules", ".gitattributes", ".gitignore", ".mailmap"];

/// Writes `files` (slash-separated paths) as blobs and nested trees; returns the root tree id.
pub(super) fn tree_from_files(repo: &Repository, files: &BTreeMap<String, Vec<u8>>) -> Result<Oid> {
    let mut builder = TreeUpdateBuilder::new();
    for (path, content) in files {
        builder.upsert(path.as_str(), repo.blob(content)?, FileMode::Blob);
    }
    let empty = repo.find_tree(repo.treebuilder(None)?.write()?)?;
    Ok(builder.create_updated(repo, &empty)?)
}

/// Characters that make a name read differently from what it is: bidirectional overrides and
/// isolates, and zero-width characters.
fn deceptive(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A branch or tag name: git's own rules (`git check-ref-format`) on `refs/{kind}/{name}`, plus
/// ours: at most 100 bytes, no `HEAD`, no leading `-`, no `refs/` prefix, no control,
/// bidirectional-override or zero-width characters. The error names the rule.
pub(super) fn check_ref_name(what: &str, kind: &str, name: &str) -> Result<()> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 100 {
        Some("it is longer than 100 bytes")
    } else if name.chars().any(char::is_control) {
        // git2 panics on NUL; control characters are never valid in a ref anyway.
        Some("it contains a control character")
    } else if name.chars().any(deceptive) {
        Some("it contains an invisible or direction-changing character")
    } else if name == "HEAD" || name.starts_with('-') || name.starts_with("refs/") {
        Some("it is HEAD, starts with '-' or starts with refs/")
    } else if name.contains("..") || !git2::Reference::is_valid_name(&format!("refs/{kind}/{name}"))
    {
        Some(
            "git does not allow it (no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', '@{', or a trailing '.lock' or '/')",
        )
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => Err(Error::Invalid(format!(
            "invalid {what} name {name:?}: {why}"
        ))),
    }
}

fn check_branch_name(branch: &str) -> Result<()> {
    check_ref_name("branch", "heads", branch)
}

/// Streams the staged file `file` into `pool` as a blob, unless the pool has `blob` already;
/// the bytes must still hash to `blob`.
fn ingest(pool: &Repository, file: &std::path::Path, blob: Oid) -> Result<()> {
    if read::blob_size(pool, blob).is_some() {
        return Ok(());
    }
    let mut source = std::fs::File::open(file)?;
    let mut writer = pool.blob_writer(None)?;
    std::io::copy(&mut source, &mut writer)?;
    let written = writer.commit()?;
    if written != blob {
        return Err(Error::Io(std::io::Error::other(format!(
            "the staged upload {} changed: it hashes to {written}, not {blob}",
            file.display()
        ))));
    }
    Ok(())
}

/// The mode a put without one gives `path`: the mode it has in `base`, else a plain file.
fn kept_mode(base: &git2::Tree<'_>, path: &str) -> Mode {
    base.get_path(std::path::Path::new(path))
        .ok()
        .filter(|entry| entry.kind() == Some(ObjectType::Blob))
        .and_then(|entry| Mode::of(entry.filemode()))
        .unwrap_or(Mode::File)
}

impl Store {
    /// Makes one commit of all `request.changes` on top of `request.expected_head`, or none:
    /// a moved branch is a [`Error::Conflict`] carrying the current head, and nothing is written
    /// to the branch. A new branch is created from `expected_head` when it does not exist.
    pub fn commit_changes(&self, id: &DesignId, request: &CommitRequest) -> Result<Oid> {
        check_branch_name(&request.branch)?;
        if request.changes.is_empty() {
            return Err(Error::Invalid("a commit needs at least one change".into()));
        }
        if request.changes.len() > MAX_CHANGES {
            return Err(Error::Invalid(format!(
                "a commit may hold at most {MAX_CHANGES} changes"
            )));
        }
        if request.message.trim().is_empty() {
            return Err(Error::Invalid("the commit message is empty".into()));
        }
        if request.message.contains('\0') {
            return Err(Error::Invalid(
                "the commit message contains a NUL character".into(),
            ));
        }
        for change in &request.changes {
            match change {
                Change::Put { path, .. }
                | Change::PutBlob { path, .. }
                | Change::PutStaged { path, .. }
                | Change::Delete { path } => {
                    paths::validate(path)?;
                }
                Change::Move { from, to } => {
                    paths::validate(from)?;
                    paths::validate(to)?;
                }
            }
        }
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let repo = self.open_repo(id)?;
        let refname = branch_ref(&request.branch);
        let current = match repo.find_reference(&refname) {
            Ok(reference) => Some(reference.peel_to_commit()?.id()),
            Err(err) if err.code() == git2::ErrorCode::NotFound => None,
            Err(err) => return Err(err.into()),
        };
        match current {
            Some(current) if current != request.expected_head => {
                return Err(Error::Conflict {
                    branch: request.branch.clone(),
                    current,
                });
            }
            Some(_) => {}
            // A new branch starts at a commit this design already has.
            None => {
                read::resolve(&repo, id, &request.expected_head.to_string())?;
            }
        }
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        let parent = pool.find_commit(request.expected_head)?;
        let base = parent.tree()?;

        let mut builder = TreeUpdateBuilder::new();
        let mut touched: BTreeMap<&str, &'static str> = BTreeMap::new();
        for change in &request.changes {
            match change {
                Change::Put {
                    path,
                    content,
                    mode,
                } => {
                    let mode = mode.unwrap_or_else(|| kept_mode(&base, path));
                    if mode == Mode::Symlink {
                        check_link_target(path, content)?;
                    }
                    builder.upsert(path.as_str(), pool.blob(content)?, mode.git());
                    touched.insert(path, "written");
                }
                Change::PutBlob { path, blob, mode }
                | Change::PutStaged {
                    path, blob, mode, ..
                } => {
                    if let Change::PutStaged { file, .. } = change {
                        ingest(&pool, file, *blob)?;
                    }
                    // From the object's header: a lookup would inflate a large upload whole.
                    if read::blob_size(&pool, *blob).is_none() {
                        return Err(Error::Invalid(format!("upload {blob} not found")));
                    }
                    let mode = match mode.unwrap_or_else(|| kept_mode(&base, path)) {
                        Mode::Symlink if mode.is_some() => {
                            return Err(Error::Invalid(format!(
                                "symlink {path:?}: give its target as content, not as an upload"
                            )));
                        }
                        // An upload replacing a link is a file.
                        Mode::Symlink => Mode::File,
                        other => other,
                    };
                    builder.upsert(path.as_str(), *blob, mode.git());
                    touched.insert(path, "written");
                }
                Change::Delete { path } => {
                    if base.get_path(std::path::Path::new(path)).is_err()
                        && !touched.contains_key(path.as_str())
                    {
                        return Err(Error::Invalid(format!(
                            "cannot delete {path:?}: no such file"
                        )));
                    }
                    builder.remove(path.as_str());
                    touched.insert(path, "deleted");
                }
                Change::Move { from, to } => {
                    let entry = base.get_path(std::path::Path::new(from)).map_err(|_| {
                        Error::Invalid(format!("cannot move {from:?}: no such file"))
                    })?;
                    let Some(mode) = Mode::of(entry.filemode())
                        .filter(|_| entry.kind() == Some(ObjectType::Blob))
                    else {
                        return Err(Error::Invalid(format!(
                            "cannot move {from:?}: only files and symlinks can be moved"
                        )));
                    };
                    if mode == Mode::Symlink {
                        // A link moved to another folder must still point inside.
                        check_link_target(to, pool.find_blob(entry.id())?.content())?;
                    }
                    builder.remove(from.as_str());
                    builder.upsert(to.as_str(), entry.id(), mode.git());
                    touched.insert(from, "deleted");
                    touched.insert(to, "written");
                }
            }
        }
        let tree_id = builder.create_updated(&pool, &base).map_err(|err| {
            // A file put where a folder is (or below a file) is the caller's mistake.
            if err.code() == git2::ErrorCode::Exists || err.class() == git2::ErrorClass::Tree {
                Error::Invalid(format!(
                    "the changes conflict with the tree: {}",
                    err.message()
                ))
            } else {
                Error::Git(err)
            }
        })?;
        if tree_id == base.id() {
            return Err(Error::Invalid(
                "the changes leave every file as it was".into(),
            ));
        }
        let tree = pool.find_tree(tree_id)?;
        let author = signature(&request.author)?;
        let message = if request.message.ends_with('\n') {
            request.message.clone()
        } else {
            format!("{}\n", request.message)
        };
        let commit = pool.commit(None, &author, &author, &message, &tree, &[&parent])?;
        // Compare-and-swap: libgit2 refuses if the ref moved under us despite the lock (another
        // process).
        let log = format!(
            "atelier: commit {}",
            message.lines().next().unwrap_or_default()
        );
        match current {
            Some(old) => repo
                .reference_matching(&refname, commit, true, old, &log)
                .map_err(|err| {
                    match repo
                        .find_reference(&refname)
                        .and_then(|r| r.peel_to_commit())
                    {
                        Ok(now) if now.id() != old => Error::Conflict {
                            branch: request.branch.clone(),
                            current: now.id(),
                        },
                        _ => Error::Git(err),
                    }
                })?,
            None => repo
                .reference(&refname, commit, false, &log)
                .map_err(|err| {
                    Error::Exists(format!(
                        "branch {} cannot be created: {}",
                        request.branch,
                        err.message()
                    ))
                })?,
        };
        // Announced first: the ref moved, whatever happens to its mirror (repaired at start).
        self.announce(id, &refname, current, Some(commit));
        self.mirror_after_move(&pool, id, &refname, Some(commit));
        Ok(commit)
    }

    /// Creates the release `tag` (an annotated tag with `notes`) at `target`.
    pub fn create_release(
        &self,
        id: &DesignId,
        tag: &str,
        target: &str,
        tagger: &Person,
        notes: &str,
    ) -> Result<Oid> {
        let refname = format!("refs/tags/{tag}");
        check_ref_name("release tag", "tags", tag).map_err(|err| {
            Error::Invalid(format!(
                "{err}; use letters, digits, '.', '-' and '_' (e.g. v1.2.0)"
            ))
        })?;
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        let repo = self.open_repo(id)?;
        let commit = read::resolve(&repo, id, target)?;
        if repo.find_reference(&refname).is_ok() {
            return Err(Error::Exists(format!("release {tag} already exists")));
        }
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        let object = pool.find_object(commit, Some(ObjectType::Commit))?;
        if notes.contains('\0') {
            return Err(Error::Invalid(
                "the release notes contain a NUL character".into(),
            ));
        }
        let mut message = notes.trim().to_owned();
        if message.is_empty() {
            message = format!("Release {tag}");
        }
        message.push('\n');
        let tag_id = pool.tag_annotation_create(tag, &object, &signature(tagger)?, &message)?;
        repo.reference(&refname, tag_id, false, "atelier: release")
            .map_err(|err| {
                Error::Exists(format!(
                    "release {tag} cannot be created: {}",
                    err.message()
                ))
            })?;
        self.announce(id, &refname, None, Some(tag_id));
        self.mirror_after_move(&pool, id, &refname, Some(tag_id));
        Ok(tag_id)
    }

    /// Streams an upload into the design's pool as a blob: `chunks` yields the bytes in order.
    /// Nothing is kept when a chunk is an error.
    pub fn upload<E>(
        &self,
        id: &DesignId,
        chunks: impl IntoIterator<Item = Result<Vec<u8>, E>>,
    ) -> Result<Result<(Oid, u64), E>> {
        let repo = self.open_repo(id)?;
        let pool = self.open_pool(&lineage(&repo)?.network)?;
        let mut writer = pool.blob_writer(None)?;
        let mut size = 0u64;
        for chunk in chunks {
            match chunk {
                Ok(bytes) => {
                    writer.write_all(&bytes)?;
                    size += bytes.len() as u64;
                }
                // Dropping the writer discards what was written.
                Err(err) => return Ok(Err(err)),
            }
        }
        Ok(Ok((writer.commit()?, size)))
    }
}

#[cfg(test)]
mod tests {
    use super::check_ref_name;

    #[test]
    fn ref_names_follow_git_and_our_rules() {
        for good in ["main", "feature/wider-frame", "v1.2.0", "lisbon_variant"] {
            assert!(check_ref_name("branch", "heads", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "HEAD",
            "-rf",
            "refs/heads/main",
            "a..b",
            "with space",
            "ends.lock",
            "trailing/",
            "tilde~1",
            "caret^",
            "colon:x",
            "what?",
            "star*",
            "brace@{1}",
            "back\\slash",
            "nul\0",
            "bell\u{7}",
            "main\u{202E}txt.exe",
            "ma\u{200B}in",
            &"x".repeat(101),
        ] {
            let err = check_ref_name("branch", "heads", bad)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("invalid branch name"), "{bad:?}: {err}");
        }
    }
}
