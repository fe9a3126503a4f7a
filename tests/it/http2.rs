//! The HTTP/2 connection's lifecycle on the lean path (`http_version: 2` over `http://`), against a
//! server scripted frame by frame on a raw socket: a graceful GOAWAY sent in the same write as the
//! response before it, and streams reset by the server. A stream the server never processed (above
//! GOAWAY's last stream id, or refused with REFUSED_STREAM, RFC 9113 §6.8 and §8.7) is sent again once
//! on a new connection; any other reset stays an error.
#![cfg(feature = "https")]

use crate::common;

use common::scripted::{errors, run_text, scenario};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with the streams of each connection.
#[derive(Clone, Copy, Debug)]
enum Script {
    /// Answers the first `n` streams; the `n`-th answer and GOAWAY (its stream id, NO_ERROR) go out in
    /// one write. Streams that arrive later are not processed.
    GoAwayAfter(usize),
    /// Answers every stream but the `nth`, which it resets with this error code.
    Reset { nth: usize, code: u32 },
}

/// What the server saw, over all connections.
#[derive(Clone, Default)]
struct Seen {
    connections: Arc<AtomicUsize>,
    streams: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
}

impl Seen {
    fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::SeqCst)
    }
}

/// A frame: 24-bit length, type, flags, stream id (RFC 9113 §4.1).
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = len.to_be_bytes()[1..].to_vec();
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;

/// `:status: 200` (HPACK static table entry 8) and a two-byte body.
fn answer(stream: u32) -> Vec<u8> {
    let mut out = frame(HEADERS, 0x4, stream, &[0x88]);
    out.extend(frame(DATA, 0x1, stream, b"ok"));
    out
}

async fn read_frame(s: &mut TcpStream) -> Option<(u8, u8, u32, Vec<u8>)> {
    let mut head = [0u8; 9];
    s.read_exact(&mut head).await.ok()?;
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload).await.ok()?;
    Some((head[3], head[4], stream, payload))
}

/// Speaks the server's side of one connection: its preface, SETTINGS acknowledgements, and an answer
/// (or not) to each request as `script` says. Requests are GETs: one HEADERS frame each.
async fn connection(mut s: TcpStream, script: Script, seen: Seen) {
    let mut preface = [0u8; 24];
    if s.read_exact(&mut preface).await.is_err() || s.write_all(&frame(SETTINGS, 0, 0, &[])).await.is_err() {
        return;
    }
    let (mut streams, mut gone_away) = (0, false);
    while let Some((kind, flags, stream, _)) = read_frame(&mut s).await {
        let reply = match kind {
            SETTINGS if flags & 0x1 == 0 => frame(SETTINGS, 0x1, 0, &[]),
            HEADERS => {
                seen.streams.fetch_add(1, Ordering::SeqCst);
                if gone_away {
                    continue; // above the last stream id: not processed
                }
                streams += 1;
                match script {
                    Script::GoAwayAfter(n) if streams == n => {
                        gone_away = true;
                        seen.answered.fetch_add(1, Ordering::SeqCst);
                        let mut last = answer(stream);
                        let mut payload = stream.to_be_bytes().to_vec();
                        payload.extend_from_slice(&0u32.to_be_bytes()); // NO_ERROR
                        last.extend(frame(GOAWAY, 0, 0, &payload));
                        last
                    }
                    Script::Reset { nth, code } if streams == nth => frame(RST_STREAM, 0, stream, &code.to_be_bytes()),
                    _ => {
                        seen.answered.fetch_add(1, Ordering::SeqCst);
                        answer(stream)
                    }
                }
            }
            _ => continue,
        };
        if s.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Starts the scripted server; returns its URL and what it sees.
async fn server(script: Script) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Seen::default();
    let counted = seen.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(connection(s, script, counted.clone()));
        }
    });
    (url, seen)
}

/// 24 GETs over HTTP/2 in one session: twelve at once, four in flight (`StaticRequests`), then twelve
/// one after the other.
fn requests(url: &str) -> String {
    let statics: Vec<String> = (1..=12).map(|i| format!("/s{i}")).collect();
    let mut activities = format!(
        "    - activity: StaticRequests\n      thread_count: 4\n      url_list: [{}]\n",
        statics.join(", ")
    );
    for i in 1..=12 {
        activities.push_str(&format!("    - activity: GetRequest\n      url: /g{i}\n"));
    }
    scenario(url, "  request_timeout: 5s\n  http_version: 2\n", &activities)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goaway_in_the_same_write_as_a_response_loses_no_request() {
    let (url, seen) = server(Script::GoAwayAfter(5)).await;
    let report = run_text(&requests(&url)).await;
    assert_eq!(errors(&report), Vec::<(String, String)>::new());
    assert_eq!(Seen::get(&seen.answered), 24, "every request answered once");
    // Five answers per connection: at least five connections, each opened after the last one's GOAWAY.
    assert!(Seen::get(&seen.connections) >= 5, "{}", Seen::get(&seen.connections));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_stream_is_sent_again_on_a_new_connection_and_any_other_reset_is_an_error() {
    let (url, seen) = server(Script::Reset { nth: 3, code: 0x7 }).await;
    let report = run_text(&requests(&url)).await;
    assert_eq!(errors(&report), Vec::<(String, String)>::new());
    assert_eq!(Seen::get(&seen.answered), 24);
    // Each refusal costs one more stream and one more connection.
    let refused = Seen::get(&seen.streams) - 24;
    assert!(refused >= 1, "no stream was refused");
    assert_eq!(Seen::get(&seen.connections), refused + 1);

    // INTERNAL_ERROR: the server may have acted on the request.
    let (url, seen) = server(Script::Reset { nth: 3, code: 0x2 }).await;
    let report = run_text(&requests(&url)).await;
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "connect", "{errs:?}");
    assert!(errs[0].1.contains("http2 error"), "{}", errs[0].1);
    assert_eq!(Seen::get(&seen.streams), 24, "nothing sent twice");
    assert_eq!(Seen::get(&seen.connections), 1);
}
