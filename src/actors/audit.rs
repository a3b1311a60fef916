//! The audit actor: the one writer of the back office's audit trail, so its entries take
//! positions in one order. A call is appended without waiting for it to be durable (the
//! function runs meanwhile, and anything it makes durable comes later in the same ordered
//! journal); its outcome is answered once durable, before the caller's reply.

use std::sync::Arc;

use actix::{Actor, Context, Handler, Message};

use super::account::durable_wait;
use super::gateway::{GatewayError, ask};
use super::messages::{CommandError, Fault, ReplyTo};
use super::registry::Registry;
use crate::clock::Clock;
use crate::domain::audit::{AuditCall, AuditEvent};
use crate::domain::event::Event;
use crate::domain::ids::Owner;
use crate::storage::audit_trail;
pub use crate::storage::audit_trail::{AuditFilter, AuditRecord, AuditRecords};
use crate::storage::port::{Append, Journal};

/// Record a call of a back-office function; answers its position at once.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AuditCallMessage {
    /// The call (its `at` is set by the actor's clock).
    pub call: AuditCall,
    /// Answers the call's position in the trail.
    pub reply: ReplyTo<u64>,
}

/// Record how a call ended; answers once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AuditAnswerMessage {
    /// The call's position.
    pub call: u64,
    /// The HTTP status answered.
    pub status: u16,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// The audit trail's writer.
pub struct AuditActor {
    /// The position the next entry takes.
    position: u64,
    journal: Arc<dyn Journal>,
    clock: Arc<dyn Clock>,
    /// Calls waiting in its mailbox at most (`actors.mailbox_messages_max`): a back-office
    /// call beyond it is refused (503) rather than queued without bound.
    mailbox_messages_max: usize,
}

impl AuditActor {
    /// A writer continuing after `position` entries.
    #[must_use]
    pub fn new(
        position: u64,
        journal: Arc<dyn Journal>,
        clock: Arc<dyn Clock>,
        mailbox_messages_max: usize,
    ) -> AuditActor {
        AuditActor {
            position,
            journal,
            clock,
            mailbox_messages_max,
        }
    }

    /// Appends one entry; answers its position and the write to wait for.
    fn append(
        &mut self,
        entry: AuditEvent,
    ) -> Result<(u64, super::account::DurableWait), CommandError> {
        let position = self.position;
        let ack = self
            .journal
            .append(Append {
                holder: None,
                owner: Owner::Audit,
                position,
                events: vec![Arc::new(Event::Audit(Box::new(entry)))],
                statement: Vec::new(),
            })
            .map_err(|error| CommandError::Fault(error.into()))?;
        self.position = self.position.saturating_add(1);
        Ok((position, durable_wait(ack)))
    }
}

impl Actor for AuditActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.mailbox_messages_max);
    }
}

impl Handler<AuditCallMessage> for AuditActor {
    type Result = ();

    fn handle(&mut self, message: AuditCallMessage, _: &mut Context<Self>) {
        let call = AuditCall {
            at: self.clock.now(),
            ..message.call
        };
        let answer = self
            .append(AuditEvent::Called(Box::new(call)))
            .map(|(position, _)| position);
        let _ = message.reply.send(answer);
    }
}

impl Handler<AuditAnswerMessage> for AuditActor {
    type Result = ();

    fn handle(&mut self, message: AuditAnswerMessage, _: &mut Context<Self>) {
        let entry = AuditEvent::Answered {
            call: message.call,
            status: message.status,
            at: self.clock.now(),
        };
        match self.append(entry) {
            Ok((_, wait)) => {
                actix::spawn(async move {
                    let _ = message
                        .reply
                        .send(wait.await.map(|_| ()).map_err(CommandError::Fault));
                });
            }
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Registry {
    /// Records a call of a back-office function; answers its position.
    ///
    /// # Errors
    /// Faults (a full or failed journal): the call must not run unrecorded.
    pub async fn audit_call(&self, call: AuditCall) -> Result<u64, GatewayError> {
        let addr = self.audit()?;
        ask(&addr, |reply| AuditCallMessage { call, reply }).await
    }

    /// A page of the audit trail, read from the journal on the blocking pool.
    ///
    /// # Errors
    /// Faults (the journal cannot be read).
    pub async fn read_audit(&self, filter: AuditFilter) -> Result<AuditRecords, GatewayError> {
        let journal = Arc::clone(&self.env().journal);
        tokio::task::spawn_blocking(move || audit_trail::read(journal.as_ref(), &filter))
            .await
            .map_err(|_| GatewayError::from(Fault::Stopped))?
            .map_err(|error| GatewayError::from(Fault::from(error)))
    }

    /// Records how the call at `call` ended; answers once durable.
    ///
    /// # Errors
    /// Faults.
    pub async fn audit_answer(&self, call: u64, status: u16) -> Result<(), GatewayError> {
        let addr = self.audit()?;
        ask(&addr, |reply| AuditAnswerMessage {
            call,
            status,
            reply,
        })
        .await
    }
}
