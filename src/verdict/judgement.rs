//! The judged run: one value that every report, the harness trials and the exit code are views of.
//!
//! ```text
//!   Scenario ──┐                        ┌─► report::summary (terminal), json (--out), junit, html
//!              ├─► Judgement::new ──────┼─► harness trials (cargo test), the one-line harness summary
//!   RunReport ─┘   (or from_parts for   ├─► the monitor's final state
//!                   merged results)     └─► the exit code
//! ```
//!
//! [`Judgement::from_parts`] is the one place where thresholds are evaluated, trials judged and the
//! verdict decided; `stressor run`, the harness and `stressor merge` all go through it.
//!
//! # Errors and error budgets
//!
//! An error is *within an error budget* when a budget that held applies to its activity: an
//! `error_rate` threshold on the run, its sequence or the activity itself (for the run and a sequence,
//! `error_rate` leaves `ignore_timing` activities out, so it covers only timed ones), or an `errors`
//! threshold on any of them. Such an error is judged by its budget alone; any other error fails the run,
//! and the trials of its sequence and activity (which then show it, with its failed checks). So
//! `error_rate: 1%` with 0.2 % errors passes; with 2 % errors the budget fails and so do the trials of
//! the failing activities; a file whose only threshold is `p95` fails on its first error, as does a
//! file without thresholds (the original's rule).

use super::failure::{FailureKind, TrialFailure, errors_failure, threshold_failure};
use super::relative::{RelativeOutcome, RelativeResult, SubjectComparison, compare, shape_mismatch};
use super::trials::{TrialKind, TrialSpec, trial_specs, trial_time};
use super::{Subject, SubjectThresholds, ThresholdOutcome, Verdict, collect, evaluate};
use crate::run::{ActivityInfo, RunReport, StopReason};
use crate::scenario::{Metric, Scenario, SourceMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// How to judge: what the environment of a run may relax, and what to compare with.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The baseline run (`--baseline`, `STRESSOR_BASELINE`) for `vs_baseline` thresholds and the
    /// summary's comparison: one run, a history of runs, or the baseline service measured at the same
    /// moments; `Err(why)` when one was asked for but cannot be used (`why` names the path and the
    /// reason). A baseline that was asked for adds the `baseline` trial
    /// ([`add_baseline`](super::trials::add_baseline)); one that cannot be read fails it and the run,
    /// unless `baseline_optional`.
    pub baseline: Option<Result<super::Baseline, String>>,
    /// A baseline that was asked for and cannot be read only skips the `baseline` trial, with the
    /// reason, instead of failing it (`STRESSOR_BASELINE_REQUIRED=0`): the explicit opt-out for a run
    /// that may have no baseline yet.
    pub baseline_optional: bool,
    /// A `vs_baseline` threshold without a baseline fails (`thresholds.baseline_required`) instead of
    /// being skipped with a note.
    pub baseline_required: bool,
    /// Thresholds are not judged (their trials are skipped with this reason); the harness's smoke
    /// profile sets it, since one pass cannot meet `min_samples` or a rate.
    pub skip_thresholds: Option<String>,
    /// Whether an inconclusive run fails its `run` trial (default true).
    pub inconclusive_fails: bool,
    /// Only the `vs_baseline` rules judge (`stressor ab`: whether B is worse than A, not whether it
    /// meets absolute limits). Errors are then judged through the `error_rate` comparison, not by
    /// themselves.
    pub relative_only: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            baseline: None,
            baseline_optional: false,
            baseline_required: false,
            skip_thresholds: None,
            inconclusive_fails: true,
            relative_only: false,
        }
    }
}

/// Why a run did not pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Threshold rules did not hold.
    Thresholds {
        /// Rules that failed.
        failed: usize,
        /// All rules.
        total: usize,
    },
    /// Errors no error budget covers.
    Errors {
        /// How many.
        errors: u64,
        /// Whether the scenario has thresholds at all (for the wording).
        any_thresholds: bool,
    },
    /// `max_errors` stopped the run.
    MaxErrors,
    /// An `abort_on_fail` threshold stopped the run.
    Aborted(crate::run::Aborted),
    /// No execution of the run completed.
    NothingCompleted {
        /// Executions a stop cut short.
        stopped: u64,
    },
    /// Sequences or checked activities that never completed an execution (labels).
    Incomplete(Vec<String>),
    /// `vs_baseline` thresholds that regressed significantly.
    Regressed(usize),
    /// `vs_baseline` thresholds worse than allowed, but the runs are too noisy to tell.
    TooNoisy(usize),
    /// `vs_baseline` thresholds without a baseline, which `baseline_required` makes a failure.
    NoBaseline(usize),
    /// A baseline was asked for and cannot be read (the path and the reason).
    BaselineUnreadable(String),
    /// The load generator was the bottleneck (why, one entry per limit exceeded).
    Generator(Vec<String>),
    /// The run ended before its warm-up did: nothing was judged (how long the warm-up was).
    WarmupNotOver(Duration),
    /// Shards of a coordinated run were lost before they finished: the run measured is not the whole
    /// load that was asked for.
    LostShards(Vec<crate::run::LostShard>),
    /// A person stopped the run (Ctrl-C, SIGTERM, the monitor's Stop button): how.
    Stopped(StopReason),
    /// The results (or the baseline they are compared with) are a checkpoint of a run that had not
    /// finished: what they show may not hold for the whole run.
    Unfinished {
        /// The baseline's, not the run's own.
        baseline: bool,
        /// When the checkpoint was taken, when known.
        at: Option<std::time::SystemTime>,
    },
}

impl Reason {
    /// Whether it fails the run (anything but the generator and a too-noisy comparison, which make
    /// it inconclusive).
    pub fn fails(&self) -> bool {
        !matches!(
            self,
            Reason::Generator(_)
                | Reason::TooNoisy(_)
                | Reason::LostShards(_)
                | Reason::Unfinished { .. }
                | Reason::WarmupNotOver(_)
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Thresholds { failed, total } => write!(f, "{failed} of {total} thresholds failed"),
            Reason::Errors {
                errors,
                any_thresholds: false,
            } => write!(f, "{errors} error(s), no thresholds set"),
            Reason::Errors { errors, .. } => write!(f, "{errors} error(s) not within an error budget"),
            Reason::MaxErrors => f.write_str("max_errors reached"),
            Reason::Aborted(a) => write!(
                f,
                "aborted at {}: {}",
                crate::scenario::duration::format_duration(Duration::from_secs(a.at.as_secs())),
                a.threshold
            ),
            Reason::NothingCompleted { stopped: 0 } => f.write_str("nothing completed"),
            Reason::NothingCompleted { stopped } => write!(f, "nothing completed ({stopped} stopped)"),
            Reason::Incomplete(what) => write!(f, "nothing completed in {}", what.join(", ")),
            Reason::Regressed(n) => write!(f, "{n} threshold(s) regressed against the baseline"),
            Reason::TooNoisy(n) => write!(f, "{n} baseline comparison(s) too noisy to tell"),
            Reason::NoBaseline(n) => write!(f, "{n} threshold(s) need a baseline and none was given"),
            Reason::BaselineUnreadable(why) => write!(f, "no baseline: {why}"),
            Reason::Generator(_) => f.write_str("the load generator was the bottleneck"),
            Reason::WarmupNotOver(length) => write!(
                f,
                "the run ended before its warm-up did ({} of warm-up): nothing after it was judged",
                crate::scenario::duration::format_duration(Duration::from_millis(length.as_millis() as u64))
            ),
            Reason::LostShards(lost) => {
                for (i, l) in lost.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(
                        f,
                        "shard {} was lost ({}, last report at {})",
                        l.shard,
                        l.why,
                        crate::scenario::duration::format_duration(Duration::from_secs(l.last_report.as_secs()))
                    )?;
                }
                f.write_str(": the merged run lacks the rest of its part")
            }
            Reason::Stopped(StopReason::Requested) => f.write_str("stopped from the monitor"),
            Reason::Stopped(_) => f.write_str("interrupted by Ctrl-C / SIGTERM"),
            Reason::Unfinished { baseline, at } => {
                let whose = if *baseline {
                    "the baseline is"
                } else {
                    "these results are"
                };
                let when = at
                    .map(|t| format!(" taken at {}", crate::rfc3339::format_rfc3339(t)))
                    .unwrap_or_default();
                write!(f, "{whose} an incomplete checkpoint{when}: the run had not finished")
            }
        }
    }
}

/// How a trial ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialOutcome {
    /// It passed.
    Passed,
    /// It failed.
    Failed(TrialFailure),
    /// It was not judged, with the reason (`config.ignore`, thresholds under the smoke profile).
    Skipped(String),
    /// It passed in the end, but failed in some of the runs `thresholds.confirm` made: those
    /// failures, in run order (a flaky gate; see [`super::confirm`]).
    Flaky(Vec<TrialFailure>),
}

/// One judged trial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trial {
    /// Its name and what it checks.
    pub spec: TrialSpec,
    /// How it ended.
    pub outcome: TrialOutcome,
    /// What it measured, for JUnit's `time` (see [`trial_time`]).
    pub time: Duration,
}

/// A run, judged: see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Judgement {
    /// Everything the run measured.
    pub report: RunReport,
    /// The scenario's thresholds.
    pub thresholds: Vec<SubjectThresholds>,
    /// One outcome per threshold rule (empty when the policy skips thresholds).
    pub outcomes: Vec<ThresholdOutcome>,
    /// One outcome per `vs_baseline` rule (empty when the policy skips thresholds).
    pub relative: Vec<RelativeOutcome>,
    /// The run, its sequences and activities compared with the baseline (empty without one).
    pub comparison: Vec<SubjectComparison>,
    /// Every trial of the file, in [`trial_specs`] order.
    pub trials: Vec<Trial>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the verdict is not `pass` (empty when it is).
    pub reasons: Vec<Reason>,
    /// The scenario's files, to show failed checks at their lines.
    pub sources: Arc<SourceMap>,
    /// How it was judged.
    pub policy: Policy,
}

impl Judgement {
    /// Judges a run of `scenario` with the default [`Policy`], showing failed checks against the files
    /// the scenario was loaded from: what a library user wants after [`crate::run()`].
    ///
    /// ```no_run
    /// # async fn demo(scenario: stressor::scenario::Scenario) -> Result<(), Box<dyn std::error::Error>> {
    /// use stressor::verdict::Judgement;
    /// let report = stressor::run(scenario.clone(), Default::default()).await?;
    /// let judgement = Judgement::of(&scenario, report);
    /// print!("{}", stressor::report::summary::render(&judgement, false));
    /// std::process::exit(judgement.exit_code().into());
    /// # }
    /// ```
    pub fn of(scenario: &Scenario, report: RunReport) -> Judgement {
        Judgement::new(scenario, scenario.sources.clone(), report, Policy::default())
    }

    /// Judges a run of `scenario` (loaded from `sources`).
    pub fn new(scenario: &Scenario, sources: Arc<SourceMap>, report: RunReport, mut policy: Policy) -> Judgement {
        policy.baseline_required |= scenario.thresholds.baseline_required;
        let thresholds = collect(scenario, &report.activities);
        let mut specs = trial_specs(scenario, &report.activities);
        if policy.baseline.is_some() {
            super::trials::add_baseline(&mut specs);
        }
        Judgement::from_parts(report, thresholds, specs, sources, policy)
    }

    /// Judges a run from its parts, without the scenario (what `stressor merge` has: the thresholds and
    /// trials a results file carries).
    pub fn from_parts(
        report: RunReport,
        thresholds: Vec<SubjectThresholds>,
        specs: Vec<TrialSpec>,
        sources: Arc<SourceMap>,
        policy: Policy,
    ) -> Judgement {
        // A run that ended during its warm-up measured nothing to judge: every trial is skipped and
        // the verdict is inconclusive, not a failure of thresholds that never had data.
        let warmup_not_over = report
            .warmup
            .as_ref()
            .filter(|w| w.end == crate::run::WarmupEnd::RunEnded)
            .map(|w| w.length);
        let mut policy = policy;
        if let Some(length) = warmup_not_over {
            policy.skip_thresholds = Some(Reason::WarmupNotOver(length).to_string());
        }
        let outcomes = if policy.skip_thresholds.is_some() {
            Vec::new()
        } else {
            evaluate(&thresholds, &report)
        };
        let baseline = match &policy.baseline {
            None => Err("no baseline was given (`--baseline FILE` or `STRESSOR_BASELINE`)".to_string()),
            Some(Err(why)) => Err(why.clone()),
            Some(Ok(base)) => match shape_mismatch(base.report(), &report) {
                Some(why) => Err(why),
                None => Ok(base.clone()),
            },
        };
        let relative = if policy.skip_thresholds.is_some() {
            Vec::new()
        } else {
            super::relative::evaluate(&thresholds, &report, baseline.as_ref().map_err(String::as_str))
        };
        let comparison = match &baseline {
            Ok(base) => compare(base, &report, super::baseline::Tolerance::DEFAULT),
            Err(_) => Vec::new(),
        };
        let budgets = covered(&thresholds, &outcomes, &report.activities);
        let uncovered = |id: usize| {
            if budgets.get(id).copied().unwrap_or(false) {
                0
            } else {
                report.stats.activities.get(id).map_or(0, |m| m.error_count())
            }
        };
        let mut reasons = Vec::new();
        if let Some(stop @ (StopReason::Interrupted | StopReason::Requested)) = report.stop {
            reasons.push(Reason::Stopped(stop));
        }
        let failed = outcomes.iter().filter(|o| !o.passed).count();
        if failed > 0 {
            reasons.push(Reason::Thresholds {
                failed,
                total: outcomes.len(),
            });
        }
        let errors: u64 = (0..report.activities.len()).map(uncovered).sum();
        if errors > 0 && !policy.relative_only {
            reasons.push(Reason::Errors {
                errors,
                any_thresholds: !thresholds.is_empty(),
            });
        }
        if report.stop == Some(StopReason::MaxErrors) {
            reasons.push(Reason::MaxErrors);
        }
        if let Some(aborted) = &report.aborted {
            reasons.push(Reason::Aborted(aborted.clone()));
        }
        let completed: u64 = report.stats.activities.iter().map(|m| m.count).sum();
        let nothing_completed = completed == 0 && warmup_not_over.is_none();
        if nothing_completed {
            let stopped = report.stats.activities.iter().map(|m| m.stopped).sum();
            reasons.push(Reason::NothingCompleted { stopped });
        }
        let count = |r: RelativeResult| relative.iter().filter(|o| o.result == r).count();
        if count(RelativeResult::Regressed) > 0 {
            reasons.push(Reason::Regressed(count(RelativeResult::Regressed)));
        }
        if policy.baseline_required && count(RelativeResult::NoBaseline) > 0 {
            reasons.push(Reason::NoBaseline(count(RelativeResult::NoBaseline)));
        }
        if let Some(Err(why)) = &policy.baseline
            && !policy.baseline_optional
        {
            reasons.push(Reason::BaselineUnreadable(why.clone()));
        }
        if count(RelativeResult::TooNoisy) > 0 {
            reasons.push(Reason::TooNoisy(count(RelativeResult::TooNoisy)));
        }
        if report.health.overloaded() {
            reasons.push(Reason::Generator(report.health.overload.clone()));
        }
        if let Some(length) = warmup_not_over {
            reasons.push(Reason::WarmupNotOver(length));
        }
        if !report.lost.is_empty() {
            reasons.push(Reason::LostShards(report.lost.clone()));
        }
        if let Some(c) = report.checkpoint {
            reasons.push(Reason::Unfinished {
                baseline: false,
                at: c.at,
            });
        }
        if let Some(Ok(base)) = &policy.baseline
            && let Some(c) = base.checkpoint()
        {
            reasons.push(Reason::Unfinished {
                baseline: true,
                at: c.at,
            });
        }
        let judged = Judged {
            report: &report,
            outcomes: &outcomes,
            relative: &relative,
            policy: &policy,
            reasons: &reasons,
            sources: &sources,
        };
        let judge = |spec: &TrialSpec| judge_trial(spec, &judged, &uncovered);
        let trials: Vec<Trial> = specs
            .into_iter()
            .map(|spec| Trial {
                outcome: judge(&spec),
                time: trial_time(&spec, &report),
                spec,
            })
            .collect();
        let incomplete: Vec<String> = trials
            .iter()
            .filter(|t| matches!(&t.outcome, TrialOutcome::Failed(f) if f.kind == FailureKind::NothingCompleted))
            .map(|t| subject_label(&t.spec.kind, &report.activities))
            .collect();
        if !incomplete.is_empty() && !nothing_completed {
            reasons.push(Reason::Incomplete(incomplete));
        }
        let verdict = verdict_of(&reasons);
        Judgement {
            report,
            thresholds,
            outcomes,
            relative,
            comparison,
            trials,
            verdict,
            reasons,
            sources,
            policy,
        }
    }

    /// The process exit code of the verdict: 0 pass, 1 failed, 3 stopped, 4 inconclusive.
    pub fn exit_code(&self) -> u8 {
        self.verdict.exit_code()
    }

    /// The trial with this name (after the `<file>::` prefix).
    pub fn trial(&self, name: &str) -> Option<&Trial> {
        self.trials.iter().find(|t| t.spec.name == name)
    }

    /// The verdict as one line: `Result: ok`, `Result: FAILED (2 of 5 thresholds failed; max_errors
    /// reached)`, `Result: INCONCLUSIVE (the load generator was the bottleneck)`, `Result: STOPPED
    /// (interrupted by Ctrl-C / SIGTERM; 1 error(s), no thresholds set)`.
    pub fn result_line(&self) -> String {
        let why = |reasons: Vec<String>| {
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join("; "))
            }
        };
        match self.verdict {
            Verdict::Pass => "Result: ok".to_string(),
            Verdict::Failed => format!(
                "Result: FAILED{}",
                why(self
                    .reasons
                    .iter()
                    .filter(|r| r.fails())
                    .map(ToString::to_string)
                    .collect())
            ),
            Verdict::Inconclusive => format!(
                "Result: INCONCLUSIVE{}",
                why(self.reasons.iter().map(ToString::to_string).collect())
            ),
            Verdict::Stopped => format!(
                "Result: STOPPED{}",
                why(self.reasons.iter().map(ToString::to_string).collect())
            ),
        }
    }
}

/// The verdict of these reasons: stopped when the run was interrupted, failed when one fails the run,
/// pass when there are none, else inconclusive.
pub(super) fn verdict_of(reasons: &[Reason]) -> Verdict {
    if reasons.iter().any(|r| matches!(r, Reason::Stopped(_))) {
        Verdict::Stopped
    } else if reasons.iter().any(Reason::fails) {
        Verdict::Failed
    } else if reasons.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Inconclusive
    }
}

/// Per activity id: whether an error budget that held covers its errors (see the module
/// documentation). `outcomes` are the thresholds' rules in order (empty when they were not judged).
fn covered(thresholds: &[SubjectThresholds], outcomes: &[ThresholdOutcome], activities: &[ActivityInfo]) -> Vec<bool> {
    let mut out = vec![false; activities.len()];
    let rules = thresholds
        .iter()
        .flat_map(|st| st.set.rules.iter().map(move |r| (st, r)));
    for ((st, rule), outcome) in rules.zip(outcomes) {
        let timed_only = match rule.metric {
            _ if !outcome.passed => continue,
            Metric::ErrorRate => st.subject.ids().is_none(),
            Metric::Errors => false,
            _ => continue,
        };
        for (id, info) in activities.iter().enumerate() {
            let mine = match &st.subject {
                Subject::Run => true,
                Subject::Sequence(name) => &info.sequence == name,
                Subject::Activity { ids, .. } | Subject::Tag { ids, .. } | Subject::Workload { ids, .. } => {
                    ids.contains(&id)
                }
                // The warm-up's errors are not in the judged measures: its budget covers none of those.
                Subject::Warmup => false,
            };
            if mine && (info.timed || !timed_only) {
                out[id] = true;
            }
        }
    }
    out
}

/// What trials are judged against.
struct Judged<'a> {
    report: &'a RunReport,
    outcomes: &'a [ThresholdOutcome],
    relative: &'a [RelativeOutcome],
    policy: &'a Policy,
    reasons: &'a [Reason],
    sources: &'a SourceMap,
}

fn judge_trial(spec: &TrialSpec, j: &Judged<'_>, uncovered: &dyn Fn(usize) -> u64) -> TrialOutcome {
    let (report, outcomes, policy, reasons, sources) = (j.report, j.outcomes, j.policy, j.reasons, j.sources);
    let failed = |f: TrialFailure| TrialOutcome::Failed(f);
    if let (TrialKind::Sequence(_) | TrialKind::Checks(_), Some(why)) = (&spec.kind, &policy.skip_thresholds)
        && reasons.iter().any(|r| matches!(r, Reason::WarmupNotOver(_)))
    {
        return TrialOutcome::Skipped(why.clone());
    }
    match &spec.kind {
        TrialKind::Sequence(name) => {
            let ids: Vec<usize> = (0..report.activities.len())
                .filter(|id| &report.activities[*id].sequence == name)
                .collect();
            subject_outcome(&format!("sequence {name}"), &ids, report, uncovered, sources)
        }
        TrialKind::Checks(id) => {
            let label = subject_label(&spec.kind, &report.activities);
            subject_outcome(&label, &[*id], report, uncovered, sources)
        }
        TrialKind::Threshold(i) => match (&policy.skip_thresholds, outcomes.get(*i)) {
            (Some(why), _) => TrialOutcome::Skipped(why.clone()),
            (None, Some(o)) if o.passed => TrialOutcome::Passed,
            (None, Some(o)) => failed(threshold_failure(o)),
            (None, None) => failed(TrialFailure::new(
                FailureKind::Threshold,
                format!("threshold #{i} was not evaluated"),
            )),
        },
        TrialKind::Relative(i) => match (&policy.skip_thresholds, j.relative.get(*i)) {
            (Some(why), _) => TrialOutcome::Skipped(why.clone()),
            (None, Some(o)) => relative_trial(o, policy),
            (None, None) => failed(TrialFailure::new(
                FailureKind::Threshold,
                format!("baseline threshold #{i} was not evaluated"),
            )),
        },
        TrialKind::Baseline => baseline_trial(report, policy),
        TrialKind::Run => run_trial(report, reasons, policy),
    }
}

/// The `baseline` trial: the baseline that was asked for was read (one of another scenario is
/// skipped with the reason, as its relative thresholds are); one that cannot be read fails, or is
/// skipped with the reason when the policy makes it optional.
fn baseline_trial(report: &RunReport, policy: &Policy) -> TrialOutcome {
    match &policy.baseline {
        None => TrialOutcome::Skipped("no baseline was asked for".into()),
        Some(Ok(base)) => match shape_mismatch(base.report(), report) {
            Some(why) => TrialOutcome::Skipped(format!("the baseline cannot be compared with: {why}")),
            None => TrialOutcome::Passed,
        },
        Some(Err(why)) if policy.baseline_optional => TrialOutcome::Skipped(format!(
            "no baseline: {why}; not required (STRESSOR_BASELINE_REQUIRED=0)"
        )),
        Some(Err(why)) => TrialOutcome::Failed(TrialFailure::from_text(
            FailureKind::Baseline,
            format!(
                "no baseline: {why}\na baseline that was asked for and cannot be read fails the gate (a failed artifact download must not turn it off); to run without one, leave STRESSOR_BASELINE empty, or set STRESSOR_BASELINE_REQUIRED=0 to let a missing one pass with this note"
            ),
        )),
    }
}

/// A `vs_baseline` trial: a significant regression fails it; a comparison too noisy to tell fails it
/// as inconclusive (unless the policy lets that pass); a missing baseline skips it with the reason,
/// or fails it when a baseline is required.
fn relative_trial(o: &RelativeOutcome, policy: &Policy) -> TrialOutcome {
    let diff = || {
        let (expected, actual) = super::relative::sides(o);
        format!("{}\n{}", o.message, crate::check::text_diff(&expected, &actual))
    };
    match o.result {
        RelativeResult::Held => TrialOutcome::Passed,
        RelativeResult::Regressed => TrialOutcome::Failed(TrialFailure::from_text(FailureKind::Threshold, diff())),
        RelativeResult::TooNoisy if policy.inconclusive_fails => {
            TrialOutcome::Failed(TrialFailure::from_text(FailureKind::Inconclusive, diff()))
        }
        RelativeResult::TooNoisy => TrialOutcome::Passed,
        RelativeResult::NoBaseline if policy.baseline_required => {
            TrialOutcome::Failed(TrialFailure::new(FailureKind::Threshold, o.message.clone()))
        }
        RelativeResult::NoBaseline => TrialOutcome::Skipped(o.message.clone()),
    }
}

/// A sequence's or checked activity's trial: its uncovered errors fail it, and so does never
/// completing an execution.
fn subject_outcome(
    what: &str,
    ids: &[usize],
    report: &RunReport,
    uncovered: &dyn Fn(usize) -> u64,
    sources: &SourceMap,
) -> TrialOutcome {
    let errors: u64 = ids.iter().map(|id| uncovered(*id)).sum();
    if errors > 0 {
        let failing: Vec<usize> = ids.iter().copied().filter(|id| uncovered(*id) > 0).collect();
        return TrialOutcome::Failed(errors_failure(what, errors, report, &failing, sources));
    }
    let measures = || ids.iter().filter_map(|id| report.stats.activities.get(*id));
    let completed: u64 = measures().map(|m| m.count).sum();
    if ids.is_empty() || completed > 0 {
        return TrialOutcome::Passed;
    }
    let stopped: u64 = measures().map(|m| m.stopped).sum();
    let why = if stopped > 0 {
        format!(
            "{what}: nothing completed ({stopped} execution(s) stopped by {})",
            stop_text(report)
        )
    } else {
        format!("{what}: never ran")
    };
    TrialOutcome::Failed(TrialFailure::new(FailureKind::NothingCompleted, why))
}

/// The `run` trial: the run-level reasons, the generator's last.
fn run_trial(report: &RunReport, reasons: &[Reason], policy: &Policy) -> TrialOutcome {
    let run_level: Vec<String> = reasons
        .iter()
        .filter(|r| {
            matches!(
                r,
                Reason::MaxErrors | Reason::Aborted(_) | Reason::NothingCompleted { .. }
            )
        })
        .map(ToString::to_string)
        .collect();
    let generator = reasons.iter().find_map(|r| match r {
        Reason::Generator(why) => Some(why),
        _ => None,
    });
    if let Some(stopped) = reasons.iter().find(|r| matches!(r, Reason::Stopped(_))) {
        return TrialOutcome::Failed(TrialFailure::from_text(
            FailureKind::Run,
            format!("the run was {stopped} before its end: its results are partial (exit 3)"),
        ));
    }
    let warmup = reasons.iter().find(|r| matches!(r, Reason::WarmupNotOver(_)));
    if let Some(r) = warmup.filter(|_| policy.inconclusive_fails && run_level.is_empty()) {
        return TrialOutcome::Failed(TrialFailure::from_text(
            FailureKind::Inconclusive,
            format!("inconclusive: {r}"),
        ));
    }
    if !run_level.is_empty() {
        let mut text = format!("the run failed: {}", run_level.join("; "));
        if let Some(why) = generator {
            text.push_str(&format!("\nand it was inconclusive: {}", why.join("; ")));
        }
        return TrialOutcome::Failed(TrialFailure::from_text(FailureKind::Run, text));
    }
    let lost = reasons.iter().find(|r| matches!(r, Reason::LostShards(_)));
    match (generator, lost) {
        (None, Some(lost)) if policy.inconclusive_fails => TrialOutcome::Failed(TrialFailure::from_text(
            FailureKind::Inconclusive,
            format!("inconclusive: {lost}"),
        )),
        (Some(why), _) if policy.inconclusive_fails => {
            let h = &report.health;
            let text = format!(
                "inconclusive: the load generator was the bottleneck, so the numbers may be its own, not the server's\n  {}\n  generator: CPU {:.0}% of {} core(s), scheduler lag p99 {}, peak RSS {:.1} MiB",
                why.join("\n  "),
                h.cpu_share * 100.0,
                h.cores,
                h.lag
                    .percentile(99.0)
                    .map_or("-".into(), |d| format!("{}ms", d.as_millis())),
                h.peak_rss_bytes as f64 / 1_048_576.0,
            );
            let text = match lost {
                Some(lost) => format!("{text}\n  and {lost}"),
                None => text,
            };
            TrialOutcome::Failed(TrialFailure::from_text(FailureKind::Inconclusive, text))
        }
        _ => TrialOutcome::Passed,
    }
}

/// `max_time`, `Ctrl-C`, ...: what stopped the run, for messages.
fn stop_text(report: &RunReport) -> &'static str {
    match report.stop {
        Some(StopReason::MaxTime) => "max_time",
        Some(StopReason::MaxErrors) => "max_errors",
        Some(StopReason::Interrupted) => "Ctrl-C / SIGTERM",
        Some(StopReason::Requested) => "a stop request",
        Some(StopReason::Aborted) => "an abort_on_fail threshold",
        None => "the end of the run",
    }
}

/// `sequence main`, `main/0 GetRequest(/x)`: what a trial is about, for messages.
fn subject_label(kind: &TrialKind, activities: &[ActivityInfo]) -> String {
    match kind {
        TrialKind::Sequence(name) => format!("sequence {name}"),
        TrialKind::Checks(id) => activities.get(*id).map_or_else(|| format!("#{id}"), ActivityInfo::path),
        TrialKind::Threshold(i) => format!("threshold #{i}"),
        TrialKind::Relative(i) => format!("baseline threshold #{i}"),
        TrialKind::Baseline => "the baseline".to_string(),
        TrialKind::Run => "the run".to_string(),
    }
}
