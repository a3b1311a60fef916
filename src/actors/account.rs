//! The account actor: a thin shell that owns one `AccountState`. A handler decides, reserves
//! a journal slot, applies, hands the entry to the journal and replies once it is durable.
//! State is only ever changed synchronously inside a handler, never after an await.

use std::sync::Arc;
use std::time::Instant;

use actix::{Actor, Context, Handler};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::messages::{
    AccessGranted, AccessMessage, AccountView, Authorization, AuthorizeMessage, BuyerView,
    BuyerViewMessage, CheckSessionMessage, CommandError, CreditLineMessage, DepositMessage, Fault,
    LoginLookupMessage, MemberCommand, MemberCommandMessage, OpenMessage, ReplyTo, ReverseMessage,
    StartSessionMessage, ViewMessage,
};
use super::totals::Totals;
use crate::clock::Clock;
use crate::domain::account::{AccessDecision, AccountPolicy, AccountState, AuthorizeDecision};
use crate::domain::entitlement::Entitlement;
use crate::domain::event::Event;
use crate::domain::ids::EntitlementId;
use crate::domain::money::Amount;
use crate::domain::reject::Reject;
use crate::storage::codec;
use crate::storage::rows::{self, RowWrite};
use crate::storage::wal::{EventRecord, Journal, JournalEntry, JournalError};

/// Resolves when an entry is durable; shared so later reads can wait on the latest write.
pub type DurableWait = Shared<BoxFuture<'static, Result<(), Fault>>>;

/// Everything an account actor needs besides its state.
#[derive(Clone)]
pub struct AccountEnv {
    /// The write-ahead journal.
    pub journal: Journal,
    /// Source of `now`.
    pub clock: Arc<dyn Clock>,
    /// Bounds passed to the domain.
    pub policy: AccountPolicy,
    /// Running money totals (the conservation check).
    pub totals: Arc<Totals>,
}

/// One member account.
pub struct AccountActor {
    state: AccountState,
    env: AccountEnv,
    mailbox_messages_max: usize,
    /// The newest entry handed to the journal: a read waits for it, so it never shows state
    /// that is not durable yet.
    last_write: Option<DurableWait>,
}

impl AccountActor {
    /// An actor for `state`; started by the registry on the account's shard.
    #[must_use]
    pub fn new(state: AccountState, env: AccountEnv, mailbox_messages_max: usize) -> AccountActor {
        AccountActor {
            state,
            env,
            mailbox_messages_max,
            last_write: None,
        }
    }

    /// Journals `events` as one entry and applies them, or refuses them all.
    fn commit(&mut self, events: Vec<Event>) -> Result<DurableWait, CommandError> {
        self.journal(&events, 0)
    }

    /// Journals `events` as one entry, applying each except the first `already_applied` (a new
    /// account's state is built from its first event). The slot is reserved before anything
    /// is applied, so a full journal refuses the command and leaves memory as it was.
    fn journal(
        &mut self,
        events: &[Event],
        already_applied: usize,
    ) -> Result<DurableWait, CommandError> {
        let reservation = self.env.journal.try_reserve().map_err(journal_fault)?;
        let mut entry = JournalEntry::default();
        for (index, event) in events.iter().enumerate() {
            if index >= already_applied {
                self.state.apply(event);
            }
            self.env.totals.record_account_event(event);
            push_event(&mut entry, &self.state, event);
        }
        let ack = reservation.submit(entry);
        let wait: DurableWait = async move { ack.await.map(|_| ()).map_err(journal_fault_only) }
            .boxed()
            .shared();
        self.last_write = Some(wait.clone());
        Ok(wait)
    }

    /// Replies once `wait` (if any) is durable.
    fn reply_after<T: Send + 'static>(
        wait: Option<DurableWait>,
        reply: ReplyTo<T>,
        value: Result<T, CommandError>,
    ) {
        let Some(wait) = wait else {
            let _ = reply.send(value);
            return;
        };
        if let Some(done) = wait.peek() {
            let _ = reply.send((*done).map_err(CommandError::Fault).and(value));
            return;
        }
        actix::spawn(async move {
            let outcome = wait.await.map_err(CommandError::Fault).and(value);
            // The caller may have gone (client hung up); the change is durable either way.
            let _ = reply.send(outcome);
        });
    }

    fn entitlement(&self, id: EntitlementId) -> Result<Entitlement, CommandError> {
        self.state
            .entitlements
            .get(&id)
            .cloned()
            .ok_or(CommandError::Reject(Reject::EntitlementUnknown))
    }

    fn pending_read(&self) -> Option<DurableWait> {
        self.last_write.clone().filter(|wait| wait.peek().is_none())
    }
}

fn journal_fault(error: JournalError) -> CommandError {
    CommandError::Fault(journal_fault_only(error))
}

fn journal_fault_only(error: JournalError) -> Fault {
    Fault::from(error)
}

impl Actor for AccountActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.mailbox_messages_max);
    }
}

impl Handler<AuthorizeMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: AuthorizeMessage, _: &mut Context<Self>) {
        let started = Instant::now();
        let now = self.env.clock.now();
        let command = message.command;
        let outcome = match self.state.decide_authorize(&command, now, &self.env.policy) {
            Err(reject) => Err(CommandError::Reject(reject)),
            Ok(AuthorizeDecision::Purchase(event)) => self.commit(vec![event]).and_then(|wait| {
                let entitlement = self.entitlement(command.new_entitlement)?;
                let before_journal_us =
                    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                let authorization = Authorization {
                    authorization: command.new_authorization,
                    charged: command.price,
                    already_owned: false,
                    replayed: false,
                    entitlement,
                    before_journal_us,
                };
                Ok((Some(wait), authorization))
            }),
            Ok(
                decision @ (AuthorizeDecision::AlreadyOwned(id) | AuthorizeDecision::Replay(id)),
            ) => {
                // The decision already says which: a replay answers as the first request did.
                let replayed = matches!(decision, AuthorizeDecision::Replay(_));
                self.entitlement(id).map(|entitlement| {
                    let charged = if replayed {
                        entitlement.price
                    } else {
                        Amount::ZERO
                    };
                    let authorization = Authorization {
                        authorization: entitlement.authorization,
                        charged,
                        already_owned: !replayed,
                        replayed,
                        entitlement,
                        before_journal_us: 0,
                    };
                    (self.pending_read(), authorization)
                })
            }
        };
        match outcome {
            Ok((wait, authorization)) => Self::reply_after(wait, message.reply, Ok(authorization)),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<AccessMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: AccessMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let command = message.command;
        let outcome = self
            .state
            .decide_access(&command, now)
            .map_err(CommandError::Reject)
            .and_then(|decision| {
                let wait = match decision {
                    AccessDecision::CountView(event) => Some(self.commit(vec![event])?),
                    AccessDecision::Grant => {
                        self.state.spend_access_token(
                            command.token_id,
                            command.token_expires_at,
                            now,
                        );
                        self.pending_read()
                    }
                };
                Ok((
                    wait,
                    AccessGranted {
                        entitlement: self.entitlement(command.entitlement)?,
                    },
                ))
            });
        match outcome {
            Ok((wait, granted)) => Self::reply_after(wait, message.reply, Ok(granted)),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<OpenMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: OpenMessage, _: &mut Context<Self>) {
        // The registry built the state from the first event (`AccountOpened`).
        match self.journal(&message.events, 1) {
            Ok(wait) => Self::reply_after(Some(wait), message.reply, Ok(())),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

/// Adds one already-applied event and the rows it changed to `entry`.
fn push_event(entry: &mut JournalEntry, state: &AccountState, event: &Event) {
    for write in rows::rows_for_event(state, event) {
        match write {
            RowWrite::Put(key, value) => entry.state_puts.push((key, value)),
            RowWrite::Delete(key) => entry.state_deletes.push(key),
        }
    }
    entry.events.push(EventRecord {
        payload: codec::encode_event(event),
        index_keys: rows::index_keys(event),
        notify: event.vendor().is_some(),
    });
}

impl Handler<DepositMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: DepositMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided = self.state.decide_deposit(
            message.currency,
            message.amount,
            &message.reference,
            now,
            message.by,
        );
        let wait = match decided {
            Err(reject) => {
                let _ = message.reply.send(Err(reject.into()));
                return;
            }
            Ok(None) => Ok(self.pending_read()),
            Ok(Some(event)) => self.commit(vec![event]).map(Some),
        };
        let balance = self.state.wallets.get(&message.currency).map(|w| w.balance);
        match (wait, balance) {
            (Ok(wait), Some(balance)) => Self::reply_after(wait, message.reply, Ok(balance)),
            (Err(error), _) => {
                let _ = message.reply.send(Err(error));
            }
            (Ok(_), None) => {
                let _ = message.reply.send(Err(Reject::CurrencyMismatch.into()));
            }
        }
    }
}

impl Handler<CreditLineMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: CreditLineMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let result = self
            .state
            .decide_credit_line(message.currency, message.limit, now, message.by)
            .map_err(CommandError::Reject)
            .and_then(|event| self.commit(vec![event]));
        match result {
            Ok(wait) => Self::reply_after(Some(wait), message.reply, Ok(())),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<StartSessionMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: StartSessionMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let result = self
            .state
            .decide_start_session(
                message.login,
                message.session,
                message.expiry,
                now,
                &self.env.policy,
            )
            .map_err(CommandError::Reject)
            .and_then(|event| self.commit(vec![event]));
        let expires_at = self
            .state
            .sessions
            .get(&message.session)
            .map(|s| s.expires_at());
        match (result, expires_at) {
            (Ok(wait), Some(expires_at)) => {
                Self::reply_after(Some(wait), message.reply, Ok(expires_at))
            }
            (Err(error), _) => {
                let _ = message.reply.send(Err(error));
            }
            (Ok(_), None) => {
                let _ = message.reply.send(Err(Reject::SessionUnknown.into()));
            }
        }
    }
}

impl Handler<CheckSessionMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: CheckSessionMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let result = self
            .state
            .live_session(message.login, message.session, now)
            .map(|session| session.expires_at())
            .map_err(CommandError::Reject);
        Self::reply_after(self.pending_read(), message.reply, result);
    }
}

impl Handler<MemberCommandMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: MemberCommandMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let state = &self.state;
        let decided = state
            .live_session(message.login, message.session, now)
            .map_err(CommandError::Reject)
            .and_then(|_| match message.command {
                MemberCommand::EndSession => state
                    .decide_end_session(message.login, message.session, now)
                    .map_err(CommandError::Reject),
                MemberCommand::SetLimits { currency, limits } => state
                    .decide_limits(message.login, currency, limits, now)
                    .map_err(CommandError::Reject),
                MemberCommand::Freeze(frozen) => Ok(state.decide_freeze(frozen, now)),
                MemberCommand::SavePaymentMethod(method) => {
                    Ok(state.decide_payment_method(method, now))
                }
            });
        match decided.and_then(|event| self.commit(vec![event])) {
            Ok(wait) => Self::reply_after(Some(wait), message.reply, Ok(())),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<ReverseMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: ReverseMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided =
            self.state
                .decide_reversal(message.authorization, &message.reason, now, message.by);
        let result = decided.map_err(CommandError::Reject).and_then(|event| {
            let refund = match &event {
                Event::Reversed {
                    refund, currency, ..
                } => (*refund, *currency),
                _ => return Err(CommandError::Reject(Reject::AuthorizationUnknown)),
            };
            self.commit(vec![event]).map(|wait| (wait, refund))
        });
        match result {
            Ok((wait, refund)) => Self::reply_after(Some(wait), message.reply, Ok(refund)),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<ViewMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: ViewMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        if let Some((login, session)) = message.session
            && let Err(reject) = self.state.live_session(login, session, now)
        {
            let _ = message.reply.send(Err(reject.into()));
            return;
        }
        let state = &self.state;
        let login_filter = message.session.map(|(login, _)| login);
        let mut recent: Vec<Entitlement> = state.entitlements.values().cloned().collect();
        recent.sort_by_key(|e| std::cmp::Reverse((e.purchased_at, e.id)));
        recent.truncate(10);
        let view = AccountView {
            wallets: state
                .wallets
                .iter()
                .map(|(c, w)| (*c, w.balance, w.credit_limit))
                .collect(),
            limits: state
                .limits
                .iter()
                .filter(|((login, _), _)| login_filter.is_none_or(|l| l == *login))
                .map(|((_, currency), limits)| (*currency, limits.clone()))
                .collect(),
            frozen: state.frozen,
            entitlement_count: state.entitlements.len(),
            recent,
        };
        Self::reply_after(self.pending_read(), message.reply, Ok(view));
    }
}

impl Handler<BuyerViewMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: BuyerViewMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let state = &self.state;
        let view = state
            .live_session(message.login, message.session, now)
            .map(|_| BuyerView {
                email: state
                    .logins
                    .get(&message.login)
                    .and_then(|login| login.email.clone())
                    .unwrap_or_default(),
                language: state.language.to_string(),
                balance: state.wallets.get(&message.currency).map(|w| w.balance),
                owned: state.valid_entitlement(&message.content, now).is_some(),
                shortage: state.shortage(message.currency, message.price),
                payment_method: state.payment_method,
            })
            .map_err(CommandError::Reject);
        Self::reply_after(self.pending_read(), message.reply, view);
    }
}

impl Handler<LoginLookupMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: LoginLookupMessage, _: &mut Context<Self>) {
        let found = self
            .state
            .login_by_email(&message.email)
            .map(|login| (login.id, login.password_hash.clone()))
            .ok_or(CommandError::Reject(Reject::LoginUnknown));
        let _ = message.reply.send(found);
    }
}
