//! The back office actor: owns the service's one `BackOfficeState` (dispute rules per
//! currency; security groups and operators join it) and journals its events like the
//! settlement actor. Readers (an account deciding a dispute, the HTTP edge) read the state
//! it last published, an `Arc` swapped under a short lock, so a read never waits on its
//! mailbox.

use std::sync::Arc;

use actix::{Actor, Context, Handler, Message};
use parking_lot::RwLock;

use super::account::durable_wait;
use super::messages::{CommandError, ReplyTo};
use crate::clock::Clock;
use crate::domain::back_office::{BackOfficeEvent, BackOfficeState};
use crate::domain::dispute::DisputeRules;
use crate::domain::event::Event;
use crate::domain::ids::Owner;
use crate::domain::money::Currency;
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
    /// An actor for the recovered state after `position` own events, publishing to
    /// `published`.
    #[must_use]
    pub fn new(
        state: BackOfficeState,
        position: u64,
        journal: Arc<dyn Journal>,
        clock: Arc<dyn Clock>,
        published: PublishedBackOffice,
    ) -> BackOfficeActor {
        *published.write() = Arc::new(state);
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
        let change: BackOfficeEvent = match message.command {
            BackOfficeCommand::DisputeRules { currency, rules } => self
                .published
                .read()
                .decide_dispute_rules(currency, rules, now),
        };
        let event = Arc::new(Event::BackOffice(Box::new(change)));
        let appended = self.journal.append(Append {
            owner: Owner::BackOffice,
            position: self.position,
            events: vec![Arc::clone(&event)],
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
