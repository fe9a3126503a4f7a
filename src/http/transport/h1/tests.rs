//! The HTTP/1.1 transport against scripted servers: reusing a connection the server closed, and the
//! bytes of a request as they are written.

use super::wire::tests::read_request;
use super::*;
use crate::http::cookies::Jar;
use crate::http::{Body, Client, Request};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use url::Url;

/// A server that answers the first request on a connection and closes it when the second arrives,
/// as servers with an idle timeout do; returns its port and the count of requests it answered.
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

fn request(method: Method, url: &str) -> Request {
    Request::new(method, Url::parse(url).expect("url"), u64::MAX)
}

#[tokio::test]
async fn an_idempotent_request_is_sent_again_on_a_new_connection_and_a_post_is_not() {
    let (port, answered) = closing_server().await;
    let config = crate::scenario::Config::default();
    let client = Client::new(TlsConfigs::new(&config).expect("tls"), "t".into(), &config);
    let url = format!("http://127.0.0.1:{port}/x");
    let send = |method| client.send(request(method, &url));
    assert_eq!(send(Method::GET).await.map(|r| r.status), Ok(200));
    // The kept connection looks open (the server closes it only when the request arrives).
    assert_eq!(send(Method::GET).await.map(|r| r.status), Ok(200));
    assert_eq!(answered.load(Ordering::SeqCst), 2);
    // A POST is not repeated: it may have been acted on.
    let err = send(Method::POST).await.expect_err("closed");
    assert!(
        err.message.starts_with("connection closed") || err.message.contains("reset"),
        "{err}"
    );
    assert_eq!(answered.load(Ordering::SeqCst), 2);
}

fn prepared(method: Method, url: &str, headers: &[(&str, &str)]) -> Request {
    let mut r = request(method, url);
    r.headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    r
}

fn text(p: &Request, referer: Option<&Url>) -> Result<String, String> {
    let jar = Jar::default();
    let hop = Hop {
        request: p,
        url: &p.url,
        referer,
        user_agent: "ua/1",
        jar: &jar,
    };
    serialize(&hop, true)
        .map(|b| String::from_utf8(b).expect("utf-8"))
        .map_err(|e| e.message)
}

#[test]
fn defaults_apply_where_the_activity_gives_nothing() {
    let p = prepared(Method::GET, "http://h:8/a%20b?x=1", &[("X-One", "1")]);
    assert_eq!(
        text(&p, None).unwrap(),
        "GET /a%20b?x=1 HTTP/1.1\r\nHost: h:8\r\nUser-Agent: ua/1\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate, br, zstd\r\nX-One: 1\r\n\r\n"
    );
    let mut p = prepared(
        Method::GET,
        "http://[::1]/",
        &[("accept", "text/plain"), ("User-Agent", "me")],
    );
    // `decompress: false` asks for no coding.
    p.accept_encoding = false;
    assert_eq!(
        text(&p, None).unwrap(),
        "GET / HTTP/1.1\r\nHost: [::1]\r\naccept: text/plain\r\nUser-Agent: me\r\n\r\n"
    );
}

#[test]
fn bodies_get_their_length_and_type_and_framing_headers_are_ours() {
    let mut p = prepared(Method::POST, "http://h/", &[("Content-Length", "99")]);
    assert!(text(&p, None).unwrap().ends_with("Content-Length: 0\r\n\r\n"));
    p.body = Some(Body::json(&serde_json::json!({})).expect("json"));
    let t = text(&p, None).unwrap();
    assert!(
        t.ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
        "{t}"
    );
    assert!(!t.contains("99"));
}

#[test]
fn auth_and_referer_replace_the_activity_s_own() {
    let mut p = prepared(Method::GET, "http://h/", &[("Authorization", "x"), ("Referer", "y")]);
    p.auth = Some(("bob".into(), Some("pw".into())));
    let referer = Url::parse("http://h/from").expect("url");
    let t = text(&p, Some(&referer)).unwrap();
    assert!(
        t.contains("Authorization: Basic Ym9iOnB3\r\nReferer: http://h/from\r\n"),
        "{t}"
    );
    assert!(!t.contains("Authorization: x") && !t.contains("Referer: y"), "{t}");
}

#[test]
fn header_injection_is_refused_with_the_header_named() {
    let p = prepared(Method::GET, "http://h/", &[("X-A", "1\r\nX-B: 2")]);
    assert!(
        text(&p, None)
            .unwrap_err()
            .starts_with("header `X-A` not sent: its value holds a carriage return (CR, \\r)")
    );
    let p = prepared(Method::GET, "http://h/", &[("X A", "1")]);
    assert!(text(&p, None).unwrap_err().starts_with("invalid header name `X A`"));
}

#[test]
fn high_bytes_are_sent_as_given_and_an_own_cookie_is_merged_with_the_jar() {
    let p = prepared(Method::GET, "http://h/", &[("X-Name", "café"), ("Cookie", "ab=b")]);
    let jar = Jar::default();
    jar.add(&p.url, &[("ab".into(), "a".into()), ("sid".into(), "1".into())])
        .expect("cookies");
    let hop = Hop {
        request: &p,
        url: &p.url,
        referer: None,
        user_agent: "ua/1",
        jar: &jar,
    };
    let bytes = serialize(&hop, true).expect("sent");
    let t = String::from_utf8(bytes).expect("utf-8");
    assert!(t.contains("X-Name: café\r\n"), "{t}");
    assert!(t.contains("Cookie: ab=b; sid=1\r\n"), "{t}");
}
