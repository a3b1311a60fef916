//! Load harness for farthing: an open-loop request generator and a null HTTP server.
//!
//! The generator seeds vendors and members through the admin API, drives `POST /v1/authorize`
//! and `POST /v1/access` at a fixed rate (or as fast as the connections allow), measures latency
//! from each request's intended send time (coordinated omission corrected), then checks that the
//! server's money totals are conserved. With `--batch N` it sends new purchases only, N items
//! to each `POST /v1/authorize/batch`, and counts items apart from requests. The null server
//! answers the same requests with a canned reply, so a report can state farthing's throughput
//! as a ratio of this machine's HTTP ceiling.
//!
//! Map: `cli` parses and bounds the command line; `target` refuses non-loopback targets;
//! `money` parses decimal amounts to micro-units; `mix` is the request mix; `client` is the
//! keep-alive HTTP/1.1 connection; `setup` seeds the server; `load` runs the workers; `totals`
//! checks conservation and scrapes `/metrics`; `report` shapes the JSON and the summary;
//! `null_server` is the bare hyper server; `floor` measures what the machine itself costs (a
//! bare fdatasync, and cores kept busy to measure under the same contention); `chaos` runs the
//! real server binary, kills it under load and checks what survived. This crate talks to farthing only over HTTP: it must
//! not depend on the `farthing` crate, so it measures what a client sees.
#![allow(
    clippy::as_conversions,
    reason = "report statistics convert u64 counts to f64 rates; no money is converted with `as`"
)]

pub mod chaos;
pub mod cli;
pub mod client;
pub mod floor;
pub mod load;
pub mod mix;
pub mod money;
pub mod null_server;
pub mod report;
pub mod setup;
pub mod target;
pub mod totals;

use anyhow::{Context, Result};

pub use cli::{ChaosArgs, Cli, Command, CpuLoadArgs, FsyncProbeArgs, NullServerArgs, RunArgs};
pub use report::Report;

/// Runs one load test as described by `args` and returns its report.
///
/// Seeds the server (unless `--null`), runs the load, checks conservation and scrapes the
/// server's metrics. Does not write the report file; `main` does.
///
/// # Errors
/// A bad argument, a non-loopback target, a failed setup call, or an unreadable admin key.
/// Failed load requests are not errors: they are counted in the report.
pub async fn run(args: &RunArgs) -> Result<Report> {
    let plan = cli::RunPlan::from_args(args)?;
    let target = target::resolve(&plan.target_url).await?;
    let admin_key = match &plan.admin_key_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading admin key file {}", path.display()))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let run_tag = run_tag();

    let setup_started = std::time::Instant::now();
    let fixture = match &admin_key {
        Some(key) if !plan.null => setup::seed(&target, key, &plan.seed_plan(), &run_tag).await?,
        _ => setup::null_fixture(&target)?,
    };
    let setup_s = setup_started.elapsed().as_secs_f64();

    let outcome = load::run(&target, &plan, fixture, &run_tag).await?;

    let (conservation_ok, server_metrics) = match &admin_key {
        Some(key) if !plan.null => {
            let ok = totals::await_conservation(&target, key).await;
            let metrics = totals::scrape_metrics(&target, key).await;
            (Some(ok), metrics)
        }
        _ => (None, Vec::new()),
    };

    Ok(report::build(
        &plan,
        &outcome,
        conservation_ok,
        setup_s,
        server_metrics,
    ))
}

/// A short tag that keeps vendor names and content domains of this run apart from earlier
/// runs against the same server (the seed alone would repeat them).
fn run_tag() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    format!("{secs:x}{:03x}", nanos >> 20)
}
