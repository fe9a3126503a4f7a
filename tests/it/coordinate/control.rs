//! Who decides and who may talk: `abort_on_fail` on the merged run, and the token.

use super::support::*;
use crate::common;

use std::time::{Duration, Instant};
use stressor::target::{TargetConfig, TargetServer};

/// Four shards whose requests fail half the time, each too slow to gather `min_samples` on its own.
const HALF_FAILING: &str = "file_version: stressor#0
config:
  name: failing
  base_url: {BASE}
sessions:
  count: 4
scenario:
  - sequence: main
    duration: 12s
thresholds:
  min_samples: 40
  error_rate: {max: 10%, abort_on_fail: true}
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
    - activity: GetRequest
      url: /status/500
    - activity: Sleep
      duration: 800ms
";

#[test]
fn abort_on_fail_trips_on_the_merged_error_rate_when_no_shard_would_alone() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &HALF_FAILING.replace("{BASE}", &target.url()))]);
    let dir = dir.path();
    // One shard on its own: 30 executions in 12 s, under min_samples, so its abort never trips.
    let alone = Proc::spawn(
        dir,
        "alone",
        &["run", "s.yaml", "--shard", "1/4", "--out", "alone.json"],
        None,
    );
    let started = Instant::now();
    let (coord, url) = coordinator(dir, "s.yaml", 4, &["--out", "merged.json"]);
    let shards: Vec<Proc> = (1..=4).map(|k| shard(dir, "s.yaml", k, 4, &url)).collect();
    for s in shards {
        let done = s.wait(Duration::from_secs(90));
        done.assert_code(0);
        assert!(
            done.stdout.contains("Run stopped: an abort_on_fail threshold failed"),
            "{}",
            done.text()
        );
    }
    let done = coord.wait(Duration::from_secs(60));
    done.assert_code(1);
    assert!(
        done.stderr.contains("Stopping the run: error_rate of the run: "),
        "{}",
        done.text()
    );
    assert!(done.stdout.contains("aborted at "), "{}", done.text());
    let merged = results(dir, "merged.json");
    let aborted = merged["aborted"]["threshold"].as_str().expect("aborted");
    assert!(
        aborted.starts_with("error_rate of the run: ") && aborted.contains("> 10% ("),
        "{aborted}"
    );
    assert!(
        merged["elapsed"]["secs"].as_u64().expect("elapsed") < 10,
        "stopped well before the 12 s: {:?} after {:?}",
        merged["elapsed"],
        started.elapsed()
    );

    let alone = alone.wait(Duration::from_secs(60));
    let solo = results(dir, "alone.json");
    assert!(solo["aborted"].is_null(), "{}", alone.text());
    assert!(solo["total"]["count"].as_u64().expect("count") < 40, "{}", alone.text());
    assert!(alone.stdout.contains("not enough data"), "{}", alone.text());
}

#[test]
fn a_request_without_the_token_is_refused_with_401_and_changes_nothing() {
    let target = TargetServer::start_in_thread(TargetConfig::default()).expect("target");
    let (dir, _) = common::write_files(&[("s.yaml", &steady(&target.url(), "2s"))]);
    let dir = dir.path();
    let (coord, url) = coordinator(dir, "s.yaml", 1, &["--out", "merged.json"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = reqwest::Client::new();
    let register = serde_json::json!({
        "protocol": 1, "version": env!("CARGO_PKG_VERSION"), "shard": "1/1",
        "scenario": "sha256:0", "clock": {"offset_ns": 0, "uncertainty_ns": 0}
    });
    let attempts = [
        ("POST", "/v1/register", Some(register.to_string()), None),
        ("POST", "/v1/stop", None, Some("Bearer wrong-token")),
        ("GET", "/v1/start", None, None),
        (
            "POST",
            "/v1/results",
            Some(r#"{"shard": "1/1", "results": {}}"#.to_string()),
            Some(TOKEN),
        ),
    ];
    for (method, path, body, auth) in attempts {
        let status = runtime.block_on(async {
            let mut request = match method {
                "GET" => http.get(format!("{url}{path}")),
                _ => http.post(format!("{url}{path}")),
            };
            if let Some(body) = body {
                request = request.header("content-type", "application/json").body(body);
            }
            if let Some(auth) = auth {
                // The token without `Bearer ` is no token either.
                request = request.header(
                    "authorization",
                    auth.strip_prefix("Bearer ")
                        .map_or(auth.to_string(), |t| format!("Token {t}")),
                );
            }
            request.send().await.expect("request").status()
        });
        assert_eq!(status, 401, "{method} {path}");
    }
    // The run happens as if nothing had been sent: not stopped, nothing added.
    let one = shard(dir, "s.yaml", 1, 1, &url).wait(Duration::from_secs(60));
    one.assert_code(0);
    let done = coord.wait(Duration::from_secs(60));
    done.assert_passed();
    assert!(
        done.stderr
            .contains("warning: 4 request(s) without a valid token were refused and changed nothing"),
        "{}",
        done.text()
    );
    assert_eq!(
        done.stderr.matches("no valid token").count(),
        4,
        "each logged: {}",
        done.text()
    );
    let (merged, own) = (results(dir, "merged.json"), results(dir, "shard-1.json"));
    assert_eq!(merged["total"]["count"], own["total"]["count"]);
    assert!(merged["stop"].is_null(), "not stopped");

    // A shard with another token is refused before it runs anything.
    let (coord, url) = coordinator(dir, "s.yaml", 1, &["--wait-shards", "5s"]);
    let wrong = Proc::spawn(
        dir,
        "wrong-token",
        &["run", "s.yaml", "--shard", "1/1", "--coordinator", &url],
        Some("another-token"),
    )
    .wait(Duration::from_secs(60));
    wrong.assert_code(2);
    assert!(wrong.stderr.contains("missing or wrong token"), "{}", wrong.text());
    coord.wait(Duration::from_secs(60)).assert_code(5);
}
