//! The member's account pages (issue 14) at `/account/...`: a member's browser door to what
//! `/v1/members/me/...` offers: the summary, My Content, wallets and funds, payment methods, limits,
//! sub-members, security questions, freeze and unfreeze, transfers, incentive codes, disputes,
//! and the step-up page a vendor's `step_up_url` names.
//!
//! The third office on the shell (`http::office`), which holds what every office does alike:
//! sign-in and sign-out, the menu, the CSRF check of every form, the redirect after a form
//! with its notice, the errors. This module gives it the account's paths, menu and caller
//! ([`AccountOffice`] as `office::Office`) and its sign-in call (`member_api::authenticate`,
//! `start_session`, `seal_session`, throttled as `POST /v1/sessions`). Where the staff offices
//! name security functions, a member has a role: every page and form is a route of the table
//! with `Caller::Member` (any login of the account) or `Caller::Holder` (the holder only; the
//! router refuses a sub-member `403 holder_only`), and the menu names the same role per page
//! ([`MEMBER`], [`HOLDER`]), given to the caller as their "functions", so a sub-member sees no
//! link to a page the router would refuse them. The caller is found in their account
//! (`member_api::my_account`), which also checks the session is live on every page.
//!
//! The cookie is the buy window's member session cookie (`farthing_session`,
//! `__Host-farthing_session` over https; `Path=/`, `SameSite=Lax`, for
//! `tokens.session_absolute_ttl_ms`): a member signed in at either is signed in at both, and a
//! vendor's top-level link to `/account/step-up` arrives signed in (a `Strict` cookie would
//! not). Signing out here ends the session in the account, as the buy window's sign-out does.
//! A request carrying a bearer is authenticated by the bearer alone and skips the CSRF check.
//!
//! Every page's work goes through the same function as its JSON route (`member_api`,
//! `logins_api`, `step_up_api`, `transfer_api`, `incentive_api`, `dispute_api`, `content_api`), so the two doors
//! cannot drift apart; this module only turns forms into their requests and refusals into
//! form errors. Sensitive forms pass the step-up token the browser keeps (`step_up.rs`). The
//! pages are rendered by `crate::web::account` (pure); the flows are in `flows.rs`.

mod flows;
mod statement;
mod step_up;

use std::collections::BTreeSet;

use hyper::StatusCode;

use super::app::App;
use super::buy_window::{Form, SESSION_COOKIE, SESSION_COOKIE_HOST};
use super::client::ClientAddr;
use super::dto::AccountResponse;
use super::error::ApiError;
use super::member_api::{authenticate, command, my_account, seal_session, start_session};
use super::office::{self, CookieScope, SignedIn};
use super::routes::{Call, Outcome};
use super::statement_api;
use crate::actors::messages::MemberCommand;
use crate::domain::account::SessionExpiry;
use crate::domain::logins::LoginRole;
use crate::domain::security::Grants;
use crate::web::account::{AccountOffice, Section};

/// A signed-in account request; its caller is the member session and their account.
type Seat<'a> = office::Seat<'a, AccountOffice>;

/// The role every login of an account has: what `Caller::Member` routes ask.
pub const MEMBER: &str = "member";
/// The role of the account's holder alone: what `Caller::Holder` routes ask.
pub const HOLDER: &str = "holder";

/// The step-up page's path: what `step_up_api::at_page` names to vendors.
const STEP_UP_PATH: &str = "/account/step-up";

/// The pages of the menu: each one's role and path.
const PAGES: [(Section, &str, &str); 11] = [
    (Section::Summary, MEMBER, "/account"),
    (Section::Statement, MEMBER, statement::STATEMENT),
    (Section::Content, MEMBER, "/account/content"),
    (Section::Wallets, HOLDER, "/account/wallets"),
    (Section::Limits, HOLDER, "/account/limits"),
    (Section::SubMembers, HOLDER, "/account/sub-members"),
    (Section::Questions, HOLDER, "/account/security-questions"),
    (Section::Transfers, HOLDER, "/account/transfers"),
    (Section::Incentives, MEMBER, "/account/incentives"),
    (Section::Disputes, HOLDER, "/account/disputes"),
    (Section::Profile, MEMBER, flows::PROFILE),
];

/// Who calls an account page.
pub(crate) struct Member {
    /// The session, as the router opened it.
    pub session: crate::http::app::MemberSession,
    /// The account as `GET /v1/members/me` shows it to this login.
    pub account: AccountResponse,
}

/// The language of an account page: `?lang=`, then the caller's own (their login's, else the
/// account's: [0136]), then `Accept-Language`.
fn lang(seat: &Seat<'_>) -> crate::web::i18n::Lang {
    seat.browser.lang(seat.caller.account.language.as_deref())
}

/// True for a path of the account pages.
fn owns_path(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or("");
    office::owns::<AccountOffice>(path)
}

impl office::Office for AccountOffice {
    type Caller = Member;

    const COOKIE: &'static str = SESSION_COOKIE;
    const COOKIE_HOST: &'static str = SESSION_COOKIE_HOST;
    const HOME_PATH: &'static str = "/account";
    const MENU: &'static [(Section, &'static str, &'static str)] = &PAGES;
    const COOKIE_SCOPE: CookieScope = CookieScope::Site;

    async fn caller(app: &App, call: &Call<'_>) -> Result<SignedIn<Member>, ApiError> {
        let session = call.member()?;
        let account = my_account(app, session).await?;
        let mut roles = BTreeSet::from([MEMBER.to_owned()]);
        if session.holder {
            roles.insert(HOLDER.to_owned());
        }
        let email = account
            .login
            .as_ref()
            .and_then(|login| login.email.clone())
            .or_else(|| account.email.clone());
        Ok(SignedIn {
            caller: Member { session, account },
            grants: Grants::Some(roles),
            email,
        })
    }

    fn acting_for(_member: &Member) -> Option<&str> {
        None
    }

    async fn sign_in(
        app: &App,
        client: ClientAddr,
        email: &str,
        password: String,
    ) -> Result<String, ApiError> {
        let (account, login, role) = authenticate(app, client, email, password).await?;
        // As the buy window's default: the session lives its absolute lifetime.
        let expiry = SessionExpiry::Absolute {
            expires_at: app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms),
        };
        let (session, _) = start_session(app, account, login, expiry).await?;
        let member = crate::http::app::MemberSession {
            account,
            login,
            session,
            holder: role == LoginRole::Holder,
        };
        Ok(seal_session(app, &member))
    }

    fn session_ttl_ms(app: &App) -> u64 {
        app.config.tokens.session_absolute_ttl_ms
    }

    async fn end_session(app: &App, token: &str) {
        let Some(member) = app.open_session(token) else {
            return;
        };
        // A session that has ended already is what signing out wants; a fault leaves it to
        // expire, and the cookie is cleared either way.
        if let Err(error) = command(app, member, MemberCommand::EndSession).await {
            let (_, code, _) = error.describe();
            tracing::debug!(code, "a member's session could not be ended at sign-out");
        }
    }
}

/// `GET /account/login`: the member's sign-in form.
#[utoipa::path(get, path = "/account/login", tag = "account",
    operation_id = "account_sign_in_form",
    responses((status = 200, description = "The sign-in form", content_type = "text/html")))]
pub async fn sign_in_form(app: &App, call: Call<'_>) -> Outcome {
    office::sign_in_form::<AccountOffice>(app, &call)
}

/// `POST /account/login`: signs a member in (throttled like `POST /v1/sessions`, through the
/// same code) and keeps the session in the member session cookie.
#[utoipa::path(post, path = "/account/login", tag = "account",
    operation_id = "account_sign_in",
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, csrf"),
    responses((status = 303, description = "Signed in: to the summary, with the cookie"),
        (status = 401, description = "The form again: unknown e-mail or wrong password", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 429, description = "Too many failed attempts", content_type = "text/html")))]
pub async fn sign_in(app: &App, call: Call<'_>) -> Outcome {
    office::sign_in::<AccountOffice>(app, call).await
}

/// `POST /account/logout`: ends the session in the account and clears the cookie (here and in
/// the buy window, which shares it).
#[utoipa::path(post, path = "/account/logout", tag = "account",
    operation_id = "account_sign_out",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Signed out: to the sign-in form"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    office::sign_out::<AccountOffice>(app, &call).await
}

/// `GET /account`: the summary: wallets with their paid and incentive balances, who is signed in,
/// the recent purchases and whether the account is frozen, as `GET /v1/members/me` shows them.
#[utoipa::path(get, path = "/account", tag = "account",
    operation_id = "account_summary",
    responses((status = 200, description = "The summary", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn summary(app: &App, call: Call<'_>) -> Outcome {
    let mut seat = Seat::new(app, &call).await?;
    // Only this page shows the summary's lines: the other pages' callers skip the read.
    seat.caller.account.recent_transactions =
        statement_api::summary_lines(app, &seat.caller.session).await?;
    flows::summary(&seat)
}

/// `GET /account/statement`: the statement, filtered and paged, as
/// `GET /v1/members/me/statement` reads it (a sub-member reads only their own lines).
#[utoipa::path(get, path = "/account/statement", tag = "account",
    operation_id = "account_statement",
    params(
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD in the member's time zone (or an RFC 3339 instant)"),
        ("to" = Option<String>, Query, description = "Last day, included (or an RFC 3339 instant, excluded)"),
        ("vendor" = Option<String>, Query, description = "A vendor chosen, ven_…"),
        ("vendor_id" = Option<String>, Query, description = "A vendor's id typed; wins over vendor"),
        ("kind" = Option<String>, Query, description = "One of the nine kinds of the API"),
        ("login" = Option<String>, Query, description = "The holder's filter: lines this login made"),
        ("min" = Option<String>, Query, description = "Smallest absolute amount"),
        ("max" = Option<String>, Query, description = "Largest absolute amount"),
        ("cursor" = Option<String>, Query, description = "From the next-page link"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "The statement page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form"),
        (status = 400, description = "The page again: a filter is invalid", content_type = "text/html"),
        (status = 403, description = "A sub-member naming another login (holder_only)", content_type = "text/html")))]
pub async fn statement(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    statement::page(&seat).await
}

/// `GET /account/profile`: the login's own name and language.
#[utoipa::path(get, path = "/account/profile", tag = "account",
    operation_id = "account_profile",
    responses((status = 200, description = "The profile form", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn profile(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::profile(&seat, StatusCode::OK, None, None)
}

/// `POST /account/profile`: sets the login's own name and language, as
/// `PUT /v1/members/me/profile`; the pages then speak the new language.
#[utoipa::path(post, path = "/account/profile", tag = "account",
    operation_id = "account_set_profile",
    request_body(content_type = "application/x-www-form-urlencoded", description = "name (blank: unchanged), language, csrf"),
    responses((status = 303, description = "Saved: back to the profile with a notice"),
        (status = 400, description = "The form again: the name or the language is invalid", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn set_profile(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::set_profile(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/freeze`: freezes the account at once, as `POST /v1/members/me/freeze`; every
/// session ends, this one too.
#[utoipa::path(post, path = "/account/freeze", tag = "account",
    operation_id = "account_freeze",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Frozen: to the summary, which asks to sign in again"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn freeze(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::freeze(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/unfreeze`: lets the account buy again, behind step-up, as
/// `POST /v1/members/me/unfreeze`.
#[utoipa::path(post, path = "/account/unfreeze", tag = "account",
    operation_id = "account_unfreeze",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, challenge_id and answer (after a question)"),
    responses((status = 303, description = "Unfrozen: to the summary with a notice"),
        (status = 403, description = "A question to answer first, a sub-member (holder_only), or a CSRF failure", content_type = "text/html")))]
pub async fn unfreeze(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::unfreeze(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/close`: closes the account, behind step-up, as `POST /v1/members/me/close`
/// (`forfeit` ticked gives up the paid balance left); every session ends, this one too.
#[utoipa::path(post, path = "/account/close", tag = "account",
    operation_id = "account_close",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, forfeit (ticked: yes), challenge_id and answer (after a question)"),
    responses((status = 303, description = "Closed: to the summary, which asks to sign in"),
        (status = 403, description = "A question to answer first, a sub-member (holder_only), or a CSRF failure", content_type = "text/html"),
        (status = 409, description = "balance_remaining, close_debt_open or close_money_in_motion", content_type = "application/problem+json")))]
pub async fn close(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::close(&seat, &Form::parse(&call.body)).await
}

/// `GET /account/wallets`: the wallets, opening one, adding funds and the saved payment methods.
#[utoipa::path(get, path = "/account/wallets", tag = "account",
    operation_id = "account_wallets",
    responses((status = 200, description = "The wallets page", content_type = "text/html"),
        (status = 403, description = "A sub-member (holder_only)", content_type = "text/html")))]
pub async fn wallets(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::wallets(&seat, StatusCode::OK, None, "")
}

/// `POST /account/wallets`: opens a wallet, as `POST /v1/members/me/wallets`.
#[utoipa::path(post, path = "/account/wallets", tag = "account",
    operation_id = "account_open_wallet",
    request_body(content_type = "application/x-www-form-urlencoded", description = "currency, csrf"),
    responses((status = 303, description = "Opened: back to the wallets with a notice"),
        (status = 400, description = "The page again: not a supported currency", content_type = "text/html"),
        (status = 409, description = "A wallet in this currency is open already", content_type = "text/html")))]
pub async fn open_wallet(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::open_wallet(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/deposits`: charges a saved payment method and credits the wallet, as
/// `POST /v1/members/me/deposits`.
#[utoipa::path(post, path = "/account/deposits", tag = "account",
    operation_id = "account_add_funds",
    request_body(content_type = "application/x-www-form-urlencoded", description = "amount, currency, payment_method_id, csrf"),
    responses((status = 303, description = "Added: back to the wallets with a notice"),
        (status = 400, description = "The page again: a bad amount or currency, or the card declined", content_type = "text/html")))]
pub async fn add_funds(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::add_funds(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/payment-methods`: saves the test card, behind step-up, as
/// `POST /v1/members/me/payment-methods`.
#[utoipa::path(post, path = "/account/payment-methods", tag = "account",
    operation_id = "account_save_card",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, challenge_id and answer (after a question)"),
    responses((status = 303, description = "Saved: back to the wallets with a notice"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html")))]
pub async fn save_card(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::save_card(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/payment-methods/{id}/remove`: forgets a saved method, behind step-up, as
/// `DELETE /v1/members/me/payment-methods/{id}`.
#[utoipa::path(post, path = "/account/payment-methods/{id}/remove", tag = "account",
    operation_id = "account_remove_payment_method",
    params(("id" = String, Path, description = "The payment method, pm_…")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, challenge_id and answer (after a question)"),
    responses((status = 303, description = "Removed: back to the wallets with a notice"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html"),
        (status = 404, description = "No such payment method", content_type = "text/html")))]
pub async fn remove_method(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::remove_method_form(&seat, call.params.get("id")?, &Form::parse(&call.body)).await
}

/// `GET /account/limits`: the limits of every login of the account, each with its form.
#[utoipa::path(get, path = "/account/limits", tag = "account",
    operation_id = "account_limits",
    responses((status = 200, description = "The limits page", content_type = "text/html"),
        (status = 403, description = "A sub-member (holder_only)", content_type = "text/html")))]
pub async fn limits(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::limits(&seat, StatusCode::OK, None).await
}

/// `POST /account/limits`: replaces a login's limits in one currency (the holder's own or a
/// sub-member's), behind step-up, as `PUT /v1/members/me/limits` and
/// `PUT /v1/members/me/logins/{id}/limits`.
#[utoipa::path(post, path = "/account/limits", tag = "account",
    operation_id = "account_set_limits",
    request_body(content_type = "application/x-www-form-urlencoded", description = "login, currency, per_transaction, per_session, per_day, per_week, per_month, csrf"),
    responses((status = 303, description = "Set: back to the limits with a notice"),
        (status = 400, description = "The page again: a limit is not an amount", content_type = "text/html"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html")))]
pub async fn set_limits(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::set_limits(&seat, &Form::parse(&call.body)).await
}

/// `GET /account/sub-members`: the account's logins, and the form that adds one.
#[utoipa::path(get, path = "/account/sub-members", tag = "account",
    operation_id = "account_sub_members",
    responses((status = 200, description = "The sub-members page", content_type = "text/html"),
        (status = 403, description = "A sub-member (holder_only)", content_type = "text/html")))]
pub async fn sub_members(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::sub_members(&seat, StatusCode::OK, None, ("", "")).await
}

/// `POST /account/sub-members`: adds a sub-member, behind step-up, as
/// `POST /v1/members/me/logins`.
#[utoipa::path(post, path = "/account/sub-members", tag = "account",
    operation_id = "account_add_sub_member",
    request_body(content_type = "application/x-www-form-urlencoded", description = "name, email, password, csrf"),
    responses((status = 303, description = "Added: back to the sub-members with a notice"),
        (status = 400, description = "The page again: a field is invalid or the e-mail taken", content_type = "text/html"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html")))]
pub async fn add_sub_member(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::add_sub_member(&seat, &Form::parse(&call.body)).await
}

/// `POST /account/sub-members/{id}/disable`: the sub-member cannot sign in, behind step-up, as
/// `POST /v1/members/me/logins/{id}/disable`.
#[utoipa::path(post, path = "/account/sub-members/{id}/disable", tag = "account",
    operation_id = "account_disable_sub_member",
    params(("id" = String, Path, description = "The sub-member's login, login_…")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Disabled: back to the sub-members with a notice"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html"),
        (status = 404, description = "No login of the account has this id", content_type = "text/html")))]
pub async fn disable_sub_member(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::set_disabled(
        &seat,
        call.params.get("id")?,
        true,
        &Form::parse(&call.body),
    )
    .await
}

/// `POST /account/sub-members/{id}/enable`: the sub-member may sign in again, behind step-up,
/// as `POST /v1/members/me/logins/{id}/enable`.
#[utoipa::path(post, path = "/account/sub-members/{id}/enable", tag = "account",
    operation_id = "account_enable_sub_member",
    params(("id" = String, Path, description = "The sub-member's login, login_…")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Enabled: back to the sub-members with a notice"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html"),
        (status = 404, description = "No login of the account has this id", content_type = "text/html")))]
pub async fn enable_sub_member(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::set_disabled(
        &seat,
        call.params.get("id")?,
        false,
        &Form::parse(&call.body),
    )
    .await
}

/// `GET /account/security-questions`: the form that replaces the security questions.
#[utoipa::path(get, path = "/account/security-questions", tag = "account",
    operation_id = "account_security_questions",
    responses((status = 200, description = "The questions form", content_type = "text/html"),
        (status = 403, description = "A sub-member (holder_only)", content_type = "text/html")))]
pub async fn questions(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::questions(&seat, StatusCode::OK, None)
}

/// `POST /account/security-questions`: replaces the security questions (2 to 5), behind step-up,
/// as `PUT /v1/members/me/security-questions`.
#[utoipa::path(post, path = "/account/security-questions", tag = "account",
    operation_id = "account_set_security_questions",
    request_body(content_type = "application/x-www-form-urlencoded", description = "question_1..5, answer_1..5, csrf"),
    responses((status = 303, description = "Replaced: back to the form with a notice"),
        (status = 400, description = "The form again: not 2 to 5 complete questions", content_type = "text/html"),
        (status = 403, description = "A question to answer first, or a CSRF failure", content_type = "text/html")))]
pub async fn set_questions(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::set_questions(&seat, &Form::parse(&call.body)).await
}

/// `GET /account/transfers`: the form that sends money to another member.
#[utoipa::path(get, path = "/account/transfers", tag = "account",
    operation_id = "account_transfers",
    responses((status = 200, description = "The transfer form", content_type = "text/html"),
        (status = 403, description = "A sub-member (holder_only)", content_type = "text/html")))]
pub async fn transfers(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::transfers(&seat, StatusCode::OK, None)
}

/// `POST /account/transfers`: sends money to another member by e-mail, as
/// `POST /v1/members/me/transfers`.
#[utoipa::path(post, path = "/account/transfers", tag = "account",
    operation_id = "account_send_transfer",
    request_body(content_type = "application/x-www-form-urlencoded", description = "to_email, amount, currency, note, csrf"),
    responses((status = 303, description = "Sent: back to the form with a notice"),
        (status = 400, description = "The form again: a field is invalid", content_type = "text/html"),
        (status = 402, description = "Not enough settled balance", content_type = "text/html"),
        (status = 422, description = "The recipient cannot receive", content_type = "text/html")))]
pub async fn send_transfer(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::send_transfer(&seat, &Form::parse(&call.body)).await
}

/// `GET /account/incentives`: the form that redeems an incentive code.
#[utoipa::path(get, path = "/account/incentives", tag = "account",
    operation_id = "account_incentives",
    responses((status = 200, description = "The redeem form", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn incentives(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::incentives(&seat, StatusCode::OK, None)
}

/// `POST /account/incentives`: redeems a code, as `POST /v1/members/me/incentives`.
#[utoipa::path(post, path = "/account/incentives", tag = "account",
    operation_id = "account_redeem_incentive",
    request_body(content_type = "application/x-www-form-urlencoded", description = "code, csrf"),
    responses((status = 303, description = "Redeemed: to the summary with a notice"),
        (status = 400, description = "The form again: not a code", content_type = "text/html"),
        (status = 404, description = "No program has this code", content_type = "text/html"),
        (status = 409, description = "Redeemed before, or the budget is spent", content_type = "text/html")))]
pub async fn redeem(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::redeem(&seat, &Form::parse(&call.body)).await
}

/// `GET /account/content?cursor=`: what the member owns, newest first, as
/// `GET /v1/members/me/content` lists it (a sub-member only what they bought), each item that
/// still opens with an "Open" button.
#[utoipa::path(get, path = "/account/content", tag = "account",
    operation_id = "account_content",
    params(("cursor" = Option<String>, Query, description = "From the previous page's next link")),
    responses((status = 200, description = "The My Content page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form"),
        (status = 400, description = "Not a cursor of a previous page", content_type = "text/html")))]
pub async fn content(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::content(&seat).await
}

/// `POST /account/content/{entitlement_id}/open`: a fresh access token, as
/// `POST /v1/members/me/content/{entitlement_id}/open`, and the browser sent to the content
/// with it in `access_token`, as the buy window sends it after a purchase.
#[utoipa::path(post, path = "/account/content/{entitlement_id}/open", tag = "account",
    operation_id = "account_open_content",
    params(("entitlement_id" = String, Path, description = "The item's entitlement, ent_…")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "To the content URL with access_token in the query"),
        (status = 403, description = "Expired, refunded or used up, or a CSRF failure", content_type = "text/html"),
        (status = 404, description = "No such item, or one someone else bought", content_type = "text/html"),
        (status = 422, description = "Bought before content URLs were kept", content_type = "text/html")))]
pub async fn open_content(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::open_content(
        &seat,
        call.params.get("entitlement_id")?,
        &Form::parse(&call.body),
    )
    .await
}

/// `GET /account/disputes`: the member's disputes, and the form that files one against a recent
/// purchase.
#[utoipa::path(get, path = "/account/disputes", tag = "account",
    operation_id = "account_disputes",
    responses((status = 200, description = "The disputes page", content_type = "text/html"),
        (status = 403, description = "A sub-member (holder_only)", content_type = "text/html")))]
pub async fn disputes(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::disputes(&seat, StatusCode::OK, None).await
}

/// `POST /account/disputes`: files a dispute, as `POST /v1/members/me/disputes`.
#[utoipa::path(post, path = "/account/disputes", tag = "account",
    operation_id = "account_file_dispute",
    request_body(content_type = "application/x-www-form-urlencoded", description = "authorization_id, reason, csrf"),
    responses((status = 303, description = "Filed: back to the disputes with a notice"),
        (status = 400, description = "The page again: the reason is missing or too long", content_type = "text/html"),
        (status = 409, description = "Disputed or reversed already", content_type = "text/html"),
        (status = 422, description = "Charged nothing, or older than the dispute window", content_type = "text/html")))]
pub async fn file_dispute(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    flows::file_dispute(&seat, &Form::parse(&call.body)).await
}

/// `GET /account/step-up?return=`: a security question to answer, for a purchase a vendor was
/// refused `step_up_required` (its `step_up_url`).
#[utoipa::path(get, path = "/account/step-up", tag = "account",
    operation_id = "account_step_up",
    params(("return" = Option<String>, Query, description = "Where to go after a right answer: this site or a vendor's content domain")),
    responses((status = 200, description = "The question, or a note that the login is never asked", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn step_up(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    step_up::page(&seat).await
}

/// `POST /account/step-up`: answers the question, as `POST /v1/step-up`; a right answer lets the
/// login's unusual purchases through for `step_up.pass_ms`.
#[utoipa::path(post, path = "/account/step-up", tag = "account",
    operation_id = "account_answer_step_up",
    request_body(content_type = "application/x-www-form-urlencoded", description = "challenge_id, answer, return, csrf"),
    responses((status = 200, description = "Passed: the purchase can be retried", content_type = "text/html"),
        (status = 303, description = "Passed: to the return URL"),
        (status = 400, description = "A wrong answer: another question", content_type = "text/html"),
        (status = 403, description = "Locked after too many wrong answers, or a CSRF failure", content_type = "text/html")))]
pub async fn answer_step_up(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call).await?;
    step_up::answer(&seat, &Form::parse(&call.body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::routes::{Caller, ROUTES};

    #[test]
    fn every_page_of_the_menu_asks_the_role_its_route_asks() {
        for (_, role, path) in PAGES {
            let route = ROUTES
                .iter()
                .find(|route| route.path == path && route.method == hyper::Method::GET)
                .unwrap_or_else(|| panic!("{path} is no GET route"));
            let expected = match route.caller {
                Caller::Member => MEMBER,
                Caller::Holder => HOLDER,
                other => panic!("{path} is a {other:?} route"),
            };
            assert_eq!(role, expected, "{path}");
            assert!(office::owns::<AccountOffice>(path), "{path}");
        }
        let sections: Vec<Section> = PAGES.iter().map(|(section, ..)| *section).collect();
        assert_eq!(sections, Section::ALL);
    }

    #[test]
    fn every_account_route_but_sign_in_asks_for_a_member() {
        for route in ROUTES.iter().filter(|route| owns_path(route.path)) {
            let open = ["/account/login", "/account/logout"].contains(&route.path);
            let member = matches!(route.caller, Caller::Member | Caller::Holder);
            assert_eq!(open, !member, "{} {}", route.method, route.path);
        }
        assert!(owns_path("/account/limits?lang=ja"));
        assert!(!owns_path("/accounts"));
        assert!(!owns_path("/v1/members/me"));
    }

    #[test]
    fn the_cookie_is_the_buy_window_s_member_session_cookie() {
        assert_eq!(
            office::session_cookie_name::<AccountOffice>(false),
            "farthing_session"
        );
        assert_eq!(
            office::session_cookie_name::<AccountOffice>(true),
            "__Host-farthing_session"
        );
    }
}
