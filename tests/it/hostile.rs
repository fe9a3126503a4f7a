//! Hostile and broken servers, scripted byte for byte on raw sockets: bodies larger than the limit,
//! malformed framing, pages that are costly to parse, servers that never answer. Each case must end
//! with a classified error or a pass, on both HTTP paths, without stalling the run.
//! Memory under endless bodies is measured in `hostile_memory.rs`, a process of its own.

use crate::common;

use common::scripted::{errors, read_head, replying, run_text, scenario, serve, stream_body};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: [&str; 2] = ["lean", "reqwest"];

/// A GET of `/` with `checks` (YAML lines, indented as activity keys).
fn get(checks: &str) -> String {
    format!("    - activity: GetRequest\n      url: /\n{checks}")
}

fn config(client: &str, extra: &str) -> String {
    format!("  request_timeout: 10s\n  http_client: {client}\n{extra}")
}

/// A server sending `size` bytes of `a` with a `Content-Length`, or chunked without one.
async fn large_body(size: u64, chunked: bool) -> common::scripted::Scripted {
    serve(move |s| async move {
        let head = if chunked {
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_owned()
        } else {
            format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n")
        };
        let piece = [b'a'; 64 * 1024];
        stream_body(s, &head, &piece, size, chunked).await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_with_a_sign_is_rejected_on_both_paths() {
    let server = replying(b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello").await;
    for client in CLIENTS {
        let report = run_text(&scenario(&server.url, &config(client, ""), &get(""))).await;
        let errs = errors(&report);
        assert_eq!(errs.len(), 1, "{client}: {errs:?}");
        assert_eq!(errs[0].0, "connect", "{client}: {errs:?}");
    }
    let report = run_text(&scenario(&server.url, &config("lean", ""), &get(""))).await;
    assert!(
        errors(&report)[0]
            .1
            .contains("invalid Content-Length `+5` (RFC 9110 §8.6 allows digits only)"),
        "{:?}",
        errors(&report)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_max_body_size_that_a_check_reads_is_body_too_large() {
    for chunked in [false, true] {
        let server = large_body(50_000_000, chunked).await;
        for client in CLIENTS {
            let started = Instant::now();
            let report = run_text(&scenario(
                &server.url,
                &config(client, ""),
                &get("      assert_match: a\n"),
            ))
            .await;
            let errs = errors(&report);
            let what = format!("{client}, chunked: {chunked}");
            assert_eq!(errs.len(), 1, "{what}: {errs:?}");
            assert_eq!(errs[0].0, "body_too_large", "{what}: {errs:?}");
            let message = &errs[0].1;
            assert!(
                message.contains("larger than max_body_size (16 MiB)"),
                "{what}: {message}"
            );
            assert!(message.contains("raise `max_body_size`"), "{what}: {message}");
            if !chunked {
                assert!(message.contains("47.68 MiB (50000000 bytes)"), "{what}: {message}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{what}: {:?}",
                started.elapsed()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_nothing_reads_is_counted_and_passes() {
    let server = large_body(50_000_000, false).await;
    for client in CLIENTS {
        let report = run_text(&scenario(
            &server.url,
            &config(client, ""),
            &get("      assert_status: 200\n"),
        ))
        .await;
        assert_eq!(errors(&report), Vec::<(String, String)>::new(), "{client}");
        let (_, m) = report.activity("main", 0).expect("the activity");
        assert_eq!((m.count, m.bytes_received), (1, 50_000_000), "{client}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_body_size_is_set_in_config_and_per_activity() {
    let server = large_body(1 << 20, false).await;
    let activities = format!(
        "{}{}",
        get("      assert_match: a\n"),
        get("      assert_match: a\n      max_body_size: 2MiB\n")
    );
    for client in CLIENTS {
        let report = run_text(&scenario(
            &server.url,
            &config(client, "  max_body_size: 512KiB\n"),
            &activities,
        ))
        .await;
        let errs = errors(&report);
        assert_eq!(errs.len(), 1, "{client}: {errs:?}");
        assert_eq!(errs[0].0, "body_too_large", "{client}");
        assert!(errs[0].1.contains("(512 KiB)"), "{client}: {}", errs[0].1);
        assert_eq!(
            report.activity("main", 1).expect("second").1.error_count(),
            0,
            "{client}"
        );
    }
}

/// 50,000 nested `<div>`s (300 KB): skyscraper's parser needed 13 s of CPU for them.
fn nested_divs() -> &'static [u8] {
    let n = 50_000;
    html(&format!(
        "<html><head><title>deep</title></head><body>{}x{}</body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    ))
}

/// A response with an HTML body.
fn html(body: &str) -> &'static [u8] {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .leak()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assert_html_on_50000_nested_divs_fails_fast_with_the_reason() {
    let server = replying(nested_divs()).await;
    let started = Instant::now();
    let text = scenario(
        &server.url,
        &config("lean", ""),
        &get("      assert_html: {\"//title\": true}\n"),
    );
    let run = run_text(&text);
    let report = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("assert_html must not take 20 s");
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "assertion");
    assert!(errs[0].1.contains("nested deeper than 512 levels"), "{}", errs[0].1);
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

/// An HTML page of `n` paragraphs.
fn wide_page(n: usize) -> &'static [u8] {
    html(&format!(
        "<html><body>{}</body></html>",
        "<p class=x>text</p>".repeat(n)
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_that_take_longer_than_check_timeout_fail_as_check_timeout() {
    let server = replying(wide_page(200_000)).await;
    let report = run_text(&scenario(
        &server.url,
        &config("lean", "  check_timeout: 10ms\n"),
        &get("      assert_html: {\"//p\": 200000}\n"),
    ))
    .await;
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "check_timeout");
    assert!(
        errs[0]
            .1
            .starts_with("assert_html on a body of 3.62 MiB did not finish within check_timeout (10ms)"),
        "{}",
        errs[0].1
    );
}

/// On a runtime with one thread, a check that ran on it would stop every other task for as long as
/// it runs; here a ticker task keeps ticking while a slow `assert_html` is evaluated.
#[tokio::test(flavor = "current_thread")]
async fn a_slow_check_leaves_the_runtime_thread_free() {
    let server = replying(wide_page(2_000)).await;
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    // `count(//p)` inside the predicate makes the XPath quadratic in the number of paragraphs.
    let checks = "      assert_html: {\"//p[count(//p) = 2000]\": 2000}\n";
    let started = Instant::now();
    let report = run_text(&scenario(&server.url, &config("lean", ""), &get(checks))).await;
    let took = started.elapsed();
    ticker.abort();
    assert_eq!(errors(&report), Vec::<(String, String)>::new());
    let ticked = ticks.load(Ordering::Relaxed);
    assert!(
        took > Duration::from_millis(100),
        "the check is too fast to show anything: {took:?}"
    );
    // A free thread ticks about every 5 ms; allow for a slow machine.
    let expected = took.as_millis() as u64 / 5;
    assert!(ticked * 4 >= expected, "{ticked} ticks in {took:?}");
}

/// Checks of a large body run on a blocking thread with a copy of the session's variables: a value
/// stored there reaches the session, and `$(var)` in later checks on such bodies is expanded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_flow_through_checks_on_a_blocking_thread() {
    let filler = "<p class=x>text</p>".repeat(5_000);
    let page = html(&format!("<html><body>{filler}<p id=token>t-81.5</p></body></html>"));
    let server = replying(page).await;
    let stored = "      store_regex: {tok: 'id=token>([^<]+)<'}\n";
    for (expected, pass) in [("$(tok)", true), ("$(tok)x", false)] {
        let checks = format!(
            "      assert_html: {{\"//p[@id='token']\": \"^{expected}$\"}}\n      assert_match: 'token>{expected}<'\n"
        );
        let activities = format!("{}{}", get(stored), get(&checks));
        for client in CLIENTS {
            let report = run_text(&scenario(&server.url, &config(client, ""), &activities)).await;
            let errs = errors(&report);
            if pass {
                assert_eq!(errs, Vec::<(String, String)>::new(), "{client}");
            } else {
                assert_eq!(errs.len(), 1, "{client}: {errs:?}");
                assert_eq!(errs[0].0, "assertion", "{client}: {errs:?}");
                // Both checks failed on the stored value, which the page has without the `x`.
                assert!(
                    errs[0].1.contains("text does not match `^$(tok)x$`: 't-81.5'"),
                    "{client}: {}",
                    errs[0].1
                );
                assert!(
                    errs[0].1.contains("result does not match `token>$(tok)x<`"),
                    "{client}: {}",
                    errs[0].1
                );
            }
        }
    }
}

/// A server that reads requests and never answers.
async fn silent() -> common::scripted::Scripted {
    serve(|mut s| async move {
        while read_head(&mut s).await {}
        let _ = s.read(&mut [0u8; 1]).await;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_timeout_bounds_every_attempt() {
    let server = silent().await;
    for (client, per_attempt) in [("lean", "8s"), ("reqwest", "8s"), ("lean", "null"), ("reqwest", "null")] {
        let poll = format!(
            "    - activity: PollRequest\n      url: /\n      interval: 100ms\n      timeout: 1s\n      request_timeout: {per_attempt}\n"
        );
        let started = Instant::now();
        let text = scenario(&server.url, &config(client, ""), &poll);
        let run = run_text(&text);
        let report = tokio::time::timeout(Duration::from_secs(6), run)
            .await
            .unwrap_or_else(|_| panic!("{client}, request_timeout {per_attempt}: the poll outlived its timeout"));
        let took = started.elapsed();
        let errs = errors(&report);
        let what = format!("{client}, request_timeout {per_attempt}");
        assert_eq!(errs.len(), 1, "{what}: {errs:?}");
        assert_eq!(errs[0].0, "timeout", "{what}");
        assert!(
            errs[0].1.starts_with("condition not met after 1"),
            "{what}: {}",
            errs[0].1
        );
        assert!(took < Duration::from_secs(3), "{what}: {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_keeps_sending_interim_responses_is_cut_by_the_timeout() {
    let server = serve(|mut s| async move {
        if read_head(&mut s).await {
            while s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    })
    .await;
    for client in CLIENTS {
        let report = run_text(&scenario(
            &server.url,
            &format!("  request_timeout: 500ms\n  http_client: {client}\n"),
            &get(""),
        ))
        .await;
        let errs = errors(&report);
        assert_eq!(errs.len(), 1, "{client}: {errs:?}");
        assert_eq!(errs[0].0, "timeout", "{client}: {errs:?}");
    }
}
