//! The terminal summary: a table per activity and per sequence (count, errors, p50/p95/p99/max, rate),
//! errors grouped by class with the first message of each, the thresholds with their measured values,
//! and the result line (the verdict).

use crate::run::RunReport;
use crate::stats::Measure;
use crate::verdict::{ThresholdOutcome, Verdict, format_limit, metric_name, value_and_limit, verdict};
use comfy_table::{CellAlignment, Table, presets};
use std::fmt::Write as _;
use std::time::Duration;

/// Columns after the name in activity and sequence tables (the last one is unused here).
pub(crate) const HEADER: [&str; 8] = ["count", "errors", "p50", "p95", "p99", "max", "rate/s", ""];
/// Columns of the thresholds table.
pub(crate) const THRESHOLD_HEADER: [&str; 6] = ["threshold on", "metric", "limit", "measured", "samples", "result"];

/// Renders the summary of a run without thresholds: the result is "ok" unless an error happened.
pub fn render(report: &RunReport, color: bool) -> String {
    render_with(report, &[], verdict(report, &[], false), color)
}

/// Renders the summary with the threshold outcomes (a table when there are any) and the verdict.
pub fn render_with(report: &RunReport, outcomes: &[ThresholdOutcome], verdict: Verdict, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scenario '{}'{}{} — {} session(s), run time {}",
        report.scenario,
        report.tag.as_ref().map(|t| format!(" [{t}]")).unwrap_or_default(),
        report
            .base_url
            .as_ref()
            .map(|u| format!(" against {u}"))
            .unwrap_or_default(),
        report.sessions,
        fmt_time(report.elapsed),
    );
    if let Some(start) = report.started_at {
        let _ = writeln!(
            out,
            "Start {}, end {}",
            super::format_rfc3339(start),
            super::format_rfc3339(start + report.elapsed)
        );
    }
    if report.dry_run {
        out.push_str("Dry run: no request was sent and no sleep was slept.\n");
    }
    let mut table = new_table("activity");
    for (id, (info, m)) in report.activities.iter().zip(&report.stats.activities).enumerate() {
        if m.count == 0 {
            continue;
        }
        table.add_row(row(info.path(), m, m.error_count(), report.elapsed));
        for sub in report.stats.sub_requests.iter().filter(|s| s.activity == id) {
            table.add_row(row(
                format!("  {}", sub.label),
                &sub.measure,
                sub.measure.error_count(),
                report.elapsed,
            ));
        }
    }
    let _ = writeln!(out, "{table}");
    let mut seqs = new_table("sequence (passes)");
    for name in &report.sequences {
        if let Some((m, errors)) = report.sequence(name).filter(|(m, _)| m.count > 0) {
            seqs.add_row(row(name.clone(), &m, errors, report.elapsed));
        }
    }
    let _ = writeln!(out, "{seqs}");
    if let Some(rt) = &report.stats.response_time {
        // The open model: the same executions timed from their intended start, side by side.
        let mut table = new_table("response time from intended start");
        for (info, m) in report.activities.iter().zip(&rt.activities) {
            if m.count > 0 {
                table.add_row(row(info.path(), m, m.error_count(), report.elapsed));
            }
        }
        for (name, m) in report.sequences.iter().zip(&rt.sequences) {
            if m.count > 0 {
                table.add_row(row(format!("sequence {name}"), m, m.error_count(), report.elapsed));
            }
        }
        let _ = writeln!(out, "{table}");
    }
    let total = &report.stats.total;
    let _ = writeln!(
        out,
        "{} timed activities, {} error(s), {:.1}/s; p50 {}, p95 {}, p99 {}",
        total.count,
        report.error_count(),
        total.rate(report.elapsed),
        pct(total, 50.0),
        pct(total, 95.0),
        pct(total, 99.0)
    );
    for (class, n) in report.errors_by_class() {
        let _ = write!(out, "  {class}: {n}");
        if let Some(e) = report.errors.iter().find(|e| e.class == class) {
            let where_ = report.activities.get(e.activity).map(|i| i.path()).unwrap_or_default();
            let first_line = e.message.lines().next().unwrap_or("");
            let _ = write!(
                out,
                " — first: {where_} (session {}, pass {}): {first_line}",
                e.session_id, e.pass
            );
        }
        out.push('\n');
    }
    let h = &report.health;
    let _ = writeln!(
        out,
        "Generator: CPU {:.0}% of {} core(s), peak RSS {:.1} MiB, scheduler lag p99 {}",
        h.cpu_share * 100.0,
        h.cores,
        h.peak_rss_bytes as f64 / 1048576.0,
        h.lag.percentile(99.0).map_or("-".into(), fmt_time)
    );
    if let Some(due) = h.arrivals {
        let dropped = h.dropped_arrivals;
        let _ = writeln!(
            out,
            "Arrivals: {due} due, {} run, {dropped} dropped{}, {} session(s)",
            due - dropped.min(due),
            if dropped > 0 { " (every session was busy)" } else { "" },
            report.sessions
        );
    }
    for why in &h.overload {
        let _ = writeln!(
            out,
            "  warning: {why}; results may reflect the generator, not the server"
        );
    }
    if let Some(reason) = report.stop {
        let _ = writeln!(out, "{}", stop_line(reason));
    }
    if !outcomes.is_empty() {
        let _ = writeln!(out, "{}", thresholds_table(report, outcomes));
    }
    let (word, style) = result_line(report, outcomes, verdict);
    if color {
        let _ = writeln!(out, "{style}{word}\x1b[0m");
    } else {
        let _ = writeln!(out, "{word}");
    }
    out
}

/// Why the run ended early, as a sentence.
pub(crate) fn stop_line(reason: crate::run::StopReason) -> String {
    let why = match reason {
        crate::run::StopReason::Interrupted => "interrupted (Ctrl-C / SIGTERM)",
        crate::run::StopReason::MaxErrors => "stopped: max_errors reached",
        crate::run::StopReason::MaxTime => "stopped: max_time reached",
        crate::run::StopReason::Requested => "stopped on request",
    };
    format!("Run {why}; remaining work was skipped, `end` sequences ran.")
}

/// The verdict as one line (`Result: ok`, `Result: FAILED (why)`, ...) and its ANSI colour.
pub(crate) fn result_line(
    report: &RunReport,
    outcomes: &[ThresholdOutcome],
    verdict: Verdict,
) -> (String, &'static str) {
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    match verdict {
        Verdict::Pass => ("Result: ok".to_string(), "\x1b[1;32m"),
        Verdict::Failed => {
            let why = if failed > 0 {
                format!(" ({failed} of {} thresholds failed)", outcomes.len())
            } else if report.stop == Some(crate::run::StopReason::MaxErrors) {
                " (max_errors reached)".to_string()
            } else if outcomes.is_empty() {
                format!(" ({} error(s), no thresholds set)", report.error_count())
            } else {
                String::new()
            };
            (format!("Result: FAILED{why}"), "\x1b[1;31m")
        }
        Verdict::Inconclusive => (
            "Result: INCONCLUSIVE (the load generator was the bottleneck)".to_string(),
            "\x1b[1;33m",
        ),
    }
}

/// One row per threshold rule: subject, metric, limit, measured value, samples and the result.
fn thresholds_table(report: &RunReport, outcomes: &[ThresholdOutcome]) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    table.set_header(THRESHOLD_HEADER);
    for i in 2..5 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    for o in outcomes {
        table.add_row(threshold_row(report, o));
    }
    table
}

/// The cells of one threshold row (also the HTML report's).
pub(crate) fn threshold_row(report: &RunReport, o: &ThresholdOutcome) -> Vec<String> {
    let result = if o.passed {
        "pass".to_string()
    } else if o.never_ran() {
        "FAIL: never ran".to_string()
    } else if o.not_enough_data() {
        format!("FAIL: not enough data (need {})", o.min_samples)
    } else {
        "FAIL".to_string()
    };
    vec![
        o.subject.label(&report.activities),
        metric_name(o.metric),
        format_limit(&o.limit),
        o.measured.map_or("-".into(), |m| value_and_limit(&m, &o.limit).0),
        o.samples.to_string(),
        result,
    ]
}

fn new_table(first: &str) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::ASCII_MARKDOWN);
    let mut header = vec![first];
    header.extend(&HEADER[..7]);
    table.set_header(header);
    for i in 1..8 {
        if let Some(c) = table.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// One activity or sequence row: name, count, errors, p50, p95, p99, max, rate (also the HTML report's).
pub(crate) fn row(name: String, m: &Measure, errors: u64, elapsed: Duration) -> Vec<String> {
    vec![
        name,
        m.count.to_string(),
        errors.to_string(),
        pct(m, 50.0),
        pct(m, 95.0),
        pct(m, 99.0),
        m.latency.max().map_or("-".into(), fmt_time),
        format!("{:.1}", m.rate(elapsed)),
    ]
}

fn pct(m: &Measure, p: f64) -> String {
    m.latency.percentile(p).map_or("-".into(), fmt_time)
}

/// Times as people read them: `1.23s`, `4.5ms`, `870us`.
pub fn fmt_time(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2}s", d.as_secs_f64())
    } else if d.as_micros() >= 1000 {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{}us", d.as_micros())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::ActivityInfo;
    use crate::scenario::{Limit, Metric, Span, Threshold, ThresholdSet};
    use crate::stats::Snapshot;
    use crate::verdict::{Subject, SubjectThresholds, evaluate};

    #[test]
    fn thresholds_table_and_result_line() {
        let mut m = Measure::default();
        for _ in 0..4 {
            m.record(Duration::from_millis(312), None, 0, 0);
        }
        let report = RunReport {
            scenario: "shop".into(),
            elapsed: Duration::from_secs(2),
            sessions: 1,
            activities: vec![ActivityInfo {
                sequence: "main".into(),
                index: 0,
                label: "GetRequest(/x)".into(),
            }],
            sequences: vec!["main".into(), "cleanup".into()],
            stats: Snapshot {
                activities: vec![m.clone()],
                sequences: vec![m.clone(), Measure::default()],
                total: m,
                ..Snapshot::default()
            },
            ..RunReport::default()
        };
        let rule = |metric, limit| Threshold {
            metric,
            limit,
            span: Span::default(),
        };
        let set = |rules, min_samples| ThresholdSet {
            rules,
            min_samples,
            span: None,
        };
        let thresholds = [
            SubjectThresholds {
                subject: Subject::Activity {
                    selector: "main/0".into(),
                    ids: vec![0],
                },
                set: set(
                    vec![
                        rule(Metric::Percentile(95.0), Limit::Duration(Duration::from_millis(300))),
                        rule(Metric::ErrorRate, Limit::Ratio(0.01)),
                    ],
                    None,
                ),
            },
            SubjectThresholds {
                subject: Subject::Run,
                set: set(vec![rule(Metric::MinRps, Limit::Rate(1.0))], Some(10)),
            },
            SubjectThresholds {
                subject: Subject::Sequence("cleanup".into()),
                set: set(vec![rule(Metric::Max, Limit::Duration(Duration::from_secs(1)))], None),
            },
        ];
        let outcomes = evaluate(&thresholds, &report);
        let text = render_with(&report, &outcomes, Verdict::Failed, false);
        let table = text
            .lines()
            .skip_while(|l| !l.starts_with("| threshold on"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            table,
            "\
| threshold on          | metric     | limit | measured | samples | result                          |
|-----------------------|------------|-------|----------|---------|---------------------------------|
| main/0 GetRequest(/x) | p95        | 300ms |    312ms |       4 | FAIL                            |
| main/0 GetRequest(/x) | error_rate |    1% |       0% |       4 | pass                            |
| the run               | min_rps    |   1/s |      2/s |       4 | FAIL: not enough data (need 10) |
| sequence cleanup      | max        |    1s |        - |       0 | FAIL: never ran                 |
Result: FAILED (3 of 4 thresholds failed)"
        );
        let plain = render(&report, false);
        assert!(!plain.contains("threshold on"), "no table without thresholds");
        assert!(plain.ends_with("Result: ok\n"), "{plain}");
    }
}
