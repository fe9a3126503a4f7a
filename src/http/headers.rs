//! The header fields of one hop of a request, decided once for every transport: `Host`, `User-Agent`
//! and `Accept: */*` unless the activity gives them; the activity's own; the body's `Content-Type`
//! unless given; `Content-Length`; basic auth (replacing an `Authorization` header); `Referer` after a
//! redirect; the jar's cookies unless the activity sets `Cookie` itself. Each transport writes them
//! its own way (HTTP/1.1 as text, HTTP/2 and reqwest as a header map), through [`Hop::fields`], which
//! hands them over one by one rather than building a list: this is the hot path.

use super::cookies::Jar;
use super::error::HttpError;
use super::request::Request;
use http::Method;
use url::Url;

/// Headers computed from the request itself; an activity's own are not sent (an activity's
/// `Content-Length` would desynchronize the connection).
const FRAMING: [&str; 2] = ["content-length", "transfer-encoding"];

/// How much a header field still needs checking before it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Built by stressor from valid parts.
    None,
    /// The value comes from the activity (or a variable): visible ASCII and tabs only.
    Value,
    /// Name and value come from the activity: the name must be an RFC 9110 token too.
    Both,
}

/// One request on the wire: the request as the redirects so far left it, sent to `url`.
pub(crate) struct Hop<'a> {
    /// The request (method, headers, body, auth as rewritten by redirects).
    pub request: &'a Request,
    /// Where this hop goes (query parameters included).
    pub url: &'a Url,
    /// The URL that redirected here, if any.
    pub referer: Option<&'a Url>,
    /// The session's `User-Agent`.
    pub user_agent: &'a str,
    /// The session's cookies.
    pub jar: &'a Jar,
}

impl Hop<'_> {
    /// Whether the activity gives a header of this name itself.
    pub(crate) fn given(&self, name: &str) -> bool {
        self.request.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The body bytes of this hop (empty for none).
    pub(crate) fn body(&self) -> &[u8] {
        self.request.body.as_ref().map_or(&[][..], |b| &b.bytes[..])
    }

    /// The header fields of this hop, in the order they are sent, as reqwest would send them (see the
    /// module doc). `Content-Length` is sent with a body or with a method that defines one (POST,
    /// PUT, PATCH), as RFC 9110 §8.6 asks.
    pub(crate) fn fields(
        &self,
        mut field: impl FnMut(&str, &[u8], Check) -> Result<(), HttpError>,
    ) -> Result<(), HttpError> {
        let (p, url) = (self.request, self.url);
        if !self.given("host") {
            // The URL's own text from the host to the port: brackets for IPv6, the port only when named.
            field(
                "Host",
                url[url::Position::BeforeHost..url::Position::AfterPort].as_bytes(),
                Check::None,
            )?;
        }
        if !self.given("user-agent") {
            field("User-Agent", self.user_agent.as_bytes(), Check::Value)?;
        }
        if !self.given("accept") {
            field("Accept", b"*/*", Check::None)?;
        }
        for (name, value) in &p.headers {
            if FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f))
                || (p.auth.is_some() && name.eq_ignore_ascii_case("authorization"))
                || (self.referer.is_some() && name.eq_ignore_ascii_case("referer"))
            {
                continue;
            }
            field(name, value.as_bytes(), Check::Both)?;
        }
        if let Some(ct) = p.body.as_ref().and_then(|b| b.content_type.as_deref())
            && !self.given("content-type")
        {
            field("Content-Type", ct.as_bytes(), Check::None)?;
        }
        let body = self.body().len();
        if body > 0 || [Method::POST, Method::PUT, Method::PATCH].contains(&p.method) {
            field("Content-Length", body.to_string().as_bytes(), Check::None)?;
        }
        if let Some((user, password)) = &p.auth {
            use base64::Engine as _;
            let plain = format!("{user}:{}", password.as_deref().unwrap_or(""));
            let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(plain));
            field("Authorization", value.as_bytes(), Check::Value)
                .map_err(|_| HttpError::invalid("invalid basic auth credentials: failed to parse header value"))?;
        }
        if let Some(r) = self.referer {
            field("Referer", r.as_str().as_bytes(), Check::None)?;
        }
        // Cookie merging (a request's own `Cookie` with the jar's) belongs here, once, for every
        // transport; for now the activity's own header replaces the jar's.
        if !self.given("cookie")
            && let Some(cookies) = self.jar.cookies(url)
        {
            field("Cookie", cookies.as_bytes(), Check::None)?;
        }
        Ok(())
    }
}

/// A header value as the `http` crate accepts text: visible ASCII and tabs only, so that no value can
/// end the header early or smuggle another one.
pub(crate) fn valid_value(value: &[u8]) -> bool {
    value.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// The error for a header value that [`valid_value`] refuses.
pub(crate) fn invalid_value(name: &str) -> HttpError {
    HttpError::invalid(format!(
        "invalid value of header `{name}`: failed to parse header value"
    ))
}

/// The error for a header name that is not a token.
pub(crate) fn invalid_name(name: &str) -> HttpError {
    HttpError::invalid(format!("invalid header name `{name}`: invalid HTTP header name"))
}

/// Whether a header name is an RFC 9110 token.
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The fields of a hop as a header map (HTTP/2 and reqwest), checked as the HTTP/1.1 writer checks
/// them, without those `skip` names (the transport sets them its own way).
#[cfg(feature = "https")]
pub(crate) fn header_map(hop: &Hop<'_>, skip: impl Fn(&str, &[u8]) -> bool) -> Result<http::HeaderMap, HttpError> {
    use http::header::{HeaderName, HeaderValue};
    // The defaults, the activity's own, and the body's, auth and cookie fields.
    let mut headers = http::HeaderMap::with_capacity(hop.request.headers.len() + 8);
    hop.fields(|name, value, check| {
        if skip(name, value) {
            return Ok(());
        }
        if check != Check::None && !valid_value(value) {
            return Err(invalid_value(name));
        }
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid_name(name))?;
        let value = HeaderValue::from_bytes(value).map_err(|_| invalid_value(name))?;
        headers.append(header, value);
        Ok(())
    })?;
    Ok(headers)
}
