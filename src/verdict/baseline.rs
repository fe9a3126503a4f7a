//! Comparing a run with a baseline run: how much each metric changed, and whether the change is real.
//!
//! # The method
//!
//! For each metric, a confidence interval is computed for the baseline's value and for the current
//! one, each from its own run's histogram or counts, and combined into an interval for the change:
//!
//! - **Percentiles** (`p50`, `p95`, ...): the distribution-free interval of a quantile from order
//!   statistics. Of n latencies, the rank of the q-quantile is Binomial(n, q); the ranks
//!   `nq ± z·√(nq(1−q))` bound it, and their values are read off the HDR histogram. No assumption about
//!   the shape of the latency distribution.
//! - **Mean**: `mean ± z·sd/√n` (the central limit theorem; the histogram gives the standard
//!   deviation).
//! - **Throughput** (successful executions per second): the count is Poisson, `(n ± z·√n)/T`.
//! - **Error rate**: the Wilson score interval of errors / executions.
//!
//! Each interval is at 99.5 % (z = 2.807). The interval of the change combines the two as independent
//! estimates: in log space for ratios (the lower half-width of `ln(current / baseline)` is
//! `√(ln(c/c_low)² + ln(b_high/b)²)`, the upper one likewise), in percentage points for error rates.
//! Two runs of the same service fall outside it with a probability of about 0.5 % (0.25 % on each
//! side); `two_runs_of_the_same_service_are_almost_never_called_regressed` in `verdict/tests.rs` checks
//! this on simulated runs. A change is:
//!
//! - **regressed** when the whole interval is worse than no change *and* the estimate is worse than the
//!   tolerance: significantly worse, by more than the noise one accepts (for latencies, also by more
//!   than [`Tolerance::min_latency_change`], 1 ms by default);
//! - **improved**, the same the other way;
//! - **unchanged** when the estimated change is within ± the tolerance (and nothing beyond it is
//!   significant), or, for a latency, smaller than [`Tolerance::min_latency_change`] however
//!   significant or noisy; zero errors against zero errors is unchanged;
//! - **too noisy to tell** otherwise: the estimate is beyond the tolerance but not significantly, or
//!   there are too few samples to bound the metric at all (a p99 of a few hundred).
//!
//! Where a value is missing or zero the ratio has no logarithm; the calls still follow the data: a
//! throughput of zero against a non-zero baseline, or any current interval that lies wholly on the bad
//! side of the baseline's, is regressed (the interval of the ratio is then taken from the bounds'
//! ratios, more conservative than the combination in log space), and a latency with successful
//! samples in the baseline and none now is regressed, as a latency threshold without a successful
//! sample fails.
//!
//! # What it assumes
//!
//! That the executions of a run are independent draws from the run's latency distribution. They are
//! not quite (a slow second slows many requests), so the intervals are somewhat too narrow; and the
//! method cannot see run-to-run variation (another machine, a noisy neighbour) at all. The tolerance is
//! what absorbs both: `stressor compare` uses 5 % (0.1 percentage points for error rates) unless told
//! otherwise, and a `vs_baseline` threshold uses its own allowance. How often real runs of the same
//! service against the built-in target server are called regressed is measured by
//! `bench/compare_fp.sh` (bench/README.md).

use super::collect::Subject;
use super::evaluate::SubjectData;
use crate::run::RunReport;
use crate::scenario::{Change, Metric};
use crate::stats::Latency;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// z of a two-sided 99.5 % interval.
const Z: f64 = 2.807;

/// The answer for one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    /// Significantly worse, by more than the tolerance.
    Regressed,
    /// Significantly better, by more than the tolerance.
    Improved,
    /// Within the tolerance, with confidence.
    Unchanged,
    /// The data cannot tell.
    TooNoisy,
}

impl Call {
    /// The call on an estimated change `worse_by` (relative, or points for the error rate) with its
    /// interval, against the tolerance `tol`. `tiny`: a latency change below the absolute floor,
    /// unchanged however significant or noisy. No interval (too few samples, or rounds, to bound
    /// it): no call. The estimate within the tolerance and no change beyond it significant (zero
    /// errors against zero errors is exactly no change): unchanged. A single baseline run and the
    /// paired rounds of `stressor ab` are called by this one rule.
    pub fn of_interval(interval: Option<(f64, f64)>, worse_by: f64, tol: f64, tiny: bool) -> Call {
        match interval {
            _ if tiny => Call::Unchanged,
            None => Call::TooNoisy,
            Some((lo, _)) if lo > 0.0 && worse_by > tol => Call::Regressed,
            Some((_, hi)) if hi < 0.0 && worse_by < -tol => Call::Improved,
            Some(_) if worse_by.abs() <= tol => Call::Unchanged,
            Some(_) => Call::TooNoisy,
        }
    }

    /// `regressed`, `improved`, `unchanged`, `too noisy to tell`.
    pub fn as_str(self) -> &'static str {
        match self {
            Call::Regressed => "regressed",
            Call::Improved => "improved",
            Call::Unchanged => "unchanged",
            Call::TooNoisy => "too noisy to tell",
        }
    }
}

/// One metric compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    /// The metric (`p95`, `mean`, `error_rate`, `min_rps` for throughput).
    pub metric: Metric,
    /// The baseline's value (seconds for latencies, a fraction for error rates, per second for
    /// throughput); `None` when it has none.
    pub baseline: Option<f64>,
    /// The current value.
    pub current: Option<f64>,
    /// The change, in the bad direction (positive is worse): a fraction of the baseline, or percentage
    /// points as a fraction (0.001 = 0.1 pp) for error rates.
    pub worse_by: Option<f64>,
    /// The interval of `worse_by`.
    pub interval: Option<(f64, f64)>,
    /// What it means.
    pub call: Call,
}

/// A value with its confidence interval; `bounds` is `None` when there are too few samples to bound
/// it (a p99 of 500 samples), so the value is shown but no call is made on it.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    value: f64,
    bounds: Option<(f64, f64)>,
}

impl Estimate {
    fn bounded(value: f64, low: f64, high: f64) -> Self {
        Estimate {
            value,
            bounds: Some((low, high)),
        }
    }
}

/// The estimate of a metric on a subject's data; `phi` is the run's [`design_effect`] for it.
fn estimate(metric: Metric, data: &SubjectData<'_>, elapsed: Duration, phi: f64) -> Option<Estimate> {
    match metric {
        Metric::Percentile(q) => quantile(&data.timing().latency, q / 100.0, phi),
        Metric::Mean => mean(&data.timing().latency, phi),
        Metric::MinRps => {
            let secs = elapsed.as_secs_f64();
            let n = data.timing().successes() as f64;
            let half = Z * (phi * n).sqrt();
            (secs > 0.0).then(|| Estimate::bounded(n / secs, (n - half).max(0.0) / secs, (n + half) / secs))
        }
        Metric::ErrorRate => {
            let (n, e) = data.error_counts();
            // Clustered errors carry the information of fewer independent executions.
            wilson(e as f64 / phi, n as f64 / phi).map(|w| Estimate {
                value: e as f64 / n as f64,
                ..w
            })
        }
        Metric::Max | Metric::Errors => None,
    }
}

/// Fewer than this many whole series entries give no estimate of clustering: it is taken as none.
const MIN_BATCHES: usize = 5;

/// How much more a metric varies between the seconds of `report` than independent draws would: the
/// design effect of samples clustered in time (a slow second slows every request in flight), at least
/// 1. The per-second series is the run's, so every subject of the run gets the run's.
///
/// For a percentile it is the dispersion of the share of each second's latencies above the run's
/// value (Σ(aᵢ − p·mᵢ)² / Σ mᵢ·p(1−p), scaled by k/(k−1) over k seconds); for the mean, of each
/// second's mean (Σ mᵢ(x̄ᵢ − x̄)² / ((k−1)·s²)); for the error rate, of each second's share of errors;
/// for throughput, the index of dispersion of the per-second counts.
pub fn design_effect(metric: Metric, report: &RunReport) -> f64 {
    let step = report.stats.series_step.max(1);
    let whole = ((report.elapsed.as_secs() / step) as usize).min(report.stats.series.len());
    let series = &report.stats.series[..whole];
    if series.len() < MIN_BATCHES {
        return 1.0;
    }
    let phi = match metric {
        Metric::Percentile(q) => match report.stats.total.latency.percentile(q) {
            Some(v) => proportion_dispersion(
                series
                    .iter()
                    .map(|s| (s.latency.count() as f64, s.latency.count_above(v) as f64)),
            ),
            None => 1.0,
        },
        Metric::Mean => {
            let h = report.stats.total.latency.to_histogram();
            let (mean, var) = (h.mean(), h.stdev().powi(2));
            let k = series.iter().filter(|s| s.latency.count() > 0).count() as f64;
            let between: f64 = series
                .iter()
                .filter_map(|s| {
                    let m = s.latency.count() as f64;
                    s.latency.mean().map(|x| m * (x.as_secs_f64() * 1e6 - mean).powi(2))
                })
                .sum();
            if k > 1.0 && var > 0.0 {
                between / ((k - 1.0) * var)
            } else {
                1.0
            }
        }
        Metric::ErrorRate => proportion_dispersion(series.iter().map(|s| (s.requests as f64, s.errors as f64))),
        Metric::MinRps => {
            let counts: Vec<f64> = series.iter().map(|s| s.latency.count() as f64).collect();
            let k = counts.len() as f64;
            let mean = counts.iter().sum::<f64>() / k;
            let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (k - 1.0);
            if mean > 0.0 { var / mean } else { 1.0 }
        }
        Metric::Max | Metric::Errors => 1.0,
    };
    if phi.is_finite() { phi.max(1.0) } else { 1.0 }
}

/// The dispersion of `(mᵢ trials, aᵢ hits)` groups relative to a binomial with one common rate.
fn proportion_dispersion(groups: impl Iterator<Item = (f64, f64)>) -> f64 {
    let groups: Vec<(f64, f64)> = groups.filter(|(m, _)| *m > 0.0).collect();
    let k = groups.len() as f64;
    let (n, a): (f64, f64) = groups.iter().fold((0.0, 0.0), |(n, a), (m, h)| (n + m, a + h));
    let p = if n > 0.0 { a / n } else { 0.0 };
    if k < 2.0 || p <= 0.0 || p >= 1.0 {
        return 1.0;
    }
    let observed: f64 = groups.iter().map(|(m, h)| (h - p * m).powi(2)).sum();
    let expected: f64 = groups.iter().map(|(m, _)| m * p * (1.0 - p)).sum();
    observed / expected * k / (k - 1.0)
}

/// The q-quantile and its order-statistics interval, widened by the design effect `phi`; `None`
/// when empty.
fn quantile(latency: &Latency, q: f64, phi: f64) -> Option<Estimate> {
    let n = latency.count() as f64;
    if n < 1.0 {
        return None;
    }
    let half = Z * (phi * n * q * (1.0 - q)).sqrt();
    let (lo, hi) = ((n * q - half).floor(), (n * q + half).ceil() + 1.0);
    let at = |rank: f64| latency.percentile(rank / n * 100.0).map(|d| d.as_secs_f64());
    let bounds = if lo < 1.0 || hi > n {
        None
    } else {
        Some((at(lo)?, at(hi)?))
    };
    Some(Estimate {
        value: at(n * q)?,
        bounds,
    })
}

fn mean(latency: &Latency, phi: f64) -> Option<Estimate> {
    let n = latency.count() as f64;
    if n < 2.0 {
        return None;
    }
    let h = latency.to_histogram();
    let (m, sd) = (h.mean() / 1e6, h.stdev() / 1e6);
    let half = Z * sd * (phi / n).sqrt();
    Some(Estimate::bounded(m, (m - half).max(0.0), m + half))
}

/// The Wilson score interval of `e` errors in `n` executions.
fn wilson(e: f64, n: f64) -> Option<Estimate> {
    if n < 1.0 {
        return None;
    }
    let p = e / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Some(Estimate::bounded(p, (centre - half).max(0.0), (centre + half).min(1.0)))
}

/// How much change is accepted as noise.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Latency and throughput: a fraction of the baseline (0.05 = 5 %).
    pub relative: f64,
    /// Error rates: percentage points as a fraction (0.001 = 0.1 pp).
    pub error_points: f64,
    /// Latency changes smaller than this (seconds) are never a regression or an improvement, however
    /// significant: a sub-millisecond request that got 0.02 ms slower across two runs is the machine,
    /// not the service (`bench/compare_fp.sh` measured such shifts of 10 % between identical runs).
    pub min_latency_change: f64,
}

impl Tolerance {
    /// `stressor compare`'s defaults: 5 %, 0.1 pp, 1 ms.
    pub const DEFAULT: Tolerance = Tolerance {
        relative: 0.05,
        error_points: 0.001,
        min_latency_change: 0.001,
    };

    /// The tolerance of `metric`, in the units of `worse_by`.
    pub fn of(&self, metric: Metric) -> f64 {
        if metric == Metric::ErrorRate {
            self.error_points
        } else {
            self.relative
        }
    }
}

/// Compares a metric of a subject between two runs.
pub fn delta(
    metric: Metric,
    subject: &Subject,
    baseline: &RunReport,
    current: &RunReport,
    tolerance: Tolerance,
) -> Delta {
    let runs = [baseline, current].map(|r| (r, design_effect(metric, r)));
    delta_with(metric, subject, runs, tolerance)
}

/// [`delta`] with each run's [`design_effect`] for `metric` computed once by the caller (a comparison of
/// every activity of a run would otherwise compute it per activity).
pub fn delta_with(metric: Metric, subject: &Subject, runs: [(&RunReport, f64); 2], tolerance: Tolerance) -> Delta {
    let [(baseline, base_phi), (current, cur_phi)] = runs;
    let (base_data, cur_data) = (SubjectData::of(subject, baseline), SubjectData::of(subject, current));
    let base = estimate(metric, &base_data, baseline.elapsed, base_phi);
    let cur = estimate(metric, &cur_data, current.elapsed, cur_phi);
    let mut out = Delta {
        metric,
        baseline: base.map(|e| e.value),
        current: cur.map(|e| e.value),
        worse_by: None,
        interval: None,
        call: Call::TooNoisy,
    };
    let (Some(b), Some(c)) = (base, cur) else {
        out.call = without_value(metric, [&base_data, &cur_data]);
        return out;
    };
    // In the bad direction: slower, more errors, fewer requests per second. A rate or latency of zero
    // in the baseline has no ratio: zero against zero is no change.
    out.worse_by = match metric {
        Metric::ErrorRate => Some(c.value - b.value),
        Metric::MinRps if b.value > 0.0 => Some(1.0 - c.value / b.value),
        _ if b.value > 0.0 => Some(c.value / b.value - 1.0),
        _ if c.value == 0.0 => Some(0.0),
        _ => None,
    };
    let Some(w) = out.worse_by else {
        // From zero to something: more throughput is better, more latency worse.
        let exceeds = c.bounds.is_some_and(|(low, _)| low > 0.0);
        out.call = match (metric, exceeds) {
            (_, false) => Call::TooNoisy,
            (Metric::MinRps, true) => Call::Improved,
            (_, true) => Call::Regressed,
        };
        return out;
    };
    let interval = match (b.bounds, c.bounds) {
        (Some(bb), Some(cb)) => change_interval(metric, w, (b.value, bb), (c.value, cb)),
        _ => None,
    };
    out.interval = interval.filter(|(lo, hi)| lo.is_finite() && hi.is_finite());
    let tol = tolerance.of(metric);
    let latency = matches!(metric, Metric::Percentile(_) | Metric::Mean);
    let tiny = latency && (c.value - b.value).abs() <= tolerance.min_latency_change;
    out.call = Call::of_interval(interval, w, tol, tiny);
    out
}

/// The interval of `worse_by` (`w`) from the two runs' intervals: in log space for ratios (the
/// tighter combination, as independent estimates); where a lower bound is zero (a rate that fell to
/// nothing, a count too small to bound) and logarithms cannot be taken, the conservative ratio of
/// the bounds (`c_low / b_high` to `c_high / b_low`), so that a throughput of zero against a baseline
/// of fifty per second is a regression instead of "too noisy to tell". Bounds may be infinite.
fn change_interval(
    metric: Metric,
    w: f64,
    (b, (b_low, b_high)): (f64, (f64, f64)),
    (c, (c_low, c_high)): (f64, (f64, f64)),
) -> Option<(f64, f64)> {
    let (lo, hi) = match metric {
        // Percentage points: the difference of two independent estimates.
        Metric::ErrorRate => return Some((w - (c - c_low).hypot(b_high - b), w + (c_high - c).hypot(b - b_low))),
        _ if b_low > 0.0 && c_low > 0.0 => {
            let ln = |x: f64| x.ln();
            let down = (ln(c) - ln(c_low)).hypot(ln(b_high) - ln(b));
            let up = (ln(c_high) - ln(c)).hypot(ln(b) - ln(b_low));
            let ratio = ln(c) - ln(b);
            ((ratio - down).exp() - 1.0, (ratio + up).exp() - 1.0)
        }
        _ if b_high > 0.0 => {
            let high = if b_low > 0.0 { c_high / b_low } else { f64::INFINITY };
            (c_low / b_high - 1.0, high - 1.0)
        }
        _ => return None,
    };
    // Throughput is worse when it falls: its change interval is mirrored.
    Some(if metric == Metric::MinRps { (-hi, -lo) } else { (lo, hi) })
}

/// The call when one run has no value for a metric: a latency that had successful samples and has
/// none now regressed (as a latency threshold with no successful sample fails), the other way round
/// it improved, and neither is no change; anything else cannot be told.
fn without_value(metric: Metric, [base, cur]: [&SubjectData<'_>; 2]) -> Call {
    let latency = matches!(metric, Metric::Percentile(_) | Metric::Mean);
    let ok = |d: &SubjectData<'_>| d.timing().latency.count();
    match (latency, ok(base), ok(cur)) {
        (false, _, _) => {
            let (b, c) = (base.error_counts().0, cur.error_counts().0);
            if metric == Metric::ErrorRate && b == 0 && c == 0 {
                Call::Unchanged
            } else {
                Call::TooNoisy
            }
        }
        (true, 0, 0) => Call::Unchanged,
        (true, b, 0) if b > 0 => Call::Regressed,
        (true, 0, c) if c > 0 => Call::Improved,
        _ => Call::TooNoisy,
    }
}

/// The tolerance of an allowed change, in `worse_by` units (a relative allowance of an error rate is
/// taken relative to the baseline's rate).
pub fn allowance(change: Change, metric: Metric, baseline_value: Option<f64>) -> f64 {
    match (change, metric) {
        (Change::Points(p), _) => p,
        (Change::Relative(r), Metric::ErrorRate) => r * baseline_value.unwrap_or(0.0),
        (Change::Relative(r), _) => r,
    }
}

/// The metrics `stressor compare` reports, in order.
pub const COMPARED: [Metric; 6] = [
    Metric::Percentile(50.0),
    Metric::Percentile(95.0),
    Metric::Percentile(99.0),
    Metric::Mean,
    Metric::ErrorRate,
    Metric::MinRps,
];
