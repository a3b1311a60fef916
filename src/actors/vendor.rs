//! The vendor actor: owns one `VendorState` and aggregates the sales the journal hands it,
//! in journal order, after they are durable. Its row is a checkpoint (with `applied_seq`),
//! written on a timer when sales arrived, without waiting; recovery re-applies every sale
//! beyond it. (Rejected: a checkpoint per sale, which doubled the journal's entries and
//! state writes on the authorize path; measured in the README.)
//!
//! It also keeps the vendor's book of buy-window offers. Posting an offer is journaled (the
//! offer row and its event) and answered only once durable; claims are serialized here, so an
//! offer buys once. Each checkpoint tick prunes expired offers and deletes their rows.

use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler};

use super::messages::{
    ClaimOfferMessage, CommandError, Fault, PostOfferMessage, ReleaseOfferMessage, SaleMessage,
    VendorViewMessage, ViewOfferMessage,
};
use super::registry::OfferIndex;
use crate::clock::Clock;
use crate::domain::event::Event;
use crate::domain::offer::OfferBook;
use crate::domain::vendor::VendorState;
use crate::storage::codec;
use crate::storage::rows;
use crate::storage::wal::{EventRecord, Journal, JournalEntry};

/// What every vendor actor shares: the journal, the clock, the offer index and its bounds.
#[derive(Clone)]
pub struct VendorEnv {
    /// The write-ahead journal.
    pub journal: Journal,
    /// Source of `now` (for pruning offers).
    pub clock: Arc<dyn Clock>,
    /// Which vendor holds each offer.
    pub offer_index: OfferIndex,
    /// Mailbox capacity.
    pub mailbox_messages_max: usize,
    /// How often the ledger is checkpointed and expired offers pruned.
    pub checkpoint_interval: Duration,
    /// Expired offers are pruned only this long after they expired, ms.
    pub offers_expired_kept_ms: u64,
}

/// One vendor.
pub struct VendorActor {
    state: VendorState,
    offers: OfferBook,
    env: VendorEnv,
    /// Sales applied since the last checkpoint was handed to the journal.
    dirty: bool,
}

impl VendorActor {
    /// An actor for a loaded or newly registered vendor.
    #[must_use]
    pub fn new(state: VendorState, offers: OfferBook, env: VendorEnv) -> VendorActor {
        VendorActor {
            state,
            offers,
            env,
            dirty: false,
        }
    }

    /// Hands the ledger row to the journal. A checkpoint, not a fact: when the queue is full
    /// it waits for the next tick, and recovery re-applies the sales after the last one written.
    fn checkpoint(&mut self) {
        if !self.dirty {
            return;
        }
        let (key, value) = rows::vendor_row(&self.state);
        let entry = JournalEntry {
            events: Vec::new(),
            state_puts: vec![(key, value)],
            state_deletes: Vec::new(),
        };
        if let Ok(reservation) = self.env.journal.try_reserve() {
            drop(reservation.submit(entry));
            self.dirty = false;
        }
    }

    /// Drops expired offers and deletes their rows (and used markers). Not a fact either: if
    /// the journal is full the rows stay until the next start-up prunes them again.
    fn prune_offers(&mut self) {
        let now = self.env.clock.now();
        let horizon = crate::domain::time::Timestamp(
            now.0
                .saturating_sub(i64::try_from(self.env.offers_expired_kept_ms).unwrap_or(i64::MAX)),
        );
        let expired = self.offers.prune(horizon);
        if expired.is_empty() {
            return;
        }
        for id in &expired {
            self.env.offer_index.remove(id);
        }
        let state_deletes = expired
            .iter()
            .flat_map(|id| [rows::offer_key(*id), rows::offer_used_key(*id)])
            .collect();
        let entry = JournalEntry {
            events: Vec::new(),
            state_puts: Vec::new(),
            state_deletes,
        };
        if let Ok(reservation) = self.env.journal.try_reserve() {
            drop(reservation.submit(entry));
        }
    }
}

impl Actor for VendorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.env.mailbox_messages_max);
        ctx.run_interval(self.env.checkpoint_interval, |actor, _| {
            actor.checkpoint();
            actor.prune_offers();
        });
    }
}

impl Handler<SaleMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: SaleMessage, _: &mut Context<Self>) {
        if self.state.apply_sale(message.seq, &message.event) {
            self.dirty = true;
        }
        if let Event::Authorized(authorized) = message.event.as_ref()
            && let Some(offer) = authorized.offer
        {
            self.offers.mark_used(offer);
        }
    }
}

impl Handler<VendorViewMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: VendorViewMessage, _: &mut Context<Self>) {
        let _ = message.reply.send(self.state.clone());
    }
}

impl Handler<PostOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: PostOfferMessage, _: &mut Context<Self>) {
        let outcome = self.post_offer(message.offer, message.offers_max);
        let _ = message.reply.send(outcome);
    }
}

impl VendorActor {
    fn post_offer(
        &mut self,
        offer: crate::domain::offer::Offer,
        offers_max: usize,
    ) -> Result<crate::storage::wal::Ack, CommandError> {
        self.offers.decide_post(offers_max)?;
        let reservation = self.env.journal.try_reserve().map_err(Fault::from)?;
        let event = Event::OfferPosted(Box::new(offer.clone()));
        let entry = JournalEntry {
            events: vec![EventRecord {
                payload: codec::encode_event(&event),
                index_keys: rows::index_keys(&event),
                notify: false,
            }],
            state_puts: vec![rows::offer_row(&offer)],
            state_deletes: Vec::new(),
        };
        let ack = reservation.submit(entry);
        self.env.offer_index.insert(offer.id, offer.vendor);
        self.offers.insert(offer);
        Ok(ack)
    }
}

impl Handler<ViewOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: ViewOfferMessage, _: &mut Context<Self>) {
        let outcome = self.offers.view(message.offer, message.now);
        let _ = message.reply.send(outcome.map_err(CommandError::Reject));
    }
}

impl Handler<ClaimOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: ClaimOfferMessage, _: &mut Context<Self>) {
        let outcome = self.offers.claim(message.offer, message.now, message.until);
        let _ = message.reply.send(outcome.map_err(CommandError::Reject));
    }
}

impl Handler<ReleaseOfferMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: ReleaseOfferMessage, _: &mut Context<Self>) {
        self.offers.release(message.offer);
    }
}
