//! The raw document: a YAML tree in which every value and every key keeps its [`Span`].
//!
//! Loading happens in two steps, like hurl's parser and ripgrep's low/high args: the YAML text is
//! parsed into this generic [`Node`] tree (load-time macros rewrite it), then `validate` converts it
//! into the typed model, collecting every problem on the way. Parsing uses serde-saphyr with YAML 1.2
//! Core booleans (only `true`/`false` are booleans, so a key `n` or a value `no` stays a string),
//! duplicate keys rejected, and its default budget, which bounds nesting depth and alias expansion (a
//! "billion laughs" file fails quickly instead of eating memory).
//!
//! serde-saphyr's `Spanned<T>` wrapper, which gives every value its position, deserializes a location
//! mapping per value and costs more than the YAML parse itself. So the tree is normally built straight
//! from the events of granit-parser (the parser serde-saphyr runs), by `fast`, which mirrors the
//! serde-saphyr result exactly and declines anything it is not sure of; serde-saphyr then parses the
//! file again and reports the problem, so every diagnostic stays serde-saphyr's.

use super::source::{FileId, SourceFile, Span};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

mod fast;
#[cfg(test)]
mod tests;

/// A YAML value with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of YAML values stressor distinguishes.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string scalar.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order. Keys are nodes too, so messages can point at a misspelled key.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// A node with the given kind and span.
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Node { kind, span }
    }

    /// A short name of the value's type, for messages ("a string", "a list", ...).
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// The string value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and value under a string key of a mapping.
    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.as_map()?.iter().find(|(k, _)| k.key_is(key))
    }

    /// Whether this mapping key is `key`; no allocation for string keys (the common case, and the one
    /// every lookup of a known key takes).
    pub fn key_is(&self, key: &str) -> bool {
        match &self.kind {
            NodeKind::Str(s) => s == key,
            _ => self.key_text() == key,
        }
    }

    /// The text of a mapping key (keys that are numbers or booleans are shown as YAML writes them).
    pub fn key_text(&self) -> String {
        match &self.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Null => "null".into(),
            NodeKind::Seq(_) | NodeKind::Map(_) => "<complex key>".into(),
        }
    }

    /// Converts to a JSON value (keys become strings), dropping spans.
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(entries.iter().map(|(k, v)| (k.key_text(), v.to_json())).collect()),
        }
    }

    /// Builds a node tree from a JSON value, every node carrying `span`.
    pub fn from_json(value: &Value, span: Span) -> Node {
        let kind = match value {
            Value::Null => NodeKind::Null,
            Value::Bool(b) => NodeKind::Bool(*b),
            Value::Number(n) => n
                .as_i64()
                .map_or_else(|| NodeKind::Float(n.as_f64().unwrap_or(f64::NAN)), NodeKind::Int),
            Value::String(s) => NodeKind::Str(s.clone()),
            Value::Array(items) => NodeKind::Seq(items.iter().map(|v| Node::from_json(v, span)).collect()),
            Value::Object(map) => NodeKind::Map(
                map.iter()
                    .map(|(k, v)| (Node::new(NodeKind::Str(k.clone()), span), Node::from_json(v, span)))
                    .collect(),
            ),
        };
        Node::new(kind, span)
    }

    /// Visits every node depth-first (keys excluded).
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Node)) {
        f(self);
        match &self.kind {
            NodeKind::Seq(items) => items.iter().for_each(|n| n.walk(f)),
            NodeKind::Map(entries) => entries.iter().for_each(|(_, v)| v.walk(f)),
            _ => {}
        }
    }
}

/// A YAML syntax problem, with the position serde-saphyr reported.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub span: Span,
    /// The parser's message, without its own location prefix.
    pub message: String,
}

/// Nesting deeper than this is refused (serde-saphyr's depth budget).
pub const MAX_DEPTH: usize = 64;

/// Values (scalars, lists, mappings) per document: enough for a 16 MiB scenario, small enough that an
/// alias bomb is stopped early.
pub const MAX_NODES: usize = 4_000_000;

/// Stack for the parser thread. The recursive parser needs ~42 KiB per nesting level in debug builds,
/// more than the 2 MiB of test threads and tokio workers allows at the depth limit; the stack is only
/// reserved, not used, until needed.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// Parses YAML text (JSON is YAML too) into a node tree.
///
/// The tree is built straight from the parser's events (`fast`); whenever that path declines (any
/// error, a budget limit, a duplicate key, a merge key, an unusual tag, ...), serde-saphyr parses the
/// file again and produces the tree or the diagnostic.
pub fn parse(file_id: FileId, file: &SourceFile) -> Result<Node, SyntaxError> {
    let fast = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fast::parse(file_id, file)));
    if let Ok(Some(node)) = fast {
        return Ok(node);
    }
    parse_with_serde(file_id, file)
}

/// The serde-saphyr path, on a thread with a big stack (its deserializer recurses per nesting level).
fn parse_with_serde(file_id: FileId, file: &SourceFile) -> Result<Node, SyntaxError> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("stressor-yaml".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || parse_here(file_id, file))
            .map_or_else(
                |_| parse_here(file_id, file),
                |h| h.join().unwrap_or_else(|_| parse_failed(file_id)),
            )
    })
}

fn parse_failed(file: FileId) -> Result<Node, SyntaxError> {
    Err(SyntaxError {
        span: Span {
            file,
            line: 1,
            col: 1,
            offset: 0,
            len: 1,
        },
        message: "the YAML parser failed on this file".into(),
    })
}

/// serde-saphyr's budget with our depth and node limits; the fast path checks the same numbers.
fn budget() -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES * 2;
    budget
}

/// The reference parse: serde-saphyr into `Spanned<Raw>`, then [`convert`]. Slower than [`fast::parse`],
/// but it is the one that produces every diagnostic.
fn parse_here(file_id: FileId, file: &SourceFile) -> Result<Node, SyntaxError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
        budget: Some(budget()),
    };
    match serde_saphyr::from_str_with_options::<Spanned<Raw>>(&file.text, options) {
        Ok(root) => Ok(convert(root, file_id, file)),
        Err(err) => {
            let (line, col) = err
                .location()
                .map_or((1, 1), |l| (l.line().max(1) as u32, l.column().max(1) as u32));
            let offset = file.offset_of(line, col);
            Err(SyntaxError {
                span: Span {
                    file: file_id,
                    line,
                    col,
                    offset,
                    len: 1,
                },
                message: clean_message(&err.to_string()),
            })
        }
    }
}

/// serde-saphyr prefixes messages with "error: line N column M: " and sometimes repeats the position at
/// the end; we print the position ourselves. Budget breaches (Rust debug text) become sentences.
fn clean_message(text: &str) -> String {
    static TRAILING_POSITION: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r" at line \d+, column \d+$").expect("static regex"));
    let first = text.lines().next().unwrap_or(text).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let rest = match first.find(": ") {
        Some(i) if first.starts_with("line ") => &first[i + 2..],
        _ => first,
    };
    let rest = TRAILING_POSITION.replace(rest, "");
    if rest.contains("Depth {") || rest.contains("recursion limit exceeded") {
        return format!("the document is nested more than {MAX_DEPTH} levels deep");
    }
    if rest.contains("Nodes {") || rest.contains("Events {") || rest.contains("Alias") {
        return format!("the document expands to too many values (the limit is {MAX_NODES}); is it an alias bomb?");
    }
    if let Some(what) = rest.strip_prefix("budget breached: ") {
        return format!("the document is too large or too complex ({what})");
    }
    rest.into_owned()
}

/// The shape serde-saphyr fills in; converted into [`Node`] with file-aware spans right after.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Raw::Map(entries))
    }
}

fn convert(raw: Spanned<Raw>, file_id: FileId, file: &SourceFile) -> Node {
    let loc = raw.referenced;
    let span = loc.span();
    let pos = Pos {
        line: loc.line(),
        col: loc.column(),
        byte_offset: span.byte_offset(),
        byte_len: span.byte_len(),
    };
    let kind = match raw.value {
        Raw::Null => NodeKind::Null,
        Raw::Bool(b) => NodeKind::Bool(b),
        Raw::Int(i) => NodeKind::Int(i),
        Raw::Float(f) => NodeKind::Float(f),
        Raw::Str(s) => NodeKind::Str(s),
        Raw::Seq(items) => NodeKind::Seq(items.into_iter().map(|i| convert(i, file_id, file)).collect()),
        Raw::Map(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(k, file_id, file), convert(v, file_id, file)))
                .collect(),
        ),
    };
    let span = pos.span(&kind, file_id, file);
    Node::new(kind, span)
}

/// A node's position as the parser reports it: 1-based line and character column, and the byte range
/// when known. Both parse paths turn it into a [`Span`] with [`Pos::span`], so their spans agree.
#[derive(Clone, Copy, Debug)]
struct Pos {
    line: u64,
    col: u64,
    byte_offset: Option<u64>,
    byte_len: Option<u64>,
}

impl Pos {
    fn span(self, kind: &NodeKind, file_id: FileId, file: &SourceFile) -> Span {
        let (line, col) = (self.line.max(1) as u32, self.col.max(1) as u32);
        // serde-saphyr knows byte offsets for string input; computing them from (line, column) would cost
        // O(column) per value, which is quadratic on long single-line (e.g. minified JSON) files.
        let offset = match self.byte_offset {
            Some(o) if (o as usize) <= file.text.len() && file.text.is_char_boundary(o as usize) => o as usize,
            _ => file.offset_of(line, col),
        };
        let len = match (kind, self.byte_len) {
            (NodeKind::Seq(_) | NodeKind::Map(_), _) => 1,
            (_, Some(l)) if l > 0 => l as usize,
            _ => token_len(&file.text[offset.min(file.text.len())..], kind),
        };
        Span {
            file: file_id,
            line,
            col,
            offset,
            len,
        }
    }
}

/// How many bytes of source the token at the start of `rest` takes, for carets: a quoted scalar up to
/// its closing quote, a plain scalar up to the end of its text, anything else one character.
fn token_len(rest: &str, kind: &NodeKind) -> usize {
    // Look at most 256 bytes ahead: enough for a caret, and bounded on very long lines.
    let mut cut = rest.len().min(256);
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let line = rest[..cut].split(['\n', '\r']).next().unwrap_or("");
    let first = line.chars().next();
    match (kind, first) {
        (NodeKind::Str(_), Some(q @ ('"' | '\''))) => line[1..].find(q).map_or(line.len(), |i| i + 2),
        (NodeKind::Seq(_) | NodeKind::Map(_), _) | (_, Some('|' | '>')) => first.map_or(1, char::len_utf8),
        _ => {
            // A plain scalar ends before ": ", " #", a flow indicator (inside flow collections) or the line end.
            let mut end = line.len();
            for (i, c) in line.char_indices() {
                let next = line[i + c.len_utf8()..].chars().next();
                if (c == ':' && matches!(next, None | Some(' ')))
                    || (c == ' ' && next == Some('#'))
                    || matches!(c, ',' | ']' | '}')
                {
                    end = i;
                    break;
                }
            }
            line[..end].trim_end().len().max(1)
        }
    }
}
