//! How an activity failed: the error class every report groups by, and a message without secrets.
//!
//! A failed HTTP exchange becomes an activity error here and nowhere else
//! (`impl From<HttpError> for ActivityError`): this is where a transport's failure gets its class.

use crate::http::{HttpError, HttpErrorKind};
use std::fmt;

/// The classes errors are counted and reported by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorClass {
    /// The server answered with a status the activity does not accept.
    Status,
    /// A check or store on the result failed.
    Assertion,
    /// The request (or a poll) ran out of time.
    Timeout,
    /// The request could not be made: connection refused or reset, DNS, an invalid URL or header, a
    /// response that breaks HTTP framing.
    Connect,
    /// A RunScript failed.
    Script,
    /// A `$(var)` could not be expanded.
    Variable,
    /// The response body was larger than `max_body_size` and a check or store needed it.
    #[serde(rename = "body_too_large")]
    BodyTooLarge,
    /// The checks on a response did not finish within `check_timeout`.
    #[serde(rename = "check_timeout")]
    CheckTimeout,
    /// The TLS handshake failed: the server's certificate was refused (unknown issuer, wrong name,
    /// expired), the server refused the client certificate, or no protocol version or cipher suite
    /// was shared.
    Tls,
}

impl ErrorClass {
    /// Every class, in report order.
    pub const ALL: [ErrorClass; ErrorClass::COUNT] = [
        ErrorClass::Status,
        ErrorClass::Assertion,
        ErrorClass::Timeout,
        ErrorClass::Connect,
        ErrorClass::Script,
        ErrorClass::Variable,
        ErrorClass::BodyTooLarge,
        ErrorClass::CheckTimeout,
        ErrorClass::Tls,
    ];

    /// Number of classes (the size of per-class counter arrays).
    pub const COUNT: usize = 9;

    /// The lowercase name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Status => "status",
            ErrorClass::Assertion => "assertion",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Connect => "connect",
            ErrorClass::Script => "script",
            ErrorClass::Variable => "variable",
            ErrorClass::BodyTooLarge => "body_too_large",
            ErrorClass::CheckTimeout => "check_timeout",
            ErrorClass::Tls => "tls",
        }
    }

    /// Position in [`ErrorClass::ALL`], for counters kept in arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed activity.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityError {
    /// What kind of failure.
    pub class: ErrorClass,
    /// One or more lines saying what went wrong (all failed checks of the activity, one per line).
    pub message: String,
    /// A short rendering of the response (status line and body excerpt), when there was one.
    pub response: Option<String>,
    /// Unified diffs of expected vs. actual of the failed checks that have one, one after the other.
    pub diff: Option<String>,
    /// The failed checks, each located in the scenario (empty when the activity failed before its
    /// checks ran: a transport, script or variable error).
    pub checks: Vec<crate::check::CheckFailure>,
}

impl ActivityError {
    /// An error without a response.
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        ActivityError {
            class,
            message: message.into(),
            response: None,
            diff: None,
            checks: Vec::new(),
        }
    }
}

impl fmt::Display for ActivityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}

/// The one place a failed HTTP exchange gets its class: a request that could not be built or sent,
/// a connection that failed and a response that breaks HTTP are all `connect` (the request could not
/// be made); TLS, timeouts and bodies too large have classes of their own.
impl From<HttpError> for ActivityError {
    fn from(err: HttpError) -> Self {
        let class = match err.kind {
            HttpErrorKind::InvalidRequest
            | HttpErrorKind::Unsupported
            | HttpErrorKind::Connect
            | HttpErrorKind::Protocol
            | HttpErrorKind::TooManyRedirects => ErrorClass::Connect,
            HttpErrorKind::Tls => ErrorClass::Tls,
            HttpErrorKind::Timeout => ErrorClass::Timeout,
            HttpErrorKind::BodyTooLarge => ErrorClass::BodyTooLarge,
        };
        ActivityError::new(class, err.message)
    }
}
