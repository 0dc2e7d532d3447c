//! Where events are kept: the `events` table (with `event_heads` and `event_cursors`), or memory
//! for tools and unit tests. Appends are queued to one writer thread with its own connection and
//! runtime, so a caller on any thread (the blocking pool, a test's runtime) appends without
//! waiting for the database, and no caller can hold up another's event.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use git2::Oid;
use serde_json::{Value, json};
use sqlx::Row as _;
use tokio::sync::watch;

use super::{Event, Payload, ProposalAction};
use crate::db;
use crate::store::DesignId;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("the event writer has stopped")]
    WriterGone,
    #[error("event {seq} cannot be read: {why}")]
    Corrupt { seq: i64, why: String },
}

#[derive(Debug)]
struct Append {
    at: i64,
    actor: Option<i64>,
    design: DesignId,
    payload: Payload,
}

/// Events read from the log, and the `seq` of the last row read (`None`: nothing after).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub events: Vec<Event>,
    pub last: Option<i64>,
}

/// How far the log has got: the newest `seq` stored and how many appends were stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub head: i64,
    pub written: u64,
}

/// The storage behind [`super::Events`].
#[derive(Debug)]
pub struct Log {
    inner: Inner,
    /// Appends made so far (stored or not).
    appended: AtomicU64,
    progress: Arc<watch::Sender<Progress>>,
}

#[derive(Debug)]
enum Inner {
    Memory {
        events: Mutex<Vec<Event>>,
        cursors: Mutex<HashMap<String, i64>>,
    },
    Durable {
        pool: db::Pool,
        writer: tokio::sync::mpsc::UnboundedSender<Append>,
    },
}

/// Pauses of the writer between attempts at storing one event.
const FIRST_RETRY: Duration = Duration::from_millis(50);
const LAST_RETRY: Duration = Duration::from_secs(5);

impl Log {
    pub fn memory() -> Self {
        Self {
            inner: Inner::Memory {
                events: Mutex::default(),
                cursors: Mutex::default(),
            },
            appended: AtomicU64::new(0),
            progress: Arc::new(watch::Sender::new(Progress::default())),
        }
    }

    /// The log in the database `pool` reads from; appends go through a writer thread with its
    /// own connection to `database`, which stores them in order.
    pub async fn durable(pool: db::Pool, database: &db::Location) -> Result<Self, Error> {
        let head: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(&pool)
            .await?;
        let progress = Arc::new(watch::Sender::new(Progress { head, written: 0 }));
        let (writer, mut requests) = tokio::sync::mpsc::unbounded_channel::<Append>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), Error>>();
        let database = database.clone();
        let stored = progress.clone();
        std::thread::Builder::new()
            .name("event-log".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(Error::Db(sqlx::Error::Io(err))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let pool = match db::connect(&database, 1).await {
                        Ok(pool) => pool,
                        Err(err) => {
                            let _ = ready_tx.send(Err(err.into()));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    while let Some(request) = requests.recv().await {
                        let mut pause = FIRST_RETRY;
                        let seq = loop {
                            match write(&pool, &request).await {
                                Ok(seq) => break seq,
                                Err(err) => {
                                    tracing::error!(
                                        design = %request.design, error = %err,
                                        "event not stored yet; retrying"
                                    );
                                    tokio::time::sleep(pause).await;
                                    pause = (pause * 2).min(LAST_RETRY);
                                }
                            }
                        };
                        stored.send_modify(|p| {
                            p.head = p.head.max(seq);
                            p.written += 1;
                        });
                    }
                    pool.close().await;
                });
            })
            .map_err(|err| Error::Db(sqlx::Error::Io(err)))?;
        ready_rx.await.map_err(|_| Error::WriterGone)??;
        Ok(Self {
            inner: Inner::Durable { pool, writer },
            appended: AtomicU64::new(0),
            progress,
        })
    }

    /// Queues one event for the writer (memory: stores it at once).
    pub(super) fn append(&self, actor: Option<i64>, design: &DesignId, payload: Payload) {
        let at = db::now();
        match &self.inner {
            Inner::Memory { events, .. } => {
                let mut events = events.lock().unwrap_or_else(|e| e.into_inner());
                let seq = events.len() as i64 + 1;
                events.push(Event {
                    seq,
                    at,
                    actor,
                    design: design.clone(),
                    payload,
                });
                self.appended.fetch_add(1, Ordering::SeqCst);
                self.progress.send_modify(|p| {
                    p.head = seq;
                    p.written += 1;
                });
            }
            Inner::Durable { writer, .. } => {
                self.appended.fetch_add(1, Ordering::SeqCst);
                let request = Append {
                    at,
                    actor,
                    design: design.clone(),
                    payload,
                };
                if writer.send(request).is_err() {
                    // Only while the process shuts down; the next start reconciles.
                    tracing::error!(%design, "the event writer has stopped; event not stored");
                }
            }
        }
    }

    /// How many appends were made so far.
    pub(super) fn appended(&self) -> u64 {
        self.appended.load(Ordering::SeqCst)
    }

    pub(super) fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// Up to `limit` events after `seq`, oldest first, and the last `seq` read (events this
    /// version cannot read are passed over but still count as read).
    pub async fn after(&self, seq: i64, limit: i64) -> Result<Batch, Error> {
        match &self.inner {
            Inner::Memory { events, .. } => {
                let events = events.lock().unwrap_or_else(|e| e.into_inner());
                let events: Vec<Event> = events
                    .iter()
                    .filter(|e| e.seq > seq)
                    .take(limit.max(0) as usize)
                    .cloned()
                    .collect();
                Ok(Batch {
                    last: events.last().map(|e| e.seq),
                    events,
                })
            }
            Inner::Durable { pool, .. } => {
                let rows = sqlx::query(
                    "SELECT seq, at, actor, design, kind, payload FROM events \
                     WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(seq)
                .bind(limit)
                .fetch_all(pool)
                .await?;
                // An event this version cannot read (a kind from a newer version, a damaged row)
                // is logged and passed over: it must not stop every consumer.
                let last = rows.last().map(|row| row.get::<i64, _>("seq"));
                let events = rows
                    .iter()
                    .filter_map(|row| {
                        decode(
                            row.get("seq"),
                            row.get("at"),
                            row.get("actor"),
                            row.get("design"),
                            row.get("kind"),
                            row.get("payload"),
                        )
                        .inspect_err(|err| tracing::error!(error = %err, "event passed over"))
                        .ok()
                    })
                    .collect();
                Ok(Batch { events, last })
            }
        }
    }

    /// The last event `consumer` applied (0: none).
    pub async fn cursor(&self, consumer: &str) -> Result<i64, Error> {
        match &self.inner {
            Inner::Memory { cursors, .. } => Ok(cursors
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(consumer)
                .copied()
                .unwrap_or(0)),
            Inner::Durable { pool, .. } => Ok(sqlx::query_scalar(
                "SELECT seq FROM event_cursors WHERE consumer = $1",
            )
            .bind(consumer)
            .fetch_optional(pool)
            .await?
            .unwrap_or(0)),
        }
    }

    pub async fn set_cursor(&self, consumer: &str, seq: i64) -> Result<(), Error> {
        match &self.inner {
            Inner::Memory { cursors, .. } => {
                cursors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(consumer.to_owned(), seq);
            }
            Inner::Durable { pool, .. } => {
                sqlx::query(
                    "INSERT INTO event_cursors (consumer, seq) VALUES ($1, $2) \
                     ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq",
                )
                .bind(consumer)
                .bind(seq)
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Every consumer's cursor, by name.
    pub async fn cursors(&self) -> Result<Vec<(String, i64)>, Error> {
        match &self.inner {
            Inner::Memory { cursors, .. } => {
                let mut all: Vec<(String, i64)> = cursors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                all.sort();
                Ok(all)
            }
            Inner::Durable { pool, .. } => Ok(sqlx::query_as(
                "SELECT consumer, seq FROM event_cursors ORDER BY consumer",
            )
            .fetch_all(pool)
            .await?),
        }
    }

    /// The last announced head of every ref: `(design, refname) → commit`.
    pub async fn heads(&self) -> Result<HashMap<(String, String), String>, Error> {
        match &self.inner {
            Inner::Memory { events, .. } => {
                let mut heads = HashMap::new();
                for event in events.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                    match &event.payload {
                        Payload::RefChange { refname, new, .. } => {
                            let key = (event.design.to_string(), refname.clone());
                            match new {
                                Some(new) => heads.insert(key, new.to_string()),
                                None => heads.remove(&key),
                            };
                        }
                        Payload::DesignDeleted => {
                            let design = event.design.to_string();
                            heads.retain(|(d, _), _| *d != design);
                        }
                        _ => {}
                    }
                }
                Ok(heads)
            }
            Inner::Durable { pool, .. } => {
                let rows: Vec<(String, String, String)> =
                    sqlx::query_as("SELECT design, refname, head FROM event_heads")
                        .fetch_all(pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(design, refname, head)| ((design, refname), head))
                    .collect())
            }
        }
    }
}

/// Stores one event and the ref's new last-announced head in one transaction.
async fn write(pool: &db::Pool, request: &Append) -> Result<i64, Error> {
    let (kind, payload) = encode(&request.payload);
    let design = request.design.to_string();
    let mut tx = db::begin_write(pool).await?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO events (at, actor, design, kind, payload) VALUES ($1, $2, $3, $4, $5) \
         RETURNING seq",
    )
    .bind(request.at)
    .bind(request.actor)
    .bind(&design)
    .bind(kind)
    .bind(payload.to_string())
    .fetch_one(&mut *tx)
    .await?;
    match &request.payload {
        Payload::RefChange {
            refname,
            new: Some(new),
            ..
        } => {
            sqlx::query(
                "INSERT INTO event_heads (design, refname, head) VALUES ($1, $2, $3) \
                 ON CONFLICT (design, refname) DO UPDATE SET head = excluded.head",
            )
            .bind(&design)
            .bind(refname)
            .bind(new.to_string())
            .execute(&mut *tx)
            .await?;
        }
        Payload::RefChange {
            refname, new: None, ..
        } => {
            sqlx::query("DELETE FROM event_heads WHERE design = $1 AND refname = $2")
                .bind(&design)
                .bind(refname)
                .execute(&mut *tx)
                .await?;
        }
        Payload::DesignDeleted => {
            sqlx::query("DELETE FROM event_heads WHERE design = $1")
                .bind(&design)
                .execute(&mut *tx)
                .await?;
        }
        Payload::DesignCreated { .. } | Payload::DesignForked { .. } | Payload::Proposal { .. } => {
        }
    }
    tx.commit().await?;
    Ok(seq)
}

fn oid_json(oid: &Option<Oid>) -> Value {
    oid.map_or(Value::Null, |oid| Value::String(oid.to_string()))
}

/// The `kind` and JSON `payload` columns of an event.
pub fn encode(payload: &Payload) -> (&'static str, Value) {
    let value = match payload {
        Payload::RefChange { refname, old, new } => {
            json!({"refname": refname, "old": oid_json(old), "new": oid_json(new)})
        }
        Payload::DesignCreated { network } => json!({ "network": network }),
        Payload::DesignForked { from } => json!({ "from": from.to_string() }),
        Payload::DesignDeleted => json!({}),
        Payload::Proposal { number, action } => {
            let mut value = json!({ "number": number, "action": action.name() });
            match action {
                ProposalAction::Revised { revision } => value["revision"] = json!(revision),
                ProposalAction::Reviewed { review } => value["review"] = json!(review),
                ProposalAction::Merged { commit } => value["commit"] = json!(commit.to_string()),
                _ => {}
            }
            value
        }
    };
    (payload.kind(), value)
}

fn decode(
    seq: i64,
    at: i64,
    actor: Option<i64>,
    design: String,
    kind: String,
    payload: String,
) -> Result<Event, Error> {
    let corrupt = |why: String| Error::Corrupt { seq, why };
    let design = DesignId::parse(&design).map_err(|err| corrupt(err.to_string()))?;
    let value: Value =
        serde_json::from_str(&payload).map_err(|err| corrupt(format!("payload: {err}")))?;
    let text = |key: &str| -> Result<String, Error> {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| corrupt(format!("payload lacks {key}")))
    };
    let oid = |key: &str| -> Result<Option<Oid>, Error> {
        match value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(hex)) => Oid::from_str(hex)
                .map(Some)
                .map_err(|_| corrupt(format!("{key} is not a commit id"))),
            Some(_) => Err(corrupt(format!("{key} is not a commit id"))),
        }
    };
    let payload = match kind.as_str() {
        "ref_change" => Payload::RefChange {
            refname: text("refname")?,
            old: oid("old")?,
            new: oid("new")?,
        },
        "design_created" => Payload::DesignCreated {
            network: text("network")?,
        },
        "design_forked" => Payload::DesignForked {
            from: DesignId::parse(&text("from")?).map_err(|err| corrupt(err.to_string()))?,
        },
        "design_deleted" => Payload::DesignDeleted,
        "proposal" => {
            let int = |key: &str| {
                value
                    .get(key)
                    .and_then(Value::as_i64)
                    .ok_or_else(|| corrupt(format!("payload lacks {key}")))
            };
            let action = match text("action")?.as_str() {
                "opened" => ProposalAction::Opened,
                "edited" => ProposalAction::Edited,
                "revised" => ProposalAction::Revised {
                    revision: int("revision")?,
                },
                "reviewed" => ProposalAction::Reviewed {
                    review: int("review")?,
                },
                "closed" => ProposalAction::Closed,
                "reopened" => ProposalAction::Reopened,
                "merged" => ProposalAction::Merged {
                    commit: oid("commit")?.ok_or_else(|| corrupt("payload lacks commit".into()))?,
                },
                other => return Err(corrupt(format!("unknown proposal action {other:?}"))),
            };
            Payload::Proposal {
                number: int("number")?,
                action,
            }
        }
        other => return Err(corrupt(format!("unknown kind {other:?}"))),
    };
    Ok(Event {
        seq,
        at,
        actor,
        design,
        payload,
    })
}
