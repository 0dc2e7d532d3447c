//! Rate limits in memory: failed sign-ins per username and per client address (at most
//! [`MAX_FAILURES`] in [`WINDOW_SECS`]), and the same mechanism, with its own numbers, for
//! sign-ups per address and password changes per account. A restart forgets, which only helps
//! a legitimate user.
//!
//! Invariant: an attempt is counted *before* the expensive check it guards ([`Limiter::attempt`])
//! and uncounted only when it succeeded, so parallel attempts cannot all pass the check.

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

/// Counts events per key in a sliding window and refuses keys over their limit.
#[derive(Debug, Clone)]
pub struct Limiter {
    failures: Arc<Mutex<HashMap<String, VecDeque<Instant>>>>,
    max: usize,
    window: Duration,
}

/// The sign-in limiter: [`MAX_FAILURES`] failures in [`WINDOW_SECS`].
pub type SignInLimiter = Limiter;

impl Default for Limiter {
    fn default() -> Self {
        Self::new(MAX_FAILURES, Duration::from_secs(WINDOW_SECS))
    }
}

/// An attempt counted in advance; [`Attempt::succeeded`] takes it back.
#[derive(Debug)]
pub struct Attempt {
    limiter: Limiter,
    keys: Vec<String>,
    at: Instant,
}

impl Attempt {
    /// The guarded action succeeded: it does not count against the keys.
    pub fn succeeded(self) {
        let mut map = self
            .limiter
            .failures
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for key in &self.keys {
            if let Some(times) = map.get_mut(key)
                && let Some(i) = times.iter().rposition(|t| *t == self.at)
            {
                times.remove(i);
            }
        }
    }
}

impl Limiter {
    /// At most `max` events per key in `window`.
    pub fn new(max: usize, window: Duration) -> Self {
        Self {
            failures: Arc::default(),
            max,
            window,
        }
    }

    fn window(&self) -> Duration {
        self.window
    }

    /// Checks the keys and counts this attempt against them in one step: refused when any key
    /// is at its limit. Counted as a failure unless [`Attempt::succeeded`] is called.
    pub fn attempt(&self, keys: &[String], now: Instant) -> Result<Attempt, Limited> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.check_locked(&mut map, keys, now)?;
        self.record_locked(&mut map, keys, now);
        Ok(Attempt {
            limiter: self.clone(),
            keys: keys.to_vec(),
            at: now,
        })
    }

    /// Refuses when any key already has its limit of recent failures.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Limited> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        self.check_locked(&mut map, keys, now)
    }

    fn check_locked(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        keys: &[String],
        now: Instant,
    ) -> Result<(), Limited> {
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window())
                {
                    times.pop_front();
                }
                if times.len() >= self.max
                    && let Some(oldest) = times.front()
                {
                    wait = wait.max(self.window().saturating_sub(now.duration_since(*oldest)));
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
        self.record_locked(&mut map, keys, now);
    }

    fn record_locked(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        keys: &[String],
        now: Instant,
    ) {
        if map.len() > SWEEP_ABOVE {
            let window = self.window();
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            times.push_back(now);
            while times.len() > self.max {
                times.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_attempts_are_counted_before_they_are_checked() {
        let limiter = Limiter::default();
        let keys = ["user:ada".to_owned()];
        let now = Instant::now();
        let threads: Vec<_> = (0..200)
            .map(|_| {
                let (limiter, keys) = (limiter.clone(), keys.clone());
                std::thread::spawn(move || limiter.attempt(&keys, now).is_ok())
            })
            .collect();
        let passed = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|passed| *passed)
            .count();
        assert_eq!(passed, MAX_FAILURES);
        // A success gives its slot back.
        let limiter = Limiter::new(2, Duration::from_secs(60));
        limiter.attempt(&keys, now).unwrap().succeeded();
        limiter.attempt(&keys, now).unwrap().succeeded();
        let _failed = limiter.attempt(&keys, now).unwrap();
        let _failed_too = limiter.attempt(&keys, now).unwrap();
        assert!(limiter.attempt(&keys, now).is_err());
    }

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
