//! Reports: functions of the final [`RunReport`](crate::run::RunReport) and the threshold outcomes;
//! they never reach back into the runner. One module per format: [`summary`] (the terminal),
//! [`json`] (`--out results.json`, the schema reference), [`junit`] (JUnit XML for CI test reporters),
//! [`html`] (`--html report.html`, plots from [`svg`]) and [`merge`] (combining results files of several
//! machines, `stressor merge`); [`checkpoint`] rewrites a results file while its run goes, and [`logs`]
//! carries results in a log line where no file survives. Files are
//! written atomically ([`write_atomically`]): a reader never sees
//! half a report, and an interrupted write leaves any earlier file in place.

pub mod ab;
pub mod checkpoint;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod logs;
pub mod markdown;
pub mod merge;
pub mod summary;
pub mod svg;

pub use crate::rfc3339::{format_rfc3339, parse_rfc3339};

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a report could not be written or read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file could not be written.
    #[error("failed to write `{}`: {source}", path.display())]
    Write {
        /// The report file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be read.
    #[error("failed to read `{}`: {source}", path.display())]
    Read {
        /// The report file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON, or not results JSON.
    #[error("failed to read `{}`: invalid results JSON: {source}", path.display())]
    Json {
        /// The report file.
        path: PathBuf,
        /// The parser's error (with line and column).
        source: serde_json::Error,
    },
    /// The file has no `schema` field or one this version does not read.
    #[error("failed to read `{}`: {}", path.display(), schema_message(found.as_deref()))]
    Schema {
        /// The results file.
        path: PathBuf,
        /// The `schema` value found, if any.
        found: Option<String>,
    },
    /// The file is JSON of the right schema but its parts do not fit together.
    #[error("failed to read `{}`: inconsistent results: {why}", path.display())]
    Inconsistent {
        /// The results file.
        path: PathBuf,
        /// What does not fit.
        why: String,
    },
}

fn schema_message(found: Option<&str>) -> String {
    match found {
        Some(s) => format!(
            "results schema `{s}` is not supported (this stressor reads `{}`)",
            json::SCHEMA
        ),
        None => format!("not a stressor results file (no `\"schema\": \"{}\"`)", json::SCHEMA),
    }
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same folder, flushed to disk, then
/// renamed over `path`. On failure the temporary file is removed and `path` is untouched.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        // Make the rename itself durable; not every platform can open a folder, so this is best effort.
        #[cfg(unix)]
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(err)
}
