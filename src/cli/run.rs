//! `stressor run SCENARIO`: load → run → judge → write. Every output (the summary, `--out`, `--junit`,
//! `--html`, the monitor's final state) and the exit code are views of the one [`Judgement`]; an
//! interrupted run exits with 3, and the summary and the report files are still written.

use super::args::RunArgs;
use super::{Exit, Output};
use crate::harness::discover::trial_prefix;
use crate::report::checkpoint::CheckpointWriter;
use crate::report::{html, json, junit, summary};
use crate::run::{RunOptions, Shard, StopReason};
use crate::scenario::{LoadModel, LoadOptions, Override, Scenario, SourceMap, load_file};
use crate::target::{TargetConfig, TargetServer};
use crate::verdict::{Judgement, Policy};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Runs the command.
pub fn run(args: &RunArgs, out: Output) -> Exit {
    let outputs = [
        ("--out", &args.out),
        ("--junit", &args.junit),
        ("--html", &args.html),
        ("--summary-md", &args.summary_md),
    ];
    if let Err(exit) = check_out_dirs(&outputs) {
        return exit;
    }
    let shard = match shard(args) {
        Ok(shard) => shard,
        Err(exit) => return exit,
    };
    let (runtime, server) = match runtime_and_target(args.serve, out) {
        Ok(both) => both,
        Err(exit) => return exit,
    };
    let (scenario, sources) = match load(args, server.as_ref(), out) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    // A baseline that cannot be read would only show up after the run: read it first.
    let baseline = match args.baseline.as_deref().filter(|p| p.is_dir()) {
        Some(dir) => match history_baseline(dir, args.baseline_runs, &scenario, &sources, out) {
            Ok(b) => Some(Ok(b)),
            Err(exit) => return exit,
        },
        None => match single_baseline(args) {
            Ok(b) => b,
            Err(exit) => return exit,
        },
    };
    let policy = Policy {
        baseline,
        ..Policy::default()
    };
    let monitor = match super::monitor::start(args, &scenario, &sources, &runtime, out) {
        Ok(m) => m,
        Err(exit) => return exit,
    };
    let quiet = out.verbosity < 0;
    if !quiet {
        eprintln!("{}", announce(&scenario, args, shard));
    }
    run_and_report(args, out, (&scenario, &sources), policy, monitor, (&runtime, shard))
}

/// A baseline of one results file (`--baseline FILE`), read before the run.
fn single_baseline(args: &RunArgs) -> Result<Option<Result<crate::verdict::Baseline, String>>, Exit> {
    match args.baseline.as_deref().map(json::read).transpose() {
        Ok(baseline) => Ok(baseline.map(|r| {
            if let Some(warning) = args.baseline.as_deref().and_then(|p| r.incomplete_warning(p)) {
                eprintln!("warning: --baseline: {warning}");
            }
            Ok(crate::verdict::Baseline::Run(Arc::new(r.to_report())))
        })),
        Err(err) => {
            eprintln!("error: --baseline: {err}");
            Err(Exit::Invalid)
        }
    }
}

/// A baseline of the newest `keep` runs of the scenario in `dir` (`--baseline DIR`), read before the
/// run; the files left out are named.
fn history_baseline(
    dir: &Path,
    keep: usize,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    out: Output,
) -> Result<crate::verdict::Baseline, Exit> {
    use crate::report::history::{Which, baseline};
    let plan = crate::run::Plan::new(scenario.clone(), sources.clone());
    let shape = crate::run::RunReport {
        activities: plan.activities.clone(),
        sequences: plan.slot_names(),
        ..Default::default()
    };
    match baseline(dir, keep, Some(&shape), Which::Named(&scenario.name)) {
        Ok((b, notes)) => {
            for note in notes {
                eprintln!("warning: --baseline: {note}");
            }
            if out.verbosity >= 0 {
                eprintln!("Baseline: {} in {}", b.describe(), dir.display());
            }
            Ok(b)
        }
        Err(err) => {
            eprintln!("error: --baseline: {err}");
            Err(Exit::Invalid)
        }
    }
}

/// Runs (and, for `thresholds.confirm`, runs again), judges, prints and writes the reports.
fn run_and_report(
    args: &RunArgs,
    out: Output,
    (scenario, sources): (&Arc<Scenario>, &Arc<SourceMap>),
    policy: Policy,
    monitor: Option<crate::monitor::Monitor>,
    (runtime, shard): (&tokio::runtime::Runtime, Option<Shard>),
) -> Exit {
    let quiet = out.verbosity < 0;
    let run_once = || {
        let mut options = run_options(args, shard, monitor.as_ref(), quiet);
        options.abort = crate::verdict::AbortWatch::check_for(&scenario);
        let checkpoints = checkpoint_writer(args, &scenario, &sources, &policy, shard);
        options.checkpoints = checkpoints.as_ref().map(|w| w.checkpoints(args.checkpoint));
        let report = runtime.block_on(crate::run::run(scenario.clone(), sources.clone(), options));
        if let Some(w) = &checkpoints {
            w.finish();
            if let (_, Some(why)) = w.outcome() {
                eprintln!("warning: a checkpoint of the results could not be written: {why}");
            }
        }
        report
            .map(|report| Judgement::new(&scenario, sources.clone(), report, policy.clone()))
            .map_err(|err| {
                eprintln!("error: {err}");
                Exit::Failed
            })
    };
    let judgement = match confirmed(scenario, run_once, quiet) {
        Ok(j) => j,
        Err(exit) => return exit,
    };
    print!("{}", summary::render(&judgement, out.color));
    let written = write_reports(args, &judgement, shard, quiet);
    if let Some(m) = &monitor {
        m.judged(&judgement);
        super::monitor::wait(m, args, runtime);
    }
    exit_code(&judgement, written)
}

/// Runs the scenario and, when a gate failed and `thresholds.confirm` asks for it, again (see
/// [`crate::verdict::confirm`]): the judgement over every run.
pub(super) fn confirmed(
    scenario: &Scenario,
    run_once: impl FnMut() -> Result<Judgement, Exit>,
    quiet: bool,
) -> Result<Judgement, Exit> {
    let confirm = scenario.thresholds.confirm;
    crate::verdict::confirm::run_confirmed(confirm, run_once, |latest, run| {
        if !quiet {
            eprintln!(
                "A gate failed ({}); running the scenario again to confirm it (thresholds.confirm: {confirm}, run {run} of at most {})",
                latest.result_line().trim_start_matches("Result: "),
                confirm + 1
            );
        }
    })
}

/// A results file that cannot be written would only show up after a long run: check the folders of
/// these (flag, path) first.
pub(super) fn check_out_dirs(outputs: &[(&str, &Option<std::path::PathBuf>)]) -> Result<(), Exit> {
    for &(flag, path) in outputs {
        if let Some(path) = path.as_deref()
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

/// `--shard K/N`, or a Kubernetes Indexed Job's environment (not with `--single`).
fn shard(args: &RunArgs) -> Result<Option<Shard>, Exit> {
    if args.shard.is_some() || args.single {
        return Ok(args.shard);
    }
    let var = |name| std::env::var(name).ok();
    Shard::from_job_env(
        var("JOB_COMPLETION_INDEX").as_deref(),
        var("JOB_COMPLETIONS").as_deref(),
    )
    .map_err(|err| {
        eprintln!("error: {err}; set both for a sharded run, or pass --shard K/N");
        Exit::Invalid
    })
}

/// Starts the built-in target server on a free port.
/// The runtime a command runs on and, with `--serve`, the built-in target started in this process on
/// it, so one command is a complete load test.
pub(super) fn runtime_and_target(
    serve_too: bool,
    out: Output,
) -> Result<(tokio::runtime::Runtime, Option<TargetServer>), Exit> {
    let runtime = super::runtime()?;
    let server = serve_too.then(|| serve(&runtime, out)).transpose()?;
    Ok((runtime, server))
}

fn serve(runtime: &tokio::runtime::Runtime, out: Output) -> Result<TargetServer, Exit> {
    match runtime.block_on(TargetServer::start(TargetConfig::default())) {
        Ok(server) => {
            if out.verbosity >= 0 {
                eprintln!("Built-in target server listening on {}", server.url());
            }
            Ok(server)
        }
        Err(err) => {
            eprintln!("error: {err}");
            Err(Exit::Failed)
        }
    }
}

/// Loads the scenario with `-o` (and `--serve`'s base URL), printing any diagnostics. A file that does
/// not load still gets its `--junit` report: one failed `load` case.
fn load(args: &RunArgs, server: Option<&TargetServer>, out: Output) -> Result<(Arc<Scenario>, Arc<SourceMap>), Exit> {
    load_with(&args.scenario, &args.options, server, out).map_err(|failed| {
        if let Some(path) = &args.junit {
            let prefix = junit_prefix(&args.scenario);
            let suite = junit::Suite {
                name: prefix.clone(),
                cases: vec![junit::Case::load_failed(&prefix, &failed)],
                ..junit::Suite::default()
            };
            write_junit(path, &suite, out.verbosity < 0);
        }
        Exit::Invalid
    })
}

/// Loads `path` with the `-o` overrides `options` (and `--serve`'s base URL), printing any diagnostics;
/// a file that does not load gives its diagnostics, rendered without colour.
pub(super) fn load_with(
    path: &Path,
    options: &[String],
    server: Option<&TargetServer>,
    out: Output,
) -> Result<(Arc<Scenario>, Arc<SourceMap>), String> {
    let served = server.map(|s| Override::program("--serve", format!("base_url:{}", s.url())));
    let overrides = served
        .into_iter()
        .chain(options.iter().cloned().map(Override::from))
        .collect();
    let loaded = load_file(
        path,
        &LoadOptions {
            overrides,
            ..LoadOptions::default()
        },
    );
    if !loaded.diagnostics.is_empty() {
        eprint!("{}", loaded.render(out.color));
    }
    let Some(scenario) = loaded.scenario else {
        eprintln!(
            "{}: {} error(s); nothing was run",
            path.display(),
            loaded.diagnostics.error_count()
        );
        return Err(loaded.render(false));
    };
    Ok((Arc::new(scenario), Arc::new(loaded.sources)))
}

/// `Running 'shop': 10 session(s), shard 1/3, dry run`; with workloads, each one's load by name
/// (`browse: 6 session(s); buy: 2 session(s) after 5s`).
fn announce(scenario: &Scenario, args: &RunArgs, shard: Option<Shard>) -> String {
    format!(
        "Running '{}': {}{}{}",
        scenario.name,
        describe_workloads(scenario, args.single),
        shard.map(|s| format!(", shard {s}")).unwrap_or_default(),
        if args.dry_run { ", dry run" } else { "" }
    )
}

/// The load in words: `10 session(s)`, or each workload's by name (`browse: 6 session(s); buy: 2
/// session(s) after 5s`), as the weights resolved it.
pub(super) fn describe_workloads(scenario: &Scenario, single: bool) -> String {
    scenario
        .workload_views()
        .iter()
        .map(|w| {
            let load = describe_load(w.load, w.sessions.count, single);
            let after = if w.start_after.is_zero() {
                String::new()
            } else {
                format!(" after {}", crate::scenario::duration::format_duration(w.start_after))
            };
            match w.name {
                Some(name) => format!("{name}: {load}{after}"),
                None => load,
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One load model in words: `arrival rate 50/s for 30s, up to 100 session(s)`.
fn describe_load(load: &LoadModel, count: u32, single: bool) -> String {
    match load {
        LoadModel::ArrivalRate {
            stages,
            max_sessions,
            arrivals,
        } if !single => {
            let rates: Vec<String> = stages
                .iter()
                .map(|s| {
                    format!(
                        "{}/s for {}",
                        s.rate,
                        crate::scenario::duration::format_duration(s.duration)
                    )
                })
                .collect();
            let poisson = match arrivals {
                crate::scenario::Arrivals::Constant => String::new(),
                crate::scenario::Arrivals::Poisson { seed: None } => " (Poisson)".into(),
                crate::scenario::Arrivals::Poisson { seed: Some(seed) } => format!(" (Poisson, seed {seed})"),
            };
            format!(
                "arrival rate {}{poisson}, up to {max_sessions} session(s)",
                rates.join(", then ")
            )
        }
        LoadModel::ClosedStages { stages } if !single => {
            let steps: Vec<String> = stages
                .iter()
                .map(|s| {
                    format!(
                        "{} for {}",
                        s.sessions,
                        crate::scenario::duration::format_duration(s.duration)
                    )
                })
                .collect();
            format!("session stages {}", steps.join(", then "))
        }
        _ => format!("{} session(s)", if single { 1 } else { count }),
    }
}

fn run_options(
    args: &RunArgs,
    shard: Option<Shard>,
    monitor: Option<&crate::monitor::Monitor>,
    quiet: bool,
) -> RunOptions {
    let live = std::io::stderr().is_terminal();
    let mut events: Arc<dyn crate::run::EventSink> = Arc::new(super::progress::CliEvents::new(quiet, live));
    if let Some(m) = monitor {
        events = Arc::new(crate::run::Fanout(vec![events, m.sink()]));
    }
    RunOptions {
        dry_run: args.dry_run,
        single: args.single,
        max_errors: args.max_errors,
        max_time: args.max_time,
        grace: Some(args.grace),
        handle_signals: true,
        stop: monitor.map(|m| m.stop_handle()),
        events: Some(events),
        shard,
        ..RunOptions::default()
    }
}

/// `--out` rewritten every `--checkpoint` while the run goes (not with `--checkpoint 0`), each
/// checkpoint judged as the final results will be.
fn checkpoint_writer(
    args: &RunArgs,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    policy: &Policy,
    shard: Option<Shard>,
) -> Option<CheckpointWriter> {
    let path = args.out.as_ref().filter(|_| !args.checkpoint.is_zero())?;
    let (scenario, sources, policy) = (scenario.clone(), sources.clone(), policy.clone());
    Some(CheckpointWriter::new(path, move |report| {
        let judgement = Judgement::new(&scenario, sources.clone(), report, policy.clone());
        results_of(&judgement, shard)
    }))
}

/// The results file's contents: the judgement, and the shard this process ran.
fn results_of(judgement: &Judgement, shard: Option<Shard>) -> json::Results {
    let mut results = json::Results::of(judgement);
    results.shard = shard.map(|s| s.to_string());
    results
}

/// Writes `--junit`, `--out` and `--html`; false when one could not be written (after saying why).
fn write_reports(args: &RunArgs, judgement: &Judgement, shard: Option<Shard>, quiet: bool) -> bool {
    let mut written = true;
    if let Some(path) = &args.junit {
        written &= write_junit(path, &junit::Suite::of(&junit_prefix(&args.scenario), judgement), quiet);
    }
    if let Some(path) = &args.out {
        written &= report_written(json::write(path, &results_of(judgement, shard)), "Results", path, quiet);
    }
    if let Some(path) = &args.html {
        written &= report_written(html::write(path, judgement), "HTML report", path, quiet);
    }
    let markdown = crate::report::markdown::run(&judgement.report.scenario, judgement);
    written &= super::job_summary::write(args.summary_md.as_deref(), &markdown, quiet);
    written
}

/// An interrupted run is 3 whatever else happened (the monitor's Stop button is a person cutting the
/// run short, as Ctrl-C is); a report that could not be written is 2, so a CI gate never passes
/// without the file it asked for; else the verdict's code.
fn exit_code(judgement: &Judgement, written: bool) -> Exit {
    let stop = judgement.report.stop;
    if stop == Some(StopReason::Interrupted) || stop == Some(StopReason::Requested) {
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

/// The folder `--out` and `--junit` write into.
fn out_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}
