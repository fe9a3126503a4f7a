//! `run --request-log`, `--metrics`, `--otlp` (and `/metrics` on the monitor's port): starting what
//! watches a run before it, and finishing it after: the rest of the request log written, the final
//! metrics pushed and scraped.
//!
//! A request log that cannot be created is a usage error (exit 2) before anything runs; one that could
//! not be written completely makes the run exit 2 like a results file that could not be written. A
//! collector that cannot be reached is only a warning: the metrics watch the run, they do not judge it.

use super::Exit;
use super::args::{ObserveArgs, RunArgs};
use crate::observe::otel_env::{self, OtlpConfig};
use crate::observe::request_log::RequestLog;
use crate::observe::{Exporter, Resource};
use crate::run::{Plan, RunOptions, Shard};
use crate::scenario::{Scenario, SourceMap};
use crate::verdict::Judgement;
use std::sync::Arc;

/// What watches the run.
pub(super) struct Outputs {
    log: Option<Arc<RequestLog>>,
    exporter: Option<Arc<Exporter>>,
    server: Option<crate::observe::prometheus::MetricsServer>,
    otlp: Option<crate::observe::otlp::OtlpPusher>,
}

/// Starts what the flags ask for (the exporter also when the monitor is on: it serves `/metrics`).
pub(super) fn start(
    args: &RunArgs,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    runtime: &tokio::runtime::Runtime,
    shard: Option<Shard>,
) -> Result<Outputs, Exit> {
    let env = |name: &str| std::env::var(name).ok();
    let usage = |err: &dyn std::fmt::Display| {
        eprintln!("error: {err}");
        Exit::Invalid
    };
    let (watch, monitor) = (&args.observe, args.monitor.enabled);
    let otlp = OtlpConfig::from_env(watch.otlp.as_deref(), &env).map_err(|e| usage(&e))?;
    let plan = Plan::new(scenario.clone(), sources.clone());
    let log = match &watch.request_log {
        Some(path) => Some(Arc::new(
            RequestLog::create(path, watch.request_log_sample, &plan, shard).map_err(|e| usage(&e))?,
        )),
        None => None,
    };
    let exporter = if watch.metrics.is_some() || otlp.is_some() || monitor {
        let r = otel_env::resource(&env).map_err(|e| usage(&e))?;
        Some(Exporter::new(
            &plan,
            Resource::of_run(shard, r.service_name, r.attributes),
        ))
    } else {
        None
    };
    let server = match (watch.metrics, &exporter) {
        (Some(addr), Some(e)) => {
            let server = runtime
                .block_on(crate::observe::prometheus::MetricsServer::start(addr, e.clone()))
                .map_err(|e| usage(&e))?;
            // Printed even with -q: it is the only way to find an endpoint on port 0.
            eprintln!("Metrics: http://{}/metrics", server.addr());
            Some(server)
        }
        _ => None,
    };
    let otlp = match (otlp, &exporter) {
        (Some(config), Some(e)) => {
            let _guard = runtime.enter();
            Some(crate::observe::otlp::OtlpPusher::start(config, e.clone()).map_err(|e| usage(&e))?)
        }
        _ => None,
    };
    Ok(Outputs {
        log,
        exporter,
        server,
        otlp,
    })
}

impl Outputs {
    /// What the monitor serves at `/metrics`.
    pub(super) fn metrics_page(&self) -> Option<crate::monitor::MetricsPage> {
        let exporter = self.exporter.clone()?;
        Some(Arc::new(move || {
            (
                crate::observe::prometheus::render(&exporter.current()),
                crate::observe::prometheus::CONTENT_TYPE,
            )
        }))
    }

    /// Hands the run what it feeds: the request log, the exporter.
    pub(super) fn apply(&self, options: &mut RunOptions) {
        if let Some(log) = &self.log {
            options.requests = Some(log.clone());
        }
        if let Some(e) = &self.exporter {
            options.observers.push(e.clone());
        }
    }

    /// After the run: the rest of the request log, the final metrics (pushed, and scraped once when
    /// `--metrics` serves them). False when the request log could not be written.
    pub(super) fn finish(
        self,
        args: &ObserveArgs,
        judgement: &Judgement,
        runtime: &tokio::runtime::Runtime,
        quiet: bool,
    ) -> bool {
        let mut written = true;
        if let (Some(log), Some(path)) = (&self.log, &args.request_log) {
            match log.finish() {
                Ok(w) if !quiet => {
                    let dropped = match w.dropped {
                        0 => String::new(),
                        n => format!(", {n} dropped because the writer fell behind"),
                    };
                    eprintln!("Request log written to {} ({} rows{dropped})", path.display(), w.rows);
                }
                Ok(_) => {}
                Err(err) => {
                    eprintln!("error: {err}");
                    written = false;
                }
            }
        }
        if let Some(e) = &self.exporter {
            e.finish(judgement);
        }
        if let Some(pusher) = self.otlp
            && let Err(err) = runtime.block_on(pusher.finish())
        {
            eprintln!("warning: {err}");
        }
        if let Some(server) = &self.server {
            if !quiet {
                eprintln!(
                    "Metrics: serving the final values until they are scraped (at most {})",
                    crate::scenario::duration::format_duration(args.metrics_wait)
                );
            }
            if !runtime.block_on(server.wait_scraped(args.metrics_wait)) && !quiet {
                eprintln!("Metrics: the final values were not scraped");
            }
        }
        written
    }
}
