//! Storage: the journal of events and the snapshots beside it, behind two narrow ports.
//!
//! - `port`: the [`Journal`](port::Journal) and [`SnapshotStore`](port::SnapshotStore)
//!   traits everything above storage uses, and their errors.
//! - `fjall_store`: the embedded default (fjall, group commit, one writer thread), with the
//!   members' statements indexed beside the events.
//! - `memory`: the same ports in process memory, for tests and simulation.
//! - `format`: the stored format (its own versioned types and keys), private to storage: the
//!   compiler keeps everything above storage from depending on how things are encoded.
//! - `recovery`: start-up recovery, an account's activation, and `farthing check`.
//! - `audit_trail`: reading a page of the back office's audit trail.
//!
//! Arrows point down only: storage depends on the domain and on nothing above it (actors,
//! HTTP). It holds no business rule: what is written comes from the domain's events and state.

pub mod audit_trail;
pub mod fjall_store;
mod format;
pub mod journal_days;
pub mod memory;
mod memtables;
pub mod port;
pub mod recovery;
pub mod statement_projection;

pub use format::FORMAT_VERSION;
/// The memtable keeper's metric, for the descriptions in `crate::metrics`.
pub(crate) use memtables::METRIC_MEMTABLES_FREED;

use crate::domain::account::AccountState;
use crate::domain::vendor::VendorState;
use port::{FeedCheckpoint, SnapshotRows};

/// Converts a count to the `f64` that metrics take, without an `as` cast.
fn count_to_f64(count: usize) -> f64 {
    f64::from(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The rows of an account's snapshot after its first `position` events.
#[must_use]
pub fn account_snapshot(position: u64, state: &AccountState) -> SnapshotRows {
    format::encode_account(position, state)
}

/// The rows of a vendor's snapshot after its first `position` own events and the sales up
/// to its `feed_seq`.
#[must_use]
pub fn vendor_snapshot(position: u64, state: &VendorState) -> SnapshotRows {
    format::encode_vendor(position, state)
}

/// The rows of a feed checkpoint and its directory.
#[must_use]
pub fn checkpoint_rows(checkpoint: &FeedCheckpoint) -> SnapshotRows {
    format::encode_checkpoint(checkpoint)
}

/// Decodes `bytes` as the stored value `kind` selects (a journal record, an account, vendor
/// or checkpoint snapshot, an owner-index key) and checks what must hold for any input: a
/// corrupt value is an error, never a panic, and a value that decodes is read back the same
/// after encoding it again. The entry of the journal fuzz target (`crate::fuzzing`), here so
/// the stored format stays private to storage.
///
/// # Panics
/// When one of those properties fails: that is the finding.
pub(crate) fn fuzz_stored_value(kind: u8, bytes: &[u8]) {
    match kind % 5 {
        0 => {
            if let Ok((position, event)) = format::decode_record(bytes) {
                let again = format::encode_record(position, &event);
                assert_eq!(
                    format::decode_record(&again),
                    Ok((position, event)),
                    "a decoded record does not read back the same"
                );
            }
        }
        1 => {
            if let Ok(snapshot) = format::decode_account(bytes) {
                let rows = format::encode_account(snapshot.position, &snapshot.state);
                let again = rows
                    .rows
                    .first()
                    .map(|(_, value)| format::decode_account(value));
                assert_eq!(
                    again,
                    Some(Ok(snapshot)),
                    "a decoded account snapshot does not read back the same"
                );
            }
        }
        2 => {
            // The book of offers is not stored (it is rebuilt from events), so only the
            // parts a snapshot does store are compared.
            if let Ok(snapshot) = format::decode_vendor(bytes) {
                let rows = format::encode_vendor(snapshot.position, &snapshot.state);
                let again = rows
                    .rows
                    .first()
                    .map(|(_, value)| format::decode_vendor(value));
                let Some(Ok(again)) = again else {
                    panic!("a decoded vendor snapshot does not decode again");
                };
                assert_eq!(again.state.profile, snapshot.state.profile);
                assert_eq!(again.state.ledger, snapshot.state.ledger);
            }
        }
        3 => {
            if let Ok(checkpoint) = format::decode_checkpoint(bytes) {
                let rows = format::encode_checkpoint(&checkpoint);
                let again = rows
                    .rows
                    .first()
                    .map(|(_, value)| format::decode_checkpoint(value));
                let Some(Ok(again)) = again else {
                    panic!("a decoded checkpoint does not decode again");
                };
                assert_eq!(again.seq, checkpoint.seq);
                assert_eq!(again.totals, checkpoint.totals);
            }
        }
        _ => {
            let split = bytes.len() / 2;
            let (key, value) = bytes.split_at(split);
            if let Some((owner, position)) = format::split_owner_index_key(key) {
                assert_eq!(
                    format::split_owner_index_key(&format::owner_index_key(owner, position)),
                    Some((owner, position))
                );
            }
            let _ = format::decode_email_row(key, value);
            let _ = format::decode_vendor_directory_row(key, value);
            let _ = format::describe_key(bytes);
            let _ = format::statement_key_place(bytes);
            if let Ok(line) = format::decode_statement_line(bytes) {
                assert_eq!(
                    format::decode_statement_line(&format::encode_statement_line(&line)),
                    Ok(line),
                    "a decoded statement line does not read back the same"
                );
            }
        }
    }
}

/// Checks that an event the domain decided reads back the same from the journal: what the
/// server accepted must replay. Used by the request-body fuzz target (`crate::fuzzing`).
///
/// # Panics
/// When it does not: that is the finding.
pub(crate) fn fuzz_event_round_trip(position: u64, event: &crate::domain::event::Event) {
    let bytes = format::encode_record(position, event);
    match format::decode_record(&bytes) {
        Ok((read_position, read_event)) => {
            assert_eq!(read_position, position);
            assert_eq!(&read_event, event, "an accepted event reads back changed");
        }
        Err(error) => panic!("an accepted event does not read back: {error}"),
    }
}
