//! `Idempotency-Key` over HTTP: one vendor's keys cannot crowd out another's, junk bodies use
//! up no key, and a replay is exactly the first answer (status, body, `Content-Type`), marked.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Reply, TestServer, Vendor};
use farthing::storage::fjall_store::SyncData;
use serde_json::json;

fn keyed(server: &TestServer, vendor: &Vendor, body: &str, key: &str) -> Reply {
    server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(body),
        &[("Idempotency-Key", key)],
    )
}

/// A body that parses but is refused (a forged buyer token): its 403 is a kept answer.
fn refused_body(vendor: &Vendor) -> String {
    json!({"buyer_token": "forged", "price": "0.10", "currency": "USD",
           "content_url": format!("https://{}/a/1", vendor.domain), "title": "t"})
    .to_string()
}

#[test]
fn one_vendors_keys_leave_room_for_the_others() {
    let server = TestServer::start_with(
        |config| {
            config.idempotency.keys_max = 10;
            config.idempotency.keys_per_vendor_max = 3;
        },
        Box::new(SyncData),
    );
    let flooder = server.vendor("flood.example");
    let other = server.vendor("news.example");
    // Junk bodies are refused before a key is claimed: they use up none.
    for n in 0..20 {
        let reply = keyed(&server, &flooder, "{not json", &format!("junk-{n}"));
        assert_eq!((reply.status, reply.code()), (400, "malformed_body"));
    }
    let body = refused_body(&flooder);
    for n in 0..3 {
        let reply = keyed(&server, &flooder, &body, &format!("k-{n}"));
        assert_eq!(
            (reply.status, reply.code()),
            (403, "buyer_token_invalid"),
            "key {n} is within the quota"
        );
    }
    let over = keyed(&server, &flooder, &body, "k-3");
    assert_eq!(
        (over.status, over.code()),
        (429, "idempotency_quota_exceeded")
    );
    // A kept key still replays at the quota.
    let again = keyed(&server, &flooder, &body, "k-0");
    assert_eq!(again.status, 403);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // The other vendor is served: neither the quota nor a full cache refuses it.
    let body = refused_body(&other);
    for n in 0..3 {
        let reply = keyed(&server, &other, &body, &format!("k-{n}"));
        assert_eq!((reply.status, reply.code()), (403, "buyer_token_invalid"));
    }
    let explained = server.get("/problems/idempotency_quota_exceeded", None);
    assert_eq!(explained.status, 200);
}

#[test]
fn a_replay_is_the_first_answer_with_its_content_type() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("replay@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);

    // A refusal: the replay is a problem too, not JSON.
    let body = refused_body(&vendor);
    let first = keyed(&server, &vendor, &body, "refused");
    assert_eq!(first.status, 403);
    assert_eq!(first.header("idempotent-replayed"), None);
    let replay = keyed(&server, &vendor, &body, "refused");
    assert_eq!(replay.status, 403);
    assert_eq!(replay.body, first.body);
    assert_eq!(
        replay.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));

    // A purchase: the replay is the same JSON, marked.
    let body = json!({"buyer_token": buyer, "price": "0.30", "currency": "USD",
                      "content_url": "https://news.example/a/1", "title": "t"})
    .to_string();
    let first = keyed(&server, &vendor, &body, "bought");
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.header("idempotent-replayed"), None);
    let replay = keyed(&server, &vendor, &body, "bought");
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("content-type"), Some("application/json"));
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(server.balance(&member), "0.70", "charged once");
}

#[test]
fn a_batch_with_a_junk_body_uses_no_key() {
    let server = TestServer::start_with(
        |config| config.idempotency.keys_per_vendor_max = 1,
        Box::new(SyncData),
    );
    let vendor = server.vendor("news.example");
    let batch = |body: &str, key: &str| {
        server.request(
            "POST",
            "/v1/authorize/batch",
            Some(&vendor.key),
            Some(body),
            &[("Idempotency-Key", key)],
        )
    };
    let junk = batch(r#"{"items": []}"#, "empty");
    assert_eq!((junk.status, junk.code()), (400, "invalid_field"));
    let items = json!({"items": [{"buyer_token": "forged", "price": "0.10", "currency": "USD",
        "content_url": "https://news.example/a/1", "title": "t"}]})
    .to_string();
    let first = batch(&items, "first");
    assert_eq!(first.status, 200, "{:?}", first.body);
    let second = batch(&items, "second");
    assert_eq!(
        (second.status, second.code()),
        (429, "idempotency_quota_exceeded"),
        "one step away: a batch that parses used the vendor's one key"
    );
}
