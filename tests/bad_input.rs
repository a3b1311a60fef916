//! The bad-input catalogue, token rows: a changed, replayed, expired or foreign token is
//! refused with its own problem code, never a panic and never someone else's valid claim.
//!
//! Rows covered elsewhere, not repeated here:
//! - a buyer token minted for vendor A used by vendor B: `http_api::bad_tokens_are_refused`
//!   (`buyer_token_wrong_vendor`), as is an access token used by another vendor
//!   (`access_token_wrong_vendor`) and one used past its expiry on the test clock
//!   (`access_token_expired`);
//! - a buyer token past its session's absolute end: `http_api::ended_and_expired_sessions_refuse`
//!   (`buyer_token_expired`);
//! - an access token used twice (`access_token_used`): `http_api::purchase_flow_end_to_end`,
//!   and across a restart: `http_api::a_spent_access_token_stays_spent_across_a_restart`;
//! - every bit of an authorization locator, at the unit level:
//!   `crypto::locator::tests::any_changed_bit_is_refused`;
//! - every route without credentials: `routes.rs`;
//! - arbitrary bytes as tokens, cookies, bodies and stored records: `fuzz_corpus.rs` and the
//!   fuzz targets behind it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::TestServer;
use farthing::crypto::{AccessClaims, BuyerClaims, Claims, SessionClaims, TokenError, TokenKeys};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;

const NOW_MS: u64 = 1_700_000_000_000;
const VENDOR: u64 = 42;

/// What `open` must answer when bit `bit` of byte `position` of a token sealed for `vendor`
/// under key 2 (of a ring holding keys 1 and 2) is flipped. The wire layout is version (1
/// byte), purpose (1), key id (4), vendor (8), then nonce, ciphertext and tag; each clear
/// field is checked before the tag, so each fails with its own error.
fn expected_error(position: usize, bit: u32) -> TokenError {
    match position {
        0 => TokenError::Malformed,
        1 => TokenError::WrongPurpose,
        // Key id 2 with one bit flipped is never 1 (that would take two), so never a key the
        // ring holds.
        2..=5 => {
            let shift = bit + 8 * (5 - u32::try_from(position).unwrap());
            assert_ne!(2u32 ^ (1 << shift), 1);
            TokenError::UnknownKey
        }
        6..=13 => TokenError::WrongVendor,
        _ => TokenError::Tampered,
    }
}

/// Flips every bit of every byte of a sealed token and opens it: each must be refused with
/// the error its position calls for. Returns how many variants were opened, so the caller
/// can check the loop ran over the whole token.
fn flip_every_bit<C: Claims + std::fmt::Debug>(
    keys: &TokenKeys,
    token: &str,
    vendor: u64,
) -> usize {
    let wire = URL_SAFE_NO_PAD.decode(token).unwrap();
    let mut opened = 0;
    for position in 0..wire.len() {
        for bit in 0..8u32 {
            let mut changed = wire.clone();
            changed[position] ^= 1 << bit;
            let result = keys.open::<C>(&URL_SAFE_NO_PAD.encode(&changed), vendor, NOW_MS);
            assert_eq!(
                result.err(),
                Some(expected_error(position, bit)),
                "byte {position} bit {bit}"
            );
            opened += 1;
        }
    }
    assert!(
        keys.open::<C>(token, vendor, NOW_MS).is_ok(),
        "the unchanged token opens"
    );
    opened
}

fn keys() -> TokenKeys {
    TokenKeys::from_keys_for_tests(vec![(1, [1; 32]), (2, [2; 32])])
}

#[test]
fn a_session_token_with_any_bit_flipped_is_refused_with_the_right_error() {
    let keys = keys();
    let claims = SessionClaims {
        account: 10,
        login: 11,
        session: 12,
        expires_at_ms: NOW_MS + 60_000,
        holder: true,
    };
    let token = keys.seal(&claims, 0, &mut StdRng::seed_from_u64(1));
    // Header 14 + nonce 24 + claims 40 + tag 16 bytes, 8 bits each.
    assert_eq!(flip_every_bit::<SessionClaims>(&keys, &token, 0), 94 * 8);
}

#[test]
fn a_buyer_token_with_any_bit_flipped_is_refused_with_the_right_error() {
    let keys = keys();
    let claims = BuyerClaims {
        account: 10,
        login: 11,
        session: 12,
        vendor: VENDOR,
        expires_at_ms: NOW_MS + 60_000,
    };
    let token = keys.seal(&claims, VENDOR, &mut StdRng::seed_from_u64(2));
    assert_eq!(flip_every_bit::<BuyerClaims>(&keys, &token, VENDOR), 94 * 8);
}

#[test]
fn an_access_token_with_any_bit_flipped_is_refused_with_the_right_error() {
    let keys = keys();
    let claims = AccessClaims {
        account: 10,
        entitlement: 20,
        token_id: 30,
        expires_at_ms: NOW_MS + 60_000,
        boot_epoch: 1,
    };
    let token = keys.seal(&claims, VENDOR, &mut StdRng::seed_from_u64(3));
    assert_eq!(
        flip_every_bit::<AccessClaims>(&keys, &token, VENDOR),
        94 * 8
    );
}

/// Every byte of `token` with one bit flipped (bit `position % 8`, so all eight bit
/// positions occur), base64url again.
fn one_flip_per_byte(token: &str) -> Vec<(usize, String)> {
    let wire = URL_SAFE_NO_PAD.decode(token).unwrap();
    (0..wire.len())
        .map(|position| {
            let mut changed = wire.clone();
            changed[position] ^= 1 << (position % 8);
            (position, URL_SAFE_NO_PAD.encode(&changed))
        })
        .collect()
}

#[test]
fn flipped_buyer_tokens_are_refused_over_http_and_charge_nothing() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("flip@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let flipped = one_flip_per_byte(&buyer);
    assert!(flipped.len() > 90);
    for (position, token) in flipped {
        let reply = server.authorize(&vendor, &token, "0.10", "/a/1");
        let code = if (6..=13).contains(&position) {
            "buyer_token_wrong_vendor"
        } else {
            "buyer_token_invalid"
        };
        assert_eq!((reply.status, reply.code()), (403, code), "byte {position}");
    }
    assert_eq!(server.balance(&member), "1.00");
    let genuine = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    assert_eq!(genuine.status, 200, "{:?}", genuine.body);
}

#[test]
fn flipped_access_tokens_are_refused_over_http_and_spend_no_view() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("flipa@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.post(
        "/v1/authorize",
        Some(&vendor.key),
        &json!({"buyer_token": buyer, "price": "0.10", "currency": "USD",
                "content_url": "https://news.example/a/1", "title": "A", "views": 1}),
    );
    assert_eq!(bought.status, 200, "{:?}", bought.body);
    let token = bought.body["access_token"].as_str().unwrap();
    for (position, changed) in one_flip_per_byte(token) {
        let reply = server.post(
            "/v1/access",
            Some(&vendor.key),
            &json!({"access_token": changed, "content_url": "https://news.example/a/1"}),
        );
        let code = if (6..=13).contains(&position) {
            "access_token_wrong_vendor"
        } else {
            "access_token_invalid"
        };
        assert_eq!((reply.status, reply.code()), (403, code), "byte {position}");
    }
    // None of them spent the one view: the genuine token still gets it.
    let genuine = server.post(
        "/v1/access",
        Some(&vendor.key),
        &json!({"access_token": token, "content_url": "https://news.example/a/1"}),
    );
    assert_eq!(genuine.status, 200, "{:?}", genuine.body);
    assert_eq!(genuine.body["views_left"], 0);
}

#[test]
fn flipped_session_tokens_are_refused_over_http() {
    let server = TestServer::start();
    let member = server.member("flips@example.com", "UTC", "0");
    assert_eq!(
        server.get("/v1/members/me", Some(&member.session)).status,
        200
    );
    for (position, token) in one_flip_per_byte(&member.session) {
        let reply = server.get("/v1/members/me", Some(&token));
        assert_eq!(reply.status, 401, "byte {position}: {:?}", reply.body);
    }
}

#[test]
fn flipped_authorization_ids_are_not_found_over_http() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("flipl@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let bought = server.authorize(&vendor, &buyer, "0.10", "/a/1");
    let id = bought.body["authorization_id"].as_str().unwrap();
    let sealed = id.strip_prefix("auth_").unwrap();
    for (position, changed) in one_flip_per_byte(sealed) {
        let reply = server.get(
            &format!("/v1/authorizations/auth_{changed}"),
            Some(&vendor.key),
        );
        assert_eq!(
            (reply.status, reply.code()),
            (404, "not_found"),
            "byte {position}"
        );
    }
    let own = server.get(&format!("/v1/authorizations/{id}"), Some(&vendor.key));
    assert_eq!(own.status, 200);
}

#[test]
fn an_access_token_replayed_after_its_views_are_used_up_is_refused() {
    let server = TestServer::start();
    let vendor = server.vendor("news.example");
    let member = server.member("views@example.com", "UTC", "1.00");
    let buyer = server.buyer_token(&member.session, &vendor);
    let authorize = || {
        server.post(
            "/v1/authorize",
            Some(&vendor.key),
            &json!({"buyer_token": buyer, "price": "0.10", "currency": "USD",
                    "content_url": "https://news.example/a/1", "title": "A", "views": 1}),
        )
    };
    let first = authorize();
    assert_eq!(first.status, 200, "{:?}", first.body);
    // Owned and valid: a second authorize charges nothing and mints a second token for the
    // same one-view entitlement.
    let second = authorize();
    assert_eq!(second.body["already_owned"], true);
    let access = |token: &serde_json::Value| {
        server.post(
            "/v1/access",
            Some(&vendor.key),
            &json!({"access_token": token, "content_url": "https://news.example/a/1"}),
        )
    };
    let granted = access(&first.body["access_token"]);
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert_eq!(granted.body["views_left"], 0);
    let used_up = access(&second.body["access_token"]);
    assert_eq!(
        (used_up.status, used_up.code()),
        (403, "views_used_up"),
        "{:?}",
        used_up.body
    );
    let replayed = access(&first.body["access_token"]);
    assert_eq!(replayed.status, 403);
    assert!(
        matches!(replayed.code(), "access_token_used" | "views_used_up"),
        "{}",
        replayed.code()
    );
    assert_eq!(server.balance(&member), "0.90");
}
