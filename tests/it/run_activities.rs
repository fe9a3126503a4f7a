//! Activities against the built-in target server: request building, checks, stores, error classes,
//! StaticRequests, PollRequest, RunScript and run-time variables.

use crate::common;

use common::run::{assert_timeout_then_refused, counts, error_messages, run_yaml, server};
use stressor::run::RunOptions;

fn one_sequence(extra_config: &str, sessions: &str, activities: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {{BASE}}\n  request_timeout: 5\n{extra_config}sessions:\n  count: 1\n{sessions}scenario:\n  - sequence: main\nsequences:\n  main:\n{activities}"
    )
}

async fn run_main(activities: &str) -> stressor::run::RunReport {
    let srv = server().await;
    run_yaml(&srv, &one_sequence("", "", activities), RunOptions::default()).await
}

#[tokio::test]
async fn store_json_feeds_a_later_request_header() {
    let report = run_main(
        "    - activity: PostRequest\n      url: /login\n      store_json: {guid: result.user_guid}\n    - activity: GetRequest\n      url: /echo\n      headers: {X-Guid: $(guid)}\n      assert_json: {headers.x-guid: \"[{]BBFC98E6-.*[}]\"}\n",
    )
    .await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
}

#[tokio::test]
async fn whole_value_macros_keep_their_type_in_a_json_body() {
    let srv = server().await;
    let yaml = one_sequence("", "", "    - activity: PostRequest\n      url: /echo\n      json: {n: $(n), f: $(flag), l: $(list), m: $(map), s: \"x$(n)\", e: \"list=$(list)\"}\n      assert_json:\n        json: {n: 5, f: true, l: [1, two], m: {k: v}, s: x5, e: 'list=[1,\"two\"]'}\n")
        .replace("sessions:", "context:\n  n: 5\n  flag: true\n  list: [1, two]\n  map: {k: v}\nsessions:");
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
}

#[tokio::test]
async fn form_data_and_the_basic_auth_header() {
    let srv = server().await;
    let yaml = one_sequence(
        "",
        "  basic_auth: true\n  users: [{name: ann, password: s3cret}]\n",
        "    - activity: PostRequest\n      url: /echo\n      data: {a: 1, b: $(user.name)}\n      assert_json:\n        form: {a: \"1\", b: ann}\n        headers.authorization: \"Basic YW5uOnMzY3JldA==\"\n        headers.content-type: application/x-www-form-urlencoded\n    - activity: PostRequest\n      url: /echo\n      data: raw text\n      auth: [bob, pw]\n      assert_json: {body: raw text, headers.authorization: \"Basic Ym9iOnB3\"}\n",
    );
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
}

#[tokio::test]
async fn urls_join_a_base_url_with_a_path_per_rfc_3986() {
    let srv = server().await;
    let yaml = one_sequence(
        "",
        "",
        "    - activity: GetRequest\n      url: rel/x\n      assert_json: {path: /echo/api/rel/x}\n    - activity: GetRequest\n      url: /echo/abs\n      assert_json: {path: /echo/abs}\n    - activity: GetRequest\n      url: $(base_url)/y\n      params: {q: 1, r: [a, b]}\n      assert_json: {path: /echo/api/v1/y, query.q: \"1\", query.r: [a, b]}\n",
    )
    .replace("base_url: {BASE}", "base_url: {BASE}/echo/api/v1");
    let report = run_yaml(&srv, &yaml, RunOptions::default()).await;
    assert_eq!(report.error_count(), 0, "{:?}", report.errors);
}

#[tokio::test]
async fn status_handling_with_and_without_assert_status() {
    let report = run_main(
        "    - activity: GetRequest\n      url: /status/404\n    - activity: GetRequest\n      url: /status/404\n      assert_status: [404]\n    - activity: GetRequest\n      url: /status/200\n      assert_status: [201]\n    - activity: GetRequest\n      url: /redirect/2\n",
    )
    .await;
    assert_eq!(counts(&report, "main", 0), (1, 1));
    assert_eq!(counts(&report, "main", 1), (1, 0));
    assert_eq!(counts(&report, "main", 2), (1, 1));
    assert_eq!(counts(&report, "main", 3), (1, 0), "redirects are followed");
    assert_eq!(
        error_messages(&report),
        [
            (
                "status".to_string(),
                "HTTP status 404 Not Found (expected 2xx)".to_string()
            ),
            ("status".to_string(), "HTTP status 200 OK not in [201]".to_string()),
        ]
    );
}

#[tokio::test]
async fn a_read_timeout_and_a_refused_connection_are_classified_and_the_run_continues() {
    let report = run_main(
        "    - activity: GetRequest\n      url: /slow?s=3\n      timeout: 200ms\n    - activity: GetRequest\n      url: http://127.0.0.1:1/nothing\n    - activity: GetRequest\n      url: /test1.json\n",
    )
    .await;
    assert_eq!(counts(&report, "main", 2), (1, 0), "the run continues");
    let classes: Vec<String> = report.errors.iter().map(|e| e.class.to_string()).collect();
    assert_eq!(classes, ["timeout", "connect"]);
    assert_timeout_then_refused(&report, "the default client");
}

#[tokio::test]
async fn static_requests_with_some_failing_urls() {
    let report = run_main(
        "    - activity: StaticRequests\n      thread_count: 2\n      url_list: [/test1.json, /status/404, /html, /status/500]\n",
    )
    .await;
    assert_eq!(counts(&report, "main", 0), (1, 1));
    let e = &report.errors[0];
    assert_eq!(e.class.to_string(), "status");
    let mut lines: Vec<&str> = e.message.lines().collect();
    assert_eq!(lines.remove(0), "2 of 4 static requests failed:");
    lines.sort();
    assert_eq!(
        lines,
        [
            "/status/404: HTTP status 404 Not Found (expected 2xx)",
            "/status/500: HTTP status 500 Internal Server Error (expected 2xx)"
        ]
    );
    let mut urls: Vec<(&str, u64, u64)> = report
        .stats
        .sub_requests
        .iter()
        .map(|s| (s.label.as_str(), s.measure.count, s.measure.error_count()))
        .collect();
    urls.sort();
    assert_eq!(
        urls,
        [
            ("/html", 1, 0),
            ("/status/404", 1, 1),
            ("/status/500", 1, 1),
            ("/test1.json", 1, 0)
        ]
    );
}

#[tokio::test]
async fn a_poll_whose_check_names_an_unknown_variable_ends_at_once() {
    let started = std::time::Instant::now();
    let report = run_main(
        "    - activity: PollRequest\n      url: /poll/$(session_id)?ready_after=1000\n      interval: 50ms\n      timeout: 30s\n      assert_json: {ready: $(redy)}\n",
    )
    .await;
    let errors = error_messages(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "variable", "{errors:?}");
    assert!(errors[0].1.contains("unknown variable `redy`"), "{errors:?}");
    // Not the 30 s timeout: the missing variable could never appear while polling.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn poll_request_succeeds_on_the_third_poll_and_times_out_otherwise() {
    let report = run_main(
        "    - activity: PollRequest\n      url: /poll/$(session_id)?ready_after=3\n      interval: 50ms\n      timeout: 10s\n      assert_json: {ready: true}\n      store_json: {polls: count}\n    - activity: PollRequest\n      url: /poll/never?ready_after=1000\n      interval: 50ms\n      timeout: 300ms\n      assert_json: {ready: true}\n",
    )
    .await;
    assert_eq!(counts(&report, "main", 0), (1, 0));
    assert_eq!(counts(&report, "main", 1), (1, 1));
    let e = &report.errors[0];
    assert_eq!(e.class.to_string(), "timeout");
    assert!(e.message.starts_with("condition not met after"), "{}", e.message);
    assert!(e.message.contains("attempts); last attempt: "), "{}", e.message);
}

#[tokio::test]
async fn run_script_export_result_and_runtime_error_with_line() {
    let report = run_main(
        "    - activity: RunScript\n      script: |\n        let total = 40 + 2;\n        total\n      export: [total]\n      assert_match: \"^42$\"\n    - activity: GetRequest\n      url: /echo?t=$(total)\n      assert_json: {query.t: \"42\"}\n    - activity: RunScript\n      script: |\n        let a = 1;\n        let b = a + nope;\n",
    )
    .await;
    assert_eq!(counts(&report, "main", 0), (1, 0));
    assert_eq!(counts(&report, "main", 1), (1, 0));
    assert_eq!(counts(&report, "main", 2), (1, 1));
    let e = &report.errors[0];
    assert_eq!(e.class.to_string(), "script");
    assert!(
        e.message.contains("test.yaml:23:"),
        "error names the file line: {}",
        e.message
    );
    assert!(e.message.contains("nope"), "{}", e.message);
}

#[tokio::test]
async fn an_unknown_variable_at_run_time_fails_that_activity_only() {
    let report = run_main(
        "    - activity: GetRequest\n      url: /echo/$(usr.name)\n    - activity: GetRequest\n      url: /test1.json\n",
    )
    .await;
    assert_eq!(counts(&report, "main", 0), (1, 1));
    assert_eq!(counts(&report, "main", 1), (1, 0));
    let e = &report.errors[0];
    assert_eq!(e.class.to_string(), "variable");
    assert!(
        e.message.contains("`usr.name`") && e.message.contains("user.name"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn every_failed_check_of_an_activity_is_listed_in_one_error() {
    let checks = "      assert_match: \"Hello stressor\"\n      assert_headers: {Content-Type: html}\n      assert_html:\n        \"//li[@class='item']\": 3\n        \"//div[@id='main']\": \"^Hello\"\n      store_regex: {title: \"<title>(.*?)</title>\"}\n";
    let failing = "      assert_match: \"Goodbye\"\n      assert_headers: {Content-Type: json, X-Missing: .}\n      assert_html:\n        \"//li[@class='item']\": 4\n        \"//div[@id='nope']\": true\n      assert_max_time: 0s\n      store_regex: {title: \"<nope>(.*?)</nope>\"}\n";
    let report = run_main(&format!(
        "    - activity: GetRequest\n      url: /html\n{checks}    - activity: GetRequest\n      url: /html\n{failing}"
    ))
    .await;
    assert_eq!(counts(&report, "main", 0), (1, 0), "{:?}", report.errors);
    assert_eq!(counts(&report, "main", 1), (1, 1));
    let e = &report.errors[0];
    assert_eq!(e.class.to_string(), "assertion");
    let lines: Vec<&str> = e.message.lines().collect();
    assert_eq!(lines.len(), 7, "{}", e.message);
    assert!(
        lines[0].starts_with("header `Content-Type` does not match `json`: 'text/html"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "header `X-Missing` is missing");
    assert_eq!(lines[2], "XPath `//li[@class='item']` matched 3 nodes (expected 4)");
    assert_eq!(
        lines[3],
        "XPath `//div[@id='nope']` matched 0 nodes (expected at least 1)"
    );
    assert!(
        lines[4].starts_with("result does not match `Goodbye`: '"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with("execution time ") && lines[5].ends_with("exceeds the limit of 0s"),
        "{}",
        lines[5]
    );
    assert!(
        lines[6].starts_with("store_regex found no match for `<nope>(.*?)</nope>`"),
        "{}",
        lines[6]
    );
    assert!(
        e.response.as_deref().unwrap_or("").starts_with("HTTP 200 OK"),
        "{:?}",
        e.response
    );
}
