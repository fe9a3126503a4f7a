//! Thresholds and the verdict on real runs against the built-in target server, in-process.

use crate::common;

use common::run::{run_yaml, server};
use std::path::Path;
use std::sync::Arc;
use stressor::run::{RunOptions, RunReport, run};
use stressor::scenario::{LoadOptions, load_str};
use stressor::verdict::{Judgement, Measured, Policy, ThresholdOutcome, Verdict, format_measured};

/// Runs `yaml` against a fresh target server; returns the report, the threshold outcomes and the
/// verdict of its judgement.
async fn judge(yaml: &str) -> (RunReport, Vec<ThresholdOutcome>, Verdict) {
    let srv = server().await;
    let text = yaml.replace("{BASE}", &srv.url());
    let loaded = load_str(Path::new("test.yaml"), text, &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = Arc::new(loaded.scenario.expect("valid scenario"));
    let sources = Arc::new(loaded.sources);
    let report = run(scenario.clone(), sources.clone(), RunOptions::default())
        .await
        .expect("run");
    let j = Judgement::new(&scenario, sources, report, Policy::default());
    (j.report, j.outcomes, j.verdict)
}

/// 2 sessions × 5 passes of a GET that succeeds and one that always answers 500: 20 executions, 10
/// errors. The `unused` sequence is never run by any scenario item.
const MIXED: &str = "file_version: stressor#0
config:
  base_url: {BASE}
sessions:
  count: 2
scenario:
  - sequence: main
    repeat: 5
thresholds:
  p95: 5s
  error_rate: 60%
  errors: 20
  min_rps: 0.1
  sequences:
    main: {p99: 10s, min_samples: 10}
    unused: {p95: 1s}
  activities:
    fast: {max: 5s}
    main/1: {error_rate: 0}
sequences:
  main:
    - activity: GetRequest
      name: fast
      url: /test1.json
      thresholds: {p50: 1us}
    - activity: GetRequest
      url: /status/500
  unused:
    - activity: GetRequest
      url: /never
      thresholds: {errors: 0}
";

/// The message of a rule, with a measured latency or rate (which depend on the machine) replaced by
/// `<v>`; counts and error rates are exact.
fn shape(o: &ThresholdOutcome) -> String {
    match &o.measured {
        Some(m @ (Measured::Duration(_) | Measured::Rate(_))) => o.message.replacen(&format_measured(m), "<v>", 1),
        _ => o.message.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thresholds_pass_and_fail_with_the_measured_value_in_each_message() {
    let (report, outcomes, v) = judge(MIXED).await;
    assert_eq!(report.stats.total.count, 20);
    let got: Vec<(bool, String)> = outcomes.iter().map(|o| (o.passed, shape(o))).collect();
    let want = [
        (true, "p95 of the run: <v> <= 5s"),
        (true, "error_rate of the run: 50% <= 60% (10 of 20 executions failed)"),
        (true, "errors of the run: 10 <= 20"),
        (true, "min_rps of the run: <v> >= 0.1/s"),
        // A sequence's latency is over its exchanges, merged: the 10 successful ones of `fast`.
        (true, "p99 of sequence main: <v> <= 10s"),
        (false, "p95 of sequence unused: never ran"),
        (true, "max of main/0 fast: <v> <= 5s"),
        (
            false,
            "error_rate of main/1 GetRequest(/status/500): 100% > 0% (10 of 10 executions failed)",
        ),
        (false, "p50 of main/0 fast: <v> > 1us"),
        (false, "errors of unused/0 GetRequest(/never): never ran"),
    ];
    let want: Vec<(bool, String)> = want.iter().map(|(p, m)| (*p, m.to_string())).collect();
    assert_eq!(got, want);
    for o in outcomes.iter().filter(|o| o.measured.is_some()) {
        let measured = o.measured.as_ref().expect("a value when samples exist");
        assert!(o.message.contains(&format_measured(measured)), "{}", o.message);
    }
    let p50 = outcomes[8].measured.expect("p50 measured");
    assert!(matches!(p50, Measured::Duration(d) if d.as_micros() > 1), "{p50:?}");
    assert_eq!(v, Verdict::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_within_the_error_budget_pass_when_thresholds_are_set() {
    let yaml = "file_version: stressor#0
config:
  base_url: {BASE}
scenario:
  - sequence: main
    repeat: 4
thresholds:
  p95: 5s
  error_rate: 30%
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: GetRequest
      url: /test1.json
    - activity: GetRequest
      url: /test1.json
    - activity: GetRequest
      url: /status/503
";
    let (report, outcomes, v) = judge(yaml).await;
    assert_eq!(report.error_count(), 4);
    assert_eq!(
        outcomes[1].message,
        "error_rate of the run: 25% <= 30% (4 of 16 executions failed)"
    );
    assert!(outcomes.iter().all(|o| o.passed), "{outcomes:#?}");
    assert_eq!(v, Verdict::Pass, "the error_rate budget covers the errors");

    let latency_only = yaml.replace("  error_rate: 30%\n", "");
    let (_, outcomes, v) = judge(&latency_only).await;
    assert!(outcomes.iter().all(|o| o.passed), "{outcomes:#?}");
    assert_eq!(v, Verdict::Failed, "a latency budget does not cover errors");

    let without = yaml.replace("thresholds:\n  p95: 5s\n  error_rate: 30%\n", "");
    let (_, outcomes, v) = judge(&without).await;
    assert!(outcomes.is_empty());
    assert_eq!(v, Verdict::Failed, "without thresholds any error fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_samples_needs_enough_passes() {
    let srv = server().await;
    let yaml = "file_version: stressor#0
config:
  base_url: {BASE}
scenario:
  - sequence: main
    repeat: 3
thresholds:
  sequences:
    main: {p95: 5s, min_samples: 10}
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";
    let report = run_yaml(&srv, yaml, RunOptions::default()).await;
    let loaded = load_str(
        Path::new("t.yaml"),
        yaml.replace("{BASE}", &srv.url()),
        &LoadOptions::default(),
    );
    let scenario = loaded.scenario.unwrap();
    let j = Judgement::new(&scenario, Arc::new(loaded.sources), report, Policy::default());
    assert_eq!(
        j.outcomes[0].message,
        "p95 of sequence main: not enough data (3 samples, need 10)"
    );
    assert!(j.outcomes[0].not_enough_data());
    assert_eq!(j.verdict, Verdict::Failed);
}
