//! Finding `$(...)` macros and `$$(` escapes in a string.
//!
//! A hand-written scanner instead of a regex: the common case (no `$` at all) is a single `memchr`
//! (what `str::find(char)` compiles to), nothing is allocated, and the "what is literal text" rules
//! below are easier to state as code than as a pattern.
//!
//! Rules (see the module docs of [`crate::expand`] for the user-facing version):
//! - `$$(` is an escape and yields a literal `$(`.
//! - `$(` followed by optional ASCII whitespace, a run of path characters (`[A-Za-z0-9_.\-\[\]]`),
//!   optional whitespace and `)` is a macro candidate. Whether the candidate is a *valid* path is
//!   decided later by the path parser, so `$(a..b)` becomes an error instead of silently staying text.
//! - Anything else (`$(` without `)`, `$()`, `$(date +%s)`) is literal text.

use std::ops::Range;

/// One piece of a scanned string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Literal text, copied unchanged.
    Text(&'a str),
    /// `$$(`, which renders as a literal `$(`.
    Escape,
    /// A macro candidate: `range` covers `$(` through `)`, `path` is the trimmed text inside.
    Macro { range: Range<usize>, path: &'a str },
}

/// True for bytes that may appear in a variable path (before the parser checks the structure).
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// If a macro starts at byte `start` (which must point at `$(`), return its end (one past `)`) and
/// the trimmed path text inside. `None` means "not a macro": the caller treats it as literal text.
pub(crate) fn match_macro(text: &str, start: usize) -> Option<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = start + 2;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    let path_start = i;
    while i < bytes.len() && is_path_byte(bytes[i]) {
        i += 1;
    }
    let path_end = i;
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    // Empty paths (`$()`, `$( )`) are deliberately literal text, not errors.
    if path_end == path_start || bytes.get(i) != Some(&b')') {
        return None;
    }
    // All bytes checked above are ASCII, so these indexes are char boundaries.
    Some((i + 1, &text[path_start..path_end]))
}

/// If `text`, trimmed, is exactly one macro, return its path: the "whole-value" case that keeps the
/// variable's type.
pub(crate) fn whole_macro(text: &str) -> Option<&str> {
    let t = text.trim();
    if !t.starts_with("$(") {
        return None;
    }
    match match_macro(t, 0) {
        Some((end, path)) if end == t.len() => Some(path),
        _ => None,
    }
}

/// Iterator over the [`Piece`]s of a string, in order. Concatenating the pieces (with `Escape` as
/// `$$(`) reproduces the input exactly.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    /// Start of the text not yet returned.
    pos: usize,
    /// A piece found while looking for the end of a `Text` piece, returned next.
    pending: Option<Piece<'a>>,
}

impl<'a> Scanner<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Self {
            text,
            pos: 0,
            pending: None,
        }
    }

    /// Find the next escape or macro at or after `from`; returns it with its start and end.
    fn find_special(&self, mut from: usize) -> Option<(usize, usize, Piece<'a>)> {
        let bytes = self.text.as_bytes();
        while let Some(off) = self.text[from..].find('$') {
            let d = from + off;
            let rest = &bytes[d + 1..];
            if rest.starts_with(b"$(") {
                return Some((d, d + 3, Piece::Escape));
            }
            if rest.starts_with(b"(") {
                if let Some((end, path)) = match_macro(self.text, d) {
                    return Some((d, end, Piece::Macro { range: d..end, path }));
                }
                // Not a macro: skip the `$(` and keep looking (`$( $(x) )` still finds `$(x)`).
                from = d + 2;
            } else {
                from = d + 1;
            }
        }
        None
    }
}

impl<'a> Iterator for Scanner<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        if let Some(piece) = self.pending.take() {
            return Some(piece);
        }
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        match self.find_special(start) {
            Some((at, end, piece)) => {
                self.pos = end;
                if at > start {
                    self.pending = Some(piece);
                    Some(Piece::Text(&self.text[start..at]))
                } else {
                    Some(piece)
                }
            }
            None => {
                self.pos = self.text.len();
                Some(Piece::Text(&self.text[start..]))
            }
        }
    }
}
