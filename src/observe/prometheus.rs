//! `GET /metrics`: the registry in the Prometheus text format (0.0.4), encoded by the Prometheus
//! project's `prometheus-client`; served on the monitor's port and, with `run --metrics ADDR`, by a
//! small server of its own ([`MetricsServer`]).
//!
//! Resource attributes become the labels of one `target_info` gauge (as OpenTelemetry's Prometheus
//! exporters do), not of every series. A scrape reads the registry as the last update left it: at most
//! a second old while the run goes, the final values after it.

use super::exporter::Exporter;
use super::metrics::{Family, Kind, Metrics, Value};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// The `Content-Type` of the text format.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The registry as Prometheus text.
pub fn render(metrics: &Arc<Metrics>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot(metrics.clone())));
    let mut out = String::new();
    // Writing into a String cannot fail; a failure would only cut the page short.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
    out
}

/// One registry state, as a `prometheus-client` collector.
#[derive(Debug)]
struct Snapshot(Arc<Metrics>);

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let info = prometheus_client::metrics::info::Info::new(labels(&self.0.resource));
        let target = encoder.encode_descriptor(
            "target",
            "Target metadata: the run's resource attributes",
            None,
            info.metric_type(),
        )?;
        info.encode(target)?;
        for family in &self.0.families {
            encode_family(&mut encoder, family)?;
        }
        Ok(())
    }
}

fn encode_family(encoder: &mut DescriptorEncoder, family: &Family) -> Result<(), std::fmt::Error> {
    let kind = match family.kind {
        Kind::Counter => MetricType::Counter,
        Kind::Gauge => MetricType::Gauge,
        Kind::Histogram => MetricType::Histogram,
    };
    let name = family.prometheus_name();
    let mut metric = encoder.encode_descriptor(&name, family.help, None, kind)?;
    for point in &family.points {
        let labels = labels(&point.labels);
        let mut series = metric.encode_family(&labels)?;
        match (&point.value, family.kind) {
            (Value::Int(n), Kind::Counter) => series.encode_counter::<NoLabelSet, _, u64>(n, None)?,
            (Value::Float(v), Kind::Counter) => series.encode_counter::<NoLabelSet, _, f64>(v, None)?,
            (Value::Int(n), _) => series.encode_gauge(n)?,
            (Value::Float(v), _) => series.encode_gauge(v)?,
            (Value::Histogram(b), _) => {
                let buckets: Vec<(f64, u64)> = super::metrics::BOUNDS
                    .iter()
                    .copied()
                    .chain([f64::INFINITY])
                    .zip(b.counts.iter().copied())
                    .collect();
                series.encode_histogram::<NoLabelSet>(b.sum, b.count, &buckets, None)?
            }
        }
    }
    Ok(())
}

/// Labels with Prometheus keys: every character but letters, digits and `_` becomes `_`, and a key
/// starting with a digit gets a `_` before it.
fn labels(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let mut key: String = k
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
                .collect();
            if key.starts_with(|c: char| c.is_ascii_digit()) || key.is_empty() {
                key.insert(0, '_');
            }
            (key, v.clone())
        })
        .collect()
}

/// `run --metrics ADDR`: `GET /metrics` on an address of its own, for runs without the monitor.
pub struct MetricsServer {
    addr: SocketAddr,
    scraped_final: Arc<(AtomicBool, Notify)>,
    task: tokio::task::JoinHandle<()>,
}

/// The address could not be bound.
#[derive(Debug, thiserror::Error)]
#[error(
    "failed to listen on {addr} for --metrics: {source} (choose another address, e.g. 127.0.0.1:0 for any free port)"
)]
pub struct BindError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// The I/O error.
    pub source: std::io::Error,
}

impl MetricsServer {
    /// Binds `addr` and serves the exporter's metrics (on the current tokio runtime).
    pub async fn start(addr: SocketAddr, exporter: Arc<Exporter>) -> Result<MetricsServer, BindError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| BindError { addr, source })?;
        let bound = listener.local_addr().map_err(|source| BindError { addr, source })?;
        let scraped_final = Arc::new((AtomicBool::new(false), Notify::new()));
        let seen = scraped_final.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let (exporter, seen) = (exporter.clone(), seen.clone());
                async move {
                    let metrics = exporter.current();
                    let body = render(&metrics);
                    if metrics.last {
                        seen.0.store(true, Ordering::Release);
                        seen.1.notify_waiters();
                    }
                    ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], body)
                }
            }),
        );
        let task = tokio::spawn(async move {
            // Serving only ends with an accept error; the run goes on without its endpoint then.
            let _ = axum::serve(listener, app).await;
        });
        Ok(MetricsServer {
            addr: bound,
            scraped_final,
            task,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the final values were scraped once (after [`Exporter::finish`]), at most `limit`;
    /// whether they were.
    pub async fn wait_scraped(&self, limit: std::time::Duration) -> bool {
        let (seen, notify) = &*self.scraped_final;
        let wait = async {
            loop {
                let notified = notify.notified();
                if seen.load(Ordering::Acquire) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
