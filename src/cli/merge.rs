//! `stressor merge RESULTS...`: combine results files of one scenario, evaluate its thresholds once over
//! the whole, print the summary, optionally write the merged results (and JUnit, HTML), exit with the
//! verdict (2 when a file is missing, not results JSON, or from another scenario).
//!
//! `--from-logs LOG` also reads results framed in a log (`report::logs`): what shards of a
//! coordinated run print when their coordinator is gone, or with `--print-results`. When the log holds a
//! coordinator's merged results, those are taken and the shards' parts beside them left out (they are
//! in it already).

use super::args::MergeArgs;
use super::{Exit, Output, reports};
use crate::report::json;
use crate::report::json::Results;
use crate::report::logs::{self, FrameKind};
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Runs the command.
pub fn run(args: &MergeArgs, out: Output) -> Exit {
    let targets = reports::Targets {
        out: args.out.as_deref(),
        junit: args.junit.as_deref(),
        html: args.html.as_deref(),
        summary_md: None,
    };
    if let Err(exit) = reports::check_dirs(targets) {
        return exit;
    }
    let mut inputs = Vec::with_capacity(args.files.len());
    for path in &args.files {
        match json::read(path) {
            Ok(results) => inputs.push((path.clone(), results)),
            Err(err) => {
                eprintln!("error: {err}");
                return Exit::Invalid;
            }
        }
    }
    if let Some(log) = &args.from_logs {
        match from_logs(log) {
            Ok(found) => inputs.extend(found),
            Err(exit) => return exit,
        }
    }
    let Some((merged, written)) = reports::merge_and_write(&inputs, targets, None, out) else {
        return Exit::Invalid;
    };
    if !written {
        return Exit::Invalid;
    }
    merged.judgement.verdict.into()
}

/// The results framed in a log (`-` for stdin): the merged ones when there are any, else the parts.
fn from_logs(log: &Path) -> Result<Vec<(PathBuf, Results)>, Exit> {
    let read = if log == Path::new("-") {
        logs::read(std::io::stdin().lock(), log)
    } else {
        match std::fs::File::open(log) {
            Ok(file) => logs::read(BufReader::new(file), log),
            Err(err) => {
                eprintln!("error: cannot read `{}`: {err}", log.display());
                return Err(Exit::Invalid);
            }
        }
    };
    let found = read.map_err(|err| {
        eprintln!("error: {err}");
        Exit::Invalid
    })?;
    let merged = found.iter().filter(|f| f.kind == FrameKind::Merged).count();
    if found.is_empty() {
        eprintln!(
            "error: `{}` holds no results (lines with `{}`): shards print them when their coordinator is gone, or with `--print-results`",
            log.display(),
            logs::MARKER
        );
        return Err(Exit::Invalid);
    }
    if merged > 0 && merged < found.len() {
        eprintln!(
            "warning: `{}` holds a coordinator's merged results; the {} shard result(s) beside them are in it already and are left out",
            log.display(),
            found.len() - merged
        );
    }
    Ok(found
        .into_iter()
        .filter(|f| merged == 0 || f.kind == FrameKind::Merged)
        .map(|f| (f.origin, f.results))
        .collect())
}
