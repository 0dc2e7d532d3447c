//! Reading a design: revisions (only those reachable from the design's own refs), trees,
//! files, branches and releases.

use std::path::Path;

use git2::{Commit, ObjectType, Oid, Repository};

use super::{DesignId, Error, Result, Store, paths};

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
    /// A file with the executable bit.
    pub executable: bool,
    /// A symbolic link's target (at most `write::MAX_LINK_TARGET` bytes shown).
    pub target: Option<String>,
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
            too_large_to_read(repo, entry.id(), path)?;
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

pub(super) fn missing(what: impl Into<String>) -> Error {
    Error::Missing(what.into())
}

impl Store {
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

    /// The design's README at `rev`: the manifest's `named` path when that file exists, else
    /// the root file called README in any case (`README.md`, `readme.md`, `ReadMe.md`, `README`,
    /// …), Markdown first.
    pub fn readme_path(
        &self,
        id: &DesignId,
        rev: &str,
        named: Option<&str>,
    ) -> Result<Option<String>> {
        // The named one when it is there; else (a manifest naming `readme.md` for a
        // `README.md`) the usual search.
        if let Some(named) = named
            && self.file_header(id, rev, named).is_ok()
        {
            return Ok(Some(named.to_owned()));
        }
        const NAMES: [&str; 5] = [
            "readme.md",
            "readme.markdown",
            "readme",
            "readme.txt",
            "readme.rst",
        ];
        let (_, entries) = self.tree(id, rev, "")?;
        Ok(entries
            .into_iter()
            .filter(|e| e.kind == EntryKind::File)
            .filter_map(|e| {
                let rank = NAMES.iter().position(|n| e.name.eq_ignore_ascii_case(n))?;
                Some((rank, e.name))
            })
            .min()
            .map(|(_, name)| name))
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
                    .then(|| blob_size(&repo, entry.id()))
                    .flatten();
                let target = (kind == EntryKind::Symlink)
                    .then(|| repo.find_blob(entry.id()).ok())
                    .flatten()
                    .map(|blob| {
                        let bytes = blob.content();
                        let shown = &bytes[..bytes.len().min(super::write::MAX_LINK_TARGET)];
                        String::from_utf8_lossy(shown).into_owned()
                    });
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
                    executable: entry.filemode() == 0o100755,
                    target,
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
    /// The file at `path` in `rev`, read whole: [`Error::TooLarge`] beyond
    /// [`super::MAX_WHOLE_READ`] (checked from the object's header, before anything is read).
    pub fn file(&self, id: &DesignId, rev: &str, path: &str) -> Result<(Oid, Vec<u8>)> {
        paths::validate(path)?;
        let repo = self.open_repo(id)?;
        let commit_id = resolve(&repo, id, rev)?;
        let tree = repo.find_commit(commit_id)?.tree()?;
        let entry = tree
            .get_path(Path::new(path))
            .map_err(|_| missing(format!("no file {path:?} at {rev}")))?;
        too_large_to_read(&repo, entry.id(), path)?;
        let blob = entry
            .to_object(&repo)?
            .into_blob()
            .map_err(|_| missing(format!("{path:?} is a folder, not a file")))?;
        Ok((blob.id(), blob.content().to_vec()))
    }

    /// Whether the design's own branches and tags reach object `oid`: it is one of their
    /// targets (a commit or an annotated tag), or a commit in their history. Objects of sibling
    /// forks, which the member sees through the pool, are not reached.
    pub fn reaches(&self, id: &DesignId, oid: Oid) -> Result<bool> {
        let repo = self.open_repo(id)?;
        let mut tips = Vec::new();
        for reference in repo.references()? {
            let reference = reference?;
            let Some(name) = reference.name() else {
                continue;
            };
            if !(name.starts_with("refs/heads/") || name.starts_with("refs/tags/")) {
                continue;
            }
            if reference.target() == Some(oid) {
                return Ok(true);
            }
            if let Ok(commit) = reference.peel_to_commit() {
                tips.push(commit.id());
            }
        }
        if repo.find_commit(oid).is_err() {
            return Ok(false);
        }
        for tip in tips {
            if tip == oid || repo.graph_descendant_of(tip, oid)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Which of `paths` are in the design at `rev` (a file, folder, link or submodule), with
    /// one repository open and one tree for them all. An invalid path is not there.
    pub fn present<'p>(
        &self,
        id: &DesignId,
        rev: &str,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> Result<std::collections::HashSet<String>> {
        let repo = self.open_repo(id)?;
        let tree = repo.find_commit(resolve(&repo, id, rev)?)?.tree()?;
        Ok(paths
            .into_iter()
            .filter(|path| paths::validate(path).is_ok() && tree.get_path(Path::new(path)).is_ok())
            .map(str::to_owned)
            .collect())
    }

    /// The blob id and size of the file at `path` in `rev`, read from the object's header (the
    /// content is not inflated).
    pub fn file_header(&self, id: &DesignId, rev: &str, path: &str) -> Result<(Oid, u64)> {
        paths::validate(path)?;
        let repo = self.open_repo(id)?;
        let commit_id = resolve(&repo, id, rev)?;
        let tree = repo.find_commit(commit_id)?.tree()?;
        let entry = tree
            .get_path(Path::new(path))
            .map_err(|_| missing(format!("no file {path:?} at {rev}")))?;
        if entry.kind() != Some(ObjectType::Blob) {
            return Err(missing(format!("{path:?} is a folder, not a file")));
        }
        let size = blob_size(&repo, entry.id())
            .ok_or_else(|| missing(format!("the content of {path:?} is missing")))?;
        Ok((entry.id(), size))
    }

    /// The content of blob `blob` of design `id`, whole.
    pub fn blob(&self, id: &DesignId, blob: Oid) -> Result<Vec<u8>> {
        let repo = self.open_repo(id)?;
        let found = repo
            .find_blob(blob)
            .map_err(|_| missing(format!("no file content {blob} in {id}")))?;
        Ok(found.content().to_vec())
    }

    /// Streams the content of `blob` (of design `id`) to `sink`, in chunks of at most 64 KiB;
    /// returns its size. By the stock `git cat-file`, which streams loose and packed objects
    /// alike, where libgit2 would hold a packed object whole in memory (and map a loose one).
    pub fn stream_blob(
        &self,
        id: &DesignId,
        blob: Oid,
        mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64> {
        use std::io::Read as _;
        let path = self.repo_path(id);
        if !path.is_dir() {
            return Err(Error::NotFound(id.clone()));
        }
        let mut child = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&path)
            .args(["cat-file", "blob", &blob.to_string()])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let mut out = child.stdout.take().expect("stdout is piped");
        let mut chunk = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        let streamed = loop {
            match out.read(&mut chunk) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    size += n as u64;
                    if let Err(err) = sink(&chunk[..n]) {
                        break Err(err);
                    }
                }
                Err(err) => break Err(err),
            }
        };
        drop(out);
        let status = child.wait()?;
        streamed?;
        if !status.success() {
            return Err(missing(format!("object {blob} could not be read")));
        }
        Ok(size)
    }

    /// The design's branches, its default branch first, then by name.
    pub fn branches(&self, id: &DesignId) -> Result<Vec<Branch>> {
        let repo = self.open_repo(id)?;
        let default = super::default_branch_of(&repo);
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
            (a.name != default)
                .cmp(&(b.name != default))
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
}

/// A blob's size from its object header: nothing is inflated beyond the header, so listing a
/// folder with a 1 GB file costs what listing a small one does.
/// [`Error::TooLarge`] when blob `oid` (the file at `path`) is over [`super::MAX_WHOLE_READ`].
fn too_large_to_read(repo: &Repository, oid: Oid, path: &str) -> Result<()> {
    match blob_size(repo, oid) {
        Some(size) if size > super::MAX_WHOLE_READ => Err(Error::TooLarge(format!(
            "{path} is {} MiB, more than the {} MiB read whole; download it instead",
            size >> 20,
            super::MAX_WHOLE_READ >> 20
        ))),
        _ => Ok(()),
    }
}

pub(super) fn blob_size(repo: &Repository, oid: Oid) -> Option<u64> {
    let (size, kind) = repo.odb().ok()?.read_header(oid).ok()?;
    (kind == ObjectType::Blob).then_some(size as u64)
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

pub(super) fn paths_of(repo: &Repository, commit: &Commit<'_>) -> Result<Vec<String>> {
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
