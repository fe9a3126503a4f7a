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
//!   the run inconclusive, because the load asked for was not produced. The driver then waits for a
//!   session to come free and drops every arrival due meanwhile in bulk ([`Schedule::skip_until`]),
//!   so no rate, however absurd, makes a run outlast its stages.
//! - Each activity and pass is recorded twice: service time from its actual start, and response
//!   time from its intended start (the arrival time), so queueing in the generator shows.

pub use super::schedule::{Schedule, arrival_offsets, poisson_offsets};

use super::RunEnv;
use super::event::RunEvent;
use super::schedule::schedule;
use super::session::{PassEnd, Session};
use crate::scenario::{Arrivals, Stage};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::task::JoinSet;

/// Waits until a busy session is done (and returns it), the schedule ends or a stop is requested.
async fn free_session(
    busy: &mut JoinSet<Pooled>,
    interrupt: &mut crate::activity::Interrupt,
    end: Instant,
) -> Option<Pooled> {
    let until_end = end.saturating_duration_since(Instant::now());
    if busy.is_empty() {
        interrupt.sleep(until_end).await;
        return None;
    }
    tokio::select! {
        done = busy.join_next() => done.and_then(Result::ok),
        _ = interrupt.sleep(until_end) => None,
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
    let mut schedule = schedule(&stages, arrivals, shard);
    let schedule_end = start + schedule.end();
    while let Some(offset) = schedule.next() {
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
                // Every session is busy: this arrival and every one due until a session is free again
                // are dropped, counted at once.
                if let Some(p) = free_session(&mut busy, &mut interrupt, schedule_end).await {
                    give_back(p, &mut idle);
                }
                let more = schedule.skip_until(Instant::now().saturating_duration_since(start));
                counts.scheduled.fetch_add(more, Ordering::Relaxed);
                counts.dropped.fetch_add(1 + more, Ordering::Relaxed);
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
