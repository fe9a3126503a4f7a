//! One row per request for whoever keeps a request log (`run --request-log`).
//!
//! Where an activity's execution is recorded ([`Session`](super::Session)), the runner asks a
//! [`RequestSink`] first whether it keeps the row ([`RequestSink::keep`]: the sampling decision, made
//! from the activity and whether it failed), and only then builds a [`RequestRow`] of borrowed parts and
//! hands it over. Without a sink nothing of this runs, and with one, a request whose row is not kept
//! costs one call; the sink copies what it keeps and writes it elsewhere (the writer in
//! `observe::request_log` is a bounded buffer drained by its own thread), so the load never waits on a
//! disk. Rows the sink had to drop are counted in [`GeneratorHealth::request_log_dropped`](super::GeneratorHealth).

use crate::activity::ErrorClass;
use std::time::{Duration, SystemTime};

/// Receives the rows of a request log; called from session tasks, so it must be cheap and never block.
pub trait RequestSink: Send + Sync {
    /// Whether a row of activity `activity` (the plan's id) is kept; `failed` when its execution
    /// failed. Called for every recorded execution of every activity, before anything is built.
    fn keep(&self, activity: usize, failed: bool) -> bool;

    /// Takes one kept row (copying what it needs: the row only borrows).
    fn write(&self, row: &RequestRow<'_>);

    /// Rows that were kept but lost (the writer fell behind or could not write), so far.
    fn dropped(&self) -> u64;
}

/// One request, as the runner hands it to a [`RequestSink`]. The activity's fixed parts (its sequence,
/// workload, name, method and tags) are the plan's: the sink looks them up by `activity`.
#[derive(Clone, Copy, Debug)]
pub struct RequestRow<'a> {
    /// The plan's activity id.
    pub activity: usize,
    /// The session's id (`t01`).
    pub session: &'a str,
    /// 1-based pass of the sequence.
    pub pass: u64,
    /// When the request started (wall clock).
    pub started: SystemTime,
    /// When it was meant to start: the open model's arrival time (shifted as the recorder shifts it for
    /// later activities of the pass); `None` in the closed model.
    pub intended: Option<SystemTime>,
    /// Service time, from the actual start.
    pub elapsed: Duration,
    /// The URL requested (before any redirect), secrets redacted (`redact::url`); for a StaticRequests URL
    /// the URL as written. `None` when no request was made (a `$(var)` that could not be expanded).
    pub url: Option<&'a str>,
    /// The response's status, when there was a response.
    pub status: Option<u16>,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// The error class, when it failed.
    pub error_class: Option<ErrorClass>,
    /// The error's message, secrets redacted, when it failed.
    pub error: Option<&'a str>,
    /// The W3C trace id the request carried (`config.trace_context`), as 32 hex digits.
    pub trace_id: Option<&'a str>,
}
