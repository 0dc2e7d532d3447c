//! The event log: its entries and its consumers' cursors.

use serde::{Deserialize, Serialize};

/// One entry of the event log (`GET /api/events`). Besides the common fields, each kind has its
/// own: `ref_change` → `refname`, `old`, `new` (commit ids or null); `design_created` →
/// `network`; `design_forked` → `from`; `design_deleted` → none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// Username of the account that caused it, when known.
    pub actor: Option<String>,
    /// `owner/slug`.
    pub design: String,
    pub kind: String,
    #[serde(flatten)]
    pub payload: serde_json::Map<String, serde_json::Value>,
}

/// `GET /api/events?after=seq&limit=n`: the events after `after`, oldest first; pass `next` as
/// the following request's `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventList {
    pub events: Vec<Event>,
    pub next: i64,
}

/// A consumer of the event log and the last event it applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventConsumer {
    pub name: String,
    pub cursor: i64,
}

/// `GET /api/events/consumers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventConsumers {
    pub consumers: Vec<EventConsumer>,
    /// The newest `seq` in the log.
    pub head: i64,
}
