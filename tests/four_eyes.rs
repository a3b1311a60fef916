//! Four eyes over HTTP ([0261]): with `deposits.create` configured to need a second person,
//! an operator's deposit is held, not credited; they cannot approve it themselves, nor can
//! someone without the function; another operator with it approves and it runs once; a
//! refused one never runs; a held call survives a restart; an unknown function in the
//! configuration stops the server at start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use farthing::storage::fjall_store::SyncData;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

/// An operator in a new group of `functions`; answers their session token.
fn operator(server: &TestServer, email: &str, functions: &[&str]) -> String {
    let group = server.post(
        "/admin/v1/security-groups",
        Some(&server.admin_key),
        &json!({"name": email, "functions": functions}),
    );
    assert_eq!(group.status, 201, "{:?}", group.body);
    let created = server.post(
        "/admin/v1/operators",
        Some(&server.admin_key),
        &json!({"email": email, "password": PASSWORD,
                "security_group_ids": [group.body["security_group_id"]]}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    let session = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": email, "password": PASSWORD}),
    );
    session.body["session_token"].as_str().unwrap().to_owned()
}

fn approve(server: &TestServer, token: &str, id: &str, approve: bool) -> common::Reply {
    server.post(
        &format!("/admin/v1/approvals/{id}"),
        Some(token),
        &json!({ "approve": approve }),
    )
}

#[test]
fn a_held_deposit_runs_once_when_a_second_person_approves_it() {
    let server = TestServer::start_with(
        |config| config.admin.four_eyes_functions = vec!["deposits.create".to_owned()],
        Box::new(SyncData),
    );
    let member = server.member("reader@example.com", "UTC", "0");
    let all = ["deposits.create", "approvals.read", "approvals.decide"];
    let first = operator(&server, "first@msp.example", &all);
    let second = operator(&server, "second@msp.example", &all);
    let lacking = operator(
        &server,
        "lacking@msp.example",
        &["approvals.read", "approvals.decide"],
    );
    let deposit = |token: &str, reference: &str| {
        server.post(
            &format!("/admin/v1/members/{}/deposits", member.id),
            Some(token),
            &json!({"amount": "5.00", "currency": "USD", "reference": reference}),
        )
    };

    let held = deposit(&first, "wire-1");
    assert_eq!(held.status, 202, "{:?}", held.body);
    assert_eq!(held.body["function"], "deposits.create");
    assert_eq!(held.body["status"], "pending");
    let id = held.body["approval_id"].as_str().unwrap().to_owned();
    assert_eq!(server.balance(&member), "0.00", "held, not credited");
    let listed = server.get("/admin/v1/approvals", Some(&lacking));
    assert_eq!(listed.body["approvals"][0]["approval_id"], id.as_str());

    let own = approve(&server, &first, &id, true);
    assert_eq!((own.status, own.code()), (403, "four_eyes_same_person"));
    let without = approve(&server, &lacking, &id, true);
    assert_eq!((without.status, without.code()), (403, "function_not_held"));
    assert_eq!(server.balance(&member), "0.00");

    // The second person approves: the deposit runs now and answers as it would have.
    let approved = approve(&server, &second, &id, true);
    assert_eq!(approved.status, 201, "{:?}", approved.body);
    assert_eq!(server.balance(&member), "5.00");
    let again = approve(&server, &second, &id, true);
    assert_eq!((again.status, again.code()), (404, "approval_unknown"));
    assert_eq!(server.balance(&member), "5.00", "it ran once");

    // A refused one never runs.
    let held = deposit(&second, "wire-2");
    let id = held.body["approval_id"].as_str().unwrap().to_owned();
    let refused = approve(&server, &first, &id, false);
    assert_eq!(refused.body["status"], "refused", "{:?}", refused.body);
    assert_eq!(server.balance(&member), "5.00");

    // The admin key is one person too: its own call waits for an operator.
    let by_key = deposit(&server.admin_key, "wire-3");
    assert_eq!(by_key.status, 202);
    let key_id = by_key.body["approval_id"].as_str().unwrap().to_owned();
    let own = approve(&server, &server.admin_key, &key_id, true);
    assert_eq!(own.code(), "four_eyes_same_person");

    // What waits survives a restart, and is approved after it.
    let server = server.restart();
    let listed = server.get("/admin/v1/approvals", Some(&server.admin_key));
    let waiting: Vec<&Value> = listed.body["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(waiting.len(), 1, "{:?}", listed.body);
    assert_eq!(waiting[0]["approval_id"], key_id.as_str());
    assert!(!waiting[0]["change"].as_str().unwrap().is_empty());
    let token = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "second@msp.example", "password": PASSWORD}),
    );
    let second = token.body["session_token"].as_str().unwrap().to_owned();
    assert_eq!(approve(&server, &second, &key_id, true).status, 201);
    assert_eq!(server.balance(&member), "10.00");
    server.totals_conserved();
}

#[test]
fn a_four_eyes_function_is_refused_on_the_pages_and_held_through_the_api() {
    let server = TestServer::start_with(
        |config| config.admin.four_eyes_functions = vec!["vendors.approve".to_owned()],
        Box::new(SyncData),
    );
    let applied = server.post(
        "/v1/vendor-registrations",
        None,
        &json!({"name": "Indie", "currency": "USD", "content_domains": ["indie.example"]}),
    );
    let vendor = applied.body["vendor_id"].as_str().unwrap().to_owned();
    // A bearer skips the page's CSRF check, so only the four-eyes rule can refuse it.
    let on_page = server.request(
        "POST",
        &format!("/back-office/vendors/{vendor}/approval"),
        Some(&server.admin_key),
        Some("approve=yes&fee_ppm=1000&reason=ok"),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    assert_eq!(
        (on_page.status, on_page.code()),
        (403, "four_eyes_through_api")
    );
    let held = server.post(
        &format!("/admin/v1/vendors/{vendor}/approval"),
        Some(&server.admin_key),
        &json!({"approve": true, "reason": "ok", "fee_ppm": 1000}),
    );
    assert_eq!(held.status, 202, "{:?}", held.body);
    let pending = server.get("/admin/v1/vendors?status=pending", Some(&server.admin_key));
    assert_eq!(pending.body["vendors"][0]["vendor_id"], vendor.as_str());
}

#[test]
fn an_unknown_four_eyes_function_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::test_config(dir.path());
    config.admin.four_eyes_functions = vec!["deposits.creat".to_owned()];
    let started = farthing::node::start(
        config,
        std::sync::Arc::new(farthing::clock::ManualClock::at(
            farthing::domain::time::Timestamp(common::START_MS),
        )),
        Box::new(SyncData),
    );
    match started {
        Err(error) => assert!(error.to_string().contains("deposits.creat"), "{error}"),
        Ok(_) => panic!("a server started with an unknown four-eyes function"),
    }
}
