//! A/B measurement (`stressor ab`, `STRESSOR_AB_BASELINE_URL`): the baseline (A) and the candidate
//! (B) run at the same moments on the same machine, read in rounds, and judged by a paired test over
//! the rounds ([`crate::verdict::paired`]).
//!
//! # How A and B are paired
//!
//! ```text
//!   warm-up ─┬─ round 1 ─┬─ round 2 ─┬─ ... ─┬─ round N ─┐ stop (both)
//!   A: ░░░░░░│  A₁       │  A₂       │       │  A_N      │   each side: the scenario's own load,
//!   B: ░░░░░░│  B₁       │  B₂       │       │  B_N      │   its own sessions and recorder
//!            └ both sides' measures read at the same instant at every boundary
//! ```
//!
//! Both sides run the scenario at once in this process, each with the scenario's whole load and its
//! own sessions, against its own base URL. Once both warm-ups are over, both sides' measures are read
//! at the same instant every `round_time`; a round is the difference of two such readings
//! ([`Snapshot::since`](crate::stats::Snapshot::since)). So at every moment A and B are under load
//! together, and a round's A and B share the same seconds of the machine's noise (a CPU hog, another
//! job's build, a throttled core): it moves both and cancels in their ratio. That is the finest grain
//! pairing allows here: alternating A and B pass by pass within one session would mix the sides'
//! state (a login, cookies and stored values belong to one service), and ABBA rounds of separate runs
//! pair only neighbouring seconds, not the same ones.
//!
//! The price: the machine runs both services and twice the load at once, so the numbers of each side
//! are not what it would do alone; the *difference* is what is judged.

use crate::run::{RunError, RunOptions, RunProbe, RunReport, StopHandle};
use crate::scenario::{Scenario, SourceMap, WarmupLength};
use crate::stats::Snapshot;
use crate::verdict::baseline::Tolerance;
use crate::verdict::gate::ab_gate;
use crate::verdict::paired::Paired;
use crate::verdict::relative::compare_subjects;
use crate::verdict::trials::ab_trial_specs;
use crate::verdict::{Baseline, Judgement, Policy, Subject, collect};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// The default number of rounds: enough for a 99.5 % signed-rank interval with room to spare
/// (at least [`MIN_ROUNDS`](crate::verdict::paired::MIN_ROUNDS) are needed).
pub const DEFAULT_ROUNDS: usize = 20;
/// The default length of a round: long enough for a few hundred requests of a fast service per side,
/// short enough that a burst of noise spans few rounds.
pub const DEFAULT_ROUND_TIME: Duration = Duration::from_secs(1);
/// The default warm-up when the scenario has none: every run starts with connections to open.
pub const DEFAULT_WARMUP: Duration = Duration::from_secs(2);

/// How to run an A/B measurement.
#[derive(Clone, Debug)]
pub struct AbOptions {
    /// Rounds to measure.
    pub rounds: usize,
    /// How long each round lasts.
    pub round_time: Duration,
    /// The warm-up before the first round (the scenario's `thresholds.warmup` when `None`, else
    /// [`DEFAULT_WARMUP`]).
    pub warmup: Option<WarmupLength>,
    /// Options both sides run with (plugins, signals, an event sink); their `stop`, `probe`,
    /// `warmup` and `max_time` are the measurement's own.
    pub run: RunOptions,
}

impl Default for AbOptions {
    /// The default rounds and warm-up.
    fn default() -> Self {
        AbOptions {
            rounds: DEFAULT_ROUNDS,
            round_time: DEFAULT_ROUND_TIME,
            warmup: None,
            run: RunOptions::default(),
        }
    }
}

/// An A/B measurement: each side's run, and the rounds paired.
#[derive(Clone, Debug)]
pub struct AbRun {
    /// The baseline's run (its judged part: after its warm-up).
    pub a: RunReport,
    /// The candidate's run.
    pub b: RunReport,
    /// A over its run, and every round of both sides.
    pub paired: Paired,
    /// Rounds asked for.
    pub rounds_planned: usize,
    /// The length of a round asked for.
    pub round_time: Duration,
    /// Why fewer rounds than planned were measured, when they were.
    pub short: Option<String>,
}

/// One side of an A/B measurement: the scenario as loaded for it (its `base_url`, and any other
/// override of that side's), and the files it was loaded from.
#[derive(Clone, Debug)]
pub struct Side {
    /// The scenario, pointed at this side's service.
    pub scenario: Arc<Scenario>,
    /// Its files.
    pub sources: Arc<SourceMap>,
}

/// Why an A/B measurement could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AbError {
    /// A side's run could not start.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The two sides' scenarios do not have the same sequences and activities, so their rounds cannot
    /// be paired.
    #[error("the two sides' scenarios differ ({0}): A and B must run the same sequences and activities")]
    Different(String),
}

/// Runs the scenario against A and B at the same time and reads both in rounds (see the module
/// documentation). Each side's scenario was loaded for it (its `base_url`); both must have the same
/// sequences and activities. A's warm-up (its `thresholds.warmup`, unless `options.warmup`) is both's.
pub async fn run(a: Side, b: Side, options: AbOptions) -> Result<AbRun, AbError> {
    let plans = [&a, &b].map(|s| crate::verdict::trials::activities_of(&s.scenario));
    if plans[0] != plans[1] {
        let count = |s: &Side| s.scenario.sequences.iter().map(|q| q.activities.len()).sum::<usize>();
        return Err(AbError::Different(format!(
            "{} activities in A, {} in B",
            count(&a),
            count(&b)
        )));
    }
    let warmup = options
        .warmup
        .or_else(|| a.scenario.thresholds.warmup.as_ref().map(|w| w.length))
        .unwrap_or(WarmupLength::Fixed(DEFAULT_WARMUP));
    let probes = [RunProbe::new(), RunProbe::new()];
    let stops = [StopHandle::new(), StopHandle::new()];
    let start = |side: &Side, i: usize| {
        let options = RunOptions {
            warmup: Some(warmup),
            probe: Some(probes[i].clone()),
            stop: Some(stops[i].clone()),
            max_time: None,
            ..options.run.clone()
        };
        Some(tokio::spawn(crate::run::run(
            side.scenario.clone(),
            side.sources.clone(),
            options,
        )))
    };
    let mut tasks = [start(&a, 0), start(&b, 1)];
    let mut ended: [Option<Result<RunReport, RunError>>; 2] = [None, None];
    let mut short = None;

    // Both warm-ups first: a round starts only when both sides are judged.
    while !(probes[0].judging() && probes[1].judging()) {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(20)) => {}
            side = next_end(&mut tasks) => {
                ended[side.0] = Some(side.1);
                short = Some("a side's run ended before both warm-ups did".to_string());
                break;
            }
        }
    }
    let mut rounds: Vec<([Snapshot; 2], Duration)> = Vec::new();
    if short.is_none() {
        let read = || probes.each_ref().map(|p| p.measures().unwrap_or_default());
        let mut previous = (read(), Instant::now());
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + options.round_time, options.round_time);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while rounds.len() < options.rounds {
            tokio::select! {
                _ = ticks.tick() => {
                    let now = (read(), Instant::now());
                    let [a, b] = &now.0;
                    // Readings of one recorder only grow: a difference is always there.
                    let round = [
                        a.since(&previous.0[0]).unwrap_or_default(),
                        b.since(&previous.0[1]).unwrap_or_default(),
                    ];
                    rounds.push((round, now.1 - previous.1));
                    previous = now;
                }
                side = next_end(&mut tasks) => {
                    ended[side.0] = Some(side.1);
                    short = Some(format!(
                        "the scenario ended after {} of {} rounds: give its main part a `duration` longer than the warm-up and the rounds",
                        rounds.len(),
                        options.rounds
                    ));
                    break;
                }
            }
        }
    }
    for stop in &stops {
        stop.end();
    }
    let mut reports = Vec::with_capacity(2);
    for (task, done) in tasks.iter_mut().zip(&mut ended) {
        let report = match (done.take(), task.take()) {
            (Some(result), _) => result,
            (None, Some(task)) => task.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
            (None, None) => unreachable!("a side's task is either running or ended"),
        };
        reports.push(report?);
    }
    let b = reports.pop().unwrap_or_default();
    let a = reports.pop().unwrap_or_default();
    let round_report = |side: &RunReport, stats: Snapshot, elapsed: Duration| RunReport {
        stats,
        elapsed,
        warmup: None,
        errors: Vec::new(),
        ..side.clone()
    };
    let rounds = rounds
        .into_iter()
        .map(|([sa, sb], elapsed)| [round_report(&a, sa, elapsed), round_report(&b, sb, elapsed)])
        .collect();
    Ok(AbRun {
        paired: Paired {
            baseline: a.clone(),
            rounds,
        },
        a,
        b,
        rounds_planned: options.rounds,
        round_time: options.round_time,
        short,
    })
}

type Task = JoinHandle<Result<RunReport, RunError>>;

/// Waits for the first side whose run ends; (its index, its result). Never returns when neither runs.
async fn next_end(tasks: &mut [Option<Task>; 2]) -> (usize, Result<RunReport, RunError>) {
    let [a, b] = tasks;
    let (side, joined) = tokio::select! {
        r = join(a) => (0, r),
        r = join(b) => (1, r),
    };
    tasks[side] = None;
    (
        side,
        joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())),
    )
}

/// The side's result once it ends; pending for good when it already did.
async fn join(task: &mut Option<Task>) -> Result<Result<RunReport, RunError>, tokio::task::JoinError> {
    match task {
        Some(t) => t.await,
        None => std::future::pending().await,
    }
}

/// Judges an A/B measurement: the candidate's run against the baseline's, paired by rounds, on the
/// gate ([`crate::verdict::gate`]): one `vs_baseline` rule (and trial, `ab::<subject>::<metric>`) per
/// judged metric, and nothing else. `inconclusive_fails` decides the `run` trial of an inconclusive
/// measurement (as `STRESSOR_INCONCLUSIVE` does in the harness).
pub fn judge(
    scenario: &Scenario,
    sources: Arc<SourceMap>,
    ab: &AbRun,
    tolerance: Tolerance,
    inconclusive_fails: bool,
) -> Judgement {
    let thresholds = collect(scenario, &ab.b.activities);
    let gate = ab_gate(&thresholds, tolerance);
    let specs = ab_trial_specs(&gate);
    let baseline = Baseline::Paired(Arc::new(ab.paired.clone()));
    let policy = Policy {
        baseline: Some(Ok(baseline.clone())),
        relative_only: true,
        inconclusive_fails,
        ..Policy::default()
    };
    let subjects: Vec<Subject> = gate.iter().map(|g| g.subject.clone()).collect();
    let mut judgement = Judgement::from_parts(ab.b.clone(), gate, specs, sources, policy);
    // The table is the gate's subjects at the measurement's tolerance, not every activity.
    judgement.comparison = compare_subjects(&baseline, &ab.b, &subjects, tolerance);
    judgement
}
