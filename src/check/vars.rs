//! `$(var)` in checks and stores: the session's variables as the checks see them, and the compiled
//! patterns of `$(var)` templates, cached per session.
//!
//! A pattern without macros was compiled when the file loaded and costs nothing here. A template
//! ([`Pattern::is_template`]) is expanded for each execution ([`expand_pattern`]: a pattern that is
//! exactly `$(var)` uses the value as the pattern, an embedded `$(var)` matches its value literally)
//! and compiled once per distinct expanded text: a `$(session_id)` compiles once per session, not per
//! request. The cache holds at most [`MAX_PATTERNS`] regexes per session; one more empties it, which
//! bounds memory for templates whose values change every time.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use regex::Regex;

use super::{CheckFailure, CheckKind};
use crate::expand::{Context, ExpandError, expand_pattern, get, needs_expansion};
use crate::scenario::Pattern;
use crate::scenario::pattern::{PatternMode, compile};
use serde_json::Value;

/// Compiled patterns kept per session.
pub const MAX_PATTERNS: usize = 64;

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
    last: Vec<(usize, Vec<Value>, Regex)>,
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
    /// The expanded text is not a valid regex.
    Compile {
        /// The pattern after expansion.
        text: String,
        /// The regex engine's error.
        error: regex::Error,
    },
}

impl Vars<'_> {
    /// The regex of `p`: the compiled one, or its template expanded and compiled (cached).
    ///
    /// The cached regex is lent, not cloned: a clone of a `Regex` starts with no search cache of its
    /// own, and building one per request cost 6x the instructions of the whole request.
    ///
    /// # Errors
    /// An unknown variable, or an expanded text that is not a regex.
    pub fn regex<'s, 'p: 's>(&'s mut self, p: &'p Pattern) -> Result<&'s Regex, PatternError> {
        if let Some(regex) = &p.regex {
            return Ok(regex);
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
            return Ok(&self.cache.last[at].2);
        }
        let values: Option<Vec<Value>> = p.vars.iter().map(|path| get(ctx, path).cloned()).collect();
        // A value holding `$(...)` expands further, so its raw form does not decide the text.
        let values = values.filter(|v| !v.iter().any(needs_expansion));
        let regex = self.compiled(p)?.clone();
        match (values, known) {
            (Some(values), Some(at)) => self.cache.last[at] = (id, values, regex),
            (Some(values), None) => self.cache.last.push((id, values, regex)),
            (None, _) => {
                if let Some(at) = known {
                    self.cache.last.swap_remove(at);
                }
                return self.compiled(p);
            }
        }
        let at = known.unwrap_or(self.cache.last.len() - 1);
        Ok(&self.cache.last[at].2)
    }

    /// The template expanded now and compiled, from (or into) the cache of compiled texts.
    fn compiled<'s>(&'s mut self, p: &Pattern) -> Result<&'s Regex, PatternError> {
        let text = expand_pattern(&p.source, self.ctx, |value, out| out.push_str(&regex::escape(value)))
            .map_err(PatternError::Expand)?;
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

/// The failure of a check or store whose argument `source` has a `$(var)` that could not be expanded.
pub(crate) fn expand_failure(kind: CheckKind, source: &str, e: ExpandError) -> CheckFailure {
    let message = format!("cannot expand `{source}` in `{}`: {e}", kind.key());
    let mut failure = CheckFailure::new(kind, source, e.to_string(), message);
    failure.unexpanded = true;
    failure
}
