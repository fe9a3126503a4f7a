//! The classes errors are counted and reported by. They belong to the scenario because its threshold
//! filters name them (`class: timeout`); `activity` gives each failure one, `stats` counts by them.

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
