//! The operators' back-office pages ([0074], [0261]-[0262]) at `/back-office/...`: sign-in,
//! a home page with the menu, the disputes queue, security groups, the audit log, vendors,
//! members, and settlement runs with their payouts.
//!
//! Every page and form is a route of its own security function (`Caller::Admin`), so the
//! router authenticates it, records it in the audit trail and refuses it without the function,
//! as it does `/admin/v1/*`; the pages then show only the links, forms and buttons the
//! operator's functions grant. A page's work goes through the same function as its JSON route
//! (`security_api::sign_in_operator`, `dispute_api::decide`, `security_api::create_group`,
//! `audit_api::audit_page`, `vendor_standing_api::decide`, `admin_api::member_response`,
//! `settlement_api::update_fee_schedule`, `settlement_api::set_settlement`,
//! `settlement_api::start_run`, `settlement_api::newest_payouts`,
//! `settlement_api::record_return`), so the two doors cannot drift apart. [`PersonalData`]
//! is the one rule masking a member's personal data on both doors.
//!
//! This module is the browser edge, shared with the buy window (`buy_window::Browser`: the
//! signed double-submit CSRF token, the language, the security headers with the CSP): the
//! cookie, the CSRF check and the errors. The pages themselves are rendered by
//! `crate::web::back_office` (pure); the flows are in `sign_in.rs`, `disputes.rs`,
//! `groups.rs`, `audit.rs`, `vendors.rs`, `members.rs` and `settlement.rs`.
//!
//! The cookie: `farthing_back_office` holds an operator's sealed session token (the one
//! `POST /admin/v1/sessions` answers), HttpOnly and `SameSite=Strict`, `Path=/back-office`, for
//! `admin.operator_session_ttl_ms`. When the public URL is https it is
//! `__Host-farthing_back_office`, `Secure`, and (as that prefix requires) `Path=/`. Only
//! `/back-office/...` reads it (`App::admin_page`), never the JSON routes, which check no CSRF
//! token. A request carrying a bearer is authenticated by the bearer alone and skips the CSRF
//! check: no other site can make a browser send an `Authorization` header.
//!
//! Errors are pages for a browser (a request that accepts `text/html`), a 401 a redirect to the
//! sign-in page; any other client (a script with a bearer) gets the same problem+json as on
//! `/admin/v1/*`, so one route table test covers both doors.

mod audit;
mod disputes;
mod groups;
mod members;
mod settlement;
mod sign_in;
mod vendors;

pub use members::PersonalData;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, HeaderValue, RETRY_AFTER};
use hyper::{HeaderMap, Response, StatusCode};

use super::app::{App, bearer};
use super::buy_window::{Browser, Form, Page};
use super::error::ApiError;
use super::router::problem;
use super::routes::{Call, Outcome};
use crate::domain::security::{Grants, Staff};
use crate::web::back_office::{
    self as pages, Desk, ErrorView, FormError, NavLink, Notice, Section, Who,
};

/// The session cookie's name over http (local development).
const SESSION_COOKIE: &str = "farthing_back_office";
/// The session cookie's name when the public URL is https.
const SESSION_COOKIE_HOST: &str = "__Host-farthing_back_office";
/// Where a browser without a live operator session is sent.
const SIGN_IN_PATH: &str = "/back-office/login";
/// The home page.
const HOME_PATH: &str = "/back-office";

/// The pages of the menu: each one's security function and path. The home page has a
/// function of its own, `back_office.read` ("may use these pages"), because no other
/// function is held by everyone who does: a dispute clerk holds `disputes.*`, a vendor
/// reviewer `vendors.*`, and making either read the other's page (or the audit log) to see the
/// menu would grant more than the job needs.
const PAGES: [(Section, &str, &str); 7] = [
    (Section::Home, "back_office.read", HOME_PATH),
    (Section::Disputes, "disputes.read", "/back-office/disputes"),
    (
        Section::SecurityGroups,
        "security_groups.read",
        "/back-office/security-groups",
    ),
    (Section::Audit, "audit.read", "/back-office/audit"),
    (Section::Vendors, "vendors.read", "/back-office/vendors"),
    (Section::Members, "members.read", "/back-office/members"),
    (
        Section::Settlement,
        "settlement_runs.read",
        "/back-office/settlement",
    ),
];

/// True for the paths this module serves (their errors are pages for a browser).
#[must_use]
pub fn owns(path: &str) -> bool {
    path == HOME_PATH || path.starts_with("/back-office/")
}

/// The back-office cookie's name: `__Host-` prefixed when cookies are `Secure` (an https
/// public URL), as the buy window's.
#[must_use]
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SESSION_COOKIE_HOST
    } else {
        SESSION_COOKIE
    }
}

/// The answer to a refused request on a back-office path: for a browser, a redirect to the
/// sign-in page when it has no live session (clearing a stale cookie) or an error page; for
/// any other client, problem+json.
#[must_use]
pub fn error_response(
    app: &App,
    headers: &HeaderMap,
    query: Option<&str>,
    error: &ApiError,
) -> Response<Full<Bytes>> {
    if !wants_html(headers) {
        return problem(error);
    }
    let browser = Browser::new(app, headers, query);
    if *error == ApiError::Unauthenticated {
        let mut page = Page::redirect(browser.path(SIGN_IN_PATH));
        if browser
            .cookies
            .contains_key(session_cookie_name(browser.secure))
        {
            page = page.with_cookie(clear_cookie(browser.secure));
        }
        return browser.respond(page);
    }
    let mut response = browser.respond(error_page(&browser, error));
    // A throttled sign-in or a busy server says when to come back, as its problem would.
    if let Some(seconds) = error.retry_after_s() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// True when the client asked for a page: browsers send `Accept: text/html,…` with every
/// navigation and form post; scripts send `*/*` or `application/json`. The vendor office
/// uses the same rule, so a script gets the same problem from both offices.
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"))
}

/// The error page of `error`.
fn error_page(browser: &Browser<'_>, error: &ApiError) -> Page {
    let (status, code, _) = error.describe();
    let home = browser.path(HOME_PATH);
    let view = ErrorView {
        code,
        home_href: &home,
    };
    Page::html(status, pages::error_page(&view, browser.lang(None)))
}

/// The attributes of the session cookie. Strict: no other site's link or form carries it
/// here, so a page of the back office opened from elsewhere asks to sign in again.
fn cookie_attributes(secure: bool) -> &'static str {
    if secure {
        "; Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; Path=/back-office; HttpOnly; SameSite=Strict"
    }
}

/// The `Set-Cookie` value that keeps an operator's session token for `max_age_ms`.
fn session_cookie(secure: bool, token: &str, max_age_ms: u64) -> String {
    format!(
        "{}={token}{}; Max-Age={}",
        session_cookie_name(secure),
        cookie_attributes(secure),
        max_age_ms / 1000
    )
}

/// The `Set-Cookie` value that ends the session in this browser.
fn clear_cookie(secure: bool) -> String {
    format!(
        "{}={}; Max-Age=0",
        session_cookie_name(secure),
        cookie_attributes(secure)
    )
}

/// A signed-in back-office request: the browser, who is calling and what they may do.
struct Seat<'a> {
    /// The cookies, language, CSRF token and response headers, as the buy window's.
    browser: Browser<'a>,
    /// The gateway into the actors.
    app: &'a App,
    /// The request's headers: whether it came with a bearer.
    headers: &'a HeaderMap,
    /// The query string, for `?done=` and each page's own parameters.
    query: Option<&'a str>,
    /// Who is calling: recorded on what their forms change.
    staff: Staff,
    /// Their functions now (groups changed since they signed in count at once).
    grants: Grants,
    /// The operator's e-mail, for "Signed in as"; `None` for the admin key.
    email: Option<String>,
    /// The menu: the pages the operator may read, with their paths for this reader.
    menu: Vec<(Section, String)>,
    /// Where the sign-out form posts.
    sign_out: String,
}

impl<'a> Seat<'a> {
    /// # Errors
    /// `Unauthenticated` when the route did not authenticate a member of staff (a bug in the
    /// table).
    fn new(app: &'a App, call: &Call<'a>) -> Result<Seat<'a>, ApiError> {
        let staff = call.staff()?;
        let state = app.registry.back_office_state();
        let grants = state.staffing.grants(staff);
        let email = match staff {
            Staff::AdminKey => None,
            Staff::Operator(id) => state.staffing.operators.get(&id).map(|o| o.email.clone()),
            Staff::VendorAdmin(id) => state
                .staffing
                .vendor_admins
                .get(&id)
                .map(|admin| admin.email.clone()),
        };
        let browser = Browser::new(app, call.headers, call.query);
        let menu = PAGES
            .iter()
            .filter(|(_, function, _)| grants.holds(function))
            .map(|(section, _, path)| (*section, browser.path(path)))
            .collect();
        let sign_out = browser.path("/back-office/logout");
        Ok(Seat {
            browser,
            app,
            headers: call.headers,
            query: call.query,
            staff,
            grants,
            email,
            menu,
            sign_out,
        })
    }

    /// Whether the caller holds `function` now: what a page shows of it.
    fn holds(&self, function: &str) -> bool {
        self.grants.holds(function)
    }

    /// Checks a posted form's CSRF token when the caller came with the cookie. A bearer is no
    /// ambient credential: a request that carries one was written by its sender, not by a page
    /// of another site.
    fn check_form(&self, form: &Form) -> Result<(), ApiError> {
        if bearer(self.headers).is_some() {
            return Ok(());
        }
        self.browser.check_csrf(form)
    }

    /// A path on this server with query `params` (empty values left out), keeping an explicit
    /// `?lang=` so the reader's choice sticks.
    fn link(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in params.iter().filter(|(_, value)| !value.is_empty()) {
            query.append_pair(name, value);
        }
        if let Some(lang) = self.browser.query_lang {
            query.append_pair("lang", lang.code());
        }
        let query = query.finish();
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        }
    }

    /// The frame of a page of `current`, with `error` about the form posted.
    fn desk(&self, current: Section, error: Option<FormError>) -> Desk<'_> {
        Desk {
            who: match &self.email {
                Some(email) => Who::Operator(email),
                None => Who::AdminKey,
            },
            nav: self
                .menu
                .iter()
                .map(|(section, href)| NavLink {
                    section: *section,
                    href,
                })
                .collect(),
            current,
            csrf: &self.browser.csrf,
            sign_out_action: &self.sign_out,
            notice: notice(self.query),
            error,
        }
    }

    /// A page with the security headers (and the CSRF cookie when new).
    fn respond(&self, status: StatusCode, html: String) -> Outcome {
        Ok(self.browser.respond(Page::html(status, html)))
    }

    /// After a form: back to `path` with the notice of what was done.
    fn done(&self, path: &str, notice: Notice) -> Outcome {
        let location = self.link(path, &[("done", notice.code())]);
        Ok(self.browser.respond(Page::redirect(location)))
    }
}

/// The notice `?done=` names, if any.
fn notice(query: Option<&str>) -> Option<Notice> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .take(crate::http::buy_window::FORM_FIELDS_MAX)
        .find(|(name, _)| name == "done")
        .and_then(|(_, code)| Notice::from_code(&code))
}

/// `GET /back-office/login`: the operators' sign-in form.
#[utoipa::path(get, path = "/back-office/login", tag = "back office",
    operation_id = "back_office_sign_in_form",
    responses((status = 200, description = "The sign-in form", content_type = "text/html")))]
pub async fn sign_in_form(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    Ok(browser.respond(sign_in::form(&browser, None, None)))
}

/// `POST /back-office/login`: signs an operator in (throttled like `POST /admin/v1/sessions`,
/// through the same code) and keeps the session in the back-office cookie.
#[utoipa::path(post, path = "/back-office/login", tag = "back office",
    operation_id = "back_office_sign_in",
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, csrf"),
    responses((status = 303, description = "Signed in: to the home page, with the cookie"),
        (status = 401, description = "The form again: unknown e-mail or wrong password", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 429, description = "Too many failed attempts", content_type = "text/html")))]
pub async fn sign_in(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let form = Form::parse(&call.body);
    let page = sign_in::sign_in(&browser, call.client, &form).await?;
    Ok(browser.respond(page))
}

/// `POST /back-office/logout`: clears the back-office cookie. The session token is sealed and
/// kept by no server, as the API's: signing out ends it in this browser, and a copy taken
/// before works until `admin.operator_session_ttl_ms` runs out.
#[utoipa::path(post, path = "/back-office/logout", tag = "back office",
    operation_id = "back_office_sign_out",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Signed out: to the sign-in form"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    browser.check_csrf(&Form::parse(&call.body))?;
    let page = Page::redirect(browser.path(SIGN_IN_PATH)).with_cookie(clear_cookie(browser.secure));
    Ok(browser.respond(page))
}

/// `GET /back-office`: the home page, with the menu of the pages the operator may read.
#[utoipa::path(get, path = "/back-office", tag = "back office",
    operation_id = "back_office_home",
    responses((status = 200, description = "The home page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn home(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    let desk = seat.desk(Section::Home, None);
    seat.respond(
        StatusCode::OK,
        pages::home_page(&desk, seat.browser.lang(None)),
    )
}

/// `GET /back-office/disputes?cursor=`: the disputes waiting for an operator, oldest first,
/// with Approve and Reject for an operator holding `disputes.decide`.
#[utoipa::path(get, path = "/back-office/disputes", tag = "back office",
    operation_id = "back_office_disputes",
    params(("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "The queue", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn disputes(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    disputes::queue(&seat, None).await
}

/// `POST /back-office/disputes/{id}/decision`: approves (refunding the member) or rejects a
/// pending dispute, then back to the queue.
#[utoipa::path(post, path = "/back-office/disputes/{id}/decision", tag = "back office",
    operation_id = "back_office_decide_dispute",
    params(("id" = String, Path, description = "The dispute")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "approve (yes or no), reason, csrf"),
    responses((status = 303, description = "Decided: back to the queue with a notice"),
        (status = 400, description = "The queue again: the reason is missing or too long", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such dispute", content_type = "text/html"),
        (status = 409, description = "Decided already", content_type = "text/html")))]
pub async fn decide_dispute(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    let id = call.params.get("id")?;
    disputes::decide(&seat, id, &Form::parse(&call.body)).await
}

/// `GET /back-office/security-groups`: the groups, and a form to create one from the
/// operator's own functions.
#[utoipa::path(get, path = "/back-office/security-groups", tag = "back office",
    operation_id = "back_office_security_groups",
    responses((status = 200, description = "The groups", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn security_groups(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    groups::page(&seat, StatusCode::OK, None, None)
}

/// `POST /back-office/security-groups`: creates a group of functions the operator holds.
#[utoipa::path(post, path = "/back-office/security-groups", tag = "back office",
    operation_id = "back_office_create_security_group",
    request_body(content_type = "application/x-www-form-urlencoded", description = "name, function (repeated), csrf"),
    responses((status = 303, description = "Created: back to the groups with a notice"),
        (status = 400, description = "The form again: the name is missing or too long", content_type = "text/html"),
        (status = 403, description = "A function the operator does not hold, or a CSRF failure", content_type = "text/html")))]
pub async fn create_security_group(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    groups::create(&seat, &call.body).await
}

/// `GET /back-office/audit?actor=&function=&cursor=`: the audit log, oldest first.
#[utoipa::path(get, path = "/back-office/audit", tag = "back office",
    operation_id = "back_office_audit",
    params(
        ("actor" = Option<String>, Query, description = "admin_key or an operator id"),
        ("function" = Option<String>, Query, description = "A security function"),
        ("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "A page of the log", content_type = "text/html"),
        (status = 400, description = "The filter again: the actor is malformed", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn audit_log(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    audit::page(&seat).await
}

/// `GET /back-office/vendors`: the vendors, pending first, with Approve and Reject for an
/// operator holding `vendors.approve`.
#[utoipa::path(get, path = "/back-office/vendors", tag = "back office",
    operation_id = "back_office_vendors",
    responses((status = 200, description = "The vendors", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn vendors(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    vendors::page(&seat, StatusCode::OK, None)
}

/// `POST /back-office/vendors/{vendor_id}/approval`: approves or rejects a pending vendor,
/// then back to the vendors.
#[utoipa::path(post, path = "/back-office/vendors/{vendor_id}/approval", tag = "back office",
    operation_id = "back_office_vendor_approval",
    params(("vendor_id" = String, Path, description = "The vendor")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "approve (yes or no), reason, csrf"),
    responses((status = 303, description = "Decided: back to the vendors with a notice"),
        (status = 400, description = "The page again: the reason is missing or too long", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such vendor", content_type = "text/html"),
        (status = 409, description = "Decided already", content_type = "text/html")))]
pub async fn vendor_approval(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    let vendor = call.params.get("vendor_id")?;
    vendors::decide(&seat, vendor, &Form::parse(&call.body)).await
}

/// `POST /back-office/vendors/{vendor_id}/fee-schedule`: sets an approved vendor's fee, one
/// flat rate charged monthly, as `PUT /admin/v1/vendors/{vendor_id}/fee-schedule` does, then
/// back to the vendors.
#[utoipa::path(post, path = "/back-office/vendors/{vendor_id}/fee-schedule", tag = "back office",
    operation_id = "back_office_vendor_fee_schedule",
    params(("vendor_id" = String, Path, description = "The vendor")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "rate_ppm, csrf"),
    responses((status = 303, description = "Set: back to the vendors with a notice"),
        (status = 400, description = "The page again: the rate is not 0 to 1000000 ppm", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such vendor", content_type = "text/html")))]
pub async fn vendor_fee_schedule(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    let vendor = call.params.get("vendor_id")?;
    vendors::set_fee(&seat, vendor, &Form::parse(&call.body)).await
}

/// `POST /back-office/vendors/{vendor_id}/settlement`: sets when and where a vendor is paid,
/// as `PUT /admin/v1/vendors/{vendor_id}/settlement` does, then back to the vendors.
#[utoipa::path(post, path = "/back-office/vendors/{vendor_id}/settlement", tag = "back office",
    operation_id = "back_office_vendor_settlement",
    params(("vendor_id" = String, Path, description = "The vendor")),
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "threshold, minimum, schedule_kind, schedule_day, iban, bic, account_name, csrf"),
    responses((status = 303, description = "Set: back to the vendors with a notice"),
        (status = 400, description = "The page again, empty: a field is invalid", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such vendor", content_type = "text/html")))]
pub async fn vendor_settlement(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    let vendor = call.params.get("vendor_id")?;
    vendors::set_settlement(&seat, vendor, &Form::parse(&call.body)).await
}

/// `GET /back-office/members?member=`: a lookup form and, given a member id or e-mail, the
/// member's account; personal data masked without `members.personal_data.read`.
#[utoipa::path(get, path = "/back-office/members", tag = "back office",
    operation_id = "back_office_members",
    params(("member" = Option<String>, Query, description = "A member id (acct_…) or e-mail")),
    responses((status = 200, description = "The form, and the member when asked for", content_type = "text/html"),
        (status = 400, description = "The form again: neither a member id nor an e-mail", content_type = "text/html"),
        (status = 404, description = "The form again: no such member", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn members(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    members::page(&seat).await
}

/// `GET /back-office/settlement?runs_cursor=&payouts_cursor=`: the settlement runs newest
/// first with their payouts, the form that starts a forced run for an operator holding
/// `settlement_runs.create`, and the payouts for one holding `payouts.read`, with a return
/// form each for one holding `payouts.return`.
#[utoipa::path(get, path = "/back-office/settlement", tag = "back office",
    operation_id = "back_office_settlement",
    params(
        ("runs_cursor" = Option<String>, Query, description = "The runs' next page"),
        ("payouts_cursor" = Option<String>, Query, description = "The payouts' next page")),
    responses((status = 200, description = "The runs and payouts", content_type = "text/html"),
        (status = 400, description = "A cursor this server did not make", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn settlement(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    settlement::page(&seat, StatusCode::OK, None)
}

/// `POST /back-office/settlement-runs`: runs settlement now, forced (every payee paid any
/// positive amount owed), then back to the settlement page.
#[utoipa::path(post, path = "/back-office/settlement-runs", tag = "back office",
    operation_id = "back_office_start_settlement_run",
    request_body(content_type = "application/x-www-form-urlencoded", description = "force (yes), csrf"),
    responses((status = 303, description = "Run: back to the settlement page with a notice"),
        (status = 400, description = "The form did not name a forced run", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match, or the function needs four eyes", content_type = "text/html"),
        (status = 409, description = "Another run has not finished", content_type = "text/html")))]
pub async fn start_settlement_run(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    settlement::start(&seat, &Form::parse(&call.body)).await
}

/// `POST /back-office/payouts/{id}/return`: records that the bank returned a payout, then
/// back to the settlement page.
#[utoipa::path(post, path = "/back-office/payouts/{id}/return", tag = "back office",
    operation_id = "back_office_return_payout",
    params(("id" = String, Path, description = "The payout")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "reason, csrf"),
    responses((status = 303, description = "Recorded: back to the settlement page with a notice"),
        (status = 400, description = "The page again: the reason is missing or too long", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html"),
        (status = 404, description = "No such payout", content_type = "text/html"),
        (status = 409, description = "Returned before", content_type = "text/html")))]
pub async fn return_payout(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    let id = call.params.get("id")?;
    settlement::return_payout(&seat, id, &Form::parse(&call.body)).await
}

/// Reads a decision form's `approve` field: `yes` or `no`.
fn approve_field(form: &Form) -> Result<bool, ApiError> {
    match form.get("approve") {
        Some("yes") => Ok(true),
        Some("no") => Ok(false),
        _ => Err(ApiError::InvalidField {
            param: "approve",
            detail: "yes or no".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_office_paths_are_recognized() {
        assert!(owns("/back-office"));
        assert!(owns("/back-office/login"));
        assert!(owns("/back-office/disputes/{id}/decision"));
        assert!(!owns("/back-officer"));
        assert!(!owns("/admin/v1/disputes"));
        assert!(!owns("/buy/x"));
    }

    #[test]
    fn the_cookie_is_strict_and_host_bound_over_https() {
        let plain = session_cookie(false, "tok", 28_800_000);
        assert_eq!(
            plain,
            "farthing_back_office=tok; Path=/back-office; HttpOnly; SameSite=Strict; \
             Max-Age=28800"
        );
        let secure = session_cookie(true, "tok", 60_000);
        assert_eq!(
            secure,
            "__Host-farthing_back_office=tok; Path=/; HttpOnly; SameSite=Strict; Secure; \
             Max-Age=60"
        );
        assert!(clear_cookie(true).ends_with("; Secure; Max-Age=0"));
        assert!(clear_cookie(false).starts_with("farthing_back_office=; Path=/back-office"));
    }

    #[test]
    fn pages_are_asked_for_by_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_html(&headers));
        headers.insert(ACCEPT, hyper::header::HeaderValue::from_static("*/*"));
        assert!(!wants_html(&headers));
        headers.insert(
            ACCEPT,
            hyper::header::HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9"),
        );
        assert!(wants_html(&headers));
    }

    #[test]
    fn every_page_of_the_menu_is_a_function_of_the_route_table() {
        let functions = crate::http::routes::admin_functions();
        for (_, function, path) in PAGES {
            assert!(functions.contains(&function), "{function}");
            assert!(owns(path), "{path}");
        }
    }
}
