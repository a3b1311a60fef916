//! Sign-in and registration under guessing: throttles per e-mail and per client address with
//! growing delays, the bounded password hasher, one hash for an unknown e-mail, no hash for a
//! taken one. Every check counts hashes or uses the test clock; none measures time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Reply, TestServer};
use farthing::config::Config;
use farthing::http::app::App;
use farthing::storage::fjall_store::SyncData;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

fn start(adjust: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::start_with(adjust, Box::new(SyncData))
}

fn app(server: &TestServer) -> &Arc<App> {
    &server.node.as_ref().unwrap().app
}

fn hashes(server: &TestServer) -> u64 {
    app(server).passwords.hashes_run()
}

fn register(server: &TestServer, email: &str) -> Reply {
    server.post(
        "/v1/members",
        None,
        &json!({"email": email, "password": PASSWORD, "language": "en", "currency": "USD"}),
    )
}

fn sign_in(server: &TestServer, email: &str, password: &str) -> Reply {
    server.post(
        "/v1/sessions",
        None,
        &json!({"email": email, "password": password, "expiry": "absolute"}),
    )
}

fn retry_after_s(reply: &Reply) -> u64 {
    reply
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .unwrap()
}

#[test]
fn the_eleventh_failure_waits_without_a_hash_and_a_correct_password_waits_too() {
    let server = TestServer::start();
    assert_eq!(register(&server, "ann@example.com").status, 201);
    for attempt in 1..=10 {
        let before = hashes(&server);
        let reply = sign_in(&server, "ann@example.com", "wrong password");
        assert_eq!(reply.status, 401, "attempt {attempt}: {:?}", reply.body);
        assert_eq!(hashes(&server), before + 1, "each failure costs one hash");
    }
    let before = hashes(&server);
    let refused = sign_in(&server, "ann@example.com", "wrong password");
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.code(), "too_many_attempts");
    assert_eq!(refused.body["type"], "/problems/too_many_attempts");
    let wait = retry_after_s(&refused);
    assert!(wait >= 1);
    // The right password is refused too while the delay runs: it is not checked at all.
    let refused = sign_in(&server, "ann@example.com", PASSWORD);
    assert_eq!(refused.status, 429);
    assert_eq!(hashes(&server), before, "a refused attempt runs no hash");
    // One step away: a millisecond short of the delay is still refused.
    server.clock.advance_ms(wait * 1_000 - 1);
    assert_eq!(sign_in(&server, "ann@example.com", PASSWORD).status, 429);
    server.clock.advance_ms(1);
    let reply = sign_in(&server, "ann@example.com", PASSWORD);
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    // The success forgot the e-mail's failures: the whole allowance is back.
    for _ in 0..10 {
        assert_eq!(
            sign_in(&server, "ann@example.com", "wrong password").status,
            401
        );
    }
    assert_eq!(
        sign_in(&server, "ann@example.com", "wrong password").status,
        429
    );
    // Another e-mail from the same address is not delayed by this one.
    assert_eq!(register(&server, "bob@example.com").status, 201);
    assert_eq!(sign_in(&server, "bob@example.com", PASSWORD).status, 201);
}

#[test]
fn the_delay_grows_with_each_failure_past_the_allowance() {
    let server = TestServer::start();
    assert_eq!(register(&server, "ann@example.com").status, 201);
    for _ in 0..10 {
        assert_eq!(sign_in(&server, "ann@example.com", "wrong").status, 401);
    }
    let mut previous = 0;
    for _ in 0..4 {
        let refused = sign_in(&server, "ann@example.com", "wrong");
        assert_eq!(refused.status, 429);
        let wait = retry_after_s(&refused);
        assert!(wait > previous, "{wait} after {previous}");
        previous = wait;
        server.clock.advance_ms(wait * 1_000);
        assert_eq!(sign_in(&server, "ann@example.com", "wrong").status, 401);
    }
}

#[test]
fn an_unknown_email_costs_one_hash_like_a_known_one() {
    let server = TestServer::start();
    assert_eq!(register(&server, "ann@example.com").status, 201);
    let before = hashes(&server);
    let unknown = sign_in(&server, "nobody@example.com", "wrong password");
    assert_eq!(unknown.status, 401);
    assert_eq!(
        hashes(&server),
        before + 1,
        "the unknown e-mail ran one hash"
    );
    let known = sign_in(&server, "ann@example.com", "wrong password");
    assert_eq!(known.status, 401);
    assert_eq!(hashes(&server), before + 2, "the known e-mail ran one hash");
    assert_eq!(unknown.body, known.body, "the answers are the same");
}

#[test]
fn registering_a_taken_email_runs_no_hash() {
    let server = TestServer::start();
    let before = hashes(&server);
    assert_eq!(register(&server, "ann@example.com").status, 201);
    assert_eq!(hashes(&server), before + 1);
    let taken = register(&server, "Ann@Example.com");
    assert_eq!(taken.status, 409);
    assert_eq!(taken.code(), "email_taken");
    assert_eq!(hashes(&server), before + 1, "no hash for a taken e-mail");
}

#[test]
fn failures_are_counted_per_address_across_emails() {
    let server = start(|config| {
        config.members.sign_in_failures_per_address_max = 5;
        config.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    });
    for n in 0..5 {
        let reply = sign_in(&server, &format!("guess{n}@example.com"), "wrong");
        assert_eq!(reply.status, 401);
    }
    let before = hashes(&server);
    let refused = sign_in(&server, "guess99@example.com", "wrong");
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert!(retry_after_s(&refused) >= 1);
    assert_eq!(hashes(&server), before, "refused before its hash");
    // Another client (forwarded by the trusted proxy) is not affected.
    let other = server.request(
        "POST",
        "/v1/sessions",
        None,
        Some(
            &json!({"email": "guess99@example.com", "password": "wrong", "expiry": "absolute"})
                .to_string(),
        ),
        &[("X-Forwarded-For", "198.51.100.7")],
    );
    assert_eq!(other.status, 401, "{:?}", other.body);
}

#[test]
fn registrations_are_limited_per_address() {
    let server = start(|config| config.members.registrations_per_address_max = 3);
    assert_eq!(register(&server, "a@example.com").status, 201);
    assert_eq!(register(&server, "a@example.com").status, 409);
    assert_eq!(register(&server, "b@example.com").status, 201);
    let before = hashes(&server);
    let refused = register(&server, "c@example.com");
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.code(), "too_many_attempts");
    assert!(retry_after_s(&refused) >= 1);
    assert_eq!(hashes(&server), before, "refused before its hash");
    server.clock.advance_ms(retry_after_s(&refused) * 1_000);
    assert_eq!(register(&server, "c@example.com").status, 201);
}

/// Polls (bounded) until `n` requests wait for a hashing slot: the order of the test's
/// requests, not a time, is what the assertions depend on.
fn wait_for_waiters(server: &TestServer, n: usize) {
    for _ in 0..1_000 {
        if app(server).passwords.waiting() == n {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("never saw {n} waiting");
}

#[test]
fn hashes_beyond_the_wait_queue_get_503_and_the_waiting_one_runs_when_a_slot_frees() {
    let server = start(|config| {
        config.members.argon2_hashes_concurrent_max = 1;
        config.members.argon2_hash_waiters_max = 1;
        config.members.argon2_hash_wait_ms_max = 60_000;
    });
    assert_eq!(register(&server, "ann@example.com").status, 201);
    let before = hashes(&server);
    let held = app(&server).passwords.occupy().expect("the one slot");
    std::thread::scope(|scope| {
        let waiting = scope.spawn(|| sign_in(&server, "ann@example.com", PASSWORD));
        wait_for_waiters(&server, 1);
        let refused = sign_in(&server, "ann@example.com", PASSWORD);
        assert_eq!(refused.status, 503, "{:?}", refused.body);
        assert_eq!(refused.code(), "overloaded");
        assert!(retry_after_s(&refused) >= 1);
        let refused = register(&server, "bob@example.com");
        assert_eq!(refused.status, 503, "{:?}", refused.body);
        assert_eq!(
            hashes(&server),
            before,
            "no hash ran while the slot was held"
        );
        drop(held);
        let reply = waiting.join().unwrap();
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    });
    assert_eq!(hashes(&server), before + 1);
    // The registration refused for want of a slot released its claim on the e-mail.
    assert_eq!(register(&server, "bob@example.com").status, 201);
}

#[test]
fn a_request_that_waits_too_long_for_a_slot_gets_503() {
    let server = start(|config| {
        config.members.argon2_hashes_concurrent_max = 1;
        config.members.argon2_hash_wait_ms_max = 20;
    });
    let held = app(&server).passwords.occupy().expect("the one slot");
    let before = hashes(&server);
    // The slot stays held until the reply is in, so the wait can only time out.
    let refused = sign_in(&server, "nobody@example.com", PASSWORD);
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert_eq!(hashes(&server), before);
    drop(held);
    // The undecided attempt was given back: ten failures are still allowed for the e-mail.
    for _ in 0..10 {
        assert_eq!(sign_in(&server, "nobody@example.com", "wrong").status, 401);
    }
    assert_eq!(sign_in(&server, "nobody@example.com", "wrong").status, 429);
}

#[test]
fn concurrent_sign_ins_never_run_more_hashes_than_the_cap() {
    const CONCURRENT_MAX: usize = 2;
    const SIGN_INS: usize = 24;
    let server = start(|config| {
        config.members.argon2_hashes_concurrent_max = CONCURRENT_MAX;
        config.members.argon2_hash_waiters_max = SIGN_INS;
        config.members.argon2_hash_wait_ms_max = 60_000;
        // A costlier hash, so that the sign-ins overlap.
        config.members.argon2_params = argon2::Params::new(4096, 2, 1, None).unwrap();
    });
    let before = hashes(&server);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..SIGN_INS)
            .map(|n| {
                let server = &server;
                scope.spawn(move || sign_in(server, &format!("n{n}@example.com"), "wrong").status)
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(hashes(&server), before + u64::try_from(SIGN_INS).unwrap());
    let running_max = app(&server).passwords.running_max();
    assert!(
        (1..=CONCURRENT_MAX).contains(&running_max),
        "{running_max} hashes ran at once"
    );
}
