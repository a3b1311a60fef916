//! Frees fjall's flushed memtables on a thread of our own, outside fjall's locks.
//!
//! Why: once fjall has flushed a sealed memtable to a table file, it drops the last reference
//! to it while holding that keyspace's version-history write lock (`SuperVersions::maintenance`
//! in lsm-tree). Freeing a 16 MiB skiplist node by node takes 20-60 ms on this machine, and
//! every insert of the journal writer takes that lock for reading, so each flush stalled the
//! writer, and every purchase waiting on it, for that long (measured at half load: a 40-57 ms
//! `commit` every 2-3 s, which set the end-to-end p99).
//!
//! How: the keeper holds its own reference to each keyspace's active memtable, taken every
//! `CAPTURE_INTERVAL`. When fjall lets go of a flushed memtable, the keeper's reference is the
//! last one, so fjall's drop under the lock only decrements a count, and the keeper's own
//! drop, on the next pass, frees the memory here. Correctness does not depend on the keeper:
//! a memtable it never saw (active for less than one interval) is simply freed by fjall.
//!
//! `AbstractTree::active_memtable` and `Keyspace::tree` are public but hidden from fjall's
//! documentation, so a fjall upgrade may rename them: that is a compile error here, never a
//! silent change of behaviour.
//!
//! May depend on: fjall, metrics, std. Nothing else.

use fjall::{AbstractTree, Keyspace};
use std::any::Any;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the keeper takes a reference to the active memtables and frees the ones fjall
/// has let go of. Short against a memtable's life (seconds at load), long against the cost of
/// a pass (three read locks and a few reference-count reads).
const CAPTURE_INTERVAL: Duration = Duration::from_millis(20);

/// Most memtables held at once. fjall keeps at most a few sealed memtables per keyspace
/// before it halts writes, so this is never reached in practice; past it, the keeper drops
/// its oldest reference, and whoever holds the last one frees that memtable, as without a
/// keeper.
const HELD_MAX: usize = 32;

/// Counter: flushed memtables freed by the keeper rather than inside fjall's lock.
pub(crate) const METRIC_MEMTABLES_FREED: &str = "farthing_journal_memtables_freed_total";

/// Name of the keeper thread, as seen in `top -H`.
const THREAD_NAME: &str = "farthing-memtables";

/// A memtable reference, by type erasure so that lsm-tree's `Memtable` type (not re-exported
/// by fjall) need not be named.
type Held = Arc<dyn Any + Send + Sync>;

/// The running keeper. Dropping the handle without `stop` leaves the thread running until
/// the process ends; `stop` ends and joins it.
pub(super) struct MemtableKeeper {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<()>,
}

impl MemtableKeeper {
    /// Starts the keeper over `keyspaces`.
    ///
    /// # Errors
    ///
    /// The thread could not be spawned.
    pub(super) fn start(keyspaces: Vec<Keyspace>) -> std::io::Result<MemtableKeeper> {
        let (stop, stop_rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || run(&keyspaces, &stop_rx))?;
        Ok(MemtableKeeper { stop, handle })
    }

    /// Ends the keeper (freeing what it holds) and waits for it.
    pub(super) fn stop(self) {
        let MemtableKeeper { stop, handle } = self;
        drop(stop);
        // The loop has no panicking path; a panic would be a bug with nothing left to free.
        let _ = handle.join();
    }
}

fn run(keyspaces: &[Keyspace], stop: &mpsc::Receiver<()>) {
    let mut held = HeldMemtables::default();
    let freed = metrics::counter!(METRIC_MEMTABLES_FREED);
    loop {
        freed.increment(held.pass(active_memtables(keyspaces)));
        match stop.recv_timeout(CAPTURE_INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// A reference to the active memtable of each keyspace.
fn active_memtables(keyspaces: &[Keyspace]) -> impl Iterator<Item = Held> + '_ {
    keyspaces
        .iter()
        .map(|keyspace| -> Held { keyspace.tree.active_memtable() })
}

/// The memtables the keeper holds, oldest first.
#[derive(Default)]
struct HeldMemtables {
    held: Vec<Held>,
}

impl HeldMemtables {
    /// Takes a reference to each of `active` not held yet, then frees the held memtables
    /// that nobody else refers to any more. Returns how many it freed.
    fn pass(&mut self, active: impl Iterator<Item = Held>) -> u64 {
        for memtable in active {
            if !self.held.iter().any(|known| same(known, &memtable)) {
                if self.held.len() >= HELD_MAX {
                    self.held.remove(0);
                }
                self.held.push(memtable);
            }
        }
        let before = self.held.len();
        self.held.retain(|memtable| Arc::strong_count(memtable) > 1);
        u64::try_from(before.saturating_sub(self.held.len())).unwrap_or(u64::MAX)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.held.len()
    }
}

/// Whether two references point at the same memtable.
fn same(a: &Held, b: &Held) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memtable() -> Arc<Vec<u8>> {
        Arc::new(vec![0; 8])
    }

    fn erased(memtable: &Arc<Vec<u8>>) -> Held {
        let held: Arc<Vec<u8>> = Arc::clone(memtable);
        held
    }

    #[test]
    fn a_memtable_is_held_once_while_fjall_holds_it() {
        let active = memtable();
        let mut held = HeldMemtables::default();
        held.pass([erased(&active)].into_iter());
        held.pass([erased(&active)].into_iter());
        assert_eq!(held.len(), 1);
        assert_eq!(Arc::strong_count(&active), 2, "fjall's and the keeper's");
    }

    #[test]
    fn a_memtable_fjall_let_go_of_is_freed_by_the_keeper() {
        let flushed = memtable();
        let mut held = HeldMemtables::default();
        held.pass([erased(&flushed)].into_iter());
        let weak = Arc::downgrade(&flushed);
        drop(flushed);
        assert!(weak.upgrade().is_some(), "fjall's drop does not free it");
        let next = memtable();
        assert_eq!(held.pass([erased(&next)].into_iter()), 1, "one freed");
        assert!(weak.upgrade().is_none(), "the keeper's pass freed it");
        assert_eq!(held.len(), 1, "the new active memtable is held");
    }

    #[test]
    fn past_the_bound_the_oldest_is_released_not_freed() {
        let memtables: Vec<Arc<Vec<u8>>> = (0..=HELD_MAX).map(|_| memtable()).collect();
        let mut held = HeldMemtables::default();
        held.pass(memtables.iter().map(erased));
        assert_eq!(held.len(), HELD_MAX);
        let first = memtables.first().map(Arc::strong_count);
        assert_eq!(first, Some(1), "the oldest went back to fjall alone");
    }

    /// Against a real fjall keyspace: after flushes, fjall lets go of the memtable the keeper
    /// took, so the keeper's reference is the last one and its pass frees it.
    #[test]
    fn a_flushed_fjall_memtable_ends_with_the_keeper() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = fjall::Database::builder(dir.path()).open()?;
        let keyspace = db.keyspace("rows", fjall::KeyspaceCreateOptions::default)?;
        keyspace.insert(b"key", b"value")?;
        let mut held = HeldMemtables::default();
        let keyspaces = [keyspace.clone()];
        held.pass(active_memtables(&keyspaces));
        let taken = held
            .held
            .first()
            .map(Arc::downgrade)
            .ok_or("nothing taken")?;

        let mut fjall_let_go = false;
        for round in 0..20_u32 {
            keyspace.insert(round.to_be_bytes(), b"value")?;
            keyspace.rotate_memtable_and_wait()?;
            if taken.strong_count() == 1 {
                fjall_let_go = true;
                break;
            }
        }
        assert!(fjall_let_go, "fjall still refers to the flushed memtable");
        held.pass(active_memtables(&keyspaces));
        assert_eq!(taken.strong_count(), 0, "the keeper's pass freed it");
        Ok(())
    }
}
