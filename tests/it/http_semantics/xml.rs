//! `assert_xpath`: XPath 1.0 on an XML body with the activity's `namespaces:`.

use super::{Case, check_table, fail, pass};

const FEED: &[Case] = &[
    pass(
        "prefixed names select by namespace",
        r#"    - activity: GetRequest
      url: /xml
      namespaces: {a: "http://www.w3.org/2005/Atom", dc: "http://purl.org/dc/elements/1.1/"}
      assert_xpath:
        "//a:entry": 2
        "//a:entry[1]/a:title": ^First post$
        "//a:entry[dc:creator='Grace']/a:title": Deuxième
        "count(//dc:creator)": ^2$
        "//a:entry[@xml:lang='fr']": true
        "//a:entry[a:title='Third']": false
"#,
    ),
    pass(
        "a name without a prefix matches no element of the Atom namespace (XPath 1.0)",
        r#"    - activity: GetRequest
      url: /xml
      assert_xpath: {"//entry": 0}
"#,
    ),
    fail(
        "a failure on a namespaced document explains unprefixed names",
        r#"    - activity: GetRequest
      url: /xml
      assert_xpath: {"//entry/title": First}
"#,
        "assertion",
        &[
            "XPath `//entry/title` matched 0 nodes",
            "the document's elements are in the namespace `http://www.w3.org/2005/Atom`",
        ],
    ),
    fail(
        "an HTML page is not XML",
        r#"    - activity: GetRequest
      url: /html
      assert_xpath: {"//title": true}
"#,
        "assertion",
        &["response is not XML (Content-Type text/html; charset=utf-8): "],
    ),
];

#[tokio::test]
async fn xpath_with_namespace_prefixes_on_xml() {
    check_table("", FEED).await;
}
