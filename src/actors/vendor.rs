//! The vendor actor: owns one `VendorState` and aggregates the sales the journal hands it,
//! in journal order, after they are durable. Its row is a checkpoint (with `applied_seq`):
//! written without waiting, and recovery re-applies every sale beyond it.

use actix::{Actor, Context, Handler};

use super::messages::{SaleMessage, VendorViewMessage};
use crate::domain::vendor::VendorState;
use crate::storage::rows;
use crate::storage::wal::{Journal, JournalEntry};

/// One vendor.
pub struct VendorActor {
    state: VendorState,
    journal: Journal,
    mailbox_messages_max: usize,
}

impl VendorActor {
    /// An actor for a loaded or newly registered vendor.
    #[must_use]
    pub fn new(state: VendorState, journal: Journal, mailbox_messages_max: usize) -> VendorActor {
        VendorActor {
            state,
            journal,
            mailbox_messages_max,
        }
    }
}

impl Actor for VendorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.mailbox_messages_max);
    }
}

impl Handler<SaleMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: SaleMessage, _: &mut Context<Self>) {
        if !self.state.apply_sale(message.seq, &message.event) {
            return;
        }
        // A checkpoint, not a fact: if the queue is full it is skipped, and recovery
        // re-applies the sales after the last checkpoint that was written.
        let (key, value) = rows::vendor_row(&self.state);
        let entry = JournalEntry {
            events: Vec::new(),
            state_puts: vec![(key, value)],
            state_deletes: Vec::new(),
        };
        if let Ok(reservation) = self.journal.try_reserve() {
            drop(reservation.submit(entry));
        }
    }
}

impl Handler<VendorViewMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: VendorViewMessage, _: &mut Context<Self>) {
        let _ = message.reply.send(self.state.clone());
    }
}
