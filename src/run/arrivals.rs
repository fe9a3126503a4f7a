//! The open model (`load.model: arrival-rate`): passes start on a schedule, whether or not earlier
//! ones finished, on sessions taken from a pool of at most `load.max_sessions`.
//!
//! Decisions (also in the README, section `load`):
//! - The first stage runs at its own rate from the start; each later stage ramps linearly from the
//!   previous stage's rate to its own. So one stage is a constant rate, and `{rate: 0/s}` then
//!   `{rate: 100/s}` is a ramp from zero.
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
use super::event::RunEvent;
use super::session::{PassEnd, Session};
use crate::scenario::Stage;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Offsets from the start of the schedule at which passes arrive, in order.
///
/// Arrival *k* (from 0) comes when the expected number of arrivals so far, the integral of the rate,
/// reaches *k*; within a linear ramp that is the root of a quadratic.
pub fn arrival_offsets(stages: &[Stage]) -> impl Iterator<Item = Duration> + '_ {
    let mut k = 0f64;
    // Arrivals before the current stage, and where it starts.
    let (mut before, mut stage_start, mut stage) = (0f64, 0f64, 0usize);
    std::iter::from_fn(move || {
        while stage < stages.len() {
            let s = &stages[stage];
            let r0 = if stage == 0 { s.rate } else { stages[stage - 1].rate };
            let (r1, d) = (s.rate, s.duration.as_secs_f64());
            let slope = if d > 0.0 { (r1 - r0) / d } else { 0.0 };
            let m = k - before;
            // Solve r0·t + slope·t²/2 = m for the smallest t ≥ 0.
            let t = if slope.abs() < 1e-12 {
                (r0 > 0.0).then(|| m / r0)
            } else {
                let disc = r0 * r0 + 2.0 * slope * m;
                (disc >= 0.0).then(|| (-r0 + disc.sqrt()) / slope).filter(|t| *t >= 0.0)
            };
            match t {
                Some(t) if t < d => {
                    k += 1.0;
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

/// What the schedule did, for the report.
#[derive(Debug, Default)]
pub struct ArrivalCounts {
    /// Arrivals due so far.
    pub scheduled: AtomicU64,
    /// Arrivals that found every session busy.
    pub dropped: AtomicU64,
    /// Sessions created.
    pub sessions: AtomicU64,
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

/// Runs the schedule until it ends or a stop request, then waits for the passes in flight and runs
/// `end` on every session that completed `init`.
pub async fn drive(env: Arc<RunEnv>, stages: Vec<Stage>, max_sessions: usize, counts: Arc<ArrivalCounts>) {
    let scenario = env.plan.scenario.clone();
    let main: Arc<[usize]> = scenario
        .items
        .iter()
        .filter(|i| i.sequence != "init" && i.sequence != "end")
        .filter_map(|i| env.plan.sequence_pos(&i.sequence))
        .collect();
    // The position of the `init` or `end` sequence, when the scenario's items use it.
    let item = |name: &str| {
        (scenario.items.iter().any(|i| i.sequence == name))
            .then(|| env.plan.sequence_pos(name))
            .flatten()
    };
    let (init, end) = (item("init"), item("end"));
    let users = &scenario.sessions.users;
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
    let start = Instant::now();
    // Every shard walks the whole schedule and keeps every N-th arrival (see `super::shard`).
    let mine = arrival_offsets(&stages)
        .enumerate()
        .filter(|(k, _)| shard.owns(*k))
        .map(|(_, offset)| offset);
    for offset in mine {
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
        let created = counts.sessions.load(Ordering::Relaxed) as usize;
        let mut pooled = match idle.pop() {
            Some(p) => p,
            None if created < max_sessions => {
                counts.sessions.fetch_add(1, Ordering::Relaxed);
                // Numbered across shards (shard s of N gets s, s + N, s + 2N...), so ids do not collide.
                let global = created * shard.total as usize + shard.index as usize;
                let session = Session::new(global, &users[global % users.len()], &env);
                let (id, user) = session.identity();
                env.emit(|| RunEvent::SessionStarted { session_id: id, user });
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
}
