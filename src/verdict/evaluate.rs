//! Measuring each threshold rule against a run's results.

use super::collect::{Subject, SubjectThresholds};
use super::format::{metric_name, value_and_limit};
use crate::run::RunReport;
use crate::scenario::{Limit, Metric, Span};
use crate::stats::Measure;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::time::Duration;

/// A measured value, of the same kind as the limit it is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measured {
    /// A latency (`pNN`, `mean`, `max`).
    Duration(Duration),
    /// A fraction (`error_rate`).
    Ratio(f64),
    /// A count (`errors`).
    Count(u64),
    /// Per second (`min_rps`).
    Rate(f64),
}

impl Measured {
    /// Whether the value equals the limit exactly.
    pub fn same_as(&self, limit: &Limit) -> bool {
        match (*self, *limit) {
            (Measured::Duration(a), Limit::Duration(b)) => a == b,
            (Measured::Ratio(a), Limit::Ratio(b)) | (Measured::Rate(a), Limit::Rate(b)) => a == b,
            (Measured::Count(a), Limit::Count(b)) => a == b,
            _ => false,
        }
    }

    /// Whether the value keeps within the limit (`None` when the kinds do not fit).
    fn within(&self, limit: &Limit) -> Option<bool> {
        // Ratios come from divisions; a relative slack of 1e-9 keeps `1/200` within `0.5%`.
        let le = |a: f64, b: f64| a <= b + b.abs() * 1e-9;
        Some(match (*self, *limit) {
            (Measured::Duration(a), Limit::Duration(b)) => a <= b,
            (Measured::Ratio(a), Limit::Ratio(b)) => le(a, b),
            (Measured::Count(a), Limit::Count(b)) => a <= b,
            (Measured::Rate(a), Limit::Rate(b)) => le(b, a),
            _ => return None,
        })
    }
}

/// The result of one threshold rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdOutcome {
    /// What was measured.
    pub subject: Subject,
    /// The metric.
    pub metric: Metric,
    /// The limit.
    pub limit: Limit,
    /// The measured value; `None` when the subject never ran.
    pub measured: Option<Measured>,
    /// Samples behind the value: executions, passes (sequence latency) or activity executions
    /// (sequence errors).
    pub samples: u64,
    /// The set's `min_samples` (default 1).
    pub min_samples: u64,
    /// Whether the rule held.
    pub passed: bool,
    /// One line: `p95 of main/0 GetRequest(/x): 312ms > 300ms`, `... never ran`,
    /// `... not enough data (3 samples, need 10)`.
    pub message: String,
    /// Where the rule was written.
    pub span: Span,
}

impl Default for ThresholdOutcome {
    /// A failed `error_rate: 0` on the run, with no data: a neutral start for tests.
    fn default() -> Self {
        ThresholdOutcome {
            subject: Subject::Run,
            metric: Metric::ErrorRate,
            limit: Limit::Ratio(0.0),
            measured: None,
            samples: 0,
            min_samples: 1,
            passed: false,
            message: String::new(),
            span: Span::default(),
        }
    }
}

impl ThresholdOutcome {
    /// Whether it failed because the subject never ran.
    pub fn never_ran(&self) -> bool {
        self.samples == 0
    }

    /// Whether it failed because there were fewer samples than `min_samples` (but some).
    pub fn not_enough_data(&self) -> bool {
        self.samples > 0 && self.samples < self.min_samples
    }
}

/// Measures every rule of `thresholds` against `report`: one outcome per rule, in order. See the
/// [module documentation](super) for what each metric measures.
pub fn evaluate(thresholds: &[SubjectThresholds], report: &RunReport) -> Vec<ThresholdOutcome> {
    let mut out = Vec::new();
    for st in thresholds {
        let data = SubjectData::of(&st.subject, report);
        let label = st.subject.label(&report.activities);
        let min_samples = st.set.min_samples.unwrap_or(1).max(1);
        for rule in &st.set.rules {
            let (samples, measured) = data.measure(rule.metric, report.elapsed);
            let name = metric_name(rule.metric);
            let (passed, message) = if samples == 0 {
                (false, format!("{name} of {label}: never ran"))
            } else if samples < min_samples {
                (
                    false,
                    format!("{name} of {label}: not enough data ({samples} samples, need {min_samples})"),
                )
            } else {
                judge(&name, &label, rule.metric, measured.as_ref(), &rule.limit)
            };
            out.push(ThresholdOutcome {
                subject: st.subject.clone(),
                metric: rule.metric,
                limit: rule.limit,
                measured: if samples == 0 { None } else { measured },
                samples,
                min_samples,
                passed,
                message,
                span: rule.span,
            });
        }
    }
    out
}

fn judge(name: &str, label: &str, metric: Metric, measured: Option<&Measured>, limit: &Limit) -> (bool, String) {
    let Some(value) = measured else {
        return (false, format!("{name} of {label}: no value"));
    };
    let Some(ok) = value.within(limit) else {
        let (v, l) = value_and_limit(value, limit);
        return (
            false,
            format!("{name} of {label}: {v} cannot be compared with the limit {l}"),
        );
    };
    let op = match (metric, ok) {
        (Metric::MinRps, true) => ">=",
        (Metric::MinRps, false) => "<",
        (_, true) => "<=",
        (_, false) => ">",
    };
    let (v, l) = value_and_limit(value, limit);
    (ok, format!("{name} of {label}: {v} {op} {l}"))
}

/// What a subject measured: the measure latency metrics and `min_rps` read, and the executions and
/// errors error metrics read.
struct SubjectData<'a> {
    timing: Cow<'a, Measure>,
    executions: u64,
    errors: u64,
}

impl<'a> SubjectData<'a> {
    fn of(subject: &Subject, report: &'a RunReport) -> Self {
        let stats = &report.stats;
        match subject {
            Subject::Run => {
                let (executions, errors) = counts(stats.activities.iter());
                SubjectData {
                    timing: Cow::Borrowed(&stats.total),
                    executions,
                    errors,
                }
            }
            Subject::Sequence(name) => {
                let passes = report
                    .sequences
                    .iter()
                    .position(|s| s == name)
                    .and_then(|pos| stats.sequences.get(pos));
                let mine = report
                    .activities
                    .iter()
                    .zip(&stats.activities)
                    .filter(|(a, _)| &a.sequence == name)
                    .map(|(_, m)| m);
                let (executions, errors) = counts(mine);
                SubjectData {
                    timing: passes.map_or_else(|| Cow::Owned(Measure::default()), Cow::Borrowed),
                    executions,
                    errors,
                }
            }
            Subject::Activity { ids, .. } => {
                let mut measures = ids.iter().filter_map(|id| stats.activities.get(*id));
                let timing = match (measures.next(), measures.next()) {
                    (None, _) => Cow::Owned(Measure::default()),
                    (Some(one), None) => Cow::Borrowed(one),
                    (Some(first), Some(second)) => {
                        let mut merged = first.clone();
                        merged.merge(second);
                        measures.for_each(|m| merged.merge(m));
                        Cow::Owned(merged)
                    }
                };
                SubjectData {
                    executions: timing.count,
                    errors: timing.error_count(),
                    timing,
                }
            }
        }
    }

    /// Samples and value of a metric.
    fn measure(&self, metric: Metric, elapsed: Duration) -> (u64, Option<Measured>) {
        let t = &self.timing;
        match metric {
            Metric::Percentile(q) => (t.count, t.latency.percentile(q).map(Measured::Duration)),
            Metric::Mean => (t.count, t.latency.mean().map(Measured::Duration)),
            Metric::Max => (t.count, t.latency.max().map(Measured::Duration)),
            Metric::MinRps => (t.count, Some(Measured::Rate(t.rate(elapsed)))),
            Metric::Errors => (self.executions, Some(Measured::Count(self.errors))),
            Metric::ErrorRate => (
                self.executions,
                (self.executions > 0).then(|| Measured::Ratio(self.errors as f64 / self.executions as f64)),
            ),
        }
    }
}

fn counts<'m>(measures: impl Iterator<Item = &'m Measure>) -> (u64, u64) {
    measures.fold((0, 0), |(n, e), m| (n + m.count, e + m.error_count()))
}
