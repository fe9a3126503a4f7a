//! The integration tests, one binary with a module per area (as ripgrep's `tests/tests.rs` and
//! nextest's `integration/main.rs`): every test binary links all of stressor, so thirty of them cost
//! minutes of linking and gigabytes of disk for nothing. Two targets stay apart, each for a reason:
//! `tests/scenarios.rs` is the `harness = false` cargo harness over `fixtures/` (a test binary of a
//! different kind, run as a child process by `harness_cli` and `gate`), and `tests/hostile_memory.rs`
//! measures its own process's peak memory, which other tests in the same process would inflate.

/// Helpers every area uses: temporary scenario files, the `stressor` binary, results files.
mod common;

/// `stressor ab`: A and B at the same moments, the paired judgement.
mod ab;
/// The live monitor and the HTML report in headless Chromium.
mod browser;
/// Checkpointed results files: a run killed outright leaves what it measured.
mod checkpoint;
/// `stressor validate` and `serve`: exit codes and output.
mod cli;
/// Every exit code and flag combination of the binary.
mod cli_flags;
/// The closed model with stages.
mod closed_stages;
/// `thresholds.confirm`: a failed gate run again, flaky or confirmed.
mod confirm;
/// Coordinated distributed runs: `stressor coordinate` and shard processes.
mod coordinate;
/// Correlation with `$(var)` in checks, feeders, HAR replay.
mod data;
/// The Kubernetes manifests under `deploy/`.
mod deploy;
/// One case per load-time diagnostic, with its position.
mod diagnostics;
/// Every example of the manual (README.md, docs/src/) loads, runs or prints what it shows.
mod docs;
/// The runnable examples, run as processes.
mod examples;
/// Both HTTP paths agree on malformed responses (the fuzz corpus).
mod framing;
/// The CI gate is never green when it should be red.
mod gate;
/// The gate, second pass: exchanges apart from local work, baselines, no hangs, compare's verdict.
mod gate2;
/// The `scenarios` harness binary as a child process.
mod harness_cli;
/// Baselines from history: `--baseline DIR`.
mod history;
/// Hostile servers scripted on raw sockets.
mod hostile;
/// The HTTP/2 connection's lifecycle: GOAWAY and resets, from a server scripted frame by frame.
mod http2;
/// The lean and reqwest clients against the built-in target.
mod http_clients;
/// What happens to a response once received, on both clients: decoding, charsets, headers, JSONPath.
mod http_semantics;
/// `stressor init` and HAR import.
mod init_har;
/// The library API: plugins, events, reports.
mod library;
/// What a successful load produces.
mod loading;
/// The monitor's HTTP side and its flags.
mod monitor;
/// Request log, OTLP push, `/metrics` scraped by Prometheus, trace context.
mod observe;
/// The open model (arrival rate).
mod open_model;
/// `stressor compare`, `--baseline`, relative thresholds.
mod regression;
/// Results files, `merge`, exit codes per verdict.
mod results;
/// Malformed and hostile scenario files.
mod robustness;
/// Activities: requests, checks, stores, error classes.
mod run_activities;
/// Sessions: users, passes, init/end, limits.
mod run_sessions;
/// Ctrl-C on a running `stressor run`.
mod run_signals;
/// `stressor search`.
mod search;
/// Sharded runs and `merge`.
mod shards;
/// The recorder, snapshots and measured latencies.
mod stats;
/// Values from outside are data; large values in check patterns (issue 27).
mod taint;
/// The built-in target server over real HTTP.
mod target_server;
/// Generated feeders, `$(pass)`, `Record` and the clean-up it feeds (issue 31).
mod test_data;
/// HTTPS and HTTP/2 on both client paths.
mod tls;
/// Thresholds and the verdict on real runs.
mod verdict;
/// `thresholds.warmup`: the start of a run measured apart and not judged.
mod warmup;
/// Several weighted workloads in one file.
mod workloads;
