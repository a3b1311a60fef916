//! The `farthing` command: `serve` runs the node, `check` verifies a data directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use farthing::clock::SystemClock;
use farthing::config::Config;
use farthing::crypto::token::TokenKeys;
use farthing::node;
use farthing::storage::fjall_store::{FjallStore, SyncData};
use farthing::storage::recovery;

/// glibc's malloc showed as about a fifth of the server's CPU under load (arena locking and
/// consolidation across the shard and journal threads); mimalloc's thread-local heaps remove
/// most of it. Measured before and after in the README.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The configuration used when `--config` is not given and `config/farthing.toml` is absent.
const DEFAULT_CONFIG: &str = include_str!("../config/farthing.toml");
/// Where `serve` looks for its configuration by default.
const DEFAULT_CONFIG_PATH: &str = "config/farthing.toml";

#[derive(Parser)]
#[command(name = "farthing", version, about = "Micropayment authorization core")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the server until SIGINT or SIGTERM.
    Serve {
        /// Configuration file (default: config/farthing.toml, else the built-in defaults).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen address, overriding the configuration.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Data directory, overriding the configuration.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Replays the journal through the domain and compares with the stored rows.
    Check {
        /// Data directory to check (the server must not be running on it).
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Copies the data directory to DEST consistently, while the server runs (it takes the
    /// copy: the CLI asks it on `DIR/backup.sock`) or not. A node started on DEST has the
    /// same accounts, purchases and totals. DEST must not exist or be empty.
    Backup {
        /// The data directory to back up.
        #[arg(long)]
        data_dir: PathBuf,
        /// Where to write the copy (a new or empty directory).
        #[arg(long)]
        to: PathBuf,
    },
    /// Adds a new token sealing key; older keys still open tokens until retired. A running
    /// server picks it up at its next start.
    RotateKeys {
        /// Data directory holding `token.keys`.
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Removes token keys older than `keep_from` (run it once the longest token lifetime has
    /// passed since the rotation). The newest key is always kept.
    RetireKeys {
        /// Data directory holding `token.keys`.
        #[arg(long)]
        data_dir: PathBuf,
        /// The oldest key id to keep.
        #[arg(long)]
        keep_from: u32,
    },
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => Ok(Config::load(path)?),
        None if Path::new(DEFAULT_CONFIG_PATH).exists() => {
            Ok(Config::load(Path::new(DEFAULT_CONFIG_PATH))?)
        }
        None => Ok(Config::from_toml(DEFAULT_CONFIG, std::env::vars())?),
    }
}

fn serve(
    config: Option<PathBuf>,
    listen: Option<std::net::SocketAddr>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let mut config = load_config(config.as_deref())?;
    let _log_writer =
        farthing::logging::init_off_thread(&config.log).map_err(anyhow::Error::msg)?;
    if let Some(listen) = listen {
        config.server.listen = listen;
    }
    if let Some(data_dir) = data_dir {
        config.server.data_dir = data_dir;
    }
    let node = node::start(config, Arc::new(SystemClock), Box::new(SyncData))
        .context("starting farthing")?;
    println!("farthing listening on http://{}", node.address);
    let poisoned = node.poisoned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let poisoned = runtime.block_on(async {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => Ok::<bool, std::io::Error>(false),
            _ = terminate.recv() => Ok(false),
            () = poisoned => Ok(true),
        }
    })?;
    if poisoned {
        tracing::error!(
            "a journal persist failed: refusing writes and exiting; restart to recover from the journal"
        );
    }
    let stopped = node.shutdown();
    if poisoned {
        return Ok(ExitCode::from(2));
    }
    stopped.context("stopping farthing")?;
    Ok(ExitCode::SUCCESS)
}

fn check(data_dir: &Path) -> anyhow::Result<ExitCode> {
    let store = FjallStore::open(&node::store_dir(data_dir)).context("opening the store")?;
    let (journal, snapshots) = store.reader()?;
    let report = recovery::check(&journal, &snapshots)?;
    println!("events replayed: {}", report.events);
    println!(
        "accounts: {}, vendors: {}, snapshots compared: {}, outdated (rebuilt on load): {}",
        report.accounts, report.vendors, report.snapshots, report.outdated
    );
    for (currency, line) in &report.money {
        let (members, payees) = (&line.members, &line.payees);
        println!(
            "{currency}: deposits {} - returned {} - cash-outs {} - payouts {} = balances {} - \
             debts {} + vendors unsettled {} + rights holders unsettled {} + MSP equity {} \
             (micro-units; vendor gross {}, fees {}, commissions {}, royalties {})",
            members.deposits.micros(),
            members.returned.micros(),
            members.cash_outs.micros(),
            payees
                .payouts()
                .map_or(-1, |paid| i128::try_from(paid.micros()).unwrap_or(-1)),
            members.balances.micros(),
            members.debts.micros(),
            payees.vendors_unsettled().map_or(0, |net| net.micros()),
            payees
                .rights_holders_unsettled()
                .map_or(0, |net| net.micros()),
            members.msp_equity(payees).map_or(0, |net| net.micros()),
            payees.gross.micros(),
            payees.fees.micros(),
            payees.commissions.micros(),
            payees.royalties.micros(),
        );
    }
    println!("money conserved: {}", report.conserved);
    for mismatch in &report.mismatches {
        println!("mismatch: {mismatch}");
    }
    if report.mismatch_count > report.mismatches.len() {
        println!(
            "... and {} more mismatches",
            report.mismatch_count - report.mismatches.len()
        );
    }
    if report.ok() {
        println!(
            "check passed: the snapshots, the checkpoint and recovery are what the events say"
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("check FAILED");
        Ok(ExitCode::from(1))
    }
}

fn backup(data_dir: &Path, to: &Path) -> anyhow::Result<ExitCode> {
    // The copy holds e-mails, password hashes and keys: private like the data directory.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let copied = farthing::backup::backup(data_dir, to).context("backing up")?;
    println!(
        "backup written to {}: {} events, up to event {}",
        to.display(),
        copied.events,
        copied.seq
    );
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `serve` logs as its configuration says, once it has read it; the other commands read
    // none and log with the defaults.
    if !matches!(cli.command, Command::Serve { .. })
        && let Err(error) = farthing::logging::init(&farthing::logging::default_config())
    {
        eprintln!("farthing: {error}");
    }
    let result = match cli.command {
        Command::Serve {
            config,
            listen,
            data_dir,
        } => serve(config, listen, data_dir),
        Command::Check { data_dir } => check(&data_dir),
        Command::Backup { data_dir, to } => backup(&data_dir, &to),
        Command::RotateKeys { data_dir } => TokenKeys::rotate(&data_dir, &mut rand::rngs::OsRng)
            .map(|keys| {
                println!(
                    "sealing with key {} from the next start",
                    keys.sealing_key_id()
                );
                ExitCode::SUCCESS
            })
            .map_err(Into::into),
        Command::RetireKeys {
            data_dir,
            keep_from,
        } => TokenKeys::retire_before(&data_dir, keep_from)
            .map(|keys| {
                println!(
                    "kept keys from {keep_from}; sealing with key {}",
                    keys.sealing_key_id()
                );
                ExitCode::SUCCESS
            })
            .map_err(Into::into),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("farthing: {error:#}");
            ExitCode::from(1)
        }
    }
}
