//! Shards that start together: the skew, the exact merge, the merged monitor, shard 1 coordinating,
//! shards on separate hosts.

use super::support::*;
use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use stressor::target::{TargetConfig, TargetServer};

/// Eight sessions in four shards (session *i* in shard *i* mod 4), each naming itself in a header.
const FOUR_SHARDS: &str = "file_version: stressor#0
config:
  name: together
  base_url: {BASE}
sessions:
  count: 8
scenario:
  - sequence: main
    duration: 8s
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
      headers: {X-Session: $(session_id)}
    - activity: Sleep
      duration: 20ms
";

#[test]
fn four_shards_start_together_merge_exactly_and_show_the_merged_run_live() {
    let target = recording_target(std::net::Ipv4Addr::LOCALHOST.into());
    let (dir, _) = common::write_files(&[("s.yaml", &FOUR_SHARDS.replace("{BASE}", &target.url))]);
    let dir = dir.path();
    let (coord, url) = coordinator(
        dir,
        "s.yaml",
        4,
        &[
            "--out",
            "merged.json",
            "--checkpoint",
            "1s",
            "--monitor",
            "--monitor-addr",
            "127.0.0.1:0",
            "--monitor-wait",
            "60s",
        ],
    );
    let monitor = wait_for("the monitor's address", Duration::from_secs(30), || {
        let err = coord.stderr();
        let at = err.find("Monitor: ")? + "Monitor: ".len();
        Some(err[at..].lines().next()?.trim().to_string())
    });
    let mut shards: Vec<Proc> = (1..=4).map(|k| shard(dir, "s.yaml", k, 4, &url)).collect();

    // While the run goes, the monitor shows the merged run: the eight sessions of the four shards
    // (each shard runs two) and their requests, growing.
    // Sampled while every shard still runs. The coordinator's --out holds the merged run so far
    // meanwhile (`"complete": false`), as `run --out` does.
    let mut counts: Vec<u64> = Vec::new();
    let mut checkpoints: Vec<u64> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline && shards.iter_mut().all(|s| s.child.try_wait().ok().flatten().is_none()) {
        let state = monitor_state(&monitor);
        if state.contains("data-status=\"running\"") && shown(&state, "sessions-total") == "8" {
            counts.push(shown(&state, "total-count").parse().expect("a count"));
        }
        if let Ok(r) = stressor::report::json::read(&dir.join("merged.json"))
            && !r.complete
        {
            checkpoints.push(r.stats.total.count);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        counts.len() >= 2 && counts.last() > counts.first(),
        "the merged count grows while the run goes: {counts:?}"
    );
    assert!(
        checkpoints.last().is_some_and(|n| *n > 0),
        "a checkpoint of the merged run: {checkpoints:?}"
    );
    for s in shards {
        s.wait(Duration::from_secs(90)).assert_code(0);
    }
    // The final state is the merged run; the page's Close button ends the coordinator.
    let last = wait_for("the final state", Duration::from_secs(60), || {
        let state = monitor_state(&monitor);
        state.contains("data-status=\"finished\"").then_some(state)
    });
    close_monitor(&monitor);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_passed();

    // The start: the first request of each shard, as the server saw it.
    let seen = target.seen.lock().expect("lock").clone();
    let skew = start_skew(&seen);
    eprintln!("start skew between 4 shards on loopback (first requests at the server): {skew:?}");
    // The target is 50 ms; a shared, loaded machine gets a generous bound (the measured value is printed).
    assert!(skew < Duration::from_millis(500), "start skew {skew:?}");

    // The coordinator's merge is `stressor merge` of the shards' own files, exactly.
    let parts: Vec<PathBuf> = (1..=4).map(|k| dir.join(format!("shard-{k}.json"))).collect();
    let part_refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let by_merge = merge_files(&part_refs, &dir.join("by-merge.json"));
    let coordinated = results(dir, "merged.json");
    for key in ["total", "activities", "sequences"] {
        assert_eq!(coordinated["stats"][key], by_merge["stats"][key], "stats.{key}");
    }
    for key in ["count", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"] {
        assert_eq!(coordinated["total"][key], by_merge["total"][key], "total.{key}");
    }
    let total = coordinated["total"]["count"].as_u64().expect("count");
    assert_eq!(total as usize, seen.len(), "every request the server saw, once");
    assert_eq!(coordinated["sessions"].as_u64(), Some(8));
    assert_eq!(coordinated["complete"], true);
    assert_eq!(shown(&last, "total-count"), total.to_string(), "{last}");
    let rate = coordinated["total"]["rate"].as_f64().expect("rate");
    assert_eq!(shown(&last, "total-rps"), format!("{rate:.1}"), "the merged rate");
}

#[test]
fn shard_1_coordinates_too_so_an_indexed_job_needs_no_extra_pod() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "2s"))]);
    let dir = dir.path();
    // The same command for every pod of the Job; the index decides who coordinates.
    let pod = |index: &str, url: &str| {
        let (out, err) = (
            dir.join(format!("pod-{index}.out")),
            dir.join(format!("pod-{index}.err")),
        );
        let child = common::stressor()
            .current_dir(dir)
            .args([
                "run",
                "s.yaml",
                "--coordinate",
                "127.0.0.1:0",
                "--out",
                "out.json",
                "--print-results",
            ])
            .env("JOB_COMPLETION_INDEX", index)
            .env("JOB_COMPLETIONS", "2")
            .env(stressor::coordinate::protocol::TOKEN_ENV, TOKEN)
            .env(stressor::coordinate::protocol::URL_ENV, url)
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"))
            .spawn()
            .expect("spawn");
        Proc {
            child,
            name: format!("pod-{index}"),
            out,
            err,
        }
    };
    let zero = pod("0", "http://unused.invalid");
    let url = coordinator_url(&zero);
    let one = pod("1", &url);
    let one = one.wait(Duration::from_secs(60));
    one.assert_code(0);
    let zero = zero.wait(Duration::from_secs(60));
    zero.assert_passed();
    // Pod 0's --out is the merged run; pod 1's is its own part (in the same folder here, so pod 0
    // wrote last); both printed their results for the logs.
    let merged = results(dir, "out.json");
    assert_eq!(merged["total"]["count"].as_u64(), Some(target.requests()));
    assert!(merged["shard"].is_null(), "merged, not a part");
    assert!(
        zero.stdout
            .contains(&format!("{} {{\"kind\":\"merged\"", stressor::report::logs::MARKER)),
        "{}",
        zero.text()
    );
    assert!(
        one.stdout
            .contains(&format!("{} {{\"kind\":\"part\"", stressor::report::logs::MARKER)),
        "{}",
        one.text()
    );
}

#[test]
fn four_shards_on_four_hosts_start_together() {
    let Some(hosts) = Hosts::new(4) else {
        eprintln!("note: network namespaces cannot be made here (needs root and `ip`); the test is skipped");
        return;
    };
    let target = recording_target(hosts.gateway.into());
    let (dir, _) = common::write_files(&[("s.yaml", &FOUR_SHARDS.replace("{BASE}", &target.url))]);
    let dir = dir.path();
    let listen = format!("{}:0", hosts.gateway);
    let (coord, url) = coordinator(dir, "s.yaml", 4, &["--listen", &listen, "--out", "merged.json"]);
    let shards: Vec<Proc> = (1..=4)
        .map(|k| shard_in(Some(&hosts.namespaces[k as usize - 1]), dir, "s.yaml", k, 4, &url))
        .collect();
    for s in shards {
        s.wait(Duration::from_secs(90)).assert_code(0);
    }
    coord.wait(Duration::from_secs(60)).assert_passed();
    let seen = target.seen.lock().expect("lock").clone();
    let hosts_seen: std::collections::BTreeSet<_> = seen.iter().map(|s| s.from).collect();
    assert_eq!(hosts_seen.len(), 4, "requests came from four hosts: {hosts_seen:?}");
    let skew = start_skew(&seen);
    eprintln!("start skew between 4 shards on 4 network namespaces: {skew:?}");
    assert!(skew < Duration::from_millis(500), "start skew {skew:?}");
    let merged = results(dir, "merged.json");
    assert_eq!(merged["total"]["count"].as_u64(), Some(seen.len() as u64));
}
