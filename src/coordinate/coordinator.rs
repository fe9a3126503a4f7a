//! The coordinator's clock: it serves the protocol, holds the barrier, gives the start, merges the
//! shards' live reports once a second (the abort check, the live observers, lost shards), and hands
//! back every shard's final part when all have delivered or are lost. It generates no load.

use super::board::Board;
use super::protocol::{ClockOffset, Token};
use super::server::{Shared, router};
use crate::report::json::Results;
use crate::report::merge::merge_reports;
use crate::run::{
    AbortCheck, Checkpoint, Checkpoints, EventSink, LostShard, RunEvent, RunReport, StopHandle, StopReason,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

/// How a coordinator is set up (what it needs before any shard talks to it).
pub struct Setup {
    /// Where to listen.
    pub listen: SocketAddr,
    /// How many shards the run has.
    pub shards: u32,
    /// Who may talk to it.
    pub token: Token,
    /// The scenario's [`scenario_hash`](super::scenario_hash).
    pub scenario_hash: String,
    /// The scenario's report with nothing measured (its activities and sequences).
    pub template: RunReport,
    /// A shard silent this long is lost.
    pub lost_after: Duration,
}

/// How a coordinated run goes.
pub struct CoordinateOptions {
    /// How long the barrier waits for every shard.
    pub wait_shards: Duration,
    /// How far after the last registration the shared start is.
    pub start_delay: Duration,
    /// Listen for Ctrl-C and SIGTERM: the first stops the run (the shards stop and deliver), the
    /// second stops waiting for them.
    pub handle_signals: bool,
    /// Another way to stop the run (the monitor's Stop button).
    pub stop: Option<StopHandle>,
    /// Receives the run-level events (start, a tick a second, stopping, the end).
    pub events: Option<Arc<dyn EventSink>>,
    /// Checked once a second on the merged run (`abort_on_fail`).
    pub abort: Option<Arc<dyn AbortCheck>>,
    /// Receive the merged run as it stands, each every its `every` (the monitor, the checkpointed
    /// results file).
    pub live: Vec<Checkpoints>,
    /// Judges a lost shard's part into results (the scenario's thresholds and trials).
    pub judge: Arc<dyn Fn(RunReport) -> Results + Send + Sync>,
    /// Told what happens as it happens (registrations refused, the start, lost shards).
    pub notes: Arc<dyn Fn(&str) + Send + Sync>,
}

/// Why a coordinated run did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CoordinateError {
    /// The address could not be bound.
    #[error("failed to listen on {addr} for the shards: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not every shard registered in time.
    #[error("{0}")]
    Barrier(String),
}

/// What a coordinated run produced: every shard's part, to be merged.
#[derive(Debug)]
pub struct Coordinated {
    /// Each shard's final part (`shard K/N`, its results), on the coordinator's clock.
    pub parts: Vec<(PathBuf, Results)>,
    /// The shards lost.
    pub lost: Vec<LostShard>,
    /// Each shard's clock against the coordinator's.
    pub clocks: Vec<(String, ClockOffset)>,
    /// Why the coordinator stopped the run, if it did.
    pub stopped: Option<StopReason>,
}

/// A listening coordinator. Dropping it stops serving.
pub struct Coordinator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Coordinator {
    /// Binds and starts serving (on the current tokio runtime).
    pub async fn start(setup: Setup) -> Result<Coordinator, CoordinateError> {
        let bind = |source| CoordinateError::Bind {
            addr: setup.listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(setup.listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let shared = Arc::new(Shared {
            board: std::sync::Mutex::new(Board::new(
                setup.shards,
                setup.scenario_hash,
                setup.template,
                setup.lost_after,
            )),
            token: setup.token,
            changed: tokio::sync::watch::channel(0).0,
            stop: StopHandle::new(),
            unauthorized: Default::default(),
        });
        let app = router(shared.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            // Serving ends only on an accept error the listener cannot recover from.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Coordinator { shared, addr, task })
    }

    /// The address bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a shard on this machine reaches it at (loopback when it listens on every address).
    pub fn local_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}")
    }

    /// Requests refused for want of the token so far.
    pub fn unauthorized(&self) -> u64 {
        self.shared.unauthorized.load(Ordering::Relaxed)
    }

    /// Runs the coordinated run: barrier, start, live merging, until every shard has delivered or is
    /// lost (see [`crate::coordinate`]).
    pub async fn run(&self, o: CoordinateOptions) -> Result<Coordinated, CoordinateError> {
        let mut signals = crate::run::Signals::new(o.handle_signals);
        self.barrier(&o, &mut signals).await?;
        let started = Instant::now() + o.start_delay;
        let start_at = SystemTime::now() + o.start_delay;
        self.shared.board().start(start_at, started);
        self.shared.changed.send_modify(|n| *n = n.wrapping_add(1));
        (o.notes)(&format!(
            "All shards are in; the run starts at {}",
            crate::report::format_rfc3339(start_at)
        ));
        for (shard, clock) in self.shared.board().clocks() {
            tracing::debug!("shard {shard}: clock offset {clock}");
        }
        tokio::time::sleep_until(started.into()).await;
        let emit = |event: RunEvent| {
            if let Some(sink) = &o.events {
                sink.event(&event);
            }
        };
        emit(RunEvent::RunStarted {
            scenario: self.shared.board().template().scenario.clone(),
            sessions: 0,
        });
        let stopped = self.live(&o, &mut signals, started).await;
        emit(RunEvent::RunFinished {
            elapsed: started.elapsed(),
        });
        let board = self.shared.board();
        Ok(Coordinated {
            parts: board.final_parts(&*o.judge),
            lost: board.lost(),
            clocks: board.clocks(),
            stopped,
        })
    }

    /// Waits until every shard has registered; gives up after `wait_shards` or at Ctrl-C, naming the
    /// shards missing.
    async fn barrier(&self, o: &CoordinateOptions, signals: &mut crate::run::Signals) -> Result<(), CoordinateError> {
        let mut changes = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + o.wait_shards;
        let mut refusals_seen = 0;
        loop {
            let (missing, refusals) = {
                let board = self.shared.board();
                (board.missing(), board.refusals().to_vec())
            };
            for refusal in &refusals[refusals_seen.min(refusals.len())..] {
                (o.notes)(&format!("warning: refused a registration: {refusal}"));
            }
            refusals_seen = refusals.len();
            if missing.is_empty() {
                return Ok(());
            }
            let why = tokio::select! {
                _ = changes.changed() => continue,
                _ = tokio::time::sleep_until(deadline) => format!(
                    "gave up waiting for the shards after {}",
                    crate::scenario::duration::format_duration(o.wait_shards)
                ),
                _ = signals.next() => "interrupted while waiting for the shards".to_string(),
            };
            let mut message = format!("{why}: missing {}", missing.join(", "));
            if !refusals.is_empty() {
                message.push_str(&format!(" (refused: {})", refusals.join("; ")));
            }
            self.shared.board().cancel(message.clone());
            self.shared.changed.send_modify(|n| *n = n.wrapping_add(1));
            // Shards waiting for the start hear it with their next poll.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return Err(CoordinateError::Barrier(message));
        }
    }

    /// Once a second from the start until every shard has delivered or is lost: lost shards, the
    /// merged run, the abort check, the observers, a tick. Returns why it stopped the run, if it did.
    async fn live(
        &self,
        o: &CoordinateOptions,
        signals: &mut crate::run::Signals,
        started: Instant,
    ) -> Option<StopReason> {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        let mut observed: Vec<Instant> = o.live.iter().map(|_| started).collect();
        let mut changes = self.shared.changed.subscribe();
        let mut own_stop = Some(self.shared.stop.subscribe());
        let mut their_stop = o.stop.as_ref().map(StopHandle::subscribe);
        let mut stopped = None;
        let emit = |event: RunEvent| {
            if let Some(sink) = &o.events {
                sink.event(&event);
            }
        };
        let stop = |reason: StopReason, why: String, stopped: &mut Option<StopReason>| {
            if stopped.is_none() {
                (o.notes)(&format!("Stopping the run: {why}"));
                self.shared.board().stop(reason, why);
                *stopped = Some(reason);
                emit(RunEvent::Stopping { reason, hard: false });
            }
        };
        loop {
            if self.shared.board().done() {
                return stopped;
            }
            tokio::select! {
                _ = ticks.tick() => {}
                _ = changes.changed() => continue,
                _ = crate::run::next_stop(&mut own_stop) => {
                    stop(StopReason::Requested, "a stop request (POST /v1/stop)".into(), &mut stopped);
                    continue;
                }
                _ = crate::run::next_stop(&mut their_stop) => {
                    stop(StopReason::Requested, "the monitor's Stop button".into(), &mut stopped);
                    continue;
                }
                n = signals.next() => {
                    if n >= 2 {
                        let lost = self.shared.board().lose_pending("the coordinator was interrupted before its results arrived");
                        for l in lost {
                            (o.notes)(&format!("warning: shard {} is left out: {}", l.shard, l.why));
                        }
                        return Some(StopReason::Interrupted);
                    }
                    stop(StopReason::Interrupted, "Ctrl-C / SIGTERM on the coordinator".into(), &mut stopped);
                    continue;
                }
            }
            let now = Instant::now();
            for lost in self.shared.board().lose_silent(now) {
                (o.notes)(&format!(
                    "warning: shard {} is lost ({}); the run goes on without it",
                    lost.shard, lost.why
                ));
            }
            let parts = self.shared.board().live_parts();
            let Ok(mut merged) = merge_reports(&parts) else {
                continue;
            };
            merged.checkpoint = Some(Checkpoint {
                at: Some(SystemTime::now()),
            });
            if stopped.is_none()
                && let Some(why) = o.abort.as_ref().and_then(|a| a.check(&merged))
            {
                stop(StopReason::Aborted, why, &mut stopped);
            }
            for (c, last) in o.live.iter().zip(observed.iter_mut()) {
                if now.saturating_duration_since(*last) >= c.every {
                    *last = now;
                    (c.write)(merged.clone());
                }
            }
            emit(RunEvent::Tick {
                elapsed: now.saturating_duration_since(started),
                activities: merged.stats.activities.iter().map(|m| m.count).sum(),
                errors: merged.error_count(),
            });
        }
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
