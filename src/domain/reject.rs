//! Every business outcome that is not a success, with a stable snake_case code.
//! Rejects are expected: they are counted, never logged as errors, and each has a test.

use super::limits::LimitKind;

/// Why a command was declined. The HTTP layer maps each variant to exactly one status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reject {
    /// The paid balance plus the credit line does not cover the price.
    #[error("insufficient funds")]
    InsufficientFunds,
    /// A spending limit would be exceeded.
    #[error("spending limit reached")]
    LimitReached(LimitKind),
    /// The member froze the account.
    #[error("the account is frozen")]
    Frozen,
    /// The member's allowlist does not include this vendor.
    #[error("the member does not allow this vendor")]
    VendorNotAllowed,
    /// The session named by a token does not exist (never did, or was evicted).
    #[error("unknown session")]
    SessionUnknown,
    /// The session was ended by logout or freeze.
    #[error("the session has ended")]
    SessionEnded,
    /// The session passed its absolute or idle expiry.
    #[error("the session has expired")]
    SessionExpired,
    /// A price in another currency than the vendor sells in.
    #[error("the currency is not the vendor's")]
    CurrencyMismatch,
    /// The account has no wallet in the currency named (a purchase, deposit or setting).
    #[error("no wallet in this currency")]
    WalletMissing,
    /// The account already has a wallet in this currency.
    #[error("a wallet in this currency is open already")]
    WalletExists,
    /// The currency is a valid ISO 4217 code that this service does not hold wallets in.
    #[error("the currency is not supported")]
    CurrencyUnsupported,
    /// An amount would overflow a balance or a counter.
    #[error("amount too large")]
    AmountTooLarge,
    /// The idempotency key was used before with a different request body.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// The entitlement named by an access token does not exist.
    #[error("unknown entitlement")]
    EntitlementUnknown,
    /// The access token is for other content than the URL presented.
    #[error("access token is for other content")]
    ContentMismatch,
    /// The entitlement has expired.
    #[error("the entitlement has expired")]
    EntitlementExpired,
    /// Every allowed view was used.
    #[error("no views left")]
    ViewsUsedUp,
    /// The purchase behind the entitlement was reversed.
    #[error("the purchase was reversed")]
    EntitlementReversed,
    /// An access token is good for one granted check and this one was used.
    #[error("the access token was already used")]
    AccessTokenUsed,
    /// The authorization to reverse does not exist at this account.
    #[error("unknown authorization")]
    AuthorizationUnknown,
    /// The authorization was reversed before.
    #[error("already reversed")]
    AlreadyReversed,
    /// A credit line smaller than what the wallet already drew on credit.
    #[error("the credit line is below the amount already drawn")]
    CreditLineBelowBalance,
    /// The login does not exist at this account.
    #[error("unknown login")]
    LoginUnknown,
    /// No offer has this id at this vendor (never posted, or pruned after expiry).
    #[error("unknown offer")]
    OfferUnknown,
    /// The offer passed its expiry before it was bought.
    #[error("the offer has expired")]
    OfferExpired,
    /// The offer was bought already: an offer (a transaction id) buys once.
    #[error("the offer was already used")]
    OfferUsed,
    /// Another purchase of this offer is being decided right now.
    #[error("the offer is being bought")]
    OfferInProgress,
    /// The vendor has as many live offers as it may keep.
    #[error("too many live offers")]
    OfferQuotaExceeded,
    /// No incentive grant of the member with this code applies to the offer.
    #[error("the incentive does not apply")]
    IncentiveInvalid,
    /// The account has as many deposits waiting for the payment processor as it may.
    #[error("deposits are waiting for the payment processor")]
    DepositInProgress,
    /// No saved payment method has this id at this account.
    #[error("unknown payment method")]
    PaymentMethodUnknown,
    /// The account keeps as many payment methods as it may.
    #[error("too many payment methods")]
    PaymentMethodQuotaExceeded,
    /// The wallet owes a returned bank debit: purchases wait until a deposit repays it.
    #[error("a debt is outstanding")]
    DebtOutstanding,
    /// A cash-out no larger than its service charge: nothing would reach the bank.
    #[error("the cash-out does not cover its charge")]
    CashOutBelowCharge,
    /// A transfer's recipient is unknown, frozen or closed: one answer for all three, so a
    /// transfer never tells whether an e-mail address is registered.
    #[error("the recipient cannot receive transfers")]
    RecipientUnavailable,
    /// A transfer to the sender's own account.
    #[error("a transfer to oneself")]
    TransferToSelf,
    /// No incentive program has this code or id.
    #[error("unknown incentive program")]
    IncentiveUnknown,
    /// The incentive program has expired: it grants nothing more.
    #[error("the incentive program has expired")]
    IncentiveExpired,
    /// The incentive program's budget cannot cover one more grant.
    #[error("the incentive program's budget is spent")]
    IncentiveBudgetExhausted,
    /// The account redeemed a code of this program before: a code redeems once per account.
    #[error("the incentive code was redeemed before")]
    IncentiveAlreadyRedeemed,
    /// Another program has this code.
    #[error("the incentive code is taken")]
    IncentiveCodeTaken,
    /// No vendor group has this id (or a group would have no vendor).
    #[error("unknown vendor group")]
    VendorGroupUnknown,
    /// As many grants held, codes redeemed, programs or groups as allowed.
    #[error("too many incentives")]
    IncentiveQuotaExceeded,
    /// Another settlement run has not finished: one run at a time.
    #[error("a settlement run is in progress")]
    SettlementRunInProgress,
    /// No settlement run has this id.
    #[error("unknown settlement run")]
    SettlementRunUnknown,
    /// No rights holder has this id.
    #[error("unknown rights holder")]
    RightsHolderUnknown,
    /// The rights holder exists, or the service holds as many as allowed.
    #[error("the rights holder exists or too many are registered")]
    RightsHolderExists,
    /// No payout has this id.
    #[error("unknown payout")]
    PayoutUnknown,
    /// The bank returned this payout before.
    #[error("the payout was returned already")]
    PayoutReturnedAlready,
    /// A name or reason is empty, too long or holds control characters.
    #[error("the text is empty, too long or not printable")]
    TextInvalid,
    /// The purchase is disputed already (a purchase is disputed once).
    #[error("the purchase is disputed already")]
    DisputeExists,
    /// No dispute of this purchase.
    #[error("unknown dispute")]
    DisputeUnknown,
    /// The dispute was approved or rejected already.
    #[error("the dispute was decided already")]
    DisputeDecidedAlready,
    /// The purchase charged nothing, so there is nothing to dispute.
    #[error("the purchase charged nothing")]
    DisputeChargedNothing,
    /// The purchase is older than its currency's dispute window.
    #[error("the dispute window has passed")]
    DisputeWindowPassed,
    /// The member has as many disputes waiting for an operator as allowed.
    #[error("too many disputes are pending")]
    DisputesPendingMax,
    /// The caller does not hold a security function it tried to give.
    #[error("a function given is not held by the giver")]
    FunctionNotHeld,
    /// An operator has this e-mail, or the service holds as many as allowed.
    #[error("the operator exists or too many are registered")]
    OperatorExists,
    /// No operator has this id.
    #[error("unknown operator")]
    OperatorUnknown,
    /// No security group has this id.
    #[error("unknown security group")]
    SecurityGroupUnknown,
    /// As many security groups as allowed exist, or an operator would be in too many.
    #[error("too many security groups")]
    SecurityGroupsTooMany,
    /// The vendor registered itself and no operator approved it (or one rejected it).
    #[error("the vendor is not approved")]
    VendorNotApproved,
    /// The vendor was approved or rejected already.
    #[error("the vendor was decided already")]
    VendorDecidedAlready,
    /// No held request waits under this id.
    #[error("unknown or decided approval request")]
    ApprovalUnknown,
    /// The person who asked cannot approve their own request.
    #[error("a second person must approve")]
    FourEyesSamePerson,
    /// As many requests as allowed wait for approval.
    #[error("too many requests wait for approval")]
    ApprovalsPendingMax,
    /// Only the account's holder may do this; the caller is a sub-member.
    #[error("only the account holder may do this")]
    HolderOnly,
    /// The login was disabled by the account's holder.
    #[error("the login is disabled")]
    LoginDisabled,
    /// The account holds as many logins as it may.
    #[error("the account has as many logins as it may")]
    LoginsFull,
    /// The id drawn for a new login is already one of the account's.
    #[error("the login id is taken")]
    LoginTaken,
    /// The holder cannot be disabled: nobody could enable it again.
    #[error("the holder's login cannot be disabled")]
    LoginIsHolder,
    /// No login of the account has this id.
    #[error("no such login")]
    LoginNotFound,
    /// Security questions come two to five at a time.
    #[error("give two to five security questions")]
    QuestionsCount,
    /// Too many wrong answers: step-up is locked for the login until then.
    #[error("step-up is locked for a while")]
    StepUpLocked {
        /// When it opens again.
        until: super::time::Timestamp,
    },
    /// An answer to a question that was not asked: the login is never asked, or the
    /// questions changed since.
    #[error("no step-up was asked")]
    StepUpNotAsked,
    /// The purchase looks unusual for the member: they answer a security question first.
    #[error("the member must answer a security question first")]
    StepUpRequired,
    /// The account was closed: it takes no new business.
    #[error("the account is closed")]
    AccountClosed,
    /// Closing an account whose wallets hold paid balance, without forfeiting it.
    #[error("paid balance remains; cash it out or forfeit it")]
    BalanceRemaining,
    /// Closing an account that owes the service (a debt, or a balance drawn on credit):
    /// the member repays it first; a debt is never forfeited.
    #[error("the account owes a debt")]
    CloseDebtOpen,
    /// Closing an account while a deposit, a bank debit or a dispute is not final.
    #[error("money is still in motion")]
    CloseMoneyInMotion,
}

impl Reject {
    /// Every reject, so their codes can be listed and checked for uniqueness in one place.
    pub const ALL: &'static [Reject] = &[
        Reject::InsufficientFunds,
        Reject::LimitReached(LimitKind::PerTransaction),
        Reject::LimitReached(LimitKind::PerSession),
        Reject::LimitReached(LimitKind::PerDay),
        Reject::LimitReached(LimitKind::PerWeek),
        Reject::LimitReached(LimitKind::PerMonth),
        Reject::Frozen,
        Reject::VendorNotAllowed,
        Reject::SessionUnknown,
        Reject::SessionEnded,
        Reject::SessionExpired,
        Reject::CurrencyMismatch,
        Reject::WalletMissing,
        Reject::WalletExists,
        Reject::CurrencyUnsupported,
        Reject::AmountTooLarge,
        Reject::IdempotencyKeyReused,
        Reject::EntitlementUnknown,
        Reject::ContentMismatch,
        Reject::EntitlementExpired,
        Reject::ViewsUsedUp,
        Reject::EntitlementReversed,
        Reject::AccessTokenUsed,
        Reject::AuthorizationUnknown,
        Reject::AlreadyReversed,
        Reject::CreditLineBelowBalance,
        Reject::LoginUnknown,
        Reject::OfferUnknown,
        Reject::OfferExpired,
        Reject::OfferUsed,
        Reject::OfferInProgress,
        Reject::OfferQuotaExceeded,
        Reject::IncentiveInvalid,
        Reject::DepositInProgress,
        Reject::PaymentMethodUnknown,
        Reject::PaymentMethodQuotaExceeded,
        Reject::DebtOutstanding,
        Reject::CashOutBelowCharge,
        Reject::RecipientUnavailable,
        Reject::TransferToSelf,
        Reject::IncentiveUnknown,
        Reject::IncentiveExpired,
        Reject::IncentiveBudgetExhausted,
        Reject::IncentiveAlreadyRedeemed,
        Reject::IncentiveCodeTaken,
        Reject::VendorGroupUnknown,
        Reject::IncentiveQuotaExceeded,
        Reject::SettlementRunInProgress,
        Reject::SettlementRunUnknown,
        Reject::RightsHolderUnknown,
        Reject::RightsHolderExists,
        Reject::PayoutUnknown,
        Reject::PayoutReturnedAlready,
        Reject::TextInvalid,
        Reject::DisputeExists,
        Reject::DisputeUnknown,
        Reject::DisputeDecidedAlready,
        Reject::DisputeChargedNothing,
        Reject::DisputeWindowPassed,
        Reject::DisputesPendingMax,
        Reject::FunctionNotHeld,
        Reject::OperatorExists,
        Reject::OperatorUnknown,
        Reject::SecurityGroupUnknown,
        Reject::SecurityGroupsTooMany,
        Reject::VendorNotApproved,
        Reject::VendorDecidedAlready,
        Reject::ApprovalUnknown,
        Reject::FourEyesSamePerson,
        Reject::ApprovalsPendingMax,
        Reject::HolderOnly,
        Reject::LoginDisabled,
        Reject::LoginsFull,
        Reject::LoginTaken,
        Reject::LoginIsHolder,
        Reject::LoginNotFound,
        Reject::QuestionsCount,
        Reject::StepUpLocked {
            until: super::time::Timestamp(0),
        },
        Reject::StepUpNotAsked,
        Reject::StepUpRequired,
        Reject::AccountClosed,
        Reject::BalanceRemaining,
        Reject::CloseDebtOpen,
        Reject::CloseMoneyInMotion,
    ];

    /// The stable code that clients match on.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Reject::InsufficientFunds => "insufficient_funds",
            Reject::LimitReached(LimitKind::PerTransaction) => "limit_per_transaction",
            Reject::LimitReached(LimitKind::PerSession) => "limit_per_session",
            Reject::LimitReached(LimitKind::PerDay) => "limit_per_day",
            Reject::LimitReached(LimitKind::PerWeek) => "limit_per_week",
            Reject::LimitReached(LimitKind::PerMonth) => "limit_per_month",
            Reject::Frozen => "account_frozen",
            Reject::VendorNotAllowed => "vendor_not_allowed",
            Reject::SessionUnknown => "session_unknown",
            Reject::SessionEnded => "session_ended",
            Reject::SessionExpired => "session_expired",
            Reject::CurrencyMismatch => "currency_mismatch",
            Reject::WalletMissing => "wallet_missing",
            Reject::WalletExists => "wallet_exists",
            Reject::CurrencyUnsupported => "currency_unsupported",
            Reject::AmountTooLarge => "amount_too_large",
            Reject::IdempotencyKeyReused => "idempotency_key_reused",
            Reject::EntitlementUnknown => "entitlement_unknown",
            Reject::ContentMismatch => "content_mismatch",
            Reject::EntitlementExpired => "entitlement_expired",
            Reject::ViewsUsedUp => "views_used_up",
            Reject::EntitlementReversed => "entitlement_reversed",
            Reject::AccessTokenUsed => "access_token_used",
            Reject::AuthorizationUnknown => "authorization_unknown",
            Reject::AlreadyReversed => "already_reversed",
            Reject::CreditLineBelowBalance => "credit_line_below_balance",
            Reject::LoginUnknown => "login_unknown",
            Reject::OfferUnknown => "offer_not_found",
            Reject::OfferExpired => "offer_expired",
            Reject::OfferUsed => "offer_used",
            Reject::OfferInProgress => "offer_in_progress",
            Reject::OfferQuotaExceeded => "offer_quota_exceeded",
            Reject::IncentiveInvalid => "incentive_invalid",
            Reject::DepositInProgress => "deposit_in_progress",
            Reject::PaymentMethodUnknown => "payment_method_unknown",
            Reject::PaymentMethodQuotaExceeded => "payment_method_quota_exceeded",
            Reject::DebtOutstanding => "debt_outstanding",
            Reject::CashOutBelowCharge => "cash_out_below_charge",
            Reject::RecipientUnavailable => "recipient_unavailable",
            Reject::TransferToSelf => "transfer_to_self",
            Reject::IncentiveUnknown => "incentive_unknown",
            Reject::IncentiveExpired => "incentive_expired",
            Reject::IncentiveBudgetExhausted => "incentive_budget_exhausted",
            Reject::IncentiveAlreadyRedeemed => "incentive_already_redeemed",
            Reject::IncentiveCodeTaken => "incentive_code_taken",
            Reject::VendorGroupUnknown => "vendor_group_unknown",
            Reject::IncentiveQuotaExceeded => "incentive_quota_exceeded",
            Reject::SettlementRunInProgress => "settlement_run_in_progress",
            Reject::SettlementRunUnknown => "settlement_run_unknown",
            Reject::RightsHolderUnknown => "rights_holder_unknown",
            Reject::RightsHolderExists => "rights_holder_exists",
            Reject::PayoutUnknown => "payout_unknown",
            Reject::PayoutReturnedAlready => "payout_returned_already",
            Reject::TextInvalid => "text_invalid",
            Reject::DisputeExists => "dispute_exists",
            Reject::DisputeUnknown => "dispute_unknown",
            Reject::DisputeDecidedAlready => "dispute_decided_already",
            Reject::DisputeChargedNothing => "dispute_charged_nothing",
            Reject::DisputeWindowPassed => "dispute_window_passed",
            Reject::DisputesPendingMax => "disputes_pending_max",
            Reject::FunctionNotHeld => "function_not_held",
            Reject::OperatorExists => "operator_exists",
            Reject::OperatorUnknown => "operator_unknown",
            Reject::SecurityGroupUnknown => "security_group_unknown",
            Reject::SecurityGroupsTooMany => "security_groups_too_many",
            Reject::VendorNotApproved => "vendor_not_approved",
            Reject::VendorDecidedAlready => "vendor_decided_already",
            Reject::ApprovalUnknown => "approval_unknown",
            Reject::FourEyesSamePerson => "four_eyes_same_person",
            Reject::ApprovalsPendingMax => "approvals_pending_max",
            Reject::HolderOnly => "holder_only",
            Reject::LoginDisabled => "login_disabled",
            Reject::LoginsFull => "logins_full",
            Reject::LoginTaken => "login_taken",
            Reject::LoginIsHolder => "login_is_holder",
            Reject::LoginNotFound => "login_not_found",
            Reject::QuestionsCount => "questions_count",
            Reject::StepUpLocked { .. } => "step_up_locked",
            Reject::StepUpNotAsked => "step_up_not_asked",
            Reject::StepUpRequired => "step_up_required",
            Reject::AccountClosed => "account_closed",
            Reject::BalanceRemaining => "balance_remaining",
            Reject::CloseDebtOpen => "close_debt_open",
            Reject::CloseMoneyInMotion => "close_money_in_motion",
        }
    }
}
