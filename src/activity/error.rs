//! How an activity failed: the error class every report groups by (defined with the scenario, whose
//! threshold filters name it), and a message without secrets.
//!
//! A failed HTTP exchange becomes an activity error here and nowhere else
//! (`impl From<HttpError> for ActivityError`): this is where a transport's failure gets its class.

use crate::http::{HttpError, HttpErrorKind};
pub use crate::scenario::ErrorClass;
use std::fmt;

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
/// be made); a header a `$(var)` made unsendable is `variable` (its fault is the variable's value,
/// not the connection); TLS, timeouts and bodies too large have classes of their own.
impl From<HttpError> for ActivityError {
    fn from(err: HttpError) -> Self {
        let class = match err.kind {
            HttpErrorKind::InvalidRequest
            | HttpErrorKind::Unsupported
            | HttpErrorKind::Connect
            | HttpErrorKind::Protocol
            | HttpErrorKind::TooManyRedirects => ErrorClass::Connect,
            HttpErrorKind::Tls => ErrorClass::Tls,
            // Literal header values are checked at load time, so at run time a variable gave it.
            HttpErrorKind::InvalidHeader => ErrorClass::Variable,
            HttpErrorKind::Timeout => ErrorClass::Timeout,
            HttpErrorKind::BodyTooLarge => ErrorClass::BodyTooLarge,
        };
        ActivityError::new(class, err.message)
    }
}
