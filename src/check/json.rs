//! `assert_json`: values at paths of a JSON body; and [`select`], the path lookup that `store_json`
//! shares.
//!
//! A path is a dotted path (`result.user_guid`, `items[0].id`, the original's syntax) or, when it starts
//! with `$`, an RFC 9535 JSONPath (`$[0].name`, `$['a-b']`, `$.items[*].id`, `$.items[?@.price < 10]`,
//! evaluated by serde_json_path). A dotted path, and a JSONPath made only of names and indexes (a
//! *singular* query), select one value; any other JSONPath (wildcards, slices, filters, unions, `..`)
//! selects a list of nodes.
//!
//! The body counts as JSON whenever it parses as JSON, whatever the `Content-Type` (as the original).
//! A string expectation is a regex that must match the value's whole text ([`render_text`]: strings
//! without quotes, `true`, `42`, compact JSON for maps and lists); `absent` wants no value there;
//! anything else must equal the value, and a mismatch carries a unified diff of the two
//! pretty-printed. On a list of nodes, a list expectation equals the whole list, and any other must hold
//! for every node (at least one).

use crate::expand::type_name;
use serde_json::Value;

use super::text::{EXCERPT, excerpt, shorten, text_diff, unreadable};
use super::vars::{expand_failure, pattern_failure};
use super::{CheckFailure, CheckKind, Response, Vars};
use crate::expand::{Segment, expand_str, expand_value_cow, is_json_path, is_whole_macro, parse_path, render_text};
use crate::scenario::Pattern;
use crate::scenario::{JsonCheck, JsonExpect};
use std::borrow::Cow;

/// How much of a value a mismatch message shows (the full values are in `expected`/`actual`).
const VALUE_EXCERPT: usize = 100;

/// How many keys a "has no key" reason lists before `...`.
const MAX_KEYS: usize = 8;

/// Append the failures of `checks` on the response body to `out`.
pub(super) fn check_json(checks: &[JsonCheck], resp: &Response, out: &mut Vec<CheckFailure>, vars: &mut Vars<'_>) {
    let Some(first) = checks.first() else { return };
    if let Err(e) = resp.text() {
        out.push(unreadable(CheckKind::Json, "JSON", e).at(first.span));
        return;
    }
    let Some(root) = resp.json() else {
        // One failure for the whole `assert_json`: every entry would say the same.
        let failure = CheckFailure::new(
            CheckKind::Json,
            "JSON",
            shorten(resp.text().unwrap_or_default(), EXCERPT),
            "response is not JSON",
        );
        out.push(failure.at(first.span));
        return;
    };
    for check in checks {
        if let Some(failure) = check_one(check, root, vars) {
            out.push(failure.at(check.span));
        }
    }
}

/// What an entry expects once its `$(var)`s are expanded: a regex on the value's text, or a value.
enum Want<'c> {
    Matches(&'c Pattern, super::Matcher<'c>),
    Equals(Cow<'c, Value>),
    Absent,
}

/// The expectation of `check` for this session. A string that is exactly one `$(var)` keeps the
/// variable's type: a number, bool, null, map or list compares as that value, a string is used as
/// the pattern; other strings are patterns in which each `$(var)` matches its value literally.
fn want<'c>(check: &'c JsonCheck, vars: &'c mut Vars<'_>) -> Result<Want<'c>, Box<CheckFailure>> {
    match &check.expect {
        JsonExpect::Matches(p) if p.is_template() && is_whole_macro(&p.source) => {
            match expand_str(&p.source, vars.ctx) {
                Err(e) => Err(Box::new(expand_failure(CheckKind::Json, &p.source, e))),
                Ok(Value::String(_)) => vars
                    .matcher(p)
                    .map(|m| Want::Matches(p, m))
                    .map_err(|e| Box::new(pattern_failure(CheckKind::Json, p, e))),
                Ok(typed) => Ok(Want::Equals(Cow::Owned(typed))),
            }
        }
        JsonExpect::Matches(p) => vars
            .matcher(p)
            .map(|m| Want::Matches(p, m))
            .map_err(|e| Box::new(pattern_failure(CheckKind::Json, p, e))),
        JsonExpect::Absent => Ok(Want::Absent),
        JsonExpect::Equals(expected) => expand_value_cow(expected, vars.ctx)
            .map(Want::Equals)
            .map_err(|e| Box::new(expand_failure(CheckKind::Json, &compact(expected), e))),
    }
}

/// One `assert_json` entry against the parsed body.
fn check_one(check: &JsonCheck, root: &Value, vars: &mut Vars<'_>) -> Option<CheckFailure> {
    let path = &check.path;
    let want = match want(check, vars) {
        Ok(want) => want,
        Err(failure) => return Some(*failure),
    };
    let fail = |expected: String, actual: String, message: String| {
        Some(CheckFailure::new(CheckKind::Json, expected, actual, message))
    };
    let selected = match (select(root, path), &want) {
        (Err(Miss::Invalid(why)), _) => {
            return fail(path.clone(), why.clone(), format!("invalid JSON path `{path}`: {why}"));
        }
        (Err(Miss::Missing(_)), Want::Absent) => return None,
        (Ok(Selected::Many(nodes)), Want::Absent) if nodes.is_empty() => return None,
        (Err(Miss::Missing(reason)), _) => {
            let message = format!("JSON `{path}` not found: {reason}");
            return fail(expected_text(&want), reason, message);
        }
        (Ok(Selected::One(value)), Want::Absent) => {
            let got = compact(value);
            let message = format!(
                "JSON `{path}` is present (expected absent): {}",
                shorten(&got, VALUE_EXCERPT)
            );
            return fail("absent".into(), got, message);
        }
        (Ok(Selected::Many(nodes)), Want::Absent) => {
            let got = compact_list(&nodes);
            let message = format!(
                "JSON `{path}` selects {} (expected absent): {}",
                values(nodes.len()),
                shorten(&got, VALUE_EXCERPT)
            );
            return fail("absent".into(), got, message);
        }
        (Ok(selected), _) => selected,
    };
    match selected {
        Selected::One(value) => compare(path, &want, value),
        Selected::Many(nodes) if nodes.is_empty() => {
            let message = format!("JSON `{path}` not found: it selects nothing");
            fail(expected_text(&want), "(nothing)".into(), message)
        }
        Selected::Many(nodes) => match &want {
            // A list expected: the nodes, in order, are that list.
            Want::Equals(list) if list.is_array() => {
                let got = Value::Array(nodes.into_iter().cloned().collect());
                compare(path, &want, &got)
            }
            // Anything else: each node must be it.
            _ => nodes.iter().enumerate().find_map(|(i, node)| {
                compare(path, &want, node).map(|mut f| {
                    let which = format!("JSON `{path}` (value {} of {})", i + 1, nodes.len());
                    f.message = f.message.replacen(&format!("JSON `{path}`"), &which, 1);
                    f
                })
            }),
        },
    }
}

/// `value` against what is wanted: a regex on its whole text, or equality.
fn compare(path: &str, want: &Want<'_>, value: &Value) -> Option<CheckFailure> {
    match want {
        Want::Absent => None,
        Want::Matches(p, matcher) => {
            // The pattern is anchored (`^(?:...)$`), so this is a whole-value match.
            let text = render_text(value);
            if matcher.is_match(&text, p.mode) {
                return None;
            }
            let message = format!("JSON `{path}` does not match `{}`: {}", p.source, excerpt(&text));
            Some(CheckFailure::new(CheckKind::Json, &p.source, text, message))
        }
        Want::Equals(expected) => {
            let expected = expected.as_ref();
            if json_eq(expected, value) {
                return None;
            }
            let (want, got) = (compact(expected), compact(value));
            let message = format!(
                "JSON `{path}` is {}, expected {}",
                shorten(&got, VALUE_EXCERPT),
                shorten(&want, VALUE_EXCERPT)
            );
            Some(CheckFailure::new(CheckKind::Json, want, got, message).with_diff(json_diff(expected, value)))
        }
    }
}

/// What an entry wanted, for a failure's `expected`.
fn expected_text(want: &Want<'_>) -> String {
    match want {
        Want::Matches(p, _) => p.source.clone(),
        Want::Equals(v) => compact(v),
        Want::Absent => "absent".to_owned(),
    }
}

/// `1 value`, `3 values`.
fn values(n: usize) -> String {
    if n == 1 {
        "1 value".to_owned()
    } else {
        format!("{n} values")
    }
}

fn compact_list(nodes: &[&Value]) -> String {
    format!("[{}]", nodes.iter().map(|v| compact(v)).collect::<Vec<_>>().join(","))
}

/// Equality of JSON values where numbers compare by value: YAML `1.0` and a JSON `1` are the same
/// number to the user, though `serde_json` keeps them apart. Integers compare exactly (no `f64`
/// rounding of large ids); maps compare regardless of key order.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
                x == y
            } else if let (Some(x), Some(y)) = (x.as_u64(), y.as_u64()) {
                x == y
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Compact JSON (`{"a":1}`), as the value appears on the wire; strings keep their quotes, which shows
/// a `"42"` vs. `42` type mismatch.
fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A unified diff of `expected` vs. `actual`, both pretty-printed, with headers `expected`/`actual`.
pub(crate) fn json_diff(expected: &Value, actual: &Value) -> String {
    let (expected, actual) = (pretty(expected), pretty(actual));
    if expected.len() + actual.len() > super::MAX_DIFF {
        // Too large to read, and diffing it would cost more than the request.
        return format!(
            "(no diff: {} bytes expected, {} bytes actual)",
            expected.len(),
            actual.len()
        );
    }
    text_diff(&expected, &actual)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// What a path selects in a JSON document.
#[derive(Debug)]
pub(crate) enum Selected<'v> {
    /// A dotted path or a singular JSONPath: its one value.
    One(&'v Value),
    /// Any other JSONPath: the nodes it selects, in document order (maybe none).
    Many(Vec<&'v Value>),
}

/// Why a path selected nothing.
#[derive(Debug)]
pub(crate) enum Miss {
    /// The path is malformed.
    Invalid(String),
    /// Nothing is there; the reason says what is.
    Missing(String),
}

/// What `path` selects in `root`: a dotted path (see [`find`]) or, when it starts with `$`, an RFC 9535
/// JSONPath.
pub(crate) fn select<'v>(root: &'v Value, path: &str) -> Result<Selected<'v>, Miss> {
    if !is_json_path(path) {
        let segments = parse_path(path).map_err(|e| Miss::Invalid(e.to_string()))?;
        return find(root, &segments).map(Selected::One).map_err(Miss::Missing);
    }
    let query = serde_json_path::JsonPath::parse(path).map_err(|e| Miss::Invalid(e.to_string()))?;
    let nodes = query.query(root).all();
    if !is_singular(path) {
        return Ok(Selected::Many(nodes));
    }
    match nodes.first() {
        Some(value) => Ok(Selected::One(value)),
        None => Err(Miss::Missing("it selects nothing".to_owned())),
    }
}

/// Whether a JSONPath is a singular query (RFC 9535 §2.3.5.1: names and indexes only), which selects
/// at most one node: no wildcard, slice, filter, union or descendant segment outside its string
/// literals.
fn is_singular(path: &str) -> bool {
    let mut quote = None;
    let mut escaped = false;
    let mut previous = ' ';
    for c in path.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                '*' | '?' | ':' | ',' => return false,
                '.' if previous == '.' => return false,
                _ => {}
            },
        }
        previous = c;
    }
    true
}

/// The value at a dotted path (`result.user_guid`, `items[0].id`, `items.0`) in `root`.
///
/// The syntax is that of `$(var)` paths ([`parse_path`]); a dotted all-digit segment indexes a list,
/// as in `$(items.0)`. On failure, the reason names the deepest part of the path that exists and
/// what it holds, e.g. `` `result` has no key `guid` (it has `id`, `name`) ``.
fn find<'v>(root: &'v Value, segments: &[Segment]) -> Result<&'v Value, String> {
    let mut cur = root;
    // The text of the path walked so far; rebuilt from the segments, so it reads as written.
    let mut walked = String::new();
    for seg in segments {
        let next = match (cur, seg) {
            (Value::Object(map), Segment::Key(key)) => map.get(key).ok_or_else(|| {
                let keys = if map.is_empty() {
                    "it is empty".to_owned()
                } else {
                    list_keys(map)
                };
                format!("{} has no key `{key}` ({keys})", describe(&walked))
            }),
            (Value::Array(list), Segment::Index(i)) => index(list, *i, &walked),
            (Value::Array(list), Segment::Key(key)) if key.bytes().all(|b| b.is_ascii_digit()) => {
                index(list, key.parse().unwrap_or(usize::MAX), &walked)
            }
            (other, Segment::Index(_)) => Err(format!("{} is {}, not a list", describe(&walked), type_name(other))),
            (other, Segment::Key(_)) => Err(format!("{} is {}, not a map", describe(&walked), type_name(other))),
        }?;
        match seg {
            Segment::Key(key) if walked.is_empty() => walked.push_str(key),
            Segment::Key(key) => {
                walked.push('.');
                walked.push_str(key);
            }
            Segment::Index(i) => walked.push_str(&format!("[{i}]")),
        }
        cur = next;
    }
    Ok(cur)
}

/// Element `i` of `list` (found at `walked`), or a reason naming the list's length.
fn index<'v>(list: &'v [Value], i: usize, walked: &str) -> Result<&'v Value, String> {
    list.get(i).ok_or_else(|| {
        let has = match list.len() {
            0 => "it is empty".to_owned(),
            1 => "it has 1 item".to_owned(),
            n => format!("it has {n} items"),
        };
        format!("{} has no index {i} ({has})", describe(walked))
    })
}

/// How a reason names a point of the path: `` `a.b` ``, or "the top level" for the root.
fn describe(walked: &str) -> String {
    if walked.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`{walked}`")
    }
}

/// `` it has `a`, `b`, ... `` for a non-empty map.
fn list_keys(map: &serde_json::Map<String, Value>) -> String {
    let mut keys: Vec<String> = map.keys().take(MAX_KEYS).map(|k| format!("`{k}`")).collect();
    if map.len() > MAX_KEYS {
        keys.push("...".to_owned());
    }
    format!("it has {}", keys.join(", "))
}
