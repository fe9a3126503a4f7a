//! Issue 27, points 1 and 2, against the built-in target: what a server, a feeder row, a script or
//! the environment supplies is data, inserted verbatim (never expanded again), and a value embedded
//! in a check's pattern does not build a regex of its size. Peak memory for the large cases is
//! measured in `hostile_memory.rs`, a process of its own.

use crate::common;

use common::run::{error_messages, server};
use std::collections::HashMap;
use std::sync::Arc;
use stressor::run::{RunOptions, RunReport, run};
use stressor::scenario::LoadOptions;
use stressor::target::TargetServer;

/// Loads `files` (the first is the scenario, `{BASE}` replaced by the server's URL) and runs it.
async fn run_files(server: &TargetServer, files: &[(&str, &str)], options: &LoadOptions) -> RunReport {
    let text = files[0].1.replace("{BASE}", &server.url());
    let mut files = files.to_vec();
    files[0].1 = &text;
    let (_dir, loaded) = common::load_with(&files, options);
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = loaded.scenario.expect("valid scenario");
    run(Arc::new(scenario), Arc::new(loaded.sources), RunOptions::default())
        .await
        .expect("run")
}

const LITERAL: &str = r"'\$\(user\.password\)'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_from_outside_cannot_read_the_sessions_secrets() {
    let srv = server().await;
    let yaml = format!(
        "file_version: stressor#0
config: {{base_url: '{{BASE}}'}}
context:
  auth: Bearer $(token)
  from_env: $env(HOSTILE)
sessions: {{users: [{{name: ann, password: s3cret, home: /h/$(session_id), note: $env(HOSTILE)}}]}}
feeders: {{rows: {{file: rows.csv}}}}
scenario: [{{sequence: main}}]
sequences:
  main:
    # The server answers with the text `$(user.password)` (the author escapes it to send it).
    - activity: PostRequest
      url: /echo
      json: {{token: \"$$(user.password)\"}}
      store_json: {{token: json.token}}
    - activity: Feed
      feeder: rows
    - activity: RunScript
      script: 'let made = \"$\" + \"(user.password)\";'
      export: [made]
    - activity: GetRequest
      url: /echo
      headers:
        X-Token: $(token)
        X-Row: $(rows.secret)
        X-Made: $(made)
        X-Env: $(from_env)
        X-Env-Direct: $env(HOSTILE)
        X-Auth: $(auth)
        X-Note: $(user.note)
        X-Home: $(user.home)
      assert_json:
        headers.x-token: {LITERAL}
        headers.x-row: {LITERAL}
        headers.x-made: {LITERAL}
        headers.x-env: {LITERAL}
        headers.x-env-direct: {LITERAL}
        headers.x-auth: 'Bearer \\$\\(user\\.password\\)'
        headers.x-note: {LITERAL}
        headers.x-home: /h/t01
"
    );
    let env = HashMap::from([("HOSTILE".to_owned(), "$(user.password)".to_owned())]);
    let options = LoadOptions {
        env: Some(env),
        ..LoadOptions::default()
    };
    let files = [
        ("taint.yaml", yaml.as_str()),
        ("rows.csv", "secret\n$(user.password)\n"),
    ];
    let report = run_files(&srv, &files, &options).await;
    assert_eq!(error_messages(&report), Vec::<(String, String)>::new());
    assert_eq!(report.error_count(), 0);
}

/// ~1 KB of nested references from a server (`v0` = ten `$(v1)`, ...) once expanded to hundreds of
/// megabytes; as data it is inserted as it came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_references_from_a_server_stay_as_they_came() {
    let srv = server().await;
    let ten = |i: usize| format!("$$(v{i})").repeat(10);
    let yaml = format!(
        "file_version: stressor#0
config: {{base_url: '{{BASE}}'}}
scenario: [{{sequence: main}}]
sequences:
  main:
    - activity: PostRequest
      url: /echo
      json: {{v0: '{}', v1: '{}', v2: '{}', v3: leaf}}
      store_json: {{v0: json.v0, v1: json.v1, v2: json.v2, v3: json.v3}}
    - activity: PostRequest
      url: /echo
      json: {{x: 'start $(v0)'}}
      assert_json: {{json.x: 'start (\\$\\(v1\\)){{10}}'}}
",
        ten(1),
        ten(2),
        ten(3)
    );
    let report = run_files(&srv, &[("nested.yaml", yaml.as_str())], &LoadOptions::default()).await;
    assert_eq!(error_messages(&report), Vec::<(String, String)>::new());
}

/// A 1 MiB value embedded in `assert_match` between plain text is searched as text (it was compiled
/// into a regex: "Compiled regex exceeds size limit"); around regex syntax it is refused as an
/// assertion naming the variable and its size, and no message copies the value whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_value_in_a_pattern_is_matched_as_text_or_refused_clearly() {
    let srv = server().await;
    let yaml = "file_version: stressor#0
config: {base_url: '{BASE}'}
scenario: [{sequence: main}]
sequences:
  main:
    - activity: GetRequest
      url: /bytes/1048576
      store_regex: {big: '^(x+)$'}
    - activity: PutRequest
      url: /big-$(session_id).txt
      data: BEGIN$(big)END
    - activity: GetRequest
      url: /big-$(session_id).txt
      assert_match: BEGIN$(big)END
      store_regex: {found: 'N$(big)E'}
    - activity: GetRequest
      url: /big-$(session_id).txt
      assert_match: ^BEGIN$(big)END
";
    let report = run_files(&srv, &[("big.yaml", yaml)], &LoadOptions::default()).await;
    let errors = error_messages(&report);
    assert_eq!(errors.len(), 1, "only the pattern with regex syntax fails: {errors:?}");
    let (class, message) = &errors[0];
    assert_eq!(class, "assertion", "{message}");
    assert!(
        message.contains("would be a regex of 1 MiB: `$(big)` is xxxx"),
        "{message}"
    );
    assert!(message.contains("(1 MiB, 1048576 bytes, fnv1a "), "{message}");
    assert!(message.len() < 2048, "the message copies {} bytes", message.len());
    let record = serde_json::to_string(&report.errors[0]).expect("json");
    assert!(
        record.len() < 8192,
        "the results file's error record holds {} bytes",
        record.len()
    );
}
