//! `assert_xpath`: XPath 1.0 expressions on an XML body, with the namespace prefixes of the activity's
//! `namespaces:`.
//!
//! The body (decoded, in its charset) is parsed by roxmltree, a namespace-aware parser that resolves
//! no external entity and bounds entity expansion; its tree is copied into an sxd-document tree
//! (elements nested deeper than [`MAX_DEPTH`] are refused, as `assert_html` refuses them), and each
//! expression is evaluated by sxd-xpath with the prefixes bound. Expectations read as in
//! `assert_html`: `true` needs at least one node, `false` none, `N` exactly N, a string is a regex
//! found in the text of the first node (its string value, trimmed). A boolean result counts as one
//! node when true and none when false; a number or string result is one item with that text.
//!
//! As XPath 1.0 says, a name without a prefix matches only elements in no namespace: in an Atom feed
//! (`xmlns="http://www.w3.org/2005/Atom"`) `//entry` selects nothing and `//a:entry` with
//! `namespaces: {a: http://www.w3.org/2005/Atom}` selects the entries. A failure that selected nothing
//! on such a document says so.

use sxd_document::dom::{Document, Element, Root};
use sxd_document::{Package, QName};
use sxd_xpath::{Context, Factory, Value};

use super::html::{judge, nodes};
use super::text::{EXCERPT, shorten, unreadable};
use super::{CheckFailure, CheckKind, Response, Vars};
use crate::scenario::HtmlCheck;
use crate::scenario::xpath::{XML_NAMESPACE, prefixes, xml_xpath_problem};

/// Elements nested deeper than this are not evaluated (the XPath evaluator recurses per level).
const MAX_DEPTH: usize = 512;

/// Append the failures of `checks` on the response body to `out`.
pub(super) fn check_xpath(
    checks: &[HtmlCheck],
    namespaces: &[(String, String)],
    resp: &Response,
    out: &mut Vec<CheckFailure>,
    vars: &mut Vars<'_>,
) {
    let Some(first) = checks.first() else { return };
    let text = match resp.text() {
        Ok(text) => text,
        Err(e) => {
            out.push(unreadable(CheckKind::Xpath, "XML", e).at(first.span));
            return;
        }
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let xml = match roxmltree::Document::parse_with_options(text, options) {
        Ok(xml) => xml,
        Err(e) => {
            let ct = resp.header("content-type").unwrap_or("none");
            let message = format!("response is not XML (Content-Type {ct}): {e}");
            out.push(CheckFailure::new(CheckKind::Xpath, "XML", shorten(text, EXCERPT), message).at(first.span));
            return;
        }
    };
    let package = Package::new();
    let document = package.as_document();
    if copy_children(document, Parent::Root(document.root()), xml.root(), 1).is_err() {
        let message = format!(
            "response is not XML that assert_xpath evaluates: elements are nested deeper than {MAX_DEPTH} levels"
        );
        let actual = format!("elements nested deeper than {MAX_DEPTH} levels");
        out.push(CheckFailure::new(CheckKind::Xpath, "XML", actual, message).at(first.span));
        return;
    }
    let mut context = Context::new();
    context.set_namespace(XML_NAMESPACE.0, XML_NAMESPACE.1);
    for (prefix, uri) in namespaces {
        context.set_namespace(prefix, uri);
    }
    let root_namespace = xml.root_element().tag_name().namespace();
    for check in checks {
        let found = evaluate(check, namespaces, &document, &context, vars);
        if let Some(mut failure) = found {
            if let Some(uri) = root_namespace
                && failure.actual == nodes(0)
                && prefixes(&check.xpath).is_empty()
            {
                failure.message.push_str(&format!(
                    " (the document's elements are in the namespace `{uri}`, which names without a prefix do not match: bind a prefix to it in `namespaces:` and write `//p:name`)"
                ));
            }
            out.push(failure.at(check.span));
        }
    }
}

/// One `assert_xpath` entry against the document.
fn evaluate(
    check: &HtmlCheck,
    namespaces: &[(String, String)],
    document: &Document<'_>,
    context: &Context<'_>,
    vars: &mut Vars<'_>,
) -> Option<CheckFailure> {
    let x = &check.xpath;
    let fail = |expected: String, actual: String, message: String| {
        Some(CheckFailure::new(CheckKind::Xpath, expected, actual, message))
    };
    // The loader refuses these already; a model built elsewhere gets a failure, never the evaluator's
    // panic on an unbound prefix.
    if let Some(problem) = xml_xpath_problem(x, namespaces) {
        return fail(x.clone(), problem.clone(), format!("invalid XPath `{x}`: {problem}"));
    }
    let Ok(Some(xpath)) = Factory::new().build(x) else {
        return fail(x.clone(), "invalid".into(), format!("invalid XPath `{x}`"));
    };
    let evaluated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        xpath.evaluate(context, document.root()).map(|value| match value {
            Value::Nodeset(set) => {
                let first = set.document_order_first().map(|n| n.string_value().trim().to_owned());
                (set.size(), first)
            }
            Value::Boolean(b) => (usize::from(b), Some(b.to_string())),
            other => (1, Some(other.string())),
        })
    }));
    let (found, first_text) = match evaluated {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => return fail(x.clone(), err.to_string(), format!("XPath `{x}` failed: {err}")),
        Err(_) => return fail(x.clone(), "evaluation failed".into(), format!("XPath `{x}` failed")),
    };
    judge(CheckKind::Xpath, check, found, || first_text, vars)
}

/// Where copied nodes go.
#[derive(Clone, Copy)]
enum Parent<'d> {
    Root(Root<'d>),
    Element(Element<'d>),
}

/// Elements nested deeper than [`MAX_DEPTH`].
struct TooDeep;

/// Copies the children of `from` into `to`, `depth` levels down.
fn copy_children<'d>(
    document: Document<'d>,
    to: Parent<'d>,
    from: roxmltree::Node<'_, '_>,
    depth: usize,
) -> Result<(), TooDeep> {
    for node in from.children() {
        match node.node_type() {
            roxmltree::NodeType::Element => {
                if depth > MAX_DEPTH {
                    return Err(TooDeep);
                }
                let name = node.tag_name();
                let element = document.create_element(QName::with_namespace_uri(name.namespace(), name.name()));
                for attr in node.attributes() {
                    element.set_attribute_value(QName::with_namespace_uri(attr.namespace(), attr.name()), attr.value());
                }
                match to {
                    Parent::Root(root) => root.append_child(element),
                    Parent::Element(parent) => parent.append_child(element),
                }
                copy_children(document, Parent::Element(element), node, depth + 1)?;
            }
            roxmltree::NodeType::Text => {
                if let Parent::Element(parent) = to {
                    parent.append_child(document.create_text(node.text().unwrap_or("")));
                }
            }
            roxmltree::NodeType::Comment => {
                let comment = document.create_comment(node.text().unwrap_or(""));
                match to {
                    Parent::Root(root) => root.append_child(comment),
                    Parent::Element(parent) => parent.append_child(comment),
                }
            }
            roxmltree::NodeType::PI => {
                if let Some(pi) = node.pi() {
                    let pi = document.create_processing_instruction(pi.target, pi.value);
                    match to {
                        Parent::Root(root) => root.append_child(pi),
                        Parent::Element(parent) => parent.append_child(pi),
                    }
                }
            }
            roxmltree::NodeType::Root => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::PatternCache;
    use crate::expand::Context as Vars_;
    use crate::scenario::{HtmlExpect, Pattern, PatternMode};

    const FEED: &str = r#"<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <title>news</title>
  <entry><title>First</title><dc:creator>Ada</dc:creator></entry>
  <entry><title>Second</title><dc:creator>Grace</dc:creator></entry>
</feed>"#;

    fn run(xpath: &str, expect: HtmlExpect, body: &str) -> Vec<String> {
        let resp = Response::new(
            "http://x/".into(),
            200,
            vec![("content-type".into(), "application/atom+xml".into())],
            body.as_bytes().to_vec(),
            std::time::Duration::ZERO,
        );
        let checks = [HtmlCheck {
            xpath: xpath.into(),
            expect,
            span: Default::default(),
        }];
        let namespaces = [
            ("a".to_owned(), "http://www.w3.org/2005/Atom".to_owned()),
            ("dc".to_owned(), "http://purl.org/dc/elements/1.1/".to_owned()),
        ];
        let ctx = Vars_::new();
        let mut cache = PatternCache::default();
        let mut vars = Vars {
            ctx: &ctx,
            cache: &mut cache,
        };
        let mut out = Vec::new();
        check_xpath(&checks, &namespaces, &resp, &mut out, &mut vars);
        out.into_iter().map(|f| f.message).collect()
    }

    fn regex(text: &str) -> HtmlExpect {
        HtmlExpect::TextMatches(Pattern::new(text, PatternMode::Search, Default::default()).expect("regex"))
    }

    #[test]
    fn prefixed_names_select_by_namespace() {
        assert!(run("//a:entry", HtmlExpect::Count(2), FEED).is_empty());
        assert!(run("//a:entry[2]/dc:creator", regex("^Grace$"), FEED).is_empty());
        assert!(run("count(//a:entry) = 2", HtmlExpect::Exists, FEED).is_empty());
        assert!(run("count(//a:entry)", regex("^2$"), FEED).is_empty());
        assert!(run("//a:entry[a:title='Third']", HtmlExpect::Absent, FEED).is_empty());
    }

    #[test]
    fn an_unprefixed_name_in_a_namespaced_document_is_explained() {
        let got = run("//entry", HtmlExpect::Exists, FEED);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("XPath `//entry` matched 0 nodes (expected at least 1) (the document's elements are in the namespace `http://www.w3.org/2005/Atom`"), "{got:?}");
    }

    #[test]
    fn not_xml_and_unbound_prefixes_fail_without_a_panic() {
        let got = run("//a:x", HtmlExpect::Exists, "<html><p>unclosed</html>");
        assert!(
            got[0].starts_with("response is not XML (Content-Type application/atom+xml): "),
            "{got:?}"
        );
        let got = run("//zz:x", HtmlExpect::Exists, FEED);
        assert!(got[0].contains("the prefix `zz` is not bound"), "{got:?}");
        let deep = format!("<a>{}{}</a>", "<b>".repeat(600), "</b>".repeat(600));
        let got = run("//b", HtmlExpect::Exists, &deep);
        assert!(got[0].contains("nested deeper than 512 levels"), "{got:?}");
    }
}
