//! The expander: walks values, substitutes macros, expands the author's templates again (never
//! data), detects reference cycles and bounds the size of what one expansion produces.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::context::{Templates, VarMap};
use super::scan::{Piece, Scanner, whole_macro};
use super::{Context, ExpandError, MAX_DEPTH, has_macros, lookup};

/// Expansion state for one call. `'a` covers both the input and the context, so the reference
/// stack can hold borrowed path texts and costs nothing until a variable actually needs expanding.
pub(crate) struct Expander<'a> {
    vars: &'a VarMap,
    templates: &'a Templates,
    /// Paths of the template variables being expanded right now, outermost first. A path already on
    /// the stack is a cycle. Every path comes from a macro text in the input or a template (a finite
    /// set), so any infinite recursion must repeat one and is caught here; MAX_DEPTH is the backstop.
    stack: Vec<&'a str>,
    /// Bytes this expansion may still produce. Counted where text enters the result (the input's and
    /// the templates' literal text, data inserted verbatim), so a value that is expanded once and then
    /// embedded is not counted twice.
    left: usize,
}

/// A variable as a macro finds it.
enum Found<'a> {
    /// Inserted as it is: data (from a response, a feeder, a script, ...), or a value without macros.
    Verbatim(&'a Value),
    /// The author's template (as it expands), to be expanded in turn.
    Template(&'a Value),
}

impl<'a> Expander<'a> {
    pub(crate) fn new(ctx: &'a Context) -> Self {
        Self {
            vars: ctx.vars(),
            templates: ctx.templates(),
            stack: Vec::new(),
            left: ctx.templates().max_len(),
        }
    }

    /// Deep-expand a value: strings are expanded, maps and lists recursed into (values, not keys).
    pub(crate) fn value(&mut self, value: &'a Value) -> Result<Value, ExpandError> {
        Ok(match value {
            Value::String(s) => self.string(s)?,
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect::<Result<_, _>>()?),
            Value::Object(map) => {
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map {
                    out.insert(k.clone(), self.value(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Expand one string: a whole-value macro keeps the variable's type, anything else is text.
    pub(crate) fn string(&mut self, text: &'a str) -> Result<Value, ExpandError> {
        if !has_macros(text) {
            self.charge(text.len(), None)?;
            return Ok(Value::String(text.to_owned()));
        }
        if let Some(path) = whole_macro(text) {
            return self.resolve(path);
        }
        let mut out = String::with_capacity(text.len() + 16);
        self.text_into(text, &mut out)?;
        Ok(Value::String(out))
    }

    /// Expand `text` as text (embedded macros rendered), appending to `out`.
    pub(crate) fn text_into(&mut self, text: &'a str, out: &mut String) -> Result<(), ExpandError> {
        self.text_into_with(text, out, &mut |out, value| render_into(out, value))
    }

    /// Like [`Expander::text_into`], with `embed` appending each macro's (expanded) value to `out`.
    pub(crate) fn text_into_with(
        &mut self,
        text: &'a str,
        out: &mut String,
        embed: &mut dyn FnMut(&mut String, &Value),
    ) -> Result<(), ExpandError> {
        for piece in Scanner::new(text) {
            match piece {
                Piece::Text(t) => {
                    self.charge(t.len(), None)?;
                    out.push_str(t);
                }
                Piece::Escape => {
                    self.charge(2, None)?;
                    out.push_str("$(");
                }
                Piece::Macro { path, .. } => match self.find(path)? {
                    Found::Template(raw) => {
                        let value = self.expand_variable(path, raw)?;
                        embed(out, &value);
                    }
                    Found::Verbatim(raw) => {
                        // Common case: render straight from the context, no intermediate clone. The
                        // size is checked before the copy where it is known (a string).
                        if let Value::String(s) = raw {
                            self.charge(s.len(), Some(path))?;
                        }
                        let before = out.len();
                        embed(out, raw);
                        if !raw.is_string() {
                            self.charge(out.len() - before, Some(path))?;
                        }
                    }
                },
            }
        }
        Ok(())
    }

    /// The value of the variable at `path`: a template fully expanded, anything else cloned.
    pub(crate) fn resolve(&mut self, path: &'a str) -> Result<Value, ExpandError> {
        match self.find(path)? {
            Found::Template(raw) => self.expand_variable(path, raw),
            Found::Verbatim(raw) => {
                self.charge(approx_len(raw), Some(path))?;
                Ok(raw.clone())
            }
        }
    }

    /// Looks `path` up: a template when its root is the author's template variable, unchanged, and
    /// the value there holds macros; verbatim otherwise.
    fn find(&self, path: &'a str) -> Result<Found<'a>, ExpandError> {
        let raw = lookup(self.vars, path)?;
        let root = path.split(['.', '[']).next().unwrap_or(path);
        match self.templates.live(self.vars, root) {
            Some(templates) if needs_expansion(raw) => lookup(templates, path).map(Found::Template),
            _ => Ok(Found::Verbatim(raw)),
        }
    }

    /// Expand a template variable's value (which contains macros), guarding against cycles and depth.
    fn expand_variable(&mut self, path: &'a str, raw: &'a Value) -> Result<Value, ExpandError> {
        let chain = |stack: &[&str]| stack.iter().chain([&path]).map(|s| (*s).to_owned()).collect();
        if let Some(first) = self.stack.iter().position(|p| *p == path) {
            return Err(ExpandError::Cycle {
                chain: chain(&self.stack[first..]),
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ExpandError::TooDeep {
                chain: chain(&self.stack),
                limit: MAX_DEPTH,
            });
        }
        self.stack.push(path);
        let result = self.value(raw);
        self.stack.pop();
        result
    }

    /// Counts `len` more bytes of output; past the limit, an error naming the variable that was being
    /// inserted (or the template being expanded).
    fn charge(&mut self, len: usize, path: Option<&str>) -> Result<(), ExpandError> {
        match self.left.checked_sub(len) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(ExpandError::TooLarge {
                path: path.or_else(|| self.stack.last().copied()).map(str::to_owned),
                size: len,
                limit: self.templates.max_len(),
            }),
        }
    }
}

/// Whether expanding `value` could change it (some string in it contains `$(`). No allocation.
pub(crate) fn needs_expansion(value: &Value) -> bool {
    match value {
        Value::String(s) => has_macros(s),
        Value::Array(items) => items.iter().any(needs_expansion),
        Value::Object(map) => map.values().any(needs_expansion),
        _ => false,
    }
}

/// About the bytes `value` takes as text: its strings and keys, plus a little per element.
fn approx_len(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(|v| approx_len(v) + 1).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + approx_len(v) + 2).sum(),
        _ => 8,
    }
}

/// Append the text rendering of `value` (see [`super::render_text`]).
pub(crate) fn render_into(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // `Display` for numbers and containers is compact JSON; writing to a String cannot fail.
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
