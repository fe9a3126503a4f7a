//! `run --monitor`: starting the dashboard, warning about exposed addresses, `--open`, and waiting after
//! the run.
//!
//! After the run, on a terminal, the process keeps serving the final state until Ctrl-C or the page's
//! "Close monitor" button (like Locust without `--autoquit`). Without a terminal (stdin or stdout not a
//! TTY) or with `CI` set, nobody is there to press either, so the run ends when it ends (a CI job that
//! passes `--monitor` must not hang until its timeout); `--monitor-wait DURATION` (or `forever`) is the
//! opt-in to keep serving there. The summary and the report files are written before any wait, so
//! nothing waits on it. The exit code is the run's.

use super::args::MonitorArgs;
use super::{Exit, Output};
use crate::monitor::{Monitor, is_exposed};
use crate::run::Plan;
use crate::scenario::{Scenario, SourceMap};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Starts the monitor when `--monitor` was given; a bind error is a usage error (exit 2).
pub fn start(
    args: &MonitorArgs,
    scenario: &Arc<Scenario>,
    sources: &Arc<SourceMap>,
    runtime: &tokio::runtime::Runtime,
    out: Output,
    metrics: Option<crate::monitor::MetricsPage>,
) -> Result<Option<Monitor>, Exit> {
    if !args.enabled {
        return Ok(None);
    }
    let plan = Plan::new(scenario.clone(), sources.clone());
    let monitor = runtime
        .block_on(Monitor::start_with_metrics(args.addr, &plan, metrics))
        .map_err(|err| {
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
    if args.open {
        open_browser(&monitor.url());
    }
    if out.verbosity > 0 {
        eprintln!("Monitor: the Stop button stops the run like Ctrl-C (exit code 3)");
    }
    Ok(Some(monitor))
}

/// `--open`: the default browser, or why there is none. On Linux and the BSDs a browser needs a
/// display (`DISPLAY`, `WAYLAND_DISPLAY`) or an explicit `BROWSER`; without one, `xdg-open` "succeeds"
/// and nothing appears, or a text browser takes over the terminal, so it is not tried.
fn open_browser(url: &str) {
    let var = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let headless =
        cfg!(all(unix, not(target_os = "macos"))) && !["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"].into_iter().any(var);
    if headless {
        eprintln!(
            "warning: --open: no browser to open here (no DISPLAY, WAYLAND_DISPLAY or BROWSER is set); open {url} yourself"
        );
    } else if let Err(err) = webbrowser::open(url) {
        eprintln!("warning: --open: could not open a browser ({err}); open {url} yourself");
    }
}

/// How long to keep serving after the run: `--monitor-wait` when given (`forever` is
/// [`Duration::MAX`]); else forever where someone can press Ctrl-C or Close (`interactive`), and not at
/// all where nobody can (no terminal, or `CI` set).
fn keep_serving(monitor_wait: Option<Duration>, interactive: bool) -> Duration {
    match monitor_wait {
        Some(d) => d,
        None if interactive => Duration::MAX,
        None => Duration::ZERO,
    }
}

/// Whether a person can end the wait: stdin and stdout are terminals and `CI` is not set (or `false`,
/// `0`).
fn interactive() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && !crate::harness::env::is_off(&v));
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal() && !ci
}

/// After the run: keeps the final state on the page until Ctrl-C, the page's Close button, or the end
/// of `--monitor-wait` (see [`keep_serving`]).
pub fn wait(monitor: &Monitor, args: &MonitorArgs, runtime: &tokio::runtime::Runtime) {
    let interactive = interactive();
    let wait = keep_serving(args.wait, interactive);
    let until = match wait {
        d if d.is_zero() => {
            if args.wait.is_none() && !interactive {
                eprintln!(
                    "Monitor: closed with the run (no terminal, or CI is set); --monitor-wait DURATION (or forever) keeps it open"
                );
            }
            return;
        }
        Duration::MAX => "until Ctrl-C or the page's Close button".to_string(),
        d => format!("for {}", crate::scenario::duration::format_duration(d)),
    };
    eprintln!("Monitor: the final state stays at {} {until}", monitor.url());
    runtime.block_on(async {
        let timeout = async {
            match wait {
                Duration::MAX => std::future::pending().await,
                d => tokio::time::sleep(d).await,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_terminal_the_run_ends_when_it_ends_unless_asked_to_wait() {
        let five = Duration::from_secs(5);
        assert_eq!(keep_serving(None, true), Duration::MAX, "a terminal: until Ctrl-C");
        assert_eq!(keep_serving(None, false), Duration::ZERO, "CI: no wait");
        assert_eq!(keep_serving(Some(five), false), five, "--monitor-wait is the opt-in");
        assert_eq!(keep_serving(Some(Duration::MAX), false), Duration::MAX, "forever");
        assert_eq!(keep_serving(Some(Duration::ZERO), true), Duration::ZERO);
    }
}
