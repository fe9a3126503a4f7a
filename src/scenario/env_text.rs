//! Text from `$env()` is data, not a template.
//!
//! `$env(NAME)` is resolved while the file loads, but its text comes from the environment, not from
//! the author: a `$(` in it must reach the request as `$(`, never expand (SPEC §11: values from
//! outside are data). So the loader remembers where `$env()` put text holding `$(`, and:
//! - in activity arguments (every one a run-time template, except a script's body), that text is
//!   escaped to `$$(` at once ([`escape_in_sequences`]);
//! - a `config`/`context` variable or a user keeps the text as it is (a script, basic auth and
//!   `$debug` read it raw), and gets an *expand-as* copy with the text escaped ([`expand_as`]), which
//!   the run's [`Templates`](crate::expand::Templates) expand from.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::{EnvTemplate, Node, NodeKind, Span, User};

/// Where `$env()` gave text holding `$(` (the spans of the macros it replaced).
#[derive(Debug, Default)]
pub struct EnvTexts(pub HashSet<Span>);

impl EnvTexts {
    /// Whether `node`, or anything in it, is such text.
    fn within(&self, node: &Node) -> bool {
        match &node.kind {
            NodeKind::Str(_) => self.0.contains(&node.span),
            NodeKind::Seq(items) => items.iter().any(|n| self.within(n)),
            NodeKind::Map(entries) => entries.iter().any(|(_, n)| self.within(n)),
            _ => false,
        }
    }

    /// `$(` escaped as `$$(` in every such text in `node`, except under `skip` keys.
    fn escape(&self, node: &mut Node, skip: &[&str]) {
        match &mut node.kind {
            NodeKind::Str(s) if self.0.contains(&node.span) => *s = s.replace("$(", "$$("),
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| self.escape(n, skip)),
            NodeKind::Map(entries) => entries
                .iter_mut()
                .filter(|(k, _)| !skip.iter().any(|s| k.key_is(s)))
                .for_each(|(_, n)| self.escape(n, skip)),
            _ => {}
        }
    }
}

/// Escapes `$env()` text in the activities of `sequences` (a script's body is not a template).
pub fn escape_in_sequences(root: &mut Node, env: &EnvTexts) {
    if env.0.is_empty() {
        return;
    }
    if let NodeKind::Map(entries) = &mut root.kind {
        for (_, value) in entries.iter_mut().filter(|(k, _)| k.key_is("sequences")) {
            env.escape(value, &["script"]);
        }
    }
}

/// `node` as a template expands it, when it holds `$env()` text: that text escaped. `None` otherwise
/// (it expands as written).
pub fn expand_as(node: &Node, env: &EnvTexts) -> Option<Value> {
    if env.0.is_empty() || !env.within(node) {
        return None;
    }
    let mut copy = node.clone();
    env.escape(&mut copy, &[]);
    Some(copy.to_json())
}

/// The variables of the `config` then `context` (which wins) sections that hold `$env()` text with
/// a `$(`; `context` is the merged result.
pub(crate) fn variables(
    env: &EnvTexts,
    sections: [Option<&Node>; 2],
    context: &Map<String, Value>,
) -> BTreeMap<String, EnvTemplate> {
    let mut out = BTreeMap::new();
    for (key, node) in sections.into_iter().flatten().filter_map(Node::as_map).flatten() {
        let name = key.key_text();
        match (expand_as(node, env), context.get(&name)) {
            (Some(expand_as), Some(written)) => {
                let written = written.clone();
                out.insert(name, EnvTemplate { written, expand_as });
            }
            _ => {
                out.remove(&name);
            }
        }
    }
    out
}

/// A user's [`EnvTemplate`], when its entry `item` holds `$env()` text with a `$(`.
pub(crate) fn user(env: &EnvTexts, item: &Node, user: &User) -> Option<EnvTemplate> {
    let escaped = expand_as(item, env)?;
    let mut copy = user.clone();
    if let Some(Value::String(name)) = escaped.get("name") {
        copy.name = name.clone();
    }
    if let (Some(_), Some(Value::String(password))) = (&copy.password, escaped.get("password")) {
        copy.password = Some(password.clone());
    }
    for (key, value) in &mut copy.extra {
        if let Some(e) = escaped.get(key) {
            *value = e.clone();
        }
    }
    Some(EnvTemplate {
        written: user.to_value(),
        expand_as: copy.to_value(),
    })
}
