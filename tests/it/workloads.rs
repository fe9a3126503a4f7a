//! Several workloads in one file (`workloads:`), against the built-in target server: weights share the
//! file's load out, each workload is measured, tabled, judged and merged apart, `start_after` delays
//! one, and mistakes in the section are load errors that say where and how to fix them.

use crate::common;

use common::run::{run_yaml, server};
use common::{cmd, merge_cleanly, results_json, session_ids, write_files};
use std::path::Path;
use std::time::{Duration, Instant};
use stressor::run::{RunEvent, RunOptions};
use stressor::scenario::{LoadOptions, load_str};

const ARRIVALS: &str = "file_version: stressor#0
config:
  name: shop
  base_url: http://127.0.0.1:8082
load:
  model: arrival-rate
  stages: [{rate: 80/s, duration: 3s}]
  max_sessions: 40
workloads:
  - name: browse
    weight: 3
    scenario: [{sequence: main}]
    thresholds: {p95: 2s}
  - name: buy
    weight: 1
    scenario: [{sequence: main}, {sequence: checkout}]
    thresholds: {errors: 0}
sequences:
  main:
    - activity: GetRequest
      url: /
      assert_status: [200]
  checkout:
    - activity: PostRequest
      url: /status/500
";

/// `(name, count)` of each entry of the results' `workloads`.
fn workload_counts(results: &serde_json::Value) -> Vec<(String, u64)> {
    results["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .map(|w| {
            (
                w["name"].as_str().expect("name").to_string(),
                w["summary"]["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

#[test]
fn weights_split_an_arrival_rate_three_to_one_with_tables_and_thresholds_apart() {
    let (dir, main) = write_files(&[("shop.yaml", ARRIVALS)]);
    let out = dir.path().join("out.json");
    let junit = dir.path().join("junit.xml");
    let html = dir.path().join("report.html");
    let run = cmd()
        .args(["run", "--serve", "--no-color", "--out"])
        .arg(&out)
        .arg("--html")
        .arg(&html)
        .arg("--junit")
        .arg(&junit)
        .arg(&main)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(
        stderr.contains(
            "browse: arrival rate 60/s for 3s, up to 30 session(s); buy: arrival rate 20/s for 3s, up to 10 session(s)"
        ),
        "{stderr}"
    );

    // Passes of main per workload: 60/s and 20/s for 3 s. Constant arrivals make it near exact;
    // the bound is ±10 % of 3:1.
    let results = results_json(&out);
    let counts = workload_counts(&results);
    assert_eq!(counts.len(), 2, "{counts:?}");
    let (browse, buy) = (counts[0].1 as f64, counts[1].1 as f64 / 2.0);
    assert_eq!((counts[0].0.as_str(), counts[1].0.as_str()), ("browse", "buy"));
    let ratio = browse / buy;
    assert!(
        (2.7..=3.3).contains(&ratio),
        "browse {browse} vs buy {buy} passes: {ratio}"
    );
    assert!(browse >= 150.0, "{counts:?}");

    // Each activity knows its workload; sequences are the workloads' copies.
    let sequences: Vec<&str> = results["sequences"]
        .as_array()
        .expect("sequences")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(sequences, ["browse/main", "buy/main", "buy/checkout"]);
    let workloads: Vec<&str> = results["activities"]
        .as_array()
        .expect("activities")
        .iter()
        .map(|a| a["workload"].as_str().expect("workload"))
        .collect();
    assert_eq!(workloads, ["browse", "buy", "buy"]);

    // A table per workload, headed by it, holding its activities only.
    let browse_at = stdout.find("Workload browse:").expect(&stdout);
    let buy_at = stdout.find("Workload buy:").expect(&stdout);
    assert!(browse_at < buy_at, "{stdout}");
    let browse_part = &stdout[browse_at..buy_at];
    assert!(browse_part.contains("browse/main/0 GetRequest(/)"), "{stdout}");
    assert!(!browse_part.contains("buy/"), "{stdout}");
    assert!(
        stdout[buy_at..].contains("buy/checkout/0 PostRequest(/status/500)"),
        "{stdout}"
    );

    // Thresholds per workload: buy's errors (every checkout is a 500) fail it, browse's p95 holds.
    let outcomes = results["outcomes"].as_array().expect("outcomes");
    let by_subject = |name: &str| {
        outcomes
            .iter()
            .find(|o| o["subject"]["workload"]["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no outcome for workload {name}: {outcomes:?}"))
    };
    assert_eq!(by_subject("browse")["passed"], true);
    assert_eq!(by_subject("buy")["passed"], false);
    assert!(
        by_subject("buy")["message"]
            .as_str()
            .expect("message")
            .contains("workload buy"),
        "{}",
        by_subject("buy")
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    for trial in [
        "browse/main",
        "buy/checkout",
        "checks::browse/main/0",
        "thresholds::workload::browse::p95",
        "thresholds::workload::buy::errors",
    ] {
        assert!(xml.contains(&format!("shop::{trial}\"")), "no trial {trial} in\n{xml}");
    }
}

const CLOSED: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
sessions:
  count: 8
workloads:
  - name: browse
    weight: 3
    scenario: [{sequence: main, repeat: 5}]
  - name: buy
    scenario: [{sequence: main, repeat: 5}]
sequences:
  main:
    - activity: GetRequest
      url: /
";

#[test]
fn weights_split_closed_sessions_and_merged_shards_keep_workloads_apart() {
    let (dir, main) = write_files(&[("closed.yaml", CLOSED)]);
    // `validate` says what the weights resolved to.
    let v = cmd().arg("validate").arg(&main).assert().code(0);
    let said = String::from_utf8_lossy(&v.get_output().stderr).into_owned();
    assert!(
        said.contains("workloads: browse: 6 session(s); buy: 2 session(s)"),
        "{said}"
    );
    let parts: Vec<_> = ["1/2", "2/2"]
        .iter()
        .map(|shard| {
            let out = dir.path().join(format!("{}.json", shard.replace('/', "of")));
            cmd()
                .args(["run", "--serve", "--shard", shard, "--out"])
                .arg(&out)
                .arg(&main)
                .assert()
                .code(0);
            out
        })
        .collect();
    // 8 sessions at 3:1 (a missing weight is 1): 6 browse, 2 buy, numbered within their workload and
    // dealt to the shards alternately.
    let (a, b) = (results_json(&parts[0]), results_json(&parts[1]));
    assert_eq!(session_ids(&a), ["browse-t01", "browse-t03", "browse-t05", "buy-t01"]);
    assert_eq!(session_ids(&b), ["browse-t02", "browse-t04", "browse-t06", "buy-t02"]);

    let merged = dir.path().join("merged.json");
    let (stdout, rm) = merge_cleanly(&[&parts[0], &parts[1]], &merged);
    assert!(
        stdout.contains("Workload browse:") && stdout.contains("Workload buy:"),
        "{stdout}"
    );
    // Exact: every session runs main five times.
    assert_eq!(
        workload_counts(&rm),
        [("browse".to_string(), 30), ("buy".to_string(), 10)]
    );
    assert_eq!(rm["sessions"].as_u64(), Some(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_after_holds_a_workload_back_and_each_keeps_its_own_load_model() {
    let server = server().await;
    let yaml = "file_version: stressor#0
config: {base_url: '{BASE}'}
workloads:
  - name: early
    sessions: {count: 2}
    scenario: [{sequence: main, repeat: 3}]
  - name: late
    start_after: 1s
    load:
      model: arrival-rate
      stages: [{rate: 10/s, duration: 1s}]
      max_sessions: 5
    scenario: [{sequence: main}]
sequences:
  main:
    - activity: GetRequest
      url: /
";
    let mut options = RunOptions::default();
    let mut events = options.subscribe();
    let started = Instant::now();
    let report = run_yaml(&server, yaml, options).await;
    let mut starts: Vec<(String, Duration)> = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let RunEvent::SessionStarted { session_id, .. } = event {
            starts.push((session_id, started.elapsed()));
        }
    }
    // Events are read after the run: their order, not their time, is what the channel keeps. So the
    // check is on what each workload did and on the run's length.
    let early: Vec<_> = starts.iter().filter(|(id, _)| id.starts_with("early-")).collect();
    let late: Vec<_> = starts.iter().filter(|(id, _)| id.starts_with("late-")).collect();
    assert_eq!(early.len(), 2, "{starts:?}");
    assert!(!late.is_empty(), "{starts:?}");
    let count = |seq: &str| common::run::counts(&report, seq, 0).0;
    assert_eq!(count("early/main"), 6);
    assert!((9..=11).contains(&count("late/main")), "{}", count("late/main"));
    // The late workload's one-second schedule starts after a second.
    assert!(report.elapsed >= Duration::from_millis(1900), "{:?}", report.elapsed);
    // Its passes were due from 1 s on: their response times from the intended start are short, which
    // they would not be had the schedule started at 0 and waited.
    let rt = report.stats.response_time.as_ref().expect("response times");
    let late_id = report
        .activities
        .iter()
        .position(|a| a.sequence == "late/main")
        .expect("late/main");
    let worst = rt.activities[late_id].latency.max().expect("late passes ran");
    assert!(worst < Duration::from_millis(500), "{worst:?}");
}

/// The rendered diagnostics of a file.
fn diagnostics(yaml: &str) -> String {
    let loaded = load_str(Path::new("w.yaml"), yaml, &LoadOptions::default());
    assert!(loaded.diagnostics.has_errors(), "expected errors for\n{yaml}");
    loaded.render(false)
}

#[test]
fn mistakes_in_workloads_are_load_errors_with_a_place_and_a_fix() {
    let head = "file_version: stressor#0\nconfig: {base_url: 'http://127.0.0.1:1'}\nsequences:\n  main: [{activity: GetRequest, url: /}]\n";
    let cases = [
        (
            "workloads:\n  - {name: a, weight: 2, load: {model: closed}, scenario: [{sequence: main}]}\n",
            "w.yaml:6:23: error: workload `a` has a load of its own and a `weight`",
        ),
        (
            "scenario: [{sequence: main}]\nworkloads:\n  - {name: a, scenario: [{sequence: main}]}\n",
            "w.yaml:5:11: error: a file with `workloads` has no top-level `scenario`",
        ),
        (
            "workloads:\n  - {name: a, scenario: [{sequence: main}]}\n  - {name: a, scenario: [{sequence: main}]}\n",
            "w.yaml:7:12: error: a second workload named `a`",
        ),
        (
            "workloads:\n  - {name: 'a b', scenario: [{sequence: main}]}\n",
            "w.yaml:6:12: error: workload name `a b` is not a plain name",
        ),
        (
            "workloads:\n  - {name: a, scenario: [{sequence: mian}]}\n",
            "w.yaml:6:37: error: sequence `mian` is not defined in `sequences`",
        ),
        (
            "workloads:\n  - {name: a, weight: -1, scenario: [{sequence: main}]}\n",
            "w.yaml:6:23: error: `weight` must be a positive number, found `-1`",
        ),
        (
            "sessions: {count: 2}\nworkloads:\n  - {name: a, weight: 9, scenario: [{sequence: main}]}\n  - {name: b, scenario: [{sequence: main}]}\n",
            "error: workload `b` gets no session: its weight's share of `sessions.count: 2` rounds to 0",
        ),
    ];
    let mut wrong = Vec::new();
    for (section, want) in cases {
        let text = diagnostics(&format!("{head}{section}"));
        if !text.contains(want) {
            wrong.push(format!("want `{want}` in:\n{text}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_sharing_a_poisson_seed_draw_their_own_arrivals() {
    use stressor::run::arrivals::poisson_offsets;
    use stressor::scenario::Stage;
    let server = server().await;
    let yaml = "file_version: stressor#0
config: {base_url: '{BASE}'}
load: {model: arrival-rate, stages: [{rate: 40/s, duration: 2s}], arrivals: poisson, seed: 5, max_sessions: 20}
workloads:
  - {name: a, scenario: [{sequence: main}]}
  - {name: b, scenario: [{sequence: main}]}
sequences:
  main: [{activity: GetRequest, url: /}]
";
    let report = run_yaml(&server, yaml, RunOptions::default()).await;
    let count = |seq: &str| common::run::counts(&report, seq, 0).0;
    let half = Stage {
        rate: 20.0,
        duration: Duration::from_secs(2),
    };
    // The first workload keeps the seed as written (so a file without workloads does too); the second
    // draws from its own, or the two would arrive in lockstep.
    assert_eq!(
        count("a/main"),
        poisson_offsets(std::slice::from_ref(&half), 5, 1).count() as u64
    );
    assert_ne!(count("a/main"), count("b/main"));
    assert_eq!(report.health.arrival_seeds, [5, 5]);
}
