//! Differences between two snapshots of one running recorder, and adding them back: what a
//! coordinated shard sends its coordinator every second (`Snapshot::since`) and how the coordinator
//! rebuilds the shard's measurements from them (`Snapshot::apply`).
//!
//! `earlier.apply(&later.since(&earlier)?)` gives `later` again exactly: counts are subtracted and
//! histograms are subtracted bucket by bucket ([`Latency::since`](super::Latency::since)), so nothing is
//! rounded. A difference is refused (`None`) when `earlier` is not an earlier state of `later`;
//! the sender then sends the whole snapshot instead.
//!
//! Two parts are not counts: the per-session measures are left out (a live report does not carry
//! them; the final results do), and a series entry's `sessions` is a level (the most sessions alive
//! in it), so a difference carries the later level and `apply` replaces the level instead of adding.

use super::measure::{ErrorCounts, Measure, StatusCounts};
use super::snapshot::{ResponseTimes, Second, ShapeError, Snapshot, SubMeasure, coarsen};

impl ErrorCounts {
    /// The counts added after `earlier`; `None` when a class has fewer than before.
    pub fn since(&self, earlier: &ErrorCounts) -> Option<ErrorCounts> {
        let mut out = ErrorCounts::default();
        for ((o, a), b) in out.0.iter_mut().zip(self.0).zip(earlier.0) {
            *o = a.checked_sub(b)?;
        }
        Some(out)
    }
}

impl StatusCounts {
    /// The counts added after `earlier`; `None` when a class has fewer than before.
    pub fn since(&self, earlier: &StatusCounts) -> Option<StatusCounts> {
        let mut out = StatusCounts::default();
        for ((o, a), b) in out.0.iter_mut().zip(self.0).zip(earlier.0) {
            *o = a.checked_sub(b)?;
        }
        Some(out)
    }
}

impl Measure {
    /// What was recorded after `earlier`, an earlier state of this measure (`earlier.merge(&d)` gives
    /// `self`); `None` when `earlier` is not one.
    pub fn since(&self, earlier: &Measure) -> Option<Measure> {
        let failed_latency = match (&self.failed_latency, &earlier.failed_latency) {
            (Some(mine), Some(theirs)) => Some(mine.since(theirs)?),
            (Some(mine), None) => Some(mine.clone()),
            (None, None) => None,
            (None, Some(_)) => return None,
        };
        Some(Measure {
            count: self.count.checked_sub(earlier.count)?,
            errors: self.errors.since(&earlier.errors)?,
            stopped: self.stopped.checked_sub(earlier.stopped)?,
            statuses: self.statuses.since(&earlier.statuses)?,
            bytes_sent: self.bytes_sent.checked_sub(earlier.bytes_sent)?,
            bytes_received: self.bytes_received.checked_sub(earlier.bytes_received)?,
            latency: self.latency.since(&earlier.latency)?,
            failed_latency,
        })
    }
}

impl Second {
    /// The executions added after `earlier`; `sessions` is this entry's level, not a difference.
    fn since(&self, earlier: &Second) -> Option<Second> {
        Some(Second {
            requests: self.requests.checked_sub(earlier.requests)?,
            errors: self.errors.checked_sub(earlier.errors)?,
            latency: self.latency.since(&earlier.latency)?,
            sessions: self.sessions,
        })
    }
}

fn measures_since(mine: &[Measure], theirs: &[Measure]) -> Option<Vec<Measure>> {
    if mine.len() != theirs.len() {
        return None;
    }
    mine.iter().zip(theirs).map(|(a, b)| a.since(b)).collect()
}

impl Snapshot {
    /// What was recorded after `earlier`, an earlier snapshot of the same recorder, without the
    /// per-session measures (a series entry's `sessions` is the later level, not a difference). `None` when `earlier` is not an
    /// earlier state of `self` (another plan, or counts that went down).
    pub fn since(&self, earlier: &Snapshot) -> Option<Snapshot> {
        let step = self.series_step.max(1);
        if earlier.series_step.max(1) > step {
            return None;
        }
        let earlier_series = coarsen(&earlier.series, earlier.series_step.max(1), step);
        if earlier_series.len() > self.series.len() {
            return None;
        }
        let empty = Second::default();
        let series = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| s.since(earlier_series.get(i).unwrap_or(&empty)))
            .collect::<Option<Vec<Second>>>()?;
        let mut sub_requests = Vec::new();
        for sub in &self.sub_requests {
            let before = earlier
                .sub_requests
                .iter()
                .find(|s| s.activity == sub.activity && s.label == sub.label);
            let measure = match before {
                Some(b) => sub.measure.since(&b.measure)?,
                None => sub.measure.clone(),
            };
            if !measure.is_empty() {
                sub_requests.push(SubMeasure { measure, ..sub.clone() });
            }
        }
        let response_time = match (&self.response_time, &earlier.response_time) {
            (Some(mine), Some(theirs)) => Some(ResponseTimes {
                activities: measures_since(&mine.activities, &theirs.activities)?,
                sequences: measures_since(&mine.sequences, &theirs.sequences)?,
                total: mine.total.since(&theirs.total)?,
            }),
            (Some(mine), None) => Some(mine.clone()),
            (None, None) => None,
            (None, Some(_)) => return None,
        };
        Some(Snapshot {
            activities: measures_since(&self.activities, &earlier.activities)?,
            sub_requests,
            sequences: measures_since(&self.sequences, &earlier.sequences)?,
            sessions: Vec::new(),
            total: self.total.since(&earlier.total)?,
            series,
            series_step: step,
            response_time,
        })
    }

    /// Adds a difference made by [`Snapshot::since`]: counts and histograms add up, a series entry's
    /// `sessions` takes the difference's level. Fails like [`Snapshot::merge`] for another plan.
    pub fn apply(&mut self, delta: &Snapshot) -> Result<(), ShapeError> {
        let levels: Vec<u64> = delta.series.iter().map(|s| s.sessions).collect();
        let mut counts = delta.clone();
        counts.series.iter_mut().for_each(|s| s.sessions = 0);
        // Sessions are per-session measures: a difference has none, and `merge` would append them.
        counts.sessions.clear();
        self.merge(&counts, 0)?;
        for (entry, level) in self.series.iter_mut().zip(levels) {
            entry.sessions = level;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::ErrorClass;
    use crate::stats::Latency;
    use crate::stats::RunRecorder;
    use crate::stats::recorder::Sample;
    use std::sync::Arc;
    use std::time::Duration;

    /// Records `n` executions of each activity into `rec`, some failing, finishing `at` seconds into
    /// the run.
    fn record(rec: &RunRecorder, n: u64, at: u64, seed: u64) {
        let finished = rec.started() + Duration::from_secs(at);
        for i in 0..n {
            let error = (i + seed).is_multiple_of(7).then_some(ErrorClass::Status);
            let sample = Sample::new(Duration::from_micros(100 + (i * 7919 + seed * 31) % 250_000))
                .with_error(error)
                .with_bytes(10, 100 + i)
                .with_status(Some(if error.is_some() { 500 } else { 200 }))
                .with_intended(Some(rec.started()))
                .with_finished(finished);
            rec.record_activity((i % 2) as usize, &sample);
            rec.record_pass(0, &sample);
            rec.record_sub_request(1, "/a.css", sample.elapsed, error);
        }
    }

    fn same(a: &Snapshot, b: &Snapshot) {
        assert_eq!(a, b);
        for p in [50.0, 99.0, 99.9] {
            assert_eq!(a.total.latency.percentile(p), b.total.latency.percentile(p));
        }
    }

    #[test]
    fn a_difference_added_to_the_earlier_snapshot_gives_the_later_one_exactly() {
        let rec = Arc::new(RunRecorder::new(vec![true, true], 1));
        let mut sent = Snapshot::new(2, 1);
        let mut rebuilt = Snapshot::new(2, 1);
        // Seconds 0..130 make the series coarsen twice on the way (1 s, 2 s, then 4 s entries).
        for (step, at) in [0u64, 1, 1, 5, 59, 61, 100, 130].into_iter().enumerate() {
            record(&rec, 40 + step as u64 * 13, at, step as u64);
            rec.sessions_changed(if step.is_multiple_of(2) { 3 } else { -1 });
            let now = rec.snapshot_without_sessions();
            let delta = now.since(&sent).expect("an earlier state");
            rebuilt.apply(&delta).expect("same plan");
            same(&rebuilt, &now);
            sent = now;
        }
        assert_eq!(rebuilt.series_step, 4);
        assert!(rebuilt.total.count > 500 && rebuilt.response_time.is_some());
    }

    #[test]
    fn a_difference_from_something_that_is_not_an_earlier_state_is_refused() {
        let rec = Arc::new(RunRecorder::new(vec![true, true], 1));
        record(&rec, 50, 0, 1);
        let a = rec.snapshot_without_sessions();
        record(&rec, 50, 2, 2);
        let b = rec.snapshot_without_sessions();
        assert!(a.since(&b).is_none(), "counts went down");
        assert!(b.since(&Snapshot::new(3, 1)).is_none(), "another plan");
        let mut other = Latency::default();
        other.record(Duration::from_secs(5));
        let mut mine = Latency::default();
        mine.record(Duration::from_millis(5));
        assert!(mine.since(&other).is_none(), "a bucket the later state does not have");
    }
}
