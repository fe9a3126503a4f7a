//! OTLP/HTTP metrics push (`run --otlp URL`, `OTEL_EXPORTER_OTLP_ENDPOINT`): the registry as an
//! `ExportMetricsServiceRequest` (the OpenTelemetry project's generated types, encoded by prost),
//! posted as `application/x-protobuf` every [`OtlpConfig::interval`] and once more with the final
//! values at the end of the run.
//!
//! Cumulative temporality throughout: every push carries the totals since the run's start (its
//! `start_time_unix_nano`), so a lost push loses nothing and a collector needs no state to convert
//! them to Prometheus. A failed push is logged and retried with the next one; the run never waits for
//! the collector, and only the final push's failure is reported to the caller.

use super::exporter::Exporter;
use super::metrics::{BOUNDS, Family, Kind, Metrics, Value};
use super::otel_env::OtlpConfig;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A push that failed.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The collector could not be reached or did not answer in time.
    #[error("failed to push metrics to {url}: {source}")]
    Send {
        /// The URL posted to.
        url: String,
        /// The client's error.
        source: reqwest::Error,
    },
    /// The collector refused them.
    #[error("the collector at {url} refused the metrics: HTTP {status}: {body}")]
    Refused {
        /// The URL posted to.
        url: String,
        /// Its status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("failed to set up the OTLP client: {0}")]
    Client(reqwest::Error),
}

/// The registry as one OTLP export request.
pub fn request(metrics: &Metrics) -> ExportMetricsServiceRequest {
    let (start, time) = (nanos(metrics.start), nanos(metrics.time));
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: attributes(&metrics.resource),
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "stressor".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                metrics: metrics.families.iter().map(|f| metric(f, start, time)).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn metric(family: &Family, start: u64, time: u64) -> Metric {
    let cumulative = AggregationTemporality::Cumulative as i32;
    let number = |p: &super::metrics::Point| NumberDataPoint {
        attributes: attributes(&p.labels),
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: match &p.value {
            Value::Int(n) => Some(number_data_point::Value::AsInt(i64::try_from(*n).unwrap_or(i64::MAX))),
            Value::Float(v) => Some(number_data_point::Value::AsDouble(*v)),
            Value::Histogram(_) => None,
        },
        ..Default::default()
    };
    let data = match family.kind {
        Kind::Counter => metric::Data::Sum(Sum {
            data_points: family.points.iter().map(number).collect(),
            aggregation_temporality: cumulative,
            is_monotonic: true,
        }),
        Kind::Gauge => metric::Data::Gauge(Gauge {
            data_points: family.points.iter().map(number).collect(),
        }),
        Kind::Histogram => metric::Data::Histogram(Histogram {
            data_points: family
                .points
                .iter()
                .filter_map(|p| match &p.value {
                    Value::Histogram(b) => Some(HistogramDataPoint {
                        attributes: attributes(&p.labels),
                        start_time_unix_nano: start,
                        time_unix_nano: time,
                        count: b.count,
                        sum: Some(b.sum),
                        bucket_counts: b.counts.clone(),
                        explicit_bounds: BOUNDS.to_vec(),
                        min: b.min_max.map(|m| m.0),
                        max: b.min_max.map(|m| m.1),
                        ..Default::default()
                    }),
                    _ => None,
                })
                .collect(),
            aggregation_temporality: cumulative,
        }),
    };
    Metric {
        name: family.name.into(),
        description: family.help.into(),
        unit: family.unit.ucum().into(),
        data: Some(data),
        ..Default::default()
    }
}

fn attributes(pairs: &[(String, String)]) -> Vec<KeyValue> {
    pairs
        .iter()
        .map(|(k, v)| KeyValue {
            key: k.clone(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(v.clone())),
            }),
            ..Default::default()
        })
        .collect()
}

fn nanos(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos()).unwrap_or(u64::MAX)
}

/// Pushes an exporter's metrics to a collector while the run goes; [`OtlpPusher::finish`] pushes the
/// final values.
pub struct OtlpPusher {
    client: reqwest::Client,
    config: OtlpConfig,
    exporter: Arc<Exporter>,
    task: tokio::task::JoinHandle<()>,
}

impl OtlpPusher {
    /// Starts pushing every `config.interval` (on the current tokio runtime).
    pub fn start(config: OtlpConfig, exporter: Arc<Exporter>) -> Result<OtlpPusher, PushError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(PushError::Client)?;
        let (c, conf, e) = (client.clone(), config.clone(), exporter.clone());
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(conf.interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            let mut failing = false;
            loop {
                ticks.tick().await;
                let metrics = e.current();
                if metrics.families.is_empty() {
                    continue;
                }
                // Logged once per run of failures, not once per push: the collector may be down for long.
                match push(&c, &conf, &metrics).await {
                    Ok(()) => failing = false,
                    Err(err) if !failing => {
                        failing = true;
                        tracing::warn!("{err}; retrying with the next push");
                    }
                    Err(_) => {}
                }
            }
        });
        Ok(OtlpPusher {
            client,
            config,
            exporter,
            task,
        })
    }

    /// Stops the periodic pushes and pushes the exporter's current (final) values once.
    pub async fn finish(self) -> Result<(), PushError> {
        self.task.abort();
        push(&self.client, &self.config, &self.exporter.current()).await
    }
}

/// One POST of the metrics.
pub async fn push(client: &reqwest::Client, config: &OtlpConfig, metrics: &Metrics) -> Result<(), PushError> {
    let body = request(metrics).encode_to_vec();
    let mut post = client
        .post(&config.url)
        .header(reqwest::header::CONTENT_TYPE, "application/x-protobuf")
        .body(body);
    for (k, v) in &config.headers {
        post = post.header(k.as_str(), v.as_str());
    }
    let url = || config.url.clone();
    let response = post
        .send()
        .await
        .map_err(|source| PushError::Send { url: url(), source })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    Err(PushError::Refused {
        url: url(),
        status: status.as_u16(),
        body: crate::check::shorten(&text, 200),
    })
}
