//! What the route table promises, checked route by route against a running server: every
//! route that needs a caller refuses a request without credentials and one with another
//! kind's credentials; every known path answers a method it does not take with 405 and the
//! `Allow` header of the table; a refusal sent before the body was read closes the
//! connection; and `/openapi.json` serves the document.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::TestServer;
use farthing::http::routes::{self, Caller, ROUTES};

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
            Caller::Vendor => vec![&member.session, &server.admin_key],
            Caller::Member => vec![&vendor.key, &server.admin_key],
            Caller::Admin => vec![&vendor.key, &member.session],
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
