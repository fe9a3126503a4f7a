//! Validation: the [`Node`] tree (after load-time macros) becomes the typed [`Scenario`].
//!
//! Every problem is recorded and validation goes on, so one `stressor validate` shows all of a file's
//! problems at once. Files: [`reader`] (typed field access), `sections` (top level, `config`,
//! `context`, `sessions`, `scenario`), `activity` (activities and request arguments), `checks`
//! (assertions and stores), `thresholds` (`thresholds` and `load`), `script` (RunScript compile checks),
//! `feeders` (the `feeders` section and `Feed`), `exchanges` (budgets that need an exchange to
//! measure).

pub(crate) mod reader;

mod activity;
mod plugin;

pub(crate) use activity::ACTIVITIES;
mod checks;
mod exchanges;
mod feeders;
mod generate;
mod load;
mod request_extras;
#[cfg(feature = "script")]
mod script;
#[cfg(not(feature = "script"))]
#[path = "script_off.rs"]
mod script;
mod sections;
mod thresholds;
mod transport;
mod warmup;
mod workloads;

use super::diagnostic::Diagnostics;
use super::model::Scenario;
use super::node::Node;
use super::source::SourceMap;
use std::path::Path;

/// Shared state of one validation run.
pub(crate) struct Validator<'a> {
    /// Where problems go.
    pub diags: &'a mut Diagnostics,
    /// Files, for reading script sources and adding `RunScript.path` files.
    #[cfg_attr(not(feature = "script"), allow(dead_code))]
    pub sources: &'a mut SourceMap,
    /// The folder files may be loaded from.
    pub root: &'a Path,
    /// The main file.
    pub main_path: &'a Path,
    /// A Rhai engine used only to compile scripts at load time.
    #[cfg(feature = "script")]
    pub engine: rhai::Engine,
    /// Regexes compiled so far in this load.
    pub regexes: reader::RegexCache,
    /// XPath expressions parsed without error so far in this load: like regexes, scenarios repeat a
    /// few of them thousands of times, and parsing one is the costliest step left in loading.
    #[cfg_attr(not(feature = "xpath"), allow(dead_code))]
    pub valid_xpaths: std::collections::HashSet<String>,
    /// Rust activity plugins the program registered.
    pub plugins: Option<&'a dyn super::plugin::PluginCatalog>,
    /// A base URL will be given later ([`LoadOptions::base_url_later`](super::LoadOptions)).
    pub base_url_later: bool,
    /// The names of the `feeders` entries (for `Feed`).
    pub feeders: Vec<String>,
    /// Whether a feeder generates its rows (then `load.seed` seeds them).
    pub generated_feeders: bool,
    /// Where `$env()` gave text holding `$(` (data in templates).
    pub env_texts: super::env_text::EnvTexts,
}

impl<'a> Validator<'a> {
    /// A validator for one scenario file.
    pub fn new(diags: &'a mut Diagnostics, sources: &'a mut SourceMap, root: &'a Path, main_path: &'a Path) -> Self {
        Validator {
            diags,
            sources,
            root,
            main_path,
            #[cfg(feature = "script")]
            engine: script::compile_engine(),
            regexes: reader::RegexCache::default(),
            valid_xpaths: Default::default(),
            plugins: None,
            base_url_later: false,
            feeders: Vec::new(),
            generated_feeders: false,
            env_texts: Default::default(),
        }
    }

    /// The folder of the file `file` (where a relative path written in it is resolved from).
    pub fn folder_of(&self, file: super::source::FileId) -> std::path::PathBuf {
        self.sources
            .get(file)
            .and_then(|f| f.path.parent().map(Path::to_path_buf))
            .unwrap_or_default()
    }

    /// A value converter that records into this validator's diagnostics.
    pub fn check(&mut self) -> reader::Checker<'_> {
        reader::Checker {
            diags: self.diags,
            regexes: &self.regexes,
        }
    }
}

/// The error for something the file uses that needs a Cargo feature this build of stressor leaves out.
pub(crate) fn feature_missing(span: super::source::Span, what: &str, feature: &str) -> super::diagnostic::Diagnostic {
    super::diagnostic::Diagnostic::error(span, crate::features::missing(what, feature))
        .with_help(crate::features::how_to_enable(feature))
}

/// Whether a URL as written (before `$(...)` expansion) is an `https://` URL that this build cannot
/// send (no `https` feature).
pub(crate) fn https_unavailable(url: &str) -> bool {
    !cfg!(feature = "https")
        && url
            .trim_start()
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// Validates a whole document; `None` only when it is not a stressor file at all. The scenario built
/// from a document with errors is incomplete: callers check the diagnostics before using it.
pub(crate) fn validate(root: &Node, v: &mut Validator) -> Option<Scenario> {
    sections::document(v, root)
}
