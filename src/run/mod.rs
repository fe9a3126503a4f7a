//! Running a scenario: sessions, their schedule, stop requests and limits.
//!
//! ```text
//!            ┌────────────── coordinator (run) ───────────────┐
//!  signals ─►│ select!: all sessions done | Ctrl-C/SIGTERM     │
//!  max_time ►│          | max_time | grace period after stop   │──► RunReport
//!            └──┬──────────────┬──────────────┬────────────────┘
//!               │ spawn (ramp-up offsets)      │ RunControl (stop levels, error budget)
//!          ┌────▼────┐    ┌────▼────┐     ┌────▼────┐
//!          │ session │    │ session │ ... │ session │  each owns its context and HTTP client;
//!          │   t01   │    │   t02   │     │   tNN   │  all record into the run's RunRecorder
//!          └─────────┘    └─────────┘     └─────────┘  (per-thread shards, see crate::stats)
//! ```
//!
//! "What one session does" ([`Session`]) is separate from "when sessions start" (the closed-model
//! schedule below: session *i* starts at *i* × `ramp_up_delay`), so an arrival-rate schedule can drive
//! the same sessions. A first Ctrl-C / SIGTERM (or [`StopHandle::stop`]) stops new work and lets `end`
//! run for up to [`RunOptions::grace`]; a second one, or the end of the grace period, stops at once.
//! Results are never lost: measurements and error records live in [`RunEnv`], outside the session tasks.

pub mod arrivals;
mod control;
mod event;
mod health;
mod plan;
mod report;
mod request;
mod schedule;
mod seed;
mod session;
pub mod shard;
pub mod stages;
pub mod warmup;

pub use control::{RunControl, StopReason};
pub use event::{EventSink, Fanout, RunEvent};
pub use health::{CPU_LIMIT, GeneratorHealth, LAG_P99_LIMIT, MIN_JUDGED_RUN, PartHealth, RAISE_MAX_SESSIONS};
pub use plan::{ActivityInfo, Plan, SequenceSlot, activity_of, label, slot_is};
pub use report::{Aborted, Checkpoint, ErrorRecord, LostShard, RunReport, WorkloadPart};
pub use request::{RequestRow, RequestSink};
pub use session::{PassEnd, Session};
pub use shard::{Shard, ShardError};
pub use warmup::{WarmupEnd, WarmupPart};

use crate::activity::plugin::Registry;
#[cfg(feature = "script")]
use crate::activity::script::ScriptEngine;
use crate::activity::{Shared, TlsConfigs};
use crate::scenario::{ActivityKind, Arrivals, Delay, LoadModel, Scenario, SourceMap, WarmupLength};
use crate::stats::{RunRecorder, Snapshot};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// How to run.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// `-n`: send no request, sleep no sleep (scripts still run).
    pub dry_run: bool,
    /// `--single`: one session, one pass per scenario item.
    pub single: bool,
    /// `--max-errors`: overrides `config.max_errors` when set.
    pub max_errors: Option<u64>,
    /// `--max-time`: overrides `config.max_time` when set.
    pub max_time: Option<Duration>,
    /// How long `end` may run after a stop request (default 10 s).
    pub grace: Option<Duration>,
    /// Listen for Ctrl-C and SIGTERM.
    pub handle_signals: bool,
    /// Lets another task stop the run.
    pub stop: Option<StopHandle>,
    /// Receives run events (see also [`RunOptions::subscribe`]).
    pub events: Option<Arc<dyn EventSink>>,
    /// The Rust activity plugins the scenario uses (the same registry it was loaded with).
    pub activities: Registry,
    /// Run only this shard's share of the load (`--shard K/N`; see [`shard`]).
    pub shard: Option<Shard>,
    /// Checked once a second while the run goes: a reason to stop it (`abort_on_fail` thresholds, see
    /// `verdict::AbortWatch`). The CLI and the cargo harness install the scenario's.
    pub abort: Option<Arc<dyn AbortCheck>>,
    /// Receives one row per request (`run --request-log`; see [`RequestSink`]).
    pub requests: Option<Arc<dyn RequestSink>>,
    /// Receive the run as it stands once a second (metrics exporters; see [`Observer`]).
    pub observers: Vec<Arc<dyn Observer>>,
    /// Hands the run as it stands to a writer every so often while it goes (checkpointed results
    /// files: `run --checkpoint`), so that a process killed outright leaves its measurements behind.
    pub checkpoints: Option<Checkpoints>,
    /// The warm-up, instead of the scenario's `thresholds.warmup` (`stressor ab` and `search` set
    /// their own; `Fixed(0)` for none). See [`warmup`].
    pub warmup: Option<WarmupLength>,
    /// Lets another task read the run's measurements while it goes (see [`RunProbe`]).
    pub probe: Option<RunProbe>,
    /// Start the load at this wall-clock instant instead of at once: a coordinated run's shared start
    /// (`stressor coordinate`). Everything that can fail or take time (TLS, feeders, the plan) is set
    /// up first; the run's clock (second 0 of the series, [`RunReport::started_at`]) begins at the
    /// instant. An instant in the past starts at once. Ctrl-C or a stop request while waiting starts
    /// the run already stopped, so it ends at once with its report.
    pub start_at: Option<SystemTime>,
}

/// Watches a running run: once a second it gets the run as it stands — a live snapshot of the stats
/// (without the per-session measures, the costly part to copy, which no live view shows) and the
/// generator's health so far (CPU, scheduler lag, arrivals). Called on the run's coordinating task:
/// it must return quickly, handing slow work (network, disk) to a task of its own.
pub trait Observer: Send + Sync {
    /// The run so far.
    fn observe(&self, live: &RunReport);
}

/// A handle on a running run's measurements, for a caller that reads them on its own schedule
/// (`stressor ab` reads both sides' at the same instants, once per round). Give a clone to
/// [`RunOptions::probe`]; it is connected when the run starts.
#[derive(Clone, Debug, Default)]
pub struct RunProbe(Arc<OnceLock<Arc<RunRecorder>>>);

impl RunProbe {
    /// A probe not yet connected to a run.
    pub fn new() -> Self {
        Self::default()
    }

    /// The measures the run has recorded so far after its warm-up (see [`RunRecorder::measures`]: no
    /// series, no per-session measures); `None` before it started.
    pub fn measures(&self) -> Option<Snapshot> {
        self.0.get().map(|r| r.measures())
    }

    /// Whether the run started and is past its warm-up (or has none), so that what it records now
    /// is judged.
    pub fn judging(&self) -> bool {
        self.0.get().is_some_and(|r| r.past_warmup())
    }

    /// The warm-up's length, once it ended (`None` without one, or before).
    pub fn warmup_end(&self) -> Option<std::time::Duration> {
        self.0.get().and_then(|r| r.warmup_end())
    }
}

/// Checkpoints of a running run (see [`RunOptions::checkpoints`]).
#[derive(Clone)]
pub struct Checkpoints {
    /// How often.
    pub every: Duration,
    /// Receives the run so far: stats a live snapshot, the errors recorded up to now, the generator's
    /// health so far, and [`RunReport::checkpoint`] set. Called on the run's coordinating task, so it
    /// must hand slow work (judging, serializing, writing) to another thread.
    pub write: Arc<dyn Fn(RunReport) + Send + Sync>,
}

/// A check of the live results, once a second while the run goes (not once a stop is under way):
/// `Some(why)` stops the run (gracefully: `end` runs), with [`StopReason::Aborted`] and `why` in
/// [`RunReport::aborted`]. `abort_on_fail` thresholds are one (`verdict::AbortWatch`); a coordinated
/// shard's link to its coordinator is another (it forwards the live results and relays the
/// coordinator's decision).
pub trait AbortCheck: Send + Sync {
    /// The run so far: `elapsed` the time since the start, `sessions` those started, the stats a
    /// live snapshot without per-session measures (`stats.sessions` is empty), `errors` those
    /// recorded so far in the order they were recorded (the list only grows), `health` the generator's
    /// so far, and [`RunReport::checkpoint`] set.
    fn check(&self, live: &RunReport) -> Option<String>;
}

impl RunOptions {
    /// These options with the given plugins.
    pub fn with_activities(mut self, activities: Registry) -> Self {
        self.activities = activities;
        self
    }

    /// Sends every event of the run to the returned channel, in the order they happen within a session
    /// (replacing any sink set before). The channel is unbounded so that a slow reader never slows
    /// the load down; a long run with many requests emits two events per activity, so read it as you
    /// go, or use an [`EventSink`] that aggregates.
    pub fn subscribe(&mut self) -> tokio::sync::mpsc::UnboundedReceiver<RunEvent> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.events = Some(Arc::new(event::ChannelSink(tx)));
        rx
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("dry_run", &self.dry_run)
            .field("single", &self.single)
            .field("max_errors", &self.max_errors)
            .field("max_time", &self.max_time)
            .field("grace", &self.grace)
            .field("activities", &self.activities)
            .field("shard", &self.shard)
            .field("checkpoints", &self.checkpoints.as_ref().map(|c| c.every))
            .field("warmup", &self.warmup)
            .field("start_at", &self.start_at)
            .finish_non_exhaustive()
    }
}

/// The default time `end` sequences get after a stop request.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);

/// Stops a run from outside: the first call is graceful, the second immediate.
#[derive(Clone, Debug, Default)]
pub struct StopHandle {
    tx: Arc<tokio::sync::watch::Sender<u8>>,
    /// Set by [`StopHandle::end`]: the stop is the run's planned end, not an interruption.
    planned: Arc<std::sync::atomic::AtomicBool>,
}

impl StopHandle {
    /// A new handle.
    pub fn new() -> Self {
        StopHandle {
            tx: Arc::new(tokio::sync::watch::channel(0).0),
            planned: Arc::default(),
        }
    }

    /// Ends the run as planned by its caller, who measures the run's length itself (`stressor ab`
    /// ends both sides after the last round): judged as the end of `max_time` is, not as a stop
    /// request, which makes the verdict `stopped` (exit 3).
    pub fn end(&self) {
        self.planned.store(true, std::sync::atomic::Ordering::Relaxed);
        self.stop();
    }

    /// Why a stop through this handle stops the run.
    fn reason(&self) -> StopReason {
        match self.planned.load(std::sync::atomic::Ordering::Relaxed) {
            true => StopReason::MaxTime,
            false => StopReason::Requested,
        }
    }

    /// Requests a stop (graceful first, then hard).
    pub fn stop(&self) {
        self.tx.send_modify(|n| *n = n.saturating_add(1));
    }

    /// Requests an immediate stop (`end` is interrupted too), whatever came before.
    pub fn stop_now(&self) {
        self.tx.send_modify(|n| *n = n.saturating_add(1).max(2));
    }

    pub(crate) fn subscribe(&self) -> tokio::sync::watch::Receiver<u8> {
        self.tx.subscribe()
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// TLS could not be set up.
    #[error("failed to set up TLS: {0}")]
    Tls(#[from] crate::http::ClientError),
    /// A `Record` file cannot be opened or has other columns.
    #[error(transparent)]
    Record(#[from] crate::activity::record::RecordError),
    /// The scenario uses a Rust activity that [`RunOptions::activities`] does not have.
    #[error(
        "activity `{name}` is not registered: pass the registry the scenario was loaded with in RunOptions::activities"
    )]
    UnknownActivity {
        /// The activity's name.
        name: String,
    },
}

/// Everything sessions share.
pub struct RunEnv {
    /// The plan.
    pub plan: Plan,
    /// Options.
    pub options: RunOptions,
    /// Stop state and error budget.
    pub control: RunControl,
    /// TLS configurations for session clients.
    pub tls: TlsConfigs,
    /// Script engine and sources.
    pub shared: Shared,
    /// Event receiver.
    pub events: Option<Arc<dyn EventSink>>,
    /// When the run started (the recorder's clock).
    pub started: Instant,
    /// Whether the sink wants per-activity and per-sequence events.
    pub detail_events: bool,
    /// Measurements: per-thread shards and per-session slots; [`RunRecorder::snapshot`] reads them live.
    pub recorder: Arc<RunRecorder>,
    /// The first errors of each session (at most a few per session, so this lock is rare).
    pub errors: Mutex<Vec<ErrorRecord>>,
    /// Why and when an [`AbortCheck`] stopped the run.
    pub aborted: Mutex<Option<Aborted>>,
    /// The run's seed, when it seeds data (a generated feeder, a script's random functions).
    pub seed: Option<u64>,
    /// The run's warm-up (the option's, else the scenario's), and how it ended once it did.
    pub warmup: (Option<WarmupLength>, Mutex<Option<WarmupEnd>>),
}

impl RunEnv {
    /// Sends a run-level event, built only when someone listens.
    pub fn emit(&self, event: impl FnOnce() -> RunEvent) {
        if let Some(sink) = &self.events {
            sink.event(&event());
        }
    }

    /// Sends a per-activity or per-sequence event, built only when the sink wants those.
    pub fn emit_detail(&self, event: impl FnOnce() -> RunEvent) {
        if self.detail_events {
            self.emit(event);
        }
    }
}

/// Runs a scenario (loaded from a file or built with [`ScenarioBuilder`](crate::scenario::ScenarioBuilder))
/// and returns what it measured; the library's entry point, also available as [`crate::run()`].
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use stressor::run::RunOptions;
/// use stressor::scenario::ScenarioBuilder;
///
/// let scenario = ScenarioBuilder::new("smoke")
///     .base_url("http://127.0.0.1:8080")
///     .sequence("main", |s| s.get("/").assert_status([200]))
///     .build()?;
/// let report = stressor::run(scenario, RunOptions::default()).await?;
/// println!("{} activities run, {} errors", report.activities.len(), report.error_count());
/// # Ok(()) }
/// ```
pub async fn run_scenario(scenario: impl Into<Arc<Scenario>>, options: RunOptions) -> Result<RunReport, RunError> {
    let scenario = scenario.into();
    let sources = scenario.sources.clone();
    run(scenario, sources, options).await
}

/// Runs a loaded scenario with the files it was loaded from (see [`run_scenario`]).
pub async fn run(scenario: Arc<Scenario>, sources: Arc<SourceMap>, options: RunOptions) -> Result<RunReport, RunError> {
    let missing = scenario
        .sequences
        .iter()
        .flat_map(|s| &s.activities)
        .find_map(|a| match &a.kind {
            ActivityKind::Plugin(p) if !options.activities.contains(&p.name) => Some(p.name.clone()),
            _ => None,
        });
    if let Some(name) = missing {
        return Err(RunError::UnknownActivity { name });
    }
    let tls = TlsConfigs::new(&scenario.config)?;
    let max_errors = options.max_errors.unwrap_or(scenario.config.max_errors);
    let max_time = options.max_time.or(scenario.config.max_time);
    let grace = options.grace.unwrap_or(DEFAULT_GRACE);
    let plan = Plan::new(scenario.clone(), sources.clone());
    let (shard, seed) = (options.shard.unwrap_or(Shard::WHOLE), seed::RunSeed::of(&scenario));
    // A dry run creates nothing, so it opens (and creates) no file to record it in.
    let records = match options.dry_run {
        true => Default::default(),
        false => crate::activity::record::Records::open(&scenario, |p| shard.record_path(p))?,
    };
    let seeds_data = seed::seeds_data(&scenario, &sources).then_some(seed.value);
    if seeds_data.is_some() && seed.drawn {
        tracing::info!(seed = seed.value, "test data drawn from a new seed");
    }
    let shared = Shared {
        sources,
        #[cfg(feature = "script")]
        scripts: ScriptEngine::new(Default::default()).seeded(seed.for_scripts(shard)),
        plugins: options.activities.clone(),
        feeds: crate::activity::feed::Feeds::new(&scenario.feeders, shard.rows(), seed.value),
        records,
    };
    let stopped_early = match options.start_at {
        Some(at) => control::wait_until(at, &options).await,
        None => None,
    };
    // The run's clock starts here, after any wait for a shared start.
    let recorder = Arc::new(RunRecorder::new(plan.timed(), plan.slots.len()));
    let warmup = options
        .warmup
        .or_else(|| scenario.thresholds.warmup.as_ref().map(|w| w.length))
        .filter(|w| *w != WarmupLength::Fixed(Duration::ZERO));
    match warmup {
        Some(WarmupLength::Fixed(length)) => recorder.set_warmup(length),
        Some(WarmupLength::Auto) => recorder.begin_warmup(),
        None => {}
    }
    if let Some(probe) = &options.probe {
        let _ = probe.0.set(recorder.clone());
    }
    let env = Arc::new(RunEnv {
        plan,
        control: RunControl::new(max_errors),
        tls,
        shared,
        seed: seeds_data,
        detail_events: options.events.as_ref().is_some_and(|e| e.wants_activity_events()),
        events: options.events.clone(),
        options,
        started: recorder.started(),
        recorder,
        errors: Mutex::new(Vec::new()),
        aborted: Mutex::new(None),
        warmup: (warmup, Mutex::new(None)),
    });
    if let Some(reason) = stopped_early {
        env.control.stop(reason);
    }
    let started_at = SystemTime::now();
    let probe = health::HealthProbe::start();

    // One driver per workload (a file without `workloads` has one): they share the run's clock, stop
    // state and recorder, and count their sessions and arrivals into the same totals.
    let mut live = Live {
        started_at,
        probe,
        arrivals: Arc::new(arrivals::ArrivalCounts::default()),
        staged: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        closed: 0,
        any_arrivals: false,
    };
    let (counts, staged_count) = (live.arrivals.clone(), live.staged.clone());
    // The drivers start after `RunStarted` is sent, which needs every workload's session count first.
    type Start = Box<dyn FnOnce() -> Vec<tokio::task::JoinHandle<()>> + Send>;
    let mut starts: Vec<Start> = Vec::new();
    let mut announced = 0usize;
    for (w, view) in scenario.workload_views().iter().enumerate() {
        // `--single` is a debugging run of one session: it keeps the closed model whatever `load` says.
        match view.load {
            LoadModel::ArrivalRate {
                stages,
                max_sessions,
                arrivals,
            } if !env.options.single => {
                let max = (*max_sessions).max(1).div_ceil(shard.total) as usize;
                announced += max;
                live.any_arrivals = true;
                if seed.drawn && *arrivals == (Arrivals::Poisson { seed: None }) {
                    tracing::info!(seed = seed.value, "Poisson arrivals drawn from a new seed");
                }
                let arrivals = seed.arrivals(*arrivals);
                let (env, stages, counts) = (env.clone(), stages.clone(), counts.clone());
                starts.push(Box::new(move || {
                    vec![tokio::spawn(arrivals::drive(env, w, stages, arrivals, max, counts))]
                }));
            }
            LoadModel::ClosedStages { stages } if !env.options.single => {
                // The most the stages ask for at once, in this shard.
                let most = stages.iter().map(|s| s.sessions).max().unwrap_or(0);
                announced += (0..most as usize).filter(|&i| shard.owns(i)).count();
                let (env, stages, created) = (env.clone(), stages.clone(), staged_count.clone());
                starts.push(Box::new(move || {
                    vec![tokio::spawn(stages::drive(env, w, stages, created))]
                }));
            }
            _ => {
                let total = if env.options.single {
                    1
                } else {
                    view.sessions.count.max(1) as usize
                };
                let count = (0..total).filter(|&i| shard.owns(i)).count();
                announced += count;
                live.closed += count as u64;
                let env = env.clone();
                starts.push(Box::new(move || start_closed(&env, w, total)));
            }
        }
    }
    env.emit(|| RunEvent::RunStarted {
        scenario: scenario.name.clone(),
        sessions: announced as u32,
    });
    let handles = starts.into_iter().flat_map(|start| start()).collect();

    coordinate(&env, handles, max_time, grace, &live).await;

    let sessions = live.sessions();
    let mut health = live.probe.finish();
    live.add_arrivals(&mut health);
    health.request_log_dropped = env.options.requests.as_ref().map_or(0, |log| log.dropped());
    let elapsed = env.started.elapsed();
    env.emit(|| RunEvent::RunFinished { elapsed });
    let mut report = build_report(&env, started_at, elapsed, sessions);
    report.health = health;
    Ok(report)
}

/// What the run counts outside the recorder while it goes: sessions started by each kind of driver,
/// arrivals, and the generator's health. Read at the end, and by checkpoints on the way.
struct Live {
    started_at: SystemTime,
    probe: health::HealthProbe,
    arrivals: Arc<arrivals::ArrivalCounts>,
    staged: Arc<std::sync::atomic::AtomicU64>,
    closed: u64,
    any_arrivals: bool,
}

impl Live {
    /// Sessions started so far, by every driver.
    fn sessions(&self) -> u32 {
        use std::sync::atomic::Ordering::Relaxed;
        let n = self.closed + self.arrivals.sessions.load(Relaxed) + self.staged.load(Relaxed);
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The open model's arrivals (due, dropped, the seeds drawn) into `health`.
    fn add_arrivals(&self, health: &mut GeneratorHealth) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.any_arrivals {
            health.set_arrivals(
                self.arrivals.scheduled.load(Relaxed),
                self.arrivals.dropped.load(Relaxed),
            );
            health.arrival_seeds = self
                .arrivals
                .seeds
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
        }
    }
}

/// The closed model for a workload: of `total` sessions, those of this shard (see [`shard`]), session
/// *i* started the workload's `start_after` plus *i* × `ramp_up_delay` after the run, each looping over
/// the workload's scenario.
fn start_closed(env: &Arc<RunEnv>, workload: usize, total: usize) -> Vec<tokio::task::JoinHandle<()>> {
    let view = env.plan.scenario.workload_view(workload);
    let users = &view.sessions.users;
    let mut handles = Vec::new();
    let mut offset = view.start_after;
    let shard = env.options.shard.unwrap_or(Shard::WHOLE);
    for i in 0..total {
        let start_after = offset;
        offset += match view.sessions.ramp_up_delay {
            Delay::Fixed(d) => d,
            Delay::Range(a, b) => crate::activity::random_between(a, b),
        };
        // Other shards run this session; the ramp-up offset still advances, so the shards' sessions
        // start when they would in one process.
        if !shard.owns(i) {
            continue;
        }
        let user = &users[i % users.len()];
        let session = Session::new(workload, i, user, env);
        let env2 = env.clone();
        handles.push(tokio::spawn(async move {
            if !start_after.is_zero() && !env2.control.interrupt(false).sleep(start_after).await {
                return;
            }
            session.run_scenario(env2).await;
        }));
    }
    handles
}

/// Waits for the sessions while watching signals, the time limit and stop requests.
async fn coordinate(
    env: &RunEnv,
    mut handles: Vec<tokio::task::JoinHandle<()>>,
    max_time: Option<Duration>,
    grace: Duration,
    live: &Live,
) {
    let all_done = async {
        for h in handles.iter_mut() {
            let _ = h.await;
        }
    };
    tokio::pin!(all_done);
    let deadline = max_time.map(|t| tokio::time::Instant::from_std(env.started + t));
    let mut grace_end: Option<tokio::time::Instant> = None;
    let mut stop_rx = env.options.stop.as_ref().map(StopHandle::subscribe);
    let mut signals = Signals::new(env.options.handle_signals);
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    let checkpoints = env.options.checkpoints.as_ref().filter(|c| !c.every.is_zero());
    let mut checkpoint_ticks = tokio::time::interval(checkpoints.map_or(Duration::from_secs(3600), |c| c.every));
    checkpoint_ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    checkpoint_ticks.tick().await;
    loop {
        tokio::select! {
            _ = &mut all_done => break,
            _ = checkpoint_ticks.tick(), if checkpoints.is_some() => {
                if let Some(c) = checkpoints {
                    (c.write)(live_report(env, live, true));
                }
            }
            _ = ticks.tick(), if env.events.is_some() || env.options.abort.is_some() || !env.options.observers.is_empty() || env.recorder.warming_up() => {
                env.emit(|| RunEvent::Tick {
                    elapsed: env.started.elapsed(),
                    activities: env.control.activities(),
                    errors: env.control.errors(),
                });
                check_warmup(env);
                if env.options.abort.is_some() || !env.options.observers.is_empty() {
                    let view = live_report(env, live, false);
                    check_abort(env, &view);
                    for observer in &env.options.observers {
                        observer.observe(&view);
                    }
                }
            }
            _ = sleep_until_opt(deadline), if !env.control.stopping() => {
                env.control.stop(StopReason::MaxTime);
                env.emit(|| RunEvent::Stopping { reason: StopReason::MaxTime, hard: false });
            }
            _ = env.control.stopped(), if grace_end.is_none() => {
                grace_end = Some(tokio::time::Instant::now() + grace);
            }
            _ = sleep_until_opt(grace_end), if !env.control.hard_stopped() => {
                let reason = env.control.reason().unwrap_or(StopReason::Requested);
                env.control.hard_stop(reason);
                env.emit(|| RunEvent::Stopping { reason, hard: true });
                break;
            }
            n = signals.next() => escalate(env, StopReason::Interrupted, n),
            n = next_stop(&mut stop_rx) => {
                let reason = env.options.stop.as_ref().map_or(StopReason::Requested, StopHandle::reason);
                escalate(env, reason, n);
            }
        }
    }
    if env.control.hard_stopped() {
        // Give in-flight work a moment to notice, then abort what is left; stats survive in the recorder.
        tokio::time::sleep(Duration::from_millis(50)).await;
        for h in &handles {
            h.abort();
        }
    }
}

/// Ends a `warmup: auto` once the run has settled (see [`warmup`]), or after [`warmup::AUTO_MAX`].
fn check_warmup(env: &RunEnv) {
    if !env.recorder.warming_up() {
        return;
    }
    let elapsed = env.started.elapsed();
    let end = if elapsed >= warmup::AUTO_MAX {
        WarmupEnd::Capped
    } else {
        let series = env
            .recorder
            .warmup_snapshot(false)
            .map(|s| s.series)
            .unwrap_or_default();
        if !warmup::settled(&series, elapsed.as_secs() as usize) {
            return;
        }
        WarmupEnd::Settled
    };
    env.recorder.end_warmup();
    *env.warmup.1.lock().unwrap_or_else(PoisonError::into_inner) = Some(end);
}

/// Runs the [`AbortCheck`] on the live report (not once a stop is under way) and stops the run when it
/// says so.
fn check_abort(env: &RunEnv, live: &RunReport) {
    let Some(check) = env.options.abort.as_ref().filter(|_| !env.control.stopping()) else {
        return;
    };
    if let Some(why) = check.check(live) {
        *env.aborted.lock().unwrap_or_else(PoisonError::into_inner) = Some(Aborted {
            threshold: why,
            at: live.elapsed,
        });
        env.control.stop(StopReason::Aborted);
        env.emit(|| RunEvent::Stopping {
            reason: StopReason::Aborted,
            hard: false,
        });
    }
}

/// The first stop request is graceful; the second stops at once.
fn escalate(env: &RunEnv, reason: StopReason, count: u32) {
    if count >= 2 {
        env.control.hard_stop(reason);
    } else {
        env.control.stop(reason);
    }
    env.emit(|| RunEvent::Stopping {
        reason,
        hard: env.control.hard_stopped(),
    });
}

async fn sleep_until_opt(t: Option<tokio::time::Instant>) {
    match t {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The next stop request on a [`StopHandle`]'s channel (never, without one): how many so far.
pub(crate) async fn next_stop(rx: &mut Option<tokio::sync::watch::Receiver<u8>>) -> u32 {
    match rx {
        Some(rx) => match rx.changed().await {
            Ok(()) => u32::from(*rx.borrow()),
            Err(_) => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// Ctrl-C and SIGTERM, counted (also what a coordinator listens to).
pub(crate) struct Signals {
    enabled: bool,
    count: u32,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Listens when `enabled`; otherwise [`Signals::next`] never returns.
    pub(crate) fn new(enabled: bool) -> Self {
        Signals {
            enabled,
            count: 0,
            #[cfg(unix)]
            term: if enabled {
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()
            } else {
                None
            },
        }
    }

    /// Waits for the next signal; returns how many came so far.
    pub(crate) async fn next(&mut self) -> u32 {
        if !self.enabled {
            return std::future::pending().await;
        }
        #[cfg(unix)]
        {
            let term = async {
                match &mut self.term {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        self.count += 1;
        self.count
    }
}

fn build_report(env: &RunEnv, started_at: SystemTime, elapsed: Duration, sessions: u32) -> RunReport {
    let mut report = report_shell(env, started_at, elapsed, sessions);
    // A warm-up that has not ended by now never will: nothing after it was judged.
    if env.recorder.warming_up() {
        env.recorder.end_warmup();
        *env.warmup.1.lock().unwrap_or_else(PoisonError::into_inner) = Some(WarmupEnd::RunEnded);
    }
    // The run is over: move the shards' histograms into the report instead of copying them.
    report.stats = env.recorder.finish();
    report.warmup = warmup_part(env, elapsed, true);
    report.elapsed = judged_time(env, elapsed);
    let mut errors = std::mem::take(&mut *env.errors.lock().unwrap_or_else(PoisonError::into_inner));
    errors.sort_by_key(|e| e.at);
    report.errors = errors;
    report.aborted = env.aborted.lock().unwrap_or_else(PoisonError::into_inner).clone();
    report
}

/// The run as it stands: a live snapshot of the stats, the errors so far, the generator's health so
/// far. A checkpoint (`whole`) gets the per-session measures and the errors by time, as the final
/// report has them; an [`AbortCheck`] neither (see there).
fn live_report(env: &RunEnv, live: &Live, whole: bool) -> RunReport {
    let mut report = report_shell(env, live.started_at, env.started.elapsed(), live.sessions());
    let mut errors = env.errors.lock().unwrap_or_else(PoisonError::into_inner).clone();
    if whole {
        report.stats = env.recorder.snapshot();
        errors.sort_by_key(|e| e.at);
    } else {
        report.stats = env.recorder.snapshot_without_sessions();
    }
    report.warmup = warmup_part(env, report.elapsed, false);
    report.elapsed = judged_time(env, report.elapsed);
    report.errors = errors;
    report.aborted = env.aborted.lock().unwrap_or_else(PoisonError::into_inner).clone();
    report.health = live.probe.measure();
    live.add_arrivals(&mut report.health);
    report.checkpoint = Some(Checkpoint {
        at: Some(SystemTime::now()),
    });
    report
}

/// The warm-up's part of the run so far (`elapsed` long), drained from the recorder at the end.
fn warmup_part(env: &RunEnv, elapsed: Duration, drain: bool) -> Option<WarmupPart> {
    let stats = env.recorder.warmup_snapshot(drain)?;
    let length = env.recorder.warmup_end().unwrap_or(elapsed).min(elapsed);
    let end = match *env.warmup.1.lock().unwrap_or_else(PoisonError::into_inner) {
        Some(end) => end,
        // Not over yet (a checkpoint taken during the warm-up): nothing was judged so far.
        None if env.recorder.warming_up() => WarmupEnd::RunEnded,
        None if env.recorder.warmup_end().is_some_and(|w| w > elapsed) => WarmupEnd::RunEnded,
        None => WarmupEnd::Fixed,
    };
    Some(WarmupPart { length, stats, end })
}

/// The judged part of `elapsed`: what follows the warm-up.
fn judged_time(env: &RunEnv, elapsed: Duration) -> Duration {
    if env.recorder.warming_up() {
        return Duration::ZERO;
    }
    elapsed.saturating_sub(env.recorder.warmup_end().unwrap_or_default())
}

/// The report of the run as it stands, without its stats and errors.
fn report_shell(env: &RunEnv, started_at: SystemTime, elapsed: Duration, sessions: u32) -> RunReport {
    RunReport {
        started_at: Some(started_at),
        elapsed,
        sessions,
        stop: env.control.reason(),
        dry_run: env.options.dry_run,
        feeders: env.shared.feeds.usage(),
        records: env.shared.records.usage(),
        seed: env.seed,
        ..env.plan.empty_report()
    }
}
