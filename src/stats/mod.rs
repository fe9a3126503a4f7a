//! Measurements: counters and timings per activity, per sequence and per session.
//!
//! Each session records into its own [`SessionStats`] (behind a mutex only that session locks while
//! running, so recording costs no contention); the coordinator merges them at the end. Timing
//! distributions (HDR histograms, percentiles) arrive with the measurements issue; for now each
//! [`Stats`] keeps count, errors by class, total, min and max.

use crate::activity::ErrorClass;
use std::collections::BTreeMap;
use std::time::Duration;

/// Counters for one subject (an activity, a sequence, a session, the run).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Executions.
    pub count: u64,
    /// Errors, indexed by [`ErrorClass::index`].
    pub errors: [u64; 7],
    /// Sum of times.
    pub total: Duration,
    /// Fastest.
    pub min: Option<Duration>,
    /// Slowest.
    pub max: Duration,
    /// Request body bytes.
    pub bytes_sent: u64,
    /// Response body bytes.
    pub bytes_received: u64,
}

impl Stats {
    /// Records one execution.
    pub fn record(&mut self, elapsed: Duration, error: Option<ErrorClass>) {
        self.count += 1;
        if let Some(class) = error {
            self.errors[class.index()] += 1;
        }
        self.total += elapsed;
        self.min = Some(self.min.map_or(elapsed, |m| m.min(elapsed)));
        self.max = self.max.max(elapsed);
    }

    /// Adds another set of counters.
    pub fn merge(&mut self, other: &Stats) {
        self.count += other.count;
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
        self.total += other.total;
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = self.max.max(other.max);
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
    }

    /// All errors.
    pub fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Mean time, if anything ran.
    pub fn mean(&self) -> Option<Duration> {
        (self.count > 0).then(|| self.total / self.count.min(u64::from(u32::MAX)) as u32)
    }
}

/// One session's measurements.
#[derive(Clone, Debug, Default)]
pub struct SessionStats {
    /// Per activity, indexed by the plan's activity id.
    pub activities: Vec<Stats>,
    /// StaticRequests URLs: (activity id, URL) → stats.
    pub sub_requests: BTreeMap<(usize, String), Stats>,
    /// Per sequence, indexed by position in `sequences`; one count per pass.
    pub sequences: Vec<Stats>,
    /// The whole session (activities).
    pub total: Stats,
}

impl SessionStats {
    /// Empty stats sized for a plan.
    pub fn new(activities: usize, sequences: usize) -> Self {
        SessionStats {
            activities: vec![Stats::default(); activities],
            sequences: vec![Stats::default(); sequences],
            ..SessionStats::default()
        }
    }

    /// Adds another session's stats (same plan).
    pub fn merge(&mut self, other: &SessionStats) {
        for (a, b) in self.activities.iter_mut().zip(&other.activities) {
            a.merge(b);
        }
        for (a, b) in self.sequences.iter_mut().zip(&other.sequences) {
            a.merge(b);
        }
        for (k, v) in &other.sub_requests {
            self.sub_requests.entry(k.clone()).or_default().merge(v);
        }
        self.total.merge(&other.total);
    }
}
