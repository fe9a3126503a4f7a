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
