//! `stressor run SCENARIO`: load, run, evaluate the thresholds, print the summary, write `--out`, exit
//! with the verdict (3 when interrupted: the summary and the results file are still written).

use super::args::RunArgs;
use super::{Exit, Output};
use crate::harness::discover::trial_prefix;
use crate::harness::trials::trial_specs;
use crate::report::{html, json, junit, summary};
use crate::run::RunOptions;
use crate::scenario::{FileId, LoadOptions, SourceMap, load_file};
use crate::target::{TargetConfig, TargetServer};
use crate::verdict;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Runs the command.
pub fn run(args: &RunArgs, out: Output) -> Exit {
    // A results file that cannot be written would only show up after a long run: check the folders first.
    for (flag, path) in [("--out", &args.out), ("--junit", &args.junit), ("--html", &args.html)] {
        if let Some(path) = path.as_deref()
            && !out_dir(path).is_dir()
        {
            eprintln!(
                "error: cannot write `{flag} {}`: the folder `{}` does not exist",
                path.display(),
                out_dir(path).display()
            );
            return Exit::Invalid;
        }
    }
    let shard = match args.shard {
        Some(shard) => Some(shard),
        None if args.single => None,
        None => {
            let var = |name| std::env::var(name).ok();
            match crate::run::Shard::from_job_env(
                var("JOB_COMPLETION_INDEX").as_deref(),
                var("JOB_COMPLETIONS").as_deref(),
            ) {
                Ok(shard) => shard,
                Err(err) => {
                    eprintln!("error: {err}; set both for a sharded run, or pass --shard K/N");
                    return Exit::Invalid;
                }
            }
        }
    };
    let runtime = match super::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let mut overrides = args.options.clone();
    // `--serve` runs the built-in target in this process, so one command is a complete load test.
    let _server = if args.serve {
        match runtime.block_on(TargetServer::start(TargetConfig::default())) {
            Ok(server) => {
                overrides.insert(0, format!("base_url:{}", server.url()));
                if out.verbosity >= 0 {
                    eprintln!("Built-in target server listening on {}", server.url());
                }
                Some(server)
            }
            Err(err) => {
                eprintln!("error: {err}");
                return Exit::Failed;
            }
        }
    } else {
        None
    };
    let loaded = load_file(
        &args.scenario,
        &LoadOptions {
            overrides,
            ..LoadOptions::default()
        },
    );
    if !loaded.diagnostics.is_empty() {
        eprint!("{}", loaded.render(out.color));
    }
    let Some(scenario) = loaded.scenario else {
        if let Some(path) = &args.junit {
            let rendered = loaded.render(false);
            let suite = junit::Suite {
                name: junit_prefix(&args.scenario),
                cases: vec![junit::Case::load_failed(&junit_prefix(&args.scenario), &rendered)],
                ..junit::Suite::default()
            };
            write_junit(path, &suite, quiet_of(out));
        }
        eprintln!(
            "{}: {} error(s); nothing was run",
            args.scenario.display(),
            loaded.diagnostics.error_count()
        );
        return Exit::Invalid;
    };
    let quiet = quiet_of(out);
    let live = std::io::stderr().is_terminal();
    let sources = Arc::new(loaded.sources);
    let scenario = Arc::new(scenario);
    let monitor = match super::monitor::start(args, &scenario, &sources, &runtime, out) {
        Ok(m) => m,
        Err(exit) => return exit,
    };
    let mut events: Arc<dyn crate::run::EventSink> = Arc::new(super::progress::CliEvents::new(quiet, live));
    if let Some(m) = &monitor {
        events = Arc::new(crate::run::Fanout(vec![events, m.sink()]));
    }
    let options = RunOptions {
        dry_run: args.dry_run,
        single: args.single,
        max_errors: args.max_errors,
        max_time: args.max_time,
        grace: Some(args.grace),
        handle_signals: true,
        stop: monitor.as_ref().map(|m| m.stop_handle()),
        events: Some(events),
        shard,
        ..RunOptions::default()
    };
    if !quiet {
        let load = match &scenario.load {
            crate::scenario::LoadModel::ArrivalRate { stages, max_sessions } if !args.single => {
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
                format!(
                    "arrival rate {}, up to {max_sessions} session(s)",
                    rates.join(", then ")
                )
            }
            _ => format!("{} session(s)", if args.single { 1 } else { scenario.sessions.count }),
        };
        eprintln!(
            "Running '{}': {load}{}{}",
            scenario.name,
            shard.map(|s| format!(", shard {s}")).unwrap_or_default(),
            if args.dry_run { ", dry run" } else { "" }
        );
    }
    let report = match runtime.block_on(crate::run::run(scenario.clone(), sources.clone(), options)) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return Exit::Failed;
        }
    };
    let thresholds = verdict::collect(&scenario, &report.activities);
    let outcomes = verdict::evaluate(&thresholds, &report);
    // Generator health is not measured yet; when it is, an overloaded generator makes this true.
    let generator_overloaded = report.health.overloaded();
    let verdict = verdict::verdict(&report, &outcomes, generator_overloaded);
    print!("{}", summary::render_with(&report, &outcomes, verdict, out.color));
    let mut written = true;
    if let Some(path) = &args.junit {
        // The same trials, judged the same way, as the cargo harness reports them.
        let specs = trial_specs(&scenario, &report.activities);
        let suite = junit::Suite::of_run(&junit_prefix(&args.scenario), &specs, &report, &outcomes);
        written &= write_junit(path, &suite, quiet);
    }
    if let Some(path) = &args.out {
        let mut results = json::Results::new(&report, thresholds, outcomes.clone(), verdict);
        results.files = source_files(&sources);
        results.shard = shard.map(|s| s.to_string());
        match json::write(path, &results) {
            Ok(()) if !quiet => eprintln!("Results written to {}", path.display()),
            Ok(()) => {}
            Err(err) => {
                eprintln!("error: {err}");
                written = false;
            }
        }
    }
    if let Some(path) = &args.html {
        match html::write(path, &report, &outcomes, verdict) {
            Ok(()) if !quiet => eprintln!("HTML report written to {}", path.display()),
            Ok(()) => {}
            Err(err) => {
                eprintln!("error: {err}");
                written = false;
            }
        }
    }
    if let Some(m) = &monitor {
        super::monitor::wait(m, args, &runtime);
    }
    // The monitor's Stop button is a person cutting the run short, as Ctrl-C is: 3 as well.
    let stopped_by_hand = report.interrupted() || report.stop == Some(crate::run::StopReason::Requested);
    // An interrupted run is 3 whatever else happened; a results file that could not be written is 2,
    // so a CI gate never passes without the file it asked for.
    if stopped_by_hand {
        Exit::Interrupted
    } else if !written {
        Exit::Invalid
    } else {
        verdict.into()
    }
}

/// `scenarios/checkout` for `scenarios/checkout.yaml`: the suite name, as the harness names files.
fn junit_prefix(path: &Path) -> String {
    trial_prefix(Path::new(""), path)
}

fn quiet_of(out: Output) -> bool {
    out.verbosity < 0
}

/// Writes the JUnit file; `false` (after saying why) when it could not be written.
fn write_junit(path: &Path, suite: &junit::Suite, quiet: bool) -> bool {
    match junit::write(path, std::slice::from_ref(suite)) {
        Ok(()) => {
            if !quiet {
                eprintln!("JUnit report written to {}", path.display());
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

/// The scenario's files, by `FileId`, as results files list them.
fn source_files(sources: &SourceMap) -> Vec<String> {
    (0..)
        .map_while(|i| sources.get(FileId(i)))
        .map(|f| f.path.display().to_string())
        .collect()
}
