//! Storage: the journal of events and the snapshots beside it, behind two narrow ports.
//!
//! - `port`: the [`Journal`](port::Journal) and [`SnapshotStore`](port::SnapshotStore)
//!   traits everything above storage uses, and their errors.
//! - `fjall_store`: the embedded default (fjall, group commit, one writer thread).
//! - `memory`: the same ports in process memory, for tests and simulation.
//! - `format`: the stored format (its own versioned types and keys), private to storage: the
//!   compiler keeps everything above storage from depending on how things are encoded.
//! - `recovery`: start-up recovery, an account's activation, and `farthing check`.
//!
//! Arrows point down only: storage depends on the domain and on nothing above it (actors,
//! HTTP). It holds no business rule: what is written comes from the domain's events and state.

pub mod fjall_store;
mod format;
pub mod memory;
mod memtables;
pub mod port;
pub mod recovery;

pub use format::FORMAT_VERSION;
/// The memtable keeper's metric, for the descriptions in `crate::metrics`.
pub(crate) use memtables::METRIC_MEMTABLES_FREED;

use crate::domain::account::AccountState;
use crate::domain::vendor::VendorState;
use port::{FeedCheckpoint, SnapshotRows};

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
