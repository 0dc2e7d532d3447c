//! The one path after every ref change.
//!
//! Whatever moves a ref (import today; API commits, forks, releases and pushes later) emits one
//! [`RefChange`] here. Consumers (search indexing, the labor ledger, bundle bookkeeping) subscribe
//! to the bus; none of them is called ad hoc from an HTTP handler.

use tokio::sync::broadcast;

/// A ref of a design moved from `old` to `new` (`None` means absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    /// `owner/slug`.
    pub design: String,
    /// Full ref name, e.g. `refs/heads/main`.
    pub refname: String,
    pub old: Option<git2::Oid>,
    pub new: Option<git2::Oid>,
}

/// Broadcast bus for [`RefChange`]s. Cheap to clone; sending with no subscriber is not an error.
#[derive(Debug, Clone)]
pub struct Events(broadcast::Sender<RefChange>);

impl Default for Events {
    fn default() -> Self {
        Self::new()
    }
}

impl Events {
    /// A bus that keeps up to 1024 unread changes per slow subscriber (it then sees `Lagged` and
    /// must resynchronise from the repositories, which is always possible: everything is derived).
    pub fn new() -> Self {
        Self(broadcast::channel(1024).0)
    }

    pub fn emit(&self, change: RefChange) {
        tracing::debug!(design = %change.design, refname = %change.refname, "ref changed");
        // An error only means nobody listens yet.
        let _ = self.0.send(change);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<RefChange> {
        self.0.subscribe()
    }
}
