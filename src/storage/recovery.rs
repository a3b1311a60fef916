//! Start-up recovery and `farthing check`.
//!
//! Recovery loads state rows, so start-up cost does not grow with history: vendors (their
//! checkpoint rows, then the sales journaled after each checkpoint), the sign-in e-mails, and
//! the money totals from the wallet rows. Accounts themselves are activated on first use.
//!
//! `check` replays every event through the domain's `apply` and compares the result with the
//! stored rows, then checks that money is conserved. It is the proof that the rows are exactly
//! what the events say.

use std::collections::BTreeMap;

use super::codec::{self, CodecError};
use super::rows::{self, RowError};
use super::store::{StorageError, Store};
use crate::actors::totals::Totals;
use crate::domain::account::{AccountState, Wallet};
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, VendorId};
use crate::domain::money::Currency;
use crate::domain::offer::Offer;
use crate::domain::vendor::VendorState;

/// Why recovery or check could not read the store.
#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A row did not decode.
    #[error(transparent)]
    Row(#[from] RowError),
    /// The store was written in a format this build does not read.
    #[error(
        "the data directory was written by an incompatible farthing (store format {found}, this \
         build reads format {expected}); move it aside and start with an empty one"
    )]
    IncompatibleFormat {
        /// The format of the store's first event.
        found: u8,
        /// The format this build writes and reads.
        expected: u8,
    },
    /// An event did not decode.
    #[error("event {seq} is corrupt")]
    Event {
        /// Its sequence number.
        seq: u64,
    },
}

fn decode_event(seq: u64, payload: &[u8]) -> Result<Event, RecoveryError> {
    codec::decode_event(payload).map_err(|_: CodecError| RecoveryError::Event { seq })
}

/// Refuses a store written in another format: its first event must carry this build's codec
/// version. An empty store passes. Run it before anything else reads the store, so that an
/// old data directory is named as such instead of failing on its first unreadable row.
///
/// # Errors
/// `RecoveryError::IncompatibleFormat`, or `RecoveryError::Storage` if the store fails.
pub fn check_format(store: &Store) -> Result<(), RecoveryError> {
    let Some(first) = store.scan_events(0).next() else {
        return Ok(());
    };
    let (_, payload) = first?;
    match codec::version_of(&payload) {
        Some(codec::VERSION) => Ok(()),
        found => Err(RecoveryError::IncompatibleFormat {
            found: found.unwrap_or(0),
            expected: codec::VERSION,
        }),
    }
}

/// Loads every vendor: its checkpoint row, then the sales journaled after it.
///
/// # Errors
/// `RecoveryError` for an unreadable store, row or event.
pub fn load_vendors(store: &Store) -> Result<Vec<VendorState>, RecoveryError> {
    let mut vendors: BTreeMap<VendorId, VendorState> = BTreeMap::new();
    for row in store.scan_state_prefix(rows::VENDOR_PREFIX) {
        let (key, value) = row?;
        let state = rows::vendor_from_row(&key, &value)?;
        vendors.insert(state.profile.id, state);
    }
    let Some(oldest) = vendors.values().map(|v| v.applied_seq).min() else {
        return Ok(Vec::new());
    };
    for item in store.scan_events(oldest.saturating_add(1)) {
        let (seq, payload) = item?;
        let event = decode_event(seq, &payload)?;
        if let Some(vendor) = event.vendor().and_then(|id| vendors.get_mut(&id)) {
            vendor.apply_sale(seq, &event);
        }
    }
    Ok(vendors.into_values().collect())
}

/// Loads every stored offer, each with whether a durable purchase used it. Expired ones are
/// loaded too: the book refuses to sell them, and the vendor's next prune deletes their rows.
///
/// # Errors
/// `RecoveryError` for an unreadable store or row.
pub fn load_offers(store: &Store) -> Result<Vec<(Offer, bool)>, RecoveryError> {
    let mut offers = Vec::new();
    for row in store.scan_state_prefix(rows::OFFER_PREFIX) {
        let (key, value) = row?;
        let offer = rows::offer_from_row(&key, &value)?;
        let used = store.get_state(&rows::offer_used_key(offer.id))?.is_some();
        offers.push((offer, used));
    }
    Ok(offers)
}

/// Loads the sign-in e-mails.
///
/// # Errors
/// `RecoveryError` for an unreadable store or row.
pub fn load_emails(store: &Store) -> Result<Vec<(String, AccountId)>, RecoveryError> {
    let mut emails = Vec::new();
    for row in store.scan_state_prefix(rows::EMAIL_PREFIX) {
        let (key, value) = row?;
        let email = key
            .strip_prefix(rows::EMAIL_PREFIX)
            .and_then(|e| std::str::from_utf8(e).ok())
            .ok_or_else(|| RowError::Corrupt {
                key: rows::describe_key(&key),
            })?;
        let account: AccountId = codec::decode(&value).map_err(|_| RowError::Corrupt {
            key: email.to_owned(),
        })?;
        emails.push((email.to_owned(), account));
    }
    Ok(emails)
}

/// Adds every wallet row to the money totals.
///
/// # Errors
/// `RecoveryError` for an unreadable store or row.
pub fn load_totals(store: &Store, totals: &Totals) -> Result<(), RecoveryError> {
    for row in store.scan_state_prefix(rows::ACCOUNT_PREFIX) {
        let (key, value) = row?;
        let Some(currency) = rows::wallet_row_currency(&key) else {
            continue;
        };
        let wallet: Wallet = codec::decode(&value).map_err(|_| RowError::Corrupt {
            key: rows::describe_key(&key),
        })?;
        totals.add_wallet(currency, &wallet);
    }
    Ok(())
}

/// What `farthing check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Events replayed.
    pub events: u64,
    /// Accounts rebuilt.
    pub accounts: usize,
    /// Vendors rebuilt.
    pub vendors: usize,
    /// Every difference between replayed state and stored rows (empty when they agree).
    pub mismatches: Vec<String>,
    /// Per currency: deposits, member balances, vendor gross (micro-units) after replay.
    pub money: BTreeMap<Currency, (u64, i128, u64)>,
    /// True when deposits == balances + vendor gross in every currency.
    pub conserved: bool,
}

impl CheckReport {
    /// True when the rows match the events and money is conserved.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.mismatches.is_empty() && self.conserved
    }
}

/// Mismatches listed in a report at most (the count is always complete).
const MISMATCHES_LISTED_MAX: usize = 100;

/// Replays every event and compares with the stored rows.
///
/// # Errors
/// `RecoveryError` for an unreadable store or event.
pub fn check(store: &Store) -> Result<CheckReport, RecoveryError> {
    check_format(store)?;
    let mut report = CheckReport::default();
    let mut accounts: BTreeMap<AccountId, AccountState> = BTreeMap::new();
    let mut vendors: BTreeMap<VendorId, VendorState> = BTreeMap::new();
    let note = |report: &mut CheckReport, text: String| {
        if report.mismatches.len() < MISMATCHES_LISTED_MAX {
            report.mismatches.push(text);
        }
    };
    for item in store.scan_events(0) {
        let (seq, payload) = item?;
        let event = decode_event(seq, &payload)?;
        report.events = report.events.saturating_add(1);
        match &event {
            Event::AccountOpened { account, .. } => match AccountState::from_opened(&event) {
                Some(state) => {
                    accounts.insert(*account, state);
                }
                None => note(
                    &mut report,
                    format!("event {seq}: account {account} cannot be opened"),
                ),
            },
            Event::VendorRegistered(profile) => {
                vendors.insert(profile.id, VendorState::registered((**profile).clone()));
            }
            _ => {
                if let Some(account) = event.account() {
                    match accounts.get_mut(&account) {
                        Some(state) => state.apply(&event),
                        None => note(
                            &mut report,
                            format!("event {seq}: unknown account {account}"),
                        ),
                    }
                }
                if let Some(vendor) = event.vendor() {
                    match vendors.get_mut(&vendor) {
                        Some(state) => {
                            state.apply_sale(seq, &event);
                        }
                        None => note(&mut report, format!("event {seq}: unknown vendor {vendor}")),
                    }
                }
            }
        }
    }
    // Accounts: the stored rows must be exactly the rows of the replayed state.
    let mut expected: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for state in accounts.values() {
        expected.extend(rows::all_account_rows(state));
    }
    let mut stored: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for row in store.scan_state_prefix(rows::ACCOUNT_PREFIX) {
        let (key, value) = row?;
        stored.insert(key, value);
    }
    for (key, value) in &expected {
        match stored.get(key) {
            None => note(
                &mut report,
                format!("missing row {}", rows::describe_key(key)),
            ),
            Some(found) if found != value => note(
                &mut report,
                format!("row differs {}", rows::describe_key(key)),
            ),
            Some(_) => {}
        }
    }
    for key in stored.keys().filter(|key| !expected.contains_key(*key)) {
        note(
            &mut report,
            format!("row without events {}", rows::describe_key(key)),
        );
    }
    // Vendors: the recovered state (checkpoint + replay after it) must equal the full replay.
    let recovered: BTreeMap<VendorId, VendorState> = load_vendors(store)?
        .into_iter()
        .map(|state| (state.profile.id, state))
        .collect();
    for (id, state) in &vendors {
        if recovered.get(id).map(|r| &r.ledger) != Some(&state.ledger) {
            note(
                &mut report,
                format!("vendor {id}: recovered ledger differs from replay"),
            );
        }
    }
    // Money.
    report.conserved = true;
    for state in accounts.values() {
        for (currency, wallet) in &state.wallets {
            let entry = report.money.entry(*currency).or_default();
            entry.0 = entry.0.saturating_add(wallet.deposited.micros());
            entry.1 = entry.1.saturating_add(i128::from(wallet.balance.micros()));
        }
    }
    for state in vendors.values() {
        for (currency, ledger) in &state.ledger {
            let entry = report.money.entry(*currency).or_default();
            entry.2 = entry.2.saturating_add(ledger.gross.micros());
        }
    }
    for (deposits, balances, gross) in report.money.values() {
        if i128::from(*deposits) != balances.saturating_add(i128::from(*gross)) {
            report.conserved = false;
        }
    }
    report.accounts = accounts.len();
    report.vendors = vendors.len();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::wal::{EventRecord, Journal, JournalConfig, JournalEntry, NoSync};

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// A store in `dir` whose only event has the payload `payload`.
    fn store_with_event(
        dir: &std::path::Path,
        payload: Vec<u8>,
    ) -> Result<Store, Box<dyn std::error::Error>> {
        let config = JournalConfig {
            batch_events_max: 8,
            queue_entries_max: 8,
        };
        let (journal, store, thread) =
            Journal::open(dir, config, Box::new(NoSync), Box::new(|_: &[_]| {}))?;
        let entry = JournalEntry {
            events: vec![EventRecord {
                payload,
                index_keys: Vec::new(),
                notify: false,
            }],
            ..JournalEntry::default()
        };
        journal.try_reserve()?.submit(entry).wait_blocking()?;
        thread.shutdown()?;
        Ok(store)
    }

    #[test]
    fn an_empty_store_has_the_current_format() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        check_format(&store)?;
        Ok(())
    }

    #[test]
    fn a_store_of_the_current_format_is_accepted() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = store_with_event(dir.path(), vec![codec::VERSION, 0])?;
        check_format(&store)?;
        Ok(())
    }

    #[test]
    fn a_store_of_an_older_format_is_refused_by_name() -> TestResult {
        let dir = tempfile::tempdir()?;
        let older = codec::VERSION.checked_sub(1).ok_or("no older format")?;
        let store = store_with_event(dir.path(), vec![older, 0])?;
        let refused = check_format(&store);
        assert!(matches!(
            refused,
            Err(RecoveryError::IncompatibleFormat { found, expected })
                if found == older && expected == codec::VERSION
        ));
        let refused = check(&store).err().map(|error| error.to_string());
        assert!(refused.is_some_and(|text| text.contains("incompatible farthing")));
        Ok(())
    }
}
