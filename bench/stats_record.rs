//! Benchmark of the statistics recorder (not a test): records samples through the real
//! `RunRecorder` / `SessionRecorder` API from several threads, then snapshots; prints the cost per
//! recorded sample, the total time and the peak RSS. See `bench/STATS.md`.
//!
//! ```text
//! cargo run --release --example bench_stats -- [--samples N] [--activities N] [--threads N]
//!     [--sessions N] [--median-ms X] [--sigma X] [--tail X]
//! ```
//!
//! Defaults: 10,000,000 samples across 1,000 activities from 2 threads, 100 sessions per thread;
//! latencies log-normal with a 3 ms median and σ = 0.6, plus a `--tail` fraction (default 0.001) of
//! slow samples spread over 100 ms..2 s (timeouts, slow queries); 1 sample in 1024 is an error.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stressor::activity::ErrorClass;
use stressor::stats::{RunRecorder, Sample};

struct Args {
    samples: u64,
    activities: usize,
    threads: usize,
    sessions: usize,
    median_ms: f64,
    sigma: f64,
    tail: f64,
}

fn parse_args() -> Args {
    let mut a = Args {
        samples: 10_000_000,
        activities: 1_000,
        threads: 2,
        sessions: 100,
        median_ms: 3.0,
        sigma: 0.6,
        tail: 0.001,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--samples" => a.samples = num(&flag, &value),
            "--activities" => a.activities = num(&flag, &value),
            "--threads" => a.threads = num(&flag, &value),
            "--sessions" => a.sessions = num(&flag, &value),
            "--median-ms" => a.median_ms = num(&flag, &value),
            "--sigma" => a.sigma = num(&flag, &value),
            "--tail" => a.tail = num(&flag, &value),
            _ => panic!("unknown flag {flag}"),
        }
    }
    assert!(a.activities > 0 && a.threads > 0 && a.sessions > 0);
    a
}

fn num<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| panic!("invalid value for {flag}: {value}"))
}

/// xorshift64*: fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

const TABLE_BITS: u32 = 16;

/// 65,536 latencies drawn up front (Box–Muller), so drawing one while recording costs a table lookup.
fn latency_table(args: &Args) -> Vec<Duration> {
    let mut rng = Rng(0x5eed);
    (0..1usize << TABLE_BITS)
        .map(|_| {
            if rng.unit() < args.tail {
                Duration::from_secs_f64(0.1 + 1.9 * rng.unit())
            } else {
                let z = (-2.0 * rng.unit().ln()).sqrt() * (std::f64::consts::TAU * rng.unit()).cos();
                Duration::from_secs_f64(args.median_ms / 1000.0 * (args.sigma * z).exp())
            }
        })
        .collect()
}

/// A `kB` field of `/proc/self/status` (VmRSS, VmHWM), in MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn memory(phase: &str) {
    println!(
        "  {phase:<28} VmRSS {:7.1} MB   VmHWM (peak) {:7.1} MB",
        status_mb("VmRSS:"),
        status_mb("VmHWM:")
    );
}

/// CPU time of the calling thread (first field of `/proc/thread-self/schedstat`, in ns): unlike wall
/// time, it leaves out the time the thread waited for a core (the machine may be shared).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|ns| ns.parse().ok()))
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Draws what one sample needs: activity, latency, error.
#[inline]
fn draw(rng: &mut Rng, table: &[Duration], activities: usize) -> (usize, Duration, Option<ErrorClass>) {
    let r = rng.next();
    let activity = (((r >> 32) * activities as u64) >> 32) as usize;
    let latency = table[(r & ((1 << TABLE_BITS) - 1)) as usize];
    let error = ((r >> TABLE_BITS) & 1023 == 0).then_some(ErrorClass::Status);
    (activity, latency, error)
}

fn main() {
    let args = parse_args();
    let table = Arc::new(latency_table(&args));
    println!(
        "bench_stats: {} samples, {} activities, {} threads × {} sessions; log-normal median {} ms σ {}, tail {}",
        args.samples, args.activities, args.threads, args.sessions, args.median_ms, args.sigma, args.tail
    );
    memory("start");
    let per_thread = args.samples / args.threads as u64;

    // The same loop without recording: what drawing the samples costs.
    let t = Instant::now();
    let mut rng = Rng(1);
    for _ in 0..per_thread {
        black_box(draw(&mut rng, &table, args.activities));
    }
    let baseline_ns = t.elapsed().as_nanos() as f64 / per_thread as f64;

    let recorder = Arc::new(RunRecorder::new(vec![true; args.activities], 1));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.threads)
        .map(|w| {
            let (recorder, table) = (recorder.clone(), table.clone());
            let (sessions, activities) = (args.sessions, args.activities);
            std::thread::spawn(move || {
                let sessions: Vec<_> = (0..sessions)
                    .map(|s| recorder.session(format!("t{w}-{s}"), "bench"))
                    .collect();
                let mut rng = Rng(w as u64 + 1);
                let (t, cpu) = (Instant::now(), thread_cpu());
                for i in 0..per_thread {
                    let (activity, latency, error) = draw(&mut rng, &table, activities);
                    let sample = Sample::new(latency).with_error(error).with_bytes(200, 2_000);
                    sessions[i as usize % sessions.len()].record_activity(activity, &sample);
                }
                (t.elapsed(), thread_cpu() - cpu)
            })
        })
        .collect();
    let times: Vec<(Duration, Duration)> = workers.into_iter().map(|w| w.join().expect("worker")).collect();
    let wall = started.elapsed();
    let recorded = per_thread * args.threads as u64;
    let per_sample = |pick: fn(&(Duration, Duration)) -> Duration| {
        times.iter().map(|t| pick(t).as_nanos() as f64).sum::<f64>() / args.threads as f64 / per_thread as f64
    };
    println!("recording:");
    println!(
        "  {recorded} samples in {:.3} s wall, {:.1} M samples/s in total",
        wall.as_secs_f64(),
        recorded as f64 / wall.as_secs_f64() / 1e6
    );
    println!(
        "  per sample and thread: {:.1} ns CPU time, {:.1} ns wall time (drawing the sample alone: {:.1} ns)",
        per_sample(|t| t.1),
        per_sample(|t| t.0),
        baseline_ns
    );
    memory("after recording");

    let t = Instant::now();
    let live = recorder.snapshot();
    let snapshot_time = t.elapsed();
    assert_eq!(live.total.count, recorded);
    assert_eq!(live.activities.iter().map(|m| m.count).sum::<u64>(), recorded);
    println!("snapshot (live, copies): {:.1} ms", snapshot_time.as_secs_f64() * 1e3);
    memory("with a live snapshot");
    drop(live);

    let t = Instant::now();
    let fin = recorder.finish();
    let finish_time = t.elapsed();
    assert_eq!(fin.total.count, recorded);
    println!("finish (final, moves): {:.1} ms", finish_time.as_secs_f64() * 1e3);
    memory("after finish");
    let total = &fin.total.latency;
    let pct = |p: f64| total.percentile(p).map_or(0.0, |d| d.as_secs_f64() * 1e3);
    println!(
        "check: total {} samples, {} errors, p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms; {} shards, {} series entries",
        fin.total.count,
        fin.total.error_count(),
        pct(50.0),
        pct(99.0),
        pct(99.9),
        total.max().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        recorder.shard_count(),
        fin.series.len()
    );
    println!(
        "total time {:.3} s; peak RSS (VmHWM) {:.1} MB",
        started.elapsed().as_secs_f64(),
        status_mb("VmHWM:")
    );
}
