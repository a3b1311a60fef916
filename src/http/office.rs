//! The shell every office's pages stand in: the operators' back office (`http::back_office`),
//! the vendor office (`http::vendor_office`), the member's account pages (`http::account`),
//! and any office built after them. An office is a set of server-rendered pages under one
//! path (`/back-office`, `/vendor-office`, `/account`) behind a sign-in page, each page a route
//! of what its caller must hold: a security function for staff, a role for a member.
//!
//! What is the same for every office lives here, once: the session cookie (its name, its
//! attributes, setting and clearing it), the sign-in form and its post, sign-out, the home
//! page, the menu filtered by the caller's functions, the CSRF check of every form, the links
//! that keep `?lang=`, the redirect after a form with its notice, and the answer to a refused
//! request (a redirect to sign in, an error page, or problem+json for a script). An office
//! gives only what differs, through [`Office`]: its paths, cookie names and menu, who its
//! caller is, and its sign-in call. The pages are rendered by `web::office` and the office's
//! own `web` module.
//!
//! The browser edge underneath (the signed double-submit CSRF token, the language, the
//! security headers with the CSP, the form parser) is the buy window's `Browser`, shared with
//! the member's pages, so the three cannot drift apart.
//!
//! The cookie: `{Office::COOKIE}` holds the caller's sealed session token (the one the
//! office's JSON sign-in answers), HttpOnly, for [`Office::session_ttl_ms`]. Its scope is the
//! office's [`CookieScope`]: an office of its own (staff) keeps it `SameSite=Strict` with
//! `Path` the office's home path; the account pages share the buy window's member session
//! cookie (`SameSite=Lax`, `Path=/`), so a member signed in at either is signed in at both,
//! and a vendor's link to `/account/step-up` arrives signed in. When cookies are `Secure` (an
//! https public URL) it is `{Office::COOKIE_HOST}` (`__Host-` prefixed), `Secure`, and (as
//! that prefix requires) `Path=/`. Only the office's pages read it (`App::admin_page`,
//! `App::vendor_page`, `App::member_page`), never the JSON routes, which check no CSRF token.
//! A request carrying a bearer is authenticated by the bearer alone and skips the CSRF check:
//! no other site can make a browser send an `Authorization` header.
//!
//! Depends on `http::buy_window` (the browser edge), `http::app`, `http::routes`,
//! `http::router::problem`, `domain::security::Grants` and `web::office`; never on a
//! particular office, so a new office is a new implementation of [`Office`] and nothing here.

use std::future::Future;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, HeaderValue, RETRY_AFTER};
use hyper::{HeaderMap, Response, StatusCode};

use super::app::{App, bearer};
use super::buy_window::{Browser, FORM_FIELDS_MAX, Form, Page};
use super::client::ClientAddr;
use super::error::ApiError;
use super::router::problem;
use super::routes::{Call, Outcome};
use crate::domain::security::Grants;
use crate::web::office::{
    self as pages, Desk, ErrorView, NavLink, Notice as _, SignInError, SignInView, Who,
};

/// Query parameters read at most by [`Seat::query_param`] (`lang`, a cursor, and room for
/// strays).
const QUERY_PAIRS_MAX: usize = 8;

/// The section type of office `O`'s menu.
type SectionOf<O> = <O as pages::Office>::Section;

/// Where an office's session cookie is sent, and from which sites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CookieScope {
    /// The office alone: `Path` its home path and `SameSite=Strict`, so no other site's link
    /// or form carries it here (a page opened from elsewhere asks to sign in again). Staff's
    /// offices, whose sessions no other page shares.
    Office,
    /// The whole site, as the buy window's member session cookie: `Path=/` and
    /// `SameSite=Lax`. For the account pages, which share that cookie: the buy window sets it
    /// too, and a vendor's top-level link to the step-up page must arrive signed in. Forms
    /// are still guarded by their CSRF tokens, and Lax sends the cookie on no cross-site post.
    Site,
}

/// What an office gives the shell. Implemented by the office's marker type from `web` (the
/// one its pages are rendered with), so one type names the office on both sides.
pub(crate) trait Office: pages::Office {
    /// Who the pages act as, beyond the grants and e-mail every office shows: the member of
    /// staff recorded on what a form changes, the vendor whose data a page reads.
    type Caller;

    /// The session cookie's name over http (local development).
    const COOKIE: &'static str;
    /// The session cookie's name when cookies are `Secure`.
    const COOKIE_HOST: &'static str;
    /// The home page; every other page of the office is below it (the sign-in page at
    /// `{HOME_PATH}/login`, sign-out at `{HOME_PATH}/logout`), and so is the cookie.
    const HOME_PATH: &'static str;
    /// The pages of the menu, in its order: each one's security function and path. The home
    /// page should have a function of its own ("may use these pages"), so that seeing the
    /// menu grants nothing else.
    const MENU: &'static [(SectionOf<Self>, &'static str, &'static str)];

    /// Where the cookie is sent; an office of its own unless it says otherwise.
    const COOKIE_SCOPE: CookieScope = CookieScope::Office;

    /// Who is calling a page, as the router authenticated them. Asynchronous because a
    /// member is found in their account (whose actor also says whether the session is still
    /// live), while staff are found in memory.
    ///
    /// # Errors
    /// `Unauthenticated` when the route did not authenticate this office's kind of caller (a
    /// bug in the table) or the session has ended; the account's faults.
    fn caller(
        app: &App,
        call: &Call<'_>,
    ) -> impl Future<Output = Result<SignedIn<Self::Caller>, ApiError>> + Send;

    /// The name of whom the caller acts for, shown after who they are (`#vendor-name`).
    fn acting_for(caller: &Self::Caller) -> Option<&str>;

    /// Signs a person in by e-mail and password, throttled, through the same code as the
    /// office's JSON sign-in; the sealed session token for the cookie.
    ///
    /// # Errors
    /// `Unauthenticated` for a wrong e-mail or password (the form is shown again);
    /// `TooManyAttempts` while throttled; `Overloaded` when the hasher is busy.
    fn sign_in(
        app: &App,
        client: ClientAddr,
        email: &str,
        password: String,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;

    /// How long the cookie keeps the session token: as long as the token itself lives.
    fn session_ttl_ms(app: &App) -> u64;

    /// Ends the session `token` names on the server, when sessions are kept there (a
    /// member's, in their account); staff's sealed sessions are kept by no server, so by
    /// default signing out only clears the cookie.
    fn end_session(_app: &App, _token: &str) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// The caller of a page, as [`Office::caller`] finds them.
pub(crate) struct SignedIn<C> {
    /// The office's own view of the caller.
    pub caller: C,
    /// Their functions now (groups changed since they signed in count at once).
    pub grants: Grants,
    /// Their e-mail, for "Signed in as"; `None` for the office's key.
    pub email: Option<String>,
}

/// True for the paths office `O` serves (their errors are pages for a browser, and their
/// caller may come with the cookie).
#[must_use]
pub(crate) fn owns<O: Office>(path: &str) -> bool {
    path == O::HOME_PATH
        || path
            .strip_prefix(O::HOME_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Office `O`'s cookie name: `__Host-` prefixed when cookies are `Secure` (an https public
/// URL), as the buy window's.
#[must_use]
pub(crate) fn session_cookie_name<O: Office>(secure: bool) -> &'static str {
    if secure { O::COOKIE_HOST } else { O::COOKIE }
}

/// The answer to a refused request on a path of office `O`: for a browser, a redirect to the
/// sign-in page when it has no live session (clearing a stale cookie) or an error page; for
/// any other client, problem+json, the same as on the office's JSON routes, so the route
/// table's tests cover both doors.
#[must_use]
pub(crate) fn error_response<O: Office>(
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
        let mut page = Page::redirect(browser.path(&sign_in_path::<O>()));
        if browser
            .cookies
            .contains_key(session_cookie_name::<O>(browser.secure))
        {
            page = page.with_cookie(clear_cookie::<O>(browser.secure));
        }
        return browser.respond(page);
    }
    let (status, code, _) = error.describe();
    let home = browser.path(O::HOME_PATH);
    let view = ErrorView {
        code,
        home_href: &home,
    };
    let html = pages::error_page::<O>(&view, browser.lang(None));
    let mut response = browser.respond(Page::html(status, html));
    // A throttled sign-in or a busy server says when to come back, as its problem would.
    if let Some(seconds) = error.retry_after_s() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// True when the client asked for a page: browsers send `Accept: text/html,…` with every
/// navigation and form post; scripts send `*/*` or `application/json`. One rule for every
/// office, so a script gets the same problem from each.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/html"))
}

/// Where a browser without a live session is sent: the same place in every office, so a
/// person who knows one office's sign-in page knows them all.
fn sign_in_path<O: Office>() -> String {
    format!("{}/login", O::HOME_PATH)
}

/// The attributes of the session cookie, by the office's [`CookieScope`].
fn cookie_attributes<O: Office>(secure: bool) -> String {
    let (path, same_site) = match O::COOKIE_SCOPE {
        CookieScope::Office => (O::HOME_PATH, "Strict"),
        CookieScope::Site => ("/", "Lax"),
    };
    if secure {
        format!("; Path=/; HttpOnly; SameSite={same_site}; Secure")
    } else {
        format!("; Path={path}; HttpOnly; SameSite={same_site}")
    }
}

/// The `Set-Cookie` value that keeps a session token for `max_age_ms`.
fn session_cookie<O: Office>(secure: bool, token: &str, max_age_ms: u64) -> String {
    format!(
        "{}={token}{}; Max-Age={}",
        session_cookie_name::<O>(secure),
        cookie_attributes::<O>(secure),
        max_age_ms / 1000
    )
}

/// The `Set-Cookie` value that ends the session in this browser.
fn clear_cookie<O: Office>(secure: bool) -> String {
    format!(
        "{}={}; Max-Age=0",
        session_cookie_name::<O>(secure),
        cookie_attributes::<O>(secure)
    )
}

/// The sign-in form, again with `error` and the e-mail typed when given.
fn sign_in_page<O: Office>(
    browser: &Browser<'_>,
    error: Option<SignInError>,
    email: Option<&str>,
) -> Page {
    let action = browser.path(&sign_in_path::<O>());
    let view = SignInView {
        action: &action,
        csrf: &browser.csrf,
        email,
        error,
    };
    let status = match error {
        None => StatusCode::OK,
        Some(SignInError::MissingCredentials) => StatusCode::BAD_REQUEST,
        Some(SignInError::WrongCredentials) => StatusCode::UNAUTHORIZED,
    };
    Page::html(status, pages::sign_in_page::<O>(&view, browser.lang(None)))
}

/// `GET {HOME_PATH}/login`: the sign-in form.
///
/// # Errors
/// None; `Outcome` for the route table.
pub(crate) fn sign_in_form<O: Office>(app: &App, call: &Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    Ok(browser.respond(sign_in_page::<O>(&browser, None, None)))
}

/// `POST {HOME_PATH}/login`: checks the form's CSRF token, signs the person in through
/// [`Office::sign_in`] and answers a redirect to the home page with the cookie; the form again
/// for a missing field or a wrong e-mail or password.
///
/// # Errors
/// `CsrfFailed`; those of [`Office::sign_in`] but `Unauthenticated`.
pub(crate) async fn sign_in<O: Office>(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let form = Form::parse(&call.body);
    browser.check_csrf(&form)?;
    let email = form.get("email").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    if email.is_empty() || password.is_empty() {
        let email = Some(email).filter(|e| !e.is_empty());
        let page = sign_in_page::<O>(&browser, Some(SignInError::MissingCredentials), email);
        return Ok(browser.respond(page));
    }
    let page = match O::sign_in(app, call.client, email, password.to_owned()).await {
        Ok(token) => {
            let cookie = session_cookie::<O>(browser.secure, &token, O::session_ttl_ms(app));
            Page::redirect(browser.path(O::HOME_PATH)).with_cookie(cookie)
        }
        // Not an error page (nor the router's redirect for a 401): the form, to try again.
        Err(ApiError::Unauthenticated) => {
            sign_in_page::<O>(&browser, Some(SignInError::WrongCredentials), Some(email))
        }
        Err(error) => return Err(error),
    };
    Ok(browser.respond(page))
}

/// `POST {HOME_PATH}/logout`: clears the cookie, and ends the session on the server where the
/// office keeps it there ([`Office::end_session`]). A staff session token is sealed and kept by
/// no server, as the API's: signing out ends it in this browser, and a copy taken before works
/// until it expires.
///
/// # Errors
/// `CsrfFailed`.
pub(crate) async fn sign_out<O: Office>(app: &App, call: &Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    browser.check_csrf(&Form::parse(&call.body))?;
    if let Some(token) = browser
        .cookies
        .get(session_cookie_name::<O>(browser.secure))
    {
        O::end_session(app, token).await;
    }
    let page = Page::redirect(browser.path(&sign_in_path::<O>()))
        .with_cookie(clear_cookie::<O>(browser.secure));
    Ok(browser.respond(page))
}

/// `GET {HOME_PATH}`: the home page, with the menu of the pages the caller may read.
///
/// # Errors
/// Those of [`Office::caller`].
pub(crate) async fn home<O: Office>(app: &App, call: &Call<'_>) -> Outcome {
    let seat = Seat::<O>::new(app, call).await?;
    let desk = seat.desk(<SectionOf<O> as pages::Section>::HOME, None);
    let html = pages::home_page(&desk, seat.browser.lang(None));
    seat.respond(StatusCode::OK, html)
}

/// A signed-in request to a page of office `O`: the browser, who is calling, what they may do
/// and the menu that follows from it.
pub(crate) struct Seat<'a, O: Office> {
    /// The cookies, language, CSRF token and response headers, as the buy window's.
    pub browser: Browser<'a>,
    /// The gateway into the actors.
    pub app: &'a App,
    /// The request's headers: whether it came with a bearer.
    headers: &'a HeaderMap,
    /// The query string, for `?done=` and each page's own parameters.
    pub query: Option<&'a str>,
    /// The office's own view of the caller.
    pub caller: O::Caller,
    /// Their functions now.
    grants: Grants,
    /// Their e-mail, for "Signed in as"; `None` for the office's key.
    email: Option<String>,
    /// The menu: the pages the caller may read, with their paths for this reader.
    menu: Vec<(SectionOf<O>, String)>,
    /// Where the sign-out form posts.
    sign_out: String,
}

impl<'a, O: Office> Seat<'a, O> {
    /// # Errors
    /// Those of [`Office::caller`].
    pub async fn new(app: &'a App, call: &Call<'a>) -> Result<Seat<'a, O>, ApiError> {
        let SignedIn {
            caller,
            grants,
            email,
        } = O::caller(app, call).await?;
        let browser = Browser::new(app, call.headers, call.query);
        let menu = O::MENU
            .iter()
            .filter(|(_, function, _)| grants.holds(function))
            .map(|(section, _, path)| (*section, browser.path(path)))
            .collect();
        let sign_out = browser.path(&format!("{}/logout", O::HOME_PATH));
        Ok(Seat {
            browser,
            app,
            headers: call.headers,
            query: call.query,
            caller,
            grants,
            email,
            menu,
            sign_out,
        })
    }

    /// Whether the caller holds `function` now: what a page shows of it.
    pub fn holds(&self, function: &str) -> bool {
        self.grants.holds(function)
    }

    /// Checks a posted form's CSRF token when the caller came with the cookie. A bearer is no
    /// ambient credential: a request that carries one was written by its sender, not by a page
    /// of another site.
    ///
    /// # Errors
    /// `CsrfFailed`.
    pub fn check_form(&self, form: &Form) -> Result<(), ApiError> {
        if bearer(self.headers).is_some() {
            return Ok(());
        }
        self.browser.check_csrf(form)
    }

    /// The query's `name`, if given (`?lang=` and the others are read where they belong).
    pub fn query_param(&self, name: &str) -> Option<String> {
        query_value(self.query, name, QUERY_PAIRS_MAX)
    }

    /// A path on this server with query `params` (empty values left out), keeping an explicit
    /// `?lang=` so the reader's choice sticks.
    pub fn link(&self, path: &str, params: &[(&str, &str)]) -> String {
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

    /// The frame of a page of `current`, with `error` about the form posted and the notice
    /// `?done=` names.
    pub fn desk(&self, current: SectionOf<O>, error: Option<O::FormError>) -> Desk<'_, O> {
        Desk {
            who: match &self.email {
                Some(email) => Who::Person(email),
                None => Who::Key,
            },
            acting_for: O::acting_for(&self.caller),
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
            // As many pairs as a form may have, so a notice is found wherever it stands.
            notice: query_value(self.query, "done", FORM_FIELDS_MAX)
                .and_then(|code| O::Notice::from_code(&code)),
            error,
        }
    }

    /// A page with the security headers (and the CSRF cookie when new).
    ///
    /// # Errors
    /// None; `Outcome` for the handlers.
    pub fn respond(&self, status: StatusCode, html: String) -> Outcome {
        Ok(self.browser.respond(Page::html(status, html)))
    }

    /// After a form: back to `path` with the notice of what was done (post, redirect, get, so
    /// a reload does not post again).
    ///
    /// # Errors
    /// None; `Outcome` for the handlers.
    pub fn done(&self, path: &str, notice: O::Notice) -> Outcome {
        let location = self.link(path, &[("done", notice.code())]);
        Ok(self.browser.respond(Page::redirect(location)))
    }
}

/// The value of `name` in `query`, looking at the first `pairs_max` pairs.
fn query_value(query: Option<&str>, name: &str, pairs_max: usize) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .take(pairs_max)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::back_office::BackOffice;
    use crate::web::vendor_office::VendorOffice;

    #[test]
    fn office_paths_are_recognized() {
        assert!(owns::<BackOffice>("/back-office"));
        assert!(owns::<BackOffice>("/back-office/login"));
        assert!(owns::<BackOffice>("/back-office/disputes/{id}/decision"));
        assert!(!owns::<BackOffice>("/back-officer"));
        assert!(!owns::<BackOffice>("/admin/v1/disputes"));
        assert!(!owns::<BackOffice>("/buy/x"));
        assert!(owns::<VendorOffice>("/vendor-office"));
        assert!(owns::<VendorOffice>("/vendor-office/login"));
        assert!(owns::<VendorOffice>("/vendor-office/api-keys"));
        assert!(!owns::<VendorOffice>("/vendor-officer"));
        assert!(!owns::<VendorOffice>("/back-office"));
        assert!(!owns::<VendorOffice>("/v1/vendors/me/summary"));
    }

    #[test]
    fn the_cookie_is_strict_and_host_bound_over_https() {
        let plain = session_cookie::<BackOffice>(false, "tok", 28_800_000);
        assert_eq!(
            plain,
            "farthing_back_office=tok; Path=/back-office; HttpOnly; SameSite=Strict; \
             Max-Age=28800"
        );
        let secure = session_cookie::<BackOffice>(true, "tok", 60_000);
        assert_eq!(
            secure,
            "__Host-farthing_back_office=tok; Path=/; HttpOnly; SameSite=Strict; Secure; \
             Max-Age=60"
        );
        assert!(clear_cookie::<BackOffice>(true).ends_with("; Secure; Max-Age=0"));
        assert!(
            clear_cookie::<BackOffice>(false)
                .starts_with("farthing_back_office=; Path=/back-office")
        );
        let plain = session_cookie::<VendorOffice>(false, "tok", 28_800_000);
        assert_eq!(
            plain,
            "farthing_vendor_office=tok; Path=/vendor-office; HttpOnly; SameSite=Strict; \
             Max-Age=28800"
        );
        let secure = session_cookie::<VendorOffice>(true, "tok", 60_000);
        assert_eq!(
            secure,
            "__Host-farthing_vendor_office=tok; Path=/; HttpOnly; SameSite=Strict; Secure; \
             Max-Age=60"
        );
        assert!(clear_cookie::<VendorOffice>(true).ends_with("; Secure; Max-Age=0"));
        assert!(
            clear_cookie::<VendorOffice>(false)
                .starts_with("farthing_vendor_office=; Path=/vendor-office")
        );
    }

    #[test]
    fn pages_are_asked_for_by_accept() {
        let mut headers = HeaderMap::new();
        assert!(!wants_html(&headers));
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        assert!(!wants_html(&headers));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9"),
        );
        assert!(wants_html(&headers));
    }

    #[test]
    fn query_values_are_read_within_their_bound() {
        let query = Some("a=1&b=2&done=x%20y");
        assert_eq!(query_value(query, "done", 8), Some("x y".to_owned()));
        assert_eq!(query_value(query, "done", 2), None);
        assert_eq!(query_value(None, "done", 8), None);
    }
}
