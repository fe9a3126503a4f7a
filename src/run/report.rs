//! The final results of a run: plain data, built once at the end; reports read them.

use super::control::StopReason;
use super::plan::ActivityInfo;
use crate::activity::ErrorClass;
use crate::stats::{Measure, Snapshot};
use std::time::{Duration, SystemTime};

/// One recorded failure (the first ones of each session are kept in full).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ErrorRecord {
    /// Class.
    pub class: ErrorClass,
    /// Message (secrets redacted).
    pub message: String,
    /// Short response description, if there was a response.
    pub response: Option<String>,
    /// Unified diff(s) of expected vs. actual of the failed checks, when they have one (secrets redacted).
    /// Absent from results files written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The failed checks, each with the span of the check in the scenario (secrets redacted); empty
    /// when the activity failed before its checks ran. Absent from JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<crate::check::CheckFailure>,
    /// Session.
    pub session_id: String,
    /// The plan's activity id.
    pub activity: usize,
    /// Where the activity was written (its `activity:` value); absent from older results files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<crate::scenario::Span>,
    /// 1-based pass of the sequence.
    pub pass: u64,
    /// Time since the run started.
    pub at: Duration,
    /// The W3C trace id the failed request carried (`config.trace_context`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// Everything a run measured.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// `config.tag`.
    pub tag: Option<String>,
    /// `config.base_url`.
    pub base_url: Option<String>,
    /// Wall-clock start.
    pub started_at: Option<SystemTime>,
    /// Wall time of what `stats` measured: the run, less its warm-up when it has one
    /// ([`RunReport::wall_time`] is the whole).
    pub elapsed: Duration,
    /// Sessions started.
    pub sessions: u32,
    /// Activities, in plan order (the index is the activity id used in `stats` and errors).
    pub activities: Vec<ActivityInfo>,
    /// Sequence names, by position.
    pub sequences: Vec<String>,
    /// Everything measured.
    pub stats: Snapshot,
    /// The first errors (at most a few per session).
    pub errors: Vec<ErrorRecord>,
    /// Why the run stopped early, if it did.
    pub stop: Option<StopReason>,
    /// Dry run.
    pub dry_run: bool,
    /// The load generator's own CPU, memory and scheduler lag.
    pub health: super::health::GeneratorHealth,
    /// What each feeder handed out, and whether a `unique` one ran out.
    pub feeders: Vec<crate::activity::feed::FeedUse>,
    /// What each `Record` file got.
    pub records: Vec<crate::activity::record::RecordUse>,
    /// The run's seed, when it seeded data (generated feeders, scripts' random functions).
    pub seed: Option<u64>,
    /// The `abort_on_fail` threshold that stopped the run, and when.
    pub aborted: Option<Aborted>,
    /// Set when these are not a finished run's results but a checkpoint of one still going (or killed
    /// before it could finish): everything measured up to then. A verdict judged from them is never
    /// better than inconclusive.
    pub checkpoint: Option<Checkpoint>,
    /// The warm-up, measured apart from `stats` (which, like `elapsed`, cover only what follows it);
    /// `None` without one.
    pub warmup: Option<super::WarmupPart>,
    /// Shards of a coordinated run that stopped reporting before they finished (`stressor
    /// coordinate`): their part is what they had sent until then, and the verdict is never better than
    /// inconclusive. Empty otherwise.
    pub lost: Vec<LostShard>,
}

/// A shard of a coordinated run that its coordinator lost (see [`RunReport::lost`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LostShard {
    /// `K/N`.
    pub shard: String,
    /// Run time (since the shared start) of the last report the coordinator had from it.
    pub last_report: Duration,
    /// Why it counts as lost, e.g. `no report for 3s`.
    pub why: String,
}

/// A checkpoint: results written while the run was still going (see [`RunReport::checkpoint`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checkpoint {
    /// When it was taken; `None` when a results file says it is incomplete without saying when.
    pub at: Option<SystemTime>,
}

/// One workload's part of a report (see [`RunReport::workloads`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadPart<'a> {
    /// Its name; `None` for a file without `workloads`.
    pub name: Option<&'a str>,
    /// Its activity ids.
    pub activities: Vec<usize>,
    /// Its sequences (slot names).
    pub sequences: Vec<&'a String>,
}

/// An `abort_on_fail` threshold that stopped a run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Aborted {
    /// Its message at the moment it failed (`p95 of the run: 412ms > 300ms`).
    pub threshold: String,
    /// Time since the start.
    pub at: Duration,
}

impl RunReport {
    /// Wall time of the whole run, warm-up included.
    pub fn wall_time(&self) -> Duration {
        self.elapsed + self.warmup.as_ref().map_or(Duration::ZERO, |w| w.length)
    }

    /// Total errors.
    pub fn error_count(&self) -> u64 {
        self.stats.activities.iter().map(Measure::error_count).sum()
    }

    /// Whether Ctrl-C / SIGTERM stopped the run.
    pub fn interrupted(&self) -> bool {
        self.stop == Some(StopReason::Interrupted)
    }

    /// Errors per class over all activities, non-zero only.
    pub fn errors_by_class(&self) -> Vec<(ErrorClass, u64)> {
        let mut all = crate::stats::ErrorCounts::default();
        for m in &self.stats.activities {
            all.merge(&m.errors);
        }
        all.nonzero()
    }

    /// The measure of the activity at `sequence/index`.
    pub fn activity(&self, sequence: &str, index: usize) -> Option<(&ActivityInfo, &Measure)> {
        let id = self
            .activities
            .iter()
            .position(|a| a.sequence == sequence && a.index == index)?;
        Some((&self.activities[id], &self.stats.activities[id]))
    }

    /// The workloads' names in plan order (`None` for a file without `workloads`), each with its
    /// activity ids and its sequences' names.
    pub fn workloads(&self) -> Vec<WorkloadPart<'_>> {
        let mut parts: Vec<WorkloadPart<'_>> = Vec::new();
        for (id, info) in self.activities.iter().enumerate() {
            let name = info.workload.as_deref();
            match parts.iter_mut().find(|p| p.name == name) {
                Some(p) => p.activities.push(id),
                None => parts.push(WorkloadPart {
                    name,
                    activities: vec![id],
                    sequences: Vec::new(),
                }),
            }
        }
        if parts.is_empty() {
            parts.push(WorkloadPart {
                name: None,
                activities: Vec::new(),
                sequences: Vec::new(),
            });
        }
        for seq in &self.sequences {
            let owner = parts
                .iter()
                .position(|p| {
                    p.name
                        .is_some_and(|w| seq.strip_prefix(w).is_some_and(|r| r.starts_with('/')))
                })
                .unwrap_or(0);
            parts[owner].sequences.push(seq);
        }
        parts
    }

    /// The merged measure of some activities' timed executions (what the run's total is of all).
    pub fn total_of(&self, ids: &[usize]) -> Measure {
        let mut total = Measure::default();
        for &id in ids {
            if let (Some(info), Some(m)) = (self.activities.get(id), self.stats.activities.get(id))
                && info.timed
            {
                total.merge(m);
            }
        }
        total
    }

    /// A sequence's measure (passes) and its activities' errors.
    pub fn sequence(&self, name: &str) -> Option<(Measure, u64)> {
        let pos = self.sequences.iter().position(|s| s == name)?;
        let errors = self
            .activities
            .iter()
            .zip(&self.stats.activities)
            .filter(|(a, _)| a.sequence == name)
            .map(|(_, m)| m.error_count())
            .sum();
        Some((self.stats.sequences[pos].clone(), errors))
    }
}
