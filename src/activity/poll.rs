//! `PollRequest`: send a request every `interval` until its checks pass or `timeout` has elapsed — for
//! "wait until the job is done" steps. "Its checks" are all of them: the status, `assert_headers`,
//! `assert_match_headers`, `assert_json`, `assert_html`, `assert_xpath` and `assert_match`; the stores
//! and `assert_max_time` then apply to the passing response (`assert_max_time` to the whole polling). Each attempt uses the request timeout (`request_timeout`), cut
//! to what is left of `timeout`, so `timeout` bounds the whole polling even against a server that never
//! answers. The activity succeeds with the first passing response; when time runs out it fails as
//! `timeout`, naming the number of attempts and the last failure.

use super::checks::{self, Checks, Held};
use super::{ActivityError, ErrorClass, Executed, Interrupt, SessionState, prepare};
use crate::check::ActivityResult;
use crate::scenario::duration::format_duration;
use crate::scenario::{CommonArgs, PollRequest};
use std::time::{Duration, Instant};

pub(super) async fn run(
    p: &PollRequest,
    common: &CommonArgs,
    state: &mut SessionState,
    interrupt: &mut Interrupt,
    out: &mut Executed,
) -> Result<ActivityResult, ActivityError> {
    if state.dry_run {
        return Ok(ActivityResult::Nothing);
    }
    let started = Instant::now();
    // `assert_match` is part of the condition; the stores and `assert_max_time` run once, on the
    // passing response, with the activity's other common checks (`activity::execute`).
    let condition = CommonArgs {
        assert_match: common.assert_match.clone(),
        ..CommonArgs::default()
    };
    let checks = Checks {
        http: Some(&p.request.checks),
        common: Some(&condition),
    };
    // The response that passes becomes the activity's result, which the stores read.
    let needed = checks.read_body()
        || Checks {
            http: None,
            common: Some(common),
        }
        .read_body()
        || state.keep_last_result;
    let reading = prepare::body_reading(&p.request, state);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let mut prepared = prepare::prepare(&p.request, &p.request.url, state)?;
        prepared.body_limit.needed = needed;
        let left = p
            .timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1));
        prepared.timeout = Some(prepared.timeout.map_or(left, |t| t.min(left)));
        out.bytes_sent += prepared.body_len();
        if state.keep_url {
            out.url = Some(prepared.url.as_str().to_owned());
        }
        let last_failure = match state.client.send(prepared).await {
            Ok(resp) => {
                out.bytes_received += resp.received;
                out.status = Some(resp.status);
                state.last_response = Some((resp.status, resp.redirects));
                let session = checks::Session {
                    ctx: &mut state.context,
                    cache: &mut state.patterns,
                };
                let (result, failures) = checks::run(
                    checks,
                    ActivityResult::Response(resp.with_reading(reading)),
                    started.elapsed(),
                    state.check_timeout,
                    session,
                )
                .await;
                match failures {
                    Ok(failures) if failures.is_empty() => return Ok(owned(result)),
                    Ok(failures) => {
                        let messages = failures
                            .iter()
                            .map(|f| f.message.clone())
                            .collect::<Vec<_>>()
                            .join("; ");
                        // The context does not change while polling: a check whose `$(var)` is missing
                        // could never pass, so the poll ends now, as the `variable` error it is, not at
                        // its timeout.
                        if failures.iter().any(|f| f.unexpanded) {
                            return Err(ActivityError::new(ErrorClass::Variable, messages));
                        }
                        messages
                    }
                    Err(e) => e.message,
                }
            }
            // A transport timeout or refused connection is one failed attempt, not the end of polling.
            Err(e) => e.message,
        };
        let waited = started.elapsed();
        if waited + p.interval > p.timeout {
            return Err(ActivityError::new(
                ErrorClass::Timeout,
                format!(
                    "condition not met after {} ({attempts} attempts); last attempt: {last_failure}",
                    format_duration(waited)
                ),
            ));
        }
        if !interrupt.sleep(p.interval).await {
            out.interrupted = true;
            return Ok(ActivityResult::Nothing);
        }
    }
}

/// The passing response back from the check job, which has finished with it.
fn owned(result: Held) -> ActivityResult {
    match result {
        Held::Owned(r) => r,
        Held::Shared(r) => std::sync::Arc::try_unwrap(r).unwrap_or_default(),
    }
}
