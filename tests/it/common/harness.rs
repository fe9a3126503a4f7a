//! The repo's `scenarios` test binary (`tests/scenarios.rs`, the cargo harness over `fixtures/` with the
//! built-in target server started by its `before` hook), run as a child process the way `cargo test`
//! runs it.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `scenarios` test binary: cargo puts it next to this one (`target/<profile>/deps/scenarios-<hash>`);
/// the newest one is the current build.
pub fn scenarios_binary() -> PathBuf {
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
pub fn harness(args: &[&str], env: &[(&str, &str)]) -> (Output, String) {
    let mut cmd = Command::new(scenarios_binary());
    cmd.args(args).env_remove("RUST_TEST_THREADS");
    for (key, _) in std::env::vars() {
        // Under nextest the harness writes no JUnit file; these tests want the plain cargo behaviour.
        if key.starts_with("STRESSOR_") || key == "NEXTEST" {
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

/// The line `test NAME ... RESULT` of the harness's output (empty when there is none).
pub fn trial_line<'t>(text: &'t str, name: &str) -> &'t str {
    text.lines()
        .find(|l| l.starts_with(&format!("test {name} ")))
        .unwrap_or_default()
}

/// A folder for `STRESSOR_FIXTURES_ROOT` holding `files` (name, text) under `fixtures/`, which the
/// harness's pattern (`fixtures/**/*.yaml`) finds.
pub fn fixtures_root(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = root.path().join("fixtures").join(name);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    root
}
