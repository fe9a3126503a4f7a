//! A prepared request as the bytes of an HTTP/1.1 message, with the headers reqwest would add.

use super::{LeanClient, connect_error};
use crate::activity::error::ActivityError;
use crate::activity::http::Prepared;
use http::Method;
use std::io::Write as _;
use url::Url;

/// Headers the lean path computes itself from the request; an activity's own are not sent twice.
const FRAMING: [&str; 2] = ["content-length", "transfer-encoding"];

/// The request line, headers and body of one request to `url`.
///
/// As reqwest: `Host`, `User-Agent` and `Accept: */*` unless the activity gives them; the body's
/// `Content-Type` unless given; basic auth replaces an `Authorization` header; cookies of the
/// session's jar unless the activity sets `Cookie` itself. `Content-Length` is always computed (an
/// activity's own would desynchronize the connection) and sent with a body or with a method that
/// defines one (POST, PUT, PATCH), as RFC 9110 §8.6 asks.
pub(super) fn serialize(
    p: &Prepared,
    url: &Url,
    referer: Option<&Url>,
    client: &LeanClient<'_>,
) -> Result<Vec<u8>, ActivityError> {
    let body = p.body.as_ref().map_or(&[][..], |(b, _)| b.as_slice());
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(p.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(url.path().as_bytes());
    if let Some(q) = url.query() {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let given = |name: &str| p.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !given("host") {
        // `host_str` brackets IPv6 literals; the port only when the URL names one.
        let host = url.host_str().unwrap_or_default();
        match url.port() {
            Some(port) => put_header(&mut out, "Host", format_args!("{host}:{port}")),
            None => put_header(&mut out, "Host", format_args!("{host}")),
        }
    }
    if !given("user-agent") {
        put_checked(&mut out, "User-Agent", client.user_agent)?;
    }
    if !given("accept") {
        out.extend_from_slice(b"Accept: */*\r\n");
    }
    for (name, value) in &p.headers {
        if FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f))
            || (p.auth.is_some() && name.eq_ignore_ascii_case("authorization"))
            || (referer.is_some() && name.eq_ignore_ascii_case("referer"))
        {
            continue;
        }
        if !is_token(name) {
            return Err(connect_error(format!(
                "invalid header name `{name}`: invalid HTTP header name"
            )));
        }
        put_checked(&mut out, name, value)?;
    }
    if let Some((_, Some(ct))) = &p.body
        && !given("content-type")
    {
        put_header(&mut out, "Content-Type", format_args!("{ct}"));
    }
    if !body.is_empty() || [Method::POST, Method::PUT, Method::PATCH].contains(&p.method) {
        put_header(&mut out, "Content-Length", format_args!("{}", body.len()));
    }
    if let Some((user, password)) = &p.auth {
        use base64::Engine as _;
        let plain = format!("{user}:{}", password.as_deref().unwrap_or(""));
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(plain));
        put_checked(&mut out, "Authorization", &value)
            .map_err(|_| connect_error("invalid basic auth credentials: failed to parse header value".into()))?;
    }
    if let Some(r) = referer {
        let mut r = r.clone();
        r.set_fragment(None);
        let _ = r.set_username("");
        let _ = r.set_password(None);
        put_header(&mut out, "Referer", format_args!("{r}"));
    }
    if !given("cookie")
        && let Some(cookies) = client.jar.cookies(url)
    {
        out.extend_from_slice(b"Cookie: ");
        out.extend_from_slice(cookies.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    // Without keep-alive, the server is told so and closes its side too (RFC 9112 §9.6), rather than
    // keeping an idle connection per request until its own timeout.
    if !client.keep_alive && !given("connection") {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

/// Writes a header whose value is known to be valid.
fn put_header(out: &mut Vec<u8>, name: &str, value: std::fmt::Arguments<'_>) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    // Writing to a Vec cannot fail.
    let _ = out.write_fmt(value);
    out.extend_from_slice(b"\r\n");
}

/// Writes a header after checking its value as the `http` crate does for text: visible ASCII and
/// tabs only, so that no value can end the header early or smuggle another one.
fn put_checked(out: &mut Vec<u8>, name: &str, value: &str) -> Result<(), ActivityError> {
    if !value.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        return Err(connect_error(format!(
            "invalid value of header `{name}`: failed to parse header value"
        )));
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Whether a header name is an RFC 9110 token.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::cookies::Jar;
    use crate::activity::lean::LeanPool;
    use std::sync::Arc;

    fn prepared(method: Method, url: &str, headers: &[(&str, &str)]) -> Prepared {
        Prepared {
            method,
            url: Url::parse(url).expect("url"),
            params: Vec::new(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: None,
            auth: None,
            timeout: None,
            verify: true,
            body_limit: crate::activity::body::BodyLimit::keep(u64::MAX),
        }
    }

    fn text(p: &Prepared, referer: Option<&Url>) -> Result<String, String> {
        let (pool, jar) = (LeanPool::default(), Arc::new(Jar::default()));
        let tls = crate::activity::TlsConfigs::new(&crate::scenario::Config::default()).expect("tls");
        let client = LeanClient {
            pool: &pool,
            jar: &jar,
            user_agent: "ua/1",
            keep_alive: true,
            tls: &tls,
        };
        serialize(p, &p.url, referer, &client)
            .map(|b| String::from_utf8(b).expect("utf-8"))
            .map_err(|e| e.message)
    }

    #[test]
    fn defaults_apply_where_the_activity_gives_nothing() {
        let p = prepared(Method::GET, "http://h:8/a%20b?x=1", &[("X-One", "1")]);
        assert_eq!(
            text(&p, None).unwrap(),
            "GET /a%20b?x=1 HTTP/1.1\r\nHost: h:8\r\nUser-Agent: ua/1\r\nAccept: */*\r\nX-One: 1\r\n\r\n"
        );
        let p = prepared(
            Method::GET,
            "http://[::1]/",
            &[("accept", "text/plain"), ("User-Agent", "me")],
        );
        assert_eq!(
            text(&p, None).unwrap(),
            "GET / HTTP/1.1\r\nHost: [::1]\r\naccept: text/plain\r\nUser-Agent: me\r\n\r\n"
        );
    }

    #[test]
    fn bodies_get_their_length_and_type_and_framing_headers_are_ours() {
        let mut p = prepared(Method::POST, "http://h/", &[("Content-Length", "99")]);
        assert!(text(&p, None).unwrap().ends_with("Content-Length: 0\r\n\r\n"));
        p.body = Some((b"{}".to_vec(), Some("application/json")));
        let t = text(&p, None).unwrap();
        assert!(
            t.ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
            "{t}"
        );
        assert!(!t.contains("99"));
    }

    #[test]
    fn auth_and_referer_replace_the_activity_s_own() {
        let mut p = prepared(Method::GET, "http://h/", &[("Authorization", "x"), ("Referer", "y")]);
        p.auth = Some(("bob".into(), Some("pw".into())));
        let referer = Url::parse("http://u:p@h/from#frag").expect("url");
        let t = text(&p, Some(&referer)).unwrap();
        assert!(
            t.contains("Authorization: Basic Ym9iOnB3\r\nReferer: http://h/from\r\n"),
            "{t}"
        );
        assert!(!t.contains("Authorization: x") && !t.contains("Referer: y"), "{t}");
    }

    #[test]
    fn header_injection_is_refused_with_the_header_named() {
        let p = prepared(Method::GET, "http://h/", &[("X-A", "1\r\nX-B: 2")]);
        assert_eq!(
            text(&p, None).unwrap_err(),
            "invalid value of header `X-A`: failed to parse header value"
        );
        let p = prepared(Method::GET, "http://h/", &[("X A", "1")]);
        assert_eq!(
            text(&p, None).unwrap_err(),
            "invalid header name `X A`: invalid HTTP header name"
        );
    }
}
