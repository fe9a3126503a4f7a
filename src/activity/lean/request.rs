//! A prepared request as the bytes of an HTTP/1.1 message, with the headers reqwest would add.

use super::{LeanClient, connect_error};
use crate::activity::error::ActivityError;
use crate::activity::http::Prepared;
use http::Method;
use url::Url;

/// Headers the lean path computes itself from the request; an activity's own are not sent twice.
const FRAMING: [&str; 2] = ["content-length", "transfer-encoding"];

/// How much a header field still needs checking before it is sent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// Built by stressor from valid parts.
    None,
    /// The value comes from the activity (or a variable): visible ASCII and tabs only.
    Value,
    /// Name and value come from the activity: the name must be an RFC 9110 token too.
    Both,
}

/// The header fields of one request to `url`, in the order they are sent, as reqwest would send them:
/// `Host`, `User-Agent` and `Accept: */*` unless the activity gives them; the body's `Content-Type`
/// unless given; basic auth replaces an `Authorization` header; cookies of the session's jar unless
/// the activity sets `Cookie` itself. `Content-Length` is always computed (an activity's own would
/// desynchronize the connection) and sent with a body or with a method that defines one (POST, PUT,
/// PATCH), as RFC 9110 §8.6 asks. HTTP/1.1 writes them (`serialize`), HTTP/2 builds its header map
/// from them (`h2.rs`).
pub(super) fn fields(
    p: &Prepared,
    url: &Url,
    referer: Option<&Url>,
    client: &LeanClient<'_>,
    mut field: impl FnMut(&str, &[u8], Check) -> Result<(), ActivityError>,
) -> Result<(), ActivityError> {
    let given = |name: &str| p.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    if !given("host") {
        // The URL's own text from the host to the port: brackets for IPv6, the port only when named.
        field(
            "Host",
            url[url::Position::BeforeHost..url::Position::AfterPort].as_bytes(),
            Check::None,
        )?;
    }
    if !given("user-agent") {
        field("User-Agent", client.user_agent.as_bytes(), Check::Value)?;
    }
    if !given("accept") {
        field("Accept", b"*/*", Check::None)?;
    }
    for (name, value) in &p.headers {
        if FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f))
            || (p.auth.is_some() && name.eq_ignore_ascii_case("authorization"))
            || (referer.is_some() && name.eq_ignore_ascii_case("referer"))
        {
            continue;
        }
        field(name, value.as_bytes(), Check::Both)?;
    }
    if let Some((_, Some(ct))) = &p.body
        && !given("content-type")
    {
        field("Content-Type", ct.as_bytes(), Check::None)?;
    }
    let body = p.body.as_ref().map_or(0, |(b, _)| b.len());
    if body > 0 || [Method::POST, Method::PUT, Method::PATCH].contains(&p.method) {
        field("Content-Length", body.to_string().as_bytes(), Check::None)?;
    }
    if let Some((user, password)) = &p.auth {
        use base64::Engine as _;
        let plain = format!("{user}:{}", password.as_deref().unwrap_or(""));
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(plain));
        field("Authorization", value.as_bytes(), Check::Value)
            .map_err(|_| connect_error("invalid basic auth credentials: failed to parse header value".into()))?;
    }
    if let Some(r) = referer {
        let mut r = r.clone();
        r.set_fragment(None);
        let _ = r.set_username("");
        let _ = r.set_password(None);
        field("Referer", r.as_str().as_bytes(), Check::None)?;
    }
    if !given("cookie")
        && let Some(cookies) = client.jar.cookies(url)
    {
        field("Cookie", cookies.as_bytes(), Check::None)?;
    }
    Ok(())
}

/// The request line, headers and body of one HTTP/1.1 request to `url` (see [`fields`]).
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
    fields(p, url, referer, client, |name, value, check| {
        if check == Check::Both && !is_token(name) {
            return Err(connect_error(format!(
                "invalid header name `{name}`: invalid HTTP header name"
            )));
        }
        if check != Check::None && !valid_value(value) {
            return Err(invalid_value(name));
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
        Ok(())
    })?;
    // Without keep-alive, the server is told so and closes its side too (RFC 9112 §9.6), rather than
    // keeping an idle connection per request until its own timeout.
    if !client.keep_alive && !p.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("connection")) {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

/// A header value as the `http` crate accepts text: visible ASCII and tabs only, so that no value can
/// end the header early or smuggle another one.
pub(super) fn valid_value(value: &[u8]) -> bool {
    value.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// The error for a header value that [`valid_value`] refuses.
pub(super) fn invalid_value(name: &str) -> ActivityError {
    connect_error(format!(
        "invalid value of header `{name}`: failed to parse header value"
    ))
}

/// Whether a header name is an RFC 9110 token.
pub(super) fn is_token(name: &str) -> bool {
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
            #[cfg(feature = "https")]
            h2: None,
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
