//! Events: the only thing written to the journal. `decide` produces them; `apply` consumes
//! them; replaying them in journal order rebuilds every account and vendor.

use serde::{Deserialize, Serialize};

use super::account::{Login, Session, TopOff};
use super::audit::AuditEvent;
use super::back_office::BackOfficeEvent;
use super::dispute::Dispute;
use super::entitlement::Entitlement;
use super::fees::{CommissionRates, FeeSchedule};
use super::ids::{
    AccountId, AuthorizationId, CashOutId, DepositId, EntitlementId, GrantId, LoginId, OfferId,
    Owner, PaymentMethodId, SessionId, TransferId, VendorId,
};
use super::incentive::{Funder, Grant, Program, VendorGroup};
use super::kept::MemberRoute;
use super::limits::Limits;
use super::money::{Amount, Currency};
use super::offer::Offer;
use super::payment_method::SavedMethod;
use super::payouts::SettlementEvent;
use super::royalty::SaleParties;
use super::security::Staff;
use super::step_up::SecurityQuestion;
use super::time::Timestamp;
use super::vendor::VendorProfile;

/// A state change that happened. Every variant names the actor that owns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A member registered (or was seeded in bulk).
    AccountOpened {
        /// The new account.
        account: AccountId,
        /// Its first login.
        login: Login,
        /// The member's language for pages and mail.
        language: String,
        /// IANA name of the member's time zone, validated at the edge.
        time_zone: String,
        /// The wallet opened with the account.
        currency: Currency,
        /// When.
        at: Timestamp,
    },
    /// Money came in (admin-entered or a payment processor); `reference` makes it happen once.
    Deposited {
        /// Credited account.
        account: AccountId,
        /// Wallet currency.
        currency: Currency,
        /// Amount credited.
        amount: Amount,
        /// The caller's reference: the same reference is credited once.
        reference: String,
        /// Who credited it (the audit trail).
        by: Origin,
        /// When.
        at: Timestamp,
    },
    /// An admin set how far below zero a wallet may go ([0146]).
    CreditLineSet {
        /// The account.
        account: AccountId,
        /// Wallet currency.
        currency: Currency,
        /// The new credit line.
        limit: Amount,
        /// Who set it (the audit trail).
        by: Origin,
        /// When.
        at: Timestamp,
    },
    /// A login signed in.
    SessionStarted {
        /// The account.
        account: AccountId,
        /// The new session.
        session: Session,
        /// Sessions dropped to keep the per-login bound (ended, expired, else the oldest).
        evicted: Vec<SessionId>,
    },
    /// Logout ended a session.
    SessionEnded {
        /// The account.
        account: AccountId,
        /// The session.
        session: SessionId,
        /// When.
        at: Timestamp,
    },
    /// A login's spending limits in one currency were replaced.
    LimitsSet {
        /// The account.
        account: AccountId,
        /// Whose limits.
        login: LoginId,
        /// Which wallet.
        currency: Currency,
        /// The new limits.
        limits: Limits,
        /// When.
        at: Timestamp,
    },
    /// The member froze or unfroze the account; freezing ends every session ([0157]).
    FreezeSet {
        /// The account.
        account: AccountId,
        /// Frozen after this event.
        frozen: bool,
        /// When.
        at: Timestamp,
    },
    /// A purchase: the wallet was debited and an entitlement created.
    Authorized(Box<Authorized>),
    /// A limited-view entitlement granted one view.
    ViewCounted {
        /// The account.
        account: AccountId,
        /// The entitlement.
        entitlement: EntitlementId,
        /// The access token spent on it, so it never grants twice.
        token_id: u64,
        /// When that token expires: it is remembered as spent until then.
        token_expires_at: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// An admin undid a purchase: refund, entitlement ended, vendor sale removed.
    Reversed {
        /// The account.
        account: AccountId,
        /// The purchase undone.
        authorization: AuthorizationId,
        /// The entitlement ended.
        entitlement: EntitlementId,
        /// The vendor whose sale is removed.
        vendor: VendorId,
        /// Wallet currency.
        currency: Currency,
        /// The purchase price: what the vendor's sale loses. The member gets back the part
        /// paid from the balance; the part `incentives` paid goes back to those grants.
        refund: Amount,
        /// The grants the purchase spent, each with what it took (empty: none).
        incentives: Vec<Grant>,
        /// When the purchase was made: its month's fee base is what the reversal lowers.
        purchased_at: Timestamp,
        /// The purchase's rights holders and referrer: their royalties and commission are
        /// taken back with it.
        parties: SaleParties,
        /// Why, as the admin wrote it.
        reason: String,
        /// Who reversed it (the audit trail).
        by: Origin,
        /// When.
        at: Timestamp,
    },
    /// An admin registered a vendor.
    VendorRegistered(Box<VendorProfile>),
    /// The member saved a payment method the processor tokenized.
    PaymentMethodAdded {
        /// The account.
        account: AccountId,
        /// The method: token, brand and last four digits, never the number.
        method: SavedMethod,
        /// When.
        at: Timestamp,
    },
    /// The member removed a saved payment method.
    PaymentMethodRemoved {
        /// The account.
        account: AccountId,
        /// The method.
        method: PaymentMethodId,
        /// When.
        at: Timestamp,
    },
    /// A vendor posted an offer for the buy window ([0181]-[0186]).
    OfferPosted(Box<Offer>),
    /// A vendor dropped offers that expired a while ago, so its book stays bounded.
    OffersPruned {
        /// The vendor.
        vendor: VendorId,
        /// The offers dropped.
        offers: Vec<OfferId>,
        /// When.
        at: Timestamp,
    },
    /// A charge to the member's saved payment method is about to be made. Journaled before
    /// the processor is called, so a crash between the charge and its credit leaves a record
    /// that start-up resolves (asking the processor again with the same key). Moves no money.
    DepositStarted {
        /// The account.
        account: AccountId,
        /// The deposit: also the processor's idempotency key.
        deposit: DepositId,
        /// Wallet currency (checked to exist before the charge).
        currency: Currency,
        /// Amount to charge and credit.
        amount: Amount,
        /// The method charged, as it was saved when the deposit started.
        method: SavedMethod,
        /// The vendor whose site the member added funds on (its buy window), when it was one:
        /// a purchase of funds made through a vendor's site earns it a commission ([0210]-[0211]).
        via: Option<VendorId>,
        /// When.
        at: Timestamp,
    },
    /// The processor approved a started deposit: the wallet is credited. The only deposit of
    /// a payment method that counts as money in.
    DepositCredited {
        /// The account.
        account: AccountId,
        /// The deposit started before.
        deposit: DepositId,
        /// Wallet currency (as started; here too so totals fold without the account).
        currency: Currency,
        /// Amount credited (as started).
        amount: Amount,
        /// The processor's reference for the charge, for reconciliation.
        charge_reference: String,
        /// The vendor whose site the funds were bought on, if any (it earns a commission).
        via: Option<VendorId>,
        /// When.
        at: Timestamp,
    },
    /// The bank accepted a started debit, to settle later ([0233]): the wallet is credited,
    /// and the amount stays unsettled (spendable, not transferable) until it settles.
    DepositAccepted {
        /// The account.
        account: AccountId,
        /// The deposit started before.
        deposit: DepositId,
        /// Wallet currency.
        currency: Currency,
        /// Amount credited (as started).
        amount: Amount,
        /// The processor's reference for the debit.
        charge_reference: String,
        /// When.
        at: Timestamp,
    },
    /// An accepted debit's money arrived: it is settled.
    DepositSettled {
        /// The account.
        account: AccountId,
        /// The deposit.
        deposit: DepositId,
        /// Wallet currency.
        currency: Currency,
        /// Amount settled.
        amount: Amount,
        /// The vendor whose site the debit was started on, if any (it earns a commission
        /// now that the money arrived).
        via: Option<VendorId>,
        /// When.
        at: Timestamp,
    },
    /// An accepted debit came back from the bank: its money never arrives. What the paid
    /// balance still held of it is taken back; the rest was spent and becomes debt.
    DepositReturned {
        /// The account.
        account: AccountId,
        /// The deposit.
        deposit: DepositId,
        /// Wallet currency.
        currency: Currency,
        /// Amount returned (as credited).
        amount: Amount,
        /// The part the balance no longer held: the wallet's new debt.
        debt: Amount,
        /// The bank's reason code.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// Money in repaid (part of) a wallet's debt, first thing after the credit.
    DebtRepaid {
        /// The account.
        account: AccountId,
        /// Wallet currency.
        currency: Currency,
        /// Amount repaid.
        amount: Amount,
        /// When.
        at: Timestamp,
    },
    /// A member request with an `Idempotency-Key` was kept (in the same group as what it
    /// did), so a retry, even after a restart, answers it instead of doing it again.
    RequestKept {
        /// The account.
        account: AccountId,
        /// The route the key is scoped to.
        route: MemberRoute,
        /// The member's key.
        key: String,
        /// SHA-256 of the request's body.
        digest: [u8; 32],
        /// What it made (the deposit id).
        subject: u64,
        /// Records forgotten now: expired, or the oldest past the bound.
        forgotten: Vec<(MemberRoute, String)>,
        /// When.
        at: Timestamp,
    },
    /// The member set (or, with `None`, turned off) a wallet's automatic top-off ([0230]).
    TopOffSet {
        /// The account.
        account: AccountId,
        /// The wallet.
        currency: Currency,
        /// The new setting.
        setting: Option<TopOff>,
        /// When.
        at: Timestamp,
    },
    /// The member cashed out settled balance ([0274]): the amount leaves the wallet, the
    /// charge is the service's, and the rest is a payout instruction to the bank account.
    CashedOut {
        /// The account.
        account: AccountId,
        /// The cash-out.
        cash_out: CashOutId,
        /// Wallet currency.
        currency: Currency,
        /// Taken from the balance.
        amount: Amount,
        /// The service charge kept; `amount − charge` is paid out.
        charge: Amount,
        /// The bank account paid (its processor token and last four digits).
        destination: SavedMethod,
        /// When.
        at: Timestamp,
    },
    /// The member opened a wallet in another currency ([0114]).
    WalletOpened {
        /// The account.
        account: AccountId,
        /// The new wallet's currency.
        currency: Currency,
        /// When.
        at: Timestamp,
    },
    /// The processor declined a started deposit: nothing is credited.
    DepositFailed {
        /// The account.
        account: AccountId,
        /// The deposit started before.
        deposit: DepositId,
        /// The processor's reason, as it gave it.
        reason: String,
        /// When.
        at: Timestamp,
    },
    /// The member sent money to another member ([0272]): it left the sender's paid balance
    /// and is in transit until the recipient's account records it as received. Journaled on
    /// the sender's account only; the journal, not memory, carries it to the recipient.
    TransferSent(Box<InTransit>),
    /// A transfer reached its recipient: the wallet in its currency (opened now if missing)
    /// is credited. Exactly once per transfer: the account remembers what it received.
    TransferReceived(Box<InTransit>),
    /// The account received an incentive grant: a code redeemed, a vendor's grant, or the
    /// signup bonus. Its program's budget was reserved before (see `domain::incentive`).
    IncentiveGranted {
        /// The account.
        account: AccountId,
        /// The grant as made.
        grant: Grant,
        /// Made by redeeming the program's code: the code cannot be redeemed again here.
        redeemed: bool,
    },
    /// A grant reached its expiry with this much left: the sweep records it so the totals
    /// stop counting it as owed (reads stopped counting it at the expiry instant already).
    IncentiveExpired {
        /// The account.
        account: AccountId,
        /// The grant.
        grant: GrantId,
        /// Its currency.
        currency: Currency,
        /// What was left of it.
        amount: Amount,
        /// Who would have paid for it.
        funder: Funder,
        /// When.
        at: Timestamp,
    },
    /// The member registered through a vendor's referral link ([0143], [0211]): the vendor
    /// earns a commission on the member's purchases until `until`.
    ReferralRecorded {
        /// The account.
        account: AccountId,
        /// The referring vendor.
        vendor: VendorId,
        /// When the referral stops earning.
        until: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// An operator set a vendor's fee schedule ([0203]-[0204]): it prices the period it is
    /// set in and those after.
    FeeScheduleSet {
        /// The vendor.
        vendor: VendorId,
        /// The schedule.
        schedule: FeeSchedule,
        /// When.
        at: Timestamp,
    },
    /// An operator set a vendor's commission rates ([0149], [0211]).
    CommissionSet {
        /// The vendor.
        vendor: VendorId,
        /// The rates.
        rates: CommissionRates,
        /// When.
        at: Timestamp,
    },
    /// A change of the settlement stream: rights holders, payees' settings, runs, payouts.
    Settlement(Box<SettlementEvent>),
    /// An operator created a vendor group.
    VendorGroupCreated(Box<VendorGroup>),
    /// An operator (MSP or group scope) or a vendor (its own) created an incentive program.
    ProgramCreated(Box<Program>),
    /// A member disputed one of their purchases ([0255]-[0260]). When the conditions approved
    /// it at once, the purchase's `Reversed` (by `Origin::Dispute`) follows in the same group.
    DisputeFiled {
        /// The member's account.
        account: AccountId,
        /// The dispute as filed (its status says whether it was approved at once).
        dispute: Box<Dispute>,
    },
    /// An operator decided a pending dispute. An approval is followed in the same group by
    /// the purchase's `Reversed`, unless it was reversed already (then nothing is refunded
    /// twice).
    DisputeDecided {
        /// The member's account.
        account: AccountId,
        /// The disputed purchase: it names the dispute.
        authorization: AuthorizationId,
        /// Who sold it (its ledger keeps the vendor's view of the dispute).
        vendor: VendorId,
        /// Approved, or rejected.
        approve: bool,
        /// The operator's reason.
        reason: String,
        /// Who decided.
        by: Origin,
        /// When.
        at: Timestamp,
    },
    /// A change of the back office's stream (dispute rules, groups, operators).
    BackOffice(Box<BackOfficeEvent>),
    /// An entry of the back office's audit trail.
    Audit(Box<AuditEvent>),
    /// A vendor registered itself ([0149]); it waits for an operator's approval.
    VendorApplied(Box<VendorProfile>),
    /// An operator approved or rejected a vendor that registered itself.
    VendorDecided {
        /// The vendor.
        vendor: VendorId,
        /// Approved, or rejected.
        approve: bool,
        /// The operator's reason.
        reason: String,
        /// Who decided.
        by: Staff,
        /// When.
        at: Timestamp,
    },
    /// A vendor rotated its API key; the previous one works until `previous_valid_until`.
    ApiKeyRotated {
        /// The vendor.
        vendor: VendorId,
        /// SHA-256 of the new key (the key is shown once, never stored).
        key_digest: [u8; 32],
        /// When the key rotated away from stops working.
        previous_valid_until: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// A member who registered through a vendor unticked "send me offers" ([0264]): no
    /// vendor's mailing list is offered to them afterwards ([0265]).
    VendorOffersDeclined {
        /// The account.
        account: AccountId,
        /// The vendor they registered through.
        vendor: VendorId,
        /// When.
        at: Timestamp,
    },
    /// The holder added a sub-member ([0275]).
    LoginAdded {
        /// The account.
        account: AccountId,
        /// The new login (role `Member`).
        login: Login,
        /// When.
        at: Timestamp,
    },
    /// The holder disabled or re-enabled a sub-member; disabling ended its sessions.
    LoginDisabledSet {
        /// The account.
        account: AccountId,
        /// The sub-member.
        login: LoginId,
        /// Disabled (`true`) or enabled again.
        disabled: bool,
        /// When.
        at: Timestamp,
    },
    /// A login set its own name and language ([0114], [0136]): both as they are after the
    /// change, so applying it is a plain assignment (a field the request left out carries
    /// the value it had).
    LoginProfileSet {
        /// The account.
        account: AccountId,
        /// The login that changed its own profile.
        login: LoginId,
        /// Its name now (1 to 100 characters, trimmed); `None` for a holder who never gave one.
        name: Option<String>,
        /// Its own language now; `None` uses the account's.
        language: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// A login changed its own password; its other sessions ended.
    PasswordChanged {
        /// The account.
        account: AccountId,
        /// The login.
        login: LoginId,
        /// Argon2id PHC string of the new password.
        password_hash: String,
        /// The session it was changed in, which goes on.
        kept_session: SessionId,
        /// When.
        at: Timestamp,
    },
    /// The holder set their security questions ([0144]), the answers hashed.
    SecurityQuestionsSet {
        /// The account.
        account: AccountId,
        /// The questions with their answers' hashes.
        questions: Vec<SecurityQuestion>,
        /// When.
        at: Timestamp,
    },
    /// A login answered a step-up question rightly: unusual purchases go through until
    /// `until`, and its wrong answers are forgotten.
    StepUpPassed {
        /// The account.
        account: AccountId,
        /// The login.
        login: LoginId,
        /// Until when it counts.
        until: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// A login answered a step-up question wrongly; with `locked_until`, it was one wrong
    /// answer too many: the session ended and step-up is locked until then.
    StepUpFailed {
        /// The account.
        account: AccountId,
        /// The login.
        login: LoginId,
        /// The session it answered in.
        session: SessionId,
        /// Set when this answer locked step-up.
        locked_until: Option<Timestamp>,
        /// When.
        at: Timestamp,
    },
    /// A vendor set (or cleared) the sign-up page of its mailing list, offered to members
    /// who buy from it for the first time ([0265]).
    MailingListSet {
        /// The vendor.
        vendor: VendorId,
        /// The page's `http(s)` URL; `None` clears it.
        url: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// The holder closed the account (`domain::close`): every session ended, the personal
    /// data was erased (in memory here, in the journal's earlier events by the same write),
    /// and the paid balance left was forfeited to the service. Journaled after the
    /// `IncentiveExpired` of the grants it ended.
    AccountClosed {
        /// The account.
        account: AccountId,
        /// The holder who closed it.
        login: LoginId,
        /// What each wallet's paid balance forfeited to the service (only wallets with some).
        forfeited: Vec<(Currency, Amount)>,
        /// When.
        at: Timestamp,
    },
}

/// A transfer between two members, as both of its events record it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InTransit {
    /// The transfer.
    pub transfer: TransferId,
    /// The sender's account.
    pub from: AccountId,
    /// The login that sent it (its day, week and month limits count it).
    pub login: LoginId,
    /// The recipient's account.
    pub to: AccountId,
    /// Wallet currency on both sides.
    pub currency: Currency,
    /// Amount moved.
    pub amount: Amount,
    /// The sender's note to the recipient (bounded at the edge).
    pub note: String,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// When this event happened (for `TransferSent`, the same as `sent_at`).
    pub at: Timestamp,
}

/// The vendors an event is for (see [`Event::ledger_vendors`]): at most two, each once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerVendors([Option<VendorId>; 2]);

impl LedgerVendors {
    fn of(first: Option<VendorId>, second: Option<VendorId>) -> LedgerVendors {
        let second = second.filter(|vendor| Some(*vendor) != first);
        LedgerVendors([first, second])
    }

    /// Each vendor once.
    pub fn iter(&self) -> impl Iterator<Item = VendorId> + '_ {
        self.0.iter().flatten().copied()
    }

    /// Whether `vendor` is one of them.
    #[must_use]
    pub fn contains(&self, vendor: VendorId) -> bool {
        self.iter().any(|v| v == vendor)
    }

    /// True when the event is for no vendor.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// A change to the set of transfers in transit (see [`Event::transfer_step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferStep<'a> {
    /// Sent: in transit from now.
    Opens(&'a InTransit),
    /// Received: no longer in transit.
    Closes(TransferId),
}

/// A change to the set of open deposits (see [`Event::deposit_step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStep {
    /// The deposit is open from now.
    Opens(AccountId, DepositId),
    /// The deposit is final from now.
    Closes(AccountId, DepositId),
}

/// Who made a change to an account that the member did not make: every admin action is
/// recorded in the event itself, so the journal is the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// An operator holding the admin key.
    Admin,
    /// The bulk seeding path (load tests and migrations), itself an admin call.
    Seed,
    /// The member, charging their saved payment method (a top-off or added funds).
    PaymentMethod,
    /// A vendor refunding one of its own sales (`POST /v1/refunds`).
    Vendor(VendorId),
    /// The member's dispute, approved by the conditions or by an operator (the decision's
    /// event says who).
    Dispute,
}

/// The record of one purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorized {
    /// The paying account.
    pub account: AccountId,
    /// The outcome's id, returned to the vendor.
    pub authorization: AuthorizationId,
    /// The login whose limits counted it.
    pub login: LoginId,
    /// The session it was made under (for the session limit and idle expiry).
    pub session: SessionId,
    /// The selling vendor.
    pub vendor: VendorId,
    /// The entitlement created.
    pub entitlement: Entitlement,
    /// The vendor's idempotency key and the request's digest, when given.
    pub idempotency: Option<IdempotencyStamp>,
    /// Idempotency records past retention, dropped now to keep the account bounded.
    pub idempotency_expired: Vec<(VendorId, String)>,
    /// The buy-window offer this purchase used up, if it came from one.
    pub offer: Option<OfferId>,
    /// The grants that paid (part of) the price, each with what it took, in the order they
    /// paid; the paid balance (then the credit line) paid the rest.
    pub incentives: Vec<Grant>,
    /// Its rights holders and the member's referrer, if any.
    pub parties: SaleParties,
    /// The title the vendor sold it under (bounded and checked at the edge), for the
    /// member's statement. Kept in the event, not in the entitlement, so members' memory
    /// stays lean; empty for purchases journaled before titles were kept.
    pub title: String,
    /// The content URL bought (normalized at the edge), for the statement; empty as `title`.
    pub content_url: String,
    /// When.
    pub at: Timestamp,
}

/// An idempotency key with the digest of the request it first came with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyStamp {
    /// The vendor's key.
    pub key: String,
    /// SHA-256 of the request body, computed at the edge.
    pub request_digest: [u8; 32],
}

impl Event {
    /// The owner whose actor appends this event: the account for member events, the vendor
    /// for its registration and offers.
    #[must_use]
    pub fn owner(&self) -> Owner {
        match self {
            Event::AccountOpened { account, .. }
            | Event::Deposited { account, .. }
            | Event::CreditLineSet { account, .. }
            | Event::SessionStarted { account, .. }
            | Event::SessionEnded { account, .. }
            | Event::LimitsSet { account, .. }
            | Event::FreezeSet { account, .. }
            | Event::ViewCounted { account, .. }
            | Event::Reversed { account, .. }
            | Event::PaymentMethodAdded { account, .. }
            | Event::PaymentMethodRemoved { account, .. }
            | Event::DepositStarted { account, .. }
            | Event::DepositCredited { account, .. }
            | Event::DepositFailed { account, .. }
            | Event::WalletOpened { account, .. }
            | Event::DepositAccepted { account, .. }
            | Event::DepositSettled { account, .. }
            | Event::DepositReturned { account, .. }
            | Event::DebtRepaid { account, .. }
            | Event::RequestKept { account, .. }
            | Event::TopOffSet { account, .. }
            | Event::IncentiveGranted { account, .. }
            | Event::IncentiveExpired { account, .. }
            | Event::ReferralRecorded { account, .. }
            | Event::VendorOffersDeclined { account, .. }
            | Event::LoginAdded { account, .. }
            | Event::LoginDisabledSet { account, .. }
            | Event::LoginProfileSet { account, .. }
            | Event::SecurityQuestionsSet { account, .. }
            | Event::PasswordChanged { account, .. }
            | Event::StepUpPassed { account, .. }
            | Event::StepUpFailed { account, .. }
            | Event::DisputeFiled { account, .. }
            | Event::DisputeDecided { account, .. }
            | Event::CashedOut { account, .. }
            | Event::AccountClosed { account, .. } => Owner::Account(*account),
            Event::BackOffice(_) => Owner::BackOffice,
            Event::Audit(_) => Owner::Audit,
            Event::VendorGroupCreated(_) | Event::ProgramCreated(_) => Owner::Programs,
            Event::Settlement(_) => Owner::Settlement,
            Event::Authorized(authorized) => Owner::Account(authorized.account),
            Event::TransferSent(sent) => Owner::Account(sent.from),
            Event::TransferReceived(received) => Owner::Account(received.to),
            Event::VendorRegistered(profile) | Event::VendorApplied(profile) => {
                Owner::Vendor(profile.id)
            }
            Event::VendorDecided { vendor, .. }
            | Event::ApiKeyRotated { vendor, .. }
            | Event::MailingListSet { vendor, .. } => Owner::Vendor(*vendor),
            Event::OfferPosted(offer) => Owner::Vendor(offer.vendor),
            Event::OffersPruned { vendor, .. }
            | Event::FeeScheduleSet { vendor, .. }
            | Event::CommissionSet { vendor, .. } => Owner::Vendor(*vendor),
        }
    }

    /// The account this event belongs to, if it is an account event.
    #[must_use]
    pub fn account(&self) -> Option<AccountId> {
        match self.owner() {
            Owner::Account(account) => Some(account),
            Owner::Vendor(_)
            | Owner::Programs
            | Owner::Settlement
            | Owner::BackOffice
            | Owner::Audit => None,
        }
    }

    /// The vendors whose ledgers this account event changes: the seller of a purchase or a
    /// reversal and the buyer's referrer, or the vendor funds were bought through.
    #[must_use]
    pub fn ledger_vendors(&self) -> LedgerVendors {
        match self {
            Event::Authorized(authorized) => {
                LedgerVendors::of(Some(authorized.vendor), authorized.parties.referrer)
            }
            Event::Reversed {
                vendor, parties, ..
            } => LedgerVendors::of(Some(*vendor), parties.referrer),
            Event::DepositCredited { via, .. } | Event::DepositSettled { via, .. } => {
                LedgerVendors::of(*via, None)
            }
            Event::DisputeFiled { dispute, .. } => LedgerVendors::of(Some(dispute.vendor), None),
            Event::DisputeDecided { vendor, .. } => LedgerVendors::of(Some(*vendor), None),
            _ => LedgerVendors::default(),
        }
    }

    /// How this event changes the set of open deposits: a deposit opens when it is started
    /// and closes when its money is final (credited, failed, or, for a bank debit accepted in
    /// between, settled or returned). Start-up resolves what is still open.
    #[must_use]
    pub fn deposit_step(&self) -> Option<DepositStep> {
        match self {
            Event::DepositStarted {
                account, deposit, ..
            } => Some(DepositStep::Opens(*account, *deposit)),
            Event::DepositCredited {
                account, deposit, ..
            }
            | Event::DepositFailed {
                account, deposit, ..
            }
            | Event::DepositSettled {
                account, deposit, ..
            }
            | Event::DepositReturned {
                account, deposit, ..
            } => Some(DepositStep::Closes(*account, *deposit)),
            _ => None,
        }
    }

    /// How this event changes the set of transfers in transit: a transfer opens when it is
    /// sent and closes when it is received. Start-up delivers what is still open.
    #[must_use]
    pub fn transfer_step(&self) -> Option<TransferStep<'_>> {
        match self {
            Event::TransferSent(sent) => Some(TransferStep::Opens(sent)),
            Event::TransferReceived(received) => Some(TransferStep::Closes(received.transfer)),
            _ => None,
        }
    }

    /// The sign-in e-mail this event gives an account's login, for the e-mail index: the
    /// holder's at opening, a sub-member's when added.
    #[must_use]
    pub fn login_email(&self) -> Option<(&str, AccountId)> {
        match self {
            Event::AccountOpened { account, login, .. }
            | Event::LoginAdded { account, login, .. } => {
                login.email.as_deref().map(|email| (email, *account))
            }
            _ => None,
        }
    }

    /// When the event happened.
    #[must_use]
    pub fn at(&self) -> Timestamp {
        match self {
            Event::AccountOpened { at, .. }
            | Event::Deposited { at, .. }
            | Event::CreditLineSet { at, .. }
            | Event::SessionEnded { at, .. }
            | Event::LimitsSet { at, .. }
            | Event::FreezeSet { at, .. }
            | Event::ViewCounted { at, .. }
            | Event::Reversed { at, .. }
            | Event::PaymentMethodAdded { at, .. }
            | Event::PaymentMethodRemoved { at, .. }
            | Event::OffersPruned { at, .. }
            | Event::DepositStarted { at, .. }
            | Event::DepositCredited { at, .. }
            | Event::DepositFailed { at, .. }
            | Event::WalletOpened { at, .. }
            | Event::DepositAccepted { at, .. }
            | Event::DepositSettled { at, .. }
            | Event::DepositReturned { at, .. }
            | Event::DebtRepaid { at, .. }
            | Event::RequestKept { at, .. }
            | Event::TopOffSet { at, .. }
            | Event::IncentiveExpired { at, .. }
            | Event::LoginAdded { at, .. }
            | Event::LoginDisabledSet { at, .. }
            | Event::LoginProfileSet { at, .. }
            | Event::SecurityQuestionsSet { at, .. }
            | Event::PasswordChanged { at, .. }
            | Event::StepUpPassed { at, .. }
            | Event::StepUpFailed { at, .. }
            | Event::ReferralRecorded { at, .. }
            | Event::FeeScheduleSet { at, .. }
            | Event::CommissionSet { at, .. }
            | Event::DisputeDecided { at, .. }
            | Event::CashedOut { at, .. }
            | Event::AccountClosed { at, .. } => *at,
            Event::DisputeFiled { dispute, .. } => dispute.filed_at,
            Event::BackOffice(change) => change.at(),
            Event::Audit(entry) => entry.at(),
            Event::IncentiveGranted { grant, .. } => grant.granted_at,
            Event::Settlement(change) => change.at(),
            Event::VendorGroupCreated(group) => group.created_at,
            Event::ProgramCreated(program) => program.created_at,
            Event::OfferPosted(offer) => offer.posted_at,
            Event::SessionStarted { session, .. } => session.started_at,
            Event::Authorized(authorized) => authorized.at,
            Event::TransferSent(transit) | Event::TransferReceived(transit) => transit.at,
            Event::VendorRegistered(profile) | Event::VendorApplied(profile) => {
                profile.registered_at
            }
            Event::VendorDecided { at, .. }
            | Event::ApiKeyRotated { at, .. }
            | Event::MailingListSet { at, .. }
            | Event::VendorOffersDeclined { at, .. } => *at,
        }
    }
}
