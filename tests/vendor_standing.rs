//! A vendor's standing over HTTP ([0149]): a vendor registers itself and can do nothing until
//! an operator approves it; a rejected one never can; a vendor rotates its API key and both
//! keys work for the overlap, after which only the new one does; all of it survives a
//! restart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

fn register(server: &TestServer, name: &str, domain: &str) -> (String, String) {
    let applied = server.post(
        "/v1/vendor-registrations",
        None,
        &json!({"name": name, "currency": "USD", "content_domains": [domain]}),
    );
    assert_eq!(applied.status, 201, "{:?}", applied.body);
    assert_eq!(applied.body["status"], "pending");
    (
        applied.body["vendor_id"].as_str().unwrap().to_owned(),
        applied.body["api_key"].as_str().unwrap().to_owned(),
    )
}

fn decide(server: &TestServer, vendor: &str, body: &Value) -> common::Reply {
    server.post(
        &format!("/admin/v1/vendors/{vendor}/approval"),
        Some(&server.admin_key),
        body,
    )
}

#[test]
fn a_self_registered_vendor_waits_for_approval_and_a_rejected_one_never_sells() {
    let server = TestServer::start();
    let (vendor, key) = register(&server, "Indie Press", "indie.example");
    // A second later: the list is in registration order (ties go by id).
    server.clock.advance_ms(1_000);
    let (refused_vendor, refused_key) = register(&server, "Spam Inc", "spam.example");

    // Pending: its key opens nothing yet, and says why.
    let early = server.get("/v1/vendors/me/summary", Some(&key));
    assert_eq!((early.status, early.code()), (403, "vendor_not_approved"));
    let pending = server.get("/admin/v1/vendors?status=pending", Some(&server.admin_key));
    let ids: Vec<&str> = pending.body["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["vendor_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [vendor.as_str(), refused_vendor.as_str()]);

    // Approving needs a fee; then it sells under it.
    let no_fee = decide(
        &server,
        &vendor,
        &json!({"approve": true, "reason": "checked"}),
    );
    assert_eq!((no_fee.status, no_fee.code()), (400, "invalid_field"));
    let approved = decide(
        &server,
        &vendor,
        &json!({"approve": true, "reason": "checked", "fee_ppm": 40000}),
    );
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    let again = decide(
        &server,
        &vendor,
        &json!({"approve": false, "reason": "oops"}),
    );
    assert_eq!(
        (again.status, again.code()),
        (409, "vendor_decided_already")
    );
    let member = server.member("reader@example.com", "UTC", "5.00");
    let vendor_entry = common::Vendor {
        id: vendor.clone(),
        key: key.clone(),
        domain: "indie.example".to_owned(),
    };
    let buyer = server.buyer_token(&member.session, &vendor_entry);
    let bought = server.authorize(&vendor_entry, &buyer, "1.00", "/story");
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    let summary = server.get("/v1/vendors/me/summary", Some(&key));
    assert_eq!(summary.status, 200, "{:?}", summary.body);

    let rejected = decide(
        &server,
        &refused_vendor,
        &json!({"approve": false, "reason": "spam"}),
    );
    assert_eq!(rejected.body["status"], "rejected");
    let never = server.get("/v1/vendors/me/summary", Some(&refused_key));
    assert_eq!((never.status, never.code()), (403, "vendor_not_approved"));
    let unknown = decide(
        &server,
        "ven_00000000000000ff",
        &json!({"approve": true, "reason": "x", "fee_ppm": 1}),
    );
    assert_eq!(unknown.status, 404);

    // The standing survives a restart.
    let server = server.restart();
    assert_eq!(server.get("/v1/vendors/me/summary", Some(&key)).status, 200);
    let never = server.get("/v1/vendors/me/summary", Some(&refused_key));
    assert_eq!(never.code(), "vendor_not_approved");
    let bad = server.post(
        "/v1/vendor-registrations",
        None,
        &json!({"name": "", "currency": "USD", "content_domains": ["x.example"]}),
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn a_rotated_key_overlaps_then_only_the_new_one_works() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let rotated = server.post("/v1/vendors/me/api-keys", Some(&vendor.key), &json!({}));
    assert_eq!(rotated.status, 201, "{:?}", rotated.body);
    let new_key = rotated.body["api_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, vendor.key);
    // config/test.toml: one hour of overlap from the manual clock's start.
    assert_eq!(
        rotated.body["previous_key_valid_until"],
        "2026-03-10T01:00:00.000Z"
    );
    for key in [&vendor.key, &new_key] {
        assert_eq!(server.get("/v1/vendors/me/summary", Some(key)).status, 200);
    }
    server.clock.advance_ms(3_600_000 - 1);
    assert_eq!(
        server
            .get("/v1/vendors/me/summary", Some(&vendor.key))
            .status,
        200
    );
    server.clock.advance_ms(1);
    assert_eq!(
        server
            .get("/v1/vendors/me/summary", Some(&vendor.key))
            .status,
        401
    );
    assert_eq!(
        server.get("/v1/vendors/me/summary", Some(&new_key)).status,
        200
    );

    // A second rotation: the key just rotated away from overlaps in its turn; the first
    // stays gone.
    let third = server.post("/v1/vendors/me/api-keys", Some(&new_key), &json!({}));
    let third_key = third.body["api_key"].as_str().unwrap().to_owned();
    assert_eq!(
        server.get("/v1/vendors/me/summary", Some(&new_key)).status,
        200
    );
    assert_eq!(
        server
            .get("/v1/vendors/me/summary", Some(&vendor.key))
            .status,
        401
    );

    // After a restart the keys are as they were.
    let server = server.restart();
    assert_eq!(
        server
            .get("/v1/vendors/me/summary", Some(&third_key))
            .status,
        200
    );
    assert_eq!(
        server.get("/v1/vendors/me/summary", Some(&new_key)).status,
        200
    );
    assert_eq!(
        server
            .get("/v1/vendors/me/summary", Some(&vendor.key))
            .status,
        401
    );
}

#[test]
fn members_see_only_approved_vendors_by_name_a_page_at_a_time() {
    let server = TestServer::start();
    let zebra = common::vendor_named(&server, "zebra Tales", "zebra.example");
    let apple = common::vendor_named(&server, "Apple Weekly", "apple.example");
    let (pending, _) = register(&server, "Pending Press", "pending.example");
    let (approved, _) = register(&server, "Mango Daily", "mango.example");
    let approval = decide(
        &server,
        &approved,
        &json!({"approve": true, "fee_ppm": 50000, "reason": "checked"}),
    );
    assert_eq!(approval.status, 200, "{:?}", approval.body);

    let names = |reply: &common::Reply| -> Vec<String> {
        reply.body["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_owned())
            .collect()
    };
    // Public, approved only, by name with case ignored.
    let all = server.get("/v1/vendors", None);
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert_eq!(names(&all), ["Apple Weekly", "Mango Daily", "zebra Tales"]);
    assert!(all.body.get("next_cursor").is_none());
    assert_eq!(all.body["vendors"][0]["vendor_id"], apple.id);
    assert_eq!(
        all.body["vendors"][0]["content_domains"],
        json!(["apple.example"])
    );
    assert!(!all.body.to_string().contains(&pending));

    // Two at a time: the cursor carries on where the page ended.
    let first = server.get("/v1/vendors?limit=2", None);
    assert_eq!(names(&first), ["Apple Weekly", "Mango Daily"]);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    assert_eq!(cursor, approved);
    let second = server.get(&format!("/v1/vendors?limit=2&cursor={cursor}"), None);
    assert_eq!(names(&second), ["zebra Tales"]);
    assert_eq!(second.body["vendors"][0]["vendor_id"], zebra.id);
    assert!(second.body.get("next_cursor").is_none());

    for bad in [
        "limit=0",
        "limit=101",
        "limit=two",
        "cursor=nope",
        "sort=name",
    ] {
        let refused = server.get(&format!("/v1/vendors?{bad}"), None);
        assert_eq!(
            (refused.status, refused.code()),
            (400, "invalid_field"),
            "{bad}"
        );
    }
}
