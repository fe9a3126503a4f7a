//! Checkpointed results files: while a run goes, its results file is rewritten every few seconds with
//! everything measured so far (`"complete": false`), so that a process killed outright — a CI job's
//! time limit (SIGTERM, then SIGKILL), the kernel's OOM killer, a closed laptop — leaves its
//! measurements on disk. SIGINT and SIGTERM alone are handled by the run itself (it stops, judges and
//! writes everything); SIGKILL cannot be handled, so the data must already be there.
//!
//! The runner hands a live [`RunReport`] to [`CheckpointWriter::checkpoints`]'s callback on its
//! coordinating task; judging it, serializing and writing happen on a thread of their own, so a slow
//! disk never delays the load. A checkpoint still being written when the next one is due makes that
//! one skip (it would only repeat the same work late). Every write replaces the file atomically
//! (`json::write`: a temporary file beside it, then a rename), so a reader sees the last complete
//! checkpoint or the final results, never a torn file. [`CheckpointWriter::finish`] is called before
//! the final write: it waits for a checkpoint being written and refuses later ones, so a late
//! checkpoint can never replace the final results.

use super::ReportError;
use super::json::{self, Results};
use crate::run::{Checkpoints, RunReport};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How often a run's results file is rewritten unless told otherwise (`run --checkpoint`,
/// `STRESSOR_CHECKPOINT`): often enough that a killed soak test loses a few seconds, rarely enough that
/// the cost (a snapshot and a file of some kilobytes) does not show.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(5);

/// Judges a live report into the results to write (the caller's scenario, sources and policy).
pub type Judge = dyn Fn(RunReport) -> Results + Send + Sync;

/// Writes checkpoints of one run to one results file (see the [module documentation](self)).
#[derive(Clone)]
pub struct CheckpointWriter {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    judge: Box<Judge>,
    /// A checkpoint is being judged or written.
    busy: AtomicBool,
    /// Held while a checkpoint is written; true once the final results are due.
    finished: Mutex<bool>,
    /// The first checkpoint that could not be written, and how many were written.
    outcome: Mutex<(Option<ReportError>, u64)>,
}

impl std::fmt::Debug for CheckpointWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointWriter")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl CheckpointWriter {
    /// A writer of checkpoints to `path`, each judged by `judge`.
    pub fn new(path: impl Into<PathBuf>, judge: impl Fn(RunReport) -> Results + Send + Sync + 'static) -> Self {
        CheckpointWriter {
            inner: Arc::new(Inner {
                path: path.into(),
                judge: Box::new(judge),
                busy: AtomicBool::new(false),
                finished: Mutex::new(false),
                outcome: Mutex::new((None, 0)),
            }),
        }
    }

    /// The run option that hands this writer a live report every `every`.
    pub fn checkpoints(&self, every: Duration) -> Checkpoints {
        let writer = self.clone();
        Checkpoints {
            every,
            write: Arc::new(move |report| writer.take(report)),
        }
    }

    /// Starts writing a checkpoint on a thread of its own, unless one is still being written.
    fn take(&self, report: RunReport) {
        if self.inner.busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new()
            .name("stressor-checkpoint".into())
            .spawn(move || {
                inner.write(report);
                inner.busy.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            // No thread to spare: this checkpoint is skipped, the next one tries again.
            self.inner.busy.store(false, Ordering::Release);
        }
    }

    /// Waits for a checkpoint being written and stops any later one: the final results come next.
    pub fn finish(&self) {
        *self.inner.finished.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }

    /// The file the checkpoints go to.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// How many checkpoints were written, and the first error, if one could not be.
    pub fn outcome(&self) -> (u64, Option<String>) {
        let outcome = self.inner.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        (outcome.1, outcome.0.as_ref().map(ToString::to_string))
    }
}

impl Inner {
    fn write(&self, report: RunReport) {
        let results = (self.judge)(report);
        let finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        if *finished {
            return;
        }
        let written = json::write(&self.path, &results);
        drop(finished);
        let mut outcome = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        match written {
            Ok(()) => outcome.1 += 1,
            Err(e) => {
                outcome.0.get_or_insert(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Judgement, Policy};

    fn judge(report: RunReport) -> Results {
        Results::of(&Judgement::from_parts(
            report,
            Vec::new(),
            Vec::new(),
            Default::default(),
            Policy::default(),
        ))
    }

    /// A run that has completed one request so far.
    fn live() -> RunReport {
        let mut m = crate::stats::Measure::default();
        m.record(Duration::from_millis(20), None, 10, 200);
        RunReport {
            scenario: "soak".into(),
            activities: vec![crate::run::ActivityInfo {
                sequence: "main".into(),
                label: "GetRequest(/)".into(),
                timed: true,
                ..Default::default()
            }],
            sequences: vec!["main".into()],
            stats: crate::stats::Snapshot {
                activities: vec![m.clone()],
                sequences: vec![m.clone()],
                total: m,
                ..Default::default()
            },
            checkpoint: Some(crate::run::Checkpoint {
                at: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            }),
            ..RunReport::default()
        }
    }

    /// Waits until no checkpoint is being written.
    fn settle(w: &CheckpointWriter) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while w.inner.busy.load(Ordering::Acquire) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_checkpoint_is_an_incomplete_results_file_and_the_final_write_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let w = CheckpointWriter::new(&path, judge);
        (w.checkpoints(DEFAULT_EVERY).write)(live());
        settle(&w);
        let read = json::read(&path).unwrap();
        assert!(!read.complete);
        assert_eq!(read.checkpoint_at.as_deref(), Some("2023-11-14T22:13:20.000Z"));
        assert_eq!(
            read.verdict,
            crate::verdict::Verdict::Inconclusive,
            "{:?}",
            read.reasons
        );
        assert_eq!(
            read.reasons,
            ["these results are an incomplete checkpoint taken at 2023-11-14T22:13:20.000Z: the run had not finished"]
        );
        assert_eq!(w.outcome(), (1, None));

        w.finish();
        json::write(&path, &judge(RunReport::default())).unwrap();
        (w.checkpoints(DEFAULT_EVERY).write)(live());
        settle(&w);
        let read = json::read(&path).unwrap();
        assert!(
            read.complete && read.checkpoint_at.is_none(),
            "a late checkpoint replaced the final results"
        );
        assert_eq!(w.outcome(), (1, None));
    }

    #[test]
    fn a_checkpoint_that_cannot_be_written_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let w = CheckpointWriter::new(dir.path().join("no/such/dir/r.json"), judge);
        (w.checkpoints(DEFAULT_EVERY).write)(live());
        settle(&w);
        let (written, error) = w.outcome();
        assert_eq!(written, 0);
        assert!(error.is_some_and(|e| e.contains("no/such/dir/r.json")));
    }
}
