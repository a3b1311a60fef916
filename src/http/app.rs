//! What every handler shares: the gateway into the actors, keys, clock, config, the
//! idempotency cache, and how callers are authenticated.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};

use bytes::Bytes;
use dashmap::DashMap;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, HeaderMap};
use metrics_exporter_prometheus::PrometheusHandle;

use super::client::TrustedProxies;
use super::error::ApiError;
use super::routes::Principal;
use crate::actors::registry::{Registry, VendorEntry};
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::locator::LocatorKey;
use crate::crypto::secret::{self, AdminKey, PseudonymKey};
use crate::crypto::token::{OperatorClaims, SessionClaims, TokenKeys, VendorAdminClaims};
use crate::domain::ids::{
    AccountId, AuthorizationId, LoginId, OperatorId, Owner, SessionId, VendorId,
};
use crate::domain::reject::Reject;
use crate::domain::security::Staff;
use crate::domain::time::Timestamp;
use crate::domain::vendor_standing::VendorStatus;
use crate::web::account::AccountOffice;
use crate::web::back_office::BackOffice;
use crate::web::vendor_office::VendorOffice;

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
    /// Bank debits accepted and waiting to settle.
    pub settlements: crate::payments::Settlements,
    /// Settlement runs: the bank-data key, the payments outbox, the MSP's account.
    pub payouts: Arc<crate::payouts::Payouts>,
    /// The daily summary mail: its outbox and the lock that keeps its runs apart.
    pub daily_summaries: Arc<crate::daily_summary::DailySummaries>,
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
    /// The login is the account's holder (sealed in the token: a login's role never
    /// changes).
    pub holder: bool,
}

impl App {
    /// The current instant.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Charges a saved method and credits `account` (see `crate::payments::deposit`).
    ///
    /// # Errors
    /// Those of `crate::payments::deposit`.
    pub async fn deposit(
        &self,
        account: crate::domain::ids::AccountId,
        command: crate::domain::account::StartDeposit,
    ) -> Result<crate::payments::Deposited, crate::payments::DepositError> {
        crate::payments::deposit(
            &self.registry,
            self.payments.as_ref(),
            &self.settlements,
            account,
            command,
            self.now(),
        )
        .await
    }

    /// True when the server takes requests that write.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire) && !self.registry.env().journal.is_poisoned()
    }

    /// Authenticates a vendor by its API key, `presented`, which names `vendor_id`.
    ///
    /// # Errors
    /// `Unauthenticated`; `VendorNotApproved`.
    fn vendor_by_key(&self, presented: &str, vendor_id: VendorId) -> Result<VendorEntry, ApiError> {
        let entry = self
            .registry
            .vendor(vendor_id)
            .ok_or(ApiError::Unauthenticated)?;
        let standing = entry.standing.read().clone();
        let now = self.now();
        let valid = standing.valid_digests(now).any(|digest| {
            secret::verify_api_key(&secret::ApiKeyDigest::from_bytes(*digest), presented)
        });
        if !valid {
            return Err(ApiError::Unauthenticated);
        }
        // Checked after the key, so an unapproved vendor's status is told only to itself.
        if standing.status != VendorStatus::Approved {
            return Err(ApiError::Reject(Reject::VendorNotApproved));
        }
        Ok(entry)
    }

    /// Authenticates a vendor route's caller: the vendor's API key, or the
    /// session token of one of its admins, whose functions the router then checks.
    ///
    /// # Errors
    /// `Unauthenticated`; `VendorNotApproved` for a vendor not (or no longer) approved.
    pub fn vendor_principal(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        let presented = bearer(headers).ok_or(ApiError::Unauthenticated)?;
        // The key is parsed once: this is every authorize call's path.
        match secret::parse_api_key(presented) {
            Some(id) => {
                let vendor_id: VendorId = id.parse().map_err(|_| ApiError::Unauthenticated)?;
                self.vendor_by_key(presented, vendor_id)
                    .map(Principal::Vendor)
            }
            None => self.vendor_admin(presented),
        }
    }

    /// Authenticates a caller of the vendor office's pages (`/vendor-office/...`): the bearer
    /// as [`App::vendor_principal`] when the request carries one, else a vendor admin's session
    /// token from the vendor office's cookie, as [`App::admin_page`] does for operators. Never
    /// an API key from the cookie: the key holds every vendor function for as long as it
    /// lives and no sign-in page ever puts it there, so a cookie carrying one was planted.
    ///
    /// # Errors
    /// `Unauthenticated`; `VendorNotApproved` for a vendor not (or no longer) approved.
    pub fn vendor_page(&self, headers: &HeaderMap) -> Result<Principal, ApiError> {
        if bearer(headers).is_some() {
            return self.vendor_principal(headers);
        }
        let cookies = super::buy_window::parse_cookies(headers);
        let secure = self.config.buy_window.secure_cookies;
        let name = super::office::session_cookie_name::<VendorOffice>(secure);
        let token = cookies.get(name).ok_or(ApiError::Unauthenticated)?;
        self.vendor_admin(token)
    }

    /// The vendor admin whose session token `presented` is, with their vendor.
    fn vendor_admin(&self, presented: &str) -> Result<Principal, ApiError> {
        let now_ms = u64::try_from(self.now().0).unwrap_or(0);
        let claims: VendorAdminClaims = self
            .tokens
            .open(presented, 0, now_ms)
            .map_err(|_| ApiError::Unauthenticated)?;
        let (admin, vendor) = (OperatorId(claims.admin), VendorId(claims.vendor));
        let known = self
            .registry
            .back_office_state()
            .staffing
            .vendor_admins
            .get(&admin)
            .is_some_and(|found| found.vendor == vendor);
        let entry = self
            .registry
            .vendor(vendor)
            .filter(|_| known)
            .ok_or(ApiError::Unauthenticated)?;
        if entry.standing.read().status != VendorStatus::Approved {
            return Err(ApiError::Reject(Reject::VendorNotApproved));
        }
        Ok(Principal::VendorAdmin(entry, admin))
    }

    /// Authenticates the back office's caller: the admin key, or an operator's session
    /// token.
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn admin(&self, headers: &HeaderMap) -> Result<Staff, ApiError> {
        let presented = bearer(headers).ok_or(ApiError::Unauthenticated)?;
        if self.admin_key.verify(presented) {
            return Ok(Staff::AdminKey);
        }
        self.operator(presented)
    }

    /// Authenticates a caller of the back office's pages (`/back-office/...`): the bearer as
    /// [`App::admin`] when the request carries one, else an operator's session token from the
    /// back-office cookie. Only an operator's token is read from the cookie, never the admin
    /// key, and only on the pages: there every form is checked against its CSRF token, which
    /// `/admin/v1/*` does not do, so the JSON routes keep taking a bearer alone (a page of a
    /// sibling subdomain is "same site" and would send a `SameSite=Strict` cookie along).
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn admin_page(&self, headers: &HeaderMap) -> Result<Staff, ApiError> {
        if bearer(headers).is_some() {
            return self.admin(headers);
        }
        let cookies = super::buy_window::parse_cookies(headers);
        let secure = self.config.buy_window.secure_cookies;
        let name = super::office::session_cookie_name::<BackOffice>(secure);
        let token = cookies.get(name).ok_or(ApiError::Unauthenticated)?;
        self.operator(token)
    }

    /// The operator whose session token `presented` is.
    fn operator(&self, presented: &str) -> Result<Staff, ApiError> {
        let now_ms = u64::try_from(self.now().0).unwrap_or(0);
        let claims: OperatorClaims = self
            .tokens
            .open(presented, 0, now_ms)
            .map_err(|_| ApiError::Unauthenticated)?;
        let operator = OperatorId(claims.operator);
        // An operator removed from the books (none can be today) signs in as nobody.
        if !self
            .registry
            .back_office_state()
            .staffing
            .operators
            .contains_key(&operator)
        {
            return Err(ApiError::Unauthenticated);
        }
        Ok(Staff::Operator(operator))
    }

    /// Checks that `staff` holds `function` now (their groups as they are at this call).
    ///
    /// # Errors
    /// `FunctionNotGranted` naming the function.
    pub fn check_function(&self, staff: Staff, function: &'static str) -> Result<(), ApiError> {
        if staff == Staff::AdminKey {
            return Ok(());
        }
        let grants = self.registry.back_office_state().staffing.grants(staff);
        if grants.holds(function) {
            Ok(())
        } else {
            Err(ApiError::FunctionNotGranted(function))
        }
    }

    /// Checks the caller may read `/metrics`: anyone when `metrics.token` is unset, else only
    /// a caller presenting it as its bearer.
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn metrics_reader(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(token) = &self.config.metrics.token else {
            return Ok(());
        };
        match bearer(headers) {
            Some(presented) if token.verify(presented) => Ok(()),
            _ => Err(ApiError::Unauthenticated),
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

    /// Authenticates a caller of the account pages (`/account/...`): the bearer as
    /// [`App::member`] when the request carries one, else the session token of the member
    /// session cookie the account pages share with the buy window. Read only on those pages
    /// and the buy window's, whose forms carry CSRF tokens; the JSON routes take a bearer
    /// alone. Only opens the token: the account actor decides whether the session is live.
    ///
    /// # Errors
    /// `Unauthenticated`.
    pub fn member_page(&self, headers: &HeaderMap) -> Result<MemberSession, ApiError> {
        if bearer(headers).is_some() {
            return self.member(headers);
        }
        let cookies = super::buy_window::parse_cookies(headers);
        let secure = self.config.buy_window.secure_cookies;
        let name = super::office::session_cookie_name::<AccountOffice>(secure);
        let token = cookies.get(name).ok_or(ApiError::Unauthenticated)?;
        self.open_session(token).ok_or(ApiError::Unauthenticated)
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
            holder: claims.holder,
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

    /// The wire id of the dispute of `authorization` of `account`.
    #[must_use]
    pub fn dispute_id(&self, account: AccountId, authorization: AuthorizationId) -> String {
        self.locators.seal_dispute(account.0, authorization.0)
    }

    /// Opens a wire dispute id; `None` for anything this server did not seal.
    #[must_use]
    pub fn open_dispute_id(&self, text: &str) -> Option<(AccountId, AuthorizationId)> {
        self.locators
            .open_dispute(text)
            .map(|(account, authorization)| (AccountId(account), AuthorizationId(authorization)))
    }
}

/// The bearer secret of a request.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
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
    Done { digest: [u8; 32], response: Replay },
}

/// A kept response, answered again to a retry: exactly what the first request was answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// The first answer's status.
    pub status: StatusCode,
    /// The first answer's `Content-Type`: a problem stays `application/problem+json`.
    pub content_type: &'static str,
    /// The first answer's body, byte for byte.
    pub body: Bytes,
}

/// Complete responses by vendor and `Idempotency-Key`, bounded in count (in all and per
/// vendor) and kept for the configured retention. The account keeps its own durable record of
/// the purchase, so after a restart a retry still never debits twice; this cache adds the exact
/// first response and the conflicts that need a vendor-wide view (other body, still in flight).
///
/// The counts are atomics kept beside the map rather than `DashMap::len`, which takes every
/// shard's lock: one atomic add per new key instead of a lock sweep per keyed request.
#[derive(Debug)]
pub struct IdempotencyCache {
    entries: DashMap<(KeyScope, String), (IdempotencyState, Timestamp)>,
    /// Keys held (in flight or done), all vendors: the entries of `entries`.
    held: AtomicUsize,
    /// Keys held per vendor. One small entry per vendor that ever sent a key; vendors are
    /// registered by the admin, so this is bounded by the vendors there are.
    held_by_vendor: DashMap<Owner, AtomicUsize>,
    keys_max: usize,
    keys_per_vendor_max: usize,
    retention_ms: u64,
    /// When the full map was last swept for expired records, ms. A sweep visits every entry,
    /// so a full cache (or a vendor at its quota) sweeps at most once per
    /// `SWEEP_INTERVAL_MS` and refuses between sweeps, instead of costing O(keys) on every
    /// request.
    last_sweep_ms: AtomicI64,
}

/// Whose `Idempotency-Key`s, for which routes: a vendor's keys cover all its routes; a
/// member's are scoped to one route. Quotas count per caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyScope {
    /// The vendor or the member account.
    pub caller: Owner,
    /// The route (empty for a vendor: one key space for all its routes).
    pub route: &'static str,
}

impl From<VendorId> for KeyScope {
    fn from(vendor: VendorId) -> KeyScope {
        KeyScope {
            caller: Owner::Vendor(vendor),
            route: "",
        }
    }
}

/// Least time between two sweeps of the idempotency cache.
const SWEEP_INTERVAL_MS: u64 = 1_000;

/// What to do with a request that carries an idempotency key.
#[derive(Debug)]
pub enum IdempotencyCheck<'a> {
    /// First time: process it, then `complete` the claim (dropping it releases the key).
    Proceed(IdempotencyClaim<'a>),
    /// A retry: answer this.
    Replay(Replay),
}

/// The claim on a key while its first request is processed. Dropped without
/// [`IdempotencyClaim::complete`] (the handler's future was dropped: the client hung up, the
/// server is stopping), it releases the key, so a retry is processed instead of finding the
/// key "in flight" forever.
#[derive(Debug)]
#[must_use = "a claim releases its key when dropped"]
pub struct IdempotencyClaim<'a> {
    cache: &'a IdempotencyCache,
    key: Option<(KeyScope, String)>,
}

/// True for an answer that is kept and replayed. A 5xx (nothing was decided, or the server
/// failed), a 408 (the request was not read) and a 429 (the caller was told to come back) say
/// nothing about the request itself: their key is released, so a retry runs again.
#[must_use]
pub fn is_kept(status: StatusCode) -> bool {
    !(status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS)
}

impl IdempotencyClaim<'_> {
    /// Stores the complete response, or releases the key when the answer is not kept
    /// ([`is_kept`]).
    pub fn complete(mut self, response: Replay) {
        let Some(key) = self.key.take() else {
            return;
        };
        if !is_kept(response.status) {
            if self.cache.entries.remove(&key).is_some() {
                self.cache.release(key.0.caller);
            }
            return;
        }
        if let Some(mut entry) = self.cache.entries.get_mut(&key)
            && let IdempotencyState::InFlight { digest } = entry.0
        {
            entry.0 = IdempotencyState::Done { digest, response };
        }
    }
}

impl Drop for IdempotencyClaim<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take()
            && self
                .cache
                .entries
                .remove_if(&key, |_, (state, _)| {
                    matches!(state, IdempotencyState::InFlight { .. })
                })
                .is_some()
        {
            self.cache.release(key.0.caller);
        }
    }
}

/// A first try at claiming a key: done, or refused for room (a sweep may make some).
enum Attempt<'a> {
    Done(IdempotencyCheck<'a>),
    NoRoom(ApiError),
}

impl IdempotencyCache {
    /// An empty cache holding at most `keys_max` keys, `keys_per_vendor_max` of one vendor.
    #[must_use]
    pub fn new(keys_max: usize, keys_per_vendor_max: usize, retention_ms: u64) -> IdempotencyCache {
        IdempotencyCache {
            entries: DashMap::new(),
            held: AtomicUsize::new(0),
            held_by_vendor: DashMap::new(),
            keys_max,
            keys_per_vendor_max,
            retention_ms,
            last_sweep_ms: AtomicI64::new(i64::MIN),
        }
    }

    /// Keys held (in flight or done), all vendors.
    #[must_use]
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Keys the caller of `scope` holds (in flight or done), over all its routes.
    #[must_use]
    pub fn held_by(&self, scope: impl Into<KeyScope>) -> usize {
        self.held_by_vendor
            .get(&scope.into().caller)
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }

    /// Claims `key` for a request with body `digest`.
    ///
    /// # Errors
    /// `Reject(IdempotencyKeyReused)` for another body, `IdempotencyInFlight` while the first
    /// is processed, `IdempotencyQuotaExceeded` when the vendor holds its quota of live keys,
    /// `Overloaded` when the whole cache is full of live keys. A retry of a kept key is
    /// answered whatever the counts.
    pub fn begin(
        &self,
        scope: impl Into<KeyScope>,
        key: &str,
        digest: [u8; 32],
        now: Timestamp,
    ) -> Result<IdempotencyCheck<'_>, ApiError> {
        let scope = scope.into();
        match self.attempt(scope, key, digest, now)? {
            Attempt::Done(check) => Ok(check),
            Attempt::NoRoom(refusal) => {
                if !self.sweep_if_due(now) {
                    return Err(refusal);
                }
                match self.attempt(scope, key, digest, now)? {
                    Attempt::Done(check) => Ok(check),
                    Attempt::NoRoom(refusal) => Err(refusal),
                }
            }
        }
    }

    fn attempt(
        &self,
        scope: KeyScope,
        key: &str,
        digest: [u8; 32],
        now: Timestamp,
    ) -> Result<Attempt<'_>, ApiError> {
        use dashmap::mapref::entry::Entry;
        let map_key = (scope, key.to_owned());
        let claim = |map_key| IdempotencyClaim {
            cache: self,
            key: Some(map_key),
        };
        match self.entries.entry(map_key.clone()) {
            Entry::Vacant(vacant) => {
                // Counted while the shard is locked, so two requests with one new key cannot
                // both be counted. (The sweep takes the shard locks first too: same order.)
                if let Err(refusal) = self.reserve(scope.caller) {
                    return Ok(Attempt::NoRoom(refusal));
                }
                vacant.insert((IdempotencyState::InFlight { digest }, now));
                Ok(Attempt::Done(IdempotencyCheck::Proceed(claim(map_key))))
            }
            Entry::Occupied(mut occupied) => {
                let (state, at) = occupied.get();
                let expired = at.plus_ms(self.retention_ms) <= now;
                match state {
                    IdempotencyState::Done { .. } if expired => {
                        // The expired record's slot is reused: the counts stay as they are.
                        occupied.insert((IdempotencyState::InFlight { digest }, now));
                        drop(occupied);
                        Ok(Attempt::Done(IdempotencyCheck::Proceed(claim(map_key))))
                    }
                    IdempotencyState::InFlight { .. } => Err(ApiError::IdempotencyInFlight),
                    IdempotencyState::Done { digest: first, .. } if *first != digest => Err(
                        ApiError::Reject(crate::domain::reject::Reject::IdempotencyKeyReused),
                    ),
                    IdempotencyState::Done { response, .. } => {
                        Ok(Attempt::Done(IdempotencyCheck::Replay(response.clone())))
                    }
                }
            }
        }
    }

    /// Counts one more key of `vendor` (a vendor or a member), or refuses it:
    /// `IdempotencyQuotaExceeded` for a caller at its quota (only that caller is refused),
    /// `Overloaded` for a full cache.
    fn reserve(&self, vendor: Owner) -> Result<(), ApiError> {
        if self.held.fetch_add(1, Ordering::AcqRel) >= self.keys_max {
            self.held.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::Overloaded);
        }
        let vendor_over = match self.held_by_vendor.get(&vendor) {
            Some(count) => count.fetch_add(1, Ordering::AcqRel) >= self.keys_per_vendor_max,
            None => {
                self.held_by_vendor
                    .entry(vendor)
                    .or_insert_with(|| AtomicUsize::new(0))
                    .fetch_add(1, Ordering::AcqRel)
                    >= self.keys_per_vendor_max
            }
        };
        if vendor_over {
            self.release(vendor);
            return Err(ApiError::IdempotencyQuotaExceeded);
        }
        Ok(())
    }

    /// Uncounts one key of `vendor` (removed, or its reservation refused).
    fn release(&self, vendor: Owner) {
        self.held.fetch_sub(1, Ordering::AcqRel);
        if let Some(count) = self.held_by_vendor.get(&vendor) {
            count.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Removes the records past retention, unless another sweep ran less than
    /// `SWEEP_INTERVAL_MS` ago. True when this call swept.
    fn sweep_if_due(&self, now: Timestamp) -> bool {
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        let due = Timestamp(last).plus_ms(SWEEP_INTERVAL_MS) <= now;
        if !due
            || self
                .last_sweep_ms
                .compare_exchange(last, now.0, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return false;
        }
        let retention = self.retention_ms;
        self.entries.retain(|(scope, _), (state, at)| {
            let keep =
                matches!(state, IdempotencyState::InFlight { .. }) || at.plus_ms(retention) > now;
            if !keep {
                self.release(scope.caller);
            }
            keep
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: StatusCode, body: &'static [u8]) -> Replay {
        Replay {
            status,
            content_type: "application/json",
            body: Bytes::from_static(body),
        }
    }

    fn done_for(cache: &IdempotencyCache, vendor: VendorId, key: &str, now: Timestamp) {
        match cache.begin(vendor, key, [1; 32], now) {
            Ok(IdempotencyCheck::Proceed(claim)) => claim.complete(answer(StatusCode::OK, b"{}")),
            other => panic!("expected to proceed, got {other:?}"),
        }
    }

    fn done(cache: &IdempotencyCache, key: &str, now: Timestamp) {
        done_for(cache, VendorId(1), key, now);
    }

    #[test]
    fn replays_conflicts_and_in_flight() {
        let cache = IdempotencyCache::new(10, 10, 1_000);
        let now = Timestamp(5_000);
        let Ok(IdempotencyCheck::Proceed(claim)) = cache.begin(VendorId(1), "k", [1; 32], now)
        else {
            panic!("the first request proceeds");
        };
        assert_eq!(
            cache.begin(VendorId(1), "k", [1; 32], now).err(),
            Some(ApiError::IdempotencyInFlight)
        );
        let first = Replay {
            status: StatusCode::PAYMENT_REQUIRED,
            content_type: "application/problem+json",
            body: Bytes::from_static(b"first"),
        };
        claim.complete(first.clone());
        match cache.begin(VendorId(1), "k", [1; 32], now) {
            Ok(IdempotencyCheck::Replay(replay)) => assert_eq!(replay, first),
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
        let cache = IdempotencyCache::new(10, 10, 1_000);
        let now = Timestamp(5_000);
        let first = cache.begin(VendorId(1), "k", [1; 32], now);
        assert!(matches!(first, Ok(IdempotencyCheck::Proceed(_))));
        assert_eq!(cache.held(), 1);
        // The handler's future was dropped between begin and complete.
        drop(first);
        assert_eq!(cache.held(), 0, "the slot is free again");
        assert_eq!(cache.held_by(VendorId(1)), 0);
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
        assert_eq!(cache.held(), 1);
    }

    #[test]
    fn a_full_cache_refuses_until_a_sweep_frees_room() {
        let cache = IdempotencyCache::new(2, 2, 1_000);
        let start = Timestamp(10_000);
        done(&cache, "a", start);
        done(&cache, "b", start);
        // The first full hit, at +600 ms, sweeps and finds nothing expired. At +1000 ms the
        // records have expired, but the next sweep is not due until +1600 ms: still refused.
        let swept = start.plus_ms(600);
        let refused = |at: Timestamp| cache.begin(VendorId(2), "c", [1; 32], at).err();
        assert_eq!(refused(swept), Some(ApiError::Overloaded));
        assert_eq!(refused(start.plus_ms(1_000)), Some(ApiError::Overloaded));
        let later = swept.plus_ms(1_000);
        let Ok(IdempotencyCheck::Proceed(claim)) = cache.begin(VendorId(2), "c", [1; 32], later)
        else {
            panic!("a sweep made room");
        };
        assert_eq!(cache.held(), 1, "the sweep uncounted both expired keys");
        assert_eq!(cache.held_by(VendorId(1)), 0);
        // A 503 is not a complete response: the key is released for a retry.
        claim.complete(answer(StatusCode::SERVICE_UNAVAILABLE, b""));
        assert_eq!(cache.held(), 0);
        assert!(matches!(
            cache.begin(VendorId(2), "c", [9; 32], later),
            Ok(IdempotencyCheck::Proceed(_))
        ));
    }

    #[test]
    fn a_vendor_at_its_quota_is_refused_alone() {
        let cache = IdempotencyCache::new(10, 2, 1_000);
        let now = Timestamp(10_000);
        done_for(&cache, VendorId(1), "a", now);
        done_for(&cache, VendorId(1), "b", now);
        assert_eq!(
            cache.begin(VendorId(1), "c", [1; 32], now).err(),
            Some(ApiError::IdempotencyQuotaExceeded)
        );
        assert_eq!(cache.held_by(VendorId(1)), 2, "a refusal is not counted");
        // Its kept keys still replay, and another vendor is not refused.
        assert!(matches!(
            cache.begin(VendorId(1), "a", [1; 32], now),
            Ok(IdempotencyCheck::Replay(..))
        ));
        done_for(&cache, VendorId(2), "a", now);
        assert_eq!(cache.held(), 3);
        // Once its keys expire (and a sweep is due), the vendor is served again.
        assert!(matches!(
            cache.begin(VendorId(1), "c", [1; 32], now.plus_ms(1_000)),
            Ok(IdempotencyCheck::Proceed(_))
        ));
    }

    #[test]
    fn errors_that_decide_nothing_are_not_kept() {
        let cache = IdempotencyCache::new(10, 10, 1_000);
        let now = Timestamp(10_000);
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            let Ok(IdempotencyCheck::Proceed(claim)) = cache.begin(VendorId(1), "k", [1; 32], now)
            else {
                panic!("{status}: the key was released, so a retry runs");
            };
            claim.complete(answer(status, b"{}"));
            assert_eq!(cache.held(), 0, "{status}");
        }
        // One step away: a 4xx that decided something is kept and replayed.
        let Ok(IdempotencyCheck::Proceed(claim)) = cache.begin(VendorId(1), "k", [1; 32], now)
        else {
            panic!("proceeds");
        };
        claim.complete(answer(StatusCode::FORBIDDEN, b"{}"));
        assert!(matches!(
            cache.begin(VendorId(1), "k", [1; 32], now),
            Ok(IdempotencyCheck::Replay(Replay {
                status: StatusCode::FORBIDDEN,
                ..
            }))
        ));
    }
}
