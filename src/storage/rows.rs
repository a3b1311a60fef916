//! State rows: how an account's and a vendor's state is laid out in the `state` keyspace,
//! and which rows an event changes. Rows are fine-grained (a row per wallet, session,
//! entitlement, ...), so a debit rewrites a wallet, a spending counter, a session and one
//! entitlement, never the whole account.
//!
//! Keys are binary: a family byte (`a` account, `m` e-mail, `v` vendor, `o` offer, `u` used
//! offer), then fixed-width big-endian ids, then for account rows a kind byte. A prefix scan
//! of `account_prefix` loads one account and `VENDOR_PREFIX` lists the vendors.
//!
//! Why binary: fjall's memtable keeps keys of up to 20 bytes inline in its skiplist nodes, and
//! compares their first four bytes before anything else. The text keys used before
//! (`a/<16 hex>/x/<16 hex>`, 24-41 bytes) were stored out of line and shared their first
//! bytes with many neighbours. Every row a purchase writes now has a key of 20 bytes or fewer:
//! the state keyspace of 1M members is 28% smaller, and the writer's byte comparisons fell
//! (memcmp from 5.9% to 3.7% of all CPU samples at half load), though its CPU as a whole did
//! not measurably change, because its inserts are dominated by the skiplist walk's cache
//! misses. `describe_key` renders keys for people.

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

/// First byte of every account row.
const ACCOUNT_FAMILY: u8 = b'a';
/// First byte of every e-mail row.
const EMAIL_FAMILY: u8 = b'm';
/// First byte of every vendor row.
const VENDOR_FAMILY: u8 = b'v';
/// First byte of every live offer row.
const OFFER_FAMILY: u8 = b'o';
/// First byte of every used-offer row.
const OFFER_USED_FAMILY: u8 = b'u';

/// Prefix of all account rows.
pub const ACCOUNT_PREFIX: &[u8] = &[ACCOUNT_FAMILY];
/// Prefix of all e-mail rows.
pub const EMAIL_PREFIX: &[u8] = &[EMAIL_FAMILY];
/// Prefix of all vendor rows.
pub const VENDOR_PREFIX: &[u8] = &[VENDOR_FAMILY];
/// Prefix of the offer rows: `o<offer>` holds a live offer (deleted once it expires).
pub const OFFER_PREFIX: &[u8] = &[OFFER_FAMILY];

/// Length of a family byte and an id: a vendor or offer key, an account's prefix.
const FAMILY_KEY_BYTES: usize = 9;

/// The kinds of account row, the byte after the account id.
mod kind {
    pub const PROFILE: u8 = b'p';
    pub const WALLET: u8 = b'w';
    pub const LIMITS: u8 = b'l';
    pub const SPENDING: u8 = b's';
    pub const SESSION: u8 = b'x';
    pub const ENTITLEMENT: u8 = b'e';
    pub const IDEMPOTENCY: u8 = b'i';
    pub const DEPOSIT: u8 = b'd';
}

/// A family byte followed by a big-endian id.
fn family_key(family: u8, id: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(FAMILY_KEY_BYTES);
    key.push(family);
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// Prefix of every row of one account.
#[must_use]
pub fn account_prefix(account: AccountId) -> Vec<u8> {
    family_key(ACCOUNT_FAMILY, account.0)
}

/// An account row key: the account prefix, the kind byte, then `rest`.
fn account_key(account: AccountId, kind: u8, rest: &[&[u8]]) -> Vec<u8> {
    let mut key = account_prefix(account);
    key.push(kind);
    for part in rest {
        key.extend_from_slice(part);
    }
    key
}

/// One past the largest packed currency code: 26 * 26 * 26.
const PACKED_CURRENCY_END: u16 = 17_576;

/// A currency code in two bytes (its three letters in base 26), so that the per-login rows
/// keep within the 20 inline key bytes.
fn currency_bytes(currency: Currency) -> [u8; 2] {
    let packed = currency.code().bytes().fold(0_u16, |packed, letter| {
        packed
            .saturating_mul(26)
            .saturating_add(u16::from(letter.saturating_sub(b'A')))
    });
    packed.to_be_bytes()
}

/// Reads back `currency_bytes`.
fn currency_from_bytes(bytes: [u8; 2]) -> Option<Currency> {
    let packed = u16::from_be_bytes(bytes);
    if packed >= PACKED_CURRENCY_END {
        return None;
    }
    let letter = |place: u16| -> Option<char> {
        let offset = u8::try_from(packed.checked_div(place)?.checked_rem(26)?).ok()?;
        Some(char::from(b'A'.checked_add(offset)?))
    };
    let code: String = [letter(676)?, letter(26)?, letter(1)?].iter().collect();
    Currency::parse(&code).ok()
}

fn wallet_key(account: AccountId, currency: Currency) -> Vec<u8> {
    account_key(account, kind::WALLET, &[currency.code().as_bytes()])
}
/// A per-login row (limits or spending): the login id, then the packed currency; read back
/// by `login_and_currency`.
fn login_row_key(account: AccountId, kind: u8, login: LoginId, currency: Currency) -> Vec<u8> {
    account_key(
        account,
        kind,
        &[&login.0.to_be_bytes(), &currency_bytes(currency)],
    )
}
fn limits_key(account: AccountId, login: LoginId, currency: Currency) -> Vec<u8> {
    login_row_key(account, kind::LIMITS, login, currency)
}
fn spending_key(account: AccountId, login: LoginId, currency: Currency) -> Vec<u8> {
    login_row_key(account, kind::SPENDING, login, currency)
}
fn session_key(account: AccountId, session: SessionId) -> Vec<u8> {
    account_key(account, kind::SESSION, &[&session.0.to_be_bytes()])
}
fn entitlement_key(account: AccountId, entitlement: EntitlementId) -> Vec<u8> {
    account_key(account, kind::ENTITLEMENT, &[&entitlement.0.to_be_bytes()])
}
fn idempotency_key(account: AccountId, vendor: VendorId, key: &str) -> Vec<u8> {
    let vendor = vendor.0.to_be_bytes();
    account_key(account, kind::IDEMPOTENCY, &[&vendor, key.as_bytes()])
}
fn deposit_key(account: AccountId, reference: &str) -> Vec<u8> {
    account_key(account, kind::DEPOSIT, &[reference.as_bytes()])
}
fn profile_key(account: AccountId) -> Vec<u8> {
    account_key(account, kind::PROFILE, &[])
}

/// The row naming the account that owns a sign-in e-mail.
#[must_use]
pub fn email_key(email: &str) -> Vec<u8> {
    [EMAIL_PREFIX, email.as_bytes()].concat()
}

/// The row of one vendor.
#[must_use]
pub fn vendor_key(vendor: VendorId) -> Vec<u8> {
    family_key(VENDOR_FAMILY, vendor.0)
}

/// The currency of a wallet row's key, or `None` when the key is not a wallet row's.
#[must_use]
pub fn wallet_row_currency(key: &[u8]) -> Option<Currency> {
    let (&family, rest) = key.split_first()?;
    let (_account, rest) = rest.split_first_chunk::<8>()?;
    let (&row_kind, code) = rest.split_first()?;
    if family != ACCOUNT_FAMILY || row_kind != kind::WALLET {
        return None;
    }
    Currency::parse(std::str::from_utf8(code).ok()?).ok()
}

/// A key as people read it: the family letter, the id in hex, then the rest, with bytes
/// that are not printable ASCII escaped (for `farthing check` and error messages).
#[must_use]
pub fn describe_key(key: &[u8]) -> String {
    let escape = |bytes: &[u8]| -> String {
        bytes
            .iter()
            .flat_map(|byte| std::ascii::escape_default(*byte))
            .map(char::from)
            .collect()
    };
    let Some((&family, rest)) = key.split_first() else {
        return String::new();
    };
    match rest.split_first_chunk::<8>() {
        Some((id, rest)) if family != EMAIL_FAMILY => format!(
            "{}/{:016x}/{}",
            char::from(family),
            u64::from_be_bytes(*id),
            escape(rest)
        ),
        _ => escape(key),
    }
}

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

fn put<T: Serialize>(key: Vec<u8>, value: &T) -> RowWrite {
    RowWrite::Put(key, codec::encode(value))
}

fn put_or_delete<T: Serialize>(key: Vec<u8>, value: Option<&T>) -> RowWrite {
    match value {
        Some(value) => put(key, value),
        None => RowWrite::Delete(key),
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
    let wallet =
        |currency: Currency| put_or_delete(wallet_key(id, currency), state.wallets.get(&currency));
    let session =
        |session: SessionId| put_or_delete(session_key(id, session), state.sessions.get(&session));
    let entitlement =
        |e: EntitlementId| put_or_delete(entitlement_key(id, e), state.entitlements.get(&e));
    match event {
        Event::AccountOpened {
            login, currency, ..
        } => {
            let mut rows = vec![put(profile_key(id), &profile_row(state)), wallet(*currency)];
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
            vec![wallet(*currency), put(deposit_key(id, reference), &())]
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
                limits_key(id, *login, *currency),
                state.limits.get(&(*login, *currency)),
            )]
        }
        Event::PaymentMethodSaved { .. } => vec![put(profile_key(id), &profile_row(state))],
        Event::FreezeSet { .. } => {
            let mut rows = vec![put(profile_key(id), &profile_row(state))];
            rows.extend(state.sessions.keys().map(|s| session(*s)));
            rows
        }
        Event::Authorized(authorized) => {
            let currency = authorized.entitlement.currency;
            let mut rows = vec![
                wallet(currency),
                put_or_delete(
                    spending_key(id, authorized.login, currency),
                    state.spending.get(&(authorized.login, currency)),
                ),
                session(authorized.session),
                entitlement(authorized.entitlement.id),
            ];
            for (vendor, key) in &authorized.idempotency_expired {
                rows.push(RowWrite::Delete(idempotency_key(id, *vendor, key)));
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
                    idempotency_key(id, authorized.vendor, &stamp.key),
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
    let mut add = |key: Vec<u8>, value: Vec<u8>| {
        rows.insert(key, value);
    };
    add(profile_key(id), codec::encode(&profile_row(state)));
    for (currency, wallet) in &state.wallets {
        add(wallet_key(id, *currency), codec::encode(wallet));
    }
    for ((login, currency), limits) in &state.limits {
        add(limits_key(id, *login, *currency), codec::encode(limits));
    }
    for ((login, currency), spending) in &state.spending {
        add(spending_key(id, *login, *currency), codec::encode(spending));
    }
    for (session, row) in &state.sessions {
        add(session_key(id, *session), codec::encode(row));
    }
    for (entitlement, row) in &state.entitlements {
        add(entitlement_key(id, *entitlement), codec::encode(row));
    }
    for ((vendor, key), record) in &state.idempotency {
        add(idempotency_key(id, *vendor, key), codec::encode(record));
    }
    for reference in state.deposit_references.iter() {
        add(deposit_key(id, reference), codec::encode(&()));
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
        key: describe_key(key),
    }
}

fn decode_row<T: serde::de::DeserializeOwned>(key: &[u8], value: &[u8]) -> Result<T, RowError> {
    codec::decode(value).map_err(|_: CodecError| corrupt(key))
}

/// Splits a big-endian id off the front of `bytes`.
fn take_id(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (id, rest) = bytes.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*id), rest))
}

/// Reads the login id and packed currency of a limits or spending row.
fn login_and_currency(rest: &[u8]) -> Option<(LoginId, Currency)> {
    let (login, rest) = take_id(rest)?;
    let currency: [u8; 2] = rest.try_into().ok()?;
    Some((LoginId(login), currency_from_bytes(currency)?))
}

/// Reads the UTF-8 text at the end of a key.
fn key_text(rest: &[u8]) -> Option<&str> {
    std::str::from_utf8(rest).ok()
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
        let (row_kind, rest) = key
            .strip_prefix(prefix.as_slice())
            .and_then(<[u8]>::split_first)
            .ok_or_else(|| corrupt(&key))?;
        let bad = || corrupt(&key);
        match *row_kind {
            kind::PROFILE if rest.is_empty() => profile = Some(decode_row(&key, &value)?),
            kind::WALLET => {
                let currency = key_text(rest).and_then(|code| Currency::parse(code).ok());
                let currency = currency.ok_or_else(bad)?;
                wallets.push((currency, decode_row::<Wallet>(&key, &value)?));
            }
            kind::LIMITS => {
                let login_currency = login_and_currency(rest).ok_or_else(bad)?;
                limits.push((login_currency, decode_row::<Limits>(&key, &value)?));
            }
            kind::SPENDING => {
                let login_currency = login_and_currency(rest).ok_or_else(bad)?;
                spending.push((login_currency, decode_row::<Spending>(&key, &value)?));
            }
            kind::SESSION => {
                let session = take_id(rest).filter(|(_, tail)| tail.is_empty());
                let (session, _) = session.ok_or_else(bad)?;
                sessions.push((SessionId(session), decode_row::<Session>(&key, &value)?));
            }
            kind::ENTITLEMENT => {
                let entitlement = take_id(rest).filter(|(_, tail)| tail.is_empty());
                let (entitlement, _) = entitlement.ok_or_else(bad)?;
                entitlements.insert(
                    EntitlementId(entitlement),
                    decode_row::<Entitlement>(&key, &value)?,
                );
            }
            kind::IDEMPOTENCY => {
                let (vendor, idem_key) = take_id(rest).ok_or_else(bad)?;
                let idem_key = key_text(idem_key).ok_or_else(bad)?;
                idempotency.push((
                    (VendorId(vendor), idem_key.to_owned()),
                    decode_row::<IdempotencyRecord>(&key, &value)?,
                ));
            }
            kind::DEPOSIT => {
                deposit_references.push(key_text(rest).ok_or_else(bad)?.into());
            }
            _ => return Err(bad()),
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

/// Key of an offer's row.
#[must_use]
pub fn offer_key(offer: OfferId) -> Vec<u8> {
    family_key(OFFER_FAMILY, offer.0)
}

/// Key of the row that marks an offer used: `u<offer>` holds the purchase's authorization
/// id. Written in the purchase's own batch, so "used" is durable exactly when the purchase is.
#[must_use]
pub fn offer_used_key(offer: OfferId) -> Vec<u8> {
    family_key(OFFER_USED_FAMILY, offer.0)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::SessionExpiry;
    use crate::domain::event::Origin;
    use crate::domain::money::Amount;
    use crate::domain::seed::{Seed, seed_events};
    use crate::domain::time::Timestamp;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// fjall's memtable stores keys of up to this many bytes inside the skiplist node.
    const INLINE_KEY_BYTES: usize = 20;

    fn usd() -> Result<Currency, Box<dyn std::error::Error>> {
        Ok(Currency::parse("USD")?)
    }

    /// A seeded account with limits in a second currency and a deposit reference that holds
    /// a slash and non-ASCII text.
    fn account() -> Result<AccountState, Box<dyn std::error::Error>> {
        let now = Timestamp(1_800_000_000_000_000);
        let id = AccountId(u64::MAX - 7);
        let login = LoginId(0x0102_0304_0506_0708);
        let seed = Seed {
            account: id,
            login,
            session: SessionId(42),
            currency: usd()?,
            deposit: Amount::from_micros(5_000_000),
            time_zone: "Asia/Tokyo".to_owned(),
            session_expiry: SessionExpiry::Idle { idle_ms: 60_000 },
        };
        let events = seed_events(&seed, now);
        let mut state = AccountState::from_opened(events.first().ok_or("no events")?)
            .ok_or("not an opening")?;
        let jpy = Currency::parse("JPY")?;
        let extra = [
            Event::LimitsSet {
                account: id,
                login,
                currency: jpy,
                limits: Limits {
                    per_day: Some(Amount::from_micros(9_000_000)),
                    ..Limits::default()
                },
                at: now,
            },
            Event::Deposited {
                account: id,
                currency: usd()?,
                amount: Amount::from_micros(1_000_000),
                reference: "bank/2026-11/ünï".to_owned(),
                by: Origin::Seed,
                at: now,
            },
        ];
        for event in events.iter().skip(1).chain(&extra) {
            state.apply(event);
        }
        Ok(state)
    }

    #[test]
    fn an_account_reads_back_from_its_rows() -> TestResult {
        let state = account()?;
        let rows = all_account_rows(&state);
        assert!(
            rows.keys()
                .all(|key| key.starts_with(&account_prefix(state.id)))
        );
        let read = account_from_rows(state.id, rows)?.ok_or("no account")?;
        assert_eq!(read, state);
        Ok(())
    }

    #[test]
    fn every_row_a_purchase_writes_has_an_inline_key() -> TestResult {
        let account = AccountId(u64::MAX);
        let login = LoginId(u64::MAX);
        let keys = [
            wallet_key(account, usd()?),
            spending_key(account, login, usd()?),
            session_key(account, SessionId(u64::MAX)),
            entitlement_key(account, EntitlementId(u64::MAX)),
            offer_used_key(OfferId(u64::MAX)),
        ];
        for key in keys {
            assert!(key.len() <= INLINE_KEY_BYTES, "{}", describe_key(&key));
        }
        Ok(())
    }

    #[test]
    fn a_packed_currency_reads_back() -> TestResult {
        for code in ["AED", "USD", "JPY", "EUR", "ZWG", "XPF"] {
            let currency = Currency::parse(code)?;
            assert_eq!(
                currency_from_bytes(currency_bytes(currency)),
                Some(currency)
            );
        }
        assert_eq!(currency_from_bytes([0xff, 0xff]), None, "not a code");
        Ok(())
    }

    #[test]
    fn a_row_of_another_kind_is_corrupt_not_skipped() {
        let mut key = account_prefix(AccountId(1));
        key.push(b'?');
        let result = account_from_rows(AccountId(1), [(key, Vec::new())]);
        assert!(matches!(result, Err(RowError::Corrupt { .. })));
    }

    #[test]
    fn only_wallet_rows_name_a_currency() -> TestResult {
        let account = AccountId(7);
        assert_eq!(
            wallet_row_currency(&wallet_key(account, usd()?)),
            Some(usd()?)
        );
        assert_eq!(
            wallet_row_currency(&session_key(account, SessionId(0x77))),
            None
        );
        assert_eq!(wallet_row_currency(&vendor_key(VendorId(0x77))), None);
        Ok(())
    }

    #[test]
    fn keys_are_described_readably() -> TestResult {
        assert_eq!(
            describe_key(&wallet_key(AccountId(0xabc), usd()?)),
            "a/0000000000000abc/wUSD"
        );
        assert_eq!(
            describe_key(&email_key("ann@example.org")),
            "mann@example.org"
        );
        assert_eq!(
            describe_key(&session_key(AccountId(1), SessionId(2))),
            "a/0000000000000001/x\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02"
        );
        Ok(())
    }
}
