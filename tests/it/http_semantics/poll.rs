//! `PollRequest` repeats until all its checks pass, `assert_match` included; it used to stop at the
//! first 2xx and then fail its `assert_match`.

use super::{Case, check_table, fail, pass};

const POLLS: &[Case] = &[
    pass(
        "assert_match is part of the condition",
        r#"    - activity: PollRequest
      url: /poll/match?ready_after=3
      interval: 50ms
      timeout: 10s
      assert_match: '"ready":true'
      store_json: {count: count}
"#,
    ),
    pass(
        "it stopped at the third attempt, not the first 2xx",
        r#"    - activity: GetRequest
      url: /echo?count=$(count)
      assert_json: {query.count: "3"}
"#,
    ),
    pass(
        "assert_json and assert_headers together",
        r#"    - activity: PollRequest
      url: /poll/json?ready_after=2
      interval: 50ms
      timeout: 10s
      assert_headers: {Content-Type: json}
      assert_json: {ready: true, count: 2}
"#,
    ),
    fail(
        "a condition never met times out naming the last failure",
        r#"    - activity: PollRequest
      url: /poll/never?ready_after=1000
      interval: 50ms
      timeout: 300ms
      assert_match: '"ready":true'
"#,
        "timeout",
        &[
            "condition not met after",
            "last attempt: result does not match `\"ready\":true`",
        ],
    ),
];

#[tokio::test]
async fn poll_request_waits_for_every_check() {
    check_table("", POLLS).await;
}
