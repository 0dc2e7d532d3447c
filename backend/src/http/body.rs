//! Request bodies read at a pace the server can afford: a body that sends nothing for [`IDLE`],
//! or averages under [`RATE_FLOOR`] bytes a second once [`GRACE`] has passed since it was first
//! read, ends with a [`Stalled`] error, which handlers answer with 408 `request_timeout`.
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

/// A request body with the idle timeout and the rate floor.
pub struct Paced {
    inner: Body,
    /// Fires at the earlier of the idle deadline and the moment the pace falls under the floor.
    alarm: Pin<Box<Sleep>>,
    /// When the body was first read (the handler may start reading late).
    started: Option<Instant>,
    last: Instant,
    bytes: u64,
}

impl Paced {
    pub fn new(inner: Body) -> Self {
        Self {
            inner,
            alarm: Box::pin(tokio::time::sleep(IDLE)),
            started: None,
            last: Instant::now(),
            bytes: 0,
        }
    }

    /// The body's verdict at `now`, and when to look again.
    fn check(&self, started: Instant, now: Instant) -> Result<Instant, Stalled> {
        let idle_deadline = self.last + IDLE;
        if now >= idle_deadline {
            return Err(Stalled::Idle);
        }
        // The average stays at or above the floor until `bytes / floor` seconds have passed.
        let allowed = Duration::from_secs_f64(self.bytes as f64 / RATE_FLOOR as f64).max(GRACE);
        let rate_deadline = started + allowed;
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
        let now = Instant::now();
        let started = *this.started.get_or_insert_with(|| {
            this.last = now;
            now
        });
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.bytes += data.len() as u64;
                    this.last = now;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => loop {
                match this.check(started, Instant::now()) {
                    Err(stalled) => return Poll::Ready(Some(Err(stalled.into()))),
                    Ok(deadline) => {
                        this.alarm.as_mut().reset(deadline);
                        if this.alarm.as_mut().poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                    }
                }
            },
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
