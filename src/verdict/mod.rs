//! Thresholds and the verdict: what decides whether a run passed.
//!
//! Three steps, each a plain function of plain data, so the CLI, the cargo harness and `stressor merge`
//! share them:
//!
//! 1. [`collect`] flattens a scenario's thresholds — the top-level `thresholds` section,
//!    `thresholds.sequences`, `thresholds.activities` (by `name:` or `sequence/index`) and the inline
//!    `thresholds:` of activities — into a list of [`SubjectThresholds`]. The list is serializable, so
//!    results files carry it and `stressor merge` can evaluate it again without the YAML.
//! 2. [`evaluate`] measures every rule against a [`RunReport`] and returns one [`ThresholdOutcome`] per
//!    rule: the measured value, the sample count, pass/fail and a one-line message with the measured
//!    value next to the limit (`p95 of main/0 GetRequest(/x): 312ms > 300ms`).
//! 3. [`verdict`] turns the report and the outcomes into a [`Verdict`] with an exit code.
//!
//! # What each metric measures
//!
//! | subject | latency metrics (`pNN`, `mean`, `max`) | `error_rate`, `errors` | `min_rps` |
//! |---|---|---|---|
//! | the run | every timed activity (`stats.total`; `ignore_timing` activities such as Sleep are left out) | errors of **all** activities over all executions | timed activities per second of run time |
//! | a sequence | the time of its **passes** (one sample per pass) | errors of its activities over its activities' executions | passes per second of run time |
//! | an activity selector | its activities' executions (a `name:` shared by several activities merges their measures) | its activities' errors over their executions | executions per second of run time |
//!
//! Run-level error metrics count all activities, timed or not, so that a failing activity marked
//! `ignore_timing` cannot slip past an `error_rate` budget (the same errors that fail a run without
//! thresholds).
//!
//! Latency limits and `error_rate`/`errors` pass when the measured value is at most the limit; `min_rps`
//! passes when the measured rate is at least the limit. A subject without samples fails (`... never
//! ran`), as does one with fewer samples than the set's `min_samples` (default 1): `... not enough data
//! (3 samples, need 10)`.
//!
//! # The verdict
//!
//! - Without any threshold, any error fails the run (the original's rule).
//! - With thresholds, the thresholds decide: errors count only through `error_rate` and `errors`
//!   thresholds, so a run with `error_rate: 1%` and 0.2 % errors passes. A failed threshold fails the
//!   run.
//! - A run stopped by `max_errors` fails either way: the error budget of the run was used up and the
//!   rest of the work never happened.
//! - Otherwise, when the load generator itself was overloaded, the run is [`Verdict::Inconclusive`];
//!   else it passed.
//!
//! Exit codes: [`Verdict::exit_code`] is 0, 1 or 4; an interrupted run exits with 3, decided by the
//! CLI.

mod collect;
mod evaluate;
mod format;

#[cfg(test)]
mod tests;

pub use collect::{Subject, SubjectThresholds, collect};
pub use evaluate::{Measured, ThresholdOutcome, evaluate};
pub use format::{format_limit, format_measured, metric_name, value_and_limit};

use crate::run::{RunReport, StopReason};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every threshold passed (or, without thresholds, no error happened).
    Pass,
    /// A threshold failed (or, without thresholds, an error happened; or `max_errors` stopped the run).
    Failed,
    /// Nothing failed, but the load generator was the bottleneck: the numbers cannot be trusted.
    Inconclusive,
}

impl Verdict {
    /// The process exit code: 0 pass, 1 failed, 4 inconclusive.
    ///
    /// ```
    /// use stressor::verdict::Verdict;
    /// assert_eq!(Verdict::Pass.exit_code(), 0);
    /// assert_eq!(Verdict::Failed.exit_code(), 1);
    /// assert_eq!(Verdict::Inconclusive.exit_code(), 4);
    /// ```
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Failed => 1,
            Verdict::Inconclusive => 4,
        }
    }

    /// `pass`, `failed` or `inconclusive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Failed => "failed",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decides the run: see the [module documentation](self) for the rules. `outcomes` are the results of
/// [`evaluate`]; an empty list means the scenario has no thresholds.
///
/// ```
/// use stressor::run::RunReport;
/// use stressor::verdict::{Verdict, verdict};
/// assert_eq!(verdict(&RunReport::default(), &[], false), Verdict::Pass);
/// assert_eq!(verdict(&RunReport::default(), &[], true), Verdict::Inconclusive);
/// ```
pub fn verdict(report: &RunReport, outcomes: &[ThresholdOutcome], generator_overloaded: bool) -> Verdict {
    let failed = if outcomes.is_empty() {
        report.error_count() > 0
    } else {
        outcomes.iter().any(|o| !o.passed)
    };
    if failed || report.stop == Some(StopReason::MaxErrors) {
        Verdict::Failed
    } else if generator_overloaded {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}
