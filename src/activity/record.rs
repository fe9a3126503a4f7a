//! `Record`: write down what a run created, one row per execution, in a file the next run can feed on.
//!
//! Every `Record` file of a run is opened when the run starts ([`Records::open`]), in append mode:
//! earlier rows are kept (a record of created data is not thrown away by the next run), and a CSV
//! file gets its header only when it is new or empty (an existing one must have the same columns).
//! Under `--shard K/N`, each shard writes a file of its own, `NAME.shard-K-of-N.EXT`.
//!
//! Each row is formatted whole and handed to the operating system in one `write` on an unbuffered
//! file, under a lock: a stopped run, a Ctrl-C or a killed process leaves complete lines only, and
//! every row written is in the file at once (no buffer to lose).

use super::{ActivityError, ErrorClass};
use crate::expand::render_text;
use crate::run::Shard;
use crate::scenario::generate::{RecordArgs, RecordFormat};
use crate::scenario::{ActivityKind, Scenario};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A `Record` file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// It cannot be opened or read.
    #[error("cannot record into `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It exists with other columns than this run's `Record` writes.
    #[error(
        "cannot record into `{}`: it has the columns {found}, but `Record` writes {want}; record into another file (or move this one away)",
        path.display()
    )]
    Columns {
        /// The file.
        path: PathBuf,
        /// Its header.
        found: String,
        /// The `row` keys.
        want: String,
    },
    /// Two `Record` activities write different columns to the same file.
    #[error("two `Record` activities write different columns to `{shown}`: {a} and {b}")]
    Mixed {
        /// The file as written.
        shown: String,
        /// One's columns.
        a: String,
        /// The other's.
        b: String,
    },
}

/// What a `Record` file got in a run, for the reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordUse {
    /// The file this run wrote (with the shard in its name under `--shard`).
    pub file: String,
    /// Rows written.
    pub rows: u64,
    /// `Record`s skipped because an earlier activity of their pass had failed.
    pub skipped: u64,
}

/// One open file.
#[derive(Debug)]
struct RecordFile {
    /// As written in the scenario.
    shown: String,
    /// As resolved (what `RecordArgs::file` says), before the shard's name.
    source: PathBuf,
    /// The file written (shard-named).
    path: PathBuf,
    format: RecordFormat,
    file: Mutex<File>,
    rows: AtomicU64,
    skipped: AtomicU64,
}

/// The run's `Record` files.
#[derive(Debug, Default)]
pub struct Records(Vec<RecordFile>);

impl Records {
    /// Opens the file of every `Record` in `scenario` (one per file, however many activities write to
    /// it), as shard `shard` writes them.
    ///
    /// # Errors
    /// A file that cannot be opened, or whose header or writers disagree on the columns.
    pub fn open(scenario: &Scenario, shard: Shard) -> Result<Records, RecordError> {
        let mut files: Vec<(&RecordArgs, RecordFile)> = Vec::new();
        let all = scenario.sequences.iter().flat_map(|s| &s.activities);
        for args in all.filter_map(|a| match &a.kind {
            ActivityKind::Record(r) => Some(&**r),
            _ => None,
        }) {
            if let Some((first, _)) = files.iter().find(|(f, _)| f.file == args.file) {
                if columns(first) != columns(args) {
                    return Err(RecordError::Mixed {
                        shown: args.shown.clone(),
                        a: columns(first).join(","),
                        b: columns(args).join(","),
                    });
                }
                continue;
            }
            let path = shard_path(&args.file, shard);
            files.push((args, open_file(args, path)?));
        }
        Ok(Records(files.into_iter().map(|(_, f)| f).collect()))
    }

    fn file(&self, args: &RecordArgs) -> Option<&RecordFile> {
        self.0.iter().find(|f| f.source == args.file)
    }

    /// Appends `row` (the expanded values of `args.row`, in its order) to the file.
    ///
    /// # Errors
    /// The file could not be written (disk full, ...): a `script` error, the class of local work that
    /// failed (no class of its own: it needs a broken disk, not a broken server).
    pub fn write(&self, args: &RecordArgs, row: &[Value]) -> Result<(), ActivityError> {
        let Some(file) = self.file(args) else {
            return Err(ActivityError::new(
                ErrorClass::Script,
                format!("`{}` was not opened for this run", args.shown),
            ));
        };
        let line = match file.format {
            RecordFormat::Csv => csv_line(row.iter().map(render_text)),
            RecordFormat::JsonLines => {
                let object: Map<String, Value> = args
                    .row
                    .iter()
                    .map(|(k, _)| k.clone())
                    .zip(row.iter().cloned())
                    .collect();
                let mut line = serde_json::to_vec(&object).unwrap_or_default();
                line.push(b'\n');
                line
            }
        };
        let mut handle = file.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        handle.write_all(&line).map_err(|e| {
            ActivityError::new(
                ErrorClass::Script,
                format!("cannot write to `{}`: {e}", file.path.display()),
            )
        })?;
        file.rows.fetch_add(1, Relaxed);
        Ok(())
    }

    /// Counts a `Record` that did not run because its pass had failed before it.
    pub fn skip(&self, args: &RecordArgs) {
        if let Some(file) = self.file(args) {
            file.skipped.fetch_add(1, Relaxed);
        }
    }

    /// What each file got so far.
    pub fn usage(&self) -> Vec<RecordUse> {
        self.0
            .iter()
            .map(|f| RecordUse {
                file: f
                    .path
                    .file_name()
                    .map_or_else(|| f.shown.clone(), |n| n.to_string_lossy().into_owned()),
                rows: f.rows.load(Relaxed),
                skipped: f.skipped.load(Relaxed),
            })
            .collect()
    }
}

fn columns(args: &RecordArgs) -> Vec<&str> {
    args.row.iter().map(|(k, _)| k.as_str()).collect()
}

/// `created.csv` as shard K of N writes it: `created.shard-K-of-N.csv` (K from 1, as `--shard` counts).
pub fn shard_path(path: &Path, shard: Shard) -> PathBuf {
    if shard.total <= 1 {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.shard-{}-of-{}.{ext}", shard.index + 1, shard.total))
}

/// Opens `path` for appending; a new or empty CSV file gets the header, an existing one must have it.
fn open_file(args: &RecordArgs, path: PathBuf) -> Result<RecordFile, RecordError> {
    let io = |source| RecordError::Io {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(&path)
        .map_err(io)?;
    if args.format == RecordFormat::Csv {
        let want = csv_line(columns(args).into_iter().map(str::to_owned));
        let mut head = Vec::new();
        (&mut file)
            .take(want.len() as u64 + 4096)
            .read_to_end(&mut head)
            .map_err(io)?;
        if head.is_empty() {
            file.write_all(&want).map_err(io)?;
        } else {
            let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
            let first = String::from_utf8_lossy(first);
            let want_text = String::from_utf8_lossy(&want);
            if first.trim_end_matches('\r') != want_text.trim_end() {
                return Err(RecordError::Columns {
                    path,
                    found: first.trim_end().to_owned(),
                    want: want_text.trim_end().to_owned(),
                });
            }
        }
    }
    Ok(RecordFile {
        shown: args.shown.clone(),
        source: args.file.clone(),
        path,
        format: args.format,
        file: Mutex::new(file),
        rows: AtomicU64::new(0),
        skipped: AtomicU64::new(0),
    })
}

/// One CSV line (RFC 4180 quoting where a field needs it), ending in `\n`.
fn csv_line(fields: impl Iterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(fields);
    writer.into_inner().unwrap_or_default()
}
