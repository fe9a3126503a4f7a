//! `stressor run`, `merge` and `search` (issue 23, points 3, 4 and 7).

use super::PASSING;
use crate::common;

use common::{output_text, stressor};
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
