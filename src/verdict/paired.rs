//! A and B measured at the same moments (`stressor ab`): the paired test over rounds.
//!
//! # Why paired
//!
//! On a shared machine the noise (another job's build, a CPU hog, a throttled core) changes latency
//! by far more than the changes a gate is meant to catch, and it changes between two runs measured
//! one after the other. Measured *at the same moments*, A and B see the same noise, and what differs
//! between them in one round is the services and the sampling, not the machine. So the unit of
//! evidence is the round: per round, one value of each metric for A and one for B, and one
//! difference between them (the log of the ratio for latencies and throughput, percentage points for
//! error rates). The machine's ups and downs move both values of a round together and cancel in the
//! difference. (tango-bench pairs the two versions of a function the same way.)
//!
//! # The test
//!
//! Over the rounds' differences d₁…dₙ:
//!
//! - **Estimate**: the Hodges–Lehmann estimator, the median of the n(n+1)/2 Walsh averages
//!   (dᵢ + dⱼ)/2, i ≤ j. It is the shift a signed-rank test sees, robust to a round that a burst of
//!   noise hit harder on one side (a mean would follow it).
//! - **Interval**: the distribution-free interval that inverts the Wilcoxon signed-rank test: the
//!   (c+1)-th smallest and the (c+1)-th largest Walsh average, where c is the largest count with
//!   P(T ≤ c) ≤ α/2 for the signed-rank statistic T of n differences (exact for n ≤ 300, from its
//!   distribution computed by counting; the normal approximation beyond). It assumes only that the
//!   differences are independent between rounds and symmetric about the true shift, which holds
//!   exactly when A and B are the same service (exchangeable sides), so the rate of false alarms
//!   does not depend on how noisy the machine is.
//! - **Level**: 99.5 %, as `stressor compare`'s intervals ([`super::baseline`]); at least 9 rounds
//!   are needed for an interval at that level (2⁻⁹ < 0.25 %), fewer give `too noisy to tell`.
//!
//! The call is `stressor compare`'s ([`Call`]): regressed when the whole interval is worse than no
//! change and the estimate is worse than the tolerance; improved the other way; unchanged when the
//! estimate is within the tolerance (or, for a latency, the change is below
//! [`Tolerance::min_latency_change`]); too noisy to tell otherwise.

use super::baseline::{Call, Delta, Tolerance};
use super::collect::Subject;
use super::evaluate::SubjectData;
use crate::run::RunReport;
use crate::scenario::Metric;

/// The two-sided confidence level's α: a 99.5 % interval, as `stressor compare`'s.
pub const ALPHA: f64 = 0.005;

/// Rounds with a value on both sides below which no interval can be had at [`ALPHA`].
pub const MIN_ROUNDS: usize = 9;

/// A and B measured at the same moments, round by round: what [`delta`] judges.
#[derive(Clone, Debug, Default)]
pub struct Paired {
    /// The baseline (A) over every judged round together: the values tables show beside the
    /// candidate's.
    pub baseline: RunReport,
    /// Per round, `[A, B]`: each report's `stats` hold only that round's measurements and its
    /// `elapsed` is the round's length.
    pub rounds: Vec<[RunReport; 2]>,
}

/// The shift between paired samples: the Hodges–Lehmann estimate and its signed-rank interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    /// The median of the Walsh averages.
    pub estimate: f64,
    /// The interval at `1 − α`; `None` with too few differences to bound it.
    pub interval: Option<(f64, f64)>,
}

/// The shift of `differences` (B minus A, one per round) at a two-sided level of `1 − alpha`; `None`
/// when there is none.
pub fn shift(differences: &[f64], alpha: f64) -> Option<Shift> {
    let d: Vec<f64> = differences.iter().copied().filter(|x| x.is_finite()).collect();
    let n = d.len();
    if n == 0 {
        return None;
    }
    let mut walsh = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            walsh.push((d[i] + d[j]) / 2.0);
        }
    }
    walsh.sort_by(f64::total_cmp);
    let m = walsh.len();
    let estimate = if m % 2 == 1 {
        walsh[m / 2]
    } else {
        (walsh[m / 2 - 1] + walsh[m / 2]) / 2.0
    };
    let interval = critical(n, alpha / 2.0).map(|c| (walsh[c], walsh[m - 1 - c]));
    Some(Shift { estimate, interval })
}

/// Up to this many differences the signed-rank distribution is counted exactly (13.5 million
/// additions at most); beyond, the normal approximation is within a fraction of a percent.
const EXACT_UP_TO: usize = 300;

/// The largest c with P(T ≤ c) ≤ `tail` for the Wilcoxon signed-rank statistic T of `n` differences
/// (no zeros, no ties); `None` when even P(T = 0) = 2⁻ⁿ exceeds it.
pub fn critical(n: usize, tail: f64) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let max = n * (n + 1) / 2;
    if n > EXACT_UP_TO {
        // The normal approximation, with a continuity correction.
        let mean = max as f64 / 2.0;
        let sd = (n as f64 * (n as f64 + 1.0) * (2.0 * n as f64 + 1.0) / 24.0).sqrt();
        let c = mean - normal_quantile(1.0 - tail) * sd - 0.5;
        return (c >= 0.0).then(|| c.floor() as usize);
    }
    // counts[s]: subsets of the ranks 1..=k whose sum is s (each sign pattern is one subset).
    let mut counts = vec![0f64; max + 1];
    counts[0] = 1.0;
    for k in 1..=n {
        for s in (k..=k * (k + 1) / 2).rev() {
            counts[s] += counts[s - k];
        }
    }
    let total = 2f64.powi(n as i32);
    let mut cumulative = 0.0;
    let mut c = None;
    for (s, count) in counts.iter().enumerate() {
        cumulative += count / total;
        if cumulative > tail {
            break;
        }
        c = Some(s);
    }
    c
}

/// The standard normal quantile (Acklam's rational approximation; relative error below 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383577518672690e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// A metric's value in one report: seconds for latencies, a fraction for the error rate, successful
/// executions per second for throughput.
fn value(metric: Metric, data: &SubjectData<'_>, report: &RunReport) -> Option<f64> {
    let latency = &data.timing().latency;
    match metric {
        Metric::Percentile(q) => latency.percentile(q).map(|d| d.as_secs_f64()),
        Metric::Mean => latency.mean().map(|d| d.as_secs_f64()),
        Metric::ErrorRate => {
            let (n, e) = data.error_counts();
            (n > 0).then(|| e as f64 / n as f64)
        }
        Metric::MinRps => {
            let secs = report.elapsed.as_secs_f64();
            (secs > 0.0).then(|| data.timing().successes() as f64 / secs)
        }
        Metric::Max | Metric::Errors => None,
    }
}

/// One round's difference in the bad direction (positive is worse): the log of B / A for latencies,
/// of A / B for throughput (with half an execution added to each count, so that a round in which one
/// side completed nothing still has a finite difference), percentage points for the error rate.
fn difference(metric: Metric, subject: &Subject, [a, b]: &[RunReport; 2]) -> Option<f64> {
    let (da, db) = (SubjectData::of(subject, a), SubjectData::of(subject, b));
    match metric {
        Metric::MinRps => {
            let rate = |d: &SubjectData<'_>, r: &RunReport| {
                let secs = r.elapsed.as_secs_f64();
                (secs > 0.0).then(|| (d.timing().successes() as f64 + 0.5) / secs)
            };
            Some((rate(&da, a)? / rate(&db, b)?).ln())
        }
        Metric::ErrorRate => Some(value(metric, &db, b)? - value(metric, &da, a)?),
        _ => {
            let (va, vb) = (value(metric, &da, a)?, value(metric, &db, b)?);
            (va > 0.0 && vb > 0.0).then(|| (vb / va).ln())
        }
    }
}

/// Compares a metric of a subject between the baseline (A) and the candidate (B, `current`: every
/// judged round together) from the rounds' paired differences (see the [module documentation](self)).
pub fn delta(metric: Metric, subject: &Subject, paired: &Paired, current: &RunReport, tolerance: Tolerance) -> Delta {
    let base = value(metric, &SubjectData::of(subject, &paired.baseline), &paired.baseline);
    let cur = value(metric, &SubjectData::of(subject, current), current);
    let differences: Vec<f64> = paired
        .rounds
        .iter()
        .filter_map(|round| difference(metric, subject, round))
        .collect();
    let mut out = Delta {
        metric,
        baseline: base,
        current: cur,
        worse_by: None,
        interval: None,
        call: Call::TooNoisy,
    };
    // Without an interval (fewer than MIN_ROUNDS rounds with a value on both sides) there is no
    // evidence either way: no estimate either, so that a gate calls it too noisy, not held.
    let Some(s) = shift(&differences, ALPHA).filter(|s| s.interval.is_some()) else {
        return out;
    };
    // From the scale of the differences back to `worse_by`'s: a fraction of A's value, or points.
    let back = |d: f64| match metric {
        Metric::ErrorRate => d,
        Metric::MinRps => 1.0 - (-d).exp(),
        _ => d.exp() - 1.0,
    };
    let w = back(s.estimate);
    out.worse_by = Some(w);
    out.interval = s.interval.map(|(lo, hi)| (back(lo), back(hi)));
    let latency = matches!(metric, Metric::Percentile(_) | Metric::Mean);
    let tiny = latency && base.is_some_and(|b| (b * w).abs() <= tolerance.min_latency_change);
    let tol = tolerance.of(metric);
    out.call = match out.interval {
        _ if tiny => Call::Unchanged,
        None => Call::TooNoisy,
        Some((lo, _)) if lo > 0.0 && w > tol => Call::Regressed,
        Some((_, hi)) if hi < 0.0 && w < -tol => Call::Improved,
        Some(_) if w.abs() <= tol => Call::Unchanged,
        Some(_) => Call::TooNoisy,
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so that the simulations below repeat exactly.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        /// A heavy-tailed noise term: mostly small, now and then a burst.
        fn noise(&mut self) -> f64 {
            let u = self.next();
            let small = (self.next() - 0.5) * 0.1;
            if u < 0.1 { small + self.next() * 0.8 } else { small }
        }
    }

    #[test]
    fn critical_values_are_the_tables() {
        // Two-sided 5 % and 1 % critical values of the signed-rank statistic (Wilcoxon's table).
        assert_eq!(critical(20, 0.025), Some(52));
        assert_eq!(critical(20, 0.005), Some(37));
        assert_eq!(critical(10, 0.025), Some(8));
        assert_eq!(critical(6, 0.025), Some(0));
        assert_eq!(critical(5, 0.025), None, "2^-5 > 2.5 %");
        assert_eq!(critical(MIN_ROUNDS, ALPHA / 2.0), Some(0));
        assert_eq!(critical(MIN_ROUNDS - 1, ALPHA / 2.0), None);
        // The normal approximation continues the exact values closely.
        let exact = critical(EXACT_UP_TO, 0.0025).unwrap() as f64;
        let n = EXACT_UP_TO as f64;
        let approx = n * (n + 1.0) / 4.0 - normal_quantile(0.9975) * (n * (n + 1.0) * (2.0 * n + 1.0) / 24.0).sqrt();
        assert!((exact - approx).abs() <= exact * 0.005, "{exact} vs {approx}");
        assert!(critical(EXACT_UP_TO + 1, 0.0025).unwrap() as f64 >= exact);
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-6);
        assert!((normal_quantile(0.0025) + 2.807034).abs() < 1e-6);
    }

    #[test]
    fn identical_rounds_are_no_shift() {
        let s = shift(&[0.0; 20], ALPHA).unwrap();
        assert_eq!((s.estimate, s.interval), (0.0, Some((0.0, 0.0))));
        assert_eq!(shift(&[], ALPHA), None);
        assert_eq!(shift(&[0.1; 5], ALPHA).unwrap().interval, None, "too few rounds");
    }

    #[test]
    fn a_known_shift_is_found_through_noise_that_both_sides_share() {
        let mut rng = Rng(0x5eed);
        let mut covered = 0;
        for _ in 0..200 {
            // Each round's machine noise is common to A and B: it cancels in the log ratio; what is
            // left is sampling noise of a few percent and the 10 % shift.
            let d: Vec<f64> = (0..20)
                .map(|_| {
                    let machine = rng.noise() * 3.0;
                    let a = (0.002f64 * (1.0 + machine)).ln() + (rng.next() - 0.5) * 0.06;
                    let b = (0.0022f64 * (1.0 + machine)).ln() + (rng.next() - 0.5) * 0.06;
                    b - a
                })
                .collect();
            let s = shift(&d, ALPHA).unwrap();
            let (lo, hi) = s.interval.unwrap();
            assert!(lo > 0.0, "the shift is detected every time: {s:?}");
            covered += usize::from(lo <= 1.1f64.ln() && 1.1f64.ln() <= hi);
        }
        assert!(
            covered >= 194,
            "the 99.5 % interval holds the true shift {covered} of 200 times"
        );
    }

    #[test]
    fn exchangeable_sides_are_rarely_called_shifted() {
        // A/A: each round's difference is symmetric about zero, however heavy-tailed. The interval
        // leaves zero on the worse side in about α/2 of the runs.
        let mut rng = Rng(42);
        let runs = 4000;
        let mut worse = 0;
        for _ in 0..runs {
            let d: Vec<f64> = (0..20).map(|_| rng.noise() - rng.noise()).collect();
            if shift(&d, ALPHA).unwrap().interval.unwrap().0 > 0.0 {
                worse += 1;
            }
        }
        assert!(worse <= runs / 100, "{worse} of {runs} (expect about {})", runs / 400);
    }
}
