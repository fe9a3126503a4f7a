//! Table-driven tests for checks and stores. Every row has a `comment`; failing rows compare the
//! exact message, which is what users read after "activity failed: ".

use std::time::Duration;

use serde_json::{Value, json};

use super::text::{format_secs_pair, py_repr};
use super::*;
use crate::scenario::{CommonArgs, HttpChecks, Pattern, PatternMode};

mod body;
mod read;
mod store;
mod vars;

/// A pattern as the loader compiles `assert_match`, `assert_headers`, `store_regex`, ...: searched,
/// multi-line (a template when it holds `$(var)`).
fn pat(source: &str) -> Pattern {
    Pattern::new(source, PatternMode::Search, Span::default()).unwrap()
}

/// A pattern as the loader compiles an `assert_json` string: anchored to the whole value.
fn whole(source: &str) -> Pattern {
    Pattern::new(source, PatternMode::Whole, Span::default()).unwrap()
}

/// `check_http` for a session without variables.
fn check_http(checks: &HttpChecks, resp: &Response) -> Vec<CheckFailure> {
    super::check_http(
        checks,
        resp,
        &mut Vars {
            ctx: &Context::new(),
            cache: &mut PatternCache::default(),
        },
    )
}

/// `check_common` for a session without variables.
fn check_common(common: &CommonArgs, result: &ActivityResult, elapsed: Duration) -> Vec<CheckFailure> {
    super::check_common(
        common,
        result,
        elapsed,
        &mut Vars {
            ctx: &Context::new(),
            cache: &mut PatternCache::default(),
        },
    )
}

/// `apply_stores` with a fresh pattern cache.
fn apply_stores(stores: &[crate::scenario::Store], result: &ActivityResult, ctx: &mut Context) -> Vec<CheckFailure> {
    super::apply_stores(stores, result, ctx, &mut PatternCache::default())
}

use crate::expand::Context;

/// A response with these headers, names as received.
fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    let headers = headers
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    Response::new(
        "http://localhost/x".into(),
        status,
        headers,
        body.as_bytes().to_vec(),
        Duration::ZERO,
    )
}

fn messages(failures: &[CheckFailure]) -> Vec<String> {
    failures.iter().map(|f| f.message.clone()).collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn canonical_header_names() {
    // (comment, input, canonical)
    let cases = [
        ("title case per part", "content-type", "Content-Type"),
        ("upper-case input is lowered first", "CONTENT-LENGTH", "Content-Length"),
        ("already canonical stays", "Content-Type", "Content-Type"),
        ("single part", "server", "Server"),
        ("DAV, as the original's `.*'DAV'.*` expects", "dav", "DAV"),
        ("ETag is mixed case", "etag", "ETag"),
        ("WWW prefix", "www-authenticate", "WWW-Authenticate"),
        ("XSS in the middle", "x-xss-protection", "X-XSS-Protection"),
        ("MD5 suffix", "content-md5", "Content-MD5"),
        ("TE alone", "te", "TE"),
        ("DNT alone", "dnt", "DNT"),
        ("ID suffix", "x-request-id", "X-Request-ID"),
        ("P3P", "p3p", "P3P"),
        ("CSP", "x-webkit-csp", "X-Webkit-CSP"),
        (
            "WebSocket is mixed case",
            "sec-websocket-accept",
            "Sec-WebSocket-Accept",
        ),
        ("client hints", "sec-ch-ua", "Sec-CH-UA"),
        ("IP", "x-real-ip", "X-Real-IP"),
        ("DNS", "x-dns-prefetch-control", "X-DNS-Prefetch-Control"),
        ("HTTP2", "http2-settings", "HTTP2-Settings"),
        ("NEL", "nel", "NEL"),
        (
            "only whole parts are special (`identity` is not `ID`)",
            "x-identity",
            "X-Identity",
        ),
        ("custom header", "x-my-thing", "X-My-Thing"),
        ("empty parts are kept", "a--b", "A--B"),
        ("empty name", "", ""),
    ];
    for (comment, input, want) in cases {
        assert_eq!(canonical_header_name(input), want, "{comment}");
    }
}

#[test]
fn shorten_table() {
    // (comment, text, max, excerpt)
    let cases = [
        ("short text unchanged", "hello", 10, "hello"),
        ("empty", "", 10, ""),
        (
            "whitespace runs and newlines collapse, ends trimmed",
            "  a\n\n\t b  c \r\n",
            10,
            "a b c",
        ),
        ("exactly max fits", "0123456789", 10, "0123456789"),
        (
            "collapsing happens before measuring",
            "01234\n\n\n\n\n56789",
            11,
            "01234 56789",
        ),
        (
            "long: 9 of head, ` [...] `, a fifth of max (4) as tail; 20 in all",
            "0123456789abcdefghijklmnopqrstuvwxyz",
            20,
            "012345678 [...] wxyz",
        ),
        ("characters, not bytes", "äöüäöüäöüäöüäöüäöüäöü", 15, "äöüäö [...] äöü"),
        (
            "spaces at the cut are trimmed",
            "aaaa bbbb cccc ddd ee",
            15,
            "aaaa [...] ee",
        ),
        ("too small for a gap: plain cut", "0123456789", 5, "01234"),
    ];
    for (comment, text, max, want) in cases {
        assert_eq!(shorten(text, max), want, "{comment}");
    }
}

#[test]
fn python_repr_of_strings() {
    let cases = [
        ("plain text in single quotes", "abc", "'abc'"),
        ("a single quote switches to double quotes", "it's", "\"it's\""),
        ("both quotes: single quotes, escaped", "it's \"x\"", "'it\\'s \"x\"'"),
        (
            "backslash and control characters escaped",
            "a\\b\n\t\x01",
            "'a\\\\b\\n\\t\\x01'",
        ),
        ("non-ASCII printable kept", "grün", "'grün'"),
    ];
    for (comment, input, want) in cases {
        assert_eq!(py_repr(input), want, "{comment}");
    }
}

#[test]
fn seconds_formatting() {
    let cases = [
        ("milliseconds, zeros trimmed", ms(304), ms(100), ("0.304s", "0.1s")),
        (
            "whole seconds have no point",
            Duration::from_secs(2),
            ms(1500),
            ("2s", "1.5s"),
        ),
        (
            "more digits when ms would read equal",
            Duration::from_micros(100_400),
            ms(100),
            ("0.1004s", "0.1s"),
        ),
        (
            "rounded to ms",
            Duration::from_micros(304_499),
            ms(100),
            ("0.304s", "0.1s"),
        ),
    ];
    for (comment, value, limit, (v, l)) in cases {
        assert_eq!(
            format_secs_pair(value, limit),
            (v.to_owned(), l.to_owned()),
            "{comment}"
        );
    }
}

#[test]
fn status() {
    // (comment, assert_status, status, message); `&[]` stands for no `assert_status`.
    let cases: [(&str, &[u16], u16, Option<&str>); 11] = [
        ("default: 200 passes", &[], 200, None),
        ("default: 204 passes (any 2xx)", &[], 204, None),
        (
            "default: a 302 the client did not follow fails (no redirect following here)",
            &[],
            302,
            Some("HTTP status 302 Found (expected 2xx)"),
        ),
        (
            "default: 404 fails",
            &[],
            404,
            Some("HTTP status 404 Not Found (expected 2xx)"),
        ),
        (
            "default: 500 fails",
            &[],
            500,
            Some("HTTP status 500 Internal Server Error (expected 2xx)"),
        ),
        (
            "default: no reason phrase for an unknown code",
            &[],
            599,
            Some("HTTP status 599 (expected 2xx)"),
        ),
        ("[201]: 201 passes", &[201], 201, None),
        (
            "[201]: 200 fails, though 2xx",
            &[201],
            200,
            Some("HTTP status 200 OK not in [201]"),
        ),
        ("[404, 410]: an accepted 404 passes", &[404, 410], 404, None),
        ("[404, 410]: 410 passes", &[404, 410], 410, None),
        (
            "[404, 410]: 500 fails, the list is shown",
            &[404, 410],
            500,
            Some("HTTP status 500 Internal Server Error not in [404, 410]"),
        ),
    ];
    for (comment, accepted, status, want) in cases {
        let checks = HttpChecks {
            assert_status: (!accepted.is_empty()).then(|| accepted.to_vec()),
            ..HttpChecks::default()
        };
        let got = check_status(&checks, &resp(status, &[], ""));
        assert_eq!(got.as_ref().map(|f| f.message.as_str()), want, "{comment}");
        assert!(got.iter().all(|f| f.kind == CheckKind::Status), "{comment}");
    }
}

#[test]
fn status_failure_fields() {
    let checks = HttpChecks {
        assert_status: Some(vec![201, 202]),
        ..HttpChecks::default()
    };
    let f = check_status(&checks, &resp(200, &[], "")).unwrap();
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("[201, 202]", "200 OK"));
    assert_eq!((f.diff, f.span), (None, None));
    let f = check_status(&HttpChecks::default(), &resp(404, &[], "")).unwrap();
    assert_eq!((f.expected.as_str(), f.actual.as_str()), ("2xx", "404 Not Found"));
    assert_eq!(f.to_string(), f.message, "Display is the message");
}

#[test]
fn assert_match() {
    let long = format!("<html>\n<body>\n{}\n</body>\n</html>", "Error 503. ".repeat(30));
    struct Case {
        comment: &'static str,
        pattern: &'static str,
        result: ActivityResult,
        want: Option<String>,
    }
    let body = |text: &str| ActivityResult::Response(resp(200, &[], text));
    let cases = [
        Case {
            comment: "a partial match is enough (search)",
            pattern: "come",
            result: body("Welcome home"),
            want: None,
        },
        Case {
            comment: "(?i) works",
            pattern: "(?i)welcome",
            result: body("WELCOME"),
            want: None,
        },
        Case {
            comment: "multi-line: ^ and $ anchor at each line",
            pattern: "^status: ok$",
            result: body("first\nstatus: ok\nlast"),
            want: None,
        },
        Case {
            comment: "raw body text for JSON bodies (not Python repr)",
            pattern: r#""status": "ok""#,
            result: body(r#"{"status": "ok"}"#),
            want: None,
        },
        Case {
            comment: "a value result is matched as its text rendering",
            pattern: r#"^\{"a":1\}$"#,
            result: ActivityResult::Value(json!({"a": 1})),
            want: None,
        },
        Case {
            comment: "a string value without quotes",
            pattern: "^done$",
            result: ActivityResult::Value(json!("done")),
            want: None,
        },
        Case {
            comment: "failure quotes the text, whitespace collapsed",
            pattern: "Welcome",
            result: body("Service\n  unavailable"),
            want: Some("result does not match `Welcome`: 'Service unavailable'".into()),
        },
        Case {
            comment: "a long body is shortened to 200 characters with [...]",
            pattern: "Welcome",
            result: body(&long),
            // 200 characters: a head of 153 (14 + 12 × 11 + 7), ` [...] `, a tail of 40.
            want: Some(format!(
                "result does not match `Welcome`: '<html> <body> {}Error 5 [...] 3. Error 503. Error 503. </body> </html>'",
                "Error 503. ".repeat(12)
            )),
        },
        Case {
            comment: "no result at all is empty text",
            pattern: "x",
            result: ActivityResult::Nothing,
            want: Some("result does not match `x`: ''".into()),
        },
    ];
    for c in cases {
        let common = CommonArgs {
            assert_match: Some(pat(c.pattern)),
            ..CommonArgs::default()
        };
        let got = check_common(&common, &c.result, Duration::ZERO);
        assert_eq!(messages(&got), c.want.into_iter().collect::<Vec<_>>(), "{}", c.comment);
    }
}

#[test]
fn assert_match_failure_fields() {
    let common = CommonArgs {
        assert_match: Some(pat("Welcome")),
        ..CommonArgs::default()
    };
    let result = ActivityResult::Response(resp(200, &[], "Service\n  unavailable"));
    let f = check_common(&common, &result, Duration::ZERO).remove(0);
    assert_eq!(f.kind, CheckKind::Match);
    assert_eq!(
        (f.expected.as_str(), f.actual.as_str()),
        ("Welcome", "Service unavailable")
    );
    // The pattern against the body excerpt, as a diff for JUnit reports and failure messages.
    assert_eq!(
        f.diff.as_deref(),
        Some("--- expected\n+++ actual\n@@ -1 +1 @@\n-Welcome\n+Service unavailable\n")
    );
    assert_eq!(f.span, Some(Span::default()));
}

#[test]
fn assert_max_time() {
    let cases = [
        ("well under the limit passes", ms(20), ms(100), None),
        ("exactly the limit passes", ms(100), ms(100), None),
        (
            "over the limit fails",
            ms(304),
            ms(100),
            Some("execution time 0.304s exceeds the limit of 0.1s"),
        ),
        (
            "seconds",
            ms(2500),
            Duration::from_secs(2),
            Some("execution time 2.5s exceeds the limit of 2s"),
        ),
        (
            "just over: enough digits to differ",
            Duration::from_micros(100_400),
            ms(100),
            Some("execution time 0.1004s exceeds the limit of 0.1s"),
        ),
    ];
    for (comment, elapsed, limit, want) in cases {
        let common = CommonArgs {
            assert_max_time: Some(limit),
            ..CommonArgs::default()
        };
        let got = check_common(&common, &ActivityResult::Nothing, elapsed);
        assert_eq!(messages(&got), want.into_iter().collect::<Vec<_>>(), "{comment}");
    }
    let common = CommonArgs {
        assert_max_time: Some(ms(100)),
        ..CommonArgs::default()
    };
    let f = check_common(&common, &ActivityResult::Nothing, ms(304)).remove(0);
    assert_eq!(
        (f.kind, f.expected.as_str(), f.actual.as_str()),
        (CheckKind::MaxTime, "0.1s", "0.304s")
    );
}

#[test]
fn common_checks_collect_all_failures_in_order() {
    let common = CommonArgs {
        assert_match: Some(pat("ok")),
        assert_max_time: Some(ms(100)),
        ..CommonArgs::default()
    };
    let got = check_common(&common, &ActivityResult::Value(Value::Null), ms(304));
    assert_eq!(
        messages(&got),
        [
            "result does not match `ok`: 'null'",
            "execution time 0.304s exceeds the limit of 0.1s"
        ],
        "match first, then max time"
    );
}
