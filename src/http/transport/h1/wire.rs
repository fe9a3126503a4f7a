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
                let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut response = httparse::Response::new(&mut storage);
                match response.parse(&self.buf) {
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
pub(super) mod tests {
    //! The framing rules against a real socket, each case a response written byte for byte.

    use super::*;
    use tokio::net::TcpListener;

    /// Reads one request (head, and a body its `Content-Length` declares) as a scripted server;
    /// false when the client closed the connection first.
    pub(in crate::http) async fn read_request(s: &mut TcpStream) -> bool {
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            match s.read(&mut b).await {
                Ok(1) => request.push(b[0]),
                _ => return false,
            }
        }
        let head = String::from_utf8_lossy(&request).to_lowercase();
        if let Some(n) = head
            .split("content-length: ")
            .nth(1)
            .and_then(|r| r.split("\r\n").next())
            .and_then(|n| n.parse::<usize>().ok())
        {
            let mut body = vec![0u8; n];
            return s.read_exact(&mut body).await.is_ok();
        }
        true
    }

    /// Serves `responses` one after the other on one connection (reading one request before each),
    /// then closes it; returns what the client got for each.
    async fn exchange_all(responses: &[&'static [u8]], head_request: bool) -> Vec<Result<Answer, String>> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let replies: Vec<&'static [u8]> = responses.to_vec();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            for reply in replies {
                if !read_request(&mut s).await {
                    return;
                }
                // Written in two parts so that every parser state sees a partial buffer too.
                let (a, b) = reply.split_at(reply.len() / 2);
                s.write_all(a).await.expect("write");
                s.flush().await.expect("flush");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                s.write_all(b).await.expect("write");
            }
        });
        let mut conn = Conn::over(
            crate::http::transport::stream::tcp("127.0.0.1", port)
                .await
                .expect("connect"),
        );
        let mut out = Vec::new();
        for _ in responses {
            let r = conn
                .exchange(
                    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                    head_request,
                    BodyLimit::keep(u64::MAX),
                )
                .await
                .map_err(WireError::message);
            let stop = r.as_ref().map_or(true, |e| !e.keep_alive);
            out.push(r);
            if stop {
                break;
            }
        }
        server.abort();
        out
    }

    fn ok(r: &Result<Answer, String>) -> &Answer {
        r.as_ref().expect("a response")
    }

    #[tokio::test]
    async fn content_length_and_keep_alive_over_two_requests() {
        let got = exchange_all(
            &[
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno",
            ],
            false,
        )
        .await;
        assert_eq!(got.len(), 2);
        let (a, b) = (ok(&got[0]), ok(&got[1]));
        assert_eq!(
            (a.response.status, a.response.body.as_slice(), a.keep_alive),
            (200, &b"hello"[..], true)
        );
        assert_eq!(
            a.response.headers,
            [("Content-Length".into(), "5".into()), ("X-A".into(), "1".into())]
        );
        assert_eq!((b.response.status, b.response.body.as_slice()), (404, &b"no"[..]));
    }

    #[tokio::test]
    async fn bytes_after_the_response_end_keep_alive() {
        let got = exchange_all(&[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"], false).await;
        let r = ok(&got[0]);
        assert_eq!((r.response.body.as_slice(), r.keep_alive), (&b"ok"[..], false));
    }

    #[tokio::test]
    async fn large_bodies_are_read_whole_through_the_buffer_and_past_it() {
        let body: &'static [u8] = (0..200_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>().leak();
        let reply: &'static [u8] = [
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes(),
            body,
        ]
        .concat()
        .leak();
        let got = exchange_all(&[reply, reply], false).await;
        assert_eq!(got.len(), 2);
        for r in &got {
            let r = ok(r);
            assert_eq!(
                (r.response.body.as_slice(), r.response.received, r.keep_alive),
                (body, 200_000, true)
            );
        }
    }

    #[tokio::test]
    async fn chunked_with_extensions_and_trailers() {
        let got = exchange_all(
            &[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"],
            false,
        )
        .await;
        let r = ok(&got[0]);
        assert_eq!(
            (r.response.body.as_slice(), r.keep_alive),
            (&b"abc0123456789"[..], true)
        );
    }

    #[tokio::test]
    async fn a_body_without_length_lasts_until_close_and_ends_keep_alive() {
        let got = exchange_all(&[b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of it"], false).await;
        let r = ok(&got[0]);
        assert_eq!((r.response.body.as_slice(), r.keep_alive), (&b"all of it"[..], false));
    }

    #[tokio::test]
    async fn connection_close_and_http_1_0_keep_alive() {
        let got = exchange_all(
            &[b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"],
            false,
        )
        .await;
        assert!(!ok(&got[0]).keep_alive);
        let got = exchange_all(
            &[b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx"],
            false,
        )
        .await;
        assert!(ok(&got[0]).keep_alive);
    }

    #[tokio::test]
    async fn interim_responses_are_skipped_and_no_body_statuses_read_none() {
        let got = exchange_all(
            &[
                b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
                b"HTTP/1.1 304 Not Modified\r\n\r\n",
            ],
            false,
        )
        .await;
        assert_eq!((ok(&got[0]).response.status, ok(&got[0]).response.body.len()), (204, 0));
        assert_eq!((ok(&got[1]).response.status, ok(&got[1]).keep_alive), (304, true));
        let got = exchange_all(&[b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"], true).await;
        assert_eq!(
            ok(&got[0]).response.body.len(),
            0,
            "HEAD: the length describes a body not sent"
        );
    }

    #[tokio::test]
    async fn broken_responses_are_errors_that_say_what() {
        let cases: [(&'static [u8], &str); 5] = [
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                "closed before the response was complete",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                "invalid Content-Length `x`",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "conflicting",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "invalid chunk size",
            ),
            (b"NOT HTTP\r\n\r\n", "invalid HTTP response"),
        ];
        for (reply, expected) in cases {
            let got = exchange_all(&[reply], false).await;
            let err = got[0].as_ref().expect_err("an error");
            assert!(err.contains(expected), "{:?}: {err}", String::from_utf8_lossy(reply));
        }
    }

    #[tokio::test]
    async fn an_ipv6_literal_is_connected_to_without_its_brackets() {
        let Ok(listener) = TcpListener::bind("[::1]:0").await else {
            return; // no IPv6 loopback on this machine
        };
        let port = listener.local_addr().expect("addr").port();
        let accept = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
        Conn::over(
            crate::http::transport::stream::tcp("[::1]", port)
                .await
                .expect("connect"),
        );
        accept.await.expect("join").expect("accept");
    }

    #[tokio::test]
    async fn a_connection_closed_before_the_response_is_told_apart() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (s, _) = listener.accept().await.expect("accept");
            drop(s);
        });
        let mut conn = Conn::over(
            crate::http::transport::stream::tcp("127.0.0.1", port)
                .await
                .expect("connect"),
        );
        server.await.expect("server");
        // The close is seen while idle...
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!conn.is_open());
        // ...and, when it is not, by the exchange, as the kind of failure that may be retried.
        let err = conn
            .exchange(b"GET / HTTP/1.1\r\n\r\n", false, BodyLimit::keep(u64::MAX))
            .await
            .expect_err("closed");
        assert!(matches!(err, WireError::ClosedEarly(_)), "{err:?}");
    }
}
