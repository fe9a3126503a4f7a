//! Response checks (`assert_*`) and stores (`store_*`).

use super::Validator;
use super::reader::{Fields, compile_anchored, compile_pattern};
use crate::scenario::diagnostic::Diagnostic;
#[cfg(feature = "xpath")]
use crate::scenario::model::{HtmlCheck, HtmlExpect};
use crate::scenario::model::{HttpChecks, JsonCheck, JsonExpect, Store, StoreSource};
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
        ..HttpChecks::default()
    };
    if let Some(n) = f.take_some("assert_headers") {
        for (key, value) in entries(v, n, "assert_headers", "`{Header-Name: regex}`") {
            if let Some(p) = v.check().pattern(value, "assert_headers") {
                checks.assert_headers.push((key.key_text(), p));
            }
        }
    }
    if let Some(n) = f.take_some("assert_json") {
        for (key, value) in entries(v, n, "assert_json", "`{path: expected}`") {
            let path = key.key_text();
            if !path_ok(v, &path, key) {
                continue;
            }
            let expect = match &value.kind {
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
    if let Some(n) = f.take_some("assert_html") {
        v.diags.push(super::feature_missing(n.span, "`assert_html`", "xpath"));
    }
    #[cfg(feature = "xpath")]
    if let Some(n) = f.take_some("assert_html") {
        for (key, value) in entries(v, n, "assert_html", "`{xpath: true|false|N|\"regex\"}`") {
            let xpath = key.key_text();
            if !v.valid_xpaths.contains(&xpath) {
                if let Err(err) = skyscraper::xpath::parse(&xpath) {
                    v.diags.push(
                        Diagnostic::error(
                            key.span,
                            format!("invalid XPath `{xpath}`: {}", first_line(&err.to_string())),
                        )
                        .with_help("e.g. `//div[@class='logo']` or `//title`"),
                    );
                    continue;
                }
                v.valid_xpaths.insert(xpath.clone());
            }
            let expect = match &value.kind {
                NodeKind::Bool(true) => HtmlExpect::Exists,
                NodeKind::Bool(false) => HtmlExpect::Absent,
                NodeKind::Int(n) if *n >= 0 => HtmlExpect::Count(*n as u64),
                NodeKind::Str(_) => match v.check().pattern(value, "assert_html") {
                    Some(p) => HtmlExpect::TextMatches(p),
                    None => continue,
                },
                _ => {
                    v.diags.push(Diagnostic::error(
                        value.span,
                        format!(
                            "an `assert_html` expectation must be true, false, a count or a regex string, found {}",
                            value.type_name()
                        ),
                    ));
                    continue;
                }
            };
            checks.assert_html.push(HtmlCheck {
                xpath,
                expect,
                span: key.span,
            });
        }
    }
    checks
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
                "store_header" => StoreSource::Header(text),
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

/// Validates a dotted JSON path like `result.items[0].id`; a `store_json` path with `$(var)`s is
/// checked with each macro standing for one key (its value is only known at run time).
fn path_ok(v: &mut Validator, path: &str, node: &Node) -> bool {
    match crate::expand::parse_path(&crate::expand::placeholders(path)) {
        Ok(_) => true,
        Err(err) => {
            v.diags.push(
                Diagnostic::error(node.span, format!("invalid path `{path}`: {err}"))
                    .with_help("write dotted keys and [N] indexes, e.g. `result.items[0].id`"),
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
