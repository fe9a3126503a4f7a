//! `apply_stores`: `store_json`, `store_header`, `store_regex`.

use serde_json::json;

use super::*;
use crate::expand::Context;
use crate::scenario::{HeaderLine, Store, StoreSource};

fn store(var: &str, source: StoreSource) -> Store {
    Store {
        var: var.to_owned(),
        source,
        span: Span::default(),
    }
}

fn body(text: &str) -> ActivityResult {
    ActivityResult::Response(resp(200, &[("x-token", "tok-1"), ("etag", "\"v7\"")], text))
}

const BODY: &str = r#"{"user": {"guid": "g-1", "age": 7}, "items": [{"id": 10}, {"id": 11}], "ok": true}"#;

#[test]
fn stores() {
    struct Case {
        comment: &'static str,
        source: StoreSource,
        result: ActivityResult,
        /// The stored value, or the failure message.
        want: Result<Value, &'static str>,
    }
    let json_path = |p: &str| StoreSource::Json(p.to_owned());
    let header = |h: &str| StoreSource::Header(h.to_owned(), HeaderLine::First);
    let regex = |p: &str| StoreSource::Regex(pat(p));
    let cases = [
        Case {
            comment: "json: a nested string",
            source: json_path("user.guid"),
            result: body(BODY),
            want: Ok(json!("g-1")),
        },
        Case {
            comment: "json: a number stays a number",
            source: json_path("user.age"),
            result: body(BODY),
            want: Ok(json!(7)),
        },
        Case {
            comment: "json: [0] index",
            source: json_path("items[0].id"),
            result: body(BODY),
            want: Ok(json!(10)),
        },
        Case {
            comment: "json: dotted index",
            source: json_path("items.1.id"),
            result: body(BODY),
            want: Ok(json!(11)),
        },
        Case {
            comment: "json: a whole list",
            source: json_path("items"),
            result: body(BODY),
            want: Ok(json!([{"id": 10}, {"id": 11}])),
        },
        Case {
            comment: "json: a bool",
            source: json_path("ok"),
            result: body(BODY),
            want: Ok(json!(true)),
        },
        Case {
            comment: "json: a script's value",
            source: json_path("a.b"),
            result: ActivityResult::Value(json!({"a": {"b": [1]}})),
            want: Ok(json!([1])),
        },
        Case {
            comment: "json: missing key",
            source: json_path("user.name"),
            result: body(BODY),
            want: Err(
                "store_json could not find `user.name` in the result: `user` has no key `name` (it has `guid`, `age`)",
            ),
        },
        Case {
            comment: "json: index out of range",
            source: json_path("items[2]"),
            result: body(BODY),
            want: Err("store_json could not find `items[2]` in the result: `items` has no index 2 (it has 2 items)"),
        },
        Case {
            comment: "json: not JSON, with an excerpt",
            source: json_path("x.y"),
            result: body("<html>\n  Internal error\n</html>"),
            want: Err("store_json could not find `x.y` in the result (not JSON): '<html> Internal error </html>'"),
        },
        Case {
            comment: "json: no result",
            source: json_path("x"),
            result: ActivityResult::Nothing,
            want: Err("store_json could not find `x` in the result (not JSON): ''"),
        },
        Case {
            comment: "header: case-insensitive",
            source: header("x-TOKEN"),
            result: body(""),
            want: Ok(json!("tok-1")),
        },
        Case {
            comment: "header: the raw value",
            source: header("ETag"),
            result: body(""),
            want: Ok(json!("\"v7\"")),
        },
        Case {
            comment: "header: missing",
            source: header("X-Session"),
            result: body(""),
            want: Err("store_header could not find header `X-Session` in the response"),
        },
        Case {
            comment: "header: not a response",
            source: header("X-Token"),
            result: ActivityResult::Value(json!("x")),
            want: Err("store_header could not find header `X-Token`: the result is not an HTTP response"),
        },
        Case {
            comment: "regex: group 1",
            source: regex(r#""guid": "([^"]+)""#),
            result: body(BODY),
            want: Ok(json!("g-1")),
        },
        Case {
            comment: "regex: no group, the whole match",
            source: regex(r"g-\d+"),
            result: body(BODY),
            want: Ok(json!("g-1")),
        },
        Case {
            comment: "regex: only the first group of several",
            source: regex(r#""id": (\d)(\d)"#),
            result: body(BODY),
            want: Ok(json!("1")),
        },
        Case {
            comment: "regex: a number is stored as text",
            source: regex(r#""age": (\d+)"#),
            result: body(BODY),
            want: Ok(json!("7")),
        },
        Case {
            comment: "regex: on a value's text",
            source: regex(r"^id=(\w+)$"),
            result: ActivityResult::Value(json!("id=abc")),
            want: Ok(json!("abc")),
        },
        Case {
            comment: "regex: no match, with an excerpt",
            source: regex(r"token=(\w+)"),
            result: body("no\ntoken here"),
            want: Err(r"store_regex found no match for `token=(\w+)` in the result: 'no token here'"),
        },
        Case {
            comment: "regex: matched, but an optional group did not take part",
            source: regex(r"guid(=\w+)?"),
            result: body(BODY),
            want: Err(r"store_regex `guid(=\w+)?` matched 'guid', but its group 1 captured nothing"),
        },
    ];
    for c in cases {
        let mut ctx = Context::new();
        ctx.insert("keep".into(), json!("old"));
        let got = apply_stores(&[store("v", c.source)], &c.result, &mut ctx);
        match c.want {
            Ok(value) => {
                assert_eq!(messages(&got), Vec::<String>::new(), "{}", c.comment);
                assert_eq!(ctx.get("v"), Some(&value), "{}", c.comment);
            }
            Err(message) => {
                assert_eq!(messages(&got), [message], "{}", c.comment);
                assert_eq!(got[0].kind, CheckKind::Store, "{}", c.comment);
                assert_eq!(ctx.get("v"), None, "{}: nothing stored", c.comment);
            }
        }
        assert_eq!(
            ctx.get("keep"),
            Some(&json!("old")),
            "{}: other variables untouched",
            c.comment
        );
    }
}

#[test]
fn stores_apply_independently_in_order() {
    let stores = [
        store("guid", StoreSource::Json("user.guid".into())),
        store("missing", StoreSource::Header("X-None".into(), HeaderLine::First)),
        store("guid", StoreSource::Regex(pat(r#""id": (\d+)"#))),
    ];
    let mut ctx = Context::new();
    let got = apply_stores(&stores, &body(BODY), &mut ctx);
    assert_eq!(
        messages(&got),
        ["store_header could not find header `X-None` in the response"]
    );
    assert_eq!(
        (got[0].expected.as_str(), got[0].actual.as_str()),
        ("X-None", "(missing)")
    );
    assert_eq!(
        ctx.get("guid"),
        Some(&json!("10")),
        "a later store of the same variable wins"
    );
    assert!(!ctx.contains_key("missing"));
}
