//! The coordinator's state, without any I/O: who registered, the shared start, each shard's part as
//! its reports built it, the decision to stop, and which shards were lost. The server's handlers and
//! the coordinator's clock both act on one [`Board`] behind a mutex; every method is quick.
//!
//! ```text
//!   register ──► Barrier ──(all N in)──► Running{start_at} ──(every shard delivered or lost)──► done
//!                   │ --wait-shards                │ reports: live parts, lost after silence
//!                   ▼                              ▼
//!              Cancelled(why)                 decision: Stop{aborted | requested}
//! ```

use super::protocol::{
    Action, ClockOffset, Delivery, LiveReport, PROTOCOL, Refusal, RefusalKind, Register, Registered, StartState,
    from_unix_ns,
};
use crate::report::json::Results;
use crate::run::{LostShard, RunReport, Shard, StopReason};
use crate::scenario::duration::format_duration;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// Where the run is.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Waiting for every shard to register.
    Barrier,
    /// The shards were given `start_at` (coordinator clock; `started` is the same instant on the
    /// coordinator's monotonic clock).
    Running {
        /// The shared start.
        start_at: SystemTime,
        /// The same instant, monotonic.
        started: Instant,
    },
    /// The barrier was given up, with the reason.
    Cancelled(String),
}

/// One shard's place.
#[derive(Debug, Default)]
struct Slot {
    /// Its clock against the coordinator's; `Some` once registered.
    clock: Option<ClockOffset>,
    /// Its part as the reports built it.
    live: Option<LivePart>,
    /// Its final results.
    results: Option<Results>,
    /// Why it was lost.
    lost: Option<LostShard>,
    /// When its last report arrived.
    last_seen: Option<Instant>,
}

#[derive(Debug)]
struct LivePart {
    /// The last report applied.
    seq: u64,
    /// Everything its reports carried, on its own clock.
    report: RunReport,
}

/// The coordinator's state (see the [module documentation](self)).
#[derive(Debug)]
pub struct Board {
    shards: u32,
    scenario: String,
    /// The scenario's report with nothing measured: what every shard's part starts from.
    template: RunReport,
    lost_after: Duration,
    phase: Phase,
    slots: Vec<Slot>,
    /// Why registrations were refused, for the message when the barrier is given up.
    refusals: Vec<String>,
    decision: Option<Action>,
}

impl Board {
    /// A board for `shards` shards of the scenario whose hash is `scenario`; `template` is its report
    /// with nothing measured; a shard silent for `lost_after` is lost.
    pub fn new(shards: u32, scenario: String, template: RunReport, lost_after: Duration) -> Board {
        Board {
            shards,
            scenario,
            template,
            lost_after,
            phase: Phase::Barrier,
            slots: (0..shards).map(|_| Slot::default()).collect(),
            refusals: Vec::new(),
            decision: None,
        }
    }

    /// The phase.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The scenario's report with nothing measured.
    pub fn template(&self) -> &RunReport {
        &self.template
    }

    fn name(&self, index: usize) -> String {
        Shard {
            index: index as u32,
            total: self.shards,
        }
        .to_string()
    }

    fn refuse(kind: RefusalKind, error: String) -> Refusal {
        Refusal { refusal: kind, error }
    }

    /// The slot of `K/N`, or why there is none.
    fn slot_of(&self, shard: &str) -> Result<usize, Refusal> {
        match Shard::parse(shard) {
            Ok(s) if s.total == self.shards => Ok(s.index as usize),
            _ => Err(Self::refuse(
                RefusalKind::Shard,
                format!(
                    "shard `{shard}` is not one of this run's {} shards: the shard count must be the same everywhere",
                    self.shards
                ),
            )),
        }
    }

    /// A shard joins (see [`Register`]).
    pub fn register(&mut self, r: &Register) -> Result<Registered, Refusal> {
        let index = self
            .slot_of(&r.shard)
            .inspect_err(|refusal| self.refusals.push(refusal.error.clone()))?;
        let version = env!("CARGO_PKG_VERSION");
        let refusal = if r.protocol != PROTOCOL || r.version != version {
            Some(Self::refuse(
                RefusalKind::Version,
                format!(
                    "shard {} runs stressor {} (protocol {}), the coordinator {version} (protocol {PROTOCOL}): use the same stressor everywhere",
                    r.shard, r.version, r.protocol
                ),
            ))
        } else if r.scenario != self.scenario {
            Some(Self::refuse(
                RefusalKind::Scenario,
                format!(
                    "shard {} loaded another scenario than the coordinator ({} vs {}): the scenario file, the files it loads and the -o options must be the same everywhere",
                    r.shard,
                    short(&r.scenario),
                    short(&self.scenario)
                ),
            ))
        } else if let Phase::Running { start_at, .. } = &self.phase {
            Some(Self::refuse(
                RefusalKind::Started,
                format!(
                    "the run started at {}; shard {} registered again after that (a restarted shard) and is refused, so that its load is never added twice",
                    crate::report::format_rfc3339(*start_at),
                    r.shard
                ),
            ))
        } else if let Phase::Cancelled(why) = &self.phase {
            Some(Self::refuse(RefusalKind::Phase, why.clone()))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if refusal.refusal != RefusalKind::Started {
                self.refusals.push(refusal.error.clone());
            }
            return Err(refusal);
        }
        // Before the start, a shard that registers again (its pod was replaced) takes its place anew.
        self.slots[index].clock = Some(r.clock);
        Ok(Registered {
            registered: self.slots.iter().filter(|s| s.clock.is_some()).count() as u32,
            shards: self.shards,
        })
    }

    /// The shards not registered yet (`K/N`).
    pub fn missing(&self) -> Vec<String> {
        (0..self.slots.len())
            .filter(|&i| self.slots[i].clock.is_none())
            .map(|i| self.name(i))
            .collect()
    }

    /// Why registrations were refused so far.
    pub fn refusals(&self) -> &[String] {
        &self.refusals
    }

    /// Gives every shard the start `start_at` (the same instant as `started` on the monotonic clock).
    pub fn start(&mut self, start_at: SystemTime, started: Instant) {
        self.phase = Phase::Running { start_at, started };
    }

    /// Gives up the barrier.
    pub fn cancel(&mut self, why: String) {
        self.phase = Phase::Cancelled(why);
    }

    /// What a shard asking for the start is told.
    pub fn start_state(&self) -> StartState {
        match &self.phase {
            Phase::Barrier => StartState::Waiting {
                missing: self.missing(),
            },
            Phase::Running { start_at, .. } => StartState::Start {
                start_at_ns: super::protocol::unix_ns(*start_at),
            },
            Phase::Cancelled(why) => StartState::Cancelled { error: why.clone() },
        }
    }

    /// A live report arrives (see [`LiveReport`]); the answer is the decision so far.
    pub fn report(&mut self, mut r: LiveReport, now: Instant) -> Result<Action, Refusal> {
        let index = self.slot_of(&r.shard)?;
        if !matches!(self.phase, Phase::Running { .. }) || self.slots[index].clock.is_none() {
            return Err(Self::refuse(
                RefusalKind::Phase,
                format!("shard {} reported before the run started", r.shard),
            ));
        }
        let template = &self.template;
        let slot = &mut self.slots[index];
        if let Some(lost) = &slot.lost {
            return Err(lost_refusal(lost, self.lost_after));
        }
        if slot.results.is_none() {
            let (stats, errors) = (std::mem::take(&mut r.stats), std::mem::take(&mut r.errors));
            match (r.base, &mut slot.live) {
                (Some(base), Some(live)) if base == live.seq => {
                    live.report.stats.apply(&stats).map_err(|e| invalid(&r.shard, e))?;
                    live.report.errors.extend(errors);
                    live.seq = r.seq;
                    update(&mut live.report, r);
                }
                (Some(_), _) => {
                    return Err(Self::refuse(
                        RefusalKind::Resync,
                        format!(
                            "report {} of shard {} does not continue the last one received: send everything",
                            r.seq, r.shard
                        ),
                    ));
                }
                (None, _) => {
                    let mut report = template.clone();
                    report.stats.apply(&stats).map_err(|e| invalid(&r.shard, e))?;
                    report.errors = errors;
                    let seq = r.seq;
                    update(&mut report, r);
                    slot.live = Some(LivePart { seq, report });
                }
            }
        }
        slot.last_seen = Some(now);
        Ok(self.decision.clone().unwrap_or(Action::Continue))
    }

    /// A shard's final results arrive.
    pub fn deliver(&mut self, d: Delivery, now: Instant) -> Result<(), Refusal> {
        let index = self.slot_of(&d.shard)?;
        if !matches!(self.phase, Phase::Running { .. }) || self.slots[index].clock.is_none() {
            return Err(Self::refuse(
                RefusalKind::Phase,
                format!("shard {} delivered results before the run started", d.shard),
            ));
        }
        let lost_after = self.lost_after;
        let slot = &mut self.slots[index];
        if let Some(lost) = &slot.lost {
            return Err(lost_refusal(lost, lost_after));
        }
        if slot.results.is_some() {
            return Err(Self::refuse(
                RefusalKind::Phase,
                format!("shard {} has delivered its results already", d.shard),
            ));
        }
        let expected = (self.template.activities.len(), self.template.sequences.len());
        if (d.results.activities.len(), d.results.sequences.len()) != expected {
            return Err(Self::refuse(
                RefusalKind::Invalid,
                format!(
                    "the results of shard {} are of another plan than the scenario's",
                    d.shard
                ),
            ));
        }
        slot.results = Some(d.results);
        slot.last_seen = Some(now);
        Ok(())
    }

    /// Decides that the run stops (the first decision is kept); shards hear it with their next report.
    pub fn stop(&mut self, reason: StopReason, why: String) {
        self.decision.get_or_insert(Action::Stop { reason, why });
    }

    /// The decision to stop, if there is one.
    pub fn decision(&self) -> Option<&Action> {
        self.decision.as_ref()
    }

    /// Declares lost every shard that has neither delivered nor reported for `lost_after` (from the
    /// start, for one that never reported); returns those newly lost.
    pub fn lose_silent(&mut self, now: Instant) -> Vec<LostShard> {
        let Phase::Running { started, .. } = self.phase else {
            return Vec::new();
        };
        let (lost_after, why) = (
            self.lost_after,
            format!("no report for {}", format_duration(self.lost_after)),
        );
        self.lose(&why, |slot| {
            let seen = slot.last_seen.unwrap_or(started).max(started);
            now.saturating_duration_since(seen) >= lost_after
        })
    }

    /// Declares lost every shard that has not delivered, with `why` (the coordinator stops waiting).
    pub fn lose_pending(&mut self, why: &str) -> Vec<LostShard> {
        self.lose(why, |_| true)
    }

    /// Declares lost, with `why`, every shard that has neither delivered nor been lost and that
    /// `silent` says is; returns those.
    fn lose(&mut self, why: &str, silent: impl Fn(&Slot) -> bool) -> Vec<LostShard> {
        let mut newly = Vec::new();
        for i in 0..self.slots.len() {
            let name = self.name(i);
            let slot = &mut self.slots[i];
            if slot.results.is_some() || slot.lost.is_some() || !silent(slot) {
                continue;
            }
            let lost = LostShard {
                shard: name,
                last_report: slot.live.as_ref().map_or(Duration::ZERO, |l| l.report.elapsed),
                why: why.to_string(),
            };
            slot.lost = Some(lost.clone());
            newly.push(lost);
        }
        newly
    }

    /// Whether every shard has delivered or is lost.
    pub fn done(&self) -> bool {
        self.slots.iter().all(|s| s.results.is_some() || s.lost.is_some())
    }

    /// Each registered shard's clock offset.
    pub fn clocks(&self) -> Vec<(String, ClockOffset)> {
        (0..self.slots.len())
            .filter_map(|i| Some((self.name(i), self.slots[i].clock?)))
            .collect()
    }

    /// Every shard's part as it stands, on the coordinator's clock (its final results once
    /// delivered), named `shard K/N`: what the coordinator merges live.
    pub fn live_parts(&self) -> Vec<(PathBuf, RunReport)> {
        (0..self.slots.len())
            .filter_map(|i| {
                let slot = &self.slots[i];
                let clock = slot.clock.unwrap_or_default();
                let mut report = match (&slot.results, &slot.live) {
                    (Some(results), _) => results.to_report(),
                    (None, Some(live)) => live.report.clone(),
                    (None, None) => return None,
                };
                report.started_at = report.started_at.map(|t| clock.to_coordinator(t));
                report.lost.extend(slot.lost.clone());
                Some((PathBuf::from(format!("shard {}", self.name(i))), report))
            })
            .collect()
    }

    /// Every shard's final part, on the coordinator's clock, named `shard K/N`: its results when it
    /// delivered them, else what its reports carried (judged by `judge`) marked lost. What the
    /// coordinator merges at the end, with the code of `stressor merge`.
    pub fn final_parts(&self, judge: &dyn Fn(RunReport) -> Results) -> Vec<(PathBuf, Results)> {
        (0..self.slots.len())
            .filter_map(|i| {
                let slot = &self.slots[i];
                let clock = slot.clock.unwrap_or_default();
                let mut results = match (&slot.results, &slot.live) {
                    (Some(results), _) => results.clone(),
                    (None, Some(live)) => {
                        let mut report = live.report.clone();
                        report.lost.extend(slot.lost.clone());
                        let mut results = judge(report);
                        results.shard = Some(self.name(i));
                        results
                    }
                    (None, None) => return None,
                };
                results.start = results
                    .start
                    .as_deref()
                    .and_then(crate::report::parse_rfc3339)
                    .map(|t| crate::report::format_rfc3339(clock.to_coordinator(t)));
                Some((PathBuf::from(format!("shard {}", self.name(i))), results))
            })
            .collect()
    }

    /// Shards lost, in shard order.
    pub fn lost(&self) -> Vec<LostShard> {
        self.slots.iter().filter_map(|s| s.lost.clone()).collect()
    }
}

/// Copies a live report's run-level fields into a shard's part.
fn update(report: &mut RunReport, r: LiveReport) {
    report.started_at = Some(from_unix_ns(r.started_ns));
    report.elapsed = r.elapsed;
    report.sessions = r.sessions;
    report.stop = r.stop;
    report.aborted = r.aborted;
    report.health = r.health;
    report.feeders = r.feeders;
}

fn invalid(shard: &str, e: crate::stats::ShapeError) -> Refusal {
    Refusal {
        refusal: RefusalKind::Invalid,
        error: format!("the report of shard {shard} does not fit the scenario: {e}"),
    }
}

fn lost_refusal(lost: &LostShard, lost_after: Duration) -> Refusal {
    Refusal {
        refusal: RefusalKind::Lost,
        error: format!(
            "shard {} was declared lost (no report for {}): nothing more of it is taken",
            lost.shard,
            format_duration(lost_after)
        ),
    }
}

/// `sha256:0123456789ab…`: enough of a hash to tell two apart in a message.
fn short(hash: &str) -> String {
    let cut: String = hash.chars().take(19).collect();
    if cut.len() < hash.len() {
        format!("{cut}…")
    } else {
        cut
    }
}
