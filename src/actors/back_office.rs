//! The back office actor: owns the service's one `BackOfficeState` (dispute rules per
//! currency, security groups, operators) and journals its events like the
//! settlement actor. Readers (an account deciding a dispute, the HTTP edge) read the state
//! it last published, an `Arc` swapped under a short lock, so a read never waits on its
//! mailbox.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix::{Actor, Context, Handler, Message};
use parking_lot::RwLock;

use super::account::durable_wait;
use super::messages::{CommandError, ReplyTo};
use crate::clock::Clock;
use crate::domain::back_office::{BackOfficeEvent, BackOfficeState};
use crate::domain::dispute::DisputeRules;
use crate::domain::event::Event;
use crate::domain::four_eyes::HeldRequest;
use crate::domain::ids::{ApprovalId, OperatorId, Owner, SecurityGroupId, VendorId};
use crate::domain::money::Currency;
use crate::domain::reject::Reject;
use crate::domain::security::Staff;
use crate::domain::time::Timestamp;
use crate::storage::port::{Append, Journal};

/// The state as last published by the actor.
pub type PublishedBackOffice = Arc<RwLock<Arc<BackOfficeState>>>;

/// A change to the back office's stream.
#[derive(Clone, Debug)]
pub enum BackOfficeCommand {
    /// Set one currency's dispute rules.
    DisputeRules {
        /// The currency.
        currency: Currency,
        /// The rules (checked at the edge).
        rules: DisputeRules,
    },
    /// Create a security group.
    CreateGroup {
        /// Its new id.
        id: SecurityGroupId,
        /// Its name.
        name: String,
        /// Its functions (known names, checked at the edge).
        functions: BTreeSet<String>,
        /// Who creates it.
        by: Staff,
    },
    /// Create an operator.
    CreateOperator {
        /// Their new id.
        id: OperatorId,
        /// Their normalized e-mail.
        email: String,
        /// Their password's argon2id hash.
        password_hash: String,
        /// Their groups.
        groups: BTreeSet<SecurityGroupId>,
        /// Who creates them.
        by: Staff,
    },
    /// Give a vendor's person a login to its back office.
    CreateVendorAdmin {
        /// Their new id.
        id: OperatorId,
        /// The vendor.
        vendor: VendorId,
        /// Their normalized e-mail.
        email: String,
        /// Their password's argon2id hash.
        password_hash: String,
        /// Their vendor functions (known names, checked at the edge).
        functions: BTreeSet<String>,
        /// The vendor admin creating them; `None`: the vendor's API key.
        by: Option<OperatorId>,
    },
    /// Hold a call of a four-eyes function for a second person.
    Hold(Box<HeldRequest>),
    /// A second person decides a held call (it ran before this is journaled, if approved).
    DecideHeld {
        /// The held request.
        id: ApprovalId,
        /// Approved, or refused.
        approve: bool,
        /// Who decides.
        by: Staff,
    },
    /// Put an operator in exactly these groups.
    SetGroups {
        /// The operator.
        operator: OperatorId,
        /// The groups.
        groups: BTreeSet<SecurityGroupId>,
        /// Who changes them.
        by: Staff,
    },
}

impl BackOfficeCommand {
    /// The event this command makes on `state`, or why not.
    fn decide(self, state: &BackOfficeState, now: Timestamp) -> Result<BackOfficeEvent, Reject> {
        let staffing = &state.staffing;
        match self {
            BackOfficeCommand::DisputeRules { currency, rules } => {
                Ok(state.decide_dispute_rules(currency, rules, now))
            }
            BackOfficeCommand::CreateGroup {
                id,
                name,
                functions,
                by,
            } => staffing
                .decide_group(id, &name, functions, by, now)
                .map(|group| BackOfficeEvent::SecurityGroupCreated(Box::new(group))),
            BackOfficeCommand::CreateOperator {
                id,
                email,
                password_hash,
                groups,
                by,
            } => staffing
                .decide_operator(id, &email, password_hash, groups, by, now)
                .map(|operator| BackOfficeEvent::OperatorCreated(Box::new(operator))),
            BackOfficeCommand::CreateVendorAdmin {
                id,
                vendor,
                email,
                password_hash,
                functions,
                by,
            } => staffing
                .decide_vendor_admin(id, vendor, &email, password_hash, functions, by, now)
                .map(|admin| BackOfficeEvent::VendorAdminCreated(Box::new(admin))),
            BackOfficeCommand::Hold(held) => {
                state.held.check_room()?;
                Ok(BackOfficeEvent::RequestHeld(held))
            }
            BackOfficeCommand::DecideHeld { id, approve, by } => {
                state.held.check_decider(id, by, &staffing.grants(by))?;
                Ok(BackOfficeEvent::RequestDecided {
                    id,
                    approve,
                    by,
                    at: now,
                })
            }
            BackOfficeCommand::SetGroups {
                operator,
                groups,
                by,
            } => {
                staffing.check_set_groups(operator, &groups, by)?;
                Ok(BackOfficeEvent::OperatorGroupsSet {
                    operator,
                    groups,
                    by,
                    at: now,
                })
            }
        }
    }
}

/// Journal a back office command; answers once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct BackOfficeMessage {
    /// The command.
    pub command: BackOfficeCommand,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// The back office stream's actor, its only writer.
pub struct BackOfficeActor {
    /// Own events appended: the position the next one takes.
    position: u64,
    journal: Arc<dyn Journal>,
    clock: Arc<dyn Clock>,
    published: PublishedBackOffice,
}

impl BackOfficeActor {
    /// An actor after `position` own events, on the recovered state its starter published
    /// in `published`.
    #[must_use]
    pub fn new(
        position: u64,
        journal: Arc<dyn Journal>,
        clock: Arc<dyn Clock>,
        published: PublishedBackOffice,
    ) -> BackOfficeActor {
        BackOfficeActor {
            position,
            journal,
            clock,
            published,
        }
    }
}

impl Actor for BackOfficeActor {
    type Context = Context<Self>;
}

impl Handler<BackOfficeMessage> for BackOfficeActor {
    type Result = ();

    fn handle(&mut self, message: BackOfficeMessage, _: &mut Context<Self>) {
        let now = self.clock.now();
        let state = Arc::clone(&self.published.read());
        let decided = message.command.decide(&state, now);
        // Let go of the state before changing it, so the change need not copy it.
        drop(state);
        let change = match decided {
            Ok(change) => change,
            Err(reject) => {
                let _ = message.reply.send(Err(reject.into()));
                return;
            }
        };
        let event = Arc::new(Event::BackOffice(Box::new(change)));
        let appended = self.journal.append(Append {
            holder: None,
            owner: Owner::BackOffice,
            position: self.position,
            events: vec![Arc::clone(&event)],
            statement: Vec::new(),
        });
        match appended {
            Ok(ack) => {
                if let Event::BackOffice(change) = event.as_ref() {
                    Arc::make_mut(&mut self.published.write()).apply(change);
                }
                self.position = self.position.saturating_add(1);
                let wait = durable_wait(ack);
                actix::spawn(async move {
                    let _ = message
                        .reply
                        .send(wait.await.map(|_| ()).map_err(CommandError::Fault));
                });
            }
            Err(error) => {
                let _ = message.reply.send(Err(CommandError::Fault(error.into())));
            }
        }
    }
}
