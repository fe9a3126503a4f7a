//! Text helpers for check messages: one-line excerpts, header-name case, Python-style string
//! repr (for `assert_match_headers`) and durations.

use std::time::Duration;

/// How many characters of a body or value a message quotes.
pub(crate) const EXCERPT: usize = 200;

/// What [`shorten`] puts between the head and the tail of a long text.
const GAP: &str = " [...] ";

/// A single-line excerpt of `text` of at most `max` characters.
///
/// Runs of whitespace (including newlines) become one space and the ends are trimmed, so a body
/// fits on the message line. A longer text keeps its head and a short tail (a fifth of `max`,
/// where error pages often say what went wrong) with ` [...] ` in between:
///
/// ```
/// use stressor::check::shorten;
/// assert_eq!(shorten("  a\n\n  b  ", 10), "a b");
/// assert_eq!(shorten("0123456789abcdefghij", 15), "01234 [...] hij");
/// ```
pub fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let len = flat.chars().count();
    if len <= max {
        return flat;
    }
    let tail = max / 5;
    let head = max.saturating_sub(tail + GAP.len());
    if head == 0 {
        // Too small for head, gap and tail: a plain cut is all that fits.
        return flat.chars().take(max).collect();
    }
    let head_text: String = flat.chars().take(head).collect();
    let tail_text: String = flat.chars().skip(len - tail).collect();
    format!("{}{GAP}{}", head_text.trim_end(), tail_text.trim_start())
}

/// A unified diff of `expected` vs. `actual` (line by line), with headers `expected`/`actual`: what
/// JUnit reports and failure messages show wherever a check or threshold has both sides.
///
/// ```
/// let diff = stressor::check::text_diff("p95 <= 300ms", "p95 = 412ms");
/// assert!(diff.contains("-p95 <= 300ms\n+p95 = 412ms"));
/// ```
pub fn text_diff(expected: &str, actual: &str) -> String {
    // A final newline on both sides keeps `\ No newline at end of file` out of the diff.
    let want = format!("{}\n", expected.trim_end_matches('\n'));
    let got = format!("{}\n", actual.trim_end_matches('\n'));
    similar::TextDiff::from_lines(&want, &got)
        .unified_diff()
        .header("expected", "actual")
        .to_string()
}

/// Ends a failure's message with how the body was read: `... (body decoded from gzip; read as
/// windows-1252 (Content-Type charset=latin1))`.
pub(crate) fn add_note(failure: &mut super::CheckFailure, note: &str) {
    failure.message = format!("{} ({note})", failure.message);
}

/// The failure of a check that reads a body that cannot be decoded.
pub(crate) fn unreadable(kind: super::CheckKind, expected: &str, err: &super::DecodeError) -> super::CheckFailure {
    super::CheckFailure::new(
        kind,
        expected,
        err.to_string(),
        format!("response body cannot be read: {err}"),
    )
}

/// The most bytes of a value a check failure copies whole; see [`capped`].
pub const KEPT: usize = 1024;

/// `text` as a failure copies it: whole up to `KEPT` (1 KiB) bytes, else its first 200 characters,
/// its size and a hash (64-bit FNV-1a) that tells two large values apart. A 10 MiB value in a
/// pattern must not become a 10 MiB message in every results file and JUnit report.
///
/// ```
/// use stressor::check::capped;
/// assert_eq!(capped("short"), "short");
/// let big = "a".repeat(5000);
/// assert_eq!(capped(&big), format!("{}... (4.88 KiB, 5000 bytes, fnv1a 9168c27c5851404d)", "a".repeat(200)));
/// ```
pub fn capped(text: &str) -> String {
    if text.len() <= KEPT {
        return text.to_owned();
    }
    let head: String = text.chars().take(EXCERPT).collect();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!(
        "{head}... ({}, {} bytes, fnv1a {hash:016x})",
        crate::expand::format_size(text.len() as u64),
        text.len()
    )
}

/// `text` shortened to [`EXCERPT`] characters and put in single quotes, for messages.
pub(crate) fn excerpt(text: &str) -> String {
    format!("'{}'", shorten(text, EXCERPT))
}

/// Dash-separated parts whose canonical spelling is not simple title case, keyed by their lower
/// case. These are the spellings servers and RFCs use (`DAV`, `ETag`, `WWW-Authenticate`,
/// `Content-MD5`, `TE`, `DNT`, `X-XSS-Protection`, `X-Request-ID`, `P3P`, `X-WebKit-CSP`,
/// `Sec-CH-UA`, `X-Real-IP`, `X-DNS-Prefetch-Control`, `NEL`, `Sec-WebSocket-Key`,
/// `HTTP2-Settings`), so patterns written against the original's headers keep matching.
const SPECIAL_PARTS: &[(&str, &str)] = &[
    ("ch", "CH"),
    ("csp", "CSP"),
    ("dav", "DAV"),
    ("dns", "DNS"),
    ("dnt", "DNT"),
    ("etag", "ETag"),
    ("http2", "HTTP2"),
    ("id", "ID"),
    ("ip", "IP"),
    ("md5", "MD5"),
    ("nel", "NEL"),
    ("p3p", "P3P"),
    ("te", "TE"),
    ("ua", "UA"),
    ("websocket", "WebSocket"),
    ("www", "WWW"),
    ("xss", "XSS"),
];

/// The canonical spelling of a header name.
///
/// The HTTP client hands header names over in lower case, but the original stressor showed them
/// as the server sent them, and scenarios match on that (`assert_match_headers: ".*'DAV'.*"`).
/// Each dash-separated part is title-cased (`content-type` → `Content-Type`), except the
/// well-known tokens in this list, which keep their usual spelling: `CH`, `CSP`, `DAV`, `DNS`,
/// `DNT`, `ETag`, `HTTP2`, `ID`, `IP`, `MD5`, `NEL`, `P3P`, `TE`, `UA`, `WebSocket`, `WWW`, `XSS`.
///
/// ```
/// use stressor::check::canonical_header_name;
/// assert_eq!(canonical_header_name("content-type"), "Content-Type");
/// assert_eq!(canonical_header_name("www-authenticate"), "WWW-Authenticate");
/// assert_eq!(canonical_header_name("x-xss-protection"), "X-XSS-Protection");
/// assert_eq!(canonical_header_name("etag"), "ETag");
/// ```
pub fn canonical_header_name(name: &str) -> String {
    // The name is copied once and fixed up in place (`assert_match_headers` renders every header of
    // every response it checks).
    let mut out = String::with_capacity(name.len());
    for (i, part) in name.split('-').enumerate() {
        if i > 0 {
            out.push('-');
        }
        match special_part(part) {
            Some(canonical) => out.push_str(canonical),
            None => {
                let start = out.len();
                out.push_str(part);
                out[start..].make_ascii_lowercase();
                // `get_mut` is `None` when the part starts with a non-ASCII character: left as it is.
                if let Some(first) = out.get_mut(start..start + 1) {
                    first.make_ascii_uppercase();
                }
            }
        }
    }
    out
}

/// The spelling of a dash-separated part that is not simple title case, if it is one.
fn special_part(part: &str) -> Option<&'static str> {
    const LONGEST: usize = 9;
    if part.len() < 2 || part.len() > LONGEST {
        return None;
    }
    let mut lower = [0u8; LONGEST];
    lower[..part.len()].copy_from_slice(part.as_bytes());
    lower.make_ascii_lowercase();
    let lower = &lower[..part.len()];
    SPECIAL_PARTS
        .iter()
        .find(|(k, _)| k.as_bytes() == lower)
        .map(|(_, canonical)| *canonical)
}

/// Response headers as checks see them: names as received, values as text (invalid UTF-8 replaced),
/// in arrival order. Names are canonicalized only where they are shown (`assert_match_headers`), not
/// for every response.
pub fn response_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            let value = header_text(v.as_bytes());
            (n.as_str().to_owned(), value)
        })
        .collect()
}

/// A header value as text: invalid UTF-8 replaced (checking first is much cheaper than
/// `from_utf8_lossy` on the common, valid case).
pub fn header_text(value: &[u8]) -> String {
    match std::str::from_utf8(value) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(value).into_owned(),
    }
}

/// Python's `repr()` of a string: single quotes unless the text contains a single quote and no
/// double quote; backslashes, the chosen quote and control characters escaped.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() && (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// `value` and `limit` in seconds (`0.304s`, `0.1s`) with trailing zeros trimmed, using
/// milliseconds unless more digits are needed to tell the two apart (a `0.1004s` run must not
/// read "0.1s exceeds the limit of 0.1s").
pub(crate) fn format_secs_pair(value: Duration, limit: Duration) -> (String, String) {
    let mut pair = (String::new(), String::new());
    for decimals in 3..=9 {
        pair = (secs(value, decimals), secs(limit, decimals));
        if pair.0 != pair.1 {
            break;
        }
    }
    pair
}

/// Seconds with `decimals` digits after the point, trailing zeros (and a bare point) trimmed.
fn secs(d: Duration, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, d.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}s")
}
