//! Coordinated distributed runs (`stressor coordinate`, `stressor run --coordinator URL`): N shards
//! on N machines that start together, report live to one coordinator, and are judged once.
//!
//! ```text
//!              shard 1/N ─┐  register (version, scenario hash, clock offset)   ┌─ barrier: all N in?
//!              shard 2/N ─┼─────────────────────────────────────────────────►  │  start_at = now + delay
//!                 ...     │  ◄───────────── start_at (one instant for all) ──── ┘
//!              shard N/N ─┘
//!                         ──── every second: differences of counts and HDR ──► merged live run:
//!                              histograms (Snapshot::since), new errors          abort_on_fail, monitor,
//!                         ◄─── continue | stop (aborted / requested) ────────── checkpointed --out,
//!                                                                               lost after 3 s silent
//!                         ──── final results ──────────────────────────────► merged by `stressor merge`'s
//!                                                                               code; the reports; the verdict
//! ```
//!
//! [`protocol`] is the wire format (plain HTTP and JSON, a shared token on every request), [`board`]
//! the coordinator's state without I/O, [`Coordinator`] its server and clock, [`Link`] a shard's side.
//! The runner knows none of this: a shard's run gets a start instant
//! ([`RunOptions::start_at`](crate::run::RunOptions::start_at)) and an
//! [`AbortCheck`](crate::run::AbortCheck) that is its link; the coordinator consumes the shards'
//! results and merges them with [`merge`](crate::report::merge). The command line wires both
//! (`cli/coordinate.rs`, `cli/shard.rs`).

pub mod board;
mod coordinator;
pub mod link;
pub mod protocol;
mod server;
#[cfg(test)]
mod tests;

pub use coordinator::{CoordinateError, CoordinateOptions, Coordinated, Coordinator, Setup};
pub use link::{Joined, Link, LinkError, Reporter};
pub use protocol::{ClockOffset, Token, scenario_hash};

/// How long a shard may stay silent before it counts as lost (unless told otherwise).
pub const LOST_AFTER: std::time::Duration = std::time::Duration::from_secs(3);
