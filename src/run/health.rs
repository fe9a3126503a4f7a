//! The load generator's own health: CPU use, peak memory, and scheduler lag.
//!
//! A load test measures the system under test only while the generator keeps up. If stressor itself is
//! starved (all cores busy, or its tasks waking up late), latencies include the generator's own
//! queueing and the result says little about the server. So the run watches itself:
//!
//! - **CPU**: process CPU time (user + system, `getrusage`) over wall time, as a share of all cores.
//! - **Peak RSS**: the process's own high-water mark during the run. On Linux it is `VmHWM` from
//!   `/proc/self/status`, reset at the start of each run (writing `5` to `/proc/self/clear_refs`), so
//!   the figure is this run's, not an earlier run's in the same process (the cargo harness runs many),
//!   and never the parent's: `getrusage`'s `ru_maxrss` survives `exec`, so under `cargo run` or
//!   `cargo test` it reported cargo's own 180 MiB. Elsewhere it is `ru_maxrss` (macOS reports bytes,
//!   the BSDs kilobytes), which can include such a parent.
//! - **Scheduler lag**: a task that asks to wake every 10 ms and records how late it actually woke
//!   (HDR histogram). Late wake-ups mean timers and sockets wait too.
//!
//! The generator counts as overloaded — the verdict becomes *inconclusive* instead of pass — when CPU
//! use exceeded [`CPU_LIMIT`] of all cores, or lag p99 exceeded [`LAG_P99_LIMIT`], over a run long enough
//! to judge (at least [`MIN_JUDGED_RUN`]).

use crate::stats::Latency;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// CPU share of all cores above which the generator is considered saturated.
pub const CPU_LIMIT: f64 = 0.90;
/// Scheduler lag p99 above which the generator is considered too slow to keep time.
pub const LAG_P99_LIMIT: Duration = Duration::from_millis(50);
/// Shorter runs are not judged: start-up costs dominate them.
pub const MIN_JUDGED_RUN: Duration = Duration::from_secs(2);
/// The advice on dropped arrivals, as `stressor run` gives it; `stressor search` takes its pool size
/// from `--max-sessions` and says that instead.
pub const RAISE_MAX_SESSIONS: &str = "raise `load.max_sessions`";

/// How often the lag probe asks to wake.
const TICK: Duration = Duration::from_millis(10);

/// What the generator measured about itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    /// CPU seconds (user + system) used during the run.
    pub cpu_seconds: f64,
    /// Cores available to the process.
    pub cores: usize,
    /// CPU seconds / (wall seconds × cores), 0..1.
    pub cpu_share: f64,
    /// Peak resident memory of the process, bytes.
    pub peak_rss_bytes: u64,
    /// How late the lag probe woke up.
    pub lag: Latency,
    /// Why the generator counts as overloaded (empty when it kept up).
    pub overload: Vec<String>,
    /// Open model: arrivals due during the run (absent from JSON in the closed model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<u64>,
    /// Open model: arrivals that found every session busy and were not run.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped_arrivals: u64,
    /// Open model with Poisson arrivals: each schedule's seed (`load.seed`, or the one drawn), workloads
    /// in start order. Setting `load.seed` to it repeats the arrival times. Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrival_seeds: Vec<u64>,
    /// Rows of the request log (`run --request-log`) lost because its writer fell behind; absent from
    /// JSON when 0. They do not make a run inconclusive: the measurements are whole, only the log is not.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub request_log_dropped: u64,
    /// Merged results (`stressor merge`): each part's own figures, in input order; the fields above
    /// are then their sum (CPU seconds, cores) or their worst (CPU share, peak RSS, the lag merged).
    /// Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartHealth>,
}

/// One part's generator figures in merged results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartHealth {
    /// `shard 2/3 (b.json)`, or the file.
    pub name: String,
    /// CPU seconds it used.
    pub cpu_seconds: f64,
    /// Its cores.
    pub cores: usize,
    /// Its CPU share of its cores, 0..1.
    pub cpu_share: f64,
    /// Its peak resident memory, bytes.
    pub peak_rss_bytes: u64,
    /// Its scheduler lag p99 (`None` when it measured none).
    pub lag_p99: Option<Duration>,
}

impl GeneratorHealth {
    /// Merged results' health: each part's figures kept, CPU seconds and cores summed, the worst CPU
    /// share and peak RSS, the lag histograms merged. `overload` and the arrival figures are the
    /// caller's (they name the parts their own way).
    pub fn merged<'h>(parts: impl IntoIterator<Item = (String, &'h GeneratorHealth)>) -> GeneratorHealth {
        let mut out = GeneratorHealth::default();
        for (name, h) in parts {
            out.cpu_seconds += h.cpu_seconds;
            out.cores += h.cores;
            out.cpu_share = out.cpu_share.max(h.cpu_share);
            out.peak_rss_bytes = out.peak_rss_bytes.max(h.peak_rss_bytes);
            out.lag.merge(&h.lag);
            out.parts.push(PartHealth {
                name,
                cpu_seconds: h.cpu_seconds,
                cores: h.cores,
                cpu_share: h.cpu_share,
                peak_rss_bytes: h.peak_rss_bytes,
                lag_p99: h.lag.percentile(99.0),
            });
        }
        out
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl GeneratorHealth {
    /// Records the open model's arrivals; dropped ones mean the load asked for was not produced,
    /// which makes the run inconclusive like an overloaded generator.
    pub fn set_arrivals(&mut self, scheduled: u64, dropped: u64) {
        self.arrivals = Some(scheduled);
        self.dropped_arrivals = dropped;
        if dropped > 0 {
            self.overload.push(format!(
                "{dropped} of {scheduled} arrivals were dropped because every session was busy ({RAISE_MAX_SESSIONS})"
            ));
        }
    }

    /// Whether results may be distorted by the generator itself.
    pub fn overloaded(&self) -> bool {
        !self.overload.is_empty()
    }
}

/// A running health probe.
pub struct HealthProbe {
    started: Instant,
    cpu_at_start: Option<Duration>,
    lag: Arc<Mutex<Latency>>,
    task: tokio::task::JoinHandle<()>,
}

impl HealthProbe {
    /// Starts the lag probe on the current runtime.
    pub fn start() -> Self {
        let lag = Arc::new(Mutex::new(Latency::with_sigfig(2)));
        let lag2 = lag.clone();
        let task = tokio::spawn(async move {
            let mut expected = tokio::time::Instant::now() + TICK;
            loop {
                tokio::time::sleep_until(expected).await;
                let late = tokio::time::Instant::now().saturating_duration_since(expected);
                if let Ok(mut l) = lag2.lock() {
                    l.record(late);
                }
                expected += TICK;
                // After a long stall, measure from now instead of piling up catch-up ticks.
                let now = tokio::time::Instant::now();
                if expected < now {
                    expected = now + TICK;
                }
            }
        });
        reset_peak_rss();
        HealthProbe {
            started: Instant::now(),
            cpu_at_start: cpu_time(),
            lag,
            task,
        }
    }

    /// Stops the probe and judges the run.
    pub fn finish(&self) -> GeneratorHealth {
        self.task.abort();
        self.measure()
    }

    /// What the probe measured so far, judged as if the run ended now (for checkpoints and live views).
    pub fn measure(&self) -> GeneratorHealth {
        let wall = self.started.elapsed();
        let cpu = match (cpu_time(), self.cpu_at_start) {
            (Some(now), Some(start)) => now.saturating_sub(start),
            _ => Duration::ZERO,
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_share = if wall.is_zero() {
            0.0
        } else {
            cpu.as_secs_f64() / (wall.as_secs_f64() * cores as f64)
        };
        let lag = self.lag.lock().map(|l| l.clone()).unwrap_or_default();
        let overload = judge(wall, cpu_share, cores, lag.percentile(99.0));
        GeneratorHealth {
            cpu_seconds: cpu.as_secs_f64(),
            cores,
            cpu_share,
            peak_rss_bytes: peak_rss(),
            lag,
            overload,
            arrivals: None,
            dropped_arrivals: 0,
            arrival_seeds: Vec::new(),
            request_log_dropped: 0,
            parts: Vec::new(),
        }
    }
}

impl Drop for HealthProbe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why a run's generator counts as overloaded: CPU share above [`CPU_LIMIT`] or scheduler lag p99
/// above [`LAG_P99_LIMIT`], judged only for runs of at least [`MIN_JUDGED_RUN`].
pub fn judge(wall: Duration, cpu_share: f64, cores: usize, lag_p99: Option<Duration>) -> Vec<String> {
    let mut overload = Vec::new();
    if wall < MIN_JUDGED_RUN {
        return overload;
    }
    if cpu_share > CPU_LIMIT {
        overload.push(format!(
            "the load generator used {:.0}% of {cores} core(s) (limit {:.0}%)",
            cpu_share * 100.0,
            CPU_LIMIT * 100.0
        ));
    }
    if let Some(p99) = lag_p99.filter(|p| *p > LAG_P99_LIMIT) {
        overload.push(format!(
            "the load generator's scheduler lag p99 was {}ms (limit {}ms)",
            p99.as_millis(),
            LAG_P99_LIMIT.as_millis()
        ));
    }
    overload
}

fn rusage() -> Option<libc::rusage> {
    // SAFETY: getrusage fills the struct we pass; a zeroed rusage is a valid initial value.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        (libc::getrusage(libc::RUSAGE_SELF, &mut usage) == 0).then_some(usage)
    }
}

/// User + system CPU time of the process so far.
pub fn cpu_time() -> Option<Duration> {
    let u = rusage()?;
    let tv =
        |t: libc::timeval| Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64);
    Some(tv(u.ru_utime) + tv(u.ru_stime))
}

/// Peak resident set size of this process, bytes (see the module documentation).
pub fn peak_rss() -> u64 {
    #[cfg(target_os = "linux")]
    if let Some(bytes) = proc_status_kib("VmHWM:").map(|kib| kib * 1024) {
        return bytes;
    }
    // macOS reports bytes, Linux and the BSDs kilobytes.
    let unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    rusage().map_or(0, |u| u.ru_maxrss.max(0) as u64 * unit)
}

/// Resets the kernel's peak RSS of this process to its current RSS (Linux; best effort elsewhere a
/// no-op), so that [`peak_rss`] measures from now on.
pub fn reset_peak_rss() {
    #[cfg(target_os = "linux")]
    {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}

/// A `kB` field of `/proc/self/status` (`VmHWM:`, `VmRSS:`).
#[cfg(target_os = "linux")]
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_cpu_and_lag_on_long_enough_runs() {
        let ms = Duration::from_millis;
        let long = Duration::from_secs(10);
        assert!(judge(long, 0.5, 2, Some(ms(5))).is_empty());
        assert_eq!(
            judge(long, 0.97, 2, Some(ms(5))),
            ["the load generator used 97% of 2 core(s) (limit 90%)"]
        );
        assert_eq!(
            judge(long, 0.2, 2, Some(ms(120))),
            ["the load generator's scheduler lag p99 was 120ms (limit 50ms)"]
        );
        assert_eq!(judge(long, 0.99, 4, Some(ms(80))).len(), 2);
        assert!(
            judge(ms(500), 0.99, 2, Some(ms(500))).is_empty(),
            "short runs are not judged"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn measures_cpu_rss_and_lag() {
        let probe = HealthProbe::start();
        tokio::time::sleep(Duration::from_millis(120)).await;
        // Burn some CPU so the measurement is not zero.
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert_ne!(x, 1);
        let h = probe.finish();
        assert!(h.cpu_seconds > 0.0);
        assert!(h.peak_rss_bytes > 1_000_000, "{}", h.peak_rss_bytes);
        #[cfg(target_os = "linux")]
        {
            let rss = proc_status_kib("VmRSS:").unwrap() * 1024;
            assert!(
                h.peak_rss_bytes >= rss / 2 && h.peak_rss_bytes < 4 * rss.max(64 << 20),
                "peak {} vs current {rss}",
                h.peak_rss_bytes
            );
        }
        assert!(h.lag.count() >= 5, "{}", h.lag.count());
        assert!(
            h.overload.is_empty(),
            "a run shorter than {MIN_JUDGED_RUN:?} is not judged"
        );
        assert!(h.cores >= 1);
    }
}
