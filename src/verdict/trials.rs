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
//! - `run`, once per file — fails when the run as a whole failed (`max_errors` stopped it, nothing
//!   completed) or was inconclusive (the load generator was the bottleneck).
//!
//! A name that repeats an earlier one (a sequence called `run`, two rules of one metric on one subject)
//! gets `#2`, `#3`, ... appended. The names depend only on the scenario file, never on the results, so
//! they are stable across runs.

use super::{Subject, collect, metric_name, rule_name};
use crate::run::{ActivityInfo, Plan};
use crate::scenario::{ActivityKind, HttpChecks, Scenario, SourceMap};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

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

/// `name` with whitespace replaced by `_` (names stay one word for filters).
fn underscores(name: &str) -> String {
    name.chars().map(|c| if c.is_whitespace() { '_' } else { c }).collect()
}

/// Whether an activity checks anything (`common` tells whether `assert_match`/`assert_max_time` is set).
fn has_checks(kind: &ActivityKind, common: bool) -> bool {
    let http = |c: &HttpChecks| {
        c.assert_status.is_some()
            || c.assert_match_headers.is_some()
            || !c.assert_headers.is_empty()
            || !c.assert_json.is_empty()
            || !c.assert_html.is_empty()
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
