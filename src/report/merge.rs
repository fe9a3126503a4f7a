//! Combining the results files of several machines (or processes) that ran the same scenario
//! (`stressor merge a.json b.json ...`), then judging the whole once.
//!
//! - The files must come from the same scenario: the same activities (sequence, index, label) and the
//!   same sequences. Otherwise [`MergeError::Different`] names both files.
//! - Counts add up exactly and HDR histograms merge losslessly ([`Snapshot::merge`]). The per-second
//!   series are aligned by start time: a file that started 3 s after the earliest one adds into the
//!   merged series from second 3. The merged run starts at the earliest start and lasts until the last
//!   one ended, so `min_rps` is measured over the span all machines together covered.
//! - Errors are concatenated (their `at` shifted to the merged start) and ordered by time; sessions are
//!   summed; the run is a dry run if any part was; the stop reason is the most severe one of any part
//!   (`max_errors`, then `interrupted`, `requested`, `max_time`).
//! - The generator figures of every part are kept (`health.parts`, printed one line per part) and
//!   summed (CPU seconds, cores) or taken at their worst (CPU share, peak RSS, scheduler lag).
//! - A part that is an incomplete checkpoint (`complete: false`: its run had not finished, or was
//!   killed) is merged with the rest and warned about; the merged results are incomplete too, so
//!   their verdict is at best inconclusive.
//! - The merged run is judged once ([`Judgement::from_parts`]): the thresholds and trials of the first
//!   file over the merged data (a warning says so when the files carry different thresholds). The load
//!   generator counts as overloaded when any part's was.

use super::json::Results;
use crate::run::{RunReport, StopReason};
use crate::stats::{Measure, Snapshot};
use crate::verdict::{Judgement, Policy};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The merged results and what the user should know about them.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The merged run, judged again.
    pub judgement: Judgement,
    /// The combined results (a view of `judgement`), with the first file's `files`.
    pub results: Results,
    /// Things that did not stop the merge (different scenario names or thresholds).
    pub warnings: Vec<String>,
}

/// Why results could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No input.
    #[error("failed to merge: no results files given")]
    Empty,
    /// Two files come from different scenarios.
    #[error("failed to merge `{}` with `{}`: {why}", other.display(), first.display())]
    Different {
        /// The first file (the reference).
        first: PathBuf,
        /// The file that does not fit.
        other: PathBuf,
        /// What differs.
        why: String,
    },
}

/// Merges results read from files (`(path, results)`, the paths for messages); see the
/// [module documentation](self).
pub fn merge(inputs: &[(PathBuf, Results)]) -> Result<Merged, MergeError> {
    let Some((first_path, first)) = inputs.first() else {
        return Err(MergeError::Empty);
    };
    let parts: Vec<(PathBuf, RunReport)> = inputs.iter().map(|(p, r)| (p.clone(), r.to_report())).collect();
    let mut report = merge_reports(&parts)?;
    // The generator's figures per part, each named by its shard where the file says which it ran.
    let names = inputs.iter().map(|(path, r)| match &r.shard {
        Some(shard) => format!("shard {shard} ({})", path.display()),
        None => path.display().to_string(),
    });
    report.health.parts = crate::run::GeneratorHealth::merged(names.zip(parts.iter().map(|(_, r)| &r.health))).parts;
    let mut warnings = Vec::new();
    for (path, r) in inputs {
        if r.scenario != first.scenario {
            warnings.push(format!(
                "`{}` is scenario `{}`, `{}` is `{}`; they have the same activities, so they are merged",
                first_path.display(),
                first.scenario,
                path.display(),
                r.scenario
            ));
        }
        if r.thresholds != first.thresholds {
            warnings.push(format!(
                "`{}` carries other thresholds than `{}`; those of `{}` are used",
                path.display(),
                first_path.display(),
                first_path.display()
            ));
        }
    }
    warnings.extend(shard_warnings(inputs));
    warnings.extend(inputs.iter().filter_map(|(path, r)| r.incomplete_warning(path)));
    let judgement = Judgement::from_parts(
        report,
        first.thresholds.clone(),
        first.trials.clone(),
        Arc::new(first.sources()),
        Policy::default(),
    );
    let results = Results::of(&judgement);
    Ok(Merged {
        judgement,
        results,
        warnings,
    })
}

/// Merges the reports of the parts of one run (`(name, report)`, the names for messages), unjudged:
/// what [`merge`] judges, and what a coordinator merges live every second (`stressor coordinate`).
pub fn merge_reports(parts: &[(PathBuf, RunReport)]) -> Result<RunReport, MergeError> {
    let Some((first_path, first)) = parts.first() else {
        return Err(MergeError::Empty);
    };
    let origin = parts.iter().filter_map(|(_, r)| r.started_at).min();
    let offset_of = |start: Option<SystemTime>| match (start, origin) {
        (Some(s), Some(o)) => s.duration_since(o).unwrap_or_default(),
        _ => Duration::ZERO,
    };
    let mut stats = Snapshot {
        activities: vec![Measure::default(); first.stats.activities.len()],
        sequences: vec![Measure::default(); first.stats.sequences.len()],
        ..Snapshot::default()
    };
    let mut errors = Vec::new();
    let mut elapsed = Duration::ZERO;
    let mut sessions = 0u32;
    let mut dry_run = false;
    let mut stop: Option<StopReason> = None;
    for (path, r) in parts {
        let different = |why: String| MergeError::Different {
            first: first_path.clone(),
            other: path.clone(),
            why,
        };
        let offset = offset_of(r.started_at);
        stats
            .merge(&r.stats, offset.as_secs_f64().round() as usize)
            .map_err(|e| different(e.to_string()))?;
        if let Some(why) = difference(first_path, first, path, r) {
            return Err(different(why));
        }
        errors.extend(r.errors.iter().cloned().map(|mut e| {
            e.at += offset;
            e
        }));
        elapsed = elapsed.max(offset + r.elapsed);
        sessions = sessions.saturating_add(r.sessions);
        dry_run |= r.dry_run;
        stop = most_severe(stop, r.stop);
    }
    errors.sort_by_key(|e| e.at);
    Ok(RunReport {
        scenario: first.scenario.clone(),
        tag: first.tag.clone(),
        base_url: first.base_url.clone(),
        started_at: origin,
        elapsed,
        sessions,
        activities: first.activities.clone(),
        sequences: first.sequences.clone(),
        stats,
        errors,
        stop,
        dry_run,
        // Each part judged its own generator; a merged run is overloaded if any part was.
        health: crate::run::GeneratorHealth {
            overload: parts
                .iter()
                .flat_map(|(path, r)| {
                    r.health
                        .overload
                        .iter()
                        .map(move |o| format!("{}: {o}", path.display()))
                })
                .collect(),
            arrivals: parts.iter().filter_map(|(_, r)| r.health.arrivals).reduce(|a, b| a + b),
            dropped_arrivals: parts.iter().map(|(_, r)| r.health.dropped_arrivals).sum(),
            request_log_dropped: parts.iter().map(|(_, r)| r.health.request_log_dropped).sum(),
            // Each shard's (an unseeded shard draws its own), in input order.
            arrival_seeds: parts
                .iter()
                .flat_map(|(_, r)| r.health.arrival_seeds.iter().copied())
                .collect(),
            ..crate::run::GeneratorHealth::merged(parts.iter().map(|(path, r)| (path.display().to_string(), &r.health)))
        },
        feeders: merge_feeders(parts),
        // Every shard writes a file of its own: the list of all.
        records: parts.iter().flat_map(|(_, r)| r.records.iter().cloned()).collect(),
        // Shards of one run share their seed; the first part's stands for all.
        seed: parts.iter().find_map(|(_, r)| r.seed),
        // The earliest abort of any part.
        aborted: parts.iter().filter_map(|(_, r)| r.aborted.clone()).min_by_key(|a| a.at),
        // A merge with any part that had not finished is not the whole run either: the latest such
        // part's checkpoint time.
        checkpoint: parts
            .iter()
            .map(|(_, r)| r.checkpoint)
            .reduce(|a, b| match (a, b) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            })
            .flatten(),
        lost: parts.iter().flat_map(|(_, r)| r.lost.iter().cloned()).collect(),
        warmup: merge_warmups(parts, &offset_of),
    })
}

/// The feeders of all parts, by name: rows handed out and sessions ended add up.
fn merge_feeders(parts: &[(PathBuf, RunReport)]) -> Vec<crate::activity::feed::FeedUse> {
    let mut out: Vec<crate::activity::feed::FeedUse> = Vec::new();
    for feed in parts.iter().flat_map(|(_, r)| &r.feeders) {
        match out.iter_mut().find(|f| f.name == feed.name) {
            Some(mine) => {
                mine.taken += feed.taken;
                mine.sessions_ended += feed.sessions_ended;
            }
            None => out.push(feed.clone()),
        }
    }
    out
}

/// Shards of one run that are missing or given twice (only when the inputs say they are shards):
/// the merge is still made, since a partial result can be worth reading, but not silently.
fn shard_warnings(inputs: &[(PathBuf, Results)]) -> Vec<String> {
    let shards: Vec<(&PathBuf, crate::run::Shard)> = inputs
        .iter()
        .filter_map(|(p, r)| Some((p, crate::run::Shard::parse(r.shard.as_deref()?).ok()?)))
        .collect();
    let Some((_, first)) = shards.first() else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    if shards.len() < inputs.len() || shards.iter().any(|(_, s)| s.total != first.total) {
        warnings.push("the files are not shards of one run (some have no `--shard` or another shard count)".into());
        return warnings;
    }
    for index in 0..first.total {
        let files: Vec<String> = shards
            .iter()
            .filter(|(_, s)| s.index == index)
            .map(|(p, _)| format!("`{}`", p.display()))
            .collect();
        let shard = crate::run::Shard {
            index,
            total: first.total,
        };
        match files.len() {
            0 => warnings.push(format!("shard {shard} is missing: the merged load is partial")),
            1 => {}
            _ => warnings.push(format!("shard {shard} is given more than once: {}", files.join(", "))),
        }
    }
    warnings
}

/// The first activity or sequence that differs between two results of the same shape.
fn difference(first_path: &Path, first: &RunReport, path: &Path, r: &RunReport) -> Option<String> {
    let name = |p: &Path| p.display().to_string();
    if let Some((a, b)) = first.activities.iter().zip(&r.activities).find(|(a, b)| a != b) {
        return Some(format!(
            "activity `{}` in `{}` is `{}` in `{}`: they come from different scenarios",
            a.path(),
            name(first_path),
            b.path(),
            name(path)
        ));
    }
    if let Some((a, b)) = first.sequences.iter().zip(&r.sequences).find(|(a, b)| a != b) {
        return Some(format!(
            "sequence `{a}` in `{}` is `{b}` in `{}`: they come from different scenarios",
            name(first_path),
            name(path)
        ));
    }
    None
}

/// The parts' warm-ups merged as their stats are (aligned by start), lasting the longest of theirs;
/// `None` when no part had one.
fn merge_warmups(
    parts: &[(PathBuf, RunReport)],
    offset_of: &dyn Fn(Option<SystemTime>) -> Duration,
) -> Option<crate::run::WarmupPart> {
    let mut out: Option<crate::run::WarmupPart> = None;
    for (_, r) in parts {
        let Some(w) = &r.warmup else { continue };
        let offset = offset_of(r.started_at);
        let mine = out.get_or_insert_with(|| crate::run::WarmupPart {
            end: w.end,
            stats: Snapshot::new(w.stats.activities.len(), w.stats.sequences.len()),
            ..Default::default()
        });
        // Parts of one scenario have the same shape (checked for their stats before).
        let _ = mine.stats.merge(&w.stats, offset.as_secs_f64().round() as usize);
        mine.length = mine.length.max(w.length);
    }
    out
}

fn most_severe(a: Option<StopReason>, b: Option<StopReason>) -> Option<StopReason> {
    let rank = |r: &Option<StopReason>| match r {
        Some(StopReason::Aborted) => 5,
        Some(StopReason::MaxErrors) => 4,
        Some(StopReason::Interrupted) => 3,
        Some(StopReason::Requested) => 2,
        Some(StopReason::MaxTime) => 1,
        None => 0,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::ErrorClass;
    use crate::run::{ActivityInfo, ErrorRecord};
    use crate::scenario::{Limit, Metric, Span, Threshold, ThresholdSet};
    use crate::verdict::{Subject, SubjectThresholds, Verdict};

    /// Results of one machine: `n` executions of 10ms on `main/0`, `errors` of them failed, started at
    /// `start` and lasting 10 s, with an `error_rate: 1%` threshold and an `min_rps` of 15/s.
    fn part(start: &str, n: u64, errors: u64, label: &str) -> Results {
        let mut m = Measure::default();
        let mut stats = Snapshot::default();
        for i in 0..n {
            let class = (i < errors).then_some(ErrorClass::Status);
            m.record(Duration::from_millis(10), class, 0, 0);
        }
        stats.activities = vec![m.clone()];
        stats.sequences = vec![m.clone()];
        stats.total = m;
        stats.series = vec![crate::stats::Second {
            requests: n,
            ..Default::default()
        }];
        let report = RunReport {
            scenario: "s".into(),
            started_at: super::super::parse_rfc3339(start),
            elapsed: Duration::from_secs(10),
            sessions: 2,
            activities: vec![ActivityInfo {
                sequence: "main".into(),
                index: 0,
                label: label.into(),
                timed: true,
                tags: Vec::new(),
                workload: None,
            }],
            sequences: vec!["main".into()],
            stats,
            errors: (0..errors)
                .map(|i| ErrorRecord {
                    class: ErrorClass::Status,
                    message: format!("error {i}"),
                    response: None,
                    diff: None,
                    checks: Vec::new(),
                    session_id: "t01".into(),
                    activity: 0,
                    span: None,
                    pass: 1,
                    at: Duration::from_secs(1),
                    trace_id: None,
                })
                .collect(),
            ..RunReport::default()
        };
        let rule = |metric, limit| Threshold::new(metric, limit, Span::default());
        let thresholds = vec![SubjectThresholds {
            subject: Subject::Run,
            set: ThresholdSet {
                rules: vec![
                    rule(Metric::ErrorRate, Limit::Ratio(0.01)),
                    rule(Metric::MinRps, Limit::Rate(15.0)),
                ],
                ..ThresholdSet::default()
            },
        }];
        super::super::json::tests::judged(report, thresholds)
    }

    #[test]
    fn counts_add_up_series_align_and_thresholds_are_judged_once() {
        // b starts 2 s after a. Merged, 150 executions over the 12 s both together covered make
        // 12.5/s, below 15/s; the error rate (1 in 150) is within 1%.
        let a = part("2025-03-01T12:00:00.000Z", 100, 1, "GetRequest(/x)");
        let b = part("2025-03-01T12:00:02.000Z", 50, 0, "GetRequest(/x)");
        let merged = merge(&[("a.json".into(), a), ("b.json".into(), b)]).unwrap();
        let r = &merged.results;
        assert!(merged.warnings.is_empty(), "{:?}", merged.warnings);
        assert_eq!(r.stats.total.count, 150);
        assert_eq!(r.stats.activities[0].error_count(), 1);
        assert_eq!(r.sessions, 4);
        assert_eq!(r.elapsed, Duration::from_secs(12));
        assert_eq!(r.start.as_deref(), Some("2025-03-01T12:00:00.000Z"));
        let series: Vec<u64> = r.stats.series.iter().map(|s| s.requests).collect();
        assert_eq!(series, [100, 0, 50], "b's first second is the merged run's third");
        let messages: Vec<&str> = r.outcomes.iter().map(|o| o.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "error_rate of the run: 0.667% <= 1% (1 of 150 executions failed)",
                "min_rps of the run: 12.42/s < 15/s"
            ]
        );
        assert_eq!(r.verdict, Verdict::Failed);
        assert_eq!(r.total.count, 150, "the readable summaries are recomputed");
    }

    #[test]
    fn parts_of_different_scenarios_are_refused_with_both_names() {
        let a = part("2025-03-01T12:00:00Z", 10, 0, "GetRequest(/x)");
        let b = part("2025-03-01T12:00:00Z", 10, 0, "GetRequest(/y)");
        let err = merge(&[("a.json".into(), a.clone()), ("b.json".into(), b)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to merge `b.json` with `a.json`: activity `main/0 GetRequest(/x)` in `a.json` is \
             `main/0 GetRequest(/y)` in `b.json`: they come from different scenarios"
        );
        let mut c = a.clone();
        c.stats.activities.push(Measure::default());
        let err = merge(&[("a.json".into(), a), ("c.json".into(), c)]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("failed to merge `c.json` with `a.json`: the results have different shapes"),
            "{err}"
        );
        assert!(matches!(merge(&[]), Err(MergeError::Empty)));
    }

    #[test]
    fn an_inconclusive_part_makes_a_passing_merge_inconclusive() {
        let mut a = part("2025-03-01T12:00:00Z", 200, 0, "GetRequest(/x)");
        a.verdict = Verdict::Inconclusive;
        a.health.overload = vec!["the load generator used 97% of 2 core(s) (limit 90%)".into()];
        let b = part("2025-03-01T12:00:00Z", 200, 0, "GetRequest(/x)");
        let merged = merge(&[("a.json".into(), a), ("b.json".into(), b)]).unwrap();
        assert!(merged.results.outcomes.iter().all(|o| o.passed));
        assert_eq!(merged.results.verdict, Verdict::Inconclusive);
    }
}
