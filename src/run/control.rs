//! Run-wide control: stop requests (graceful, then hard), the error budget and why the run stopped.
//!
//! A graceful stop lets sessions finish the activity in progress, skip everything but `end`, and run
//! `end`; a hard stop interrupts `end` too (and the coordinator aborts sessions still running). Both
//! are `watch` channels so sleeps and polls can wait on them.

use crate::activity::Interrupt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;

/// Why a run stopped before its sessions finished on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// `max_errors` was reached.
    MaxErrors,
    /// `max_time` elapsed.
    MaxTime,
    /// A [`StopHandle`](super::StopHandle) asked for it (e.g. the monitor's Stop button).
    Requested,
    /// An `abort_on_fail` threshold failed while the run went (see [`RunReport::aborted`](super::RunReport)).
    Aborted,
}

/// Shared by the coordinator and all sessions of one run.
#[derive(Debug)]
pub struct RunControl {
    graceful: watch::Sender<bool>,
    hard: watch::Sender<bool>,
    errors: AtomicU64,
    activities: AtomicU64,
    max_errors: u64,
    reason: Mutex<Option<StopReason>>,
}

impl RunControl {
    /// Control with an error budget (0 = unlimited).
    pub fn new(max_errors: u64) -> Self {
        RunControl {
            graceful: watch::channel(false).0,
            hard: watch::channel(false).0,
            errors: AtomicU64::new(0),
            activities: AtomicU64::new(0),
            max_errors,
            reason: Mutex::new(None),
        }
    }

    /// Requests a graceful stop; the first reason given is kept.
    pub fn stop(&self, reason: StopReason) {
        if let Ok(mut r) = self.reason.lock() {
            r.get_or_insert(reason);
        }
        self.graceful.send_replace(true);
    }

    /// Requests a hard stop (also a graceful one).
    pub fn hard_stop(&self, reason: StopReason) {
        self.stop(reason);
        self.hard.send_replace(true);
    }

    /// Whether new work must not start.
    pub fn stopping(&self) -> bool {
        *self.graceful.borrow()
    }

    /// Whether even `end` must stop.
    pub fn hard_stopped(&self) -> bool {
        *self.hard.borrow()
    }

    /// The first stop reason.
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.lock().ok().and_then(|r| *r)
    }

    /// Counts an error; stops the run when the budget is used up.
    pub fn record_error(&self) {
        let n = self.errors.fetch_add(1, Ordering::Relaxed) + 1;
        if self.max_errors > 0 && n >= self.max_errors {
            self.stop(StopReason::MaxErrors);
        }
    }

    /// Counts a finished activity (for live progress; one relaxed atomic add).
    pub fn record_activity(&self) {
        self.activities.fetch_add(1, Ordering::Relaxed);
    }

    /// Activities finished so far.
    pub fn activities(&self) -> u64 {
        self.activities.load(Ordering::Relaxed)
    }

    /// Errors so far.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// What interrupts sleeps: a graceful stop for normal sequences, only a hard stop in `end`.
    pub fn interrupt(&self, in_end: bool) -> Interrupt {
        Interrupt::new(if in_end {
            self.hard.subscribe()
        } else {
            self.graceful.subscribe()
        })
    }

    /// Waits for a graceful stop.
    pub async fn stopped(&self) {
        let mut rx = self.graceful.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}

/// Waits until the wall-clock instant `at` (a coordinated run's shared start). Returns why the wait
/// was cut short, if it was: Ctrl-C/SIGTERM (with [`RunOptions::handle_signals`](super::RunOptions))
/// or a [`StopHandle`](super::StopHandle) request; the run then starts stopped.
pub(super) async fn wait_until(at: std::time::SystemTime, options: &super::RunOptions) -> Option<StopReason> {
    let Ok(wait) = at.duration_since(std::time::SystemTime::now()) else {
        return None;
    };
    let mut stop = options.stop.as_ref().map(super::StopHandle::subscribe);
    let mut signals = super::Signals::new(options.handle_signals);
    tokio::select! {
        _ = tokio::time::sleep(wait) => None,
        _ = signals.next() => Some(StopReason::Interrupted),
        _ = super::next_stop(&mut stop) => Some(StopReason::Requested),
    }
}
