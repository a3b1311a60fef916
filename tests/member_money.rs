//! Member money over HTTP (wallets in several currencies, funding, incentives, transfers,
//! cash-out): a real node on 127.0.0.1:0, driven as members, vendors and the admin would. Each
//! refusal is checked by status and stable code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{TestServer, Vendor};
use farthing::storage::port::Journal;
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
    server.wallet(session, currency)
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
                    "credit_line": "0.00", "debt": "0.00", "available": "10.00", "top_off": null})
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
               "credit_line": "0.00", "debt": "0.00", "available": "0.00", "top_off": null})
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

/// Saves a card; answers the reply.
fn save_card(server: &TestServer, session: &str, number: &str) -> common::Reply {
    server.post(
        "/v1/members/me/payment-methods",
        Some(session),
        &json!({"kind": "card", "number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
    )
}

fn add_funds(server: &TestServer, session: &str, amount: &str, method: &str) -> common::Reply {
    server.post(
        "/v1/members/me/deposits",
        Some(session),
        &json!({"amount": amount, "currency": "USD", "payment_method_id": method}),
    )
}

#[test]
fn cards_are_saved_as_tokens_and_funds_added_from_them_with_decline_codes() {
    let payments = farthing::payments::TestProcessor::default();
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory_paying(store.clone(), payments.clone());
    let member = server.member("cards@example.com", "UTC", "0");

    let visa = save_card(&server, &member.session, "4242 4242 4242 4242");
    assert_eq!(visa.status, 201, "{:?}", visa.body);
    assert_eq!(
        (visa.body["kind"].as_str(), visa.body["brand"].as_str()),
        (Some("card"), Some("visa"))
    );
    assert_eq!(visa.body["last4"], "4242");
    let visa_id = visa.body["payment_method_id"].as_str().unwrap().to_owned();
    assert!(visa_id.starts_with("pm_"), "{visa_id}");

    let added = add_funds(&server, &member.session, "12.50", &visa_id);
    assert_eq!(added.status, 201, "{:?}", added.body);
    assert_eq!(added.body["status"], "credited");
    assert_eq!(added.body["balance"], "12.50");
    assert!(
        added.body["deposit_id"]
            .as_str()
            .unwrap()
            .starts_with("dep_")
    );
    assert_eq!(payments.charges(), 1);

    // Each test card declines with its code; nothing is credited.
    for (number, code) in [
        ("4000000000000002", "card_declined"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
    ] {
        let card = save_card(&server, &member.session, number);
        assert_eq!(card.status, 201, "{:?}", card.body);
        let id = card.body["payment_method_id"].as_str().unwrap();
        let declined = add_funds(&server, &member.session, "5.00", id);
        assert_eq!(
            (
                declined.status,
                declined.code(),
                declined.body["decline_code"].as_str()
            ),
            (402, "payment_declined", Some(code)),
            "{number}"
        );
    }
    assert_eq!(
        server.balance(&member),
        "12.50",
        "no decline credited anything"
    );
    let me = server.get("/v1/members/me", Some(&member.session));
    let methods = me.body["payment_methods"].as_array().unwrap();
    assert_eq!(methods.len(), 4);
    assert!(
        methods
            .iter()
            .all(|m| m.get("token").is_none() && m.get("number").is_none())
    );

    // The number is never stored: not in the journal, not in a snapshot.
    let journal = format!("{:?}", store.read_from(1, 1_000_000).unwrap());
    for number in ["4242424242424242", "4000000000000002", "4000000000009995"] {
        assert!(!journal.contains(number), "{number} reached the journal");
    }

    // Removing a method: it can no longer be charged; an unknown id is a 404.
    let removed = server.request(
        "DELETE",
        &format!("/v1/members/me/payment-methods/{visa_id}"),
        Some(&member.session),
        None,
        &[],
    );
    assert_eq!(removed.status, 200, "{:?}", removed.body);
    let gone = add_funds(&server, &member.session, "1.00", &visa_id);
    assert_eq!((gone.status, gone.code()), (404, "payment_method_unknown"));
    let again = server.request(
        "DELETE",
        &format!("/v1/members/me/payment-methods/{visa_id}"),
        Some(&member.session),
        None,
        &[],
    );
    assert_eq!(
        (again.status, again.code()),
        (404, "payment_method_unknown")
    );
    server.totals_conserved();
}

#[test]
fn bad_cards_and_bad_deposits_are_refused_by_field_before_any_charge() {
    let payments = farthing::payments::TestProcessor::default();
    let server = TestServer::start_memory_paying(
        farthing::storage::memory::MemoryStore::new(),
        payments.clone(),
    );
    let member = server.member("typos@example.com", "UTC", "0");
    let card = |body: Value| {
        server.post(
            "/v1/members/me/payment-methods",
            Some(&member.session),
            &body,
        )
    };
    let cases = [
        (
            json!({"kind": "card", "number": "4242424242424241", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
            "number",
        ),
        (
            json!({"kind": "card", "number": "42424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
            "number",
        ),
        (
            json!({"kind": "card", "number": "4242-4242-4242-4242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
            "number",
        ),
        (
            json!({"kind": "card", "number": "4242424242424242", "exp_month": 13, "exp_year": 2040, "cvc": "123"}),
            "exp_month",
        ),
        (
            json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2020, "cvc": "123"}),
            "exp_year",
        ),
        (
            json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "12"}),
            "cvc",
        ),
        (
            json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2040}),
            "cvc",
        ),
        (json!({"kind": "cheque"}), "kind"),
    ];
    for (body, param) in cases {
        let refused = card(body.clone());
        assert_eq!(
            (refused.status, refused.body["param"].as_str()),
            (400, Some(param)),
            "{body}"
        );
    }
    let saved = card(
        json!({"kind": "card", "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
    );
    let id = saved.body["payment_method_id"].as_str().unwrap().to_owned();
    for (body, code) in [
        (
            json!({"amount": "0", "currency": "USD", "payment_method_id": id}),
            "invalid_amount",
        ),
        (
            json!({"amount": "-1", "currency": "USD", "payment_method_id": id}),
            "invalid_amount",
        ),
        (
            json!({"amount": "1.00", "currency": "EUR", "payment_method_id": id}),
            "wallet_missing",
        ),
        (
            json!({"amount": "1.00", "currency": "USD", "payment_method_id": "card"}),
            "invalid_field",
        ),
        (
            json!({"amount": "1.00", "currency": "USD", "payment_method_id": "pm_0000000000000009"}),
            "payment_method_unknown",
        ),
        (
            json!({"amount": "500.01", "currency": "USD", "payment_method_id": id}),
            "amount_too_large",
        ),
    ] {
        let refused = server.post("/v1/members/me/deposits", Some(&member.session), &body);
        assert_eq!(refused.code(), code, "{body}: {:?}", refused.body);
    }
    let no_session = server.post(
        "/v1/members/me/deposits",
        None,
        &json!({"amount": "1.00", "currency": "USD", "payment_method_id": id}),
    );
    assert_eq!(no_session.status, 401);
    assert_eq!(payments.charges(), 0, "nothing refused was charged");
    // At most eight methods per account.
    for _ in 1..8 {
        let more = card(
            json!({"kind": "card", "number": "5555555555554444", "exp_month": 1, "exp_year": 2041, "cvc": "999"}),
        );
        assert_eq!(more.status, 201, "{:?}", more.body);
    }
    let ninth = card(
        json!({"kind": "card", "number": "5555555555554444", "exp_month": 1, "exp_year": 2041, "cvc": "999"}),
    );
    assert_eq!(
        (ninth.status, ninth.code()),
        (409, "payment_method_quota_exceeded")
    );
}

fn save_bank(server: &TestServer, session: &str, iban: &str) -> String {
    let saved = server.post(
        "/v1/members/me/payment-methods",
        Some(session),
        &json!({"kind": "bank", "iban": iban, "name": "Ana Lima"}),
    );
    assert_eq!(saved.status, 201, "{:?}", saved.body);
    assert_eq!(
        (saved.body["kind"].as_str(), saved.body["brand"].as_str()),
        (Some("bank"), Some("bank"))
    );
    saved.body["payment_method_id"].as_str().unwrap().to_owned()
}

/// Waits (bounded) until the member's USD wallet shows `expected` as its debt.
fn wait_for_debt(server: &TestServer, session: &str, expected: &str) -> Value {
    for _ in 0..200 {
        let usd = wallet(server, session, "USD").unwrap();
        if usd["debt"] == expected {
            return usd;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!(
        "debt never became {expected}: {:?}",
        wallet(server, session, "USD")
    );
}

fn settled_events(store: &farthing::storage::memory::MemoryStore) -> (usize, usize) {
    use farthing::domain::event::Event;
    let events = store.read_from(1, 1_000_000).unwrap();
    let count = |settled: bool| {
        events
            .iter()
            .filter(|recorded| match recorded.event.as_ref() {
                Event::DepositSettled { .. } => settled,
                Event::DepositReturned { .. } => !settled,
                _ => false,
            })
            .count()
    };
    (count(true), count(false))
}

#[test]
fn a_bank_debit_returned_after_its_money_was_spent_leaves_a_debt_repaid_first() {
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let vendor = server.vendor("news.example");
    let member = server.member("debit@example.com", "UTC", "0");
    let buyer = server.buyer_token(&member.session, &vendor);
    let settles = save_bank(&server, &member.session, "DE89 3704 0044 0532 0130 00");
    let returns = save_bank(&server, &member.session, "de62370400440532013001");

    let first = add_funds(&server, &member.session, "10.00", &settles);
    assert_eq!(
        (first.status, first.body["status"].as_str()),
        (201, Some("pending")),
        "{:?}",
        first.body
    );
    assert_eq!(
        buy(&server, &vendor, &buyer, "4.00", "USD")["status"],
        200,
        "unsettled money buys"
    );
    let second = add_funds(&server, &member.session, "5.00", &returns);
    assert_eq!(second.body["status"], "pending");
    assert_eq!(second.body["balance"], "11.00");
    assert_eq!(buy(&server, &vendor, &buyer, "9.00", "USD")["status"], 200);
    assert_eq!(server.balance(&member), "2.00");
    assert_eq!(
        settled_events(&store),
        (0, 0),
        "nothing settles before its time"
    );

    // A minute later the bank answers: the first settles, the second comes back. The 2.00 the
    // balance still holds is taken back; the 3.00 already spent is owed.
    server
        .clock
        .advance_ms(farthing::payments::TEST_BANK_SETTLE_MS);
    let owed = wait_for_debt(&server, &member.session, "3.00");
    assert_eq!(
        (owed["paid"].as_str(), owed["available"].as_str()),
        (Some("0.00"), Some("0.00"))
    );
    assert_eq!(settled_events(&store), (1, 1));
    let blocked = buy(&server, &vendor, &buyer, "0.01", "USD");
    assert_eq!(
        (blocked["status"].as_u64(), blocked["body"]["code"].as_str()),
        (Some(402), Some("debt_outstanding"))
    );
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["member_debts"], "3.00");
    assert_eq!(totals["currencies"][0]["deposits_returned"], "5.00");

    // The next deposit repays the debt first; the rest is the member's.
    let card = save_card(&server, &member.session, "4242424242424242");
    let card = card.body["payment_method_id"].as_str().unwrap();
    let repaid = add_funds(&server, &member.session, "5.00", card);
    assert_eq!(
        (repaid.status, repaid.body["balance"].as_str()),
        (201, Some("2.00"))
    );
    let usd = wallet(&server, &member.session, "USD").unwrap();
    assert_eq!(
        (usd["debt"].as_str(), usd["available"].as_str()),
        (Some("0.00"), Some("2.00"))
    );
    assert_eq!(buy(&server, &vendor, &buyer, "0.01", "USD")["status"], 200);
    server.totals_conserved();

    // Bad bank accounts are refused by field.
    for (body, param) in [
        (
            json!({"kind": "bank", "iban": "DE89370400440532013001", "name": "Ana"}),
            "iban",
        ),
        (
            json!({"kind": "bank", "iban": "DE8937", "name": "Ana"}),
            "iban",
        ),
        (
            json!({"kind": "bank", "iban": "DE89370400440532013000"}),
            "name",
        ),
        (
            json!({"kind": "bank", "iban": "DE89370400440532013000", "name": " "}),
            "name",
        ),
    ] {
        let refused = server.post(
            "/v1/members/me/payment-methods",
            Some(&member.session),
            &body,
        );
        assert_eq!(
            (refused.status, refused.body["param"].as_str()),
            (400, Some(param)),
            "{body}"
        );
    }
}

#[test]
fn an_unsettled_debit_is_watched_again_after_a_crash_and_settles_once() {
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let member = server.member("crash-debit@example.com", "UTC", "0");
    let bank = save_bank(&server, &member.session, "DE89370400440532013000");
    let accepted = add_funds(&server, &member.session, "7.00", &bank);
    assert_eq!(accepted.body["status"], "pending");
    let (server, survivor) = server.crash_restart(&store);
    assert_eq!(
        server.balance(&member),
        "7.00",
        "the accepted debit is credited"
    );
    server
        .clock
        .advance_ms(farthing::payments::TEST_BANK_SETTLE_MS);
    for _ in 0..200 {
        if settled_events(&survivor) == (1, 0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(settled_events(&survivor), (1, 0));
    let (server, survivor) = server.crash_restart(&survivor);
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        settled_events(&survivor),
        (1, 0),
        "settled once, not again after a restart"
    );
    assert_eq!(server.balance(&member), "7.00");
    server.totals_conserved();
}

fn add_funds_keyed(
    server: &TestServer,
    session: &str,
    amount: &str,
    method: &str,
    key: &str,
) -> common::Reply {
    let body = json!({"amount": amount, "currency": "USD", "payment_method_id": method});
    server.post_keyed("/v1/members/me/deposits", session, &body, Some(key))
}

#[test]
fn a_keyed_deposit_retried_moves_money_once_also_after_a_restart() {
    let payments = farthing::payments::TestProcessor::default();
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory_paying(store.clone(), payments.clone());
    let member = server.member("retry@example.com", "UTC", "0");
    let visa = save_card(&server, &member.session, "4242424242424242");
    let visa = visa.body["payment_method_id"].as_str().unwrap().to_owned();
    let declining = save_card(&server, &member.session, "4000000000009995");
    let declining = declining.body["payment_method_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let first = add_funds_keyed(&server, &member.session, "5.00", &visa, "topup-1");
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = add_funds_keyed(&server, &member.session, "5.00", &visa, "topup-1");
    assert_eq!((retry.status, &retry.body), (201, &first.body));
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let other_body = add_funds_keyed(&server, &member.session, "6.00", &visa, "topup-1");
    assert_eq!(
        (other_body.status, other_body.code()),
        (409, "idempotency_key_reused")
    );
    let declined = add_funds_keyed(&server, &member.session, "1.00", &declining, "topup-2");
    assert_eq!(declined.body["decline_code"], "insufficient_funds");
    assert_eq!(payments.charges(), 2);
    assert_eq!(server.balance(&member), "5.00");

    // After a restart the answers come from the account's durable record: the same deposit,
    // no second charge, the same decline.
    let (server, survivor) = server.crash_restart_paying(&store, payments.clone());
    let session = server.sign_in("retry@example.com", "absolute");
    let after = add_funds_keyed(&server, &session, "5.00", &visa, "topup-1");
    assert_eq!(after.status, 201, "{:?}", after.body);
    assert_eq!(after.body["deposit_id"], first.body["deposit_id"]);
    assert_eq!(after.body["status"], "credited");
    let declined_again = add_funds_keyed(&server, &session, "1.00", &declining, "topup-2");
    assert_eq!(
        (
            declined_again.status,
            declined_again.body["decline_code"].as_str()
        ),
        (402, Some("insufficient_funds"))
    );
    let reused = add_funds_keyed(&server, &session, "7.00", &visa, "topup-1");
    assert_eq!(reused.code(), "idempotency_key_reused");
    assert_eq!(payments.charges(), 2, "no retry charged again");
    assert_eq!(server.balance(&member), "5.00", "no retry credited again");
    // A new key is a new deposit.
    let fresh = add_funds_keyed(&server, &session, "5.00", &visa, "topup-3");
    assert_eq!(
        (fresh.status, fresh.body["balance"].as_str()),
        (201, Some("10.00"))
    );
    assert_ne!(fresh.body["deposit_id"], first.body["deposit_id"]);
    // Keys are scoped to the member: another member's same key is its own.
    let other = server.member("other@example.com", "UTC", "0");
    let card = save_card(&server, &other.session, "4242424242424242");
    let card = card.body["payment_method_id"].as_str().unwrap();
    let theirs = add_funds_keyed(&server, &other.session, "5.00", card, "topup-1");
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);
    assert_ne!(theirs.body["deposit_id"], first.body["deposit_id"]);
    drop(survivor);
    server.totals_conserved();
}

#[test]
fn an_authorize_short_of_funds_tops_off_when_the_member_turned_it_on() {
    let payments = farthing::payments::TestProcessor::default();
    let server = TestServer::start_memory_paying(
        farthing::storage::memory::MemoryStore::new(),
        payments.clone(),
    );
    let vendor = server.vendor("news.example");
    let member = server.member("topoff@example.com", "UTC", "0.10");
    let buyer = server.buyer_token(&member.session, &vendor);
    let visa = save_card(&server, &member.session, "4242424242424242");
    let visa = visa.body["payment_method_id"].as_str().unwrap().to_owned();
    let set = |body: Value, currency: &str| {
        server.put(
            &format!("/v1/members/me/wallets/{currency}/top-off"),
            Some(&member.session),
            &body,
        )
    };

    let short = buy(&server, &vendor, &buyer, "1.00", "USD");
    assert_eq!(
        short["body"]["code"], "insufficient_funds",
        "off by default"
    );
    assert_eq!(payments.charges(), 0);

    let on = set(
        json!({"enabled": true, "top_off_amount": "5.00", "payment_method_id": visa}),
        "USD",
    );
    assert_eq!(on.status, 200, "{:?}", on.body);
    assert_eq!(
        on.body["top_off"],
        json!({"enabled": true, "top_off_amount": "5.00", "payment_method_id": visa})
    );
    // Short by 0.90: the card is charged 0.90 + 5.00, then the purchase goes through.
    let bought = buy(&server, &vendor, &buyer, "1.00", "USD");
    assert_eq!(bought["status"], 200, "{bought:?}");
    assert_eq!(payments.charges(), 1);
    assert_eq!(server.balance(&member), "5.00");
    // Enough funds: no top-off.
    assert_eq!(buy(&server, &vendor, &buyer, "2.00", "USD")["status"], 200);
    assert_eq!(payments.charges(), 1);

    let declining = save_card(&server, &member.session, "4000000000000002");
    let declining = declining.body["payment_method_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let swapped = set(
        json!({"enabled": true, "top_off_amount": "1.00", "payment_method_id": declining}),
        "USD",
    );
    assert_eq!(swapped.status, 200, "{:?}", swapped.body);
    let declined = buy(&server, &vendor, &buyer, "9.00", "USD");
    assert_eq!(
        (
            declined["status"].as_u64(),
            declined["body"]["decline_code"].as_str()
        ),
        (Some(402), Some("card_declined"))
    );
    assert_eq!(
        server.balance(&member),
        "3.00",
        "nothing bought, nothing credited"
    );

    for (body, currency, code) in [
        (
            json!({"enabled": true, "top_off_amount": "1.00", "payment_method_id": "pm_0000000000000009"}),
            "USD",
            "payment_method_unknown",
        ),
        (
            json!({"enabled": true, "top_off_amount": "1.00", "payment_method_id": visa}),
            "EUR",
            "wallet_missing",
        ),
        (
            json!({"enabled": true, "top_off_amount": "500.01", "payment_method_id": visa}),
            "USD",
            "amount_too_large",
        ),
        (
            json!({"enabled": true, "payment_method_id": visa}),
            "USD",
            "invalid_field",
        ),
        (
            json!({"enabled": true, "top_off_amount": "1.00"}),
            "USD",
            "invalid_field",
        ),
    ] {
        let refused = set(body.clone(), currency);
        assert_eq!(refused.code(), code, "{body}: {:?}", refused.body);
    }
    let off = set(json!({"enabled": false}), "USD");
    assert_eq!((off.status, &off.body["top_off"]), (200, &Value::Null));
    let short_again = buy(&server, &vendor, &buyer, "9.00", "USD");
    assert_eq!(short_again["body"]["code"], "insufficient_funds");
    server.totals_conserved();
}

fn cash_out(server: &TestServer, session: &str, body: &Value, key: Option<&str>) -> common::Reply {
    server.post_keyed("/v1/members/me/cash-outs", session, body, key)
}

#[test]
fn cash_out_pays_settled_balance_less_its_charge_and_never_credit_or_unsettled_money() {
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let member = server.member("cashout@example.com", "UTC", "0");
    let visa = save_card(&server, &member.session, "4242424242424242");
    let visa = visa.body["payment_method_id"].as_str().unwrap().to_owned();
    assert_eq!(
        add_funds(&server, &member.session, "30.00", &visa).status,
        201
    );
    let bank = save_bank(&server, &member.session, "DE89370400440532013000");
    let pending = add_funds(&server, &member.session, "10.00", &bank);
    assert_eq!(pending.body["status"], "pending");
    let line = server.put(
        &format!("/admin/v1/members/{}/credit-line", member.id),
        Some(&server.admin_key),
        &json!({"currency": "USD", "limit": "5.00"}),
    );
    assert_eq!(line.status, 200, "{:?}", line.body);
    let inline = |amount: &str| {
        json!({"amount": amount, "currency": "USD",
               "bank_account": {"iban": "GB82 WEST 1234 5698 7654 32", "name": "Ana Lima"}})
    };

    // 40.00 held, 10.00 of it unsettled, a 5.00 credit line: 30.00 can leave.
    let too_much = cash_out(&server, &member.session, &inline("30.01"), None);
    assert_eq!(
        (too_much.status, too_much.code()),
        (402, "insufficient_funds")
    );
    let tiny = cash_out(&server, &member.session, &inline("0.50"), None);
    assert_eq!((tiny.status, tiny.code()), (422, "cash_out_below_charge"));
    // 1% of 20.00 is 0.20, below the 0.50 floor.
    let first = cash_out(&server, &member.session, &inline("20.00"), Some("out-1"));
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(
        (first.body["charge"].as_str(), first.body["net"].as_str()),
        (Some("0.50"), Some("19.50"))
    );
    assert!(
        first.body["cash_out_id"]
            .as_str()
            .unwrap()
            .starts_with("co_")
    );
    let retry = cash_out(&server, &member.session, &inline("20.00"), Some("out-1"));
    assert_eq!((retry.status, &retry.body), (201, &first.body));
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(server.balance(&member), "20.00");
    // To the saved bank account: 1% of 10.00 rounded is still the 0.50 floor.
    let saved = json!({"amount": "10.00", "currency": "USD", "payment_method_id": bank});
    let second = cash_out(&server, &member.session, &saved, None);
    assert_eq!(
        (second.status, second.body["net"].as_str()),
        (201, Some("9.50"))
    );
    // What is left is the unsettled debit: it cannot leave, nor can the credit line.
    let unsettled = cash_out(&server, &member.session, &inline("1.00"), None);
    assert_eq!(unsettled.code(), "insufficient_funds");
    let to_card = json!({"amount": "1.00", "currency": "USD", "payment_method_id": visa});
    assert_eq!(
        cash_out(&server, &member.session, &to_card, None).code(),
        "payment_method_unknown"
    );
    for (body, param) in [
        (json!({"amount": "1.00", "currency": "USD"}), "bank_account"),
        (
            json!({"amount": "1.00", "currency": "USD", "payment_method_id": bank,
                   "bank_account": {"iban": "GB82WEST12345698765432", "name": "Ana"}}),
            "bank_account",
        ),
        (
            json!({"amount": "1.00", "currency": "USD",
                   "bank_account": {"iban": "GB82WEST12345698765433", "name": "Ana"}}),
            "iban",
        ),
        (
            json!({"amount": "0", "currency": "USD", "payment_method_id": bank}),
            "amount",
        ),
    ] {
        let refused = cash_out(&server, &member.session, &body, None);
        assert_eq!(
            (refused.status, refused.body["param"].as_str()),
            (400, Some(param)),
            "{body}"
        );
    }
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["cash_outs"], "29.00");
    assert_eq!(totals["currencies"][0]["cash_out_charges"], "1.00");
    let journal = format!("{:?}", store.read_from(1, 1_000_000).unwrap());
    assert!(
        !journal.contains("WEST12345698765432"),
        "the IBAN is not kept"
    );

    // After a restart the key still finds the first cash-out: nothing leaves twice.
    let (server, _survivor) = server.crash_restart(&store);
    let session = server.sign_in("cashout@example.com", "absolute");
    let after = cash_out(&server, &session, &inline("20.00"), Some("out-1"));
    assert_eq!((after.status, &after.body), (201, &first.body));
    assert_eq!(server.balance(&member), "10.00");
    server.totals_conserved();
}

#[test]
fn an_authorize_says_how_it_was_paid_balance_first_then_credit() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("split@example.com", "UTC", "0.30");
    let line = server.put(
        &format!("/admin/v1/members/{}/credit-line", member.id),
        Some(&server.admin_key),
        &json!({"currency": "USD", "limit": "1.00"}),
    );
    assert_eq!(line.status, 200, "{:?}", line.body);
    let buyer = server.buyer_token(&member.session, &vendor);
    let first = server.authorize(&vendor, &buyer, "0.50", "/a/1");
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(
        first.body["paid_from"],
        json!({"incentive": "0.00", "balance": "0.30", "credit": "0.20"})
    );
    // All on credit now; owning it again costs nothing from anywhere.
    let second = server.authorize(&vendor, &buyer, "0.10", "/a/2");
    assert_eq!(
        second.body["paid_from"],
        json!({"incentive": "0.00", "balance": "0.00", "credit": "0.10"})
    );
    let owned = server.authorize(&vendor, &buyer, "0.50", "/a/1");
    assert_eq!(owned.body["already_owned"], true);
    assert_eq!(
        owned.body["paid_from"],
        json!({"incentive": "0.00", "balance": "0.00", "credit": "0.00"})
    );
}
