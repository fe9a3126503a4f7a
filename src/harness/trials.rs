//! Turning a scenario into named trials, and judging them against a run's results.
//!
//! Names (after the `<file>::` prefix), in this order:
//!
//! - `<sequence>` for each sequence the scenario runs — fails when any of its activities had errors;
//! - `checks::<sequence>/<index>` (plus `:<name>` when the activity has a `name:`, spaces as `_`) for
//!   each activity with checks (`assert_*`) — fails when that activity had errors;
//! - `thresholds::<subject>::<metric>` for each threshold rule, where `<subject>` is `run`,
//!   `sequence::<name>` or `activity::<selector>` (the `name:` or `sequence/index` it was written for,
//!   spaces as `_`; inline `thresholds:` of an activity use `sequence/index`) — fails when the rule did not hold. A repeated
//!   name gets `#2`, `#3`, ... appended.
//!
//! The names depend only on the scenario file, never on the results, so they are stable across runs.

use crate::check::text_diff;
use crate::run::{ActivityInfo, Plan, RunReport};
use crate::scenario::{ActivityKind, HttpChecks, Metric, Scenario, SourceMap};
use crate::verdict::{Subject, ThresholdOutcome, collect, format_limit, metric_name, value_and_limit};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// How many error records a failure message shows.
const SHOWN_ERRORS: usize = 3;

/// What a trial checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialKind {
    /// A sequence: no activity in it may have errors.
    Sequence(String),
    /// An activity with checks, by plan id: it may have no errors.
    Checks(usize),
    /// A threshold rule, by its position in [`evaluate`](crate::verdict::evaluate)'s outcomes.
    Threshold(usize),
}

/// One trial of a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialSpec {
    /// The name after `<file>::`.
    pub name: String,
    /// What it checks.
    pub kind: TrialKind,
}

/// The trials of a scenario, in a stable order (see the [module documentation](self)).
pub fn trial_specs(scenario: &Scenario, activities: &[ActivityInfo]) -> Vec<TrialSpec> {
    let mut specs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for item in &scenario.items {
        if !seen.contains(&item.sequence.as_str()) {
            seen.push(&item.sequence);
            specs.push(TrialSpec {
                name: item.sequence.clone(),
                kind: TrialKind::Sequence(item.sequence.clone()),
            });
        }
    }
    let mut id = 0;
    for seq in &scenario.sequences {
        for activity in &seq.activities {
            if has_checks(
                &activity.kind,
                activity.common.assert_match.is_some() || activity.common.assert_max_time.is_some(),
            ) && seen.contains(&seq.name.as_str())
            {
                let mut name = format!("checks::{}/{}", seq.name, activity.index);
                if let Some(label) = &activity.common.name {
                    let _ = write!(name, ":{}", underscores(label));
                }
                specs.push(TrialSpec {
                    name,
                    kind: TrialKind::Checks(id),
                });
            }
            id += 1;
        }
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut rule = 0;
    for st in collect(scenario, activities) {
        let subject = match &st.subject {
            Subject::Run => "run".to_string(),
            Subject::Sequence(name) => format!("sequence::{name}"),
            Subject::Activity { selector, .. } => format!("activity::{}", underscores(selector)),
        };
        for r in &st.set.rules {
            let base = format!("thresholds::{subject}::{}", metric_name(r.metric));
            let n = counts.entry(base.clone()).or_default();
            *n += 1;
            let name = if *n == 1 { base } else { format!("{base}#{n}") };
            specs.push(TrialSpec {
                name,
                kind: TrialKind::Threshold(rule),
            });
            rule += 1;
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

/// Why a trial failed: what the harness prints and what a JUnit `<failure>` carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialFailure {
    /// `errors` (a sequence or checked activity had errors) or `threshold`: the JUnit failure type.
    pub kind: &'static str,
    /// One line: `sequence main: 2 error(s)`, `threshold failed: p95 of the run: 412ms > 300ms`.
    pub summary: String,
    /// The summary, then the first failing responses (status, body excerpt, session, pass) and a
    /// unified diff of expected vs. actual wherever there is one.
    pub details: String,
}

impl std::fmt::Display for TrialFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.details)
    }
}

/// Judges one trial: `Ok` when it passed, else why not. The cargo harness and `stressor run --junit`
/// both judge trials with this, so they agree on what passes.
pub fn judge(spec: &TrialSpec, report: &RunReport, outcomes: &[ThresholdOutcome]) -> Result<(), TrialFailure> {
    match &spec.kind {
        TrialKind::Sequence(name) => {
            let ids: Vec<usize> = report
                .activities
                .iter()
                .enumerate()
                .filter(|(_, a)| &a.sequence == name)
                .map(|(id, _)| id)
                .collect();
            let errors: u64 = ids
                .iter()
                .filter_map(|id| report.stats.activities.get(*id))
                .map(|m| m.error_count())
                .sum();
            if errors == 0 {
                return Ok(());
            }
            Err(errors_failure(&format!("sequence {name}"), errors, report, &ids))
        }
        TrialKind::Checks(id) => {
            let errors = report.stats.activities.get(*id).map_or(0, |m| m.error_count());
            if errors == 0 {
                return Ok(());
            }
            let label = report
                .activities
                .get(*id)
                .map_or_else(|| format!("#{id}"), ActivityInfo::path);
            Err(errors_failure(&label, errors, report, &[*id]))
        }
        TrialKind::Threshold(i) => match outcomes.get(*i) {
            Some(o) if o.passed => Ok(()),
            Some(o) => {
                let summary = format!("threshold failed: {}", o.message);
                let (expected, actual) = threshold_sides(o);
                let details = format!("{summary}\n{}", text_diff(&expected, &actual));
                Err(TrialFailure {
                    kind: "threshold",
                    summary,
                    details,
                })
            }
            None => {
                let summary = format!("threshold #{i} was not evaluated");
                Err(TrialFailure {
                    kind: "threshold",
                    details: summary.clone(),
                    summary,
                })
            }
        },
    }
}

/// What a threshold wanted and what was measured, as the two sides of a diff:
/// `p95 <= 300ms` and `p95 = 412ms` (`min_rps >= 50/s` for the one lower bound).
fn threshold_sides(o: &ThresholdOutcome) -> (String, String) {
    let metric = metric_name(o.metric);
    let op = if o.metric == Metric::MinRps { ">=" } else { "<=" };
    let expected = format!("{metric} {op} {}", format_limit(&o.limit));
    let actual = match &o.measured {
        None => format!("{metric}: never ran"),
        Some(value) => {
            let (value, _) = value_and_limit(value, &o.limit);
            if o.not_enough_data() {
                format!("{metric} = {value} ({} samples, need {})", o.samples, o.min_samples)
            } else {
                format!("{metric} = {value}")
            }
        }
    };
    (expected, actual)
}

/// The measured time of a trial, for JUnit's `time`: the time one session spent, on average, in the
/// sequence's passes or in the checked activity's executions (the total over all sessions divided by
/// the sessions started); zero for a threshold (a judgement, not a measurement). Per session because
/// sessions run side by side: the sequences' times then add up to about the run's wall time, which is
/// what CI tools show as a suite's duration, where a total over 10 sessions would read 10 times longer.
pub fn trial_time(spec: &TrialSpec, report: &RunReport) -> Duration {
    let per_session = |m: &crate::stats::Measure| {
        let count = u32::try_from(m.latency.count()).unwrap_or(u32::MAX);
        let total = m
            .latency
            .mean()
            .map_or(Duration::ZERO, |mean| mean.saturating_mul(count));
        total / report.sessions.max(1)
    };
    match &spec.kind {
        TrialKind::Sequence(name) => report.sequence(name).map_or(Duration::ZERO, |(m, _)| per_session(&m)),
        TrialKind::Checks(id) => report.stats.activities.get(*id).map_or(Duration::ZERO, per_session),
        TrialKind::Threshold(_) => Duration::ZERO,
    }
}

/// `sequence main: 3 error(s)` followed by the first error records of `ids`, with their diffs.
fn errors_failure(what: &str, errors: u64, report: &RunReport, ids: &[usize]) -> TrialFailure {
    let summary = format!("{what}: {errors} error(s)");
    let mut out = summary.clone();
    for e in report
        .errors
        .iter()
        .filter(|e| ids.contains(&e.activity))
        .take(SHOWN_ERRORS)
    {
        let path = report
            .activities
            .get(e.activity)
            .map_or_else(String::new, ActivityInfo::path);
        let _ = write!(
            out,
            "\n  [{}] {path}: {} (session {}, pass {})",
            e.class, e.message, e.session_id, e.pass
        );
        if let Some(response) = &e.response {
            let _ = write!(out, "\n      response: {response}");
        }
        if let Some(diff) = &e.diff {
            for line in diff.lines() {
                let _ = write!(out, "\n      {line}");
            }
        }
    }
    TrialFailure {
        kind: "errors",
        summary,
        details: out,
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
            ]
        );
    }
}
