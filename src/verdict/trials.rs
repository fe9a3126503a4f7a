//! Turning a scenario into named trials: what the cargo harness lists and JUnit reports, one test case
//! each. How each is judged is [`Judgement`](super::Judgement)'s business.
//!
//! Names (after the `<file>::` prefix), in this order:
//!
//! - `<sequence>` for each sequence the scenario runs — fails when any of its activities had an error
//!   no error budget covers, or when nothing in it completed;
//! - `checks::<sequence>/<index>` (plus `:<name>` when the activity has a `name:`, spaces as `_`) for
//!   each activity with checks (`assert_*`) — fails when that activity had an error no error budget
//!   covers, or never completed;
//! - `thresholds::<subject>::<metric>` for each threshold rule, where `<subject>` is `run`,
//!   `sequence::<name>` or `activity::<selector>` (the `name:` or `sequence/index` it was written for,
//!   spaces as `_`; inline `thresholds:` of an activity use `sequence/index`) — fails when the rule did
//!   not hold;
//! - `baseline`, when a baseline was asked for (`STRESSOR_BASELINE`, `--baseline`; see
//!   [`add_baseline`]) — fails when it cannot be read, with the path and the reason;
//! - `run`, once per file — fails when the run as a whole failed (`max_errors` stopped it, nothing
//!   completed) or was inconclusive (the load generator was the bottleneck).
//!
//! A name that repeats an earlier one (a sequence called `run`, two rules of one metric on one subject)
//! gets `#2`, `#3`, ... appended. The names depend only on the scenario file, never on the results, so
//! they are stable across runs.

use super::{Subject, collect, metric_name, rule_name};
use crate::run::{ActivityInfo, Plan, RunReport};
use crate::scenario::{ActivityKind, HttpChecks, Scenario, SourceMap};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// What a trial checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialKind {
    /// A sequence: no uncovered error in its activities, and something in it completed.
    Sequence(String),
    /// An activity with checks, by plan id: no uncovered error, and it completed at least once.
    Checks(usize),
    /// A threshold rule, by its position in [`evaluate`](crate::verdict::evaluate)'s outcomes.
    Threshold(usize),
    /// A `vs_baseline` rule, by its position in the judgement's relative outcomes.
    Relative(usize),
    /// The baseline that was asked for could be read.
    Baseline,
    /// The run as a whole: not stopped by `max_errors`, something completed, the generator kept up.
    Run,
}

/// One trial of a scenario file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialSpec {
    /// The name after `<file>::`.
    pub name: String,
    /// What it checks.
    pub kind: TrialKind,
}

/// The trials of a scenario, in a stable order (see the [module documentation](self)).
pub fn trial_specs(scenario: &Scenario, activities: &[ActivityInfo]) -> Vec<TrialSpec> {
    let mut specs = Vec::new();
    // Sequences by the slot names the plan gives them (`workload/sequence` with workloads).
    let mut seen: Vec<String> = Vec::new();
    for view in scenario.workload_views() {
        for item in view.items {
            let name = match view.name {
                Some(w) => format!("{w}/{}", item.sequence),
                None => item.sequence.clone(),
            };
            if !seen.contains(&name) {
                seen.push(name.clone());
                specs.push(TrialSpec {
                    name: name.clone(),
                    kind: TrialKind::Sequence(name),
                });
            }
        }
    }
    for (id, info) in activities.iter().enumerate() {
        let Some(activity) = crate::run::activity_of(scenario, info) else {
            continue;
        };
        if has_checks(
            &activity.kind,
            activity.common.assert_match.is_some() || activity.common.assert_max_time.is_some(),
        ) && seen.contains(&info.sequence)
        {
            let mut name = format!("checks::{}/{}", info.sequence, info.index);
            if let Some(label) = &activity.common.name {
                let _ = write!(name, ":{}", underscores(label));
            }
            specs.push(TrialSpec {
                name,
                kind: TrialKind::Checks(id),
            });
        }
    }
    let (mut rule, mut relative) = (0, 0);
    for st in collect(scenario, activities) {
        let subject = subject_name(&st.subject);
        for r in &st.set.rules {
            specs.push(TrialSpec {
                name: format!(
                    "thresholds::{subject}::{}",
                    rule_name(r).replace(": ", ":").replace(' ', "_")
                ),
                kind: TrialKind::Threshold(rule),
            });
            rule += 1;
        }
        for r in &st.set.relative {
            specs.push(TrialSpec {
                name: format!("thresholds::{subject}::{}::vs_baseline", metric_name(r.metric)),
                kind: TrialKind::Relative(relative),
            });
            relative += 1;
        }
    }
    specs.push(TrialSpec {
        name: "run".into(),
        kind: TrialKind::Run,
    });
    numbered(specs)
}

/// The trials of an A/B gate ([`super::gate::ab_gate`]): `ab::<subject>::<metric>` for each of its
/// rules (every one relative), in order, then `run`.
pub fn ab_trial_specs(gate: &[super::SubjectThresholds]) -> Vec<TrialSpec> {
    let mut specs = Vec::new();
    for st in gate {
        for r in &st.set.relative {
            specs.push(TrialSpec {
                name: format!("ab::{}::{}", subject_name(&st.subject), metric_name(r.metric)),
                kind: TrialKind::Relative(specs.len()),
            });
        }
    }
    specs.push(TrialSpec {
        name: "run".into(),
        kind: TrialKind::Run,
    });
    numbered(specs)
}

/// How trial names call a subject: `run`, `sequence::main`, `activity::login`, `tag::api=x`,
/// `workload::buy`, `warmup`.
pub fn subject_name(subject: &Subject) -> String {
    match subject {
        Subject::Run => "run".to_string(),
        Subject::Sequence(name) => format!("sequence::{name}"),
        Subject::Activity { selector, .. } => format!("activity::{}", underscores(selector)),
        Subject::Tag { tag, .. } => format!("tag::{}", underscores(tag)),
        Subject::Workload { name, .. } => format!("workload::{name}"),
        Subject::Warmup => "warmup".to_string(),
    }
}

/// Appends `#2`, `#3`, ... to names that repeat an earlier one.
fn numbered(mut specs: Vec<TrialSpec>) -> Vec<TrialSpec> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for spec in &mut specs {
        let n = counts.entry(spec.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            let _ = write!(spec.name, "#{n}");
        }
    }
    specs
}

/// Adds the `baseline` trial (before `run`): for a run that was asked to compare with a baseline, so
/// that one that cannot be read fails a trial of its own instead of leaving the relative thresholds
/// silently unjudged. Its name depends on the environment (`STRESSOR_BASELINE` set or not), not on the
/// results.
pub fn add_baseline(specs: &mut Vec<TrialSpec>) {
    if specs.iter().any(|s| s.kind == TrialKind::Baseline) {
        return;
    }
    let at = specs
        .iter()
        .position(|s| s.kind == TrialKind::Run)
        .unwrap_or(specs.len());
    let mut name = "baseline".to_string();
    if specs.iter().any(|s| s.name == name) {
        name.push_str("#2");
    }
    specs.insert(
        at,
        TrialSpec {
            name,
            kind: TrialKind::Baseline,
        },
    );
}

/// `name` with whitespace replaced by `_` (names stay one word for filters).
fn underscores(name: &str) -> String {
    name.chars().map(|c| if c.is_whitespace() { '_' } else { c }).collect()
}

/// Whether an activity checks anything (`common` tells whether `assert_match`/`assert_max_time` is set).
fn has_checks(kind: &ActivityKind, common: bool) -> bool {
    let http = |c: &HttpChecks| {
        c.assert_status.is_some() || c.assert_match_headers.is_some() || !c.assert_headers.is_empty() || c.read_body()
    };
    common
        || match kind {
            ActivityKind::Http(h) => http(&h.checks),
            ActivityKind::Static(s) => http(&s.request.checks),
            ActivityKind::Poll(p) => http(&p.request.checks),
            _ => false,
        }
}

/// The plan's activity list for a scenario (what threshold selectors resolve against).
pub fn activities_of(scenario: &Scenario) -> Vec<ActivityInfo> {
    Plan::new(Arc::new(scenario.clone()), Arc::new(SourceMap::default())).activities
}

/// The workload an activity belongs to, if any.
fn workload_of(info: Option<&ActivityInfo>) -> Option<&str> {
    info.and_then(|a| a.workload.as_deref())
}

/// The measured time of a trial, for JUnit's `time`: the time one session spent, on average, in the
/// sequence's passes or in the checked activity's executions (the total over the sessions that could
/// run it, those of its workload in a file with `workloads`, divided by their number); zero for a
/// threshold or the run (a judgement, not a measurement). Per session because sessions run side by
/// side: the sequences' times then add up to about the run's wall time, which is what CI tools show as
/// a suite's duration.
pub fn trial_time(spec: &TrialSpec, report: &RunReport) -> Duration {
    let sessions = |workload: Option<&str>| match workload {
        None => report.sessions,
        // Session ids of a workload are `<workload>-t01`, ...
        Some(w) => {
            let n = report
                .stats
                .sessions
                .iter()
                .filter(|s| s.id.rsplit_once("-t").is_some_and(|(prefix, _)| prefix == w))
                .count();
            u32::try_from(n).unwrap_or(u32::MAX)
        }
    };
    let per_session = |m: &crate::stats::Measure, workload: Option<&str>| {
        let total: Duration = [Some(&m.latency), m.failed_latency.as_ref()]
            .into_iter()
            .flatten()
            .map(|l| {
                let count = u32::try_from(l.count()).unwrap_or(u32::MAX);
                l.mean().map_or(Duration::ZERO, |mean| mean.saturating_mul(count))
            })
            .sum();
        total / sessions(workload).max(1)
    };
    match &spec.kind {
        TrialKind::Sequence(name) => {
            let info = report.activities.iter().find(|a| &a.sequence == name);
            report
                .sequence(name)
                .map_or(Duration::ZERO, |(m, _)| per_session(&m, workload_of(info)))
        }
        TrialKind::Checks(id) => report.stats.activities.get(*id).map_or(Duration::ZERO, |m| {
            per_session(m, workload_of(report.activities.get(*id)))
        }),
        TrialKind::Threshold(_) | TrialKind::Relative(_) | TrialKind::Baseline | TrialKind::Run => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{LoadOptions, load_str};
    use std::path::Path;

    const YAML: &str = "
file_version: stressor#0
config: {base_url: 'http://127.0.0.1:9'}
scenario:
  - sequence: init
  - sequence: main
    repeat: 2
  - sequence: main
thresholds:
  p95: 1s
  sequences:
    main: {p95: 2s, errors: 0}
  activities:
    fetch one: {max: 3s}
    main/0: {max: 5s}
sequences:
  init:
    - activity: GetRequest
      url: /a
  main:
    - activity: GetRequest
      name: fetch one
      url: /b
      assert_status: [200]
      thresholds: {max: 4s}
    - activity: $sleep(1ms)
    - activity: GetRequest
      url: /c
      assert_max_time: 1s
  unused:
    - activity: GetRequest
      url: /d
      assert_match: x
";

    #[test]
    fn names_are_sequences_checks_then_thresholds() {
        let loaded = load_str(Path::new("t.yaml"), YAML, &LoadOptions::default());
        let scenario = loaded
            .scenario
            .as_ref()
            .unwrap_or_else(|| panic!("{}", loaded.render(false)));
        let names: Vec<String> = trial_specs(scenario, &activities_of(scenario))
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "init",
                "main",
                "checks::main/0:fetch_one",
                "checks::main/2",
                "thresholds::run::p95",
                "thresholds::sequence::main::p95",
                "thresholds::sequence::main::errors",
                "thresholds::activity::fetch_one::max",
                "thresholds::activity::main/0::max",
                "thresholds::activity::main/0::max#2",
                "run",
            ]
        );
    }
}
