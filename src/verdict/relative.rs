//! Thresholds relative to a baseline (`p95: {vs_baseline: +10%}`), and the comparison of a whole run
//! with its baseline (what `stressor compare` and the summary's baseline table show).

use super::baseline::{COMPARED, Call, Delta, Tolerance, allowance, delta_with, design_effect};
use super::collect::{Subject, SubjectThresholds};
use super::evaluate::Measured;
use super::format::{format_measured, metric_name};
use super::reference::Baseline;
use crate::run::RunReport;
use crate::scenario::{Change, Metric, Span};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How a relative threshold came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelativeResult {
    /// Not significantly worse than allowed.
    Held,
    /// Significantly worse than the baseline by more than allowed.
    Regressed,
    /// Worse than allowed by the estimate, but not significantly: the runs cannot tell.
    TooNoisy,
    /// No baseline was given (or it is of another scenario).
    NoBaseline,
}

/// The outcome of one `vs_baseline` rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RelativeOutcome {
    /// What was compared.
    pub subject: Subject,
    /// The metric.
    pub metric: Metric,
    /// How much worse it was allowed to get.
    pub allowed: Change,
    /// The comparison, when there was a baseline.
    pub delta: Option<Delta>,
    /// How it came out.
    pub result: RelativeResult,
    /// One line: `p95 of the run vs the baseline: +18% > +10% (significant)`.
    pub message: String,
    /// Where it was written.
    pub span: Span,
}

/// Why there is nothing to compare with: no baseline, or one of another scenario.
pub fn shape_mismatch(baseline: &RunReport, current: &RunReport) -> Option<String> {
    if baseline.activities.len() != current.activities.len() || baseline.sequences != current.sequences {
        return Some(format!(
            "the baseline has {} activities and sequences {:?}, this run {} and {:?}: it is of another scenario",
            baseline.activities.len(),
            baseline.sequences,
            current.activities.len(),
            current.sequences
        ));
    }
    let differs = baseline
        .activities
        .iter()
        .zip(&current.activities)
        .find(|(a, b)| a.sequence != b.sequence || a.index != b.index || a.label != b.label);
    differs.map(|(a, b)| {
        format!(
            "activity `{}` of the baseline is `{}` here: it is of another scenario",
            a.path(),
            b.path()
        )
    })
}

/// The outcome of every `vs_baseline` rule, in order. `baseline` is `Err(why)` when there is none to
/// compare with.
pub fn evaluate(
    thresholds: &[SubjectThresholds],
    report: &RunReport,
    baseline: Result<&Baseline, &str>,
) -> Vec<RelativeOutcome> {
    let mut out = Vec::new();
    for st in thresholds {
        let label = st.subject.label(&report.activities);
        for rule in &st.set.relative {
            let name = format!(
                "{} of {label} vs {}",
                metric_name(rule.metric),
                baseline.map_or_else(|_| "the baseline".to_string(), Baseline::describe)
            );
            let (delta, result, message) = match baseline {
                Err(why) => (None, RelativeResult::NoBaseline, format!("{name}: {why}")),
                Ok(base) => judge(rule.metric, rule.allowed, &st.subject, base, report, &name),
            };
            out.push(RelativeOutcome {
                subject: st.subject.clone(),
                metric: rule.metric,
                allowed: rule.allowed,
                delta,
                result,
                message,
                span: rule.span,
            });
        }
    }
    out
}

fn judge(
    metric: Metric,
    allowed: Change,
    subject: &Subject,
    base: &Baseline,
    report: &RunReport,
    name: &str,
) -> (Option<Delta>, RelativeResult, String) {
    // The tolerance depends on the baseline's value (a relative allowance of an error rate).
    let probe = base.delta(metric, subject, report, Tolerance::DEFAULT);
    let tolerance = allowance(allowed, metric, probe.baseline);
    let d = base.delta(
        metric,
        subject,
        report,
        Tolerance {
            relative: tolerance,
            error_points: tolerance,
            ..Tolerance::DEFAULT
        },
    );
    let allowed_text = change_text(metric, tolerance);
    let Some(w) = d.worse_by else {
        let (result, message) = match d.call {
            Call::Regressed => (
                RelativeResult::Regressed,
                format!("{name}: no successful sample in this run, where the baseline had some"),
            ),
            Call::Improved | Call::Unchanged => (RelativeResult::Held, format!("{name}: {}", d.call.as_str())),
            Call::TooNoisy => (
                RelativeResult::TooNoisy,
                format!("{name}: no value to compare (too few successful samples, or rounds, to tell)"),
            ),
        };
        return (Some(d), result, message);
    };
    let (result, how) = match d.call {
        Call::Regressed => (RelativeResult::Regressed, ">"),
        Call::TooNoisy if w > tolerance => (RelativeResult::TooNoisy, ">"),
        _ if w > tolerance => (RelativeResult::Held, ">"),
        _ => (RelativeResult::Held, "<="),
    };
    // Throughput is worse when it falls: its change and allowance read as `-34% < -10%`.
    let how = match (metric, how) {
        (Metric::MinRps, ">") => "<",
        (Metric::MinRps, _) => ">=",
        (_, how) => how,
    };
    let significance = match d.call {
        Call::Regressed => "significant",
        Call::TooNoisy if w > tolerance => "not significant: too noisy to tell",
        _ if w > tolerance => "but by less than 1ms",
        _ => "within the allowance",
    };
    let message = format!(
        "{name}: {} {how} {allowed_text} ({significance})",
        change_text(metric, w)
    );
    (Some(d), result, message)
}

/// `+18%`, `-3.2%`, `+0.4pp`: the change of the value itself, so a throughput that fell by a third
/// (`worse_by` = 0.34) reads `-34%`.
pub fn change_text(metric: Metric, worse_by: f64) -> String {
    match metric {
        Metric::ErrorRate => format!("{:+.2}pp", worse_by * 100.0).replace(".00pp", "pp"),
        _ => {
            let pct = if metric == Metric::MinRps { -worse_by } else { worse_by } * 100.0;
            if pct.abs() >= 10.0 {
                format!("{pct:+.0}%")
            } else {
                format!("{pct:+.1}%")
            }
        }
    }
}

/// A metric value of a [`Delta`] as text: `212ms`, `0.5%`, `48.2/s`.
pub fn value_text(metric: Metric, value: Option<f64>) -> String {
    let Some(v) = value else { return "-".into() };
    let measured = match metric {
        Metric::ErrorRate => Measured::Ratio(v),
        Metric::MinRps => Measured::Rate(v),
        _ => Measured::Duration(Duration::from_secs_f64(v.max(0.0))),
    };
    format_measured(&measured)
}

/// The two sides of a relative threshold as a diff: `-p95 = 212ms (baseline)` and
/// `+p95 = 251ms (+18%, significant)`.
pub fn sides(o: &RelativeOutcome) -> (String, String) {
    let name = metric_name(o.metric);
    let Some(d) = &o.delta else {
        return (format!("{name}: a baseline"), format!("{name}: {}", o.message));
    };
    let significance = match (o.result, d.call) {
        (_, Call::Regressed) => "significant",
        (RelativeResult::TooNoisy, _) => "not significant",
        _ => "within the allowance",
    };
    let change = d.worse_by.map_or_else(|| "?".into(), |w| change_text(o.metric, w));
    (
        format!("{name} = {} (baseline)", value_text(o.metric, d.baseline)),
        format!(
            "{name} = {} ({change}, {significance})",
            value_text(o.metric, d.current)
        ),
    )
}

/// One subject compared with the baseline on every metric of [`COMPARED`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubjectComparison {
    /// `the run`, `sequence main`, `main/0 GetRequest(/x)`.
    pub label: String,
    /// Per metric.
    pub deltas: Vec<Delta>,
}

/// The run, every sequence and every activity that ran, compared with the baseline with these
/// tolerances (latency and throughput, error rate). A local activity (Sleep, Feed, RunScript, ... and an
/// exchange with `ignore_timing`) is compared on its `error_rate` only: its time and rate are the load
/// generator's, not the service's, so a busy machine must not read as a regression.
pub fn compare(baseline: &Baseline, current: &RunReport, tolerance: Tolerance) -> Vec<SubjectComparison> {
    let mut subjects = vec![Subject::Run];
    subjects.extend(current.sequences.iter().cloned().map(Subject::Sequence));
    subjects.extend((0..current.activities.len()).map(|id| Subject::Activity {
        selector: current.activities[id].path(),
        ids: vec![id],
    }));
    let subjects: Vec<Subject> = subjects
        .into_iter()
        .filter(|s| match s.ids() {
            Some(ids) => ids
                .iter()
                .any(|id| current.stats.activities.get(*id).is_some_and(|m| m.count > 0)),
            None => true,
        })
        .collect();
    compare_subjects(baseline, current, &subjects, tolerance)
}

/// `subjects` compared with the baseline on every metric of [`COMPARED`] (a local activity on its
/// `error_rate` only, see [`compare`]).
pub fn compare_subjects(
    baseline: &Baseline,
    current: &RunReport,
    subjects: &[Subject],
    tolerance: Tolerance,
) -> Vec<SubjectComparison> {
    // One earlier run: each run's clustering is measured once, not per subject.
    let effects = match baseline {
        Baseline::Run(base) => Some(COMPARED.map(|metric| [&**base, current].map(|r| (r, design_effect(metric, r))))),
        _ => None,
    };
    subjects
        .iter()
        .map(|subject| {
            let local = match subject.ids() {
                Some([id]) => current.activities.get(*id).is_some_and(|a| !a.timed),
                _ => false,
            };
            SubjectComparison {
                label: subject.label(&current.activities),
                deltas: COMPARED
                    .iter()
                    .enumerate()
                    .filter(|(_, metric)| !local || **metric == Metric::ErrorRate)
                    .map(|(i, &metric)| match &effects {
                        Some(effects) => delta_with(metric, subject, effects[i], tolerance),
                        None => baseline.delta(metric, subject, current, tolerance),
                    })
                    .collect(),
            }
        })
        .collect()
}
