//! The expander: walks values, substitutes macros, recurses into substituted values and detects
//! reference cycles.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::scan::{Piece, Scanner, whole_macro};
use super::{Context, ExpandError, MAX_DEPTH, has_macros, lookup};

/// Expansion state for one call. `'a` covers both the input and the context, so the reference
/// stack can hold borrowed path texts and costs nothing until a variable actually needs expanding.
pub(crate) struct Expander<'a> {
    ctx: &'a Context,
    /// Paths of the variables being expanded right now, outermost first. A path already on the
    /// stack is a cycle. Every path comes from a macro text in the input or the context (a finite
    /// set), so any infinite recursion must repeat one and is caught here; MAX_DEPTH is the backstop.
    stack: Vec<&'a str>,
}

impl<'a> Expander<'a> {
    pub(crate) fn new(ctx: &'a Context) -> Self {
        Self { ctx, stack: Vec::new() }
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
                Piece::Text(t) => out.push_str(t),
                Piece::Escape => out.push_str("$("),
                Piece::Macro { path, .. } => {
                    let raw = lookup(self.ctx, path)?;
                    if needs_expansion(raw) {
                        let value = self.expand_variable(path, raw)?;
                        embed(out, &value);
                    } else {
                        // Common case: render straight from the context, no intermediate clone.
                        embed(out, raw);
                    }
                }
            }
        }
        Ok(())
    }

    /// The fully expanded, typed value of the variable at `path`.
    fn resolve(&mut self, path: &'a str) -> Result<Value, ExpandError> {
        let raw = lookup(self.ctx, path)?;
        if needs_expansion(raw) {
            self.expand_variable(path, raw)
        } else {
            Ok(raw.clone())
        }
    }

    /// Expand a variable's own value (which contains macros), guarding against cycles and depth.
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
