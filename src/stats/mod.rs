//! Measurements: counters and timings per activity, per sequence, per session and for the run.
//!
//! Sessions record through a [`RunRecorder`] shared by the run: every recording thread gets its own
//! shard (found through a thread-local keyed by the run's id), so recording takes no global lock and
//! costs the same for 1 or 10,000 sessions; per session only a small [`SessionRecorder`] slot is kept.
//! The coordinator and live readers merge the shards into a [`Snapshot`]. Latencies are HDR histograms
//! ([`Latency`]): 1 µs to 1 h at 3 significant digits (2 for the per-session and per-second ones),
//! mergeable without loss, serializable for `stressor merge`. A running recorder's snapshots can be
//! subtracted and added back exactly (`Snapshot::since`, `Snapshot::apply`): a coordinated shard's
//! live reports.

mod delta;
mod gauge;
mod latency;
mod measure;
mod recorder;
mod snapshot;

pub use latency::{HistogramError, Latency, MAX_MICROS, SIGFIG};
pub use measure::{ErrorCounts, Measure, StatusCounts};
pub use recorder::{RunRecorder, Sample, SessionRecorder};
pub use snapshot::{
    LIGHT_SIGFIG, ResponseTimes, SERIES_MAX_ENTRIES, Second, SessionMeasure, ShapeError, Snapshot, SubMeasure, coarsen,
};
