//! One session (virtual user): what it does, apart from when it is started.
//!
//! [`Session::run_scenario`] is the closed model's loop over the scenario items, with the original's
//! rules: `repeat`/`duration` per item (whichever ends first, at least one pass), `sessions.duration`
//! skips to `end` (not an error), an error in `init` skips everything including `end`, errors elsewhere
//! do not stop the loop, and a stop request skips to `end`. [`Session::run_pass`] runs one pass of one
//! sequence and is what an arrival-rate scheduler calls per arrival.

use super::RunEnv;
use super::event::RunEvent;
use super::report::ErrorRecord;
use crate::activity::{self, SessionClient, SessionState};
use crate::scenario::User;
use crate::stats::SessionStats;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Full error records kept per session; later errors are only counted.
const ERRORS_KEPT_PER_SESSION: usize = 5;

/// A session's measurements, readable by the coordinator even if the session task is aborted.
pub type SharedStats = Arc<Mutex<(SessionStats, Vec<ErrorRecord>)>>;

/// One virtual user.
pub struct Session {
    state: SessionState,
    stats: SharedStats,
    user: String,
    password: Option<String>,
    errors: u64,
}

impl Session {
    /// Session number `index` (0-based) of a run.
    pub fn new(index: usize, user: &User, env: &RunEnv) -> Self {
        let session_id = format!("t{:02}", index + 1);
        let scenario = &env.plan.scenario;
        let mut context = scenario.context.clone();
        context.insert("session_id".into(), Value::String(session_id.clone()));
        context.insert("user".into(), user.to_value());
        if env.options.dry_run {
            context.insert("dry_run".into(), Value::Bool(true));
        }
        let user_agent = format!("stressor/{} (session {session_id})", env!("CARGO_PKG_VERSION"));
        let state = SessionState {
            session_id,
            context,
            client: SessionClient::new(env.tls.clone(), user_agent),
            basic_auth: scenario.sessions.basic_auth,
            user_auth: Some((user.name.clone(), user.password.clone())),
            request_timeout: scenario.config.request_timeout,
            verify_ssl: scenario.sessions.verify_ssl,
            dry_run: env.options.dry_run,
            keep_last_result: env.plan.uses_last_result,
        };
        let stats = SessionStats::new(env.plan.activities.len(), scenario.sequences.len());
        Session {
            state,
            stats: Arc::new(Mutex::new((stats, Vec::new()))),
            user: user.name.clone(),
            password: user.password.clone(),
            errors: 0,
        }
    }

    /// The measurements handle.
    pub fn stats(&self) -> SharedStats {
        self.stats.clone()
    }

    /// The session id and user name, for reports.
    pub fn identity(&self) -> (String, String) {
        (self.state.session_id.clone(), self.user.clone())
    }

    /// The closed model: run the scenario items in order.
    pub async fn run_scenario(mut self, env: Arc<RunEnv>) {
        let id = self.state.session_id.clone();
        env.emit(|| RunEvent::SessionStarted {
            session_id: id.clone(),
            user: self.user.clone(),
        });
        let scenario = env.plan.scenario.clone();
        let session_deadline = scenario.sessions.duration.map(|d| Instant::now() + d);
        let (mut skip_all, mut skip_to_end) = (false, false);
        for item in &scenario.items {
            let is_end = item.sequence == "end";
            if skip_all || (skip_to_end && !is_end) || env.control.hard_stopped() {
                continue;
            }
            let Some(seq_pos) = env.plan.sequence_pos(&item.sequence) else {
                continue;
            };
            let started = Instant::now();
            let mut pass = 0u64;
            loop {
                pass += 1;
                let more = match (item.repeat, item.duration) {
                    (None, None) => pass == 1,
                    (repeat, duration) => {
                        pass == 1
                            || (repeat.is_none_or(|r| pass <= r)
                                && duration.is_none_or(|d| started.elapsed() <= d)
                                && !env.options.single)
                    }
                };
                if !more {
                    break;
                }
                if !is_end && (env.control.stopping() || session_deadline.is_some_and(|d| Instant::now() > d)) {
                    skip_to_end = true;
                    break;
                }
                let errors_before = self.errors;
                let completed = self.run_pass(seq_pos, pass, is_end, &env).await;
                if item.sequence == "init" && self.errors > errors_before {
                    skip_all = true;
                    break;
                }
                if !completed {
                    skip_to_end |= !is_end;
                    break;
                }
            }
        }
        env.emit(|| RunEvent::SessionFinished {
            session_id: id.clone(),
            errors: self.errors,
        });
    }

    /// Runs one pass of a sequence; false when a stop request cut it short.
    pub async fn run_pass(&mut self, seq_pos: usize, pass: u64, is_end: bool, env: &RunEnv) -> bool {
        let scenario = &env.plan.scenario;
        let sequence = &scenario.sequences[seq_pos];
        let offset = env.plan.sequence_offsets[seq_pos];
        let id = &self.state.session_id;
        env.emit_detail(|| RunEvent::SequenceStarted {
            session_id: id.clone(),
            sequence: sequence.name.clone(),
            pass,
        });
        let started = Instant::now();
        let errors_before = self.errors;
        let mut completed = true;
        for activity in &sequence.activities {
            let stopped = if is_end {
                env.control.hard_stopped()
            } else {
                env.control.stopping()
            };
            if stopped {
                completed = false;
                break;
            }
            let mut interrupt = env.control.interrupt(is_end);
            let executed = activity::execute(activity, &mut self.state, &env.shared, &mut interrupt).await;
            if executed.interrupted {
                completed = false;
                break;
            }
            let aid = offset + activity.index;
            self.record(aid, pass, &executed, env);
        }
        let elapsed = started.elapsed();
        let pass_errors = self.errors - errors_before;
        // A sequence's errors are its activities' errors; here only passes and their time are counted.
        if let Ok(mut guard) = self.stats.lock() {
            guard.0.sequences[seq_pos].record(elapsed, None, 0, 0);
        }
        let id = &self.state.session_id;
        env.emit_detail(|| RunEvent::SequenceFinished {
            session_id: id.clone(),
            sequence: sequence.name.clone(),
            pass,
            elapsed,
            errors: pass_errors,
        });
        completed
    }

    fn record(&mut self, aid: usize, pass: u64, executed: &activity::Executed, env: &RunEnv) {
        let class = executed.error.as_ref().map(|e| e.class);
        let timed = env.plan.timed[aid];
        let second = env.started.elapsed().as_secs() as usize;
        if let Ok(mut guard) = self.stats.lock() {
            let (stats, errors) = &mut *guard;
            stats.record(
                aid,
                executed.elapsed,
                class,
                executed.bytes_sent,
                executed.bytes_received,
                timed,
                second,
            );
            for sub in &executed.sub_requests {
                stats
                    .sub_requests
                    .entry((aid, sub.label.clone()))
                    .or_default()
                    .record(sub.elapsed, sub.error, 0, 0);
            }
            if let Some(e) = &executed.error
                && errors.len() < ERRORS_KEPT_PER_SESSION
            {
                let secrets: Vec<&str> = self.password.iter().map(String::as_str).collect();
                errors.push(ErrorRecord {
                    class: e.class,
                    message: crate::redact::text(&e.message, &secrets),
                    response: e.response.as_ref().map(|r| crate::redact::text(r, &secrets)),
                    session_id: self.state.session_id.clone(),
                    activity: aid,
                    pass,
                    at: env.started.elapsed(),
                });
            }
        }
        env.control.record_activity();
        if class.is_some() {
            self.errors += 1;
            env.control.record_error();
        }
        if env.detail_events {
            let id = &self.state.session_id;
            env.emit_detail(|| RunEvent::ActivityFinished {
                session_id: id.clone(),
                activity: aid,
                pass,
                elapsed: executed.elapsed,
                error: executed.error.clone(),
            });
        }
    }
}
