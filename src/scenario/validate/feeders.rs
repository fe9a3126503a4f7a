//! The `feeders` section: named data files, read now, and the `Feed` activity that takes their rows.

use super::Validator;
use super::reader::Fields;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::feeder::{FeedData, FeedError, FeedOrder, Feeder};
use crate::scenario::macros::resolve_in_root;
use crate::scenario::model::{ActivityKind, FeedArgs};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;
use std::path::Path;
use std::sync::Arc;

const ENTRY: &[&str] = &["file", "order", "generate"];

/// Every `feeders` entry, each with its data read. Entries with a problem are reported and left out.
pub(super) fn section(v: &mut Validator, node: &Node) -> Vec<Feeder> {
    let Some(entries) = node.as_map() else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!("`feeders` must be a mapping, found {}", node.type_name()),
            )
            .with_help("e.g. `feeders: {accounts: {file: accounts.csv, order: unique}}`"),
        );
        return Vec::new();
    };
    // Every name counts as declared, even when its file has a problem (reported once, here), so a
    // `Feed` of it does not add a second error.
    v.feeders = entries.iter().map(|(k, _)| k.key_text()).collect();
    entries
        .iter()
        .filter_map(|(key, value)| feeder(v, key, value))
        .collect()
}

fn feeder(v: &mut Validator, key: &Node, value: &Node) -> Option<Feeder> {
    let name = key.key_text();
    if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        v.diags.push(
            Diagnostic::error(key.span, format!("feeder name `{name}` cannot be a variable name"))
                .with_help("rows are read as `$(NAME.column)`: use letters, digits and `_`, starting with a letter"),
        );
        return None;
    }
    let mut f = Fields::of(value).or_else(|| {
        v.diags.push(
            Diagnostic::error(
                value.span,
                format!("feeder `{name}` must be a mapping with `file:` or `generate:`"),
            )
            .with_help("e.g. `accounts: {file: accounts.csv, order: unique}`"),
        );
        None
    })?;
    let file = f.take_some("file");
    let order = f.take_some("order");
    let generate = f.take_some("generate");
    f.finish(v.diags, &format!("feeder `{name}`"), ENTRY);
    if let Some(g) = generate {
        return generated(v, name, key, g, file.or(order));
    }
    let order = match order {
        None => FeedOrder::default(),
        Some(n) => {
            let text = v.check().text(n, "order")?;
            match FeedOrder::from_name(&text) {
                Some(order) => order,
                None => {
                    v.diags.push(
                        Diagnostic::error(n.span, format!("unknown feeder order `{text}`"))
                            .with_label_opt(suggest::label(&text, FeedOrder::NAMES.iter().copied()))
                            .with_help("`order` is `sequential` (the default), `random` or `unique`"),
                    );
                    return None;
                }
            }
        }
    };
    let Some(file) = file else {
        v.diags.push(
            Diagnostic::error(value.span, format!("feeder `{name}` has no `file` (or `generate`)")).with_help(
                "name a .csv (with a header row), .json (array of objects) or .jsonl file, or `generate:` its rows",
            ),
        );
        return None;
    };
    let rel = v.check().text(file, "file")?;
    let base = v.folder_of(file.span.file);
    let path = match resolve_in_root(&base, &rel, v.root) {
        Ok(path) => path,
        Err(why) => {
            v.diags
                .push(Diagnostic::error(file.span, format!("cannot use feeder file: {why}")));
            return None;
        }
    };
    let data = match FeedData::read(&path) {
        Ok(data) => data,
        Err(err) => {
            report(v, &err, file);
            return None;
        }
    };
    if data.is_empty() {
        v.diags.push(
            Diagnostic::error(file.span, format!("feeder `{name}`: `{rel}` has no rows"))
                .with_help("a feeder needs at least one row after the header"),
        );
        return None;
    }
    Some(Feeder {
        name,
        path,
        order,
        data: Arc::new(data),
        generate: None,
        span: key.span,
    })
}

/// A feeder with `generate:`: its rows are made when a `Feed` asks (`other` is a `file` or `order` given
/// too, which it has no use for).
fn generated(v: &mut Validator, name: String, key: &Node, node: &Node, other: Option<&Node>) -> Option<Feeder> {
    if let Some(n) = other {
        v.diags.push(
            Diagnostic::error(
                n.span,
                format!("feeder `{name}` generates its rows: it takes neither `file` nor `order`"),
            )
            .with_help(
                "a generated feeder makes a new row for every `Feed`; `counter` is unique across sessions and shards",
            ),
        );
        return None;
    }
    let generated = super::generate::columns(v, &name, node)?;
    v.generated_feeders = true;
    let columns = generated.columns.iter().map(|(c, _)| c.clone()).collect();
    Some(Feeder {
        name,
        path: Default::default(),
        order: FeedOrder::Unique,
        data: Arc::new(FeedData::columns_only(columns)),
        generate: Some(Arc::new(generated)),
        span: key.span,
    })
}

/// A data file's problem at its line (the file joins the sources so the line can be shown), or at the
/// `file:` value when there is no line.
fn report(v: &mut Validator, err: &FeedError, file: &Node) {
    let at_line = err.line.and_then(|line| {
        // Lossy: a row that is not UTF-8 is what some errors are about, and it must still be shown.
        let text = String::from_utf8_lossy(&std::fs::read(&err.path).ok()?).into_owned();
        let shown = shown_path(v, &err.path);
        let id = v.sources.add(shown, text);
        let source = v.sources.get(id)?;
        let offset = source.offset_of(u32::try_from(line).ok()?, 1);
        let len = source.line_text(u32::try_from(line).ok()?).len();
        Some(source.span_at(id, offset, len))
    });
    let diagnostic = match at_line {
        Some(span) => Diagnostic::error(span, err.message.clone()),
        None => Diagnostic::error(file.span, err.message.clone()),
    };
    v.diags.push(diagnostic.with_help(
        "feeder files are CSV with a header row (every row as many fields), a JSON array of objects, or JSON Lines",
    ));
}

/// The data file's path as the user would write it: relative to the main file's folder when below it.
fn shown_path(v: &Validator, path: &Path) -> std::path::PathBuf {
    let dir = v.main_path.parent().unwrap_or(Path::new(""));
    let canonical_dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match path.strip_prefix(&canonical_dir) {
        Ok(rel) => dir.join(rel),
        Err(_) => path.to_path_buf(),
    }
}

/// A `Feed` activity: `feeder:` must name a feeder of the file.
pub(super) fn feed(v: &mut Validator, f: &mut Fields) -> Option<ActivityKind> {
    let Some(node) = f.take_some("feeder") else {
        v.diags.push(
            Diagnostic::error(f.span, "`Feed` needs `feeder:`, the name of a `feeders` entry")
                .with_help("e.g. `- activity: Feed` with `feeder: accounts`"),
        );
        return None;
    };
    let name = match &node.kind {
        NodeKind::Str(s) => s.clone(),
        _ => {
            v.diags.push(Diagnostic::error(
                node.span,
                format!("`feeder` must be a name, found {}", node.type_name()),
            ));
            return None;
        }
    };
    if !v.feeders.contains(&name) {
        let known: Vec<&str> = v.feeders.iter().map(String::as_str).collect();
        v.diags.push(
            Diagnostic::error(node.span, format!("no feeder is named `{name}`"))
                .with_label_opt(suggest::label(&name, known.iter().copied()))
                .with_help(if known.is_empty() {
                    "define it under the top-level `feeders:` section".to_string()
                } else {
                    format!("feeders: {}", known.join(", "))
                }),
        );
        return None;
    }
    Some(ActivityKind::Feed(FeedArgs { feeder: name }))
}
