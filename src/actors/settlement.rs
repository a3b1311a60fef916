//! The settlement actor: owns the service's one `SettlementState` (rights holders, payees'
//! settings, runs and payouts) and journals its events like the programs actor. It decides a
//! run's payouts from what vendors earned (gathered before the message, outside any mailbox)
//! and what its own state says was paid, so two runs can never pay from one count.
//!
//! Readers (the HTTP edge, the totals, the royalty checks of an authorize) read the state
//! the actor last published: an `Arc` swapped under a short lock after each change, so a
//! read never waits on the mailbox and never sees half a change.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix::{Actor, Context, Handler, Message};
use parking_lot::RwLock;

use super::account::durable_wait;
use super::messages::{CommandError, ReplyTo};
use crate::clock::Clock;
use crate::domain::event::Event;
use crate::domain::ids::{Owner, PayoutId, RightsHolderId, SettlementRunId};
use crate::domain::money::{Currency, NetTotal};
use crate::domain::payouts::{Payee, RunScope, SealedBank, SettlementEvent, SettlementState};
use crate::domain::settlement::PayoutRule;
use crate::storage::port::{Append, Journal};

/// The state as last published by the actor.
pub type PublishedSettlement = Arc<RwLock<Arc<SettlementState>>>;

/// A change to the settlement stream that needs no outside input.
#[derive(Clone, Debug)]
pub enum SettlementCommand {
    /// Register a rights holder.
    RegisterRightsHolder {
        /// The new id (drawn at the edge).
        id: RightsHolderId,
        /// Its name.
        name: String,
        /// Its currency.
        currency: Currency,
    },
    /// Set a payee's settings.
    Settings {
        /// The payee.
        payee: Payee,
        /// Threshold, schedule, minimum.
        rule: PayoutRule,
        /// Sealed bank details.
        bank: SealedBank,
    },
    /// Finish the open run.
    Finish {
        /// The run.
        run: SettlementRunId,
        /// Its payment file's name, if it had payouts.
        file: Option<String>,
    },
    /// The bank returned a payout.
    Return {
        /// The payout.
        payout: PayoutId,
        /// The bank's reason.
        reason: String,
    },
}

/// Journal a settlement command; answers once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SettlementMessage {
    /// The command.
    pub command: SettlementCommand,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// Start a run: decide and journal its payouts; answers the `RunStarted` event once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StartRunMessage {
    /// The new run's id.
    pub run: SettlementRunId,
    /// What each payee earned, per currency, gathered from the vendors just before.
    pub earned: BTreeMap<(Payee, Currency), NetTotal>,
    /// Which payees, and whether forced.
    pub scope: RunScope,
    /// Ids for its payouts (one per payee and currency is enough).
    pub payout_ids: Vec<PayoutId>,
    /// A run of the tick: when it would pay nobody and pass no scheduled date, nothing is
    /// journaled (an operator's run is always recorded).
    pub quiet: bool,
    /// Answers the journaled event (`None`: a quiet run with nothing to do).
    pub reply: ReplyTo<Option<SettlementEvent>>,
}

/// The settlement stream's actor. Its state is the published one: it is the only writer, so
/// what readers see is what it decides on, and an event is applied in place (a reader still
/// holding the previous state makes that one change copy it).
pub struct SettlementActor {
    /// Own events appended: the position the next one takes.
    position: u64,
    journal: Arc<dyn Journal>,
    clock: Arc<dyn Clock>,
    published: PublishedSettlement,
}

impl SettlementActor {
    /// An actor after `position` own events, on the recovered state its starter published
    /// in `published`.
    #[must_use]
    pub fn new(
        position: u64,
        journal: Arc<dyn Journal>,
        clock: Arc<dyn Clock>,
        published: PublishedSettlement,
    ) -> SettlementActor {
        SettlementActor {
            position,
            journal,
            clock,
            published,
        }
    }

    /// Journals one event, applies and publishes it, and answers `answer` once durable.
    fn commit<T: Send + 'static>(&mut self, change: SettlementEvent, answer: T, reply: ReplyTo<T>) {
        let event = Arc::new(Event::Settlement(Box::new(change)));
        let appended = self.journal.append(Append {
            holder: None,
            owner: Owner::Settlement,
            position: self.position,
            events: vec![Arc::clone(&event)],
            statement: Vec::new(),
        });
        match appended {
            Ok(ack) => {
                if let Event::Settlement(change) = event.as_ref() {
                    Arc::make_mut(&mut self.published.write()).apply(change);
                }
                self.position = self.position.saturating_add(1);
                let wait = durable_wait(ack);
                actix::spawn(async move {
                    let _ = reply.send(wait.await.map(|_| answer).map_err(CommandError::Fault));
                });
            }
            Err(error) => {
                let _ = reply.send(Err(CommandError::Fault(error.into())));
            }
        }
    }
}

impl Actor for SettlementActor {
    type Context = Context<Self>;
}

impl Handler<SettlementMessage> for SettlementActor {
    type Result = ();

    fn handle(&mut self, message: SettlementMessage, _: &mut Context<Self>) {
        let now = self.clock.now();
        let state = Arc::clone(&self.published.read());
        let decided = match message.command {
            SettlementCommand::RegisterRightsHolder { id, name, currency } => {
                state.decide_register(id, &name, currency, now)
            }
            SettlementCommand::Settings { payee, rule, bank } => {
                state.decide_settings(payee, rule, bank, now)
            }
            SettlementCommand::Finish { run, file } => state.decide_finish(run, file, now),
            SettlementCommand::Return { payout, reason } => {
                state.decide_return(payout, &reason, now)
            }
        };
        // Let go of the state before changing it, so the change need not copy it.
        drop(state);
        match decided {
            Ok(change) => self.commit(change, (), message.reply),
            Err(reject) => {
                let _ = message.reply.send(Err(reject.into()));
            }
        }
    }
}

impl Handler<StartRunMessage> for SettlementActor {
    type Result = ();

    fn handle(&mut self, message: StartRunMessage, _: &mut Context<Self>) {
        let now = self.clock.now();
        let mut ids = message.payout_ids.into_iter();
        let decided = self.published.read().decide_run(
            message.run,
            &message.earned,
            &message.scope,
            &mut ids,
            now,
        );
        match decided {
            Ok(SettlementEvent::RunStarted {
                ref payouts,
                ref considered,
                ..
            }) if message.quiet && payouts.is_empty() && considered.is_empty() => {
                let _ = message.reply.send(Ok(None));
            }
            Ok(change) => self.commit(change.clone(), Some(change), message.reply),
            Err(reject) => {
                let _ = message.reply.send(Err(reject.into()));
            }
        }
    }
}
