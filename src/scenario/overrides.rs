//! `-o NAME:VALUE` overrides, applied to the node tree after load-time macros and before validation.
//!
//! The value is read as a YAML scalar (`-o n:42` gives the number 42, `-o flag:true` a boolean). A bare
//! `NAME` sets `config.NAME` — and `context.NAME` too when the context defines it, because a context key
//! wins over the config key of the same name and the override must win over both. `config.NAME`,
//! `sessions.NAME`, `context.NAME` and `load.NAME` (dotted further into nested mappings) set exactly that
//! key (a scalar: `load.seed`, `load.max_sessions`, `load.arrivals`, not the list of `load.stages`). Each
//! override is kept as a small pseudo-file holding what the user wrote, named for where it came from
//! (`<-o>` for `-o NAME:VALUE`, `<env STRESSOR_BASE_URL>` holding `STRESSOR_BASE_URL=VALUE` for an
//! environment variable, `<harness hook>` for a program's), so a bad value is reported like any other,
//! against the thing the user can fix.

use super::diagnostic::{Diagnostic, Diagnostics};
use super::macros::scalar_node;
use super::node::{Node, NodeKind};
use super::source::{SourceMap, Span};

/// One `-o`-style override (`NAME:VALUE`) and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// `NAME:VALUE`.
    pub text: String,
    /// Where it came from, so that a diagnostic names what the user wrote.
    pub origin: OverrideOrigin,
}

/// Where an [`Override`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OverrideOrigin {
    /// `-o NAME:VALUE` on the command line (or [`ScenarioBuilder::option`](super::ScenarioBuilder)).
    Option,
    /// An environment variable (`STRESSOR_BASE_URL`, `STRESSOR_OPT_<name>`) whose value is `VALUE`.
    Env(String),
    /// A program set it (the harness's `before` hook, `run --serve`): the name says which.
    Program(String),
}

impl Override {
    /// An override from an environment variable: `var` holds `value`, which sets `name`.
    pub fn env(var: impl Into<String>, name: &str, value: &str) -> Self {
        Override {
            text: format!("{name}:{value}"),
            origin: OverrideOrigin::Env(var.into()),
        }
    }

    /// An override a program set (`who` names it in diagnostics).
    pub fn program(who: impl Into<String>, text: impl Into<String>) -> Self {
        Override {
            text: text.into(),
            origin: OverrideOrigin::Program(who.into()),
        }
    }

    /// The pseudo-file that holds it (its name and text, as the user wrote it) and the byte offset at
    /// which `NAME:VALUE`'s value starts in that text.
    fn file(&self) -> (String, String, Option<usize>) {
        let colon = self.text.find(':');
        match &self.origin {
            OverrideOrigin::Option => ("<-o>".into(), self.text.clone(), colon.map(|c| c + 1)),
            OverrideOrigin::Program(who) => (format!("<{who}>"), self.text.clone(), colon.map(|c| c + 1)),
            OverrideOrigin::Env(var) => {
                let value = colon.map_or("", |c| &self.text[c + 1..]);
                (format!("<env {var}>"), format!("{var}={value}"), Some(var.len() + 1))
            }
        }
    }
}

impl From<String> for Override {
    /// A `-o NAME:VALUE` option.
    fn from(text: String) -> Self {
        Override {
            text,
            origin: OverrideOrigin::Option,
        }
    }
}

impl From<&str> for Override {
    /// A `-o NAME:VALUE` option.
    fn from(text: &str) -> Self {
        Override::from(text.to_string())
    }
}

/// Applies every override in order; later ones win.
pub(crate) fn apply(root: &mut Node, overrides: &[Override], sources: &mut SourceMap, diags: &mut Diagnostics) {
    for o in overrides {
        let (path, file_text, value_at) = o.file();
        let text = &o.text;
        let id = sources.add(path, file_text.clone());
        let whole = Span {
            file: id,
            line: 1,
            col: 1,
            offset: 0,
            len: file_text.len(),
        };
        let (Some((name, value)), Some(value_at)) = (text.split_once(':'), value_at) else {
            diags.push(
                Diagnostic::error(whole, format!("`-o` expects NAME:VALUE, found `{text}`"))
                    .with_help("e.g. `-o base_url:http://127.0.0.1:8082` or `-o sessions.count:10`"),
            );
            continue;
        };
        let name = name.trim();
        let value_span = Span {
            offset: value_at,
            col: file_text[..value_at].chars().count() as u32 + 1,
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
            "config" | "sessions" | "context" | "load" if path.len() > 1 => vec![path.clone()],
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
                        "overrides reach `config.*`, `sessions.*`, `context.*` and `load.*`; a bare name sets `config.NAME`",
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
