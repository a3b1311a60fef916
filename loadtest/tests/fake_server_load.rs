//! End to end against a tiny in-process fake of farthing's API: setup in bulk chunks, the
//! default mix (new content, owned content, access checks), `--batch` runs against its
//! `POST /v1/authorize/batch`, the totals check and the metrics scrape. The fake keeps money in
//! integer micro-units, like the real server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test fake: a request it cannot read is a test failure, so panicking is the report"
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use farthing_loadtest::{Cli, Command, Report, money, null_server};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const ADMIN_KEY: &str = "admin-secret";

#[derive(Default)]
struct Fake {
    vendor_fee_ppm: Vec<i128>,
    member_balances: Vec<i128>,
    deposits: i128,
    gross: i128,
    fees: i128,
    /// (member, vendor, content URL) bought.
    owned: HashSet<(usize, usize, String)>,
    /// Unused access token -> (vendor, content URL).
    access_tokens: HashMap<String, (usize, String)>,
    next_token: u64,
    /// Batch requests received, answered or not.
    batches: u64,
    /// Batch requests refused whole with 503 `overloaded`.
    batches_overloaded: u64,
    /// Items of answered batches that were charged.
    batch_items_charged: u64,
    /// Items of answered batches refused with a problem, by code.
    batch_item_problems: BTreeMap<String, u64>,
    /// Neighbouring items of one batch for the same member (the harness must spread them).
    batch_neighbours_same_member: u64,
    /// Members and vendors that batch items charged.
    batch_members: HashSet<usize>,
    batch_vendors: HashSet<usize>,
    /// Items per batch seen.
    batch_sizes: HashSet<usize>,
    /// `Idempotency-Key`s of batch requests.
    batch_idempotency_keys: HashSet<String>,
}

/// Every fifth batch the fake receives is refused whole, as an overloaded server does.
const BATCH_OVERLOADED_EVERY: u64 = 5;

/// The fake's per-item refusals, by the article's sequence number within its worker (the low
/// 40 bits of the number in the content URL): deterministic, and each batch holds some.
fn item_refusal(content_url: &str) -> Option<(StatusCode, &'static str)> {
    let article: u64 = content_url.rsplit('/').next().unwrap().parse().unwrap();
    match (article & ((1 << 40) - 1)) % 10 {
        3 => Some((StatusCode::PAYMENT_REQUIRED, "insufficient_funds")),
        7 => Some((StatusCode::FORBIDDEN, "limit_exceeded")),
        _ => None,
    }
}

/// The member a buyer token belongs to, if it was issued for `vendor`.
fn token_member(token: &str, vendor: usize) -> Option<usize> {
    let mut parts = token.trim_start_matches("bt_").split('_');
    let member: usize = parts.next().unwrap().parse().unwrap();
    (parts.next().unwrap().parse::<usize>().unwrap() == vendor).then_some(member)
}

/// One authorize, single or a batch item: charges new content, not owned content.
fn authorize(fake: &mut Fake, vendor: usize, body: &Value) -> (StatusCode, Value) {
    let Some(member) = token_member(body["buyer_token"].as_str().unwrap(), vendor) else {
        return problem(StatusCode::FORBIDDEN, "wrong_vendor");
    };
    assert_eq!(body["currency"], "USD");
    assert!(body["title"].is_string());
    let url = body["content_url"].as_str().unwrap().to_owned();
    let price = money::parse_micros(body["price"].as_str().unwrap()).unwrap();
    let already_owned = !fake.owned.insert((member, vendor, url.clone()));
    let charged = if already_owned { 0 } else { price };
    fake.member_balances[member] -= charged;
    fake.gross += charged;
    fake.fees += charged * fake.vendor_fee_ppm[vendor] / 1_000_000;
    fake.next_token += 1;
    let access_token = format!("at_{}", fake.next_token);
    fake.access_tokens
        .insert(access_token.clone(), (vendor, url));
    (
        StatusCode::OK,
        json!({"authorization_id": format!("auth_{}", fake.next_token),
               "charged": if already_owned { "0".to_owned() } else { decimal(charged) },
               "currency": "USD", "already_owned": already_owned,
               "entitlement": {"views_left": null, "expires_at": null},
               "access_token": access_token, "member_ref": format!("mref_{member}")}),
    )
}

/// `POST /v1/authorize/batch`: every fifth batch is overloaded; otherwise each item is
/// refused by `item_refusal` or authorized on its own, one result per item in order.
fn authorize_batch(
    fake: &mut Fake,
    vendor: usize,
    body: &Value,
    idempotency_key: Option<String>,
) -> (StatusCode, Value) {
    fake.batches += 1;
    if let Some(key) = idempotency_key {
        assert!(fake.batch_idempotency_keys.insert(key), "a reused key");
    }
    if fake.batches % BATCH_OVERLOADED_EVERY == 0 {
        fake.batches_overloaded += 1;
        return problem(StatusCode::SERVICE_UNAVAILABLE, "overloaded");
    }
    let items = body["items"].as_array().unwrap();
    assert!((1..=1000).contains(&items.len()), "{} items", items.len());
    fake.batch_sizes.insert(items.len());
    let mut previous_member = None;
    let mut results = Vec::new();
    for item in items {
        let member = token_member(item["buyer_token"].as_str().unwrap(), vendor);
        if member.is_some() && member == previous_member {
            fake.batch_neighbours_same_member += 1;
        }
        previous_member = member;
        if let Some((status, code)) = item_refusal(item["content_url"].as_str().unwrap()) {
            *fake.batch_item_problems.entry(code.to_owned()).or_insert(0) += 1;
            results.push(json!({"problem": problem(status, code).1}));
            continue;
        }
        let (status, reply) = authorize(fake, vendor, item);
        if status == StatusCode::OK && reply["already_owned"] == false {
            fake.batch_items_charged += 1;
            fake.batch_members.insert(member.unwrap());
            fake.batch_vendors.insert(vendor);
            results.push(reply);
        } else {
            results.push(json!({"problem": reply}));
        }
    }
    (StatusCode::OK, json!({"results": results}))
}

fn decimal(micros: i128) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

fn problem(status: StatusCode, code: &str) -> (StatusCode, Value) {
    (
        status,
        json!({"type": "about:blank", "title": code, "status": status.as_u16(), "code": code}),
    )
}

fn bearer(request: &Request<Incoming>) -> String {
    request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned()
}

fn handle(
    fake: &mut Fake,
    path: &str,
    key: &str,
    idempotency_key: Option<String>,
    body: &Value,
) -> (StatusCode, Value) {
    let admin = key == ADMIN_KEY;
    let vendor = key
        .strip_prefix("fk_")
        .and_then(|index| index.parse::<usize>().ok());
    match (path, admin, vendor) {
        ("/admin/v1/vendors", true, _) => {
            let index = fake.vendor_fee_ppm.len();
            fake.vendor_fee_ppm
                .push(i128::from(body["fee_ppm"].as_u64().unwrap()));
            (
                StatusCode::CREATED,
                json!({"vendor_id": format!("ven_{index}"), "api_key": format!("fk_{index}")}),
            )
        }
        ("/admin/v1/members/bulk", true, _) => {
            let count = body["count"].as_u64().unwrap();
            assert!(count <= 10_000);
            let deposit = money::parse_micros(body["deposit"].as_str().unwrap()).unwrap();
            let vendor_ids: Vec<&str> = body["vendor_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap())
                .collect();
            let mut members = Vec::new();
            for _ in 0..count {
                let member = fake.member_balances.len();
                fake.member_balances.push(deposit);
                fake.deposits += deposit;
                let tokens: Vec<String> = vendor_ids
                    .iter()
                    .map(|id| format!("bt_{member}_{}", id.trim_start_matches("ven_")))
                    .collect();
                members
                    .push(json!({"member_id": format!("acct_{member}"), "buyer_tokens": tokens}));
            }
            (StatusCode::CREATED, json!({"members": members}))
        }
        ("/admin/v1/totals", true, _) => {
            let balances: i128 = fake.member_balances.iter().sum();
            (
                StatusCode::OK,
                json!({"conserved": true, "currencies": [{
                    "currency": "USD", "deposits": decimal(fake.deposits), "reversals": "0.00",
                    "member_balances": decimal(balances), "vendor_gross": decimal(fake.gross),
                    "fees": decimal(fake.fees), "net_payable": decimal(fake.gross - fake.fees)}]}),
            )
        }
        ("/v1/authorize", _, Some(vendor)) => authorize(fake, vendor, body),
        ("/v1/authorize/batch", _, Some(vendor)) => {
            authorize_batch(fake, vendor, body, idempotency_key)
        }
        ("/v1/access", _, Some(vendor)) => {
            let token = body["access_token"].as_str().unwrap();
            let url = body["content_url"].as_str().unwrap();
            match fake.access_tokens.remove(token) {
                Some((token_vendor, token_url)) if token_vendor == vendor && token_url == url => {
                    (StatusCode::OK, json!({"granted": true, "views_left": null}))
                }
                _ => problem(StatusCode::FORBIDDEN, "access_denied"),
            }
        }
        _ => problem(StatusCode::UNAUTHORIZED, "unauthorized"),
    }
}

async fn serve(listener: tokio::net::TcpListener, fake: Arc<Mutex<Fake>>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let fake = Arc::clone(&fake);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| {
                let fake = Arc::clone(&fake);
                async move {
                    let path = request.uri().path().to_owned();
                    let key = bearer(&request);
                    let idempotency_key = request
                        .headers()
                        .get("idempotency-key")
                        .map(|value| value.to_str().unwrap().to_owned());
                    let bytes = request.into_body().collect().await.unwrap().to_bytes();
                    let response = if path == "/metrics" {
                        let text = "# TYPE farthing_authorize_latency_us summary\n\
                                    farthing_authorize_latency_us{quantile=\"0.99\"} 800\n\
                                    farthing_other_total 1\n";
                        Response::new(Full::new(Bytes::from_static(text.as_bytes())))
                    } else {
                        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        let (status, reply) = handle(
                            &mut fake.lock().unwrap(),
                            &path,
                            &key,
                            idempotency_key,
                            &body,
                        );
                        let mut response = Response::new(Full::new(Bytes::from(reply.to_string())));
                        *response.status_mut() = status;
                        response
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The fake, listening on a loopback port, and an admin key file for it.
struct Running {
    target: String,
    fake: Arc<Mutex<Fake>>,
    server: tokio::task::JoinHandle<()>,
    key_file: tempfile::NamedTempFile,
}

async fn start_fake() -> Running {
    let listener = null_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = Arc::new(Mutex::new(Fake::default()));
    let server = tokio::spawn(serve(listener, Arc::clone(&fake)));
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key_file.path(), format!("{ADMIN_KEY}\n")).unwrap();
    Running {
        target: format!("http://{addr}"),
        fake,
        server,
        key_file,
    }
}

/// `farthing-loadtest run` against `running` with `flags` after the target and key file.
async fn run(running: &Running, flags: &[&str]) -> Report {
    let mut argv = vec![
        "farthing-loadtest",
        "run",
        "--target",
        &running.target,
        "--admin-key-file",
        running.key_file.path().to_str().unwrap(),
        "--report",
        "/dev/null",
    ];
    argv.extend_from_slice(flags);
    let Command::Run(args) = Cli::try_parse_from(argv).unwrap().command else {
        panic!("wrong subcommand")
    };
    tokio::time::timeout(Duration::from_secs(30), farthing_loadtest::run(&args))
        .await
        .expect("the run is bounded")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_run_with_the_default_mix_conserves_money() {
    let running = start_fake().await;
    let report = run(
        &running,
        &[
            "--members",
            "10050",
            "--vendors",
            "3",
            "--rate",
            "600",
            "--duration",
            "1s",
            "--warmup",
            "300ms",
            "--connections",
            "4",
        ],
    )
    .await;
    running.server.abort();
    let fake = running.fake;

    assert_eq!(
        fake.lock().unwrap().member_balances.len(),
        10_050,
        "two bulk chunks seeded"
    );
    assert_eq!(report.conservation_ok, Some(true));
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert!(
        (450..=750).contains(&report.requests),
        "requests {}",
        report.requests
    );
    for kind in ["authorize", "owned", "access"] {
        let entry = report
            .by_kind
            .get(kind)
            .unwrap_or_else(|| panic!("no {kind}"));
        assert!(entry.count > 0, "{kind} never ran");
    }
    // A single request is one item: every successful request counts.
    assert_eq!(report.batch_size, 1);
    assert_eq!(report.items_ok, report.requests);
    assert!(report.item_errors.is_empty());
    assert_eq!(fake.lock().unwrap().batches, 0);
    assert_eq!(
        report.server_metrics,
        vec!["farthing_authorize_latency_us{quantile=\"0.99\"} 800"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_run_counts_items_and_conserves_money() {
    let running = start_fake().await;
    // No warmup, so every batch the fake answers is measured and the counts compare exactly.
    let report = run(
        &running,
        &[
            "--members",
            "7",
            "--vendors",
            "2",
            "--batch",
            "25",
            "--rate",
            "40",
            "--duration",
            "1s",
            "--warmup",
            "0s",
            "--connections",
            "4",
            "--idempotency",
        ],
    )
    .await;
    running.server.abort();
    let fake = running.fake.lock().unwrap();

    // The purchases made in batches are real charges, and the totals still balance.
    assert_eq!(report.conservation_ok, Some(true));
    assert!(fake.gross > 0);

    // Requests are batches: the rate counts them, and a whole-batch failure is a request error.
    assert_eq!(report.batch_size, 25);
    assert_eq!(report.unsent, 0);
    assert_eq!(report.requests, fake.batches);
    assert!((30..=50).contains(&report.requests), "{}", report.requests);
    assert!(fake.batches_overloaded > 0);
    assert_eq!(
        report.errors,
        BTreeMap::from([("overloaded".to_owned(), fake.batches_overloaded)])
    );
    assert_eq!(
        fake.batch_idempotency_keys.len(),
        usize::try_from(fake.batches).unwrap()
    );

    // Items: the charged ones counted as ok, the refused ones by their problem's code.
    assert_eq!(fake.batch_sizes, HashSet::from([25]));
    assert!(fake.batch_items_charged > 0);
    assert_eq!(report.items_ok, fake.batch_items_charged);
    assert_eq!(report.item_errors, fake.batch_item_problems);
    assert_eq!(report.item_errors.len(), 2, "{:?}", report.item_errors);
    let item_errors: u64 = report.item_errors.values().sum();
    assert_eq!(
        report.items_ok + item_errors,
        (fake.batches - fake.batches_overloaded) * 25
    );

    // Items are spread: neighbours differ, and every member and vendor is charged.
    assert_eq!(fake.batch_neighbours_same_member, 0);
    assert_eq!(fake.batch_members.len(), 7);
    assert_eq!(fake.batch_vendors.len(), 2);

    let json = serde_json::to_value(&report).unwrap();
    let items_per_s = json["items_per_s"].as_f64().unwrap();
    let throughput_rps = json["throughput_rps"].as_f64().unwrap();
    assert!(items_per_s > 0.0);
    assert!(items_per_s <= f64::from(u32::try_from(report.items_ok).unwrap()) / report.duration_s);
    assert!(
        items_per_s > 10.0 * throughput_rps,
        "{items_per_s} {throughput_rps}"
    );
    assert_eq!(json["batch_size"], 25);
    assert_eq!(json["mix"]["owned"], 0);
    assert_eq!(json["mix"]["access"], 0);
}
