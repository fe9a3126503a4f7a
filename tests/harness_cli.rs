//! The `scenarios` test binary (`tests/scenarios.rs`, built by `cargo test`) run as a child process:
//! its trial names, name filters and the ignored failing fixture.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Every trial of the repo's `fixtures/`, in the order `--list` prints them.
const EXPECTED: &[&str] = &[
    "fixtures/failing::main",
    "fixtures/failing::checks::main/0:echo",
    "fixtures/failing::thresholds::run::errors",
    "fixtures/smoke::init",
    "fixtures/smoke::main",
    "fixtures/smoke::end",
    "fixtures/smoke::checks::init/0:login",
    "fixtures/smoke::checks::main/0:index",
    "fixtures/smoke::checks::main/1:upload",
    "fixtures/smoke::checks::main/2:read_back",
    "fixtures/smoke::checks::main/3:echo",
    "fixtures/thresholds::main",
    "fixtures/thresholds::checks::main/0:json",
    "fixtures/thresholds::checks::main/1:echo",
    "fixtures/thresholds::thresholds::run::p95",
    "fixtures/thresholds::thresholds::run::error_rate",
    "fixtures/thresholds::thresholds::sequence::main::p95",
    "fixtures/thresholds::thresholds::activity::echo::errors",
];

/// The `scenarios` test binary: cargo puts it next to this one (`target/<profile>/deps/scenarios-<hash>`);
/// the newest one is the current build.
fn scenarios_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("deps dir");
    std::fs::read_dir(dir)
        .expect("read deps dir")
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("scenarios-")
                && (!name.contains('.') || name.ends_with(".exe"))
                && e.metadata().is_ok_and(|m| m.is_file())
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
        .expect("the scenarios test binary (build it with `cargo test --test scenarios --no-run`)")
}

/// Runs the harness with `args`, without inherited `STRESSOR_*` variables but with `env`.
fn harness(args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let mut cmd = Command::new(scenarios_binary());
    cmd.args(args).env_remove("RUST_TEST_THREADS");
    for (key, _) in std::env::vars() {
        if key.starts_with("STRESSOR_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    let output = cmd.output().expect("run the scenarios binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

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
    assert!(
        text.contains("7 passed; 0 failed; 0 ignored; 0 measured; 11 filtered out"),
        "{text}"
    );
}

#[test]
fn ignored_runs_the_failing_fixture_with_its_messages() {
    let (output, text) = harness(&["--ignored"], &[]);
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains("0 passed; 3 failed; 0 ignored; 0 measured; 15 filtered out"),
        "{text}"
    );
    assert!(
        text.contains("---- fixtures/failing::main ----\nsequence main: 2 error(s)"),
        "{text}"
    );
    assert!(
        text.contains("[assertion] main/0 echo: JSON `json.n` is 1, expected 2 (session t01, pass 1)"),
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
    assert!(text.contains("sequence main: "), "{text}");
    assert!(
        text.contains("1 failed; 0 ignored; 0 measured; 17 filtered out"),
        "{text}"
    );
}
