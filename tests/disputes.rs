//! Disputes over HTTP ([0255]-[0260]): a real node on 127.0.0.1:0. A member disputes a
//! purchase; the currency's rules approve it at once or send it to the operators' queue; an
//! operator decides once; the vendor sees its disputes by `member_ref`; an approval after a
//! settlement run is clawed back from the vendor's next payout; the totals stay conserved.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Member, Reply, TestServer, Vendor};
use serde_json::{Value, json};

fn usd_rules(server: &TestServer) {
    let set = server.put(
        "/admin/v1/dispute-rules/USD",
        Some(&server.admin_key),
        &json!({"window_days": 14, "period_days": 30, "m": "1.00", "x_ppm": 100000,
                "y_ppm": 200000, "n": 3}),
    );
    assert_eq!(set.status, 200, "{:?}", set.body);
    assert_eq!(set.body["m"], "1.00");
}

/// Buys `path` for `price`; answers the authorization id and the member_ref.
fn buy(
    server: &TestServer,
    vendor: &Vendor,
    member: &Member,
    price: &str,
    path: &str,
) -> (String, String) {
    let buyer = server.buyer_token(&member.session, vendor);
    let bought = server.authorize(vendor, &buyer, price, path);
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    (
        bought.body["authorization_id"].as_str().unwrap().to_owned(),
        bought.body["member_ref"].as_str().unwrap().to_owned(),
    )
}

fn dispute(server: &TestServer, member: &Member, authorization: &str) -> Reply {
    server.post(
        "/v1/members/me/disputes",
        Some(&member.session),
        &json!({"authorization_id": authorization, "reason": "It never loaded"}),
    )
}

fn decide(server: &TestServer, dispute_id: &str, approve: bool) -> Reply {
    server.post(
        &format!("/admin/v1/disputes/{dispute_id}/decision"),
        Some(&server.admin_key),
        &json!({"approve": approve, "reason": "Checked the access log"}),
    )
}

/// The vendor's disputes, polled until `count` show (vendors fold them from the journal a
/// moment after the member's account).
fn vendor_disputes(server: &TestServer, vendor: &Vendor, query: &str, count: usize) -> Value {
    for _ in 0..200 {
        let reply = server.get(
            &format!("/v1/vendors/me/disputes{query}"),
            Some(&vendor.key),
        );
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        if reply.body["disputes"].as_array().unwrap().len() == count {
            return reply.body;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the vendor never showed {count} disputes for {query}");
}

fn admin_disputes(server: &TestServer, query: &str, count: usize) -> Value {
    for _ in 0..200 {
        let reply = server.get(
            &format!("/admin/v1/disputes{query}"),
            Some(&server.admin_key),
        );
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        if reply.body["disputes"].as_array().unwrap().len() == count {
            return reply.body;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the queue never showed {count} disputes for {query}");
}

#[test]
fn a_dispute_under_condition_i_is_approved_and_refunded_at_once() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("reader@example.com", "UTC", "10.00");
    usd_rules(&server);
    let (authorization, member_ref) = buy(&server, &vendor, &member, "0.50", "/a");
    assert_eq!(server.balance(&member), "9.50");

    let filed = dispute(&server, &member, &authorization);
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    assert_eq!(filed.body["status"], "approved");
    assert_eq!(filed.body["condition"], "condition_i");
    assert_eq!(filed.body["amount"], "0.50");
    assert_eq!(filed.body["authorization_id"], authorization.as_str());
    assert_eq!(
        server.balance(&member),
        "10.00",
        "refunded with the approval"
    );
    let dispute_id = filed.body["dispute_id"].as_str().unwrap().to_owned();
    assert!(dispute_id.starts_with("dsp_"));

    // The purchase is reversed: its entitlement no longer grants, and the vendor's sale is
    // taken back (the totals balance).
    let again = dispute(&server, &member, &authorization);
    assert_eq!((again.status, again.code()), (409, "dispute_exists"));
    server.totals_conserved();

    // The member sees it; the vendor sees it by member_ref with neither the member's account
    // nor their words; an operator sees the account.
    let mine = server.get("/v1/members/me/disputes", Some(&member.session));
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["disputes"][0]["dispute_id"], dispute_id.as_str());
    assert_eq!(mine.body["disputes"][0]["reason"], "It never loaded");
    let seen = vendor_disputes(&server, &vendor, "", 1);
    let line = &seen["disputes"][0];
    assert_eq!(line["member_ref"], member_ref.as_str());
    assert_eq!(line["status"], "approved");
    assert_eq!(line["account_id"], Value::Null);
    assert_eq!(line["reason"], Value::Null);
    let queue = admin_disputes(&server, "?status=approved", 1);
    assert_eq!(queue["disputes"][0]["account_id"], member.id.as_str());
    assert_eq!(
        admin_disputes(&server, "?status=pending", 0)["disputes"],
        json!([])
    );

    // Someone else's purchase is unknown to a member; so is anything that is not an id.
    let other = server.member("other@example.com", "UTC", "1.00");
    let theirs = dispute(&server, &other, &authorization);
    assert_eq!(
        (theirs.status, theirs.code()),
        (404, "authorization_unknown")
    );
    let junk = dispute(&server, &other, "auth_nothing");
    assert_eq!((junk.status, junk.code()), (404, "authorization_unknown"));
    let no_reason = server.post(
        "/v1/members/me/disputes",
        Some(&member.session),
        &json!({"authorization_id": authorization, "reason": "  "}),
    );
    assert_eq!((no_reason.status, no_reason.code()), (400, "invalid_field"));
    let anonymous = server.post(
        "/v1/members/me/disputes",
        None,
        &json!({"authorization_id": authorization, "reason": "x"}),
    );
    assert_eq!(anonymous.status, 401);

    // A restart keeps the rules, the dispute and the vendor's view of it.
    let server = server.restart();
    let session = server.sign_in("reader@example.com", "absolute");
    let member = Member { session, ..member };
    let mine = server.get("/v1/members/me/disputes", Some(&member.session));
    assert_eq!(mine.body["disputes"][0]["status"], "approved");
    assert_eq!(
        vendor_disputes(&server, &vendor, "?status=approved", 1)["disputes"][0]["dispute_id"],
        dispute_id.as_str()
    );
    let (later, _) = buy(&server, &vendor, &member, "0.40", "/b");
    let filed = dispute(&server, &member, &later);
    assert_eq!(
        filed.body["condition"], "condition_i",
        "0.50 + 0.40 is below 1.00"
    );
    let (last, _) = buy(&server, &vendor, &member, "0.20", "/c");
    let filed = dispute(&server, &member, &last);
    assert_eq!(
        filed.body["condition"], "pending",
        "0.50 + 0.40 + 0.20 is not"
    );
}

#[test]
fn a_pending_dispute_waits_for_one_operator_decision() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("reader@example.com", "UTC", "10.00");
    // No rules for USD: every dispute waits for an operator.
    let (first, _) = buy(&server, &vendor, &member, "2.00", "/a");
    let (second, _) = buy(&server, &vendor, &member, "3.00", "/b");
    let filed = dispute(&server, &member, &first);
    assert_eq!(filed.status, 201, "{:?}", filed.body);
    assert_eq!(
        (&filed.body["status"], &filed.body["condition"]),
        (&json!("pending"), &json!("pending"))
    );
    let first_id = filed.body["dispute_id"].as_str().unwrap().to_owned();
    // Filed a second later: the queue is in filing order (ties go by id).
    server.clock.advance_ms(1_000);
    let filed = dispute(&server, &member, &second);
    let second_id = filed.body["dispute_id"].as_str().unwrap().to_owned();
    assert_eq!(
        server.balance(&member),
        "5.00",
        "nothing refunded while pending"
    );

    // The queue, oldest first, one per page.
    let page = admin_disputes(&server, "?status=pending&limit=1", 1);
    assert_eq!(page["disputes"][0]["dispute_id"], first_id.as_str());
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = admin_disputes(
        &server,
        &format!("?status=pending&limit=1&cursor={cursor}"),
        1,
    );
    assert_eq!(next["disputes"][0]["dispute_id"], second_id.as_str());

    let approved = decide(&server, &first_id, true);
    assert_eq!(approved.status, 200, "{:?}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decision_reason"], "Checked the access log");
    assert_eq!(server.balance(&member), "7.00");
    let twice = decide(&server, &first_id, false);
    assert_eq!(
        (twice.status, twice.code()),
        (409, "dispute_decided_already")
    );
    let rejected = decide(&server, &second_id, false);
    assert_eq!(rejected.body["status"], "rejected");
    assert_eq!(
        server.balance(&member),
        "7.00",
        "a rejection refunds nothing"
    );
    admin_disputes(&server, "?status=pending", 0);
    let seen = vendor_disputes(&server, &vendor, "?status=rejected", 1);
    assert_eq!(seen["disputes"][0]["dispute_id"], second_id.as_str());
    server.totals_conserved();

    // Bad input has its own answers.
    let unknown = decide(&server, "dsp_nothing", true);
    assert_eq!((unknown.status, unknown.code()), (404, "dispute_unknown"));
    let as_dispute = decide(&server, &first.replacen("auth_", "dsp_", 1), true);
    assert_eq!(
        as_dispute.status, 404,
        "an authorization id is not a dispute id"
    );
    for query in [
        "?status=lost",
        "?cursor=junk",
        "?limit=0",
        "?limit=101",
        "?colour=red",
    ] {
        let reply = server.get(
            &format!("/admin/v1/disputes{query}"),
            Some(&server.admin_key),
        );
        assert_eq!(
            (reply.status, reply.code()),
            (400, "invalid_field"),
            "{query}"
        );
    }
    let rules = |body: Value| {
        server.put(
            "/admin/v1/dispute-rules/USD",
            Some(&server.admin_key),
            &body,
        )
    };
    let zero_window = rules(json!({"window_days": 0, "period_days": 30, "m": "1.00",
        "x_ppm": 0, "y_ppm": 0, "n": 0}));
    assert_eq!(
        (zero_window.status, zero_window.code()),
        (400, "invalid_field")
    );
    let over_whole = rules(json!({"window_days": 1, "period_days": 30, "m": "1.00",
        "x_ppm": 1000001, "y_ppm": 0, "n": 0}));
    assert_eq!(over_whole.status, 400);
    let unsupported = server.put(
        "/admin/v1/dispute-rules/SEK",
        Some(&server.admin_key),
        &json!({"window_days": 1, "period_days": 1, "m": "1.00", "x_ppm": 0, "y_ppm": 0, "n": 0}),
    );
    assert_eq!(
        (unsupported.status, unsupported.code()),
        (422, "currency_unsupported")
    );
    let as_vendor = server.get("/admin/v1/disputes", Some(&vendor.key));
    assert_eq!(as_vendor.status, 401);
}

#[test]
fn an_approval_after_settlement_is_clawed_back_from_the_next_payout() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("reader@example.com", "UTC", "20.00");
    let settings = server.put(
        &format!("/admin/v1/vendors/{}/settlement", vendor.id),
        Some(&server.admin_key),
        &json!({"threshold": "1.00", "schedule": {"kind": "weekly", "day": 1}, "minimum": "0.50",
                "bank_account": {"iban": "DE89370400440532013000", "bic": "DEUTDEFF", "name": "Daily News"}}),
    );
    assert_eq!(settings.status, 200, "{:?}", settings.body);
    let (disputed, _) = buy(&server, &vendor, &member, "2.00", "/a");
    buy(&server, &vendor, &member, "2.00", "/b");
    let filed = dispute(&server, &member, &disputed);
    let dispute_id = filed.body["dispute_id"].as_str().unwrap().to_owned();
    vendor_disputes(&server, &vendor, "?status=pending", 1);
    server.totals_conserved();

    // Both sales are paid out (gross 4.00 less the 5% fee: 3.80).
    let paid = server.post(
        "/admin/v1/settlement-runs",
        Some(&server.admin_key),
        &json!({"force": true}),
    );
    assert_eq!(paid.status, 201, "{:?}", paid.body);
    assert_eq!(paid.body["payouts"][0]["amount"], "3.80");

    // The dispute is approved after the payout: the vendor owes the sale back (1.90).
    assert_eq!(decide(&server, &dispute_id, true).status, 200);
    assert_eq!(server.balance(&member), "18.00");
    let owed = server.get("/v1/vendors/me/summary", Some(&vendor.key));
    assert_eq!(
        owed.body["currencies"][0]["unsettled"], "-1.90",
        "{:?}",
        owed.body
    );
    server.totals_conserved();

    // The next sales pay out less what it owes: 3 × 2.00 less 5% is 5.70, less 1.90.
    for path in ["/c", "/d", "/e"] {
        buy(&server, &vendor, &member, "2.00", path);
    }
    server.totals_conserved();
    let next = server.post(
        "/admin/v1/settlement-runs",
        Some(&server.admin_key),
        &json!({"force": true}),
    );
    assert_eq!(next.status, 201, "{:?}", next.body);
    assert_eq!(next.body["payouts"][0]["amount"], "3.80", "{:?}", next.body);
    server.totals_conserved();
}
