//! HTTP/1.1 on one keep-alive TCP connection, spoken by the session's own task.
//!
//! Why not hyper's `client::conn`: it drives each connection in a task of its own that requests and
//! responses reach through channels, so every request cost two task wake-ups, a channel hop each way
//! and a header map built and converted again; on a load generator that was most of the CPU spent per
//! request (callgrind, `bench/profile.sh`). Here the session's task writes the request and reads the
//! response itself: one `write` and, for a small response, one `read`. The status line and headers
//! are parsed by httparse (the parser hyper uses); the body framing of RFC 9112 §6 (length, chunked,
//! until close) is the few dozen lines below.

use crate::check::header_text;
use bytes::{Buf, BufMut, BytesMut};
use httparse::Status;
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest};
use tokio::net::TcpStream;

/// Response headers parsed at most (hyper's limit too).
const MAX_HEADERS: usize = 100;
/// Largest response head (status line and headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest chunk-size line or trailer line accepted.
const MAX_LINE: usize = 4 * 1024;
/// Read buffer reserved before each read; a larger one is given back once the response is read.
const READ_CHUNK: usize = 8 * 1024;
/// Body capacity reserved up front at most, whatever `Content-Length` claims.
const MAX_PREALLOC: usize = 1 << 20;

/// Why an exchange failed.
#[derive(Debug)]
pub(super) enum WireError {
    /// The request could not be written: the server had closed (reset) the connection.
    Unsent(String),
    /// The connection was closed or reset before any byte of the response arrived: on a reused
    /// connection, the sign that the server had closed it while it was idle.
    ClosedEarly(String),
    /// Anything else; the message says what.
    Failed(String),
}

impl WireError {
    /// The message, whatever the kind.
    pub(super) fn message(self) -> String {
        match self {
            WireError::Unsent(m) | WireError::ClosedEarly(m) | WireError::Failed(m) => m,
        }
    }
}

/// How a response's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// No body (HEAD, 1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A complete response.
#[derive(Debug)]
pub(super) struct Exchange {
    /// Status code.
    pub status: u16,
    /// Headers in arrival order, names as the server wrote them, values as text (invalid UTF-8
    /// replaced).
    pub headers: Vec<(String, String)>,
    /// The body (transfer coding removed, content coding kept).
    pub body: Vec<u8>,
    /// Whether the connection can carry another request.
    pub keep_alive: bool,
}

/// A final response's head, as far as the exchange needs it.
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
    framing: Framing,
    keep_alive: bool,
}

/// One connection.
pub(super) struct Conn {
    stream: TcpStream,
    /// Bytes read and not consumed yet.
    buf: BytesMut,
}

impl Conn {
    /// Connects (with `TCP_NODELAY`: small requests must not wait for Nagle's algorithm).
    /// `host` is as in a URL: a name, an IPv4 address or a bracketed IPv6 address.
    pub(super) async fn connect(host: &str, port: u16) -> io::Result<Conn> {
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let stream = TcpStream::connect((host, port)).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: BytesMut::new(),
        })
    }

    /// Whether an idle connection can still be used: false when the server closed it (or sent
    /// something unasked). Costs no system call unless the socket became readable while idle.
    pub(super) fn is_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// Sends a request (head and body, serialized) and reads the whole response to it.
    /// `head_request`: the request's method was HEAD, so the response has no body whatever it says.
    pub(super) async fn exchange(&mut self, request: &[u8], head_request: bool) -> Result<Exchange, WireError> {
        if let Err(e) = self.stream.write_all(request).await {
            return Err(WireError::Unsent(format!("error sending request: {e}")));
        }
        let head = self.read_head(head_request).await?;
        let body = self.read_body(head.framing).await?;
        // Bytes after the response were not asked for (no pipelining here): the connection's state is
        // unknown, so it is not used again.
        let keep_alive = head.keep_alive && self.buf.is_empty();
        if keep_alive {
            self.idle();
        }
        Ok(Exchange {
            status: head.status,
            headers: head.headers,
            body,
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
        // Clearing it is race-free: tokio keeps the flag when a newer readiness event arrived.
        let _ = self
            .stream
            .try_io(Interest::READABLE, || Err::<(), _>(io::ErrorKind::WouldBlock.into()));
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
                        let head = parse_head(&response, head_request);
                        self.buf.advance(len);
                        return head;
                    }
                    Ok(Status::Partial) if self.buf.len() > MAX_HEAD => {
                        return Err(WireError::Failed(format!(
                            "invalid HTTP response: head larger than {} KiB",
                            MAX_HEAD / 1024
                        )));
                    }
                    Ok(Status::Partial) => {}
                    Err(e) => return Err(WireError::Failed(format!("invalid HTTP response: {e}"))),
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
                Err(e) if !received => return Err(WireError::ClosedEarly(format!("error reading response: {e}"))),
                Err(e) => return Err(WireError::Failed(format!("error reading response: {e}"))),
            }
        }
    }

    async fn read_body(&mut self, framing: Framing) -> Result<Vec<u8>, WireError> {
        match framing {
            Framing::Empty => Ok(Vec::new()),
            Framing::Length(n) => {
                let n = usize::try_from(n)
                    .map_err(|_| WireError::Failed(format!("response body of {n} bytes is too large")))?;
                let mut body = Vec::with_capacity(n.min(MAX_PREALLOC));
                self.read_exact_into(&mut body, n).await?;
                Ok(body)
            }
            Framing::Chunked => self.read_chunked().await,
            Framing::UntilClose => {
                let mut body = Vec::new();
                loop {
                    body.extend_from_slice(&self.buf);
                    self.buf.clear();
                    match self.fill().await {
                        Ok(0) => return Ok(body),
                        Ok(_) => {}
                        Err(e) => return Err(WireError::Failed(format!("error reading response body: {e}"))),
                    }
                }
            }
        }
    }

    /// Appends exactly `n` more bytes of the stream to `out`.
    async fn read_exact_into(&mut self, out: &mut Vec<u8>, n: usize) -> Result<(), WireError> {
        let end = out.len() + n;
        loop {
            let take = (end - out.len()).min(self.buf.len());
            out.extend_from_slice(&self.buf[..take]);
            self.buf.advance(take);
            let missing = end - out.len();
            if missing == 0 {
                return Ok(());
            }
            if missing >= READ_CHUNK {
                // A large body is read straight into place rather than through the buffer.
                out.reserve(missing.min(MAX_PREALLOC));
                match self.stream.read_buf(&mut (&mut *out).limit(missing)).await {
                    Ok(0) => return Err(truncated()),
                    Ok(_) => {}
                    Err(e) => return Err(WireError::Failed(format!("error reading response body: {e}"))),
                }
            } else {
                self.fill_more().await?;
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, WireError> {
        let mut body = Vec::new();
        loop {
            let size = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(Status::Complete((used, size))) => {
                        self.buf.advance(used);
                        break size;
                    }
                    Ok(Status::Partial) if self.buf.len() > MAX_LINE => return Err(bad_chunk("line too long")),
                    Ok(Status::Partial) => self.fill_more().await?,
                    Err(_) => return Err(bad_chunk("invalid chunk size")),
                }
            };
            if size == 0 {
                // Trailer fields, which nothing here uses, up to the empty line.
                loop {
                    let line = self.read_line().await?;
                    if line == 0 {
                        return Ok(body);
                    }
                }
            }
            let size = usize::try_from(size).map_err(|_| bad_chunk("chunk too large"))?;
            self.read_exact_into(&mut body, size).await?;
            while self.buf.len() < 2 {
                self.fill_more().await?;
            }
            if &self.buf[..2] != b"\r\n" {
                return Err(bad_chunk("chunk not followed by CRLF"));
            }
            self.buf.advance(2);
        }
    }

    /// Consumes one CRLF-terminated line; returns its length without the CRLF.
    async fn read_line(&mut self) -> Result<usize, WireError> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                self.buf.advance(end + 2);
                return Ok(end);
            }
            if self.buf.len() > MAX_LINE {
                return Err(bad_chunk("trailer line too long"));
            }
            self.fill_more().await?;
        }
    }
}

fn truncated() -> WireError {
    WireError::Failed("connection closed before the response was complete".into())
}

fn bad_chunk(why: &str) -> WireError {
    WireError::Failed(format!("invalid chunked response body: {why}"))
}

/// The head of a final response, parsed.
fn parse_head(response: &httparse::Response<'_, '_>, head_request: bool) -> Result<Head, WireError> {
    let status = response.code.unwrap_or_default();
    let mut headers = Vec::with_capacity(response.headers.len());
    let (mut chunked, mut transfer_encoding, mut length) = (false, false, None::<u64>);
    let (mut close, mut keep_alive) = (false, false);
    for h in response.headers.iter() {
        let value = header_text(h.value);
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .trim()
                .parse::<u64>()
                .map_err(|_| WireError::Failed(format!("invalid HTTP response: invalid Content-Length `{value}`")))?;
            if length.is_some_and(|l| l != n) {
                return Err(WireError::Failed(
                    "invalid HTTP response: conflicting Content-Length headers".into(),
                ));
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Only the last coding decides whether the body is chunked (RFC 9112 §6.3).
            chunked = value
                .rsplit(',')
                .next()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
        headers.push((h.name.to_owned(), value));
    }
    let framing = if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Empty
    } else if transfer_encoding {
        if chunked { Framing::Chunked } else { Framing::UntilClose }
    } else {
        length.map_or(Framing::UntilClose, Framing::Length)
    };
    // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 only when told to.
    let persistent = if response.version == Some(0) {
        keep_alive
    } else {
        !close
    };
    let reusable = persistent && framing != Framing::UntilClose && status != 101;
    Ok(Head {
        status,
        headers,
        framing,
        keep_alive: reusable,
    })
}

#[cfg(test)]
pub(super) mod tests {
    //! The framing rules against a real socket, each case a response written byte for byte.

    use super::*;
    use tokio::net::TcpListener;

    /// Reads one request (head, and a body its `Content-Length` declares) as a scripted server;
    /// false when the client closed the connection first.
    pub(in crate::activity::lean) async fn read_request(s: &mut TcpStream) -> bool {
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
    async fn exchange_all(responses: &[&'static [u8]], head_request: bool) -> Vec<Result<Exchange, String>> {
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
        let mut conn = Conn::connect("127.0.0.1", port).await.expect("connect");
        let mut out = Vec::new();
        for _ in responses {
            let r = conn
                .exchange(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", head_request)
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

    fn ok(r: &Result<Exchange, String>) -> &Exchange {
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
        assert_eq!((a.status, a.body.as_slice(), a.keep_alive), (200, &b"hello"[..], true));
        assert_eq!(
            a.headers,
            [("Content-Length".into(), "5".into()), ("X-A".into(), "1".into())]
        );
        assert_eq!((b.status, b.body.as_slice()), (404, &b"no"[..]));
    }

    #[tokio::test]
    async fn bytes_after_the_response_end_keep_alive() {
        let got = exchange_all(&[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"], false).await;
        let r = ok(&got[0]);
        assert_eq!((r.body.as_slice(), r.keep_alive), (&b"ok"[..], false));
    }

    #[tokio::test]
    async fn chunked_with_extensions_and_trailers() {
        let got = exchange_all(
            &[b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n"],
            false,
        )
        .await;
        let r = ok(&got[0]);
        assert_eq!((r.body.as_slice(), r.keep_alive), (&b"abc0123456789"[..], true));
    }

    #[tokio::test]
    async fn a_body_without_length_lasts_until_close_and_ends_keep_alive() {
        let got = exchange_all(&[b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of it"], false).await;
        let r = ok(&got[0]);
        assert_eq!((r.body.as_slice(), r.keep_alive), (&b"all of it"[..], false));
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
        assert_eq!((ok(&got[0]).status, ok(&got[0]).body.len()), (204, 0));
        assert_eq!((ok(&got[1]).status, ok(&got[1]).keep_alive), (304, true));
        let got = exchange_all(&[b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"], true).await;
        assert_eq!(ok(&got[0]).body.len(), 0, "HEAD: the length describes a body not sent");
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
        Conn::connect("[::1]", port).await.expect("connect");
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
        let mut conn = Conn::connect("127.0.0.1", port).await.expect("connect");
        server.await.expect("server");
        // The close is seen while idle...
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!conn.is_open());
        // ...and, when it is not, by the exchange, as the kind of failure that may be retried.
        let err = conn
            .exchange(b"GET / HTTP/1.1\r\n\r\n", false)
            .await
            .expect_err("closed");
        assert!(matches!(err, WireError::ClosedEarly(_)), "{err:?}");
    }
}
