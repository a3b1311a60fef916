//! Issue 14's statement target: one member with 100,000 statement lines among 10M journal
//! events, a filter matching 1 line in 1,000, one page: p99 under 10 ms.
//!
//! Builds a fjall store directly through the storage port (the journal writer, group commit,
//! no fsync): many small accounts of 100 purchases each, and one big member whose 100,000
//! purchases go to 1,000 vendors round-robin, its groups interleaved with the others'. Then
//! reads pages of 100 lines, each for one vendor (100 of the member's lines: 1 in 1,000),
//! through the vendor index, and prints p50, p99 and max. For comparison it also reads pages
//! for a filter no index serves (an amount every 1,000th purchase has), which scans the
//! member's lines until the page's scan budget.
//!
//! `STATEMENT_BENCH_EVENTS` (default 10,000,000) sets the journal's size,
//! `STATEMENT_BENCH_QUERIES` (default 1,000) the indexed pages read, `STATEMENT_BENCH_DIR`
//! where the store goes (default a temporary directory; a directory that already holds a
//! store is read, not built again), `STATEMENT_BENCH_ROUNDS` (default 3) how many times the
//! pages are read, `STATEMENT_BENCH_PAUSE_S` (default 60) the pause between rounds: a store
//! just loaded with 10M events in four minutes has a compaction debt that a store grown over
//! months does not, and the rounds show the difference.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::as_conversions
)]

mod common;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use farthing::domain::event::Event;
use farthing::domain::ids::{AccountId, LoginId, Owner, VendorId};
use farthing::domain::money::{Amount, Balance, Currency};
use farthing::domain::statement::{self, StatementQuery};
use farthing::domain::time::Timestamp;
use farthing::storage::fjall_store::{FjallStore, NoSync, StoreConfig};
use farthing::storage::port::{Ack, Append, Journal, NoSink};

/// The big member's purchases.
const BIG_LINES: u64 = 100_000;
/// Vendors the big member buys from, round-robin: one vendor's lines are 1 in 1,000.
const VENDORS: u64 = 1_000;
/// Events per group (one append).
const GROUP: u64 = 100;
/// Appends waiting for their acks at most while building.
const IN_FLIGHT: usize = 512;
/// The big member's account.
const BIG: AccountId = AccountId(1);
/// Scan budget of a page, as `members.statement_scan_max` in `config/farthing.toml`.
const SCAN_MAX: u64 = 200_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

/// Purchase `n` of `account` at `vendor`, at `at`; every 1,000th of the big member's costs
/// 7.77 (the unindexed filter's match), the others 0.01 to 0.99.
fn purchase(account: AccountId, n: u64, vendor: VendorId, at: i64) -> Event {
    let price = if account == BIG && n % 1_000 == 999 {
        7_770_000
    } else {
        10_000 * (1 + n % 99)
    };
    common::purchase_event(
        account,
        n,
        vendor,
        price,
        Timestamp(at),
        format!("Article {n} of a daily paper"),
        format!("https://v{}.example/a/{n}", vendor.0),
    )
}

/// One account's next group of purchases, with its lines from the running balance.
fn group(
    account: AccountId,
    first: u64,
    vendor_of: impl Fn(u64) -> VendorId,
    at_of: impl Fn(u64) -> i64,
    balance: &mut Balance,
) -> Append {
    let events: Vec<Arc<Event>> = (first..first + GROUP)
        .map(|n| Arc::new(purchase(account, n, vendor_of(n), at_of(n))))
        .collect();
    let lines = statement::lines(&[(usd(), *balance)], first, &events).unwrap();
    if let Some(last) = lines.last() {
        *balance = Balance::from_micros(i64::try_from(last.balance_after.micros()).unwrap());
    }
    Append {
        // The holder buys, as in an account without sub-members: no login entries.
        holder: Some(LoginId(account.0)),
        owner: Owner::Account(account),
        position: first,
        events,
        statement: lines,
    }
}

fn percentiles(name: &str, mut samples: Vec<Duration>, lines: u64, scanned: u64) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{name}: {} pages, {:.1} lines and {:.0} entries scanned per page; \
         p50 {:?}  p99 {:?}  max {:?}",
        samples.len(),
        lines as f64 / samples.len() as f64,
        scanned as f64 / samples.len() as f64,
        at(0.50),
        at(0.99),
        samples[samples.len() - 1],
    );
}

fn main() {
    let events_total = env_u64("STATEMENT_BENCH_EVENTS", 10_000_000).max(BIG_LINES + GROUP);
    let queries = env_u64("STATEMENT_BENCH_QUERIES", 1_000);
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var("STATEMENT_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| temp.path().to_owned());
    let reuse = std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
    let store = FjallStore::open(&dir).unwrap();
    let (journal, _snapshots, threads) = store
        .start(
            StoreConfig {
                batch_events_max: 16_384,
                queue_entries_max: 4_096,
                snapshot_queue_max: 16,
                statement_rows_max: 65_536,
            },
            Box::new(NoSync),
            Arc::new(NoSink),
        )
        .unwrap();

    // Build: small accounts of GROUP purchases each, one group of the big member after every
    // `ratio` of theirs, so its lines are spread over the whole journal.
    let small_groups = (events_total - BIG_LINES) / GROUP;
    let big_groups = BIG_LINES / GROUP;
    let ratio = (small_groups / big_groups).max(1);
    let started = Instant::now();
    let t0: i64 = 1_800_000_000_000;
    let mut pending: VecDeque<Ack> = VecDeque::new();
    let mut big_next = 0_u64;
    let mut big_balance = Balance::ZERO;
    let mut written = 0_u64;
    let push = |append: Append, pending: &mut VecDeque<Ack>, written: &mut u64| {
        *written += append.events.len() as u64;
        pending.push_back(journal.append(append).unwrap());
        if pending.len() >= IN_FLIGHT {
            pending.pop_front().unwrap().wait_blocking().unwrap();
        }
    };
    for small in (0..small_groups).filter(|_| !reuse) {
        let account = AccountId(1_000 + small);
        let mut balance = Balance::ZERO;
        let at = t0 + (small as i64) * 10;
        push(
            group(
                account,
                0,
                |n| VendorId(VENDORS + n % 7),
                |n| at + n as i64,
                &mut balance,
            ),
            &mut pending,
            &mut written,
        );
        if small % ratio == ratio - 1 && big_next < BIG_LINES {
            push(
                group(
                    BIG,
                    big_next,
                    |n| VendorId(n % VENDORS),
                    |n| t0 + (n as i64) * 1_000,
                    &mut big_balance,
                ),
                &mut pending,
                &mut written,
            );
            big_next += GROUP;
        }
        if small % 10_000 == 0 && small > 0 {
            eprintln!("  {written} events written in {:.0?}", started.elapsed());
        }
    }
    while big_next < BIG_LINES && !reuse {
        push(
            group(
                BIG,
                big_next,
                |n| VendorId(n % VENDORS),
                |n| t0 + (n as i64) * 1_000,
                &mut big_balance,
            ),
            &mut pending,
            &mut written,
        );
        big_next += GROUP;
    }
    for ack in pending.drain(..) {
        ack.wait_blocking().unwrap();
    }
    println!(
        "built {written} events ({} of the big member, {} small accounts) in {:.1?}",
        BIG_LINES,
        small_groups,
        started.elapsed()
    );

    let rounds = env_u64("STATEMENT_BENCH_ROUNDS", 3);
    let pause = Duration::from_secs(env_u64("STATEMENT_BENCH_PAUSE_S", 60));
    let since_built = Instant::now();
    for round in 0..rounds {
        if round > 0 {
            std::thread::sleep(pause);
        }
        println!(
            "round {round}, {:.0?} after the build:",
            since_built.elapsed()
        );
        read_pages(journal.as_ref(), queries);
    }
    threads.shutdown().unwrap();
}

/// Reads the pages of the three kinds and prints their percentiles.
fn read_pages(journal: &dyn Journal, queries: u64) {
    // Indexed: one vendor per page, 100 of the member's 100,000 lines each.
    let mut samples = Vec::with_capacity(queries as usize);
    let (mut lines, mut scanned) = (0_u64, 0_u64);
    for q in 0..queries {
        let query = StatementQuery {
            vendor: Some(VendorId((q * 7) % VENDORS)),
            limit: 100,
            ..StatementQuery::default()
        };
        let begun = Instant::now();
        let page = journal.statement(BIG, &query, SCAN_MAX).unwrap();
        samples.push(begun.elapsed());
        assert_eq!(page.lines.len(), 100);
        lines += page.lines.len() as u64;
        scanned += page.scanned;
    }
    percentiles(
        "vendor filter (indexed), limit 100",
        samples,
        lines,
        scanned,
    );

    // Unindexed, for comparison: 100 lines of 100,000 cost 7.77; every line is read.
    let mut samples = Vec::new();
    let (mut lines, mut scanned) = (0_u64, 0_u64);
    for _ in 0..queries.min(50) {
        let query = StatementQuery {
            min: Some(Amount::from_micros(7_000_000)),
            limit: 100,
            ..StatementQuery::default()
        };
        let begun = Instant::now();
        let page = journal.statement(BIG, &query, SCAN_MAX).unwrap();
        samples.push(begun.elapsed());
        lines += page.lines.len() as u64;
        scanned += page.scanned;
    }
    percentiles(
        "amount filter (no index), limit 100",
        samples,
        lines,
        scanned,
    );

    // The first page of everything, the common case.
    let mut samples = Vec::new();
    for _ in 0..queries {
        let begun = Instant::now();
        let page = journal
            .statement(BIG, &StatementQuery::default(), SCAN_MAX)
            .unwrap();
        samples.push(begun.elapsed());
        assert_eq!(page.lines.len(), 20);
    }
    let pages = samples.len() as u64;
    percentiles(
        "no filter, first page of 20",
        samples,
        pages * 20,
        pages * 21,
    );
}
