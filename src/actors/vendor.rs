//! The vendor actor: owns one `VendorState`. It appends its own events (registration, offers,
//! pruning) like an account does, and folds its members' sales as the journal's feed hands
//! them over, in journal order, once durable.
//!
//! On a timer it prunes offers that expired a while ago (an event, so the book stays a pure
//! fold) and, when anything changed, snapshots itself off the hot path: the rows are handed to
//! the snapshot store only after its own last write is durable. (Rejected: a snapshot per
//! sale, which would put a write back on the authorize path.)
//!
//! Claims on offers are serialized here, so an offer buys once; they live in memory only.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler};

use super::account::{DurableWait, SnapshotProgress, durable_wait};
use super::messages::{
    ClaimOfferMessage, CommandError, FeedCoveredMessage, OpenVendorMessage, PostOfferMessage,
    ReleaseOfferMessage, ReplyTo, SalesMessage, SetVendorTermsMessage, VendorLedgerView,
    VendorTerms, VendorViewMessage, ViewOfferMessage,
};
use super::registry::OfferIndex;
use crate::clock::Clock;
use crate::domain::event::Event;
use crate::domain::ids::Owner;
use crate::domain::vendor::VendorState;
use crate::domain::vendor_standing::VendorStanding;
use crate::metrics as names;
use crate::storage::port::{Append, Journal, SnapshotStore};

/// What every vendor actor shares: the journal, the clock, the offer index and its bounds.
#[derive(Clone)]
pub struct VendorEnv {
    /// The write-ahead journal.
    pub journal: Arc<dyn Journal>,
    /// Where snapshots go.
    pub snapshots: Arc<dyn SnapshotStore>,
    /// Source of `now` (for pruning offers).
    pub clock: Arc<dyn Clock>,
    /// Which vendor holds each offer.
    pub offer_index: OfferIndex,
    /// The vendor's standing as its API-key check reads it: the actor publishes each change.
    pub standing: Arc<parking_lot::RwLock<VendorStanding>>,
    /// Mailbox capacity.
    pub mailbox_messages_max: usize,
    /// How often the vendor snapshots itself (when changed) and prunes expired offers.
    pub snapshot_interval: Duration,
    /// Expired offers are pruned only this long after they expired, ms.
    pub offers_expired_kept_ms: u64,
}

/// One vendor.
pub struct VendorActor {
    pub(super) state: VendorState,
    /// Own events appended: the position the next one takes.
    position: u64,
    env: VendorEnv,
    /// The newest own write handed to the journal.
    last_write: Option<DurableWait>,
    /// Changed since the last snapshot.
    dirty: bool,
    snapshots: Arc<SnapshotProgress>,
}

impl VendorActor {
    /// An actor for a recovered or newly registered vendor after `position` own events.
    #[must_use]
    pub fn new(state: VendorState, position: u64, env: VendorEnv) -> VendorActor {
        VendorActor {
            state,
            position,
            env,
            last_write: None,
            dirty: true,
            snapshots: SnapshotProgress::at(0),
        }
    }

    /// Journals own `events` (applying all but the first `already_applied`), or refuses them
    /// all before anything changed.
    fn journal(
        &mut self,
        events: Vec<Event>,
        already_applied: usize,
    ) -> Result<DurableWait, CommandError> {
        let events: Vec<Arc<Event>> = events.into_iter().map(Arc::new).collect();
        let ack = self
            .env
            .journal
            .append(Append {
                holder: None,
                owner: Owner::Vendor(self.state.profile.id),
                position: self.position,
                events: events.clone(),
                statement: Vec::new(),
            })
            .map_err(|error| CommandError::Fault(error.into()))?;
        for (position, event) in (self.position..).zip(&events).skip(already_applied) {
            self.state.apply(event, position);
        }
        if *self.env.standing.read() != self.state.standing {
            *self.env.standing.write() = self.state.standing.clone();
        }
        self.position = self
            .position
            .saturating_add(u64::try_from(events.len()).unwrap_or(u64::MAX));
        self.dirty = true;
        let wait = durable_wait(ack);
        self.last_write = Some(wait.clone());
        Ok(wait)
    }

    fn reply_after(wait: DurableWait, reply: ReplyTo<()>) {
        actix::spawn(async move {
            let _ = reply.send(wait.await.map(|_| ()).map_err(CommandError::Fault));
        });
    }

    /// Drops offers that expired more than `offers_expired_kept_ms` ago. If the journal is
    /// full the offers stay until the next tick.
    fn prune_offers(&mut self) {
        let now = self.env.clock.now();
        let horizon = now.minus_ms(self.env.offers_expired_kept_ms);
        let Some(event) = self.state.decide_prune(horizon, now) else {
            return;
        };
        let pruned = match &event {
            Event::OffersPruned { offers, .. } => offers.clone(),
            _ => Vec::new(),
        };
        if self.journal(vec![event], 0).is_ok() {
            for id in &pruned {
                self.env.offer_index.remove(id);
            }
        }
    }

    /// Snapshots the vendor if it changed, once its own last write is durable.
    fn snapshot(&mut self) {
        if !self.dirty || self.snapshots.due(self.position).is_none() {
            return;
        }
        let rows = crate::storage::vendor_snapshot(self.position, &self.state);
        self.snapshots.save_after(
            self.last_write.clone(),
            self.position,
            rows,
            Arc::clone(&self.env.snapshots),
        );
        self.dirty = false;
    }
}

impl Actor for VendorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.env.mailbox_messages_max);
        ctx.run_interval(self.env.snapshot_interval, |actor, _| {
            actor.prune_offers();
            actor.snapshot();
        });
    }
}

impl Handler<OpenVendorMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: OpenVendorMessage, _: &mut Context<Self>) {
        // The registry built the state from this event.
        match self.journal(vec![message.event], 1) {
            Ok(wait) => Self::reply_after(wait, message.reply),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<SalesMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: SalesMessage, _: &mut Context<Self>) {
        for (seq, event) in &message.sales {
            match self.state.apply_sale(*seq, event) {
                Ok(false) => {}
                Ok(true) => self.dirty = true,
                Err(error) => {
                    self.dirty = true;
                    metrics::counter!(names::SALES_REFUSED).increment(1);
                    tracing::error!(
                        vendor = %self.state.profile.id,
                        seq,
                        %error,
                        "a durable sale does not fit the vendor's ledger"
                    );
                }
            }
        }
    }
}

impl Handler<FeedCoveredMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: FeedCoveredMessage, _: &mut Context<Self>) {
        if message.seq > self.state.feed_seq {
            self.state.feed_covered(message.seq);
            self.dirty = true;
        }
    }
}

impl Handler<VendorViewMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: VendorViewMessage, _: &mut Context<Self>) {
        let state = &self.state;
        let _ = message.reply.send(VendorLedgerView {
            profile: state.profile.clone(),
            figures: state
                .ledger
                .keys()
                .map(|currency| (*currency, state.figures(*currency, message.now)))
                .collect(),
            royalties: state
                .ledger
                .iter()
                .flat_map(|(currency, ledger)| {
                    ledger
                        .royalties
                        .iter()
                        .map(|(holder, exact)| (*currency, *holder, exact.floor()))
                })
                .collect(),
            fee_schedule: state.fee_schedules.current().clone(),
            commission: *state.commissions.current(),
            sales_refused: state.sales_refused,
            mailing_list: state.mailing_list.clone(),
        });
    }
}

impl Handler<SetVendorTermsMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: SetVendorTermsMessage, _: &mut Context<Self>) {
        let now = message.now;
        let decided = match message.terms {
            VendorTerms::FeeSchedule(schedule) => {
                Ok(vec![self.state.decide_set_fee_schedule(schedule, now)])
            }
            VendorTerms::Commission(rates) => {
                Ok(vec![self.state.decide_set_commission(rates, now)])
            }
            VendorTerms::Standing {
                approve,
                fee,
                reason,
                by,
            } => self.state.decide_standing(approve, fee, &reason, by, now),
            VendorTerms::RotateKey { digest, overlap_ms } => self
                .state
                .decide_rotate_key(digest, overlap_ms, now)
                .map(|event| vec![event]),
            VendorTerms::MailingList(url) => Ok(vec![self.state.decide_set_mailing_list(url, now)]),
        };
        match decided
            .map_err(CommandError::Reject)
            .and_then(|events| self.journal(events, 0))
        {
            Ok(wait) => Self::reply_after(wait, message.reply),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<PostOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: PostOfferMessage, _: &mut Context<Self>) {
        let id = message.offer.id;
        let decided = self
            .state
            .decide_post_offer(message.offer, message.offers_max)
            .map_err(CommandError::Reject)
            .and_then(|event| self.journal(vec![event], 0));
        match decided {
            Ok(wait) => {
                self.env.offer_index.insert(id, self.state.profile.id);
                Self::reply_after(wait, message.reply);
            }
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<ViewOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: ViewOfferMessage, _: &mut Context<Self>) {
        let outcome = self.state.offers.view(message.offer, message.now);
        let _ = message.reply.send(outcome.map_err(CommandError::Reject));
    }
}

impl Handler<ClaimOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: ClaimOfferMessage, _: &mut Context<Self>) {
        let outcome = self
            .state
            .offers
            .claim(message.offer, message.now, message.until);
        let _ = message.reply.send(outcome.map_err(CommandError::Reject));
    }
}

impl Handler<ReleaseOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: ReleaseOfferMessage, _: &mut Context<Self>) {
        self.state.offers.release(message.offer);
    }
}
