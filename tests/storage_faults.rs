//! Fault injection at the storage seam (`Durability`), through the whole node: a failing
//! write, a failing persist, a full disk, a torn last record, a slow persist, and a failing
//! or stalled snapshot writer.
//!
//! Each journal fault must end in fail-stop: the requests in flight get 503, nothing that was
//! not durable is acknowledged, `/readyz` fails, `Node::poisoned` fires (so `main` exits
//! non-zero). Each case then restarts on the same data directory and proves a clean recovery:
//! every purchase and deposit answered 2xx is there, balances are what the acknowledged
//! changes say (give or take the unacknowledged ones, which may or may not have landed),
//! money is conserved, and `farthing check` passes on the directory.
//!
//! A slow persist is not a fault: it must only delay the replies that wait on it. A snapshot
//! is a cache: its writer failing or stalling must change nothing a client sees.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use common::{Member, TestServer, Vendor};
use farthing::node;
use farthing::storage::fjall_store::{Durability, FjallStore, NoSync, SyncData};
use farthing::storage::recovery;
use serde_json::json;

/// Members in each case; each gets one deposit and `PURCHASES_PER_MEMBER` purchases, all
/// acknowledged before the fault.
const MEMBERS: usize = 6;
const PURCHASES_PER_MEMBER: usize = 8;
/// Requests sent while the fault is armed; all are held in the seam, then fail together.
const IN_FLIGHT: usize = 6;
/// Price of each purchase and amount of each deposit, in micro-units and as sent.
const PRICE: (i64, &str) = (100_000, "0.10");
const DEPOSIT: (i64, &str) = (5_000_000, "5.00");
/// How long a test waits for something that should happen at once (a bound, not a timing).
const PATIENCE: Duration = Duration::from_secs(20);

/// What the seam does to the next batch once armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// Passes everything through.
    None,
    /// The batch's write into fjall fails; nothing of it is written.
    Write,
    /// The batch is written; its persist fails.
    Persist,
    /// The batch is written; its persist fails with ENOSPC (`ErrorKind::StorageFull`).
    DiskFull,
    /// The batch is written and handed to the operating system (so its bytes are in the
    /// journal file, unsynced); then the fsync fails. The test then cuts the file's tail.
    Torn,
}

/// Shared between the seam (on the writer thread) and the test.
struct Controls {
    fault: Mutex<Fault>,
    /// Set: the next armed batch (or, with `Fault::None`, the next persist) waits for
    /// `release` before going on, so requests pile up in flight behind it.
    hold: AtomicBool,
    entered: Mutex<mpsc::Sender<()>>,
    release: Mutex<mpsc::Receiver<()>>,
    /// Calls after the first failure: the journal must never retry.
    calls_after_failure: AtomicU64,
    failed: AtomicBool,
    /// Keys in the batch written last (two per event: the event and its owner-index row).
    last_batch_keys: AtomicU64,
    /// The fjall store's directory, to measure its journal files.
    store_dir: PathBuf,
    /// With `Fault::Torn`: where the written data of the newest journal file ended before
    /// the torn batch was written (everything acknowledged lies before it), and after.
    torn_from: AtomicU64,
    torn_to: AtomicU64,
}

struct Seam {
    controls: Arc<Controls>,
    /// The database, kept from the first persist so that `write` can flush what came before
    /// a torn batch and measure where it starts.
    db: Option<fjall::Database>,
}

struct Handle {
    controls: Arc<Controls>,
    entered: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
}

fn seam(store_dir: &Path) -> (Box<dyn Durability>, Handle) {
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let controls = Arc::new(Controls {
        fault: Mutex::new(Fault::None),
        hold: AtomicBool::new(false),
        entered: Mutex::new(entered_tx),
        release: Mutex::new(release_rx),
        calls_after_failure: AtomicU64::new(0),
        failed: AtomicBool::new(false),
        last_batch_keys: AtomicU64::new(0),
        store_dir: store_dir.to_owned(),
        torn_from: AtomicU64::new(0),
        torn_to: AtomicU64::new(0),
    });
    let handle = Handle {
        controls: controls.clone(),
        entered,
        release,
    };
    (Box::new(Seam { controls, db: None }), handle)
}

impl Seam {
    fn wait_if_held(&self) {
        if self.controls.hold.load(Ordering::SeqCst) {
            let _ = self.controls.entered.lock().unwrap().send(());
            let _ = self.controls.release.lock().unwrap().recv();
        }
    }

    fn injected(&self, error: std::io::Error) -> fjall::Error {
        self.controls.failed.store(true, Ordering::SeqCst);
        fjall::Error::Io(error)
    }
}

impl Durability for Seam {
    fn write(&mut self, batch: fjall::OwnedWriteBatch) -> Result<(), fjall::Error> {
        if self.controls.failed.load(Ordering::SeqCst) {
            self.controls
                .calls_after_failure
                .fetch_add(1, Ordering::SeqCst);
        }
        let keys = u64::try_from(batch.len()).unwrap();
        self.controls.last_batch_keys.store(keys, Ordering::SeqCst);
        match *self.controls.fault.lock().unwrap() {
            Fault::Write => {
                self.wait_if_held();
                drop(batch);
                return Err(self.injected(std::io::Error::other("injected write failure")));
            }
            Fault::Torn => {
                let db = self.db.as_ref().expect("a persist came before");
                db.persist(fjall::PersistMode::Buffer)?;
                let end = journal_data_end(&self.controls.store_dir);
                self.controls.torn_from.store(end, Ordering::SeqCst);
            }
            _ => {}
        }
        batch.commit()
    }

    fn make_durable(&mut self, db: &fjall::Database) -> Result<(), fjall::Error> {
        if self.controls.failed.load(Ordering::SeqCst) {
            self.controls
                .calls_after_failure
                .fetch_add(1, Ordering::SeqCst);
        }
        if self.db.is_none() {
            self.db = Some(db.clone());
        }
        let fault = *self.controls.fault.lock().unwrap();
        self.wait_if_held();
        match fault {
            Fault::None | Fault::Write => db.persist(fjall::PersistMode::Buffer),
            Fault::Persist => Err(self.injected(std::io::Error::other("injected fsync failure"))),
            Fault::DiskFull => {
                Err(self.injected(std::io::Error::from(std::io::ErrorKind::StorageFull)))
            }
            Fault::Torn => {
                db.persist(fjall::PersistMode::Buffer)?;
                let end = journal_data_end(&self.controls.store_dir);
                self.controls.torn_to.store(end, Ordering::SeqCst);
                Err(self.injected(std::io::Error::other("injected fsync failure")))
            }
        }
    }
}

/// The newest (highest-numbered) fjall journal file under `dir` and its length.
fn newest_journal_file(dir: &Path) -> Option<(PathBuf, u64)> {
    let mut newest: Option<(u64, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "jnl") {
            let number = path
                .file_stem()
                .and_then(|stem| stem.to_str())
                .and_then(|stem| stem.parse::<u64>().ok())?;
            if newest.as_ref().is_none_or(|(n, _)| number > *n) {
                newest = Some((number, path));
            }
        }
    }
    let (_, path) = newest?;
    let len = std::fs::metadata(&path).ok()?.len();
    Some((path, len))
}

/// Where the written data of the newest journal file ends: fjall preallocates its journal
/// files (64 MiB of zeros), so the file's length says nothing; the last non-zero byte does
/// (a record ends with its checksum, so at worst a few trailing zero bytes are missed).
fn journal_data_end(store_dir: &Path) -> u64 {
    let (path, _) = newest_journal_file(store_dir).expect("a journal file");
    let bytes = std::fs::read(path).unwrap();
    let end = bytes
        .iter()
        .rposition(|byte| *byte != 0)
        .map_or(0, |at| at + 1);
    u64::try_from(end).unwrap()
}

/// What the clients were told: the acknowledged changes and the ones answered 503.
#[derive(Default)]
struct Ledger {
    /// Per member: acknowledged deposits and purchases, in micro-units.
    deposited: Vec<i64>,
    spent: Vec<i64>,
    /// Per member: changes answered with an error, which may or may not have landed.
    unacknowledged_deposits: Vec<i64>,
    unacknowledged_purchases: Vec<i64>,
    /// Authorization ids answered 200, with the member index.
    authorizations: Vec<(usize, String)>,
}

impl Ledger {
    fn acknowledged(&self) -> usize {
        self.authorizations.len() + self.deposited.iter().filter(|d| **d > 0).count()
    }
}

struct Scene {
    vendor: Vendor,
    members: Vec<Member>,
    buyers: Vec<String>,
    ledger: Ledger,
}

/// Registers a vendor and `MEMBERS` members, deposits once for each and buys
/// `PURCHASES_PER_MEMBER` articles each: all acknowledged, all recorded in the ledger.
fn acknowledged_traffic(server: &TestServer) -> Scene {
    let vendor = server.vendor("faults.example");
    let mut scene = Scene {
        vendor,
        members: Vec::new(),
        buyers: Vec::new(),
        ledger: Ledger::default(),
    };
    for index in 0..MEMBERS {
        let member = server.member(&format!("m{index}@faults.example"), "UTC", "0");
        let deposit = deposit(server, &member, index);
        assert_eq!(deposit.status, 201, "{:?}", deposit.body);
        scene.ledger.deposited.push(DEPOSIT.0);
        scene.ledger.spent.push(0);
        scene.ledger.unacknowledged_deposits.push(0);
        scene.ledger.unacknowledged_purchases.push(0);
        scene
            .buyers
            .push(server.buyer_token(&member.session, &scene.vendor));
        scene.members.push(member);
    }
    for round in 0..PURCHASES_PER_MEMBER {
        for index in 0..MEMBERS {
            let reply = server.authorize(
                &scene.vendor,
                &scene.buyers[index],
                PRICE.1,
                &format!("/a/{index}/{round}"),
            );
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            scene.ledger.spent[index] += PRICE.0;
            let id = reply.body["authorization_id"].as_str().unwrap().to_owned();
            scene.ledger.authorizations.push((index, id));
        }
    }
    scene
}

fn deposit(server: &TestServer, member: &Member, n: usize) -> common::Reply {
    server.post(
        &format!("/admin/v1/members/{}/deposits", member.id),
        Some(&server.admin_key),
        &json!({"amount": DEPOSIT.1, "currency": "USD", "reference": format!("dep-{}-{n}", member.email)}),
    )
}

/// Sends `IN_FLIGHT` requests at once (purchases, every third a deposit) and returns their
/// join handles with the member index and what each was.
fn send_in_flight(
    server: &Arc<TestServer>,
    scene: &Scene,
) -> Vec<(usize, bool, std::thread::JoinHandle<common::Reply>)> {
    (0..IN_FLIGHT)
        .map(|n| {
            let index = n % MEMBERS;
            let is_deposit = n % 3 == 2;
            let server = server.clone();
            let member = Member {
                id: scene.members[index].id.clone(),
                email: scene.members[index].email.clone(),
                session: String::new(),
            };
            let vendor = Vendor {
                id: scene.vendor.id.clone(),
                key: scene.vendor.key.clone(),
                domain: scene.vendor.domain.clone(),
            };
            let buyer = scene.buyers[index].clone();
            let handle = std::thread::spawn(move || {
                if is_deposit {
                    deposit(&server, &member, 1_000 + n)
                } else {
                    server.authorize(&vendor, &buyer, PRICE.1, &format!("/late/{n}"))
                }
            });
            (index, is_deposit, handle)
        })
        .collect()
}

/// Waits (bounded) until all `IN_FLIGHT` requests are in the held batch or queued behind
/// it: none of them can have been answered yet. Each request is one group of one event.
fn wait_all_in_flight(server: &TestServer, handle: &Handle) {
    let journal = server
        .node
        .as_ref()
        .unwrap()
        .app
        .registry
        .env()
        .journal
        .clone();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let held = handle.controls.last_batch_keys.load(Ordering::SeqCst) / 2;
        let queued = u64::try_from(journal.queue_depth()).unwrap();
        if held + queued >= u64::try_from(IN_FLIGHT).unwrap() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "requests did not reach the journal"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Stops `server` however it ends (a poisoned node's shutdown reports the poison) and starts
/// a new node on the same data directory with real fsyncs.
fn restart(mut server: TestServer) -> TestServer {
    if let Some(node) = server.node.take() {
        let _ = node.shutdown();
    }
    let config = common::test_config(server.dir.path());
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    TestServer::start_in(dir, config, Box::new(SyncData), server.clock.clone())
}

fn micros(text: &str) -> i64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<6}");
    whole.parse::<i64>().unwrap() * 1_000_000 + fraction.parse::<i64>().unwrap()
}

/// After a restart: every acknowledged purchase is there, each balance is what the
/// acknowledged changes say (plus or minus the unacknowledged ones), money is conserved;
/// then the node stops cleanly and `farthing check` passes on its directory. Returns the
/// number of acknowledged changes checked.
fn verify_recovered(server: TestServer, scene: &Scene) -> usize {
    let ledger = &scene.ledger;
    for (_, id) in &ledger.authorizations {
        let reply = server.get(&format!("/v1/authorizations/{id}"), Some(&scene.vendor.key));
        assert_eq!(
            reply.status, 200,
            "acknowledged purchase {id} lost: {:?}",
            reply.body
        );
        assert_eq!(reply.body["status"], "authorized");
    }
    for (index, member) in scene.members.iter().enumerate() {
        let balance = micros(&server.balance(member));
        let acknowledged = ledger.deposited[index] - ledger.spent[index];
        let low = acknowledged - ledger.unacknowledged_purchases[index];
        let high = acknowledged + ledger.unacknowledged_deposits[index];
        assert!(
            (low..=high).contains(&balance),
            "member {index}: balance {balance} outside [{low}, {high}]"
        );
    }
    let totals = server.totals_conserved();
    let deposits = micros(totals["currencies"][0]["deposits"].as_str().unwrap());
    assert!(deposits >= ledger.deposited.iter().sum::<i64>());
    let checked = ledger.acknowledged();
    check_after_stop(server);
    checked
}

/// Stops the node cleanly and runs `farthing check`'s comparison on its data directory.
fn check_after_stop(mut server: TestServer) {
    server.node.take().unwrap().shutdown().unwrap();
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let store = FjallStore::open(&node::store_dir(dir.path())).unwrap();
    let (journal, snapshots) = store.reader().unwrap();
    let report = recovery::check(&journal, &snapshots).unwrap();
    assert!(report.ok(), "check failed: {:?}", report.mismatches);
    assert!(report.conserved);
}

/// One journal fault case: acknowledged traffic, then the fault under `IN_FLIGHT` requests
/// held in the seam together; fail-stop; restart; verification.
fn fault_case(fault: Fault) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = node::store_dir(dir.path());
    let (durability, handle) = seam(&store_dir);
    let config = common::test_config(dir.path());
    let server = Arc::new(TestServer::start_in(
        dir,
        config,
        durability,
        farthing::clock::ManualClock::at(farthing::domain::time::Timestamp(common::START_MS)),
    ));
    let mut scene = acknowledged_traffic(&server);
    assert_eq!(server.get("/readyz", None).status, 200);

    // Arm: the next batch waits in the seam until the others are queued behind it, then fails.
    *handle.controls.fault.lock().unwrap() = fault;
    handle.controls.hold.store(true, Ordering::SeqCst);
    let in_flight = send_in_flight(&server, &scene);
    handle
        .entered
        .recv_timeout(PATIENCE)
        .expect("a request reached the armed seam");
    wait_all_in_flight(&server, &handle);
    handle.controls.hold.store(false, Ordering::SeqCst);
    handle.release.send(()).unwrap();
    for (index, is_deposit, request) in in_flight {
        let reply = request.join().unwrap();
        assert_eq!(
            reply.status, 503,
            "{fault:?}: a request in flight was acknowledged: {:?}",
            reply.body
        );
        assert!(matches!(reply.code(), "storage_failed" | "unavailable"));
        if is_deposit {
            scene.ledger.unacknowledged_deposits[index] += DEPOSIT.0;
        } else {
            scene.ledger.unacknowledged_purchases[index] += PRICE.0;
        }
    }

    // Fail-stop: poisoned, not ready, the exit signal fired, later writes refused, no retry.
    let node = server.node.as_ref().unwrap();
    assert!(node.app.registry.env().journal.is_poisoned());
    let poisoned = node.poisoned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(async { tokio::time::timeout(PATIENCE, poisoned).await })
        .expect("the poisoned signal that makes main exit non-zero");
    assert_eq!(server.get("/readyz", None).status, 503);
    let refused = server.authorize(&scene.vendor, &scene.buyers[0], PRICE.1, "/after");
    assert_eq!(refused.status, 503);
    scene.ledger.unacknowledged_purchases[0] += PRICE.0;
    assert_eq!(
        handle.controls.calls_after_failure.load(Ordering::SeqCst),
        0
    );

    let server = Arc::try_unwrap(server).unwrap_or_else(|_| panic!("clients still hold it"));
    let server = if fault == Fault::Torn {
        let server = stop(server);
        let from = handle.controls.torn_from.load(Ordering::SeqCst);
        let to = handle.controls.torn_to.load(Ordering::SeqCst);
        assert!(
            to > from + 1,
            "the torn batch reached the file ({from}..{to})"
        );
        // Power lost in the middle of the torn batch: the file keeps a prefix ending inside
        // it, and nothing written after it (snapshots, checkpoints) survives either.
        tear_at(&store_dir, from + (to - from) / 2);
        // Nothing of the torn batch can come back: the balances are exactly acknowledged.
        for index in 0..MEMBERS {
            scene.ledger.unacknowledged_deposits[index] = 0;
            scene.ledger.unacknowledged_purchases[index] = 0;
        }
        start_again(server)
    } else {
        restart(server)
    };
    verify_recovered(server, &scene)
}

/// Stops the node, keeping the directory in the returned server.
fn stop(mut server: TestServer) -> TestServer {
    if let Some(node) = server.node.take() {
        let _ = node.shutdown();
    }
    server
}

fn start_again(mut server: TestServer) -> TestServer {
    let config = common::test_config(server.dir.path());
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    TestServer::start_in(dir, config, Box::new(SyncData), server.clock.clone())
}

/// Cuts the newest journal file at `at`, as a power loss does to writes that were never
/// synced.
fn tear_at(store_dir: &Path, at: u64) {
    let (path, _) = newest_journal_file(store_dir).expect("a journal file");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(at).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn a_failing_write_fails_stop_and_recovers() {
    let checked = fault_case(Fault::Write);
    eprintln!("failing write: {checked} acknowledged changes checked");
}

#[test]
fn a_failing_persist_fails_stop_and_recovers() {
    let checked = fault_case(Fault::Persist);
    eprintln!("failing persist: {checked} acknowledged changes checked");
}

#[test]
fn a_full_disk_fails_stop_and_recovers() {
    let checked = fault_case(Fault::DiskFull);
    eprintln!("ENOSPC: {checked} acknowledged changes checked");
}

#[test]
fn a_torn_last_record_loses_only_what_was_not_acknowledged() {
    let checked = fault_case(Fault::Torn);
    eprintln!("torn last record: {checked} acknowledged changes checked");
}

#[test]
fn a_slow_persist_only_delays_the_replies_waiting_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let (durability, handle) = seam(&node::store_dir(dir.path()));
    let config = common::test_config(dir.path());
    let server = Arc::new(TestServer::start_in(
        dir,
        config,
        durability,
        farthing::clock::ManualClock::at(farthing::domain::time::Timestamp(common::START_MS)),
    ));
    let mut scene = acknowledged_traffic(&server);
    handle.controls.hold.store(true, Ordering::SeqCst);
    let in_flight = send_in_flight(&server, &scene);
    handle
        .entered
        .recv_timeout(PATIENCE)
        .expect("a persist is held");
    // Everything behind the held persist is queued in the journal: none of it can have
    // been answered, and the node stays ready and unpoisoned.
    wait_all_in_flight(&server, &handle);
    assert!(
        in_flight
            .iter()
            .all(|(_, _, request)| !request.is_finished())
    );
    assert_eq!(server.get("/readyz", None).status, 200);
    handle.controls.hold.store(false, Ordering::SeqCst);
    handle.release.send(()).unwrap();
    for (index, is_deposit, request) in in_flight {
        let reply = request.join().unwrap();
        if is_deposit {
            assert_eq!(reply.status, 201, "{:?}", reply.body);
            scene.ledger.deposited[index] += DEPOSIT.0;
        } else {
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            scene.ledger.spent[index] += PRICE.0;
            let id = reply.body["authorization_id"].as_str().unwrap().to_owned();
            scene.ledger.authorizations.push((index, id));
        }
    }
    assert!(
        !server
            .node
            .as_ref()
            .unwrap()
            .app
            .registry
            .env()
            .journal
            .is_poisoned()
    );
    let server = Arc::try_unwrap(server).unwrap_or_else(|_| panic!("clients still hold it"));
    let checked = verify_recovered(restart(server), &scene);
    eprintln!("slow persist: {checked} acknowledged changes checked");
}

/// A snapshot seam that fails every write, or holds every write until the test ends.
struct SnapshotFault {
    fail: bool,
    held: Arc<Mutex<()>>,
    writes: Arc<AtomicU64>,
}

impl Durability for SnapshotFault {
    fn write(&mut self, batch: fjall::OwnedWriteBatch) -> Result<(), fjall::Error> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        if self.fail {
            drop(batch);
            return Err(fjall::Error::Io(std::io::Error::from(
                std::io::ErrorKind::StorageFull,
            )));
        }
        let _held = self.held.lock().unwrap();
        batch.commit()
    }

    fn make_durable(&mut self, db: &fjall::Database) -> Result<(), fjall::Error> {
        db.persist(fjall::PersistMode::Buffer)
    }
}

/// Journal durability as in production, with a faulty snapshot writer.
struct WithSnapshotFault(Option<SnapshotFault>);

impl Durability for WithSnapshotFault {
    fn make_durable(&mut self, db: &fjall::Database) -> Result<(), fjall::Error> {
        NoSync.make_durable(db)
    }

    fn snapshot_writes(&mut self) -> Box<dyn Durability> {
        Box::new(self.0.take().expect("asked once"))
    }
}

fn snapshot_fault_case(fail: bool) -> usize {
    let held = Arc::new(Mutex::new(()));
    let writes = Arc::new(AtomicU64::new(0));
    let guard = held.lock().unwrap();
    let durability = WithSnapshotFault(Some(SnapshotFault {
        fail,
        held: held.clone(),
        writes: writes.clone(),
    }));
    let server = TestServer::start_with(|_| {}, Box::new(durability));
    let scene = acknowledged_traffic(&server);
    // The test config snapshots accounts every 4 events and checkpoints every 50 ms: the
    // faulty writer was reached, and nobody noticed.
    let deadline = Instant::now() + PATIENCE;
    while writes.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the snapshot writer was never used"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !server
            .node
            .as_ref()
            .unwrap()
            .app
            .registry
            .env()
            .journal
            .is_poisoned()
    );
    assert_eq!(server.get("/readyz", None).status, 200);
    drop(guard);
    verify_recovered(restart(server), &scene)
}

#[test]
fn a_failing_snapshot_writer_changes_nothing_a_client_sees() {
    let checked = snapshot_fault_case(true);
    eprintln!("failing snapshot writes: {checked} acknowledged changes checked");
}

#[test]
fn a_stalled_snapshot_writer_changes_nothing_a_client_sees() {
    let checked = snapshot_fault_case(false);
    eprintln!("stalled snapshot writes: {checked} acknowledged changes checked");
}
