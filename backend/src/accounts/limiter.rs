//! Rate limit of failed sign-ins, per username and per client address: at most
//! [`MAX_FAILURES`] in [`WINDOW_SECS`]. In memory: a restart forgets, which only helps a
//! legitimate user.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 10;
pub const WINDOW_SECS: u64 = 300;
/// Above this many tracked keys, stale ones are swept so memory stays bounded.
const SWEEP_ABOVE: usize = 10_000;

/// Sign-ins are refused for this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct SignInLimiter {
    failures: Arc<Mutex<HashMap<String, VecDeque<Instant>>>>,
}

impl SignInLimiter {
    fn window() -> Duration {
        Duration::from_secs(WINDOW_SECS)
    }

    /// Refuses when any key already has [`MAX_FAILURES`] recent failures.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Limited> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= Self::window())
                {
                    times.pop_front();
                }
                if times.len() >= MAX_FAILURES
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(Self::window() - now.duration_since(*oldest));
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(Limited {
                retry_after: wait.max(Duration::from_secs(1)),
            })
        }
    }

    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < Self::window())
            });
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            times.push_back(now);
            while times.len() > MAX_FAILURES {
                times.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_lock_the_key_until_the_window_passes() {
        let limiter = SignInLimiter::default();
        let keys = ["user:ada".to_owned(), "ip:127.0.0.1".to_owned()];
        let start = Instant::now();
        for n in 0..MAX_FAILURES {
            assert!(limiter.check(&keys, start).is_ok(), "failure {n}");
            limiter.record_failure(&keys, start + Duration::from_secs(n as u64));
        }
        let later = start + Duration::from_secs(20);
        let limited = limiter.check(&keys, later).unwrap_err();
        assert_eq!(limited.retry_after, Duration::from_secs(WINDOW_SECS - 20));
        // Another user from another address is not affected.
        assert!(
            limiter
                .check(&["user:bob".into(), "ip:10.0.0.2".into()], later)
                .is_ok()
        );
        // The same address for another user is.
        assert!(
            limiter
                .check(&["user:bob".into(), "ip:127.0.0.1".into()], later)
                .is_err()
        );
        assert!(
            limiter
                .check(&keys, start + Duration::from_secs(WINDOW_SECS + 1))
                .is_ok()
        );
    }
}
