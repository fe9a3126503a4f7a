//! Memory under bodies that never end, are very large or decompress to very large, measured as this process's peak resident
//! set (Linux `VmHWM`, reset between cases through `/proc/self/clear_refs`). A test binary of its
//! own with one test, so that no other test's memory is counted. The scripted server runs in this
//! process too; it sends from one fixed 64 KiB buffer.

#[path = "it/common/mod.rs"]
mod common;

use common::scripted::{errors, peak_rss, run_text, scenario, serve, stream_body};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MIB: u64 = 1 << 20;

/// Resets the peak to the current resident set; false where that is not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs `text`; returns its errors, how long it took and how far the peak rose above the resident set
/// before it.
async fn measure(text: &str) -> (Vec<(String, String)>, Duration, u64) {
    reset_peak();
    let before = peak_rss().unwrap_or(0);
    let started = Instant::now();
    let report = run_text(text).await;
    let took = started.elapsed();
    let rise = peak_rss().unwrap_or(0).saturating_sub(before);
    (errors(&report), took, rise)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_and_large_bodies_cost_time_not_memory() {
    if !reset_peak() || peak_rss().is_none() {
        eprintln!("no /proc/self/clear_refs or VmHWM here: memory not measured");
        return;
    }
    // Endless bodies: the server stops after 1 GiB (a client that keeps everything would hold it all).
    let endless_chunked = serve(|s| async move {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        stream_body(s, head, &[b'a'; 64 * 1024], 1 << 30, true).await;
    })
    .await;
    let endless_until_close = serve(|s| async move {
        stream_body(s, "HTTP/1.1 200 OK\r\n\r\n", &[b'a'; 64 * 1024], 1 << 30, false).await;
    })
    .await;
    let fifty_mb = serve(|s| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n";
        stream_body(s, head, &[b'a'; 50_000], 50_000_000, false).await;
    })
    .await;
    let mut report = Vec::new();
    for client in ["lean", "reqwest"] {
        for (name, server) in [("chunked", &endless_chunked), ("until close", &endless_until_close)] {
            let config = format!("  request_timeout: 2s\n  http_client: {client}\n");
            let text = scenario(&server.url, &config, "    - activity: GetRequest\n      url: /\n");
            let (errs, took, rise) = measure(&text).await;
            let what = format!("{client}, endless {name} body");
            report.push(format!("{what}: peak +{} MiB in {took:?}", rise / MIB));
            assert_eq!(errs.len(), 1, "{what}: {errs:?}");
            assert_eq!(errs[0].0, "timeout", "{what}: {errs:?}");
            assert!(rise < 64 * MIB, "{what}: peak resident set rose by {} MiB", rise / MIB);
        }
        // 50 MB kept whole for assert_match (the limit raised for it).
        let config = format!("  request_timeout: 30s\n  http_client: {client}\n  max_body_size: 64MiB\n");
        let checks = "    - activity: GetRequest\n      url: /\n      assert_match: \"a{50}$\"\n";
        let (errs, took, rise) = measure(&scenario(&fifty_mb.url, &config, checks)).await;
        let what = format!("{client}, 50 MB body with assert_match");
        report.push(format!("{what}: peak +{} MiB in {took:?}", rise / MIB));
        assert_eq!(errs, Vec::<(String, String)>::new(), "{what}");
        assert!(rise < 100 * MIB, "{what}: peak resident set rose by {} MiB", rise / MIB);
    }
    // A decompression bomb: 1 GiB of zeros gzipped (about 1 MiB on the wire) from the built-in target,
    // read by a check. Decoding stops one chunk past max_body_size (16 MiB): body_too_large.
    let target = stressor::target::TargetServer::start(stressor::target::TargetConfig::default())
        .await
        .expect("target server");
    for client in ["lean", "reqwest"] {
        let config = format!("  request_timeout: 60s\n  http_client: {client}\n");
        let checks = "    - activity: GetRequest\n      url: /gzip-bomb?mib=1024\n      assert_match: x\n";
        let (errs, took, rise) = measure(&scenario(&target.url(), &config, checks)).await;
        let what = format!("{client}, 1 GiB gzip bomb with assert_match");
        report.push(format!("{what}: peak +{} MiB in {took:?}", rise / MIB));
        assert_eq!(errs.len(), 1, "{what}: {errs:?}");
        assert_eq!(errs[0].0, "body_too_large", "{what}: {errs:?}");
        assert!(rise < 64 * MIB, "{what}: peak resident set rose by {} MiB", rise / MIB);
    }

    // Issue 27, values from a server: ~1 KB of nested references (`v0` = ten `$(v1)`, ..., `v9` a short
    // text) once expanded to 400 MB (1.19 GiB peak); as data, they are inserted as they came.
    let nested = {
        let mut fields: Vec<String> = (0..9)
            .map(|i| format!("\"v{i}\": \"{}\"", format!("$(v{})", i + 1).repeat(10)))
            .collect();
        fields.push("\"v9\": \"0123456789abcdefghijklmnopqrstuvwxyz\"".into());
        let body = format!("{{{}}}", fields.join(", "));
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        serve(move |mut s| {
            let reply = reply.clone();
            async move {
                while common::scripted::read_head(&mut s).await {
                    if s.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            }
        })
        .await
    };
    let stores: String = (0..10).map(|i| format!("v{i}: v{i}, ")).collect();
    let activities = format!(
        "    - activity: GetRequest\n      url: /\n      store_json: {{{stores}}}\n    - activity: GetRequest\n      url: /\n      headers: {{X-Nested: \"$(v0)\"}}\n"
    );
    let (errs, took, rise) = measure(&scenario(&nested.url, "  request_timeout: 30s\n", &activities)).await;
    report.push(format!(
        "nested references from a server: peak +{} MiB in {took:?}",
        rise / MIB
    ));
    assert_eq!(errs, Vec::<(String, String)>::new());
    assert!(
        rise < 64 * MIB,
        "nested references: peak resident set rose by {} MiB",
        rise / MIB
    );

    // Issue 27, a 10 MiB stored value in `assert_match: "BEGIN$(big)END"`: 1.1 GiB before the regex
    // engine gave up; now a plain-text search.
    let big = serve(|mut s| async move {
        loop {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                match s.read(&mut byte).await {
                    Ok(1) => head.push(byte[0]),
                    _ => return,
                }
            }
            let document = head.starts_with(b"GET /doc");
            let (before, after): (&[u8], &[u8]) = if document { (b"BEGIN", b"END") } else { (b"", b"") };
            let len = before.len() + 10 * MIB as usize + after.len();
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n");
            let piece = [b'x'; 64 * 1024];
            let mut ok = s.write_all(head.as_bytes()).await.is_ok() && s.write_all(before).await.is_ok();
            for _ in 0..160 {
                ok = ok && s.write_all(&piece).await.is_ok();
            }
            if !(ok && s.write_all(after).await.is_ok()) {
                return;
            }
        }
    })
    .await;
    let activities = "    - activity: GetRequest\n      url: /value\n      store_regex: {big: '^(x+)$'}\n    - activity: GetRequest\n      url: /doc\n      assert_match: BEGIN$(big)END\n";
    // Debug builds take seconds to capture 10 MiB with a regex: the store gets time.
    let config = "  request_timeout: 60s\n  check_timeout: 120s\n";
    let (errs, took, rise) = measure(&scenario(&big.url, config, activities)).await;
    report.push(format!(
        "10 MiB value in assert_match: peak +{} MiB in {took:?}",
        rise / MIB
    ));
    assert_eq!(errs, Vec::<(String, String)>::new());
    assert!(
        rise < 64 * MIB,
        "10 MiB value in a pattern: peak resident set rose by {} MiB",
        rise / MIB
    );
    eprintln!("{}", report.join("\n"));
}
