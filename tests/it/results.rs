//! The `stressor` binary: `run --out` results files, `stressor merge`, and the exit code of each verdict
//! (0 pass, 1 failed, 2 invalid input; 3 interrupted is in `run_signals.rs`, 4 inconclusive is checked
//! at the unit level since generator health is not measured yet).

use crate::common;

use common::stressor;

use std::path::Path;
use std::process::Output;
use stressor::report::json;
use stressor::verdict::Verdict;

/// 2 sessions × 3 passes: 6 requests per run, all passing.
const SCENARIO: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:1
sessions:
  count: 2
scenario:
  - sequence: main
    repeat: 3
thresholds:
  p95: 10s
  error_rate: 0
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";

/// `stressor run --serve --out OUT SCENARIO`.
fn run_out(scenario: &Path, out: &Path) -> std::process::Child {
    stressor()
        .args(["run", "--serve", "-q", "--out"])
        .arg(out)
        .arg(scenario)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn run_out_writes_readable_results_with_the_schema_and_exits_0() {
    let (dir, main) = common::write_files(&[("ok.yaml", SCENARIO)]);
    let path = dir.path().join("results.json");
    let out = run_out(&main, &path).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("\"schema\": \"stressor-results/1\""), "{raw}");
    let results = json::read(&path).unwrap();
    assert_eq!(results.scenario, "ok");
    assert_eq!(results.verdict, Verdict::Pass);
    assert_eq!(results.stats.total.count, 6);
    assert_eq!(results.activities[0].summary.count, 6);
    assert_eq!(results.sessions, 2);
    assert!(results.base_url.as_deref().unwrap().starts_with("http://127.0.0.1:"));
    assert_eq!(results.thresholds.len(), 1);
    let messages: Vec<&str> = results.outcomes.iter().map(|o| o.message.as_str()).collect();
    assert_eq!(
        messages[1],
        "error_rate of the run: 0% <= 0% (0 of 6 executions failed)"
    );
    assert!(
        messages[0].starts_with("p95 of the run: ") && messages[0].ends_with(" <= 10s"),
        "{messages:?}"
    );
    assert!(results.files[0].ends_with("ok.yaml"), "{:?}", results.files);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("| the run      | error_rate |    0% |       0% |       6 | pass   |"),
        "{stdout}"
    );
    assert!(stdout.contains("Result: ok"), "{stdout}");
}

#[test]
fn merge_of_three_runs_sums_counts_exactly_and_reevaluates_thresholds() {
    let (dir, main) = common::write_files(&[("shop.yaml", SCENARIO)]);
    let parts: Vec<_> = ["a.json", "b.json", "c.json"].map(|n| dir.path().join(n)).into();
    let children: Vec<_> = parts.iter().map(|p| run_out(&main, p)).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let merged = dir.path().join("merged.json");
    let out = stressor()
        .args(["merge", "--no-color"])
        .args(&parts)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("18 exchanges with the service (18 ok, 0 failed)"),
        "{stdout}"
    );
    assert!(stdout.contains("Result: ok"), "{stdout}");
    let results = json::read(&merged).unwrap();
    assert_eq!(results.stats.total.count, 18);
    assert_eq!(results.stats.activities[0].count, 18);
    assert_eq!(results.stats.sequences[0].count, 18);
    assert_eq!(results.sessions, 6);
    assert_eq!(results.stats.sessions.len(), 6);
    let series: u64 = results.stats.series.iter().map(|s| s.requests).sum();
    assert_eq!(series, 18, "the per-second series add up too");
    assert_eq!(
        results.outcomes[1].message,
        "error_rate of the run: 0% <= 0% (0 of 18 executions failed)"
    );
    assert_eq!(results.outcomes[1].samples, 18);

    // The thresholds a file carries are evaluated again over the merged data: a limit no run can meet
    // fails the merge (exit 1), and a file with other thresholds than the first is a warning.
    let mut strict: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&parts[0]).unwrap()).unwrap();
    strict["thresholds"][0]["set"]["rules"][0]["limit"] = serde_json::json!({"duration": {"secs": 0, "nanos": 1000}});
    let strict_path = dir.path().join("strict.json");
    std::fs::write(&strict_path, strict.to_string()).unwrap();
    let out = stressor()
        .arg("merge")
        .arg(&strict_path)
        .arg(&parts[1])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Result: FAILED (1 of 2 thresholds failed)"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: `") && stderr.contains("carries other thresholds"),
        "{stderr}"
    );
}

#[test]
fn merge_refuses_other_scenarios_and_bad_files_with_exit_2() {
    let other = SCENARIO.replace(
        "      url: /test1.json\n",
        "      url: /test1.json\n    - activity: GetRequest\n      url: /\n",
    );
    let (dir, main) = common::write_files(&[("one.yaml", SCENARIO), ("two.yaml", &other), ("bad.json", "{oops")]);
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    for (scenario, out) in [(main.clone(), &a), (main.with_file_name("two.yaml"), &b)] {
        let run = run_out(&scenario, out).wait_with_output().unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    }
    let out = stressor().arg("merge").arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: failed to merge `{}` with `{}`: the results have different shapes (1 vs 2 activities",
            b.display(),
            a.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("they come from different scenarios"), "{stderr}");

    for (args, want) in [
        (
            vec![a.clone(), dir.path().join("missing.json")],
            "missing.json`: No such file",
        ),
        (
            vec![dir.path().join("bad.json")],
            "bad.json`: invalid results JSON: key must be a string at line 1",
        ),
        (vec![main.clone()], "one.yaml`: invalid results JSON"),
    ] {
        let out = stressor().arg("merge").args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("error: failed to read `") && stderr.contains(want),
            "{stderr}"
        );
    }
    let out = stressor().arg("merge").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no file is a usage error");
}

#[test]
fn a_failed_threshold_exits_1_with_the_measured_value() {
    let strict = SCENARIO.replace("  p95: 10s\n  error_rate: 0\n", "  p50: 1us\n");
    let (dir, main) = common::write_files(&[("strict.yaml", &strict)]);
    let path = dir.path().join("results.json");
    let out = run_out(&main, &path).wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("(6 ok, 0 failed)"), "no errors, yet failed: {stdout}");
    assert!(stdout.contains("Result: FAILED (1 of 1 thresholds failed)"), "{stdout}");
    let results = json::read(&path).unwrap();
    let o = &results.outcomes[0];
    assert!(!o.passed);
    let measured = stressor::verdict::format_measured(o.measured.as_ref().unwrap());
    assert_eq!(o.message, format!("p50 of the run: {measured} > 1us"));
    assert!(stdout.contains(&format!(" {measured} |       6 | FAIL")), "{stdout}");
    assert_eq!(results.verdict, Verdict::Failed);
}

#[test]
fn run_out_into_a_missing_folder_exits_2_before_running() {
    let (dir, main) = common::write_files(&[("ok.yaml", SCENARIO)]);
    let out = stressor()
        .args(["run", "--serve", "--out"])
        .arg(dir.path().join("no/such/dir/r.json"))
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the folder `") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!stderr.contains("Running"), "nothing ran: {stderr}");
}

#[test]
fn help_documents_the_exit_codes_and_merge() {
    let out = stressor().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for line in [
        "Exit codes:",
        "  0  pass",
        "  1  failed: errors, or thresholds not met",
        "  2  invalid usage or invalid scenario",
        "  3  interrupted",
        "  4  inconclusive: the load generator was the bottleneck, or a comparison too noisy to tell",
    ] {
        assert!(help.contains(line), "`{line}` in {help}");
    }
    assert!(help.contains("merge"), "{help}");
    let out = stressor().args(["run", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--out <FILE>"));
}
