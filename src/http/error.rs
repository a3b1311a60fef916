//! The one table from errors to HTTP: each `ApiError` variant has exactly one status, one
//! stable `code` and one title, in one exhaustive `match`. Bodies are RFC 9457
//! `application/problem+json` with `type` = `/problems/<code>`.

use bytes::Bytes;
use hyper::StatusCode;
use serde::Serialize;

use crate::actors::gateway::GatewayError;
use crate::actors::messages::{CommandError, Fault};
use crate::crypto::token::TokenError;
use crate::domain::account::OpenInvalid;
use crate::domain::limits::LimitKind;
use crate::domain::offer::OfferInvalid;
use crate::domain::reject::Reject;
use crate::domain::vendor::RegistrationInvalid;

/// Which token a caller presented, so token errors say which one failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A buyer token (vendor charging a member).
    Buyer,
    /// An access token (lock content).
    Access,
}

/// The title of every `step_up_required`, whether the member is present (a challenge) or not
/// (a page to send them to).
const STEP_UP_TITLE: &str = "The member must answer a security question first";

/// Every way a request can fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// The body is not the JSON the route expects.
    MalformedBody(String),
    /// A field is missing or invalid; `param` names it.
    InvalidField {
        /// The field.
        param: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// A field that should hold an amount does not match the amount grammar.
    InvalidAmount {
        /// The field.
        param: &'static str,
    },
    /// Missing or wrong credentials of the caller.
    Unauthenticated,
    /// A business refusal from the domain.
    Reject(Reject),
    /// The presented token failed to open.
    Token(TokenKind, TokenError),
    /// The content URL's host is not one of the vendor's registered domains.
    ContentDomainUnknown,
    /// No such resource (or not the caller's).
    NotFound,
    /// No such route.
    RouteNotFound,
    /// The route exists with other methods.
    MethodNotAllowed,
    /// The same idempotency key is being processed right now.
    IdempotencyInFlight,
    /// The e-mail is registered already.
    EmailTaken,
    /// The body is larger than allowed.
    BodyTooLarge,
    /// A queue or mailbox is full; retry after a moment.
    Overloaded,
    /// The server is not ready or is stopping.
    Unavailable,
    /// The store failed; the server is stopping.
    StorageFailed,
    /// A form came without the browser's CSRF token, or with another one.
    CsrfFailed,
    /// The payment processor declined a top-off, deposit or method, with its decline code.
    PaymentDeclined {
        /// The processor's code (`card_declined`, `insufficient_funds`, …).
        decline_code: String,
    },
    /// The member has no saved payment method to top off from.
    NoPaymentMethod,
    /// A money total would overflow: the totals cannot be shown honestly.
    TotalsOverflow,
    /// A settlement run's payment file could not be written: the run stays open (its payouts
    /// are journaled) and its file is written by the next run or at start-up.
    PaymentFileFailed,
    /// The request's body did not arrive within `server.request_read_timeout_ms`.
    RequestTimeout,
    /// The client holds `server.connections_per_client_max` connections already.
    TooManyConnections,
    /// Too many failed sign-ins for this e-mail or from this address, or too many
    /// registrations from this address: wait `retry_after_s` seconds.
    TooManyAttempts {
        /// Seconds until the next attempt may be admitted (the `Retry-After` header).
        retry_after_s: u32,
    },
    /// The vendor holds as many live `Idempotency-Key`s as it may: only this vendor is
    /// refused, so one vendor's keys cannot fill the cache every vendor shares.
    IdempotencyQuotaExceeded,
    /// The operator does not hold the security function the route is (named here).
    FunctionNotGranted(&'static str),
    /// A four-eyes function was called from a back-office page: it is held only through
    /// the API (a page's form cannot be run again later).
    FourEyesThroughApi,
    /// The day asked to be mailed has not ended in every time zone yet.
    DayNotOver,
    /// Another daily summary run is going on.
    MailRunInProgress,
    /// The member answers a security question first ([0154]): this one, with this challenge;
    /// then the request is retried with the `Step-Up` header.
    StepUpRequired {
        /// The sealed challenge to answer at `POST /v1/step-up`.
        challenge_id: String,
        /// The question.
        question: String,
    },
    /// A purchase needs the member's step-up, and no member is present (a vendor's call):
    /// the vendor sends the member's browser to this page, then retries.
    StepUpAtPage {
        /// The page.
        url: String,
    },
    /// A step-up answer did not match.
    StepUpAnswerWrong,
    /// "My Content" cannot reopen a purchase journaled before content URLs were kept: there
    /// is no URL to send the member to (the vendor's own site still opens it, and the vendor's
    /// check still honours the entitlement).
    ContentUrlNotKept,
}

/// An RFC 9457 problem: the body of every error response, and of a failed item in a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// `/problems/<code>`: a page that explains the code.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, stable sentence.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// The stable code clients match on.
    pub code: String,
    /// What exactly was wrong, when there is more to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The field that was wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// The payment processor's reason for a `payment_declined`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<String>,
    /// The security function a `function_not_granted` call needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// A `step_up_required` with the member present: the challenge to answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_id: Option<String>,
    /// ...and its question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// A `step_up_required` on a vendor's call: where to send the member's browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_up_url: Option<String>,
}

impl ApiError {
    /// Status, stable code and title: the one table.
    #[must_use]
    pub fn describe(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::MalformedBody(_) => (
                StatusCode::BAD_REQUEST,
                "malformed_body",
                "The request body is not valid JSON for this route",
            ),
            ApiError::InvalidField { .. } => (
                StatusCode::BAD_REQUEST,
                "invalid_field",
                "A field is missing or invalid",
            ),
            ApiError::InvalidAmount { .. } => (
                StatusCode::BAD_REQUEST,
                "invalid_amount",
                "An amount must be a decimal string like \"0.10\" with at most 6 decimals",
            ),
            ApiError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Missing or invalid credentials",
            ),
            ApiError::Reject(reject) => describe_reject(*reject),
            ApiError::Token(kind, error) => describe_token(*kind, *error),
            ApiError::ContentDomainUnknown => (
                StatusCode::FORBIDDEN,
                "content_domain_unknown",
                "The content URL's host is not a registered domain of this vendor",
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "No such resource"),
            ApiError::RouteNotFound => (StatusCode::NOT_FOUND, "route_not_found", "No such route"),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "The route does not take this method",
            ),
            ApiError::IdempotencyInFlight => (
                StatusCode::CONFLICT,
                "idempotency_in_flight",
                "A request with this Idempotency-Key is still being processed",
            ),
            ApiError::EmailTaken => (
                StatusCode::CONFLICT,
                "email_taken",
                "This e-mail is already registered",
            ),
            ApiError::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "The request body is too large",
            ),
            ApiError::Overloaded => (
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "The server is busy; retry shortly",
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The server is not ready or is stopping",
            ),
            ApiError::StorageFailed => (
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_failed",
                "Storage failed; the server is stopping",
            ),
            ApiError::CsrfFailed => (
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "The form is stale or was not sent by this site's page; reload and try again",
            ),
            ApiError::PaymentDeclined { .. } => (
                StatusCode::PAYMENT_REQUIRED,
                "payment_declined",
                "The payment method declined the charge",
            ),
            ApiError::NoPaymentMethod => (
                StatusCode::CONFLICT,
                "no_payment_method",
                "The member has no saved payment method",
            ),
            ApiError::TotalsOverflow => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "totals_overflow",
                "A money total overflowed; the totals cannot be shown",
            ),
            ApiError::PaymentFileFailed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "payment_file_failed",
                "The run's payouts are recorded but its payment file could not be written; it \
                 is written by the next run or at start-up",
            ),
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The request body did not arrive in time; the connection is closed",
            ),
            ApiError::TooManyConnections => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_connections",
                "This client has too many open connections; reuse one or retry after a moment",
            ),
            ApiError::TooManyAttempts { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "Too many attempts; wait the time Retry-After gives, then try again",
            ),
            ApiError::IdempotencyQuotaExceeded => (
                StatusCode::TOO_MANY_REQUESTS,
                "idempotency_quota_exceeded",
                "This vendor holds its quota of Idempotency-Keys; send the request without a \
                 new key, or wait until older keys expire",
            ),
            ApiError::FunctionNotGranted(_) => (
                StatusCode::FORBIDDEN,
                "function_not_granted",
                "The operator does not hold the security function this call needs",
            ),
            ApiError::FourEyesThroughApi => (
                StatusCode::FORBIDDEN,
                "four_eyes_through_api",
                "This function waits for a second person's approval: call it through the API, \
                 where it is held until approved",
            ),
            ApiError::ContentUrlNotKept => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "content_url_not_kept",
                "This purchase was made before content URLs were kept: open it from the vendor's site",
            ),
            ApiError::DayNotOver => (
                StatusCode::CONFLICT,
                "day_not_over",
                "That day has not ended in every time zone yet: its mail would miss the rest of \
                 some members' day",
            ),
            ApiError::MailRunInProgress => (
                StatusCode::CONFLICT,
                "mail_run_in_progress",
                "A daily summary run is going on; try again when it has finished",
            ),
            ApiError::StepUpRequired { .. } | ApiError::StepUpAtPage { .. } => {
                (StatusCode::FORBIDDEN, "step_up_required", STEP_UP_TITLE)
            }
            ApiError::StepUpAnswerWrong => (
                StatusCode::FORBIDDEN,
                "step_up_answer_wrong",
                "The answer does not match; a few wrong answers end the session",
            ),
        }
    }

    /// Seconds a client should wait before retrying, for 503s and 429s.
    #[must_use]
    pub fn retry_after_s(&self) -> Option<u32> {
        match self {
            ApiError::Overloaded | ApiError::TooManyConnections => Some(1),
            ApiError::Unavailable | ApiError::StorageFailed => Some(5),
            ApiError::TooManyAttempts { retry_after_s } => Some(*retry_after_s),
            _ => None,
        }
    }

    /// The problem this error answers.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.describe();
        let (detail, param) = match self {
            ApiError::MalformedBody(detail) => (Some(detail.clone()), None),
            ApiError::InvalidField { param, detail } => {
                (Some(detail.clone()), Some((*param).to_owned()))
            }
            ApiError::InvalidAmount { param } => (None, Some((*param).to_owned())),
            // The member is offered the way on ([0114]): wallets open on request.
            ApiError::Reject(Reject::WalletMissing) => (
                Some("the member can open one: POST /v1/members/me/wallets".to_owned()),
                None,
            ),
            _ => (None, None),
        };
        let decline_code = match self {
            ApiError::PaymentDeclined { decline_code } => Some(decline_code.clone()),
            _ => None,
        };
        let function = match self {
            ApiError::FunctionNotGranted(function) => Some((*function).to_owned()),
            _ => None,
        };
        let (challenge_id, question) = match self {
            ApiError::StepUpRequired {
                challenge_id,
                question,
            } => (Some(challenge_id.clone()), Some(question.clone())),
            _ => (None, None),
        };
        let step_up_url = match self {
            ApiError::StepUpAtPage { url } => Some(url.clone()),
            _ => None,
        };
        Problem {
            kind: format!("/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail,
            param,
            decline_code,
            function,
            challenge_id,
            question,
            step_up_url,
        }
    }

    /// The problem+json body.
    #[must_use]
    pub fn body(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

fn describe_reject(reject: Reject) -> (StatusCode, &'static str, &'static str) {
    let code = reject.code();
    match reject {
        Reject::InsufficientFunds => (StatusCode::PAYMENT_REQUIRED, code, "Insufficient funds"),
        Reject::LimitReached(LimitKind::PerTransaction) => (
            StatusCode::FORBIDDEN,
            code,
            "The per-transaction spending limit would be exceeded",
        ),
        Reject::LimitReached(LimitKind::PerSession) => (
            StatusCode::FORBIDDEN,
            code,
            "The per-session spending limit would be exceeded",
        ),
        Reject::LimitReached(LimitKind::PerDay) => (
            StatusCode::FORBIDDEN,
            code,
            "The daily spending limit would be exceeded",
        ),
        Reject::LimitReached(LimitKind::PerWeek) => (
            StatusCode::FORBIDDEN,
            code,
            "The weekly spending limit would be exceeded",
        ),
        Reject::LimitReached(LimitKind::PerMonth) => (
            StatusCode::FORBIDDEN,
            code,
            "The monthly spending limit would be exceeded",
        ),
        Reject::Frozen => (
            StatusCode::FORBIDDEN,
            code,
            "The member's account is frozen",
        ),
        Reject::VendorNotAllowed => (
            StatusCode::FORBIDDEN,
            code,
            "The member does not allow purchases from this vendor",
        ),
        Reject::SessionUnknown => (
            StatusCode::FORBIDDEN,
            code,
            "The member's session does not exist",
        ),
        Reject::SessionEnded => (
            StatusCode::FORBIDDEN,
            code,
            "The member's session has ended",
        ),
        Reject::SessionExpired => (
            StatusCode::FORBIDDEN,
            code,
            "The member's session has expired",
        ),
        Reject::CurrencyMismatch => (
            StatusCode::BAD_REQUEST,
            code,
            "The price's currency is not the one the vendor sells in",
        ),
        Reject::WalletMissing => (
            StatusCode::CONFLICT,
            code,
            "The member has no wallet in this currency",
        ),
        Reject::WalletExists => (
            StatusCode::CONFLICT,
            code,
            "The member has a wallet in this currency already",
        ),
        Reject::CurrencyUnsupported => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "This service holds no wallets in this currency",
        ),
        Reject::AmountTooLarge => (StatusCode::BAD_REQUEST, code, "The amount is too large"),
        Reject::IdempotencyKeyReused => (
            StatusCode::CONFLICT,
            code,
            "This Idempotency-Key was used with a different request",
        ),
        Reject::EntitlementUnknown => {
            (StatusCode::FORBIDDEN, code, "No entitlement for this token")
        }
        Reject::ContentMismatch => (
            StatusCode::FORBIDDEN,
            code,
            "The access token is for other content",
        ),
        Reject::EntitlementExpired => (StatusCode::FORBIDDEN, code, "The entitlement has expired"),
        Reject::ViewsUsedUp => (StatusCode::FORBIDDEN, code, "No views are left"),
        Reject::EntitlementReversed => (StatusCode::FORBIDDEN, code, "The purchase was reversed"),
        Reject::AccessTokenUsed => (
            StatusCode::FORBIDDEN,
            code,
            "The access token was already used",
        ),
        Reject::AuthorizationUnknown => (StatusCode::NOT_FOUND, code, "No such authorization"),
        Reject::AlreadyReversed => (
            StatusCode::CONFLICT,
            code,
            "The authorization was already reversed",
        ),
        Reject::CreditLineBelowBalance => (
            StatusCode::CONFLICT,
            code,
            "The credit line is below the amount already drawn",
        ),
        Reject::LoginUnknown => (StatusCode::UNAUTHORIZED, code, "Unknown login"),
        Reject::OfferUnknown => (StatusCode::NOT_FOUND, code, "No such offer"),
        Reject::OfferExpired => (StatusCode::GONE, code, "The offer has expired"),
        Reject::OfferUsed => (
            StatusCode::CONFLICT,
            code,
            "The offer was already bought; ask the vendor for a new one",
        ),
        Reject::OfferInProgress => (
            StatusCode::CONFLICT,
            code,
            "A purchase of this offer is in progress",
        ),
        Reject::OfferQuotaExceeded => (
            StatusCode::TOO_MANY_REQUESTS,
            code,
            "The vendor has too many live offers; wait for some to expire",
        ),
        Reject::IncentiveInvalid => (
            StatusCode::FORBIDDEN,
            code,
            "No incentive of the member with this code applies to this offer",
        ),
        Reject::DepositInProgress => (
            StatusCode::CONFLICT,
            code,
            "Earlier deposits of this account are still waiting for the payment processor; \
             nothing was charged, retry shortly",
        ),
        Reject::PaymentMethodUnknown => (
            StatusCode::NOT_FOUND,
            code,
            "The member has no saved payment method with this id",
        ),
        Reject::PaymentMethodQuotaExceeded => (
            StatusCode::CONFLICT,
            code,
            "The member keeps as many payment methods as allowed; remove one first",
        ),
        Reject::DebtOutstanding => (
            StatusCode::PAYMENT_REQUIRED,
            code,
            "A returned bank debit left a debt in this wallet; the next deposit repays it first",
        ),
        Reject::CashOutBelowCharge => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "The cash-out is not larger than its service charge; nothing would be paid out",
        ),
        Reject::RecipientUnavailable => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "This address cannot receive a transfer; nothing was sent",
        ),
        Reject::TransferToSelf => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "A transfer must go to another member",
        ),
        Reject::IncentiveUnknown => (
            StatusCode::NOT_FOUND,
            code,
            "No incentive program has this code or id",
        ),
        Reject::IncentiveExpired => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "The incentive program has expired and grants nothing more",
        ),
        Reject::IncentiveBudgetExhausted => (
            StatusCode::CONFLICT,
            code,
            "The incentive program's budget is spent",
        ),
        Reject::IncentiveAlreadyRedeemed => (
            StatusCode::CONFLICT,
            code,
            "This account redeemed the code before; a code redeems once per account",
        ),
        Reject::IncentiveCodeTaken => (
            StatusCode::CONFLICT,
            code,
            "Another incentive program has this code",
        ),
        Reject::VendorGroupUnknown => (StatusCode::NOT_FOUND, code, "No vendor group has this id"),
        Reject::IncentiveQuotaExceeded => (
            StatusCode::CONFLICT,
            code,
            "As many incentives are held, or programs or groups kept, as allowed",
        ),
        Reject::SettlementRunInProgress => (
            StatusCode::CONFLICT,
            code,
            "Another settlement run has not finished; try again when it has",
        ),
        Reject::SettlementRunUnknown => {
            (StatusCode::NOT_FOUND, code, "No settlement run has this id")
        }
        Reject::RightsHolderUnknown => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "No rights holder has this id",
        ),
        Reject::RightsHolderExists => (
            StatusCode::CONFLICT,
            code,
            "The rights holder exists, or as many are registered as allowed",
        ),
        Reject::PayoutUnknown => (StatusCode::NOT_FOUND, code, "No payout has this id"),
        Reject::PayoutReturnedAlready => (
            StatusCode::CONFLICT,
            code,
            "The bank returned this payout before; it was re-credited then",
        ),
        Reject::TextInvalid => (
            StatusCode::BAD_REQUEST,
            code,
            "The text is empty, longer than allowed or holds control characters",
        ),
        Reject::DisputeExists => (
            StatusCode::CONFLICT,
            code,
            "This purchase is disputed already; see its dispute",
        ),
        Reject::DisputeUnknown => (StatusCode::NOT_FOUND, code, "No dispute has this id"),
        Reject::DisputeDecidedAlready => (
            StatusCode::CONFLICT,
            code,
            "The dispute was approved or rejected already",
        ),
        Reject::DisputeChargedNothing => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "The purchase charged nothing, so there is nothing to dispute",
        ),
        Reject::DisputeWindowPassed => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "The purchase is older than the time allowed to dispute it",
        ),
        Reject::DisputesPendingMax => (
            StatusCode::TOO_MANY_REQUESTS,
            code,
            "As many disputes as allowed are waiting for an operator; wait for their outcome",
        ),
        Reject::FunctionNotHeld => (
            StatusCode::FORBIDDEN,
            code,
            "Nobody can give a security function they do not hold themselves",
        ),
        Reject::OperatorExists => (
            StatusCode::CONFLICT,
            code,
            "An operator or vendor admin has this e-mail, or as many as allowed exist",
        ),
        Reject::OperatorUnknown => (StatusCode::NOT_FOUND, code, "No operator has this id"),
        Reject::SecurityGroupUnknown => (
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "No security group has this id",
        ),
        Reject::SecurityGroupsTooMany => (
            StatusCode::CONFLICT,
            code,
            "As many security groups as allowed exist, or an operator would be in too many",
        ),
        Reject::VendorNotApproved => (
            StatusCode::FORBIDDEN,
            code,
            "The vendor waits for an operator's approval, or was refused",
        ),
        Reject::VendorDecidedAlready => (
            StatusCode::CONFLICT,
            code,
            "The vendor was approved or rejected already",
        ),
        Reject::ApprovalUnknown => (
            StatusCode::NOT_FOUND,
            code,
            "No request waits for approval under this id",
        ),
        Reject::FourEyesSamePerson => (
            StatusCode::FORBIDDEN,
            code,
            "Another person holding the function must approve this request",
        ),
        Reject::ApprovalsPendingMax => (
            StatusCode::TOO_MANY_REQUESTS,
            code,
            "As many requests as allowed wait for approval; decide some first",
        ),
        Reject::HolderOnly => (
            StatusCode::FORBIDDEN,
            code,
            "Only the account holder may do this",
        ),
        Reject::LoginDisabled => (
            StatusCode::FORBIDDEN,
            code,
            "The account holder disabled this login",
        ),
        Reject::LoginsFull => (
            StatusCode::CONFLICT,
            code,
            "The account has as many logins as it may",
        ),
        Reject::LoginTaken => (StatusCode::CONFLICT, code, "The login id is taken; retry"),
        Reject::LoginIsHolder => (
            StatusCode::CONFLICT,
            code,
            "The holder's login cannot be disabled",
        ),
        Reject::LoginNotFound => (
            StatusCode::NOT_FOUND,
            code,
            "No login of the account has this id",
        ),
        Reject::QuestionsCount => (
            StatusCode::BAD_REQUEST,
            code,
            "Give two to five security questions",
        ),
        Reject::StepUpLocked { .. } => (
            StatusCode::FORBIDDEN,
            code,
            "Too many wrong answers: step-up is locked for a while",
        ),
        Reject::StepUpNotAsked => (
            StatusCode::CONFLICT,
            code,
            "No security question was asked; ask for a new challenge",
        ),
        Reject::StepUpRequired => (StatusCode::FORBIDDEN, code, STEP_UP_TITLE),
        Reject::AccountClosed => (StatusCode::CONFLICT, code, "The account is closed"),
        Reject::BalanceRemaining => (
            StatusCode::CONFLICT,
            code,
            "Paid balance remains; cash it out first, or close with forfeit to give it up",
        ),
        Reject::CloseDebtOpen => (
            StatusCode::CONFLICT,
            code,
            "The account owes a debt or a balance drawn on credit; repay it before closing",
        ),
        Reject::CloseMoneyInMotion => (
            StatusCode::CONFLICT,
            code,
            "A deposit, a bank debit or a dispute is not final yet; close when it is",
        ),
    }
}

fn describe_token(kind: TokenKind, error: TokenError) -> (StatusCode, &'static str, &'static str) {
    let forbidden = StatusCode::FORBIDDEN;
    match (kind, error) {
        (TokenKind::Buyer, TokenError::Expired) => (
            forbidden,
            "buyer_token_expired",
            "The buyer token has expired",
        ),
        (TokenKind::Buyer, TokenError::WrongVendor) => (
            forbidden,
            "buyer_token_wrong_vendor",
            "The buyer token is for another vendor",
        ),
        (
            TokenKind::Buyer,
            TokenError::Malformed
            | TokenError::WrongPurpose
            | TokenError::UnknownKey
            | TokenError::Tampered,
        ) => (
            forbidden,
            "buyer_token_invalid",
            "The buyer token is not valid",
        ),
        (TokenKind::Access, TokenError::Expired) => (
            forbidden,
            "access_token_expired",
            "The access token has expired",
        ),
        (TokenKind::Access, TokenError::WrongVendor) => (
            forbidden,
            "access_token_wrong_vendor",
            "The access token is for another vendor",
        ),
        (
            TokenKind::Access,
            TokenError::Malformed
            | TokenError::WrongPurpose
            | TokenError::UnknownKey
            | TokenError::Tampered,
        ) => (
            forbidden,
            "access_token_invalid",
            "The access token is not valid",
        ),
    }
}

impl From<Fault> for ApiError {
    fn from(fault: Fault) -> ApiError {
        match fault {
            Fault::Overloaded => ApiError::Overloaded,
            Fault::StorageFailed | Fault::StorageRead => ApiError::StorageFailed,
            Fault::Stopped => ApiError::Unavailable,
        }
    }
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> ApiError {
        match error {
            CommandError::Reject(reject) => ApiError::Reject(reject),
            CommandError::Fault(fault) => fault.into(),
        }
    }
}

impl From<GatewayError> for ApiError {
    fn from(error: GatewayError) -> ApiError {
        match error {
            GatewayError::NotFound => ApiError::NotFound,
            GatewayError::Command(command) => command.into(),
        }
    }
}

impl From<OfferInvalid> for ApiError {
    fn from(invalid: OfferInvalid) -> ApiError {
        match invalid {
            OfferInvalid::Field { param, rule } => ApiError::InvalidField {
                param,
                detail: rule.to_owned(),
            },
            OfferInvalid::CurrencyMismatch => ApiError::Reject(Reject::CurrencyMismatch),
            OfferInvalid::ContentDomainUnknown => ApiError::ContentDomainUnknown,
        }
    }
}

impl From<RegistrationInvalid> for ApiError {
    fn from(invalid: RegistrationInvalid) -> ApiError {
        ApiError::InvalidField {
            param: invalid.param,
            detail: invalid.rule.to_owned(),
        }
    }
}

impl From<OpenInvalid> for ApiError {
    fn from(invalid: OpenInvalid) -> ApiError {
        ApiError::InvalidField {
            param: invalid.param,
            detail: invalid.rule.to_owned(),
        }
    }
}

/// A short explanation of a problem code, served at `/problems/<code>`.
#[must_use]
pub fn explain(code: &str) -> Option<&'static str> {
    let samples = [
        ApiError::MalformedBody(String::new()),
        ApiError::InvalidField {
            param: "",
            detail: String::new(),
        },
        ApiError::InvalidAmount { param: "" },
        ApiError::Unauthenticated,
        ApiError::ContentDomainUnknown,
        ApiError::NotFound,
        ApiError::RouteNotFound,
        ApiError::MethodNotAllowed,
        ApiError::IdempotencyInFlight,
        ApiError::EmailTaken,
        ApiError::BodyTooLarge,
        ApiError::Overloaded,
        ApiError::Unavailable,
        ApiError::StorageFailed,
        ApiError::CsrfFailed,
        ApiError::PaymentDeclined {
            decline_code: "card_declined".to_owned(),
        },
        ApiError::NoPaymentMethod,
        ApiError::TotalsOverflow,
        ApiError::RequestTimeout,
        ApiError::TooManyConnections,
        ApiError::TooManyAttempts { retry_after_s: 0 },
        ApiError::IdempotencyQuotaExceeded,
        ApiError::FunctionNotGranted(""),
        ApiError::FourEyesThroughApi,
        ApiError::DayNotOver,
        ApiError::ContentUrlNotKept,
        ApiError::MailRunInProgress,
    ];
    let rejects = Reject::ALL.iter().map(|r| ApiError::Reject(*r));
    let tokens = [TokenKind::Buyer, TokenKind::Access]
        .into_iter()
        .flat_map(|kind| {
            [
                TokenError::Expired,
                TokenError::WrongVendor,
                TokenError::Tampered,
            ]
            .into_iter()
            .map(move |e| ApiError::Token(kind, e))
        });
    samples
        .into_iter()
        .chain(rejects)
        .chain(tokens)
        .map(|e| e.describe())
        .find(|(_, c, _)| *c == code)
        .map(|(_, _, title)| title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_unique_and_explained() {
        let mut seen = std::collections::BTreeSet::new();
        for reject in Reject::ALL {
            let (_, code, _) = ApiError::Reject(*reject).describe();
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(explain(code).is_some());
        }
        assert_eq!(explain("insufficient_funds"), Some("Insufficient funds"));
        assert_eq!(explain("no_such_code"), None);
    }

    #[test]
    fn problem_body_names_type_code_and_param() {
        let body = ApiError::InvalidAmount { param: "price" }.body();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["type"], "/problems/invalid_amount");
        assert_eq!(value["status"], 400);
        assert_eq!(value["param"], "price");
        assert_eq!(ApiError::Overloaded.retry_after_s(), Some(1));
    }

    #[test]
    fn too_many_attempts_is_a_429_with_its_wait_and_is_explained() {
        let error = ApiError::TooManyAttempts { retry_after_s: 42 };
        assert_eq!(error.describe().0, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.describe().1, "too_many_attempts");
        assert_eq!(error.retry_after_s(), Some(42));
        assert!(explain("too_many_attempts").is_some());
    }
}
