//! How an HTTP exchange failed: one [`HttpError`] type for every transport, with a [`HttpErrorKind`]
//! that says what failed and a message that says how. `activity` turns it into an activity's error
//! class in one place (`impl From<HttpError> for ActivityError`); nothing here knows those classes.

use super::body::TooLarge;
use std::fmt;

/// What part of an exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HttpErrorKind {
    /// The request could not be built: an invalid method or URL.
    InvalidRequest,
    /// A header name or value that cannot be sent (a control byte such as CR, LF or NUL in a value,
    /// a name that is not a token). Values written in a scenario file are checked when it loads, so
    /// at run time this comes from a `$(var)`.
    InvalidHeader,
    /// The URL needs something this build or this client leaves out (`https://` without the `https`
    /// feature, a scheme other than `http` and `https`).
    Unsupported,
    /// No connection: DNS, refused, reset, or closed before the response was complete.
    Connect,
    /// The TLS handshake or a TLS record failed: a refused certificate (either side), an alert, no
    /// shared protocol version, or no agreement on the application protocol (ALPN).
    Tls,
    /// The server's bytes break HTTP: malformed framing or head, an HTTP/2 protocol error.
    Protocol,
    /// More redirects than the client follows.
    TooManyRedirects,
    /// The request's timeout elapsed before the response was complete.
    Timeout,
    /// The body was larger than `max_body_size` and something needed all of it.
    BodyTooLarge,
}

/// A failed HTTP exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    /// What failed.
    pub kind: HttpErrorKind,
    /// What happened, with its causes; free of secrets.
    pub message: String,
}

impl HttpError {
    /// An error of `kind`.
    pub fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            message: message.into(),
        }
    }

    /// A connection failure.
    pub(crate) fn connect(message: impl Into<String>) -> Self {
        HttpError::new(HttpErrorKind::Connect, message)
    }

    /// A request that cannot be sent as it is.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        HttpError::new(HttpErrorKind::InvalidRequest, message)
    }

    /// A response that breaks HTTP.
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        HttpError::new(HttpErrorKind::Protocol, message)
    }

    /// A TLS failure.
    pub(crate) fn tls(message: impl Into<String>) -> Self {
        HttpError::new(HttpErrorKind::Tls, message)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpError {}

impl From<TooLarge> for HttpError {
    fn from(t: TooLarge) -> Self {
        HttpError::new(HttpErrorKind::BodyTooLarge, t.to_string())
    }
}

/// An error's message followed by each cause that adds something (HTTP clients' own messages alone say
/// little: reqwest's "error sending request", hyper's "connection error").
pub fn with_causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}
