//! What a run is compared with: one earlier run, the history of earlier runs, or the baseline service
//! measured at the same moments. `vs_baseline` thresholds and comparison tables read every kind the
//! same way, as a [`Delta`] per metric; only the method behind it differs.

use super::baseline::{Delta, Tolerance, delta};
use super::collect::Subject;
use super::history::History;
use super::paired::Paired;
use crate::run::{Checkpoint, RunReport};
use crate::scenario::Metric;
use std::sync::Arc;

/// What a run is compared with.
#[derive(Clone, Debug)]
pub enum Baseline {
    /// One earlier run (`--baseline FILE`): each run's own intervals, combined
    /// ([`super::baseline`]).
    Run(Arc<RunReport>),
    /// The last runs of the same scenario (`--baseline DIR`): their median, and their spread added to
    /// the allowance ([`super::history`]).
    History(Arc<History>),
    /// The baseline service, measured in rounds at the same moments as this run (`stressor ab`,
    /// `STRESSOR_AB_BASELINE_URL`): the paired test ([`super::paired`]).
    Paired(Arc<Paired>),
}

impl Baseline {
    /// The run that stands for the baseline: the one run, the newest of the history, or the baseline
    /// service over every round (its shape, its values in tables, its series on plots).
    pub fn report(&self) -> &RunReport {
        match self {
            Baseline::Run(r) => r,
            Baseline::History(h) => h.newest(),
            Baseline::Paired(p) => &p.baseline,
        }
    }

    /// How a metric of a subject changed from the baseline to `current`, with `tolerance`.
    pub fn delta(&self, metric: Metric, subject: &Subject, current: &RunReport, tolerance: Tolerance) -> Delta {
        match self {
            Baseline::Run(base) => delta(metric, subject, base, current, tolerance),
            Baseline::History(h) => h.delta(metric, subject, current, tolerance),
            Baseline::Paired(p) => super::paired::delta(metric, subject, p, current, tolerance),
        }
    }

    /// The checkpoint of a baseline that had not finished (the newest such one of a history).
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        match self {
            Baseline::Run(r) => r.checkpoint,
            Baseline::History(h) => h.runs().iter().filter_map(|r| r.checkpoint).max(),
            Baseline::Paired(p) => p.baseline.checkpoint,
        }
    }

    /// `the baseline`, `the last 8 runs`, `the baseline service`: how messages name it.
    pub fn describe(&self) -> String {
        match self {
            Baseline::Run(_) => "the baseline".into(),
            Baseline::History(h) => format!("the last {} runs", h.runs().len()),
            Baseline::Paired(_) => "the baseline service".into(),
        }
    }
}
