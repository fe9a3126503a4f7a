//! HTTP/2 (`config.http_version: 2`) on the lean path: the `h2` crate's client driven directly, one
//! connection per session and origin that every request of the session shares (so the concurrent
//! requests of a `StaticRequests` are multiplexed on it), over the same TLS (ALPN `h2`) or plain TCP
//! (prior knowledge) as HTTP/1.1. Redirects, cookies, auth, timeouts, body limits and checks are the
//! lean path's (`mod.rs`); only the exchange differs. Each connection runs in a task of its own, which
//! HTTP/2's multiplexing and flow control need; a request is sent and its response read by the
//! session's task itself, without hyper's dispatch channel and per-request task between the two.

use super::request::{self, Check};
use super::wire::Exchange;
use super::{LeanClient, Origin, connect, connect_error};
use crate::activity::body::{BodyLimit, BodySink};
use crate::activity::error::{ActivityError, ErrorClass};
use crate::activity::http::Prepared;
use bytes::Bytes;
use h2::client::SendRequest;
use http::header::{HeaderName, HeaderValue};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use url::Url;

/// An open HTTP/2 connection and where it goes.
struct H2Conn {
    host: String,
    port: u16,
    security: super::Security,
    sender: SendRequest<Bytes>,
    /// Set when the connection's task ended (the server closed it, or it failed).
    closed: Arc<AtomicBool>,
}

/// A session's HTTP/2 connections, one per origin.
#[derive(Default)]
pub struct H2Pool {
    // A plain lock held only to find or add a connection, never across an await.
    conns: Mutex<Vec<H2Conn>>,
    // Held while a connection is opened: a session's concurrent first requests wait for it and share
    // the one connection instead of opening one each.
    opening: tokio::sync::Mutex<()>,
}

impl H2Pool {
    fn find(&self, origin: Origin<'_>) -> Option<SendRequest<Bytes>> {
        let mut conns = self.conns.lock().unwrap_or_else(PoisonError::into_inner);
        conns.retain(|c| !c.closed.load(Ordering::Acquire));
        conns
            .iter()
            .find(|c| c.host == origin.host && c.port == origin.port && c.security == origin.security)
            .map(|c| c.sender.clone())
    }
}

// hyper's HTTP/2 client defaults, which this path used before it drove `h2` itself: windows large
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

/// One request and its response on the origin's HTTP/2 connection.
pub(super) async fn exchange(
    pool: &H2Pool,
    p: &Prepared,
    url: &Url,
    referer: Option<&Url>,
    origin: Origin<'_>,
    client: &LeanClient<'_>,
    limit: BodyLimit,
) -> Result<Exchange, ActivityError> {
    let request = build(p, url, referer, client)?;
    let body = p
        .body
        .as_ref()
        .map_or_else(Bytes::new, |(b, _)| Bytes::copy_from_slice(b));
    let sender = sender(pool, origin, client).await?;
    let mut sender = sender.ready().await.map_err(h2_error)?;
    let (response, stream) = sender.send_request(request, body.is_empty()).map_err(h2_error)?;
    let response = if body.is_empty() {
        response.await
    } else {
        // The body is sent while the response is awaited: a server may answer (and reset the stream)
        // before it has read it all.
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
    let is_head = p.method == http::Method::HEAD;
    let length = head
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // A 304 declares the length of a body it does not have (and nothing has one for a HEAD).
    if let Some(n) = length.filter(|_| super::framing::has_body(status, is_head)) {
        limit.check_length(n).map_err(|t| t.error())?;
    }
    let mut body = BodySink::new(limit, usize::try_from(length.unwrap_or(0)).unwrap_or(usize::MAX));
    while let Some(data) = incoming.data().await {
        let data = data.map_err(h2_error)?;
        // What was read frees the window for more (the stream's and the connection's).
        let _ = incoming.flow_control().release_capacity(data.len());
        body.push(&data).map_err(|t| t.error())?;
    }
    let (body, received) = body.finish();
    Ok(Exchange {
        status,
        headers,
        body,
        received,
        keep_alive: client.keep_alive,
    })
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

/// The origin's connection, opened now if there is none (or it closed); without keep-alive, a new
/// one that is not kept.
async fn sender(
    pool: &H2Pool,
    origin: Origin<'_>,
    client: &LeanClient<'_>,
) -> Result<SendRequest<Bytes>, ActivityError> {
    if !client.keep_alive {
        return open(origin, client).await.map(|(sender, _)| sender);
    }
    if let Some(sender) = pool.find(origin) {
        return Ok(sender);
    }
    let _opening = pool.opening.lock().await;
    if let Some(sender) = pool.find(origin) {
        return Ok(sender);
    }
    let (sender, closed) = open(origin, client).await?;
    pool.conns.lock().unwrap_or_else(PoisonError::into_inner).push(H2Conn {
        host: origin.host.to_owned(),
        port: origin.port,
        security: origin.security,
        sender: sender.clone(),
        closed,
    });
    Ok(sender)
}

async fn open(
    origin: Origin<'_>,
    client: &LeanClient<'_>,
) -> Result<(SendRequest<Bytes>, Arc<AtomicBool>), ActivityError> {
    let stream = connect(origin, client).await?;
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

/// The request head as `h2` takes it: the URL as `:scheme`, `:authority` and `:path`, the lean path's
/// header fields without those HTTP/2 leaves out. What hyper's HTTP/2 client did on top is done here
/// too, so the request on the wire stays the same: a `TE` other than `trailers` is left out, and
/// `Content-Length: 0` is sent with a method that defines a body (all but GET, HEAD, DELETE, CONNECT).
fn build(
    p: &Prepared,
    url: &Url,
    referer: Option<&Url>,
    client: &LeanClient<'_>,
) -> Result<http::Request<()>, ActivityError> {
    let uri: http::Uri = url[..url::Position::AfterQuery]
        .parse()
        .map_err(|e| connect_error(format!("invalid URL `{url}`: {e}")))?;
    let mut request = http::Request::new(());
    *request.method_mut() = p.method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = http::Version::HTTP_2;
    let headers = request.headers_mut();
    request::fields(p, url, referer, client, |name, value, check| {
        if NOT_IN_H2.iter().any(|n| name.eq_ignore_ascii_case(n))
            || (name.eq_ignore_ascii_case("te") && value != b"trailers")
        {
            return Ok(());
        }
        if check != Check::None && !request::valid_value(value) {
            return Err(request::invalid_value(name));
        }
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| connect_error(format!("invalid header name `{name}`: invalid HTTP header name")))?;
        let value = HeaderValue::from_bytes(value).map_err(|_| request::invalid_value(name))?;
        headers.append(header, value);
        Ok(())
    })?;
    let defines_body = !matches!(
        p.method,
        http::Method::GET | http::Method::HEAD | http::Method::DELETE | http::Method::CONNECT
    );
    if defines_body && !headers.contains_key(http::header::CONTENT_LENGTH) {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    Ok(request)
}

/// A failed HTTP/2 exchange: the stream or connection error `h2` reports, with its causes, worded as
/// hyper worded it.
fn h2_error(err: h2::Error) -> ActivityError {
    let (message, class) = match err.get_io() {
        Some(io) => (
            crate::activity::error::with_causes(io),
            if crate::activity::https::is_tls(io) {
                ErrorClass::Tls
            } else {
                ErrorClass::Connect
            },
        ),
        None => (crate::activity::error::with_causes(&err), ErrorClass::Connect),
    };
    ActivityError::new(class, format!("http2 error: {message}"))
}
