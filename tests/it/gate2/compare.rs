//! `stressor compare` (issue 23, point 6; issue 27, point 8).

use crate::common;

use common::{closed_port, output_text, stressor};
/// Two sessions fetching a document with a short pause, for 2 s: a run to compare.
const STEADY: &str = "file_version: stressor#0
sessions: {count: 2}
scenario:
  - sequence: main
    duration: 2s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: Sleep
      duration: 10ms
";

/// Runs [`STEADY`] against `base_url`, writing its results to `out`.
fn steady_results(main: &std::path::Path, base_url: &str, out: &std::path::Path) {
    let run = stressor()
        .args(["run", "-q", "-o", &format!("base_url:{base_url}"), "--out"])
        .arg(out)
        .arg(main)
        .output()
        .unwrap();
    // Judged either way (a busy machine may make a run inconclusive): what matters is its results.
    assert!(matches!(run.status.code(), Some(0 | 1 | 4)), "{}", output_text(&run));
}

/// The call of `metric` (`p50`, `error_rate`, `min_rps`) of the subject labelled `label` in a
/// `compare --out` file.
fn call_of(comparison: &serde_json::Value, label: &str, metric: &str) -> String {
    let subject = comparison
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == label)
        .unwrap_or_else(|| panic!("{label} in {comparison}"));
    let delta = subject["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| match metric.strip_prefix('p') {
            Some(q) if q.parse::<f64>().is_ok() => d["metric"]["percentile"].as_f64() == q.parse().ok(),
            _ => d["metric"] == metric,
        })
        .unwrap_or_else(|| panic!("{metric} of {label} in {comparison}"));
    delta["call"].as_str().unwrap().to_string()
}

#[test]
fn compare_says_what_it_found_in_one_line_first_and_a_change_within_the_allowance_is_unchanged() {
    let server = stressor::target::TargetServer::start_in_thread(Default::default()).expect("target");
    let (dir, main) = common::write_files(&[("steady.yaml", STEADY)]);
    let (base, same) = (dir.path().join("base.json"), dir.path().join("same.json"));
    steady_results(&main, &server.url(), &base);
    steady_results(&main, &server.url(), &same);
    // Allowances wide enough that two runs of one service on a busy machine stay within them: every
    // metric, error_rate 0% -> 0% included, is then unchanged (before, most read "too noisy to tell").
    let cmp = dir.path().join("cmp.json");
    let out = stressor()
        .args([
            "compare",
            "--no-color",
            "--min-change",
            "1s",
            "--tolerance",
            "50%",
            "--out",
        ])
        .arg(&cmp)
        .arg(&base)
        .arg(&same)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let first = text.lines().next().unwrap_or_default();
    let total = first
        .strip_prefix("unchanged: ")
        .and_then(|rest| rest.split_once(" of "))
        .map(|(n, rest)| (n.to_string(), rest.split(' ').next().unwrap_or_default().to_string()));
    let Some((unchanged, of)) = total else {
        panic!("the first line is the verdict: {text}");
    };
    assert_eq!(unchanged, of, "{text}");
    assert!(
        first.ends_with(" · improved: 0 · too noisy: 0 · regressed: 0"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&cmp).unwrap()).unwrap();
    assert_eq!(call_of(&json, "the run", "error_rate"), "unchanged", "0 -> 0 errors");
    // The Sleep is local: its time is the generator's, so only its error rate is compared.
    let sleep = json
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == "main/1 Sleep(10ms)")
        .unwrap_or_else(|| panic!("the Sleep's row: {json}"));
    let metrics: Vec<&serde_json::Value> = sleep["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["metric"])
        .collect();
    assert_eq!(metrics, [&serde_json::json!("error_rate")], "{json}");
}

#[test]
fn compare_calls_a_drop_to_zero_a_regression() {
    let server = stressor::target::TargetServer::start_in_thread(Default::default()).expect("target");
    let (dir, main) = common::write_files(&[("steady.yaml", STEADY)]);
    let (base, dead) = (dir.path().join("base.json"), dir.path().join("dead.json"));
    steady_results(&main, &server.url(), &base);
    steady_results(&main, &format!("http://127.0.0.1:{}", closed_port()), &dead);
    let cmp = dir.path().join("cmp.json");
    let out = stressor()
        .args(["compare", "--no-color", "--out"])
        .arg(&cmp)
        .arg(&base)
        .arg(&dead)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&cmp).unwrap()).unwrap();
    // Throughput of successful exchanges fell to 0/s, and no request succeeded to time.
    for (label, metric) in [
        ("the run", "min_rps"),
        ("main/0 GetRequest(/test1.json)", "min_rps"),
        ("the run", "p50"),
        ("the run", "error_rate"),
    ] {
        assert_eq!(
            call_of(&json, label, metric),
            "regressed",
            "{metric} of {label}: {text}"
        );
    }
    assert!(
        text.lines().next().unwrap_or_default().starts_with("unchanged: "),
        "{text}"
    );
}
