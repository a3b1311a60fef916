//! Recovery from snapshots and the events after them, on the in-memory store, where a crash
//! can be taken at any instant: the new node starts on a copy of what the store held then.
//!
//! - snapshots + replay equal a full replay (`recovery::check`), and a restarted node serves
//!   exactly what the old one acknowledged;
//! - crashes at arbitrary moments, including while snapshots are refused or half taken, lose
//!   nothing;
//! - `check` names a tampered snapshot.
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
use farthing::domain::ids::AccountId;
use farthing::domain::money::Balance;
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
