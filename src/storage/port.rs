//! The storage ports: the narrow journal every change goes through, and the snapshot store
//! beside it. Actors, recovery and the feed use only these traits; fjall (`fjall_store.rs`)
//! and memory (`memory.rs`) implement them, and a replicated log can be a third
//! implementation without touching actors or the domain.
//!
//! The journal takes a group of events for one owner and gives back durable sequence numbers;
//! it reads events back from a sequence, or one owner's from a position. An account's group
//! carries the statement lines of its events, written with them; the journal answers pages
//! of an account's statement. Nothing else runs on the hot path. An append names the owner's
//! *position* (the events it appended before), so a log that serves several writers (NATS
//! JetStream: one subject per owner, an append fenced by the expected last subject sequence,
//! the message id `owner/position` for deduplication) can refuse a second writer of one
//! owner and a retried append.
//!
//! May depend on: the domain (events, ids), tokio sync primitives. Nothing above storage.

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::sync::{oneshot, watch};

pub use super::format::{FeedCheckpoint, Recorded, SnapshotRows};
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, LoginId, Owner};
use crate::domain::statement::{StatementLine, StatementPage, StatementQuery};

/// Key-value rows read from the snapshot store, in key order.
pub type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// One owner's next events, appended as one atomic group.
#[derive(Clone, Debug)]
pub struct Append {
    /// Whose events these are; every event's `owner()` is this owner.
    pub owner: Owner,
    /// Events this owner appended before: the first event here takes this position, the
    /// next one position + 1, and so on.
    pub position: u64,
    /// The events, in the order the owner applied them.
    pub events: Vec<Arc<Event>>,
    /// The statement lines of these events (an account's appends only; empty for other
    /// owners). A store may write them after the events are durable, as long as a read after
    /// the ack sees them and a crash's lost lines are made again from the events at start-up.
    pub statement: Vec<StatementLine>,
    /// The account's holder login, when `statement` holds lines: the holder's lines get no
    /// login index entry (`statement::login_indexed`).
    pub holder: Option<LoginId>,
}

/// What the group that closes an account erases besides appending its events
/// (`domain::close`). No `Debug`: it holds e-mails, which are never logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    /// The sign-in e-mails the account's logins had: their directory rows go, so the
    /// addresses can register again. Carried in memory only, never written.
    pub emails: Vec<String>,
}

/// Why the journal or the snapshot store did not take, keep or read something.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// A queue is full: refuse the request (503 with `Retry-After`) and change nothing.
    #[error("storage queue is full")]
    Full,
    /// A persist failed; the journal takes no more writes and the process must exit.
    #[error("journal is poisoned: a persist failed")]
    Poisoned,
    /// The journal is shutting down, or its writer is gone.
    #[error("journal is stopped")]
    Stopped,
    /// An append's position is not its owner's next: another writer appended for it.
    #[error("append for {owner} at position {position} is fenced off")]
    Fenced {
        /// The owner.
        owner: Owner,
        /// The position the append named.
        position: u64,
    },
    /// The store could not be read or holds a value this build cannot read.
    #[error("storage read failed: {0}")]
    Read(String),
}

/// Called with each group of events once durable, in sequence order, before their acks
/// resolve. It must not block: the next group waits for it.
pub trait DurableSink: Send + Sync + 'static {
    /// The events just made durable, ascending by sequence.
    fn durable(&self, events: &[Recorded]);
}

/// A sink that ignores everything (tools and tests that need no feed).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl DurableSink for NoSink {
    fn durable(&self, _events: &[Recorded]) {}
}

/// The write-ahead journal of events.
pub trait Journal: Send + Sync + 'static {
    /// Queues `append` and answers an [`Ack`] that resolves once it is durable. Refuses at
    /// once rather than wait: call it before changing memory, so a refusal changes nothing.
    ///
    /// # Errors
    /// `Full`, `Poisoned`, `Stopped`, and `Fenced` from journals that check positions.
    fn append(&self, append: Append) -> Result<Ack, StorageError>;

    /// [`Journal::append`] for the group that closes an account: in the same atomic write,
    /// every earlier event of the owner that carries personal data is rewritten as
    /// `domain::close::erased` gives it (found through the owner index), the directory rows
    /// of `erasure.emails` are removed, and so is the owner's snapshot (it held the personal
    /// data; the actor saves a new one after the close). A replay of the rewritten journal
    /// rebuilds the same closed state, so `farthing check` still agrees. Earlier groups of
    /// the owner still queued are erased too.
    ///
    /// # Errors
    /// As [`Journal::append`].
    fn append_erasing(&self, append: Append, erasure: Erasure) -> Result<Ack, StorageError>;

    /// The highest sequence number known durable (0 before the first event).
    fn durable_seq(&self) -> u64;

    /// Up to `max` durable events with a sequence of at least `from_seq`, in order. Blocks on
    /// I/O: never call it from an actor or an async task.
    ///
    /// # Errors
    /// `Read` when the store cannot be read.
    fn read_from(&self, from_seq: u64, max: usize) -> Result<Vec<Recorded>, StorageError>;

    /// Up to `max` durable events of `owner` from `from_position`, in order. Blocks on I/O.
    ///
    /// # Errors
    /// `Read` when the store cannot be read.
    fn read_owner(
        &self,
        owner: Owner,
        from_position: u64,
        max: usize,
    ) -> Result<Vec<Recorded>, StorageError>;

    /// A page of `account`'s statement for `query`, newest first, reading at most
    /// `scan_max` index entries (a page cut short by it carries a cursor to read on). Blocks
    /// on I/O: never call it from an actor or an async task.
    ///
    /// # Errors
    /// `Read` when the store cannot be read or holds a line this build cannot read.
    fn statement(
        &self,
        account: AccountId,
        query: &StatementQuery,
        scan_max: u64,
    ) -> Result<StatementPage, StorageError>;

    /// Whether a persist has failed. Once true, it stays true.
    fn is_poisoned(&self) -> bool;

    /// A receiver that turns true when the journal is poisoned.
    fn poison_watch(&self) -> watch::Receiver<bool>;

    /// Groups queued and not yet written.
    fn queue_depth(&self) -> usize;
}

/// The store of snapshots and the feed's checkpoint: a small key-value store whose writes
/// land in atomic batches. What the keys and values mean is `format.rs`'s business.
pub trait SnapshotStore: Send + Sync + 'static {
    /// Queues rows to write in one atomic batch, without waiting. A snapshot is never needed
    /// for correctness (recovery can always start from an older one and replay more events),
    /// so a full queue refuses and the caller tries again later.
    ///
    /// # Errors
    /// `Full` when the queue is full; `Stopped` after shutdown.
    fn save(&self, rows: SnapshotRows) -> Result<(), StorageError>;

    /// Reads one row. Blocks on I/O.
    ///
    /// # Errors
    /// `Read` when the store cannot be read.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Every row whose key starts with `prefix`, in key order. Blocks on I/O.
    ///
    /// # Errors
    /// `Read` when the store cannot be read.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Rows, StorageError>;

    /// Waits until every row queued so far is written (shutdown, tests).
    ///
    /// # Errors
    /// `Stopped` when the writer is gone; `Read` when writing failed.
    fn flush(&self) -> Result<(), StorageError>;
}

/// Resolves when an appended group is durable, with the sequence numbers its events got
/// (consecutive, in order), or with the error that kept it from being durable.
#[must_use = "the group is not known to be durable until its ack resolves"]
pub struct Ack {
    rx: oneshot::Receiver<Result<Range<u64>, StorageError>>,
}

/// The sending half of an [`Ack`], kept by the journal until the group is durable.
pub struct AckSender {
    tx: oneshot::Sender<Result<Range<u64>, StorageError>>,
}

impl Ack {
    /// A pending ack and the sender that resolves it.
    pub fn pair() -> (AckSender, Ack) {
        let (tx, rx) = oneshot::channel();
        (AckSender { tx }, Ack { rx })
    }

    /// Blocks the current thread until the group is durable. For plain threads (benches,
    /// tools); async code awaits the `Ack` instead.
    ///
    /// # Errors
    /// As the `Ack` future.
    ///
    /// # Panics
    /// If called inside an async execution context (tokio's `blocking_recv` rule).
    pub fn wait_blocking(self) -> Result<Range<u64>, StorageError> {
        self.rx
            .blocking_recv()
            .unwrap_or(Err(StorageError::Stopped))
    }
}

impl AckSender {
    /// Resolves the ack. The waiter may be gone (a client hung up): the group's outcome is
    /// what it is either way.
    pub fn send(self, outcome: Result<Range<u64>, StorageError>) {
        let _ = self.tx.send(outcome);
    }
}

impl Future for Ack {
    type Output = Result<Range<u64>, StorageError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|answer| answer.unwrap_or(Err(StorageError::Stopped)))
    }
}

/// The poison flag shared by a journal's handles: a fast check for the submit path and a
/// watch that the server selects on to exit non-zero.
#[derive(Debug)]
pub struct Poison {
    poisoned: AtomicBool,
    watch: watch::Sender<bool>,
}

impl Default for Poison {
    fn default() -> Poison {
        let (watch, _) = watch::channel(false);
        Poison {
            poisoned: AtomicBool::new(false),
            watch,
        }
    }
}

impl Poison {
    /// Whether the journal is poisoned.
    pub fn is_set(&self) -> bool {
        self.poisoned.load(Ordering::Acquire)
    }

    /// Poisons the journal for good.
    pub fn set(&self) {
        self.poisoned.store(true, Ordering::Release);
        self.watch.send_replace(true);
    }

    /// A receiver that turns true when poisoned.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.watch.subscribe()
    }
}

/// Waits until `watch` says poisoned. Resolves at once if it already is.
pub async fn wait_poisoned(mut watch: watch::Receiver<bool>) {
    if watch.wait_for(|poisoned| *poisoned).await.is_err() {
        // The sender lives as long as the journal; never claim poison without it.
        std::future::pending::<()>().await;
    }
}
