//! The durable event log: the one path after every ref move and design life-cycle step.
//!
//! Whatever moves a ref (import, API commits, forks, releases; pushes and merges later) appends
//! one typed [`Event`] right after the move succeeded. The log is a table (`events`, the outbox)
//! with a monotonic `seq`; consumers (search indexing, the labor ledger, bundle prebuilds, design
//! rows) each keep a cursor in the database and replay from it ([`Events::follow`]), so a
//! restart replays what was missed, not the world. The in-process notification is a
//! `watch` of the newest `seq`: a wake-up that carries nothing the table does not hold.
//!
//! Invariants: one appender per process (a dedicated thread with its own connection, fed in
//! order), so `seq` order is append order; an event row and the ref's last announced head
//! (`event_heads`) are written in one transaction; a consumer's cursor only moves past events
//! it applied.

mod follow;
pub mod log;

use std::sync::Arc;

use git2::Oid;
use tokio::sync::watch;

pub use follow::Consumer;
pub use log::{Error as LogError, Log, Progress};

use crate::store::DesignId;

/// What happened. The place later issues add proposal, review, decision and federation events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A ref of the design moved from `old` to `new` (`None` means absent).
    RefChange {
        refname: String,
        old: Option<Oid>,
        new: Option<Oid>,
    },
    /// A new design (and fork network) was created.
    DesignCreated {
        network: String,
    },
    /// The design was created as a fork of `from`.
    DesignForked {
        from: DesignId,
    },
    DesignDeleted,
    /// Something happened to proposal `number` of the design (the target).
    Proposal {
        number: i64,
        action: ProposalAction,
    },
}

/// The steps of a proposal's life the log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalAction {
    Opened,
    /// Title, body or draft flag changed.
    Edited,
    /// Its source branch moved: revision `revision` was recorded.
    Revised {
        revision: i64,
    },
    Reviewed {
        review: i64,
    },
    Closed,
    Reopened,
    Merged {
        commit: Oid,
    },
}

impl ProposalAction {
    pub fn name(&self) -> &'static str {
        match self {
            ProposalAction::Opened => "opened",
            ProposalAction::Edited => "edited",
            ProposalAction::Revised { .. } => "revised",
            ProposalAction::Reviewed { .. } => "reviewed",
            ProposalAction::Closed => "closed",
            ProposalAction::Reopened => "reopened",
            ProposalAction::Merged { .. } => "merged",
        }
    }
}

impl Payload {
    /// The stable name stored in `events.kind` and shown by `GET /api/events`.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::RefChange { .. } => "ref_change",
            Payload::DesignCreated { .. } => "design_created",
            Payload::DesignForked { .. } => "design_forked",
            Payload::DesignDeleted => "design_deleted",
            Payload::Proposal { .. } => "proposal",
        }
    }

    /// Whether the event may change what the design's repository holds (refs or existence);
    /// proposal events change only the conversation.
    pub fn touches_repository(&self) -> bool {
        !matches!(self, Payload::Proposal { .. })
    }
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// The account that caused it, when known.
    pub actor: Option<i64>,
    pub design: DesignId,
    pub payload: Payload,
}

impl Event {
    /// The ref move this event records, if it is one.
    pub fn ref_change(&self) -> Option<RefChange> {
        match &self.payload {
            Payload::RefChange { refname, old, new } => Some(RefChange {
                design: self.design.clone(),
                refname: refname.clone(),
                old: *old,
                new: *new,
            }),
            _ => None,
        }
    }
}

/// A ref of a design moved from `old` to `new` (`None` means absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub design: DesignId,
    /// Full ref name, e.g. `refs/heads/main`.
    pub refname: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
}

/// Handle on the log. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Events {
    log: Arc<Log>,
}

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    /// A log kept in memory: for command-line tools that move no refs of a running instance
    /// and for unit tests. Nothing follows it across restarts.
    pub fn new() -> Self {
        Self {
            log: Arc::new(Log::memory()),
        }
    }

    /// The durable log in the instance's database.
    pub fn durable(log: Log) -> Self {
        Self { log: Arc::new(log) }
    }

    /// Appends an event; the consumers wake once it is stored. Never waits for the database
    /// (the writer thread stores events in order, retrying until it succeeds), so a ref move
    /// that succeeded is never held up or answered as a failure by the log; a crash before
    /// the event is stored is healed by the start-up reconcile.
    pub fn append(&self, actor: Option<i64>, design: &DesignId, payload: Payload) {
        tracing::debug!(%design, kind = payload.kind(), "event");
        self.log.append(actor, design, payload);
    }

    /// The newest `seq` stored so far.
    pub fn head(&self) -> i64 {
        self.log.progress().borrow().head
    }

    /// Completes once every event appended before the call is stored; the newest `seq` then.
    pub async fn written(&self) -> i64 {
        let ticket = self.log.appended();
        let mut progress = self.log.progress();
        match progress.wait_for(|p| p.written >= ticket).await {
            Ok(p) => p.head,
            Err(_) => self.head(),
        }
    }

    /// Up to `limit` events after `seq`, oldest first (see [`log::Batch`]).
    pub async fn after(&self, seq: i64, limit: i64) -> Result<log::Batch, log::Error> {
        self.log.after(seq, limit).await
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Wakes whenever an event is stored.
    pub fn watch(&self) -> watch::Receiver<Progress> {
        self.log.progress()
    }
}
