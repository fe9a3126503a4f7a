//! The warm-up (`thresholds.warmup`): the first part of a run, measured apart and never judged.
//!
//! A run's first seconds measure its start-up as much as the service: connections being opened, a
//! pool filling, caches and JIT warming, a few errors while a dependency wakes up. On a short run they
//! decide the verdict by chance. With a warm-up, what finishes before its end goes into measures of its
//! own ([`RunRecorder`](crate::stats::RunRecorder)), so thresholds, comparisons, `stressor ab` and the
//! verdict see only what follows; the warm-up's numbers stay in the report (their own row in the
//! summary, `warmup` in the JSON results, a shaded band in the HTML report's plots).
//!
//! `warmup: 5s` ends 5 s after the start. `warmup: auto` ends at the end of the first whole second
//! `k ≥ 3` after which the last [`AUTO_WINDOW`] seconds have *settled*: each had at least
//! [`AUTO_MIN_REQUESTS`] finished executions and a median latency, and both the count and the median
//! vary by at most [`AUTO_SPREAD`] between them (largest / smallest − 1; medians within
//! [`AUTO_MEDIAN_FLOOR`] of each other agree anyway). That is the rolling rate and
//! p50 settling, read from the per-second series once a second. It ends after [`AUTO_MAX`] at the
//! latest, settled or not; a run that ends first has nothing judged ([`WarmupEnd::RunEnded`]) and
//! its verdict is inconclusive.

use crate::stats::Second;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Seconds that must agree for `warmup: auto` to end.
pub const AUTO_WINDOW: usize = 3;
/// How much the count and the median of those seconds may vary: 20 %.
pub const AUTO_SPREAD: f64 = 0.2;
/// Medians closer than this agree whatever their ratio: sub-millisecond medians move by more than
/// [`AUTO_SPREAD`] with the machine's noise alone (as `stressor compare`'s `--min-change`).
pub const AUTO_MEDIAN_FLOOR: Duration = Duration::from_millis(1);
/// Finished executions each of those seconds needs (fewer give no median to trust).
pub const AUTO_MIN_REQUESTS: u64 = 10;
/// The longest `warmup: auto` lasts.
pub const AUTO_MAX: Duration = Duration::from_secs(30);

/// A run's warm-up, as measured: what [`RunReport::warmup`](super::RunReport::warmup) holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WarmupPart {
    /// How long it lasted, from the run's start.
    pub length: Duration,
    /// What finished during it (its series counts seconds from the run's start).
    pub stats: crate::stats::Snapshot,
    /// How it ended.
    pub end: WarmupEnd,
}

/// How a warm-up ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmupEnd {
    /// After its fixed length.
    #[default]
    Fixed,
    /// `auto`: the rate and the median settled.
    Settled,
    /// `auto`: they had not settled after [`AUTO_MAX`].
    Capped,
    /// The run ended before the warm-up did: nothing was judged.
    RunEnded,
}

impl WarmupEnd {
    /// Why it ended, in words: `fixed`, `settled`, `not settled after 30s`, `the run ended first`.
    pub fn describe(self) -> String {
        match self {
            WarmupEnd::Fixed => "fixed".into(),
            WarmupEnd::Settled => "auto: rate and p50 settled".into(),
            WarmupEnd::Capped => format!(
                "auto: not settled after {}",
                crate::scenario::duration::format_duration(AUTO_MAX)
            ),
            WarmupEnd::RunEnded => "the run ended before the warm-up did".into(),
        }
    }
}

/// Whether the [`AUTO_WINDOW`] whole seconds before second `k` of a warm-up's series (one-second
/// entries, counted from the run's start) have settled (see the [module documentation](self)).
pub fn settled(series: &[Second], k: usize) -> bool {
    let Some(window) = k.checked_sub(AUTO_WINDOW).and_then(|from| series.get(from..k)) else {
        return false;
    };
    let mut counts = Vec::with_capacity(AUTO_WINDOW);
    let mut medians = Vec::with_capacity(AUTO_WINDOW);
    for s in window {
        let Some(median) = s.latency.percentile(50.0) else {
            return false;
        };
        if s.requests < AUTO_MIN_REQUESTS {
            return false;
        }
        counts.push(s.requests as f64);
        medians.push(median.as_secs_f64());
    }
    let spread = |v: &[f64], floor: f64| {
        let (lo, hi) = v.iter().fold((f64::MAX, 0f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        hi - lo <= floor || (lo > 0.0 && hi / lo - 1.0 <= AUTO_SPREAD)
    };
    spread(&counts, 0.0) && spread(&medians, AUTO_MEDIAN_FLOOR.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(requests: u64, median_micros: u64) -> Second {
        let mut s = Second {
            requests,
            ..Second::default()
        };
        for _ in 0..requests {
            s.latency.record(Duration::from_micros(median_micros));
        }
        s
    }

    #[test]
    fn settles_when_three_seconds_agree_on_rate_and_median() {
        let ms = |requests, median_ms: u64| second(requests, median_ms * 1000);
        // Start-up: few and slow, then steady.
        let series = [ms(3, 90), ms(40, 30), ms(80, 14), ms(85, 10), ms(90, 11), ms(88, 10)];
        let when: Vec<bool> = (0..=series.len()).map(|k| settled(&series, k)).collect();
        assert_eq!(when, [false, false, false, false, false, false, true]);
        // Sub-millisecond medians agree within the floor, whatever their ratio.
        assert!(settled(&[second(50, 200), second(50, 600), second(50, 300)], 3));
        assert!(!settled(&[ms(5, 10), ms(5, 10), ms(5, 10)], 3), "too few requests");
    }
}
