//! The metrics registry: what the recorder's aggregates say, as named, labelled counters, gauges and
//! histograms — built once per update and rendered both as Prometheus text and as OTLP.
//!
//! # Names and labels
//!
//! Names follow the OpenTelemetry semantic conventions where one exists
//! (`http.client.request.duration`); stressor's own are under `stressor.`. Every per-activity series
//! carries the same labels: `stressor.scenario`, `stressor.workload` (files with `workloads`),
//! `stressor.sequence`, `stressor.activity` (its `name:`, or its display name with the URL as
//! written — `GetRequest(/items/$(id))`, never the expanded URL), `http.request.method` (request
//! activities) and the activity's `tags`. So there is one series per activity and outcome whatever
//! URLs the run requested: a label never carries a raw URL.
//!
//! # Histograms
//!
//! Explicit buckets ([`BOUNDS`], the same for every histogram, run and shard), derived from the
//! recorder's HDR histograms: a sum of bucket counts is exact across processes and shards, Prometheus'
//! `histogram_quantile` reads them as classic histograms, and an OTLP collector can forward them to a
//! Prometheus-compatible store unchanged. Exponential histograms would be finer for the same size, but
//! the Prometheus text format has no way to carry them, and both outputs are to show the same numbers.
//! Each value is put into its bucket by the high end of its HDR bucket (the value stressor's own
//! percentiles report), so stressor's p95 and a quantile computed from these buckets fall into the
//! same bucket.

use crate::run::{ActivityInfo, RunReport};
use crate::scenario::Scenario;
use crate::stats::{Latency, Measure};
use crate::verdict::ThresholdOutcome;
use std::time::{Duration, SystemTime};

/// Upper bounds of the latency buckets, in seconds: 1, 2.5, 5 per decade from 100 µs to 60 s (a
/// superset of the OpenTelemetry HTTP conventions' advice below 10 s, extended down for services that
/// answer in under a millisecond). Values above the last bound count in the `+Inf` bucket.
pub const BOUNDS: [f64; 18] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0,
];

/// [`BOUNDS`] in microseconds, the unit of the HDR histograms.
const BOUNDS_MICROS: [u64; 18] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000, 25_000_000, 60_000_000,
];

/// What a metric is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic and cumulative from the run's start.
    Counter,
    /// A current value.
    Gauge,
    /// A cumulative distribution over [`BOUNDS`].
    Histogram,
}

/// The unit of a metric, as OpenTelemetry writes it (UCUM) and as a Prometheus name ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (`s`, `_seconds`).
    Seconds,
    /// Bytes (`By`, `_bytes`).
    Bytes,
    /// A share of 1 (`1`, `_ratio`).
    Ratio,
    /// A count of something (`{execution}`): no suffix.
    Count(&'static str),
}

impl Unit {
    /// The UCUM unit OTLP carries.
    pub fn ucum(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Bytes => "By",
            Unit::Ratio => "1",
            Unit::Count(what) => what,
        }
    }

    /// The suffix a Prometheus name gets (empty for counts).
    pub fn prometheus_suffix(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Bytes => "bytes",
            Unit::Ratio => "ratio",
            Unit::Count(_) => "",
        }
    }
}

/// A value of one series.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A whole number (counters, session counts).
    Int(u64),
    /// A measured figure (shares, seconds, threshold states).
    Float(f64),
    /// A distribution.
    Histogram(Buckets),
}

/// A distribution over [`BOUNDS`]: counts per bucket (not cumulative; the last is `+Inf`).
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets {
    /// `BOUNDS.len() + 1` counts.
    pub counts: Vec<u64>,
    /// The sum of the values, seconds.
    pub sum: f64,
    /// The number of values.
    pub count: u64,
    /// The smallest and largest value, seconds, when there is one.
    pub min_max: Option<(f64, f64)>,
}

impl Buckets {
    /// The values of an HDR latency histogram, bucketed (see the module documentation).
    pub fn of(latency: &Latency) -> Buckets {
        let counts = latency.bucket_counts(&BOUNDS_MICROS);
        let count = latency.count();
        let secs = |d: Option<Duration>| d.map_or(0.0, |d| d.as_secs_f64());
        Buckets {
            counts,
            sum: secs(latency.mean()) * count as f64,
            count,
            min_max: (count > 0).then(|| (secs(latency.min()), secs(latency.max()))),
        }
    }
}

/// One series: its labels and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// `(key, value)` in OpenTelemetry spelling (`http.request.method`); Prometheus gets the keys with
    /// `_` for every other character.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: Value,
}

/// One metric and its series.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// OpenTelemetry name (`http.client.request.duration`, `stressor.executions`).
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// Its series.
    pub points: Vec<Point>,
}

impl Family {
    /// The Prometheus name: `.` as `_`, the unit's suffix unless the name has it already (the
    /// `_total` of counters is added by the text encoder).
    pub fn prometheus_name(&self) -> String {
        let mut name: String = self
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let suffix = self.unit.prometheus_suffix();
        if !suffix.is_empty() && !name.split('_').any(|part| part == suffix) {
            name.push('_');
            name.push_str(suffix);
        }
        name
    }
}

/// The whole registry at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Resource attributes (`stressor.run.id`, `stressor.shard`, `service.name`, ...).
    pub resource: Vec<(String, String)>,
    /// When the run started (the start of every cumulative series).
    pub start: SystemTime,
    /// When these values were taken.
    pub time: SystemTime,
    /// The metrics, in a fixed order.
    pub families: Vec<Family>,
    /// Whether these are the run's final values.
    pub last: bool,
}

/// What the registry needs besides a report: the activities' labels, fixed for the run.
#[derive(Clone, Debug)]
pub struct Labels {
    /// Per activity id: its labels, and whether it sends HTTP requests.
    activities: Vec<(Vec<(String, String)>, bool)>,
    scenario: String,
}

impl Labels {
    /// The labels of a plan's activities.
    pub fn new(scenario: &Scenario, activities: &[ActivityInfo]) -> Labels {
        let activities = activities
            .iter()
            .map(|info| {
                let method = super::method_of(scenario, info);
                let mut labels = vec![("stressor.scenario".to_string(), scenario.name.clone())];
                if let Some(w) = &info.workload {
                    labels.push(("stressor.workload".into(), w.clone()));
                }
                // The sequence's own name: the workload has a label of its own.
                let sequence = match &info.workload {
                    Some(w) => info.sequence.strip_prefix(&format!("{w}/")).unwrap_or(&info.sequence),
                    None => &info.sequence,
                };
                labels.push(("stressor.sequence".into(), sequence.to_string()));
                labels.push(("stressor.activity".into(), info.label.clone()));
                let http = method.is_some();
                if let Some(m) = method {
                    labels.push(("http.request.method".into(), m));
                }
                for (k, v) in super::split_tags(&info.tags) {
                    // A tag cannot replace one of ours.
                    if !labels.iter().any(|(have, _)| *have == k) {
                        labels.push((k, v));
                    }
                }
                (labels, http)
            })
            .collect();
        Labels {
            activities,
            scenario: scenario.name.clone(),
        }
    }
}

/// Generator figures that are not in a report: the CPU share since the last update.
#[derive(Clone, Copy, Debug, Default)]
pub struct Live {
    /// CPU share of all cores since the previous update (0..1).
    pub cpu: f64,
}

/// The registry of a (live or final) report. `outcomes` are the thresholds' current outcomes.
pub fn collect(
    report: &RunReport,
    outcomes: &[ThresholdOutcome],
    labels: &Labels,
    live: Live,
    last: bool,
) -> Vec<Family> {
    let mut f = Families::default();
    let with = |base: &[(String, String)], key: &str, value: &str| {
        let mut l = base.to_vec();
        l.push((key.to_string(), value.to_string()));
        l
    };
    for (id, m) in report.stats.activities.iter().enumerate() {
        let Some((base, http)) = labels.activities.get(id) else {
            continue;
        };
        let errors = m.errors.total();
        for (outcome, n) in [
            ("success", m.count - errors.min(m.count)),
            ("error", errors),
            ("stopped", m.stopped),
        ] {
            f.int(EXECUTIONS, with(base, "stressor.outcome", outcome), n);
        }
        for (class, n) in m.errors.nonzero() {
            f.int(ERRORS, with(base, "error.type", class.as_str()), n);
        }
        for class in 1..=5u8 {
            let n = m.statuses.get(class);
            if n > 0 {
                f.int(RESPONSES, with(base, "stressor.status_class", &format!("{class}xx")), n);
            }
        }
        f.int(BYTES_SENT, base.clone(), m.bytes_sent);
        f.int(BYTES_RECEIVED, base.clone(), m.bytes_received);
        let duration = if *http { HTTP_DURATION } else { ACTIVITY_DURATION };
        durations(&mut f, duration, base, m);
        if let Some(r) = report.stats.response_time.as_ref().and_then(|r| r.activities.get(id))
            && r.count > 0
        {
            durations(&mut f, RESPONSE_TIME, base, r);
        }
    }
    let run = vec![("stressor.scenario".to_string(), labels.scenario.clone())];
    let sessions = if last {
        0
    } else {
        report.stats.series.last().map_or(0, |s| s.sessions)
    };
    f.int(SESSIONS, run.clone(), sessions);
    if let Some(due) = report.health.arrivals {
        f.int(ARRIVALS, run.clone(), due);
        f.int(DROPPED, run.clone(), report.health.dropped_arrivals);
    }
    f.float(CPU, run.clone(), live.cpu);
    let lag = report.health.lag.percentile(99.0).map_or(0.0, |d| d.as_secs_f64());
    f.float(LAG, run.clone(), lag);
    for o in outcomes {
        let state = if o.passed {
            1.0
        } else if !last && (o.never_ran() || o.not_enough_data()) {
            -1.0
        } else {
            0.0
        };
        let mut l = run.clone();
        l.push(("stressor.threshold".into(), o.subject.label(&report.activities)));
        l.push(("stressor.rule".into(), o.rule_name()));
        f.float(THRESHOLD, l, state);
    }
    f.0
}

/// The success and error histograms of one measure.
fn durations(f: &mut Families, def: Def, base: &[(String, String)], m: &Measure) {
    // An activity that only ever failed has no success series (rather than an empty one).
    if m.latency.count() > 0 || m.failed_latency.is_none() {
        let mut ok = base.to_vec();
        ok.push(("stressor.outcome".into(), "success".into()));
        f.histogram(def, ok, Buckets::of(&m.latency));
    }
    if let Some(failed) = &m.failed_latency {
        let mut bad = base.to_vec();
        bad.push(("stressor.outcome".into(), "error".into()));
        f.histogram(def, bad, Buckets::of(failed));
    }
}

/// A metric's fixed parts.
#[derive(Clone, Copy)]
struct Def(&'static str, &'static str, Unit, Kind);

const HTTP_DURATION: Def = Def(
    "http.client.request.duration",
    "Time of each request activity, from its start to its last check (success: latency as stressor reports it)",
    Unit::Seconds,
    Kind::Histogram,
);
const ACTIVITY_DURATION: Def = Def(
    "stressor.activity.duration",
    "Time of each activity that sends no HTTP request (scripts, sleeps, plugins)",
    Unit::Seconds,
    Kind::Histogram,
);
const RESPONSE_TIME: Def = Def(
    "stressor.response_time",
    "Open model: time from each execution's intended start (its arrival) to its end, queueing in the generator included",
    Unit::Seconds,
    Kind::Histogram,
);
const EXECUTIONS: Def = Def(
    "stressor.executions",
    "Executions of each activity by outcome (success, error, stopped)",
    Unit::Count("{execution}"),
    Kind::Counter,
);
const ERRORS: Def = Def(
    "stressor.errors",
    "Failed executions by error class",
    Unit::Count("{error}"),
    Kind::Counter,
);
const RESPONSES: Def = Def(
    "stressor.responses",
    "HTTP responses by status class",
    Unit::Count("{response}"),
    Kind::Counter,
);
const BYTES_SENT: Def = Def(
    "stressor.bytes.sent",
    "Request body bytes sent",
    Unit::Bytes,
    Kind::Counter,
);
const BYTES_RECEIVED: Def = Def(
    "stressor.bytes.received",
    "Response body bytes received",
    Unit::Bytes,
    Kind::Counter,
);
const SESSIONS: Def = Def(
    "stressor.sessions",
    "Sessions (virtual users) running now",
    Unit::Count("{session}"),
    Kind::Gauge,
);
const ARRIVALS: Def = Def(
    "stressor.arrivals",
    "Open model: arrivals due so far",
    Unit::Count("{arrival}"),
    Kind::Counter,
);
const DROPPED: Def = Def(
    "stressor.arrivals.dropped",
    "Open model: arrivals that found every session busy and were not run",
    Unit::Count("{arrival}"),
    Kind::Counter,
);
const CPU: Def = Def(
    "stressor.generator.cpu.utilization",
    "The load generator's CPU use since the previous update, as a share of all cores",
    Unit::Ratio,
    Kind::Gauge,
);
const LAG: Def = Def(
    "stressor.generator.scheduler_lag",
    "p99 of how late the generator's 10 ms timer woke up, over the run so far",
    Unit::Seconds,
    Kind::Gauge,
);
const THRESHOLD: Def = Def(
    "stressor.threshold.state",
    "Each threshold rule now: 1 holding, 0 failing, -1 not judged yet (nothing measured)",
    Unit::Count("1"),
    Kind::Gauge,
);

/// Families in order of first use.
#[derive(Default)]
struct Families(Vec<Family>);

impl Families {
    fn push(&mut self, def: Def, labels: Vec<(String, String)>, value: Value) {
        let Def(name, help, unit, kind) = def;
        let point = Point { labels, value };
        match self.0.iter_mut().find(|f| f.name == name) {
            Some(f) => f.points.push(point),
            None => self.0.push(Family {
                name,
                help,
                unit,
                kind,
                points: vec![point],
            }),
        }
    }

    fn int(&mut self, def: Def, labels: Vec<(String, String)>, n: u64) {
        self.push(def, labels, Value::Int(n));
    }

    fn float(&mut self, def: Def, labels: Vec<(String, String)>, v: f64) {
        self.push(def, labels, Value::Float(v));
    }

    fn histogram(&mut self, def: Def, labels: Vec<(String, String)>, b: Buckets) {
        self.push(def, labels, Value::Histogram(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_into_the_bucket_of_their_hdr_high_end() {
        let mut l = Latency::default();
        for ms in [0.05, 0.3, 0.9, 1.0, 7.0, 7.0, 30_000.0, 100_000.0] {
            l.record(Duration::from_secs_f64(ms / 1000.0));
        }
        let b = Buckets::of(&l);
        assert_eq!(b.count, 8);
        assert_eq!(b.counts.iter().sum::<u64>(), 8);
        assert_eq!(b.counts[0], 1, "50 µs ≤ 100 µs");
        assert_eq!(b.counts[2], 1, "300 µs in (250 µs, 500 µs]");
        assert_eq!(b.counts[3], 2, "900 µs and exactly 1 ms in (500 µs, 1 ms]");
        assert_eq!(b.counts[6], 2, "7 ms in (5 ms, 10 ms]");
        assert_eq!(b.counts[17], 1, "30 s in (25 s, 60 s]");
        assert_eq!(b.counts[18], 1, "100 s above the last bound");
        let p95 = l.percentile(95.0).unwrap().as_secs_f64();
        assert!(p95 > 60.0, "{p95}");
    }

    #[test]
    fn the_bounds_in_microseconds_are_the_bounds() {
        for (s, us) in BOUNDS.iter().zip(BOUNDS_MICROS) {
            assert_eq!((s * 1e6).round() as u64, us);
        }
    }

    #[test]
    fn prometheus_names_get_their_unit_once() {
        let f = |name, unit| Family {
            name,
            help: "",
            unit,
            kind: Kind::Counter,
            points: Vec::new(),
        };
        assert_eq!(
            f("http.client.request.duration", Unit::Seconds).prometheus_name(),
            "http_client_request_duration_seconds"
        );
        assert_eq!(
            f("stressor.bytes.sent", Unit::Bytes).prometheus_name(),
            "stressor_bytes_sent"
        );
        assert_eq!(
            f("stressor.executions", Unit::Count("{execution}")).prometheus_name(),
            "stressor_executions"
        );
    }
}
