//! The pure core's hot path: deciding and applying a purchase, an already-owned grant, and
//! reading the content URL every authorize and access carries.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::POLICY;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use farthing::domain::account::{AccountState, AuthorizeCommand, AuthorizeDecision, SessionExpiry};
use farthing::domain::entitlement::ContentUrl;
use farthing::domain::event::Event;
use farthing::domain::ids::AccountId;
use farthing::domain::limits::Limits;
use farthing::domain::money::{Amount, Currency};
use farthing::domain::seed::{Seed, seed_events};
use farthing::domain::time::Timestamp;

fn account(now: Timestamp) -> AccountState {
    let usd = Currency::parse("USD").unwrap();
    let id = AccountId(1);
    let login = common::LOGIN;
    let seed = Seed {
        account: id,
        login,
        session: common::SESSION,
        currency: usd,
        deposit: Amount::from_micros(1_000_000_000),
        time_zone: "Europe/Berlin".to_owned(),
        session_expiry: SessionExpiry::Idle { idle_ms: 3_600_000 },
    };
    let events = seed_events(&seed, now);
    let mut state = AccountState::from_opened(events.first().unwrap()).unwrap();
    for event in events.iter().skip(1).cloned().chain([Event::LimitsSet {
        account: id,
        login,
        currency: usd,
        limits: Limits {
            per_day: Some(Amount::from_micros(500_000_000)),
            per_month: Some(Amount::from_micros(900_000_000)),
            ..Limits::default()
        },
        at: now,
    }]) {
        state.apply(&event);
    }
    state
}

fn command(n: u64) -> AuthorizeCommand {
    common::purchase(n, 10_000)
}

fn bench(c: &mut Criterion) {
    let now = Timestamp(1_773_100_800_000);
    let fresh = account(now);
    let new_content = command(1);
    c.bench_function("domain/decide_purchase", |b| {
        b.iter(|| fresh.decide_authorize(&new_content, now, &POLICY).unwrap());
    });
    c.bench_function("domain/decide_and_apply_purchase", |b| {
        b.iter_batched_ref(
            || fresh.clone(),
            |state| match state.decide_authorize(&new_content, now, &POLICY).unwrap() {
                AuthorizeDecision::Purchase(event) => state.apply(&event),
                other => panic!("expected a purchase, got {other:?}"),
            },
            BatchSize::SmallInput,
        );
    });
    let mut owning = fresh.clone();
    match owning.decide_authorize(&new_content, now, &POLICY).unwrap() {
        AuthorizeDecision::Purchase(event) => owning.apply(&event),
        other => panic!("expected a purchase, got {other:?}"),
    }
    c.bench_function("domain/decide_already_owned", |b| {
        b.iter(|| owning.decide_authorize(&new_content, now, &POLICY).unwrap());
    });
    // The harness's URL is taken as it is; the same URL with one capital in its host is
    // normalized by the `url` crate, the path every URL took before e1a124f.
    c.bench_function("domain/content_url_as_it_is", |b| {
        b.iter(|| {
            ContentUrl::parse(std::hint::black_box(
                "https://v3-19ad3f0a1b2.loadtest.example/a/123",
            ))
        });
    });
    c.bench_function("domain/content_url_by_the_url_crate", |b| {
        b.iter(|| {
            ContentUrl::parse(std::hint::black_box(
                "https://V3-19ad3f0a1b2.loadtest.example/a/123",
            ))
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
