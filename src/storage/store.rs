//! Read side of the fjall store: a cloneable handle over the `events`, `index` and `state`
//! keyspaces, used at startup (recovery, `farthing check`) and by the journal writer.
//!
//! Every call here blocks on disk I/O. Call it from the journal writer thread, from startup
//! code, or inside `spawn_blocking`; never from an actor or an async task (house rule 11).
//! Writes never go through this type: the journal (`wal.rs`) is the only writer, so that
//! every change is in one atomic, durable batch.
//!
//! Multi-row reads (the `scan_*` functions) read from a fjall snapshot, so they see whole
//! journal batches or none of one. A batch becomes visible to readers when it is written,
//! which is just before it is made durable. Readers at startup are not affected; a reader
//! running beside the journal keeps only events at or below `Journal::durable_seq`.
//!
//! May depend on: fjall, thiserror. Must not depend on the domain, actors or HTTP: keys and
//! values are opaque bytes here, encoded by `codec.rs`.

use fjall::{Database, Keyspace, KeyspaceCreateOptions, Readable};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Name of the keyspace holding the event history: `seq` (u64 big-endian) → payload.
pub const EVENTS_KEYSPACE: &str = "events";
/// Name of the keyspace holding secondary keys: `index_key ++ seq` (u64 BE) → empty.
pub const INDEX_KEYSPACE: &str = "index";
/// Name of the keyspace holding the current state rows: caller's key → caller's value.
pub const STATE_KEYSPACE: &str = "state";

/// Length of an encoded sequence number, the suffix of every `index` key.
pub const SEQ_BYTES: usize = 8;
/// Longest key fjall accepts (its keys carry a 16-bit length).
pub const KEY_BYTES_MAX: usize = 65_535;
/// Longest caller index key: the stored key also carries the 8-byte sequence number.
pub const INDEX_KEY_BYTES_MAX: usize = KEY_BYTES_MAX - SEQ_BYTES;

/// Largest memtable of each keyspace before fjall seals it and flushes it to disk: 16 MiB
/// instead of fjall's 64 MiB.
///
/// Why: the journal writer's `commit` stalls while fjall's background work holds the locks it
/// needs. When a memtable is sealed, fjall garbage-collects old versions of every keyspace
/// under that keyspace's version lock, and after each flush or compaction it writes and
/// fsyncs the new version file under that same lock. With 64 MiB, 100,000 seeded members and
/// 11,000 requests/s on two cores, a `commit` blocked for 150-250 ms at each memtable
/// rotation, holding up every request behind it (end-to-end p99 120-180 ms). With 16 MiB the
/// longest block was 90-100 ms, and 60-70 ms together with `WORKER_THREADS`; the price is more
/// frequent short stalls (journal waits over 25 ms: about 2% of entries instead of 1.2%).
/// The largest part of each block, freeing the flushed memtable inside the lock, is now done
/// by `memtables.rs` instead; what is left is fjall's version-file fsyncs.
/// Rejected: 8 MiB, whose longest block was barely shorter (about 60 ms) with still more
/// short stalls; and a larger memtable, which only postpones a longer stall.
///
/// fjall records this size when it creates a keyspace and reuses the recorded size when it
/// reopens one, so it applies to stores created from now on and is not an operator setting.
const MEMTABLE_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// fjall background threads (flushes and compactions): one instead of fjall's default of one
/// per core (up to 4).
///
/// Why: with two workers on a two-core machine, a compaction writes table files while the
/// other worker fsyncs fjall's journal under the journal lock for a flush, which makes that
/// fsync (and the journal writer waiting for the lock) slow; the two workers also take both
/// cores from the shards. With one worker, flushes and compactions take turns. Rejected: the
/// default, measured above. The cost is that a flush can wait behind a compaction; fjall halts
/// writes only once a keyspace has four sealed memtables waiting, which never happened in the
/// load tests.
const WORKER_THREADS: usize = 1;

const _: () = assert!(SEQ_BYTES == std::mem::size_of::<u64>());
const _: () = assert!(INDEX_KEY_BYTES_MAX < KEY_BYTES_MAX);

/// Why the store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// fjall reported an error (I/O, corruption, a lock held by another process, poisoning).
    #[error("storage engine error: {0}")]
    Fjall(#[from] fjall::Error),
    /// An operating-system call outside fjall failed, such as spawning the writer thread.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The journal was given limits it cannot work with; config validation should have
    /// caught this earlier.
    #[error("invalid journal configuration: {reason}")]
    InvalidConfig {
        /// Which limit is wrong, as a sentence.
        reason: &'static str,
    },
    /// A stored key does not have the shape this module writes: the store is corrupt or was
    /// written by something else.
    #[error("malformed key in keyspace {keyspace}")]
    MalformedKey {
        /// The keyspace holding the bad key.
        keyspace: &'static str,
    },
    /// Every event sequence number has been used; the journal refuses to wrap.
    #[error("event sequence numbers are exhausted")]
    SeqExhausted,
    /// A persist failed earlier, so the journal stopped; the process must exit and recover.
    #[error("journal is poisoned: a persist failed")]
    Poisoned,
    /// The journal writer thread panicked, which is a bug.
    #[error("journal writer thread panicked")]
    WriterPanicked,
    /// A journal writer was already started on this store; a second one would hand out the
    /// same sequence numbers.
    #[error("a journal writer is already running on this store")]
    WriterAlreadyStarted,
}

/// Cloneable read handle over the store's three keyspaces.
///
/// Cloning is cheap (reference counts); all clones share one fjall `Database`.
#[derive(Clone)]
pub struct Store {
    /// The fjall database; the journal writer persists through it.
    db: Database,
    /// `seq` (u64 BE) → event payload. The event history and the statement source.
    events: Keyspace,
    /// `index_key ++ seq` → empty. Finds events by account+time, vendor+time or id.
    index: Keyspace,
    /// Caller's key → value. The latest state rows, loaded at startup.
    state: Keyspace,
    /// Set when a journal writer starts on this store, so that a second one is refused.
    writer_started: Arc<AtomicBool>,
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    ///
    /// The database is opened with `manual_journal_persist(true)`: the journal decides when
    /// data reaches the disk, with an explicit `PersistMode`, and nothing is persisted behind
    /// its back (STYLE §3.6). It also runs `WORKER_THREADS` background threads, and new
    /// keyspaces get `MEMTABLE_BYTES_MAX`; both keep fjall's background work from stalling
    /// the journal writer for long.
    ///
    /// # Errors
    ///
    /// Returns `StorageError::Fjall` if the directory cannot be opened or recovered, or is
    /// locked by another process.
    pub fn open(dir: &Path) -> Result<Store, StorageError> {
        let db = Database::builder(dir)
            .manual_journal_persist(true)
            .worker_threads(WORKER_THREADS)
            .open()?;
        let keyspace_options =
            || KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES_MAX);
        let events = db.keyspace(EVENTS_KEYSPACE, keyspace_options)?;
        let index = db.keyspace(INDEX_KEYSPACE, keyspace_options)?;
        let state = db.keyspace(STATE_KEYSPACE, keyspace_options)?;
        Ok(Store {
            db,
            events,
            index,
            state,
            writer_started: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Claims the right to be this store's one journal writer.
    ///
    /// # Errors
    ///
    /// `StorageError::WriterAlreadyStarted` if it was claimed before.
    pub(super) fn claim_writer(&self) -> Result<(), StorageError> {
        self.writer_started
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(|_| StorageError::WriterAlreadyStarted)
    }

    /// The fjall database, for the journal writer's batches and persists.
    pub(super) fn database(&self) -> &Database {
        &self.db
    }

    /// All three keyspaces, for the memtable keeper.
    pub(super) fn keyspaces(&self) -> Vec<Keyspace> {
        vec![self.events.clone(), self.index.clone(), self.state.clone()]
    }

    /// The `events` keyspace, for the journal writer.
    pub(super) fn events(&self) -> &Keyspace {
        &self.events
    }

    /// The `index` keyspace, for the journal writer.
    pub(super) fn index(&self) -> &Keyspace {
        &self.index
    }

    /// The `state` keyspace, for the journal writer.
    pub(super) fn state(&self) -> &Keyspace {
        &self.state
    }

    /// Reads one state row.
    ///
    /// # Errors
    ///
    /// Returns `StorageError::Fjall` on an I/O or corruption error.
    pub fn get_state(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.state.get(key)?.map(|value| value.to_vec()))
    }

    /// Iterates over the state rows whose key starts with `prefix`, in key order, from one
    /// snapshot. Streaming (not a `Vec`) so that recovery can load any number of rows
    /// without holding them twice; the caller bounds what it keeps.
    ///
    /// Each item is an error if that row could not be read (`StorageError::Fjall`).
    pub fn scan_state_prefix(
        &self,
        prefix: &[u8],
    ) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StorageError>> + Send + use<> {
        self.db.snapshot().prefix(&self.state, prefix).map(|guard| {
            let (key, value) = guard.into_inner()?;
            Ok((key.to_vec(), value.to_vec()))
        })
    }

    /// Reads the payload of the event with sequence number `seq`.
    ///
    /// # Errors
    ///
    /// Returns `StorageError::Fjall` on an I/O or corruption error.
    pub fn get_event(&self, seq: u64) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .events
            .get(seq.to_be_bytes())?
            .map(|value| value.to_vec()))
    }

    /// Iterates over the events with a sequence number of at least `from_seq`, in sequence
    /// order, from one snapshot. Used by replay (`farthing check`) and statements.
    ///
    /// Each item is `(seq, payload)`, or an error if that event could not be read
    /// (`StorageError::Fjall`) or its key is not 8 bytes (`StorageError::MalformedKey`).
    pub fn scan_events(
        &self,
        from_seq: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StorageError>> + Send + use<> {
        self.db
            .snapshot()
            .range(&self.events, from_seq.to_be_bytes()..)
            .map(|guard| {
                let (key, value) = guard.into_inner()?;
                Ok((decode_event_key(&key)?, value.to_vec()))
            })
    }

    /// Iterates over the index rows whose key starts with `prefix`, yielding the sequence
    /// number of each (the last 8 bytes of the row key) that is at least `from_seq`, in key
    /// order. For one whole index key (an authorization id) key order is sequence order.
    /// Rows below `from_seq` are read and skipped, so for "account A since time T" use
    /// [`Store::scan_index_from`], which starts at T instead.
    ///
    /// Each item is an error if the row could not be read (`StorageError::Fjall`) or is
    /// shorter than a sequence number (`StorageError::MalformedKey`).
    pub fn scan_index(
        &self,
        prefix: &[u8],
        from_seq: u64,
    ) -> impl Iterator<Item = Result<u64, StorageError>> + Send + use<> {
        self.db
            .snapshot()
            .prefix(&self.index, prefix)
            .filter_map(move |guard| {
                let seq = guard
                    .key()
                    .map_err(StorageError::from)
                    .and_then(|key| split_index_row_key(&key).map(|(_, seq)| seq));
                match seq {
                    Ok(seq) if seq < from_seq => None,
                    other => Some(other),
                }
            })
    }

    /// Iterates over the index rows whose key starts with `prefix` and is at least
    /// `start_key`, in key order, from one snapshot. Use it for "account A since time T":
    /// `prefix` = tag ++ account, `start_key` = tag ++ account ++ T (big-endian).
    ///
    /// Each item is `(index_key, seq)`, the caller's index key without the sequence suffix,
    /// or an error if the row could not be read (`StorageError::Fjall`) or is shorter than a
    /// sequence number (`StorageError::MalformedKey`).
    pub fn scan_index_from(
        &self,
        prefix: &[u8],
        start_key: &[u8],
    ) -> impl Iterator<Item = Result<(Vec<u8>, u64), StorageError>> + Send + use<> {
        let (prefix_start, end) = fjall::util::prefix_to_range(prefix);
        let start = if start_key > prefix {
            Bound::Included(fjall::Slice::from(start_key))
        } else {
            prefix_start
        };
        self.db
            .snapshot()
            .range(&self.index, (start, end))
            .map(|guard| {
                let key = guard.key()?;
                let (index_key, seq) = split_index_row_key(&key)?;
                Ok((index_key.to_vec(), seq))
            })
    }

    /// The highest event sequence number written, or `None` if there are no events yet.
    ///
    /// # Errors
    ///
    /// Returns `StorageError::Fjall` on an I/O error, or `StorageError::MalformedKey` if the
    /// last key is not 8 bytes.
    pub fn last_seq(&self) -> Result<Option<u64>, StorageError> {
        match self.events.last_key_value() {
            None => Ok(None),
            Some(guard) => Ok(Some(decode_event_key(&guard.key()?)?)),
        }
    }
}

/// Builds the stored `index` key for one event: the caller's key, then the sequence number.
pub(super) fn index_row_key(index_key: &[u8], seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(index_key.len().saturating_add(SEQ_BYTES));
    key.extend_from_slice(index_key);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// Splits a stored `index` key into the caller's index key and the sequence number.
fn split_index_row_key(key: &[u8]) -> Result<(&[u8], u64), StorageError> {
    let malformed = StorageError::MalformedKey {
        keyspace: INDEX_KEYSPACE,
    };
    let Some((index_key, suffix)) = key
        .len()
        .checked_sub(SEQ_BYTES)
        .and_then(|at| key.split_at_checked(at))
    else {
        return Err(malformed);
    };
    Ok((index_key, decode_seq(suffix, INDEX_KEYSPACE)?))
}

/// Decodes an `events` key.
fn decode_event_key(key: &[u8]) -> Result<u64, StorageError> {
    decode_seq(key, EVENTS_KEYSPACE)
}

/// Decodes an 8-byte big-endian sequence number read from `keyspace`.
fn decode_seq(bytes: &[u8], keyspace: &'static str) -> Result<u64, StorageError> {
    <[u8; SEQ_BYTES]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| StorageError::MalformedKey { keyspace })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_store_has_no_events() -> Result<(), StorageError> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        assert_eq!(store.last_seq()?, None);
        assert_eq!(store.get_event(1)?, None);
        assert_eq!(store.get_state(b"missing")?, None);
        assert_eq!(store.scan_events(0).count(), 0);
        assert_eq!(store.scan_index(b"k", 0).count(), 0);
        Ok(())
    }

    #[test]
    fn index_row_key_appends_big_endian_seq() {
        assert_eq!(
            index_row_key(b"ab", 258),
            b"ab\0\0\0\0\0\0\x01\x02".to_vec()
        );
    }

    #[test]
    fn split_index_row_key_takes_the_last_eight_bytes() {
        let key = index_row_key(b"Zabc", 9);
        assert!(matches!(split_index_row_key(&key), Ok((b"Zabc", 9))));
        assert!(matches!(
            split_index_row_key(&9_u64.to_be_bytes()),
            Ok((b"", 9))
        ));
        assert!(matches!(
            split_index_row_key(b"short"),
            Err(StorageError::MalformedKey { keyspace: "index" })
        ));
    }

    #[test]
    fn decode_seq_rejects_wrong_length() {
        assert!(matches!(
            decode_seq(b"1234567", EVENTS_KEYSPACE),
            Err(StorageError::MalformedKey { keyspace: "events" })
        ));
        assert!(matches!(
            decode_seq(&7_u64.to_be_bytes(), EVENTS_KEYSPACE),
            Ok(7)
        ));
    }
}
