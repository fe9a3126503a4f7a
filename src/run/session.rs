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
use super::request::{RequestRow, RequestSink};
use crate::activity::{self, SessionClient, SessionState};
use crate::scenario::User;
use crate::stats::{Sample, SessionRecorder};
use serde_json::Value;
use std::sync::{Arc, PoisonError};
use std::time::{Instant, SystemTime};

/// Full error records kept per session (in [`RunEnv::errors`]); later errors are only counted.
const ERRORS_KEPT_PER_SESSION: usize = 5;

/// How a pass of a sequence ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassEnd {
    /// Every activity ran.
    Completed,
    /// A stop request cut it short.
    Stopped,
    /// A `Feed` found its `unique` feeder used up: the session ends its scenario (its `end` runs).
    Exhausted,
}

/// One virtual user.
pub struct Session {
    /// The workload it belongs to (an index into `Scenario::workload_views`).
    workload: usize,
    state: SessionState,
    /// Records into the run's recorder (which outlives this session's task) and the session's slot.
    recorder: SessionRecorder,
    user: String,
    password: Option<String>,
    errors: u64,
    errors_kept: usize,
}

impl Session {
    /// Session number `index` (0-based) of a workload of a run. Its id is `t01`, `t02`, ..., prefixed
    /// with the workload's name and `-` in a file with `workloads`.
    pub fn new(workload: usize, index: usize, user: &User, env: &RunEnv) -> Self {
        let scenario = &env.plan.scenario;
        let view = scenario.workload_view(workload);
        let session_id = match view.name {
            Some(w) => format!("{w}-t{:02}", index + 1),
            None => format!("t{:02}", index + 1),
        };
        let mut vars = scenario.context.clone();
        vars.insert("session_id".into(), Value::String(session_id.clone()));
        let user_value = user.to_value();
        // The user's fields are the author's too: templates when they hold `$(...)` (rare, so the
        // run's templates are shared unless this user adds to them).
        let mut templates = env.plan.templates.clone();
        if crate::expand::needs_expansion(&user_value) || templates.contains("user") {
            let expand_as = user.env_template.as_ref().and_then(|t| t.expand_as(&user_value));
            Arc::make_mut(&mut templates).add("user", &user_value, expand_as);
        }
        vars.insert("user".into(), user_value);
        if env.options.dry_run {
            vars.insert("dry_run".into(), Value::Bool(true));
        }
        let context = crate::expand::Context::with_templates(vars, templates);
        let user_agent = format!("stressor/{} (session {session_id})", env!("CARGO_PKG_VERSION"));
        let state = SessionState {
            session_id,
            context,
            client: SessionClient::new(env.tls.clone(), user_agent, &scenario.config),
            urls: Default::default(),
            basic_auth: view.sessions.basic_auth,
            user_auth: Some((user.name.clone(), user.password.clone())),
            request_timeout: scenario.config.request_timeout,
            max_body_size: scenario.config.max_body_size,
            decompress: scenario.config.decompress,
            redirects: scenario.config.redirects,
            last_response: None,
            check_timeout: scenario.config.check_timeout,
            verify_ssl: view.sessions.verify_ssl,
            dry_run: env.options.dry_run,
            keep_last_result: env.plan.uses_last_result,
            patterns: Default::default(),
            keep_url: env.options.requests.is_some(),
            trace: None,
        };
        let recorder = env.recorder.session(state.session_id.clone(), user.name.clone());
        Session {
            workload,
            state,
            recorder,
            user: user.name.clone(),
            password: user.password.clone(),
            errors: 0,
            errors_kept: 0,
        }
    }

    /// The session's recorder.
    pub fn recorder(&self) -> &SessionRecorder {
        &self.recorder
    }

    /// Errors this session has had so far.
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The session id and user name, for reports.
    pub fn identity(&self) -> (String, String) {
        (self.state.session_id.clone(), self.user.clone())
    }

    /// The closed model: run the scenario items in order.
    pub async fn run_scenario(mut self, env: Arc<RunEnv>) {
        let id = self.state.session_id.clone();
        let session_started = Instant::now();
        env.emit(|| RunEvent::SessionStarted {
            session_id: id.clone(),
            user: self.user.clone(),
        });
        env.recorder.sessions_changed(1);
        let scenario = env.plan.scenario.clone();
        let view = scenario.workload_view(self.workload);
        let session_deadline = view.sessions.duration.map(|d| Instant::now() + d);
        let (mut skip_all, mut skip_to_end) = (false, false);
        for item in view.items {
            let is_end = item.sequence == "end";
            if skip_all || (skip_to_end && !is_end) || env.control.hard_stopped() {
                continue;
            }
            let Some(seq_pos) = env.plan.slot_pos(self.workload, &item.sequence) else {
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
                let end = self.run_pass(seq_pos, pass, is_end, None, &env).await;
                if item.sequence == "init" && self.errors > errors_before {
                    skip_all = true;
                    break;
                }
                match end {
                    PassEnd::Completed => {}
                    PassEnd::Stopped | PassEnd::Exhausted => {
                        skip_to_end |= !is_end;
                        break;
                    }
                }
            }
        }
        env.recorder.sessions_changed(-1);
        env.emit(|| RunEvent::SessionFinished {
            session_id: id.clone(),
            elapsed: session_started.elapsed(),
            errors: self.errors,
        });
    }

    /// Runs one pass of a sequence slot (see [`Plan::slots`](super::Plan::slots)).
    ///
    /// `intended` is when the pass was meant to start (an arrival-rate scheduler's arrival time; `None`
    /// in the closed model). When given, the pass is also recorded as a response time from it, and so is
    /// each activity, from its own start shifted back by the pass's start lag (actual − intended start):
    /// an activity's response time is its service time plus the time the pass started late.
    pub async fn run_pass(
        &mut self,
        seq_pos: usize,
        pass: u64,
        is_end: bool,
        intended: Option<Instant>,
        env: &RunEnv,
    ) -> PassEnd {
        let slot = &env.plan.slots[seq_pos];
        let sequence = &env.plan.scenario.sequences[slot.sequence];
        let offset = slot.offset;
        let id = &self.state.session_id;
        env.emit_detail(|| RunEvent::SequenceStarted {
            session_id: id.clone(),
            sequence: slot.name.clone(),
            pass,
        });
        // A trace per pass (see `activity::trace`): its requests share the trace id, each its own span.
        self.state.trace = env
            .plan
            .scenario
            .config
            .trace_context
            .map(|t| activity::trace::TraceContext::new(t.sample));
        let started = Instant::now();
        let lag = intended.map(|i| started.saturating_duration_since(i));
        let errors_before = self.errors;
        let mut end = PassEnd::Completed;
        let mut pass_error = None;
        // `$(pass)`, unless the scenario has a variable of that name.
        if !env.plan.scenario.context.contains_key("pass") {
            self.state.context.insert("pass".into(), Value::from(pass));
        }
        for activity in &sequence.activities {
            let record = match &activity.kind {
                crate::scenario::ActivityKind::Record(r) => Some(r),
                _ => None,
            };
            let stopped = if is_end {
                env.control.hard_stopped()
            } else {
                env.control.stopping()
            };
            // A graceful stop lets the Records right after the last activity that ran write it down:
            // what was created is in the record even when the run is stopped.
            if stopped && (record.is_none() || env.control.hard_stopped()) {
                end = PassEnd::Stopped;
                break;
            }
            // After a failure, the values a Record would write may be stale (a failed store keeps the
            // last pass's value): what failed was not created, so it is not written down.
            if let (Some(args), Some(_)) = (record, pass_error) {
                env.shared.records.skip(args);
                continue;
            }
            let mut interrupt = env.control.interrupt(is_end);
            let activity_intended = lag.and_then(|lag| Instant::now().checked_sub(lag));
            let aid = offset + activity.index;
            env.emit_detail(|| RunEvent::ActivityStarted {
                session_id: self.state.session_id.clone(),
                activity: aid,
                pass,
            });
            // Sleeps and polls end early on a graceful stop (`interrupt`); a request in flight is let
            // finish, unless the stop turns hard (a second Ctrl-C, the end of the grace period): then
            // it is cut off here, so that it is counted as stopped instead of vanishing with the task.
            let mut hard = env.control.interrupt(true);
            let executed = tokio::select! {
                biased;
                executed = activity::execute(activity, &mut self.state, &env.shared, &mut interrupt) => executed,
                () = hard.wait() => activity::Executed::stopped(),
            };
            if executed.interrupted {
                self.recorder.record_stopped(aid);
                end = PassEnd::Stopped;
                break;
            }
            if executed.exhausted {
                // The feeder's end is the session's: neither this activity nor the pass happened.
                end = PassEnd::Exhausted;
                break;
            }
            let class = self.record(aid, activity.span, pass, &executed, activity_intended, env);
            pass_error = pass_error.or(class);
            // An activity that never waits (a script, a dry-run request) would let this session hold
            // its worker thread for good, starving the coordinator (max_time, Ctrl-C never fire) and
            // the other sessions. A script is CPU work of its own: give way after each; otherwise
            // give way once tokio's cooperative budget is used up, which costs nothing per request.
            if matches!(activity.kind, crate::scenario::ActivityKind::Script(_)) {
                tokio::task::yield_now().await;
            } else {
                tokio::task::coop::consume_budget().await;
            }
        }
        let elapsed = started.elapsed();
        let pass_errors = self.errors - errors_before;
        // A sequence's errors are its activities' errors; here only passes and their time are counted.
        match end {
            PassEnd::Completed => self.recorder.record_pass(
                seq_pos,
                &Sample::new(elapsed).with_error(pass_error).with_intended(intended),
            ),
            PassEnd::Stopped => self.recorder.record_pass_stopped(seq_pos),
            PassEnd::Exhausted => {}
        }
        let id = &self.state.session_id;
        env.emit_detail(|| RunEvent::SequenceFinished {
            session_id: id.clone(),
            sequence: slot.name.clone(),
            pass,
            elapsed,
            errors: pass_errors,
        });
        end
    }

    /// The error with the user's password removed from its message and response.
    fn redact(&self, e: &crate::activity::ActivityError) -> crate::activity::ActivityError {
        let secrets: Vec<&str> = self.password.iter().map(String::as_str).collect();
        let text = |t: &str| crate::redact::text(t, &secrets);
        crate::activity::ActivityError {
            class: e.class,
            message: text(&e.message),
            response: e.response.as_deref().map(text),
            diff: e.diff.as_deref().map(text),
            checks: e
                .checks
                .iter()
                .map(|c| crate::check::CheckFailure {
                    expected: text(&c.expected),
                    actual: text(&c.actual),
                    message: text(&c.message),
                    diff: c.diff.as_deref().map(text),
                    ..c.clone()
                })
                .collect(),
        }
    }

    /// Hands the execution's row(s) to the request log: one per StaticRequests URL, else one. Nothing is
    /// built for a row the log does not keep.
    fn log_requests(
        &self,
        log: &dyn RequestSink,
        aid: usize,
        pass: u64,
        executed: &activity::Executed,
        intended: Option<Instant>,
    ) {
        let trace_id = self.state.trace.as_ref().map(|t| t.trace_id());
        // The user's password, wherever it shows (a URL built from `$(user.password)`, a message).
        let secrets = || -> Vec<&str> { self.password.iter().map(String::as_str).collect() };
        for sub in &executed.sub_requests {
            if log.keep(aid, sub.error.is_some()) {
                let url = crate::redact::url(&sub.label, &secrets());
                let now = SystemTime::now();
                log.write(&RequestRow {
                    activity: aid,
                    session: &self.state.session_id,
                    pass,
                    started: now.checked_sub(sub.elapsed).unwrap_or(now),
                    intended: None,
                    elapsed: sub.elapsed,
                    url: Some(&url),
                    status: None,
                    bytes_sent: 0,
                    bytes_received: 0,
                    error_class: sub.error,
                    error: None,
                    trace_id,
                });
            }
        }
        let error = executed.error.as_ref();
        if !executed.sub_requests.is_empty() || !log.keep(aid, error.is_some()) {
            return;
        }
        let secrets = secrets();
        let message = error.map(|e| crate::redact::text(&e.message, &secrets));
        let url = executed.url.as_deref().map(|u| crate::redact::url(u, &secrets));
        // Wall-clock times from the monotonic ones: how long ago each was, taken from now.
        let (now, wall_now) = (Instant::now(), SystemTime::now());
        let wall = |t: Instant| {
            wall_now
                .checked_sub(now.saturating_duration_since(t))
                .unwrap_or(wall_now)
        };
        log.write(&RequestRow {
            activity: aid,
            session: &self.state.session_id,
            pass,
            started: wall_now.checked_sub(executed.elapsed).unwrap_or(wall_now),
            intended: intended.map(wall),
            elapsed: executed.elapsed,
            url: url.as_deref(),
            status: executed.status,
            bytes_sent: executed.bytes_sent,
            bytes_received: executed.bytes_received,
            error_class: error.map(|e| e.class),
            error: message.as_deref(),
            trace_id,
        });
    }

    /// Records a completed execution; returns its error class, if it failed.
    fn record(
        &mut self,
        aid: usize,
        span: crate::scenario::Span,
        pass: u64,
        executed: &activity::Executed,
        intended: Option<Instant>,
        env: &RunEnv,
    ) -> Option<crate::activity::ErrorClass> {
        let class = executed.error.as_ref().map(|e| e.class);
        let sample = Sample::new(executed.elapsed)
            .with_error(class)
            .with_bytes(executed.bytes_sent, executed.bytes_received)
            .with_status(executed.status)
            .with_intended(intended);
        self.recorder.record_activity(aid, &sample);
        for sub in &executed.sub_requests {
            self.recorder
                .record_sub_request(aid, &sub.label, sub.elapsed, sub.error);
        }
        if let Some(e) = &executed.error
            && self.errors_kept < ERRORS_KEPT_PER_SESSION
        {
            // The run-wide list is locked at most ERRORS_KEPT_PER_SESSION times per session.
            self.errors_kept += 1;
            let redacted = self.redact(e);
            let record = ErrorRecord {
                class: e.class,
                message: redacted.message,
                response: redacted.response,
                diff: redacted.diff,
                checks: redacted.checks,
                session_id: self.state.session_id.clone(),
                activity: aid,
                span: Some(span),
                pass,
                at: env.started.elapsed(),
                trace_id: self.state.trace.as_ref().map(|t| t.trace_id().to_string()),
            };
            env.errors.lock().unwrap_or_else(PoisonError::into_inner).push(record);
        }
        if let Some(log) = &env.options.requests {
            self.log_requests(log.as_ref(), aid, pass, executed, intended);
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
                // Listeners (the monitor's page) show errors to whoever can reach them: no secrets.
                error: executed.error.as_ref().map(|e| self.redact(e)),
            });
        }
        class
    }
}
