//! `RunScript`: Rhai scripts, compiled at load time so syntax errors point at the scenario file.

use super::Validator;
use super::checks::is_identifier;
use super::reader::Fields;
use crate::scenario::diagnostic::Diagnostic;
use crate::scenario::macros::resolve_in_root;
use crate::scenario::model::{ActivityKind, RunScript, ScriptOrigin};
use crate::scenario::node::{Node, NodeKind};
use crate::scenario::source::Span;
use regex::Regex;
use std::sync::{Arc, LazyLock};

/// The hint shown when a script that does not compile looks like Python.
pub const RHAI_HINT: &str = "RunScript bodies are Rhai, not Python: declare variables with `let`, end statements with `;`, and use `print(x)` (see the manual, docs/src/reference/activities/run-script.md)";

/// The hint shown when a script uses what the sandbox leaves out.
pub const SANDBOX_HINT: &str = "RunScript scripts are sandboxed: `eval` and `import` are not available";

/// An engine for compile checks only (scripts run in the runner's sandboxed engine,
/// `crate::activity::script`). `eval` and `import` are rejected here, at load time.
pub(super) fn compile_engine() -> rhai::Engine {
    let mut engine = rhai::Engine::new_raw();
    engine.set_max_expr_depths(64, 32);
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine
}

/// `script` xor `path`, plus `export`.
pub(super) fn run_script(v: &mut Validator, f: &mut Fields) -> Option<ActivityKind> {
    let script = f.take_some("script");
    let path = f.take_some("path");
    let export = f.take("export").map(|n| exports(v, n)).unwrap_or_default();
    let (text, origin, file) = match (script, path) {
        (Some(_), Some(p)) => {
            v.diags.push(
                Diagnostic::error(p.span, "`path` and `script` are mutually exclusive")
                    .with_help("give the script inline with `script:` or in a .rhai file with `path:`"),
            );
            return None;
        }
        (None, None) => {
            v.diags.push(
                Diagnostic::error(f.span, "`RunScript` needs `script` or `path`")
                    .with_help("add `script: |` followed by Rhai code, or `path: file.rhai`"),
            );
            return None;
        }
        (Some(s), None) => {
            let text = v.check().text(s, "script")?;
            (text, origin_of(v, s), None)
        }
        (None, Some(p)) => {
            let rel = v.check().text(p, "path")?;
            if !rel.ends_with(".rhai") {
                v.diags.push(
                    Diagnostic::error(
                        p.span,
                        format!("RunScript `path` must name a .rhai file, found `{rel}`"),
                    )
                    .with_help(RHAI_HINT),
                );
                return None;
            }
            let base = v.folder_of(p.span.file);
            let full = match resolve_in_root(&base, &rel, v.root) {
                Ok(full) => full,
                Err(why) => {
                    v.diags
                        .push(Diagnostic::error(p.span, format!("cannot use RunScript `path`: {why}")));
                    return None;
                }
            };
            let text = match std::fs::read_to_string(&full) {
                Ok(t) => t,
                Err(err) => {
                    v.diags.push(Diagnostic::error(
                        p.span,
                        format!("cannot read `{}`: {err}", full.display()),
                    ));
                    return None;
                }
            };
            let display = base.join(&rel);
            let id = v.sources.add(display, text.clone());
            let span = Span {
                file: id,
                line: 1,
                col: 1,
                offset: 0,
                len: 1,
            };
            (text, ScriptOrigin { span, indent: 0 }, Some(full))
        }
    };
    match v.engine.compile(&text) {
        Ok(ast) => Some(ActivityKind::Script(Box::new(RunScript {
            source: text,
            path: file,
            ast: Arc::new(ast),
            export,
            origin,
        }))),
        Err(err) => {
            let span = origin.span_of(v.sources, err.position());
            let message = err.err_type().to_string();
            let mut d = Diagnostic::error(span, format!("RunScript does not compile: {message}"));
            if message.contains("'eval'") || message.contains("'import'") {
                d = d.with_help(SANDBOX_HINT);
            } else if looks_like_python(&text) {
                d = d.with_help(RHAI_HINT);
            }
            v.diags.push(d);
            None
        }
    }
}

fn exports(v: &mut Validator, n: &Node) -> Vec<String> {
    let items: Vec<&Node> = match &n.kind {
        NodeKind::Null | NodeKind::Bool(false) => return Vec::new(),
        NodeKind::Seq(items) => items.iter().collect(),
        _ => vec![n],
    };
    let mut out = Vec::new();
    for item in items {
        match item.as_str() {
            Some(name) if is_identifier(name) => out.push(name.to_string()),
            _ => v.diags.push(Diagnostic::error(
                item.span,
                format!("`export` entries must be variable names, found {}", item.type_name()),
            )),
        }
    }
    out
}

/// Where line 1 of an inline script is: the line after a `|`/`>` block indicator (indented), or the
/// scalar itself for a one-line script.
fn origin_of(v: &Validator, node: &Node) -> ScriptOrigin {
    let Some(file) = v.sources.get(node.span.file) else {
        return ScriptOrigin {
            span: node.span,
            indent: 0,
        };
    };
    // `script: $load(x.rhai)`: the node is the whole .rhai file, whose first character may well be a
    // quote or `|` (a closure) without meaning a YAML block.
    if file.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("rhai")) {
        return ScriptOrigin {
            span: node.span,
            indent: 0,
        };
    }
    let at = file.text.get(node.span.offset..).unwrap_or("");
    if at.starts_with(['|', '>']) {
        let line = node.span.line + 1;
        let text = file.line_text(line);
        let indent = (text.len() - text.trim_start().len()) as u32;
        let offset = file.offset_of(line, indent + 1);
        return ScriptOrigin {
            span: Span {
                file: node.span.file,
                line,
                col: indent + 1,
                offset,
                len: 1,
            },
            indent,
        };
    }
    let quoted = at.starts_with(['"', '\'']) as u32;
    ScriptOrigin {
        span: node.span,
        indent: node.span.col - 1 + quoted,
    }
}

/// Heuristic: Python statements that are not Rhai.
pub(crate) fn looks_like_python(text: &str) -> bool {
    static PY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?m)^\s*(import\s+\w|from\s+[\w.]+\s+import\s|def\s+\w+\s*\(|class\s+\w+.*:\s*$|elif\b|except\b|(if|for|while|with)\b.*:\s*$|print\s+[\x22'])|\b(True|False|None)\b|pprint|locals\(\)",
        )
        .expect("static regex")
    });
    PY.is_match(text)
}
