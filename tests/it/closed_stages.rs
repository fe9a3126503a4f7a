//! The closed model with stages (`load: {model: closed, stages: [{sessions, duration}...]}`) against the
//! built-in target server: the number of sessions alive follows the target at each stage boundary (read
//! from the per-second series), retired sessions finish their pass and run `end`, and the plain closed
//! model records its sessions in the series too.

use crate::common;

use common::run::{counts, run_yaml, server};
use common::{cmd, write_files};
use stressor::run::RunOptions;

fn scenario(load: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {{BASE}}\n{load}scenario:\n  - sequence: init\n  - sequence: main\n  - sequence: end\nsequences:\n  init:\n    - activity: GetRequest\n      url: /test1.json\n  main:\n    - activity: GetRequest\n      url: /slow?ms=150\n    - activity: GetRequest\n      url: /test1.json\n  end:\n    - activity: GetRequest\n      url: /test1.json\n"
    )
}

#[tokio::test]
async fn the_session_count_follows_the_stages() {
    let srv = server().await;
    // Hold 2 for 2 s; ramp to 6 over 2 s (sessions 3..6 start at 2.25, 2.75, 3.25, 3.75 s); hold 6 for
    // 2 s; ramp to 0 over 2 s (one fewer every 1/3 s from 6.17 s).
    let load = "load:\n  model: closed\n  stages:\n    - {sessions: 2, duration: 2s}\n    - {sessions: 6, duration: 2s}\n    - {sessions: 6, duration: 2s}\n    - {sessions: 0, duration: 2s}\n";
    let report = run_yaml(&srv, &scenario(load), RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    let alive: Vec<u64> = report.stats.series.iter().map(|s| s.sessions).collect();
    eprintln!("sessions alive per second: {alive:?}");
    assert_eq!(report.stats.series_step, 1);
    assert!(alive.len() >= 8, "{alive:?}");
    // Stage boundaries (each entry: the most sessions alive during that second).
    assert_eq!(alive[1], 2, "end of the first stage: {alive:?}");
    assert!((5..=6).contains(&alive[3]), "end of the ramp up: {alive:?}");
    assert_eq!(alive[5], 6, "end of the hold: {alive:?}");
    // 7.0 s: 3 left, plus one retired at 6.83 s that may still finish its pass (and one more if the
    // timer is late on a loaded machine); below the hold's 6 either way.
    assert!((2..=5).contains(&alive[7]), "during the ramp down: {alive:?}");
    assert!(alive.iter().all(|&n| n <= 6), "never above the target: {alive:?}");
    assert!(alive[2] >= 3 && alive[2] <= 4, "the ramp up's first second: {alive:?}");
    // Six sessions in all, each with one `init` and one `end`: retired sessions ran `end`.
    assert_eq!(report.sessions, 6);
    assert_eq!(counts(&report, "init", 0), (6, 0));
    assert_eq!(counts(&report, "end", 0), (6, 0));
    // A retired session finishes the pass it is in: both of main's activities ran equally often.
    let (first, _) = counts(&report, "main", 0);
    let (second, _) = counts(&report, "main", 1);
    assert_eq!(first, second, "a pass was cut short");
    // Roughly 2·2 + 4·2 + 6·2 + 3·2 = 30 session-seconds at ~6.5 passes each.
    assert!((100..=260).contains(&first), "{first} passes");
    // The run ends with the stages, plus a last pass and `end`.
    assert!(
        (7.8..10.0).contains(&report.elapsed.as_secs_f64()),
        "{:?}",
        report.elapsed
    );
}

#[tokio::test]
async fn a_stop_request_sends_staged_sessions_to_end() {
    let srv = server().await;
    let load = "load:\n  model: closed\n  stages:\n    - {sessions: 3, duration: 30s}\n";
    let stop = stressor::run::StopHandle::new();
    let options = RunOptions {
        stop: Some(stop.clone()),
        ..RunOptions::default()
    };
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        stop.stop();
    });
    let report = run_yaml(&srv, &scenario(load), options).await;
    stopper.await.expect("stopper");
    assert!(report.elapsed.as_secs_f64() < 5.0, "{:?}", report.elapsed);
    assert_eq!(report.sessions, 3);
    assert_eq!(counts(&report, "end", 0), (3, 0));
}

#[tokio::test]
async fn the_plain_closed_model_records_its_sessions_in_the_series() {
    let srv = server().await;
    let yaml =
        scenario("sessions:\n  count: 3\n").replace("  - sequence: main\n", "  - sequence: main\n    duration: 1.5s\n");
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    let alive: Vec<u64> = report.stats.series.iter().map(|s| s.sessions).collect();
    assert_eq!(alive[0], 3, "{alive:?}");
    assert_eq!(report.sessions, 3);
}

#[test]
fn the_cli_announces_the_stages_and_the_results_show_the_sessions() {
    let yaml =
        scenario("load:\n  stages:\n    - {sessions: 2, duration: 1s}\n").replace("{BASE}", "http://127.0.0.1:8082");
    let (dir, main) = write_files(&[("staged.yaml", &yaml)]);
    let out = dir.path().join("out.json");
    let html = dir.path().join("report.html");
    let a = cmd()
        .args(["run", "--serve", "--out"])
        .arg(&out)
        .arg("--html")
        .arg(&html)
        .arg(&main)
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("Running 'staged': session stages 2 for 1s"), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("results")).expect("JSON");
    let first = &json["stats"]["series"][0];
    assert_eq!(first["sessions"], 2, "{first}");
    let page = std::fs::read_to_string(&html).expect("HTML report");
    assert!(page.contains(r#"<div id="sessions-chart">"#), "no sessions chart");
    assert!(page.contains(r#"data-name="sessions alive""#), "no sessions line");
}
