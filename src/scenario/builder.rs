//! Scenarios built in Rust code.
//!
//! [`ScenarioBuilder`] assembles the same document a `stressor#0` file holds (as JSON, which is YAML)
//! and loads it with [`load_str`]. So a built scenario is validated exactly like a
//! file (same checks, same defaults, same typed [`Scenario`]), and a mistake is a [`LoadError`] whose
//! diagnostics point into the generated document (render it with [`LoadError::render`]). The catch of
//! reusing the loader: load-time macros (`$env(...)`, `$load(...)`) in strings are applied too, as in
//! a file; `$(var)` run-time macros work as usual.
//!
//! ```
//! use stressor::scenario::ScenarioBuilder;
//!
//! let scenario = ScenarioBuilder::new("shop")
//!     .base_url("http://127.0.0.1:8080")
//!     .sessions(4)
//!     .sequence("init", |s| s.post("/login").json(serde_json::json!({"user": "$(user.name)"})))
//!     .sequence("main", |s| s.get("/").assert_status([200]).sleep(0.1))
//!     .repeat("main", 10)
//!     .threshold("p95", "300ms")
//!     .build()
//!     .expect("a valid scenario");
//! assert_eq!(scenario.sessions.count, 4);
//! assert_eq!(scenario.sequence("main").unwrap().activities.len(), 2);
//! ```
//!
//! **Scenario items.** [`run`](ScenarioBuilder::run), [`repeat`](ScenarioBuilder::repeat) and
//! [`run_for`](ScenarioBuilder::run_for) add `scenario:` entries in order. Without any, each sequence
//! runs once, in the order they were added (`init` first and `end` last, wherever they were added) —
//! the common case needs no list.

use super::{LoadError, LoadOptions, PluginCatalog, Scenario, load_str};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// Builds a [`Scenario`] in code; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct ScenarioBuilder {
    name: String,
    config: Map<String, Value>,
    context: Map<String, Value>,
    sessions: Map<String, Value>,
    users: Vec<Value>,
    sequences: Vec<(String, Vec<Value>)>,
    items: Vec<Value>,
    thresholds: Map<String, Value>,
    sections: Map<String, Value>,
    options: LoadOptions,
}

impl ScenarioBuilder {
    /// A scenario named `name` (`config.name`).
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let mut config = Map::new();
        config.insert("name".into(), Value::String(name.clone()));
        ScenarioBuilder {
            name,
            config,
            context: Map::new(),
            sessions: Map::new(),
            users: Vec::new(),
            sequences: Vec::new(),
            items: Vec::new(),
            thresholds: Map::new(),
            sections: Map::new(),
            options: LoadOptions::default(),
        }
    }

    /// `config.base_url`: what relative URLs are resolved against.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.config("base_url", url.into())
    }

    /// Any `config` key (`request_timeout`, `max_errors`, `max_time`, `tag`, ... or your own, which are
    /// copied to the context as in a file).
    pub fn config(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.config.insert(key.into(), value.into());
        self
    }

    /// A `context` variable, readable as `$(key)`.
    pub fn var(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.context.insert(key.into(), value.into());
        self
    }

    /// `sessions.count`: parallel virtual users.
    pub fn sessions(self, count: u32) -> Self {
        self.session_option("count", count)
    }

    /// Any `sessions` key (`duration`, `ramp_up_delay`, `basic_auth`, `verify_ssl`).
    pub fn session_option(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.sessions.insert(key.into(), value.into());
        self
    }

    /// Adds a user to `sessions.users` (assigned to sessions round robin).
    pub fn user(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.users
            .push(json!({"name": name.into(), "password": password.into()}));
        self
    }

    /// Adds a sequence; `build` adds its activities.
    pub fn sequence(mut self, name: impl Into<String>, build: impl FnOnce(SequenceBuilder) -> SequenceBuilder) -> Self {
        let activities = build(SequenceBuilder::default()).activities;
        self.sequences.push((name.into(), activities));
        self
    }

    /// A `scenario:` item: run the sequence once.
    pub fn run(mut self, sequence: &str) -> Self {
        self.items.push(json!({"sequence": sequence}));
        self
    }

    /// A `scenario:` item: run the sequence `times` times.
    pub fn repeat(mut self, sequence: &str, times: u64) -> Self {
        self.items.push(json!({"sequence": sequence, "repeat": times}));
        self
    }

    /// A `scenario:` item: start passes of the sequence while less than `duration` (`"30s"`, `90`)
    /// has elapsed.
    pub fn run_for(mut self, sequence: &str, duration: impl Into<Value>) -> Self {
        self.items
            .push(json!({"sequence": sequence, "duration": duration.into()}));
        self
    }

    /// A top-level threshold over the whole run: `threshold("p95", "300ms")`,
    /// `threshold("error_rate", "1%")`.
    pub fn threshold(mut self, metric: &str, limit: impl Into<Value>) -> Self {
        self.thresholds.insert(metric.into(), limit.into());
        self
    }

    /// Any other top-level section or key (`load`, `thresholds.sequences`, ...), as written in a file.
    pub fn section(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.sections.insert(key.into(), value.into());
        self
    }

    /// Rust activity plugins the sequences use ([`SequenceBuilder::activity`]).
    pub fn plugins(mut self, plugins: impl PluginCatalog + 'static) -> Self {
        self.options = self.options.with_plugins(plugins);
        self
    }

    /// `-o NAME:VALUE` overrides, applied as for a file.
    pub fn override_with(mut self, option: impl Into<String>) -> Self {
        self.options.overrides.push(option.into().into());
        self
    }

    /// The document this builder describes, as a `stressor#0` file would hold it.
    pub fn to_document(&self) -> Value {
        let mut doc = Map::new();
        doc.insert("file_version".into(), "stressor#0".into());
        doc.insert("config".into(), Value::Object(self.config.clone()));
        if !self.context.is_empty() {
            doc.insert("context".into(), Value::Object(self.context.clone()));
        }
        let mut sessions = self.sessions.clone();
        if !self.users.is_empty() {
            sessions.insert("users".into(), Value::Array(self.users.clone()));
        }
        if !sessions.is_empty() {
            doc.insert("sessions".into(), Value::Object(sessions));
        }
        let items = if self.items.is_empty() {
            self.default_items()
        } else {
            self.items.clone()
        };
        doc.insert("scenario".into(), Value::Array(items));
        let sequences = self
            .sequences
            .iter()
            .map(|(name, list)| (name.clone(), Value::Array(list.clone())))
            .collect();
        doc.insert("sequences".into(), Value::Object(sequences));
        if !self.thresholds.is_empty() {
            doc.insert("thresholds".into(), Value::Object(self.thresholds.clone()));
        }
        for (k, v) in &self.sections {
            doc.insert(k.clone(), v.clone());
        }
        Value::Object(doc)
    }

    /// Each sequence once: `init` first, `end` last, the others in the order they were added.
    fn default_items(&self) -> Vec<Value> {
        let names = || self.sequences.iter().map(|(n, _)| n.as_str());
        let ordered = names()
            .filter(|n| *n == "init")
            .chain(names().filter(|n| *n != "init" && *n != "end"))
            .chain(names().filter(|n| *n == "end"));
        ordered.map(|n| json!({"sequence": n})).collect()
    }

    /// Validates and returns the scenario, or every problem found.
    pub fn build(&self) -> Result<Scenario, LoadError> {
        // Pretty JSON keeps one value per line, so diagnostics point at a readable line of the document.
        let text = serde_json::to_string_pretty(&self.to_document()).unwrap_or_default();
        load_str(&self.document_path(), text, &self.options).into_result()
    }

    /// The name diagnostics show for the generated document.
    fn document_path(&self) -> PathBuf {
        PathBuf::from(format!("<builder {}>", self.name))
    }
}

/// Builds the activities of one sequence. Methods like [`get`](Self::get) add an activity; the others
/// ([`assert_status`](Self::assert_status), [`arg`](Self::arg), ...) set arguments of the activity added
/// last. An argument set before any activity is reported by [`ScenarioBuilder::build`] like an
/// activity without a type.
#[derive(Clone, Debug, Default)]
pub struct SequenceBuilder {
    activities: Vec<Value>,
}

impl SequenceBuilder {
    /// Adds an activity of any type, built-in or plugin: `activity("GetRequest")`,
    /// `activity("MyPlugin")`; set its arguments with [`arg`](Self::arg).
    pub fn activity(mut self, type_name: &str) -> Self {
        self.activities.push(json!({"activity": type_name}));
        self
    }

    /// Sets an argument of the last activity.
    pub fn arg(mut self, key: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        match self.activities.last_mut() {
            Some(Value::Object(map)) => {
                map.insert(key.into(), value);
            }
            // No activity yet: keep the argument as a typeless activity so `build` reports it.
            _ => self.activities.push(json!({ key: value })),
        }
        self
    }

    /// Adds a `GetRequest`.
    pub fn get(self, url: &str) -> Self {
        self.activity("GetRequest").arg("url", url)
    }

    /// Adds a `PostRequest`.
    pub fn post(self, url: &str) -> Self {
        self.activity("PostRequest").arg("url", url)
    }

    /// Adds a `PutRequest`.
    pub fn put(self, url: &str) -> Self {
        self.activity("PutRequest").arg("url", url)
    }

    /// Adds a `DeleteRequest`.
    pub fn delete(self, url: &str) -> Self {
        self.activity("DeleteRequest").arg("url", url)
    }

    /// Adds an `HTTPRequest` with any method.
    pub fn request(self, method: &str, url: &str) -> Self {
        self.activity("HTTPRequest").arg("method", method).arg("url", url)
    }

    /// Adds a `Sleep` of `seconds`.
    pub fn sleep(self, seconds: f64) -> Self {
        self.activity("Sleep").arg("duration", seconds)
    }

    /// Adds a `RunScript` with a Rhai script.
    pub fn script(self, source: &str) -> Self {
        self.activity("RunScript").arg("script", source)
    }

    /// `name`: how reports and thresholds refer to the last activity.
    pub fn name(self, name: &str) -> Self {
        self.arg("name", name)
    }

    /// `json`: a JSON request body.
    pub fn json(self, body: Value) -> Self {
        self.arg("json", body)
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Some(Value::Object(map)) = self.activities.last_mut() {
            let headers = map.entry("headers").or_insert_with(|| json!({}));
            if let Value::Object(h) = headers {
                h.insert(name.into(), value.into());
                return self;
            }
        }
        self.arg("headers", json!({ name: value }))
    }

    /// `assert_status`: the accepted status codes.
    pub fn assert_status(self, codes: impl IntoIterator<Item = u16>) -> Self {
        let codes: Vec<Value> = codes.into_iter().map(Value::from).collect();
        self.arg("assert_status", codes)
    }

    /// `assert_match`: a regex searched in the result text.
    pub fn assert_match(self, regex: &str) -> Self {
        self.arg("assert_match", regex)
    }

    /// Adds an `assert_json` entry: the value at `path` must equal `expected` (a string is a regex).
    pub fn assert_json(self, path: &str, expected: impl Into<Value>) -> Self {
        self.insert_into("assert_json", path, expected.into())
    }

    /// Adds a `store_json` entry: copy the value at `path` of the JSON result into variable `var`.
    pub fn store_json(self, var: &str, path: &str) -> Self {
        self.insert_into("store_json", var, path.into())
    }

    fn insert_into(mut self, arg: &str, key: &str, value: Value) -> Self {
        if let Some(Value::Object(map)) = self.activities.last_mut()
            && let Value::Object(inner) = map.entry(arg).or_insert_with(|| json!({}))
        {
            inner.insert(key.into(), value);
            return self;
        }
        self.arg(arg, json!({ key: value }))
    }
}
