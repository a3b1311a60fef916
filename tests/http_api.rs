//! The HTTP API end to end: a real node on 127.0.0.1:0, driven as vendors, members and the
//! admin would. Each rejection path has its own test, checked by status and stable code.

mod common;

use std::sync::Arc;

use common::{START_MS, TestServer};
use serde_json::json;

const HOUR_MS: u64 = 3_600_000;

#[test]
fn purchase_flow_end_to_end() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("ana@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);

    let first = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": "0.25", "currency": "USD", "content_url": "https://news.example/a/1",
                "title": "Article 1", "views": 2}),
    );
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["charged"], "0.25");
    assert_eq!(first.body["already_owned"], false);
    assert_eq!(first.body["entitlement"]["views_left"], 2);
    assert!(
        first.body["member_ref"]
            .as_str()
            .unwrap()
            .starts_with("mref_")
    );
    assert!(
        first.body["authorization_id"]
            .as_str()
            .unwrap()
            .starts_with("auth_")
    );
    assert_eq!(server.balance(&member), "0.75");

    // The same content again: owned and valid, so nothing is charged.
    let again = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": "0.25", "currency": "USD", "content_url": "HTTPS://News.example:443/a/1#top",
                "title": "Article 1", "views": 2}),
    );
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["charged"], "0.00");
    assert_eq!(again.body["already_owned"], true);
    assert_eq!(
        again.body["authorization_id"],
        first.body["authorization_id"]
    );
    assert_eq!(server.balance(&member), "0.75");

    // Access check: granted, a view counted, the same token refused the second time.
    let token = first.body["access_token"].as_str().unwrap();
    let access = json!({"access_token": token, "content_url": "https://news.example/a/1"});
    let granted = server.post("/v1/access", Some(&vendor.key), &access);
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(granted.body["granted"], true);
    assert_eq!(granted.body["views_left"], 1);
    assert_eq!(granted.body["member_ref"], first.body["member_ref"]);
    let reused = server.post("/v1/access", Some(&vendor.key), &access);
    assert_eq!(reused.status, 403);
    assert_eq!(reused.code(), "access_token_used");
    // The second token (from the already-owned grant) spends the last view; a third is refused.
    let second = json!({"access_token": again.body["access_token"], "content_url": "https://news.example/a/1"});
    let last = server.post("/v1/access", Some(&vendor.key), &second);
    assert_eq!(last.status, 200, "{:?}", last.body);
    assert_eq!(last.body["views_left"], 0);
    let third = server.authorize(&vendor, &buyer, "0.25", "/a/1");
    assert_eq!(third.status, 200);
    assert_eq!(
        third.body["already_owned"], false,
        "used-up content is bought anew"
    );
    assert_eq!(server.balance(&member), "0.50");

    // The vendor summary shows two sales; the admin reverses the second.
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(summary.status, 200);
    let authorization = third.body["authorization_id"].as_str().unwrap();
    let reversal = server.post(
        &format!("/admin/v1/authorizations/{authorization}/reversal"),
        Some(&server.admin_key),
        &json!({"reason": "test"}),
    );
    assert_eq!(reversal.status, 200, "{:?}", reversal.body);
    assert_eq!(reversal.body["refunded"], "0.25");
    assert_eq!(server.balance(&member), "0.75");
    let twice = server.post(
        &format!("/admin/v1/authorizations/{authorization}/reversal"),
        Some(&server.admin_key),
        &json!({"reason": "again"}),
    );
    assert_eq!(twice.status, 409);
    assert_eq!(twice.code(), "already_reversed");
    let lookup = server.get(
        &format!("/v1/authorizations/{authorization}"),
        Some(&vendor.key),
    );
    assert_eq!(lookup.status, 200);
    assert_eq!(lookup.body["status"], "reversed");

    let totals = server.totals_conserved();
    let usd = &totals["currencies"][0];
    assert_eq!(usd["deposits"], "1.00");
    assert_eq!(usd["member_balances"], "0.75");
    assert_eq!(usd["vendor_gross"], "0.25");
    assert_eq!(usd["reversals"], "0.25");
    assert_eq!(usd["fees"], "0.0125");
    assert_eq!(usd["net_payable"], "0.2375");
}

#[test]
fn insufficient_funds_and_credit_line() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("bo@example.com", "UTC", "0.10");
    let buyer = server.buyer_token(&member.session, &vendor);
    let short = server.authorize(&vendor, &buyer, "0.11", "/a/1");
    assert_eq!(short.status, 402);
    assert_eq!(short.code(), "insufficient_funds");
    assert_eq!(short.body["type"], "/problems/insufficient_funds");
    let line = server.put(
        &format!("/admin/v1/members/{}/credit-line", member.id),
        Some(&server.admin_key),
        &json!({"currency": "USD", "limit": "0.01"}),
    );
    assert_eq!(line.status, 200, "{:?}", line.body);
    let on_credit = server.authorize(&vendor, &buyer, "0.11", "/a/1");
    assert_eq!(on_credit.status, 200, "{:?}", on_credit.body);
    assert_eq!(server.balance(&member), "-0.01");
    let beyond = server.authorize(&vendor, &buyer, "0.000001", "/a/2");
    assert_eq!(beyond.status, 402);
    server.totals_conserved();
}

fn set_limits(server: &TestServer, session: &str, limits: serde_json::Value) {
    let reply = server.put("/v1/members/me/limits", Some(session), &limits);
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[test]
fn every_limit_kind_refuses_with_its_code() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let other = server.vendor("music.example");
    let cases = [
        ("per_transaction", "limit_per_transaction"),
        ("per_session", "limit_per_session"),
        ("per_day", "limit_per_day"),
        ("per_week", "limit_per_week"),
        ("per_month", "limit_per_month"),
    ];
    for (index, (field, code)) in cases.iter().enumerate() {
        let member = server.member(&format!("limits{index}@example.com"), "UTC", "10.00");
        let mut limits = json!({"currency": "USD"});
        limits[*field] = json!("0.30");
        set_limits(&server, &member.session, limits);
        let buyer = server.buyer_token(&member.session, &vendor);
        let buyer_other = server.buyer_token(&member.session, &other);
        if *field == "per_transaction" {
            assert_eq!(
                server.authorize(&vendor, &buyer, "0.30", "/a/1").status,
                200
            );
            let refused = server.authorize(&vendor, &buyer, "0.31", "/a/2");
            assert_eq!((refused.status, refused.code()), (403, *code));
            continue;
        }
        // 0.20 at one vendor and 0.10 at another reach the limit exactly; one micro more is refused.
        assert_eq!(
            server.authorize(&vendor, &buyer, "0.20", "/a/1").status,
            200
        );
        assert_eq!(
            server
                .authorize(&other, &buyer_other, "0.10", "/s/1")
                .status,
            200
        );
        let refused = server.authorize(&other, &buyer_other, "0.000001", "/s/2");
        assert_eq!((refused.status, refused.code()), (403, *code), "{field}");
    }
}

#[test]
fn day_limit_follows_the_members_time_zone() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    // 2026-03-10T14:30Z is 23:30 in Tokyo; 15:00Z is the next day there, still the same day in UTC.
    server.clock.set(farthing::domain::time::Timestamp(
        START_MS + 14 * 3_600_000 + 30 * 60_000,
    ));
    let tokyo = server.member("tokyo@example.com", "Asia/Tokyo", "10.00");
    let utc = server.member("utc@example.com", "UTC", "10.00");
    for member in [&tokyo, &utc] {
        set_limits(
            &server,
            &member.session,
            json!({"currency": "USD", "per_day": "1.00"}),
        );
    }
    let tokyo_buyer = server.buyer_token(&tokyo.session, &vendor);
    let utc_buyer = server.buyer_token(&utc.session, &vendor);
    assert_eq!(
        server
            .authorize(&vendor, &tokyo_buyer, "1.00", "/a/1")
            .status,
        200
    );
    assert_eq!(
        server.authorize(&vendor, &utc_buyer, "1.00", "/a/1").status,
        200
    );
    assert_eq!(
        server
            .authorize(&vendor, &tokyo_buyer, "0.01", "/a/2")
            .code(),
        "limit_per_day"
    );
    server.clock.advance_ms(30 * 60_000);
    assert_eq!(
        server
            .authorize(&vendor, &tokyo_buyer, "0.01", "/a/2")
            .status,
        200,
        "a new day in Tokyo"
    );
    assert_eq!(
        server.authorize(&vendor, &utc_buyer, "0.01", "/a/2").code(),
        "limit_per_day",
        "still the same day in UTC"
    );
}

#[test]
fn frozen_account_and_allowlist_refuse() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let other = server.vendor("music.example");
    let member = server.member("cy@example.com", "UTC", "1.00");
    set_limits(
        &server,
        &member.session,
        json!({"currency": "USD", "vendors_allowed": [vendor.id]}),
    );
    let allowed = server.buyer_token(&member.session, &vendor);
    let not_allowed = server.buyer_token(&member.session, &other);
    assert_eq!(
        server.authorize(&vendor, &allowed, "0.10", "/a/1").status,
        200
    );
    let refused = server.authorize(&other, &not_allowed, "0.10", "/s/1");
    assert_eq!(
        (refused.status, refused.code()),
        (403, "vendor_not_allowed")
    );

    let frozen = server.post("/v1/members/me/freeze", Some(&member.session), &json!({}));
    assert_eq!(frozen.status, 200, "{:?}", frozen.body);
    // Freezing ends the session at once, so its buyer tokens stop working.
    let after = server.authorize(&vendor, &allowed, "0.10", "/a/2");
    assert_eq!((after.status, after.code()), (403, "session_ended"));
    let session = server.sign_in(&member.email, "absolute");
    let buyer = server.buyer_token(&session, &vendor);
    let refused = server.authorize(&vendor, &buyer, "0.10", "/a/2");
    assert_eq!((refused.status, refused.code()), (403, "account_frozen"));
    assert_eq!(
        server
            .post("/v1/members/me/unfreeze", Some(&session), &json!({}))
            .status,
        200
    );
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/2").status,
        200
    );
}

#[test]
fn ended_and_expired_sessions_refuse() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("di@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let logout = server.request(
        "DELETE",
        "/v1/sessions/current",
        Some(&member.session),
        None,
        &[],
    );
    assert_eq!(logout.status, 200, "{:?}", logout.body);
    let ended = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    assert_eq!((ended.status, ended.code()), (403, "session_ended"));
    assert_eq!(
        server.get("/v1/members/me", Some(&member.session)).status,
        401
    );

    // Idle expiry counts from the last purchase.
    let idle = server.sign_in(&member.email, "idle");
    let buyer = server.buyer_token(&idle, &vendor);
    let idle_ms = 600_000;
    server.clock.advance_ms(idle_ms - 1_000);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/1").status,
        200
    );
    server.clock.advance_ms(idle_ms - 1_000);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/2").status,
        200,
        "the purchase extended the idle session"
    );
    server.clock.advance_ms(idle_ms);
    let expired = server.authorize(&vendor, &buyer, "0.10", "/a/3");
    assert_eq!((expired.status, expired.code()), (403, "session_expired"));

    // Absolute expiry: a buyer token never outlives its session's absolute lifetime, so at
    // the session's end the token itself has expired too.
    let absolute = server.sign_in(&member.email, "absolute");
    let buyer = server.buyer_token(&absolute, &vendor);
    server.clock.advance_ms(HOUR_MS - 1);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/4").status,
        200
    );
    server.clock.advance_ms(1);
    let expired = server.authorize(&vendor, &buyer, "0.10", "/a/5");
    assert_eq!(
        (expired.status, expired.code()),
        (403, "buyer_token_expired")
    );
    assert_eq!(server.get("/v1/members/me", Some(&absolute)).status, 401);
}

#[test]
fn bad_tokens_are_refused() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let other = server.vendor("music.example");
    let member = server.member("ed@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let mut tampered = buyer.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let reply = server.authorize(&vendor, &tampered, "0.10", "/a/1");
    assert_eq!((reply.status, reply.code()), (403, "buyer_token_invalid"));
    let reply = server.authorize(&vendor, "not-a-token", "0.10", "/a/1");
    assert_eq!((reply.status, reply.code()), (403, "buyer_token_invalid"));
    // A buyer token for one vendor presented by another.
    let reply = server.authorize(&other, &buyer, "0.10", "/a/1");
    assert_eq!(reply.status, 403);
    assert!(
        matches!(
            reply.code(),
            "buyer_token_wrong_vendor" | "content_domain_unknown"
        ),
        "{}",
        reply.code()
    );
    let reply = server.post(
        "/v1/authorize",
        Some(&other.key),
        &json!({"buyer_token": buyer, "price": "0.10", "currency": "USD", "content_url": "https://music.example/x", "title": "t"}),
    );
    assert_eq!(
        (reply.status, reply.code()),
        (403, "buyer_token_wrong_vendor")
    );

    // Access tokens: wrong vendor, expired, tampered.
    let bought = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    let token = bought.body["access_token"].as_str().unwrap();
    let reply = server.post(
        "/v1/access",
        Some(&other.key),
        &json!({"access_token": token, "content_url": "https://news.example/a/1"}),
    );
    assert_eq!(
        (reply.status, reply.code()),
        (403, "access_token_wrong_vendor")
    );
    let reply = server.post(
        "/v1/access",
        Some(&vendor.key),
        &json!({"access_token": token, "content_url": "https://news.example/a/2"}),
    );
    assert_eq!((reply.status, reply.code()), (403, "content_mismatch"));
    server.clock.advance_ms(60_001);
    let reply = server.post(
        "/v1/access",
        Some(&vendor.key),
        &json!({"access_token": token, "content_url": "https://news.example/a/1"}),
    );
    assert_eq!((reply.status, reply.code()), (403, "access_token_expired"));
    let reply = server.post(
        "/v1/access",
        Some(&vendor.key),
        &json!({"access_token": format!("{token}x"), "content_url": "https://news.example/a/1"}),
    );
    assert_eq!((reply.status, reply.code()), (403, "access_token_invalid"));
}

#[test]
fn malformed_input_is_a_400_naming_the_field() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("fa@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    for price in [
        json!("0.1234567"),
        json!("-1"),
        json!(".5"),
        json!(0.1),
        json!("1e3"),
        json!("01"),
    ] {
        let reply = server.post(
            "/v1/authorize",
            Some(&vendor.key),
            &json!({"buyer_token": buyer, "price": price, "currency": "USD", "content_url": "https://news.example/a", "title": "t"}),
        );
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_amount"),
            "{price}"
        );
        assert_eq!(reply.body["param"], "price");
    }
    let reply = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": "0.10", "currency": "EUR", "content_url": "https://news.example/a", "title": "t"}),
    );
    assert_eq!((reply.status, reply.code()), (400, "currency_mismatch"));
    let reply = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": "0.10", "currency": "USD", "content_url": "https://evil.example/a", "title": "t"}),
    );
    assert_eq!(
        (reply.status, reply.code()),
        (403, "content_domain_unknown")
    );
    let reply = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some("{not json"),
        &[],
    );
    assert_eq!((reply.status, reply.code()), (400, "malformed_body"));
    let reply = server.post("/v1/authorize", Some("fk_wrong"), &json!({}));
    assert_eq!((reply.status, reply.code()), (401, "unauthenticated"));
    let reply = server.post("/admin/v1/vendors", Some("wrong"), &json!({}));
    assert_eq!(reply.status, 401);
    let huge = "x".repeat(5_000);
    let reply = server.request("POST", "/v1/authorize", Some(&vendor.key), Some(&huge), &[]);
    assert_eq!((reply.status, reply.code()), (413, "body_too_large"));
    let reply = server.get("/v1/nowhere", None);
    assert_eq!((reply.status, reply.code()), (404, "route_not_found"));
    let reply = server.get("/problems/insufficient_funds", None);
    assert_eq!(reply.status, 200);
}

#[test]
fn idempotency_replays_and_conflicts() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("gu@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let body = json!({"buyer_token": buyer, "price": "0.30", "currency": "USD", "content_url": "https://news.example/a/1", "title": "t"}).to_string();
    let key = [("Idempotency-Key", "order-1")];
    let first = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(&body),
        &key,
    );
    assert_eq!(first.status, 200, "{:?}", first.body);
    let retry = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(&body),
        &key,
    );
    assert_eq!(retry.status, 200);
    assert_eq!(retry.body, first.body, "the first response, byte for byte");
    assert_eq!(server.balance(&member), "0.70", "charged once");
    let other_body = body.replace("0.30", "0.31");
    let conflict = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(&other_body),
        &key,
    );
    assert_eq!(
        (conflict.status, conflict.code()),
        (409, "idempotency_key_reused")
    );
    assert_eq!(server.balance(&member), "0.70");
    // After a restart the in-memory cache is gone, but the account's durable record still
    // prevents a second debit.
    let server = server.restart();
    let after = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(&body),
        &key,
    );
    assert_eq!(after.status, 200, "{:?}", after.body);
    assert_eq!(
        after.body["authorization_id"],
        first.body["authorization_id"]
    );
    assert_eq!(server.balance(&member), "0.70");
}

#[test]
fn a_vendor_cannot_read_another_vendors_authorization() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let other = server.vendor("music.example");
    let member = server.member("ha@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    let id = bought.body["authorization_id"].as_str().unwrap();
    let own = server.get(&format!("/v1/authorizations/{id}"), Some(&vendor.key));
    assert_eq!(own.status, 200);
    assert_eq!(own.body["status"], "authorized");
    assert_eq!(own.body["charged"], "0.10");
    let foreign = server.get(&format!("/v1/authorizations/{id}"), Some(&other.key));
    assert_eq!((foreign.status, foreign.code()), (404, "not_found"));
}

#[test]
fn state_survives_a_restart() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("io@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.40", "/a/1").status,
        200
    );
    let server = server.restart();
    assert_eq!(server.balance(&member), "0.60");
    let owned = server.authorize(&vendor, &buyer, "0.40", "/a/1");
    assert_eq!(owned.status, 200, "{:?}", owned.body);
    assert_eq!(owned.body["already_owned"], true);
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(summary.body["currencies"][0]["gross"], "0.40");
    server.totals_conserved();
}

/// A spent access token of an unlimited entitlement is remembered only in memory (access
/// checks write nothing), so without the boot epoch a restart would let it work again.
#[test]
fn a_spent_access_token_stays_spent_across_a_restart() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("uma@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.30", "/a/1");
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    assert_eq!(bought.body["entitlement"]["views_left"], json!(null));
    let access = json!({"access_token": bought.body["access_token"], "content_url": "https://news.example/a/1"});
    let granted = server.post("/v1/access", Some(&vendor.key), &access);
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    let reused = server.post("/v1/access", Some(&vendor.key), &access);
    assert_eq!((reused.status, reused.code()), (403, "access_token_used"));

    assert_eq!(server.node.as_ref().unwrap().app.boot_epoch, 1);
    let server = server.restart();
    assert_eq!(server.node.as_ref().unwrap().app.boot_epoch, 2);
    let replayed = server.post("/v1/access", Some(&vendor.key), &access);
    assert_eq!(
        (replayed.status, replayed.code()),
        (403, "access_token_expired"),
        "{:?}",
        replayed.body
    );

    // The vendor re-authorizes: owned, so free, with a token of the new epoch.
    let again = server.authorize(&vendor, &buyer, "0.30", "/a/1");
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["already_owned"], true);
    assert_eq!(again.body["charged"], "0.00");
    assert_eq!(server.balance(&member), "0.70");
    let fresh = json!({"access_token": again.body["access_token"], "content_url": "https://news.example/a/1"});
    let granted = server.post("/v1/access", Some(&vendor.key), &fresh);
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(granted.body["granted"], true);
    server.totals_conserved();
}

#[test]
fn serves_from_a_separate_http_runtime_too() {
    // `server.http_threads > 0` moves HTTP off the shards (kept to measure that placement).
    let server = TestServer::start_with(
        |config| config.server.http_threads = 2,
        Box::new(farthing::storage::fjall_store::SyncData),
    );
    let vendor = server.vendor("news.example");
    let member = server.member("jo@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    let access = json!({"access_token": bought.body["access_token"], "content_url": "https://news.example/a/1"});
    assert_eq!(
        server.post("/v1/access", Some(&vendor.key), &access).status,
        200
    );
    assert_eq!(server.balance(&member), "0.90");
}

#[test]
fn a_deposit_reference_is_credited_once_and_member_calls_need_a_session() {
    let server = TestServer::start();
    let member = server.member("ko@example.com", "UTC", "1.00");
    let path = format!("/admin/v1/members/{}/deposits", member.id);
    let deposit = json!({"amount": "2.50", "currency": "USD", "reference": "wire-77"});
    let first = server.post(&path, Some(&server.admin_key), &deposit);
    assert_eq!(
        (first.status, first.body["balance"].as_str()),
        (201, Some("3.50"))
    );
    let again = server.post(&path, Some(&server.admin_key), &deposit);
    assert_eq!(
        (again.status, again.body["balance"].as_str()),
        (201, Some("3.50")),
        "credited once"
    );
    let zero = server.post(
        &path,
        Some(&server.admin_key),
        &json!({"amount": "0", "currency": "USD", "reference": "z"}),
    );
    assert_eq!((zero.status, zero.code()), (400, "invalid_amount"));
    let other = server.post(
        &path,
        Some(&server.admin_key),
        &json!({"amount": "1", "currency": "EUR", "reference": "e"}),
    );
    assert_eq!((other.status, other.code()), (409, "wallet_missing"));
    let unknown = server.post(
        "/admin/v1/members/acct_0000000000000001/deposits",
        Some(&server.admin_key),
        &deposit,
    );
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    assert_eq!(server.get("/v1/members/me", None).status, 401);
    assert_eq!(server.get("/v1/members/me", Some("garbage")).status, 401);
    let me = server.get("/v1/members/me", Some(&member.session));
    assert_eq!(me.status, 200);
    assert_eq!(me.body["wallets"][0]["paid"], "3.50");
    let wrong_password = server.post(
        "/v1/sessions",
        None,
        &json!({"email": member.email, "password": "wrong password", "expiry": "idle"}),
    );
    assert_eq!(
        (wrong_password.status, wrong_password.code()),
        (401, "unauthenticated")
    );
    // The journal is the audit trail: the admin's deposit says the admin made it.
    let journal = server
        .node
        .as_ref()
        .unwrap()
        .app
        .registry
        .env()
        .journal
        .clone();
    let audited = journal
        .read_from(1, 10_000)
        .unwrap()
        .into_iter()
        .any(|recorded| {
            matches!(recorded.event.as_ref(), farthing::domain::event::Event::Deposited { reference, by: farthing::domain::event::Origin::Admin, .. } if reference == "wire-77")
        });
    assert!(audited, "the deposit event records that the admin acted");
    let taken = server.post("/v1/members", None, &json!({"email": "KO@example.com", "password": "another password", "language": "en", "currency": "USD"}));
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
}

#[test]
fn an_inline_offer_is_checked_by_the_same_rules_as_a_posted_one() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("terms@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let inline = |extra: serde_json::Value| {
        let mut body = json!({"buyer_token": buyer, "price": "0.10", "currency": "USD",
                              "content_url": "https://news.example/t", "title": "t"});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        server.post("/v1/authorize", Some(&vendor.key), &body)
    };
    // Each of these was accepted inline before: a member was charged for content already
    // expired, or for nothing.
    for (extra, param) in [
        (json!({"price": "0"}), "price"),
        (json!({"valid_days": 0}), "valid_days"),
        (json!({"valid_hours": 0}), "valid_hours"),
        (json!({"views": 0}), "views"),
        (json!({"expires_at": "2020-01-01T00:00:00Z"}), "expires_at"),
    ] {
        let refused = inline(extra.clone());
        assert_eq!(
            (
                refused.status,
                refused.code(),
                refused.body["param"].as_str()
            ),
            (400, "invalid_field", Some(param)),
            "{extra}"
        );
    }
    assert_eq!(server.balance(&member), "1.00", "nothing was charged");
    let posted = server.post(
        "/v1/offers",
        Some(&vendor.key),
        &json!({"title": "t", "price": "0.10", "currency": "USD",
                "content_url": "https://news.example/t", "absolute_expiry": "2020-01-01T00:00:00Z"}),
    );
    assert_eq!(posted.body["param"], "absolute_expiry", "{:?}", posted.body);
    let fine = inline(json!({"valid_days": 1, "expires_at": "2099-01-01T00:00:00Z"}));
    assert_eq!(fine.status, 200, "{:?}", fine.body);
}

#[test]
fn a_forged_buyer_token_is_refused_before_any_offer_is_claimed() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("forged@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let offer = server.post(
        "/v1/offers",
        Some(&vendor.key),
        &json!({"title": "t", "price": "0.10", "currency": "USD",
                "content_url": "https://news.example/offer"}),
    );
    let id = offer.body["offer_id"].clone();
    let bought = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "offer_id": id}),
    );
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    // The offer is used; a forged token learns nothing about it and claims nothing: the
    // token is opened first (it used to be opened after the claim, answering `offer_used`).
    let forged = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": "AAAA", "offer_id": id}),
    );
    assert_eq!((forged.status, forged.code()), (403, "buyer_token_invalid"));
    let again = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "offer_id": id}),
    );
    assert_eq!((again.status, again.code()), (409, "offer_used"));
}

#[test]
fn sales_reach_a_vendor_whose_mailbox_is_full_through_the_catch_up() {
    // A mailbox of one message: every burst of sales overflows the vendor's, so the feed must
    // leave sales to the catch-up (it used to queue them past the bound with `do_send`).
    let server = Arc::new(TestServer::start_with(
        |config| config.actors.mailbox_messages_max = 1,
        Box::new(farthing::storage::fjall_store::SyncData),
    ));
    let vendor = Arc::new(server.vendor("news.example"));
    let members: Vec<_> = (0..12)
        .map(|i| server.member(&format!("burst{i}@example.com"), "UTC", "1.00"))
        .collect();
    let buyers: Vec<String> = members
        .iter()
        .map(|m| server.buyer_token(&m.session, &vendor))
        .collect();
    let threads: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, buyer)| {
            let server = Arc::clone(&server);
            let vendor = Arc::clone(&vendor);
            std::thread::spawn(move || {
                let mut bought = 0;
                for n in 0..10 {
                    let reply = server.authorize(&vendor, &buyer, "0.01", &format!("/b/{i}/{n}"));
                    if reply.status == 200 {
                        bought += 1;
                    }
                }
                bought
            })
        })
        .collect();
    let bought: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(bought > 0);
    let totals = server.totals_conserved();
    assert_eq!(
        totals["currencies"][0]["vendor_gross"],
        format!("{}.{:02}", bought / 100, bought % 100),
        "every durable sale reached the vendor exactly once"
    );
    let metrics = server.get("/metrics", None);
    let text = metrics.body.as_str().unwrap_or("");
    let deferred: f64 = text
        .lines()
        .find(|line| line.starts_with("farthing_feed_deferred_sales_total"))
        .and_then(|line| line.split_whitespace().last())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0);
    assert!(
        deferred > 0.0,
        "some sales went through the catch-up:\n{text}"
    );
}

#[test]
fn sums_over_many_members_do_not_overflow_and_replay() {
    // Three sales that each fit an amount, whose sum does not: the vendor's gross used to
    // overflow and abort the process at every start.
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let mut members = Vec::new();
    for i in 0..3 {
        let member = server.member(&format!("big{i}@example.com"), "UTC", "9000000000000");
        let buyer = server.buyer_token(&member.session, &vendor);
        let bought = server.authorize(&vendor, &buyer, "9000000000000", &format!("/big/{i}"));
        assert_eq!(bought.status, 200, "{:?}", bought.body);
        members.push(member);
    }
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(summary.body["currencies"][0]["gross"], "27000000000000.00");
    server.totals_conserved();
    let server = server.restart();
    assert_eq!(server.get("/readyz", None).status, 200);
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(summary.body["currencies"][0]["gross"], "27000000000000.00");
    assert_eq!(server.balance(&members[0]), "0.00");
    server.totals_conserved();
}
