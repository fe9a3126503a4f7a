//! Watching a run from outside: the per-request log, the metrics registry, Prometheus and OTLP.
//!
//! ```text
//!  session ──RequestRow──► RequestLog (RequestSink): sampled rows → writer thread → .jsonl / .csv
//!  coordinator ──live RunReport, once a second──► Exporter (Observer) ─► Metrics (one registry)
//!                                                                          ├─► GET /metrics (Prometheus text)
//!                                                                          └─► OTLP/HTTP push (protobuf)
//! ```
//!
//! Everything here consumes what the runner hands out — rows at the point where an execution is
//! recorded, the recorder's aggregates once a second, the judged result at the end — and never reaches
//! back into the runner (as the reports and the monitor). Main types: [`request_log::RequestLog`],
//! [`metrics::Metrics`], [`Exporter`].

mod exporter;
pub mod metrics;
pub mod otel_env;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "prometheus")]
pub mod prometheus;
pub mod request_log;

pub use exporter::{Exporter, Resource};

/// `key=value` tags (as the plan keeps them) as pairs.
pub(crate) fn split_tags(tags: &[String]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (t.clone(), String::new()),
        })
        .collect()
}

/// The HTTP method of a plan's activity, when it sends requests (a request, a poll, static fetches);
/// `None` for activities that send none. What decides which activities the request log has rows for
/// and which carry `http.request.method`.
pub(crate) fn method_of(scenario: &crate::scenario::Scenario, info: &crate::run::ActivityInfo) -> Option<String> {
    use crate::scenario::ActivityKind;
    match &crate::run::activity_of(scenario, info)?.kind {
        ActivityKind::Http(h) => Some(h.method.clone()),
        ActivityKind::Poll(p) => Some(p.request.method.clone()),
        ActivityKind::Static(s) => Some(s.request.method.clone()),
        _ => None,
    }
}
