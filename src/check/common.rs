//! Checks every activity accepts: `assert_match` and `assert_max_time`.

use std::time::Duration;

use super::text::{EXCERPT, add_note, excerpt, format_secs_pair, shorten, text_diff, unreadable};
use super::vars::pattern_failure;
use super::{ActivityResult, CheckFailure, CheckKind, Vars};
use crate::scenario::{CommonArgs, Pattern};

/// Run the common checks on an activity's result, in the original's order: `assert_match`, then
/// `assert_max_time`. All failures are returned.
///
/// - `assert_match`: a regex **search** on [`ActivityResult::text`] (the body decoded and read in its
///   charset, also for JSON bodies; a script's value rendered as text). The loader compiles it in multi-line mode, so `^`
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
        out.extend(check_match(p, result, vars));
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

/// `assert_match`.
fn check_match(p: &Pattern, result: &ActivityResult, vars: &mut Vars<'_>) -> Option<CheckFailure> {
    let text = match result.text() {
        Ok(text) => text,
        Err(e) => return Some(unreadable(CheckKind::Match, &p.source, e).at(p.span)),
    };
    let matcher = match vars.matcher(p) {
        Ok(matcher) => matcher,
        Err(e) => return Some(pattern_failure(CheckKind::Match, p, e)),
    };
    if matcher.is_match(&text, p.mode) {
        return None;
    }
    let message = format!("result does not match `{}`: {}", p.source, excerpt(&text));
    let actual = shorten(&text, EXCERPT);
    let diff = text_diff(&p.source, &actual);
    let mut failure = CheckFailure::new(CheckKind::Match, &p.source, actual, message)
        .at(p.span)
        .with_diff(diff);
    if let Some(note) = result.reading_note() {
        add_note(&mut failure, &note);
    }
    Some(failure)
}
