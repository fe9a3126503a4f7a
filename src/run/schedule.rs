//! When the open model's arrivals come: the offsets from the start of the schedule, for constant or
//! Poisson arrivals, produced one at a time (never stored) and skipped in bulk.
//!
//! Skipping is what keeps an absurd rate (`1000000000/s`) from outlasting its stages: when every
//! session is busy, the driver drops all arrivals due so far with one [`Schedule::skip_until`], which
//! costs the same for ten arrivals as for a billion, instead of handling them one by one (~75 ns
//! each, minutes for a one-second stage).

use super::Shard;
use crate::scenario::Stage;
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
}
