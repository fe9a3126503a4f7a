//! `check_http`: headers, `assert_json`, `assert_html`.

use serde_json::json;

use super::super::http::render_headers;
use super::*;
use crate::scenario::{HeaderCheck, HeaderExpect, JsonCheck, JsonExpect, Span};
#[cfg(feature = "xpath")]
use crate::scenario::{HtmlCheck, HtmlExpect};

/// Headers of a typical WebDAV listing response, names as the client hands them over (lower case).
const DAV_HEADERS: &[(&str, &str)] = &[
    ("content-type", "text/html; charset=utf-8"),
    ("dav", "1, 2"),
    ("x-test", "abc"),
];

type Headers = Vec<(String, String)>;

#[test]
fn headers_render_as_a_python_dict() {
    // (comment, headers, rendering)
    let cases: [(&str, Headers, &str); 4] = [
        ("no headers", vec![], "{}"),
        (
            "names in canonical case, values in single quotes",
            resp(200, DAV_HEADERS, "").headers,
            "{'Content-Type': 'text/html; charset=utf-8', 'DAV': '1, 2', 'X-Test': 'abc'}",
        ),
        (
            "a repeated header is one entry, values joined with `, `, at its first position",
            resp(200, &[("set-cookie", "a=1"), ("x-b", "2"), ("set-cookie", "b=2")], "").headers,
            "{'Set-Cookie': 'a=1, b=2', 'X-B': '2'}",
        ),
        (
            "a single quote in a value switches to double quotes",
            resp(200, &[("x-q", "it's")], "").headers,
            r#"{'X-Q': "it's"}"#,
        ),
    ];
    for (comment, headers, want) in cases {
        assert_eq!(render_headers(&headers), want, "{comment}");
    }
}

#[test]
fn assert_match_headers() {
    let cases = [
        (
            "the original's `.*'DAV'.*` on a canonicalized `dav` header",
            ".*'DAV'.*",
            DAV_HEADERS,
            None,
        ),
        ("a search: no `.*` needed", "'X-Test': 'abc'", DAV_HEADERS, None),
        (
            "case matters, as in the original",
            "'dav'",
            DAV_HEADERS,
            Some("headers do not match `'dav'`"),
        ),
        (
            "no DAV header",
            ".*'DAV'.*",
            &[("content-type", "text/html")][..],
            Some("headers do not match `.*'DAV'.*`"),
        ),
    ];
    for (comment, pattern, headers, want) in cases {
        let checks = HttpChecks {
            assert_match_headers: Some(pat(pattern)),
            ..HttpChecks::default()
        };
        let got = check_http(&checks, &resp(200, headers, ""));
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
    }
    let checks = HttpChecks {
        assert_match_headers: Some(pat("'dav'")),
        ..HttpChecks::default()
    };
    let f = check_http(&checks, &resp(200, &[("dav", "1")], "")).remove(0);
    assert_eq!(
        (f.kind, f.expected.as_str(), f.actual.as_str()),
        (CheckKind::MatchHeaders, "'dav'", "{'DAV': '1'}")
    );
}

#[test]
fn assert_headers() {
    let cases = [
        ("present and matching", "Content-Type", "text/html", None),
        ("the name is case-insensitive", "content-TYPE", "^text/", None),
        (
            "present, value does not match",
            "Content-Type",
            "json",
            Some("header `Content-Type` does not match `json`: 'text/html; charset=utf-8'"),
        ),
        ("missing", "X-Token", ".*", Some("header `X-Token` is missing")),
    ];
    for (comment, name, pattern, want) in cases {
        let checks = HttpChecks {
            assert_headers: vec![header(name, pattern)],
            ..HttpChecks::default()
        };
        let got = check_http(&checks, &resp(200, DAV_HEADERS, ""));
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
        assert!(got.iter().all(|f| f.kind == CheckKind::Header), "{comment}");
    }
    let checks = HttpChecks {
        assert_headers: vec![header("X-Token", "abc")],
        ..HttpChecks::default()
    };
    let f = check_http(&checks, &resp(200, &[], "")).remove(0);
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("abc", "(missing)"));
}

/// An `assert_headers` entry with a pattern, or `absent`.
fn header(name: &str, pattern: &str) -> HeaderCheck {
    let expect = match pattern {
        "absent" => HeaderExpect::Absent,
        p => HeaderExpect::Matches(pat(p)),
    };
    HeaderCheck {
        name: name.to_owned(),
        expect,
        span: Span::default(),
    }
}

#[test]
fn a_repeated_header_passes_on_any_line_or_on_all_lines_joined() {
    let fruit: &[(&str, &str)] = &[
        ("x-fruit", "apple"),
        ("x-fruit", "banana"),
        ("x-fruit", "cherry, date"),
        ("set-cookie", "a=1; Path=/"),
        ("set-cookie", "b=2; Path=/"),
        ("x-one", "1"),
    ];
    // (comment, name, pattern, failure)
    let cases = [
        ("the first line", "X-Fruit", "^apple$", None),
        (
            "a later line, which the first-line rule missed",
            "X-Fruit",
            "^banana$",
            None,
        ),
        ("a line that is itself a list", "x-fruit", "^cherry, date$", None),
        (
            "the joined value (RFC 9110 §5.3)",
            "X-Fruit",
            "^apple, banana, cherry, date$",
            None,
        ),
        ("across lines", "X-Fruit", "banana, cherry", None),
        (
            "no line and not the joined value",
            "X-Fruit",
            "kiwi",
            Some("header `X-Fruit` (3 lines) does not match `kiwi`: 'apple', 'banana', 'cherry, date'"),
        ),
        ("any Set-Cookie line", "Set-Cookie", "^b=2", None),
        (
            "Set-Cookie lines are never joined",
            "Set-Cookie",
            "Path=/, b=2",
            Some("header `Set-Cookie` (2 lines) does not match `Path=/, b=2`: 'a=1; Path=/', 'b=2; Path=/'"),
        ),
        ("absent and absent", "X-Debug", "absent", None),
        (
            "absent but present",
            "x-one",
            "absent",
            Some("header `x-one` is present (expected absent): '1'"),
        ),
    ];
    for (comment, name, pattern, want) in cases {
        let checks = HttpChecks {
            assert_headers: vec![header(name, pattern)],
            ..HttpChecks::default()
        };
        let got = check_http(&checks, &resp(200, fruit, ""));
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
    }
}

const USER_JSON: &str = r#"{
  "id": "beef", "long_id": "beefy", "n": 42, "f": 1.0, "s42": "42", "ok": true, "nothing": null,
  "tags": ["a", "b"], "user": {"name": "ada", "roles": ["admin"]},
  "items": [{"id": 1}, {"id": 2}]
}"#;

fn json_check(path: &str, expect: JsonExpect) -> JsonCheck {
    JsonCheck {
        path: path.to_owned(),
        expect,
        span: Span::default(),
    }
}

pub(super) fn eq(v: Value) -> JsonExpect {
    JsonExpect::Equals(v)
}

pub(super) fn re(source: &str) -> JsonExpect {
    JsonExpect::Matches(whole(source))
}

#[test]
fn assert_json() {
    let cases = [
        ("regex matches the whole value", "id", re("[0-9a-f]{4}"), None),
        (
            "regex must match the whole value, not a prefix",
            "long_id",
            re("[0-9a-f]{4}"),
            Some("JSON `long_id` does not match `[0-9a-f]{4}`: 'beefy'"),
        ),
        ("a number as text", "n", re(r"4\d"), None),
        ("bools render as `true`", "ok", re("true"), None),
        (
            "not Python's `True`",
            "ok",
            re("True"),
            Some("JSON `ok` does not match `True`: 'true'"),
        ),
        ("null renders as `null`", "nothing", re("null"), None),
        ("a list renders as compact JSON", "tags", re(r#"\["a","b"\]"#), None),
        ("number equality", "n", eq(json!(42)), None),
        (
            "number inequality",
            "n",
            eq(json!(43)),
            Some("JSON `n` is 42, expected 43"),
        ),
        ("1.0 in YAML equals 1.0 in JSON", "f", eq(json!(1)), None),
        (
            "a string is not a number: quotes show it",
            "s42",
            eq(json!(42)),
            Some(r#"JSON `s42` is "42", expected 42"#),
        ),
        ("bool equality", "ok", eq(json!(true)), None),
        ("null equality", "nothing", eq(Value::Null), None),
        ("list equality", "tags", eq(json!(["a", "b"])), None),
        (
            "map equality, any key order",
            "user",
            eq(json!({"roles": ["admin"], "name": "ada"})),
            None,
        ),
        ("[N] index", "items[1].id", eq(json!(2)), None),
        ("dotted index", "items.0.id", eq(json!(1)), None),
        (
            "missing key: the parent's keys are listed",
            "user.guid",
            re(".*"),
            Some("JSON `user.guid` not found: `user` has no key `guid` (it has `name`, `roles`)"),
        ),
        (
            "missing top-level key",
            "result",
            eq(json!(1)),
            Some(
                "JSON `result` not found: the top level has no key `result` \
                 (it has `id`, `long_id`, `n`, `f`, `s42`, `ok`, `nothing`, `tags`, ...)",
            ),
        ),
        (
            "index out of range",
            "items[5].id",
            eq(json!(1)),
            Some("JSON `items[5].id` not found: `items` has no index 5 (it has 2 items)"),
        ),
        (
            "index on a map",
            "user[0]",
            eq(json!(1)),
            Some("JSON `user[0]` not found: `user` is a map, not a list"),
        ),
        (
            "key on a number",
            "n.x",
            eq(json!(1)),
            Some("JSON `n.x` not found: `n` is a number, not a map"),
        ),
        (
            "key on a list element's scalar",
            "user.roles[0].x",
            eq(json!(1)),
            Some("JSON `user.roles[0].x` not found: `user.roles[0]` is a string, not a map"),
        ),
    ];
    for (comment, path, expect, want) in cases {
        let checks = HttpChecks {
            assert_json: vec![json_check(path, expect)],
            ..HttpChecks::default()
        };
        let got = check_http(&checks, &resp(200, &[], USER_JSON));
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
        assert!(got.iter().all(|f| f.kind == CheckKind::Json), "{comment}");
    }
}

#[test]
fn assert_json_equality_diffs() {
    let cases = [
        (
            "a scalar",
            "n",
            json!(43),
            "JSON `n` is 42, expected 43",
            "--- expected\n+++ actual\n@@ -1 +1 @@\n-43\n+42\n",
        ),
        (
            "a list: one line per item",
            "tags",
            json!(["a", "c"]),
            r#"JSON `tags` is ["a","b"], expected ["a","c"]"#,
            "--- expected\n+++ actual\n@@ -1,4 +1,4 @@\n [\n   \"a\",\n-  \"c\"\n+  \"b\"\n ]\n",
        ),
        (
            "a map: a changed value and a missing key",
            "user",
            json!({"name": "bob", "roles": ["admin"], "age": 7}),
            r#"JSON `user` is {"name":"ada","roles":["admin"]}, expected {"name":"bob","roles":["admin"],"age":7}"#,
            "--- expected\n+++ actual\n@@ -1,7 +1,6 @@\n {\n-  \"name\": \"bob\",\n+  \"name\": \"ada\",\n   \"roles\": [\n     \"admin\"\n-  ],\n-  \"age\": 7\n+  ]\n }\n",
        ),
    ];
    for (comment, path, expected, message, diff) in cases {
        let checks = HttpChecks {
            assert_json: vec![json_check(path, eq(expected))],
            ..HttpChecks::default()
        };
        let got = check_http(&checks, &resp(200, &[], USER_JSON));
        assert_eq!(messages(&got), [message], "{comment}");
        assert_eq!(got[0].diff.as_deref(), Some(diff), "{comment}");
    }
    let checks = HttpChecks {
        assert_json: vec![json_check("tags", eq(json!(["a"])))],
        ..HttpChecks::default()
    };
    let f = check_http(&checks, &resp(200, &[], USER_JSON)).remove(0);
    assert_eq!(
        (f.expected.as_str(), f.actual.as_str()),
        (r#"["a"]"#, r#"["a","b"]"#),
        "compact JSON"
    );
}

#[test]
fn assert_json_on_other_bodies() {
    let two = vec![json_check("a", eq(json!(1))), json_check("b", re("x"))];
    let checks = HttpChecks {
        assert_json: two.clone(),
        ..HttpChecks::default()
    };
    let got = check_http(&checks, &resp(200, &[], "<html>\n<b>Error</b></html>"));
    assert_eq!(messages(&got), ["response is not JSON"], "one failure for all entries");
    assert_eq!(
        (got[0].expected.as_str(), got[0].actual.as_str()),
        ("JSON", "<html> <b>Error</b></html>")
    );

    let got = check_http(
        &checks,
        &resp(200, &[("content-type", "text/plain")], r#"{"a": 1, "b": "x"}"#),
    );
    assert!(
        got.is_empty(),
        "a body that parses is JSON whatever the Content-Type: {got:?}"
    );

    let got = check_http(&checks, &resp(200, &[], r#"{"a": 2, "b": "y"}"#));
    assert_eq!(
        messages(&got),
        ["JSON `a` is 2, expected 1", "JSON `b` does not match `x`: 'y'"],
        "every entry is checked, in order"
    );
}

/// A listing-like page, as the original's tests used.
#[cfg(feature = "xpath")]
const LISTING: &str = r#"<!DOCTYPE html>
<html>
<head><title>Index of /docs</title></head>
<body>
  <div class="logo"><img src="/logo.png" alt="logo"></div>
  <h1>
    Index of /docs
  </h1>
  <table>
    <tr><td><a href="a.txt">a.txt</a></td></tr>
    <tr><td><a href="b.txt">b.txt</a></td></tr>
  </table>
</body>
</html>"#;

#[cfg(feature = "xpath")]
fn html_check(xpath: &str, expect: HtmlExpect) -> HtmlCheck {
    HtmlCheck {
        xpath: xpath.to_owned(),
        expect,
        span: Span::default(),
    }
}

#[cfg(feature = "xpath")]
#[test]
fn assert_html() {
    let text = |s: &str| HtmlExpect::TextMatches(pat(s));
    let cases = [
        ("exists", "//*[@class='logo']", HtmlExpect::Exists, None),
        (
            "exists, but no node",
            "//*[@class='nologo']",
            HtmlExpect::Exists,
            Some("XPath `//*[@class='nologo']` matched 0 nodes (expected at least 1)"),
        ),
        ("absent", "//div[@class='nologo']", HtmlExpect::Absent, None),
        (
            "absent, but one node",
            "//h1",
            HtmlExpect::Absent,
            Some("XPath `//h1` matched 1 node (expected none)"),
        ),
        (
            "absent, but two nodes",
            "//a",
            HtmlExpect::Absent,
            Some("XPath `//a` matched 2 nodes (expected none)"),
        ),
        ("count", "//a", HtmlExpect::Count(2), None),
        ("count 0", "//form", HtmlExpect::Count(0), None),
        (
            "count wrong",
            "//tr",
            HtmlExpect::Count(3),
            Some("XPath `//tr` matched 2 nodes (expected 3)"),
        ),
        (
            "text of the first node, trimmed",
            "//h1",
            text("^Index of /docs$"),
            None,
        ),
        ("text includes descendants", "//table", text(r"a\.txt\s+b\.txt"), None),
        ("an attribute's value", "//a/@href", text(r"^a\.txt$"), None),
        (
            "first node only",
            "//a",
            text("^b"),
            Some("XPath `//a` text does not match `^b`: 'a.txt'"),
        ),
        (
            "text mismatch",
            "//title",
            text("Welcome"),
            Some("XPath `//title` text does not match `Welcome`: 'Index of /docs'"),
        ),
        (
            "text on no node",
            "//h2",
            text("x"),
            Some("XPath `//h2` matched 0 nodes (expected a node whose text matches `x`)"),
        ),
    ];
    for (comment, xpath, expect, want) in cases {
        let checks = HttpChecks {
            assert_html: vec![html_check(xpath, expect)],
            ..HttpChecks::default()
        };
        let got = check_http(&checks, &resp(200, &[], LISTING));
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
        assert!(got.iter().all(|f| f.kind == CheckKind::Html), "{comment}");
    }
    let checks = HttpChecks {
        assert_html: vec![html_check("//a", HtmlExpect::Count(3))],
        ..HttpChecks::default()
    };
    let f = check_http(&checks, &resp(200, &[], LISTING)).remove(0);
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("3", "2 nodes"));
}

#[cfg(feature = "xpath")]
#[test]
fn assert_html_on_other_bodies() {
    let checks = HttpChecks {
        assert_html: vec![
            html_check("//a", HtmlExpect::Exists),
            html_check("//b", HtmlExpect::Absent),
        ],
        ..HttpChecks::default()
    };
    let got = check_http(&checks, &resp(200, &[], r#"{"a": 1}"#));
    assert_eq!(
        messages(&got),
        ["response is JSON, not HTML"],
        "one failure for all entries"
    );
    let got = check_http(&checks, &resp(200, &[], "just <a>text</a>"));
    assert!(got.is_empty(), "a fragment is HTML: {got:?}");
}

#[cfg(feature = "xpath")]
#[test]
fn check_http_runs_everything_in_order() {
    let checks = HttpChecks {
        assert_status: Some(vec![201]),
        assert_match_headers: Some(pat("'DAV'")),
        assert_headers: vec![header("X-Token", ".")],
        assert_json: vec![json_check("a", eq(json!(1)))],
        assert_html: vec![html_check("//p", HtmlExpect::Exists)],
        ..HttpChecks::default()
    };
    let got = check_http(&checks, &resp(200, &[], "<p>hi</p>"));
    assert_eq!(
        messages(&got),
        [
            "headers do not match `'DAV'`",
            "header `X-Token` is missing",
            "response is not JSON"
        ],
        "status is left to check_status; html passes"
    );
}
