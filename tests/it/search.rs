//! `stressor search` against the built-in target (`--serve`, so the search process measures its own
//! generator): a service of known capacity (`/slow?ms=20&c=2`: two requests at a time, 20 ms each, so
//! 100 per second) is found within the resolution, and a generator that saturates before the service
//! ends the search inconclusive instead of reporting its own limit as the service's.

use crate::common;

use common::{output_text, stressor, write_files};
use serde_json::Value;

/// The searches measure their generator's CPU: one at a time, so that one's load is not the other's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn search(file: &str, args: &[&str]) -> (Option<i32>, String, Value) {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (dir, path) = write_files(&[("s.yaml", file)]);
    let out_file = dir.path().join("search.json");
    let out = stressor()
        .arg("search")
        .arg(&path)
        .args(["--serve", "--step", "2s", "--out"])
        .arg(&out_file)
        .arg("--html")
        .arg(dir.path().join("search.html"))
        .args(args)
        .output()
        .expect("run stressor");
    let text = output_text(&out);
    let mut json: Value = std::fs::read(&out_file)
        .map(|b| serde_json::from_slice(&b).expect("json"))
        .unwrap_or(Value::Null);
    // The HTML page rides along in the JSON value, for the tests that look at it.
    if let Ok(html) = std::fs::read_to_string(dir.path().join("search.html")) {
        json["html"] = Value::String(html);
    }
    (out.status.code(), text, json)
}

const HEADER: &str = "file_version: stressor#0\nconfig:\n  base_url: http://127.0.0.1:1\nscenario:\n  - sequence: main\nsequences:\n  main:\n";

#[test]
fn the_capacity_of_a_service_that_saturates_at_100_per_second_is_found() {
    let file = format!("{HEADER}    - activity: GetRequest\n      url: /slow?ms=20&c=2\n");
    let (code, text, json) = search(&file, &["--slo", "p95<80ms", "--start", "25/s", "--max", "800/s"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(json["capacity"]["kind"], "found", "{text}");
    let rate = json["capacity"]["rate"].as_f64().expect("rate");
    let broke_at = json["capacity"]["broke_at"].as_f64().expect("broke_at");
    // Within one step of the true capacity: above 100/s the queue grows without bound.
    assert!((60.0..=105.0).contains(&rate), "capacity {rate}/s\n{text}");
    assert!(
        broke_at <= rate * 1.1 + 0.5 && broke_at > rate,
        "broke at {broke_at}/s\n{text}"
    );
    let steps = json["steps"].as_array().expect("steps");
    assert!(steps.iter().any(|s| s["outcome"] == "broke"), "{text}");
    assert!(text.contains("Result: capacity"), "{text}");
    // The page: the answer, a plot of the steps and one table row per step.
    let html = json["html"].as_str().expect("the HTML page");
    assert!(html.contains(r#"<div class="verdict pass">capacity "#), "{html}");
    assert!(html.contains("<svg") && html.contains("passes/s achieved"), "{html}");
    assert_eq!(html.matches("<tr>").count(), steps.len() + 1, "{html}");
}

#[test]
fn a_generator_that_saturates_first_makes_the_search_inconclusive() {
    // Each pass burns CPU in the generator; the target's /test1.json is far faster.
    let file = format!(
        "{HEADER}    - activity: RunScript\n      script: |\n        let x = 0;\n        for i in 0..20000 {{ x += i; }}\n    - activity: GetRequest\n      url: /test1.json\n"
    );
    let (code, text, json) = search(&file, &["--slo", "p99<5s", "--start", "20/s"]);
    assert_eq!(code, Some(4), "{text}");
    assert_eq!(json["capacity"]["kind"], "inconclusive", "{text}");
    let last = json["steps"].as_array().and_then(|s| s.last()).expect("a step");
    assert_eq!(last["outcome"], "inconclusive", "{text}");
    assert!(last["messages"].to_string().contains("load generator"), "{text}");
    assert!(
        text.contains("a lower bound, not its capacity") || text.contains("no rate held"),
        "{text}"
    );
}

#[test]
fn a_bad_slo_is_refused_with_how_to_write_it() {
    let file = format!("{HEADER}    - activity: GetRequest\n      url: /test1.json\n");
    let (code, text, _) = search(&file, &["--slo", "p99 300ms"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("write it like `p99<300ms,error_rate<0.1%`"), "{text}");
    let (code, text, _) = search(&file, &["--slo", "p99<quick"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("<--slo>"), "{text}");
}

#[test]
fn with_workloads_the_searched_rate_is_the_total_shared_out_by_weight() {
    // Half the rate goes to a service of capacity 100/s, half to a fast one: the mix holds up to about
    // 200/s in all.
    let file = "file_version: stressor#0
config: {base_url: 'http://127.0.0.1:1'}
load: {model: arrival-rate, stages: [{rate: 10/s, duration: 1s}]}
workloads:
  - {name: api, weight: 1, scenario: [{sequence: slow}]}
  - {name: web, weight: 1, scenario: [{sequence: fast}]}
sequences:
  slow: [{activity: GetRequest, url: '/slow?ms=20&c=2'}]
  fast: [{activity: GetRequest, url: /}]
";
    let (code, text, json) = search(file, &["--slo", "p95<80ms", "--start", "50/s", "--max", "800/s"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(json["capacity"]["kind"], "found", "{text}");
    let rate = json["capacity"]["rate"].as_f64().expect("rate");
    assert!((120.0..=210.0).contains(&rate), "capacity {rate}/s\n{text}");

    // A file whose workloads all bring their own load has no rate to search.
    let own = file.replace("weight: 1,", "sessions: {count: 1},");
    let (code, text, _) = search(&own, &["--slo", "p95<80ms"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("no workload takes a `weight`"), "{text}");
}
