//! Designs as bare git repositories grouped in fork networks.
//!
//! Layout under the store root:
//! - `repos/<owner>/<slug>.git`: one bare *member* repository per design. It holds only refs and
//!   config (lineage: `atelier.network`, `atelier.parent`, `atelier.forkedAt`); its objects are
//!   reached through `objects/info/alternates`.
//! - `networks/<id>.git`: the *pool* of a fork network. Every object of every member is written
//!   here; the pool is never pruned (`extensions.preciousObjects`) and keeps a ref per member ref
//!   (`refs/members/<owner>/<slug>/...`), so deleting a fork never breaks another. Forking is
//!   O(1) in repository size: a new member, an alternates file, a copy of the refs.
//!
//! Invariants: the store is the only code that touches git, and it knows nothing about HTTP,
//! search or labor. Every ref it moves is announced on [`Events`]. Nothing is shown through a
//! design unless reachable from that design's refs (objects are shared across the network).
//! Writes to one design are serialized. Its methods block: call them from `spawn_blocking`; a
//! `git2::Repository` is opened per operation and never shared across threads.

mod history;
mod import;
pub mod mailmap;
mod merge;
mod network;
pub mod paths;
mod push;
mod read;
mod write;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};

use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};

pub use history::{ChangedFile, CommitDetail, Comparison, DiffLine, Hunk};
pub use import::{Imported, Staged, Staging, URL_DEADLINE, UrlPolicy};
pub use merge::{MergeCheck, MergeError, MergeRequest, MergeState, Method, Resolution};
pub use paths::PathError;
pub use push::{PushLimits, RefUpdate, Verdict, lenient_fsck};
pub use read::{Branch, CommitInfo, Entry, EntryKind, FileListing, Release, TreeFile};
pub use write::{Change, CommitRequest, Mode};

use crate::events::{Events, Payload};
use crate::manifest::{self, Manifest, ManifestError};
use crate::names;

/// Present under the store root when a pool mirror could not be written after a ref move.
const MIRROR_REPAIR_FLAG: &str = "mirrors-need-repair";
/// The largest file read whole into memory (manifests, READMEs, BOMs, Markdown to render);
/// larger ones are only streamed.
pub const MAX_WHOLE_READ: u64 = 8 << 20;
/// The store's repository config format, recorded in [`CONFIG_FORMAT_FILE`].
const CONFIG_FORMAT: &str = "2";
const CONFIG_FORMAT_FILE: &str = "config-format";
/// The suffix of a member repository being made (renamed into place when complete).
const UNFINISHED_MEMBER: &str = ".unfinished";

/// The default branch of a design made here (a design's own is its `HEAD`: a pushed or
/// imported history keeps its own, see [`Store::default_branch`]).
pub const DEFAULT_BRANCH: &str = "main";
/// The manifest file at the root of every design.
pub const MANIFEST_PATH: &str = "okh.toml";

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidName(String),
    #[error(transparent)]
    InvalidPath(#[from] PathError),
    #[error("{0}")]
    Invalid(String),
    #[error("design {0} already exists")]
    AlreadyExists(DesignId),
    #[error("design {0} not found")]
    NotFound(DesignId),
    /// A revision, path, commit or release that the design does not have.
    #[error("{0}")]
    Missing(String),
    /// The branch moved since the caller read it.
    #[error("branch {branch} has moved: its head is now {current}")]
    Conflict { branch: String, current: Oid },
    #[error("{0}")]
    Exists(String),
    #[error("a commit must contain at least one file")]
    EmptyCommit,
    /// A file too large to read whole ([`MAX_WHOLE_READ`]); it can still be downloaded.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Git(#[from] git2::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A validated `owner/slug`. Both parts follow the username rule `[a-z0-9][a-z0-9-]{0,38}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DesignId {
    owner: String,
    slug: String,
}

impl DesignId {
    pub fn new(owner: &str, slug: &str) -> Result<Self> {
        validate_name("owner", owner)?;
        validate_name("slug", slug)?;
        Ok(Self {
            owner: owner.to_owned(),
            slug: slug.to_owned(),
        })
    }

    /// Parses `owner/slug`.
    pub fn parse(id: &str) -> Result<Self> {
        let (owner, slug) = id.split_once('/').ok_or_else(|| {
            Error::InvalidName(format!("invalid design id {id:?}: use owner/slug"))
        })?;
        Self::new(owner, slug)
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn slug(&self) -> &str {
        &self.slug
    }
}

impl fmt::Display for DesignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.slug)
    }
}

/// Checks a user or design name against [`names::check`]; the error names the bad part.
pub fn validate_name(what: &str, name: &str) -> Result<()> {
    names::check(name).map_err(|why| Error::InvalidName(format!("invalid {what} {name:?}: {why}")))
}

/// Who made a commit and when (seconds since the Unix epoch, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    pub time: i64,
}

/// A commit to write: the complete tree it records (path → content) and its message.
#[derive(Debug, Clone)]
pub struct NewCommit {
    pub author: Person,
    pub committer: Person,
    pub message: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// What listing a design reads from its default branch.
#[derive(Debug, Clone)]
pub struct DesignRecord {
    pub id: DesignId,
    /// The branch `head` is the tip of (the design's `HEAD`).
    pub default_branch: String,
    pub head: Oid,
    /// Commit time of the head, seconds since the Unix epoch.
    pub updated: i64,
    pub manifest: Result<Manifest, ManifestError>,
    pub lineage: Lineage,
}

/// Where a design comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage {
    /// The fork network (shared object pool) the design belongs to.
    pub network: String,
    /// The design it was forked from and that design's head at the time.
    pub parent: Option<(DesignId, Oid)>,
}

/// A commit author of a design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    /// Lower-cased.
    pub email: String,
    pub commits: u64,
}

/// The repositories of one Atelier instance.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    events: Events,
    /// The account on whose behalf refs are moved, recorded with each event.
    actor: Option<i64>,
    locks: Arc<Mutex<HashMap<DesignId, Arc<Mutex<()>>>>>,
}

/// Lets libgit2 open pools, which declare `extensions.preciousObjects` so that `git gc` never
/// prunes objects another fork may need.
fn allow_precious_objects() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: `set_extensions` changes libgit2's global option table without locking; it
        // runs exactly once, before this process opens any repository through the store.
        #[allow(unsafe_code)]
        let result = unsafe { git2::opts::set_extensions(&["preciousobjects"]) };
        if let Err(err) = result {
            tracing::error!(%err, "cannot enable libgit2's preciousObjects extension");
        }
    });
}

impl Store {
    /// Opens (creating when missing) the store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>, events: Events) -> Result<Self> {
        allow_precious_objects();
        let root = root.into();
        std::fs::create_dir_all(root.join("repos"))?;
        std::fs::create_dir_all(root.join("networks"))?;
        Ok(Self {
            root,
            events,
            actor: None,
            locks: Arc::default(),
        })
    }

    /// The same store, recording `actor` as the cause of the events its writes append.
    pub fn acting(&self, actor: Option<i64>) -> Self {
        Self {
            actor,
            ..self.clone()
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn repo_path(&self, id: &DesignId) -> PathBuf {
        self.root
            .join("repos")
            .join(&id.owner)
            .join(format!("{}.git", id.slug))
    }

    fn pool_path(&self, network: &str) -> PathBuf {
        self.root.join("networks").join(format!("{network}.git"))
    }

    /// The member repository of `id`, for the stock git (`NotFound` when there is no design).
    pub fn git_dir(&self, id: &DesignId) -> Result<PathBuf> {
        let path = self.repo_path(id);
        if path.is_dir() {
            Ok(path)
        } else {
            Err(Error::NotFound(id.clone()))
        }
    }

    pub fn exists(&self, id: &DesignId) -> bool {
        self.repo_path(id).is_dir()
    }

    fn open_repo(&self, id: &DesignId) -> Result<Repository> {
        let path = self.repo_path(id);
        if !path.is_dir() {
            return Err(Error::NotFound(id.clone()));
        }
        Ok(Repository::open_bare(path)?)
    }

    fn open_pool(&self, network: &str) -> Result<Repository> {
        Ok(Repository::open_bare(self.pool_path(network))?)
    }

    /// Serializes writes to one design. Held for the whole write, released on drop.
    fn lock(&self, id: &DesignId) -> Arc<Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(id.clone()).or_default().clone()
    }

    /// Every design in the store, in `owner/slug` order. Directories that are not valid design
    /// names or not repositories are skipped.
    pub fn ids(&self) -> Result<Vec<DesignId>> {
        let mut ids = Vec::new();
        for owner in std::fs::read_dir(self.root.join("repos"))? {
            let owner = owner?;
            let Some(owner_name) = owner.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !owner.file_type()?.is_dir() {
                continue;
            }
            for repo in std::fs::read_dir(owner.path())? {
                let repo = repo?;
                let file_name = repo.file_name();
                let Some(slug) = file_name.to_str().and_then(|n| n.strip_suffix(".git")) else {
                    continue;
                };
                if let Ok(id) = DesignId::new(&owner_name, slug) {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Reads the head commit, manifest and lineage of one design.
    pub fn record(&self, id: &DesignId) -> Result<DesignRecord> {
        let repo = self.open_repo(id)?;
        let default_branch = default_branch_of(&repo);
        let head = match repo.find_reference(&branch_ref(&default_branch)) {
            Ok(reference) => reference.peel_to_commit()?,
            Err(err) if err.code() == git2::ErrorCode::NotFound => {
                return Err(Error::Missing(format!(
                    "design {id} is empty: push its history to it with git"
                )));
            }
            Err(err) => return Err(err.into()),
        };
        let manifest = match read::file_at(&repo, &head, MANIFEST_PATH) {
            Err(Error::TooLarge(message)) => Err(ManifestError {
                line: None,
                message,
            }),
            Err(err) => return Err(err),
            Ok(Some(bytes)) => match std::str::from_utf8(&bytes) {
                Ok(text) => manifest::parse(text),
                Err(_) => Err(ManifestError {
                    line: None,
                    message: "okh.toml is not UTF-8 text".into(),
                }),
            },
            Ok(None) => v1_manifest(&repo, &head)?.unwrap_or_else(|| {
                Err(ManifestError {
                    line: None,
                    message: "the design has no okh.toml".into(),
                })
            }),
        };
        Ok(DesignRecord {
            id: id.clone(),
            default_branch,
            head: head.id(),
            updated: head.time().seconds(),
            manifest,
            lineage: lineage(&repo)?,
        })
    }

    pub fn lineage(&self, id: &DesignId) -> Result<Lineage> {
        lineage(&self.open_repo(id)?)
    }

    /// The design's default branch: the branch its `HEAD` names. [`DEFAULT_BRANCH`] for a
    /// design made here; a pushed or imported history's own (e.g. `master`) otherwise.
    pub fn default_branch(&self, id: &DesignId) -> Result<String> {
        Ok(default_branch_of(&self.open_repo(id)?))
    }

    /// When the design was created or forked here (seconds since the Unix epoch); `None` for
    /// designs made before this was recorded.
    pub fn created(&self, id: &DesignId) -> Result<Option<i64>> {
        Ok(self
            .open_repo(id)?
            .config()?
            .get_i64("atelier.created")
            .ok())
    }

    /// Designs forked directly from `id`, in name order.
    pub fn forks(&self, id: &DesignId) -> Result<Vec<DesignId>> {
        let network = self.lineage(id)?.network;
        Ok(self
            .network(&network)?
            .into_iter()
            .filter(|(_, lineage)| lineage.parent.as_ref().is_some_and(|(p, _)| p == id))
            .map(|(member, _)| member)
            .collect())
    }

    /// How many designs were forked directly from each design (designs without forks are
    /// absent), read in one pass over all members.
    pub fn fork_counts(&self) -> Result<HashMap<DesignId, u64>> {
        let mut counts = HashMap::new();
        for id in self.ids()? {
            let Ok(repo) = self.open_repo(&id) else {
                continue;
            };
            if let Ok(Lineage {
                parent: Some((parent, _)),
                ..
            }) = lineage(&repo)
            {
                *counts.entry(parent).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// The ancestors of `id`, nearest first, each with the head it had when forked. Stops at a
    /// deleted ancestor (its own lineage is gone with it) and never loops.
    pub fn ancestry(&self, id: &DesignId) -> Result<Vec<(DesignId, Oid)>> {
        let mut chain: Vec<(DesignId, Oid)> = Vec::new();
        let mut current = self.lineage(id)?.parent;
        while let Some((parent, at)) = current {
            if parent == *id || chain.iter().any(|(seen, _)| *seen == parent) {
                break;
            }
            current = match self.open_repo(&parent) {
                Ok(repo) => lineage(&repo)?.parent,
                Err(_) => None,
            };
            chain.push((parent, at));
        }
        Ok(chain)
    }

    /// Every design of a network with its lineage, in name order.
    pub fn network(&self, network: &str) -> Result<Vec<(DesignId, Lineage)>> {
        let mut members = Vec::new();
        for id in self.ids()? {
            let Ok(repo) = self.open_repo(&id) else {
                continue;
            };
            // A member being created has no lineage yet: not a member so far.
            let Ok(lineage) = lineage(&repo) else {
                continue;
            };
            if lineage.network == network {
                members.push((id, lineage));
            }
        }
        Ok(members)
    }

    /// Creates a new design (and its fork network) whose default branch holds `commits`,
    /// oldest first, and announces the new branch head. Returns the head commit id.
    pub fn create(&self, id: &DesignId, commits: &[NewCommit]) -> Result<Oid> {
        if commits.is_empty() || commits.iter().any(|c| c.files.is_empty()) {
            return Err(Error::EmptyCommit);
        }
        for path in commits.iter().flat_map(|c| c.files.keys()) {
            paths::validate(path)?;
        }
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.exists(id) {
            return Err(Error::AlreadyExists(id.clone()));
        }
        let network = new_network_id(id);
        let written = self.create_repositories(id, &network, commits);
        if written.is_err() {
            // A failed creation leaves nothing behind: no pool, no half-made member.
            let _ = std::fs::remove_dir_all(self.repo_path(id));
            let _ = std::fs::remove_dir_all(self.pool_path(&network));
        }
        let (pool, head) = written?;
        let refname = branch_ref(DEFAULT_BRANCH);
        self.record_event(id, Payload::DesignCreated { network });
        self.announce(id, &refname, None, Some(head));
        self.mirror_after_move(&pool, id, &refname, Some(head));
        Ok(head)
    }

    /// Creates a design with no commits (and its fork network), for a history pushed or
    /// imported into it: until its default branch exists it is [`Error::Missing`] to readers.
    pub fn create_empty(&self, id: &DesignId) -> Result<()> {
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.exists(id) {
            return Err(Error::AlreadyExists(id.clone()));
        }
        let network = new_network_id(id);
        let made = self.init_pool(&network).and_then(|_| {
            let repo = self.init_member(id, &network, None, DEFAULT_BRANCH)?;
            self.publish_member(id, repo)
        });
        if made.is_err() {
            let _ = std::fs::remove_dir_all(self.pool_path(&network));
        }
        made?;
        self.record_event(id, Payload::DesignCreated { network });
        Ok(())
    }

    /// Whether the design has no default branch yet (created empty, nothing pushed).
    pub fn is_empty(&self, id: &DesignId) -> Result<bool> {
        let repo = self.open_repo(id)?;
        Ok(repo
            .find_reference(&branch_ref(&default_branch_of(&repo)))
            .is_err())
    }

    /// The pool with `commits` and the member whose default branch points at the last one.
    fn create_repositories(
        &self,
        id: &DesignId,
        network: &str,
        commits: &[NewCommit],
    ) -> Result<(Repository, Oid)> {
        let pool = self.init_pool(network)?;
        let mut parent: Option<Oid> = None;
        for commit in commits {
            let tree = write::tree_from_files(&pool, &commit.files)?;
            let tree = pool.find_tree(tree)?;
            let parents: Vec<git2::Commit<'_>> = parent
                .map(|p| pool.find_commit(p))
                .transpose()?
                .into_iter()
                .collect();
            let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
            parent = Some(pool.commit(
                None,
                &signature(&commit.author)?,
                &signature(&commit.committer)?,
                &commit.message,
                &tree,
                &parents,
            )?);
        }
        // Checked by the caller: `commits` is not empty.
        let head = parent.expect("at least one commit was written");
        let repo = self.init_member(id, network, None, DEFAULT_BRANCH)?;
        if let Err(err) = repo.reference(
            &branch_ref(DEFAULT_BRANCH),
            head,
            false,
            "atelier: create design",
        ) {
            let _ = std::fs::remove_dir_all(repo.path());
            return Err(err.into());
        }
        self.publish_member(id, repo)?;
        Ok((pool, head))
    }

    /// Forks `source` as `target`: a new member of the same network with a copy of the source's
    /// branches and tags. Takes the same time whatever the repository's size.
    pub fn fork(&self, source: &DesignId, target: &DesignId) -> Result<Oid> {
        let lock = self.lock(target);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.exists(target) {
            return Err(Error::AlreadyExists(target.clone()));
        }
        let from = self.open_repo(source)?;
        let network = lineage(&from)?.network;
        let default_branch = default_branch_of(&from);
        let head = match from.find_reference(&branch_ref(&default_branch)) {
            Ok(reference) => reference.peel_to_commit()?.id(),
            Err(err) if err.code() == git2::ErrorCode::NotFound => {
                return Err(Error::Missing(format!(
                    "design {source} is empty: there is nothing to fork yet"
                )));
            }
            Err(err) => return Err(err.into()),
        };
        let mut refs = Vec::new();
        for reference in from.references()? {
            let reference = reference?;
            let (Some(name), Some(target_id)) = (reference.name(), reference.target()) else {
                continue;
            };
            if name.starts_with("refs/heads/") || name.starts_with("refs/tags/") {
                refs.push((name.to_owned(), target_id));
            }
        }
        let pool = self.open_pool(&network)?;
        let repo = self.init_member(target, &network, Some((source, head)), &default_branch)?;
        let written = refs.iter().try_for_each(|(name, oid)| {
            repo.reference(name, *oid, false, &format!("atelier: fork of {source}"))
                .map(drop)
        });
        if let Err(err) = written {
            let _ = std::fs::remove_dir_all(repo.path());
            return Err(err.into());
        }
        self.publish_member(target, repo)?;
        self.record_event(
            target,
            Payload::DesignForked {
                from: source.clone(),
            },
        );
        for (name, oid) in &refs {
            self.announce(target, name, None, Some(*oid));
        }
        for (name, oid) in &refs {
            self.mirror_after_move(&pool, target, name, Some(*oid));
        }
        Ok(head)
    }

    fn init_pool(&self, network: &str) -> Result<Repository> {
        let path = self.pool_path(network);
        let pool = Repository::init_opts(
            &path,
            RepositoryInitOptions::new().bare(true).no_reinit(true),
        )?;
        let mut config = pool.config()?;
        config.set_i32("core.repositoryformatversion", 1)?;
        config.set_bool("extensions.preciousObjects", true)?;
        config.set_i32("gc.auto", 0)?;
        drop(config);
        // Reopen so libgit2 reads the format version and extension it will check from now on.
        Ok(Repository::open_bare(path)?)
    }

    /// A new member repository for `id`, made in a scratch directory beside its place (so the
    /// relative alternates path holds); [`Store::publish_member`] renames it into place once its
    /// refs are written, so a crash never leaves a half-made design.
    fn init_member(
        &self,
        id: &DesignId,
        network: &str,
        parent: Option<(&DesignId, Oid)>,
        default_branch: &str,
    ) -> Result<Repository> {
        let place = self.repo_path(id);
        let owner_dir = place
            .parent()
            .expect("a member lives in its owner's folder");
        std::fs::create_dir_all(owner_dir)?;
        let path = owner_dir.join(format!(
            ".{}.{}{UNFINISHED_MEMBER}",
            id.slug,
            crate::accounts::random_hex(6)
        ));
        let made = self.make_member(&path, network, parent, default_branch);
        if made.is_err() {
            let _ = std::fs::remove_dir_all(&path);
        }
        made
    }

    fn make_member(
        &self,
        path: &Path,
        network: &str,
        parent: Option<(&DesignId, Oid)>,
        default_branch: &str,
    ) -> Result<Repository> {
        let repo = Repository::init_opts(
            path,
            RepositoryInitOptions::new()
                .bare(true)
                .no_reinit(true)
                .initial_head(default_branch),
        )?;
        // Relative to the member's `objects` (repos/<owner>/<slug>.git/objects), so the data
        // directory can move (first start imports into a scratch directory, then renames it).
        std::fs::write(
            path.join("objects/info/alternates"),
            format!("../../../../networks/{network}.git/objects\n"),
        )?;
        let mut config = repo.config()?;
        config.set_str("atelier.network", network)?;
        config.set_i64(
            "atelier.created",
            time::OffsetDateTime::now_utc().unix_timestamp(),
        )?;
        if let Some((parent, at)) = parent {
            config.set_str("atelier.parent", &parent.to_string())?;
            config.set_str("atelier.forkedAt", &at.to_string())?;
        }
        // Objects live in the pool; a gc here must never delete anything.
        config.set_i32("gc.auto", 0)?;
        drop(config);
        Ok(Repository::open_bare(path)?)
    }

    /// Renames a member made by [`Store::init_member`] into its place (removing it on failure).
    fn publish_member(&self, id: &DesignId, repo: Repository) -> Result<()> {
        let scratch = repo.path().to_owned();
        drop(repo);
        std::fs::rename(&scratch, self.repo_path(id)).map_err(|err| {
            let _ = std::fs::remove_dir_all(&scratch);
            Error::Io(err)
        })
    }

    /// Brings the config of every repository up to the store's current format (from
    /// [`CONFIG_FORMAT_FILE`]); idempotent, only for start-up. Format 2: `gc.auto = 0` where
    /// format 1 wrote `false`, which libgit2 reads but the stock git refuses (so `git gc --auto`
    /// failed in every repository). Returns how many repositories were changed.
    pub fn upgrade_configs(&self) -> Result<usize> {
        let marker = self.root.join(CONFIG_FORMAT_FILE);
        if std::fs::read_to_string(&marker).is_ok_and(|v| v.trim() == CONFIG_FORMAT) {
            return Ok(0);
        }
        let mut paths: Vec<PathBuf> = self.ids()?.iter().map(|id| self.repo_path(id)).collect();
        for pool in std::fs::read_dir(self.root.join("networks"))? {
            paths.push(pool?.path());
        }
        let mut changed = 0;
        for path in paths.iter().filter(|p| p.join("config").is_file()) {
            let mut config = git2::Config::open(&path.join("config"))?;
            if config.get_string("gc.auto").is_ok_and(|v| v == "false") {
                config.set_i32("gc.auto", 0)?;
                changed += 1;
            }
        }
        std::fs::write(&marker, format!("{CONFIG_FORMAT}\n"))?;
        Ok(changed)
    }

    /// Removes the scratch members of creations and forks, the scratch repositories of
    /// imports and the quarantines of pushes that a killed server did not finish. Only
    /// for start-up, before anything writes. Returns the paths removed.
    pub fn remove_unfinished_members(&self) -> Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        // Scratch repositories of imports a stop interrupted.
        if let Ok(imports) = std::fs::read_dir(self.root.join("imports")) {
            for entry in imports {
                let path = entry?.path();
                std::fs::remove_dir_all(&path)?;
                removed.push(path);
            }
        }
        // The quarantines of pushes whose git was killed (they hold objects no ref reaches).
        if let Ok(pools) = std::fs::read_dir(self.root.join("networks")) {
            for pool in pools {
                let Ok(objects) = std::fs::read_dir(pool?.path().join("objects")) else {
                    continue;
                };
                for entry in objects {
                    let path = entry?.path();
                    if path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("tmp_objdir-incoming-"))
                    {
                        std::fs::remove_dir_all(&path)?;
                        removed.push(path);
                    }
                }
            }
        }
        let repos = self.root.join("repos");
        if !repos.is_dir() {
            return Ok(removed);
        }
        for owner in std::fs::read_dir(repos)? {
            let owner = owner?;
            if !owner.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(owner.path())? {
                let path = entry?.path();
                if path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.') && n.ends_with(UNFINISHED_MEMBER))
                {
                    std::fs::remove_dir_all(&path)?;
                    removed.push(path);
                }
            }
        }
        Ok(removed)
    }

    /// Keeps the pool's copy of a member ref, so every object stays reachable from the pool.
    fn mirror_ref(
        &self,
        pool: &Repository,
        id: &DesignId,
        refname: &str,
        target: Option<Oid>,
    ) -> Result<()> {
        let rest = refname.strip_prefix("refs/").unwrap_or(refname);
        let name = format!("refs/members/{}/{}/{rest}", id.owner, id.slug);
        match target {
            Some(oid) => {
                pool.reference(&name, oid, true, "atelier: mirror member ref")?;
            }
            None => {
                if let Ok(mut reference) = pool.find_reference(&name) {
                    reference.delete()?;
                }
            }
        }
        Ok(())
    }

    /// Mirrors a ref that already moved (and was announced). A failure here is logged, not
    /// returned: the move succeeded and must never be answered as a failure; the mirror is
    /// repaired at the next start ([`Store::repair_mirrors`]).
    fn mirror_after_move(
        &self,
        pool: &Repository,
        id: &DesignId,
        refname: &str,
        target: Option<Oid>,
    ) {
        if let Err(err) = self.mirror_ref(pool, id, refname, target) {
            tracing::error!(design = %id, refname, error = %err, "pool mirror not written; repaired at the next start");
            if let Err(err) = std::fs::write(self.root.join(MIRROR_REPAIR_FLAG), id.to_string()) {
                tracing::error!(error = %err, "cannot flag the mirrors for repair");
            }
        }
    }

    /// Whether a mirror write failed since the last repair (then the next start repairs).
    pub fn mirrors_need_repair(&self) -> bool {
        self.root.join(MIRROR_REPAIR_FLAG).exists()
    }

    /// The mirrors were repaired: clears the flag.
    pub fn mirrors_repaired(&self) -> Result<()> {
        match std::fs::remove_file(self.root.join(MIRROR_REPAIR_FLAG)) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.into()),
            _ => Ok(()),
        }
    }

    /// Appends the event of a ref move that just succeeded (under the design's write lock, so
    /// one design's events are in the order of its moves).
    fn announce(&self, id: &DesignId, refname: &str, old: Option<Oid>, new: Option<Oid>) {
        self.record_event(
            id,
            Payload::RefChange {
                refname: refname.to_owned(),
                old,
                new,
            },
        );
    }

    fn record_event(&self, id: &DesignId, payload: Payload) {
        self.events.append(self.actor, id, payload);
    }

    /// The branches and tags of a design with their targets, by name.
    pub fn refs(&self, id: &DesignId) -> Result<BTreeMap<String, Oid>> {
        let repo = self.open_repo(id)?;
        let mut refs = BTreeMap::new();
        for reference in repo.references()? {
            let reference = reference?;
            if let (Some(name), Some(target)) = (reference.name(), reference.target())
                && (name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
            {
                refs.insert(name.to_owned(), target);
            }
        }
        Ok(refs)
    }

    /// Removes the `.lock` files a killed writer left behind (under `refs/`, and `packed-refs`,
    /// `HEAD` and `config` of every repository). Only for start-up, before anything writes:
    /// this server is the only writer of its store. Returns the paths removed.
    pub fn remove_stale_locks(&self) -> Result<Vec<PathBuf>> {
        fn walk(dir: &Path, removed: &mut Vec<PathBuf>) -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    walk(&path, removed)?;
                } else if path.extension().is_some_and(|e| e == "lock") {
                    std::fs::remove_file(&path)?;
                    removed.push(path);
                }
            }
            Ok(())
        }
        let mut repositories = Vec::new();
        for owner in std::fs::read_dir(self.root.join("repos"))? {
            let owner = owner?;
            if owner.file_type()?.is_dir() {
                for repo in std::fs::read_dir(owner.path())? {
                    repositories.push(repo?.path());
                }
            }
        }
        for pool in std::fs::read_dir(self.root.join("networks"))? {
            repositories.push(pool?.path());
        }
        let mut removed = Vec::new();
        for repo in repositories.iter().filter(|r| r.is_dir()) {
            for file in ["packed-refs.lock", "HEAD.lock", "config.lock"] {
                let path = repo.join(file);
                if path.is_file() {
                    std::fs::remove_file(&path)?;
                    removed.push(path);
                }
            }
            if repo.join("refs").is_dir() {
                walk(&repo.join("refs"), &mut removed)?;
            }
        }
        Ok(removed)
    }

    /// Makes the pool's mirror of each of the design's refs equal the member's ref (a crash can
    /// fall between the two writes). Returns how many mirrors were repaired.
    pub fn repair_mirrors(&self, id: &DesignId) -> Result<usize> {
        let network = self.lineage(id)?.network;
        let pool = self.open_pool(&network)?;
        let refs = self.refs(id)?;
        let prefix = format!("refs/members/{}/{}/", id.owner, id.slug);
        let mut repaired = 0;
        for (name, target) in &refs {
            let mirror = format!("{prefix}{}", name.strip_prefix("refs/").unwrap_or(name));
            if pool.refname_to_id(&mirror).ok() != Some(*target) {
                self.mirror_ref(&pool, id, name, Some(*target))?;
                repaired += 1;
            }
        }
        let mut stale = Vec::new();
        for reference in pool.references_glob(&format!("{prefix}*"))? {
            let reference = reference?;
            if let Some(name) = reference.name()
                && let Some(rest) = name.strip_prefix(&prefix)
                && (rest.starts_with("heads/") || rest.starts_with("tags/"))
                && !refs.contains_key(&format!("refs/{rest}"))
            {
                stale.push(format!("refs/{rest}"));
            }
        }
        for name in stale {
            self.mirror_ref(&pool, id, &name, None)?;
            repaired += 1;
        }
        Ok(repaired)
    }

    /// Appends the events of ref moves the log missed: `announced` holds the last announced
    /// head of every `(design, refname)`; each ref whose target differs (or is new, or gone)
    /// gets a ref-change event, a design the log never saw first gets its creation event, a
    /// design that is gone its deletion. Returns how many events were appended.
    pub fn announce_missed(&self, announced: &HashMap<(String, String), String>) -> Result<usize> {
        let mut by_design: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
        for ((design, name), head) in announced {
            by_design
                .entry(design)
                .or_default()
                .push((name.as_str(), head.as_str()));
        }
        let mut appended = 0;
        for id in self.ids()? {
            let design = id.to_string();
            let Ok(refs) = self.refs(&id) else {
                continue; // being created right now; its own events follow
            };
            let heads = by_design.remove(design.as_str()).unwrap_or_default();
            if heads.is_empty() {
                let Ok(lineage) = self.lineage(&id) else {
                    tracing::warn!(design = %id, "lineage unreadable; not announced");
                    continue;
                };
                let payload = match lineage.parent {
                    Some((from, _)) => Payload::DesignForked { from },
                    None => Payload::DesignCreated {
                        network: lineage.network,
                    },
                };
                self.record_event(&id, payload);
                appended += 1;
            }
            let old_head = |name: &str| {
                heads
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, h)| Oid::from_str(h).ok())
            };
            for (name, target) in &refs {
                let old = old_head(name);
                if old != Some(*target) {
                    self.announce(&id, name, old, Some(*target));
                    appended += 1;
                }
            }
            for (name, head) in &heads {
                if !refs.contains_key(*name) {
                    self.announce(&id, name, Oid::from_str(head).ok(), None);
                    appended += 1;
                }
            }
        }
        let mut gone: Vec<&str> = by_design.into_keys().collect();
        gone.sort_unstable();
        for design in gone {
            if let Ok(id) = DesignId::parse(design)
                && !self.exists(&id)
            {
                self.record_event(&id, Payload::DesignDeleted);
                appended += 1;
            }
        }
        Ok(appended)
    }

    /// Everyone who authored commits on the default branch, by email (lower-cased, after the
    /// design's `.mailmap`, as `git shortlog -se` counts them), with the name of their latest
    /// commit and their commit count; most commits first.
    pub fn authors(&self, id: &DesignId) -> Result<Vec<Author>> {
        let people = mailmap::People::parse(self.mailmap(id)?.as_deref());
        let repo = self.open_repo(id)?;
        let mut walk = repo.revwalk()?;
        walk.push_ref(&branch_ref(&default_branch_of(&repo)))?;
        walk.set_sorting(git2::Sort::TIME)?;
        let mut by_email: BTreeMap<String, Author> = BTreeMap::new();
        for oid in walk {
            let commit = repo.find_commit(oid?)?;
            let author = commit.author();
            let author = people.resolve(&Person {
                name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
                email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
                time: author.when().seconds(),
            });
            let email = author.email.to_lowercase();
            let entry = by_email.entry(email.clone()).or_insert_with(|| Author {
                // Newest first: the first name seen is the latest one used.
                name: author.name,
                email,
                commits: 0,
            });
            entry.commits += 1;
        }
        let mut authors: Vec<Author> = by_email.into_values().collect();
        authors.sort_by(|a, b| {
            b.commits
                .cmp(&a.commits)
                .then_with(|| a.email.cmp(&b.email))
        });
        Ok(authors)
    }
}

/// The design's OKH v1 manifest (`okh.yml`) at `head`, read through its conversion to
/// OKH-LOSH, when it has one and no `okh.toml`.
fn v1_manifest(
    repo: &Repository,
    head: &git2::Commit<'_>,
) -> Result<Option<std::result::Result<Manifest, ManifestError>>> {
    for path in manifest::okhv1::PATHS {
        let bytes = match read::file_at(repo, head, path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(Error::TooLarge(message)) => {
                return Ok(Some(Err(ManifestError {
                    line: None,
                    message,
                })));
            }
            Err(err) => return Err(err),
        };
        let converted = std::str::from_utf8(&bytes)
            .map_err(|_| "it is not UTF-8 text".to_owned())
            .and_then(manifest::okhv1::convert);
        return Ok(Some(match converted {
            Ok(converted) => manifest::parse(&converted.toml).map(|mut manifest| {
                manifest.from_v1 = Some(((*path).to_owned(), converted));
                manifest
            }),
            Err(why) => Err(ManifestError {
                line: None,
                message: format!(
                    "the design has no okh.toml, and {path} is not a readable OKH v1 manifest: {why}"
                ),
            }),
        }));
    }
    Ok(None)
}

pub fn branch_ref(branch: &str) -> String {
    format!("refs/heads/{branch}")
}

/// The branch `repo`'s `HEAD` names, born or not ([`DEFAULT_BRANCH`] if `HEAD` names none).
fn default_branch_of(repo: &Repository) -> String {
    repo.find_reference("HEAD")
        .ok()
        .and_then(|head| {
            head.symbolic_target()
                .and_then(|t| t.strip_prefix("refs/heads/"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| DEFAULT_BRANCH.to_owned())
}

fn lineage(repo: &Repository) -> Result<Lineage> {
    let config = repo.config()?;
    let network = config.get_string("atelier.network")?;
    let parent = match (
        config.get_string("atelier.parent"),
        config.get_string("atelier.forkedAt"),
    ) {
        (Ok(parent), Ok(at)) => Some((DesignId::parse(&parent)?, Oid::from_str(&at)?)),
        _ => None,
    };
    Ok(Lineage { network, parent })
}

/// A network is named after its root design plus random bits, so renames never collide.
fn new_network_id(root: &DesignId) -> String {
    let mut bytes = [0u8; 6];
    argon2::password_hash::rand_core::RngCore::fill_bytes(
        &mut argon2::password_hash::rand_core::OsRng,
        &mut bytes,
    );
    let suffix: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{suffix}", root.owner, root.slug)
}

fn signature(person: &Person) -> Result<Signature<'static>> {
    Ok(Signature::new(
        &person.name,
        &person.email,
        &Time::new(person.time, 0),
    )?)
}

#[cfg(test)]
mod tests;
