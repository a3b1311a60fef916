//! `farthing backup` while the server runs: a copy taken with purchases in flight opens as a
//! node with every purchase acknowledged before the backup started, money conserved, and
//! `farthing check` passing; with no server, the command copies the store itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{TestServer, Vendor};
use farthing::backup::{self, BackupError};
use farthing::clock::ManualClock;
use farthing::domain::time::Timestamp;
use farthing::node;
use farthing::storage::fjall_store::{FjallStore, SyncData};
use farthing::storage::recovery;

const MEMBERS: usize = 4;
const PURCHASES_BEFORE: usize = 10;

fn start_on_copy(dir: tempfile::TempDir) -> TestServer {
    let config = common::test_config(dir.path());
    TestServer::start_in(
        dir,
        config,
        Box::new(SyncData),
        ManualClock::at(Timestamp(common::START_MS)),
    )
}

fn check_dir(data_dir: &std::path::Path) {
    let store = FjallStore::open(&node::store_dir(data_dir)).unwrap();
    let (journal, snapshots) = store.reader().unwrap();
    let report = recovery::check(&journal, &snapshots).unwrap();
    assert!(report.ok(), "check failed: {:?}", report.mismatches);
    assert!(report.conserved);
}

fn clone_vendor(vendor: &Vendor) -> Vendor {
    Vendor {
        id: vendor.id.clone(),
        key: vendor.key.clone(),
        domain: vendor.domain.clone(),
    }
}

#[test]
fn a_backup_taken_under_traffic_opens_with_everything_acknowledged_before_it() {
    let server = Arc::new(TestServer::start());
    let vendor = server.vendor("backup.example");
    let mut buyers = Vec::new();
    for index in 0..MEMBERS {
        let member = server.member(&format!("b{index}@example.com"), "UTC", "5.00");
        buyers.push(server.buyer_token(&member.session, &vendor));
    }
    let mut before = Vec::new();
    for round in 0..PURCHASES_BEFORE {
        for (index, buyer) in buyers.iter().enumerate() {
            let reply = server.authorize(&vendor, buyer, "0.10", &format!("/b/{index}/{round}"));
            assert_eq!(reply.status, 200, "{:?}", reply.body);
            before.push(reply.body["authorization_id"].as_str().unwrap().to_owned());
        }
    }
    // Purchases keep coming while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let traffic: Vec<_> = buyers
        .iter()
        .enumerate()
        .map(|(index, buyer)| {
            let (server, vendor, buyer, stop) = (
                server.clone(),
                clone_vendor(&vendor),
                buyer.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut answered = 0;
                for n in 0..200 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let reply =
                        server.authorize(&vendor, &buyer, "0.01", &format!("/d/{index}/{n}"));
                    assert_eq!(reply.status, 200, "{:?}", reply.body);
                    answered += 1;
                }
                answered
            })
        })
        .collect();
    let data_dir = server.dir.path().to_owned();
    let copy = tempfile::tempdir().unwrap();
    let dest = copy.path().join("copy");
    let copied = backup::backup(&data_dir, &dest).unwrap();
    assert!(copied.events > 0);
    // A second backup into the same (now full) destination is refused.
    assert!(matches!(
        backup::backup(&data_dir, &dest),
        Err(BackupError::Server(text)) if text.contains("not empty")
    ));
    stop.store(true, Ordering::SeqCst);
    let during: usize = traffic.into_iter().map(|t| t.join().unwrap()).sum();
    eprintln!(
        "backup under traffic: {} events copied, {} purchases acknowledged before, {during} during",
        copied.events,
        before.len()
    );

    // A node on the copy: every purchase acknowledged before the backup is there.
    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::remove_dir(restored_dir.path()).unwrap();
    std::fs::rename(&dest, restored_dir.path()).unwrap();
    let restored = start_on_copy(restored_dir);
    for id in &before {
        let reply = restored.get(&format!("/v1/authorizations/{id}"), Some(&vendor.key));
        assert_eq!(reply.status, 200, "purchase {id} missing from the backup");
    }
    restored.totals_conserved();
    let mut restored = restored;
    restored.node.take().unwrap().shutdown().unwrap();
    check_dir(restored.dir.path());
}

#[test]
fn with_no_server_running_the_backup_copies_the_store_itself() {
    let mut server = TestServer::start();
    let vendor = server.vendor("offline.example");
    let member = server.member("offline@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(server.authorize(&vendor, &buyer, "0.25", "/a").status, 200);
    let totals = server.totals_conserved();
    server.node.take().unwrap().shutdown().unwrap();
    assert!(!server.dir.path().join(backup::SOCKET_FILE).exists());

    let copy = tempfile::tempdir().unwrap();
    backup::backup(server.dir.path(), copy.path()).unwrap();
    check_dir(copy.path());
    let restored = start_on_copy(copy);
    assert_eq!(restored.totals_conserved(), totals);
    assert_eq!(restored.balance(&member), "0.75");
}
