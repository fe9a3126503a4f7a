//! HTTP/1.1 on one keep-alive TCP connection, spoken by the session's own task.
//!
//! Why not hyper's `client::conn`: it drives each connection in a task of its own that requests and
//! responses reach through channels, so every request cost two task wake-ups, a channel hop each way
//! and a header map built and converted again; on a load generator that was most of the CPU spent per
//! request (callgrind, `bench/profile.sh`). Here the session's task writes the request and reads the
//! response itself: one `write` and, for a small response, one `read`. The status line and headers
//! are parsed by httparse (the parser hyper uses); the body framing of RFC 9112 §6 (length, chunked,
//! until close) is the few dozen lines below.

use super::framing::{self, Framing, Head, MAX_EXTENSIONS};
use crate::http::body::{BodyLimit, BodySink, TooLarge};
use crate::http::transport::Exchange;
use bytes::{Buf, BufMut, BytesMut};
use httparse::Status;
use std::io;
use std::mem::MaybeUninit;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, Interest};
use tokio::net::TcpStream;

/// Response headers parsed at most (hyper's limit too).
const MAX_HEADERS: usize = 100;
/// Largest response head (status line and headers) accepted: hyper's limit (its largest read
/// buffer), so both HTTP paths refuse the same heads.
const MAX_HEAD: usize = 8192 + 4096 * 100;
/// Largest chunk-size line accepted: its extensions may use the whole body's allowance.
const MAX_LINE: usize = MAX_EXTENSIONS as usize + 64;
/// Read buffer reserved before each read; a larger one is given back once the response is read.
const READ_CHUNK: usize = 8 * 1024;
/// Body capacity reserved up front at most, whatever `Content-Length` claims.
const MAX_PREALLOC: usize = 1 << 20;

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum WireError {
    /// The request could not be written: the server had closed (reset) the connection.
    Unsent(String),
    /// The connection was closed or reset before any byte of the response arrived: on a reused
    /// connection, the sign that the server had closed it while it was idle.
    ClosedEarly(String),
    /// The body was larger than `max_body_size` and needed.
    TooLarge(TooLarge),
    /// TLS failed after the handshake: the server refused the client certificate (TLS 1.3 says so
    /// with an alert on the first read), or a record did not decrypt.
    Tls(String),
    /// The response breaks HTTP/1.1: its head or its framing.
    Invalid(String),
    /// Anything else (the connection failed or closed early); the message says what.
    Failed(String),
}

impl WireError {
    /// The message, whatever the kind.
    pub(crate) fn message(self) -> String {
        match self {
            WireError::Unsent(m)
            | WireError::ClosedEarly(m)
            | WireError::Failed(m)
            | WireError::Tls(m)
            | WireError::Invalid(m) => m,
            WireError::TooLarge(t) => t.to_string(),
        }
    }
}

impl From<TooLarge> for WireError {
    fn from(t: TooLarge) -> Self {
        WireError::TooLarge(t)
    }
}

/// A complete response (header names as the server wrote them), and whether its connection can carry
/// another request.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The response.
    pub response: Exchange,
    /// Whether the connection can carry another request.
    pub keep_alive: bool,
}

/// What a connection runs on: a TCP stream, or (for the fuzz targets) bytes in memory.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {
    /// Whether an idle connection can still be used: false when the peer closed it (or sent
    /// something unasked).
    fn is_open(&mut self) -> bool;

    /// Forgets a readiness that the last read left standing (see [`Conn::idle`]).
    fn clear_readiness(&self) {}

    /// The TLS failure behind a read or write error, if it is one.
    fn tls_failure(_err: &io::Error) -> Option<String> {
        None
    }
}

impl Io for TcpStream {
    /// Costs no system call unless the socket became readable while idle.
    fn is_open(&mut self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    fn clear_readiness(&self) {
        // Race-free: tokio keeps the flag when a newer readiness event arrived.
        let _ = self.try_io(Interest::READABLE, || Err::<(), _>(io::ErrorKind::WouldBlock.into()));
    }
}

/// One connection.
pub(crate) struct Conn<S = TcpStream> {
    stream: S,
    /// Bytes read and not consumed yet.
    buf: BytesMut,
}

impl<S: Io> Conn<S> {
    /// A connection over an established transport.
    pub(crate) fn over(stream: S) -> Self {
        Conn {
            stream,
            buf: BytesMut::new(),
        }
    }

    /// Whether an idle connection can still be used: false when the server closed it (or sent
    /// something unasked).
    pub(crate) fn is_open(&mut self) -> bool {
        self.stream.is_open()
    }

    /// Sends a request (head and body, serialized) and reads the response to it, keeping of its body
    /// what `limit` says. `head_request`: the request's method was HEAD, so the response has no body
    /// whatever it says.
    pub(crate) async fn exchange(
        &mut self,
        request: &[u8],
        head_request: bool,
        limit: BodyLimit,
    ) -> Result<Answer, WireError> {
        // TLS buffers what it encrypts; the flush sends it (and costs nothing on plain TCP).
        if let Err(e) = self.stream.write_all(request).await.and(self.stream.flush().await) {
            if let Some(why) = S::tls_failure(&e) {
                return Err(WireError::Tls(why));
            }
            return Err(WireError::Unsent(format!("error sending request: {e}")));
        }
        let head = self.read_head(head_request).await?;
        let (body, received) = self.read_body(head.framing, limit).await?;
        // Bytes after the response were not asked for (no pipelining here): the connection's state is
        // unknown, so it is not used again.
        let keep_alive = head.keep_alive && self.buf.is_empty();
        if keep_alive {
            self.idle();
        }
        Ok(Answer {
            response: Exchange {
                status: head.status,
                headers: head.headers,
                body,
                received,
            },
            keep_alive,
        })
    }

    /// Prepares the connection to wait idle for its next request.
    fn idle(&mut self) {
        if self.buf.capacity() > 4 * READ_CHUNK {
            self.buf = BytesMut::new();
        }
        // The last read returned data, so tokio still considers the socket readable; were that left
        // standing, the next request's first read would be a wasted system call returning `EAGAIN`.
        self.stream.clear_readiness();
    }

    /// Reads more bytes into the buffer; `Ok(0)` at the end of the stream.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 2 {
            self.buf.reserve(READ_CHUNK);
        }
        self.stream.read_buf(&mut self.buf).await
    }

    /// Like [`Conn::fill`], but the end of the stream is an error: the body was cut short.
    async fn fill_more(&mut self) -> Result<(), WireError> {
        match self.fill().await {
            Ok(0) => Err(truncated()),
            Ok(_) => Ok(()),
            Err(e) => Err(WireError::Failed(format!("error reading response body: {e}"))),
        }
    }

    async fn read_head(&mut self, head_request: bool) -> Result<Head, WireError> {
        let mut received = !self.buf.is_empty();
        loop {
            if !self.buf.is_empty() {
                // Left uninitialised: zeroing 100 header slots (3.2 KB) cost more than parsing the head.
                let mut storage = [const { MaybeUninit::uninit() }; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut []);
                let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
                    &mut response,
                    &self.buf,
                    &mut storage,
                );
                match parsed {
                    Ok(Status::Complete(len)) => {
                        let status = response.code.unwrap_or_default();
                        if (100..200).contains(&status) && status != 101 {
                            // An interim response (100 Continue, 103 Early Hints): the final one follows.
                            self.buf.advance(len);
                            continue;
                        }
                        let head = framing::parse_head(&response, head_request).map_err(invalid);
                        self.buf.advance(len);
                        return head;
                    }
                    Ok(Status::Partial) if self.buf.len() > MAX_HEAD => {
                        return Err(invalid(format!("head larger than {} KiB", MAX_HEAD / 1024)));
                    }
                    Ok(Status::Partial) => {}
                    Err(e) => return Err(invalid(e.to_string())),
                }
            }
            match self.fill().await {
                Ok(0) if !received => {
                    return Err(WireError::ClosedEarly(
                        "connection closed before the response started".into(),
                    ));
                }
                Ok(0) => return Err(truncated()),
                Ok(_) => received = true,
                Err(e) if let Some(why) = S::tls_failure(&e) => return Err(WireError::Tls(why)),
                Err(e) if !received => return Err(WireError::ClosedEarly(format!("error reading response: {e}"))),
                Err(e) => return Err(WireError::Failed(format!("error reading response: {e}"))),
            }
        }
    }

    /// Reads the body; returns what was kept of it and the number of bytes received.
    async fn read_body(&mut self, framing: Framing, limit: BodyLimit) -> Result<(Vec<u8>, u64), WireError> {
        match framing {
            Framing::Empty => Ok((Vec::new(), 0)),
            Framing::Length(n) => {
                limit.check_length(n)?;
                // The whole declared length is reserved (the sink caps it by what is kept): untouched
                // capacity costs address space, not memory, and the body then never moves.
                let mut body = BodySink::new(limit, usize::try_from(n).unwrap_or(usize::MAX));
                self.read_exact_into(&mut body, n).await?;
                Ok(body.finish())
            }
            Framing::Chunked => self.read_chunked(limit).await,
            Framing::UntilClose => {
                let mut body = BodySink::new(limit, 0);
                loop {
                    body.push(&self.buf)?;
                    self.buf.clear();
                    match self.fill().await {
                        Ok(0) => return Ok(body.finish()),
                        Ok(_) => {}
                        Err(e) => return Err(WireError::Failed(format!("error reading response body: {e}"))),
                    }
                }
            }
        }
    }

    /// Passes exactly `n` more bytes of the stream to `body`.
    async fn read_exact_into(&mut self, body: &mut BodySink, n: u64) -> Result<(), WireError> {
        let mut missing = n;
        loop {
            let take = usize::try_from(missing).map_or(self.buf.len(), |m| m.min(self.buf.len()));
            body.push(&self.buf[..take])?;
            self.buf.advance(take);
            missing -= take as u64;
            if missing == 0 {
                return Ok(());
            }
            if missing >= READ_CHUNK as u64 && body.keeps(missing) {
                // A large body that is kept is read straight into place rather than through the buffer.
                let want = missing as usize; // `keeps` bounds it by what fits in memory
                let out = body.spare();
                out.reserve(want.min(MAX_PREALLOC));
                match self.stream.read_buf(&mut out.limit(want)).await {
                    Ok(0) => return Err(truncated()),
                    Ok(k) => {
                        body.added(k);
                        missing -= k as u64;
                        if missing == 0 {
                            return Ok(());
                        }
                    }
                    Err(e) => return Err(WireError::Failed(format!("error reading response body: {e}"))),
                }
            } else {
                self.fill_more().await?;
            }
        }
    }

    async fn read_chunked(&mut self, limit: BodyLimit) -> Result<(Vec<u8>, u64), WireError> {
        let mut body = BodySink::new(limit, 0);
        let mut extensions = 0u64;
        loop {
            let line = loop {
                match framing::chunk_line(&self.buf) {
                    Ok(Status::Complete(line)) => {
                        self.buf.advance(line.used);
                        break line;
                    }
                    Ok(Status::Partial) if self.buf.len() > MAX_LINE => return Err(bad_chunk("line too long")),
                    Ok(Status::Partial) => self.fill_more().await?,
                    Err(why) => return Err(bad_chunk(why)),
                }
            };
            extensions += line.extensions;
            if extensions >= MAX_EXTENSIONS {
                return Err(bad_chunk("chunk extensions too large"));
            }
            if line.size == 0 {
                // Trailer fields, which nothing here uses, up to the empty line.
                loop {
                    match framing::trailers(&self.buf) {
                        Ok(Status::Complete(used)) => {
                            self.buf.advance(used);
                            return Ok(body.finish());
                        }
                        Ok(Status::Partial) => self.fill_more().await?,
                        Err(why) => return Err(bad_chunk(why)),
                    }
                }
            }
            body.expect(line.size)?;
            self.read_exact_into(&mut body, line.size).await?;
            while self.buf.len() < 2 {
                self.fill_more().await?;
            }
            if &self.buf[..2] != b"\r\n" {
                return Err(bad_chunk("chunk not followed by CRLF"));
            }
            self.buf.advance(2);
        }
    }
}

fn truncated() -> WireError {
    WireError::Failed("connection closed before the response was complete".into())
}

fn invalid(why: String) -> WireError {
    WireError::Invalid(format!("invalid HTTP response: {why}"))
}

fn bad_chunk(why: &str) -> WireError {
    WireError::Invalid(format!("invalid chunked response body: {why}"))
}

#[cfg(test)]
pub(super) mod tests;
