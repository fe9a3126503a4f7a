//! The result of an activity as checks and stores see it.
//!
//! A [`Response`] holds its body as it came off the wire (content coding kept). What checks read is
//! derived from it on first use and kept: the body with its `Content-Encoding` undone
//! ([`Response::decoded`], `decode.rs`), that body as text in its charset ([`Response::text`],
//! `charset.rs`), and the text parsed as JSON ([`Response::json`]). A response no check reads costs
//! none of it.

use serde_json::Value;
use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use super::charset::{self, Charset};
use super::decode::{self, DecodeError};
use crate::scenario::DEFAULT_MAX_BODY_SIZE;
use crate::scenario::size::format_size;

/// How a response body is read: whether its content coding is undone, and the most decoded bytes
/// kept (`max_body_size`, the same limit the transports keep the body as received within).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyReading {
    /// `decompress` (config or activity): undo `Content-Encoding`.
    pub decompress: bool,
    /// `max_body_size`.
    pub max: u64,
}

impl Default for BodyReading {
    fn default() -> Self {
        BodyReading {
            decompress: true,
            max: DEFAULT_MAX_BODY_SIZE,
        }
    }
}

/// A body read as text: the text when it differs from the decoded bytes, and how it was read.
#[derive(Debug)]
struct Text {
    /// `None`: the decoded bytes from `start` on are the text (valid UTF-8; `start` skips a BOM).
    owned: Option<String>,
    start: usize,
    charset: Charset,
    replaced: bool,
}

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
    /// The body as received (transfer coding removed, content coding kept), as far as it was kept:
    /// all of it when a check, store or `last_result` reads it (see `max_body_size`), else an excerpt
    /// for error messages.
    pub body: Vec<u8>,
    /// Body bytes received, kept or not: the count on the wire, before decoding.
    pub received: u64,
    /// Time from sending the request to the end of the body.
    pub elapsed: Duration,
    /// Redirects the client followed to get this response.
    pub redirects: u32,
    /// How the body is decoded when something reads it.
    pub reading: BodyReading,
    /// What checks read, derived on first use. Boxed: an `ActivityResult` moves by value through the
    /// runner, and most responses never need it (the box is allocated when a check reads the body).
    derived: OnceLock<Box<Derived>>,
}

/// The body as checks read it.
#[derive(Debug)]
struct Derived {
    /// With its content coding undone (`None`: nothing to undo).
    decoded: Result<Option<Vec<u8>>, DecodeError>,
    text: OnceLock<Result<Text, DecodeError>>,
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
            ..Response::default()
        }
    }

    /// The same response, of which `received` body bytes arrived (more than were kept).
    #[must_use]
    pub fn with_received(mut self, received: u64) -> Self {
        self.received = received;
        self
    }

    /// The same response, reached after following `redirects` redirects.
    #[must_use]
    pub fn with_redirects(mut self, redirects: u32) -> Self {
        self.redirects = redirects;
        self
    }

    /// The same response, its body read as `reading` says.
    #[must_use]
    pub fn with_reading(mut self, reading: BodyReading) -> Self {
        self.reading = reading;
        self
    }

    /// The `Content-Encoding` this body will be decoded from (its field lines joined), when it has one
    /// and `decompress` is on.
    pub fn content_encoding(&self) -> Option<String> {
        if !self.reading.decompress {
            return None;
        }
        let mut lines = header_values(&self.headers, "content-encoding").filter(|v| decode::is_encoded(v));
        let first = lines.next()?;
        Some(lines.fold(first.to_owned(), |all, v| all + ", " + v))
    }

    /// The body with its content coding undone, within `max_body_size`; decoded on first use.
    ///
    /// # Errors
    /// When the decoded body would be larger than `max_body_size`, the coding is unknown or the bytes
    /// are not valid in it.
    pub fn decoded(&self) -> Result<&[u8], &DecodeError> {
        match &self.derived().decoded {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Ok(&self.body),
            Err(e) => Err(e),
        }
    }

    /// How many bytes the body decodes to, once it has been decoded (`None` before, or when it could not
    /// be): the count `describe_response` shows beside the bytes received.
    pub fn decoded_len(&self) -> Option<usize> {
        match &self.derived.get()?.decoded {
            Ok(Some(bytes)) => Some(bytes.len()),
            Ok(None) => Some(self.body.len()),
            Err(_) => None,
        }
    }

    /// The derived state, decoding the body on first use.
    fn derived(&self) -> &Derived {
        self.derived.get_or_init(|| {
            let decoded = match self.content_encoding() {
                None => Ok(None),
                Some(coding) => decode::decode(&self.body, &coding, self.reading.max),
            };
            Box::new(Derived {
                decoded,
                text: OnceLock::new(),
                json: OnceLock::new(),
            })
        })
    }

    fn read_text(&self) -> Result<&Text, &DecodeError> {
        self.derived().text.get_or_init(|| self.read_text_now()).as_ref()
    }

    fn read_text_now(&self) -> Result<Text, DecodeError> {
        let bytes = self.decoded().map_err(Clone::clone)?;
        let read = charset::decode(bytes, self.header("content-type"));
        let (owned, start) = match read.text {
            Cow::Borrowed(text) => (None, bytes.len() - text.len()),
            Cow::Owned(text) => (Some(text), 0),
        };
        Ok(Text {
            owned,
            start,
            charset: read.charset,
            replaced: read.replaced,
        })
    }

    /// The body as text: decoded, then read in its charset (`Content-Type`, BOM, `<meta>`, else
    /// UTF-8), malformed bytes replaced by U+FFFD.
    ///
    /// # Errors
    /// As [`Response::decoded`].
    pub fn text(&self) -> Result<&str, &DecodeError> {
        let text = self.read_text()?;
        match &text.owned {
            Some(owned) => Ok(owned),
            // `read_text` found these bytes to be valid UTF-8 (else the text would be owned).
            None => {
                let bytes = self.decoded()?;
                Ok(std::str::from_utf8(bytes.get(text.start..).unwrap_or_default()).unwrap_or_default())
            }
        }
    }

    /// A note on how the body was read, for failure messages, when there is something to say:
    /// `body decoded from gzip; read as windows-1252 (Content-Type charset=iso-8859-1)`. `None` for a
    /// plain UTF-8 body.
    pub fn reading_note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(coding) = self.content_encoding()
            && self.decoded().is_ok()
        {
            parts.push(format!("body decoded from {coding}"));
        }
        if let Ok(text) = self.read_text() {
            if text.charset.is_notable() {
                parts.push(format!("read as {}", text.charset.describe()));
            }
            if text.replaced {
                let read_as = if text.charset.is_notable() {
                    String::new()
                } else {
                    format!(" in {}", text.charset.describe())
                };
                parts.push(format!("malformed bytes{read_as} replaced by U+FFFD"));
            }
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The body parsed as JSON, whatever the Content-Type (as the original); parsed once, on first use.
    pub fn json(&self) -> Option<&Value> {
        self.derived()
            .json
            .get_or_init(|| self.text().ok().and_then(|t| serde_json::from_str(t).ok()))
            .as_ref()
    }

    /// The start of the body as text, for error messages: as much as `max_bytes` of the body allow,
    /// decoded as far as its bytes go (a body no check reads is kept only in part) and read in its
    /// charset. Never fails and never decodes more than `max_bytes`.
    pub fn preview(&self, max_bytes: usize) -> Cow<'_, str> {
        if self.derived.get().and_then(|d| d.text.get()).is_some_and(Result::is_ok) {
            return Cow::Borrowed(self.text().unwrap_or_default());
        }
        let bytes: Cow<'_, [u8]> = match self.content_encoding() {
            None => Cow::Borrowed(&self.body[..self.body.len().min(max_bytes)]),
            Some(coding) => Cow::Owned(decode::preview(&self.body, &coding, max_bytes)),
        };
        let read = charset::decode(&bytes, self.header("content-type"));
        Cow::Owned(read.text.into_owned())
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_values(&self.headers, name).next()
    }

    /// `1.2 KiB on the wire, 10 KiB decoded`: the two counts of a decoded body; just the bytes received
    /// otherwise.
    pub fn size_text(&self) -> String {
        match self.decoded_len() {
            Some(n) if self.content_encoding().is_some() => {
                format!("{} bytes ({} decoded)", self.received, format_size(n as u64))
            }
            _ => format!("{} bytes", self.received),
        }
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
    /// The text that `assert_match` and `store_regex` search: the body as text, or the value rendered
    /// as text.
    ///
    /// # Errors
    /// A body that cannot be decoded ([`Response::decoded`]).
    pub fn text(&self) -> Result<Cow<'_, str>, &DecodeError> {
        match self {
            ActivityResult::Nothing => Ok(Cow::Borrowed("")),
            ActivityResult::Value(v) => Ok(Cow::Owned(crate::expand::render_text(v))),
            ActivityResult::Response(r) => r.text().map(Cow::Borrowed),
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

    /// [`Response::reading_note`] of a response.
    pub fn reading_note(&self) -> Option<String> {
        match self {
            ActivityResult::Response(r) => r.reading_note(),
            _ => None,
        }
    }
}
