//! A request as the client takes it: method, absolute URL, query parameters, the activity's own
//! headers, a body, basic auth, a timeout, whether to verify certificates and how much of the response
//! body to keep. Everything is already expanded (`activity` does that); what is sent on the wire for
//! it, hop by hop, is decided by the client (`headers.rs`, `redirect.rs`).

use super::body::BodyLimit;
use super::error::HttpError;
use crate::scenario::RedirectPolicy;
use bytes::Bytes;
use http::Method;
use std::time::Duration;
use url::Url;

/// A request ready to send.
#[derive(Debug)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: Url,
    /// Query parameters, appended to the URL's own.
    pub params: Vec<(String, String)>,
    /// The activity's headers, in its order.
    pub headers: Vec<(String, String)>,
    /// Body and its content type.
    pub body: Option<Body>,
    /// Basic auth: name and password.
    pub auth: Option<(String, Option<String>)>,
    /// Over the whole exchange, redirects and body included; `None` = none.
    pub timeout: Option<Duration>,
    /// Verify TLS certificates.
    pub verify: bool,
    /// How much of the response body to keep; `needed` is true until the caller says otherwise.
    pub body_limit: BodyLimit,
    /// Whether redirects are followed, and how many.
    pub redirects: RedirectPolicy,
}

impl Request {
    /// A request of `method` to `url` with nothing else: no parameters, headers, body, auth or
    /// timeout; certificates verified and the whole body kept up to `max_body`.
    pub fn new(method: Method, url: Url, max_body: u64) -> Self {
        Request {
            method,
            url,
            params: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth: None,
            timeout: None,
            verify: true,
            body_limit: BodyLimit::keep(max_body),
            redirects: RedirectPolicy::default(),
        }
    }

    /// Body bytes this request sends.
    pub fn body_len(&self) -> u64 {
        self.body.as_ref().map_or(0, |b| b.bytes.len() as u64)
    }
}

/// A request body: bytes shared by every hop that sends them (a 307/308 redirect sends them again).
#[derive(Clone, Debug)]
pub struct Body {
    /// The bytes.
    pub bytes: Bytes,
    /// The `Content-Type` sent with them unless the request sets its own.
    pub content_type: Option<std::borrow::Cow<'static, str>>,
}

impl Body {
    /// Text sent as it is, without a content type.
    pub fn text(text: String) -> Self {
        Body {
            bytes: Bytes::from(text.into_bytes()),
            content_type: None,
        }
    }

    /// A form, `application/x-www-form-urlencoded`.
    pub fn form(pairs: &[(String, String)]) -> Self {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        Body {
            bytes: Bytes::from(encoded.into_bytes()),
            content_type: Some("application/x-www-form-urlencoded".into()),
        }
    }

    /// A JSON document, `application/json`.
    pub fn json(value: &serde_json::Value) -> Result<Self, HttpError> {
        let bytes = serde_json::to_vec(value).map_err(|e| HttpError::invalid(format!("cannot encode `json`: {e}")))?;
        Ok(Body {
            bytes: Bytes::from(bytes),
            content_type: Some("application/json".into()),
        })
    }
}

/// The method named `name`.
pub fn method(name: &str) -> Result<Method, HttpError> {
    Method::from_bytes(name.as_bytes()).map_err(|_| HttpError::invalid(format!("invalid HTTP method `{name}`")))
}

/// An absolute URL.
pub fn parse_url(text: &str) -> Result<Url, HttpError> {
    Url::parse(text).map_err(|e| HttpError::invalid(format!("invalid URL `{text}`: {e}")))
}

/// A relative URL resolved against `base` (RFC 3986 reference resolution, as the original's
/// `urljoin`).
pub fn join_url(base: &str, relative: &str) -> Result<Url, HttpError> {
    let base = Url::parse(base).map_err(|e| HttpError::invalid(format!("invalid base_url `{base}`: {e}")))?;
    base.join(relative)
        .map_err(|e| HttpError::invalid(format!("cannot join `{relative}` to `{base}`: {e}")))
}
