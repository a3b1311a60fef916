//! An authorize in process, through the account actor and the journal (no HTTP): the cost of
//! the actor hop, decide+apply, the journal's group commit, and the reply. Run with and
//! without fsync, one request at a time (latency) and 64 in flight (throughput).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Addr;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use farthing::actors::account::AccountActor;
use farthing::actors::feed::Feed;
use farthing::actors::messages::{AuthorizeMessage, OpenMessage};
use farthing::actors::registry::{Registry, RegistryLimits};
use farthing::actors::shards::Shards;
use farthing::domain::account::{AccountState, SessionExpiry};
use farthing::domain::ids::{AccountId, LoginId, SessionId};
use farthing::domain::money::{Amount, Currency};
use farthing::domain::seed::{Seed, seed_events};
use farthing::domain::time::Timestamp;
use farthing::storage::fjall_store::{Durability, FjallStore, NoSync, StoreConfig, SyncData};
use farthing::storage::recovery::Recovered;
use tokio::sync::oneshot;

type Answer = oneshot::Receiver<
    Result<farthing::actors::messages::Authorization, farthing::actors::messages::CommandError>,
>;

struct Rig {
    addr: Addr<AccountActor>,
    _system: std::thread::JoinHandle<()>,
    _dir: tempfile::TempDir,
    next: u64,
}

fn rig(durability: Box<dyn Durability>) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path()).unwrap();
    let (journal, snapshots, threads) = store
        .start(
            StoreConfig {
                batch_events_max: 1024,
                queue_entries_max: 65_536,
                snapshot_queue_max: 4_096,
                statement_rows_max: 65_536,
            },
            durability,
            Arc::new(farthing::storage::port::NoSink),
        )
        .unwrap();
    std::mem::forget(threads);
    let feed = Feed::new(
        snapshots.clone(),
        Duration::from_secs(1),
        &Recovered::default(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let system = std::thread::spawn(move || {
        let runner = actix_rt::System::new();
        runner.block_on(async move {
            let shards = Arc::new(Shards::start(1));
            let env = common::account_env(journal, snapshots);
            let limits = RegistryLimits {
                mailbox_messages_max: 1024,
                accounts_in_memory_max: 10,
                vendor_snapshot_interval_ms: 1000,
                offers_expired_kept_ms: 600_000,
            };
            let registry = Registry::new(shards, env, limits, feed);
            let now = Timestamp(
                i64::try_from(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_millis(),
                )
                .unwrap(),
            );
            let usd = Currency::parse("USD").unwrap();
            let seed = Seed {
                account: AccountId(1),
                login: LoginId(2),
                session: SessionId(3),
                currency: usd,
                deposit: Amount::from_micros(9_000_000_000_000),
                time_zone: "UTC".to_owned(),
                session_expiry: SessionExpiry::Absolute {
                    expires_at: now.plus_ms(86_400_000),
                },
            };
            let events = seed_events(&seed, now);
            let state = AccountState::from_opened(events.first().unwrap()).unwrap();
            let addr = registry.activate_new(state).unwrap();
            let (reply, answer) = oneshot::channel();
            addr.send(OpenMessage { events, reply }).await.unwrap();
            answer.await.unwrap().unwrap();
            tx.send(addr).unwrap();
        });
        runner.run().unwrap();
    });
    Rig {
        addr: rx.recv().unwrap(),
        _system: system,
        _dir: dir,
        next: 0,
    }
}

impl Rig {
    fn send(
        &mut self,
    ) -> oneshot::Receiver<
        Result<farthing::actors::messages::Authorization, farthing::actors::messages::CommandError>,
    > {
        self.next += 1;
        let n = self.next;
        let command = common::purchase(n, 1_000);
        let (reply, answer) = oneshot::channel();
        self.addr
            .try_send(AuthorizeMessage { command, reply })
            .unwrap();
        answer
    }

    /// `count` authorizations with `depth` in flight; returns the elapsed time.
    fn run(&mut self, count: u64, depth: usize) -> Duration {
        let started = Instant::now();
        let mut in_flight: std::collections::VecDeque<Answer> =
            std::collections::VecDeque::with_capacity(depth);
        for _ in 0..count {
            if in_flight.len() == depth {
                let answer = in_flight.pop_front().unwrap();
                answer.blocking_recv().unwrap().unwrap();
            }
            in_flight.push_back(self.send());
        }
        for answer in in_flight {
            answer.blocking_recv().unwrap().unwrap();
        }
        started.elapsed()
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("authorize_in_process");
    group.throughput(Throughput::Elements(1));
    let choices: [(&str, Box<dyn Durability>); 2] =
        [("nosync", Box::new(NoSync)), ("fsync", Box::new(SyncData))];
    for (name, durability) in choices {
        let mut rig = rig(durability);
        group.bench_function(format!("{name}/one_at_a_time"), |b| {
            b.iter_custom(|iters| rig.run(iters, 1))
        });
        group.bench_function(format!("{name}/64_in_flight"), |b| {
            b.iter_custom(|iters| rig.run(iters, 64))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
