//! Activities of Rust plugins: their arguments are checked by deserializing the plugin's argument type
//! from the node tree, so problems get the same `file:line:col` diagnostics as built-in activities.

use super::Validator;
use super::activity::COMMON;
use super::reader::Fields;
use crate::scenario::model::{ActivityKind, PluginCall};
use crate::scenario::node::{Node, NodeKind};

/// Whether `name` is a registered plugin.
pub(super) fn is_plugin(v: &Validator, name: &str) -> bool {
    v.plugins.is_some_and(|p| p.names().contains(&name))
}

/// The plugin's names, for "did you mean" on unknown activities.
pub(super) fn names<'a>(v: &Validator<'a>) -> Vec<&'a str> {
    v.plugins.map(|p| p.names()).unwrap_or_default()
}

/// Reads a plugin activity: every key the common arguments did not take is the plugin's.
pub(super) fn call(v: &mut Validator, f: &mut Fields, name: &str) -> Option<ActivityKind> {
    let args = Node::new(NodeKind::Map(f.take_rest()), f.span);
    let plugins = v.plugins?;
    match plugins.check_args(name, &args)? {
        Ok(sets) => Some(ActivityKind::Plugin(Box::new(PluginCall {
            name: name.to_string(),
            args: args.to_json(),
            span: f.span,
            sets,
            exchanges: plugins.exchanges(name),
        }))),
        Err(problems) => {
            let common: Vec<&str> = COMMON.iter().copied().filter(|k| *k != "activity").collect();
            for p in &problems {
                v.diags.push(p.to_diagnostic(name, &common));
            }
            None
        }
    }
}
