//! `thresholds.warmup`: the start of a run is measured apart, shown, and judged by nothing but its
//! own error budget.

use crate::common;

use common::scripted::{ERROR, OK, phased};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use stressor::run::{RunOptions, WarmupEnd, run};
use stressor::scenario::{LoadOptions, load_str};
use stressor::verdict::{Judgement, Policy, Verdict};

/// Two sessions request `/` for 3 s, with `thresholds` (YAML lines under `thresholds:`).
fn scenario(base: &str, thresholds: &str) -> String {
    format!(
        "file_version: stressor#0
config:
  base_url: {base}
sessions:
  count: 2
scenario:
  - sequence: main
    duration: 3s
thresholds:
{thresholds}
sequences:
  main:
    - activity: GetRequest
      url: /
    - activity: Sleep
      duration: 0.02
"
    )
}

async fn judge(text: &str) -> Judgement {
    let loaded = load_str(Path::new("warmup.yaml"), text.to_string(), &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = Arc::new(loaded.scenario.expect("valid"));
    let sources = Arc::new(loaded.sources);
    let report = run(scenario.clone(), sources.clone(), RunOptions::default())
        .await
        .expect("run");
    Judgement::new(&scenario, sources, report, Policy::default())
}

/// Errors in the first second only: the server is not ready yet.
fn errors_first(t: Duration) -> &'static [u8] {
    if t < Duration::from_millis(700) { ERROR } else { OK }
}

/// The same errors, later: the server breaks after its second second.
fn errors_later(t: Duration) -> &'static [u8] {
    if t > Duration::from_millis(2000) && t < Duration::from_millis(2700) {
        ERROR
    } else {
        OK
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_only_in_the_first_second_do_not_fail_a_run_with_a_warmup() {
    let server = phased(errors_first).await;
    let j = judge(&scenario(&server.url, "  warmup: 1s\n  p95: 5s")).await;
    assert_eq!(j.verdict, Verdict::Pass, "{}", j.result_line());
    let warm = j.report.warmup.as_ref().expect("a warm-up part");
    assert_eq!((warm.length, warm.end), (Duration::from_secs(1), WarmupEnd::Fixed));
    assert!(
        warm.stats.total.error_count() > 0,
        "the errors are kept, in the warm-up's numbers"
    );
    assert_eq!(j.report.error_count(), 0, "and not in the judged ones");
    assert!(
        j.report.elapsed < Duration::from_millis(2500),
        "judged time excludes the warm-up: {:?}",
        j.report.elapsed
    );
    let text = stressor::report::summary::render(&j, false);
    assert!(
        text.contains("Warm-up (not judged): the first 1.00s (fixed):"),
        "{text}"
    );

    // Without the warm-up the same server fails the run.
    let server = phased(errors_first).await;
    let j = judge(&scenario(&server.url, "  p95: 5s")).await;
    assert_eq!(j.verdict, Verdict::Failed, "{}", j.result_line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_errors_after_the_warmup_fail_it() {
    let server = phased(errors_later).await;
    let j = judge(&scenario(&server.url, "  warmup: 1s\n  p95: 5s")).await;
    assert_eq!(j.verdict, Verdict::Failed, "{}", j.result_line());
    assert!(j.report.error_count() > 0);
    assert_eq!(j.report.warmup.as_ref().map(|w| w.stats.total.error_count()), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warmup_errors_are_judged_by_its_own_budget_when_one_is_asked_for() {
    let server = phased(errors_first).await;
    let j = judge(&scenario(&server.url, "  warmup: {duration: 1s, errors: 0}\n  p95: 5s")).await;
    assert_eq!(j.verdict, Verdict::Failed, "{}", j.result_line());
    let budget = j
        .outcomes
        .iter()
        .find(|o| o.message.contains("the warm-up"))
        .expect("the budget's outcome");
    assert!(
        !budget.passed && budget.message.starts_with("errors of the warm-up: "),
        "{}",
        budget.message
    );
    assert!(
        j.trial("thresholds::warmup::errors").is_some(),
        "{:?}",
        j.trials.iter().map(|t| &t.spec.name).collect::<Vec<_>>()
    );

    let server = phased(errors_first).await;
    let j = judge(&scenario(
        &server.url,
        "  warmup: {duration: 1s, error_rate: 100%}\n  p95: 5s",
    ))
    .await;
    assert_eq!(j.verdict, Verdict::Pass, "{}", j.result_line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_ends_during_its_warmup_is_inconclusive() {
    let server = phased(errors_first).await;
    let j = judge(&scenario(&server.url, "  warmup: 10s\n  p95: 5s")).await;
    assert_eq!(j.verdict, Verdict::Inconclusive, "{}", j.result_line());
    assert!(
        j.result_line().contains("the run ended before its warm-up did"),
        "{}",
        j.result_line()
    );
    assert_eq!(j.report.warmup.as_ref().map(|w| w.end), Some(WarmupEnd::RunEnded));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_ends_once_the_rate_and_median_settle() {
    let server = phased(|_| OK).await;
    let j = judge(&scenario(&server.url, "  warmup: auto\n  p95: 5s").replace("duration: 3s", "duration: 6s")).await;
    let warm = j.report.warmup.as_ref().expect("a warm-up part");
    assert_eq!(warm.end, WarmupEnd::Settled, "{warm:?}");
    assert!(
        warm.length >= Duration::from_secs(3) && warm.length < Duration::from_secs(6),
        "{:?}",
        warm.length
    );
    assert!(j.report.stats.total.count > 0, "the rest was judged");
}
