//! `Content-Encoding` is undone for checks and stores, lazily and within `max_body_size`.

use super::{Case, bytes_received, check_table, fail, pass};

const CODINGS: &[Case] = &[
    pass(
        "gzip, negotiated",
        r#"    - activity: GetRequest
      url: /items?n=3
      headers: {Accept-Encoding: gzip}
      assert_headers: {Content-Encoding: ^gzip$}
      assert_json: {"$[0].name": item-1}
      assert_match: '"name":"item-3"'
"#,
    ),
    pass(
        "deflate in its zlib form",
        r#"    - activity: GetRequest
      url: /items?n=3
      headers: {Accept-Encoding: deflate}
      assert_headers: {Content-Encoding: ^deflate$}
      assert_json: {"$[2].id": 3}
"#,
    ),
    pass(
        "deflate sent raw (no zlib wrapper), as some servers do",
        r#"    - activity: GetRequest
      url: /items?n=3&coding=deflate-raw
      assert_headers: {Content-Encoding: ^deflate$}
      assert_json: {"$[2].id": 3}
"#,
    ),
    pass(
        "br, the best of a browser's list",
        r#"    - activity: GetRequest
      url: /items?n=3
      headers: {Accept-Encoding: "gzip, deflate, br, zstd"}
      assert_headers: {Content-Encoding: ^br$}
      assert_json: {"$[1].name": item-2}
"#,
    ),
    pass(
        "zstd",
        r#"    - activity: GetRequest
      url: /items?n=3
      headers: {Accept-Encoding: zstd}
      assert_headers: {Content-Encoding: ^zstd$}
      assert_json: {"$[1].name": item-2}
"#,
    ),
    pass(
        "stacked codings are undone last first",
        r#"    - activity: GetRequest
      url: /items?n=3&coding=gzip,br
      assert_headers: {Content-Encoding: "^gzip, br$"}
      assert_json: {"$[0].id": 1}
"#,
    ),
    pass(
        "stores read the decoded body",
        r#"    - activity: GetRequest
      url: /items?n=2
      headers: {Accept-Encoding: gzip}
      store_json: {names: "$[*].name"}
      store_regex: {second: '"name":"(item-2)"'}
"#,
    ),
    pass(
        "what they stored",
        r#"    - activity: PostRequest
      url: /echo
      json: {names: $(names), second: $(second)}
      assert_json: {json.names: [item-1, item-2], json.second: item-2}
"#,
    ),
    fail(
        "an unknown coding is a check failure that names it",
        r#"    - activity: GetRequest
      url: /items?n=1&coding=compress
      assert_match: item
"#,
        "assertion",
        &[
            "response body cannot be read: unknown Content-Encoding `compress`",
            "decompress: false",
        ],
    ),
    pass(
        "decompress: false keeps the body as received",
        r#"    - activity: GetRequest
      url: /items?n=1
      headers: {Accept-Encoding: gzip}
      decompress: false
      assert_match: '\A\x1f'
"#,
    ),
    fail(
        "a bomb is body_too_large once decoded",
        r#"    - activity: GetRequest
      url: /gzip-bomb?mib=64
      assert_match: x
"#,
        "body_too_large",
        &["(gzip) decodes to more than max_body_size (16 MiB) and a check or store needs it"],
    ),
    pass(
        "a bomb nothing reads is never decoded",
        r#"    - activity: GetRequest
      url: /gzip-bomb?mib=64
"#,
    ),
    fail(
        "a failure's response excerpt is decoded and shows both sizes",
        r#"    - activity: GetRequest
      url: /items?n=2
      headers: {Accept-Encoding: gzip}
      assert_json: {"$[0].name": item-9}
"#,
        "assertion",
        &["JSON `$[0].name` does not match `item-9`: 'item-1' (body decoded from gzip)"],
    ),
];

#[tokio::test]
async fn every_coding_is_undone_for_checks_and_stores_on_both_clients() {
    let reports = check_table("", CODINGS).await;
    for report in &reports {
        // The stats count bytes as they came off the wire: a 64 MiB bomb is about 64 KiB.
        let bomb = bytes_received(report, 11);
        assert!((1_000..200_000).contains(&bomb), "{bomb} bytes received");
        let excerpt = report
            .errors
            .last()
            .and_then(|e| e.response.clone())
            .unwrap_or_default();
        assert!(excerpt.contains("decoded), application/json: [{\"id\":1"), "{excerpt}");
    }
}

const UNDECODED: &[Case] = &[
    pass(
        "config.decompress: false",
        r#"    - activity: GetRequest
      url: /items?n=1&coding=gzip
      assert_match: '\A\x1f'
"#,
    ),
    pass(
        "an activity turns it back on",
        r#"    - activity: GetRequest
      url: /items?n=1&coding=gzip
      decompress: true
      assert_json: {"$[0].id": 1}
"#,
    ),
];

#[tokio::test]
async fn decompress_is_a_config_default_an_activity_overrides() {
    check_table("  decompress: false\n", UNDECODED).await;
}

/// `$debug()` prints the context, whose `last_result` (the previous activity's result, kept because
/// the scenario mentions `last_result`) is the decoded body.
const DEBUG: &str = r#"file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /items?n=1
      headers: {Accept-Encoding: gzip}
      assert_headers: {Content-Encoding: gzip}
    # Mentioning last_result keeps it in the context, where $debug() shows it.
    - activity: $debug()
"#;

#[test]
fn debug_and_last_result_show_the_decoded_body() {
    let (_dir, main) = crate::common::write_files(&[("debug.yaml", DEBUG)]);
    let out = crate::common::stressor()
        .args(["run", "--serve", "--single"])
        .arg(&main)
        .output()
        .expect("stressor run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", crate::common::output_text(&out));
    assert!(stdout.contains("\"last_result\": [\n"), "{stdout}");
    assert!(stdout.contains("\"name\": \"item-1\""), "{stdout}");
}
