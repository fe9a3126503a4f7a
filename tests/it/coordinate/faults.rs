//! What goes wrong: a shard killed mid-run, a stale or restarted shard, shards that never come, a
//! coordinator killed mid-run.

use super::support::*;
use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;
use stressor::target::{TargetConfig, TargetServer};

#[test]
fn a_shard_killed_mid_run_is_lost_and_named_and_the_others_data_are_all_there() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "6s"))]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 4, &["--out", "merged.json"]);
    let mut shards: Vec<Proc> = (1..=4).map(|k| shard(dir, "s.yaml", k, 4, &url)).collect();
    // Mid-run: after the start, once the shards have reported a few times.
    wait_for("requests", Duration::from_secs(60), || {
        (target.requests() >= 100).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    shards[2].kill9();
    let killed = shards.remove(2);
    drop(killed);
    for s in shards {
        s.wait(Duration::from_secs(90)).assert_code(0);
    }
    let done = coord.wait(Duration::from_secs(60));
    done.assert_code(4);
    assert!(
        done.stderr
            .contains("warning: shard 3/4 is lost (no report for 3s); the run goes on without it"),
        "{}",
        done.text()
    );
    assert!(
        done.stdout
            .contains("shard 3/4 was lost (no report for 3s, last report at "),
        "{}",
        done.text()
    );
    let merged = results(dir, "merged.json");
    assert_eq!(merged["verdict"], "inconclusive");
    assert_eq!(merged["lost"][0]["shard"], "3/4");
    // The other three shards' data are all there, and what the killed one had sent besides.
    let survivors: Vec<PathBuf> = [1, 2, 4].iter().map(|k| dir.join(format!("shard-{k}.json"))).collect();
    let survivor_refs: Vec<&Path> = survivors.iter().map(PathBuf::as_path).collect();
    // (Its exit code is this partial run's verdict, which does not matter here.)
    common::stressor()
        .arg("merge")
        .args(&survivor_refs)
        .arg("--out")
        .arg(dir.join("survivors.json"))
        .output()
        .expect("merge");
    let survivors = results(dir, "survivors.json");
    let (all, three) = (
        merged["total"]["count"].as_u64().expect("count"),
        survivors["total"]["count"].as_u64().expect("count"),
    );
    assert!(all > three, "the killed shard's reports count too: {all} vs {three}");
    assert!(
        all <= target.requests(),
        "nothing counted twice: {all} vs {}",
        target.requests()
    );
    assert_eq!(
        merged["sessions"].as_u64(),
        Some(8),
        "the lost shard's sessions are kept"
    );
}

#[test]
fn a_stale_scenario_is_refused_at_the_barrier_and_a_restarted_shard_adds_no_load() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let yaml = steady(&target.url(), "4s");
    let stale = yaml.replace("duration: 50ms", "duration: 60ms");
    let (dir, _) = common::write_files(&[("s.yaml", &yaml), ("old/s.yaml", &stale)]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 2, &["--out", "merged.json"]);
    let first = shard(dir, "s.yaml", 1, 2, &url);
    let old = shard(dir, "old/s.yaml", 2, 2, &url).wait(Duration::from_secs(60));
    old.assert_code(2);
    assert!(
        old.stderr.contains(
            "error: the coordinator refused shard 2/2: shard 2/2 loaded another scenario than the coordinator (sha256:"
        ),
        "{}",
        old.text()
    );
    assert!(
        old.stderr
            .contains("the scenario file, the files it loads and the -o options must be the same everywhere"),
        "{}",
        old.text()
    );
    assert_eq!(target.requests(), 0, "nothing started while a shard was missing");

    // The right file for shard 2: the run starts.
    let second = shard(dir, "s.yaml", 2, 2, &url);
    wait_for("requests", Duration::from_secs(60), || {
        (target.requests() > 0).then_some(())
    });
    // Shard 1 again (a replaced pod) after the start: refused, exits 0, sends nothing.
    let again = Proc::spawn(
        dir,
        "shard-1-again",
        &[
            "run",
            "s.yaml",
            "--shard",
            "1/2",
            "--coordinator",
            &url,
            "--out",
            "again.json",
        ],
        Some(TOKEN),
    )
    .wait(Duration::from_secs(60));
    again.assert_code(0);
    assert!(
        again.stderr.contains(
            "registered again after that (a restarted shard) and is refused, so that its load is never added twice"
        ),
        "{}",
        again.text()
    );
    assert!(!dir.join("again.json").exists(), "the refused shard ran nothing");
    first.wait(Duration::from_secs(60)).assert_code(0);
    second.wait(Duration::from_secs(60)).assert_code(0);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_passed();
    assert!(
        done.stderr
            .contains("warning: refused a registration: shard 2/2 loaded another scenario"),
        "{}",
        done.text()
    );
    let merged = results(dir, "merged.json");
    assert_eq!(
        merged["total"]["count"].as_u64(),
        Some(target.requests()),
        "the server saw the two shards' requests and nothing else"
    );
}

#[test]
fn the_barrier_gives_up_after_wait_shards_naming_the_missing_shards() {
    let (dir, _) = common::write_files(&[("s.yaml", &steady("http://127.0.0.1:9", "1s"))]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 3, &["--wait-shards", "2s"]);
    let only = shard(dir, "s.yaml", 2, 3, &url);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_code(5);
    assert!(
        done.stderr
            .contains("error: gave up waiting for the shards after 2s: missing 1/3, 3/3"),
        "{}",
        done.text()
    );
    let shard = only.wait(Duration::from_secs(60));
    shard.assert_code(5);
    assert!(
        shard
            .stderr
            .contains("the coordinator gave up the run: gave up waiting"),
        "{}",
        shard.text()
    );
}

#[test]
fn shards_outlive_a_killed_coordinator_print_their_results_and_merge_from_their_logs() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "5s"))]);
    let dir = dir.path();
    let (mut coord, url) = coordinator(dir, "s.yaml", 2, &[]);
    let shards: Vec<Proc> = (1..=2).map(|k| shard(dir, "s.yaml", k, 2, &url)).collect();
    wait_for("requests", Duration::from_secs(60), || {
        (target.requests() >= 20).then_some(())
    });
    coord.kill9();
    let mut logs = String::new();
    for s in shards {
        let done = s.wait(Duration::from_secs(90));
        done.assert_code(5);
        assert!(
            done.stderr
                .contains("this shard's results follow on stdout as one line"),
            "{}",
            done.text()
        );
        // What `kubectl logs -l job-name=...` gives: both pods' output, one after the other.
        logs.push_str(&done.stdout);
    }
    std::fs::write(dir.join("job.log"), &logs).expect("log");
    let from_logs = common::stressor()
        .args(["merge", "--from-logs", "-", "--out", "from-logs.json"])
        .current_dir(dir)
        .stdin(std::fs::File::open(dir.join("job.log")).expect("log"))
        .output()
        .expect("merge --from-logs");
    assert!(
        from_logs.status.code().is_some_and(|c| c == 0 || c == 4),
        "{}",
        common::output_text(&from_logs)
    );
    let parts = [dir.join("shard-1.json"), dir.join("shard-2.json")];
    let by_files = merge_files(&[&parts[0], &parts[1]], &dir.join("by-files.json"));
    let by_logs = results(dir, "from-logs.json");
    assert_eq!(by_logs["stats"]["total"], by_files["stats"]["total"]);
    assert_eq!(
        by_logs["total"]["count"].as_u64(),
        Some(target.requests()),
        "the whole load, from the logs alone"
    );
}
