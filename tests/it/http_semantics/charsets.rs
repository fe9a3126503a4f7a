//! Text checks read a body in its charset: `Content-Type`, then a BOM, then `<meta charset>`, else
//! UTF-8; a failure says which charset it used.

use super::{Case, check_table, fail, pass};

const PAGES: &[Case] = &[
    pass(
        "Latin-1 declared in Content-Type",
        r#"    - activity: GetRequest
      url: /charset/latin1
      assert_match: Crème brûlée, naïve façade
      assert_html: {"//p[@id='text']": Zürich$}
      store_regex: {dessert: (Crème brûlée)}
"#,
    ),
    pass(
        "what the store kept is Unicode text",
        r#"    - activity: PostRequest
      url: /echo
      json: {dessert: $(dessert)}
      assert_json: {json.dessert: Crème brûlée}
"#,
    ),
    pass(
        "Latin-1 declared in <meta charset> only",
        r#"    - activity: GetRequest
      url: /charset/latin1?in=meta
      assert_headers: {Content-Type: ^text/html$}
      assert_match: naïve façade
"#,
    ),
    pass(
        "GB2312 in Content-Type",
        r#"    - activity: GetRequest
      url: /charset/gb2312
      assert_match: 你好，世界
      assert_html: {"//title": 压力测试}
"#,
    ),
    pass(
        "GB2312 in <meta charset>",
        r#"    - activity: GetRequest
      url: /charset/gb2312?in=meta
      assert_html: {"//p[@id='text']": ^你好，世界。压力测试。$}
"#,
    ),
    pass(
        "windows-1256 (Arabic)",
        r#"    - activity: GetRequest
      url: /charset/windows-1256
      assert_match: مرحبا بالعالم
"#,
    ),
    fail(
        "a failure says which charset was used",
        r#"    - activity: GetRequest
      url: /charset/latin1
      assert_match: Creme brulee
"#,
        "assertion",
        &[
            "result does not match `Creme brulee`: '",
            "Crème brûlée",
            "(read as windows-1252 (Content-Type charset=iso-8859-1))",
        ],
    ),
    fail(
        "undeclared, the page is read as UTF-8 and its malformed bytes are replaced",
        r#"    - activity: GetRequest
      url: /charset/latin1?in=none
      assert_match: Crème
"#,
        "assertion",
        &[
            "Cr\u{fffd}me",
            "(malformed bytes in UTF-8 (the default) replaced by U+FFFD)",
        ],
    ),
];

#[tokio::test]
async fn latin1_gb2312_and_windows_1256_pages_pass_checks_written_in_unicode() {
    check_table("", PAGES).await;
}
