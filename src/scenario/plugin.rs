//! What the loader needs to know about Rust activity plugins: their names and how to check their
//! arguments. The plugins themselves (and how they run) live in `crate::activity::plugin`; this side
//! knows nothing of tokio or HTTP, so the dependency points one way.

use super::args::ArgProblem;
use super::node::Node;

/// The activities a program registered in addition to the built-in ones.
///
/// `stressor::activity::plugin::Registry` implements it; pass it in
/// [`LoadOptions::plugins`](super::LoadOptions::plugins).
pub trait PluginCatalog: Send + Sync + std::fmt::Debug {
    /// The names users can write after `activity:`.
    fn names(&self) -> Vec<&str>;

    /// Checks the arguments of activity `name` (the activity's mapping without the keys every activity
    /// accepts). `None` when `name` is not a plugin; otherwise every problem found, or, when there is
    /// none, the session variables this use of the activity sets (`Activity::sets`).
    fn check_args(&self, name: &str, args: &Node) -> Option<Result<Vec<String>, Vec<ArgProblem>>>;

    /// Whether activity `name` exchanges with the service under test (see
    /// [`ActivityKind::exchanges`](super::ActivityKind::exchanges)). False by default, and for a name
    /// that is not a plugin.
    fn exchanges(&self, name: &str) -> bool {
        let _ = name;
        false
    }
}
