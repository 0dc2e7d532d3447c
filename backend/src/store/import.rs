//! Bringing a whole history in as a new design: from a git bundle ([`Store::import_bundle`]) or
//! from an `https://` URL of a host the admin allows ([`Store::import_url`]).
//!
//! Invariants: the history is fetched by the stock `git` (with `transfer.fsckObjects`) into a
//! scratch repository under `<store>/imports/`, checked like a push into an empty design, and
//! only then becomes the design: objects moved into a new pool, refs written into a scratch
//! member renamed into place last. A refusal or failure at any step leaves nothing behind.
//! Commit ids never change. URL fetches speak https only, follow no redirects, run no hooks,
//! fetch no submodules, and stop at the size limit.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use git2::{Oid, Repository};

use super::push::{MAX_REFS, RefUpdate, check, lenient_fsck, pick_default};
use super::{DEFAULT_BRANCH, DesignId, PushLimits, Result, Store};

/// The outcome of an import: the refs it brought, or why it was refused (one line each).
pub type Imported = std::result::Result<Vec<RefUpdate>, Vec<String>>;

/// Where a URL import may fetch from, and how much.
#[derive(Debug, Clone, Default)]
pub struct UrlPolicy {
    /// Hosts (`host` or `host:port`, lower-case) imports may fetch from; empty: none.
    pub allowed_hosts: Vec<String>,
    /// The certificate authorities git trusts for these fetches instead of the system's.
    pub ca_file: Option<std::path::PathBuf>,
    /// The most the fetched history may take on disk, in bytes.
    pub max_size: u64,
}

impl UrlPolicy {
    /// Checks `url` against the policy: `https`, an allowed host, no credentials in it.
    pub fn check(&self, url: &str) -> std::result::Result<url::Url, String> {
        if self.allowed_hosts.is_empty() {
            return Err("this instance does not import from URLs (its admin can allow hosts with --allow-import-from)".into());
        }
        let parsed =
            url::Url::parse(url.trim()).map_err(|err| format!("{url:?} is not a URL ({err})"))?;
        if parsed.scheme() != "https" {
            return Err(format!(
                "only https:// URLs can be imported, not {}://",
                parsed.scheme()
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(
                "put no credentials in the URL: only public repositories can be imported".into(),
            );
        }
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let with_port = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        let allowed = self
            .allowed_hosts
            .iter()
            .any(|a| *a == with_port || (parsed.port().is_none() && *a == host));
        if !allowed {
            return Err(format!(
                "imports from {with_port} are not allowed here; allowed: {}",
                self.allowed_hosts.join(", ")
            ));
        }
        Ok(parsed)
    }
}

impl Store {
    /// Imports a git bundle (`git bundle create x.bundle --all`) as the new design `id`: every
    /// branch and tag of the bundle, its `HEAD` the default branch (else [`pick_default`]'s).
    /// A damaged or incomplete bundle is refused (`Err` in the `Ok`).
    pub fn import_bundle(
        &self,
        id: &DesignId,
        bundle: &Path,
        limits: PushLimits,
    ) -> Result<Imported> {
        if self.exists(id) {
            return Err(super::Error::AlreadyExists(id.clone()));
        }
        // Only a bundle: given any other file, `git fetch` would take it for a local
        // repository (or a `gitdir:` file pointing at one) and copy that.
        let mut head = [0u8; 16];
        let read = std::io::Read::read(&mut std::fs::File::open(bundle)?, &mut head)?;
        if !(head[..read].starts_with(b"# v2 git bundle\n")
            || head[..read].starts_with(b"# v3 git bundle\n"))
        {
            return Ok(Err(vec![NOT_A_BUNDLE.into()]));
        }
        let scratch = self.import_scratch()?;
        let fetched = fetch_command(scratch.path())
            .arg(bundle)
            .args(["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"])
            .output()?;
        if !fetched.status.success() {
            // git's words name paths of this server: logged, not shown.
            tracing::info!(design = %id, stderr = %String::from_utf8_lossy(&fetched.stderr).trim(), "bundle refused by git");
            return Ok(Err(vec![format!(
                "{NOT_A_BUNDLE}; git found it damaged, incomplete (it needs commits it does not hold) or failing its object checks"
            )]));
        }
        let head = bundle_head(bundle)?;
        self.finish_import(id, scratch, limits, |update| {
            head.is_some() && update.new == head
        })
    }

    /// Imports the public repository at `url` (checked against `policy`) as the new design
    /// `id`: every branch and tag, the remote's `HEAD` the default branch.
    pub fn import_url(
        &self,
        id: &DesignId,
        url: &str,
        policy: &UrlPolicy,
        limits: PushLimits,
    ) -> Result<Imported> {
        if self.exists(id) {
            return Err(super::Error::AlreadyExists(id.clone()));
        }
        let url = match policy.check(url) {
            Ok(url) => url,
            Err(problem) => return Ok(Err(vec![problem])),
        };
        let unreachable = |what: &str, stderr: &[u8]| {
            tracing::info!(design = %id, %url, stderr = %String::from_utf8_lossy(stderr).trim(), "{what}");
            Ok(Err(vec![format!(
                "could not fetch {url}: git found no public repository there (or the host did not answer in time)"
            )]))
        };
        let scratch = self.import_scratch()?;
        // The remote's default branch, and a first check that it answers at all.
        let listed = remote_command(scratch.path(), policy)
            .args(["ls-remote", "--symref", "--", url.as_str(), "HEAD"])
            .output()?;
        if !listed.status.success() {
            return unreachable("ls-remote failed", &listed.stderr);
        }
        let remote_head = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .find_map(|line| {
                let (target, name) = line.strip_prefix("ref: ")?.split_once('\t')?;
                (name == "HEAD").then(|| target.to_owned())
            });
        let mut fetch = remote_command(scratch.path(), policy);
        fetch
            .args(lenient_fsck("fetch"))
            .args(FETCH_CONFIG)
            .args([
                "fetch",
                "--quiet",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "--",
            ])
            .arg(url.as_str())
            .args(["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let (ok, stderr, too_big) = run_within(fetch, scratch.path(), policy.max_size)?;
        if too_big {
            return Ok(Err(vec![format!(
                "{url} holds more than this instance's limit of {} MiB",
                policy.max_size >> 20
            )]));
        }
        if !ok {
            return unreachable("fetch failed", &stderr);
        }
        self.finish_import(id, scratch, limits, |update| {
            remote_head.as_deref() == Some(update.refname.as_str())
        })
    }

    fn import_scratch(&self) -> Result<tempfile::TempDir> {
        let root = self.root.join("imports");
        std::fs::create_dir_all(&root)?;
        let scratch = tempfile::Builder::new()
            .prefix("import-")
            .suffix(".git")
            .tempdir_in(&root)?;
        Repository::init_bare(scratch.path())?;
        Ok(scratch)
    }

    /// Checks the refs fetched into `scratch` like a push into an empty design and makes them
    /// the design `id`, the first branch `is_head` picks (if any) its default branch.
    fn finish_import(
        &self,
        id: &DesignId,
        scratch: tempfile::TempDir,
        limits: PushLimits,
        is_head: impl Fn(&RefUpdate) -> bool,
    ) -> Result<Imported> {
        let staged = Repository::open_bare(scratch.path())?;
        let mut updates = Vec::new();
        for reference in staged.references()? {
            let reference = reference?;
            if let (Some(name), Some(target)) = (reference.name(), reference.target()) {
                updates.push(RefUpdate {
                    refname: name.to_owned(),
                    old: None,
                    new: Some(target),
                });
            }
        }
        if updates.is_empty() {
            return Ok(Err(vec!["the history holds no branch or tag".into()]));
        }
        if updates.len() > MAX_REFS {
            return Ok(Err(vec![format!(
                "an import may hold at most {MAX_REFS} branches and tags"
            )]));
        }
        if let Err(problems) = check(
            &staged,
            &BTreeMap::new(),
            &updates,
            limits,
            None,
            DEFAULT_BRANCH,
        )? {
            return Ok(Err(problems));
        }
        drop(staged);
        let branches = |at_head: bool| -> Vec<&str> {
            updates
                .iter()
                .filter(|u| !at_head || is_head(u))
                .filter_map(|u| u.refname.strip_prefix("refs/heads/"))
                .collect()
        };
        let (at_head, all) = (branches(true), branches(false));
        let Some(default) = pick_default(&at_head).or_else(|| pick_default(&all)) else {
            return Ok(Err(vec!["the history holds no branch".into()]));
        };
        let default = default.to_owned();
        // All or nothing: the pool gets the objects and a scratch member the refs; the member
        // is renamed into place last, and a failure before removes both.
        let lock = self.lock(id);
        let _guard = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.exists(id) {
            return Err(super::Error::AlreadyExists(id.clone()));
        }
        let network = super::new_network_id(id);
        let made = (|| -> Result<Repository> {
            let pool = self.init_pool(&network)?;
            // The fetch kept one pack (unpackLimit 1); any loose objects go along as well.
            move_objects(
                &scratch.path().join("objects"),
                &pool.path().join("objects"),
            )?;
            let member = self.init_member(id, &network, None, &default)?;
            for update in &updates {
                let new = update.new.expect("imports only create refs");
                if let Err(err) = member.reference(&update.refname, new, false, "atelier: import") {
                    let _ = std::fs::remove_dir_all(member.path());
                    return Err(err.into());
                }
            }
            self.publish_member(id, member)?;
            Ok(pool)
        })();
        let pool = match made {
            Ok(pool) => pool,
            Err(err) => {
                let _ = std::fs::remove_dir_all(self.pool_path(&network));
                return Err(err);
            }
        };
        self.record_event(id, super::Payload::DesignCreated { network });
        for update in &updates {
            self.announce(id, &update.refname, None, update.new);
            self.mirror_after_move(&pool, id, &update.refname, update.new);
        }
        Ok(Ok(updates))
    }
}

/// `-c` settings of every import fetch: checked objects, kept in one pack.
const FETCH_CONFIG: [&str; 6] = [
    "-c",
    "transfer.fsckObjects=true",
    "-c",
    "fetch.unpackLimit=1",
    "-c",
    "transfer.unpackLimit=1",
];

/// `git --git-dir <scratch> fetch` from a local bundle, isolated from the machine's config.
fn fetch_command(scratch: &Path) -> Command {
    let mut command = git(scratch);
    command
        .args(lenient_fsck("fetch"))
        .args(FETCH_CONFIG)
        .args(["fetch", "--quiet", "--no-write-fetch-head"]);
    command
}

fn git(scratch: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("--git-dir")
        .arg(scratch)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0");
    command
}

/// git for a remote of the outside world: https only, no redirects, no hooks, no credential
/// helpers or prompts, and given up on when the host stalls.
fn remote_command(scratch: &Path, policy: &UrlPolicy) -> Command {
    let mut command = git(scratch);
    command
        .env("GIT_ASKPASS", "/bin/false")
        .env("GIT_PROTOCOL_FROM_USER", "0")
        .env_remove("GIT_SSL_NO_VERIFY")
        .args([
            "-c",
            "protocol.allow=never",
            "-c",
            "protocol.https.allow=always",
            "-c",
            "http.followRedirects=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "credential.helper=",
            "-c",
            "submodule.recurse=false",
            "-c",
            "http.lowSpeedLimit=1024",
            "-c",
            "http.lowSpeedTime=30",
        ]);
    if let Some(ca) = &policy.ca_file {
        // The environment's GIT_SSL_CAINFO would win over `http.sslCAInfo`.
        command
            .env("GIT_SSL_CAINFO", ca)
            .env_remove("GIT_SSL_CAPATH");
    }
    command
}

/// Runs `command`, killing it once `dir` holds more than `max_size` bytes. Whether it
/// succeeded, its standard error, and whether it was stopped for size.
fn run_within(mut command: Command, dir: &Path, max_size: u64) -> Result<(bool, Vec<u8>, bool)> {
    let mut child = command.spawn()?;
    let mut stderr = child.stderr.take();
    // Drained to the end (a full pipe would stall git), the first 64 KiB kept.
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Some(Ok(n @ 1..)) = stderr.as_mut().map(|e| std::io::Read::read(e, &mut buffer)) {
            if text.len() < 64 << 10 {
                text.extend_from_slice(&buffer[..n]);
            }
        }
        text
    });
    let too_big = loop {
        if let Some(status) = child.try_wait()? {
            let text = reader.join().unwrap_or_default();
            // A fetch quicker than one look at its size is measured once it is done.
            let too_big = size_of(dir) > max_size;
            return Ok((status.success() && !too_big, text, too_big));
        }
        if size_of(dir) > max_size {
            let _ = child.kill();
            let _ = child.wait();
            break true;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = reader.join().unwrap_or_default();
    Ok((false, text, too_big))
}

/// Bytes in the files under `dir` (what a fetch has written so far).
fn size_of(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => size_of(&entry.path()),
            Ok(_) => entry.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

/// The commit a bundle's header says its `HEAD` is at (`<oid> HEAD`), if it lists one.
fn bundle_head(bundle: &Path) -> Result<Option<Oid>> {
    use std::io::BufRead;
    // The header: a signature line, then capabilities (`@…`, v3), prerequisites (`-…`) and
    // refs, one per line, up to an empty line; bounded like the number of refs.
    let file = std::fs::File::open(bundle)?;
    let header = std::io::BufReader::new(std::io::Read::take(file, 4 << 20));
    for line in header.split(b'\n').skip(1).take(2 * MAX_REFS) {
        let line = line?;
        if line.is_empty() {
            break;
        }
        if let Some(hex) = line.strip_suffix(b" HEAD")
            && let Ok(oid) = Oid::from_str(&String::from_utf8_lossy(hex))
        {
            return Ok(Some(oid));
        }
    }
    Ok(None)
}

const NOT_A_BUNDLE: &str =
    "the file is not a complete git bundle (make one with `git bundle create design.bundle --all`)";

/// Moves every object file of `from` (packs with their indexes, loose objects) into `to`;
/// files `to` already has stay as they are. Packs go last-file-first (`.idx` after `.pack`), so
/// a reader never sees an index without its pack.
fn move_objects(from: &Path, to: &Path) -> Result<()> {
    let packs = from.join("pack");
    if packs.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(&packs)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        // Each .pack first, then its .idx and .rev.
        files.sort_by_key(|p| p.extension().is_none_or(|e| e != "pack"));
        std::fs::create_dir_all(to.join("pack"))?;
        for file in files {
            let target = to.join("pack").join(file.file_name().expect("a file name"));
            if !target.exists() {
                std::fs::rename(&file, &target)?;
            }
        }
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let dir = to.join(&*name);
        std::fs::create_dir_all(&dir)?;
        for object in std::fs::read_dir(entry.path())? {
            let object = object?;
            let target = dir.join(object.file_name());
            if !target.exists() {
                std::fs::rename(object.path(), &target)?;
            }
        }
    }
    Ok(())
}
