//! Everything a run measured, merged across recorders: what reports read, what JSON results carry and
//! what `stressor merge` combines.

use super::latency::Latency;
use super::measure::Measure;
use serde::{Deserialize, Serialize};

/// Most entries a per-second series holds. A longer run doubles the series' step (adjacent entries are
/// merged) instead of growing: 1 s resolution for the first minute, 2 s up to 2 minutes, 4 s up to 4,
/// and so on, so a series has between 30 and 60 entries once the run is past its first minute. With
/// light (2-digit) histograms that is at most `SERIES_MAX_ENTRIES` × ~13 KB (latencies up to 1 h;
/// ~7 KB for latencies under 1 s), i.e. ~0.8 MB worst case and ~0.4 MB typically, per recorder shard
/// and per snapshot.
///
/// The bound is small on purpose: the series is the only measure that grows with the run's length,
/// and a load generator's memory must be flat over a long run (`bench/soak.sh`: within ±5 % from
/// minute 1 to minute 10). With 900 entries it grew by ~40 KB per second of run for 15 minutes; with
/// 120 it still grew by ~2 MB (7 %) between minute 1 and minute 2. With 60 the series reaches its
/// largest size within the first minute. 30 to 60 points are still enough for a throughput or
/// latency plot.
pub const SERIES_MAX_ENTRIES: usize = 60;

/// Significant digits of the light histograms (per session, per series entry).
pub const LIGHT_SIGFIG: u8 = 2;

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
    /// Its timed activities together.
    pub measure: Measure,
}

/// One entry of the per-second series: [`Snapshot::series_step`] seconds of the run (one second unless
/// the run outlasted [`SERIES_MAX_ENTRIES`] seconds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Second {
    /// Timed activities finished in this entry.
    pub requests: u64,
    /// Errors among them.
    pub errors: u64,
    /// The latencies of the successful ones (light histogram, 2 significant digits).
    pub latency: Latency,
    /// The most sessions alive at once in this entry (summed over shards; absent from JSON when 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sessions: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for Second {
    fn default() -> Self {
        Second {
            requests: 0,
            errors: 0,
            latency: Latency::with_sigfig(LIGHT_SIGFIG),
            sessions: 0,
        }
    }
}

impl Second {
    /// Adds another entry of the same time (another shard's): sessions add up.
    pub fn merge(&mut self, other: &Second) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.latency.merge(&other.latency);
        self.sessions += other.sessions;
    }
}

/// Latencies measured from the *intended* start of each execution (the open model's arrival time)
/// instead of its actual start: what a user waiting since the arrival experiences, queueing in the load
/// generator included (no coordinated omission). Only recorded when the caller passes an intended start;
/// the closed model does not, and its snapshots have none.
///
/// Counts, errors and bytes are those of the same executions as in [`Snapshot::activities`] /
/// [`Snapshot::sequences`] / [`Snapshot::total`]; only the latencies differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponseTimes {
    /// Per activity id (count 0 for activities recorded without an intended start).
    pub activities: Vec<Measure>,
    /// Per sequence position: passes timed from their intended start.
    pub sequences: Vec<Measure>,
    /// Every timed activity recorded with an intended start.
    pub total: Measure,
}

impl ResponseTimes {
    /// Empty response times for a plan's shape.
    pub fn new(activities: usize, sequences: usize) -> Self {
        ResponseTimes {
            activities: vec![Measure::default(); activities],
            sequences: vec![Measure::default(); sequences],
            total: Measure::default(),
        }
    }

    /// Adds another set of the same shape.
    pub fn merge(&mut self, other: &ResponseTimes) {
        merge_vec(&mut self.activities, &other.activities);
        merge_vec(&mut self.sequences, &other.sequences);
        self.total.merge(&other.total);
    }
}

fn merge_vec(mine: &mut Vec<Measure>, other: &[Measure]) {
    if mine.len() < other.len() {
        mine.resize_with(other.len(), Measure::default);
    }
    for (a, b) in mine.iter_mut().zip(other) {
        a.merge(b);
    }
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// Two snapshots of different plans, which cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "the results have different shapes ({} vs {} activities, {} vs {} sequences): they come from different scenarios",
    activities.0,
    activities.1,
    sequences.0,
    sequences.1
)]
pub struct ShapeError {
    /// Activities of this snapshot and of the other.
    pub activities: (usize, usize),
    /// Sequences of this snapshot and of the other.
    pub sequences: (usize, usize),
}

/// All measurements of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Per activity, indexed by the plan's activity id.
    pub activities: Vec<Measure>,
    /// StaticRequests URLs, ordered by activity id, then URL.
    pub sub_requests: Vec<SubMeasure>,
    /// Per sequence (by position in `sequences`): one count per pass, latency = pass time. Here `errors`
    /// counts passes in which an activity failed (by the first failure's class); a sequence's errors
    /// proper are the errors of its activities ([`RunReport::sequence`](crate::run::RunReport::sequence)).
    pub sequences: Vec<Measure>,
    /// Per session, in start order.
    pub sessions: Vec<SessionMeasure>,
    /// Every timed activity of the run (activities with `ignore_timing`, e.g. Sleep, are left out).
    pub total: Measure,
    /// Series from the run start: entry *i* covers seconds `i * series_step .. (i + 1) * series_step`
    /// (timed activities only, by the time they finished).
    pub series: Vec<Second>,
    /// Seconds per entry of `series`: 1, doubled whenever the run outlasts [`SERIES_MAX_ENTRIES`]
    /// entries (absent from JSON when 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub series_step: u64,
    /// Latencies from the intended start (open model); `None` when nothing was recorded with one (the
    /// closed model). Absent from JSON when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_time: Option<ResponseTimes>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Snapshot::new(0, 0)
    }
}

impl Snapshot {
    /// An empty snapshot for a plan with `activities` activities and `sequences` sequences.
    pub fn new(activities: usize, sequences: usize) -> Self {
        Snapshot {
            activities: vec![Measure::default(); activities],
            sub_requests: Vec::new(),
            sequences: vec![Measure::default(); sequences],
            sessions: Vec::new(),
            total: Measure::default(),
            series: Vec::new(),
            series_step: 1,
            response_time: None,
        }
    }

    /// Adds another snapshot of the same plan: counts add up exactly and histograms merge losslessly.
    /// Series are aligned by time: `offset_seconds` shifts `other` (for shards that started later); when
    /// the steps differ, the finer series is coarsened to the coarser step first, and the offset is
    /// rounded down to a whole number of entries.
    pub fn merge(&mut self, other: &Snapshot, offset_seconds: usize) -> Result<(), ShapeError> {
        if self.activities.len() != other.activities.len() || self.sequences.len() != other.sequences.len() {
            return Err(ShapeError {
                activities: (self.activities.len(), other.activities.len()),
                sequences: (self.sequences.len(), other.sequences.len()),
            });
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
        self.sub_requests
            .sort_by(|a, b| (a.activity, &a.label).cmp(&(b.activity, &b.label)));
        self.sessions.extend(other.sessions.iter().cloned());
        self.total.merge(&other.total);
        let step = self.series_step.max(other.series_step).max(1);
        self.coarsen_series(step);
        let coarser;
        let theirs = if other.series_step.max(1) == step {
            &other.series
        } else {
            coarser = coarsen(&other.series, other.series_step.max(1), step);
            &coarser
        };
        merge_series(&mut self.series, theirs, offset_seconds / step as usize);
        match (&mut self.response_time, &other.response_time) {
            (_, None) => {}
            (None, Some(theirs)) => self.response_time = Some(theirs.clone()),
            (Some(mine), Some(theirs)) => mine.merge(theirs),
        }
        Ok(())
    }

    /// Coarsens the series to `step` seconds per entry (no-op unless `step` is larger than now).
    pub fn coarsen_series(&mut self, step: u64) {
        let from = self.series_step.max(1);
        if step > from {
            self.series = coarsen(&self.series, from, step);
            self.series_step = step;
        }
    }
}

/// Adds `theirs` into `mine`, entry `i` of `theirs` into entry `i + offset` of `mine`.
pub(crate) fn merge_series(mine: &mut Vec<Second>, theirs: &[Second], offset: usize) {
    if mine.len() < theirs.len() + offset {
        mine.resize_with(theirs.len() + offset, Second::default);
    }
    for (i, s) in theirs.iter().enumerate() {
        mine[i + offset].merge(s);
    }
}

/// A series of `from`-second entries as `to`-second entries (entry `i` goes to `i * from / to`).
pub fn coarsen(series: &[Second], from: u64, to: u64) -> Vec<Second> {
    let mut out: Vec<Second> = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let j = (i as u64 * from / to) as usize;
        if out.len() <= j {
            out.resize_with(j + 1, Second::default);
        }
        // Adjacent entries: the sessions alive are a level, not a count, so the coarser entry keeps the peak.
        let peak = out[j].sessions.max(s.sessions);
        out[j].merge(s);
        out[j].sessions = peak;
    }
    out
}
