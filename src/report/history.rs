//! Reading a baseline folder: the results files of earlier runs of one scenario
//! ([`crate::verdict::history`] compares with them).
//!
//! Every `*.json` file under the folder (and its subfolders, a few levels down: a CI job typically
//! unpacks one artifact per earlier run into a subfolder of its own) is a candidate; the caller says
//! which are of its scenario. Of those, checkpoints of runs that had not finished (`"complete": false`)
//! are left out with a note, since a part of a run is not a run; the rest are ordered by their start
//! time (the file's modification time for files without one) and the newest `keep` are kept.

use super::ReportError;
use super::json::{Results, read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How many folder levels below the baseline folder are searched.
const DEPTH: usize = 4;

/// Earlier runs read from a folder, oldest first, and why other files were left out.
#[derive(Clone, Debug, Default)]
pub struct Found {
    /// The results of the runs kept, oldest first, with their files.
    pub runs: Vec<(PathBuf, Results)>,
    /// One line per file left out (`fx/smoke.json: an incomplete checkpoint`).
    pub notes: Vec<String>,
}

/// Whether a results file is one of the runs asked for: `Err(Some(why))` names why not, for the
/// notes; `Err(None)` leaves it out silently (a file of another scenario).
pub type Mine<'a> = &'a dyn Fn(&Path, &Results) -> Result<(), Option<String>>;

/// The newest `keep` results files under `dir` that `mine` accepts (it says why it does not, for
/// the notes: `None` for files of other scenarios, left out silently). An error when the folder
/// cannot be read or holds no run of the scenario.
pub fn read_dir(dir: &Path, keep: usize, mine: Mine<'_>) -> Result<Found, ReportError> {
    let mut files = Vec::new();
    collect(dir, DEPTH, &mut files).map_err(|source| ReportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    files.sort();
    let mut found = Found::default();
    let mut runs: Vec<(SystemTime, PathBuf, Results)> = Vec::new();
    for path in files {
        let shown = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        let results = match read(&path) {
            Ok(r) => r,
            // Another kind of JSON in the folder (an `ab` report, a coverage file) is not a run.
            Err(ReportError::Schema { .. }) | Err(ReportError::Json { .. }) => continue,
            Err(err) => {
                found.notes.push(format!("{shown}: {err}"));
                continue;
            }
        };
        match mine(&path, &results) {
            Ok(()) => {}
            Err(Some(why)) => {
                found.notes.push(format!("{shown}: {why}"));
                continue;
            }
            Err(None) => continue,
        }
        if !results.complete {
            found.notes.push(format!(
                "{shown}: left out, an incomplete checkpoint (its run had not finished)"
            ));
            continue;
        }
        let started = results
            .start
            .as_deref()
            .and_then(super::parse_rfc3339)
            .or_else(|| std::fs::metadata(&path).and_then(|m| m.modified()).ok())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        runs.push((started, path, results));
    }
    if runs.is_empty() {
        return Err(ReportError::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                match found.notes.as_slice() {
                    [] => "no results file of this scenario in it".to_string(),
                    notes => format!("no usable results file of this scenario in it ({})", notes.join("; ")),
                },
            ),
        });
    }
    runs.sort_by_key(|(started, _, _)| *started);
    let skip = runs.len().saturating_sub(keep.max(1));
    found.runs = runs.into_iter().skip(skip).map(|(_, p, r)| (p, r)).collect();
    Ok(found)
}

/// Every `*.json` file under `dir`, down to `depth` levels.
fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            if depth > 0 {
                collect(&path, depth - 1, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Which results files of a folder are the scenario's.
#[derive(Clone, Copy, Debug)]
pub enum Which<'a> {
    /// Those of the scenario with this name (`stressor run --baseline DIR`).
    Named(&'a str),
    /// Those at `<any folders>/<prefix>.json` (the cargo harness's results folders, one per earlier
    /// run, under `STRESSOR_BASELINE=DIR`).
    File(&'a str),
}

/// The baseline of a scenario in folder `dir`: its newest `keep` runs, as a history (one run alone is
/// compared as `--baseline FILE` would be), and the notes on files left out. Runs of another shape
/// than `shape` (the plan's activities and sequences), when given, are left out with a note.
pub fn baseline(
    dir: &Path,
    keep: usize,
    shape: Option<&crate::run::RunReport>,
    which: Which<'_>,
) -> Result<(crate::verdict::Baseline, Vec<String>), ReportError> {
    use crate::verdict::Baseline;
    use std::sync::Arc;
    let mine = |path: &Path, r: &Results| -> Result<(), Option<String>> {
        let ours = match which {
            Which::Named(name) => r.scenario == name,
            Which::File(prefix) => path.strip_prefix(dir).is_ok_and(|rel| {
                rel.to_string_lossy()
                    .replace('\\', "/")
                    .ends_with(&format!("{prefix}.json"))
            }),
        };
        if !ours {
            return Err(None);
        }
        match shape.and_then(|shape| crate::verdict::relative::shape_mismatch(&r.to_report(), shape)) {
            Some(why) => Err(Some(format!("left out: {why}"))),
            None => Ok(()),
        }
    };
    let found = read_dir(dir, keep, &mine)?;
    let mut runs: Vec<Arc<crate::run::RunReport>> = found.runs.iter().map(|(_, r)| Arc::new(r.to_report())).collect();
    let baseline = match runs.len() {
        1 => Baseline::Run(runs.remove(0)),
        _ => match crate::verdict::history::History::new(runs) {
            Some(h) => Baseline::History(Arc::new(h)),
            None => unreachable!("read_dir returns at least one run"),
        },
    };
    Ok((baseline, found.notes))
}
