//! State rows: how an account's and a vendor's state is laid out in the `state` keyspace,
//! and which rows an event changes. Rows are fine-grained (a row per wallet, session,
//! entitlement, ...), so a debit rewrites a wallet, a spending counter, a session and one
//! entitlement, never the whole account.
//!
//! Keys are text with fixed-width hex ids, so a prefix scan of `a/<account>/` loads one
//! account and `v/` lists the vendors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::codec::{self, CodecError};
use crate::domain::account::{
    AccountState, IdempotencyRecord, Login, PaymentMethod, Session, Wallet,
};
use crate::domain::entitlement::Entitlement;
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, EntitlementId, LoginId, OfferId, SessionId, VendorId};
use crate::domain::limits::{Limits, Spending};
use crate::domain::money::Currency;
use crate::domain::offer::Offer;
use crate::domain::time::MemberZone;
use crate::domain::vendor::VendorState;

/// One change to the `state` keyspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowWrite {
    /// Set a row.
    Put(Vec<u8>, Vec<u8>),
    /// Remove a row.
    Delete(Vec<u8>),
}

/// The account-wide row: what is not per wallet, session or entitlement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ProfileRow {
    time_zone: String,
    language: String,
    frozen: bool,
    logins: Vec<Login>,
    payment_method: Option<PaymentMethod>,
}

/// Prefix of every row of one account.
#[must_use]
pub fn account_prefix(account: AccountId) -> Vec<u8> {
    format!("a/{:016x}/", account.0).into_bytes()
}

fn account_key(account: AccountId, suffix: &str) -> Vec<u8> {
    format!("a/{:016x}/{suffix}", account.0).into_bytes()
}

fn wallet_suffix(currency: Currency) -> String {
    format!("w/{currency}")
}
fn limits_suffix(login: LoginId, currency: Currency) -> String {
    format!("l/{:016x}/{currency}", login.0)
}
fn spending_suffix(login: LoginId, currency: Currency) -> String {
    format!("s/{:016x}/{currency}", login.0)
}
fn session_suffix(session: SessionId) -> String {
    format!("x/{:016x}", session.0)
}
fn entitlement_suffix(entitlement: EntitlementId) -> String {
    format!("e/{:016x}", entitlement.0)
}
fn idempotency_suffix(vendor: VendorId, key: &str) -> String {
    format!("i/{:016x}/{key}", vendor.0)
}
fn deposit_suffix(reference: &str) -> String {
    format!("d/{reference}")
}

/// The row naming the account that owns a sign-in e-mail.
#[must_use]
pub fn email_key(email: &str) -> Vec<u8> {
    format!("m/{email}").into_bytes()
}

/// Prefix of all e-mail rows.
pub const EMAIL_PREFIX: &[u8] = b"m/";

/// The row of one vendor.
#[must_use]
pub fn vendor_key(vendor: VendorId) -> Vec<u8> {
    format!("v/{:016x}", vendor.0).into_bytes()
}

/// Prefix of all vendor rows.
pub const VENDOR_PREFIX: &[u8] = b"v/";

/// Prefix of all account rows.
pub const ACCOUNT_PREFIX: &[u8] = b"a/";

/// Index keys of an event (the journal appends the sequence number): by account and time,
/// by vendor and time, and by authorization id.
#[must_use]
pub fn index_keys(event: &Event) -> Vec<Vec<u8>> {
    let at = event.at().0.to_be_bytes();
    let mut keys = Vec::with_capacity(3);
    if let Some(account) = event.account() {
        keys.push([b"A".as_slice(), &account.0.to_be_bytes(), &at].concat());
    }
    if let Some(vendor) = event.vendor() {
        keys.push([b"V".as_slice(), &vendor.0.to_be_bytes(), &at].concat());
    }
    if let Some(authorization) = event.authorization() {
        keys.push(authorization_index_prefix(authorization.0));
    }
    keys
}

/// Index prefix under which the events of one authorization are found.
#[must_use]
pub fn authorization_index_prefix(authorization: u64) -> Vec<u8> {
    [b"Z".as_slice(), &authorization.to_be_bytes()].concat()
}

fn put<T: Serialize>(account: AccountId, suffix: &str, value: &T) -> RowWrite {
    RowWrite::Put(account_key(account, suffix), codec::encode(value))
}

fn put_or_delete<T: Serialize>(account: AccountId, suffix: &str, value: Option<&T>) -> RowWrite {
    match value {
        Some(value) => put(account, suffix, value),
        None => RowWrite::Delete(account_key(account, suffix)),
    }
}

fn profile_row(state: &AccountState) -> ProfileRow {
    ProfileRow {
        time_zone: state.zone.name().to_owned(),
        language: state.language.clone().into(),
        frozen: state.frozen,
        logins: state.logins.values().cloned().collect(),
        payment_method: state.payment_method,
    }
}

/// The rows `event` changed, with their values taken from `state` after the event was applied.
#[must_use]
pub fn rows_for_event(state: &AccountState, event: &Event) -> Vec<RowWrite> {
    let id = state.id;
    let wallet = |currency: Currency| {
        put_or_delete(id, &wallet_suffix(currency), state.wallets.get(&currency))
    };
    let session = |session: SessionId| {
        put_or_delete(id, &session_suffix(session), state.sessions.get(&session))
    };
    let entitlement =
        |e: EntitlementId| put_or_delete(id, &entitlement_suffix(e), state.entitlements.get(&e));
    match event {
        Event::AccountOpened {
            login, currency, ..
        } => {
            let mut rows = vec![put(id, "p", &profile_row(state)), wallet(*currency)];
            if let Some(email) = &login.email {
                rows.push(RowWrite::Put(email_key(email), codec::encode(&id)));
            }
            rows
        }
        Event::Deposited {
            currency,
            reference,
            ..
        } => {
            vec![wallet(*currency), put(id, &deposit_suffix(reference), &())]
        }
        Event::CreditLineSet { currency, .. } => vec![wallet(*currency)],
        Event::SessionStarted {
            session: started,
            evicted,
            ..
        } => {
            let mut rows: Vec<RowWrite> = evicted.iter().map(|s| session(*s)).collect();
            rows.push(session(started.id));
            rows
        }
        Event::SessionEnded { session: ended, .. } => vec![session(*ended)],
        Event::LimitsSet {
            login, currency, ..
        } => {
            vec![put_or_delete(
                id,
                &limits_suffix(*login, *currency),
                state.limits.get(&(*login, *currency)),
            )]
        }
        Event::PaymentMethodSaved { .. } => vec![put(id, "p", &profile_row(state))],
        Event::FreezeSet { .. } => {
            let mut rows = vec![put(id, "p", &profile_row(state))];
            rows.extend(state.sessions.keys().map(|s| session(*s)));
            rows
        }
        Event::Authorized(authorized) => {
            let currency = authorized.entitlement.currency;
            let mut rows = vec![
                wallet(currency),
                put_or_delete(
                    id,
                    &spending_suffix(authorized.login, currency),
                    state.spending.get(&(authorized.login, currency)),
                ),
                session(authorized.session),
                entitlement(authorized.entitlement.id),
            ];
            for (vendor, key) in &authorized.idempotency_expired {
                rows.push(RowWrite::Delete(account_key(
                    id,
                    &idempotency_suffix(*vendor, key),
                )));
            }
            if let Some(offer) = authorized.offer {
                rows.push(RowWrite::Put(
                    offer_used_key(offer),
                    codec::encode(&authorized.authorization),
                ));
            }
            if let Some(stamp) = &authorized.idempotency {
                let key = (authorized.vendor, stamp.key.clone());
                rows.push(put_or_delete(
                    id,
                    &idempotency_suffix(authorized.vendor, &stamp.key),
                    state.idempotency.get(&key),
                ));
            }
            rows
        }
        Event::ViewCounted { entitlement: e, .. } => vec![entitlement(*e)],
        Event::Reversed {
            entitlement: e,
            currency,
            ..
        } => vec![entitlement(*e), wallet(*currency)],
        Event::VendorRegistered(_) | Event::OfferPosted(_) => Vec::new(),
    }
}

/// Every row of an account, as `rows_for_event` would have left them (for `farthing check`).
#[must_use]
pub fn all_account_rows(state: &AccountState) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let id = state.id;
    let mut rows = BTreeMap::new();
    let mut add = |suffix: String, value: Vec<u8>| {
        rows.insert(account_key(id, &suffix), value);
    };
    add("p".to_owned(), codec::encode(&profile_row(state)));
    for (currency, wallet) in &state.wallets {
        add(wallet_suffix(*currency), codec::encode(wallet));
    }
    for ((login, currency), limits) in &state.limits {
        add(limits_suffix(*login, *currency), codec::encode(limits));
    }
    for ((login, currency), spending) in &state.spending {
        add(spending_suffix(*login, *currency), codec::encode(spending));
    }
    for (id, session) in &state.sessions {
        add(session_suffix(*id), codec::encode(session));
    }
    for (id, entitlement) in &state.entitlements {
        add(entitlement_suffix(*id), codec::encode(entitlement));
    }
    for ((vendor, key), record) in &state.idempotency {
        add(idempotency_suffix(*vendor, key), codec::encode(record));
    }
    for reference in state.deposit_references.iter() {
        add(deposit_suffix(reference), codec::encode(&()));
    }
    rows
}

/// A stored row could not be read back into state.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// A value did not decode.
    #[error("corrupt row {key}")]
    Corrupt {
        /// The row's key, as text.
        key: String,
    },
    /// The account has rows but no profile row.
    #[error("account rows without a profile")]
    MissingProfile,
}

fn corrupt(key: &[u8]) -> RowError {
    RowError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
    }
}

fn decode_row<T: serde::de::DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, RowError> {
    codec::decode(value).map_err(|_: CodecError| corrupt(key))
}

fn parse_hex(text: &str) -> Option<u64> {
    u64::from_str_radix(text, 16).ok()
}

/// Rebuilds an account from its rows (all rows under `account_prefix(id)`).
/// Returns `Ok(None)` when there are no rows: the account does not exist.
///
/// # Errors
/// `RowError` when a row does not decode or the profile is missing.
pub fn account_from_rows(
    id: AccountId,
    rows: impl IntoIterator<Item = (Vec<u8>, Vec<u8>)>,
) -> Result<Option<AccountState>, RowError> {
    let prefix = account_prefix(id);
    let mut profile: Option<ProfileRow> = None;
    // Collected as lists, then sorted into the state's maps once at the end.
    let mut wallets = Vec::new();
    let mut limits = Vec::new();
    let mut spending = Vec::new();
    let mut sessions = Vec::new();
    let mut entitlements = BTreeMap::new();
    let mut idempotency = Vec::new();
    let mut deposit_references: Vec<Box<str>> = Vec::new();
    let mut any = false;
    for (key, value) in rows {
        any = true;
        let suffix = key
            .strip_prefix(prefix.as_slice())
            .and_then(|s| std::str::from_utf8(s).ok())
            .ok_or_else(|| corrupt(&key))?;
        let parts: Vec<&str> = suffix.splitn(3, '/').collect();
        match parts.as_slice() {
            ["p"] => profile = Some(decode_row(&key, &value)?),
            ["w", currency] => {
                let currency = Currency::parse(currency).map_err(|_| corrupt(&key))?;
                wallets.push((currency, decode_row::<Wallet>(&key, &value)?));
            }
            ["l", login, currency] | ["s", login, currency] => {
                let login = LoginId(parse_hex(login).ok_or_else(|| corrupt(&key))?);
                let currency = Currency::parse(currency).map_err(|_| corrupt(&key))?;
                if parts.first() == Some(&"l") {
                    limits.push(((login, currency), decode_row::<Limits>(&key, &value)?));
                } else {
                    spending.push(((login, currency), decode_row::<Spending>(&key, &value)?));
                }
            }
            ["x", session] => {
                let session = SessionId(parse_hex(session).ok_or_else(|| corrupt(&key))?);
                sessions.push((session, decode_row::<Session>(&key, &value)?));
            }
            ["e", entitlement] => {
                let entitlement =
                    EntitlementId(parse_hex(entitlement).ok_or_else(|| corrupt(&key))?);
                entitlements.insert(entitlement, decode_row::<Entitlement>(&key, &value)?);
            }
            ["i", vendor, idem_key] => {
                let vendor = VendorId(parse_hex(vendor).ok_or_else(|| corrupt(&key))?);
                idempotency.push((
                    (vendor, (*idem_key).to_owned()),
                    decode_row::<IdempotencyRecord>(&key, &value)?,
                ));
            }
            ["d", reference] => {
                deposit_references.push((*reference).into());
            }
            // "d/<reference>" with a slash in the reference splits into three parts.
            ["d", head, tail] => {
                deposit_references.push(format!("{head}/{tail}").into());
            }
            _ => return Err(corrupt(&key)),
        }
    }
    if !any {
        return Ok(None);
    }
    let profile = profile.ok_or(RowError::MissingProfile)?;
    let zone = MemberZone::new(&profile.time_zone).map_err(|_| RowError::Corrupt {
        key: "profile time zone".to_owned(),
    })?;
    let mut state = AccountState::opened(id, zone, profile.language);
    state.frozen = profile.frozen;
    state.payment_method = profile.payment_method;
    state.logins = profile
        .logins
        .into_iter()
        .map(|login| (login.id, login))
        .collect();
    state.wallets = wallets.into_iter().collect();
    state.limits = limits.into_iter().collect();
    state.spending = spending.into_iter().collect();
    state.sessions = sessions.into_iter().collect();
    state.entitlements = entitlements;
    state.idempotency = idempotency.into_iter().collect();
    state.deposit_references = deposit_references.into_iter().collect();
    state.rebuild_derived();
    state.assert_invariants();
    Ok(Some(state))
}

/// Prefix of the offer rows: `o/<offer>` holds a live offer (deleted once it expires).
pub const OFFER_PREFIX: &[u8] = b"o/";

/// Key of an offer's row.
#[must_use]
pub fn offer_key(offer: OfferId) -> Vec<u8> {
    format!("o/{:016x}", offer.0).into_bytes()
}

/// Key of the row that marks an offer used: `u/<offer>` holds the purchase's authorization
/// id. Written in the purchase's own batch, so "used" is durable exactly when the purchase is.
#[must_use]
pub fn offer_used_key(offer: OfferId) -> Vec<u8> {
    format!("u/{:016x}", offer.0).into_bytes()
}

/// Encodes an offer's row.
#[must_use]
pub fn offer_row(offer: &Offer) -> (Vec<u8>, Vec<u8>) {
    (offer_key(offer.id), codec::encode(offer))
}

/// Decodes an offer's row.
///
/// # Errors
/// `RowError::Corrupt`.
pub fn offer_from_row(key: &[u8], value: &[u8]) -> Result<Offer, RowError> {
    decode_row(key, value)
}

/// Encodes a vendor's row.
#[must_use]
pub fn vendor_row(state: &VendorState) -> (Vec<u8>, Vec<u8>) {
    (vendor_key(state.profile.id), codec::encode(state))
}

/// Decodes a vendor's row.
///
/// # Errors
/// `RowError::Corrupt`.
pub fn vendor_from_row(key: &[u8], value: &[u8]) -> Result<VendorState, RowError> {
    decode_row(key, value)
}
