//! The account actor: a thin shell that owns one `AccountState`. A handler decides, appends
//! the events to the journal (refused at once when the journal is full, before anything
//! changed), applies them, and replies once the journal says they are durable. State is only
//! ever changed synchronously inside a handler, never after an await.
//!
//! Every `snapshot_every_events` events (or, for a long history, every as many events as the
//! snapshot stores entries) the actor snapshots its state, off the hot path: it encodes the
//! state at once, and hands the rows to the snapshot store only after its last
//! write is durable, so a snapshot never holds an event the journal could still lose.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use actix::{Actor, Context, Handler};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};

use super::messages::{
    AccessGranted, AccessMessage, AccountClosed, AccountView, Authorization,
    AuthorizationLookupMessage, AuthorizationView, AuthorizeBatchMessage, AuthorizeMessage,
    BuyerView, BuyerViewMessage, CanReceiveMessage, CashOutMessage, CashedOut, CheckSessionMessage,
    CloseAccountMessage, CommandError, CreditLineMessage, DayFactsMessage, DepositMessage,
    DepositStart, EntitlementsMessage, ExpireGrantsMessage, Fault, FinishDepositMessage,
    FoundLogin, GrantMessage, LoginLookupMessage, MemberCommand, MemberCommandMessage,
    OpenDeposits, OpenMessage, PendingDepositsMessage, ReceiveTransferMessage, ReplyTo,
    ReverseMessage, SendTransferMessage, SettleDepositMessage, StartDepositMessage,
    StartSessionMessage, StepUpAnswerMessage, StepUpQuestionMessage, TopOffNeededMessage,
    TransferSent, ViewMessage,
};
use crate::clock::Clock;
use crate::domain::account::{
    AccessDecision, AccountPolicy, AccountState, AuthorizeCommand, AuthorizeDecision, KeptDecision,
    PaidFrom,
};
use crate::domain::close::CloseAccount;
use crate::domain::entitlement::Entitlement;
use crate::domain::event::Event;
use crate::domain::ids::{CashOutId, DepositId, EntitlementId, LoginId, Owner, TransferId};
use crate::domain::kept::{KeptOutcome, MemberRoute};
use crate::domain::money::{Amount, Balance, Currency};
use crate::domain::reject::Reject;
use crate::domain::statement::STATEMENT_PAGE_MAX;
use crate::domain::statement::{StatementLine, group_lines};
use crate::storage::port::{Append, Erasure, Journal, SnapshotStore};

/// Resolves to the sequence of an entry's last event when it is durable; shared so later
/// reads (and the next snapshot) can wait on the latest write.
pub type DurableWait = Shared<BoxFuture<'static, Result<u64, Fault>>>;

/// The shared wait on a journal ack: the sequence of the group's last event once durable.
pub(super) fn durable_wait(ack: crate::storage::port::Ack) -> DurableWait {
    async move {
        ack.await
            .map(|seqs| seqs.end.saturating_sub(1))
            .map_err(Fault::from)
    }
    .boxed()
    .shared()
}

/// Everything an account actor needs besides its state.
#[derive(Clone)]
pub struct AccountEnv {
    /// The write-ahead journal.
    pub journal: Arc<dyn Journal>,
    /// Where snapshots go.
    pub snapshots: Arc<dyn SnapshotStore>,
    /// Source of `now`.
    pub clock: Arc<dyn Clock>,
    /// Bounds passed to the domain.
    pub policy: AccountPolicy,
    /// Events between two snapshots of one account (bounds an activation's replay).
    pub snapshot_every_events: u64,
}

/// Where an actor's snapshots stand, shared with the future that saves one.
#[derive(Debug, Default)]
pub struct SnapshotProgress {
    /// Position of the last snapshot handed to the store.
    saved: AtomicU64,
    /// A snapshot is waiting for its events to be durable.
    in_flight: AtomicBool,
}

impl SnapshotProgress {
    /// Progress of an owner whose last snapshot (or none: 0) is at `position`.
    #[must_use]
    pub fn at(position: u64) -> Arc<SnapshotProgress> {
        Arc::new(SnapshotProgress {
            saved: AtomicU64::new(position),
            in_flight: AtomicBool::new(false),
        })
    }

    /// Events since the last saved snapshot, when no snapshot is on its way.
    pub(super) fn due(&self, position: u64) -> Option<u64> {
        if self.in_flight.load(Ordering::Acquire) {
            return None;
        }
        Some(position.saturating_sub(self.saved.load(Ordering::Acquire)))
    }

    /// Hands `rows` to `snapshots` once `wait` (the owner's last write) is durable.
    pub fn save_after(
        self: &Arc<Self>,
        wait: Option<DurableWait>,
        position: u64,
        rows: crate::storage::port::SnapshotRows,
        snapshots: Arc<dyn SnapshotStore>,
    ) {
        self.in_flight.store(true, Ordering::Release);
        let progress = Arc::clone(self);
        actix::spawn(async move {
            let durable = match wait {
                Some(wait) => wait.await.is_ok(),
                None => true,
            };
            // A refused save (full queue) is retried with a later snapshot. A snapshot of an
            // earlier position than one already handed over is dropped, never written over
            // it: the one a close forces must stay the last (an older one may hold erased
            // data). The same position saves again (a vendor's sales change it in place).
            let newer = position >= progress.saved.load(Ordering::Acquire);
            if durable && newer && snapshots.save(rows).is_ok() {
                progress.saved.fetch_max(position, Ordering::AcqRel);
            }
            progress.in_flight.store(false, Ordering::Release);
        });
    }
}

/// Whether an account `events_since` its last snapshot is due another: after `every_events`,
/// or after as many events as the snapshot stores entries, whichever is later. Encoding a
/// snapshot costs its entries, so this keeps that cost at most one entry per event however
/// long an account's history grows (a snapshot every 64 purchases of an account holding
/// 100,000 entitlements would cost the shard more than the purchases), and an activation
/// still replays no more events than its snapshot holds entries.
fn snapshot_due(events_since: u64, every_events: u64, stored_entries: u64) -> bool {
    events_since >= every_events.max(stored_entries)
}

/// One member account.
pub struct AccountActor {
    pub(super) state: AccountState,
    /// Events the account has appended: the position its next event takes.
    position: u64,
    pub(super) env: AccountEnv,
    mailbox_messages_max: usize,
    /// The newest entry handed to the journal: a read waits for it, so it never shows state
    /// that is not durable yet.
    last_write: Option<DurableWait>,
    snapshots: Arc<SnapshotProgress>,
}

impl AccountActor {
    /// An actor for `state` after `position` events (its snapshot, if any, at
    /// `snapshot_position`); started by the registry on the account's shard.
    #[must_use]
    pub fn new(
        state: AccountState,
        position: u64,
        snapshot_position: u64,
        env: AccountEnv,
        mailbox_messages_max: usize,
    ) -> AccountActor {
        AccountActor {
            state,
            position,
            env,
            mailbox_messages_max,
            last_write: None,
            snapshots: SnapshotProgress::at(snapshot_position),
        }
    }

    /// Journals `events` as one group and applies them, or refuses them all.
    pub(super) fn commit(&mut self, events: Vec<Event>) -> Result<DurableWait, CommandError> {
        self.journal(events, 0, None)
    }

    /// Journals `events` as one group, applying each except the first `already_applied` (a new
    /// account's state is built from its first event), with their statement lines. The append
    /// is refused before anything is applied when the journal is full, so memory stays as it
    /// was.
    fn journal(
        &mut self,
        events: Vec<Event>,
        already_applied: usize,
        erasure: Option<Erasure>,
    ) -> Result<DurableWait, CommandError> {
        let events: Vec<Arc<Event>> = events.into_iter().map(Arc::new).collect();
        let count = u64::try_from(events.len()).unwrap_or(u64::MAX);
        let holder = self.state.holder();
        let statement = self.statement_lines(&events, holder, already_applied)?;
        let append = Append {
            owner: Owner::Account(self.state.id),
            position: self.position,
            events: events.clone(),
            statement,
            holder,
        };
        let appended = match erasure {
            None => self.env.journal.append(append),
            Some(erasure) => self.env.journal.append_erasing(append, erasure),
        };
        let ack = appended.map_err(|error| CommandError::Fault(error.into()))?;
        for event in events.iter().skip(already_applied) {
            self.state.apply(event);
        }
        self.position = self.position.saturating_add(count);
        let wait = durable_wait(ack);
        self.last_write = Some(wait.clone());
        self.maybe_snapshot();
        Ok(wait)
    }

    /// The statement lines of `events`, which take the positions from the actor's own on,
    /// with the first `already_applied` of them applied already (see `group_lines`).
    /// Computed here, before the append, from the balances the events start from; the
    /// journal stores them once the events are durable (`statement_projection`).
    fn statement_lines(
        &self,
        events: &[Arc<Event>],
        holder: Option<LoginId>,
        already_applied: usize,
    ) -> Result<Vec<StatementLine>, CommandError> {
        let balances: Vec<(Currency, Balance)> = self
            .state
            .wallets
            .iter()
            .map(|(currency, wallet)| (*currency, wallet.balance))
            .collect();
        group_lines(&balances, holder, already_applied, self.position, events).map_err(|error| {
            // Unreachable: 64-bit balances moved by 64-bit amounts cannot leave 128 bits. The
            // group is refused rather than journaled without its lines.
            tracing::error!(account = %self.state.id, %error, "statement lines do not add up");
            CommandError::Fault(Fault::StorageFailed)
        })
    }

    /// Snapshots the account when enough events passed since the last one.
    fn maybe_snapshot(&mut self) {
        // Pending deposits are not stored in snapshots: waiting until none is pending (the
        // length of a processor call) keeps every snapshot free of them, so the events after
        // it rebuild them, and the snapshot format stays as it was.
        if !self.state.pending_deposits.is_empty() {
            return;
        }
        let Some(events_since) = self.snapshots.due(self.position) else {
            return;
        };
        if !snapshot_due(
            events_since,
            self.env.snapshot_every_events,
            self.state.stored_entries(),
        ) {
            return;
        }
        let rows = crate::storage::account_snapshot(self.position, &self.state);
        self.snapshots.save_after(
            self.last_write.clone(),
            self.position,
            rows,
            Arc::clone(&self.env.snapshots),
        );
    }

    /// Replies once `wait` (if any) is durable.
    pub(super) fn reply_after<T: Send + 'static>(
        wait: Option<DurableWait>,
        reply: ReplyTo<T>,
        value: Result<T, CommandError>,
    ) {
        let Some(wait) = wait else {
            let _ = reply.send(value);
            return;
        };
        if let Some(done) = wait.peek() {
            let _ = reply.send((*done).map(|_| ()).map_err(CommandError::Fault).and(value));
            return;
        }
        actix::spawn(async move {
            let outcome = wait.await.map_err(CommandError::Fault).and(value);
            // The caller may have gone (client hung up); the change is durable either way.
            let _ = reply.send(outcome);
        });
    }

    /// Replies `value` once `wait` (if any) is durable, or refuses with the error that kept
    /// the change from the journal (see [`AccountActor::refuse`]).
    fn reply_when<T: Send + 'static>(
        &self,
        wait: Result<Option<DurableWait>, CommandError>,
        reply: ReplyTo<T>,
        value: T,
    ) {
        match wait {
            Ok(wait) => Self::reply_after(wait, reply, Ok(value)),
            Err(error) => self.refuse(reply, error),
        }
    }

    /// Answers a command that changed nothing. A refusal rests on the state as applied, which
    /// may hold writes that are not durable yet (a reversal retried while the first is being
    /// persisted is refused `AlreadyReversed`): like a read, it waits for them, so no client
    /// is told something a crash can take back. (Rejected: answering at once, which the
    /// simulation showed an operator a reversal that a crash then undid.) A fault is answered
    /// at once: the journal refused, and nothing is waited for.
    pub(super) fn refuse<T: Send + 'static>(&self, reply: ReplyTo<T>, error: CommandError) {
        match error {
            CommandError::Reject(_) => Self::reply_after(self.pending_read(), reply, Err(error)),
            CommandError::Fault(_) => {
                let _ = reply.send(Err(error));
            }
        }
    }

    fn entitlement(&self, id: EntitlementId) -> Result<Entitlement, CommandError> {
        self.state
            .entitlements
            .get(&id)
            .cloned()
            .ok_or(CommandError::Reject(Reject::EntitlementUnknown))
    }

    pub(super) fn pending_read(&self) -> Option<DurableWait> {
        self.last_write.clone().filter(|wait| wait.peek().is_none())
    }

    /// Decides, journals and applies one purchase; answers what to reply and the write to
    /// wait for. Purchases of a batch are decided one after the other, each seeing the ones
    /// before it, then journaled as one group (`events`).
    fn decide_purchase(
        &mut self,
        command: &AuthorizeCommand,
        started: Instant,
        events: &mut Vec<Event>,
    ) -> Result<Authorization, CommandError> {
        let now = self.env.clock.now();
        match self.state.decide_authorize(command, now, &self.env.policy) {
            Err(reject) => Err(CommandError::Reject(reject)),
            Ok(AuthorizeDecision::Purchase(event)) => {
                let (entitlement, paid_from) = match &event {
                    Event::Authorized(authorized) => (
                        authorized.entitlement.clone(),
                        self.state.payment_split(authorized),
                    ),
                    _ => return Err(CommandError::Reject(Reject::EntitlementUnknown)),
                };
                events.push(event);
                Ok(Authorization {
                    authorization: command.new_authorization,
                    charged: command.price,
                    already_owned: false,
                    replayed: false,
                    entitlement,
                    paid_from: Some(paid_from),
                    before_journal_us: u64::try_from(started.elapsed().as_micros())
                        .unwrap_or(u64::MAX),
                })
            }
            Ok(
                decision @ (AuthorizeDecision::AlreadyOwned(id) | AuthorizeDecision::Replay(id)),
            ) => {
                // The decision already says which: a replay answers as the first request did.
                let replayed = matches!(decision, AuthorizeDecision::Replay(_));
                self.entitlement(id).map(|entitlement| Authorization {
                    authorization: entitlement.authorization,
                    charged: if replayed {
                        entitlement.price
                    } else {
                        Amount::ZERO
                    },
                    already_owned: !replayed,
                    replayed,
                    entitlement,
                    paid_from: (!replayed).then(PaidFrom::default),
                    before_journal_us: 0,
                })
            }
        }
    }
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
        let mut events = Vec::with_capacity(1);
        let outcome = self
            .decide_purchase(&message.command, started, &mut events)
            .and_then(|authorization| {
                if events.is_empty() {
                    return Ok((self.pending_read(), authorization));
                }
                let wait = self.commit(events)?;
                Ok((Some(wait), authorization))
            });
        match outcome {
            Ok((wait, authorization)) => Self::reply_after(wait, message.reply, Ok(authorization)),
            Err(error) => {
                self.refuse(message.reply, error);
            }
        }
    }
}

impl Handler<AuthorizeBatchMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: AuthorizeBatchMessage, _: &mut Context<Self>) {
        let started = Instant::now();
        let mut outcomes = Vec::with_capacity(message.commands.len());
        let mut events = Vec::new();
        if let [command] = message.commands.as_slice() {
            // One purchase for this account (the common case when members are spread): no
            // copy of the state is needed.
            outcomes.push(self.decide_purchase(command, started, &mut events));
        } else {
            // Each purchase is decided against the state the ones before it left: decide,
            // apply to a copy, next. The real state changes only once the group is taken by
            // the journal (below), so a refused append leaves it as it was.
            let mut scratch = self.state.clone();
            for command in &message.commands {
                let before = events.len();
                let original = std::mem::replace(&mut self.state, scratch);
                let outcome = self.decide_purchase(command, started, &mut events);
                scratch = std::mem::replace(&mut self.state, original);
                if let Some(event) = events.get(before..).and_then(<[Event]>::first) {
                    scratch.apply(event);
                }
                outcomes.push(outcome);
            }
        }
        if events.is_empty() {
            Self::reply_after(self.pending_read(), message.reply, Ok(outcomes));
            return;
        }
        match self.commit(events) {
            Ok(wait) => Self::reply_after(Some(wait), message.reply, Ok(outcomes)),
            Err(error) => {
                // Nothing was journaled or applied: every purchase of the group failed.
                let failed = outcomes
                    .into_iter()
                    .map(|outcome| match outcome {
                        Ok(authorization)
                            if !authorization.already_owned && !authorization.replayed =>
                        {
                            Err(error)
                        }
                        other => other,
                    })
                    .collect();
                let _ = message.reply.send(Ok(failed));
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
                self.refuse(message.reply, error);
            }
        }
    }
}

impl Handler<OpenMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: OpenMessage, _: &mut Context<Self>) {
        // The registry built the state from the first event (`AccountOpened`).
        match self.journal(message.events, 1, None) {
            Ok(wait) => Self::reply_after(Some(wait), message.reply, Ok(())),
            Err(error) => {
                let _ = message.reply.send(Err(error));
            }
        }
    }
}

impl Handler<DepositMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: DepositMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided = self.state.decide_credit(
            message.currency,
            message.amount,
            &message.reference,
            now,
            message.by,
        );
        let wait = match decided {
            Err(reject) => {
                self.refuse(message.reply, reject.into());
                return;
            }
            Ok(events) if events.is_empty() => Ok(self.pending_read()),
            Ok(events) => self.commit(events).map(Some),
        };
        let balance = self.state.wallets.get(&message.currency).map(|w| w.balance);
        match (wait, balance) {
            (Ok(wait), Some(balance)) => Self::reply_after(wait, message.reply, Ok(balance)),
            (Err(error), _) => {
                self.refuse(message.reply, error);
            }
            (Ok(_), None) => {
                self.refuse(message.reply, Reject::WalletMissing.into());
            }
        }
    }
}

impl Handler<StartDepositMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: StartDepositMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let command = &message.command;
        let decided = self.state.decide_keep_request(
            MemberRoute::Deposits,
            command.idempotency.as_ref(),
            command.deposit.0,
            now,
            &self.env.policy,
        );
        let kept = match decided {
            Err(reject) => {
                self.refuse(message.reply, reject.into());
                return;
            }
            Ok(KeptDecision::Replay(first)) => {
                let replay = DepositStart::Replay {
                    deposit: DepositId(first.subject),
                    outcome: first.outcome.clone(),
                };
                Self::reply_after(self.pending_read(), message.reply, Ok(replay));
                return;
            }
            Ok(KeptDecision::Proceed(kept)) => kept,
        };
        let result = self
            .state
            .decide_start_deposit(command, now)
            .map_err(CommandError::Reject)
            .and_then(|event| {
                let method = match &event {
                    Event::DepositStarted { method, .. } => method.clone(),
                    _ => return Err(CommandError::Reject(Reject::PaymentMethodUnknown)),
                };
                let events = [event].into_iter().chain(kept).collect();
                self.commit(events).map(|wait| (wait, method))
            });
        match result {
            Ok((wait, method)) => {
                Self::reply_after(Some(wait), message.reply, Ok(DepositStart::Started(method)));
            }
            Err(error) => {
                self.refuse(message.reply, error);
            }
        }
    }
}

impl Handler<FinishDepositMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: FinishDepositMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided = self
            .state
            .decide_finish_deposit(message.deposit, &message.outcome, now);
        let credited = decided.iter().any(|event| {
            matches!(
                event,
                Event::DepositCredited { .. } | Event::DepositAccepted { .. }
            )
        });
        let wait = if decided.is_empty() {
            // Finished before: nothing to do, answer once what it shows is durable.
            Ok(self.pending_read())
        } else {
            self.commit(decided).map(Some)
        };
        self.reply_when(wait, message.reply, credited);
    }
}

impl Handler<PendingDepositsMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: PendingDepositsMessage, _: &mut Context<Self>) {
        let listed = |deposits: &crate::domain::vec_map::VecMap<
            _,
            crate::domain::account::PendingDeposit,
        >| {
            deposits
                .iter()
                .map(|(id, pending)| (*id, pending.clone()))
                .collect()
        };
        let open = OpenDeposits {
            started: listed(&self.state.pending_deposits),
            unsettled: listed(&self.state.unsettled_deposits),
        };
        Self::reply_after(self.pending_read(), message.reply, Ok(open));
    }
}

impl Handler<CashOutMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: CashOutMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let command = &message.command;
        if let Err(reject) = self
            .state
            .holder_session(message.login, message.session, now)
        {
            self.refuse(message.reply, reject.into());
            return;
        }
        let decided = self.state.decide_keep_request(
            MemberRoute::CashOuts,
            message.idempotency.as_ref(),
            command.cash_out.0,
            now,
            &self.env.policy,
        );
        let kept = match decided {
            Err(reject) => {
                self.refuse(message.reply, reject.into());
                return;
            }
            Ok(KeptDecision::Replay(first)) => {
                let answer = match first.outcome {
                    Some(KeptOutcome::CashedOut { charge, net }) => Ok(CashedOut {
                        cash_out: CashOutId(first.subject),
                        charge,
                        net,
                    }),
                    _ => Err(CommandError::Reject(Reject::IdempotencyKeyReused)),
                };
                Self::reply_after(self.pending_read(), message.reply, answer);
                return;
            }
            Ok(KeptDecision::Proceed(kept)) => kept,
        };
        let wait = self
            .state
            .decide_cash_out(command, now)
            .map_err(CommandError::Reject)
            // The record first: the cash-out's apply writes its outcome into it.
            .and_then(|event| self.commit(kept.into_iter().chain([event]).collect()));
        let done = CashedOut {
            cash_out: command.cash_out,
            charge: command.charge,
            // The decide refused a charge that is not below the amount.
            net: command
                .amount
                .checked_sub(command.charge)
                .unwrap_or(Amount::ZERO),
        };
        self.reply_when(wait.map(Some), message.reply, done);
    }
}

impl Handler<CloseAccountMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: CloseAccountMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let command = CloseAccount {
            by: message.login,
            forfeit: message.forfeit,
        };
        let decided = self
            .state
            .holder_session(message.login, message.session, now)
            .and_then(|_| self.state.decide_close(command, now));
        let events = match decided {
            Ok(events) => events,
            Err(reject) => {
                self.refuse(message.reply, reject.into());
                return;
            }
        };
        let forfeited = events
            .iter()
            .find_map(|event| match event {
                Event::AccountClosed { forfeited, .. } => Some(forfeited.clone()),
                _ => None,
            })
            .unwrap_or_default();
        // Read before the close erases them from memory; they travel to the journal's
        // writer (which drops their directory rows) and back to the caller, never to disk.
        let emails: Vec<String> = self
            .state
            .logins
            .values()
            .filter_map(|login| login.email.clone())
            .collect();
        let erasure = Erasure {
            emails: emails.clone(),
        };
        match self.journal(events, 0, Some(erasure)) {
            Ok(wait) => {
                // The close's write dropped the old snapshot, which held the personal data:
                // a new one, saved after it is durable, spares the next activation a replay.
                let rows = crate::storage::account_snapshot(self.position, &self.state);
                self.snapshots.save_after(
                    Some(wait.clone()),
                    self.position,
                    rows,
                    Arc::clone(&self.env.snapshots),
                );
                let closed = AccountClosed {
                    closed_at: now,
                    forfeited,
                    emails,
                };
                Self::reply_after(Some(wait), message.reply, Ok(closed));
            }
            Err(error) => self.refuse(message.reply, error),
        }
    }
}

impl Handler<SendTransferMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: SendTransferMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let command = &message.command;
        if let Err(reject) = self
            .state
            .holder_session(command.login, message.session, now)
        {
            self.refuse(message.reply, reject.into());
            return;
        }
        let balance = |state: &AccountState| {
            state
                .wallets
                .get(&command.currency)
                .map_or(Balance::ZERO, |wallet| wallet.balance)
        };
        let decided = self.state.decide_keep_request(
            MemberRoute::Transfers,
            message.idempotency.as_ref(),
            command.transfer.0,
            now,
            &self.env.policy,
        );
        let kept = match decided {
            Err(reject) => {
                self.refuse(message.reply, reject.into());
                return;
            }
            Ok(KeptDecision::Replay(first)) => {
                let answer = TransferSent {
                    transfer: TransferId(first.subject),
                    balance: balance(&self.state),
                    in_transit: None,
                };
                Self::reply_after(self.pending_read(), message.reply, Ok(answer));
                return;
            }
            Ok(KeptDecision::Proceed(kept)) => kept,
        };
        let mut in_transit = None;
        let wait = self
            .state
            .decide_send_transfer(command, now)
            .map_err(CommandError::Reject)
            .and_then(|event| {
                if let Event::TransferSent(sent) = &event {
                    in_transit = Some((**sent).clone());
                }
                self.commit(kept.into_iter().chain([event]).collect())
            });
        let done = TransferSent {
            transfer: command.transfer,
            balance: balance(&self.state),
            in_transit,
        };
        self.reply_when(wait.map(Some), message.reply, done);
    }
}

impl Handler<CanReceiveMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: CanReceiveMessage, _: &mut Context<Self>) {
        let answer = self.state.check_can_receive().map_err(CommandError::Reject);
        Self::reply_after(self.pending_read(), message.reply, answer);
    }
}

impl Handler<ReceiveTransferMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: ReceiveTransferMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let (wait, credited) = match self.state.decide_receive_transfer(&message.sent, now) {
            Err(reject) => {
                self.refuse(message.reply, reject.into());
                return;
            }
            // Received before: answer once what it shows is durable.
            Ok(None) => (Ok(self.pending_read()), false),
            Ok(Some(event)) => (self.commit(vec![event]).map(Some), true),
        };
        self.reply_when(wait, message.reply, credited);
    }
}

impl Handler<GrantMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: GrantMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let currency = message.grant.currency;
        let wait = self
            .state
            .decide_grant(message.grant, message.redeemed, now)
            .map_err(CommandError::Reject)
            .and_then(|event| self.commit(vec![event]));
        let balance = self.state.incentive_balance(currency, now);
        self.reply_when(wait.map(Some), message.reply, balance);
    }
}

impl Handler<ExpireGrantsMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: ExpireGrantsMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let events = self.state.decide_expire_grants(now);
        let expired = events
            .iter()
            .filter_map(|event| match event {
                Event::IncentiveExpired { grant, .. } => Some(*grant),
                _ => None,
            })
            .collect();
        let wait = if events.is_empty() {
            Ok(self.pending_read())
        } else {
            self.commit(events).map(Some)
        };
        self.reply_when(wait, message.reply, expired);
    }
}

impl Handler<TopOffNeededMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: TopOffNeededMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let (vendor, policy) = &message.incentives;
        let from_wallet =
            self.state
                .wallet_share(*vendor, message.currency, policy, message.price, now);
        let needed = self.state.top_off_needed(message.currency, from_wallet);
        Self::reply_after(self.pending_read(), message.reply, Ok(needed));
    }
}

impl Handler<SettleDepositMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: SettleDepositMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided = self
            .state
            .decide_settle_deposit(message.deposit, &message.settlement, now);
        let recorded = decided.is_some();
        let wait = match decided {
            // Settled or returned before: answer once what it shows is durable.
            None => Ok(self.pending_read()),
            Some(event) => self.commit(vec![event]).map(Some),
        };
        self.reply_when(wait, message.reply, recorded);
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
                self.refuse(message.reply, error);
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
                self.refuse(message.reply, error);
            }
            (Ok(_), None) => {
                self.refuse(message.reply, Reject::SessionUnknown.into());
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
        let checked = if message.command.holder_only() {
            state.holder_session(message.login, message.session, now)
        } else {
            state.live_session(message.login, message.session, now)
        };
        let decided = checked
            .map_err(CommandError::Reject)
            .and_then(|_| match message.command {
                MemberCommand::EndSession => state
                    .decide_end_session(message.login, message.session, now)
                    .map_err(CommandError::Reject),
                MemberCommand::SetLimits {
                    login,
                    currency,
                    limits,
                } => state
                    .decide_limits(message.login, login, currency, limits, now)
                    .map_err(CommandError::Reject),
                MemberCommand::AddLogin(added) => state
                    .decide_add_login(message.login, added, now)
                    .map_err(CommandError::Reject),
                MemberCommand::SetLoginDisabled { login, disabled } => state
                    .decide_login_disabled(message.login, login, disabled, now)
                    .map_err(CommandError::Reject),
                MemberCommand::SetSecurityQuestions(questions) => state
                    .decide_security_questions(message.login, questions, now)
                    .map_err(CommandError::Reject),
                MemberCommand::ChangePassword { password_hash } => Ok(state
                    .decide_password_change(message.login, message.session, password_hash, now)),
                MemberCommand::SetProfile(change) => state
                    .decide_profile(message.login, change, now)
                    .map_err(CommandError::Reject),
                MemberCommand::Freeze(frozen) => Ok(state.decide_freeze(frozen, now)),
                MemberCommand::AddPaymentMethod(method) => state
                    .decide_add_payment_method(method, now)
                    .map_err(CommandError::Reject),
                MemberCommand::RemovePaymentMethod(method) => state
                    .decide_remove_payment_method(method, now)
                    .map_err(CommandError::Reject),
                MemberCommand::OpenWallet(currency) => state
                    .decide_open_wallet(currency, now)
                    .map_err(CommandError::Reject),
                MemberCommand::SetTopOff {
                    currency,
                    setting,
                    amount_max,
                } => state
                    .decide_top_off(currency, setting, amount_max, now)
                    .map_err(CommandError::Reject),
            });
        match decided.and_then(|event| self.commit(vec![event])) {
            Ok(wait) => Self::reply_after(Some(wait), message.reply, Ok(())),
            Err(error) => {
                self.refuse(message.reply, error);
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
                self.refuse(message.reply, error);
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
            self.refuse(message.reply, reject.into());
            return;
        }
        let state = &self.state;
        let login_filter = message.session.map(|(login, _)| login);
        // A sub-member sees only their own: their login, limits and purchases ([0275]).
        let sub_member = login_filter.filter(|login| {
            state.role_of(*login) == Some(crate::domain::logins::LoginRole::Member)
        });
        let mut recent: Vec<Entitlement> = if sub_member.is_some() {
            // Entitlements do not say which login bought them; the statement does.
            Vec::new()
        } else {
            state.entitlements.values().cloned().collect()
        };
        recent.sort_by_key(|e| std::cmp::Reverse((e.purchased_at, e.id)));
        recent.truncate(10);
        let logins = state
            .logins
            .values()
            .filter(|login| sub_member.is_none_or(|own| own == login.id))
            .map(|login| {
                let limits = state
                    .limits
                    .iter()
                    .filter(|((of, _), _)| *of == login.id)
                    .map(|((_, currency), limits)| (*currency, limits.clone()))
                    .collect();
                (login.clone(), limits)
            })
            .collect();
        let view = AccountView {
            email: state.logins.values().find_map(|login| login.email.clone()),
            wallets: state
                .wallets
                .iter()
                .map(|(currency, wallet)| (*currency, wallet.clone()))
                .collect(),
            limits: state
                .limits
                .iter()
                .filter(|((login, _), _)| login_filter.is_none_or(|l| l == *login))
                .map(|((_, currency), limits)| (*currency, limits.clone()))
                .collect(),
            frozen: state.frozen,
            payment_methods: if sub_member.is_some() {
                Vec::new()
            } else {
                state.payment_methods.values().cloned().collect()
            },
            entitlement_count: state.entitlements.len(),
            recent,
            incentives: state
                .wallets
                .keys()
                .map(|currency| (*currency, state.incentive_balance(*currency, now)))
                .collect(),
            logins,
            caller: login_filter,
            language: login_filter.map_or_else(
                || state.language.to_string(),
                |login| state.language_of(login).to_owned(),
            ),
            time_zone: state.zone.name().to_owned(),
            closed_at: state.closed_at,
        };
        Self::reply_after(self.pending_read(), message.reply, Ok(view));
    }
}

impl Handler<EntitlementsMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: EntitlementsMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        if let Err(reject) = self.state.live_session(message.login, message.session, now) {
            self.refuse(message.reply, reject.into());
            return;
        }
        // Which login bought what is the statement's to say, not the entitlement's: the
        // caller asks only for ids of lines it may read.
        let found = message
            .ids
            .iter()
            .take(STATEMENT_PAGE_MAX)
            .filter_map(|id| self.state.entitlements.get(id).cloned())
            .collect();
        Self::reply_after(self.pending_read(), message.reply, Ok(found));
    }
}

impl Handler<DayFactsMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: DayFactsMessage, _: &mut Context<Self>) {
        let facts = self.state.day_facts(message.date, self.position);
        Self::reply_after(self.pending_read(), message.reply, Ok(facts));
    }
}

impl Handler<BuyerViewMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: BuyerViewMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let state = &self.state;
        let (vendor, policy) = &message.incentives;
        let incentive = state.usable_incentive(*vendor, message.currency, policy, now);
        let from_wallet = state.wallet_share(*vendor, message.currency, policy, message.price, now);
        let view = state
            .live_session(message.login, message.session, now)
            .map(|_| BuyerView {
                incentive,
                email: state
                    .logins
                    .get(&message.login)
                    .and_then(|login| login.email.clone())
                    .unwrap_or_default(),
                language: state.language_of(message.login).to_owned(),
                balance: state.wallets.get(&message.currency).map(|w| w.balance),
                owned: state.valid_entitlement(&message.content, now).is_some(),
                shortage: state.shortage(message.currency, from_wallet),
                top_off_method: state.top_off_method(message.currency).cloned(),
                methods: {
                    let mut methods: Vec<_> = state.payment_methods.values().cloned().collect();
                    methods.sort_by_key(|method| (method.added_at, method.id));
                    methods
                },
                top_off_amount: state
                    .wallets
                    .get(&message.currency)
                    .and_then(|wallet| wallet.top_off)
                    .map(|setting| setting.amount),
            })
            .map_err(CommandError::Reject);
        Self::reply_after(self.pending_read(), message.reply, view);
    }
}

impl Handler<StepUpQuestionMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: StepUpQuestionMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let asked = self
            .state
            .step_up_question(message.login, message.session, message.pick, now)
            .map(|asked| asked.map(|(index, question)| (index, question.clone())))
            .map_err(CommandError::Reject);
        Self::reply_after(self.pending_read(), message.reply, asked);
    }
}

impl Handler<StepUpAnswerMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: StepUpAnswerMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided = self
            .state
            .decide_step_up_answer(
                message.login,
                message.session,
                message.question,
                message.right,
                now,
                &message.policy,
            )
            .map_err(CommandError::Reject);
        let outcome = decided.and_then(|event| {
            let locked = match &event {
                Event::StepUpFailed {
                    locked_until: Some(until),
                    ..
                } => Some(*until),
                _ => None,
            };
            self.commit(vec![event]).map(|wait| (wait, locked))
        });
        match outcome {
            Ok((wait, Some(until))) => Self::reply_after(
                Some(wait),
                message.reply,
                Err(CommandError::Reject(Reject::StepUpLocked { until })),
            ),
            Ok((wait, None)) => Self::reply_after(Some(wait), message.reply, Ok(message.right)),
            Err(error) => self.refuse(message.reply, error),
        }
    }
}

impl Handler<LoginLookupMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: LoginLookupMessage, _: &mut Context<Self>) {
        let found = self
            .state
            .login_by_email(&message.email)
            .map(|login| FoundLogin {
                account: self.state.id,
                login: login.id,
                role: login.role,
                password_hash: login.password_hash.clone(),
            })
            .ok_or(CommandError::Reject(Reject::LoginUnknown));
        let _ = message.reply.send(found);
    }
}

impl Handler<AuthorizationLookupMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: AuthorizationLookupMessage, _: &mut Context<Self>) {
        let found = self
            .state
            .entitlements
            .values()
            .find(|entitlement| entitlement.authorization == message.authorization)
            .map(|entitlement| AuthorizationView {
                vendor: entitlement.key.vendor,
                entitlement: entitlement.clone(),
            })
            .ok_or(CommandError::Reject(Reject::AuthorizationUnknown));
        Self::reply_after(self.pending_read(), message.reply, found);
    }
}

#[cfg(test)]
mod tests {
    use super::snapshot_due;

    #[test]
    fn a_small_account_snapshots_every_configured_events() {
        assert!(!snapshot_due(63, 64, 10));
        assert!(snapshot_due(64, 64, 10));
    }

    #[test]
    fn a_large_account_waits_as_many_events_as_its_snapshot_holds() {
        assert!(!snapshot_due(64, 64, 100_000));
        assert!(!snapshot_due(99_999, 64, 100_000));
        assert!(snapshot_due(100_000, 64, 100_000));
    }
}
