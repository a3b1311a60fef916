//! End to end against a tiny in-process fake of farthing's API: setup in bulk chunks, the
//! default mix (new content, owned content, access checks), the totals check and the metrics
//! scrape. The fake keeps money in integer micro-units, like the real server.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test fake: a request it cannot read is a test failure, so panicking is the report"
)]

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use farthing_loadtest::{Cli, Command, money, null_server};
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

fn handle(fake: &mut Fake, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
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
        ("/v1/authorize", _, Some(vendor)) => {
            let token = body["buyer_token"].as_str().unwrap();
            let mut parts = token.trim_start_matches("bt_").split('_');
            let member: usize = parts.next().unwrap().parse().unwrap();
            if parts.next().unwrap().parse::<usize>().unwrap() != vendor {
                return problem(StatusCode::FORBIDDEN, "wrong_vendor");
            }
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
                       "already_owned": already_owned,
                       "entitlement": {"views_left": null, "expires_at": null},
                       "access_token": access_token, "member_ref": format!("mref_{member}")}),
            )
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
                    let bytes = request.into_body().collect().await.unwrap().to_bytes();
                    let response = if path == "/metrics" {
                        let text = "# TYPE farthing_authorize_latency_us summary\n\
                                    farthing_authorize_latency_us{quantile=\"0.99\"} 800\n\
                                    farthing_other_total 1\n";
                        Response::new(Full::new(Bytes::from_static(text.as_bytes())))
                    } else {
                        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                        let (status, reply) = handle(&mut fake.lock().unwrap(), &path, &key, &body);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_run_with_the_default_mix_conserves_money() {
    let listener = null_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = Arc::new(Mutex::new(Fake::default()));
    let server = tokio::spawn(serve(listener, Arc::clone(&fake)));

    let dir = std::env::temp_dir().join(format!("farthing-loadtest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("admin.key");
    std::fs::write(&key_file, format!("{ADMIN_KEY}\n")).unwrap();

    let target = format!("http://{addr}");
    let cli = Cli::try_parse_from([
        "farthing-loadtest",
        "run",
        "--target",
        &target,
        "--admin-key-file",
        key_file.to_str().unwrap(),
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
        "--report",
        "/dev/null",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("wrong subcommand")
    };
    let report = tokio::time::timeout(Duration::from_secs(30), farthing_loadtest::run(&args))
        .await
        .expect("the run is bounded")
        .unwrap();
    server.abort();
    std::fs::remove_dir_all(&dir).unwrap();

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
    assert_eq!(
        report.server_metrics,
        vec!["farthing_authorize_latency_us{quantile=\"0.99\"} 800"]
    );
}
