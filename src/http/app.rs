//! What every handler shares: the registry, keys, clock, config, the idempotency cache, and
//! the helpers that authenticate callers and talk to actors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix::dev::ToEnvelope;
use actix::prelude::SendError;
use actix::{Actor, Addr, Handler, Message};
use bytes::Bytes;
use dashmap::DashMap;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, HeaderMap};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::oneshot;

use super::error::ApiError;
use crate::actors::messages::{CommandError, ReplyTo};
use crate::actors::registry::{LookupError, Registry, VendorEntry};
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::secret::{self, AdminKey, PseudonymKey};
use crate::crypto::token::{SessionClaims, TokenKeys};
use crate::domain::ids::{AccountId, LoginId, SessionId, VendorId};
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// Shared state of the HTTP layer.
pub struct App {
    /// Actors by id.
    pub registry: Arc<Registry>,
    /// Token sealing keys.
    pub tokens: TokenKeys,
    /// Member pseudonym key.
    pub pseudonyms: PseudonymKey,
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
    /// False until recovery finished and after the journal failed.
    pub ready: AtomicBool,
    /// This run's boot epoch (`crypto::boot`): minted access tokens carry it, and access
    /// checks refuse tokens of any other run, whose spent ids this run never saw.
    pub boot_epoch: u64,
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
    pub fn member(&self, headers: &HeaderMap) -> Result<(AccountId, LoginId, SessionId), ApiError> {
        let presented = bearer(headers).ok_or(ApiError::Unauthenticated)?;
        let now_ms = u64::try_from(self.now().0).unwrap_or(0);
        let claims: SessionClaims = self
            .tokens
            .open(presented, 0, now_ms)
            .map_err(|_| ApiError::Unauthenticated)?;
        Ok((
            AccountId(claims.account),
            LoginId(claims.login),
            SessionId(claims.session),
        ))
    }

    /// The actor of an account.
    ///
    /// # Errors
    /// `NotFound`, or the fault.
    pub fn account(
        &self,
        id: AccountId,
    ) -> Result<Addr<crate::actors::account::AccountActor>, ApiError> {
        self.registry.account(id).map_err(|error| match error {
            LookupError::NotFound => ApiError::NotFound,
            LookupError::Fault(fault) => fault.into(),
        })
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

/// Sends a message without waiting for mailbox room and awaits its reply.
///
/// # Errors
/// `Overloaded` when the mailbox is full; `Unavailable` when the actor is gone; the command's
/// own error otherwise.
pub async fn ask<A, M, T>(addr: &Addr<A>, make: impl FnOnce(ReplyTo<T>) -> M) -> Result<T, ApiError>
where
    A: Actor + Handler<M>,
    A::Context: ToEnvelope<A, M>,
    M: Message<Result = ()> + Send + 'static,
{
    let (reply, answer) = oneshot::channel::<Result<T, CommandError>>();
    addr.try_send(make(reply)).map_err(|error| match error {
        SendError::Full(_) => {
            metrics::counter!(names::MAILBOX_REJECTIONS).increment(1);
            ApiError::Overloaded
        }
        SendError::Closed(_) => ApiError::Unavailable,
    })?;
    answer
        .await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(ApiError::from)
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
pub enum IdempotencyCheck {
    /// First time: process it, then `complete`.
    Proceed,
    /// A retry: answer this.
    Replay(StatusCode, Bytes),
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
    ) -> Result<IdempotencyCheck, ApiError> {
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
        match self.entries.entry((vendor, key.to_owned())) {
            Entry::Vacant(vacant) => {
                vacant.insert((IdempotencyState::InFlight { digest }, now));
                Ok(IdempotencyCheck::Proceed)
            }
            Entry::Occupied(mut occupied) => {
                let (state, at) = occupied.get().clone();
                let expired = at.plus_ms(self.retention_ms) <= now;
                match state {
                    IdempotencyState::Done { .. } if expired => {
                        occupied.insert((IdempotencyState::InFlight { digest }, now));
                        Ok(IdempotencyCheck::Proceed)
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

    /// Stores the complete response of a request that `begin` let proceed. A 503 is not a
    /// complete response (nothing was decided): the key is released for a retry instead.
    pub fn complete(&self, vendor: VendorId, key: &str, status: StatusCode, body: Bytes) {
        let map_key = (vendor, key.to_owned());
        if status == StatusCode::SERVICE_UNAVAILABLE {
            self.entries.remove(&map_key);
            return;
        }
        if let Some(mut entry) = self.entries.get_mut(&map_key)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn done(cache: &IdempotencyCache, key: &str, now: Timestamp) {
        assert!(matches!(
            cache.begin(VendorId(1), key, [1; 32], now),
            Ok(IdempotencyCheck::Proceed)
        ));
        cache.complete(VendorId(1), key, StatusCode::OK, Bytes::from_static(b"{}"));
    }

    #[test]
    fn replays_conflicts_and_in_flight() {
        let cache = IdempotencyCache::new(10, 1_000);
        let now = Timestamp(5_000);
        assert!(matches!(
            cache.begin(VendorId(1), "k", [1; 32], now),
            Ok(IdempotencyCheck::Proceed)
        ));
        assert_eq!(
            cache.begin(VendorId(1), "k", [1; 32], now).err(),
            Some(ApiError::IdempotencyInFlight)
        );
        cache.complete(
            VendorId(1),
            "k",
            StatusCode::PAYMENT_REQUIRED,
            Bytes::from_static(b"first"),
        );
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
            Ok(IdempotencyCheck::Proceed)
        ));
        assert!(matches!(
            cache.begin(VendorId(1), "k", [2; 32], now.plus_ms(1_000)),
            Ok(IdempotencyCheck::Proceed)
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
        assert!(matches!(
            cache.begin(VendorId(1), "c", [1; 32], later),
            Ok(IdempotencyCheck::Proceed)
        ));
        // A 503 is not a complete response: the key is released for a retry.
        cache.complete(
            VendorId(1),
            "c",
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::new(),
        );
        assert!(matches!(
            cache.begin(VendorId(1), "c", [9; 32], later),
            Ok(IdempotencyCheck::Proceed)
        ));
    }
}
