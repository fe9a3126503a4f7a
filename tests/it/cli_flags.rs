//! Every exit code and flag combination of the `stressor` binary that `cli.rs`, `results.rs` and
//! `run_signals.rs` do not already cover: version, usage errors, logging (`-v`/`-q`/`--log`/`RUST_LOG`),
//! `--no-color`, run flags (`-o`, `--single`, `--max-time`, `--dry-run`), exit 4 through `merge`, and
//! `serve` on a busy port. Runs use `--serve` (the built-in target in the stressor process, free port).

use crate::common;

use common::{cmd, init_har, original_fixtures};
use predicates::prelude::*;
use predicates::str::contains;

const SHORT: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
sessions:
  count: 3
scenario:
  - sequence: main
    duration: 30s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
      assert_json: {foo: bar}
    - activity: $sleep(0.05)
";

fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn version_short_and_with_build_details_before_or_after_the_command() {
    let expected = format!("stressor {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["-V"][..], &["--version"], &["run", "-V"], &["init", "--version"]] {
        cmd().args(args).assert().code(0).stdout(expected.clone());
    }
    for args in [
        &["-V", "-v"][..],
        &["-vV"],
        &["--verbose", "--version"],
        &["validate", "-Vv"],
    ] {
        let a = cmd().args(args).assert().code(0);
        let out = stdout_of(&a);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], expected.trim_end(), "{args:?}: {out}");
        assert!(lines[1].starts_with("commit:  "), "{out}");
        let commit = lines[1].trim_start_matches("commit:  ");
        assert!(
            commit == "unknown" || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
            "{out}"
        );
        assert!(lines[2].starts_with("rustc:   rustc 1."), "{out}");
        assert!(lines[3].starts_with("target:  ") && lines[3].len() > 10, "{out}");
        assert!(lines[4] == "profile: debug" || lines[4] == "profile: release", "{out}");
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["run"],
        &["init"],
        &["run", "x.yaml", "--frobnicate"],
        &["-q", "-v", "validate", "x.yaml"],
        &["validate", "x.yaml", "-v", "-q"],
        &["run", "x.yaml", "--max-errors", "many"],
        &["run", "x.yaml", "--grace", "later"],
        &["serve", "--port", "99999"],
    ] {
        cmd()
            .args(args)
            .assert()
            .code(2)
            .stderr(contains("Usage:").or(contains("error:")));
    }
    cmd()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(contains("init"))
        .stdout(contains("--log"));
    cmd()
        .args(["init", "--help"])
        .assert()
        .code(0)
        .stdout(contains("--har"))
        .stdout(contains("--force"));
    cmd()
        .args(["help", "run"])
        .assert()
        .code(0)
        .stdout(contains("--max-time"));
}

#[test]
fn verbosity_flags_choose_what_reaches_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let har = original_fixtures().join("har_4.har");
    // Global flags before the command (`before`) or after it (`after`).
    let init = |dir: &str, before: &[&str], after: &[&str]| {
        let mut c = cmd();
        c.args(before)
            .arg("init")
            .arg(tmp.path().join(dir))
            .arg("--har")
            .arg(&har);
        c.arg("--force").args(after).assert().code(0)
    };
    let quiet_default = init("a", &[], &[]);
    assert!(
        !stderr_of(&quiet_default).contains("INFO"),
        "{}",
        stderr_of(&quiet_default)
    );
    assert!(stdout_of(&quiet_default).contains("Imported"));
    // -v works before and after the command and shows debug and info events.
    for (before, after) in [(&["-v"][..], &[][..]), (&[], &["-v"])] {
        let a = init("b", before, after);
        let err = stderr_of(&a);
        assert!(
            err.contains("DEBUG") && err.contains("INFO"),
            "{before:?} {after:?}: {err}"
        );
        assert!(
            err.contains("skipping external URL https://www.google-analytics.com/"),
            "{err}"
        );
        assert!(!err.contains("TRACE"), "{before:?} {after:?}: {err}");
    }
    let err = stderr_of(&init("c", &["-vv"], &[]));
    assert!(
        err.contains("TRACE") && err.contains("HTTP/2"),
        "-vv traces each entry: {err}"
    );
    let a = init("d", &["-q"], &[]);
    assert_eq!(stdout_of(&a), "", "-q hides the result lines");
    assert_eq!(stderr_of(&a), "");
    // RUST_LOG replaces the level that -v/-q choose.
    let a = cmd()
        .env("RUST_LOG", "stressor=info")
        .args(["-q", "init"])
        .arg(tmp.path().join("e"))
        .assert()
        .code(0);
    assert!(
        stderr_of(&a).contains("INFO") && !stderr_of(&a).contains("DEBUG"),
        "{}",
        stderr_of(&a)
    );
    cmd()
        .env("RUST_LOG", "=[bad")
        .args(["init", "x"])
        .assert()
        .code(2)
        .stderr(contains("invalid RUST_LOG"));
}

#[test]
fn warnings_show_by_default_and_q_hides_them() {
    let tmp = tempfile::tempdir().unwrap();
    let har = tmp.path().join("latin1.har");
    std::fs::write(
        &har,
        b"{\"log\": {\"entries\": [{\"request\": {\"method\": \"GET\", \"url\": \"http://h/caf\xe9\"}}]}}",
    )
    .unwrap();
    let run = |flag: Option<&str>| {
        init_har(tmp.path().join("out"), &har)
            .arg("--force")
            .args(flag)
            .assert()
            .code(0)
    };
    let err = stderr_of(&run(None));
    assert!(err.contains("WARN") && err.contains("not valid UTF-8"), "{err}");
    assert_eq!(stderr_of(&run(Some("-q"))), "");
}

#[test]
fn log_file_gets_debug_detail_even_with_q() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("run.log");
    let a = cmd()
        .arg("--log")
        .arg(&log)
        .args(["-q", "init"])
        .arg(tmp.path().join("s"))
        .assert()
        .code(0);
    assert_eq!(stderr_of(&a), "");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("DEBUG") && text.contains("command: init"), "{text}");
    assert!(text.contains("INFO") && text.contains("scenario.yaml"), "{text}");
    assert!(text.contains("exit code 0"), "{text}");
    // Lines carry a UTC timestamp and no colour codes.
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("20") && first.contains('T') && first.contains('Z'),
        "{first}"
    );
    assert!(!text.contains('\x1b'), "{text}");

    // A run logs its course (not the arguments: an -o value may be a secret).
    let (_dir, main) = common::write_files(&[("short.yaml", SHORT)]);
    let run_log = tmp.path().join("run.log");
    cmd()
        .args([
            "run",
            "-q",
            "--serve",
            "--single",
            "-o",
            "context.token:hunter22",
            "--log",
        ])
        .arg(&run_log)
        .arg(&main)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&run_log).unwrap();
    assert!(
        text.contains("RunStarted") && text.contains("SessionFinished"),
        "{text}"
    );
    assert!(text.contains("exit code 0") && !text.contains("hunter22"), "{text}");

    // A folder gets a timestamped file; the flag works after the command too.
    let dir = tmp.path().join("logs");
    std::fs::create_dir(&dir).unwrap();
    cmd()
        .arg("validate")
        .arg(tmp.path().join("s"))
        .arg("--log")
        .arg(&dir)
        .assert()
        .code(0);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    assert!(
        name.len() == "stressor-20261123-174512.log".len()
            && name.starts_with("stressor-")
            && name.ends_with(".log")
            && digits(&name[9..17])
            && digits(&name[18..24]),
        "{name}"
    );
    cmd()
        .args(["--log", "/nonexistent/folder/x.log", "init"])
        .arg(tmp.path().join("t"))
        .assert()
        .code(2)
        .stderr(contains("cannot write the log file `/nonexistent/folder/x.log`"));
    assert!(
        !tmp.path().join("t").exists(),
        "nothing runs when the log cannot be written"
    );
}

#[test]
fn no_color_before_or_after_the_command_and_from_the_environment() {
    // stderr is a pipe here, so colours are off anyway; this checks that every spelling is accepted
    // and that diagnostics stay plain.
    let (_dir, bad) = common::write_files(&[("bad.yaml", "file_version: stressor#0\nscenario: []\n")]);
    for (flags, env) in [
        (&["--no-color", "validate"][..], None),
        (&["validate", "--no-color"], None),
        (&["validate"], Some("1")),
    ] {
        let mut c = cmd();
        if let Some(v) = env {
            c.env("NO_COLOR", v);
        }
        let a = c.args(flags).arg(&bad).assert().code(2);
        let err = stderr_of(&a);
        assert!(err.contains("bad.yaml:2:") && !err.contains('\x1b'), "{flags:?}: {err}");
    }
}

#[test]
fn run_flags_override_single_max_time_and_dry_run() {
    let (_dir, main) = common::write_files(&[("short.yaml", SHORT)]);
    // -o overrides sessions.count; --max-time ends the 30 s scenario after about 1 s, with exit 0.
    let started = std::time::Instant::now();
    let a = cmd()
        .args(["run", "--serve", "-o", "sessions.count:2", "--max-time", "1s"])
        .arg(&main)
        .assert()
        .code(0);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let (out, err) = (stdout_of(&a), stderr_of(&a));
    assert!(err.contains("Running 'short': 2 session(s)"), "{err}");
    assert!(out.contains("Run stopped: max_time reached"), "{out}");
    assert!(out.contains("Result: ok"), "{out}");
    // --single: one session and one pass, whatever count and duration say.
    let a = cmd().args(["run", "--serve", "--single"]).arg(&main).assert().code(0);
    assert!(
        stderr_of(&a).contains("Running 'short': 1 session(s)"),
        "{}",
        stderr_of(&a)
    );
    assert!(
        stdout_of(&a).contains("main/0 GetRequest(/test1.json) |     1 |"),
        "{}",
        stdout_of(&a)
    );
    // --dry-run (long form) with -q: no server needed, nothing on stderr.
    let a = cmd()
        .args(["-q", "run", "--dry-run", "--single"])
        .arg(&main)
        .assert()
        .code(0);
    assert!(stdout_of(&a).contains("Dry run"), "{}", stdout_of(&a));
    assert_eq!(stderr_of(&a), "");
    // An override that makes the scenario invalid is exit 2 before anything runs.
    cmd()
        .args(["run", "--serve", "-o", "sessions.count:0"])
        .arg(&main)
        .assert()
        .code(2)
        .stderr(contains("nothing was run"));
}

#[test]
fn grace_cuts_end_sequences_short() {
    // `end` sleeps 5 s; after --max-time, --grace 300ms lets it run only that long. Its sleeps are
    // then stopped, not completed: `end` completed nothing, which fails the run (a teardown that never
    // finished is not a pass), and every report counts them.
    let scenario = SHORT.replace("    duration: 30s\n", "    duration: 30s\n  - sequence: end\n")
        + "  end:\n    - activity: $sleep(5)\n";
    let (_dir, main) = common::write_files(&[("grace.yaml", &scenario)]);
    let started = std::time::Instant::now();
    let a = cmd()
        .args(["run", "--serve", "--max-time", "500ms", "--grace", "300ms"])
        .arg(&main)
        .assert()
        .code(1);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_millis(4500),
        "{took:?}: {}",
        stdout_of(&a)
    );
    let stdout = stdout_of(&a);
    assert!(stdout.contains("`end` sequences ran"), "{stdout}");
    assert!(
        stdout.contains("| end/0 Sleep(5s)                |     0 |      0 |       3 |"),
        "three stopped sleeps: {stdout}"
    );
    assert!(
        stdout.contains("Result: FAILED (nothing completed in sequence end)"),
        "{stdout}"
    );
}

#[test]
fn merge_of_an_inconclusive_part_exits_4() {
    // Exit 4 needs an overloaded load generator, which a test cannot cause reliably on a shared
    // machine; a results file whose run was judged inconclusive reaches the same exit path.
    let (dir, main) = common::write_files(&[("short.yaml", SHORT)]);
    let part = dir.path().join("part.json");
    cmd()
        .args(["run", "--serve", "--single", "--out"])
        .arg(&part)
        .arg(&main)
        .assert()
        .code(0);
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&part).unwrap()).unwrap();
    json["verdict"] = "inconclusive".into();
    json["health"]["overload"] = serde_json::json!(["CPU 97% of 2 cores"]);
    std::fs::write(&part, json.to_string()).unwrap();
    let a = cmd().arg("merge").arg(&part).assert().code(4);
    assert!(stdout_of(&a).contains("INCONCLUSIVE"), "{}", stdout_of(&a));
}

#[test]
fn serve_on_a_busy_port_exits_2() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    cmd()
        .args(["serve", "--port", &port])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(contains(port.as_str()));
}
