//! The monitor's own live aggregate, built from run events.
//!
//! [`Live`] is an [`EventSink`]: it folds `ActivityFinished`, `SequenceFinished` and the session events
//! into its own small HDR histograms (one per activity and per sequence, one per second of the series),
//! so it never asks the runner for a snapshot (a full `RunRecorder::snapshot` copies every session's
//! histogram and is far too heavy to take every second). On every `Tick`, `Stopping` and at the end it
//! renders the dashboard's live part once and publishes it on a `watch` channel; every open page gets
//! that same HTML over SSE.

use crate::report::html::{self, escape, table};
use crate::report::summary::{self, fmt_time};
use crate::run::{ActivityInfo, EventSink, RunEvent, StopReason};
use crate::stats::{Measure, Second, coarsen};
use crate::verdict::Verdict;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// Series entries kept; past this the series is coarsened (two entries become one), like the
/// recorder's, so a long run keeps its whole history at a lower resolution.
const SERIES_MAX: usize = 600;
/// Session rows shown; more would make every update heavy for large runs.
const SESSIONS_SHOWN: usize = 100;

/// Where the run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Before `RunStarted`.
    Starting,
    /// Sessions are running.
    Running,
    /// A stop was requested; `end` sequences may still run.
    Stopping,
    /// The run is over; the page shows its final state.
    Finished,
}

impl Status {
    /// The word the page shows and tests read (`data-status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Running => "running",
            Status::Stopping => "stopping",
            Status::Finished => "finished",
        }
    }
}

#[derive(Default)]
struct Row {
    measure: Measure,
    errors: u64,
    last_error: Option<String>,
}

struct SessionRow {
    id: String,
    user: String,
    running: bool,
    sequence: String,
    activities: u64,
    errors: u64,
    last_error: Option<String>,
}

struct State {
    status: Status,
    stop: Option<(StopReason, bool)>,
    elapsed: Duration,
    sessions_total: u32,
    activities: Vec<Row>,
    sequences: Vec<Row>,
    total: Measure,
    total_errors: u64,
    sessions: Vec<SessionRow>,
    session_index: HashMap<String, usize>,
    window: Second,
    series: Vec<Second>,
    step: u64,
    /// The judged run's verdict and result line, once judged.
    verdict: Option<(Verdict, String)>,
    /// The rows come from whole reports ([`Live::show`]), not from activity events; then the
    /// sessions alive are the report's latest level.
    shown: bool,
    alive: u64,
}

/// The live aggregate and the rendered page part.
pub struct Live {
    scenario: String,
    activities: Vec<ActivityInfo>,
    /// Per activity: position of its sequence.
    sequence_of: Vec<usize>,
    sequences: Vec<String>,
    state: Mutex<State>,
    tx: watch::Sender<(Status, Arc<str>)>,
}

impl Live {
    /// An empty aggregate for a plan's activities and sequences.
    pub fn new(scenario: String, activities: Vec<ActivityInfo>, sequences: Vec<String>) -> Self {
        let sequence_of = activities
            .iter()
            .map(|a| sequences.iter().position(|s| *s == a.sequence).unwrap_or(0))
            .collect();
        let state = State {
            status: Status::Starting,
            stop: None,
            elapsed: Duration::ZERO,
            sessions_total: 0,
            activities: activities.iter().map(|_| Row::default()).collect(),
            sequences: sequences.iter().map(|_| Row::default()).collect(),
            total: Measure::default(),
            total_errors: 0,
            sessions: Vec::new(),
            session_index: HashMap::new(),
            window: Second::default(),
            series: Vec::new(),
            step: 1,
            verdict: None,
            shown: false,
            alive: 0,
        };
        let live = Live {
            scenario,
            activities,
            sequence_of,
            sequences,
            state: Mutex::new(state),
            tx: watch::channel((Status::Starting, Arc::from(""))).0,
        };
        live.publish();
        live
    }

    /// The latest rendered state; changes on every tick.
    pub fn subscribe(&self) -> watch::Receiver<(Status, Arc<str>)> {
        self.tx.subscribe()
    }

    /// The run's current status.
    pub fn status(&self) -> Status {
        self.tx.borrow().0
    }

    /// Shows the judged run's verdict and result line as the final state (after `RunFinished`).
    pub fn judged(&self, verdict: Verdict, result_line: String) {
        self.lock().verdict = Some((verdict, result_line));
        self.publish();
    }

    /// Shows a whole report as the current state: what a coordinator has once a second (the merged
    /// live run of its shards), instead of the activity events of a run in this process. The rows,
    /// totals, series and session count become the report's; the status still follows the run
    /// events.
    pub fn show(&self, report: &crate::run::RunReport) {
        let mut s = self.lock();
        s.shown = true;
        s.elapsed = report.elapsed;
        s.sessions_total = report.sessions;
        let last_error = |activity: Option<usize>, sequence: Option<&str>| {
            report
                .errors
                .iter()
                .rev()
                .find(|e| {
                    activity.is_none_or(|a| e.activity == a)
                        && sequence.is_none_or(|q| self.activities.get(e.activity).is_some_and(|i| i.sequence == q))
                })
                .map(|e| format!("{}: {}", e.class, e.message.lines().next().unwrap_or("")))
        };
        for (id, row) in s.activities.iter_mut().enumerate() {
            let measure = report.stats.activities.get(id).cloned().unwrap_or_default();
            row.errors = measure.error_count();
            row.last_error = last_error(Some(id), None);
            row.measure = measure;
        }
        for (name, row) in self.sequences.iter().zip(s.sequences.iter_mut()) {
            let (measure, errors) = report.sequence(name).unwrap_or_default();
            row.measure = measure;
            row.errors = errors;
            row.last_error = last_error(None, Some(name));
        }
        s.total = report.stats.total.clone();
        s.total_errors = report.error_count();
        s.alive = report.stats.series.last().map_or(0, |e| e.sessions);
        s.series = report.stats.series.clone();
        s.step = report.stats.series_step.max(1);
        s.window = Second::default();
        drop(s);
        self.publish();
    }

    /// The scenario's name (the page title).
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self) {
        let state = self.lock();
        let html = self.render(&state);
        let status = state.status;
        drop(state);
        self.tx.send_replace((status, Arc::from(html)));
    }

    /// Closes the current series entry (one per tick).
    fn close_window(state: &mut State) {
        let window = std::mem::take(&mut state.window);
        state.series.push(window);
        if state.series.len() > SERIES_MAX {
            state.series = coarsen(&state.series, state.step, state.step * 2);
            state.step *= 2;
        }
    }

    fn render(&self, s: &State) -> String {
        let mut out = String::new();
        let status = match s.stop {
            Some((reason, hard)) if s.status != Status::Finished => {
                format!(
                    "{} ({}{})",
                    s.status.as_str(),
                    reason_text(reason),
                    if hard { ", now" } else { "" }
                )
            }
            Some((reason, _)) => format!("finished ({})", reason_text(reason)),
            None => s.status.as_str().to_string(),
        };
        // Once judged, the badge is the verdict: the same line the terminal summary ends with.
        let (class, status) = match &s.verdict {
            Some((verdict, line)) => (verdict.as_str(), format!("{status} — {line}")),
            None => (s.status.as_str(), status),
        };
        let secs = s.elapsed.as_secs();
        let running = if s.shown {
            s.alive as usize
        } else {
            s.sessions.iter().filter(|r| r.running).count()
        };
        let rps = s.total.rate(s.elapsed);
        let pct = |p| s.total.latency.percentile(p).map_or("-".into(), fmt_time);
        let _ = write!(
            out,
            r#"<div id="state" data-status="{}"><p><span id="status" class="verdict {}">{}</span> <span class="meta">elapsed <b id="elapsed">{:02}:{:02}</b> · sessions <b id="sessions-running">{running}</b> running of <b id="sessions-total">{}</b> · <b id="total-count">{}</b> activities · <b id="total-errors">{}</b> errors · <b id="total-rps">{rps:.1}</b>/s · p50 {} · p95 {} · p99 {}</span></p>"#,
            s.status.as_str(),
            class,
            escape(&status),
            secs / 60,
            secs % 60,
            s.sessions_total,
            s.total.count,
            s.total_errors,
            pct(50.0),
            pct(95.0),
            pct(99.0),
        );
        let _ = write!(
            out,
            r#"<div class="charts"><div id="latency-chart">{}</div><div id="throughput-chart">{}</div></div>"#,
            html::latency_chart(&s.series, s.step),
            html::throughput_chart(&s.series, s.step, s.elapsed)
        );
        let mut header = vec!["sequence (passes)"];
        header.extend(&summary::HEADER);
        header.push("last error");
        let rows: Vec<Vec<String>> = self
            .sequences
            .iter()
            .zip(&s.sequences)
            .map(|(name, row)| self.row(name.clone(), row, s.elapsed))
            .collect();
        let _ = write!(out, "<h2>Sequences</h2>{}", table(&header, &rows, Some("err")));
        header[0] = "activity";
        let rows: Vec<Vec<String>> = self
            .activities
            .iter()
            .zip(&s.activities)
            .map(|(info, row)| self.row(info.path(), row, s.elapsed))
            .collect();
        let _ = write!(
            out,
            r#"<h2>Activities</h2><div id="activities">{}</div>"#,
            table(&header, &rows, Some("err"))
        );
        let rows: Vec<Vec<String>> = s
            .sessions
            .iter()
            .take(SESSIONS_SHOWN)
            .map(|r| {
                vec![
                    r.id.clone(),
                    r.user.clone(),
                    if r.running { r.sequence.clone() } else { "done".into() },
                    r.activities.to_string(),
                    r.errors.to_string(),
                    r.last_error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let _ = write!(
            out,
            "<h2>Sessions</h2>{}",
            table(
                &["session", "user", "sequence", "activities", "errors", "last error"],
                &rows,
                Some("err")
            )
        );
        if s.sessions.len() > SESSIONS_SHOWN {
            let _ = write!(
                out,
                r#"<p class="meta">… and {} more sessions.</p>"#,
                s.sessions.len() - SESSIONS_SHOWN
            );
        }
        out.push_str("</div>");
        out
    }

    fn row(&self, name: String, row: &Row, elapsed: Duration) -> Vec<String> {
        let mut cells = summary::row(name, &row.measure, row.errors, elapsed);
        cells.push(row.last_error.clone().unwrap_or_default());
        cells
    }
}

fn reason_text(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Interrupted => "interrupted",
        StopReason::MaxErrors => "max_errors reached",
        StopReason::MaxTime => "max_time reached",
        StopReason::Requested => "stop requested",
        StopReason::Aborted => "aborted by a threshold",
    }
}

impl EventSink for Live {
    fn event(&self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted { sessions, .. } => {
                let mut s = self.lock();
                s.status = Status::Running;
                s.sessions_total = *sessions;
                drop(s);
                self.publish();
            }
            RunEvent::SessionStarted { session_id, user } => {
                let mut s = self.lock();
                let index = s.sessions.len();
                s.session_index.insert(session_id.clone(), index);
                s.sessions.push(SessionRow {
                    id: session_id.clone(),
                    user: user.clone(),
                    running: true,
                    sequence: String::new(),
                    activities: 0,
                    errors: 0,
                    last_error: None,
                });
            }
            RunEvent::SequenceStarted {
                session_id, sequence, ..
            } => {
                let mut s = self.lock();
                if let Some(&i) = s.session_index.get(session_id) {
                    s.sessions[i].sequence = sequence.clone();
                }
            }
            RunEvent::ActivityFinished {
                session_id,
                activity,
                elapsed,
                error,
                ..
            } => self.activity_finished(session_id, *activity, *elapsed, error.as_ref()),
            // The page shows finished work only; an activity in flight shows up when it ends.
            RunEvent::ActivityStarted { .. } => {}
            RunEvent::SequenceFinished { sequence, elapsed, .. } => {
                let mut s = self.lock();
                if let Some(pos) = self.sequences.iter().position(|n| n == sequence) {
                    s.sequences[pos].measure.record(*elapsed, None, 0, 0);
                }
            }
            RunEvent::SessionFinished { session_id, .. } => {
                let mut s = self.lock();
                if let Some(&i) = s.session_index.get(session_id) {
                    s.sessions[i].running = false;
                }
            }
            RunEvent::Stopping { reason, hard } => {
                let mut s = self.lock();
                s.status = Status::Stopping;
                s.stop = Some((*reason, *hard));
                drop(s);
                self.publish();
            }
            RunEvent::Tick { elapsed, .. } => {
                let mut s = self.lock();
                s.elapsed = *elapsed;
                if !s.shown {
                    Self::close_window(&mut s);
                }
                drop(s);
                self.publish();
            }
            RunEvent::RunFinished { elapsed } => {
                let mut s = self.lock();
                s.elapsed = *elapsed;
                s.status = Status::Finished;
                if s.window.requests > 0 {
                    Self::close_window(&mut s);
                }
                for r in &mut s.sessions {
                    r.running = false;
                }
                drop(s);
                self.publish();
            }
        }
    }
}

impl Live {
    fn activity_finished(
        &self,
        session_id: &str,
        activity: usize,
        elapsed: Duration,
        error: Option<&crate::activity::ActivityError>,
    ) {
        // The first line is enough for a table cell; the full message is in the reports.
        let message = error.map(|e| format!("{}: {}", e.class, e.message.lines().next().unwrap_or("")));
        let mut s = self.lock();
        let Some(row) = s.activities.get_mut(activity) else {
            return;
        };
        row.measure.record(elapsed, error.map(|e| e.class), 0, 0);
        if message.is_some() {
            row.errors += 1;
            row.last_error.clone_from(&message);
            if let Some(seq) = s.sequences.get_mut(self.sequence_of[activity]) {
                seq.errors += 1;
                seq.last_error.clone_from(&message);
            }
        }
        // Only timed activities count in the totals and the series (not `ignore_timing`, e.g. Sleep).
        if self.activities.get(activity).is_none_or(|a| a.timed) {
            s.total.record(elapsed, error.map(|e| e.class), 0, 0);
            s.window.requests += 1;
            s.window.latency.record(elapsed);
            if error.is_some() {
                s.window.errors += 1;
            }
        }
        if error.is_some() {
            s.total_errors += 1;
        }
        if let Some(&i) = s.session_index.get(session_id) {
            let r = &mut s.sessions[i];
            r.activities += 1;
            if message.is_some() {
                r.errors += 1;
                r.last_error = message;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{ActivityError, ErrorClass};

    fn info(sequence: &str, index: usize, label: &str) -> ActivityInfo {
        ActivityInfo {
            sequence: sequence.into(),
            index,
            label: label.into(),
            timed: !label.starts_with("Sleep"),
            tags: Vec::new(),
            workload: None,
        }
    }

    #[test]
    fn aggregates_events_into_rows_series_and_status() {
        let live = Live::new(
            "shop".into(),
            vec![info("main", 0, "GetRequest(/)"), info("main", 1, "Sleep(1s)")],
            vec!["main".into()],
        );
        let mut rx = live.subscribe();
        live.event(&RunEvent::RunStarted {
            scenario: "shop".into(),
            sessions: 1,
        });
        live.event(&RunEvent::SessionStarted {
            session_id: "t01".into(),
            user: "ann".into(),
        });
        for (activity, error) in [
            (0, None),
            (
                0,
                Some(ActivityError::new(ErrorClass::Status, "expected 200, got 500\nbody")),
            ),
            (1, None),
        ] {
            live.event(&RunEvent::ActivityFinished {
                session_id: "t01".into(),
                activity,
                pass: 1,
                elapsed: Duration::from_millis(20),
                error,
            });
        }
        live.event(&RunEvent::Tick {
            elapsed: Duration::from_secs(1),
            activities: 3,
            errors: 1,
        });
        assert!(rx.has_changed().unwrap_or(false));
        let (status, page) = rx.borrow_and_update().clone();
        assert_eq!(status, Status::Running);
        assert!(
            page.contains(r#"<b id="total-count">2</b>"#),
            "Sleep is not timed: {page}"
        );
        assert!(page.contains(r#"<b id="total-errors">1</b>"#), "{page}");
        assert!(page.contains("status: expected 200, got 500</td>"), "{page}");
        assert!(page.contains("<polyline"), "one series entry: {page}");
        live.event(&RunEvent::RunFinished {
            elapsed: Duration::from_millis(1500),
        });
        let (status, page) = rx.borrow_and_update().clone();
        assert_eq!(status, Status::Finished);
        assert!(page.contains(r#"data-status="finished""#), "{page}");
    }
}
