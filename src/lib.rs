//! stressor — load- and stress-testing for HTTP services.
//!
//! Scenario files (`file_version: stressor#0`) describe what virtual users do; stressor loads them into a
//! typed model ([`scenario`]), expands run-time variables ([`expand`]) and runs them against a server.
//! The built-in target server ([`target`]) lets the README, tests and benchmarks run with nothing else
//! installed. After a run, [`verdict`] evaluates thresholds and decides pass/fail; [`report`] renders
//! the results (terminal summary, JSON, HTML); [`monitor`] serves a live dashboard of a run. [`harness!`] and [`mod@harness`] turn scenario files into
//! `cargo test` cases.

pub mod activity;
pub mod check;
#[cfg(feature = "cli")]
pub mod cli;
pub mod expand;
pub mod features;
#[cfg(feature = "cli")]
pub mod har;
pub mod harness;
#[cfg(feature = "monitor")]
pub mod monitor;
pub mod redact;
pub mod report;
pub mod run;
pub mod scenario;
pub mod stats;
#[cfg(feature = "target")]
pub mod target;
pub mod verdict;

pub use run::run_scenario as run;
pub use stressor_macros::harness;
