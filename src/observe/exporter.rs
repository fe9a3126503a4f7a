//! The [`Exporter`]: turns the run's live reports (once a second) and its judged result (at the end)
//! into the one metrics registry that `/metrics` serves and OTLP pushes.

use super::metrics::{self, Labels, Live, Metrics};
use crate::run::{Observer, Plan, RunReport, Shard};
use crate::verdict::{Judgement, SubjectThresholds};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// Who the metrics are about: OpenTelemetry resource attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resource {
    /// `key=value` pairs, in order; `service.name`, `stressor.run.id` and `stressor.shard` are added
    /// unless given.
    pub attributes: Vec<(String, String)>,
}

impl Resource {
    /// The attributes of a run: `service.name=stressor` (unless `OTEL_SERVICE_NAME` or `extra` name
    /// one), a new `stressor.run.id` (unless `extra` has one: give every shard of a run the same to
    /// group them), `stressor.shard` when sharded, then `extra` (e.g. `OTEL_RESOURCE_ATTRIBUTES`).
    pub fn of_run(shard: Option<Shard>, service_name: Option<String>, extra: Vec<(String, String)>) -> Resource {
        let has = |k: &str| extra.iter().any(|(key, _)| key == k);
        let mut attributes = Vec::new();
        if !has("service.name") {
            attributes.push(("service.name".into(), service_name.unwrap_or_else(|| "stressor".into())));
        }
        if !has("stressor.run.id") {
            attributes.push(("stressor.run.id".into(), format!("{:032x}", fastrand::u128(..))));
        }
        if let Some(s) = shard.filter(|_| !has("stressor.shard")) {
            attributes.push(("stressor.shard".into(), s.to_string()));
        }
        attributes.extend(extra);
        Resource { attributes }
    }

    /// The value of an attribute.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The run's metrics as they stand: updated by the runner once a second (it is an [`Observer`]),
/// finished with the judged result; read by `/metrics` and the OTLP pusher.
pub struct Exporter {
    labels: Labels,
    thresholds: Vec<SubjectThresholds>,
    resource: Resource,
    start: SystemTime,
    /// CPU seconds and wall time at the previous update (for the CPU share since then).
    previous: Mutex<(f64, Duration)>,
    tx: watch::Sender<Arc<Metrics>>,
}

impl Exporter {
    /// An exporter for a run of `plan`, starting now.
    pub fn new(plan: &Plan, resource: Resource) -> Arc<Exporter> {
        let labels = Labels::new(&plan.scenario, &plan.activities);
        let thresholds = crate::verdict::collect(&plan.scenario, &plan.activities)
            .into_iter()
            .map(|mut st| {
                // A live view cannot judge against a baseline it does not have.
                st.set.relative.clear();
                st
            })
            .filter(|st| !st.set.rules.is_empty())
            .collect();
        let start = SystemTime::now();
        let empty = Metrics {
            resource: resource.attributes.clone(),
            start,
            time: start,
            families: Vec::new(),
            last: false,
        };
        Arc::new(Exporter {
            labels,
            thresholds,
            resource,
            start,
            previous: Mutex::new((0.0, Duration::ZERO)),
            tx: watch::channel(Arc::new(empty)).0,
        })
    }

    /// The resource attributes.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// The metrics as they stand.
    pub fn current(&self) -> Arc<Metrics> {
        self.tx.borrow().clone()
    }

    /// Changes whenever the metrics do (once a second, and once more with the final values).
    pub fn subscribe(&self) -> watch::Receiver<Arc<Metrics>> {
        self.tx.subscribe()
    }

    /// The final values: the whole run's counts and the judged thresholds.
    pub fn finish(&self, judgement: &Judgement) {
        let report = &judgement.report;
        let live = self.cpu(report);
        let outcomes = judgement.outcomes.clone();
        self.publish(metrics::collect(report, &outcomes, &self.labels, live, true), true);
    }

    /// The CPU share since the previous update.
    fn cpu(&self, report: &RunReport) -> Live {
        let mut previous = self.previous.lock().unwrap_or_else(PoisonError::into_inner);
        let (cpu, wall) = (report.health.cpu_seconds, report.elapsed);
        let (d_cpu, d_wall) = (cpu - previous.0, wall.saturating_sub(previous.1).as_secs_f64());
        *previous = (cpu, wall);
        let cores = report.health.cores.max(1) as f64;
        Live {
            cpu: if d_wall > 0.0 {
                (d_cpu / (d_wall * cores)).clamp(0.0, 1.0)
            } else {
                0.0
            },
        }
    }

    fn publish(&self, families: Vec<metrics::Family>, last: bool) {
        self.tx.send_replace(Arc::new(Metrics {
            resource: self.resource.attributes.clone(),
            start: self.start,
            time: SystemTime::now(),
            families,
            last,
        }));
    }
}

impl Observer for Exporter {
    fn observe(&self, live: &RunReport) {
        let outcomes = crate::verdict::evaluate(&self.thresholds, live);
        let cpu = self.cpu(live);
        self.publish(metrics::collect(live, &outcomes, &self.labels, cpu, false), false);
    }
}
