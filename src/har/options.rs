//! Conversion settings: the original's `--opts` keys and defaults, read from a YAML file.

use super::HarError;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use std::path::Path;

/// `base_url` in the options file: `true` picks the most frequent origin, a string sets it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum BaseUrlOption {
    /// `true`: detect (the default); `false` is refused, because relative URLs need a base.
    Detect(bool),
    /// An explicit base URL.
    Fixed(String),
}

/// How a HAR recording is turned into activities. Field names and defaults are the original's.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HarOptions {
    /// Which origin becomes `config.base_url`.
    pub base_url: BaseUrlOption,
    /// At most this many URLs in one `StaticRequests`; 0 or 1 turns collation off.
    pub collate_max_len: usize,
    /// A group spans at most this many seconds from its first request.
    pub collate_max_duration: f64,
    /// A request joins a group only if it started at most this many seconds after the previous one.
    pub collate_max_pause: f64,
    /// `thread_count` of the generated `StaticRequests`.
    pub collate_thread_count: u32,
    /// Leave out requests to other origins than the base URL (they are counted and listed).
    pub skip_externals: bool,
    /// Response media types that count as static resources: regexes matched case-insensitively at
    /// the start of `response.content.mimeType`.
    pub statics_types: Vec<String>,
    /// Accepted for compatibility with the original's options files; it had no effect there either.
    pub skip_errors: bool,
}

impl Default for HarOptions {
    fn default() -> Self {
        HarOptions {
            base_url: BaseUrlOption::Detect(true),
            collate_max_len: 100,
            collate_max_duration: 1.0,
            collate_max_pause: 0.2,
            collate_thread_count: 5,
            skip_externals: true,
            statics_types: vec!["image/.*".into(), ".*/css".into(), ".*/javascript".into()],
            skip_errors: true,
        }
    }
}

/// Why an `--opts` file's settings cannot be used (the reason, without the file name).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionsError(pub String);

impl HarOptions {
    /// Reads an options file (YAML or JSON); keys left out keep their defaults.
    pub fn from_file(path: &Path) -> Result<Self, HarError> {
        let text = std::fs::read_to_string(path).map_err(|source| HarError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_yaml(&text).map_err(|reason| HarError::Options {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses options from YAML text; the error is the reason, without the file name.
    pub fn from_yaml(text: &str) -> Result<Self, OptionsError> {
        // An empty file (or only comments) means "all defaults", as an empty mapping would.
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Ok(Self::default());
        }
        let opts: HarOptions = serde_saphyr::from_str(text).map_err(|e| OptionsError(e.to_string()))?;
        opts.check().map_err(OptionsError)?;
        Ok(opts)
    }

    fn check(&self) -> Result<(), String> {
        if self.base_url == BaseUrlOption::Detect(false) {
            return Err("`base_url: false` is not supported: use `true` (detect) or a URL".into());
        }
        if let BaseUrlOption::Fixed(url) = &self.base_url {
            let parsed = url::Url::parse(url).map_err(|e| format!("`base_url: {url}` is not a URL: {e}"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("`base_url: {url}` must start with http:// or https://"));
            }
        }
        for (name, value) in [
            ("collate_max_duration", self.collate_max_duration),
            ("collate_max_pause", self.collate_max_pause),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("`{name}` must be a number of seconds ≥ 0, not {value}"));
            }
        }
        if self.collate_thread_count == 0 {
            return Err("`collate_thread_count` must be at least 1".into());
        }
        self.statics_regexes().map(|_| ())
    }

    /// `statics_types` compiled, anchored at the start like Python's `re.match`.
    pub fn statics_regexes(&self) -> Result<Vec<Regex>, String> {
        self.statics_types
            .iter()
            .map(|p| {
                RegexBuilder::new(&format!("^(?:{p})"))
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| format!("`statics_types` entry `{p}` is not a valid regex: {e}"))
            })
            .collect()
    }
}
