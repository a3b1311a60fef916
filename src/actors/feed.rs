//! The feed: what happens to every event once it is durable, on the journal writer's thread,
//! before the acks of its batch are released.
//!
//! - It folds the members' totals (a pure fold, `domain::totals`), for `/admin/v1/totals`.
//! - It hands each sale to its vendor's actor, in journal order, with `try_send`: a full
//!   mailbox never blocks the writer and never drops a sale. The vendor is marked behind
//!   from that sale on, and the catch-up thread reads its sales back from the journal and
//!   hands them over when there is room, then lets the feed deliver again.
//! - About once per `checkpoint_interval` it saves a checkpoint: the totals up to a sequence,
//!   and the sign-in e-mails and vendors that appeared since the last one (the directory that
//!   recovery loads), and tells every vendor that is not behind how far its sales are
//!   covered, so a quiet vendor's snapshot does not pin recovery far back in the journal.
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

use super::messages::{FeedCoveredMessage, SaleMessage};
use super::vendor::VendorActor;
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, VendorId};
use crate::domain::totals::Totals;
use crate::metrics as names;
use crate::storage::port::{DurableSink, FeedCheckpoint, Journal, Recorded, SnapshotStore};

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
    /// E-mails of accounts opened since the last checkpoint.
    emails: Vec<(String, AccountId)>,
    /// Vendors registered since the last checkpoint.
    vendors: Vec<(VendorId, u64)>,
    last_checkpoint: Instant,
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
                emails: recovered.pending_emails.clone(),
                vendors: recovered.pending_vendors.clone(),
                last_checkpoint: Instant::now(),
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

    /// Hands one sale to its vendor, or leaves it to the catch-up.
    fn deliver(&self, vendor: VendorId, recorded: &Recorded) {
        let Some(mut target) = self.targets.get_mut(&vendor) else {
            tracing::error!(%vendor, seq = recorded.seq, "a sale for a vendor the feed does not know");
            return;
        };
        if target.behind_from.is_some() {
            return;
        }
        let message = SaleMessage {
            seq: recorded.seq,
            event: Arc::clone(&recorded.event),
        };
        match target.addr.try_send(message) {
            Ok(()) => {}
            Err(SendError::Full(_)) => {
                metrics::counter!(names::FEED_DEFERRED).increment(1);
                target.behind_from = Some(recorded.seq);
            }
            Err(SendError::Closed(_)) => {
                tracing::warn!(%vendor, "the vendor's actor is gone; its sales wait in the journal");
                target.behind_from = Some(recorded.seq);
            }
        }
    }

    /// Saves a checkpoint if one is due, and tells vendors how far their sales are covered.
    fn maybe_checkpoint(&self) {
        let mut projection = self.projection.lock();
        if projection.last_checkpoint.elapsed() < self.checkpoint_interval {
            return;
        }
        projection.last_checkpoint = Instant::now();
        let seq = projection.view.seq;
        if !projection.view.overflow {
            let checkpoint = FeedCheckpoint {
                seq,
                totals: projection.view.totals.clone(),
                emails: projection.emails.clone(),
                vendors: projection.vendors.clone(),
            };
            if self
                .snapshots
                .save(crate::storage::checkpoint_rows(&checkpoint))
                .is_ok()
            {
                projection.emails.clear();
                projection.vendors.clear();
                metrics::counter!(names::FEED_CHECKPOINTS).increment(1);
            }
        }
        drop(projection);
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
                    let behind: Vec<VendorId> = feed
                        .targets
                        .iter()
                        .filter(|target| target.behind_from.is_some())
                        .map(|target| *target.key())
                        .collect();
                    metrics::gauge!(names::FEED_VENDORS_BEHIND)
                        .set(f64::from(u32::try_from(behind.len()).unwrap_or(u32::MAX)));
                    for vendor in behind {
                        feed.catch_up(journal.as_ref(), vendor);
                    }
                }
            })
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
            let mut next = from;
            for recorded in &chunk {
                if recorded.event.sale_vendor() == Some(vendor) {
                    let message = SaleMessage {
                        seq: recorded.seq,
                        event: Arc::clone(&recorded.event),
                    };
                    if addr.try_send(message).is_err() {
                        if let Some(mut target) = self.targets.get_mut(&vendor) {
                            target.behind_from = Some(recorded.seq);
                        }
                        return;
                    }
                }
                next = recorded.seq.saturating_add(1);
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
            match event {
                Event::AccountOpened { account, login, .. } => {
                    if let Some(email) = &login.email {
                        projection.emails.push((email.clone(), *account));
                    }
                }
                Event::VendorRegistered(profile) => {
                    projection.vendors.push((profile.id, recorded.seq));
                }
                _ => {}
            }
        }
        drop(projection);
        for recorded in events {
            if let Some(vendor) = recorded.event.sale_vendor() {
                self.deliver(vendor, recorded);
            }
        }
        self.maybe_checkpoint();
    }
}
