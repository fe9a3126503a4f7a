//! Checks on an HTTP response: the status code and the headers; [`check_http`] also runs the body
//! checks of [`super::json`] and [`super::html`].

use super::text::{add_note, canonical_header_name, excerpt, py_repr};
use super::vars::pattern_failure;
use super::{CheckFailure, CheckKind, Response, Vars, header_values, html, json, xml};
use crate::scenario::{HeaderCheck, HeaderExpect, HttpChecks};
use std::time::Instant;

/// Check the status code.
///
/// Without `assert_status`, any 2xx is success (redirects were followed by the client, so a 3xx
/// here is one it could not follow) and anything else fails:
/// `HTTP status 404 Not Found (expected 2xx)`. With `assert_status`, exactly the listed codes pass,
/// so a 200 can fail: `HTTP status 200 OK not in [201]`. Codes without a standard reason phrase are
/// shown bare (`HTTP status 599 (expected 2xx)`).
pub fn check_status(checks: &HttpChecks, resp: &Response) -> Option<CheckFailure> {
    status_failure(checks, resp.status).map(|f| f.at_opt(checks.status_span))
}

fn status_failure(checks: &HttpChecks, status: u16) -> Option<CheckFailure> {
    // The text is only built for a failure: this runs for every response.
    let actual = || status_text(status);
    match &checks.assert_status {
        None if (200..300).contains(&status) => None,
        None => {
            let actual = actual();
            Some(CheckFailure::new(
                CheckKind::Status,
                "2xx",
                &actual,
                format!("HTTP status {actual} (expected 2xx)"),
            ))
        }
        Some(accepted) if accepted.contains(&status) => None,
        Some(accepted) => {
            let actual = actual();
            let codes: Vec<String> = accepted.iter().map(u16::to_string).collect();
            let expected = format!("[{}]", codes.join(", "));
            let message = format!("HTTP status {actual} not in {expected}");
            Some(CheckFailure::new(CheckKind::Status, expected, actual, message))
        }
    }
}

/// `404 Not Found`, or just `599` when the code has no standard reason phrase.
fn status_text(status: u16) -> String {
    match ::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// `assert_redirects: N`: the client followed exactly N redirects to this response.
fn check_redirects(checks: &HttpChecks, resp: &Response) -> Option<CheckFailure> {
    let (want, span) = checks.assert_redirects?;
    if resp.redirects == want {
        return None;
    }
    let message = format!(
        "{} redirects followed, expected {want} (final URL {})",
        resp.redirects, resp.url
    );
    Some(
        CheckFailure::new(
            CheckKind::Redirects,
            want.to_string(),
            resp.redirects.to_string(),
            message,
        )
        .at(span),
    )
}

/// Run every header and body check and return all failures, in this order: `assert_redirects`,
/// `assert_match_headers`,
/// `assert_headers` (in the order written), `assert_json`, `assert_html`, `assert_xpath`. The status is
/// checked separately by [`check_status`].
///
/// - `assert_match_headers`: a regex **search** on the headers rendered like the original's Python
///   dict, `{'Content-Type': 'text/html', 'DAV': '1, 2'}`.
/// - `assert_headers`: each named header (case-insensitive) must be present and the regex must be
///   found in one of its field lines or in all of them joined by `, ` (RFC 9110 §5.3; never for
///   `Set-Cookie`, whose lines cannot be joined); `absent`: the header must not be there.
/// - `assert_json`: a body that is not JSON is a single failure.
/// - `assert_html`: a body that is not HTML (a JSON document, or elements nested deeper than
///   512 levels) is a single failure.
/// - `assert_xpath`: a body that is not well-formed XML is a single failure.
///
/// A failure of a body check ends with how the body was read when that is not plain UTF-8
/// ([`Response::reading_note`]).
pub fn check_http(checks: &HttpChecks, resp: &Response, vars: &mut Vars<'_>) -> Vec<CheckFailure> {
    check_http_until(checks, resp, vars, None)
}

/// [`check_http`], giving up parsing HTML at `deadline` (the caller reports the timeout).
pub fn check_http_until(
    checks: &HttpChecks,
    resp: &Response,
    vars: &mut Vars<'_>,
    deadline: Option<Instant>,
) -> Vec<CheckFailure> {
    let mut out: Vec<CheckFailure> = check_redirects(checks, resp).into_iter().collect();
    if let Some(p) = &checks.assert_match_headers {
        match vars.matcher(p) {
            Err(e) => out.push(pattern_failure(CheckKind::MatchHeaders, p, e)),
            Ok(matcher) => {
                let rendered = render_headers(&resp.headers);
                if !matcher.is_match(&rendered, p.mode) {
                    let message = format!("headers do not match `{}`", p.source);
                    out.push(CheckFailure::new(CheckKind::MatchHeaders, &p.source, rendered, message).at(p.span));
                }
            }
        }
    }
    for check in &checks.assert_headers {
        if let Some(failure) = check_header(check, resp, vars) {
            out.push(failure.at(check.span));
        }
    }
    let body_checks = out.len();
    json::check_json(&checks.assert_json, resp, &mut out, vars);
    html::check_html(&checks.assert_html, resp, deadline, &mut out, vars);
    xml::check_xpath(&checks.assert_xpath, &checks.namespaces, resp, &mut out, vars);
    if out.len() > body_checks
        && let Some(note) = resp.reading_note()
    {
        for failure in &mut out[body_checks..] {
            add_note(failure, &note);
        }
    }
    out
}

/// One `assert_headers` entry.
fn check_header(check: &HeaderCheck, resp: &Response, vars: &mut Vars<'_>) -> Option<CheckFailure> {
    let name = &check.name;
    let lines: Vec<&str> = header_values(&resp.headers, name).collect();
    let p = match &check.expect {
        HeaderExpect::Absent if lines.is_empty() => return None,
        HeaderExpect::Absent => {
            let shown = lines_text(&lines);
            let message = format!("header `{name}` is present (expected absent): {shown}");
            return Some(CheckFailure::new(
                CheckKind::Header,
                "absent",
                lines.join(", "),
                message,
            ));
        }
        HeaderExpect::Matches(p) => p,
    };
    let matcher = match vars.matcher(p) {
        Ok(matcher) => matcher,
        Err(e) => return Some(pattern_failure(CheckKind::Header, p, e)),
    };
    if lines.is_empty() {
        let message = format!("header `{name}` is missing");
        return Some(CheckFailure::new(CheckKind::Header, &p.source, "(missing)", message));
    }
    if lines.iter().any(|line| matcher.is_match(line, p.mode)) {
        return None;
    }
    let joinable = lines.len() > 1 && !name.eq_ignore_ascii_case("set-cookie");
    let joined = lines.join(", ");
    if joinable && matcher.is_match(&joined, p.mode) {
        return None;
    }
    let what = if lines.len() > 1 {
        format!("header `{name}` ({} lines)", lines.len())
    } else {
        format!("header `{name}`")
    };
    let message = format!("{what} does not match `{}`: {}", p.source, lines_text(&lines));
    Some(CheckFailure::new(CheckKind::Header, &p.source, joined, message))
}

/// A header's lines for a message: `'a'`, or `'a', 'b'`.
fn lines_text(lines: &[&str]) -> String {
    lines.iter().map(|l| excerpt(l)).collect::<Vec<_>>().join(", ")
}

/// The headers as the original showed them: Python's repr of a dict, `{'Name': 'value', ...}`.
///
/// Names are shown in canonical case ([`super::canonical_header_name`]), whatever case they were
/// received in, as the original showed them. A header that occurs several times appears once, at
/// its first position, with its values joined by `, ` (what `requests` did), so patterns see one
/// entry per name.
pub(crate) fn render_headers(headers: &[(String, String)]) -> String {
    let mut merged: Vec<(&str, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        match merged.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            None => merged.push((name, value.clone())),
        }
    }
    let entries: Vec<String> = merged
        .iter()
        .map(|(name, value)| format!("{}: {}", py_repr(&canonical_header_name(name)), py_repr(value)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}
