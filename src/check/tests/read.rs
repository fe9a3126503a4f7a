//! How checks read a body: RFC 9535 JSONPath beside the dotted paths, `absent`, store_header's line
//! choice, and bodies that are compressed or in another charset.

use serde_json::json;
use std::io::Write;

use super::body::{eq, re};
use super::*;
use crate::scenario::{HeaderLine, JsonCheck, JsonExpect, Span, Store, StoreSource};

/// A list at the top level, keys with `-`, and values for filters.
const ITEMS: &str = r#"[
  {"id": 1, "name": "apple", "in-stock": true, "price": 3, "tags": ["red", "fruit"]},
  {"id": 2, "name": "pear", "in-stock": false, "price": 5, "tags": ["fruit"]},
  {"id": 3, "name": "kale", "in-stock": true, "price": 2, "tags": []}
]"#;

fn check(path: &str, expect: JsonExpect) -> HttpChecks {
    HttpChecks {
        assert_json: vec![JsonCheck {
            path: path.to_owned(),
            expect,
            span: Span::default(),
        }],
        ..HttpChecks::default()
    }
}

#[test]
fn json_paths_per_rfc_9535_and_the_dotted_ones() {
    let body = r#"{"result": {"user_guid": "{X}", "a-b": 1}, "items": [{"id": 7}], "empty": []}"#;
    // (comment, body, path, expectation, failure)
    let cases = [
        ("dotted, as the original", body, "result.user_guid", re("[{]X[}]"), None),
        ("dotted index", body, "items[0].id", eq(json!(7)), None),
        ("dotted key with -", body, "result.a-b", eq(json!(1)), None),
        ("root array", ITEMS, "$[0].name", re("apple"), None),
        ("last element", ITEMS, "$[-1].name", re("kale"), None),
        ("bracket key with -", ITEMS, "$[0]['in-stock']", eq(json!(true)), None),
        ("the root itself", body, "$.empty", eq(json!([])), None),
        (
            "wildcard: a list expected is the node list",
            ITEMS,
            "$[*].id",
            eq(json!([1, 2, 3])),
            None,
        ),
        ("slice", ITEMS, "$[1:].name", eq(json!(["pear", "kale"])), None),
        (
            "filter, every node must match",
            ITEMS,
            "$[?@.price < 4].name",
            re("apple|kale"),
            None,
        ),
        (
            "filter with length()",
            ITEMS,
            "$[?length(@.tags) == 2].name",
            re("apple"),
            None,
        ),
        (
            "filter with count()",
            ITEMS,
            "$[?count(@.tags[*]) == 0].id",
            eq(json!(3)),
            None,
        ),
        ("descendants", ITEMS, "$..tags[0]", eq(json!(["red", "fruit"])), None),
        (
            "a filter node that does not match",
            ITEMS,
            "$[?@.price < 4].name",
            re("apple"),
            Some("JSON `$[?@.price < 4].name` (value 2 of 2) does not match `apple`: 'kale'"),
        ),
        (
            "a singular path that selects nothing",
            ITEMS,
            "$[9].name",
            re("."),
            Some("JSON `$[9].name` not found: it selects nothing"),
        ),
        (
            "a filter that selects nothing",
            ITEMS,
            "$[?@.price > 100]",
            eq(json!(1)),
            Some("JSON `$[?@.price > 100]` not found: it selects nothing"),
        ),
        (
            "a malformed JSONPath (a model built around the loader)",
            ITEMS,
            "$[",
            eq(json!(1)),
            Some("invalid JSON path `$[`: "),
        ),
    ];
    for (comment, body, path, expect, want) in cases {
        let got = check_http(&check(path, expect), &resp(200, &[], body));
        match want {
            None => assert!(got.is_empty(), "{comment}: {:?}", messages(&got)),
            Some(want) => {
                assert_eq!(got.len(), 1, "{comment}");
                assert!(got[0].message.starts_with(want), "{comment}: {}", got[0].message);
            }
        }
    }
}

#[test]
fn absent_paths() {
    let body = r#"{"user": {"name": "ada", "nothing": null}, "list": [1]}"#;
    // (comment, path, failure)
    let cases = [
        ("a missing key", "user.email", None),
        ("a path through a number", "list.0.x", None),
        ("a missing JSONPath member", "$.user.email", None),
        ("an empty filter result", "$.list[?@ > 5]", None),
        (
            "a null value is present",
            "user.nothing",
            Some("JSON `user.nothing` is present (expected absent): null"),
        ),
        (
            "a present value",
            "$.user.name",
            Some("JSON `$.user.name` is present (expected absent): \"ada\""),
        ),
        (
            "nodes selected",
            "$.list[*]",
            Some("JSON `$.list[*]` selects 1 value (expected absent): [1]"),
        ),
    ];
    for (comment, path, want) in cases {
        let got = check_http(&check(path, JsonExpect::Absent), &resp(200, &[], body));
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
    }
}

fn store(var: &str, source: StoreSource) -> Store {
    Store {
        var: var.into(),
        source,
        span: Span::default(),
    }
}

#[test]
fn stores_read_json_paths_and_chosen_header_lines() {
    let headers: &[(&str, &str)] = &[("set-cookie", "a=1"), ("x-one", "1"), ("set-cookie", "b=2")];
    let result = ActivityResult::Response(resp(200, headers, ITEMS));
    let header = |name: &str, line| StoreSource::Header(name.to_owned(), line);
    let stores = [
        store("first", StoreSource::Json("$[0].name".into())),
        store("names", StoreSource::Json("$[*].name".into())),
        store("cookie", header("Set-Cookie", HeaderLine::First)),
        store("second", header("set-cookie", HeaderLine::Index(1))),
        store("last", header("Set-Cookie", HeaderLine::Index(-1))),
        store("all", header("Set-Cookie", HeaderLine::All)),
    ];
    let mut ctx = Context::new();
    let failures = apply_stores(&stores, &result, &mut ctx);
    assert!(failures.is_empty(), "{:?}", messages(&failures));
    assert_eq!(
        Value::Object(ctx.into_vars()),
        json!({
            "first": "apple", "names": ["apple", "pear", "kale"], "cookie": "a=1", "second": "b=2",
            "last": "b=2", "all": ["a=1", "b=2"],
        })
    );
    let mut ctx = Context::new();
    let missing = [
        store("third", header("Set-Cookie", HeaderLine::Index(2))),
        store("none", header("X-None", HeaderLine::All)),
        store("nothing", StoreSource::Json("$[5]".into())),
    ];
    assert_eq!(
        messages(&apply_stores(&missing, &result, &mut ctx)),
        [
            "store_header could not find line 2 of header `Set-Cookie`: it has 2 lines",
            "store_header could not find header `X-None` in the response",
            "store_json could not find `$[5]` in the result: it selects nothing",
        ]
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn raw_resp(headers: &[(&str, &str)], body: Vec<u8>) -> Response {
    let mut r = resp(200, headers, "");
    r.received = body.len() as u64;
    r.body = body;
    r
}

#[test]
fn checks_read_compressed_bodies_in_their_charset() {
    let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("{\"city\": \"Zürich\"}");
    let r = raw_resp(
        &[
            ("content-type", "application/json; charset=iso-8859-1"),
            ("content-encoding", "gzip"),
        ],
        gzip(&latin1),
    );
    let got = check_http(&check("city", re("Zürich")), &r);
    assert!(got.is_empty(), "{:?}", messages(&got));
    let got = check_http(&check("city", re("Zurich")), &r);
    assert_eq!(
        messages(&got),
        [
            "JSON `city` does not match `Zurich`: 'Zürich' (body decoded from gzip; read as windows-1252 (Content-Type charset=iso-8859-1))"
        ]
    );
    let r = raw_resp(&[("content-encoding", "gzip")], gzip(b"plain \xff text"));
    let common = CommonArgs {
        assert_match: Some(pat("nothing")),
        ..CommonArgs::default()
    };
    let got = check_common(&common, &ActivityResult::Response(r), Duration::ZERO);
    assert_eq!(
        messages(&got),
        [
            "result does not match `nothing`: 'plain \u{fffd} text' (body decoded from gzip; malformed bytes in UTF-8 (the default) replaced by U+FFFD)"
        ]
    );
}

#[test]
fn a_body_that_cannot_be_decoded_fails_each_check_that_reads_it() {
    let r = raw_resp(&[("content-encoding", "compress")], b"\x1f\x9d...".to_vec());
    let got = check_http(&check("a", eq(json!(1))), &r);
    assert_eq!(
        messages(&got),
        [
            "response body cannot be read: unknown Content-Encoding `compress` (stressor decodes gzip, deflate, br and zstd); set `decompress: false` to check the body as received"
        ]
    );
    // With `decompress: false` the body is read as it came.
    let r = raw_resp(&[("content-encoding", "gzip")], gzip(b"{\"a\": 1}")).with_reading(BodyReading {
        decompress: false,
        ..BodyReading::default()
    });
    assert_eq!(
        messages(&check_http(&check("a", eq(json!(1))), &r)),
        ["response is not JSON (malformed bytes in UTF-8 (the default) replaced by U+FFFD)"]
    );
    assert!(r.text().expect("raw bytes as text").starts_with('\u{1f}'));
}
