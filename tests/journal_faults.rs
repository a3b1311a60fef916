//! The ordering promise at the journal seam, through the whole node: no reply leaves before
//! its persist has returned, and a failed persist stops writes (the server then exits
//! non-zero: `main` watches `Node::poisoned`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::TestServer;
use farthing::storage::fjall_store::Durability;

/// Passes persists through until `hold` is set; then each persist waits for a release, or
/// fails when `fail` is set.
struct Seam {
    hold: Arc<AtomicBool>,
    fail: Arc<AtomicBool>,
    entered: mpsc::Sender<()>,
    release: Arc<Mutex<mpsc::Receiver<()>>>,
    calls_after_failure: Arc<AtomicU32>,
}

impl Durability for Seam {
    fn make_durable(&mut self, db: &fjall::Database) -> Result<(), fjall::Error> {
        if self.fail.load(Ordering::SeqCst) {
            self.calls_after_failure.fetch_add(1, Ordering::SeqCst);
            return Err(fjall::Error::Io(std::io::Error::other(
                "injected fsync failure",
            )));
        }
        if self.hold.load(Ordering::SeqCst) {
            let _ = self.entered.send(());
            let _ = self.release.lock().unwrap().recv();
        }
        db.persist(fjall::PersistMode::Buffer)
    }
}

struct Controls {
    hold: Arc<AtomicBool>,
    fail: Arc<AtomicBool>,
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
    calls_after_failure: Arc<AtomicU32>,
}

fn seam() -> (Box<dyn Durability>, Controls) {
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let controls = Controls {
        hold: Arc::new(AtomicBool::new(false)),
        fail: Arc::new(AtomicBool::new(false)),
        entered,
        release,
        calls_after_failure: Arc::new(AtomicU32::new(0)),
    };
    let seam = Seam {
        hold: controls.hold.clone(),
        fail: controls.fail.clone(),
        entered: entered_tx,
        release: Arc::new(Mutex::new(release_rx)),
        calls_after_failure: controls.calls_after_failure.clone(),
    };
    (Box::new(seam), controls)
}

#[test]
fn no_reply_leaves_before_its_persist_returns() {
    let (durability, controls) = seam();
    let server = Arc::new(TestServer::start_with(|_| {}, durability));
    let vendor = server.vendor("news.example");
    let member = server.member("ordering@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);

    controls.hold.store(true, Ordering::SeqCst);
    let replied = Arc::new(AtomicBool::new(false));
    let client = {
        let server = server.clone();
        let replied = replied.clone();
        let key = vendor.key.clone();
        let domain = vendor.domain.clone();
        std::thread::spawn(move || {
            let vendor = common::Vendor {
                id: String::new(),
                key,
                domain,
            };
            let reply = server.authorize(&vendor, &buyer, "0.10", "/a/1");
            replied.store(true, Ordering::SeqCst);
            reply.status
        })
    };
    controls
        .entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the purchase reached the persist");
    // The persist is held: whatever the scheduling, no reply may exist yet.
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !replied.load(Ordering::SeqCst),
        "a reply left before its persist returned"
    );
    controls.hold.store(false, Ordering::SeqCst);
    controls.release.send(()).unwrap();
    assert_eq!(client.join().unwrap(), 200);
    assert!(replied.load(Ordering::SeqCst));
}

#[test]
fn a_failed_persist_stops_writes() {
    let (durability, controls) = seam();
    let server = TestServer::start_with(|_| {}, durability);
    let vendor = server.vendor("news.example");
    let member = server.member("failure@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(server.get("/readyz", None).status, 200);

    controls.fail.store(true, Ordering::SeqCst);
    let failed = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    assert_eq!((failed.status, failed.code()), (503, "storage_failed"));
    assert!(failed.header("retry-after").is_some());
    let node = server.node.as_ref().unwrap();
    assert!(node.app.registry.env().journal.is_poisoned());
    // Not ready from the moment the journal is poisoned, not from the process's exit: nothing
    // has stopped the node yet (its ready flag is still set), only the journal says no.
    assert!(node.app.ready.load(Ordering::Acquire));
    let not_ready = server.get("/readyz", None);
    assert_eq!((not_ready.status, not_ready.code()), (503, "unavailable"));
    let poisoned = node.poisoned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(5), poisoned).await })
        .expect("the poisoned signal that makes main exit non-zero");
    assert_eq!(server.get("/readyz", None).status, 503);
    let refused = server.authorize(&vendor, &buyer, "0.10", "/a/2");
    assert_eq!((refused.status, refused.code()), (503, "unavailable"));
    assert_eq!(
        controls.calls_after_failure.load(Ordering::SeqCst),
        1,
        "an fsync is never retried"
    );
    // Health stays answerable for operators.
    assert_eq!(server.get("/healthz", None).status, 200);
}

#[test]
fn a_retry_while_the_first_is_in_flight_is_a_conflict() {
    let (durability, controls) = seam();
    let server = Arc::new(TestServer::start_with(|_| {}, durability));
    let vendor = server.vendor("news.example");
    let member = server.member("inflight@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let body = serde_json::json!({"buyer_token": buyer, "price": "0.10", "currency": "USD",
        "content_url": "https://news.example/a/1", "title": "t"})
    .to_string();

    controls.hold.store(true, Ordering::SeqCst);
    let first = {
        let (server, key, body) = (server.clone(), vendor.key.clone(), body.clone());
        std::thread::spawn(move || {
            server
                .request(
                    "POST",
                    "/v1/authorize",
                    Some(&key),
                    Some(&body),
                    &[("Idempotency-Key", "k-1")],
                )
                .status
        })
    };
    controls
        .entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the first request is being persisted");
    let retry = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(&body),
        &[("Idempotency-Key", "k-1")],
    );
    assert_eq!((retry.status, retry.code()), (409, "idempotency_in_flight"));
    controls.hold.store(false, Ordering::SeqCst);
    controls.release.send(()).unwrap();
    assert_eq!(first.join().unwrap(), 200);
    let replay = server.request(
        "POST",
        "/v1/authorize",
        Some(&vendor.key),
        Some(&body),
        &[("Idempotency-Key", "k-1")],
    );
    assert_eq!(replay.status, 200);
    assert_eq!(server.balance(&member), "0.90");
}
