//! `-o NAME:VALUE` overrides, applied to the node tree after load-time macros and before validation.
//!
//! The value is read as a YAML scalar (`-o n:42` gives the number 42, `-o flag:true` a boolean). A bare
//! `NAME` sets `config.NAME` — and `context.NAME` too when the context defines it, because a context key
//! wins over the config key of the same name and the override must win over both. `config.NAME`,
//! `sessions.NAME` and `context.NAME` (dotted further into nested mappings) set exactly that key. Each
//! override is kept as a small pseudo-file named `<-o>`, so a bad value is reported like any other.

use super::diagnostic::{Diagnostic, Diagnostics};
use super::macros::scalar_node;
use super::node::{Node, NodeKind};
use super::source::{SourceMap, Span};

/// Applies every override in order; later ones win.
pub(crate) fn apply(root: &mut Node, overrides: &[String], sources: &mut SourceMap, diags: &mut Diagnostics) {
    for text in overrides {
        let id = sources.add("<-o>", text.clone());
        let whole = Span {
            file: id,
            line: 1,
            col: 1,
            offset: 0,
            len: text.len(),
        };
        let Some((name, value)) = text.split_once(':') else {
            diags.push(
                Diagnostic::error(whole, format!("`-o` expects NAME:VALUE, found `{text}`"))
                    .with_help("e.g. `-o base_url:http://127.0.0.1:8082` or `-o sessions.count:10`"),
            );
            continue;
        };
        let name = name.trim();
        let value_span = Span {
            offset: name.len() + 1,
            col: name.chars().count() as u32 + 2,
            len: value.len(),
            ..whole
        };
        let value = scalar_node(value, value_span);
        let path: Vec<&str> = name.split('.').collect();
        if path.iter().any(|p| p.is_empty()) {
            diags.push(Diagnostic::error(
                whole,
                format!("`-o` needs a name before `:`, found `{name}`"),
            ));
            continue;
        }
        let targets: Vec<Vec<&str>> = match path[0] {
            "config" | "sessions" | "context" if path.len() > 1 => vec![path.clone()],
            _ if path.len() == 1 => {
                let mut t = vec![vec!["config", path[0]]];
                if root.get("context").and_then(|c| c.get(path[0])).is_some() {
                    t.push(vec!["context", path[0]]);
                }
                t
            }
            other => {
                diags.push(
                    Diagnostic::error(whole, format!("`-o {name}`: cannot override `{other}`")).with_help(
                        "overrides reach `config.*`, `sessions.*` and `context.*`; a bare name sets `config.NAME`",
                    ),
                );
                continue;
            }
        };
        if root.as_map().is_none() {
            return;
        }
        for target in targets {
            set_path(root, &target, value.clone(), whole);
        }
    }
}

fn set_path(node: &mut Node, path: &[&str], value: Node, span: Span) {
    let Some((first, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    if !matches!(node.kind, NodeKind::Map(_)) {
        node.kind = NodeKind::Map(Vec::new());
    }
    let NodeKind::Map(entries) = &mut node.kind else { return };
    let idx = match entries.iter().position(|(k, _)| k.key_is(first)) {
        Some(i) => i,
        None => {
            entries.push((
                Node::new(NodeKind::Str((*first).to_string()), span),
                Node::new(NodeKind::Null, span),
            ));
            entries.len() - 1
        }
    };
    set_path(&mut entries[idx].1, rest, value, span);
}
