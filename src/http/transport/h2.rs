//! HTTP/2 (`config.http_version: 2`): the `h2` crate's client driven directly, one connection per
//! session and origin that every request of the session shares (so the concurrent requests of a
//! `StaticRequests` are multiplexed on it), over the same TLS (ALPN `h2`) or plain TCP (prior
//! knowledge) as HTTP/1.1. Each connection runs in a task of its own, which HTTP/2's multiplexing and
//! flow control need; a request is sent and its response read by the session's task itself, without
//! hyper's dispatch channel and per-request task between the two.
//!
//! A connection's life (RFC 9113):
//! - Over TLS, HTTP/2 is spoken only when ALPN agreed on `h2` (§3.3): otherwise the connection is
//!   dropped before its preface is sent, as a `tls` error that says so.
//! - After the server's GOAWAY, or a stream it refused, no new stream starts on the connection: it
//!   leaves the pool (its streams in flight finish) and the next request opens a new one.
//! - A request the server did not process is sent once more, on a new connection: one that could not
//!   start on the connection (nothing was sent), a stream above GOAWAY's last stream id (§6.8) and a
//!   stream reset with REFUSED_STREAM (§8.7). Any other failure stays an error: the server may have
//!   acted on the request.
//! - h2 keeps only the text of an I/O error, so a TLS failure after the handshake (a TLS 1.3 server
//!   refuses a missing client certificate with an alert on the first read) is noted as the connection's
//!   bytes are read, and its requests fail as `tls`, as on HTTP/1.1.

use super::stream::Stream;
use super::{Exchange, Origin, Transport, connect};
use crate::http::body::BodySink;
use crate::http::error::{HttpError, with_causes};
use crate::http::headers::{Hop, header_map};
use crate::http::tls::{TlsConfigs, is_tls};
use crate::http::transport::h1::wire::Io;
use bytes::Bytes;
use h2::Reason;
use h2::client::SendRequest;
use http::header::HeaderValue;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What the requests on a connection know of it.
#[derive(Debug, Default)]
struct ConnState {
    /// No new stream may start on it: its task ended (the server closed it, or it failed), or the
    /// server sent GOAWAY or refused a stream.
    retired: AtomicBool,
    /// The TLS failure that ended it, if TLS failed after the handshake.
    tls_failure: OnceLock<String>,
}

/// A connection a request can start a stream on.
#[derive(Clone)]
struct Conn {
    sender: SendRequest<Bytes>,
    state: Arc<ConnState>,
}

/// An open HTTP/2 connection and where it goes.
struct Pooled {
    host: String,
    port: u16,
    security: super::Security,
    conn: Conn,
}

/// The HTTP/2 transport of one session: its connections, one per origin.
pub(crate) struct H2 {
    // A plain lock held only to find or add a connection, never across an await.
    conns: Mutex<Vec<Pooled>>,
    // Held while a connection is opened: a session's concurrent first requests wait for it and share
    // the one connection instead of opening one each.
    opening: tokio::sync::Mutex<()>,
    keep_alive: bool,
    tls: TlsConfigs,
}

/// Why one attempt at an exchange failed.
enum Failed {
    /// The server did not process the request: it may be sent again, on another connection.
    Unprocessed(HttpError),
    /// Anything else: the server may have acted on the request.
    Error(HttpError),
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

    fn find(&self, origin: Origin<'_>) -> Option<Conn> {
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        // A retired connection leaves the pool: its streams in flight hold it until they end, and
        // then its task closes it.
        conns.retain(|c| !c.conn.state.retired.load(Ordering::Acquire));
        conns
            .iter()
            .find(|c| c.host == origin.host && c.port == origin.port && c.security == origin.security)
            .map(|c| c.conn.clone())
    }

    /// The origin's connection, opened now if there is none (or it was retired); without keep-alive,
    /// a new one that is not kept.
    async fn conn(&self, origin: Origin<'_>) -> Result<Conn, HttpError> {
        if !self.keep_alive {
            return self.open(origin).await;
        }
        if let Some(conn) = self.find(origin) {
            return Ok(conn);
        }
        let _opening = self.opening.lock().await;
        if let Some(conn) = self.find(origin) {
            return Ok(conn);
        }
        let conn = self.open(origin).await?;
        self.conns.lock().unwrap_or_else(PoisonError::into_inner).push(Pooled {
            host: origin.host.to_owned(),
            port: origin.port,
            security: origin.security,
            conn: conn.clone(),
        });
        Ok(conn)
    }

    async fn open(&self, origin: Origin<'_>) -> Result<Conn, HttpError> {
        let stream = connect(origin, &self.tls).await?;
        // Over TLS, HTTP/2 only by agreement (RFC 9113 §3.3): the connection is dropped before its
        // preface, and nothing of the request is sent.
        if let Some(alpn) = stream.alpn()
            && alpn != Some(&b"h2"[..])
        {
            let alpn = alpn.map_or_else(|| "none".into(), String::from_utf8_lossy);
            return Err(HttpError::tls(format!(
                "TLS handshake with {}:{}: the server did not agree to HTTP/2 (ALPN: {alpn})",
                origin.host, origin.port
            )));
        }
        let state = Arc::new(ConnState::default());
        let watched = Watched {
            stream,
            state: state.clone(),
        };
        let (sender, connection) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONN_WINDOW)
            .max_frame_size(MAX_FRAME_SIZE)
            .max_header_list_size(MAX_HEADER_LIST_SIZE)
            .max_send_buffer_size(MAX_SEND_BUFFER_SIZE)
            .enable_push(false)
            .handshake::<_, Bytes>(watched)
            .await
            .map_err(|e| h2_error(e, &state))?;
        let ended = state.clone();
        // The connection's task ends when the server closes it or when every sender is gone.
        tokio::spawn(async move {
            let _ = connection.await;
            ended.retired.store(true, Ordering::Release);
        });
        Ok(Conn { sender, state })
    }

    /// One attempt: a stream on the origin's connection and its whole response.
    async fn attempt(&self, hop: &Hop<'_>, origin: Origin<'_>) -> Result<Exchange, Failed> {
        let request = build(hop).map_err(Failed::Error)?;
        let body = hop.request.body.as_ref().map_or_else(Bytes::new, |b| b.bytes.clone());
        let conn = self.conn(origin).await.map_err(Failed::Error)?;
        // Until the stream is open, nothing of the request has gone out.
        let mut sender = conn.sender.clone().ready().await.map_err(|e| conn.unsent(e))?;
        let (response, stream) = sender
            .send_request(request, body.is_empty())
            .map_err(|e| conn.unsent(e))?;
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
        let (head, mut incoming) = response.map_err(|e| conn.unanswered(e))?.into_parts();
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
            limit.check_length(n).map_err(|t| Failed::Error(t.into()))?;
        }
        let mut body = BodySink::new(limit, usize::try_from(length.unwrap_or(0)).unwrap_or(usize::MAX));
        while let Some(data) = incoming.data().await {
            let data = data.map_err(|e| Failed::Error(conn.error(e)))?;
            // What was read frees the window for more (the stream's and the connection's).
            let _ = incoming.flow_control().release_capacity(data.len());
            body.push(&data).map_err(|t| Failed::Error(t.into()))?;
        }
        Ok(Exchange::read(status, headers, body))
    }
}

impl Conn {
    /// No new stream on this connection.
    fn retire(&self) {
        self.state.retired.store(true, Ordering::Release);
    }

    /// The error of a failed stream, retiring the connection when the server is done with it.
    fn error(&self, err: h2::Error) -> HttpError {
        if err.is_go_away() || refused(&err) {
            self.retire();
        }
        h2_error(err, &self.state)
    }

    /// A failure before the stream opened: nothing was sent, so the request may go again on another
    /// connection (unless TLS failed, which another connection would not change).
    fn unsent(&self, err: h2::Error) -> Failed {
        self.retire();
        let error = h2_error(err, &self.state);
        match self.state.tls_failure.get() {
            Some(_) => Failed::Error(error),
            None => Failed::Unprocessed(error),
        }
    }

    /// A failure while the response was awaited: the server did not process the stream when it was
    /// above GOAWAY's last stream id (the GOAWAY's error reaches only those streams, RFC 9113 §6.8) or
    /// refused it (§8.7).
    fn unanswered(&self, err: h2::Error) -> Failed {
        let unprocessed = (err.is_go_away() && err.is_remote()) || refused(&err);
        let error = self.error(err);
        if unprocessed {
            Failed::Unprocessed(error)
        } else {
            Failed::Error(error)
        }
    }
}

/// Whether the server reset a stream with REFUSED_STREAM: it did not process it.
fn refused(err: &h2::Error) -> bool {
    err.is_reset() && err.is_remote() && err.reason() == Some(Reason::REFUSED_STREAM)
}

impl Transport for H2 {
    /// One request and its response on the origin's HTTP/2 connection; a request the server did not
    /// process is sent once more, on a new connection.
    async fn exchange(&self, hop: &Hop<'_>) -> Result<Exchange, HttpError> {
        let origin = Origin::of(hop)?;
        match self.attempt(hop, origin).await {
            Ok(exchange) => Ok(exchange),
            Err(Failed::Error(e)) => Err(e),
            Err(Failed::Unprocessed(_)) => match self.attempt(hop, origin).await {
                Ok(exchange) => Ok(exchange),
                Err(Failed::Error(e) | Failed::Unprocessed(e)) => Err(e),
            },
        }
    }
}

/// A connection's stream, noting a TLS failure as the connection reads and writes: h2 keeps only the
/// text of an I/O error, not the rustls error behind it.
struct Watched {
    stream: Stream,
    state: Arc<ConnState>,
}

impl Watched {
    fn note<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(e)) = &poll
            && let Some(why) = Stream::tls_failure(e)
        {
            let _ = self.state.tls_failure.set(why);
        }
        poll
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        this.note(poll)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.note(poll)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_flush(cx);
        this.note(poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.stream).poll_shutdown(cx);
        this.note(poll)
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

/// A failed HTTP/2 exchange: the TLS failure that ended the connection, or the stream or
/// connection error `h2` reports, with its causes, worded as hyper worded it.
fn h2_error(err: h2::Error, state: &ConnState) -> HttpError {
    if let Some(why) = state.tls_failure.get() {
        return HttpError::tls(format!("TLS error: {why}"));
    }
    match err.get_io() {
        Some(io) if is_tls(io) => HttpError::tls(format!("http2 error: {}", with_causes(io))),
        Some(io) => HttpError::connect(format!("http2 error: {}", with_causes(io))),
        None => HttpError::protocol(format!("http2 error: {}", with_causes(&err))),
    }
}
