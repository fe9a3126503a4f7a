//! Load-time warnings for `$(var)` references that nothing defines.
//!
//! A variable is defined when it is a `config` or `context` key, a built-in (`session_id`, `user`,
//! `last_result`, `dry_run`), or produced by any `store_*`, RunScript `export` or plugin that names
//! it (`Activity::sets`) in the file. Anything else is probably a typo; it is a warning, not an
//! error, because a plugin that does not name its variables may still set it at run time. Scripts
//! are not expanded, so they are not scanned; checks and stores are (their values, not the paths,
//! XPaths and header names that are their keys).

use super::diagnostic::{Diagnostic, Diagnostics};
use super::model::{ActivityKind, Scenario};
use super::node::{Node, NodeKind};
use super::source::{SourceMap, Span};
use super::suggest;
use crate::expand::references;

/// Variables every session has.
pub const BUILTINS: &[&str] = &["session_id", "user", "last_result", "dry_run", "pass"];

/// Keys whose values are never `$(var)`-expanded.
const NOT_EXPANDED: &[&str] = &["activity", "script", "path", "export", "thresholds", "name"];

/// Warns about every reference in `root` whose first segment no one defines.
pub(crate) fn warn_unknown(root: &Node, scenario: &Scenario, sources: &SourceMap, diags: &mut Diagnostics) {
    let mut known: Vec<String> = BUILTINS.iter().map(|s| s.to_string()).collect();
    known.extend(scenario.context.keys().cloned());
    // Every feeder the section names, also one whose file could not be read: that problem is its own
    // error, and the model leaves such a feeder out, so `scenario.feeders` would call its
    // `$(accounts.username)` a variable nothing defines, a second, wrong message about the same line.
    if let Some(entries) = root.get("feeders").and_then(Node::as_map) {
        known.extend(entries.iter().map(|(k, _)| k.key_text()));
    }
    for seq in &scenario.sequences {
        for a in &seq.activities {
            known.extend(a.common.stores.iter().map(|s| s.var.clone()));
            match &a.kind {
                ActivityKind::Script(s) => known.extend(s.export.iter().cloned()),
                ActivityKind::Plugin(p) => known.extend(p.sets.iter().cloned()),
                _ => {}
            }
        }
    }
    let mut check = |node: &Node| {
        let NodeKind::Str(text) = &node.kind else { return };
        for r in references(text) {
            if let Some(feeder) = scenario.feeders.iter().find(|f| f.name == r.root) {
                warn_unknown_column(feeder, &r, narrow(sources, node.span, text, r.range.clone()), diags);
                continue;
            }
            if known.contains(&r.root) {
                continue;
            }
            diags.push(
                Diagnostic::warning(narrow(sources, node.span, text, r.range), format!("`$({})` refers to a variable that nothing defines", r.path))
                    .with_label_opt(suggest::label(&r.root, known.iter().map(String::as_str)))
                    .with_help("define it in `context`, or produce it with `store_json`/`store_header`/`store_regex` or a RunScript `export`"),
            );
        }
    };
    for section in ["config", "context"] {
        if let Some(n) = root.get(section) {
            n.walk(&mut check);
        }
    }
    let Some(sequences) = root.get("sequences").and_then(Node::as_map) else {
        return;
    };
    for (_, list) in sequences {
        let NodeKind::Seq(items) = &list.kind else { continue };
        for item in items {
            for (key, value) in item.as_map().unwrap_or_default() {
                if !NOT_EXPANDED.contains(&key.key_text().as_str()) {
                    value.walk(&mut check);
                }
            }
        }
    }
}

/// `$(accounts.usrname)` where `accounts` is a feeder without that column: a warning with the nearest
/// column, since every row has the same ones.
fn warn_unknown_column(feeder: &super::Feeder, r: &crate::expand::VarRef, span: Span, diags: &mut Diagnostics) {
    let Ok(segments) = crate::expand::parse_path(&r.path) else {
        return;
    };
    let Some(crate::expand::Segment::Key(column)) = segments.get(1) else {
        return;
    };
    let columns = feeder.data.columns();
    if columns.iter().any(|c| c == column) {
        return;
    }
    diags.push(
        Diagnostic::warning(
            span,
            format!("`$({})`: feeder `{}` has no column `{column}`", r.path, feeder.name),
        )
        .with_label_opt(suggest::label(column, columns.iter().map(String::as_str)))
        .with_help(format!("its columns: {}", columns.join(", "))),
    );
}

/// The span of `range` inside a string scalar, when the source spells the value literally (plain or
/// quoted without escapes); otherwise the whole scalar.
fn narrow(sources: &SourceMap, span: Span, value: &str, range: std::ops::Range<usize>) -> Span {
    let Some(src) = sources.get(span.file).and_then(|f| f.text.get(span.offset..)) else {
        return span;
    };
    let skip = usize::from(src.starts_with(['"', '\'']));
    if src.get(skip..skip + value.len()) != Some(value) {
        return span;
    }
    let offset = span.offset + skip + range.start;
    let col = span.col + (skip + value[..range.start].chars().count()) as u32;
    Span {
        offset,
        col,
        len: range.len(),
        ..span
    }
}
