//! The access log: one line per request under `farthing::access`, with the route template,
//! never a bearer key, a token or a body; and the shipped filter keeps it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::{Arc, Mutex};

use common::TestServer;
use farthing::config::Config;
use serde_json::json;

/// Everything the process logs, as written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[test]
fn every_request_has_an_access_line_without_secrets() {
    // The shipped configuration's [log], as `serve` would install it (one test in this
    // binary: the logger is process-wide).
    let shipped = Config::from_toml(include_str!("../config/farthing.toml"), []).unwrap();
    assert_eq!(shipped.log.filter, "warn,farthing=info");
    let captured = Captured::default();
    let filter = farthing::logging::filter(&shipped.log, None);
    tracing::subscriber::set_global_default(farthing::logging::subscriber(
        &shipped.log,
        filter,
        captured.clone(),
        false,
    ))
    .unwrap();

    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("access@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    assert_eq!(bought.status, 200);
    let access_token = bought.body["access_token"].as_str().unwrap().to_owned();
    let authorization = bought.body["authorization_id"].as_str().unwrap().to_owned();
    let looked_up = server.get(
        &format!("/v1/authorizations/{authorization}"),
        Some(&vendor.key),
    );
    assert_eq!(looked_up.status, 200);
    let card = "4242424242424242";
    let refused = server.post(
        "/v1/access",
        Some("not-a-key"),
        &json!({"access_token": access_token, "content_url": format!("https://news.example/{card}")}),
    );
    assert_eq!(refused.status, 401);
    let admin_key = server.admin_key.clone();
    drop(server);

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let access: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("farthing::access"))
        .collect();
    assert!(
        access
            .iter()
            .any(|line| line.contains("route=\"/v1/authorize\"")
                && line.contains("method=POST")
                && line.contains("status=200")
                && line.contains("duration_us=")),
        "{text}"
    );
    assert!(
        access
            .iter()
            .any(|line| line.contains("route=\"/v1/authorizations/{id}\"")),
        "the route template, not the raw path: {text}"
    );
    assert!(
        access
            .iter()
            .any(|line| line.contains("route=\"/v1/access\"") && line.contains("status=401")),
        "{text}"
    );
    for secret in [
        vendor.key.as_str(),
        admin_key.as_str(),
        member.session.as_str(),
        "correct horse battery",
        buyer.as_str(),
        access_token.as_str(),
        authorization.as_str(),
        card,
    ] {
        assert!(!text.contains(secret), "a secret is in the log:\n{text}");
    }
}
