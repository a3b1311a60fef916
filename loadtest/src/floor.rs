//! What this machine costs before farthing does anything: `fsync-probe` times a bare append +
//! `fdatasync`, the one piece of I/O every purchase waits for; `cpu-load` keeps the cores as
//! busy as a server under load does, so the probe (or a `run --null`) can be measured under
//! the same contention. Together they put a floor under a latency report: a server that makes
//! each reply wait for one `fdatasync` cannot have a p99 below the p99 of `fdatasync` itself at
//! the same CPU load.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::cli::{CpuLoadArgs, FsyncProbeArgs, check_duration, check_threads};
use crate::report::Latency;

/// Longest pause between two probe steps.
pub const PROBE_PAUSE_MAX: Duration = Duration::from_secs(1);
/// Largest append of one probe step.
pub const PROBE_BYTES_MAX: usize = 1024 * 1024;
/// Most probe steps in one run, whatever the duration.
pub const PROBE_STEPS_MAX: u64 = 10_000_000;
/// Highest latency the probe's histogram holds, in microseconds (higher values saturate).
const PROBE_LATENCY_US_MAX: u64 = 60_000_000;
/// Share of steps above this latency, in microseconds, is reported separately: the target's
/// 1 ms.
const SLOW_STEP_US: u64 = 1_000;
/// One busy-then-sleep cycle of `cpu-load`: short enough to look like request bursts, long
/// enough that the sleep is not all timer slack.
pub const LOAD_PERIOD: Duration = Duration::from_millis(10);

/// What `fsync-probe` measured.
#[derive(Serialize, Debug, Clone)]
pub struct FsyncReport {
    /// Appends made durable.
    pub steps: u64,
    /// Bytes appended before each `fdatasync`.
    pub bytes_per_step: usize,
    /// Sleep between steps, in microseconds.
    pub pause_us: u64,
    /// Latency of each `fdatasync` alone (the append is not timed).
    pub latency_us: Latency,
    /// Share of steps whose `fdatasync` took longer than 1 ms, in percent.
    pub over_1ms_percent: f64,
}

/// The probe's file, removed when the probe ends however it ends.
struct ProbeFile {
    path: PathBuf,
    file: File,
}

impl ProbeFile {
    fn create(dir: &Path) -> Result<ProbeFile> {
        let path = dir.join(format!("farthing-fsync-probe-{}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating probe file {}", path.display()))?;
        Ok(ProbeFile { path, file })
    }
}

impl Drop for ProbeFile {
    fn drop(&mut self) {
        // Best effort: a leftover file is named after the probe and harmless.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Appends `bytes_per_step` and calls `fdatasync`, again and again (with `pause` between
/// steps), for `duration` (and at most `PROBE_STEPS_MAX` times), in a new file in `dir`; the
/// file is removed afterwards.
///
/// # Errors
/// Bad arguments, or any I/O error.
pub fn fsync_probe(args: &FsyncProbeArgs) -> Result<FsyncReport> {
    check_duration(args.duration)?;
    if args.bytes == 0 || args.bytes > PROBE_BYTES_MAX {
        bail!("--bytes must be in 1..={PROBE_BYTES_MAX}");
    }
    if args.pause > PROBE_PAUSE_MAX {
        bail!("--pause must be at most {PROBE_PAUSE_MAX:?}");
    }
    let mut probe = ProbeFile::create(&args.dir)?;
    let block = vec![0x5a_u8; args.bytes];
    let mut histogram = Histogram::<u64>::new_with_bounds(1, PROBE_LATENCY_US_MAX, 3)
        .context("creating the probe histogram")?;
    let end = Instant::now() + args.duration;
    while histogram.len() < PROBE_STEPS_MAX && Instant::now() < end {
        probe
            .file
            .write_all(&block)
            .context("appending to the probe file")?;
        let started = Instant::now();
        probe
            .file
            .sync_data()
            .context("fdatasync of the probe file")?;
        let took_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        histogram.saturating_record(took_us.max(1));
        if !args.pause.is_zero() {
            std::thread::sleep(args.pause);
        }
    }
    let steps = histogram.len();
    // Exact: the histogram keeps every microsecond below 2048 µs at 3 significant digits.
    let slow_steps = steps.saturating_sub(histogram.count_between(1, SLOW_STEP_US));
    Ok(FsyncReport {
        steps,
        bytes_per_step: args.bytes,
        pause_us: u64::try_from(args.pause.as_micros()).unwrap_or(u64::MAX),
        latency_us: Latency::of(&histogram),
        over_1ms_percent: percent(slow_steps, steps),
    })
}

/// The human line of a probe.
pub fn fsync_summary(report: &FsyncReport) -> String {
    let latency = &report.latency_us;
    format!(
        "fsync-probe: {} steps of {} bytes, {}us apart; fdatasync p50 {}us p90 {}us p99 {}us p99.9 {}us \
         max {}us; {:.1}% over 1 ms",
        report.steps,
        report.bytes_per_step,
        report.pause_us,
        latency.p50,
        latency.p90,
        latency.p99,
        latency.p999,
        latency.max,
        report.over_1ms_percent
    )
}

/// What `cpu-load` did.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct CpuLoadReport {
    /// Threads that burned.
    pub threads: u32,
    /// Time spent spinning, over all threads.
    pub busy: Duration,
    /// Wall time of the run.
    pub wall: Duration,
}

/// Keeps `threads` threads busy for `duty` percent of every `LOAD_PERIOD`, for `duration`.
///
/// # Errors
/// Bad arguments, or a thread that could not be started.
pub fn cpu_load(args: &CpuLoadArgs) -> Result<CpuLoadReport> {
    check_duration(args.duration)?;
    check_threads(args.threads)?;
    let busy_per_period = busy_per_period(args.duty)?;
    let started = Instant::now();
    let end = started + args.duration;
    let workers = (0..args.threads)
        .map(|index| {
            std::thread::Builder::new()
                .name(format!("cpu-load-{index}"))
                .spawn(move || burn_until(end, busy_per_period))
                .context("starting a cpu-load thread")
        })
        .collect::<Result<Vec<_>>>()?;
    let mut busy = Duration::ZERO;
    for worker in workers {
        let burned = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a cpu-load thread panicked"))?;
        busy = busy.saturating_add(burned);
    }
    Ok(CpuLoadReport {
        threads: args.threads,
        busy,
        wall: started.elapsed(),
    })
}

/// Busy part of one `LOAD_PERIOD` at `duty` percent; the thread sleeps the rest.
///
/// # Errors
/// A duty outside 1..=100.
pub fn busy_per_period(duty: u32) -> Result<Duration> {
    if duty == 0 || duty > 100 {
        bail!("--duty must be a percentage in 1..=100");
    }
    Ok(LOAD_PERIOD * duty / 100)
}

/// One thread of `cpu_load`: spins for `busy_per_period`, sleeps the rest of the period,
/// until `end`. Returns the time it spun.
fn burn_until(end: Instant, busy_per_period: Duration) -> Duration {
    let mut burned = Duration::ZERO;
    let mut period_start = Instant::now();
    while period_start < end {
        let busy_until = (period_start + busy_per_period).min(end);
        while Instant::now() < busy_until {
            std::hint::spin_loop();
        }
        burned = burned.saturating_add(busy_until.saturating_duration_since(period_start));
        let next_period = period_start + LOAD_PERIOD;
        let now = Instant::now();
        if next_period > now {
            std::thread::sleep(next_period - now);
        }
        period_start = next_period.max(Instant::now());
    }
    burned
}

/// The human line of a load run.
pub fn cpu_load_summary(report: &CpuLoadReport) -> String {
    let wall = report.wall.as_secs_f64();
    let cores = if wall > 0.0 {
        report.busy.as_secs_f64() / wall
    } else {
        0.0
    };
    format!(
        "cpu-load: {} threads spun {:.2} cores on average over {:.1}s",
        report.threads, cores, wall
    )
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 * 100.0 / whole as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{DURATION_MAX, THREADS_MAX};

    type TestResult = Result<()>;

    fn probe_args(dir: &Path, duration: Duration, bytes: usize) -> FsyncProbeArgs {
        FsyncProbeArgs {
            dir: dir.to_path_buf(),
            duration,
            bytes,
            pause: Duration::ZERO,
            report: None,
        }
    }

    #[test]
    fn probe_counts_steps_orders_percentiles_and_leaves_no_file() -> TestResult {
        let dir = tempfile::tempdir()?;
        let report = fsync_probe(&probe_args(dir.path(), Duration::from_millis(200), 512))?;
        assert!(report.steps >= 1, "at least one step runs");
        let latency = report.latency_us;
        assert!(latency.p50 >= 1 && latency.p50 <= latency.p99 && latency.p99 <= latency.max);
        assert!((0.0..=100.0).contains(&report.over_1ms_percent));
        assert_eq!(
            std::fs::read_dir(dir.path())?.count(),
            0,
            "probe file removed"
        );
        Ok(())
    }

    #[test]
    fn a_pause_spaces_the_steps() -> TestResult {
        let dir = tempfile::tempdir()?;
        let paused = FsyncProbeArgs {
            pause: Duration::from_millis(20),
            ..probe_args(dir.path(), Duration::from_millis(200), 512)
        };
        let report = fsync_probe(&paused)?;
        // Each step sleeps 20 ms, so 200 ms hold at most 10 steps after the first.
        assert!((1..=11).contains(&report.steps), "{} steps", report.steps);
        assert_eq!(report.pause_us, 20_000);
        Ok(())
    }

    #[test]
    fn probe_refuses_bad_sizes_durations_and_a_missing_dir() -> TestResult {
        let dir = tempfile::tempdir()?;
        let second = Duration::from_secs(1);
        assert!(fsync_probe(&probe_args(dir.path(), second, 0)).is_err());
        assert!(fsync_probe(&probe_args(dir.path(), second, PROBE_BYTES_MAX + 1)).is_err());
        assert!(fsync_probe(&probe_args(dir.path(), Duration::ZERO, 512)).is_err());
        let too_long = DURATION_MAX + second;
        assert!(fsync_probe(&probe_args(dir.path(), too_long, 512)).is_err());
        let missing = dir.path().join("missing");
        assert!(fsync_probe(&probe_args(&missing, second, 512)).is_err());
        let long_pause = FsyncProbeArgs {
            pause: PROBE_PAUSE_MAX + Duration::from_millis(1),
            ..probe_args(dir.path(), second, 512)
        };
        assert!(fsync_probe(&long_pause).is_err());
        Ok(())
    }

    #[test]
    fn duty_splits_one_period() -> TestResult {
        let busy = busy_per_period(70)?;
        assert_eq!(
            (busy, LOAD_PERIOD - busy),
            (Duration::from_millis(7), Duration::from_millis(3))
        );
        let busy = busy_per_period(100)?;
        assert_eq!((busy, LOAD_PERIOD - busy), (LOAD_PERIOD, Duration::ZERO));
        assert!(busy_per_period(0).is_err());
        assert!(busy_per_period(101).is_err());
        Ok(())
    }

    #[test]
    fn load_spins_within_its_bounds() -> TestResult {
        let args = CpuLoadArgs {
            threads: 2,
            duty: 50,
            duration: Duration::from_millis(100),
        };
        let report = cpu_load(&args)?;
        assert_eq!(report.threads, 2);
        assert!(report.busy > Duration::ZERO, "the threads spun");
        // Each thread spins at most for the run's length, never longer.
        assert!(report.busy <= args.duration * 2);
        assert!(report.wall >= args.duration);
        Ok(())
    }

    #[test]
    fn load_refuses_bad_arguments() {
        let good = CpuLoadArgs {
            threads: 1,
            duty: 50,
            duration: Duration::from_millis(10),
        };
        for bad in [
            CpuLoadArgs { threads: 0, ..good },
            CpuLoadArgs {
                threads: THREADS_MAX + 1,
                ..good
            },
            CpuLoadArgs { duty: 0, ..good },
            CpuLoadArgs { duty: 101, ..good },
            CpuLoadArgs {
                duration: Duration::ZERO,
                ..good
            },
        ] {
            assert!(cpu_load(&bad).is_err(), "{bad:?} refused");
        }
    }
}
