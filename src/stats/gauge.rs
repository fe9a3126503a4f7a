//! The number of sessions alive over the run, as the per-second series shows it ([`Second::sessions`]).
//!
//! Sessions start and finish rarely next to requests, so one lock for the run is enough (nothing is
//! locked per request). Each series entry gets the peak number of sessions alive during it; an entry in
//! which nothing changed carries the number of the last change. Like the series, the gauge keeps at
//! most [`SERIES_MAX_ENTRIES`] entries, doubling its step (keeping the peaks) instead of growing.

use super::snapshot::{SERIES_MAX_ENTRIES, Snapshot};

/// Sessions alive: now and the peak per entry so far.
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    current: u64,
    /// Seconds per entry (0 is read as 1).
    step: u64,
    peaks: Vec<u64>,
}

impl Gauge {
    /// `delta` sessions started (positive) or finished (negative) in second `second` of the run.
    pub(crate) fn change(&mut self, second: u64, delta: i64) {
        let i = self.fill(second);
        self.current = self.current.saturating_add_signed(delta);
        self.peaks[i] = self.peaks[i].max(self.current);
    }

    /// Extends the peaks to `second`, carrying the current number; returns that second's entry.
    fn fill(&mut self, second: u64) -> usize {
        self.step = self.step.max(1);
        while second / self.step >= SERIES_MAX_ENTRIES as u64 {
            self.peaks = coarsen_peaks(&self.peaks, self.step, self.step * 2);
            self.step *= 2;
        }
        let i = (second / self.step) as usize;
        if self.peaks.len() <= i {
            self.peaks.resize(i + 1, self.current);
        }
        i
    }

    /// Sets `sessions` of each entry the snapshot's series has (the gauge never adds entries: the series
    /// ends with the last finished request, as without it). `offset` is the run's second at which the
    /// series' first entry starts (a judged series after a warm-up).
    pub(crate) fn apply(&self, snap: &mut Snapshot, offset: u64) {
        if self.peaks.is_empty() {
            return;
        }
        let step = self.step.max(1);
        snap.coarsen_series(step);
        let to = snap.series_step.max(1);
        let peaks = coarsen_peaks(&self.peaks, step, to);
        let skip = (offset / to) as usize;
        for (i, entry) in snap.series.iter_mut().enumerate() {
            entry.sessions = peaks.get(i + skip).copied().unwrap_or(self.current);
        }
    }
}

/// Peaks of `from`-second entries as `to`-second entries.
fn coarsen_peaks(peaks: &[u64], from: u64, to: u64) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::new();
    for (i, &p) in peaks.iter().enumerate() {
        let j = (i as u64 * from / to) as usize;
        if out.len() <= j {
            out.resize(j + 1, 0);
        }
        out[j] = out[j].max(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Second;

    fn series(n: usize) -> Snapshot {
        Snapshot {
            series: vec![Second::default(); n],
            ..Snapshot::default()
        }
    }

    #[test]
    fn each_entry_gets_its_peak_and_quiet_entries_carry_the_last_number() {
        let mut g = Gauge::default();
        g.change(0, 1);
        g.change(0, 1);
        g.change(0, -1);
        g.change(3, 2);
        g.change(5, -3);
        let mut snap = series(7);
        g.apply(&mut snap, 0);
        let got: Vec<u64> = snap.series.iter().map(|s| s.sessions).collect();
        assert_eq!(got, [2, 1, 1, 3, 3, 3, 0]);
    }

    #[test]
    fn a_long_run_coarsens_by_peak() {
        let mut g = Gauge::default();
        g.change(0, 5);
        g.change(1, -4);
        g.change(119, 1);
        // A series of 120 one-second entries (as merged from shards) becomes 60 of two seconds.
        let mut snap = series(120);
        g.apply(&mut snap, 0);
        assert_eq!((snap.series_step, snap.series.len()), (2, 60));
        assert_eq!(snap.series[0].sessions, 5);
        assert_eq!(snap.series[1].sessions, 1);
        assert_eq!(snap.series[59].sessions, 2);
    }
}
