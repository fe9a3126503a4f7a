//! `config.http_client: reqwest`: each hop sent with reqwest over rustls. reqwest's own redirect
//! following and cookie store are off (`redirect::Policy::none()`, no cookie provider), and so is its
//! timeout: the client does those for every transport. Retries are off too (a load tool must see every
//! failure).
//!
//! The same module builds the reqwest clients that plugins get
//! ([`PluginContext::http`](crate::activity::plugin::PluginContext::http)); a plugin talks to reqwest
//! directly, so its client keeps reqwest's own redirects and shares the session's jar as its cookie
//! store.

use super::{Exchange, Transport};
use crate::check::response_headers;
use crate::http::body::BodySink;
use crate::http::cookies::Jar;
use crate::http::error::{HttpError, with_causes};
use crate::http::headers::{Hop, header_map};
use crate::http::tls::{ClientError, TlsConfigs, is_tls};
use std::sync::{Arc, OnceLock};

/// A session's reqwest clients, built on first use: the one that verifies certificates and the one
/// that does not.
#[derive(Debug)]
pub(crate) struct Clients {
    tls: TlsConfigs,
    keep_alive: bool,
    /// For plugins: reqwest's redirects, and the session's jar as its cookie store.
    plugin: Option<Arc<Jar>>,
    verifying: OnceLock<reqwest::Client>,
    insecure: OnceLock<reqwest::Client>,
}

impl Clients {
    /// No client yet: for the transport when `plugin` is `None`, else for plugins, with this jar.
    pub(crate) fn new(tls: TlsConfigs, keep_alive: bool, plugin: Option<Arc<Jar>>) -> Self {
        Clients {
            tls,
            keep_alive,
            plugin,
            verifying: OnceLock::new(),
            insecure: OnceLock::new(),
        }
    }

    /// The client that verifies certificates, or the one that does not.
    pub(crate) fn get(&self, verify: bool, user_agent: &str) -> Result<&reqwest::Client, ClientError> {
        let cell = if verify { &self.verifying } else { &self.insecure };
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(rustls::ClientConfig::clone(self.tls.config(verify)))
            .retry(reqwest::retry::never());
        builder = match &self.plugin {
            Some(jar) => builder.cookie_provider(jar.clone()).user_agent(user_agent),
            // The hop's header fields carry `User-Agent`, `Accept` and `Cookie`.
            None => builder.redirect(reqwest::redirect::Policy::none()),
        };
        builder = if self.tls.http2 {
            builder.http2_prior_knowledge()
        } else {
            builder.http1_only()
        };
        if !self.keep_alive {
            builder = builder.pool_max_idle_per_host(0);
        }
        let client = builder.build()?;
        Ok(cell.get_or_init(|| client))
    }
}

/// The reqwest transport of one session.
#[derive(Debug)]
pub(crate) struct Reqwest(Clients);

impl Reqwest {
    /// No client yet.
    pub(crate) fn new(tls: TlsConfigs, keep_alive: bool) -> Self {
        Reqwest(Clients::new(tls, keep_alive, None))
    }
}

impl Transport for Reqwest {
    /// Sends a hop with reqwest and reads the response, keeping as much of the body as the request's
    /// `body_limit` allows.
    async fn exchange(&self, hop: &Hop<'_>) -> Result<Exchange, HttpError> {
        let p = hop.request;
        let client = self
            .0
            .get(p.verify, hop.user_agent)
            .map_err(|e| HttpError::connect(e.to_string()))?;
        let head_request = p.method == reqwest::Method::HEAD;
        // hyper writes `Host` and `Content-Length` itself (and knows HTTP/2 has no `Host`).
        let headers = header_map(hop, |name, _| {
            name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length")
        })?;
        let mut builder = client.request(p.method.clone(), hop.url.clone()).headers(headers);
        if let Some(body) = &p.body {
            builder = builder.body(body.bytes.clone());
        }
        let mut resp = builder.send().await.map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        strict_framing(&resp, head_request)?;
        let headers = response_headers(resp.headers());
        // The declared length is checked before any of the body is read; hyper has checked its syntax.
        if let Some(length) = resp.content_length() {
            p.body_limit.check_length(length)?;
        }
        let capacity = usize::try_from(resp.content_length().unwrap_or(0)).unwrap_or(usize::MAX);
        let mut body = BodySink::new(p.body_limit, capacity);
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(&e))? {
            body.push(&chunk)?;
        }
        Ok(Exchange::read(status, headers, body))
    }
}

/// The framing rule the lean transport enforces and hyper does not: a response with a body whose head
/// has both `Transfer-Encoding` and `Content-Length` is invalid (`h1/framing.rs`).
fn strict_framing(resp: &reqwest::Response, head_request: bool) -> Result<(), HttpError> {
    let h = resp.headers();
    super::h1::framing::check_hyper_head(
        resp.status().as_u16(),
        head_request,
        resp.version() == reqwest::Version::HTTP_10,
        h.contains_key(reqwest::header::TRANSFER_ENCODING),
        h.contains_key(reqwest::header::CONTENT_LENGTH),
    )
    .map_err(|why| {
        HttpError::protocol(format!(
            "error reading a response from {}: invalid HTTP response: {why}",
            resp.url()
        ))
    })
}

/// A failed reqwest exchange, described with its root cause (reqwest's own message alone says
/// little: "error sending request").
fn transport_error(err: &reqwest::Error) -> HttpError {
    let message = with_causes(err);
    if is_tls(err) {
        HttpError::tls(message)
    } else {
        HttpError::connect(message)
    }
}
