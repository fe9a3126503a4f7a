//! JSON results (`stressor run --out results.json`): everything a run measured, with its HDR
//! histograms, so that results of several machines can be merged (`stressor merge`) and their
//! thresholds evaluated again over the whole.
//!
//! This documentation is the schema reference. The file is one JSON object, written atomically
//! (a temporary file in the same folder, flushed, renamed). Durations are objects
//! `{"secs": 1, "nanos": 500000000}`; latencies in the readable summaries are milliseconds (floats).
//!
//! # Schema `stressor-results/1`
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `schema` | string | always `"stressor-results/1"`; a reader refuses other values. Fields may be added within version 1; removing or changing one makes version 2 |
//! | `scenario` | string | the scenario name (`config.name` or the file stem) |
//! | `tag` | string \| null | `config.tag` |
//! | `base_url` | string \| null | the base URL the run used |
//! | `start` | string \| null | wall-clock start, RFC 3339 UTC with milliseconds (`2025-03-01T12:34:56.789Z`) |
//! | `elapsed` | duration | wall time of the run, less its warm-up (what `stats` cover) |
//! | `sessions` | integer | sessions started (summed by `merge`) |
//! | `dry_run` | bool | whether it was a dry run (`-n`) |
//! | `complete` | bool | `false` while the run is still going: `run --checkpoint` rewrites the file every few seconds with everything measured so far, so a process killed outright (SIGKILL, out of memory) leaves its measurements behind; the final write sets `true`. Readers warn about an incomplete file, and a verdict judged from one is never better than `inconclusive`. Absent from older files (read as `true`) |
//! | `checkpoint_at` | string | when an incomplete file was written, RFC 3339 UTC; absent when `complete` |
//! | `stop` | string \| null | why the run stopped early: `interrupted`, `max_errors`, `max_time`, `requested`; `null` when it ran to the end |
//! | `verdict` | string | `pass`, `failed`, `inconclusive` or `stopped` (cut short by Ctrl-C, SIGTERM or the monitor's Stop button; see [`crate::verdict`]) |
//! | `reasons` | list of strings | why the verdict is not `pass`, e.g. `"2 of 5 thresholds failed"`, `"nothing completed (10 stopped)"`, `"the load generator was the bottleneck"`; empty on a pass |
//! | `files` | list of strings | the scenario's source files; a span's `file` is an index into this list |
//! | `total` | [`Summary`] | every exchange with the service together (local activities such as Sleep, Feed and RunScript are left out) |
//! | `activities` | list of [`ActivityResult`] | per activity, in plan order; the index is the activity id used by `stats.activities`, `errors[].activity` and threshold subjects |
//! | `sequences` | list of [`SequenceResult`] | per sequence, in file order; the index is the position in `stats.sequences`. With `workloads`, one per workload's copy of a sequence, named `workload/sequence` (and each activity carries its `workload`) |
//! | `workloads` | list of [`WorkloadResult`] | per workload (`name`, `summary` of its exchanges together); absent in a file without `workloads` |
//! | `thresholds` | list of objects | the scenario's thresholds ([`SubjectThresholds`]): `{"subject": ..., "set": {"rules": [{"metric", "limit", "span"}], "min_samples", "span"}}`. A subject is `"run"`, `{"sequence": "main"}` or `{"activity": {"selector": "login", "ids": [1, 3]}}`; a metric `{"percentile": 95.0}`, `"mean"`, `"max"`, `"error_rate"`, `"errors"` or `"min_rps"`; a limit `{"duration": duration}`, `{"ratio": 0.005}`, `{"count": 3}` or `{"rate": 50.0}`; a span `{"file", "line", "col", "offset", "len"}` |
//! | `outcomes` | list of objects | one per threshold rule ([`ThresholdOutcome`]): `subject`, `metric`, `limit`, `measured` (`{"duration": ...}`, `{"ratio": ...}`, `{"count": ...}`, `{"rate": ...}` or `null` when the subject never ran), `samples` (successful executions for latency metrics), `executions` (completed executions), `stopped` (absent when 0), `min_samples`, `passed`, `message` (the one-line verdict, e.g. `"p95 of the run: 312ms > 300ms"`), `span` |
//! | `relative` | list of objects | one per `vs_baseline` rule: `subject`, `metric`, `allowed` (`{"relative": 0.1}` or `{"points": 0.001}`), `delta` (see `comparison`), `result` (`held`, `regressed`, `too_noisy`, `no_baseline`), `message`, `span`; absent when there is none |
//! | `comparison` | list of objects | with a baseline: per subject (`label`), per metric a `delta`: `metric`, `baseline`, `current` (seconds, a fraction, or per second), `worse_by` (the change in the bad direction, a fraction of the baseline or, for error rates, of 1), `interval` (its interval, see the manual's "Regression gates", docs/src/reference/regression-gates.md: two-sided at 99.5 % per run, widened for clustering), `call` (`regressed`, `improved`, `unchanged`, `too_noisy`); absent without a baseline |
//! | `trials` | list of objects | the file's trials as the cargo harness names them: `{"name": "main", "kind": {"sequence": "main"}}`; kinds `{"sequence": name}`, `{"checks": id}`, `{"threshold": index into outcomes}`, `"run"` |
//! | `errors` | list of objects | the first recorded errors ([`ErrorRecord`]), secrets redacted: `class` (`status`, `assertion`, `timeout`, `connect`, `script`, `variable`, `body_too_large`, `check_timeout`, `tls`), `message`, `response` (string \| null), `diff` (unified diff of expected vs. actual; absent when none), `checks` (the failed checks: `kind` (the scenario key, `assert_json`, ...), `expected`, `actual`, `message`, `diff`, `span`; absent when the activity failed before its checks ran), `session_id`, `activity` (id), `span` (where the activity is written), `pass` (1-based), `at` (duration since the start), `trace_id` (the W3C trace id the request carried, with `config.trace_context`; absent otherwise) |
//! | `records` | list of objects | per `Record` file this run wrote: `file` (its name, with the shard under `--shard`), `rows` (written), `skipped` (`Record`s not run because an earlier activity of their pass failed); absent without `Record` |
//! | `seed` | integer | the run's seed (`load.seed`, or the one drawn) when it seeded data: a generated feeder, a script's `random_*` functions; absent otherwise |
//! | `lost` | list of objects | shards of a coordinated run (`stressor coordinate`) that stopped reporting before they finished: `shard` (`K/N`), `last_report` (duration since the start of the last report received), `why`; their part of the results is what they had sent. Makes the verdict at best `inconclusive`. Absent when none was lost |
//! | `feeders` | list of objects | per feeder: `name`, `order`, `rows` (in the file), `taken` (rows handed out), `sessions_ended` (sessions that found a `unique` feeder used up); absent without feeders |
//! | `warmup` | object | with `thresholds.warmup`: `length` (duration from the start), `end` (`fixed`, `settled` and `capped` for `auto`, `run_ended` when the run ended first), `total` ([`Summary`]) and `stats` (as below, its series from the run's start): what the warm-up measured, never judged; everything else in the file is what followed it. Absent without a warm-up |
//! | `stats` | object | everything measured ([`Snapshot`]), mergeable: `activities` and `sequences` ([`Measure`] per id / position), `sub_requests` (StaticRequests URLs: `activity`, `label`, `measure`), `sessions` (`id`, `user`, `measure`), `total`, `series` (per second from the start: `requests`, `errors`, `latency`, and `sessions`, the most sessions alive during it, absent when 0) |
//!
//! A `Measure` is `{"count", "errors": {"status": 3, ...} (non-zero classes only), "stopped" (absent
//! when 0), "bytes_sent", "bytes_received", "latency", "failed_latency" (absent when nothing failed)}`:
//! `count` is completed executions, `latency` holds the successful ones and `failed_latency` the failed
//! ones, each an HDR histogram of microseconds (1 µs to 1 h), encoded as base64 of HdrHistogram's
//! compressed V2 format, readable by other HdrHistogram implementations.
//!
//! The readable parts (`total`, `activities[].summary`, `sequences[].summary`) are computed from `stats`
//! when the file is written, for tools like `jq` that cannot decode histograms; readers that merge or
//! evaluate use `stats` only. A [`Summary`] is `count`, `errors` (all classes), `stopped`, `error_rate`
//! (errors / count), `rate` (count per second of `elapsed`), and `min_ms`, `mean_ms`, `p50_ms`,
//! `p90_ms`, `p95_ms`, `p99_ms`, `p99_9_ms`, `max_ms` (of the successful executions; null when none
//! succeeded), and `failed_p50_ms`, `failed_p95_ms` (of the failed ones; null when none failed). For a sequence, `count`
//! and latencies are its passes, `errors` its activities' errors.

use super::{ReportError, format_rfc3339, parse_rfc3339};
use crate::run::GeneratorHealth;
use crate::run::{ActivityInfo, ErrorRecord, RunReport, StopReason};
use crate::stats::{Measure, Snapshot};
use crate::verdict::{Judgement, SubjectThresholds, ThresholdOutcome, TrialSpec, Verdict};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// The schema this version writes and reads.
pub const SCHEMA: &str = "stressor-results/1";

/// The contents of a results file (see the [module documentation](self) for every field).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`SCHEMA`].
    pub schema: String,
    /// Scenario name.
    pub scenario: String,
    /// `config.tag`.
    pub tag: Option<String>,
    /// The base URL.
    pub base_url: Option<String>,
    /// Wall-clock start, RFC 3339 UTC.
    pub start: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
    /// Sessions started.
    pub sessions: u32,
    /// Dry run.
    pub dry_run: bool,
    /// False for a checkpoint of a run that had not finished (see the module documentation). Absent
    /// from older files, which were only written at the end.
    #[serde(default = "finished")]
    pub complete: bool,
    /// When a checkpoint was written. Absent when `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_at: Option<String>,
    /// `K/N` when this process ran one shard of the load (`--shard`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Why the run stopped early.
    pub stop: Option<StopReason>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the verdict is not `pass`, one sentence each (empty when it is). Absent from older files.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Source files spans point into (index = `FileId`).
    #[serde(default)]
    pub files: Vec<String>,
    /// All exchanges with the service, readable.
    pub total: Summary,
    /// Per activity.
    pub activities: Vec<ActivityResult>,
    /// Per sequence.
    pub sequences: Vec<SequenceResult>,
    /// Per workload. Absent in a file without `workloads`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<WorkloadResult>,
    /// The scenario's thresholds.
    pub thresholds: Vec<SubjectThresholds>,
    /// One outcome per threshold rule.
    pub outcomes: Vec<ThresholdOutcome>,
    /// One outcome per `vs_baseline` rule. Absent when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relative: Vec<crate::verdict::relative::RelativeOutcome>,
    /// The run, its sequences and activities compared with the baseline. Absent without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparison: Vec<crate::verdict::relative::SubjectComparison>,
    /// The scenario's trials (name and what each checks), so `merge` judges the same ones. Absent from
    /// older files.
    #[serde(default)]
    pub trials: Vec<TrialSpec>,
    /// The first errors.
    pub errors: Vec<ErrorRecord>,
    /// Everything measured, mergeable.
    pub stats: Snapshot,
    /// The load generator's own CPU share, peak RSS and scheduler lag, and why it counted as
    /// overloaded (which makes the verdict `inconclusive`).
    #[serde(default)]
    pub health: GeneratorHealth,
    /// The `abort_on_fail` threshold that stopped the run, and when (`threshold`, `at`). Absent when
    /// none did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<crate::run::Aborted>,
    /// What each feeder handed out. Absent when the scenario has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feeders: Vec<crate::activity::feed::FeedUse>,
    /// What each `Record` file got. Absent when the scenario has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<crate::activity::record::RecordUse>,
    /// The run's seed, when it seeded data (generated feeders, scripts' random functions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Shards of a coordinated run that stopped reporting before they finished (`shard`,
    /// `last_report`, `why`): their part is what they had sent. Absent when none was lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<crate::run::LostShard>,
    /// The warm-up, measured apart and never judged. Absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<WarmupResult>,
}

/// The warm-up of a run (`thresholds.warmup`): `stats`, `total` and `elapsed` of the results are what
/// followed it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WarmupResult {
    /// How long it lasted, from the run's start.
    pub length: Duration,
    /// How it ended: `fixed`, `settled` (auto), `capped` (auto, not settled in time), `run_ended`.
    pub end: crate::run::WarmupEnd,
    /// Its timed activities together, readable (rates per second of the warm-up).
    pub total: Summary,
    /// What it measured, mergeable (its series counts seconds from the run's start).
    pub stats: Snapshot,
}

/// Results files written before checkpoints existed were written at the end of their run.
fn finished() -> bool {
    true
}

/// One activity: who it is and a readable summary of its measure.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityResult {
    /// Sequence, index and label.
    #[serde(flatten)]
    pub info: ActivityInfo,
    /// Computed from `stats.activities[id]`.
    pub summary: Summary,
}

/// One sequence: its name and a readable summary of its passes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SequenceResult {
    /// The sequence name.
    pub name: String,
    /// Passes (count, pass time) and its activities' errors.
    pub summary: Summary,
}

/// One workload: its name and a readable summary of its exchanges together.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
    /// The workload's name.
    pub name: String,
    /// Its exchanges together, as `total` is for the run.
    pub summary: Summary,
}

/// Readable numbers of a measure; latencies in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Executions (passes for a sequence).
    pub count: u64,
    /// Errors of all classes.
    pub errors: u64,
    /// Executions cut short by a stop (not in `count`).
    #[serde(default)]
    pub stopped: u64,
    /// `errors / count` (0 when nothing ran).
    pub error_rate: f64,
    /// `count` per second of the run.
    pub rate: f64,
    /// Fastest.
    pub min_ms: Option<f64>,
    /// Mean.
    pub mean_ms: Option<f64>,
    /// Median.
    pub p50_ms: Option<f64>,
    /// 90th percentile.
    pub p90_ms: Option<f64>,
    /// 95th percentile.
    pub p95_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// 99.9th percentile.
    pub p99_9_ms: Option<f64>,
    /// Slowest.
    pub max_ms: Option<f64>,
    /// Median of the failed executions (null when none failed).
    #[serde(default)]
    pub failed_p50_ms: Option<f64>,
    /// 95th percentile of the failed executions.
    #[serde(default)]
    pub failed_p95_ms: Option<f64>,
}

impl Summary {
    /// Summarizes a measure; `errors` is passed separately because a sequence's errors are those of its
    /// activities.
    pub fn of(m: &Measure, errors: u64, elapsed: Duration) -> Summary {
        // Histogram values are whole microseconds; rounding keeps float noise out of the file.
        let ms = |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 1e6).round() / 1e3);
        let l = &m.latency;
        let failed = |p| m.failed_latency.as_ref().and_then(|f| ms(f.percentile(p)));
        Summary {
            count: m.count,
            errors,
            stopped: m.stopped,
            error_rate: if m.count == 0 {
                0.0
            } else {
                errors as f64 / m.count as f64
            },
            rate: m.rate(elapsed),
            min_ms: ms(l.min()),
            mean_ms: ms(l.mean()),
            p50_ms: ms(l.percentile(50.0)),
            p90_ms: ms(l.percentile(90.0)),
            p95_ms: ms(l.percentile(95.0)),
            p99_ms: ms(l.percentile(99.0)),
            p99_9_ms: ms(l.percentile(99.9)),
            max_ms: ms(l.max()),
            failed_p50_ms: failed(50.0),
            failed_p95_ms: failed(95.0),
        }
    }
}

impl Results {
    /// The results of a judged run. `files` are the scenario's source files (so spans can be resolved).
    pub fn of(judgement: &Judgement) -> Results {
        let mut results = Results::without_stats(judgement);
        results.stats = judgement.report.stats.clone();
        results
    }

    /// Like [`Results::of`], but takes the judgement and moves its measures instead of copying them:
    /// for a checkpoint, whose judgement is thrown away once written. Copying them cost a histogram per
    /// session on every checkpoint, which showed at thousands of sessions (`bench/README.md`).
    pub fn from_judgement(mut judgement: Judgement) -> Results {
        let mut results = Results::without_stats(&judgement);
        results.stats = std::mem::replace(&mut judgement.report.stats, Snapshot::new(0, 0));
        results
    }

    /// Everything but `stats` (left empty).
    fn without_stats(judgement: &Judgement) -> Results {
        let report = &judgement.report;
        let elapsed = report.elapsed;
        let activities = report
            .activities
            .iter()
            .zip(&report.stats.activities)
            .map(|(info, m)| ActivityResult {
                info: info.clone(),
                summary: Summary::of(m, m.error_count(), elapsed),
            })
            .collect();
        let sequences = report
            .sequences
            .iter()
            .map(|name| SequenceResult {
                name: name.clone(),
                summary: report
                    .sequence(name)
                    .map(|(m, errors)| Summary::of(&m, errors, elapsed))
                    .unwrap_or_default(),
            })
            .collect();
        let workloads = report
            .workloads()
            .into_iter()
            .filter_map(|part| {
                let total = report.total_of(&part.activities);
                Some(WorkloadResult {
                    name: part.name?.to_string(),
                    summary: Summary::of(&total, total.error_count(), elapsed),
                })
            })
            .collect();
        let total = &report.stats.total;
        Results {
            schema: SCHEMA.to_string(),
            scenario: report.scenario.clone(),
            tag: report.tag.clone(),
            base_url: report.base_url.clone(),
            start: report.started_at.map(format_rfc3339),
            elapsed,
            sessions: report.sessions,
            dry_run: report.dry_run,
            complete: report.checkpoint.is_none(),
            checkpoint_at: report.checkpoint.and_then(|c| c.at).map(format_rfc3339),
            shard: None,
            stop: report.stop,
            verdict: judgement.verdict,
            reasons: judgement.reasons.iter().map(ToString::to_string).collect(),
            files: source_files(&judgement.sources),
            total: Summary::of(total, total.error_count(), elapsed),
            activities,
            sequences,
            workloads,
            thresholds: judgement.thresholds.clone(),
            outcomes: judgement.outcomes.clone(),
            relative: judgement.relative.clone(),
            comparison: judgement.comparison.clone(),
            trials: judgement.trials.iter().map(|t| t.spec.clone()).collect(),
            errors: report.errors.clone(),
            stats: Snapshot::new(0, 0),
            health: report.health.clone(),
            feeders: report.feeders.clone(),
            records: report.records.clone(),
            seed: report.seed,
            aborted: report.aborted.clone(),
            warmup: report.warmup.as_ref().map(|w| WarmupResult {
                length: w.length,
                end: w.end,
                total: Summary::of(&w.stats.total, w.stats.total.error_count(), w.length),
                stats: w.stats.clone(),
            }),
            lost: report.lost.clone(),
        }
    }

    /// The run report these results describe (for the summary and for evaluating thresholds again).
    pub fn to_report(&self) -> RunReport {
        RunReport {
            scenario: self.scenario.clone(),
            tag: self.tag.clone(),
            base_url: self.base_url.clone(),
            started_at: self.start.as_deref().and_then(parse_rfc3339),
            elapsed: self.elapsed,
            sessions: self.sessions,
            activities: self.activities.iter().map(|a| a.info.clone()).collect(),
            sequences: self.sequences.iter().map(|s| s.name.clone()).collect(),
            stats: self.stats.clone(),
            errors: self.errors.clone(),
            stop: self.stop,
            dry_run: self.dry_run,
            health: self.health.clone(),
            feeders: self.feeders.clone(),
            records: self.records.clone(),
            seed: self.seed,
            aborted: self.aborted.clone(),
            checkpoint: self.checkpoint(),
            warmup: self.warmup.as_ref().map(|w| crate::run::WarmupPart {
                length: w.length,
                stats: w.stats.clone(),
                end: w.end,
            }),
            lost: self.lost.clone(),
        }
    }

    /// `Some` for a checkpoint of a run that had not finished (`complete: false`).
    pub fn checkpoint(&self) -> Option<crate::run::Checkpoint> {
        (!self.complete).then(|| crate::run::Checkpoint {
            at: self.checkpoint_at.as_deref().and_then(parse_rfc3339),
        })
    }

    /// The warning readers print for a checkpoint (`complete: false`), naming the file: the run had
    /// not finished when it was written.
    pub fn incomplete_warning(&self, path: &Path) -> Option<String> {
        (!self.complete).then(|| {
            format!(
                "`{}` is an incomplete checkpoint{} (the run had not finished, or was killed): its verdict is at best inconclusive",
                path.display(),
                self.checkpoint_at
                    .as_deref()
                    .map(|at| format!(" written at {at}"))
                    .unwrap_or_default()
            )
        })
    }

    /// The scenario's files as far as they can still be read (for showing failed checks at their
    /// lines): the paths in `files`, with their text when the file is still there.
    pub fn sources(&self) -> crate::scenario::SourceMap {
        let mut map = crate::scenario::SourceMap::default();
        for path in &self.files {
            map.add(path, std::fs::read_to_string(path).unwrap_or_default());
        }
        map
    }

    /// What does not fit together (lists of different lengths, ids out of range), if anything.
    fn inconsistency(&self) -> Option<String> {
        let (acts, seqs) = (self.activities.len(), self.sequences.len());
        if self.stats.activities.len() != acts {
            return Some(format!(
                "{acts} activities but {} activity measures",
                self.stats.activities.len()
            ));
        }
        if self.stats.sequences.len() != seqs {
            return Some(format!(
                "{seqs} sequences but {} sequence measures",
                self.stats.sequences.len()
            ));
        }
        if let Some(e) = self.errors.iter().find(|e| e.activity >= acts) {
            return Some(format!("an error names activity {} of {acts}", e.activity));
        }
        if let Some(s) = self.stats.sub_requests.iter().find(|s| s.activity >= acts) {
            return Some(format!("a sub-request names activity {} of {acts}", s.activity));
        }
        None
    }
}

/// The scenario's files, by `FileId`, as results files list them.
fn source_files(sources: &crate::scenario::SourceMap) -> Vec<String> {
    (0..)
        .map_while(|i| sources.get(crate::scenario::FileId(i)))
        .map(|f| f.path.display().to_string())
        .collect()
}

/// Writes results to `path` atomically (pretty-printed JSON).
pub fn write(path: &Path, results: &Results) -> Result<(), ReportError> {
    let mut bytes = serde_json::to_vec_pretty(results).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    bytes.push(b'\n');
    super::write_atomically(path, &bytes)
}

/// Reads a results file; a file of another schema version, or whose parts do not fit together, is an
/// error naming the file.
pub fn read(path: &Path) -> Result<Results, ReportError> {
    let text = std::fs::read(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_slice(&text, path)
}

/// Results from JSON text that did not come from a file (a shard's delivery to its coordinator, a
/// line of a log), checked as [`read`] checks a file; `origin` names where it came from in errors.
pub fn from_slice(text: &[u8], origin: &Path) -> Result<Results, ReportError> {
    let path = origin;
    let json_err = |source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    };
    let value: serde_json::Value = serde_json::from_slice(text).map_err(json_err)?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(SCHEMA) => {}
        found => {
            return Err(ReportError::Schema {
                path: path.to_path_buf(),
                found: found.map(str::to_string),
            });
        }
    }
    // Parsed again from the text (not from `value`) so errors keep their line and column.
    let results: Results = serde_json::from_slice(text).map_err(json_err)?;
    match results.inconsistency() {
        Some(why) => Err(ReportError::Inconsistent {
            path: path.to_path_buf(),
            why,
        }),
        None => Ok(results),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::activity::ErrorClass;
    use crate::scenario::{Limit, Metric, Span, Threshold, ThresholdSet};
    use crate::verdict::{Judgement, Policy, Subject};
    use std::time::UNIX_EPOCH;

    fn results() -> Results {
        let mut m = Measure::default();
        m.record(Duration::from_millis(20), None, 10, 200);
        m.record(Duration::from_millis(40), Some(ErrorClass::Timeout), 10, 0);
        let report = RunReport {
            scenario: "shop".into(),
            tag: Some("nightly".into()),
            started_at: Some(UNIX_EPOCH + Duration::from_millis(1_740_832_496_789)),
            elapsed: Duration::from_secs(2),
            sessions: 1,
            activities: vec![ActivityInfo {
                sequence: "main".into(),
                index: 0,
                label: "GetRequest(/x)".into(),
                timed: true,
                tags: Vec::new(),
                workload: None,
            }],
            sequences: vec!["main".into()],
            stats: Snapshot {
                activities: vec![m.clone()],
                sequences: vec![m.clone()],
                total: m,
                ..Snapshot::default()
            },
            errors: vec![ErrorRecord {
                class: ErrorClass::Timeout,
                message: "timed out after 10s".into(),
                response: None,
                diff: None,
                checks: Vec::new(),
                session_id: "t01".into(),
                activity: 0,
                span: None,
                pass: 1,
                at: Duration::from_millis(1500),
                trace_id: Some("0af7651916cd43dd8448eb211c80319c".into()),
            }],
            stop: Some(StopReason::Interrupted),
            ..RunReport::default()
        };
        let thresholds = vec![SubjectThresholds {
            subject: Subject::Run,
            set: ThresholdSet {
                rules: vec![Threshold::new(
                    Metric::Percentile(95.0),
                    Limit::Duration(Duration::from_millis(30)),
                    Span::default(),
                )],
                ..ThresholdSet::default()
            },
        }];
        judged(report, thresholds)
    }

    /// The results of `report` judged against `thresholds` (no trials, no sources).
    pub(crate) fn judged(report: RunReport, thresholds: Vec<SubjectThresholds>) -> Results {
        Results::of(&Judgement::from_parts(
            report,
            thresholds,
            Vec::new(),
            Default::default(),
            Policy::default(),
        ))
    }

    #[test]
    fn round_trips_through_a_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let r = results();
        write(&path, &r).unwrap();
        write(&path, &r).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.to_report().started_at, r.to_report().started_at);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["results.json"]);
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["schema"], "stressor-results/1");
        assert_eq!(v["start"], "2025-03-01T12:34:56.789Z");
        assert_eq!(v["stop"], "interrupted");
        assert_eq!(
            v["verdict"], "stopped",
            "an interrupted run is neither passed nor failed"
        );
        assert_eq!(v["activities"][0]["label"], "GetRequest(/x)");
        assert_eq!(v["activities"][0]["summary"]["errors"], 1);
        assert_eq!(v["total"]["count"], 2);
        assert_eq!(v["thresholds"][0]["subject"], "run");
        assert_eq!(v["thresholds"][0]["set"]["rules"][0]["metric"]["percentile"], 95.0);
        assert_eq!(
            v["outcomes"][0]["message"], "p95 of the run: 20ms <= 30ms",
            "latency of the successful execution only"
        );
        assert_eq!(v["total"]["failed_p50_ms"], 40.031, "the failed one's kept apart");
        assert_eq!(v["reasons"][0], "interrupted by Ctrl-C / SIGTERM");
        assert_eq!(v["reasons"][1], "1 error(s) not within an error budget");
        assert_eq!(v["errors"][0]["class"], "timeout");
        assert_eq!(v["stats"]["total"]["errors"]["timeout"], 1);
    }

    #[test]
    fn read_errors_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let mut other = serde_json::to_value(results()).unwrap();
        other["schema"] = "stressor-results/2".into();
        let mut broken = serde_json::to_value(results()).unwrap();
        broken["stats"]["activities"] = serde_json::json!([]);
        let cases = [
            // (comment, path, message after the directory)
            (
                "missing file",
                dir.path().join("nope.json"),
                "nope.json`: No such file or directory",
            ),
            (
                "not JSON",
                file("bad.json", "{oops"),
                "bad.json`: invalid results JSON: key must be a string at line 1 column 2",
            ),
            (
                "no schema",
                file("plain.json", "{\"a\": 1}"),
                "plain.json`: not a stressor results file (no `\"schema\": \"stressor-results/1\"`)",
            ),
            (
                "another version",
                file("v2.json", &other.to_string()),
                "v2.json`: results schema `stressor-results/2` is not supported (this stressor reads `stressor-results/1`)",
            ),
            (
                "parts that do not fit",
                file("broken.json", &broken.to_string()),
                "broken.json`: inconsistent results: 1 activities but 0 activity measures",
            ),
        ];
        for (comment, path, want) in cases {
            let err = read(&path).unwrap_err().to_string();
            assert!(err.starts_with("failed to read `"), "{comment}: {err}");
            assert!(err.contains(want), "{comment}: {err}");
        }
    }

    #[test]
    fn a_failed_write_names_the_file_and_keeps_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/results.json");
        let err = write(&path, &results()).unwrap_err().to_string();
        assert!(err.starts_with("failed to write `"), "{err}");
        assert!(err.contains("missing/results.json"), "{err}");
    }
}
