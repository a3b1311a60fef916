//! Transfers between members over HTTP ([0272]-[0273]): a real node on 127.0.0.1:0. Money
//! leaves the sender's settled balance once, reaches the recipient once (also across a crash
//! between the two sides), and every refusal answers its own status and code.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Reply, TestServer};
use serde_json::{Value, json};

fn transfer(server: &TestServer, session: &str, body: &Value, key: Option<&str>) -> Reply {
    server.post_keyed("/v1/members/me/transfers", session, body, key)
}

fn to(email: &str, amount: &str, currency: &str) -> Value {
    json!({"to_email": email, "amount": amount, "currency": currency, "note": "for lunch"})
}

/// The member's wallet in `currency`, as `GET /v1/members/me` shows it.
fn wallet(server: &TestServer, session: &str, currency: &str) -> Option<Value> {
    server.wallet(session, currency)
}

fn paid(server: &TestServer, session: &str, currency: &str) -> String {
    wallet(server, session, currency).unwrap()["paid"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits (bounded) until the member's wallet in `currency` shows `expected` as paid.
fn wait_for_paid(server: &TestServer, session: &str, currency: &str, expected: &str) {
    for _ in 0..200 {
        if wallet(server, session, currency).is_some_and(|w| w["paid"] == expected) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!(
        "the {currency} wallet never showed {expected}: {:?}",
        wallet(server, session, currency)
    );
}

#[test]
fn a_transfer_moves_money_once_and_opens_the_recipients_wallet() {
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let ana = server.member("ana@example.com", "UTC", "20.00");
    let bea = server.member("bea@example.com", "UTC", "1.00");

    let sent = transfer(
        &server,
        &ana.session,
        &to("Bea@Example.com ", "7.50", "USD"),
        None,
    );
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    assert!(
        sent.body["transfer_id"]
            .as_str()
            .unwrap()
            .starts_with("tr_")
    );
    assert_eq!(
        (
            sent.body["balance"].as_str(),
            sent.body["currency"].as_str()
        ),
        (Some("12.50"), Some("USD"))
    );
    assert_eq!(paid(&server, &bea.session, "USD"), "8.50");

    // The recipient has no euro wallet: it opens on receipt.
    let opened = server.post(
        "/v1/members/me/wallets",
        Some(&ana.session),
        &json!({"currency": "EUR"}),
    );
    assert_eq!(opened.status, 201, "{:?}", opened.body);
    let deposit = server.post(
        &format!("/admin/v1/members/{}/deposits", ana.id),
        Some(&server.admin_key),
        &json!({"amount": "10.00", "currency": "EUR", "reference": "eur-1"}),
    );
    assert_eq!(deposit.status, 201, "{:?}", deposit.body);
    assert!(wallet(&server, &bea.session, "EUR").is_none());
    let keyed = transfer(
        &server,
        &ana.session,
        &to("bea@example.com", "4.00", "EUR"),
        Some("gift-1"),
    );
    assert_eq!(keyed.status, 201, "{:?}", keyed.body);
    assert_eq!(keyed.body["balance"], "6.00");
    assert_eq!(
        wallet(&server, &bea.session, "EUR").unwrap(),
        json!({"currency": "EUR", "paid": "4.00", "incentive": "0.00", "credit_line": "0.00",
               "debt": "0.00", "available": "4.00", "top_off": null})
    );
    let retry = transfer(
        &server,
        &ana.session,
        &to("bea@example.com", "4.00", "EUR"),
        Some("gift-1"),
    );
    assert_eq!((retry.status, &retry.body), (201, &keyed.body));
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let reused = transfer(
        &server,
        &ana.session,
        &to("bea@example.com", "5.00", "EUR"),
        Some("gift-1"),
    );
    assert_eq!(
        (reused.status, reused.code()),
        (409, "idempotency_key_reused")
    );

    // After a crash the key is answered from the sender's durable record: no second move.
    let (server, survivor) = server.crash_restart(&store);
    let ana_session = server.sign_in("ana@example.com", "absolute");
    let bea_session = server.sign_in("bea@example.com", "absolute");
    let after = transfer(
        &server,
        &ana_session,
        &to("bea@example.com", "4.00", "EUR"),
        Some("gift-1"),
    );
    assert_eq!(after.status, 201, "{:?}", after.body);
    assert_eq!(after.body["transfer_id"], keyed.body["transfer_id"]);
    assert_eq!(paid(&server, &ana_session, "EUR"), "6.00");
    assert_eq!(paid(&server, &bea_session, "EUR"), "4.00");
    let totals = server.totals_conserved();
    for line in totals["currencies"].as_array().unwrap() {
        assert_eq!(line["transfers_in_transit"], "0.00", "{line:?}");
    }
    drop(survivor);
}

#[test]
fn transfers_are_refused_with_their_own_codes_and_move_nothing() {
    let server = TestServer::start();
    let ana = server.member("ana@example.com", "UTC", "10.00");
    let _bea = server.member("bea@example.com", "UTC", "0");
    let cold = server.member("cold@example.com", "UTC", "0");
    let frozen = server.post("/v1/members/me/freeze", Some(&cold.session), &json!({}));
    assert_eq!(frozen.status, 200, "{:?}", frozen.body);

    let refused = |body: Value| transfer(&server, &ana.session, &body, None);
    let to_self = refused(to("ana@example.com", "1.00", "USD"));
    assert_eq!((to_self.status, to_self.code()), (422, "transfer_to_self"));
    // Unknown and frozen recipients get the same answer: nothing tells them apart.
    let unknown = refused(to("nobody@example.com", "1.00", "USD"));
    let to_frozen = refused(to("cold@example.com", "1.00", "USD"));
    assert_eq!(
        (unknown.status, unknown.code()),
        (422, "recipient_unavailable")
    );
    assert_eq!(
        (to_frozen.status, &to_frozen.body),
        (unknown.status, &unknown.body)
    );
    let too_much = refused(to("bea@example.com", "10.01", "USD"));
    assert_eq!(
        (too_much.status, too_much.code()),
        (402, "insufficient_funds")
    );
    let no_wallet = refused(to("bea@example.com", "1.00", "GBP"));
    assert_eq!(
        (no_wallet.status, no_wallet.code()),
        (409, "wallet_missing")
    );
    let unsupported = refused(to("bea@example.com", "1.00", "KWD"));
    assert_eq!(
        (unsupported.status, unsupported.code()),
        (422, "currency_unsupported")
    );
    for (body, param) in [
        (to("bea@example.com", "0", "USD"), "amount"),
        (to("bea@example.com", "1.0000001", "USD"), "amount"),
        (to("not an address", "1.00", "USD"), "to_email"),
        (to("bea@example.com", "1.00", "dollars"), "currency"),
        (
            json!({"to_email": "bea@example.com", "amount": "1.00", "currency": "USD",
                   "note": "x".repeat(141)}),
            "note",
        ),
        (
            json!({"to_email": "bea@example.com", "amount": "1.00", "currency": "USD",
                   "note": "line\nbreak"}),
            "note",
        ),
    ] {
        let reply = refused(body);
        assert_eq!(
            (reply.status, reply.body["param"].as_str()),
            (400, Some(param)),
            "{:?}",
            reply.body
        );
    }
    let no_session = server.post(
        "/v1/members/me/transfers",
        None,
        &to("bea@example.com", "1.00", "USD"),
    );
    assert_eq!(no_session.status, 401);

    // The credit line and an unsettled bank debit are not the member's to send.
    let line = server.put(
        &format!("/admin/v1/members/{}/credit-line", ana.id),
        Some(&server.admin_key),
        &json!({"currency": "USD", "limit": "5.00"}),
    );
    assert_eq!(line.status, 200, "{:?}", line.body);
    let bank = server.post(
        "/v1/members/me/payment-methods",
        Some(&ana.session),
        &json!({"kind": "bank", "iban": "DE89370400440532013000", "name": "Ana Lima"}),
    );
    assert_eq!(bank.status, 201, "{:?}", bank.body);
    let pending = server.post(
        "/v1/members/me/deposits",
        Some(&ana.session),
        &json!({"amount": "3.00", "currency": "USD",
               "payment_method_id": bank.body["payment_method_id"]}),
    );
    assert_eq!(pending.body["status"], "pending", "{:?}", pending.body);
    let beyond_settled = refused(to("bea@example.com", "10.01", "USD"));
    assert_eq!(beyond_settled.code(), "insufficient_funds");
    assert_eq!(paid(&server, &ana.session, "USD"), "13.00");

    // Transfers count toward the day limit, and purchases see them there.
    let limits = server.put(
        "/v1/members/me/limits",
        Some(&ana.session),
        &json!({"currency": "USD", "per_day": "6.00"}),
    );
    assert_eq!(limits.status, 200, "{:?}", limits.body);
    assert_eq!(
        refused(to("bea@example.com", "4.00", "USD")).status,
        201,
        "within the day's limit"
    );
    let over = refused(to("bea@example.com", "2.01", "USD"));
    assert_eq!((over.status, over.code()), (403, "limit_per_day"));
    let vendor = server.vendor("news.example");
    let buyer = server.buyer_token(&ana.session, &vendor);
    let purchase = server.authorize(&vendor, &buyer, "2.01", "/a/1");
    assert_eq!(
        (purchase.status, purchase.code()),
        (403, "limit_per_day"),
        "the transfer counted toward the purchase's limit"
    );

    // A frozen sender sends nothing.
    let freeze = server.post("/v1/members/me/freeze", Some(&ana.session), &json!({}));
    assert_eq!(freeze.status, 200);
    let session = server.sign_in("ana@example.com", "absolute");
    let from_frozen = transfer(
        &server,
        &session,
        &to("bea@example.com", "1.00", "USD"),
        None,
    );
    assert_eq!(
        (from_frozen.status, from_frozen.code()),
        (403, "account_frozen")
    );
    assert_eq!(paid(&server, &session, "USD"), "9.00");
    server.totals_conserved();
}

#[test]
fn a_transfer_cut_off_between_its_two_sides_is_received_at_start_once() {
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let ana = server.member("ana@example.com", "UTC", "10.00");
    let bea = server.member("bea@example.com", "UTC", "0");

    // Hold the journal: the sender's side is made durable, the recipient's never is.
    store.hold_appends(true);
    let (base, session) = (server.base.clone(), ana.session.clone());
    // Detached: its answer never comes (the server "dies" under it), and that is the point.
    std::thread::spawn(move || {
        let body = to("bea@example.com", "3.00", "USD").to_string();
        let _ = ureq::post(format!("{base}/v1/members/me/transfers"))
            .header("Authorization", format!("Bearer {session}"))
            .header("Content-Type", "application/json")
            .send(body);
    });
    wait_until(|| store.held_count() == 1);
    store.release_held(1);
    // The delivery's append is the next one held: the server dies before it persists.
    wait_until(|| store.held_count() == 1);
    let (server, survivor) = server.crash_restart(&store);
    // Start-up delivered it before serving: the money is the recipient's, once.
    let bea_session = server.sign_in("bea@example.com", "absolute");
    let ana_session = server.sign_in("ana@example.com", "absolute");
    assert_eq!(paid(&server, &ana_session, "USD"), "7.00");
    assert_eq!(paid(&server, &bea_session, "USD"), "3.00");
    let received = |store: &farthing::storage::memory::MemoryStore| {
        use farthing::storage::port::Journal;
        store
            .read_from(0, 100_000)
            .unwrap()
            .iter()
            .filter(|recorded| {
                matches!(
                    recorded.event.as_ref(),
                    farthing::domain::event::Event::TransferReceived(_)
                )
            })
            .count()
    };
    assert_eq!(received(&survivor), 1);
    // A clean restart finds nothing in transit and credits nothing again.
    let (server, again) = server.crash_restart(&survivor);
    let bea_session = server.sign_in("bea@example.com", "absolute");
    wait_for_paid(&server, &bea_session, "USD", "3.00");
    assert_eq!(received(&again), 1);
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["transfers_in_transit"], "0.00");
    drop(bea);
}

/// Polls `done` every millisecond for up to five seconds.
fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..5_000 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("the condition never held");
}

#[test]
fn a_transfer_its_recipient_could_not_take_is_delivered_again_by_the_watcher() {
    use farthing::domain::ids::{AccountId, Owner};
    let store = farthing::storage::memory::MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let ana = server.member("ana@example.com", "UTC", "10.00");
    let bea = server.member("bea@example.com", "UTC", "0");
    let bea_id: AccountId = bea.id.parse().unwrap();

    // The recipient cannot write: the first delivery fails, the sender's side is durable.
    store.refuse_appends_of(Some(Owner::Account(bea_id)));
    let sent = transfer(
        &server,
        &ana.session,
        &to("bea@example.com", "2.00", "USD"),
        None,
    );
    assert_eq!(sent.status, 201, "{:?}", sent.body);
    assert_eq!(sent.body["balance"], "8.00");
    assert_eq!(paid(&server, &bea.session, "USD"), "0.00");
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["transfers_in_transit"], "2.00");

    // Once it can write again, the watcher delivers what has waited past
    // payments.transfer_retry_ms (50 ms in the test configuration, by the server's clock).
    store.refuse_appends_of(None);
    server.clock.advance_ms(1_000);
    wait_for_paid(&server, &bea.session, "USD", "2.00");
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["transfers_in_transit"], "0.00");
    assert_eq!(paid(&server, &ana.session, "USD"), "8.00");
}
