//! The vendor office (issue 13, [0149]): a vendor admin signs in on a page and works their
//! vendor's sales, disputes, payouts, API keys and incentive programs, seeing only what their
//! functions grant and only their own vendor. Most tests speak plain HTTP with their own cookie
//! jar (the cookie, the CSRF check, the menu, the refusals, the figures, the key rotation); one
//! drives headless Chromium through `browser_support` (a missing browser fails it, never skips
//! it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod browser_support;
mod common;

use browser_support::{Browser, run};
use common::office::{Http, urlencode};
use common::{TestServer, Vendor, buy, read_until, sales_of, vendor_named};
use serde_json::json;

const PASSWORD: &str = "vendor staff password";
/// The vendor office's home path; its sign-in page is below it.
const OFFICE: &str = "/vendor-office";

// ---------------------------------------------------------------------------------------------
// Set-up through the API

/// Gives `email` a login to `vendor`'s office with `functions`, through the vendor's key.
fn vendor_admin(server: &TestServer, vendor: &Vendor, email: &str, functions: &[&str]) {
    let created = server.post(
        "/v1/vendors/me/admins",
        Some(&vendor.key),
        &json!({"email": email, "password": PASSWORD, "functions": functions}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP

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
    let signed_in = http.sign_in(OFFICE, "chief@news.example", PASSWORD);
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
    assert_eq!(
        http.sign_in(OFFICE, "clerk@news.example", PASSWORD).status,
        303
    );
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
    assert_eq!(
        other
            .sign_in(OFFICE, "reader@news.example", PASSWORD)
            .status,
        303
    );
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
        assert_eq!(http.sign_in(OFFICE, email, PASSWORD).status, 303);
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

    assert_eq!(
        http.sign_in(OFFICE, "keys@news.example", PASSWORD).status,
        303
    );
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
    assert_eq!(
        http.sign_in(OFFICE, "keys@news.example", PASSWORD).status,
        303
    );
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
    assert_eq!(
        http.sign_in(OFFICE, "money@news.example", PASSWORD).status,
        303
    );
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
        let login = format!("{}{OFFICE}/login", server.base);
        browser
            .sign_in_office(&login, "clerk@news.example", PASSWORD)
            .await;
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
