//! What a lean connection (HTTP/1.1 or HTTP/2) runs on: plain TCP, or TLS over TCP (the `https`
//! feature).
//!
//! TLS is rustls through tokio-rustls, driven by the session's own task like plain TCP: the
//! handshake, then the same exchange (`h1/wire.rs`, or `h2`) on the decrypted stream. The
//! configuration is the run's ([`TlsConfigs`](crate::http::TlsConfigs)), shared by every connection,
//! so a reconnect resumes its TLS session instead of doing a full handshake.

use super::h1::wire::Io;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A connection's byte stream.
pub(crate) enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`: boxed, as a TLS state is many times the size of a socket.
    #[cfg(feature = "https")]
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Why a connection could not be opened.
pub(crate) enum ConnectError {
    /// TCP (or name resolution) failed.
    Tcp(io::Error),
    /// The TLS handshake failed.
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    Tls(String),
    /// The server refused every application protocol offered by ALPN (RFC 7301's
    /// `no_application_protocol` alert): it does not speak the HTTP version asked for.
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    NoProtocol(String),
}

/// Opens a TCP connection (with `TCP_NODELAY`: small requests must not wait for Nagle's algorithm).
/// `host` is as in a URL: a name, an IPv4 address or a bracketed IPv6 address.
pub(crate) async fn tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((unbracketed(host), port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// Opens a TLS connection with `config`; the server name (for SNI and the certificate check) is
/// `host`.
#[cfg(feature = "https")]
pub(crate) async fn tls(
    host: &str,
    port: u16,
    config: &std::sync::Arc<rustls::ClientConfig>,
) -> Result<Stream, ConnectError> {
    use rustls::pki_types::ServerName;
    let name = ServerName::try_from(unbracketed(host).to_owned())
        .map_err(|e| ConnectError::Tls(format!("invalid server name `{host}`: {e}")))?;
    let socket = tcp(host, port).await.map_err(ConnectError::Tcp)?;
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    match connector.connect(name, socket).await {
        Ok(stream) => Ok(Stream::Tls(Box::new(stream))),
        // rustls' own error says what failed ("invalid peer certificate: UnknownIssuer"); a plain
        // I/O error during the handshake (the server closed) is said as such.
        Err(e) => Err(
            match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(why @ rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)) => {
                    ConnectError::NoProtocol(why.to_string())
                }
                Some(why) => ConnectError::Tls(why.to_string()),
                None => ConnectError::Tls(format!("connection lost during the handshake: {e}")),
            },
        ),
    }
}

#[cfg(feature = "https")]
impl Stream {
    /// The application protocol TLS agreed on (ALPN); `None` for plain TCP, `Some(None)` when the
    /// server picked none.
    pub(crate) fn alpn(&self) -> Option<Option<&[u8]>> {
        match self {
            Stream::Plain(_) => None,
            Stream::Tls(s) => Some(s.get_ref().1.alpn_protocol()),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "https")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "https")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "https")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "https")]
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

impl Io for Stream {
    fn is_open(&mut self) -> bool {
        match self {
            Stream::Plain(s) => s.is_open(),
            // Records may arrive while a TLS connection is idle: session tickets (TLS 1.3 sends them
            // after the handshake), or a `close_notify` alert and the end of the stream. Reading
            // without waiting processes them: nothing to read (`Pending`) means open; the end of the
            // stream, an error or unasked-for data means the connection cannot be used.
            #[cfg(feature = "https")]
            Stream::Tls(s) => {
                let mut byte = [0u8; 1];
                let mut buf = ReadBuf::new(&mut byte);
                let mut cx = Context::from_waker(std::task::Waker::noop());
                Pin::new(s.as_mut()).poll_read(&mut cx, &mut buf).is_pending()
            }
        }
    }

    #[cfg(feature = "https")]
    fn tls_failure(err: &io::Error) -> Option<String> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(|e| e.to_string())
    }

    fn clear_readiness(&self) {
        // Only for plain TCP: with TLS, the socket may still hold records rustls has not read yet, and
        // a cleared readiness would wait for an event that never comes. The idle check above takes the
        // stale readiness instead.
        match self {
            Stream::Plain(s) => s.clear_readiness(),
            #[cfg(feature = "https")]
            Stream::Tls(_) => {}
        }
    }
}
