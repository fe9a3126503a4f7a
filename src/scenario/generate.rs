//! Generated test data and records of what a run created: the model of a feeder's `generate:` and of
//! the `Record` activity (the values themselves are made at run time, in `crate::activity::generate`).
//!
//! ```yaml
//! feeders:
//!   order:
//!     generate: {id: uuid, n: counter, qty: {int: [1, 10]}, colour: {pick: [red, green]}, at: now}
//! sequences:
//!   main:
//!     - activity: Feed
//!       feeder: order                       # $(order.id), $(order.n), ...
//!     - activity: PutRequest
//!       url: /orders/$(order.id)
//!       json: {n: "$(order.n)", qty: "$(order.qty)"}
//!     - activity: Record
//!       file: created.csv
//!       row: {id: "$(order.id)"}
//! ```

use serde_json::Value;
use std::path::PathBuf;

/// How one column of a generated row is made.
#[derive(Clone, Debug, PartialEq)]
pub enum Generator {
    /// A random UUID (version 4), new on every run.
    Uuid,
    /// `start`, `start + 1`, ... across every session and `--shard` process of the run.
    Counter {
        /// The first value (`{counter: {start: N}}`, default 1).
        start: i64,
    },
    /// A whole number from `min` to `max`, both included.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// A number from `min` (included) to `max` (excluded).
    Float {
        /// Smallest value.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// `len` letters and digits (`A-Z`, `a-z`, `0-9`).
    Text {
        /// How many characters.
        len: usize,
    },
    /// One of the values, each as likely.
    Pick(Vec<Value>),
    /// The time the row is made, RFC 3339 in UTC with milliseconds.
    Now,
    /// The time the row is made, milliseconds since the Unix epoch.
    NowMs,
}

impl Generator {
    /// The names `generate:` accepts.
    pub const NAMES: [&str; 8] = ["uuid", "counter", "int", "float", "string", "pick", "now", "now_ms"];

    /// Whether its values come from the run's seed (the same seed gives the same values).
    pub fn is_seeded(&self) -> bool {
        matches!(
            self,
            Generator::Int { .. } | Generator::Float { .. } | Generator::Text { .. } | Generator::Pick(_)
        )
    }
}

/// The columns of a generated feeder, in the order written.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// Column name and generator.
    pub columns: Vec<(String, Generator)>,
}

/// The file format of a `Record`, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordFormat {
    /// `.csv`: a header row, then one row per record (values as text).
    Csv,
    /// `.jsonl` / `.ndjson`: one JSON object per line (values keep their types).
    JsonLines,
}

/// `Record`'s arguments: append one row to a file each time it runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordArgs {
    /// The file, absolute (its folder exists and is inside the scenario's folder). Under `--shard`,
    /// each shard writes a file of its own named after it.
    pub file: PathBuf,
    /// The file as written in the scenario (for messages and reports).
    pub shown: String,
    /// CSV or JSON Lines.
    pub format: RecordFormat,
    /// Column names and their values (templates, expanded when the activity runs).
    pub row: Vec<(String, Value)>,
}
