//! A shard's side of the protocol (`stressor run --coordinator URL`): join the run (clock, register,
//! wait for the start), report live from a task of its own, deliver the results.
//!
//! ```text
//!   run's coordinating task ──check(live) once a second──► Watch ──latest──► reporter task ──HTTP──► coordinator
//!                          ◄──Some(why): abort──────────  (decision)  ◄──Action::Stop─────────────┘
//! ```
//!
//! The runner sees the link as its [`AbortCheck`]: `check` only stores the live report and returns
//! the coordinator's decision; the reporter task turns reports into differences, sends them, and
//! keeps sending (heartbeats) after the run stopped taking live reports, until the results are
//! delivered. So a slow or gone coordinator never slows the load.

use super::protocol::{
    Action, ClockOffset, ClockReply, Delivery, LiveReport, PROTOCOL, Refusal, RefusalKind, Register, Registered,
    StartState, Token, from_unix_ns, unix_ns,
};
use crate::report::json::Results;
use crate::run::{AbortCheck, RunReport, Shard, StopHandle, StopReason};
use crate::stats::Snapshot;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// How often a shard reports.
pub const REPORT_EVERY: Duration = Duration::from_secs(1);
/// How long one report may take before it counts as not delivered.
const REPORT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a shard keeps trying to deliver its results.
const DELIVERY_PATIENCE: Duration = Duration::from_secs(15);

/// Why a shard could not take part.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The URL is not an `http://` URL.
    #[error("invalid coordinator URL `{0}`: write it as http://HOST:PORT")]
    Url(String),
    /// The coordinator refused (see [`Refusal`]).
    #[error("the coordinator refused shard {shard}: {}", refusal.error)]
    Refused {
        /// `K/N`.
        shard: String,
        /// What it said.
        refusal: Refusal,
    },
    /// The coordinator could not be reached.
    #[error("the coordinator at {url} could not be reached: {why}")]
    Unreachable {
        /// Its URL.
        url: String,
        /// The last error.
        why: String,
    },
    /// The coordinator gave up the run before it started.
    #[error("the coordinator gave up the run: {0}")]
    Cancelled(String),
}

impl LinkError {
    /// The refusal, when the coordinator refused.
    pub fn refusal(&self) -> Option<RefusalKind> {
        match self {
            LinkError::Refused { refusal, .. } => Some(refusal.refusal),
            _ => None,
        }
    }
}

enum CallError {
    Refused(Refusal),
    Unreachable(String),
}

/// The way to one coordinator, for one shard.
#[derive(Clone)]
pub struct Link {
    http: reqwest::Client,
    base: String,
    token: Token,
    shard: Shard,
}

/// A shard that joined: when to start, and its clock against the coordinator's.
#[derive(Clone, Copy, Debug)]
pub struct Joined {
    /// The shared start on this shard's clock.
    pub start_at: SystemTime,
    /// The coordinator's clock minus this shard's.
    pub clock: ClockOffset,
}

impl Link {
    /// A link to the coordinator at `url` (`http://host:port`).
    pub fn new(url: &str, token: Token, shard: Shard) -> Result<Link, LinkError> {
        let base = url.trim().trim_end_matches('/').to_string();
        if !base.starts_with("http://") || base.len() <= "http://".len() {
            return Err(LinkError::Url(url.to_string()));
        }
        // No proxy: the coordinator is a peer on the same network, and a proxy from the
        // environment (HTTP_PROXY) would see the token.
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| LinkError::Url(format!("{url} ({e})")))?;
        Ok(Link {
            http,
            base,
            token,
            shard,
        })
    }

    /// The coordinator's URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    async fn call<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let response = request
            .bearer_auth(self.token.secret())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| CallError::Unreachable(without_url(e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CallError::Unreachable(without_url(e)))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| CallError::Unreachable(format!("unexpected answer ({status}): {e}")));
        }
        Err(match serde_json::from_slice::<Refusal>(&bytes) {
            Ok(refusal) => CallError::Refused(refusal),
            Err(_) => CallError::Unreachable(format!(
                "{status}: {}",
                String::from_utf8_lossy(&bytes).chars().take(200).collect::<String>()
            )),
        })
    }

    fn refused(&self, refusal: Refusal) -> LinkError {
        LinkError::Refused {
            shard: self.shard.to_string(),
            refusal,
        }
    }

    fn unreachable(&self, why: String) -> LinkError {
        LinkError::Unreachable {
            url: self.base.clone(),
            why,
        }
    }

    /// The offset to the coordinator's clock: the best of a few exchanges (the one with the
    /// shortest round trip bounds the error best).
    async fn clock(&self) -> Result<ClockOffset, CallError> {
        let mut best: Option<ClockOffset> = None;
        for _ in 0..5 {
            let sent = SystemTime::now();
            let reply: ClockReply = self
                .call(self.http.get(format!("{}/v1/clock", self.base)), REPORT_TIMEOUT)
                .await?;
            let offset = ClockOffset::measure(sent, reply, SystemTime::now());
            if best.is_none_or(|b| offset.uncertainty_ns < b.uncertainty_ns) {
                best = Some(offset);
            }
        }
        Ok(best.unwrap_or_default())
    }

    /// Joins the run: measures the clock, registers with `scenario_hash` and waits for the start,
    /// retrying a coordinator that cannot be reached (yet) for up to `wait`.
    pub async fn join(&self, scenario_hash: &str, wait: Duration) -> Result<Joined, LinkError> {
        let deadline = Instant::now() + wait;
        let retry = |why: String| async move {
            if Instant::now() >= deadline {
                return Err(why);
            }
            tracing::debug!("the coordinator cannot be reached yet ({why}); trying again");
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        };
        let clock = loop {
            match self.clock().await {
                Ok(clock) => break clock,
                Err(CallError::Refused(r)) => return Err(self.refused(r)),
                Err(CallError::Unreachable(why)) => retry(why).await.map_err(|why| self.unreachable(why))?,
            }
        };
        let register = Register {
            protocol: PROTOCOL,
            version: env!("CARGO_PKG_VERSION").to_string(),
            shard: self.shard.to_string(),
            scenario: scenario_hash.to_string(),
            clock,
        };
        loop {
            let request = self.http.post(format!("{}/v1/register", self.base)).json(&register);
            match self.call::<Registered>(request, REPORT_TIMEOUT).await {
                Ok(_) => break,
                Err(CallError::Refused(r)) => return Err(self.refused(r)),
                Err(CallError::Unreachable(why)) => retry(why).await.map_err(|why| self.unreachable(why))?,
            }
        }
        loop {
            let request = self.http.get(format!("{}/v1/start", self.base));
            match self.call::<StartState>(request, Duration::from_secs(40)).await {
                Ok(StartState::Start { start_at_ns }) => {
                    return Ok(Joined {
                        start_at: clock.to_shard(from_unix_ns(start_at_ns)),
                        clock,
                    });
                }
                Ok(StartState::Cancelled { error }) => return Err(LinkError::Cancelled(error)),
                Ok(StartState::Waiting { missing }) => {
                    if Instant::now() >= deadline {
                        return Err(self.unreachable(format!(
                            "the run did not start in time (still missing {})",
                            missing.join(", ")
                        )));
                    }
                }
                Err(CallError::Refused(r)) => return Err(self.refused(r)),
                Err(CallError::Unreachable(why)) => retry(why).await.map_err(|why| self.unreachable(why))?,
            }
        }
    }

    /// Starts reporting live: returns the [`AbortCheck`] to give the run (it hands the reporter the
    /// live results and relays an abort) and the reporter. A stop request of the coordinator stops
    /// the run through `stop`.
    pub fn report(&self, stop: StopHandle) -> Reporter {
        let watch = Arc::new(Watch::default());
        let task = tokio::spawn(reporter(self.clone(), watch.clone(), stop));
        Reporter { watch, task }
    }

    /// Delivers the final results, trying again for a while when the coordinator cannot be reached.
    pub async fn deliver(&self, results: &Results) -> Result<(), LinkError> {
        let body = Delivery {
            shard: self.shard.to_string(),
            results: results.clone(),
        };
        let deadline = Instant::now() + DELIVERY_PATIENCE;
        loop {
            let request = self.http.post(format!("{}/v1/results", self.base)).json(&body);
            match self.call::<serde_json::Value>(request, Duration::from_secs(60)).await {
                Ok(_) => return Ok(()),
                Err(CallError::Refused(r)) => return Err(self.refused(r)),
                Err(CallError::Unreachable(why)) if Instant::now() >= deadline => return Err(self.unreachable(why)),
                Err(CallError::Unreachable(_)) => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }
}

/// A reqwest error without the URL it carries (it would repeat the coordinator's address in every
/// message).
fn without_url(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// What the run's coordinating task and the reporter share.
#[derive(Default)]
struct Watch {
    /// The latest live results.
    latest: Mutex<Option<Arc<RunReport>>>,
    /// The coordinator's abort, once decided.
    abort: Mutex<Option<String>>,
    /// The coordinator's refusal (this shard was declared lost), once it came.
    refused: Mutex<Option<Refusal>>,
    /// Reports the coordinator did not answer in a row, and the last reason.
    missed: Mutex<(u32, String)>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AbortCheck for Watch {
    fn check(&self, live: &RunReport) -> Option<String> {
        *lock(&self.latest) = Some(Arc::new(live.clone()));
        lock(&self.abort).clone()
    }
}

/// The running reporter of a shard (see [`Link::report`]). Dropping it stops the reports.
pub struct Reporter {
    watch: Arc<Watch>,
    task: tokio::task::JoinHandle<()>,
}

impl Reporter {
    /// The check to put in [`RunOptions::abort`](crate::run::RunOptions::abort).
    pub fn check(&self) -> Arc<dyn AbortCheck> {
        self.watch.clone()
    }

    /// The coordinator's refusal of this shard's reports (it was declared lost), if it came.
    pub fn refused(&self) -> Option<Refusal> {
        lock(&self.watch.refused).clone()
    }

    /// Stops reporting (once the results are delivered, or given up).
    pub fn finish(self) {
        self.task.abort();
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Once a second: the latest live results as a difference from the last report the coordinator
/// acknowledged (everything, after one it did not), or a heartbeat when nothing changed.
async fn reporter(link: Link, watch: Arc<Watch>, stop: StopHandle) {
    let mut ticks = tokio::time::interval(REPORT_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The last report the coordinator acknowledged: its number, stats and error count.
    let mut acked: Option<(u64, Snapshot, usize)> = None;
    let mut seq = 0u64;
    let mut stopped = false;
    loop {
        ticks.tick().await;
        let Some(latest) = lock(&watch.latest).clone() else {
            continue;
        };
        seq += 1;
        let since = acked.as_ref().and_then(|(n, stats, errors)| {
            let delta = latest.stats.since(stats)?;
            let new_errors = latest.errors.get(*errors..)?.to_vec();
            Some((*n, delta, new_errors))
        });
        let (base, stats, errors) = match since {
            Some((n, delta, errors)) => (Some(n), delta, errors),
            None => (None, latest.stats.clone(), latest.errors.clone()),
        };
        let report = LiveReport {
            shard: link.shard.to_string(),
            seq,
            base,
            started_ns: latest.started_at.map_or(0, unix_ns),
            elapsed: latest.elapsed,
            sessions: latest.sessions,
            stop: latest.stop,
            aborted: latest.aborted.clone(),
            health: latest.health.clone(),
            feeders: latest.feeders.clone(),
            stats,
            errors,
        };
        let request = link.http.post(format!("{}/v1/report", link.base)).json(&report);
        match link.call::<Action>(request, REPORT_TIMEOUT).await {
            Ok(action) => {
                acked = Some((seq, latest.stats.clone(), latest.errors.len()));
                *lock(&watch.missed) = (0, String::new());
                match action {
                    Action::Continue => {}
                    Action::Stop {
                        reason: StopReason::Aborted,
                        why,
                    } => {
                        lock(&watch.abort).get_or_insert(why);
                    }
                    Action::Stop { why, .. } if !stopped => {
                        stopped = true;
                        tracing::warn!("the coordinator stops the run: {why}");
                        stop.stop();
                    }
                    Action::Stop { .. } => {}
                }
            }
            Err(CallError::Refused(r)) if r.refusal == RefusalKind::Resync => acked = None,
            Err(CallError::Refused(r)) => {
                tracing::warn!("the coordinator refused this shard's report: {}", r.error);
                *lock(&watch.refused) = Some(r);
                stop.stop_now();
                return;
            }
            Err(CallError::Unreachable(why)) => {
                acked = None;
                let mut missed = lock(&watch.missed);
                missed.0 += 1;
                if missed.0 == 3 {
                    tracing::warn!(
                        "the coordinator at {} has not answered 3 reports ({why}); this shard goes on with its part",
                        link.base
                    );
                }
                missed.1 = why;
            }
        }
    }
}
