//! Judging a run: thresholds, trials and the verdict, computed in one place.
//!
//! [`Judgement`] is the judged run: the report, the thresholds and their outcomes, every trial of the
//! file judged, the [`Verdict`] and the reasons for it. It is produced once, by [`Judgement::new`] (from
//! a scenario and its [`RunReport`](crate::run::RunReport)) or [`Judgement::from_parts`] (from merged results files); the
//! terminal summary, JSON results, JUnit, the HTML report, the monitor's final state, the harness trials
//! and the exit code are all functions of it. The steps inside:
//!
//! 1. [`collect`] flattens a scenario's thresholds — the top-level `thresholds` section,
//!    `thresholds.sequences`, `thresholds.activities` (by `name:` or `sequence/index`) and the inline
//!    `thresholds:` of activities — into a list of [`SubjectThresholds`]. The list is serializable, so
//!    results files carry it and `stressor merge` can evaluate it again without the YAML.
//! 2. [`evaluate`] measures every rule against a [`RunReport`](crate::run::RunReport) and returns one [`ThresholdOutcome`] per
//!    rule: the measured value, the sample count, pass/fail and a one-line message with the measured
//!    value next to the limit (`p95 of main/0 GetRequest(/x): 312ms > 300ms`).
//! 3. [`trial_specs`] names the file's trials; the judgement judges each (see [`trials`]).
//!
//! # What each metric measures
//!
//! | subject | latency metrics (`pNN`, `mean`, `max`) | `error_rate` | `errors` | `min_rps` |
//! |---|---|---|---|---|
//! | the run | successful exchanges (`stats.total`) | errors / executions of exchanges | errors of all activities | successful exchanges per second of run time |
//! | a sequence, a workload | its successful exchanges, merged | errors / executions of its exchanges | errors of all its activities | its successful exchanges per second |
//! | an activity selector | its successful executions (a `name:` shared by several activities merges their measures) | its errors / its executions | its errors | its successful executions per second |
//!
//! An *exchange* is an execution of an activity that talks to the service
//! ([`ActivityKind::exchanges`](crate::scenario::ActivityKind::exchanges): requests, `StaticRequests`,
//! `PollRequest`, plugins that declare it) and has no `ignore_timing: true`
//! ([`ActivityInfo::timed`](crate::run::ActivityInfo::timed)). Local activities (`Sleep`, `Feed`,
//! `RunScript`, `$debug()`) are measured in their own rows only: a `Feed` that takes 20 µs must not make
//! a run's p95 pass while every request fails. Their errors are in `errors` and fail the run as any
//! error does (no `error_rate` covers them). A sequence's row in the summary is its passes' wall time;
//! its budgets read its exchanges, like the run's.
//!
//! Latency is over successful executions only: a dead server's fast connection refusals cannot make
//! a percentile look good. Failed executions are counted and their latency is kept apart
//! ([`Measure::failed_latency`](crate::stats::Measure::failed_latency)). Executions cut short by a
//! stop are counted as `stopped`: neither successes nor errors.
//!
//! Latency limits and `error_rate`/`errors` pass when the measured value is at most the limit; `min_rps`
//! passes when the measured rate is at least the limit. A rule fails without being compared when its
//! subject never ran (`... never ran`), when nothing of it completed (`... nothing completed (3
//! stopped)`), when a latency metric has no successful sample (`... no successful samples (12
//! failed)`), or with fewer samples than the set's `min_samples` (default 1): `... not enough data (3
//! samples, need 10)`.
//!
//! # The verdict
//!
//! The run **fails** when any of these holds (each is a [`Reason`], and each fails a trial):
//! a threshold rule did not hold; an error happened that no error budget covers (see [`judgement`]:
//! without thresholds, any error); `max_errors` stopped the run; nothing completed; a sequence or a
//! checked activity of the scenario never completed an execution. Otherwise, when the load generator
//! itself was overloaded, the run is [`Verdict::Inconclusive`]; else it passed. A run a person cut
//! short (Ctrl-C, SIGTERM, the monitor's Stop button) is [`Verdict::Stopped`] whatever else held: its
//! results are partial (`Result: STOPPED (interrupted by Ctrl-C / SIGTERM; ...)`, the other reasons
//! after it).
//!
//! Exit codes: [`Verdict::exit_code`] is 0, 1, 3 (stopped) or 4.

mod abort;
pub mod baseline;
mod collect;
pub mod confirm;
mod evaluate;
pub mod failure;
mod format;
pub mod gate;
pub mod history;
pub mod judgement;
pub mod paired;
pub mod reference;
pub mod relative;
pub mod trials;
mod window;

#[cfg(test)]
mod tests;

pub use abort::AbortWatch;
pub use collect::{Subject, SubjectThresholds, collect};
pub use evaluate::{Measured, ThresholdOutcome, evaluate};
pub use failure::{FailureKind, TrialFailure};
pub use format::{format_limit, format_measured, metric_name, rule_name, value_and_limit};
pub use judgement::{Judgement, Policy, Reason, Trial, TrialOutcome};
pub use reference::Baseline;
pub use trials::{TrialKind, TrialSpec, trial_specs};

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
    /// A person cut the run short (Ctrl-C, SIGTERM, the monitor's Stop button): its results are
    /// partial, whatever they say, so it neither passed nor failed on its merits (exit 3).
    Stopped,
}

impl Verdict {
    /// The process exit code: 0 pass, 1 failed, 3 stopped, 4 inconclusive.
    ///
    /// ```
    /// use stressor::verdict::Verdict;
    /// assert_eq!(Verdict::Pass.exit_code(), 0);
    /// assert_eq!(Verdict::Failed.exit_code(), 1);
    /// assert_eq!(Verdict::Stopped.exit_code(), 3);
    /// assert_eq!(Verdict::Inconclusive.exit_code(), 4);
    /// ```
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Failed => 1,
            Verdict::Stopped => 3,
            Verdict::Inconclusive => 4,
        }
    }

    /// `pass`, `failed`, `inconclusive` or `stopped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Failed => "failed",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Stopped => "stopped",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
