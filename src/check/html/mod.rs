//! `assert_html`: XPath expressions on an HTML body.
//!
//! The body is parsed once by html5ever, a WHATWG parser (which, like browsers and unlike lxml,
//! inserts implicit elements such as `<tbody>`), under a nesting limit that keeps parsing linear
//! (`tree.rs`); then each XPath is applied to the whole document with skyscraper's XPath engine:
//! `true` needs at least one node, `false` none, `N` exactly N, and a string is a regex that must be
//! found in the text of the first node (all descendant text, trimmed; an attribute's value; an atomic
//! result as text).

use skyscraper::xpath::grammar::XpathItemTreeNode;
use skyscraper::xpath::grammar::data_model::XpathItem;
use skyscraper::xpath::{self, XpathItemTree};

use super::text::{EXCERPT, excerpt, shorten, unreadable};
use super::vars::pattern_failure;
use super::{CheckFailure, CheckKind, Response, Vars};
use crate::scenario::{HtmlCheck, HtmlExpect};
use std::time::Instant;
use tree::{MAX_DEPTH, TreeError};

mod tree;

/// Append the failures of `checks` on the response body to `out`; parsing gives up at `deadline`.
pub(super) fn check_html(
    checks: &[HtmlCheck],
    resp: &Response,
    deadline: Option<Instant>,
    out: &mut Vec<CheckFailure>,
    vars: &mut Vars<'_>,
) {
    let Some(first) = checks.first() else { return };
    let text = match resp.text() {
        Ok(text) => text,
        Err(e) => {
            out.push(unreadable(CheckKind::Html, "HTML", e).at(first.span));
            return;
        }
    };
    // As the original: a JSON document is not HTML, even though the parser would accept its text
    // (and every XPath would then fail for a less obvious reason).
    if resp.json().is_some_and(|v| v.is_object() || v.is_array()) {
        let failure = CheckFailure::new(
            CheckKind::Html,
            "HTML",
            shorten(text, EXCERPT),
            "response is JSON, not HTML",
        );
        out.push(failure.at(first.span));
        return;
    }
    let tree = match tree::parse(text, deadline) {
        Ok(tree) => tree,
        Err(err) => {
            let (actual, message) = match err {
                TreeError::TooDeep => (
                    format!("elements nested deeper than {MAX_DEPTH} levels"),
                    format!(
                        "response is not HTML that assert_html evaluates: elements are nested deeper than {MAX_DEPTH} levels (browsers stop nesting there too)"
                    ),
                ),
                TreeError::TimedOut => (
                    "parsing ran out of time".to_owned(),
                    "HTML parsing ran out of time".to_owned(),
                ),
            };
            out.push(CheckFailure::new(CheckKind::Html, "HTML", actual, message).at(first.span));
            return;
        }
    };
    for check in checks {
        if let Some(failure) = check_one(check, &tree, vars) {
            out.push(failure.at(check.span));
        }
    }
}

/// One `assert_html` entry against the parsed document.
fn check_one(check: &HtmlCheck, tree: &XpathItemTree, vars: &mut Vars<'_>) -> Option<CheckFailure> {
    let x = &check.xpath;
    let fail = |expected: String, actual: String, message: String| {
        Some(CheckFailure::new(CheckKind::Html, expected, actual, message))
    };
    // The loader has parsed every XPath already; these errors are for models built elsewhere.
    let parsed = match xpath::parse(x) {
        Ok(p) => p,
        Err(err) => return fail(x.clone(), err.to_string(), format!("invalid XPath `{x}`: {err}")),
    };
    let items = match parsed.apply(tree) {
        Ok(items) => items,
        Err(err) => return fail(x.clone(), err.to_string(), format!("XPath `{x}` failed: {err}")),
    };
    judge(
        CheckKind::Html,
        check,
        items.len(),
        || items.iter().next().map(|item| item_text(item, tree)),
        vars,
    )
}

/// The verdict on what an XPath of `assert_html` or `assert_xpath` (`kind`) selected: `found` items,
/// the first one's text on demand.
pub(super) fn judge(
    kind: CheckKind,
    check: &HtmlCheck,
    found: usize,
    first_text: impl FnOnce() -> Option<String>,
    vars: &mut Vars<'_>,
) -> Option<CheckFailure> {
    let x = &check.xpath;
    let fail =
        |expected: String, actual: String, message: String| Some(CheckFailure::new(kind, expected, actual, message));
    let matched = |expected: &str| {
        let message = format!("XPath `{x}` matched {} (expected {expected})", nodes(found));
        fail(expected.to_owned(), nodes(found), message)
    };
    match &check.expect {
        HtmlExpect::Exists if found == 0 => matched("at least 1"),
        HtmlExpect::Absent if found > 0 => matched("none"),
        HtmlExpect::Count(n) if found as u64 != *n => matched(&n.to_string()),
        HtmlExpect::TextMatches(p) => {
            let Some(text) = first_text().filter(|_| found > 0) else {
                return matched(&format!("a node whose text matches `{}`", p.source));
            };
            let matcher = match vars.matcher(p) {
                Ok(matcher) => matcher,
                Err(e) => return Some(pattern_failure(kind, p, e)),
            };
            if matcher.is_match(&text, p.mode) {
                return None;
            }
            let message = format!("XPath `{x}` text does not match `{}`: {}", p.source, excerpt(&text));
            fail(p.source.clone(), text, message)
        }
        _ => None,
    }
}

/// `0 nodes`, `1 node`, `2 nodes`.
pub(super) fn nodes(n: usize) -> String {
    if n == 1 {
        "1 node".to_owned()
    } else {
        format!("{n} nodes")
    }
}

/// The text a `"regex"` expectation is matched against.
fn item_text(item: &XpathItem<'_>, tree: &XpathItemTree) -> String {
    match item {
        // `//a/@href`: the value is what users mean; the data model's text content is empty.
        XpathItem::Node(XpathItemTreeNode::AttributeNode(attr)) => attr.value.clone(),
        XpathItem::Node(node) => node.text_content(tree).trim().to_owned(),
        XpathItem::AnyAtomicType(atomic) => atomic.to_string(),
        XpathItem::Function(function) => function.to_string(),
    }
}
