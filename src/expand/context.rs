//! [`Context`]: a session's variables, and which of them are the author's templates.
//!
//! Only text the scenario's author wrote is a template. A variable from the file (`config`,
//! `context`, a user's fields) whose value holds `$(...)` is expanded again when a macro refers to it
//! (`root_url: "http://x/$(mountpoint)"`), as in the original. Everything a session receives while it
//! runs (a stored response value, a feeder row, a script's export, `last_result`) is data: a macro
//! inserts it verbatim, `$(` and all. Otherwise a server that answers `$(user.password)` would read
//! the session's secrets back, and ~1 KB of nested references could expand to gigabytes.
//!
//! [`Templates`] remembers each template variable's value as written. A variable is expanded further
//! only while the session still holds exactly that value: a store, a feed or an export that replaces
//! it makes it data, with no bookkeeping at the places that write variables.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde_json::Value;

use super::engine::needs_expansion;

/// Variables by name, in definition order.
pub type VarMap = serde_json::Map<String, Value>;

/// The most bytes one expansion produces unless the scenario says otherwise (`config.max_body_size`'s
/// default, 16 MiB).
pub const DEFAULT_MAX_LEN: usize = 16 << 20;

/// A session's variables (a [`VarMap`], which it dereferences to) with the author's [`Templates`].
///
/// ```
/// use serde_json::json;
/// use stressor::expand::{expand_text, Context};
///
/// // Built from a map, every variable is the author's: `url` is a template.
/// let mut ctx: Context = json!({"host": "h", "url": "http://$(host)/"}).as_object().unwrap().clone().into();
/// assert_eq!(expand_text("$(url)", &ctx).unwrap(), "http://h/");
/// // A value the session stores later is data, inserted as it is.
/// ctx.insert("token".into(), json!("$(host)"));
/// assert_eq!(expand_text("t=$(token)", &ctx).unwrap(), "t=$(host)");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Context {
    vars: VarMap,
    templates: Arc<Templates>,
}

impl Context {
    /// No variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// `vars` with the templates of the run (see [`Templates`]).
    pub fn with_templates(vars: VarMap, templates: Arc<Templates>) -> Self {
        Context { vars, templates }
    }

    /// The author's templates this context expands with.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The variables.
    pub fn vars(&self) -> &VarMap {
        &self.vars
    }

    /// The variables, without the templates.
    pub fn into_vars(self) -> VarMap {
        self.vars
    }
}

/// Every variable of the map is the author's: those holding `$(...)` are templates.
impl From<VarMap> for Context {
    fn from(vars: VarMap) -> Self {
        let templates = Arc::new(Templates::of(&vars, DEFAULT_MAX_LEN));
        Context { vars, templates }
    }
}

impl Deref for Context {
    type Target = VarMap;

    fn deref(&self) -> &VarMap {
        &self.vars
    }
}

impl DerefMut for Context {
    fn deref_mut(&mut self) -> &mut VarMap {
        &mut self.vars
    }
}

impl<'a> IntoIterator for &'a Context {
    type Item = (&'a String, &'a Value);
    type IntoIter = serde_json::map::Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.vars.iter()
    }
}

/// Contexts are equal when their variables are.
impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        self.vars == other.vars
    }
}

/// The author's variables that expand again, and the size bound of one expansion.
#[derive(Debug, Clone)]
pub struct Templates {
    /// Each template variable as written, to recognise it while a session still holds it.
    written: VarMap,
    /// The same variables as they expand: usually the same values; text a template got from
    /// `$env()` has its `$(` escaped there, so it is inserted verbatim.
    expand: VarMap,
    max_len: usize,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new(DEFAULT_MAX_LEN)
    }
}

impl Templates {
    /// None yet; one expansion gives at most `max_len` bytes.
    pub fn new(max_len: usize) -> Self {
        Templates {
            written: VarMap::new(),
            expand: VarMap::new(),
            max_len,
        }
    }

    /// Every variable of `vars` that holds `$(...)`, as written.
    pub fn of(vars: &VarMap, max_len: usize) -> Self {
        let mut templates = Templates::new(max_len);
        for (name, value) in vars {
            templates.add(name, value, None);
        }
        templates
    }

    /// `name` with the value the author wrote is a template, if it holds `$(...)`. `expand_as`, when
    /// given, is what it expands from instead (the same value with some text escaped).
    pub fn add(&mut self, name: &str, written: &Value, expand_as: Option<Value>) {
        if !needs_expansion(written) {
            self.written.remove(name);
            self.expand.remove(name);
            return;
        }
        self.written.insert(name.to_owned(), written.clone());
        self.expand
            .insert(name.to_owned(), expand_as.unwrap_or_else(|| written.clone()));
    }

    /// The most bytes one expansion may produce.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether `name` is a template variable (as written).
    pub fn contains(&self, name: &str) -> bool {
        self.written.contains_key(name)
    }

    /// The templates to expand `root` from, when `vars` still holds the value the author wrote for it.
    pub(crate) fn live(&self, vars: &VarMap, root: &str) -> Option<&VarMap> {
        let written = self.written.get(root)?;
        (vars.get(root) == Some(written)).then_some(&self.expand)
    }
}
