//! The open model (`load.model: arrival-rate`): passes start on a schedule, whether or not earlier
//! ones finished, on sessions taken from a pool of at most `load.max_sessions`.
//!
//! Decisions (also in the manual, docs/src/reference/load.md):
//! - The first stage runs at its own rate from the start; each later stage ramps linearly from the
//!   previous stage's rate to its own. So one stage is a constant rate, and `{rate: 0/s}` then
//!   `{rate: 100/s}` is a ramp from zero.
//! - `arrivals: constant` spaces arrivals evenly (the first at once); `arrivals: poisson` makes them a
//!   Poisson process at the same rate, by time rescaling (see [`poisson_offsets`]), seeded by `seed`.
//! - An arrival runs one pass of every scenario item except `init` and `end`, in order.
//! - Sessions are created on demand, up to `max_sessions`; a new session runs `init` first (its
//!   time counts into that arrival's response time, as the arrival waited for it). When `init`
//!   fails, the arrival's pass is skipped and the session tries `init` again on its next arrival.
//!   Every session that completed `init` runs `end` once, after the schedule.
//! - An arrival that finds every session busy is dropped and counted; any dropped arrival makes
//!   the run inconclusive, because the load asked for was not produced.
//! - Each activity and pass is recorded twice: service time from its actual start, and response
//!   time from its intended start (the arrival time), so queueing in the generator shows.

use super::RunEnv;
use super::Shard;
use super::event::RunEvent;
use super::session::{PassEnd, Session};
use crate::scenario::{Arrivals, Stage};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Offsets from the start of the schedule at which passes arrive, in order, for constant arrivals.
///
/// Arrival *k* (from 0) comes when the expected number of arrivals so far, the integral of the rate,
/// reaches *k*; within a linear ramp that is the root of a quadratic.
pub fn arrival_offsets(stages: &[Stage]) -> impl Iterator<Item = Duration> + '_ {
    offsets_at(stages, (0u64..).map(|k| k as f64))
}

/// Offsets of a Poisson process whose rate follows the stages, drawn from `seed`, in order.
///
/// Time rescaling: with Λ(t) the integral of the rate, the points where Λ reaches the partial sums of
/// independent Exp(1) draws form a Poisson process of rate λ(t), homogeneous or not. So this is
/// [`arrival_offsets`] with random targets instead of 0, 1, 2..., and a ramp needs no thinning.
/// `thin` = N keeps a rate of 1/N of the stages' (targets N × the sums): what one of N shards runs, as N
/// independent Poisson processes of rate λ/N add up to one of rate λ.
pub fn poisson_offsets(stages: &[Stage], seed: u64, thin: u32) -> impl Iterator<Item = Duration> + '_ {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut sum = 0f64;
    let scale = f64::from(thin.max(1));
    // 1 − U is in (0, 1], so its logarithm is finite.
    offsets_at(
        stages,
        std::iter::repeat_with(move || {
            sum += -scale * (1.0 - rng.f64()).ln();
            sum
        }),
    )
}

/// The offsets at which the integral of the rate reaches each of `targets` (non-decreasing), until
/// the stages end.
fn offsets_at<'a>(stages: &'a [Stage], targets: impl Iterator<Item = f64> + 'a) -> impl Iterator<Item = Duration> + 'a {
    let mut targets = targets.peekable();
    // Arrivals before the current stage, and where it starts.
    let (mut before, mut stage_start, mut stage) = (0f64, 0f64, 0usize);
    std::iter::from_fn(move || {
        let &m_total = targets.peek()?;
        while stage < stages.len() {
            let s = &stages[stage];
            let r0 = if stage == 0 { s.rate } else { stages[stage - 1].rate };
            let (r1, d) = (s.rate, s.duration.as_secs_f64());
            let slope = if d > 0.0 { (r1 - r0) / d } else { 0.0 };
            let m = m_total - before;
            // Solve r0·t + slope·t²/2 = m for the smallest t ≥ 0.
            let t = if slope.abs() < 1e-12 {
                (r0 > 0.0).then(|| m / r0)
            } else {
                let disc = r0 * r0 + 2.0 * slope * m;
                (disc >= 0.0).then(|| (-r0 + disc.sqrt()) / slope).filter(|t| *t >= 0.0)
            };
            match t {
                Some(t) if t < d => {
                    targets.next();
                    return Some(Duration::from_secs_f64(stage_start + t));
                }
                _ => {
                    before += (r0 + r1) / 2.0 * d;
                    stage_start += d;
                    stage += 1;
                }
            }
        }
        None
    })
}

/// This shard's arrival offsets, in order (see `super::shard`): constant arrivals are the whole
/// schedule's every N-th; Poisson arrivals are a process of 1/N of the rate, from the seed mixed with
/// the shard's index so shards draw different gaps.
fn schedule(stages: &[Stage], arrivals: Arrivals, shard: Shard) -> Box<dyn Iterator<Item = Duration> + Send + '_> {
    match arrivals {
        Arrivals::Constant => Box::new(
            arrival_offsets(stages)
                .enumerate()
                .filter(move |(k, _)| shard.owns(*k))
                .map(|(_, offset)| offset),
        ),
        Arrivals::Poisson { seed } => {
            // `drive` has put the seed in (drawing one when the file has none).
            let seed = seed.unwrap_or_default();
            let seed = seed.wrapping_add(u64::from(shard.index).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            Box::new(poisson_offsets(stages, seed, shard.total))
        }
    }
}

/// What the schedule did, for the report.
#[derive(Debug, Default)]
pub struct ArrivalCounts {
    /// Arrivals due so far.
    pub scheduled: AtomicU64,
    /// Arrivals that found every session busy.
    pub dropped: AtomicU64,
    /// Sessions created.
    pub sessions: AtomicU64,
    /// The seed of each Poisson schedule (`load.seed`, or the one drawn), workloads in start order.
    pub seeds: std::sync::Mutex<Vec<u64>>,
}

/// A pooled session and what it has done.
struct Pooled {
    session: Session,
    initialized: bool,
    passes: u64,
    created: Instant,
    /// Its `unique` feeder ran out: it takes no more arrivals (its `end` still runs).
    retired: bool,
}

/// Runs a workload's schedule until it ends or a stop request, then waits for the passes in flight and
/// runs `end` on every session that completed `init`. `counts` may be shared by several workloads; the
/// pool of `max_sessions` is this workload's own.
pub async fn drive(
    env: Arc<RunEnv>,
    workload: usize,
    stages: Vec<Stage>,
    arrivals: Arrivals,
    max_sessions: usize,
    counts: Arc<ArrivalCounts>,
) {
    let scenario = env.plan.scenario.clone();
    let view = scenario.workload_view(workload);
    let main = env.plan.pass_sequences(workload);
    let (init, end) = (
        env.plan.special_sequence(workload, "init"),
        env.plan.special_sequence(workload, "end"),
    );
    let users = &view.sessions.users;
    let mut created = 0;
    let mut idle: Vec<Pooled> = Vec::new();
    let mut retired: Vec<Pooled> = Vec::new();
    let mut busy: JoinSet<Pooled> = JoinSet::new();
    // A finished pass gives its session back, unless the session retired.
    let mut give_back = |p: Pooled, idle: &mut Vec<Pooled>| {
        if p.retired {
            retired.push(p);
        } else {
            idle.push(p);
        }
    };
    let mut interrupt = env.control.interrupt(false);
    let shard = env.options.shard.unwrap_or(super::Shard::WHOLE);
    // A Poisson schedule without a seed draws one here, so the report can say which (a run worth
    // repeating is repeated with `load.seed` set to it).
    let arrivals = match arrivals {
        Arrivals::Poisson { seed } => {
            let seed = seed.unwrap_or_else(|| {
                // Below 2^53: the seed is printed to be written back as `load.seed`, which YAML reads as a
                // signed 64-bit integer, and JSON readers that use doubles (JavaScript) keep it exact.
                let drawn = fastrand::u64(..1 << 53);
                tracing::info!(seed = drawn, "Poisson arrivals drawn from a new seed");
                drawn
            });
            counts
                .seeds
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(seed);
            // Workloads sharing the file's seed must not draw the same gaps: mixed with the workload's
            // index (0, a file without workloads, keeps the seed as written).
            let mixed = seed.wrapping_add((workload as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            Arrivals::Poisson { seed: Some(mixed) }
        }
        constant => constant,
    };
    let start = Instant::now() + view.start_after;
    for offset in schedule(&stages, arrivals, shard) {
        let due = start + offset;
        let wait = due.saturating_duration_since(Instant::now());
        if (!wait.is_zero() && !interrupt.sleep(wait).await) || env.control.stopping() {
            break;
        }
        counts.scheduled.fetch_add(1, Ordering::Relaxed);
        while let Some(done) = busy.try_join_next() {
            if let Ok(p) = done {
                give_back(p, &mut idle);
            }
        }
        let mut pooled = match idle.pop() {
            Some(p) => p,
            None if created < max_sessions => {
                counts.sessions.fetch_add(1, Ordering::Relaxed);
                // Numbered across shards (shard s of N gets s, s + N, s + 2N...), so ids do not collide.
                let global = created * shard.total as usize + shard.index as usize;
                created += 1;
                let session = Session::new(workload, global, &users[global % users.len()], &env);
                let (id, user) = session.identity();
                env.emit(|| RunEvent::SessionStarted { session_id: id, user });
                env.recorder.sessions_changed(1);
                Pooled {
                    session,
                    initialized: init.is_none(),
                    passes: 0,
                    created: Instant::now(),
                    retired: false,
                }
            }
            None => {
                counts.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let env = env.clone();
        let main = main.clone();
        busy.spawn(async move {
            if let Some(init) = init.filter(|_| !pooled.initialized) {
                let errors = pooled.session.errors();
                let end = pooled.session.run_pass(init, 1, false, Some(due), &env).await;
                pooled.initialized = pooled.session.errors() == errors && end != PassEnd::Stopped;
                pooled.retired = end == PassEnd::Exhausted;
                if !pooled.initialized || pooled.retired {
                    return pooled;
                }
            }
            pooled.passes += 1;
            for &seq in main.iter() {
                match pooled
                    .session
                    .run_pass(seq, pooled.passes, false, Some(due), &env)
                    .await
                {
                    PassEnd::Completed => {}
                    PassEnd::Stopped => break,
                    PassEnd::Exhausted => {
                        pooled.retired = true;
                        break;
                    }
                }
            }
            pooled
        });
    }
    while let Some(done) = busy.join_next().await {
        if let Ok(p) = done {
            give_back(p, &mut idle);
        }
    }
    let mut ending = JoinSet::new();
    for mut p in idle.into_iter().chain(retired) {
        let env = env.clone();
        ending.spawn(async move {
            if let Some(end) = end.filter(|_| p.initialized && !env.control.hard_stopped()) {
                p.session.run_pass(end, 1, true, None, &env).await;
            }
            env.recorder.sessions_changed(-1);
            let (session_id, _) = p.session.identity();
            env.emit(|| RunEvent::SessionFinished {
                session_id,
                elapsed: p.created.elapsed(),
                errors: p.session.errors(),
            });
        });
    }
    while ending.join_next().await.is_some() {}
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
