//! Session semantics against the built-in target server: users, passes, init/end rules, limits.

use crate::common;

use common::run::{counts, run_yaml, run_yaml_with, server};
use serde_json::json;
use std::time::{Duration, Instant};
use stressor::run::{RunOptions, StopReason};
use stressor::scenario::LoadOptions;

fn scenario(sessions: &str, items: &str, sequences: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {{BASE}}\n  request_timeout: 5\nsessions:\n{sessions}\nscenario:\n{items}\nsequences:\n{sequences}"
    )
}

#[tokio::test]
async fn users_are_assigned_round_robin_with_session_ids() {
    let srv = server().await;
    let yaml = scenario(
        "  count: 5\n  users:\n    - {name: ann, password: a}\n    - {name: bob, password: b}",
        "  - sequence: main",
        "  main:\n    - activity: PutRequest\n      url: /who/$(session_id)\n      data: $(user.name)",
    );
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    assert_eq!(report.sessions, 5);
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    for id in ["t01", "t02", "t03", "t04", "t05"] {
        seen.push(
            client
                .get(format!("{}/who/{id}", srv.url()))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    assert_eq!(seen, ["ann", "bob", "ann", "bob", "ann"]);
}

#[tokio::test]
async fn repeat_duration_and_both() {
    let srv = server().await;
    let seqs = "  a:\n    - activity: GetRequest\n      url: /test1.json\n  b:\n    - activity: Sleep\n      duration: 50ms\n  c:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: a\n    repeat: 3\n  - sequence: b\n    duration: 0.3\n  - sequence: c\n    repeat: 2\n    duration: 30s";
    let report = run_yaml(&srv, &scenario("  count: 2", items, seqs), RunOptions::default()).await;
    assert_eq!(counts(&report, "a", 0), (6, 0), "repeat: 3 passes per session");
    let (sleeps, _) = counts(&report, "b", 0);
    assert!(
        (2 * 3..=2 * 9).contains(&sleeps),
        "duration 0.3 s of 50 ms passes: {sleeps}"
    );
    assert_eq!(
        counts(&report, "c", 0),
        (4, 0),
        "repeat 2 + duration 30 s: whichever ends first"
    );
    assert!(report.elapsed < Duration::from_secs(10));
}

#[tokio::test]
async fn an_error_in_init_skips_the_rest_including_end() {
    let srv = server().await;
    let seqs = "  init:\n    - activity: GetRequest\n      url: /status/500\n    - activity: GetRequest\n      url: /test1.json\n  main:\n    - activity: GetRequest\n      url: /test1.json\n  end:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: init\n  - sequence: main\n  - sequence: end";
    let report = run_yaml(&srv, &scenario("  count: 2", items, seqs), RunOptions::default()).await;
    assert_eq!(counts(&report, "init", 0), (2, 2));
    assert_eq!(counts(&report, "init", 1), (2, 0), "the rest of init still runs");
    assert_eq!(counts(&report, "main", 0), (0, 0));
    assert_eq!(counts(&report, "end", 0), (0, 0));
}

#[tokio::test]
async fn errors_in_main_do_not_stop_the_loop() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: GetRequest\n      url: /status/404\n    - activity: GetRequest\n      url: /test1.json\n  end:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: main\n    repeat: 3\n  - sequence: end";
    let report = run_yaml(&srv, &scenario("  count: 1", items, seqs), RunOptions::default()).await;
    assert_eq!(counts(&report, "main", 0), (3, 3));
    assert_eq!(counts(&report, "main", 1), (3, 0));
    assert_eq!(counts(&report, "end", 0), (1, 0));
    assert_eq!(report.errors[0].class.to_string(), "status");
    assert_eq!(report.errors[0].message, "HTTP status 404 Not Found (expected 2xx)");
}

#[tokio::test]
async fn max_errors_stops_new_work_and_still_runs_end() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: GetRequest\n      url: /status/500\n    - activity: Sleep\n      duration: 10ms\n  end:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: main\n    repeat: 1000\n  - sequence: end";
    let yaml = scenario("  count: 3", items, seqs)
        .replace("  request_timeout: 5\n", "  request_timeout: 5\n  max_errors: 5\n");
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    let (main, errors) = counts(&report, "main", 0);
    assert!((5..100).contains(&main), "new work stopped soon after 5 errors: {main}");
    assert_eq!(main, errors);
    assert_eq!(report.error_count(), errors, "the limit itself is not an extra error");
    assert_eq!(counts(&report, "end", 0), (3, 0), "end ran for every session");
    assert_eq!(report.stop, Some(StopReason::MaxErrors));
}

#[tokio::test]
async fn max_time_stops_new_work_and_still_runs_end() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: Sleep\n      duration: 50ms\n  end:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: main\n    duration: 30s\n  - sequence: end";
    let started = Instant::now();
    let options = RunOptions {
        max_time: Some(Duration::from_millis(400)),
        ..RunOptions::default()
    };
    let report = run_yaml(&srv, &scenario("  count: 2", items, seqs), options).await;
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert_eq!(report.stop, Some(StopReason::MaxTime));
    assert_eq!(counts(&report, "end", 0), (2, 0));
    assert_eq!(report.error_count(), 0);
}

#[tokio::test]
async fn session_duration_is_not_an_error() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: Sleep\n      duration: 50ms\n  end:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: main\n    duration: 30s\n  - sequence: end";
    let started = Instant::now();
    let report = run_yaml(
        &srv,
        &scenario("  count: 2\n  duration: 0.3", items, seqs),
        RunOptions::default(),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(report.stop, None);
    assert_eq!(report.error_count(), 0);
    assert_eq!(counts(&report, "end", 0), (2, 0));
}

#[tokio::test]
async fn single_runs_one_session_one_pass() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: GetRequest\n      url: /test1.json";
    let items = "  - sequence: main\n    repeat: 5";
    let options = RunOptions {
        single: true,
        ..RunOptions::default()
    };
    let report = run_yaml(&srv, &scenario("  count: 4", items, seqs), options).await;
    assert_eq!(report.sessions, 1);
    assert_eq!(counts(&report, "main", 0), (1, 0));
}

#[tokio::test]
async fn overrides_are_typed() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: PostRequest\n      url: /echo\n      json: {n: $(n), s: \"n=$(n)\"}\n      assert_json: {json.n: 42, json.s: \"n=42\"}";
    let yaml = scenario("  count: 1", "  - sequence: main", seqs);
    let load = LoadOptions {
        overrides: vec!["n:42".into()],
        ..Default::default()
    };
    let report = run_yaml_with(&srv, &yaml, &load, RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
}

#[tokio::test]
async fn dry_run_sends_no_request_and_sleeps_no_sleep() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: GetRequest\n      url: /test1.json\n      mock_result: {foo: bar}\n      assert_json: {foo: bar}\n    - activity: Sleep\n      duration: 30s\n    - activity: StaticRequests\n      url_list: [/a, /b]\n    - activity: RunScript\n      script: \"let ran = dry_run;\"\n      export: [ran]";
    let before = srv.requests();
    let started = Instant::now();
    let options = RunOptions {
        dry_run: true,
        ..RunOptions::default()
    };
    let report = run_yaml(&srv, &scenario("  count: 3", "  - sequence: main", seqs), options).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no sleep: {:?}",
        started.elapsed()
    );
    assert_eq!(srv.requests(), before, "no request reached the server");
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    assert_eq!(counts(&report, "main", 3), (3, 0), "scripts still run");
    assert!(report.dry_run);
}

#[tokio::test]
async fn cookies_are_kept_per_session_and_not_shared() {
    let srv = server().await;
    let seqs = "  main:\n    - activity: GetRequest\n      url: /cookies/set?sid=$(session_id)\n    - activity: GetRequest\n      url: /cookies\n      store_json: {seen: sid}\n    - activity: RunScript\n      script: |\n        if seen != session_id { throw `cookie of ${seen} seen by ${session_id}`; }";
    let report = run_yaml(
        &srv,
        &scenario("  count: 4", "  - sequence: main\n    repeat: 2", seqs),
        RunOptions::default(),
    )
    .await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
    assert_eq!(counts(&report, "main", 2), (8, 0));
    let _ = json!(null);
}
