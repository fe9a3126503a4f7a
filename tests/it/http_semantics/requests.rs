//! What a request sends, on both clients: the default `Accept-Encoding`, cookies merged with the
//! session's jar (seeded, added, cleared), credentials in the URL as basic auth, and header values
//! with bytes ≥ 0x80 sent as given while control bytes from a `$(var)` fail the request as
//! `variable`. `/echo` answers with what it received.

use super::{Case, check_table, fail, pass};

const ACCEPT_ENCODING: &[Case] = &[
    pass(
        "every coding the checks decode, asked for by default",
        r#"    - activity: GetRequest
      url: /echo
      assert_json: {"$.headers['accept-encoding']": "gzip, deflate, br, zstd"}
"#,
    ),
    pass(
        "the request's own wins",
        r#"    - activity: GetRequest
      url: /echo
      headers: {accept-encoding: identity}
      assert_json: {"$.headers['accept-encoding']": identity}
"#,
    ),
    pass(
        "none with decompress: false (the body as the server sends it unasked)",
        r#"    - activity: GetRequest
      url: /echo
      decompress: false
      assert_json: {"$.headers['accept-encoding']": absent}
"#,
    ),
    pass(
        "a negotiating server answers compressed, and the checks read it decoded",
        r#"    - activity: GetRequest
      url: /items?n=3
      assert_headers: {Content-Encoding: ^br$}
      assert_json: {"$[1].name": item-2}
"#,
    ),
];

#[tokio::test]
async fn accept_encoding_is_sent_by_default_on_both_clients() {
    check_table("", ACCEPT_ENCODING).await;
}

const COOKIES: &[Case] = &[
    pass(
        "the server sets two cookies",
        r#"    - activity: GetRequest
      url: /cookies/set?sid=1&ab=a
"#,
    ),
    pass(
        "a request's own Cookie is merged with the jar, its value winning for a name",
        r#"    - activity: GetRequest
      url: /echo
      headers: {Cookie: "ab=b; x=2"}
      assert_json: {"$.cookies": {sid: "1", ab: b, x: "2", seeded: s1}}
"#,
    ),
    pass(
        "the request's own cookies are not stored",
        r#"    - activity: GetRequest
      url: /echo
      assert_json: {"$.cookies": {sid: "1", ab: a, seeded: s1}}
"#,
    ),
    pass(
        "cookies: adds to the jar, for the rest of the session",
        r#"    - activity: GetRequest
      url: /echo
      cookies: {consent: "yes", ab: $(variant)}
      assert_json: {"$.cookies.consent": "yes", "$.cookies.ab": c}
"#,
    ),
    pass(
        "still there on the next request",
        r#"    - activity: GetRequest
      url: /cookies
      assert_json: {consent: "yes", sid: "1"}
"#,
    ),
    pass(
        "cookies: clear empties the jar first",
        r#"    - activity: GetRequest
      url: /echo
      cookies: clear
      assert_json: {"$.cookies": {}, "$.headers.cookie": absent}
"#,
    ),
    fail(
        "a cookie value from a variable that cannot be sent",
        r#"    - activity: GetRequest
      url: /echo
      cookies: {a: $(semicolon)}
"#,
        "variable",
        &["cookie not set: the value of cookie `a` holds `;`"],
    ),
];

#[tokio::test]
async fn cookies_merge_with_the_jar_which_can_be_seeded_added_to_and_cleared_on_both_clients() {
    let config = "  cookies: {seeded: s1}\ncontext:\n  variant: c\n  semicolon: \"1; admin=1\"\n";
    check_table(config, COOKIES).await;
}

const CREDENTIALS: &[Case] = &[
    pass(
        "URL credentials become basic auth, percent-decoded, and leave Host alone",
        r#"    - activity: GetRequest
      url: "http://ann:p%40ss%20w@{HOST}/echo"
      assert_json: {"$.headers.authorization": "Basic YW5uOnBAc3Mgdw==", "$.headers.host": '^127\.0\.0\.1:\d+$'}
"#,
    ),
    pass(
        "a user without a password",
        r#"    - activity: GetRequest
      url: "http://ann@{HOST}/echo"
      assert_json: {"$.headers.authorization": "Basic YW5uOg=="}
"#,
    ),
    pass(
        "an activity's own auth wins over the URL's",
        r#"    - activity: GetRequest
      url: "http://ann:secret@{HOST}/echo"
      auth: [bob, x]
      assert_json: {"$.headers.authorization": "Basic Ym9iOng="}
"#,
    ),
    pass(
        "kept on a same-origin redirect",
        r#"    - activity: GetRequest
      url: "http://ann:pw@{HOST}/redirect/2"
      assert_json: {"$.headers.authorization": "Basic YW5uOnB3", "$.path": /echo}
"#,
    ),
];

#[tokio::test]
async fn url_credentials_are_sent_as_basic_auth_on_both_clients() {
    check_table("", CREDENTIALS).await;
}

const HEADER_VALUES: &[Case] = &[
    pass(
        "bytes ≥ 0x80 are sent as given (UTF-8 here)",
        r#"    - activity: GetRequest
      url: /echo
      headers: {X-Name: café, X-Greek: "$(greek)"}
      assert_json: {"$.headers['x-name']": café, "$.headers['x-greek']": αβγ}
"#,
    ),
    fail(
        "a CR LF from a variable is refused before anything is sent",
        r#"    - activity: GetRequest
      url: /echo
      headers: {X-Evil: "a$(crlf)"}
"#,
        "variable",
        &["header `X-Evil` not sent: its value holds a carriage return (CR, \\r)"],
    ),
    fail(
        "a NUL from a variable",
        r#"    - activity: GetRequest
      url: /echo
      headers: {X-Evil: $(nul)}
"#,
        "variable",
        &["header `X-Evil` not sent: its value holds a NUL byte (\\0)"],
    ),
    pass(
        "the session goes on",
        r#"    - activity: GetRequest
      url: /echo
      assert_json: {"$.headers['x-evil']": absent}
"#,
    ),
];

#[tokio::test]
async fn header_values_are_opaque_octets_but_control_bytes_fail_as_variable_on_both_clients() {
    let config = "context:\n  greek: αβγ\n  crlf: \"\\r\\nX-Injected: 1\"\n  nul: \"a\\0b\"\n";
    check_table(config, HEADER_VALUES).await;
}

/// Credentials in a URL reach the server (as basic auth) and nothing else: not the console with
/// `$debug()`, the log, the request log, the results file, JUnit or the HTML report, for a request
/// that passes, one that fails (so its URL is in error messages) and one whose host refuses.
#[test]
fn url_credentials_appear_in_no_report_or_log() {
    let server = stressor::target::TargetServer::start_in_thread(Default::default()).expect("target");
    let host = &server.url()["http://".len()..];
    let scenario = format!(
        "file_version: stressor#0
config:
  base_url: http://ann:s3cr3tpw@{host}
sessions:
  count: 1
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: http://ann:s3cr3tpw@{host}/echo
      assert_json: {{\"$.headers.authorization\": \"Basic YW5uOnMzY3IzdHB3\"}}
    - activity: GetRequest
      url: http://ann:s3cr3tpw@{host}/status/500
    - activity: GetRequest
      url: /status/404
    - activity: GetRequest
      url: http://ann:s3cr3tpw@127.0.0.1:9/refused
    - activity: $debug()
"
    );
    let (dir, main) = crate::common::write_files(&[("creds.yaml", &scenario)]);
    let out_dir = dir.path();
    let output = crate::common::stressor()
        .args(["run", "--single", "--no-color", "-v"])
        .arg(&main)
        .arg("--log")
        .arg(out_dir.join("run.log"))
        .arg("--request-log")
        .arg(out_dir.join("requests.jsonl"))
        .arg("--out")
        .arg(out_dir.join("results.json"))
        .arg("--junit")
        .arg(out_dir.join("junit.xml"))
        .arg("--html")
        .arg(out_dir.join("report.html"))
        .output()
        .expect("stressor runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "two requests fail: {stdout}\n{stderr}");
    assert!(stdout.contains("$debug() context:"), "{stdout}");
    assert!(stdout.contains("HTTP status 500"), "{stdout}");
    let mut seen = vec![("stdout", stdout.into_owned()), ("stderr", stderr.into_owned())];
    for file in ["run.log", "requests.jsonl", "results.json", "junit.xml", "report.html"] {
        let text = std::fs::read_to_string(out_dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!text.is_empty(), "{file} is empty");
        seen.push((file, text));
    }
    let requests = &seen
        .iter()
        .find(|(f, _)| *f == "requests.jsonl")
        .expect("request log")
        .1;
    assert!(
        requests.contains("/status/500"),
        "the failed request is logged: {requests}"
    );
    for (what, text) in &seen {
        assert!(!text.contains("s3cr3tpw"), "the password is in {what}:\n{text}");
    }
}
