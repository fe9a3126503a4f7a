//! Memory under bodies that never end, are very large or decompress to very large, measured as this process's peak resident
//! set (Linux `VmHWM`, reset between cases through `/proc/self/clear_refs`). A test binary of its
//! own with one test, so that no other test's memory is counted. The scripted server runs in this
//! process too; it sends from one fixed 64 KiB buffer.

#[path = "it/common/mod.rs"]
mod common;

use common::scripted::{errors, peak_rss, run_text, scenario, serve, stream_body};
use std::time::{Duration, Instant};

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
    eprintln!("{}", report.join("\n"));
}
