//! How long a large feeder file takes to load and how much memory it keeps (`bench/README.md`):
//!
//!     cargo run --release --example bench_feeder [ROWS]
//!
//! Writes a CSV of ROWS rows (default 1,000,000; five columns, ~50 MB) to `target/bench/feeder.csv`
//! unless it is there, then reads it the way the loader does ([`FeedData::read`]) and prints the time
//! and the process's resident memory before and after (Linux `VmRSS`), against the file's size.

use std::io::Write;
use std::path::Path;
use std::time::Instant;
use stressor::scenario::FeedData;

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l[6..].trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib * 1024)
}

fn main() -> std::io::Result<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = Path::new("target/bench");
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("feeder-{rows}.csv"));
    if !path.exists() {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        writeln!(out, "id,username,password,email,team")?;
        for i in 0..rows {
            writeln!(
                out,
                "{i},user{i:07},pw-{:08x},user{i:07}@example.test,team-{}",
                i * 2_654_435_761 % 4_294_967_291,
                i % 17
            )?;
        }
    }
    let size = std::fs::metadata(&path)?.len();
    let before = rss_bytes();
    let started = Instant::now();
    let data = FeedData::read(&path).map_err(std::io::Error::other)?;
    let took = started.elapsed();
    let kept = rss_bytes().saturating_sub(before);
    let mib = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "{}: {} rows, {:.1} MiB; loaded in {:.3} s; memory kept {:.1} MiB ({:.2}x the file)",
        path.display(),
        data.len(),
        mib(size),
        took.as_secs_f64(),
        mib(kept),
        kept as f64 / size as f64
    );
    assert_eq!(data.len(), rows);
    Ok(())
}
