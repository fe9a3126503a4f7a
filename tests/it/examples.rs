//! The runnable examples, run as real processes: each starts the built-in target server in-process,
//! so nothing else is needed. `cargo test` builds examples anyway; the test builds them itself (a no-op
//! when they are fresh) so that `cargo test --test examples` works on its own too.

use std::path::PathBuf;
use std::process::Command;

/// Builds the example (if needed) and returns its executable.
fn example(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--example", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo");
    assert!(status.success(), "cargo build --example {name} failed");
    // The test executable is target/<profile>/deps/examples-<hash>; examples are in target/<profile>/examples.
    let exe = std::env::current_exe().expect("test executable");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.is_file(), "no example binary at {}", path.display());
    path
}

/// Runs an example; returns its exit code and standard output.
fn run(name: &str) -> (Option<i32>, String, String) {
    let out = Command::new(example(name))
        .env("NO_COLOR", "1")
        .output()
        .expect("run example");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The trimmed cells of the summary table row that contains `label`.
fn cells(stdout: &str, label: &str) -> Vec<String> {
    stdout
        .lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no row {label} in:\n{stdout}"))
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

#[test]
fn builder_example_runs_against_the_built_in_target() {
    let (code, stdout, stderr) = run("builder");
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("Scenario 'builder-example' against http://127.0.0.1:"),
        "{stdout}"
    );
    // 3 sessions: one login each, 20 passes of main each.
    assert_eq!(&cells(&stdout, "init/0 login")[2..4], ["3", "0"]);
    assert_eq!(&cells(&stdout, "main/1 echo")[2..4], ["60", "0"]);
    assert!(stdout.contains("Result: ok"), "{stdout}");
}

#[test]
fn plugin_example_runs_a_rust_activity_from_yaml() {
    let (code, stdout, stderr) = run("plugin");
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    // 2 sessions × 5 passes.
    assert_eq!(&cells(&stdout, "main/0 probe ok")[2..4], ["10", "0"]);
    assert_eq!(&cells(&stdout, "main/1 probe echo")[2..4], ["10", "0"]);
    assert!(stdout.contains("Result: ok"), "{stdout}");
}
