//! `stressor validate FILE...`: load each file, print every diagnostic, exit 2 if any has an error.

use super::args::ValidateArgs;
use super::{Exit, Output};
use crate::scenario::{LoadOptions, load_file};

/// Runs the command.
pub fn run(args: &ValidateArgs, out: Output) -> Exit {
    let options = LoadOptions {
        overrides: args.options.iter().cloned().map(Into::into).collect(),
        ..LoadOptions::default()
    };
    let mut failed = false;
    for file in &args.files {
        let loaded = load_file(file, &options);
        eprint!("{}", loaded.render(out.color));
        let (errors, warnings) = (loaded.diagnostics.error_count(), loaded.diagnostics.warning_count());
        if errors > 0 {
            failed = true;
            eprintln!("{}: {errors} error(s), {warnings} warning(s)", file.display());
        } else if out.verbosity >= 0 {
            let s = loaded.scenario.as_ref();
            let acts: usize = s.map_or(0, |s| s.sequences.iter().map(|q| q.activities.len()).sum());
            eprintln!(
                "{}: ok ({} sequences, {acts} activities{})",
                file.display(),
                s.map_or(0, |s| s.sequences.len()),
                if warnings > 0 {
                    format!(", {warnings} warning(s)")
                } else {
                    String::new()
                }
            );
            // What the weights resolved to, which the file does not say in numbers.
            if let Some(s) = s.filter(|s| !s.workloads.is_empty()) {
                eprintln!("  workloads: {}", super::run::describe_workloads(s, false));
            }
        }
        // The process exits right after this command; freeing a large scenario would only cost time.
        std::mem::forget(loaded);
    }
    if failed { Exit::Invalid } else { Exit::Pass }
}
