//! The monitor's HTTP side from a library run, and the `run --monitor`/`--html` flags and exit codes of
//! the CLI (the page itself in a browser: `browser.rs`).

use crate::common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stressor::monitor::{Monitor, Status};
use stressor::run::{Plan, RunOptions, StopReason, run};
use stressor::scenario::{LoadOptions, load_str};

const LONG: &str = "file_version: stressor#0
config:
  name: long
  base_url: {BASE}
sessions:
  count: 2
scenario:
  - sequence: main
    duration: 60s
  - sequence: end
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: Sleep
      duration: 50ms
  end:
    - activity: GetRequest
      url: /
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_endpoint_needs_its_header_and_stops_a_library_run() {
    let srv = common::run::server().await;
    let loaded = load_str(
        Path::new("long.yaml"),
        LONG.replace("{BASE}", &srv.url()),
        &LoadOptions::default(),
    );
    let scenario = Arc::new(loaded.scenario.expect("valid scenario"));
    let sources = Arc::new(loaded.sources);
    let plan = Plan::new(scenario.clone(), sources.clone());
    let monitor = Monitor::start("127.0.0.1:0".parse().expect("addr"), &plan)
        .await
        .expect("monitor on a free port");
    let options = RunOptions {
        stop: Some(monitor.stop_handle()),
        events: Some(monitor.sink()),
        ..RunOptions::default()
    };
    let running = tokio::spawn(run(scenario, sources, options));
    let http = reqwest::Client::new();
    let page = http.get(monitor.url()).send().await.expect("GET /");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("stressor monitor: long"));

    // The SSE stream starts with the current state.
    let deadline = Instant::now() + Duration::from_secs(20);
    while monitor.status() != Status::Running || srv.requests() < 4 {
        assert!(Instant::now() < deadline, "the run did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut events = http
        .get(format!("{}events", monitor.url()))
        .send()
        .await
        .expect("GET /events");
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let first = events.chunk().await.expect("read").expect("a first event");
    let first = String::from_utf8_lossy(&first);
    assert!(
        first.starts_with("data: <div id=\"state\" data-status=\"running\""),
        "{first}"
    );

    let stop = format!("{}stop", monitor.url());
    let refused = http.post(&stop).send().await.expect("POST /stop");
    assert_eq!(
        refused.status(),
        403,
        "a POST without the header (e.g. from another site) is refused"
    );
    assert_eq!(monitor.status(), Status::Running);
    let accepted = http
        .post(&stop)
        .header("X-Stressor", "stop")
        .send()
        .await
        .expect("POST /stop");
    assert_eq!(accepted.status(), 202);
    let report = tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .expect("the run stops within 20 s")
        .expect("join")
        .expect("run");
    assert_eq!(report.stop, Some(StopReason::Requested));
    assert_eq!(monitor.status(), Status::Finished);
    let (_, end) = common::run::counts(&report, "end", 0);
    assert_eq!(end, 0, "end ran without errors");
    assert_eq!(
        report.activity("end", 0).map(|(_, m)| m.count),
        Some(2),
        "graceful: end ran"
    );
}

fn stressor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stressor"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run stressor")
}

fn smoke() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/smoke.yaml")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn monitor_flags_without_monitor_busy_ports_and_missing_folders_exit_2() {
    let smoke = smoke();
    let out = stressor(&["run", &smoke, "--serve", "--monitor-addr", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2), "--monitor-addr needs --monitor");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--monitor"));

    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let out = stressor(&["run", &smoke, "--serve", "--monitor", "--monitor-addr", &addr]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("error: failed to listen on {addr} for the monitor"))
            && stderr.contains("--monitor-addr"),
        "{stderr}"
    );
    assert!(!stderr.contains("Running"), "nothing ran: {stderr}");

    let out = stressor(&["run", &smoke, "--serve", "--html", "no/such/folder/report.html"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot write `--html no/such/folder/report.html`: the folder `no/such/folder` does not exist"),
        "{stderr}"
    );
}

#[test]
fn after_the_run_the_monitor_waits_and_an_exposed_address_is_warned_about() {
    let smoke = smoke();
    let started = Instant::now();
    let out = stressor(&[
        "run",
        &smoke,
        "--serve",
        "--single",
        "--monitor",
        "--monitor-addr",
        "0.0.0.0:0",
        "--monitor-wait",
        "1500ms",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "the run's own exit code: {stderr}");
    assert!(stderr.contains("warning: the monitor listens on 0.0.0.0:"), "{stderr}");
    assert!(stderr.contains("Monitor: http://0.0.0.0:"), "{stderr}");
    assert!(stderr.contains("the final state stays at"), "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "it waited: {:?}",
        started.elapsed()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Result: ok"));
}
