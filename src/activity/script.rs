//! `RunScript`: running a session's Rhai scripts in a sandboxed, shared engine.
//!
//! Scripts are compiled once, at load time ([`RunScript::ast`]); a run only evaluates the compiled AST.
//! One [`ScriptEngine`] serves all sessions of a run (a `rhai::Engine` is `Send + Sync` with Rhai's
//! `sync` feature); everything that belongs to one execution lives in that execution's `Scope`.
//!
//! # Semantics
//!
//! - **Sandbox.** The engine has Rhai's standard library, the test-data functions below and nothing
//!   else: no function that touches files, the network or the environment is registered; `eval` and `import` are rejected when the
//!   scenario is loaded (and `import` would find no module resolver here). Every run is bounded by
//!   [`ScriptLimits`]: a script that loops forever stops with an "operation limit" error, deep recursion
//!   with "Stack overflow", and a string, array or map that grows past its limit with "... too large".
//!   Exceeding a limit is an error of that activity only.
//! - **Context in.** Every context variable whose name is a Rhai identifier (and not a Rhai keyword)
//!   is a script variable, converted from JSON: objects become object maps (`user.name` works), lists
//!   become arrays, numbers `INT` or `FLOAT`, `null` becomes `()`. Other names (`user-agent`) are
//!   skipped: the script cannot spell them anyway. `session_id`, `user`, `last_result`, ... are there
//!   because they are context variables.
//! - **Context out.** Only the variables listed in `export` are copied back into the context, after
//!   the script finished successfully (all of them or none). An exported name the script never
//!   defined (and that was not a context variable) is an error: ``exported variable `x` is not
//!   defined``. Variables that are not listed are dropped silently (the original logged "no export
//!   defined"); context variables the script changed without exporting them keep their old value.
//!   An exported value must convert to JSON (a function pointer does not).
//! - **Result.** The activity's result is the variable `result` when the script defined it (`let
//!   result = ...`) or changed it (when `result` was already a context variable); otherwise the value of
//!   the script's last expression, unless that is `()`; otherwise none. It is converted to JSON; a value
//!   that cannot be converted is an error.
//! - **Test data.** `uuid()`, `random_int(a, b)`, `random_float(a, b)`, `random_string(n)`,
//!   `random_pick(list)`, `now()` and `now_ms()`: the generators of a feeder's `generate:`, the random
//!   ones seeded from the run's seed (see `generators.rs`).
//! - **Output.** `print(x)` and `debug(x)` write `[t01] x` to stdout (one prefixed line per line of
//!   text), `t01` being the session id, with the context's secrets (see [`crate::redact`]) replaced.
//! - **Errors** ([`ScriptError`]) carry Rhai's message and the position mapped to the file the script
//!   was written in: the scenario line of an inline `script: |` block, or the line of a `.rhai` file
//!   (`path:` or `$load`). An error inside a function defined by the script points into the function
//!   and names it. `throw "boom"` gives `Runtime error: boom`. Secrets are replaced in messages too.
//!
//! # Routing output per session
//!
//! Rhai's print and debug callbacks are set once per engine and receive only the text, and
//! `Engine::eval_ast_with_scope` has no per-call tag. Evaluation is synchronous, though: every callback
//! runs on the thread that called [`ScriptEngine::run`], before `run` returns. So `run` puts the
//! session id (and the secrets to hide) into a thread-local slot for the duration of the call
//! (restored afterwards, even on panic), and the callbacks read it. Two sessions running scripts on two
//! threads at the same time each see their own slot. `run` never awaits, so a tokio task cannot move
//! to another thread in the middle of it.

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::sync::Arc;

use rhai::{Dynamic, EvalAltResult, Position, Scope};
use serde_json::Value;

use crate::expand::Context;
use crate::redact;
use crate::scenario::model::RunScript;
use crate::scenario::source::{SourceMap, Span};

/// Resource limits of every script execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptLimits {
    /// Rhai operations per execution (roughly: expressions evaluated). Default 10 million, about a
    /// second of work; an endless loop ends here.
    pub max_operations: u64,
    /// Nested function calls (recursion depth). Default 64.
    pub max_call_levels: usize,
    /// Nesting of expressions at top level. Default 64.
    pub max_expr_depth: usize,
    /// Nesting of expressions inside functions. Default 32.
    pub max_function_expr_depth: usize,
    /// Length of a string, in bytes. Default 10 MiB.
    pub max_string_size: usize,
    /// Elements of an array. Default 100 000.
    pub max_array_size: usize,
    /// Entries of an object map. Default 100 000.
    pub max_map_size: usize,
}

impl Default for ScriptLimits {
    fn default() -> Self {
        ScriptLimits {
            max_operations: 10_000_000,
            max_call_levels: 64,
            max_expr_depth: 64,
            max_function_expr_depth: 32,
            max_string_size: 10 * 1024 * 1024,
            max_array_size: 100_000,
            max_map_size: 100_000,
        }
    }
}

/// Where `print` and `debug` output goes: called with the session id and the text (secrets already
/// replaced; may contain several lines).
pub type PrintSink = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// The sink of [`ScriptEngine::new`]: `[t01] text` on stdout, one prefixed line per line of text.
pub fn stdout_sink() -> PrintSink {
    Arc::new(|session, text| {
        // A closed stdout (`stressor run | head`) must not kill the run.
        let _ = std::io::stdout().lock().write_all(labelled(session, text).as_bytes());
    })
}

/// `[t01] line` for every line of the text, each ending in a newline.
pub fn labelled(session: &str, text: &str) -> String {
    let mut block = String::with_capacity(text.len() + 8);
    for line in text.split('\n') {
        block.push_str(&format!("[{session}] {line}\n"));
    }
    block
}

/// What a successful script execution produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScriptOutput {
    /// The activity result (see the [module documentation](self)).
    pub result: Option<Value>,
    /// The names copied into the context, in `export` order.
    pub exported: Vec<String>,
}

/// A script that failed: a Rhai error, a limit, or a result/export that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("script error{}: {message}", location.as_ref().map(|l| format!(" at {l}")).unwrap_or_default())]
pub struct ScriptError {
    /// What went wrong (Rhai's message without its position; secrets replaced).
    pub message: String,
    /// `file.yaml:12:9`, when the error has a position in the script.
    pub location: Option<String>,
    /// The line in that file.
    pub line: Option<usize>,
    /// The column in that file.
    pub column: Option<usize>,
    /// The same position as a span, to render a source snippet.
    pub span: Option<Span>,
}

impl ScriptError {
    /// An error without a position.
    fn plain(message: impl Into<String>) -> Self {
        ScriptError {
            message: message.into(),
            location: None,
            line: None,
            column: None,
            span: None,
        }
    }
}

/// The sandboxed Rhai engine shared by all sessions of a run.
pub struct ScriptEngine {
    engine: rhai::Engine,
    limits: ScriptLimits,
}

impl fmt::Debug for ScriptEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScriptEngine")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Default for ScriptEngine {
    fn default() -> Self {
        ScriptEngine::new(ScriptLimits::default())
    }
}

/// The execution running on this thread: whose output it is and what to hide in it.
struct CallState {
    session: String,
    secrets: Vec<String>,
}

thread_local! {
    static CURRENT: RefCell<Option<CallState>> = const { RefCell::new(None) };
}

/// Sets this thread's [`CallState`] for the duration of one `run`, restoring the previous one (a
/// nested run) when dropped.
struct CallGuard {
    previous: Option<CallState>,
}

impl CallGuard {
    fn enter(state: CallState) -> Self {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(state));
        CallGuard { previous }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Sends script output to the sink, labelled with the current session and with secrets replaced.
fn emit(sink: &PrintSink, text: &str) {
    let (session, text) = CURRENT.with(|c| match &*c.borrow() {
        Some(state) => {
            let secrets: Vec<&str> = state.secrets.iter().map(String::as_str).collect();
            (state.session.clone(), redact::text(text, &secrets))
        }
        None => ("?".to_string(), text.to_string()),
    });
    sink(&session, &text);
}

/// Words Rhai reserves; context variables named like this are not put into the scope.
const RHAI_KEYWORDS: &[&str] = &[
    "Fn",
    "as",
    "async",
    "await",
    "break",
    "call",
    "case",
    "catch",
    "const",
    "continue",
    "curry",
    "debug",
    "default",
    "do",
    "else",
    "eval",
    "exit",
    "export",
    "false",
    "fn",
    "for",
    "global",
    "go",
    "goto",
    "if",
    "import",
    "in",
    "is",
    "is_def_fn",
    "is_def_var",
    "is_shared",
    "let",
    "loop",
    "match",
    "module",
    "new",
    "nil",
    "null",
    "package",
    "print",
    "private",
    "protected",
    "public",
    "return",
    "shared",
    "spawn",
    "static",
    "super",
    "switch",
    "sync",
    "this",
    "thread",
    "throw",
    "true",
    "try",
    "type_of",
    "until",
    "use",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// Whether a context variable can be a Rhai variable: an ASCII identifier with at least one letter
/// that is not a keyword.
fn is_script_variable(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().any(|c| c.is_ascii_alphabetic())
        && !RHAI_KEYWORDS.contains(&name)
}

impl ScriptEngine {
    /// A sandboxed engine with these limits; `print`/`debug` go to stdout.
    pub fn new(limits: ScriptLimits) -> Self {
        Self::with_sink(limits, stdout_sink())
    }

    /// A sandboxed engine whose `print`/`debug` output goes to `sink` (tests, the monitor).
    pub fn with_sink(limits: ScriptLimits, sink: PrintSink) -> Self {
        let mut engine = rhai::Engine::new();
        // `Engine::new` would resolve `import "x"` from the file system.
        engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
        engine.set_max_modules(0);
        engine.disable_symbol("eval");
        engine.disable_symbol("import");
        engine.set_max_operations(limits.max_operations);
        engine.set_max_call_levels(limits.max_call_levels);
        engine.set_max_expr_depths(limits.max_expr_depth, limits.max_function_expr_depth);
        engine.set_max_string_size(limits.max_string_size);
        engine.set_max_array_size(limits.max_array_size);
        engine.set_max_map_size(limits.max_map_size);
        let print_sink = sink.clone();
        engine.on_print(move |text| emit(&print_sink, text));
        engine.on_debug(move |text, _source, _pos| emit(&sink, text));
        generators::register(&mut engine, fastrand::u64(..));
        ScriptEngine { engine, limits }
    }

    /// The same engine with its random functions (`random_int`, ...) drawing from `seed`, the run's.
    #[must_use]
    pub fn seeded(mut self, seed: u64) -> Self {
        generators::register(&mut self.engine, seed);
        self
    }

    /// The limits this engine enforces.
    pub fn limits(&self) -> &ScriptLimits {
        &self.limits
    }

    /// Runs a script with a session's context (see the [module documentation](self)): context
    /// variables are readable, `export`ed variables are written back into `ctx`, `sources` maps error
    /// positions to files, and `session_id` labels `print` output.
    pub fn run(
        &self,
        script: &RunScript,
        ctx: &mut Context,
        sources: &SourceMap,
        session_id: &str,
    ) -> Result<ScriptOutput, ScriptError> {
        let secrets = redact::secret_values(ctx);
        let mut scope = Scope::new();
        for (name, value) in ctx.iter() {
            if !is_script_variable(name) {
                continue;
            }
            // Cannot fail for JSON (`serde_json::Value` serializes to plain data).
            if let Ok(value) = rhai::serde::to_dynamic(value) {
                scope.push_dynamic(name.as_str(), value);
            }
        }
        let initial_len = scope.len();

        let value = {
            let _guard = CallGuard::enter(CallState {
                session: session_id.to_string(),
                secrets: secrets.clone(),
            });
            self.engine.eval_ast_with_scope::<Dynamic>(&mut scope, &script.ast)
        };
        let hide = |message: String| {
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            redact::text(&message, &secrets)
        };
        let value = value.map_err(|err| {
            let mut e = self.error(*err, script, sources);
            e.message = hide(e.message);
            e
        })?;

        let result = self
            .result(&scope, initial_len, ctx, value)
            .map_err(|m| ScriptError::plain(hide(m)))?;

        let mut exports = Vec::with_capacity(script.export.len());
        for name in &script.export {
            let Some(value) = last_var(&scope, name) else {
                return Err(ScriptError::plain(format!("exported variable `{name}` is not defined")));
            };
            let value =
                to_json(&value).map_err(|why| ScriptError::plain(hide(format!("exported variable `{name}` {why}"))))?;
            exports.push((name.clone(), value));
        }
        let exported = exports.iter().map(|(n, _)| n.clone()).collect();
        for (name, value) in exports {
            ctx.insert(name, value);
        }
        Ok(ScriptOutput { result, exported })
    }

    /// The activity result: `result` when the script defined or changed it, else the last value.
    fn result(&self, scope: &Scope, initial_len: usize, ctx: &Context, last: Dynamic) -> Result<Option<Value>, String> {
        let var = scope
            .iter()
            .enumerate()
            .filter(|(_, (name, _, _))| *name == "result")
            .last()
            .map(|(i, (_, _, value))| (i, value));
        if let Some((index, value)) = var {
            let json = to_json(&value).map_err(|why| format!("the script's `result` {why}"))?;
            let changed = index >= initial_len || ctx.get("result") != Some(&json);
            if changed {
                return Ok((!value.is_unit()).then_some(json));
            }
        }
        let last = last.flatten();
        if last.is_unit() {
            return Ok(None);
        }
        to_json(&last)
            .map(Some)
            .map_err(|why| format!("the script's value {why}"))
    }

    /// A Rhai error as a [`ScriptError`] positioned in the scenario files.
    fn error(&self, err: EvalAltResult, script: &RunScript, sources: &SourceMap) -> ScriptError {
        let mut pos = err.position();
        let mut err = err;
        let mut frames = Vec::new();
        // Errors inside functions defined by this script: point into the function and name it.
        loop {
            match err {
                EvalAltResult::ErrorInFunctionCall(name, src, inner, _) if src.is_empty() && name != "eval" => {
                    if !inner.position().is_none() {
                        pos = inner.position();
                    }
                    frames.push(name);
                    err = *inner;
                }
                other => {
                    err = other;
                    break;
                }
            }
        }
        err.clear_position();
        let mut message = match &err {
            EvalAltResult::ErrorTooManyOperations(..) => format!(
                "Too many operations: the script reached its operation limit ({}); does it loop forever?",
                self.limits.max_operations
            ),
            EvalAltResult::ErrorStackOverflow(..) => format!(
                "Stack overflow: function calls nested deeper than the limit ({})",
                self.limits.max_call_levels
            ),
            EvalAltResult::ErrorTooManyModules(..) | EvalAltResult::ErrorModuleNotFound(..) => {
                "`import` is not available: RunScript scripts are sandboxed".to_string()
            }
            EvalAltResult::ErrorDataTooLarge(..) => format!(
                "{err} (limits: strings {} bytes, arrays {} elements, maps {} entries)",
                self.limits.max_string_size, self.limits.max_array_size, self.limits.max_map_size
            ),
            _ => err.to_string(),
        };
        for name in frames.iter().rev() {
            if name.starts_with("anon$") {
                message.push_str(", in a closure");
            } else {
                message.push_str(&format!(", in function `{name}`"));
            }
        }
        if pos == Position::NONE {
            return ScriptError::plain(message);
        }
        let span = script.origin.span_of(sources, pos);
        ScriptError {
            message,
            location: Some(format!(
                "{}:{}:{}",
                sources.path(span.file).display(),
                span.line,
                span.col
            )),
            line: Some(span.line as usize),
            column: Some(span.col as usize),
            span: Some(span),
        }
    }
}

/// The last (innermost) scope variable of a name, flattened.
fn last_var(scope: &Scope, name: &str) -> Option<Dynamic> {
    scope.iter().filter(|(n, _, _)| *n == name).last().map(|(_, _, v)| v)
}

/// A script value as JSON; the error completes "the value ...".
fn to_json(value: &Dynamic) -> Result<Value, String> {
    let value = value.flatten_clone();
    rhai::serde::from_dynamic::<Value>(&value).map_err(|e| {
        format!(
            "cannot be converted to JSON ({}): {}",
            value.type_name(),
            strip_position(&e)
        )
    })
}

fn strip_position(err: &EvalAltResult) -> String {
    let text = err.to_string();
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

mod generators;
#[cfg(test)]
mod tests;
