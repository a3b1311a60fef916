//! Messages to the account and vendor actors. Each carries a oneshot for its reply, so the
//! sender can use `try_send` (a full mailbox is refused at once: 503) and still get an answer.
//! Replies that depend on a state change are sent only once the journal made it durable.

use actix::Message;
use tokio::sync::oneshot;

use crate::domain::account::{AccessCommand, AuthorizeCommand, SessionExpiry};
use crate::domain::entitlement::Entitlement;
use crate::domain::event::{Event, Origin};
use crate::domain::fees::{CommissionRates, FeeSchedule};
use crate::domain::ids::{AuthorizationId, LoginId, RightsHolderId, SessionId};
use crate::domain::limits::Limits;
use crate::domain::money::{Amount, Balance, Currency, Total};
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;
use crate::domain::vendor::{LedgerFigures, VendorProfile};
use crate::storage::port::StorageError;

/// Why the system could not decide (as opposed to a business `Reject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// A mailbox or the journal queue is full: retry shortly.
    #[error("overloaded")]
    Overloaded,
    /// The journal failed to persist; the server is stopping.
    #[error("storage failed")]
    StorageFailed,
    /// The store could not be read, or holds an unreadable row.
    #[error("storage read failed")]
    StorageRead,
    /// The actor stopped before it answered (shutdown).
    #[error("shutting down")]
    Stopped,
}

impl From<StorageError> for Fault {
    fn from(error: StorageError) -> Fault {
        match error {
            StorageError::Full => Fault::Overloaded,
            // A fenced append means two writers for one owner: the store is not ours alone.
            StorageError::Poisoned | StorageError::Fenced { .. } => Fault::StorageFailed,
            StorageError::Stopped => Fault::Stopped,
            StorageError::Read(_) => Fault::StorageRead,
        }
    }
}

/// The outcome of a command that is not a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// A business outcome.
    #[error(transparent)]
    Reject(#[from] Reject),
    /// The system could not decide.
    #[error(transparent)]
    Fault(#[from] Fault),
}

/// Where a reply goes.
pub type ReplyTo<T> = oneshot::Sender<Result<T, CommandError>>;

/// What an authorize answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The purchase's id (for an already-owned grant, the purchase that owns it).
    pub authorization: AuthorizationId,
    /// Charged now: zero when already owned or replayed.
    pub charged: Amount,
    /// True when the member owned valid content and nothing was charged.
    pub already_owned: bool,
    /// True when this answers a retry with the same idempotency key.
    pub replayed: bool,
    /// The entitlement as it stands.
    pub entitlement: Entitlement,
    /// How the charge was paid; `None` for a retry answered from the account's record (the
    /// split of the first purchase is not kept).
    pub paid_from: Option<crate::domain::account::PaidFrom>,
    /// Time the command spent before its entry reached the journal, µs (for metrics).
    pub before_journal_us: u64,
}

/// Charge a member (flow C).
#[derive(Message)]
#[rtype(result = "()")]
pub struct AuthorizeMessage {
    /// The checked command.
    pub command: AuthorizeCommand,
    /// Where the answer goes.
    pub reply: ReplyTo<Authorization>,
}

/// What an access check answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessGranted {
    /// The entitlement after the view was counted.
    pub entitlement: Entitlement,
}

/// Check an access token (flow D).
#[derive(Message)]
#[rtype(result = "()")]
pub struct AccessMessage {
    /// The checked command.
    pub command: AccessCommand,
    /// Where the answer goes.
    pub reply: ReplyTo<AccessGranted>,
}

/// Open a new account with its `AccountOpened` event (and optional seed steps).
#[derive(Message)]
#[rtype(result = "()")]
pub struct OpenMessage {
    /// The events to journal in one entry: `AccountOpened` first.
    pub events: Vec<Event>,
    /// Where the answer goes.
    pub reply: ReplyTo<()>,
}

/// Credit a deposit.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DepositMessage {
    /// Wallet currency.
    pub currency: Currency,
    /// Amount.
    pub amount: Amount,
    /// The caller's reference: credited once.
    pub reference: String,
    /// Who credits it (recorded in the event).
    pub by: Origin,
    /// Answers the balance after the deposit.
    pub reply: ReplyTo<Balance>,
}

/// Start a deposit from the saved payment method: the actor checks that its credit can land
/// and journals `DepositStarted`; only then may the edge call the processor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StartDepositMessage {
    /// The checked command.
    pub command: crate::domain::account::StartDeposit,
    /// Answers, once `DepositStarted` is durable, the method to charge; or, for a retry of a
    /// kept request, the first one's deposit and outcome.
    pub reply: ReplyTo<DepositStart>,
}

/// What starting a deposit answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DepositStart {
    /// Started: charge this method.
    Started(crate::domain::payment_method::SavedMethod),
    /// A retry of a request kept for its `Idempotency-Key`: nothing was started.
    Replay {
        /// The first request's deposit.
        deposit: crate::domain::ids::DepositId,
        /// How it ended; `None` while it is still being decided.
        outcome: Option<crate::domain::kept::KeptOutcome>,
    },
}

/// Record what the processor answered for a started deposit.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FinishDepositMessage {
    /// The deposit.
    pub deposit: crate::domain::ids::DepositId,
    /// The processor's answer.
    pub outcome: crate::domain::account::DepositOutcome,
    /// Answers once the outcome is durable: true when this call credited the wallet.
    pub reply: ReplyTo<bool>,
}

/// The deposits of an account still open (start-up resolves them).
#[derive(Message)]
#[rtype(result = "()")]
pub struct PendingDepositsMessage {
    /// Answers the open deposits, once what they show is durable.
    pub reply: ReplyTo<OpenDeposits>,
}

/// An account's deposits whose money is not final yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenDeposits {
    /// Started, the processor's answer not journaled: the processor is asked again.
    pub started: Vec<(
        crate::domain::ids::DepositId,
        crate::domain::account::PendingDeposit,
    )>,
    /// Bank debits accepted, waiting to settle or be returned.
    pub unsettled: Vec<(
        crate::domain::ids::DepositId,
        crate::domain::account::PendingDeposit,
    )>,
}

/// Record what the bank finally did with an accepted debit.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SettleDepositMessage {
    /// The deposit.
    pub deposit: crate::domain::ids::DepositId,
    /// Settled or returned.
    pub settlement: crate::domain::account::Settlement,
    /// Answers once the outcome is durable: true when this call recorded it (false: it was
    /// recorded before).
    pub reply: ReplyTo<bool>,
}

/// Set a wallet's credit line.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CreditLineMessage {
    /// Wallet currency.
    pub currency: Currency,
    /// The new line.
    pub limit: Amount,
    /// Who sets it (recorded in the event).
    pub by: Origin,
    /// Answers when durable.
    pub reply: ReplyTo<()>,
}

/// Start a session for a login whose password was checked at the edge.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StartSessionMessage {
    /// The login.
    pub login: LoginId,
    /// The new session's id.
    pub session: SessionId,
    /// Absolute or idle.
    pub expiry: SessionExpiry,
    /// Answers the session's expiry as of now.
    pub reply: ReplyTo<Timestamp>,
}

/// Check that a session is live; answers its expiry as of now (buyer tokens, member calls).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CheckSessionMessage {
    /// The login.
    pub login: LoginId,
    /// The session.
    pub session: SessionId,
    /// Answers the session's expiry as of now.
    pub reply: ReplyTo<Timestamp>,
}

/// A member command made under a session.
#[derive(Debug)]
pub enum MemberCommand {
    /// Logout.
    EndSession,
    /// Replace a login's limits (the caller's own, or a sub-member's).
    SetLimits {
        /// Whose limits.
        login: LoginId,
        /// Wallet currency.
        currency: Currency,
        /// New limits.
        limits: Limits,
    },
    /// Freeze or unfreeze.
    Freeze(bool),
    /// Save a payment method the processor tokenized.
    AddPaymentMethod(crate::domain::payment_method::SavedMethod),
    /// Remove a saved payment method.
    RemovePaymentMethod(crate::domain::ids::PaymentMethodId),
    /// Open a wallet in a currency the service supports (checked at the edge).
    OpenWallet(Currency),
    /// Set (or turn off) a wallet's automatic top-off.
    SetTopOff {
        /// The wallet.
        currency: Currency,
        /// The setting; `None` turns it off.
        setting: Option<crate::domain::account::TopOff>,
        /// Largest single charge (`buy_window.charge_max`).
        amount_max: Amount,
    },
    /// Add a sub-member (the e-mail claimed and the password hashed at the edge).
    AddLogin(crate::domain::logins::AddLogin),
    /// Disable or re-enable a sub-member.
    SetLoginDisabled {
        /// The sub-member.
        login: LoginId,
        /// Disabled or enabled.
        disabled: bool,
    },
    /// Replace the holder's security questions (answers hashed at the edge).
    SetSecurityQuestions(Vec<crate::domain::step_up::SecurityQuestion>),
    /// Change the caller's own password (hashed at the edge, the current one checked there):
    /// the login's other sessions end.
    ChangePassword {
        /// Argon2id PHC string of the new password.
        password_hash: String,
    },
    /// Change the caller's own name and language ([0114], [0136]).
    SetProfile(crate::domain::logins::ProfileChange),
}

impl MemberCommand {
    /// Whether only the account's holder may give it ([0275]): everything but signing out,
    /// freezing (any login may protect the account) and changing one's own password, name
    /// or language.
    #[must_use]
    pub fn holder_only(&self) -> bool {
        !matches!(
            self,
            MemberCommand::EndSession
                | MemberCommand::Freeze(true)
                | MemberCommand::ChangePassword { .. }
                | MemberCommand::SetProfile(_)
        )
    }
}

/// Close the account (`domain::close`), checking the holder's session first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CloseAccountMessage {
    /// The login (only the holder may).
    pub login: LoginId,
    /// The session.
    pub session: SessionId,
    /// Forfeit the paid balance left.
    pub forfeit: bool,
    /// Answers once the close (and the erasure with it) is durable.
    pub reply: ReplyTo<AccountClosed>,
}

/// An account closed. No `Debug`: it holds the e-mails that were erased.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountClosed {
    /// When.
    pub closed_at: Timestamp,
    /// What each wallet forfeited to the service.
    pub forfeited: Vec<(Currency, Amount)>,
    /// The sign-in e-mails the account had, so the caller can drop them from the in-memory
    /// directory (the stored one lost them in the close's write). In memory only.
    pub emails: Vec<String>,
}

/// Cash out settled balance, checking the session first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct CashOutMessage {
    /// The login.
    pub login: LoginId,
    /// The session.
    pub session: SessionId,
    /// The checked command.
    pub command: crate::domain::account::CashOut,
    /// The member's `Idempotency-Key` and the body's digest, when sent.
    pub idempotency: Option<crate::domain::event::IdempotencyStamp>,
    /// Answers once the cash-out is durable (or, for a retry, as the first one ended).
    pub reply: ReplyTo<CashedOut>,
}

/// A cash-out made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CashedOut {
    /// The cash-out (the first one's, for a retry).
    pub cash_out: crate::domain::ids::CashOutId,
    /// The service charge.
    pub charge: Amount,
    /// Paid out: the amount less the charge.
    pub net: Amount,
}

/// Send money to another member, checking the session first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendTransferMessage {
    /// The session.
    pub session: SessionId,
    /// The checked command (its login is the session's).
    pub command: crate::domain::account::SendTransfer,
    /// The member's `Idempotency-Key` and the body's digest, when sent.
    pub idempotency: Option<crate::domain::event::IdempotencyStamp>,
    /// Answers once the transfer is durable as sent (or, for a retry, the first one's).
    pub reply: ReplyTo<TransferSent>,
}

/// A transfer sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferSent {
    /// The transfer (the first one's, for a retry).
    pub transfer: crate::domain::ids::TransferId,
    /// The sender's balance in the currency after it.
    pub balance: Balance,
    /// What to deliver to the recipient; `None` for a retry (the first request delivered it,
    /// or the transfer watcher will).
    pub in_transit: Option<crate::domain::event::InTransit>,
}

/// Whether an account can be sent a transfer (see `AccountState::check_can_receive`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct CanReceiveMessage {
    /// Answers `Ok` or `RecipientUnavailable`.
    pub reply: ReplyTo<()>,
}

/// Record a sent transfer as received by this account (the recipient's).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReceiveTransferMessage {
    /// The transfer as sent.
    pub sent: crate::domain::event::InTransit,
    /// Answers once durable: true when this call credited it (false: received before).
    pub reply: ReplyTo<bool>,
}

/// Journal an incentive grant whose budget was reserved.
#[derive(Message)]
#[rtype(result = "()")]
pub struct GrantMessage {
    /// The grant.
    pub grant: crate::domain::incentive::Grant,
    /// Made by redeeming its program's code.
    pub redeemed: bool,
    /// Answers once durable: the incentive balance in the grant's currency after it.
    pub reply: ReplyTo<Amount>,
}

/// Record the expiry of every grant past its expiry (the sweep).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ExpireGrantsMessage {
    /// Answers once durable: the grants recorded as expired now.
    pub reply: ReplyTo<Vec<crate::domain::ids::GrantId>>,
}

/// The automatic top-off a purchase would need (see `AccountState::top_off_needed`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct TopOffNeededMessage {
    /// The purchase's currency.
    pub currency: Currency,
    /// Its price.
    pub price: Amount,
    /// The selling vendor and the incentives it accepts: what they pay is not topped off.
    pub incentives: (
        crate::domain::ids::VendorId,
        crate::domain::offer::IncentivePolicy,
    ),
    /// Answers the setting and the total to charge, or `None`.
    pub reply: ReplyTo<Option<(crate::domain::account::TopOff, Amount)>>,
}

/// Run a member command after checking the session (freeze works on a frozen account too).
#[derive(Message)]
#[rtype(result = "()")]
pub struct MemberCommandMessage {
    /// The login.
    pub login: LoginId,
    /// The session.
    pub session: SessionId,
    /// What to do.
    pub command: MemberCommand,
    /// Answers when durable.
    pub reply: ReplyTo<()>,
}

/// Reverse one purchase (admin).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReverseMessage {
    /// The purchase.
    pub authorization: AuthorizationId,
    /// The admin's reason.
    pub reason: String,
    /// Who reverses it (recorded in the event).
    pub by: Origin,
    /// Answers the refund.
    pub reply: ReplyTo<(Amount, Currency)>,
}

/// Read what the account knows of one calendar day for the daily summary mail; `None` when
/// there is nobody to write to. Answered once the events it counts are durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DayFactsMessage {
    /// The member's local day.
    pub date: jiff::civil::Date,
    /// Answers the facts.
    pub reply: ReplyTo<Option<crate::domain::member_day::DayFacts>>,
}

/// A read-only view of an account, for account pages and admins.
#[derive(Clone, Debug)]
pub struct AccountView {
    /// The sign-in e-mail of the account's first login with one (personal data: masked by
    /// the back office unless the operator may see it).
    pub email: Option<String>,
    /// Wallets by currency.
    pub wallets: Vec<(Currency, crate::domain::account::Wallet)>,
    /// Limits per currency of the login asked about (or of every login for admins).
    pub limits: Vec<(Currency, Limits)>,
    /// Frozen flag.
    pub frozen: bool,
    /// Saved payment methods.
    pub payment_methods: Vec<crate::domain::payment_method::SavedMethod>,
    /// Entitlements held.
    pub entitlement_count: usize,
    /// The newest purchases, newest first (at most ten).
    pub recent: Vec<Entitlement>,
    /// The incentive balance per wallet currency, as of now (live grants only).
    pub incentives: Vec<(Currency, Amount)>,
    /// The logins the caller may see, each with its limits: every login for the holder and
    /// admins, only their own for a sub-member ([0275]).
    pub logins: Vec<(crate::domain::account::Login, Vec<(Currency, Limits)>)>,
    /// The login asked about (member calls).
    pub caller: Option<LoginId>,
    /// The language of the caller's pages and mail: their login's own, else the account's
    /// (the account's on the back office's view).
    pub language: String,
    /// The IANA time zone of the member's calendar: what a date on the statement page means.
    pub time_zone: String,
    /// When the holder closed the account, if they did (then nothing personal is left).
    pub closed_at: Option<Timestamp>,
}

impl AccountView {
    /// The incentive balance in `currency` as the view was taken.
    #[must_use]
    pub fn incentive(&self, currency: Currency) -> Amount {
        self.incentives
            .iter()
            .find(|(held, _)| *held == currency)
            .map_or(Amount::ZERO, |(_, amount)| *amount)
    }
}

/// Read an account; waits until everything it shows is durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ViewMessage {
    /// When set, checks this session first (member calls).
    pub session: Option<(LoginId, SessionId)>,
    /// Answers the view.
    pub reply: ReplyTo<AccountView>,
}

/// Entitlements the member's statement names ("My Content"): the account answers those of
/// `ids` it holds, under a live session, once what it shows is durable. One message for a
/// whole page, so a page costs one trip to the actor whatever its length.
#[derive(Message)]
#[rtype(result = "()")]
pub struct EntitlementsMessage {
    /// The login asking.
    pub login: LoginId,
    /// Its session, checked first.
    pub session: SessionId,
    /// The entitlements wanted: a page's at most (`statement::STATEMENT_PAGE_MAX`).
    pub ids: Vec<crate::domain::ids::EntitlementId>,
    /// Answers those found, in the order of `ids`; an id the account no longer holds is left
    /// out.
    pub reply: ReplyTo<Vec<Entitlement>>,
}

/// Charge a member for several purchases of one batch at once: decided in order, journaled
/// as one group, answered together once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AuthorizeBatchMessage {
    /// The checked commands, in the batch's order.
    pub commands: Vec<AuthorizeCommand>,
    /// One outcome per command, in order; the outer error is a fault that hit them all.
    pub reply: ReplyTo<Vec<Result<Authorization, CommandError>>>,
}

/// Durable sales and reversals for a vendor's ledger, in journal order: all of one vendor's
/// sales in one group commit travel in one message, so a burst of sales takes one mailbox
/// slot rather than one each.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SalesMessage {
    /// `(journal sequence, the Authorized or Reversed event)`, ascending by sequence (an
    /// `Authorized` one also uses up its offer).
    pub sales: Vec<(u64, std::sync::Arc<Event>)>,
}

/// The feed has handed this vendor every sale up to `seq` (sent in order after them).
#[derive(Message)]
#[rtype(result = "()")]
pub struct FeedCoveredMessage {
    /// Every sale up to here is in the vendor's mailbox or ledger.
    pub seq: u64,
}

/// What a vendor's ledger shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorLedgerView {
    /// Registration.
    pub profile: VendorProfile,
    /// Every term of what it earned, per currency.
    pub figures: std::collections::BTreeMap<Currency, LedgerFigures>,
    /// What its sales accrued to each rights holder, per currency (rounded down per pair).
    pub royalties: Vec<(Currency, RightsHolderId, Total)>,
    /// The fee schedule in effect now.
    pub fee_schedule: FeeSchedule,
    /// The commission rates in effect now.
    pub commission: CommissionRates,
    /// Sales the ledger could not take (non-zero means totals will not balance).
    pub sales_refused: u64,
    /// Its mailing list's sign-up page, if it set one.
    pub mailing_list: Option<String>,
}

/// Read a vendor's ledger as of `now` (which picks the fee period in progress).
#[derive(Message)]
#[rtype(result = "()")]
pub struct VendorViewMessage {
    /// The instant the figures are for.
    pub now: Timestamp,
    /// Answers the view.
    pub reply: oneshot::Sender<VendorLedgerView>,
}

/// A change to a vendor's terms or standing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VendorTerms {
    /// Its fee schedule, checked at the edge.
    FeeSchedule(FeeSchedule),
    /// Its commission rates.
    Commission(CommissionRates),
    /// An operator approves or rejects a vendor that registered itself.
    Standing {
        /// Approve, or reject.
        approve: bool,
        /// The fee schedule it starts with when approved.
        fee: Option<FeeSchedule>,
        /// The operator's reason.
        reason: String,
        /// Who decides.
        by: crate::domain::security::Staff,
    },
    /// The vendor rotates its API key.
    RotateKey {
        /// SHA-256 of the new key.
        digest: [u8; 32],
        /// How long the current key keeps working.
        overlap_ms: u64,
    },
    /// The vendor sets or clears its mailing list's sign-up page, checked at the edge.
    MailingList(Option<String>),
}

/// Set a vendor's terms: the actor decides, journals, and answers once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SetVendorTermsMessage {
    /// The change.
    pub terms: VendorTerms,
    /// When.
    pub now: Timestamp,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// Journal a newly registered vendor's registration (its actor was built from it).
#[derive(Message)]
#[rtype(result = "()")]
pub struct OpenVendorMessage {
    /// The `VendorRegistered` event.
    pub event: Event,
    /// Answers once durable.
    pub reply: ReplyTo<()>,
}

/// What a vendor learns about one of its authorizations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizationView {
    /// The purchase's entitlement as it stands (reversed or not).
    pub entitlement: Entitlement,
    /// The selling vendor.
    pub vendor: crate::domain::ids::VendorId,
}

/// Look up one authorization of the account; waits until what it shows is durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct AuthorizationLookupMessage {
    /// The authorization.
    pub authorization: AuthorizationId,
    /// Answers the view, or `AuthorizationUnknown`.
    pub reply: ReplyTo<AuthorizationView>,
}

/// The security question to ask a session's login, if it is asked at all.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StepUpQuestionMessage {
    /// The login.
    pub login: LoginId,
    /// Its live session.
    pub session: SessionId,
    /// Which question (modulo their count), drawn at the edge.
    pub pick: usize,
    /// Answers the question's place and the question with its answer's hash, or `None` for a
    /// login that is never asked.
    pub reply: ReplyTo<Option<(usize, crate::domain::step_up::SecurityQuestion)>>,
}

/// An answer to a step-up question, checked against its hash at the edge.
#[derive(Message)]
#[rtype(result = "()")]
pub struct StepUpAnswerMessage {
    /// The login.
    pub login: LoginId,
    /// The session asked in.
    pub session: SessionId,
    /// The question's place.
    pub question: usize,
    /// Whether the answer matched.
    pub right: bool,
    /// How answers are counted.
    pub policy: crate::domain::step_up::StepUpPolicy,
    /// Answers, once the outcome is durable, whether it passed; a wrong answer that locked
    /// is `StepUpLocked`.
    pub reply: ReplyTo<bool>,
}

/// Find the login that signs in with an e-mail, to check its password at the edge.
#[derive(Message)]
#[rtype(result = "()")]
pub struct LoginLookupMessage {
    /// Lower-cased e-mail.
    pub email: String,
    /// Answers the login.
    pub reply: ReplyTo<FoundLogin>,
}

/// A login found by its e-mail, for a sign-in checked at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundLogin {
    /// The account.
    pub account: crate::domain::ids::AccountId,
    /// The login.
    pub login: LoginId,
    /// Holder or sub-member, sealed into the session token.
    pub role: crate::domain::logins::LoginRole,
    /// Its Argon2id PHC string.
    pub password_hash: String,
}

/// Post an offer: the actor checks the vendor's bound, journals it and books it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PostOfferMessage {
    /// The offer, its terms checked by the domain.
    pub offer: crate::domain::offer::Offer,
    /// Live offers the vendor may hold.
    pub offers_max: usize,
    /// Answers once the offer is durable: a 201 promises a buyable offer.
    pub reply: ReplyTo<()>,
}

/// Show an offer (no change).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ViewOfferMessage {
    /// The offer.
    pub offer: crate::domain::ids::OfferId,
    /// Now, from the edge's clock.
    pub now: Timestamp,
    /// Answers the offer and, when it cannot be bought now, why.
    pub reply: ReplyTo<(std::sync::Arc<crate::domain::offer::Offer>, Option<Reject>)>,
}

/// Claim an offer for one purchase (see `OfferBook::claim`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct ClaimOfferMessage {
    /// The offer.
    pub offer: crate::domain::ids::OfferId,
    /// Now, from the edge's clock.
    pub now: Timestamp,
    /// When the claim lapses if neither released nor used.
    pub until: Timestamp,
    /// Answers the claimed offer.
    pub reply: ReplyTo<std::sync::Arc<crate::domain::offer::Offer>>,
}

/// End a claim whose purchase was declined.
#[derive(Message)]
#[rtype(result = "()")]
pub struct ReleaseOfferMessage {
    /// The offer.
    pub offer: crate::domain::ids::OfferId,
}

/// What the buy window shows a signed-in member about one offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuyerView {
    /// The login's e-mail ("Signed in as").
    pub email: String,
    /// The member's language for pages.
    pub language: String,
    /// The balance in the offer's currency; `None` without a wallet in it.
    pub balance: Option<Balance>,
    /// The member owns valid content: buying again charges nothing.
    pub owned: bool,
    /// How much the wallet lacks to pay the price, if anything.
    pub shortage: Option<Amount>,
    /// The method a top-off is charged to: the wallet's top-off setting's, else the first card
    /// saved; `None` when there is neither.
    pub top_off_method: Option<crate::domain::payment_method::SavedMethod>,
    /// The wallet's own top-off amount, when its top-off is on (else the configured default
    /// applies).
    pub top_off_amount: Option<Amount>,
    /// Every saved payment method, oldest first (the add-funds page offers them).
    pub methods: Vec<crate::domain::payment_method::SavedMethod>,
    /// What the member's grants that could pay for this offer hold now.
    pub incentive: Amount,
}

/// Read what the buy window needs, checking the session first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct BuyerViewMessage {
    /// The login.
    pub login: LoginId,
    /// The session.
    pub session: SessionId,
    /// The offer's content (for "already owned").
    pub content: crate::domain::entitlement::ContentKey,
    /// The offer's currency.
    pub currency: Currency,
    /// The offer's price (for the shortage).
    pub price: Amount,
    /// The offer's vendor and the incentives it accepts (for the incentive balance).
    pub incentives: (
        crate::domain::ids::VendorId,
        crate::domain::offer::IncentivePolicy,
    ),
    /// Answers the view; session rejects when the session is not live.
    pub reply: ReplyTo<BuyerView>,
}
