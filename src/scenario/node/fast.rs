//! The fast path of [`super::parse`]: the [`Node`] tree built straight from granit-parser's events (the
//! parser serde-saphyr itself runs), without serde-saphyr's `Spanned<T>` layer, which deserializes a
//! location mapping for every value and costs more than the parse.
//!
//! It reproduces what the serde-saphyr path ([`super::parse_here`] + `convert`) makes of a valid
//! document: the same scalar resolution (YAML 1.2 Core with strict booleans, see [`scalar_kind`]), the
//! same spans (each node's event span; inside an alias expansion, the alias token's span), aliases
//! expanded into copies. It never reports an error itself: whenever the document is invalid or
//! unusual, or serde-saphyr *might* refuse it, it declines (`None`) and the caller runs the serde-saphyr
//! path, which produces the diagnostic. It declines on:
//!
//! - any parser error, and any document that is not exactly one document with content;
//! - anything over serde-saphyr's budget or alias limits (depth, values, events, aliases, anchors,
//!   replayed and recorded alias events, scalar and comment bytes, the alias/anchor ratio), counted
//!   the way serde-saphyr counts them or more;
//! - a possible duplicate key (compared by a hash of serde-saphyr's key fingerprint: an equal hash
//!   declines, so a hash collision only costs the slow path);
//! - merge keys (`<<`), complex (sequence or mapping) keys, aliases used as keys;
//! - tags other than `!!str` on scalars, any tag on a collection;
//! - infinities and NaN (`.inf`, `1e999`), which serde-saphyr refuses in an untyped value;
//! - an alias of a collection that is still open (a recursive reference).
//!
//! The builder is iterative (an explicit stack), so it runs on any thread; only alias copies recurse,
//! and they are at most [`MAX_DEPTH`] deep.

use super::{MAX_DEPTH, Node, NodeKind, Pos, budget};
use crate::scenario::source::{FileId, SourceFile, Span};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span as ParserSpan, StrInput, Tag};
use std::borrow::Cow;
use std::collections::HashSet;

/// Builds the tree, or `None` when the serde-saphyr path has to decide (see the module comment).
pub(super) fn parse(file_id: FileId, file: &SourceFile) -> Option<Node> {
    // Spans beyond 4 GiB are saturated by serde-saphyr; never the case for a scenario, so not mirrored.
    if file.text.len() >= u32::MAX as usize {
        return None;
    }
    let mut builder = Builder::new(file_id, file);
    let mut parser = Parser::with_options(StrInput::new(&file.text), parser_options(&builder.limits));
    for item in &mut parser {
        let (event, span) = item.ok()?;
        builder.event(event, &span)?;
        if builder.done {
            break;
        }
    }
    builder.finish()
}

/// The parser options serde-saphyr derives from its budget (`Options::parser_options`), so both paths
/// see the same events and the same parser errors.
fn parser_options(limits: &serde_saphyr::Budget) -> serde_saphyr::granit_parser::Options {
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.simple_key_max_lookahead = limits.simple_key_max_lookahead;
    options.flow_nesting_limit = limits.flow_nesting_limit;
    options.block_nesting_limit = options.block_nesting_limit.max(limits.max_depth.saturating_add(1));
    options.emit_comments = true;
    options.max_buffered_comment_events = limits.max_buffered_comment_events;
    options.strict_indentation = false;
    options
}

/// A completed anchored node and what replaying it costs.
struct Anchor {
    node: Node,
    /// Events a replay injects (a scalar is one, a collection two plus its children's).
    events: usize,
    /// Values (scalars and collections).
    nodes: usize,
    /// Scalar text bytes.
    bytes: usize,
    /// Collection nesting inside the node (0 for a scalar).
    depth: usize,
}

impl Anchor {
    fn new(node: Node) -> Anchor {
        let (events, nodes, bytes, depth) = measure(&node);
        Anchor {
            node,
            events,
            nodes,
            bytes,
            depth,
        }
    }
}

/// (events, values, scalar bytes, collection depth) of a subtree. Recursion depth is bounded by
/// [`MAX_DEPTH`]: deeper trees are declined before they are built.
fn measure(node: &Node) -> (usize, usize, usize, usize) {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().fold((2, 1, 0, 1), |acc, item| add(acc, measure(item))),
        NodeKind::Map(entries) => entries
            .iter()
            .fold((2, 1, 0, 1), |acc, (k, v)| add(add(acc, measure(k)), measure(v))),
        NodeKind::Str(s) => (1, 1, s.len(), 0),
        // Non-string scalars: their text is not kept; the number of source bytes bounds it well
        // enough (only alias and budget accounting uses it), and they are short.
        _ => (1, 1, node.span.len.max(32), 0),
    }
}

fn add(acc: (usize, usize, usize, usize), child: (usize, usize, usize, usize)) -> (usize, usize, usize, usize) {
    (
        acc.0 + child.0,
        acc.1 + child.1,
        acc.2 + child.2,
        acc.3.max(child.3 + 1),
    )
}

/// A copy of `node` with every span (keys included) at the alias site, as serde-saphyr reports the
/// values it replays for an alias (`Spanned::referenced`).
fn copy_at(node: &Node, pos: Pos, file_id: FileId, file: &SourceFile) -> Node {
    let kind = match &node.kind {
        NodeKind::Seq(items) => NodeKind::Seq(items.iter().map(|i| copy_at(i, pos, file_id, file)).collect()),
        NodeKind::Map(entries) => NodeKind::Map(
            entries
                .iter()
                .map(|(k, v)| (copy_at(k, pos, file_id, file), copy_at(v, pos, file_id, file)))
                .collect(),
        ),
        other => other.clone(),
    };
    let span = pos.span(&kind, file_id, file);
    Node::new(kind, span)
}

/// An open collection. Its children wait on the builder's shared stacks (`items`, `entries`,
/// `key_hashes`) from the recorded start indices, so a collection's vector is allocated once, at its
/// exact size, when it closes.
struct Frame {
    span: Span,
    /// The anchor id defined on it (0: none).
    anchor: usize,
    /// A mapping (else a sequence).
    map: bool,
    /// Where its children start on `items` (sequence) or `entries` (mapping).
    start: usize,
    /// Where a mapping's key hashes start on `key_hashes`.
    key_start: usize,
    /// A mapping's pending key, whose value comes next.
    key: Option<Node>,
    /// Key fingerprint hashes of a large mapping (small ones scan `key_hashes`).
    key_set: Option<HashSet<u64>>,
}

/// Mappings with more keys than this look duplicates up in a hash set instead of scanning.
const KEY_SCAN_LIMIT: usize = 32;

struct Builder<'f> {
    file_id: FileId,
    file: &'f SourceFile,
    limits: serde_saphyr::Budget,
    max_replayed: usize,

    stack: Vec<Frame>,
    items: Vec<Node>,
    entries: Vec<(Node, Node)>,
    key_hashes: Vec<u64>,
    root: Option<Node>,
    documents: usize,
    /// The stream ended (or the parser stopped producing).
    done: bool,

    anchors: Vec<Option<Anchor>>,
    defined_anchors: usize,
    /// Anchored collections currently open (serde-saphyr records every event into each of them).
    open_anchors: usize,

    // Counters, as serde-saphyr's budget and alias limits count them (or higher).
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
    comment_bytes: usize,
    aliases: usize,
    replayed: usize,
    recorded_events: usize,
    recorded_bytes: usize,
}

/// The tag bytes serde-saphyr may charge for a tag (display length, resolved copy, original spelling).
fn tag_bytes(tag: &Tag) -> usize {
    let (handle, suffix) = tag.parts();
    let (ohandle, osuffix) = tag.original_parts();
    2 * (handle.len() + suffix.len()) + ohandle.len() + osuffix.len() + 8
}

impl<'f> Builder<'f> {
    fn new(file_id: FileId, file: &'f SourceFile) -> Self {
        Builder {
            file_id,
            file,
            limits: budget(),
            max_replayed: serde_saphyr::Options::default().alias_limits.max_total_replayed_events,
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            key_hashes: Vec::new(),
            root: None,
            documents: 0,
            done: false,
            anchors: Vec::new(),
            defined_anchors: 0,
            open_anchors: 0,
            events: 0,
            nodes: 0,
            scalar_bytes: 0,
            comment_bytes: 0,
            aliases: 0,
            replayed: 0,
            recorded_events: 0,
            recorded_bytes: 0,
        }
    }

    fn pos(span: &ParserSpan) -> Pos {
        let (start, end) = (&span.start, &span.end);
        let (byte_offset, byte_len) = match (start.byte_offset(), end.byte_offset()) {
            (Some(s), Some(e)) => (Some(s as u64), Some(e.saturating_sub(s) as u64)),
            _ => (None, None),
        };
        Pos {
            line: start.line() as u64,
            col: start.col() as u64 + 1,
            byte_offset,
            byte_len,
        }
    }

    /// Charges one node event (parsed or replayed) to the counters; `None` past a limit.
    fn charge(&mut self, events: usize, nodes: usize, bytes: usize) -> Option<()> {
        self.events = self.events.checked_add(events)?;
        self.nodes = self.nodes.checked_add(nodes)?;
        self.scalar_bytes = self.scalar_bytes.checked_add(bytes)?;
        self.recorded_events = self
            .recorded_events
            .checked_add(self.open_anchors.checked_mul(events)?)?;
        self.recorded_bytes = self.recorded_bytes.checked_add(self.open_anchors.checked_mul(bytes)?)?;
        let l = &self.limits;
        (self.events <= l.max_events
            && self.nodes <= l.max_nodes
            && self.scalar_bytes <= l.max_total_scalar_bytes
            && self.recorded_events <= l.max_recorded_anchor_events
            && self.recorded_bytes <= l.max_recorded_anchor_bytes)
            .then_some(())
    }

    /// Counts an anchor definition; `None` past the budget, or for an id too large to index by (the
    /// parser numbers anchors 1, 2, ...).
    fn define_anchor(&mut self, id: usize) -> Option<()> {
        self.defined_anchors += 1;
        (self.defined_anchors <= self.limits.max_anchors && id <= self.defined_anchors.saturating_mul(4) + 64)
            .then_some(())
    }

    fn event(&mut self, event: Event<'_>, span: &ParserSpan) -> Option<()> {
        match event {
            Event::StreamStart | Event::DocumentEnd => self.charge(1, 0, 0),
            Event::StreamEnd => {
                self.done = true;
                self.charge(1, 0, 0)
            }
            Event::DocumentStart(..) => {
                self.documents += 1;
                // A second document is an error for a single-document load (and documents after
                // the first one are counted there); let serde-saphyr say so.
                if self.documents > 1 {
                    return None;
                }
                self.charge(1, 0, 0)
            }
            Event::Comment(text, _) => {
                self.comment_bytes = self.comment_bytes.checked_add(text.len())?;
                if self.comment_bytes > self.limits.max_total_comment_bytes {
                    return None;
                }
                self.charge(1, 0, 0)
            }
            Event::Scalar(value, style, anchor, tag) => self.scalar(value, style, anchor, tag.as_deref(), span),
            Event::SequenceStart(_, anchor, tag) => self.start(anchor, tag.is_some(), false, span),
            Event::MappingStart(_, anchor, tag) => self.start(anchor, tag.is_some(), true, span),
            Event::SequenceEnd | Event::MappingEnd => self.end(),
            Event::Alias(id) => self.alias(id, span),
            _ => None,
        }
    }

    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: &ParserSpan,
    ) -> Option<()> {
        // Only `!!str` is honoured here; other tags take the serde-saphyr path.
        let str_tag = match tag {
            None => false,
            Some(t) if t.core_suffix() == Some("str") => true,
            Some(_) => return None,
        };
        let bytes = value.len() + tag.map_or(0, tag_bytes);
        if anchor != 0 {
            self.define_anchor(anchor)?;
            // The anchored scalar's own copy.
            self.recorded_events = self.recorded_events.checked_add(1)?;
            self.recorded_bytes = self.recorded_bytes.checked_add(bytes)?;
        }
        self.charge(1, 1, bytes)?;
        let is_key = self.expecting_key();
        let key_hash = if is_key {
            // A merge key in any spelling: serde-saphyr merges; not done here.
            if value == "<<" {
                return None;
            }
            Some(Self::key_hash(&value, style, str_tag))
        } else {
            None
        };
        let kind = scalar_kind(value, style, str_tag)?;
        let span = Self::pos(span).span(&kind, self.file_id, self.file);
        let node = Node::new(kind, span);
        if anchor != 0 {
            self.store_anchor(anchor, Anchor::new(node.clone()));
        }
        self.push(node, key_hash)
    }

    /// The hash of serde-saphyr's duplicate-key fingerprint of a scalar key: the integer's sign and
    /// magnitude for an untagged plain integer (so `1` and `0x1` collide), else the text (its tag is
    /// left out, which can only add collisions).
    fn key_hash(value: &str, style: ScalarStyle, str_tag: bool) -> u64 {
        let int = if !str_tag && style == ScalarStyle::Plain {
            integer_fingerprint(value)
        } else {
            None
        };
        match int {
            Some((negative, magnitude)) => {
                let mut bytes = [0u8; 18];
                bytes[0] = 0xff;
                bytes[1] = u8::from(negative);
                bytes[2..].copy_from_slice(&magnitude.to_le_bytes());
                fx_hash(&bytes)
            }
            // Valid UTF-8 never contains 0xff, so texts and integers hash different byte strings.
            None => fx_hash(value.as_bytes()),
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                map: true,
                key: None,
                ..
            })
        )
    }

    fn start(&mut self, anchor: usize, tagged: bool, map: bool, span: &ParserSpan) -> Option<()> {
        // Tagged collections and complex keys take the serde-saphyr path.
        if tagged || self.expecting_key() || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        if anchor != 0 {
            self.define_anchor(anchor)?;
            self.open_anchors += 1;
        }
        self.charge(1, 1, 0)?;
        let placeholder = if map {
            NodeKind::Map(Vec::new())
        } else {
            NodeKind::Seq(Vec::new())
        };
        let span = Self::pos(span).span(&placeholder, self.file_id, self.file);
        let start = if map { self.entries.len() } else { self.items.len() };
        let key_start = self.key_hashes.len();
        self.stack.push(Frame {
            span,
            anchor,
            map,
            start,
            key_start,
            key: None,
            key_set: None,
        });
        Some(())
    }

    fn end(&mut self) -> Option<()> {
        self.charge(1, 0, 0)?;
        let frame = self.stack.pop()?;
        let kind = if frame.map {
            if frame.key.is_some() || frame.start > self.entries.len() {
                return None;
            }
            self.key_hashes.truncate(frame.key_start);
            NodeKind::Map(self.entries.drain(frame.start..).collect())
        } else {
            if frame.start > self.items.len() {
                return None;
            }
            NodeKind::Seq(self.items.drain(frame.start..).collect())
        };
        let node = Node::new(kind, frame.span);
        if frame.anchor != 0 {
            self.open_anchors = self.open_anchors.checked_sub(1)?;
            self.store_anchor(frame.anchor, Anchor::new(node.clone()));
        }
        self.push(node, None)
    }

    fn alias(&mut self, id: usize, span: &ParserSpan) -> Option<()> {
        // The alias token itself: one event and one alias in the budget.
        self.events = self.events.checked_add(1)?;
        self.aliases += 1;
        if self.events > self.limits.max_events || self.aliases > self.limits.max_aliases {
            return None;
        }
        // An alias as a key takes the serde-saphyr path (it would need the anchored scalar's text).
        if self.expecting_key() {
            return None;
        }
        // Unknown, or still being defined (a recursive reference): serde-saphyr decides.
        let anchor = self.anchors.get(id)?.as_ref()?;
        let (events, nodes, bytes, depth) = (anchor.events, anchor.nodes, anchor.bytes, anchor.depth);
        if self.stack.len() + depth > MAX_DEPTH {
            return None;
        }
        self.replayed = self.replayed.checked_add(events)?;
        if self.replayed > self.max_replayed {
            return None;
        }
        self.charge(events, nodes, bytes)?;
        let node = copy_at(
            &self.anchors[id].as_ref()?.node,
            Self::pos(span),
            self.file_id,
            self.file,
        );
        self.push(node, None)
    }

    fn store_anchor(&mut self, id: usize, anchor: Anchor) {
        if id >= self.anchors.len() {
            self.anchors.resize_with(id + 1, || None);
        }
        self.anchors[id] = Some(anchor);
    }

    /// Adds a completed node to the open collection (as its next key or value), or makes it the root.
    /// `key_hash` is set for scalars read while a key was expected.
    fn push(&mut self, node: Node, key_hash: Option<u64>) -> Option<()> {
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_some() {
                return None;
            }
            self.root = Some(node);
            return Some(());
        };
        if !frame.map {
            self.items.push(node);
            return Some(());
        }
        if let Some(key) = frame.key.take() {
            self.entries.push((key, node));
            return Some(());
        }
        let hash = key_hash?;
        let keys = self.key_hashes.get(frame.key_start..)?;
        let fresh = match &mut frame.key_set {
            Some(set) => set.insert(hash),
            None if keys.len() < KEY_SCAN_LIMIT => !keys.contains(&hash),
            None => {
                let mut set: HashSet<u64> = keys.iter().copied().collect();
                let fresh = set.insert(hash);
                frame.key_set = Some(set);
                fresh
            }
        };
        if !fresh {
            return None;
        }
        self.key_hashes.push(hash);
        frame.key = Some(node);
        Some(())
    }

    fn finish(self) -> Option<Node> {
        if !self.done || !self.stack.is_empty() {
            return None;
        }
        // serde-saphyr's post-scan heuristic: many aliases for few anchors looks like a bomb.
        let l = &self.limits;
        if l.enforce_alias_anchor_ratio
            && self.aliases >= l.alias_anchor_min_aliases
            && (self.defined_anchors == 0
                || self.aliases > l.alias_anchor_ratio_multiplier.saturating_mul(self.defined_anchors))
        {
            return None;
        }
        self.root
    }
}

/// What serde-saphyr's untyped deserialization (`deserialize_any`, `strict_booleans`) makes of a
/// scalar; `None` where it errors (infinities and NaN) or might.
fn scalar_kind(value: Cow<'_, str>, style: ScalarStyle, str_tag: bool) -> Option<NodeKind> {
    if str_tag || style != ScalarStyle::Plain {
        return Some(NodeKind::Str(value.into_owned()));
    }
    if matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
        return Some(NodeKind::Null);
    }
    let t = yaml_trim(&value);
    match t {
        "true" | "True" | "TRUE" => return Some(NodeKind::Bool(true)),
        "false" | "False" | "FALSE" => return Some(NodeKind::Bool(false)),
        _ => {}
    }
    // Only text that starts like a number can be one: skip the parsers for everything else.
    let first = t.as_bytes().first().copied().unwrap_or(b' ');
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Some(NodeKind::Str(value.into_owned()));
    }
    if t.starts_with('-') {
        if !leading_zero_decimal(t)
            && let Some(v) = parse_int_signed(t).and_then(|v| i64::try_from(v).ok())
        {
            return Some(NodeKind::Int(v));
        }
    } else if let Some(v) = parse_int_unsigned(t).and_then(|v| u64::try_from(v).ok()) {
        return Some(i64::try_from(v).map_or(NodeKind::Float(v as f64), NodeKind::Int));
    }
    // YAML 1.2 floats; serde-saphyr refuses non-finite ones in an untyped value.
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if matches!(unsigned, ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF") {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(NodeKind::Float(v)),
        Ok(v) if v.is_infinite() && unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => None,
        _ => Some(NodeKind::Str(value.into_owned())),
    }
}

// The integer syntax below is serde-saphyr's (`parse_scalars.rs`, without legacy octal), so both paths
// agree on every spelling: `0x`/`0o`/`0b` prefixes, a sign, `_` between digits, no leading zeros.

/// FxHash (rustc's hash) of a byte string: fast, and good enough here, where a collision only sends
/// the file down the slow path.
fn fx_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h
}

/// `s` without leading and trailing spaces, tabs, CRs and LFs (serde-saphyr's `yaml_trim`).
fn yaml_trim(s: &str) -> &str {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let bytes = s.as_bytes();
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !blank(b)).map_or(start, |i| i + 1);
    // Both ends are next to ASCII bytes, so they are character boundaries.
    s.get(start..end).unwrap_or(s)
}

/// A decimal integer with a redundant leading zero (`0127`, `-0127`).
fn leading_zero_decimal(t: &str) -> bool {
    let s = yaml_trim(t);
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Digits in `radix` with single `_` separators between digits, or `None`.
fn parse_digits(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut val: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let prev_ok = i > 0 && bytes[i - 1] != b'_';
            let next_ok = i + 1 < bytes.len() && bytes[i + 1] != b'_';
            if !prev_ok || !next_ok {
                return None;
            }
            continue;
        }
        let d = (b as char).to_digit(16)?;
        if d >= radix || (radix <= 10 && !b.is_ascii_digit()) {
            return None;
        }
        val = val.checked_mul(u128::from(radix))?.checked_add(u128::from(d))?;
        saw = true;
    }
    saw.then_some(val)
}

fn radix_and_digits(rest: &str) -> (u32, &str) {
    for (prefixes, radix) in [(["0x", "0X"], 16), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
        for p in prefixes {
            if let Some(digits) = rest.strip_prefix(p) {
                return (radix, digits);
            }
        }
    }
    (10, rest)
}

fn parse_int_signed(s: &str) -> Option<i128> {
    let t = yaml_trim(s);
    let (neg, rest) = match t.strip_prefix('+') {
        Some(r) => (false, r),
        None => match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        },
    };
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    let mag = parse_digits(digits, radix)?;
    if neg {
        if mag == i128::MAX as u128 + 1 {
            Some(i128::MIN)
        } else {
            i128::try_from(mag).ok()?.checked_neg()
        }
    } else {
        i128::try_from(mag).ok()
    }
}

fn parse_int_unsigned(s: &str) -> Option<u128> {
    let t = yaml_trim(s);
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    parse_digits(digits, radix)
}

/// serde-saphyr's integer identity of a plain untagged key: (negative, magnitude).
fn integer_fingerprint(value: &str) -> Option<(bool, u128)> {
    let t = yaml_trim(value);
    if t.starts_with('-') {
        let v = parse_int_signed(t)?;
        Some((v < 0, v.unsigned_abs()))
    } else {
        Some((false, parse_int_unsigned(t)?))
    }
}
