//! The closed model with stages (`load: {model: closed, stages: [{sessions: 50, duration: 1m}, ...]}`):
//! sessions are started and retired so that their number follows a target that ramps between stages.
//!
//! Decisions (also in the manual, docs/src/reference/load.md):
//! - The target ramps like the arrival-rate stages: the first stage holds its own count from the start,
//!   each later stage ramps linearly from the previous stage's count to its own. The number of sessions
//!   is the target rounded to the nearest whole number, so on a ramp from 0 to N over d the *k*-th session
//!   starts at (k − ½)·d/N, and on the way down the count drops by one each time the target passes a
//!   half. When the stages end, every session is retired.
//! - A session runs `init`, then loops over one pass of every scenario item except `init` and `end`
//!   (item `repeat`/`duration` do not apply: the stages decide how long sessions live), and when retired
//!   finishes the pass of the sequence it is in, then runs `end`. As in the closed model, an error in
//!   `init` skips the rest including `end`, and a stop request skips to `end`.
//! - The most recently started session is retired first; a new session always gets a new id (ids are
//!   never reused, so a session's results stay its own).
//! - Shards: slot *j* of the target (0-based) runs in shard *j* mod N, so the shards together run the
//!   target number of sessions.

use super::event::RunEvent;
use super::session::{PassEnd, Session};
use super::{RunEnv, Shard};
use crate::activity::Interrupt;
use crate::scenario::SessionStage;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The times (from the start of the schedule) at which the number of sessions changes, with the number
/// from then on, in order; the last is the end of the stages, with 0.
pub fn session_targets(stages: &[SessionStage]) -> Vec<(Duration, u32)> {
    let mut out = Vec::new();
    let Some(first) = stages.first() else {
        return out;
    };
    out.push((Duration::ZERO, first.sessions));
    let mut start = Duration::ZERO;
    let mut from = first.sessions;
    for s in stages {
        let (to, d) = (s.sessions, s.duration);
        // The count becomes k when the target, from + (to − from)·t/d, passes k − ½ going up or k + ½
        // going down.
        let at = |half: f64| start + d.mul_f64(((half - f64::from(from)) / (f64::from(to) - f64::from(from))).abs());
        if to > from {
            out.extend((from + 1..=to).map(|k| (at(f64::from(k) - 0.5), k)));
        } else {
            out.extend((to..from).rev().map(|k| (at(f64::from(k) + 0.5), k)));
        }
        start += d;
        from = to;
    }
    out.push((start, 0));
    out
}

/// Of the slots `0..target`, how many run in `shard`.
fn owned(target: u32, shard: Shard) -> usize {
    (target as usize + shard.total as usize - 1 - shard.index as usize) / shard.total as usize
}

/// Runs a workload's stages until they end or a stop request, then waits for every session to run
/// `end`. `created` counts the sessions started (the report's session count, over all workloads).
pub async fn drive(env: Arc<RunEnv>, workload: usize, stages: Vec<SessionStage>, created: Arc<AtomicU64>) {
    let shard = env.options.shard.unwrap_or(Shard::WHOLE);
    let mut interrupt = env.control.interrupt(false);
    let mut sessions: JoinSet<()> = JoinSet::new();
    // Retire signals of the live sessions, oldest first.
    let mut live: Vec<watch::Sender<bool>> = Vec::new();
    // The run's clock, which the per-second series counts from: stage boundaries fall on its seconds
    // (shifted by the workload's `start_after`).
    let start = env.started + env.plan.scenario.workload_view(workload).start_after;
    let mut made = 0;
    for (offset, target) in session_targets(&stages) {
        let wait = (start + offset).saturating_duration_since(Instant::now());
        if (!wait.is_zero() && !interrupt.sleep(wait).await) || env.control.stopping() {
            break;
        }
        // Sessions that ended on their own (a used-up feeder, an error in `init`) leave their slot
        // empty: the target counts sessions asked for, as in the closed model.
        while sessions.try_join_next().is_some() {}
        let want = owned(target, shard);
        while live.len() < want {
            created.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = watch::channel(false);
            live.push(tx);
            sessions.spawn(run_session(
                env.clone(),
                workload,
                made * shard.total as usize + shard.index as usize,
                rx,
            ));
            made += 1;
        }
        while live.len() > want {
            if let Some(tx) = live.pop() {
                let _ = tx.send(true);
            }
        }
    }
    for tx in live.drain(..).rev() {
        let _ = tx.send(true);
    }
    while sessions.join_next().await.is_some() {}
}

/// One staged session: `init`, passes until retired or stopped, `end`.
async fn run_session(env: Arc<RunEnv>, workload: usize, index: usize, retire: watch::Receiver<bool>) {
    let users = &env.plan.scenario.workload_view(workload).sessions.users;
    let mut session = Session::new(workload, index, &users[index % users.len()], &env);
    let (session_id, user) = session.identity();
    env.emit(|| RunEvent::SessionStarted {
        session_id: session_id.clone(),
        user,
    });
    env.recorder.sessions_changed(1);
    let created = Instant::now();
    let mut retire = Interrupt::new(retire);
    let main = env.plan.pass_sequences(workload);
    let (init, end) = (
        env.plan.special_sequence(workload, "init"),
        env.plan.special_sequence(workload, "end"),
    );
    let mut go_on = true;
    if let Some(init) = init {
        let errors = session.errors();
        let ended = session.run_pass(init, 1, false, None, &env).await;
        if session.errors() > errors {
            finish(&env, &session, session_id, created);
            return;
        }
        go_on = ended == PassEnd::Completed;
    }
    let mut pass = 0;
    'passes: while go_on {
        pass += 1;
        if main.is_empty() {
            // Nothing to loop over: the session lives until retired or stopped.
            let mut stop = env.control.interrupt(false);
            tokio::select! {
                () = retire.wait() => {}
                () = stop.wait() => {}
            }
            break;
        }
        for &seq in main.iter() {
            if retire.fired() || env.control.stopping() {
                break 'passes;
            }
            go_on = session.run_pass(seq, pass, false, None, &env).await == PassEnd::Completed;
            if !go_on {
                break;
            }
        }
    }
    if let Some(end) = end.filter(|_| !env.control.hard_stopped()) {
        session.run_pass(end, 1, true, None, &env).await;
    }
    finish(&env, &session, session_id, created);
}

fn finish(env: &RunEnv, session: &Session, session_id: String, created: Instant) {
    env.recorder.sessions_changed(-1);
    env.emit(|| RunEvent::SessionFinished {
        session_id,
        elapsed: created.elapsed(),
        errors: session.errors(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(sessions: u32, secs: u64) -> SessionStage {
        SessionStage {
            sessions,
            duration: Duration::from_secs(secs),
        }
    }

    fn secs(targets: &[(Duration, u32)]) -> Vec<(f64, u32)> {
        targets.iter().map(|(d, n)| (d.as_secs_f64(), *n)).collect()
    }

    #[test]
    fn the_count_follows_the_target_rounded() {
        // Hold 2 for 10 s, ramp to 4 over 4 s, ramp to 0 over 8 s.
        let got = secs(&session_targets(&[stage(2, 10), stage(4, 4), stage(0, 8)]));
        let want = [
            (0.0, 2),
            (11.0, 3),
            (13.0, 4),
            (15.0, 3),
            (17.0, 2),
            (19.0, 1),
            (21.0, 0),
            (22.0, 0),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((t, n), (wt, wn)) in got.iter().zip(want) {
            assert!((t - wt).abs() < 1e-9 && *n == wn, "{got:?}");
        }
    }

    #[test]
    fn a_first_stage_of_zero_ramps_from_zero() {
        let got = secs(&session_targets(&[stage(0, 0), stage(2, 4)]));
        assert_eq!(got, [(0.0, 0), (1.0, 1), (3.0, 2), (4.0, 0)]);
    }

    #[test]
    fn shards_split_the_slots() {
        let shards = |target| {
            (0..3)
                .map(|index| owned(target, Shard { index, total: 3 }))
                .collect::<Vec<_>>()
        };
        assert_eq!(shards(0), [0, 0, 0]);
        assert_eq!(shards(1), [1, 0, 0]);
        assert_eq!(shards(5), [2, 2, 1]);
        assert_eq!(owned(7, Shard::WHOLE), 7);
    }
}
