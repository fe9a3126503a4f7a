//! Run events for whoever listens (the library's subscribers, the progress line, the monitor).
//!
//! The runner knows an [`EventSink`], not a reporter. With no sink, nothing is built or sent. A closure
//! `Fn(&RunEvent)` is a sink; [`RunOptions::subscribe`](super::RunOptions::subscribe) gives a channel
//! receiver instead, as the original's `RunManager.subscribe` did.
//!
//! Order: `RunStarted`, then per session `SessionStarted`, its `SequenceStarted` / `ActivityStarted` /
//! `ActivityFinished` / `SequenceFinished` in the order they happen, `SessionFinished`; `Tick` once a
//! second and `Stopping` when a stop is requested; `RunFinished` last. Events of different sessions
//! interleave.

use super::control::StopReason;
use crate::activity::ActivityError;
use std::time::Duration;

/// Something that happened during a run.
#[derive(Clone, Debug)]
pub enum RunEvent {
    /// The run started.
    RunStarted {
        /// Scenario name.
        scenario: String,
        /// Number of sessions.
        sessions: u32,
    },
    /// A session started.
    SessionStarted {
        /// `t01`...
        session_id: String,
        /// The user's name.
        user: String,
    },
    /// A sequence pass started.
    SequenceStarted {
        /// Session.
        session_id: String,
        /// Sequence name.
        sequence: String,
        /// 1-based pass.
        pass: u64,
    },
    /// An activity started.
    ActivityStarted {
        /// Session.
        session_id: String,
        /// The plan's activity id (an index into [`RunReport::activities`](super::RunReport::activities)).
        activity: usize,
        /// 1-based pass of its sequence.
        pass: u64,
    },
    /// An activity finished.
    ActivityFinished {
        /// Session.
        session_id: String,
        /// The plan's activity id.
        activity: usize,
        /// 1-based pass of its sequence.
        pass: u64,
        /// Time taken.
        elapsed: Duration,
        /// The failure, if any.
        error: Option<ActivityError>,
    },
    /// A sequence pass finished.
    SequenceFinished {
        /// Session.
        session_id: String,
        /// Sequence name.
        sequence: String,
        /// 1-based pass.
        pass: u64,
        /// Time taken.
        elapsed: Duration,
        /// Errors during the pass.
        errors: u64,
    },
    /// A session finished.
    SessionFinished {
        /// Session.
        session_id: String,
        /// Time from the session's start.
        elapsed: Duration,
        /// Errors of the session.
        errors: u64,
    },
    /// A stop was requested (graceful unless `hard`).
    Stopping {
        /// Why.
        reason: StopReason,
        /// Whether `end` is interrupted too.
        hard: bool,
    },
    /// Once a second while the run is going: live totals for progress lines and dashboards.
    Tick {
        /// Time since the run started.
        elapsed: Duration,
        /// Activities finished so far.
        activities: u64,
        /// Errors so far.
        errors: u64,
    },
    /// The run finished.
    RunFinished {
        /// Wall time.
        elapsed: Duration,
    },
}

/// Receives run events; called from session tasks, so it must be cheap and thread-safe.
pub trait EventSink: Send + Sync {
    /// Handles one event.
    fn event(&self, event: &RunEvent);

    /// Whether to receive per-activity and per-sequence events. Building them costs time on every
    /// request, so sinks that only need run-level events and ticks say no.
    fn wants_activity_events(&self) -> bool {
        true
    }
}

impl<F: Fn(&RunEvent) + Send + Sync> EventSink for F {
    fn event(&self, event: &RunEvent) {
        self(event)
    }
}

/// Forwards events to a channel ([`RunOptions::subscribe`](super::RunOptions::subscribe)).
pub(super) struct ChannelSink(pub tokio::sync::mpsc::UnboundedSender<RunEvent>);

impl EventSink for ChannelSink {
    fn event(&self, event: &RunEvent) {
        // A dropped receiver means nobody listens any more; the run goes on.
        let _ = self.0.send(event.clone());
    }
}

/// Several sinks as one (e.g. the CLI's progress line and the monitor): each gets every event;
/// per-activity events are built when any of them wants them.
pub struct Fanout(pub Vec<std::sync::Arc<dyn EventSink>>);

impl EventSink for Fanout {
    fn event(&self, event: &RunEvent) {
        for sink in &self.0 {
            sink.event(event);
        }
    }

    fn wants_activity_events(&self) -> bool {
        self.0.iter().any(|s| s.wants_activity_events())
    }
}
