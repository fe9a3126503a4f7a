//! Exchanges and local work (issue 23, point 1).

use crate::common;

use common::harness::{fixtures_root, harness, trial_line};
use common::{closed_port, output_text, stressor};
/// A pass of local work (a row from a feeder, a sleep, a script) around one request, with budgets
/// that only the request can meet.
const LOCAL_AND_A_REQUEST: &str = "file_version: stressor#0
feeders:
  accounts: {file: accounts.csv}
sessions: {count: 2}
scenario:
  - sequence: main
    repeat: 5
thresholds:
  p95: 1s
  error_rate: 50%
sequences:
  main:
    - activity: Feed
      feeder: accounts
    - activity: Sleep
      duration: 1ms
    - activity: RunScript
      script: 'let x = 40 + 2;'
    - activity: GetRequest
      url: /test1.json
";

const ACCOUNTS: &str = "name\nann\nbob\n";

#[test]
fn local_work_does_not_make_a_dead_service_pass_its_budgets() {
    let dead = format!("http://127.0.0.1:{}", closed_port());
    // cargo test: both budgets fail, and their messages count the requests only.
    let root = fixtures_root(&[("local.yaml", LOCAL_AND_A_REQUEST), ("accounts.csv", ACCOUNTS)]);
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_BASE_URL", dead.as_str()),
    ];
    let (out, text) = harness(&[], &env);
    assert!(!out.status.success(), "{text}");
    for trial in ["thresholds::run::p95", "thresholds::run::error_rate"] {
        let line = trial_line(&text, &format!("fixtures/local::{trial}"));
        assert!(line.ends_with("FAILED"), "{trial}: {text}");
    }
    assert!(
        text.contains("p95 of the run: no successful samples (10 failed)"),
        "{text}"
    );
    assert!(
        text.contains("error_rate of the run: 100% > 50% (10 of 10 executions failed)"),
        "{text}"
    );
    // stressor run: the same, exit 1; the local activities keep their rows, outside the headline.
    let (_dir, main) = common::write_files(&[("local.yaml", LOCAL_AND_A_REQUEST), ("accounts.csv", ACCOUNTS)]);
    let out = stressor()
        .args(["run", "--no-color", "-o", &format!("base_url:{dead}")])
        .arg(&main)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("| main/0 Feed(accounts)"), "{text}");
    assert!(
        text.contains("10 exchanges with the service (0 ok, 10 failed)"),
        "{text}"
    );
    assert!(
        text.contains("  not in these figures: 30 execution(s) of local activities (0 failed), each in its own row"),
        "{text}"
    );
    assert!(
        text.contains("| the run      | p95        |    1s |        - |       0 | FAIL: no successful samples |"),
        "{text}"
    );
    assert!(text.contains("Result: FAILED (2 of 2 thresholds failed"), "{text}");
}

#[test]
fn a_local_error_still_fails_the_run_that_an_error_rate_budget_covers() {
    // The request always succeeds; the script fails every time. `error_rate` counts exchanges only,
    // so it holds, but nothing covers the script's errors: the run fails, and so does its sequence.
    let yaml = "file_version: stressor#0
scenario:
  - sequence: main
    repeat: 4
thresholds:
  error_rate: 50%
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: RunScript
      script: 'throw \"broken\";'
";
    let (_dir, main) = common::write_files(&[("script.yaml", yaml)]);
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("| the run      | error_rate |   50% |       0% |       4 | pass   |"),
        "{text}"
    );
    assert!(
        text.contains("Result: FAILED (4 error(s) not within an error budget)"),
        "{text}"
    );
}

#[test]
fn a_budget_on_a_sequence_of_local_work_is_refused_when_the_file_loads() {
    let yaml = "file_version: stressor#0
scenario:
  - sequence: init
  - sequence: main
thresholds:
  sequences:
    init: {p95: 1s, errors: 0}
sequences:
  init:
    - activity: Sleep
      duration: 1ms
    - activity: RunScript
      script: 'let x = 1;'
  main:
    - activity: GetRequest
      url: http://127.0.0.1:9/x
";
    let (dir, main) = common::write_files(&[("local_only.yaml", yaml)]);
    let out = stressor().args(["validate", "--no-color"]).arg(&main).output().unwrap();
    let text = common::hide_dir(&output_text(&out), dir.path());
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("local_only.yaml:7:12: error: `p95` of sequence `init` measures its exchanges with the service, and it has none: it runs only `RunScript`, `Sleep`"),
        "{text}"
    );
    assert!(
        text.contains("put the budget on an activity (`thresholds.activities: {init/0: {p95: ...}}`"),
        "{text}"
    );
    assert!(
        !text.contains("`errors` of sequence"),
        "errors counts every activity: {text}"
    );
}
