//! The journal: the write-ahead log of domain events and the state rows they change.
//!
//! One dedicated writer thread owns every write to the store. Actors, on other threads,
//! reserve a queue slot (before they mutate memory), submit a [`JournalEntry`], and reply
//! to their client only when the entry's [`Ack`] resolves. The writer takes everything
//! waiting, up to `batch_events_max` events, writes it as ONE fjall write batch (events,
//! index rows and state rows, atomically), makes it durable with ONE explicit persist, runs
//! the durable sink, and only then releases the acks (group commit; DESIGN §3 rule 3).
//! Batches grow by themselves under load: while one persist runs, the next batch queues.
//!
//! If a write or persist fails, the journal is poisoned: that batch and every later submit
//! fail with [`JournalError::Poisoned`], [`Journal::poisoned`] resolves so that the server
//! exits non-zero, and the persist is never retried (STYLE §3.6: after a failed fsync the
//! page cache cannot be trusted; recovery from the log on restart is the only safe path).
//!
//! Why a dedicated `std::thread` and not a tokio task: fjall calls block, and house rule 11
//! keeps blocking calls off async and arbiter threads. Why a bounded tokio `mpsc` and not a
//! `std` channel: its permits let a caller reserve a slot without blocking and without
//! sending yet, which is what "refuse before mutating memory" needs (STYLE §3.5).
//!
//! May depend on: fjall (through `store.rs`), tokio sync primitives, metrics, tracing.
//! Must not depend on the domain, actors or HTTP: payloads and keys are opaque bytes.

use super::memtables::MemtableKeeper;
use super::store::{INDEX_KEY_BYTES_MAX, KEY_BYTES_MAX, SEQ_BYTES, StorageError, Store};
use fjall::{Database, PersistMode};
use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Range;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};

/// Histogram: events written per batch.
pub const METRIC_BATCH_EVENTS: &str = "farthing_journal_batch_events";
/// Histogram: seconds to write and persist one batch.
pub const METRIC_PERSIST_SECONDS: &str = "farthing_journal_persist_seconds";
/// Histogram: seconds from submit to ack release, per entry.
pub const METRIC_WAIT_SECONDS: &str = "farthing_journal_wait_seconds";
/// Gauge: entries waiting in the queue when the writer starts a batch.
pub const METRIC_QUEUE_DEPTH: &str = "farthing_journal_queue_depth";
/// Counter: batches written and made durable.
pub const METRIC_BATCHES_TOTAL: &str = "farthing_journal_batches_total";
/// Counter: failed writes or persists (each one poisons the journal, so at most one).
pub const METRIC_PERSIST_FAILURES_TOTAL: &str = "farthing_journal_persist_failures_total";

/// Name of the writer thread, as seen in `top -H` and panic messages.
const WRITER_THREAD_NAME: &str = "farthing-journal";
/// How long `shutdown` waits before retrying to queue its stop request on a full queue.
const SHUTDOWN_RETRY_DELAY: Duration = Duration::from_millis(1);

/// Limits of the journal, from `config/` (`wal_batch_events_max`, `wal_queue_entries_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalConfig {
    /// Most events the writer puts in one batch. An entry is never split, so an entry with
    /// more events than this is written alone in a batch of its own.
    pub batch_events_max: usize,
    /// Most entries waiting for the writer (reserved slots included). A full queue refuses
    /// new work (`JournalError::Full`, a 503) instead of stalling the caller.
    pub queue_entries_max: usize,
}

/// How a written batch is made durable: the seam where tests and benches inject slow,
/// failing or counting persists.
pub trait Durability: Send + 'static {
    /// Makes everything written to `db` so far durable. Called once per batch, on the
    /// writer thread, after the batch is written and before any of its acks are released.
    ///
    /// # Errors
    ///
    /// Any error poisons the journal; the call is never retried.
    fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error>;
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

/// One domain event to append.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventRecord {
    /// The encoded event (`codec.rs`), stored under its sequence number.
    pub payload: Vec<u8>,
    /// Secondary keys (account+time, vendor+time, authorization id); each is stored as
    /// `index_key ++ seq` so that `Store::scan_index` finds the event. At most
    /// `INDEX_KEY_BYTES_MAX` bytes each.
    pub index_keys: Vec<Vec<u8>>,
    /// Whether the durable sink should see this event once it is durable (for example, to
    /// tell the vendor actor about a sale).
    pub notify: bool,
}

/// What one caller appends atomically: its events and the state rows they change. All of
/// it lands in the same batch, so recovery sees all of it or none of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalEntry {
    /// Events, in the order the caller applied them; they get consecutive sequence numbers.
    /// May be empty (a state-only write such as a checkpoint).
    pub events: Vec<EventRecord>,
    /// State rows to insert or overwrite. Keys are 1 to `KEY_BYTES_MAX` bytes.
    pub state_puts: Vec<(Vec<u8>, Vec<u8>)>,
    /// State rows to remove. Applied after this entry's `state_puts`.
    pub state_deletes: Vec<Vec<u8>>,
}

/// A durable event as shown to the durable sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurableEvent<'a> {
    /// The sequence number the writer assigned.
    pub seq: u64,
    /// The event's payload, as submitted.
    pub payload: &'a [u8],
}

/// Called on the writer thread after each persist and before that batch's acks, with the
/// batch's events whose `notify` was true, in sequence order. Not called for a batch without
/// such events. It must not block: the next batch waits for it.
pub type DurableSink = Box<dyn FnMut(&[DurableEvent<'_>]) + Send>;

/// Why the journal did not take, or did not make durable, an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    /// The queue is full: refuse the request (503 with `Retry-After`) and change nothing.
    #[error("journal queue is full")]
    Full,
    /// A persist failed; the journal takes no more writes and the process must exit.
    #[error("journal is poisoned: a persist failed")]
    Poisoned,
    /// The journal is shutting down, or its writer is gone.
    #[error("journal is stopped")]
    Stopped,
}

/// A submitted entry on its way to the writer.
struct Submission {
    /// What to write.
    entry: JournalEntry,
    /// Where the writer sends the result.
    ack: oneshot::Sender<Result<Range<u64>, JournalError>>,
    /// When the caller submitted, for `farthing_journal_wait_seconds`.
    submitted_at: Instant,
}

/// A message on the journal queue.
enum Command {
    /// Write this entry.
    Append(Submission),
    /// Stop taking new entries; write what is queued, then exit.
    Stop,
}

/// State shared by the journal handles, the writer thread and the shutdown handle.
struct Shared {
    /// Fast check on the submit path; set once, never cleared.
    poisoned: AtomicBool,
    /// Wakes `Journal::poisoned` waiters; holds `true` once poisoned.
    poison_tx: watch::Sender<bool>,
    /// Set by `JournalThread::shutdown` so that new reservations are refused.
    stopping: AtomicBool,
    /// Highest event sequence number known durable (0 before the first event).
    durable_seq: AtomicU64,
}

impl Shared {
    fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
        self.poison_tx.send_replace(true);
    }
}

/// Handle for submitting entries. Cheap to clone (two reference counts); `Send + Sync`.
#[derive(Clone)]
pub struct Journal {
    /// The bounded queue to the writer.
    tx: mpsc::Sender<Command>,
    /// Poison and stop flags.
    shared: Arc<Shared>,
}

/// A reserved queue slot. Taking one first means a full queue is refused before the caller
/// changes its in-memory state, so memory never gets ahead of the log. Dropping it unused
/// frees the slot.
///
/// It owns its slot rather than borrowing the `Journal`, so that an actor can hold it while
/// calling its own `&mut self` methods, or move it into a future. The price, one sender
/// clone per reservation, is two atomic operations.
#[must_use = "a reservation holds a queue slot until it is submitted or dropped"]
pub struct Reservation {
    /// The tokio permit that owns the slot.
    permit: mpsc::OwnedPermit<Command>,
}

/// Resolves when the submitted entry is durable, with the sequence numbers assigned to its
/// events (consecutive, one per event, in order; empty for an entry without events), or
/// with `Err(Poisoned)` if its batch could not be made durable.
///
/// `Err(Stopped)` means the writer vanished without answering, which only a writer panic
/// (a bug) can cause.
#[must_use = "the entry is not known to be durable until its ack resolves"]
pub struct Ack {
    /// The writer's answer.
    rx: oneshot::Receiver<Result<Range<u64>, JournalError>>,
}

/// Owns the writer thread. Keep it in `main` and call [`JournalThread::shutdown`] on exit;
/// if it is dropped instead, the writer runs until every `Journal` handle is gone.
pub struct JournalThread {
    /// Queue handle used to send the stop request.
    tx: mpsc::Sender<Command>,
    /// Poison and stop flags.
    shared: Arc<Shared>,
    /// The writer thread.
    handle: JoinHandle<()>,
    /// Frees flushed memtables off fjall's locks (see `memtables.rs`).
    keeper: MemtableKeeper,
}

impl Journal {
    /// Opens the store in `dir` and starts the journal writer on it.
    ///
    /// Returns the submit handle, a read handle on the same store, and the writer thread.
    ///
    /// # Errors
    ///
    /// As [`Store::open`] and [`Journal::start`].
    pub fn open(
        dir: &Path,
        config: JournalConfig,
        durability: Box<dyn Durability>,
        sink: DurableSink,
    ) -> Result<(Journal, Store, JournalThread), StorageError> {
        let store = Store::open(dir)?;
        let (journal, thread) = Journal::start(&store, config, durability, sink)?;
        Ok((journal, store, thread))
    }

    /// Starts the journal writer on an open store; sequence numbers continue after the
    /// highest one stored (the first event ever gets 1). A store takes one writer in its
    /// life: two would assign the same sequence numbers.
    ///
    /// Install the metrics recorder before calling this: the writer registers its metrics
    /// once, at start.
    ///
    /// # Errors
    ///
    /// `StorageError::InvalidConfig` if a limit is zero; `StorageError::WriterAlreadyStarted`
    /// on a second start; `StorageError::Fjall` if the last sequence number cannot be read;
    /// `StorageError::Io` if the thread cannot be spawned.
    pub fn start(
        store: &Store,
        config: JournalConfig,
        durability: Box<dyn Durability>,
        sink: DurableSink,
    ) -> Result<(Journal, JournalThread), StorageError> {
        if config.batch_events_max == 0 {
            return Err(StorageError::InvalidConfig {
                reason: "batch_events_max must be at least 1",
            });
        }
        if config.queue_entries_max == 0 {
            return Err(StorageError::InvalidConfig {
                reason: "queue_entries_max must be at least 1",
            });
        }
        if config.queue_entries_max > tokio::sync::Semaphore::MAX_PERMITS {
            return Err(StorageError::InvalidConfig {
                reason: "queue_entries_max is larger than the queue supports",
            });
        }
        store.claim_writer()?;
        let last_seq = store.last_seq()?;
        let next_seq = match last_seq {
            None => 1,
            Some(seq) => seq.checked_add(1).ok_or(StorageError::SeqExhausted)?,
        };

        let (tx, rx) = mpsc::channel(config.queue_entries_max);
        let (poison_tx, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            poisoned: AtomicBool::new(false),
            poison_tx,
            stopping: AtomicBool::new(false),
            durable_seq: AtomicU64::new(last_seq.unwrap_or(0)),
        });
        let writer = Writer {
            store: store.clone(),
            rx,
            batch_events_max: config.batch_events_max,
            durability,
            sink,
            shared: Arc::clone(&shared),
            next_seq,
            metrics: WriterMetrics::register(),
        };
        let handle = std::thread::Builder::new()
            .name(WRITER_THREAD_NAME.to_owned())
            .spawn(move || writer.run())?;
        tracing::info!(next_seq, "journal writer started");
        let keeper = MemtableKeeper::start(store.keyspaces())?;

        let journal = Journal {
            tx: tx.clone(),
            shared: Arc::clone(&shared),
        };
        let thread = JournalThread {
            tx,
            shared,
            handle,
            keeper,
        };
        Ok((journal, thread))
    }

    /// Reserves a queue slot without blocking. Call it BEFORE mutating in-memory state.
    ///
    /// # Errors
    ///
    /// `Full` if the queue holds `queue_entries_max` entries; `Poisoned` after a failed
    /// persist; `Stopped` once shutdown has begun.
    pub fn try_reserve(&self) -> Result<Reservation, JournalError> {
        if self.shared.is_poisoned() {
            return Err(JournalError::Poisoned);
        }
        if self.shared.stopping.load(Ordering::Acquire) {
            return Err(JournalError::Stopped);
        }
        match self.tx.clone().try_reserve_owned() {
            Ok(permit) => Ok(Reservation { permit }),
            Err(mpsc::error::TrySendError::Full(_)) => Err(JournalError::Full),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                if self.shared.is_poisoned() {
                    Err(JournalError::Poisoned)
                } else {
                    Err(JournalError::Stopped)
                }
            }
        }
    }

    /// Reserves a slot and submits `entry` at once, for callers with nothing to roll back.
    ///
    /// # Errors
    ///
    /// As [`Journal::try_reserve`].
    ///
    /// # Panics
    ///
    /// As [`Reservation::submit`].
    pub fn submit_now(&self, entry: JournalEntry) -> Result<Ack, JournalError> {
        Ok(self.try_reserve()?.submit(entry))
    }

    /// Whether a persist has failed. Once true, it stays true.
    pub fn is_poisoned(&self) -> bool {
        self.shared.is_poisoned()
    }

    /// Resolves when the journal is poisoned (immediately if it already is). The server
    /// selects on it and exits non-zero.
    pub async fn poisoned(&self) {
        let mut rx = self.shared.poison_tx.subscribe();
        if rx.wait_for(|poisoned| *poisoned).await.is_err() {
            // The sender lives in `self.shared`, so it cannot be gone; never claim poison.
            std::future::pending::<()>().await;
        }
    }

    /// The highest event sequence number known to be durable (0 before the first event).
    /// A store read made from another thread while the journal runs can see a batch that is
    /// written but not yet durable; such a reader keeps only events at or below this mark.
    pub fn durable_seq(&self) -> u64 {
        self.shared.durable_seq.load(Ordering::Acquire)
    }

    /// Entries queued or reserved and not yet taken by the writer.
    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity().saturating_sub(self.tx.capacity())
    }
}

impl Reservation {
    /// Submits `entry` into the reserved slot. Never fails: the outcome arrives on the ack.
    ///
    /// # Panics
    ///
    /// If a key is outside fjall's limits: a state key empty or longer than `KEY_BYTES_MAX`,
    /// an index key longer than `INDEX_KEY_BYTES_MAX`, or a payload or value of 4 GiB or
    /// more. These are bugs in the caller's encoding; asserting here, on the caller's thread,
    /// keeps them from killing the writer thread.
    pub fn submit(self, entry: JournalEntry) -> Ack {
        assert_entry_fits(&entry);
        let (ack_tx, ack_rx) = oneshot::channel();
        // `send` hands back the sender clone; dropping it here is all that is left to do.
        let _sender = self.permit.send(Command::Append(Submission {
            entry,
            ack: ack_tx,
            submitted_at: Instant::now(),
        }));
        Ack { rx: ack_rx }
    }
}

/// Asserts that fjall will accept every key and value of `entry` (it panics otherwise).
fn assert_entry_fits(entry: &JournalEntry) {
    for event in &entry.events {
        assert!(
            u32::try_from(event.payload.len()).is_ok(),
            "event payload too large"
        );
        for index_key in &event.index_keys {
            assert!(index_key.len() <= INDEX_KEY_BYTES_MAX, "index key too long");
        }
    }
    for (key, value) in &entry.state_puts {
        assert!(!key.is_empty(), "empty state key");
        assert!(key.len() <= KEY_BYTES_MAX, "state key too long");
        assert!(u32::try_from(value.len()).is_ok(), "state value too large");
    }
    for key in &entry.state_deletes {
        assert!(!key.is_empty(), "empty state key");
        assert!(key.len() <= KEY_BYTES_MAX, "state key too long");
    }
}

impl Ack {
    /// Blocks the current thread until the entry is durable. For plain threads (benches,
    /// tools); async code awaits the `Ack` instead.
    ///
    /// # Errors
    ///
    /// As the `Ack` future.
    ///
    /// # Panics
    ///
    /// If called inside an async execution context (tokio's `blocking_recv` rule).
    pub fn wait_blocking(self) -> Result<Range<u64>, JournalError> {
        self.rx
            .blocking_recv()
            .unwrap_or(Err(JournalError::Stopped))
    }
}

impl Future for Ack {
    type Output = Result<Range<u64>, JournalError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(JournalError::Stopped)))
    }
}

impl JournalThread {
    /// Refuses new reservations, lets the writer write and persist everything already
    /// queued or reserved, and joins it. Blocks: call it from `main` after the server has
    /// stopped, or inside `spawn_blocking`.
    ///
    /// # Errors
    ///
    /// `StorageError::Poisoned` if a persist failed during the journal's life (so `main`
    /// exits non-zero); `StorageError::WriterPanicked` if the writer panicked.
    pub fn shutdown(self) -> Result<(), StorageError> {
        let JournalThread {
            tx,
            shared,
            handle,
            keeper,
        } = self;
        shared.stopping.store(true, Ordering::Release);
        // `try_send` in a loop rather than `blocking_send`, which panics in an async context.
        // The writer keeps draining, so a full queue empties.
        loop {
            match tx.try_send(Command::Stop) {
                Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => break,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    std::thread::sleep(SHUTDOWN_RETRY_DELAY);
                }
            }
        }
        drop(tx);
        let joined = handle.join();
        keeper.stop();
        joined.map_err(|_| StorageError::WriterPanicked)?;
        if shared.is_poisoned() {
            return Err(StorageError::Poisoned);
        }
        tracing::info!("journal writer stopped");
        Ok(())
    }
}

/// Metric handles, registered once so that the writer does no registry lookups per batch.
struct WriterMetrics {
    batch_events: metrics::Histogram,
    persist_seconds: metrics::Histogram,
    wait_seconds: metrics::Histogram,
    queue_depth: metrics::Gauge,
    batches_total: metrics::Counter,
    persist_failures_total: metrics::Counter,
}

impl WriterMetrics {
    fn register() -> WriterMetrics {
        WriterMetrics {
            batch_events: metrics::histogram!(METRIC_BATCH_EVENTS),
            persist_seconds: metrics::histogram!(METRIC_PERSIST_SECONDS),
            wait_seconds: metrics::histogram!(METRIC_WAIT_SECONDS),
            queue_depth: metrics::gauge!(METRIC_QUEUE_DEPTH),
            batches_total: metrics::counter!(METRIC_BATCHES_TOTAL),
            persist_failures_total: metrics::counter!(METRIC_PERSIST_FAILURES_TOTAL),
        }
    }
}

/// Converts a count to the `f64` that metrics take, without an `as` cast.
fn count_to_f64(count: usize) -> f64 {
    f64::from(u32::try_from(count).unwrap_or(u32::MAX))
}

/// The writer thread's state. Owned by the thread; nothing else touches it.
struct Writer {
    /// Where batches are written.
    store: Store,
    /// The queue from the journal handles.
    rx: mpsc::Receiver<Command>,
    /// Most events per batch (an oversized entry still goes alone).
    batch_events_max: usize,
    /// How a written batch is made durable.
    durability: Box<dyn Durability>,
    /// Sees notify events after each persist.
    sink: DurableSink,
    /// Poison flag and notification.
    shared: Arc<Shared>,
    /// Sequence number of the next event.
    next_seq: u64,
    /// Metric handles.
    metrics: WriterMetrics,
}

impl Writer {
    /// The writer loop: gather a batch, write it, persist it, notify, ack; until the queue
    /// is closed and empty, or a persist fails.
    fn run(mut self) {
        let mut batch: Vec<Submission> = Vec::new();
        // An entry taken from the queue that did not fit in the previous batch.
        let mut carry: Option<Submission> = None;
        loop {
            let first = match carry.take() {
                Some(submission) => submission,
                None => match self.recv_blocking() {
                    Some(submission) => submission,
                    None => return,
                },
            };
            let mut batch_events = first.entry.events.len();
            batch.push(first);
            while batch_events < self.batch_events_max {
                match self.rx.try_recv() {
                    Ok(Command::Append(submission)) => {
                        let with_next = batch_events.saturating_add(submission.entry.events.len());
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
                self.shared.poison();
                self.fail_all(batch.drain(..).chain(carry.take()));
                return;
            }
        }
    }

    /// Waits for the next entry, closing the queue on a stop request. `None` once the queue
    /// is closed and empty and no reservation is outstanding.
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
    ) -> Result<(), StorageError> {
        let started_at = Instant::now();
        let store = &self.store;
        // No implicit flush on commit: `make_durable` below chooses the persist mode.
        let mut write = store.database().batch().durability(None);

        // Sequence numbers: consecutive within an entry, increasing across entries.
        let mut seqs: Vec<Range<u64>> = Vec::with_capacity(batch.len());
        let mut next_seq = self.next_seq;
        for submission in batch.iter() {
            let first_seq = next_seq;
            for event in &submission.entry.events {
                let seq = next_seq;
                next_seq = next_seq.checked_add(1).ok_or(StorageError::SeqExhausted)?;
                write.insert(
                    store.events(),
                    seq.to_be_bytes().as_slice(),
                    event.payload.as_slice(),
                );
                for index_key in &event.index_keys {
                    let key = super::store::index_row_key(index_key, seq);
                    write.insert(store.index(), key, b"".as_slice());
                }
            }
            seqs.push(first_seq..next_seq);
        }

        // Later writes to a state key win, in queue order. fjall stamps one sequence number
        // on a whole batch, so two items with the same key in one batch would tie; keeping
        // only the last one avoids relying on how fjall breaks that tie, and writes a hot
        // account's row once per batch instead of once per entry.
        let mut state_rows: BTreeMap<&[u8], Option<&[u8]>> = BTreeMap::new();
        for submission in batch.iter() {
            for (key, value) in &submission.entry.state_puts {
                state_rows.insert(key.as_slice(), Some(value.as_slice()));
            }
            for key in &submission.entry.state_deletes {
                state_rows.insert(key.as_slice(), None);
            }
        }
        for (key, value) in state_rows {
            match value {
                Some(value) => write.insert(store.state(), key, value),
                None => write.remove(store.state(), key),
            }
        }

        write.commit()?;
        self.durability.make_durable(store.database())?;
        self.next_seq = next_seq;
        if let Some(last_durable) = next_seq.checked_sub(1) {
            self.shared
                .durable_seq
                .fetch_max(last_durable, Ordering::AcqRel);
        }
        self.metrics.persist_seconds.record(started_at.elapsed());
        self.metrics.batch_events.record(count_to_f64(batch_events));
        self.metrics.batches_total.increment(1);

        let durable: Vec<DurableEvent<'_>> = batch
            .iter()
            .zip(&seqs)
            .flat_map(|(submission, range)| range.clone().zip(&submission.entry.events))
            .filter(|(_, event)| event.notify)
            .map(|(seq, event)| DurableEvent {
                seq,
                payload: event.payload.as_slice(),
            })
            .collect();
        if !durable.is_empty() {
            (self.sink)(&durable);
        }
        drop(durable);

        for (submission, range) in batch.drain(..).zip(seqs) {
            self.metrics
                .wait_seconds
                .record(submission.submitted_at.elapsed());
            // The caller may have stopped waiting; the entry is durable either way.
            let _ = submission.ack.send(Ok(range));
        }
        Ok(())
    }

    /// After poisoning: answers `failed` and everything still queued or reserved with
    /// `Poisoned`, without writing, until the queue is closed and empty.
    fn fail_all(&mut self, failed: impl Iterator<Item = Submission>) {
        for submission in failed {
            let _ = submission.ack.send(Err(JournalError::Poisoned));
        }
        self.rx.close();
        while let Some(command) = self.rx.blocking_recv() {
            if let Command::Append(submission) = command {
                let _ = submission.ack.send(Err(JournalError::Poisoned));
            }
        }
    }
}

// `SEQ_BYTES` is what `index_row_key` appends; keep the limits consistent.
const _: () = assert!(INDEX_KEY_BYTES_MAX.saturating_add(SEQ_BYTES) == KEY_BYTES_MAX);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc as std_mpsc;

    type TestResult = Result<(), Box<dyn std::error::Error>>;
    /// What the sink saw: one `Vec` of `(seq, payload)` per call.
    type SinkLog = Arc<Mutex<Vec<Vec<(u64, Vec<u8>)>>>>;

    const CONFIG: JournalConfig = JournalConfig {
        batch_events_max: 1_024,
        queue_entries_max: 64,
    };

    fn no_sink() -> DurableSink {
        Box::new(|_: &[DurableEvent<'_>]| {})
    }

    fn event(payload: &[u8], index_keys: &[&[u8]], notify: bool) -> EventRecord {
        EventRecord {
            payload: payload.to_vec(),
            index_keys: index_keys.iter().map(|key| key.to_vec()).collect(),
            notify,
        }
    }

    fn one_event(payload: &[u8]) -> JournalEntry {
        JournalEntry {
            events: vec![event(payload, &[], false)],
            ..JournalEntry::default()
        }
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
        /// Waits until the writer is inside `make_durable`.
        fn wait_entered(&self) {
            self.entered
                .recv_timeout(Duration::from_secs(10))
                .expect("writer should reach make_durable");
        }

        /// Lets one held persist finish.
        fn release_one(&self) {
            self.release.send(()).expect("gate should be alive");
        }
    }

    impl Durability for Gate {
        fn make_durable(&mut self, db: &Database) -> Result<(), fjall::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let _ = self.entered.send(());
            // A dropped release sender opens the gate for good.
            let _ = self.release.recv();
            db.persist(PersistMode::Buffer)
        }
    }

    /// Fails every persist, counting the attempts.
    struct Failing {
        calls: Arc<AtomicUsize>,
    }

    impl Durability for Failing {
        fn make_durable(&mut self, _db: &Database) -> Result<(), fjall::Error> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(fjall::Error::Io(std::io::Error::other(
                "injected fsync failure",
            )))
        }
    }

    /// Polls `ack` briefly; `None` if it is still pending.
    fn poll_briefly(
        runtime: &tokio::runtime::Runtime,
        ack: &mut Ack,
    ) -> Option<Result<Range<u64>, JournalError>> {
        runtime
            .block_on(async { tokio::time::timeout(Duration::from_millis(50), ack).await })
            .ok()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime should build")
    }

    #[test]
    fn entries_are_readable_after_reopen_and_seqs_continue() -> TestResult {
        let dir = tempfile::tempdir()?;
        {
            let (journal, _store, thread) =
                Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            let first = journal.submit_now(JournalEntry {
                events: vec![
                    event(b"debit-1", &[b"acct:A", b"auth:1"], false),
                    event(b"debit-2", &[b"acct:A", b"auth:2"], false),
                ],
                state_puts: vec![
                    (b"member:A".to_vec(), b"balance=8".to_vec()),
                    (b"member:B".to_vec(), b"balance=1".to_vec()),
                ],
                state_deletes: vec![],
            })?;
            let checkpoint = journal.submit_now(JournalEntry {
                events: vec![],
                state_puts: vec![(b"checkpoint".to_vec(), b"2".to_vec())],
                state_deletes: vec![b"member:B".to_vec()],
            })?;
            let third = journal.submit_now(JournalEntry {
                events: vec![event(b"deposit", &[b"acct:B"], false)],
                state_puts: vec![(b"member:A".to_vec(), b"balance=9".to_vec())],
                state_deletes: vec![],
            })?;
            assert_eq!(first.wait_blocking()?, 1..3);
            assert_eq!(checkpoint.wait_blocking()?, 3..3);
            assert_eq!(third.wait_blocking()?, 3..4);
            thread.shutdown()?;
        }

        let (journal, store, thread) =
            Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        assert_eq!(store.last_seq()?, Some(3));
        let events: Vec<(u64, Vec<u8>)> = store.scan_events(0).collect::<Result<_, _>>()?;
        assert_eq!(
            events,
            vec![
                (1, b"debit-1".to_vec()),
                (2, b"debit-2".to_vec()),
                (3, b"deposit".to_vec())
            ]
        );
        assert_eq!(store.scan_events(3).count(), 1);
        assert_eq!(store.get_event(2)?, Some(b"debit-2".to_vec()));
        assert_eq!(store.get_event(4)?, None);
        let acct_a: Vec<u64> = store.scan_index(b"acct:A", 0).collect::<Result<_, _>>()?;
        assert_eq!(acct_a, vec![1, 2]);
        let acct_a_later: Vec<u64> = store.scan_index(b"acct:A", 2).collect::<Result<_, _>>()?;
        assert_eq!(acct_a_later, vec![2]);
        let auth_2: Vec<u64> = store.scan_index(b"auth:2", 0).collect::<Result<_, _>>()?;
        assert_eq!(auth_2, vec![2]);
        // A shorter prefix spans several index keys, in key order.
        let accounts: Vec<u64> = store.scan_index(b"acct:", 0).collect::<Result<_, _>>()?;
        assert_eq!(accounts, vec![1, 2, 3]);
        let accounts: Vec<u64> = store.scan_index(b"acct:", 3).collect::<Result<_, _>>()?;
        assert_eq!(accounts, vec![3]);
        let from_b: Vec<(Vec<u8>, u64)> = store
            .scan_index_from(b"acct:", b"acct:B")
            .collect::<Result<_, _>>()?;
        assert_eq!(from_b, vec![(b"acct:B".to_vec(), 3)]);
        let all: Vec<(Vec<u8>, u64)> = store
            .scan_index_from(b"acct:", b"")
            .collect::<Result<_, _>>()?;
        assert_eq!(all.len(), 3);
        assert_eq!(store.scan_index_from(b"acct:", b"acct:C").count(), 0);
        assert_eq!(store.get_state(b"member:A")?, Some(b"balance=9".to_vec()));
        assert_eq!(store.get_state(b"member:B")?, None);
        let members: Vec<(Vec<u8>, Vec<u8>)> = store
            .scan_state_prefix(b"member:")
            .collect::<Result<_, _>>()?;
        assert_eq!(members, vec![(b"member:A".to_vec(), b"balance=9".to_vec())]);

        assert_eq!(journal.durable_seq(), 3);
        let fourth = journal.submit_now(one_event(b"after-reopen"))?;
        assert_eq!(fourth.wait_blocking()?, 4..5);
        thread.shutdown()?;
        assert_eq!(store.last_seq()?, Some(4));
        Ok(())
    }

    /// The fjall journal file(s) in `dir`: `<n>.jnl`, highest `n` last.
    fn journal_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        let mut files: Vec<_> = std::fs::read_dir(dir)?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()?;
        files.retain(|path| path.extension().is_some_and(|ext| ext == "jnl"));
        files.sort();
        Ok(files)
    }

    /// Copies a store directory, except its journal files (the test writes those).
    fn copy_dir_without_journals(from: &Path, to: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let target = to.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                copy_dir_without_journals(&entry.path(), &target)?;
            } else if entry.path().extension().is_none_or(|ext| ext != "jnl") {
                std::fs::copy(entry.path(), target)?;
            }
        }
        Ok(())
    }

    /// The first `len` bytes of `path` (the journal is preallocated; its data is at the head).
    fn read_head(path: &Path, len: u64) -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let mut head = Vec::new();
        std::fs::File::open(path)?
            .take(len)
            .read_to_end(&mut head)?;
        Ok(head)
    }

    /// Simulates a crash in the middle of writing a batch (the truncated-tail fixture of
    /// STYLE §4): the bytes of entry B's batch are cut at several points, and the journal
    /// file keeps its preallocated length with zeros past the cut. After recovery, B is there
    /// entirely (events, index rows, state rows, deletes) or not at all.
    #[test]
    fn torn_journal_tail_loses_whole_entries_only() -> TestResult {
        let dir = tempfile::tempdir()?;
        let entry_a = JournalEntry {
            events: vec![event(b"a", &[b"acct:A"], false)],
            state_puts: vec![
                (b"member:A".to_vec(), b"1".to_vec()),
                (b"gone".to_vec(), b"x".to_vec()),
            ],
            state_deletes: vec![],
        };
        let entry_b = JournalEntry {
            events: vec![
                event(b"b1", &[b"acct:A", b"auth:b1"], false),
                event(b"b2", &[b"acct:B"], false),
            ],
            state_puts: vec![
                (b"member:A".to_vec(), b"2".to_vec()),
                (b"member:B".to_vec(), b"1".to_vec()),
            ],
            state_deletes: vec![b"gone".to_vec()],
        };
        const HEAD_BYTES: u64 = 1 << 20;
        let (journal_name, journal_bytes, before_b, after_b) = {
            let (journal, _store, thread) =
                Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
            let files = journal_files(dir.path())?;
            let [file] = files.as_slice() else {
                panic!("expected one journal file, found {files:?}");
            };
            assert_eq!(journal.submit_now(entry_a)?.wait_blocking(), Ok(1..2));
            let before_b = read_head(file, HEAD_BYTES)?;
            assert_eq!(journal.submit_now(entry_b)?.wait_blocking(), Ok(2..4));
            let after_b = read_head(file, HEAD_BYTES)?;
            thread.shutdown()?;
            let journal_bytes = std::fs::metadata(file)?.len();
            (
                file.file_name().expect("file name").to_owned(),
                journal_bytes,
                before_b,
                after_b,
            )
        };
        assert_eq!(before_b.len(), after_b.len());
        let differs = |at: &usize| before_b.get(*at) != after_b.get(*at);
        let batch_start = (0..after_b.len()).find(differs).expect("B was written");
        let batch_end = (0..after_b.len())
            .rev()
            .find(differs)
            .expect("B was written")
            + 1;
        assert!(batch_end < after_b.len(), "B ends inside the bytes read");
        assert!(
            batch_end - batch_start > 20,
            "B's batch spans {batch_start}..{batch_end}"
        );

        let middle = (batch_start + batch_end) / 2;
        for cut in [
            batch_start,
            batch_start + 1,
            middle,
            batch_end - 1,
            batch_end,
        ] {
            let crashed = tempfile::tempdir()?;
            copy_dir_without_journals(dir.path(), crashed.path())?;
            let file = crashed.path().join(&journal_name);
            std::fs::write(&file, &after_b[..cut])?;
            std::fs::OpenOptions::new()
                .write(true)
                .open(&file)?
                .set_len(journal_bytes)?;

            let store = Store::open(crashed.path())?;
            let has_b = cut == batch_end;
            assert_eq!(store.get_event(1)?, Some(b"a".to_vec()), "cut at {cut}");
            assert_eq!(
                store.last_seq()?,
                Some(if has_b { 3 } else { 1 }),
                "cut at {cut}"
            );
            assert_eq!(store.get_event(2)?.is_some(), has_b, "cut at {cut}");
            assert_eq!(store.get_event(3)?.is_some(), has_b, "cut at {cut}");
            assert_eq!(
                store.scan_index(b"acct:A", 0).count(),
                if has_b { 2 } else { 1 }
            );
            assert_eq!(store.scan_index(b"auth:b1", 0).count(), usize::from(has_b));
            assert_eq!(store.scan_index(b"acct:B", 0).count(), usize::from(has_b));
            let member_a = if has_b { b"2" } else { b"1" };
            assert_eq!(
                store.get_state(b"member:A")?,
                Some(member_a.to_vec()),
                "cut at {cut}"
            );
            assert_eq!(
                store.get_state(b"member:B")?.is_some(),
                has_b,
                "cut at {cut}"
            );
            assert_eq!(store.get_state(b"gone")?.is_none(), has_b, "cut at {cut}");

            // The recovered journal keeps going from where the surviving log ends.
            drop(store);
            let (journal, _store, thread) =
                Journal::open(crashed.path(), CONFIG, Box::new(NoSync), no_sink())?;
            let next = if has_b { 4 } else { 2 };
            assert_eq!(
                journal.submit_now(one_event(b"c"))?.wait_blocking(),
                Ok(next..next + 1)
            );
            thread.shutdown()?;
        }
        Ok(())
    }

    #[test]
    fn many_submitters_share_few_persists() -> TestResult {
        const SUBMITTERS: usize = 8;
        const ENTRIES_PER_SUBMITTER: usize = 500;
        const WINDOW: usize = 4;
        let dir = tempfile::tempdir()?;
        let persists = Arc::new(AtomicUsize::new(0));
        let durability = Counting {
            calls: Arc::clone(&persists),
            delay: Duration::from_micros(500),
        };
        let (journal, store, thread) =
            Journal::open(dir.path(), CONFIG, Box::new(durability), no_sink())?;

        let submitters: Vec<_> = (0..SUBMITTERS)
            .map(|submitter| {
                let journal = journal.clone();
                std::thread::spawn(move || {
                    let mut seqs = Vec::with_capacity(ENTRIES_PER_SUBMITTER);
                    let mut in_flight = Vec::with_capacity(WINDOW);
                    for i in 0..ENTRIES_PER_SUBMITTER {
                        let payload = format!("{submitter}:{i}");
                        let entry = JournalEntry {
                            events: vec![event(payload.as_bytes(), &[b"acct"], false)],
                            state_puts: vec![(
                                format!("s{submitter}").into_bytes(),
                                payload.into_bytes(),
                            )],
                            state_deletes: vec![],
                        };
                        in_flight.push(journal.submit_now(entry).expect("queue has room"));
                        if in_flight.len() == WINDOW {
                            for ack in in_flight.drain(..) {
                                let range = ack.wait_blocking().expect("ack should be Ok");
                                assert_eq!(range.end - range.start, 1);
                                seqs.push(range.start);
                            }
                        }
                    }
                    for ack in in_flight.drain(..) {
                        seqs.push(ack.wait_blocking().expect("ack should be Ok").start);
                    }
                    seqs
                })
            })
            .collect();

        let mut all = HashSet::new();
        for submitter in submitters {
            let seqs = submitter.join().expect("submitter should not panic");
            assert_eq!(seqs.len(), ENTRIES_PER_SUBMITTER);
            assert!(
                seqs.windows(2).all(|pair| pair[0] < pair[1]),
                "seqs increase per submitter"
            );
            all.extend(seqs);
        }
        thread.shutdown()?;

        let entries = SUBMITTERS * ENTRIES_PER_SUBMITTER;
        assert_eq!(all.len(), entries, "seqs are unique");
        assert_eq!(store.last_seq()?, Some(4_000));
        assert_eq!(store.scan_index(b"acct", 0).count(), entries);
        let persists = persists.load(Ordering::SeqCst);
        assert!(
            persists * 4 <= entries,
            "{persists} persists for {entries} entries"
        );
        // The last write of each submitter's state row wins.
        assert_eq!(store.get_state(b"s3")?, Some(b"3:499".to_vec()));
        Ok(())
    }

    #[test]
    fn no_ack_resolves_before_make_durable_returns() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let (journal, store, thread) = Journal::open(dir.path(), CONFIG, durability, no_sink())?;
        let runtime = runtime();

        let mut ack = journal.submit_now(one_event(b"held"))?;
        gate.wait_entered();
        assert_eq!(
            poll_briefly(&runtime, &mut ack),
            None,
            "ack waits for the persist"
        );
        // Written but not yet durable: the ack must not have been released.
        assert_eq!(store.get_event(1)?, Some(b"held".to_vec()));
        assert_eq!(poll_briefly(&runtime, &mut ack), None);
        assert_eq!(journal.durable_seq(), 0);

        gate.release_one();
        assert_eq!(runtime.block_on(ack), Ok(1..2));
        assert_eq!(journal.durable_seq(), 1);
        drop(gate);
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    fn failed_persist_poisons_and_is_never_retried() -> TestResult {
        let dir = tempfile::tempdir()?;
        let calls = Arc::new(AtomicUsize::new(0));
        let durability = Failing {
            calls: Arc::clone(&calls),
        };
        let (journal, _store, thread) =
            Journal::open(dir.path(), CONFIG, Box::new(durability), no_sink())?;
        let runtime = runtime();
        assert!(!journal.is_poisoned());

        let ack = journal.submit_now(one_event(b"doomed"))?;
        assert_eq!(runtime.block_on(ack), Err(JournalError::Poisoned));
        assert!(journal.is_poisoned());
        let watcher = journal.clone();
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), watcher.poisoned())
                .await
                .expect("poisoned() should resolve");
        });
        assert_eq!(journal.try_reserve().err(), Some(JournalError::Poisoned));
        assert_eq!(
            journal.submit_now(one_event(b"later")).err(),
            Some(JournalError::Poisoned)
        );
        assert!(matches!(thread.shutdown(), Err(StorageError::Poisoned)));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a failed persist is never retried"
        );
        Ok(())
    }

    #[test]
    fn entries_queued_behind_a_failed_batch_fail_too() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (journal, _store, thread) = Journal::open(
            dir.path(),
            CONFIG,
            Box::new(Failing {
                calls: Arc::new(AtomicUsize::new(0)),
            }),
            no_sink(),
        )?;
        // A reservation taken before the failure still gets an answer.
        let reservation = journal.try_reserve()?;
        let first = journal.submit_now(one_event(b"first"))?;
        assert_eq!(first.wait_blocking(), Err(JournalError::Poisoned));
        let late = reservation.submit(one_event(b"late"));
        assert_eq!(late.wait_blocking(), Err(JournalError::Poisoned));
        assert!(matches!(thread.shutdown(), Err(StorageError::Poisoned)));
        Ok(())
    }

    #[test]
    fn full_queue_refuses_a_reservation() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let config = JournalConfig {
            batch_events_max: 16,
            queue_entries_max: 1,
        };
        let (journal, _store, thread) = Journal::open(dir.path(), config, durability, no_sink())?;

        let held = journal.submit_now(one_event(b"held"))?;
        gate.wait_entered();
        assert_eq!(journal.queue_depth(), 0);
        let queued = journal.submit_now(one_event(b"queued"))?;
        assert_eq!(journal.queue_depth(), 1);
        assert_eq!(journal.try_reserve().err(), Some(JournalError::Full));

        drop(gate);
        assert_eq!(held.wait_blocking(), Ok(1..2));
        assert_eq!(queued.wait_blocking(), Ok(2..3));
        assert!(journal.try_reserve().is_ok(), "the slot is free again");
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    fn dropped_reservation_frees_its_slot() -> TestResult {
        let dir = tempfile::tempdir()?;
        let config = JournalConfig {
            batch_events_max: 16,
            queue_entries_max: 1,
        };
        let (journal, _store, thread) =
            Journal::open(dir.path(), config, Box::new(NoSync), no_sink())?;
        let reservation = journal.try_reserve()?;
        assert_eq!(journal.try_reserve().err(), Some(JournalError::Full));
        drop(reservation);
        assert_eq!(
            journal.submit_now(one_event(b"x"))?.wait_blocking(),
            Ok(1..2)
        );
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    fn sink_sees_notify_events_in_seq_order_before_acks() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let calls: SinkLog = Arc::default();
        let sink_calls = Arc::clone(&calls);
        let sink: DurableSink = Box::new(move |events: &[DurableEvent<'_>]| {
            let seen = events
                .iter()
                .map(|event| (event.seq, event.payload.to_vec()))
                .collect();
            sink_calls.lock().expect("lock").push(seen);
        });
        let (journal, _store, thread) = Journal::open(dir.path(), CONFIG, durability, sink)?;

        // Batch 1: one entry, held in make_durable while batch 2 queues up.
        let first = journal.submit_now(JournalEntry {
            events: vec![event(b"a", &[], true)],
            ..JournalEntry::default()
        })?;
        gate.wait_entered();
        assert!(
            calls.lock().expect("lock").is_empty(),
            "sink runs after persist"
        );
        let second = journal.submit_now(JournalEntry {
            events: vec![event(b"b", &[], false), event(b"c", &[], true)],
            ..JournalEntry::default()
        })?;
        let third = journal.submit_now(JournalEntry {
            events: vec![event(b"d", &[], true), event(b"e", &[], true)],
            ..JournalEntry::default()
        })?;
        let quiet = journal.submit_now(one_event(b"f"))?;
        gate.release_one();
        assert_eq!(first.wait_blocking(), Ok(1..2));
        assert_eq!(
            calls.lock().expect("lock").len(),
            1,
            "sink ran before the ack"
        );

        gate.wait_entered();
        gate.release_one();
        assert_eq!(second.wait_blocking(), Ok(2..4));
        assert_eq!(third.wait_blocking(), Ok(4..6));
        assert_eq!(quiet.wait_blocking(), Ok(6..7));
        assert_eq!(
            *calls.lock().expect("lock"),
            vec![
                vec![(1, b"a".to_vec())],
                vec![(3, b"c".to_vec()), (4, b"d".to_vec()), (5, b"e".to_vec())],
            ]
        );

        // A batch without notify events does not call the sink.
        let silent = journal.submit_now(one_event(b"g"))?;
        gate.wait_entered();
        gate.release_one();
        assert_eq!(silent.wait_blocking(), Ok(7..8));
        assert_eq!(calls.lock().expect("lock").len(), 2);
        drop(gate);
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    fn batches_respect_batch_events_max_without_splitting_entries() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let calls = Arc::clone(&gate.calls);
        let config = JournalConfig {
            batch_events_max: 3,
            queue_entries_max: 16,
        };
        let (journal, _store, thread) = Journal::open(dir.path(), config, durability, no_sink())?;
        let held = journal.submit_now(one_event(b"held"))?;
        gate.wait_entered();
        let two = || JournalEntry {
            events: vec![event(b"x", &[], false), event(b"y", &[], false)],
            ..JournalEntry::default()
        };
        // [2 events + 1 event] fit in one batch of 3; the next 2 carry over; the 5 go alone.
        let acks = [
            journal.submit_now(two())?,
            journal.submit_now(one_event(b"z"))?,
            journal.submit_now(two())?,
            journal.submit_now(JournalEntry {
                events: (0..5).map(|_| event(b"big", &[], false)).collect(),
                ..JournalEntry::default()
            })?,
        ];
        drop(gate);
        assert_eq!(held.wait_blocking(), Ok(1..2));
        let ranges: Vec<_> = acks
            .into_iter()
            .map(Ack::wait_blocking)
            .collect::<Result<_, _>>()?;
        assert_eq!(ranges, vec![2..4, 4..5, 5..7, 7..12]);
        assert_eq!(calls.load(Ordering::SeqCst), 4, "held | 2+1 | 2 | 5");
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    fn later_state_write_in_one_batch_wins() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let (journal, store, thread) = Journal::open(dir.path(), CONFIG, durability, no_sink())?;
        let held = journal.submit_now(one_event(b"held"))?;
        gate.wait_entered();
        let put = |key: &[u8], value: &[u8]| JournalEntry {
            state_puts: vec![(key.to_vec(), value.to_vec())],
            ..JournalEntry::default()
        };
        let delete = |key: &[u8]| JournalEntry {
            state_deletes: vec![key.to_vec()],
            ..JournalEntry::default()
        };
        let acks = [
            journal.submit_now(put(b"k1", b"old"))?,
            journal.submit_now(put(b"k1", b"new"))?,
            journal.submit_now(put(b"k2", b"gone"))?,
            journal.submit_now(delete(b"k2"))?,
            journal.submit_now(delete(b"k3"))?,
            journal.submit_now(put(b"k3", b"back"))?,
        ];
        drop(gate);
        held.wait_blocking()?;
        for ack in acks {
            ack.wait_blocking()?;
        }
        assert_eq!(store.get_state(b"k1")?, Some(b"new".to_vec()));
        assert_eq!(store.get_state(b"k2")?, None);
        assert_eq!(store.get_state(b"k3")?, Some(b"back".to_vec()));
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    fn shutdown_writes_what_is_queued_then_refuses() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (durability, gate) = gate();
        let (journal, store, thread) = Journal::open(dir.path(), CONFIG, durability, no_sink())?;
        let held = journal.submit_now(one_event(b"held"))?;
        gate.wait_entered();
        let queued: Vec<Ack> = (0..5)
            .map(|_| journal.submit_now(one_event(b"queued")))
            .collect::<Result<_, _>>()?;
        let reservation = journal.try_reserve()?;
        let stopper = std::thread::spawn(move || thread.shutdown());
        while journal.try_reserve().err() != Some(JournalError::Stopped) {
            std::thread::yield_now();
        }
        // A slot reserved before shutdown began is still written.
        let reserved = reservation.submit(one_event(b"reserved"));
        drop(gate);
        stopper.join().expect("shutdown should not panic")?;
        assert_eq!(held.wait_blocking(), Ok(1..2));
        for ack in queued {
            ack.wait_blocking()?;
        }
        assert_eq!(reserved.wait_blocking(), Ok(7..8));
        assert_eq!(store.last_seq()?, Some(7));
        assert_eq!(
            journal.submit_now(one_event(b"late")).err(),
            Some(JournalError::Stopped)
        );
        Ok(())
    }

    #[test]
    fn zero_limits_are_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let store = Store::open(dir.path())?;
        for config in [
            JournalConfig {
                batch_events_max: 0,
                queue_entries_max: 1,
            },
            JournalConfig {
                batch_events_max: 1,
                queue_entries_max: 0,
            },
        ] {
            let started = Journal::start(&store, config, Box::new(NoSync), no_sink());
            assert!(matches!(started, Err(StorageError::InvalidConfig { .. })));
        }
        Ok(())
    }

    #[test]
    fn second_writer_on_one_store_is_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (_journal, store, thread) =
            Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        let second = Journal::start(&store.clone(), CONFIG, Box::new(NoSync), no_sink());
        assert!(matches!(second, Err(StorageError::WriterAlreadyStarted)));
        thread.shutdown()?;
        Ok(())
    }

    #[test]
    #[should_panic(expected = "empty state key")]
    fn empty_state_key_is_a_caller_bug() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _store, _thread) =
            Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink()).expect("open");
        let _ = journal.submit_now(JournalEntry {
            state_puts: vec![(Vec::new(), b"v".to_vec())],
            ..JournalEntry::default()
        });
    }

    #[test]
    #[should_panic(expected = "index key too long")]
    fn oversized_index_key_is_a_caller_bug() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (journal, _store, _thread) =
            Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink()).expect("open");
        let long = vec![b'k'; INDEX_KEY_BYTES_MAX + 1];
        let _ = journal.submit_now(JournalEntry {
            events: vec![event(b"p", &[long.as_slice()], false)],
            ..JournalEntry::default()
        });
    }

    #[test]
    fn longest_index_key_is_accepted() -> TestResult {
        let dir = tempfile::tempdir()?;
        let (journal, store, thread) =
            Journal::open(dir.path(), CONFIG, Box::new(NoSync), no_sink())?;
        let long = vec![b'k'; INDEX_KEY_BYTES_MAX];
        let ack = journal.submit_now(JournalEntry {
            events: vec![event(b"p", &[long.as_slice()], false)],
            ..JournalEntry::default()
        })?;
        assert_eq!(ack.wait_blocking(), Ok(1..2));
        thread.shutdown()?;
        assert_eq!(store.scan_index(&long, 0).count(), 1);
        Ok(())
    }
}
