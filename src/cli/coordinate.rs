//! `stressor coordinate SCENARIO --shards N --listen ADDR`: the coordinator of a distributed run. It
//! loads and checks the scenario (its hash is what the shards must match), holds the barrier, gives
//! the start, merges the shards' live reports (abort, monitor, checkpointed `--out`), merges their
//! final results with `stressor merge`'s code, writes the reports and exits with the merged verdict.
//! [`Lead`] is that coordinator inside a process, shared with `run --coordinate` (shard 1 of an
//! Indexed Job coordinating too).

use super::args::{CoordinateArgs, CoordinationArgs, MonitorArgs, ReportArgs};
use super::{Exit, Output, reports};
use crate::coordinate::{CoordinateError, CoordinateOptions, Coordinated, Coordinator, Setup, Token};
use crate::monitor::Monitor;
use crate::report::checkpoint::CheckpointWriter;
use crate::report::json;
use crate::report::logs::FrameKind;
use crate::run::{Checkpoints, EventSink, Plan, RunReport};
use crate::scenario::{Scenario, SourceMap};
use crate::verdict::{Judgement, Policy};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Runs the command.
pub fn run(args: &CoordinateArgs, out: Output) -> Exit {
    if let Err(exit) = reports::check_dirs((&args.reports).into()) {
        return exit;
    }
    let Some(token) = token() else {
        return Exit::Invalid;
    };
    let (runtime, _) = match super::run::runtime_and_target(false, out) {
        Ok(both) => both,
        Err(exit) => return exit,
    };
    let Ok((scenario, sources)) = super::run::load_with(&args.scenario, &args.options, None, out) else {
        return Exit::Invalid;
    };
    let lead = Lead::start(
        LeadSetup {
            scenario: &scenario,
            sources: &sources,
            options: &args.options,
            shards: args.shards,
            listen: args.listen,
            token,
            coordination: &args.coordination,
            reports: &args.reports,
            monitor: &args.monitor,
            suite: reports::junit_prefix(&args.scenario),
        },
        &runtime,
        out,
    );
    let lead = match lead {
        Ok(lead) => lead,
        Err(exit) => return exit,
    };
    lead.conclude(&runtime, out, args.print_results, &args.reports, &args.monitor)
}

/// The shared token from the environment, or `None` after saying how to set it.
pub(super) fn token() -> Option<Token> {
    let token = Token::from_env();
    if token.is_none() {
        eprintln!(
            "error: a coordinated run needs a shared token: set {} to the same secret for the coordinator and every shard",
            crate::coordinate::protocol::TOKEN_ENV
        );
    }
    token
}

/// What a coordinator in this process is started with.
pub(super) struct LeadSetup<'a> {
    pub scenario: &'a Arc<Scenario>,
    pub sources: &'a Arc<SourceMap>,
    /// The `-o` options (part of the scenario's hash).
    pub options: &'a [String],
    pub shards: u32,
    pub listen: std::net::SocketAddr,
    pub token: Token,
    pub coordination: &'a CoordinationArgs,
    pub reports: &'a ReportArgs,
    pub monitor: &'a MonitorArgs,
    /// The JUnit suite's name.
    pub suite: String,
}

/// A coordinator running in this process (`coordinate`, or shard 1 with `run --coordinate`).
pub(super) struct Lead {
    coordinator: Arc<Coordinator>,
    task: tokio::task::JoinHandle<Result<Coordinated, CoordinateError>>,
    monitor: Option<Arc<Monitor>>,
    checkpoints: Option<CheckpointWriter>,
    suite: String,
}

impl Lead {
    /// Binds, starts the monitor and the checkpoints of the merged run, and starts coordinating.
    pub fn start(setup: LeadSetup<'_>, runtime: &tokio::runtime::Runtime, out: Output) -> Result<Lead, Exit> {
        let (scenario, sources) = (setup.scenario.clone(), setup.sources.clone());
        let plan = Plan::new(scenario.clone(), sources.clone());
        let template = plan.empty_report();
        let coordinator = runtime
            .block_on(Coordinator::start(Setup {
                listen: setup.listen,
                shards: setup.shards,
                token: setup.token,
                scenario_hash: crate::coordinate::scenario_hash(&scenario, &sources, setup.options),
                template,
                lost_after: setup.coordination.lost_after,
            }))
            .map_err(|err| {
                eprintln!("error: {err}");
                Exit::Invalid
            })?;
        let coordinator = Arc::new(coordinator);
        // Printed even with -q: it is the only way to find a coordinator on port 0.
        eprintln!(
            "Coordinating '{}': {} shard(s), listening on {}",
            scenario.name,
            setup.shards,
            coordinator.addr()
        );
        let monitor = super::monitor::start(setup.monitor, &scenario, &sources, runtime, out, None)?.map(Arc::new);
        let judge: Arc<dyn Fn(RunReport) -> json::Results + Send + Sync> = {
            let (scenario, sources) = (scenario.clone(), sources.clone());
            Arc::new(move |report| {
                json::Results::from_judgement(Judgement::new(&scenario, sources.clone(), report, Policy::default()))
            })
        };
        let checkpoints = reports::checkpoint_writer(setup.reports, {
            let judge = judge.clone();
            move |report| judge(report)
        });
        let mut live = Vec::new();
        if let Some(w) = &checkpoints {
            live.push(w.checkpoints(setup.reports.checkpoint));
        }
        if let Some(m) = &monitor {
            let m = m.clone();
            live.push(Checkpoints {
                every: Duration::from_secs(1),
                write: Arc::new(move |report| m.show(&report)),
            });
        }
        let quiet = out.verbosity < 0;
        let mut events: Arc<dyn EventSink> =
            Arc::new(super::progress::CliEvents::new(quiet, std::io::stderr().is_terminal()));
        if let Some(m) = &monitor {
            events = Arc::new(crate::run::Fanout(vec![events, m.sink()]));
        }
        let options = CoordinateOptions {
            wait_shards: setup.coordination.wait_shards,
            start_delay: setup.coordination.start_delay,
            handle_signals: true,
            stop: monitor.as_ref().map(|m| m.stop_handle()),
            events: Some(events),
            abort: crate::verdict::AbortWatch::check_for(&scenario),
            live,
            judge,
            notes: Arc::new(move |note: &str| {
                if !quiet || note.starts_with("warning") {
                    eprintln!("{note}");
                }
            }),
        };
        let running = coordinator.clone();
        let task = runtime.spawn(async move { running.run(options).await });
        Ok(Lead {
            coordinator,
            task,
            monitor,
            checkpoints,
            suite: setup.suite,
        })
    }

    /// The URL a shard in this process reaches the coordinator at.
    pub fn url(&self) -> String {
        self.coordinator.local_url()
    }

    /// Waits for the coordinated run to end, then merges, prints and writes the merged run; the exit
    /// code is its verdict (3 when it was stopped, 5 when the barrier failed).
    pub fn conclude(
        self,
        runtime: &tokio::runtime::Runtime,
        out: Output,
        print_results: bool,
        targets: &ReportArgs,
        monitor_args: &MonitorArgs,
    ) -> Exit {
        let outcome = runtime.block_on(self.task);
        reports::finish_checkpoints(self.checkpoints.as_ref());
        let refused = self.coordinator.unauthorized();
        if refused > 0 {
            eprintln!("warning: {refused} request(s) without a valid token were refused and changed nothing");
        }
        let coordinated = match outcome {
            Ok(Ok(c)) => c,
            Ok(Err(err)) => {
                eprintln!("error: {err}");
                return Exit::Coordination;
            }
            Err(err) => {
                eprintln!("error: the coordinator failed: {err}");
                return Exit::Failed;
            }
        };
        if out.verbosity > 0 {
            for (shard, clock) in &coordinated.clocks {
                eprintln!("Shard {shard}: clock offset {clock}");
            }
        }
        if coordinated.parts.is_empty() {
            eprintln!("error: no shard sent anything, so there is nothing to judge");
            return Exit::Coordination;
        }
        let Some((merged, written)) =
            reports::merge_and_write(&coordinated.parts, targets.into(), Some(&self.suite), out)
        else {
            return Exit::Invalid;
        };
        if print_results {
            reports::print_framed(FrameKind::Merged, &merged.results);
        }
        if let Some(m) = &self.monitor {
            // The final state is the merged run, not the last live merge before the last delivery.
            m.show(&merged.judgement.report);
            m.judged(&merged.judgement);
            super::monitor::wait(m, monitor_args, runtime);
        }
        let stopped = matches!(
            coordinated.stopped,
            Some(crate::run::StopReason::Interrupted | crate::run::StopReason::Requested)
        );
        if stopped {
            Exit::Interrupted
        } else {
            reports::exit_code(&merged.judgement, written)
        }
    }
}
