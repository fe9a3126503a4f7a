//! Checks and stores: what an activity's result must look like, and what is copied out of it.
//!
//! Results are data: every check yields a [`CheckFailure`] describing expected vs. actual (rendering
//! happens later, in reports). A request that could not be made at all is not a check failure; the
//! activity layer classifies those (timeout, connect) before checks run.
//!
//! Everything here is pure and synchronous. The activity layer calls, in this order:
//!
//! 1. [`check_status`] on an HTTP response (a status failure usually makes the rest moot);
//! 2. [`check_http`]: `assert_match_headers`, `assert_headers`, `assert_json`, `assert_html`,
//!    `assert_xpath`;
//! 3. [`check_common`] on any activity's result: `assert_match`, `assert_max_time`;
//! 4. [`apply_stores`]: `store_json`, `store_header`, `store_regex` into the session context.
//!
//! Unlike the original, which stopped at the first HTTP-level failure, every check runs and all
//! failures are returned, so one report shows everything that is wrong with a response.
//!
//! Checks that read the body see it decoded ([`Response::text`]): its `Content-Encoding` undone
//! (`decode.rs`), then read in its charset (`charset.rs`). A body that cannot be decoded (an unknown
//! coding, corrupt bytes) fails each check that reads it with the reason; one whose decoded size
//! passes `max_body_size` is the activity's `body_too_large` error, before any check runs.
//!
//! # Messages
//!
//! [`CheckFailure::message`] is one line, meant to follow "activity failed: ". Patterns, paths,
//! header names and XPath expressions are quoted in backticks; text found in the result is an
//! excerpt in single quotes (whitespace collapsed, at most 200 characters, see [`shorten`]):
//!
//! ```text
//! HTTP status 404 Not Found (expected 2xx)
//! HTTP status 200 OK not in [201]
//! result does not match `Welcome`: '<html> <body>Error [...] </html>'
//! headers do not match `.*'DAV'.*`
//! header `X-Token` is missing
//! header `Content-Type` does not match `json`: 'text/html'
//! header `X-Debug` is present (expected absent): 'on'
//! response is not JSON
//! JSON `n` is 43, expected 42
//! JSON `id` does not match `[0-9a-f]{4}`: 'beefy'
//! JSON `result.guid` not found: `result` has no key `guid` (it has `id`, `name`)
//! JSON `$[9].name` not found: it selects nothing
//! JSON `error` is present (expected absent): 'boom'
//! response body cannot be read: unknown Content-Encoding `compress` (...)
//! XPath `//*[@class='logo']` matched 0 nodes (expected at least 1)
//! execution time 0.304s exceeds the limit of 0.1s
//! store_json could not find `x.y` in the result: `x` is a number, not a map
//! ```

mod charset;
mod common;
mod decode;
#[cfg(feature = "xpath")]
mod html;
#[cfg(not(feature = "xpath"))]
#[path = "html_off.rs"]
mod html;
mod http;
mod json;
mod response;
mod store;
mod text;
mod vars;
#[cfg(feature = "xpath")]
mod xml;
#[cfg(not(feature = "xpath"))]
#[path = "xml_off.rs"]
mod xml;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::scenario::Span;

pub use charset::{Charset, Source as CharsetSource};
pub use common::check_common;
pub use decode::DecodeError;
pub use http::{check_http, check_http_until, check_status};
pub use response::{ActivityResult, BodyReading, Response, header_values};
pub use store::apply_stores;
pub use text::{canonical_header_name, capped, header_text, response_headers, shorten, text_diff};
pub use vars::{MAX_PATTERNS, MAX_REGEX_TEXT, Matcher, PatternCache, PatternError, Vars};

/// One failed check: what was expected, what was found, and where the check was written.
///
/// Serialized into results files (`errors[].checks`), so a merged or re-read run can still point at
/// the check's line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckFailure {
    /// Which check failed.
    pub kind: CheckKind,
    /// What the check wanted, as written or rendered (`[201]`, a pattern, compact JSON).
    pub expected: String,
    /// What the result had (`200 OK`, an excerpt of the body, compact JSON, a reason).
    pub actual: String,
    /// One line, lowercase start (unless it starts with an acronym), no trailing period.
    pub message: String,
    /// A unified diff of expected vs. actual, when one helps (`assert_json` equality, `assert_match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// Where the check was written in the scenario, when the model knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// The check could not run because a `$(var)` in it could not be expanded (the activity's error
    /// is then of class `variable`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unexpanded: bool,
}

/// The largest diff a failure keeps (64 KiB): past that, `expected` and `actual` say enough.
pub const MAX_DIFF: usize = 64 * 1024;

impl CheckFailure {
    /// A failure without diff or span. Large `expected` and `actual` texts are [`capped`].
    pub fn new(
        kind: CheckKind,
        expected: impl Into<String>,
        actual: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let cap = |text: String| if text.len() > text::KEPT { capped(&text) } else { text };
        CheckFailure {
            kind,
            expected: cap(expected.into()),
            actual: cap(actual.into()),
            message: message.into(),
            diff: None,
            span: None,
            unexpanded: false,
        }
    }

    /// The same failure, located at `span`.
    #[must_use]
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// The same failure, located at `span` when there is one (else unchanged).
    #[must_use]
    pub fn at_opt(mut self, span: Option<Span>) -> Self {
        self.span = span.or(self.span);
        self
    }

    /// The same failure, with a unified diff (none when the diff is too large to read).
    #[must_use]
    pub fn with_diff(mut self, diff: String) -> Self {
        self.diff = (diff.len() <= MAX_DIFF).then_some(diff);
        self
    }
}

impl fmt::Display for CheckFailure {
    /// The message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Which check a [`CheckFailure`] comes from (serialized as the scenario key, [`CheckKind::key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CheckKind {
    /// The status code (`assert_status`, or 2xx by default).
    #[serde(rename = "assert_status")]
    Status,
    /// `assert_match` on the result text.
    #[serde(rename = "assert_match")]
    Match,
    /// `assert_match_headers` on all headers.
    #[serde(rename = "assert_match_headers")]
    MatchHeaders,
    /// `assert_headers` on one header.
    #[serde(rename = "assert_headers")]
    Header,
    /// `assert_json`.
    #[serde(rename = "assert_json")]
    Json,
    /// `assert_html`.
    #[serde(rename = "assert_html")]
    Html,
    /// `assert_xpath`.
    #[serde(rename = "assert_xpath")]
    Xpath,
    /// `assert_max_time`.
    #[serde(rename = "assert_max_time")]
    MaxTime,
    /// `assert_redirects`.
    #[serde(rename = "assert_redirects")]
    Redirects,
    /// `store_json`, `store_header` or `store_regex`.
    #[serde(rename = "store_*")]
    Store,
}

impl CheckKind {
    /// The scenario key the check is written with (`assert_status`, ...; `store_*` for stores).
    pub fn key(self) -> &'static str {
        match self {
            CheckKind::Status => "assert_status",
            CheckKind::Match => "assert_match",
            CheckKind::MatchHeaders => "assert_match_headers",
            CheckKind::Header => "assert_headers",
            CheckKind::Json => "assert_json",
            CheckKind::Html => "assert_html",
            CheckKind::Xpath => "assert_xpath",
            CheckKind::MaxTime => "assert_max_time",
            CheckKind::Redirects => "assert_redirects",
            CheckKind::Store => "store_*",
        }
    }
}
