//! Bundles: a design at one commit as one deterministic archive (zip or tar.gz) with its
//! manifest `atelier-bundle.json`, built once, kept on disk and streamed while it is built.
//!
//! Invariants:
//! - **Deterministic.** A bundle is a function of its [`BundleKey`] (design, commit, format,
//!   folder, tag) and of the labor ledger at that commit when it is first built: entries sorted by
//!   path, commit time as every timestamp, fixed modes and compression level; the manifest is the
//!   last entry, so that the files' hashes are computed in the same single pass that writes them.
//!   Declared STL exports the tree lacks are rendered from their part's OpenSCAD source and
//!   written after the design's files (marked `generated_from`, with the OpenSCAD version).
//! - **Built once.** `<data>/bundles/v2/<owner>/<slug>/<commit>/<variant>.<ext>` holds a finished
//!   bundle beside `<...>.sha256` (the `sha256sum` line). Files appear by rename only, so a file
//!   that exists is complete. Concurrent requests for a bundle being built wait for that build.
//! - **Flat memory, full speed.** File contents stream from the object store through the
//!   compressor to the cache's scratch file; the first requester reads that file as it grows
//!   ([`crate::tail`]), in 64 KiB chunks at its own pace, so no reader can slow a build or hold a slot.
//! - **Labor is settled first.** A build waits until the ledger has an entry for every commit
//!   the bundle contains, so that no bundle records a contributor list that is still catching up.

mod archive;
mod cache;
mod content;
pub mod fetch;
mod stream;
pub mod verify;

use cache::{read_cached, remove_partial_builds, sidecar};
use content::{read_design, write_bundle};
use stream::Sink;

use crate::tail::{State, Tail, Written};

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use git2::Oid;
use sha2::{Digest as _, Sha256};
use tokio::sync::{Semaphore, oneshot, watch};

pub use archive::{ArchiveWriter, Format};

use crate::db::Pool;
use crate::events::Events;
use crate::labor::{self, Labor};
use crate::store::{self, DesignId, Store};

/// Named in every manifest's `generator`.
pub const GENERATOR: &str = "atelier";

/// The cache's layout version: bump it whenever the bytes of a bundle change for the same key
/// (the generator's version is part of the cache path too: it is written into every manifest).
const LAYOUT: &str = "v2";

/// Bundles built at once; more requests for new bundles queue.
pub const MAX_BUILDS: usize = 2;

/// How much of an archive is made readable, and handed to the first requester, at a time.
const CHUNK: usize = 64 * 1024;

/// How long a build waits for the labor ledger to catch up with its commit.
const LEDGER_WAIT: Duration = Duration::from_secs(10);

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Labor(#[from] labor::Error),
    /// The design's content cannot be bundled as it is (the message says why).
    #[error("{0}")]
    Conflict(String),
    /// The labor ledger has not caught up with the commit yet; retry shortly.
    #[error("{0}")]
    NotReady(String),
    /// A build failed (the builder logged why).
    #[error("building the bundle failed")]
    Failed,
    /// The error of a build another request started (or of this request's own build).
    #[error("{0}")]
    Shared(Arc<Error>),
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What identifies a bundle. Its bytes are a function of it (and of the ledger when first built).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BundleKey {
    pub design: DesignId,
    pub commit: Oid,
    pub format: Format,
    /// A folder of the design (no leading or trailing slash); empty for the whole design.
    pub path: String,
    /// The release the bundle was asked for by, recorded in its manifest.
    pub tag: Option<String>,
}

impl BundleKey {
    /// `bundle` for the whole design without a tag, else a digest of folder and tag.
    fn variant(&self) -> String {
        if self.path.is_empty() && self.tag.is_none() {
            return "bundle".to_owned();
        }
        let mut hasher = Sha256::new();
        hasher.update(self.path.as_bytes());
        hasher.update([0]);
        hasher.update(self.tag.as_deref().unwrap_or_default().as_bytes());
        hex(&hasher.finalize())[..16].to_owned()
    }
}

/// A finished bundle in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    pub file: PathBuf,
    pub size: u64,
    /// Lower-case hex of the archive's sha256.
    pub sha256: String,
    /// The archive's file name for downloads, e.g. `anvil-1.0.zip`.
    pub name: String,
}

/// How a requested bundle is delivered.
#[derive(Debug)]
pub enum Delivery {
    /// Finished: serve the file.
    Cached(Cached),
    /// Being built by this request: the bytes as the build writes them (ending in an error if
    /// it fails), and the archive's file name.
    Streaming { tail: Tail, name: String },
}

type Outcome = Option<std::result::Result<Cached, Arc<Error>>>;

/// Builds, caches and counts bundles. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Bundles {
    store: Store,
    labor: Labor,
    pool: Pool,
    dir: PathBuf,
    building: Arc<Mutex<HashMap<PathBuf, watch::Receiver<Outcome>>>>,
    /// Builds running at once (each keeps one core busy).
    permits: Arc<Semaphore>,
    builds: Arc<AtomicU64>,
}

/// Everything a build needs that is read before the first byte goes out.
struct Plan {
    key: BundleKey,
    root: String,
    mtime: i64,
    manifest: api::BundleManifest,
    /// Declared STL exports the tree lacks, each with the OpenSCAD source it is rendered from.
    generate: Vec<(String, String)>,
}

impl Bundles {
    /// Bundles cached under `dir` (created when missing; leftovers of interrupted builds are
    /// removed).
    pub fn open(dir: PathBuf, store: Store, labor: Labor, pool: Pool) -> Result<Self> {
        std::fs::create_dir_all(&dir)?;
        remove_partial_builds(&dir);
        Ok(Self {
            store,
            labor,
            pool,
            dir,
            building: Arc::default(),
            permits: Arc::new(Semaphore::new(MAX_BUILDS)),
            builds: Arc::default(),
        })
    }

    fn file_for(&self, key: &BundleKey) -> PathBuf {
        self.dir
            .join(format!("{LAYOUT}-{}", env!("CARGO_PKG_VERSION")))
            .join(key.design.owner())
            .join(key.design.slug())
            .join(key.commit.to_string())
            .join(format!("{}.{}", key.variant(), key.format.extension()))
    }

    /// How many builds this process has started (each bundle is built once).
    pub fn builds_started(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }

    /// The finished bundle for `key`, if it is in the cache.
    pub fn cached(&self, key: &BundleKey) -> Option<Cached> {
        read_cached(&self.file_for(key))
    }

    /// The bundle for `key`: from the cache; or, when another request is building it, once that
    /// build is done; or streamed while this request builds it.
    pub async fn get(&self, key: &BundleKey) -> Result<Delivery> {
        let file = self.file_for(key);
        let (sender, waiting) = {
            let mut building = self.building.lock().expect("bundle registry poisoned");
            if let Some(cached) = read_cached(&file) {
                return Ok(Delivery::Cached(cached));
            }
            match building.get(&file) {
                Some(receiver) => (None, Some(receiver.clone())),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    building.insert(file.clone(), receiver);
                    (Some(sender), None)
                }
            }
        };
        if let Some(mut receiver) = waiting {
            return match receiver.wait_for(Option::is_some).await {
                Ok(outcome) => match outcome.clone() {
                    Some(Ok(cached)) => Ok(Delivery::Cached(cached)),
                    Some(Err(err)) => Err(Error::Shared(err)),
                    None => Err(Error::Failed),
                },
                Err(_) => Err(Error::Failed),
            };
        }
        let sender = sender.expect("a request either waits or builds");
        // Planned and built in a task of its own: a requester that goes away mid-way cannot
        // leave the registry entry behind, and waiters always hear the outcome.
        let (ready, started) = oneshot::channel();
        let (this, key) = (self.clone(), key.clone());
        tokio::spawn(async move {
            let outcome = this.plan_and_build(&key, &file, ready).await;
            let mut building = this.building.lock().expect("bundle registry poisoned");
            building.remove(&file);
            let _ = sender.send(Some(outcome));
        });
        match started.await {
            Ok(result) => result,
            Err(_) => Err(Error::Failed),
        }
    }

    async fn plan_and_build(
        &self,
        key: &BundleKey,
        file: &Path,
        ready: oneshot::Sender<Result<Delivery>>,
    ) -> std::result::Result<Cached, Arc<Error>> {
        let plan = match self.plan(key).await {
            Ok(plan) => plan,
            Err(err) => {
                let err = Arc::new(err);
                let _ = ready.send(Err(Error::Shared(err.clone())));
                return Err(err);
            }
        };
        let _permit = self.permits.acquire().await.map_err(|_| Error::Failed)?;
        self.builds.fetch_add(1, Ordering::Relaxed);
        let progress = Arc::new(watch::channel(Written::default()).0);
        let (opened, reader) = oneshot::channel();
        let name = format!("{}.{}", plan.root, key.format.extension());
        let (this, file, publisher) = (self.clone(), file.to_owned(), progress.clone());
        let built = tokio::task::spawn_blocking(move || {
            let result = this.build(&plan, &file, Some((opened, publisher)));
            if let Err(err) = &result {
                tracing::error!(design = %plan.key.design, commit = %plan.key.commit, error = %err, "bundle build failed");
            }
            result
        });
        // The requester reads the scratch file once the build has opened it.
        let mut ready = Some(ready);
        if let Ok(file) = reader.await
            && let Some(ready) = ready.take()
        {
            let _ = ready.send(Ok(Delivery::Streaming {
                tail: Tail::new(Arc::new(file), progress.subscribe()),
                name,
            }));
        }
        let outcome = match built.await {
            Ok(result) => result.map_err(Arc::new),
            Err(panic) => {
                tracing::error!(error = %panic, "bundle build panicked");
                Err(Arc::new(Error::Failed))
            }
        };
        progress.send_modify(|written| {
            written.state = if outcome.is_ok() {
                State::Done
            } else {
                State::Failed
            };
        });
        if let (Some(ready), Err(err)) = (ready, &outcome) {
            let _ = ready.send(Err(Error::Shared(err.clone())));
        }
        outcome
    }

    /// The finished bundle for `key`, building it (and waiting for the build) when needed.
    pub async fn ensure(&self, key: &BundleKey) -> Result<Cached> {
        match self.get(key).await? {
            Delivery::Cached(cached) => Ok(cached),
            Delivery::Streaming { .. } => {
                // This request started the build; its outcome reaches the registry at the end.
                let mut receiver = self
                    .building
                    .lock()
                    .expect("bundle registry poisoned")
                    .get(&self.file_for(key))
                    .cloned();
                if let Some(receiver) = &mut receiver {
                    let _ = receiver.wait_for(Option::is_some).await;
                }
                self.cached(key).ok_or(Error::Failed)
            }
        }
    }

    /// Reads what the manifest says about the design at the commit (all but the files).
    async fn plan(&self, key: &BundleKey) -> Result<Plan> {
        let store = self.store.clone();
        let read_key = key.clone();
        let read = crate::work::run(crate::work::Kind::Read, move || {
            read_design(&store, &read_key)
        })
        .await
        .map_err(io::Error::other)??;
        let rev = key.commit.to_string();
        let mut waited = Duration::ZERO;
        let entries = loop {
            let (entries, complete) = self.labor.design_entries(&key.design, &rev).await?;
            if complete {
                break entries;
            }
            if waited >= LEDGER_WAIT {
                return Err(Error::NotReady(format!(
                    "the labor ledger has not caught up with {} yet; try again in a minute",
                    key.commit
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            waited += Duration::from_millis(200);
        };
        let (units, contributors) = labor::shares(&entries);
        let mut policy_versions: Vec<String> =
            entries.iter().map(|e| e.policy_version.clone()).collect();
        policy_versions.sort();
        policy_versions.dedup();

        let okh = read.okh_text.as_deref().and_then(|text| {
            let value: toml::Table = toml::from_str(text).ok()?;
            serde_json::to_value(value).ok()
        });
        let manifest = read.manifest;
        let manifest_version = manifest.as_ref().and_then(|m| m.version.clone());
        let version = manifest_version
            .clone()
            .or_else(|| key.tag.clone())
            .unwrap_or_else(|| key.commit.to_string()[..12].to_owned());
        let name = manifest
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or_else(|| key.design.slug().to_owned());
        let licenses = manifest
            .as_ref()
            .and_then(|m| m.license.clone())
            .into_iter()
            .collect();
        let root = root_name(key, manifest_version.as_deref());
        let parent_ref = |(id, at): &(DesignId, Oid)| api::ParentRef {
            id: id.to_string(),
            commit: at.to_string(),
        };
        let manifest = api::BundleManifest {
            schema: api::BUNDLE_SCHEMA.to_owned(),
            design: key.design.to_string(),
            name,
            version,
            manifest_version,
            commit: key.commit.to_string(),
            committed_at: crate::format::rfc3339(read.committed_at),
            tag: key.tag.clone(),
            path: (!key.path.is_empty()).then(|| key.path.clone()),
            root: root.clone(),
            licenses,
            okh,
            bom: read
                .bom
                .map(|(path, bytes)| crate::bom::wire(&path, &bytes)),
            files: Vec::new(),
            skipped: Vec::new(),
            not_portable: Vec::new(),
            openscad: None,
            not_generated: Vec::new(),
            labor: api::BundleLabor {
                policy_versions,
                units,
                contributors,
            },
            lineage: api::BundleLineage {
                forked_from: read.parent.as_ref().map(parent_ref),
                ancestry: read.ancestry.iter().map(parent_ref).collect(),
            },
            generator: api::Generator {
                name: GENERATOR.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
        };
        Ok(Plan {
            key: key.clone(),
            root,
            mtime: read.committed_at,
            manifest,
            generate: read.generate,
        })
    }

    /// Writes the archive to a scratch file beside `file` (handing a reader of it to `tail`,
    /// whose progress is published as it grows), then renames it into place with its `.sha256`.
    fn build(
        &self,
        plan: &Plan,
        file: &Path,
        tail: Option<(oneshot::Sender<std::fs::File>, Arc<watch::Sender<Written>>)>,
    ) -> Result<Cached> {
        let dir = file.parent().expect("bundle files live in a folder");
        std::fs::create_dir_all(dir)?;
        let scratch = tempfile::Builder::new()
            .prefix(".build-")
            .suffix(".partial")
            .tempfile_in(dir)?;
        let progress = match tail {
            Some((opened, progress)) => {
                let _ = opened.send(scratch.as_file().try_clone()?);
                Some(progress)
            }
            None => None,
        };
        let sink = Sink {
            file: BufWriter::with_capacity(CHUNK, scratch.as_file()),
            hasher: Sha256::new(),
            progress,
            size: 0,
            published: 0,
        };
        let sink = write_bundle(&self.store, plan, sink)?;
        let (size, sha256) = sink.finish()?;
        let name = format!("{}.{}", plan.root, plan.key.format.extension());
        let sums = sidecar(file);
        let mut scratch_sums = tempfile::Builder::new()
            .prefix(".build-")
            .suffix(".partial")
            .tempfile_in(dir)?;
        // `sha256sum -c` format: the line names the download's file name.
        writeln!(scratch_sums, "{sha256}  {name}")?;
        scratch_sums.as_file().sync_all()?;
        scratch_sums
            .persist(&sums)
            .map_err(|err| Error::Io(err.error))?;
        scratch.as_file().sync_all()?;
        scratch.persist(file).map_err(|err| Error::Io(err.error))?;
        Ok(Cached {
            file: file.to_owned(),
            size,
            sha256,
            name,
        })
    }

    /// Counts one download of `key`'s bundle.
    pub async fn count_download(&self, key: &BundleKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO bundle_downloads (design, commit_id, format, downloads) \
             VALUES ($1, $2, $3, 1) \
             ON CONFLICT (design, commit_id, format) \
             DO UPDATE SET downloads = bundle_downloads.downloads + 1",
        )
        .bind(key.design.to_string())
        .bind(key.commit.to_string())
        .bind(key.format.extension())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Bundle downloads per design (every commit and format), for the designs asked about.
    pub async fn downloads(&self, designs: &[String]) -> Result<HashMap<String, u64>> {
        let mut counts = HashMap::new();
        for design in designs {
            let count: Option<i64> = sqlx::query_scalar(
                "SELECT CAST(SUM(downloads) AS BIGINT) FROM bundle_downloads WHERE design = $1",
            )
            .bind(design)
            .fetch_one(&self.pool)
            .await?;
            counts.insert(design.clone(), count.unwrap_or(0).max(0) as u64);
        }
        Ok(counts)
    }

    /// Builds both formats of every release as it is made, so that release pages can show
    /// their sha256: consumer `bundles` of the event log, like every other consumer.
    /// A release's manifest records labor shares, so its build waits until consumer `labor`
    /// has applied the tag's event.
    pub fn follow(
        &self,
        events: &Events,
        labor: crate::events::Consumer,
    ) -> crate::events::Consumer {
        let bundles = self.clone();
        events.follow("bundles", move |batch| {
            let (bundles, labor) = (bundles.clone(), labor.clone());
            async move {
                for (seq, change) in batch
                    .iter()
                    .filter_map(|e| e.ref_change().map(|c| (e.seq, c)))
                {
                    if let (Some(tag), Some(_)) =
                        (change.refname.strip_prefix("refs/tags/"), change.new)
                    {
                        labor.reached(seq).await;
                        bundles.prebuild_release(&change.design, tag).await;
                    }
                }
                Ok(())
            }
        })
    }

    async fn prebuild_release(&self, design: &DesignId, tag: &str) {
        let store = self.store.clone();
        let (id, rev) = (design.clone(), format!("refs/tags/{tag}"));
        let Ok(Ok(Some(commit))) =
            tokio::task::spawn_blocking(move || store.ref_target(&id, &rev)).await
        else {
            return;
        };
        for format in Format::ALL {
            let key = BundleKey {
                design: design.clone(),
                commit,
                format,
                path: String::new(),
                tag: Some(tag.to_owned()),
            };
            if let Err(err) = self.ensure(&key).await {
                tracing::warn!(%design, tag, %format, error = %err, "release bundle not built");
            }
        }
    }
}

/// The archive's top folder, which is also its file name: which design (owner and slug), which
/// folder of it, and which revision, so a fork's, a folder's and a tag's bundles never share
/// a name with the upstream's. The revision is the tag, else the manifest's version with the
/// commit's first 12 digits, else those digits alone: `ada-trailer-hitch-v1.2`,
/// `atelier-anvil-1.0.0-0123456789ab`.
fn root_name(key: &BundleKey, manifest_version: Option<&str>) -> String {
    let commit = &key.commit.to_string()[..12];
    let revision = match (&key.tag, manifest_version) {
        (Some(tag), _) => file_name_part(tag),
        (None, Some(version)) => format!("{}-{commit}", file_name_part(version)),
        (None, None) => commit.to_owned(),
    };
    let mut root = format!("{}-{}", key.design.owner(), key.design.slug());
    if !key.path.is_empty() {
        root.push('-');
        root.push_str(&file_name_part(&key.path.replace('/', "-")));
    }
    format!("{root}-{revision}")
}

/// `version` made safe as part of a file name: anything but `[A-Za-z0-9._+-]` becomes `-`.
fn file_name_part(version: &str) -> String {
    let part: String = version
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let part = part.trim_matches('.');
    if part.is_empty() {
        "unversioned".to_owned()
    } else {
        part.to_owned()
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_become_safe_file_name_parts() {
        assert_eq!(file_name_part("1.2.0"), "1.2.0");
        assert_eq!(file_name_part("v2 beta/3"), "v2-beta-3");
        assert_eq!(file_name_part("../.."), "-");
        assert_eq!(file_name_part(".."), "unversioned");
        assert_eq!(file_name_part(""), "unversioned");
    }

    #[test]
    fn keys_name_distinct_cache_files() {
        let key = BundleKey {
            design: DesignId::new("a", "b").unwrap(),
            commit: Oid::from_str("0123456789012345678901234567890123456789").unwrap(),
            format: Format::Zip,
            path: String::new(),
            tag: None,
        };
        let folder = BundleKey {
            path: "docs".into(),
            ..key.clone()
        };
        let tagged = BundleKey {
            tag: Some("docs".into()),
            ..key.clone()
        };
        assert_eq!(key.variant(), "bundle");
        assert_ne!(folder.variant(), tagged.variant());
    }
}
