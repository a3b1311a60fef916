//! The gateway: the one door from the edges (HTTP, the buy window) into the actors. Each
//! command takes a typed domain command, finds (or activates) the owning actor, sends it a
//! message without waiting for mailbox room (`try_send`: a full mailbox is `Overloaded`, a
//! 503), and answers when the actor does, which for a change is once it is durable. Each
//! query answers a view, never an event.
//!
//! No business rule lives here: the actors ask the domain. The edges never see an actor
//! address, an event or the journal.

use actix::dev::ToEnvelope;
use actix::prelude::SendError;
use actix::{Actor, Addr, Handler, Message};
use tokio::sync::oneshot;

use std::collections::BTreeMap;

use super::feed::TotalsView;
use super::messages::{
    AccessGranted, AccessMessage, AccountClosed, AccountView, Authorization,
    AuthorizationLookupMessage, AuthorizationView, AuthorizeBatchMessage, AuthorizeMessage,
    BuyerView, BuyerViewMessage, CanReceiveMessage, CashOutMessage, CashedOut, CheckSessionMessage,
    ClaimOfferMessage, CloseAccountMessage, CommandError, CreditLineMessage, DayFactsMessage,
    DepositMessage, DepositStart, EntitlementsMessage, ExpireGrantsMessage, Fault,
    FinishDepositMessage, FoundLogin, GrantMessage, LoginLookupMessage, MemberCommand,
    MemberCommandMessage, OpenDeposits, OpenMessage, OpenVendorMessage, PendingDepositsMessage,
    PostOfferMessage, ReceiveTransferMessage, ReleaseOfferMessage, ReplyTo, ReverseMessage,
    SendTransferMessage, SetVendorTermsMessage, SettleDepositMessage, StartDepositMessage,
    StartSessionMessage, StepUpAnswerMessage, StepUpQuestionMessage, TopOffNeededMessage,
    TransferSent, VendorLedgerView, VendorTerms, VendorViewMessage, ViewMessage, ViewOfferMessage,
};
use super::programs::{
    CreateGroupMessage, CreateProgramMessage, ProgramSelector, ReleaseGrantMessage,
    ReserveGrantMessage,
};
use super::registry::{LookupError, Registry, VendorEntry};
use super::settlement::{SettlementCommand, SettlementMessage, StartRunMessage};
use crate::domain::account::{
    AccessCommand, AccountState, AuthorizeCommand, DepositOutcome, OpenAccount, OpenInvalid,
    SessionExpiry, Settlement, StartDeposit, decide_open,
};
use crate::domain::entitlement::{ContentKey, Entitlement};
use crate::domain::event::{Event, Origin};
use crate::domain::ids::{
    AccountId, AuthorizationId, DepositId, EntitlementId, LoginId, OfferId, PayoutId, SessionId,
    SettlementRunId, VendorId,
};
use crate::domain::member_day::DayFacts;
use crate::domain::money::{Amount, Balance, Currency, NetTotal};
use crate::domain::offer::Offer;
use crate::domain::payouts::{Payee, RunScope, SettlementEvent};
use crate::domain::reject::Reject;
use crate::domain::seed::{Seed, seed_events};
use crate::domain::statement::{StatementPage, StatementQuery};
use crate::domain::step_up::{SecurityQuestion, StepUpPolicy};
use crate::domain::time::Timestamp;
use crate::domain::vendor::{
    RegistrationInvalid, VendorRegistration, VendorState, decide_register,
};
use crate::metrics as names;

/// Why a gateway call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The account or vendor does not exist.
    #[error("not found")]
    NotFound,
    /// The command was refused or could not be decided.
    #[error(transparent)]
    Command(#[from] CommandError),
}

impl From<LookupError> for GatewayError {
    fn from(error: LookupError) -> GatewayError {
        match error {
            LookupError::NotFound => GatewayError::NotFound,
            LookupError::Fault(fault) => GatewayError::Command(CommandError::Fault(fault)),
        }
    }
}

impl From<Fault> for GatewayError {
    fn from(fault: Fault) -> GatewayError {
        GatewayError::Command(CommandError::Fault(fault))
    }
}

impl From<Reject> for GatewayError {
    fn from(reject: Reject) -> GatewayError {
        GatewayError::Command(CommandError::Reject(reject))
    }
}

/// Why a registration was not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenError {
    /// A field breaks its rule.
    Invalid(OpenInvalid),
    /// The gateway call failed.
    Gateway(GatewayError),
}

/// Sends a message without waiting for mailbox room and awaits its reply.
pub(super) async fn ask<A, M, T>(
    addr: &Addr<A>,
    make: impl FnOnce(ReplyTo<T>) -> M,
) -> Result<T, GatewayError>
where
    A: Actor + Handler<M>,
    A::Context: ToEnvelope<A, M>,
    M: Message<Result = ()> + Send + 'static,
{
    let (reply, answer) = oneshot::channel::<Result<T, CommandError>>();
    addr.try_send(make(reply)).map_err(|error| match error {
        SendError::Full(_) => {
            metrics::counter!(names::MAILBOX_REJECTIONS).increment(1);
            GatewayError::from(Fault::Overloaded)
        }
        SendError::Closed(_) => GatewayError::from(Fault::Stopped),
    })?;
    answer
        .await
        .map_err(|_| GatewayError::from(Fault::Stopped))?
        .map_err(GatewayError::Command)
}

/// Like [`ask`], but waits for mailbox room instead of refusing: for answers that must land
/// (a charge already made, a bank's final word), where the wait is bounded by the few such
/// messages an account can have in flight.
async fn ask_waiting<A, M, T>(
    addr: &Addr<A>,
    make: impl FnOnce(ReplyTo<T>) -> M,
) -> Result<T, GatewayError>
where
    A: Actor + Handler<M>,
    A::Context: ToEnvelope<A, M>,
    M: Message<Result = ()> + Send + 'static,
{
    let (reply, answer) = oneshot::channel::<Result<T, CommandError>>();
    addr.send(make(reply))
        .await
        .map_err(|_| GatewayError::from(Fault::Stopped))?;
    answer
        .await
        .map_err(|_| GatewayError::from(Fault::Stopped))?
        .map_err(GatewayError::Command)
}

impl Registry {
    pub(super) fn account_addr(
        &self,
        account: AccountId,
    ) -> Result<Addr<super::account::AccountActor>, GatewayError> {
        self.account(account).map_err(GatewayError::from)
    }

    /// Opens an account (registration, or one seeded account).
    ///
    /// # Errors
    /// `OpenError::Invalid` for a field that breaks its rule; faults.
    pub async fn open_account(
        &self,
        command: OpenAccount,
        now: Timestamp,
    ) -> Result<(), OpenError> {
        let events = decide_open(command, now).map_err(OpenError::Invalid)?;
        self.journal_opening(events)
            .await
            .map_err(OpenError::Gateway)
    }

    /// Opens one funded account with a live session in one step (bulk seeding).
    ///
    /// # Errors
    /// Faults.
    pub async fn seed_account(&self, seed: &Seed, now: Timestamp) -> Result<(), GatewayError> {
        self.journal_opening(seed_events(seed, now)).await
    }

    async fn journal_opening(
        &self,
        events: Vec<crate::domain::event::Event>,
    ) -> Result<(), GatewayError> {
        let state = events
            .first()
            .and_then(AccountState::from_opened)
            .ok_or(GatewayError::from(Fault::Stopped))?;
        let addr = self.activate_new(state)?;
        // `send`, not `try_send`: a new actor starts with a small default mailbox until it
        // runs, and this message is its first; waiting a moment for room is right here, and
        // the wait is bounded by that one message.
        let (reply, answer) = oneshot::channel();
        addr.send(OpenMessage { events, reply })
            .await
            .map_err(|_| GatewayError::from(Fault::Stopped))?;
        answer
            .await
            .map_err(|_| GatewayError::from(Fault::Stopped))?
            .map_err(GatewayError::Command)
    }

    /// Credits a deposit; answers the balance after it.
    ///
    /// # Errors
    /// `NotFound`, rejects, faults.
    pub async fn deposit(
        &self,
        account: AccountId,
        currency: Currency,
        amount: Amount,
        reference: String,
        by: Origin,
    ) -> Result<Balance, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| DepositMessage {
            currency,
            amount,
            reference,
            by,
            reply,
        })
        .await
    }

    /// Starts a deposit from the saved payment method: answers once `DepositStarted` is
    /// durable, or with the reject that means the credit could not land (then nothing may
    /// be charged).
    ///
    /// # Errors
    /// `NotFound`, the rejects of `decide_start_deposit`, faults.
    pub async fn start_deposit(
        &self,
        account: AccountId,
        command: StartDeposit,
    ) -> Result<DepositStart, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| StartDepositMessage { command, reply }).await
    }

    /// Records the processor's answer for a started deposit; true when it credited the
    /// wallet now. Waits for mailbox room rather than refusing: the card may be charged
    /// already, and its credit must not be dropped because the account is busy (the wait is
    /// bounded by the few deposits an account may have pending).
    ///
    /// # Errors
    /// `NotFound`, faults.
    pub async fn finish_deposit(
        &self,
        account: AccountId,
        deposit: DepositId,
        outcome: DepositOutcome,
    ) -> Result<bool, GatewayError> {
        let addr = self.account_addr(account)?;
        ask_waiting(&addr, |reply| FinishDepositMessage {
            deposit,
            outcome,
            reply,
        })
        .await
    }

    /// The deposits of `account` whose money is not final yet.
    ///
    /// # Errors
    /// `NotFound`, faults.
    pub async fn open_deposits(&self, account: AccountId) -> Result<OpenDeposits, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| PendingDepositsMessage { reply }).await
    }

    /// Cashes out for a member's session.
    ///
    /// # Errors
    /// `NotFound`, rejects (session ones first), faults.
    pub async fn cash_out(
        &self,
        account: AccountId,
        (login, session): (LoginId, SessionId),
        command: crate::domain::account::CashOut,
        idempotency: Option<crate::domain::event::IdempotencyStamp>,
    ) -> Result<CashedOut, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| CashOutMessage {
            login,
            session,
            command,
            idempotency,
            reply,
        })
        .await
    }

    /// Closes a member's account for the holder's session (`domain::close`); once durable,
    /// the account's e-mails leave the in-memory directory, so they can register again.
    ///
    /// # Errors
    /// `NotFound`, rejects (session ones first), faults.
    pub async fn close_account(
        &self,
        account: AccountId,
        (login, session): (LoginId, SessionId),
        forfeit: bool,
    ) -> Result<AccountClosed, GatewayError> {
        let addr = self.account_addr(account)?;
        let closed = ask(&addr, |reply| CloseAccountMessage {
            login,
            session,
            forfeit,
            reply,
        })
        .await?;
        for email in &closed.emails {
            if self.account_by_email(email) == Some(account) {
                self.release_email(email);
            }
        }
        Ok(closed)
    }

    /// Sends a transfer for a member's session; answers once it is durable as sent.
    ///
    /// # Errors
    /// `NotFound`, rejects (session ones first), faults.
    pub async fn send_transfer(
        &self,
        account: AccountId,
        session: SessionId,
        command: crate::domain::account::SendTransfer,
        idempotency: Option<crate::domain::event::IdempotencyStamp>,
    ) -> Result<TransferSent, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| SendTransferMessage {
            session,
            command,
            idempotency,
            reply,
        })
        .await
    }

    /// Whether `account` can be sent a transfer.
    ///
    /// # Errors
    /// `NotFound`, `RecipientUnavailable`, faults.
    pub async fn can_receive(&self, account: AccountId) -> Result<(), GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| CanReceiveMessage { reply }).await
    }

    /// Records a sent transfer as received by its recipient; true when this call credited
    /// it. Waits for mailbox room like [`Registry::finish_deposit`]: the money has left the
    /// sender and must land.
    ///
    /// # Errors
    /// `NotFound`, `AmountTooLarge` (it stays in transit), faults.
    pub async fn receive_transfer(
        &self,
        sent: crate::domain::event::InTransit,
    ) -> Result<bool, GatewayError> {
        let addr = self.account_addr(sent.to)?;
        ask_waiting(&addr, |reply| ReceiveTransferMessage { sent, reply }).await
    }

    /// Creates a vendor group; answers once durable.
    ///
    /// # Errors
    /// `IncentiveQuotaExceeded`, `VendorGroupUnknown`, faults.
    pub async fn create_group(
        &self,
        group: crate::domain::ids::VendorGroupId,
        name: String,
        vendors: Vec<VendorId>,
    ) -> Result<(), GatewayError> {
        let addr = self.programs()?;
        ask(&addr, |reply| CreateGroupMessage {
            group,
            name,
            vendors,
            reply,
        })
        .await
    }

    /// Creates an incentive program; answers once durable.
    ///
    /// # Errors
    /// The rejects of `decide_create_program`, faults.
    pub async fn create_program(
        &self,
        program: crate::domain::incentive::Program,
    ) -> Result<(), GatewayError> {
        let addr = self.programs()?;
        ask(&addr, |reply| CreateProgramMessage { program, reply }).await
    }

    /// Reserves one grant of a program's budget (see `incentives::grant`, which journals it
    /// on the account or gives the reservation back).
    ///
    /// # Errors
    /// `IncentiveUnknown`, `IncentiveExpired`, `IncentiveBudgetExhausted`, faults.
    pub async fn reserve_grant(
        &self,
        selector: ProgramSelector,
        grant: crate::domain::ids::GrantId,
    ) -> Result<crate::domain::incentive::Grant, GatewayError> {
        let addr = self.programs()?;
        ask(&addr, |reply| ReserveGrantMessage {
            selector,
            grant,
            reply,
        })
        .await
    }

    /// Gives back a reserved grant its account refused. Queued past the mailbox bound
    /// (releases are as rare as refused grants): a lost release would keep part of a budget
    /// unusable until the next start.
    pub fn release_grant(&self, program: crate::domain::ids::ProgramId, amount: Amount) {
        if let Ok(addr) = self.programs() {
            addr.do_send(ReleaseGrantMessage { program, amount });
        }
    }

    /// Journals a grant on the member's account; answers the incentive balance in its
    /// currency after it.
    ///
    /// # Errors
    /// `NotFound`, the rejects of `decide_grant`, faults.
    pub async fn give_grant(
        &self,
        account: AccountId,
        grant: crate::domain::incentive::Grant,
        redeemed: bool,
    ) -> Result<Amount, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| GrantMessage {
            grant,
            redeemed,
            reply,
        })
        .await
    }

    /// Records the expiry of the account's grants past their expiry; answers which.
    ///
    /// # Errors
    /// `NotFound`, faults.
    pub async fn expire_grants(
        &self,
        account: AccountId,
    ) -> Result<Vec<crate::domain::ids::GrantId>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask_waiting(&addr, |reply| ExpireGrantsMessage { reply }).await
    }

    /// The automatic top-off a purchase of `price` in `currency` would need, if the member
    /// turned it on.
    ///
    /// # Errors
    /// `NotFound`, faults.
    pub async fn top_off_needed(
        &self,
        account: AccountId,
        currency: Currency,
        price: Amount,
        incentives: (VendorId, crate::domain::offer::IncentivePolicy),
    ) -> Result<Option<(crate::domain::account::TopOff, Amount)>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| TopOffNeededMessage {
            currency,
            price,
            incentives,
            reply,
        })
        .await
    }

    /// Records what the bank did with an accepted debit; true when this call recorded it.
    /// Waits for mailbox room like [`Gateway::finish_deposit`]: the bank's answer must land.
    ///
    /// # Errors
    /// `NotFound`, faults.
    pub async fn settle_deposit(
        &self,
        account: AccountId,
        deposit: DepositId,
        settlement: Settlement,
    ) -> Result<bool, GatewayError> {
        let addr = self.account_addr(account)?;
        ask_waiting(&addr, |reply| SettleDepositMessage {
            deposit,
            settlement,
            reply,
        })
        .await
    }

    /// Sets a wallet's credit line.
    ///
    /// # Errors
    /// `NotFound`, rejects, faults.
    pub async fn set_credit_line(
        &self,
        account: AccountId,
        currency: Currency,
        limit: Amount,
        by: Origin,
    ) -> Result<(), GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| CreditLineMessage {
            currency,
            limit,
            by,
            reply,
        })
        .await
    }

    /// Starts a session for a login whose password the edge checked; answers its expiry.
    ///
    /// # Errors
    /// `NotFound`, rejects, faults.
    pub async fn start_session(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        expiry: SessionExpiry,
    ) -> Result<Timestamp, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| StartSessionMessage {
            login,
            session,
            expiry,
            reply,
        })
        .await
    }

    /// Checks that a session is live; answers its expiry as of now.
    ///
    /// # Errors
    /// `NotFound`, session rejects, faults.
    pub async fn check_session(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
    ) -> Result<Timestamp, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| CheckSessionMessage {
            login,
            session,
            reply,
        })
        .await
    }

    /// A page of a member's statement. The session is checked first, and that check answers
    /// only once the account's last write is durable, so the page shows no line the journal
    /// could still lose; then the page is read from the journal on the blocking pool, never
    /// on a shard's thread.
    ///
    /// # Errors
    /// `NotFound`, session rejects, faults (the journal cannot be read).
    pub async fn statement(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        query: StatementQuery,
        scan_max: u64,
    ) -> Result<StatementPage, GatewayError> {
        self.check_session(account, login, session).await?;
        let journal = std::sync::Arc::clone(&self.env().journal);
        tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let page = journal.statement(account, &query, scan_max);
            metrics::histogram!(names::STATEMENT_QUERY_SECONDS).record(started.elapsed());
            if let Ok(page) = &page {
                metrics::counter!(names::STATEMENT_ENTRIES_SCANNED).increment(page.scanned);
            }
            page
        })
        .await
        .map_err(|_| GatewayError::from(Fault::Stopped))?
        .map_err(|error| GatewayError::from(Fault::from(error)))
    }

    /// Runs a member command under a live session.
    ///
    /// # Errors
    /// `NotFound`, rejects, faults.
    pub async fn member_command(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        command: MemberCommand,
    ) -> Result<(), GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| MemberCommandMessage {
            login,
            session,
            command,
            reply,
        })
        .await
    }

    /// The step-up question to ask a member's session (`pick`-th, modulo their count), or
    /// `None` when the login is never asked.
    ///
    /// # Errors
    /// Session rejects, `StepUpLocked`, `NotFound`, faults.
    pub async fn step_up_question(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        pick: usize,
    ) -> Result<Option<(usize, SecurityQuestion)>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| StepUpQuestionMessage {
            login,
            session,
            pick,
            reply,
        })
        .await
    }

    /// Records an answer checked at the edge; answers whether it passed, once durable.
    ///
    /// # Errors
    /// `StepUpLocked` for the answer that locked (or while locked), `StepUpNotAsked`,
    /// session rejects, `NotFound`, faults.
    pub async fn step_up_answer(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        question: usize,
        right: bool,
        policy: StepUpPolicy,
    ) -> Result<bool, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| StepUpAnswerMessage {
            login,
            session,
            question,
            right,
            policy,
            reply,
        })
        .await
    }

    /// Reverses one purchase of `account`; answers the refund.
    ///
    /// # Errors
    /// `NotFound`, `AuthorizationUnknown`, `AlreadyReversed`, faults.
    pub async fn reverse(
        &self,
        account: AccountId,
        authorization: AuthorizationId,
        reason: String,
        by: Origin,
    ) -> Result<(Amount, Currency), GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| ReverseMessage {
            authorization,
            reason,
            by,
            reply,
        })
        .await
    }

    /// Charges `account` for one purchase (flow C, and the buy window's Buy).
    ///
    /// # Errors
    /// `NotFound`, every reject of `decide_authorize`, faults.
    pub async fn authorize(
        &self,
        account: AccountId,
        command: AuthorizeCommand,
    ) -> Result<Authorization, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| AuthorizeMessage { command, reply }).await
    }

    /// Charges `account` for several purchases of one batch: decided in order, journaled as
    /// one group. One outcome per command, in order.
    ///
    /// # Errors
    /// `NotFound` and faults that hit the whole group.
    pub async fn authorize_batch(
        &self,
        account: AccountId,
        commands: Vec<AuthorizeCommand>,
    ) -> Result<Vec<Result<Authorization, CommandError>>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| AuthorizeBatchMessage { commands, reply }).await
    }

    /// Checks an access token's entitlement (flow D), counting a view when limited.
    ///
    /// # Errors
    /// `NotFound`, access rejects, faults.
    pub async fn access(
        &self,
        account: AccountId,
        command: AccessCommand,
    ) -> Result<AccessGranted, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| AccessMessage { command, reply }).await
    }

    /// An account's view; with a session, checks it first and shows that login's limits.
    ///
    /// # Errors
    /// `NotFound`, session rejects, faults.
    pub async fn account_view(
        &self,
        account: AccountId,
        session: Option<(LoginId, SessionId)>,
    ) -> Result<AccountView, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| ViewMessage { session, reply }).await
    }

    /// The entitlements of `ids` that `account` holds, under the login's live session ("My
    /// Content" joins them to its statement lines).
    ///
    /// # Errors
    /// `NotFound`, session rejects, faults.
    pub async fn entitlements(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        ids: Vec<EntitlementId>,
    ) -> Result<Vec<Entitlement>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| EntitlementsMessage {
            login,
            session,
            ids,
            reply,
        })
        .await
    }

    /// What the account knows of the member's day `date`, for the daily summary mail.
    ///
    /// # Errors
    /// `NotFound`, faults.
    pub async fn day_facts(
        &self,
        account: AccountId,
        date: jiff::civil::Date,
    ) -> Result<Option<DayFacts>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| DayFactsMessage { date, reply }).await
    }

    /// What the buy window shows a signed-in member about one offer.
    ///
    /// # Errors
    /// `NotFound`, session rejects, faults.
    pub async fn buyer_view(
        &self,
        account: AccountId,
        login: LoginId,
        session: SessionId,
        offer: &Offer,
    ) -> Result<BuyerView, GatewayError> {
        let addr = self.account_addr(account)?;
        let content: ContentKey = offer.content.clone();
        let (currency, price) = (offer.currency, offer.price);
        let incentives = (offer.vendor, offer.incentives.clone());
        ask(&addr, |reply| BuyerViewMessage {
            login,
            session,
            content,
            currency,
            price,
            incentives,
            reply,
        })
        .await
    }

    /// The login that signs in with `email` and its password hash.
    ///
    /// # Errors
    /// `NotFound` for an unknown e-mail, faults.
    pub async fn login_by_email(&self, email: String) -> Result<FoundLogin, GatewayError> {
        let account = self
            .account_by_email(&email)
            .ok_or(GatewayError::NotFound)?;
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| LoginLookupMessage { email, reply }).await
    }

    /// One authorization of `account` as it stands, once durable.
    ///
    /// # Errors
    /// `NotFound`, `AuthorizationUnknown`, faults.
    pub async fn authorization(
        &self,
        account: AccountId,
        authorization: AuthorizationId,
    ) -> Result<AuthorizationView, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| AuthorizationLookupMessage {
            authorization,
            reply,
        })
        .await
    }

    /// Registers a vendor: the domain decides, its new actor journals the registration.
    ///
    /// # Errors
    /// `Err(Ok(invalid))` for a field that breaks its rule; `Err(Err(_))` for faults.
    pub async fn register_vendor(
        &self,
        id: VendorId,
        registration: VendorRegistration,
        now: Timestamp,
    ) -> Result<(), Result<RegistrationInvalid, GatewayError>> {
        let event = decide_register(id, registration, now).map_err(Ok)?;
        self.open_vendor(event).await
    }

    /// Registers a vendor that registered itself: pending until an operator decides.
    ///
    /// # Errors
    /// As [`Registry::register_vendor`].
    pub async fn apply_vendor(
        &self,
        id: VendorId,
        registration: VendorRegistration,
        now: Timestamp,
    ) -> Result<(), Result<RegistrationInvalid, GatewayError>> {
        let event = match decide_register(id, registration, now).map_err(Ok)? {
            Event::VendorRegistered(profile) => Event::VendorApplied(profile),
            other => other,
        };
        self.open_vendor(event).await
    }

    /// Starts the actor of a vendor from its registration and journals it.
    async fn open_vendor(
        &self,
        event: Event,
    ) -> Result<(), Result<RegistrationInvalid, GatewayError>> {
        // No sale of this vendor can precede its registration.
        let covered = self.env().journal.durable_seq();
        let state = VendorState::from_registered(&event, covered)
            .ok_or(Err(GatewayError::from(Fault::Stopped)))?;
        let entry = self.add_vendor(state, 0);
        let (reply, answer) = oneshot::channel();
        entry
            .addr
            .send(OpenVendorMessage { event, reply })
            .await
            .map_err(|_| Err(GatewayError::from(Fault::Stopped)))?;
        answer
            .await
            .map_err(|_| Err(GatewayError::from(Fault::Stopped)))?
            .map_err(|error| Err(GatewayError::Command(error)))
    }

    /// Posts an offer at its vendor; answers once it is durable.
    ///
    /// # Errors
    /// `OfferQuotaExceeded`, faults.
    pub async fn post_offer(
        &self,
        vendor: &VendorEntry,
        offer: Offer,
        offers_max: usize,
    ) -> Result<(), GatewayError> {
        ask(&vendor.addr, |reply| PostOfferMessage {
            offer,
            offers_max,
            reply,
        })
        .await
    }

    /// An offer and, when it cannot be bought now, why.
    ///
    /// # Errors
    /// `OfferUnknown`, faults.
    pub async fn offer(
        &self,
        offer: OfferId,
        now: Timestamp,
    ) -> Result<(VendorEntry, std::sync::Arc<Offer>, Option<Reject>), GatewayError> {
        let vendor = self
            .vendor_of_offer(offer)
            .ok_or(GatewayError::from(Reject::OfferUnknown))?;
        let (found, problem) =
            ask(&vendor.addr, |reply| ViewOfferMessage { offer, now, reply }).await?;
        Ok((vendor, found, problem))
    }

    /// Claims an offer at its vendor for one purchase until `until`.
    ///
    /// # Errors
    /// `OfferUnknown`, `OfferExpired`, `OfferUsed`, `OfferInProgress`, faults.
    pub async fn claim_offer(
        &self,
        vendor: &VendorEntry,
        offer: OfferId,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<std::sync::Arc<Offer>, GatewayError> {
        ask(&vendor.addr, |reply| ClaimOfferMessage {
            offer,
            now,
            until,
            reply,
        })
        .await
    }

    /// Frees a claimed offer whose purchase was declined. Bounded like every send: when the
    /// vendor's mailbox is full the claim is not freed now but lapses at its own deadline.
    pub fn release_offer(&self, vendor: &VendorEntry, offer: OfferId) {
        if vendor.addr.try_send(ReleaseOfferMessage { offer }).is_err() {
            metrics::counter!(names::MAILBOX_REJECTIONS).increment(1);
        }
    }

    /// A vendor's ledger.
    ///
    /// # Errors
    /// Faults.
    pub async fn vendor_ledger(
        &self,
        vendor: &VendorEntry,
        now: Timestamp,
    ) -> Result<VendorLedgerView, GatewayError> {
        let (reply, answer) = oneshot::channel();
        vendor
            .addr
            .try_send(VendorViewMessage { now, reply })
            .map_err(|_| GatewayError::from(Fault::Overloaded))?;
        answer.await.map_err(|_| GatewayError::from(Fault::Stopped))
    }

    /// The members' totals and every vendor's ledger, for the conservation check.
    ///
    /// # Errors
    /// Faults.
    pub async fn totals(
        &self,
        now: Timestamp,
    ) -> Result<(TotalsView, Vec<VendorLedgerView>), GatewayError> {
        let members = self.feed().totals();
        let ledgers = self.vendor_ledgers(now).await?;
        Ok((members, ledgers))
    }

    /// Every vendor's ledger as of `now`.
    ///
    /// # Errors
    /// Faults.
    pub async fn vendor_ledgers(
        &self,
        now: Timestamp,
    ) -> Result<Vec<VendorLedgerView>, GatewayError> {
        let mut ledgers = Vec::new();
        for vendor in self.vendors() {
            ledgers.push(self.vendor_ledger(&vendor, now).await?);
        }
        Ok(ledgers)
    }

    /// Journals a settlement command (rights holders, settings, finishing a run, a return);
    /// answers once durable.
    ///
    /// # Errors
    /// The domain's `Reject`, faults.
    pub async fn settlement_command(&self, command: SettlementCommand) -> Result<(), GatewayError> {
        let addr = self.settlement()?;
        ask(&addr, |reply| SettlementMessage { command, reply }).await
    }

    /// Starts a settlement run: its payouts are decided and journaled; answers the
    /// `RunStarted` event once durable (`None`: a `quiet` run found nothing to do).
    ///
    /// # Errors
    /// `SettlementRunInProgress`, faults.
    pub async fn start_settlement_run(
        &self,
        run: SettlementRunId,
        earned: BTreeMap<(Payee, Currency), NetTotal>,
        scope: RunScope,
        payout_ids: Vec<PayoutId>,
        quiet: bool,
    ) -> Result<Option<SettlementEvent>, GatewayError> {
        let addr = self.settlement()?;
        ask(&addr, |reply| StartRunMessage {
            run,
            earned,
            scope,
            payout_ids,
            quiet,
            reply,
        })
        .await
    }

    /// Sets a vendor's fee schedule or commission rates; answers once durable.
    ///
    /// # Errors
    /// Faults.
    pub async fn set_vendor_terms(
        &self,
        vendor: &VendorEntry,
        terms: VendorTerms,
        now: Timestamp,
    ) -> Result<(), GatewayError> {
        ask(&vendor.addr, |reply| SetVendorTermsMessage {
            terms,
            now,
            reply,
        })
        .await
    }
}
