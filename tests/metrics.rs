//! `/metrics`: every family described (HELP and TYPE, as `promtool check metrics` wants), each
//! family's documented labels the ones it emits, and the optional token and address.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{TEST_CONFIG, TestServer};
use farthing::config::Config;
use farthing::storage::fjall_store::SyncData;
use serde_json::json;

/// One family of the exposition: what its `# HELP` and `# TYPE` lines say and the label
/// names its samples carry.
#[derive(Default, Debug)]
struct Family {
    help: Option<String>,
    kind: Option<String>,
    labels: BTreeSet<String>,
    samples: usize,
}

/// Parses the text exposition into families. A sample belongs to the family named by its
/// metric name, or, for histograms and summaries, by that name without `_bucket`, `_sum` or
/// `_count`.
fn families(text: &str) -> BTreeMap<String, Family> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            families.entry(name.to_owned()).or_default().help = Some(help.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            families.entry(name.to_owned()).or_default().kind = Some(kind.to_owned());
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment: {line}");
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix))
            .find(|base| {
                families
                    .get(*base)
                    .and_then(|f| f.kind.as_deref())
                    .is_some_and(|kind| kind == "histogram" || kind == "summary")
            })
            .unwrap_or(name)
            .to_owned();
        let family = families.entry(family).or_default();
        family.samples += 1;
        if let Some(labels) = line[name_end..]
            .strip_prefix('{')
            .and_then(|rest| rest.split_once('}'))
            .map(|(labels, _)| labels)
        {
            for pair in labels.split("\",").filter(|pair| !pair.is_empty()) {
                let label = pair.split_once('=').unwrap().0.trim_start_matches(',');
                if label != "le" && label != "quantile" {
                    family.labels.insert(label.to_owned());
                }
            }
        }
    }
    families
}

/// The labels a description documents: its trailing `[labels: a, b]`, or none.
fn documented_labels(help: &str) -> BTreeSet<String> {
    help.rsplit_once("[labels: ")
        .and_then(|(_, rest)| rest.strip_suffix(']'))
        .map(|list| list.split(", ").map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn every_family_is_described_with_the_labels_it_emits() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("metrics@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(
        server.authorize(&vendor, &buyer, "0.10", "/a/1").status,
        200
    );
    assert_eq!(
        server.authorize(&vendor, &buyer, "5.00", "/a/2").status,
        402
    );
    let access = server.post(
        "/v1/access",
        Some(&vendor.key),
        &json!({"access_token": "forged", "content_url": "https://news.example/a/1"}),
    );
    assert_eq!(access.status, 403);
    assert_eq!(server.get("/v1/nowhere", None).status, 404);

    let scraped = server.get("/metrics", None);
    assert_eq!(scraped.status, 200);
    let text = scraped.body.as_str().unwrap();
    let families = families(text);
    assert!(
        families.len() >= 10,
        "the traffic above touched many families: {families:?}"
    );
    for (name, family) in &families {
        let help = family.help.as_deref();
        assert!(
            help.is_some_and(|help| !help.is_empty()),
            "{name} has no HELP"
        );
        assert!(family.kind.is_some(), "{name} has no TYPE");
        if family.samples > 0 {
            assert_eq!(
                family.labels,
                documented_labels(help.unwrap()),
                "{name}: the labels its HELP documents are the labels it emits"
            );
        }
    }
    for expected in [
        "farthing_http_requests_total",
        "farthing_authorize_outcomes_total",
        "farthing_journal_batches_total",
        "farthing_journal_sync_seconds",
    ] {
        assert!(families.contains_key(expected), "{expected} is scraped");
    }
}

/// A config with `[metrics]` set through the environment, as an operator would.
fn metrics_config(dir: &std::path::Path, overrides: &[(&str, &str)]) -> Config {
    let mut env = vec![(
        "FARTHING_SERVER__DATA_DIR".to_owned(),
        dir.display().to_string(),
    )];
    env.extend(
        overrides
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    );
    Config::from_toml(TEST_CONFIG, env).unwrap()
}

const TOKEN: &str = "scrape-me-0123456789";

#[test]
fn a_metrics_token_is_required_when_set() {
    let server = TestServer::start_with(
        |config| {
            let dir = config.server.data_dir.clone();
            *config = metrics_config(&dir, &[("FARTHING_METRICS__TOKEN", TOKEN)]);
        },
        Box::new(SyncData),
    );
    let none = server.get("/metrics", None);
    assert_eq!((none.status, none.code()), (401, "unauthenticated"));
    let wrong = server.get("/metrics", Some("scrape-me-0123456788"));
    assert_eq!((wrong.status, wrong.code()), (401, "unauthenticated"));
    let admin = server.get("/metrics", Some(&server.admin_key));
    assert_eq!(admin.status, 401, "only the metrics token opens /metrics");
    let right = server.get("/metrics", Some(TOKEN));
    assert_eq!(right.status, 200);
    assert!(right.body.as_str().unwrap().contains("farthing_"));
}

/// A GET on another address, as a scraper would.
fn get(url: &str, bearer: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent.get(url);
    if let Some(token) = bearer {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

#[test]
fn metrics_listen_moves_metrics_off_the_api_port() {
    let server = TestServer::start_with(
        |config| {
            let dir = config.server.data_dir.clone();
            *config = metrics_config(
                &dir,
                &[
                    ("FARTHING_METRICS__LISTEN", "127.0.0.1:0"),
                    ("FARTHING_METRICS__TOKEN", TOKEN),
                ],
            );
        },
        Box::new(SyncData),
    );
    let node = server.node.as_ref().unwrap();
    let address = node.metrics_address.expect("a metrics address is bound");
    assert_ne!(address, node.address);
    let on_api = server.get("/metrics", Some(TOKEN));
    assert_eq!((on_api.status, on_api.code()), (404, "route_not_found"));
    let metrics = format!("http://{address}/metrics");
    assert_eq!(get(&metrics, None).0, 401, "the token still applies");
    let (status, text) = get(&metrics, Some(TOKEN));
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE farthing_"), "{text}");
    let (status, _) = get(
        &format!("http://{address}/v1/vendors/me/summary"),
        Some(TOKEN),
    );
    assert_eq!(status, 404, "the metrics address serves nothing else");
    // One step away: unset, /metrics is on the API port, open, as before.
    let plain = TestServer::start();
    assert!(plain.node.as_ref().unwrap().metrics_address.is_none());
    assert_eq!(plain.get("/metrics", None).status, 200);
}
