//! Capacity search: the highest arrival rate at which a service holds an SLO, found by running the
//! scenario at one constant arrival rate per step and judging each step with the thresholds the SLO
//! names (`stressor search`).
//!
//! The rule, stated once:
//! - **Steps.** The rate starts at `start` and doubles while steps hold, up to `max`. After the first
//!   step that breaks the SLO, the rate is bisected (geometric mean) between the highest rate that held
//!   and the lowest that broke, until the two are within `resolution` of each other.
//! - **A step lasts** `step`, and at least as long as 100 arrivals take and [`MIN_JUDGED_RUN`]: fewer
//!   samples cannot give a p99, and a shorter run cannot judge the generator's health.
//! - **A step holds** when its verdict passes: every SLO threshold held and no error happened beyond an
//!   `error_rate` budget in the SLO.
//! - **Inconclusive.** A step on which the generator was the bottleneck (CPU, scheduler lag) or dropped
//!   arrivals (every session of the pool busy) cannot tell anything about the service. The search stops
//!   there and reports the highest rate that held as a lower bound, never as the capacity: reporting
//!   the generator's limit as the server's is the mistake this avoids.

use crate::run::{MIN_JUDGED_RUN, RunError, RunOptions, RunProbe, RunReport, StopHandle};
use crate::scenario::threshold::{ThresholdSet, Thresholds};
use crate::scenario::{Arrivals, LoadModel, LoadOptions, Scenario, SourceMap, Stage, WarmupLength, load_str};
use crate::verdict::judgement::Reason;
use crate::verdict::{Judgement, Policy, Verdict};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How to search.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// The first rate tried, per second.
    pub start: f64,
    /// The highest rate tried, per second.
    pub max: f64,
    /// How long a step lasts at least.
    pub step: Duration,
    /// The pool of sessions arrivals run on.
    pub max_sessions: u32,
    /// The search ends when the rate that broke is within this fraction above the rate that held.
    pub resolution: f64,
    /// Steps at most.
    pub max_steps: usize,
    /// Each step's warm-up (`--warmup`), instead of the scenario's `thresholds.warmup`: the start of
    /// a step that its SLO does not judge. The step lasts that much longer, so that what is judged
    /// still lasts `step`.
    pub warmup: Option<WarmupLength>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            start: 10.0,
            max: 100_000.0,
            step: Duration::from_secs(10),
            max_sessions: 1000,
            resolution: 0.1,
            max_steps: 20,
            warmup: None,
        }
    }
}

/// What one step showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// The SLO held.
    Held,
    /// The SLO broke.
    Broke,
    /// The generator was the bottleneck or dropped arrivals.
    Inconclusive,
}

/// One step of the search.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// The arrival rate asked for, per second.
    pub rate: f64,
    /// How long it ran, seconds.
    pub seconds: f64,
    /// Arrivals completed: passes of the scenario (of its most-run sequence).
    pub passes: u64,
    /// Passes completed per second.
    pub achieved: f64,
    /// What it showed.
    pub outcome: StepOutcome,
    /// The SLO's verdicts (`"p99 of the run: 212ms <= 300ms"`) and why it is inconclusive, if it is.
    pub messages: Vec<String>,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Capacity {
    /// The highest rate that held, with the lowest that broke within the resolution above it.
    Found {
        /// Per second.
        rate: f64,
        /// The lowest rate that broke.
        broke_at: f64,
    },
    /// Even the start rate broke the SLO.
    BelowStart {
        /// The start rate.
        rate: f64,
    },
    /// The SLO held up to the highest rate tried.
    AtLeast {
        /// The highest rate tried.
        rate: f64,
    },
    /// The generator could not drive a step; the highest rate that held (if any) is a lower bound.
    Inconclusive {
        /// The highest rate that held before.
        held: Option<f64>,
        /// The rate of the step that was inconclusive.
        at: f64,
    },
}

impl Capacity {
    /// The answer in one line: `capacity 91.7/s (held at 91.7/s, broke at 100/s)`.
    pub fn describe(&self) -> String {
        match self {
            Capacity::Found { rate, broke_at } => format!(
                "capacity {}/s (held at {}/s, broke at {}/s)",
                fmt_rate(*rate),
                fmt_rate(*rate),
                fmt_rate(*broke_at)
            ),
            Capacity::AtLeast { rate } => format!(
                "the SLO held up to the highest rate tried, {}/s (raise --max)",
                fmt_rate(*rate)
            ),
            Capacity::BelowStart { rate } => format!(
                "FAILED: the SLO broke already at the start rate, {}/s (lower --start)",
                fmt_rate(*rate)
            ),
            Capacity::Inconclusive { held, at } => format!(
                "INCONCLUSIVE: the load generator could not drive {}/s (see the step's reasons); {}",
                fmt_rate(*at),
                match held {
                    Some(h) => format!(
                        "the service held at {}/s, a lower bound, not its capacity",
                        fmt_rate(*h)
                    ),
                    None => "no rate held before".to_owned(),
                }
            ),
        }
    }
}

/// A rate as the search shows it: whole numbers from 100/s, else up to three decimals.
pub fn fmt_rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.3}").trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The name of a step's outcome.
pub fn outcome_name(o: StepOutcome) -> &'static str {
    match o {
        StepOutcome::Held => "held",
        StepOutcome::Broke => "broke",
        StepOutcome::Inconclusive => "inconclusive",
    }
}

/// A finished search.
#[derive(Clone, Debug, Serialize)]
pub struct SearchResult {
    /// The SLO as given.
    pub slo: String,
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// The answer.
    pub capacity: Capacity,
}

/// Parses an SLO such as `p99<300ms,error_rate<0.1%`: comma-separated `METRIC<LIMIT` terms, each a
/// threshold of the run as `thresholds:` would write it (`p99: 300ms`). Errors are the loader's,
/// rendered.
pub fn parse_slo(text: &str) -> Result<ThresholdSet, String> {
    let mut lines = String::new();
    for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let Some((metric, limit)) = term.split_once('<') else {
            return Err(format!(
                "`{term}` in the SLO is not METRIC<LIMIT; write it like `p99<300ms,error_rate<0.1%`"
            ));
        };
        let limit = limit.trim_start_matches('=');
        lines.push_str(&format!("  {}: {}\n", metric.trim(), limit.trim()));
    }
    if lines.is_empty() {
        return Err("the SLO is empty; write it like `p99<300ms,error_rate<0.1%`".into());
    }
    // The rules are read as the run's thresholds of a one-request file (a run-level budget needs an
    // exchange to measure).
    let text = format!(
        "file_version: stressor#0\nscenario: [{{sequence: s}}]\nsequences:\n  s: [{{activity: GetRequest, url: 'http://127.0.0.1/'}}]\nthresholds:\n{lines}"
    );
    let loaded = load_str(Path::new("<--slo>"), text, &LoadOptions::default());
    match loaded.scenario {
        Some(s) if !loaded.diagnostics.has_errors() => Ok(s.thresholds.run),
        _ => Err(loaded.render(false)),
    }
}

/// Runs the search; `on_step` sees each step as it ends.
pub async fn search(
    scenario: &Scenario,
    sources: Arc<SourceMap>,
    slo_text: &str,
    slo: &ThresholdSet,
    options: &SearchOptions,
    mut on_step: impl FnMut(&Step),
) -> Result<SearchResult, RunError> {
    let mut steps = Vec::new();
    let (mut held, mut broke): (Option<f64>, Option<f64>) = (None, None);
    let mut rate = options.start;
    let capacity = loop {
        if steps.len() >= options.max_steps {
            break match (held, broke) {
                (Some(rate), Some(broke_at)) => Capacity::Found { rate, broke_at },
                (Some(rate), None) => Capacity::AtLeast { rate },
                (None, _) => Capacity::BelowStart { rate: options.start },
            };
        }
        let step = run_step(scenario, &sources, slo, options, rate).await?;
        on_step(&step);
        let outcome = step.outcome;
        steps.push(step);
        match outcome {
            StepOutcome::Inconclusive => break Capacity::Inconclusive { held, at: rate },
            StepOutcome::Held => held = Some(rate),
            StepOutcome::Broke => broke = Some(rate),
        }
        rate = match (held, broke) {
            (_, None) if rate >= options.max => break Capacity::AtLeast { rate },
            (_, None) => (rate * 2.0).min(options.max),
            (None, Some(_)) => break Capacity::BelowStart { rate: options.start },
            (Some(h), Some(b)) if b <= h * (1.0 + options.resolution) => {
                break Capacity::Found { rate: h, broke_at: b };
            }
            (Some(h), Some(b)) => round((h * b).sqrt()),
        };
    };
    Ok(SearchResult {
        slo: slo_text.to_owned(),
        steps,
        capacity,
    })
}

/// Three significant digits: rates a reader can repeat.
fn round(rate: f64) -> f64 {
    let scale = 10f64.powi(2 - rate.log10().floor() as i32);
    (rate * scale).round() / scale
}

/// How long a step at `rate` lasts (see the module's rule).
pub fn step_duration(rate: f64, step: Duration) -> Duration {
    let for_samples = Duration::from_secs_f64(100.0 / rate.max(f64::MIN_POSITIVE)).min(Duration::from_secs(3600));
    step.max(for_samples).max(MIN_JUDGED_RUN)
}

async fn run_step(
    scenario: &Scenario,
    sources: &Arc<SourceMap>,
    slo: &ThresholdSet,
    options: &SearchOptions,
    rate: f64,
) -> Result<Step, RunError> {
    let duration = step_duration(rate, options.step);
    let warmup = options
        .warmup
        .or_else(|| scenario.thresholds.warmup.as_ref().map(|w| w.length))
        .filter(|w| *w != WarmupLength::Fixed(Duration::ZERO));
    // The load lasts the warm-up and then the judged step; `auto` ends when it settles, so its step
    // is stopped `duration` after that (below).
    let load_time = match warmup {
        None => duration,
        Some(WarmupLength::Fixed(w)) => w + duration,
        Some(WarmupLength::Auto) => crate::run::warmup::AUTO_MAX + duration,
    };
    let mut s = scenario.clone();
    let arrivals = match &scenario.load {
        LoadModel::ArrivalRate { arrivals, .. } => *arrivals,
        _ => Arrivals::Constant,
    };
    let step = [Stage {
        rate,
        duration: load_time,
    }];
    let step_load = |fraction| LoadModel::arrival_share(&step, options.max_sessions, arrivals, fraction);
    s.load = step_load(1.0);
    // With workloads, the rate is the total, shared out by weight as the file shares its own `load`;
    // workloads with a load of their own keep it (a steady background to the search).
    let weights: f64 = s.workloads.iter().filter_map(|w| w.weight).sum();
    for w in &mut s.workloads {
        if let Some(weight) = w.weight {
            w.load = step_load(weight / weights);
        }
    }
    // The SLO replaces the file's own thresholds for the search.
    s.thresholds = Thresholds {
        run: slo.clone(),
        ..Thresholds::default()
    };
    let (probe, stop) = (RunProbe::new(), StopHandle::new());
    let options = RunOptions {
        warmup: Some(warmup.unwrap_or(WarmupLength::Fixed(Duration::ZERO))),
        probe: Some(probe.clone()),
        stop: Some(stop.clone()),
        ..RunOptions::default()
    };
    // `auto`: judged for `duration` from whenever the warm-up settled.
    let stopper = (warmup == Some(WarmupLength::Auto)).then(|| {
        tokio::spawn(async move {
            while !probe.judging() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(duration).await;
            stop.stop();
        })
    });
    let report = crate::run::run(Arc::new(s.clone()), sources.clone(), options).await;
    if let Some(t) = stopper {
        t.abort();
    }
    let report = report?;
    Ok(judge_step(&s, sources, report, rate))
}

fn judge_step(scenario: &Scenario, sources: &Arc<SourceMap>, report: RunReport, rate: f64) -> Step {
    let judgement = Judgement::new(scenario, sources.clone(), report, Policy::default());
    let report = &judgement.report;
    let overload = &report.health.overload;
    let outcome = if !overload.is_empty() {
        StepOutcome::Inconclusive
    } else if judgement.verdict == Verdict::Pass {
        StepOutcome::Held
    } else {
        StepOutcome::Broke
    };
    let passes = report.stats.sequences.iter().map(|m| m.count).max().unwrap_or(0);
    let seconds = report.elapsed.as_secs_f64();
    let mut messages: Vec<String> = judgement.outcomes.iter().map(|o| o.message.clone()).collect();
    // Why the step broke when it was not a threshold: errors beyond the budget, nothing completed.
    if outcome == StepOutcome::Broke {
        messages.extend(
            judgement
                .reasons
                .iter()
                .filter(|r| !matches!(r, Reason::Thresholds { .. }))
                .map(ToString::to_string),
        );
    }
    // The search sizes the pool from `--max-sessions`, not from the file's `load.max_sessions`.
    messages.extend(
        overload
            .iter()
            .map(|o| o.replace(crate::run::RAISE_MAX_SESSIONS, "raise `--max-sessions`")),
    );
    Step {
        rate,
        seconds,
        passes,
        achieved: if seconds > 0.0 { passes as f64 / seconds } else { 0.0 },
        outcome,
        messages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_slo_reads_as_thresholds_and_a_bad_one_says_how_to_write_it() {
        let set = parse_slo("p99<300ms, error_rate<0.1%").expect("valid");
        assert_eq!(set.rules.len(), 2, "{set:?}");
        let err = parse_slo("p99 300ms").expect_err("no <");
        assert!(err.contains("METRIC<LIMIT"), "{err}");
        let err = parse_slo("p99<fast").expect_err("bad limit");
        assert!(err.contains("<--slo>"), "{err}");
    }

    #[test]
    fn a_step_lasts_long_enough_for_100_samples_and_the_health_check() {
        assert_eq!(step_duration(1000.0, Duration::from_secs(10)), Duration::from_secs(10));
        assert_eq!(step_duration(5.0, Duration::from_secs(10)), Duration::from_secs(20));
        assert_eq!(step_duration(1000.0, Duration::from_millis(100)), MIN_JUDGED_RUN);
    }

    #[test]
    fn rates_keep_three_digits() {
        assert_eq!(round(113.137), 113.0);
        assert_eq!(round(0.12345), 0.123);
        assert_eq!(round(4525.48), 4530.0);
    }
}
