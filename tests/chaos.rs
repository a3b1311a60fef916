//! The chaos harness in CI: three cycles of load, SIGKILL at a seeded random moment, restart
//! on the same data directory, and every acknowledged change read back, money conserved and
//! `farthing check` passing after each cycle (on the killed directory and after a graceful
//! stop). `farthing-loadtest chaos` runs the same code
//! against a release build for as many cycles as wanted (README, "Chaos").
//!
//! The rules that judge a restart (a lost purchase, deposit or view, a charge nobody sent)
//! are unit-tested in `loadtest/src/chaos/ledger.rs`, where each is shown to fail.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use farthing_loadtest::ChaosArgs;
use farthing_loadtest::chaos;

const BINARY: &str = env!("CARGO_BIN_EXE_farthing");
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config/test.toml");
/// Fixed, so a failure replays with `farthing-loadtest chaos --seed 10 ...`.
const SEED: u64 = 10;

#[test]
fn three_kill_and_restart_cycles_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let args = ChaosArgs {
        cycles: 3,
        farthing: PathBuf::from(BINARY),
        seed: Some(SEED),
        data_dir: Some(dir.path().join("data")),
        config: Some(PathBuf::from(CONFIG)),
        members: 16,
        vendors: 2,
        connections: 4,
        kill_after_min: Duration::from_millis(300),
        kill_after_max: Duration::from_millis(900),
        check_every: 1,
        report: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(chaos::run(&args)).unwrap();
    println!("{}", chaos::summary(&report));
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(report.cycles, 3);
    assert_eq!((report.lost, report.violations, report.crashes), (0, 0, 0));
    assert_eq!(report.conserved_cycles, 3);
    // Each cycle checks the directory as the kill left it and after a graceful stop.
    assert_eq!((report.checks_run, report.checks_passed), (6, 6));
    // Acknowledged changes of every kind were sent before the kills, and each cycle's were
    // all found after its restart.
    let acked = &report.acknowledged;
    assert!(
        acked.purchases > 0 && acked.batch_items > 0 && acked.deposits > 0,
        "too little was acknowledged to prove anything: {acked:?}"
    );
    for cycle in &report.cycle_reports {
        assert_eq!(cycle.checked, cycle.acknowledged, "cycle {}", cycle.cycle);
    }
    // After the last cycle every purchase of the earlier cycles was read back once more.
    let earlier: u64 = report
        .cycle_reports
        .iter()
        .take(2)
        .map(|cycle| cycle.acknowledged.purchases + cycle.acknowledged.batch_items)
        .sum();
    assert!(
        report.rechecked >= earlier,
        "{} < {earlier}",
        report.rechecked
    );
}
