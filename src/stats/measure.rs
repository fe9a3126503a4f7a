//! Measurements of one subject (an activity, a sequence, a session, the run).

use super::latency::Latency;
use crate::activity::ErrorClass;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Errors counted by class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts(pub [u64; ErrorClass::COUNT]);

impl ErrorCounts {
    /// Counts one error.
    pub fn add(&mut self, class: ErrorClass) {
        self.0[class.index()] += 1;
    }

    /// All errors.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The count of one class.
    pub fn get(&self, class: ErrorClass) -> u64 {
        self.0[class.index()]
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &ErrorCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Non-zero classes, in report order.
    pub fn nonzero(&self) -> Vec<(ErrorClass, u64)> {
        ErrorClass::ALL
            .iter()
            .map(|c| (*c, self.get(*c)))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

// Serialized as `{"status": 3, "timeout": 1}`: readable, and stable if classes are added.
impl Serialize for ErrorCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&str, u64> = self.nonzero().into_iter().map(|(c, n)| (c.as_str(), n)).collect();
        map.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ErrorCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, u64>::deserialize(d)?;
        let mut out = ErrorCounts::default();
        for (name, n) in map {
            let class = ErrorClass::ALL
                .iter()
                .find(|c| c.as_str() == name)
                .ok_or_else(|| serde::de::Error::custom(format!("unknown error class `{name}`")))?;
            out.0[class.index()] += n;
        }
        Ok(out)
    }
}

/// Responses counted by status class: index 0 for 1xx ... 4 for 5xx.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts(pub [u64; 5]);

impl StatusCounts {
    /// Counts one response status (codes outside 100-599 are not counted).
    pub fn add(&mut self, status: u16) {
        if let Some(n) = (status / 100)
            .checked_sub(1)
            .and_then(|i| self.0.get_mut(usize::from(i)))
        {
            *n += 1;
        }
    }

    /// Responses of status class `class` (1 for 1xx ... 5 for 5xx).
    pub fn get(&self, class: u8) -> u64 {
        usize::from(class)
            .checked_sub(1)
            .and_then(|i| self.0.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Adds other counts.
    pub fn merge(&mut self, other: &StatusCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|n| *n == 0)
    }
}

// Serialized as `{"2xx": 120, "5xx": 3}`, non-zero classes only.
impl Serialize for StatusCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<String, u64> = (1..=5u8)
            .filter(|c| self.get(*c) > 0)
            .map(|c| (format!("{c}xx"), self.get(c)))
            .collect();
        map.serialize(s)
    }
}

impl<'de> Deserialize<'de> for StatusCounts {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, u64>::deserialize(d)?;
        let mut out = StatusCounts::default();
        for (name, n) in map {
            let class = match name.as_bytes() {
                [c @ b'1'..=b'5', b'x', b'x'] => c - b'0',
                _ => return Err(serde::de::Error::custom(format!("unknown status class `{name}`"))),
            };
            out.0[usize::from(class - 1)] += n;
        }
        Ok(out)
    }
}

/// Count, errors, bytes and the latency distributions of one subject.
///
/// Latency is kept apart by outcome: `latency` holds successful executions only, so that a failing
/// server (fast connection refusals, instant 500s) cannot improve a percentile; failed executions go to
/// `failed_latency`. Executions cut short by a stop are only counted (`stopped`): they are neither
/// successes nor errors, and their time says nothing about the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Completed executions (successful or failed; stopped ones are not completed).
    pub count: u64,
    /// Errors by class.
    pub errors: ErrorCounts,
    /// Executions cut short by a stop (max_time, Ctrl-C, the Stop button, the end of the grace period).
    /// Absent from results files written before it existed, and from JSON when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stopped: u64,
    /// Completed executions by the status class of their HTTP response (executions without one are
    /// not counted). Absent from JSON when empty.
    #[serde(default, skip_serializing_if = "StatusCounts::is_empty")]
    pub statuses: StatusCounts,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// Service time of every successful execution. (Results files written before failed executions were
    /// kept apart hold all executions here.)
    pub latency: Latency,
    /// Service time of every failed execution; `None` until one failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_latency: Option<Latency>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Measure {
    /// An empty measure whose histograms have the given precision.
    pub fn with_sigfig(sigfig: u8) -> Self {
        Measure {
            latency: Latency::with_sigfig(sigfig),
            ..Measure::default()
        }
    }

    /// Records one completed execution: its time goes to `latency` when it succeeded, to
    /// `failed_latency` when it failed.
    pub fn record(&mut self, elapsed: Duration, error: Option<ErrorClass>, sent: u64, received: u64) {
        self.count += 1;
        self.bytes_sent += sent;
        self.bytes_received += received;
        match error {
            None => self.latency.record(elapsed),
            Some(class) => {
                self.errors.add(class);
                let sigfig = self.latency.sigfig();
                self.failed_latency
                    .get_or_insert_with(|| Latency::with_sigfig(sigfig))
                    .record(elapsed);
            }
        }
    }

    /// Counts one execution cut short by a stop.
    pub fn record_stopped(&mut self) {
        self.stopped += 1;
    }

    /// Adds another measure (exact counts, lossless histogram merge).
    pub fn merge(&mut self, other: &Measure) {
        self.count += other.count;
        self.errors.merge(&other.errors);
        self.stopped += other.stopped;
        self.statuses.merge(&other.statuses);
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.latency.merge(&other.latency);
        if let Some(theirs) = &other.failed_latency {
            match &mut self.failed_latency {
                Some(mine) => mine.merge(theirs),
                None => self.failed_latency = Some(theirs.clone()),
            }
        }
    }

    /// Whether nothing was recorded (no execution, completed or stopped).
    pub fn is_empty(&self) -> bool {
        self.count == 0
            && self.stopped == 0
            && self.latency.count() == 0
            && self.failed_latency.is_none()
            && self.statuses.is_empty()
    }

    /// All errors.
    pub fn error_count(&self) -> u64 {
        self.errors.total()
    }

    /// Completed executions that succeeded.
    pub fn successes(&self) -> u64 {
        self.count.saturating_sub(self.error_count())
    }

    /// Errors / completed executions (0 when nothing completed).
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.error_count() as f64 / self.count as f64
        }
    }

    /// Completed executions per second over `elapsed`.
    pub fn rate(&self, elapsed: Duration) -> f64 {
        per_second(self.count, elapsed)
    }

    /// Successful executions per second over `elapsed` (what `min_rps` measures).
    pub fn success_rate(&self, elapsed: Duration) -> f64 {
        per_second(self.successes(), elapsed)
    }
}

fn per_second(n: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { n as f64 / secs } else { 0.0 }
}
