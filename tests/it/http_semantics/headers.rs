//! Repeated response headers: a check passes on any field line or on the lines joined (RFC 9110
//! §5.3), `Set-Cookie` lines are never joined, `store_header` picks a line, and a header can be
//! asserted absent.

use super::{Case, check_table, fail, pass};

const HEADERS: &[Case] = &[
    pass(
        "any line of four",
        r#"    - activity: GetRequest
      url: /response-headers?X-Fruit=apple&X-Fruit=banana&X-Fruit=cherry&X-Fruit=date
      assert_headers: {X-Fruit: ^cherry$}
"#,
    ),
    pass(
        "the joined value",
        r#"    - activity: GetRequest
      url: /response-headers?X-Fruit=apple&X-Fruit=banana
      assert_headers: {x-fruit: "^apple, banana$"}
"#,
    ),
    fail(
        "no line and not the joined value",
        r#"    - activity: GetRequest
      url: /response-headers?X-Fruit=apple&X-Fruit=banana
      assert_headers: {X-Fruit: kiwi}
"#,
        "assertion",
        &["header `X-Fruit` (2 lines) does not match `kiwi`: 'apple', 'banana'"],
    ),
    pass(
        "the second Set-Cookie",
        r#"    - activity: GetRequest
      url: /cookies/set?a=1&b=2
      assert_headers: {Set-Cookie: ^b=2}
"#,
    ),
    fail(
        "Set-Cookie lines are never joined",
        r#"    - activity: GetRequest
      url: /cookies/set?a=1&b=2
      assert_headers: {Set-Cookie: "Path=/, b=2"}
"#,
        "assertion",
        &["header `Set-Cookie` (2 lines) does not match"],
    ),
    pass(
        "absent",
        r#"    - activity: GetRequest
      url: /response-headers?X-Fruit=apple
      assert_headers: {X-Debug: absent, X-Fruit: apple}
"#,
    ),
    fail(
        "absent but there",
        r#"    - activity: GetRequest
      url: /response-headers?X-Debug=on
      assert_headers: {X-Debug: absent}
"#,
        "assertion",
        &["header `X-Debug` is present (expected absent): 'on'"],
    ),
    pass(
        "store_header: the first line, line N, the last, every line",
        r#"    - activity: GetRequest
      url: /response-headers?X-Fruit=apple&X-Fruit=banana&X-Fruit=cherry
      store_header: {first: X-Fruit, second: "X-Fruit[1]", last: "X-Fruit[-1]", all: "X-Fruit[*]"}
"#,
    ),
    pass(
        "what they stored",
        r#"    - activity: PostRequest
      url: /echo
      json: {first: $(first), second: $(second), last: $(last), all: $(all)}
      assert_json: {json: {first: apple, second: banana, last: cherry, all: [apple, banana, cherry]}}
"#,
    ),
];

#[tokio::test]
async fn repeated_headers_are_checked_line_by_line_and_joined_on_both_clients() {
    check_table("", HEADERS).await;
}
