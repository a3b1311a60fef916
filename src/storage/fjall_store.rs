//! The embedded storage: fjall as the write-ahead journal of events and as the snapshot store.
//!
//! One dedicated writer thread owns every journal write. Actors call [`Journal::append`] (which
//! encodes on the caller's thread and queues without blocking) and reply to their client only
//! when the [`Ack`] resolves. The writer takes everything waiting, up to `batch_events_max`
//! events, writes it as ONE fjall write batch, makes it durable with ONE explicit persist,
//! hands the durable events to the sink, and only then releases the acks (group commit;
//! DESIGN §3 rule 3). Batches grow by themselves under load: while one persist runs, the next
//! batch queues.
//!
//! A purchase writes its event (`seq` → record) and one owner-index key (`owner, position` →
//! `seq`), which lets an account be read back from its snapshot and the events after it.
//! Nothing else in the batch: its statement rows (the line and its index entries, encoded on
//! the caller's thread) go to the statement projection once the batch is durable, before the
//! acks (`statement_projection`), which writes them into a fjall database of its own
//! (`STATEMENT_DIR`), and the state of accounts and vendors is snapshotted off the hot path,
//! by a second thread writing the `snapshots` keyspace. (An event that adds a sign-in
//! e-mail, an opening or a new login, also writes its directory row in its batch.)
//!
//! The one write that changes what is written already is an account's close
//! ([`Journal::append_erasing`]): its batch also rewrites the account's earlier events with
//! their personal data emptied (found through the owner index; groups of it still queued in
//! the same batch are erased before they are written), and removes its snapshot and
//! directory rows. fjall writes the rewrites as new versions: the old bytes stay in its
//! journal files and tables until they are rotated and compacted away.
//!
//! The statement is read by one range scan of an index (each entry holds its line) bounded by
//! the query's range and cursor, with a budget of entries per page, merged with the rows the
//! projection holds in memory. The rows of events after the statement's watermark (a data
//! directory written before the statement existed, or the buffer a crash lost) are written
//! from the journal at start-up ([`FjallStore::project_statement`]), before anything is
//! served.
//!
//! If a write or persist fails, the journal is poisoned: that batch and every later append
//! fail with `Poisoned`, the poison watch turns true so that the server exits non-zero, and
//! the persist is never retried (STYLE §3.6: after a failed fsync the page cache cannot be
//! trusted; recovery from the log on restart is the only safe path).
//!
//! Why a dedicated `std::thread` and not a tokio task: fjall calls block, and house rule 11
//! keeps blocking calls off async and arbiter threads. Why a bounded tokio `mpsc`: its
//! `try_reserve` refuses a full queue without blocking and without sending.
//!
//! This journal does not check append positions against the owners' streams: it is the
//! only writer of its directory (fjall locks it), and the registry keeps one actor per owner.
//! `farthing check` verifies every owner's positions are consecutive.
//!
//! May depend on: fjall, the storage format and ports, tokio sync primitives, metrics,
//! tracing. Nothing above storage.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fjall::config::FilterPolicy;
use fjall::{
    Database, Keyspace, KeyspaceCreateOptions, OwnedWriteBatch, PersistMode, Readable, Slice,
};
use tokio::sync::{mpsc, oneshot, watch};

use super::count_to_f64;
use super::format::{self, Recorded, SnapshotRows};
use super::memtables::MemtableKeeper;
use super::port::{
    Ack, AckSender, Append, DurableSink, Erasure, Journal, Poison, SnapshotStore, StorageError,
};
use super::statement_projection::{
    AppendedLines, Projection, Projector, TableOrder, TableRows, merge_by_key,
};
use crate::domain::ids::{AccountId, LoginId, Owner};
use crate::domain::statement::{self, Running, StatementCursor, StatementPage, StatementQuery};

/// Histogram: events written per batch.
pub const METRIC_BATCH_EVENTS: &str = "farthing_journal_batch_events";
/// Histogram: seconds to write and persist one batch.
pub const METRIC_PERSIST_SECONDS: &str = "farthing_journal_persist_seconds";
/// Histogram: seconds of one batch's make-durable step alone (the fsync), part of the persist.
pub const METRIC_SYNC_SECONDS: &str = "farthing_journal_sync_seconds";
/// Histogram: seconds from append to ack release, per group.
pub const METRIC_WAIT_SECONDS: &str = "farthing_journal_wait_seconds";
/// Gauge: groups waiting in the queue when the writer starts a batch.
pub const METRIC_QUEUE_DEPTH: &str = "farthing_journal_queue_depth";
/// Counter: batches written and made durable.
pub const METRIC_BATCHES_TOTAL: &str = "farthing_journal_batches_total";
/// Counter: fjall keys the journal wrote (events, owner-index rows, a close's erasures).
pub const METRIC_KEYS_WRITTEN_TOTAL: &str = "farthing_journal_keys_written_total";
/// Counter: failed writes or persists (each one poisons the journal, so at most one).
pub const METRIC_PERSIST_FAILURES_TOTAL: &str = "farthing_journal_persist_failures_total";
/// Counter: snapshot batches written.
pub const METRIC_SNAPSHOTS_WRITTEN_TOTAL: &str = "farthing_snapshots_written_total";

/// Name of the keyspace holding the events: `seq` → record.
const EVENTS_KEYSPACE: &str = "events";
/// Name of the keyspace holding the owner index: `owner, position` → `seq`.
const OWNERS_KEYSPACE: &str = "owners";
/// Name of the keyspace holding snapshots, the feed checkpoint and the directory.
const SNAPSHOTS_KEYSPACE: &str = "snapshots";
/// Name of the keyspace holding the members' statement lines and their indexes, in the
/// statement's own database.
const STATEMENT_KEYSPACE: &str = "statement";
/// Folder of the statement's database, inside the journal's (fjall reads only its own
/// files there: `*.jnl`, `keyspaces/`, `version`, `lock`).
///
/// Why a database of its own: registering an ingested table holds its database's journal
/// lock while the table and the version are made durable (fjall's `Ingestion::finish`),
/// which in the journal's database stalled every purchase's batch behind it, 20-29 ms per
/// table of 65,536 rows, measured (README, "the authorize path"). The statement's database
/// has its own lock and its own compaction thread; the events' writes never wait on it.
const STATEMENT_DIR: &str = "statement";
/// Statement rows held at most while start-up or a backup writes them (about 50 MiB); each
/// such run is written as one table.
const BUILD_ROWS_MAX: usize = 262_144;
/// Keyspaces of the store layouts before format 4; a directory holding them is refused.
const OLD_KEYSPACES: [&str; 2] = ["index", "state"];

/// Name of the writer threads, as seen in `top -H` and panic messages.
const WRITER_THREAD_NAME: &str = "farthing-journal";
const SNAPSHOT_THREAD_NAME: &str = "farthing-snapshots";
/// How long `shutdown` waits before retrying to queue its stop request on a full queue.
const SHUTDOWN_RETRY_DELAY: Duration = Duration::from_millis(1);
/// Snapshot batches written at most in one fjall batch.
const SNAPSHOT_BATCH_MAX: usize = 256;

/// Largest memtable of each keyspace before fjall seals it and flushes it to disk: 16 MiB
/// instead of fjall's 64 MiB. The journal writer's `commit` stalls while fjall's background
/// work holds the locks it needs, and a smaller memtable makes each stall shorter (measured in
/// the README). fjall records this size when it creates a keyspace.
const MEMTABLE_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// fjall background threads (flushes and compactions): one instead of one per core, so a
/// compaction and a flush take turns instead of both taking the shards' cores and making the
/// journal's fsync wait on each other (measured in the README).
const WORKER_THREADS: usize = 1;

/// Limits of the storage threads, from `[journal]` in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreConfig {
    /// Most events the writer puts in one batch. A group is never split, so a group with more
    /// events than this is written alone in a batch of its own.
    pub batch_events_max: usize,
    /// Most groups waiting for the writer. A full queue refuses new work (`Full`, a 503).
    pub queue_entries_max: usize,
    /// Most snapshot batches waiting for the snapshot writer.
    pub snapshot_queue_max: usize,
    /// Statement rows held in memory before they are written as one table (see
    /// `statement_projection`).
    pub statement_rows_max: usize,
}

/// How a batch is written and made durable: the storage seam where tests and benches
/// inject failing writes, failing, slow or counting persists, and a full disk.
///
/// A trait object called once per *batch* (not per event), so production pays one dynamic
/// call per group commit and nothing per request. The `fail` crate was the alternative: its
/// fail points are named strings configured globally per process, so two tests in one binary
/// would share them, and it cannot hand the test the database to write part of a batch and
/// then fail; a seam owned by each store can.
pub trait Durability: Send + 'static {
    /// Writes `batch` into the store (fjall's journal buffer and memtables), not yet durable.
    /// Called once per batch on the writer thread, before [`Durability::make_durable`].
    ///
    /// # Errors
    /// Any error poisons the journal: none of the batch's acks is released.
    fn write(&mut self, batch: OwnedWriteBatch) -> Result<(), fjall::Error> {
        batch.commit()
    }

    /// Makes everything written to `db` so far durable. Called once per batch, on the
    /// writer thread, after the batch is written and before any of its acks are released.
    ///
    /// # Errors
    /// Any error poisons the journal; the call is never retried.
    fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error>;

    /// The seam the snapshot writer uses for its own batches, asked for once at start. A
    /// snapshot is a cache: its writes are handed to the operating system (`NoSync`) and a
    /// failure only drops it, so tests can make this seam fail or stall to prove it.
    fn snapshot_writes(&mut self) -> Box<dyn Durability> {
        Box::new(NoSync)
    }
}

/// Production durability: `fdatasync` of fjall's journal file once per batch.
///
/// `SyncData` rather than `SyncAll`: the journal file's size changes are data for
/// `fdatasync`, and fjall itself syncs with `SyncAll` when it rotates journal files.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncData;

impl Durability for SyncData {
    fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error> {
        db.persist(PersistMode::SyncData)
    }
}

/// Durability without `fsync`: flushes fjall's buffers to the operating system only, so data
/// survives a process crash but not a power loss. For benches and tests that do not care.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSync;

impl Durability for NoSync {
    fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error> {
        db.persist(PersistMode::Buffer)
    }
}

/// Why the store could not be opened or its threads started.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// fjall reported an error (I/O, corruption, a lock held by another process).
    #[error("storage engine error: {0}")]
    Fjall(#[from] fjall::Error),
    /// An operating-system call outside fjall failed, such as spawning a thread.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The limits cannot work; config validation should have caught this.
    #[error("invalid storage configuration: {0}")]
    InvalidConfig(&'static str),
    /// The directory holds a store of another format.
    #[error(
        "the data directory was written by an incompatible farthing (store format {found}, \
         this build reads format {expected}); move it aside and start with an empty one"
    )]
    IncompatibleFormat {
        /// The format found.
        found: u8,
        /// The format this build reads.
        expected: u8,
    },
    /// A stored key or value is not what this format writes.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
}

/// The fjall database of the journal and its three keyspaces, and the statement's database
/// and keyspace. Cheap to clone; all clones share the two databases.
#[derive(Clone)]
pub struct FjallStore {
    db: Database,
    events: Keyspace,
    owners: Keyspace,
    snapshots: Keyspace,
    statement_db: Database,
    statement: Keyspace,
}

impl FjallStore {
    /// Opens (or creates) the store in `dir` and refuses one of another format by name.
    ///
    /// The database is opened with `manual_journal_persist(true)`: the journal decides when
    /// data reaches the disk, with an explicit `PersistMode`, and nothing is persisted behind
    /// its back (STYLE §3.6).
    ///
    /// # Errors
    /// `OpenError::Fjall` if the directory cannot be opened or is locked by another process;
    /// `IncompatibleFormat` for a store of another format.
    pub fn open(dir: &Path) -> Result<FjallStore, OpenError> {
        let db = Database::builder(dir)
            .manual_journal_persist(true)
            .worker_threads(WORKER_THREADS)
            .open()?;
        if OLD_KEYSPACES.iter().any(|name| db.keyspace_exists(name)) {
            let events = db.keyspace(EVENTS_KEYSPACE, KeyspaceCreateOptions::default)?;
            let found = events
                .first_key_value()
                .and_then(|guard| guard.value().ok())
                .and_then(|value| format::version_of(&value))
                .unwrap_or(0);
            return Err(OpenError::IncompatibleFormat {
                found,
                expected: format::VERSION,
            });
        }
        let options = || KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES_MAX);
        if db.keyspace_exists(STATEMENT_KEYSPACE) {
            // Written by a release that kept the statement in the journal's database: it is
            // dropped, and `project_statement` writes it again from the journal.
            db.delete_keyspace(db.keyspace(STATEMENT_KEYSPACE, options)?)?;
        }
        let statement_db = Database::builder(dir.join(STATEMENT_DIR))
            .manual_journal_persist(true)
            .worker_threads(WORKER_THREADS)
            .open()?;
        let store = FjallStore {
            events: db.keyspace(EVENTS_KEYSPACE, options)?,
            owners: db.keyspace(OWNERS_KEYSPACE, options)?,
            snapshots: db.keyspace(SNAPSHOTS_KEYSPACE, options)?,
            statement: statement_db.keyspace(STATEMENT_KEYSPACE, || {
                // Pages are range scans: a bloom filter, which only point reads consult, would
                // cost a hash per row and a filter per table in every ingestion and compaction
                // (a tenth of the projector's CPU, measured with perf).
                KeyspaceCreateOptions::default().filter_policy(FilterPolicy::disabled())
            })?,
            statement_db,
            db,
        };
        if let Some(guard) = store.events.first_key_value() {
            let value = guard.value()?;
            match format::version_of(&value) {
                Some(format::VERSION) => {}
                found => {
                    return Err(OpenError::IncompatibleFormat {
                        found: found.unwrap_or(0),
                        expected: format::VERSION,
                    });
                }
            }
        }
        Ok(store)
    }

    /// The highest sequence number written, or 0 for an empty journal.
    ///
    /// # Errors
    /// `Corrupt` if the last key is not a sequence number; fjall errors.
    pub fn last_seq(&self) -> Result<u64, OpenError> {
        match self.events.last_key_value() {
            None => Ok(0),
            Some(guard) => format::seq_from(&guard.key()?)
                .ok_or_else(|| OpenError::Corrupt("an event key is not a sequence".to_owned())),
        }
    }

    /// Starts the journal writer, the snapshot writer and the memtable keeper on this store.
    /// Sequence numbers continue after the highest one stored (the first event gets 1).
    ///
    /// Install the metrics recorder before calling this: the writers register their metrics
    /// once, at start.
    ///
    /// # Errors
    /// `InvalidConfig` if a limit is zero; `Io` if a thread cannot be spawned.
    pub fn start(
        &self,
        config: StoreConfig,
        mut durability: Box<dyn Durability>,
        sink: Arc<dyn DurableSink>,
    ) -> Result<(Arc<FjallJournal>, Arc<FjallSnapshots>, StorageThreads), OpenError> {
        if config.batch_events_max == 0 {
            return Err(OpenError::InvalidConfig(
                "batch_events_max must be at least 1",
            ));
        }
        if config.queue_entries_max == 0
            || config.snapshot_queue_max == 0
            || config.statement_rows_max == 0
        {
            return Err(OpenError::InvalidConfig("queues must hold at least 1"));
        }
        if config.queue_entries_max > tokio::sync::Semaphore::MAX_PERMITS {
            return Err(OpenError::InvalidConfig(
                "queue_entries_max is larger than the queue supports",
            ));
        }
        let last_seq = self.last_seq()?;
        let next_seq = last_seq.checked_add(1).ok_or(OpenError::InvalidConfig(
            "event sequence numbers are exhausted",
        ))?;
        let snapshot_seam = durability.snapshot_writes();
        let (tx, rx) = mpsc::channel(config.queue_entries_max);
        let shared = Arc::new(Shared {
            poison: Poison::default(),
            stopping: AtomicBool::new(false),
            durable_seq: AtomicU64::new(last_seq),
        });
        let poisoned = Arc::clone(&shared);
        let (projection, projector) = Projection::start(
            self.statement.clone(),
            self.statement_watermark()?.unwrap_or(0),
            config.statement_rows_max,
            move || poisoned.poison.set(),
        )?;
        let writer = Writer {
            projection: projection.clone(),
            store: self.clone(),
            rx,
            batch_events_max: config.batch_events_max,
            durability,
            sink,
            shared: Arc::clone(&shared),
            next_seq,
            metrics: WriterMetrics::register(),
        };
        let writer = std::thread::Builder::new()
            .name(WRITER_THREAD_NAME.to_owned())
            .spawn(move || writer.run())?;
        let (snapshot_tx, snapshot_rx) = mpsc::channel(config.snapshot_queue_max);
        let snapshot_store = self.clone();
        let snapshot_writer = std::thread::Builder::new()
            .name(SNAPSHOT_THREAD_NAME.to_owned())
            .spawn(move || write_snapshots(&snapshot_store, snapshot_seam, snapshot_rx))?;
        let keeper = MemtableKeeper::start(vec![
            self.events.clone(),
            self.owners.clone(),
            self.snapshots.clone(),
        ])?;
        tracing::info!(next_seq, "journal writer started");
        let journal = Arc::new(FjallJournal {
            tx: tx.clone(),
            shared: Arc::clone(&shared),
            store: self.clone(),
            projection,
        });
        let snapshots = Arc::new(FjallSnapshots {
            tx: snapshot_tx.clone(),
            store: self.clone(),
        });
        let threads = StorageThreads {
            tx,
            shared,
            writer,
            projector,
            snapshot_tx,
            snapshot_writer,
            keeper,
        };
        Ok((journal, snapshots, threads))
    }

    /// A read-only view for tools (`farthing check`) and start-up recovery: reads like the
    /// journal, refuses appends.
    ///
    /// # Errors
    /// `Corrupt` when the last event key is not a sequence number; fjall errors.
    pub fn reader(&self) -> Result<(StoreReader, StoreReader), OpenError> {
        let durable = self.last_seq()?;
        let reader = StoreReader {
            store: self.clone(),
            durable,
            poison: Arc::new(Poison::default()),
        };
        Ok((reader.clone(), reader))
    }

    /// Copies a consistent point-in-time view of this store into a new store at `dest`
    /// (which must not hold a store), and makes the copy durable. Safe while the journal
    /// writer runs: it reads one fjall snapshot (a point-in-time view across keyspaces).
    ///
    /// The cut is `durable()` read *after* the snapshot is taken: every event up to it is in
    /// the snapshot (durable means written before), events after it are left out (written,
    /// not yet acknowledged), and every snapshot row in the view describes events that were
    /// durable before the row was written, so up to the cut. Returns the cut and the events
    /// copied.
    ///
    /// # Errors
    /// fjall errors reading this store or writing the copy; `Corrupt` for an unreadable key.
    pub fn copy_to(
        &self,
        dest: &Path,
        durable: impl FnOnce() -> u64,
    ) -> Result<StoreCopy, OpenError> {
        const COPY_BATCH_KEYS_MAX: usize = 10_000;
        let view = self.db.snapshot();
        let cut = durable();
        let copy = FjallStore::open(dest)?;
        let mut batch = copy.db.batch().durability(None);
        let mut events = 0_u64;
        let flush = |batch: &mut OwnedWriteBatch, force: bool| -> Result<(), OpenError> {
            if force || batch.len() >= COPY_BATCH_KEYS_MAX {
                std::mem::replace(batch, copy.db.batch().durability(None)).commit()?;
            }
            Ok(())
        };
        for guard in view.range(&self.events, ..=format::seq_bytes(cut)) {
            let (key, value) = guard.into_inner()?;
            batch.insert(&copy.events, key, value);
            events = events.saturating_add(1);
            flush(&mut batch, false)?;
        }
        for guard in view.iter(&self.owners) {
            let (key, value) = guard.into_inner()?;
            let seq = format::seq_from(&value)
                .ok_or_else(|| OpenError::Corrupt("an owner row is not a sequence".to_owned()))?;
            if seq <= cut {
                batch.insert(&copy.owners, key, value);
                flush(&mut batch, false)?;
            }
        }
        for guard in view.iter(&self.snapshots) {
            let (key, value) = guard.into_inner()?;
            batch.insert(&copy.snapshots, key, value);
            flush(&mut batch, false)?;
        }
        flush(&mut batch, true)?;
        copy.db.persist(PersistMode::SyncAll)?;
        // The statement's database is read after the cut: rows of events past it stay out, as
        // the events do (a row's event is in the copy when its owner row is), and the
        // watermark is the cut at most. Rows of events up to the cut that were not yet
        // stored are written by the copy's start-up, from the watermark on.
        let statement = self.statement_db.snapshot();
        let mut tables = Tables::new(&copy.statement);
        let mut through = 0;
        for guard in statement.iter(&self.statement) {
            let (key, value) = guard.into_inner()?;
            if &*key == format::STATEMENT_PROJECTED_KEY {
                through = format::statement_projected_from(&value)
                    .map_err(|error| OpenError::Corrupt(format!("statement watermark: {error}")))?
                    .min(cut);
                continue;
            }
            let kept = match format::statement_key_place(&key) {
                Some((account, position)) => view
                    .get(
                        &self.owners,
                        format::owner_index_key(Owner::Account(account), position),
                    )?
                    .and_then(|seq| format::seq_from(&seq))
                    .is_some_and(|seq| seq <= cut),
                None => false,
            };
            if kept {
                tables.add_row(&key, &value)?;
            }
        }
        tables.finish(through)?;
        Ok(StoreCopy { seq: cut, events })
    }

    fn read_from(
        &self,
        from_seq: u64,
        durable: u64,
        max: usize,
    ) -> Result<Vec<Recorded>, StorageError> {
        let mut out = Vec::new();
        if from_seq > durable {
            return Ok(out);
        }
        let range = format::seq_bytes(from_seq)..=format::seq_bytes(durable);
        for guard in self.db.snapshot().range(&self.events, range).take(max) {
            let (key, value) = guard.into_inner().map_err(read_error)?;
            let seq = format::seq_from(&key).ok_or_else(|| corrupt("event key"))?;
            let (position, event) =
                format::decode_record(&value).map_err(|e| corrupt_at(seq, &e))?;
            out.push(Recorded {
                seq,
                position,
                event: Arc::new(event),
            });
        }
        Ok(out)
    }

    fn read_owner(
        &self,
        owner: Owner,
        from_position: u64,
        durable: u64,
        max: usize,
    ) -> Result<Vec<Recorded>, StorageError> {
        let start = format::owner_index_key(owner, from_position);
        let end = format::owner_index_key(owner, u64::MAX);
        let snapshot = self.db.snapshot();
        let mut out = Vec::new();
        for guard in snapshot.range(&self.owners, start..=end).take(max) {
            let (key, value) = guard.into_inner().map_err(read_error)?;
            let (_, position) =
                format::split_owner_index_key(&key).ok_or_else(|| corrupt("owner key"))?;
            let seq = format::seq_from(&value).ok_or_else(|| corrupt("owner row"))?;
            if seq > durable {
                break;
            }
            let value = snapshot
                .get(&self.events, format::seq_bytes(seq))
                .map_err(read_error)?
                .ok_or_else(|| corrupt("owner row names a missing event"))?;
            let (stored_position, event) =
                format::decode_record(&value).map_err(|e| corrupt_at(seq, &e))?;
            if stored_position != position || event.owner() != owner {
                return Err(corrupt("owner row and event disagree"));
            }
            out.push(Recorded {
                seq,
                position,
                event: Arc::new(event),
            });
        }
        Ok(out)
    }

    /// A page of `account`'s statement: the most selective index the query allows, bounded by
    /// its range and cursor, read as one range scan (every index entry holds its line),
    /// merged with the rows `projection` has not written yet.
    fn statement_page(
        &self,
        account: AccountId,
        query: &StatementQuery,
        scan_max: u64,
        projection: Option<&Projection>,
    ) -> Result<StatementPage, StorageError> {
        let prefix = format::statement_prefix(account, query.index());
        let Some(range) = format::statement_range(&prefix, query) else {
            return Ok(StatementPage::default());
        };
        // The buffer before the keyspace: a row leaves the buffer only once it is stored.
        let pending = projection.map_or_else(Vec::new, |projection| {
            projection
                .rows_in(&range)
                .into_iter()
                .map(|(key, value)| (Slice::from(key), Slice::from(value)))
                .collect()
        });
        let stored = self
            .statement_db
            .snapshot()
            .range(&self.statement, range)
            .map(|guard| guard.into_inner().map_err(read_error));
        let entries = merge_by_key(pending, stored).map(|row| {
            let (key, value) = row?;
            let cursor =
                format::split_statement_tail(&key).ok_or_else(|| corrupt("statement key"))?;
            Ok((cursor, value))
        });
        statement::collect_page(
            query,
            scan_max,
            entries,
            |(cursor, _)| *cursor,
            |(cursor, value)| statement_line(cursor, &value),
        )
    }

    /// The statement's watermark: every event up to it has its rows in the keyspace. `None`
    /// for a journal whose statement was never built.
    ///
    /// # Errors
    /// `Corrupt` for a watermark that does not decode; fjall errors.
    pub fn statement_watermark(&self) -> Result<Option<u64>, OpenError> {
        self.statement
            .get(format::STATEMENT_PROJECTED_KEY)?
            .map(|value| format::statement_projected_from(&value))
            .transpose()
            .map_err(|error| OpenError::Corrupt(format!("statement watermark: {error}")))
    }

    /// Writes the statement rows of every event after the watermark (all of them for a
    /// journal older than the statement; the last buffer's after a crash), walking the
    /// journal in sequence order with each account's balances from zero (the same
    /// [`Running`] walk the account actors do as they append), as sorted tables of at most
    /// `BUILD_ROWS_MAX` rows, the last with the watermark, each durable when written.
    /// Answers the lines written, `None` when the watermark is the last event (a clean
    /// stop), which costs one read.
    ///
    /// The walk starts at the journal's first event even when only its end is missing: the
    /// balances before the first missing line are those of every earlier event. Safe to run
    /// again after a crash part-way: every row has the same key and value each time, and
    /// the watermark is written last. Call it before the journal writer starts.
    ///
    /// # Errors
    /// `Corrupt` for an event that does not decode (never a panic: data the server once
    /// accepted refuses to start by name); fjall errors.
    pub fn project_statement(&self) -> Result<Option<u64>, OpenError> {
        let last = self.last_seq()?;
        let through = self.statement_watermark()?;
        if through.is_some_and(|through| through >= last) {
            return Ok(None);
        }
        let through = through.unwrap_or(0);
        let mut walks: std::collections::HashMap<AccountId, Running> =
            std::collections::HashMap::new();
        let mut tables = Tables::new(&self.statement);
        let mut lines = 0_u64;
        for guard in self.events.iter() {
            let (key, value) = guard.into_inner()?;
            let seq = format::seq_from(&key)
                .ok_or_else(|| OpenError::Corrupt("an event key is not a sequence".to_owned()))?;
            let (position, event) = format::decode_record(&value)
                .map_err(|error| OpenError::Corrupt(format!("event {seq}: {error}")))?;
            let Owner::Account(account) = event.owner() else {
                continue;
            };
            let running = walks.entry(account).or_default();
            let line = running
                .line(position, &event)
                .map_err(|error| OpenError::Corrupt(format!("event {seq}: {error}")))?;
            let Some(line) = line.filter(|_| seq > through) else {
                continue;
            };
            tables.add_line(account, running.holder(), &line)?;
            lines = lines.saturating_add(1);
        }
        tables.finish(last)?;
        Ok(Some(lines))
    }

    /// Writes the directory rows of `emails`, durably. They are the e-mails recovery found
    /// after the last checkpoint: a build before this one wrote their rows only at the next
    /// checkpoint, which now never comes for them (this build writes each row with its
    /// event, so rewriting the rows of its own events changes nothing). Call it before the
    /// journal writer starts, as a close erases rows.
    ///
    /// # Errors
    /// fjall errors.
    pub fn write_email_rows(&self, emails: &[(String, AccountId)]) -> Result<(), OpenError> {
        if emails.is_empty() {
            return Ok(());
        }
        let mut write = self.db.batch().durability(None);
        for (email, account) in emails {
            let (key, value) = format::email_row(email, *account);
            write.insert(&self.snapshots, key, value);
        }
        write.commit()?;
        self.db.persist(PersistMode::SyncData)?;
        Ok(())
    }

    fn get_snapshot(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self
            .snapshots
            .get(key)
            .map_err(read_error)?
            .map(|value| value.to_vec()))
    }

    fn scan_snapshots(&self, prefix: &[u8]) -> Result<crate::storage::port::Rows, StorageError> {
        self.db
            .snapshot()
            .prefix(&self.snapshots, prefix)
            .map(|guard| {
                let (key, value) = guard.into_inner().map_err(read_error)?;
                Ok((key.to_vec(), value.to_vec()))
            })
            .collect()
    }
}

/// Statement rows written as sorted tables of at most `BUILD_ROWS_MAX` rows, as the projector
/// writes them (no journal, no memtable left for the running server to flush under fjall's
/// journal lock), for the writes that walk a whole journal or store: start-up and backups.
struct Tables<'a> {
    keyspace: &'a Keyspace,
    rows: TableRows,
    order: TableOrder,
}

impl<'a> Tables<'a> {
    fn new(keyspace: &'a Keyspace) -> Tables<'a> {
        Tables {
            keyspace,
            rows: TableRows::default(),
            order: TableOrder::default(),
        }
    }

    /// Adds the rows of one line of `account` (see [`TableRows::add_line`]).
    fn add_line(
        &mut self,
        account: AccountId,
        holder: Option<LoginId>,
        line: &statement::StatementLine,
    ) -> Result<(), fjall::Error> {
        self.rows.add_line(account, holder, line);
        self.write_when_full()
    }

    /// Adds one row as stored.
    fn add_row(&mut self, key: &[u8], value: &[u8]) -> Result<(), fjall::Error> {
        self.rows.add_row(key, value);
        self.write_when_full()
    }

    /// Writes a table once `BUILD_ROWS_MAX` rows are held.
    fn write_when_full(&mut self) -> Result<(), fjall::Error> {
        if self.rows.len() >= BUILD_ROWS_MAX {
            self.rows.write(self.keyspace, None, &mut self.order)?;
            self.rows.clear();
        }
        Ok(())
    }

    /// Writes the rows left with the watermark `through_seq`, last, so that a crash before
    /// it leaves the rows to be written again.
    fn finish(mut self, through_seq: u64) -> Result<(), fjall::Error> {
        self.rows
            .write(self.keyspace, Some(through_seq), &mut self.order)
    }
}

fn read_error(error: fjall::Error) -> StorageError {
    StorageError::Read(error.to_string())
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Read(format!("corrupt {what}"))
}

fn corrupt_at(seq: u64, error: &format::FormatError) -> StorageError {
    StorageError::Read(format!("event {seq}: {error}"))
}

/// Decodes the line stored under the key placed at `cursor`, and checks they agree.
fn statement_line(
    cursor: StatementCursor,
    value: &[u8],
) -> Result<statement::StatementLine, StorageError> {
    let line = format::decode_statement_line(value)
        .map_err(|error| StorageError::Read(format!("statement line: {error}")))?;
    if StatementCursor::after(&line) != cursor {
        return Err(corrupt("statement line and its key disagree"));
    }
    Ok(line)
}

/// What [`FjallStore::copy_to`] copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCopy {
    /// The last event sequence number in the copy: the copy is the store as of this event.
    pub seq: u64,
    /// Events copied.
    pub events: u64,
}

/// Read access for tools, without writer threads: `append` and `save` refuse.
#[derive(Clone)]
pub struct StoreReader {
    store: FjallStore,
    durable: u64,
    poison: Arc<Poison>,
}

impl Journal for StoreReader {
    fn append_erasing(&self, _append: Append, _erasure: Erasure) -> Result<Ack, StorageError> {
        Err(StorageError::Stopped)
    }
    fn append(&self, _append: Append) -> Result<Ack, StorageError> {
        Err(StorageError::Stopped)
    }
    fn durable_seq(&self) -> u64 {
        self.durable
    }
    fn read_from(&self, from_seq: u64, max: usize) -> Result<Vec<Recorded>, StorageError> {
        self.store.read_from(from_seq, self.durable, max)
    }
    fn read_owner(
        &self,
        owner: Owner,
        from_position: u64,
        max: usize,
    ) -> Result<Vec<Recorded>, StorageError> {
        self.store
            .read_owner(owner, from_position, self.durable, max)
    }
    fn statement(
        &self,
        account: AccountId,
        query: &StatementQuery,
        scan_max: u64,
    ) -> Result<StatementPage, StorageError> {
        self.store.statement_page(account, query, scan_max, None)
    }
    fn is_poisoned(&self) -> bool {
        false
    }
    fn poison_watch(&self) -> watch::Receiver<bool> {
        self.poison.subscribe()
    }
    fn queue_depth(&self) -> usize {
        0
    }
}

impl SnapshotStore for StoreReader {
    fn save(&self, _rows: SnapshotRows) -> Result<(), StorageError> {
        Err(StorageError::Stopped)
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.store.get_snapshot(key)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<crate::storage::port::Rows, StorageError> {
        self.store.scan_snapshots(prefix)
    }
    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

/// State shared by the journal handle, the writer thread and the shutdown handle.
struct Shared {
    poison: Poison,
    /// Set by `StorageThreads::shutdown` so that new appends are refused.
    stopping: AtomicBool,
    /// Highest event sequence number known durable (0 before the first event).
    durable_seq: AtomicU64,
}

/// A group on its way to the writer, encoded on the caller's thread.
struct Submission {
    owner: Owner,
    position: u64,
    events: Vec<(Arc<crate::domain::event::Event>, Vec<u8>)>,
    /// The statement lines of the events (an account's only), whose rows the projector
    /// encodes and writes once the events are durable.
    statement: Option<AppendedLines>,
    /// For the group that closes an account: the directory keys of its e-mails. The writer
    /// then erases the owner's earlier events too (see [`Journal::append_erasing`]).
    erase: Option<Vec<Vec<u8>>>,
    ack: AckSender,
    submitted_at: Instant,
}

enum Command {
    Append(Submission),
    Stop,
}

/// The journal handle actors append through.
pub struct FjallJournal {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    store: FjallStore,
    projection: Projection,
}

impl Journal for FjallJournal {
    fn append(&self, append: Append) -> Result<Ack, StorageError> {
        self.submit(append, None)
    }

    fn append_erasing(&self, append: Append, erasure: Erasure) -> Result<Ack, StorageError> {
        let keys = erasure
            .emails
            .iter()
            .map(|email| format::email_key(email))
            .collect();
        self.submit(append, Some(keys))
    }

    fn durable_seq(&self) -> u64 {
        self.shared.durable_seq.load(Ordering::Acquire)
    }

    fn read_from(&self, from_seq: u64, max: usize) -> Result<Vec<Recorded>, StorageError> {
        self.store.read_from(from_seq, self.durable_seq(), max)
    }

    fn read_owner(
        &self,
        owner: Owner,
        from_position: u64,
        max: usize,
    ) -> Result<Vec<Recorded>, StorageError> {
        self.store
            .read_owner(owner, from_position, self.durable_seq(), max)
    }

    fn statement(
        &self,
        account: AccountId,
        query: &StatementQuery,
        scan_max: u64,
    ) -> Result<StatementPage, StorageError> {
        self.store
            .statement_page(account, query, scan_max, Some(&self.projection))
    }

    fn is_poisoned(&self) -> bool {
        self.shared.poison.is_set()
    }

    fn poison_watch(&self) -> watch::Receiver<bool> {
        self.shared.poison.subscribe()
    }

    fn queue_depth(&self) -> usize {
        self.tx.max_capacity().saturating_sub(self.tx.capacity())
    }
}

impl FjallJournal {
    /// Encodes `append` on the caller's thread and queues it for the writer, with the
    /// directory keys a close erases.
    fn submit(&self, append: Append, erase: Option<Vec<Vec<u8>>>) -> Result<Ack, StorageError> {
        if self.shared.poison.is_set() {
            return Err(StorageError::Poisoned);
        }
        if self.shared.stopping.load(Ordering::Acquire) {
            return Err(StorageError::Stopped);
        }
        let permit = match self.tx.try_reserve() {
            Ok(permit) => permit,
            Err(mpsc::error::TrySendError::Full(())) => return Err(StorageError::Full),
            Err(mpsc::error::TrySendError::Closed(())) => {
                return Err(if self.shared.poison.is_set() {
                    StorageError::Poisoned
                } else {
                    StorageError::Stopped
                });
            }
        };
        let mut events = Vec::with_capacity(append.events.len());
        for (position, event) in (append.position..).zip(append.events) {
            assert_eq!(
                event.owner(),
                append.owner,
                "an event appended for another owner"
            );
            let record = format::encode_record(position, &event);
            events.push((event, record));
        }
        let statement = match append.owner {
            Owner::Account(account) if !append.statement.is_empty() => {
                Some(AppendedLines::new(account, append.holder, append.statement))
            }
            Owner::Account(_) => None,
            _ => {
                assert!(
                    append.statement.is_empty(),
                    "statement lines appended for an owner that is not an account"
                );
                None
            }
        };
        let (ack_tx, ack) = Ack::pair();
        permit.send(Command::Append(Submission {
            owner: append.owner,
            position: append.position,
            events,
            statement,
            erase,
            ack: ack_tx,
            submitted_at: Instant::now(),
        }));
        Ok(ack)
    }
}

/// The snapshot store handle: saves go to the snapshot writer thread, reads go to fjall.
pub struct FjallSnapshots {
    tx: mpsc::Sender<SnapshotCommand>,
    store: FjallStore,
}

enum SnapshotCommand {
    Save(SnapshotRows),
    Flush(oneshot::Sender<Result<(), StorageError>>),
    Stop,
}

impl SnapshotStore for FjallSnapshots {
    fn save(&self, rows: SnapshotRows) -> Result<(), StorageError> {
        self.tx
            .try_send(SnapshotCommand::Save(rows))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => StorageError::Full,
                mpsc::error::TrySendError::Closed(_) => StorageError::Stopped,
            })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.store.get_snapshot(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<crate::storage::port::Rows, StorageError> {
        self.store.scan_snapshots(prefix)
    }

    fn flush(&self) -> Result<(), StorageError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .blocking_send(SnapshotCommand::Flush(done))
            .map_err(|_| StorageError::Stopped)?;
        wait.blocking_recv().unwrap_or(Err(StorageError::Stopped))
    }
}

/// The snapshot writer: takes what is queued, writes it in one batch, and hands it to the
/// operating system (no fsync of its own: the next journal persist covers it, and a lost
/// snapshot only means replaying more events). A write that fails is logged and the rows are
/// dropped for the same reason.
fn write_snapshots(
    store: &FjallStore,
    mut seam: Box<dyn Durability>,
    mut rx: mpsc::Receiver<SnapshotCommand>,
) {
    let written = metrics::counter!(METRIC_SNAPSHOTS_WRITTEN_TOTAL);
    let mut pending: Vec<SnapshotRows> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<Result<(), StorageError>>> = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let mut stop = false;
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                SnapshotCommand::Save(rows) => pending.push(rows),
                SnapshotCommand::Flush(done) => waiters.push(done),
                SnapshotCommand::Stop => stop = true,
            }
            if pending.len() < SNAPSHOT_BATCH_MAX {
                next = rx.try_recv().ok();
            }
        }
        let outcome = if pending.is_empty() {
            Ok(())
        } else {
            let mut batch = store.db.batch().durability(None);
            let batches = pending.len();
            for rows in pending.drain(..) {
                for (key, value) in rows.rows {
                    batch.insert(&store.snapshots, key, value);
                }
            }
            let outcome = seam
                .write(batch)
                .and_then(|()| seam.make_durable(&store.db))
                .map_err(|error| StorageError::Read(error.to_string()));
            if let Err(error) = &outcome {
                tracing::error!(%error, "writing snapshots failed; recovery will replay more");
            } else {
                written.increment(u64::try_from(batches).unwrap_or(u64::MAX));
            }
            outcome
        };
        for waiter in waiters.drain(..) {
            let _ = waiter.send(outcome.clone());
        }
        if stop {
            return;
        }
    }
}

/// Owns the storage threads. Keep it in the node and call [`StorageThreads::shutdown`].
pub struct StorageThreads {
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    writer: JoinHandle<()>,
    projector: Projector,
    snapshot_tx: mpsc::Sender<SnapshotCommand>,
    snapshot_writer: JoinHandle<()>,
    keeper: MemtableKeeper,
}

impl StorageThreads {
    /// Refuses new appends, lets the writer write and persist everything already queued,
    /// writes the queued snapshots, and joins the threads. Blocks.
    ///
    /// # Errors
    /// `Poisoned` if a persist failed during the journal's life (so `main` exits non-zero);
    /// `Stopped` if a writer thread panicked.
    pub fn shutdown(self) -> Result<(), StorageError> {
        let StorageThreads {
            tx,
            shared,
            writer,
            projector,
            snapshot_tx,
            snapshot_writer,
            keeper,
        } = self;
        shared.stopping.store(true, Ordering::Release);
        send_stop(&tx, || Command::Stop);
        drop(tx);
        let joined = writer.join();
        // After the writer: the rows of its last batch are in the buffer.
        let projected = projector.stop();
        send_stop(&snapshot_tx, || SnapshotCommand::Stop);
        drop(snapshot_tx);
        let snapshots_joined = snapshot_writer.join();
        keeper.stop();
        joined.map_err(|_| StorageError::Stopped)?;
        snapshots_joined.map_err(|_| StorageError::Stopped)?;
        if !projected {
            return Err(StorageError::Stopped);
        }
        if shared.poison.is_set() {
            return Err(StorageError::Poisoned);
        }
        tracing::info!("journal writer stopped");
        Ok(())
    }
}

/// Queues a stop request behind everything queued. `try_send` in a loop rather than
/// `blocking_send`, which panics in an async context; the writer keeps draining, so a full
/// queue empties.
fn send_stop<T>(tx: &mpsc::Sender<T>, stop: impl Fn() -> T) {
    loop {
        match tx.try_send(stop()) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => return,
            Err(mpsc::error::TrySendError::Full(_)) => std::thread::sleep(SHUTDOWN_RETRY_DELAY),
        }
    }
}

/// Metric handles, registered once so that the writer does no registry lookups per batch.
struct WriterMetrics {
    batch_events: metrics::Histogram,
    persist_seconds: metrics::Histogram,
    sync_seconds: metrics::Histogram,
    wait_seconds: metrics::Histogram,
    queue_depth: metrics::Gauge,
    batches_total: metrics::Counter,
    keys_written_total: metrics::Counter,
    persist_failures_total: metrics::Counter,
}

impl WriterMetrics {
    fn register() -> WriterMetrics {
        WriterMetrics {
            batch_events: metrics::histogram!(METRIC_BATCH_EVENTS),
            persist_seconds: metrics::histogram!(METRIC_PERSIST_SECONDS),
            sync_seconds: metrics::histogram!(METRIC_SYNC_SECONDS),
            wait_seconds: metrics::histogram!(METRIC_WAIT_SECONDS),
            queue_depth: metrics::gauge!(METRIC_QUEUE_DEPTH),
            batches_total: metrics::counter!(METRIC_BATCHES_TOTAL),
            keys_written_total: metrics::counter!(METRIC_KEYS_WRITTEN_TOTAL),
            persist_failures_total: metrics::counter!(METRIC_PERSIST_FAILURES_TOTAL),
        }
    }
}

/// Erases, in a batch about to be written, the groups queued before a closing group of
/// the same owner: they are not in the store yet, so [`erase_stored`] cannot find them.
fn erase_in_batch(batch: &mut [Submission]) {
    let closing: Vec<(usize, Owner)> = batch
        .iter()
        .enumerate()
        .filter(|(_, submission)| submission.erase.is_some())
        .map(|(index, submission)| (index, submission.owner))
        .collect();
    for (before, owner) in closing {
        for earlier in batch
            .iter_mut()
            .take(before)
            .filter(|submission| submission.owner == owner)
        {
            let first = earlier.position;
            for (position, (event, record)) in (first..).zip(earlier.events.iter_mut()) {
                if let Some(erased) = crate::domain::close::erased(event) {
                    *record = format::encode_record(position, &erased);
                    *event = Arc::new(erased);
                }
            }
        }
    }
}

/// Rewrites into `write` the stored events of `owner` before `position` that carry personal
/// data, as a close erases them (found through the owner index); answers how many. Runs on
/// the writer thread, which may block on reads; a read that fails poisons the journal like
/// a failed write (the close is not half-applied: nothing of the batch is written).
fn erase_stored(
    store: &FjallStore,
    write: &mut OwnedWriteBatch,
    owner: Owner,
    position: u64,
) -> Result<usize, fjall::Error> {
    let unreadable = |what: &str| fjall::Error::Io(std::io::Error::other(what.to_owned()));
    let start = format::owner_index_key(owner, 0);
    let Some(last) = position.checked_sub(1) else {
        return Ok(0);
    };
    let end = format::owner_index_key(owner, last);
    let snapshot = store.db.snapshot();
    let mut erased_count = 0_usize;
    for guard in snapshot.range(&store.owners, start..=end) {
        let (_, seq_bytes) = guard.into_inner()?;
        let value = snapshot
            .get(&store.events, seq_bytes.as_ref())?
            .ok_or_else(|| unreadable("an owner row names a missing event"))?;
        let (stored_position, event) =
            format::decode_record(&value).map_err(|_| unreadable("an event does not read"))?;
        if let Some(erased) = crate::domain::close::erased(&event) {
            write.insert(
                &store.events,
                seq_bytes.as_ref(),
                format::encode_record(stored_position, &erased),
            );
            erased_count = erased_count.saturating_add(1);
        }
    }
    Ok(erased_count)
}

/// The writer thread's state. Owned by the thread; nothing else touches it.
struct Writer {
    store: FjallStore,
    projection: Projection,
    rx: mpsc::Receiver<Command>,
    batch_events_max: usize,
    durability: Box<dyn Durability>,
    sink: Arc<dyn DurableSink>,
    shared: Arc<Shared>,
    next_seq: u64,
    metrics: WriterMetrics,
}

impl Writer {
    /// The writer loop: gather a batch, write it, persist it, hand it to the sink, ack; until
    /// the queue is closed and empty, or a persist fails.
    fn run(mut self) {
        let mut batch: Vec<Submission> = Vec::new();
        // A group taken from the queue that did not fit in the previous batch.
        let mut carry: Option<Submission> = None;
        loop {
            let first = match carry.take() {
                Some(submission) => submission,
                None => match self.recv_blocking() {
                    Some(submission) => submission,
                    None => return,
                },
            };
            let mut batch_events = first.events.len();
            batch.push(first);
            while batch_events < self.batch_events_max {
                match self.rx.try_recv() {
                    Ok(Command::Append(submission)) => {
                        let with_next = batch_events.saturating_add(submission.events.len());
                        if with_next > self.batch_events_max {
                            carry = Some(submission);
                            break;
                        }
                        batch_events = with_next;
                        batch.push(submission);
                    }
                    Ok(Command::Stop) => self.rx.close(),
                    Err(_) => break,
                }
            }
            self.metrics.queue_depth.set(count_to_f64(self.rx.len()));

            if let Err(error) = self.write_batch(&mut batch, batch_events) {
                self.metrics.persist_failures_total.increment(1);
                tracing::error!(%error, "journal write or persist failed; poisoning the journal");
                self.shared.poison.set();
                self.fail_all(batch.drain(..).chain(carry.take()));
                return;
            }
        }
    }

    /// Waits for the next group, closing the queue on a stop request. `None` once the queue
    /// is closed and empty.
    fn recv_blocking(&mut self) -> Option<Submission> {
        loop {
            match self.rx.blocking_recv()? {
                Command::Append(submission) => return Some(submission),
                Command::Stop => self.rx.close(),
            }
        }
    }

    /// Writes `batch` in one fjall batch, persists it, calls the sink and releases the acks.
    /// On success `batch` is left empty for reuse.
    fn write_batch(
        &mut self,
        batch: &mut Vec<Submission>,
        batch_events: usize,
    ) -> Result<(), fjall::Error> {
        let started_at = Instant::now();
        let store = &self.store;
        // No implicit flush on commit: `make_durable` below chooses the persist mode.
        let mut write = store.db.batch().durability(None);
        let mut seqs: Vec<Range<u64>> = Vec::with_capacity(batch.len());
        let mut durable: Vec<Recorded> = Vec::with_capacity(batch_events);
        let mut next_seq = self.next_seq;
        let mut keys = 0_usize;
        erase_in_batch(batch);
        for submission in batch.iter() {
            if let Some(emails) = &submission.erase {
                let erased =
                    erase_stored(store, &mut write, submission.owner, submission.position)?;
                for key in emails {
                    write.remove(&store.snapshots, key.as_slice());
                }
                write.remove(
                    &store.snapshots,
                    format::owner_key(submission.owner).to_vec(),
                );
                keys = keys
                    .saturating_add(erased)
                    .saturating_add(emails.len())
                    .saturating_add(1);
            }
            let first_seq = next_seq;
            for (position, (event, record)) in (submission.position..).zip(&submission.events) {
                let seq = next_seq;
                next_seq = match next_seq.checked_add(1) {
                    Some(next) => next,
                    None => {
                        return Err(fjall::Error::Io(std::io::Error::other(
                            "event sequence numbers are exhausted",
                        )));
                    }
                };
                write.insert(&store.events, format::seq_bytes(seq), record.as_slice());
                write.insert(
                    &store.owners,
                    format::owner_index_key(submission.owner, position),
                    format::seq_bytes(seq),
                );
                // In the event's own batch, ordered with the erasures above: see
                // `format::email_row`.
                if let Some((email, account)) = event.login_email() {
                    let (key, value) = format::email_row(email, account);
                    write.insert(&store.snapshots, key, value);
                    keys = keys.saturating_add(1);
                }
                durable.push(Recorded {
                    seq,
                    position,
                    event: Arc::clone(event),
                });
            }
            seqs.push(first_seq..next_seq);
        }
        self.durability.write(write)?;
        let sync_started_at = Instant::now();
        self.durability.make_durable(&store.db)?;
        self.metrics.sync_seconds.record(sync_started_at.elapsed());
        self.next_seq = next_seq;
        if let Some(last_durable) = next_seq.checked_sub(1) {
            self.shared
                .durable_seq
                .fetch_max(last_durable, Ordering::AcqRel);
            // Before the acks: a page read after an ack finds the lines in the buffer.
            let appended = batch
                .iter_mut()
                .filter_map(|submission| submission.statement.take());
            self.projection.add(appended, last_durable);
        }
        self.metrics.persist_seconds.record(started_at.elapsed());
        self.metrics.batch_events.record(count_to_f64(batch_events));
        self.metrics.batches_total.increment(1);
        let keys = durable.len().saturating_mul(2).saturating_add(keys);
        self.metrics
            .keys_written_total
            .increment(u64::try_from(keys).unwrap_or(u64::MAX));

        if !durable.is_empty() {
            self.sink.durable(&durable);
        }
        for (submission, range) in batch.drain(..).zip(seqs) {
            self.metrics
                .wait_seconds
                .record(submission.submitted_at.elapsed());
            submission.ack.send(Ok(range));
        }
        Ok(())
    }

    /// After poisoning: answers `failed` and everything still queued with `Poisoned`, without
    /// writing, until the queue is closed and empty.
    fn fail_all(&mut self, failed: impl Iterator<Item = Submission>) {
        for submission in failed {
            submission.ack.send(Err(StorageError::Poisoned));
        }
        self.rx.close();
        while let Some(command) = self.rx.blocking_recv() {
            if let Command::Append(submission) = command {
                submission.ack.send(Err(StorageError::Poisoned));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;
    use crate::domain::ids::{AccountId, SessionId};
    use crate::domain::time::Timestamp;
    use std::collections::HashSet;
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc as std_mpsc;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const CONFIG: StoreConfig = StoreConfig {
        batch_events_max: 1_024,
        queue_entries_max: 64,
        snapshot_queue_max: 16,
        statement_rows_max: 65_536,
    };

    fn no_sink() -> Arc<dyn DurableSink> {
        Arc::new(super::super::port::NoSink)
    }

    /// An event of `account` (logout of a session), cheap to build in numbers.
    fn ended(account: u64, session: u64) -> Arc<Event> {
        Arc::new(Event::SessionEnded {
            account: AccountId(account),
            session: SessionId(session),
            at: Timestamp(0),
        })
    }

    fn append(account: u64, position: u64, sessions: &[u64]) -> Append {
        Append {
            holder: None,
            owner: Owner::Account(AccountId(account)),
            position,
            events: sessions.iter().map(|s| ended(account, *s)).collect(),
            statement: Vec::new(),
        }
    }

    fn open(
        dir: &Path,
        config: StoreConfig,
        durability: Box<dyn Durability>,
        sink: Arc<dyn DurableSink>,
    ) -> Result<
        (
            Arc<FjallJournal>,
            Arc<FjallSnapshots>,
            StorageThreads,
            FjallStore,
        ),
        OpenError,
    > {
        let store = FjallStore::open(dir)?;
        let (journal, snapshots, threads) = store.start(config, durability, sink)?;
        Ok((journal, snapshots, threads, store))
    }

    /// Counts persists; optionally sleeps to stand in for an `fsync`.
    struct Counting {
        calls: Arc<AtomicUsize>,
        delay: Duration,
    }

    impl Durability for Counting {
        fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.delay);
            db.persist(PersistMode::Buffer)
        }
    }

    /// Holds every persist until the test releases it (or drops the release sender).
    struct Gate {
        entered: std_mpsc::Sender<()>,
        release: std_mpsc::Receiver<()>,
        calls: Arc<AtomicUsize>,
    }

    struct GateHandle {
        entered: std_mpsc::Receiver<()>,
        release: std_mpsc::Sender<()>,
        calls: Arc<AtomicUsize>,
    }

    fn gate() -> (Box<dyn Durability>, GateHandle) {
        let (entered_tx, entered_rx) = std_mpsc::channel();
        let (release_tx, release_rx) = std_mpsc::channel();
        let calls = Arc::new(AtomicUsize::new(0));
        let durability = Gate {
            entered: entered_tx,
            release: release_rx,
            calls: Arc::clone(&calls),
        };
        let handle = GateHandle {
            entered: entered_rx,
            release: release_tx,
            calls,
        };
        (Box::new(durability), handle)
    }

    impl GateHandle {
        fn wait_entered(&self) {
            self.entered
                .recv_timeout(Duration::from_secs(10))
                .expect("a persist should start");
        }
        fn release_one(&self) {
            self.release.send(()).expect("the gate is open");
        }
    }

    impl Durability for Gate {
        fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let _ = self.entered.send(());
            let _ = self.release.recv();
            db.persist(PersistMode::Buffer)
        }
    }

    /// Always fails, counting calls.
    struct Failing {
        calls: Arc<AtomicUsize>,
    }

    impl Durability for Failing {
        fn make_durable(&mut self, _db: &Database) -> Result<(), fjall::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(fjall::Error::Io(std::io::Error::other("disk on fire")))
        }
    }

    /// Records what the sink saw: `(seq, position)` per call.
    #[derive(Default)]
    struct SinkLog(Mutex<Vec<Vec<(u64, u64)>>>);

    impl DurableSink for SinkLog {
        fn durable(&self, events: &[Recorded]) {
            let seen = events.iter().map(|e| (e.seq, e.position)).collect();
            self.0.lock().expect("lock").push(seen);
        }
    }

    #[test]
    fn events_read_back_by_sequence_and_by_owner_after_reopen() -> TestResult {
        let dir = tempfile::tempdir()?;
        {
            let (journal, _snapshots, threads, _) =
                open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            let first = journal.append(append(1, 0, &[10, 11]))?;
            let second = journal.append(append(2, 0, &[20]))?;
            let third = journal.append(append(1, 2, &[12]))?;
            assert_eq!(first.wait_blocking()?, 1..3);
            assert_eq!(second.wait_blocking()?, 3..4);
            assert_eq!(third.wait_blocking()?, 4..5);
            threads.shutdown()?;
        }
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        assert_eq!(store.last_seq()?, 4);
        assert_eq!(journal.durable_seq(), 4);
        let all: Vec<(u64, u64)> = journal
            .read_from(0, 100)?
            .iter()
            .map(|r| (r.seq, r.position))
            .collect();
        assert_eq!(all, vec![(1, 0), (2, 1), (3, 0), (4, 2)]);
        assert_eq!(journal.read_from(3, 1)?.len(), 1);
        let owner = Owner::Account(AccountId(1));
        let mine: Vec<u64> = journal
            .read_owner(owner, 1, 100)?
            .iter()
            .map(|r| r.seq)
            .collect();
        assert_eq!(mine, vec![2, 4]);
        assert_eq!(*journal.read_owner(owner, 0, 1)?[0].event, *ended(1, 10));
        let next = journal.append(append(2, 1, &[21]))?;
        assert_eq!(next.wait_blocking()?, 5..6);
        threads.shutdown()?;
        Ok(())
    }

    #[test]
    fn a_purchase_writes_two_keys() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        journal.append(append(1, 0, &[1]))?.wait_blocking()?;
        threads.shutdown()?;
        assert_eq!(store.events.iter().count(), 1);
        assert_eq!(store.owners.iter().count(), 1);
        assert_eq!(store.snapshots.iter().count(), 0);
        Ok(())
    }

    fn deposited(account: u64, micros: u64, at: i64) -> Arc<Event> {
        Arc::new(Event::Deposited {
            account: AccountId(account),
            currency: crate::domain::money::Currency::parse("USD").expect("USD"),
            amount: crate::domain::money::Amount::from_micros(micros),
            reference: format!("r{at}"),
            by: crate::domain::event::Origin::Admin,
            at: Timestamp(at),
        })
    }

    /// Appends `events` and their `lines` as account 1's group at `position`, and waits for
    /// the ack.
    fn append_of_account_1(
        journal: &FjallJournal,
        position: u64,
        events: Vec<Arc<Event>>,
        lines: Vec<statement::StatementLine>,
    ) -> Result<Range<u64>, StorageError> {
        journal
            .append(Append {
                holder: None,
                owner: Owner::Account(AccountId(1)),
                position,
                events,
                statement: lines,
            })?
            .wait_blocking()
    }

    /// Each line of `page` as its position and the balance after it.
    fn positions_and_balances(page: &StatementPage) -> Vec<(u64, i128)> {
        page.lines
            .iter()
            .map(|line| (line.position, line.balance_after.micros()))
            .collect()
    }

    #[test]
    fn an_account_s_lines_are_written_with_its_events_and_read_by_page() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        let events = vec![deposited(1, 5, 10), ended(1, 7), deposited(1, 3, 20)];
        let lines = statement::lines(&[], 0, &events).map_err(|e| e.to_string())?;
        append_of_account_1(&journal, 0, events, lines)?;
        let read = |journal: &FjallJournal| -> Result<Vec<(u64, i128)>, StorageError> {
            let page = journal.statement(AccountId(1), &StatementQuery::default(), 100)?;
            assert_eq!(page.scanned, 2);
            assert_eq!(page.next, None);
            Ok(positions_and_balances(&page))
        };
        // Acknowledged, not yet stored: the page reads the buffer.
        assert_eq!(store.statement.iter().count(), 0);
        assert_eq!(read(&journal)?, [(2, 8), (0, 5)]);
        threads.shutdown()?;
        // Stored at shutdown: two lines, each its line and its kind entry (a deposit names
        // no vendor or login), and the watermark at the last event.
        assert_eq!(store.statement.iter().count(), 5);
        assert_eq!(store.statement_watermark()?, Some(3));
        assert_eq!(read(&journal)?, [(2, 8), (0, 5)]);
        let other = journal.statement(AccountId(2), &StatementQuery::default(), 100)?;
        assert!(other.lines.is_empty());
        Ok(())
    }

    #[test]
    fn pages_read_alike_while_rows_move_from_the_buffer_to_the_keyspace() -> TestResult {
        let dir = tempfile::tempdir()?;
        // A table every two rows: pages read while the projector writes.
        let config = StoreConfig {
            statement_rows_max: 2,
            ..CONFIG
        };
        let (journal, _snapshots, threads, store) =
            open(dir.path(), config, Box::new(NoSync), no_sink())?;
        let events: Vec<Arc<Event>> = (0..40_u64)
            .map(|position| deposited(1, position + 1, i64::try_from(position / 3).unwrap_or(0)))
            .collect();
        // Every deposit makes one line: the line of position p is lines[p].
        let lines = statement::lines(&[], 0, &events).map_err(|e| e.to_string())?;
        let mut expected: Vec<(u64, i128)> = Vec::new();
        for ((position, event), line) in (0_u64..).zip(events).zip(lines) {
            expected.insert(0, (position, line.balance_after.micros()));
            append_of_account_1(&journal, position, vec![event], vec![line])?;
            let page = journal.statement(AccountId(1), &StatementQuery::default(), 1_000)?;
            let read = positions_and_balances(&page);
            let shown = expected.len().min(StatementQuery::default().limit);
            assert_eq!(read, expected[..shown], "after position {position}");
        }
        threads.shutdown()?;
        assert_eq!(store.statement_watermark()?, Some(40));
        Ok(())
    }

    #[test]
    fn a_holder_s_lines_have_no_login_entry_and_a_holder_filter_reads_every_line() -> TestResult {
        use crate::domain::ids::LoginId;
        let dir = tempfile::tempdir()?;
        let (journal, _snapshots, threads, _) =
            open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        let (holder, kid) = (LoginId(70), LoginId(71));
        let events: Vec<Arc<Event>> = (0..6_i64).map(|at| deposited(1, 5, at + 10)).collect();
        let mut lines = statement::lines(&[], 0, &events).map_err(|e| e.to_string())?;
        // Even positions made by the holder, odd ones by the sub-member.
        for line in &mut lines {
            line.login = Some(if line.position % 2 == 0 { holder } else { kid });
        }
        journal
            .append(Append {
                holder: Some(holder),
                owner: Owner::Account(AccountId(1)),
                position: 0,
                events,
                statement: lines,
            })?
            .wait_blocking()?;
        let positions =
            |login: LoginId, reader: Option<LoginId>| -> Result<Vec<u64>, StorageError> {
                let query = StatementQuery {
                    login: Some(login),
                    holder: reader,
                    ..StatementQuery::default()
                };
                let page = journal.statement(AccountId(1), &query, 100)?;
                Ok(page.lines.iter().map(|line| line.position).collect())
            };
        let read_all = |stage: &str| -> TestResult {
            assert_eq!(positions(holder, Some(holder))?, [4, 2, 0], "{stage}");
            assert_eq!(positions(kid, Some(holder))?, [5, 3, 1], "{stage}");
            assert_eq!(positions(kid, None)?, [5, 3, 1], "{stage}");
            // Read through the login index, the holder has no entries.
            assert_eq!(positions(holder, None)?, Vec::<u64>::new(), "{stage}");
            Ok(())
        };
        read_all("from the buffer")?;
        threads.shutdown()?;
        read_all("from the keyspace")
    }

    #[test]
    fn a_statement_kept_in_the_journal_s_database_is_dropped_and_built_again() -> TestResult {
        let dir = tempfile::tempdir()?;
        {
            // As a release that kept the statement beside the events wrote it.
            let db = Database::builder(dir.path()).open()?;
            let old = db.keyspace(STATEMENT_KEYSPACE, KeyspaceCreateOptions::default)?;
            old.insert(
                format::STATEMENT_PROJECTED_KEY,
                format::statement_projected_value(9),
            )?;
            db.persist(PersistMode::SyncAll)?;
        }
        let store = FjallStore::open(dir.path())?;
        assert!(!store.db.keyspace_exists(STATEMENT_KEYSPACE));
        assert_eq!(
            store.statement_watermark()?,
            None,
            "built again from the journal"
        );
        Ok(())
    }

    #[test]
    fn a_copy_keeps_the_statement_up_to_its_cut_and_no_further() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        let events: Vec<Arc<Event>> = (0..5_i64).map(|at| deposited(1, 5, at + 10)).collect();
        let lines = statement::lines(&[], 0, &events).map_err(|e| e.to_string())?;
        append_of_account_1(&journal, 0, events, lines)?;
        threads.shutdown()?;
        assert_eq!(store.statement_watermark()?, Some(5));
        // Cut after the third event: the statement's database, read after the cut, holds
        // rows of the two events past it, and a watermark past it.
        let dest = tempfile::tempdir()?;
        let copied = store.copy_to(&dest.path().join("store"), || 3)?;
        assert_eq!(copied.seq, 3);
        let copy = FjallStore::open(&dest.path().join("store"))?;
        assert_eq!(copy.statement_watermark()?, Some(3));
        assert_eq!(copy.project_statement()?, None, "nothing to write again");
        let (reader, _) = copy.reader()?;
        let page = reader.statement(AccountId(1), &StatementQuery::default(), 100)?;
        let positions: Vec<u64> = page.lines.iter().map(|line| line.position).collect();
        assert_eq!(positions, [2, 1, 0]);
        Ok(())
    }

    #[test]
    fn a_crash_loses_only_the_buffer_which_start_up_writes_again() -> TestResult {
        let dir = tempfile::tempdir()?;
        {
            let (journal, _snapshots, threads, _) =
                open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            let events = vec![deposited(1, 5, 10)];
            let lines = statement::lines(&[], 0, &events).map_err(|e| e.to_string())?;
            append_of_account_1(&journal, 0, events, lines)?;
            threads.shutdown()?;
        }
        {
            // The next event's rows were in the buffer when the process died: the keyspace
            // has neither them nor a watermark past the first event.
            let (journal, _snapshots, threads, store) =
                open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            append_of_account_1(&journal, 1, vec![deposited(1, 3, 20)], Vec::new())?;
            threads.shutdown()?;
            store.statement.insert(
                format::STATEMENT_PROJECTED_KEY,
                format::statement_projected_value(1),
            )?;
        }
        let store = FjallStore::open(dir.path())?;
        assert_eq!(store.project_statement()?, Some(1), "only the lost line");
        assert_eq!(store.project_statement()?, None, "written once");
        assert_eq!(store.statement_watermark()?, Some(2));
        let (reader, _) = store.reader()?;
        let page = reader.statement(AccountId(1), &StatementQuery::default(), 100)?;
        let read = positions_and_balances(&page);
        assert_eq!(
            read,
            [(1, 8), (0, 5)],
            "the lost line's balance counts the first"
        );
        Ok(())
    }

    #[test]
    fn an_older_journal_gets_its_statement_built_once() -> TestResult {
        let dir = tempfile::tempdir()?;
        {
            // As a build before the statement wrote them: events, no lines, no marker.
            let (journal, _snapshots, threads, store) =
                open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            for (position, event) in [deposited(1, 5, 10), deposited(2, 9, 11)]
                .into_iter()
                .chain([ended(1, 4), deposited(1, 2, 12)])
                .enumerate()
            {
                let account = match &*event {
                    Event::Deposited { account, .. } | Event::SessionEnded { account, .. } => {
                        account.0
                    }
                    _ => 0,
                };
                let position = match position {
                    0 | 1 => 0,
                    2 => 1,
                    _ => 2,
                };
                journal
                    .append(Append {
                        holder: None,
                        owner: Owner::Account(AccountId(account)),
                        position,
                        events: vec![event],
                        statement: Vec::new(),
                    })?
                    .wait_blocking()?;
            }
            threads.shutdown()?;
            // As a build before the statement: no watermark either.
            store.statement.remove(format::STATEMENT_PROJECTED_KEY)?;
        }
        let store = FjallStore::open(dir.path())?;
        assert_eq!(store.statement_watermark()?, None);
        assert_eq!(store.project_statement()?, Some(3));
        assert_eq!(store.project_statement()?, None, "built once");
        let (reader, _) = store.reader()?;
        let page = reader.statement(AccountId(1), &StatementQuery::default(), 100)?;
        let read = positions_and_balances(&page);
        assert_eq!(read, [(2, 7), (0, 5)]);
        let page = reader.statement(AccountId(2), &StatementQuery::default(), 100)?;
        assert_eq!(page.lines.len(), 1);
        assert_eq!(page.lines[0].balance_after.micros(), 9);
        Ok(())
    }

    #[test]
    fn many_appenders_share_few_persists() -> TestResult {
        const APPENDERS: u64 = 8;
        const GROUPS: u64 = 500;
        const WINDOW: usize = 4;
        let dir = tempfile::tempdir()?;
        let persists = Arc::new(AtomicUsize::new(0));
        let durability = Counting {
            calls: Arc::clone(&persists),
            delay: Duration::from_micros(500),
        };
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, Box::new(durability), no_sink())?;
        let appenders: Vec<_> = (0..APPENDERS)
            .map(|account| {
                let journal = Arc::clone(&journal);
                std::thread::spawn(move || {
                    let mut seqs = Vec::new();
                    let mut in_flight = Vec::with_capacity(WINDOW);
                    for position in 0..GROUPS {
                        let ack = journal
                            .append(append(account, position, &[position]))
                            .expect("queue has room");
                        in_flight.push(ack);
                        if in_flight.len() == WINDOW {
                            for ack in in_flight.drain(..) {
                                seqs.push(ack.wait_blocking().expect("durable").start);
                            }
                        }
                    }
                    for ack in in_flight.drain(..) {
                        seqs.push(ack.wait_blocking().expect("durable").start);
                    }
                    seqs
                })
            })
            .collect();
        let mut all = HashSet::new();
        for appender in appenders {
            let seqs = appender.join().expect("no panic");
            assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]));
            all.extend(seqs);
        }
        threads.shutdown()?;
        let groups = usize::try_from(APPENDERS * GROUPS)?;
        assert_eq!(all.len(), groups, "seqs are unique");
        assert_eq!(store.last_seq()?, APPENDERS * GROUPS);
        let persists = persists.load(Ordering::SeqCst);
        assert!(
            persists * 4 <= groups,
            "{persists} persists for {groups} groups"
        );
        Ok(())
    }

    #[test]
    fn no_ack_resolves_before_make_durable_returns() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let sink = Arc::new(SinkLog::default());
        let (journal, _snapshots, threads, _) = open(dir.path(), CONFIG, durability, sink.clone())?;
        let ack = journal.append(append(1, 0, &[1]))?;
        gate.wait_entered();
        assert_eq!(journal.durable_seq(), 0);
        assert!(
            journal.read_from(0, 10)?.is_empty(),
            "not durable, not read"
        );
        assert!(
            sink.0.lock().expect("lock").is_empty(),
            "sink runs after persist"
        );
        gate.release_one();
        assert_eq!(ack.wait_blocking(), Ok(1..2));
        assert_eq!(journal.durable_seq(), 1);
        assert_eq!(*sink.0.lock().expect("lock"), vec![vec![(1, 0)]]);
        drop(gate);
        threads.shutdown()?;
        Ok(())
    }

    fn login_added(account: u64, position: u64, email: &str, hash: &str) -> Append {
        let login = crate::domain::account::Login {
            name: Some("Kim".to_owned()),
            role: crate::domain::logins::LoginRole::Member,
            ..crate::domain::account::Login::holder(
                crate::domain::ids::LoginId(2),
                Some(email.to_owned()),
                hash.to_owned(),
            )
        };
        Append {
            holder: None,
            owner: Owner::Account(AccountId(account)),
            position,
            events: vec![Arc::new(Event::LoginAdded {
                account: AccountId(account),
                login,
                at: Timestamp(0),
            })],
            statement: Vec::new(),
        }
    }

    /// The account a directory row signs `email` in to, if there is a row.
    fn directory_row(
        store: &FjallStore,
        email: &str,
    ) -> Result<Option<AccountId>, Box<dyn std::error::Error>> {
        let key = format::email_key(email);
        Ok(match store.get_snapshot(&key)? {
            Some(value) => Some(format::decode_email_row(&key, &value)?.1),
            None => None,
        })
    }

    #[test]
    fn a_closing_append_erases_stored_and_queued_events_and_directory_rows() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let (journal, snapshots, threads, store) = open(dir.path(), CONFIG, durability, no_sink())?;
        let mut rows = format::SnapshotRows::default();
        rows.rows.push((
            format::owner_key(Owner::Account(AccountId(1))).to_vec(),
            b"old snapshot".to_vec(),
        ));
        snapshots.save(rows)?;
        snapshots.flush()?;
        // Stored before the close; its directory row is written with it, not at a checkpoint.
        let stored = journal.append(login_added(1, 0, "gone@x.org", "secret-stored"))?;
        gate.wait_entered();
        gate.release_one();
        assert_eq!(stored.wait_blocking(), Ok(1..2));
        assert_eq!(directory_row(&store, "gone@x.org")?, Some(AccountId(1)));
        // Another owner's batch holds the writer while the account's next group and its
        // close queue behind it: they go in one batch together.
        let other = journal.append(append(2, 0, &[1]))?;
        gate.wait_entered();
        let queued = journal.append(login_added(1, 1, "queued@x.org", "secret-queued"))?;
        let erasure = Erasure {
            emails: vec!["gone@x.org".to_owned(), "queued@x.org".to_owned()],
        };
        let closing = journal.append_erasing(append(1, 2, &[9]), erasure)?;
        gate.release_one();
        gate.wait_entered();
        gate.release_one();
        assert_eq!(other.wait_blocking(), Ok(2..3));
        assert_eq!(queued.wait_blocking(), Ok(3..4));
        assert_eq!(closing.wait_blocking(), Ok(4..5));
        let events = journal.read_owner(Owner::Account(AccountId(1)), 0, 10)?;
        assert_eq!(events.len(), 3);
        let text = format!("{events:?}");
        assert!(!text.contains("secret-"), "{text}");
        assert!(!text.contains("@x.org"), "{text}");
        assert_eq!(directory_row(&store, "gone@x.org")?, None);
        assert_eq!(directory_row(&store, "queued@x.org")?, None);
        let snapshot = format::owner_key(Owner::Account(AccountId(1)));
        assert!(store.get_snapshot(&snapshot)?.is_none());
        // The e-mail signs up again, for another account: its new row names that one.
        let again = journal.append(login_added(3, 0, "gone@x.org", "another"))?;
        gate.wait_entered();
        gate.release_one();
        assert_eq!(again.wait_blocking(), Ok(5..6));
        assert_eq!(directory_row(&store, "gone@x.org")?, Some(AccountId(3)));
        drop(gate);
        threads.shutdown()?;
        Ok(())
    }

    #[test]
    fn start_up_writes_the_rows_an_older_build_left_to_its_next_checkpoint() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, durability, no_sink())?;
        let added = journal.append(login_added(1, 0, "late@x.org", "hash"))?;
        gate.wait_entered();
        gate.release_one();
        assert_eq!(added.wait_blocking(), Ok(1..2));
        drop(gate);
        threads.shutdown()?;
        // What an older build left: the event without its row (no checkpoint came).
        store.snapshots.remove(format::email_key("late@x.org"))?;
        assert_eq!(directory_row(&store, "late@x.org")?, None);
        let (reader, snapshot_reader) = store.reader()?;
        let recovered = crate::storage::recovery::recover(&reader, &snapshot_reader)?;
        assert_eq!(
            recovered.pending_emails,
            vec![("late@x.org".to_owned(), AccountId(1))]
        );
        store.write_email_rows(&recovered.pending_emails)?;
        assert_eq!(directory_row(&store, "late@x.org")?, Some(AccountId(1)));
        Ok(())
    }

    #[test]
    fn failed_persist_poisons_and_is_never_retried() -> TestResult {
        let dir = tempfile::tempdir()?;
        let calls = Arc::new(AtomicUsize::new(0));
        let durability = Failing {
            calls: Arc::clone(&calls),
        };
        let (journal, _snapshots, threads, _) =
            open(dir.path(), CONFIG, Box::new(durability), no_sink())?;
        let watch = journal.poison_watch();
        assert!(!journal.is_poisoned());
        let ack = journal.append(append(1, 0, &[1]))?;
        assert_eq!(ack.wait_blocking(), Err(StorageError::Poisoned));
        assert!(journal.is_poisoned());
        assert!(*watch.borrow());
        assert_eq!(
            journal.append(append(1, 1, &[2])).err(),
            Some(StorageError::Poisoned)
        );
        assert!(matches!(threads.shutdown(), Err(StorageError::Poisoned)));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "never retried");
        Ok(())
    }

    #[test]
    fn full_queue_refuses_an_append() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let config = StoreConfig {
            queue_entries_max: 1,
            ..CONFIG
        };
        let (journal, _snapshots, threads, _) = open(dir.path(), config, durability, no_sink())?;
        let held = journal.append(append(1, 0, &[1]))?;
        gate.wait_entered();
        let queued = journal.append(append(1, 1, &[2]))?;
        assert_eq!(journal.queue_depth(), 1);
        assert_eq!(
            journal.append(append(1, 2, &[3])).err(),
            Some(StorageError::Full)
        );
        drop(gate);
        assert_eq!(held.wait_blocking(), Ok(1..2));
        assert_eq!(queued.wait_blocking(), Ok(2..3));
        threads.shutdown()?;
        Ok(())
    }

    #[test]
    fn batches_respect_batch_events_max_without_splitting_groups() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let calls = Arc::clone(&gate.calls);
        let config = StoreConfig {
            batch_events_max: 3,
            ..CONFIG
        };
        let (journal, _snapshots, threads, _) = open(dir.path(), config, durability, no_sink())?;
        let held = journal.append(append(9, 0, &[1]))?;
        gate.wait_entered();
        // [2 events + 1 event] fit in one batch of 3; the next 2 carry over; the 5 go alone.
        let acks = [
            journal.append(append(1, 0, &[1, 2]))?,
            journal.append(append(2, 0, &[1]))?,
            journal.append(append(3, 0, &[1, 2]))?,
            journal.append(append(4, 0, &[1, 2, 3, 4, 5]))?,
        ];
        drop(gate);
        assert_eq!(held.wait_blocking(), Ok(1..2));
        let ranges: Vec<_> = acks
            .into_iter()
            .map(Ack::wait_blocking)
            .collect::<Result<_, _>>()?;
        assert_eq!(ranges, vec![2..4, 4..5, 5..7, 7..12]);
        assert_eq!(calls.load(Ordering::SeqCst), 4, "held | 2+1 | 2 | 5");
        threads.shutdown()?;
        Ok(())
    }

    #[test]
    fn shutdown_writes_what_is_queued_then_refuses() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let (journal, _snapshots, threads, store) =
            open(dir.path(), CONFIG, durability, no_sink())?;
        let held = journal.append(append(1, 0, &[1]))?;
        gate.wait_entered();
        let queued: Vec<Ack> = (1..6)
            .map(|position| journal.append(append(1, position, &[position])))
            .collect::<Result<_, _>>()?;
        let stopper = std::thread::spawn(move || threads.shutdown());
        while journal.append(append(2, 0, &[1])).err() != Some(StorageError::Stopped) {
            std::thread::yield_now();
        }
        drop(gate);
        stopper.join().expect("shutdown should not panic")?;
        assert_eq!(held.wait_blocking(), Ok(1..2));
        for ack in queued {
            ack.wait_blocking()?;
        }
        // Appends that raced with the stop were either written in order or refused.
        assert!(store.last_seq()? >= 6);
        Ok(())
    }

    /// Where the written data of the newest journal file ends. fjall preallocates journal
    /// files with zeros, so the file length says nothing; data is contiguous from the start,
    /// so the first all-zero block after it marks the end.
    fn journal_data_end(dir: &Path) -> Result<(PathBuf, u64), Box<dyn std::error::Error>> {
        use std::io::Read;
        let newest = std::fs::read_dir(dir)?
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "jnl"))
            .max_by_key(|path| {
                path.file_stem()
                    .and_then(|stem| stem.to_str())
                    .and_then(|stem| stem.parse::<u64>().ok())
            })
            .ok_or("no journal file")?;
        let mut file = std::fs::File::open(&newest)?;
        let mut block = vec![0_u8; 4_096];
        let (mut offset, mut end) = (0_u64, 0_u64);
        loop {
            let read = file.read(&mut block)?;
            let filled = block.get(..read).ok_or("short read")?;
            match filled.iter().rposition(|byte| *byte != 0) {
                Some(at) => end = offset + u64::try_from(at)? + 1,
                None => break,
            }
            offset += u64::try_from(read)?;
        }
        Ok((newest, end))
    }

    #[test]
    fn a_torn_tail_at_any_byte_loses_only_the_torn_group() -> TestResult {
        const GROUPS: u64 = 6;
        let dir = tempfile::tempdir()?;
        // Where the journal's data ended after each acknowledged group.
        let mut ends = Vec::new();
        {
            let (journal, _snapshots, threads, _) =
                open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            for position in 0..GROUPS {
                journal
                    .append(append(1, position * 2, &[position, position + 100]))?
                    .wait_blocking()?;
                ends.push(journal_data_end(dir.path())?);
            }
            threads.shutdown()?;
        }
        let (path, last_end) = ends.last().cloned().ok_or("no groups")?;
        assert!(
            ends.windows(2).all(|pair| pair[0].0 == pair[1].0),
            "one file"
        );
        let first_end = ends.first().ok_or("no groups")?.1;
        let last_group_start = ends.iter().rev().nth(1).map_or(first_end, |(_, end)| *end);
        // Every cut inside the last group, and every ninth byte back to the end of the first
        // group (each cut costs a reopen): recovery keeps exactly the groups wholly before
        // the cut (fjall drops a torn batch by its checksum and length), never fails to open,
        // never panics.
        let cuts = (last_group_start..last_end)
            .rev()
            .chain((first_end..last_group_start).rev().step_by(9));
        for cut in cuts {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)?
                .set_len(cut)?;
            let whole = ends.iter().filter(|(_, end)| *end <= cut).count();
            let store = FjallStore::open(dir.path())?;
            let kept = u64::try_from(whole)? * 2;
            assert_eq!(store.last_seq()?, kept, "cut at {cut}");
            let (reader, _) = store.reader()?;
            let owner = Owner::Account(AccountId(1));
            let positions: Vec<u64> = reader
                .read_owner(owner, 0, 100)?
                .iter()
                .map(|r| r.position)
                .collect();
            assert_eq!(positions, (0..kept).collect::<Vec<_>>(), "cut at {cut}");
        }
        Ok(())
    }

    #[test]
    fn snapshots_are_written_in_batches_and_read_back() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (_journal, snapshots, threads, _) =
            open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        snapshots.save(SnapshotRows {
            rows: vec![
                (b"a1".to_vec(), b"one".to_vec()),
                (b"a2".to_vec(), b"two".to_vec()),
            ],
        })?;
        snapshots.save(SnapshotRows {
            rows: vec![(b"a1".to_vec(), b"newer".to_vec())],
        })?;
        snapshots.flush()?;
        assert_eq!(snapshots.get(b"a1")?, Some(b"newer".to_vec()));
        assert_eq!(snapshots.scan_prefix(b"a")?.len(), 2);
        assert_eq!(snapshots.get(b"zz")?, None);
        threads.shutdown()?;
        Ok(())
    }

    #[test]
    fn zero_limits_are_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = FjallStore::open(dir.path())?;
        for config in [
            StoreConfig {
                batch_events_max: 0,
                ..CONFIG
            },
            StoreConfig {
                queue_entries_max: 0,
                ..CONFIG
            },
            StoreConfig {
                snapshot_queue_max: 0,
                ..CONFIG
            },
            StoreConfig {
                statement_rows_max: 0,
                ..CONFIG
            },
        ] {
            let started = store.start(config, Box::new(NoSync), no_sink());
            assert!(matches!(started, Err(OpenError::InvalidConfig(_))));
        }
        Ok(())
    }

    #[test]
    fn a_store_of_an_older_layout_is_refused_by_name() -> TestResult {
        let dir = tempfile::tempdir()?;
        {
            let db = Database::builder(dir.path()).open()?;
            let events = db.keyspace(EVENTS_KEYSPACE, KeyspaceCreateOptions::default)?;
            let _state = db.keyspace("state", KeyspaceCreateOptions::default)?;
            events.insert(format::seq_bytes(1), [3_u8, 0])?;
            db.persist(PersistMode::SyncAll)?;
        }
        let refused = FjallStore::open(dir.path()).err().map(|e| e.to_string());
        assert!(
            refused
                .as_deref()
                .is_some_and(|text| text.contains("format 3") && text.contains("incompatible")),
            "{refused:?}"
        );
        Ok(())
    }
}
