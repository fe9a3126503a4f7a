//! Rust activity plugins: activities written in Rust, used from YAML by name.
//!
//! A plugin implements [`Activity`]: a name, a `serde::Deserialize` argument type and an async `run`.
//! Register it in a [`Registry`] and hand the registry to the loader
//! ([`LoadOptions::with_plugins`](crate::scenario::LoadOptions::with_plugins)) and to the runner
//! ([`RunOptions::activities`](crate::run::RunOptions::activities)):
//!
//! ```
//! use stressor::activity::plugin::{Activity, PluginContext, Registry};
//! use stressor::activity::ActivityError;
//! use serde_json::{Value, json};
//!
//! /// Adds two numbers; the sum becomes the activity's result.
//! struct Add;
//!
//! #[derive(serde::Deserialize)]
//! struct AddArgs {
//!     a: i64,
//!     #[serde(default)]
//!     b: i64,
//! }
//!
//! impl Activity for Add {
//!     const NAME: &'static str = "Add";
//!     type Args = AddArgs;
//!
//!     async fn run(&self, args: AddArgs, _ctx: PluginContext<'_>) -> Result<Value, ActivityError> {
//!         Ok(json!(args.a + args.b))
//!     }
//! }
//!
//! let registry = Registry::new().register(Add).expect("a new name");
//! assert_eq!(registry.names(), ["Add"]);
//! ```
//!
//! **Load time.** The loader knows the registered names (an unknown activity's "did you mean" includes
//! them) and deserializes each use's arguments from the spanned node tree
//! ([`crate::scenario::args`]): a wrong type, an unknown key (with a suggestion) or a missing key is a
//! diagnostic at `file:line:col`, like for the built-in activities. The keys every activity accepts
//! (`name`, `assert_match`, `store_json`, `thresholds`, ...) are taken first and work as usual.
//!
//! **Run time.** `$(var)` macros in the arguments are expanded against the session's variables before
//! each execution (a whole-value macro keeps its type), then the arguments are deserialized again; a
//! variable that is missing, or that expands to the wrong type, is an error of class `variable`. The
//! activity's time, errors (with the [`ErrorClass`] the plugin chose) and bytes are
//! recorded like any activity's; its result (a JSON value, `null` for none) is what `assert_match`,
//! `store_json` and `last_result` see. In a dry run the plugin is not called: like an HTTP activity it
//! yields its `mock_result` (default `"dummy_result"`).
//!
//! **Exchange or local.** A plugin that talks to the service under test sets
//! [`Activity::EXCHANGES`] to `true`; only then do its executions count in the run's and its
//! sequence's latency, `error_rate` and rates. The default is local.

use super::{ActivityError, ErrorClass, SessionState};
use crate::expand::{self, Context};
use crate::scenario::args::{self, ArgProblem, Placeholders};
use crate::scenario::{Node, PluginCall, PluginCatalog, Span};
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// An activity written in Rust.
pub trait Activity: Send + Sync + 'static {
    /// The name users write after `activity:`.
    const NAME: &'static str;

    /// The arguments: the keys of the activity's mapping other than the common ones. Use `()` for an
    /// activity without arguments.
    type Args: DeserializeOwned + Send + 'static;

    /// Runs the activity once for one session. The returned value is the activity's result (`null`
    /// for none); an error is counted and reported with its class.
    fn run(
        &self,
        args: Self::Args,
        ctx: PluginContext<'_>,
    ) -> impl Future<Output = Result<Value, ActivityError>> + Send;

    /// Whether it exchanges with the service under test (a request, a message, a query), as opposed
    /// to local work (computing a signature, reading a file). Only exchanges make the run's and a
    /// sequence's latency, `error_rate` and rates; a local activity keeps its own row, and its errors
    /// still fail the run (see [`crate::scenario::ActivityKind::exchanges`]).
    ///
    /// `false` by default, which fails safe: a local plugin counted as an exchange would let its fast
    /// successes make a latency budget pass while every request fails; an exchange left local is
    /// still measured in its own row, and a run-level budget over a scenario with no other exchange
    /// is refused when the file loads, with a hint to set this.
    const EXCHANGES: bool = false;

    /// The session variables this activity sets with [`PluginContext::vars_mut`], for the loader:
    /// `$(var)` references to them are then not warned about as variables nothing defines. Called
    /// once per use in a file, at load time, with the arguments as written (a `$(var)` standing for a
    /// number or boolean is a placeholder there). None by default.
    fn sets(&self, args: &Self::Args) -> Vec<String> {
        let _ = args;
        Vec::new()
    }
}

/// What a plugin can see and change of the session running it.
pub struct PluginContext<'s> {
    state: &'s mut SessionState,
    bytes: &'s mut (u64, u64),
}

impl<'s> PluginContext<'s> {
    pub(super) fn new(state: &'s mut SessionState, bytes: &'s mut (u64, u64)) -> Self {
        PluginContext { state, bytes }
    }

    /// The session's id (`t01`, `t02`, ...).
    pub fn session_id(&self) -> &str {
        &self.state.session_id
    }

    /// The session's variables (what `$(name)` reads).
    pub fn vars(&self) -> &Context {
        &self.state.context
    }

    /// The session's variables, to set values for later activities.
    pub fn vars_mut(&mut self) -> &mut Context {
        &mut self.state.context
    }

    /// A reqwest client for this session: its own cookie jar (the one its activities use),
    /// certificates verified as `sessions.verify_ssl`, redirects followed by reqwest. Needs the `https`
    /// feature, which brings reqwest.
    #[cfg(feature = "https")]
    pub fn http(&self) -> Result<&reqwest::Client, ActivityError> {
        self.state
            .client
            .reqwest(self.state.verify_ssl)
            .map_err(ActivityError::from)
    }

    /// `config.base_url`, if set.
    pub fn base_url(&self) -> Option<&str> {
        self.state.context.get("base_url").and_then(Value::as_str)
    }

    /// Counts bytes sent and received, for the byte totals of the report.
    pub fn count_bytes(&mut self, sent: u64, received: u64) {
        self.bytes.0 += sent;
        self.bytes.1 += received;
    }
}

/// Why a plugin could not be registered.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RegistryError {
    /// Two plugins, or a plugin and a built-in activity, have the same name.
    #[error("an activity named `{0}` exists already")]
    Duplicate(String),
    /// The name cannot be written after `activity:`.
    #[error("invalid activity name `{0}`: use letters, digits and `_`, starting with a letter")]
    InvalidName(String),
}

/// The type-erased side of [`Activity`] the registry keeps.
trait DynActivity: Send + Sync {
    fn check(&self, args: &Node) -> Result<Vec<String>, Vec<ArgProblem>>;
    fn exchanges(&self) -> bool;
    fn run<'a>(&'a self, args: &'a Node, ctx: PluginContext<'a>) -> BoxFuture<'a, Result<Value, ActivityError>>;
}

struct Erased<A>(A);

impl<A: Activity> DynActivity for Erased<A> {
    fn check(&self, args: &Node) -> Result<Vec<String>, Vec<ArgProblem>> {
        args::from_node::<A::Args>(args, Placeholders::Allow).map(|args| self.0.sets(&args))
    }

    fn exchanges(&self) -> bool {
        A::EXCHANGES
    }

    fn run<'a>(&'a self, args: &'a Node, ctx: PluginContext<'a>) -> BoxFuture<'a, Result<Value, ActivityError>> {
        Box::pin(async move {
            let args = args::from_node::<A::Args>(args, Placeholders::Deny).map_err(|problems| {
                let message = problems.iter().map(ArgProblem::message).collect::<Vec<_>>().join("\n");
                ActivityError::new(
                    ErrorClass::Variable,
                    format!(
                        "invalid arguments for `{}` after expanding variables: {message}",
                        A::NAME
                    ),
                )
            })?;
            self.0.run(args, ctx).await
        })
    }
}

/// The Rust activities a program offers, by name. Cheap to clone.
#[derive(Clone, Default)]
pub struct Registry {
    plugins: Arc<BTreeMap<String, Arc<dyn DynActivity>>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Registry").field(&self.names()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plugin under [`Activity::NAME`]; fails when the name is taken (also by a built-in
    /// activity) or cannot be written in YAML.
    pub fn register<A: Activity>(mut self, activity: A) -> Result<Self, RegistryError> {
        let name = A::NAME;
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(RegistryError::InvalidName(name.into()));
        }
        if self.plugins.contains_key(name) || crate::scenario::BUILTIN_ACTIVITIES.contains(&name) {
            return Err(RegistryError::Duplicate(name.into()));
        }
        Arc::make_mut(&mut self.plugins).insert(name.to_string(), Arc::new(Erased(activity)));
        Ok(self)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.plugins.keys().map(String::as_str).collect()
    }

    /// Whether a plugin of this name is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.plugins.contains_key(name)
    }

    /// Runs one use of a plugin: expands its arguments, deserializes them and calls the plugin.
    pub(super) async fn execute(
        &self,
        call: &PluginCall,
        state: &mut SessionState,
        bytes: &mut (u64, u64),
    ) -> Result<Value, ActivityError> {
        let Some(plugin) = self.plugins.get(&call.name) else {
            // `crate::run::run` refuses to start without every plugin, so this is a library misuse.
            return Err(ActivityError::new(
                ErrorClass::Script,
                format!("activity `{}` is not registered in RunOptions::activities", call.name),
            ));
        };
        let expanded = expand::expand_value_cow(&call.args, &state.context).map_err(super::prepare::variable_error)?;
        let node = Node::from_json(&expanded, Span::default());
        plugin.run(&node, PluginContext::new(state, bytes)).await
    }
}

impl PluginCatalog for Registry {
    fn names(&self) -> Vec<&str> {
        Registry::names(self)
    }

    fn check_args(&self, name: &str, args: &Node) -> Option<Result<Vec<String>, Vec<ArgProblem>>> {
        self.plugins.get(name).map(|p| p.check(args))
    }

    fn exchanges(&self, name: &str) -> bool {
        self.plugins.get(name).is_some_and(|p| p.exchanges())
    }
}
