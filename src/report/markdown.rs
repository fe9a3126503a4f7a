//! The verdict as Markdown, for a CI job's summary page (GitHub's `GITHUB_STEP_SUMMARY`, or
//! `--summary-md FILE`): a heading with the result, the thresholds with their measured values, the
//! `vs_baseline` rules, flaky gates, and for `stressor ab` the table of every judged metric. A view of
//! the judgement like every other report.

use super::ab::HEADS;
use super::summary::fmt_time;
use crate::ab::AbRun;
use crate::verdict::baseline::Call;
use crate::verdict::relative::{RelativeOutcome, RelativeResult, SubjectComparison, change_text, value_text};
use crate::verdict::{Judgement, Verdict, format_limit, metric_name, value_and_limit};
use std::fmt::Write as _;

/// The variable GitHub Actions sets to the file a step appends its job summary to.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// Appends `markdown` to `path` (a job summary file: every step and command adds to it, as GitHub
/// asks), creating it when missing.
pub fn append(path: &std::path::Path, markdown: &str) -> Result<(), super::ReportError> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()))
        .map_err(|source| super::ReportError::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// The Markdown of a judged run (`stressor run`, the harness): `name` heads it.
pub fn run(name: &str, judgement: &Judgement) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} stressor: `{}`\n\n{}\n",
        mark(judgement.verdict),
        cell(name),
        cell(&judgement.result_line())
    );
    let report = &judgement.report;
    let t = &report.stats.total;
    let pct = |q| t.latency.percentile(q).map_or("-".into(), fmt_time);
    let _ = writeln!(
        out,
        "{} timed activities, {} failed, {:.1}/s; p50 {}, p95 {}, p99 {}{}\n",
        t.count,
        t.error_count(),
        t.rate(report.elapsed),
        pct(50.0),
        pct(95.0),
        pct(99.0),
        report
            .warmup
            .as_ref()
            .map(|w| format!(" (after a {} warm-up, not judged)", fmt_time(w.length)))
            .unwrap_or_default()
    );
    if !judgement.outcomes.is_empty() {
        let mut rows = Vec::new();
        for o in &judgement.outcomes {
            let result = match (o.passed, o.unjudged()) {
                (true, _) => "✅ pass".to_string(),
                (false, Some(why)) => format!("❌ {why}"),
                (false, None) => "❌ FAIL".to_string(),
            };
            rows.push(vec![
                o.subject.label(&report.activities),
                o.rule_name(),
                format_limit(&o.limit),
                o.measured.map_or("-".into(), |m| value_and_limit(&m, &o.limit).0),
                result,
            ]);
        }
        table(
            &mut out,
            &["threshold on", "metric", "limit", "measured", "result"],
            &rows,
        );
    }
    if !judgement.relative.is_empty() {
        relative(&mut out, &judgement.relative, &report.activities);
    }
    for (trial, failures) in crate::verdict::confirm::flaky(judgement) {
        let earlier: Vec<&str> = failures.iter().map(|f| f.summary.as_str()).collect();
        let _ = writeln!(
            out,
            "- ⚠️ flaky: `{}` failed in {} run(s) and held when run again (passes): {}",
            cell(trial),
            failures.len(),
            cell(&earlier.join("; "))
        );
    }
    if !crate::verdict::confirm::flaky(judgement).is_empty() {
        out.push('\n');
    }
    if !judgement.comparison.is_empty() {
        out.push_str("<details><summary>Compared with the baseline</summary>\n\n");
        comparison(&mut out, &judgement.comparison, ["baseline", "current"]);
        out.push_str("</details>\n\n");
    }
    out
}

/// The Markdown of a judged A/B measurement.
pub fn ab(measured: &AbRun, judgement: &Judgement) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### {} stressor ab: `{}`\n\n{}\n",
        mark(judgement.verdict),
        cell(&judgement.report.scenario),
        cell(&super::ab::result_line(judgement))
    );
    let _ = writeln!(
        out,
        "A (baseline) `{}` and B (candidate) `{}`, measured at the same moments: {} of {} rounds of {}{}.\n",
        cell(measured.a.base_url.as_deref().unwrap_or("-")),
        cell(measured.b.base_url.as_deref().unwrap_or("-")),
        measured.paired.rounds.len(),
        measured.rounds_planned,
        fmt_time(measured.round_time),
        judgement
            .report
            .warmup
            .as_ref()
            .map(|w| format!(" after a {} warm-up", fmt_time(w.length)))
            .unwrap_or_default()
    );
    comparison(&mut out, &judgement.comparison, HEADS);
    let _ = writeln!(out, "{}\n", super::ab::tally(&judgement.relative));
    let notable: Vec<&RelativeOutcome> = judgement
        .relative
        .iter()
        .filter(|o| o.result != RelativeResult::Held)
        .collect();
    for o in notable {
        let _ = writeln!(out, "- {}", cell(&o.message));
    }
    out.push('\n');
    out
}

/// The `vs_baseline` rules: subject, metric, allowance, change and how each came out.
fn relative(out: &mut String, rules: &[RelativeOutcome], activities: &[crate::run::ActivityInfo]) {
    let rows: Vec<Vec<String>> = rules
        .iter()
        .map(|o| {
            let allowed =
                crate::verdict::baseline::allowance(o.allowed, o.metric, o.delta.as_ref().and_then(|d| d.baseline));
            vec![
                o.subject.label(activities),
                metric_name(o.metric),
                change_text(o.metric, allowed),
                o.delta
                    .as_ref()
                    .and_then(|d| d.worse_by)
                    .map_or("-".into(), |w| change_text(o.metric, w)),
                match o.result {
                    RelativeResult::Held => "✅ held".into(),
                    RelativeResult::Regressed => "❌ regressed".into(),
                    RelativeResult::TooNoisy => "⚠️ too noisy to tell".into(),
                    RelativeResult::NoBaseline => "➖ no baseline".into(),
                },
            ]
        })
        .collect();
    table(out, &["vs baseline", "metric", "allowed", "change", "result"], &rows);
}

/// A comparison as `stressor compare` prints it, with the interval of each change.
fn comparison(out: &mut String, subjects: &[SubjectComparison], heads: [&str; 2]) {
    let mut rows = Vec::new();
    for s in subjects {
        for d in &s.deltas {
            let interval = d.interval.map_or("-".into(), |(lo, hi)| {
                // Throughput reads as its own change (`-34%`): the interval's ends swap.
                let (lo, hi) = if d.metric == crate::scenario::Metric::MinRps {
                    (hi, lo)
                } else {
                    (lo, hi)
                };
                format!("{} … {}", change_text(d.metric, lo), change_text(d.metric, hi))
            });
            let call = match d.call {
                Call::Regressed => "❌ regressed",
                Call::Improved => "✅ improved",
                Call::Unchanged => "unchanged",
                Call::TooNoisy => "⚠️ too noisy to tell",
            };
            rows.push(vec![
                s.label.clone(),
                metric_name(d.metric),
                value_text(d.metric, d.baseline),
                value_text(d.metric, d.current),
                d.worse_by.map_or("-".into(), |w| change_text(d.metric, w)),
                interval,
                call.to_string(),
            ]);
        }
    }
    table(
        out,
        &["subject", "metric", heads[0], heads[1], "change", "interval", "result"],
        &rows,
    );
}

/// A GitHub-flavoured Markdown table.
fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// Text made safe for a table cell: `|` escaped, lines joined.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The verdict's sign.
fn mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Failed => "❌",
        Verdict::Inconclusive => "⚠️",
        Verdict::Stopped => "⏹️",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{ActivityInfo, RunReport};
    use crate::scenario::{Limit, Metric, Span, Threshold, ThresholdSet};
    use crate::stats::{Measure, Snapshot};
    use crate::verdict::{Policy, Subject, SubjectThresholds};
    use std::time::Duration;

    #[test]
    fn a_run_reads_as_a_heading_a_line_and_a_thresholds_table() {
        let mut m = Measure::default();
        for _ in 0..4 {
            m.record(Duration::from_millis(312), None, 0, 0);
        }
        let report = RunReport {
            scenario: "shop".into(),
            elapsed: Duration::from_secs(2),
            activities: vec![ActivityInfo {
                sequence: "main".into(),
                label: "GetRequest(/x|y)".into(),
                timed: true,
                ..ActivityInfo::default()
            }],
            sequences: vec!["main".into()],
            stats: Snapshot {
                activities: vec![m.clone()],
                sequences: vec![m.clone()],
                total: m,
                ..Snapshot::default()
            },
            ..RunReport::default()
        };
        let p95 = Threshold::new(
            Metric::Percentile(95.0),
            Limit::Duration(Duration::from_millis(300)),
            Span::default(),
        );
        let thresholds = vec![SubjectThresholds {
            subject: Subject::Activity {
                selector: "main/0".into(),
                ids: vec![0],
            },
            set: ThresholdSet {
                rules: vec![p95],
                ..ThresholdSet::default()
            },
        }];
        let j = Judgement::from_parts(report, thresholds, Vec::new(), Default::default(), Policy::default());
        assert_eq!(
            run("shop", &j),
            "### ❌ stressor: `shop`

Result: FAILED (1 of 1 thresholds failed)

4 timed activities, 0 failed, 2.0/s; p50 312.1ms, p95 312.1ms, p99 312.1ms

| threshold on | metric | limit | measured | result |
|---|---|---|---|---|
| main/0 GetRequest(/x\\|y) | p95 | 300ms | 312ms | ❌ FAIL |

"
        );
    }
}
