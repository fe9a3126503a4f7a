//! Redirect control: `follow_redirects: false` makes the 3xx the response (its status, `Location` and
//! `Set-Cookie` checked and stored), `max_redirects` bounds a chain (one more is a `connect` error that
//! names the limit), and `assert_redirects` checks how many were followed — per activity and from
//! `config`, on both clients. The target's `/redirect/<n>` redirects to `/redirect/<n-1>` and
//! `/redirect/0` to `/echo`: n + 1 redirects.

use super::{Case, check_table, fail, pass};

const PER_ACTIVITY: &[Case] = &[
    pass(
        "a chain is followed and its length is visible",
        r#"    - activity: GetRequest
      url: /redirect/2
      assert_redirects: 3
      assert_json: {path: /echo}
"#,
    ),
    pass(
        "not following: the 302 is the response, its Location checked and stored",
        r#"    - activity: GetRequest
      url: /redirect/2
      follow_redirects: false
      assert_status: [302]
      assert_headers: {Location: ^/redirect/1$}
      assert_redirects: 0
      store_header: {next: Location}
"#,
    ),
    pass(
        "the stored Location is requested by hand: two hops left",
        r#"    - activity: GetRequest
      url: $(next)
      assert_redirects: 2
      assert_json: {path: /echo}
"#,
    ),
    pass(
        "a login form's 302 with Location and Set-Cookie, not followed",
        r#"    - activity: PostRequest
      url: /login/redirect
      data: {name: ann}
      follow_redirects: false
      assert_status: [302]
      assert_headers: {Location: ^/cookies$, Set-Cookie: ^session=\w+}
"#,
    ),
    pass(
        "the unfollowed 302's cookie is in the jar",
        r#"    - activity: GetRequest
      url: /cookies
      assert_json: {session: '\w+'}
"#,
    ),
    pass(
        "the same login followed: the cookie is sent on the next hop",
        r#"    - activity: PostRequest
      url: /login/redirect
      assert_redirects: 1
      assert_json: {session: '\w+'}
"#,
    ),
    fail(
        "one redirect more than max_redirects is an error naming the limit",
        r#"    - activity: GetRequest
      url: /redirect/2
      max_redirects: 2
"#,
        "connect",
        &[
            "too many redirects: more than max_redirects (2)",
            "/redirect/0",
            "raise `max_redirects`",
        ],
    ),
    pass(
        "a chain exactly max_redirects long is followed",
        r#"    - activity: GetRequest
      url: /redirect/2
      max_redirects: 3
      assert_redirects: 3
"#,
    ),
    pass(
        "max_redirects above 10 follows longer chains than before",
        r#"    - activity: GetRequest
      url: /redirect/11
      max_redirects: 12
      assert_redirects: 12
"#,
    ),
    fail(
        "assert_redirects counts",
        r#"    - activity: GetRequest
      url: /redirect/0
      assert_redirects: 2
"#,
        "assertion",
        &["1 redirects followed, expected 2 (final URL http://", "/echo)"],
    ),
    pass(
        "a 307 keeps method and body",
        r#"    - activity: PostRequest
      url: /redirect-to?url=/echo&status=307
      json: {a: 1}
      assert_redirects: 1
      assert_json: {method: POST, json.a: 1}
"#,
    ),
    pass(
        "a 303 turns into a GET",
        r#"    - activity: PostRequest
      url: /redirect-to?url=/echo&status=303
      json: {a: 1}
      assert_json: {method: GET}
"#,
    ),
];

#[tokio::test]
async fn redirects_per_activity() {
    check_table("", PER_ACTIVITY).await;
}

const FROM_CONFIG: &[Case] = &[
    pass(
        "config.follow_redirects: false",
        r#"    - activity: GetRequest
      url: /redirect/1
      assert_status: [302]
      assert_headers: {Location: /redirect/0}
"#,
    ),
    pass(
        "an activity turns following back on, within config.max_redirects",
        r#"    - activity: GetRequest
      url: /redirect/0
      follow_redirects: true
      assert_redirects: 1
"#,
    ),
    fail(
        "config.max_redirects: 1",
        r#"    - activity: GetRequest
      url: /redirect/1
      follow_redirects: true
"#,
        "connect",
        &["more than max_redirects (1)"],
    ),
    pass(
        "an activity's max_redirects wins over config's",
        r#"    - activity: GetRequest
      url: /redirect/1
      follow_redirects: true
      max_redirects: 2
      assert_redirects: 2
"#,
    ),
];

#[tokio::test]
async fn redirects_from_config() {
    check_table("  follow_redirects: false\n  max_redirects: 1\n", FROM_CONFIG).await;
}

#[tokio::test]
async fn redirects_over_http2() {
    // The redirect rules live in the client, above the transport: HTTP/2 (h2c by prior knowledge to
    // the target) follows the same table.
    check_table("  http_version: 2\n", PER_ACTIVITY).await;
}

#[test]
fn debug_shows_the_redirects_followed() {
    let yaml = "file_version: stressor#0
config:
  base_url: http://127.0.0.1:8082
sessions:
  count: 1
scenario:
  - sequence: main
sequences:
  main:
    - activity: GetRequest
      url: /redirect/1
    - activity: $debug()
    - activity: GetRequest
      url: /login/redirect
      follow_redirects: false
      assert_status: [302]
    - activity: $debug()
";
    let (_dir, main) = crate::common::write_files(&[("s.yaml", yaml)]);
    let out = crate::common::stressor()
        .args(["run", "--serve", "--single"])
        .arg(&main)
        .output()
        .expect("stressor runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", crate::common::output_text(&out));
    assert!(
        stdout.contains("[t01] $debug() last response: HTTP 200 OK, 2 redirects followed\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[t01] $debug() last response: HTTP 302 Found, 0 redirects followed\n"),
        "{stdout}"
    );
}
