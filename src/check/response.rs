//! The result of an activity as checks and stores see it.

use serde_json::Value;
use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

/// A received HTTP response.
#[derive(Debug, Default)]
pub struct Response {
    /// The final URL (after redirects).
    pub url: String,
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names as received (the reqwest path hands them over in lower
    /// case); look them up with [`Response::header`], which ignores case.
    pub headers: Vec<(String, String)>,
    /// The body, as far as it was kept: all of it when a check, store or `last_result` reads it
    /// (see `max_body_size`), else an excerpt for error messages.
    pub body: Vec<u8>,
    /// Body bytes received, kept or not.
    pub received: u64,
    /// Time from sending the request to the end of the body.
    pub elapsed: Duration,
    json: OnceLock<Option<Value>>,
}

impl Response {
    /// A response with the given parts.
    pub fn new(url: String, status: u16, headers: Vec<(String, String)>, body: Vec<u8>, elapsed: Duration) -> Self {
        Response {
            url,
            status,
            headers,
            received: body.len() as u64,
            body,
            elapsed,
            json: OnceLock::new(),
        }
    }

    /// The same response, of which `received` body bytes arrived (more than were kept).
    #[must_use]
    pub fn with_received(mut self, received: u64) -> Self {
        self.received = received;
        self
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body parsed as JSON, whatever the Content-Type (as the original); parsed once, on first use.
    pub fn json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.body).ok())
            .as_ref()
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_values(&self.headers, name).next()
    }
}

/// The values of the headers with this name (case-insensitive: names are kept as received), in
/// arrival order.
pub fn header_values<'a, 'n>(
    headers: &'a [(String, String)],
    name: &'n str,
) -> impl Iterator<Item = &'a str> + use<'a, 'n> {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What an activity produced.
#[derive(Debug, Default)]
pub enum ActivityResult {
    /// Nothing (Sleep, StaticRequests).
    #[default]
    Nothing,
    /// A value: a RunScript result, or an HTTP activity's `mock_result` in dry-run.
    Value(Value),
    /// An HTTP response.
    Response(Response),
}

impl ActivityResult {
    /// The text that `assert_match` and `store_regex` search: the body, or the value rendered as text.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            ActivityResult::Nothing => Cow::Borrowed(""),
            ActivityResult::Value(v) => Cow::Owned(crate::expand::render_text(v)),
            ActivityResult::Response(r) => r.text(),
        }
    }

    /// The JSON that `assert_json` and `store_json` read: the parsed body, or the value itself.
    pub fn json(&self) -> Option<&Value> {
        match self {
            ActivityResult::Nothing => None,
            ActivityResult::Value(v) => Some(v),
            ActivityResult::Response(r) => r.json(),
        }
    }
}
