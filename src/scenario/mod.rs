//! Scenario files: format, loading and diagnostics.
//!
//! [`load_file`] reads a `stressor#0` file and returns a [`Loaded`]: the typed [`Scenario`] (when the file
//! has no errors), every [`Diagnostic`] found, and the [`SourceMap`] needed to render them. The stages:
//!
//! 1. read the file ([`macros::read_source`]: size and UTF-8 checks) and parse YAML into a spanned
//!    [`Node`] tree ([`node`]);
//! 2. rewrite load-time macros (`$load`, `$env`, `$sleep`, `$debug`, [`macros`]);
//! 3. apply `-o NAME:VALUE` overrides ([`overrides`]);
//! 4. validate into the typed [`model`] (`validate`), collecting every problem;
//! 5. warn about `$(var)` references that nothing defines (`vars`).
//!
//! Nothing here knows about HTTP or tokio; the runner consumes the model.

pub mod args;
pub mod builder;
pub mod diagnostic;
pub mod duration;
pub mod env_text;
mod error_class;
pub mod feeder;
pub mod generate;
pub mod header_rules;
pub mod macros;
pub mod model;
pub mod node;
pub mod overrides;
pub mod pattern;
#[cfg(feature = "https")]
pub mod pem;
pub mod plugin;
pub mod size;
pub mod source;
pub mod suggest;
pub mod threshold;
mod validate;
mod vars;
#[cfg(feature = "xpath")]
pub mod xpath;

pub use builder::{ScenarioBuilder, SequenceBuilder};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use error_class::ErrorClass;
pub use model::*;
pub use node::{Node, NodeKind};
pub use overrides::{Override, OverrideOrigin};
pub use plugin::PluginCatalog;
pub use source::{FileId, SourceMap, Span};

use std::collections::HashMap;

/// The names of the built-in activities (what `activity:` accepts without plugins).
pub const BUILTIN_ACTIVITIES: &[&str] = validate::ACTIVITIES;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options for loading a scenario.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `-o NAME:VALUE` overrides, in order (`"name:value".into()` for a `-o` option).
    pub overrides: Vec<overrides::Override>,
    /// Environment for `$env()`; `None` reads the process environment.
    pub env: Option<HashMap<String, String>>,
    /// Rust activity plugins the scenario may use (`stressor::activity::plugin::Registry`).
    pub plugins: Option<Arc<dyn PluginCatalog>>,
    /// A `base_url` override comes later (the cargo harness names a file's trials before its `before`
    /// hook runs, and the hook may set `base_url`): a relative URL without `config.base_url` is then not
    /// an error of this load. The load that runs the file is made without it.
    pub base_url_later: bool,
}

impl LoadOptions {
    /// These options with the given plugins.
    pub fn with_plugins(mut self, plugins: impl PluginCatalog + 'static) -> Self {
        self.plugins = Some(Arc::new(plugins));
        self
    }
}

/// The outcome of loading one file.
#[derive(Debug)]
pub struct Loaded {
    /// The scenario, when there were no errors.
    pub scenario: Option<Scenario>,
    /// Every error and warning, sorted by position.
    pub diagnostics: Diagnostics,
    /// The files involved, for rendering diagnostics.
    pub sources: SourceMap,
}

impl Loaded {
    /// Renders all diagnostics (`file:line:col: error: ...` with snippets).
    pub fn render(&self, color: bool) -> String {
        self.diagnostics.render(&self.sources, color)
    }

    /// The scenario, or a [`LoadError`] carrying the diagnostics.
    pub fn into_result(self) -> Result<Scenario, LoadError> {
        match self.scenario {
            Some(s) => Ok(s),
            None => Err(LoadError {
                diagnostics: self.diagnostics,
                sources: self.sources,
            }),
        }
    }
}

/// A scenario that could not be loaded; render it with [`LoadError::render`].
#[derive(Debug, thiserror::Error)]
#[error("invalid scenario: {} error(s)", diagnostics.error_count())]
pub struct LoadError {
    /// What was wrong.
    pub diagnostics: Diagnostics,
    /// The files, for rendering.
    pub sources: SourceMap,
}

impl LoadError {
    /// Renders all diagnostics.
    pub fn render(&self, color: bool) -> String {
        self.diagnostics.render(&self.sources, color)
    }
}

/// Resolves what the user named: a directory means `DIR/scenario.yaml`, and a missing `.yaml` extension
/// is added when that file exists (both as in the original).
pub fn resolve_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.join("scenario.yaml");
    }
    if !path.exists() && path.extension().is_none() {
        let with_ext = path.with_extension("yaml");
        if with_ext.exists() {
            return with_ext;
        }
    }
    path.to_path_buf()
}

/// Loads and validates a scenario file.
pub fn load_file(path: &Path, options: &LoadOptions) -> Loaded {
    let path = resolve_path(path);
    match macros::read_source(&path) {
        Ok(text) => load_str(&path, text, options),
        Err(why) => {
            let mut diagnostics = Diagnostics::default();
            diagnostics.push(Diagnostic {
                severity: Severity::Error,
                span: None,
                message: why.to_string(),
                label: None,
                help: None,
            });
            Loaded {
                scenario: None,
                diagnostics,
                sources: SourceMap::default(),
            }
        }
    }
}

/// Loads and validates scenario text as if it were the file `path` (which sets the folder that `$load`
/// is relative to and confined to).
pub fn load_str(path: &Path, text: impl Into<String>, options: &LoadOptions) -> Loaded {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let id = sources.add(path, text);
    let mut scenario = load_inner(path, id, options, &mut sources, &mut diags);
    if let Some(s) = &mut scenario {
        s.sources = Arc::new(sources.clone());
    }
    diags.sort();
    Loaded {
        scenario,
        diagnostics: diags,
        sources,
    }
}

/// The help for a YAML syntax error at `col` (1-based) of `line`: the mistakes we can name are a key
/// of a flow mapping with `[`, `]`, `{`, `}` or `:` in it, unquoted (`{parts[0].name: x}`, which YAML
/// reads as the start of a list), and a threshold filter written with a space after its colon
/// (`errors{class: timeout}: 0`), which YAML reads as a mapping.
fn yaml_help(line: &str, col: usize) -> String {
    if let Some(key) = flow_key(line, col) {
        return format!(
            "in a flow mapping (`{{...}}`) a key with `[`, `]`, `{{`, `}}` or `:` in it must be quoted: write `\"{key}\": ...`"
        );
    }
    let key = line.trim_start();
    let filter_with_space = key
        .split_once('{')
        .filter(|(metric, _)| !metric.is_empty() && metric.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .and_then(|(_, rest)| rest.split_once('}'))
        .is_some_and(|(inner, _)| inner.contains(": "));
    if filter_with_space {
        "a threshold filter takes no space after its colon: write `errors{class:timeout}` (or quote the key)".into()
    } else {
        "a scenario file must be valid YAML".into()
    }
}

/// The unquoted key of a flow mapping that a syntax error at `col` (1-based) of `line` is in, when it
/// holds a character YAML reads as syntax there: `parts[0].name` in `{parts[0].name: x}`.
fn flow_key(line: &str, col: usize) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let at = col.checked_sub(1)?.min(chars.len());
    let start = chars[..at].iter().rposition(|c| matches!(c, '{' | ','))? + 1;
    let rest: String = chars[start..].iter().collect();
    let key = rest.split(": ").next()?.trim();
    let quoted = key.starts_with(['"', '\'']);
    (!key.is_empty() && !quoted && rest.contains(": ") && key.contains(['[', ']', '{', '}', ':']))
        .then(|| key.to_string())
}

fn load_inner(
    path: &Path,
    id: FileId,
    options: &LoadOptions,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<Scenario> {
    let file = sources.get(id)?;
    let mut root = match node::parse(id, file) {
        Ok(root) => root,
        Err(e) => {
            let help = yaml_help(file.line_text(e.span.line), e.span.col as usize);
            diags.push(Diagnostic::error(e.span, format!("invalid YAML: {}", e.message)).with_help(help));
            return None;
        }
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let root_dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.clone()
    };
    let canonical_root = root_dir.canonicalize().unwrap_or(root_dir);
    let main = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let env_lookup = |name: &str| match &options.env {
        Some(map) => map.get(name).cloned(),
        None => std::env::var(name).ok(),
    };
    // Only a stressor file gets its macros run: `$load` of arbitrary YAML would be pointless noise.
    let mut env_texts = env_text::EnvTexts::default();
    if root.get("file_version").is_some() {
        let mut expander = macros::Expander::new(sources, diags, canonical_root.clone(), main, &env_lookup);
        expander.expand(&mut root, &dir);
        env_texts = expander.env_texts;
        env_text::escape_in_sequences(&mut root, &env_texts);
        overrides::apply(&mut root, &options.overrides, sources, diags);
    }
    let mut v = validate::Validator::new(diags, sources, &canonical_root, path);
    v.plugins = options.plugins.as_deref();
    v.base_url_later = options.base_url_later;
    v.env_texts = env_texts;
    let scenario = validate::validate(&root, &mut v)?;
    vars::warn_unknown(&root, &scenario, sources, diags);
    (!diags.has_errors()).then_some(scenario)
}
