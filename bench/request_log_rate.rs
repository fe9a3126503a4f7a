//! The request log's writer on its own: rows handed to `RequestLog` at a fixed rate from two threads
//! (as two runtime workers would), for SECS seconds per rate, and how many were written and dropped.
//! It prices the writer without a server in the way, so the machine's load on the target does not cap
//! the rate asked for. `cargo run --release --example bench_request_log [RATE...]` (default 20000 50000
//! 100000 200000 400000 rows/s); FORMAT=csv for CSV. See bench/README.md.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use stressor::observe::request_log::RequestLog;
use stressor::run::{Plan, RequestRow, RequestSink};
use stressor::scenario::ScenarioBuilder;

fn main() {
    let rates: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let rates = if rates.is_empty() {
        vec![20_000, 50_000, 100_000, 200_000, 400_000]
    } else {
        rates
    };
    let secs: u64 = std::env::var("SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let ext = std::env::var("FORMAT").unwrap_or_else(|_| "jsonl".into());
    let scenario = ScenarioBuilder::new("bench")
        .base_url("http://127.0.0.1:8082")
        .sequence("main", |s| s.get("/test1.json").assert_status([200]))
        .build()
        .expect("scenario");
    let sources = scenario.sources.clone();
    let plan = Plan::new(Arc::new(scenario), sources);
    std::fs::create_dir_all("target/bench/request_log").expect("mkdir");
    for rate in rates {
        let path = std::path::PathBuf::from(format!("target/bench/request_log/rate-{rate}.{ext}"));
        let log = Arc::new(RequestLog::create(&path, 1.0, &plan, None).expect("create"));
        let started = Instant::now();
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    let per_thread = rate / 2;
                    let session = format!("t{:02}", t + 1);
                    let mut sent = 0u64;
                    while started.elapsed() < Duration::from_secs(secs) {
                        // Paced: the rows due by now, then a short sleep.
                        let due = (started.elapsed().as_secs_f64() * per_thread as f64) as u64;
                        while sent < due {
                            sent += 1;
                            log.write(&RequestRow {
                                activity: 0,
                                session: &session,
                                pass: sent,
                                started: SystemTime::now(),
                                intended: None,
                                elapsed: Duration::from_micros(180),
                                url: Some("http://127.0.0.1:8082/test1.json"),
                                status: Some(200),
                                bytes_sent: 0,
                                bytes_received: 15,
                                error_class: None,
                                error: None,
                                trace_id: Some("0af7651916cd43dd8448eb211c80319c"),
                            });
                        }
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    sent
                })
            })
            .collect();
        let sent: u64 = threads.into_iter().map(|t| t.join().expect("thread")).sum();
        let written = log.finish().expect("finish");
        println!(
            "{rate} rows/s for {secs} s: {sent} handed over, {} written, {} dropped ({:.2} %)",
            written.rows,
            written.dropped,
            100.0 * written.dropped as f64 / sent.max(1) as f64
        );
    }
}
