//! `stressor run SCENARIO`: load, run, print the summary, exit with the verdict.

use super::args::RunArgs;
use super::{Exit, Output};
use crate::report::summary;
use crate::run::{RunEvent, RunOptions, StopReason};
use crate::scenario::{LoadOptions, load_file};
use crate::target::{TargetConfig, TargetServer};
use std::sync::Arc;

/// Runs the command.
pub fn run(args: &RunArgs, out: Output) -> Exit {
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
    let loaded = load_file(&args.scenario, &LoadOptions { overrides, env: None });
    if !loaded.diagnostics.is_empty() {
        eprint!("{}", loaded.render(out.color));
    }
    let Some(scenario) = loaded.scenario else {
        eprintln!(
            "{}: {} error(s); nothing was run",
            args.scenario.display(),
            loaded.diagnostics.error_count()
        );
        return Exit::Invalid;
    };
    let quiet = out.verbosity < 0;
    let events: Arc<dyn crate::run::EventSink> = Arc::new(move |e: &RunEvent| {
        if let RunEvent::Stopping { reason, hard } = e {
            if quiet {
                return;
            }
            let why = match reason {
                StopReason::Interrupted => "interrupted",
                StopReason::MaxErrors => "max_errors reached",
                StopReason::MaxTime => "max_time reached",
                StopReason::Requested => "stop requested",
            };
            if *hard {
                eprintln!("stressor: {why}: stopping now");
            } else {
                eprintln!(
                    "stressor: {why}: no new work is started; `end` sequences run (Ctrl-C again to stop at once)"
                );
            }
        }
    });
    let options = RunOptions {
        dry_run: args.dry_run,
        single: args.single,
        max_errors: args.max_errors,
        max_time: args.max_time,
        grace: Some(args.grace),
        handle_signals: true,
        stop: None,
        events: Some(events),
    };
    if !quiet {
        eprintln!(
            "Running '{}': {} session(s){}",
            scenario.name,
            if args.single { 1 } else { scenario.sessions.count },
            if args.dry_run { ", dry run" } else { "" }
        );
    }
    let sources = Arc::new(loaded.sources);
    let report = match runtime.block_on(crate::run::run(Arc::new(scenario), sources, options)) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return Exit::Failed;
        }
    };
    print!("{}", summary::render(&report, out.color));
    if report.interrupted() {
        Exit::Interrupted
    } else if report.error_count() > 0 {
        Exit::Failed
    } else {
        Exit::Pass
    }
}
