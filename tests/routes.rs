//! What the route table promises, checked route by route against a running server: every
//! route that needs a caller refuses a request without credentials and one with another
//! kind's credentials; every known path answers a method it does not take with 405 and the
//! `Allow` header of the table; a refusal sent before the body was read closes the
//! connection; every back-office route is refused to an operator lacking its security
//! function (and only that one); every holder route is refused to a sub-member; and
//! `/openapi.json` serves the document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::TestServer;
use farthing::http::routes::{self, Caller, ROUTES};
use serde_json::{Value, json};

/// A path for a template: every `{param}` filled with something of the right shape.
fn concrete(template: &str) -> String {
    template
        .replace("{id}", "acct_0000000000000001")
        .replace("{code}", "insufficient_funds")
        .replace("{offer}", "ofr_0000000000000001")
}

#[test]
fn every_route_that_needs_a_caller_refuses_others() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("routes@example.com", "UTC", "1.00");
    let mut checked = 0;
    for route in ROUTES {
        if route.caller == Caller::None {
            continue;
        }
        let path = concrete(route.path);
        let method = route.method.as_str();
        let body = Some("{}");
        let anonymous = server.request(method, &path, None, body, &[]);
        assert_eq!(
            (anonymous.status, anonymous.code()),
            (401, "unauthenticated"),
            "{method} {path} without credentials"
        );
        let wrong: Vec<&str> = match route.caller {
            Caller::Vendor(_) => vec![&member.session, &server.admin_key],
            Caller::Member | Caller::Holder => vec![&vendor.key, &server.admin_key],
            Caller::Admin(_) => vec![&vendor.key, &member.session],
            Caller::None => vec![],
        };
        for credential in wrong {
            let refused = server.request(method, &path, Some(credential), body, &[]);
            assert_eq!(
                refused.status, 401,
                "{method} {path} with another kind's credential: {:?}",
                refused.body
            );
        }
        checked += 1;
    }
    assert!(checked >= 20, "{checked} routes checked");
}

/// Generated from the table: every holder-only route refuses a sub-member's session with 403
/// `holder_only` before it does anything ([0275]), and a holder's session gets past the check.
#[test]
fn every_holder_route_refuses_a_sub_member() {
    let server = TestServer::start();
    let holder = server.member("holder@example.com", "UTC", "1.00");
    let (child, _) = server.sub_member(&holder, "Kid", "kid@example.com");
    let mut checked = 0;
    for route in ROUTES.iter().filter(|route| route.caller == Caller::Holder) {
        let path = concrete(route.path);
        let method = route.method.as_str();
        let refused = server.request(method, &path, Some(&child.session), Some("{}"), &[]);
        assert_eq!(
            (refused.status, refused.code()),
            (403, "holder_only"),
            "{method} {path} by a sub-member"
        );
        let passed = server.request(method, &path, Some(&holder.session), Some("{}"), &[]);
        assert_ne!(
            passed.code(),
            "holder_only",
            "{method} {path} by the holder"
        );
        checked += 1;
    }
    // Wallets, top-off, payment methods (2), deposits, cash-outs, transfers, disputes (2),
    // unfreeze, limits, and the five sub-member routes.
    assert!(checked >= 16, "{checked} holder routes checked");
}

/// Creates a security group of `functions` with the admin key; answers its id.
fn group(server: &TestServer, name: &str, functions: &[&str]) -> String {
    let created = server.post(
        "/admin/v1/security-groups",
        Some(&server.admin_key),
        &json!({"name": name, "functions": functions}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body["security_group_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Generated from the table: for each back-office route, an operator holding every function
/// but that route's is refused with 403 naming it, and the same operator holding every
/// function gets past the check. A route added without a function cannot compile (the
/// function is part of `Caller::Admin`), and one whose function the check ignored fails here.
#[test]
fn every_back_office_route_is_refused_without_its_function() {
    let server = TestServer::start();
    let functions = routes::admin_functions();
    assert!(functions.len() >= 25, "{functions:?}");
    for function in &functions {
        let (resource, verb) = function.split_once('.').unwrap();
        assert!(
            !resource.is_empty()
                && !verb.is_empty()
                && function
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'),
            "{function} is not <resource>.<verb>"
        );
    }
    let listed = server.get("/admin/v1/functions", Some(&server.admin_key));
    assert_eq!(listed.body["functions"], json!(functions));
    let all = group(&server, "Everything", &functions);
    let created = server.post(
        "/admin/v1/operators",
        Some(&server.admin_key),
        &json!({"email": "ops@msp.example", "password": "correct horse battery",
                "security_group_ids": [all]}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    let operator = created.body["operator_id"].as_str().unwrap().to_owned();
    let signed_in = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "ops@msp.example", "password": "correct horse battery"}),
    );
    assert_eq!(signed_in.status, 201, "{:?}", signed_in.body);
    let token = signed_in.body["session_token"].as_str().unwrap().to_owned();
    let regroup = |groups: &[&str]| {
        let set = server.put(
            &format!("/admin/v1/operators/{operator}/groups"),
            Some(&server.admin_key),
            &json!({ "security_group_ids": groups }),
        );
        assert_eq!(set.status, 200, "{:?}", set.body);
    };
    let mut checked = 0;
    for route in ROUTES {
        let Caller::Admin(function) = route.caller else {
            continue;
        };
        let others: Vec<&str> = functions
            .iter()
            .copied()
            .filter(|f| *f != function)
            .collect();
        let without = group(&server, &format!("All but {function}"), &others);
        regroup(&[&without]);
        let path = concrete(route.path);
        let method = route.method.as_str();
        let refused = server.request(method, &path, Some(&token), Some("{}"), &[]);
        assert_eq!(
            (refused.status, refused.code()),
            (403, "function_not_granted"),
            "{method} {path} without {function}: {:?}",
            refused.body
        );
        assert_eq!(refused.body["function"], function, "{method} {path}");
        regroup(&[&all]);
        let allowed = server.request(method, &path, Some(&token), Some("{}"), &[]);
        assert!(
            allowed.status != 401 && allowed.status != 403,
            "{method} {path} with {function}: {} {:?}",
            allowed.status,
            allowed.body
        );
        checked += 1;
    }
    assert!(checked >= 25, "{checked} routes checked");
}

#[test]
fn every_vendor_route_is_refused_to_a_vendor_admin_without_its_function() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let functions = routes::vendor_functions();
    assert!(functions.len() >= 10, "{functions:?}");
    // One admin holding every vendor function, and one for each holding all but it; all
    // made before any route runs (a rotation would end the key that makes them).
    let admin = |email: &str, held: &[&str]| {
        let created = server.post(
            "/v1/vendors/me/admins",
            Some(&vendor.key),
            &json!({"email": email, "password": "correct horse battery", "functions": held}),
        );
        assert_eq!(created.status, 201, "{email}: {:?}", created.body);
        let signed_in = server.post(
            "/v1/vendor-sessions",
            None,
            &json!({"email": email, "password": "correct horse battery"}),
        );
        assert_eq!(signed_in.status, 201, "{:?}", signed_in.body);
        signed_in.body["session_token"].as_str().unwrap().to_owned()
    };
    let all = admin("all@news.example", &functions);
    let mut without = std::collections::BTreeMap::new();
    for (index, function) in functions.iter().enumerate() {
        let others: Vec<&str> = functions
            .iter()
            .copied()
            .filter(|f| f != function)
            .collect();
        without.insert(
            *function,
            admin(&format!("but{index}@news.example"), &others),
        );
    }
    let mut checked = 0;
    for route in ROUTES {
        let Caller::Vendor(function) = route.caller else {
            continue;
        };
        let path = concrete(route.path);
        let method = route.method.as_str();
        let refused = server.request(method, &path, Some(&without[function]), Some("{}"), &[]);
        assert_eq!(
            (refused.status, refused.code()),
            (403, "function_not_granted"),
            "{method} {path} without {function}: {:?}",
            refused.body
        );
        assert_eq!(refused.body["function"], function, "{method} {path}");
        let allowed = server.request(method, &path, Some(&all), Some("{}"), &[]);
        assert!(
            allowed.status != 401 && allowed.status != 403,
            "{method} {path} with {function}: {} {:?}",
            allowed.status,
            allowed.body
        );
        checked += 1;
    }
    assert!(checked >= 10, "{checked} routes checked");
}

#[test]
fn a_group_is_a_subset_of_its_creators_functions() {
    let server = TestServer::start();
    let readers = group(
        &server,
        "Readers",
        &[
            "members.read",
            "disputes.read",
            "security_groups.create",
            "operators.create",
        ],
    );
    let deciders = group(&server, "Deciders", &["disputes.read", "disputes.decide"]);
    let created = server.post(
        "/admin/v1/operators",
        Some(&server.admin_key),
        &json!({"email": "lead@msp.example", "password": "correct horse battery",
                "security_group_ids": [readers]}),
    );
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(
        created.body["functions"],
        json!([
            "disputes.read",
            "members.read",
            "operators.create",
            "security_groups.create"
        ])
    );
    let token = server.post(
        "/admin/v1/sessions",
        None,
        &json!({"email": "lead@msp.example", "password": "correct horse battery"}),
    );
    let token = token.body["session_token"].as_str().unwrap().to_owned();
    let as_lead = |path: &str, body: &Value| server.post(path, Some(&token), body);
    // A subset of their own: allowed. One function more: refused, naming the rule.
    let sub = as_lead(
        "/admin/v1/security-groups",
        &json!({"name": "Read members", "functions": ["members.read"]}),
    );
    assert_eq!(sub.status, 201, "{:?}", sub.body);
    let more = as_lead(
        "/admin/v1/security-groups",
        &json!({"name": "More", "functions": ["members.read", "disputes.decide"]}),
    );
    assert_eq!((more.status, more.code()), (403, "function_not_held"));
    let unknown = as_lead(
        "/admin/v1/security-groups",
        &json!({"name": "Odd", "functions": ["members.fly"]}),
    );
    assert_eq!((unknown.status, unknown.code()), (400, "invalid_field"));
    // Adding a person: to a group they hold all of, yes; to the deciders, no.
    let sub_id = sub.body["security_group_id"].as_str().unwrap();
    let person = |email: &str, group: &str| {
        as_lead(
            "/admin/v1/operators",
            &json!({"email": email, "password": "correct horse battery",
                    "security_group_ids": [group]}),
        )
    };
    assert_eq!(person("reader@msp.example", sub_id).status, 201);
    let raised = person("decider@msp.example", &deciders);
    assert_eq!((raised.status, raised.code()), (403, "function_not_held"));
    let twice = person("reader@msp.example", sub_id);
    assert_eq!((twice.status, twice.code()), (409, "operator_exists"));
    let nowhere = person("x@msp.example", "sg_00000000000000ff");
    assert_eq!(
        (nowhere.status, nowhere.code()),
        (422, "security_group_unknown")
    );
    // The lead cannot decide disputes, and the answer names the function.
    let decide = server.get("/admin/v1/totals", Some(&token));
    assert_eq!(
        (decide.status, decide.code()),
        (403, "function_not_granted")
    );
    assert_eq!(decide.body["function"], "totals.read");
    // A wrong password, an unknown e-mail: one answer.
    for (email, password) in [
        ("lead@msp.example", "wrong password!"),
        ("who@msp.example", "correct horse battery"),
    ] {
        let refused = server.post(
            "/admin/v1/sessions",
            None,
            &json!({"email": email, "password": password}),
        );
        assert_eq!(refused.status, 401);
    }
    // A forged or altered token is nobody.
    // (The last character is replaced by another one: replaced by itself, the token would
    // be unchanged, one time in 64.)
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    let altered = format!("{}{last}", &token[..token.len() - 1]);
    assert_eq!(server.get("/admin/v1/disputes", Some(&altered)).status, 401);
}

#[test]
fn a_known_path_with_another_method_is_405_with_the_tables_allow() {
    let server = TestServer::start();
    for route in ROUTES {
        let path = concrete(route.path);
        // The methods some template of the table takes this path with.
        let allowed: Vec<&str> = ["GET", "POST", "PUT", "DELETE", "PATCH"]
            .into_iter()
            .filter(|method| {
                let method = hyper::Method::from_bytes(method.as_bytes()).unwrap();
                matches!(routes::find(&method, &path), routes::Matched::Route(..))
            })
            .collect();
        assert!(allowed.contains(&route.method.as_str()));
        let Some(unused) = ["GET", "POST", "PUT", "DELETE", "PATCH"]
            .into_iter()
            .find(|method| !allowed.contains(method))
        else {
            continue;
        };
        let reply = server.request(unused, &path, None, None, &[]);
        assert_eq!(reply.status, 405, "{unused} {path}");
        let allow = reply.header("allow").unwrap_or("");
        for method in &allowed {
            assert!(allow.contains(method), "{unused} {path}: Allow {allow}");
        }
    }
    let unknown = server.get("/v1/nothing-here", None);
    assert_eq!((unknown.status, unknown.code()), (404, "route_not_found"));
}

/// hyper cannot reuse a connection whose request body was left unread; a client must be told,
/// or its next request races the close (seen as a "peer disconnected" on a pooled connection).
#[test]
fn a_refusal_before_the_body_is_read_closes_the_connection() {
    let server = TestServer::start();
    let vendor = server.vendor("close.example");
    let body = Some(r#"{"member_token":"x"}"#);
    let unauthenticated = server.request("POST", "/v1/authorize", None, body, &[]);
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(unauthenticated.header("connection"), Some("close"));
    let wrong_method = server.request("PUT", "/v1/authorize", Some(&vendor.key), body, &[]);
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("connection"), Some("close"));
    // A refusal after the body was read keeps the connection for the vendor's next request.
    let invalid = server.request("POST", "/v1/authorize", Some(&vendor.key), body, &[]);
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.header("connection"), None);
    let bodiless = server.request("GET", "/v1/vendors/me/summary", None, None, &[]);
    assert_eq!(bodiless.status, 401);
    assert_eq!(bodiless.header("connection"), None);
}

#[test]
fn the_openapi_document_is_served_with_every_route() {
    let server = TestServer::start();
    let reply = server.get("/openapi.json", None);
    assert_eq!(reply.status, 200);
    assert!(reply.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = reply.body["paths"].as_object().unwrap();
    for route in ROUTES {
        let item = &paths[route.path];
        let operation = &item[route.method.as_str().to_ascii_lowercase()];
        assert!(operation.is_object(), "{} {}", route.method, route.path);
        let secured = operation["security"].is_array();
        assert_eq!(
            secured,
            route.caller != Caller::None,
            "{} {}",
            route.method,
            route.path
        );
    }
}
