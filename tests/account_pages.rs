//! The member's account pages (issue 14): a member signs in at `/account` with the buy
//! window's session cookie and manages their account on pages that run the API's own code:
//! the summary, funds, limits, sub-members, freeze and unfreeze behind step-up. A sub-member
//! sees and may post only what any login may. Most tests speak plain HTTP with their own
//! cookie jar; two drive headless Chromium through `browser_support` (a missing browser fails
//! them, never skips them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod browser_support;
mod common;

use browser_support::{Browser, run};
use common::office::{Http, Page, urlencode};
use common::{Member, TestServer, Vendor, buy, vendor_named};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
/// The account pages' home path; the sign-in page is below it.
const OFFICE: &str = "/account";

// ---------------------------------------------------------------------------------------------
// Set-up through the API

/// Registers a holder with two security questions ("Rex", "Elm") and signs them in through
/// the API.
fn member_with_questions(server: &TestServer, email: &str) -> Member {
    let reply = server.post(
        "/v1/members",
        None,
        &json!({"email": email, "password": PASSWORD, "language": "en", "currency": "USD",
                "security_questions": [
                    {"question": "First pet?", "answer": "Rex"},
                    {"question": "First street?", "answer": "Elm"}]}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    Member {
        id: reply.body["member_id"].as_str().unwrap().to_owned(),
        email: email.to_owned(),
        session: server.sign_in(email, "absolute"),
    }
}

/// The right answer to the question a page asks.
fn answer_on(page: &str) -> &'static str {
    if page.contains("First pet?") {
        "rex"
    } else if page.contains("First street?") {
        "  ELM "
    } else {
        panic!("no question asked on\n{page}")
    }
}

/// The account as the API shows it to `session`.
fn me(server: &TestServer, session: &str) -> Value {
    let reply = server.get("/v1/members/me", Some(session));
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

/// Signs `email` in on the account pages; the session token the cookie holds.
fn signed_in(server: &TestServer, email: &str) -> (Http, String) {
    let mut http = Http::new(&server.base);
    let answer = http.sign_in(OFFICE, email, PASSWORD);
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/account"));
    let token = http.jar["farthing_session"].clone();
    (http, token)
}

/// Answers the question `asked` shows in place of the form that posts to `action`; the
/// answer's page.
fn answer(http: &mut Http, asked: &Page, action: &str) -> Page {
    assert_eq!(asked.status, 403, "{}", asked.body);
    assert!(asked.has("step-up"), "{}", asked.body);
    assert!(asked.body.contains(&format!(r#"action="{action}""#)));
    let mut body = format!(
        "csrf={}&challenge_id={}&answer={}",
        asked.csrf(),
        urlencode(&asked.after(r#"name="challenge_id" value=""#)),
        urlencode(answer_on(&asked.body)),
    );
    // The fields the question's form carries back, as a browser would post them.
    for chunk in asked.body.split(r#"<input type="hidden" name=""#).skip(1) {
        let (name, rest) = chunk.split_once('"').unwrap();
        if ["csrf", "challenge_id"].contains(&name) {
            continue;
        }
        let value = rest
            .strip_prefix(r#" value=""#)
            .and_then(|rest| rest.split_once('"'))
            .map_or("", |(value, _)| value);
        body.push_str(&format!("&{name}={}", urlencode(value)));
    }
    http.post(action, &body)
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP

#[test]
fn signing_in_shares_the_buy_window_s_cookie_and_signing_out_ends_the_session() {
    let server = TestServer::start();
    let member = server.member("reader@example.com", "UTC", "5.00");
    let mut http = Http::new(&server.base);
    let wrong = {
        let form = http.get("/account/login");
        assert_eq!(form.status, 200, "{}", form.body);
        let body = format!(
            "email=reader%40example.com&password=wrong-password&csrf={}",
            form.csrf()
        );
        http.post("/account/login", &body)
    };
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.has("login-error"));

    let signed = http.sign_in(OFFICE, "reader@example.com", PASSWORD);
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.header("location"), Some("/account"));
    // The buy window's member session cookie: the same name and attributes, so a member
    // signed in at either is signed in at both.
    let cookie = signed
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("farthing_session="))
        .unwrap()
        .to_owned();
    for attribute in [
        "; Path=/;",
        "; HttpOnly",
        "; SameSite=Lax",
        "; Max-Age=3600",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let token = http.jar["farthing_session"].clone();

    let summary = http.get("/account");
    assert_eq!(summary.status, 200, "{}", summary.body);
    assert!(summary.body.contains("reader@example.com"));
    assert!(summary.body.contains(r#"<tr data-currency="USD">"#));
    assert!(summary.body.contains("$5.00"), "{}", summary.body);
    assert!(summary.body.contains(r#"data-role="holder""#));
    for (name, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(summary.header(name), Some(value));
    }
    assert!(
        summary
            .header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    // A session opened through the API (or the buy window) is read from the same cookie.
    let elsewhere = http.send(
        "GET",
        "/account",
        &format!("farthing_session={}", member.session),
        None,
    );
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.body);
    // The cookie opens no JSON route, and a script gets the API's problem.
    let api = http.send(
        "GET",
        "/v1/members/me",
        &format!("farthing_session={token}"),
        None,
    );
    assert_eq!(api.status, 401);
    let script = server.get("/account", None);
    assert_eq!((script.status, script.code()), (401, "unauthenticated"));
    // The pages speak the reader's language and keep it in their links.
    let ja = http.get("/account?lang=ja");
    assert!(ja.body.contains(r#"<html lang="ja">"#));
    assert!(ja.body.contains(r#"href="/account/wallets?lang=ja""#));

    // Signing out ends the session in the account, not only in this browser.
    let out = http.post("/account/logout", &format!("csrf={}", summary.csrf()));
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), Some("/account/login"));
    assert!(!http.jar.contains_key("farthing_session"));
    assert_eq!(server.get("/v1/members/me", Some(&token)).status, 401);
    let again = http.send(
        "GET",
        "/account",
        &format!("farthing_session={token}"),
        None,
    );
    assert_eq!(again.status, 303);
    assert_eq!(again.header("location"), Some("/account/login"));
}

#[test]
fn a_sub_member_sees_no_holder_page_and_is_refused_a_holder_form() {
    let server = TestServer::start();
    let holder = server.member("parent@example.com", "UTC", "5.00");
    let (_, login) = server.sub_member(&holder, "Kid", "kid@example.com");
    let (mut http, _) = signed_in(&server, "kid@example.com");
    let summary = http.get("/account");
    assert_eq!(summary.status, 200, "{}", summary.body);
    assert!(summary.body.contains(r#"data-role="member""#));
    assert!(summary.body.contains("Kid"));
    for held in ["nav-home", "nav-incentives", "freeze"] {
        assert!(summary.has(held), "{held} in {}", summary.body);
    }
    for absent in [
        "nav-wallets",
        "nav-limits",
        "nav-sub-members",
        "nav-questions",
        "nav-transfers",
        "nav-disputes",
        "unfreeze",
    ] {
        assert!(!summary.has(absent), "{absent} in {}", summary.body);
    }
    assert_eq!(http.get("/account/incentives").status, 200);
    for path in [
        "/account/wallets",
        "/account/limits",
        "/account/sub-members",
    ] {
        let refused = http.get(path);
        assert_eq!(refused.status, 403, "{path}");
        assert!(
            refused.body.contains(r#"data-code="holder_only""#),
            "{path}"
        );
    }
    // Posting a holder's form anyway, with a valid CSRF token, changes nothing.
    let body = format!(
        "csrf={}&login={login}&currency=USD&per_day=100.00",
        summary.csrf()
    );
    let refused = http.post("/account/limits", &body);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains(r#"data-code="holder_only""#));
    let logins = server.get("/v1/members/me/logins", Some(&holder.session));
    let kid = logins.body["logins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["login_id"] == login.as_str())
        .unwrap();
    assert_eq!(kid["limits"], json!([]), "{:?}", logins.body);
}

#[test]
fn a_form_without_its_csrf_token_is_refused() {
    let server = TestServer::start();
    server.member("reader@example.com", "UTC", "0");
    let (mut http, token) = signed_in(&server, "reader@example.com");
    let summary = http.get("/account");
    for body in ["", "csrf=", "csrf=forged"] {
        let refused = http.post("/account/freeze", body);
        assert_eq!(refused.status, 403, "{body:?}");
        assert!(refused.body.contains(r#"data-code="csrf_failed""#));
    }
    assert_eq!(me(&server, &token)["frozen"], false);
    // One step away: with the page's token it freezes.
    let frozen = http.post("/account/freeze", &format!("csrf={}", summary.csrf()));
    assert_eq!(frozen.status, 303, "{}", frozen.body);
}

#[test]
fn the_holder_sets_a_sub_member_s_limits_on_the_limits_form() {
    let server = TestServer::start();
    let holder = server.member("parent@example.com", "UTC", "5.00");
    let (kid, login) = server.sub_member(&holder, "Kid", "kid@example.com");
    let (mut http, _) = signed_in(&server, "parent@example.com");
    let page = http.get("/account/limits");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(&format!(r#"data-login="{login}" data-role="member""#)),
        "{}",
        page.body
    );
    let body = format!(
        "csrf={}&login={login}&currency=USD&per_transaction=&per_day=2.00&per_month=20",
        page.csrf()
    );
    let set = http.post("/account/limits", &body);
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(
        set.header("location"),
        Some("/account/limits?done=limits_set")
    );
    let theirs = me(&server, &kid.session);
    let limits = &theirs["login"]["limits"][0];
    assert_eq!(limits["currency"], "USD");
    assert_eq!(limits["per_day"], "2.00");
    assert_eq!(limits["per_month"], "20.00");
    assert_eq!(limits["per_transaction"], Value::Null);
    // The holder's own limits did not change.
    assert_eq!(me(&server, &holder.session)["login"]["limits"], json!([]));
    let shown = http.get("/account/limits?done=limits_set");
    assert!(shown.has("notice"));
    assert!(
        shown
            .body
            .contains(r#"<td class="num" data-limit="per_day">$2.00</td>"#)
    );
    // A limit that is not an amount is the form again, with nothing changed.
    let body = format!(
        "csrf={}&login={login}&currency=USD&per_day=lots",
        page.csrf()
    );
    let refused = http.post("/account/limits", &body);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.has("form-error"));
    assert_eq!(
        me(&server, &kid.session)["login"]["limits"][0]["per_day"],
        "2.00"
    );
}

#[test]
fn adding_funds_on_the_page_charges_the_saved_card_and_moves_the_balance() {
    let server = TestServer::start();
    let member = server.member("reader@example.com", "UTC", "0");
    let (mut http, _) = signed_in(&server, "reader@example.com");
    let wallets = http.get("/account/wallets");
    assert_eq!(wallets.status, 200, "{}", wallets.body);
    assert!(wallets.has("no-methods"));
    let saved = http.post(
        "/account/payment-methods",
        &format!("csrf={}", wallets.csrf()),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let wallets = http.get("/account/wallets");
    let method = wallets.after(r#"data-method=""#);
    assert!(method.starts_with("pm_"), "{method}");
    assert_eq!(server.balance(&member), "0.00");

    let body = format!(
        "csrf={}&amount=7.50&currency=USD&payment_method_id={method}",
        wallets.csrf()
    );
    let added = http.post("/account/deposits", &body);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(
        added.header("location"),
        Some("/account/wallets?done=funds_added")
    );
    assert_eq!(server.balance(&member), "7.50");
    let shown = http.get("/account/wallets?done=funds_added");
    assert!(
        shown.body.contains(r#"<td class="paid num">$7.50</td>"#),
        "{}",
        shown.body
    );
    // An amount that is not one is the form again, refilled, with nothing charged.
    let body = format!(
        "csrf={}&amount=-3&currency=USD&payment_method_id={method}",
        wallets.csrf()
    );
    let refused = http.post("/account/deposits", &body);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.has("form-error"));
    assert!(refused.body.contains(r#"value="-3""#));
    assert_eq!(server.balance(&member), "7.50");
}

#[test]
fn freezing_then_unfreezing_through_a_security_question_on_the_page() {
    let server = TestServer::start();
    member_with_questions(&server, "careful@example.com");
    let (mut http, token) = signed_in(&server, "careful@example.com");
    let summary = http.get("/account");
    assert!(summary.has("freeze"));
    let frozen = http.post("/account/freeze", &format!("csrf={}", summary.csrf()));
    assert_eq!(frozen.status, 303, "{}", frozen.body);
    // Freezing ended every session, this one too: the pages ask to sign in again.
    assert_eq!(server.get("/v1/members/me", Some(&token)).status, 401);
    let bounced = http.get("/account?done=frozen");
    assert_eq!(bounced.status, 303);
    assert_eq!(bounced.header("location"), Some("/account/login"));

    let (mut http, token) = signed_in(&server, "careful@example.com");
    let summary = http.get("/account");
    assert!(summary.has("frozen"), "{}", summary.body);
    assert!(summary.has("unfreeze"));
    assert_eq!(me(&server, &token)["frozen"], true);
    // The unfreeze form asks a question first, and changes nothing until it is answered.
    let asked = http.post("/account/unfreeze", &format!("csrf={}", summary.csrf()));
    assert_eq!(me(&server, &token)["frozen"], true);
    // A wrong answer asks again, and changes nothing either.
    let body = format!(
        "csrf={}&challenge_id={}&answer=nobody",
        asked.csrf(),
        urlencode(&asked.after(r#"name="challenge_id" value=""#))
    );
    let again = http.post("/account/unfreeze", &body);
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.has("step-up") && again.has("form-error"));
    assert_eq!(me(&server, &token)["frozen"], true);

    let unfrozen = answer(&mut http, &asked, "/account/unfreeze");
    assert_eq!(unfrozen.status, 303, "{}", unfrozen.body);
    assert_eq!(unfrozen.header("location"), Some("/account?done=unfrozen"));
    let kept = unfrozen
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("farthing_step_up="))
        .unwrap()
        .to_owned();
    for attribute in ["; Path=/account;", "; HttpOnly", "; SameSite=Strict"] {
        assert!(kept.contains(attribute), "{attribute} in {kept}");
    }
    assert_eq!(me(&server, &token)["frozen"], false);
    let summary = http.get("/account?done=unfrozen");
    assert!(summary.has("notice") && !summary.has("frozen"));
    // Within the pass, the next sensitive form goes through without a question.
    let saved = http.post(
        "/account/payment-methods",
        &format!("csrf={}", summary.csrf()),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
}

#[test]
fn the_step_up_page_lets_an_unusual_purchase_through_and_follows_only_safe_returns() {
    let server = TestServer::start();
    server.vendor("news.example");
    member_with_questions(&server, "careful@example.com");
    let (mut http, _) = signed_in(&server, "careful@example.com");
    for (back, followed) in [
        ("https://news.example/articles/1", true),
        ("/account", true),
        ("https://evil.example/phish", false),
        ("//evil.example/phish", false),
        ("javascript:alert(1)", false),
    ] {
        let page = http.get(&format!("/account/step-up?return={}", urlencode(back)));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.has("step-up-question"));
        assert_eq!(page.body.contains(r#"name="return""#), followed, "{back}");
        let body = format!(
            "csrf={}&challenge_id={}&answer={}&return={}",
            page.csrf(),
            urlencode(&page.after(r#"name="challenge_id" value=""#)),
            urlencode(answer_on(&page.body)),
            urlencode(back)
        );
        let passed = http.post("/account/step-up", &body);
        if followed {
            assert_eq!(passed.status, 303, "{back}: {}", passed.body);
            assert_eq!(passed.header("location"), Some(back));
        } else {
            assert_eq!(passed.status, 200, "{back}: {}", passed.body);
            assert!(passed.has("step-up-passed"));
            assert!(passed.header("location").is_none());
        }
    }
    // A member without questions is told they are never asked.
    server.member("plain@example.com", "UTC", "0");
    let (mut plain, _) = signed_in(&server, "plain@example.com");
    let page = plain.get("/account/step-up");
    assert_eq!(page.status, 200);
    assert!(page.has("step-up-not-asked"));
}

/// A day in milliseconds, to move the test clock.
const DAY_MS: u64 = 86_400_000;

/// The lines of a statement page: each row's `(data-kind, data-vendor)`, in order.
fn rows(page: &Page) -> Vec<(String, String)> {
    page.body
        .split("<tr data-line=")
        .skip(1)
        .map(|row| {
            let attr = |name: &str| {
                row.split_once(&format!(r#"{name}=""#))
                    .map(|(_, rest)| rest.split_once('"').unwrap().0.to_owned())
                    .unwrap_or_default()
            };
            (attr("data-kind"), attr("data-vendor"))
        })
        .collect()
}

/// The next-page link's path, as a browser would follow it.
fn next_href(page: &Page) -> String {
    assert!(page.has("next-page"), "{}", page.body);
    // The only link to the statement with a query.
    let query = page.after(r#"href="/account/statement?"#);
    format!("/account/statement?{}", query.replace("&amp;", "&"))
}

/// A holder funded with 5.00 on 2026-03-10 (UTC), who buys twice from Alpha and once from Beta
/// on the next day.
fn shopper(server: &TestServer) -> (Member, Vendor, Vendor) {
    let alpha = vendor_named(server, "Alpha News", "alpha.example");
    let beta = vendor_named(server, "Beta Blog", "beta.example");
    let funded = server.member("reader@example.com", "UTC", "5.00");
    server.clock.advance_ms(DAY_MS);
    // The day ended the session: a new one, as the member signs in again.
    let member = Member {
        session: server.sign_in("reader@example.com", "absolute"),
        ..funded
    };
    buy(server, &alpha, &member, "0.25", "/a1");
    buy(server, &beta, &member, "0.50", "/b1");
    buy(server, &alpha, &member, "0.10", "/a2");
    (member, alpha, beta)
}

#[test]
fn the_statement_page_applies_its_filters_and_pages_on_with_them() {
    let server = TestServer::start();
    let (_, alpha, beta) = shopper(&server);
    let (mut http, _) = signed_in(&server, "reader@example.com");
    let all = http.get("/account/statement");
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.has("statement-filters") && all.has("nav-statement"));
    let all_rows = rows(&all);
    let kinds: Vec<&str> = all_rows.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds, ["purchase", "purchase", "purchase", "funds"]);
    // Each purchase shows its vendor's name, its title linking to the content and the balance.
    assert!(
        all.body.contains(r#"<a href="https://alpha.example/a2""#),
        "{}",
        all.body
    );
    assert!(all.body.contains("Alpha News") && all.body.contains("Beta Blog"));
    assert!(all.body.contains("$4.15"), "{}", all.body);
    // The vendor select offers the participating vendors by name.
    assert!(all.body.contains(&format!(
        r#"<option value="{}">Alpha News</option>"#,
        alpha.id
    )));

    // A kind and a vendor: the same parameters as the API.
    let only = http.get(&format!(
        "/account/statement?kind=purchase&vendor={}",
        alpha.id
    ));
    assert_eq!(only.status, 200, "{}", only.body);
    let alpha_rows = vec![("purchase".to_owned(), alpha.id.clone()); 2];
    assert_eq!(rows(&only), alpha_rows);
    // A typed vendor id wins over the select, and blank fields are no filter.
    let typed = http.get(&format!(
        "/account/statement?from=&to=&kind=&vendor={}&vendor_id={}&min=&max=",
        alpha.id, beta.id
    ));
    assert_eq!(rows(&typed), [("purchase".to_owned(), beta.id.clone())]);
    // Dates are days in the member's zone, the last one included.
    let funding_day = http.get("/account/statement?from=2026-03-10&to=2026-03-10");
    assert_eq!(rows(&funding_day), [("funds".to_owned(), String::new())]);
    let later = http.get("/account/statement?from=2026-03-11");
    assert_eq!(rows(&later).len(), 3);
    let none = http.get("/account/statement?from=2026-03-12");
    assert!(none.has("no-lines"));
    // Amounts compare absolute values.
    let big = http.get("/account/statement?min=0.25&max=0.50");
    assert_eq!(rows(&big).len(), 2);

    // A small page links to the next with the cursor and the filters.
    let first = http.get(&format!(
        "/account/statement?kind=purchase&vendor={}&limit=1",
        alpha.id
    ));
    assert_eq!(rows(&first), alpha_rows[..1]);
    let next = next_href(&first);
    assert!(next.starts_with("/account/statement?"), "{next}");
    for carried in [
        "kind=purchase",
        &format!("vendor={}", alpha.id),
        "limit=1",
        "cursor=",
    ] {
        assert!(next.contains(carried), "{carried} in {next}");
    }
    let second = http.get(&next);
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(rows(&second), alpha_rows[..1]);
    assert_ne!(
        first.after("<tr data-line=\""),
        second.after("<tr data-line=\""),
        "the second page goes on"
    );
    assert!(second.body.contains("https://alpha.example/a1"));

    // The summary lists the recent lines and links to the statement.
    let summary = http.get("/account");
    assert!(summary.has("recent-lines") && summary.has("statement-link"));
    assert!(summary.body.contains(r#"href="/account/statement""#));
}

#[test]
fn a_sub_member_s_statement_page_shows_only_their_own_lines() {
    let server = TestServer::start();
    let (holder, alpha, _) = shopper(&server);
    let (kid, kid_login) = server.sub_member(&holder, "Kid", "kid@example.com");
    buy(&server, &alpha, &kid, "0.05", "/kid");
    let (mut http, _) = signed_in(&server, "kid@example.com");
    let own = http.get("/account/statement");
    assert_eq!(own.status, 200, "{}", own.body);
    assert_eq!(rows(&own), [("purchase".to_owned(), alpha.id.clone())]);
    assert!(own.body.contains("https://alpha.example/kid"));
    // No login filter and no "made by" column for a sub-member; naming another login is the
    // holder's alone.
    assert!(!own.has("filter-login") && !own.body.contains("made-by"));
    let holder_login = me(&server, &holder.session)["login"]["login_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = http.get(&format!("/account/statement?login={holder_login}"));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains(r#"data-code="holder_only""#));

    // The holder reads everyone's, names who made each, and filters by login.
    let (mut parent, _) = signed_in(&server, "reader@example.com");
    let all = parent.get("/account/statement");
    assert_eq!(rows(&all).len(), 5);
    assert!(all.has("filter-login"));
    assert!(
        all.body
            .contains(&format!(r#"<option value="{kid_login}">Kid</option>"#))
    );
    assert!(
        all.body.contains(r#"<td class="made-by">Kid</td>"#),
        "{}",
        all.body
    );
    let kids = parent.get(&format!("/account/statement?login={kid_login}"));
    assert_eq!(rows(&kids), [("purchase".to_owned(), alpha.id.clone())]);
}

#[test]
fn a_bad_filter_is_the_page_again_with_400_naming_it() {
    let server = TestServer::start();
    server.member("reader@example.com", "UTC", "5.00");
    let (mut http, _) = signed_in(&server, "reader@example.com");
    for (query, param) in [
        ("min=abc", "min"),
        ("max=0.1234567", "max"),
        ("from=2026-02-30", "from"),
        ("to=soon", "to"),
        ("kind=gift", "kind"),
        ("vendor_id=42", "vendor"),
        ("limit=0", "limit"),
        ("cursor=abc", "cursor"),
        ("colour=red", "query"),
    ] {
        let page = http.get(&format!("/account/statement?{query}"));
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert!(
            page.has("form-error") && page.has("statement-filters"),
            "{query}"
        );
        assert!(
            page.body.contains(&format!(r#"data-param="{param}""#)),
            "{query}: {}",
            page.body
        );
        assert!(!page.has("statement"), "{query}: no lines shown");
    }
    // One step away: a good value of each is the page.
    let good = http.get("/account/statement?min=1&from=2026-02-28&kind=funds&limit=1");
    assert_eq!(good.status, 200, "{}", good.body);
    assert!(!good.has("form-error"));
}

// ---------------------------------------------------------------------------------------------
// In the browser

#[test]
fn a_holder_adds_a_sub_member_who_then_signs_in() {
    let server = TestServer::start();
    server.member("parent@example.com", "UTC", "5.00");
    run(async {
        let browser = Browser::new().await;
        let login = format!("{}{OFFICE}/login", server.base);
        browser
            .sign_in_office(&login, "parent@example.com", PASSWORD)
            .await;
        browser.click("a#nav-sub-members").await;
        browser.fill("input#sub-name", "Kid").await;
        browser.fill("input#sub-email", "kid@example.com").await;
        browser
            .fill("input#sub-password", "kid's own password")
            .await;
        browser.click("button#add-sub-member-button").await;
        let notice = browser.wait_for("p#notice").await;
        assert_eq!(
            notice.attr("data-code").await.unwrap().unwrap(),
            "sub_member_added"
        );
        assert!(browser.source().await.contains("kid@example.com"));
        browser.screenshot("account-sub-member-added").await;
        browser.click("button#sign-out").await;
        browser.wait_for("form#login").await;
        browser.close().await;

        let kid = Browser::new().await;
        kid.sign_in_office(&login, "kid@example.com", "kid's own password")
            .await;
        assert_eq!(
            kid.attr("#login-role", "data-role").await.as_deref(),
            Some("member")
        );
        assert!(!kid.exists("a#nav-sub-members").await);
        assert!(kid.exists("a#nav-incentives").await);
        kid.close().await;
    });
}

#[test]
fn a_member_with_questions_answers_one_and_the_limit_change_lands() {
    let server = TestServer::start();
    let member = member_with_questions(&server, "careful@example.com");
    run(async {
        let browser = Browser::new().await;
        let login = format!("{}{OFFICE}/login", server.base);
        browser
            .sign_in_office(&login, "careful@example.com", PASSWORD)
            .await;
        browser.click("a#nav-limits").await;
        let form = "section[data-role='holder'] form.limits";
        browser
            .select(&format!("{form} select[name='currency']"), "USD")
            .await;
        browser
            .fill(&format!("{form} input[name='per_day']"), "3.00")
            .await;
        browser.click(&format!("{form} button")).await;
        // Asked a question in place of the form; nothing changed yet.
        let question = browser.text("p#step-up-question").await;
        assert_eq!(
            me(&server, &member.session)["login"]["limits"],
            json!([]),
            "nothing before the answer"
        );
        browser.fill("input#answer", answer_on(&question)).await;
        browser.click("button#answer-button").await;
        let notice = browser.wait_for("p#notice").await;
        assert_eq!(
            notice.attr("data-code").await.unwrap().unwrap(),
            "limits_set"
        );
        assert_eq!(
            browser
                .text("section[data-role='holder'] td[data-limit='per_day']")
                .await,
            "$3.00"
        );
        browser.screenshot("account-limits-after-step-up").await;
        browser.close().await;
    });
    let limits = &me(&server, &member.session)["login"]["limits"][0];
    assert_eq!(limits["per_day"], "3.00");
}

#[test]
fn statement_filters() {
    let server = TestServer::start();
    let (_, alpha, _) = shopper(&server);
    run(async {
        let browser = Browser::new().await;
        let login = format!("{}{OFFICE}/login", server.base);
        browser
            .sign_in_office(&login, "reader@example.com", PASSWORD)
            .await;
        browser.click("a#nav-statement").await;
        browser.wait_for("form#statement-filters").await;
        browser.select("select#filter-kind", "purchase").await;
        browser.select("select#filter-vendor", &alpha.id).await;
        browser.click("button#filter-button").await;
        browser
            .wait_for_url(&format!("{}/account/statement?", server.base))
            .await;
        let source = browser.source().await;
        let page = Page {
            status: 200,
            headers: Vec::new(),
            body: source,
        };
        let alpha_rows = vec![("purchase".to_owned(), alpha.id.clone()); 2];
        assert_eq!(rows(&page), alpha_rows);
        assert_eq!(browser.value("select#filter-kind").await, "purchase");
        browser.screenshot("account-statement-filtered").await;

        // A small page, then its next-page link once: the filters ride along.
        let url = browser.current_url().await;
        browser.goto(&format!("{url}&limit=1")).await;
        let first = browser
            .attr("table#statement tr[data-line]", "data-line")
            .await;
        browser.click("a#next-page").await;
        let mut url = browser.current_url().await;
        for _ in 0..100 {
            if url.contains("cursor=") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            url = browser.current_url().await;
        }
        assert!(
            url.contains("cursor=") && url.contains("kind=purchase"),
            "{url}"
        );
        let second = browser
            .attr("table#statement tr[data-line]", "data-line")
            .await;
        assert!(first.is_some() && second.is_some());
        assert_ne!(first, second);
        assert_eq!(
            browser
                .attr("table#statement tr[data-line] td.vendor", "data-vendor")
                .await,
            Some(alpha.id.clone())
        );
        browser.close().await;
    });
}

// ---------------------------------------------------------------------------------------------
// My Content

/// `member` buys `title` at `content_url` from `vendor` with `terms` merged in.
fn buy_titled(
    server: &TestServer,
    vendor: &common::Vendor,
    member: &Member,
    title: &str,
    content_url: &str,
    terms: Value,
) -> Value {
    let buyer = server.buyer_token(&member.session, vendor);
    let mut body = json!({"buyer_token": buyer, "price": "0.25", "currency": "USD",
                          "content_url": content_url, "title": title});
    for (name, value) in terms.as_object().unwrap() {
        body[name] = value.clone();
    }
    let reply = server.post("/v1/authorize", Some(&vendor.key), &body);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

/// The `access_token` of a URL's query.
fn token_in(location: &str) -> String {
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .find(|(name, _)| name == "access_token")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no access_token in {location}"))
}

#[test]
fn my_content_lists_every_member_s_items_and_open_redirects_with_a_token() {
    let server = TestServer::start();
    let news = server.vendor("news.example");
    let holder = server.member("parent@example.com", "UTC", "5.00");
    let (kid, _) = server.sub_member(&holder, "Kid", "kid@example.com");
    buy_titled(
        &server,
        &news,
        &holder,
        "Parents' paper",
        "https://news.example/parents",
        json!({}),
    );
    server.clock.advance_ms(1_000);
    buy_titled(
        &server,
        &news,
        &kid,
        "Kid's comic",
        "https://news.example/comic",
        json!({"views": 1, "valid_hours": 1}),
    );

    // The sub-member has the page in the menu and sees only their own item.
    let (mut http, _) = signed_in(&server, "kid@example.com");
    let summary = http.get("/account");
    assert!(summary.has("nav-content"), "{}", summary.body);
    let page = http.get("/account/content");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Kid&#39;s comic") || page.body.contains("Kid's comic"));
    assert!(!page.body.contains("Parents"), "{}", page.body);
    assert!(page.body.contains(r#"data-state="open""#));
    let action = page.after(r#"<form class="open inline" method="post" action=""#);
    assert!(action.starts_with("/account/content/ent_"), "{action}");
    let opened = http.post(&action, &format!("csrf={}", page.csrf()));
    assert_eq!(opened.status, 303, "{}", opened.body);
    let location = opened.header("location").unwrap().to_owned();
    assert!(
        location.starts_with("https://news.example/comic?access_token="),
        "{location}"
    );
    // The token is the vendor's to check, and its check counts the one view.
    let granted = server.post(
        "/v1/access",
        Some(&news.key),
        &json!({"access_token": token_in(&location), "content_url": "https://news.example/comic"}),
    );
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    let page = http.get("/account/content");
    assert!(
        page.body.contains(r#"data-state="views_used_up""#),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"class="open inline""#));
    // Posting the used-up item's form anyway is refused with the access check's problem.
    let refused = http.post(&action, &format!("csrf={}", page.csrf()));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains(r#"data-code="views_used_up""#),
        "{}",
        refused.body
    );
    // Without the CSRF token nothing is minted.
    let forged = http.post(&action, "csrf=forged");
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains(r#"data-code="csrf_failed""#));

    // The holder sees both, newest first, one per page with a next link.
    let (mut http, _) = signed_in(&server, "parent@example.com");
    let all = http.get("/account/content");
    let comic = all.body.find("comic").unwrap();
    let paper = all.body.find("Parents").unwrap();
    assert!(comic < paper, "newest first: {}", all.body);
    let bad = http.get("/account/content?cursor=nonsense");
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn my_content_reopen() {
    let server = TestServer::start();
    // The vendor's content is on this node's own host, so the browser can land on it.
    let local = common::vendor_named(&server, "Local Press", "127.0.0.1");
    let member = server.member("reader@example.com", "UTC", "5.00");
    let content_url = format!("{}/story/1", server.base);
    buy_titled(
        &server,
        &local,
        &member,
        "A local story",
        &content_url,
        json!({"views": 3}),
    );
    let landed = run(async {
        let browser = Browser::new().await;
        let login = format!("{}{OFFICE}/login", server.base);
        browser
            .sign_in_office(&login, "reader@example.com", PASSWORD)
            .await;
        browser.click("a#nav-content").await;
        let row = browser.wait_for("tr.item[data-state='open']").await;
        assert!(row.text().await.unwrap().contains("A local story"));
        browser.screenshot("account-my-content").await;
        browser.click("tr.item form.open button").await;
        // The node answers its own 404 at the story's path: what matters is where the
        // browser was sent.
        let landed = browser
            .wait_for_url(&format!("{content_url}?access_token="))
            .await;
        browser.close().await;
        landed
    });
    let granted = server.post(
        "/v1/access",
        Some(&local.key),
        &json!({"access_token": token_in(&landed), "content_url": content_url}),
    );
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(
        granted.body["views_left"], 2,
        "the vendor's check counted one view"
    );
}
