//! The vendor office ([0149], issue 13) at `/vendor-office/...`: a vendor admin's pages in a
//! browser: sign-in, a home page with the menu, sales, disputes, payouts, API keys and
//! incentive programs, the browser door to what `/v1/vendors/me/...` offers their servers.
//!
//! Every page and form is a route of a vendor function (`Caller::Vendor`), so the router
//! authenticates it, checks the admin holds the function, records the call in the audit trail
//! and refuses it otherwise, as it does for the vendor's JSON routes; the menu then links only
//! the pages the admin's functions grant. A page's data and work go through the same function
//! as its JSON route (`vendor_admin_api::sign_in_vendor_admin`, `vendor_api::vendor_summary`,
//! `dispute_api::vendor_dispute_page`, `settlement_api::newest_payouts` with
//! `PayoutView::of`, `vendor_standing_api::rotate_key`, `incentive_api::vendor_program`), so
//! the two doors cannot drift apart and a page shows the vendor no more of a member than the
//! API does. The vendor is the one the session token names inside its ciphertext: no page
//! takes a vendor id from the request.
//!
//! This module is the browser edge, built like the operators' back office
//! (`http::back_office`) and sharing the buy window's `Browser` (the signed double-submit CSRF
//! token, the language, the security headers with the CSP): the cookie, the CSRF check and the
//! errors. The pages are rendered by `crate::web::vendor_office` (pure); the flows are in
//! `sign_in.rs`, `reads.rs` (sales, disputes, payouts) and `forms.rs` (API keys, programs).
//!
//! The cookie: `farthing_vendor_office` holds a vendor admin's sealed session token (the one
//! `POST /v1/vendor-sessions` answers), HttpOnly and `SameSite=Strict`, `Path=/vendor-office`,
//! for `admin.operator_session_ttl_ms`. When cookies are `Secure` (an https public URL) it is
//! `__Host-farthing_vendor_office`, `Secure`, and (as that prefix requires) `Path=/`. Only
//! `/vendor-office/...` reads it (`App::vendor_page`), never the JSON routes, which check no
//! CSRF token; and only a vendor admin's token is read from it, never an API key. A request
//! carrying a bearer (the API key or a vendor admin's token) is authenticated by the bearer
//! alone and skips the CSRF check: no other site can make a browser send an `Authorization`
//! header.
//!
//! Errors are pages for a browser (a request that accepts `text/html`), a 401 a redirect to the
//! sign-in page; any other client gets the same problem+json as on `/v1/vendors/me/*`, so the
//! route table's tests cover both doors.

mod forms;
mod reads;
mod sign_in;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::{HeaderMap, Response, StatusCode};

use super::app::{App, bearer};
use super::back_office::wants_html;
use super::buy_window::{Browser, Form, Page};
use super::error::ApiError;
use super::router::problem;
use super::routes::{Call, Outcome, Principal};
use crate::actors::registry::VendorEntry;
use crate::domain::security::{Grants, Staff};
use crate::web::vendor_office::{self as pages, Desk, ErrorView, FormError, NavLink, Section, Who};

/// The session cookie's name over http (local development).
const SESSION_COOKIE: &str = "farthing_vendor_office";
/// The session cookie's name when cookies are `Secure`.
const SESSION_COOKIE_HOST: &str = "__Host-farthing_vendor_office";
/// Where a browser without a live vendor admin session is sent.
const SIGN_IN_PATH: &str = "/vendor-office/login";
/// The home page.
const HOME_PATH: &str = "/vendor-office";
/// Query parameters read at most (`lang`, a cursor, and room for strays).
const QUERY_PAIRS_MAX: usize = 8;

/// The pages of the menu: each one's vendor function and path. The home page has a function
/// of its own, `vendor_office.read` ("may use these pages"), as the back office has
/// `back_office.read`: no other vendor function is held by everyone who uses the pages (a
/// clerk who reads disputes holds `disputes.read` and nothing else), and making the home page
/// `sales.read` would show every admin the vendor's money to let them see the menu.
const PAGES: [(Section, &str, &str); 6] = [
    (Section::Home, "vendor_office.read", HOME_PATH),
    (Section::Sales, "sales.read", "/vendor-office/sales"),
    (
        Section::Disputes,
        "disputes.read",
        "/vendor-office/disputes",
    ),
    (Section::Payouts, "payouts.read", "/vendor-office/payouts"),
    (
        Section::ApiKeys,
        "api_keys.rotate",
        "/vendor-office/api-keys",
    ),
    (
        Section::IncentivePrograms,
        "incentive_programs.create",
        "/vendor-office/incentive-programs",
    ),
];

/// True for the paths this module serves (their errors are pages for a browser, and their
/// caller may come with the cookie).
#[must_use]
pub fn owns(path: &str) -> bool {
    path == HOME_PATH || path.starts_with("/vendor-office/")
}

/// The vendor office cookie's name: `__Host-` prefixed when cookies are `Secure` (an https
/// public URL), as the buy window's and the back office's.
#[must_use]
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SESSION_COOKIE_HOST
    } else {
        SESSION_COOKIE
    }
}

/// The answer to a refused request on a vendor office path: for a browser, a redirect to the
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
/// here, so a page of the vendor office opened from elsewhere asks to sign in again.
fn cookie_attributes(secure: bool) -> &'static str {
    if secure {
        "; Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "; Path=/vendor-office; HttpOnly; SameSite=Strict"
    }
}

/// The `Set-Cookie` value that keeps a vendor admin's session token for `max_age_ms`.
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

/// A signed-in vendor office request: the browser, the vendor, who acts for it and what the
/// menu offers them.
struct Seat<'a> {
    /// The cookies, language, CSRF token and response headers, as the buy window's.
    browser: Browser<'a>,
    /// The gateway into the actors.
    app: &'a App,
    /// The request's headers: whether it came with a bearer.
    headers: &'a HeaderMap,
    /// The query string, for each page's own parameters.
    query: Option<&'a str>,
    /// The vendor the caller acts for, as the router authenticated it.
    vendor: VendorEntry,
    /// The admin's e-mail, for "Signed in as"; `None` for the vendor's API key.
    email: Option<String>,
    /// The menu: the pages the caller may read, with their paths for this reader.
    menu: Vec<(Section, String)>,
    /// Where the sign-out form posts.
    sign_out: String,
}

impl<'a> Seat<'a> {
    /// # Errors
    /// `Unauthenticated` when the route did not authenticate a vendor (a bug in the table).
    fn new(app: &'a App, call: &Call<'a>) -> Result<Seat<'a>, ApiError> {
        let vendor = call.vendor()?.clone();
        let (grants, email) = match &call.principal {
            Principal::VendorAdmin(_, admin) => {
                let state = app.registry.back_office_state();
                let email = state
                    .staffing
                    .vendor_admins
                    .get(admin)
                    .map(|found| found.email.clone());
                (state.staffing.grants(Staff::VendorAdmin(*admin)), email)
            }
            // The vendor's own key holds every vendor function.
            _ => (Grants::All, None),
        };
        let browser = Browser::new(app, call.headers, call.query);
        let menu = PAGES
            .iter()
            .filter(|(_, function, _)| grants.holds(function))
            .map(|(section, _, path)| (*section, browser.path(path)))
            .collect();
        let sign_out = browser.path("/vendor-office/logout");
        Ok(Seat {
            browser,
            app,
            headers: call.headers,
            query: call.query,
            vendor,
            email,
            menu,
            sign_out,
        })
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

    /// The query's `name`, if given (`?lang=` and the others are read where they belong).
    fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.unwrap_or("").as_bytes())
            .take(QUERY_PAIRS_MAX)
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }

    /// A path on this server with query `params`, keeping an explicit `?lang=` so the
    /// reader's choice sticks.
    fn link(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in params {
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
                Some(email) => Who::Admin(email),
                None => Who::ApiKey,
            },
            vendor_name: &self.vendor.profile.name,
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
            error,
        }
    }

    /// A page with the security headers (and the CSRF cookie when new).
    fn respond(&self, status: StatusCode, html: String) -> Outcome {
        Ok(self.browser.respond(Page::html(status, html)))
    }
}

/// `GET /vendor-office/login`: the vendor admins' sign-in form.
#[utoipa::path(get, path = "/vendor-office/login", tag = "vendor office",
    operation_id = "vendor_office_sign_in_form",
    responses((status = 200, description = "The sign-in form", content_type = "text/html")))]
pub async fn sign_in_form(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    Ok(browser.respond(sign_in::form(&browser, None, None)))
}

/// `POST /vendor-office/login`: signs a vendor admin in (throttled like
/// `POST /v1/vendor-sessions`, through the same code) and keeps the session in the vendor
/// office's cookie.
#[utoipa::path(post, path = "/vendor-office/login", tag = "vendor office",
    operation_id = "vendor_office_sign_in",
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

/// `POST /vendor-office/logout`: clears the vendor office's cookie. The session token is
/// sealed and kept by no server, as the API's: signing out ends it in this browser, and a copy
/// taken before works until `admin.operator_session_ttl_ms` runs out.
#[utoipa::path(post, path = "/vendor-office/logout", tag = "vendor office",
    operation_id = "vendor_office_sign_out",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 303, description = "Signed out: to the sign-in form"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    browser.check_csrf(&Form::parse(&call.body))?;
    let page = Page::redirect(browser.path(SIGN_IN_PATH)).with_cookie(clear_cookie(browser.secure));
    Ok(browser.respond(page))
}

/// `GET /vendor-office`: the home page, with the menu of the pages the admin may read.
#[utoipa::path(get, path = "/vendor-office", tag = "vendor office",
    operation_id = "vendor_office_home",
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

/// `GET /vendor-office/sales`: the figures of `GET /v1/vendors/me/summary`.
#[utoipa::path(get, path = "/vendor-office/sales", tag = "vendor office",
    operation_id = "vendor_office_sales",
    responses((status = 200, description = "The sales page", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn sales(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    reads::sales(&seat).await
}

/// `GET /vendor-office/disputes?cursor=`: the disputes of the vendor's sales, oldest filed
/// first, each member by `member_ref`.
#[utoipa::path(get, path = "/vendor-office/disputes", tag = "vendor office",
    operation_id = "vendor_office_disputes",
    params(("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "A page of disputes", content_type = "text/html"),
        (status = 400, description = "A cursor this server did not make", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn disputes(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    reads::disputes(&seat).await
}

/// `GET /vendor-office/payouts?cursor=`: the vendor's payouts, newest first.
#[utoipa::path(get, path = "/vendor-office/payouts", tag = "vendor office",
    operation_id = "vendor_office_payouts",
    params(("cursor" = Option<String>, Query, description = "The next page's cursor")),
    responses((status = 200, description = "A page of payouts", content_type = "text/html"),
        (status = 400, description = "A cursor this server did not make", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn payouts(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    reads::payouts(&seat)
}

/// `GET /vendor-office/api-keys`: the form that rotates the vendor's API key.
#[utoipa::path(get, path = "/vendor-office/api-keys", tag = "vendor office",
    operation_id = "vendor_office_api_keys",
    responses((status = 200, description = "The rotation form", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn api_keys(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    forms::api_keys(&seat)
}

/// `POST /vendor-office/api-keys`: rotates the vendor's API key, as
/// `POST /v1/vendors/me/api-keys` does, and shows the new key on the answer, once.
#[utoipa::path(post, path = "/vendor-office/api-keys", tag = "vendor office",
    operation_id = "vendor_office_rotate_api_key",
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses((status = 200, description = "Rotated: the new key, shown once", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn rotate_api_key(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    forms::rotate(&seat, &Form::parse(&call.body)).await
}

/// `GET /vendor-office/incentive-programs`: the form that creates a program of the vendor's
/// own.
#[utoipa::path(get, path = "/vendor-office/incentive-programs", tag = "vendor office",
    operation_id = "vendor_office_incentive_programs",
    responses((status = 200, description = "The program form", content_type = "text/html"),
        (status = 303, description = "No live session: to the sign-in form")))]
pub async fn incentive_programs(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    forms::programs(&seat)
}

/// `POST /vendor-office/incentive-programs`: creates a program of the vendor's own in its
/// currency, as `POST /v1/incentive-programs` does.
#[utoipa::path(post, path = "/vendor-office/incentive-programs", tag = "vendor office",
    operation_id = "vendor_office_create_incentive_program",
    request_body(content_type = "application/x-www-form-urlencoded", description = "code, amount, budget, expires_at, csrf"),
    responses((status = 201, description = "Created: the program's id and code", content_type = "text/html"),
        (status = 400, description = "The form again with its error", content_type = "text/html"),
        (status = 403, description = "The CSRF token did not match", content_type = "text/html")))]
pub async fn create_incentive_program(app: &App, call: Call<'_>) -> Outcome {
    let seat = Seat::new(app, &call)?;
    forms::create_program(&seat, &Form::parse(&call.body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_office_paths_are_recognized() {
        assert!(owns("/vendor-office"));
        assert!(owns("/vendor-office/login"));
        assert!(owns("/vendor-office/api-keys"));
        assert!(!owns("/vendor-officer"));
        assert!(!owns("/back-office"));
        assert!(!owns("/v1/vendors/me/summary"));
    }

    #[test]
    fn the_cookie_is_strict_and_host_bound_when_secure() {
        let plain = session_cookie(false, "tok", 28_800_000);
        assert_eq!(
            plain,
            "farthing_vendor_office=tok; Path=/vendor-office; HttpOnly; SameSite=Strict; \
             Max-Age=28800"
        );
        let secure = session_cookie(true, "tok", 60_000);
        assert_eq!(
            secure,
            "__Host-farthing_vendor_office=tok; Path=/; HttpOnly; SameSite=Strict; Secure; \
             Max-Age=60"
        );
        assert!(clear_cookie(true).ends_with("; Secure; Max-Age=0"));
        assert!(clear_cookie(false).starts_with("farthing_vendor_office=; Path=/vendor-office"));
    }

    #[test]
    fn every_page_of_the_menu_is_a_vendor_function_of_the_route_table() {
        let functions = crate::http::routes::vendor_functions();
        for (_, function, path) in PAGES {
            assert!(functions.contains(&function), "{function}");
            assert!(owns(path), "{path}");
        }
        let sections: Vec<Section> = PAGES.iter().map(|(section, ..)| *section).collect();
        assert_eq!(sections, Section::ALL);
    }
}
