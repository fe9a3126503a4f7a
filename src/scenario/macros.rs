//! Load-time macros: `$load(path)`, `$env(NAME[, default])`, `$sleep(a[, b])` and `$debug()` rewrite the
//! node tree before validation.
//!
//! A load-time macro must be a whole value (`users: $load(users.yaml)`); text around it would be lost,
//! so that is an error. `$load` paths are relative to the file that contains the macro and must stay
//! inside the scenario's folder (the main file's folder); loads are tracked on a stack, so a file that
//! loads itself (directly or not) is reported as a cycle instead of recursing forever.

use super::diagnostic::{Diagnostic, Diagnostics};
use super::node::{self, Node, NodeKind};
use super::source::{SourceMap, Span};
use super::suggest;
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The load-time macros.
pub const MACROS: &[&str] = &["load", "env", "sleep", "debug"];

/// Files bigger than this are refused before parsing: a scenario is configuration, not data.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Upper bound on `$load`s per scenario, so a wide fan-out of includes cannot blow up memory.
const MAX_LOADS: usize = 1000;

static MACRO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)^\s*\$([A-Za-z_]\w*)\((.*)\)\s*$").expect("static regex"));
static EMBEDDED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$(load|env|sleep|debug)\(").expect("static regex"));

/// A scenario file (or a `$load`ed one) that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {}", path.display(), io_reason(source))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It is a folder.
    #[error("`{}` is a directory", .0.display())]
    Directory(PathBuf),
    /// It is larger than [`MAX_FILE_SIZE`].
    #[error(
        "`{}` is too large ({:.1} MiB; scenario files are limited to {} MiB)",
        path.display(),
        *size as f64 / 1048576.0,
        MAX_FILE_SIZE / 1048576
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// It is not UTF-8 text.
    #[error("`{}` is not a text file (invalid UTF-8 at byte {at})", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// The first invalid byte.
        at: usize,
    },
    /// A relative path that does not name an existing file.
    #[error("file not found: `{}`", .0.display())]
    NotFound(PathBuf),
    /// A relative path that leads out of the scenario's folder.
    #[error("`{rel}` is outside the scenario folder `{}`", root.display())]
    OutsideRoot {
        /// The path as written.
        rel: String,
        /// The scenario folder.
        root: PathBuf,
    },
}

/// Reads a scenario file as text, refusing huge and binary files with a clear reason.
pub fn read_source(path: &Path) -> Result<String, SourceError> {
    let read = |source| SourceError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.is_dir() {
        return Err(SourceError::Directory(path.to_path_buf()));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(SourceError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(read)?;
    String::from_utf8(bytes).map_err(|e| SourceError::NotText {
        path: path.to_path_buf(),
        at: e.utf8_error().valid_up_to(),
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".into(),
        _ => e.to_string(),
    }
}

/// Resolves `rel` against `base` and checks that the result exists and lies inside `root`.
pub fn resolve_in_root(base: &Path, rel: &str, root: &Path) -> Result<PathBuf, SourceError> {
    let joined = base.join(rel);
    let full = joined.canonicalize().map_err(|_| SourceError::NotFound(joined))?;
    if !full.starts_with(root) {
        return Err(SourceError::OutsideRoot {
            rel: rel.to_string(),
            root: root.to_path_buf(),
        });
    }
    Ok(full)
}

/// Rewrites the load-time macros of one document.
pub(crate) struct Expander<'a> {
    pub sources: &'a mut SourceMap,
    pub diags: &'a mut Diagnostics,
    /// The scenario folder, canonical.
    pub root: PathBuf,
    /// Canonical paths of the files being loaded, outermost first.
    pub stack: Vec<PathBuf>,
    /// Environment lookup (the process environment, or a map in tests).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Where `$env()` gave text holding `$(`: data, which templates insert verbatim.
    pub env_texts: super::env_text::EnvTexts,
    loads: usize,
}

impl<'a> Expander<'a> {
    /// An expander for a main file whose canonical path is `main`.
    pub fn new(
        sources: &'a mut SourceMap,
        diags: &'a mut Diagnostics,
        root: PathBuf,
        main: PathBuf,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Self {
        Expander {
            sources,
            diags,
            root,
            stack: vec![main],
            env,
            env_texts: Default::default(),
            loads: 0,
        }
    }

    /// Expands every macro in `node`; `dir` is the folder of the file `node` came from (as displayed).
    pub fn expand(&mut self, node: &mut Node, dir: &Path) {
        match &mut node.kind {
            NodeKind::Seq(items) => items.iter_mut().for_each(|n| self.expand(n, dir)),
            NodeKind::Map(entries) => {
                let mut i = 0;
                while i < entries.len() {
                    if entries[i].0.key_is("activity") {
                        let extra = self.activity_macro(&mut entries[i].1);
                        let has_duration = entries.iter().any(|(k, _)| k.key_is("duration"));
                        if !extra.is_empty() && has_duration {
                            self.diags.push(Diagnostic::error(
                                entries[i].1.span,
                                "`$sleep()` sets `duration`; remove the separate `duration:` key",
                            ));
                        }
                        let n = extra.len();
                        for (j, e) in extra.into_iter().enumerate() {
                            entries.insert(i + 1 + j, e);
                        }
                        i += 1 + n;
                        continue;
                    }
                    self.expand(&mut entries[i].1, dir);
                    i += 1;
                }
            }
            NodeKind::Str(text) => {
                let text = text.clone();
                if let Some(new) = self.value_macro(&text, node.span, dir) {
                    *node = new;
                }
            }
            _ => {}
        }
    }

    /// `activity: $sleep(..)` / `activity: $debug()`: returns the entries to add after `activity`.
    fn activity_macro(&mut self, value: &mut Node) -> Vec<(Node, Node)> {
        let Some(text) = value.as_str().map(str::to_string) else {
            return Vec::new();
        };
        let Some((name, args)) = parse_macro(&text) else {
            return Vec::new();
        };
        let span = value.span;
        match name.as_str() {
            "sleep" => {
                value.kind = NodeKind::Str("Sleep".into());
                let args = split_args(&args);
                let bad = |d: &mut Diagnostics, msg: String| {
                    d.push(Diagnostic::error(span, msg).with_help(
                        "write `$sleep(0.5)` for a fixed sleep or `$sleep(0.1, 0.5)` for a random one, in seconds",
                    ));
                };
                // After a reported problem, a placeholder `duration` keeps validation from piling a
                // "missing argument" error on top; the scenario is rejected either way.
                let placeholder = vec![(
                    Node::new(NodeKind::Str("duration".into()), span),
                    Node::new(NodeKind::Int(0), span),
                )];
                if args.is_empty() || args.len() > 2 {
                    bad(
                        self.diags,
                        format!("`$sleep()` takes 1 or 2 durations, found {}", args.len()),
                    );
                    return placeholder;
                }
                let mut out = Vec::new();
                for (arg, key) in args.iter().zip(["duration", "duration_2"]) {
                    let ok = arg.contains("$(") || super::duration::parse_duration(arg).is_ok();
                    if !ok {
                        bad(self.diags, format!("`$sleep` argument `{arg}` is not a duration"));
                        return placeholder;
                    }
                    out.push((Node::new(NodeKind::Str(key.into()), span), scalar_node(arg, span)));
                }
                out
            }
            "debug" => {
                if !args.trim().is_empty() {
                    self.diags
                        .push(Diagnostic::error(span, "`$debug()` takes no arguments"));
                }
                value.kind = NodeKind::Str("$debug".into());
                Vec::new()
            }
            _ => {
                self.value_macro(&text, span, Path::new(""))
                    .into_iter()
                    .for_each(|n| *value = n);
                Vec::new()
            }
        }
    }

    /// A macro in a value position (`$load`, `$env`); `None` leaves the node as it is.
    fn value_macro(&mut self, text: &str, span: Span, dir: &Path) -> Option<Node> {
        let Some((name, args)) = parse_macro(text) else {
            if let Some(m) = EMBEDDED.find(text) {
                self.diags.push(
                    Diagnostic::error(span, format!("`{}...)` must be the whole value, not part of a text", m.as_str()))
                        .with_help("put the macro in a context variable (`context: {host: $env(HOST)}`) and use `$(host)` in the text"),
                );
            }
            return None;
        };
        match name.as_str() {
            "load" => Some(
                self.load(&args, span, dir)
                    .unwrap_or_else(|| Node::new(NodeKind::Null, span)),
            ),
            "env" => Some(self.env(&args, span).unwrap_or_else(|| Node::new(NodeKind::Null, span))),
            "sleep" | "debug" => {
                self.diags.push(
                    Diagnostic::error(span, format!("`${name}()` is only valid as the value of `activity:`"))
                        .with_help(format!("write `- activity: ${name}(...)` in a sequence")),
                );
                None
            }
            other => {
                self.diags.push(
                    Diagnostic::warning(
                        span,
                        format!("`${other}(...)` looks like a macro, but there is no macro `{other}`"),
                    )
                    .with_label_opt(
                        suggest::did_you_mean(other, MACROS.iter().copied())
                            .map(|m| format!("did you mean `${m}(...)`?")),
                    )
                    .with_help("load-time macros: $load(path), $env(NAME[, default]), $sleep(a[, b]), $debug()"),
                );
                None
            }
        }
    }

    fn env(&mut self, args: &str, span: Span) -> Option<Node> {
        let args = split_args(args);
        let (name, default) = match args.as_slice() {
            [name] => (name, None),
            [name, default] => (name, Some(default)),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "`$env()` takes a name and an optional default, found {} arguments",
                            args.len()
                        ),
                    )
                    .with_help("write `$env(NAME)` or `$env(NAME, default)`"),
                );
                return None;
            }
        };
        match ((self.env)(name), default) {
            (Some(value), _) => {
                if value.contains("$(") {
                    self.env_texts.0.insert(span);
                }
                Some(scalar_node(&value, span))
            }
            (None, Some(default)) => Some(scalar_node(default, span)),
            (None, None) => {
                self.diags.push(
                    Diagnostic::error(span, format!("environment variable `{name}` is not set")).with_help(format!(
                        "set it before running, or give a default: `$env({name}, value)`"
                    )),
                );
                None
            }
        }
    }

    fn load(&mut self, args: &str, span: Span, dir: &Path) -> Option<Node> {
        let args = split_args(args);
        let [rel] = args.as_slice() else {
            self.diags.push(Diagnostic::error(
                span,
                format!("`$load()` takes one path, found {} arguments", args.len()),
            ));
            return None;
        };
        let ext = Path::new(rel)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !matches!(ext.as_str(), "yaml" | "yml" | "json" | "rhai" | "csv") {
            self.diags.push(
                Diagnostic::error(span, format!("cannot `$load` `{rel}`: unsupported file type"))
                    .with_help(
                        "`$load` reads .yaml, .yml and .json (parsed), .csv (a list of mappings, one per row) and .rhai (script text)",
                    ),
            );
            return None;
        }
        let full = match resolve_in_root(&self.base_dir(span, dir), rel, &self.root) {
            Ok(full) => full,
            Err(why) => {
                let mut d = Diagnostic::error(span, format!("cannot `$load` `{rel}`: {why}"));
                if matches!(why, SourceError::OutsideRoot { .. }) {
                    d = d.with_help("loaded files must be in the scenario's folder or below it");
                }
                self.diags.push(d);
                return None;
            }
        };
        if let Some(pos) = self.stack.iter().position(|p| *p == full) {
            let chain: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&full))
                .map(|p| {
                    p.file_name()
                        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned())
                })
                .collect();
            self.diags.push(
                Diagnostic::error(span, format!("`$load` cycle: {}", chain.join(" -> ")))
                    .with_help("a file must not load itself, directly or through other files"),
            );
            return None;
        }
        self.loads += 1;
        if self.loads > MAX_LOADS {
            self.diags.push(Diagnostic::error(
                span,
                format!("too many `$load`s (more than {MAX_LOADS})"),
            ));
            return None;
        }
        let text = match read_source(&full) {
            Ok(t) => t,
            Err(why) => {
                self.diags
                    .push(Diagnostic::error(span, format!("cannot `$load` `{rel}`: {why}")));
                return None;
            }
        };
        let display = self.base_dir(span, dir).join(rel);
        let id = self.sources.add(display.clone(), text);
        if ext == "rhai" {
            let file = self.sources.get(id)?;
            let len = file.text.len();
            return Some(Node::new(
                NodeKind::Str(file.text.clone()),
                Span {
                    file: id,
                    line: 1,
                    col: 1,
                    offset: 0,
                    len: len.min(1),
                },
            ));
        }
        if ext == "csv" {
            return self.csv_rows(id, &display);
        }
        let parsed = node::parse(id, self.sources.get(id)?);
        let mut loaded = match parsed {
            Ok(n) => n,
            Err(e) => {
                self.diags
                    .push(Diagnostic::error(e.span, format!("invalid YAML: {}", e.message)));
                return None;
            }
        };
        self.stack.push(full);
        let sub_dir = display.parent().map(Path::to_path_buf).unwrap_or_default();
        self.expand(&mut loaded, &sub_dir);
        self.stack.pop();
        Some(loaded)
    }

    /// A `$load`ed CSV file as a list of mappings (the header names the keys; values are strings), so
    /// that `sessions.users` can come from a CSV file. A problem is reported at its line.
    fn csv_rows(&mut self, id: super::source::FileId, path: &Path) -> Option<Node> {
        let file = self.sources.get(id)?;
        let at = |line: u32| {
            let offset = file.offset_of(line, 1);
            file.span_at(id, offset, file.line_text(line).len())
        };
        match super::feeder::FeedData::from_csv(path, &file.text) {
            Ok(data) => Some(Node::from_json(&serde_json::Value::Array(data.to_list()), at(1))),
            Err(err) => {
                let span = at(err.line.and_then(|l| u32::try_from(l).ok()).unwrap_or(1));
                self.diags.push(
                    Diagnostic::error(span, err.message)
                        .with_help("a CSV file for `$load` needs a header row and as many fields in every row"),
                );
                None
            }
        }
    }

    /// The folder of the file a span is in (as displayed), falling back to `dir`.
    fn base_dir(&self, span: Span, dir: &Path) -> PathBuf {
        self.sources
            .path(span.file)
            .parent()
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf)
    }
}

/// Splits `$name(args)` into the name and the argument text.
fn parse_macro(text: &str) -> Option<(String, String)> {
    let caps = MACRO.captures(text)?;
    Some((caps[1].to_string(), caps[2].to_string()))
}

/// Splits macro arguments at commas outside quotes, trimming and unquoting each.
fn split_args(args: &str) -> Vec<String> {
    if args.trim().is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut depth = 0;
    for c in args.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('(', None) => {
                depth += 1;
                cur.push(c);
            }
            (')', None) => {
                depth -= 1;
                cur.push(c);
            }
            (',', None) if depth == 0 => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// A YAML scalar from text, as YAML would read it unquoted: `42` is an integer, `1.5` a number,
/// `true`/`false` booleans, `null`/`~` null, anything else a string (quotes are removed).
pub fn scalar_node(text: &str, span: Span) -> Node {
    let t = text.trim();
    let kind =
        if t.len() >= 2 && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('\'') && t.ends_with('\''))) {
            NodeKind::Str(t[1..t.len() - 1].to_string())
        } else if t == "~" || t.eq_ignore_ascii_case("null") {
            NodeKind::Null
        } else if t.eq_ignore_ascii_case("true") {
            NodeKind::Bool(true)
        } else if t.eq_ignore_ascii_case("false") {
            NodeKind::Bool(false)
        } else if let Ok(i) = t.parse::<i64>() {
            NodeKind::Int(i)
        } else if let Some(f) = t
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && t.chars().any(|c| c.is_ascii_digit()))
        {
            NodeKind::Float(f)
        } else {
            NodeKind::Str(text.to_string())
        };
    Node::new(kind, span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_arguments() {
        assert_eq!(split_args("0.1, 0.5"), ["0.1", "0.5"]);
        assert_eq!(split_args(" 'a,b' , \"c\" "), ["a,b", "c"]);
        assert_eq!(split_args("$(x)"), ["$(x)"]);
        assert!(split_args(" ").is_empty());
    }

    #[test]
    fn scalars_keep_yaml_types() {
        let s = Span::default();
        assert_eq!(scalar_node("42", s).kind, NodeKind::Int(42));
        assert_eq!(scalar_node("1.5", s).kind, NodeKind::Float(1.5));
        assert_eq!(scalar_node("true", s).kind, NodeKind::Bool(true));
        assert_eq!(scalar_node("~", s).kind, NodeKind::Null);
        assert_eq!(scalar_node("'42'", s).kind, NodeKind::Str("42".into()));
        assert_eq!(scalar_node("inf", s).kind, NodeKind::Str("inf".into()));
        assert_eq!(scalar_node("http://x", s).kind, NodeKind::Str("http://x".into()));
    }
}
