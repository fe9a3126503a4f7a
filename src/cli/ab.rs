//! `stressor ab SCENARIO --a URL --b URL`: the scenario against a baseline (A) and a candidate (B) at
//! the same moments ([`crate::ab`]), judged by the paired test per metric; exit 0 when B is not worse
//! beyond the allowance, 1 when it regressed, 4 when it cannot be told (too noisy, too few rounds, the
//! generator was the bottleneck), 2 for bad input, 3 when interrupted.

use super::args::AbArgs;
use super::reports::{self, junit_prefix};
use super::run::load_with;
use super::service::Service;
use super::{Exit, Output};
use crate::ab::{AbOptions, Side};
use crate::report::{ab, junit, markdown};
use crate::run::{RunOptions, StopReason};

/// Runs the command.
pub fn run(args: &AbArgs, out: Output) -> Exit {
    let targets = reports::Targets {
        out: args.out.as_deref(),
        junit: args.junit.as_deref(),
        html: None,
        summary_md: args.summary_md.as_deref(),
    };
    if let Err(exit) = reports::check_dirs(targets) {
        return exit;
    }
    // The services first: their ports are the sides' base URLs. They stop when dropped, on every path.
    let started = |what: &str, cmd: &Option<String>| -> Result<Option<Service>, Exit> {
        cmd.as_deref()
            .map(|c| {
                Service::start(what, c).map_err(|why| {
                    eprintln!("error: {why}");
                    Exit::Invalid
                })
            })
            .transpose()
    };
    let services = match (started("--a-cmd", &args.a_cmd), started("--b-cmd", &args.b_cmd)) {
        (Ok(a), Ok(b)) => [a, b],
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    let urls = [
        args.a.clone().or_else(|| services[0].as_ref().map(|s| s.url.clone())),
        args.b.clone().or_else(|| services[1].as_ref().map(|s| s.url.clone())),
    ];
    let [Some(a_url), Some(b_url)] = urls else {
        eprintln!("error: give each side a URL (--a/--b) or a command that starts it (--a-cmd/--b-cmd)");
        return Exit::Invalid;
    };
    let side = |url: &str, own: &[String]| -> Result<Side, Exit> {
        let mut options = args.options.clone();
        options.extend(own.iter().cloned());
        options.push(format!("base_url:{url}"));
        let (scenario, sources) = load_with(&args.scenario, &options, None, out).map_err(|_| Exit::Invalid)?;
        Ok(Side { scenario, sources })
    };
    let (a, b) = match (side(&a_url, &args.a_options), side(&b_url, &args.b_options)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(exit) => return exit,
    };
    let quiet = out.verbosity < 0;
    if !quiet {
        eprintln!(
            "Measuring '{}': A {a_url} and B {b_url} at the same moments, {} rounds of {} after the warm-up",
            a.scenario.name,
            args.rounds,
            crate::scenario::duration::format_duration(args.round_time)
        );
    }
    let options = AbOptions {
        rounds: args.rounds,
        round_time: args.round_time,
        warmup: args.warmup,
        run: RunOptions {
            handle_signals: true,
            ..RunOptions::default()
        },
    };
    let measured = match runtime.block_on(crate::ab::run(a.clone(), b, options)) {
        Ok(m) => m,
        Err(err) => {
            eprintln!("error: {err}");
            return Exit::Invalid;
        }
    };
    drop(services);
    let judgement = crate::ab::judge(
        &a.scenario,
        a.sources.clone(),
        &measured,
        args.tolerance.tolerance(),
        true,
    );
    let text = ab::render(&measured, &judgement, out.color);
    print!("{text}");
    let mut written = true;
    if let Some(path) = &args.out {
        let results = ab::AbResults::of(&a.scenario, &measured, &judgement);
        written &= reports::report_written(results.write(path), "Results", path, quiet);
    }
    if let Some(path) = &args.junit {
        let prefix = junit_prefix(&args.scenario);
        let mut suite = junit::Suite::of(&prefix, &judgement);
        suite.system_out = Some(ab::render(&measured, &judgement, false));
        written &= reports::write_junit(path, &suite, quiet);
    }
    written &= super::job_summary::write(args.summary_md.as_deref(), &markdown::ab(&measured, &judgement), quiet);
    let interrupted = [&measured.a, &measured.b]
        .iter()
        .any(|r| r.stop == Some(StopReason::Interrupted));
    if interrupted {
        Exit::Interrupted
    } else if !written {
        Exit::Invalid
    } else {
        judgement.verdict.into()
    }
}
