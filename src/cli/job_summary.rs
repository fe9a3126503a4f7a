//! The GitHub job summary: when `GITHUB_STEP_SUMMARY` names a file (GitHub Actions sets it for every
//! step), the verdict's Markdown is appended to it, so it shows on the run's summary page; with
//! `--summary-md FILE` it is (also) written to FILE. Appending is what GitHub asks of every step that
//! writes there: several steps and several commands in one step add up.

use std::io::Write as _;
use std::path::Path;

/// The variable GitHub Actions sets to the step's summary file.
pub const VAR: &str = "GITHUB_STEP_SUMMARY";

/// Writes `markdown` to `explicit` (replacing it) and appends it to `$GITHUB_STEP_SUMMARY` when set;
/// false (after saying why) when one could not be written.
pub fn write(explicit: Option<&Path>, markdown: &str, quiet: bool) -> bool {
    let mut ok = true;
    if let Some(path) = explicit {
        ok &= super::run::report_written(
            crate::report::write_atomically(path, markdown.as_bytes()),
            "Markdown summary",
            path,
            quiet,
        );
    }
    if let Some(path) = std::env::var_os(VAR).filter(|v| !v.is_empty()) {
        let path = Path::new(&path);
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(markdown.as_bytes()));
        if let Err(err) = appended {
            eprintln!(
                "error: cannot append the job summary to {VAR}=`{}`: {err}",
                path.display()
            );
            ok = false;
        }
    }
    ok
}
