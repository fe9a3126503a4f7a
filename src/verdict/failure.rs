//! Why a trial failed, as data (a [`FailureKind`]) and as the text `cargo test` prints and a JUnit
//! `<failure>` carries: the first failing responses, each failed check located in the scenario with the
//! source line and carets (the loader's one renderer, [`render_one`]), and unified diffs.

use crate::check::text_diff;
use crate::run::{ActivityInfo, ErrorRecord, RunReport};
use crate::scenario::diagnostic::{Diagnostic, render_one};
use crate::scenario::{Metric, SourceMap};
use std::fmt::Write as _;

use super::{ThresholdOutcome, format_limit, value_and_limit};

/// How many error records a failure message shows.
const SHOWN_ERRORS: usize = 3;

/// What kind of failure a trial had: the JUnit `<failure type>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// A sequence or checked activity had errors no error budget covers.
    Errors,
    /// A sequence or checked activity never completed an execution.
    NothingCompleted,
    /// A threshold rule did not hold.
    Threshold,
    /// The run as a whole failed: `max_errors` stopped it, or nothing completed.
    Run,
    /// The load generator was the bottleneck, so the numbers cannot be trusted.
    Inconclusive,
    /// The file did not load, or its run could not start.
    Load,
    /// A baseline was asked for (`STRESSOR_BASELINE`) and cannot be read.
    Baseline,
    /// The trial ended without a result (it panicked).
    Panic,
}

impl FailureKind {
    /// The JUnit `type` attribute: `errors`, `nothing_completed`, `threshold`, `run`, `inconclusive`,
    /// `load`, `baseline` or `panic`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Errors => "errors",
            FailureKind::NothingCompleted => "nothing_completed",
            FailureKind::Threshold => "threshold",
            FailureKind::Run => "run",
            FailureKind::Inconclusive => "inconclusive",
            FailureKind::Load => "load",
            FailureKind::Baseline => "baseline",
            FailureKind::Panic => "panic",
        }
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a trial failed: what the harness prints and what a JUnit `<failure>` carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialFailure {
    /// The kind (the JUnit failure type).
    pub kind: FailureKind,
    /// One line: `sequence main: 2 error(s)`, `threshold failed: p95 of the run: 412ms > 300ms`.
    pub summary: String,
    /// The summary, then the first failing responses (status, body excerpt, session, pass), each failed
    /// check at its `file:line:col` with the source line, and a unified diff wherever there is one.
    pub details: String,
}

impl TrialFailure {
    /// A failure whose details are just the summary.
    pub fn new(kind: FailureKind, summary: impl Into<String>) -> Self {
        let summary = summary.into();
        TrialFailure {
            kind,
            details: summary.clone(),
            summary,
        }
    }

    /// A failure whose details are `text` (its first line is the summary).
    pub fn from_text(kind: FailureKind, text: impl Into<String>) -> Self {
        let details = text.into();
        TrialFailure {
            kind,
            summary: details.lines().next().unwrap_or_default().to_string(),
            details,
        }
    }
}

impl std::fmt::Display for TrialFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.details)
    }
}

/// `sequence main: 3 error(s)` followed by the first error records of `ids`, each with its failed
/// checks located in the scenario, the response and the diffs.
pub(super) fn errors_failure(
    what: &str,
    errors: u64,
    report: &RunReport,
    ids: &[usize],
    sources: &SourceMap,
) -> TrialFailure {
    let summary = format!("{what}: {errors} error(s)");
    let mut out = summary.clone();
    for e in report
        .errors
        .iter()
        .filter(|e| ids.contains(&e.activity))
        .take(SHOWN_ERRORS)
    {
        out.push('\n');
        out.push_str(&error_record(e, report, sources));
    }
    TrialFailure {
        kind: FailureKind::Errors,
        summary,
        details: out,
    }
}

/// Which request an error record is: `session t01, pass 3`, and `, trace <id>` when the request carried
/// a W3C trace context (so it can be found in the service's traces and logs).
pub fn whence(e: &ErrorRecord) -> String {
    match &e.trace_id {
        Some(trace) => format!("session {}, pass {}, trace {trace}", e.session_id, e.pass),
        None => format!("session {}, pass {}", e.session_id, e.pass),
    }
}

/// One error record: `[class] path: message (session, pass[, trace])`, then each failed check rendered at its
/// span, the response and the diffs, indented under it.
pub fn error_record(e: &ErrorRecord, report: &RunReport, sources: &SourceMap) -> String {
    let path = report
        .activities
        .get(e.activity)
        .map_or_else(String::new, ActivityInfo::path);
    let mut out = String::new();
    let indent = |out: &mut String, text: &str| {
        for line in text.lines() {
            let _ = write!(out, "\n      {line}");
        }
    };
    if e.checks.is_empty() {
        let _ = write!(out, "  [{}] {path}: {} ({})", e.class, e.message, whence(e));
        // Where the activity is, so a transport error also leads to its line.
        if let Some(file) = e.span.and_then(|s| Some((s, sources.get(s.file)?))) {
            let (span, f) = file;
            let _ = write!(out, "\n      at {}:{}:{}", f.path.display(), span.line, span.col);
        }
    } else {
        let _ = write!(
            out,
            "  [{}] {path} ({}): {} failed check(s)",
            e.class,
            whence(e),
            e.checks.len()
        );
        for check in &e.checks {
            let diagnostic = Diagnostic {
                severity: crate::scenario::diagnostic::Severity::Error,
                span: check.span,
                message: check.message.clone(),
                label: Some(format!("{} failed", check.kind.key())),
                help: None,
            };
            indent(&mut out, render_one(&diagnostic, sources, false).trim_end());
        }
    }
    if let Some(response) = &e.response {
        let _ = write!(out, "\n      response: {response}");
    }
    if let Some(diff) = &e.diff {
        indent(&mut out, diff);
    }
    out
}

/// The failure of a threshold rule, with the two sides as a diff: `-p95 <= 300ms` / `+p95 = 412ms`.
pub(super) fn threshold_failure(o: &ThresholdOutcome) -> TrialFailure {
    let summary = format!("threshold failed: {}", o.message);
    let (expected, actual) = threshold_sides(o);
    let details = format!("{summary}\n{}", text_diff(&expected, &actual));
    TrialFailure {
        kind: FailureKind::Threshold,
        summary,
        details,
    }
}

/// What a threshold wanted and what was measured, as the two sides of a diff:
/// `p95 <= 300ms` and `p95 = 412ms` (`min_rps >= 50/s` for the one lower bound).
fn threshold_sides(o: &ThresholdOutcome) -> (String, String) {
    let metric = o.rule_name();
    let op = if o.metric == Metric::MinRps { ">=" } else { "<=" };
    let expected = format!("{metric} {op} {}", format_limit(&o.limit));
    let actual = match (&o.measured, o.unjudged()) {
        (None, Some(why)) => format!("{metric}: {why}"),
        (None, None) => format!("{metric}: no value"),
        (Some(value), _) => {
            let (value, _) = value_and_limit(value, &o.limit);
            if o.not_enough_data() {
                format!("{metric} = {value} ({} samples, need {})", o.samples, o.min_samples)
            } else {
                format!("{metric} = {value}")
            }
        }
    };
    (expected, actual)
}
