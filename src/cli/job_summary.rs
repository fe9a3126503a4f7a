//! The GitHub job summary: when `GITHUB_STEP_SUMMARY` names a file (GitHub Actions sets it for every
//! step), the verdict's Markdown ([`crate::report::markdown`]) is appended to it, so it shows on the
//! run's summary page; with `--summary-md FILE` it is (also) written to FILE.

use crate::report::markdown::{GITHUB_STEP_SUMMARY, append};
use std::path::Path;

/// Writes `markdown` to `explicit` (replacing it) and appends it to `$GITHUB_STEP_SUMMARY` when set;
/// false (after saying why) when one could not be written.
pub fn write(explicit: Option<&Path>, markdown: &str, quiet: bool) -> bool {
    let mut ok = true;
    if let Some(path) = explicit {
        ok &= super::reports::report_written(
            crate::report::write_atomically(path, markdown.as_bytes()),
            "Markdown summary",
            path,
            quiet,
        );
    }
    if let Some(path) = std::env::var_os(GITHUB_STEP_SUMMARY).filter(|v| !v.is_empty())
        && let Err(err) = append(Path::new(&path), markdown)
    {
        eprintln!("error: {GITHUB_STEP_SUMMARY}: {err}");
        ok = false;
    }
    ok
}
