//! The transports a [`Client`](super::Client) sends hops over: each takes one request with its header
//! fields decided ([`Hop`]) and returns the whole response ([`Exchange`]), reusing its connections as
//! it sees fit. They know nothing of redirects, cookies, timeouts or the activity's defaults.
//!
//! - [`h1`]: HTTP/1.1 (`http://`, and `https://` with the `https` feature) on the session's own
//!   keep-alive connections, spoken by the session's own task;
//! - [`h2`]: HTTP/2 (`config.http_version: 2`, the `https` feature), the `h2` crate driven directly;
//! - [`reqwest`]: `config.http_client: reqwest` (the `https` feature), with reqwest's own redirects
//!   and cookies off.
//!
//! A session uses one of them ([`SessionTransport`]), chosen from `config` when the session starts.

pub(crate) mod h1;
#[cfg(feature = "https")]
pub(crate) mod h2;
#[cfg(feature = "https")]
pub(crate) mod reqwest;
pub(crate) mod stream;

use super::error::HttpError;
use super::headers::Hop;
use super::tls::TlsConfigs;
use stream::{ConnectError, Stream};

/// A complete response, as a transport read it.
#[derive(Debug)]
pub(crate) struct Exchange {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names as the transport gives them, values as text (invalid UTF-8
    /// replaced).
    pub headers: Vec<(String, String)>,
    /// The body as far as it was kept (transfer coding removed, content coding kept).
    pub body: Vec<u8>,
    /// Body bytes received, kept or not.
    pub received: u64,
}

impl Exchange {
    /// A response whose body was read into `body` (HTTP/1.1 reads its bodies by framing, `h1/wire.rs`).
    #[cfg(feature = "https")]
    pub(crate) fn read(status: u16, headers: Vec<(String, String)>, body: super::body::BodySink) -> Self {
        let (body, received) = body.finish();
        Exchange {
            status,
            headers,
            body,
            received,
        }
    }
}

/// One way of carrying hops to servers.
pub(crate) trait Transport {
    /// Sends one hop and reads its whole response, keeping of the body what the request's
    /// `body_limit` says.
    async fn exchange(&self, hop: &Hop<'_>) -> Result<Exchange, HttpError>;
}

/// The transport of one session.
pub(crate) enum SessionTransport {
    /// The lean HTTP/1.1 client.
    H1(h1::H1),
    /// The lean HTTP/2 client.
    #[cfg(feature = "https")]
    H2(h2::H2),
    /// reqwest.
    #[cfg(feature = "https")]
    Reqwest(reqwest::Reqwest),
}

impl SessionTransport {
    /// Sends one hop on this session's transport (a `match`, not a `dyn` call: no future is boxed on
    /// the hot path).
    pub(crate) async fn exchange(&self, hop: &Hop<'_>) -> Result<Exchange, HttpError> {
        match self {
            SessionTransport::H1(t) => t.exchange(hop).await,
            #[cfg(feature = "https")]
            SessionTransport::H2(t) => t.exchange(hop).await,
            #[cfg(feature = "https")]
            SessionTransport::Reqwest(t) => t.exchange(hop).await,
        }
    }
}

/// Where a connection goes: a TLS connection is only reused for requests that check certificates
/// the way it was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Security {
    Plain,
    Tls { verify: bool },
}

/// Where a hop goes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin<'a> {
    pub host: &'a str,
    pub port: u16,
    pub security: Security,
}

impl<'a> Origin<'a> {
    /// The origin of a hop's URL (whose scheme the client checked: `http` or `https`).
    pub(crate) fn of(hop: &Hop<'a>) -> Result<Self, HttpError> {
        let url = hop.url;
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(HttpError::connect(format!("URL `{url}` has no host")));
        };
        let security = match url.scheme() {
            "https" => Security::Tls {
                verify: hop.request.verify,
            },
            _ => Security::Plain,
        };
        Ok(Origin { host, port, security })
    }
}

/// Opens a lean connection to `origin`: TCP, and the TLS handshake for `https://`, offering `alpn`.
pub(crate) async fn connect(origin: Origin<'_>, tls: &TlsConfigs) -> Result<Stream, HttpError> {
    let Origin { host, port, security } = origin;
    let opened = match security {
        Security::Plain => stream::tcp(host, port)
            .await
            .map(Stream::Plain)
            .map_err(ConnectError::Tcp),
        #[cfg(feature = "https")]
        Security::Tls { verify } => stream::tls(host, port, tls.config(verify)).await,
        #[cfg(not(feature = "https"))]
        Security::Tls { .. } => {
            let _ = tls;
            Err(ConnectError::Tls(crate::features::missing("`https://` URLs", "https")))
        }
    };
    opened.map_err(|e| match e {
        ConnectError::Tcp(e) => HttpError::connect(format!(
            "error trying to connect to {host}:{port}: tcp connect error: {e}"
        )),
        ConnectError::Tls(why) => HttpError::tls(format!("TLS handshake with {host}:{port} failed: {why}")),
        ConnectError::NoProtocol(why) => HttpError::tls(format!(
            "TLS handshake with {host}:{port} failed: the server did not agree to {} ({why})",
            protocol(tls)
        )),
    })
}

/// The HTTP version the lean transports offer by ALPN.
fn protocol(tls: &TlsConfigs) -> &'static str {
    #[cfg(feature = "https")]
    if tls.http2 {
        return "HTTP/2";
    }
    let _ = tls;
    "HTTP/1.1"
}
