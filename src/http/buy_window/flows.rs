//! The buy window's flows: show an offer, sign in (public computer or not), buy (with an
//! optional automatic top-off), add funds, cancel, sign out, register.
//!
//! Every outcome a member can meet is a page: an expired offer, a limit, a lapsed session.
//! A purchase claims the offer at its vendor first (an offer buys once), then runs the shared
//! `purchase` path; a declined purchase releases the claim.

use std::sync::Arc;
use std::time::Instant;

use super::{Browser, Form, Page, Signed};
use crate::actors::messages::{BuyerView, MemberCommand};
use crate::actors::registry::VendorEntry;
use crate::domain::account::{SessionExpiry, StartDeposit};
use crate::domain::ids::{DepositId, OfferId, PaymentMethodId, VendorId};
use crate::domain::logins::LoginRole;
use crate::domain::money::{Amount, parse_amount};
use crate::domain::offer::IncentivePolicy;
use crate::domain::offer::Offer;
use crate::domain::payment_method::SavedMethod;
use crate::domain::reject::Reject;
use crate::http::app::new_id;
use crate::http::client::ClientAddr;
use crate::http::dto::{QuestionAnswer, RegisterRequest};
use crate::http::error::ApiError;
use crate::http::member_api::{
    authenticate, register_member, seal_session, start_session, tokenize,
};
use crate::http::purchase::{Charge, claim_offer, mint_access_token, purchase};
use crate::payments::{DepositError, NewMethod};
use crate::web::funds::{
    AddFundsError, AddFundsView, InsufficientFundsView, MethodChoice, RedeemView, TopOff,
    WalletMissingView,
};
use crate::web::pages::{
    self, BuyView, DeliverView, Incentive, LoginError, LoginView, OfferSummary,
};
use crate::web::register::{REGISTER_QUESTIONS, RegisterError, RegisterView, register_page};
use hyper::StatusCode;

/// Shortest password the register form accepts (as `POST /v1/members`).
const PASSWORD_CHARS_MIN: u32 = 8;
/// The card the register form's "save the test card" box saves: the test processor's
/// approving card (a real deployment replaces the box with a card form).
const TEST_CARD_NUMBER: &str = "4242424242424242";
/// Its expiry year.
const TEST_CARD_EXP_YEAR: u16 = 2099;

/// The test card, as the register form's box and the account pages' "save the test card"
/// button save it: one card, written once.
pub(crate) fn test_card() -> NewMethod {
    NewMethod::Card {
        number: TEST_CARD_NUMBER.to_owned(),
        exp_month: 12,
        exp_year: TEST_CARD_EXP_YEAR,
    }
}

/// An offer with its vendor, and why it cannot be bought now (if it cannot).
struct Found {
    vendor: VendorEntry,
    offer: Arc<Offer>,
    problem: Option<Reject>,
}

async fn find(browser: &Browser<'_>, text: &str) -> Result<Found, ApiError> {
    let id: OfferId = text
        .parse()
        .map_err(|_| ApiError::Reject(Reject::OfferUnknown))?;
    let (vendor, offer, problem) = browser.app.registry.offer(id, browser.app.now()).await?;
    Ok(Found {
        vendor,
        offer,
        problem,
    })
}

/// A form posted about an offer: the CSRF check first, then the offer.
async fn posted(browser: &Browser<'_>, text: &str, form: &Form) -> Result<Found, ApiError> {
    browser.check_csrf(form)?;
    find(browser, text).await
}

fn summary<'a>(found: &'a Found) -> OfferSummary<'a> {
    OfferSummary {
        vendor_name: &found.vendor.profile.name,
        title: &found.offer.title,
        description: found.offer.short_description.as_deref(),
        price: found.offer.price,
        currency: found.offer.currency,
    }
}

fn offer_path(found: &Found, action: &str) -> String {
    if action.is_empty() {
        format!("/buy/{}", found.offer.id)
    } else {
        format!("/buy/{}/{action}", found.offer.id)
    }
}

/// An error page that links back to the vendor.
fn problem(browser: &Browser<'_>, found: &Found, error: &ApiError, member: Option<&str>) -> Page {
    browser.error_page(error, Some(&found.offer.cancel_url), member)
}

fn login_page(
    browser: &Browser<'_>,
    found: &Found,
    error: Option<LoginError>,
    email: Option<&str>,
) -> Page {
    let tokens = &browser.app.config.tokens;
    let action = browser.path(&offer_path(found, "login"));
    let register = format!(
        "/register?offer={}{}",
        found.offer.id,
        browser
            .query_lang
            .map(|lang| format!("&lang={}", lang.code()))
            .unwrap_or_default()
    );
    let view = LoginView {
        offer: summary(found),
        action: &action,
        csrf: &browser.csrf,
        email,
        absolute_hours: u32::try_from(tokens.session_absolute_ttl_ms / 3_600_000).unwrap_or(0),
        idle_minutes: u32::try_from(tokens.session_idle_ttl_ms / 60_000).unwrap_or(0),
        error,
        register_href: &register,
        cancel_href: &found.offer.cancel_url,
    };
    let status = match error {
        None => StatusCode::OK,
        Some(_) => StatusCode::UNAUTHORIZED,
    };
    Page::html(status, pages::login_page(&view, browser.lang(None)))
}

/// The login page again because the session lapsed, with the session cookie cleared.
fn session_lapsed(browser: &Browser<'_>, found: &Found) -> Page {
    login_page(browser, found, Some(LoginError::SessionEnded), None)
        .with_cookie(browser.clear_session_cookie())
}

fn is_session_reject(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Reject(Reject::SessionUnknown | Reject::SessionEnded | Reject::SessionExpired)
            | ApiError::NotFound
    )
}

async fn buyer_view(
    browser: &Browser<'_>,
    signed: &Signed,
    offer: &Offer,
) -> Result<BuyerView, ApiError> {
    let member = signed.member;
    browser
        .app
        .registry
        .buyer_view(member.account, member.login, member.session, offer)
        .await
        .map_err(ApiError::from)
}

/// The member's view for this offer, or the page to show instead: the login page when the
/// session lapsed, an error page otherwise.
async fn member_view(
    browser: &Browser<'_>,
    found: &Found,
    signed: &Signed,
) -> Result<BuyerView, Page> {
    match buyer_view(browser, signed, &found.offer).await {
        Ok(view) => Ok(view),
        Err(error) if is_session_reject(&error) => Err(session_lapsed(browser, found)),
        Err(error) => Err(problem(browser, found, &error, None)),
    }
}

fn buy_page(browser: &Browser<'_>, found: &Found, signed: &Signed, view: &BuyerView) -> Page {
    let action = browser.path(&offer_path(found, "purchase"));
    let sign_out = browser.path(&offer_path(found, "sign-out"));
    let page = BuyView {
        offer: summary(found),
        action: &action,
        csrf: &browser.csrf,
        session: signed.public_token.as_deref(),
        owned: view.owned,
        // The Incentive button only for an offer that accepts incentives ([0186]).
        incentive: (found.offer.incentives != IncentivePolicy::None).then_some(Incentive {
            balance: view.incentive,
        }),
        balance: view.balance,
        email: &view.email,
        sign_out_action: &sign_out,
        cancel_href: &found.offer.cancel_url,
    };
    Page::html(
        StatusCode::OK,
        pages::buy_page(&page, browser.lang(Some(&view.language))),
    )
}

/// Shows the buy page for a signed-in member, or the login page when the session lapsed.
async fn buy_page_or_login(browser: &Browser<'_>, found: &Found, signed: &Signed) -> Page {
    match member_view(browser, found, signed).await {
        Ok(view) => buy_page(browser, found, signed, &view),
        Err(page) => page,
    }
}

/// `GET /buy/{offer}`.
pub(super) async fn show(browser: &Browser<'_>, text: &str) -> Result<Page, ApiError> {
    let found = find(browser, text).await?;
    if let Some(reject) = found.problem {
        return Ok(problem(browser, &found, &ApiError::Reject(reject), None));
    }
    let Some(signed) = browser.signed(None) else {
        return Ok(login_page(browser, &found, None, None));
    };
    Ok(buy_page_or_login(browser, &found, &signed).await)
}

/// `POST /buy/{offer}/login`.
pub(super) async fn sign_in(
    browser: &Browser<'_>,
    client: ClientAddr,
    text: &str,
    form: &Form,
) -> Result<Page, ApiError> {
    let found = posted(browser, text, form).await?;
    if let Some(reject) = found.problem {
        return Ok(problem(browser, &found, &ApiError::Reject(reject), None));
    }
    let email = form.get("email").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    if email.is_empty() || password.is_empty() {
        let email = Some(email).filter(|e| !e.is_empty());
        return Ok(login_page(
            browser,
            &found,
            Some(LoginError::MissingCredentials),
            email,
        ));
    }
    let (account, login, role) =
        match authenticate(browser.app, client, email, password.to_owned()).await {
            Ok(found_login) => found_login,
            Err(ApiError::Unauthenticated) => {
                return Ok(login_page(
                    browser,
                    &found,
                    Some(LoginError::WrongCredentials),
                    Some(email),
                ));
            }
            Err(error) => return Ok(problem(browser, &found, &error, None)),
        };
    let app = browser.app;
    let now = app.now();
    // The checkbox is checked by default: only an explicit uncheck keeps a cookie.
    let public = form.get("public_computer") == Some("on");
    let expiry = if public {
        SessionExpiry::Absolute {
            expires_at: now.plus_ms(app.config.buy_window.public_session_ttl_ms),
        }
    } else if form.get("expiry") == Some("idle") {
        SessionExpiry::Idle {
            idle_ms: app.config.tokens.session_idle_ttl_ms,
        }
    } else {
        SessionExpiry::Absolute {
            expires_at: now.plus_ms(app.config.tokens.session_absolute_ttl_ms),
        }
    };
    let (session, _) = match start_session(app, account, login, expiry).await {
        Ok(started) => started,
        Err(error) => return Ok(problem(browser, &found, &error, None)),
    };
    let member = crate::http::app::MemberSession {
        account,
        login,
        session,
        holder: role == LoginRole::Holder,
    };
    let token = seal_session(app, &member);
    if public {
        let signed = Signed {
            member,
            public_token: Some(token),
        };
        return Ok(buy_page_or_login(browser, &found, &signed).await);
    }
    let cookie = browser.session_cookie(&token, app.config.tokens.session_absolute_ttl_ms);
    Ok(Page::redirect(browser.path(&offer_path(&found, ""))).with_cookie(cookie))
}

/// `POST /buy/{offer}/purchase` and, with `top_off`, `POST /buy/{offer}/top-off`.
pub(super) async fn buy(
    browser: &Browser<'_>,
    text: &str,
    form: &Form,
    top_off: bool,
) -> Result<Page, ApiError> {
    let found = posted(browser, text, form).await?;
    let Some(signed) = browser.signed(Some(form)) else {
        return Ok(session_lapsed(browser, &found));
    };
    if form
        .get("use_incentive")
        .is_some_and(|value| !value.is_empty())
    {
        // The Incentive button asks for a code first; nothing is bought yet.
        if found.offer.incentives == IncentivePolicy::None {
            let error = ApiError::Reject(Reject::IncentiveInvalid);
            return Ok(problem(browser, &found, &error, None));
        }
        return Ok(redeem_page(browser, &found, &signed, None, None));
    }
    let claimed = claim_offer(
        browser.app,
        &found.vendor,
        found.offer.id,
        browser.app.now(),
    )
    .await;
    // The claimed offer is the stored one: price and terms come from it, never the form.
    let offer = match claimed {
        Ok(offer) => offer,
        Err(error) => return Ok(problem(browser, &found, &error, None)),
    };
    let outcome = buy_claimed(browser, &found, &offer, &signed, top_off).await;
    if !matches!(outcome, Bought::Purchased(_)) {
        browser.app.registry.release_offer(&found.vendor, offer.id);
    }
    Ok(match outcome {
        Bought::Purchased(page) | Bought::NotCharged(page) => page,
    })
}

/// Whether the offer was used up (a durable purchase) or is free again.
enum Bought {
    /// A purchase was made: the offer is used.
    Purchased(Page),
    /// Nothing was charged (already owned, declined, failed): the claim must be released.
    NotCharged(Page),
}

async fn buy_claimed(
    browser: &Browser<'_>,
    found: &Found,
    offer: &Offer,
    signed: &Signed,
    top_off: bool,
) -> Bought {
    let app = browser.app;
    let started = Instant::now();
    if top_off && let Err(page) = top_off_first(browser, found, offer, signed).await {
        return Bought::NotCharged(page);
    }
    let member = signed.member;
    let command = Charge::offer(offer).command(member.login, member.session, offer.vendor, None);
    let authorization = match purchase(app, member.account, command, started.elapsed()).await {
        Ok(authorization) => authorization,
        Err(error) if is_session_reject(&error) => {
            return Bought::NotCharged(session_lapsed(browser, found));
        }
        Err(ApiError::Reject(Reject::InsufficientFunds)) => {
            return Bought::NotCharged(insufficient_funds(browser, found, signed).await);
        }
        Err(ApiError::Reject(Reject::WalletMissing)) => {
            return Bought::NotCharged(wallet_missing(browser, found, signed).await);
        }
        Err(error) => return Bought::NotCharged(problem(browser, found, &error, None)),
    };
    if signed.public_token.is_some() {
        // Public computer: the session served this one purchase; the next one asks again.
        end_session(browser, signed).await;
    }
    let token = mint_access_token(app, member.account, &authorization.entitlement, app.now());
    let page = deliver(offer, &token);
    if authorization.already_owned {
        Bought::NotCharged(page)
    } else {
        Bought::Purchased(page)
    }
}

/// Sends the browser to the content with the access token: an auto-submitted form POST
/// ([0183], the default) or a redirect with the token in the query.
fn deliver(offer: &Offer, token: &str) -> Page {
    if offer.is_post {
        let nonce = super::random_token();
        let view = DeliverView {
            content_url: &offer.content_url,
            access_token: token,
            optional_data: offer.optional_data.as_deref(),
            script_nonce: Some(&nonce),
        };
        let mut page = Page::html(
            StatusCode::OK,
            pages::deliver_page(&view, crate::web::i18n::Lang::En),
        );
        page.script_nonce = Some(nonce);
        return page;
    }
    let mut url = match url::Url::parse(&offer.content_url) {
        Ok(url) => url,
        Err(_) => return Page::redirect(offer.cancel_url.clone()),
    };
    url.query_pairs_mut().append_pair("access_token", token);
    if let Some(data) = &offer.optional_data {
        url.query_pairs_mut().append_pair("optional_data", data);
    }
    Page::redirect(url.into())
}

async fn end_session(browser: &Browser<'_>, signed: &Signed) {
    let member = signed.member;
    // Best effort: the session also lapses by its short absolute expiry.
    let _ = browser
        .app
        .registry
        .member_command(
            member.account,
            member.login,
            member.session,
            MemberCommand::EndSession,
        )
        .await;
}

/// The offer is priced in a currency the member holds no wallet in: offer to open one.
async fn wallet_missing(browser: &Browser<'_>, found: &Found, signed: &Signed) -> Page {
    let view = match member_view(browser, found, signed).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let action = browser.path(&offer_path(found, "wallet"));
    let page = WalletMissingView {
        offer: summary(found),
        action: &action,
        csrf: &browser.csrf,
        session: signed.public_token.as_deref(),
        cancel_href: &found.offer.cancel_url,
    };
    Page::html(
        StatusCode::CONFLICT,
        crate::web::funds::wallet_missing_page(&page, browser.lang(Some(&view.language))),
    )
}

/// `POST /buy/{offer}/wallet`: opens a wallet in the offer's currency, then back to the buy
/// window (where the balance shows and funds can be added). A wallet opened in between (a
/// second tab) is no error: the member gets what they asked for.
pub(super) async fn open_wallet(
    browser: &Browser<'_>,
    text: &str,
    form: &Form,
) -> Result<Page, ApiError> {
    let found = posted(browser, text, form).await?;
    let Some(signed) = browser.signed(Some(form)) else {
        return Ok(session_lapsed(browser, &found));
    };
    let member = signed.member;
    let opened = browser
        .app
        .registry
        .member_command(
            member.account,
            member.login,
            member.session,
            MemberCommand::OpenWallet(found.offer.currency),
        )
        .await
        .map_err(ApiError::from);
    match opened {
        Ok(()) | Err(ApiError::Reject(Reject::WalletExists)) => {}
        Err(error) if is_session_reject(&error) => return Ok(session_lapsed(browser, &found)),
        Err(error) => return Ok(problem(browser, &found, &error, None)),
    }
    Ok(back_to_window(browser, &found, &signed).await)
}

/// Back to the buy window after a step that changed the member's money: a redirect, or the
/// page itself for a public-computer session (no cookie holds it, so it rides in the form).
async fn back_to_window(browser: &Browser<'_>, found: &Found, signed: &Signed) -> Page {
    if signed.public_token.is_some() {
        return buy_page_or_login(browser, found, signed).await;
    }
    Page::redirect(browser.path(&offer_path(found, "")))
}

/// FIG. 25: the shortage and the ways on (automatic top-off, add funds, cancel).
async fn insufficient_funds(browser: &Browser<'_>, found: &Found, signed: &Signed) -> Page {
    let view = match member_view(browser, found, signed).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let Some(shortage) = view.shortage else {
        // Funds arrived in between: show the buy page again.
        return buy_page(browser, found, signed, &view);
    };
    let action = browser.path(&offer_path(found, "top-off"));
    let add_funds = browser.path(&offer_path(found, "funds"));
    let total = top_off_total(browser, shortage, view.top_off_amount);
    let label = view.top_off_method.as_ref().map(SavedMethod::label);
    let top_off = match (&label, total) {
        (Some(label), Some(total)) => Some(TopOff {
            action: &action,
            csrf: &browser.csrf,
            session: signed.public_token.as_deref(),
            total,
            method_label: label,
        }),
        _ => None,
    };
    let page = InsufficientFundsView {
        offer: summary(found),
        balance: view.balance.unwrap_or(crate::domain::money::Balance::ZERO),
        shortage,
        top_off,
        add_funds_href: &add_funds,
        cancel_href: &found.offer.cancel_url,
    };
    Page::html(
        StatusCode::PAYMENT_REQUIRED,
        crate::web::funds::insufficient_funds_page(&page, browser.lang(Some(&view.language))),
    )
}

/// Shortage plus the top-off amount (the wallet's own, else the configured default), if it
/// stays within the largest charge.
fn top_off_total(browser: &Browser<'_>, shortage: Amount, own: Option<Amount>) -> Option<Amount> {
    let config = &browser.app.config.buy_window;
    shortage
        .checked_add(own.unwrap_or(config.top_off_amount))
        .filter(|total| *total <= config.charge_max)
}

/// Charges the saved payment method for the shortage plus the top-off amount and deposits
/// it, before the purchase. Answers the page to show instead when it cannot.
async fn top_off_first(
    browser: &Browser<'_>,
    found: &Found,
    offer: &Offer,
    signed: &Signed,
) -> Result<(), Page> {
    let view = member_view(browser, found, signed).await?;
    let Some(shortage) = view.shortage else {
        return Ok(());
    };
    let Some(method) = view.top_off_method.map(|method| method.id) else {
        return Err(problem(browser, found, &ApiError::NoPaymentMethod, None));
    };
    let Some(total) = top_off_total(browser, shortage, view.top_off_amount) else {
        let above_limit = ApiError::PaymentDeclined {
            decline_code: "amount_too_large".to_owned(),
        };
        return Err(problem(browser, found, &above_limit, None));
    };
    charge_and_deposit(browser, signed, method, total, offer)
        .await
        .map_err(|error| problem(browser, found, &error, Some(&view.language)))
}

/// Charges the saved method and credits the wallet: the account checks first that the
/// credit can land, and nothing is charged when it cannot (see `crate::payments`).
async fn charge_and_deposit(
    browser: &Browser<'_>,
    signed: &Signed,
    method: PaymentMethodId,
    amount: Amount,
    offer: &Offer,
) -> Result<(), ApiError> {
    let app = browser.app;
    let command = StartDeposit {
        deposit: DepositId(new_id()),
        currency: offer.currency,
        amount,
        method,
        amount_max: app.config.buy_window.charge_max,
        idempotency: None,
        // Funds added in a vendor's buy window were bought through its site ([0210]).
        via: Some(offer.vendor),
    };
    app.deposit(signed.member.account, command)
        .await
        .map(|_| ())
        .map_err(|error| match error {
            DepositError::Refused(refused) => ApiError::from(refused),
            DepositError::Declined(declined) => ApiError::PaymentDeclined {
                decline_code: declined.code,
            },
        })
}

/// `GET /buy/{offer}/funds`.
pub(super) async fn funds_form(browser: &Browser<'_>, text: &str) -> Result<Page, ApiError> {
    let found = find(browser, text).await?;
    let Some(signed) = browser.signed(None) else {
        return Ok(login_page(browser, &found, None, None));
    };
    Ok(funds_page(browser, &found, &signed, FundsForm::default()).await)
}

/// What the add-funds form is shown again with.
#[derive(Clone, Copy, Debug, Default)]
struct FundsForm<'a> {
    /// The amount typed.
    amount: Option<&'a str>,
    /// Why it is shown again.
    error: Option<AddFundsError>,
    /// The method chosen (else the top-off method is preselected).
    chosen: Option<PaymentMethodId>,
    /// The processor's code, when it declined.
    decline_code: Option<&'a str>,
}

async fn funds_page(
    browser: &Browser<'_>,
    found: &Found,
    signed: &Signed,
    form: FundsForm<'_>,
) -> Page {
    let view = match member_view(browser, found, signed).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let action = browser.path(&offer_path(found, "funds"));
    let back = browser.path(&offer_path(found, ""));
    let preselected = form
        .chosen
        .or_else(|| view.top_off_method.as_ref().map(|method| method.id));
    let choices: Vec<(String, String, bool)> = view
        .methods
        .iter()
        .map(|method| {
            let chosen = Some(method.id) == preselected;
            (method.id.to_string(), method.label(), chosen)
        })
        .collect();
    let methods: Vec<MethodChoice<'_>> = choices
        .iter()
        .map(|(value, label, checked)| MethodChoice {
            value,
            label,
            checked: *checked,
        })
        .collect();
    let error = form.error;
    let page = AddFundsView {
        action: &action,
        csrf: &browser.csrf,
        session: signed.public_token.as_deref(),
        currency: found.offer.currency,
        balance: view.balance,
        amount: form.amount,
        error,
        methods: &methods,
        decline_code: form.decline_code,
        cancel_href: &back,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Page::html(
        status,
        crate::web::funds::add_funds_page(&page, browser.lang(Some(&view.language))),
    )
}

/// `POST /buy/{offer}/funds`: charge the saved method for the amount typed, then back to the
/// buy window.
pub(super) async fn add_funds(
    browser: &Browser<'_>,
    text: &str,
    form: &Form,
) -> Result<Page, ApiError> {
    let found = posted(browser, text, form).await?;
    let Some(signed) = browser.signed(Some(form)) else {
        return Ok(session_lapsed(browser, &found));
    };
    let typed = form.get("amount").unwrap_or("").trim();
    let chosen = form
        .get("payment_method_id")
        .and_then(|id| id.parse::<PaymentMethodId>().ok());
    let again = |error, decline_code| FundsForm {
        amount: Some(typed),
        error: Some(error),
        chosen,
        decline_code,
    };
    let amount = match parse_amount(typed) {
        Ok(amount) if !amount.is_zero() => amount,
        _ => {
            let form = again(AddFundsError::AmountInvalid, None);
            return Ok(funds_page(browser, &found, &signed, form).await);
        }
    };
    if amount > browser.app.config.buy_window.charge_max {
        let form = again(AddFundsError::AmountTooLarge, None);
        return Ok(funds_page(browser, &found, &signed, form).await);
    }
    let view = match member_view(browser, &found, &signed).await {
        Ok(view) => view,
        Err(page) => return Ok(page),
    };
    // The method the member picked, when it is one of theirs; else the top-off method.
    let picked = chosen.filter(|id| view.methods.iter().any(|method| method.id == *id));
    let Some(method) = picked.or(view.top_off_method.map(|method| method.id)) else {
        return Ok(problem(browser, &found, &ApiError::NoPaymentMethod, None));
    };
    match charge_and_deposit(browser, &signed, method, amount, &found.offer).await {
        Ok(()) => {}
        Err(ApiError::PaymentDeclined { decline_code }) => {
            let form = again(AddFundsError::Declined, Some(&decline_code));
            return Ok(funds_page(browser, &found, &signed, form).await);
        }
        Err(error) => return Ok(problem(browser, &found, &error, Some(&view.language))),
    }
    Ok(back_to_window(browser, &found, &signed).await)
}

/// The page to redeem an incentive code for this offer, with the refusal of the code typed
/// before, if any.
fn redeem_page(
    browser: &Browser<'_>,
    found: &Found,
    signed: &Signed,
    code: Option<&str>,
    refused: Option<&ApiError>,
) -> Page {
    let action = browser.path(&offer_path(found, "incentive"));
    let back = browser.path(&offer_path(found, ""));
    let lang = browser.lang(None);
    let s = lang.strings();
    let error = refused.map(|error| {
        let (_, code, _) = error.describe();
        s.problems.get(code).map_or(
            (s.problem_generic_title, s.problem_generic_detail),
            |problem| (problem.title, problem.detail),
        )
    });
    let view = RedeemView {
        action: &action,
        csrf: &browser.csrf,
        session: signed.public_token.as_deref(),
        code,
        error,
        cancel_href: &back,
    };
    let status = refused.map_or(StatusCode::OK, |error| error.describe().0);
    Page::html(status, crate::web::funds::redeem_page(&view, lang))
}

/// `POST /buy/{offer}/incentive`: redeems the code typed for this offer, then back to the
/// buy window, whose purchase the incentive then pays first. A code that could not pay for
/// this offer (another vendor's program, another currency, one the offer does not accept)
/// is refused before it is redeemed, so it stays usable where it can pay.
pub(super) async fn redeem(
    browser: &Browser<'_>,
    text: &str,
    form: &Form,
) -> Result<Page, ApiError> {
    let found = posted(browser, text, form).await?;
    let Some(signed) = browser.signed(Some(form)) else {
        return Ok(session_lapsed(browser, &found));
    };
    let typed = form.get("code").unwrap_or("").trim();
    let code = match crate::http::dto::incentive_code(typed, "code") {
        Ok(code) => code,
        Err(_) => {
            let error = ApiError::Reject(Reject::IncentiveUnknown);
            return Ok(redeem_page(
                browser,
                &found,
                &signed,
                Some(typed),
                Some(&error),
            ));
        }
    };
    let usable_at = crate::incentives::UsableAt {
        vendor: found.offer.vendor,
        currency: found.offer.currency,
        policy: found.offer.incentives.clone(),
    };
    let member = signed.member;
    let redeemed = crate::http::incentive_api::redeem_code(
        browser.app,
        member.account,
        member.login,
        member.session,
        code,
        Some(usable_at),
    )
    .await;
    match redeemed {
        Ok(_) => Ok(back_to_window(browser, &found, &signed).await),
        Err(ApiError::Unauthenticated) => Ok(session_lapsed(browser, &found)),
        Err(error) => Ok(redeem_page(
            browser,
            &found,
            &signed,
            Some(typed),
            Some(&error),
        )),
    }
}

/// `GET /buy/{offer}/cancel`: back to the vendor's page.
pub(super) async fn cancel(browser: &Browser<'_>, text: &str) -> Result<Page, ApiError> {
    let found = find(browser, text).await?;
    Ok(Page::redirect(found.offer.cancel_url.clone()))
}

/// `POST /buy/{offer}/sign-out`.
pub(super) async fn sign_out(
    browser: &Browser<'_>,
    text: &str,
    form: &Form,
) -> Result<Page, ApiError> {
    let found = posted(browser, text, form).await?;
    if let Some(signed) = browser.signed(Some(form)) {
        end_session(browser, &signed).await;
    }
    Ok(Page::redirect(browser.path(&offer_path(&found, "")))
        .with_cookie(browser.clear_session_cookie()))
}

fn register_view_page(
    browser: &Browser<'_>,
    offer: Option<&str>,
    referrer: Option<&str>,
    email: Option<&str>,
    error: Option<RegisterError>,
) -> Page {
    let back = offer.map_or_else(
        || "/register".to_owned(),
        |o| browser.path(&format!("/buy/{o}")),
    );
    let action = browser.path("/register");
    let referrer_name = referrer
        .and_then(|id| id.parse::<VendorId>().ok())
        .and_then(|vendor| browser.app.registry.vendor(vendor))
        .map(|entry| entry.profile.name.clone());
    let bonuses: Vec<_> = browser
        .app
        .config
        .incentives
        .signup_bonus
        .iter()
        .map(|(currency, bonus)| (bonus.amount, *currency, bonus.valid_days))
        .collect();
    let view = RegisterView {
        action: &action,
        csrf: &browser.csrf,
        offer,
        referrer,
        referrer_name: referrer_name.as_deref(),
        email,
        currency: None,
        password_chars_min: PASSWORD_CHARS_MIN,
        error,
        back_href: &back,
        signup_bonus: &bonuses,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Page::html(status, register_page(&view, browser.lang(None)))
}

/// `GET /register?offer=...`.
pub(super) fn register_form(browser: &Browser<'_>) -> Page {
    let offer = browser
        .query_offer
        .as_deref()
        .filter(|o| o.parse::<OfferId>().is_ok());
    let referrer = browser
        .query_ref
        .as_deref()
        .filter(|vendor| known_vendor(browser, vendor));
    register_view_page(browser, offer, referrer, None, None)
}

/// Whether `id` names a registered vendor: a referral link to anything else is ignored (a
/// stale or mistyped link still lets the reader register).
fn known_vendor(browser: &Browser<'_>, id: &str) -> bool {
    id.parse::<VendorId>()
        .is_ok_and(|vendor| browser.app.registry.vendor(vendor).is_some())
}

/// `POST /register`: create the member (with the test card when asked), then back to the
/// buy window to sign in.
pub(super) async fn register(
    browser: &Browser<'_>,
    client: ClientAddr,
    form: &Form,
) -> Result<Page, ApiError> {
    browser.check_csrf(form)?;
    let offer = form.get("offer").filter(|o| o.parse::<OfferId>().is_ok());
    let email = form.get("email").unwrap_or("").trim();
    let referrer = form
        .get("ref")
        .filter(|vendor| known_vendor(browser, vendor));
    let request = RegisterRequest {
        email: email.to_owned(),
        password: form.get("password").unwrap_or("").to_owned(),
        language: form.get("language").unwrap_or("en").to_owned(),
        currency: form.get("currency").unwrap_or("USD").to_owned(),
        time_zone: None,
        referred_by: referrer.map(str::to_owned),
        // An unticked box is absent from the form: the reader declined ([0264]).
        vendor_offers: Some(form.get("vendor_offers") == Some("on")),
        // Mandatory on the page ([0144]); blank pairs are checked (and refused) like others.
        security_questions: Some(
            (1..=REGISTER_QUESTIONS)
                .map(|n| QuestionAnswer {
                    question: form.get(&format!("question_{n}")).unwrap_or("").to_owned(),
                    answer: form.get(&format!("answer_{n}")).unwrap_or("").to_owned(),
                })
                .collect(),
        ),
    };
    let method = if form.get("save_card") == Some("on") {
        Some(tokenize(browser.app, &test_card(), browser.app.now())?)
    } else {
        None
    };
    let refill = Some(email).filter(|e| !e.is_empty());
    match register_member(browser.app, client, request, method).await {
        Ok(_) => {}
        Err(ApiError::EmailTaken) => {
            let error = Some(RegisterError::EmailTaken);
            return Ok(register_view_page(browser, offer, referrer, refill, error));
        }
        Err(ApiError::InvalidField { param: "email", .. }) => {
            let error = Some(RegisterError::EmailInvalid);
            return Ok(register_view_page(browser, offer, referrer, refill, error));
        }
        Err(ApiError::InvalidField {
            param: "password", ..
        }) => {
            let error = Some(RegisterError::PasswordTooShort);
            return Ok(register_view_page(browser, offer, referrer, refill, error));
        }
        Err(ApiError::Reject(Reject::TextInvalid | Reject::QuestionsCount)) => {
            let error = Some(RegisterError::QuestionsInvalid);
            return Ok(register_view_page(browser, offer, referrer, refill, error));
        }
        Err(error) => return Err(error),
    }
    let next = match offer {
        Some(offer) => format!("/buy/{offer}"),
        None => "/register".to_owned(),
    };
    Ok(Page::redirect(browser.path(&next)))
}
