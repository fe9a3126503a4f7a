//! Checkpointed results files (issue 33): a run killed outright (SIGKILL, which cannot be handled)
//! leaves a results file with what it measured up to its last checkpoint, marked incomplete; `merge`,
//! `compare` and `--baseline` warn about such a file, and nothing judged from one is better than
//! inconclusive. The cargo harness checkpoints its per-scenario results files the same way.

use crate::common;

use common::harness::{fixtures_root, harness};
use common::{cmd, output_text, results_json, write_files};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stressor::target::{TargetConfig, TargetServer};

/// Two sessions that request `/test1.json` every 50 ms for up to a minute: a run that is still going
/// when the test kills it.
fn long_scenario(base: &str) -> String {
    format!(
        "file_version: stressor#0
config:
  base_url: {base}
  max_time: 60s
sessions:
  count: 2
scenario:
  - sequence: main
    duration: 60s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: Sleep
      duration: 50ms
"
    )
}

/// The completed requests of the results file at `path`, once it exists and is a checkpoint whose
/// count is at least `at_least` (waiting up to 30 s).
fn wait_for_checkpoint(path: &Path, at_least: u64) -> serde_json::Value {
    let started = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && v["complete"] == false
            && v["total"]["count"].as_u64().unwrap_or(0) >= at_least
        {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no checkpoint with {at_least}+ requests in `{}` after 30 s",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Kills `child` with SIGKILL (what a CI runner does after its grace period, and the OOM killer does
/// at once) and reaps it.
fn kill_hard(mut child: Child) {
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "killed, not finished: {status}");
}

fn spawn_run(scenario: &Path, out: &Path, extra: &[&str]) -> Child {
    common::stressor()
        .args(["run", "--no-color", "--checkpoint", "1s", "--out"])
        .arg(out)
        .args(extra)
        .arg(scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stressor run")
}

#[test]
fn a_run_killed_outright_leaves_its_last_checkpoint() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, scenario) = write_files(&[("soak.yaml", &long_scenario(&server.url()))]);
    let out = dir.path().join("results.json");
    let child = spawn_run(&scenario, &out, &[]);
    let first = wait_for_checkpoint(&out, 1);
    // The file is rewritten as the run goes, not written once.
    let first_count = first["total"]["count"].as_u64().unwrap_or(0);
    let later = wait_for_checkpoint(&out, first_count + 1);
    kill_hard(child);
    let served = server.requests();

    let read = stressor::report::json::read(&out).expect("a valid results file after SIGKILL");
    assert!(!read.complete);
    assert!(read.checkpoint_at.is_some(), "says when it was taken");
    let counted = read.stats.total.count;
    assert!(counted >= later["total"]["count"].as_u64().unwrap_or(0));
    assert!(
        counted <= served,
        "the checkpoint counts only what the server answered: {counted} > {served}"
    );
    assert_eq!(
        read.verdict,
        stressor::verdict::Verdict::Inconclusive,
        "{:?}",
        read.reasons
    );
    assert!(
        read.reasons.iter().any(|r| r.contains("incomplete checkpoint")),
        "{:?}",
        read.reasons
    );
    // Nothing but the results file is left in the folder (no temporary file of a torn write).
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n == "soak.yaml" || n == "results.json"),
        "{names:?}"
    );
}

#[test]
fn checkpoint_zero_writes_nothing_until_the_end() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, scenario) = write_files(&[("soak.yaml", &long_scenario(&server.url()))]);
    let out = dir.path().join("results.json");
    let child = common::stressor()
        .args(["run", "--checkpoint", "0", "--out"])
        .arg(&out)
        .arg(&scenario)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let started = Instant::now();
    while server.requests() < 60 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    kill_hard(child);
    assert!(server.requests() >= 60, "the run made requests");
    assert!(!out.exists(), "--checkpoint 0 turns checkpoints off");
}

#[test]
fn merge_of_a_complete_and_a_killed_shard_warns_and_is_inconclusive() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, scenario) = write_files(&[("soak.yaml", &long_scenario(&server.url()))]);
    let (a, b, merged) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("m.json"),
    );
    // Shard 1 runs to its end (cut to 2 s); shard 2 is killed mid-run.
    cmd()
        .args(["run", "--shard", "1/2", "--max-time", "2s", "--out"])
        .arg(&a)
        .arg(&scenario)
        .assert()
        .code(0);
    let killed = spawn_run(&scenario, &b, &["--shard", "2/2"]);
    wait_for_checkpoint(&b, 2);
    kill_hard(killed);

    let m = cmd()
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(&merged)
        .assert()
        .code(4);
    let text = output_text(m.get_output());
    assert!(
        text.contains("b.json` is an incomplete checkpoint written at"),
        "a warning names the killed shard's file: {text}"
    );
    assert!(!text.contains("a.json` is an incomplete"), "{text}");
    assert!(text.contains("INCONCLUSIVE"), "{text}");
    let rm = results_json(&merged);
    assert_eq!(rm["complete"], false, "the merge of an incomplete part is incomplete");
    assert_eq!(rm["verdict"], "inconclusive");
    let (ra, rb) = (results_json(&a), results_json(&b));
    assert_eq!(
        rm["total"]["count"].as_u64(),
        Some(ra["total"]["count"].as_u64().unwrap_or(0) + rb["total"]["count"].as_u64().unwrap_or(0)),
        "the killed shard's checkpointed counts are all there"
    );
}

#[test]
fn compare_and_baseline_warn_about_an_incomplete_file() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, scenario) = write_files(&[("soak.yaml", &long_scenario(&server.url()))]);
    let (done, killed) = (dir.path().join("done.json"), dir.path().join("killed.json"));
    cmd()
        .args(["run", "--max-time", "2s", "--out"])
        .arg(&done)
        .arg(&scenario)
        .assert()
        .code(0);
    let child = spawn_run(&scenario, &killed, &[]);
    wait_for_checkpoint(&killed, 2);
    kill_hard(child);

    // Nothing regressed, but one side never finished: inconclusive (4), not pass.
    let c = cmd().arg("compare").arg(&done).arg(&killed).assert().code(4);
    let text = output_text(c.get_output());
    assert!(text.contains("warning: `"), "{text}");
    assert!(text.contains("killed.json` is an incomplete checkpoint"), "{text}");

    // A run judged against an incomplete baseline is at best inconclusive, and says why.
    let r = cmd()
        .args(["run", "--max-time", "2s", "--baseline"])
        .arg(&killed)
        .arg(&scenario)
        .assert()
        .code(4);
    let text = output_text(r.get_output());
    assert!(text.contains("warning: --baseline: `"), "{text}");
    assert!(
        text.contains("the baseline is an incomplete checkpoint taken at"),
        "{text}"
    );
}

/// The harness over one long scenario, killed once its results file holds a checkpoint.
#[test]
fn the_harness_checkpoints_its_results_files() {
    let root = fixtures_root(&[("soak.yaml", &long_scenario("http://127.0.0.1:1"))]);
    let junit = root.path().join("out/junit.xml");
    let results = root.path().join("out/results/fixtures/soak.json");
    let binary = common::harness::scenarios_binary();
    let child = Command::new(binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STRESSOR_FIXTURES_ROOT", root.path())
        .env("STRESSOR_JUNIT", &junit)
        .env("STRESSOR_CHECKPOINT", "1s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the harness");
    let v = wait_for_checkpoint(&results, 1);
    kill_hard(child);
    assert_eq!(v["scenario"], "soak");
    assert!(v["checkpoint_at"].is_string(), "{v}");

    // A value that is not a duration fails the file's trials, naming the variable.
    let (out, text) = harness(
        &["fixtures/soak"],
        &[
            ("STRESSOR_FIXTURES_ROOT", root.path().to_str().expect("utf-8")),
            ("STRESSOR_JUNIT", junit.to_str().expect("utf-8")),
            ("STRESSOR_CHECKPOINT", "soon"),
        ],
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("STRESSOR_CHECKPOINT=`soon` is not a duration"), "{text}");
}
