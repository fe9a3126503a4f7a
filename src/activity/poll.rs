//! `PollRequest`: send a request every `interval` until its checks pass or `timeout` has elapsed — for
//! "wait until the job is done" steps. Each attempt uses the request timeout (`request_timeout`). The
//! activity succeeds with the first passing response; when time runs out it fails as `timeout`, naming
//! the number of attempts and the last failure.

use super::{ActivityError, ErrorClass, Executed, Interrupt, SessionState, http};
use crate::check::{self, ActivityResult};
use crate::scenario::PollRequest;
use std::time::Instant;

pub(super) async fn run(
    p: &PollRequest,
    state: &mut SessionState,
    interrupt: &mut Interrupt,
    out: &mut Executed,
) -> Result<ActivityResult, ActivityError> {
    if state.dry_run {
        return Ok(ActivityResult::Nothing);
    }
    let started = Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let prepared = http::prepare(&p.request, &p.request.url, state)?;
        out.bytes_sent += prepared.body.as_ref().map_or(0, |b| b.0.len() as u64);
        let last_failure = match http::send(prepared, state).await {
            Ok(resp) => {
                out.bytes_received += resp.body.len() as u64;
                out.status = Some(resp.status);
                let mut failures: Vec<_> = check::check_status(&p.request.checks, &resp).into_iter().collect();
                let mut vars = check::Vars {
                    ctx: &state.context,
                    cache: &mut state.patterns,
                };
                failures.extend(check::check_http(&p.request.checks, &resp, &mut vars));
                if failures.is_empty() {
                    return Ok(ActivityResult::Response(resp));
                }
                let messages = failures
                    .iter()
                    .map(|f| f.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ");
                // The context does not change while polling: a check whose `$(var)` is missing could
                // never pass, so the poll ends now, as the `variable` error it is, not at its timeout.
                if failures.iter().any(|f| f.unexpanded) {
                    return Err(ActivityError::new(ErrorClass::Variable, messages));
                }
                messages
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
                    crate::scenario::duration::format_duration(waited)
                ),
            ));
        }
        if !interrupt.sleep(p.interval).await {
            out.interrupted = true;
            return Ok(ActivityResult::Nothing);
        }
    }
}
