//! Cost of sealing and opening a buyer token and an authorization id, the crypto on the
//! authorize hot path.
//!
//! `open` runs on every vendor call (a few hundred thousand per second), so it is measured
//! for the accepted case and for a tampered token, which must be refused at least as fast
//! (it does the same work up to the tag check and then stops). `seal` is measured with the
//! operating system's generator, as in production, and with a seeded one to show the
//! generator's share.
//!
//! The figures depend on the poly1305 backend: `.cargo/config.toml` sets
//! `--cfg poly1305_force_soft` (printed at start). To compare with the AVX2 backend, run
//! `RUSTFLAGS="" CARGO_TARGET_DIR=target/noflag cargo bench --bench token`: an empty
//! `RUSTFLAGS` replaces the config's flags. Measured on the 2-core dev machine: open
//! 0.72 us with the flag, 3.3 us without.
#![allow(missing_docs)]

use std::hint::black_box;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use farthing::crypto::locator::LocatorKey;
use farthing::crypto::token::{BuyerClaims, POLY1305_FORCE_SOFT, TokenError, TokenKeys};
use rand::SeedableRng;
use rand::rngs::{OsRng, StdRng};

const NOW_MS: u64 = 1_700_000_000_000;
const VENDOR: u64 = 42;

fn claims() -> BuyerClaims {
    BuyerClaims {
        account: 1_000_001,
        login: 7,
        session: 99,
        vendor: VENDOR,
        expires_at_ms: NOW_MS + 3_600_000,
    }
}

fn keys() -> TokenKeys {
    // Two keys, as after a rotation: the common case opens with the newest.
    TokenKeys::from_keys_for_tests(vec![(1, [1; 32]), (2, [2; 32])])
}

fn bench_token(c: &mut Criterion) {
    eprintln!("poly1305_force_soft: {POLY1305_FORCE_SOFT}");
    let keys = keys();
    let claims = claims();

    c.bench_function("token/seal_buyer_os_rng", |b| {
        b.iter(|| keys.seal(black_box(&claims), black_box(VENDOR), &mut OsRng));
    });

    let mut rng = StdRng::seed_from_u64(1);
    c.bench_function("token/seal_buyer_std_rng", |b| {
        b.iter(|| keys.seal(black_box(&claims), black_box(VENDOR), &mut rng));
    });

    let token = keys.seal(&claims, VENDOR, &mut StdRng::seed_from_u64(2));
    assert_eq!(keys.open::<BuyerClaims>(&token, VENDOR, NOW_MS), Ok(claims));
    c.bench_function("token/open_buyer", |b| {
        b.iter(|| {
            keys.open::<BuyerClaims>(black_box(&token), black_box(VENDOR), black_box(NOW_MS))
        });
    });

    let mut wire = URL_SAFE_NO_PAD.decode(&token).unwrap_or_default();
    if let Some(last) = wire.last_mut() {
        *last ^= 1;
    }
    let tampered = URL_SAFE_NO_PAD.encode(&wire);
    assert_eq!(
        keys.open::<BuyerClaims>(&tampered, VENDOR, NOW_MS),
        Err(TokenError::Tampered)
    );
    c.bench_function("token/open_buyer_tampered", |b| {
        b.iter(|| {
            keys.open::<BuyerClaims>(black_box(&tampered), black_box(VENDOR), black_box(NOW_MS))
        });
    });
}

/// The authorization id every purchase's reply carries (AES-SIV, `crypto::locator`).
fn bench_locator(c: &mut Criterion) {
    let key = LocatorKey::from_bytes_for_tests([7; 64]);
    c.bench_function("locator/seal_authorization", |b| {
        b.iter(|| key.seal_authorization(black_box(1_000_001), black_box(42)));
    });
    let id = key.seal_authorization(1_000_001, 42);
    c.bench_function("locator/open_authorization", |b| {
        b.iter(|| key.open_authorization(black_box(&id)));
    });
}

criterion_group!(benches, bench_token, bench_locator);
criterion_main!(benches);
