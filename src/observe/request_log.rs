//! The per-request log (`run --request-log FILE`): one row per request, JSON Lines or CSV.
//!
//! ```text
//!  session tasks ──keep? (sample; errors always)──► buffer (Mutex<Vec>, at most BUFFER_ROWS) ──► writer thread
//!                                   full: the row is dropped and counted          every 50 ms: swap, format, write
//! ```
//!
//! A session hands its row over with one short lock and never waits for the disk: the writer thread
//! swaps the whole buffer out every [`WAKE`] and formats and writes it while the sessions fill the
//! other one. Nobody is woken per row (no futex call per request). When the writer falls that far
//! behind that [`BUFFER_ROWS`] rows wait, new rows are dropped and counted; the run's health shows the
//! count ([`GeneratorHealth::request_log_dropped`](crate::run::GeneratorHealth)), so a log that is not
//! complete says so. Errors are kept whatever the sample; a StaticRequests URL is a row of its own; a
//! PollRequest is one row (its attempts are one execution, as the statistics count it); activities
//! that send no request (Sleep, RunScript, Feed, plugins) have none.

use crate::run::{Plan, RequestRow, RequestSink, Shard};
use crate::scenario::rfc3339::format_rfc3339_micros;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// Rows that may wait for the writer before new ones are dropped (a few seconds at 20,000 requests/s).
pub const BUFFER_ROWS: usize = 65_536;
/// How often the writer takes what is waiting.
const WAKE: Duration = Duration::from_millis(50);

/// The log's file format, from the file name's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.jsonl`: one JSON object per line.
    Jsonl,
    /// `.csv`: a header row, then one row per request.
    Csv,
}

impl Format {
    /// `.jsonl` (or `.ndjson`) or `.csv`; `None` for anything else.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Why the request log could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RequestLogError {
    /// The file name has no known extension.
    #[error("cannot tell the format of the request log `{0}`: name it `.jsonl` (JSON Lines) or `.csv`")]
    Format(PathBuf),
    /// The file could not be created or written.
    #[error("failed to write the request log `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What the log wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows in the file.
    pub rows: u64,
    /// Rows kept but lost (see the module documentation).
    pub dropped: u64,
}

/// A running request log: the [`RequestSink`] to pass in [`RunOptions::requests`](crate::run::RunOptions),
/// and its writer thread. Call [`RequestLog::finish`] after the run to write what is left.
pub struct RequestLog {
    shared: Arc<Shared>,
    writer: Mutex<Option<std::thread::JoinHandle<std::io::Result<u64>>>>,
    path: PathBuf,
}

/// One activity's fixed columns.
struct Fixed {
    logged: bool,
    workload: Option<String>,
    sequence: String,
    activity: String,
    method: Option<String>,
    tags: Vec<(String, String)>,
}

struct Shared {
    sample: f64,
    /// Rows that may wait (see [`BUFFER_ROWS`]).
    capacity: usize,
    activities: Vec<Fixed>,
    shard: Option<String>,
    buffer: Mutex<Vec<Row>>,
    wake: Condvar,
    done: AtomicBool,
    dropped: AtomicU64,
}

/// A kept row, owned.
struct Row {
    activity: usize,
    session: String,
    pass: u64,
    started: SystemTime,
    intended: Option<SystemTime>,
    elapsed: Duration,
    url: Option<String>,
    status: Option<u16>,
    bytes_sent: u64,
    bytes_received: u64,
    error_class: Option<crate::activity::ErrorClass>,
    error: Option<String>,
    trace_id: Option<String>,
}

impl RequestLog {
    /// Creates `path` (`.jsonl` or `.csv`) and starts the writer. `sample` (0..=1) is the share of
    /// successful requests kept; failed ones are always kept.
    pub fn create(path: &Path, sample: f64, plan: &Plan, shard: Option<Shard>) -> Result<RequestLog, RequestLogError> {
        Self::with_capacity(path, sample, plan, shard, BUFFER_ROWS)
    }

    fn with_capacity(
        path: &Path,
        sample: f64,
        plan: &Plan,
        shard: Option<Shard>,
        capacity: usize,
    ) -> Result<RequestLog, RequestLogError> {
        let format = Format::of(path).ok_or_else(|| RequestLogError::Format(path.to_path_buf()))?;
        let file = std::fs::File::create(path).map_err(|source| RequestLogError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let activities = plan
            .activities
            .iter()
            .map(|info| {
                let method = super::method_of(&plan.scenario, info);
                Fixed {
                    logged: method.is_some(),
                    workload: info.workload.clone(),
                    sequence: info.sequence.clone(),
                    activity: info.label.clone(),
                    method,
                    tags: super::split_tags(&info.tags),
                }
            })
            .collect();
        let shared = Arc::new(Shared {
            sample: sample.clamp(0.0, 1.0),
            capacity,
            activities,
            shard: shard.map(|s| s.to_string()),
            buffer: Mutex::new(Vec::with_capacity(1024)),
            wake: Condvar::new(),
            done: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
        });
        let writer_shared = shared.clone();
        let writer = std::thread::Builder::new()
            .name("stressor-request-log".into())
            .spawn(move || {
                write_loop(
                    &writer_shared,
                    std::io::BufWriter::with_capacity(256 << 10, file),
                    format,
                )
            })
            .map_err(|source| RequestLogError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(RequestLog {
            shared,
            writer: Mutex::new(Some(writer)),
            path: path.to_path_buf(),
        })
    }

    /// Writes what is still waiting, closes the file and says how many rows it has.
    pub fn finish(&self) -> Result<Written, RequestLogError> {
        self.shared.done.store(true, Ordering::Release);
        self.shared.wake.notify_all();
        let writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner).take();
        let rows = match writer.map(|w| w.join()) {
            Some(Ok(Ok(rows))) => rows,
            Some(Ok(Err(source))) => {
                return Err(RequestLogError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
            Some(Err(_)) => {
                return Err(RequestLogError::Io {
                    path: self.path.clone(),
                    source: std::io::Error::other("the writer thread panicked"),
                });
            }
            None => 0,
        };
        Ok(Written {
            rows,
            dropped: self.shared.dropped.load(Ordering::Relaxed),
        })
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        // A log dropped without `finish` (an early return) still ends its thread and flushes.
        let _ = self.finish();
    }
}

impl RequestSink for RequestLog {
    fn keep(&self, activity: usize, failed: bool) -> bool {
        let shared = &self.shared;
        shared.activities.get(activity).is_some_and(|a| a.logged)
            && (failed || shared.sample >= 1.0 || (shared.sample > 0.0 && fastrand::f64() < shared.sample))
    }

    fn write(&self, row: &RequestRow<'_>) {
        let owned = Row {
            activity: row.activity,
            session: row.session.to_string(),
            pass: row.pass,
            started: row.started,
            intended: row.intended,
            elapsed: row.elapsed,
            url: row.url.map(str::to_string),
            status: row.status,
            bytes_sent: row.bytes_sent,
            bytes_received: row.bytes_received,
            error_class: row.error_class,
            error: row.error.map(str::to_string),
            trace_id: row.trace_id.map(str::to_string),
        };
        let mut buffer = self.shared.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        if buffer.len() >= self.shared.capacity {
            drop(buffer);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            buffer.push(owned);
        }
    }

    fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

/// The writer thread: every [`WAKE`], takes the waiting rows and writes them; at the end, the rest.
fn write_loop<W: Write>(shared: &Shared, out: W, format: Format) -> std::io::Result<u64> {
    let mut taken: Vec<Row> = Vec::with_capacity(1024);
    let mut out = match format {
        Format::Jsonl => Out::Json(out),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(COLUMNS).map_err(std::io::Error::other)?;
            Out::Csv(Box::new(w))
        }
    };
    let mut rows = 0u64;
    let mut failed: Option<std::io::Error> = None;
    loop {
        let done = {
            let buffer = shared.buffer.lock().unwrap_or_else(PoisonError::into_inner);
            let (mut buffer, _) = shared
                .wake
                .wait_timeout_while(buffer, WAKE, |_| !shared.done.load(Ordering::Acquire))
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut *buffer, &mut taken);
            shared.done.load(Ordering::Acquire)
        };
        if failed.is_some() {
            // The file cannot be written: what arrives is lost, and counted as such.
            shared.dropped.fetch_add(taken.len() as u64, Ordering::Relaxed);
        } else if let Err(e) = write_rows(shared, &mut out, &taken) {
            shared.dropped.fetch_add(taken.len() as u64, Ordering::Relaxed);
            failed = Some(e);
        } else {
            rows += taken.len() as u64;
        }
        taken.clear();
        if done {
            break;
        }
    }
    match failed {
        Some(e) => Err(e),
        None => out.flush().map(|()| rows),
    }
}

/// The file, as JSON Lines or through the CSV writer (which quotes as RFC 4180 says).
enum Out<W: Write> {
    Json(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Out<W> {
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::Json(w) => w.flush(),
            Out::Csv(w) => w.flush(),
        }
    }
}

const COLUMNS: [&str; 19] = [
    "timestamp",
    "intended",
    "shard",
    "workload",
    "sequence",
    "activity",
    "session",
    "pass",
    "method",
    "url",
    "status",
    "elapsed_ms",
    "response_time_ms",
    "bytes_sent",
    "bytes_received",
    "error_class",
    "error",
    "trace_id",
    "tags",
];

/// One row as a JSON object (the CSV has the same columns, in this order).
#[derive(Serialize)]
struct JsonRow<'a> {
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    intended: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shard: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workload: Option<&'a str>,
    sequence: &'a str,
    activity: &'a str,
    session: &'a str,
    pass: u64,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    elapsed_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_time_ms: Option<f64>,
    bytes_sent: u64,
    bytes_received: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_class: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    tags: serde_json::Map<String, serde_json::Value>,
}

fn millis(d: Duration) -> f64 {
    // Microsecond resolution: more digits would only be noise.
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn write_rows<W: Write>(shared: &Shared, out: &mut Out<W>, rows: &[Row]) -> std::io::Result<()> {
    for row in rows {
        let Some(fixed) = shared.activities.get(row.activity) else {
            continue;
        };
        let json = JsonRow {
            timestamp: format_rfc3339_micros(row.started),
            intended: row.intended.map(format_rfc3339_micros),
            shard: shared.shard.as_deref(),
            workload: fixed.workload.as_deref(),
            sequence: &fixed.sequence,
            activity: &fixed.activity,
            session: &row.session,
            pass: row.pass,
            method: fixed.method.as_deref().unwrap_or_default(),
            url: row.url.as_deref(),
            status: row.status,
            elapsed_ms: millis(row.elapsed),
            response_time_ms: row
                .intended
                .map(|i| millis(row.started.duration_since(i).unwrap_or_default() + row.elapsed)),
            bytes_sent: row.bytes_sent,
            bytes_received: row.bytes_received,
            error_class: row.error_class.map(|c| c.as_str()),
            error: row.error.as_deref(),
            trace_id: row.trace_id.as_deref(),
            tags: fixed
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        };
        match out {
            Out::Json(out) => {
                serde_json::to_writer(&mut *out, &json).map_err(std::io::Error::other)?;
                out.write_all(b"\n")?;
            }
            Out::Csv(w) => {
                let opt = |v: Option<String>| v.unwrap_or_default();
                let tags: Vec<String> = fixed.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
                w.write_record([
                    json.timestamp.as_str(),
                    &opt(json.intended.clone()),
                    json.shard.unwrap_or_default(),
                    json.workload.unwrap_or_default(),
                    json.sequence,
                    json.activity,
                    json.session,
                    &json.pass.to_string(),
                    json.method,
                    json.url.unwrap_or_default(),
                    &opt(json.status.map(|s| s.to_string())),
                    &json.elapsed_ms.to_string(),
                    &opt(json.response_time_ms.map(|r| r.to_string())),
                    &json.bytes_sent.to_string(),
                    &json.bytes_received.to_string(),
                    json.error_class.unwrap_or_default(),
                    json.error.unwrap_or_default(),
                    json.trace_id.unwrap_or_default(),
                    &tags.join(";"),
                ])
                .map_err(std::io::Error::other)?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioBuilder;

    fn plan() -> Plan {
        let scenario = ScenarioBuilder::new("log")
            .base_url("http://127.0.0.1:1")
            .sequence("main", |s| s.get("/a").name("a").sleep(0.1))
            .build()
            .unwrap();
        let sources = scenario.sources.clone();
        Plan::new(Arc::new(scenario), sources)
    }

    fn row(error: Option<&str>) -> RequestRow<'_> {
        RequestRow {
            activity: 0,
            session: "t01",
            pass: 2,
            started: SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456),
            intended: None,
            elapsed: Duration::from_micros(1500),
            url: Some("http://127.0.0.1:1/a"),
            status: Some(if error.is_some() { 500 } else { 200 }),
            bytes_sent: 0,
            bytes_received: 2,
            error_class: error.map(|_| crate::activity::ErrorClass::Status),
            error,
            trace_id: None,
        }
    }

    #[test]
    fn only_requests_are_kept_and_a_zero_sample_keeps_the_failures() {
        let dir = tempfile::tempdir().unwrap();
        let log = RequestLog::create(&dir.path().join("r.jsonl"), 0.0, &plan(), None).unwrap();
        assert!(log.keep(0, true));
        assert!(!log.keep(0, false));
        assert!(!log.keep(1, true), "a Sleep sends no request");
        assert!(!log.keep(7, true), "no such activity");
    }

    #[test]
    fn csv_rows_are_quoted_and_json_rows_leave_out_what_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let plan = plan();
        let csv_path = dir.path().join("r.csv");
        let log = RequestLog::create(&csv_path, 1.0, &plan, Shard::parse("2/3").ok()).unwrap();
        log.write(&row(Some("bad, very bad\nsecond line")));
        assert_eq!(log.finish().unwrap(), Written { rows: 1, dropped: 0 });
        let text = std::fs::read_to_string(&csv_path).unwrap();
        assert_eq!(
            text,
            "timestamp,intended,shard,workload,sequence,activity,session,pass,method,url,status,elapsed_ms,response_time_ms,bytes_sent,bytes_received,error_class,error,trace_id,tags\n\
             2023-11-14T22:13:20.123456Z,,2/3,,main,a,t01,2,GET,http://127.0.0.1:1/a,500,1.5,,0,2,status,\"bad, very bad\nsecond line\",,\n"
        );
        let json_path = dir.path().join("r.jsonl");
        let log = RequestLog::create(&json_path, 1.0, &plan, None).unwrap();
        log.write(&row(None));
        log.finish().unwrap();
        let line = std::fs::read_to_string(&json_path).unwrap();
        assert_eq!(
            line,
            "{\"timestamp\":\"2023-11-14T22:13:20.123456Z\",\"sequence\":\"main\",\"activity\":\"a\",\"session\":\"t01\",\"pass\":2,\"method\":\"GET\",\"url\":\"http://127.0.0.1:1/a\",\"status\":200,\"elapsed_ms\":1.5,\"bytes_sent\":0,\"bytes_received\":2}\n"
        );
    }

    #[test]
    fn a_full_buffer_drops_rows_and_counts_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let log = RequestLog::with_capacity(&path, 1.0, &plan(), None, 10).unwrap();
        for _ in 0..1000 {
            log.write(&row(None));
        }
        let written = log.finish().unwrap();
        assert!(written.dropped > 0, "{written:?}");
        assert_eq!(written.rows + written.dropped, 1000, "every row is written or counted");
        assert_eq!(log.dropped(), written.dropped);
        let lines = std::fs::read_to_string(&path).unwrap().lines().count() as u64;
        assert_eq!(lines, written.rows);
    }
}
