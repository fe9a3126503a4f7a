//! `run --coordinator URL` and `run --coordinate ADDR`: this process is one shard of a coordinated
//! run. Before the run it joins (and shard 1 with `--coordinate` starts the coordinator in this
//! process first); the run gets the shared start and the link as its abort check; after the run it
//! delivers its results.
//!
//! Exit codes of a shard that is not the coordinator: 0 once its results are delivered (its own
//! verdict is informational: the coordinator's is the run's), and also when it is refused as a
//! restarted shard (its load must not count twice); 2 when it is refused for another scenario or
//! stressor version; 5 when the coordinator cannot be reached, gave up, or declared it lost — its
//! results are then printed on stdout (`stressor merge --from-logs`) and written to `--out`.

use super::args::RunArgs;
use super::coordinate::{Lead, LeadSetup};
use super::{Exit, Output, reports};
use crate::coordinate::protocol::RefusalKind;
use crate::coordinate::{Joined, Link, Reporter, scenario_hash};
use crate::report::json::Results;
use crate::report::logs::FrameKind;
use crate::report::summary;
use crate::run::{RunOptions, StopHandle};
use crate::scenario::{Scenario, SourceMap};
use crate::verdict::Judgement;
use std::sync::Arc;

/// A shard that joined a coordinated run.
pub(super) struct Shard {
    link: Link,
    joined: Joined,
    reporter: Reporter,
    lead: Option<Lead>,
}

/// Whether this process is shard 1 of a run it also coordinates (`--coordinate`).
pub(super) fn leads(args: &RunArgs, shard: Option<crate::run::Shard>) -> bool {
    args.coordinate.is_some() && shard.is_some_and(|s| s.index == 0)
}

/// Joins the coordinated run when `--coordinator` (or `--coordinate`) asks for one; `Ok(None)` for
/// a run on its own. `stop` is the run's stop handle (the coordinator's stop requests go to it).
/// `Err` is the exit code to end with (0 for a shard refused because the run had started).
pub(super) fn join(
    args: &RunArgs,
    shard: Option<crate::run::Shard>,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    runtime: &tokio::runtime::Runtime,
    out: Output,
    stop: StopHandle,
) -> Result<Option<Shard>, Exit> {
    let leading = leads(args, shard);
    if args.coordinator.is_none() && !leading {
        if args.coordinate.is_some() {
            eprintln!(
                "error: {}",
                match shard {
                    None =>
                        "--coordinate needs this process's shard: --shard 1/N, or JOB_COMPLETION_INDEX/JOB_COMPLETIONS"
                            .to_string(),
                    Some(s) => format!(
                        "shard {s} does not coordinate (only shard 1 does): it needs the coordinator's URL, --coordinator URL or {}",
                        crate::coordinate::protocol::URL_ENV
                    ),
                }
            );
            return Err(Exit::Invalid);
        }
        return Ok(None);
    }
    let Some(shard) = shard else {
        eprintln!(
            "error: a coordinated run needs this process's shard: --shard K/N, or JOB_COMPLETION_INDEX/JOB_COMPLETIONS"
        );
        return Err(Exit::Invalid);
    };
    let token = super::coordinate::token().ok_or(Exit::Invalid)?;
    let lead = match args.coordinate.filter(|_| leading) {
        Some(listen) => Some(Lead::start(
            LeadSetup {
                scenario,
                sources,
                options: &args.options,
                shards: shard.total,
                listen,
                token: token.clone(),
                coordination: &args.coordination,
                reports: &args.reports,
                monitor: &args.monitor,
                suite: reports::junit_prefix(&args.scenario),
            },
            runtime,
            out,
        )?),
        None => None,
    };
    let url = match (&lead, &args.coordinator) {
        (Some(lead), _) => lead.url(),
        (None, Some(url)) => url.clone(),
        (None, None) => unreachable!("checked above: a shard that does not lead has a coordinator URL"),
    };
    let link = Link::new(&url, token, shard).map_err(|err| {
        eprintln!("error: {err}");
        Exit::Invalid
    })?;
    if out.verbosity >= 0 {
        eprintln!("Shard {shard}: joining the coordinated run at {}", link.url());
    }
    let hash = scenario_hash(scenario, sources, &args.options);
    let joined = match runtime.block_on(link.join(&hash, args.wait_coordinator)) {
        Ok(joined) => joined,
        Err(err) => {
            let exit = match err.refusal() {
                // A restarted shard: the run goes on without it, and this pod is done.
                Some(RefusalKind::Started) => {
                    eprintln!("Shard {shard}: {err}");
                    return Err(Exit::Pass);
                }
                Some(RefusalKind::Scenario | RefusalKind::Version | RefusalKind::Shard | RefusalKind::Token) => {
                    Exit::Invalid
                }
                _ => Exit::Coordination,
            };
            eprintln!("error: {err}");
            // The coordinator in this process knows best why the run did not start.
            if let Some(lead) = lead {
                return Err(lead.conclude(runtime, out, false, &args.reports, &args.monitor));
            }
            return Err(exit);
        }
    };
    if out.verbosity > 0 {
        eprintln!("Shard {shard}: clock offset to the coordinator {}", joined.clock);
    }
    let reporter = {
        let _guard = runtime.enter();
        link.report(stop)
    };
    Ok(Some(Shard {
        link,
        joined,
        reporter,
        lead,
    }))
}

impl Shard {
    /// The run starts at the shared instant and reports through the link, whose check also relays
    /// the coordinator's abort (the scenario's own `abort_on_fail` is judged on the whole run by
    /// the coordinator, not on this shard's part).
    pub fn wire(&self, options: &mut RunOptions) {
        options.start_at = Some(self.joined.start_at);
        options.abort = Some(self.reporter.check());
    }

    /// After the run: a follower prints and writes its own part as a run on its own would, then
    /// delivers it; the shard that coordinates delivers, then concludes the merged run.
    pub fn finish(
        self,
        args: &RunArgs,
        judgement: &Judgement,
        results: &Results,
        runtime: &tokio::runtime::Runtime,
        out: Output,
    ) -> Exit {
        let quiet = out.verbosity < 0;
        if self.lead.is_none() {
            print!("{}", summary::render(judgement, out.color));
            reports::write(
                (&args.reports).into(),
                &reports::junit_prefix(&args.scenario),
                judgement,
                results,
                quiet,
            );
        }
        let delivered = runtime.block_on(self.link.deliver(results));
        self.reporter.finish();
        let exit = match delivered {
            Ok(()) => {
                if !quiet {
                    eprintln!("Results delivered to the coordinator at {}", self.link.url());
                }
                if args.print_results && self.lead.is_none() {
                    reports::print_framed(FrameKind::Part, results);
                }
                Exit::Pass
            }
            Err(err) => {
                eprintln!(
                    "warning: {err}; this shard's results follow on stdout as one line, for `stressor merge --from-logs`"
                );
                reports::print_framed(FrameKind::Part, results);
                Exit::Coordination
            }
        };
        match self.lead {
            Some(lead) => lead.conclude(runtime, out, args.print_results, &args.reports, &args.monitor),
            None => exit,
        }
    }
}
