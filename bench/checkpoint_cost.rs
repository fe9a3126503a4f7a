//! What one checkpoint of a results file costs (`run --checkpoint`, `bench/README.md`):
//!
//!     cargo run --release --example bench_checkpoint RESULTS.json [ROUNDS]
//!
//! Reads a results file of a real run (e.g. `stressor run bench/peers.yaml --out r.json`), then does
//! ROUNDS times (default 50) what the checkpoint thread does with a live report — judge it, build the
//! results, serialize and write them atomically — and prints the CPU time per checkpoint and what that
//! is per second of a run checkpointed every 5 s. The live snapshot itself (merging the per-thread
//! histograms) is the same work the once-a-second `abort_on_fail` check already does.

use std::time::{Duration, Instant};
use stressor::report::json;
use stressor::verdict::{Judgement, Policy};

/// This process's CPU time (user + system).
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct it is given and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: bench_checkpoint RESULTS.json [ROUNDS]")?;
    let rounds: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let results = json::read(std::path::Path::new(&path))?;
    let mut report = results.to_report();
    report.checkpoint = Some(stressor::run::Checkpoint { at: None });
    let dir = tempfile_dir()?;
    let out = dir.join("checkpoint.json");
    let (wall, cpu) = (Instant::now(), cpu_time());
    for _ in 0..rounds {
        let judgement = Judgement::from_parts(
            report.clone(),
            results.thresholds.clone(),
            results.trials.clone(),
            Default::default(),
            Policy::default(),
        );
        json::write(&out, &json::Results::of(&judgement))?;
    }
    let (wall, cpu) = (wall.elapsed() / rounds, (cpu_time() - cpu) / rounds);
    let size = std::fs::metadata(&out)?.len();
    println!(
        "{} activities, {} requests: one checkpoint {:.2} ms CPU ({:.2} ms wall), {} KiB; every 5 s that is {:.3} % of one core",
        results.activities.len(),
        results.total.count,
        cpu.as_secs_f64() * 1e3,
        wall.as_secs_f64() * 1e3,
        size / 1024,
        cpu.as_secs_f64() / 5.0 * 100.0
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("stressor-bench-checkpoint-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
