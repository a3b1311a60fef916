//! The stored format is a contract: `tests/golden/format4` is a data directory written by this
//! format (events, owner index, account and vendor snapshots, the feed checkpoint and its
//! directory), checked in. Reading it must keep working, so a later change to a domain struct
//! cannot silently change what is on disk: this test starts a node on a copy of it and checks
//! what it serves, and `farthing check`'s replay agrees with its snapshots.
//!
//! To write it anew (only when a new format version is introduced, keeping the old one):
//! `cargo test --test golden -- --ignored write_golden_format4`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::path::{Path, PathBuf};

use common::{TestServer, test_config};
use farthing::clock::ManualClock;
use farthing::domain::time::Timestamp;
use farthing::node::Storage;
use farthing::storage::fjall_store::{FjallStore, SyncData};
use farthing::storage::recovery;
use serde_json::json;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/format4")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
#[ignore = "writes the checked-in golden directory; run by hand for a new format"]
fn write_golden_format4() {
    let target = golden_dir();
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path());
    let server = TestServer::start_on(
        dir,
        config,
        Storage::Fjall(Box::new(SyncData)),
        ManualClock::at(Timestamp(common::START_MS)),
    );
    let vendor = server.vendor("golden.example");
    let ann = server.member("golden-ann@example.com", "Asia/Tokyo", "10.00");
    let bob = server.member("golden-bob@example.com", "UTC", "5.00");
    let ann_buyer = server.buyer_token(&ann.session, &vendor);
    let bob_buyer = server.buyer_token(&bob.session, &vendor);
    let mut first = None;
    for n in 0..6 {
        let reply = server.post(
            "/v1/authorize",
            Some(&vendor.key),
            &json!({"buyer_token": ann_buyer, "price": "0.25", "currency": "USD",
                    "content_url": format!("https://golden.example/a/{n}"), "title": "t",
                    "views": 3, "valid_days": 30}),
        );
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        first.get_or_insert(reply.body["authorization_id"].as_str().unwrap().to_owned());
        let access = json!({"access_token": reply.body["access_token"],
                            "content_url": format!("https://golden.example/a/{n}")});
        assert_eq!(
            server.post("/v1/access", Some(&vendor.key), &access).status,
            200
        );
    }
    let offer = server.post(
        "/v1/offers",
        Some(&vendor.key),
        &json!({"title": "Offered", "price": "1.50", "currency": "USD",
                "content_url": "https://golden.example/offered"}),
    );
    let bought = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": bob_buyer, "offer_id": offer.body["offer_id"]}),
    );
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    let reversal = server.post(
        &format!("/admin/v1/authorizations/{}/reversal", first.unwrap()),
        Some(&server.admin_key),
        &json!({"reason": "golden"}),
    );
    assert_eq!(reversal.status, 200);
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::write(target.join("vendor.key"), &vendor.key).unwrap();
    let source = server.dir.path().to_owned();
    let mut server = server;
    server.node.take().unwrap().shutdown().unwrap();
    copy_dir(&source, &target);
    // fjall preallocates its journal file (64 MiB of zeros past the data); a journal that ends
    // early reads the same, so the checked-in copy keeps what was written and a margin of
    // zeros (the last record may itself end in zero bytes).
    let journal = farthing::node::store_dir(&target).join("0.jnl");
    let data = std::fs::read(&journal).unwrap();
    let written = data
        .iter()
        .rposition(|byte| *byte != 0)
        .map_or(0, |last| last + 1);
    std::fs::write(&journal, &data[..(written + 256).min(data.len())]).unwrap();
}

#[test]
fn golden_format4_is_read_as_written() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&golden_dir(), dir.path());
    let store = FjallStore::open(&farthing::node::store_dir(dir.path())).unwrap();
    let (journal, snapshots) = store.reader().unwrap();
    let report = recovery::check(&journal, &snapshots).unwrap();
    assert!(report.ok(), "{:?}", report.mismatches);
    // Its snapshots (the accounts' and the vendor's) are of version 4: caches rebuilt from the
    // events, as the rest of this test shows by reading every account and the vendor back.
    assert_eq!(report.snapshots, 0, "{report:?}");
    assert!(report.outdated >= 2, "{report:?}");
    drop((journal, snapshots, store));

    let vendor_key = std::fs::read_to_string(dir.path().join("vendor.key")).unwrap();
    let config = test_config(dir.path());
    let server = TestServer::start_on(
        dir,
        config,
        Storage::Fjall(Box::new(SyncData)),
        ManualClock::at(Timestamp(common::START_MS)),
    );
    assert_eq!(server.get("/readyz", None).status, 200);
    let summary = server.get("/v1/vendors/me/summary", Some(&vendor_key));
    assert_eq!(summary.status, 200, "{:?}", summary.body);
    assert_eq!(summary.body["currencies"][0]["sales"], 6);
    assert_eq!(summary.body["currencies"][0]["gross"], "2.75");
    let session = server.sign_in("golden-ann@example.com", "idle");
    let me = server.get("/v1/members/me", Some(&session));
    assert_eq!(me.body["wallets"][0]["paid"], "8.75");
    assert_eq!(me.body["entitlement_count"], 6);
    let reversed = me.body["recent_activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|purchase| purchase["reversed"] == true)
        .count();
    assert_eq!(reversed, 1);
    // The directory predates the statement: its lines were built from the journal at start,
    // with the balances the wallets have. Purchases journaled before titles were kept have
    // none.
    let statement = server.get("/v1/members/me/statement?limit=100", Some(&session));
    assert_eq!(statement.status, 200, "{:?}", statement.body);
    let lines = statement.body["lines"].as_array().unwrap();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "reversal", "purchase", "purchase", "purchase", "purchase", "purchase", "purchase",
            "funds"
        ]
    );
    assert_eq!(lines[0]["balance_after"], "8.75");
    assert_eq!(lines[0]["note"], "golden");
    assert_eq!(lines[1]["balance_after"], "8.50");
    assert_eq!(lines[7]["balance_after"], "10.00");
    assert!(lines[1].get("title").is_none(), "{:?}", lines[1]);
    let purchases = server.get(
        "/v1/members/me/statement?kind=purchase&limit=2",
        Some(&session),
    );
    assert_eq!(purchases.body["lines"].as_array().unwrap().len(), 2);
    assert!(purchases.body["next_cursor"].is_string());
    let bob = server.sign_in("golden-bob@example.com", "idle");
    let bob_view = server.get("/v1/members/me", Some(&bob));
    assert_eq!(bob_view.body["wallets"][0]["paid"], "3.50");
    let bob_lines = server.get("/v1/members/me/statement", Some(&bob));
    assert_eq!(bob_lines.body["lines"][0]["kind"], "purchase");
    assert_eq!(bob_lines.body["lines"][0]["amount"], "-1.50");
    assert_eq!(bob_lines.body["lines"][0]["balance_after"], "3.50");
    let totals = server.totals_conserved();
    assert_eq!(totals["currencies"][0]["deposits"], "15.00");
}
