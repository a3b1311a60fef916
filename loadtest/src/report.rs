//! The JSON report and the human summary.
//!
//! Field names are read by scripts; add fields freely, rename none.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::cli::{Rate, RunPlan};
use crate::load::{KindStats, LoadOutcome};
use crate::mix::Kind;

/// Latency percentiles in microseconds, from the send time as described in `load`.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Highest recorded.
    pub max: u64,
}

impl Latency {
    /// Percentiles of a histogram; all zero when it is empty.
    pub fn of(histogram: &Histogram<u64>) -> Latency {
        if histogram.is_empty() {
            return Latency::default();
        }
        Latency {
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

/// One kind's part of the report.
#[derive(Serialize, Debug, Clone)]
pub struct KindReport {
    /// Measured requests of this kind, including failed ones.
    pub count: u64,
    /// Its throughput over the measured window.
    pub throughput_rps: f64,
    /// Latency of the requests that got a response.
    pub latency_us: Latency,
    /// Failed requests by code.
    pub errors: BTreeMap<String, u64>,
}

/// `rate_target`: a number, or the string `"max"`.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(untagged)]
pub enum RateTarget {
    /// Requests per second.
    Fixed(u64),
    /// Always `"max"`.
    Max(&'static str),
}

/// The report written with `--report`.
#[derive(Serialize, Debug, Clone)]
pub struct Report {
    /// Target base URL.
    pub target: String,
    /// Whether the target was a null server.
    pub null: bool,
    /// Requested rate.
    pub rate_target: RateTarget,
    /// Measured duration in seconds (warmup excluded).
    pub duration_s: f64,
    /// Warmup in seconds.
    pub warmup_s: f64,
    /// Members seeded.
    pub members: u64,
    /// Vendors created.
    pub vendors: u64,
    /// Mix weights by kind.
    pub mix: BTreeMap<String, u32>,
    /// Connections used.
    pub connections: u32,
    /// Generator threads.
    pub threads: u32,
    /// Generator seed.
    pub seed: u64,
    /// Measured requests, including failed ones.
    pub requests: u64,
    /// Measured requests per second over the measured window; with `--batch` a request is a
    /// batch.
    pub throughput_rps: f64,
    /// Items per request: `--batch`, or 1 for single requests.
    pub batch_size: u32,
    /// Successful items in measured requests: with `--batch` the items charged, else the
    /// successful requests (each one item).
    pub items_ok: u64,
    /// `items_ok` per second of the measured window: comparable between batch and single runs.
    pub items_per_s: f64,
    /// With `--batch`, failed items of answered batches by problem code; whole batches that
    /// failed are in `errors`.
    pub item_errors: BTreeMap<String, u64>,
    /// Latency over all kinds.
    pub latency_us: Latency,
    /// Per kind actually sent (a fallback counts under `authorize`).
    pub by_kind: BTreeMap<String, KindReport>,
    /// Failed requests by code, all kinds.
    pub errors: BTreeMap<String, u64>,
    /// `access` picks that found no unused access token and authorized instead.
    pub access_pool_empty: u64,
    /// `owned` picks that found no owned content yet and authorized instead.
    pub owned_pool_empty: u64,
    /// Scheduled requests never sent because the server fell too far behind.
    pub unsent: u64,
    /// Totals conserved after the run; `null` for null runs.
    pub conservation_ok: Option<bool>,
    /// Seconds spent seeding.
    pub setup_s: f64,
    /// The server's `farthing_authorize_*` and `farthing_journal_*` metric lines.
    pub server_metrics: Vec<String>,
}

fn kind_report(stats: &KindStats, window_s: f64) -> KindReport {
    KindReport {
        count: stats.count,
        throughput_rps: rate(stats.count, window_s),
        latency_us: Latency::of(&stats.histogram),
        errors: stats.errors.clone(),
    }
}

fn rate(count: u64, window_s: f64) -> f64 {
    if window_s > 0.0 {
        count as f64 / window_s
    } else {
        0.0
    }
}

/// Builds the report from the plan and the load's outcome.
pub fn build(
    plan: &RunPlan,
    outcome: &LoadOutcome,
    conservation_ok: Option<bool>,
    setup_s: f64,
    server_metrics: Vec<String>,
) -> Report {
    let stats = &outcome.stats;
    let window_s = outcome.window.as_secs_f64();
    let mut overall: Option<Histogram<u64>> = None;
    let mut errors = BTreeMap::new();
    let mut by_kind = BTreeMap::new();
    let mut requests = 0;
    for kind in Kind::ALL {
        let Some(kind_stats) = stats.kind(kind) else {
            continue;
        };
        requests += kind_stats.count;
        for (code, count) in &kind_stats.errors {
            *errors.entry(code.clone()).or_insert(0) += count;
        }
        match &mut overall {
            Some(histogram) => {
                // Same bounds everywhere, so adding cannot fail; if it did, the overall
                // percentiles would only miss this kind, which the per-kind entry still shows.
                let _ = histogram.add(&kind_stats.histogram);
            }
            None => overall = Some(kind_stats.histogram.clone()),
        }
        if plan.mix.weight(kind) > 0 || kind_stats.count > 0 {
            by_kind.insert(kind.name().to_owned(), kind_report(kind_stats, window_s));
        }
    }
    Report {
        target: plan.target_url.clone(),
        null: plan.null,
        rate_target: match plan.rate {
            Rate::Fixed(rate) => RateTarget::Fixed(rate),
            Rate::Max => RateTarget::Max("max"),
        },
        duration_s: plan.duration.as_secs_f64(),
        warmup_s: plan.warmup.as_secs_f64(),
        members: plan.members,
        vendors: plan.vendors,
        mix: plan.mix.to_map(),
        connections: plan.connections,
        threads: plan.threads,
        seed: plan.seed,
        requests,
        throughput_rps: rate(requests, window_s),
        batch_size: plan.batch_items.unwrap_or(1),
        items_ok: stats.items_ok,
        items_per_s: rate(stats.items_ok, window_s),
        item_errors: stats.item_errors.clone(),
        latency_us: overall.as_ref().map(Latency::of).unwrap_or_default(),
        by_kind,
        errors,
        access_pool_empty: stats.access_pool_empty,
        owned_pool_empty: stats.owned_pool_empty,
        unsent: stats.unsent,
        conservation_ok,
        setup_s,
        server_metrics,
    }
}

/// A short human summary for stdout.
pub fn summary(report: &Report) -> String {
    let mut text = String::new();
    let rate = match report.rate_target {
        RateTarget::Fixed(rate) => format!("{rate}/s"),
        RateTarget::Max(_) => "max".to_owned(),
    };
    let error_total: u64 = report.errors.values().sum();
    let _ = writeln!(
        text,
        "farthing-loadtest {}{}: rate {rate}, {}s (+{}s warmup), {} connections, {} thread(s)",
        report.target,
        if report.null { " (null server)" } else { "" },
        report.duration_s,
        report.warmup_s,
        report.connections,
        report.threads,
    );
    let _ = writeln!(
        text,
        "  requests {} ({:.0} rps), errors {error_total}, setup {:.1}s",
        report.requests, report.throughput_rps, report.setup_s
    );
    let item_error_total: u64 = report.item_errors.values().sum();
    let _ = writeln!(
        text,
        "  items ok {} ({:.0}/s), batch size {}, failed items {item_error_total}",
        report.items_ok, report.items_per_s, report.batch_size
    );
    let line = |name: &str, count: u64, latency: &Latency| {
        format!(
            "  {name:<9} n={count:<9} p50 {}us  p90 {}us  p99 {}us  p99.9 {}us  max {}us",
            latency.p50, latency.p90, latency.p99, latency.p999, latency.max
        )
    };
    let _ = writeln!(text, "{}", line("all", report.requests, &report.latency_us));
    for (name, kind) in &report.by_kind {
        let _ = writeln!(text, "{}", line(name, kind.count, &kind.latency_us));
    }
    if !report.errors.is_empty() {
        let codes: Vec<String> = report
            .errors
            .iter()
            .map(|(code, count)| format!("{code}={count}"))
            .collect();
        let _ = writeln!(text, "  errors: {}", codes.join(", "));
    }
    if !report.item_errors.is_empty() {
        let codes: Vec<String> = report
            .item_errors
            .iter()
            .map(|(code, count)| format!("{code}={count}"))
            .collect();
        let _ = writeln!(text, "  failed items: {}", codes.join(", "));
    }
    if report.access_pool_empty + report.owned_pool_empty + report.unsent > 0 {
        let _ = writeln!(
            text,
            "  access_pool_empty {}, owned_pool_empty {}, unsent {}",
            report.access_pool_empty, report.owned_pool_empty, report.unsent
        );
    }
    let conservation = match report.conservation_ok {
        Some(true) => "ok",
        Some(false) => "FAILED",
        None => "not checked (null run)",
    };
    let _ = write!(text, "  conservation: {conservation}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::load::Stats;
    use clap::Parser;
    use std::time::Duration;

    #[test]
    fn report_has_the_documented_shape() {
        let cli = Cli::try_parse_from([
            "farthing-loadtest",
            "run",
            "--target",
            "http://127.0.0.1:1",
            "--admin-key-file",
            "k",
            "--members",
            "2",
            "--vendors",
            "1",
            "--rate",
            "100",
            "--duration",
            "1s",
            "--report",
            "r.json",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("wrong subcommand")
        };
        let plan = RunPlan::from_args(&args).unwrap();
        let mut stats = Stats::new().unwrap();
        for (kind, latency_us) in [(0, 100), (0, 300), (1, 200), (2, 50)] {
            let kind_stats = stats.kinds.get_mut(kind).unwrap();
            kind_stats.count += 1;
            kind_stats.histogram.record(latency_us).unwrap();
        }
        stats.items_ok = 3;
        stats
            .kinds
            .get_mut(2)
            .unwrap()
            .errors
            .insert("not_granted".to_owned(), 1);
        let outcome = LoadOutcome {
            stats,
            window: Duration::from_secs(1),
        };
        let report = build(
            &plan,
            &outcome,
            Some(true),
            0.5,
            vec!["farthing_authorize_x 1".into()],
        );
        let json = serde_json::to_value(&report).unwrap();

        for key in [
            "target",
            "null",
            "rate_target",
            "duration_s",
            "members",
            "vendors",
            "mix",
            "requests",
            "throughput_rps",
            "batch_size",
            "items_ok",
            "items_per_s",
            "item_errors",
            "latency_us",
            "by_kind",
            "errors",
            "conservation_ok",
            "setup_s",
            "server_metrics",
        ] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["rate_target"], 100);
        assert_eq!(json["requests"], 4);
        assert_eq!(json["errors"]["not_granted"], 1);
        assert_eq!(json["mix"]["authorize"], 60);
        assert_eq!(json["by_kind"]["authorize"]["count"], 2);
        assert_eq!(json["by_kind"]["access"]["errors"]["not_granted"], 1);
        for key in ["p50", "p90", "p99", "p999", "max"] {
            assert!(json["latency_us"][key].is_u64(), "latency_us.{key}");
            assert!(json["by_kind"]["owned"]["latency_us"][key].is_u64());
        }
        assert!(json["latency_us"]["max"].as_u64().unwrap() >= 300);
        assert_eq!(json["conservation_ok"], true);
        // A single-request run is a run of one-item batches.
        assert_eq!(json["batch_size"], 1);
        assert_eq!(json["items_ok"], 3);
        assert_eq!(json["items_per_s"], 3.0);
        assert_eq!(json["item_errors"], serde_json::json!({}));

        let null_report = Report {
            conservation_ok: None,
            rate_target: RateTarget::Max("max"),
            ..report
        };
        let json = serde_json::to_value(&null_report).unwrap();
        assert!(json["conservation_ok"].is_null());
        assert_eq!(json["rate_target"], "max");
        assert!(summary(&null_report).contains("null run"));
    }

    #[test]
    fn batch_report_counts_items_apart_from_requests() {
        let cli = Cli::try_parse_from([
            "farthing-loadtest",
            "run",
            "--target",
            "http://127.0.0.1:1",
            "--null",
            "--batch",
            "50",
            "--rate",
            "10",
            "--duration",
            "2s",
            "--report",
            "r.json",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("wrong subcommand")
        };
        let plan = RunPlan::from_args(&args).unwrap();
        let mut stats = Stats::new().unwrap();
        let authorize = stats.kinds.get_mut(0).unwrap();
        authorize.count = 4;
        authorize.histogram.record(900).unwrap();
        authorize.errors.insert("overloaded".to_owned(), 1);
        stats.items_ok = 148;
        stats.item_errors.insert("insufficient_funds".to_owned(), 2);
        let outcome = LoadOutcome {
            stats,
            window: Duration::from_secs(2),
        };
        let report = build(&plan, &outcome, None, 0.0, Vec::new());
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["batch_size"], 50);
        assert_eq!(json["requests"], 4);
        assert_eq!(json["throughput_rps"], 2.0);
        assert_eq!(json["items_ok"], 148);
        assert_eq!(json["items_per_s"], 74.0);
        assert_eq!(json["item_errors"]["insufficient_funds"], 2);
        assert_eq!(json["errors"]["overloaded"], 1);
        assert_eq!(json["mix"]["authorize"], 1);
        let text = summary(&report);
        assert!(
            text.contains("items ok 148 (74/s), batch size 50"),
            "{text}"
        );
        assert!(
            text.contains("failed items: insufficient_funds=2"),
            "{text}"
        );
    }
}
