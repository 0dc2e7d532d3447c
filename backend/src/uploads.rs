//! Uploads: the caps on uploads in progress, and the uploads waiting to be committed (a blob
//! streamed into a design's pool by one account, found again by its id when that account
//! commits it to that design; in memory, kept for a day).
//!
//! Invariants: an upload id only ever yields its blob to the account that uploaded it, for the
//! design it was uploaded to. At most [`PER_ACCOUNT`] uploads of one account, [`PER_ADDRESS`]
//! of one client address and [`IN_PROGRESS`] in all are in progress at once (each holds a
//! spool file of up to the upload limit).

use std::collections::HashMap;
use std::net::IpAddr;
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

/// Uploads waiting to be committed: id → (uploader, design, blob), kept for a day; and the
/// uploads in progress.
#[derive(Debug, Default)]
pub struct Uploads {
    waiting: Mutex<HashMap<String, (i64, DesignId, Oid, Instant)>>,
    running: Arc<Mutex<Running>>,
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

    pub fn insert(&self, account: i64, design: &DesignId, blob: Oid) -> String {
        let id = crate::accounts::random_hex(16);
        let mut map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, _, _, at)| at.elapsed() < UPLOAD_TTL);
        map.insert(id.clone(), (account, design.clone(), blob, Instant::now()));
        id
    }

    /// The blob of an upload made by `account` for `design`.
    pub fn get(&self, id: &str, account: i64, design: &DesignId) -> Option<Oid> {
        let map = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id)
            .filter(|(who, what, _, at)| {
                *who == account && what == design && at.elapsed() < UPLOAD_TTL
            })
            .map(|(_, _, blob, _)| *blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_per_account_per_address_and_in_all_and_free_on_drop() {
        let uploads = Uploads::default();
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
