//! Variable paths (`user.name`, `items[0].id`, `items.0`): parsing and lookup in a [`VarMap`].
//!
//! Lookup walks the path with a borrowing segment iterator, so resolving a macro on the hot path
//! allocates nothing unless it fails; [`parse_path`] collects the same segments into owned
//! [`Segment`]s for callers that keep a path around (e.g. `store_json`-style targets).

use serde_json::Value;

use super::suggest;
use super::{ExpandError, VarMap};

/// One step of a parsed variable path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A name: the first segment, or `.name` after it. All-digit names (`items.0`) index lists
    /// during lookup but stay keys here, because on a map `0` is an ordinary key.
    Key(String),
    /// A `[N]` list index.
    Index(usize),
}

/// A segment borrowed from the path text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegRef<'a> {
    Key(&'a str),
    Index(usize),
}

/// A segment plus where it sits in the path: `path[..start]` names its parent (without the `.` or
/// `[`), `path[..end]` names the segment itself. Used for error messages and suggestions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seg<'a> {
    pub(crate) seg: SegRef<'a>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Parse a variable path into segments.
///
/// Grammar: a first name `[A-Za-z_][A-Za-z0-9_]*`, then any number of `.name` (`[A-Za-z0-9_-]+`,
/// so `headers.X-Token` and `items.0` work) or `[N]` (decimal digits). No whitespace: the macro
/// scanner trims `$( x )` before the path gets here.
///
/// ```
/// use stressor::expand::{parse_path, Segment};
/// assert_eq!(
///     parse_path("items[0].id").unwrap(),
///     vec![Segment::Key("items".into()), Segment::Index(0), Segment::Key("id".into())],
/// );
/// assert!(parse_path("a..b").is_err());
/// ```
///
/// # Errors
/// [`ExpandError::InvalidPath`] for malformed paths: empty, `a..b`, `a.`, `a[x]`, `a[`, `1a`, `a b`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, ExpandError> {
    SegIter::new(path)
        .map(|s| {
            s.map(|s| match s.seg {
                SegRef::Key(k) => Segment::Key(k.to_owned()),
                SegRef::Index(i) => Segment::Index(i),
            })
        })
        .collect()
}

/// Borrowing path parser; yields an error (then stops) at the first malformed spot.
pub(crate) struct SegIter<'a> {
    path: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> SegIter<'a> {
    pub(crate) fn new(path: &'a str) -> Self {
        Self {
            path,
            pos: 0,
            done: false,
        }
    }

    fn fail(&mut self, reason: String) -> Option<Result<Seg<'a>, ExpandError>> {
        self.done = true;
        Some(Err(ExpandError::InvalidPath {
            path: self.path.to_owned(),
            reason,
        }))
    }

    /// Length of the run of bytes from `from` that satisfy `ok`.
    fn run(&self, from: usize, ok: impl Fn(u8) -> bool) -> usize {
        self.path.as_bytes()[from..].iter().take_while(|&&b| ok(b)).count()
    }

    fn char_at(&self, at: usize) -> char {
        self.path[at..].chars().next().unwrap_or(' ')
    }
}

fn is_first_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Iterator for SegIter<'a> {
    type Item = Result<Seg<'a>, ExpandError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = self.path.as_bytes();
        let start = self.pos;
        if start == 0 {
            // The root name: a C-style identifier.
            match bytes.first() {
                None => return self.fail("the path is empty".into()),
                Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
                Some(_) => {
                    let c = self.char_at(0);
                    return self.fail(format!("must start with a letter or `_`, not `{c}`"));
                }
            }
            let end = self.run(0, is_first_name_byte);
            self.pos = end;
            return Some(Ok(Seg {
                seg: SegRef::Key(&self.path[..end]),
                start: 0,
                end,
            }));
        }
        if start >= bytes.len() {
            self.done = true;
            return None;
        }
        match bytes[start] {
            b'.' => {
                let len = self.run(start + 1, is_name_byte);
                if len == 0 {
                    return match bytes.get(start + 1) {
                        None | Some(b'.') => self.fail(format!("empty segment after `.` at offset {start}")),
                        Some(_) => {
                            let c = self.char_at(start + 1);
                            self.fail(format!("unexpected character `{c}` after `.` at offset {start}"))
                        }
                    };
                }
                let end = start + 1 + len;
                self.pos = end;
                Some(Ok(Seg {
                    seg: SegRef::Key(&self.path[start + 1..end]),
                    start,
                    end,
                }))
            }
            b'[' => {
                let digits = self.run(start + 1, |b| b.is_ascii_digit());
                let close = start + 1 + digits;
                if close >= bytes.len() {
                    return self.fail(format!("unclosed `[` at offset {start}"));
                }
                if digits == 0 || bytes[close] != b']' {
                    return self.fail(format!(
                        "expected a list index (digits) and `]` after `[` at offset {start}"
                    ));
                }
                let text = &self.path[start + 1..close];
                let Ok(index) = text.parse::<usize>() else {
                    return self.fail(format!("index {text} is too large"));
                };
                self.pos = close + 1;
                Some(Ok(Seg {
                    seg: SegRef::Index(index),
                    start,
                    end: close + 1,
                }))
            }
            _ => {
                let c = self.char_at(start);
                let why = if start == self.run(0, is_first_name_byte) && c == '-' {
                    " (top-level names may only contain letters, digits and `_`)"
                } else {
                    " (expected `.name` or `[N]`)"
                };
                self.fail(format!("unexpected character `{c}` at offset {start}{why}"))
            }
        }
    }
}

/// Human name of a value's type, with article, for error messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Resolve a variable path against the context, borrowing the value.
///
/// ```
/// use serde_json::json;
/// use stressor::expand::{lookup, VarMap};
/// let ctx: VarMap = json!({"items": [{"id": 7}]}).as_object().unwrap().clone();
/// assert_eq!(lookup(&ctx, "items[0].id").unwrap(), &json!(7));
/// assert_eq!(lookup(&ctx, "items.0.id").unwrap(), &json!(7));
/// ```
///
/// # Errors
/// [`ExpandError::InvalidPath`] if the path is malformed (checked before any lookup, so a typo in
/// the syntax is not reported as an unknown variable); otherwise `UnknownVariable`, `UnknownKey`
/// (both with suggestions), `IndexOutOfRange`, `NotAList` or `NotAMap`.
pub fn lookup<'a>(ctx: &'a VarMap, path: &str) -> Result<&'a Value, ExpandError> {
    for seg in SegIter::new(path) {
        seg?;
    }
    let mut segs = SegIter::new(path).flatten();
    // The parser yields a key first or fails, and the path was validated above; no panic path.
    let root = match segs.next().map(|s| s.seg) {
        Some(SegRef::Key(root)) => root,
        _ => {
            let reason = "the path is empty".to_owned();
            return Err(ExpandError::InvalidPath {
                path: path.to_owned(),
                reason,
            });
        }
    };
    let mut cur = match ctx.get(root) {
        Some(v) => v,
        None => {
            return Err(ExpandError::UnknownVariable {
                path: path.to_owned(),
                hint: suggest::unknown_variable(ctx, path),
            });
        }
    };
    for Seg { seg, start, .. } in segs {
        cur = step(ctx, cur, seg, path, start)?;
    }
    Ok(cur)
}

/// The value at a parsed path, or `None` when anything on the way is missing: the quiet, allocation-free
/// lookup for callers that only need to know whether a value is still the same (errors come from
/// [`lookup`]).
pub fn get<'a>(ctx: &'a VarMap, segments: &[Segment]) -> Option<&'a Value> {
    let (Segment::Key(root), rest) = segments.split_first()? else {
        return None;
    };
    rest.iter().try_fold(ctx.get(root)?, |cur, seg| match (cur, seg) {
        (Value::Object(map), Segment::Key(key)) => map.get(key),
        (Value::Array(list), Segment::Index(i)) => list.get(*i),
        (Value::Array(list), Segment::Key(key)) if key.bytes().all(|b| b.is_ascii_digit()) => {
            list.get(key.parse::<usize>().ok()?)
        }
        _ => None,
    })
}

/// One lookup step from `cur` (named by `path[..start]`) through `seg`.
fn step<'a>(ctx: &VarMap, cur: &'a Value, seg: SegRef<'_>, path: &str, start: usize) -> Result<&'a Value, ExpandError> {
    let parent = &path[..start];
    let index_into = |list: &'a Vec<Value>, index: usize| {
        list.get(index).ok_or_else(|| ExpandError::IndexOutOfRange {
            path: path.to_owned(),
            parent: parent.to_owned(),
            index,
            len: list.len(),
        })
    };
    match (cur, seg) {
        (Value::Object(map), SegRef::Key(key)) => map.get(key).ok_or_else(|| ExpandError::UnknownKey {
            path: path.to_owned(),
            parent: parent.to_owned(),
            key: key.to_owned(),
            hint: suggest::unknown_key(ctx, path, parent, map),
        }),
        (Value::Array(list), SegRef::Index(index)) => index_into(list, index),
        // `items.0`: a dotted all-digit segment indexes a list. Too many digits can only be out of range.
        (Value::Array(list), SegRef::Key(key)) if key.bytes().all(|b| b.is_ascii_digit()) => {
            index_into(list, key.parse().unwrap_or(usize::MAX))
        }
        (other, SegRef::Index(_)) => Err(ExpandError::NotAList {
            path: path.to_owned(),
            parent: parent.to_owned(),
            found: type_name(other),
        }),
        (other, SegRef::Key(key)) => Err(ExpandError::NotAMap {
            path: path.to_owned(),
            parent: parent.to_owned(),
            key: key.to_owned(),
            found: type_name(other),
        }),
    }
}

/// Whether a JSON path is an RFC 9535 JSONPath (`$[0].name`, `$.items[*]`) rather than a dotted path
/// (`result.items[0]`): it starts with `$` and is not a `$(var)` macro. Dotted paths keep their meaning
/// (they cannot start with `$`), so every path the original accepted reads as before.
///
/// ```
/// use stressor::expand::is_json_path;
/// assert!(is_json_path("$[0].name"));
/// assert!(!is_json_path("result.user_guid"));
/// assert!(!is_json_path("$(prefix).id"));
/// ```
pub fn is_json_path(path: &str) -> bool {
    path.starts_with('$') && !path.starts_with("$(")
}
