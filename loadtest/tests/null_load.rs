//! End to end against the in-process null server: a short fixed-rate `--null` run.

use std::time::Duration;

use clap::Parser;
use farthing_loadtest::{Cli, Command, null_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_run_at_a_fixed_rate_reports_sane_numbers() {
    let listener = null_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(null_server::serve(listener, Duration::from_secs(30)));

    let target = format!("http://{addr}");
    let cli = Cli::try_parse_from([
        "farthing-loadtest",
        "run",
        "--target",
        &target,
        "--null",
        "--rate",
        "500",
        "--duration",
        "1s",
        "--warmup",
        "200ms",
        "--connections",
        "8",
        "--report",
        "/dev/null",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("wrong subcommand")
    };
    let report = tokio::time::timeout(Duration::from_secs(20), farthing_loadtest::run(&args))
        .await
        .expect("the run is bounded")
        .unwrap();
    server.abort();

    assert!(report.null);
    assert_eq!(report.conservation_ok, None);
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert!(
        (350..=650).contains(&report.requests),
        "requests {}",
        report.requests
    );
    assert!(report.throughput_rps > 300.0 && report.throughput_rps < 700.0);
    assert_eq!(report.unsent, 0);
    let latency = report.latency_us;
    assert!(latency.p50 > 0);
    assert!(latency.p50 <= latency.p90);
    assert!(latency.p90 <= latency.p99);
    assert!(latency.p99 <= latency.p999);
    assert!(latency.p999 <= latency.max);
    let authorize = report.by_kind.get("authorize").expect("authorize entry");
    assert_eq!(authorize.count, report.requests);
    assert!(!report.by_kind.contains_key("access"));
}

#[tokio::test]
async fn closed_loop_null_run_and_refused_targets() {
    let listener = null_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(null_server::serve(listener, Duration::from_secs(30)));
    let target = format!("http://{addr}");
    let parse = |target: &str| {
        let cli = Cli::try_parse_from([
            "farthing-loadtest",
            "run",
            "--target",
            target,
            "--null",
            "--rate",
            "max",
            "--duration",
            "300ms",
            "--warmup",
            "0s",
            "--connections",
            "4",
            "--report",
            "/dev/null",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("wrong subcommand")
        };
        *args
    };
    let report = farthing_loadtest::run(&parse(&target)).await.unwrap();
    server.abort();
    assert!(report.requests > 10, "requests {}", report.requests);
    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);

    let refused = farthing_loadtest::run(&parse("http://192.0.2.1:8080"))
        .await
        .unwrap_err();
    assert!(format!("{refused:#}").contains("loopback"), "{refused:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_batch_run_gets_one_result_per_item() {
    let listener = null_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(null_server::serve(listener, Duration::from_secs(30)));

    let target = format!("http://{addr}");
    // The largest batch, so the request and reply body limits on both sides are exercised.
    let cli = Cli::try_parse_from([
        "farthing-loadtest",
        "run",
        "--target",
        &target,
        "--null",
        "--batch",
        "1000",
        "--rate",
        "20",
        "--duration",
        "1s",
        "--warmup",
        "0s",
        "--connections",
        "4",
        "--report",
        "/dev/null",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("wrong subcommand")
    };
    let report = tokio::time::timeout(Duration::from_secs(20), farthing_loadtest::run(&args))
        .await
        .expect("the run is bounded")
        .unwrap();
    server.abort();

    assert!(report.errors.is_empty(), "errors: {:?}", report.errors);
    assert!(report.item_errors.is_empty(), "{:?}", report.item_errors);
    assert!((15..=25).contains(&report.requests), "{}", report.requests);
    assert_eq!(report.batch_size, 1000);
    assert_eq!(report.items_ok, report.requests * 1000);
    assert!(report.items_per_s > 500.0 * report.throughput_rps);
    assert_eq!(report.conservation_ok, None);
}
