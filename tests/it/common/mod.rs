//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod harness;
pub mod junit;
pub mod run;
pub mod scripted;

use std::path::{Path, PathBuf};
use stressor::scenario::{LoadOptions, Loaded, load_file};

/// Writes `files` (name, text) into a fresh temporary folder; returns it (kept alive by the guard).
pub fn write_files(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write");
    }
    let main = dir.path().join(files[0].0);
    (dir, main)
}

/// Loads the first of `files` with options.
pub fn load_with(files: &[(&str, &str)], options: &LoadOptions) -> (tempfile::TempDir, Loaded) {
    let (dir, main) = write_files(files);
    let loaded = load_file(&main, options);
    (dir, loaded)
}

/// Each diagnostic as `file:line:col: severity: message`, the file relative to `base`.
pub fn headers(loaded: &Loaded, base: &Path) -> Vec<String> {
    loaded
        .diagnostics
        .iter()
        .map(|d| {
            let sev = match d.severity {
                stressor::scenario::Severity::Error => "error",
                stressor::scenario::Severity::Warning => "warning",
            };
            match d.span {
                Some(s) => {
                    let path = loaded.sources.path(s.file);
                    let shown = path.strip_prefix(base).unwrap_or(path);
                    format!(
                        "{}:{}:{}: {sev}: {}",
                        shown.display(),
                        s.line,
                        s.col,
                        hide_dir(&d.message, base)
                    )
                }
                None => format!("{sev}: {}", hide_dir(&d.message, base)),
            }
        })
        .collect()
}

/// Whether `check` runs successfully: an outside tool a test uses (xmllint, junitparser,
/// kubernetes-validate). If not, panics on CI (`.ci/run` installs them) and says locally why the
/// check is skipped.
pub fn available(check: &mut std::process::Command, what: &str) -> bool {
    if check.output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is missing; .ci/run installs it"
    );
    eprintln!("note: {what} is not installed, its check is skipped (it runs on CI)");
    false
}

/// The original tool's fixtures (copied into this repo as test data).
pub fn original_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/original")
}

/// Replaces the (temporary) folder in a message by `<dir>`, so expectations do not depend on it.
pub fn hide_dir(message: &str, base: &Path) -> String {
    let mut out = message.to_string();
    if base.as_os_str().is_empty() {
        return out;
    }
    if let Ok(canonical) = base.canonicalize() {
        out = out.replace(&canonical.display().to_string(), "<dir>");
    }
    out.replace(&base.display().to_string(), "<dir>")
}

/// A finished command's stdout, then its stderr, as text.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The `stressor` binary of this build, with the environment's `NO_COLOR` and `RUST_LOG` removed.
pub fn stressor() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stressor"));
    cmd.env_remove("NO_COLOR").env_remove("RUST_LOG");
    cmd
}

/// `stressor init DIR --har HAR`, ready for more arguments.
pub fn init_har(dir: impl AsRef<Path>, har: impl AsRef<Path>) -> assert_cmd::Command {
    let mut c = cmd();
    c.arg("init").arg(dir.as_ref()).arg("--har").arg(har.as_ref());
    c
}

/// [`stressor`] as an `assert_cmd` command.
pub fn cmd() -> assert_cmd::Command {
    assert_cmd::Command::from_std(stressor())
}

/// A results file (`run --out`, `merge --out`) as JSON.
pub fn results_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("results file")).expect("JSON")
}

/// The session ids of a results file's per-session stats, in order.
pub fn session_ids(results: &serde_json::Value) -> Vec<String> {
    results["stats"]["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["id"].as_str().expect("id").to_string())
        .collect()
}

/// `stressor merge PARTS... --out OUT`, which must succeed without a warning; returns its stdout and
/// the merged results.
pub fn merge_cleanly(parts: &[&Path], out: &Path) -> (String, serde_json::Value) {
    let m = cmd().arg("merge").args(parts).arg("--out").arg(out).assert().code(0);
    let err = String::from_utf8_lossy(&m.get_output().stderr).into_owned();
    assert!(!err.contains("warning"), "{err}");
    let stdout = String::from_utf8_lossy(&m.get_output().stdout).into_owned();
    (stdout, results_json(out))
}
