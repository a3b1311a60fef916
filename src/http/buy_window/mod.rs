//! The buy window (flow B, [0168]-[0204], [0214]-[0235]): server-rendered pages at `/buy/...`
//! and `/register`, for a member's browser rather than a vendor's server.
//!
//! This module is the browser edge: routing, cookies, the CSRF check, the page language and
//! the response headers. The flows themselves are in `flows.rs`; the pages are rendered by
//! `crate::web` (pure). A purchase goes through the same `purchase` path as
//! `POST /v1/authorize`, so both doors run the same domain checks and write the same events.
//!
//! Cookies: `farthing_session` holds a sealed session token (HttpOnly, SameSite=Lax);
//! `farthing_csrf` holds a random per-browser id, and every form carries that browser's CSRF
//! token in a hidden field: an HMAC of the id under a server key (signed double submit). A
//! cross-site page can neither read the cookie nor compute the token, and a cookie planted by
//! someone else (a sibling subdomain, a man in the middle on plain http) comes with no token
//! that verifies, since only the server can make one.
//!
//! When the public URL is https (`buy_window.public_url`), both cookies are `Secure` and named
//! with the `__Host-` prefix (`__Host-farthing_session`, `__Host-farthing_csrf`): a browser
//! then stores them only from a secure origin, for this host alone (Path=/, no Domain), so no
//! other host or plain-http page can set or overwrite them. Over http (local development on
//! 127.0.0.1) a browser refuses `Secure` and `__Host-` cookies, so they keep their plain names
//! without `Secure`; the token check is the same either way.

mod flows;

pub(crate) use flows::test_card;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, HeaderName, HeaderValue,
    LOCATION, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use hyper::{HeaderMap, Response, StatusCode};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::app::App;
use super::error::ApiError;
use super::routes::{Call, Outcome};
use crate::web::i18n::Lang;
use crate::web::pages::{self, ErrorView};

/// The session cookie's name over http (local development). The account pages share it.
pub(crate) const SESSION_COOKIE: &str = "farthing_session";
/// The CSRF cookie's name over http (local development).
const CSRF_COOKIE: &str = "farthing_csrf";
/// The session cookie's name when the public URL is https. The account pages share it.
pub(crate) const SESSION_COOKIE_HOST: &str = "__Host-farthing_session";
/// The CSRF cookie's name when the public URL is https.
const CSRF_COOKIE_HOST: &str = "__Host-farthing_csrf";
/// Random bytes in a browser's CSRF id (the cookie) and in a script nonce.
const CSRF_TOKEN_BYTES: usize = 16;
/// Form fields read at most (a form here has fewer than ten).
pub(crate) const FORM_FIELDS_MAX: usize = 32;
/// Cookie pairs read at most (ours are two; a browser may send a site's others too).
pub(crate) const COOKIE_PAIRS_MAX: usize = 64;

/// `style-src` for the one inline stylesheet every page carries, by hash rather than
/// `'unsafe-inline'`.
static STYLE_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(crate::web::layout::STYLESHEET.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
});

/// True for the paths this module serves (their errors are pages, not problem+json).
#[must_use]
pub fn owns(path: &str) -> bool {
    path == "/register" || path.starts_with("/buy/") || path == "/buy"
}

/// The error page a browser gets for a request the router refused (unknown path, wrong
/// method, body too large, not ready).
#[must_use]
pub fn error_page(app: &App, headers: &HeaderMap, error: &ApiError) -> Response<Full<Bytes>> {
    Browser::new(app, headers, None).error(error, None)
}

/// Answers a flow's page, or its error as a page.
fn finish(browser: &Browser<'_>, outcome: Result<Page, ApiError>) -> Outcome {
    Ok(match outcome {
        Ok(page) => browser.respond(page),
        Err(error) => browser.error(&error, None),
    })
}

/// `GET /buy/{offer}`: the buy window for an offer, or the sign-in form.
#[utoipa::path(get, path = "/buy/{offer}", tag = "buy window",
    operation_id = "buy_window_show",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    responses((status = 200, description = "The buy window, or the sign-in form", content_type = "text/html")))]
pub async fn show(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    finish(&browser, flows::show(&browser, offer).await)
}

/// `POST /buy/{offer}/login`: signs in from the buy window.
#[utoipa::path(post, path = "/buy/{offer}/login", tag = "buy window",
    operation_id = "buy_window_sign_in",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, public_computer, expiry, csrf"),
    responses((status = 200, description = "The buy window, or the sign-in form with its error", content_type = "text/html"),
        (status = 303, description = "Signed in: back to the buy window")))]
pub async fn sign_in(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(
        &browser,
        flows::sign_in(&browser, call.client, offer, &form).await,
    )
}

/// `POST /buy/{offer}/purchase`: buys the offer.
#[utoipa::path(post, path = "/buy/{offer}/purchase", tag = "buy window",
    operation_id = "buy_window_purchase",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, session (public computer), use_incentive"),
    responses((status = 200, description = "The content delivered by an auto-submitted form, or a page that says why not", content_type = "text/html"),
        (status = 303, description = "Delivered by a redirect")))]
pub async fn purchase(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(&browser, flows::buy(&browser, offer, &form, false).await)
}

/// `POST /buy/{offer}/top-off`: charges the saved payment method for the shortage plus the
/// top-off amount, then buys.
#[utoipa::path(post, path = "/buy/{offer}/top-off", tag = "buy window",
    operation_id = "buy_window_top_off",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, session (public computer)"),
    responses((status = 200, description = "The content, or a page that says why not", content_type = "text/html"),
        (status = 303, description = "Delivered by a redirect")))]
pub async fn top_off(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(&browser, flows::buy(&browser, offer, &form, true).await)
}

/// `POST /buy/{offer}/wallet`: opens a wallet in the offer's currency, then shows the buy
/// window again.
#[utoipa::path(post, path = "/buy/{offer}/wallet", tag = "buy window",
    operation_id = "buy_window_open_wallet",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, session (public computer)"),
    responses((status = 200, description = "The buy window (public computer), or a page that says why not", content_type = "text/html"),
        (status = 303, description = "Opened: back to the buy window")))]
pub async fn open_wallet(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(&browser, flows::open_wallet(&browser, offer, &form).await)
}

/// `POST /buy/{offer}/incentive`: redeems an incentive code for the offer.
#[utoipa::path(post, path = "/buy/{offer}/incentive", tag = "buy window",
    operation_id = "buy_window_redeem_incentive",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "code, csrf, session (public computers)"),
    responses((status = 200, description = "The buy window (or the form again with the code's refusal)", content_type = "text/html"),
        (status = 303, description = "Redeemed: back to the buy window")))]
pub async fn redeem_incentive(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(&browser, flows::redeem(&browser, offer, &form).await)
}

/// `GET /buy/{offer}/funds`: the add-funds form.
#[utoipa::path(get, path = "/buy/{offer}/funds", tag = "buy window",
    operation_id = "buy_window_funds_form",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    responses((status = 200, description = "The add-funds form", content_type = "text/html")))]
pub async fn funds_form(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    finish(&browser, flows::funds_form(&browser, offer).await)
}

/// `POST /buy/{offer}/funds`: charges the saved payment method for the amount typed.
#[utoipa::path(post, path = "/buy/{offer}/funds", tag = "buy window",
    operation_id = "buy_window_add_funds",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "amount, csrf, session (public computer)"),
    responses((status = 200, description = "The form again with its error, or the buy window", content_type = "text/html"),
        (status = 303, description = "Funds added: back to the buy window")))]
pub async fn add_funds(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(&browser, flows::add_funds(&browser, offer, &form).await)
}

/// `GET /buy/{offer}/cancel`: back to the vendor's page.
#[utoipa::path(get, path = "/buy/{offer}/cancel", tag = "buy window",
    operation_id = "buy_window_cancel",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    responses((status = 303, description = "To the offer's cancel URL")))]
pub async fn cancel(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    finish(&browser, flows::cancel(&browser, offer).await)
}

/// `POST /buy/{offer}/sign-out`: ends the session and clears its cookie.
#[utoipa::path(post, path = "/buy/{offer}/sign-out", tag = "buy window",
    operation_id = "buy_window_sign_out",
    params(("offer" = String, Path, description = "The offer's transaction id")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "csrf, session (public computer)"),
    responses((status = 303, description = "Back to the buy window, signed out")))]
pub async fn sign_out(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let offer = call.params.get("offer")?;
    let form = Form::parse(&call.body);
    finish(&browser, flows::sign_out(&browser, offer, &form).await)
}

/// `GET /register`: the registration form.
#[utoipa::path(get, path = "/register", tag = "buy window",
    operation_id = "buy_window_register_form",
    params(("offer" = Option<String>, Query, description = "The offer to go back to")),
    responses((status = 200, description = "The registration form", content_type = "text/html")))]
pub async fn register_form(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    finish(&browser, Ok(flows::register_form(&browser)))
}

/// `POST /register`: creates the member (with the test card when asked).
#[utoipa::path(post, path = "/register", tag = "buy window",
    operation_id = "buy_window_register",
    request_body(content_type = "application/x-www-form-urlencoded", description = "email, password, language, currency, save_card, offer, csrf"),
    responses((status = 200, description = "The form again with its error", content_type = "text/html"),
        (status = 303, description = "Registered: on to sign in")))]
pub async fn register(app: &App, call: Call<'_>) -> Outcome {
    let browser = Browser::new(app, call.headers, call.query);
    let form = Form::parse(&call.body);
    finish(
        &browser,
        flows::register(&browser, call.client, &form).await,
    )
}

/// What a flow answers: a page or a redirect, with cookies to set. Shared with the back
/// office's pages, which answer the same way.
#[derive(Debug, Default)]
pub(crate) struct Page {
    status: Option<StatusCode>,
    html: String,
    location: Option<String>,
    cookies: Vec<String>,
    /// The nonce the page's one inline script carries, for the CSP.
    script_nonce: Option<String>,
}

impl Page {
    pub(crate) fn html(status: StatusCode, html: String) -> Page {
        Page {
            status: Some(status),
            html,
            ..Page::default()
        }
    }

    pub(crate) fn redirect(location: String) -> Page {
        Page {
            status: Some(StatusCode::SEE_OTHER),
            location: Some(location),
            ..Page::default()
        }
    }

    pub(crate) fn with_cookie(mut self, cookie: String) -> Page {
        self.cookies.push(cookie);
        self
    }
}

/// A signed-in member, from the session cookie or (public-computer mode) the form.
#[derive(Clone, Debug)]
struct Signed {
    member: super::app::MemberSession,
    /// Public-computer mode: the sealed session the form carries, since no cookie does.
    public_token: Option<String>,
}

/// One browser request's context: its cookies, language and CSRF token. The back office's
/// pages use it too, so both share one CSRF check and one set of response headers.
pub(crate) struct Browser<'a> {
    pub(crate) app: &'a App,
    headers: &'a HeaderMap,
    pub(crate) cookies: BTreeMap<String, String>,
    /// `?lang=` when the reader chose a language explicitly.
    pub(crate) query_lang: Option<Lang>,
    /// `?offer=` on the register page.
    query_offer: Option<String>,
    /// `?ref=` on the register page: the vendor whose referral link the reader followed.
    query_ref: Option<String>,
    /// True when the public URL is https: cookies are `Secure` with `__Host-` names.
    pub(crate) secure: bool,
    /// This browser's random CSRF id (the cookie's value).
    csrf_id: String,
    /// Whether `csrf_id` is new (then the cookie is set).
    csrf_is_new: bool,
    /// The CSRF token every form of this browser carries: the signed `csrf_id`.
    pub(crate) csrf: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a App, headers: &'a HeaderMap, query: Option<&str>) -> Browser<'a> {
        let cookies = parse_cookies(headers);
        let mut query_lang = None;
        let mut query_offer = None;
        let mut query_ref = None;
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()).take(8) {
            match name.as_ref() {
                "lang" => query_lang = Lang::from_tag(&value),
                "offer" => query_offer = Some(value.into_owned()),
                "ref" => query_ref = Some(value.into_owned()),
                _ => {}
            }
        }
        let secure = app.config.buy_window.secure_cookies;
        let csrf_cookie = if secure {
            CSRF_COOKIE_HOST
        } else {
            CSRF_COOKIE
        };
        let existing = cookies
            .get(csrf_cookie)
            .filter(|id| is_csrf_id(id))
            .cloned();
        let csrf_is_new = existing.is_none();
        let csrf_id = existing.unwrap_or_else(random_token);
        let csrf = csrf_token(app, &csrf_id);
        Browser {
            app,
            headers,
            cookies,
            query_lang,
            query_offer,
            query_ref,
            secure,
            csrf_id,
            csrf_is_new,
            csrf,
        }
    }

    fn session_cookie_name(&self) -> &'static str {
        if self.secure {
            SESSION_COOKIE_HOST
        } else {
            SESSION_COOKIE
        }
    }

    fn csrf_cookie_name(&self) -> &'static str {
        if self.secure {
            CSRF_COOKIE_HOST
        } else {
            CSRF_COOKIE
        }
    }

    /// The page language: `?lang=`, then the member's, then `Accept-Language`.
    pub(crate) fn lang(&self, member_language: Option<&str>) -> Lang {
        let accept = self
            .headers
            .get(hyper::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Lang::negotiate(self.query_lang.map(Lang::code), member_language, accept)
    }

    /// A path on this server, keeping an explicit `?lang=` so the reader's choice sticks.
    pub(crate) fn path(&self, path: &str) -> String {
        match self.query_lang {
            Some(lang) => format!("{path}?lang={}", lang.code()),
            None => path.to_owned(),
        }
    }

    /// Checks the form's CSRF token: the browser must have sent a CSRF cookie, and the field
    /// must be the token the server makes from it (compared in constant time). A field equal
    /// to the cookie, or any pair made up without the server's key, fails.
    pub(crate) fn check_csrf(&self, form: &Form) -> Result<(), ApiError> {
        let sent_cookie = !self.csrf_is_new;
        let field = form.get("csrf").map(str::as_bytes);
        match field {
            Some(field) if sent_cookie && bool::from(self.csrf.as_bytes().ct_eq(field)) => Ok(()),
            _ => {
                metrics::counter!(crate::metrics::CSRF_REFUSED).increment(1);
                Err(ApiError::CsrfFailed)
            }
        }
    }

    /// The signed-in member: the form's public-computer session first, else the cookie.
    /// Only opens the token; the account actor decides whether the session is still live.
    fn signed(&self, form: Option<&Form>) -> Option<Signed> {
        let from_form = form
            .and_then(|f| f.get("session"))
            .filter(|t| !t.is_empty());
        let token = from_form.or_else(|| {
            self.cookies
                .get(self.session_cookie_name())
                .map(String::as_str)
        })?;
        Some(Signed {
            member: self.app.open_session(token)?,
            public_token: from_form.map(str::to_owned),
        })
    }

    fn cookie_attributes(&self) -> &'static str {
        if self.secure {
            "; Path=/; HttpOnly; SameSite=Lax; Secure"
        } else {
            "; Path=/; HttpOnly; SameSite=Lax"
        }
    }

    fn session_cookie(&self, token: &str, max_age_ms: u64) -> String {
        format!(
            "{}={token}{}; Max-Age={}",
            self.session_cookie_name(),
            self.cookie_attributes(),
            max_age_ms / 1000
        )
    }

    fn clear_session_cookie(&self) -> String {
        format!(
            "{}={}; Max-Age=0",
            self.session_cookie_name(),
            self.cookie_attributes()
        )
    }

    /// An error page for `error`, linking back to the vendor when known.
    fn error(&self, error: &ApiError, back: Option<&str>) -> Response<Full<Bytes>> {
        self.respond(self.error_page(error, back, None))
    }

    fn error_page(&self, error: &ApiError, back: Option<&str>, member: Option<&str>) -> Page {
        let (status, code, _) = error.describe();
        let html = pages::error_page(
            &ErrorView {
                code,
                back_href: back,
            },
            self.lang(member),
        );
        Page::html(status, html)
    }

    /// Builds the response: security headers on every page, the CSRF cookie when new.
    pub(crate) fn respond(&self, page: Page) -> Response<Full<Bytes>> {
        let status = page.status.unwrap_or(StatusCode::OK);
        let mut response = Response::new(Full::new(Bytes::from(page.html)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        let script = page
            .script_nonce
            .as_deref()
            .map_or_else(|| "'none'".to_owned(), |nonce| format!("'nonce-{nonce}'"));
        let policy = format!(
            "default-src 'none'; style-src {}; script-src {script}; img-src 'self' data:; \
             base-uri 'none'; frame-ancestors 'none'",
            *STYLE_HASH
        );
        let fixed: [(HeaderName, &str); 5] = [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (REFERRER_POLICY, "no-referrer"),
            (X_FRAME_OPTIONS, "DENY"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ];
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(CONTENT_SECURITY_POLICY, value);
        }
        if let Some(location) = page.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(LOCATION, location);
        }
        let csrf_cookie = self.csrf_is_new.then(|| {
            format!(
                "{}={}{}",
                self.csrf_cookie_name(),
                self.csrf_id,
                self.cookie_attributes()
            )
        });
        for cookie in page.cookies.into_iter().chain(csrf_cookie) {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                headers.append(SET_COOKIE, value);
            }
        }
        response
    }
}

/// `CSRF_TOKEN_BYTES` random bytes as lower-case hex: CSRF tokens and script nonces.
fn random_token() -> String {
    let bytes: [u8; CSRF_TOKEN_BYTES] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// True for a well-formed CSRF id: `CSRF_TOKEN_BYTES` bytes as lower-case hex.
fn is_csrf_id(id: &str) -> bool {
    id.len() == 2 * CSRF_TOKEN_BYTES
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The CSRF token for a browser's CSRF id, as lower-case hex.
fn csrf_token(app: &App, csrf_id: &str) -> String {
    app.pseudonyms
        .csrf_tag(csrf_id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn parse_cookies(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .take(COOKIE_PAIRS_MAX)
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// An `application/x-www-form-urlencoded` body.
#[derive(Debug, Default)]
pub(crate) struct Form {
    pub(crate) fields: BTreeMap<String, String>,
}

impl Form {
    pub(crate) fn parse(body: &[u8]) -> Form {
        Form {
            fields: url::form_urlencoded::parse(body)
                .take(FORM_FIELDS_MAX)
                .map(|(name, value)| (name.into_owned(), value.into_owned()))
                .collect(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_forms_parse() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("a=1; farthing_csrf=xyz"));
        let cookies = parse_cookies(&headers);
        assert_eq!(
            cookies.get("farthing_csrf").map(String::as_str),
            Some("xyz")
        );
        let form = Form::parse(b"email=a%40b.example&password=p+w&public_computer=on");
        assert_eq!(form.get("email"), Some("a@b.example"));
        assert_eq!(form.get("password"), Some("p w"));
        assert_eq!(form.get("missing"), None);
    }

    #[test]
    fn buy_window_paths_are_recognized() {
        assert!(owns("/buy/ofr_0000000000000001"));
        assert!(owns("/buy/{offer}/login"));
        assert!(owns("/register"));
        assert!(!owns("/v1/offers"));
        assert!(!owns("/buyer"));
    }
}
