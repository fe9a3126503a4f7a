//! Running an activity's checks and stores on its result without stalling the run.
//!
//! Checks on a small result are cheap and run right where the activity ran. Parsing HTML, or
//! searching and parsing a large body, is CPU work that would hold up every other session of the
//! runtime worker thread; that work runs on tokio's blocking threads, at most one job per CPU at a
//! time, and is bounded by `config.check_timeout`: past it the activity fails as `check_timeout`
//! (and an HTML parse still running stops at its next piece).

use super::error::{ActivityError, ErrorClass};
use crate::check::{self, ActivityResult, CheckFailure, DecodeError, PatternCache, Vars};
use crate::expand::Context;
use crate::scenario::duration::format_duration;
use crate::scenario::size::format_size;
use crate::scenario::{CommonArgs, HttpChecks, StoreSource};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Bodies of at least this many bytes are checked on a blocking thread.
const BLOCKING_MIN: usize = 64 * 1024;

/// How much larger than its compressed form a body is assumed to be when choosing where to check it:
/// JSON and HTML compress 5 to 10 times, and a bomb far more, so a compressed body of 2 KiB or more
/// is decoded and checked on a blocking thread.
const COMPRESSION_GUESS: usize = 32;

/// What to check: the HTTP checks of a request and the checks and stores every activity accepts.
#[derive(Clone, Copy)]
pub struct Checks<'a> {
    /// `assert_status`, `assert_headers`, `assert_json`, `assert_html`, ...; for HTTP responses.
    pub http: Option<&'a HttpChecks>,
    /// `assert_match`, `assert_max_time` and the stores.
    pub common: Option<&'a CommonArgs>,
}

impl Checks<'_> {
    /// Whether any of them reads the body of a response (so all of it must be kept, and decoded).
    pub fn read_body(&self) -> bool {
        let http = self.http.is_some_and(HttpChecks::read_body);
        let common = self.common.is_some_and(|c| {
            c.assert_match.is_some() || c.stores.iter().any(|s| !matches!(s.source, StoreSource::Header(..)))
        });
        http || common
    }

    /// The names of the checks that read the body, for the timeout message.
    fn body_checks(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if let Some(h) = self.http {
            if !h.assert_json.is_empty() {
                names.push("assert_json");
            }
            if !h.assert_html.is_empty() {
                names.push("assert_html");
            }
            if !h.assert_xpath.is_empty() {
                names.push("assert_xpath");
            }
        }
        if let Some(c) = self.common {
            if c.assert_match.is_some() {
                names.push("assert_match");
            }
            if c.stores.iter().any(|s| matches!(s.source, StoreSource::Json(_))) {
                names.push("store_json");
            }
            if c.stores.iter().any(|s| matches!(s.source, StoreSource::Regex(_))) {
                names.push("store_regex");
            }
        }
        names
    }
}

/// The session state the checks read and the stores write: its variables and its compiled
/// `$(var)` patterns.
pub struct Session<'a> {
    /// The session's variables; the stores add to them.
    pub ctx: &'a mut Context,
    /// Its compiled templates.
    pub cache: &'a mut PatternCache,
}

/// A result, owned, or shared with a check job that may still be running.
pub enum Held {
    /// Checked in place.
    Owned(ActivityResult),
    /// Handed to a blocking thread.
    Shared(Arc<ActivityResult>),
}

impl Held {
    /// The result.
    pub fn get(&self) -> &ActivityResult {
        match self {
            Held::Owned(r) => r,
            Held::Shared(r) => r,
        }
    }
}

/// Runs `checks` on `result`, then its stores into the session's variables; `elapsed` is the
/// activity's time so far (for `assert_max_time`). Returns every failed check and store.
pub async fn run(
    checks: Checks<'_>,
    result: ActivityResult,
    elapsed: Duration,
    timeout: Option<Duration>,
    session: Session<'_>,
) -> (Held, Result<Vec<CheckFailure>, ActivityError>) {
    let heavy = match &result {
        ActivityResult::Response(r) => {
            let size = match r.content_encoding() {
                Some(_) => r.body.len().saturating_mul(COMPRESSION_GUESS),
                None => r.body.len(),
            };
            checks
                .http
                .is_some_and(|h| !h.assert_html.is_empty() || !h.assert_xpath.is_empty())
                || (size >= BLOCKING_MIN && checks.read_body())
        }
        _ => false,
    };
    if !heavy {
        let failures = evaluate(checks, &result, elapsed, None, session.ctx, session.cache);
        return (Held::Owned(result), failures);
    }
    let shared = Arc::new(result);
    let failures = run_blocking(checks, shared.clone(), elapsed, timeout, session).await;
    (Held::Shared(shared), failures)
}

/// The checks, where they run: first the body is decoded when a check reads it (a body that decodes
/// to more than `max_body_size` is the activity's `body_too_large` error, and nothing is checked),
/// then every check against the variables as they were, then the stores in order (a store may use a
/// value an earlier one stored).
fn evaluate(
    checks: Checks<'_>,
    result: &ActivityResult,
    elapsed: Duration,
    deadline: Option<Instant>,
    ctx: &mut Context,
    cache: &mut PatternCache,
) -> Result<Vec<CheckFailure>, ActivityError> {
    if let ActivityResult::Response(resp) = result
        && checks.read_body()
        && let Err(DecodeError::TooLarge { limit }) = resp.decoded()
    {
        return Err(decoded_too_large(resp, *limit));
    }
    let mut failures = Vec::new();
    let mut vars = Vars {
        ctx: &*ctx,
        cache: &mut *cache,
    };
    if let (Some(http), ActivityResult::Response(resp)) = (checks.http, result) {
        failures.extend(check::check_status(http, resp));
        failures.extend(check::check_http_until(http, resp, &mut vars, deadline));
    }
    if let Some(common) = checks.common {
        failures.extend(check::check_common(common, result, elapsed, &mut vars));
        failures.extend(check::apply_stores(&common.stores, result, ctx, cache));
    }
    Ok(failures)
}

/// `body_too_large` for a body whose decoded size passes `max_body_size`.
fn decoded_too_large(resp: &check::Response, limit: u64) -> ActivityError {
    let coding = resp.content_encoding().unwrap_or_default();
    ActivityError::new(
        ErrorClass::BodyTooLarge,
        format!(
            "response body of {} bytes ({coding}) decodes to more than max_body_size ({}) and a check or store needs it; raise `max_body_size` on the activity or in `config`, or check the body as received with `decompress: false`",
            resp.received,
            format_size(limit)
        ),
    )
}

/// Check jobs running at once at most: one per CPU, so that many sessions with large bodies queue
/// rather than hold a parsed document each.
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// The checks on a blocking thread. The job owns a copy of the variables and the session's pattern
/// cache and hands both back; a job that times out keeps them, so the session goes on with its
/// variables as they were and an empty cache.
async fn run_blocking(
    checks: Checks<'_>,
    result: Arc<ActivityResult>,
    elapsed: Duration,
    timeout: Option<Duration>,
    session: Session<'_>,
) -> Result<Vec<CheckFailure>, ActivityError> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let (http, common) = (checks.http.cloned(), checks.common.cloned());
    let size = match &*result {
        ActivityResult::Response(r) => r.body.len(),
        _ => 0,
    };
    let mut ctx = session.ctx.clone();
    let mut cache = std::mem::take(session.cache);
    let job = async {
        // The semaphore lives for the whole process and is never closed.
        let _permit = permits().acquire().await.ok();
        let job = tokio::task::spawn_blocking(move || {
            let checks = Checks {
                http: http.as_ref(),
                common: common.as_ref(),
            };
            let failures = evaluate(checks, &result, elapsed, deadline, &mut ctx, &mut cache);
            (failures, ctx, cache)
        });
        job.await
    };
    let joined = match timeout {
        None => job.await,
        Some(t) => match tokio::time::timeout(t, job).await {
            Ok(joined) => joined,
            Err(_) => return Err(timed_out(checks, t, size)),
        },
    };
    let (failures, ctx, cache) =
        joined.map_err(|e| ActivityError::new(ErrorClass::Assertion, format!("the checks failed to run: {e}")))?;
    *session.cache = cache;
    // A parse that reached the deadline gave up: whatever it found is incomplete.
    if let (Some(t), Some(d)) = (timeout, deadline)
        && Instant::now() >= d
    {
        return Err(timed_out(checks, t, size));
    }
    *session.ctx = ctx;
    failures
}

fn timed_out(checks: Checks<'_>, limit: Duration, size: usize) -> ActivityError {
    let names = checks.body_checks();
    let what = if names.is_empty() {
        "the checks".to_owned()
    } else {
        names.join(", ")
    };
    ActivityError::new(
        ErrorClass::CheckTimeout,
        format!(
            "{what} on a body of {} did not finish within check_timeout ({}); raise `config.check_timeout` or check less of the body",
            format_size(size as u64),
            format_duration(limit)
        ),
    )
}
