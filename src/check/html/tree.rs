//! HTML text to the tree `assert_html`'s XPath runs on: parsed by html5ever (Servo's WHATWG parser,
//! so implicit elements such as `<tbody>` are inserted as browsers do), built into skyscraper's
//! document type, whose XPath engine then evaluates the expressions.
//!
//! Why not skyscraper's own parser: like every WHATWG tree builder written from the specification,
//! it scans the stack of open elements for each start tag ("has a `p` element in button scope"), so
//! parsing costs O(n × depth): 50,000 nested `<div>`s took 13 s. html5ever does the same scans
//! (servo/html5ever#788), but it can be fed a piece at a time and tells this module about every node
//! it inserts, so the nesting is bounded: a document that nests elements deeper than [`MAX_DEPTH`]
//! is refused after at most one more piece ([`CHUNK`]), and parsing stays linear in the input.
//! Browsers stop nesting at 512 too (Blink's and WebKit's parser depth limit); real pages stay far
//! below it.

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::TreeBuilderOpts;
use html5ever::{Attribute, ParseOpts, QualName};
use indextree::{Arena, NodeId};
use skyscraper::html::{HtmlComment, HtmlDoctype, HtmlNode, HtmlProcessingInstruction, HtmlTag, HtmlText};
use skyscraper::xpath::XpathItemTree;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Instant;

/// Elements nested deeper than this are not parsed.
pub const MAX_DEPTH: usize = 512;
/// Bytes of text handed to the parser at a time; the nesting and the deadline are checked between
/// pieces.
const CHUNK: usize = 4096;

/// Why a text gave no tree.
#[derive(Debug, PartialEq, Eq)]
pub enum TreeError {
    /// Elements are nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The deadline passed while parsing.
    TimedOut,
}

/// Parses an HTML document; gives up at `deadline`.
pub fn parse(text: &str, deadline: Option<Instant>) -> Result<XpathItemTree, TreeError> {
    let too_deep = Rc::new(Cell::new(false));
    let sink = Sink::new(too_deep.clone(), text.len());
    let opts = ParseOpts {
        // With scripting off, `<noscript>` content is parsed as elements, so XPath can reach it.
        tree_builder: TreeBuilderOpts {
            scripting_enabled: false,
            ..TreeBuilderOpts::default()
        },
        ..ParseOpts::default()
    };
    let mut parser = html5ever::parse_document(sink, opts);
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(piece));
        rest = tail;
        if too_deep.get() {
            return Err(TreeError::TooDeep);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TreeError::TimedOut);
        }
    }
    let sink = parser.finish();
    if too_deep.get() {
        return Err(TreeError::TooDeep);
    }
    Ok(sink.into_tree())
}

/// What html5ever knows a node by: its id, and for an element its name (the tree builder asks for
/// names far more often than anything else, so they are kept in the handle rather than looked up).
#[derive(Clone)]
struct Handle {
    id: NodeId,
    element: Option<Rc<Element>>,
}

struct Element {
    name: QualName,
    annotation_xml_integration_point: bool,
}

/// Builds skyscraper's node arena as html5ever inserts nodes.
struct Sink {
    arena: RefCell<Arena<HtmlNode>>,
    document: NodeId,
    too_deep: Rc<Cell<bool>>,
    /// The name given for a handle that is not an element (html5ever never asks for one).
    unnamed: QualName,
}

impl Sink {
    /// A sink for a text of `len` bytes.
    fn new(too_deep: Rc<Cell<bool>>, len: usize) -> Self {
        // About one node per 16 bytes of markup: most of the arena is allocated once.
        let mut arena = Arena::with_capacity(len / 16);
        let document = arena.new_node(HtmlNode::Tag(HtmlTag::new("#document".into())));
        Sink {
            arena: RefCell::new(arena),
            document,
            too_deep,
            unnamed: QualName::new(None, Default::default(), Default::default()),
        }
    }

    /// Notes when a child of `parent` would be nested too deep. Walks at most [`MAX_DEPTH`]
    /// ancestors rather than keeping depths: the adoption agency algorithm moves subtrees around.
    fn check_depth(&self, arena: &Arena<HtmlNode>, parent: Option<NodeId>) {
        if let Some(parent) = parent
            && parent.ancestors(arena).take(MAX_DEPTH + 1).count() > MAX_DEPTH
        {
            self.too_deep.set(true);
        }
    }

    /// Appends text to the text node `previous`, if it is one; else returns the text back.
    fn merge_text(arena: &mut Arena<HtmlNode>, previous: Option<NodeId>, text: StrTendril) -> Option<StrTendril> {
        if let Some(HtmlNode::Text(node)) = previous.and_then(|p| arena.get_mut(p)).map(|n| n.get_mut()) {
            node.value.push_str(&text);
            node.only_whitespace &= text.trim().is_empty();
            return None;
        }
        Some(text)
    }

    fn new_text(arena: &mut Arena<HtmlNode>, text: &str) -> NodeId {
        arena.new_node(HtmlNode::Text(HtmlText {
            value: text.to_owned(),
            only_whitespace: text.trim().is_empty(),
        }))
    }

    fn new_node(&self, node: HtmlNode) -> NodeId {
        self.arena.borrow_mut().new_node(node)
    }

    /// skyscraper's tree, rooted at the `<html>` element (html5ever always creates one; the doctype
    /// and comments beside it are left out, as a document has one root there).
    #[allow(deprecated)] // `HtmlDocument` is how a tree is built from nodes in skyscraper 0.7
    fn into_tree(self) -> XpathItemTree {
        let arena = self.arena.into_inner();
        let root = self
            .document
            .children(&arena)
            .find(|c| matches!(arena.get(*c).map(|n| n.get()), Some(HtmlNode::Tag(_))))
            .unwrap_or(self.document);
        let document = skyscraper::html::HtmlDocument::new(arena, skyscraper::html::DocumentNode::new(root));
        XpathItemTree::from(&document)
    }
}

impl TreeSink for Sink {
    type Handle = Handle;
    type Output = Self;
    type ElemName<'a> = &'a QualName;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        Handle {
            id: self.document,
            element: None,
        }
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> &'a QualName {
        target.element.as_ref().map_or(&self.unnamed, |e| &e.name)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Handle {
        let mut attributes = HashMap::with_capacity(attrs.len());
        for a in attrs {
            attributes
                .entry(attribute_name(&a.name))
                .or_insert_with(|| a.value.to_string());
        }
        let tag = HtmlTag {
            name: name.local.to_string(),
            attributes,
        };
        Handle {
            id: self.new_node(HtmlNode::Tag(tag)),
            element: Some(Rc::new(Element {
                name,
                annotation_xml_integration_point: flags.mathml_annotation_xml_integration_point,
            })),
        }
    }

    fn create_comment(&self, text: StrTendril) -> Handle {
        Handle {
            id: self.new_node(HtmlNode::Comment(HtmlComment::new(text.to_string()))),
            element: None,
        }
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> Handle {
        let pi = HtmlProcessingInstruction::new(target.to_string(), data.to_string());
        Handle {
            id: self.new_node(HtmlNode::ProcessingInstruction(pi)),
            element: None,
        }
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        let mut arena = self.arena.borrow_mut();
        let child = match child {
            NodeOrText::AppendNode(node) => {
                self.check_depth(&arena, Some(parent.id));
                node.id
            }
            NodeOrText::AppendText(text) => {
                let last = parent.id.children(&arena).next_back();
                match Self::merge_text(&mut arena, last, text) {
                    None => return,
                    Some(text) => Self::new_text(&mut arena, &text),
                }
            }
        };
        // The tree builder never asks for a cycle; were it to, the node is left where it was.
        let _ = parent.id.checked_append(child, &mut arena);
    }

    fn append_based_on_parent_node(&self, element: &Handle, prev_element: &Handle, child: NodeOrText<Handle>) {
        let has_parent = self.arena.borrow().get(element.id).and_then(|n| n.parent()).is_some();
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, name: StrTendril, public_id: StrTendril, system_id: StrTendril) {
        let doctype = HtmlDoctype::new(
            name.to_string(),
            Some(public_id.to_string()).filter(|s| !s.is_empty()),
            Some(system_id.to_string()).filter(|s| !s.is_empty()),
        );
        let id = self.new_node(HtmlNode::Doctype(doctype));
        let _ = self.document.checked_append(id, &mut self.arena.borrow_mut());
    }

    /// A template's content is kept as the element's children, where XPath can see it (and where the
    /// nesting check counts it).
    fn get_template_contents(&self, target: &Handle) -> Handle {
        target.clone()
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        x.id == y.id
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, new_node: NodeOrText<Handle>) {
        let mut arena = self.arena.borrow_mut();
        let node = match new_node {
            NodeOrText::AppendNode(node) => {
                let parent = arena.get(sibling.id).and_then(|n| n.parent());
                self.check_depth(&arena, parent);
                node.id
            }
            NodeOrText::AppendText(text) => {
                let previous = arena.get(sibling.id).and_then(|n| n.previous_sibling());
                match Self::merge_text(&mut arena, previous, text) {
                    None => return,
                    Some(text) => Self::new_text(&mut arena, &text),
                }
            }
        };
        let _ = sibling.id.checked_insert_before(node, &mut arena);
    }

    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        let mut arena = self.arena.borrow_mut();
        if let Some(HtmlNode::Tag(tag)) = arena.get_mut(target.id).map(|n| n.get_mut()) {
            for a in attrs {
                tag.attributes
                    .entry(attribute_name(&a.name))
                    .or_insert_with(|| a.value.to_string());
            }
        }
    }

    fn remove_from_parent(&self, target: &Handle) {
        target.id.detach(&mut self.arena.borrow_mut());
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let mut arena = self.arena.borrow_mut();
        let children: Vec<NodeId> = node.id.children(&arena).collect();
        for child in children {
            let _ = new_parent.id.checked_append(child, &mut arena);
        }
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &Handle) -> bool {
        handle
            .element
            .as_ref()
            .is_some_and(|e| e.annotation_xml_integration_point)
    }
}

/// An attribute's name as XPath sees it: `href`, or `xlink:href` for a namespaced one.
fn attribute_name(name: &QualName) -> String {
    match &name.prefix {
        Some(prefix) => format!("{prefix}:{}", name.local),
        None => name.local.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skyscraper::xpath;

    fn count(tree: &XpathItemTree, expr: &str) -> usize {
        xpath::parse(expr).expect("xpath").apply(tree).expect("applies").len()
    }

    #[test]
    fn a_document_is_parsed_as_browsers_do() {
        let tree = parse(
            "<!DOCTYPE html><title>t</title><table><tr><td>a &amp; b<td>c</table><p>one<p>two<template><i>x</i></template>",
            None,
        )
        .expect("parses");
        assert_eq!(
            count(&tree, "//table/tbody/tr/td"),
            2,
            "implicit tbody, td closed by td"
        );
        assert_eq!(count(&tree, "//body/p"), 2, "p closed by p");
        assert_eq!(count(&tree, "//template/i"), 1);
        let td = xpath::parse("//td").expect("xpath").apply(&tree).expect("applies");
        let first = td.iter().next().expect("a td");
        let skyscraper::xpath::grammar::data_model::XpathItem::Node(node) = first else {
            panic!("a node")
        };
        assert_eq!(node.text_content(&tree), "a & b", "entities decoded once");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_and_the_limit_itself_is_not() {
        let nested = |n: usize| format!("<html><body>{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        // html and body are two levels.
        let tree = parse(&nested(MAX_DEPTH - 2), None).expect("at the limit");
        assert_eq!(count(&tree, "//div"), MAX_DEPTH - 2);
        assert_eq!(parse(&nested(MAX_DEPTH - 1), None).err(), Some(TreeError::TooDeep));
        assert_eq!(parse(&"<ul><li>".repeat(50_000), None).err(), Some(TreeError::TooDeep));
        assert_eq!(parse(&"<b id=x>".repeat(50_000), None).err(), Some(TreeError::TooDeep));
    }

    #[test]
    fn a_passed_deadline_stops_the_parse() {
        let long = "<p>text</p>".repeat(10_000);
        assert_eq!(parse(&long, Some(Instant::now())).err(), Some(TreeError::TimedOut));
    }
}
