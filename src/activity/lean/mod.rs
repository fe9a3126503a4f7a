//! The lean path: HTTP/1.1 requests (`http://` and `https://`) sent on the session's own keep-alive
//! connections, by the session's own task (`wire.rs`), skipping reqwest's per-request machinery (pool checkout,
//! middleware stack, redirect and timeout layers) and hyper's connection task, which together
//! dominated stressor's CPU profile under load.
//!
//! It keeps the activity semantics of the reqwest path: the same default headers (`User-Agent`,
//! `Accept: */*`), basic auth, query parameters, bodies, the session's cookie jar (shared with the
//! reqwest client, so cookies flow between the two), redirects followed as reqwest follows them (at most
//! 10; 301/302/303 turn into a body-less GET, 307/308 keep method and body, credentials and cookies are
//! dropped when the origin changes, `Referer` is set), and the request timeout over the whole exchange.
//! `https://` is HTTP/1.1 over rustls (`stream.rs`, the `https` feature), with the run's TLS
//! configuration; without the feature, an `https://` URL or a redirect to one goes to the fallback
//! ([`Outcome::Fallback`]), which says which feature is missing. Connections are opened on demand, one
//! per concurrent request and origin (a session usually needs one), and kept until the server closes
//! them, or used once with `config.keep_alive: false`. With `config.http_version: 2`, the exchange is
//! the `h2` crate's client, driven by the session's task, on one connection per session and origin
//! (`h2.rs`); everything around it (redirects, cookies, auth, timeouts, body limits) stays as here.

pub(crate) mod framing;
#[cfg(feature = "https")]
pub(crate) mod h2;
mod request;
pub(crate) mod stream;
pub(crate) mod wire;

use super::body::BodyLimit;
use super::cookies::Jar;
use super::error::{ActivityError, ErrorClass};
use super::http::Prepared;
use crate::check::{Response, header_values};
use http::{HeaderValue, Method};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use stream::{ConnectError, Stream};
use url::Url;
use wire::{Conn, WireError};

/// Redirects followed before giving up (reqwest's default policy).
const MAX_REDIRECTS: usize = 10;

/// Where a connection goes: a TLS connection is only reused for requests that check certificates
/// the way it was checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    Tls { verify: bool },
}

/// An idle connection and where it goes.
struct Idle {
    host: String,
    port: u16,
    security: Security,
    conn: Conn<Stream>,
}

/// A session's idle keep-alive connections.
///
/// A connection is taken out for one exchange and put back after its response was read completely,
/// so concurrent requests of one session (StaticRequests) simply open more connections.
#[derive(Default)]
pub struct LeanPool {
    idle: Mutex<Vec<Idle>>,
}

impl std::fmt::Debug for LeanPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LeanPool")
    }
}

impl LeanPool {
    fn take(&self, host: &str, port: u16, security: Security) -> Option<Idle> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // Connections the server closed while idle are dropped here rather than tried and retried.
        idle.retain_mut(|i| i.conn.is_open());
        let i = idle
            .iter()
            .position(|i| i.host == host && i.port == port && i.security == security)?;
        Some(idle.swap_remove(i))
    }

    fn put(&self, idle: Idle) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(idle);
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
    speaks(&p.url)
}

/// Whether the lean path speaks a URL's scheme in this build.
fn speaks(url: &Url) -> bool {
    url.scheme() == "http" || (cfg!(feature = "https") && url.scheme() == "https")
}

/// Everything of a session the lean path needs.
pub struct LeanClient<'a> {
    /// The session's connections.
    pub pool: &'a LeanPool,
    /// The session's cookie jar.
    pub jar: &'a Arc<Jar>,
    /// The session's `User-Agent`.
    pub user_agent: &'a str,
    /// `config.keep_alive`.
    pub keep_alive: bool,
    /// The run's TLS configurations.
    pub tls: &'a crate::activity::TlsConfigs,
    /// The session's HTTP/2 connections, when it speaks HTTP/2 (`config.http_version: 2`).
    #[cfg(feature = "https")]
    pub h2: Option<&'a h2::H2Pool>,
}

impl LeanClient<'_> {
    /// The session's HTTP/2 connections when it speaks HTTP/2.
    #[cfg(feature = "https")]
    fn h2_pool(&self) -> Option<&h2::H2Pool> {
        self.h2
    }

    /// Without the `https` feature there is no HTTP/2.
    #[cfg(not(feature = "https"))]
    fn h2_pool(&self) -> Option<&()> {
        None
    }
}

/// Sends a prepared `http://` or `https://` request (HTTP/1.1, or HTTP/2 with `http_version: 2`) and
/// reads the whole response, following redirects.
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
    // The URL after query parameters or a redirect changed it; until then `p.url` is used as it is.
    let mut changed: Option<Url> = None;
    if !p.params.is_empty() {
        let mut url = p.url.clone();
        url.query_pairs_mut().extend_pairs(&p.params);
        changed = Some(url);
    }
    let mut referer: Option<Url> = None;
    for _ in 0..=MAX_REDIRECTS {
        let url = changed.as_ref().unwrap_or(&p.url);
        if !speaks(url) {
            if let Some(url) = changed {
                p.url = url;
            }
            p.params.clear();
            return Ok(Outcome::Fallback(p));
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(connect_error(format!("URL `{url}` has no host")));
        };
        let security = match url.scheme() {
            "https" => Security::Tls { verify: p.verify },
            _ => Security::Plain,
        };
        let origin = Origin { host, port, security };
        let response = match client.h2_pool() {
            #[cfg(feature = "https")]
            Some(pool) => h2::exchange(pool, &p, url, referer.as_ref(), origin, client, p.body_limit).await?,
            _ => {
                let request = request::serialize(&p, url, referer.as_ref(), client)?;
                let (idle, response) = exchange(&request, &p.method, origin, client, p.body_limit).await?;
                if response.keep_alive && client.keep_alive {
                    client.pool.put(idle);
                }
                response
            }
        };
        let cookies: Vec<HeaderValue> = header_values(&response.headers, "set-cookie")
            .filter_map(|v| HeaderValue::from_str(v).ok())
            .collect();
        if !cookies.is_empty() {
            client.jar.set_cookies(&mut cookies.iter(), url);
        }
        let location = header_values(&response.headers, "location")
            .next()
            .and_then(|l| url.join(l).ok());
        match (redirect_kind(response.status), location) {
            (Some(keep_body), Some(next)) => {
                if !keep_body {
                    if p.method != Method::HEAD {
                        p.method = Method::GET;
                    }
                    p.body = None;
                    p.headers.retain(|(n, _)| !is_body_header(n));
                }
                let same_origin = next.scheme() == url.scheme()
                    && next.host_str() == Some(host)
                    && next.port_or_known_default() == Some(port);
                if !same_origin {
                    p.auth = None;
                    p.headers.retain(|(n, _)| !is_sensitive(n));
                }
                referer = Some(url.clone());
                changed = Some(next);
            }
            _ => {
                return Ok(Outcome::Done(
                    Response::new(
                        url.as_str().to_owned(),
                        response.status,
                        response.headers,
                        response.body,
                        started.elapsed(),
                    )
                    .with_received(response.received),
                ));
            }
        }
    }
    let url = changed.as_ref().unwrap_or(&p.url);
    Err(connect_error(format!(
        "error following redirect for url ({url}): too many redirects"
    )))
}

/// `Some(keep method and body)` for a redirect status that is followed.
fn redirect_kind(status: u16) -> Option<bool> {
    match status {
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

fn wire_error(err: WireError) -> ActivityError {
    match err {
        WireError::TooLarge(t) => t.error(),
        WireError::Tls(why) => ActivityError::new(ErrorClass::Tls, format!("TLS error: {why}")),
        other => connect_error(other.message()),
    }
}

/// Where a request goes.
#[derive(Clone, Copy)]
struct Origin<'a> {
    host: &'a str,
    port: u16,
    security: Security,
}

/// One request/response exchange: on an idle connection to the origin if there is one, else on a new
/// one. When a reused connection turns out to have been closed by the server before any byte of the
/// response arrived, the request is sent once more on a new connection, but only if that cannot do
/// harm twice: its method is idempotent (RFC 9110 §9.2.2) or it could not even be written. Returns the
/// connection with the response, so the caller can keep it when the response allows.
async fn exchange(
    request: &[u8],
    method: &Method,
    origin: Origin<'_>,
    client: &LeanClient<'_>,
    limit: BodyLimit,
) -> Result<(Idle, wire::Exchange), ActivityError> {
    let head = *method == Method::HEAD;
    let reused = match client.keep_alive {
        true => client.pool.take(origin.host, origin.port, origin.security),
        false => None,
    };
    if let Some(mut idle) = reused {
        match idle.conn.exchange(request, head, limit).await {
            Ok(response) => return Ok((idle, response)),
            Err(WireError::Unsent(_)) => {}
            Err(WireError::ClosedEarly(_)) if method.is_idempotent() => {}
            Err(e) => return Err(wire_error(e)),
        }
    }
    let mut idle = Idle {
        host: origin.host.to_owned(),
        port: origin.port,
        security: origin.security,
        conn: Conn::over(connect(origin, client).await?),
    };
    match idle.conn.exchange(request, head, limit).await {
        Ok(response) => Ok((idle, response)),
        Err(e) => Err(wire_error(e)),
    }
}

/// Opens a connection to `origin`: TCP, and the TLS handshake for `https://`.
async fn connect(origin: Origin<'_>, client: &LeanClient<'_>) -> Result<Stream, ActivityError> {
    let Origin { host, port, security } = origin;
    let opened = match security {
        Security::Plain => stream::tcp(host, port)
            .await
            .map(Stream::Plain)
            .map_err(ConnectError::Tcp),
        #[cfg(feature = "https")]
        Security::Tls { verify } => stream::tls(host, port, client.tls.config(verify)).await,
        #[cfg(not(feature = "https"))]
        Security::Tls { .. } => {
            let _ = client;
            Err(ConnectError::Tls(crate::features::missing("`https://` URLs", "https")))
        }
    };
    opened.map_err(|e| match e {
        ConnectError::Tcp(e) => connect_error(format!(
            "error trying to connect to {host}:{port}: tcp connect error: {e}"
        )),
        ConnectError::Tls(why) => ActivityError::new(
            ErrorClass::Tls,
            format!("TLS handshake with {host}:{port} failed: {why}"),
        ),
    })
}

#[cfg(test)]
mod tests {
    //! Reusing a connection the server closed: a scripted server that answers the first request on
    //! a connection and closes it when the second arrives, as servers with an idle timeout do.

    use super::wire::tests::read_request;
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// Starts the scripted server; returns its port and the count of requests it answered.
    async fn closing_server() -> (u16, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let answered = Arc::new(AtomicUsize::new(0));
        let count = answered.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    if read_request(&mut s).await {
                        count.fetch_add(1, Ordering::SeqCst);
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
                    }
                    // The second request arrives and the connection is closed without an answer.
                    let _ = read_request(&mut s).await;
                });
            }
        });
        (port, answered)
    }

    fn prepared(method: Method, port: u16) -> Prepared {
        Prepared {
            method,
            url: Url::parse(&format!("http://127.0.0.1:{port}/x")).expect("url"),
            params: Vec::new(),
            headers: Vec::new(),
            body: None,
            auth: None,
            timeout: None,
            verify: true,
            body_limit: BodyLimit::keep(u64::MAX),
        }
    }

    async fn send_status(p: Prepared, client: &LeanClient<'_>) -> Result<u16, String> {
        match send(p, client).await {
            Ok(Outcome::Done(r)) => Ok(r.status),
            Ok(Outcome::Fallback(_)) => Err("fallback".into()),
            Err(e) => Err(e.message),
        }
    }

    #[tokio::test]
    async fn an_idempotent_request_is_sent_again_on_a_new_connection_and_a_post_is_not() {
        let (port, answered) = closing_server().await;
        let (pool, jar) = (LeanPool::default(), Arc::new(Jar::default()));
        let tls = crate::activity::TlsConfigs::new(&crate::scenario::Config::default()).expect("tls");
        let client = LeanClient {
            pool: &pool,
            jar: &jar,
            user_agent: "t",
            keep_alive: true,
            tls: &tls,
            #[cfg(feature = "https")]
            h2: None,
        };
        assert_eq!(send_status(prepared(Method::GET, port), &client).await, Ok(200));
        // The kept connection looks open (the server closes it only when the request arrives).
        assert_eq!(send_status(prepared(Method::GET, port), &client).await, Ok(200));
        assert_eq!(answered.load(Ordering::SeqCst), 2);
        // A POST is not repeated: it may have been acted on.
        let err = send_status(prepared(Method::POST, port), &client)
            .await
            .expect_err("closed");
        assert!(err.starts_with("connection closed") || err.contains("reset"), "{err}");
        assert_eq!(answered.load(Ordering::SeqCst), 2);
    }
}
