//! The framing rules of an HTTP/1.1 response (RFC 9112 §6): how long its body is, how a chunked body
//! is delimited, and what makes a response invalid.
//!
//! The rules are hyper's, which the reqwest transport uses, made stricter in one place on both: so a
//! malformed response gets the same answer whichever client reads it (`tests/it/framing.rs` serves a
//! corpus of them to both, and `fuzz/` compares the two on generated responses). In short:
//! `Content-Length` is digits only (RFC 9110 §8.6), several values must all be equal; a response with
//! both `Transfer-Encoding` and `Content-Length` is rejected (RFC 9112 §6.3 says it "ought to be
//! handled as an error"; hyper would let `Transfer-Encoding` win), as is `Transfer-Encoding` in an
//! HTTP/1.0 response; a chunk-size line is hex digits, optional blanks and extensions, then CRLF; the
//! trailer section is at most 16 KiB in at most 100 valid fields.

use crate::check::header_text;
use httparse::Status;

/// Trailer section bytes accepted at most (hyper's limit).
const MAX_TRAILERS: usize = 16 * 1024;
/// Trailer fields accepted at most (hyper's limit, the same as for the head).
const MAX_TRAILER_FIELDS: usize = 100;
/// Chunk-extension bytes accepted at most over a whole body (hyper's limit).
pub(super) const MAX_EXTENSIONS: u64 = 16 * 1024;

/// How a response's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A final response's head, as far as the exchange needs it.
#[derive(Debug)]
pub(super) struct Head {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub framing: Framing,
    pub keep_alive: bool,
}

/// Why a response is invalid; the message follows "invalid HTTP response: ".
pub(super) type Invalid = String;

/// The head of a final response, parsed. `head_request`: the request's method was HEAD.
pub(super) fn parse_head(response: &httparse::Response<'_, '_>, head_request: bool) -> Result<Head, Invalid> {
    let status = response.code.unwrap_or_default();
    if status < 100 {
        return Err(format!("invalid status code {status:03}"));
    }
    let mut headers = Vec::with_capacity(response.headers.len());
    let (mut transfer_encoding, mut chunked) = (false, false);
    let mut length = Lengths::default();
    let (mut close, mut keep_alive) = (false, false);
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length.add(h.value);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            chunked = is_chunked(h.value);
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in header_text(h.value).split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
        headers.push((h.name.to_owned(), header_text(h.value)));
    }
    let http_1_0 = response.version == Some(0);
    let framing = if !has_body(status, head_request) {
        Framing::Empty
    } else if transfer_encoding {
        conflicts(http_1_0, length.seen)?;
        if chunked { Framing::Chunked } else { Framing::UntilClose }
    } else {
        match length.value()? {
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 only when told to.
    let persistent = if http_1_0 { keep_alive } else { !close };
    let reusable = persistent && framing != Framing::UntilClose && status != 101;
    Ok(Head {
        status,
        headers,
        framing,
        keep_alive: reusable,
    })
}

/// Whether a response to a request has a body at all (RFC 9112 §6.3, rule 1).
pub(crate) fn has_body(status: u16, head_request: bool) -> bool {
    !(head_request || status == 204 || status == 304 || (100..200).contains(&status))
}

/// The errors of a response with `Transfer-Encoding` and a body: in HTTP/1.0, or with a
/// `Content-Length` beside it.
fn conflicts(http_1_0: bool, content_length: bool) -> Result<(), Invalid> {
    if http_1_0 {
        return Err("Transfer-Encoding in an HTTP/1.0 response".into());
    }
    if content_length {
        return Err("both Transfer-Encoding and Content-Length (conflicting framing)".into());
    }
    Ok(())
}

/// What the reqwest path checks after hyper accepted a head: the rules above that hyper does not
/// apply (it lets `Transfer-Encoding` win over `Content-Length`).
pub fn check_hyper_head(
    status: u16,
    head_request: bool,
    http_1_0: bool,
    transfer_encoding: bool,
    content_length: bool,
) -> Result<(), Invalid> {
    if !has_body(status, head_request) || !transfer_encoding {
        return Ok(());
    }
    conflicts(http_1_0, content_length)
}

/// Whether a `Transfer-Encoding` value ends with `chunked` (only the last coding counts). A value that
/// is not visible ASCII names no coding, as for hyper.
fn is_chunked(value: &[u8]) -> bool {
    visible_ascii(value)
        && value
            .rsplit(|b| *b == b',')
            .next()
            .is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

/// Whether a field value is visible ASCII (and tabs): what `http::HeaderValue::to_str` accepts.
fn visible_ascii(value: &[u8]) -> bool {
    value.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\t')
}

/// The `Content-Length` fields of a response.
#[derive(Default)]
struct Lengths {
    seen: bool,
    value: Option<u64>,
    invalid: Option<String>,
    conflicting: bool,
}

impl Lengths {
    fn add(&mut self, raw: &[u8]) {
        self.seen = true;
        if self.invalid.is_some() {
            return;
        }
        // Several values in one field (`5, 5`) are allowed when they are all equal (RFC 9110 §8.6).
        let values = visible_ascii(raw).then(|| raw.split(|b| *b == b',').map(digits).collect::<Option<Vec<u64>>>());
        match values.flatten() {
            None => self.invalid = Some(header_text(raw)),
            Some(values) => {
                for n in values {
                    self.conflicting |= self.value.is_some_and(|v| v != n);
                    self.value = Some(n);
                }
            }
        }
    }

    fn value(self) -> Result<Option<u64>, Invalid> {
        if let Some(v) = self.invalid {
            return Err(format!(
                "invalid Content-Length `{v}` (RFC 9110 §8.6 allows digits only)"
            ));
        }
        if self.conflicting {
            return Err("conflicting Content-Length values".into());
        }
        Ok(self.value)
    }
}

/// A decimal number of digits only (no sign, no blanks inside), without overflow.
fn digits(text: &[u8]) -> Option<u64> {
    let text = text.trim_ascii();
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u64, |n, b| {
        let d = b.is_ascii_digit().then(|| u64::from(b - b'0'))?;
        n.checked_mul(10)?.checked_add(d)
    })
}

/// A parsed chunk-size line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ChunkLine {
    /// Bytes of the line, CRLF included.
    pub used: usize,
    /// The chunk size.
    pub size: u64,
    /// Bytes of chunk extensions on the line (counted against [`MAX_EXTENSIONS`]).
    pub extensions: u64,
}

/// Parses a chunk-size line at the start of `buf`: `1*HEXDIG *(SP / HTAB) [";" extensions] CRLF`,
/// where extensions are any bytes but CR and LF.
pub(super) fn chunk_line(buf: &[u8]) -> Result<Status<ChunkLine>, &'static str> {
    let mut size = 0u64;
    let mut digits = 0usize;
    let mut i = 0;
    while let Some(&b) = buf.get(i) {
        let Some(d) = (b as char).to_digit(16) else { break };
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(d)))
            .ok_or("chunk size too large")?;
        digits += 1;
        i += 1;
    }
    if i == buf.len() {
        return Ok(Status::Partial);
    }
    if digits == 0 {
        return Err("invalid chunk size");
    }
    while matches!(buf.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let mut extensions = 0u64;
    if buf.get(i) == Some(&b';') {
        i += 1;
        while let Some(&b) = buf.get(i) {
            match b {
                b'\r' => break,
                b'\n' => return Err("line feed in a chunk extension"),
                _ => extensions += 1,
            }
            i += 1;
        }
    }
    match (buf.get(i), buf.get(i + 1)) {
        (None, _) | (Some(b'\r'), None) => Ok(Status::Partial),
        (Some(b'\r'), Some(b'\n')) => Ok(Status::Complete(ChunkLine {
            used: i + 2,
            size,
            extensions,
        })),
        _ => Err("invalid chunk size"),
    }
}

/// Looks for the end of the trailer section at the start of `buf` (after the last chunk's size line):
/// `Ok(Complete(len))` with the length of the section and its final empty line, `Ok(Partial)` when
/// more bytes are needed. Fails when the section is too large or not valid fields.
pub(super) fn trailers(buf: &[u8]) -> Result<Status<usize>, &'static str> {
    let mut fields = 0;
    let mut start = 0;
    loop {
        let Some(cr) = buf[start..].iter().position(|b| *b == b'\r') else {
            return too_long(buf.len()).map(|()| Status::Partial);
        };
        let end = start + cr;
        match buf.get(end + 1) {
            None => return too_long(end + 1).map(|()| Status::Partial),
            Some(b'\n') => {}
            Some(_) => return Err("invalid trailer line end"),
        }
        if end == start {
            // The empty line: the section is complete (hyper counts its CRLF too when there are fields).
            if fields > 0 {
                too_long(end + 2)?;
            }
            return check_fields(&buf[..start], fields).map(|()| Status::Complete(end + 2));
        }
        too_long(end + 2)?;
        fields += 1;
        if fields > MAX_TRAILER_FIELDS {
            return Err("too many trailer fields");
        }
        start = end + 2;
    }
}

fn too_long(len: usize) -> Result<(), &'static str> {
    if len >= MAX_TRAILERS {
        return Err("trailer section too large");
    }
    Ok(())
}

/// Parses the trailer fields (without the final empty line) as hyper does: they must be exactly
/// `fields` valid header fields.
fn check_fields(section: &[u8], fields: usize) -> Result<(), &'static str> {
    if fields == 0 {
        return Ok(());
    }
    let mut block = section.to_vec();
    block.extend_from_slice(b"\r\n");
    let mut storage = vec![httparse::EMPTY_HEADER; fields];
    match httparse::parse_headers(&block, &mut storage) {
        Ok(Status::Complete((_, parsed))) => {
            let valid = parsed.iter().all(|h| {
                http::HeaderName::from_bytes(h.name.as_bytes()).is_ok()
                    && http::HeaderValue::from_bytes(h.value).is_ok()
            });
            if valid { Ok(()) } else { Err("invalid trailer field") }
        }
        _ => Err("invalid trailer field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str, head_request: bool) -> Result<Head, Invalid> {
        let mut storage = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut storage);
        assert!(response.parse(text.as_bytes()).expect("parses").is_complete());
        parse_head(&response, head_request)
    }

    fn framing(headers: &str) -> Result<Framing, Invalid> {
        head(&format!("HTTP/1.1 200 OK\r\n{headers}\r\n"), false).map(|h| h.framing)
    }

    #[test]
    fn content_length_is_digits_only() {
        for (value, want) in [
            ("5", Ok(Framing::Length(5))),
            (" 7 ", Ok(Framing::Length(7))),
            ("5, 5", Ok(Framing::Length(5))),
            ("+5", Err("invalid Content-Length `+5`")),
            ("-1", Err("invalid Content-Length")),
            ("0x10", Err("invalid Content-Length")),
            ("5 5", Err("invalid Content-Length")),
            ("", Err("invalid Content-Length")),
            ("18446744073709551616", Err("invalid Content-Length")),
            ("5, 6", Err("conflicting Content-Length")),
        ] {
            let got = framing(&format!("Content-Length: {value}\r\n"));
            match (got, want) {
                (Ok(f), Ok(w)) => assert_eq!(f, w, "{value}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{value}: {e}"),
                (got, want) => panic!("{value}: got {got:?}, want {want:?}"),
            }
        }
        let err = framing("Content-Length: 1\r\nContent-Length: 2\r\n").expect_err("two values");
        assert!(err.contains("conflicting"), "{err}");
    }

    #[test]
    fn transfer_encoding_rules() {
        assert_eq!(framing("Transfer-Encoding: gzip, chunked\r\n"), Ok(Framing::Chunked));
        assert_eq!(framing("Transfer-Encoding: chunked, gzip\r\n"), Ok(Framing::UntilClose));
        let err = framing("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n").expect_err("both");
        assert!(err.contains("conflicting framing"), "{err}");
        let err = head("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false).expect_err("1.0");
        assert!(err.contains("HTTP/1.0"), "{err}");
    }

    #[test]
    fn responses_without_a_body_ignore_its_framing() {
        let h = head("HTTP/1.1 204 No Content\r\nContent-Length: +1\r\n\r\n", false).expect("no body");
        assert_eq!(h.framing, Framing::Empty);
        let h = head(
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            true,
        )
        .expect("HEAD");
        assert_eq!(h.framing, Framing::Empty);
        assert!(head("HTTP/1.1 099 Odd\r\n\r\n", false).is_err());
    }

    #[test]
    fn chunk_size_lines() {
        let ok = |line: &str| match chunk_line(line.as_bytes()) {
            Ok(Status::Complete(c)) => (c.used, c.size),
            other => panic!("{line:?}: {other:?}"),
        };
        assert_eq!(ok("a\r\n"), (3, 10));
        assert_eq!(ok("FF \t;x=1; y\r\nrest"), (13, 255));
        assert_eq!(ok("0000000000000000000005\r\n"), (24, 5));
        for partial in ["", "1", "1 ", "1;ext", "1\r"] {
            assert_eq!(chunk_line(partial.as_bytes()), Ok(Status::Partial), "{partial:?}");
        }
        for bad in [
            "\r\n",
            ";x\r\n",
            "1\n",
            "1 2\r\n",
            "g\r\n",
            "1;a\nb\r\n",
            "1\rx",
            "10000000000000000\r\n",
        ] {
            assert!(chunk_line(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn trailer_sections() {
        assert_eq!(trailers(b"\r\nnext"), Ok(Status::Complete(2)));
        assert_eq!(trailers(b"X-A: 1\r\nX-B: 2\r\n\r\n"), Ok(Status::Complete(18)));
        assert_eq!(trailers(b"X-A: 1\r\n"), Ok(Status::Partial));
        assert_eq!(trailers(b"X-A: 1\r"), Ok(Status::Partial));
        assert!(trailers(b"not a field\r\n\r\n").is_err());
        assert!(trailers(b"X-A: 1\rx").is_err());
        assert!(trailers(&[b'x'; MAX_TRAILERS]).is_err());
        let many = "X: 1\r\n".repeat(MAX_TRAILER_FIELDS + 1);
        assert!(trailers(many.as_bytes()).is_err());
    }
}
