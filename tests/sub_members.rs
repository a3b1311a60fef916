//! Family and corporate accounts ([0275]-[0277]) over HTTP: the holder adds sub-members and
//! sets their limits, which the sub-member cannot lift; a sub-member buys within them and sees
//! only their own; disabling one ends their sessions at once. (Every holder-only route
//! refusing a sub-member is walked from the route table in tests/routes.rs.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::TestServer;
use serde_json::json;

#[test]
fn a_sub_member_buys_within_the_limits_the_holder_set_and_cannot_lift_them() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let other = server.vendor("music.example");
    let holder = server.member("parent@example.com", "UTC", "10.00");
    let (child, child_login) = server.sub_member(&holder, "Kim", "kim@example.com");
    let limits = server.put(
        &format!("/v1/members/me/logins/{child_login}/limits"),
        Some(&holder.session),
        &json!({"currency": "USD", "per_transaction": "0.50", "vendors_allowed": [vendor.id]}),
    );
    assert_eq!(limits.status, 200, "{:?}", limits.body);

    let child_buyer = server.buyer_token(&child.session, &vendor);
    assert_eq!(
        server
            .authorize(&vendor, &child_buyer, "0.50", "/kids/1")
            .status,
        200
    );
    let over = server.authorize(&vendor, &child_buyer, "0.51", "/kids/2");
    assert_eq!((over.status, over.code()), (403, "limit_per_transaction"));
    let elsewhere = server.buyer_token(&child.session, &other);
    let refused = server.authorize(&other, &elsewhere, "0.10", "/song/1");
    assert_eq!(refused.status, 403, "{:?}", refused.body);
    // The holder's own purchases are not bound by the child's limits.
    let holder_buyer = server.buyer_token(&holder.session, &vendor);
    assert_eq!(
        server
            .authorize(&vendor, &holder_buyer, "0.51", "/news/1")
            .status,
        200
    );

    // The child can lift nothing: neither through their own limits nor through their login's.
    for (path, body) in [
        (
            "/v1/members/me/limits".to_owned(),
            json!({"currency": "USD"}),
        ),
        (
            format!("/v1/members/me/logins/{child_login}/limits"),
            json!({"currency": "USD"}),
        ),
    ] {
        let lifted = server.put(&path, Some(&child.session), &body);
        assert_eq!(
            (lifted.status, lifted.code()),
            (403, "holder_only"),
            "{path}"
        );
    }
    let still = server.authorize(&vendor, &child_buyer, "0.51", "/kids/3");
    assert_eq!(still.code(), "limit_per_transaction");
    assert_eq!(server.balance(&holder), "8.99");
    server.totals_conserved();
}

#[test]
fn a_sub_member_sees_only_their_own_login_and_the_holder_sees_every_login() {
    let server = TestServer::start();
    let holder = server.member("lead@example.com", "UTC", "5.00");
    let (staff, staff_login) = server.sub_member(&holder, "Sam Staff", "sam@example.com");

    let listed = server.get("/v1/members/me/logins", Some(&holder.session));
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    let logins = listed.body["logins"].as_array().unwrap();
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0]["role"], "holder");
    assert_eq!(logins[0]["email"], "lead@example.com");
    assert_eq!(logins[1]["login_id"], staff_login.as_str());
    assert_eq!(logins[1]["name"], "Sam Staff");
    assert_eq!(logins[1]["role"], "member");
    assert_eq!(logins[1]["disabled"], false);
    assert!(
        logins
            .iter()
            .all(|login| login.get("password_hash").is_none())
    );

    let own = server.get("/v1/members/me", Some(&staff.session));
    assert_eq!(own.status, 200, "{:?}", own.body);
    assert_eq!(own.body["login"]["login_id"], staff_login.as_str());
    assert_eq!(own.body["login"]["role"], "member");
    assert_eq!(own.body["payment_methods"], json!([]));
    let listed = server.get("/v1/members/me/logins", Some(&staff.session));
    assert_eq!((listed.status, listed.code()), (403, "holder_only"));
    let holders = server.get("/v1/members/me", Some(&holder.session));
    assert_eq!(holders.body["login"]["role"], "holder");
}

#[test]
fn adding_a_login_checks_its_fields_and_its_e_mail_is_the_services_own() {
    let server = TestServer::start();
    let holder = server.member("home@example.com", "UTC", "0");
    let add = |body: serde_json::Value| {
        server.post("/v1/members/me/logins", Some(&holder.session), &body)
    };
    let taken = add(
        json!({"name": "Again", "email": "HOME@example.com", "password": "correct horse battery"}),
    );
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
    let nameless =
        add(json!({"name": "  ", "email": "n@example.com", "password": "correct horse battery"}));
    assert_eq!((nameless.status, nameless.code()), (400, "invalid_field"));
    assert_eq!(nameless.body["param"], "name");
    let short = add(json!({"name": "Short", "email": "s@example.com", "password": "short"}));
    assert_eq!(short.body["param"], "password");
    let unknown = add(
        json!({"name": "X", "email": "x@example.com", "password": "correct horse battery", "role": "holder"}),
    );
    assert_eq!(unknown.status, 400);
    // The refused adds left their e-mails free: one registers as a member of its own.
    server.member("n@example.com", "UTC", "0");

    let (_, _) = server.sub_member(&holder, "Ari", "ari@example.com");
    let again = server.post(
        "/v1/members",
        None,
        &json!({"email": "ari@example.com", "password": "correct horse battery", "language": "en", "currency": "USD"}),
    );
    assert_eq!((again.status, again.code()), (409, "email_taken"));
    // The sub-member's e-mail signs in to the account after a restart too.
    let server = server.restart();
    let session = server.sign_in("ari@example.com", "absolute");
    let me = server.get("/v1/members/me", Some(&session));
    assert_eq!(me.body["member_id"], holder.id.as_str());
    assert_eq!(me.body["login"]["name"], "Ari");
}

#[test]
fn disabling_a_sub_member_ends_their_sessions_at_once_until_enabled() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let holder = server.member("owner@example.com", "UTC", "3.00");
    let (child, child_login) = server.sub_member(&holder, "Lee", "lee@example.com");
    let buyer = server.buyer_token(&child.session, &vendor);

    let disabled = server.post(
        &format!("/v1/members/me/logins/{child_login}/disable"),
        Some(&holder.session),
        &json!({}),
    );
    assert_eq!(disabled.status, 200, "{:?}", disabled.body);
    let me = server.get("/v1/members/me", Some(&child.session));
    assert_eq!(me.status, 401);
    let bought = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    assert_ne!(bought.status, 200, "{:?}", bought.body);
    let signed_in = server.post(
        "/v1/sessions",
        None,
        &json!({"email": "lee@example.com", "password": "correct horse battery", "expiry": "absolute"}),
    );
    assert_eq!(
        (signed_in.status, signed_in.code()),
        (403, "login_disabled")
    );
    let listed = server.get("/v1/members/me/logins", Some(&holder.session));
    assert_eq!(listed.body["logins"][1]["disabled"], true);

    // The holder cannot disable themselves, nor name a login of no account of theirs.
    let holder_login = listed.body["logins"][0]["login_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = server.post(
        &format!("/v1/members/me/logins/{holder_login}/disable"),
        Some(&holder.session),
        &json!({}),
    );
    assert_eq!((own.status, own.code()), (409, "login_is_holder"));
    let unknown = server.post(
        "/v1/members/me/logins/login_0000000000000009/disable",
        Some(&holder.session),
        &json!({}),
    );
    assert_eq!((unknown.status, unknown.code()), (404, "login_not_found"));

    let enabled = server.post(
        &format!("/v1/members/me/logins/{child_login}/enable"),
        Some(&holder.session),
        &json!({}),
    );
    assert_eq!(enabled.status, 200);
    let session = server.sign_in("lee@example.com", "absolute");
    let buyer = server.buyer_token(&session, &vendor);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/2").status,
        200
    );
    // Disabled state survives a restart.
    let disabled = server.post(
        &format!("/v1/members/me/logins/{child_login}/disable"),
        Some(&holder.session),
        &json!({}),
    );
    assert_eq!(disabled.status, 200);
    let server = server.restart();
    let signed_in = server.post(
        "/v1/sessions",
        None,
        &json!({"email": "lee@example.com", "password": "correct horse battery", "expiry": "absolute"}),
    );
    assert_eq!(signed_in.code(), "login_disabled");
}

#[test]
fn a_sub_member_reads_only_their_own_statement_lines_and_the_holder_reads_all() {
    let payments = farthing::payments::TestProcessor::default();
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory_paying(store, payments);
    let holder = server.member("family@example.com", "UTC", "5.00");
    let (child, child_login) = server.sub_member(&holder, "Kim Kid", "kim@example.com");
    let vendor = server.vendor("news.example");
    server.clock.advance_ms(1_000);
    common::buy(&server, &vendor, &holder, "0.30", "/parent-article");
    server.clock.advance_ms(1_000);
    common::buy(&server, &vendor, &child, "0.20", "/child-article");
    server.clock.advance_ms(1_000);
    // The holder adds funds from a saved card: the line names the holder as who added them.
    let card = server.post(
        "/v1/members/me/payment-methods",
        Some(&holder.session),
        &json!({"kind": "card", "number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
    );
    assert_eq!(card.status, 201, "{:?}", card.body);
    let added = server.post(
        "/v1/members/me/deposits",
        Some(&holder.session),
        &json!({"amount": "2.00", "currency": "USD", "payment_method_id": card.body["payment_method_id"]}),
    );
    assert_eq!(added.status, 201, "{:?}", added.body);
    let holder_login =
        server.get("/v1/members/me", Some(&holder.session)).body["login"]["login_id"]
            .as_str()
            .unwrap()
            .to_owned();

    let lines = |session: &str, query: &str| -> Vec<(String, String)> {
        let page = server.get(&format!("/v1/members/me/statement?{query}"), Some(session));
        assert_eq!(page.status, 200, "{:?}", page.body);
        page.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| {
                (
                    line["kind"].as_str().unwrap().to_owned(),
                    line["login"].as_str().unwrap_or("none").to_owned(),
                )
            })
            .collect()
    };
    let (funds, purchase) = ("funds".to_owned(), "purchase".to_owned());
    assert_eq!(
        lines(&holder.session, ""),
        [
            (funds.clone(), holder_login.clone()),
            (purchase.clone(), child_login.clone()),
            (purchase.clone(), holder_login.clone()),
            (funds.clone(), "none".to_owned()),
        ],
        "newest first; the operator's opening deposit names no login"
    );
    assert_eq!(
        lines(&holder.session, &format!("login={child_login}")),
        [(purchase.clone(), child_login.clone())]
    );
    // The holder's own lines have no login index entry: the filter reads every line.
    assert_eq!(
        lines(&holder.session, &format!("login={holder_login}")),
        [
            (funds.clone(), holder_login.clone()),
            (purchase.clone(), holder_login.clone()),
        ]
    );
    // The child sees their own purchase only, asked or not, and cannot read the holder's.
    assert_eq!(
        lines(&child.session, ""),
        [(purchase.clone(), child_login.clone())]
    );
    assert_eq!(
        lines(&child.session, &format!("login={child_login}")),
        [(purchase, child_login.clone())]
    );
    let refused = server.get(
        &format!("/v1/members/me/statement?login={holder_login}"),
        Some(&child.session),
    );
    assert_eq!((refused.status, refused.code()), (403, "holder_only"));

    // The instant summary follows the same rule, newest first with the balance after.
    let summary = server.get("/v1/members/me", Some(&child.session));
    let recent = summary.body["recent_transactions"].as_array().unwrap();
    assert_eq!(recent.len(), 1, "{recent:?}");
    assert_eq!(recent[0]["amount"], "-0.20");
    assert_eq!(recent[0]["balance_after"], "4.50");
    assert_eq!(recent[0]["vendor"]["name"], "Daily News");
    let summary = server.get("/v1/members/me", Some(&holder.session));
    assert_eq!(
        summary.body["recent_transactions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        summary.body["recent_transactions"][0]["balance_after"],
        "6.50"
    );
}
