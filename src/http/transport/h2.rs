//! HTTP/2 (`config.http_version: 2`): the `h2` crate's client driven directly, one connection per
//! session and origin that every request of the session shares (so the concurrent requests of a
//! `StaticRequests` are multiplexed on it), over the same TLS (ALPN `h2`) or plain TCP (prior
//! knowledge) as HTTP/1.1. Each connection runs in a task of its own, which HTTP/2's multiplexing and
//! flow control need; a request is sent and its response read by the session's task itself, without
//! hyper's dispatch channel and per-request task between the two.

use super::{Exchange, Origin, Transport, connect};
use crate::http::body::BodySink;
use crate::http::error::{HttpError, with_causes};
use crate::http::headers::{Hop, header_map};
use crate::http::tls::{TlsConfigs, is_tls};
use bytes::Bytes;
use h2::client::SendRequest;
use http::header::HeaderValue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// An open HTTP/2 connection and where it goes.
struct H2Conn {
    host: String,
    port: u16,
    security: super::Security,
    sender: SendRequest<Bytes>,
    /// Set when the connection's task ended (the server closed it, or it failed).
    closed: Arc<AtomicBool>,
}

/// The HTTP/2 transport of one session: its connections, one per origin.
pub(crate) struct H2 {
    // A plain lock held only to find or add a connection, never across an await.
    conns: Mutex<Vec<H2Conn>>,
    // Held while a connection is opened: a session's concurrent first requests wait for it and share
    // the one connection instead of opening one each.
    opening: tokio::sync::Mutex<()>,
    keep_alive: bool,
    tls: TlsConfigs,
}

impl H2 {
    /// No connection yet.
    pub(crate) fn new(tls: TlsConfigs, keep_alive: bool) -> Self {
        H2 {
            conns: Mutex::default(),
            opening: tokio::sync::Mutex::default(),
            keep_alive,
            tls,
        }
    }

    fn find(&self, origin: Origin<'_>) -> Option<SendRequest<Bytes>> {
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        conns.retain(|c| !c.closed.load(Ordering::Acquire));
        conns
            .iter()
            .find(|c| c.host == origin.host && c.port == origin.port && c.security == origin.security)
            .map(|c| c.sender.clone())
    }

    /// The origin's connection, opened now if there is none (or it closed); without keep-alive, a new
    /// one that is not kept.
    async fn sender(&self, origin: Origin<'_>) -> Result<SendRequest<Bytes>, HttpError> {
        if !self.keep_alive {
            return self.open(origin).await.map(|(sender, _)| sender);
        }
        if let Some(sender) = self.find(origin) {
            return Ok(sender);
        }
        let _opening = self.opening.lock().await;
        if let Some(sender) = self.find(origin) {
            return Ok(sender);
        }
        let (sender, closed) = self.open(origin).await?;
        self.conns.lock().unwrap_or_else(PoisonError::into_inner).push(H2Conn {
            host: origin.host.to_owned(),
            port: origin.port,
            security: origin.security,
            sender: sender.clone(),
            closed,
        });
        Ok(sender)
    }

    async fn open(&self, origin: Origin<'_>) -> Result<(SendRequest<Bytes>, Arc<AtomicBool>), HttpError> {
        let stream = connect(origin, &self.tls).await?;
        let (sender, connection) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONN_WINDOW)
            .max_frame_size(MAX_FRAME_SIZE)
            .max_header_list_size(MAX_HEADER_LIST_SIZE)
            .max_send_buffer_size(MAX_SEND_BUFFER_SIZE)
            .enable_push(false)
            .handshake::<_, Bytes>(stream)
            .await
            .map_err(h2_error)?;
        let closed = Arc::new(AtomicBool::new(false));
        let done = closed.clone();
        // The connection's task ends when the server closes it or when every sender is gone.
        tokio::spawn(async move {
            let _ = connection.await;
            done.store(true, Ordering::Release);
        });
        Ok((sender, closed))
    }
}

// hyper's HTTP/2 client defaults, which this transport used before it drove `h2` itself: windows large
// enough that a response body never waits for a WINDOW_UPDATE, and the protocol's smallest frame size.
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONN_WINDOW: u32 = 5 * 1024 * 1024;
const MAX_FRAME_SIZE: u32 = 16 * 1024;
const MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;
const MAX_SEND_BUFFER_SIZE: usize = 1024 * 1024;

/// Headers HTTP/2 does not carry (RFC 9113 §8.2.2), and `Host`, which becomes `:authority`.
const NOT_IN_H2: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
];

impl Transport for H2 {
    /// One request and its response on the origin's HTTP/2 connection.
    async fn exchange(&self, hop: &Hop<'_>) -> Result<Exchange, HttpError> {
        let origin = Origin::of(hop)?;
        let request = build(hop)?;
        let body = hop.request.body.as_ref().map_or_else(Bytes::new, |b| b.bytes.clone());
        let sender = self.sender(origin).await?;
        let mut sender = sender.ready().await.map_err(h2_error)?;
        let (response, stream) = sender.send_request(request, body.is_empty()).map_err(h2_error)?;
        let response = if body.is_empty() {
            response.await
        } else {
            // The body is sent while the response is awaited: a server may answer (and reset the
            // stream) before it has read it all.
            let send = send_body(stream, body);
            tokio::pin!(response, send);
            tokio::select! {
                biased;
                r = &mut response => r,
                _ = &mut send => response.await,
            }
        };
        let (head, mut incoming) = response.map_err(h2_error)?.into_parts();
        let status = head.status.as_u16();
        let headers = head
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let is_head = hop.request.method == http::Method::HEAD;
        let length = head
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let limit = hop.request.body_limit;
        // A 304 declares the length of a body it does not have (and nothing has one for a HEAD).
        if let Some(n) = length.filter(|_| super::h1::framing::has_body(status, is_head)) {
            limit.check_length(n)?;
        }
        let mut body = BodySink::new(limit, usize::try_from(length.unwrap_or(0)).unwrap_or(usize::MAX));
        while let Some(data) = incoming.data().await {
            let data = data.map_err(h2_error)?;
            // What was read frees the window for more (the stream's and the connection's).
            let _ = incoming.flow_control().release_capacity(data.len());
            body.push(&data)?;
        }
        let (body, received) = body.finish();
        Ok(Exchange {
            status,
            headers,
            body,
            received,
        })
    }
}

/// Sends a request body as the peer's flow-control windows allow.
async fn send_body(mut stream: h2::SendStream<Bytes>, mut body: Bytes) -> Result<(), h2::Error> {
    while !body.is_empty() {
        stream.reserve_capacity(body.len());
        let granted = match std::future::poll_fn(|cx| stream.poll_capacity(cx)).await {
            Some(granted) => granted?,
            // The stream ended (the response's error says why).
            None => return Ok(()),
        };
        let chunk = body.split_to(granted.min(body.len()));
        stream.send_data(chunk, body.is_empty())?;
    }
    Ok(())
}

/// The request head as `h2` takes it: the URL as `:scheme`, `:authority` and `:path`, the hop's
/// header fields without those HTTP/2 leaves out. What hyper's HTTP/2 client did on top is done here
/// too, so the request on the wire stays the same: a `TE` other than `trailers` is left out, and
/// `Content-Length: 0` is sent with a method that defines a body (all but GET, HEAD, DELETE, CONNECT).
fn build(hop: &Hop<'_>) -> Result<http::Request<()>, HttpError> {
    let url = hop.url;
    let uri: http::Uri = url[..url::Position::AfterQuery]
        .parse()
        .map_err(|e| HttpError::invalid(format!("invalid URL `{url}`: {e}")))?;
    let mut request = http::Request::new(());
    *request.method_mut() = hop.request.method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = http::Version::HTTP_2;
    *request.headers_mut() = header_map(hop, |name, value| {
        NOT_IN_H2.iter().any(|n| name.eq_ignore_ascii_case(n))
            || (name.eq_ignore_ascii_case("te") && value != b"trailers")
    })?;
    let defines_body = !matches!(
        hop.request.method,
        http::Method::GET | http::Method::HEAD | http::Method::DELETE | http::Method::CONNECT
    );
    let headers = request.headers_mut();
    if defines_body && !headers.contains_key(http::header::CONTENT_LENGTH) {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    Ok(request)
}

/// A failed HTTP/2 exchange: the stream or connection error `h2` reports, with its causes, worded as
/// hyper worded it.
fn h2_error(err: h2::Error) -> HttpError {
    let (message, tls) = match err.get_io() {
        Some(io) => (with_causes(io), is_tls(io)),
        None => (with_causes(&err), false),
    };
    let message = format!("http2 error: {message}");
    match (tls, err.get_io()) {
        (true, _) => HttpError::tls(message),
        (false, Some(_)) => HttpError::connect(message),
        (false, None) => HttpError::protocol(message),
    }
}
