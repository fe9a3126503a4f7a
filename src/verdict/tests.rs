//! Table-driven tests for threshold evaluation and the verdict. Every row has a `comment`; messages are
//! compared exactly, since they are what users read in the summary, JUnit and CI logs.

use super::*;
use crate::activity::ErrorClass;
use crate::run::{ActivityInfo, Plan, RunReport, StopReason};
use crate::scenario::{Limit, LoadOptions, Metric, Span, Threshold, ThresholdSet, load_str};
use crate::stats::{Measure, Snapshot};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const MS: fn(u64) -> Duration = Duration::from_millis;

/// `n` executions of `each`, the first `errors` of them failed.
fn measure(n: u64, each: Duration, errors: u64, class: ErrorClass) -> Measure {
    let mut m = Measure::default();
    for i in 0..n {
        m.record(each, (i < errors).then_some(class), 0, 0);
    }
    m
}

fn info(sequence: &str, index: usize, label: &str) -> ActivityInfo {
    ActivityInfo {
        sequence: sequence.into(),
        index,
        label: label.into(),
    }
}

/// A 10 s run of three sequences:
///
/// | id | activity | executions | latency | errors |
/// |---|---|---|---|---|
/// | 0 | main/0 GetRequest(/x) | 100 | 312ms | 0 |
/// | 1 | main/1 login | 100 | 50ms | 1 |
/// | 2 | main/2 Sleep(1s), `ignore_timing` | 100 | 1s | 1 (stopped) |
/// | 3 | end/0 login | 100 | 50ms | 0 |
/// | 4 | cleanup/0 GetRequest(/never) | never ran | | |
///
/// `main` ran 100 passes of 1.4s, `end` 100 of 50ms, `cleanup` none. The run's timed total is ids 0, 1
/// and 3: 300 executions, 30/s.
fn report() -> RunReport {
    let activities = vec![
        measure(100, MS(312), 0, ErrorClass::Status),
        measure(100, MS(50), 1, ErrorClass::Status),
        measure(100, MS(1000), 1, ErrorClass::Stopped),
        measure(100, MS(50), 0, ErrorClass::Status),
        Measure::default(),
    ];
    let mut total = activities[0].clone();
    total.merge(&activities[1]);
    total.merge(&activities[3]);
    RunReport {
        scenario: "shop".into(),
        elapsed: Duration::from_secs(10),
        sessions: 1,
        activities: vec![
            info("main", 0, "GetRequest(/x)"),
            info("main", 1, "login"),
            info("main", 2, "Sleep(1s)"),
            info("end", 0, "login"),
            info("cleanup", 0, "GetRequest(/never)"),
        ],
        sequences: vec!["main".into(), "end".into(), "cleanup".into()],
        stats: Snapshot {
            activities,
            sequences: vec![
                measure(100, MS(1400), 0, ErrorClass::Status),
                measure(100, MS(50), 0, ErrorClass::Status),
                Measure::default(),
            ],
            total,
            ..Snapshot::default()
        },
        ..RunReport::default()
    }
}

fn rules(subject: Subject, rules: &[(Metric, Limit)], min_samples: Option<u64>) -> SubjectThresholds {
    SubjectThresholds {
        subject,
        set: ThresholdSet {
            rules: rules
                .iter()
                .map(|&(metric, limit)| Threshold {
                    metric,
                    limit,
                    span: Span::default(),
                })
                .collect(),
            min_samples,
            span: None,
        },
    }
}

fn activity(selector: &str, ids: &[usize]) -> Subject {
    Subject::Activity {
        selector: selector.into(),
        ids: ids.to_vec(),
    }
}

fn seq(name: &str) -> Subject {
    Subject::Sequence(name.into())
}

struct Case {
    comment: &'static str,
    subject: Subject,
    metric: Metric,
    limit: Limit,
    min_samples: Option<u64>,
    passed: bool,
    message: &'static str,
}

fn case(
    comment: &'static str,
    subject: Subject,
    metric: Metric,
    limit: Limit,
    passed: bool,
    message: &'static str,
) -> Case {
    Case {
        comment,
        subject,
        metric,
        limit,
        min_samples: None,
        passed,
        message,
    }
}

#[test]
fn every_metric_passes_and_fails_with_the_measured_value_in_the_message() {
    use Limit::{Count, Duration as D, Rate, Ratio};
    use Metric::*;
    let run = || Subject::Run;
    let (pass, fail) = (true, false);
    #[rustfmt::skip]
    let cases = [
        case("p95 over the run's timed activities", run(), Percentile(95.0), D(MS(400)), pass,
            "p95 of the run: 312ms <= 400ms"),
        case("p95 above the limit", run(), Percentile(95.0), D(MS(300)), fail,
            "p95 of the run: 312ms > 300ms"),
        case("p99.9 keeps its decimal", run(), Percentile(99.9), D(MS(300)), fail,
            "p99.9 of the run: 312ms > 300ms"),
        case("a value that would round to the limit is shown in full (HDR reports the bucket's top)",
            run(), Percentile(50.0), D(MS(50)), fail,
            "p50 of the run: 50.015ms > 50ms"),
        case("mean", run(), Mean, D(MS(200)), pass,
            "mean of the run: 137ms <= 200ms"),
        case("mean above", run(), Mean, D(MS(100)), fail,
            "mean of the run: 137ms > 100ms"),
        case("max", run(), Max, D(Duration::from_secs(1)), pass,
            "max of the run: 312ms <= 1s"),
        case("max above", run(), Max, D(MS(250)), fail,
            "max of the run: 312ms > 250ms"),
        case("the run's error_rate counts every activity, also ignore_timing ones: 2 of 400",
            run(), ErrorRate, Ratio(0.01), pass,
            "error_rate of the run: 0.5% <= 1%"),
        case("error_rate equal to the limit passes", run(), ErrorRate, Ratio(0.005), pass,
            "error_rate of the run: 0.5% <= 0.5%"),
        case("error_rate above", run(), ErrorRate, Ratio(0.004), fail,
            "error_rate of the run: 0.5% > 0.4%"),
        case("errors within", run(), Errors, Count(2), pass,
            "errors of the run: 2 <= 2"),
        case("errors above", run(), Errors, Count(0), fail,
            "errors of the run: 2 > 0"),
        case("min_rps: 300 timed executions in 10s", run(), MinRps, Rate(20.0), pass,
            "min_rps of the run: 30/s >= 20/s"),
        case("min_rps below", run(), MinRps, Rate(50.0), fail,
            "min_rps of the run: 30/s < 50/s"),
        case("sequence latency is the pass time", seq("main"), Percentile(99.0), D(Duration::from_secs(1)), fail,
            "p99 of sequence main: 1.4s > 1s"),
        case("sequence errors are its activities' errors over their executions: 2 of 300",
            seq("main"), ErrorRate, Ratio(0.0), fail,
            "error_rate of sequence main: 0.667% > 0%"),
        case("sequence min_rps counts passes", seq("end"), MinRps, Rate(10.0), pass,
            "min_rps of sequence end: 10/s >= 10/s"),
        case("an activity by path is named by its path and label",
            activity("main/0", &[0]), Percentile(95.0), D(MS(300)), fail,
            "p95 of main/0 GetRequest(/x): 312ms > 300ms"),
        case("a name matching two activities merges them: 1 error in 200",
            activity("login", &[1, 3]), ErrorRate, Ratio(0.01), pass,
            "error_rate of login (2 activities: main/1, end/0): 0.5% <= 1%"),
        case("merged errors count", activity("login", &[1, 3]), Errors, Count(0), fail,
            "errors of login (2 activities: main/1, end/0): 1 > 0"),
        case("merged latency", activity("login", &[1, 3]), Max, D(MS(60)), pass,
            "max of login (2 activities: main/1, end/0): 50ms <= 60ms"),
        case("a sequence that never ran fails", seq("cleanup"), Percentile(95.0), D(MS(300)), fail,
            "p95 of sequence cleanup: never ran"),
        case("an activity that never ran fails, even on errors", activity("cleanup/0", &[4]), Errors, Count(5), fail,
            "errors of cleanup/0 GetRequest(/never): never ran"),
        case("an unknown sequence has no samples", seq("nope"), ErrorRate, Ratio(0.5), fail,
            "error_rate of sequence nope: never ran"),
        case("a limit of the wrong kind (a hand-edited results file) fails", run(), Percentile(95.0), Count(3), fail,
            "p95 of the run: 312ms cannot be compared with the limit 3"),
        Case { min_samples: Some(1000), ..case("fewer samples than min_samples fail",
            activity("end/0", &[3]), Percentile(95.0), D(MS(300)), fail,
            "p95 of end/0 login: not enough data (100 samples, need 1000)") },
        Case { min_samples: Some(100), ..case("exactly min_samples is enough",
            activity("end/0", &[3]), Percentile(95.0), D(MS(300)), pass,
            "p95 of end/0 login: 50ms <= 300ms") },
    ];
    let report = report();
    let mut failures = Vec::new();
    for c in &cases {
        let t = [rules(c.subject.clone(), &[(c.metric, c.limit)], c.min_samples)];
        let out = evaluate(&t, &report);
        assert_eq!(out.len(), 1, "{}", c.comment);
        let o = &out[0];
        if (o.passed, o.message.as_str()) != (c.passed, c.message) {
            failures.push(format!(
                "{}:\n  want {} {:?}\n  got  {} {:?}",
                c.comment, c.passed, c.message, o.passed, o.message
            ));
        }
        assert_eq!(o.never_ran(), c.message.ends_with("never ran"), "{}", c.comment);
        assert_eq!(o.measured.is_none(), o.never_ran(), "{}", c.comment);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn outcomes_carry_samples_measured_values_and_spans() {
    let span = Span {
        line: 7,
        col: 3,
        ..Span::default()
    };
    let mut t = rules(Subject::Run, &[(Metric::ErrorRate, Limit::Ratio(0.01))], Some(10));
    t.set.rules[0].span = span;
    let out = evaluate(&[t], &report());
    assert_eq!(
        out,
        vec![ThresholdOutcome {
            measured: Some(Measured::Ratio(0.005)),
            samples: 400,
            min_samples: 10,
            passed: true,
            message: "error_rate of the run: 0.5% <= 1%".into(),
            limit: Limit::Ratio(0.01),
            span,
            ..ThresholdOutcome::default()
        }]
    );
}

struct VerdictCase {
    comment: &'static str,
    errors: u64,
    outcomes: &'static [bool],
    stop: Option<StopReason>,
    overloaded: bool,
    want: Verdict,
}

#[test]
fn the_verdict_follows_errors_only_without_thresholds() {
    use Verdict::*;
    let vc = |comment, errors, outcomes, stop, overloaded, want| VerdictCase {
        comment,
        errors,
        outcomes,
        stop,
        overloaded,
        want,
    };
    let max_errors = Some(StopReason::MaxErrors);
    #[rustfmt::skip]
    let cases = [
        vc("no thresholds, no errors", 0, &[], None, false, Pass),
        vc("no thresholds: any error fails (the original's rule)", 1, &[], None, false, Failed),
        vc("thresholds decide: errors alone do not fail", 3, &[true, true], None, false, Pass),
        vc("one failed threshold fails", 0, &[true, false], None, false, Failed),
        vc("overloaded generator, nothing failed", 0, &[true], None, true, Inconclusive),
        vc("overloaded generator, no thresholds, no errors", 0, &[], None, true, Inconclusive),
        vc("a failure beats an overloaded generator", 0, &[false], None, true, Failed),
        vc("max_errors used up fails even if thresholds pass", 5, &[true], max_errors, false, Failed),
        vc("max_time is a normal end", 0, &[true], Some(StopReason::MaxTime), false, Pass),
    ];
    for c in &cases {
        let mut report = RunReport {
            stop: c.stop,
            ..RunReport::default()
        };
        report.stats.activities = vec![measure(10, MS(1), c.errors, ErrorClass::Status)];
        let outcomes: Vec<ThresholdOutcome> = c
            .outcomes
            .iter()
            .map(|&passed| ThresholdOutcome {
                passed,
                ..ThresholdOutcome::default()
            })
            .collect();
        assert_eq!(verdict(&report, &outcomes, c.overloaded), c.want, "{}", c.comment);
    }
}

#[test]
fn errors_within_the_error_rate_budget_pass() {
    let report = report();
    assert_eq!(report.error_count(), 2);
    let t = [
        rules(Subject::Run, &[(Metric::ErrorRate, Limit::Ratio(0.01))], None),
        rules(
            Subject::Run,
            &[(Metric::Percentile(95.0), Limit::Duration(MS(400)))],
            None,
        ),
    ];
    let outcomes = evaluate(&t, &report);
    assert!(outcomes.iter().all(|o| o.passed), "{outcomes:#?}");
    assert_eq!(verdict(&report, &outcomes, false), Verdict::Pass);
    assert_eq!(
        verdict(&report, &[], false),
        Verdict::Failed,
        "the same errors without thresholds"
    );
}

#[test]
fn exit_codes() {
    assert_eq!(Verdict::Pass.exit_code(), 0);
    assert_eq!(Verdict::Failed.exit_code(), 1);
    assert_eq!(Verdict::Inconclusive.exit_code(), 4);
}

const SCENARIO: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:1
thresholds:
  p95: 300ms
  error_rate: 1%
  sequences:
    main: {p99: 1s}
  activities:
    login: {errors: 0, min_samples: 5}
    main/0: {max: 2s}
scenario:
  - sequence: main
  - sequence: end
sequences:
  main:
    - activity: GetRequest
      url: /x
      thresholds: {p95: 150ms}
    - activity: PostRequest
      name: login
      url: /login
      thresholds: {}
  end:
    - activity: PostRequest
      name: login
      url: /logout
";

#[test]
fn collect_flattens_every_section_in_order() {
    let loaded = load_str(Path::new("t.yaml"), SCENARIO, &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = Arc::new(loaded.scenario.unwrap());
    let plan = Plan::new(scenario.clone(), Arc::new(loaded.sources));
    let got = collect(&scenario, &plan.activities);
    let summary: Vec<(Subject, Vec<String>, Option<u64>)> = got
        .iter()
        .map(|st| {
            let rules = st
                .set
                .rules
                .iter()
                .map(|r| format!("{} {}", metric_name(r.metric), format_limit(&r.limit)))
                .collect();
            (st.subject.clone(), rules, st.set.min_samples)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (Subject::Run, vec!["p95 300ms".into(), "error_rate 1%".into()], None),
            (seq("main"), vec!["p99 1s".into()], None),
            (activity("login", &[1, 2]), vec!["errors 0".into()], Some(5)),
            (activity("main/0", &[0]), vec!["max 2s".into()], None),
            (activity("main/0", &[0]), vec!["p95 150ms".into()], None),
        ],
        "an empty inline set is left out"
    );
    assert_eq!(got[0].set.rules[0].span.line, 5, "spans survive");
    assert_eq!(
        got[2].subject.label(&plan.activities),
        "login (2 activities: main/1, end/0)"
    );
    let json = serde_json::to_string(&got).unwrap();
    let back: Vec<SubjectThresholds> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, got, "thresholds survive a results file: {json}");
}

#[test]
fn formats_read_like_users_write() {
    let m = |v: Measured| format_measured(&v);
    let us = Duration::from_micros;
    assert_eq!(m(Measured::Duration(us(870))), "870us");
    assert_eq!(m(Measured::Duration(us(45_640))), "45.6ms");
    assert_eq!(m(Measured::Duration(us(999_700))), "1s");
    assert_eq!(m(Measured::Duration(us(1_234_000))), "1.23s");
    assert_eq!(m(Measured::Duration(Duration::from_secs(250))), "250s");
    assert_eq!(m(Measured::Ratio(1.0 / 3.0)), "33.33%");
    assert_eq!(m(Measured::Ratio(0.000_033_3)), "0.00333%");
    assert_eq!(m(Measured::Ratio(0.0)), "0%");
    assert_eq!(m(Measured::Rate(12.345)), "12.35/s");
    assert_eq!(metric_name(Metric::Percentile(99.9)), "p99.9");
    assert_eq!(format_limit(&Limit::Ratio(0.005)), "0.5%");
    assert_eq!(format_limit(&Limit::Rate(50.0)), "50/s");
}
