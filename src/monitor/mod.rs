//! The live monitor (`stressor run --monitor`): a web dashboard of a running load test.
//!
//! ```text
//!  runner ──RunEvents──► Live (EventSink: own HDR histograms per activity/sequence/second)
//!                          │ renders the live part once per tick → watch channel
//!                          ▼
//!  browser ◄──SSE /events── server (axum) ──POST /stop──► StopHandle (graceful, then immediate)
//! ```
//!
//! The monitor reads results, it never reaches into the runner: it only consumes [`RunEvent`]s and
//! controls the run through the same [`StopHandle`] a library caller would use. Plots are inline SVG
//! rendered in Rust (shared with the HTML report), so the page needs no network and no JS library.
//!
//! Main types: [`Monitor`] (start it, hand its [`Monitor::sink`] and [`Monitor::stop_handle`] to the
//! run), [`Live`] (the aggregate) and [`MonitorError`].
//!
//! [`RunEvent`]: crate::run::RunEvent

mod live;
mod server;

pub use live::{Live, Status};

use crate::run::{EventSink, Plan, StopHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::Notify;

/// The default address: loopback only, since the page can stop the run.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8081";

/// Why the monitor could not start.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The address could not be bound (in use, not local, no permission).
    #[error(
        "failed to listen on {addr} for the monitor: {source} (choose another with `--monitor-addr`, e.g. 127.0.0.1:0 for any free port)"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A running dashboard. Dropping it stops serving.
pub struct Monitor {
    live: Arc<Live>,
    stop: StopHandle,
    close: Arc<Notify>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Monitor {
    /// Binds `addr` and starts serving the dashboard for a run of `plan` (on the current tokio runtime).
    pub async fn start(addr: SocketAddr, plan: &Plan) -> Result<Monitor, MonitorError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| MonitorError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| MonitorError::Bind { addr, source })?;
        let live = Arc::new(Live::new(
            plan.scenario.name.clone(),
            plan.activities.clone(),
            plan.scenario.sequences.iter().map(|s| s.name.clone()).collect(),
        ));
        let stop = StopHandle::new();
        let close = Arc::new(Notify::new());
        let app = server::router(server::AppState {
            live: live.clone(),
            stop: stop.clone(),
            close: close.clone(),
        });
        let task = tokio::spawn(async move {
            // Serving only ends with an accept error the listener cannot recover from; the run goes on
            // without its dashboard then, which is better than failing the load test.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Monitor {
            live,
            stop,
            close,
            addr: bound,
            task,
        })
    }

    /// The address actually bound (the port is known even when 0 was asked for).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The event sink to pass in [`RunOptions::events`](crate::run::RunOptions::events).
    pub fn sink(&self) -> Arc<dyn EventSink> {
        self.live.clone()
    }

    /// The handle the Stop button uses; pass it in [`RunOptions::stop`](crate::run::RunOptions::stop).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Shows the judged run's verdict on the page (the final state after the run).
    pub fn judged(&self, judgement: &crate::verdict::Judgement) {
        self.live.judged(judgement.verdict, judgement.result_line());
    }

    /// Shows a whole report as the current state (a coordinator's merged live run; see
    /// [`Live::show`]).
    pub fn show(&self, report: &crate::run::RunReport) {
        self.live.show(report);
    }

    /// The run's status as the page shows it.
    pub fn status(&self) -> Status {
        self.live.status()
    }

    /// Waits until someone presses "Close monitor" on the page (offered once the run is over).
    pub async fn closed(&self) {
        self.close.notified().await;
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Whether serving on `addr` exposes the dashboard (and its Stop button) beyond this machine.
pub fn is_exposed(addr: &SocketAddr) -> bool {
    !addr.ip().is_loopback()
}
