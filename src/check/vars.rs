//! `$(var)` in checks and stores: the session's variables as the checks see them, and the compiled
//! patterns of `$(var)` templates, cached per session.
//!
//! A pattern without macros was compiled when the file loaded and costs nothing here. A template
//! ([`Pattern::is_template`]) is expanded for each execution ([`expand_pattern`]: a pattern that is
//! exactly `$(var)` uses the value as the pattern, an embedded `$(var)` matches its value literally)
//! and compiled once per distinct expanded text: a `$(session_id)` compiles once per session, not per
//! request. The cache holds at most [`MAX_PATTERNS`] regexes per session; one more empties it, which
//! bounds memory for templates whose values change every time.
//!
//! A value's size must not decide the generator's memory. A template whose text around its macros
//! has no regex syntax ([`Pattern::literal`]) is searched as plain text (a substring search, any
//! size). Any other template may expand to at most [`MAX_REGEX_TEXT`] bytes: the regex parser needs
//! about a hundred bytes per character of pattern, so a 10 MiB value once took 1.1 GiB before the
//! regex engine gave up; past the limit the check fails as an `assertion` naming the variable and its
//! size, before anything is parsed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use regex::Regex;

use super::text::capped;
use super::{CheckFailure, CheckKind};
use crate::expand::format_size;
use crate::expand::{Context, ExpandError, expand_pattern, expand_text, get, needs_expansion};
use crate::scenario::Pattern;
use crate::scenario::pattern::{PatternMode, compile};
use serde_json::Value;

/// Compiled patterns kept per session.
pub const MAX_PATTERNS: usize = 64;

/// The most bytes a template that is compiled as a regex may expand to (64 KiB).
pub const MAX_REGEX_TEXT: usize = 64 * 1024;

/// A session's compiled `$(var)` patterns, by expanded text and mode, and for each template the
/// values it was last expanded with.
#[derive(Debug, Default)]
pub struct PatternCache {
    compiled: HashMap<(String, PatternMode), Regex>,
    /// Per template (by address: templates live in the run's shared scenario), the values of its
    /// variables at the last expansion and the regex they gave. When the values are the same again,
    /// which is the common case (`$(session_id)`, a value stored once), the regex is used without
    /// expanding the pattern: a lookup and a comparison per variable, no allocation. A session has a
    /// few templates, so a list searched by address is cheaper than hashing.
    last: Vec<(usize, Vec<Value>, Made)>,
    /// The text of the literal template expanded last whose values cannot key [`Self::last`].
    scratch: Option<String>,
}

/// What a template became.
#[derive(Debug)]
enum Made {
    Regex(Regex),
    /// The text a [`Pattern::literal`] template expanded to.
    Literal(String),
}

impl Made {
    fn matcher(&self) -> Matcher<'_> {
        match self {
            Made::Regex(regex) => Matcher::Regex(regex),
            Made::Literal(text) => Matcher::Literal(text),
        }
    }
}

/// How a check's pattern is applied to a text: a regex, or plain text searched for (a literal
/// template, see the module docs).
#[derive(Clone, Copy, Debug)]
pub enum Matcher<'a> {
    /// A compiled regex.
    Regex(&'a Regex),
    /// Plain text: found anywhere (search), or equal to the whole text (`assert_json`).
    Literal(&'a str),
}

impl Matcher<'_> {
    /// Whether `text` matches, in `mode`.
    pub fn is_match(&self, text: &str, mode: PatternMode) -> bool {
        match (self, mode) {
            (Matcher::Regex(regex), _) => regex.is_match(text),
            // `str::find` is a two-way search: linear in both lengths, whatever the needle.
            (Matcher::Literal(needle), PatternMode::Search) => text.contains(needle),
            (Matcher::Literal(needle), PatternMode::Whole) => text == *needle,
        }
    }

    /// What `store_regex` keeps of the first match in `text`: `Ok(first group, or the whole match
    /// without groups)`, `Err(Some(whole match))` when the group did not take part, `Err(None)` when
    /// nothing matched.
    pub fn capture<'t>(&self, text: &'t str) -> Result<&'t str, Option<&'t str>> {
        match self {
            Matcher::Regex(regex) => {
                let caps = regex.captures(text).ok_or(None)?;
                let has_group = regex.captures_len() > 1;
                let whole = caps.get(0).map_or("", |m| m.as_str());
                caps.get(usize::from(has_group)).map(|m| m.as_str()).ok_or(Some(whole))
            }
            Matcher::Literal(needle) => text.find(needle).map(|at| &text[at..at + needle.len()]).ok_or(None),
        }
    }
}

impl PatternCache {
    /// Compiled patterns held now.
    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }
}

/// The session's variables and pattern cache: what checks need to expand their arguments.
pub struct Vars<'a> {
    /// The session's variables.
    pub ctx: &'a Context,
    /// Its compiled templates.
    pub cache: &'a mut PatternCache,
}

/// Why a template could not become a regex.
#[derive(Debug)]
pub enum PatternError {
    /// A `$(var)` could not be expanded.
    Expand(ExpandError),
    /// The expanded text is longer than [`MAX_REGEX_TEXT`] (only for a template that is not a
    /// literal one).
    TooLarge {
        /// The largest variable in it, as written in the pattern (`big`).
        var: String,
        /// That variable's value, as text.
        value: String,
        /// The length of the expanded text.
        len: usize,
    },
    /// The expanded text is not a valid regex.
    Compile {
        /// The pattern after expansion.
        text: String,
        /// The regex engine's error.
        error: regex::Error,
    },
}

impl Vars<'_> {
    /// How `p` is applied: the loader's regex, or its template expanded and compiled (cached), or
    /// searched as plain text.
    ///
    /// The cached regex is lent, not cloned: a clone of a `Regex` starts with no search cache of its
    /// own, and building one per request cost 6x the instructions of the whole request.
    ///
    /// # Errors
    /// An unknown variable, an expanded text that is not a regex or is too large for one.
    pub fn matcher<'s, 'p: 's>(&'s mut self, p: &'p Pattern) -> Result<Matcher<'s>, PatternError> {
        if let Some(regex) = &p.regex {
            return Ok(Matcher::Regex(regex));
        }
        let id = p as *const Pattern as usize;
        let ctx = self.ctx;
        let known = self.cache.last.iter().position(|(i, ..)| *i == id);
        let unchanged = known.is_some_and(|at| {
            let then = &self.cache.last[at].1;
            p.vars.iter().zip(then).all(|(path, old)| get(ctx, path) == Some(old))
        });
        if let (true, Some(at)) = (unchanged, known) {
            // The clone kept here has its own search cache, warm from the last request.
            return Ok(self.cache.last[at].2.matcher());
        }
        let values: Option<Vec<Value>> = p.vars.iter().map(|path| get(ctx, path).cloned()).collect();
        // A value holding `$(...)` may be a template that expands further, so its raw form does not
        // decide the text. Large values are not kept to compare with next time: a copy of each would
        // double what a large value costs.
        let size = |v: &[Value]| v.iter().map(|v| v.as_str().map_or(64, str::len)).sum::<usize>();
        let values = values.filter(|v| !v.iter().any(needs_expansion) && size(v) <= MAX_REGEX_TEXT);
        let made = self.make(p)?;
        match (values, known) {
            (Some(values), Some(at)) => self.cache.last[at] = (id, values, made),
            (Some(values), None) => self.cache.last.push((id, values, made)),
            (None, _) => {
                if let Some(at) = known {
                    self.cache.last.swap_remove(at);
                }
                return match made {
                    Made::Regex(_) => self.compiled(p).map(Matcher::Regex),
                    Made::Literal(text) => Ok(Matcher::Literal(self.cache.scratch.insert(text))),
                };
            }
        }
        let at = known.unwrap_or(self.cache.last.len() - 1);
        Ok(self.cache.last[at].2.matcher())
    }

    /// The template expanded now: the plain text of a literal one, else its regex (from or into the
    /// cache of compiled texts).
    fn make(&mut self, p: &Pattern) -> Result<Made, PatternError> {
        if let Some(literal) = &p.literal {
            return expand_text(literal, self.ctx)
                .map(Made::Literal)
                .map_err(PatternError::Expand);
        }
        self.compiled(p).map(|regex| Made::Regex(regex.clone()))
    }

    /// The template expanded now and compiled, from (or into) the cache of compiled texts.
    fn compiled<'s>(&'s mut self, p: &Pattern) -> Result<&'s Regex, PatternError> {
        let text = expand_pattern(&p.source, self.ctx, |value, out| out.push_str(&regex::escape(value)))
            .map_err(PatternError::Expand)?;
        if text.len() > MAX_REGEX_TEXT {
            return Err(too_large(p, self.ctx, text.len()));
        }
        let key = (text, p.mode);
        let compiled = &mut self.cache.compiled;
        if compiled.len() >= MAX_PATTERNS && !compiled.contains_key(&key) {
            compiled.clear();
        }
        match compiled.entry(key) {
            Entry::Occupied(known) => Ok(known.into_mut()),
            Entry::Vacant(new) => {
                let regex = compile(&new.key().0, p.mode).map_err(|error| PatternError::Compile {
                    text: new.key().0.clone(),
                    error,
                })?;
                Ok(new.insert(regex))
            }
        }
    }

    /// Expands a store's or check's text argument (a JSON path, a header name).
    ///
    /// # Errors
    /// An unknown variable.
    pub fn text<'t>(&self, text: &'t str) -> Result<Cow<'t, str>, ExpandError> {
        if crate::expand::has_macros(text) {
            crate::expand::expand_text(text, self.ctx).map(Cow::Owned)
        } else {
            Ok(Cow::Borrowed(text))
        }
    }
}

/// The failure of a check whose pattern could not be made: an unknown variable is a `variable`
/// error of the activity; an expanded text that is not a regex an `assertion` error naming it.
pub(crate) fn pattern_failure(kind: CheckKind, p: &Pattern, err: PatternError) -> CheckFailure {
    let key = kind.key();
    match err {
        PatternError::Expand(e) => expand_failure(kind, &p.source, e).at(p.span),
        PatternError::TooLarge { var, value, len } => {
            let message = format!(
                "`{key}` pattern `{}` would be a regex of {}: `$({var})` is {}, and a regex may hold at most {} (write the text around `$({var})` without regex syntax, and it is searched as plain text at any size)",
                p.source,
                format_size(len as u64),
                capped(&value),
                format_size(MAX_REGEX_TEXT as u64),
            );
            CheckFailure::new(kind, &p.source, value, message).at(p.span)
        }
        PatternError::Compile { text, error } => {
            let message = format!(
                "`{key}` pattern `{}` expands to `{text}`, which is not a valid regex: {}",
                p.source,
                crate::scenario::pattern::reason(&error)
            );
            CheckFailure::new(kind, &p.source, text, message).at(p.span)
        }
    }
}

/// The error for a template whose regex text would be `len` bytes: names its largest variable.
fn too_large(p: &Pattern, ctx: &Context, len: usize) -> PatternError {
    let rendered = crate::expand::references(&p.source)
        .into_iter()
        .filter_map(|r| {
            crate::expand::expand_text(&format!("$({})", r.path), ctx)
                .ok()
                .map(|v| (r.path, v))
        })
        .max_by_key(|(_, v)| v.len());
    let (var, value) = rendered.unwrap_or_default();
    PatternError::TooLarge { var, value, len }
}

/// The failure of a check or store whose argument `source` has a `$(var)` that could not be expanded.
pub(crate) fn expand_failure(kind: CheckKind, source: &str, e: ExpandError) -> CheckFailure {
    let message = format!("cannot expand `{source}` in `{}`: {e}", kind.key());
    let mut failure = CheckFailure::new(kind, source, e.to_string(), message);
    failure.unexpanded = true;
    failure
}
