//! A running farthing node: opens the store, recovers, starts the shards, the actors and the
//! HTTP server, and stops them in order. `main` and the integration tests both start nodes
//! through here, so the tests run exactly what production runs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use crate::actors::account::AccountEnv;
use crate::actors::registry::{Registry, RegistryLimits};
use crate::actors::shards::Shards;
use crate::actors::totals::Totals;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::KeyFileError;
use crate::crypto::boot::BootEpoch;
use crate::crypto::secret::{self, PseudonymKey};
use crate::crypto::token::TokenKeys;
use crate::domain::account::AccountPolicy;
use crate::domain::event::Event;
use crate::domain::ids::VendorId;
use crate::domain::offer::OfferBook;
use crate::http::app::{App, IdempotencyCache};
use crate::http::server;
use crate::storage::codec;
use crate::storage::recovery::{self, RecoveryError};
use crate::storage::store::StorageError;
use crate::storage::wal::{Durability, DurableEvent, Journal, JournalConfig, JournalThread};

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
    /// The boot epoch file could not be read or advanced; access tokens would not be tied
    /// to this run, so the node does not start.
    #[error("boot epoch: {0}")]
    BootEpoch(#[source] KeyFileError),
    /// The store.
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
    stop: watch::Sender<bool>,
    served: parking_lot::Mutex<std::sync::mpsc::Receiver<()>>,
    listeners: usize,
    shards: Arc<Shards>,
    system: actix_rt::System,
    system_thread: std::thread::JoinHandle<()>,
    journal_thread: JournalThread,
    http_runtime: Option<tokio::runtime::Runtime>,
}

/// Starts a node with `config`, reading time from `clock` and persisting with `durability`.
///
/// # Errors
/// `NodeError` naming what failed.
pub fn start(
    config: Config,
    clock: Arc<dyn Clock>,
    durability: Box<dyn Durability>,
) -> Result<Node, NodeError> {
    let metrics = crate::metrics::install().map_err(NodeError::Metrics)?;
    if !crate::crypto::token::POLY1305_FORCE_SOFT {
        // RUSTFLAGS in the environment replaces .cargo/config.toml's flags; tokens still work
        // but every open costs about five times as much.
        tracing::warn!("built without --cfg poly1305_force_soft: token checks are ~5x slower");
    }
    let data_dir = config.server.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(|source| NodeError::Io {
        what: "creating the data directory",
        source,
    })?;
    let tokens =
        TokenKeys::load_or_create(&data_dir).map_err(|e| NodeError::Keys(e.to_string()))?;
    let pseudonyms =
        PseudonymKey::load_or_create(&data_dir).map_err(|e| NodeError::Keys(e.to_string()))?;
    let admin_key_path = config.admin_key_path();
    let admin_key = secret::load_or_create_admin_key(&admin_key_path, &mut rand::rngs::OsRng)
        .map_err(|e| NodeError::Keys(e.to_string()))?;
    tracing::info!(path = %admin_key_path.display(), "admin key");

    let registry_slot: Arc<OnceLock<Arc<Registry>>> = Arc::new(OnceLock::new());
    let sink_registry = registry_slot.clone();
    let sink = Box::new(move |events: &[DurableEvent<'_>]| {
        let Some(registry) = sink_registry.get() else {
            return;
        };
        for durable in events {
            match codec::decode_event(durable.payload) {
                Ok(event @ (Event::Authorized(_) | Event::Reversed { .. })) => {
                    registry.deliver_sale(durable.seq, event)
                }
                Ok(_) => {}
                // We encoded it a moment ago; failing to decode it is a bug.
                Err(error) => panic!("journaled event {} does not decode: {error}", durable.seq),
            }
        }
    });
    let journal_config = JournalConfig {
        batch_events_max: config.journal.batch_events_max,
        queue_entries_max: config.journal.queue_entries_max,
    };
    let (journal, store, journal_thread) =
        Journal::open(&store_dir(&data_dir), journal_config, durability, sink)?;
    // After the journal is open (so a second node on the same directory has already been
    // refused) and before anything can mint an access token.
    let boot_epoch = BootEpoch::advance(&data_dir).map_err(NodeError::BootEpoch)?;
    tracing::info!(boot_epoch, "boot epoch");

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
    let runtime_stop = stop_rx.clone();
    let runtime_served = served_tx.clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let system_thread = std::thread::Builder::new()
        .name("farthing-system".to_owned())
        .spawn(move || {
            let runner = actix_rt::System::new();
            let result = runner.block_on(async move {
                let shards = Arc::new(Shards::start(shard_count));
                let env = AccountEnv {
                    journal,
                    clock: clock.clone(),
                    policy: AccountPolicy {
                        sessions_per_login_max: config.actors.sessions_per_login_max,
                        idempotency_retention_ms: config.idempotency.retention_ms,
                    },
                    totals: Arc::new(Totals::default()),
                };
                let limits = RegistryLimits {
                    mailbox_messages_max: config.actors.mailbox_messages_max,
                    accounts_in_memory_max: config.actors.accounts_in_memory_max,
                    vendor_checkpoint_interval_ms: config.actors.vendor_checkpoint_interval_ms,
                    offers_expired_kept_ms: config.offers.expired_kept_ms,
                };
                recovery::check_format(&store)?;
                let registry = Arc::new(Registry::new(shards.clone(), store.clone(), env, limits));
                let mut books: BTreeMap<VendorId, OfferBook> = BTreeMap::new();
                for (offer, used) in recovery::load_offers(&store)? {
                    let book = books.entry(offer.vendor).or_default();
                    let id = offer.id;
                    book.insert(offer);
                    if used {
                        book.mark_used(id);
                    }
                }
                for vendor in recovery::load_vendors(&store)? {
                    let book = books.remove(&vendor.profile.id).unwrap_or_default();
                    registry.add_vendor(vendor, book);
                }
                for (email, account) in recovery::load_emails(&store)? {
                    registry.load_email(email, account);
                }
                recovery::load_totals(&store, &registry.env().totals)?;
                let _ = registry_slot.set(registry.clone());
                let app = Arc::new(App {
                    registry,
                    tokens,
                    pseudonyms,
                    admin_key,
                    idempotency: IdempotencyCache::new(
                        config.idempotency.keys_max,
                        config.idempotency.retention_ms,
                    ),
                    config,
                    clock,
                    metrics,
                    public_url,
                    payments: Arc::new(crate::payments::TestProcessor),
                    ready: std::sync::atomic::AtomicBool::new(false),
                    boot_epoch,
                });
                let connections = Arc::new(Semaphore::new(app.config.server.connections_max));
                for (listener, shard) in shard_listeners.into_iter().zip(shards.handles()) {
                    let app = app.clone();
                    let connections = connections.clone();
                    let stop = stop_rx.clone();
                    let served = served_tx.clone();
                    shard.spawn(async move {
                        server::serve(listener, app, connections, stop).await;
                        let _ = served.send(());
                    });
                }
                app.ready.store(true, Ordering::Release);
                Ok::<_, RecoveryError>((app, shards, actix_rt::System::current()))
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
    let (app, shards, system) = match started_rx.recv() {
        Ok(Ok(started)) => started,
        Ok(Err(error)) => {
            let _ = system_thread.join();
            return Err(error.into());
        }
        Err(_) => {
            return Err(NodeError::System(
                "the actor system thread stopped while starting".to_owned(),
            ));
        }
    };
    let http_runtime = if runtime_listeners.is_empty() {
        None
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(http_threads)
            .thread_name("farthing-http")
            .enable_all()
            .build()
            .map_err(|source| NodeError::Io {
                what: "starting the HTTP runtime",
                source,
            })?;
        let connections = Arc::new(Semaphore::new(app.config.server.connections_max));
        for listener in runtime_listeners {
            let (app, connections, stop, served) = (
                app.clone(),
                connections.clone(),
                runtime_stop.clone(),
                runtime_served.clone(),
            );
            runtime.spawn(async move {
                server::serve(listener, app, connections, stop).await;
                let _ = served.send(());
            });
        }
        Some(runtime)
    };
    tracing::info!(%address, shards = shard_count, http_threads, "farthing is serving");
    Ok(Node {
        address,
        app,
        stop,
        served: parking_lot::Mutex::new(served),
        listeners: listener_count,
        shards,
        system,
        system_thread,
        journal_thread,
        http_runtime,
    })
}

impl Node {
    /// The journal handle, to watch for a failed persist.
    #[must_use]
    pub fn journal(&self) -> Journal {
        self.app.registry.env().journal.clone()
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period), stops the
    /// actors, then drains and persists the journal.
    ///
    /// # Errors
    /// `NodeError::Storage` when the last persist fails (or failed before).
    pub fn shutdown(self) -> Result<(), NodeError> {
        self.app.ready.store(false, Ordering::Release);
        let _ = self.stop.send(true);
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
        self.shards.stop();
        self.system.stop();
        let _ = self.system_thread.join();
        self.journal_thread.shutdown()?;
        Ok(())
    }
}
