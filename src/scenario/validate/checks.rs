//! Response checks (`assert_*`) and stores (`store_*`).

use super::Validator;
use super::reader::{Fields, compile_anchored, compile_pattern};
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::model::{
    HeaderCheck, HeaderExpect, HeaderLine, HttpChecks, JsonCheck, JsonExpect, Store, StoreSource,
};
#[cfg(feature = "xpath")]
use crate::scenario::model::{HtmlCheck, HtmlExpect};
use crate::scenario::node::{Node, NodeKind};

/// The HTTP response checks of an activity.
pub(super) fn http_checks(v: &mut Validator, f: &mut Fields) -> HttpChecks {
    let status = f.take_some("assert_status");
    let mut checks = HttpChecks {
        assert_status: status.and_then(|n| status_list(v, n)),
        status_span: status.map(|n| n.span),
        assert_match_headers: f
            .take_some("assert_match_headers")
            .and_then(|n| v.check().pattern(n, "assert_match_headers")),
        assert_redirects: f.take_some("assert_redirects").and_then(|n| {
            let count = v.check().count(n, "assert_redirects")?;
            Some((u32::try_from(count).unwrap_or(u32::MAX), n.span))
        }),
        ..HttpChecks::default()
    };
    if let Some(n) = f.take_some("assert_headers") {
        for (key, value) in entries(v, n, "assert_headers", "`{Header-Name: regex | absent}`") {
            let expect = if is_absent(value) {
                HeaderExpect::Absent
            } else {
                match v.check().pattern(value, "assert_headers") {
                    Some(p) => HeaderExpect::Matches(p),
                    None => continue,
                }
            };
            checks.assert_headers.push(HeaderCheck {
                name: key.key_text(),
                expect,
                span: value.span,
            });
        }
    }
    if let Some(n) = f.take_some("assert_json") {
        for (key, value) in entries(v, n, "assert_json", "`{path: expected}`") {
            let path = key.key_text();
            if !path_ok(v, &path, key) {
                continue;
            }
            let expect = match &value.kind {
                _ if is_absent(value) => JsonExpect::Absent,
                NodeKind::Str(s) => match compile_anchored(v.diags, &v.regexes, s, value.span, "assert_json", true) {
                    Some(p) => JsonExpect::Matches(p),
                    None => continue,
                },
                _ => JsonExpect::Equals(value.to_json()),
            };
            checks.assert_json.push(JsonCheck {
                path,
                expect,
                span: key.span,
            });
        }
    }
    #[cfg(not(feature = "xpath"))]
    for key in ["assert_html", "assert_xpath"] {
        if let Some(n) = f.take_some(key) {
            v.diags
                .push(super::feature_missing(n.span, &format!("`{key}`"), "xpath"));
        }
    }
    #[cfg(feature = "xpath")]
    if let Some(n) = f.take_some("assert_html") {
        checks.assert_html = xpath_checks(v, n, "assert_html", &[]);
    }
    let namespaces = f.take_some("namespaces");
    checks.namespaces = namespaces.map(|n| namespace_map(v, n)).unwrap_or_default();
    let xpath = f.take_some("assert_xpath");
    #[cfg(feature = "xpath")]
    if let Some(n) = xpath {
        checks.assert_xpath = xpath_checks(v, n, "assert_xpath", &checks.namespaces);
    }
    #[cfg(not(feature = "xpath"))]
    if let Some(n) = xpath {
        v.diags.push(super::feature_missing(n.span, "`assert_xpath`", "xpath"));
    }
    if let (Some(n), None) = (namespaces, xpath) {
        v.diags.push(
            Diagnostic::warning(n.span, "`namespaces` is only used by `assert_xpath`, which this activity does not have")
                .with_help("bind the prefixes the `assert_xpath` expressions use, e.g. `namespaces: {a: \"http://www.w3.org/2005/Atom\"}`"),
        );
    }
    checks
}

/// The entries of `assert_html` (`namespaces` empty: XPath on HTML binds only `html`, `svg`, `mathml`,
/// `xml` and `xlink`) or `assert_xpath` (XPath 1.0 on XML, with the prefixes of `namespaces`).
#[cfg(feature = "xpath")]
fn xpath_checks(v: &mut Validator, n: &Node, key: &str, namespaces: &[(String, String)]) -> Vec<HtmlCheck> {
    let xml = key == "assert_xpath";
    let mut out = Vec::new();
    for (entry, value) in entries(v, n, key, "`{xpath: true|false|N|\"regex\"}`") {
        let xpath = entry.key_text();
        let cache_key = format!("{key}\u{0}{xpath}");
        if !v.valid_xpaths.contains(&cache_key) {
            let problem = if xml {
                crate::scenario::xpath::xml_xpath_problem(&xpath, namespaces)
            } else {
                skyscraper::xpath::parse(&xpath).err().map(|e| e.to_string())
            };
            if let Some(problem) = problem {
                let help = if xml {
                    "e.g. `//a:entry/a:title` with `namespaces: {a: \"http://www.w3.org/2005/Atom\"}`, or `count(//item)`"
                } else {
                    "e.g. `//div[@class='logo']` or `//title`"
                };
                v.diags.push(
                    Diagnostic::error(entry.span, format!("invalid XPath `{xpath}`: {}", first_line(&problem)))
                        .with_help(help),
                );
                continue;
            }
            v.valid_xpaths.insert(cache_key);
        }
        let expect = match &value.kind {
            NodeKind::Bool(true) => HtmlExpect::Exists,
            NodeKind::Bool(false) => HtmlExpect::Absent,
            NodeKind::Int(n) if *n >= 0 => HtmlExpect::Count(*n as u64),
            NodeKind::Str(_) => match v.check().pattern(value, key) {
                Some(p) => HtmlExpect::TextMatches(p),
                None => continue,
            },
            _ => {
                v.diags.push(Diagnostic::error(
                    value.span,
                    format!(
                        "an `{key}` expectation must be true, false, a count or a regex string, found {}",
                        value.type_name()
                    ),
                ));
                continue;
            }
        };
        out.push(HtmlCheck {
            xpath,
            expect,
            span: entry.span,
        });
    }
    out
}

/// `namespaces: {prefix: uri}`.
fn namespace_map(v: &mut Validator, n: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, value) in entries(v, n, "namespaces", "`{prefix: namespace-uri}`") {
        let prefix = key.key_text();
        if !is_ncname(&prefix) {
            v.diags.push(
                Diagnostic::error(key.span, format!("`{prefix}` is not a namespace prefix")).with_help(
                    "a prefix is a name without `:` (letters, digits, `_`, `-`, `.`; not starting with a digit)",
                ),
            );
            continue;
        }
        if let Some(uri) = v.check().text(value, "namespaces") {
            out.push((prefix, uri));
        }
    }
    out
}

/// Whether `name` is an XML NCName (ASCII letters, digits, `_`, `-`, `.`, and any non-ASCII letter; not
/// starting with a digit, `-` or `.`).
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `absent` as an expected value: `assert_json` and `assert_headers` then check that the path or header
/// does not exist. (`null` already means "equals JSON null"; the text `absent` itself is matched by
/// `^absent$` or `[a]bsent`.)
fn is_absent(n: &Node) -> bool {
    matches!(&n.kind, NodeKind::Str(s) if s == "absent")
}

/// `assert_status`: one code or a list of codes.
pub(super) fn status_list(v: &mut Validator, n: &Node) -> Option<Vec<u16>> {
    let items: Vec<&Node> = match &n.kind {
        NodeKind::Seq(items) => items.iter().collect(),
        _ => vec![n],
    };
    let mut codes = Vec::new();
    for item in items {
        match item.kind {
            NodeKind::Int(code) if (100..=599).contains(&code) => codes.push(code as u16),
            _ => v.diags.push(Diagnostic::error(
                item.span,
                format!(
                    "`assert_status` entries must be HTTP status codes (100-599), found {}",
                    describe(item)
                ),
            )),
        }
    }
    (!codes.is_empty()).then_some(codes)
}

/// `store_json`, `store_header` and `store_regex`.
pub(super) fn stores(v: &mut Validator, f: &mut Fields) -> Vec<Store> {
    let mut out = Vec::new();
    for key in ["store_json", "store_header", "store_regex"] {
        let Some(n) = f.take_some(key) else { continue };
        for (var_node, value) in entries(v, n, key, "`{variable: source}`") {
            let var = var_node.key_text();
            if !is_identifier(&var) {
                v.diags.push(
                    Diagnostic::error(var_node.span, format!("`{var}` is not a valid variable name"))
                        .with_help("use letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
            let Some(text) = v.check().text(value, key) else {
                continue;
            };
            let source = match key {
                "store_json" if path_ok(v, &text, value) => StoreSource::Json(text),
                "store_json" => continue,
                "store_header" => match header_line(&text) {
                    Ok((name, line)) => StoreSource::Header(name.to_owned(), line),
                    Err(why) => {
                        v.diags.push(
                            Diagnostic::error(value.span, format!("invalid `store_header` source `{text}`: {why}"))
                                .with_help("write `Name` (the first line), `Name[N]` (line N from 0; `[-1]` is the last) or `Name[*]` (every line, as a list)"),
                        );
                        continue;
                    }
                },
                _ => match compile_pattern(v.diags, &v.regexes, &text, value.span, key) {
                    Some(p) => StoreSource::Regex(p),
                    None => continue,
                },
            };
            out.push(Store {
                var,
                source,
                span: var_node.span,
            });
        }
    }
    out
}

/// `Name`, `Name[N]` or `Name[*]`: a `store_header` source. Header names never contain `[`, so the
/// suffix cannot be part of one.
pub(crate) fn header_line(text: &str) -> Result<(&str, HeaderLine), String> {
    let Some((name, rest)) = text.split_once('[') else {
        return Ok((text.trim(), HeaderLine::First));
    };
    let Some(inside) = rest.strip_suffix(']') else {
        return Err("expected `]` at the end".into());
    };
    let line = match inside.trim() {
        "*" => HeaderLine::All,
        n => HeaderLine::Index(
            n.parse()
                .map_err(|_| format!("`{n}` is not a line number (or `*` for every line)"))?,
        ),
    };
    Ok((name.trim(), line))
}

fn entries<'n>(v: &mut Validator, n: &'n Node, key: &str, shape: &str) -> &'n [(Node, Node)] {
    match n.as_map() {
        Some(e) => e,
        None => {
            v.diags.push(Diagnostic::error(
                n.span,
                format!("`{key}` must be a mapping {shape}, found {}", n.type_name()),
            ));
            &[]
        }
    }
}

/// Validates a JSON path: RFC 9535 JSONPath when it starts with `$` (and is not a `$(var)`), else a
/// dotted path like `result.items[0].id`. A `store_json` path with `$(var)`s is checked with each macro
/// standing for one key (its value is only known at run time); a JSONPath with one is checked when it
/// runs.
fn path_ok(v: &mut Validator, path: &str, node: &Node) -> bool {
    if crate::expand::is_json_path(path) {
        if path.contains("$(") {
            return true;
        }
        return match serde_json_path::JsonPath::parse(path) {
            Ok(_) => true,
            Err(err) => {
                v.diags.push(
                    Diagnostic::error(node.span, format!("invalid JSONPath `{path}`: {err}")).with_help(
                        "RFC 9535 syntax, e.g. `$[0].name`, `$['a-b']`, `$.items[*].id`, `$.items[?@.price < 10]`",
                    ),
                );
                false
            }
        };
    }
    match crate::expand::parse_path(&crate::expand::placeholders(path)) {
        Ok(_) => true,
        Err(err) => {
            v.diags.push(
                Diagnostic::error(node.span, format!("invalid path `{path}`: {err}"))
                    .with_help("write dotted keys and [N] indexes, e.g. `result.items[0].id`, or an RFC 9535 JSONPath starting with `$`"),
            );
            false
        }
    }
}

/// Whether a name can be used as a variable (`$(name)`, Rhai scope).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn describe(n: &Node) -> String {
    match &n.kind {
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Str(s) => format!("`{s}`"),
        _ => n.type_name().to_string(),
    }
}

#[cfg_attr(not(feature = "xpath"), allow(dead_code))]
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
