//! Member passwords: the bounded argon2id hasher and the sign-in and registration throttles.
//!
//! Each hash takes `members.argon2_memory_kib` (19 MiB by default) for tens of milliseconds on
//! a blocking thread, so an unbounded number of them is a memory exhaustion: 200 concurrent
//! wrong passwords once took the server from 64 MB to 1.33 GB. Here at most
//! `argon2_hashes_concurrent_max` hashes run at once; up to `argon2_hash_waiters_max` more wait
//! at most `argon2_hash_wait_ms_max` for a slot; anything beyond is refused at once (503).
//! Rejected alternative: a bounded thread pool of our own, which needs its own queue and
//! shutdown, where two tokio semaphores in front of `spawn_blocking` give both bounds.
//!
//! An unknown e-mail costs one hash too, against a dummy made with the configured cost at
//! start, so the answer's timing does not tell which e-mails are registered. The hasher counts
//! the hashes it runs; tests count those, not milliseconds.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::client::ClientAddr;
use super::error::ApiError;
use super::throttle::{Refused, Rule, Throttle};
use crate::config::MembersConfig;
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// Why a hash did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Every slot and every place in the wait queue is taken, or the wait timed out.
    #[error("the password hasher is busy")]
    Busy,
    /// The hash itself failed (its blocking task panicked, or argon2 refused).
    #[error("the password hash failed")]
    Failed,
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> ApiError {
        match error {
            HashError::Busy => ApiError::Overloaded,
            HashError::Failed => ApiError::Unavailable,
        }
    }
}

/// What the hasher has done, for tests and metrics.
#[derive(Debug, Default)]
struct Counters {
    /// Hashes started (including verifications against the dummy).
    hashes: AtomicU64,
    /// Hashes running now.
    running: AtomicUsize,
    /// The most hashes ever seen running at once.
    running_max: AtomicUsize,
    /// Requests waiting for a slot now.
    waiting: AtomicUsize,
}

/// The bounded argon2id hasher; see the module docs.
pub struct Passwords {
    argon2: argon2::Argon2<'static>,
    /// A hash of a random password with the configured cost: what an unknown e-mail is
    /// verified against.
    dummy: String,
    /// Permits for hashes running and waiting together (`concurrent_max + waiters_max`).
    admitted: Arc<Semaphore>,
    /// Permits for hashes running (`concurrent_max`).
    running: Arc<Semaphore>,
    wait_max: Duration,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// A slot taken by [`Passwords::occupy`].
#[derive(Debug)]
pub struct Occupied {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
}

impl Passwords {
    /// A hasher with the configured cost and bounds. Hashes the dummy once (one hash's time
    /// at start).
    ///
    /// # Errors
    /// `HashError::Failed` when argon2 refuses to hash the dummy (the configuration already
    /// checked its parameters, so this does not happen).
    pub fn new(members: &MembersConfig) -> Result<Passwords, HashError> {
        let argon2 = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            members.argon2_params.clone(),
        );
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let salt = SaltString::generate(&mut OsRng);
        let dummy = argon2
            .hash_password(&secret, &salt)
            .map_err(|_| HashError::Failed)?
            .to_string();
        let concurrent = members.argon2_hashes_concurrent_max;
        Ok(Passwords {
            argon2,
            dummy,
            admitted: Arc::new(Semaphore::new(
                concurrent.saturating_add(members.argon2_hash_waiters_max),
            )),
            running: Arc::new(Semaphore::new(concurrent)),
            wait_max: Duration::from_millis(members.argon2_hash_wait_ms_max),
            counters: Arc::new(Counters::default()),
        })
    }

    /// Hashes a new password (PHC string, random salt).
    ///
    /// # Errors
    /// `Busy` when no slot is free in time, `Failed` when the hash fails.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move |argon2| {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|_| HashError::Failed)
        })
        .await?
    }

    /// Verifies `password` against `stored`; with no stored hash (an unknown e-mail) or one
    /// that does not parse, against the dummy, and answers false: the same cost either way.
    ///
    /// # Errors
    /// `Busy` when no slot is free in time, `Failed` when the hash task fails.
    pub async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let dummy = self.dummy.clone();
        self.run(move |argon2| {
            let parsed = stored.as_deref().and_then(|s| PasswordHash::new(s).ok());
            match parsed {
                Some(hash) => argon2.verify_password(password.as_bytes(), &hash).is_ok(),
                None => {
                    let _ = PasswordHash::new(&dummy)
                        .map(|hash| argon2.verify_password(password.as_bytes(), &hash));
                    false
                }
            }
        })
        .await
    }

    /// Runs `work` on the blocking pool once a slot is free. The permits move into the
    /// blocking task, so a request that goes away mid-hash still holds its slot until the
    /// hash ends: the bound is on hashes running, not on requests waiting for them.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&argon2::Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| {
                metrics::counter!(names::PASSWORD_HASH_REJECTIONS, "reason" => "queue_full")
                    .increment(1);
                HashError::Busy
            })?;
        let running = match Arc::clone(&self.running).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                metrics::counter!(names::PASSWORD_HASH_WAITS).increment(1);
                self.counters.waiting.fetch_add(1, Ordering::Relaxed);
                let waited =
                    tokio::time::timeout(self.wait_max, Arc::clone(&self.running).acquire_owned())
                        .await;
                self.counters.waiting.fetch_sub(1, Ordering::Relaxed);
                match waited {
                    Ok(Ok(permit)) => permit,
                    // The semaphore is never closed; a timeout is the busy case.
                    Ok(Err(_)) | Err(_) => {
                        metrics::counter!(names::PASSWORD_HASH_REJECTIONS, "reason" => "wait_timeout")
                            .increment(1);
                        return Err(HashError::Busy);
                    }
                }
            }
        };
        let argon2 = self.argon2.clone();
        let counters = Arc::clone(&self.counters);
        tokio::task::spawn_blocking(move || {
            let _slots = (admitted, running);
            counters.hashes.fetch_add(1, Ordering::Relaxed);
            let now_running = counters
                .running
                .fetch_add(1, Ordering::AcqRel)
                .saturating_add(1);
            counters
                .running_max
                .fetch_max(now_running, Ordering::AcqRel);
            metrics::counter!(names::PASSWORD_HASHES).increment(1);
            let outcome = work(&argon2);
            counters.running.fetch_sub(1, Ordering::AcqRel);
            outcome
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    /// Hashes run since start (verifications against the dummy included).
    #[must_use]
    pub fn hashes_run(&self) -> u64 {
        self.counters.hashes.load(Ordering::Relaxed)
    }

    /// The most hashes that ever ran at once.
    #[must_use]
    pub fn running_max(&self) -> usize {
        self.counters.running_max.load(Ordering::Acquire)
    }

    /// Requests waiting for a slot now.
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.counters.waiting.load(Ordering::Relaxed)
    }

    /// Takes one hashing slot without hashing, until the result is dropped; `None` when
    /// none is free. For tests that need the hasher busy without depending on how long a
    /// hash takes.
    #[must_use]
    pub fn occupy(&self) -> Option<Occupied> {
        let admitted = Arc::clone(&self.admitted).try_acquire_owned().ok()?;
        let running = Arc::clone(&self.running).try_acquire_owned().ok()?;
        Some(Occupied {
            _admitted: admitted,
            _running: running,
        })
    }
}

/// The sign-in and registration throttles; see `throttle` for the rule.
pub struct Throttles {
    /// Sign-in failures per e-mail (keyed by a keyed hash of it: no e-mail is kept here).
    emails: Mutex<Throttle<u64>>,
    /// Sign-in failures per client address, across e-mails.
    addresses: Mutex<Throttle<ClientAddr>>,
    /// Registrations per client address (every one counts).
    registrations: Mutex<Throttle<ClientAddr>>,
    /// Random per process, so nobody can pick e-mails whose keys collide.
    email_keys: std::hash::RandomState,
}

impl std::fmt::Debug for Throttles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttles").finish_non_exhaustive()
    }
}

/// Which throttle refused, for the metric's label.
fn refused(kind: &'static str, refusal: Refused, now: Timestamp) -> ApiError {
    metrics::counter!(names::ATTEMPTS_THROTTLED, "key" => kind).increment(1);
    ApiError::TooManyAttempts {
        retry_after_s: refusal.retry_after_s(now),
    }
}

impl Throttles {
    /// Empty throttles with the configured rules.
    #[must_use]
    pub fn new(members: &MembersConfig) -> Throttles {
        let keys_max = members.throttle_keys_max;
        Throttles {
            emails: Mutex::new(Throttle::new(
                Rule {
                    failures_max: members.sign_in_failures_per_email_max,
                    window_ms: members.sign_in_failures_per_email_window_ms,
                },
                keys_max,
            )),
            addresses: Mutex::new(Throttle::new(
                Rule {
                    failures_max: members.sign_in_failures_per_address_max,
                    window_ms: members.sign_in_failures_per_address_window_ms,
                },
                keys_max,
            )),
            registrations: Mutex::new(Throttle::new(
                Rule {
                    failures_max: members.registrations_per_address_max,
                    window_ms: members.registrations_per_address_window_ms,
                },
                keys_max,
            )),
            email_keys: std::hash::RandomState::new(),
        }
    }

    /// Reserves a sign-in attempt for a (normalized) e-mail from `client`, before its hash.
    ///
    /// # Errors
    /// `TooManyAttempts` with the seconds to wait, when the address or the e-mail is in its
    /// back-off.
    pub fn begin_sign_in(
        &self,
        email: &str,
        client: ClientAddr,
        now: Timestamp,
    ) -> Result<SignInAttempt<'_>, ApiError> {
        let email = self.email_keys.hash_one(email);
        self.addresses
            .lock()
            .reserve(client, now)
            .map_err(|refusal| refused("address", refusal, now))?;
        if let Err(refusal) = self.emails.lock().reserve(email, now) {
            // Refused before any work: the address is not charged for it.
            self.addresses.lock().give_back(client, now);
            return Err(refused("email", refusal, now));
        }
        Ok(SignInAttempt {
            throttles: self,
            email,
            client,
            resolved: false,
            at: now,
        })
    }

    /// Reserves a registration from `client`, before anything is claimed or hashed.
    ///
    /// # Errors
    /// `TooManyAttempts` when the address is in its back-off.
    pub fn begin_registration(
        &self,
        client: ClientAddr,
        now: Timestamp,
    ) -> Result<Registration<'_>, ApiError> {
        self.registrations
            .lock()
            .reserve(client, now)
            .map_err(|refusal| refused("registration", refusal, now))?;
        Ok(Registration {
            throttles: self,
            client,
            resolved: false,
            at: now,
        })
    }
}

/// A reserved sign-in attempt. Resolve it with `succeeded`, `failed` or `undecided`; dropped
/// unresolved (the client went away mid-hash) it counts as a failure, since the hash it
/// started still runs: hanging up must not buy free guesses.
#[derive(Debug)]
#[must_use = "an attempt dropped unresolved counts as a failure"]
pub struct SignInAttempt<'a> {
    throttles: &'a Throttles,
    email: u64,
    client: ClientAddr,
    resolved: bool,
    /// When it was reserved: the instant a drop records its failure at.
    at: Timestamp,
}

impl SignInAttempt<'_> {
    /// The password was right: the e-mail's failures are forgotten; the address's stay
    /// (signing in to one's own account must not reset the count of guesses at others).
    pub fn succeeded(mut self, now: Timestamp) {
        self.resolved = true;
        self.throttles.emails.lock().forget(self.email, now);
        self.throttles.addresses.lock().give_back(self.client, now);
    }

    /// Wrong password or unknown e-mail: counts for both.
    pub fn failed(mut self, now: Timestamp) {
        self.resolved = true;
        self.record_failure(now);
    }

    /// Nothing was decided (the hasher was busy, the account could not answer): the
    /// attempt is given back to both.
    pub fn undecided(mut self, now: Timestamp) {
        self.resolved = true;
        self.throttles.emails.lock().give_back(self.email, now);
        self.throttles.addresses.lock().give_back(self.client, now);
    }

    fn record_failure(&self, now: Timestamp) {
        self.throttles.emails.lock().record_failure(self.email, now);
        self.throttles
            .addresses
            .lock()
            .record_failure(self.client, now);
    }
}

impl Drop for SignInAttempt<'_> {
    fn drop(&mut self) {
        if !self.resolved {
            self.record_failure(self.at);
        }
    }
}

/// A reserved registration. Every registration that reaches the e-mail check counts (taken
/// or not); only an undecided one (a fault) is given back. Dropped unresolved, it counts.
#[derive(Debug)]
#[must_use = "a registration dropped unresolved counts"]
pub struct Registration<'a> {
    throttles: &'a Throttles,
    client: ClientAddr,
    resolved: bool,
    at: Timestamp,
}

impl Registration<'_> {
    /// The registration was decided (opened, or the e-mail taken): it counts.
    pub fn decided(mut self, now: Timestamp) {
        self.resolved = true;
        self.throttles
            .registrations
            .lock()
            .record_failure(self.client, now);
    }

    /// Nothing was decided (a fault): given back.
    pub fn undecided(mut self, now: Timestamp) {
        self.resolved = true;
        self.throttles
            .registrations
            .lock()
            .give_back(self.client, now);
    }
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        if !self.resolved {
            self.throttles
                .registrations
                .lock()
                .record_failure(self.client, self.at);
        }
    }
}
