//! Uploads waiting to be committed: a blob streamed into a design's pool by one account, found
//! again by its id when that account commits it to that design. In memory, kept for a day.
//!
//! Invariant: an upload id only ever yields its blob to the account that uploaded it, for the
//! design it was uploaded to.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use git2::Oid;

use crate::store::DesignId;

/// How long an upload waits to be committed.
const UPLOAD_TTL: Duration = Duration::from_secs(24 * 3600);

/// Uploads waiting to be committed: id → (uploader, design, blob), kept for a day.
#[derive(Debug, Default)]
pub struct Uploads(Mutex<HashMap<String, (i64, DesignId, Oid, Instant)>>);

impl Uploads {
    pub fn insert(&self, account: i64, design: &DesignId, blob: Oid) -> String {
        let id = crate::accounts::random_hex(16);
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, _, _, at)| at.elapsed() < UPLOAD_TTL);
        map.insert(id.clone(), (account, design.clone(), blob, Instant::now()));
        id
    }

    /// The blob of an upload made by `account` for `design`.
    pub fn get(&self, id: &str, account: i64, design: &DesignId) -> Option<Oid> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id)
            .filter(|(who, what, _, at)| {
                *who == account && what == design && at.elapsed() < UPLOAD_TTL
            })
            .map(|(_, _, blob, _)| *blob)
    }
}
