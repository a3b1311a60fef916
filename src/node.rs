//! A running farthing node: opens the store, recovers, starts the shards, the actors and the
//! HTTP server, and stops them in order. `main` and the integration tests both start nodes
//! through here, so the tests run exactly what production runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::watch;

use crate::actors::account::AccountEnv;
use crate::actors::feed::Feed;
use crate::actors::registry::{Registry, RegistryLimits};
use crate::actors::shards::Shards;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::secret::{self, PseudonymKey};
use crate::crypto::token::TokenKeys;
use crate::crypto::{BootEpoch, LocatorKey};
use crate::domain::account::AccountPolicy;
use crate::http::app::{App, IdempotencyCache};
use crate::http::client::TrustedProxies;
use crate::http::metrics_listener::MetricsListener;
use crate::http::password::{Passwords, Throttles};
use crate::http::server;
use crate::storage::fjall_store::{Durability, FjallStore, OpenError, StorageThreads, StoreConfig};
use crate::storage::memory::MemoryStore;
use crate::storage::port::{Journal, SnapshotStore, StorageError};
use crate::storage::recovery::{self, RecoveryError};

/// Why a node could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The data directory or a key file.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// A key file is corrupt.
    #[error("key file: {0}")]
    Keys(String),
    /// The store could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Recovery.
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    /// The metrics recorder.
    #[error("metrics: {0}")]
    Metrics(String),
    /// The actor system thread failed.
    #[error("actor system: {0}")]
    System(String),
    /// `admin.four_eyes_functions` names a function no route performs.
    #[error("admin.four_eyes_functions: no back-office route is {0}")]
    FourEyes(String),
    /// The mail outbox could not be opened.
    #[error("mail outbox: {0}")]
    Mail(#[from] crate::mail::MailError),
    /// The password hasher could not hash its dummy with the configured cost.
    #[error("password hasher: {0}")]
    Passwords(#[from] crate::http::password::HashError),
}

/// Where a node keeps its journal and snapshots.
pub enum Storage {
    /// fjall in `<data_dir>/journal`, made durable by `Durability` (the default).
    Fjall(Box<dyn Durability>),
    /// Process memory (tests and simulation): the same store handed to the next node is what
    /// a restart finds.
    Memory(Arc<MemoryStore>),
}

/// Where the fjall store lives inside the data directory.
#[must_use]
pub fn store_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("journal")
}

/// A started node.
pub struct Node {
    /// The address the HTTP server listens on.
    pub address: SocketAddr,
    /// Shared state (tests read it; `main` watches the journal through it).
    pub app: Arc<App>,
    /// The address `/metrics` is served on when `metrics.listen` moves it off the API port.
    pub metrics_address: Option<SocketAddr>,
    metrics_thread: Option<std::thread::JoinHandle<()>>,
    stop: watch::Sender<bool>,
    served: parking_lot::Mutex<std::sync::mpsc::Receiver<()>>,
    listeners: usize,
    shards: Arc<Shards>,
    system: actix_rt::System,
    system_thread: std::thread::JoinHandle<()>,
    storage_threads: Option<StorageThreads>,
    /// Answers `farthing backup` on the data directory's socket (fjall stores only).
    backup: Option<crate::backup::BackupServer>,
    catch_up_thread: std::thread::JoinHandle<()>,
    http_runtime: Option<tokio::runtime::Runtime>,
}

/// Starts a node with `config` on the fjall store in its data directory, reading time from
/// `clock` and persisting with `durability`.
///
/// # Errors
/// `NodeError` naming what failed.
pub fn start(
    config: Config,
    clock: Arc<dyn Clock>,
    durability: Box<dyn Durability>,
) -> Result<Node, NodeError> {
    start_with(config, clock, Storage::Fjall(durability))
}

/// Starts a node with `config` on `storage`, reading time from `clock`: keys, storage and
/// recovery, the actor system with the HTTP listeners on its shards, then (when configured)
/// a separate HTTP runtime.
///
/// # Errors
/// `NodeError` naming what failed.
pub fn start_with(
    config: Config,
    clock: Arc<dyn Clock>,
    storage: Storage,
) -> Result<Node, NodeError> {
    start_paying(
        config,
        clock,
        storage,
        Arc::new(crate::payments::TestProcessor::default()),
    )
}

/// Starts a node as [`start_with`] does, charging payment methods through `payments` (tests
/// share one processor across a crash and a restart, as a real processor outlives a node).
/// Before it serves, the node resolves deposits a crash left started and unfinished.
///
/// # Errors
/// `NodeError` naming what failed.
pub fn start_paying(
    config: Config,
    clock: Arc<dyn Clock>,
    storage: Storage,
    payments: Arc<dyn crate::payments::PaymentProcessor>,
) -> Result<Node, NodeError> {
    let known = crate::http::routes::admin_functions();
    if let Some(unknown) = config
        .admin
        .four_eyes_functions
        .iter()
        // A function that is no route (it widens what a route shows) is never held for
        // approval: naming one here would promise a second pair of eyes that never comes.
        .find(|function| {
            !known.contains(&function.as_str())
                || crate::http::routes::EXTRA_FUNCTIONS.contains(&function.as_str())
        })
    {
        return Err(NodeError::FourEyes(unknown.clone()));
    }
    let metrics = crate::metrics::install().map_err(NodeError::Metrics)?;
    if !crate::crypto::token::POLY1305_FORCE_SOFT {
        // RUSTFLAGS in the environment replaces .cargo/config.toml's flags; tokens still work
        // but every open costs about five times as much.
        tracing::warn!("built without --cfg poly1305_force_soft: token checks are ~5x slower");
    }
    let keys = Keys::load(&config)?;
    let mut opened = open_storage(&config, storage)?;
    let catch_up_thread = opened
        .feed
        .start_catch_up(opened.journal.clone())
        .map_err(|source| NodeError::Io {
            what: "starting the feed's catch-up thread",
            source,
        })?;
    let backup = match opened.store.take() {
        Some(store) => {
            let journal = opened.journal.clone();
            let durable = Arc::new(move || journal.durable_seq());
            Some(
                crate::backup::BackupServer::start(store, &config.server.data_dir, durable)
                    .map_err(|source| NodeError::Io {
                        what: "listening for backups",
                        source,
                    })?,
            )
        }
        None => None,
    };
    let shard_count = config.shard_count();
    let http_threads = config.server.http_threads;
    let listener_count = if http_threads == 0 {
        shard_count
    } else {
        http_threads
    };
    let (listeners, address) =
        server::bind(config.server.listen, listener_count).map_err(|source| NodeError::Io {
            what: "binding the listen address",
            source,
        })?;
    // Serving on the shards' own threads is the default; a separate runtime is kept for
    // measuring the alternative (see `server.http_threads` in config/farthing.toml).
    let (shard_listeners, runtime_listeners) = if http_threads == 0 {
        (listeners, Vec::new())
    } else {
        (Vec::new(), listeners)
    };
    let metrics_listener = config
        .metrics
        .listen
        .map(MetricsListener::bind)
        .transpose()
        .map_err(|source| NodeError::Io {
            what: "binding metrics.listen",
            source,
        })?;
    let metrics_address = metrics_listener.as_ref().map(|listener| listener.address);
    let public_url = if config.buy_window.public_url.is_empty() {
        format!("http://{address}")
    } else {
        config
            .buy_window
            .public_url
            .trim_end_matches('/')
            .to_owned()
    };
    let (stop, stop_rx) = watch::channel(false);
    let (served_tx, served) = std::sync::mpsc::channel();
    let serving = Serving {
        stop: stop_rx,
        served: served_tx,
    };
    let daily_summaries = Arc::new(crate::daily_summary::DailySummaries::open(
        config.mail.clone(),
        &config.server.data_dir,
        &public_url,
    )?);
    let parts = AppParts {
        keys,
        metrics,
        public_url,
        clock,
        passwords: Passwords::new(&config.members)?,
        config,
        payments,
        daily_summaries,
    };
    let storage_threads = opened.threads.take();
    let system = start_system(parts, opened, shard_listeners, serving.clone())?;
    let http_runtime = start_http_runtime(&system.app, runtime_listeners, &serving, http_threads)?;
    let metrics_thread = metrics_listener
        .map(|listener| listener.spawn(system.app.clone(), stop.subscribe()))
        .transpose()
        .map_err(|source| NodeError::Io {
            what: "starting the metrics listener",
            source,
        })?;
    tracing::info!(%address, ?metrics_address, shards = shard_count, http_threads, "farthing is serving");
    Ok(Node {
        address,
        app: system.app,
        metrics_address,
        metrics_thread,
        stop,
        served: parking_lot::Mutex::new(served),
        listeners: listener_count,
        shards: system.shards,
        system: system.system,
        system_thread: system.thread,
        storage_threads,
        backup,
        catch_up_thread,
        http_runtime,
    })
}

/// The keys a node loads (or creates) in its data directory at start.
struct Keys {
    tokens: TokenKeys,
    pseudonyms: PseudonymKey,
    locators: LocatorKey,
    admin_key: secret::AdminKey,
    boot_epoch: u64,
    bank_data: crate::crypto::DataKey,
}

impl Keys {
    fn load(config: &Config) -> Result<Keys, NodeError> {
        let data_dir = &config.server.data_dir;
        secure_data_dir(data_dir)?;
        let keys = |e: crate::crypto::KeyFileError| NodeError::Keys(e.to_string());
        let admin_key_path = config.admin_key_path();
        let loaded = Keys {
            tokens: TokenKeys::load_or_create(data_dir).map_err(keys)?,
            pseudonyms: PseudonymKey::load_or_create(data_dir).map_err(keys)?,
            locators: LocatorKey::load_or_create(data_dir).map_err(keys)?,
            bank_data: crate::crypto::DataKey::load_or_create(data_dir).map_err(keys)?,
            // Every start is a new epoch: access tokens of earlier runs are refused.
            boot_epoch: BootEpoch::advance(data_dir).map_err(keys)?,
            admin_key: secret::load_or_create_admin_key(&admin_key_path, &mut rand::rngs::OsRng)
                .map_err(keys)?,
        };
        tracing::info!(path = %admin_key_path.display(), "admin key");
        Ok(loaded)
    }
}

/// Most entries of the data directory's tree that the start-up permission pass visits: a
/// bound on the walk, far above the few hundred files a data directory holds (keys, fjall's
/// journals and tables).
const DATA_DIR_ENTRIES_MAX: usize = 100_000;
/// How many tightened paths are named in the warning; the rest are counted.
const TIGHTENED_NAMED_MAX: usize = 10;

/// Makes the data directory private to the server's user: the process umask becomes 077 (so
/// every file fjall and the key loaders create is 0600, every directory 0700), the directory
/// is created 0700 if missing, and an existing tree open to others is tightened (group and
/// other bits removed) with a warning naming what was changed. The directory holds e-mail
/// addresses, password hashes and keys.
///
/// The umask is process-wide: a node owns its process (as it owns the metrics recorder), and
/// nothing farthing writes is meant for other users. Symbolic links are not followed.
///
/// # Errors
/// `NodeError::Io` if the directory cannot be created, walked or changed.
pub fn secure_data_dir(data_dir: &Path) -> Result<Vec<PathBuf>, NodeError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|source| NodeError::Io {
            what: "creating the data directory",
            source,
        })?;
    let io = |what| move |source| NodeError::Io { what, source };
    let mut tightened = Vec::new();
    let mut pending = vec![data_dir.to_path_buf()];
    let mut visited = 0_usize;
    while let Some(path) = pending.pop() {
        visited = visited.saturating_add(1);
        if visited > DATA_DIR_ENTRIES_MAX {
            tracing::warn!(
                entries_max = DATA_DIR_ENTRIES_MAX,
                "the data directory holds too many entries to check them all"
            );
            break;
        }
        let metadata =
            std::fs::symlink_metadata(&path).map_err(io("reading the data directory"))?;
        if metadata.is_symlink() {
            continue;
        }
        if metadata.is_dir() {
            for entry in std::fs::read_dir(&path).map_err(io("reading the data directory"))? {
                pending.push(entry.map_err(io("reading the data directory"))?.path());
            }
        }
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(io("tightening the data directory's permissions"))?;
            tightened.push(path);
        }
    }
    if !tightened.is_empty() {
        let named: Vec<String> = tightened
            .iter()
            .take(TIGHTENED_NAMED_MAX)
            .map(|path| path.display().to_string())
            .collect();
        tracing::warn!(
            count = tightened.len(),
            paths = named.join(", "),
            "the data directory was open to other users; removed their access"
        );
    }
    Ok(tightened)
}

/// Opens the journal and snapshots, recovers, and builds the feed on what recovery folded.
fn open_storage(config: &Config, storage: Storage) -> Result<Opened, NodeError> {
    let checkpoint_interval = Duration::from_millis(config.journal.checkpoint_interval_ms);
    let started = std::time::Instant::now();
    let opened = match storage {
        Storage::Fjall(durability) => {
            let store = FjallStore::open(&store_dir(&config.server.data_dir))?;
            // The statement rows of events after its watermark (a journal older than the
            // statement, or the buffer a crash lost) are written before anything reads or
            // appends: the journal writer is not running yet.
            let building = std::time::Instant::now();
            if let Some(lines) = store.project_statement()? {
                tracing::info!(
                    lines,
                    elapsed_ms = u64::try_from(building.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "statement lines written from the journal"
                );
            }
            let (reader, snapshot_reader) = store.reader()?;
            let recovered = recovery::recover(&reader, &snapshot_reader)?;
            drop((reader, snapshot_reader));
            store.write_email_rows(&recovered.pending_emails)?;
            // The feed's checkpoints go through the snapshot writer, which starts with the
            // journal; until then there is nothing to checkpoint.
            let pending = PendingSnapshots::default();
            let feed = Feed::new(pending.handle(), checkpoint_interval, &recovered);
            let store_config = StoreConfig {
                batch_events_max: config.journal.batch_events_max,
                queue_entries_max: config.journal.queue_entries_max,
                snapshot_queue_max: config.journal.snapshot_queue_max,
                statement_rows_max: config.journal.statement_rows_max,
            };
            let (journal, snapshots, threads) =
                store.start(store_config, durability, feed.clone())?;
            pending.connect(snapshots.clone());
            Opened {
                journal,
                snapshots,
                threads: Some(threads),
                store: Some(store),
                feed,
                recovered,
            }
        }
        Storage::Memory(memory) => {
            let recovered = recovery::recover(memory.as_ref(), memory.as_ref())?;
            let feed = Feed::new(memory.clone(), checkpoint_interval, &recovered);
            memory.set_sink(feed.clone());
            Opened {
                journal: memory.clone(),
                snapshots: memory,
                threads: None,
                store: None,
                feed,
                recovered,
            }
        }
    };
    tracing::info!(
        events_replayed = opened.recovered.replayed,
        vendors = opened.recovered.vendors.len(),
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "recovered"
    );
    Ok(opened)
}

/// What the app is built from besides the actors.
struct AppParts {
    keys: Keys,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    public_url: String,
    clock: Arc<dyn Clock>,
    /// Built before the actor system starts: it hashes its dummy, a blocking call.
    passwords: Passwords,
    config: Config,
    payments: Arc<dyn crate::payments::PaymentProcessor>,
    daily_summaries: Arc<crate::daily_summary::DailySummaries>,
}

/// Asks about the bank debits waiting to settle every `payments.settlement_poll_ms`, for as
/// long as the actor system runs (it stops with the system).
async fn watch_settlements(app: Arc<App>) {
    let interval = Duration::from_millis(app.config.payments.settlement_poll_ms);
    loop {
        tokio::time::sleep(interval).await;
        if app.settlements.is_empty() {
            continue;
        }
        crate::payments::settlement::settle_due(
            &app.registry,
            app.payments.as_ref(),
            &app.settlements,
            app.now(),
        )
        .await;
    }
}

/// How the accept loops learn to stop and tell that they have.
#[derive(Clone)]
struct Serving {
    stop: watch::Receiver<bool>,
    served: std::sync::mpsc::Sender<()>,
}

/// The running actor system.
struct System {
    app: Arc<App>,
    shards: Arc<Shards>,
    system: actix_rt::System,
    thread: std::thread::JoinHandle<()>,
}

/// Starts the actor system on its own thread: shards, the registry with the recovered vendors
/// and e-mails, the app, and an accept loop on each shard. Returns once it serves.
fn start_system(
    parts: AppParts,
    opened: Opened,
    listeners: Vec<std::net::TcpListener>,
    serving: Serving,
) -> Result<System, NodeError> {
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("farthing-system".to_owned())
        .spawn(move || {
            let runner = actix_rt::System::new();
            let result = runner.block_on(async move {
                let AppParts {
                    keys,
                    metrics,
                    public_url,
                    clock,
                    passwords,
                    config,
                    payments,
                    daily_summaries,
                } = parts;
                let shards = Arc::new(Shards::start(config.shard_count()));
                let mut opened = opened;
                // Resolved below, once the app can reach the processor and the accounts.
                let open_deposits = std::mem::take(&mut opened.recovered.open_deposits);
                let open_transfers = std::mem::take(&mut opened.recovered.open_transfers);
                let registry = start_registry(&config, shards.clone(), opened, clock.clone());
                let payouts = Arc::new(crate::payouts::Payouts::new(
                    keys.bank_data,
                    config.payments_outbox(),
                    &config.settlement.debtor,
                ));
                let app = Arc::new(App {
                    registry,
                    tokens: keys.tokens,
                    pseudonyms: keys.pseudonyms,
                    locators: keys.locators,
                    admin_key: keys.admin_key,
                    boot_epoch: keys.boot_epoch,
                    trusted_proxies: TrustedProxies::new(config.server.trusted_proxies.clone()),
                    passwords,
                    throttles: Throttles::new(&config.members),
                    idempotency: IdempotencyCache::new(
                        config.idempotency.keys_max,
                        config.idempotency.keys_per_vendor_max,
                        config.idempotency.retention_ms,
                    ),
                    config,
                    clock,
                    metrics,
                    public_url,
                    payments,
                    settlements: crate::payments::Settlements::default(),
                    payouts,
                    daily_summaries,
                    ready: std::sync::atomic::AtomicBool::new(false),
                });
                // Before serving: a member must not see a balance that misses a charge a crash
                // left uncredited.
                let resolved = crate::payments::resolve_open_deposits(
                    &app.registry,
                    app.payments.as_ref(),
                    &app.settlements,
                    &open_deposits,
                )
                .await;
                actix_rt::spawn(watch_settlements(app.clone()));
                // Before serving too: a recipient must not miss money a crash left in transit.
                let in_transit = open_transfers.len();
                let delivered =
                    crate::transfers::deliver_open(&app.registry, open_transfers, app.now()).await;
                if in_transit > 0 {
                    tracing::info!(in_transit, delivered, "transfers left in transit by a stop");
                }
                // Before serving: a settlement run a stop left open gets its payment file.
                if let Err(error) = app.payouts.resume(&app.registry).await {
                    tracing::error!(%error, "a settlement run left open could not be finished");
                }
                if app.config.settlement.tick_ms > 0 {
                    let ticker = app.clone();
                    actix_rt::spawn(crate::payouts::tick(
                        app.registry.clone(),
                        app.payouts.clone(),
                        Duration::from_millis(app.config.settlement.tick_ms),
                        move || ticker.now(),
                    ));
                }
                if app.config.mail.tick_ms > 0 {
                    let ticker = app.clone();
                    actix_rt::spawn(crate::daily_summary::tick(
                        app.registry.clone(),
                        app.daily_summaries.clone(),
                        Duration::from_millis(app.config.mail.tick_ms),
                        app.config.mail.catch_up_days,
                        move || ticker.now(),
                    ));
                }
                let sweeper = app.clone();
                actix_rt::spawn(crate::incentives::watch_expiries(
                    app.registry.clone(),
                    Duration::from_millis(app.config.incentives.expiry_sweep_ms),
                    move || sweeper.now(),
                ));
                let watcher = app.clone();
                actix_rt::spawn(crate::transfers::watch(
                    app.registry.clone(),
                    Duration::from_millis(app.config.payments.transfer_retry_ms),
                    move || watcher.now(),
                ));
                if !open_deposits.is_empty() {
                    tracing::info!(
                        open = open_deposits.len(),
                        resolved,
                        "deposits left open by a crash"
                    );
                }
                let connections = server::Connections::new(&app.config.server);
                for (listener, shard) in listeners.into_iter().zip(shards.handles()) {
                    let (app, connections, serving) =
                        (app.clone(), connections.clone(), serving.clone());
                    shard.spawn(async move {
                        server::serve(listener, app, connections, serving.stop).await;
                        let _ = serving.served.send(());
                    });
                }
                app.ready.store(true, Ordering::Release);
                Ok::<_, NodeError>((app, shards, actix_rt::System::current()))
            });
            let failed = result.is_err();
            let _ = started_tx.send(result);
            if !failed {
                let _ = runner.run();
            }
        })
        .map_err(|source| NodeError::Io {
            what: "starting the actor system",
            source,
        })?;
    match started_rx.recv() {
        Ok(Ok((app, shards, system))) => Ok(System {
            app,
            shards,
            system,
            thread,
        }),
        Ok(Err(error)) => {
            let _ = thread.join();
            Err(error)
        }
        Err(_) => Err(NodeError::System(
            "the actor system thread stopped while starting".to_owned(),
        )),
    }
}

/// The registry over opened storage on `shards`, with the recovered vendors and e-mails: the
/// actor layer of a node. Must run inside the actix `System` that `shards` belong to.
fn start_registry(
    config: &Config,
    shards: Arc<Shards>,
    opened: Opened,
    clock: Arc<dyn Clock>,
) -> Arc<Registry> {
    let env = AccountEnv {
        journal: opened.journal,
        snapshots: opened.snapshots,
        clock,
        policy: AccountPolicy {
            sessions_per_login_max: config.actors.sessions_per_login_max,
            idempotency_retention_ms: config.idempotency.retention_ms,
            unusual: config.step_up.unusual,
        },
        snapshot_every_events: config.actors.account_snapshot_events,
    };
    let limits = RegistryLimits {
        mailbox_messages_max: config.actors.mailbox_messages_max,
        accounts_in_memory_max: config.actors.accounts_in_memory_max,
        vendor_snapshot_interval_ms: config.actors.vendor_snapshot_interval_ms,
        offers_expired_kept_ms: config.offers.expired_kept_ms,
    };
    let registry = Arc::new(Registry::new(shards, env, limits, opened.feed));
    registry.start_programs(
        opened.recovered.programs,
        opened.recovered.programs_position,
    );
    registry.start_settlement(
        opened.recovered.settlement,
        opened.recovered.settlement_position,
    );
    registry.start_back_office(
        opened.recovered.back_office,
        opened.recovered.back_office_position,
    );
    registry.start_audit(opened.recovered.audit_position);
    for vendor in opened.recovered.vendors {
        registry.add_vendor(vendor.state, vendor.position);
    }
    for (email, account) in opened.recovered.emails {
        registry.load_email(email, account);
    }
    registry
}

/// A node's actors alone, on `store` and `shards`: the same recovery and the same registry
/// as [`start_with`], without keys, HTTP, or threads of its own. The deterministic simulation
/// (`tests/simulation.rs`) runs them on its own thread ([`Shards::on_current_arbiter`]) and
/// runs the feed's catch-up passes itself ([`Feed::catch_up_pass`]), which the node leaves to
/// a thread. Must run inside the actix `System` that `shards` belong to.
///
/// # Errors
/// `NodeError::Recovery` when the store cannot be recovered.
pub fn start_actors_in_memory(
    config: &Config,
    clock: Arc<dyn Clock>,
    shards: Arc<Shards>,
    store: Arc<MemoryStore>,
) -> Result<Arc<Registry>, NodeError> {
    let opened = open_storage(config, Storage::Memory(store))?;
    Ok(start_registry(config, shards, opened, clock))
}

/// Serves `listeners` on a separate runtime of `threads` threads, when configured.
fn start_http_runtime(
    app: &Arc<App>,
    listeners: Vec<std::net::TcpListener>,
    serving: &Serving,
    threads: usize,
) -> Result<Option<tokio::runtime::Runtime>, NodeError> {
    if listeners.is_empty() {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("farthing-http")
        .enable_all()
        .build()
        .map_err(|source| NodeError::Io {
            what: "starting the HTTP runtime",
            source,
        })?;
    let connections = server::Connections::new(&app.config.server);
    for listener in listeners {
        let (app, connections, serving) = (app.clone(), connections.clone(), serving.clone());
        runtime.spawn(async move {
            server::serve(listener, app, connections, serving.stop).await;
            let _ = serving.served.send(());
        });
    }
    Ok(Some(runtime))
}

/// Storage opened and recovered, before the actors start.
struct Opened {
    journal: Arc<dyn Journal>,
    snapshots: Arc<dyn SnapshotStore>,
    threads: Option<StorageThreads>,
    /// The fjall store, for backups (none in memory).
    store: Option<FjallStore>,
    feed: Arc<Feed>,
    recovered: recovery::Recovered,
}

/// The snapshot store the feed is built with before the journal (and its snapshot writer)
/// starts: saves are refused until it is connected, which is harmless (a checkpoint is only
/// ever a shortcut for recovery).
#[derive(Clone, Default)]
struct PendingSnapshots {
    inner: Arc<OnceLock<Arc<dyn SnapshotStore>>>,
}

impl PendingSnapshots {
    fn handle(&self) -> Arc<dyn SnapshotStore> {
        Arc::new(self.clone())
    }

    fn connect(&self, store: Arc<dyn SnapshotStore>) {
        let _ = self.inner.set(store);
    }

    fn store(&self) -> Result<&Arc<dyn SnapshotStore>, StorageError> {
        self.inner.get().ok_or(StorageError::Stopped)
    }
}

impl SnapshotStore for PendingSnapshots {
    fn save(&self, rows: crate::storage::port::SnapshotRows) -> Result<(), StorageError> {
        self.store()?.save(rows)
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.store()?.get(key)
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<crate::storage::port::Rows, StorageError> {
        self.store()?.scan_prefix(prefix)
    }
    fn flush(&self) -> Result<(), StorageError> {
        self.store()?.flush()
    }
}

impl Node {
    /// Resolves when the journal is poisoned (a persist failed): the server must exit.
    pub fn poisoned(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        crate::storage::port::wait_poisoned(self.app.registry.env().journal.poison_watch())
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period), stops the
    /// actors, then drains and persists the journal.
    ///
    /// # Errors
    /// `NodeError::Storage` when the last persist fails (or failed before).
    pub fn shutdown(self) -> Result<(), NodeError> {
        self.app.ready.store(false, Ordering::Release);
        let _ = self.stop.send(true);
        if let Some(backup) = self.backup {
            backup.stop();
        }
        let grace = Duration::from_millis(self.app.config.server.shutdown_grace_ms)
            .saturating_add(Duration::from_secs(1));
        for _ in 0..self.listeners {
            if self.served.lock().recv_timeout(grace).is_err() {
                break;
            }
        }
        if let Some(runtime) = self.http_runtime {
            runtime.shutdown_timeout(grace);
        }
        if let Some(thread) = self.metrics_thread {
            let _ = thread.join();
        }
        self.shards.stop();
        self.system.stop();
        let _ = self.system_thread.join();
        self.app.registry.feed().stop();
        let _ = self.catch_up_thread.join();
        if let Some(threads) = self.storage_threads {
            threads.shutdown()?;
        }
        Ok(())
    }
}
