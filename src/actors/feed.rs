//! The feed: what happens to every event once it is durable, on the journal writer's thread,
//! before the acks of its batch are released.
//!
//! - It folds the members' totals (a pure fold, `domain::totals`), for `/admin/v1/totals`.
//! - It hands each vendor its sales of a durable batch, in journal order, in one message with
//!   `try_send`: a full mailbox never blocks the writer and never drops a sale. The vendor is
//!   marked behind from those sales on, and the catch-up thread reads its sales back from the
//!   journal and hands them over when there is room, then lets the feed deliver again.
//! - About once per `checkpoint_interval` it saves a checkpoint: the totals up to a sequence,
//!   and the vendors that appeared since the last one (the directory that recovery loads);
//!   the catch-up thread also saves one when the server went quiet. (Sign-in e-mails are not
//!   the feed's: the journal writer writes their rows with their events.) And it
//!   tells every vendor that is not behind how far its sales are covered, so a quiet vendor's
//!   snapshot does not pin recovery far back in the journal.
//!
//! It must never block: the journal's next batch waits for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix::Addr;
use actix::prelude::SendError;
use dashmap::DashMap;
use parking_lot::Mutex;

use super::messages::{FeedCoveredMessage, SalesMessage};
use super::vendor::VendorActor;
use crate::domain::event::{Event, InTransit};
use crate::domain::ids::{AccountId, GrantId, VendorId};
use crate::domain::time::Timestamp;
use crate::domain::totals::Totals;
use crate::metrics as names;
use crate::storage::port::{DurableSink, FeedCheckpoint, Journal, Recorded, SnapshotStore};
use crate::storage::recovery::{Expiring, OpenSets};

/// Events the catch-up reads from the journal at a time.
const CATCH_UP_CHUNK: usize = 1_024;
/// How often the catch-up thread looks for vendors that are behind.
const CATCH_UP_INTERVAL: Duration = Duration::from_millis(10);

/// A vendor as the feed sees it.
struct Target {
    addr: Addr<VendorActor>,
    /// The first sale not handed over yet: the catch-up delivers from here, and the feed
    /// delivers nothing to this vendor until it is `None` again.
    behind_from: Option<u64>,
}

/// The members' totals as the feed folded them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TotalsView {
    /// The totals.
    pub totals: Totals,
    /// The last sequence folded in.
    pub seq: u64,
    /// A sum overflowed: the totals stopped at the event before.
    pub overflow: bool,
}

/// What the feed folds, under one lock.
struct Projection {
    view: TotalsView,
    /// Vendors registered since the last checkpoint.
    vendors: Vec<(VendorId, u64)>,
    /// Deposits, transfers and grant expiries still open: every checkpoint stores them all,
    /// so start-up can finish them; the transfer watcher and the expiry sweep work from here.
    /// As large as what is in flight.
    open: OpenSets,
    /// The sequence the last saved checkpoint includes.
    checkpointed_seq: u64,
    last_checkpoint: Instant,
    last_covered: Instant,
}

/// The feed. Shared by the journal writer (as its sink), the registry (which adds vendors),
/// the catch-up thread and the totals query.
pub struct Feed {
    targets: DashMap<VendorId, Target>,
    projection: Mutex<Projection>,
    snapshots: Arc<dyn SnapshotStore>,
    checkpoint_interval: Duration,
    stopping: AtomicBool,
}

impl Feed {
    /// A feed starting from what recovery folded up to `seq`, with the directory rows that
    /// are not in a checkpoint yet.
    #[must_use]
    pub fn new(
        snapshots: Arc<dyn SnapshotStore>,
        checkpoint_interval: Duration,
        recovered: &crate::storage::recovery::Recovered,
    ) -> Arc<Feed> {
        Arc::new(Feed {
            targets: DashMap::new(),
            projection: Mutex::new(Projection {
                view: TotalsView {
                    totals: recovered.totals.clone(),
                    seq: recovered.seq,
                    overflow: recovered.totals_overflow,
                },
                vendors: recovered.pending_vendors.clone(),
                open: OpenSets::recovered(recovered),
                checkpointed_seq: 0,
                last_checkpoint: Instant::now(),
                last_covered: Instant::now(),
            }),
            snapshots,
            checkpoint_interval,
            stopping: AtomicBool::new(false),
        })
    }

    /// Starts delivering sales to a vendor's actor.
    pub fn add_vendor(&self, vendor: VendorId, addr: Addr<VendorActor>) {
        self.targets.insert(
            vendor,
            Target {
                addr,
                behind_from: None,
            },
        );
    }

    /// The members' totals as folded so far.
    #[must_use]
    pub fn totals(&self) -> TotalsView {
        self.projection.lock().view.clone()
    }

    /// Transfers sent (durably) and not received yet, oldest first by when they were sent.
    #[must_use]
    pub fn open_transfers(&self) -> Vec<InTransit> {
        let mut open: Vec<InTransit> = self
            .projection
            .lock()
            .open
            .transfers
            .values()
            .cloned()
            .collect();
        open.sort_by_key(|transit| (transit.sent_at, transit.transfer));
        open
    }

    /// Takes the grants due to expire by `now` off the sweep's list; answers their accounts.
    /// The sweep gives back those it could not record ([`Feed::still_expiring`]).
    #[must_use]
    pub fn take_expired(&self, now: Timestamp) -> Vec<Expiring> {
        let mut projection = self.projection.lock();
        let later = projection
            .open
            .expiring
            .split_off(&(now.plus_ms(1), AccountId(0), GrantId(0)));
        let due = std::mem::replace(&mut projection.open.expiring, later);
        due.into_iter().collect()
    }

    /// Puts back grants whose expiry the sweep could not record now.
    pub fn still_expiring(&self, entries: impl IntoIterator<Item = Expiring>) {
        self.projection.lock().open.expiring.extend(entries);
    }

    /// Hands a vendor its sales of one durable batch in one message, or leaves them to the
    /// catch-up when its mailbox is full.
    fn deliver(&self, vendor: VendorId, sales: Vec<(u64, Arc<Event>)>) {
        let Some(first) = sales.first().map(|(seq, _)| *seq) else {
            return;
        };
        let Some(mut target) = self.targets.get_mut(&vendor) else {
            tracing::error!(%vendor, seq = first, "a sale for a vendor the feed does not know");
            return;
        };
        if target.behind_from.is_some() {
            return;
        }
        let count = u64::try_from(sales.len()).unwrap_or(u64::MAX);
        match target.addr.try_send(SalesMessage { sales }) {
            Ok(()) => {}
            Err(SendError::Full(_)) => {
                metrics::counter!(names::FEED_DEFERRED).increment(count);
                target.behind_from = Some(first);
            }
            Err(SendError::Closed(_)) => {
                tracing::warn!(%vendor, "the vendor's actor is gone; its sales wait in the journal");
                target.behind_from = Some(first);
            }
        }
    }

    /// Saves a checkpoint of the totals and the directory when one is due and something was
    /// folded since the last one. Safe from any thread: it touches no vendor. Called after
    /// each durable batch, and by the catch-up thread on its timer, so a server that went quiet
    /// still checkpoints its last events.
    fn checkpoint_if_due(&self) {
        let mut projection = self.projection.lock();
        let due = projection.last_checkpoint.elapsed() >= self.checkpoint_interval;
        if !due || projection.view.seq <= projection.checkpointed_seq || projection.view.overflow {
            return;
        }
        projection.last_checkpoint = Instant::now();
        let checkpoint = FeedCheckpoint {
            seq: projection.view.seq,
            totals: projection.view.totals.clone(),
            vendors: projection.vendors.clone(),
            open_deposits: projection.open.deposits.iter().copied().collect(),
            open_transfers: projection.open.transfers.values().cloned().collect(),
            expiring: projection.open.expiring.iter().copied().collect(),
        };
        if self
            .snapshots
            .save(crate::storage::checkpoint_rows(&checkpoint))
            .is_ok()
        {
            projection.checkpointed_seq = checkpoint.seq;
            projection.vendors.clear();
            metrics::counter!(names::FEED_CHECKPOINTS).increment(1);
        }
    }

    /// Tells every vendor that is not behind how far its sales are covered, once per interval.
    /// Only the journal writer's thread calls this, after it delivered the batch's sales: the
    /// message then follows them in each mailbox, so a vendor never skips a sale it has not
    /// seen yet.
    fn cover_vendors_if_due(&self) {
        let seq = {
            let mut projection = self.projection.lock();
            if projection.last_covered.elapsed() < self.checkpoint_interval {
                return;
            }
            projection.last_covered = Instant::now();
            projection.view.seq
        };
        for target in &self.targets {
            if target.behind_from.is_none() {
                // Best effort: a full mailbox only means the vendor's snapshot says less.
                let _ = target.addr.try_send(FeedCoveredMessage { seq });
            }
        }
    }

    /// Starts the catch-up thread; it reads sales back from `journal` for vendors that are
    /// behind. It stops when [`Feed::stop`] is called.
    ///
    /// # Errors
    /// When the thread cannot be spawned.
    pub fn start_catch_up(
        self: &Arc<Self>,
        journal: Arc<dyn Journal>,
    ) -> std::io::Result<JoinHandle<()>> {
        let feed = Arc::clone(self);
        std::thread::Builder::new()
            .name("farthing-feed".to_owned())
            .spawn(move || {
                while !feed.stopping.load(Ordering::Acquire) {
                    std::thread::sleep(CATCH_UP_INTERVAL);
                    feed.catch_up_pass(journal.as_ref());
                }
            })
    }

    /// One pass of the catch-up thread: a checkpoint if one is due, then every vendor that is
    /// behind gets its sales from the journal while its mailbox has room. Public so the
    /// deterministic simulation, which starts no thread, can run passes at chosen moments.
    pub fn catch_up_pass(&self, journal: &dyn Journal) {
        self.checkpoint_if_due();
        let mut behind: Vec<VendorId> = self
            .targets
            .iter()
            .filter(|target| target.behind_from.is_some())
            .map(|target| *target.key())
            .collect();
        // The map's order is random; a fixed order keeps a simulated run replayable.
        behind.sort_unstable();
        metrics::gauge!(names::FEED_VENDORS_BEHIND)
            .set(f64::from(u32::try_from(behind.len()).unwrap_or(u32::MAX)));
        for vendor in behind {
            self.catch_up(journal, vendor);
        }
    }

    /// Stops the catch-up thread at its next pass.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    /// Hands a vendor its sales from where it fell behind, up to the journal's end, while its
    /// mailbox has room; then gives it back to the feed.
    fn catch_up(&self, journal: &dyn Journal, vendor: VendorId) {
        loop {
            let Some((from, addr)) = self
                .targets
                .get(&vendor)
                .and_then(|t| t.behind_from.map(|from| (from, t.addr.clone())))
            else {
                return;
            };
            let chunk = match journal.read_from(from, CATCH_UP_CHUNK) {
                Ok(chunk) => chunk,
                Err(error) => {
                    tracing::error!(%vendor, %error, "the feed cannot read the journal");
                    return;
                }
            };
            let next = chunk.last().map_or(from, |r| r.seq.saturating_add(1));
            let sales: Vec<(u64, Arc<Event>)> = chunk
                .iter()
                .filter(|recorded| recorded.event.ledger_vendors().contains(vendor))
                .map(|recorded| (recorded.seq, Arc::clone(&recorded.event)))
                .collect();
            if !sales.is_empty() && addr.try_send(SalesMessage { sales }).is_err() {
                // Still full: try the same chunk again at the next pass.
                return;
            }
            let Some(mut target) = self.targets.get_mut(&vendor) else {
                return;
            };
            // The writer raises `durable_seq` before it calls the feed, and the feed takes this
            // entry's lock to deliver: if nothing beyond `next` is durable now, every later
            // batch will find the vendor caught up and deliver to it itself.
            if journal.durable_seq() < next {
                target.behind_from = None;
                return;
            }
            target.behind_from = Some(next);
        }
    }
}

impl DurableSink for Feed {
    fn durable(&self, events: &[Recorded]) {
        let mut projection = self.projection.lock();
        for recorded in events {
            let event = recorded.event.as_ref();
            if !projection.view.overflow && projection.view.totals.apply(event).is_err() {
                tracing::error!(seq = recorded.seq, "the members' totals overflow");
                projection.view.overflow = true;
            }
            projection.view.seq = recorded.seq;
            if let Event::VendorRegistered(profile) | Event::VendorApplied(profile) = event {
                projection.vendors.push((profile.id, recorded.seq));
            }
            projection.open.fold(event);
        }
        drop(projection);
        // One message per vendor per batch, its sales in journal order.
        let mut by_vendor: std::collections::BTreeMap<VendorId, Vec<(u64, Arc<Event>)>> =
            std::collections::BTreeMap::new();
        for recorded in events {
            for vendor in recorded.event.ledger_vendors().iter() {
                by_vendor
                    .entry(vendor)
                    .or_default()
                    .push((recorded.seq, Arc::clone(&recorded.event)));
            }
        }
        for (vendor, sales) in by_vendor {
            self.deliver(vendor, sales);
        }
        self.checkpoint_if_due();
        self.cover_vendors_if_due();
    }
}
