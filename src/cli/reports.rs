//! Writing a judged run's reports (`--out`, `--junit`, `--html`, the checkpointed `--out`) and the
//! exit code that follows: the same for `run`, `coordinate` and `merge`.

use super::Exit;
use super::args::ReportArgs;
use crate::harness::discover::trial_prefix;
use crate::report::checkpoint::CheckpointWriter;
use crate::report::logs::{self, FrameKind};
use crate::report::{html, json, junit, merge, summary};
use crate::run::RunReport;
use crate::verdict::Judgement;
use std::path::Path;

/// The files a command writes its reports to.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Targets<'a> {
    /// `--out`: the results as JSON.
    pub out: Option<&'a Path>,
    /// `--junit`.
    pub junit: Option<&'a Path>,
    /// `--html`.
    pub html: Option<&'a Path>,
    /// `--summary-md`: the verdict as Markdown (also appended to `$GITHUB_STEP_SUMMARY` when set).
    pub summary_md: Option<&'a Path>,
}

impl<'a> From<&'a ReportArgs> for Targets<'a> {
    fn from(args: &'a ReportArgs) -> Self {
        Targets {
            out: args.out.as_deref(),
            junit: args.junit.as_deref(),
            html: args.html.as_deref(),
            summary_md: args.summary_md.as_deref(),
        }
    }
}

/// A report file that cannot be written would only show up after a long run: checks the folders
/// first.
pub(super) fn check_dirs(targets: Targets<'_>) -> Result<(), Exit> {
    for (flag, path) in [
        ("--out", targets.out),
        ("--junit", targets.junit),
        ("--html", targets.html),
        ("--summary-md", targets.summary_md),
    ] {
        if let Some(path) = path
            && !out_dir(path).is_dir()
        {
            eprintln!(
                "error: cannot write `{flag} {}`: the folder `{}` does not exist",
                path.display(),
                out_dir(path).display()
            );
            return Err(Exit::Invalid);
        }
    }
    Ok(())
}

/// `--out` rewritten every `--checkpoint` while the run goes (not with `--checkpoint 0`), each
/// checkpoint judged by `judge` as the final results will be.
pub(super) fn checkpoint_writer(
    args: &ReportArgs,
    judge: impl Fn(RunReport) -> json::Results + Send + Sync + 'static,
) -> Option<CheckpointWriter> {
    let path = args.out.as_ref().filter(|_| !args.checkpoint.is_zero())?;
    Some(CheckpointWriter::new(path, judge))
}

/// Stops a checkpoint writer before the final write, saying so when a checkpoint failed.
pub(super) fn finish_checkpoints(writer: Option<&CheckpointWriter>) {
    if let Some(w) = writer {
        w.finish();
        if let (_, Some(why)) = w.outcome() {
            eprintln!("warning: a checkpoint of the results could not be written: {why}");
        }
    }
}

/// Writes the JUnit file (suite `suite`), the results and the HTML report where asked; false when
/// one could not be written (after saying why).
pub(super) fn write(
    targets: Targets<'_>,
    suite: &str,
    judgement: &Judgement,
    results: &json::Results,
    quiet: bool,
) -> bool {
    let mut written = true;
    if let Some(path) = targets.junit {
        written &= write_junit(path, &junit::Suite::of(suite, judgement), quiet);
    }
    if let Some(path) = targets.out {
        written &= report_written(json::write(path, results), "Results", path, quiet);
    }
    if let Some(path) = targets.html {
        written &= report_written(html::write(path, judgement), "HTML report", path, quiet);
    }
    let markdown = crate::report::markdown::run(&judgement.report.scenario, judgement);
    written &= super::job_summary::write(targets.summary_md, &markdown, quiet);
    written
}

/// Merges results (`merge`, a coordinator's end), prints the warnings and the summary, and writes
/// the reports (the JUnit suite named `suite`, or after the scenario); `None` when they could not be
/// merged (after saying why), else the merged run and whether every report was written.
pub(super) fn merge_and_write(
    inputs: &[(std::path::PathBuf, json::Results)],
    targets: Targets<'_>,
    suite: Option<&str>,
    out: super::Output,
) -> Option<(merge::Merged, bool)> {
    let merged = match merge::merge(inputs) {
        Ok(merged) => merged,
        Err(err) => {
            eprintln!("error: {err}");
            return None;
        }
    };
    for warning in &merged.warnings {
        eprintln!("warning: {warning}");
    }
    let quiet = out.verbosity < 0;
    if !quiet {
        eprintln!("Merged {} result(s)", inputs.len());
    }
    print!("{}", summary::render(&merged.judgement, out.color));
    let suite = suite.unwrap_or(&merged.results.scenario);
    let written = write(targets, suite, &merged.judgement, &merged.results, quiet);
    Some((merged, written))
}

/// Prints the results as one framed line on stdout (`--print-results`, or a shard whose coordinator
/// is gone).
pub(super) fn print_framed(kind: FrameKind, results: &json::Results) {
    match logs::frame(kind, results) {
        Ok(line) => println!("{line}"),
        Err(err) => eprintln!("error: cannot print the results: {err}"),
    }
}

/// A stopped run is 3 whatever else happened (its verdict: the monitor's Stop button is a person cutting the
/// run short, as Ctrl-C is); a report that could not be written is 2, so a CI gate never passes
/// without the file it asked for; else the verdict's code.
pub(super) fn exit_code(judgement: &Judgement, written: bool) -> Exit {
    if judgement.verdict == crate::verdict::Verdict::Stopped {
        Exit::Interrupted
    } else if !written {
        Exit::Invalid
    } else {
        judgement.verdict.into()
    }
}

/// `scenarios/checkout` for `scenarios/checkout.yaml`: the suite name, as the harness names files.
pub(super) fn junit_prefix(path: &Path) -> String {
    trial_prefix(Path::new(""), path)
}

/// Writes the JUnit file; `false` (after saying why) when it could not be written.
pub(super) fn write_junit(path: &Path, suite: &junit::Suite, quiet: bool) -> bool {
    report_written(
        junit::write(path, std::slice::from_ref(suite)),
        "JUnit report",
        path,
        quiet,
    )
}

/// Says where a report went, or why it did not; whether it was written.
pub(super) fn report_written(
    result: Result<(), crate::report::ReportError>,
    what: &str,
    path: &Path,
    quiet: bool,
) -> bool {
    match result {
        Ok(()) => {
            if !quiet {
                eprintln!("{what} written to {}", path.display());
            }
            true
        }
        Err(err) => {
            eprintln!("error: {err}");
            false
        }
    }
}

/// The folder a report is written into.
fn out_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}
