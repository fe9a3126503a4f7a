//! Ctrl-C on a running `stressor run`: `end` runs, the summary is printed, `--out` and `--html` are
//! written, exit code 3.

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_runs_end_prints_the_summary_and_exits_3() {
    let srv = common::run::server().await;
    let yaml = "file_version: stressor#0
config:
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
      duration: 100ms
  end:
    - activity: PutRequest
      url: /ended/$(session_id)
      data: done
"
    .replace("{BASE}", &srv.url());
    let (dir, path) = common::write_files(&[("long.yaml", &yaml)]);
    let results = dir.path().join("results.json");
    let html = dir.path().join("report.html");
    let child = Command::new(env!("CARGO_BIN_EXE_stressor"))
        .args(["run", "--no-color", "--out"])
        .arg(&results)
        .arg("--html")
        .arg(&html)
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until requests arrive, so the signal lands mid-run.
    let started = Instant::now();
    while srv.requests() < 4 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("Run interrupted"), "{stdout}");
    assert!(stdout.contains("main/0 GetRequest(/test1.json)"), "{stdout}");
    assert!(stderr.contains("interrupted: no new work is started"), "{stderr}");
    let written = stressor::report::json::read(&results).expect("results are written when interrupted");
    assert_eq!(written.stop, Some(stressor::run::StopReason::Interrupted));
    assert!(written.stats.total.count >= 4, "{}", written.stats.total.count);
    let html = std::fs::read_to_string(&html).expect("the HTML report is written when interrupted");
    assert!(html.contains("Run interrupted (Ctrl-C / SIGTERM)"), "{html}");
    assert!(html.contains("main/0 GetRequest(/test1.json)"), "{html}");
    let client = reqwest::Client::new();
    for id in ["t01", "t02"] {
        let r = client.get(format!("{}/ended/{id}", srv.url())).send().await.unwrap();
        assert_eq!(r.status(), 200, "end ran for {id}");
    }
}
