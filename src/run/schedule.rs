//! When the open model's arrivals come: the offsets from the start of the schedule, for constant or
//! Poisson arrivals, produced one at a time (never stored) and skipped in bulk.
//!
//! Skipping is what keeps an absurd rate (`1000000000/s`) from outlasting its stages: when every
//! session is busy, the driver drops all arrivals due so far with one [`Schedule::skip_until`], which
//! costs the same for ten arrivals as for a billion, instead of handling them one by one (~75 ns
//! each, minutes for a one-second stage).

use super::Shard;
use crate::scenario::{Arrivals, Stage};
use std::time::Duration;

/// Offsets from the start of the schedule at which passes arrive, in order, for constant arrivals.
///
/// Arrival *k* (from 0) comes when the expected number of arrivals so far, the integral of the rate,
/// reaches *k*; within a linear ramp that is the root of a quadratic.
pub fn arrival_offsets(stages: &[Stage]) -> Schedule<'_> {
    Schedule::new(stages, Targets::Constant { next: 0, step: 1 })
}

/// Offsets of a Poisson process whose rate follows the stages, drawn from `seed`, in order.
///
/// Time rescaling: with Λ(t) the integral of the rate, the points where Λ reaches the partial sums of
/// independent Exp(1) draws form a Poisson process of rate λ(t), homogeneous or not. So this is
/// [`arrival_offsets`] with random targets instead of 0, 1, 2..., and a ramp needs no thinning.
/// `thin` = N keeps a rate of 1/N of the stages' (targets N × the sums): what one of N shards runs, as N
/// independent Poisson processes of rate λ/N add up to one of rate λ.
pub fn poisson_offsets(stages: &[Stage], seed: u64, thin: u32) -> Schedule<'_> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let scale = f64::from(thin.max(1));
    let first = scale * exp1(&mut rng);
    Schedule::new(stages, Targets::Poisson { rng, sum: first, scale })
}

/// Constant arrivals owned by `shard`: every N-th of the whole schedule's.
pub fn shard_offsets(stages: &[Stage], shard: Shard) -> Schedule<'_> {
    let step = u64::from(shard.total.max(1));
    Schedule::new(
        stages,
        Targets::Constant {
            next: u64::from(shard.index),
            step,
        },
    )
}

/// This shard's arrival offsets, in order (see `super::shard`): constant arrivals are the whole
/// schedule's every N-th; Poisson arrivals are a process of 1/N of the rate, from the seed mixed with
/// the shard's index so shards draw different gaps.
pub(super) fn schedule(stages: &[Stage], arrivals: Arrivals, shard: Shard) -> Schedule<'_> {
    match arrivals {
        Arrivals::Constant => shard_offsets(stages, shard),
        Arrivals::Poisson { seed } => {
            // `drive` has put the seed in (drawing one when the file has none).
            let seed = seed.unwrap_or_default();
            let seed = seed.wrapping_add(u64::from(shard.index).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            poisson_offsets(stages, seed, shard.total)
        }
    }
}

/// The values of the integral of the rate at which arrivals come.
enum Targets {
    /// `next`, `next + step`, ...
    Constant { next: u64, step: u64 },
    /// Partial sums of `scale` × Exp(1) draws; `sum` is the next one.
    Poisson { rng: fastrand::Rng, sum: f64, scale: f64 },
}

/// Above this many skipped Poisson arrivals, their number is drawn (normal approximation) instead of
/// counted one by one.
const COUNTED_SKIPS: u64 = 1024;

impl Targets {
    fn peek(&self) -> f64 {
        match self {
            Targets::Constant { next, .. } => *next as f64,
            Targets::Poisson { sum, .. } => *sum,
        }
    }

    fn advance(&mut self) {
        match self {
            Targets::Constant { next, step } => *next += *step,
            Targets::Poisson { rng, sum, scale } => *sum += *scale * exp1(rng),
        }
    }

    /// Moves past every target `<= m` (`< m` when `strict`); returns how many there were.
    fn skip_past(&mut self, m: f64, strict: bool) -> u64 {
        match self {
            Targets::Constant { next, step } => {
                let last = if strict { m.ceil() - 1.0 } else { m.floor() };
                if last < *next as f64 {
                    return 0;
                }
                let skipped = (last as u64 - *next) / *step + 1;
                *next += skipped * *step;
                skipped
            }
            Targets::Poisson { rng, sum, scale } => {
                let mut skipped = 0;
                while *sum <= m && skipped < COUNTED_SKIPS {
                    *sum += *scale * exp1(rng);
                    skipped += 1;
                }
                if *sum <= m {
                    // The number of points in (sum, m] is Poisson with mean (m − sum) / scale, about
                    // normal at these sizes; the process starts afresh at m (it has no memory).
                    let mean = (m - *sum) / *scale;
                    let z = standard_normal(rng);
                    skipped += 1 + (mean + mean.sqrt() * z).round().max(0.0) as u64;
                    *sum = m + *scale * exp1(rng);
                }
                skipped
            }
        }
    }
}

/// An Exp(1) draw; 1 − U is in (0, 1], so its logarithm is finite.
fn exp1(rng: &mut fastrand::Rng) -> f64 {
    -(1.0 - rng.f64()).ln()
}

/// A standard normal draw (Box–Muller).
fn standard_normal(rng: &mut fastrand::Rng) -> f64 {
    (-2.0 * (1.0 - rng.f64()).ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos()
}

/// The arrival offsets of one schedule, in order, until the stages end.
pub struct Schedule<'a> {
    stages: &'a [Stage],
    targets: Targets,
    /// The integral of the rate over the stages before `stage`.
    before: f64,
    /// Where `stage` starts, in seconds.
    stage_start: f64,
    /// The stage the next arrival is in.
    stage: usize,
}

impl<'a> Schedule<'a> {
    fn new(stages: &'a [Stage], targets: Targets) -> Self {
        Schedule {
            stages,
            targets,
            before: 0.0,
            stage_start: 0.0,
            stage: 0,
        }
    }

    /// How long the stages last together.
    pub fn end(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }

    /// The rates at the start and end of stage `i` and its length in seconds.
    fn stage_shape(&self, i: usize) -> (f64, f64, f64) {
        let s = &self.stages[i];
        let r0 = if i == 0 { s.rate } else { self.stages[i - 1].rate };
        (r0, s.rate, s.duration.as_secs_f64())
    }

    /// Moves past every arrival due at or before `t` (from the start of the schedule) without yielding
    /// it; returns how many there were. Costs the same however many there are.
    pub fn skip_until(&mut self, t: Duration) -> u64 {
        let t = t.as_secs_f64();
        // The integral of the rate up to `t`, from the stage of the next arrival on.
        let (mut before, mut start) = (self.before, self.stage_start);
        let mut i = self.stage;
        let mut m = None;
        while i < self.stages.len() {
            let (r0, r1, d) = self.stage_shape(i);
            if t < start + d {
                let tau = (t - start).max(0.0);
                let slope = if d > 0.0 { (r1 - r0) / d } else { 0.0 };
                m = Some(before + r0 * tau + slope * tau * tau / 2.0);
                break;
            }
            before += (r0 + r1) / 2.0 * d;
            start += d;
            i += 1;
        }
        // Past the last stage, every remaining arrival is due: those below the whole integral.
        match m {
            Some(m) => self.targets.skip_past(m, false),
            None => self.targets.skip_past(before, true),
        }
    }
}

impl Iterator for Schedule<'_> {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let m_total = self.targets.peek();
        while self.stage < self.stages.len() {
            let (r0, r1, d) = self.stage_shape(self.stage);
            let slope = if d > 0.0 { (r1 - r0) / d } else { 0.0 };
            let m = m_total - self.before;
            // Solve r0·t + slope·t²/2 = m for the smallest t ≥ 0.
            let t = if slope.abs() < 1e-12 {
                (r0 > 0.0).then(|| m / r0)
            } else {
                let disc = r0 * r0 + 2.0 * slope * m;
                (disc >= 0.0).then(|| (-r0 + disc.sqrt()) / slope).filter(|t| *t >= 0.0)
            };
            match t {
                Some(t) if t < d => {
                    self.targets.advance();
                    return Some(Duration::from_secs_f64(self.stage_start + t));
                }
                _ => {
                    self.before += (r0 + r1) / 2.0 * d;
                    self.stage_start += d;
                    self.stage += 1;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(rate: f64, secs: f64) -> Stage {
        Stage {
            rate,
            duration: Duration::from_secs_f64(secs),
        }
    }

    /// Skipping to a time passes exactly the arrivals iterating would have yielded up to it.
    #[test]
    fn a_skip_passes_the_arrivals_due_and_no_more() {
        let stages = [stage(10.0, 1.0), stage(30.0, 2.0)];
        for shard in [Shard::WHOLE, Shard { index: 1, total: 3 }] {
            for cut in [0.0, 0.05, 0.5, 1.0, 1.7, 2.999, 3.0, 10.0] {
                let all: Vec<Duration> = shard_offsets(&stages, shard).collect();
                let mut schedule = shard_offsets(&stages, shard);
                let skipped = schedule.skip_until(Duration::from_secs_f64(cut));
                let due = all.iter().filter(|d| d.as_secs_f64() <= cut).count() as u64;
                assert_eq!(skipped, due, "{shard:?} at {cut}");
                let rest: Vec<Duration> = schedule.collect();
                assert_eq!(rest, all[due as usize..], "{shard:?} at {cut}");
            }
        }
    }

    /// Issue 27: a billion arrivals a second are skipped in one step, not one by one.
    #[test]
    fn an_absurd_rate_is_skipped_in_bulk() {
        let stages = [stage(1e9, 1.0)];
        let mut schedule = arrival_offsets(&stages);
        assert_eq!(schedule.next(), Some(Duration::ZERO));
        let started = std::time::Instant::now();
        assert_eq!(schedule.skip_until(Duration::from_millis(250)), 250_000_000);
        assert_eq!(schedule.skip_until(Duration::from_secs(5)), 750_000_000 - 1);
        assert_eq!(schedule.next(), None);
        let mut poisson = poisson_offsets(&stages, 3, 1);
        let skipped = poisson.skip_until(Duration::from_secs(2));
        assert!((999_000_000..1_001_000_000).contains(&skipped), "{skipped}");
        assert_eq!(poisson.next(), None);
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    #[test]
    fn a_poisson_skip_counts_exactly_when_few_are_due() {
        let stages = [stage(100.0, 10.0)];
        let all: Vec<Duration> = poisson_offsets(&stages, 9, 1).collect();
        let mut schedule = poisson_offsets(&stages, 9, 1);
        let skipped = schedule.skip_until(Duration::from_secs(2));
        let due = all.iter().filter(|d| d.as_secs_f64() <= 2.0).count() as u64;
        assert_eq!(skipped, due);
        assert_eq!(schedule.next(), all.get(due as usize).copied());
    }

    fn offsets(stages: &[Stage]) -> Vec<f64> {
        arrival_offsets(stages).map(|d| d.as_secs_f64()).collect()
    }

    #[test]
    fn a_single_stage_is_a_constant_rate() {
        let got = offsets(&[stage(10.0, 1.0)]);
        assert_eq!(got.len(), 10);
        for (k, t) in got.iter().enumerate() {
            assert!((t - k as f64 / 10.0).abs() < 1e-9, "{k}: {t}");
        }
    }

    #[test]
    fn later_stages_ramp_from_the_previous_rate() {
        // 0/s for 1 s (no arrival), then 0 → 20/s over 2 s: 20 arrivals in the ramp, arrival m at
        // sqrt(m / 5) s into it (N(t) = 5 t²).
        let got = offsets(&[stage(0.0, 1.0), stage(20.0, 2.0)]);
        assert_eq!(got.len(), 20, "{got:?}");
        for (m, t) in got.iter().enumerate() {
            let want = 1.0 + (m as f64 / 5.0).sqrt();
            assert!((t - want).abs() < 1e-9, "{m}: {t} vs {want}");
        }
        // Then a constant stage at the last rate continues without a gap.
        let got = offsets(&[stage(10.0, 1.0), stage(10.0, 1.0)]);
        assert_eq!(got.len(), 20);
        assert!((got[10] - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_ramp_down_ends_at_its_stage() {
        // 10/s → 0/s over 2 s: N(2) = 10 arrivals, the last ones further apart.
        let got = offsets(&[stage(10.0, 0.0), stage(0.0, 2.0)]);
        assert_eq!(got.len(), 10, "{got:?}");
        assert!(got.windows(2).all(|w| w[1] > w[0]));
        assert!(*got.last().unwrap() < 2.0);
    }

    /// Kolmogorov–Smirnov statistic of `xs` against the Exp(1) distribution.
    fn ks_exp1(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = 1.0 - (-x).exp();
                (f - i as f64 / n).max((i + 1) as f64 / n - f)
            })
            .fold(0.0, f64::max)
    }

    /// The KS critical value at α = 0.01 for `n` samples (asymptotic, √(−ln(0.005)/2) / √n; n is in the
    /// thousands here).
    fn ks_critical(n: usize) -> f64 {
        1.628 / (n as f64).sqrt()
    }

    /// Gaps between consecutive points, the first from 0.
    fn gaps(points: &[f64]) -> Vec<f64> {
        let mut prev = 0.0;
        points
            .iter()
            .map(|&p| {
                let g = p - prev;
                prev = p;
                g
            })
            .collect()
    }

    fn poisson(stages: &[Stage], seed: u64) -> Vec<f64> {
        poisson_offsets(stages, seed, 1).map(|d| d.as_secs_f64()).collect()
    }

    #[test]
    fn poisson_gaps_at_a_constant_rate_pass_ks_against_the_exponential() {
        // 50/s for 60 s: ~3,000 arrivals; gaps × rate are Exp(1).
        let got = poisson(&[stage(50.0, 60.0)], 42);
        let n = got.len();
        // Poisson count: mean 3,000, sd ~55; 5 sd either way.
        assert!((2725..=3275).contains(&n), "{n} arrivals");
        let d = ks_exp1(gaps(&got).iter().map(|g| g * 50.0).collect());
        assert!(d < ks_critical(n), "KS D = {d:.4} ≥ {:.4}", ks_critical(n));
        // The same test rejects evenly spaced arrivals and gaps of the wrong rate, so it can fail.
        let even = offsets(&[stage(50.0, 60.0)]);
        let d = ks_exp1(gaps(&even).iter().map(|g| g * 50.0).collect());
        assert!(d > ks_critical(even.len()), "constant arrivals passed: D = {d:.4}");
        let d = ks_exp1(gaps(&got).iter().map(|g| g * 40.0).collect());
        assert!(d > ks_critical(n), "gaps at 50/s passed as 40/s: D = {d:.4}");
    }

    #[test]
    fn poisson_on_a_ramp_is_exponential_after_time_rescaling() {
        // 0 → 100/s over 60 s: Λ(t) = 100 t² / 120, ~3,000 arrivals, and Λ(t_k) − Λ(t_k−1) are Exp(1).
        let stages = [stage(0.0, 0.0), stage(100.0, 60.0)];
        let big_lambda = |t: f64| 100.0 * t * t / 120.0;
        let got = poisson(&stages, 7);
        let n = got.len();
        assert!((2725..=3275).contains(&n), "{n} arrivals");
        let rescaled: Vec<f64> = got.iter().map(|&t| big_lambda(t)).collect();
        let d = ks_exp1(gaps(&rescaled));
        assert!(d < ks_critical(n), "KS D = {d:.4} ≥ {:.4}", ks_critical(n));
        // More arrivals in the last half (rate 50 → 100) than in the first (0 → 50): 3 to 1.
        let late = got.iter().filter(|&&t| t >= 30.0).count() as f64;
        assert!(
            (late / n as f64 - 0.75).abs() < 0.05,
            "{late} of {n} in the second half"
        );
        // Read as a homogeneous process at the mean rate, the same points fail.
        let d = ks_exp1(gaps(&got).iter().map(|g| g * 50.0).collect());
        assert!(d > ks_critical(n), "a ramp passed as a constant rate: D = {d:.4}");
    }

    #[test]
    fn a_seed_gives_the_same_poisson_schedule() {
        let stages = [stage(20.0, 5.0)];
        assert_eq!(poisson(&stages, 1), poisson(&stages, 1));
        assert_ne!(poisson(&stages, 1), poisson(&stages, 2));
        let a: Vec<_> = schedule(&stages, Arrivals::Poisson { seed: Some(9) }, Shard::WHOLE).collect();
        let b: Vec<_> = schedule(&stages, Arrivals::Poisson { seed: Some(9) }, Shard::WHOLE).collect();
        assert_eq!(a, b);
        assert!(!a.is_empty());
    }

    #[test]
    fn poisson_shards_add_up_to_the_whole_rate() {
        // 4 shards of 50/s for 60 s, each a process of 12.5/s from its own seed: together a Poisson
        // process of 50/s.
        let stages = [stage(50.0, 60.0)];
        let mut all: Vec<f64> = (0..4)
            .flat_map(|index| {
                let shard = Shard { index, total: 4 };
                schedule(&stages, Arrivals::Poisson { seed: Some(3) }, shard)
                    .map(|d| d.as_secs_f64())
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort_by(f64::total_cmp);
        let n = all.len();
        assert!((2725..=3275).contains(&n), "{n} arrivals");
        let d = ks_exp1(gaps(&all).iter().map(|g| g * 50.0).collect());
        assert!(d < ks_critical(n), "KS D = {d:.4} ≥ {:.4}", ks_critical(n));
    }
}
