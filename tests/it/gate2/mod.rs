//! The CI gate, second pass (issue 23): only exchanges with the service make the run's latency and
//! error rate; a baseline that was asked for is never silently missing; nothing hangs CI; an
//! interrupted run says so; `init`'s scaffold runs under the harness; `compare` says what it found.
//! Harness points go through the harness binary as a child process, CLI points through `stressor`.

/// `stressor run`, `merge` and `search`: the monitor, Ctrl-C, JUnit times, hints.
mod cli;
/// `stressor compare`: the one-line verdict, the allowances, a drop to zero.
mod compare;
/// Exchanges and local work: a dead service is red whatever local work surrounds its requests.
mod exchanges;
/// The harness: baselines, discovery and `init`'s scaffold, the results folder.
mod harness;

/// A file that passes against the built-in target (the harness hook's base URL).
pub(super) const PASSING: &str = "file_version: stressor#0
scenario:
  - sequence: main
    repeat: 3
sequences:
  main:
    - activity: GetRequest
      url: /test1.json
";
