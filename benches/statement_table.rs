//! The statement projector's work per table, off the request path but on the same two cores:
//! the journal writer adding a buffer's rows to the arena, and the projector sorting them and
//! writing them as one fjall table. The load harness's purchases are the shape: 1,000 members
//! buying from 10 vendors, two rows a purchase (the line and its vendor entry), 65,536 rows a
//! table as `journal.statement_rows_max` in `config/farthing.toml`. README ("2 December: where
//! the gap is") measured these table writes as the authorize path's gap to before issue 14.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use farthing::domain::event::Event;
use farthing::domain::ids::{AccountId, LoginId, VendorId};
use farthing::domain::money::{Balance, Currency};
use farthing::domain::statement::{self, StatementLine};
use farthing::domain::time::Timestamp;
use farthing::storage::statement_projection::{TableOrder, TableRows};
use fjall::config::FilterPolicy;
use fjall::{Database, KeyspaceCreateOptions};

const MEMBERS: u64 = 1_000;
const VENDORS: u64 = 10;
/// Rows a table holds, as `journal.statement_rows_max`.
const ROWS: usize = 65_536;

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

/// Purchase `n` of `account`, at the harness's price and with a title and URL of its length.
fn purchase(account: AccountId, n: u64, at: i64) -> Event {
    let vendor = VendorId(1 + (account.0 + n) % VENDORS);
    common::purchase_event(
        account,
        n,
        vendor,
        10_000,
        Timestamp(at),
        format!("Article {n}"),
        format!("https://vendor-{}.example/articles/{n}", vendor.0),
    )
}

/// The lines of one table's purchases, interleaved over the members as the harness sends them.
fn harness_lines() -> Vec<(AccountId, StatementLine)> {
    let per_member = u64::try_from(ROWS / 2).unwrap() / MEMBERS + 1;
    let by_member: Vec<Vec<StatementLine>> = (1..=MEMBERS)
        .map(|member| {
            let account = AccountId(member);
            let events: Vec<Arc<Event>> = (0..per_member)
                .map(|n| {
                    let at = 1_800_000_000_000 + i64::try_from(n * MEMBERS + member).unwrap();
                    Arc::new(purchase(account, n, at))
                })
                .collect();
            statement::lines(&[(usd(), Balance::from_micros(1_000_000_000))], 0, &events).unwrap()
        })
        .collect();
    // Each member's n-th purchase, then every member's next: the order they reach the writer.
    (0..usize::try_from(per_member).unwrap())
        .flat_map(|n| {
            (1..=MEMBERS)
                .zip(&by_member)
                .map(move |(member, own)| (AccountId(member), own[n].clone()))
        })
        .take(ROWS / 2)
        .collect()
}

fn add_lines(table: &mut TableRows, lines: &[(AccountId, StatementLine)]) {
    table.clear();
    for (account, line) in lines {
        // The holder buys: no login entry, as in the harness.
        table.add_line(*account, Some(LoginId(account.0)), line);
    }
}

fn table(c: &mut Criterion) {
    let lines = harness_lines();
    let mut rows = TableRows::default();
    add_lines(&mut rows, &lines);
    assert_eq!(rows.len(), ROWS, "two rows a purchase");

    c.bench_function("statement_table/add_65536_rows", |b| {
        let mut table = TableRows::default();
        b.iter(|| add_lines(&mut table, &lines));
    });

    // Every iteration writes the same rows as one more table: fjall's workers compact them in
    // the background, as they compact the projector's tables.
    let dir = tempfile::tempdir().unwrap();
    let db = Database::builder(dir.path())
        .manual_journal_persist(true)
        .open()
        .unwrap();
    let keyspace = db
        .keyspace("statement", || {
            KeyspaceCreateOptions::default().filter_policy(FilterPolicy::disabled())
        })
        .unwrap();
    let mut order = TableOrder::default();
    let mut through = 0_u64;
    let mut group = c.benchmark_group("statement_table");
    group.sample_size(20);
    group.bench_function("sort_and_write_65536_rows", |b| {
        b.iter(|| {
            through += 1;
            rows.write(&keyspace, Some(through), &mut order).unwrap();
        });
    });
    group.finish();
}

criterion_group!(benches, table);
criterion_main!(benches);
