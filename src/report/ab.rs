//! The reports of an A/B measurement (`stressor ab`): the terminal summary and the JSON results. The
//! JUnit report is the judgement's ([`super::junit::Suite::of`]): one case per judged metric
//! (`ab::run::p95`), and the run's.

use super::json::{Results, Summary};
use super::summary::{comparison_with, fmt_time};
use crate::ab::AbRun;
use crate::run::RunReport;
use crate::scenario::Scenario;
use crate::verdict::baseline::Call;
use crate::verdict::relative::{RelativeOutcome, RelativeResult};
use crate::verdict::{Judgement, Policy, Verdict};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The schema of `stressor ab --out`.
pub const SCHEMA: &str = "stressor-ab/1";

/// The headings of A's and B's columns.
pub const HEADS: [&str; 2] = ["a (baseline)", "b (candidate)"];

/// The terminal summary of a judged A/B measurement: what ran, each side's totals, the table of every
/// judged metric, the calls counted, the rules that did not hold, and the result line.
pub fn render(ab: &AbRun, judgement: &Judgement, color: bool) -> String {
    let mut out = String::new();
    let b = &judgement.report;
    let warmup = b
        .warmup
        .as_ref()
        .map(|w| fmt_time(w.length))
        .unwrap_or_else(|| "no".into());
    let _ = writeln!(
        out,
        "A/B '{}': {} of {} rounds of {} at the same moments, after a {warmup} warm-up; each side {} session(s)",
        b.scenario,
        ab.paired.rounds.len(),
        ab.rounds_planned,
        fmt_time(ab.round_time),
        b.sessions
    );
    for (head, report) in HEADS.iter().zip([&ab.a, &ab.b]) {
        let _ = writeln!(out, "  {head:<14} {}", side_line(report));
    }
    if let Some(why) = &ab.short {
        let _ = writeln!(out, "  warning: {why}");
    }
    out.push_str(&comparison_with(&judgement.comparison, HEADS, color));
    let _ = writeln!(out, "{}", tally(&judgement.relative));
    for o in judgement.relative.iter().filter(|o| o.result != RelativeResult::Held) {
        let _ = writeln!(out, "  {}", o.message);
    }
    let line = result_line(judgement);
    if color {
        let style = match judgement.verdict {
            Verdict::Pass => "\x1b[1;32m",
            Verdict::Failed => "\x1b[1;31m",
            Verdict::Inconclusive | Verdict::Stopped => "\x1b[1;33m",
        };
        let _ = writeln!(out, "{style}{line}\x1b[0m");
    } else {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// `http://...: 3100 timed activities (0 failed), 520.0/s; p50 5.7ms, p95 15.8ms, p99 21.4ms`.
fn side_line(report: &RunReport) -> String {
    let t = &report.stats.total;
    let pct = |q| t.latency.percentile(q).map_or("-".into(), fmt_time);
    format!(
        "{}: {} timed activities ({} failed), {:.1}/s; p50 {}, p95 {}, p99 {}",
        report.base_url.as_deref().unwrap_or("-"),
        t.count,
        t.error_count(),
        t.rate(report.elapsed),
        pct(50.0),
        pct(95.0),
        pct(99.0)
    )
}

/// `judged: 12 metrics · unchanged 10 · improved 0 · too noisy 1 · regressed 1`.
pub fn tally(cells: &[RelativeOutcome]) -> String {
    let count = |call: Call| {
        cells
            .iter()
            .filter(|o| o.delta.as_ref().map_or(Call::TooNoisy, |d| d.call) == call)
            .count()
    };
    format!(
        "judged: {} metrics · unchanged {} · improved {} · too noisy {} · regressed {}",
        cells.len(),
        count(Call::Unchanged),
        count(Call::Improved),
        count(Call::TooNoisy),
        count(Call::Regressed)
    )
}

/// `Result: ok (B is not worse than A ...)`, `Result: REGRESSED (...)`, `Result: INCONCLUSIVE (...)`.
pub fn result_line(judgement: &Judgement) -> String {
    let count = |r: RelativeResult| judgement.relative.iter().filter(|o| o.result == r).count();
    let total = judgement.relative.len();
    match judgement.verdict {
        Verdict::Pass => format!("Result: ok (B is not worse than A beyond the allowance on any of {total} metrics)"),
        Verdict::Failed if count(RelativeResult::Regressed) > 0 => format!(
            "Result: REGRESSED ({} of {total} metrics significantly worse than A beyond the allowance)",
            count(RelativeResult::Regressed)
        ),
        // Whatever else failed (B completed nothing), the judgement says.
        Verdict::Failed | Verdict::Inconclusive | Verdict::Stopped => judgement.result_line(),
    }
}

/// `stressor ab --out`: the measurement and its judgement, and each side's results as `stressor run
/// --out` would write them (readable by `compare` and `merge`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbResults {
    /// [`SCHEMA`].
    pub schema: String,
    /// The scenario's name.
    pub scenario: String,
    /// Rounds measured.
    pub rounds: usize,
    /// Rounds asked for.
    pub rounds_planned: usize,
    /// The length of a round.
    pub round_time: Duration,
    /// Why fewer rounds than planned were measured. Absent when all were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
    /// `pass`, `failed` (regressed) or `inconclusive` (too noisy, too few rounds, the generator).
    pub verdict: Verdict,
    /// Why the verdict is not `pass`.
    pub reasons: Vec<String>,
    /// Per judged subject, per metric: A's and B's values, B's change (`worse_by`), its 99.5 %
    /// signed-rank interval over the rounds and the call.
    pub comparison: Vec<crate::verdict::relative::SubjectComparison>,
    /// Per judged metric: its allowance, the change and whether it `held`, `regressed` or was
    /// `too_noisy`.
    pub gate: Vec<RelativeOutcome>,
    /// The baseline's run (A).
    pub a: Results,
    /// The candidate's run (B).
    pub b: Results,
    /// A's readable totals over every round together.
    pub a_total: Summary,
    /// B's.
    pub b_total: Summary,
    /// Per round, `[A, B]`: each side's timed activities in that round, readable (the evidence the
    /// paired test judged, for the run).
    pub round_totals: Vec<[Summary; 2]>,
}

impl AbResults {
    /// The results of a judged measurement; each side's run is judged by the scenario's own thresholds
    /// (as `stressor run` would) for its results file.
    pub fn of(scenario: &Scenario, ab: &AbRun, judgement: &Judgement) -> AbResults {
        let side = |report: &RunReport| {
            let plain = Judgement::new(scenario, judgement.sources.clone(), report.clone(), Policy::default());
            Results::of(&plain)
        };
        let total = |r: &RunReport| Summary::of(&r.stats.total, r.stats.total.error_count(), r.elapsed);
        AbResults {
            schema: SCHEMA.to_string(),
            scenario: judgement.report.scenario.clone(),
            rounds: ab.paired.rounds.len(),
            rounds_planned: ab.rounds_planned,
            round_time: ab.round_time,
            short: ab.short.clone(),
            verdict: judgement.verdict,
            reasons: judgement.reasons.iter().map(ToString::to_string).collect(),
            comparison: judgement.comparison.clone(),
            gate: judgement.relative.clone(),
            a: side(&ab.a),
            b: side(&ab.b),
            a_total: total(&ab.a),
            b_total: total(&ab.b),
            round_totals: ab.paired.rounds.iter().map(|[a, b]| [total(a), total(b)]).collect(),
        }
    }

    /// Writes them to `path` as JSON, atomically.
    pub fn write(&self, path: &Path) -> Result<(), super::ReportError> {
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| super::ReportError::Write {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        bytes.push(b'\n');
        super::write_atomically(path, &bytes)
    }
}
