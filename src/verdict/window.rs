//! Windowed thresholds: `p95: {max: 300ms, window: 30s}` judges the run over every window of that
//! length, from the per-second series, and fails if any window breaches (k6#2379's sliding windows).
//!
//! Windows slide one series entry at a time (one second, or the series' coarser step in runs longer
//! than a minute: see `stats::SERIES_MAX_ENTRIES`); a window is `ceil(window / step)` entries. The last
//! entry of a run usually covers only part of its step: it is left out when the run is longer than one
//! window, so an ordinary end does not read as a throughput drop. A run shorter than one window is judged
//! as one window. Per window: latency metrics over its successful executions, `error_rate` = errors /
//! executions, `errors` a count, `min_rps` successful executions per second. A window without any
//! execution is skipped for latency and `error_rate`, and breaches `min_rps`.
//!
//! The message names the worst window: `p95 of the run over 30s windows: 412ms > 300ms in 40s-70s
//! (worst of 31 windows)`.

use super::collect::SubjectThresholds;
use super::evaluate::{Measured, ThresholdOutcome};
use super::format::{rule_name, value_and_limit};
use crate::run::RunReport;
use crate::scenario::{Metric, Threshold};
use crate::stats::Second;
use std::time::Duration;

/// Judges one windowed rule of the run.
pub(super) fn evaluate(
    st: &SubjectThresholds,
    rule: &Threshold,
    window: Duration,
    report: &RunReport,
    label: &str,
    min_samples: u64,
) -> ThresholdOutcome {
    let name = rule_name(rule);
    let stats = &report.stats;
    let step = stats.series_step.max(1);
    let width = (window.as_secs_f64() / step as f64).ceil().max(1.0) as usize;
    let mut series: &[Second] = &stats.series;
    // The partial last entry, unless it is needed to make up one window.
    let whole_entries = (report.elapsed.as_secs() / step) as usize;
    if series.len() > width && whole_entries < series.len() {
        series = &series[..whole_entries.max(width)];
    }
    let requests: u64 = series.iter().map(|s| s.requests).sum();
    let mut outcome = ThresholdOutcome {
        subject: st.subject.clone(),
        metric: rule.metric,
        limit: rule.limit,
        samples: requests,
        executions: requests,
        min_samples,
        span: rule.span,
        name: name.clone(),
        ..ThresholdOutcome::default()
    };
    if requests == 0 {
        outcome.message = format!("{name} of {label}: never ran");
        return outcome;
    }
    if requests < min_samples {
        outcome.message = format!("{name} of {label}: not enough data ({requests} samples, need {min_samples})");
        return outcome;
    }
    let starts = series.len().saturating_sub(width) + 1;
    let secs = (width as u64 * step) as f64;
    // (start entry, value, breaches); the worst is the one furthest past (or nearest to) the limit.
    let mut judged: Vec<(usize, Measured, bool)> = Vec::new();
    for start in 0..starts {
        let entries = &series[start..(start + width).min(series.len())];
        let Some(value) = measure(rule.metric, entries, secs) else {
            continue;
        };
        let ok = value.within(&rule.limit).unwrap_or(false);
        judged.push((start, value, !ok));
    }
    let count = judged.len();
    let worst = judged
        .iter()
        .max_by(|a, b| badness(&a.1, rule.metric).total_cmp(&badness(&b.1, rule.metric)));
    let Some(&(start, value, breach)) = worst else {
        outcome.message = format!("{name} of {label}: no successful samples in any window");
        return outcome;
    };
    let from = start as u64 * step;
    let to = from + secs as u64;
    let (v, l) = value_and_limit(&value, &rule.limit);
    let op = match (rule.metric, breach) {
        (Metric::MinRps, false) => ">=",
        (Metric::MinRps, true) => "<",
        (_, false) => "<=",
        (_, true) => ">",
    };
    outcome.measured = Some(value);
    outcome.passed = !judged.iter().any(|(.., breach)| *breach);
    outcome.message = format!("{name} of {label}: {v} {op} {l} in {from}s-{to}s (worst of {count} windows)");
    outcome
}

/// The metric over some series entries of `secs` seconds together; `None` when it has no value there.
fn measure(metric: Metric, entries: &[Second], secs: f64) -> Option<Measured> {
    let mut merged = Second::default();
    entries.iter().for_each(|e| merged.merge(e));
    let l = &merged.latency;
    match metric {
        Metric::Percentile(q) => l.percentile(q).map(Measured::Duration),
        Metric::Mean => l.mean().map(Measured::Duration),
        Metric::Max => l.max().map(Measured::Duration),
        Metric::ErrorRate => {
            (merged.requests > 0).then(|| Measured::Ratio(merged.errors as f64 / merged.requests as f64))
        }
        Metric::Errors => Some(Measured::Count(merged.errors)),
        Metric::MinRps => Some(Measured::Rate((merged.requests - merged.errors) as f64 / secs)),
    }
}

/// How bad a value is, for finding the worst window (higher is worse).
fn badness(value: &Measured, metric: Metric) -> f64 {
    let v = match *value {
        Measured::Duration(d) => d.as_secs_f64(),
        Measured::Ratio(r) | Measured::Rate(r) => r,
        Measured::Count(n) => n as f64,
    };
    if metric == Metric::MinRps { -v } else { v }
}
