//! What a generated feeder's row costs (`bench/README.md`), against taking a row of a file feeder:
//!
//!     cargo run --release --example bench_generate [ROWS]
//!
//! Makes ROWS rows (default 1,000,000) with five generators (`uuid`, `counter`, `{int: [1, 10]}`,
//! `{string: 12}`, `{pick: [red, green, blue]}`) the way a `Feed` does, then takes as many rows of a
//! five-column CSV feeder, and prints the time per row of each. Target (issue 31): under 2 µs a row.

use serde_json::json;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use stressor::activity::generate::RowMaker;
use stressor::scenario::FeedData;
use stressor::scenario::generate::{Generated, Generator};

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let generated = Generated {
        columns: vec![
            ("id".into(), Generator::Uuid),
            ("n".into(), Generator::Counter { start: 1 }),
            ("qty".into(), Generator::Int { min: 1, max: 10 }),
            ("code".into(), Generator::Text { len: 12 }),
            (
                "colour".into(),
                Generator::Pick(vec![json!("red"), json!("green"), json!("blue")]),
            ),
        ],
    };
    let maker = RowMaker::new(Arc::new(generated), 42, "order");
    let started = Instant::now();
    for n in 0..rows {
        black_box(maker.row(black_box(n)));
    }
    let generated = started.elapsed();

    let mut csv = String::from("id,n,qty,code,colour\n");
    for n in 0..1000 {
        csv.push_str(&format!("{:032x},{n},{},{:012x},red\n", n * 7919, n % 10, n * 31));
    }
    let data = FeedData::from_csv(Path::new("rows.csv"), &csv).expect("csv");
    let started = Instant::now();
    for n in 0..rows {
        black_box(data.row(black_box(n as usize % 1000)));
    }
    let taken = started.elapsed();
    let per = |d: std::time::Duration| d.as_nanos() as f64 / rows as f64;
    println!("generated row (5 generators): {:.0} ns", per(generated));
    println!("file feeder row (5 columns):  {:.0} ns", per(taken));
}
