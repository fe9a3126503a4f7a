//! The `scenarios` test binary (`tests/scenarios.rs`, built by `cargo test`) run as a child process:
//! its trial names, name filters, the ignored failing fixture, the JUnit file it writes and the files
//! it finds.

use crate::common;

use common::harness::harness;
use std::path::Path;

/// Every trial of the repo's `fixtures/`, in the order `--list` prints them.
const EXPECTED: &[&str] = &[
    "fixtures/failing::main",
    "fixtures/failing::checks::main/0:echo",
    "fixtures/failing::thresholds::run::errors",
    "fixtures/failing::run",
    "fixtures/original/test_dry_run::init",
    "fixtures/original/test_dry_run::main",
    "fixtures/original/test_dry_run::end",
    "fixtures/original/test_dry_run::checks::init/0",
    "fixtures/original/test_dry_run::checks::main/0",
    "fixtures/original/test_dry_run::run",
    "fixtures/original/test_mock_server::init",
    "fixtures/original/test_mock_server::main",
    "fixtures/original/test_mock_server::end",
    "fixtures/original/test_mock_server::checks::init/0",
    "fixtures/original/test_mock_server::checks::init/1",
    "fixtures/original/test_mock_server::checks::main/0",
    "fixtures/original/test_mock_server::checks::main/1",
    "fixtures/original/test_mock_server::checks::main/2",
    "fixtures/original/test_mock_server::checks::main/5",
    "fixtures/original/test_mock_server::run",
    "fixtures/original/test_monitor::init",
    "fixtures/original/test_monitor::main",
    "fixtures/original/test_monitor::end",
    "fixtures/original/test_monitor::checks::init/0",
    "fixtures/original/test_monitor::checks::init/1",
    "fixtures/original/test_monitor::checks::main/0",
    "fixtures/original/test_monitor::checks::main/1",
    "fixtures/original/test_monitor::checks::main/2",
    "fixtures/original/test_monitor::checks::main/3",
    "fixtures/original/test_monitor::run",
    "fixtures/original/test_noop::init",
    "fixtures/original/test_noop::main",
    "fixtures/original/test_noop::end",
    "fixtures/original/test_noop::run",
    "fixtures/smoke::init",
    "fixtures/smoke::main",
    "fixtures/smoke::end",
    "fixtures/smoke::checks::init/0:login",
    "fixtures/smoke::checks::main/0:index",
    "fixtures/smoke::checks::main/1:upload",
    "fixtures/smoke::checks::main/2:read_back",
    "fixtures/smoke::checks::main/3:echo",
    "fixtures/smoke::run",
    "fixtures/thresholds::main",
    "fixtures/thresholds::checks::main/0:json",
    "fixtures/thresholds::checks::main/1:echo",
    "fixtures/thresholds::thresholds::run::p95",
    "fixtures/thresholds::thresholds::run::error_rate",
    "fixtures/thresholds::thresholds::sequence::main::p95",
    "fixtures/thresholds::thresholds::activity::echo::errors",
    "fixtures/thresholds::run",
];

#[test]
fn list_prints_the_expected_names() {
    let (output, text) = harness(&["--list"], &[]);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let names: Vec<&str> = stdout.lines().filter_map(|l| l.strip_suffix(": test")).collect();
    assert_eq!(names, EXPECTED, "{text}");
}

#[test]
fn a_filter_runs_only_the_matching_scenario() {
    let (output, text) = harness(&["fixtures/thresholds::"], &[("STRESSOR_PROFILE", "smoke")]);
    assert!(output.status.success(), "{text}");
    let ran: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" ... "))
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let expected: Vec<&str> = EXPECTED
        .iter()
        .copied()
        .filter(|n| n.starts_with("fixtures/thresholds::"))
        .collect();
    let mut sorted = ran.clone();
    sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sorted, expected_sorted, "{text}");
    // The smoke profile ignores thresholds, with the reason; every scenario prints one line of numbers.
    assert!(
        text.contains(
            "test fixtures/thresholds::thresholds::run::p95               ... ignored (not judged under STRESSOR_PROFILE=smoke (one session, one pass))"
        ),
        "{text}"
    );
    assert!(
        text.contains("stressor: fixtures/thresholds: 3 executions, 0 errors, 0 stopped, p95 "),
        "{text}"
    );
    assert!(
        text.contains("4 passed; 0 failed; 4 ignored; 0 measured; 43 filtered out"),
        "{text}"
    );
}

#[test]
fn ignored_runs_the_failing_fixture_with_its_messages() {
    let (output, text) = harness(&["--ignored"], &[]);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("1 passed; 3 failed; 0 ignored; 0 measured; 47 filtered out"),
        "{text}"
    );
    // The errors exceed the file's `errors: 0` budget, so the sequence and the check fail with them, each
    // failed check at its line of the scenario.
    assert!(
        text.contains("---- fixtures/failing::main ----\nsequence main: 2 error(s)"),
        "{text}"
    );
    assert!(
        text.contains(
            "  [assertion] main/0 echo (session t01, pass 1): 1 failed check(s)\n      fixtures/failing.yaml:29:9: error: JSON `json.n` is 1, expected 2\n         |\n      29 |         json.n: 2\n         |         ^^^^^^ assert_json failed\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("      --- expected\n      +++ actual\n      @@ -1 +1 @@\n      -2\n      +1\n"),
        "{text}"
    );
    assert!(
        text.contains("threshold failed: errors of the run: 2 > 0\n--- expected\n+++ actual\n@@ -1 +1 @@\n-errors <= 0\n+errors = 2\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "---- fixtures/failing::thresholds::run::errors ----\nthreshold failed: errors of the run: 2 > 0"
        ),
        "{text}"
    );
}

#[test]
fn a_wrong_base_url_fails_the_scenario() {
    // STRESSOR_BASE_URL wins over the hook's base_url: nothing listens on port 9 of localhost.
    let (output, text) = harness(
        &["fixtures/thresholds::main", "--exact"],
        &[
            ("STRESSOR_PROFILE", "smoke"),
            ("STRESSOR_BASE_URL", "http://127.0.0.1:9"),
        ],
    );
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("sequence main: 2 error(s)"), "{text}");
    assert!(
        text.contains("[connect] main/0 json: error trying to connect to 127.0.0.1:9"),
        "{text}"
    );
    assert!(text.contains("      at fixtures/thresholds.yaml:29:17"), "{text}");
    assert!(
        text.contains("1 failed; 0 ignored; 0 measured; 50 filtered out"),
        "{text}"
    );
}

/// The testcase elements of `xml` whose name is `name`, with their content (up to `</testcase>`).
fn testcase<'x>(xml: &'x str, name: &str) -> &'x str {
    let start = xml
        .find(&format!("<testcase name=\"{name}\""))
        .unwrap_or_else(|| panic!("no testcase {name} in:\n{xml}"));
    let rest = &xml[start..];
    let end = rest
        .find("</testcase>")
        .or_else(|| rest.find("/>"))
        .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn junit_of_a_run_with_the_failing_fixture_is_valid_and_read_by_junitparser() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist yet: the harness creates it.
    let junit = dir.path().join("reports/junit.xml");
    let (output, text) = harness(
        &["--include-ignored"],
        &[
            ("STRESSOR_PROFILE", "smoke"),
            ("STRESSOR_JUNIT", junit.to_str().unwrap()),
        ],
    );
    assert!(!output.status.success(), "{text}");
    assert!(text.contains("44 passed; 2 failed; 5 ignored"), "{text}");
    let xml = std::fs::read_to_string(&junit).unwrap_or_else(|e| panic!("{e}: {text}"));
    common::junit::assert_valid(&junit);
    if let Some(view) = common::junit::junitparser_view(&junit) {
        assert_eq!(
            view,
            [
                "fixtures/failing tests=4 failures=2 errors=0 passed=1 failed=2 skipped=1",
                "fixtures/original/test_dry_run tests=6 failures=0 errors=0 passed=6 failed=0 skipped=0",
                "fixtures/original/test_mock_server tests=10 failures=0 errors=0 passed=10 failed=0 skipped=0",
                "fixtures/original/test_monitor tests=10 failures=0 errors=0 passed=10 failed=0 skipped=0",
                "fixtures/original/test_noop tests=4 failures=0 errors=0 passed=4 failed=0 skipped=0",
                "fixtures/smoke tests=9 failures=0 errors=0 passed=9 failed=0 skipped=0",
                "fixtures/thresholds tests=8 failures=0 errors=0 passed=4 failed=0 skipped=4",
            ]
        );
    }
    // The failing check: the message, where it is written (file:line:col, the line and carets), the
    // response, and the diff of the values (the smoke profile makes it one pass, so one error).
    let main = testcase(&xml, "fixtures/failing::main");
    assert!(
        main.contains(r#"classname="fixtures.failing"><failure type="errors" message="sequence main: 1 error(s)">"#),
        "{main}"
    );
    assert!(
        main.contains("fixtures/failing.yaml:29:9: error: JSON `json.n` is 1, expected 2\n         |\n      29 |         json.n: 2\n         |         ^^^^^^ assert_json failed"),
        "{main}"
    );
    assert!(main.contains("response: HTTP 200 OK, "), "{main}");
    assert!(
        main.contains("      --- expected\n      +++ actual\n      @@ -1 +1 @@\n      -2\n      +1"),
        "{main}"
    );
    // The smoke profile does not judge thresholds: skipped, with the reason.
    let threshold = testcase(&xml, "fixtures/failing::thresholds::run::errors");
    assert!(
        threshold.contains(
            r#"<skipped type="ignored" message="not judged under STRESSOR_PROFILE=smoke (one session, one pass)"/>"#
        ),
        "{threshold}"
    );
    // Summary tables of each run in the suite's system-out.
    assert!(
        xml.contains("<system-out><![CDATA[Scenario 'failing' against http://127.0.0.1:"),
        "{xml}"
    );
    assert!(
        xml.contains("Thresholds not judged: not judged under STRESSOR_PROFILE=smoke"),
        "{xml}"
    );
}

#[test]
fn junit_lists_ignored_trials_as_skipped_and_leaves_filtered_out_ones_out() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (output, text) = harness(&["fixtures/failing::"], &[("STRESSOR_JUNIT", junit.to_str().unwrap())]);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("0 passed; 0 failed; 4 ignored; 0 measured; 47 filtered out"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    common::junit::assert_valid(&junit);
    if let Some(view) = common::junit::junitparser_view(&junit) {
        assert_eq!(
            view,
            ["fixtures/failing tests=4 failures=0 errors=0 passed=0 failed=0 skipped=4"]
        );
    }
    assert!(
        xml.contains(r#"<skipped type="ignored" message="fails on purpose (a demonstration of failure messages)"/>"#),
        "{xml}"
    );
}

#[test]
fn list_writes_no_junit_file() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (output, text) = harness(&["--list"], &[("STRESSOR_JUNIT", junit.to_str().unwrap())]);
    assert!(output.status.success(), "{text}");
    assert!(!junit.exists());
}

/// Copies `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A new YAML file under `fixtures/` is a test case with no code change and no rebuild: the same
/// test binary, pointed at a copy of the fixtures (`STRESSOR_FIXTURES_ROOT`) with one file added, lists
/// and runs it. A copy keeps the repo's `fixtures/` untouched for the tests that run at the same time.
#[test]
fn a_new_fixture_file_is_listed_and_run_without_a_rebuild() {
    let root = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        &root.path().join("fixtures"),
    );
    std::fs::create_dir_all(root.path().join("fixtures/new")).unwrap();
    std::fs::write(
        root.path().join("fixtures/new/added.yaml"),
        "file_version: stressor#0\nconfig: {base_url: 'http://127.0.0.1:8082'}\nscenario:\n  - sequence: main\n\
         sequences:\n  main:\n    - activity: GetRequest\n      url: /test1.json\n      assert_status: [200]\n",
    )
    .unwrap();
    let env = [("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap())];
    let (output, text) = harness(&["--list"], &env);
    assert!(output.status.success(), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let names: Vec<&str> = stdout.lines().filter_map(|l| l.strip_suffix(": test")).collect();
    let mut expected: Vec<&str> = EXPECTED.to_vec();
    let at = expected
        .iter()
        .position(|n| n.starts_with("fixtures/original/"))
        .unwrap();
    expected.splice(
        at..at,
        [
            "fixtures/new/added::main",
            "fixtures/new/added::checks::main/0",
            "fixtures/new/added::run",
        ],
    );
    assert_eq!(names, expected, "{text}");
    let (output, text) = harness(&["fixtures/new/"], &env);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("3 passed; 0 failed; 0 ignored; 0 measured; 51 filtered out"),
        "{text}"
    );
}
