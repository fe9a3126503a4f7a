//! Measuring each threshold rule against a run's results.

use super::collect::{Subject, SubjectThresholds};
use super::format::{rule_name, value_and_limit};
use crate::run::RunReport;
use crate::scenario::{Filter, Limit, Metric, Span, Threshold};
use crate::stats::Measure;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt::Write as _;
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
    pub(super) fn within(&self, limit: &Limit) -> Option<bool> {
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
    /// The measured value; `None` when there was nothing to measure (see `message`).
    pub measured: Option<Measured>,
    /// Samples behind the value: successful executions (or passes) for latency metrics, completed
    /// executions for `min_rps`, `errors` and `error_rate`.
    pub samples: u64,
    /// Completed executions of the subject (successful or failed). Absent from older results files.
    #[serde(default)]
    pub executions: u64,
    /// Executions of the subject a stop cut short. Absent from older results files and when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stopped: u64,
    /// The set's `min_samples` (default 1).
    pub min_samples: u64,
    /// Whether the rule held.
    pub passed: bool,
    /// One line: `p95 of main/0 GetRequest(/x): 312ms > 300ms`, `... never ran`,
    /// `... nothing completed (3 stopped)`, `... no successful samples (12 failed)`,
    /// `... not enough data (3 samples, need 10)`.
    pub message: String,
    /// Where the rule was written.
    pub span: Span,
    /// The rule as messages and tables name it: `p95`, `errors{class:timeout}`, `p95 over 30s
    /// windows`. Empty in older results files (the metric's name is used then).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
            executions: 0,
            stopped: 0,
            min_samples: 1,
            passed: false,
            message: String::new(),
            span: Span::default(),
            name: String::new(),
        }
    }
}

impl ThresholdOutcome {
    /// The rule's name (`p95`, `errors{class:timeout}`), also for outcomes of older results files.
    pub fn rule_name(&self) -> String {
        if self.name.is_empty() {
            super::format::metric_name(self.metric)
        } else {
            self.name.clone()
        }
    }

    /// Whether the subject never started an execution.
    pub fn never_ran(&self) -> bool {
        self.executions == 0 && self.stopped == 0 && self.samples == 0
    }

    /// Whether every execution the subject started was cut short by a stop.
    pub fn nothing_completed(&self) -> bool {
        self.executions == 0 && self.stopped > 0
    }

    /// Whether executions completed but none succeeded (latency metrics and `min_rps` only).
    pub fn no_successful_samples(&self) -> bool {
        self.executions > 0 && self.samples == 0
    }

    /// Whether it failed because there were fewer samples than `min_samples` (but some).
    pub fn not_enough_data(&self) -> bool {
        self.samples > 0 && self.samples < self.min_samples
    }

    /// Why it could not be judged, as the result column shows it (`never ran`, `nothing completed`,
    /// `no successful samples`, `not enough data (need 10)`); `None` when it was judged.
    pub fn unjudged(&self) -> Option<String> {
        if self.never_ran() {
            Some("never ran".into())
        } else if self.nothing_completed() {
            Some("nothing completed".into())
        } else if self.no_successful_samples() {
            Some("no successful samples".into())
        } else if self.not_enough_data() {
            Some(format!("not enough data (need {})", self.min_samples))
        } else {
            None
        }
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
            if let Some(window) = rule.window {
                out.push(super::window::evaluate(st, rule, window, report, &label, min_samples));
                continue;
            }
            let (samples, measured) = data.measure(rule, report.elapsed);
            let (executions, stopped) = data.executions(rule.metric);
            let name = rule_name(rule);
            let fail = |why: String| (false, format!("{name} of {label}: {why}"));
            let (passed, message) = if executions == 0 && stopped == 0 {
                fail("never ran".into())
            } else if executions == 0 {
                fail(format!("nothing completed ({stopped} stopped)"))
            } else if samples == 0 {
                let failed = data.timing.error_count();
                fail(format!("no successful samples ({failed} failed)"))
            } else if samples < min_samples {
                fail(format!("not enough data ({samples} samples, need {min_samples})"))
            } else {
                let (passed, mut message) = judge(&name, &label, rule.metric, measured.as_ref(), &rule.limit);
                if rule.metric == Metric::ErrorRate {
                    // Both numbers of the ratio: 1 in 3 reads differently from 1,000 in 3,000.
                    let failed = data.rate.failed(rule.filter);
                    let _ = write!(message, " ({failed} of {executions} executions failed)");
                }
                (passed, message)
            };
            out.push(ThresholdOutcome {
                subject: st.subject.clone(),
                metric: rule.metric,
                limit: rule.limit,
                measured: if samples == 0 { None } else { measured },
                samples,
                executions,
                stopped,
                min_samples,
                passed,
                message,
                span: rule.span,
                name: rule_name(rule),
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

/// Counted executions of a group of activities (no latencies): what `errors` and `error_rate` read.
#[derive(Default)]
struct Counts {
    executions: u64,
    errors: crate::stats::ErrorCounts,
    statuses: crate::stats::StatusCounts,
}

impl Counts {
    fn add(&mut self, m: &Measure) {
        self.executions += m.count;
        self.errors.merge(&m.errors);
        self.statuses.merge(&m.statuses);
    }

    /// The executions a rule counts as failed: all errors, or those its filter selects.
    fn failed(&self, filter: Option<Filter>) -> u64 {
        match filter {
            None => self.errors.total(),
            Some(Filter::Class(class)) => self.errors.get(class),
            Some(Filter::Status(status)) => self.statuses.get(status.0),
        }
    }
}

/// What a subject measured: the measure latency metrics and `min_rps` read (`timing`, with its own
/// count of executions cut short), the counts `error_rate` reads (exchanges only, for the run, a
/// sequence and a workload), the counts `errors` reads (every activity), and the activities' executions cut
/// short.
pub(super) struct SubjectData<'a> {
    timing: Cow<'a, Measure>,
    rate: Counts,
    all: Counts,
    stopped: u64,
}

impl<'a> SubjectData<'a> {
    /// The measure latency metrics and `min_rps` read.
    pub(super) fn timing(&self) -> &Measure {
        &self.timing
    }

    /// Executions and errors `error_rate` reads (unfiltered).
    pub(super) fn error_counts(&self) -> (u64, u64) {
        (self.rate.executions, self.rate.failed(None))
    }

    /// A comparable metric's value (what `vs_baseline` rules compare): seconds for latencies, a
    /// fraction for the error rate, successful executions per second of `elapsed` for throughput;
    /// `None` without one (and for `max` and `errors`, which are not compared).
    pub(super) fn value(&self, metric: Metric, elapsed: Duration) -> Option<f64> {
        let latency = &self.timing.latency;
        match metric {
            Metric::Percentile(q) => latency.percentile(q).map(|d| d.as_secs_f64()),
            Metric::Mean => latency.mean().map(|d| d.as_secs_f64()),
            Metric::ErrorRate => {
                let (n, e) = self.error_counts();
                (n > 0).then(|| e as f64 / n as f64)
            }
            Metric::MinRps => {
                let secs = elapsed.as_secs_f64();
                (secs > 0.0).then(|| self.timing.successes() as f64 / secs)
            }
            Metric::Max | Metric::Errors => None,
        }
    }

    /// What `subject` measured in `report`.
    pub(super) fn of(subject: &Subject, report: &'a RunReport) -> Self {
        let stats = &report.stats;
        let activities = report.activities.iter().zip(&stats.activities);
        match subject {
            Subject::Run => Self::from_activities(Cow::Borrowed(&stats.total), activities),
            Subject::Warmup => match &report.warmup {
                Some(w) => Self::from_activities(
                    Cow::Borrowed(&w.stats.total),
                    report.activities.iter().zip(&w.stats.activities),
                ),
                None => Self::from_activities(Cow::Owned(Measure::default()), std::iter::empty()),
            },
            Subject::Sequence(name) => {
                // Like the run's total: its exchanges' executions, merged. Its passes' wall time
                // (think time and local work included) is its row in the summary, not its budget.
                let ids: Vec<usize> = (0..report.activities.len())
                    .filter(|id| &report.activities[*id].sequence == name)
                    .collect();
                let mine = activities.filter(|(a, _)| &a.sequence == name);
                Self::from_activities(Cow::Owned(report.total_of(&ids)), mine)
            }
            Subject::Workload { ids, .. } => {
                // Like the run's total: its exchanges' executions, merged.
                let timing = report.total_of(ids);
                let mine = activities
                    .enumerate()
                    .filter(|(id, _)| ids.contains(id))
                    .map(|(_, pair)| pair);
                Self::from_activities(Cow::Owned(timing), mine)
            }
            Subject::Activity { ids, .. } | Subject::Tag { ids, .. } => {
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
                // Selected by name or tag, an activity's own executions count, timed or not.
                let (mut rate, mut all) = (Counts::default(), Counts::default());
                rate.add(&timing);
                all.add(&timing);
                SubjectData {
                    rate,
                    all,
                    stopped: timing.stopped,
                    timing,
                }
            }
        }
    }

    /// A run or sequence: `timing` is its own measure, the counts come from its activities.
    fn from_activities<'m>(
        timing: Cow<'a, Measure>,
        activities: impl Iterator<Item = (&'m crate::run::ActivityInfo, &'m Measure)>,
    ) -> Self {
        let mut data = SubjectData {
            timing,
            rate: Counts::default(),
            all: Counts::default(),
            stopped: 0,
        };
        for (info, m) in activities {
            data.all.add(m);
            data.stopped += m.stopped;
            if info.timed {
                data.rate.add(m);
            }
        }
        data
    }

    /// Completed executions behind a metric and those a stop cut short (for the run, a sequence and a
    /// workload: their exchanges' for latency, rates and `error_rate`, all activities' for `errors`).
    fn executions(&self, metric: Metric) -> (u64, u64) {
        match metric {
            Metric::ErrorRate => (self.rate.executions, self.stopped),
            Metric::Errors => (self.all.executions, self.stopped),
            _ => (self.timing.count, self.timing.stopped),
        }
    }

    /// Samples and value of a rule's metric.
    fn measure(&self, rule: &Threshold, elapsed: Duration) -> (u64, Option<Measured>) {
        let t = &self.timing;
        let ok = t.latency.count();
        match rule.metric {
            Metric::Percentile(q) => (ok, t.latency.percentile(q).map(Measured::Duration)),
            Metric::Mean => (ok, t.latency.mean().map(Measured::Duration)),
            Metric::Max => (ok, t.latency.max().map(Measured::Duration)),
            Metric::MinRps => (t.count, Some(Measured::Rate(t.success_rate(elapsed)))),
            Metric::Errors => (self.all.executions, Some(Measured::Count(self.all.failed(rule.filter)))),
            Metric::ErrorRate => {
                let n = self.rate.executions;
                (
                    n,
                    (n > 0).then(|| Measured::Ratio(self.rate.failed(rule.filter) as f64 / n as f64)),
                )
            }
        }
    }
}
