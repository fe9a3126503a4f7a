//! Executing activities: one file per activity kind, plus the session state they share.
//!
//! [`execute`] runs one activity for one session: it expands `$(var)`s, performs the work (HTTP
//! request, static fetches, polling, sleep, script), applies every check and store, and returns an
//! [`Executed`] record with the timing and, on failure, one [`ActivityError`] that lists every failed
//! check. It never panics on user input and never prints, except for `$debug()` and script `print`,
//! whose purpose is printing. HTTP requests are prepared here (`prepare.rs`: variables, `base_url`,
//! the session's defaults) and sent by the session's [`crate::http::Client`]; its errors become
//! activity errors in `error.rs`.

mod checks;
pub mod debug;
pub mod error;
pub mod feed;
pub mod generate;
pub mod plugin;
mod poll;
pub mod prepare;
pub mod record;
#[cfg(feature = "script")]
pub mod script;
mod static_requests;
#[cfg(test)]
mod tests;
pub mod trace;

pub use crate::http::{Client as SessionClient, TlsConfigs};
pub use error::{ActivityError, ErrorClass};

use crate::check::{self, ActivityResult, CheckFailure, CheckKind, Response};
use crate::expand::Context;
use crate::scenario::{Activity, ActivityKind, Param, SleepArgs, SourceMap, Span};
use checks::Checks;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Everything of a session that activities read or change.
pub struct SessionState {
    /// `t01`, `t02`, ...
    pub session_id: String,
    /// The session's variables.
    pub context: Context,
    /// The session's HTTP client (own cookie jar).
    pub client: SessionClient,
    /// URLs this session resolved recently.
    pub urls: prepare::UrlCache,
    /// `sessions.basic_auth`.
    pub basic_auth: bool,
    /// The user's `(name, password)` for basic auth.
    pub user_auth: Option<(String, Option<String>)>,
    /// `config.request_timeout`.
    pub request_timeout: Option<Duration>,
    /// `config.max_body_size`.
    pub max_body_size: u64,
    /// `config.decompress`.
    pub decompress: bool,
    /// `config.follow_redirects` and `config.max_redirects`.
    pub redirects: crate::scenario::RedirectPolicy,
    /// The status of the last HTTP response and the redirects followed to it, for `$debug()`.
    pub last_response: Option<(u16, u32)>,
    /// `config.check_timeout`.
    pub check_timeout: Option<Duration>,
    /// `sessions.verify_ssl`.
    pub verify_ssl: bool,
    /// `-n`: no requests, no sleeps.
    pub dry_run: bool,
    /// Keep `last_result` in the context (only when the scenario mentions it: converting every
    /// response body to a context value costs time on the hot path).
    pub keep_last_result: bool,
    /// Compiled `$(var)` patterns of checks and stores, per expanded text.
    pub patterns: check::PatternCache,
    /// Put each request's URL into [`Executed::url`] (only when a request log is kept: the copy costs
    /// an allocation per request).
    pub keep_url: bool,
    /// The trace of the pass under way (`config.trace_context`): every request sends a `traceparent`
    /// of it.
    pub trace: Option<trace::TraceContext>,
}

/// Read-only state shared by all sessions of a run.
pub struct Shared {
    /// The files of the scenario, to name script error locations.
    pub sources: std::sync::Arc<SourceMap>,
    /// The sandboxed script engine.
    #[cfg(feature = "script")]
    pub scripts: script::ScriptEngine,
    /// The Rust activity plugins of the run.
    pub plugins: plugin::Registry,
    /// The run's feeders.
    pub feeds: feed::Feeds,
    /// The run's `Record` files.
    pub records: record::Records,
}

/// Lets a stop request cut sleeps and polls short.
#[derive(Clone, Debug)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Fires when the watched value becomes true.
    pub fn new(rx: watch::Receiver<bool>) -> Self {
        Interrupt(rx)
    }

    /// An interrupt that never fires.
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        Interrupt(rx)
    }

    /// Whether it has fired.
    pub fn fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until it fires.
    pub async fn wait(&mut self) {
        let _ = self.0.wait_for(|v| *v).await;
    }

    /// Sleeps for `d`; false when interrupted first.
    pub async fn sleep(&mut self, d: Duration) -> bool {
        if self.fired() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.wait() => false,
        }
    }
}

/// One sub-request of an activity (a StaticRequests URL), recorded under its own name.
#[derive(Clone, Debug)]
pub struct SubRequest {
    /// The URL as written (after expansion).
    pub label: String,
    /// Its time.
    pub elapsed: Duration,
    /// Its error class, if it failed.
    pub error: Option<ErrorClass>,
}

/// What happened when an activity ran.
#[derive(Clone, Debug, Default)]
pub struct Executed {
    /// Wall time of the activity, checks included.
    pub elapsed: Duration,
    /// The failure, if any.
    pub error: Option<ActivityError>,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Response body bytes received.
    pub bytes_received: u64,
    /// Cut short by a stop request: counted as stopped (not an error, not in any latency).
    pub interrupted: bool,
    /// The HTTP status of the (final) response, when there was one.
    pub status: Option<u16>,
    /// A `Feed` found its `unique` feeder used up: the session ends its scenario (not recorded).
    pub exhausted: bool,
    /// StaticRequests' individual URLs.
    pub sub_requests: Vec<SubRequest>,
    /// The URL of the (last) request, when [`SessionState::keep_url`] asks for it.
    pub url: Option<String>,
}

impl Executed {
    /// An execution a stop cut short.
    pub fn stopped() -> Self {
        Executed {
            interrupted: true,
            ..Executed::default()
        }
    }
}

/// Runs one activity.
pub async fn execute(
    activity: &Activity,
    state: &mut SessionState,
    shared: &Shared,
    interrupt: &mut Interrupt,
) -> Executed {
    let started = Instant::now();
    let mut out = Executed::default();
    let result = match &activity.kind {
        ActivityKind::Http(req) => {
            if state.dry_run {
                Ok(mock_result(activity))
            } else {
                match prepare::prepare(req, &req.url, state) {
                    Err(e) => Err(e),
                    Ok(mut p) => {
                        out.bytes_sent = p.body_len();
                        if state.keep_url {
                            out.url = Some(p.url.as_str().to_owned());
                        }
                        let checks = Checks {
                            http: Some(&req.checks),
                            common: Some(&activity.common),
                        };
                        p.body_limit.needed = checks.read_body() || state.keep_last_result;
                        let reading = prepare::body_reading(req, state);
                        match state.client.send(p).await {
                            Ok(resp) => {
                                out.bytes_received = resp.received;
                                out.status = Some(resp.status);
                                state.last_response = Some((resp.status, resp.redirects));
                                Ok(ActivityResult::Response(resp.with_reading(reading)))
                            }
                            Err(e) => Err(e.into()),
                        }
                    }
                }
            }
        }
        ActivityKind::Static(s) => static_requests::run(s, state, &mut out)
            .await
            .map(|()| ActivityResult::Nothing),
        ActivityKind::Poll(p) => poll::run(p, &activity.common, state, interrupt, &mut out).await,
        ActivityKind::Sleep(args) => match sleep_duration(args, &state.context) {
            Ok(d) => {
                if !state.dry_run && !interrupt.sleep(d).await {
                    out.interrupted = true;
                }
                Ok(ActivityResult::Nothing)
            }
            Err(e) => Err(e),
        },
        #[cfg(feature = "script")]
        ActivityKind::Script(s) => {
            match shared
                .scripts
                .run(s, &mut state.context, &shared.sources, &state.session_id)
            {
                Ok(output) => Ok(output.result.map_or(ActivityResult::Nothing, ActivityResult::Value)),
                Err(e) => Err(ActivityError::new(ErrorClass::Script, e.to_string())),
            }
        }
        // The loader rejects RunScript without the feature; a scenario built around it still gets an
        // error rather than a panic.
        #[cfg(not(feature = "script"))]
        ActivityKind::Script(_) => Err(ActivityError::new(
            ErrorClass::Script,
            crate::features::missing("`RunScript`", "script"),
        )),
        ActivityKind::Plugin(_) if state.dry_run => Ok(mock_result(activity)),
        ActivityKind::Plugin(call) => {
            let mut bytes = (0, 0);
            let result = shared.plugins.execute(call, state, &mut bytes).await;
            (out.bytes_sent, out.bytes_received) = bytes;
            result.map(|v| match v {
                Value::Null => ActivityResult::Nothing,
                v => ActivityResult::Value(v),
            })
        }
        ActivityKind::Debug => {
            println!(
                "{}",
                debug::debug_dump(&state.context, &state.session_id, state.last_response)
            );
            Ok(ActivityResult::Nothing)
        }
        // Dry-run creates nothing, so there is nothing to write down.
        ActivityKind::Record(_) if state.dry_run => Ok(ActivityResult::Nothing),
        ActivityKind::Record(args) => args
            .row
            .iter()
            .map(|(_, value)| crate::expand::expand_value(value, &state.context))
            .collect::<Result<Vec<Value>, _>>()
            .map_err(prepare::variable_error)
            .and_then(|row| shared.records.write(args, &row))
            .map(|()| ActivityResult::Nothing),
        ActivityKind::Feed(args) => match shared.feeds.get(&args.feeder) {
            Some(feed) => match feed.take() {
                Some(row) => {
                    state.context.insert(args.feeder.clone(), row);
                    Ok(ActivityResult::Nothing)
                }
                None => {
                    out.exhausted = true;
                    Ok(ActivityResult::Nothing)
                }
            },
            // The loader checked the name; a scenario built in code may still name none.
            None => Err(ActivityError::new(
                ErrorClass::Variable,
                format!("no feeder is named `{}`", args.feeder),
            )),
        },
    };
    match result {
        Err(e) => out.error = Some(e),
        Ok(result) => {
            let elapsed = started.elapsed();
            let http = match (&result, &activity.kind) {
                (ActivityResult::Response(_), ActivityKind::Http(req)) => Some(&req.checks),
                _ => None,
            };
            let checks = Checks {
                http,
                common: Some(&activity.common),
            };
            let session = checks::Session {
                ctx: &mut state.context,
                cache: &mut state.patterns,
            };
            let (result, failures) = checks::run(checks, result, elapsed, state.check_timeout, session).await;
            match failures {
                Ok(failures) if failures.is_empty() => {}
                Ok(failures) => out.error = Some(failure_error(failures, result.get(), activity.span)),
                Err(e) => out.error = Some(e),
            }
            if state.keep_last_result {
                state.context.insert("last_result".into(), last_result(result.get()));
            }
        }
    }
    out.elapsed = started.elapsed();
    out
}

/// One error for all failed checks of an activity: `status` when the status was wrong, else `variable`
/// when a check's `$(var)` could not be expanded, else `assertion`.
/// A failure the model could not locate (a default 2xx status check) points at the activity (`at`).
pub fn failure_error(failures: Vec<CheckFailure>, result: &ActivityResult, at: Span) -> ActivityError {
    let class = if failures.iter().any(|f| f.kind == CheckKind::Status) {
        ErrorClass::Status
    } else if failures.iter().any(|f| f.unexpanded) {
        ErrorClass::Variable
    } else {
        ErrorClass::Assertion
    };
    let message = failures
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let response = match result {
        ActivityResult::Response(r) => Some(describe_response(r)),
        _ => None,
    };
    let diffs: Vec<&str> = failures.iter().filter_map(|f| f.diff.as_deref()).collect();
    let diff = (!diffs.is_empty()).then(|| diffs.concat());
    ActivityError {
        class,
        message,
        response,
        diff,
        checks: failures
            .into_iter()
            .map(|f| {
                let span = f.span.unwrap_or(at);
                f.at(span)
            })
            .collect(),
    }
}

/// A short, secret-free description of a response: status line, size (received, and decoded when it
/// was), content type and the start of the body as text (decoded as far as its kept bytes allow).
pub fn describe_response(r: &Response) -> String {
    let reason = ::http::StatusCode::from_u16(r.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let ct = r.header("Content-Type").unwrap_or("-");
    format!(
        "HTTP {} {reason}, {}, {ct}: {}",
        r.status,
        r.size_text(),
        check::shorten(&r.preview(crate::http::body::EXCERPT_BYTES), 300)
    )
}

fn mock_result(activity: &Activity) -> ActivityResult {
    ActivityResult::Value(
        activity
            .common
            .mock_result
            .clone()
            .unwrap_or_else(|| Value::String("dummy_result".into())),
    )
}

fn last_result(result: &ActivityResult) -> Value {
    match result {
        ActivityResult::Nothing => Value::Null,
        ActivityResult::Value(v) => v.clone(),
        ActivityResult::Response(r) => r.json().cloned().unwrap_or_else(|| match r.text() {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::String(r.preview(crate::http::body::EXCERPT_BYTES).into_owned()),
        }),
    }
}

/// The duration of a Sleep: fixed, or uniformly random between `duration` and `duration_2`.
pub fn sleep_duration(args: &SleepArgs, ctx: &Context) -> Result<Duration, ActivityError> {
    let resolve = |p: &Param<Duration>, key: &str| -> Result<Duration, ActivityError> {
        match p {
            Param::Fixed(d) => Ok(*d),
            Param::Template(t) => Ok(prepare::template_duration(t, ctx, key)?.unwrap_or_default()),
        }
    };
    let low = resolve(&args.duration, "duration")?;
    match &args.duration_2 {
        None => Ok(low),
        Some(p) => {
            let high = resolve(p, "duration_2")?;
            Ok(random_between(low, high))
        }
    }
}

/// A uniformly random duration in `[a, b]` (either order).
pub fn random_between(a: Duration, b: Duration) -> Duration {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    if lo == hi {
        return lo;
    }
    lo + (hi - lo).mul_f64(fastrand::f64())
}
