//! A feeder's `generate:` (the columns of generated rows) and the `Record` activity.

use super::Validator;
use super::reader::Fields;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::generate::{Generated, Generator, RecordArgs, RecordFormat};
use crate::scenario::model::ActivityKind;
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::suggest;
use std::path::{Component, Path, PathBuf};

const HELP: &str = "generators: uuid, counter, {counter: {start: N}}, {int: [MIN, MAX]}, {float: [MIN, MAX]}, {string: LENGTH}, {pick: [a, b, ...]}, now, now_ms";

/// `generate:` of a feeder: a mapping of column names to generators.
pub(super) fn columns(v: &mut Validator, name: &str, node: &Node) -> Option<Generated> {
    let Some(entries) = node.as_map().filter(|e| !e.is_empty()) else {
        v.diags.push(
            Diagnostic::error(
                node.span,
                format!("feeder `{name}`: `generate` must map column names to generators"),
            )
            .with_help("e.g. `generate: {id: uuid, n: counter, qty: {int: [1, 10]}}`"),
        );
        return None;
    };
    let mut columns = Vec::new();
    let mut ok = true;
    for (key, value) in entries {
        match generator(v, value) {
            Some(g) => columns.push((key.key_text(), g)),
            None => ok = false,
        }
    }
    ok.then_some(Generated { columns })
}

/// One generator: a name (`uuid`), or a one-key mapping with its arguments (`{int: [1, 10]}`).
fn generator(v: &mut Validator, node: &Node) -> Option<Generator> {
    let (name, name_span, args) = match &node.kind {
        NodeKind::Str(s) => (s.clone(), node.span, None),
        NodeKind::Map(entries) if entries.len() == 1 => {
            (entries[0].0.key_text(), entries[0].0.span, Some(&entries[0].1))
        }
        _ => {
            v.diags.push(
                Diagnostic::error(
                    node.span,
                    format!("a generator is a name or a one-key mapping, found {}", node.type_name()),
                )
                .with_help(HELP),
            );
            return None;
        }
    };
    let wrong = |v: &mut Validator, what: &str| {
        let span = args.map_or(node.span, |a| a.span);
        v.diags
            .push(Diagnostic::error(span, format!("`{name}` {what}")).with_help(HELP));
        None
    };
    match (name.as_str(), args) {
        ("uuid", None) => Some(Generator::Uuid),
        ("now", None) => Some(Generator::Now),
        ("now_ms", None) => Some(Generator::NowMs),
        ("counter", None) => Some(Generator::Counter { start: 1 }),
        ("counter", Some(a)) => {
            let start = Fields::of(a).and_then(|mut f| {
                let start = f.take_some("start");
                f.finish(v.diags, "`counter`", &["start"]);
                start
            });
            match start.map(|n| &n.kind) {
                Some(NodeKind::Int(start)) => Some(Generator::Counter { start: *start }),
                _ => wrong(v, "takes `{start: N}`, a whole number"),
            }
        }
        ("int", Some(a)) => match pair(a) {
            Some((NodeKind::Int(min), NodeKind::Int(max))) if min <= max => {
                Some(Generator::Int { min: *min, max: *max })
            }
            _ => wrong(v, "takes `[MIN, MAX]`, two whole numbers with MIN <= MAX"),
        },
        ("float", Some(a)) => match pair(a).and_then(|(a, b)| Some((number(a)?, number(b)?))) {
            Some((min, max)) if min < max && (max - min).is_finite() => Some(Generator::Float { min, max }),
            _ => wrong(v, "takes `[MIN, MAX]`, two numbers with MIN < MAX"),
        },
        ("string", Some(a)) => match &a.kind {
            NodeKind::Int(len) if (1..=4096).contains(len) => Some(Generator::Text { len: *len as usize }),
            _ => wrong(v, "takes a length from 1 to 4096"),
        },
        ("pick", Some(a)) => match &a.kind {
            NodeKind::Seq(items) if !items.is_empty() => {
                Some(Generator::Pick(items.iter().map(Node::to_json).collect()))
            }
            _ => wrong(v, "takes a non-empty list of values"),
        },
        ("int" | "float" | "string" | "pick", None) => {
            let example = match name.as_str() {
                "int" => "{int: [1, 10]}",
                "float" => "{float: [0.5, 99.9]}",
                "string" => "{string: 12}",
                _ => "{pick: [red, green, blue]}",
            };
            v.diags.push(
                Diagnostic::error(node.span, format!("`{name}` needs arguments: write `{example}`")).with_help(HELP),
            );
            None
        }
        ("uuid" | "now" | "now_ms", Some(_)) => wrong(v, "takes no arguments"),
        (other, _) => {
            v.diags.push(
                Diagnostic::error(name_span, format!("unknown generator `{other}`"))
                    .with_label_opt(suggest::label(other, Generator::NAMES.iter().copied()))
                    .with_help(HELP),
            );
            None
        }
    }
}

fn pair(node: &Node) -> Option<(&NodeKind, &NodeKind)> {
    match &node.kind {
        NodeKind::Seq(items) if items.len() == 2 => Some((&items[0].kind, &items[1].kind)),
        _ => None,
    }
}

fn number(kind: &NodeKind) -> Option<f64> {
    match kind {
        NodeKind::Int(i) => Some(*i as f64),
        NodeKind::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

/// A `Record` activity: `file` (`.csv` or `.jsonl`, in a folder inside the scenario's) and `row`.
pub(super) fn record(v: &mut Validator, f: &mut Fields) -> Option<ActivityKind> {
    let (file, row) = (f.take_some("file"), f.take_some("row"));
    let Some(file) = file else {
        v.diags.push(
            Diagnostic::error(f.span, "`Record` needs `file:`, a .csv or .jsonl file to append to")
                .with_help("e.g. `- activity: Record` with `file: created.csv` and `row: {id: \"$(order.id)\"}`"),
        );
        return None;
    };
    let shown = v.check().text(file, "file")?;
    let format = match Path::new(&shown)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
    {
        Some(e) if e == "csv" => RecordFormat::Csv,
        Some(e) if e == "jsonl" || e == "ndjson" => RecordFormat::JsonLines,
        _ => {
            v.diags.push(
                Diagnostic::error(file.span, format!("`Record` writes .csv or .jsonl files, not `{shown}`"))
                    .with_help("the extension decides the format: .csv (a header row, values as text) or .jsonl (one JSON object per line)"),
            );
            return None;
        }
    };
    let path = match output_path(v, file, &shown) {
        Ok(path) => path,
        Err(why) => {
            v.diags.push(Diagnostic::error(
                file.span,
                format!("cannot record into `{shown}`: {why}"),
            ));
            return None;
        }
    };
    let row = match row.and_then(|n| n.as_map().filter(|e| !e.is_empty()).map(|e| (n, e))) {
        Some((_, entries)) => entries
            .iter()
            .map(|(k, value)| (k.key_text(), value.to_json()))
            .collect(),
        None => {
            v.diags.push(
                Diagnostic::error(
                    row.map_or(f.span, |n| n.span),
                    "`Record` needs `row:`, a mapping of column names to values",
                )
                .with_help("e.g. `row: {id: \"$(order.id)\", location: \"$(location)\"}`"),
            );
            return None;
        }
    };
    Some(ActivityKind::Record(Box::new(RecordArgs {
        file: path,
        shown,
        format,
        row,
    })))
}

/// Where `rel` (written in the file `file` is in) points: its folder must exist and be inside the
/// scenario's folder; the file itself may not exist yet.
fn output_path(v: &Validator, file: &Node, rel: &str) -> Result<PathBuf, String> {
    let base = v.folder_of(file.span.file);
    let joined = base.join(rel);
    let name = match joined.components().next_back() {
        Some(Component::Normal(name)) => name.to_owned(),
        _ => return Err("it names no file".into()),
    };
    let parent = joined
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let folder = parent
        .canonicalize()
        .map_err(|_| format!("folder `{}` does not exist", parent.display()))?;
    if !folder.starts_with(v.root) {
        return Err(format!("it is outside the scenario's folder `{}`", v.root.display()));
    }
    Ok(folder.join(name))
}
