//! A baseline from history: the last runs of the same scenario (`--baseline DIR`,
//! `STRESSOR_BASELINE=DIR`), and how a run is compared with them.
//!
//! # Why
//!
//! One stored baseline run measures the machine it ran on as much as the service: compared with it,
//! a rerun of unchanged code on a busier runner looks like a regression, and a tolerance wide enough
//! to absorb that lets real regressions through. Several earlier runs show how much the runs of this
//! scenario vary on these runners, and that spread is what the tolerance should grow by.
//!
//! # The method
//!
//! For each metric of each subject, the history gives one value per run (the metric over that run, as
//! a threshold measures it). Its **median** is the baseline's value, and its **spread** is the
//! median absolute deviation scaled to a standard deviation (MAD × 1.4826), relative to the median
//! for latencies and throughput, in percentage points for error rates. A change is
//!
//! - **regressed** when it is worse than the allowance plus `k` spreads: `worse_by > allowance + k × spread`;
//! - **improved** the same way in the good direction;
//! - **unchanged** otherwise.
//!
//! The spread of earlier runs already holds every source of noise a new run has (its own sampling, the
//! runner, the time of day), so no interval of the new run is added to it.
//!
//! **`k` = 3** ([`K`]): the Hampel identifier's rule for an outlier, three scaled MADs from the
//! median. If run-to-run values were normal, an unchanged service would land beyond it in about 0.13 %
//! of runs (one-sided); with the median and MAD of only 10 runs the estimate of the spread is itself
//! uncertain, and 3 scaled MADs corresponds to about 2.3 standard errors of a 10-run prediction
//! interval, still below a 2 % false-alarm rate. The median and MAD are used instead of the mean and
//! the standard deviation because one odd run in the history (a run on a noisy neighbour) moves them
//! little: the gate does not widen for good because of it.
//!
//! At least [`MIN_RUNS`] runs are needed for a spread; with fewer, the newest run is compared alone
//! (as `--baseline FILE`, [`super::baseline`]).

use super::baseline::{Call, Delta, Tolerance};
use super::collect::Subject;
use super::evaluate::SubjectData;
use crate::run::RunReport;
use crate::scenario::Metric;
use std::sync::Arc;

/// How many spreads beyond the allowance a change must be to count (see the module documentation).
pub const K: f64 = 3.0;

/// Scales a median absolute deviation to the standard deviation of a normal distribution.
const MAD_TO_SD: f64 = 1.4826;

/// Runs below which there is no spread: the newest run is compared alone.
pub const MIN_RUNS: usize = 3;

/// How many of the newest runs a history keeps by default (`--baseline-runs`,
/// `STRESSOR_BASELINE_RUNS`).
pub const DEFAULT_RUNS: usize = 10;

/// Earlier runs of one scenario, oldest first.
#[derive(Clone, Debug)]
pub struct History {
    runs: Vec<Arc<RunReport>>,
    k: f64,
}

impl History {
    /// A history of `runs` (at least one), oldest first, with the default [`K`].
    pub fn new(runs: Vec<Arc<RunReport>>) -> Option<History> {
        (!runs.is_empty()).then_some(History { runs, k: K })
    }

    /// The runs, oldest first.
    pub fn runs(&self) -> &[Arc<RunReport>] {
        &self.runs
    }

    /// The newest run.
    pub fn newest(&self) -> &RunReport {
        // `new` refuses an empty history.
        &self.runs[self.runs.len() - 1]
    }

    /// Compares a metric of a subject of `current` with the history (see the module documentation):
    /// `tolerance` is the allowance, widened by `k` spreads.
    pub fn delta(&self, metric: Metric, subject: &Subject, current: &RunReport, tolerance: Tolerance) -> Delta {
        if self.runs.len() < MIN_RUNS {
            return super::baseline::delta(metric, subject, self.newest(), current, tolerance);
        }
        let values: Vec<f64> = self
            .runs
            .iter()
            .filter_map(|r| SubjectData::of(subject, r).value(metric, r.elapsed))
            .collect();
        let cur = SubjectData::of(subject, current).value(metric, current.elapsed);
        let mut out = Delta {
            metric,
            baseline: median(&values),
            current: cur,
            worse_by: None,
            interval: None,
            call: Call::TooNoisy,
        };
        let (Some(m), Some(c)) = (out.baseline, cur) else {
            return out;
        };
        if values.len() < MIN_RUNS {
            return out;
        }
        let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
        let sd = median(&deviations).unwrap_or(0.0) * MAD_TO_SD;
        let (w, spread) = match metric {
            Metric::ErrorRate => (c - m, sd),
            _ if m <= 0.0 => return out,
            Metric::MinRps => (1.0 - c / m, sd / m),
            _ => (c / m - 1.0, sd / m),
        };
        let noise = self.k * spread;
        let tol = tolerance.of(metric);
        out.worse_by = Some(w);
        out.interval = Some((w - noise, w + noise));
        let latency = matches!(metric, Metric::Percentile(_) | Metric::Mean);
        let tiny = latency && (c - m).abs() <= tolerance.min_latency_change;
        out.call = if tiny {
            Call::Unchanged
        } else if w > tol + noise {
            Call::Regressed
        } else if w < -(tol + noise) {
            Call::Improved
        } else {
            Call::Unchanged
        };
        out
    }
}

/// The median, `None` when empty.
fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Measure, Snapshot};
    use std::time::Duration;

    /// A run whose every execution took `ms` milliseconds (1000 of them over 10 s).
    fn run(ms: f64) -> Arc<RunReport> {
        let mut m = Measure::default();
        for _ in 0..1000 {
            m.record(Duration::from_secs_f64(ms / 1e3), None, 0, 0);
        }
        Arc::new(RunReport {
            elapsed: Duration::from_secs(10),
            stats: Snapshot {
                total: m,
                ..Snapshot::default()
            },
            ..RunReport::default()
        })
    }

    fn call(history: &[f64], now: f64, tolerance: f64) -> (Call, f64) {
        let h = History::new(history.iter().map(|ms| run(*ms)).collect()).unwrap();
        let t = Tolerance {
            relative: tolerance,
            min_latency_change: 0.0,
            ..Tolerance::DEFAULT
        };
        let d = h.delta(Metric::Percentile(95.0), &Subject::Run, &run(now), t);
        (d.call, d.baseline.unwrap() * 1e3)
    }

    #[test]
    fn the_allowance_grows_by_the_history_spread() {
        // Runs of 100 ms ± 10 %: the median is 100 ms and 3 scaled MADs are about 30 %.
        let noisy = [90.0, 110.0, 100.0, 95.0, 105.0, 92.0, 108.0, 100.0, 97.0, 103.0];
        let (c, median) = call(&noisy, 125.0, 0.10);
        assert_eq!(c, Call::Unchanged, "+25 % is within the runners' own spread");
        assert!((median - 100.0).abs() < 1.0, "{median}");
        assert_eq!(call(&noisy, 160.0, 0.10).0, Call::Regressed);
        // A steady history keeps the gate tight.
        let steady = [100.0, 101.0, 99.0, 100.0, 100.5, 99.5, 100.0, 100.0, 101.0, 99.0];
        assert_eq!(call(&steady, 115.0, 0.10).0, Call::Regressed);
        assert_eq!(call(&steady, 105.0, 0.10).0, Call::Unchanged);
        assert_eq!(call(&steady, 80.0, 0.10).0, Call::Improved);
    }

    #[test]
    fn one_odd_run_does_not_widen_the_gate() {
        let with_outlier = [100.0, 101.0, 99.0, 100.0, 300.0, 99.5, 100.0, 100.0, 101.0, 99.0];
        assert_eq!(call(&with_outlier, 115.0, 0.10).0, Call::Regressed);
    }

    #[test]
    fn a_short_history_is_the_newest_run_alone() {
        let h = History::new(vec![run(100.0), run(100.0)]).unwrap();
        let d = h.delta(Metric::Percentile(95.0), &Subject::Run, &run(100.0), Tolerance::DEFAULT);
        assert_eq!(d.call, Call::Unchanged);
        assert_eq!(History::new(Vec::new()).map(|h| h.runs().len()), None);
    }
}
