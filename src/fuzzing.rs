//! Entry points for the fuzz targets in `fuzz/` (`fuzz/README.md`); not a stable API.
//!
//! The lean HTTP/1.1 transport's exchange is run over bytes in memory ([`MemStream`]) instead of a
//! socket, so a fuzzer can try many responses a second through exactly the code a run uses.

use crate::http::BodyLimit;
use crate::http::transport::h1::framing;
use crate::http::transport::h1::wire::{Conn, Io};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose peer sends `data` once the request arrived, and then closes: each read returns
/// the next few bytes (how many follows from the data, so the fuzzer also explores where reads split a
/// response); writes are accepted and dropped. Nothing is readable before the first write, as on a
/// real connection: hyper reads as soon as it can, and a response that arrived before its request
/// makes it cancel the request instead of parsing the response.
pub struct MemStream {
    data: Vec<u8>,
    at: usize,
    seed: u64,
    written: bool,
    reader: Option<std::task::Waker>,
}

impl MemStream {
    /// A stream that sends `data`.
    pub fn new(data: &[u8]) -> Self {
        let seed = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
        MemStream {
            data: data.to_vec(),
            at: 0,
            seed,
            written: false,
            reader: None,
        }
    }

    /// How many bytes the next read returns at most: mostly small pieces, sometimes everything.
    fn next_read(&mut self) -> usize {
        self.seed = self
            .seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        match (self.seed >> 33) % 8 {
            0 => usize::MAX,
            k => 1 << (2 * k),
        }
    }
}

impl AsyncRead for MemStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.written {
            self.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = self.next_read().min(buf.remaining()).min(self.data.len() - self.at);
        let at = self.at;
        buf.put_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MemStream {
    fn poll_write(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.written = true;
        if let Some(reader) = self.reader.take() {
            reader.wake();
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Io for MemStream {
    fn is_open(&mut self) -> bool {
        self.at < self.data.len()
    }
}

/// What the lean path made of a response.
#[derive(Debug, PartialEq, Eq)]
pub struct LeanResponse {
    /// Status code.
    pub status: u16,
    /// The body, kept whole.
    pub body: Vec<u8>,
    /// Whether the connection could carry another request.
    pub keep_alive: bool,
}

/// Sends a GET (or HEAD) over a connection whose peer answers with `data`, as the lean path does,
/// keeping the whole body up to `max_body` bytes; the error is the message a run would report.
pub async fn lean_response(data: &[u8], head_request: bool, max_body: u64) -> Result<LeanResponse, String> {
    let mut conn = Conn::over(MemStream::new(data));
    let request = if head_request {
        &b"HEAD / HTTP/1.1\r\nHost: fuzz\r\n\r\n"[..]
    } else {
        &b"GET / HTTP/1.1\r\nHost: fuzz\r\n\r\n"[..]
    };
    let answer = conn
        .exchange(request, head_request, BodyLimit::keep(max_body))
        .await
        .map_err(|e| e.message())?;
    let exchange = answer.response;
    assert!(exchange.body.len() as u64 <= max_body, "more body kept than allowed");
    assert_eq!(
        exchange.received,
        exchange.body.len() as u64,
        "a kept body is counted whole"
    );
    Ok(LeanResponse {
        status: exchange.status,
        body: exchange.body,
        keep_alive: answer.keep_alive,
    })
}

/// The check the reqwest transport adds to what hyper accepts (see `http::transport::h1::framing`).
pub use framing::check_hyper_head;

/// What hyper (the reqwest path's parser), with the check stressor adds to it, makes of `data` as the
/// answer to a GET, over the same in-memory connection: the status and the body, kept up to
/// `max_body` bytes (a larger one is an error, as on the lean path).
#[cfg(feature = "https")]
pub async fn hyper_response(data: &[u8], max_body: u64) -> Result<(u16, Vec<u8>), String> {
    use http_body_util::{BodyExt, Empty};
    let io = hyper_util::rt::TokioIo::new(MemStream::new(data));
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<bytes::Bytes>>(io)
        .await
        .map_err(|e| e.to_string())?;
    let exchange = async move {
        let request = hyper::Request::get("/")
            .header("host", "fuzz")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
        let headers = response.headers();
        check_hyper_head(
            response.status().as_u16(),
            false,
            response.version() == hyper::Version::HTTP_10,
            headers.contains_key(hyper::header::TRANSFER_ENCODING),
            headers.contains_key(hyper::header::CONTENT_LENGTH),
        )?;
        let declared = headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        // As on the lean path, only a response that has a body can have one too large.
        if declared.is_some_and(|n| n > max_body) && framing::has_body(response.status().as_u16(), false) {
            return Err("body too large".to_owned());
        }
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut kept = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| e.to_string())?;
            if let Some(data) = frame.data_ref() {
                kept.extend_from_slice(data);
                if kept.len() as u64 > max_body {
                    return Err("body too large".to_owned());
                }
            }
        }
        Ok((status, kept))
    };
    let (_, result) = tokio::join!(conn, exchange);
    result
}

/// The differential check of the `http_response` fuzz target: the lean path and hyper must both
/// accept `data` (with the same status and body) or both reject it. The error says how they differ.
#[cfg(feature = "https")]
pub async fn compare(data: &[u8], max_body: u64) -> Result<(), String> {
    let lean = lean_response(data, false, max_body).await;
    let hyper = hyper_response(data, max_body).await;
    match (&lean, &hyper) {
        (Ok(l), Ok((status, body))) if l.status == *status && l.body == *body => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        _ => Err(format!(
            "the paths disagree on {:?}:\n  lean: {lean:?}\n  hyper: {hyper:?}",
            String::from_utf8_lossy(data)
        )),
    }
}
