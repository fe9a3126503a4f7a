//! Everything a run measured, merged across recorders: what reports read, what JSON results carry and
//! what `stressor merge` combines.

use super::latency::Latency;
use super::measure::Measure;
use serde::{Deserialize, Serialize};

/// A StaticRequests URL, measured on its own.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SubMeasure {
    /// The plan's activity id of the StaticRequests activity.
    pub activity: usize,
    /// The URL.
    pub label: String,
    /// Its measurements.
    pub measure: Measure,
}

/// One session's measurements (light histogram: 2 significant digits).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionMeasure {
    /// `t01`, ...
    pub id: String,
    /// The user's name.
    pub user: String,
    /// Its activities together.
    pub measure: Measure,
}

/// One second of the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Second {
    /// Activities finished in this second (timed activities only).
    pub requests: u64,
    /// Errors in this second.
    pub errors: u64,
    /// Their latencies (light histogram).
    pub latency: Latency,
}

/// All measurements of a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Per activity, indexed by the plan's activity id.
    pub activities: Vec<Measure>,
    /// StaticRequests URLs.
    pub sub_requests: Vec<SubMeasure>,
    /// Per sequence (by position in `sequences`): one count per pass, latency = pass time. A sequence's
    /// errors are the errors of its activities.
    pub sequences: Vec<Measure>,
    /// Per session.
    pub sessions: Vec<SessionMeasure>,
    /// Every timed activity of the run (activities with `ignore_timing`, e.g. Sleep, are left out).
    pub total: Measure,
    /// Per-second series from the run start.
    pub series: Vec<Second>,
}

impl Snapshot {
    /// Adds another snapshot of the same plan: counts add up exactly and histograms merge losslessly.
    /// Series are aligned by second offset; `offset_seconds` shifts `other` (for shards that started
    /// later).
    pub fn merge(&mut self, other: &Snapshot, offset_seconds: usize) -> Result<(), String> {
        if self.activities.len() != other.activities.len() || self.sequences.len() != other.sequences.len() {
            return Err(format!(
                "the results have different shapes ({} vs {} activities, {} vs {} sequences): they come from different scenarios",
                self.activities.len(),
                other.activities.len(),
                self.sequences.len(),
                other.sequences.len()
            ));
        }
        for (a, b) in self.activities.iter_mut().zip(&other.activities) {
            a.merge(b);
        }
        for (a, b) in self.sequences.iter_mut().zip(&other.sequences) {
            a.merge(b);
        }
        for sub in &other.sub_requests {
            match self
                .sub_requests
                .iter_mut()
                .find(|s| s.activity == sub.activity && s.label == sub.label)
            {
                Some(mine) => mine.measure.merge(&sub.measure),
                None => self.sub_requests.push(sub.clone()),
            }
        }
        self.sessions.extend(other.sessions.iter().cloned());
        self.total.merge(&other.total);
        if self.series.len() < other.series.len() + offset_seconds {
            self.series.resize_with(other.series.len() + offset_seconds, || Second {
                latency: Latency::with_sigfig(2),
                ..Second::default()
            });
        }
        for (i, s) in other.series.iter().enumerate() {
            let mine = &mut self.series[i + offset_seconds];
            mine.requests += s.requests;
            mine.errors += s.errors;
            mine.latency.merge(&s.latency);
        }
        Ok(())
    }
}
