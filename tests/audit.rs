//! The back office's audit trail over HTTP: every back-office call, by the admin key or an
//! operator, allowed or refused, is recorded with who, which function, when, the target and
//! the change (secrets redacted) and its outcome; it is read by actor, function and time;
//! no route changes it; it survives a restart and `farthing check` reads it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use farthing::http::routes::ROUTES;
use farthing::node;
use farthing::storage::fjall_store::FjallStore;
use farthing::storage::recovery;
use serde_json::{Value, json};

fn audit(server: &TestServer, query: &str) -> Value {
    let page = server.get(&format!("/admin/v1/audit{query}"), Some(&server.admin_key));
    assert_eq!(page.status, 200, "{:?}", page.body);
    page.body
}

#[test]
fn every_back_office_call_is_recorded_with_who_what_when_and_its_outcome() {
    let server = TestServer::start();
    let group = server.post(
        "/admin/v1/security-groups",
        Some(&server.admin_key),
        &json!({"name": "Rules", "functions": ["dispute_rules.update"]}),
    );
    let group_id = group.body["security_group_id"].as_str().unwrap().to_owned();
    let created = server.post(
        "/admin/v1/operators",
        Some(&server.admin_key),
        &json!({"email": "rules@msp.example", "password": "correct horse battery",
                "security_group_ids": [group_id]}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    let operator = created.body["operator_id"].as_str().unwrap().to_owned();
    let token = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "rules@msp.example", "password": "correct horse battery"}),
    );
    let token = token.body["session_token"].as_str().unwrap().to_owned();

    server.clock.advance_ms(60_000);
    let rules = json!({"window_days": 14, "period_days": 30, "m": "1.00", "x_ppm": 1,
                       "y_ppm": 1, "n": 1});
    let set = server.put("/admin/v1/dispute-rules/EUR", Some(&token), &rules);
    assert_eq!(set.status, 200, "{:?}", set.body);
    let refused = server.get("/admin/v1/totals", Some(&token));
    assert_eq!(refused.status, 403);

    // The operator's calls: one allowed, one refused, both recorded with their outcome.
    let theirs = audit(&server, &format!("?actor={operator}"));
    let entries = theirs["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{theirs:?}");
    assert_eq!(entries[0]["function"], "dispute_rules.update");
    assert_eq!(entries[0]["method"], "PUT");
    assert_eq!(entries[0]["target"], "/admin/v1/dispute-rules/EUR");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[0]["at"], "2026-03-10T00:01:00.000Z");
    let change: Value = serde_json::from_str(entries[0]["change"].as_str().unwrap()).unwrap();
    assert_eq!(change, rules);
    assert_eq!(entries[1]["function"], "totals.read");
    assert_eq!(entries[1]["status"], 403);
    assert_eq!(theirs["next_cursor"], Value::Null);

    // The admin key's calls, with the new operator's password redacted.
    let by_key = audit(&server, "?actor=admin_key&function=operators.create");
    let made = &by_key["entries"][0];
    assert_eq!(made["actor"], "admin_key");
    assert_eq!(made["status"], 201);
    let change = made["change"].as_str().unwrap();
    assert!(change.contains("rules@msp.example"), "{change}");
    assert!(!change.contains("correct horse"), "{change}");

    // By time: from is inclusive, to exclusive.
    let later = audit(&server, "?from=2026-03-10T00:01:00Z&actor=admin_key");
    // Only the reads of the trail itself by the key are at or after the first minute.
    assert!(
        later["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["function"] == "audit.read"),
        "{later:?}"
    );
    let before = audit(&server, "?to=2026-03-10T00:01:00Z");
    let functions: Vec<&str> = before["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["function"].as_str().unwrap())
        .collect();
    assert_eq!(functions, ["security_groups.create", "operators.create"]);

    // Page by page.
    let first = audit(&server, "?limit=1");
    assert_eq!(first["entries"][0]["function"], "security_groups.create");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = audit(&server, &format!("?limit=1&cursor={cursor}"));
    assert_eq!(second["entries"][0]["function"], "operators.create");
    for query in [
        "?actor=someone",
        "?from=yesterday",
        "?limit=0",
        "?cursor=x",
        "?colour=red",
    ] {
        let bad = server.get(&format!("/admin/v1/audit{query}"), Some(&server.admin_key));
        assert_eq!((bad.status, bad.code()), (400, "invalid_field"), "{query}");
    }
    // Reading the trail needs its function like anything else.
    let unread = server.get("/admin/v1/audit", Some(&token));
    assert_eq!(unread.body["function"], "audit.read");

    // A restart keeps it and writes on after it; `farthing check` reads it whole.
    // (A read shows what is durable when it reads: its own entry may not be yet.)
    let before_restart = audit(&server, "?limit=100")["entries"].clone();
    let count = before_restart.as_array().unwrap().len();
    let mut server = server.restart();
    assert_eq!(
        server
            .get("/admin/v1/totals", Some(&server.admin_key))
            .status,
        200
    );
    let after = audit(&server, "?limit=100");
    let entries = after["entries"].as_array().unwrap();
    let calls = |list: &[Value]| -> Vec<(u64, String)> {
        list.iter()
            .map(|e| (e["position"].as_u64().unwrap(), e["target"].to_string()))
            .collect()
    };
    let before_restart = before_restart.as_array().unwrap();
    assert_eq!(calls(&entries[..count]), calls(before_restart));
    assert!(
        entries[..count - 1].iter().all(|e| e["status"].is_u64()),
        "every earlier call has its outcome"
    );
    let last_before = before_restart.last().unwrap()["position"].as_u64().unwrap();
    assert!(
        entries.iter().any(|e| e["function"] == "totals.read"
            && e["actor"] == "admin_key"
            && e["status"] == 200
            && e["position"].as_u64().unwrap() > last_before),
        "the calls go on after the restart: {after:?}"
    );
    let positions: Vec<u64> = entries
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );
    // Stop the node, keeping its directory, and check what it left.
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    drop(server);
    let store = FjallStore::open(&node::store_dir(dir.path())).unwrap();
    let (journal, snapshots) = store.reader().unwrap();
    let report = recovery::check(&journal, &snapshots).unwrap();
    assert!(report.ok(), "check failed: {:?}", report.mismatches);
}

#[test]
fn no_route_changes_the_trail() {
    let writers: Vec<String> = ROUTES
        .iter()
        .filter(|route| route.path.starts_with("/admin/v1/audit"))
        .map(|route| format!("{} {}", route.method, route.path))
        .collect();
    assert_eq!(writers, ["GET /admin/v1/audit"]);
    let server = TestServer::start();
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let reply = server.request(
            method,
            "/admin/v1/audit",
            Some(&server.admin_key),
            Some("{}"),
            &[],
        );
        assert_eq!(reply.status, 405, "{method}");
    }
}
