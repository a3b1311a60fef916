//! What every handler shares: the gateway into the actors, keys, clock, config, the
//! idempotency cache, and how callers are authenticated.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use dashmap::DashMap;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, HeaderMap};
use metrics_exporter_prometheus::PrometheusHandle;

use super::client::TrustedProxies;
use super::error::ApiError;
use crate::actors::registry::{Registry, VendorEntry};
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::locator::LocatorKey;
use crate::crypto::secret::{self, AdminKey, PseudonymKey};
use crate::crypto::token::{SessionClaims, TokenKeys};
use crate::domain::ids::{AccountId, AuthorizationId, LoginId, SessionId, VendorId};
use crate::domain::time::Timestamp;

/// Shared state of the HTTP layer.
pub struct App {
    /// The gateway into the actors (commands and queries).
    pub registry: Arc<Registry>,
    /// Token sealing keys.
    pub tokens: TokenKeys,
    /// Member pseudonym key.
    pub pseudonyms: PseudonymKey,
    /// Seals the locator inside authorization ids.
    pub locators: LocatorKey,
    /// The admin's key.
    pub admin_key: AdminKey,
    /// Validated configuration.
    pub config: Config,
    /// Source of `now`.
    pub clock: Arc<dyn Clock>,
    /// Prometheus text.
    pub metrics: PrometheusHandle,
    /// Vendor-scoped idempotency records of complete responses.
    pub idempotency: IdempotencyCache,
    /// Charges saved payment methods (top-offs, added funds).
    pub payments: Arc<dyn crate::payments::PaymentProcessor>,
    /// Base URL browsers reach this server at (buy URLs), without a trailing slash.
    pub public_url: String,
    /// This run's boot epoch: access tokens minted by another run are refused.
    pub boot_epoch: u64,
    /// False until recovery finished and after the journal failed.
    pub ready: AtomicBool,
    /// Proxies whose forwarded address names the client (`server.trusted_proxies`).
    pub trusted_proxies: TrustedProxies,
    /// The bounded password hasher (sign-in, registration).
    pub passwords: super::password::Passwords,
    /// Sign-in and registration throttles per e-mail and per client address.
    pub throttles: super::password::Throttles,
}

/// An authenticated member session, from a session token (the account actor still checks
/// that the session is live).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberSession {
    /// The account.
    pub account: AccountId,
    /// The login that signed in.
    pub login: LoginId,
    /// The session.
    pub session: SessionId,
}

impl App {
    /// The current instant.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// True when the server takes requests that write.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) && !self.registry.env().journal.is_poisoned()
    }

    /// Authenticates a vendor by its API key.
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn vendor(&self, headers: &HeaderMap) -> Result<VendorEntry, ApiError> {
        let presented = bearer(headers).ok_or(ApiError::Unauthenticated)?;
        let vendor_id: VendorId = secret::parse_api_key(presented)
            .and_then(|id| id.parse().ok())
            .ok_or(ApiError::Unauthenticated)?;
        let entry = self
            .registry
            .vendor(vendor_id)
            .ok_or(ApiError::Unauthenticated)?;
        if !secret::verify_api_key(
            &secret::ApiKeyDigest::from_bytes(entry.profile.api_key_digest),
            presented,
        ) {
            return Err(ApiError::Unauthenticated);
        }
        Ok(entry)
    }

    /// Authenticates the admin.
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn admin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let presented = bearer(headers).ok_or(ApiError::Unauthenticated)?;
        if self.admin_key.verify(presented) {
            Ok(())
        } else {
            Err(ApiError::Unauthenticated)
        }
    }

    /// Opens the member's session token; the account actor still checks the session.
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn member(&self, headers: &HeaderMap) -> Result<MemberSession, ApiError> {
        let presented = bearer(headers).ok_or(ApiError::Unauthenticated)?;
        self.open_session(presented)
            .ok_or(ApiError::Unauthenticated)
    }

    /// Opens a session token (from a header, a cookie or a form).
    #[must_use]
    pub fn open_session(&self, token: &str) -> Option<MemberSession> {
        let now_ms = u64::try_from(self.now().0).unwrap_or(0);
        let claims: SessionClaims = self.tokens.open(token, 0, now_ms).ok()?;
        Some(MemberSession {
            account: AccountId(claims.account),
            login: LoginId(claims.login),
            session: SessionId(claims.session),
        })
    }

    /// The wire id of an authorization: it seals the account that holds it, so a lookup
    /// goes to that account without an index, and a vendor learns nothing from it.
    #[must_use]
    pub fn authorization_id(&self, account: AccountId, authorization: AuthorizationId) -> String {
        self.locators.seal_authorization(account.0, authorization.0)
    }

    /// Opens a wire authorization id; `None` for anything this server did not seal.
    #[must_use]
    pub fn open_authorization_id(&self, text: &str) -> Option<(AccountId, AuthorizationId)> {
        self.locators
            .open_authorization(text)
            .map(|(account, authorization)| (AccountId(account), AuthorizationId(authorization)))
    }
}

/// The bearer secret of a request.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// A fresh random id (never zero, so zero can mean "none" in tokens).
#[must_use]
pub fn new_id() -> u64 {
    loop {
        let id: u64 = rand::random();
        if id != 0 {
            return id;
        }
    }
}

/// One vendor-scoped idempotency record.
#[derive(Clone, Debug)]
enum IdempotencyState {
    /// The first request is being processed.
    InFlight { digest: [u8; 32] },
    /// Its complete response.
    Done {
        digest: [u8; 32],
        status: StatusCode,
        body: Bytes,
    },
}

/// Complete responses by vendor and `Idempotency-Key`, bounded in count and kept for the
/// configured retention. The account keeps its own durable record of the purchase, so after a
/// restart a retry still never debits twice; this cache adds the exact first response and the
/// conflicts that need a vendor-wide view (other body, still in flight).
#[derive(Debug)]
pub struct IdempotencyCache {
    entries: DashMap<(VendorId, String), (IdempotencyState, Timestamp)>,
    keys_max: usize,
    retention_ms: u64,
    /// When the full map was last swept for expired records, ms. A sweep visits every entry,
    /// so a full cache sweeps at most once per `SWEEP_INTERVAL_MS` and refuses (503) between
    /// sweeps, instead of costing O(keys) on every request.
    last_sweep_ms: std::sync::atomic::AtomicI64,
}

/// Least time between two sweeps of a full idempotency cache.
const SWEEP_INTERVAL_MS: u64 = 1_000;

/// What to do with a request that carries an idempotency key.
#[derive(Debug)]
pub enum IdempotencyCheck<'a> {
    /// First time: process it, then `complete` the claim (dropping it releases the key).
    Proceed(IdempotencyClaim<'a>),
    /// A retry: answer this.
    Replay(StatusCode, Bytes),
}

/// The claim on a key while its first request is processed. Dropped without
/// [`IdempotencyClaim::complete`] (the handler's future was dropped: the client hung up, the
/// server is stopping), it releases the key, so a retry is processed instead of finding the
/// key "in flight" forever.
#[derive(Debug)]
#[must_use = "a claim releases its key when dropped"]
pub struct IdempotencyClaim<'a> {
    cache: &'a IdempotencyCache,
    key: Option<(VendorId, String)>,
}

impl IdempotencyClaim<'_> {
    /// Stores the complete response. A 503 is not a complete response (nothing was decided):
    /// the key is released for a retry instead.
    pub fn complete(mut self, status: StatusCode, body: Bytes) {
        let Some(key) = self.key.take() else {
            return;
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            self.cache.entries.remove(&key);
            return;
        }
        if let Some(mut entry) = self.cache.entries.get_mut(&key)
            && let IdempotencyState::InFlight { digest } = entry.0
        {
            entry.0 = IdempotencyState::Done {
                digest,
                status,
                body,
            };
        }
    }
}

impl Drop for IdempotencyClaim<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.cache.entries.remove_if(&key, |_, (state, _)| {
                matches!(state, IdempotencyState::InFlight { .. })
            });
        }
    }
}

impl IdempotencyCache {
    /// An empty cache.
    #[must_use]
    pub fn new(keys_max: usize, retention_ms: u64) -> IdempotencyCache {
        IdempotencyCache {
            entries: DashMap::new(),
            keys_max,
            retention_ms,
            last_sweep_ms: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// Keys held (in flight or done).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Claims `key` for a request with body `digest`.
    ///
    /// # Errors
    /// `Reject(IdempotencyKeyReused)` for another body, `IdempotencyInFlight` while the first
    /// is processed, `Overloaded` when the cache is full of live keys.
    pub fn begin(
        &self,
        vendor: VendorId,
        key: &str,
        digest: [u8; 32],
        now: Timestamp,
    ) -> Result<IdempotencyCheck<'_>, ApiError> {
        use dashmap::mapref::entry::Entry;
        if self.entries.len() >= self.keys_max {
            let last = self.last_sweep_ms.load(Ordering::Relaxed);
            let due = Timestamp(last).plus_ms(SWEEP_INTERVAL_MS) <= now;
            if due
                && self
                    .last_sweep_ms
                    .compare_exchange(last, now.0, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                let retention = self.retention_ms;
                self.entries.retain(|_, (state, at)| {
                    matches!(state, IdempotencyState::InFlight { .. })
                        || at.plus_ms(retention) > now
                });
            }
            if self.entries.len() >= self.keys_max {
                return Err(ApiError::Overloaded);
            }
        }
        let map_key = (vendor, key.to_owned());
        let claim = || IdempotencyClaim {
            cache: self,
            key: Some(map_key.clone()),
        };
        match self.entries.entry(map_key.clone()) {
            Entry::Vacant(vacant) => {
                vacant.insert((IdempotencyState::InFlight { digest }, now));
                Ok(IdempotencyCheck::Proceed(claim()))
            }
            Entry::Occupied(mut occupied) => {
                let (state, at) = occupied.get().clone();
                let expired = at.plus_ms(self.retention_ms) <= now;
                match state {
                    IdempotencyState::Done { .. } if expired => {
                        occupied.insert((IdempotencyState::InFlight { digest }, now));
                        drop(occupied);
                        Ok(IdempotencyCheck::Proceed(claim()))
                    }
                    IdempotencyState::InFlight { .. } => Err(ApiError::IdempotencyInFlight),
                    IdempotencyState::Done { digest: first, .. } if first != digest => Err(
                        ApiError::Reject(crate::domain::reject::Reject::IdempotencyKeyReused),
                    ),
                    IdempotencyState::Done { status, body, .. } => {
                        Ok(IdempotencyCheck::Replay(status, body))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(cache: &IdempotencyCache, key: &str, now: Timestamp) {
        match cache.begin(VendorId(1), key, [1; 32], now) {
            Ok(IdempotencyCheck::Proceed(claim)) => {
                claim.complete(StatusCode::OK, Bytes::from_static(b"{}"));
            }
            other => panic!("expected to proceed, got {other:?}"),
        }
    }

    #[test]
    fn replays_conflicts_and_in_flight() {
        let cache = IdempotencyCache::new(10, 1_000);
        let now = Timestamp(5_000);
        let Ok(IdempotencyCheck::Proceed(claim)) = cache.begin(VendorId(1), "k", [1; 32], now)
        else {
            panic!("the first request proceeds");
        };
        assert_eq!(
            cache.begin(VendorId(1), "k", [1; 32], now).err(),
            Some(ApiError::IdempotencyInFlight)
        );
        claim.complete(StatusCode::PAYMENT_REQUIRED, Bytes::from_static(b"first"));
        match cache.begin(VendorId(1), "k", [1; 32], now) {
            Ok(IdempotencyCheck::Replay(status, body)) => {
                assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
                assert_eq!(body, Bytes::from_static(b"first"));
            }
            other => panic!("expected a replay, got {other:?}"),
        }
        assert_eq!(
            cache.begin(VendorId(1), "k", [2; 32], now).err(),
            Some(ApiError::Reject(
                crate::domain::reject::Reject::IdempotencyKeyReused
            ))
        );
        // Keys are per vendor; a record past retention lets the key be used afresh.
        assert!(matches!(
            cache.begin(VendorId(2), "k", [2; 32], now),
            Ok(IdempotencyCheck::Proceed(_))
        ));
        assert!(matches!(
            cache.begin(VendorId(1), "k", [2; 32], now.plus_ms(1_000)),
            Ok(IdempotencyCheck::Proceed(_))
        ));
    }

    #[test]
    fn a_dropped_claim_releases_its_key() {
        let cache = IdempotencyCache::new(10, 1_000);
        let now = Timestamp(5_000);
        let first = cache.begin(VendorId(1), "k", [1; 32], now);
        assert!(matches!(first, Ok(IdempotencyCheck::Proceed(_))));
        // The handler's future was dropped between begin and complete.
        drop(first);
        assert!(cache.is_empty(), "the slot is free again");
        assert!(
            matches!(
                cache.begin(VendorId(1), "k", [1; 32], now),
                Ok(IdempotencyCheck::Proceed(_))
            ),
            "a retry is processed, not refused as in flight"
        );
        // One step away: a completed claim stays and replays.
        done(&cache, "done", now);
        assert!(matches!(
            cache.begin(VendorId(1), "done", [1; 32], now),
            Ok(IdempotencyCheck::Replay(..))
        ));
    }

    #[test]
    fn a_full_cache_refuses_until_a_sweep_frees_room() {
        let cache = IdempotencyCache::new(2, 1_000);
        let start = Timestamp(10_000);
        done(&cache, "a", start);
        done(&cache, "b", start);
        // The first full hit, at +600 ms, sweeps and finds nothing expired. At +1000 ms the
        // records have expired, but the next sweep is not due until +1600 ms: still refused.
        let swept = start.plus_ms(600);
        let refused = |at: Timestamp| cache.begin(VendorId(1), "c", [1; 32], at).err();
        assert_eq!(refused(swept), Some(ApiError::Overloaded));
        assert_eq!(refused(start.plus_ms(1_000)), Some(ApiError::Overloaded));
        let later = swept.plus_ms(1_000);
        let Ok(IdempotencyCheck::Proceed(claim)) = cache.begin(VendorId(1), "c", [1; 32], later)
        else {
            panic!("a sweep made room");
        };
        // A 503 is not a complete response: the key is released for a retry.
        claim.complete(StatusCode::SERVICE_UNAVAILABLE, Bytes::new());
        assert!(matches!(
            cache.begin(VendorId(1), "c", [9; 32], later),
            Ok(IdempotencyCheck::Proceed(_))
        ));
    }
}
