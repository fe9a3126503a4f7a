//! `assert_json` and `store_json` paths: RFC 9535 JSONPath when they start with `$`, the original's
//! dotted paths otherwise; `absent`.

use super::{Case, check_table, fail, pass};

/// `/items?n=5`: ids 1 to 5; item i has `i % 4` tags and `in-stock` false when i is a multiple of 3.
const PATHS: &[Case] = &[
    pass(
        "a top-level list, a key with `-`, the last item, a slice",
        r#"    - activity: GetRequest
      url: /items?n=5
      assert_json:
        "$[0].name": item-1
        "$[2]['in-stock']": false
        "$[-1].id": 5
        "$[1:3].id": [2, 3]
        "$[*].id": [1, 2, 3, 4, 5]
"#,
    ),
    pass(
        "filters, with length() and count()",
        r#"    - activity: GetRequest
      url: /items?n=5
      assert_json:
        "$[?@['in-stock'] == false].id": [3]
        "$[?length(@.tags) == 3].name": item-3
        "$[?count(@.tags[*]) == 0].id": 4
        "$[?@.price > 0].name": "item-[0-9]"
"#,
    ),
    pass(
        "dotted paths keep working",
        r#"    - activity: GetRequest
      url: /mock_login_response.json
      assert_json: {result.user_guid: "{[0-9A-F-]+}", status: ok}
"#,
    ),
    pass(
        "absent",
        r#"    - activity: GetRequest
      url: /items?n=5
      assert_json: {"$[5]": absent, "$[0].missing": absent, "$[?@.price > 1000]": absent}
"#,
    ),
    fail(
        "present but expected absent",
        r#"    - activity: GetRequest
      url: /mock_login_response.json
      assert_json: {result.user_guid: absent}
"#,
        "assertion",
        &["JSON `result.user_guid` is present (expected absent): \"{BBFC98E6-DD92-473C-A65C-BDD868E64CF2}\""],
    ),
    fail(
        "a filter node that does not match",
        r#"    - activity: GetRequest
      url: /items?n=5
      assert_json: {"$[?@.id > 3].name": item-4}
"#,
        "assertion",
        &["JSON `$[?@.id > 3].name` (value 2 of 2) does not match `item-4`: 'item-5'"],
    ),
    pass(
        "store_json with JSONPath: a singular path stores its value, any other the list",
        r#"    - activity: GetRequest
      url: /items?n=3
      store_json: {last: "$[-1].name", ids: "$[*].id"}
"#,
    ),
    pass(
        "what it stored",
        r#"    - activity: PostRequest
      url: /echo
      json: {last: $(last), ids: $(ids)}
      assert_json: {json.last: item-3, json.ids: [1, 2, 3]}
"#,
    ),
];

#[tokio::test]
async fn json_paths_reach_top_level_lists_odd_keys_and_filtered_nodes() {
    check_table("", PATHS).await;
}
