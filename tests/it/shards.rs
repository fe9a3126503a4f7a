//! Sharded runs through the CLI (SPEC §8): `--shard K/N` or a Kubernetes Indexed Job's environment
//! picks each process's share of the sessions, and `stressor merge` puts the shards back together
//! with exact totals, warning when a shard is missing or given twice.

use crate::common;

use common::{cmd, merge_cleanly, results_json, session_ids, write_files};
use stressor::run::{RunOptions, Shard};

const CLOSED: &str = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
sessions:
  count: 5
scenario:
  - sequence: main
    repeat: 2
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
      assert_json: {foo: bar}
";

#[test]
fn shards_split_the_sessions_and_merge_back_to_the_whole_run() {
    let (dir, main) = write_files(&[("closed.yaml", CLOSED)]);
    let (a, b, merged) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("m.json"),
    );
    let run = cmd()
        .args(["run", "--serve", "--shard", "1/2", "--out"])
        .arg(&a)
        .arg(&main)
        .assert()
        .code(0);
    let err = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    assert!(err.contains("Running 'closed': 5 session(s), shard 1/2"), "{err}");
    // The second shard from a Kubernetes Indexed Job's environment (index from 0).
    cmd()
        .env("JOB_COMPLETION_INDEX", "1")
        .env("JOB_COMPLETIONS", "2")
        .args(["run", "--serve", "--out"])
        .arg(&b)
        .arg(&main)
        .assert()
        .code(0);
    let (ra, rb) = (results_json(&a), results_json(&b));
    assert_eq!((ra["shard"].as_str(), rb["shard"].as_str()), (Some("1/2"), Some("2/2")));
    assert_eq!(session_ids(&ra), ["t01", "t03", "t05"]);
    assert_eq!(session_ids(&rb), ["t02", "t04"]);
    assert_eq!(
        (ra["total"]["count"].as_u64(), rb["total"]["count"].as_u64()),
        (Some(6), Some(4))
    );

    let (_, rm) = merge_cleanly(&[&a, &b], &merged);
    assert_eq!(
        rm["total"]["count"].as_u64(),
        Some(10),
        "what one process would have run"
    );
    assert_eq!(rm["sessions"].as_u64(), Some(5));

    // A shard missing, or given twice, is merged with a warning.
    let m = cmd().arg("merge").arg(&a).arg(&a).assert().code(0);
    let err = String::from_utf8_lossy(&m.get_output().stderr).into_owned();
    assert!(err.contains("shard 1/2 is given more than once"), "{err}");
    assert!(
        err.contains("shard 2/2 is missing: the merged load is partial"),
        "{err}"
    );
}

#[test]
fn a_bad_shard_is_a_usage_error_that_says_how_to_write_one() {
    let (_dir, main) = write_files(&[("closed.yaml", CLOSED)]);
    let a = cmd().args(["run", "--shard", "3/2"]).arg(&main).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("invalid shard `3/2`: write K/N with 1 ≤ K ≤ N"), "{err}");
    cmd()
        .args(["run", "--shard", "1/2", "--single"])
        .arg(&main)
        .assert()
        .code(2);
    let a = cmd()
        .env("JOB_COMPLETION_INDEX", "2")
        .env("JOB_COMPLETIONS", "2")
        .arg("run")
        .arg(&main)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("JOB_COMPLETION_INDEX=2 and JOB_COMPLETIONS=2 do not name a shard"),
        "{err}"
    );
}

#[tokio::test]
async fn an_arrival_rate_shard_takes_every_nth_arrival_on_its_share_of_the_pool() {
    let srv = common::run::server().await;
    let yaml = "file_version: stressor#0\nconfig:\n  base_url: {BASE}\nload:\n  model: arrival-rate\n  stages:\n    - {rate: 20/s, duration: 1s}\n  max_sessions: 3\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: GetRequest\n      url: /test1.json\n";
    let mut ids = Vec::new();
    for index in 0..2 {
        let options = RunOptions {
            shard: Some(Shard { index, total: 2 }),
            ..RunOptions::default()
        };
        let report = common::run::run_yaml(&srv, yaml, options).await;
        assert_eq!(report.health.arrivals, Some(10), "shard {index}");
        // On a stalled machine two requests may still be in flight when a third arrival is due; that
        // arrival is dropped and counted as such, not lost.
        let (count, errors) = common::run::counts(&report, "main", 0);
        assert_eq!(
            (count + report.health.dropped_arrivals, errors),
            (10, 0),
            "shard {index}"
        );
        assert!(
            report.sessions <= 2,
            "ceil(3 / 2) sessions at most: {}",
            report.sessions
        );
        ids.extend(report.stats.sessions.iter().map(|s| s.id.clone()));
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "session ids differ between shards: {ids:?}");
}

#[tokio::test]
async fn closed_stage_shards_split_the_target_and_merge_to_it() {
    let srv = common::run::server().await;
    // 5 sessions for 1.5 s: shard 1 of 2 runs slots 0, 2, 4 and shard 2 runs 1, 3.
    let yaml = "file_version: stressor#0\nconfig:\n  base_url: {BASE}\nload:\n  stages:\n    - {sessions: 5, duration: 1.5s}\nscenario:\n  - sequence: main\nsequences:\n  main:\n    - activity: GetRequest\n      url: /slow?ms=50\n";
    let mut merged: Option<stressor::stats::Snapshot> = None;
    let mut ids = Vec::new();
    for (index, want) in [(0, 3), (1, 2)] {
        let options = RunOptions {
            shard: Some(Shard { index, total: 2 }),
            ..RunOptions::default()
        };
        let report = common::run::run_yaml(&srv, yaml, options).await;
        assert_eq!(report.sessions, want, "shard {index}");
        // The most alive at once (under a loaded machine the sessions may start after second 0).
        let most = report.stats.series.iter().map(|s| s.sessions).max();
        assert_eq!(most, Some(u64::from(want)), "shard {index}");
        ids.extend(report.stats.sessions.iter().map(|s| s.id.clone()));
        match &mut merged {
            None => merged = Some(report.stats),
            Some(m) => m.merge(&report.stats, 0).expect("same plan"),
        }
    }
    let merged = merged.expect("two shards");
    let most = merged.series.iter().map(|s| s.sessions).max();
    assert_eq!(most, Some(5), "the shards add up to the target");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "session ids differ between shards: {ids:?}");
}
