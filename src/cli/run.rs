//! `stressor run SCENARIO`: load → run → judge → write. Every output (the summary, `--out`, `--junit`,
//! `--html`, the monitor's final state) and the exit code are views of the one [`Judgement`]; an
//! interrupted run exits with 3, and the summary and the report files are still written.

use super::args::RunArgs;
use super::{Exit, Output, reports};
use crate::report::logs::FrameKind;
use crate::report::{json, junit, summary};
use crate::run::{RunOptions, Shard};
use crate::scenario::{LoadModel, LoadOptions, Override, Scenario, SourceMap, load_file};
use crate::target::{TargetConfig, TargetServer};
use crate::verdict::{Judgement, Policy};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Runs the command.
pub fn run(args: &RunArgs, out: Output) -> Exit {
    if let Err(exit) = reports::check_dirs((&args.reports).into()) {
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
    let (baseline, baseline_optional) = match read_baseline(args, &scenario, &sources, out) {
        Ok(read) => read,
        Err(exit) => return exit,
    };
    let policy = Policy {
        baseline,
        baseline_optional,
        ..Policy::default()
    };
    // A coordinated shard joins its run first (and shard 1 with --coordinate starts the coordinator,
    // which then owns the monitor and the report files: they describe the merged run).
    let leads = super::shard::leads(args, shard);
    let outputs = match super::observe::start(args, &scenario, &sources, &runtime, shard) {
        Ok(o) => o,
        Err(exit) => return exit,
    };
    let monitor = if leads {
        None
    } else {
        match super::monitor::start(
            &args.monitor,
            &scenario,
            &sources,
            &runtime,
            out,
            outputs.metrics_page(),
        ) {
            Ok(m) => m,
            Err(exit) => return exit,
        }
    };
    let stop = monitor.as_ref().map(|m| m.stop_handle()).unwrap_or_default();
    let coordinated = match super::shard::join(args, shard, &scenario, &sources, &runtime, out, stop.clone()) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let quiet = out.verbosity < 0;
    if !quiet {
        eprintln!("{}", announce(&scenario, args, shard));
    }
    let run_once = || {
        let mut options = run_options(args, shard, monitor.as_ref(), quiet);
        options.stop = Some(stop.clone());
        options.abort = crate::verdict::AbortWatch::check_for(&scenario);
        outputs.apply(&mut options);
        let checkpoints = if leads {
            None
        } else {
            let (scenario, sources, policy) = (scenario.clone(), sources.clone(), policy.clone());
            reports::checkpoint_writer(&args.reports, move |report| {
                let judgement = Judgement::new(&scenario, sources.clone(), report, policy.clone());
                sharded(json::Results::from_judgement(judgement), shard)
            })
        };
        options.checkpoints = checkpoints.as_ref().map(|w| w.checkpoints(args.reports.checkpoint));
        if let Some(c) = &coordinated {
            c.wire(&mut options);
        }
        let report = runtime.block_on(crate::run::run(scenario.clone(), sources.clone(), options));
        reports::finish_checkpoints(checkpoints.as_ref());
        report
            .map(|report| Judgement::new(&scenario, sources.clone(), report, policy.clone()))
            .map_err(|err| {
                eprintln!("error: {err}");
                Exit::Failed
            })
    };
    // A coordinated run's gate is the coordinator's to judge (and, once, to run): a shard runs once.
    let confirm = if coordinated.is_some() {
        0
    } else {
        scenario.thresholds.confirm
    };
    let judgement = match confirmed(confirm, run_once, quiet) {
        Ok(j) => j,
        Err(exit) => return exit,
    };
    let results = results_of(&judgement, shard);
    if let Some(c) = coordinated {
        // Delivered first: a shard's own monitor must not keep its coordinator waiting.
        let exit = c.finish(args, &judgement, &results, &runtime, out);
        // The shard's own request log and metrics (its exit code is the delivery's, as without them).
        outputs.finish(&args.observe, &judgement, &runtime, quiet);
        if let Some(m) = &monitor {
            m.judged(&judgement);
            super::monitor::wait(m, &args.monitor, &runtime);
        }
        return exit;
    }
    print!("{}", summary::render(&judgement, out.color));
    let mut written = reports::write(
        (&args.reports).into(),
        &reports::junit_prefix(&args.scenario),
        &judgement,
        &results,
        quiet,
    );
    written &= outputs.finish(&args.observe, &judgement, &runtime, quiet);
    if args.print_results {
        reports::print_framed(FrameKind::Part, &results);
    }
    if let Some(m) = &monitor {
        m.judged(&judgement);
        super::monitor::wait(m, &args.monitor, &runtime);
    }
    reports::exit_code(&judgement, written)
}

/// Runs the scenario and, when a gate failed and `thresholds.confirm` asks for it (`confirm` re-runs
/// at most), again (see [`crate::verdict::confirm`]): the judgement over every run.
fn confirmed(confirm: u32, run_once: impl FnMut() -> Result<Judgement, Exit>, quiet: bool) -> Result<Judgement, Exit> {
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

/// What [`Policy::baseline`] holds: none asked for, read, or why it cannot be read.
type BaselineRead = Option<Result<crate::verdict::Baseline, String>>;

/// The baseline asked for (`--baseline`, `STRESSOR_BASELINE`; an empty value asks for none), read
/// before the run, since one that cannot be read would only show up after it: a results file, or the
/// newest runs of the scenario in a folder (its history; the files left out are named). Unreadable, it
/// is a usage error (exit 2), as a failed artifact download must not turn a regression gate off; with
/// `STRESSOR_BASELINE_REQUIRED=0`, the explicit opt-out, the run goes on without it, says so, and its
/// `baseline` trial is skipped with the reason. Also whether it is optional.
fn read_baseline(
    args: &RunArgs,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    out: Output,
) -> Result<(BaselineRead, bool), Exit> {
    let optional = std::env::var("STRESSOR_BASELINE_REQUIRED").is_ok_and(|v| crate::harness::env::is_off(&v));
    let Some(path) = args.baseline.as_deref().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok((None, optional));
    };
    match baseline_at(path, args.baseline_runs, scenario, sources, out) {
        Ok(b) => Ok((Some(Ok(b)), optional)),
        Err(err) if optional => {
            eprintln!("warning: --baseline: {err}; running without a baseline (STRESSOR_BASELINE_REQUIRED=0)");
            Ok((Some(Err(err)), optional))
        }
        Err(err) => {
            eprintln!(
                "error: --baseline: {err}\n  (a baseline that was asked for must be readable; STRESSOR_BASELINE_REQUIRED=0 runs without it)"
            );
            Err(Exit::Invalid)
        }
    }
}

/// The baseline at `path`: one results file, or the history of the scenario's newest `runs` runs in
/// a folder (notes on what it left out are printed).
fn baseline_at(
    path: &Path,
    runs: usize,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    out: Output,
) -> Result<crate::verdict::Baseline, String> {
    use crate::report::history::{Which, baseline};
    use crate::verdict::Baseline;
    if !path.is_dir() {
        let r = json::read(path).map_err(|e| e.to_string())?;
        if let Some(warning) = r.incomplete_warning(path) {
            eprintln!("warning: --baseline: {warning}");
        }
        return Ok(Baseline::Run(Arc::new(r.to_report())));
    }
    let shape = crate::run::Plan::new(scenario.clone(), sources.clone()).empty_report();
    let (b, notes) = baseline(path, runs, Some(&shape), Which::Named(&scenario.name)).map_err(|e| e.to_string())?;
    for note in notes {
        eprintln!("warning: --baseline: {note}");
    }
    if out.verbosity >= 0 {
        eprintln!("Baseline: {} in {}", b.describe(), path.display());
    }
    Ok(b)
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
        if let Some(path) = &args.reports.junit {
            let prefix = reports::junit_prefix(&args.scenario);
            let suite = junit::Suite {
                name: prefix.clone(),
                cases: vec![junit::Case::load_failed(&prefix, &failed)],
                ..junit::Suite::default()
            };
            reports::write_junit(path, &suite, out.verbosity < 0);
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

/// The results file's contents: the judgement, and the shard this process ran.
pub(super) fn results_of(judgement: &Judgement, shard: Option<Shard>) -> json::Results {
    sharded(json::Results::of(judgement), shard)
}

/// `results` marked as the given shard's.
fn sharded(mut results: json::Results, shard: Option<Shard>) -> json::Results {
    results.shard = shard.map(|s| s.to_string());
    results
}
