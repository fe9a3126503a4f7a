//! The header fields of one hop of a request, decided once for every transport: `Host`, `User-Agent`,
//! `Accept: */*` and `Accept-Encoding: gzip, deflate, br, zstd` (unless `decompress: false`) unless
//! the activity gives them; the activity's own; the body's `Content-Type` unless given;
//! `Content-Length`; basic auth (replacing an `Authorization` header); `Referer` after a redirect;
//! the jar's cookies, merged with the activity's own `Cookie` (whose value wins for a name). Each
//! transport writes them its own way (HTTP/1.1 as text, HTTP/2 and reqwest as a header map), through [`Hop::fields`], which
//! hands them over one by one rather than building a list: this is the hot path.

use super::cookies::Jar;
use super::error::{HttpError, HttpErrorKind};
use super::request::{ACCEPT_ENCODING, Request};
use crate::scenario::header_rules;
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
        // A constant: no allocation per request on the hot path.
        if p.accept_encoding && !self.given("accept-encoding") {
            field("Accept-Encoding", ACCEPT_ENCODING.as_bytes(), Check::None)?;
        }
        for (name, value) in &p.headers {
            if FRAMING.iter().any(|f| name.eq_ignore_ascii_case(f))
                || name.eq_ignore_ascii_case("cookie")
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
        // The request's own `Cookie` is merged with the jar's (the rare case that allocates); without
        // one the jar's value is sent as it is.
        let jar = self.jar.cookies(url);
        if self.given("cookie") {
            let own: Vec<&str> = p
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
                .map(|(_, v)| v.as_str())
                .collect();
            let merged = super::cookies::merge(&own.join("; "), jar.as_ref());
            field("Cookie", merged.as_bytes(), Check::Value)?;
        } else if let Some(cookies) = jar {
            field("Cookie", cookies.as_bytes(), Check::None)?;
        }
        Ok(())
    }
}

pub(crate) use crate::scenario::header_rules::is_token;

/// Checks a header value from the activity (or a variable) by the one rule of
/// [`header_rules`](crate::scenario::header_rules): bytes ≥ 0x80 pass as given, control bytes other
/// than tab are refused, naming the header and the byte.
pub(crate) fn check_value(name: &str, value: &[u8]) -> Result<(), HttpError> {
    match header_rules::forbidden_byte(value) {
        None => Ok(()),
        Some(byte) => Err(HttpError::new(
            HttpErrorKind::InvalidHeader,
            format!(
                "header `{name}` not sent: its value holds {}, which a header field cannot carry; a `$(var)` in it gave that value (strip it from the variable, e.g. in the feeder or script that sets it)",
                header_rules::describe(byte)
            ),
        )),
    }
}

/// The error for a header name that is not a token.
pub(crate) fn invalid_name(name: &str) -> HttpError {
    HttpError::new(
        HttpErrorKind::InvalidHeader,
        format!("invalid header name `{name}`: a header name is a token (letters, digits and !#$%&'*+-.^_`|~)"),
    )
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
        // The rule is the `http` crate's own, so once it passes `from_bytes` cannot refuse the value;
        // checking stressor's own fields too costs little off the lean HTTP/1.1 path.
        check_value(name, value)?;
        if check == Check::Both && !is_token(name) {
            return Err(invalid_name(name));
        }
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid_name(name))?;
        let value = HeaderValue::from_bytes(value)
            .map_err(|e| HttpError::new(HttpErrorKind::InvalidHeader, format!("header `{name}`: {e}")))?;
        headers.append(header, value);
        Ok(())
    })?;
    Ok(headers)
}
