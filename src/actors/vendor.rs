//! The vendor actor: owns one `VendorState` and aggregates the sales the journal hands it,
//! in journal order, after they are durable. Its row is a checkpoint (with `applied_seq`),
//! written on a timer when sales arrived, without waiting; recovery re-applies every sale
//! beyond it. (Rejected: a checkpoint per sale, which doubled the journal's entries and
//! state writes on the authorize path; measured in the README.)

use std::time::Duration;

use actix::{Actor, AsyncContext, Context, Handler};

use super::messages::{SaleMessage, VendorViewMessage};
use crate::domain::vendor::VendorState;
use crate::storage::rows;
use crate::storage::wal::{Journal, JournalEntry};

/// One vendor.
pub struct VendorActor {
    state: VendorState,
    journal: Journal,
    mailbox_messages_max: usize,
    checkpoint_interval: Duration,
    /// Sales applied since the last checkpoint was handed to the journal.
    dirty: bool,
}

impl VendorActor {
    /// An actor for a loaded or newly registered vendor.
    #[must_use]
    pub fn new(
        state: VendorState,
        journal: Journal,
        mailbox_messages_max: usize,
        checkpoint_interval: Duration,
    ) -> VendorActor {
        VendorActor {
            state,
            journal,
            mailbox_messages_max,
            checkpoint_interval,
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
        if let Ok(reservation) = self.journal.try_reserve() {
            drop(reservation.submit(entry));
            self.dirty = false;
        }
    }
}

impl Actor for VendorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.mailbox_messages_max);
        ctx.run_interval(self.checkpoint_interval, |actor, _| actor.checkpoint());
    }
}

impl Handler<SaleMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: SaleMessage, _: &mut Context<Self>) {
        if self.state.apply_sale(message.seq, &message.event) {
            self.dirty = true;
        }
    }
}

impl Handler<VendorViewMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: VendorViewMessage, _: &mut Context<Self>) {
        let _ = message.reply.send(self.state.clone());
    }
}
