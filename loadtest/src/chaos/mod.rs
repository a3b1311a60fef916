//! `chaos`: the real server under load, killed with SIGKILL at random moments and restarted on
//! the same data directory; after each restart every change the server acknowledged must be
//! there, money must be conserved, and `farthing check` must pass.
//!
//! A cycle: the load runs (purchases, batches, re-purchases of owned content, access checks,
//! deposits) on `--connections` connections; after a random delay (from `--seed`) the server
//! gets SIGKILL; the load stops; the server starts again on the same data directory; every
//! member's balance and entitlement count, every purchase acknowledged (or viewed) in the cycle
//! and a sample of earlier ones are read back and judged by the `ledger`; `/admin/v1/totals`
//! must be conserved. Every `--check-every` cycles (and on the last) `farthing check` runs twice:
//! on the data directory exactly as the kill left it (before the restart), and again after the
//! verified server is stopped with SIGTERM; the next cycle starts it again. After the last
//! cycle every purchase of the run is checked once more.
//!
//! A process kill keeps the page cache, so this proves recovery from whatever the process had
//! handed to the kernel, not fsync ordering (the journal's fault tests cover that).
//!
//! Map: `api` sorts replies into acknowledged / refused / unknown; `traffic` is the load;
//! `ledger` is the pure model of what must have survived; `verify` reads the server back;
//! `server` runs the child process.

pub mod api;
pub mod ledger;
pub mod server;
pub mod traffic;
pub mod verify;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rand::rngs::StdRng;
use rand::seq::index;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::cli::{self, ChaosArgs};
use crate::setup::{self, Fixture, SeedPlan};
use crate::{client, money, totals};
use ledger::{Changes, Ledger, Verdict};
use server::{Server, ServerSpec};
use traffic::{CycleLoad, Owned, Worker};
use verify::PurchaseJob;

/// Currency of every wallet, vendor and price of a chaos run.
pub const CURRENCY: &str = "USD";
/// Deposit seeded into each member.
pub const SEED_DEPOSIT: &str = "1000";
/// Vendor fee, in parts per million.
pub const FEE_PPM: u32 = 50_000;
/// Purchases of earlier cycles re-checked after each restart.
pub const RECHECK_SAMPLE: usize = 200;
/// Purchases of earlier cycles the load buys again (the newest are offered).
pub const OWNED_POOL_MAX: usize = 4_096;
/// After the kill, longest wait for the workers to notice and return.
pub const WORKERS_STOP_MAX: Duration = Duration::from_secs(30);
/// Problem lines kept in the report.
pub const PROBLEMS_MAX: usize = 200;
/// Lines of a failed `farthing check` kept in a problem line.
pub const CHECK_OUTPUT_LINES_MAX: usize = 20;

/// A validated `chaos` run.
#[derive(Clone, Debug)]
pub struct ChaosPlan {
    /// Cycles to run.
    pub cycles: u32,
    /// How to run the server.
    pub spec: ServerSpec,
    /// Whether the data directory is ours to remove after a clean run.
    pub data_dir_is_temporary: bool,
    /// Seed of the kill moments and the load.
    pub seed: u64,
    /// Members to seed.
    pub members: u64,
    /// Vendors to create.
    pub vendors: u64,
    /// Load connections.
    pub connections: u32,
    /// Earliest kill, in milliseconds after the load starts.
    pub kill_after_min_ms: u64,
    /// Latest kill.
    pub kill_after_max_ms: u64,
    /// Run `farthing check` every this many cycles (and after the last).
    pub check_every: u32,
}

impl ChaosPlan {
    /// Validates raw arguments; without `--seed` the seed comes from the clock.
    ///
    /// # Errors
    /// A value outside its bound, or a server binary that is not a file.
    pub fn from_args(args: &ChaosArgs) -> Result<ChaosPlan> {
        if args.cycles == 0 || args.cycles > cli::CHAOS_CYCLES_MAX {
            bail!("--cycles must be in 1..={}", cli::CHAOS_CYCLES_MAX);
        }
        if args.members == 0 || args.members > cli::CHAOS_MEMBERS_MAX {
            bail!("--members must be in 1..={}", cli::CHAOS_MEMBERS_MAX);
        }
        if args.vendors == 0 || args.vendors > cli::CHAOS_VENDORS_MAX {
            bail!("--vendors must be in 1..={}", cli::CHAOS_VENDORS_MAX);
        }
        if args.connections == 0 || args.connections > cli::CHAOS_CONNECTIONS_MAX {
            bail!(
                "--connections must be in 1..={}",
                cli::CHAOS_CONNECTIONS_MAX
            );
        }
        if args.kill_after_min > args.kill_after_max
            || args.kill_after_max > cli::CHAOS_KILL_AFTER_MAX
        {
            bail!(
                "--kill-after-min must be at most --kill-after-max, and that at most {}s",
                cli::CHAOS_KILL_AFTER_MAX.as_secs()
            );
        }
        if args.check_every == 0 {
            bail!("--check-every must be at least 1");
        }
        if !args.farthing.is_file() {
            bail!("--farthing {} is not a file", args.farthing.display());
        }
        let seed = args.seed.unwrap_or_else(seed_from_clock);
        let (data_dir, data_dir_is_temporary) = match &args.data_dir {
            Some(dir) => (dir.clone(), false),
            None => (
                std::env::temp_dir()
                    .join(format!("farthing-chaos-{seed:x}-{}", std::process::id())),
                true,
            ),
        };
        Ok(ChaosPlan {
            cycles: args.cycles,
            spec: ServerSpec {
                binary: args.farthing.clone(),
                config: args.config.clone(),
                data_dir,
            },
            data_dir_is_temporary,
            seed,
            members: args.members,
            vendors: args.vendors,
            connections: args.connections,
            kill_after_min_ms: millis(args.kill_after_min),
            kill_after_max_ms: millis(args.kill_after_max),
            check_every: args.check_every,
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_nanos() & u128::from(u64::MAX)).unwrap_or_default())
        .unwrap_or(1)
}

/// One cycle in the report.
#[derive(Serialize, Debug, Clone)]
pub struct CycleReport {
    /// 1-based.
    pub cycle: u32,
    /// When the SIGKILL came, after the load started.
    pub kill_after_ms: u64,
    /// The server had died on its own before the kill (a crash).
    pub crashed: bool,
    /// Acknowledged changes sent in the cycle.
    pub acknowledged: Changes,
    /// Changes with no reply (or a 5xx): allowed either way.
    pub unknown: u64,
    /// Changes refused with a 4xx: must be absent.
    pub refused: u64,
    /// Time from spawn to ready after the kill (recovery included).
    pub restart_ms: u64,
    /// Acknowledged changes of the cycle found after the restart.
    pub checked: Changes,
    /// Purchases of earlier cycles found again.
    pub rechecked: u64,
    /// Acknowledged changes not found.
    pub lost: u64,
    /// Anything else the model cannot explain.
    pub violations: u64,
    /// `/admin/v1/totals` conserved after the restart.
    pub conserved: bool,
    /// `farthing check` passed both after the kill and after the graceful stop; `None` when
    /// it did not run this cycle.
    pub check_passed: Option<bool>,
}

/// The whole run.
#[derive(Serialize, Debug, Clone)]
pub struct ChaosReport {
    /// Seed; `--seed` with it replays the kill moments and the load.
    pub seed: u64,
    /// The server binary.
    pub farthing: String,
    /// Its data directory.
    pub data_dir: String,
    /// Cycles asked for.
    pub cycles_planned: u32,
    /// Cycles run.
    pub cycles: u32,
    /// Wall time of the run, setup included.
    pub wall_s: f64,
    /// Acknowledged changes sent, by kind.
    pub acknowledged: Changes,
    /// Acknowledged changes found after the restart that followed them.
    pub checked: Changes,
    /// Re-checks of purchases from earlier cycles (samples, and all of them after the last).
    pub rechecked: u64,
    /// Changes whose outcome was unknown.
    pub unknown: u64,
    /// Changes refused.
    pub refused: u64,
    /// Acknowledged changes not found: must be 0.
    pub lost: u64,
    /// Findings that are not losses (a crash, a charge nobody sent, a failed check): must be 0.
    pub violations: u64,
    /// Member checks that fell back from the exact subset check to a range.
    pub range_checked_members: u64,
    /// Cycles after which money was conserved.
    pub conserved_cycles: u32,
    /// `farthing check` runs (two per check cycle: after the kill, after the graceful stop),
    /// and how many passed.
    pub checks_run: u32,
    /// See `checks_run`.
    pub checks_passed: u32,
    /// Times the server died before its kill.
    pub crashes: u32,
    /// Per cycle.
    pub cycle_reports: Vec<CycleReport>,
    /// What was found, one line each (at most `PROBLEMS_MAX`).
    pub problems: Vec<String>,
    /// Problem lines beyond `PROBLEMS_MAX`, counted only.
    pub problems_omitted: u64,
}

impl ChaosReport {
    /// Nothing lost, nothing unexplained, conserved every cycle, every check passed.
    pub fn ok(&self) -> bool {
        self.lost == 0
            && self.violations == 0
            && self.crashes == 0
            && self.cycles == self.cycles_planned
            && self.conserved_cycles == self.cycles
            && self.checks_passed == self.checks_run
            && self.checks_run > 0
    }

    fn add_problems(&mut self, problems: impl IntoIterator<Item = String>) {
        for problem in problems {
            if self.problems.len() < PROBLEMS_MAX {
                eprintln!("chaos: {problem}");
                self.problems.push(problem);
            } else {
                self.problems_omitted += 1;
            }
        }
    }
}

/// Runs the chaos cycles described by `args`, printing a line per cycle.
///
/// # Errors
/// A bad argument, a server that cannot be started or does not answer after a restart, or a
/// failed setup call. Findings (losses, a failed check) are not errors: they are in the report.
pub async fn run(args: &ChaosArgs) -> Result<ChaosReport> {
    let plan = ChaosPlan::from_args(args)?;
    run_plan(&plan).await
}

/// Runs a validated plan; see `run`.
///
/// # Errors
/// See `run`.
pub async fn run_plan(plan: &ChaosPlan) -> Result<ChaosReport> {
    let started = Instant::now();
    println!(
        "chaos: seed {} (replay with --seed {}); data directory {}",
        plan.seed,
        plan.seed,
        plan.spec.data_dir.display()
    );
    std::fs::create_dir_all(&plan.spec.data_dir)
        .with_context(|| format!("creating {}", plan.spec.data_dir.display()))?;
    let mut report = ChaosReport {
        seed: plan.seed,
        farthing: plan.spec.binary.display().to_string(),
        data_dir: plan.spec.data_dir.display().to_string(),
        cycles_planned: plan.cycles,
        cycles: 0,
        wall_s: 0.0,
        acknowledged: Changes::default(),
        checked: Changes::default(),
        rechecked: 0,
        unknown: 0,
        refused: 0,
        lost: 0,
        violations: 0,
        range_checked_members: 0,
        conserved_cycles: 0,
        checks_run: 0,
        checks_passed: 0,
        crashes: 0,
        cycle_reports: Vec::new(),
        problems: Vec::new(),
        problems_omitted: 0,
    };

    let mut server = Some(Server::start(&plan.spec).await?);
    let admin_key_path = plan.spec.data_dir.join("admin.key");
    let admin_key = std::fs::read_to_string(&admin_key_path)
        .with_context(|| format!("reading {}", admin_key_path.display()))?
        .trim()
        .to_owned();
    let admin = client::bearer(&admin_key)?;
    let run_tag = format!("{:x}", plan.seed);
    let fixture = {
        let Some(running) = server.as_ref() else {
            bail!("no server to seed");
        };
        let seed_plan = SeedPlan {
            members: plan.members,
            vendors: plan.vendors,
            currency: CURRENCY,
            deposit: SEED_DEPOSIT,
            fee_ppm: FEE_PPM,
        };
        Arc::new(setup::seed(&running.target, &admin_key, &seed_plan, &run_tag).await?)
    };
    let mut ledger = Ledger::new(fixture.members, money::parse_micros(SEED_DEPOSIT)?);
    let mut rng = StdRng::seed_from_u64(plan.seed);

    for cycle in 1..=plan.cycles {
        let last = cycle == plan.cycles;
        let running = match server.take() {
            Some(running) => running,
            None => Server::start(&plan.spec).await?,
        };
        let kill_after_ms = rng.gen_range(plan.kill_after_min_ms..=plan.kill_after_max_ms);
        let owned = owned_pool(&ledger);
        let load = Arc::new(CycleLoad {
            target: running.target.clone(),
            fixture: Arc::clone(&fixture),
            admin: admin.clone(),
            currency: CURRENCY.to_owned(),
            owned,
            cycle,
            run_tag: run_tag.clone(),
            stop: AtomicBool::new(false),
        });
        let workers: Vec<_> = (0..plan.connections)
            .map(|id| tokio::spawn(Worker::new(id, Arc::clone(&load), plan.seed).run()))
            .collect();
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        let crashed = running.kill().await?;
        load.stop.store(true, Ordering::Relaxed);
        for worker in workers {
            let observations = tokio::time::timeout(WORKERS_STOP_MAX, worker)
                .await
                .context("a load worker did not stop after the kill")?
                .context("a load worker panicked")?;
            for observation in observations {
                ledger.record(observation)?;
            }
        }
        let mut verdict = Verdict::default();
        if let Some(status) = crashed {
            report.crashes += 1;
            verdict.violations += 1;
            verdict.problems.push(format!(
                "cycle {cycle}: the server died before its kill: {status}"
            ));
        }
        let acknowledged = ledger.acked();
        let (unknown, refused) = (ledger.unknown(), ledger.refused());

        let check_cycle = last || cycle % plan.check_every == 0;
        // The directory exactly as the kill left it: the offline check must agree with it too,
        // before the restart's recovery touches anything.
        let crashed_check = if check_cycle {
            let passed =
                run_check(plan, cycle, "after the kill", &mut report, &mut verdict).await?;
            Some(passed)
        } else {
            None
        };

        let restarted = Server::start(&plan.spec).await?;
        let restart_ms = millis(restarted.started_in);
        let sample = sample_earlier(&ledger, &mut rng);
        verify_cycle(
            &restarted,
            &fixture,
            &admin,
            &mut ledger,
            &sample,
            last,
            plan.connections,
            &mut verdict,
        )
        .await?;
        let conserved = totals::await_conservation(&restarted.target, &admin_key).await;
        ledger.end_cycle(&mut verdict);

        let check_passed = if check_cycle {
            restarted.stop().await?;
            let passed = run_check(
                plan,
                cycle,
                "after a graceful stop",
                &mut report,
                &mut verdict,
            )
            .await?;
            Some(passed && crashed_check == Some(true))
        } else {
            server = Some(restarted);
            None
        };

        let line = CycleReport {
            cycle,
            kill_after_ms,
            crashed: crashed.is_some(),
            acknowledged,
            unknown,
            refused,
            restart_ms,
            checked: verdict.checked,
            rechecked: verdict.rechecked,
            lost: verdict.lost,
            violations: verdict.violations,
            conserved,
            check_passed,
        };
        println!("{}", cycle_line(&line, plan.cycles));
        report.cycles = cycle;
        report.acknowledged.add(&acknowledged);
        report.checked.add(&verdict.checked);
        report.rechecked += verdict.rechecked;
        report.unknown += unknown;
        report.refused += refused;
        report.lost += verdict.lost;
        report.violations += verdict.violations;
        report.range_checked_members += verdict.range_checked_members;
        report.conserved_cycles += u32::from(conserved);
        report.add_problems(verdict.problems);
        if !conserved {
            report.add_problems([format!("cycle {cycle}: money NOT conserved")]);
        }
        report.cycle_reports.push(line);
    }
    if let Some(running) = server.take() {
        running.stop().await?;
    }
    report.wall_s = started.elapsed().as_secs_f64();
    if report.ok() && plan.data_dir_is_temporary {
        // Kept after a finding, so the data directory can be examined.
        std::fs::remove_dir_all(&plan.spec.data_dir)
            .with_context(|| format!("removing {}", plan.spec.data_dir.display()))?;
    }
    Ok(report)
}

/// Runs `farthing check` on the stopped server's data directory and counts the outcome.
async fn run_check(
    plan: &ChaosPlan,
    cycle: u32,
    when: &str,
    report: &mut ChaosReport,
    verdict: &mut Verdict,
) -> Result<bool> {
    let outcome = server::check(&plan.spec.binary, &plan.spec.data_dir).await?;
    report.checks_run += 1;
    if outcome.passed {
        report.checks_passed += 1;
    } else {
        let excerpt: Vec<&str> = outcome
            .output
            .lines()
            .take(CHECK_OUTPUT_LINES_MAX)
            .collect();
        verdict.problems.push(format!(
            "cycle {cycle}: farthing check {when} failed:\n{}",
            excerpt.join("\n")
        ));
    }
    Ok(outcome.passed)
}

/// Reads the restarted server back and judges it: members first (balances, entitlement
/// counts), then purchases (whose re-authorize would change a balance if one were missing).
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the parts are the cycle's, not a natural struct"
)]
async fn verify_cycle(
    server: &Server,
    fixture: &Arc<Fixture>,
    admin: &hyper::header::HeaderValue,
    ledger: &mut Ledger,
    sample: &[usize],
    full: bool,
    connections: u32,
    verdict: &mut Verdict,
) -> Result<()> {
    let lanes = usize::try_from(connections)?;
    let members = verify::members(&server.target, fixture, admin, CURRENCY, lanes).await?;
    for (member, probe) in members {
        ledger.check_member(member, probe, verdict)?;
    }
    let jobs: Vec<PurchaseJob> = ledger
        .purchases_to_check(sample, full)
        .into_iter()
        .filter_map(|index| {
            let purchase = ledger.purchases().get(index)?;
            Some(PurchaseJob {
                index,
                owned: Owned {
                    member: purchase.member,
                    vendor: purchase.vendor,
                    content_url: purchase.content_url.clone(),
                    price: purchase.price,
                    views: purchase.views,
                },
                authorization_id: purchase.authorization_id.clone(),
            })
        })
        .collect();
    let probes = verify::purchases(&server.target, fixture, CURRENCY, jobs, lanes).await?;
    for (index, probe) in probes {
        ledger.check_purchase(index, &probe, verdict)?;
    }
    Ok(())
}

/// The newest acknowledged purchases of earlier cycles, for the load to buy again.
fn owned_pool(ledger: &Ledger) -> Vec<Owned> {
    ledger
        .purchases()
        .iter()
        .rev()
        .filter(|p| p.views.is_none_or(|views| p.views_used() < views / 2))
        .take(OWNED_POOL_MAX)
        .map(|p| Owned {
            member: p.member,
            vendor: p.vendor,
            content_url: p.content_url.clone(),
            price: p.price,
            views: p.views,
        })
        .collect()
}

/// Up to `RECHECK_SAMPLE` purchases of earlier cycles, chosen by the run's RNG.
fn sample_earlier(ledger: &Ledger, rng: &mut StdRng) -> Vec<usize> {
    let total = ledger.purchases().len();
    index::sample(rng, total, RECHECK_SAMPLE.min(total)).into_vec()
}

/// The line printed after each cycle.
pub fn cycle_line(line: &CycleReport, cycles: u32) -> String {
    let acked = &line.acknowledged;
    let checked = &line.checked;
    let mut text = format!(
        "cycle {}/{cycles}: SIGKILL after {} ms{}; acknowledged {} (purchases {}, batch items {}, \
         deposits {}, views {}), unknown {}, refused {}; restart {} ms; checked {} + {} earlier, \
         lost {}, violations {}; conserved {}",
        line.cycle,
        line.kill_after_ms,
        if line.crashed {
            " (it had CRASHED)"
        } else {
            ""
        },
        acked.total(),
        acked.purchases,
        acked.batch_items,
        acked.deposits,
        acked.views,
        line.unknown,
        line.refused,
        line.restart_ms,
        checked.total(),
        line.rechecked,
        line.lost,
        line.violations,
        if line.conserved { "yes" } else { "NO" },
    );
    match line.check_passed {
        Some(true) => text.push_str("; farthing check passed"),
        Some(false) => text.push_str("; farthing check FAILED"),
        None => {}
    }
    text
}

/// The summary printed at the end.
pub fn summary(report: &ChaosReport) -> String {
    let mut text = String::new();
    let checked = &report.checked;
    let _ = writeln!(
        text,
        "chaos: {} of {} cycles in {:.1} s, seed {}",
        report.cycles, report.cycles_planned, report.wall_s, report.seed
    );
    let _ = writeln!(
        text,
        "  acknowledged changes checked: {} (purchases {}, batch items {}, deposits {}, views \
         {}) of {} acknowledged; {} re-checks of earlier purchases; {} unknown outcomes allowed, \
         {} refusals",
        checked.total(),
        checked.purchases,
        checked.batch_items,
        checked.deposits,
        checked.views,
        report.acknowledged.total(),
        report.rechecked,
        report.unknown,
        report.refused
    );
    let _ = writeln!(
        text,
        "  lost: {}; violations: {}; crashes: {}; money conserved after {}/{} cycles; farthing \
         check passed {}/{}",
        report.lost,
        report.violations,
        report.crashes,
        report.conserved_cycles,
        report.cycles,
        report.checks_passed,
        report.checks_run
    );
    if report.problems_omitted > 0 {
        let _ = writeln!(
            text,
            "  {} more problem lines not shown",
            report.problems_omitted
        );
    }
    let _ = write!(
        text,
        "  verdict: {}",
        if report.ok() {
            "nothing lost"
        } else {
            "FINDINGS (see above)"
        }
    );
    text
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn plan(extra: &[&str]) -> Result<ChaosPlan> {
        let binary = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let mut argv = vec![
            "farthing-loadtest",
            "chaos",
            "--cycles",
            "100",
            "--farthing",
            binary,
        ];
        argv.extend_from_slice(extra);
        let Command::Chaos(args) = Cli::try_parse_from(argv)?.command else {
            bail!("parsed the wrong subcommand");
        };
        ChaosPlan::from_args(&args)
    }

    #[test]
    fn parses_the_documented_command_line() {
        let defaults = plan(&["--seed", "42"]).unwrap();
        assert_eq!((defaults.cycles, defaults.seed), (100, 42));
        assert_eq!((defaults.members, defaults.vendors), (64, 4));
        assert_eq!(defaults.connections, 8);
        assert_eq!(
            (defaults.kill_after_min_ms, defaults.kill_after_max_ms),
            (200, 1500)
        );
        assert_eq!(defaults.check_every, 1);
        assert!(defaults.data_dir_is_temporary);
        assert!(defaults.spec.config.is_none());

        let given = plan(&[
            "--data-dir",
            "/tmp/x",
            "--config",
            "config/test.toml",
            "--kill-after-min",
            "1s",
            "--kill-after-max",
            "1s",
            "--check-every",
            "10",
        ])
        .unwrap();
        assert!(!given.data_dir_is_temporary);
        assert_eq!(given.spec.data_dir, std::path::Path::new("/tmp/x"));
        assert_eq!(
            (given.kill_after_min_ms, given.kill_after_max_ms),
            (1000, 1000)
        );
    }

    #[test]
    fn bounds_are_enforced() {
        for bad in [
            &["--members", "0"][..],
            &["--members", "10001"],
            &["--vendors", "0"],
            &["--connections", "257"],
            &["--kill-after-min", "2s", "--kill-after-max", "1s"],
            &["--kill-after-max", "61s"],
            &["--check-every", "0"],
        ] {
            assert!(plan(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(plan(&["--farthing", "/nonexistent/farthing"]).is_err());
        let mut zero = vec!["farthing-loadtest", "chaos", "--cycles", "0"];
        zero.extend_from_slice(&[
            "--farthing",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ]);
        let Ok(Command::Chaos(args)) = Cli::try_parse_from(zero).map(|cli| cli.command) else {
            panic!("--cycles 0 must parse, then be refused");
        };
        assert!(ChaosPlan::from_args(&args).is_err());
    }

    #[test]
    fn the_report_is_ok_only_without_findings() {
        let clean = ChaosReport {
            seed: 1,
            farthing: String::new(),
            data_dir: String::new(),
            cycles_planned: 2,
            cycles: 2,
            wall_s: 1.0,
            acknowledged: Changes::default(),
            checked: Changes::default(),
            rechecked: 0,
            unknown: 0,
            refused: 0,
            lost: 0,
            violations: 0,
            range_checked_members: 0,
            conserved_cycles: 2,
            checks_run: 1,
            checks_passed: 1,
            crashes: 0,
            cycle_reports: Vec::new(),
            problems: Vec::new(),
            problems_omitted: 0,
        };
        assert!(clean.ok());
        let findings: [fn(&mut ChaosReport); 6] = [
            |r| r.lost = 1,
            |r| r.violations = 1,
            |r| r.crashes = 1,
            |r| r.conserved_cycles = 1,
            |r| r.checks_passed = 0,
            |r| r.cycles = 1,
        ];
        for finding in findings {
            let mut report = clean.clone();
            finding(&mut report);
            assert!(!report.ok(), "{report:?}");
            assert!(summary(&report).contains("FINDINGS"));
        }
        assert!(summary(&clean).contains("nothing lost"));
    }
}
