//! Recovery from snapshots and the events after them, on the in-memory store, where a crash
//! can be taken at any instant: the new node starts on a copy of what the store held then.
//!
//! - snapshots + replay equal a full replay (`recovery::check`), and a restarted node serves
//!   exactly what the old one acknowledged;
//! - crashes at arbitrary moments, including while snapshots are refused or half taken, lose
//!   nothing;
//! - `check` names a tampered snapshot;
//! - a deposit a crash left started and unfinished is resolved at start, exactly once.
//!
//! The same with fjall and a real SIGKILL is `tests/crash.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::{Member, TestServer, Vendor};
use farthing::actors::messages::DepositStart;
use farthing::clock::Clock;
use farthing::domain::account::StartDeposit;
use farthing::domain::ids::{AccountId, DepositId, PaymentMethodId};
use farthing::domain::money::{Amount, Balance, Currency};
use farthing::domain::payment_method::SavedMethod;
use farthing::payments::{Charge, PaymentProcessor, TestProcessor};
use farthing::storage::memory::MemoryStore;
use farthing::storage::port::Journal;
use farthing::storage::recovery;
use serde_json::{Value, json};

/// What a vendor and its members look like from outside, to compare across a restart.
fn picture(server: &TestServer, vendors: &[Vendor], members: &[Member]) -> Value {
    let balances: BTreeMap<String, String> = members
        .iter()
        .map(|member| (member.id.clone(), server.balance(member)))
        .collect();
    let summaries: Vec<Value> = vendors
        .iter()
        .map(|vendor| {
            let reply = server.get("/v1/vendors/me/summary", Some(&vendor.key));
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            reply.body
        })
        .collect();
    let totals = server.totals_conserved();
    json!({"balances": balances, "summaries": summaries, "totals": totals})
}

/// Purchases, views, an offer, a reversal and a retried idempotent purchase across members.
fn activity(
    server: &TestServer,
    vendors: &[Vendor],
    members: &[Member],
    round: usize,
) -> Vec<(String, String)> {
    let mut bought = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let vendor = &vendors[i % vendors.len()];
        let buyer = server.buyer_token(&member.session, vendor);
        for n in 0..3 {
            let path = format!("/r{round}/m{i}/{n}");
            let reply = server.post(
                "/v1/authorize",
                Some(&vendor.key),
                &json!({"buyer_token": buyer, "price": format!("0.0{}", n + 1), "currency": "USD",
                        "content_url": format!("https://{}{path}", vendor.domain), "title": "t",
                        "views": 2}),
            );
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            let id = reply.body["authorization_id"].as_str().unwrap().to_owned();
            let access = json!({"access_token": reply.body["access_token"],
                                "content_url": format!("https://{}{path}", vendor.domain)});
            assert_eq!(
                server.post("/v1/access", Some(&vendor.key), &access).status,
                200
            );
            bought.push((vendor.key.clone(), id));
        }
        // The same key twice charges once.
        let key = format!("idem-{round}-{i}");
        for _ in 0..2 {
            let reply = server.request(
                "POST",
                "/v1/authorize",
                Some(&vendor.key),
                Some(
                    &json!({"buyer_token": buyer, "price": "0.05", "currency": "USD",
                             "content_url": format!("https://{}/idem/{round}/{i}", vendor.domain),
                             "title": "t"})
                    .to_string(),
                ),
                &[("Idempotency-Key", &key)],
            );
            assert_eq!(reply.status, 200, "{:?}", reply.body);
        }
    }
    // An offer bought by id, and a reversal.
    let vendor = &vendors[0];
    let offer = server.post(
        "/v1/offers",
        Some(&vendor.key),
        &json!({"title": "Offered", "price": "0.07", "currency": "USD",
                "content_url": format!("https://{}/offered/{round}", vendor.domain)}),
    );
    assert_eq!(offer.status, 201, "{:?}", offer.body);
    let buyer = server.buyer_token(&members[0].session, vendor);
    let by_offer = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "offer_id": offer.body["offer_id"]}),
    );
    assert_eq!(by_offer.status, 200, "{:?}", by_offer.body);
    let (_, first) = &bought[0];
    let reversal = server.post(
        &format!("/admin/v1/authorizations/{first}/reversal"),
        Some(&server.admin_key),
        &json!({"reason": "test"}),
    );
    assert_eq!(reversal.status, 200, "{:?}", reversal.body);
    bought
}

fn setup(server: &TestServer) -> (Vec<Vendor>, Vec<Member>) {
    let vendors = vec![server.vendor("one.example"), server.vendor("two.example")];
    let members = (0..4)
        .map(|i| server.member(&format!("m{i}@example.com"), "UTC", "50.00"))
        .collect();
    (vendors, members)
}

/// Lets the snapshot timers and the feed's checkpoint run.
fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

fn check_ok(store: &Arc<MemoryStore>) -> recovery::CheckReport {
    let report = recovery::check(store.as_ref(), store.as_ref()).unwrap();
    assert!(report.ok(), "check found: {:?}", report.mismatches);
    report
}

#[test]
fn snapshots_and_replay_equal_a_full_replay_and_a_restart_serves_the_same() {
    let store = MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let (vendors, members) = setup(&server);
    let bought = activity(&server, &vendors, &members, 0);
    settle();
    let before = picture(&server, &vendors, &members);
    let report = check_ok(&store);
    assert!(
        report.snapshots > members.len(),
        "snapshots were taken: {}",
        report.snapshots
    );
    assert!(!store.accounts_with_snapshots().is_empty());

    let recovered = recovery::recover(store.as_ref(), store.as_ref()).unwrap();
    assert!(
        recovered.replayed < report.events,
        "recovery replays only after the checkpoints: {} of {}",
        recovered.replayed,
        report.events
    );

    let (server, survivor) = server.crash_restart(&store);
    assert_eq!(server.get("/readyz", None).status, 200);
    assert_eq!(picture(&server, &vendors, &members), before);
    for (key, id) in &bought {
        let found = server.get(&format!("/v1/authorizations/{id}"), Some(key));
        assert_eq!(found.status, 200, "{id}: {:?}", found.body);
    }
    // The directory survived: every member signs in by e-mail.
    for member in &members {
        server.sign_in(&member.email, "idle");
    }
    // And the restarted node keeps taking work on the same streams.
    activity(&server, &vendors, &members, 1);
    settle();
    check_ok(&survivor);
}

#[test]
fn crashes_at_any_moment_and_during_snapshots_lose_nothing() {
    let mut store = MemoryStore::new();
    let mut server = TestServer::start_memory(store.clone());
    let (vendors, members) = setup(&server);
    for round in 0..4 {
        // Snapshots are refused (as when their queue is full, or the process dies while
        // writing them) for half of the rounds, and the crash comes right after the writes.
        store.refuse_snapshots(round % 2 == 1);
        activity(&server, &vendors, &members, round);
        if round == 2 {
            settle();
        }
        let before = picture(&server, &vendors, &members);
        let (next, survivor) = server.crash_restart(&store);
        server = next;
        store = survivor;
        assert_eq!(server.get("/readyz", None).status, 200);
        assert_eq!(
            picture(&server, &vendors, &members),
            before,
            "round {round}"
        );
        check_ok(&store);
    }
}

#[test]
fn check_names_a_tampered_snapshot() {
    let store = MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let (vendors, members) = setup(&server);
    activity(&server, &vendors, &members, 0);
    settle();
    check_ok(&store);
    let tampered: AccountId = *store.accounts_with_snapshots().first().unwrap();
    assert!(store.rewrite_account_snapshot(tampered, |state| {
        if let Some(wallet) = state.wallets.values_mut().next() {
            wallet.balance = Balance::from_micros(wallet.balance.micros() + 1);
        }
    }));
    let report = recovery::check(store.as_ref(), store.as_ref()).unwrap();
    assert!(!report.ok());
    assert!(
        report
            .mismatches
            .iter()
            .any(|m| m.contains(&tampered.to_string()) && m.contains("snapshot")),
        "{:?}",
        report.mismatches
    );
    drop(server);
}

#[test]
fn every_owner_stream_is_checked_for_order() {
    let store = MemoryStore::new();
    let server = TestServer::start_memory(store.clone());
    let (vendors, members) = setup(&server);
    activity(&server, &vendors, &members, 0);
    // Every owner's events are at consecutive positions from 0, in journal order.
    let mut next: BTreeMap<String, u64> = BTreeMap::new();
    for recorded in store.read_from(1, 1_000_000).unwrap() {
        let owner = recorded.event.owner().to_string();
        let expected = next.entry(owner.clone()).or_insert(0);
        assert_eq!(recorded.position, *expected, "{owner}");
        *expected += 1;
    }
    assert!(next.len() >= members.len() + vendors.len());
}

/// A member with two test cards saved (one the test processor approves, one it declines),
/// on a server charging through `payments`.
fn paying_member(server: &TestServer) -> (Member, AccountId, [PaymentMethodId; 2]) {
    let member = server.member("payer@example.com", "UTC", "1.00");
    let save = |number: &str| {
        let saved = server.post(
            "/v1/members/me/payment-methods",
            Some(&member.session),
            &json!({"kind": "card", "number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}),
        );
        assert_eq!(saved.status, 201, "{:?}", saved.body);
        saved.body["payment_method_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    let cards = [save("4242424242424242"), save("4000000000000002")];
    let account: AccountId = member.id.parse().unwrap();
    (member, account, cards)
}

/// Journals `DepositStarted` through the member's actor, as the buy window does before it
/// calls the processor; the test then plays the crash (no outcome is ever journaled).
fn start_deposit(
    server: &TestServer,
    account: AccountId,
    method: PaymentMethodId,
    deposit: DepositId,
    amount: u64,
) -> SavedMethod {
    let app = &server.node.as_ref().unwrap().app;
    let command = StartDeposit {
        deposit,
        currency: Currency::parse("USD").unwrap(),
        amount: Amount::from_micros(amount),
        method,
        amount_max: app.config.buy_window.charge_max,
        idempotency: None,
        via: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime.block_on(app.registry.start_deposit(account, command)) {
        Ok(DepositStart::Started(method)) => method,
        other => panic!("the deposit did not start: {other:?}"),
    }
}

fn open_deposits(store: &Arc<MemoryStore>) -> Vec<(AccountId, DepositId)> {
    recovery::recover(store.as_ref(), store.as_ref())
        .unwrap()
        .open_deposits
}

/// The crash that loses money when a charge comes before its record: the processor charged,
/// the outcome never reached the journal. Start-up asks the processor again with the same
/// key (which charges nothing more), credits once, and the next restart has nothing to do.
#[test]
fn a_deposit_charged_but_not_credited_at_a_crash_is_credited_once_at_start() {
    let store = MemoryStore::new();
    let payments = TestProcessor::default();
    let server = TestServer::start_memory_paying(store.clone(), payments.clone());
    let (member, account, [approving, _]) = paying_member(&server);
    let deposit = DepositId(0x0de9_0517);
    let method = start_deposit(&server, account, approving, deposit, 2_500_000);
    // The charge the request made before the process died.
    payments
        .charge(&Charge {
            key: deposit,
            account,
            method,
            amount: Amount::from_micros(2_500_000),
            currency: Currency::parse("USD").unwrap(),
            started_at: server.clock.now(),
        })
        .unwrap();
    assert_eq!(payments.charges(), 1);
    assert_eq!(server.balance(&member), "1.00");
    assert_eq!(open_deposits(&store), vec![(account, deposit)]);

    let (server, survivor) = server.crash_restart_paying(&store, payments.clone());
    assert_eq!(server.balance(&member), "3.50");
    assert_eq!(payments.charges(), 1, "the card is charged once");
    assert!(open_deposits(&survivor).is_empty());
    check_ok(&survivor);

    let (server, survivor) = server.crash_restart_paying(&survivor, payments.clone());
    assert_eq!(server.balance(&member), "3.50", "credited once");
    assert_eq!(payments.charges(), 1);
    check_ok(&survivor);
    server.totals_conserved();
}

/// A crash after the deposit was journaled as started but before the processor was called:
/// start-up makes the one charge; a decline is journaled with its reason and credits nothing.
#[test]
fn a_started_deposit_never_charged_is_charged_once_at_start_and_a_decline_credits_nothing() {
    let store = MemoryStore::new();
    let payments = TestProcessor::default();
    let server = TestServer::start_memory_paying(store.clone(), payments.clone());
    let (member, account, [approving, declining]) = paying_member(&server);
    start_deposit(
        &server,
        account,
        approving,
        DepositId(0x0de9_0001),
        2_000_000,
    );
    start_deposit(
        &server,
        account,
        declining,
        DepositId(0x0de9_0002),
        1_130_000,
    );
    // A checkpoint in between: the open deposits are found from it too.
    settle();
    assert_eq!(open_deposits(&store).len(), 2);
    assert_eq!(payments.charges(), 0);

    let (server, survivor) = server.crash_restart_paying(&store, payments.clone());
    assert_eq!(server.balance(&member), "3.00");
    assert_eq!(payments.charges(), 2, "one call per deposit");
    assert!(open_deposits(&survivor).is_empty());
    let failed = survivor
        .read_from(1, 1_000_000)
        .unwrap()
        .into_iter()
        .filter(|recorded| {
            matches!(
                recorded.event.as_ref(),
                farthing::domain::event::Event::DepositFailed { reason, .. }
                    if reason == "card_declined"
            )
        })
        .count();
    assert_eq!(failed, 1);
    check_ok(&survivor);

    let (server, survivor) = server.crash_restart_paying(&survivor, payments.clone());
    assert_eq!(server.balance(&member), "3.00");
    assert_eq!(payments.charges(), 2);
    check_ok(&survivor);
    server.totals_conserved();
}
