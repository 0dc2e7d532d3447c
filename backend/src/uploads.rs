//! Uploads: the caps on uploads in progress, and the uploads waiting to be committed. A
//! finished upload is a staged file in `<data>/uploads/` (outside every object pool) with the
//! blob id it will have, found again by its id when the account that uploaded it commits it to
//! that design; only then does it enter the design's pool. Kept for a day; expired ones, and
//! those a commit used, are deleted, and a start clears what a previous run left.
//!
//! Invariants: an upload id only ever yields its file to the account that uploaded it, for the
//! design it was uploaded to. At most [`PER_ACCOUNT`] uploads of one account, [`PER_ADDRESS`]
//! of one client address and [`IN_PROGRESS`] in all are in progress at once (each holds a
//! spool file of up to the upload limit).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use git2::Oid;

use crate::store::DesignId;

/// How long an upload waits to be committed.
const UPLOAD_TTL: Duration = Duration::from_secs(24 * 3600);

/// Uploads one account may have in progress at once.
pub const PER_ACCOUNT: usize = 4;
/// Uploads one client address may have in progress at once.
pub const PER_ADDRESS: usize = 16;
/// Uploads in progress on the whole server.
pub const IN_PROGRESS: usize = 64;

/// Uploads waiting to be committed, kept for a day; and the uploads in progress.
#[derive(Debug)]
pub struct Uploads {
    dir: PathBuf,
    waiting: Mutex<HashMap<String, Waiting>>,
    running: Arc<Mutex<Running>>,
}

#[derive(Debug)]
struct Waiting {
    account: i64,
    design: DesignId,
    staged: Staged,
    at: Instant,
}

/// A finished upload: its staged file and the blob id its bytes hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    pub blob: Oid,
    pub file: PathBuf,
}

#[derive(Debug, Default)]
struct Running {
    total: usize,
    accounts: HashMap<i64, usize>,
    addresses: HashMap<IpAddr, usize>,
}

/// Why an upload cannot start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Full {
    #[error("you have {PER_ACCOUNT} uploads in progress already; wait for one to finish")]
    Account,
    #[error(
        "{PER_ADDRESS} uploads from your address are in progress already; wait for one to finish"
    )]
    Address,
    #[error("the server has {IN_PROGRESS} uploads in progress; try again shortly")]
    Server,
}

/// An upload in progress; its place is given back on drop.
#[derive(Debug)]
pub struct Slot {
    running: Arc<Mutex<Running>>,
    account: i64,
    address: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.total -= 1;
        if let Some(n) = running.accounts.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                running.accounts.remove(&self.account);
            }
        }
        if let Some(address) = self.address
            && let Some(n) = running.addresses.get_mut(&address)
        {
            *n -= 1;
            if *n == 0 {
                running.addresses.remove(&address);
            }
        }
    }
}

impl Uploads {
    /// The uploads staged in `dir` (created; whatever a previous run left there is deleted:
    /// its ids died with it).
    pub fn open(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            waiting: Mutex::default(),
            running: Arc::default(),
        })
    }

    /// Where uploads in progress spool their bytes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A place for one more upload by `account` from `address`, if the caps allow it.
    pub fn start(&self, account: i64, address: Option<IpAddr>) -> Result<Slot, Full> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.total >= IN_PROGRESS {
            return Err(Full::Server);
        }
        if running.accounts.get(&account).copied().unwrap_or(0) >= PER_ACCOUNT {
            return Err(Full::Account);
        }
        if let Some(address) = address
            && running.addresses.get(&address).copied().unwrap_or(0) >= PER_ADDRESS
        {
            return Err(Full::Address);
        }
        running.total += 1;
        *running.accounts.entry(account).or_insert(0) += 1;
        if let Some(address) = address {
            *running.addresses.entry(address).or_insert(0) += 1;
        }
        Ok(Slot {
            running: self.running.clone(),
            account,
            address,
        })
    }

    /// Keeps the finished upload `spool` (in [`Self::dir`]) of `account` for `design`, whose
    /// bytes hash to `blob`; its id. Expired uploads are deleted on the way.
    pub fn insert(
        &self,
        account: i64,
        design: &DesignId,
        blob: Oid,
        spool: tempfile::NamedTempFile,
    ) -> std::io::Result<String> {
        self.expire();
        let id = crate::accounts::random_hex(16);
        let file = self.dir.join(&id);
        spool.persist(&file).map_err(|err| err.error)?;
        let staged = Staged { blob, file };
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(
            id.clone(),
            Waiting {
                account,
                design: design.clone(),
                staged,
                at: Instant::now(),
            },
        );
        Ok(id)
    }

    /// The staged upload `id` made by `account` for `design`.
    pub fn get(&self, id: &str, account: i64, design: &DesignId) -> Option<Staged> {
        let map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id)
            .filter(|w| w.account == account && &w.design == design && w.at.elapsed() < UPLOAD_TTL)
            .map(|w| w.staged.clone())
    }

    /// Deletes the uploads `ids` (a commit used them).
    pub fn remove<'a>(&self, ids: impl IntoIterator<Item = &'a str>) {
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            if let Some(gone) = map.remove(id) {
                let _ = std::fs::remove_file(gone.staged.file);
            }
        }
    }

    /// Deletes the uploads older than a day.
    pub fn expire(&self) {
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, w| {
            let keep = w.at.elapsed() < UPLOAD_TTL;
            if !keep {
                let _ = std::fs::remove_file(&w.staged.file);
            }
            keep
        });
    }

    /// How many uploads wait, and their staged bytes.
    pub fn waiting(&self) -> (usize, u64) {
        let map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = map
            .values()
            .filter_map(|w| std::fs::metadata(&w.staged.file).ok())
            .map(|m| m.len())
            .sum();
        (map.len(), bytes)
    }

    #[cfg(test)]
    fn age(&self, by: Duration) {
        let mut map = self.waiting.lock().unwrap();
        for w in map.values_mut() {
            w.at = Instant::now().checked_sub(by).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_uploads_are_kept_for_their_owner_and_deleted_when_used_or_expired() {
        let data = tempfile::tempdir().unwrap();
        let left = data.path().join("uploads/left-by-a-crash");
        std::fs::create_dir_all(left.parent().unwrap()).unwrap();
        std::fs::write(&left, b"old").unwrap();
        let uploads = Uploads::open(data.path().join("uploads")).unwrap();
        assert!(!left.exists(), "a previous run's files are cleared");
        let lamp = DesignId::new("ada", "lamp").unwrap();
        let stage = |bytes: &[u8]| {
            let mut spool = tempfile::NamedTempFile::new_in(uploads.dir()).unwrap();
            std::io::Write::write_all(&mut spool, bytes).unwrap();
            let blob = Oid::hash_file(git2::ObjectType::Blob, spool.path()).unwrap();
            uploads.insert(1, &lamp, blob, spool).unwrap()
        };
        let used = stage(b"used");
        let staged = uploads.get(&used, 1, &lamp).unwrap();
        assert_eq!(std::fs::read(&staged.file).unwrap(), b"used");
        assert_eq!(
            staged.blob,
            Oid::hash_object(git2::ObjectType::Blob, b"used").unwrap()
        );
        assert!(
            uploads.get(&used, 2, &lamp).is_none(),
            "not another account's"
        );
        let other = DesignId::new("ada", "other").unwrap();
        assert!(
            uploads.get(&used, 1, &other).is_none(),
            "not another design's"
        );
        uploads.remove([used.as_str()]);
        assert!(!staged.file.exists());
        assert!(uploads.get(&used, 1, &lamp).is_none());

        let old = stage(b"old");
        let old_file = uploads.get(&old, 1, &lamp).unwrap().file;
        uploads.age(UPLOAD_TTL + Duration::from_secs(1));
        assert!(uploads.get(&old, 1, &lamp).is_none());
        uploads.expire();
        assert!(!old_file.exists(), "expired uploads are deleted");
        assert_eq!(uploads.waiting(), (0, 0));
        assert_eq!(std::fs::read_dir(uploads.dir()).unwrap().count(), 0);
    }

    #[test]
    fn caps_hold_per_account_per_address_and_in_all_and_free_on_drop() {
        let data = tempfile::tempdir().unwrap();
        let uploads = Uploads::open(data.path().join("uploads")).unwrap();
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let slots: Vec<Slot> = (0..PER_ACCOUNT)
            .map(|_| uploads.start(1, Some(here)).unwrap())
            .collect();
        assert_eq!(uploads.start(1, Some(here)).unwrap_err(), Full::Account);
        let others: Vec<Slot> = (0..PER_ADDRESS - PER_ACCOUNT)
            .map(|n| uploads.start(100 + n as i64, Some(here)).unwrap())
            .collect();
        assert_eq!(uploads.start(2, Some(here)).unwrap_err(), Full::Address);
        let elsewhere: Vec<Slot> = (0..IN_PROGRESS - PER_ADDRESS)
            .map(|n| uploads.start(1000 + n as i64, None).unwrap())
            .collect();
        assert_eq!(uploads.start(3, None).unwrap_err(), Full::Server);
        drop(elsewhere);
        drop(others);
        assert_eq!(uploads.start(1, Some(here)).unwrap_err(), Full::Account);
        drop(slots);
        assert!(uploads.start(1, Some(here)).is_ok());
        assert_eq!(uploads.running.lock().unwrap().accounts.len(), 0);
    }
}
