//! `farthing-loadtest`: `run` drives a farthing server and writes a JSON report;
//! `null-server` serves a canned reply to measure this machine's HTTP ceiling; `fsync-probe`
//! and `cpu-load` measure the machine's own floors (see `floor`); `chaos` kills a real server
//! under load and checks what survived.
//!
//! Exit codes: 0 done, 1 money totals not conserved after the run (or, for `chaos`, any
//! finding: a loss, a violation, a crash, a failed `farthing check`), 2 could not run.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use farthing_loadtest::{
    ChaosArgs, Cli, Command, FsyncProbeArgs, NullServerArgs, RunArgs, chaos, cli, floor,
    null_server, report, target,
};
use serde::Serialize;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run(&args),
        Command::NullServer(args) => null_server_main(&args).map(|()| ExitCode::SUCCESS),
        Command::FsyncProbe(args) => fsync_probe_main(&args).map(|()| ExitCode::SUCCESS),
        Command::CpuLoad(args) => floor::cpu_load(&args).map(|report| {
            println!("{}", floor::cpu_load_summary(&report));
            ExitCode::SUCCESS
        }),
        Command::Chaos(args) => chaos_main(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("farthing-loadtest: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// A current-thread runtime for one thread (no cross-thread wakeups), else a multi-thread one.
fn runtime(threads: u32) -> Result<tokio::runtime::Runtime> {
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(usize::try_from(threads)?);
        builder
    };
    builder
        .enable_all()
        .build()
        .context("building the tokio runtime")
}

fn run(args: &RunArgs) -> Result<ExitCode> {
    cli::check_threads(args.threads)?;
    let report = runtime(args.threads)?.block_on(farthing_loadtest::run(args))?;
    write_json_report(&args.report, &report)?;
    println!("{}", report::summary(&report));
    println!("  report: {}", args.report.display());
    Ok(if report.conservation_ok == Some(false) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Threads of the chaos harness's runtime: its load is a few connections, so two keep it from
/// taking the cores the server under test needs.
const CHAOS_THREADS: u32 = 2;

fn chaos_main(args: &ChaosArgs) -> Result<ExitCode> {
    let report = runtime(CHAOS_THREADS)?.block_on(chaos::run(args))?;
    if let Some(path) = &args.report {
        write_json_report(path, &report)?;
        println!("  report: {}", path.display());
    }
    println!("{}", chaos::summary(&report));
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn null_server_main(args: &NullServerArgs) -> Result<()> {
    cli::check_threads(args.threads)?;
    cli::check_duration(args.duration)?;
    runtime(args.threads)?.block_on(async {
        let addr = target::resolve_listen(&args.listen).await?;
        let listener = null_server::bind(addr).await?;
        println!("null-server listening on {}", listener.local_addr()?);
        null_server::serve(listener, args.duration).await
    })
}

fn fsync_probe_main(args: &FsyncProbeArgs) -> Result<()> {
    let report = floor::fsync_probe(args)?;
    println!("{}", floor::fsync_summary(&report));
    if let Some(path) = &args.report {
        write_json_report(path, &report)?;
        println!("  report: {}", path.display());
    }
    Ok(())
}

/// Writes `report` as pretty JSON with a final newline.
fn write_json_report(path: &Path, report: &impl Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    std::fs::write(path, json + "\n").with_context(|| format!("writing report {}", path.display()))
}
