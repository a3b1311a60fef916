//! The account pages' flows: each page filled from the API's own view, each form turned into
//! the API's own request and run through the API's own function, then back to its page with
//! a notice (post, redirect, get), or the page again with the error a field can fix. Any other
//! refusal is the shell's error page with the API's problem code.

use hyper::StatusCode;
use serde_json::Value;

use super::statement;
use super::step_up::{self, Step};
use super::{Form, Outcome, Seat};
use crate::actors::messages::MemberCommand;
use crate::domain::reject::Reject;
use crate::http::buy_window::{Page, test_card};
use crate::http::content_api::{content_page, item_view, open_item, parse_query};
use crate::http::dispute_api::{DisputeRequest, disputes_of, file};
use crate::http::dto::{
    AddFundsRequest, AddLoginRequest, LimitsRequest, ProfileRequest, RedeemRequest,
    TransferRequest, id_field,
};
use crate::http::error::ApiError;
use crate::http::incentive_api::redeem_for;
use crate::http::logins_api::{
    add_sub_member as add_login, login_id, logins, set_login_disabled, set_profile_of,
};
use crate::http::member_api::{
    add_method, close_account, command, deposit_funds, open_wallet_in, remove_method,
    set_limits_of, unfreeze_account,
};
use crate::http::step_up_api::set_questions as replace_questions;
use crate::http::transfer_api::transfer;
use crate::web::account::{
    self as pages, ContentLine, ContentView, DisputeLine, DisputesView, FormError, FormView,
    LimitLine, LimitsView, LoginLimits, LoginRow, MethodLine, Notice, ProfileView, PurchaseLine,
    QUESTION_ROWS, Section, SubMembersView, SummaryView, WalletLine, WalletsView,
};

/// The summary's path.
const SUMMARY: &str = "/account";
/// The wallets page's path (its forms post next to it).
const WALLETS: &str = "/account/wallets";
/// Where the add-funds form posts.
const DEPOSITS: &str = "/account/deposits";
/// Where the save-the-test-card form posts.
const PAYMENT_METHODS: &str = "/account/payment-methods";
/// The limits page's path (its forms post there too).
const LIMITS: &str = "/account/limits";
/// The sub-members page's path (its add form posts there too).
const SUB_MEMBERS: &str = "/account/sub-members";
/// The security questions page's path (its form posts there too).
const QUESTIONS: &str = "/account/security-questions";
/// The transfers page's path (its form posts there too).
const TRANSFERS: &str = "/account/transfers";
/// The incentives page's path (its form posts there too).
const INCENTIVES: &str = "/account/incentives";
/// The disputes page's path (its form posts there too).
const DISPUTES: &str = "/account/disputes";
/// The My Content page's path (each item's open form posts below it).
const CONTENT: &str = "/account/content";
/// The profile page's path (its form posts there too).
pub(super) const PROFILE: &str = "/account/profile";

/// The wallets of the caller's account, as the wire writes them.
fn wallet_lines<'a>(seat: &'a Seat<'_>) -> Vec<WalletLine<'a>> {
    seat.caller
        .account
        .wallets
        .iter()
        .map(|wallet| WalletLine {
            currency: &wallet.currency,
            paid: &wallet.paid,
            incentive: &wallet.incentive,
            available: &wallet.available,
        })
        .collect()
}

/// The recent purchases of the caller's account, newest first.
fn purchase_lines<'a>(seat: &'a Seat<'_>) -> Vec<PurchaseLine<'a>> {
    seat.caller
        .account
        .recent_activity
        .iter()
        .map(|purchase| PurchaseLine {
            authorization_id: &purchase.authorization_id,
            vendor_id: &purchase.vendor_id,
            price: &purchase.price,
            currency: &purchase.currency,
            purchased_at: &purchase.purchased_at,
            reversed: purchase.reversed,
        })
        .collect()
}

/// The account's wallet currencies: what funds, limits and transfers may be in.
fn currencies<'a>(seat: &'a Seat<'_>) -> Vec<&'a str> {
    seat.caller
        .account
        .wallets
        .iter()
        .map(|wallet| wallet.currency.as_str())
        .collect()
}

/// A form's text field as the API's JSON would carry a decimal: a string, trimmed.
fn decimal(form: &Form, name: &str) -> Value {
    Value::String(form.get(name).unwrap_or("").trim().to_owned())
}

/// `GET /account`.
pub(super) fn summary(seat: &Seat<'_>) -> Outcome {
    let wallets = wallet_lines(seat);
    let recent = purchase_lines(seat);
    let zone = statement::zone_of(seat);
    let lines = &seat.caller.account.recent_transactions;
    let local_times = statement::locals(lines, &zone);
    let recent_lines = statement::rows(lines, &local_times, None);
    let statement_href = seat.browser.path(statement::STATEMENT);
    let freeze = seat.browser.path("/account/freeze");
    let unfreeze = seat.browser.path("/account/unfreeze");
    let close = seat.browser.path("/account/close");
    let account = &seat.caller.account;
    let holder = seat.caller.session.holder;
    let view = SummaryView {
        desk: seat.desk(Section::Summary, None),
        name: account
            .login
            .as_ref()
            .and_then(|login| login.name.as_deref()),
        holder,
        frozen: account.frozen,
        wallets: &wallets,
        recent: &recent,
        recent_lines: &recent_lines,
        statement_href: &statement_href,
        freeze_action: &freeze,
        unfreeze_action: holder.then_some(unfreeze.as_str()),
        close_action: holder.then_some(close.as_str()),
    };
    seat.respond(
        StatusCode::OK,
        pages::summary_page(&view, super::lang(seat)),
    )
}

/// `GET /account/content?cursor=`: a page of what the caller owns, through the API's own
/// functions, judged at one `now`.
pub(super) async fn content(seat: &Seat<'_>) -> Outcome {
    let query = parse_query(seat.query)?;
    let member = seat.caller.session;
    let page = content_page(seat.app, &member, query).await?;
    let next = page
        .next
        .map(|cursor| seat.link(CONTENT, &[("cursor", &cursor.encode())]));
    let now = seat.app.now();
    let items: Vec<_> = page
        .items
        .into_iter()
        .map(|item| item_view(seat.app, item, now))
        .collect();
    let actions: Vec<String> = items
        .iter()
        .map(|item| {
            seat.browser
                .path(&format!("{CONTENT}/{}/open", item.entitlement_id))
        })
        .collect();
    let lines: Vec<ContentLine<'_>> = items
        .iter()
        .zip(&actions)
        .map(|(item, open_action)| ContentLine {
            entitlement_id: &item.entitlement_id,
            title: item.title.as_deref(),
            vendor: item.vendor.name.as_deref().unwrap_or(&item.vendor.id),
            purchased_at: &item.purchased_at,
            expires_at: item.expires_at.as_deref(),
            views_left: item.views_left,
            unavailable: item.unavailable.as_deref(),
            open_action,
        })
        .collect();
    let view = ContentView {
        desk: seat.desk(Section::Content, None),
        items: &lines,
        next_href: next.as_deref(),
    };
    seat.respond(
        StatusCode::OK,
        pages::content_page(&view, seat.browser.lang(None)),
    )
}

/// `POST /account/content/{entitlement_id}/open`: the browser goes to the content URL with
/// the fresh token in `access_token`, the parameter the buy window hands vendors after a
/// purchase, so a vendor's page needs nothing new to let a reopening member in. A refusal is
/// the error page with the API's problem (expired, refunded, used up, no URL kept).
pub(super) async fn open_content(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let entitlement = id_field(id, "entitlement_id")?;
    let opened = open_item(seat.app, &seat.caller.session, entitlement).await?;
    // The URL was checked as an absolute http(s) URL when the purchase was made.
    let mut url = url::Url::parse(&opened.url).map_err(|_| ApiError::ContentUrlNotKept)?;
    url.query_pairs_mut()
        .append_pair("access_token", &opened.access_token);
    Ok(seat.browser.respond(Page::redirect(url.into())))
}

/// `POST /account/freeze`: every session ends, this one too, so the summary it redirects to
/// asks to sign in again (a frozen account may sign in, to see why and to unfreeze).
pub(super) async fn freeze(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    command(seat.app, seat.caller.session, MemberCommand::Freeze(true)).await?;
    seat.done(SUMMARY, Notice::Frozen)
}

/// `POST /account/unfreeze`, behind step-up.
pub(super) async fn unfreeze(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let action = "/account/unfreeze";
    let proof = match step_up::proof(seat, form, action).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = unfreeze_account(seat.app, seat.caller.session, proof.token()).await;
    match step_up::unless_asked(seat, form, action, result) {
        Step::Go(result) => result?,
        Step::Page(page) => return Ok(page),
    }
    proof.keep(seat.done(SUMMARY, Notice::Unfrozen))
}

/// `POST /account/close`, behind step-up: the API's own close, with `forfeit` from the
/// checkbox. Every session ends, this one too, so the summary it redirects to asks to sign in.
pub(super) async fn close(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let action = "/account/close";
    let proof = match step_up::proof(seat, form, action).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let forfeit = form.get("forfeit").is_some_and(|value| !value.is_empty());
    let result = close_account(seat.app, seat.caller.session, forfeit, proof.token()).await;
    match step_up::unless_asked(seat, form, action, result) {
        Step::Go(result) => result?,
        Step::Page(page) => return Ok(page),
    };
    proof.keep(seat.done(SUMMARY, Notice::Closed))
}

/// The wallets page, with `error` about the form posted and the amount typed.
pub(super) fn wallets(
    seat: &Seat<'_>,
    status: StatusCode,
    error: Option<FormError>,
    amount: &str,
) -> Outcome {
    let wallets = wallet_lines(seat);
    let held = currencies(seat);
    let can_open: Vec<&str> = seat
        .app
        .config
        .money
        .currencies
        .iter()
        .map(|currency| currency.code())
        .filter(|code| !held.contains(code))
        .collect();
    let removes: Vec<String> = seat
        .caller
        .account
        .payment_methods
        .iter()
        .map(|method| {
            let path = format!("{PAYMENT_METHODS}/{}/remove", method.payment_method_id);
            seat.browser.path(&path)
        })
        .collect();
    let methods: Vec<MethodLine<'_>> = seat
        .caller
        .account
        .payment_methods
        .iter()
        .zip(&removes)
        .map(|(method, remove_action)| MethodLine {
            id: &method.payment_method_id,
            brand: &method.brand,
            last4: &method.last4,
            remove_action,
        })
        .collect();
    let (open, funds, card) = (
        seat.browser.path(WALLETS),
        seat.browser.path(DEPOSITS),
        seat.browser.path(PAYMENT_METHODS),
    );
    let view = WalletsView {
        desk: seat.desk(Section::Wallets, error),
        wallets: &wallets,
        can_open: &can_open,
        methods: &methods,
        open_action: &open,
        funds_action: &funds,
        card_action: &card,
        amount,
    };
    seat.respond(status, pages::wallets_page(&view, super::lang(seat)))
}

/// `POST /account/wallets`.
pub(super) async fn open_wallet(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let code = form.get("currency").unwrap_or("");
    match open_wallet_in(seat.app, seat.caller.session, code).await {
        Ok(_) => seat.done(WALLETS, Notice::WalletOpened),
        Err(
            ApiError::InvalidField {
                param: "currency", ..
            }
            | ApiError::Reject(Reject::CurrencyUnsupported),
        ) => wallets(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::CurrencyInvalid),
            "",
        ),
        Err(error) => Err(error),
    }
}

/// `POST /account/deposits`: the request `POST /v1/members/me/deposits` takes, from the form.
pub(super) async fn add_funds(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let typed = form.get("amount").unwrap_or("").trim();
    let request = AddFundsRequest {
        amount: decimal(form, "amount"),
        currency: form.get("currency").unwrap_or("").to_owned(),
        payment_method_id: form.get("payment_method_id").unwrap_or("").to_owned(),
    };
    let again = |error| wallets(seat, StatusCode::BAD_REQUEST, Some(error), typed);
    let parts = match request.into_parts() {
        Ok(parts) => parts,
        Err(ApiError::InvalidAmount { .. }) => return again(FormError::AmountInvalid),
        Err(ApiError::InvalidField {
            param: "currency", ..
        }) => return again(FormError::CurrencyInvalid),
        Err(error) => return Err(error),
    };
    match deposit_funds(seat.app, seat.caller.session, parts, None).await {
        Ok(_) => seat.done(WALLETS, Notice::FundsAdded),
        Err(ApiError::PaymentDeclined { .. }) => again(FormError::Declined),
        Err(ApiError::Reject(Reject::AmountTooLarge)) => again(FormError::AmountInvalid),
        Err(error) => Err(error),
    }
}

/// `POST /account/payment-methods`: saves the test card, behind step-up.
pub(super) async fn save_card(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let proof = match step_up::proof(seat, form, PAYMENT_METHODS).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = add_method(seat.app, seat.caller.session, &test_card(), proof.token()).await;
    match step_up::unless_asked(seat, form, PAYMENT_METHODS, result) {
        Step::Go(Ok(_)) => proof.keep(seat.done(WALLETS, Notice::CardSaved)),
        Step::Go(Err(ApiError::PaymentDeclined { .. })) => {
            wallets(seat, StatusCode::BAD_REQUEST, Some(FormError::Declined), "")
        }
        Step::Go(Err(error)) => Err(error),
        Step::Page(page) => Ok(page),
    }
}

/// `POST /account/payment-methods/{id}/remove`, behind step-up.
pub(super) async fn remove_method_form(seat: &Seat<'_>, id: &str, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let action = format!("{PAYMENT_METHODS}/{id}/remove");
    let proof = match step_up::proof(seat, form, &action).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = remove_method(seat.app, seat.caller.session, id, proof.token()).await;
    match step_up::unless_asked(seat, form, &action, result) {
        Step::Go(result) => result?,
        Step::Page(page) => return Ok(page),
    }
    proof.keep(seat.done(WALLETS, Notice::MethodRemoved))
}

/// The limits page: every login's limits (`logins_api::logins`), with `error` about the form
/// posted.
///
/// # Errors
/// Session rejects; faults.
pub(super) async fn limits(
    seat: &Seat<'_>,
    status: StatusCode,
    error: Option<FormError>,
) -> Outcome {
    let found = logins(seat.app, seat.caller.session).await?;
    let logins: Vec<LoginLimits<'_>> = found
        .iter()
        .map(|login| LoginLimits {
            login_id: &login.login_id,
            label: login
                .name
                .as_deref()
                .or(login.email.as_deref())
                .unwrap_or(&login.login_id),
            holder: login.role == "holder",
            lines: login
                .limits
                .iter()
                .map(|limits| LimitLine {
                    currency: &limits.currency,
                    per_transaction: limits.per_transaction.as_deref(),
                    per_session: limits.per_session.as_deref(),
                    per_day: limits.per_day.as_deref(),
                    per_week: limits.per_week.as_deref(),
                    per_month: limits.per_month.as_deref(),
                })
                .collect(),
        })
        .collect();
    let currencies = currencies(seat);
    let action = seat.browser.path(LIMITS);
    let view = LimitsView {
        desk: seat.desk(Section::Limits, error),
        logins: &logins,
        currencies: &currencies,
        action: &action,
    };
    seat.respond(status, pages::limits_page(&view, super::lang(seat)))
}

/// `POST /account/limits`: the body of `PUT /v1/members/me/limits` from the form, for the
/// login it names (the holder's own, or a sub-member's), behind step-up. The form has no field
/// for the vendors allowed, so the login's allowlist in the currency is kept as it is rather
/// than cleared by a replace that never showed it.
pub(super) async fn set_limits(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let login = login_id(form.get("login").unwrap_or(""))?;
    let currency = form.get("currency").unwrap_or("").trim().to_owned();
    let current = logins(seat.app, seat.caller.session).await?;
    let vendors_allowed = current
        .iter()
        .find(|found| found.login_id == login.to_string())
        .ok_or(ApiError::Reject(Reject::LoginNotFound))?
        .limits
        .iter()
        .find(|limits| limits.currency == currency)
        .and_then(|limits| limits.vendors_allowed.clone());
    let limit = |name| Some(decimal(form, name)).filter(|value| value.as_str() != Some(""));
    let request = LimitsRequest {
        currency,
        per_transaction: limit("per_transaction"),
        per_session: limit("per_session"),
        per_day: limit("per_day"),
        per_week: limit("per_week"),
        per_month: limit("per_month"),
        vendors_allowed,
    };
    let proof = match step_up::proof(seat, form, LIMITS).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = set_limits_of(seat.app, seat.caller.session, login, request, proof.token()).await;
    let again = |error| limits(seat, StatusCode::BAD_REQUEST, Some(error));
    match step_up::unless_asked(seat, form, LIMITS, result) {
        Step::Go(Ok(())) => proof.keep(seat.done(LIMITS, Notice::LimitsSet)),
        Step::Go(Err(ApiError::InvalidAmount { .. })) => again(FormError::LimitInvalid).await,
        Step::Go(Err(ApiError::InvalidField {
            param: "currency", ..
        })) => again(FormError::CurrencyInvalid).await,
        Step::Go(Err(error)) => Err(error),
        Step::Page(page) => Ok(page),
    }
}

/// The sub-members page, with `error` about the form posted and the name and e-mail typed.
///
/// # Errors
/// Session rejects; faults.
pub(super) async fn sub_members(
    seat: &Seat<'_>,
    status: StatusCode,
    error: Option<FormError>,
    (name, email): (&str, &str),
) -> Outcome {
    let found = logins(seat.app, seat.caller.session).await?;
    let toggles: Vec<Option<String>> = found
        .iter()
        .map(|login| {
            let verb = if login.disabled { "enable" } else { "disable" };
            (login.role != "holder").then(|| {
                seat.browser
                    .path(&format!("{SUB_MEMBERS}/{}/{verb}", login.login_id))
            })
        })
        .collect();
    let rows: Vec<LoginRow<'_>> = found
        .iter()
        .zip(&toggles)
        .map(|(login, toggle)| LoginRow {
            login_id: &login.login_id,
            name: login.name.as_deref().unwrap_or(""),
            email: login.email.as_deref().unwrap_or(""),
            holder: login.role == "holder",
            disabled: login.disabled,
            toggle_action: toggle.as_deref(),
        })
        .collect();
    let add = seat.browser.path(SUB_MEMBERS);
    let view = SubMembersView {
        desk: seat.desk(Section::SubMembers, error),
        logins: &rows,
        add_action: &add,
        name,
        email,
    };
    seat.respond(status, pages::sub_members_page(&view, super::lang(seat)))
}

/// `POST /account/sub-members`: the body of `POST /v1/members/me/logins` from the form,
/// behind step-up.
pub(super) async fn add_sub_member(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let (name, email) = (
        form.get("name").unwrap_or(""),
        form.get("email").unwrap_or(""),
    );
    let request = AddLoginRequest {
        name: name.to_owned(),
        email: email.to_owned(),
        password: form.get("password").unwrap_or("").to_owned(),
    };
    let proof = match step_up::proof(seat, form, SUB_MEMBERS).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = add_login(seat.app, seat.caller.session, request, proof.token()).await;
    let error = match step_up::unless_asked(seat, form, SUB_MEMBERS, result) {
        Step::Go(Ok(_)) => return proof.keep(seat.done(SUB_MEMBERS, Notice::SubMemberAdded)),
        Step::Go(Err(error)) => match error {
            ApiError::InvalidField { param: "name", .. } => FormError::NameInvalid,
            ApiError::InvalidField { param: "email", .. } => FormError::EmailInvalid,
            ApiError::InvalidField {
                param: "password", ..
            } => FormError::PasswordTooShort,
            ApiError::EmailTaken => FormError::EmailTaken,
            other => return Err(other),
        },
        Step::Page(page) => return Ok(page),
    };
    let page = sub_members(seat, StatusCode::BAD_REQUEST, Some(error), (name, email)).await;
    proof.keep(page)
}

/// `POST /account/sub-members/{id}/disable` and `…/enable`, behind step-up.
pub(super) async fn set_disabled(
    seat: &Seat<'_>,
    id: &str,
    disabled: bool,
    form: &Form,
) -> Outcome {
    seat.check_form(form)?;
    let login = login_id(id)?;
    let verb = if disabled { "disable" } else { "enable" };
    let action = format!("{SUB_MEMBERS}/{id}/{verb}");
    let proof = match step_up::proof(seat, form, &action).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = set_login_disabled(
        seat.app,
        seat.caller.session,
        login,
        disabled,
        proof.token(),
    )
    .await;
    match step_up::unless_asked(seat, form, &action, result) {
        Step::Go(result) => result?,
        Step::Page(page) => return Ok(page),
    }
    let notice = if disabled {
        Notice::SubMemberDisabled
    } else {
        Notice::SubMemberEnabled
    };
    proof.keep(seat.done(SUB_MEMBERS, notice))
}

/// A page with one simple form at `path`, rendered by `render`.
fn form_page(
    seat: &Seat<'_>,
    section: Section,
    path: &str,
    status: StatusCode,
    error: Option<FormError>,
    render: fn(&FormView<'_>, crate::web::i18n::Lang) -> String,
) -> Outcome {
    let action = seat.browser.path(path);
    let currencies = currencies(seat);
    let view = FormView {
        desk: seat.desk(section, error),
        action: &action,
        currencies: &currencies,
    };
    seat.respond(status, render(&view, super::lang(seat)))
}

/// The security questions page.
pub(super) fn questions(seat: &Seat<'_>, status: StatusCode, error: Option<FormError>) -> Outcome {
    form_page(
        seat,
        Section::Questions,
        QUESTIONS,
        status,
        error,
        pages::questions_page,
    )
}

/// `POST /account/security-questions`: the filled rows as the pairs
/// `PUT /v1/members/me/security-questions` takes, behind step-up.
pub(super) async fn set_questions(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let pairs: Vec<(String, String)> = (1..=QUESTION_ROWS)
        .map(|n| {
            let field = |name: &str| form.get(&format!("{name}_{n}")).unwrap_or("").to_owned();
            (field("question"), field("answer"))
        })
        .filter(|(question, answer)| !question.trim().is_empty() || !answer.trim().is_empty())
        .collect();
    let proof = match step_up::proof(seat, form, QUESTIONS).await? {
        Step::Go(proof) => proof,
        Step::Page(page) => return Ok(page),
    };
    let result = replace_questions(seat.app, seat.caller.session, pairs, proof.token()).await;
    match step_up::unless_asked(seat, form, QUESTIONS, result) {
        Step::Go(Ok(())) => proof.keep(seat.done(QUESTIONS, Notice::QuestionsSet)),
        Step::Go(Err(ApiError::Reject(Reject::QuestionsCount | Reject::TextInvalid))) => questions(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::QuestionsInvalid),
        ),
        Step::Go(Err(error)) => Err(error),
        Step::Page(page) => Ok(page),
    }
}

/// The transfers page.
pub(super) fn transfers(seat: &Seat<'_>, status: StatusCode, error: Option<FormError>) -> Outcome {
    form_page(
        seat,
        Section::Transfers,
        TRANSFERS,
        status,
        error,
        pages::transfers_page,
    )
}

/// `POST /account/transfers`: the body of `POST /v1/members/me/transfers` from the form.
pub(super) async fn send_transfer(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let request = TransferRequest {
        to_email: form.get("to_email").unwrap_or("").to_owned(),
        amount: decimal(form, "amount"),
        currency: form.get("currency").unwrap_or("").to_owned(),
        note: form.get("note").map(str::to_owned),
    };
    let result = match request.into_parts() {
        Ok(parts) => transfer(seat.app, seat.caller.session, parts, None).await,
        Err(error) => Err(error),
    };
    let error = match result {
        Ok(_) => return seat.done(TRANSFERS, Notice::TransferSent),
        Err(ApiError::InvalidAmount { .. }) => FormError::AmountInvalid,
        Err(ApiError::InvalidField {
            param: "currency", ..
        }) => FormError::CurrencyInvalid,
        Err(ApiError::InvalidField {
            param: "to_email", ..
        }) => FormError::EmailInvalid,
        Err(ApiError::InvalidField { param: "note", .. }) => FormError::NoteInvalid,
        Err(error) => return Err(error),
    };
    transfers(seat, StatusCode::BAD_REQUEST, Some(error))
}

/// The incentives page.
pub(super) fn incentives(seat: &Seat<'_>, status: StatusCode, error: Option<FormError>) -> Outcome {
    form_page(
        seat,
        Section::Incentives,
        INCENTIVES,
        status,
        error,
        pages::incentives_page,
    )
}

/// `POST /account/incentives`: the body of `POST /v1/members/me/incentives` from the form;
/// then the summary, where the incentive balance shows the grant.
pub(super) async fn redeem(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let request = RedeemRequest {
        code: form.get("code").unwrap_or("").to_owned(),
    };
    match redeem_for(seat.app, seat.caller.session, &request).await {
        Ok(_) => seat.done(SUMMARY, Notice::IncentiveRedeemed),
        Err(ApiError::InvalidField { param: "code", .. }) => {
            incentives(seat, StatusCode::BAD_REQUEST, Some(FormError::CodeInvalid))
        }
        Err(error) => Err(error),
    }
}

/// The disputes page: the member's disputes (`dispute_api::disputes_of`) and the recent
/// purchases not reversed, which a dispute may name.
///
/// # Errors
/// Session rejects; faults.
pub(super) async fn disputes(
    seat: &Seat<'_>,
    status: StatusCode,
    error: Option<FormError>,
) -> Outcome {
    let found = disputes_of(seat.app, seat.caller.session).await?;
    let lines: Vec<DisputeLine<'_>> = found
        .iter()
        .map(|dispute| DisputeLine {
            id: &dispute.dispute_id,
            status: &dispute.status,
            amount: &dispute.amount,
            currency: &dispute.currency,
            filed_at: &dispute.filed_at,
            reason: dispute.reason.as_deref().unwrap_or(""),
            decision_reason: dispute.decision_reason.as_deref(),
        })
        .collect();
    let purchases: Vec<PurchaseLine<'_>> = purchase_lines(seat)
        .into_iter()
        .filter(|purchase| !purchase.reversed)
        .collect();
    let action = seat.browser.path(DISPUTES);
    let view = DisputesView {
        desk: seat.desk(Section::Disputes, error),
        disputes: &lines,
        purchases: &purchases,
        action: &action,
    };
    seat.respond(status, pages::disputes_page(&view, super::lang(seat)))
}

/// `POST /account/disputes`: the body of `POST /v1/members/me/disputes` from the form.
pub(super) async fn file_dispute(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let request = DisputeRequest {
        authorization_id: form.get("authorization_id").unwrap_or("").to_owned(),
        reason: form.get("reason").unwrap_or("").to_owned(),
    };
    match file(seat.app, seat.caller.session, &request).await {
        Ok(_) => seat.done(DISPUTES, Notice::DisputeFiled),
        Err(ApiError::InvalidField {
            param: "reason", ..
        }) => {
            disputes(
                seat,
                StatusCode::BAD_REQUEST,
                Some(FormError::ReasonInvalid),
            )
            .await
        }
        Err(error) => Err(error),
    }
}

/// The profile page, with `error` about the form posted and the name typed (else the
/// login's own).
pub(super) fn profile(
    seat: &Seat<'_>,
    status: StatusCode,
    error: Option<FormError>,
    typed: Option<&str>,
) -> Outcome {
    let action = seat.browser.path(PROFILE);
    let account = &seat.caller.account;
    let own = account
        .login
        .as_ref()
        .and_then(|login| login.name.as_deref());
    let language = account
        .language
        .as_deref()
        .and_then(crate::web::i18n::Lang::from_tag)
        .unwrap_or(crate::web::i18n::Lang::En);
    let view = ProfileView {
        desk: seat.desk(Section::Profile, error),
        action: &action,
        name: typed.or(own).unwrap_or(""),
        language,
    };
    seat.respond(status, pages::profile_page(&view, super::lang(seat)))
}

/// `POST /account/profile`: the request `PUT /v1/members/me/profile` takes, from the form; a
/// blank name leaves the name as it is (a holder who never gave one may change only the
/// language).
pub(super) async fn set_profile(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let name = form
        .get("name")
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let request = ProfileRequest {
        name: name.map(str::to_owned),
        language: form.get("language").map(str::to_owned),
    };
    match set_profile_of(seat.app, seat.caller.session, request).await {
        Ok(_) => seat.done(PROFILE, Notice::ProfileSet),
        Err(ApiError::InvalidField { param: "name", .. }) => profile(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::NameInvalid),
            name,
        ),
        Err(ApiError::InvalidField {
            param: "language" | "body",
            ..
        }) => profile(
            seat,
            StatusCode::BAD_REQUEST,
            Some(FormError::LanguageInvalid),
            name,
        ),
        Err(error) => Err(error),
    }
}
