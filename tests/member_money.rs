//! Member money over HTTP (wallets in several currencies, funding, incentives, transfers,
//! cash-out): a real node on 127.0.0.1:0, driven as members, vendors and the admin would. Each
//! refusal is checked by status and stable code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{TestServer, Vendor};
use serde_json::{Value, json};

/// A vendor selling in `currency`.
fn vendor_in(server: &TestServer, currency: &str, domain: &str) -> Vendor {
    let reply = server.post(
        "/admin/v1/vendors",
        Some(&server.admin_key),
        &json!({"name": "Kiosk", "currency": currency, "content_domains": [domain], "fee_ppm": 0}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    Vendor {
        id: reply.body["vendor_id"].as_str().unwrap().to_owned(),
        key: reply.body["api_key"].as_str().unwrap().to_owned(),
        domain: domain.to_owned(),
    }
}

/// The member's wallet in `currency`, as `GET /v1/members/me` shows it.
fn wallet(server: &TestServer, session: &str, currency: &str) -> Option<Value> {
    let me = server.get("/v1/members/me", Some(session));
    assert_eq!(me.status, 200, "{:?}", me.body);
    me.body["wallets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|wallet| wallet["currency"] == currency)
        .cloned()
}

fn buy(server: &TestServer, vendor: &Vendor, buyer: &str, price: &str, currency: &str) -> Value {
    let reply = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": price, "currency": currency,
                "content_url": format!("https://{}/a/{price}", vendor.domain), "title": "A page"}),
    );
    json!({"status": reply.status, "body": reply.body})
}

fn admin_deposit(server: &TestServer, member: &str, amount: &str, currency: &str) -> (u16, Value) {
    let reply = server.post(
        &format!("/admin/v1/members/{member}/deposits"),
        Some(&server.admin_key),
        &json!({"amount": amount, "currency": currency, "reference": format!("{currency}-{amount}")}),
    );
    (reply.status, reply.body)
}

#[test]
fn a_member_opens_wallets_in_supported_currencies_and_each_pays_its_own_prices() {
    let server = TestServer::start();
    let member = server.member("multi@example.com", "UTC", "10.00");
    assert_eq!(
        wallet(&server, &member.session, "USD"),
        Some(
            json!({"currency": "USD", "paid": "10.00", "incentive": "0.00",
                    "credit_line": "0.00", "debt": "0.00", "available": "10.00"})
        )
    );
    let euro_shop = vendor_in(&server, "EUR", "euro.example");
    let buyer = server.buyer_token(&member.session, &euro_shop);

    // No euro wallet: the purchase and a deposit in euros are refused, nothing moves.
    let refused = buy(&server, &euro_shop, &buyer, "1.00", "EUR");
    assert_eq!(refused["status"], 409, "{refused:?}");
    assert_eq!(refused["body"]["code"], "wallet_missing");
    assert!(
        refused["body"]["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/members/me/wallets"),
        "the refusal says how to open one"
    );
    let (status, body) = admin_deposit(&server, &member.id, "5.00", "EUR");
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("wallet_missing"))
    );
    // A price in another currency than the vendor's stays a currency mismatch.
    let mismatch = buy(&server, &euro_shop, &buyer, "1.00", "USD");
    assert_eq!(
        mismatch["body"]["code"], "currency_mismatch",
        "{mismatch:?}"
    );

    let open = |currency: &str| {
        server.post(
            "/v1/members/me/wallets",
            Some(&member.session),
            &json!({"currency": currency}),
        )
    };
    let not_a_code = open("XYZ");
    assert_eq!(not_a_code.status, 400, "{:?}", not_a_code.body);
    assert_eq!(not_a_code.body["param"], "currency");
    let unsupported = open("KWD");
    assert_eq!(
        (unsupported.status, unsupported.code()),
        (422, "currency_unsupported")
    );
    let opened = open("EUR");
    assert_eq!(opened.status, 201, "{:?}", opened.body);
    assert_eq!(
        opened.body,
        json!({"currency": "EUR", "paid": "0.00", "incentive": "0.00",
               "credit_line": "0.00", "debt": "0.00", "available": "0.00"})
    );
    let again = open("EUR");
    assert_eq!((again.status, again.code()), (409, "wallet_exists"));
    let usd_again = open("USD");
    assert_eq!(
        usd_again.code(),
        "wallet_exists",
        "the registration's wallet"
    );
    let no_session = server.post("/v1/members/me/wallets", None, &json!({"currency": "GBP"}));
    assert_eq!(no_session.status, 401);

    let (status, body) = admin_deposit(&server, &member.id, "5.00", "EUR");
    assert_eq!(status, 201, "{body:?}");
    let bought = buy(&server, &euro_shop, &buyer, "1.25", "EUR");
    assert_eq!(bought["status"], 200, "{bought:?}");
    assert_eq!(bought["body"]["charged"], "1.25");
    assert_eq!(
        wallet(&server, &member.session, "EUR").unwrap()["paid"],
        "3.75"
    );
    assert_eq!(
        wallet(&server, &member.session, "USD").unwrap()["paid"],
        "10.00",
        "the dollar wallet is untouched"
    );
    server.totals_conserved();

    // Wallets and their balances are in the journal: a restart keeps them.
    let server = server.restart();
    let session = server.sign_in("multi@example.com", "absolute");
    assert_eq!(wallet(&server, &session, "EUR").unwrap()["paid"], "3.75");
    assert_eq!(wallet(&server, &session, "USD").unwrap()["paid"], "10.00");
}

#[test]
fn a_frozen_account_opens_no_wallet_and_unsupported_currencies_are_refused_everywhere() {
    let server = TestServer::start();
    let member = server.member("cold@example.com", "UTC", "0");
    let frozen = server.post("/v1/members/me/freeze", Some(&member.session), &json!({}));
    assert_eq!(frozen.status, 200, "{:?}", frozen.body);
    // Freezing ends the session; a new one may sign in but not open wallets.
    let session = server.sign_in("cold@example.com", "absolute");
    let refused = server.post(
        "/v1/members/me/wallets",
        Some(&session),
        &json!({"currency": "EUR"}),
    );
    assert_eq!((refused.status, refused.code()), (403, "account_frozen"));
    assert!(wallet(&server, &session, "EUR").is_none());

    let registration = server.post(
        "/v1/members",
        None,
        &json!({"email": "dinar@example.com", "password": "correct horse battery",
                "language": "en", "currency": "KWD"}),
    );
    assert_eq!(
        (registration.status, registration.code()),
        (422, "currency_unsupported")
    );
    let vendor = server.post(
        "/admin/v1/vendors",
        Some(&server.admin_key),
        &json!({"name": "Souk", "currency": "KWD", "content_domains": ["souk.example"], "fee_ppm": 0}),
    );
    assert_eq!(
        (vendor.status, vendor.code()),
        (422, "currency_unsupported")
    );
}
