//! Small text codecs shared by the target server's handlers.
//!
//! Hand-written rather than pulled from crates: each is a few lines, and keeping them here avoids extra
//! dependencies and makes every handler decode the same way (query strings, form bodies, cookies).

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use serde_json::{Map, Value};

/// Decodes `%XX` escapes (and `+` as a space when `plus_as_space`). Malformed escapes are kept
/// literally, as browsers and most servers do, so odd input never turns into an error here.
pub(crate) fn percent_decode(input: &str, plus_as_space: bool) -> Vec<u8> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|c| hex_value(*c)),
                bytes.get(i + 2).and_then(|c| hex_value(*c)),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(if plus_as_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses `application/x-www-form-urlencoded` text (query strings and form bodies) into ordered pairs.
/// Invalid UTF-8 is replaced rather than rejected: these values are only echoed or compared.
pub(crate) fn parse_urlencoded(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (decode_lossy(name), decode_lossy(value))
        })
        .collect()
}

fn decode_lossy(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(text, true)).into_owned()
}

/// The decoded query pairs of a request URI (empty when there is no query).
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query.map(parse_urlencoded).unwrap_or_default()
}

/// Turns pairs into a JSON object; a name given several times becomes an array of its values, so no
/// value the client sent is silently dropped.
pub(crate) fn pairs_to_json(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (name, value) in pairs {
        match map.get_mut(&name) {
            None => {
                map.insert(name, Value::String(value));
            }
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
        }
    }
    map
}

/// All `name=value` pairs from the request's `Cookie` headers, in order.
pub(crate) fn request_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|item| {
            let (name, value) = item.trim().split_once('=')?;
            let name = name.trim();
            (!name.is_empty()).then(|| (name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// Whether `name=value` can go into a `Set-Cookie` header without changing its meaning (RFC 6265
/// token and cookie-octet rules); anything else could smuggle in attributes or break the header.
pub(crate) fn is_valid_cookie(name: &str, value: &str) -> bool {
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?={}".contains(c);
    let octet = |c: char| c.is_ascii_graphic() && !"\",;\\".contains(c);
    !name.is_empty() && name.chars().all(token) && value.chars().all(octet)
}

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

/// Percent-encodes a URL path so file names with spaces or reserved characters still link correctly.
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_keeps_malformed_ones() {
        assert_eq!(percent_decode("a%20b+c", true), b"a b c");
        assert_eq!(percent_decode("a+b", false), b"a+b");
        assert_eq!(percent_decode("100%", false), b"100%");
        assert_eq!(percent_decode("%zz%4", false), b"%zz%4");
        assert_eq!(percent_decode("%2e%2E", false), b"..");
    }

    #[test]
    fn repeated_names_become_arrays() {
        let map = pairs_to_json(parse_urlencoded("a=1&b=x+y&a=2&&c"));
        assert_eq!(
            Value::Object(map),
            serde_json::json!({"a": ["1", "2"], "b": "x y", "c": ""})
        );
    }

    #[test]
    fn cookies_are_split_and_trimmed() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; b = 2;;c=x=y".parse().unwrap());
        assert_eq!(
            request_cookies(&headers),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("c".into(), "x=y".into())
            ]
        );
    }

    #[test]
    fn cookie_validation_rejects_attribute_injection() {
        assert!(is_valid_cookie("session", "abc-123"));
        assert!(!is_valid_cookie("a", "x; Path=/admin"));
        assert!(!is_valid_cookie("a b", "x"));
        assert!(!is_valid_cookie("", "x"));
    }

    #[test]
    fn escapes_html_and_paths() {
        assert_eq!(html_escape("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
        assert_eq!(encode_path("/a b/ü.txt"), "/a%20b/%C3%BC.txt");
    }
}
