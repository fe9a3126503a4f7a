//! Measurements of one subject (an activity, a sequence, a session, the run).

use super::latency::Latency;
use crate::activity::ErrorClass;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Errors counted by class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorCounts(pub [u64; ErrorClass::ALL.len()]);

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

/// Count, errors, bytes and the latency distribution of one subject.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Executions (successful or not).
    pub count: u64,
    /// Errors by class.
    pub errors: ErrorCounts,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// Service time of every execution (errors included).
    pub latency: Latency,
}

impl Measure {
    /// An empty measure whose histogram has the given precision.
    pub fn with_sigfig(sigfig: u8) -> Self {
        Measure {
            latency: Latency::with_sigfig(sigfig),
            ..Measure::default()
        }
    }

    /// Records one execution.
    pub fn record(&mut self, elapsed: Duration, error: Option<ErrorClass>, sent: u64, received: u64) {
        self.count += 1;
        if let Some(class) = error {
            self.errors.add(class);
        }
        self.bytes_sent += sent;
        self.bytes_received += received;
        self.latency.record(elapsed);
    }

    /// Adds another measure (exact counts, lossless histogram merge).
    pub fn merge(&mut self, other: &Measure) {
        self.count += other.count;
        self.errors.merge(&other.errors);
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.latency.merge(&other.latency);
    }

    /// All errors.
    pub fn error_count(&self) -> u64 {
        self.errors.total()
    }

    /// Errors / count (0 when nothing ran).
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.error_count() as f64 / self.count as f64
        }
    }

    /// Executions per second over `elapsed`.
    pub fn rate(&self, elapsed: Duration) -> f64 {
        let secs = elapsed.as_secs_f64();
        if secs > 0.0 { self.count as f64 / secs } else { 0.0 }
    }
}
