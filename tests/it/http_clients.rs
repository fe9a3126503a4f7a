//! The two HTTP paths (`config.http_client: lean | reqwest`) against the built-in target server: the
//! same activities must give the same requests on the wire and the same outcomes with either.

use crate::common;

use common::run::{assert_timeout_then_refused, counts, run_yaml, server};
use stressor::run::RunOptions;

fn scenario(client: &str, activities: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {{BASE}}\n  request_timeout: 5\n  http_client: {client}\nsessions:\n  count: 1\n  users: [{{name: ann, password: s3cret}}]\nscenario:\n  - sequence: main\nsequences:\n  main:\n{activities}"
    )
}

/// Request details the server saw, covering every part of a request the lean path builds itself.
const WIRE: &str = r#"    - activity: GetRequest
      url: /echo/a
      params: {q: 1, r: [x, y]}
      assert_json:
        method: GET
        path: /echo/a
        query: {q: "1", r: [x, y]}
        headers.accept: "[*]/[*]"
        headers.user-agent: "stressor/.* [(]session t01[)]"
        headers.host: "127[.]0[.]0[.]1:[0-9]+"
    - activity: GetRequest
      url: /echo
      headers: {User-Agent: custom/1, X-One: "1"}
      assert_json: {headers.user-agent: custom/1, headers.x-one: "1"}
    - activity: PostRequest
      url: /echo
      json: {a: [1, 2]}
      assert_json: {method: POST, json: {a: [1, 2]}, headers.content-type: application/json}
    - activity: PutRequest
      url: /echo
      data: {k: v w}
      auth: [bob, pw]
      assert_json: {form: {k: v w}, headers.authorization: "Basic Ym9iOnB3"}
    - activity: GetRequest
      url: /cookies/set?flavour=oat
    - activity: GetRequest
      url: /cookies
      assert_json: {flavour: oat}
    - activity: GetRequest
      url: /redirect/3
      assert_json: {path: /echo, headers.referer: ".*/redirect/0"}
    - activity: GetRequest
      url: /test1.json
      assert_status: [200]
      assert_match: bar
"#;

async fn wire_checks_pass(client: &str) {
    let srv = server().await;
    let report = run_yaml(&srv, &scenario(client, WIRE), RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{client}: {:?}", report.errors);
    for i in 0..8 {
        assert_eq!(counts(&report, "main", i), (1, 0), "{client}: activity {i}");
    }
}

#[tokio::test]
async fn the_lean_path_sends_what_the_activity_says() {
    wire_checks_pass("lean").await;
}

#[tokio::test]
async fn reqwest_sends_the_same() {
    wire_checks_pass("reqwest").await;
}

/// Failures are classified the same way on both paths, and the session goes on after each.
#[tokio::test]
async fn both_paths_classify_timeouts_refusals_and_statuses_alike() {
    let activities = "    - activity: GetRequest\n      url: /slow?s=3\n      timeout: 200ms\n    - activity: GetRequest\n      url: http://127.0.0.1:1/nothing\n    - activity: GetRequest\n      url: /status/503\n    - activity: GetRequest\n      url: /test1.json\n      assert_json: {foo: bar}\n";
    let srv = server().await;
    let mut seen = Vec::new();
    for client in ["lean", "reqwest"] {
        let report = run_yaml(&srv, &scenario(client, activities), RunOptions::default()).await;
        let classes: Vec<String> = report.errors.iter().map(|e| e.class.to_string()).collect();
        assert_eq!(
            classes,
            ["timeout", "connect", "status"],
            "{client}: {:?}",
            report.errors
        );
        assert_timeout_then_refused(&report, client);
        assert_eq!(counts(&report, "main", 3), (1, 0), "{client}: the run continues");
        seen.push(report.errors[2].message.clone());
    }
    assert_eq!(seen[0], seen[1], "the same status message on both paths");
}

/// A timed-out request on the lean path drops its connection (its state is unknown); the session's
/// next requests still succeed, on a fresh connection.
#[tokio::test]
async fn the_lean_path_recovers_after_a_timeout_and_reuses_its_connection() {
    let srv = server().await;
    let activities = "    - activity: GetRequest\n      url: /slow?s=1\n      timeout: 100ms\n    - activity: GetRequest\n      url: /test1.json\n      assert_json: {foo: bar}\n";
    let yaml = scenario("lean", activities).replace("  - sequence: main\n", "  - sequence: main\n    repeat: 3\n");
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    assert_eq!(counts(&report, "main", 0), (3, 3));
    assert_eq!(counts(&report, "main", 1), (3, 0), "{:?}", report.errors);
}

#[test]
fn an_unknown_http_client_is_a_load_error_with_the_choices() {
    let (_dir, loaded) = common::load_with(
        &[(
            "s.yaml",
            "file_version: stressor#0\nconfig: {http_client: curl}\nscenario: [{sequence: main}]\nsequences:\n  main:\n    - {activity: Sleep, duration: 0}\n",
        )],
        &Default::default(),
    );
    let messages: Vec<String> = loaded.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m == "`http_client` must be `lean` or `reqwest`, found `curl`"),
        "{messages:?}"
    );
}

/// `http_version: 2` over `http://` speaks HTTP/2 with prior knowledge, on both paths, with the same
/// requests on the wire (HTTP/2 names the host in `:authority`, not in a `Host` header).
#[tokio::test]
async fn http2_over_cleartext_sends_the_same_requests() {
    let srv = server().await;
    let wire = WIRE.replace(
        r#"        headers.host: "127[.]0[.]0[.]1:[0-9]+"
"#,
        "",
    );
    let version = "    - activity: GetRequest\n      url: /echo\n      assert_json: {version: HTTP/2.0}\n";
    for client in ["lean", "reqwest"] {
        let text = scenario(client, &format!("{version}{wire}"))
            .replace("  http_client:", "  http_version: 2\n  http_client:");
        let report = run_yaml(&srv, &text, RunOptions::default()).await;
        assert_eq!(report.error_count(), 0, "{client}: {:?}", report.errors);
        for i in 0..9 {
            assert_eq!(counts(&report, "main", i), (1, 0), "{client}: activity {i}");
        }
    }
}
