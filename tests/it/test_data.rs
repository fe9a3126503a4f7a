//! Generating test data (issue 31), against the built-in target: generated feeders (`counter` and
//! `uuid` unique across sessions and `--shard` processes, seeded values that repeat with the seed),
//! `$(pass)`, the `Record` activity (one row per successful execution, complete after a Ctrl-C, a
//! feeder for the clean-up that deletes what was created) and RunScript's generator functions. The
//! server counts what it received: `/_stressor/files` lists what is stored.

use crate::common;

use common::{blocking_get, output_text, results_json, stressor, write_files};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;
use stressor::target::{TargetConfig, TargetServer};

/// The paths the server stores under `prefix`.
fn stored(server: &TargetServer, prefix: &str) -> Vec<String> {
    let url = format!("{}/_stressor/files?prefix={prefix}", server.url());
    let body: Value = serde_json::from_str(&blocking_get(&url)).unwrap();
    let paths: Vec<String> = serde_json::from_value(body["paths"].clone()).unwrap();
    assert_eq!(body["count"].as_u64(), Some(paths.len() as u64));
    paths
}

fn run(main: &Path, server: &TargetServer, args: &[&str]) -> Output {
    common::run_against(&server.url(), main, args)
}

/// The count and error count of the activity labelled `label` in a results file.
fn activity(results: &Value, label: &str) -> (u64, u64) {
    let a = results["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .unwrap_or_else(|| panic!("no activity {label}: {results}"));
    (
        a["summary"]["count"].as_u64().unwrap(),
        a["summary"]["errors"].as_u64().unwrap(),
    )
}

const ORDERS: &str = "file_version: stressor#0
sessions: {count: 8}
feeders:
  order:
    generate: {id: uuid, n: counter, qty: {int: [1, 10]}, price: {float: [0.5, 99.9]}, code: {string: 12}, colour: {pick: [red, green, blue]}, at: now, at_ms: now_ms}
scenario:
  - sequence: main
    repeat: 50
sequences:
  main:
    - activity: Feed
      feeder: order
    - activity: PutRequest
      url: /orders/$(order.n)/$(order.id)
      json: {qty: $(order.qty), price: $(order.price), code: $(order.code), colour: $(order.colour), at: $(order.at), pass: $(pass), session: $(session_id)}
      assert_status: [201]
";

/// 4 sessions × 50 passes in each of 2 shards (run at the same time): 400 distinct UUIDs and the
/// counter values 1..=400 exactly, as the server received them.
#[test]
fn counter_and_uuid_are_unique_across_sessions_and_shards() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let (dir, main) = write_files(&[("orders.yaml", ORDERS)]);
    let shards: Vec<_> = ["1/2", "2/2"]
        .into_iter()
        .map(|shard| {
            let out = dir.path().join(format!("{}.json", shard.replace('/', "-")));
            let (main, url) = (main.clone(), server.url());
            std::thread::spawn(move || {
                let o = stressor()
                    .args(["run", "--no-color", "--shard", shard, "--out"])
                    .arg(&out)
                    .args(["-o", &format!("base_url:{url}")])
                    .arg(&main)
                    .output()
                    .unwrap();
                (o, out)
            })
        })
        .collect();
    for handle in shards {
        let (out, results) = handle.join().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        let r = results_json(&results);
        assert_eq!(activity(&r, "PutRequest(/orders/$(order.n)/$(order.id))"), (200, 0));
        assert!(
            output_text(&out).contains("Feeder `order` (generated): 200 row(s) made"),
            "{}",
            output_text(&out)
        );
    }
    let paths = stored(&server, "/orders/");
    assert_eq!(paths.len(), 400);
    let mut counters = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for p in &paths {
        let mut parts = p.trim_start_matches("/orders/").split('/');
        counters.insert(parts.next().unwrap().parse::<u64>().unwrap());
        let id = parts.next().unwrap();
        assert_eq!((id.len(), &id[14..15]), (36, "4"), "a version 4 UUID: {id}");
        ids.insert(id.to_owned());
    }
    assert_eq!(counters, (1..=400).collect(), "the counter values 1..=400, each once");
    assert_eq!(ids.len(), 400, "400 distinct UUIDs");
}

/// The same seed gives the same `int`, `float`, `string` and `pick` values (and `random_int` in a
/// script); another seed other values; `uuid` is new every time.
#[test]
fn the_same_seed_gives_the_same_values() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let yaml = |seed: u64, file: &str| {
        format!(
            "file_version: stressor#0
load: {{seed: {seed}}}
feeders:
  v:
    generate: {{id: uuid, qty: {{int: [1, 1000000]}}, price: {{float: [0, 1]}}, code: {{string: 16}}, colour: {{pick: [red, green, blue, cyan, magenta]}}}}
scenario:
  - sequence: main
    repeat: 20
sequences:
  main:
    - activity: Feed
      feeder: v
    - activity: RunScript
      script: 'let r = random_int(1, 1000000); let u = uuid();'
      export: [r, u]
    - activity: PostRequest
      url: /echo
      json: {{qty: $(v.qty)}}
    - activity: Record
      file: {file}
      row: {{id: $(v.id), qty: $(v.qty), price: $(v.price), code: $(v.code), colour: $(v.colour), r: $(r), u: $(u), pass: $(pass)}}
"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let rows = |seed: u64, name: &str| -> Vec<Value> {
        let main = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&main, yaml(seed, &format!("{name}.jsonl"))).unwrap();
        let out = run(&main, &server, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        assert!(
            output_text(&out).contains(&format!("Seed: {seed} (set `load.seed`")),
            "{}",
            output_text(&out)
        );
        let text = std::fs::read_to_string(dir.path().join(format!("{name}.jsonl"))).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let (a, b, c) = (rows(42, "a"), rows(42, "b"), rows(43, "c"));
    assert_eq!(a.len(), 20);
    let seeded = |rows: &[Value]| -> Vec<Value> {
        rows.iter()
            .map(|r| serde_json::json!([r["qty"], r["price"], r["code"], r["colour"], r["r"]]))
            .collect()
    };
    assert_eq!(seeded(&a), seeded(&b), "the same seed, the same values");
    assert_ne!(seeded(&a), seeded(&c), "another seed, other values");
    let ids = |rows: &[Value]| {
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert!(ids(&a).is_disjoint(&ids(&b)), "uuids are new on every run");
    let uuids: BTreeSet<&str> = a.iter().map(|r| r["u"].as_str().unwrap()).collect();
    assert_eq!(uuids.len(), 20, "RunScript's uuid() gives a new UUID each call");
    assert!(uuids.iter().all(|u| u.len() == 36 && &u[14..15] == "4"), "{uuids:?}");
    let passes: Vec<u64> = a.iter().map(|r| r["pass"].as_u64().unwrap()).collect();
    assert_eq!(passes, (1..=20).collect::<Vec<_>>(), "$(pass) counts the passes, typed");
    assert!(
        a.iter().all(|r| r["qty"].is_u64() && r["price"].is_f64()),
        "JSON Lines keep the types: {a:?}"
    );
}

const CREATE: &str = "file_version: stressor#0
load: {seed: 7}
sessions: {count: 3}
feeders:
  order:
    # 90 passes over 40 keys: a key seen before answers 204, not 201, so that create fails and is
    # not recorded (it was recorded when it was made).
    generate: {key: {int: [1, 40]}, id: uuid}
scenario:
  - sequence: main
    repeat: 30
sequences:
  main:
    - activity: Feed
      feeder: order
    - activity: PutRequest
      url: /records/$(order.key)
      data: $(order.id)
      assert_status: [201]
    - activity: Record
      file: created.csv
      row: {key: $(order.key), id: $(order.id)}
";

const CLEAN_UP: &str = "file_version: stressor#0
sessions: {count: 3}
feeders:
  created: {file: created.csv, order: unique}
scenario:
  - sequence: main
    repeat: 1000
sequences:
  main:
    - activity: Feed
      feeder: created
    - activity: DeleteRequest
      url: /records/$(created.key)
      assert_status: [204]
";

/// `Record` writes one row per successful execution (a failed create is skipped, not written), and its
/// file feeds a clean-up run that deletes every record the first run created: none is left.
#[test]
fn a_record_feeds_the_clean_up_that_deletes_everything_created() {
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let (dir, main) = write_files(&[("create.yaml", CREATE), ("clean-up.yaml", CLEAN_UP)]);
    let results = dir.path().join("create.json");
    let out = run(&main, &server, &["--out", results.to_str().unwrap()]);
    let r = results_json(&results);
    let (puts, failed) = activity(&r, "PutRequest(/records/$(order.key))");
    let (records, record_errors) = activity(&r, "Record(created.csv)");
    assert_eq!((puts, record_errors), (90, 0));
    assert!(
        failed > 0,
        "some keys repeat, so some creates fail: {}",
        output_text(&out)
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the failed creates fail the run: {}",
        output_text(&out)
    );
    let created = stored(&server, "/records/");
    assert_eq!(
        records,
        puts - failed,
        "one row per successful execution, none after a failure"
    );
    assert_eq!(
        created.len() as u64,
        records,
        "every record created is in the file, once"
    );
    let text = std::fs::read_to_string(dir.path().join("created.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("key,id"));
    let keys: BTreeSet<String> = lines
        .map(|l| format!("/records/{}", l.split(',').next().unwrap()))
        .collect();
    assert_eq!(
        keys,
        created.iter().cloned().collect(),
        "the file names exactly what was created"
    );
    assert_eq!(r["records"][0]["rows"].as_u64(), Some(records), "{}", r["records"]);
    assert_eq!(r["records"][0]["skipped"].as_u64(), Some(failed));
    assert!(output_text(&out).contains(&format!(
        "Record `created.csv`: {records} row(s) written, {failed} skipped"
    )));

    clean_up(&dir.path().join("clean-up.yaml"), &server, records, "/records/");
}

/// Runs a clean-up that feeds on a record of `rows` rows; checks it took them all and left nothing
/// under `prefix`.
fn clean_up(main: &Path, server: &TargetServer, rows: u64, prefix: &str) {
    let out = run(main, server, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let taken = format!("{rows} row(s) taken of {rows}");
    assert!(output_text(&out).contains(&taken), "{}", output_text(&out));
    assert_eq!(
        stored(server, prefix),
        Vec::<String>::new(),
        "the clean-up left nothing"
    );
}

/// A Ctrl-C leaves a file of complete rows only, one per record the server has: the `Record` right
/// after a create still runs after a graceful stop.
#[cfg(unix)]
#[test]
fn a_record_survives_ctrl_c_without_a_torn_line() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let yaml = "file_version: stressor#0
sessions: {count: 6}
feeders:
  order: {generate: {id: uuid, n: counter, note: {string: 200}}}
scenario:
  - sequence: main
    duration: 60s
sequences:
  main:
    - activity: Feed
      feeder: order
    - activity: PutRequest
      url: /kept/$(order.id)
      data: $(order.note)
    - activity: Record
      file: created.jsonl
      row: {id: $(order.id), n: $(order.n), note: $(order.note)}
";
    let (dir, main) = write_files(&[("long.yaml", yaml)]);
    let results = dir.path().join("results.json");
    let child = Command::new(env!("CARGO_BIN_EXE_stressor"))
        .args(["run", "--no-color", "--out"])
        .arg(&results)
        .args(["-o", &format!("base_url:{}", server.url())])
        .arg(&main)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.requests() < 300 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", output_text(&out));
    let text = std::fs::read_to_string(dir.path().join("created.jsonl")).unwrap();
    assert!(text.ends_with('\n'), "the last line is complete");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole JSON row"))
        .collect();
    assert!(rows.iter().all(|r| r["note"].as_str().is_some_and(|n| n.len() == 200)));
    let r = results_json(&results);
    let (records, _) = activity(&r, "Record(created.jsonl)");
    assert_eq!(rows.len() as u64, records, "one row per execution");
    assert!(records >= 50, "{records} records before the stop");
    let kept = stored(&server, "/kept/");
    assert_eq!(
        kept.len(),
        rows.len(),
        "every record created before the stop is in the file"
    );
}

/// The manual's example (docs/src/reference/test-data.md), as written there: the create run, then the
/// clean-up that feeds on its record, against one target; nothing is left.
#[test]
fn the_manuals_test_data_example_creates_and_cleans_up() {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/reference/test-data.md")).unwrap();
    // The fenced block whose info string names the file: its text up to the closing fence.
    let block = |name: &str| -> String {
        let start = page
            .find(&format!("name={name}"))
            .unwrap_or_else(|| panic!("no block {name}"));
        let code = &page[start..][page[start..].find('\n').unwrap() + 1..];
        code[..code.find("```").unwrap()].to_owned()
    };
    let server = TargetServer::start_in_thread(TargetConfig::default()).unwrap();
    let (create, cleaning) = (block("create-orders.yaml"), block("clean-up-orders.yaml"));
    let (dir, main) = write_files(&[("create-orders.yaml", &create), ("clean-up-orders.yaml", &cleaning)]);
    let out = run(&main, &server, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("Record `created.csv`: 100 row(s) written"),
        "{}",
        output_text(&out)
    );
    assert_eq!(stored(&server, "/orders/").len(), 100);
    clean_up(&dir.path().join("clean-up-orders.yaml"), &server, 100, "/orders/");
}
