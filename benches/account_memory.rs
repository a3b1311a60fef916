//! Memory per idle member account (DESIGN.md §6), split by where it goes: the domain state,
//! the actor around it, and the registry's id → address map. Builds N accounts the way
//! `POST /admin/v1/members/bulk` seeds them (one login without e-mail, one wallet with one
//! deposit, one session) and reads the process's resident set after each step.
//!
//! Resident set rather than a counting allocator: the workspace forbids `unsafe`, which a
//! `GlobalAlloc` wrapper needs, and the resident set under mimalloc (the server's allocator)
//! is what an operator pays, size classes and page rounding included. At 100k accounts a page
//! of noise is 0.04 bytes per account. Run with `cargo bench --bench account_memory`;
//! `ACCOUNTS=1000000` changes N.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix::dev::ContextFut;
use actix::{Actor, Addr, Context};
use dashmap::DashMap;
use farthing::actors::account::AccountActor;
use farthing::actors::shards::Shards;
use farthing::domain::account::{
    AccountPolicy, AccountState, AuthorizeCommand, AuthorizeDecision, Login, Session, SessionExpiry,
};
use farthing::domain::entitlement::Entitlement;
use farthing::domain::entitlement::{ContentKey, ContentUrl, Terms};
use farthing::domain::event::{Event, IdempotencyStamp};
use farthing::domain::ids::{
    AccountId, AuthorizationId, EntitlementId, LoginId, SessionId, VendorId,
};
use farthing::domain::money::{Amount, Currency};
use farthing::domain::seed::Seed;
use farthing::domain::time::Timestamp;
use farthing::storage::memory::MemoryStore;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The events the bulk seeding route makes for one member.
fn seed_events(n: u64, now: Timestamp) -> [Event; 3] {
    let seed = Seed {
        account: AccountId(n.wrapping_mul(3).wrapping_add(1)),
        login: LoginId(n.wrapping_mul(3).wrapping_add(2)),
        session: SessionId(n.wrapping_mul(3).wrapping_add(3)),
        currency: Currency::parse("USD").unwrap(),
        deposit: Amount::from_micros(100_000_000),
        time_zone: "UTC".to_owned(),
        session_expiry: SessionExpiry::Absolute {
            expires_at: now.plus_ms(86_400_000),
        },
    };
    let events: [Event; 3] = farthing::domain::seed::seed_events(&seed, now)
        .try_into()
        .unwrap();
    events
}

/// A purchase of one article, the way the load test buys; `article` 1 also carries a
/// vendor's idempotency key.
fn purchase(n: u64, article: u64) -> AuthorizeCommand {
    let url = ContentUrl::parse(&format!("https://news.example/articles/{n}/{article}")).unwrap();
    let idempotency = (article == 1).then(|| IdempotencyStamp {
        key: format!("order-{n}-{article}"),
        request_digest: [7; 32],
    });
    AuthorizeCommand {
        title: String::new(),
        content_url: String::new(),
        login: LoginId(n.wrapping_mul(3).wrapping_add(2)),
        session: SessionId(n.wrapping_mul(3).wrapping_add(3)),
        vendor: VendorId(7),
        price: Amount::from_micros(10_000),
        currency: Currency::parse("USD").unwrap(),
        content: ContentKey::new(VendorId(7), None, &url),
        terms: Terms::default(),
        idempotency,
        new_authorization: AuthorizationId(n.wrapping_mul(2).wrapping_add(article)),
        new_entitlement: EntitlementId(n.wrapping_mul(2).wrapping_add(article)),
        offer: None,
        incentives: farthing::domain::offer::IncentivePolicy::Any,
        royalties: Vec::new(),
    }
}

fn seeded_state(n: u64, now: Timestamp) -> AccountState {
    let [opened, deposited, session] = seed_events(n, now);
    let mut state = AccountState::from_opened(&opened).unwrap();
    state.apply(&deposited);
    state.apply(&session);
    state
}

/// The resident set in bytes, from `/proc/self/status`.
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

struct Meter {
    accounts: u64,
    last: u64,
}

impl Meter {
    fn new(accounts: u64) -> Meter {
        Meter {
            accounts,
            last: rss_bytes(),
        }
    }

    /// Prints the growth since the last step, per account, and returns it.
    fn step(&mut self, what: &str) -> u64 {
        let now = rss_bytes();
        let per_account = now.saturating_sub(self.last) / self.accounts;
        println!("{what:<58} {per_account:>6} B/account");
        self.last = now;
        per_account
    }
}

fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    Timestamp(i64::try_from(ms).unwrap())
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (a filter) is ignored.
    let accounts: u64 = std::env::var("ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let count = usize::try_from(accounts).unwrap();
    let now = now();
    println!("accounts: {accounts}");
    println!(
        "size_of: AccountState {} B, AccountActor {} B, its actix ContextFut {} B, Addr {} B",
        size_of::<AccountState>(),
        size_of::<AccountActor>(),
        size_of::<ContextFut<AccountActor, Context<AccountActor>>>(),
        size_of::<Addr<AccountActor>>(),
    );
    println!(
        "size_of: Login {} B, Session {} B, Entitlement {} B",
        size_of::<Login>(),
        size_of::<Session>(),
        size_of::<Entitlement>(),
    );
    // Warm up what every account shares (the time zone database) before the first reading.
    drop(seeded_state(u64::MAX, now));

    // The domain state alone, event by event, as `from_opened` + `apply` build it.
    let mut meter = Meter::new(accounts);
    let mut states: Vec<AccountState> = Vec::with_capacity(count);
    for n in 0..accounts {
        let [opened, ..] = seed_events(n, now);
        states.push(AccountState::from_opened(&opened).unwrap());
    }
    let opened = meter.step("state: AccountOpened (incl. inline AccountState)");
    for (n, state) in (0..accounts).zip(states.iter_mut()) {
        let [_, deposited, _] = seed_events(n, now);
        state.apply(&deposited);
    }
    let deposited = meter.step("state: + Deposited");
    for (n, state) in (0..accounts).zip(states.iter_mut()) {
        let [.., session] = seed_events(n, now);
        state.apply(&session);
    }
    let session = meter.step("state: + SessionStarted");
    let domain = opened + deposited + session;
    println!("{:<58} {domain:>6} B/account", "state: total as seeded");
    let policy = AccountPolicy {
        sessions_per_login_max: 8,
        idempotency_retention_ms: 86_400_000,
        unusual: farthing::domain::step_up::UnusualActivity::OFF,
    };
    for article in [0, 1] {
        for (n, state) in (0..accounts).zip(states.iter_mut()) {
            let command = purchase(n, article);
            let event = match state.decide_authorize(&command, now, &policy).unwrap() {
                AuthorizeDecision::Purchase(event) => event,
                other => panic!("expected a purchase, got {other:?}"),
            };
            state.apply(&event);
        }
        meter.step(if article == 0 {
            "state: + first purchase (not in the total)"
        } else {
            "state: + second purchase, with an idempotency key"
        });
    }
    // The states stay alive, so the actors below get fresh pages rather than these.

    // The same states inside actors, on two shards as in the server, then the registry map.
    let runner = actix_rt::System::new();
    runner.block_on(async move {
        let states = states;
        // The actors never write here: the journal only has to exist.
        let store = MemoryStore::new();
        let shards = Shards::start(2);
        let env = common::account_env(store.clone(), store);
        let mut addrs: Vec<(AccountId, Addr<AccountActor>)> = Vec::with_capacity(count);
        // Let the journal and arbiter threads settle before the reading actors are measured from.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut meter = Meter::new(accounts);
        for n in 0..accounts {
            let env = env.clone();
            let id = AccountId(n.wrapping_mul(3).wrapping_add(1));
            let addr = AccountActor::start_in_arbiter(shards.for_id(id.0), move |_| {
                AccountActor::new(seeded_state(n, now), 3, 0, env, 64)
            });
            addrs.push((id, addr));
        }
        // Each arbiter runs its start closures in order: one more closure per arbiter marks
        // that all actors exist; the pause lets their first poll (`started`) run.
        let (done, started) = std::sync::mpsc::channel();
        for handle in shards.handles() {
            let done = done.clone();
            handle.spawn_fn(move || done.send(()).unwrap());
        }
        for _ in shards.handles() {
            started.recv().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let actors = meter.step("actors: state + actor + Addr in a Vec");
        let addr_bytes = u64::try_from(size_of::<(AccountId, Addr<AccountActor>)>()).unwrap();
        println!(
            "{:<58} {:>6} B/account",
            "actors: overhead (minus state, minus the Vec slot)",
            actors.saturating_sub(domain).saturating_sub(addr_bytes)
        );
        let registry: DashMap<AccountId, Addr<AccountActor>> = DashMap::new();
        for (id, addr) in &addrs {
            registry.insert(*id, addr.clone());
        }
        meter.step("registry: DashMap<AccountId, Addr> entry");
        drop(states);
        shards.stop();
        actix_rt::System::current().stop();
    });
}
