//! The in-memory storage: a journal and a snapshot store in process memory, for tests and
//! simulation. It keeps what a node wrote across that node's restarts (the same `Arc` handed
//! to the next node is its "disk"), checks every append's position against its owner's
//! stream (the fence a replicated log would enforce), and can be told to fail, so recovery and
//! failure paths run in milliseconds without a disk.
//!
//! An append is durable as soon as it is taken: the sink runs and the ack resolves before
//! `append` returns, in sequence order (the lock is held across both). Snapshots are encoded
//! in the stored format exactly as on disk, so they exercise it. Statement lines are kept
//! per account under the keys fjall would give them, and a page is read by the same loop
//! (`statement::collect_page`) with the same scan budget, skipping the lines the chosen index
//! would not hold: the same pages as the fjall store, without its indexes.
//!
//! The simulation (`tests/simulation.rs`) can hold appends instead: they are taken (and
//! fenced) but not durable until released, in the order taken, as a journal whose writer has
//! not persisted them yet. A crash ([`MemoryStore::reopen`]) loses what is still held.
//!
//! May depend on: the storage format and ports. Nothing above storage.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tokio::sync::watch;

use super::format::{self, Recorded, SnapshotRows};
use super::port::{
    Ack, AckSender, Append, DurableSink, Erasure, Journal, Poison, SnapshotStore, StorageError,
};
use crate::domain::account::AccountState;
use crate::domain::ids::AccountId;
use crate::domain::ids::Owner;
use crate::domain::statement::{
    StatementCursor, StatementLine, StatementPage, StatementQuery, collect_page,
};

/// What the journal holds.
#[derive(Default)]
struct Log {
    /// Every event, in sequence order (`records[i].seq == i + 1`).
    records: Vec<Recorded>,
    /// Each owner's events, by position: their sequence numbers.
    owners: HashMap<Owner, Vec<u64>>,
    /// Appends taken while holding, not durable yet, in the order taken (with what a close
    /// erases).
    held: Vec<(Append, Option<Erasure>, AckSender)>,
    /// Each account's statement lines, by the end of their fjall key (newest first).
    statement: HashMap<AccountId, BTreeMap<Vec<u8>, StatementLine>>,
}

impl Log {
    /// Events of `owner` taken so far, durable or held: the position its next append names.
    fn taken(&self, owner: Owner) -> usize {
        let held: usize = self
            .held
            .iter()
            .filter(|(append, _, _)| append.owner == owner)
            .map(|(append, _, _)| append.events.len())
            .sum();
        self.owners
            .get(&owner)
            .map_or(0, Vec::len)
            .saturating_add(held)
    }
}

/// An in-memory journal and snapshot store.
pub struct MemoryStore {
    log: Mutex<Log>,
    snapshots: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
    sink: Mutex<Option<Arc<dyn DurableSink>>>,
    poison: Poison,
    /// When set, the next append fails its "persist" and poisons the journal.
    fail_next: AtomicBool,
    /// When set, `save` refuses as if the snapshot queue were full.
    snapshots_full: AtomicBool,
    /// When set, appends are held (taken, not durable) until released.
    holding: AtomicBool,
    /// Appends of this owner are refused as if the queue were full, while set.
    refusing: Mutex<Option<Owner>>,
}

impl Default for MemoryStore {
    fn default() -> MemoryStore {
        MemoryStore {
            log: Mutex::new(Log::default()),
            snapshots: Mutex::new(BTreeMap::new()),
            sink: Mutex::new(None),
            poison: Poison::default(),
            fail_next: AtomicBool::new(false),
            snapshots_full: AtomicBool::new(false),
            holding: AtomicBool::new(false),
            refusing: Mutex::new(None),
        }
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Arc<MemoryStore> {
        Arc::new(MemoryStore::default())
    }

    /// Connects the sink of the node that uses the store now (a restarted node brings its
    /// own). Until then durable events go nowhere.
    pub fn set_sink(&self, sink: Arc<dyn DurableSink>) {
        *self.sink.lock() = Some(sink);
    }

    /// Makes the next append fail as a failed persist would: it and every later append get
    /// `Poisoned`.
    pub fn fail_next_append(&self) {
        self.fail_next.store(true, Ordering::Release);
    }

    /// Makes `save` refuse (or accept again), as a full snapshot queue would.
    pub fn refuse_snapshots(&self, refuse: bool) {
        self.snapshots_full.store(refuse, Ordering::Release);
    }

    /// Holds appends from now on (taken and fenced, not durable, no ack) until
    /// [`MemoryStore::release_held`]; `false` makes later appends durable at once again.
    pub fn hold_appends(&self, hold: bool) {
        self.holding.store(hold, Ordering::Release);
    }

    /// Refuses the appends of `owner` as a full journal queue would (`StorageError::Full`),
    /// or, with `None`, takes them again: an owner that cannot write for a while.
    pub fn refuse_appends_of(&self, owner: Option<Owner>) {
        *self.refusing.lock() = owner;
    }

    /// Appends taken and not yet durable.
    #[must_use]
    pub fn held_count(&self) -> usize {
        self.log.lock().held.len()
    }

    /// Makes the first `count` held appends durable, in the order they were taken, as a
    /// journal writer persisting its queue would.
    pub fn release_held(&self, count: usize) {
        let mut log = self.log.lock();
        let count = count.min(log.held.len());
        let released: Vec<(Append, Option<Erasure>, AckSender)> = log.held.drain(..count).collect();
        for (append, erasure, ack_tx) in released {
            self.make_durable(&mut log, append, erasure, ack_tx);
        }
    }

    /// A fresh journal over the same events and snapshots, as a restart after a crash sees
    /// them: the poison is gone (it belonged to the dead process), the sink too, and so are
    /// the appends still held.
    #[must_use]
    pub fn reopen(&self) -> Arc<MemoryStore> {
        let log = self.log.lock();
        Arc::new(MemoryStore {
            log: Mutex::new(Log {
                records: log.records.clone(),
                owners: log.owners.clone(),
                held: Vec::new(),
                statement: log.statement.clone(),
            }),
            snapshots: Mutex::new(self.snapshots.lock().clone()),
            ..MemoryStore::default()
        })
    }

    /// Rewrites an account's snapshot through `change`, as damage or tampering on disk would
    /// (tests of `farthing check`). False when the account has no snapshot.
    pub fn rewrite_account_snapshot(
        &self,
        account: AccountId,
        change: impl FnOnce(&mut AccountState),
    ) -> bool {
        let key = format::owner_key(Owner::Account(account)).to_vec();
        let mut snapshots = self.snapshots.lock();
        let Some(snapshot) = snapshots
            .get(&key)
            .and_then(|bytes| format::decode_account(bytes).ok())
        else {
            return false;
        };
        let mut state = snapshot.state;
        change(&mut state);
        for (key, value) in format::encode_account(snapshot.position, &state).rows {
            snapshots.insert(key, value);
        }
        true
    }

    /// The accounts that have a snapshot.
    #[must_use]
    pub fn accounts_with_snapshots(&self) -> Vec<AccountId> {
        self.snapshots
            .lock()
            .values()
            .filter_map(|bytes| format::decode_account(bytes).ok())
            .map(|snapshot| snapshot.state.id)
            .collect()
    }
}

impl MemoryStore {
    /// Every event the journal holds, in sequence order: what a reader of the raw store
    /// would find (tests that check a closed account left nothing personal behind).
    #[must_use]
    pub fn all_events(&self) -> Vec<Recorded> {
        self.log.lock().records.clone()
    }

    /// Every snapshot-store row, in key order (the same tests).
    #[must_use]
    pub fn all_snapshot_rows(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.snapshots
            .lock()
            .iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }

    /// Rewrites `owner`'s durable events as a close erases them, and drops its snapshot and
    /// the directory rows of `erasure`'s e-mails (see [`Journal::append_erasing`]).
    fn erase(&self, log: &mut Log, owner: Owner, erasure: &Erasure) {
        let seqs = log.owners.get(&owner).cloned().unwrap_or_default();
        for seq in seqs {
            let index = usize::try_from(seq.saturating_sub(1)).unwrap_or(usize::MAX);
            if let Some(record) = log.records.get_mut(index)
                && let Some(erased) = crate::domain::close::erased(&record.event)
            {
                record.event = Arc::new(erased);
            }
        }
        let mut snapshots = self.snapshots.lock();
        snapshots.remove(format::owner_key(owner).as_slice());
        for email in &erasure.emails {
            snapshots.remove(&format::email_key(email));
        }
    }

    /// Gives the events of `append` their sequence numbers (after erasing what a close
    /// erases), tells the sink, resolves the ack.
    fn make_durable(
        &self,
        log: &mut Log,
        append: Append,
        erasure: Option<Erasure>,
        ack_tx: AckSender,
    ) {
        if let Some(erasure) = &erasure {
            self.erase(log, append.owner, erasure);
        }
        let first = u64::try_from(log.records.len())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut recorded = Vec::with_capacity(append.events.len());
        for ((seq, position), event) in (first..).zip(append.position..).zip(append.events) {
            assert_eq!(
                event.owner(),
                append.owner,
                "an event appended for another owner"
            );
            recorded.push(Recorded {
                seq,
                position,
                event,
            });
        }
        // With the events, after the erasure, as the fjall writer does: see
        // `format::email_row`.
        let rows: Vec<(Vec<u8>, Vec<u8>)> = recorded
            .iter()
            .filter_map(|recorded| recorded.event.login_email())
            .map(|(email, account)| format::email_row(email, account))
            .collect();
        if !rows.is_empty() {
            self.snapshots.lock().extend(rows);
        }
        let end = first.saturating_add(u64::try_from(recorded.len()).unwrap_or(u64::MAX));
        if let Owner::Account(account) = append.owner {
            let lines = log.statement.entry(account).or_default();
            for line in append.statement {
                let key = format::statement_tail(StatementCursor::after(&line)).to_vec();
                lines.insert(key, line);
            }
        } else {
            assert!(
                append.statement.is_empty(),
                "statement lines appended for an owner that is not an account"
            );
        }
        log.owners
            .entry(append.owner)
            .or_default()
            .extend(recorded.iter().map(|r| r.seq));
        log.records.extend(recorded.iter().cloned());
        if let Some(sink) = self.sink.lock().as_ref() {
            sink.durable(&recorded);
        }
        ack_tx.send(Ok(first..end));
    }
}

impl MemoryStore {
    /// Takes `append` (with what a close erases): fenced, then durable at once or held.
    fn take(&self, append: Append, erasure: Option<Erasure>) -> Result<Ack, StorageError> {
        if self.poison.is_set() {
            return Err(StorageError::Poisoned);
        }
        if *self.refusing.lock() == Some(append.owner) {
            return Err(StorageError::Full);
        }
        let mut log = self.log.lock();
        if u64::try_from(log.taken(append.owner)).ok() != Some(append.position) {
            return Err(StorageError::Fenced {
                owner: append.owner,
                position: append.position,
            });
        }
        let (ack_tx, ack) = Ack::pair();
        if self.fail_next.swap(false, Ordering::AcqRel) {
            self.poison.set();
            ack_tx.send(Err(StorageError::Poisoned));
            return Ok(ack);
        }
        if self.holding.load(Ordering::Acquire) {
            log.held.push((append, erasure, ack_tx));
            return Ok(ack);
        }
        self.make_durable(&mut log, append, erasure, ack_tx);
        Ok(ack)
    }
}

impl Journal for MemoryStore {
    fn append(&self, append: Append) -> Result<Ack, StorageError> {
        self.take(append, None)
    }

    fn append_erasing(&self, append: Append, erasure: Erasure) -> Result<Ack, StorageError> {
        self.take(append, Some(erasure))
    }

    fn durable_seq(&self) -> u64 {
        u64::try_from(self.log.lock().records.len()).unwrap_or(u64::MAX)
    }

    fn read_from(&self, from_seq: u64, max: usize) -> Result<Vec<Recorded>, StorageError> {
        let log = self.log.lock();
        let skip = usize::try_from(from_seq.saturating_sub(1)).unwrap_or(usize::MAX);
        Ok(log.records.iter().skip(skip).take(max).cloned().collect())
    }

    fn read_owner(
        &self,
        owner: Owner,
        from_position: u64,
        max: usize,
    ) -> Result<Vec<Recorded>, StorageError> {
        let log = self.log.lock();
        let skip = usize::try_from(from_position).unwrap_or(usize::MAX);
        let seqs = log.owners.get(&owner).map(Vec::as_slice).unwrap_or(&[]);
        seqs.iter()
            .skip(skip)
            .take(max)
            .map(|seq| {
                let index = usize::try_from(seq.saturating_sub(1)).unwrap_or(usize::MAX);
                log.records
                    .get(index)
                    .cloned()
                    .ok_or_else(|| StorageError::Read("owner index names no event".to_owned()))
            })
            .collect()
    }

    fn statement(
        &self,
        account: AccountId,
        query: &StatementQuery,
        scan_max: u64,
    ) -> Result<StatementPage, StorageError> {
        let log = self.log.lock();
        let Some(lines) = log.statement.get(&account) else {
            return Ok(StatementPage::default());
        };
        let Some(range) = format::statement_range(&[], query) else {
            return Ok(StatementPage::default());
        };
        let index = query.index();
        let entries = lines
            .range::<Vec<u8>, _>(range)
            .map(|(_, line)| line)
            .filter(|line| index.holds(line))
            .map(|line| Ok(line.clone()));
        collect_page(query, scan_max, entries, StatementCursor::after, Ok)
    }

    fn is_poisoned(&self) -> bool {
        self.poison.is_set()
    }

    fn poison_watch(&self) -> watch::Receiver<bool> {
        self.poison.subscribe()
    }

    fn queue_depth(&self) -> usize {
        self.log.lock().held.len()
    }
}

impl SnapshotStore for MemoryStore {
    fn save(&self, rows: SnapshotRows) -> Result<(), StorageError> {
        if self.snapshots_full.load(Ordering::Acquire) {
            return Err(StorageError::Full);
        }
        let mut snapshots = self.snapshots.lock();
        for (key, value) in rows.rows {
            snapshots.insert(key, value);
        }
        Ok(())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.snapshots.lock().get(key).cloned())
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<crate::storage::port::Rows, StorageError> {
        Ok(self
            .snapshots
            .lock()
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }

    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::Event;
    use crate::domain::ids::{AccountId, SessionId};
    use crate::domain::time::Timestamp;

    fn ended(account: u64) -> Arc<Event> {
        Arc::new(Event::SessionEnded {
            account: AccountId(account),
            session: SessionId(1),
            at: Timestamp(0),
        })
    }

    fn append(account: u64, position: u64, count: usize) -> Append {
        Append {
            holder: None,
            owner: Owner::Account(AccountId(account)),
            position,
            events: (0..count).map(|_| ended(account)).collect(),
            statement: Vec::new(),
        }
    }

    #[test]
    fn appends_are_fenced_by_position() -> Result<(), StorageError> {
        let store = MemoryStore::new();
        assert_eq!(store.append(append(1, 0, 2))?.wait_blocking(), Ok(1..3));
        assert_eq!(
            store.append(append(1, 1, 1)).err(),
            Some(StorageError::Fenced {
                owner: Owner::Account(AccountId(1)),
                position: 1
            }),
            "a second writer at an old position"
        );
        assert_eq!(store.append(append(1, 2, 1))?.wait_blocking(), Ok(3..4));
        assert_eq!(store.append(append(2, 0, 1))?.wait_blocking(), Ok(4..5));
        let mine: Vec<u64> = store
            .read_owner(Owner::Account(AccountId(1)), 1, 10)?
            .iter()
            .map(|r| r.position)
            .collect();
        assert_eq!(mine, vec![1, 2]);
        assert_eq!(store.read_from(4, 10)?.len(), 1);
        Ok(())
    }

    #[test]
    fn a_failed_append_poisons_and_a_reopen_keeps_the_log() -> Result<(), StorageError> {
        let store = MemoryStore::new();
        store.append(append(1, 0, 1))?.wait_blocking()?;
        store.fail_next_append();
        assert_eq!(
            store.append(append(1, 1, 1))?.wait_blocking(),
            Err(StorageError::Poisoned)
        );
        assert!(store.is_poisoned());
        assert_eq!(
            store.append(append(1, 1, 1)).err(),
            Some(StorageError::Poisoned)
        );
        let reopened = store.reopen();
        assert!(!reopened.is_poisoned());
        assert_eq!(reopened.durable_seq(), 1, "the failed append is not there");
        assert_eq!(reopened.append(append(1, 1, 1))?.wait_blocking(), Ok(2..3));
        Ok(())
    }

    #[test]
    fn held_appends_are_fenced_durable_only_when_released_and_lost_in_a_crash()
    -> Result<(), StorageError> {
        let store = MemoryStore::new();
        store.append(append(1, 0, 1))?.wait_blocking()?;
        store.hold_appends(true);
        let first = store.append(append(1, 1, 2))?;
        assert!(
            store.append(append(1, 1, 1)).is_err(),
            "a held append takes its positions"
        );
        let second = store.append(append(2, 0, 1))?;
        let third = store.append(append(1, 3, 1))?;
        assert_eq!(store.held_count(), 3);
        assert_eq!(store.durable_seq(), 1, "held appends are not durable");
        assert_eq!(store.read_from(1, 10)?.len(), 1);

        store.release_held(2);
        assert_eq!(first.wait_blocking(), Ok(2..4));
        assert_eq!(second.wait_blocking(), Ok(4..5));
        assert_eq!(store.held_count(), 1);

        let reopened = store.reopen();
        assert_eq!(reopened.durable_seq(), 4, "the crash lost the held append");
        assert_eq!(
            reopened.append(append(1, 3, 1))?.wait_blocking(),
            Ok(5..6),
            "after the crash the lost position is free again"
        );
        drop(third);
        Ok(())
    }
}
