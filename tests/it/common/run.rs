//! Running scenario text against the built-in target server, in-process.

use std::path::Path;
use std::sync::Arc;
use stressor::run::{RunOptions, RunReport, run};
use stressor::scenario::{LoadOptions, load_str};
use stressor::target::{TargetConfig, TargetServer};

/// A target server on an ephemeral port.
pub async fn server() -> TargetServer {
    TargetServer::start(TargetConfig::default())
        .await
        .expect("target server")
}

/// Loads `yaml` (with `{BASE}` replaced by the server URL, `{HOST}` by its `host:port`) and runs it.
pub async fn run_yaml(server: &TargetServer, yaml: &str, options: RunOptions) -> RunReport {
    run_yaml_with(server, yaml, &LoadOptions::default(), options).await
}

/// Like [`run_yaml`], with load options (overrides).
pub async fn run_yaml_with(server: &TargetServer, yaml: &str, load: &LoadOptions, options: RunOptions) -> RunReport {
    let text = yaml
        .replace("{BASE}", &server.url())
        .replace("{HOST}", &server.url()["http://".len()..]);
    let loaded = load_str(Path::new("test.yaml"), text, load);
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = loaded.scenario.expect("valid scenario");
    run(Arc::new(scenario), Arc::new(loaded.sources), options)
        .await
        .expect("run")
}

/// Count and error count of the activity at `sequence/index`.
pub fn counts(report: &RunReport, sequence: &str, index: usize) -> (u64, u64) {
    report
        .activity(sequence, index)
        .map(|(_, m)| (m.count, m.error_count()))
        .unwrap_or_else(|| panic!("no activity {sequence}/{index}"))
}

/// The messages of all recorded errors, with their class.
pub fn error_messages(report: &RunReport) -> Vec<(String, String)> {
    report
        .errors
        .iter()
        .map(|e| (e.class.to_string(), e.message.clone()))
        .collect()
}

/// Asserts that the first two recorded errors are a timeout of 200 ms and a refused connection.
pub fn assert_timeout_then_refused(report: &RunReport, what: &str) {
    let message = |i: usize| report.errors[i].message.clone();
    assert!(
        message(0).starts_with("request timed out (timeout 200ms)"),
        "{what}: {}",
        message(0)
    );
    assert!(message(1).to_lowercase().contains("refused"), "{what}: {}", message(1));
}
