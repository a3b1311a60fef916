//! `POST /v1/authorize/batch`: up to 1,000 independent purchases in one call, one result per
//! item in order, each like a single authorize or its own problem; one `Idempotency-Key` for
//! the whole batch.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

fn item(buyer: &str, price: &str, path: &str) -> Value {
    json!({"buyer_token": buyer, "price": price, "currency": "USD",
           "content_url": format!("https://news.example{path}"), "title": "t"})
}

#[test]
fn items_are_answered_in_order_each_on_its_own() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let rich = server.member("rich@example.com", "UTC", "1.00");
    let poor = server.member("poor@example.com", "UTC", "0.01");
    let rich_buyer = server.buyer_token(&rich.session, &vendor);
    let poor_buyer = server.buyer_token(&poor.session, &vendor);
    let items = json!([
        item(&rich_buyer, "0.10", "/a/1"),
        item(&poor_buyer, "0.50", "/a/2"),
        item("not a token", "0.10", "/a/3"),
        {"buyer_token": rich_buyer, "price": 0.1, "currency": "USD",
         "content_url": "https://news.example/a/4", "title": "t"},
        item(&rich_buyer, "0.20", "/a/5"),
        // The same content again in the same batch: owned by the first item, charged nothing.
        item(&rich_buyer, "0.10", "/a/1"),
        {"nonsense": true},
    ]);
    let reply = server.post(
        "/v1/authorize/batch",
        Some(&vendor.key),
        &json!({"items": items}),
    );
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let results = reply.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    assert_eq!(results[0]["charged"], "0.10");
    assert_eq!(results[1]["problem"]["code"], "insufficient_funds");
    assert_eq!(results[2]["problem"]["code"], "buyer_token_invalid");
    assert_eq!(results[3]["problem"]["code"], "invalid_amount");
    assert_eq!(results[3]["problem"]["param"], "price");
    assert_eq!(results[4]["charged"], "0.20");
    assert_eq!(results[5]["already_owned"], true);
    assert_eq!(results[5]["charged"], "0.00");
    assert_eq!(
        results[5]["authorization_id"],
        results[0]["authorization_id"]
    );
    assert_eq!(results[6]["problem"]["code"], "malformed_body");
    assert_eq!(server.balance(&rich), "0.70");
    assert_eq!(server.balance(&poor), "0.01");
    // Each successful item is a real authorization the vendor can look up and use.
    let id = results[4]["authorization_id"].as_str().unwrap();
    let found = server.get(&format!("/v1/authorizations/{id}"), Some(&vendor.key));
    assert_eq!(
        (found.status, found.body["charged"].as_str()),
        (200, Some("0.20"))
    );
    let access = json!({"access_token": results[4]["access_token"],
                        "content_url": "https://news.example/a/5"});
    assert_eq!(
        server.post("/v1/access", Some(&vendor.key), &access).status,
        200
    );
    server.totals_conserved();
}

#[test]
fn one_idempotency_key_covers_the_whole_batch() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("idem@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let body =
        json!({"items": [item(&buyer, "0.10", "/a/1"), item(&buyer, "0.20", "/a/2")]}).to_string();
    let send = |body: &str| {
        server.request(
            "POST",
            "/v1/authorize/batch",
            Some(&vendor.key),
            Some(body),
            &[("Idempotency-Key", "batch-1")],
        )
    };
    let first = send(&body);
    assert_eq!(first.status, 200, "{:?}", first.body);
    let again = send(&body);
    assert_eq!(again.body, first.body, "a retry answers the first reply");
    assert_eq!(server.balance(&member), "0.70", "charged once");
    let other = send(&json!({"items": [item(&buyer, "0.30", "/a/3")]}).to_string());
    assert_eq!(
        (other.status, other.code()),
        (409, "idempotency_key_reused")
    );
}

#[test]
fn a_retry_after_a_restart_charges_nothing_twice() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("restart@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let body =
        json!({"items": [item(&buyer, "0.10", "/a/1"), item(&buyer, "0.20", "/a/2")]}).to_string();
    let headers = [("Idempotency-Key", "batch-restart")];
    let first = server.request(
        "POST",
        "/v1/authorize/batch",
        Some(&vendor.key),
        Some(&body),
        &headers,
    );
    assert_eq!(first.status, 200, "{:?}", first.body);
    // The response cache is gone after a restart; each item's durable record still answers.
    let server = server.restart();
    let again = server.request(
        "POST",
        "/v1/authorize/batch",
        Some(&vendor.key),
        Some(&body),
        &headers,
    );
    assert_eq!(again.status, 200, "{:?}", again.body);
    for (first, again) in first.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .zip(again.body["results"].as_array().unwrap())
    {
        assert_eq!(first["authorization_id"], again["authorization_id"]);
    }
    assert_eq!(server.balance(&member), "0.70", "charged once");
}

#[test]
fn the_batch_itself_is_bounded() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let empty = server.post(
        "/v1/authorize/batch",
        Some(&vendor.key),
        &json!({"items": []}),
    );
    assert_eq!(
        (empty.status, empty.body["param"].as_str()),
        (400, Some("items"))
    );
    let many: Vec<Value> = (0..1_001).map(|_| json!({})).collect();
    let too_many = server.post(
        "/v1/authorize/batch",
        Some(&vendor.key),
        &json!({"items": many}),
    );
    assert_eq!(too_many.status, 400, "{:?}", too_many.body);
    assert_eq!(too_many.body["param"], "items");
    // Its own body limit: larger than a single authorize may send, bounded still.
    let huge = "x".repeat(70_000);
    let oversized = server.post(
        "/v1/authorize/batch",
        Some(&vendor.key),
        &json!({"items": [{"buyer_token": huge}]}),
    );
    assert_eq!(
        (oversized.status, oversized.code()),
        (413, "body_too_large")
    );
    let single = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": "x".repeat(5_000)}),
    );
    assert_eq!(
        single.code(),
        "body_too_large",
        "the single route keeps its own limit"
    );
}
