//! The final results of a run: plain data, built once at the end; reports read them.

use super::control::StopReason;
use super::plan::ActivityInfo;
use crate::activity::ErrorClass;
use crate::stats::Stats;
use std::time::{Duration, SystemTime};

/// One recorded failure (the first ones of each session are kept in full).
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorRecord {
    /// Class.
    pub class: ErrorClass,
    /// Message (secrets redacted).
    pub message: String,
    /// Short response description, if there was a response.
    pub response: Option<String>,
    /// Session.
    pub session_id: String,
    /// The plan's activity id.
    pub activity: usize,
    /// 1-based pass of the sequence.
    pub pass: u64,
    /// Time since the run started.
    pub at: Duration,
}

/// Everything a run measured.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// `config.tag`.
    pub tag: Option<String>,
    /// `config.base_url`.
    pub base_url: Option<String>,
    /// Wall-clock start.
    pub started_at: Option<SystemTime>,
    /// Wall time.
    pub elapsed: Duration,
    /// Sessions started.
    pub sessions: u32,
    /// Activities, in plan order.
    pub activities: Vec<(ActivityInfo, Stats)>,
    /// StaticRequests URLs: (activity id, URL, stats).
    pub sub_requests: Vec<(usize, String, Stats)>,
    /// Sequences: (name, passes).
    pub sequences: Vec<(String, Stats)>,
    /// All activities together.
    pub total: Stats,
    /// The first errors (at most a few per session).
    pub errors: Vec<ErrorRecord>,
    /// Why the run stopped early, if it did.
    pub stop: Option<StopReason>,
    /// Dry run.
    pub dry_run: bool,
}

impl RunReport {
    /// Total errors.
    pub fn error_count(&self) -> u64 {
        self.total.error_count()
    }

    /// Whether Ctrl-C / SIGTERM stopped the run.
    pub fn interrupted(&self) -> bool {
        self.stop == Some(StopReason::Interrupted)
    }

    /// Errors per class, non-zero only.
    pub fn errors_by_class(&self) -> Vec<(ErrorClass, u64)> {
        ErrorClass::ALL
            .iter()
            .map(|c| (*c, self.total.errors[c.index()]))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}
