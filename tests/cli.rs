//! The operator commands of the `farthing` binary: key rotation and retirement.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use farthing::crypto::token::{BuyerClaims, TokenKeys};

const BINARY: &str = env!("CARGO_BIN_EXE_farthing");

#[test]
fn rotated_keys_keep_old_tokens_open_until_retired() {
    let dir = tempfile::tempdir().unwrap();
    let first = TokenKeys::load_or_create(dir.path()).unwrap();
    let claims = BuyerClaims {
        account: 1,
        login: 2,
        session: 3,
        vendor: 4,
        expires_at_ms: 10_000,
    };
    let old_token = first.seal(&claims, 4, &mut rand::rngs::OsRng);

    let rotated = Command::new(BINARY)
        .args(["rotate-keys", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let keys = TokenKeys::load_or_create(dir.path()).unwrap();
    assert_eq!(keys.sealing_key_id(), first.sealing_key_id() + 1);
    let opened: BuyerClaims = keys.open(&old_token, 4, 5_000).unwrap();
    assert_eq!(opened, claims);

    let keep_from = keys.sealing_key_id().to_string();
    let retired = Command::new(BINARY)
        .args(["retire-keys", "--keep-from", &keep_from, "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        retired.status.success(),
        "{}",
        String::from_utf8_lossy(&retired.stderr)
    );
    let keys = TokenKeys::load_or_create(dir.path()).unwrap();
    assert!(
        keys.open::<BuyerClaims>(&old_token, 4, 5_000).is_err(),
        "a retired key no longer opens"
    );
    let missing = Command::new(BINARY)
        .args(["rotate-keys", "--data-dir", "/nonexistent/farthing"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}
