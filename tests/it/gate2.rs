//! The CI gate, second pass (issue 23): only exchanges with the service make the run's latency and
//! error rate; a baseline that was asked for is never silently missing; nothing hangs CI; an
//! interrupted run says so; `init`'s scaffold runs under the harness; `compare` says what it found.
//! Harness points go through the harness binary as a child process, CLI points through `stressor`.

use crate::common;

use common::harness::{fixtures_root, harness};
use common::{output_text, stressor};
use std::net::TcpListener;

/// A local port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// The line `test NAME ... RESULT` of the harness's output.
fn trial_line<'t>(text: &'t str, name: &str) -> &'t str {
    text.lines()
        .find(|l| l.starts_with(&format!("test {name} ")))
        .unwrap_or_default()
}

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

/// A file that passes against the built-in target (the harness hook's base URL).
const PASSING: &str = "file_version: stressor#0
scenario:
  - sequence: main
    repeat: 3
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";

#[test]
fn a_baseline_that_cannot_be_read_fails_the_harness_as_it_fails_the_cli() {
    let root = fixtures_root(&[("gated.yaml", PASSING)]);
    let missing = root.path().join("baseline-download-failed");
    let fixtures = ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap());
    let asked = ("STRESSOR_BASELINE", missing.to_str().unwrap());
    let (out, text) = harness(&[], &[fixtures, asked]);
    assert!(!out.status.success(), "{text}");
    assert!(
        trial_line(&text, "fixtures/gated::baseline").ends_with("FAILED"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "no baseline: STRESSOR_BASELINE={0}: failed to read `{0}`: No such file or directory",
            missing.display(),
        )),
        "the path and the reason: {text}"
    );
    assert!(trial_line(&text, "fixtures/gated::main").ends_with("ok"), "{text}");
    assert!(
        text.contains("FAILED (no baseline: STRESSOR_BASELINE="),
        "the one-line summary: {text}"
    );

    // The explicit opt-out: the trial is ignored with the reason, and the gate passes.
    let (out, text) = harness(&[], &[fixtures, asked, ("STRESSOR_BASELINE_REQUIRED", "0")]);
    assert!(out.status.success(), "{text}");
    let line = trial_line(&text, "fixtures/gated::baseline");
    assert!(line.contains("ignored (no baseline: STRESSOR_BASELINE="), "{text}");
    assert!(line.ends_with("not required (STRESSOR_BASELINE_REQUIRED=0))"), "{text}");

    // No baseline asked for (empty): no baseline trial at all.
    let (out, text) = harness(&["--list"], &[fixtures, ("STRESSOR_BASELINE", "")]);
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("::baseline"), "{text}");

    // The CLI: the same variable is an error before the run, and the same opt-out runs without it.
    let (_dir, main) = common::write_files(&[("gated.yaml", PASSING)]);
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .env("STRESSOR_BASELINE", &missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .env("STRESSOR_BASELINE", &missing)
        .env("STRESSOR_BASELINE_REQUIRED", "0")
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("running without a baseline (STRESSOR_BASELINE_REQUIRED=0)"),
        "{text}"
    );
    let out = stressor()
        .args(["run", "--serve", "--no-color"])
        .arg(&main)
        .env("STRESSOR_BASELINE", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "empty asks for none: {}", output_text(&out));
}

#[test]
fn the_readmes_ci_recipe_cannot_lose_its_baseline_unnoticed() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let recipe = readme
        .split("**A CI example**")
        .nth(1)
        .and_then(|rest| rest.split("```yaml").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("the CI example");
    assert!(
        !recipe.contains("continue-on-error"),
        "a failed download must fail the job, not turn the gate off: {recipe}"
    );
    assert!(recipe.contains("STRESSOR_BASELINE"), "{recipe}");
}

/// Runs `stressor` with `args`, stdin closed and stdout piped (no terminal, as in CI); fails the test
/// when it is still running after `limit`.
fn run_without_a_terminal(args: &[&str], env: &[(&str, &str)], limit: std::time::Duration) -> std::process::Output {
    let mut cmd = stressor();
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for var in ["CI", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let mut child = cmd.spawn().expect("spawn stressor");
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("still running after {limit:?}: {}", output_text(&out));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn the_monitor_does_not_keep_a_run_without_a_terminal_alive() {
    let (_dir, main) = common::write_files(&[("one.yaml", PASSING)]);
    let main = main.to_str().unwrap();
    let limit = std::time::Duration::from_secs(60);
    let args = [
        "run",
        main,
        "--serve",
        "--monitor",
        "--monitor-addr",
        "127.0.0.1:0",
        "--open",
    ];
    let out = run_without_a_terminal(&args, &[], limit);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Monitor: closed with the run (no terminal, or CI is set)"),
        "{text}"
    );
    assert!(
        text.contains("warning: --open: no browser to open here (no DISPLAY, WAYLAND_DISPLAY or BROWSER is set); open http://127.0.0.1:"),
        "{text}"
    );
    // CI set is enough, whatever the terminal; --monitor-wait is the opt-in to keep serving.
    let out = run_without_a_terminal(&args[..6], &[("CI", "true")], limit);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let started = std::time::Instant::now();
    let mut waiting = args[..6].to_vec();
    waiting.extend(["--monitor-wait", "1s"]);
    let out = run_without_a_terminal(&waiting, &[("CI", "true")], limit);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("the final state stays at"),
        "{}",
        output_text(&out)
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_says_stopped_in_the_summary_the_json_and_junit() {
    use stressor::target::{TargetConfig, TargetServer};
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let yaml = "file_version: stressor#0
scenario:
  - sequence: main
    duration: 60s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: Sleep
      duration: 50ms
";
    let (dir, main) = common::write_files(&[("long.yaml", yaml)]);
    let (results, junit) = (dir.path().join("results.json"), dir.path().join("junit.xml"));
    let child = stressor()
        .args([
            "run",
            "--no-color",
            "-o",
            &format!("base_url:{}", server.url()),
            "--out",
        ])
        .arg(&results)
        .arg("--junit")
        .arg(&junit)
        .arg(&main)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while server.requests() < 3 && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: signalling a child this test started and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("Result: STOPPED (interrupted by Ctrl-C / SIGTERM)"),
        "the summary agrees with exit 3: {text}"
    );
    assert!(!text.contains("Result: ok"), "{text}");
    let json = common::results_json(&results);
    assert_eq!(json["verdict"], "stopped", "{json}");
    assert_eq!(json["reasons"][0], "interrupted by Ctrl-C / SIGTERM", "{json}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<failure type="run" message="the run was interrupted by Ctrl-C / SIGTERM before its end: its results are partial (exit 3)""#),
        "{xml}"
    );
    common::junit::assert_valid(&junit);
}

#[test]
fn inits_scaffold_runs_under_the_harness_as_generated_and_dry() {
    let root = fixtures_root(&[]);
    let demo = root.path().join("fixtures/demo");
    let out = stressor().arg("init").arg(&demo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // The dry run of the scaffold passes: its login stores from a mock answer.
    let out = stressor()
        .args(["run", "-n", "--no-color"])
        .arg(&demo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    // Under the harness (its hook points base_url at the built-in target): the included parts are
    // skipped with a note each, and the scenario's trials pass. The machine under test is shared, so
    // its own load is not what this test judges.
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_INCONCLUSIVE", "pass"),
    ];
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    for part in ["users.yaml", "main_sequence.yaml"] {
        let note = format!(
            "stressor harness: skipped {}: not a scenario (no top-level `file_version:`)",
            demo.join(part).display()
        );
        assert!(text.contains(&note), "{note}\n{text}");
    }
    for trial in [
        "init",
        "main",
        "end",
        "thresholds::run::p95",
        "thresholds::run::error_rate",
        "run",
    ] {
        let line = trial_line(&text, &format!("fixtures/demo/scenario::{trial}"));
        assert!(line.ends_with("ok"), "{trial}: {text}");
    }
    assert!(!text.contains("fixtures/demo/users::"), "{text}");
}

/// Two sessions fetching a document with a short pause, for 2 s: a run to compare.
const STEADY: &str = "file_version: stressor#0
sessions: {count: 2}
scenario:
  - sequence: main
    duration: 2s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: Sleep
      duration: 10ms
";

/// Runs [`STEADY`] against `base_url`, writing its results to `out`.
fn steady_results(main: &std::path::Path, base_url: &str, out: &std::path::Path) {
    let run = stressor()
        .args(["run", "-q", "-o", &format!("base_url:{base_url}"), "--out"])
        .arg(out)
        .arg(main)
        .output()
        .unwrap();
    assert!(matches!(run.status.code(), Some(0 | 1)), "{}", output_text(&run));
}

/// The call of `metric` (`p50`, `error_rate`, `min_rps`) of the subject labelled `label` in a
/// `compare --out` file.
fn call_of(comparison: &serde_json::Value, label: &str, metric: &str) -> String {
    let subject = comparison
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["label"] == label)
        .unwrap_or_else(|| panic!("{label} in {comparison}"));
    let delta = subject["deltas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| match metric.strip_prefix('p') {
            Some(q) if q.parse::<f64>().is_ok() => d["metric"]["percentile"].as_f64() == q.parse().ok(),
            _ => d["metric"] == metric,
        })
        .unwrap_or_else(|| panic!("{metric} of {label} in {comparison}"));
    delta["call"].as_str().unwrap().to_string()
}

#[test]
fn compare_says_what_it_found_in_one_line_first_and_a_change_within_the_allowance_is_unchanged() {
    let server = stressor::target::TargetServer::start_in_thread(Default::default()).expect("target");
    let (dir, main) = common::write_files(&[("steady.yaml", STEADY)]);
    let (base, same) = (dir.path().join("base.json"), dir.path().join("same.json"));
    steady_results(&main, &server.url(), &base);
    steady_results(&main, &server.url(), &same);
    // Allowances wide enough that two runs of one service on a busy machine stay within them: every
    // metric, error_rate 0% -> 0% included, is then unchanged (before, most read "too noisy to tell").
    let cmp = dir.path().join("cmp.json");
    let out = stressor()
        .args([
            "compare",
            "--no-color",
            "--min-change",
            "1s",
            "--tolerance",
            "50%",
            "--out",
        ])
        .arg(&cmp)
        .arg(&base)
        .arg(&same)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let first = text.lines().next().unwrap_or_default();
    let total = first
        .strip_prefix("unchanged: ")
        .and_then(|rest| rest.split_once(" of "))
        .map(|(n, rest)| (n.to_string(), rest.split(' ').next().unwrap_or_default().to_string()));
    let Some((unchanged, of)) = total else {
        panic!("the first line is the verdict: {text}");
    };
    assert_eq!(unchanged, of, "{text}");
    assert!(
        first.ends_with(" · improved: 0 · too noisy: 0 · regressed: 0"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&cmp).unwrap()).unwrap();
    assert_eq!(call_of(&json, "the run", "error_rate"), "unchanged", "0 -> 0 errors");
}

#[test]
fn compare_calls_a_drop_to_zero_a_regression() {
    let server = stressor::target::TargetServer::start_in_thread(Default::default()).expect("target");
    let (dir, main) = common::write_files(&[("steady.yaml", STEADY)]);
    let (base, dead) = (dir.path().join("base.json"), dir.path().join("dead.json"));
    steady_results(&main, &server.url(), &base);
    steady_results(&main, &format!("http://127.0.0.1:{}", closed_port()), &dead);
    let cmp = dir.path().join("cmp.json");
    let out = stressor()
        .args(["compare", "--no-color", "--out"])
        .arg(&cmp)
        .arg(&base)
        .arg(&dead)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&cmp).unwrap()).unwrap();
    // Throughput of successful exchanges fell to 0/s, and no request succeeded to time.
    for (label, metric) in [
        ("the run", "min_rps"),
        ("main/0 GetRequest(/test1.json)", "min_rps"),
        ("the run", "p50"),
        ("the run", "error_rate"),
    ] {
        assert_eq!(
            call_of(&json, label, metric),
            "regressed",
            "{metric} of {label}: {text}"
        );
    }
    assert!(
        text.lines().next().unwrap_or_default().starts_with("unchanged: "),
        "{text}"
    );
}

/// The `time` attribute of the JUnit case whose name ends with `suffix`.
fn junit_time(xml: &str, suffix: &str) -> f64 {
    let at = xml
        .find(&format!("{suffix}\" time=\""))
        .unwrap_or_else(|| panic!("case {suffix} in {xml}"));
    let rest = &xml[at + suffix.len() + 8..];
    rest[..rest.find('"').expect("closing quote")]
        .parse()
        .expect("a number")
}

#[test]
fn junit_times_a_workloads_sequence_by_its_own_sessions() {
    // Three sessions of `slow` nap 1 s each while one session of `quick` fetches: one `slow` session
    // spent 1 s in `nap`, not 3 s / 4 sessions of the whole file.
    let yaml = "file_version: stressor#0
workloads:
  - name: slow
    sessions: {count: 3}
    scenario: [{sequence: nap}]
  - name: quick
    sessions: {count: 1}
    scenario: [{sequence: fetch}]
sequences:
  nap:
    - activity: Sleep
      duration: 1s
  fetch:
    - activity: GetRequest
      url: /test1.json
";
    let (dir, main) = common::write_files(&[("two.yaml", yaml)]);
    let junit = dir.path().join("junit.xml");
    let out = stressor()
        .args(["run", "--serve", "-q", "--junit"])
        .arg(&junit)
        .arg(&main)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let nap = junit_time(&xml, "::slow/nap");
    assert!((0.95..2.0).contains(&nap), "slow/nap took {nap} s per session: {xml}");
}

#[test]
fn merge_prints_each_shards_generator_figures_and_their_sum() {
    let server = stressor::target::TargetServer::start_in_thread(Default::default()).expect("target");
    let two = PASSING.replace("scenario:", "sessions: {count: 2}\nscenario:");
    let (dir, main) = common::write_files(&[("steady.yaml", &two)]);
    let mut files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let out_path = dir.path().join(format!("shard{}.json", &shard[..1]));
        let out = stressor()
            .args([
                "run",
                "-q",
                "--shard",
                shard,
                "-o",
                &format!("base_url:{}", server.url()),
                "--out",
            ])
            .arg(&out_path)
            .arg(&main)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        files.push(out_path);
    }
    let out = stressor().args(["merge", "--no-color"]).args(&files).output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("of 0 core(s)"), "{text}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(
        text.contains("Generator, 2 parts: CPU ") && text.contains(&format!("s on {} core(s) in all", 2 * cores)),
        "{text}"
    );
    for (i, file) in files.iter().enumerate() {
        let line = format!("  shard {}/2 ({}): CPU ", i + 1, file.display());
        assert!(text.contains(&line), "{line}\n{text}");
    }
}

#[test]
fn searchs_dropped_arrivals_hint_names_its_own_option() {
    // One session for 20 arrivals a second of 200 ms each: most arrivals find it busy.
    let yaml = "file_version: stressor#0\nconfig: {base_url: 'http://127.0.0.1:1'}\nscenario: [{sequence: main}]\nsequences:\n  main:\n    - activity: GetRequest\n      url: /slow?ms=200\n";
    let (_dir, main) = common::write_files(&[("s.yaml", yaml)]);
    let out = stressor()
        .arg("search")
        .arg(&main)
        .args([
            "--serve",
            "--slo",
            "p99<5s",
            "--start",
            "20/s",
            "--step",
            "2s",
            "--max-sessions",
            "1",
        ])
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("arrivals were dropped because every session was busy (raise `--max-sessions`)"),
        "{text}"
    );
    assert!(!text.contains("load.max_sessions"), "{text}");
}

#[test]
fn a_flow_mapping_key_with_brackets_gets_a_hint_to_quote_it() {
    let yaml = "file_version: stressor#0
config: {base_url: 'http://127.0.0.1:9'}
scenario: [{sequence: main}]
sequences:
  main:
    - activity: GetRequest
      url: /x
      assert_json: {parts[0].name: x}
";
    let (dir, main) = common::write_files(&[("flow.yaml", yaml)]);
    let out = stressor().args(["validate", "--no-color"]).arg(&main).output().unwrap();
    let text = common::hide_dir(&output_text(&out), dir.path());
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("flow.yaml:8:26: error: invalid YAML"), "{text}");
    assert!(
        text.contains("= help: in a flow mapping (`{...}`) a key with `[`, `]`, `{`, `}` or `:` in it must be quoted: write `\"parts[0].name\": ...`"),
        "{text}"
    );
}

#[test]
fn each_harness_run_leaves_only_its_own_results_to_upload() {
    let root = fixtures_root(&[("old.yaml", PASSING), ("kept.yaml", PASSING)]);
    let junit = root.path().join("out/junit.xml");
    let env = [
        ("STRESSOR_FIXTURES_ROOT", root.path().to_str().unwrap()),
        ("STRESSOR_JUNIT", junit.to_str().unwrap()),
    ];
    let results = root.path().join("out/results/fixtures");
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(
        results.join("old.json").is_file() && results.join("kept.json").is_file(),
        "{text}"
    );
    // `old` is deleted: the next run's results are `kept`'s alone, not `old`'s from before.
    std::fs::remove_file(root.path().join("fixtures/old.yaml")).unwrap();
    let (out, text) = harness(&[], &env);
    assert!(out.status.success(), "{text}");
    assert!(results.join("kept.json").is_file(), "{text}");
    assert!(
        !results.join("old.json").exists(),
        "a stale result would be uploaded: {text}"
    );
    assert!(
        !root.path().join("out/.results-next").exists(),
        "the staging folder is gone"
    );
}
