//! Journal group commit: events per second when N submitters each append one entry (one
//! ~200-byte event, two index keys, one state row) and wait for its ack before the next,
//! as N actors with one request in flight each would. Measured with `SyncData` (one
//! `fdatasync` per batch, production) and `NoSync` (buffers flushed to the OS only), so the
//! disk's fsync time can be told apart from the journal's own cost. After each case it
//! prints the average number of events per batch.
//!
//! The store lives under `CARGO_TARGET_TMPDIR` (on the build disk, not a tmpfs), so the
//! `SyncData` figures include a real `fdatasync`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "bench harness: a failure should stop the run loudly (STYLE §4 lets benches opt out)"
)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use farthing::storage::wal::{
    Durability, DurableEvent, EventRecord, Journal, JournalConfig, JournalEntry, JournalError,
    NoSync, SyncData,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Size of each event's payload, about one encoded authorization.
const PAYLOAD_BYTES: usize = 200;
/// Size of each state row's value, about one encoded account.
const STATE_VALUE_BYTES: usize = 120;
/// Concurrent submitters to measure.
const SUBMITTER_COUNTS: [u64; 3] = [1, 8, 64];
/// Journal limits, as in the default configuration.
const CONFIG: JournalConfig = JournalConfig {
    batch_events_max: 1_024,
    queue_entries_max: 4_096,
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

/// One entry as an authorization would write it.
fn entry(submitter: u64, n: u64) -> JournalEntry {
    let mut account_time = b"a".to_vec();
    account_time.extend_from_slice(&submitter.to_be_bytes());
    account_time.extend_from_slice(&n.to_be_bytes());
    let mut authorization = b"z".to_vec();
    authorization.extend_from_slice(&submitter.to_be_bytes());
    authorization.extend_from_slice(&n.to_be_bytes());
    let mut member = b"m".to_vec();
    member.extend_from_slice(&submitter.to_be_bytes());
    JournalEntry {
        events: vec![EventRecord {
            payload: vec![0x5a; PAYLOAD_BYTES],
            index_keys: vec![account_time, authorization],
            notify: true,
        }],
        state_puts: vec![(member, vec![0xa5; STATE_VALUE_BYTES])],
        state_deletes: vec![],
    }
}

/// Appends `iters` entries from `submitters` threads, each waiting for its ack before its
/// next submit; returns the wall time.
fn append(journal: &Journal, submitters: u64, iters: u64) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for submitter in 0..submitters {
            let count = iters / submitters + u64::from(submitter < iters % submitters);
            scope.spawn(move || {
                for n in 0..count {
                    loop {
                        match journal.submit_now(entry(submitter, n)) {
                            Ok(ack) => {
                                ack.wait_blocking().expect("append should be durable");
                                break;
                            }
                            Err(JournalError::Full) => std::thread::yield_now(),
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
            let sink = Box::new(|events: &[DurableEvent<'_>]| {
                std::hint::black_box(events.len());
            });
            let (journal, store, thread) =
                Journal::open(dir.path(), CONFIG, Box::new(counting), sink).expect("open");

            group.bench_with_input(
                BenchmarkId::new(name, submitters),
                &submitters,
                |bencher, &submitters| {
                    bencher.iter_custom(|iters| append(&journal, submitters, iters));
                },
            );

            thread.shutdown().expect("clean shutdown");
            let events = store.last_seq().expect("read last seq").unwrap_or(0);
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
