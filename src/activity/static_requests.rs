//! `StaticRequests`: GET a list of URLs with `thread_count` requests in flight, the way a browser fetches
//! a page's assets. Each URL is recorded under its own name; the activity fails when any URL fails, and
//! its message lists every failure. In dry-run nothing is sent.

use super::prepare;
use super::{ActivityError, ErrorClass, Executed, SessionState, SubRequest};
use crate::check;
use crate::scenario::StaticRequests;
use futures_util::stream::{self, StreamExt};
use std::time::Instant;

pub(super) async fn run(s: &StaticRequests, state: &SessionState, out: &mut Executed) -> Result<(), ActivityError> {
    if state.dry_run {
        return Ok(());
    }
    let mut prepared = Vec::with_capacity(s.url_list.len());
    for url in &s.url_list {
        let mut p = prepare::prepare(&s.request, url, state)?;
        // Only the status is checked: bodies are counted and dropped.
        p.body_limit.needed = false;
        prepared.push((url.clone(), p));
    }
    let checks = &s.request.checks;
    // The requests borrow the session's client, so they run concurrently on this task rather than as
    // spawned tasks.
    let results: Vec<_> = stream::iter(prepared)
        .map(|(label, p)| async move {
            let started = Instant::now();
            let result = match state.client.send(p).await {
                Ok(resp) => match check::check_status(checks, &resp) {
                    None => Ok(resp.received),
                    Some(f) => Err(ActivityError::new(ErrorClass::Status, f.message)),
                },
                Err(e) => Err(ActivityError::from(e)),
            };
            (label, started.elapsed(), result)
        })
        .buffer_unordered(s.thread_count.max(1) as usize)
        .collect()
        .await;
    let mut failures = Vec::new();
    for (label, elapsed, result) in results {
        match result {
            Ok(received) => {
                out.bytes_received += received;
                out.sub_requests.push(SubRequest {
                    label,
                    elapsed,
                    error: None,
                });
            }
            Err(e) => {
                out.sub_requests.push(SubRequest {
                    label: label.clone(),
                    elapsed,
                    error: Some(e.class),
                });
                failures.push((label, e));
            }
        }
    }
    let Some((_, first)) = failures.first() else {
        return Ok(());
    };
    let class = first.class;
    let lines: Vec<String> = failures.iter().map(|(u, e)| format!("{u}: {}", e.message)).collect();
    Err(ActivityError::new(
        class,
        format!(
            "{} of {} static requests failed:\n{}",
            failures.len(),
            s.url_list.len(),
            lines.join("\n")
        ),
    ))
}
