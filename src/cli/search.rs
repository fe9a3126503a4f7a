//! `stressor search SCENARIO --slo ...`: the capacity search of [`crate::search`], a line per step as it
//! ends, then the table of steps and the answer; `--out` writes both as JSON. Exit 0 when a capacity was
//! found (or the SLO held up to `--max`), 1 when even `--start` broke it, 4 when the generator could not
//! drive a step (inconclusive).

use super::args::SearchArgs;
use super::run::{load_with, runtime_and_target};
use super::{Exit, Output};
use crate::search::{Capacity, SearchOptions, SearchResult, Step, fmt_rate, outcome_name, parse_slo, search};

/// Runs the command.
pub fn run(args: &SearchArgs, out: Output) -> Exit {
    let slo = match parse_slo(&args.slo) {
        Ok(slo) => slo,
        Err(why) => {
            eprintln!("error: --slo: {why}");
            return Exit::Invalid;
        }
    };
    if args.start > args.max {
        eprintln!("error: --start ({}/s) is above --max ({}/s)", args.start, args.max);
        return Exit::Invalid;
    }
    let (runtime, server) = match runtime_and_target(args.serve, out) {
        Ok(both) => both,
        Err(exit) => return exit,
    };
    let Ok((scenario, sources)) = load_with(&args.scenario, &args.options, server.as_ref(), out) else {
        return Exit::Invalid;
    };
    if !scenario.workloads.is_empty() && scenario.workloads.iter().all(|w| w.weight.is_none()) {
        eprintln!(
            "error: {}: no workload takes a `weight`: the search sets the total arrival rate and shares it out by weight; give the workloads it should drive a `weight` instead of a `load` of their own",
            args.scenario.display()
        );
        return Exit::Invalid;
    }
    let options = SearchOptions {
        start: args.start,
        max: args.max,
        step: args.step,
        max_sessions: args.max_sessions,
        resolution: args.resolution,
        warmup: args.warmup,
        ..SearchOptions::default()
    };
    let quiet = out.verbosity < 0;
    if !quiet {
        eprintln!(
            "Searching the capacity of '{}' for {}: from {}/s, doubling, then bisecting to {:.0}%",
            scenario.name,
            args.slo,
            fmt_rate(args.start),
            args.resolution * 100.0
        );
    }
    let found = runtime.block_on(search(&scenario, sources, &args.slo, &slo, &options, |step| {
        if !quiet {
            eprintln!("{}", step_line(step));
        }
    }));
    let result = match found {
        Ok(result) => result,
        Err(err) => {
            eprintln!("error: {err}");
            return Exit::Failed;
        }
    };
    print!("{}", render(&result));
    let json = serde_json::to_vec_pretty(&result).unwrap_or_default();
    let html = crate::report::html::search_page(&result);
    for (path, bytes) in [(&args.out, json), (&args.html, html.into_bytes())] {
        if let Some(path) = path
            && let Err(err) = crate::report::write_atomically(path, &bytes)
        {
            eprintln!("error: {err}");
            return Exit::Invalid;
        }
    }
    match result.capacity {
        Capacity::Found { .. } | Capacity::AtLeast { .. } => Exit::Pass,
        Capacity::BelowStart { .. } => Exit::Failed,
        Capacity::Inconclusive { .. } => Exit::Inconclusive,
    }
}

/// `  200/s for 10s: held (1998 passes, 199.8/s) — p99 of the run: 21ms <= 300ms`.
fn step_line(step: &Step) -> String {
    format!(
        "{:>10}/s for {:.0}s: {} ({} passes, {:.1}/s) — {}",
        fmt_rate(step.rate),
        step.seconds,
        outcome_name(step.outcome),
        step.passes,
        step.achieved,
        step.messages.join("; ")
    )
}

/// The steps and the answer.
pub fn render(result: &SearchResult) -> String {
    let mut out = format!("\nCapacity search for {}\n\n", result.slo);
    out.push_str("      rate   seconds passes/s  result\n");
    for step in &result.steps {
        out.push_str(&format!(
            "{:>8}/s {:>9.1} {:>8.1}  {}\n",
            fmt_rate(step.rate),
            step.seconds,
            step.achieved,
            outcome_name(step.outcome)
        ));
    }
    out.push('\n');
    out.push_str(&format!("Result: {}\n", result.capacity.describe()));
    out
}
