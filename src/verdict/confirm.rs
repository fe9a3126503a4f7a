//! `thresholds.confirm: N`: a run whose gate failed is run again, up to N times, and a gate fails only
//! when it failed in every run. A gate that failed in some runs and held in others is *flaky*: it
//! passes, and says so (the summary, JUnit's `<flakyFailure>` as Maven surefire and cargo-nextest
//! write it, the Markdown job summary), so a noisy gate is seen without turning the pipeline red.
//!
//! A *gate* is a threshold rule (`p95: 300ms`) or a `vs_baseline` rule that regressed. Nothing else is
//! run again: an error no budget covers, a check that failed, `max_errors`, an inconclusive run
//! (a re-run cannot make the generator faster) are the run's own verdict, whatever a re-run shows.
//!
//! The combined judgement is the last run's (its report is the freshest measurement), with each gate
//! trial replaced by its outcome over all runs, and the reasons and the verdict counted again.

use super::judgement::{Judgement, Reason, TrialOutcome, verdict_of};
use super::{FailureKind, TrialKind};

/// Runs a scenario with `run_once` and, while its latest run has a failed gate and fewer than
/// `confirm` confirmations were made, again (not after an interrupted run); `announce` hears of each
/// confirmation before it starts (the latest judgement, and the number of the run about to start,
/// 2 for the first confirmation). The judgement over every run ([`combine`]).
pub fn run_confirmed<E>(
    confirm: u32,
    mut run_once: impl FnMut() -> Result<Judgement, E>,
    mut announce: impl FnMut(&Judgement, usize),
) -> Result<Judgement, E> {
    let first = run_once()?;
    let mut again: Vec<Judgement> = Vec::new();
    while (again.len() as u32) < confirm {
        let latest = again.last().unwrap_or(&first);
        if !needs_confirmation(latest) || latest.report.interrupted() {
            break;
        }
        announce(latest, again.len() + 2);
        again.push(run_once()?);
    }
    Ok(if again.is_empty() { first } else { combine(first, again) })
}

/// Whether `judgement` has a failed gate that a confirmation run would judge again.
pub fn needs_confirmation(judgement: &Judgement) -> bool {
    judgement.trials.iter().any(|t| gate_failure(&t.spec.kind, &t.outcome))
}

/// Whether an outcome is a failed gate: a threshold rule, or a `vs_baseline` rule that regressed (a
/// too-noisy comparison is inconclusive, not failed).
fn gate_failure(kind: &TrialKind, outcome: &TrialOutcome) -> bool {
    matches!(kind, TrialKind::Threshold(_) | TrialKind::Relative(_))
        && matches!(outcome, TrialOutcome::Failed(f) if f.kind == FailureKind::Threshold)
}

/// The judgement of one scenario run several times because a gate failed: the `first` run, then each
/// confirmation in order. See the [module documentation](self).
pub fn combine(first: Judgement, confirmations: Vec<Judgement>) -> Judgement {
    let mut runs = vec![first];
    runs.extend(confirmations);
    let Some(mut last) = runs.pop() else {
        unreachable!("runs holds the first run at least");
    };
    if runs.iter().any(|r| r.trials.len() != last.trials.len()) {
        // Not runs of one scenario: nothing to line up.
        return last;
    }
    for (i, trial) in last.trials.iter_mut().enumerate() {
        let kind = &trial.spec.kind;
        let earlier: Vec<&TrialOutcome> = runs.iter().map(|r| &r.trials[i].outcome).collect();
        let failures: Vec<super::TrialFailure> = earlier
            .iter()
            .copied()
            .chain(std::iter::once(&trial.outcome))
            .filter(|o| gate_failure(kind, o))
            .filter_map(|o| match o {
                TrialOutcome::Failed(f) => Some(f.clone()),
                _ => None,
            })
            .collect();
        let every_run = failures.len() == runs.len() + 1;
        trial.outcome = match (&trial.outcome, failures.is_empty(), every_run) {
            (_, true, _) => continue,
            (TrialOutcome::Failed(f), _, true) => {
                let mut f = f.clone();
                f.details.push_str(&format!(
                    "\nconfirmed: it failed in each of the {} runs (thresholds.confirm)",
                    runs.len() + 1
                ));
                TrialOutcome::Failed(f)
            }
            _ => TrialOutcome::Flaky(failures),
        };
    }
    // The gates' reasons, counted again over the combined trials.
    let failed = |want: fn(&TrialKind) -> bool| {
        last.trials
            .iter()
            .filter(|t| want(&t.spec.kind) && gate_failure(&t.spec.kind, &t.outcome))
            .count()
    };
    let thresholds = failed(|k| matches!(k, TrialKind::Threshold(_)));
    let regressed = failed(|k| matches!(k, TrialKind::Relative(_)));
    last.reasons.retain_mut(|r| match r {
        Reason::Thresholds { failed, .. } => {
            *failed = thresholds;
            thresholds > 0
        }
        Reason::Regressed(n) => {
            *n = regressed;
            regressed > 0
        }
        _ => true,
    });
    last.verdict = verdict_of(&last.reasons);
    last
}

/// The flaky trials of a judgement: (name, the failures that did not repeat).
pub fn flaky(judgement: &Judgement) -> Vec<(&str, &[super::TrialFailure])> {
    judgement
        .trials
        .iter()
        .filter_map(|t| match &t.outcome {
            TrialOutcome::Flaky(failures) => Some((t.spec.name.as_str(), failures.as_slice())),
            _ => None,
        })
        .collect()
}
