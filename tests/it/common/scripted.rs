//! Scripted raw-socket servers for hostile cases: each connection runs a script that reads the request
//! head and writes whatever bytes the case needs (malformed, endless, huge, or nothing at all).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use stressor::run::{RunOptions, RunReport, run};
use stressor::scenario::{LoadOptions, load_str};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server on an ephemeral loopback port; stops when dropped.
pub struct Scripted {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Starts a server that runs `script` on every connection it accepts.
pub async fn serve<F, Fut>(script: F) -> Scripted
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let script = Arc::new(script);
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(script(stream));
        }
    });
    Scripted { url, accept }
}

/// A server that answers every request on a connection with `reply`, byte for byte.
pub async fn replying(reply: &'static [u8]) -> Scripted {
    serve(move |mut s| async move {
        while read_head(&mut s).await {
            if s.write_all(reply).await.is_err() {
                return;
            }
        }
    })
    .await
}

/// Reads one request head (and no body: the cases here send GETs); false when the client closed the
/// connection first.
pub async fn read_head(s: &mut TcpStream) -> bool {
    head_text(s).await.is_some()
}

/// Reads one request head and returns it as text; `None` when the client closed the connection first.
pub async fn head_text(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Writes `head`, then the body bytes `piece` repeated until `limit` bytes went out or the client
/// left; with `chunked`, each piece is framed as a chunk and the body never ends.
pub async fn stream_body(mut s: TcpStream, head: &str, piece: &[u8], limit: u64, chunked: bool) {
    if !read_head(&mut s).await || s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let framed = if chunked {
        let mut f = format!("{:x}\r\n", piece.len()).into_bytes();
        f.extend_from_slice(piece);
        f.extend_from_slice(b"\r\n");
        f
    } else {
        piece.to_vec()
    };
    let mut sent = 0u64;
    while sent < limit {
        if s.write_all(&framed).await.is_err() {
            return;
        }
        sent += framed.len() as u64;
    }
    // Whatever was promised, nothing more comes, and the connection stays open.
    let _ = s.read(&mut [0u8; 1]).await;
}

/// A scenario with one session that runs `activities` (YAML, indented as list items of `main`) once
/// against `base`, with `config` lines added to the config section.
pub fn scenario(base: &str, config: &str, activities: &str) -> String {
    format!(
        "file_version: stressor#0\nconfig:\n  base_url: {base}\n{config}scenario:\n  - sequence: main\nsequences:\n  main:\n{activities}"
    )
}

/// Loads and runs scenario text.
pub async fn run_text(text: &str) -> RunReport {
    let loaded = load_str(Path::new("hostile.yaml"), text.to_owned(), &LoadOptions::default());
    assert!(!loaded.diagnostics.has_errors(), "{}", loaded.render(false));
    let scenario = loaded.scenario.expect("valid scenario");
    run(Arc::new(scenario), Arc::new(loaded.sources), RunOptions::default())
        .await
        .expect("run")
}

/// The (class, message) of every recorded error.
pub fn errors(report: &RunReport) -> Vec<(String, String)> {
    report
        .errors
        .iter()
        .map(|e| (e.class.to_string(), e.message.clone()))
        .collect()
}

/// The largest resident set this process has had, in bytes (Linux: `VmHWM`); `None` elsewhere.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A server whose answer depends on the time since it started: every request gets `reply(elapsed)`
/// (a whole response, byte for byte), on keep-alive connections.
pub async fn phased(reply: fn(std::time::Duration) -> &'static [u8]) -> Scripted {
    let started = std::time::Instant::now();
    serve(move |mut s| async move {
        while read_head(&mut s).await {
            if s.write_all(reply(started.elapsed())).await.is_err() {
                return;
            }
        }
    })
    .await
}

/// `200 OK` with a two-byte body.
pub const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
/// `500 Internal Server Error` with a two-byte body.
pub const ERROR: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 2\r\n\r\nno";

/// A server that answers `200 OK` to every request, after `delay` for the first `slow` requests it
/// gets (counted over all connections) and at once after that: a service that is slow for one run
/// and fast for the next.
pub async fn slow_first(slow: usize, delay: std::time::Duration) -> Scripted {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    serve(move |mut s| {
        let count = count.clone();
        async move {
            while read_head(&mut s).await {
                if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < slow {
                    tokio::time::sleep(delay).await;
                }
                if s.write_all(OK).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}
