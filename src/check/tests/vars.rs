//! `$(var)` in checks and stores: literal embedded values, whole-value patterns and typed JSON
//! values, errors, and the bounded per-session pattern cache.

use serde_json::json;

use super::*;
use crate::scenario::{HeaderLine, JsonCheck, JsonExpect, Store, StoreSource};

fn ctx(value: Value) -> Context {
    value.as_object().cloned().unwrap().into()
}

fn common_match(pattern: &str) -> CommonArgs {
    CommonArgs {
        assert_match: Some(pat(pattern)),
        ..CommonArgs::default()
    }
}

/// The failures of `assert_match: pattern` on `body` with these variables.
fn matched(pattern: &str, body: &str, vars: &Context) -> Vec<CheckFailure> {
    let result = ActivityResult::Response(resp(200, &[], body));
    super::super::check_common(
        &common_match(pattern),
        &result,
        Duration::ZERO,
        &mut Vars {
            ctx: vars,
            cache: &mut PatternCache::default(),
        },
    )
}

#[test]
fn an_embedded_variable_matches_its_value_literally() {
    let vars = ctx(json!({"sid": "a.b+c", "n": 7}));
    #[rustfmt::skip]
    let cases = [
        ("the value, dots and pluses as written", "sid=$(sid);", "x sid=a.b+c; y", true),
        ("a dot in the value is not a wildcard", "sid=$(sid);", "sid=aXbbc;", false),
        ("the rest of the pattern is still a regex", r"^id: \d+ $(n)$", "id: 42 7", true),
        ("a number renders as text", "n=$(n)", "n=7", true),
    ];
    for (comment, pattern, body, ok) in cases {
        assert_eq!(matched(pattern, body, &vars).is_empty(), ok, "{comment}");
    }
}

#[test]
fn a_pattern_that_is_one_variable_uses_its_value_as_the_pattern() {
    let vars = ctx(json!({"re": "^[0-9]+$", "bad": "(unclosed"}));
    assert!(matched("$(re)", "12345", &vars).is_empty());
    assert_eq!(matched("$(re)", "12a45", &vars).len(), 1);
    let f = matched("$(bad)", "x", &vars).remove(0);
    assert!(
        f.message
            .starts_with("`assert_match` pattern `$(bad)` expands to `(unclosed`, which is not a valid regex: "),
        "{}",
        f.message
    );
    assert!(!f.unexpanded, "an invalid expanded regex is an assertion failure");
}

#[test]
fn an_unknown_variable_fails_the_check_as_a_variable_error() {
    let f = matched("sid=$(sesion_id)", "sid=t01", &ctx(json!({"session_id": "t01"}))).remove(0);
    assert!(f.unexpanded);
    assert_eq!(
        f.message,
        "cannot expand `sid=$(sesion_id)` in `assert_match`: unknown variable `sesion_id` (did you mean `session_id`?)"
    );
}

fn json_failures(checks: Vec<JsonCheck>, body: Value, vars: &Context) -> Vec<CheckFailure> {
    let http = HttpChecks {
        assert_json: checks,
        ..HttpChecks::default()
    };
    super::super::check_http(
        &http,
        &resp(200, &[], &body.to_string()),
        &mut Vars {
            ctx: vars,
            cache: &mut PatternCache::default(),
        },
    )
}

fn json_check(path: &str, expect: JsonExpect) -> JsonCheck {
    JsonCheck {
        path: path.to_owned(),
        expect,
        span: Span::default(),
    }
}

#[test]
fn assert_json_keeps_a_whole_variables_type_and_matches_embedded_ones_literally() {
    let vars = ctx(json!({"id": 42, "session_id": "t01", "ids": [1, 2], "re": "t0[0-9]"}));
    let matches = |p: &str| JsonExpect::Matches(whole(p));
    #[rustfmt::skip]
    let cases: [(&str, JsonCheck, Value, Option<&str>); 7] = [
        ("a number variable compares as a number", json_check("n", matches("$(id)")), json!({"n": 42}), None),
        ("so a string of the same digits does not pass", json_check("n", matches("$(id)")), json!({"n": "42"}),
            Some("JSON `n` is \"42\", expected 42")),
        ("a list variable compares as a list", json_check("l", matches("$(ids)")), json!({"l": [1, 2]}), None),
        ("the correlation check of the issue", json_check("cookie", matches("sid=$(session_id)")),
            json!({"cookie": "sid=t01"}), None),
        ("embedded values match literally, whole value", json_check("cookie", matches("sid=$(session_id)")),
            json!({"cookie": "sid=t01x"}), Some("JSON `cookie` does not match `sid=$(session_id)`: 'sid=t01x'")),
        ("a whole string variable is the pattern", json_check("s", matches("$(re)")), json!({"s": "t07"}), None),
        ("variables inside an expected map keep their types",
            json_check("m", JsonExpect::Equals(json!({"id": "$(id)", "who": "$(session_id)"}))),
            json!({"m": {"id": 42, "who": "t01"}}), None),
    ];
    for (comment, check, body, want) in cases {
        let got = json_failures(vec![check], body, &vars);
        assert_eq!(got.first().map(|f| f.message.as_str()), want, "{comment}");
    }
}

#[test]
fn stores_expand_their_paths_names_and_patterns() {
    let mut vars = ctx(json!({"field": "guid", "header": "X-Token", "prefix": "id="}));
    let result = ActivityResult::Response(resp(
        200,
        &[("x-token", "abc")],
        r#"{"user": {"guid": "g-1"}, "line": "id=7 (id=8)"}"#,
    ));
    let store = |var: &str, source| Store {
        var: var.to_owned(),
        source,
        span: Span::default(),
    };
    let stores = [
        store("g", StoreSource::Json("user.$(field)".into())),
        store("t", StoreSource::Header("$(header)".into(), HeaderLine::First)),
        store("n", StoreSource::Regex(pat(r"$(prefix)(\d+)"))),
    ];
    let failures = apply_stores(&stores, &result, &mut vars);
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        (&vars["g"], &vars["t"], &vars["n"]),
        (&json!("g-1"), &json!("abc"), &json!("7"))
    );
}

#[test]
fn the_cache_compiles_each_value_once_and_stays_bounded() {
    let mut cache = PatternCache::default();
    let p = pat("^sid=$(sid)");
    let regex_of = |sid: String, cache: &mut PatternCache| {
        let vars_ctx = ctx(json!({ "sid": sid }));
        let mut vars = Vars { ctx: &vars_ctx, cache };
        match vars.matcher(&p).unwrap() {
            Matcher::Regex(regex) => regex.as_str().to_owned(),
            Matcher::Literal(text) => panic!("`^` is regex syntax, yet {text:?} is plain text"),
        }
    };
    assert_eq!(regex_of("t01".into(), &mut cache), "^sid=t01");
    assert_eq!(cache.len(), 1);
    assert_eq!(regex_of("t01".into(), &mut cache), "^sid=t01");
    assert_eq!(cache.len(), 1, "the same value is not compiled again");
    for i in 0..1000 {
        regex_of(format!("v{i}"), &mut cache);
        assert!(cache.len() <= MAX_PATTERNS);
    }
    // A pattern without variables is the loader's, never cached.
    let plain = pat("plain");
    let empty = Context::new();
    let mut fresh = PatternCache::default();
    let mut vars = Vars {
        ctx: &empty,
        cache: &mut fresh,
    };
    let Matcher::Regex(regex) = vars.matcher(&plain).unwrap() else {
        panic!("a pattern without variables is the loader's regex")
    };
    assert!(
        std::ptr::eq(regex, plain.regex.as_ref().unwrap()),
        "the loader's own regex"
    );
    assert_eq!(fresh.len(), 0);
}

/// Issue 27: a value embedded in a pattern must not build a regex of its size. A template whose text
/// around the macros has no regex syntax is searched as plain text, at any size; any other template
/// is refused past `MAX_REGEX_TEXT` as an assertion naming the variable, with the value capped.
#[test]
fn a_large_embedded_value_is_searched_as_text_or_refused_clearly() {
    let big = "x.y".repeat(1 << 20);
    let vars = ctx(json!({ "big": big }));
    let body = format!("head BEGIN{big}END tail");
    assert!(matched("BEGIN$(big)END", &body, &vars).is_empty());
    assert!(
        matched(r"BEGIN$(big)END\.?", &format!("BEGIN{big}END."), &vars).len() == 1,
        "regex syntax: refused"
    );
    // Plain text: a dot in the value is a dot, and escapes in the pattern are text too.
    assert_eq!(matched("BEGIN$(big)END", &body.replace(".y", "zy"), &vars).len(), 1);
    let vars_small = ctx(json!({"v": "a+b"}));
    assert!(matched(r"\($(v)\)", "x (a+b) y", &vars_small).is_empty());
    assert_eq!(matched(r"\($(v)\)", "x (aab) y", &vars_small).len(), 1);
    // A regex around a large value: an assertion naming it, with its size and a capped copy.
    let f = matched(r"^BEGIN$(big)END", &body, &vars).remove(0);
    assert!(!f.unexpanded, "an assertion, not a variable error");
    assert!(
        f.message
            .starts_with("`assert_match` pattern `^BEGIN$(big)END` would be a regex of 4 MiB: `$(big)` is x.yx.y"),
        "{}",
        f.message
    );
    assert!(f.message.contains("(3 MiB, 3145728 bytes, fnv1a "), "{}", f.message);
    assert!(f.message.len() < 1024 && f.actual.len() < 1024, "{}", f.message.len());
    // A failure of the plain-text search copies no more than an excerpt of the body.
    let f = matched("NOPE$(big)", &body, &vars).remove(0);
    assert!(f.message.len() < 1024 && f.actual.len() < 1024 && f.expected.len() < 1024);
    // store_regex with a plain-text template stores the match.
    let mut vars = ctx(json!({"v": "a+b"}));
    let result = ActivityResult::Response(resp(200, &[], "x =a+b y"));
    let stores = [Store {
        var: "got".into(),
        source: StoreSource::Regex(pat("=$(v) ")),
        span: Span::default(),
    }];
    let failures = apply_stores(&stores, &result, &mut vars);
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(vars["got"], json!("=a+b "));
}
