//! The programs actor: owns the service's one `ProgramsState` (vendor groups, incentive
//! programs and how much of each budget is issued). It journals groups and programs like a
//! vendor journals offers, and serializes budget reservations, which live in memory: a grant
//! itself is the member account's event, and start-up counts the granted ones from the
//! journal (see `domain::incentive`).

use std::sync::Arc;

use actix::{Actor, Context, Handler, Message};

use super::account::durable_wait;
use super::messages::{CommandError, ReplyTo};
use crate::clock::Clock;
use crate::domain::event::Event;
use crate::domain::ids::{GrantId, Owner, ProgramId, VendorGroupId, VendorId};
use crate::domain::incentive::{Grant, Program, ProgramScope, ProgramsState};
use crate::domain::money::Amount;
use crate::domain::reject::Reject;
use crate::storage::port::{Append, Journal};

/// Which program a grant comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramSelector {
    /// A member's code (upper-cased).
    Code(String),
    /// A vendor's own program, by id: the vendor must own it.
    OwnedBy(ProgramId, VendorId),
}

/// Create a vendor group.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CreateGroupMessage {
    /// The new group's id.
    pub group: VendorGroupId,
    /// Its name.
    pub name: String,
    /// Its vendors (checked to exist at the edge).
    pub vendors: Vec<VendorId>,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// Create an incentive program.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CreateProgramMessage {
    /// The program as drafted at the edge (`created_at` is the actor's now).
    pub program: Program,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// Reserve one grant of a program's budget.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReserveGrantMessage {
    /// Which program.
    pub selector: ProgramSelector,
    /// The new grant's id.
    pub grant: GrantId,
    /// Answers the grant to journal on the member's account.
    pub reply: ReplyTo<Grant>,
}

/// Give back a reservation the member's account refused.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReleaseGrantMessage {
    /// The program.
    pub program: ProgramId,
    /// The grant's amount.
    pub amount: Amount,
}

/// The service's programs.
pub struct ProgramsActor {
    state: ProgramsState,
    /// Own events appended: the position the next one takes.
    position: u64,
    journal: Arc<dyn Journal>,
    clock: Arc<dyn Clock>,
}

impl ProgramsActor {
    /// An actor for the recovered state after `position` own events.
    #[must_use]
    pub fn new(
        state: ProgramsState,
        position: u64,
        journal: Arc<dyn Journal>,
        clock: Arc<dyn Clock>,
    ) -> ProgramsActor {
        ProgramsActor {
            state,
            position,
            journal,
            clock,
        }
    }

    /// Journals one event, applies it, and answers once it is durable.
    fn commit(&mut self, event: Event, reply: ReplyTo<()>) {
        let event = Arc::new(event);
        let appended = self.journal.append(Append {
            holder: None,
            owner: Owner::Programs,
            position: self.position,
            events: vec![Arc::clone(&event)],
            statement: Vec::new(),
        });
        match appended {
            Ok(ack) => {
                self.state.apply(&event);
                self.position = self.position.saturating_add(1);
                let wait = durable_wait(ack);
                actix::spawn(async move {
                    let _ = reply.send(wait.await.map(|_| ()).map_err(CommandError::Fault));
                });
            }
            Err(error) => {
                let _ = reply.send(Err(CommandError::Fault(error.into())));
            }
        }
    }
}

impl Actor for ProgramsActor {
    type Context = Context<Self>;
}

impl Handler<CreateGroupMessage> for ProgramsActor {
    type Result = ();

    fn handle(&mut self, message: CreateGroupMessage, _: &mut Context<Self>) {
        let now = self.clock.now();
        match self
            .state
            .decide_create_group(message.group, message.name, message.vendors, now)
        {
            Ok(event) => self.commit(event, message.reply),
            Err(reject) => {
                let _ = message.reply.send(Err(reject.into()));
            }
        }
    }
}

impl Handler<CreateProgramMessage> for ProgramsActor {
    type Result = ();

    fn handle(&mut self, message: CreateProgramMessage, _: &mut Context<Self>) {
        let program = Program {
            created_at: self.clock.now(),
            ..message.program
        };
        match self.state.decide_create_program(program) {
            Ok(event) => self.commit(event, message.reply),
            Err(reject) => {
                let _ = message.reply.send(Err(reject.into()));
            }
        }
    }
}

impl Handler<ReserveGrantMessage> for ProgramsActor {
    type Result = ();

    fn handle(&mut self, message: ReserveGrantMessage, _: &mut Context<Self>) {
        let now = self.clock.now();
        let program = match &message.selector {
            ProgramSelector::Code(code) => self.state.program_by_code(code).map(|p| p.id),
            // Another vendor's program is unknown to this one.
            ProgramSelector::OwnedBy(program, vendor) => self
                .state
                .programs
                .get(program)
                .filter(|p| p.scope == ProgramScope::Vendor(*vendor))
                .map(|p| p.id),
        };
        let reserved = program
            .ok_or(Reject::IncentiveUnknown)
            .and_then(|program| self.state.reserve(program, message.grant, now))
            .map_err(CommandError::Reject);
        let _ = message.reply.send(reserved);
    }
}

impl Handler<ReleaseGrantMessage> for ProgramsActor {
    type Result = ();

    fn handle(&mut self, message: ReleaseGrantMessage, _: &mut Context<Self>) {
        self.state.release(message.program, message.amount);
    }
}
