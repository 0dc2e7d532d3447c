//! Consumers of the log: each reads the events after its stored cursor in batches, applies them
//! and only then moves its cursor. A batch that fails is retried (with a growing pause), never
//! skipped, so a consumer sees every event at least once and in order; consumers are written
//! so that applying an event twice changes nothing.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use super::{Event, Events};

/// Events handed to a consumer at once, at most.
const BATCH: i64 = 256;
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(5);

/// A running consumer's progress. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Consumer {
    applied: watch::Receiver<i64>,
    events: Events,
}

impl Consumer {
    /// The last event applied.
    pub fn applied(&self) -> i64 {
        *self.applied.borrow()
    }

    /// Completes once every event appended before this call has been applied.
    pub async fn settled(&self) {
        let target = self.events.written().await;
        let mut applied = self.applied.clone();
        let _ = applied.wait_for(|seq| *seq >= target).await;
    }

    /// Completes once event `seq` has been applied.
    pub async fn reached(&self, seq: i64) {
        let mut applied = self.applied.clone();
        let _ = applied.wait_for(|applied| *applied >= seq).await;
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Events {
    /// Starts consumer `name`: from its stored cursor, `apply` gets every later event in order,
    /// in batches; the cursor moves only after a batch was applied. Needs a Tokio runtime.
    pub fn follow<F, Fut>(&self, name: &'static str, mut apply: F) -> Consumer
    where
        F: FnMut(Vec<Event>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send,
    {
        let (progress, applied) = watch::channel(0);
        let events = self.clone();
        tokio::spawn(async move {
            let mut cursor = loop {
                match events.log().cursor(name).await {
                    Ok(cursor) => break cursor,
                    Err(err) => {
                        tracing::error!(consumer = name, error = %err, "cannot read the cursor");
                        tokio::time::sleep(LAST_RETRY).await;
                    }
                }
            };
            progress.send_replace(cursor);
            let mut wake = events.watch();
            let mut pause = FIRST_RETRY;
            loop {
                let batch = match events.after(cursor, BATCH).await {
                    Ok(batch) => batch,
                    Err(err) => {
                        tracing::error!(consumer = name, error = %err, "cannot read the log");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(LAST_RETRY);
                        continue;
                    }
                };
                let Some(last) = batch.last else {
                    if wake.wait_for(|p| p.head > cursor).await.is_err() {
                        return;
                    }
                    continue;
                };
                let first = cursor + 1;
                match apply(batch.events).await {
                    Ok(()) => {
                        cursor = last;
                        pause = FIRST_RETRY;
                        if let Err(err) = events.log().set_cursor(name, cursor).await {
                            // Applying again after a restart is harmless.
                            tracing::warn!(consumer = name, error = %err, "cursor not stored");
                        }
                        progress.send_replace(cursor);
                    }
                    Err(err) => {
                        tracing::error!(
                            consumer = name, from = first, to = last, error = %err,
                            "applying events failed; retrying"
                        );
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(LAST_RETRY);
                    }
                }
            }
        });
        Consumer {
            applied,
            events: self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::events::Payload;
    use crate::store::DesignId;

    fn created(events: &Events, n: usize) {
        for i in 0..n {
            let id = DesignId::new("ada", &format!("d{i}")).unwrap();
            events.append(
                None,
                &id,
                Payload::DesignCreated {
                    network: format!("n{i}"),
                },
            );
        }
    }

    #[tokio::test]
    async fn a_failing_event_is_retried_and_never_skipped() {
        let events = Events::new();
        created(&events, 5);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(0));
        let consumer = events.follow("test", {
            let (seen, failures) = (seen.clone(), failures.clone());
            move |batch: Vec<Event>| {
                let (seen, failures) = (seen.clone(), failures.clone());
                async move {
                    for event in batch {
                        // Event 3 fails twice before it goes through.
                        if event.seq == 3 {
                            let mut failed = failures.lock().unwrap();
                            if *failed < 2 {
                                *failed += 1;
                                return Err::<(), BoxError>("not yet".into());
                            }
                        }
                        seen.lock().unwrap().push(event.seq);
                    }
                    Ok(())
                }
            }
        });
        consumer.settled().await;
        assert_eq!(*failures.lock().unwrap(), 2);
        let seen = seen.lock().unwrap().clone();
        // The failed batch is applied again from its start: 1 and 2 are seen again.
        assert_eq!(seen, vec![1, 2, 1, 2, 1, 2, 3, 4, 5]);
        assert_eq!(consumer.applied(), 5);
        assert_eq!(events.log().cursor("test").await.unwrap(), 5);

        // Later events wake the consumer.
        created(&events, 2);
        consumer.settled().await;
        assert_eq!(consumer.applied(), 7);
    }

    #[tokio::test]
    async fn a_consumer_resumes_from_its_stored_cursor() {
        let events = Events::new();
        created(&events, 4);
        events.log().set_cursor("resume", 3).await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let consumer = events.follow("resume", {
            let seen = seen.clone();
            move |batch: Vec<Event>| {
                seen.lock().unwrap().extend(batch.iter().map(|e| e.seq));
                async { Ok::<(), BoxError>(()) }
            }
        });
        consumer.settled().await;
        assert_eq!(*seen.lock().unwrap(), vec![4]);
    }
}
