//! Reading typed values out of [`Node`]s while recording every problem.
//!
//! [`Fields`] walks one mapping: callers `take` the keys they know, and `finish` reports every key nobody
//! took, with a "did you mean" among the known ones. The value converters on [`Checker`] report type
//! errors at the value's span and return `None`, so validation continues and finds the next problem.

use crate::scenario::diagnostic::{Diagnostic, Diagnostics};
use crate::scenario::duration::parse_duration;
use crate::scenario::model::{Param, Pattern, PatternMode};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::source::Span;
use crate::scenario::suggest;
use regex::Regex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

/// The keys of one mapping, with a record of which were consumed.
pub(crate) struct Fields<'n> {
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
    /// Span of the mapping, for "missing key" errors.
    pub span: Span,
}

impl<'n> Fields<'n> {
    /// The fields of a mapping node (`None` for other nodes; the caller reports that).
    pub fn of(node: &'n Node) -> Option<Self> {
        let entries = node.as_map()?;
        Some(Fields {
            entries,
            used: vec![false; entries.len()],
            span: node.span,
        })
    }

    /// Takes the value of a key (also when it is `null`).
    pub fn take(&mut self, key: &str) -> Option<&'n Node> {
        self.take_entry(key).map(|(_, v)| v)
    }

    /// Takes the key node and value of a key.
    pub fn take_entry(&mut self, key: &str) -> Option<(&'n Node, &'n Node)> {
        let i = self.entries.iter().position(|(k, _)| k.key_is(key))?;
        self.used[i] = true;
        let (k, v) = &self.entries[i];
        Some((k, v))
    }

    /// Takes a key whose `null` value means "not given".
    pub fn take_some(&mut self, key: &str) -> Option<&'n Node> {
        self.take(key).filter(|v| !v.is_null())
    }

    /// Whether a key is present (without consuming it).
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.key_is(key))
    }

    /// The keys nobody took, in file order.
    pub fn rest(&self) -> impl Iterator<Item = &'n (Node, Node)> + '_ {
        self.entries
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e)
    }

    /// Takes every key nobody took yet (copies, in file order).
    pub fn take_rest(&mut self) -> Vec<(Node, Node)> {
        let rest = self.rest().cloned().collect();
        self.used.iter_mut().for_each(|u| *u = true);
        rest
    }

    /// Reports every key nobody took as unknown.
    pub fn finish(self, diags: &mut Diagnostics, what: &str, known: &[&str]) {
        for (key, _) in self.rest() {
            let text = key.key_text();
            diags.push(
                Diagnostic::error(key.span, format!("unknown key `{text}` in {what}"))
                    .with_label_opt(suggest::label(&text, known.iter().copied()))
                    .with_help(format!("{what} accepts: {}", known.join(", "))),
            );
        }
    }
}

/// Regexes compiled during one load, by (pattern, whole-value match). Scenarios repeat the same few
/// patterns thousands of times and compiling a Unicode-aware regex is the most expensive step of
/// loading; a cloned `Regex` shares the compiled program, so reuse changes nothing else.
#[derive(Default)]
pub(crate) struct RegexCache(RefCell<HashMap<(String, bool), Regex>>);

/// Converts nodes into typed values, recording type errors.
pub(crate) struct Checker<'d> {
    pub diags: &'d mut Diagnostics,
    pub regexes: &'d RegexCache,
}

impl Checker<'_> {
    fn type_error(&mut self, node: &Node, key: &str, expected: &str) {
        self.diags.push(Diagnostic::error(
            node.span,
            format!("`{key}` must be {expected}, found {}", node.type_name()),
        ));
    }

    /// A text value; numbers and booleans are accepted and shown as written.
    pub fn text(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.kind {
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => Some(node.key_text()),
            _ => {
                self.type_error(node, key, "a string");
                None
            }
        }
    }

    /// A boolean (`true`/`false` only: YAML 1.2 has no `yes`/`no`).
    pub fn bool(&mut self, node: &Node, key: &str) -> Option<bool> {
        match &node.kind {
            NodeKind::Bool(b) => Some(*b),
            NodeKind::Str(s) if matches!(s.to_lowercase().as_str(), "yes" | "no" | "on" | "off") => {
                self.diags.push(
                    Diagnostic::error(
                        node.span,
                        format!("`{key}` must be true or false, found the string `{s}`"),
                    )
                    .with_help("stressor reads YAML 1.2: only `true` and `false` are booleans"),
                );
                None
            }
            _ => {
                self.type_error(node, key, "true or false");
                None
            }
        }
    }

    /// A non-negative integer.
    pub fn count(&mut self, node: &Node, key: &str) -> Option<u64> {
        match &node.kind {
            NodeKind::Int(i) if *i >= 0 => Some(*i as u64),
            NodeKind::Int(i) => {
                self.diags.push(Diagnostic::error(
                    node.span,
                    format!("`{key}` must be zero or positive, found {i}"),
                ));
                None
            }
            NodeKind::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 9.0e15 => Some(*f as u64),
            _ => {
                self.type_error(node, key, "a whole number");
                None
            }
        }
    }

    /// A duration: a number of seconds or a string with units.
    pub fn duration(&mut self, node: &Node, key: &str) -> Option<Duration> {
        match &node.kind {
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Str(_) => {
                let text = node.key_text();
                match parse_duration(&text) {
                    Ok(d) => Some(d),
                    Err(why) => {
                        self.diags.push(
                            Diagnostic::error(node.span, format!("invalid duration for `{key}`: {why}")).with_help(
                                "write seconds as a number (`1.5`) or a string with a unit (`250ms`, `2s`, `1m30s`)",
                            ),
                        );
                        None
                    }
                }
            }
            _ => {
                self.type_error(node, key, "a duration (seconds, or a string like `250ms`)");
                None
            }
        }
    }

    /// A byte size: a whole number of bytes or a string with a unit (`16MiB`), at least 1 byte.
    pub fn size(&mut self, node: &Node, key: &str) -> Option<u64> {
        let help = "write bytes as a number (`1048576`) or a string with a unit (`512KiB`, `16MiB`, `1GB`)";
        let parsed = match &node.kind {
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Str(_) => {
                crate::scenario::size::parse_size(&node.key_text())
            }
            _ => {
                self.type_error(node, key, "a size (bytes, or a string like `16MiB`)");
                return None;
            }
        };
        match parsed {
            Ok(0) => Err("it must be at least 1 byte".to_owned()),
            other => other,
        }
        .map_err(|why| {
            self.diags
                .push(Diagnostic::error(node.span, format!("invalid size for `{key}`: {why}")).with_help(help));
        })
        .ok()
    }

    /// A duration, or a `$(var)` template resolved at run time.
    pub fn duration_param(&mut self, node: &Node, key: &str) -> Option<Param<Duration>> {
        match node.as_str() {
            Some(s) if s.contains("$(") => Some(Param::Template(s.to_string())),
            _ => self.duration(node, key).map(Param::Fixed),
        }
    }

    /// A regular expression, compiled with multi-line anchors (as Python's `re.MULTILINE`).
    pub fn pattern(&mut self, node: &Node, key: &str) -> Option<Pattern> {
        let source = match &node.kind {
            NodeKind::Str(s) => s.clone(),
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::Bool(_) => node.key_text(),
            _ => {
                self.type_error(node, key, "a regular expression string");
                return None;
            }
        };
        compile_pattern(self.diags, self.regexes, &source, node.span, key)
    }
}

/// Compiles a regex, reporting the regex engine's own explanation on failure.
pub(crate) fn compile_pattern(
    diags: &mut Diagnostics,
    cache: &RegexCache,
    source: &str,
    span: Span,
    key: &str,
) -> Option<Pattern> {
    compile_anchored(diags, cache, source, span, key, false)
}

/// Like [`compile_pattern`]; with `whole` the regex must match the entire text (`assert_json`). A
/// pattern with `$(var)` macros is kept for run time ([`Pattern::new`]).
pub(crate) fn compile_anchored(
    diags: &mut Diagnostics,
    cache: &RegexCache,
    source: &str,
    span: Span,
    key: &str,
    whole: bool,
) -> Option<Pattern> {
    let mode = if whole { PatternMode::Whole } else { PatternMode::Search };
    let cache_key = (source.to_string(), whole);
    if let Some(regex) = cache.0.borrow().get(&cache_key) {
        return Some(Pattern {
            source: source.to_string(),
            regex: Some(regex.clone()),
            mode,
            span,
            vars: Vec::new(),
            literal: None,
        });
    }
    match Pattern::new(source, mode, span) {
        Ok(pattern) => {
            if let Some(regex) = &pattern.regex {
                cache.0.borrow_mut().insert(cache_key, regex.clone());
            }
            Some(pattern)
        }
        Err(err) => {
            let detail = crate::scenario::pattern::reason(&err);
            diags.push(
                Diagnostic::error(span, format!("invalid regex in `{key}`: {detail}"))
                    .with_label(format!("in `{source}`"))
                    .with_help(
                        "patterns use Rust regex syntax (like Python's `re`, without look-around or backreferences)",
                    ),
            );
            None
        }
    }
}
