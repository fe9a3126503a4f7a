//! What a request header field may hold: one rule for the scenario's load-time check of the values
//! written in a file and for the HTTP client's run-time check of the values `$(var)`s give
//! (`http/headers.rs`), so the two cannot disagree. It lives here, below `http`, because the
//! scenario's checks may not import upward.
//!
//! A value is opaque octets (RFC 9110 §5.5): bytes ≥ 0x80 are sent as given, as curl and reqwest do
//! (`café` goes out as its UTF-8 bytes). Control bytes are refused, horizontal tab excepted: CR and
//! LF would end the field early and let a value smuggle in another header, NUL is refused by every
//! HTTP parser, and the `http` crate the HTTP/2 and reqwest transports build on refuses the other
//! controls too, so refusing them everywhere keeps the three transports alike.

/// The first byte of `value` that may not be sent in a header field, if any.
pub fn forbidden_byte(value: &[u8]) -> Option<u8> {
    value.iter().copied().find(|&b| (b < b' ' && b != b'\t') || b == 0x7f)
}

/// A refused byte as a person reads it: `CR (\r)`, `LF (\n)`, `NUL (\0)`, `control byte 0x01`.
pub fn describe(byte: u8) -> String {
    match byte {
        b'\r' => "a carriage return (CR, \\r)".to_owned(),
        b'\n' => "a line feed (LF, \\n)".to_owned(),
        0 => "a NUL byte (\\0)".to_owned(),
        b => format!("the control byte 0x{b:02X}"),
    }
}

/// Whether a header name is an RFC 9110 token.
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Why a cookie (`config.cookies`, an activity's `cookies:`) cannot be sent, if it cannot: its name
/// must be a token (so no `=`), and its value may hold neither `;` (which would start the next
/// cookie of the `Cookie` header) nor a control byte. Other bytes are sent as given.
pub fn cookie_fault(name: &str, value: &str) -> Option<String> {
    if !is_token(name) {
        return Some(format!(
            "`{name}` is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~)"
        ));
    }
    if value.contains(';') {
        return Some(format!(
            "the value of cookie `{name}` holds `;`, which would end the cookie"
        ));
    }
    forbidden_byte(value.as_bytes()).map(|b| format!("the value of cookie `{name}` holds {}", describe(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_bytes_pass_and_controls_other_than_tab_do_not() {
        assert_eq!(forbidden_byte("café\tx".as_bytes()), None);
        assert_eq!(forbidden_byte(b"a\r\nX-Evil: 1"), Some(b'\r'));
        assert_eq!(forbidden_byte(b"a\nb"), Some(b'\n'));
        assert_eq!(forbidden_byte(b"a\0"), Some(0));
        assert_eq!(forbidden_byte(b"\x7f"), Some(0x7f));
        assert_eq!(describe(1), "the control byte 0x01");
        assert!(is_token("X-Api_Key") && !is_token("X Y") && !is_token(""));
        assert_eq!(cookie_fault("ab", "x y"), None);
        assert!(cookie_fault("a=b", "1").is_some_and(|m| m.contains("not a valid cookie name")));
        assert!(cookie_fault("a", "1;b=2").is_some_and(|m| m.contains("`;`")));
    }
}
