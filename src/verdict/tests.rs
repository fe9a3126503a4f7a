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
        timed: !label.starts_with("Sleep"),
        tags: Vec::new(),
        workload: None,
    }
}

/// A 10 s run of three sequences:
///
/// | id | activity | executions | latency | errors |
/// |---|---|---|---|---|
/// | 0 | main/0 GetRequest(/x) | 100 | 312ms | 0 |
/// | 1 | main/1 login | 100 | 50ms | 1 |
/// | 2 | main/2 Sleep(1s), local | 100 | 1s | 1 (variable) |
/// | 3 | end/0 login | 100 | 50ms | 0 |
/// | 4 | cleanup/0 GetRequest(/never) | never ran | | |
/// | 5 | cleanup/1 GetRequest(/hang) | 0 completed, 3 stopped | | |
/// | 6 | down/0 GetRequest(/down) | 100 | 1ms | 100 (connect) |
///
/// `main` ran 100 passes of 1.4s, `end` 100 of 50ms, `cleanup` none, `down` 100 of 1ms that all failed.
/// The run's total (its exchanges) is ids 0, 1, 3 and 6: 400 executions, 101 failed, 299 successful (29.9/s).
fn report() -> RunReport {
    let activities = vec![
        measure(100, MS(312), 0, ErrorClass::Status),
        measure(100, MS(50), 1, ErrorClass::Status),
        measure(100, MS(1000), 1, ErrorClass::Variable),
        measure(100, MS(50), 0, ErrorClass::Status),
        Measure::default(),
        Measure {
            stopped: 3,
            ..Measure::default()
        },
        measure(100, MS(1), 100, ErrorClass::Connect),
    ];
    let mut total = activities[0].clone();
    for id in [1, 3, 5, 6] {
        total.merge(&activities[id]);
    }
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
            info("cleanup", 1, "GetRequest(/hang)"),
            info("down", 0, "GetRequest(/down)"),
        ],
        sequences: vec!["main".into(), "end".into(), "cleanup".into(), "down".into()],
        stats: Snapshot {
            activities,
            sequences: vec![
                measure(100, MS(1400), 0, ErrorClass::Status),
                measure(100, MS(50), 0, ErrorClass::Status),
                Measure::default(),
                measure(100, MS(1), 100, ErrorClass::Connect),
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
                .map(|&(metric, limit)| Threshold::new(metric, limit, Span::default()))
                .collect(),
            min_samples,
            ..ThresholdSet::default()
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
        case("p95 over the run's successful exchanges (the failed 1ms ones and the Sleep are left out)",
            run(), Percentile(95.0), D(MS(400)), pass,
            "p95 of the run: 312ms <= 400ms"),
        case("p95 above the limit", run(), Percentile(95.0), D(MS(300)), fail,
            "p95 of the run: 312ms > 300ms"),
        case("p99.9 keeps its decimal", run(), Percentile(99.9), D(MS(300)), fail,
            "p99.9 of the run: 312ms > 300ms"),
        case("a value that would round to the limit is shown in full (HDR reports the bucket's top)",
            run(), Percentile(50.0), D(MS(50)), fail,
            "p50 of the run: 50.015ms > 50ms"),
        case("mean of the successful ones", run(), Mean, D(MS(200)), pass,
            "mean of the run: 138ms <= 200ms"),
        case("mean above", run(), Mean, D(MS(100)), fail,
            "mean of the run: 138ms > 100ms"),
        case("max", run(), Max, D(Duration::from_secs(1)), pass,
            "max of the run: 312ms <= 1s"),
        case("max above", run(), Max, D(MS(250)), fail,
            "max of the run: 312ms > 250ms"),
        case("the run's error_rate leaves local activities (the Sleep) out of both parts: 101 of 400",
            run(), ErrorRate, Ratio(0.3), pass,
            "error_rate of the run: 25.25% <= 30% (101 of 400 executions failed)"),
        case("error_rate above", run(), ErrorRate, Ratio(0.25), fail,
            "error_rate of the run: 25.25% > 25% (101 of 400 executions failed)"),
        case("errors counts every activity, the Sleep's too", run(), Errors, Count(102), pass,
            "errors of the run: 102 <= 102"),
        case("errors above", run(), Errors, Count(0), fail,
            "errors of the run: 102 > 0"),
        case("min_rps counts successful exchanges: 299 in 10s", run(), MinRps, Rate(20.0), pass,
            "min_rps of the run: 29.9/s >= 20/s"),
        case("min_rps below", run(), MinRps, Rate(50.0), fail,
            "min_rps of the run: 29.9/s < 50/s"),
        case("sequence latency is over its exchanges, merged (the 1s Sleep and the 1.4s passes are not in it)",
            seq("main"), Percentile(99.0), D(MS(300)), fail,
            "p99 of sequence main: 312ms > 300ms"),
        case("so a sequence with think time meets a budget its requests meet", seq("main"), Max, D(MS(400)), pass,
            "max of sequence main: 312ms <= 400ms"),
        case("sequence error_rate: its timed activities' errors over their executions: 1 of 200",
            seq("main"), ErrorRate, Ratio(0.0), fail,
            "error_rate of sequence main: 0.5% > 0% (1 of 200 executions failed)"),
        case("sequence min_rps counts its successful exchanges", seq("end"), MinRps, Rate(10.0), pass,
            "min_rps of sequence end: 10/s >= 10/s"),
        case("an activity by path is named by its path and label",
            activity("main/0", &[0]), Percentile(95.0), D(MS(300)), fail,
            "p95 of main/0 GetRequest(/x): 312ms > 300ms"),
        case("a name matching two activities merges them: 1 error in 200",
            activity("login", &[1, 3]), ErrorRate, Ratio(0.01), pass,
            "error_rate of login (2 activities: main/1, end/0): 0.5% <= 1% (1 of 200 executions failed)"),
        case("merged errors count", activity("login", &[1, 3]), Errors, Count(0), fail,
            "errors of login (2 activities: main/1, end/0): 1 > 0"),
        case("merged latency", activity("login", &[1, 3]), Max, D(MS(60)), pass,
            "max of login (2 activities: main/1, end/0): 50ms <= 60ms"),
        case("a dead server's fast failures are no latency", activity("down/0", &[6]), Percentile(95.0), D(MS(300)), fail,
            "p95 of down/0 GetRequest(/down): no successful samples (100 failed)"),
        case("a dead server's sequence has no successful exchange either", seq("down"), Max, D(MS(300)), fail,
            "max of sequence down: no successful samples (100 failed)"),
        case("min_rps of a dead server is 0", activity("down/0", &[6]), MinRps, Rate(1.0), fail,
            "min_rps of down/0 GetRequest(/down): 0/s < 1/s"),
        case("a sequence whose exchanges a stop always cut short completed nothing", seq("cleanup"),
            Percentile(95.0), D(MS(300)), fail,
            "p95 of sequence cleanup: nothing completed (3 stopped)"),
        case("an activity that never ran fails, even on errors", activity("cleanup/0", &[4]), Errors, Count(5), fail,
            "errors of cleanup/0 GetRequest(/never): never ran"),
        case("an activity a stop cut short every time completed nothing", activity("cleanup/1", &[5]),
            ErrorRate, Ratio(0.5), fail,
            "error_rate of cleanup/1 GetRequest(/hang): nothing completed (3 stopped)"),
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
        assert_eq!(
            o.nothing_completed(),
            c.message.contains("nothing completed"),
            "{}",
            c.comment
        );
        assert_eq!(
            o.measured.is_none(),
            o.never_ran() || o.nothing_completed() || o.no_successful_samples(),
            "{}",
            c.comment
        );
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
            measured: Some(Measured::Ratio(0.2525)),
            samples: 400,
            executions: 400,
            stopped: 3,
            min_samples: 10,
            passed: false,
            message: "error_rate of the run: 25.25% > 1% (101 of 400 executions failed)".into(),
            limit: Limit::Ratio(0.01),
            span,
            name: "error_rate".into(),
            ..ThresholdOutcome::default()
        }]
    );
}

/// A one-activity run (`main/0`, timed unless `untimed`): `n` executions, `errors` of them failed,
/// `stopped` cut short.
fn one_activity(n: u64, errors: u64, stopped: u64, untimed: bool) -> RunReport {
    let mut m = measure(n, MS(1), errors, ErrorClass::Status);
    m.stopped = stopped;
    let mut report = RunReport {
        activities: vec![ActivityInfo {
            timed: !untimed,
            ..info("main", 0, "GetRequest(/x)")
        }],
        sequences: vec!["main".into()],
        elapsed: Duration::from_secs(10),
        sessions: 1,
        ..RunReport::default()
    };
    report.stats.activities = vec![m.clone()];
    report.stats.sequences = vec![m.clone()];
    if !untimed {
        report.stats.total = m;
    }
    report
}

fn specs() -> Vec<TrialSpec> {
    vec![
        TrialSpec {
            name: "main".into(),
            kind: TrialKind::Sequence("main".into()),
        },
        TrialSpec {
            name: "checks::main/0".into(),
            kind: TrialKind::Checks(0),
        },
        TrialSpec {
            name: "run".into(),
            kind: TrialKind::Run,
        },
    ]
}

fn judge(report: RunReport, thresholds: Vec<SubjectThresholds>, policy: Policy) -> Judgement {
    let mut specs = specs();
    let rules = thresholds.iter().map(|t| t.set.rules.len()).sum::<usize>();
    specs.extend((0..rules).map(|i| TrialSpec {
        name: format!("thresholds::{i}"),
        kind: TrialKind::Threshold(i),
    }));
    Judgement::from_parts(report, thresholds, specs, Arc::new(Default::default()), policy)
}

/// `pass`, or the failure kind, of each trial by name.
fn trial_outcomes(j: &Judgement) -> Vec<(String, String)> {
    j.trials
        .iter()
        .map(|t| {
            let outcome = match &t.outcome {
                TrialOutcome::Passed => "pass".to_string(),
                TrialOutcome::Failed(f) => f.kind.to_string(),
                TrialOutcome::Skipped(_) => "skipped".to_string(),
                TrialOutcome::Flaky(_) => "flaky".to_string(),
            };
            (t.spec.name.clone(), outcome)
        })
        .collect()
}

struct VerdictCase {
    comment: &'static str,
    report: RunReport,
    thresholds: Vec<SubjectThresholds>,
    want: Verdict,
    /// The result line's reasons.
    line: &'static str,
}

#[test]
fn the_verdict_and_the_trials_agree() {
    use Verdict::*;
    let p95 = |ms| {
        rules(
            Subject::Run,
            &[(Metric::Percentile(95.0), Limit::Duration(MS(ms)))],
            None,
        )
    };
    let error_rate = |r| rules(Subject::Run, &[(Metric::ErrorRate, Limit::Ratio(r))], None);
    let errors = |n| rules(Subject::Run, &[(Metric::Errors, Limit::Count(n))], None);
    let stopped = |stop| RunReport {
        stop: Some(stop),
        ..one_activity(10, 0, 0, false)
    };
    let overloaded = |mut r: RunReport| {
        r.health.overload = vec!["the load generator used 97% of 2 core(s) (limit 90%)".into()];
        r
    };
    let vc = |comment, report, thresholds, want, line| VerdictCase {
        comment,
        report,
        thresholds,
        want,
        line,
    };
    #[rustfmt::skip]
    let cases = [
        vc("no thresholds, no errors", one_activity(10, 0, 0, false), vec![], Pass, "Result: ok"),
        vc("no thresholds: any error fails (the original's rule)", one_activity(10, 1, 0, false), vec![], Failed,
            "Result: FAILED (1 error(s), no thresholds set)"),
        vc("an error_rate budget covers errors within it", one_activity(10, 1, 0, false), vec![error_rate(0.2)], Pass,
            "Result: ok"),
        vc("an errors budget covers them too", one_activity(10, 1, 0, false), vec![errors(1)], Pass, "Result: ok"),
        vc("a latency budget alone does not cover errors", one_activity(10, 1, 0, false), vec![p95(300)], Failed,
            "Result: FAILED (1 error(s) not within an error budget)"),
        vc("a run-level error_rate does not cover an ignore_timing activity's error", one_activity(10, 1, 0, true),
            vec![error_rate(0.5)], Failed,
            "Result: FAILED (1 of 1 thresholds failed; 1 error(s) not within an error budget)"),
        vc("a failed threshold fails", one_activity(10, 0, 0, false), vec![p95(0)], Failed,
            "Result: FAILED (1 of 1 thresholds failed)"),
        vc("a dead server fails a latency budget", one_activity(10, 10, 0, false), vec![p95(300), error_rate(1.0)],
            Failed, "Result: FAILED (1 of 2 thresholds failed)"),
        vc("an overloaded generator, nothing failed", overloaded(one_activity(10, 0, 0, false)), vec![], Inconclusive,
            "Result: INCONCLUSIVE (the load generator was the bottleneck)"),
        vc("a failure beats an overloaded generator", overloaded(one_activity(10, 1, 0, false)), vec![], Failed,
            "Result: FAILED (1 error(s), no thresholds set)"),
        vc("max_errors used up fails even if thresholds pass", RunReport { stop: Some(StopReason::MaxErrors),
            ..one_activity(10, 5, 0, false) }, vec![error_rate(1.0)], Failed, "Result: FAILED (max_errors reached)"),
        vc("errors beyond a budget that failed are not within it", one_activity(10, 3, 0, false), vec![error_rate(0.1)],
            Failed, "Result: FAILED (1 of 1 thresholds failed; 3 error(s) not within an error budget)"),
        vc("max_time is a normal end", stopped(StopReason::MaxTime), vec![], Pass, "Result: ok"),
        vc("nothing completed fails, whatever the stop", RunReport { stop: Some(StopReason::MaxTime),
            ..one_activity(0, 0, 4, false) }, vec![], Failed, "Result: FAILED (nothing completed (4 stopped))"),
        vc("executions cut short beside completed ones are only counted", one_activity(10, 0, 2, false), vec![], Pass,
            "Result: ok"),
    ];
    for c in cases {
        let j = judge(c.report, c.thresholds, Policy::default());
        assert_eq!((j.verdict, j.result_line().as_str()), (c.want, c.line), "{}", c.comment);
        let failed_trials = j
            .trials
            .iter()
            .any(|t| matches!(&t.outcome, TrialOutcome::Failed(f) if f.kind != FailureKind::Inconclusive));
        assert_eq!(
            failed_trials,
            j.verdict == Failed,
            "{}: a failed verdict has a failed trial and a passing one has none: {:?}",
            c.comment,
            trial_outcomes(&j)
        );
    }
}

#[test]
fn trials_name_what_failed() {
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    let j = judge(one_activity(10, 2, 0, false), vec![], Policy::default());
    assert_eq!(
        trial_outcomes(&j),
        pairs(&[("main", "errors"), ("checks::main/0", "errors"), ("run", "pass")])
    );
    let j = judge(
        RunReport {
            stop: Some(StopReason::MaxTime),
            ..one_activity(0, 0, 3, false)
        },
        vec![],
        Policy::default(),
    );
    assert_eq!(
        trial_outcomes(&j),
        pairs(&[
            ("main", "nothing_completed"),
            ("checks::main/0", "nothing_completed"),
            ("run", "run")
        ])
    );
    let TrialOutcome::Failed(f) = &j.trials[0].outcome else {
        panic!()
    };
    assert_eq!(
        f.summary,
        "sequence main: nothing completed (3 execution(s) stopped by max_time)"
    );

    let mut overloaded = one_activity(10, 0, 0, false);
    overloaded.health.overload = vec!["the load generator used 97% of 2 core(s) (limit 90%)".into()];
    let j = judge(overloaded.clone(), vec![], Policy::default());
    assert_eq!(j.verdict, Verdict::Inconclusive);
    let run = j.trial("run").unwrap();
    let TrialOutcome::Failed(f) = &run.outcome else {
        panic!("{run:?}")
    };
    assert_eq!(f.kind, FailureKind::Inconclusive);
    assert!(f.details.contains("used 97% of 2 core(s)"), "{}", f.details);
    let lenient = Policy {
        inconclusive_fails: false,
        ..Policy::default()
    };
    let j = judge(overloaded, vec![], lenient);
    assert_eq!(
        j.verdict,
        Verdict::Inconclusive,
        "the policy changes the trial, not the verdict"
    );
    assert_eq!(j.trial("run").unwrap().outcome, TrialOutcome::Passed);

    let smoke = Policy {
        skip_thresholds: Some("not judged on a smoke run".into()),
        ..Policy::default()
    };
    let budget = rules(Subject::Run, &[(Metric::MinRps, Limit::Rate(1000.0))], Some(50));
    let j = judge(one_activity(1, 0, 0, false), vec![budget], smoke);
    assert_eq!(j.verdict, Verdict::Pass);
    assert_eq!(
        j.trial("thresholds::0").unwrap().outcome,
        TrialOutcome::Skipped("not judged on a smoke run".into())
    );
}

#[test]
fn an_untimed_activity_is_covered_by_its_own_or_an_errors_budget() {
    let own = rules(
        activity("main/0", &[0]),
        &[(Metric::ErrorRate, Limit::Ratio(0.5))],
        None,
    );
    let j = judge(one_activity(10, 1, 0, true), vec![own], Policy::default());
    assert_eq!(j.verdict, Verdict::Pass, "{}", j.result_line());
    let j = judge(
        one_activity(10, 1, 0, true),
        vec![rules(Subject::Run, &[(Metric::Errors, Limit::Count(1))], None)],
        Policy::default(),
    );
    assert_eq!(j.verdict, Verdict::Pass, "{}", j.result_line());
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

/// A deterministic xorshift generator: the statistical tests below must give the same answer on
/// every machine.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A log-normal latency around `median` with a long right tail (sigma 0.5), as service latencies
    /// are; `errors` is the chance of an error.
    fn run(&mut self, n: u64, median_ms: f64, errors: f64) -> RunReport {
        self.run_by_second(n, median_ms, errors, &[1.0; 30])
    }

    /// [`Rng::run`] over `factors.len()` seconds, second *i*'s latencies multiplied by `factors[i]`,
    /// with the per-second series filled.
    fn run_by_second(&mut self, n: u64, median_ms: f64, errors: f64, factors: &[f64]) -> RunReport {
        let mut m = Measure::default();
        let mut series = vec![crate::stats::Second::default(); factors.len()];
        for i in 0..n {
            let second = (i as usize * factors.len()) / n as usize;
            let normal = (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos();
            let latency = Duration::from_secs_f64(factors[second] * median_ms * (0.5 * normal).exp() / 1000.0);
            let error = (self.unit() < errors).then_some(ErrorClass::Status);
            m.record(latency, error, 0, 0);
            let entry = &mut series[second];
            entry.requests += 1;
            match error {
                Some(_) => entry.errors += 1,
                None => entry.latency.record(latency),
            }
        }
        let mut report = one_activity(0, 0, 0, false);
        report.elapsed = Duration::from_secs(factors.len() as u64);
        report.stats.series = series;
        report.stats.series_step = 1;
        report.stats.activities = vec![m.clone()];
        report.stats.sequences = vec![m.clone()];
        report.stats.total = m;
        report
    }
}

/// How often each call is made on `metric` over `pairs` pairs of runs of `n` executions.
fn calls(pairs: u32, n: u64, metric: Metric, base_ms: f64, current_ms: f64, tolerance: f64) -> [u32; 4] {
    use baseline::Call;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ n ^ (current_ms * 1000.0) as u64);
    let mut out = [0; 4];
    for _ in 0..pairs {
        let base = rng.run(n, base_ms, 0.01);
        let current = rng.run(n, current_ms, 0.01);
        let tolerance = baseline::Tolerance {
            relative: tolerance,
            error_points: tolerance,
            min_latency_change: 0.0,
        };
        let call = baseline::delta(metric, &Subject::Run, &base, &current, tolerance).call;
        out[[Call::Regressed, Call::Improved, Call::Unchanged, Call::TooNoisy]
            .iter()
            .position(|c| *c == call)
            .unwrap_or(3)] += 1;
    }
    out
}

#[test]
fn two_runs_of_the_same_service_are_almost_never_called_regressed() {
    // With no tolerance at all, only the interval protects against a false alarm: at most 0.5 % of
    // pairs may be called regressed (the documented bound), measured on 400 pairs of each metric.
    for metric in [
        Metric::Percentile(50.0),
        Metric::Percentile(95.0),
        Metric::Percentile(99.0),
        Metric::Mean,
    ] {
        let counts = calls(400, 2000, metric, 40.0, 40.0, 0.0);
        eprintln!("{metric:?}, identical, no tolerance: [regressed, improved, unchanged, too noisy] = {counts:?}");
        let [regressed, improved, ..] = counts;
        assert!(
            regressed <= 2,
            "{metric:?}: {regressed} of 400 identical pairs called regressed"
        );
        assert!(
            improved <= 2,
            "{metric:?}: {improved} of 400 identical pairs called improved"
        );
    }
    let [regressed, ..] = calls(400, 2000, Metric::ErrorRate, 40.0, 40.0, 0.0);
    assert!(
        regressed <= 2,
        "error_rate: {regressed} of 400 identical pairs called regressed"
    );
    // With the default 5 % tolerance, identical runs of 10 000 are called unchanged on p50 and the
    // mean (2000 are too few to bound a change within ±5 %: those pairs are too noisy to tell).
    for metric in [Metric::Percentile(50.0), Metric::Mean] {
        let [regressed, _, unchanged, _] = calls(200, 10_000, metric, 40.0, 40.0, 0.05);
        assert_eq!(regressed, 0, "{metric:?}");
        assert!(
            unchanged >= 190,
            "{metric:?}: only {unchanged} of 200 identical pairs called unchanged"
        );
    }
}

#[test]
fn a_real_slowdown_is_found_and_a_small_sample_is_too_noisy() {
    // 20 % slower at 2000 executions: p50, p95 and the mean all see it in nearly every pair.
    for metric in [Metric::Percentile(50.0), Metric::Percentile(95.0), Metric::Mean] {
        let counts = calls(100, 2000, metric, 40.0, 48.0, 0.05);
        eprintln!("{metric:?}, 20 % slower: {counts:?}");
        let [regressed, ..] = counts;
        assert!(
            regressed >= 95,
            "{metric:?}: only {regressed} of 100 slower pairs called regressed"
        );
    }
    // 20 executions cannot tell a 20 % slowdown of the p95 from noise: no call either way.
    let [regressed, improved, unchanged, _] = calls(100, 20, Metric::Percentile(95.0), 40.0, 48.0, 0.05);
    assert_eq!((regressed, improved, unchanged), (0, 0, 0));
    // A change smaller than the tolerance is never a regression.
    let [regressed, ..] = calls(100, 5000, Metric::Percentile(50.0), 40.0, 41.0, 0.05);
    assert_eq!(regressed, 0);
}

#[test]
fn a_significant_change_below_a_millisecond_is_unchanged_by_default() {
    use baseline::{Call, Tolerance};
    let mut rng = Rng(7);
    let (base, current) = (rng.run(20_000, 0.15, 0.0), rng.run(20_000, 0.18, 0.0));
    let p50 = Metric::Percentile(50.0);
    let exact = Tolerance {
        min_latency_change: 0.0,
        ..Tolerance::DEFAULT
    };
    assert_eq!(
        baseline::delta(p50, &Subject::Run, &base, &current, exact).call,
        Call::Regressed
    );
    assert_eq!(
        baseline::delta(p50, &Subject::Run, &base, &current, Tolerance::DEFAULT).call,
        Call::Unchanged
    );
}

#[test]
fn latencies_clustered_in_time_widen_the_interval() {
    use baseline::{Call, Tolerance, design_effect};
    let mut rng = Rng(11);
    let p99 = Metric::Percentile(99.0);
    // Independent draws: a design effect near 1.
    let iid = rng.run(20_000, 20.0, 0.01);
    for metric in [p99, Metric::Percentile(50.0), Metric::Mean, Metric::ErrorRate] {
        let phi = design_effect(metric, &iid);
        assert!((1.0..2.0).contains(&phi), "{metric:?}: {phi}");
    }
    // One second in ten is 3x slower: the tail is that second, so p99 varies far more between
    // seconds than independent draws would, and a run with its hiccup elsewhere is no regression.
    let mut factors = [1.0; 10];
    factors[3] = 3.0;
    let hiccup = rng.run_by_second(20_000, 20.0, 0.01, &factors);
    assert!(design_effect(p99, &hiccup) > 10.0, "{}", design_effect(p99, &hiccup));
    let steady = rng.run(20_000, 20.0, 0.01);
    let mut factors = [1.0; 10];
    factors[7] = 3.3;
    let other_hiccup = rng.run_by_second(20_000, 20.0, 0.01, &factors);
    let call = baseline::delta(p99, &Subject::Run, &hiccup, &other_hiccup, Tolerance::DEFAULT).call;
    assert_ne!(call, Call::Regressed, "two runs with one slow second each");
    // Against a steady baseline the hiccup is not passed as unchanged either: one slow second is one
    // observation, too few to call, so a `vs_baseline` rule on it is inconclusive (not green).
    let call = baseline::delta(p99, &Subject::Run, &steady, &hiccup, Tolerance::DEFAULT).call;
    assert_eq!(call, Call::TooNoisy);
    // A slowdown of every second is still found.
    let slower = rng.run(20_000, 24.0, 0.01);
    let call = baseline::delta(p99, &Subject::Run, &steady, &slower, Tolerance::DEFAULT).call;
    assert_eq!(call, Call::Regressed);
}
