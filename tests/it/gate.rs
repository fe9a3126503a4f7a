//! The CI gate is never green when it should be red: one test per way it used to be (issue 13), each
//! through what a user runs — the cargo harness binary as a child process, or `stressor run` — against
//! a real server (the built-in target, a port nobody listens on, a server that never answers).

use crate::common;

use common::harness::{fixtures_root, harness, trial_line};
use common::{closed_port, output_text, stressor};
use std::net::TcpListener;
use std::time::Duration;

/// A server that accepts connections and never answers (it keeps them open until the test ends).
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

/// Sessions (two per core, set by the test) that keep every runtime thread busy with a script for
/// 2.5 s: the generator itself is the bottleneck (its CPU and scheduler lag show it), whatever the
/// server does.
const SATURATING: &str = "file_version: stressor#0
config:
  max_time: 2500ms
scenario:
  - sequence: main
    repeat: 1000000
sequences:
  main:
    - activity: RunScript
      script: |
        let x = 0;
        for i in 0..100000 { x += i; }
";

#[test]
fn an_inconclusive_run_fails_cargo_test_unless_the_team_opts_out() {
    let root = fixtures_root(&[("busy.yaml", SATURATING)]);
    let sessions = (2 * std::thread::available_parallelism().map_or(2, |n| n.get())).to_string();
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_OPT_sessions.count", sessions.as_str()),
    ];
    let (out, text) = harness(&[], &env);
    assert!(!out.status.success(), "{text}");
    let line = |name: &str| trial_line(&text, name);
    assert!(line("fixtures/busy::run").ends_with("... FAILED"), "{text}");
    assert!(line("fixtures/busy::main").ends_with("... ok"), "{text}");
    assert!(
        text.contains("---- fixtures/busy::run ----\ninconclusive: the load generator was the bottleneck"),
        "{text}"
    );
    assert!(
        text.contains("  generator: CPU "),
        "the figures are in the message: {text}"
    );

    let env = [env[0], env[1], ("STRESSOR_INCONCLUSIVE", "pass")];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("INCONCLUSIVE (the load generator was the bottleneck)"),
        "the one-line summary still says so: {text}"
    );
}

#[test]
fn a_dead_server_fails_a_latency_budget() {
    let yaml = "file_version: stressor#0
sessions: {count: 2}
scenario:
  - sequence: main
    repeat: 5
thresholds:
  p95: 1s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";
    let root = fixtures_root(&[("latency.yaml", yaml)]);
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_BASE_URL", dead.as_str()),
    ];
    let (out, text) = harness(&["fixtures/latency::thresholds::"], &env);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("threshold failed: p95 of the run: no successful samples (10 failed)"),
        "{text}"
    );
    // The same file under `stressor run`, with only the threshold to judge by.
    let (_dir, main) = common::write_files(&[("latency.yaml", yaml)]);
    let out = stressor()
        .args(["run", "--no-color", "-o", &format!("base_url:{dead}")])
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        output_text(&out)
            .contains("| the run      | p95    |    1s |        - |       0 | FAIL: no successful samples |"),
        "{}",
        output_text(&out)
    );
}

#[test]
fn error_rate_is_over_requests_not_sleeps() {
    // One request in three fails: 33 %, whatever the sleeps between them (which used to count as
    // executions and made it read 25 %).
    let yaml = "file_version: stressor#0
scenario:
  - sequence: main
    repeat: 10
thresholds:
  error_rate: 30%
sequences:
  main:
    - activity: GetRequest
      url: /status/500
    - activity: GetRequest
      url: /test1.json
    - activity: GetRequest
      url: /test1.json
    - activity: $sleep(1ms)
";
    let (_dir, main) = common::write_files(&[("rate.yaml", yaml)]);
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("| the run      | error_rate |   30% |   33.33% |      30 | FAIL   |"),
        "{}",
        output_text(&out)
    );
    let results = stressor()
        .args(["run", "--serve", "-q", "--out"])
        .arg(main.with_extension("json"))
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(results.status.code(), Some(1));
    let json = stressor::report::json::read(&main.with_extension("json")).unwrap();
    assert_eq!(
        json.outcomes[0].message,
        "error_rate of the run: 33.33% > 30% (10 of 30 executions failed)"
    );
}

#[test]
fn a_request_cut_short_is_counted_and_nothing_completed_fails() {
    let yaml = "file_version: stressor#0
config:
  request_timeout: null
  max_time: 1s
sessions: {count: 2}
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /never
";
    let (_dir, main) = common::write_files(&[("hang.yaml", yaml)]);
    let url = silent_server();
    let started = std::time::Instant::now();
    let out = stressor()
        .args([
            "run",
            "--no-color",
            "--grace",
            "500ms",
            "-o",
            &format!("base_url:{url}"),
        ])
        .arg(&main)
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "{}", output_text(&out));
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("| main/0 GetRequest(/never) |     0 |      0 |       2 |"),
        "two requests stopped: {text}"
    );
    assert!(
        text.contains("  stopped: 2 execution(s) cut short by the stop"),
        "{text}"
    );
    assert!(
        text.contains("Result: FAILED (nothing completed (2 stopped))"),
        "{text}"
    );
}

#[test]
fn load_time_warnings_reach_the_harness_user_and_can_be_denied() {
    let yaml = "file_version: stressor#0
config:
  request_timout: 5s
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";
    let root = fixtures_root(&[("typo.yaml", yaml)]);
    let junit = root.path().join("junit.xml");
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_JUNIT", junit.to_str().unwrap()),
    ];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "warnings alone do not fail: {text}");
    let warning = "fixtures/typo.yaml:3:3: warning: `config.request_timout` is not a setting";
    assert!(text.contains(warning), "{text}");
    assert_eq!(text.matches(warning).count(), 1, "once per file: {text}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<system-err><![CDATA["), "{xml}");
    assert!(xml.contains("`config.request_timout` is not a setting"), "{xml}");
    common::junit::assert_valid(&junit);

    let env = [env[0], env[1], ("STRESSOR_DENY_WARNINGS", "1")];
    let (out, text) = harness(&["--list"], &env);
    assert!(text.contains("fixtures/typo::load: test"), "{text}");
    let (out2, text2) = harness(&[], &env);
    assert!(out.status.success() && !out2.status.success(), "{text2}");
    assert!(
        text2.contains("error: warnings are errors here (STRESSOR_DENY_WARNINGS is set)"),
        "{text2}"
    );
}

#[test]
fn a_passing_run_prints_its_numbers() {
    let yaml = "file_version: stressor#0
sessions: {count: 2}
scenario:
  - sequence: main
    repeat: 3
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";
    let root = fixtures_root(&[("quiet.yaml", yaml)]);
    let env = [("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap())];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("stressor: fixtures/quiet: 6 executions, 0 errors, 0 stopped, p95 "),
        "{text}"
    );
    assert!(text.contains("/s, pass; generator: CPU "), "{text}");
}

#[test]
fn a_smoke_run_of_a_load_file_skips_its_thresholds() {
    let yaml = "file_version: stressor#0
sessions: {count: 10}
scenario:
  - sequence: main
    repeat: 20
thresholds:
  p95: 1s
  min_rps: 10
  min_samples: 50
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";
    let root = fixtures_root(&[("load.yaml", yaml)]);
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_PROFILE", "smoke"),
    ];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("fixtures/load::thresholds::run::min_rps ... ignored (not judged under STRESSOR_PROFILE=smoke (one session, one pass))"),
        "{text}"
    );
    assert!(text.contains("2 passed; 0 failed; 2 ignored"), "{text}");
}

#[test]
fn a_bad_base_url_from_the_environment_names_the_variable() {
    let root = fixtures_root(&[(
        "any.yaml",
        "file_version: stressor#0\nscenario: [{sequence: main}]\nsequences:\n  main:\n    - activity: GetRequest\n      url: /x\n",
    )]);
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_BASE_URL", "127.0.0.1:18555"),
    ];
    let (out, text) = harness(&[], &env);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "<env STRESSOR_BASE_URL>:1:19: error: `base_url` must be an absolute http(s) URL, found `127.0.0.1:18555`"
        ),
        "{text}"
    );
    assert!(text.contains("1 | STRESSOR_BASE_URL=127.0.0.1:18555"), "{text}");
    assert!(!text.contains("<-o>"), "{text}");
}

#[test]
fn the_hooks_base_url_serves_a_file_without_one() {
    // The repo's harness hook starts the built-in target and overrides `base_url`; this file has
    // none and a relative URL, exactly what `-o base_url:...` or STRESSOR_BASE_URL would supply.
    let root = fixtures_root(&[(
        "relative.yaml",
        "file_version: stressor#0\nscenario: [{sequence: main}]\nsequences:\n  main:\n    - activity: GetRequest\n      url: /test1.json\n      assert_status: [200]\n",
    )]);
    let env = [("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap())];
    let (out, text) = harness(&["--list"], &env);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("fixtures/relative::main: test"), "{text}");
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 passed; 0 failed"), "{text}");
}

#[cfg(target_os = "linux")]
#[test]
fn peak_rss_is_the_generators_own_not_its_parents() {
    use std::os::unix::process::CommandExt as _;
    // The parent's memory survives exec in getrusage's ru_maxrss: touch 256 MiB in the child before
    // it execs stressor, as cargo does before running a program.
    const SIZE: usize = 256 << 20;
    let mut cmd = stressor();
    cmd.args(["run", "--serve", "--no-color", "-q", "--single"])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/smoke.yaml"));
    // SAFETY: between fork and exec only mmap and plain stores run (no allocation, no locks).
    unsafe {
        cmd.pre_exec(|| {
            let p = libc::mmap(
                std::ptr::null_mut(),
                SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if p != libc::MAP_FAILED {
                let bytes = p.cast::<u8>();
                for i in (0..SIZE).step_by(4096) {
                    bytes.add(i).write_volatile(1);
                }
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let mib: f64 = text
        .split("peak RSS ")
        .nth(1)
        .and_then(|rest| rest.split(" MiB").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {text}"));
    assert!(
        mib < 128.0,
        "peak RSS {mib} MiB is the parent's 256 MiB, not the run's: {text}"
    );
}
