//! The vendor office (issue 13, [0149]): a vendor admin signs in on a page and works their
//! vendor's sales, disputes, payouts, API keys and incentive programs, seeing only what their
//! functions grant and only their own vendor. Most tests speak plain HTTP with their own cookie
//! jar (the cookie, the CSRF check, the menu, the refusals, the figures, the key rotation); one
//! drives headless Chromium through `browser_support` (a missing browser fails it, never skips
//! it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod browser_support;
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use browser_support::{Browser, run};
use common::{Member, TestServer, Vendor};
use serde_json::{Value, json};

const PASSWORD: &str = "vendor staff password";

// ---------------------------------------------------------------------------------------------
// Set-up through the API

fn vendor_named(server: &TestServer, name: &str, domain: &str) -> Vendor {
    let reply = server.post(
        "/admin/v1/vendors",
        Some(&server.admin_key),
        &json!({"name": name, "currency": "USD", "content_domains": [domain], "fee_ppm": 50000}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    Vendor {
        id: reply.body["vendor_id"].as_str().unwrap().to_owned(),
        key: reply.body["api_key"].as_str().unwrap().to_owned(),
        domain: domain.to_owned(),
    }
}

/// Gives `email` a login to `vendor`'s office with `functions`, through the vendor's key.
fn vendor_admin(server: &TestServer, vendor: &Vendor, email: &str, functions: &[&str]) {
    let created = server.post(
        "/v1/vendors/me/admins",
        Some(&vendor.key),
        &json!({"email": email, "password": PASSWORD, "functions": functions}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
}

fn buy(server: &TestServer, vendor: &Vendor, member: &Member, price: &str, path: &str) -> String {
    let buyer = server.buyer_token(&member.session, vendor);
    let bought = server.authorize(vendor, &buyer, price, path);
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    bought.body["authorization_id"].as_str().unwrap().to_owned()
}

/// Reads `path` with `bearer` until `ready` holds (vendors fold sales and disputes from the
/// journal a moment after they are durable), at most five seconds.
fn read_until(
    server: &TestServer,
    path: &str,
    bearer: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = server.get(path, Some(bearer));
        assert_eq!(reply.status, 200, "{path}: {:?}", reply.body);
        if ready(&reply.body) {
            return reply.body;
        }
        assert!(Instant::now() < deadline, "{path}: {:?}", reply.body);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sales_of(summary: &Value) -> u64 {
    summary["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["sales"].as_u64().unwrap())
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP

/// An answer, with its headers (every `Set-Cookie` kept) and its body as text.
struct Page {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The text between `before` and the next `"` or `<`.
    fn after(&self, before: &str) -> String {
        let start = self.body.find(before).unwrap_or_else(|| {
            panic!("{before} not in\n{}", self.body);
        }) + before.len();
        let rest = &self.body[start..];
        rest[..rest.find(['"', '<']).unwrap()].to_owned()
    }

    /// The value of the first hidden `csrf` field.
    fn csrf(&self) -> String {
        self.after(r#"name="csrf" value=""#)
    }

    /// Whether the page has an element with `id`.
    fn has(&self, id: &str) -> bool {
        self.body.contains(&format!(r#" id="{id}""#))
    }
}

/// A browser's way of speaking, without a browser: `Accept: text/html`, no redirects
/// followed, a cookie jar.
struct Http {
    base: String,
    agent: ureq::Agent,
    jar: BTreeMap<String, String>,
}

impl Http {
    fn new(base: &str) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Http {
            base: base.to_owned(),
            agent,
            jar: BTreeMap::new(),
        }
    }

    /// One request with `cookies` as the `Cookie` header (a form body when given).
    fn send(&self, method: &str, path: &str, cookies: &str, body: Option<&str>) -> Page {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Accept", "text/html,application/xhtml+xml");
        if !cookies.is_empty() {
            builder = builder.header("Cookie", cookies);
        }
        let response = match body {
            Some(body) => self.agent.run(
                builder
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body.to_owned())
                    .unwrap(),
            ),
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let mut response = response.unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response.body_mut().read_to_string().unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    /// A request with the jar's cookies; the answer's cookies go into the jar.
    fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Page {
        let cookies = self
            .jar
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let page = self.send(method, path, &cookies, body);
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if cookie.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    fn get(&mut self, path: &str) -> Page {
        self.request("GET", path, None)
    }

    fn post(&mut self, path: &str, body: &str) -> Page {
        self.request("POST", path, Some(body))
    }

    /// Signs in through the page; answers the home page's redirect.
    fn sign_in(&mut self, email: &str) -> Page {
        let form = self.get("/vendor-office/login");
        assert_eq!(form.status, 200, "{}", form.body);
        let body = format!(
            "email={}&password={}&csrf={}",
            urlencode(email),
            urlencode(PASSWORD),
            form.csrf()
        );
        self.post("/vendor-office/login", &body)
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[test]
fn signing_in_sets_the_cookie_and_the_menu_shows_only_the_pages_held() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    vendor_admin(
        &server,
        &vendor,
        "chief@news.example",
        &["vendor_office.read", "sales.read", "disputes.read"],
    );
    let mut http = Http::new(&server.base);
    let signed_in = http.sign_in("chief@news.example");
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), Some("/vendor-office"));
    // HttpOnly, Strict, scoped to the vendor office, for the operators' session TTL.
    let cookie = signed_in
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("farthing_vendor_office="))
        .unwrap()
        .to_owned();
    for attribute in [
        "; Path=/vendor-office",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Max-Age=28800",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    let home = http.get("/vendor-office");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("chief@news.example"));
    assert!(home.body.contains("Daily News"));
    for held in ["nav-home", "nav-sales", "nav-disputes"] {
        assert!(home.has(held), "{held} in {}", home.body);
    }
    for absent in ["nav-payouts", "nav-api-keys", "nav-incentive-programs"] {
        assert!(!home.has(absent), "{absent} in {}", home.body);
    }
    for (name, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(home.header(name), Some(value));
    }
    assert!(
        home.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );

    // Without a vendor admin's session in the cookie, a page sends the browser to sign in;
    // the vendor's API key and a member's session are never read from it.
    let member = server.member("someone@example.com", "UTC", "0");
    let api_key = format!("farthing_vendor_office={}", vendor.key);
    let member_session = format!("farthing_vendor_office={}", member.session);
    for cookies in [
        "",
        "farthing_vendor_office=garbage",
        api_key.as_str(),
        member_session.as_str(),
    ] {
        let page = http.send("GET", "/vendor-office/sales", cookies, None);
        assert_eq!(page.status, 303, "{cookies}");
        assert_eq!(page.header("location"), Some("/vendor-office/login"));
    }
    // A script (no text/html in Accept) gets the API's problem instead.
    let script = server.get("/vendor-office/sales", None);
    assert_eq!((script.status, script.code()), (401, "unauthenticated"));
    // The cookie opens no JSON route: those take a bearer alone.
    let token = http.jar["farthing_vendor_office"].clone();
    let api = http.send(
        "GET",
        "/v1/vendors/me/summary",
        &format!("farthing_vendor_office={token}"),
        None,
    );
    assert_eq!(api.status, 401);

    // The page speaks the reader's language, and keeps it in its links.
    let ja = http.get("/vendor-office/login?lang=ja");
    assert!(ja.body.contains(r#"<html lang="ja">"#));
    assert!(ja.body.contains("販売者ログイン"));
    assert!(ja.body.contains(r#"action="/vendor-office/login?lang=ja""#));

    // Signing out clears the cookie; the pages then ask to sign in again.
    let out = http.post("/vendor-office/logout", &format!("csrf={}", home.csrf()));
    assert_eq!(out.status, 303);
    assert!(!http.jar.contains_key("farthing_vendor_office"));
    assert_eq!(http.get("/vendor-office").status, 303);
}

#[test]
fn a_page_of_a_function_not_held_is_refused_and_its_link_hidden() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    vendor_admin(
        &server,
        &vendor,
        "clerk@news.example",
        &["vendor_office.read", "disputes.read"],
    );
    let mut http = Http::new(&server.base);
    assert_eq!(http.sign_in("clerk@news.example").status, 303);
    let home = http.get("/vendor-office");
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.has("nav-disputes"));
    for absent in ["nav-sales", "nav-payouts", "nav-api-keys"] {
        assert!(!home.has(absent), "{absent}");
    }
    // Opened by its address: an error page naming the refusal, not the page.
    for path in [
        "/vendor-office/sales",
        "/vendor-office/payouts",
        "/vendor-office/api-keys",
    ] {
        let refused = http.get(path);
        assert_eq!(refused.status, 403, "{path}");
        assert!(
            refused.body.contains(r#"data-code="function_not_granted""#),
            "{path}: {}",
            refused.body
        );
        assert!(!refused.has("rotate"), "{path}");
    }
    // Posting the rotation anyway, with a valid CSRF token, changes nothing.
    let refused = http.post("/vendor-office/api-keys", &format!("csrf={}", home.csrf()));
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains(r#"data-code="function_not_granted""#));
    assert!(!refused.has("new-key"));
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(
        summary.status, 200,
        "the key still works: {:?}",
        summary.body
    );
    // Each refusal is in the audit trail, under the function refused.
    let trail = server.get(
        "/admin/v1/audit?function=api_keys.rotate",
        Some(&server.admin_key),
    );
    let entries = trail.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{:?}", trail.body);
    assert!(entries.iter().all(|entry| entry["status"] == 403));
    // Without `vendor_office.read`, not even the home page.
    vendor_admin(&server, &vendor, "reader@news.example", &["disputes.read"]);
    let mut other = Http::new(&server.base);
    assert_eq!(other.sign_in("reader@news.example").status, 303);
    let home = other.get("/vendor-office");
    assert_eq!(home.status, 403);
    assert!(home.body.contains(r#"data-code="function_not_granted""#));
    assert_eq!(other.get("/vendor-office/disputes").status, 200);
}

#[test]
fn the_sales_page_shows_its_own_vendor_s_figures_and_no_other_s() {
    let server = TestServer::start();
    let news = vendor_named(&server, "Daily News", "news.example");
    let games = vendor_named(&server, "Games Weekly", "games.example");
    let member = server.member("reader@example.com", "UTC", "5.00");
    buy(&server, &news, &member, "0.25", "/a");
    buy(&server, &games, &member, "0.30", "/b");
    buy(&server, &games, &member, "0.35", "/c");
    let news_summary = read_until(&server, "/v1/vendors/me/summary", &news.key, |s| {
        sales_of(s) == 1
    });
    let games_summary = read_until(&server, "/v1/vendors/me/summary", &games.key, |s| {
        sales_of(s) == 2
    });
    let functions = ["vendor_office.read", "sales.read"];
    vendor_admin(&server, &news, "chief@news.example", &functions);
    vendor_admin(&server, &games, "chief@games.example", &functions);

    for (email, summary, name, other) in [
        (
            "chief@news.example",
            &news_summary,
            "Daily News",
            "Games Weekly",
        ),
        (
            "chief@games.example",
            &games_summary,
            "Games Weekly",
            "Daily News",
        ),
    ] {
        let mut http = Http::new(&server.base);
        assert_eq!(http.sign_in(email).status, 303);
        let page = http.get("/vendor-office/sales");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(name), "{email}");
        assert!(!page.body.contains(other), "{email} sees {other}");
        let line = &summary["currencies"][0];
        assert!(page.body.contains(r#"data-currency="USD""#));
        // Every figure the API answers, in the page's notation (dollars, en).
        let figures = [
            "gross",
            "fees",
            "royalties_withheld",
            "commissions",
            "net_payable",
            "settled",
            "unsettled",
        ];
        for figure in figures {
            let wire = line[figure].as_str().unwrap();
            let shown = match wire.strip_prefix('-') {
                Some(digits) => format!("-${digits}"),
                None => format!("${wire}"),
            };
            assert_eq!(
                page.after(&format!(r#"data-figure="{figure}">"#)),
                shown,
                "{email}: {figure}"
            );
        }
        assert_eq!(
            page.after(r#"data-figure="sales">"#),
            line["sales"].to_string()
        );
        assert_eq!(page.after(r#"id="fee-rate">"#), "5%");
    }
    // The two vendors' figures differ, so the pages above could not both have matched one.
    assert_ne!(
        news_summary["currencies"][0]["gross"],
        games_summary["currencies"][0]["gross"]
    );
}

#[test]
fn a_form_without_its_csrf_token_is_refused() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    vendor_admin(
        &server,
        &vendor,
        "keys@news.example",
        &[
            "vendor_office.read",
            "api_keys.rotate",
            "incentive_programs.create",
        ],
    );
    let mut http = Http::new(&server.base);
    // The sign-in form itself: without the token, or without the CSRF cookie it is made from.
    let form = http.get("/vendor-office/login");
    let token = form.csrf();
    let bare = format!("email=keys%40news.example&password={}", urlencode(PASSWORD));
    let refused = http.post("/vendor-office/login", &bare);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains(r#"data-code="csrf_failed""#));
    let cookieless = http.send(
        "POST",
        "/vendor-office/login",
        "",
        Some(&format!("{bare}&csrf={token}")),
    );
    assert_eq!(cookieless.status, 403);
    assert!(!http.jar.contains_key("farthing_vendor_office"));
    // A wrong password is the form again.
    let wrong = http.post(
        "/vendor-office/login",
        &format!("email=keys%40news.example&password=wrong+password&csrf={token}"),
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.has("login-error"));

    assert_eq!(http.sign_in("keys@news.example").status, 303);
    let page = http.get("/vendor-office/api-keys");
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.csrf();
    let csrf_id = http.jar["farthing_csrf"].clone();
    let other_browser = Http::new(&server.base).send("GET", "/vendor-office/login", "", None);
    // Without the token, with another browser's, or with the cookie's raw value: refused, and
    // nothing rotated or created.
    for body in [
        String::new(),
        format!("csrf={}", other_browser.csrf()),
        format!("csrf={csrf_id}"),
    ] {
        let refused = http.post("/vendor-office/api-keys", &body);
        assert_eq!(refused.status, 403, "{body}");
        assert!(
            refused.body.contains(r#"data-code="csrf_failed""#),
            "{body}"
        );
        assert!(!refused.has("new-key"));
        let program = format!("code=FORGED&amount=1.00&budget=10.00&{body}");
        let refused = http.post("/vendor-office/incentive-programs", &program);
        assert_eq!(refused.status, 403, "{program}");
        assert!(refused.body.contains(r#"data-code="csrf_failed""#));
    }
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(summary.status, 200, "not rotated: {:?}", summary.body);
    assert_eq!(http.post("/vendor-office/logout", "").status, 403);

    // One step away: the page's own token. A field the API refuses is the form again...
    let bad = http.post(
        "/vendor-office/incentive-programs",
        &format!("code=x&amount=1.00&budget=10.00&csrf={token}"),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.has("form-error"));
    assert!(bad.body.contains(r#"value="1.00""#), "refilled");
    // ... and a good form creates the program, in the vendor's currency.
    let created = http.post(
        "/vendor-office/incentive-programs",
        &format!(
            "code=spring-26&amount=1.00&budget=10.00&expires_at=2099-12-31T23%3A59&csrf={token}"
        ),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.after(r#"id="program-code">"#), "SPRING-26");
    assert!(created.after(r#"id="program-id">"#).starts_with("prog_"));
    // The code is now taken, on either door.
    let again = server.post(
        "/v1/incentive-programs",
        Some(&vendor.key),
        &json!({"code": "SPRING-26", "amount": "1.00", "currency": "USD", "budget": "10.00"}),
    );
    assert_eq!((again.status, again.code()), (409, "incentive_code_taken"));
    let taken = http.post(
        "/vendor-office/incentive-programs",
        &format!("code=SPRING-26&amount=1.00&budget=10.00&csrf={token}"),
    );
    assert_eq!(taken.status, 400);
    assert!(taken.has("form-error"));
}

#[test]
fn a_key_rotated_on_the_page_works_on_the_api() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    vendor_admin(
        &server,
        &vendor,
        "keys@news.example",
        &["vendor_office.read", "api_keys.rotate"],
    );
    let mut http = Http::new(&server.base);
    assert_eq!(http.sign_in("keys@news.example").status, 303);
    let page = http.get("/vendor-office/api-keys");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.has("new-key"));
    let rotated = http.post("/vendor-office/api-keys", &format!("csrf={}", page.csrf()));
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let key = rotated.after(r#"<code id="new-key">"#);
    assert!(!key.is_empty());
    assert_ne!(key, vendor.key);
    // The new key is a vendor key like any other: the summary, and a purchase.
    let summary = server.get("/v1/vendors/me/summary", Some(&key));
    assert_eq!(summary.status, 200, "{:?}", summary.body);
    assert_eq!(summary.body["vendor_id"], vendor.id.as_str());
    let member = server.member("reader@example.com", "UTC", "1.00");
    let with_new_key = Vendor {
        id: vendor.id.clone(),
        key: key.clone(),
        domain: vendor.domain.clone(),
    };
    buy(&server, &with_new_key, &member, "0.25", "/after-rotation");
    // The key used before keeps working for the overlap, as after the API's rotation.
    assert_eq!(
        server
            .get("/v1/vendors/me/summary", Some(&vendor.key))
            .status,
        200
    );
    // Shown once: the page does not show it again, and the audit trail does not hold it.
    let later = http.get("/vendor-office/api-keys");
    assert!(!later.body.contains(&key));
    let trail = server.get(
        "/admin/v1/audit?function=api_keys.rotate",
        Some(&server.admin_key),
    );
    assert!(!trail.body.to_string().contains(&key));
}

#[test]
fn the_payouts_page_lists_its_own_vendor_s_payouts_as_the_api_does() {
    let server = TestServer::start();
    let news = vendor_named(&server, "Daily News", "news.example");
    let games = vendor_named(&server, "Games Weekly", "games.example");
    let member = server.member("reader@example.com", "UTC", "20.00");
    for (vendor, price) in [(&news, "2.00"), (&games, "4.00")] {
        let settings = server.put(
            &format!("/admin/v1/vendors/{}/settlement", vendor.id),
            Some(&server.admin_key),
            &json!({"threshold": "1.00", "schedule": {"kind": "weekly", "day": 1},
                    "minimum": "0.50", "bank_account": {"iban": "DE89370400440532013000",
                    "bic": "DEUTDEFF", "name": "Payee"}}),
        );
        assert_eq!(settings.status, 200, "{:?}", settings.body);
        buy(&server, vendor, &member, price, "/a");
        read_until(&server, "/v1/vendors/me/summary", &vendor.key, |s| {
            sales_of(s) == 1
        });
    }
    let run = server.post(
        "/admin/v1/settlement-runs",
        Some(&server.admin_key),
        &json!({"force": true}),
    );
    assert_eq!(run.status, 201, "{:?}", run.body);
    let theirs = server.get("/v1/vendors/me/payouts", Some(&news.key));
    assert_eq!(theirs.status, 200, "{:?}", theirs.body);
    let payouts = theirs.body["payouts"].as_array().unwrap();
    assert_eq!(payouts.len(), 1, "{:?}", theirs.body);
    let payout = payouts[0]["payout_id"].as_str().unwrap();
    let games_payout =
        server.get("/v1/vendors/me/payouts", Some(&games.key)).body["payouts"][0]["payout_id"]
            .as_str()
            .unwrap()
            .to_owned();

    vendor_admin(
        &server,
        &news,
        "money@news.example",
        &["vendor_office.read", "payouts.read", "sales.read"],
    );
    let mut http = Http::new(&server.base);
    assert_eq!(http.sign_in("money@news.example").status, 303);
    let page = http.get("/vendor-office/payouts");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!(r#"<tr data-payout="{payout}">"#))
    );
    assert!(
        !page.body.contains(&games_payout),
        "another vendor's payout"
    );
    let amount = payouts[0]["amount"].as_str().unwrap();
    assert!(page.body.contains(&format!("${amount}")), "{amount}");
    assert!(
        page.body
            .contains(payouts[0]["bank_account"].as_str().unwrap())
    );
    // The sales page names the settlement set up, as the summary does.
    let sales = http.get("/vendor-office/sales");
    assert!(sales.has("next-settlement"));
    assert!(sales.has("bank-account"), "{}", sales.body);
}

// ---------------------------------------------------------------------------------------------
// In the browser

#[test]
fn a_vendor_admin_signs_in_and_reads_the_disputes_of_their_sales() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("reader@example.com", "UTC", "5.00");
    let sale = buy(&server, &vendor, &member, "0.25", "/articles/coins");
    let filed = server.post(
        "/v1/members/me/disputes",
        Some(&member.session),
        &json!({"authorization_id": sale, "reason": "It never loaded"}),
    );
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    let id = filed.body["dispute_id"].as_str().unwrap().to_owned();
    let listed = read_until(&server, "/v1/vendors/me/disputes", &vendor.key, |d| {
        d["disputes"].as_array().unwrap().len() == 1
    });
    let member_ref = listed["disputes"][0]["member_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    vendor_admin(
        &server,
        &vendor,
        "clerk@news.example",
        &["vendor_office.read", "disputes.read"],
    );
    run(async {
        let browser = Browser::new().await;
        browser
            .goto(&format!("{}/vendor-office/login", server.base))
            .await;
        browser.fill("input#email", "clerk@news.example").await;
        browser.fill("input#password", PASSWORD).await;
        browser.click("button#sign-in").await;
        browser.wait_for("nav#nav").await;
        assert!(browser.text("#who").await.contains("clerk@news.example"));
        assert_eq!(browser.text("#vendor-name").await, "Daily News");
        assert!(!browser.exists("a#nav-sales").await);
        browser.click("a#nav-disputes").await;
        let row = format!("tr[data-dispute='{id}']");
        browser.wait_for(&row).await;
        assert_eq!(browser.text(&format!("{row} td.amount")).await, "$0.25");
        assert_eq!(browser.text(&format!("{row} td.member")).await, member_ref);
        assert!(
            browser
                .exists(&format!("{row} td.status[data-status='pending']"))
                .await
        );
        // The member's own words are theirs and the operators': not on the vendor's page.
        assert!(!browser.source().await.contains("It never loaded"));
        assert!(!browser.exists("form.decision").await);
        browser.screenshot("vendor-office-disputes").await;
        browser.close().await;
    });
}
