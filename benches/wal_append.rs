//! Journal group commit: events per second when N appenders each append one purchase event
//! (its record and its owner-index key: what an authorization writes) and wait for its ack
//! before the next, as N actors with one request in flight each would. Measured with `SyncData` (one
//! `fdatasync` per batch, production) and `NoSync` (buffers flushed to the OS only), so the
//! disk's fsync time can be told apart from the journal's own cost. After each case it
//! prints the average number of events per batch.
//!
//! The store lives under `CARGO_TARGET_TMPDIR` (on the build disk, not a tmpfs), so the
//! `SyncData` figures include a real `fdatasync`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "bench harness: a failure should stop the run loudly (STYLE §4 lets benches opt out)"
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use farthing::domain::event::Event;
use farthing::domain::ids::{AccountId, Owner};
use farthing::storage::fjall_store::{Durability, FjallStore, NoSync, StoreConfig, SyncData};
use farthing::storage::port::{Append, Journal, NoSink, StorageError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Concurrent appenders to measure.
const SUBMITTER_COUNTS: [u64; 3] = [1, 8, 64];
/// Journal limits, as in the default configuration.
const CONFIG: StoreConfig = StoreConfig {
    batch_events_max: 1_024,
    queue_entries_max: 4_096,
    snapshot_queue_max: 4_096,
    statement_rows_max: 65_536,
};

/// Builds a fresh durability for one bench case.
type MakeDurability = fn() -> Box<dyn Durability>;

/// Counts persists around the real durability, to report events per batch.
struct CountingPersists {
    inner: Box<dyn Durability>,
    persists: Arc<AtomicU64>,
}

impl Durability for CountingPersists {
    fn make_durable(&mut self, db: &fjall::Database) -> Result<(), fjall::Error> {
        self.persists.fetch_add(1, Ordering::Relaxed);
        self.inner.make_durable(db)
    }
}

/// One purchase of `submitter`'s account at its position `n`.
fn entry(submitter: u64, n: u64) -> Append {
    let command = common_purchase(submitter, n);
    Append {
        holder: None,
        owner: Owner::Account(AccountId(submitter)),
        position: n,
        events: vec![Arc::new(command)],
        statement: Vec::new(),
    }
}

/// A purchase event as it was before purchases carried their title and content URL (issue
/// 14), kept so that this bench's figures compare with those in README; today's purchase is
/// longer by its title and URL. (`common::purchase_event` builds one with both.)
fn common_purchase(submitter: u64, n: u64) -> Event {
    use farthing::domain::entitlement::{ContentKey, ContentUrl, Entitlement};
    use farthing::domain::event::Authorized;
    use farthing::domain::ids::{AuthorizationId, EntitlementId, LoginId, SessionId, VendorId};
    use farthing::domain::money::{Amount, Currency};
    use farthing::domain::time::Timestamp;
    let vendor = VendorId(9);
    let url = ContentUrl::parse(&format!("https://news.example/a/{submitter}/{n}")).unwrap();
    Event::Authorized(Box::new(Authorized {
        title: String::new(),
        content_url: String::new(),
        account: AccountId(submitter),
        authorization: AuthorizationId(n),
        login: LoginId(2),
        session: SessionId(3),
        vendor,
        entitlement: Entitlement {
            id: EntitlementId(n),
            key: ContentKey::new(vendor, None, &url),
            authorization: AuthorizationId(n),
            price: Amount::from_micros(10_000),
            currency: Currency::parse("USD").unwrap(),
            purchased_at: Timestamp(1_800_000_000_000),
            views_allowed: None,
            views_used: 0,
            expires_at: None,
            reversed_at: None,
        },
        idempotency: None,
        idempotency_expired: Vec::new(),
        offer: None,
        incentives: Vec::new(),
        parties: farthing::domain::royalty::SaleParties::default(),
        at: Timestamp(1_800_000_000_000),
    }))
}

/// Appends `iters` entries from `submitters` threads, each waiting for its ack before its
/// next submit; returns the wall time.
fn append(journal: &dyn Journal, positions: &[AtomicU64], submitters: u64, iters: u64) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for submitter in 0..submitters {
            let count = iters / submitters + u64::from(submitter < iters % submitters);
            let position = &positions[usize::try_from(submitter).unwrap()];
            scope.spawn(move || {
                for _ in 0..count {
                    let n = position.fetch_add(1, Ordering::Relaxed);
                    loop {
                        match journal.append(entry(submitter, n)) {
                            Ok(ack) => {
                                ack.wait_blocking().expect("append should be durable");
                                break;
                            }
                            Err(StorageError::Full) => std::thread::yield_now(),
                            Err(error) => panic!("journal refused an append: {error}"),
                        }
                    }
                }
            });
        }
    });
    started.elapsed()
}

fn wal_append(c: &mut Criterion) {
    let mut group = c.benchmark_group("wal_append");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));

    let durabilities: [(&str, MakeDurability); 2] = [
        ("sync_data", || Box::new(SyncData)),
        ("no_sync", || Box::new(NoSync)),
    ];
    for (name, durability) in durabilities {
        for submitters in SUBMITTER_COUNTS {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
            let persists = Arc::new(AtomicU64::new(0));
            let counting = CountingPersists {
                inner: durability(),
                persists: Arc::clone(&persists),
            };
            let store = FjallStore::open(dir.path()).expect("open");
            let (journal, _snapshots, threads) = store
                .start(CONFIG, Box::new(counting), Arc::new(NoSink))
                .expect("start");
            let positions: Vec<AtomicU64> = (0..submitters).map(|_| AtomicU64::new(0)).collect();

            group.bench_with_input(
                BenchmarkId::new(name, submitters),
                &submitters,
                |bencher, &submitters| {
                    bencher.iter_custom(|iters| {
                        append(journal.as_ref(), &positions, submitters, iters)
                    });
                },
            );

            threads.shutdown().expect("clean shutdown");
            let events = store.last_seq().expect("read last seq");
            let batches = persists.load(Ordering::Relaxed).max(1);
            if events == 0 {
                continue; // Filtered out on the command line.
            }
            let tenths = events.saturating_mul(10) / batches;
            eprintln!(
                "wal_append/{name}/{submitters}: {events} events in {batches} batches, \
                 {}.{} events per batch on average",
                tenths / 10,
                tenths % 10
            );
        }
    }
    group.finish();
}

/// criterion's generated group function has no doc comment, so it lives here.
mod harness {
    #![allow(
        missing_docs,
        reason = "criterion_group! generates an undocumented pub fn"
    )]
    criterion::criterion_group!(benches, super::wal_append);
}

criterion_main!(harness::benches);
