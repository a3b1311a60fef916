//! The data directory holds e-mail addresses, password hashes and keys: a node makes it
//! private to its user, whatever the umask it was started with and however the directory
//! was left (0700 directories, 0600 files).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::TestServer;
use farthing::clock::ManualClock;
use farthing::domain::time::Timestamp;
use farthing::storage::fjall_store::SyncData;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every path under `dir`, the directory included.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_path_buf()];
    let mut index = 0;
    while let Some(path) = all.get(index).cloned() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                all.push(entry.unwrap().path());
            }
        }
        index += 1;
    }
    all
}

#[test]
fn a_node_makes_its_data_directory_private() {
    // The umask a careless service manager leaves: files 0644, directories 0755.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    set_mode(data, 0o755);
    let stale = data.join("notes.txt");
    std::fs::write(&stale, "left by an operator").unwrap();
    set_mode(&stale, 0o644);
    let old_dir = data.join("old");
    std::fs::create_dir(&old_dir).unwrap();
    set_mode(&old_dir, 0o755);
    assert_eq!(mode(&stale), 0o644);

    let config = common::test_config(data);
    let server = TestServer::start_in(
        dir,
        config,
        Box::new(SyncData),
        ManualClock::at(Timestamp(common::START_MS)),
    );
    // Write something so fjall creates its journal and tables.
    let vendor = server.vendor("private.example");
    let member = server.member("private@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    assert_eq!(server.authorize(&vendor, &buyer, "0.10", "/a").status, 200);

    let data = server.dir.path();
    assert_eq!(mode(data), 0o700, "the data directory");
    assert_eq!(mode(&data.join("notes.txt")), 0o600, "an existing file");
    assert_eq!(mode(&data.join("old")), 0o700, "an existing directory");
    let all = tree(data);
    assert!(all.len() > 5, "the server wrote keys and a store: {all:?}");
    for path in all {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
}

#[test]
fn tightening_names_what_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open.txt");
    let private = dir.path().join("private.txt");
    std::fs::write(&open, "x").unwrap();
    std::fs::write(&private, "x").unwrap();
    set_mode(&open, 0o640);
    set_mode(&private, 0o600);
    set_mode(dir.path(), 0o700);
    let tightened = farthing::node::secure_data_dir(dir.path()).unwrap();
    assert_eq!(tightened, vec![open.clone()]);
    assert_eq!(mode(&open), 0o600);
}
