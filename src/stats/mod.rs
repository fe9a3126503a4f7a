//! Measurements: counters and timings per activity, per sequence and per session.
//!
//! Each session records into its own [`SessionStats`] (behind a mutex only that session locks while
//! running, so recording costs no contention); the coordinator merges them into a [`Snapshot`] at the
//! end. Latencies are HDR histograms ([`Latency`]): 1 µs to 1 h at 3 significant digits, mergeable
//! without loss, serializable for `stressor merge`.

mod latency;
mod measure;
mod snapshot;

pub use latency::{Latency, MAX_MICROS, SIGFIG};
pub use measure::{ErrorCounts, Measure};
pub use snapshot::{Second, SessionMeasure, Snapshot, SubMeasure};

use crate::activity::ErrorClass;
use std::collections::BTreeMap;

/// One session's recorder: full-resolution measures per activity and sequence, a light one for the
/// session itself, and the per-second series. (Per-worker recorders replace this when sessions number
/// in the thousands.)
#[derive(Clone, Debug, Default)]
pub struct SessionStats {
    /// Per activity, indexed by the plan's activity id.
    pub activities: Vec<Measure>,
    /// StaticRequests URLs: (activity id, URL) → measure.
    pub sub_requests: BTreeMap<(usize, String), Measure>,
    /// Per sequence position: passes.
    pub sequences: Vec<Measure>,
    /// The session's timed activities.
    pub session: Measure,
    /// All timed activities.
    pub total: Measure,
    /// Per-second series, from the run start.
    pub series: Vec<Second>,
}

impl SessionStats {
    /// Empty stats sized for a plan.
    pub fn new(activities: usize, sequences: usize) -> Self {
        SessionStats {
            activities: vec![Measure::default(); activities],
            sequences: vec![Measure::default(); sequences],
            session: Measure::with_sigfig(2),
            ..SessionStats::default()
        }
    }

    /// Records one finished activity; `timed` is false for `ignore_timing` activities; `second` is the
    /// second of the run it finished in.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        activity: usize,
        elapsed: std::time::Duration,
        error: Option<ErrorClass>,
        sent: u64,
        received: u64,
        timed: bool,
        second: usize,
    ) {
        self.activities[activity].record(elapsed, error, sent, received);
        if timed {
            self.total.record(elapsed, error, sent, received);
            self.session.record(elapsed, error, sent, received);
            if self.series.len() <= second {
                self.series.resize_with(second + 1, || Second {
                    latency: Latency::with_sigfig(2),
                    ..Second::default()
                });
            }
            let s = &mut self.series[second];
            s.requests += 1;
            s.errors += u64::from(error.is_some());
            s.latency.record(elapsed);
        }
    }

    /// This session's part of a run snapshot.
    pub fn into_snapshot(self, id: String, user: String) -> Snapshot {
        Snapshot {
            activities: self.activities,
            sub_requests: self
                .sub_requests
                .into_iter()
                .map(|((activity, label), measure)| SubMeasure {
                    activity,
                    label,
                    measure,
                })
                .collect(),
            sequences: self.sequences,
            sessions: vec![SessionMeasure {
                id,
                user,
                measure: self.session,
            }],
            total: self.total,
            series: self.series,
        }
    }
}
