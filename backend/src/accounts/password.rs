//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1), always on
//! the blocking pool.
//!
//! Invariant: at most one hash per core runs at once (each holds 19 MiB), and at most
//! [`MAX_WAITING`] more wait; beyond that a hash is refused at once ([`Error::Busy`]), so a
//! burst of sign-ins can neither exhaust memory nor the blocking pool. Hashes run on a fixed set
//! of threads of their own, one per core: on tokio's blocking pool each new thread would get a
//! malloc arena of its own, and every arena would keep a 19 MiB block after its hash.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::{Error, Result};

fn argon2() -> Argon2<'static> {
    // The parameters are constants within argon2's documented bounds.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash checked when the username is unknown, so both failures cost the same.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash("not a real password, only for timing").expect("hashing a constant works")
});

/// Hashes that may wait for a core; more are refused with [`Error::Busy`].
pub const MAX_WAITING: usize = 32;

/// One permit per core.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));
/// Hashes running or waiting.
static QUEUED: AtomicUsize = AtomicUsize::new(0);

/// Runs `work` (one argon2 computation) under the bound.
async fn bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    struct Queued;
    impl Drop for Queued {
        fn drop(&mut self) {
            QUEUED.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let cores = HASHING.available_permits().max(1);
    if QUEUED.fetch_add(1, Ordering::SeqCst) >= cores + MAX_WAITING {
        QUEUED.fetch_sub(1, Ordering::SeqCst);
        return Err(Error::Busy);
    }
    let queued = Queued;
    let permit = HASHING.acquire().await.map_err(|_| Error::Busy)?;
    let (done, result) = tokio::sync::oneshot::channel();
    // The place in the queue and the permit go with the job: a caller that goes away (its
    // client hung up) frees neither before the hash is done, or skipped.
    let job: Job = Box::new(move || {
        let (_queued, _permit) = (queued, permit);
        if !done.is_closed() {
            let _ = done.send(work());
        }
    });
    // A permit is held, so a hashing thread is free for the job.
    HASHERS.send(job).map_err(|_| Error::Busy)?;
    result.await.map_err(|_| Error::Busy)
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads (one per core), fed over one channel.
static HASHERS: LazyLock<std::sync::mpsc::Sender<Job>> = LazyLock::new(|| {
    let (sender, receiver) = std::sync::mpsc::channel::<Job>();
    let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
    for n in 0..cores() {
        let receiver = receiver.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{n}"))
            .spawn(move || {
                loop {
                    let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        // A job that panics loses its answer (the caller sees `Busy`), not
                        // the thread.
                        Ok(job) => {
                            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                        }
                        Err(_) => return,
                    }
                }
            })
            .expect("a hashing thread starts");
    }
    sender
});

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Hash(e.to_string()))
}

fn verify(password: &str, phc: Option<&str>) -> bool {
    let known = phc.is_some();
    let phc = phc.unwrap_or(DUMMY_HASH.as_str());
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && known
}

pub async fn hash_blocking(password: String) -> Result<String> {
    bounded(move || hash(&password)).await?
}

/// Verifies `password` against `phc`, or against a dummy hash when there is none (unknown
/// user), in which case the answer is always `false`.
pub async fn verify_blocking(password: String, phc: Option<String>) -> Result<bool> {
    bounded(move || verify(&password, phc.as_deref())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", Some(&phc)));
        assert!(!verify("wrong horse battery", Some(&phc)));
        assert!(!verify("correct horse battery", None));
        assert!(!verify("anything", Some("!")));
    }
}
