//! The lean HTTP/1.1 path: plain `http://` requests sent on the session's own keep-alive connections
//! with hyper's `client::conn`, skipping reqwest's per-request machinery (pool checkout, middleware
//! stack, redirect and timeout layers) that dominated stressor's CPU profile under load.
//!
//! It keeps the activity semantics of the reqwest path: the same default headers (`User-Agent`,
//! `Accept: */*`), basic auth, query parameters, bodies, the session's cookie jar (shared with the
//! reqwest client, so cookies flow between the two), redirects followed as reqwest follows them (at most
//! 10; 301/302/303 turn into a body-less GET, 307/308 keep method and body, credentials and cookies are
//! dropped when the origin changes, `Referer` is set), and the request timeout over the whole exchange.
//! What it does not do is TLS: an `https://` URL, or a redirect to one, goes through reqwest
//! ([`Outcome::Fallback`]). Connections are opened on demand, one per concurrent request and origin
//! (a session usually needs one), and kept until the server closes them.

use super::error::{ActivityError, ErrorClass};
use super::http::Prepared;
use crate::check::{Response, response_headers};
use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use reqwest::Url;
use reqwest::cookie::{CookieStore, Jar};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// Redirects followed before giving up (reqwest's default policy).
const MAX_REDIRECTS: usize = 10;

/// Where a connection goes: host and port (the scheme is always `http`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    host: String,
    port: u16,
}

impl Origin {
    fn of(url: &Url) -> Option<Origin> {
        Some(Origin {
            host: url.host_str()?.to_string(),
            port: url.port_or_known_default()?,
        })
    }
}

struct Conn {
    origin: Origin,
    sender: SendRequest<Full<Bytes>>,
}

/// A session's idle keep-alive connections.
///
/// A connection is taken out for one exchange and put back after its body was read completely, so
/// concurrent requests of one session (StaticRequests) simply open more connections.
#[derive(Default)]
pub struct LeanPool {
    idle: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for LeanPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeanPool")
    }
}

impl LeanPool {
    fn take(&self, origin: &Origin) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // Connections the server closed are dropped here rather than tried and retried.
        idle.retain(|c| !c.sender.is_closed());
        let i = idle.iter().position(|c| &c.origin == origin)?;
        Some(idle.swap_remove(i))
    }

    fn put(&self, conn: Conn) {
        if !conn.sender.is_closed() {
            self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
        }
    }
}

/// What the lean path made of a request.
pub enum Outcome {
    /// The final response.
    Done(Response),
    /// The request (or a redirect it led to) needs TLS: send this one with reqwest.
    Fallback(Prepared),
}

/// Whether a request can start on the lean path.
pub fn handles(p: &Prepared) -> bool {
    p.url.scheme() == "http"
}

/// Everything of a session the lean path needs.
pub struct LeanClient<'a> {
    /// The session's connections.
    pub pool: &'a LeanPool,
    /// The session's cookie jar.
    pub jar: &'a Arc<Jar>,
    /// The session's `User-Agent`.
    pub user_agent: &'a str,
}

/// Sends a prepared `http://` request and reads the whole response, following redirects.
pub async fn send(p: Prepared, client: &LeanClient<'_>) -> Result<Outcome, ActivityError> {
    let timeout = p.timeout;
    let exchange = follow(p, client);
    match timeout {
        None => exchange.await,
        Some(t) => tokio::time::timeout(t, exchange).await.unwrap_or_else(|_| {
            Err(ActivityError::new(
                ErrorClass::Timeout,
                format!(
                    "request timed out (timeout {}): operation timed out",
                    crate::scenario::duration::format_duration(t)
                ),
            ))
        }),
    }
}

async fn follow(mut p: Prepared, client: &LeanClient<'_>) -> Result<Outcome, ActivityError> {
    let started = Instant::now();
    let mut url = p.url.clone();
    if !p.params.is_empty() {
        url.query_pairs_mut().extend_pairs(&p.params);
    }
    let mut referer: Option<Url> = None;
    for _ in 0..=MAX_REDIRECTS {
        if url.scheme() != "http" {
            p.url = url;
            p.params.clear();
            return Ok(Outcome::Fallback(p));
        }
        let origin = Origin::of(&url).ok_or_else(|| connect_error(format!("URL `{url}` has no host")))?;
        let request = build(&p, &url, referer.as_ref(), &origin, client)?;
        let response = exchange(request, &origin, client.pool).await?;
        let mut cookies = response.headers().get_all(header::SET_COOKIE).iter();
        client.jar.set_cookies(&mut cookies, &url);
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url.join(l).ok());
        match (redirect_kind(status), location) {
            (Some(keep_body), Some(next)) => {
                // Read the redirect's body so the connection can carry the next request.
                let _ = read_body(response, client.pool).await;
                if !keep_body {
                    if p.method != Method::HEAD {
                        p.method = Method::GET;
                    }
                    p.body = None;
                    p.headers.retain(|(n, _)| !is_body_header(n));
                }
                if Origin::of(&next) != Some(origin) || next.scheme() != url.scheme() {
                    p.auth = None;
                    p.headers.retain(|(n, _)| !is_sensitive(n));
                }
                referer = Some(url);
                url = next;
            }
            _ => {
                let headers = response_headers(response.headers());
                let body = read_body(response, client.pool).await?;
                let url = url.to_string();
                return Ok(Outcome::Done(Response::new(
                    url,
                    status.as_u16(),
                    headers,
                    body,
                    started.elapsed(),
                )));
            }
        }
    }
    Err(connect_error(format!(
        "error following redirect for url ({url}): too many redirects"
    )))
}

/// `Some(keep method and body)` for a redirect status that is followed.
fn redirect_kind(status: StatusCode) -> Option<bool> {
    match status.as_u16() {
        301..=303 => Some(false),
        307 | 308 => Some(true),
        _ => None,
    }
}

fn is_body_header(name: &str) -> bool {
    [
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

fn is_sensitive(name: &str) -> bool {
    ["authorization", "cookie", "proxy-authorization", "www-authenticate"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

fn connect_error(message: String) -> ActivityError {
    ActivityError::new(ErrorClass::Connect, message)
}

fn build(
    p: &Prepared,
    url: &Url,
    referer: Option<&Url>,
    origin: &Origin,
    client: &LeanClient<'_>,
) -> Result<Request<Full<Bytes>>, ActivityError> {
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let host = match url.port() {
        Some(port) => format!("{}:{port}", origin.host),
        None => origin.host.clone(),
    };
    let mut builder = Request::builder().method(p.method.clone()).uri(target);
    let headers = builder
        .headers_mut()
        .ok_or_else(|| connect_error(format!("invalid URL `{url}`")))?;
    for (name, value) in &p.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| connect_error(format!("invalid header name `{name}`: {e}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| connect_error(format!("invalid value of header `{name}`: {e}")))?;
        headers.append(name, value);
    }
    // As reqwest: the defaults apply only where the activity did not give the header itself.
    let defaults = [
        (header::HOST, HeaderValue::from_str(&host)),
        (header::USER_AGENT, HeaderValue::from_str(client.user_agent)),
        (header::ACCEPT, Ok(HeaderValue::from_static("*/*"))),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            let value = value.map_err(|e| connect_error(format!("invalid value of header `{name}`: {e}")))?;
            headers.insert(name, value);
        }
    }
    if let Some((_, Some(ct))) = &p.body
        && !headers.contains_key(header::CONTENT_TYPE)
    {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if let Some((user, password)) = &p.auth {
        use base64::Engine as _;
        let plain = format!("{user}:{}", password.as_deref().unwrap_or(""));
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(plain));
        let mut value =
            HeaderValue::from_str(&value).map_err(|e| connect_error(format!("invalid basic auth credentials: {e}")))?;
        value.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, value);
    }
    if let Some(r) = referer {
        let mut r = r.clone();
        r.set_fragment(None);
        let _ = r.set_username("");
        let _ = r.set_password(None);
        if let Ok(v) = HeaderValue::from_str(r.as_str()) {
            headers.insert(header::REFERER, v);
        }
    }
    if !headers.contains_key(header::COOKIE)
        && let Some(cookies) = client.jar.cookies(url)
    {
        headers.insert(header::COOKIE, cookies);
    }
    let body = p
        .body
        .as_ref()
        .map_or_else(Bytes::new, |(b, _)| Bytes::copy_from_slice(b));
    builder
        .body(Full::new(body))
        .map_err(|e| connect_error(format!("cannot build the request to `{url}`: {e}")))
}

/// One request/response exchange: on an idle connection to the origin if there is one, else on a new
/// one. A request that a reused connection could not even start to send (the server had closed it) is
/// sent once more on a new connection, as hyper-util's pool does; anything sent is never repeated.
async fn exchange(
    request: Request<Full<Bytes>>,
    origin: &Origin,
    pool: &LeanPool,
) -> Result<hyper::Response<(Conn, hyper::body::Incoming)>, ActivityError> {
    let (reused, mut conn) = match pool.take(origin) {
        Some(c) => (true, c),
        None => (false, connect(origin).await?),
    };
    let request = match conn.sender.try_send_request(request).await {
        Ok(resp) => return Ok(resp.map(|b| (conn, b))),
        Err(mut e) => match e.take_message() {
            Some(req) if reused => req,
            _ => return Err(hyper_error(e.error())),
        },
    };
    let mut conn = connect(origin).await?;
    match conn.sender.send_request(request).await {
        Ok(resp) => Ok(resp.map(|b| (conn, b))),
        Err(e) => Err(hyper_error(&e)),
    }
}

async fn connect(origin: &Origin) -> Result<Conn, ActivityError> {
    let tcp = tokio::net::TcpStream::connect((origin.host.as_str(), origin.port))
        .await
        .map_err(|e| {
            connect_error(format!(
                "error trying to connect to {}:{}: tcp connect error: {e}",
                origin.host, origin.port
            ))
        })?;
    // As reqwest: small requests must not wait for Nagle's algorithm.
    let _ = tcp.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await.map_err(|e| hyper_error(&e))?;
    // The connection task ends when the server closes it or when the sender is dropped.
    tokio::spawn(connection);
    Ok(Conn {
        origin: origin.clone(),
        sender,
    })
}

/// Reads the whole body, then gives the connection back to the pool for the session's next request.
async fn read_body(
    response: hyper::Response<(Conn, hyper::body::Incoming)>,
    pool: &LeanPool,
) -> Result<Vec<u8>, ActivityError> {
    let (conn, body) = response.into_body();
    let bytes = body.collect().await.map_err(|e| hyper_error(&e))?.to_bytes();
    pool.put(conn);
    Ok(Vec::from(bytes))
}

/// A hyper error with its causes.
fn hyper_error(err: &hyper::Error) -> ActivityError {
    connect_error(super::error::with_causes(err))
}
