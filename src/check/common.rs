//! Checks every activity accepts: `assert_match` and `assert_max_time`.

use std::time::Duration;

use super::text::{EXCERPT, excerpt, format_secs_pair, shorten, text_diff};
use super::vars::pattern_failure;
use super::{ActivityResult, CheckFailure, CheckKind, Vars};
use crate::scenario::CommonArgs;

/// Run the common checks on an activity's result, in the original's order: `assert_match`, then
/// `assert_max_time`. All failures are returned.
///
/// - `assert_match`: a regex **search** on [`ActivityResult::text`] (the raw body, also for JSON
///   bodies; a script's value rendered as text). The loader compiles it in multi-line mode, so `^`
///   and `$` anchor at line ends, as the original's `re.MULTILINE`.
/// - `assert_max_time`: `elapsed` (the activity's wall time) must not exceed the limit; equal
///   passes.
pub fn check_common(
    common: &CommonArgs,
    result: &ActivityResult,
    elapsed: Duration,
    vars: &mut Vars<'_>,
) -> Vec<CheckFailure> {
    let mut out = Vec::new();
    if let Some(p) = &common.assert_match {
        let text = result.text();
        let matcher = match vars.matcher(p) {
            Ok(matcher) => matcher,
            Err(e) => {
                out.push(pattern_failure(CheckKind::Match, p, e));
                return out;
            }
        };
        if !matcher.is_match(&text, p.mode) {
            let message = format!("result does not match `{}`: {}", p.source, excerpt(&text));
            let actual = shorten(&text, EXCERPT);
            let diff = text_diff(&p.source, &actual);
            out.push(
                CheckFailure::new(CheckKind::Match, &p.source, actual, message)
                    .at(p.span)
                    .with_diff(diff),
            );
        }
    }
    if let Some(limit) = common.assert_max_time
        && elapsed > limit
    {
        let (took, max) = format_secs_pair(elapsed, limit);
        let message = format!("execution time {took} exceeds the limit of {max}");
        out.push(CheckFailure::new(CheckKind::MaxTime, max, took, message).at_opt(common.max_time_span));
    }
    out
}
