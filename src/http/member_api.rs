//! Member calls: register, sign in and out, buyer tokens, limits, freeze, account view.
//! Password hashing (argon2id) runs on the blocking pool, never on a shard thread, bounded by
//! `password::Passwords`; sign-in and registration are throttled (`password::Throttles`)
//! before any hash runs.

use hyper::StatusCode;

use super::app::{App, KeyScope, MemberSession, new_id};
use super::client::ClientAddr;
use super::dto::{
    AccountClosedView, AccountResponse, AddFundsRequest, AddPaymentMethodRequest,
    BuyerTokenCreated, BuyerTokenRequest, CashOutCreated, CashOutRequest, CashOutTo,
    CloseAccountRequest, DepositCreated, Done, ForfeitView, LimitsRequest, LimitsView, LoginView,
    MemberCreated, OpenWalletRequest, PaymentMethodView, PurchaseView, RegisterRequest,
    SessionCreated, SignInRequest, TopOffRequest, TopOffView, WalletView, id_field,
};
use super::error::{ApiError, Problem};
use super::idempotent::idempotent;
use super::json::{parse_json, rfc3339};
use super::router::json;
use super::routes::{Call, Outcome};
use super::statement_api;
use super::step_up_api::{hash_questions, require_step_up_token, step_up_header};
use crate::actors::gateway::{GatewayError, OpenError};
use crate::actors::messages::{AccountClosed, AccountView, CommandError, MemberCommand};
use crate::crypto::token::{BuyerClaims, SessionClaims};
use crate::domain::account::{
    CashOut, Destination, Login, OpenAccount, Referral, SessionExpiry, StartDeposit, Wallet,
    check_open_fields,
};
use crate::domain::event::IdempotencyStamp;
use crate::domain::ids::{
    AccountId, CashOutId, DepositId, LoginId, Owner, PaymentMethodId, SessionId, VendorId,
};
use crate::domain::limits::Limits;
use crate::domain::logins::LoginRole;
use crate::domain::money::{Amount, Balance, Currency, format_amount, format_balance};
use crate::domain::payment_method::{Rail, SavedMethod};
use crate::domain::reject::Reject;
use crate::domain::step_up::check_questions;
use crate::payments::{DepositError, Deposited, NewMethod};

/// Shortest password accepted.
const PASSWORD_CHARS_MIN: usize = 8;
/// Longest password accepted (argon2 input bound).
const PASSWORD_BYTES_MAX: usize = 1024;
/// Longest e-mail (RFC 5321).
const EMAIL_BYTES_MAX: usize = 254;

pub(super) fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let well_formed = email.len() <= EMAIL_BYTES_MAX
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if well_formed {
        Ok(email)
    } else {
        Err(ApiError::InvalidField {
            param: "email",
            detail: "an e-mail address".to_owned(),
        })
    }
}

/// `POST /v1/members`: registers a member with a password and a first wallet.
#[utoipa::path(post, path = "/v1/members", tag = "members",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = MemberCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 409, description = "The e-mail is taken", body = Problem),
        (status = 429, description = "Too many registrations from this address; see Retry-After", body = Problem)))]
pub async fn register(app: &App, call: Call<'_>) -> Outcome {
    let request: RegisterRequest = parse_json(&call.body)?;
    let account = register_member(app, call.client, request, None).await?;
    Ok(json(
        StatusCode::CREATED,
        &MemberCreated {
            member_id: account.to_string(),
        },
    ))
}

/// Registers a member from `client`: checks the fields, counts the registration against the
/// address, claims the e-mail, hashes the password and opens the account (with the payment
/// method to save, when the buy window's register form asked for one).
///
/// The e-mail is claimed before the hash, so a taken e-mail costs no hash and two
/// registrations of one e-mail never both hash; the claim is released if the hash fails or
/// the account cannot be opened. A taken e-mail still answers `EmailTaken`: telling a new
/// member so is worth more than hiding which e-mails are registered, and the per-address
/// registration throttle bounds how fast anyone can ask.
///
/// # Errors
/// `InvalidField` naming the field, `TooManyAttempts`, `EmailTaken`, faults.
pub async fn register_member(
    app: &App,
    client: ClientAddr,
    request: RegisterRequest,
    payment_method: Option<SavedMethod>,
) -> Result<AccountId, ApiError> {
    let email = normalize_email(&request.email)?;
    check_password(&request.password)?;
    let currency = supported_currency(app, &request.currency)?;
    let referrer = request
        .referred_by
        .as_deref()
        .map(|id| {
            let vendor: VendorId = id_field(id, "referred_by")?;
            app.registry
                .vendor(vendor)
                .map(|_| vendor)
                .ok_or(ApiError::InvalidField {
                    param: "referred_by",
                    detail: "not a registered vendor".to_owned(),
                })
        })
        .transpose()?;
    let time_zone = request.time_zone.unwrap_or_else(|| "UTC".to_owned());
    let questions: Vec<(String, String)> = request
        .security_questions
        .unwrap_or_default()
        .into_iter()
        .map(|pair| (pair.question, pair.answer))
        .collect();
    // Refused before hashing, which costs 19 MiB and tens of milliseconds.
    check_open_fields(&request.language, &time_zone)?;
    if !questions.is_empty() {
        check_questions(&questions).map_err(ApiError::Reject)?;
    }
    let registration = app.throttles.begin_registration(client, app.now())?;
    let account = AccountId(new_id());
    let Some(claim) = EmailClaim::claim(app, &email, account) else {
        registration.decided(app.now());
        return Err(ApiError::EmailTaken);
    };
    let hashed = match app.passwords.hash(request.password).await {
        Ok(hash) => hash_questions(app, questions)
            .await
            .map(|questions| (hash, questions)),
        Err(error) => Err(error.into()),
    };
    let (hash, security_questions) = match hashed {
        Ok(hashed) => hashed,
        Err(error) => {
            registration.undecided(app.now());
            return Err(error);
        }
    };
    // From here the journal may make the account durable even if this request goes away,
    // so the claim is no longer released on drop, only when the open is refused.
    claim.keep();
    let now = app.now();
    let signup_bonus = app
        .config
        .incentives
        .signup_bonus
        .get(&currency)
        .map(|bonus| signup_grant(currency, *bonus, now));
    let command = OpenAccount {
        account,
        login: LoginId(new_id()),
        email: Some(email.clone()),
        password_hash: hash,
        language: request.language,
        time_zone,
        currency,
        payment_method,
        signup_bonus,
        referral: referrer
            .map(|vendor| Referral::starting(vendor, now, app.config.settlement.referral_months)),
        vendor_offers_declined: referrer.is_some() && request.vendor_offers == Some(false),
        security_questions,
    };
    let result = app.registry.open_account(command, app.now()).await;
    if result.is_err() {
        app.registry.release_email(&email);
    }
    match result {
        Ok(()) => {
            registration.decided(app.now());
            Ok(account)
        }
        Err(OpenError::Invalid(invalid)) => {
            registration.decided(app.now());
            Err(invalid.into())
        }
        Err(OpenError::Gateway(error)) => {
            registration.undecided(app.now());
            Err(error.into())
        }
    }
}

/// An e-mail claimed for a registration while its password is hashed; released when dropped
/// before [`EmailClaim::keep`] (the hash failed, or the request went away mid-hash), so a
/// failed registration never leaves the e-mail taken by no account.
pub(super) struct EmailClaim<'a> {
    app: &'a App,
    email: &'a str,
    held: bool,
}

impl<'a> EmailClaim<'a> {
    /// Claims `email` for `account`; `None` when it is taken.
    pub(super) fn claim(
        app: &'a App,
        email: &'a str,
        account: AccountId,
    ) -> Option<EmailClaim<'a>> {
        app.registry
            .claim_email(email, account)
            .then_some(EmailClaim {
                app,
                email,
                held: true,
            })
    }

    /// Keeps the claim past this guard.
    pub(super) fn keep(mut self) {
        self.held = false;
    }
}

impl Drop for EmailClaim<'_> {
    fn drop(&mut self) {
        if self.held {
            self.app.registry.release_email(self.email);
        }
    }
}

/// `POST /v1/sessions`: signs in with e-mail and password.
#[utoipa::path(post, path = "/v1/sessions", tag = "members",
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in", body = SessionCreated),
        (status = 401, description = "Unknown e-mail or wrong password (which one is not said)", body = Problem),
        (status = 429, description = "Too many failed sign-ins for this e-mail or from this address; see Retry-After", body = Problem),
        (status = 503, description = "The password hasher is busy; see Retry-After", body = Problem)))]
pub async fn sign_in(app: &App, call: Call<'_>) -> Outcome {
    let request: SignInRequest = parse_json(&call.body)?;
    let expiry = match request.expiry.as_str() {
        "absolute" => SessionExpiry::Absolute {
            expires_at: app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms),
        },
        "idle" => SessionExpiry::Idle {
            idle_ms: app.config.tokens.session_idle_ttl_ms,
        },
        _ => {
            return Err(ApiError::InvalidField {
                param: "expiry",
                detail: "absolute or idle".to_owned(),
            });
        }
    };
    let (account, login, role) =
        authenticate(app, call.client, &request.email, request.password).await?;
    let (session, expires_at) = start_session(app, account, login, expiry).await?;
    let token = seal_session(
        app,
        &MemberSession {
            account,
            login,
            session,
            holder: role == LoginRole::Holder,
        },
    );
    Ok(json(
        StatusCode::CREATED,
        &SessionCreated {
            session_token: token,
            expires_at: rfc3339(expires_at),
        },
    ))
}

/// Checks an e-mail and password from `client`; answers the account and login they sign in
/// to, and the login's role. The attempt is reserved with the throttles before anything else, and an unknown e-mail
/// costs one hash like a known one (against the hasher's dummy).
///
/// # Errors
/// `Unauthenticated` for an unknown e-mail or a wrong password (which one is not said);
/// `TooManyAttempts` while the e-mail or the address is in its back-off; faults.
pub async fn authenticate(
    app: &App,
    client: ClientAddr,
    email: &str,
    password: String,
) -> Result<(AccountId, LoginId, LoginRole), ApiError> {
    // A malformed e-mail cannot be registered: refused without a hash, which says nothing.
    let email = normalize_email(email).map_err(|_| ApiError::Unauthenticated)?;
    let attempt = app.throttles.begin_sign_in(&email, client, app.now())?;
    let (found, stored) = match app.registry.login_by_email(email).await {
        Ok(found) => (
            Some((found.account, found.login, found.role)),
            Some(found.password_hash),
        ),
        Err(GatewayError::NotFound | GatewayError::Command(CommandError::Reject(_))) => {
            (None, None)
        }
        Err(GatewayError::Command(CommandError::Fault(fault))) => {
            attempt.undecided(app.now());
            return Err(fault.into());
        }
    };
    let verified = match app.passwords.verify(password, stored).await {
        Ok(verified) => verified,
        Err(error) => {
            attempt.undecided(app.now());
            return Err(error.into());
        }
    };
    match found.filter(|_| verified) {
        Some(found) => {
            attempt.succeeded(app.now());
            Ok(found)
        }
        None => {
            attempt.failed(app.now());
            Err(ApiError::Unauthenticated)
        }
    }
}

/// Checks a new password's length: 8 characters to 1024 bytes.
///
/// # Errors
/// `InvalidField` on `password`.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < PASSWORD_CHARS_MIN || password.len() > PASSWORD_BYTES_MAX {
        return Err(ApiError::InvalidField {
            param: "password",
            detail: "8 to 1024 characters".to_owned(),
        });
    }
    Ok(())
}

/// Opens a server-side session for a login; answers its id and expiry.
///
/// # Errors
/// Rejects (a frozen account may sign in; see the domain) and faults.
pub async fn start_session(
    app: &App,
    account: AccountId,
    login: LoginId,
    expiry: SessionExpiry,
) -> Result<(SessionId, crate::domain::time::Timestamp), ApiError> {
    let session = SessionId(new_id());
    let expires_at = app
        .registry
        .start_session(account, login, session, expiry)
        .await?;
    Ok((session, expires_at))
}

/// Seals a session token. Its own expiry is the absolute session lifetime, a cap: the account
/// actor decides whether the session is still live.
#[must_use]
pub fn seal_session(app: &App, member: &MemberSession) -> String {
    let cap = app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms);
    let claims = SessionClaims {
        account: member.account.0,
        login: member.login.0,
        session: member.session.0,
        expires_at_ms: u64::try_from(cap.0).unwrap_or(0),
        holder: member.holder,
    };
    app.tokens.seal(&claims, 0, &mut rand::thread_rng())
}

/// Seals a buyer token for `vendor`, capped like a session token.
#[must_use]
pub fn seal_buyer(
    app: &App,
    account: AccountId,
    login: LoginId,
    session: SessionId,
    vendor: VendorId,
) -> String {
    let cap = app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms);
    let claims = BuyerClaims {
        account: account.0,
        login: login.0,
        session: session.0,
        vendor: vendor.0,
        expires_at_ms: u64::try_from(cap.0).unwrap_or(0),
    };
    app.tokens.seal(&claims, vendor.0, &mut rand::thread_rng())
}

/// Maps session rejects (and a session of an account that is gone) on member calls to 401:
/// the caller's credential is what failed.
pub(super) fn member_error(error: GatewayError) -> ApiError {
    match ApiError::from(error) {
        ApiError::Reject(
            Reject::SessionUnknown | Reject::SessionEnded | Reject::SessionExpired,
        )
        | ApiError::NotFound => ApiError::Unauthenticated,
        other => other,
    }
}

/// The signup bonus a registration in `currency` gets now ([0116]): an MSP incentive,
/// spendable anywhere until `valid_days` from now, outside any program's budget.
#[must_use]
pub fn signup_grant(
    currency: Currency,
    bonus: crate::config::SignupBonus,
    now: crate::domain::time::Timestamp,
) -> crate::domain::incentive::Grant {
    let valid_ms = u64::from(bonus.valid_days).saturating_mul(crate::domain::time::DAY_MS);
    crate::domain::incentive::Grant {
        id: crate::domain::ids::GrantId(new_id()),
        program: None,
        reach: crate::domain::incentive::Reach::Anywhere,
        funder: crate::domain::incentive::Funder::Msp,
        currency,
        remaining: bonus.amount,
        granted_at: now,
        expires_at: Some(now.plus_ms(valid_ms)),
    }
}

/// `POST /v1/buyer-tokens`: a token that lets one vendor charge the member while the session
/// lasts.
#[utoipa::path(post, path = "/v1/buyer-tokens", tag = "members",
    request_body = BuyerTokenRequest,
    responses(
        (status = 201, description = "The token", body = BuyerTokenCreated),
        (status = 401, description = "No live session", body = Problem),
        (status = 404, description = "No such vendor", body = Problem)),
    security(("member_session" = [])))]
pub async fn buyer_token(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: BuyerTokenRequest = parse_json(&call.body)?;
    let vendor = request.into_vendor()?;
    app.registry.vendor(vendor).ok_or(ApiError::NotFound)?;
    let expires_at = app
        .registry
        .check_session(member.account, member.login, member.session)
        .await
        .map_err(member_error)?;
    let token = seal_buyer(app, member.account, member.login, member.session, vendor);
    Ok(json(
        StatusCode::CREATED,
        &BuyerTokenCreated {
            buyer_token: token,
            expires_at: rfc3339(expires_at),
        },
    ))
}

pub(super) async fn member_command(
    app: &App,
    member: MemberSession,
    command: MemberCommand,
) -> Outcome {
    self::command(app, member, command).await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// Runs `command` for the member's live session: what every member route's change is, and
/// the account pages' too.
///
/// # Errors
/// Session rejects as `Unauthenticated`; the account's rejects; faults.
pub(crate) async fn command(
    app: &App,
    member: MemberSession,
    command: MemberCommand,
) -> Result<(), ApiError> {
    app.registry
        .member_command(member.account, member.login, member.session, command)
        .await
        .map_err(member_error)
}

/// `DELETE /v1/sessions/current`: signs out.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "members",
    responses((status = 200, description = "Signed out", body = Done),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    member_command(app, call.member()?, MemberCommand::EndSession).await
}

/// `POST /v1/members/me/freeze`: freezes the account at once; every session ends.
#[utoipa::path(post, path = "/v1/members/me/freeze", tag = "members",
    responses((status = 200, description = "Frozen", body = Done),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn freeze(app: &App, call: Call<'_>) -> Outcome {
    member_command(app, call.member()?, MemberCommand::Freeze(true)).await
}

/// `POST /v1/members/me/unfreeze`: lets the account buy again.
#[utoipa::path(post, path = "/v1/members/me/unfreeze", tag = "members",
    responses((status = 200, description = "Unfrozen", body = Done),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn unfreeze(app: &App, call: Call<'_>) -> Outcome {
    unfreeze_account(app, call.member()?, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// Lets a frozen account buy again, behind step-up with `step_up` as the token: the one path
/// of the API and the account pages.
///
/// # Errors
/// `StepUpRequired`; session rejects; faults.
pub async fn unfreeze_account(
    app: &App,
    member: MemberSession,
    step_up: Option<&str>,
) -> Result<(), ApiError> {
    // Reactivation goes through the MSP in the seed ([0157]): step-up is ours.
    require_step_up_token(app, step_up, member).await?;
    command(app, member, MemberCommand::Freeze(false)).await
}

/// `POST /v1/members/me/close`: the holder closes the account (issue 14). Every session of
/// every login ends, the personal data (e-mails, names, password hashes, security questions,
/// payment details) is erased from the account and from the journal's earlier events, and
/// the amounts stay, so the totals still hold. Paid balance left is refused
/// (`balance_remaining`) unless `forfeit` gives it to the service; incentives end with the
/// account without asking (they are not the member's money); a debt, a deposit or debit not
/// final, or a dispute pending refuse it either way. Behind step-up. Content bought keeps
/// working for the access tokens already issued; no new ones can be had.
#[utoipa::path(post, path = "/v1/members/me/close", tag = "members",
    request_body = CloseAccountRequest,
    params(("Step-Up" = Option<String>, Header, description = "The token of a step-up answered in this session")),
    responses((status = 200, description = "Closed", body = AccountClosedView),
        (status = 400, description = "The body is not a close request", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "A sub-member (holder_only), a frozen account, or step-up required", body = Problem),
        (status = 409, description = "balance_remaining, close_debt_open, close_money_in_motion or account_closed", body = Problem)),
    security(("member_session" = [])))]
pub async fn close(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: CloseAccountRequest = if call.body.iter().all(u8::is_ascii_whitespace) {
        CloseAccountRequest::default()
    } else {
        parse_json(&call.body)?
    };
    let forfeit = request.forfeit.unwrap_or(false);
    let closed = close_account(app, member, forfeit, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::OK, &closed_view(&closed)))
}

/// Closes the member's account behind step-up with `step_up` as the token: the one path of
/// the API and the account pages.
///
/// # Errors
/// `StepUpRequired`; session rejects as `Unauthenticated`; `HolderOnly`, `Frozen`,
/// `CloseDebtOpen`, `CloseMoneyInMotion`, `BalanceRemaining`, `AccountClosed`; faults.
pub async fn close_account(
    app: &App,
    member: MemberSession,
    forfeit: bool,
    step_up: Option<&str>,
) -> Result<AccountClosed, ApiError> {
    require_step_up_token(app, step_up, member).await?;
    app.registry
        .close_account(member.account, (member.login, member.session), forfeit)
        .await
        .map_err(member_error)
}

/// The wire view of a close.
#[must_use]
pub fn closed_view(closed: &AccountClosed) -> AccountClosedView {
    AccountClosedView {
        closed_at: rfc3339(closed.closed_at),
        forfeited: closed
            .forfeited
            .iter()
            .map(|(currency, amount)| ForfeitView {
                currency: currency.code().to_owned(),
                amount: format_amount(*amount, *currency),
            })
            .collect(),
    }
}

/// `POST /v1/members/me/payment-methods`: tokenizes a card with the payment processor and
/// saves the token, brand and last four digits ([0229]). The number and CVC are not kept.
#[utoipa::path(post, path = "/v1/members/me/payment-methods", tag = "members",
    request_body = AddPaymentMethodRequest,
    responses((status = 201, description = "Saved", body = PaymentMethodView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 402, description = "The processor refused the method; decline_code says why", body = Problem),
        (status = 403, description = "The account is frozen", body = Problem),
        (status = 409, description = "As many methods saved as allowed", body = Problem)),
    security(("member_session" = [])))]
pub async fn add_payment_method(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: AddPaymentMethodRequest = parse_json(&call.body)?;
    let typed = request.into_method(app.now())?;
    let method = add_method(app, member, &typed, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::CREATED, &payment_method_view(&method)))
}

/// Saves `typed` behind step-up with `step_up` as the token: the one path of
/// `POST /v1/members/me/payment-methods` and the account pages' "save the test card".
///
/// # Errors
/// `StepUpRequired`; those of [`save_payment_method`].
pub async fn add_method(
    app: &App,
    member: MemberSession,
    typed: &NewMethod,
    step_up: Option<&str>,
) -> Result<SavedMethod, ApiError> {
    require_step_up_token(app, step_up, member).await?;
    save_payment_method(app, member, typed).await
}

/// Tokenizes `typed` with the processor and saves the result on the member's account.
///
/// # Errors
/// `PaymentDeclined` when the processor refuses it; rejects (frozen, quota) and faults.
pub async fn save_payment_method(
    app: &App,
    member: MemberSession,
    typed: &NewMethod,
) -> Result<SavedMethod, ApiError> {
    let method = tokenize(app, typed, app.now())?;
    app.registry
        .member_command(
            member.account,
            member.login,
            member.session,
            MemberCommand::AddPaymentMethod(method.clone()),
        )
        .await
        .map_err(member_error)?;
    Ok(method)
}

/// Asks the processor for a token for `typed`, under a fresh id.
///
/// # Errors
/// `PaymentDeclined` when the processor refuses the method.
pub fn tokenize(
    app: &App,
    typed: &NewMethod,
    now: crate::domain::time::Timestamp,
) -> Result<SavedMethod, ApiError> {
    let tokenized = app
        .payments
        .tokenize(typed)
        .map_err(|declined| ApiError::PaymentDeclined {
            decline_code: declined.code,
        })?;
    Ok(SavedMethod {
        id: PaymentMethodId(new_id()),
        rail: tokenized.rail,
        brand: tokenized.brand.into_boxed_str(),
        last4: tokenized.last4.into_boxed_str(),
        token: tokenized.token.into_boxed_str(),
        added_at: now,
    })
}

/// `DELETE /v1/members/me/payment-methods/{id}`: forgets a saved method (deposits already
/// started with it still finish).
#[utoipa::path(delete, path = "/v1/members/me/payment-methods/{id}", tag = "members",
    params(("id" = String, Path, description = "The payment method, pm_…")),
    responses((status = 200, description = "Removed", body = Done),
        (status = 401, description = "No live session", body = Problem),
        (status = 404, description = "No such payment method", body = Problem)),
    security(("member_session" = [])))]
pub async fn remove_payment_method(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let method = call.params.get("id")?;
    remove_method(app, member, method, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// Forgets the saved method `method` names, behind step-up with `step_up` as the token: the
/// one path of the API and the account pages.
///
/// # Errors
/// `PaymentMethodUnknown` for an id of no method; `StepUpRequired`; session rejects.
pub async fn remove_method(
    app: &App,
    member: MemberSession,
    method: &str,
    step_up: Option<&str>,
) -> Result<(), ApiError> {
    let method: PaymentMethodId = method
        .trim()
        .parse()
        .map_err(|_| ApiError::Reject(Reject::PaymentMethodUnknown))?;
    require_step_up_token(app, step_up, member).await?;
    command(app, member, MemberCommand::RemovePaymentMethod(method)).await
}

/// `POST /v1/members/me/deposits`: charges a saved payment method and credits the wallet
/// ([0209], [0231]). The account checks first that the credit can land; the processor is
/// called outside the account's actor with the deposit id as its idempotency key.
#[utoipa::path(post, path = "/v1/members/me/deposits", tag = "members",
    request_body = AddFundsRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry answer the first response, also after a restart")),
    responses((status = 201, description = "Charged and credited", body = DepositCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 402, description = "Declined; decline_code says why. Nothing was credited", body = Problem),
        (status = 403, description = "The account is frozen", body = Problem),
        (status = 404, description = "No such payment method", body = Problem),
        (status = 409, description = "No wallet in this currency, or deposits still waiting", body = Problem)),
    security(("member_session" = [])))]
pub async fn add_funds(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let scope = KeyScope {
        caller: Owner::Account(member.account),
        route: "deposits",
    };
    let parse = |body: &[u8]| parse_json::<AddFundsRequest>(body)?.into_parts();
    idempotent(app, &call, scope, parse, |parts, key| async move {
        let stamp = key.map(|(key, request_digest)| IdempotencyStamp {
            key,
            request_digest,
        });
        let created = deposit_funds(app, member, parts, stamp).await?;
        Ok((StatusCode::CREATED, super::json::to_json(&created)))
    })
    .await
}

/// Charges saved method `method` for `amount` and credits the member's wallet in `currency`
/// (the session checked first, nothing charged when the credit cannot land): the one path of
/// `POST /v1/members/me/deposits` and the account pages' add-funds form.
///
/// # Errors
/// Session rejects as `Unauthenticated`; the account's refusals; `PaymentDeclined`.
pub async fn deposit_funds(
    app: &App,
    member: MemberSession,
    (amount, currency, method): (Amount, Currency, PaymentMethodId),
    idempotency: Option<IdempotencyStamp>,
) -> Result<DepositCreated, ApiError> {
    app.registry
        .check_session(member.account, member.login, member.session)
        .await
        .map_err(member_error)?;
    let command = StartDeposit {
        deposit: DepositId(new_id()),
        currency,
        amount,
        method,
        amount_max: app.config.buy_window.charge_max,
        idempotency,
        via: None,
    };
    let deposited = app
        .deposit(member.account, command)
        .await
        .map_err(deposit_error)?;
    let view = app
        .registry
        .account_view(member.account, None)
        .await
        .map_err(member_error)?;
    let balance = view
        .wallets
        .iter()
        .find(|(held, _)| *held == currency)
        .map_or(Balance::ZERO, |(_, wallet)| wallet.balance);
    let (deposit, status) = match deposited {
        Deposited::Credited(deposit) => (deposit, "credited"),
        Deposited::Pending(deposit) => (deposit, "pending"),
    };
    Ok(DepositCreated {
        deposit_id: deposit.to_string(),
        status: status.to_owned(),
        balance: format_balance(balance, currency),
        currency: currency.code().to_owned(),
    })
}

/// `POST /v1/members/me/cash-outs`: pays settled paid balance out to a bank account, less
/// the service charge `max(fixed, rate_ppm × amount)` of the currency, rounded up to its minor
/// unit ([0274]). Never incentive money, never the credit line, never an unsettled debit. The
/// cash-out is journaled as the payout instruction the settlement runner pays.
#[utoipa::path(post, path = "/v1/members/me/cash-outs", tag = "members",
    request_body = CashOutRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry answer the first response, also after a restart")),
    responses((status = 201, description = "Paid out", body = CashOutCreated),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 402, description = "Above the settled paid balance, or a debt is open", body = Problem),
        (status = 404, description = "No such saved bank account", body = Problem),
        (status = 409, description = "No wallet in this currency", body = Problem),
        (status = 422, description = "Not larger than its charge, or an unsupported currency", body = Problem)),
    security(("member_session" = [])))]
pub async fn cash_out(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let scope = KeyScope {
        caller: Owner::Account(member.account),
        route: "cash-outs",
    };
    let parse = |body: &[u8]| parse_json::<CashOutRequest>(body)?.into_parts();
    idempotent(app, &call, scope, parse, |parts, key| async move {
        let (amount, currency, to) = parts;
        let rule = app
            .config
            .money
            .cash_out_charge(currency)
            .ok_or(ApiError::Reject(Reject::CurrencyUnsupported))?;
        let charge = rule
            .on(amount, currency)
            .ok_or(ApiError::Reject(Reject::AmountTooLarge))?;
        let destination = match to {
            CashOutTo::Saved(method) => Destination::Saved(method),
            CashOutTo::Given(account) => Destination::Given(tokenize(app, &account, app.now())?),
        };
        let command = CashOut {
            cash_out: CashOutId(new_id()),
            currency,
            amount,
            charge,
            destination,
        };
        let stamp = key.map(|(key, request_digest)| IdempotencyStamp {
            key,
            request_digest,
        });
        let done = app
            .registry
            .cash_out(
                member.account,
                (member.login, member.session),
                command,
                stamp,
            )
            .await
            .map_err(member_error)?;
        metrics::counter!(crate::metrics::CASH_OUTS).increment(1);
        let created = CashOutCreated {
            cash_out_id: done.cash_out.to_string(),
            charge: format_amount(done.charge, currency),
            net: format_amount(done.net, currency),
            currency: currency.code().to_owned(),
        };
        Ok((StatusCode::CREATED, super::json::to_json(&created)))
    })
    .await
}

/// The problem a failed deposit answers: the account's refusal, or the processor's decline
/// with its code.
#[must_use]
pub fn deposit_error(error: DepositError) -> ApiError {
    match error {
        DepositError::Refused(refused) => member_error(refused),
        DepositError::Declined(declined) => ApiError::PaymentDeclined {
            decline_code: declined.code,
        },
    }
}

/// A saved method as the member sees it.
#[must_use]
pub fn payment_method_view(method: &SavedMethod) -> PaymentMethodView {
    PaymentMethodView {
        payment_method_id: method.id.to_string(),
        kind: match method.rail {
            Rail::Card => "card",
            Rail::BankDebit => "bank",
        }
        .to_owned(),
        brand: method.brand.to_string(),
        last4: method.last4.to_string(),
    }
}

/// `POST /v1/members/me/wallets`: opens a wallet in another supported currency ([0114]).
#[utoipa::path(post, path = "/v1/members/me/wallets", tag = "members",
    request_body = OpenWalletRequest,
    responses((status = 201, description = "Opened, empty", body = WalletView),
        (status = 400, description = "Not an ISO 4217 code", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "The account is frozen", body = Problem),
        (status = 409, description = "A wallet in this currency is open already", body = Problem),
        (status = 422, description = "The service holds no wallets in this currency", body = Problem)),
    security(("member_session" = [])))]
pub async fn open_wallet(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: OpenWalletRequest = parse_json(&call.body)?;
    let opened = open_wallet_in(app, member, &request.currency).await?;
    Ok(json(StatusCode::CREATED, &opened))
}

/// Opens an empty wallet in the supported currency `code` names: the one path of the API
/// and the account pages.
///
/// # Errors
/// `InvalidField` or `CurrencyUnsupported` for the code; `WalletExists`; session rejects.
pub async fn open_wallet_in(
    app: &App,
    member: MemberSession,
    code: &str,
) -> Result<WalletView, ApiError> {
    let currency = supported_currency(app, code)?;
    command(app, member, MemberCommand::OpenWallet(currency)).await?;
    Ok(wallet_view(currency, &Wallet::empty(), Amount::ZERO))
}

/// `PUT /v1/members/me/wallets/{currency}/top-off`: turns the wallet's automatic top-off on
/// (shortage plus `top_off_amount`, charged to a saved method) or off ([0230]). The buy
/// window's top-off uses it, and so does `POST /v1/authorize` when it is on.
#[utoipa::path(put, path = "/v1/members/me/wallets/{currency}/top-off", tag = "members",
    params(("currency" = String, Path, description = "The wallet's ISO 4217 code")),
    request_body = TopOffRequest,
    responses((status = 200, description = "The wallet with its setting", body = WalletView),
        (status = 400, description = "A field is invalid; param names it", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 404, description = "No such payment method", body = Problem),
        (status = 409, description = "No wallet in this currency", body = Problem)),
    security(("member_session" = [])))]
pub async fn set_top_off(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let currency = super::dto::currency_field(call.params.get("currency")?, "currency")?;
    let request: TopOffRequest = parse_json(&call.body)?;
    let setting = request.into_setting()?;
    let command = MemberCommand::SetTopOff {
        currency,
        setting,
        amount_max: app.config.buy_window.charge_max,
    };
    app.registry
        .member_command(member.account, member.login, member.session, command)
        .await
        .map_err(member_error)?;
    let view = app
        .registry
        .account_view(member.account, None)
        .await
        .map_err(member_error)?;
    let wallet = view
        .wallets
        .iter()
        .find(|(held, _)| *held == currency)
        .map(|(_, wallet)| wallet_view(currency, wallet, view.incentive(currency)))
        .ok_or(ApiError::Reject(Reject::WalletMissing))?;
    Ok(json(StatusCode::OK, &wallet))
}

/// A currency field that names a currency the service holds wallets in.
///
/// # Errors
/// `InvalidField` for a code that is not ISO 4217; `CurrencyUnsupported` for one not in
/// `money.currencies`.
pub fn supported_currency(app: &App, code: &str) -> Result<Currency, ApiError> {
    let currency = super::dto::currency_field(code, "currency")?;
    if app.config.money.supports(currency) {
        Ok(currency)
    } else {
        Err(ApiError::Reject(Reject::CurrencyUnsupported))
    }
}

/// `PUT /v1/members/me/limits`: replaces the login's limits in one currency.
#[utoipa::path(put, path = "/v1/members/me/limits", tag = "members",
    request_body = LimitsRequest,
    responses((status = 200, description = "Replaced", body = Done),
        (status = 400, description = "A limit is invalid; param names it", body = Problem)),
    security(("member_session" = [])))]
pub async fn set_limits(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: LimitsRequest = parse_json(&call.body)?;
    set_limits_of(
        app,
        member,
        member.login,
        request,
        step_up_header(call.headers),
    )
    .await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// Replaces `login`'s limits in one currency with `request`, behind step-up with `step_up`
/// as the token: the one path of `PUT /v1/members/me/limits`, of
/// `PUT /v1/members/me/logins/{id}/limits` and of the account pages' limits form (the account
/// checks that only the holder sets another login's).
///
/// # Errors
/// `InvalidAmount` or `InvalidField` naming the field; `StepUpRequired`; `LoginNotFound`;
/// session rejects.
pub async fn set_limits_of(
    app: &App,
    member: MemberSession,
    login: LoginId,
    request: LimitsRequest,
    step_up: Option<&str>,
) -> Result<(), ApiError> {
    let (currency, limits) = request.into_limits()?;
    require_step_up_token(app, step_up, member).await?;
    let command = MemberCommand::SetLimits {
        login,
        currency,
        limits,
    };
    self::command(app, member, command).await
}

/// `GET /v1/members/me`: wallets, limits and the newest purchases.
#[utoipa::path(get, path = "/v1/members/me", tag = "members",
    responses((status = 200, description = "The account", body = AccountResponse),
        (status = 401, description = "No live session", body = Problem)),
    security(("member_session" = [])))]
pub async fn me(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let mut account = my_account(app, member).await?;
    account.recent_transactions = statement_api::summary_lines(app, &member).await?;
    Ok(json(StatusCode::OK, &account))
}

/// The member's account as `GET /v1/members/me` shows it, read through the member's live
/// session: the one view of the API and the account pages. Without the instant summary
/// (`recent_transactions`, a journal read): the routes that show it add it.
///
/// # Errors
/// Session rejects as `Unauthenticated`; faults.
pub async fn my_account(app: &App, member: MemberSession) -> Result<AccountResponse, ApiError> {
    let view = app
        .registry
        .account_view(member.account, Some((member.login, member.session)))
        .await
        .map_err(member_error)?;
    Ok(account_response(app, member.account, &view))
}

/// One wallet as members and admins see it.
#[must_use]
pub fn wallet_view(currency: Currency, wallet: &Wallet, incentive: Amount) -> WalletView {
    WalletView {
        currency: currency.code().to_owned(),
        paid: format_balance(wallet.balance, currency),
        incentive: format_amount(incentive, currency),
        credit_line: format_amount(wallet.credit_limit, currency),
        debt: format_amount(wallet.debt, currency),
        available: format_amount(wallet.available(), currency),
        top_off: wallet.top_off.map(|setting| TopOffView {
            enabled: true,
            top_off_amount: format_amount(setting.amount, currency),
            payment_method_id: setting.method.to_string(),
        }),
    }
}

/// An account view as members and admins see it.
#[must_use]
pub fn account_response(app: &App, account: AccountId, view: &AccountView) -> AccountResponse {
    AccountResponse {
        member_id: account.to_string(),
        email: view.email.clone(),
        frozen: view.frozen,
        wallets: view
            .wallets
            .iter()
            .map(|(currency, wallet)| wallet_view(*currency, wallet, view.incentive(*currency)))
            .collect(),
        limits: view
            .limits
            .iter()
            .map(|(currency, limits)| limits_view(*currency, limits))
            .collect(),
        payment_methods: view
            .payment_methods
            .iter()
            .map(payment_method_view)
            .collect(),
        entitlement_count: view.entitlement_count,
        recent_activity: view
            .recent
            .iter()
            .map(|e| PurchaseView {
                authorization_id: app.authorization_id(account, e.authorization),
                vendor_id: e.key.vendor.to_string(),
                price: format_amount(e.price, e.currency),
                currency: e.currency.code().to_owned(),
                purchased_at: rfc3339(e.purchased_at),
                reversed: e.is_reversed(),
            })
            .collect(),
        recent_transactions: Vec::new(),
        login: view.caller.and_then(|caller| {
            view.logins
                .iter()
                .find(|(login, _)| login.id == caller)
                .map(|(login, limits)| login_view(login, limits))
        }),
        language: Some(view.language.clone()),
        time_zone: Some(view.time_zone.clone()),
        closed_at: view.closed_at.map(rfc3339),
    }
}

/// One currency's limits as the API shows them.
#[must_use]
pub fn limits_view(currency: Currency, limits: &Limits) -> LimitsView {
    let amount = |a: Option<Amount>| a.map(|a| format_amount(a, currency));
    LimitsView {
        currency: currency.code().to_owned(),
        per_transaction: amount(limits.per_transaction),
        per_session: amount(limits.per_session),
        per_day: amount(limits.per_day),
        per_week: amount(limits.per_week),
        per_month: amount(limits.per_month),
        vendors_allowed: limits
            .vendors_allowed
            .as_ref()
            .map(|v| v.iter().map(ToString::to_string).collect()),
    }
}

/// A login as the API shows it (never its password hash).
#[must_use]
pub fn login_view(login: &Login, limits: &[(Currency, Limits)]) -> LoginView {
    LoginView {
        login_id: login.id.to_string(),
        name: login.name.clone(),
        email: login.email.clone(),
        role: login.role.as_str().to_owned(),
        disabled: login.disabled,
        language: login.language.clone(),
        limits: limits
            .iter()
            .map(|(currency, limits)| limits_view(*currency, limits))
            .collect(),
    }
}
