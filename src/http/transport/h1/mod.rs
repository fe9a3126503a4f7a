//! HTTP/1.1 on the session's own keep-alive connections, spoken by the session's own task
//! (`wire.rs`): no reqwest per-request machinery (pool checkout, middleware stack, redirect and
//! timeout layers) and no hyper connection task, which together dominated stressor's CPU profile
//! under load.
//!
//! `https://` is HTTP/1.1 over rustls (`transport/stream.rs`, the `https` feature), with the run's TLS
//! configuration. Connections are opened on demand, one per concurrent request and origin (a session
//! usually needs one), and kept until the server closes them, or used once with
//! `config.keep_alive: false`.

pub(crate) mod framing;
pub(crate) mod wire;

use super::stream::Stream;
use super::{Exchange, Origin, Security, Transport, connect};
use crate::http::error::HttpError;
use crate::http::headers::{Check, Hop, check_value, invalid_name, is_token};
use crate::http::tls::TlsConfigs;
use http::Method;
use std::sync::{Mutex, PoisonError};
use wire::{Conn, WireError};

/// An idle connection and where it goes.
struct Idle {
    host: String,
    port: u16,
    security: Security,
    conn: Conn<Stream>,
}

/// The HTTP/1.1 transport of one session: its idle keep-alive connections.
///
/// A connection is taken out for one exchange and put back after its response was read completely,
/// so concurrent requests of one session (StaticRequests) simply open more connections.
pub(crate) struct H1 {
    idle: Mutex<Vec<Idle>>,
    keep_alive: bool,
    tls: TlsConfigs,
}

impl H1 {
    /// No connection yet.
    pub(crate) fn new(tls: TlsConfigs, keep_alive: bool) -> Self {
        H1 {
            idle: Mutex::default(),
            keep_alive,
            tls,
        }
    }

    fn take(&self, origin: Origin<'_>) -> Option<Idle> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        // Connections the server closed while idle are dropped here rather than tried and retried.
        idle.retain_mut(|i| i.conn.is_open());
        let i = idle
            .iter()
            .position(|i| i.host == origin.host && i.port == origin.port && i.security == origin.security)?;
        Some(idle.swap_remove(i))
    }

    fn put(&self, idle: Idle) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(idle);
    }
}

impl Transport for H1 {
    /// One request/response exchange: on an idle connection to the origin if there is one, else on a
    /// new one. When a reused connection turns out to have been closed by the server before any byte
    /// of the response arrived, the request is sent once more on a new connection, but only if that
    /// cannot do harm twice: its method is idempotent (RFC 9110 §9.2.2) or it could not even be
    /// written. The connection is kept when the response allows.
    async fn exchange(&self, hop: &Hop<'_>) -> Result<Exchange, HttpError> {
        let origin = Origin::of(hop)?;
        let request = serialize(hop, self.keep_alive)?;
        let method = &hop.request.method;
        let head = *method == Method::HEAD;
        let limit = hop.request.body_limit;
        let reused = match self.keep_alive {
            true => self.take(origin),
            false => None,
        };
        let mut answered = None;
        if let Some(mut idle) = reused {
            match idle.conn.exchange(&request, head, limit).await {
                Ok(response) => answered = Some((idle, response)),
                Err(WireError::Unsent(_)) => {}
                Err(WireError::ClosedEarly(_)) if method.is_idempotent() => {}
                Err(e) => return Err(wire_error(e)),
            }
        }
        let (idle, response) = match answered {
            Some(done) => done,
            None => {
                let mut idle = Idle {
                    host: origin.host.to_owned(),
                    port: origin.port,
                    security: origin.security,
                    conn: Conn::over(connect(origin, &self.tls).await?),
                };
                let response = idle.conn.exchange(&request, head, limit).await.map_err(wire_error)?;
                (idle, response)
            }
        };
        if response.keep_alive && self.keep_alive {
            self.put(idle);
        }
        Ok(response.response)
    }
}

/// What a failed HTTP/1.1 exchange was.
fn wire_error(err: WireError) -> HttpError {
    match err {
        WireError::TooLarge(t) => t.into(),
        WireError::Tls(why) => HttpError::tls(format!("TLS error: {why}")),
        WireError::Invalid(why) => HttpError::protocol(why),
        other => HttpError::connect(other.message()),
    }
}

/// The request line, header fields ([`Hop::fields`]) and body of one HTTP/1.1 request.
pub(crate) fn serialize(hop: &Hop<'_>, keep_alive: bool) -> Result<Vec<u8>, HttpError> {
    let (p, url) = (hop.request, hop.url);
    let body = hop.body();
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(p.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(url.path().as_bytes());
    if let Some(q) = url.query() {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    hop.fields(|name, value, check| {
        if check == Check::Both && !is_token(name) {
            return Err(invalid_name(name));
        }
        if check != Check::None {
            check_value(name, value)?;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
        Ok(())
    })?;
    // Without keep-alive, the server is told so and closes its side too (RFC 9112 §9.6), rather than
    // keeping an idle connection per request until its own timeout.
    if !keep_alive && !hop.given("connection") {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

#[cfg(test)]
mod tests;
