//! The `stressor` binary: exit codes and output of `validate` and `serve`.

use crate::common;

use common::stressor;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

const VALID_WITH_WARNING: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
  nmae: typo
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /
";

#[test]
fn validate_exits_0_and_still_shows_warnings() {
    let (_dir, main) = common::write_files(&[("ok.yaml", VALID_WITH_WARNING)]);
    let out = stressor().arg("validate").arg(&main).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("ok.yaml:4:3: warning: `config.nmae` is not a setting"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ok.yaml: ok (1 sequences, 1 activities, 1 warning(s))"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "no colour when stderr is not a terminal");
}

#[test]
fn validate_exits_2_on_errors_and_checks_every_file() {
    let (_dir, main) = common::write_files(&[
        ("bad.yaml", &VALID_WITH_WARNING.replace("GetRequest", "GetRequst")),
        ("ok.yaml", VALID_WITH_WARNING),
    ]);
    let ok = main.with_file_name("ok.yaml");
    let out = stressor()
        .args(["validate", "-q"])
        .arg(&main)
        .arg(&ok)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.yaml:9:17: error: unknown activity `GetRequst`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `GetRequest`?"), "{stderr}");
    assert!(stderr.contains("bad.yaml: 1 error(s), 1 warning(s)"), "{stderr}");
    assert!(
        stderr.contains("ok.yaml:4:3: warning"),
        "the second file is checked too: {stderr}"
    );
}

#[test]
fn validate_reports_unreadable_files_and_usage_errors() {
    let out = stressor()
        .args(["validate", "/nonexistent/scenario.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error: cannot read `/nonexistent/scenario.yaml`: file not found")
    );
    let out = stressor().arg("validate").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "missing FILE is a usage error");
    let out = stressor().output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no command is a usage error");
    let out = stressor().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("stressor "));
}

#[test]
fn validate_accepts_a_directory_and_global_flags_anywhere() {
    let (dir, _) = common::write_files(&[("scenario.yaml", VALID_WITH_WARNING)]);
    for args in [vec!["-q", "validate"], vec!["validate", "--no-color"]] {
        let out = stressor().args(&args).arg(dir.path()).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn validate_applies_overrides() {
    let (_dir, main) = common::write_files(&[("s.yaml", VALID_WITH_WARNING)]);
    let out = stressor()
        .args(["validate", "-o", "sessions.count:0"])
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<-o>:1:16: error: `sessions.count` must be at least 1"));
}

#[test]
fn serve_prints_its_address_and_answers_requests() {
    let mut child = stressor()
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("address line")
        .to_string();
    let body = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::get(format!("{url}/test1.json"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    })
    .join()
    .unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(body.trim(), r#"{"foo": "bar"}"#);
}

#[test]
fn serve_rejects_a_missing_folder() {
    let out = stressor()
        .args(["serve", "/nonexistent/htdocs", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/htdocs"));
}

const RUN_OK: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
sessions:
  count: 2
  users: [{name: ann, password: hunter22}]
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
      assert_json: {foo: bar}
    - activity: $debug()
";

#[test]
fn run_exits_0_on_success_and_debug_redacts_secrets() {
    let (_dir, main) = common::write_files(&[("ok.yaml", RUN_OK)]);
    let out = stressor()
        .args(["run", "--serve", "--single"])
        .arg(&main)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("[t01] $debug() context:"), "{stdout}");
    assert!(stdout.contains("\"password\": \"***\""), "{stdout}");
    assert!(!stdout.contains("hunter22"), "the password never appears: {stdout}");
    assert!(stdout.contains("Result: ok"), "{stdout}");
}

#[test]
fn run_exits_1_on_errors_2_on_invalid_files_and_honours_limits() {
    let failing = RUN_OK.replace("/test1.json", "/status/500");
    let (_dir, main) = common::write_files(&[("bad.yaml", &failing), ("invalid.yaml", "file_version: stressor#0\n")]);
    let out = stressor()
        .args(["run", "--serve", "-q", "--max-errors", "1"])
        .arg(&main)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("status: "), "{stdout}");
    assert!(
        stdout.contains("HTTP status 500 Internal Server Error (expected 2xx)"),
        "{stdout}"
    );
    assert!(stdout.contains("Result: FAILED"), "{stdout}");
    let out = stressor()
        .args(["run"])
        .arg(main.with_file_name("invalid.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was run"));
    let out = stressor()
        .args(["run", "--serve", "--max-time", "soon"])
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad duration is a usage error");
}

#[test]
fn run_dry_run_needs_no_server() {
    let (_dir, main) = common::write_files(&[(
        "ok.yaml",
        &RUN_OK.replace(
            "assert_json: {foo: bar}",
            "mock_result: {foo: bar}\n      assert_json: {foo: bar}",
        ),
    )]);
    let out = stressor().args(["run", "-n"]).arg(&main).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("Dry run"), "{stdout}");
}

/// `stressor run --junit` writes the harness's format for one file: the same trial names, judged the
/// same way, valid for the Jenkins schema; a file that does not load is one failed `::load` case.
#[test]
fn run_junit_writes_the_harness_format_for_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = stressor()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--serve", "-q", "fixtures/failing.yaml", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    common::junit::assert_valid(&junit);
    if let Some(view) = common::junit::junitparser_view(&junit) {
        assert_eq!(
            view,
            ["fixtures/failing tests=4 failures=3 errors=0 passed=1 failed=3 skipped=0"]
        );
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    for name in [
        "fixtures/failing::main",
        "fixtures/failing::checks::main/0:echo",
        "fixtures/failing::thresholds::run::errors",
        "fixtures/failing::run",
    ] {
        assert!(xml.contains(&format!("<testcase name=\"{name}\"")), "{name}: {xml}");
    }
    assert!(xml.contains("-errors <= 0\n+errors = 2\n"), "{xml}");
    assert!(xml.contains("      -2\n      +1"), "{xml}");

    let (files, invalid) = common::write_files(&[("invalid.yaml", "file_version: stressor#0\nnope: 1\n")]);
    let out = stressor()
        .current_dir(files.path())
        .args(["run", "invalid.yaml", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(invalid.exists());
    common::junit::assert_valid(&junit);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"<testcase name="invalid::load""#), "{xml}");
    assert!(xml.contains(r#"<failure type="load" message="#), "{xml}");

    let out = stressor()
        .args([
            "run",
            "--serve",
            "fixtures/failing.yaml",
            "--junit",
            "no/such/dir/j.xml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("error: cannot write `--junit no/such/dir/j.xml`: the folder `no/such/dir` does not exist"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
