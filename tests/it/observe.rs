//! Watching a run from outside: the request log against a server that counts and records what it
//! received, the OTLP push decoded with the official protobuf definitions, `/metrics` scraped by a real
//! Prometheus server (Debian's `prometheus`; with `CI` set a missing one fails, elsewhere the test is
//! skipped with a message, as the browser tests treat Chromium).

use crate::common::scripted::head_text;
use crate::common::{self, results_json, write_files};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the recording server saw: per request, its path and the trace id of its `traceparent`.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A keep-alive HTTP/1.1 server that answers `/fail...` with 500 and everything else with 200, and
/// records every request it reads.
async fn recording_server() -> (String, Seen, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                while let Some(head) = head_text(&mut s).await {
                    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                    let trace = header(&head, "traceparent")
                        .and_then(|v| stressor::activity::trace::trace_id_of(&v).map(str::to_string));
                    let fail = path.starts_with("/fail");
                    record.lock().unwrap().push((path, trace));
                    let reply: &[u8] = if fail {
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail"
                    } else {
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                    };
                    if s.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen, task)
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

const TRACED: &str = r#"file_version: stressor#0
config:
  name: traced
  base_url: BASE
  trace_context: {format: w3c, sample: 50%}
sessions:
  count: 3
scenario:
  - sequence: main
    repeat: 20
sequences:
  main:
    - activity: GetRequest
      url: /ok/$(session_id)
      assert_status: [200]
    - activity: GetRequest
      name: failing
      url: /fail/$(session_id)
"#;

/// Runs the `stressor` binary on a blocking thread (the test's servers run on the runtime meanwhile).
async fn stressor(args: Vec<String>, env: Vec<(&'static str, String)>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut cmd = common::stressor();
        cmd.args(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run stressor")
    })
    .await
    .expect("join")
}

fn args(list: &[&str], paths: &[&Path]) -> Vec<String> {
    list.iter()
        .map(|s| s.to_string())
        .chain(paths.iter().map(|p| p.display().to_string()))
        .collect()
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("request log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The path of a logged URL (`http://127.0.0.1:PORT/ok/t01` → `/ok/t01`).
fn path_of(url: &str) -> String {
    url.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_has_a_row_per_request_with_the_trace_id_the_server_saw() {
    let (url, seen, _server) = recording_server().await;
    let (dir, file) = write_files(&[("traced.yaml", &TRACED.replace("BASE", &url))]);
    let (log, junit, out) = (
        dir.path().join("requests.jsonl"),
        dir.path().join("junit.xml"),
        dir.path().join("r.json"),
    );
    let flags = ["run", "-q", "--request-log"];
    let mut argv = args(&flags, &[&log]);
    argv.extend(args(&["--junit"], &[&junit]));
    argv.extend(args(&["--out"], &[&out]));
    argv.push(file.display().to_string());
    let output = stressor(argv, Vec::new()).await;
    assert_eq!(output.status.code(), Some(1), "{}", common::output_text(&output));

    let seen = seen.lock().unwrap().clone();
    let rows = jsonl(&log);
    assert_eq!(seen.len(), 120, "3 sessions × 20 passes × 2 requests");
    assert_eq!(rows.len(), seen.len(), "one row per request the server counted");
    // Every (path, trace id) the server saw is a row's, and the other way round.
    let mut from_server: Vec<(String, String)> = seen
        .iter()
        .map(|(p, t)| (p.clone(), t.clone().expect("a traceparent on every request")))
        .collect();
    let mut from_log: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                path_of(r["url"].as_str().unwrap()),
                r["trace_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    from_server.sort();
    from_log.sort();
    assert_eq!(from_log, from_server);
    // A trace per pass: both requests of a pass share it, and passes differ.
    let mut by_pass: BTreeMap<(String, u64), Vec<&str>> = BTreeMap::new();
    for r in &rows {
        let key = (r["session"].as_str().unwrap().to_string(), r["pass"].as_u64().unwrap());
        by_pass.entry(key).or_default().push(r["trace_id"].as_str().unwrap());
    }
    assert_eq!(by_pass.len(), 60);
    assert!(
        by_pass.values().all(|ids| ids.len() == 2 && ids[0] == ids[1]),
        "{by_pass:?}"
    );
    let failed: Vec<&Value> = rows.iter().filter(|r| r["status"] == 500).collect();
    assert_eq!(failed.len(), 60);
    assert!(
        failed
            .iter()
            .all(|r| r["error_class"] == "status" && r["activity"] == "failing")
    );
    assert!(
        rows.iter()
            .all(|r| r["method"] == "GET" && r["sequence"] == "main" && r["elapsed_ms"].is_f64())
    );

    // The trace id reaches the error records and the JUnit failure, so a failure can be looked up.
    let results = results_json(&out);
    let first = &results["errors"][0];
    let trace = first["trace_id"].as_str().expect("an error record with its trace id");
    assert!(
        from_server.iter().any(|(p, t)| t == trace && p.starts_with("/fail")),
        "{trace}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(&format!("trace {trace}")), "{xml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_request_log_keeps_every_error() {
    let (url, seen, _server) = recording_server().await;
    let text = TRACED.replace("BASE", &url).replace("repeat: 20", "repeat: 100");
    let (dir, file) = write_files(&[("traced.yaml", &text)]);
    let log = dir.path().join("requests.csv");
    let mut argv = args(&["run", "-q", "--request-log-sample", "5%", "--request-log"], &[&log]);
    argv.push(file.display().to_string());
    let output = stressor(argv, Vec::new()).await;
    assert_eq!(output.status.code(), Some(1), "{}", common::output_text(&output));
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines = text.lines();
    let columns: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        columns,
        [
            "timestamp",
            "intended",
            "shard",
            "workload",
            "sequence",
            "activity",
            "session",
            "pass",
            "method",
            "url",
            "status",
            "elapsed_ms",
            "response_time_ms",
            "bytes_sent",
            "bytes_received",
            "error_class",
            "error",
            "trace_id",
            "tags"
        ]
    );
    let col = |name| columns.iter().position(|c| *c == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let seen = seen.lock().unwrap();
    let failed_requests = seen.iter().filter(|(p, _)| p.starts_with("/fail")).count();
    let ok_requests = seen.len() - failed_requests;
    assert_eq!(failed_requests, 300);
    let failed_rows = rows.iter().filter(|r| r[col("error_class")] == "status").count();
    let ok_rows = rows.iter().filter(|r| r[col("status")] == "200").count();
    assert_eq!(failed_rows, failed_requests, "every error is kept");
    // 5 % of 300: 15 expected; 0 or 60+ would mean the sample is not applied.
    assert!(
        (1..60).contains(&ok_rows),
        "{ok_rows} of {ok_requests} successful rows kept at 5%"
    );
    assert_eq!(rows.len(), failed_rows + ok_rows);
}

/// A collector in the test: decodes every push with the official definitions.
async fn otlp_receiver() -> (
    String,
    Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let got: Arc<Mutex<Vec<ExportMetricsServiceRequest>>> = Arc::default();
    let keep = got.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                while let Some(head) = head_text(&mut s).await {
                    assert!(head.starts_with("POST /v1/metrics "), "{head}");
                    assert_eq!(header(&head, "content-type").as_deref(), Some("application/x-protobuf"));
                    assert_eq!(header(&head, "x-tenant").as_deref(), Some("load tests"));
                    let len: usize = header(&head, "content-length").unwrap().parse().unwrap();
                    let mut body = vec![0u8; len];
                    s.read_exact(&mut body).await.unwrap();
                    keep.lock()
                        .unwrap()
                        .push(ExportMetricsServiceRequest::decode(&body[..]).expect("OTLP protobuf"));
                    let reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
                    if s.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, got, task)
}

fn text(kv: &KeyValue) -> String {
    match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn attrs(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    kvs.iter().map(|kv| (kv.key.clone(), text(kv))).collect()
}

const PUSHED: &str = r#"file_version: stressor#0
config:
  name: pushed
sessions:
  count: 4
scenario:
  - sequence: main
    duration: 2.5s
thresholds:
  p99: 5s
sequences:
  main:
    - activity: GetRequest
      url: /echo?who=$(session_id)
      assert_status: [200]
      tags: {api: echo}
    - activity: GetRequest
      name: missing
      url: /status/404
    - activity: Sleep
      duration: 0.01
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_otlp_push_carries_the_final_cumulative_counts_of_the_results() {
    let (url, got, _receiver) = otlp_receiver().await;
    let (dir, file) = write_files(&[("pushed.yaml", PUSHED)]);
    let out = dir.path().join("r.json");
    let mut argv = args(
        &["run", "-q", "--serve", "--shard", "1/2", "--otlp", &url, "--out"],
        &[&out],
    );
    argv.push(file.display().to_string());
    let env = vec![
        ("OTEL_METRIC_EXPORT_INTERVAL", "700".to_string()),
        ("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=load%20tests".to_string()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=ci,stressor.run.id=run-42".to_string(),
        ),
    ];
    let output = stressor(argv, env).await;
    assert_eq!(output.status.code(), Some(1), "{}", common::output_text(&output));
    let results = results_json(&out);
    let pushes = got.lock().unwrap().clone();
    assert!(pushes.len() >= 2, "periodic pushes and the final one: {}", pushes.len());

    let last = &pushes.last().unwrap().resource_metrics[0];
    let resource = attrs(&last.resource.as_ref().unwrap().attributes);
    assert_eq!(resource["stressor.run.id"], "run-42");
    assert_eq!(resource["stressor.shard"], "1/2");
    assert_eq!(resource["deployment.environment"], "ci");
    assert_eq!(resource["service.name"], "stressor");
    let metrics = &last.scope_metrics[0].metrics;
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    for name in [
        "http.client.request.duration",
        "stressor.activity.duration",
        "stressor.executions",
        "stressor.errors",
        "stressor.responses",
        "stressor.bytes.received",
        "stressor.sessions",
        "stressor.generator.cpu.utilization",
        "stressor.generator.scheduler_lag",
        "stressor.threshold.state",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let find = |name: &str| metrics.iter().find(|m| m.name == name).unwrap();

    // The final cumulative counts are the results file's, activity by activity.
    let Some(metric::Data::Sum(executions)) = &find("stressor.executions").data else {
        panic!("executions is a sum");
    };
    assert!(
        executions.is_monotonic && executions.aggregation_temporality == 2,
        "cumulative"
    );
    for (id, activity) in results["activities"].as_array().unwrap().iter().enumerate() {
        let label = activity["label"].as_str().unwrap();
        let count_of = |outcome: &str| -> i64 {
            executions
                .data_points
                .iter()
                .filter(|p| {
                    let a = attrs(&p.attributes);
                    a["stressor.activity"] == label && a["stressor.outcome"] == outcome
                })
                .map(|p| match p.value {
                    Some(number_data_point::Value::AsInt(n)) => n,
                    _ => panic!("an int"),
                })
                .sum()
        };
        let summary = &activity["summary"];
        assert!(summary["count"].as_i64().unwrap() > 0, "activity {id} ran");
        assert_eq!(count_of("error"), summary["errors"].as_i64().unwrap(), "{label}");
        assert_eq!(
            count_of("success") + count_of("error"),
            summary["count"].as_i64().unwrap(),
            "{label}"
        );
    }
    let Some(metric::Data::Histogram(durations)) = &find("http.client.request.duration").data else {
        panic!("duration is a histogram");
    };
    let echo = durations
        .data_points
        .iter()
        .find(|p| attrs(&p.attributes)["stressor.outcome"] == "success")
        .unwrap();
    assert_eq!(
        echo.count,
        results["activities"][0]["summary"]["count"].as_u64().unwrap()
    );
    assert_eq!(echo.bucket_counts.iter().sum::<u64>(), echo.count);
    assert_eq!(echo.explicit_bounds.len() + 1, echo.bucket_counts.len());
    let a = attrs(&echo.attributes);
    assert_eq!(a["stressor.scenario"], "pushed");
    assert_eq!(a["stressor.sequence"], "main");
    assert_eq!(a["http.request.method"], "GET");
    assert_eq!(a["api"], "echo", "the activity's tags are labels");

    // No label anywhere carries a raw URL: only the activity as written.
    for push in &pushes {
        for m in &push.resource_metrics[0].scope_metrics[0].metrics {
            let points: Vec<&[KeyValue]> = match &m.data {
                Some(metric::Data::Sum(s)) => s.data_points.iter().map(|p| p.attributes.as_slice()).collect(),
                Some(metric::Data::Gauge(g)) => g.data_points.iter().map(|p| p.attributes.as_slice()).collect(),
                Some(metric::Data::Histogram(h)) => h.data_points.iter().map(|p| p.attributes.as_slice()).collect(),
                other => panic!("unexpected {other:?}"),
            };
            for kv in points.into_iter().flatten() {
                let v = text(kv);
                assert!(
                    !v.contains("://") && !v.contains("who=t0") && !v.contains("127.0.0.1"),
                    "{}={v}",
                    kv.key
                );
            }
        }
    }
    // The sessions gauge is 0 at the end; the one threshold held.
    let Some(metric::Data::Gauge(thresholds)) = &find("stressor.threshold.state").data else {
        panic!("a gauge");
    };
    assert_eq!(thresholds.data_points.len(), 1);
    assert_eq!(
        thresholds.data_points[0].value,
        Some(number_data_point::Value::AsDouble(1.0))
    );
}

/// The Prometheus server binary, or why the test cannot run.
fn prometheus_binary() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("prometheus"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = "prometheus is not installed (apt-get install prometheus)";
        assert!(std::env::var_os("CI").is_none(), "{why}: .ci/run must install it");
        eprintln!("skipped: {why}");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the Prometheus server when the test ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn prom_query(base: &str, query: &str) -> Value {
    let url = reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), &[("query", query)]).unwrap();
    let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert_eq!(v["status"], "success", "{query}: {v}");
    v["data"]["result"].clone()
}

fn scalar(result: &Value) -> f64 {
    result[0]["value"][1].as_str().expect("one sample").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_run_totals_and_its_p95_bucket() {
    let Some(prometheus) = prometheus_binary() else {
        return;
    };
    let (metrics_port, prom_port) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: stressor\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n"
        ),
    )
    .unwrap();
    let _prom = Child(
        std::process::Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    let base = format!("http://127.0.0.1:{prom_port}");
    let ready = async {
        while !reqwest::get(format!("{base}/-/ready"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), ready)
        .await
        .expect("prometheus ready");

    let scenario = PUSHED
        .replace("duration: 2.5s", "duration: 4s")
        .replace("count: 4", "count: 8");
    let (files, file) = write_files(&[("scraped.yaml", &scenario)]);
    let out = files.path().join("r.json");
    let addr = format!("127.0.0.1:{metrics_port}");
    let mut argv = args(
        &[
            "run",
            "-q",
            "--serve",
            "--metrics",
            &addr,
            "--metrics-wait",
            "30s",
            "--out",
        ],
        &[&out],
    );
    argv.push(file.display().to_string());
    let output = stressor(argv, Vec::new()).await;
    assert_eq!(output.status.code(), Some(1), "{}", common::output_text(&output));
    let text = common::output_text(&output);
    assert!(!text.contains("were not scraped"), "{text}");
    let results = results_json(&out);

    // The target is gone by now; `max_over_time` reads the last values it served (the final ones).
    let total = prom_query(&base, "sum(max_over_time(stressor_executions_total{stressor_outcome!=\"stopped\",stressor_activity!~\"Sleep.*\"}[1h]))").await;
    assert_eq!(scalar(&total), results["total"]["count"].as_f64().unwrap(), "{total}");
    let q = prom_query(
        &base,
        "histogram_quantile(0.95, sum by (le) (max_over_time(http_client_request_duration_seconds_bucket{stressor_outcome=\"success\"}[1h])))",
    )
    .await;
    let quantile = scalar(&q);
    // stressor's own p95 of the same executions (the one timed request activity that succeeds).
    let own = results["activities"][0]["summary"]["p95_ms"].as_f64().unwrap() / 1000.0;
    let bounds = stressor::observe::metrics::BOUNDS;
    let upper = bounds.iter().position(|b| own <= *b).expect("within the buckets");
    let lower = if upper == 0 { 0.0 } else { bounds[upper - 1] };
    assert!(
        lower <= quantile && quantile <= bounds[upper],
        "Prometheus' p95 {quantile}s is outside stressor's p95 bucket ({lower}, {}] of {own}s",
        bounds[upper]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_monitor_serves_metrics_too() {
    let (_dir, file) = write_files(&[("m.yaml", &PUSHED.replace("duration: 2.5s", "duration: 1s"))]);
    let mut child = common::stressor()
        .args([
            "run",
            "-q",
            "--serve",
            "--monitor",
            "--monitor-addr",
            "127.0.0.1:0",
            "--monitor-wait",
            "20s",
        ])
        .arg(&file)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // The address, once the run is over and the monitor shows its final state.
    let addr = tokio::task::spawn_blocking(move || {
        let mut monitor = None;
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)) {
            let line = line.unwrap();
            if let Some(url) = line.strip_prefix("Monitor: http://") {
                monitor = Some(url.trim_end_matches('/').to_string());
            }
            if line.contains("final state stays") {
                break;
            }
        }
        monitor
    })
    .await
    .unwrap()
    .expect("the monitor's address");
    let body = reqwest::get(format!("http://{addr}/metrics")).await.map(|r| r.text());
    let _ = child.kill();
    let _ = child.wait();
    let body = body.unwrap().await.unwrap();
    assert!(body.contains("# TYPE stressor_executions_total counter"), "{body}");
    assert!(body.contains("target_info{"), "{body}");
    assert!(
        body.contains("stressor_sessions{stressor_scenario=\"pushed\"} 0"),
        "final values: {body}"
    );
}
