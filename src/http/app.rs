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
    /// False until recovery finished and after the journal failed.
    pub ready: AtomicBool,
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
}

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
            let retention = self.retention_ms;
            self.entries.retain(|_, (state, at)| {
                matches!(state, IdempotencyState::InFlight { .. }) || at.plus_ms(retention) > now
            });
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
