//! Thresholds in the model: budgets on the run, sequences, activities and tags, absolute or relative to
//! a baseline, with their options (`window`, `abort_on_fail`, filters). Plain data; `crate::verdict`
//! judges them.

use super::source::Span;
use std::time::Duration;

/// All thresholds of a scenario.
#[derive(Clone, Debug, Default)]
pub struct Thresholds {
    /// Top-level limits over the whole run.
    pub run: ThresholdSet,
    /// `thresholds.sequences`.
    pub sequences: Vec<(String, ThresholdSet)>,
    /// `thresholds.activities` (by name or path).
    pub activities: Vec<(String, ThresholdSet)>,
    /// `thresholds.tags`, by `key=value` of the activities' `tags`.
    pub tags: Vec<(String, ThresholdSet)>,
    /// The `thresholds` of each entry of `workloads`, by workload name: limits over that workload's
    /// activities.
    pub workloads: Vec<(String, ThresholdSet)>,
    /// `thresholds.baseline_required`: a relative threshold without a baseline fails instead of being
    /// skipped with a note.
    pub baseline_required: bool,
    /// `thresholds.warmup`: the start of the run that nothing judges (its own error budget aside).
    pub warmup: Option<Warmup>,
    /// `thresholds.confirm`: how often a run whose thresholds failed is run again before the failure
    /// counts (0: never). A failure that does not repeat is flaky and passes.
    pub confirm: u32,
}

/// `thresholds.warmup: 5s`, `auto`, or `{duration: 5s, errors: 10}`: the first part of a run is measured
/// apart and shown, but no threshold, comparison or verdict judges it.
#[derive(Clone, Debug, PartialEq)]
pub struct Warmup {
    /// How long it lasts.
    pub length: WarmupLength,
    /// The warm-up's own error budget (`errors`, `error_rate`, filters allowed): without one, errors
    /// during the warm-up are shown but not judged.
    pub budget: ThresholdSet,
    /// Where it was written.
    pub span: Span,
}

/// How long a warm-up lasts.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmupLength {
    /// A fixed time from the run's start.
    Fixed(Duration),
    /// Until the throughput and the median latency settle (see `run::warmup`).
    Auto,
}

impl Thresholds {
    /// Whether no threshold is defined anywhere in this section.
    pub fn is_empty(&self) -> bool {
        self.run.is_empty()
            && self.sequences.is_empty()
            && self.activities.is_empty()
            && self.tags.is_empty()
            && self.workloads.is_empty()
            && self.warmup.as_ref().is_none_or(|w| w.budget.is_empty())
    }
}

/// Limits on one subject (the run, a sequence, an activity or a tag).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThresholdSet {
    /// The absolute limits.
    pub rules: Vec<Threshold>,
    /// The limits relative to a baseline (`vs_baseline`). Absent from older results files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relative: Vec<RelativeRule>,
    /// Fewer samples than this fail with "not enough data" (default 1).
    pub min_samples: Option<u64>,
    /// Where the set was written.
    pub span: Option<Span>,
}

impl ThresholdSet {
    /// Whether it has no limit at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.relative.is_empty()
    }
}

/// One limit: `p95: 300ms`, or with options `p95: {max: 300ms, window: 30s, abort_on_fail: true}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Threshold {
    /// The measured quantity.
    pub metric: Metric,
    /// The limit.
    pub limit: Limit,
    /// Where it was written.
    pub span: Span,
    /// Only executions of this error class or response status class count (`errors{class:timeout}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Judged over every window of this length (from the per-second series) instead of the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    /// `abort_on_fail`: checked while the run goes, from this long after the start; when it fails, the
    /// run stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_after: Option<Duration>,
}

impl Threshold {
    /// A plain limit (no filter, window or abort).
    pub fn new(metric: Metric, limit: Limit, span: Span) -> Self {
        Threshold {
            metric,
            limit,
            span,
            filter: None,
            window: None,
            abort_after: None,
        }
    }
}

/// A limit on the change against a baseline run: `p95: {vs_baseline: +10%}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RelativeRule {
    /// The measured quantity (a percentile, `mean`, `error_rate` or `min_rps`).
    pub metric: Metric,
    /// How much worse than the baseline it may get.
    pub allowed: Change,
    /// Where it was written.
    pub span: Span,
}

/// An allowed change against a baseline.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A fraction of the baseline's value (`+10%` = 0.10).
    Relative(f64),
    /// Percentage points of a rate (`+0.1pp` = 0.001), for `error_rate`.
    Points(f64),
}

/// Which executions a filtered threshold counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    /// Errors of one class (`{class:timeout}`), by its name.
    Class(crate::scenario::ErrorClass),
    /// Responses of one status class (`{status:5xx}`).
    Status(StatusClass),
}

/// A response status class: 1 for 1xx ... 5 for 5xx.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusClass(pub u8);

impl std::fmt::Display for StatusClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}xx", self.0)
    }
}

/// What a threshold measures.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// A latency percentile, e.g. 95.0 or 99.9.
    Percentile(f64),
    /// Mean latency.
    Mean,
    /// Maximum latency.
    Max,
    /// Errors / count.
    ErrorRate,
    /// Error count.
    Errors,
    /// Minimum requests per second.
    MinRps,
}

impl Metric {
    /// The metric as written in YAML: `p95`, `p99.9`, `mean`, `error_rate`, ...
    pub fn name(self) -> String {
        match self {
            Metric::Percentile(q) => format!("p{q}"),
            Metric::Mean => "mean".into(),
            Metric::Max => "max".into(),
            Metric::ErrorRate => "error_rate".into(),
            Metric::Errors => "errors".into(),
            Metric::MinRps => "min_rps".into(),
        }
    }

    /// Every metric name accepted in YAML.
    pub const NAMES: &'static [&'static str] = &[
        "p50",
        "p75",
        "p90",
        "p95",
        "p99",
        "p99.9",
        "mean",
        "max",
        "error_rate",
        "errors",
        "min_rps",
    ];
}

/// A threshold's limit.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// A latency bound.
    Duration(Duration),
    /// A fraction (0.005 = 0.5 %).
    Ratio(f64),
    /// A count.
    Count(u64),
    /// Requests per second.
    Rate(f64),
}
