//! A vendor's people in its back office over HTTP ([0149], [0261]): the vendor gives a person
//! a login with some vendor functions; the person sees all of their vendor's sales and
//! disputes and nothing of another vendor's, cannot call what they were not given nor give
//! more than they hold, cannot use the operators' back office, and every call they make is in
//! the audit trail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Reply, TestServer, buy, read_until, sales_of, vendor_named};
use serde_json::json;

fn create_admin(server: &TestServer, bearer: &str, email: &str, functions: &[&str]) -> Reply {
    server.post(
        "/v1/vendors/me/admins",
        Some(bearer),
        &json!({"email": email, "password": "vendor staff password", "functions": functions}),
    )
}

fn sign_in(server: &TestServer, email: &str) -> String {
    let reply = server.post(
        "/v1/vendor-sessions",
        None,
        &json!({"email": email, "password": "vendor staff password"}),
    );
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body["session_token"].as_str().unwrap().to_owned()
}

#[test]
fn a_vendor_admin_sees_their_vendor_s_data_only_and_only_what_they_hold() {
    // No dispute rules: disputes wait for an operator, so the sales stay.
    let server = TestServer::start();
    let news = vendor_named(&server, "Daily News", "news.example");
    let games = vendor_named(&server, "Games Weekly", "games.example");
    let member = server.member("reader@example.com", "UTC", "5.00");
    let news_sale = buy(&server, &news, &member, "0.25", "/a");
    let games_sale = buy(&server, &games, &member, "0.30", "/b");
    buy(&server, &games, &member, "0.35", "/c");
    for sale in [&news_sale, &games_sale] {
        let filed = server.post(
            "/v1/members/me/disputes",
            Some(&member.session),
            &json!({"authorization_id": sale, "reason": "It never loaded"}),
        );
        assert_eq!(filed.status, 201, "{:?}", filed.body);
    }

    // The vendor's key gives a person some functions; an unknown name is refused.
    let unknown = create_admin(&server, &news.key, "x@news.example", &["members.read"]);
    assert_eq!((unknown.status, unknown.code()), (400, "invalid_field"));
    let chief = create_admin(
        &server,
        &news.key,
        "chief@news.example",
        &[
            "sales.read",
            "disputes.read",
            "vendor_admins.create",
            "authorizations.read",
        ],
    );
    assert_eq!(chief.status, 201, "{:?}", chief.body);
    assert_eq!(chief.body["created_by"], "api_key");
    let chief_id = chief.body["vendor_admin_id"].as_str().unwrap().to_owned();
    let taken = create_admin(&server, &games.key, "chief@news.example", &["sales.read"]);
    assert_eq!((taken.status, taken.code()), (409, "operator_exists"));
    let token = sign_in(&server, "chief@news.example");

    // Their vendor's sales and disputes, the same as the vendor's key sees; none of the other's.
    let summary = read_until(&server, "/v1/vendors/me/summary", &token, |s| {
        sales_of(s) == 1
    });
    let by_key = server.get("/v1/vendors/me/summary", Some(&news.key));
    assert_eq!(summary, by_key.body);
    let games_summary = read_until(&server, "/v1/vendors/me/summary", &games.key, |s| {
        sales_of(s) == 2
    });
    assert_ne!(summary, games_summary);
    let disputes = read_until(&server, "/v1/vendors/me/disputes", &token, |d| {
        d["disputes"].as_array().unwrap().len() == 1
    });
    assert_eq!(
        disputes["disputes"][0]["authorization_id"],
        news_sale.as_str()
    );
    let theirs = server.get(&format!("/v1/authorizations/{games_sale}"), Some(&token));
    assert_eq!(
        theirs.status, 404,
        "another vendor's sale: {:?}",
        theirs.body
    );
    let ours = server.get(&format!("/v1/authorizations/{news_sale}"), Some(&token));
    assert_eq!(ours.status, 200, "{:?}", ours.body);

    // What they were not given, they cannot call, nor give.
    let rotate = server.post("/v1/vendors/me/api-keys", Some(&token), &json!({}));
    assert_eq!(
        (rotate.status, rotate.code()),
        (403, "function_not_granted")
    );
    assert_eq!(rotate.body["function"], "api_keys.rotate");
    let payouts = server.get("/v1/vendors/me/payouts", Some(&token));
    assert_eq!(
        (payouts.status, payouts.code()),
        (403, "function_not_granted")
    );
    let more = create_admin(
        &server,
        &token,
        "clerk@news.example",
        &["sales.read", "payouts.read"],
    );
    assert_eq!((more.status, more.code()), (403, "function_not_held"));
    let clerk = create_admin(&server, &token, "clerk@news.example", &["sales.read"]);
    assert_eq!(clerk.status, 201, "{:?}", clerk.body);
    assert_eq!(clerk.body["created_by"], chief_id.as_str());
    let clerk_token = sign_in(&server, "clerk@news.example");
    let refused = server.get("/v1/vendors/me/disputes", Some(&clerk_token));
    assert_eq!(
        (refused.status, refused.code()),
        (403, "function_not_granted")
    );
    let list = server.get("/v1/vendors/me/admins", Some(&news.key));
    assert_eq!(
        list.body["admins"].as_array().unwrap().len(),
        2,
        "{:?}",
        list.body
    );
    let none = server.get("/v1/vendors/me/admins", Some(&games.key));
    assert_eq!(
        none.body["admins"].as_array().unwrap().len(),
        0,
        "{:?}",
        none.body
    );

    // Not an operator: the back office's routes and sign-in refuse them.
    let admin_route = server.get("/admin/v1/disputes", Some(&token));
    assert_eq!(admin_route.status, 401, "{:?}", admin_route.body);
    let operator_sign_in = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "chief@news.example", "password": "vendor staff password"}),
    );
    assert_eq!(operator_sign_in.status, 401, "{:?}", operator_sign_in.body);
    let wrong = server.post(
        "/v1/vendor-sessions",
        None,
        &json!({"email": "chief@news.example", "password": "not the password"}),
    );
    assert_eq!(wrong.status, 401, "{:?}", wrong.body);

    // Every call they made is in the audit trail under their id, refusals included.
    let audit = server.get(
        &format!("/admin/v1/audit?actor={chief_id}&limit=100"),
        Some(&server.admin_key),
    );
    assert_eq!(audit.status, 200, "{:?}", audit.body);
    let functions: Vec<&str> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["function"].as_str().unwrap())
        .collect();
    for function in [
        "sales.read",
        "disputes.read",
        "api_keys.rotate",
        "vendor_admins.create",
    ] {
        assert!(functions.contains(&function), "{function} in {functions:?}");
    }
}

#[test]
fn vendor_admins_and_their_functions_survive_a_restart() {
    let server = TestServer::start();
    let news = vendor_named(&server, "Daily News", "news.example");
    let created = create_admin(&server, &news.key, "chief@news.example", &["sales.read"]);
    assert_eq!(created.status, 201, "{:?}", created.body);
    let server = server.restart();
    let token = sign_in(&server, "chief@news.example");
    let summary = server.get("/v1/vendors/me/summary", Some(&token));
    assert_eq!(summary.status, 200, "{:?}", summary.body);
    let refused = server.get("/v1/vendors/me/disputes", Some(&token));
    assert_eq!(
        (refused.status, refused.code()),
        (403, "function_not_granted")
    );
}
