//! `thresholds.confirm`: a failed gate is run again; a failure that does not repeat is flaky and
//! passes, one that repeats fails. Through the `stressor` binary, against a scripted server that is
//! slow for the first requests it gets (one run's worth, or two runs').

use crate::common;

use common::junit::assert_valid;
use common::scripted::slow_first;
use std::process::Output;
use std::time::Duration;

/// One session, 20 requests, a p95 budget of 40 ms, confirmed once.
fn scenario(base: &str, confirm: u32) -> String {
    format!(
        "file_version: stressor#0
config:
  base_url: {base}
scenario:
  - sequence: main
    repeat: 20
thresholds:
  p95: 40ms
  confirm: {confirm}
sequences:
  main:
    - activity: GetRequest
      url: /
"
    )
}

/// Runs `stressor run` on `text` with JUnit and Markdown reports; (output, JUnit XML, Markdown).
async fn run(text: String) -> (Output, String, String) {
    tokio::task::spawn_blocking(move || {
        let (dir, file) = common::write_files(&[("gate.yaml", &text)]);
        let (junit, md) = (dir.path().join("j.xml"), dir.path().join("s.md"));
        let out = common::stressor()
            .arg("run")
            .arg(&file)
            .arg("--junit")
            .arg(&junit)
            .arg("--summary-md")
            .arg(&md)
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("runs");
        assert_valid(&junit);
        let read = |p| std::fs::read_to_string(p).unwrap_or_default();
        (out, read(&junit), read(&md))
    })
    .await
    .expect("joins")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_that_fails_once_then_holds_is_flaky_and_green() {
    let server = slow_first(20, Duration::from_millis(80)).await;
    let (out, junit, md) = run(scenario(&server.url, 1)).await;
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("running the scenario again to confirm it"), "{text}");
    assert!(
        text.contains("Flaky (failed in 1 run(s), held when run again; passes): thresholds::run::p95: threshold failed: p95 of the run: "),
        "{text}"
    );
    assert!(
        junit.contains(r#"<flakyFailure type="threshold" message="threshold failed: p95 of the run: "#),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
    assert!(
        md.contains("⚠️ flaky: `thresholds::run::p95` failed in 1 run(s)"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_that_fails_twice_is_red() {
    let server = slow_first(40, Duration::from_millis(80)).await;
    let (out, junit, md) = run(scenario(&server.url, 1)).await;
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("Result: FAILED (1 of 1 thresholds failed)"), "{text}");
    assert!(junit.contains("confirmed: it failed in each of the 2 runs"), "{junit}");
    assert!(!junit.contains("flakyFailure"), "{junit}");
    assert!(md.starts_with("### ❌ stressor: `gate`"), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_confirm_one_failure_is_red() {
    let server = slow_first(20, Duration::from_millis(80)).await;
    let (out, _, _) = run(scenario(&server.url, 0)).await;
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("to confirm it"), "{text}");
}
