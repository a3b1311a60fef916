//! The operators' back-office pages (issue 13): an operator signs in on a page, decides the
//! disputes queue, approves a vendor that registered itself, looks a member up (personal data
//! masked unless granted, as on the JSON route), runs settlement and records a returned
//! payout, and sees only what their groups grant; a function not granted is neither shown nor
//! callable. Browser flows drive headless
//! Chromium through `browser_support` (a missing browser fails the test, never skips it); the
//! rest speaks plain HTTP with its own cookie jar: the CSRF check, the redirect to sign in,
//! the security headers, the languages and the shared sign-in throttle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod browser_support;
mod common;

use browser_support::{Browser, run};
use common::office::{Http, Page, urlencode};
use common::{Member, TestServer};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// The back office's home path; its sign-in page is below it.
const OFFICE: &str = "/back-office";
const DISPUTE_REASON: &str = "It never loaded";

// ---------------------------------------------------------------------------------------------
// Set-up through the API

/// Creates a security group of `functions` with the admin key; answers its id.
fn group(server: &TestServer, name: &str, functions: &[&str]) -> String {
    let created = server.post(
        "/admin/v1/security-groups",
        Some(&server.admin_key),
        &json!({"name": name, "functions": functions}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["security_group_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Creates an operator in a new group of `functions`; answers the operator's id.
fn operator(server: &TestServer, email: &str, functions: &[&str]) -> String {
    let group = group(server, &format!("Group of {email}"), functions);
    let created = server.post(
        "/admin/v1/operators",
        Some(&server.admin_key),
        &json!({"email": email, "password": PASSWORD, "security_group_ids": [group]}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["operator_id"].as_str().unwrap().to_owned()
}

/// A member who bought an article for $0.25 (of $5.00) and disputed it; no dispute rules are
/// set for USD, so it waits for an operator. Answers the member and the dispute's id, once the
/// queue shows it (vendors fold disputes a moment after the member's account).
fn pending_dispute(server: &TestServer, email: &str) -> (Member, String) {
    let vendor = server.vendor("news.example");
    let member = server.member(email, "UTC", "5.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.25", "/articles/coins");
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    let filed = server.post(
        "/v1/members/me/disputes",
        Some(&member.session),
        &json!({"authorization_id": bought.body["authorization_id"], "reason": DISPUTE_REASON}),
    );
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    assert_eq!(filed.body["status"], "pending");
    let id = filed.body["dispute_id"].as_str().unwrap().to_owned();
    wait_for_queue(server, &id);
    (member, id)
}

fn wait_for_queue(server: &TestServer, id: &str) {
    for _ in 0..200 {
        let queue = server.get("/admin/v1/disputes?status=pending", Some(&server.admin_key));
        assert_eq!(queue.status, 200, "{:?}", queue.body);
        if queue.body["disputes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|dispute| dispute["dispute_id"] == id)
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the queue never showed {id}");
}

/// The member's dispute `id` as they see it.
fn member_dispute(server: &TestServer, member: &Member, id: &str) -> Value {
    let mine = server.get("/v1/members/me/disputes", Some(&member.session));
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    mine.body["disputes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|dispute| dispute["dispute_id"] == id)
        .cloned()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// In the browser

/// Signs `email` in on the sign-in page and waits for the home page's menu.
async fn sign_in(browser: &Browser, server: &TestServer, email: &str) {
    let login = format!("{}{OFFICE}/login", server.base);
    browser.sign_in_office(&login, email, PASSWORD).await;
}

/// The selector of the queue's row of dispute `id`.
fn dispute_row(id: &str) -> String {
    format!("tr[data-dispute='{id}']")
}

#[test]
fn an_operator_approves_a_dispute_and_the_member_is_refunded() {
    let server = TestServer::start();
    let (member, id) = pending_dispute(&server, "reader@example.com");
    assert_eq!(server.balance(&member), "4.75");
    operator(
        &server,
        "clerk@msp.example",
        &["back_office.read", "disputes.read", "disputes.decide"],
    );
    run(async {
        let browser = Browser::new().await;
        sign_in(&browser, &server, "clerk@msp.example").await;
        browser.click("a#nav-disputes").await;
        let row = dispute_row(&id);
        browser.wait_for(&row).await;
        assert_eq!(browser.text(&format!("{row} td.amount")).await, "$0.25");
        assert_eq!(
            browser.text(&format!("{row} td.seller")).await,
            "Daily News"
        );
        assert_eq!(
            browser.text(&format!("{row} td.reason")).await,
            DISPUTE_REASON
        );
        assert!(browser.exists(&format!("{row} button.reject")).await);
        browser.screenshot("back-office-disputes").await;

        browser
            .fill(
                &format!("{row} input[name='reason']"),
                "Checked the access log",
            )
            .await;
        browser.click(&format!("{row} button.approve")).await;
        browser
            .wait_for("p#notice[data-code='dispute_approved']")
            .await;
        assert!(!browser.exists(&row).await, "decided: gone from the queue");
        assert!(browser.exists("p#disputes-empty").await);
        browser.close().await;
    });
    let decided = member_dispute(&server, &member, &id);
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decision_reason"], "Checked the access log");
    assert_eq!(server.balance(&member), "5.00", "refunded");
    server.totals_conserved();
    // The decision is in the audit trail with what it changed, without the CSRF token.
    let trail = server.get(
        "/admin/v1/audit?function=disputes.decide",
        Some(&server.admin_key),
    );
    let entries = trail.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{:?}", trail.body);
    assert_eq!(entries[0]["status"], 303);
    let change: Value = serde_json::from_str(entries[0]["change"].as_str().unwrap()).unwrap();
    assert_eq!(
        change,
        json!({"approve": "yes", "reason": "Checked the access log"})
    );
}

#[test]
fn an_operator_approves_a_vendor_that_registered_itself() {
    let server = TestServer::start();
    let registered = server.post(
        "/v1/vendor-registrations",
        None,
        &json!({"name": "Corner Shop", "currency": "USD", "content_domains": ["shop.example"]}),
    );
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let vendor = registered.body["vendor_id"].as_str().unwrap().to_owned();
    let key = registered.body["api_key"].as_str().unwrap().to_owned();
    let waiting = server.get("/v1/vendors/me/summary", Some(&key));
    assert_eq!(
        (waiting.status, waiting.code()),
        (403, "vendor_not_approved")
    );
    operator(
        &server,
        "vetting@msp.example",
        &["back_office.read", "vendors.read", "vendors.approve"],
    );
    run(async {
        let browser = Browser::new().await;
        sign_in(&browser, &server, "vetting@msp.example").await;
        browser.click("a#nav-vendors").await;
        let row = format!("tr[data-vendor='{vendor}']");
        browser
            .wait_for(&format!("{row} td.status[data-status='pending']"))
            .await;
        assert_eq!(browser.text(&format!("{row} td.name")).await, "Corner Shop");
        browser
            .fill(
                &format!("{row} input[name='reason']"),
                "Checked the company",
            )
            .await;
        browser
            .fill(&format!("{row} input[name='fee_ppm']"), "50000")
            .await;
        browser.click(&format!("{row} button.approve")).await;
        browser
            .wait_for("p#notice[data-code='vendor_approved']")
            .await;
        browser
            .wait_for(&format!("{row} td.status[data-status='approved']"))
            .await;
        assert!(
            !browser.exists(&format!("{row} form")).await,
            "decided once"
        );
        browser.close().await;
    });
    let approved = server.get("/admin/v1/vendors?status=approved", Some(&server.admin_key));
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert!(
        approved.body["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|listed| listed["vendor_id"] == vendor.as_str()),
        "{:?}",
        approved.body
    );
    assert_eq!(server.get("/v1/vendors/me/summary", Some(&key)).status, 200);
}

#[test]
fn a_group_without_decide_sees_the_queue_but_can_neither_see_nor_use_the_buttons() {
    let server = TestServer::start();
    let (member, id) = pending_dispute(&server, "watcher@example.com");
    operator(
        &server,
        "reader@msp.example",
        &["back_office.read", "disputes.read"],
    );
    run(async {
        let browser = Browser::new().await;
        sign_in(&browser, &server, "reader@msp.example").await;
        // The menu shows only the pages the groups grant.
        assert!(browser.exists("a#nav-home").await);
        assert!(browser.exists("a#nav-disputes").await);
        for absent in ["a#nav-security-groups", "a#nav-audit", "a#nav-vendors"] {
            assert!(!browser.exists(absent).await, "{absent}");
        }
        browser.click("a#nav-disputes").await;
        let row = dispute_row(&id);
        browser.wait_for(&row).await;
        for absent in [
            "form.decision",
            "button.approve",
            "button.reject",
            "input[name='reason']",
        ] {
            assert!(!browser.exists(absent).await, "{absent} is shown");
        }
        // Posting the decision anyway, with the browser's cookies and a valid CSRF token
        // (the sign-out form carries one), is refused.
        let csrf = browser.value("form#sign-out input[name='csrf']").await;
        let cookies = browser
            .client()
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
            .collect::<Vec<_>>()
            .join("; ");
        assert!(cookies.contains("farthing_back_office="), "{cookies}");
        let base = server.base.clone();
        let id = id.clone();
        let refused = tokio::task::spawn_blocking(move || {
            let body = format!("approve=yes&reason=Sneaking+in&csrf={csrf}");
            let path = format!("/back-office/disputes/{id}/decision");
            Http::new(&base).send("POST", &path, &cookies, Some(&body))
        })
        .await
        .unwrap();
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains(r#"data-code="function_not_granted""#));
        // A page not granted, opened by its address: an error page, not the page.
        browser
            .goto(&format!("{}/back-office/audit", server.base))
            .await;
        browser
            .wait_for("main#error[data-code='function_not_granted']")
            .await;
        assert!(!browser.exists("table#audit").await);
        browser.close().await;
    });
    assert_eq!(member_dispute(&server, &member, &id)["status"], "pending");
    assert_eq!(server.balance(&member), "4.75");
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP

#[test]
fn a_request_without_an_operators_session_is_sent_to_sign_in() {
    let server = TestServer::start();
    let member = server.member("someone@example.com", "UTC", "0");
    let http = Http::new(&server.base);
    let admin_key = format!("farthing_back_office={}", server.admin_key);
    let member_session = format!("farthing_back_office={}", member.session);
    let cases = [
        ("", "no cookie"),
        ("farthing_back_office=garbage", "a token nobody sealed"),
        (
            admin_key.as_str(),
            "the admin key is never read from a cookie",
        ),
        (
            member_session.as_str(),
            "a member's session is no operator's",
        ),
    ];
    for (cookies, why) in cases {
        for (method, path) in [
            ("GET", "/back-office"),
            ("GET", "/back-office/disputes"),
            ("POST", "/back-office/security-groups"),
        ] {
            let body = (method == "POST").then_some("name=x");
            let page = http.send(method, path, cookies, body);
            assert_eq!(page.status, 303, "{method} {path}: {why}");
            assert_eq!(page.header("location"), Some("/back-office/login"), "{why}");
            // A stale cookie is cleared on the way.
            let cleared = page
                .set_cookies()
                .iter()
                .any(|c| c.starts_with("farthing_back_office=;") && c.contains("Max-Age=0"));
            assert_eq!(cleared, !cookies.is_empty(), "{why}");
        }
    }
    // The reader's language choice goes along.
    let page = http.send("GET", "/back-office/audit?lang=ja", "", None);
    assert_eq!(page.header("location"), Some("/back-office/login?lang=ja"));
    // A script (no text/html in Accept) gets the API's problem instead.
    let script = server.get("/back-office/disputes", None);
    assert_eq!((script.status, script.code()), (401, "unauthenticated"));
    // An operator's session works as a bearer too, and then as the cookie.
    operator(&server, "ops@msp.example", &["back_office.read"]);
    let token = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "ops@msp.example", "password": PASSWORD}),
    );
    let token = token.body["session_token"].as_str().unwrap();
    let home = http.send(
        "GET",
        "/back-office",
        &format!("farthing_back_office={token}"),
        None,
    );
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("ops@msp.example"));
    // ... but the cookie opens no JSON route: those take a bearer alone.
    let api = http.send(
        "GET",
        "/admin/v1/security-groups",
        &format!("farthing_back_office={token}"),
        None,
    );
    assert_eq!(api.status, 401);
}

#[test]
fn a_form_without_its_csrf_token_is_refused() {
    let server = TestServer::start();
    let (member, id) = pending_dispute(&server, "csrf@example.com");
    operator(
        &server,
        "clerk@msp.example",
        &["back_office.read", "disputes.read", "disputes.decide"],
    );
    let mut http = Http::new(&server.base);
    // The sign-in form itself: without the token, or without the CSRF cookie it is made from.
    let form = http.get("/back-office/login");
    let token = form.csrf();
    let bare = format!("email=clerk%40msp.example&password={}", urlencode(PASSWORD));
    let refused = http.post("/back-office/login", &bare);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains(r#"data-code="csrf_failed""#));
    let cookieless = http.send(
        "POST",
        "/back-office/login",
        "",
        Some(&format!("{bare}&csrf={token}")),
    );
    assert_eq!(cookieless.status, 403);
    assert!(!http.jar.contains_key("farthing_back_office"));

    // Signed in: the cookie is HttpOnly, Strict, scoped to the back office, for the TTL.
    let signed_in = http.sign_in(OFFICE, "clerk@msp.example", PASSWORD);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.header("location"), Some("/back-office"));
    let cookie = signed_in
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("farthing_back_office="))
        .unwrap()
        .to_owned();
    for attribute in [
        "; Path=/back-office",
        "; HttpOnly",
        "; SameSite=Strict",
        "; Max-Age=28800",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    // A decision without the token, with another browser's token, or with the cookie's raw
    // value is refused and changes nothing.
    let queue = http.get("/back-office/disputes");
    assert_eq!(queue.status, 200, "{}", queue.body);
    let token = queue.csrf();
    let csrf_id = http.jar["farthing_csrf"].clone();
    let decision = format!("/back-office/disputes/{id}/decision");
    let other_browser = Http::new(&server.base).send("GET", "/back-office/login", "", None);
    for body in [
        "approve=yes&reason=Forged".to_owned(),
        format!("approve=yes&reason=Forged&csrf={}", other_browser.csrf()),
        format!("approve=yes&reason=Forged&csrf={csrf_id}"),
    ] {
        let refused = http.post(&decision, &body);
        assert_eq!(refused.status, 403, "{body}");
        assert!(
            refused.body.contains(r#"data-code="csrf_failed""#),
            "{body}"
        );
    }
    assert_eq!(member_dispute(&server, &member, &id)["status"], "pending");
    // Sign-out checks it too.
    assert_eq!(http.post("/back-office/logout", "").status, 403);

    // One step away: the page's own token decides it.
    let empty_reason = http.post(&decision, &format!("approve=no&reason=+&csrf={token}"));
    assert_eq!(empty_reason.status, 400);
    assert!(empty_reason.body.contains(r#"id="form-error""#));
    let decided = http.post(
        &decision,
        &format!("approve=no&reason=Read+it&csrf={token}"),
    );
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert_eq!(
        decided.header("location"),
        Some("/back-office/disputes?done=dispute_rejected")
    );
    assert_eq!(member_dispute(&server, &member, &id)["status"], "rejected");
    let again = http.post(&decision, &format!("approve=yes&reason=Again&csrf={token}"));
    assert_eq!(again.status, 409);
    assert!(
        again
            .body
            .contains(r#"data-code="dispute_decided_already""#)
    );

    // Signing out clears the cookie; the pages then ask to sign in.
    let out = http.post("/back-office/logout", &format!("csrf={token}"));
    assert_eq!(out.status, 303);
    assert!(!http.jar.contains_key("farthing_back_office"));
    assert_eq!(http.get("/back-office/disputes").status, 303);
}

#[test]
fn every_page_carries_the_security_headers() {
    let server = TestServer::start();
    operator(
        &server,
        "all@msp.example",
        &[
            "back_office.read",
            "disputes.read",
            "security_groups.read",
            "security_groups.create",
            "audit.read",
            "vendors.read",
            "members.read",
            "settlement_runs.read",
            "payouts.read",
        ],
    );
    let mut http = Http::new(&server.base);
    let signed_in = http.sign_in(OFFICE, "all@msp.example", PASSWORD);
    assert_eq!(signed_in.status, 303);
    let mut checked = 0;
    for path in [
        "/back-office/login",
        "/back-office",
        "/back-office/disputes",
        "/back-office/security-groups",
        "/back-office/audit",
        "/back-office/vendors",
        "/back-office/members",
        "/back-office/members?member=nobody%40example.com",
        "/back-office/settlement",
        "/back-office/nothing-here",
        "/back-office/audit?actor=nobody",
    ] {
        let page = http.get(path);
        assert!(
            [200, 400, 404].contains(&page.status),
            "{path}: {}",
            page.status
        );
        let csp = page.header("content-security-policy").unwrap_or("");
        for directive in [
            "default-src 'none'",
            "script-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "style-src 'sha256-",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp}");
        }
        for (name, value) in [
            ("content-type", "text/html; charset=utf-8"),
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(page.header(name), Some(value), "{path}");
        }
        assert!(page.body.starts_with("<!DOCTYPE html>"), "{path}");
        checked += 1;
    }
    assert_eq!(checked, 11);
    // A malformed actor is the filter again with its error; no list.
    let page = http.get("/back-office/audit?actor=nobody");
    assert_eq!(page.status, 400);
    assert!(page.body.contains(r#"id="form-error""#));
    // The group form offers exactly the functions held, and creates from them.
    let groups = http.get("/back-office/security-groups");
    assert!(groups.body.contains(r#"value="audit.read""#));
    assert!(!groups.body.contains(r#"value="disputes.decide""#));
    let token = groups.csrf();
    let created = http.post(
        "/back-office/security-groups",
        &format!("name=Readers&function=audit.read&function=disputes.read&csrf={token}"),
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let forged = http.post(
        "/back-office/security-groups",
        &format!("name=Deciders&function=disputes.decide&csrf={token}"),
    );
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains(r#"data-code="function_not_held""#));
    let listed = server.get("/admin/v1/security-groups", Some(&server.admin_key));
    let readers = listed.body["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "Readers")
        .cloned()
        .unwrap();
    assert_eq!(readers["functions"], json!(["audit.read", "disputes.read"]));
}

#[test]
fn the_pages_speak_the_readers_language() {
    let server = TestServer::start();
    for (accept, lang, heading) in [
        ("ja,en;q=0.5", "ja", "担当者ログイン"),
        ("pt-BR,pt;q=0.9", "pt-BR", "Entrada de operador"),
        ("de", "en", "Operator sign-in"),
    ] {
        let mut http = Http::new(&server.base);
        http.extra
            .push(("Accept-Language".to_owned(), accept.to_owned()));
        let page = http.get("/back-office/login");
        assert!(
            page.body.contains(&format!(r#"<html lang="{lang}">"#)),
            "{accept}"
        );
        assert!(page.body.contains(heading), "{accept}");
    }
    let page = Http::new(&server.base).get("/back-office/login?lang=ja");
    assert!(page.body.contains(r#"action="/back-office/login?lang=ja""#));
}

#[test]
fn the_page_and_the_api_share_one_sign_in_throttle() {
    let server = TestServer::start();
    operator(&server, "guessed@msp.example", &["back_office.read"]);
    let mut http = Http::new(&server.base);
    let form = http.get("/back-office/login");
    let token = form.csrf();
    for _ in 0..10 {
        let wrong = http.post(
            "/back-office/login",
            &format!("email=guessed%40msp.example&password=wrong+password&csrf={token}"),
        );
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains(r#"id="login-error""#));
    }
    let api = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "guessed@msp.example", "password": PASSWORD}),
    );
    assert_eq!((api.status, api.code()), (429, "too_many_attempts"));
    let page = http.post(
        "/back-office/login",
        &format!(
            "email=guessed%40msp.example&password={}&csrf={token}",
            urlencode(PASSWORD)
        ),
    );
    assert_eq!(page.status, 429);
    assert!(page.body.contains(r#"data-code="too_many_attempts""#));
    assert!(page.header("retry-after").is_some());
}

// ---------------------------------------------------------------------------------------------
// Members and settlement

/// Signs `email` in on the page; answers the browser.
fn signed_in(server: &TestServer, email: &str) -> Http {
    let mut http = Http::new(&server.base);
    let signed_in = http.sign_in(OFFICE, email, PASSWORD);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    http
}

/// An operator's API session token.
fn api_session(server: &TestServer, email: &str) -> String {
    let session = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    assert_eq!(session.status, 201, "{:?}", session.body);
    session.body["session_token"].as_str().unwrap().to_owned()
}

/// The text of the element with `id` (up to its first closing tag).
fn text_of<'p>(page: &'p Page, id: &str) -> &'p str {
    let marker = format!(r#"id="{id}""#);
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &page.body[start..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    &rest[..rest.find("</").unwrap()]
}

#[test]
fn the_member_page_masks_personal_data_unless_granted_as_the_json_route_does() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("reader@example.com", "UTC", "5.00");
    let card = server.post(
        "/v1/members/me/payment-methods",
        Some(&member.session),
        &json!({"kind": "card", "number": "4242424242424242", "exp_month": 12,
                "exp_year": 2040, "cvc": "123"}),
    );
    assert_eq!(card.status, 201, "{:?}", card.body);
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.25", "/articles/coins");
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    let authorization = bought.body["authorization_id"].as_str().unwrap();
    operator(
        &server,
        "clerk@msp.example",
        &["back_office.read", "members.read"],
    );
    operator(
        &server,
        "privacy@msp.example",
        &[
            "back_office.read",
            "members.read",
            "members.personal_data.read",
        ],
    );
    // The function is listed and grantable though it is no route.
    let functions = server.get("/admin/v1/functions", Some(&server.admin_key));
    assert!(
        functions.body["functions"]
            .as_array()
            .unwrap()
            .contains(&json!("members.personal_data.read")),
        "{:?}",
        functions.body
    );

    // Without it: the e-mail and the card's digits are masked, the rest is shown.
    let mut clerk = signed_in(&server, "clerk@msp.example");
    let page = clerk.get("/back-office/members?member=Reader%40Example.com");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!(r#"data-member="{}""#, member.id))
    );
    assert_eq!(text_of(&page, "member-email"), "r***@example.com");
    assert!(!page.body.contains("reader@example.com"), "{}", page.body);
    assert!(page.body.contains(r#"id="personal-data-masked""#));
    assert!(page.body.contains(r#"<td class="last4">****</td>"#));
    assert!(!page.body.contains("4242"));
    assert!(page.body.contains(r#"<td class="paid num">4.75</td>"#));
    assert!(
        page.body
            .contains(&format!(r#"data-authorization="{authorization}""#))
    );
    // The JSON route masks the same way for the same operator.
    let clerk_token = api_session(&server, "clerk@msp.example");
    let path = format!("/admin/v1/members/{}", member.id);
    let json_masked = server.get(&path, Some(&clerk_token));
    assert_eq!(json_masked.status, 200, "{:?}", json_masked.body);
    assert_eq!(json_masked.body["payment_methods"][0]["last4"], "****");
    assert_eq!(json_masked.body["payment_methods"][0]["brand"], "visa");
    assert_eq!(json_masked.body["wallets"][0]["paid"], "4.75");
    assert_eq!(json_masked.body["email"], "r***@example.com");

    // With it: shown as it is, on both doors (and to the admin key, which holds every
    // function).
    let mut privacy = signed_in(&server, "privacy@msp.example");
    let page = privacy.get("/back-office/members?member=reader%40example.com");
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(text_of(&page, "member-email"), "reader@example.com");
    assert!(!page.body.contains(r#"id="personal-data-masked""#));
    assert!(page.body.contains(r#"<td class="last4">4242</td>"#));
    let privacy_token = api_session(&server, "privacy@msp.example");
    for token in [privacy_token.as_str(), server.admin_key.as_str()] {
        let shown = server.get(&path, Some(token));
        assert_eq!(shown.body["payment_methods"][0]["last4"], "4242");
        assert_eq!(shown.body["email"], "reader@example.com");
    }

    // By id: the account's own e-mail, masked the same; unknown and malformed lookups are
    // the form again with their error.
    let page = clerk.get(&format!("/back-office/members?member={}", member.id));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!(r#"data-member="{}""#, member.id))
    );
    assert_eq!(text_of(&page, "member-email"), "r***@example.com");
    for (lookup, status) in [
        ("nobody%40example.com", 404),
        ("acct_00000000000000ff", 404),
        ("not-a-member", 400),
    ] {
        let page = clerk.get(&format!("/back-office/members?member={lookup}"));
        assert_eq!(page.status, status, "{lookup}: {}", page.body);
        assert!(page.body.contains(r#"id="form-error""#), "{lookup}");
        assert!(!page.body.contains("data-member="), "{lookup}");
    }
    // The empty form.
    let form = clerk.get("/back-office/members");
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"id="member-lookup""#));
}

/// Polls the vendor's summary until its ledger shows `sales` (vendors fold sales a moment
/// after the member's debit).
fn wait_for_sales(server: &TestServer, vendor: &common::Vendor, sales: u64) {
    for _ in 0..200 {
        let reply = server.get("/v1/vendors/me/summary", Some(&vendor.key));
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        if reply.body["currencies"][0]["sales"] == json!(sales) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the vendor never showed {sales} sales");
}

#[test]
fn a_forced_run_started_and_a_payout_returned_on_the_settlement_page() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let set = server.put(
        &format!("/admin/v1/vendors/{}/settlement", vendor.id),
        Some(&server.admin_key),
        &json!({"threshold": "100.00", "schedule": {"kind": "weekly", "day": 1}, "minimum": "0",
                "bank_account": {"iban": "DE89370400440532013000", "bic": "DEUTDEFF",
                                 "name": "Daily News"}}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    let member = server.member("buyer@example.com", "UTC", "5.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "1.00", "/articles/coins");
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    wait_for_sales(&server, &vendor, 1);
    operator(
        &server,
        "payer@msp.example",
        &[
            "back_office.read",
            "settlement_runs.read",
            "settlement_runs.create",
            "payouts.read",
            "payouts.return",
        ],
    );
    let mut http = signed_in(&server, "payer@msp.example");
    let home = http.get("/back-office");
    assert!(home.body.contains(r#"id="nav-settlement""#));
    let before = http.get("/back-office/settlement");
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(before.body.contains(r#"id="runs-empty""#));
    assert!(before.body.contains(r#"id="payouts-empty""#));
    assert!(before.body.contains(r#"id="start-run""#));
    let token = before.csrf();

    // Without the token, nothing runs; with it, a forced run pays the vendor under its
    // threshold.
    assert_eq!(http.post("/back-office/settlement-runs", "").status, 403);
    // The form names the run it asks for; a post without it runs nothing.
    let unnamed = http.post("/back-office/settlement-runs", &format!("csrf={token}"));
    assert_eq!(unnamed.status, 400, "{}", unnamed.body);
    let ran = http.post(
        "/back-office/settlement-runs",
        &format!("force=yes&csrf={token}"),
    );
    assert_eq!(ran.status, 303, "{}", ran.body);
    assert_eq!(
        ran.header("location"),
        Some("/back-office/settlement?done=settlement_run_started")
    );
    let payouts = server.get("/admin/v1/payouts", Some(&server.admin_key));
    assert_eq!(payouts.status, 200, "{:?}", payouts.body);
    let listed = payouts.body["payouts"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{:?}", payouts.body);
    assert_eq!(listed[0]["payee"], vendor.id.as_str());
    assert_eq!(listed[0]["amount"], "0.95");
    let payout = listed[0]["payout_id"].as_str().unwrap().to_owned();
    let run = listed[0]["run_id"].as_str().unwrap().to_owned();
    let after = http.get("/back-office/settlement?done=settlement_run_started");
    assert_eq!(after.status, 200, "{}", after.body);
    assert!(after.body.contains(r#"data-code="settlement_run_started""#));
    assert!(after.body.contains(&format!(r#"data-run="{run}""#)));
    assert!(after.body.contains(r#"data-forced="true""#));
    assert!(
        after
            .body
            .contains(&format!(r#"<li data-payout="{payout}">"#))
    );
    assert!(after.body.contains(&format!(r#"data-payout="{payout}""#)));
    assert!(
        after
            .body
            .contains(&format!(r#"data-payee="{}""#, vendor.id))
    );
    assert!(after.body.contains("Daily News"));
    assert!(after.body.contains("$0.95"));
    assert!(after.body.contains("DE** "), "the bank account masked");
    let action = format!("/back-office/payouts/{payout}/return");
    assert!(after.body.contains(&format!(r#"action="{action}""#)));

    // The return: a missing reason is the page again; a reason records it, once.
    let empty = http.post(&action, &format!("reason=+&csrf={token}"));
    assert_eq!(empty.status, 400, "{}", empty.body);
    assert!(empty.body.contains(r#"id="form-error""#));
    let returned = http.post(&action, &format!("reason=AC04+closed+account&csrf={token}"));
    assert_eq!(returned.status, 303, "{}", returned.body);
    assert_eq!(
        returned.header("location"),
        Some("/back-office/settlement?done=payout_returned")
    );
    let listed = server.get("/admin/v1/payouts", Some(&server.admin_key));
    assert_eq!(
        listed.body["payouts"][0]["returned"]["reason"],
        "AC04 closed account"
    );
    let page = http.get("/back-office/settlement");
    assert!(page.body.contains("AC04 closed account"));
    assert!(
        !page.body.contains(&format!(r#"action="{action}""#)),
        "returned once"
    );
    let again = http.post(&action, &format!("reason=Again&csrf={token}"));
    assert_eq!(again.status, 409);
    assert!(
        again
            .body
            .contains(r#"data-code="payout_returned_already""#)
    );
    server.totals_conserved();
}

#[test]
fn a_page_without_its_function_is_refused_and_its_link_hidden() {
    let server = TestServer::start();
    operator(
        &server,
        "members@msp.example",
        &["back_office.read", "members.read"],
    );
    operator(
        &server,
        "runs@msp.example",
        &["back_office.read", "settlement_runs.read"],
    );
    let mut members = signed_in(&server, "members@msp.example");
    let home = members.get("/back-office");
    assert!(home.body.contains(r#"id="nav-members""#));
    assert!(!home.body.contains(r#"id="nav-settlement""#));
    let refused = members.get("/back-office/settlement");
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains(r#"data-code="function_not_granted""#));
    assert!(!refused.body.contains(r#"id="runs""#));

    let mut runs = signed_in(&server, "runs@msp.example");
    let home = runs.get("/back-office");
    assert!(home.body.contains(r#"id="nav-settlement""#));
    assert!(!home.body.contains(r#"id="nav-members""#));
    let refused = runs.get("/back-office/members?member=someone%40example.com");
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains(r#"data-code="function_not_granted""#));
    // The settlement page without the other functions: no run form, no payouts list; the
    // form posted anyway with a valid token is refused and runs nothing.
    let page = runs.get("/back-office/settlement");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains(r#"id="start-run""#));
    assert!(!page.body.contains(r#"id="payouts""#));
    assert!(!page.body.contains(r#"id="payouts-empty""#));
    let token = page.csrf();
    let forged = runs.post(
        "/back-office/settlement-runs",
        &format!("force=yes&csrf={token}"),
    );
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains(r#"data-code="function_not_granted""#));
    assert!(
        runs.get("/back-office/settlement")
            .body
            .contains(r#"id="runs-empty""#)
    );
}

#[test]
fn a_four_eyes_settlement_run_is_refused_on_the_page() {
    let server = TestServer::start_with(
        |config| config.admin.four_eyes_functions = vec!["settlement_runs.create".to_owned()],
        Box::new(farthing::storage::fjall_store::SyncData),
    );
    // A bearer skips the page's CSRF check, so only the four-eyes rule can refuse it.
    let on_page = server.request(
        "POST",
        "/back-office/settlement-runs",
        Some(&server.admin_key),
        Some(""),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    assert_eq!(
        (on_page.status, on_page.code()),
        (403, "four_eyes_through_api")
    );
    let runs = server.get("/admin/v1/payouts", Some(&server.admin_key));
    assert_eq!(runs.body["payouts"], json!([]));
}

// ---------------------------------------------------------------------------------------------
// A vendor's fee and settlement settings

/// The vendor's own summary.
fn vendor_summary(server: &TestServer, vendor: &common::Vendor) -> Value {
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(summary.status, 200, "{:?}", summary.body);
    summary.body
}

/// A settlement form's body: weekly on Mondays, `iban` as given.
fn settlement_form(iban: &str, day: &str, token: &str) -> String {
    format!(
        "threshold=100.00&minimum=0&schedule_kind=weekly&schedule_day={day}&iban={}\
         &bic=DEUTDEFF&account_name=Daily+News&csrf={token}",
        urlencode(iban)
    )
}

#[test]
fn an_operator_sets_a_vendors_fee_and_settlement_on_the_vendors_page() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    operator(
        &server,
        "terms@msp.example",
        &[
            "back_office.read",
            "vendors.read",
            "fees.update",
            "settlement_settings.update",
        ],
    );
    let mut http = signed_in(&server, "terms@msp.example");
    let page = http.get("/back-office/vendors");
    assert_eq!(page.status, 200, "{}", page.body);
    let fee_action = format!("/back-office/vendors/{}/fee-schedule", vendor.id);
    let settlement_action = format!("/back-office/vendors/{}/settlement", vendor.id);
    assert!(page.body.contains(&format!(r#"action="{fee_action}""#)));
    assert!(
        page.body
            .contains(&format!(r#"action="{settlement_action}""#))
    );
    let token = page.csrf();
    let before = vendor_summary(&server, &vendor);

    // The fee: without the token, refused and unchanged; a rate out of range or not a number
    // is the page again with its error; a rate sets a one-tier monthly schedule, as the JSON
    // route would.
    let forged = http.post(&fee_action, "rate_ppm=30000");
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains(r#"data-code="csrf_failed""#));
    for rate in ["2000000", "five", "-1", ""] {
        let refused = http.post(&fee_action, &format!("rate_ppm={rate}&csrf={token}"));
        assert_eq!(refused.status, 400, "{rate}: {}", refused.body);
        assert!(refused.body.contains(r#"id="form-error""#), "{rate}");
    }
    assert_eq!(
        vendor_summary(&server, &vendor)["fee_schedule"],
        before["fee_schedule"]
    );
    let set = http.post(&fee_action, &format!("rate_ppm=30000&csrf={token}"));
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(
        set.header("location"),
        Some("/back-office/vendors?done=vendor_fee_set")
    );
    let fee_schedule = &vendor_summary(&server, &vendor)["fee_schedule"];
    assert_eq!(fee_schedule["period"], "month", "{fee_schedule:?}");
    let tiers = fee_schedule["tiers"].as_array().unwrap();
    assert_eq!(tiers.len(), 1, "{fee_schedule:?}");
    assert_eq!(tiers[0]["rate_ppm"], 30000);
    let notice = http.get("/back-office/vendors?done=vendor_fee_set");
    assert!(notice.body.contains(r#"data-code="vendor_fee_set""#));

    // The settlement settings: without the token, refused; a bad field is the page again,
    // never showing the IBAN typed; good fields show in the vendor's summary, bank masked.
    let iban = "DE89370400440532013000";
    let forged = http.post(&settlement_action, &settlement_form(iban, "1", ""));
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains(r#"data-code="csrf_failed""#));
    let bad_iban = "DE00370400440532013999";
    for (body, why) in [
        (settlement_form(bad_iban, "1", &token), "a bad IBAN"),
        (settlement_form(iban, "9", &token), "no ninth weekday"),
        (
            settlement_form(iban, "x", &token),
            "a day that is no number",
        ),
        (
            settlement_form(iban, "1", &token).replace("threshold=100.00", "threshold=1.0.0"),
            "a threshold that is no amount",
        ),
    ] {
        let refused = http.post(&settlement_action, &body);
        assert_eq!(refused.status, 400, "{why}: {}", refused.body);
        assert!(refused.body.contains(r#"id="form-error""#), "{why}");
        assert!(!refused.body.contains(bad_iban), "{why}: the IBAN echoed");
        assert!(!refused.body.contains(iban), "{why}: the IBAN echoed");
        assert!(!refused.body.contains("DEUTDEFF"), "{why}: the BIC echoed");
    }
    assert!(vendor_summary(&server, &vendor)["settlement"].is_null());
    let set = http.post(&settlement_action, &settlement_form(iban, "1", &token));
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(
        set.header("location"),
        Some("/back-office/vendors?done=vendor_settlement_set")
    );
    let settlement = &vendor_summary(&server, &vendor)["settlement"];
    assert_eq!(settlement["threshold"], "100.00", "{settlement:?}");
    assert_eq!(settlement["minimum"], "0.00", "{settlement:?}");
    assert_eq!(
        settlement["schedule"],
        json!({"kind": "weekly", "day": 1}),
        "{settlement:?}"
    );
    let masked = settlement["bank_account"].as_str().unwrap();
    assert!(masked.starts_with("DE**"), "{masked}");
    assert!(!masked.contains(&iban[4..iban.len() - 4]), "{masked}");
    let after = http.get("/back-office/vendors?done=vendor_settlement_set");
    assert!(after.body.contains(r#"data-code="vendor_settlement_set""#));
    assert!(!after.body.contains(iban));
    // The audit trail keeps the form's bank details redacted.
    let audit = server.get("/admin/v1/audit", Some(&server.admin_key));
    assert_eq!(audit.status, 200, "{:?}", audit.body);
    assert!(!audit.body.to_string().contains(iban));
    let settings: Vec<&str> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["function"] == "settlement_settings.update")
        .filter_map(|entry| entry["change"].as_str())
        .filter(|change| change.contains("account_name"))
        .collect();
    assert!(!settings.is_empty(), "{:?}", audit.body);
    for change in settings {
        assert!(
            !change.contains("Daily News"),
            "the holder's name: {change}"
        );
        assert!(
            change.contains(r#""account_name":"[redacted]""#),
            "{change}"
        );
    }
}

#[test]
fn the_fee_and_settlement_forms_are_hidden_and_refused_without_their_functions() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    operator(
        &server,
        "reader@msp.example",
        &["back_office.read", "vendors.read"],
    );
    operator(
        &server,
        "fees@msp.example",
        &["back_office.read", "vendors.read", "fees.update"],
    );
    operator(
        &server,
        "payouts@msp.example",
        &[
            "back_office.read",
            "vendors.read",
            "settlement_settings.update",
        ],
    );
    let fee_action = format!("/back-office/vendors/{}/fee-schedule", vendor.id);
    let settlement_action = format!("/back-office/vendors/{}/settlement", vendor.id);
    let before = vendor_summary(&server, &vendor);
    for (email, fee, settlement) in [
        ("reader@msp.example", false, false),
        ("fees@msp.example", true, false),
        ("payouts@msp.example", false, true),
    ] {
        let mut http = signed_in(&server, email);
        let page = http.get("/back-office/vendors");
        assert_eq!(page.status, 200, "{email}: {}", page.body);
        assert!(
            page.body
                .contains(&format!(r#"data-vendor="{}""#, vendor.id))
        );
        let has = |action: &str| page.body.contains(&format!(r#"action="{action}""#));
        assert_eq!(has(&fee_action), fee, "{email}");
        assert_eq!(has(&settlement_action), settlement, "{email}");
        assert_eq!(page.body.contains(r#"name="iban""#), settlement, "{email}");
        // Posted anyway with the page's own token: refused, nothing changed.
        let token = page.csrf();
        if !fee {
            let refused = http.post(&fee_action, &format!("rate_ppm=1&csrf={token}"));
            assert_eq!(refused.status, 403, "{email}");
            assert!(refused.body.contains(r#"data-code="function_not_granted""#));
        }
        if !settlement {
            let refused = http.post(
                &settlement_action,
                &settlement_form("DE89370400440532013000", "1", &token),
            );
            assert_eq!(refused.status, 403, "{email}");
            assert!(refused.body.contains(r#"data-code="function_not_granted""#));
        }
    }
    let after = vendor_summary(&server, &vendor);
    assert_eq!(after["fee_schedule"], before["fee_schedule"]);
    assert_eq!(after["settlement"], before["settlement"]);
}
