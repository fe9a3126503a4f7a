//! `run --monitor`: starting the dashboard, warning about exposed addresses, `--open`, and waiting after
//! the run.
//!
//! After the run the process keeps serving the final state until Ctrl-C or the page's "Close monitor"
//! button (like Locust without `--autoquit`), or for `--monitor-wait DURATION`; the summary and the
//! report files are written before that wait, so nothing waits on it. The exit code is the run's.

use super::args::MonitorArgs;
use super::{Exit, Output};
use crate::monitor::{Monitor, is_exposed};
use crate::run::Plan;
use crate::scenario::{Scenario, SourceMap};
use std::sync::Arc;

/// Starts the monitor when `--monitor` was given; a bind error is a usage error (exit 2).
pub fn start(
    args: &MonitorArgs,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    runtime: &tokio::runtime::Runtime,
    out: Output,
) -> Result<Option<Monitor>, Exit> {
    if !args.enabled {
        return Ok(None);
    }
    let plan = Plan::new(scenario.clone(), sources.clone());
    let monitor = runtime.block_on(Monitor::start(args.addr, &plan)).map_err(|err| {
        eprintln!("error: {err}");
        Exit::Invalid
    })?;
    if is_exposed(&monitor.addr()) {
        eprintln!(
            "warning: the monitor listens on {}, which is reachable from other machines; anyone who can reach it sees the results and can stop the run",
            monitor.addr()
        );
    }
    // The URL is printed even with -q: it is the only way to find a dashboard on port 0.
    eprintln!("Monitor: {}", monitor.url());
    if args.open
        && let Err(err) = webbrowser::open(&monitor.url())
    {
        eprintln!(
            "warning: could not open a browser ({err}); open {} yourself",
            monitor.url()
        );
    }
    if out.verbosity > 0 {
        eprintln!("Monitor: the Stop button stops the run like Ctrl-C (exit code 3)");
    }
    Ok(Some(monitor))
}

/// After the run: keeps the final state on the page until Ctrl-C, the page's Close button, or
/// `--monitor-wait`.
pub fn wait(monitor: &Monitor, args: &MonitorArgs, runtime: &tokio::runtime::Runtime) {
    let until = match args.wait {
        Some(d) if d.is_zero() => return,
        Some(d) => format!("for {}", crate::scenario::duration::format_duration(d)),
        None => "until Ctrl-C or the page's Close button".to_string(),
    };
    eprintln!("Monitor: the final state stays at {} {until}", monitor.url());
    runtime.block_on(async {
        let timeout = async {
            match args.wait {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        // The run's signal handling replaced the default action of SIGTERM, so it is listened to here too.
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = monitor.closed() => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = term => {}
            _ = timeout => {}
        }
    });
}
