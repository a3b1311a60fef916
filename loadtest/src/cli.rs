//! Command line: raw clap arguments, then a validated `RunPlan` with every value bounded.
//!
//! Scripts rely on the flag names; change them only together with the scripts.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::mix::Mix;
use crate::money;

/// Longest measured run: keeps every loop bounded in time.
pub const DURATION_MAX: Duration = Duration::from_secs(600);
/// Longest warmup.
pub const WARMUP_MAX: Duration = Duration::from_secs(60);
/// Most keep-alive connections the generator opens.
pub const CONNECTIONS_MAX: u32 = 4096;
/// Most runtime worker threads.
pub const THREADS_MAX: u32 = 64;
/// Highest fixed rate, in requests per second.
pub const RATE_RPS_MAX: u64 = 1_000_000;
/// Most members seeded (each holds one buyer token per vendor in memory).
pub const MEMBERS_MAX: u64 = 2_000_000;
/// Most vendors created.
pub const VENDORS_MAX: u64 = 1_000;
/// Most buyer tokens held in memory (members x vendors).
pub const BUYER_TOKENS_MAX: u64 = 10_000_000;
/// Most items in one `--batch` request: the server's own limit for `POST /v1/authorize/batch`.
pub const BATCH_ITEMS_MAX: u32 = 1_000;
/// The request mix when `--mix` is not given and `--batch` is not either.
pub const MIX_DEFAULT: &str = "authorize=60,owned=20,access=20";

/// farthing load harness.
#[derive(Parser, Debug)]
#[command(name = "farthing-loadtest", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Seed a farthing server, drive it at a rate, and write a JSON report.
    Run(Box<RunArgs>),
    /// Serve a canned authorize reply (one per item to a batch): the HTTP ceiling of this
    /// machine.
    NullServer(NullServerArgs),
    /// Time a bare append + fdatasync in a directory: the floor under a durable reply.
    FsyncProbe(FsyncProbeArgs),
    /// Keep cores busy part of the time, to measure the floors under the same CPU load.
    CpuLoad(CpuLoadArgs),
    /// Run a real server under load, SIGKILL it at random moments, restart it on the same data
    /// directory, and check that every acknowledged change survived.
    Chaos(Box<ChaosArgs>),
}

/// Arguments of `run`, as typed.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Base URL of the server; must be loopback (127.0.0.0/8, ::1 or localhost).
    #[arg(long)]
    pub target: String,
    /// Target is a null server: skip setup and the totals check.
    #[arg(long)]
    pub null: bool,
    /// File holding the admin bearer key (trimmed).
    #[arg(long, required_unless_present = "null")]
    pub admin_key_file: Option<PathBuf>,
    /// Members to seed.
    #[arg(long, required_unless_present = "null")]
    pub members: Option<u64>,
    /// Vendors to create.
    #[arg(long, required_unless_present = "null")]
    pub vendors: Option<u64>,
    /// Requests per second (open loop), or `max` (closed loop). With `--batch` a request is
    /// one batch, so the rate counts batches, not items.
    #[arg(long, value_parser = parse_rate)]
    pub rate: Rate,
    /// Measured duration, e.g. `30s`, `500ms`, `2m`; at most 10m.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Duration,
    /// Path of the JSON report to write.
    #[arg(long)]
    pub report: PathBuf,
    /// Request mix by weight [default: authorize=60,owned=20,access=20]. With `--batch` the
    /// mix is authorize-only, and a `--mix` with `owned` or `access` above 0 is refused.
    #[arg(long, value_parser = parse_mix)]
    pub mix: Option<Mix>,
    /// Send authorize-only batches of N items (1..=1000) to `POST /v1/authorize/batch`
    /// instead of single requests. Every item is a new purchase, for another member than the
    /// item before it when more than one is seeded; `--rate` counts batches and latency is per
    /// batch. Only new purchases are batched: a `--mix` other than authorize-only is refused.
    #[arg(long, value_name = "N")]
    pub batch: Option<u32>,
    /// Keep-alive HTTP/1.1 connections.
    #[arg(long, default_value_t = 64)]
    pub connections: u32,
    /// Runtime worker threads of the generator.
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// Price of each authorize, a decimal string.
    #[arg(long, default_value = "0.01")]
    pub price: String,
    /// ISO 4217 currency of vendors, deposits and prices.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Deposit funded into each member, a decimal string.
    #[arg(long, default_value = "1000")]
    pub deposit: String,
    /// Seed of the request generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Warmup before the measured duration; excluded from the statistics.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Send a unique `Idempotency-Key` with each authorize (with `--batch`, with each batch).
    #[arg(long)]
    pub idempotency: bool,
    /// MSP fee of each created vendor, in parts per million.
    #[arg(long, default_value_t = 50_000)]
    pub fee_ppm: u32,
}

/// Arguments of `null-server`.
#[derive(Args, Debug, Clone)]
pub struct NullServerArgs {
    /// Address to listen on; must be loopback.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: String,
    /// Runtime worker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: u32,
    /// Serve for this long, then exit; at most 10m.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub duration: Duration,
}

/// Arguments of `fsync-probe`.
#[derive(Args, Debug, Clone)]
pub struct FsyncProbeArgs {
    /// Directory to probe (a new file is created in it and removed afterwards); use the
    /// server's data directory to measure its disk.
    #[arg(long)]
    pub dir: PathBuf,
    /// How long to probe; at most 10m.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Bytes appended before each fdatasync.
    #[arg(long, default_value_t = 4096)]
    pub bytes: usize,
    /// Sleep between steps; at most 1s. A server at low load calls fdatasync after an idle
    /// gap, which costs more on a VM than back-to-back calls (`--pause 5ms` at 200 rps).
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub pause: Duration,
    /// Path of a JSON report to write, if any.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// Arguments of `cpu-load`.
#[derive(Args, Debug, Clone, Copy)]
pub struct CpuLoadArgs {
    /// Threads that spin.
    #[arg(long, default_value_t = 2)]
    pub threads: u32,
    /// Percent of every 10 ms that each thread spins; it sleeps the rest.
    #[arg(long)]
    pub duty: u32,
    /// How long to run; at most 10m.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Duration,
}

/// Most chaos cycles in one run.
pub const CHAOS_CYCLES_MAX: u32 = 10_000;
/// Most members a chaos run seeds (each is read back after every cycle).
pub const CHAOS_MEMBERS_MAX: u64 = 10_000;
/// Most vendors a chaos run creates.
pub const CHAOS_VENDORS_MAX: u64 = 100;
/// Most connections of the chaos load.
pub const CHAOS_CONNECTIONS_MAX: u32 = 256;
/// Latest kill after a cycle's load starts: keeps every cycle bounded in time.
pub const CHAOS_KILL_AFTER_MAX: Duration = Duration::from_secs(60);

/// Arguments of `chaos`, as typed.
#[derive(Args, Debug, Clone)]
pub struct ChaosArgs {
    /// Kill-and-restart cycles to run (1..=10000).
    #[arg(long)]
    pub cycles: u32,
    /// The `farthing` server binary to run.
    #[arg(long)]
    pub farthing: PathBuf,
    /// Seed of the kill moments and the load [default: from the clock]; printed at start, so
    /// a run replays with `--seed`.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Data directory of the server [default: a new directory under the system's temporary
    /// directory, removed after a run that found nothing].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Configuration file passed to `farthing serve --config` [default: the server's own].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Members to seed (1..=10000).
    #[arg(long, default_value_t = 64)]
    pub members: u64,
    /// Vendors to create (1..=100).
    #[arg(long, default_value_t = 4)]
    pub vendors: u64,
    /// Keep-alive connections of the load, each a closed loop (1..=256).
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    /// Earliest kill after a cycle's load starts, e.g. `200ms`.
    #[arg(long, default_value = "200ms", value_parser = parse_duration)]
    pub kill_after_min: Duration,
    /// Latest kill after a cycle's load starts, e.g. `1500ms`; at most 60s.
    #[arg(long, default_value = "1500ms", value_parser = parse_duration)]
    pub kill_after_max: Duration,
    /// Every N cycles (and on the last) run `farthing check` on the data directory as the kill
    /// left it, and again after stopping the verified server gracefully.
    #[arg(long, default_value_t = 1)]
    pub check_every: u32,
    /// Path of a JSON report to write, if any.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

/// The send rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// Open loop: this many requests per second on a fixed schedule.
    Fixed(u64),
    /// Closed loop: each connection sends its next request when the last one returns.
    Max,
}

/// Parses `--rate`: a positive integer or `max`.
///
/// # Errors
/// Anything else, or a rate above `RATE_RPS_MAX`.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    if text == "max" {
        return Ok(Rate::Max);
    }
    let rate: u64 = text
        .parse()
        .map_err(|_| format!("rate {text:?} is neither a positive integer nor `max`"))?;
    if rate == 0 || rate > RATE_RPS_MAX {
        return Err(format!("rate {rate} is outside 1..={RATE_RPS_MAX}"));
    }
    Ok(Rate::Fixed(rate))
}

/// Parses a duration: an integer with unit `ms`, `s` or `m`; a bare integer is seconds.
///
/// # Errors
/// Any other text, or a value above an hour (callers bound it further).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (digits, millis_per_unit) = if let Some(digits) = text.strip_suffix("ms") {
        (digits, 1_u64)
    } else if let Some(digits) = text.strip_suffix('s') {
        (digits, 1_000)
    } else if let Some(digits) = text.strip_suffix('m') {
        (digits, 60_000)
    } else {
        (text, 1_000)
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("duration {text:?} is not like 500ms, 30s or 2m"))?;
    let millis = value
        .checked_mul(millis_per_unit)
        .filter(|millis| *millis <= 3_600_000)
        .ok_or_else(|| format!("duration {text:?} is above an hour"))?;
    Ok(Duration::from_millis(millis))
}

/// Parses `--mix`.
///
/// # Errors
/// See `Mix::parse`.
pub fn parse_mix(text: &str) -> Result<Mix, String> {
    Mix::parse(text).map_err(|error| error.to_string())
}

/// A validated `run`: every value within its bound, amounts checked.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Target base URL as given.
    pub target_url: String,
    /// Null-server run.
    pub null: bool,
    /// Admin key file; `None` only for null runs.
    pub admin_key_file: Option<PathBuf>,
    /// Members to seed (1 for null runs).
    pub members: u64,
    /// Vendors to create (1 for null runs).
    pub vendors: u64,
    /// Send rate.
    pub rate: Rate,
    /// Measured duration.
    pub duration: Duration,
    /// Warmup before it.
    pub warmup: Duration,
    /// Request mix (authorize only for null and batch runs).
    pub mix: Mix,
    /// Items per `POST /v1/authorize/batch` request; `None` sends single requests.
    pub batch_items: Option<u32>,
    /// Connections.
    pub connections: u32,
    /// Generator threads.
    pub threads: u32,
    /// Price as sent.
    pub price: String,
    /// Price in micro-units, to check `charged`.
    pub price_micros: i128,
    /// Currency code.
    pub currency: String,
    /// Deposit as sent.
    pub deposit: String,
    /// Generator seed.
    pub seed: u64,
    /// Send idempotency keys.
    pub idempotency: bool,
    /// Vendor fee in ppm.
    pub fee_ppm: u32,
}

/// Checks a `--duration`: above zero and at most `DURATION_MAX`, so every loop is bounded.
///
/// # Errors
/// A duration outside that range.
pub fn check_duration(duration: Duration) -> Result<()> {
    if duration.is_zero() || duration > DURATION_MAX {
        bail!(
            "--duration must be above 0 and at most {}s",
            DURATION_MAX.as_secs()
        );
    }
    Ok(())
}

/// Checks a `--threads`: 1 to `THREADS_MAX`.
///
/// # Errors
/// A count outside that range.
pub fn check_threads(threads: u32) -> Result<()> {
    if threads == 0 || threads > THREADS_MAX {
        bail!("--threads must be in 1..={THREADS_MAX}");
    }
    Ok(())
}

impl RunPlan {
    /// What setup seeds for this run.
    pub fn seed_plan(&self) -> crate::setup::SeedPlan<'_> {
        crate::setup::SeedPlan {
            members: self.members,
            vendors: self.vendors,
            currency: &self.currency,
            deposit: &self.deposit,
            fee_ppm: self.fee_ppm,
        }
    }

    /// Validates raw arguments.
    ///
    /// # Errors
    /// A value outside its bound, a bad amount or currency, or a missing required value.
    pub fn from_args(args: &RunArgs) -> Result<RunPlan> {
        check_duration(args.duration)?;
        if args.warmup > WARMUP_MAX {
            bail!("--warmup must be at most {}s", WARMUP_MAX.as_secs());
        }
        if args.connections == 0 || args.connections > CONNECTIONS_MAX {
            bail!("--connections must be in 1..={CONNECTIONS_MAX}");
        }
        check_threads(args.threads)?;
        let price_micros = money::parse_micros(&args.price)?;
        if price_micros <= 0 {
            bail!("--price must be positive");
        }
        if money::parse_micros(&args.deposit)? <= 0 {
            bail!("--deposit must be positive");
        }
        if args.currency.len() != 3 || !args.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            bail!("--currency must be a three-letter ISO 4217 code like USD");
        }
        if args.fee_ppm > 1_000_000 {
            bail!("--fee-ppm must be at most 1000000");
        }
        let mix = match (&args.mix, args.batch) {
            (Some(mix), Some(_)) if !mix.is_authorize_only() => bail!(
                "--batch sends new purchases only: --mix must be authorize-only (like \
                 authorize=1) or left out"
            ),
            (_, Some(_)) => Mix::authorize_only(),
            (Some(mix), None) => mix.clone(),
            (None, None) => Mix::parse(MIX_DEFAULT)?,
        };
        if let Some(items) = args.batch {
            if items == 0 || items > BATCH_ITEMS_MAX {
                bail!("--batch must be in 1..={BATCH_ITEMS_MAX}");
            }
        }
        let (members, vendors, mix) = if args.null {
            (1, 1, Mix::authorize_only())
        } else {
            let (Some(members), Some(vendors)) = (args.members, args.vendors) else {
                bail!("--members and --vendors are required unless --null");
            };
            if args.admin_key_file.is_none() {
                bail!("--admin-key-file is required unless --null");
            }
            if members == 0 || members > MEMBERS_MAX {
                bail!("--members must be in 1..={MEMBERS_MAX}");
            }
            if vendors == 0 || vendors > VENDORS_MAX {
                bail!("--vendors must be in 1..={VENDORS_MAX}");
            }
            if members.saturating_mul(vendors) > BUYER_TOKENS_MAX {
                bail!("--members x --vendors must be at most {BUYER_TOKENS_MAX} buyer tokens");
            }
            (members, vendors, mix)
        };
        Ok(RunPlan {
            target_url: args.target.clone(),
            null: args.null,
            admin_key_file: if args.null {
                None
            } else {
                args.admin_key_file.clone()
            },
            members,
            vendors,
            rate: args.rate,
            duration: args.duration,
            warmup: args.warmup,
            mix,
            batch_items: args.batch,
            connections: args.connections,
            threads: args.threads,
            price: args.price.clone(),
            price_micros,
            currency: args.currency.clone(),
            deposit: args.deposit.clone(),
            seed: args.seed,
            idempotency: args.idempotency,
            fee_ppm: args.fee_ppm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(extra: &[&str]) -> Result<RunArgs> {
        let mut argv = vec![
            "farthing-loadtest",
            "run",
            "--target",
            "http://127.0.0.1:8080",
        ];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv)?.command {
            Command::Run(args) => Ok(*args),
            _ => bail!("parsed the wrong subcommand"),
        }
    }

    #[test]
    fn parses_the_floor_subcommands() -> Result<()> {
        let argv = ["farthing-loadtest", "fsync-probe", "--dir", "data"];
        let Command::FsyncProbe(probe) = Cli::try_parse_from(argv)?.command else {
            bail!("parsed the wrong subcommand");
        };
        assert_eq!(probe.dir, PathBuf::from("data"));
        assert_eq!(probe.duration, Duration::from_secs(20));
        assert_eq!(probe.bytes, 4096);
        assert_eq!(probe.pause, Duration::ZERO);
        assert!(probe.report.is_none());
        let argv = [
            "farthing-loadtest",
            "fsync-probe",
            "--dir",
            "data",
            "--pause",
            "5ms",
        ];
        let Command::FsyncProbe(probe) = Cli::try_parse_from(argv)?.command else {
            bail!("parsed the wrong subcommand");
        };
        assert_eq!(probe.pause, Duration::from_millis(5));

        let argv = [
            "farthing-loadtest",
            "cpu-load",
            "--duty",
            "70",
            "--duration",
            "25s",
        ];
        let Command::CpuLoad(load) = Cli::try_parse_from(argv)?.command else {
            bail!("parsed the wrong subcommand");
        };
        assert_eq!((load.threads, load.duty), (2, 70));
        assert_eq!(load.duration, Duration::from_secs(25));
        // The duty has no default: a load run says how busy it keeps the cores.
        assert!(
            Cli::try_parse_from(["farthing-loadtest", "cpu-load", "--duration", "1s"]).is_err()
        );
        Ok(())
    }

    #[test]
    fn parses_the_documented_command_line() {
        let args = run_args(&[
            "--admin-key-file",
            "data/admin.key",
            "--members",
            "1000",
            "--vendors",
            "10",
            "--rate",
            "2000",
            "--duration",
            "30s",
            "--report",
            "report.json",
            "--mix",
            "authorize=60,owned=20,access=20",
            "--connections",
            "64",
            "--threads",
            "1",
            "--price",
            "0.01",
            "--currency",
            "USD",
            "--deposit",
            "1000",
            "--seed",
            "1",
            "--warmup",
            "2s",
        ])
        .unwrap();
        let plan = RunPlan::from_args(&args).unwrap();
        assert_eq!(plan.rate, Rate::Fixed(2000));
        assert_eq!(plan.duration, Duration::from_secs(30));
        assert_eq!(plan.members, 1000);
        assert_eq!(plan.price_micros, 10_000);
    }

    #[test]
    fn null_runs_need_no_setup_flags() {
        let args = run_args(&[
            "--null",
            "--rate",
            "max",
            "--duration",
            "10s",
            "--report",
            "r.json",
        ])
        .unwrap();
        let plan = RunPlan::from_args(&args).unwrap();
        assert_eq!(plan.rate, Rate::Max);
        assert_eq!(plan.mix, Mix::authorize_only());
        assert!(run_args(&["--rate", "max", "--duration", "10s", "--report", "r.json"]).is_err());
    }

    #[test]
    fn batch_is_bounded_and_authorize_only() {
        let base = [
            "--admin-key-file",
            "k",
            "--members",
            "10",
            "--vendors",
            "2",
            "--rate",
            "10",
            "--duration",
            "1s",
            "--report",
            "r.json",
        ];
        let with = |extra: &[&str]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            run_args(&all).and_then(|args| RunPlan::from_args(&args))
        };

        let single = with(&[]).unwrap();
        assert_eq!(single.batch_items, None);
        assert_eq!(single.mix, Mix::parse(MIX_DEFAULT).unwrap());
        let batch = with(&["--batch", "100"]).unwrap();
        assert_eq!(batch.batch_items, Some(100));
        assert_eq!(batch.mix, Mix::authorize_only());
        assert_eq!(with(&["--batch", "1"]).unwrap().batch_items, Some(1));
        assert_eq!(with(&["--batch", "1000"]).unwrap().batch_items, Some(1000));

        // One step outside the bounds on either side.
        assert!(with(&["--batch", "0"]).is_err());
        assert!(with(&["--batch", "1001"]).is_err());
        assert!(with(&["--batch", "-1"]).is_err());

        // The default mix's owned and access requests cannot be batched: said, not ignored.
        let refused = with(&["--batch", "10", "--mix", MIX_DEFAULT]).unwrap_err();
        assert!(
            format!("{refused:#}").contains("authorize-only"),
            "{refused:#}"
        );
        assert!(with(&["--batch", "10", "--mix", "access=1"]).is_err());
        assert!(with(&["--null", "--batch", "10", "--mix", "owned=1"]).is_err());
        let explicit = with(&["--batch", "10", "--mix", "authorize=3,owned=0"]).unwrap();
        assert_eq!(explicit.mix.weight(crate::mix::Kind::Owned), 0);
        // Without --batch an explicit mix is taken as given.
        let mixed = with(&["--mix", "authorize=1,access=1"]).unwrap();
        assert_eq!(mixed.mix, Mix::parse("access=1,authorize=1").unwrap());
    }

    #[test]
    fn batch_help_says_what_the_rate_and_mix_mean() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        let run = cli.find_subcommand_mut("run").unwrap();
        let help = run.render_long_help().to_string();
        assert!(help.contains("--batch <N>"), "{help}");
        assert!(help.contains("counts batches"), "{help}");
        assert!(help.contains("authorize-only"), "{help}");
    }

    #[test]
    fn bounds_are_enforced() {
        let base = ["--null", "--rate", "10", "--report", "r.json"];
        let with = |extra: &[&str]| {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            run_args(&all).and_then(|args| RunPlan::from_args(&args))
        };
        assert!(with(&["--duration", "11m"]).is_err());
        assert!(with(&["--duration", "0s"]).is_err());
        assert!(with(&["--duration", "10m"]).is_ok());
        assert!(with(&["--duration", "1s", "--connections", "0"]).is_err());
        assert!(with(&["--duration", "1s", "--price", "0.0000001"]).is_err());
        assert!(with(&["--duration", "1s", "--currency", "usd"]).is_err());
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("fast").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("1h").is_err());
    }
}
