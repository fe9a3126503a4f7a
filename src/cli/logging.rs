//! Logging: `tracing` events from the library and the commands go to stderr at the level `-q`/`-v`
//! choose, and with `--log` also to a file at debug level or more.
//!
//! | flags | stderr | `--log` file |
//! |---|---|---|
//! | `-qq` | nothing | stressor debug, others info |
//! | `-q` | errors | stressor debug, others info |
//! | (none) | warnings | stressor debug, others info |
//! | `-v` | stressor debug (and info), others warn | stressor debug, others info |
//! | `-vv` | stressor trace, others info | stressor trace, others info |
//! | `-vvv` | everything at trace | everything at trace |
//!
//! `RUST_LOG` (tracing-subscriber's filter syntax), when set, replaces the stderr level. The command's
//! own output (summaries, diagnostics) is printed, not logged, and so does not depend on these levels.

use super::args::GlobalArgs;
use crate::rfc3339::format_rfc3339;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::prelude::*;

/// Starts logging; returns the log file's path when there is one. The error is ready to print.
pub fn init(global: &GlobalArgs, color: bool) -> Result<Option<PathBuf>, String> {
    let verbosity = i16::from(global.verbose) - i16::from(global.quiet);
    let console_filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => {
            EnvFilter::try_new(&spec).map_err(|e| format!("invalid RUST_LOG `{spec}`: {e}"))?
        }
        _ => EnvFilter::new(console_directives(verbosity)),
    };
    let console = tracing_subscriber::fmt::layer()
        .without_time()
        .with_target(verbosity >= 2)
        .with_ansi(color)
        .with_writer(std::io::stderr)
        .with_filter(console_filter);
    let (file_layer, path) = match &global.log {
        Some(target) => {
            let path = log_path(target);
            let file =
                File::create(&path).map_err(|e| format!("cannot write the log file `{}`: {e}", path.display()))?;
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Arc::new(file))
                .with_filter(EnvFilter::new(file_directives(verbosity)));
            (Some(layer), Some(path))
        }
        None => (None, None),
    };
    // Only fails when a subscriber is already set (a second call in one process): keep the first.
    let _ = tracing_subscriber::registry().with(console).with(file_layer).try_init();
    Ok(path)
}

fn console_directives(verbosity: i16) -> &'static str {
    match verbosity {
        ..=-2 => "off",
        -1 => "error",
        0 => "warn",
        1 => "warn,stressor=debug",
        2 => "info,stressor=trace",
        _ => "trace",
    }
}

/// The file always gets debug detail, so a quiet CI run still leaves a useful log behind.
fn file_directives(verbosity: i16) -> &'static str {
    match verbosity {
        ..=1 => "info,stressor=debug",
        2 => "info,stressor=trace",
        _ => "trace",
    }
}

/// A folder gets a file named after the current UTC time; anything else is the file itself.
fn log_path(target: &Path) -> PathBuf {
    if target.is_dir() {
        target.join(timestamped_name(&format_rfc3339(std::time::SystemTime::now())))
    } else {
        target.to_path_buf()
    }
}

/// `2026-11-23T17:45:12.123Z` → `stressor-20261123-174512.log`.
fn timestamped_name(rfc3339: &str) -> String {
    let digits: String = rfc3339.chars().take(19).filter(char::is_ascii_digit).collect();
    let (date, time) = digits.split_at(digits.len().min(8));
    format!("stressor-{date}-{time}.log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_file_names_use_the_utc_time() {
        assert_eq!(
            timestamped_name("2026-11-23T17:45:12.123Z"),
            "stressor-20261123-174512.log"
        );
    }

    #[test]
    fn levels_get_more_detailed_with_v_and_the_file_never_less_than_debug() {
        assert_eq!(console_directives(-1), "error");
        assert_eq!(console_directives(0), "warn");
        assert_eq!(console_directives(2), "info,stressor=trace");
        assert_eq!(file_directives(-2), "info,stressor=debug");
        assert_eq!(file_directives(3), "trace");
    }
}
