//! Request bodies read at a pace the server can afford: a body that sends nothing for [`IDLE`],
//! or averages under [`RATE_FLOOR`] bytes a second once it has waited [`GRACE`] for its client,
//! ends with a [`Stalled`] error, which handlers answer with 408 `request_timeout`.
//!
//! Invariant: every request body the server reads passes through [`Paced`] (set in
//! `server::serve`), and bodies are read on the async side only, so a client that trickles holds
//! a task and a buffer, never a blocking thread, and not for long.

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use hyper::body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The longest a body may send nothing.
pub const IDLE: Duration = Duration::from_secs(20);
/// How long a body may take before [`RATE_FLOOR`] applies.
pub const GRACE: Duration = Duration::from_secs(30);
/// The slowest average pace accepted after [`GRACE`], in bytes per second (64 kbit/s).
pub const RATE_FLOOR: u64 = 8 * 1024;

/// Why a body was cut off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Stalled {
    #[error("the request body sent nothing for {} seconds", IDLE.as_secs())]
    Idle,
    #[error(
        "the request body arrived slower than {} KiB/s after its first {} seconds",
        RATE_FLOOR / 1024,
        GRACE.as_secs()
    )]
    TooSlow,
}

impl Stalled {
    /// The `Stalled` somewhere in `err`'s chain of sources (axum wraps body errors in its
    /// rejections and multipart errors).
    pub fn find(err: &(dyn std::error::Error + 'static)) -> Option<Stalled> {
        let mut next = Some(err);
        while let Some(err) = next {
            if let Some(stalled) = err.downcast_ref::<Stalled>() {
                return Some(*stalled);
            }
            next = err.source();
        }
        None
    }
}

/// A request body with the idle timeout and the rate floor. Only the time spent waiting for the
/// client counts: a handler that reads late, or slowly (writing a spool file), is not the
/// client's fault.
pub struct Paced {
    inner: Body,
    /// Fires at the earlier of the idle deadline and the moment the pace falls under the floor.
    alarm: Pin<Box<Sleep>>,
    /// Since when the body has been waiting for the client (while it has).
    pending_since: Option<Instant>,
    /// Time spent waiting for the client, in all and since its last bytes.
    client: Duration,
    since_data: Duration,
    bytes: u64,
}

impl Paced {
    pub fn new(inner: Body) -> Self {
        Self {
            inner,
            alarm: Box::pin(tokio::time::sleep(IDLE)),
            pending_since: None,
            client: Duration::ZERO,
            since_data: Duration::ZERO,
            bytes: 0,
        }
    }

    /// The verdict on a body that has waited for the client since `since`, at `now`; else when
    /// to look again.
    fn check(&self, since: Instant, now: Instant) -> Result<Instant, Stalled> {
        let idle_deadline = since + IDLE.saturating_sub(self.since_data);
        if now >= idle_deadline {
            return Err(Stalled::Idle);
        }
        // The average stays at or above the floor until `bytes / floor` seconds have passed.
        let allowed = Duration::from_secs_f64(self.bytes as f64 / RATE_FLOOR as f64).max(GRACE);
        let rate_deadline = since + allowed.saturating_sub(self.client);
        if now >= rate_deadline {
            return Err(Stalled::TooSlow);
        }
        Ok(idle_deadline.min(rate_deadline))
    }
}

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(since) = this.pending_since.take() {
            let waited = Instant::now().saturating_duration_since(since);
            this.client += waited;
            this.since_data += waited;
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.bytes += data.len() as u64;
                    this.since_data = Duration::ZERO;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let since = Instant::now();
                this.pending_since = Some(since);
                loop {
                    match this.check(since, Instant::now()) {
                        Err(stalled) => return Poll::Ready(Some(Err(stalled.into()))),
                        Ok(deadline) => {
                            this.alarm.as_mut().reset(deadline);
                            if this.alarm.as_mut().poll(cx).is_pending() {
                                return Poll::Pending;
                            }
                        }
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    /// A body fed by hand: `(sender, body)`.
    fn channel() -> (
        tokio::sync::mpsc::Sender<Result<Frame<Bytes>, std::io::Error>>,
        Paced,
    ) {
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let stream = tokio_stream(receiver);
        (
            sender,
            Paced::new(Body::new(http_body_util::StreamBody::new(stream))),
        )
    }

    fn tokio_stream(
        mut receiver: tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>,
    ) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, std::io::Error>> {
        futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
    }

    async fn next_error(body: &mut Paced) -> Option<Stalled> {
        loop {
            match body.frame().await {
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Stalled::find(&*err),
                None => return None,
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_sends_nothing_is_cut_off_after_the_idle_time() {
        let (sender, mut body) = channel();
        sender
            .send(Ok(Frame::data(Bytes::from_static(b"start"))))
            .await
            .unwrap();
        let started = Instant::now();
        assert_eq!(next_error(&mut body).await, Some(Stalled::Idle));
        assert_eq!(started.elapsed().as_secs(), IDLE.as_secs());
        drop(sender);
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_cut_off_once_it_falls_under_the_floor() {
        let (sender, mut body) = channel();
        let feeder = tokio::spawn(async move {
            // One byte every 10 s: never idle long enough, far too slow.
            loop {
                if sender
                    .send(Ok(Frame::data(Bytes::from_static(b"x"))))
                    .await
                    .is_err()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        });
        let started = Instant::now();
        assert_eq!(next_error(&mut body).await, Some(Stalled::TooSlow));
        assert_eq!(started.elapsed().as_secs(), GRACE.as_secs());
        drop(body);
        feeder.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_handler_that_reads_slowly_does_not_count_against_the_client() {
        let (sender, mut body) = channel();
        // The client has sent everything there is room for (the channel holds 4 frames) …
        let feeder = tokio::spawn(async move {
            for _ in 0..8 {
                let chunk = Bytes::from_static(b"x");
                if sender.send(Ok(Frame::data(chunk))).await.is_err() {
                    break;
                }
            }
        });
        // … while the handler takes a minute per frame: 8 bytes in 8 minutes, far under the
        // floor, but all of that time was the handler's.
        let mut received = 0;
        while let Some(frame) = body.frame().await {
            received += frame.unwrap().into_data().unwrap().len();
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        assert_eq!(received, 8);
        feeder.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_at_a_steady_pace_above_the_floor_arrives_whole() {
        let (sender, mut body) = channel();
        let feeder = tokio::spawn(async move {
            // 16 KiB a second for a minute.
            for _ in 0..60 {
                let chunk = Bytes::from(vec![7u8; 16 * 1024]);
                sender.send(Ok(Frame::data(chunk))).await.unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let mut received = 0;
        while let Some(frame) = body.frame().await {
            received += frame.unwrap().into_data().unwrap().len();
        }
        assert_eq!(received, 60 * 16 * 1024);
        feeder.await.unwrap();
    }
}
