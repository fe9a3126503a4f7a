//! Run-time `$(var)` expansion.
//!
//! Activity arguments in a scenario (URLs, headers, JSON bodies, ...) may contain `$(name)` macros.
//! Before an activity runs, its arguments are expanded against the session's [`Context`]: a map of
//! variables holding JSON values. This module is a pure library (no I/O, no async); it runs on the
//! hot path of every request, so macro-free input takes a `memchr` fast path (see *Performance*).
//!
//! # Syntax
//!
//! - `$(path)`, where a path is a name `[A-Za-z_][A-Za-z0-9_]*` followed by any number of `.name`
//!   segments (`[A-Za-z0-9_-]+`, so `$(headers.X-Token)` works) or `[N]` list indexes:
//!   `$(user.name)`, `$(items[0].id)`, `$(a.b[2][1])`. See [`parse_path`].
//! - A dotted all-digit segment indexes a list (`$(items.0)` = `$(items[0])`); on a map it is an
//!   ordinary key.
//! - Whitespace just inside the parentheses is allowed: `$( x )`. Not inside the path.
//! - `$$(` is an escape for a literal `$(`: `"$$(x)"` expands to `"$(x)"`. Scanning runs left to
//!   right, so `$$$(x)` is `$` followed by the escape, giving `$$(x)`. A lone `$` is just text.
//!
//! # Malformed macros
//!
//! Text that cannot be a macro stays as it is, with no error: `$(` without a closing `)`, an empty
//! `$()` or `$( )`, and parentheses holding characters that never occur in paths (`$(date +%s)`,
//! `$(a b)`). This keeps stray `$(` in bodies and scripts harmless.
//! Text that is only made of path characters but is not a valid path, such as `$(a..b)`, `$(a[x])`,
//! `$(1st)` or `$(a-b)` (dashes are only allowed after the first segment), is an
//! [`ExpandError::InvalidPath`]: it is almost certainly a typo, and leaving it as text would send a
//! broken request without a word. [`references`] skips such macros. Expansion reports them.
//!
//! # Values
//!
//! - **Whole value**: if a string, trimmed, is exactly one macro (`"$(count)"`, `" $(user) "`), it is
//!   replaced by the variable's *typed* value (a number, bool, null, map or list), cloned.
//! - **Embedded**: otherwise every macro is replaced by the variable's text rendering
//!   ([`render_text`]): strings as they are (no quotes), numbers as JSON numbers (`42`, `1.5`),
//!   `true`/`false`, `null`, and maps and lists as compact JSON (`{"a":1}`, `[1,2]`).
//! - **Deep**: [`expand_value`] expands every string inside nested maps and lists. Map *keys* are
//!   never expanded.
//!
//! # Templates and data
//!
//! Only the author's text is a template. A variable the scenario file defines (`config`, `context`,
//! a user's fields) whose value itself contains macros is expanded too: `root_url:
//! "http://x/$(mountpoint)"` works, for whole-value and embedded macros alike, and for strings
//! nested in a substituted map or list. A value the session got while it ran (stored from a
//! response, a feeder row, a script's export, `last_result`) is **data**: inserted verbatim, never
//! expanded again, so a server that answers `$(user.password)` gets that text back, not the
//! password. [`Context`] and [`Templates`] keep the two apart (see `context.rs`).
//!
//! A reference cycle among templates (`a: "$(b)"`, `b: "$(a)"`, or `a: "x$(a)"`) is an
//! [`ExpandError::Cycle`] naming the chain (`a -> b -> a`), never a hang or a stack overflow. As a
//! safety net, references may nest at most [`MAX_DEPTH`] levels ([`ExpandError::TooDeep`]), and one
//! expansion produces at most [`Templates::max_len`] bytes (`config.max_body_size`,
//! [`ExpandError::TooLarge`]), so no template can turn small values into gigabytes.
//!
//! # Errors and suggestions
//!
//! Unknown variables, unknown map keys, out-of-range indexes (with the list's length), indexing a
//! non-list and key lookups on a non-map (with the value's type) are [`ExpandError`]s whose messages
//! name the full path. Unknown names come with up to three "did you mean" suggestions: the context's
//! names flattened to dotted paths (`user.name`, `user.password`, ...) ranked by Damerau-Levenshtein
//! distance, because a swapped pair of letters (`user.nmae`) is one typo, not two. Only close
//! matches are offered (distance at most a third of the length); failing that, the message lists
//! a few names that do exist:
//!
//! ```text
//! unknown variable `usr.name` (did you mean `user.name`?)
//! unknown variable `user.nmae`: `user` has no key `nmae` (did you mean `user.name`?)
//! unknown variable `zzz` (available: `user`, `user_guid`)
//! ```
//!
//! # Performance
//!
//! [`has_macros`] is one `memchr` for `$` plus a byte compare; strings without `$(` are never
//! scanned further. Macros are found by a hand-written scanner (no regex), paths are looked up with a
//! borrowing parser (no allocation on success), and embedded values are rendered straight into the
//! output. [`expand_value_cow`] returns the input borrowed when nothing in it needs expanding, so the
//! caller can skip even the clone.

mod context;
mod engine;
mod error;
mod path;
pub(crate) use path::type_name;
mod scan;
mod suggest;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::ops::Range;

use serde_json::Value;

pub use context::{Context, DEFAULT_MAX_LEN, Templates, VarMap};
pub use error::{ExpandError, Hint, format_size};
pub use path::{Segment, get, is_json_path, lookup, parse_path};

use engine::Expander;
pub(crate) use engine::needs_expansion;

/// How deeply variable references may nest (a variable whose value refers to a variable whose
/// value refers to ...). Real scenarios use two or three levels; this only stops runaway input.
pub const MAX_DEPTH: usize = 32;

/// Expand every macro in `value`, deeply (strings inside maps and lists; never keys).
///
/// A string that is exactly one macro becomes the variable's typed value; other strings stay
/// strings with the macros rendered as text. See the [module docs](self) for all the rules.
///
/// ```
/// use serde_json::json;
/// use stressor::expand::{expand_value, Context};
///
/// let ctx: Context = json!({
///     "base": "http://localhost:8080",
///     "user": {"name": "ada", "id": 7},
///     "tags": ["a", "b"],
/// })
/// .as_object()
/// .unwrap()
/// .clone()
/// .into();
///
/// let args = json!({
///     "url": "$(base)/users/$(user.id)",
///     "json": {"id": "$(user.id)", "tags": "$(tags)", "note": "cost: $$(not a macro)"},
/// });
/// assert_eq!(
///     expand_value(&args, &ctx).unwrap(),
///     json!({
///         "url": "http://localhost:8080/users/7",
///         "json": {"id": 7, "tags": ["a", "b"], "note": "cost: $(not a macro)"},
///     })
/// );
///
/// let err = expand_value(&json!("$(usr.name)"), &ctx).unwrap_err();
/// assert_eq!(err.to_string(), "unknown variable `usr.name` (did you mean `user.name`?)");
/// ```
///
/// # Errors
/// Any [`ExpandError`]: unknown variable or key, bad index, wrong type on the path, malformed path,
/// reference cycle or too-deep nesting. The first error aborts the expansion.
pub fn expand_value(value: &Value, ctx: &Context) -> Result<Value, ExpandError> {
    Expander::new(ctx).value(value)
}

/// Like [`expand_value`], but borrows `value` back unchanged when it contains no macros (and no
/// `$$(` escapes), so the hot path for static arguments allocates nothing.
///
/// # Errors
/// As [`expand_value`].
pub fn expand_value_cow<'v>(value: &'v Value, ctx: &Context) -> Result<Cow<'v, Value>, ExpandError> {
    if needs_expansion(value) {
        expand_value(value, ctx).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(value))
    }
}

/// Expand one string: exactly one macro (after trimming) gives the variable's typed value,
/// anything else a [`Value::String`].
///
/// # Errors
/// As [`expand_value`].
pub fn expand_str(text: &str, ctx: &Context) -> Result<Value, ExpandError> {
    Expander::new(ctx).string(text)
}

/// Expand one string to text, even when it is a single macro (rendered with [`render_text`]).
/// Unlike [`expand_str`], nothing is trimmed: `" $(n) "` gives `" 42 "`.
///
/// # Errors
/// As [`expand_value`].
pub fn expand_text(text: &str, ctx: &Context) -> Result<String, ExpandError> {
    if !has_macros(text) {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len() + 16);
    Expander::new(ctx).text_into(text, &mut out)?;
    Ok(out)
}

/// Expand `text` for use as a regular expression: a text that is exactly one macro (after trimming)
/// becomes the variable's text, to be used as the pattern itself; in any other text each macro's
/// value is inserted with `escape` applied (so that it matches literally), the rest kept as written.
///
/// ```
/// use serde_json::json;
/// use stressor::expand::{expand_pattern, Context};
/// let ctx: Context = json!({"sid": "a.b", "re": "^[0-9]+$"}).as_object().unwrap().clone().into();
/// let escape = |text: &str, out: &mut String| out.push_str(&text.replace('.', "\\."));
/// assert_eq!(expand_pattern("sid=$(sid);", &ctx, escape).unwrap(), "sid=a\\.b;");
/// assert_eq!(expand_pattern(" $(re) ", &ctx, escape).unwrap(), "^[0-9]+$");
/// ```
///
/// # Errors
/// As [`expand_value`].
pub fn expand_pattern(text: &str, ctx: &Context, escape: impl Fn(&str, &mut String)) -> Result<String, ExpandError> {
    let mut expander = Expander::new(ctx);
    if scan::whole_macro(text).is_some() {
        return expander.string(text).map(|value| render_text(&value));
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rendered = String::new();
    expander.text_into_with(text, &mut out, &mut |out, value| {
        rendered.clear();
        engine::render_into(&mut rendered, value);
        escape(&rendered, out);
    })?;
    Ok(out)
}

/// `text` with every macro replaced by the letter `x` and escapes by `$(`: what a template's fixed
/// parts look like, for checking them before any value is known.
pub fn placeholders(text: &str) -> String {
    scan::Scanner::new(text)
        .map(|piece| match piece {
            scan::Piece::Text(t) => t,
            scan::Piece::Escape => "$(",
            scan::Piece::Macro { .. } => "x",
        })
        .collect()
}

/// `text` with each piece of literal text (outside macros and `$$(` escapes) replaced by `f(piece)`,
/// macros and escapes kept; `None` as soon as `f` gives `None`. A `$(` in what `f` returns is
/// escaped, so it stays text.
///
/// ```
/// use stressor::expand::map_literal_text;
/// let upper = map_literal_text("a$(x)b$$(c", |t| Some(t.to_uppercase())).unwrap();
/// assert_eq!(upper, "A$(x)B$$(C");
/// assert_eq!(map_literal_text("a$(x)", |t| (t != "a").then(String::new)), None);
/// ```
pub fn map_literal_text(text: &str, mut f: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for piece in scan::Scanner::new(text) {
        match piece {
            scan::Piece::Text(t) => out.push_str(&f(t)?.replace("$(", "$$(")),
            scan::Piece::Escape => out.push_str("$$("),
            scan::Piece::Macro { range, .. } => out.push_str(&text[range]),
        }
    }
    Some(out)
}

/// Whether `text`, trimmed, is exactly one `$(var)` macro: expanded, it keeps the variable's type.
pub fn is_whole_macro(text: &str) -> bool {
    scan::whole_macro(text).is_some()
}

/// Cheap check: `false` means expanding `text` certainly leaves it unchanged. `true` means it
/// contains `$(`: a macro, an escape `$$(`, or a stray `$(` that will stay text.
pub fn has_macros(text: &str) -> bool {
    // `find(char)` is a memchr; a `$` not followed by `(` is rare enough to just look again.
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        if rest.as_bytes().get(i + 1) == Some(&b'(') {
            return true;
        }
        rest = &rest[i + 1..];
    }
    false
}

/// A variable reference found by [`references`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarRef {
    /// Byte range of the whole macro in the string, from `$(` through `)`.
    pub range: Range<usize>,
    /// The path inside the parentheses, trimmed, e.g. `user.name`.
    pub path: String,
    /// The variable the path starts from, e.g. `user`.
    pub root: String,
}

/// Every macro in `text`, in order: used at load time to warn about variables nothing defines.
///
/// Escapes (`$$(`), text that cannot be a macro, and malformed paths (`$(a..b)`, which fail when
/// expanded) are not included.
///
/// ```
/// use stressor::expand::references;
/// let refs = references("/users/$(user.id)?t=$( items[0] )");
/// assert_eq!(refs[0].range, 7..17);
/// assert_eq!((refs[0].path.as_str(), refs[0].root.as_str()), ("user.id", "user"));
/// assert_eq!((refs[1].path.as_str(), refs[1].root.as_str()), ("items[0]", "items"));
/// ```
pub fn references(text: &str) -> Vec<VarRef> {
    if !has_macros(text) {
        return Vec::new();
    }
    scan::Scanner::new(text)
        .filter_map(|piece| match piece {
            scan::Piece::Macro { range, path } => match parse_path(path).ok()?.into_iter().next()? {
                Segment::Key(root) => Some(VarRef {
                    range,
                    path: path.to_owned(),
                    root,
                }),
                Segment::Index(_) => None,
            },
            _ => None,
        })
        .collect()
}

/// The text rendering used for embedded macros: strings as they are (no quotes), numbers as JSON
/// numbers (`42`, `1.5`), `true`/`false`, `null`, maps and lists as compact JSON (`{"a":1}`).
pub fn render_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            engine::render_into(&mut out, other);
            out
        }
    }
}
