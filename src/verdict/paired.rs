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
//! - **Estimate**: their median, the shift of the typical round.
//! - **Interval**: the distribution-free interval of the median that inverts the sign test: the
//!   (k+1)-th smallest and the (k+1)-th largest difference, where k is the largest count with
//!   P(X ≤ k) ≤ α/2 for X ~ Binomial(n, ½) (computed exactly, in log space, for any n). It assumes
//!   only that the rounds are independent, and under "no change" that a round is as likely to
//!   favour A as B, which holds exactly when A and B are the same service (exchangeable sides), so
//!   the rate of false alarms does not depend on how noisy the machine is.
//! - **Why the median and the sign test**, not a mean (a t interval) or the Hodges–Lehmann shift (a
//!   signed-rank interval): on a machine whose CPU is taken away in bursts, most rounds give both
//!   sides the same share and show the true change closely, but now and then one side is starved for
//!   a round or two and its values are off by 2× to 8× (measured on `bench/noise_rig.sh`). Those rounds
//!   pull a mean and widen a signed-rank interval (every pairwise average with a wild round is wild);
//!   the sign test only counts them, so 3 wild rounds of 20 cannot hide a change the other 17 agree
//!   on. On well-behaved noise it needs about 1.5× the rounds a t interval would.
//! - **Level**: 99.5 %, as `stressor compare`'s intervals ([`super::baseline`]); at least 9 rounds
//!   are needed for an interval at that level (2⁻⁹ < 0.25 %), fewer give `too noisy to tell`. Of 20
//!   rounds, up to 3 may point the other way; of 40, up to 10.
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

/// The shift between paired samples: the median difference and its sign-test interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shift {
    /// The median difference.
    pub estimate: f64,
    /// The interval at `1 − α`; `None` with too few differences to bound it.
    pub interval: Option<(f64, f64)>,
}

/// The shift of `differences` (B minus A, one per round) at a two-sided level of `1 − alpha`; `None`
/// when there is none.
pub fn shift(differences: &[f64], alpha: f64) -> Option<Shift> {
    let mut d: Vec<f64> = differences.iter().copied().filter(|x| x.is_finite()).collect();
    let n = d.len();
    if n == 0 {
        return None;
    }
    d.sort_by(f64::total_cmp);
    let estimate = if n % 2 == 1 {
        d[n / 2]
    } else {
        (d[n / 2 - 1] + d[n / 2]) / 2.0
    };
    let interval = critical(n, alpha / 2.0).map(|k| (d[k], d[n - 1 - k]));
    Some(Shift { estimate, interval })
}

/// The largest k with P(X ≤ k) ≤ `tail` for X ~ Binomial(`n`, ½): how many of `n` rounds may point
/// the other way with the interval still on one side; `None` when even P(X = 0) = 2⁻ⁿ exceeds it.
pub fn critical(n: usize, tail: f64) -> Option<usize> {
    // ln C(n, i) − n ln 2, term by term: exact enough for any n, and no 2⁻ⁿ underflow.
    let mut ln_term = -(n as f64) * std::f64::consts::LN_2;
    let mut cumulative = 0.0;
    let mut k = None;
    for i in 0..=n / 2 {
        if i > 0 {
            ln_term += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        cumulative += ln_term.exp();
        if cumulative > tail {
            break;
        }
        k = Some(i);
    }
    k
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
        Metric::ErrorRate => Some(db.value(metric, b.elapsed)? - da.value(metric, a.elapsed)?),
        _ => {
            let (va, vb) = (da.value(metric, a.elapsed)?, db.value(metric, b.elapsed)?);
            (va > 0.0 && vb > 0.0).then(|| (vb / va).ln())
        }
    }
}

/// Compares a metric of a subject between the baseline (A) and the candidate (B, `current`: every
/// judged round together) from the rounds' paired differences (see the [module documentation](self)).
pub fn delta(metric: Metric, subject: &Subject, paired: &Paired, current: &RunReport, tolerance: Tolerance) -> Delta {
    let base = SubjectData::of(subject, &paired.baseline).value(metric, paired.baseline.elapsed);
    let cur = SubjectData::of(subject, current).value(metric, current.elapsed);
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
    out.call = Call::of_interval(out.interval, w, tol, tiny);
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
    fn critical_counts_are_the_binomial_tails() {
        // P(X <= 5) = 0.0207 and P(X <= 6) = 0.0577 for X ~ Binomial(20, 1/2).
        assert_eq!(critical(20, 0.025), Some(5));
        // P(X <= 3) = 0.0013, P(X <= 4) = 0.0059.
        assert_eq!(critical(20, ALPHA / 2.0), Some(3));
        assert_eq!(critical(40, ALPHA / 2.0), Some(10));
        assert_eq!(critical(MIN_ROUNDS, ALPHA / 2.0), Some(0), "2^-9 < 0.25 %");
        assert_eq!(critical(MIN_ROUNDS - 1, ALPHA / 2.0), None, "2^-8 > 0.25 %");
        // Thousands of rounds: near the normal approximation n/2 - z sqrt(n)/2.
        let k = critical(4000, ALPHA / 2.0).unwrap() as f64;
        assert!((k - (2000.0 - 2.807 * 4000f64.sqrt() / 2.0)).abs() < 2.0, "{k}");
    }

    #[test]
    fn a_few_wild_rounds_do_not_hide_a_change_the_others_agree_on() {
        // 17 rounds show +10 % (± 2 %), 3 rounds one side was starved: -60 %, -45 %, -70 %.
        let mut d: Vec<f64> = (0..17).map(|i| (1.10f64 + (i % 5) as f64 * 0.01 - 0.02).ln()).collect();
        d.extend([0.4f64.ln(), 0.55f64.ln(), 0.3f64.ln()]);
        let s = shift(&d, ALPHA).unwrap();
        let (lo, _) = s.interval.unwrap();
        assert!(lo > 0.0 && (s.estimate.exp() - 1.10).abs() < 0.02, "{s:?}");
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
