//! `stressor merge RESULTS...`: combine results files of one scenario, evaluate its thresholds once over
//! the whole, print the summary, optionally write the merged results, exit with the verdict (2 when a
//! file is missing, not results JSON, or from another scenario).

use super::args::MergeArgs;
use super::{Exit, Output};
use crate::report::{json, merge, summary};

/// Runs the command.
pub fn run(args: &MergeArgs, out: Output) -> Exit {
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
    let merged = match merge::merge(&inputs) {
        Ok(merged) => merged,
        Err(err) => {
            eprintln!("error: {err}");
            return Exit::Invalid;
        }
    };
    for warning in &merged.warnings {
        eprintln!("warning: {warning}");
    }
    let results = &merged.results;
    if out.verbosity >= 0 {
        eprintln!("Merged {} results file(s)", inputs.len());
    }
    print!("{}", summary::render(&merged.judgement, out.color));
    if let Some(path) = &args.out {
        if let Err(err) = json::write(path, results) {
            eprintln!("error: {err}");
            return Exit::Invalid;
        }
        if out.verbosity >= 0 {
            eprintln!("Merged results written to {}", path.display());
        }
    }
    merged.judgement.verdict.into()
}
