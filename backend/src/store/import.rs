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
    /// A policy allowing only `url`'s host (for an admin naming the URL herself).
    pub fn only(url: &str, ca_file: Option<std::path::PathBuf>, max_size: u64) -> Self {
        Self {
            allowed_hosts: url::Url::parse(url.trim())
                .map(|u| vec![host_key(&u)])
                .unwrap_or_default(),
            ca_file,
            max_size,
        }
    }

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
        let with_port = host_key(&parsed);
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

/// `host` or `host:port` of `url`, lower-case: what an allowed host is compared with.
fn host_key(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

impl Store {
    /// Imports a git bundle (`git bundle create x.bundle --all`) as the new design `id`:
    /// [`Store::stage_bundle`], then [`Store::import_staged`].
    pub fn import_bundle(
        &self,
        id: &DesignId,
        bundle: &Path,
        limits: PushLimits,
    ) -> Result<Imported> {
        if self.exists(id) {
            return Err(super::Error::AlreadyExists(id.clone()));
        }
        match self.stage_bundle(bundle)? {
            Ok(staged) => self.import_staged(id, staged, limits),
            Err(problems) => Ok(Err(problems)),
        }
    }

    /// Imports the public repository at `url` as the new design `id`: [`Store::stage_url`],
    /// then [`Store::import_staged`].
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
        match self.stage_url(url, policy)? {
            Ok(staged) => self.import_staged(id, staged, limits),
            Err(problems) => Ok(Err(problems)),
        }
    }

    /// Fetches every branch and tag of a git bundle into a scratch repository; its `HEAD`
    /// (when the bundle lists one) names the default branch. A damaged or incomplete bundle,
    /// or a file that is not one, is refused (`Err` in the `Ok`).
    pub fn stage_bundle(&self, bundle: &Path) -> Result<Staging> {
        // Only a bundle: given any other file, `git fetch` would take it for a local
        // repository (or a `gitdir:` file pointing at one) and copy that.
        let mut start = [0u8; 16];
        let read = std::io::Read::read(&mut std::fs::File::open(bundle)?, &mut start)?;
        if !(start[..read].starts_with(b"# v2 git bundle\n")
            || start[..read].starts_with(b"# v3 git bundle\n"))
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
            tracing::info!(stderr = %String::from_utf8_lossy(&fetched.stderr).trim(), "bundle refused by git");
            return Ok(Err(vec![format!(
                "{NOT_A_BUNDLE}; git found it damaged, incomplete (it needs commits it does not hold) or failing its object checks"
            )]));
        }
        let head = match bundle_head(bundle)? {
            Some(oid) => Head::Commit(oid),
            None => Head::Unknown,
        };
        Ok(Ok(Staged { scratch, head }))
    }

    /// Fetches every branch and tag of the public repository at `url` (checked against
    /// `policy`) into a scratch repository; the remote's `HEAD` names the default branch.
    /// Takes as long as the host needs, up to [`URL_DEADLINE`]: callers run it outside any
    /// design's write turn.
    pub fn stage_url(&self, url: &str, policy: &UrlPolicy) -> Result<Staging> {
        let url = match policy.check(url) {
            Ok(url) => url,
            Err(problem) => return Ok(Err(vec![problem])),
        };
        let unreachable = |what: &str, stderr: &[u8]| {
            tracing::info!(%url, stderr = %String::from_utf8_lossy(stderr).trim(), "{what}");
            Ok(Err(vec![format!(
                "could not fetch {url}: git found no public repository there (or the host did not answer in time)"
            )]))
        };
        let scratch = self.import_scratch()?;
        let objects = scratch.path().join("objects");
        let deadline = std::time::Instant::now() + URL_DEADLINE;
        // The remote's default branch, and a first check that it answers at all.
        let mut list = remote_command(scratch.path(), policy);
        list.args(["ls-remote", "--symref", "--", url.as_str(), "HEAD"]);
        let listed = run_within(list, &objects, policy.max_size, deadline)?;
        if !listed.ok {
            return unreachable("ls-remote failed", &listed.stderr);
        }
        let head = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .find_map(|line| {
                let (target, name) = line.strip_prefix("ref: ")?.split_once('\t')?;
                (name == "HEAD").then(|| Head::Branch(target.to_owned()))
            })
            .unwrap_or(Head::Unknown);
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
            .args(["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]);
        let fetched = run_within(fetch, &objects, policy.max_size, deadline)?;
        match fetched.stopped {
            Some(Stop::TooBig) => {
                return Ok(Err(vec![format!(
                    "{url} holds more than this instance's limit of {} MiB",
                    policy.max_size >> 20
                )]));
            }
            Some(Stop::TooSlow) => {
                return Ok(Err(vec![format!(
                    "{url} took longer than {} minutes to fetch; try a bundle instead",
                    URL_DEADLINE.as_secs() / 60
                )]));
            }
            None if !fetched.ok => return unreachable("fetch failed", &fetched.stderr),
            None => {}
        }
        Ok(Ok(Staged { scratch, head }))
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

    /// Checks a staged history like a push into an empty design and makes it the new design
    /// `id`: the branch its [`Head`] names is the default one (else [`pick_default`]'s).
    pub fn import_staged(
        &self,
        id: &DesignId,
        staged: Staged,
        limits: PushLimits,
    ) -> Result<Imported> {
        let Staged { scratch, head } = staged;
        let is_head = |update: &RefUpdate| match &head {
            Head::Commit(oid) => update.new == Some(*oid),
            Head::Branch(refname) => update.refname == *refname,
            Head::Unknown => false,
        };
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

/// The longest a URL import may take to fetch.
pub const URL_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// A history fetched and verified by git into a scratch repository, not yet a design; the
/// scratch repository goes away with it.
#[derive(Debug)]
pub struct Staged {
    scratch: tempfile::TempDir,
    head: Head,
}

impl Staged {
    /// Names the default branch (`refs/heads/…`), e.g. a repository folder's `HEAD`.
    pub fn with_head_branch(self, refname: String) -> Self {
        Self {
            head: Head::Branch(refname),
            ..self
        }
    }
}

/// What the source says its default branch is.
#[derive(Debug)]
enum Head {
    /// A bundle's `HEAD` line: a commit, which some branch is at.
    Commit(Oid),
    /// A remote's `HEAD` symref: `refs/heads/…`.
    Branch(String),
    Unknown,
}

/// A staged history, or why the source was refused (one line each).
pub type Staging = std::result::Result<Staged, Vec<String>>;

/// `-c` settings of every import fetch: checked objects, kept in one pack.
const FETCH_CONFIG: [&str; 6] = [
    "-c",
    "transfer.fsckObjects=true",
    "-c",
    "fetch.unpackLimit=1",
    "-c",
    "transfer.unpackLimit=1",
];

/// `git --git-dir <scratch> fetch` from a local bundle.
fn fetch_command(scratch: &Path) -> Command {
    let mut command = git(scratch);
    command
        .args(lenient_fsck("fetch"))
        .args(FETCH_CONFIG)
        .args(["fetch", "--quiet", "--no-write-fetch-head"]);
    command
}

/// git on `scratch` with nothing of this process's environment but `PATH`: no `GIT_*`
/// variable, configuration file, credential helper, proxy or prompt can change what it does.
fn git(scratch: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch)
        .env("LC_ALL", "C")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .arg("--git-dir")
        .arg(scratch);
    command
}

/// git for a remote of the outside world: https only, certificates verified, no redirects,
/// no hooks, no credential helpers or prompts, and given up on when the host stalls.
fn remote_command(scratch: &Path, policy: &UrlPolicy) -> Command {
    let mut command = git(scratch);
    command.env("GIT_ASKPASS", "/bin/false").args([
        "-c",
        "protocol.allow=never",
        "-c",
        "protocol.https.allow=always",
        "-c",
        "http.sslVerify=true",
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
        command
            .arg("-c")
            .arg(format!("http.sslCAInfo={}", ca.display()));
    }
    command
}

/// Why [`run_within`] stopped its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    TooBig,
    TooSlow,
}

struct Ran {
    ok: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    stopped: Option<Stop>,
}

/// Runs `command` in its own process group, killing the whole group (git and the helpers it
/// starts) once `objects` holds more than `max_size` bytes or `deadline` passes. Its output is
/// drained as it comes (the first 64 KiB of each kept).
fn run_within(
    mut command: Command,
    objects: &Path,
    max_size: u64,
    deadline: std::time::Instant,
) -> Result<Ran> {
    use std::os::unix::process::CommandExt as _;
    let mut child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buffer = [0u8; 8192];
            if let Some(mut pipe) = pipe {
                while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                    if kept.len() < 64 << 10 {
                        kept.extend_from_slice(&buffer[..n]);
                    }
                }
            }
            kept
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let group = rustix::process::Pid::from_child(&child);
    let (status, stopped) = loop {
        if let Some(status) = child.try_wait()? {
            // A fetch quicker than one look at its size is measured once it is done.
            let too_big = size_of(objects) > max_size;
            break (Some(status), too_big.then_some(Stop::TooBig));
        }
        let stop = if size_of(objects) > max_size {
            Some(Stop::TooBig)
        } else if std::time::Instant::now() > deadline {
            Some(Stop::TooSlow)
        } else {
            None
        };
        if let Some(stop) = stop {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            let _ = child.wait();
            break (None, Some(stop));
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Every holder of the pipes is gone (exited or killed with its group): the drains end.
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Ran {
        ok: stopped.is_none() && status.is_some_and(|s| s.success()),
        stdout,
        stderr,
        stopped,
    })
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
