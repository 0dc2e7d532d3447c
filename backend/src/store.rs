//! Designs as bare git repositories under `<data>/repos/<owner>/<slug>.git`.
//!
//! Invariant: the store is the only code that touches git, and it knows nothing about HTTP,
//! search or labor. Every ref it moves is announced on [`Events`]. Its methods block (git2):
//! call them from `spawn_blocking`. A `git2::Repository` is opened per operation, never shared.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};

use crate::events::{Events, RefChange};
use crate::manifest::{self, Manifest, ManifestError};
use crate::names;

/// The branch every new design starts with.
pub const DEFAULT_BRANCH: &str = "main";
/// The manifest file at the root of every design.
pub const MANIFEST_PATH: &str = "okh.toml";

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidName(String),
    #[error("design {0} already exists")]
    AlreadyExists(DesignId),
    #[error("design {0} not found")]
    NotFound(DesignId),
    #[error("a commit must contain at least one file")]
    EmptyCommit,
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

/// A commit author of a design.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    /// Lower-cased.
    pub email: String,
    pub commits: u64,
}

/// What listing a design reads from its default branch.
#[derive(Debug, Clone)]
pub struct DesignRecord {
    pub id: DesignId,
    pub head: Oid,
    /// Commit time of the head, seconds since the Unix epoch.
    pub updated: i64,
    pub manifest: Result<Manifest, ManifestError>,
}

/// The repositories of one Atelier instance.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    events: Events,
}

impl Store {
    /// Opens (creating when missing) the store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>, events: Events) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root, events })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn repo_path(&self, id: &DesignId) -> PathBuf {
        self.root.join(&id.owner).join(format!("{}.git", id.slug))
    }

    fn open_repo(&self, id: &DesignId) -> Result<Repository> {
        let path = self.repo_path(id);
        if !path.is_dir() {
            return Err(Error::NotFound(id.clone()));
        }
        Ok(Repository::open_bare(path)?)
    }

    /// Every design in the store, in `owner/slug` order. Directories that are not valid design
    /// names or not repositories are skipped.
    pub fn ids(&self) -> Result<Vec<DesignId>> {
        let mut ids = Vec::new();
        for owner in std::fs::read_dir(&self.root)? {
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

    /// Reads the head commit and manifest of one design.
    pub fn record(&self, id: &DesignId) -> Result<DesignRecord> {
        let repo = self.open_repo(id)?;
        let head = repo
            .find_reference(&format!("refs/heads/{DEFAULT_BRANCH}"))?
            .peel_to_commit()?;
        let manifest = match head.tree()?.get_path(Path::new(MANIFEST_PATH)) {
            Ok(entry) => {
                let blob = entry.to_object(&repo)?.peel_to_blob()?;
                match std::str::from_utf8(blob.content()) {
                    Ok(text) => manifest::parse(text),
                    Err(_) => Err(ManifestError {
                        line: None,
                        message: "okh.toml is not UTF-8 text".into(),
                    }),
                }
            }
            Err(err) if err.code() == git2::ErrorCode::NotFound => Err(ManifestError {
                line: None,
                message: "the design has no okh.toml".into(),
            }),
            Err(err) => return Err(err.into()),
        };
        Ok(DesignRecord {
            id: id.clone(),
            head: head.id(),
            updated: head.time().seconds(),
            manifest,
        })
    }

    /// Everyone who authored commits on the default branch, by email (lower-cased), with the
    /// name of their latest commit and their commit count; most commits first.
    pub fn authors(&self, id: &DesignId) -> Result<Vec<Author>> {
        let repo = self.open_repo(id)?;
        let mut walk = repo.revwalk()?;
        walk.push_ref(&format!("refs/heads/{DEFAULT_BRANCH}"))?;
        walk.set_sorting(git2::Sort::TIME)?;
        let mut by_email: BTreeMap<String, Author> = BTreeMap::new();
        for oid in walk {
            let commit = repo.find_commit(oid?)?;
            let author = commit.author();
            let email = String::from_utf8_lossy(author.email_bytes()).to_lowercase();
            let entry = by_email.entry(email.clone()).or_insert_with(|| Author {
                // Newest first: the first name seen is the latest one used.
                name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
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

    /// Creates a new design whose default branch holds `commits`, oldest first, and announces the
    /// new branch head. Fails if the design exists. Returns the head commit id.
    pub fn create(&self, id: &DesignId, commits: &[NewCommit]) -> Result<Oid> {
        let path = self.repo_path(id);
        if path.exists() {
            return Err(Error::AlreadyExists(id.clone()));
        }
        if commits.is_empty() {
            return Err(Error::EmptyCommit);
        }
        let repo = Repository::init_opts(
            &path,
            RepositoryInitOptions::new()
                .bare(true)
                .no_reinit(true)
                .initial_head(DEFAULT_BRANCH),
        )?;
        let refname = format!("refs/heads/{DEFAULT_BRANCH}");
        let mut parent: Option<git2::Commit<'_>> = None;
        for commit in commits {
            if commit.files.is_empty() {
                return Err(Error::EmptyCommit);
            }
            let tree = repo.find_tree(write_tree(&repo, &commit.files)?)?;
            let author = signature(&commit.author)?;
            let committer = signature(&commit.committer)?;
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            let oid = repo.commit(None, &author, &committer, &commit.message, &tree, &parents)?;
            parent = Some(repo.find_commit(oid)?);
        }
        // Just checked: `commits` is not empty.
        let head = parent.expect("at least one commit was written").id();
        repo.reference(&refname, head, false, "atelier: create design")?;
        self.events.emit(RefChange {
            design: id.to_string(),
            refname,
            old: None,
            new: Some(head),
        });
        Ok(head)
    }
}

fn signature(person: &Person) -> Result<Signature<'static>> {
    Ok(Signature::new(
        &person.name,
        &person.email,
        &Time::new(person.time, 0),
    )?)
}

/// Writes `files` (slash-separated paths) as blobs and nested trees; returns the root tree id.
fn write_tree(repo: &Repository, files: &BTreeMap<String, Vec<u8>>) -> Result<Oid> {
    #[derive(Default)]
    struct Dir<'a> {
        files: BTreeMap<&'a str, &'a [u8]>,
        dirs: BTreeMap<&'a str, Dir<'a>>,
    }
    fn write(repo: &Repository, dir: &Dir<'_>) -> Result<Oid> {
        let mut builder = repo.treebuilder(None)?;
        for (name, content) in &dir.files {
            builder.insert(name, repo.blob(content)?, 0o100644)?;
        }
        for (name, sub) in &dir.dirs {
            builder.insert(name, write(repo, sub)?, 0o040000)?;
        }
        Ok(builder.write()?)
    }
    let mut root = Dir::default();
    for (path, content) in files {
        let mut segments: Vec<&str> = path.split('/').collect();
        let file = segments.pop().unwrap_or_default();
        let mut dir = &mut root;
        for segment in segments {
            dir = dir.dirs.entry(segment).or_default();
        }
        dir.files.insert(file, content);
    }
    write(repo, &root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada(time: i64) -> Person {
        Person {
            name: "Ada".into(),
            email: "ada@example.org".into(),
            time,
        }
    }

    fn commit(time: i64, files: &[(&str, &str)]) -> NewCommit {
        NewCommit {
            author: ada(time),
            committer: ada(time),
            message: format!("Commit at {time}\n"),
            files: files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                .collect(),
        }
    }

    #[test]
    fn invalid_names_are_named_in_the_error() {
        let err = DesignId::new("ada", "Lamp").unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid slug \"Lamp\": 'L' is not allowed (use a-z, 0-9 and '-')"
        );
        let err = DesignId::new("", "lamp").unwrap_err().to_string();
        assert_eq!(err, "invalid owner \"\": must be 1 to 39 characters long");
    }

    #[test]
    fn create_writes_deterministic_history_and_announces_it() {
        let dir = tempfile::tempdir().unwrap();
        let events = Events::new();
        let mut rx = events.subscribe();
        let store = Store::open(dir.path(), events).unwrap();
        let id = DesignId::new("ada", "lamp").unwrap();
        let history = [
            commit(1_700_000_000, &[("okh.toml", "name = \"Lamp\"\n")]),
            commit(
                1_700_000_100,
                &[
                    ("okh.toml", "name = \"Lamp\"\n"),
                    ("parts/shade/shade.scad", "sphere(10);\n"),
                ],
            ),
        ];
        let head = store.create(&id, &history).unwrap();
        // Fixed signatures and times give a fixed id.
        assert_eq!(head.to_string(), "4983a1844950ed1330fd4b8595a3c047b70f2ab9");

        let record = store.record(&id).unwrap();
        assert_eq!(record.head, head);
        assert_eq!(record.updated, 1_700_000_100);
        assert_eq!(record.manifest.unwrap().name.as_deref(), Some("Lamp"));

        let change = rx.try_recv().unwrap();
        assert_eq!(change.design, "ada/lamp");
        assert_eq!(change.new, Some(head));
        assert_eq!(change.old, None);

        assert!(matches!(
            store.create(&id, &history),
            Err(Error::AlreadyExists(_))
        ));
        assert_eq!(store.ids().unwrap(), [id]);
    }

    #[test]
    fn missing_manifest_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Events::new()).unwrap();
        let id = DesignId::new("ada", "bare").unwrap();
        store
            .create(&id, &[commit(1_700_000_000, &[("README.md", "# Hi\n")])])
            .unwrap();
        let err = store.record(&id).unwrap().manifest.unwrap_err();
        assert_eq!(err.message, "the design has no okh.toml");
    }

    #[test]
    fn unknown_design_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Events::new()).unwrap();
        let id = DesignId::new("ada", "nothing").unwrap();
        assert!(matches!(store.record(&id), Err(Error::NotFound(_))));
    }
}
