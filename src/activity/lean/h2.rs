//! HTTP/2 (`config.http_version: 2`) on the lean path: hyper's HTTP/2 client driven directly, one
//! connection per session and origin that every request of the session shares (so the concurrent
//! requests of a `StaticRequests` are multiplexed on it), over the same TLS (ALPN `h2`) or plain TCP
//! (prior knowledge) as HTTP/1.1. Redirects, cookies, auth, timeouts, body limits and checks are the
//! lean path's (`mod.rs`); only the exchange differs. hyper runs each connection in a task of its own,
//! which HTTP/2's multiplexing and flow control need.

use super::request::{self, Check};
use super::wire::Exchange;
use super::{LeanClient, Origin, connect, connect_error};
use crate::activity::body::{BodyLimit, BodySink};
use crate::activity::error::{ActivityError, ErrorClass};
use crate::activity::http::Prepared;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use url::Url;

/// An open HTTP/2 connection and where it goes.
struct H2Conn {
    host: String,
    port: u16,
    security: super::Security,
    sender: SendRequest<Full<Bytes>>,
}

/// A session's HTTP/2 connections, one per origin.
#[derive(Default)]
pub struct H2Pool {
    // An async lock: a request that finds no connection opens it while the others wait for it, so a
    // session's concurrent first requests share one connection instead of opening one each.
    conns: tokio::sync::Mutex<Vec<H2Conn>>,
}

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
    let mut sender = sender(pool, origin, client).await?;
    let response = sender.send_request(request).await.map_err(h2_error)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let head = p.method == http::Method::HEAD;
    let length = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // A 304 declares the length of a body it does not have (and nothing has one for a HEAD).
    if let Some(n) = length.filter(|_| super::framing::has_body(status, head)) {
        limit.check_length(n).map_err(|t| t.error())?;
    }
    let mut body = BodySink::new(limit, usize::try_from(length.unwrap_or(0)).unwrap_or(usize::MAX));
    let mut incoming = response.into_body();
    while let Some(frame) = incoming.frame().await {
        let frame = frame.map_err(h2_error)?;
        if let Some(data) = frame.data_ref() {
            body.push(data).map_err(|t| t.error())?;
        }
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

/// The origin's connection, opened now if there is none (or it closed); without keep-alive, a new
/// one that is not kept.
async fn sender(
    pool: &H2Pool,
    origin: Origin<'_>,
    client: &LeanClient<'_>,
) -> Result<SendRequest<Full<Bytes>>, ActivityError> {
    if !client.keep_alive {
        return open(origin, client).await;
    }
    let mut conns = pool.conns.lock().await;
    conns.retain(|c| !c.sender.is_closed());
    let found = conns
        .iter()
        .find(|c| c.host == origin.host && c.port == origin.port && c.security == origin.security);
    if let Some(c) = found {
        return Ok(c.sender.clone());
    }
    let sender = open(origin, client).await?;
    conns.push(H2Conn {
        host: origin.host.to_owned(),
        port: origin.port,
        security: origin.security,
        sender: sender.clone(),
    });
    Ok(sender)
}

async fn open(origin: Origin<'_>, client: &LeanClient<'_>) -> Result<SendRequest<Full<Bytes>>, ActivityError> {
    let stream = connect(origin, client).await?;
    let (sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .map_err(h2_error)?;
    // The connection task ends when the server closes it or when every sender is gone.
    tokio::spawn(connection);
    Ok(sender)
}

/// The request as hyper takes it: the URL as `:scheme`, `:authority` and `:path`, the lean path's
/// header fields without those HTTP/2 leaves out.
fn build(
    p: &Prepared,
    url: &Url,
    referer: Option<&Url>,
    client: &LeanClient<'_>,
) -> Result<http::Request<Full<Bytes>>, ActivityError> {
    let uri: http::Uri = url[..url::Position::AfterQuery]
        .parse()
        .map_err(|e| connect_error(format!("invalid URL `{url}`: {e}")))?;
    let mut builder = http::Request::builder()
        .method(p.method.clone())
        .uri(uri)
        .version(http::Version::HTTP_2);
    let headers = builder
        .headers_mut()
        .ok_or_else(|| connect_error("invalid request".into()))?;
    request::fields(p, url, referer, client, |name, value, check| {
        if NOT_IN_H2.iter().any(|n| name.eq_ignore_ascii_case(n)) {
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
    let body = p
        .body
        .as_ref()
        .map_or_else(Bytes::new, |(b, _)| Bytes::copy_from_slice(b));
    builder
        .body(Full::new(body))
        .map_err(|e| connect_error(format!("invalid request: {e}")))
}

/// A failed HTTP/2 exchange: the stream or connection error hyper reports, with its causes.
fn h2_error(err: hyper::Error) -> ActivityError {
    let message = crate::activity::error::with_causes(&err);
    let class = if crate::activity::https::is_tls(&err) {
        ErrorClass::Tls
    } else {
        ErrorClass::Connect
    };
    ActivityError::new(class, message)
}
