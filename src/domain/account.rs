//! A member account: wallets, logins, sessions, limits, entitlements, freeze.
//!
//! `decide_*` reads the state and returns an event or a `Reject`; `apply` changes the state
//! and cannot fail. Each decide is a flat ladder of early returns in the order documented on
//! it. `apply` asserts the invariants afterwards (a broken one is a bug: the process stops).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dispute::Dispute;
use super::entitlement::{ContentKey, Entitlement, Terms};
use super::event::{Authorized, Event, IdempotencyStamp, InTransit, Origin};
use super::ids::{
    AccountId, AuthorizationId, CashOutId, DepositId, EntitlementId, GrantId, LoginId, OfferId,
    PaymentMethodId, ProgramId, SessionId, TransferId, VendorId,
};
use super::incentive::{GRANTS_HELD_MAX, Grant, REDEEMED_MAX, plan_spend, spent_total};
use super::kept::{
    KEPT_REQUESTS_MAX, KeptCheck, KeptOutcome, KeptRequest, KeptRequests, MemberRoute,
};
use super::limits::{Limits, Spending};
use super::logins::LoginRole;
use super::money::{Amount, Balance, Currency};
use super::offer::IncentivePolicy;
use super::payment_method::{PAYMENT_METHODS_MAX, Rail, SavedMethod};
use super::reject::Reject;
use super::royalty::{Royalty, SaleParties};
use super::step_up::{SecurityQuestion, StepUp, UnusualActivity};
use super::time::{MemberZone, Timestamp};
use super::vec_map::{VecMap, VecSet};

/// Deposits of one account that may wait for the payment processor at once. A deposit waits
/// only for the length of one processor call (or, after a crash, until start-up resolves
/// it), so a member never needs more; the bound keeps a misbehaving client from piling up
/// charges whose credits are not known yet.
pub const DEPOSITS_PENDING_MAX: usize = 4;

/// Bank debits of one account accepted and not yet settled or returned at once. A debit takes
/// days to settle, so a member may have several; the bound keeps a member from stacking
/// unsettled money the service may never receive.
pub const DEPOSITS_UNSETTLED_MAX: usize = 16;

/// Transfers an account remembers having received, newest kept. A transfer is delivered
/// again only while it is still in transit (a retry, or start-up after a crash), so this
/// recent window is what a duplicate delivery can meet.
pub const RECEIVED_TRANSFERS_KEPT: usize = 64;

/// Bounds the account enforces on itself; set from config, passed into every decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountPolicy {
    /// Sessions kept per login; starting one more evicts the oldest.
    pub sessions_per_login_max: usize,
    /// How long an idempotency record answers a retry.
    pub idempotency_retention_ms: u64,
    /// When a purchase asks the member to step up first (off by default).
    pub unusual: UnusualActivity,
}

/// One login of the account: who signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// Stable id, carried in session and buyer tokens.
    pub id: LoginId,
    /// Lower-cased e-mail used to sign in; bulk-seeded logins have none.
    pub email: Option<String>,
    /// Argon2id PHC string; empty for logins that cannot sign in with a password.
    pub password_hash: String,
    /// The person's name, shown to the holder and on statements; the holder's may be unset.
    pub name: Option<String>,
    /// Holder (the login created with the account) or sub-member.
    pub role: LoginRole,
    /// A disabled sub-member cannot sign in; disabling ended its sessions.
    pub disabled: bool,
    /// The login's own language for pages and mail; `None` uses the account's.
    pub language: Option<String>,
}

impl Login {
    /// The login created with an account: its holder.
    #[must_use]
    pub fn holder(id: LoginId, email: Option<String>, password_hash: String) -> Login {
        Login {
            id,
            email,
            password_hash,
            name: None,
            role: LoginRole::Holder,
            disabled: false,
            language: None,
        }
    }
}

/// How a session expires ([0193]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionExpiry {
    /// At a fixed instant.
    Absolute {
        /// The instant.
        expires_at: Timestamp,
    },
    /// After this long without a purchase (counted from the start until the first purchase).
    Idle {
        /// The idle time allowed.
        idle_ms: u64,
    },
}

/// Server-side session state; tokens only name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Stable id.
    pub id: SessionId,
    /// The login that signed in.
    pub login: LoginId,
    /// When it started.
    pub started_at: Timestamp,
    /// Last purchase made under it (or the start): idle expiry counts from here.
    pub last_purchase_at: Timestamp,
    /// Absolute or idle.
    pub expiry: SessionExpiry,
    /// Ended by logout or freeze.
    pub ended: bool,
    /// Spent under this session per currency, for the per-session limit.
    pub spent: BTreeMap<Currency, Amount>,
}

impl Session {
    /// When the session expires if nothing else happens.
    #[must_use]
    pub fn expires_at(&self) -> Timestamp {
        match self.expiry {
            SessionExpiry::Absolute { expires_at } => expires_at,
            SessionExpiry::Idle { idle_ms } => self.last_purchase_at.plus_ms(idle_ms),
        }
    }

    /// Why the session cannot be used at `now`, if it cannot.
    #[must_use]
    pub fn invalid_reason(&self, now: Timestamp) -> Option<Reject> {
        if self.ended {
            return Some(Reject::SessionEnded);
        }
        if now >= self.expires_at() {
            return Some(Reject::SessionExpired);
        }
        None
    }
}

/// One wallet: the account's money in one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    /// Paid balance; negative while drawing on the credit line.
    pub balance: Balance,
    /// How far below zero the balance may go.
    pub credit_limit: Amount,
    /// Everything ever deposited (for the conservation check).
    pub deposited: Amount,
    /// Everything ever refunded by reversals (for the conservation check).
    pub refunded: Amount,
    /// Part of the paid balance from bank debits not yet settled ([0233]): it may be spent on
    /// purchases, not transferred or cashed out.
    pub unsettled: Amount,
    /// Owed to the service: a bank debit returned after its money was spent. Its own figure,
    /// never a balance below the credit line; repaid first from the next deposit, and
    /// purchases wait until it is.
    pub debt: Amount,
    /// Everything ever returned by banks after being credited (for the conservation check).
    pub returned: Amount,
    /// Automatic top-off ([0230]): when a purchase finds the wallet short, charge this method
    /// for the shortage plus this amount, then buy. `None`: off.
    pub top_off: Option<TopOff>,
}

/// A wallet's automatic top-off setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopOff {
    /// Added to the shortage.
    pub amount: Amount,
    /// The saved method charged.
    pub method: PaymentMethodId,
}

impl Wallet {
    /// A wallet as it opens: nothing in it, no credit line.
    #[must_use]
    pub fn empty() -> Wallet {
        Wallet {
            balance: Balance::ZERO,
            credit_limit: Amount::ZERO,
            deposited: Amount::ZERO,
            refunded: Amount::ZERO,
            unsettled: Amount::ZERO,
            debt: Amount::ZERO,
            returned: Amount::ZERO,
            top_off: None,
        }
    }

    /// The lowest balance allowed.
    #[must_use]
    pub fn floor(&self) -> Balance {
        Balance::negative_of(self.credit_limit).unwrap_or(Balance::from_micros(i64::MIN))
    }

    /// The settled paid balance: above zero, less bank debits not yet settled. What may
    /// leave the service (a transfer or a cash-out); never the credit line.
    #[must_use]
    pub fn settled(&self) -> Amount {
        self.balance
            .headroom_above(Balance::ZERO)
            .checked_sub(self.unsettled)
            .unwrap_or(Amount::ZERO)
    }

    /// What a purchase in this currency could spend now: the paid balance down to the
    /// credit line's floor, or nothing while a debt is open.
    #[must_use]
    pub fn available(&self) -> Amount {
        if self.debt.is_zero() {
            self.balance.headroom_above(self.floor())
        } else {
            Amount::ZERO
        }
    }
}

/// What a vendor gets back for an idempotent retry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Digest of the first request's body.
    pub request_digest: [u8; 32],
    /// The purchase it made.
    pub authorization: AuthorizationId,
    /// The entitlement it created.
    pub entitlement: EntitlementId,
    /// When, for retention.
    pub recorded_at: Timestamp,
}

/// The whole state of one member account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountState {
    /// The account.
    pub id: AccountId,
    /// The calendar for day, week and month limits.
    pub zone: MemberZone,
    /// Language for pages and mail. `Box<str>`: set once, so a `String`'s capacity word would
    /// be wasted.
    pub language: Box<str>,
    /// A frozen account cannot buy or sign in ([0157]).
    pub frozen: bool,
    /// Who may sign in.
    pub logins: VecMap<LoginId, Login>,
    /// One wallet per currency.
    pub wallets: VecMap<Currency, Wallet>,
    /// Limits per login and currency (absent: no limits).
    pub limits: VecMap<(LoginId, Currency), Limits>,
    /// Spending counters per login and currency.
    pub spending: VecMap<(LoginId, Currency), Spending>,
    /// Live and recently ended sessions, bounded per login.
    pub sessions: VecMap<SessionId, Session>,
    /// Every entitlement bought. A `BTreeMap`, unlike the small collections here: it grows
    /// with the account's whole history, where a sorted `Vec` would move every later entry
    /// on each purchase.
    pub entitlements: BTreeMap<EntitlementId, Entitlement>,
    /// Deposits started and not yet credited or failed: charges the payment processor may
    /// have made. Bounded by `DEPOSITS_PENDING_MAX`. Not kept in snapshots: the actor takes
    /// no snapshot while one is pending, so replaying the events after a snapshot always
    /// rebuilds this.
    pub pending_deposits: VecMap<DepositId, PendingDeposit>,
    /// Bank debits accepted (and credited) but not yet settled or returned, bounded by
    /// `DEPOSITS_UNSETTLED_MAX`. Kept in snapshots: a debit may take days to settle.
    pub unsettled_deposits: VecMap<DepositId, PendingDeposit>,
    /// Member requests kept for their `Idempotency-Key` (bounded by `KEPT_REQUESTS_MAX`).
    pub kept: KeptRequests,
    /// Deposit references already credited. `Box<str>`: a reference never grows, so the
    /// spare capacity word of a `String` would be wasted in every entry.
    pub deposit_references: VecSet<Box<str>>,
    /// Idempotency records per vendor and key, within retention (so a bounded few).
    pub idempotency: VecMap<(VendorId, String), IdempotencyRecord>,
    /// Derived: the newest entitlement per content (rebuilt on load, not stored). Grows with
    /// history, like `entitlements`.
    pub latest_by_content: BTreeMap<ContentKey, EntitlementId>,
    /// Cards and bank accounts the member saved, as their processor tokens (bounded by
    /// `PAYMENT_METHODS_MAX`).
    pub payment_methods: VecMap<PaymentMethodId, SavedMethod>,
    /// Access tokens spent on unlimited entitlements, until they expire. In memory only: an
    /// unlimited entitlement needs no write per view. Forgetting them at a restart is safe
    /// because access tokens carry the server's boot epoch and the HTTP layer refuses a token
    /// of another run before it reaches the actor. Dropping a live account from memory
    /// without a restart would forget them too; the registry never does.
    pub spent_access_tokens: VecMap<u64, Timestamp>,
    /// Transfers received lately, with when (bounded by `RECEIVED_TRANSFERS_KEPT`): a
    /// delivery of one of them again credits nothing.
    pub received_transfers: VecMap<TransferId, Timestamp>,
    /// Incentive grants held (bounded by `GRANTS_HELD_MAX` when granted): spent first at
    /// purchase, dropped when used up or swept after expiry.
    pub grants: VecMap<GrantId, Grant>,
    /// Programs whose code this account redeemed (a code redeems once per account; bounded by
    /// `REDEEMED_MAX`).
    pub redeemed: VecSet<ProgramId>,
    /// What incentives paid of each purchase they paid for (only those), so a reversal gives
    /// it back to the grants it came from.
    pub incentive_paid: BTreeMap<EntitlementId, Vec<Grant>>,
    /// The vendor that referred the member and until when it earns on their purchases.
    pub referral: Option<Referral>,
    /// The rights holders and referrer of each purchase that had any, so a reversal takes
    /// their parts back too.
    pub sale_parties: BTreeMap<EntitlementId, SaleParties>,
    /// The member's disputes, by the disputed purchase (at most one each).
    pub disputes: BTreeMap<AuthorizationId, Dispute>,
    /// The member declined vendors' offers when registering through one ([0264]): no
    /// mailing list is offered to them ([0265]).
    pub vendor_offers_declined: bool,
    /// Security questions, step-up records and the figures of the unusual-activity rule.
    pub step_up: StepUp,
    /// When the holder closed the account (`domain::close`); `None` while it is open. A
    /// closed account keeps its amounts and nothing personal, and takes no new business.
    pub closed_at: Option<Timestamp>,
}

/// A member's referral by a vendor ([0143], [0211]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Referral {
    /// The referring vendor.
    pub vendor: VendorId,
    /// Its purchases earn the vendor a commission until then.
    pub until: Timestamp,
}

impl Referral {
    /// A referral by `vendor` made `now`, earning for `months` calendar months.
    #[must_use]
    pub fn starting(vendor: VendorId, now: Timestamp, months: u32) -> Referral {
        Referral {
            vendor,
            until: now.plus_months(months),
        }
    }
}

/// A deposit started and not finished: what the processor is (or was) asked to charge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingDeposit {
    /// Wallet currency.
    pub currency: Currency,
    /// Amount to charge and credit.
    pub amount: Amount,
    /// The method charged, as it was when the deposit started (it may be removed since).
    pub method: SavedMethod,
    /// When it started.
    pub started_at: Timestamp,
    /// The vendor whose site it was bought on, if any.
    pub via: Option<VendorId>,
}

/// A member's request to charge their saved payment method and credit a wallet, parsed at
/// the edge (the id drawn there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartDeposit {
    /// The new deposit's id: the processor's idempotency key.
    pub deposit: DepositId,
    /// Wallet currency.
    pub currency: Currency,
    /// Amount to charge.
    pub amount: Amount,
    /// The saved method to charge.
    pub method: PaymentMethodId,
    /// Largest amount one charge may be (`buy_window.charge_max`).
    pub amount_max: Amount,
    /// The member's `Idempotency-Key` and the request's digest, when sent.
    pub idempotency: Option<IdempotencyStamp>,
    /// The vendor whose site (buy window) the funds are added on, if any ([0210]-[0211]).
    pub via: Option<VendorId>,
}

/// What the processor answered for a started deposit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DepositOutcome {
    /// Charged: credit the wallet. Holds the processor's charge reference.
    Charged(String),
    /// Accepted, settling later (a bank debit): credit the wallet as unsettled. Holds the
    /// processor's reference.
    Pending(String),
    /// Declined: credit nothing. Holds the processor's decline code.
    Declined(String),
}

/// What the bank finally did with an accepted debit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settlement {
    /// The money arrived: the deposit's funds are settled.
    Settled,
    /// The debit came back: the money never arrives. Holds the bank's reason code.
    Returned(String),
}

/// How a purchase is paid: incentive grants first, then the paid balance above zero, then
/// the credit line ([0204]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PaidFrom {
    /// From incentive grants.
    pub incentive: Amount,
    /// From the paid balance above zero.
    pub balance: Amount,
    /// Drawn on the credit line.
    pub credit: Amount,
}

/// What a member request's `Idempotency-Key` decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeptDecision<'a> {
    /// Go on; journal this event (the key kept) with the request's own, if there is one.
    Proceed(Option<Event>),
    /// A retry: answer as the first request ended.
    Replay(&'a KeptRequest),
}

/// A member's cash-out request, parsed at the edge: the charge computed from the configured
/// rule, the destination tokenized by the processor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CashOut {
    /// The new cash-out's id (drawn at the edge).
    pub cash_out: CashOutId,
    /// The wallet.
    pub currency: Currency,
    /// Taken from the balance.
    pub amount: Amount,
    /// The service charge (`CashOutCharge::on` the amount).
    pub charge: Amount,
    /// Where the money goes.
    pub destination: Destination,
}

/// A member's transfer to another member, parsed at the edge: the recipient's account found
/// by e-mail and checked able to receive, the id drawn there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendTransfer {
    /// The new transfer's id.
    pub transfer: TransferId,
    /// The login sending it (its limits count it).
    pub login: LoginId,
    /// The recipient's account.
    pub to: AccountId,
    /// The wallet it leaves (and the recipient's it enters).
    pub currency: Currency,
    /// Amount to move.
    pub amount: Amount,
    /// The sender's note.
    pub note: String,
}

/// The bank account a cash-out pays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A bank account the member saved as a payment method.
    Saved(PaymentMethodId),
    /// A bank account given with the request, tokenized at the edge (not saved).
    Given(SavedMethod),
}

/// A member registering, the password already hashed at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAccount {
    /// The new account's id (drawn at the edge).
    pub account: AccountId,
    /// Its first login's id (drawn at the edge).
    pub login: LoginId,
    /// The lower-cased sign-in e-mail; `None` for accounts that cannot sign in (seeded).
    pub email: Option<String>,
    /// Argon2id PHC string of the password; empty for accounts that cannot sign in.
    pub password_hash: String,
    /// Language tag for pages and mail.
    pub language: String,
    /// IANA time zone of the member's calendar.
    pub time_zone: String,
    /// The first wallet's currency.
    pub currency: Currency,
    /// A payment method to save at once, tokenized at the edge (the buy window's register
    /// form can ask for the test card).
    pub payment_method: Option<SavedMethod>,
    /// The signup bonus of the registration's currency, if it has one ([0116]).
    pub signup_bonus: Option<Grant>,
    /// The vendor whose referral link the member came through, if any.
    pub referral: Option<Referral>,
    /// The member unticked the registration's "send me offers" box ([0264]): journaled only
    /// with a referral, since the box is offered only to members a vendor sent.
    pub vendor_offers_declined: bool,
    /// Security questions given at registration, answers hashed (none: never asked).
    pub security_questions: Vec<SecurityQuestion>,
}

/// A field of a registration breaks its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInvalid {
    /// The wire name of the field.
    pub param: &'static str,
    /// The rule, as the edge shows it.
    pub rule: &'static str,
}

/// The checks of [`decide_open`] on its own, so the edge can refuse a bad registration before
/// it pays for hashing the password.
///
/// # Errors
/// The `OpenInvalid` of the first failing check.
pub fn check_open_fields(language: &str, time_zone: &str) -> Result<(), OpenInvalid> {
    check_language(language)?;
    if MemberZone::new(time_zone).is_err() {
        return Err(OpenInvalid {
            param: "time_zone",
            rule: "an IANA time zone name",
        });
    }
    Ok(())
}

/// The language tag check of a registration, of an added login and of a login's profile:
/// 2 to 16 letters, digits and hyphens once trimmed (a tag the pages may not know still passes,
/// and falls back to negotiation where it is read).
///
/// # Errors
/// `OpenInvalid` naming `language`.
pub fn check_language(language: &str) -> Result<(), OpenInvalid> {
    let language = language.trim();
    let language_ok = (2..=16).contains(&language.len())
        && language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !language_ok {
        return Err(OpenInvalid {
            param: "language",
            rule: "a language tag such as en, ja or pt-BR",
        });
    }
    Ok(())
}

/// Decides opening an account: `AccountOpened`, then `PaymentMethodAdded` when asked, then
/// the signup bonus's `IncentiveGranted` when the currency has one.
/// Checks, in order: the language tag (2 to 16 letters, digits and hyphens), the time zone
/// (a name in the bundled IANA database, so a replay can always rebuild the calendar).
///
/// # Errors
/// The `OpenInvalid` of the first failing check.
pub fn decide_open(command: OpenAccount, now: Timestamp) -> Result<Vec<Event>, OpenInvalid> {
    check_open_fields(&command.language, &command.time_zone)?;
    let language = command.language.trim();
    let mut events = vec![Event::AccountOpened {
        account: command.account,
        login: Login::holder(command.login, command.email, command.password_hash),
        language: language.to_owned(),
        time_zone: command.time_zone,
        currency: command.currency,
        at: now,
    }];
    if !command.security_questions.is_empty() {
        events.push(Event::SecurityQuestionsSet {
            account: command.account,
            questions: command.security_questions,
            at: now,
        });
    }
    if let Some(method) = command.payment_method {
        events.push(Event::PaymentMethodAdded {
            account: command.account,
            method,
            at: now,
        });
    }
    if let Some(grant) = command.signup_bonus {
        events.push(Event::IncentiveGranted {
            account: command.account,
            grant,
            redeemed: false,
        });
    }
    if let Some(referral) = command.referral {
        events.push(Event::ReferralRecorded {
            account: command.account,
            vendor: referral.vendor,
            until: referral.until,
            at: now,
        });
        if command.vendor_offers_declined {
            events.push(Event::VendorOffersDeclined {
                account: command.account,
                vendor: referral.vendor,
                at: now,
            });
        }
    }
    Ok(events)
}

/// A purchase request, already authenticated and parsed at the edge.
#[derive(Clone, Debug)]
pub struct AuthorizeCommand {
    /// The login from the buyer token.
    pub login: LoginId,
    /// The session from the buyer token.
    pub session: SessionId,
    /// The charging vendor (authenticated).
    pub vendor: VendorId,
    /// The price to charge.
    pub price: Amount,
    /// Its currency.
    pub currency: Currency,
    /// What is being bought.
    pub content: ContentKey,
    /// The vendor's terms.
    pub terms: Terms,
    /// Idempotency key and request digest, when the vendor sent one.
    pub idempotency: Option<IdempotencyStamp>,
    /// Id for the purchase if one is made (drawn at the edge).
    pub new_authorization: AuthorizationId,
    /// Id for the entitlement if one is created (drawn at the edge).
    pub new_entitlement: EntitlementId,
    /// The buy-window offer being bought, when the purchase comes from one.
    pub offer: Option<OfferId>,
    /// Which of the member's incentive grants may pay: the offer's `incentive_ids` (any, for
    /// an authorize without an offer).
    pub incentives: IncentivePolicy,
    /// Rights holders owed a share of the price (checked at the edge).
    pub royalties: Vec<Royalty>,
    /// The title it is sold under (checked at the edge), kept in the purchase's event for
    /// the statement.
    pub title: String,
    /// The normalized content URL, kept in the event as the title is.
    pub content_url: String,
}

/// What an authorize decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeDecision {
    /// Charge: journal and apply this event.
    Purchase(Event),
    /// Owned and valid: grant without charge and without a write.
    AlreadyOwned(EntitlementId),
    /// A retry of an earlier request with the same key and body: answer as before.
    Replay(EntitlementId),
}

/// An access check, already authenticated (the token opened for this vendor).
#[derive(Clone, Debug)]
pub struct AccessCommand {
    /// The entitlement named in the token.
    pub entitlement: EntitlementId,
    /// The token's unique id.
    pub token_id: u64,
    /// When the token expires (spent ids are remembered until then).
    pub token_expires_at: Timestamp,
    /// The vendor presenting the token.
    pub vendor: VendorId,
    /// The content the vendor is about to show.
    pub content_url: String,
}

/// What an access check decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessDecision {
    /// Limited views: count the view durably (journal this event) before granting.
    CountView(Event),
    /// Unlimited: grant, remember the token as spent, no write.
    Grant,
}

impl AccountState {
    /// The state right after `AccountOpened`.
    #[must_use]
    pub fn opened(id: AccountId, zone: MemberZone, language: String) -> AccountState {
        AccountState {
            id,
            zone,
            language: language.into_boxed_str(),
            frozen: false,
            logins: VecMap::new(),
            wallets: VecMap::new(),
            limits: VecMap::new(),
            spending: VecMap::new(),
            sessions: VecMap::new(),
            entitlements: BTreeMap::new(),
            pending_deposits: VecMap::new(),
            unsettled_deposits: VecMap::new(),
            kept: KeptRequests::new(),
            deposit_references: VecSet::new(),
            idempotency: VecMap::new(),
            latest_by_content: BTreeMap::new(),
            payment_methods: VecMap::new(),
            spent_access_tokens: VecMap::new(),
            received_transfers: VecMap::new(),
            grants: VecMap::new(),
            redeemed: VecSet::new(),
            incentive_paid: BTreeMap::new(),
            referral: None,
            sale_parties: BTreeMap::new(),
            disputes: BTreeMap::new(),
            vendor_offers_declined: false,
            step_up: StepUp::default(),
            closed_at: None,
        }
    }

    /// Entries a snapshot of this account stores: what encoding one costs. The derived index
    /// and the in-memory spent tokens are not stored.
    #[must_use]
    pub fn stored_entries(&self) -> u64 {
        let entries = [
            self.logins.len(),
            self.wallets.len(),
            self.limits.len(),
            self.spending.len(),
            self.sessions.len(),
            self.entitlements.len(),
            self.deposit_references.len(),
            self.idempotency.len(),
            self.grants.len(),
            self.incentive_paid.len(),
            self.sale_parties.len(),
            self.disputes.len(),
        ]
        .into_iter()
        .fold(0_usize, usize::saturating_add);
        u64::try_from(entries).unwrap_or(u64::MAX)
    }

    /// A new account from its `AccountOpened` event (applied), or `None` for any other event
    /// or a time zone the edge should have refused.
    #[must_use]
    pub fn from_opened(event: &Event) -> Option<AccountState> {
        let Event::AccountOpened {
            account,
            language,
            time_zone,
            ..
        } = event
        else {
            return None;
        };
        let zone = MemberZone::new(time_zone).ok()?;
        let mut state = AccountState::opened(*account, zone, language.clone());
        state.apply(event);
        Some(state)
    }

    /// The login with this e-mail, if any.
    #[must_use]
    pub fn login_by_email(&self, email: &str) -> Option<&Login> {
        self.logins
            .values()
            .find(|login| login.email.as_deref() == Some(email))
    }

    /// The session if it is usable by `login` at `now`.
    ///
    /// # Errors
    /// `SessionUnknown`, `SessionEnded`, `SessionExpired`.
    pub fn live_session(
        &self,
        login: LoginId,
        session: SessionId,
        now: Timestamp,
    ) -> Result<&Session, Reject> {
        let found = self
            .sessions
            .get(&session)
            .filter(|s| s.login == login)
            .ok_or(Reject::SessionUnknown)?;
        match found.invalid_reason(now) {
            Some(reject) => Err(reject),
            None => Ok(found),
        }
    }

    /// Decides an admin or seeded deposit with what it repays: the `Deposited` event, then
    /// the `DebtRepaid` of an open debt, to journal as one group. Empty: the reference was
    /// credited before.
    ///
    /// # Errors
    /// Those of [`AccountState::decide_deposit`].
    pub fn decide_credit(
        &self,
        currency: Currency,
        amount: Amount,
        reference: &str,
        now: Timestamp,
        by: Origin,
    ) -> Result<Vec<Event>, Reject> {
        let Some(deposited) = self.decide_deposit(currency, amount, reference, now, by)? else {
            return Ok(Vec::new());
        };
        Ok([deposited]
            .into_iter()
            .chain(self.repayment(currency, amount, now))
            .collect())
    }

    /// Decides a deposit alone. `Ok(None)`: the reference was credited before (nothing to do).
    /// An account journals it through [`AccountState::decide_credit`], which adds the
    /// repayment of an open debt.
    ///
    /// # Errors
    /// `AccountClosed` once closed (its money could never leave again); `WalletMissing`
    /// without a wallet in `currency`; `AmountTooLarge` on overflow.
    pub fn decide_deposit(
        &self,
        currency: Currency,
        amount: Amount,
        reference: &str,
        now: Timestamp,
        by: Origin,
    ) -> Result<Option<Event>, Reject> {
        if self.deposit_references.contains(reference) {
            return Ok(None);
        }
        if self.is_closed() {
            return Err(Reject::AccountClosed);
        }
        self.check_credit_fits(currency, amount)?;
        Ok(Some(Event::Deposited {
            account: self.id,
            currency,
            amount,
            reference: reference.to_owned(),
            by,
            at: now,
        }))
    }

    /// The repayment a credit of `amount` makes of the wallet's debt, if it has one: a debt is
    /// repaid first from the next money in ([0233]). Decided with the credit and journaled
    /// right after it, in the same group.
    #[must_use]
    pub fn repayment(&self, currency: Currency, amount: Amount, now: Timestamp) -> Option<Event> {
        let debt = self.wallets.get(&currency)?.debt;
        let repaid = amount.min(debt);
        (!repaid.is_zero()).then_some(Event::DebtRepaid {
            account: self.id,
            currency,
            amount: repaid,
            at: now,
        })
    }

    /// Whether crediting `amount` to the `currency` wallet fits, on top of every deposit still
    /// pending in it (each of those may yet be credited, and a credit cannot be refused once
    /// the card is charged).
    ///
    /// # Errors
    /// `WalletMissing` without a wallet in `currency`; `AmountTooLarge` on overflow.
    fn check_credit_fits(&self, currency: Currency, amount: Amount) -> Result<(), Reject> {
        let wallet = self.wallets.get(&currency).ok_or(Reject::WalletMissing)?;
        let incoming = self
            .pending_deposits
            .values()
            .filter(|pending| pending.currency == currency)
            .try_fold(amount, |sum, pending| sum.checked_add(pending.amount))
            .ok_or(Reject::AmountTooLarge)?;
        wallet
            .balance
            .checked_add_amount(incoming)
            .ok_or(Reject::AmountTooLarge)?;
        wallet
            .deposited
            .checked_add(incoming)
            .ok_or(Reject::AmountTooLarge)?;
        Ok(())
    }

    /// Decides starting a deposit from a saved payment method: everything that could keep
    /// the credit from landing is checked here, before the processor is called, so a card is
    /// never charged for a deposit that would then be refused. Checks, in order: account not
    /// frozen; amount within `amount_max`; the method saved; a wallet in the currency; the
    /// credit fits (with the deposits still pending); fewer than `DEPOSITS_PENDING_MAX`
    /// pending; a fresh id. The event carries the method as it is now, so the charge can be
    /// resolved after a crash even if the member removes the method in between.
    ///
    /// # Errors
    /// `Frozen`, `AmountTooLarge`, `PaymentMethodUnknown`, `WalletMissing`,
    /// `DepositInProgress`.
    pub fn decide_start_deposit(
        &self,
        command: &StartDeposit,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.frozen {
            return Err(Reject::Frozen);
        }
        if command.amount > command.amount_max {
            return Err(Reject::AmountTooLarge);
        }
        let method = self
            .payment_methods
            .get(&command.method)
            .ok_or(Reject::PaymentMethodUnknown)?;
        self.check_credit_fits(command.currency, command.amount)?;
        if self.pending_deposits.len() >= DEPOSITS_PENDING_MAX {
            return Err(Reject::DepositInProgress);
        }
        // Every started debit may become unsettled: count them together against the bound.
        let debits = self
            .pending_deposits
            .values()
            .chain(self.unsettled_deposits.values())
            .filter(|deposit| deposit.method.rail == Rail::BankDebit)
            .count();
        if method.rail == Rail::BankDebit && debits >= DEPOSITS_UNSETTLED_MAX {
            return Err(Reject::DepositInProgress);
        }
        if self.pending_deposits.contains_key(&command.deposit) {
            return Err(Reject::DepositInProgress);
        }
        Ok(Event::DepositStarted {
            account: self.id,
            deposit: command.deposit,
            currency: command.currency,
            amount: command.amount,
            method: method.clone(),
            via: command.via,
            at: now,
        })
    }

    /// Looks up a member request by its `Idempotency-Key`, if it has one: a retry of one kept
    /// within retention is answered from its record; a first one proceeds, with the event
    /// that keeps it (journaled with what the request does; `subject`: its deposit or
    /// cash-out id).
    ///
    /// # Errors
    /// `IdempotencyKeyReused` when the key was kept for another body.
    pub fn decide_keep_request(
        &self,
        route: MemberRoute,
        stamp: Option<&IdempotencyStamp>,
        subject: u64,
        now: Timestamp,
        policy: &AccountPolicy,
    ) -> Result<KeptDecision<'_>, Reject> {
        let Some(stamp) = stamp else {
            return Ok(KeptDecision::Proceed(None));
        };
        let retention_ms = policy.idempotency_retention_ms;
        match super::kept::check(&self.kept, route, stamp, retention_ms, now)? {
            KeptCheck::Replay(request) => Ok(KeptDecision::Replay(request)),
            KeptCheck::Keep(forgotten) => Ok(KeptDecision::Proceed(Some(Event::RequestKept {
                account: self.id,
                route,
                key: stamp.key.clone(),
                digest: stamp.request_digest,
                subject,
                forgotten,
                at: now,
            }))),
        }
    }

    /// Decides the outcome of a started deposit: credited when the processor charged,
    /// accepted (credited as unsettled) when a bank debit is pending, failed when it declined;
    /// a credit repays an open debt first. Empty when the deposit is not pending (finished
    /// already, or never started): finishing is idempotent, so a second answer for one charge
    /// credits nothing.
    #[must_use]
    pub fn decide_finish_deposit(
        &self,
        deposit: DepositId,
        outcome: &DepositOutcome,
        now: Timestamp,
    ) -> Vec<Event> {
        let Some(pending) = self.pending_deposits.get(&deposit) else {
            return Vec::new();
        };
        let credited = match outcome {
            DepositOutcome::Charged(reference) => Event::DepositCredited {
                account: self.id,
                deposit,
                currency: pending.currency,
                amount: pending.amount,
                charge_reference: reference.clone(),
                via: pending.via,
                at: now,
            },
            DepositOutcome::Pending(reference) => Event::DepositAccepted {
                account: self.id,
                deposit,
                currency: pending.currency,
                amount: pending.amount,
                charge_reference: reference.clone(),
                at: now,
            },
            DepositOutcome::Declined(reason) => {
                return vec![Event::DepositFailed {
                    account: self.id,
                    deposit,
                    reason: reason.clone(),
                    at: now,
                }];
            }
        };
        let mut events = vec![credited];
        events.extend(self.repayment(pending.currency, pending.amount, now));
        events
    }

    /// Decides what the bank did with an accepted debit ([0233]). Settled: its money is final.
    /// Returned: the money is taken back from the paid balance as far as the balance is above
    /// zero (never into the credit line, which the member did not choose to draw), and the
    /// rest, already spent, becomes the wallet's debt. `None` when the debit is not unsettled
    /// (settled or returned before): idempotent like finishing a deposit.
    #[must_use]
    pub fn decide_settle_deposit(
        &self,
        deposit: DepositId,
        settlement: &Settlement,
        now: Timestamp,
    ) -> Option<Event> {
        let unsettled = self.unsettled_deposits.get(&deposit)?;
        let wallet = self.wallets.get(&unsettled.currency)?;
        Some(match settlement {
            Settlement::Settled => Event::DepositSettled {
                account: self.id,
                deposit,
                currency: unsettled.currency,
                amount: unsettled.amount,
                via: unsettled.via,
                at: now,
            },
            Settlement::Returned(reason) => {
                let covered = wallet.balance.headroom_above(Balance::ZERO);
                let taken = unsettled.amount.min(covered);
                Event::DepositReturned {
                    account: self.id,
                    deposit,
                    currency: unsettled.currency,
                    amount: unsettled.amount,
                    debt: unsettled.amount.checked_sub(taken).unwrap_or(Amount::ZERO),
                    reason: reason.clone(),
                    at: now,
                }
            }
        })
    }

    /// Decides saving a payment method the processor tokenized ([0229]). Checks, in order:
    /// account not frozen; fewer than `PAYMENT_METHODS_MAX` saved; a fresh id.
    ///
    /// # Errors
    /// `Frozen`, `PaymentMethodQuotaExceeded`.
    pub fn decide_add_payment_method(
        &self,
        method: SavedMethod,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.frozen {
            return Err(Reject::Frozen);
        }
        if self.payment_methods.len() >= PAYMENT_METHODS_MAX
            || self.payment_methods.contains_key(&method.id)
        {
            return Err(Reject::PaymentMethodQuotaExceeded);
        }
        Ok(Event::PaymentMethodAdded {
            account: self.id,
            method,
            at: now,
        })
    }

    /// Decides removing a saved payment method. Deposits already started keep their own copy
    /// of it, so they still finish.
    ///
    /// # Errors
    /// `PaymentMethodUnknown`.
    pub fn decide_remove_payment_method(
        &self,
        method: PaymentMethodId,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if !self.payment_methods.contains_key(&method) {
            return Err(Reject::PaymentMethodUnknown);
        }
        Ok(Event::PaymentMethodRemoved {
            account: self.id,
            method,
            at: now,
        })
    }

    /// The method a top-off in `currency` is charged to: the one its wallet's top-off setting
    /// names (while it is saved), else the first card saved.
    #[must_use]
    pub fn top_off_method(&self, currency: Currency) -> Option<&SavedMethod> {
        let chosen = self
            .wallets
            .get(&currency)
            .and_then(|wallet| wallet.top_off)
            .and_then(|setting| self.payment_methods.get(&setting.method));
        chosen.or_else(|| {
            self.payment_methods
                .values()
                .filter(|method| method.rail == Rail::Card)
                .min_by_key(|method| method.added_at)
        })
    }

    /// How much more money the wallet needs to pay `price` (balance plus credit line), or
    /// `None` when it can pay. The buy window offers to top off this shortage ([0229]).
    #[must_use]
    pub fn shortage(&self, currency: Currency, price: Amount) -> Option<Amount> {
        let wallet = self.wallets.get(&currency)?;
        price
            .checked_sub(wallet.available())
            .filter(|short| !short.is_zero())
    }

    /// Decides a wallet's automatic top-off ([0230]); `None` turns it off. Checks, in order:
    /// a wallet in the currency; the method saved; the amount within `amount_max` (a top-off
    /// charges at least this much).
    ///
    /// # Errors
    /// `WalletMissing`, `PaymentMethodUnknown`, `AmountTooLarge`.
    pub fn decide_top_off(
        &self,
        currency: Currency,
        setting: Option<TopOff>,
        amount_max: Amount,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if !self.wallets.contains_key(&currency) {
            return Err(Reject::WalletMissing);
        }
        if let Some(top_off) = setting {
            if !self.payment_methods.contains_key(&top_off.method) {
                return Err(Reject::PaymentMethodUnknown);
            }
            if top_off.amount > amount_max {
                return Err(Reject::AmountTooLarge);
            }
        }
        Ok(Event::TopOffSet {
            account: self.id,
            currency,
            setting,
            at: now,
        })
    }

    /// The top-off a purchase of `price` in `currency` would need: the enabled setting and
    /// the charge (shortage plus the setting's amount), when the wallet is short, has no debt
    /// and its setting names a method still saved.
    #[must_use]
    pub fn top_off_needed(&self, currency: Currency, price: Amount) -> Option<(TopOff, Amount)> {
        let wallet = self.wallets.get(&currency)?;
        let setting = wallet.top_off?;
        if !wallet.debt.is_zero() || !self.payment_methods.contains_key(&setting.method) {
            return None;
        }
        let shortage = self.shortage(currency, price)?;
        Some((setting, shortage.checked_add(setting.amount)?))
    }

    /// Decides a cash-out of settled paid balance ([0274]). Checks, in order: account not
    /// frozen; a wallet in the currency; no debt; the charge below the amount (something must
    /// reach the bank); a saved destination is a bank account of this member; the amount
    /// within the settled paid balance (the balance above zero, less bank debits not yet
    /// settled: never the credit line, never incentive grants).
    ///
    /// # Errors
    /// `Frozen`, `WalletMissing`, `DebtOutstanding`, `CashOutBelowCharge`,
    /// `PaymentMethodUnknown`, `InsufficientFunds`.
    pub fn decide_cash_out(&self, command: &CashOut, now: Timestamp) -> Result<Event, Reject> {
        if self.frozen {
            return Err(Reject::Frozen);
        }
        let wallet = self
            .wallets
            .get(&command.currency)
            .ok_or(Reject::WalletMissing)?;
        if !wallet.debt.is_zero() {
            return Err(Reject::DebtOutstanding);
        }
        if command.charge >= command.amount {
            return Err(Reject::CashOutBelowCharge);
        }
        let destination = match &command.destination {
            Destination::Given(account) => account.clone(),
            Destination::Saved(id) => self
                .payment_methods
                .get(id)
                .filter(|method| method.rail == Rail::BankDebit)
                .cloned()
                .ok_or(Reject::PaymentMethodUnknown)?,
        };
        if command.amount > wallet.settled() {
            return Err(Reject::InsufficientFunds);
        }
        Ok(Event::CashedOut {
            account: self.id,
            cash_out: command.cash_out,
            currency: command.currency,
            amount: command.amount,
            charge: command.charge,
            destination,
            at: now,
        })
    }

    /// Decides a transfer to another member ([0272]). Checks, in order: account not frozen;
    /// not to itself; a wallet in the currency; no debt; the login's day, week and month
    /// limits (a transfer counts toward them); the amount within the settled paid balance
    /// (above zero, less bank debits not yet settled: never the credit line or incentives).
    /// Whether the recipient can receive was checked at the edge, and a receipt is never
    /// refused once sent.
    ///
    /// # Errors
    /// `Frozen`, `TransferToSelf`, `WalletMissing`, `DebtOutstanding`, `LimitReached`,
    /// `InsufficientFunds`, `AmountTooLarge`.
    pub fn decide_send_transfer(
        &self,
        command: &SendTransfer,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.frozen {
            return Err(Reject::Frozen);
        }
        if command.to == self.id {
            return Err(Reject::TransferToSelf);
        }
        let wallet = self
            .wallets
            .get(&command.currency)
            .ok_or(Reject::WalletMissing)?;
        if !wallet.debt.is_zero() {
            return Err(Reject::DebtOutstanding);
        }
        let key = (command.login, command.currency);
        let periods = self.zone.periods(now);
        let spending = self.spending.get(&key).cloned().unwrap_or_default();
        if let Some(limits) = self.limits.get(&key)
            && let Some(kind) = limits.period_exceeded_by(command.amount, &spending, &periods)
        {
            return Err(Reject::LimitReached(kind));
        }
        if command.amount > wallet.settled() {
            return Err(Reject::InsufficientFunds);
        }
        spending
            .with_purchase(&periods, command.amount)
            .ok_or(Reject::AmountTooLarge)?;
        Ok(Event::TransferSent(Box::new(InTransit {
            transfer: command.transfer,
            from: self.id,
            login: command.login,
            to: command.to,
            currency: command.currency,
            amount: command.amount,
            note: command.note.clone(),
            sent_at: now,
            at: now,
        })))
    }

    /// Whether this account can be sent a transfer: not frozen, not closed (one answer for
    /// both).
    ///
    /// # Errors
    /// `RecipientUnavailable`.
    pub fn check_can_receive(&self) -> Result<(), Reject> {
        if self.frozen || self.is_closed() {
            return Err(Reject::RecipientUnavailable);
        }
        Ok(())
    }

    /// Decides receiving a sent transfer: the wallet in its currency is credited (opened if
    /// missing). `Ok(None)` when it was received before (a delivery again credits nothing).
    /// Money already sent is never refused for the state of this account (a member who froze
    /// after the transfer was sent still receives it).
    ///
    /// # Errors
    /// `AmountTooLarge` when the balance would overflow: the transfer stays in transit.
    pub fn decide_receive_transfer(
        &self,
        sent: &InTransit,
        now: Timestamp,
    ) -> Result<Option<Event>, Reject> {
        if sent.to != self.id {
            return Err(Reject::RecipientUnavailable);
        }
        if self.received_transfers.contains_key(&sent.transfer) {
            return Ok(None);
        }
        if let Some(wallet) = self.wallets.get(&sent.currency) {
            wallet
                .balance
                .checked_add_amount(sent.amount)
                .ok_or(Reject::AmountTooLarge)?;
        }
        Ok(Some(Event::TransferReceived(Box::new(InTransit {
            at: now,
            ..sent.clone()
        }))))
    }

    /// Decides a new credit line.
    ///
    /// # Errors
    /// `WalletMissing` without a wallet; `AmountTooLarge` when it cannot be a balance;
    /// `CreditLineBelowBalance` when the balance already drawn is below the new line's floor.
    pub fn decide_credit_line(
        &self,
        currency: Currency,
        limit: Amount,
        now: Timestamp,
        by: Origin,
    ) -> Result<Event, Reject> {
        let wallet = self.wallets.get(&currency).ok_or(Reject::WalletMissing)?;
        let floor = Balance::negative_of(limit).ok_or(Reject::AmountTooLarge)?;
        // A line below the current draw would break the floor invariant `apply` asserts.
        if wallet.balance < floor {
            return Err(Reject::CreditLineBelowBalance);
        }
        Ok(Event::CreditLineSet {
            account: self.id,
            currency,
            limit,
            by,
            at: now,
        })
    }

    /// Decides opening a wallet ([0114]): one per currency, each with its own balance,
    /// credit line and limits. The edge admits only the configured currencies, which also
    /// bounds how many wallets an account holds. Checks, in order: account not frozen; no
    /// wallet in the currency yet.
    ///
    /// # Errors
    /// `Frozen`, `WalletExists`.
    pub fn decide_open_wallet(&self, currency: Currency, now: Timestamp) -> Result<Event, Reject> {
        if self.frozen {
            return Err(Reject::Frozen);
        }
        if self.wallets.contains_key(&currency) {
            return Err(Reject::WalletExists);
        }
        Ok(Event::WalletOpened {
            account: self.id,
            currency,
            at: now,
        })
    }

    /// Decides a sign-in that already passed the password check at the edge.
    ///
    /// # Errors
    /// `AccountClosed`, `LoginUnknown`, `LoginDisabled`.
    pub fn decide_start_session(
        &self,
        login: LoginId,
        session: SessionId,
        expiry: SessionExpiry,
        now: Timestamp,
        policy: &AccountPolicy,
    ) -> Result<Event, Reject> {
        // A frozen account may sign in (to unfreeze it); it cannot buy. A closed one may not
        // (the edge refuses first: its e-mails and password hashes are gone).
        if self.is_closed() {
            return Err(Reject::AccountClosed);
        }
        match self.logins.get(&login) {
            None => return Err(Reject::LoginUnknown),
            Some(found) if found.disabled => return Err(Reject::LoginDisabled),
            Some(_) => {}
        }
        let mut own: Vec<&Session> = self
            .sessions
            .values()
            .filter(|s| s.login == login)
            .collect();
        let mut evicted: Vec<SessionId> = own
            .iter()
            .filter(|s| s.invalid_reason(now).is_some())
            .map(|s| s.id)
            .collect();
        own.retain(|s| s.invalid_reason(now).is_none());
        own.sort_by_key(|s| (s.started_at, s.id));
        let keep = policy.sessions_per_login_max.saturating_sub(1);
        let excess = own.len().saturating_sub(keep);
        evicted.extend(own.iter().take(excess).map(|s| s.id));
        let started = Session {
            id: session,
            login,
            started_at: now,
            last_purchase_at: now,
            expiry,
            ended: false,
            spent: BTreeMap::new(),
        };
        Ok(Event::SessionStarted {
            account: self.id,
            session: started,
            evicted,
        })
    }

    /// Decides a logout. Ending an ended or unknown session is refused so the caller learns it.
    ///
    /// # Errors
    /// Those of [`AccountState::live_session`].
    pub fn decide_end_session(
        &self,
        login: LoginId,
        session: SessionId,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        self.live_session(login, session, now)?;
        Ok(Event::SessionEnded {
            account: self.id,
            session,
            at: now,
        })
    }

    /// Decides new limits for `login`, set by `by`. Only the holder sets limits, its own and
    /// its sub-members': a sub-member cannot lift what the holder set ([0277]).
    ///
    /// # Errors
    /// `HolderOnly` when `by` is not the holder; `LoginNotFound` for a login the account does
    /// not have; `WalletMissing` without a wallet in `currency`.
    pub fn decide_limits(
        &self,
        by: LoginId,
        login: LoginId,
        currency: Currency,
        limits: Limits,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.role_of(by) != Some(LoginRole::Holder) {
            return Err(Reject::HolderOnly);
        }
        if !self.logins.contains_key(&login) {
            return Err(Reject::LoginNotFound);
        }
        if !self.wallets.contains_key(&currency) {
            return Err(Reject::WalletMissing);
        }
        Ok(Event::LimitsSet {
            account: self.id,
            login,
            currency,
            limits,
            at: now,
        })
    }

    /// Decides a freeze or unfreeze. Setting the flag it already has is still an event, so the
    /// caller's intent is recorded; freezing ends every session.
    #[must_use]
    pub fn decide_freeze(&self, frozen: bool, now: Timestamp) -> Event {
        Event::FreezeSet {
            account: self.id,
            frozen,
            at: now,
        }
    }

    /// Decides a purchase. Checks, in order of precedence:
    /// 1. idempotency: same key and body → replay; same key, other body → `IdempotencyKeyReused`
    ///    (first, so a retry after the session ended still gets its answer);
    /// 2. account not closed (its sessions ended with it; said first, so a buyer token of it
    ///    gets one answer);
    /// 3. session known, not ended, not expired, of this login;
    /// 4. account not frozen;
    /// 5. a wallet in the price's currency;
    /// 6. the login's vendor allowlist;
    /// 7. owned and valid → granted without charge (no limit or funds check: nothing is spent);
    /// 8. no debt open in the wallet (a returned bank debit is repaid first);
    /// 9. limits: per transaction, session, day, week, month, then unusual activity
    ///    (`policy.unusual`) for a login that is asked to step up and has not passed lately:
    ///    `StepUpRequired`;
    /// 10. funds: balance minus price stays at or above minus the credit line.
    ///
    /// # Errors
    /// The `Reject` of the first failing check.
    pub fn decide_authorize(
        &self,
        command: &AuthorizeCommand,
        now: Timestamp,
        policy: &AccountPolicy,
    ) -> Result<AuthorizeDecision, Reject> {
        if let Some(stamp) = &command.idempotency
            && let Some(record) = self.idempotency.get(&(command.vendor, stamp.key.clone()))
            && record.recorded_at.plus_ms(policy.idempotency_retention_ms) > now
        {
            if record.request_digest != stamp.request_digest {
                return Err(Reject::IdempotencyKeyReused);
            }
            return Ok(AuthorizeDecision::Replay(record.entitlement));
        }
        if self.is_closed() {
            return Err(Reject::AccountClosed);
        }
        let session = self.live_session(command.login, command.session, now)?;
        if self.frozen {
            return Err(Reject::Frozen);
        }
        let wallet = self
            .wallets
            .get(&command.currency)
            .ok_or(Reject::WalletMissing)?;
        let limit_key = (command.login, command.currency);
        let no_limits = Limits::default();
        let limits = self.limits.get(&limit_key).unwrap_or(&no_limits);
        if !limits.allows_vendor(command.vendor) {
            return Err(Reject::VendorNotAllowed);
        }
        if let Some(owned) = self.valid_entitlement(&command.content, now) {
            return Ok(AuthorizeDecision::AlreadyOwned(owned.id));
        }
        if !wallet.debt.is_zero() {
            return Err(Reject::DebtOutstanding);
        }
        let periods = self.zone.periods(now);
        let spending = self.spending.get(&limit_key).cloned().unwrap_or_default();
        let session_spent = session
            .spent
            .get(&command.currency)
            .copied()
            .unwrap_or(Amount::ZERO);
        if let Some(kind) = limits.exceeded_by(command.price, session_spent, &spending, &periods) {
            return Err(Reject::LimitReached(kind));
        }
        if self.asks_step_up(command.login)
            && self
                .step_up
                .unusual(policy.unusual, command.currency, command.price, now)
            && !self.step_up.passed(command.login, now)
        {
            return Err(Reject::StepUpRequired);
        }
        let incentives = plan_spend(
            self.grants.values(),
            command.vendor,
            command.currency,
            &command.incentives,
            command.price,
            now,
        );
        let from_wallet = command
            .price
            .checked_sub(spent_total(&incentives))
            .ok_or(Reject::AmountTooLarge)?;
        if from_wallet > wallet.available() {
            return Err(Reject::InsufficientFunds);
        }
        // Overflow checks that apply would otherwise have to trust.
        wallet
            .balance
            .checked_sub_amount(from_wallet)
            .ok_or(Reject::AmountTooLarge)?;
        spending
            .with_purchase(&periods, command.price)
            .ok_or(Reject::AmountTooLarge)?;
        session_spent
            .checked_add(command.price)
            .ok_or(Reject::AmountTooLarge)?;
        let idempotency_expired = self
            .idempotency
            .iter()
            .filter(|(_, record)| {
                record.recorded_at.plus_ms(policy.idempotency_retention_ms) <= now
            })
            .map(|(key, _)| key.clone())
            .collect();
        let entitlement = Entitlement {
            id: command.new_entitlement,
            key: command.content.clone(),
            authorization: command.new_authorization,
            price: command.price,
            currency: command.currency,
            purchased_at: now,
            views_allowed: command.terms.views,
            views_used: 0,
            expires_at: command.terms.expiry_from(now),
            reversed_at: None,
        };
        Ok(AuthorizeDecision::Purchase(Event::Authorized(Box::new(
            Authorized {
                account: self.id,
                authorization: command.new_authorization,
                login: command.login,
                session: command.session,
                vendor: command.vendor,
                entitlement,
                idempotency: command.idempotency.clone(),
                idempotency_expired,
                offer: command.offer,
                incentives,
                parties: SaleParties {
                    royalties: command.royalties.clone(),
                    referrer: self
                        .referral
                        .filter(|referral| referral.until > now)
                        .map(|referral| referral.vendor),
                },
                title: command.title.clone(),
                content_url: command.content_url.clone(),
                at: now,
            },
        ))))
    }

    /// How a purchase decided now is paid (before it is applied): the grants it names
    /// first, then the paid balance above zero, the credit line for the rest.
    #[must_use]
    pub fn payment_split(&self, authorized: &Authorized) -> PaidFrom {
        let currency = authorized.entitlement.currency;
        let incentive = spent_total(&authorized.incentives);
        let rest = authorized
            .entitlement
            .price
            .checked_sub(incentive)
            .unwrap_or(Amount::ZERO);
        let held = self.wallets.get(&currency).map_or(Amount::ZERO, |wallet| {
            wallet.balance.headroom_above(Balance::ZERO)
        });
        let balance = rest.min(held);
        PaidFrom {
            incentive,
            balance,
            credit: rest.checked_sub(balance).unwrap_or(Amount::ZERO),
        }
    }

    /// What the grants that could pay for a purchase at `vendor` in `currency` under `policy`
    /// hold at `now` (the buy window shows it; a purchase spends up to its price of it).
    #[must_use]
    pub fn usable_incentive(
        &self,
        vendor: VendorId,
        currency: Currency,
        policy: &IncentivePolicy,
        now: Timestamp,
    ) -> Amount {
        self.grants
            .values()
            .filter(|grant| grant.pays(vendor, currency, policy, now))
            .try_fold(Amount::ZERO, |sum, grant| sum.checked_add(grant.remaining))
            .unwrap_or(Amount::from_micros(u64::MAX))
    }

    /// What the wallet must pay of `price` at `vendor`: the rest after the grants the offer
    /// accepts. A top-off or a shortage counts only this; the card never pays for what
    /// incentives pay.
    #[must_use]
    pub fn wallet_share(
        &self,
        vendor: VendorId,
        currency: Currency,
        policy: &IncentivePolicy,
        price: Amount,
        now: Timestamp,
    ) -> Amount {
        price
            .checked_sub(self.usable_incentive(vendor, currency, policy, now))
            .unwrap_or(Amount::ZERO)
    }

    /// The incentive balance in `currency` at `now`: what live grants hold.
    #[must_use]
    pub fn incentive_balance(&self, currency: Currency, now: Timestamp) -> Amount {
        self.grants
            .values()
            .filter(|grant| grant.currency == currency && grant.live_at(now))
            .try_fold(Amount::ZERO, |sum, grant| sum.checked_add(grant.remaining))
            .unwrap_or(Amount::from_micros(u64::MAX))
    }

    /// Decides receiving an incentive grant whose budget was reserved. Checks, in order:
    /// account not frozen; for a redeemed code, not redeemed here before; fewer than
    /// `GRANTS_HELD_MAX` live grants and `REDEEMED_MAX` codes redeemed; a fresh id.
    ///
    /// # Errors
    /// `AccountClosed`, `Frozen`, `IncentiveAlreadyRedeemed`, `IncentiveQuotaExceeded`.
    pub fn decide_grant(
        &self,
        grant: Grant,
        redeemed: bool,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.is_closed() {
            return Err(Reject::AccountClosed);
        }
        if self.frozen {
            return Err(Reject::Frozen);
        }
        if redeemed
            && grant
                .program
                .is_some_and(|program| self.redeemed.contains(&program))
        {
            return Err(Reject::IncentiveAlreadyRedeemed);
        }
        let live = self.grants.values().filter(|g| g.live_at(now)).count();
        if live >= GRANTS_HELD_MAX
            || (redeemed && self.redeemed.len() >= REDEEMED_MAX)
            || self.grants.contains_key(&grant.id)
        {
            return Err(Reject::IncentiveQuotaExceeded);
        }
        Ok(Event::IncentiveGranted {
            account: self.id,
            grant,
            redeemed,
        })
    }

    /// The expiries the sweep records now: every grant held whose expiry is at or before
    /// `now`, with what was left of it.
    #[must_use]
    pub fn decide_expire_grants(&self, now: Timestamp) -> Vec<Event> {
        self.grants
            .values()
            .filter(|grant| !grant.live_at(now))
            .map(|grant| Event::IncentiveExpired {
                account: self.id,
                grant: grant.id,
                currency: grant.currency,
                amount: grant.remaining,
                funder: grant.funder,
                at: now,
            })
            .collect()
    }

    /// The newest entitlement to `content` if it still grants access at `now`.
    #[must_use]
    pub fn valid_entitlement(&self, content: &ContentKey, now: Timestamp) -> Option<&Entitlement> {
        let id = self.latest_by_content.get(content)?;
        self.entitlements
            .get(id)
            .filter(|e| e.invalid_reason(now).is_none())
    }

    /// Decides an access check ([0179]-[0180]). Checks, in order: entitlement known, of this
    /// vendor, for this content, token not spent, not reversed, not expired, views left.
    ///
    /// # Errors
    /// The `Reject` of the first failing check.
    pub fn decide_access(
        &self,
        command: &AccessCommand,
        now: Timestamp,
    ) -> Result<AccessDecision, Reject> {
        let entitlement = self
            .entitlements
            .get(&command.entitlement)
            .ok_or(Reject::EntitlementUnknown)?;
        if entitlement.key.vendor != command.vendor {
            return Err(Reject::EntitlementUnknown);
        }
        let content_matches = match entitlement.key.content.split_once(':') {
            Some(("url", url)) => url == command.content_url,
            // With a vendor content id the URL may differ; the token still names the entitlement.
            _ => true,
        };
        if !content_matches {
            return Err(Reject::ContentMismatch);
        }
        if self.spent_access_tokens.contains_key(&command.token_id) {
            return Err(Reject::AccessTokenUsed);
        }
        if let Some(invalid) = entitlement.invalid_reason(now) {
            return Err(invalid.reject());
        }
        if entitlement.views_allowed.is_some() {
            return Ok(AccessDecision::CountView(Event::ViewCounted {
                account: self.id,
                entitlement: entitlement.id,
                token_id: command.token_id,
                token_expires_at: command.token_expires_at,
                at: now,
            }));
        }
        Ok(AccessDecision::Grant)
    }

    /// Remembers a spent access token of an unlimited entitlement until it expires, and forgets
    /// the ones already expired (so the set stays as small as the tokens in flight).
    pub fn spend_access_token(&mut self, token_id: u64, expires_at: Timestamp, now: Timestamp) {
        self.spent_access_tokens.retain(|_, expiry| *expiry > now);
        self.spent_access_tokens.insert(token_id, expires_at);
    }

    /// Decides a reversal of one purchase of this account.
    ///
    /// # Errors
    /// `AccountClosed` (a refund would land where nobody can use it), `AuthorizationUnknown`,
    /// `AlreadyReversed`.
    pub fn decide_reversal(
        &self,
        authorization: AuthorizationId,
        reason: &str,
        now: Timestamp,
        by: Origin,
    ) -> Result<Event, Reject> {
        if self.is_closed() {
            return Err(Reject::AccountClosed);
        }
        let entitlement = self
            .entitlements
            .values()
            .find(|e| e.authorization == authorization)
            // A vendor refunds only its own sales: another vendor's is unknown to it.
            .filter(|e| !matches!(by, Origin::Vendor(vendor) if vendor != e.key.vendor))
            .ok_or(Reject::AuthorizationUnknown)?;
        if entitlement.is_reversed() {
            return Err(Reject::AlreadyReversed);
        }
        let wallet = self
            .wallets
            .get(&entitlement.currency)
            .ok_or(Reject::WalletMissing)?;
        let incentives = self
            .incentive_paid
            .get(&entitlement.id)
            .cloned()
            .unwrap_or_default();
        let to_balance = entitlement
            .price
            .checked_sub(spent_total(&incentives))
            .ok_or(Reject::AmountTooLarge)?;
        wallet
            .balance
            .checked_add_amount(to_balance)
            .ok_or(Reject::AmountTooLarge)?;
        wallet
            .refunded
            .checked_add(to_balance)
            .ok_or(Reject::AmountTooLarge)?;
        Ok(Event::Reversed {
            account: self.id,
            authorization,
            entitlement: entitlement.id,
            vendor: entitlement.key.vendor,
            currency: entitlement.currency,
            refund: entitlement.price,
            incentives,
            purchased_at: entitlement.purchased_at,
            parties: self
                .sale_parties
                .get(&entitlement.id)
                .cloned()
                .unwrap_or_default(),
            reason: reason.to_owned(),
            by,
            at: now,
        })
    }

    /// Applies an event of this account. Cannot fail: `decide` checked everything.
    ///
    /// # Panics
    /// When the event is not this account's, or an invariant breaks: both are bugs.
    pub fn apply(&mut self, event: &Event) {
        assert_eq!(
            event.account(),
            Some(self.id),
            "event applied to the wrong account"
        );
        match event {
            Event::AccountOpened {
                login, currency, ..
            } => {
                self.logins.insert(login.id, login.clone());
                self.wallets.get_or_insert_with(*currency, Wallet::empty);
            }
            Event::Deposited {
                currency,
                amount,
                reference,
                ..
            } => {
                self.credit(*currency, *amount);
                self.deposit_references.insert(reference.as_str().into());
            }
            Event::CreditLineSet {
                currency, limit, ..
            } => {
                self.wallet_mut(*currency).credit_limit = *limit;
            }
            Event::SessionStarted {
                session, evicted, ..
            } => {
                for id in evicted {
                    self.sessions.remove(id);
                }
                self.sessions.insert(session.id, session.clone());
            }
            Event::SessionEnded { session, .. } => {
                if let Some(session) = self.sessions.get_mut(session) {
                    session.ended = true;
                }
            }
            Event::LimitsSet {
                login,
                currency,
                limits,
                ..
            } => {
                self.limits.insert((*login, *currency), limits.clone());
            }
            Event::LoginAdded { login, .. } => self.apply_login_added(login),
            Event::PasswordChanged {
                login,
                password_hash,
                kept_session,
                ..
            } => self.apply_password_changed(*login, password_hash, *kept_session),
            Event::SecurityQuestionsSet { .. }
            | Event::StepUpPassed { .. }
            | Event::StepUpFailed { .. } => self.apply_step_up(event),
            Event::LoginDisabledSet {
                login, disabled, ..
            } => self.apply_login_disabled(*login, *disabled),
            Event::LoginProfileSet {
                login,
                name,
                language,
                ..
            } => self.apply_login_profile(*login, name.as_ref(), language.as_ref()),
            Event::FreezeSet { frozen, .. } => {
                self.frozen = *frozen;
                if *frozen {
                    for session in self.sessions.values_mut() {
                        session.ended = true;
                    }
                }
            }
            Event::Authorized(authorized) => self.apply_authorized(authorized),
            Event::ViewCounted {
                entitlement,
                token_id,
                token_expires_at,
                ..
            } => {
                let entitlement = self.entitlements.get_mut(entitlement);
                let entitlement = checked(entitlement);
                entitlement.views_used = checked(entitlement.views_used.checked_add(1));
                let allowed = checked(entitlement.views_allowed);
                assert!(
                    entitlement.views_used <= allowed,
                    "a view past the limit was counted"
                );
                self.spent_access_tokens
                    .insert(*token_id, *token_expires_at);
            }
            Event::Reversed {
                entitlement,
                currency,
                refund,
                incentives,
                at,
                ..
            } => {
                let ended = checked(self.entitlements.get_mut(entitlement));
                assert!(!ended.is_reversed(), "a purchase was reversed twice");
                ended.reversed_at = Some(*at);
                let to_balance = checked(refund.checked_sub(spent_total(incentives)));
                let wallet = self.wallet_mut(*currency);
                wallet.balance = checked(wallet.balance.checked_add_amount(to_balance));
                wallet.refunded = checked(wallet.refunded.checked_add(to_balance));
                // Each grant gets back what the purchase took: added to it while it is held,
                // held again (as it was) once used up.
                for spent in incentives {
                    match self.grants.get_mut(&spent.id) {
                        Some(held) => {
                            held.remaining = checked(held.remaining.checked_add(spent.remaining));
                        }
                        None => {
                            self.grants.insert(spent.id, spent.clone());
                        }
                    }
                }
                self.incentive_paid.remove(entitlement);
                self.sale_parties.remove(entitlement);
            }
            Event::DisputeFiled { .. } | Event::DisputeDecided { .. } => self.apply_dispute(event),
            Event::ReferralRecorded { vendor, until, .. } => {
                self.referral = Some(Referral {
                    vendor: *vendor,
                    until: *until,
                });
            }
            Event::VendorOffersDeclined { .. } => self.vendor_offers_declined = true,
            Event::IncentiveGranted {
                grant, redeemed, ..
            } => {
                self.wallets
                    .get_or_insert_with(grant.currency, Wallet::empty);
                if *redeemed && let Some(program) = grant.program {
                    self.redeemed.insert(program);
                }
                let fresh = self.grants.insert(grant.id, grant.clone());
                assert!(fresh.is_none(), "a grant was made twice");
            }
            Event::IncentiveExpired { grant, .. } => {
                checked(self.grants.remove(grant));
            }
            Event::PaymentMethodAdded { method, .. } => {
                self.payment_methods.insert(method.id, method.clone());
                assert!(
                    self.payment_methods.len() <= PAYMENT_METHODS_MAX,
                    "more payment methods than allowed"
                );
            }
            // Data written before saved methods may remove a method that was never saved.
            Event::PaymentMethodRemoved { method, .. } => {
                self.payment_methods.remove(method);
            }
            Event::TopOffSet {
                currency, setting, ..
            } => self.wallet_mut(*currency).top_off = *setting,
            Event::CashedOut {
                cash_out,
                currency,
                amount,
                charge,
                ..
            } => {
                let wallet = self.wallet_mut(*currency);
                wallet.balance = checked(wallet.balance.checked_sub_amount(*amount));
                assert!(
                    wallet.balance >= Balance::ZERO,
                    "a cash-out drew on the credit line"
                );
                let paid = KeptOutcome::CashedOut {
                    charge: *charge,
                    net: checked(amount.checked_sub(*charge)),
                };
                super::kept::record_outcome(&mut self.kept, cash_out.0, &paid);
            }
            Event::AccountClosed { forfeited, at, .. } => self.apply_closed(forfeited, *at),
            Event::WalletOpened { currency, .. } => {
                let fresh = self.wallets.insert(*currency, Wallet::empty());
                assert!(fresh.is_none(), "a wallet was opened twice");
            }
            Event::DepositStarted {
                deposit,
                currency,
                amount,
                method,
                via,
                at,
                ..
            } => {
                self.pending_deposits.insert(
                    *deposit,
                    PendingDeposit {
                        currency: *currency,
                        amount: *amount,
                        method: method.clone(),
                        started_at: *at,
                        via: *via,
                    },
                );
                assert!(
                    self.pending_deposits.len() <= DEPOSITS_PENDING_MAX,
                    "more deposits pending than allowed"
                );
            }
            Event::DepositCredited {
                deposit,
                currency,
                amount,
                ..
            } => {
                self.pending_deposits.remove(deposit);
                super::kept::record_outcome(&mut self.kept, deposit.0, &KeptOutcome::Credited);
                self.credit(*currency, *amount);
            }
            Event::DepositFailed {
                deposit, reason, ..
            } => {
                self.pending_deposits.remove(deposit);
                let declined = KeptOutcome::Declined(reason.clone());
                super::kept::record_outcome(&mut self.kept, deposit.0, &declined);
            }
            Event::RequestKept {
                route,
                key,
                digest,
                subject,
                forgotten,
                at,
                ..
            } => {
                for old in forgotten {
                    self.kept.remove(old);
                }
                let request = KeptRequest {
                    digest: *digest,
                    subject: *subject,
                    recorded_at: *at,
                    outcome: None,
                };
                self.kept.insert((*route, key.clone()), request);
                assert!(
                    self.kept.len() <= KEPT_REQUESTS_MAX,
                    "more requests kept than allowed"
                );
            }
            Event::DepositAccepted {
                deposit,
                currency,
                amount,
                ..
            } => {
                let accepted = checked(self.pending_deposits.remove(deposit));
                self.unsettled_deposits.insert(*deposit, accepted);
                super::kept::record_outcome(&mut self.kept, deposit.0, &KeptOutcome::Pending);
                assert!(
                    self.unsettled_deposits.len() <= DEPOSITS_UNSETTLED_MAX,
                    "more debits unsettled than allowed"
                );
                let wallet = self.credit(*currency, *amount);
                wallet.unsettled = checked(wallet.unsettled.checked_add(*amount));
            }
            Event::DepositSettled {
                deposit,
                currency,
                amount,
                ..
            } => {
                checked(self.unsettled_deposits.remove(deposit));
                let wallet = self.wallet_mut(*currency);
                wallet.unsettled = checked(wallet.unsettled.checked_sub(*amount));
            }
            Event::DepositReturned {
                deposit,
                currency,
                amount,
                debt,
                ..
            } => {
                checked(self.unsettled_deposits.remove(deposit));
                let taken = checked(amount.checked_sub(*debt));
                let wallet = self.wallet_mut(*currency);
                wallet.unsettled = checked(wallet.unsettled.checked_sub(*amount));
                wallet.balance = checked(wallet.balance.checked_sub_amount(taken));
                wallet.debt = checked(wallet.debt.checked_add(*debt));
                wallet.returned = checked(wallet.returned.checked_add(*amount));
            }
            Event::DebtRepaid {
                currency, amount, ..
            } => {
                let wallet = self.wallet_mut(*currency);
                wallet.debt = checked(wallet.debt.checked_sub(*amount));
                wallet.balance = checked(wallet.balance.checked_sub_amount(*amount));
            }
            Event::TransferSent(sent) => {
                let periods = self.zone.periods(sent.at);
                let key = (sent.login, sent.currency);
                let spending = self.spending.get(&key).cloned().unwrap_or_default();
                self.spending
                    .insert(key, checked(spending.with_purchase(&periods, sent.amount)));
                let wallet = self.wallet_mut(sent.currency);
                wallet.balance = checked(wallet.balance.checked_sub_amount(sent.amount));
                // Only balance above zero leaves (an empty transfer moves nothing, whatever
                // the balance: the edge refuses one, the core need not).
                assert!(
                    wallet.balance >= Balance::ZERO || sent.amount.is_zero(),
                    "a transfer drew on the credit line"
                );
            }
            Event::TransferReceived(received) => {
                let wallet = self
                    .wallets
                    .get_or_insert_with(received.currency, Wallet::empty);
                wallet.balance = checked(wallet.balance.checked_add_amount(received.amount));
                let fresh = self
                    .received_transfers
                    .insert(received.transfer, received.at);
                assert!(fresh.is_none(), "a transfer was received twice");
                if self.received_transfers.len() > RECEIVED_TRANSFERS_KEPT
                    && let Some(oldest) = self
                        .received_transfers
                        .iter()
                        .min_by_key(|(id, at)| (**at, **id))
                        .map(|(id, _)| *id)
                {
                    self.received_transfers.remove(&oldest);
                }
            }
            Event::VendorRegistered(_)
            | Event::VendorApplied(_)
            | Event::VendorDecided { .. }
            | Event::ApiKeyRotated { .. }
            | Event::MailingListSet { .. }
            | Event::OfferPosted(_)
            | Event::OffersPruned { .. }
            | Event::FeeScheduleSet { .. }
            | Event::CommissionSet { .. }
            | Event::VendorGroupCreated(_)
            | Event::Settlement(_)
            | Event::BackOffice(_)
            | Event::Audit(_)
            | Event::ProgramCreated(_) => {
                unreachable!("vendor, program and settlement events have no account")
            }
        }
        self.assert_touched(event);
        if cfg!(debug_assertions) {
            self.assert_invariants();
        }
    }

    /// Asserts the invariants of what `event` touched. O(1) per event, so the hot path does
    /// not slow down as an account's history grows; debug builds (the tests) also run the
    /// full `assert_invariants` after every apply.
    fn assert_touched(&self, event: &Event) {
        let (currency, entitlement) = match event {
            Event::Deposited { currency, .. }
            | Event::CreditLineSet { currency, .. }
            | Event::DepositCredited { currency, .. }
            | Event::DepositAccepted { currency, .. }
            | Event::DepositReturned { currency, .. }
            | Event::DebtRepaid { currency, .. } => (Some(*currency), None),
            Event::Authorized(authorized) => (
                Some(authorized.entitlement.currency),
                Some(authorized.entitlement.id),
            ),
            Event::TransferSent(transit) | Event::TransferReceived(transit) => {
                (Some(transit.currency), None)
            }
            Event::ViewCounted { entitlement, .. } => (None, Some(*entitlement)),
            Event::Reversed {
                currency,
                entitlement,
                ..
            } => (Some(*currency), Some(*entitlement)),
            Event::SessionStarted { session, .. } => {
                assert!(
                    self.logins.contains_key(&session.login),
                    "session of an unknown login"
                );
                (None, None)
            }
            _ => (None, None),
        };
        if let Some(wallet) = currency.and_then(|c| self.wallets.get(&c)) {
            assert!(
                wallet.balance >= wallet.floor(),
                "balance below the credit line"
            );
        }
        if let Some(entitlement) = entitlement.and_then(|e| self.entitlements.get(&e))
            && let Some(allowed) = entitlement.views_allowed
        {
            assert!(entitlement.views_used <= allowed, "more views than allowed");
        }
    }

    fn apply_authorized(&mut self, authorized: &Authorized) {
        let entitlement = &authorized.entitlement;
        let price = entitlement.price;
        let currency = entitlement.currency;
        let periods = self.zone.periods(authorized.at);
        let from_wallet = checked(price.checked_sub(spent_total(&authorized.incentives)));
        self.step_up.record_purchase(currency, price, authorized.at);
        let wallet = self.wallet_mut(currency);
        wallet.balance = checked(wallet.balance.checked_sub_amount(from_wallet));
        for spent in &authorized.incentives {
            let held = checked(self.grants.get_mut(&spent.id));
            held.remaining = checked(held.remaining.checked_sub(spent.remaining));
            if held.remaining.is_zero() {
                self.grants.remove(&spent.id);
            }
        }
        if !authorized.incentives.is_empty() {
            self.incentive_paid
                .insert(entitlement.id, authorized.incentives.clone());
        }
        if !authorized.parties.is_empty() {
            self.sale_parties
                .insert(entitlement.id, authorized.parties.clone());
        }
        let key = (authorized.login, currency);
        let spending = self.spending.get(&key).cloned().unwrap_or_default();
        self.spending
            .insert(key, checked(spending.with_purchase(&periods, price)));
        if let Some(session) = self.sessions.get_mut(&authorized.session) {
            let spent = session.spent.entry(currency).or_insert(Amount::ZERO);
            *spent = checked(spent.checked_add(price));
            session.last_purchase_at = authorized.at;
        }
        for expired in &authorized.idempotency_expired {
            self.idempotency.remove(expired);
        }
        if let Some(stamp) = &authorized.idempotency {
            self.idempotency.insert(
                (authorized.vendor, stamp.key.clone()),
                IdempotencyRecord {
                    request_digest: stamp.request_digest,
                    authorization: authorized.authorization,
                    entitlement: entitlement.id,
                    recorded_at: authorized.at,
                },
            );
        }
        self.latest_by_content
            .insert(entitlement.key.clone(), entitlement.id);
        self.entitlements
            .insert(entitlement.id, entitlement.clone());
    }

    /// Money in: the balance and the deposited total grow by `amount`.
    fn credit(&mut self, currency: Currency, amount: Amount) -> &mut Wallet {
        let wallet = self.wallet_mut(currency);
        wallet.balance = checked(wallet.balance.checked_add_amount(amount));
        wallet.deposited = checked(wallet.deposited.checked_add(amount));
        wallet
    }

    fn wallet_mut(&mut self, currency: Currency) -> &mut Wallet {
        checked(self.wallets.get_mut(&currency))
    }

    /// Rebuilds the derived index after loading from rows.
    pub fn rebuild_derived(&mut self) {
        self.latest_by_content.clear();
        let mut newest: BTreeMap<&ContentKey, &Entitlement> = BTreeMap::new();
        for entitlement in self.entitlements.values() {
            let entry = newest.entry(&entitlement.key).or_insert(entitlement);
            if recency(entitlement) > recency(entry) {
                *entry = entitlement;
            }
        }
        self.latest_by_content = newest
            .into_iter()
            .map(|(key, e)| (key.clone(), e.id))
            .collect();
    }

    /// Invariants that hold after every apply.
    ///
    /// # Panics
    /// When one does not: that is a bug, and the process must stop before it writes.
    pub fn assert_invariants(&self) {
        if let Err(broken) = self.check_invariants() {
            panic!("account invariant broken: {broken}");
        }
    }

    /// The invariants of [`AccountState::assert_invariants`], as a value: a state read back
    /// from a snapshot is checked with this, so a damaged snapshot is refused by name rather
    /// than stopping the process.
    ///
    /// # Errors
    /// The first invariant that does not hold, as a sentence.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        for (currency, wallet) in self.wallets.iter() {
            if wallet.balance < wallet.floor() {
                return Err("balance below the credit line");
            }
            let unsettled = self
                .unsettled_deposits
                .values()
                .filter(|deposit| deposit.currency == *currency)
                .try_fold(Amount::ZERO, |sum, deposit| sum.checked_add(deposit.amount));
            if unsettled != Some(wallet.unsettled) {
                return Err("unsettled funds differ from the unsettled debits");
            }
        }
        if self.unsettled_deposits.len() > DEPOSITS_UNSETTLED_MAX {
            return Err("more debits unsettled than allowed");
        }
        for entitlement in self.entitlements.values() {
            if let Some(allowed) = entitlement.views_allowed
                && entitlement.views_used > allowed
            {
                return Err("more views than allowed");
            }
            if !self.wallets.contains_key(&entitlement.currency) {
                return Err("entitlement paid from no wallet");
            }
        }
        for session in self.sessions.values() {
            if !self.logins.contains_key(&session.login) {
                return Err("session of an unknown login");
            }
        }
        Ok(())
    }
}

/// Orders entitlements of one content by when they were bought. Content is bought again only
/// once the previous entitlement is reversed or used up (or expired), so within one
/// millisecond a still-usable entitlement is the newer one; ids are random and break only
/// the remaining ties.
fn recency(entitlement: &Entitlement) -> (Timestamp, bool, EntitlementId) {
    let usable = !entitlement.is_reversed() && entitlement.views_left() != Some(0);
    (entitlement.purchased_at, usable, entitlement.id)
}

/// Unwraps a value whose presence `decide` established. A `None` here is a bug.
fn checked<T>(value: Option<T>) -> T {
    match value {
        Some(value) => value,
        None => panic!("an event that decide accepted could not be applied"),
    }
}
