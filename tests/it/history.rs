//! Baselines from history: `stressor run --baseline DIR` compares with the newest runs of the same
//! scenario in a folder (their median, the allowance widened by their spread); checkpoints of runs
//! that had not finished and results of other scenarios are left out.

use crate::common;

use std::path::Path;

/// 20 requests of `/slow?ms=$(delay_ms)` against the built-in target, p50 allowed +10 % over the
/// baseline.
const SCENARIO: &str = "file_version: stressor#0
config:
  name: hist
context:
  delay_ms: 20
scenario:
  - sequence: main
    repeat: 20
thresholds:
  p50: {vs_baseline: +10%}
sequences:
  main:
    - activity: GetRequest
      url: /slow?ms=$(delay_ms)
";

/// `stressor run` with `args`; (exit code, stdout and stderr).
fn run(file: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = common::stressor()
        .arg("run")
        .arg(file)
        .arg("--serve")
        .args(args)
        .env_remove("STRESSOR_BASELINE")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("runs");
    (out.status.code(), common::output_text(&out))
}

#[test]
fn a_folder_of_earlier_runs_is_the_baseline() {
    let (dir, file) = common::write_files(&[("hist.yaml", SCENARIO)]);
    let history = dir.path().join("history");
    for i in 0..4 {
        let run_dir = history.join(format!("run-{i}"));
        std::fs::create_dir_all(&run_dir).unwrap();
        let out = run_dir.join("results.json");
        let (code, text) = run(&file, &["--out", out.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{text}");
    }
    // A checkpoint of a run that had not finished, and another scenario's results, are not runs of it.
    let mut partial = common::results_json(&history.join("run-0/results.json"));
    partial["complete"] = false.into();
    std::fs::write(history.join("partial.json"), partial.to_string()).unwrap();
    let mut other = common::results_json(&history.join("run-1/results.json"));
    other["scenario"] = "another".into();
    std::fs::write(history.join("other.json"), other.to_string()).unwrap();

    let (code, text) = run(&file, &["--baseline", history.to_str().unwrap()]);
    assert_eq!(code, Some(0), "the same service again holds: {text}");
    assert!(text.contains("Baseline: the last 4 runs in "), "{text}");
    assert!(
        text.contains("warning: --baseline: partial.json: left out, an incomplete checkpoint"),
        "{text}"
    );
    assert!(
        !text.contains("other.json"),
        "another scenario's file is not mentioned: {text}"
    );
    assert!(text.contains("p50 of the run vs the last 4 runs: "), "{text}");

    let (code, text) = run(&file, &["--baseline", history.to_str().unwrap(), "-o", "delay_ms:60"]);
    assert_eq!(code, Some(1), "three times slower regressed: {text}");
    assert!(text.contains("(significant)") || text.contains("> +10%"), "{text}");

    // --baseline-runs keeps the newest N.
    let (_, text) = run(
        &file,
        &["--baseline", history.to_str().unwrap(), "--baseline-runs", "3"],
    );
    assert!(text.contains("Baseline: the last 3 runs in "), "{text}");

    // A folder without a run of the scenario is an error before anything runs.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, text) = run(&file, &["--baseline", empty.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("no results file of this scenario in it"), "{text}");
}
