//! `stressor compare BASELINE CURRENT`: per run, sequence and activity, whether each metric regressed,
//! improved, stayed within the tolerance or cannot be told (see `verdict::baseline` for the method);
//! exit 1 when anything regressed, 2 when a file cannot be read or the two are of different scenarios,
//! 4 when nothing regressed but either file is an incomplete checkpoint (its run had not finished).

use super::args::CompareArgs;
use super::{Exit, Output};
use crate::report::{json, summary};
use crate::verdict::baseline::Call;
use crate::verdict::relative::{compare, shape_mismatch};

/// Runs the command.
pub fn run(args: &CompareArgs, out: Output) -> Exit {
    let read = |path| {
        json::read(path).map_err(|err| {
            eprintln!("error: {err}");
            Exit::Invalid
        })
    };
    let (baseline, current) = match (read(&args.baseline), read(&args.current)) {
        (Ok(b), Ok(c)) => {
            for (path, r) in [(&args.baseline, &b), (&args.current, &c)] {
                if let Some(warning) = r.incomplete_warning(path) {
                    eprintln!("warning: {warning}");
                }
            }
            (b.to_report(), c.to_report())
        }
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    let incomplete = baseline.checkpoint.is_some() || current.checkpoint.is_some();
    if let Some(why) = shape_mismatch(&baseline, &current) {
        eprintln!(
            "error: cannot compare `{}` with `{}`: {why}",
            args.current.display(),
            args.baseline.display()
        );
        return Exit::Invalid;
    }
    let tolerance = args.tolerance.tolerance();
    let comparison = compare(&crate::verdict::Baseline::Run(baseline.into()), &current, tolerance);
    println!("{}", summary::comparison_verdict(&comparison));
    print!("{}", summary::comparison(&comparison, out.color));
    if let Some(path) = &args.out {
        let bytes = serde_json::to_vec_pretty(&comparison).unwrap_or_default();
        if let Err(err) = crate::report::write_atomically(path, &bytes) {
            eprintln!("error: {err}");
            return Exit::Invalid;
        }
    }
    let regressed = comparison
        .iter()
        .flat_map(|s| &s.deltas)
        .any(|d| d.call == Call::Regressed);
    // A comparison with a run that had not finished says nothing about the whole run: at best
    // inconclusive, as a verdict judged from such a file is.
    match (regressed, incomplete) {
        (true, _) => Exit::Failed,
        (false, true) => Exit::Inconclusive,
        (false, false) => Exit::Pass,
    }
}
