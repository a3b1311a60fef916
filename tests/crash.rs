//! Crash safety of the real binary: SIGKILL under concurrent authorizations (single and in
//! batches), restart on the same data directory, and check that every acknowledged purchase
//! survived (every item of a batch answered in a 200 too), vendor aggregates equal the
//! durable sales, money is conserved, an access token minted before the kill is refused after
//! it, and `farthing check` agrees (snapshots, checkpoint and recovery equal a full replay).
//! The test configuration snapshots accounts every few events and checkpoints every 50 ms, so
//! the kill also lands while snapshots are being written. Settlement runs are killed at random
//! points too: every journaled payout ends up in exactly one payment file, and no payee is
//! paid twice or skipped.
//!
//! A process kill keeps the page cache, so this proves recovery, not fsync ordering; the
//! ordering itself (no reply before persist, a failed persist stops writes) is tested at the
//! journal seam in `tests/journal_faults.rs` and in `storage::wal`'s own tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_farthing");
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml");

struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &std::path::Path) -> Server {
    let mut child = Command::new(BINARY)
        .args([
            "serve",
            "--config",
            CONFIG,
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("farthing listening on ")
        .expect("the server prints its address")
        .to_owned();
    Server { child, base }
}

fn new_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    bearer: &str,
    body: Option<&Value>,
) -> Result<(u16, Value), ureq::Error> {
    let authorization = format!("Bearer {bearer}");
    call_with(
        agent,
        method,
        url,
        &[("Authorization", &authorization)],
        body,
    )
}

/// A GET that must answer 200: its body.
fn get_ok(agent: &ureq::Agent, url: &str, bearer: &str) -> Value {
    let (status, body) = call(agent, "GET", url, bearer, None).unwrap();
    assert_eq!(status, 200, "{url}: {body:?}");
    body
}

/// A call with these headers (none for registration and sign-in).
fn call_with(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<(u16, Value), ureq::Error> {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut response = match body {
        Some(body) => agent.run(
            builder
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .unwrap(),
        )?,
        None => agent.run(builder.body(()).unwrap())?,
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The admin key the server created in `dir`, and a vendor registered with `registration`.
fn admin_and_vendor(
    server: &Server,
    dir: &std::path::Path,
    registration: &Value,
) -> (String, Value) {
    let admin = std::fs::read_to_string(dir.join("admin.key"))
        .unwrap()
        .trim()
        .to_owned();
    let url = format!("{}/admin/v1/vendors", server.base);
    let (status, vendor) = call(&new_agent(), "POST", &url, &admin, Some(registration)).unwrap();
    assert_eq!(status, 201, "{vendor:?}");
    (admin, vendor)
}

fn micros(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<6}");
    whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap()
}

#[test]
fn acknowledged_purchases_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let (admin, vendor) = admin_and_vendor(
        &server,
        dir.path(),
        &json!({"name": "Crash News", "currency": "USD", "content_domains": ["crash.example"], "fee_ppm": 30000}),
    );
    let agent = new_agent();
    let vendor_id = vendor["vendor_id"].as_str().unwrap().to_owned();
    let vendor_key = vendor["api_key"].as_str().unwrap().to_owned();
    let (status, seeded) = call(
        &agent,
        "POST",
        &format!("{}/admin/v1/members/bulk", server.base),
        &admin,
        Some(&json!({"count": 40, "currency": "USD", "deposit": "100", "vendor_ids": [vendor_id]})),
    )
    .unwrap();
    assert_eq!(status, 201, "{seeded:?}");
    let members: Vec<(String, String)> = seeded["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["member_id"].as_str().unwrap().to_owned(),
                m["buyer_tokens"][0].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    // An access token minted now, unused: after the kill it must be refused.
    let (_, early_buyer) = members[39].clone();
    let (status, early) = call(
        &agent,
        "POST",
        &format!("{}/v1/authorize", server.base),
        &vendor_key,
        Some(
            &json!({"buyer_token": early_buyer, "price": "0.01", "currency": "USD",
                     "content_url": "https://crash.example/early", "title": "t"}),
        ),
    )
    .unwrap();
    assert_eq!(status, 200, "{early:?}");
    let early_token = early["access_token"].as_str().unwrap().to_owned();

    // Eight clients buy as fast as they can; every 200 is recorded as acknowledged. Two more
    // send batches of ten items; every item answered with a charge is acknowledged too.
    let acknowledged: Arc<Mutex<Vec<(String, i64)>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let batchers: Vec<_> = (0..2)
        .map(|client| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            let buyers: Vec<String> = members[16 + client * 10..26 + client * 10]
                .iter()
                .map(|(_, buyer)| buyer.clone())
                .collect();
            let url = format!("{}/v1/authorize/batch", server.base);
            let key = vendor_key.clone();
            std::thread::spawn(move || {
                let agent = new_agent();
                let deadline = Instant::now() + Duration::from_secs(20);
                for n in 0..100_000u32 {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        break;
                    }
                    let items: Vec<Value> = buyers
                        .iter()
                        .enumerate()
                        .map(|(i, buyer)| {
                            let price = format!("0.{:06}", 1 + ((n * 10 + u32::try_from(i).unwrap()) % 999));
                            json!({"buyer_token": buyer, "price": price, "currency": "USD",
                                   "content_url": format!("https://crash.example/b{client}/{n}/{i}"),
                                   "title": "t"})
                        })
                        .collect();
                    match call(&agent, "POST", &url, &key, Some(&json!({"items": items}))) {
                        Ok((200, reply)) => {
                            let mut acknowledged = acknowledged.lock().unwrap();
                            for (item, result) in items.iter().zip(reply["results"].as_array().unwrap()) {
                                if let Some(id) = result["authorization_id"].as_str() {
                                    acknowledged.push((id.to_owned(), micros(item["price"].as_str().unwrap())));
                                }
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    let clients: Vec<_> = (0..8)
        .map(|client| {
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            let (_, buyer) = members[client * 2].clone();
            let url = format!("{}/v1/authorize", server.base);
            let key = vendor_key.clone();
            std::thread::spawn(move || {
                let agent = new_agent();
                let deadline = Instant::now() + Duration::from_secs(20);
                for n in 0..100_000u32 {
                    if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                        break;
                    }
                    let price = format!("0.{:06}", 1 + (n % 999));
                    let body = json!({"buyer_token": buyer, "price": price, "currency": "USD",
                        "content_url": format!("https://crash.example/{client}/{n}"), "title": "t"});
                    match call(&agent, "POST", &url, &key, Some(&body)) {
                        Ok((200, reply)) => acknowledged
                            .lock()
                            .unwrap()
                            .push((reply["authorization_id"].as_str().unwrap().to_owned(), micros(&price))),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    // Kill once a good number of purchases were acknowledged (bounded in time).
    let deadline = Instant::now() + Duration::from_secs(15);
    while acknowledged.lock().unwrap().len() < 1_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for client in clients.into_iter().chain(batchers) {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 50,
        "too few purchases before the kill: {}",
        acknowledged.len()
    );

    let server = start(dir.path());
    for (id, price) in &acknowledged {
        let (status, found) = call(
            &agent,
            "GET",
            &format!("{}/v1/authorizations/{id}", server.base),
            &vendor_key,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "acknowledged {id} lost: {found:?}");
        assert_eq!(micros(found["charged"].as_str().unwrap()), *price);
    }
    // The access token minted before the kill belongs to the dead run.
    let (status, refused) = call(
        &agent,
        "POST",
        &format!("{}/v1/access", server.base),
        &vendor_key,
        Some(&json!({"access_token": early_token, "content_url": "https://crash.example/early"})),
    )
    .unwrap();
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("access_token_expired"))
    );
    // Members paid exactly what the vendor aggregated: durable sales, acknowledged or not.
    let mut spent = 0i64;
    for (member, _) in &members {
        let (status, view) = call(
            &agent,
            "GET",
            &format!("{}/admin/v1/members/{member}", server.base),
            &admin,
            None,
        )
        .unwrap();
        assert_eq!(status, 200);
        spent += 100_000_000 - micros(view["wallets"][0]["paid"].as_str().unwrap());
    }
    let (_, summary) = call(
        &agent,
        "GET",
        &format!("{}/v1/vendors/me/summary", server.base),
        &vendor_key,
        None,
    )
    .unwrap();
    let gross = micros(summary["currencies"][0]["gross"].as_str().unwrap());
    let acknowledged_total: i64 = acknowledged.iter().map(|(_, price)| price).sum();
    assert_eq!(
        gross, spent,
        "vendor aggregates equal the sum of durable sales"
    );
    assert!(gross >= acknowledged_total);
    let (_, totals) = call(
        &agent,
        "GET",
        &format!("{}/admin/v1/totals", server.base),
        &admin,
        None,
    )
    .unwrap();
    assert_eq!(totals["conserved"], true, "{totals:?}");

    // A graceful stop, then the offline check agrees.
    stop_and_check(server, dir.path());
}

/// A graceful stop, then the offline check agrees: snapshots, checkpoint and recovery equal a
/// full replay, and money is conserved.
fn stop_and_check(mut server: Server, dir: &std::path::Path) {
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "graceful stop: {status:?}");
    let output = Command::new(BINARY)
        .args(["check", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "farthing check failed:\n{text}");
    assert!(text.contains("money conserved: true"), "{text}");
}

/// A POST without credentials (registration, sign-in).
fn post_public(agent: &ureq::Agent, url: &str, body: &Value) -> Result<(u16, Value), ureq::Error> {
    call_with(agent, "POST", url, &[], Some(body))
}

/// Registers a member with a password, signs in, funds 100.00 and returns the session.
fn signed_in_member(agent: &ureq::Agent, base: &str, admin: &str, email: &str) -> String {
    let (status, created) = post_public(
        agent,
        &format!("{base}/v1/members"),
        &json!({"email": email, "password": "correct horse battery", "language": "en",
                "currency": "USD", "time_zone": "UTC"}),
    )
    .unwrap();
    assert_eq!(status, 201, "{created:?}");
    let member = created["member_id"].as_str().unwrap();
    let (status, funded) = call(
        agent,
        "POST",
        &format!("{base}/admin/v1/members/{member}/deposits"),
        admin,
        Some(&json!({"amount": "100", "currency": "USD", "reference": "start"})),
    )
    .unwrap();
    assert_eq!(status, 201, "{funded:?}");
    sign_in(agent, base, email)
}

fn sign_in(agent: &ureq::Agent, base: &str, email: &str) -> String {
    let (status, session) = post_public(
        agent,
        &format!("{base}/v1/sessions"),
        &json!({"email": email, "password": "correct horse battery", "expiry": "absolute"}),
    )
    .unwrap();
    assert_eq!(status, 201, "{session:?}");
    session["session_token"].as_str().unwrap().to_owned()
}

/// Sends a keyed transfer; answers the status and body.
fn send_transfer(
    agent: &ureq::Agent,
    base: &str,
    session: &str,
    key: &str,
    body: &Value,
) -> Result<(u16, Value), ureq::Error> {
    let authorization = format!("Bearer {session}");
    let headers = [
        ("Authorization", authorization.as_str()),
        ("Idempotency-Key", key),
    ];
    let url = format!("{base}/v1/members/me/transfers");
    call_with(agent, "POST", &url, &headers, Some(body))
}

/// A transfer the server answered 201: who sent it, its key and body, and its id.
struct SentTransfer {
    from: usize,
    key: String,
    body: Value,
    transfer_id: String,
}

#[test]
fn acknowledged_transfers_survive_sigkill_under_purchases_and_none_moves_twice() {
    const MEMBERS: usize = 6;
    // Below the keyed requests an account keeps (256), so every key is still answerable.
    const TRANSFERS_PER_MEMBER: u32 = 150;
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let (admin, vendor) = admin_and_vendor(
        &server,
        dir.path(),
        &json!({"name": "Crash Shop", "currency": "USD", "content_domains": ["shop.example"], "fee_ppm": 0}),
    );
    let agent = new_agent();
    let vendor_key = vendor["api_key"].as_str().unwrap().to_owned();
    let emails: Vec<String> = (0..MEMBERS)
        .map(|i| format!("ring{i}@example.com"))
        .collect();
    let sessions: Vec<String> = emails
        .iter()
        .map(|email| signed_in_member(&agent, &server.base, &admin, email))
        .collect();
    let buyers: Vec<String> = sessions
        .iter()
        .map(|session| {
            let (status, token) = call(
                &agent,
                "POST",
                &format!("{}/v1/buyer-tokens", server.base),
                session,
                Some(&json!({"vendor_id": vendor["vendor_id"]})),
            )
            .unwrap();
            assert_eq!(status, 201, "{token:?}");
            token["buyer_token"].as_str().unwrap().to_owned()
        })
        .collect();

    // Each member sends to the next around a ring while three clients buy with the same
    // accounts, so transfers and purchases contend for the same actors.
    let sent: Arc<Mutex<Vec<SentTransfer>>> = Arc::new(Mutex::new(Vec::new()));
    let bought = Arc::new(Mutex::new(0_usize));
    let stop = Arc::new(AtomicBool::new(false));
    let senders = (0..MEMBERS).map(|from| {
        let (sent, stop) = (sent.clone(), stop.clone());
        let (base, session) = (server.base.clone(), sessions[from].clone());
        let to_email = emails[(from + 1) % MEMBERS].clone();
        std::thread::spawn(move || {
            let agent = new_agent();
            let deadline = Instant::now() + Duration::from_secs(20);
            for n in 0..TRANSFERS_PER_MEMBER {
                if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                    break;
                }
                let key = format!("ring-{from}-{n}");
                let body = json!({"to_email": to_email, "amount": format!("0.{:02}", 1 + n % 99),
                                  "currency": "USD"});
                match send_transfer(&agent, &base, &session, &key, &body) {
                    Ok((201, reply)) => sent.lock().unwrap().push(SentTransfer {
                        from,
                        key,
                        body,
                        transfer_id: reply["transfer_id"].as_str().unwrap().to_owned(),
                    }),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        })
    });
    let shoppers = (0..3).map(|client| {
        let (bought, stop) = (bought.clone(), stop.clone());
        let buyer = buyers[client * 2].clone();
        let url = format!("{}/v1/authorize", server.base);
        let key = vendor_key.clone();
        std::thread::spawn(move || {
            let agent = new_agent();
            let deadline = Instant::now() + Duration::from_secs(20);
            for n in 0..100_000u32 {
                if stop.load(Ordering::Relaxed) || Instant::now() > deadline {
                    break;
                }
                let body = json!({"buyer_token": buyer, "price": "0.001", "currency": "USD",
                    "content_url": format!("https://shop.example/{client}/{n}"), "title": "t"});
                match call(&agent, "POST", &url, &key, Some(&body)) {
                    Ok((200, _)) => *bought.lock().unwrap() += 1,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        })
    });
    let threads: Vec<_> = senders.chain(shoppers).collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while sent.lock().unwrap().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let sent = std::mem::take(&mut *sent.lock().unwrap());
    assert!(
        sent.len() >= 50,
        "too few transfers before the kill: {}",
        sent.len()
    );
    assert!(*bought.lock().unwrap() > 0, "no purchase ran alongside");

    let server = start(dir.path());
    let held = |agent: &ureq::Agent, base: &str| -> i64 {
        let (status, totals) = call(
            agent,
            "GET",
            &format!("{base}/admin/v1/totals"),
            &admin,
            None,
        )
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(totals["conserved"], true, "{totals:?}");
        let usd = &totals["currencies"][0];
        // Start-up delivered what the kill left in transit, before it served.
        assert_eq!(usd["transfers_in_transit"], "0.00", "{usd:?}");
        micros(usd["member_balances"].as_str().unwrap())
    };
    let before_retries = held(&agent, &server.base);
    // Every acknowledged transfer is in the sender's durable record: a retry after the
    // restart answers it by its key and moves nothing.
    let sessions: Vec<String> = emails
        .iter()
        .map(|email| sign_in(&agent, &server.base, email))
        .collect();
    for transfer in &sent {
        let (status, reply) = send_transfer(
            &agent,
            &server.base,
            &sessions[transfer.from],
            &transfer.key,
            &transfer.body,
        )
        .unwrap();
        assert_eq!(status, 201, "{} lost: {reply:?}", transfer.key);
        assert_eq!(reply["transfer_id"], transfer.transfer_id.as_str());
    }
    assert_eq!(
        held(&agent, &server.base),
        before_retries,
        "a retry moved money"
    );

    stop_and_check(server, dir.path());
}

/// Every payout listed by the server, all pages.
fn all_payouts(agent: &ureq::Agent, base: &str, admin: &str) -> Vec<Value> {
    let mut payouts = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1_000 {
        let url = match &cursor {
            Some(cursor) => format!("{base}/admin/v1/payouts?limit=100&cursor={cursor}"),
            None => format!("{base}/admin/v1/payouts?limit=100"),
        };
        let page = get_ok(agent, &url, admin);
        payouts.extend(page["payouts"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return payouts,
        }
    }
    panic!("payout pages never ended");
}

/// The transactions of every payment file in the outbox: `(run id, payout id, amount)`.
fn filed_transactions(dir: &std::path::Path) -> Vec<(String, String, String)> {
    const PAIN_001: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
    let outbox = dir.join("outbox").join("payments");
    let mut filed = Vec::new();
    let Ok(entries) = std::fs::read_dir(&outbox) else {
        return filed;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(run) = name.strip_suffix(".xml") else {
            // A temporary file left by a kill mid-write is replaced when the run resumes.
            assert!(name.ends_with(".tmp"), "unexpected file {name}");
            continue;
        };
        let xml = std::fs::read_to_string(&path).unwrap();
        let document = roxmltree::Document::parse(&xml).unwrap();
        let text = |node: roxmltree::Node<'_, '_>, name: &str| {
            node.descendants()
                .find(|n| n.has_tag_name((PAIN_001, name)))
                .and_then(|n| n.text())
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            text(document.root_element(), "MsgId"),
            run,
            "MsgId is the run id"
        );
        for transaction in document
            .descendants()
            .filter(|n| n.has_tag_name((PAIN_001, "CdtTrfTxInf")))
        {
            filed.push((
                run.to_owned(),
                text(transaction, "EndToEndId"),
                text(transaction, "InstdAmt"),
            ));
        }
    }
    filed
}

#[test]
fn settlement_runs_killed_at_random_points_pay_every_payee_exactly_once() {
    const VENDORS: usize = 8;
    const HOLDERS: usize = 6;
    const CYCLES: u64 = 6;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    println!("kill delays seeded with {seed}");
    let mut random = u64::from(seed) | 1;
    let mut next_random = move |below: u64| {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random % below
    };
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let (admin, first) = admin_and_vendor(
        &server,
        dir.path(),
        &json!({"name": "Shop 0", "currency": "USD", "content_domains": ["shop0.example"], "fee_ppm": 25000}),
    );
    let agent = new_agent();
    let mut vendors = vec![first];
    for n in 1..VENDORS {
        let (status, vendor) = call(
            &agent,
            "POST",
            &format!("{}/admin/v1/vendors", server.base),
            &admin,
            Some(&json!({"name": format!("Shop {n}"), "currency": "USD",
                         "content_domains": [format!("shop{n}.example")], "fee_ppm": 25000})),
        )
        .unwrap();
        assert_eq!(status, 201, "{vendor:?}");
        vendors.push(vendor);
    }
    let bank = |n: usize| {
        json!({"threshold": "0.01", "schedule": {"kind": "monthly", "day": 1}, "minimum": "0",
               "bank_account": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
                                "name": format!("Payee {n}")}})
    };
    let mut holders = Vec::new();
    for n in 0..HOLDERS {
        let (status, created) = call(
            &agent,
            "POST",
            &format!("{}/admin/v1/rights-holders", server.base),
            &admin,
            Some(&json!({"name": format!("Author {n}"), "currency": "USD"})),
        )
        .unwrap();
        assert_eq!(status, 201, "{created:?}");
        let id = created["rights_holder_id"].as_str().unwrap().to_owned();
        let url = format!("{}/admin/v1/rights-holders/{id}/settlement", server.base);
        let (status, set) = call(&agent, "PUT", &url, &admin, Some(&bank(n))).unwrap();
        assert_eq!(status, 200, "{set:?}");
        holders.push(id);
    }
    for (n, vendor) in vendors.iter().enumerate() {
        let id = vendor["vendor_id"].as_str().unwrap();
        let url = format!("{}/admin/v1/vendors/{id}/settlement", server.base);
        let (status, set) = call(&agent, "PUT", &url, &admin, Some(&bank(100 + n))).unwrap();
        assert_eq!(status, 200, "{set:?}");
    }
    let session = signed_in_member(&agent, &server.base, &admin, "payer@example.com");
    let buyers: Vec<String> = vendors
        .iter()
        .map(|vendor| {
            let (status, token) = call(
                &agent,
                "POST",
                &format!("{}/v1/buyer-tokens", server.base),
                &session,
                Some(&json!({"vendor_id": vendor["vendor_id"]})),
            )
            .unwrap();
            assert_eq!(status, 201, "{token:?}");
            token["buyer_token"].as_str().unwrap().to_owned()
        })
        .collect();

    let mut purchases = 0_u64;
    for cycle in 0..CYCLES {
        // Every vendor sells, and each sale names two rights holders.
        for (n, (vendor, buyer)) in vendors.iter().zip(&buyers).enumerate() {
            let first = &holders[n % HOLDERS];
            let second = &holders[(n + usize::try_from(cycle).unwrap() + 1) % HOLDERS];
            let mut royalties = vec![json!({"rights_holder_id": first, "share_ppm": 70000})];
            if second != first {
                royalties.push(json!({"rights_holder_id": second, "share_ppm": 83333}));
            }
            let body = json!({"buyer_token": buyer, "price": format!("1.{:02}3", 10 + n),
                "currency": "USD", "title": "t", "royalties": royalties,
                "content_url": format!("https://shop{n}.example/{cycle}")});
            let key = vendor["api_key"].as_str().unwrap();
            let url = format!("{}/v1/authorize", server.base);
            let (status, bought) = call(&agent, "POST", &url, key, Some(&body)).unwrap();
            assert_eq!(status, 200, "{bought:?}");
            purchases += 1;
        }
        // A run starts; the process is killed at a random moment of it.
        let url = format!("{}/admin/v1/settlement-runs", server.base);
        let runner = {
            let (admin, url) = (admin.clone(), url.clone());
            std::thread::spawn(move || {
                call(
                    &new_agent(),
                    "POST",
                    &url,
                    &admin,
                    Some(&json!({"force": true})),
                )
                .map(|(status, _)| status)
                .ok()
            })
        };
        let delay = next_random(40_000);
        std::thread::sleep(Duration::from_micros(delay));
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        let answered = runner.join().unwrap();
        println!("cycle {cycle}: killed after {delay} µs, the run answered {answered:?}");
        // Start-up finishes a run the kill left open before it serves.
        server = start(dir.path());
    }
    assert_eq!(purchases, CYCLES * u64::try_from(VENDORS).unwrap());

    // A last run pays whatever is left; then every payee's balance is below one cent.
    let (status, last) = call(
        &agent,
        "POST",
        &format!("{}/admin/v1/settlement-runs", server.base),
        &admin,
        Some(&json!({"force": true})),
    )
    .unwrap();
    assert_eq!(status, 201, "{last:?}");
    let payouts = all_payouts(&agent, &server.base, &admin);
    let filed = filed_transactions(dir.path());
    // Every journaled payout is in exactly one payment file, with its amount, and no file
    // holds a payout the journal does not.
    let mut listed: std::collections::BTreeMap<String, (String, String)> =
        std::collections::BTreeMap::new();
    for payout in &payouts {
        let id = payout["payout_id"].as_str().unwrap().to_owned();
        let entry = (
            payout["run_id"].as_str().unwrap().to_owned(),
            payout["amount"].as_str().unwrap().to_owned(),
        );
        assert!(listed.insert(id, entry).is_none(), "a payout listed twice");
    }
    let mut in_files = std::collections::BTreeMap::new();
    for (run, payout, amount) in &filed {
        assert!(
            in_files
                .insert(payout.clone(), (run.clone(), amount.clone()))
                .is_none(),
            "payout {payout} is in two payment files"
        );
    }
    assert_eq!(
        listed, in_files,
        "journaled payouts and payment files differ"
    );
    let runs: std::collections::BTreeSet<&String> = listed.values().map(|(run, _)| run).collect();
    println!(
        "{} payouts in {} runs with payouts",
        listed.len(),
        runs.len()
    );
    assert!(!payouts.is_empty());
    // Nothing was paid twice or skipped: what each payee was paid plus what it is still
    // owed is what it earned, and what it is owed is under a cent (never negative).
    let totals = get_ok(&agent, &format!("{}/admin/v1/totals", server.base), &admin);
    assert_eq!(totals["conserved"], true, "{totals:?}");
    let usd = &totals["currencies"][0];
    let owed_vendors = micros(usd["vendors_unsettled"].as_str().unwrap());
    let owed_holders = micros(usd["rights_holders_unsettled"].as_str().unwrap());
    assert!(
        (0..10_000 * i64::try_from(VENDORS).unwrap()).contains(&owed_vendors),
        "vendors unsettled {owed_vendors}"
    );
    assert!(
        (0..10_000 * i64::try_from(HOLDERS).unwrap()).contains(&owed_holders),
        "rights holders unsettled {owed_holders}"
    );
    let paid: i64 = payouts
        .iter()
        .map(|p| micros(p["amount"].as_str().unwrap()))
        .sum();
    let paid_total = micros(usd["payouts_vendors"].as_str().unwrap())
        + micros(usd["payouts_rights_holders"].as_str().unwrap());
    assert_eq!(paid, paid_total, "payouts listed and paid in the totals");
    for vendor in &vendors {
        let summary = get_ok(
            &agent,
            &format!("{}/v1/vendors/me/summary", server.base),
            vendor["api_key"].as_str().unwrap(),
        );
        let line = &summary["currencies"][0];
        let unsettled = micros(line["unsettled"].as_str().unwrap());
        assert!((0..10_000).contains(&unsettled), "{line:?}");
        assert_eq!(
            micros(line["settled"].as_str().unwrap()) + unsettled,
            micros(line["net_payable"].as_str().unwrap())
        );
    }
    stop_and_check(server, dir.path());
}
